"""Where the question is in a message, and the signals the matcher's decision weighs.

Long messages greet, bless, tell a story and ask last ("Buenas tardes, Dios los bendiga… a mi cuñado le
pusieron fianza… ¿la pagamos o no?"). :func:`focus` finds the ask (the last question, or the last
sentence that is not a greeting or a blessing) so the matcher can weigh it more. :func:`strip_frames`
removes rumor frames ("vi en facebook que…", "is it true") so the content of a rumor decides, not the
frame. Everything here is plain functions of text: no state, no knowledge base.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from . import textnorm

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


# ---------------------------------------------------------------------------- the decision
# A tiny logistic model over some of the signals below says how likely answering the ranker's top entry
# is right. Fitted on the tuning sets only (tests/data/dev_questions.yaml, tests/data/holdout_questions.yaml,
# benchmarks/data/real_voices.yaml) by `python benchmarks/tune_decision.py`, which prints these numbers.
# The margin to the runner-up and the share of unknown words were measured too and left out: the model
# made no fewer errors on held-out sets with them (`python benchmarks/tune_decision.py --ablation`).
SIGNALS = ("ranker_prob", "ranker_margin", "lexical_score", "unknown_share", "unsupported_prob")
DECISION_FEATURES = ("ranker_prob", "lexical_score", "unsupported_prob")
DECISION_WEIGHTS = (2.902, 2.130, -6.339)
DECISION_BIAS = -0.241


@dataclass(frozen=True)
class Signals:
    """What the decision may weigh, for the ranker's top entry (all 0-1).

    ``ranker_prob``: the ranker's probability; ``ranker_margin``: its lead over the runner-up;
    ``lexical_score``: the lexical scorer's score for the same entry / 100; ``unknown_share``: share of
    query terms the knowledge base never uses; ``unsupported_prob``: the ranker's total probability for
    'unsupported' entries.
    """

    ranker_prob: float
    ranker_margin: float
    lexical_score: float
    unknown_share: float
    unsupported_prob: float

    def vector(self, names: tuple[str, ...] = DECISION_FEATURES) -> tuple[float, ...]:
        """The signals called ``names``, in that order (default: those the decision uses)."""
        return tuple(getattr(self, name) for name in names)


def confidence(signals: Signals) -> float:
    """How likely (0-1) answering with the ranker's top entry is right, by the fitted decision model."""
    z = DECISION_BIAS + sum(w * x for w, x in zip(DECISION_WEIGHTS, signals.vector(), strict=True))
    return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))
