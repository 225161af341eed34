"""Where the question is in a long message: people greet, bless, tell what happened and ask last
("Buenas noches, Dios los bendiga… a mi primo lo agarraron… ¿qué es un detainer?"). In a long story the
story's words outnumber the question's, so the matcher also reads the ask on its own
(:func:`ask_of`) and weighs the two readings (:mod:`.matcher`).

Plain functions of text: no state, no knowledge base.
"""

from __future__ import annotations

import re

from bot import textnorm

LONG_MESSAGE_WORDS = 45  # from this many words a message is a story, and its ask is read on its own too
ASK_MIN_WORDS = 4  # an ask shorter than this leans on the sentence before it ("¿es cierto?", "what now?")
# A sentence ends at . ! ? or a line break; Spanish opens a question with ¿ (which starts a new one).
_SENTENCE = re.compile(r"[^.!?\n¿¡]*[.!?\n]+|[¿¡][^.!?\n¿¡]*[.!?\n]*|[^.!?\n¿¡]+")


def sentences(text: str) -> list[str]:
    """The sentences of ``text`` that have words, in order, split at . ! ? ¿ ¡ and line breaks."""
    return [s.strip() for s in _SENTENCE.findall(text) if textnorm.words(s)]


def ask_of(text: str) -> str | None:
    """The ask of a long message: its last question (a sentence with '?' or '¿'), else its last sentence,
    joined to the sentence before it when it is very short. None for a message shorter than
    :data:`LONG_MESSAGE_WORDS` words, or one with a single sentence (it is read whole anyway)."""
    if len(textnorm.words(text)) < LONG_MESSAGE_WORDS:
        return None
    parts = sentences(text)
    if len(parts) < 2:
        return None
    asks = [i for i, s in enumerate(parts) if "?" in s or "¿" in s]
    at = asks[-1] if asks else len(parts) - 1
    ask = parts[at]
    while at > 0 and len(textnorm.words(ask)) < ASK_MIN_WORDS:
        at -= 1
        ask = parts[at] + " " + ask
    return ask
