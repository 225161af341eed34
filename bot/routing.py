"""Telling apart, before any matching, the messages that are not questions: a cry for help, agents
here now, a request to switch language, small talk. The words are data (``knowledge/routing.yaml``)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from .knowledge.model import RoutingWords
from .textnorm import fold

_WORD = re.compile(r"[a-z0-9]+")


@dataclass(frozen=True)
class Routed:
    """What a message is, if not a question: ``kind`` is 'emergency', 'language' or 'smalltalk';
    ``lang`` is the requested language for 'language'."""

    kind: str
    lang: str | None = None


def words_of(text: str) -> list[str]:
    """Folded words (no accents, lowercase, letters and digits only)."""
    return _WORD.findall(fold(text))


def route(text: str, words: RoutingWords) -> Routed | None:
    """Routed for a message that is a cry for help, says agents are here now, asks for a language or is
    small talk; None for everything else (a question for the matcher)."""
    found = words_of(text)
    if not found:
        return None
    wordset = set(found)
    if wordset & words.help_words and wordset <= words.help_words | words.filler_words:
        return Routed("emergency")
    joined = " " + " ".join(found) + " "
    if any(f" {phrase} " in joined for phrase in words.here_now) and (
        wordset & words.agent_words or len(found) <= words.short_message_words
    ):
        return Routed("emergency")
    asked = [lang for lang, names in words.language_names.items() if wordset & names]
    if len(asked) == 1 and wordset <= words.language_words | words.language_names[asked[0]]:
        return Routed("language", asked[0])
    if wordset <= words.smalltalk_words:
        return Routed("smalltalk")
    return None
