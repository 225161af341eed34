"""Research kept for measurement, not on the product path: reading only the question part of a long
message ("focus") and stripping rumor frames ("vi en facebook que…, ¿es cierto?").

Long messages greet, bless, tell a story and ask last. :func:`focus` finds the ask (the last question, or
the last sentence that is not a greeting or a blessing); :func:`strip_frames` removes rumor frames so the
content of a rumor decides. Measured (``python -m benchmarks.tune_decision``): reading the focus did not
make fewer errors on held-out questions than reading the whole message, so the matcher reads the whole
message. :func:`focused_probabilities` is what the matcher would compute with it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from bot import textnorm
from bot.matching.matcher import Matcher

FRAME_SHARE = 0.5  # a rumor-framed message: the whole text's share of the ranker's say (content: the rest)

# A sentence ends at . ! ? or a line break; Spanish opens a question with ¿ (which starts a new one).
_SENTENCE = re.compile(r"[^.!?\n¿¡]*[.!?\n]+|[¿¡][^.!?\n¿¡]*[.!?\n]*|[^.!?\n¿¡]+")


def _wordset(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Words that only greet, bless, apologise or thank: a sentence made of these (and stop words) never
# decides what a message is about. Folded, no accents.
COURTESY = _wordset(
    """hola buenas buenos buen dia dias tardes noches saludos disculpe disculpa perdon molestia molestar
    dios bendiga bendigan bendiciones bendicion gracias muchas mil ayude ayuden amen virgen senor senora
    hello hi hey good morning afternoon evening thanks thank sorry bother god bless blessings dear sir madam
    hope well please por favor ojala esten este bien excuse"""
)

# Rumor frames: how people say where they heard something and ask whether it is true. The content after
# the frame is what they want to know; the frame itself is only evidence of a rumor question.
_FRAMES = [
    r"(?:yo )?(?:vi|mire|mira|lei|escuche|oi) (?:un video |una publicacion |un post |un mensaje )?"
    r"(?:en|por) (?:el |la |los )?(?:face|facebook|fb|tiktok|tik tok|whatsapp|wasap|insta|instagram|"
    r"youtube|las noticias|noticias|la radio|la tele|internet|redes|redes sociales|un grupo)(?: que)?",
    r"me (?:mandaron|enviaron|pasaron|dijeron)(?: un mensaje| un video)?(?: por (?:whatsapp|wasap|face|facebook|"
    r"tiktok|mensaje|texto))?(?: que)?",
    r"(?:dicen|andan diciendo|estan diciendo|escuche|oi|supe|me entere|se dice|corre el rumor de) que",
    r"(?:es|sera|seria) (?:cierto|verdad|real)(?: eso| esto)?(?: que)?",
    r"(?:i )?(?:saw|read|heard|seen) (?:a video |a post |a message |something )?(?:on|in) (?:the )?"
    r"(?:facebook|fb|tiktok|tik tok|whatsapp|insta|instagram|youtube|twitter|x|the news|news|the radio|"
    r"social media|a group chat|a group)(?: that)?",
    r"(?:someone|somebody|a friend|my friend|people) (?:posted|shared|sent|said|says|are saying|is saying)"
    r"(?: on (?:facebook|tiktok|whatsapp|instagram|the group))?(?: that)?",
    r"(?:i )?heard(?: that)?",
    r"(?:is|was) (?:it|that|this) (?:true|real|legit)(?: that)?",
    r"(?:is|was) (?:it )?true(?: that)?",
    r"(?:can you )?(?:confirm|verify)(?: this| that)?",
    r"is that right",
]
_FRAME_RE = re.compile(r"\b(?:" + "|".join(_FRAMES) + r")\b")
_QUESTION_START = _wordset(
    """que como cuando donde cual cuales quien quienes cuanto cuanta cuantos puedo puede pueden debo debe
    tengo tiene hay es son estoy esta se me te lo la what how when where which who whom why can could should
    do does did is are am will would must may have has if"""
)
MIN_STORY_WORDS = 14  # shorter messages are read whole


@dataclass(frozen=True)
class Focus:
    """A message split into what it asks and what surrounds it.

    ``ask`` is the folded text of the question part ('' when the message is short or has one
    sentence); ``framed`` is True when a rumor frame was found; ``content`` is the folded message
    with rumor frames and courtesy sentences removed.
    """

    ask: str
    framed: bool
    content: str


def sentences(text: str) -> list[str]:
    """The sentences of ``text`` (raw, in order), split at . ! ? ¿ ¡ and line breaks."""
    return [s.strip() for s in _SENTENCE.findall(text) if textnorm.words(s)]


def is_courtesy(sentence: str, stopwords: frozenset[str]) -> bool:
    """True when every word of the sentence greets, blesses, thanks or is a stop word."""
    words = textnorm.words(sentence)
    return bool(words) and all(w in COURTESY or w in stopwords for w in words)


def _is_question(sentence: str) -> bool:
    words = textnorm.words(sentence)
    return "?" in sentence or "¿" in sentence or bool(words and words[0] in _QUESTION_START)


def strip_frames(folded: str) -> tuple[str, bool]:
    """``folded`` text without rumor frames, and whether there was one."""
    out, n = _FRAME_RE.subn(" ", folded)
    return " ".join(out.split()), n > 0


def focus(text: str, stopwords: frozenset[str]) -> Focus:
    """Find the ask in a message (see the module docstring)."""
    folded = " ".join(textnorm.words(text))
    content, framed = strip_frames(folded)
    parts = [s for s in sentences(text) if not is_courtesy(s, stopwords)]
    if len(parts) > 1 or (parts and len(folded.split()) >= MIN_STORY_WORDS):
        content = strip_frames(" ".join(" ".join(textnorm.words(s)) for s in parts))[0]
    if len(folded.split()) < MIN_STORY_WORDS or len(parts) < 2:
        return Focus("", framed, content)
    asks = [s for s in parts if _is_question(s)]
    ask = asks[-1] if asks else parts[-1]
    # A very short ask ("¿Es cierto?", "¿Hice bien?") leans on the sentence before it.
    idx = parts.index(ask)
    if len(textnorm.words(ask)) < 6 and idx > 0:
        ask = parts[idx - 1] + " " + ask
    return Focus(strip_frames(" ".join(textnorm.words(ask)))[0], framed, content)


def focused_text(matcher: Matcher, query: str) -> str:
    """The part of ``query`` the focused reading weighs: the content without courtesy sentences and
    rumor frames (the whole query when that leaves nothing)."""
    return focus(query, matcher.analyzer.stopwords).content or query


def focused_probabilities(matcher: Matcher, query: str) -> np.ndarray | None:
    """The ranker's probabilities for the focused reading of ``query`` (None without terms): the content
    without courtesy sentences and rumor frames decides; for a framed rumor the whole text keeps
    :data:`FRAME_SHARE` of the say."""
    assert matcher.ranker is not None
    found = focus(query, matcher.analyzer.stopwords)
    analysis = matcher.analyzer.analyze(found.content or query)
    if not analysis.terms:
        analysis = matcher.analyzer.analyze(query)
        if not analysis.terms:
            return None
    probs = matcher.ranker.probabilities((" ".join(analysis.words), " ".join(analysis.terms)))
    if found.framed:
        whole = matcher.analyzer.analyze(query)
        probs = (1 - FRAME_SHARE) * probs + FRAME_SHARE * matcher.ranker.probabilities(
            (" ".join(whole.words), " ".join(whole.terms))
        )
    return probs
