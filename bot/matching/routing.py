"""Telling apart, before any matching, the messages that are not questions: a cry for help, agents
here now, a request to switch language, small talk. The words are data (``knowledge/routing.yaml``)."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from functools import lru_cache

from rapidfuzz.distance import Levenshtein

from bot.knowledge.model import RoutingWords
from bot.textnorm import message_words, rememberable

FUZZY_HELP_MIN_CHARS = 5  # a word this long may be one edit away from a help word ('socoro' -> 'socorro')
ALERT_MAX_WORDS = 60  # longer messages are alert-shaped only when they say to pass them on


@dataclass(frozen=True)
class Routed:
    """What a message is, if not a question: ``kind`` is 'emergency', 'language' or 'smalltalk';
    ``lang`` is the requested language for 'language'."""

    kind: str
    lang: str | None = None


def words_of(text: str) -> list[str]:
    """Folded words (no accents, lowercase, letters and digits only; repeated letters squeezed,
    "they're" one word, 's.o.s' one word)."""
    return message_words(text)


def _help_word(word: str, words: RoutingWords) -> str:
    """``word``, or the help word it is a one-edit slip of (for words of FUZZY_HELP_MIN_CHARS or more
    that are not already one of the routing words)."""
    if len(word) < FUZZY_HELP_MIN_CHARS or word in words.help_words or word in words.filler_words:
        return word
    if not rememberable(word):  # never kept in the cache below: a phone or case number
        return _slip_of.__wrapped__(word, words.help_words)
    return _slip_of(word, words.help_words)


@lru_cache(maxsize=10_000)
def _slip_of(word: str, help_words: frozenset[str]) -> str:
    """The first help word (alphabetically) one edit from ``word``, else ``word`` (remembered per word)."""
    for help_word in sorted(help_words):
        if Levenshtein.distance(word, help_word, score_cutoff=1) <= 1:
            return help_word
    return word


@lru_cache(maxsize=64)
def _padded(phrases: Collection[str]) -> tuple[str, ...]:
    """Each phrase with a space either side, to look for it as whole words in :func:`_joined` text."""
    return tuple(f" {phrase} " for phrase in phrases)


def _joined(found: list[str]) -> str:
    return " " + " ".join(found) + " "


def route(text: str, words: RoutingWords, found: list[str] | None = None) -> Routed | None:
    """Routed for a message that is a cry for help, says agents are here now, asks for a language or is
    small talk; None for everything else (a question for the matcher, or an alert: :func:`is_alert`).
    ``found`` is ``words_of(text)``, when the caller has it already."""
    found = words_of(text) if found is None else found
    if not found:
        return None
    wordset = set(found)
    cry = {_help_word(w, words) for w in found}
    if not cry.isdisjoint(words.help_words) and all(w in words.help_words or w in words.filler_words for w in cry):
        return Routed("emergency")
    joined = _joined(found)
    if any(phrase in joined for phrase in _padded(words.here_now)) and (
        wordset & words.agent_words or len(found) <= words.short_message_words
    ):
        return Routed("emergency")
    asked = [lang for lang, names in words.language_names.items() if wordset & names]
    if len(asked) == 1 and wordset <= words.language_words | words.language_names[asked[0]]:
        return Routed("language", asked[0])
    smalltalk, address = words.smalltalk_words, words.address_words
    if not wordset <= address and all(w in smalltalk or w in address for w in wordset):
        return Routed("smalltalk")
    return None


def names_the_card(
    text: str, words: RoutingWords, card_names: Collection[str], typed: bool = False, found: list[str] | None = None
) -> bool:
    """True when a query asks for the rights card and nothing else: a card command name ("card",
    "tarjeta", plural too) plus only the card words ("rights card", "tarjeta de derechos"), so that
    "green card application" is not taken for it. A ``typed`` message must also say which card (one of
    ``card_kinds``: "red", "derechos"): "police want my card" or "necesito una tarjeta" may mean an ID.
    ``found`` is ``words_of(text)``, when the caller has it already."""
    said = {
        w[:-1] if w.endswith("s") and w[:-1] in card_names else w for w in (words_of(text) if found is None else found)
    }
    if typed and not said & words.card_kinds:
        return False
    return not said.isdisjoint(card_names) and all(w in words.card_words or w in card_names for w in said)


def is_alert(text: str, words: RoutingWords) -> bool:
    """True for an alert-shaped message: :func:`alert_kind` is not None."""
    return alert_kind(text, words) is not None


def alert_kind(text: str, words: RoutingWords, found: list[str] | None = None) -> str | None:
    """How a message is alert-shaped (routing.yaml's ``alert_*`` lists): ``'share'`` when it says to pass
    it on (an alert whatever it is about), ``'shape'`` when it says agents are coming somewhere or names a
    checkpoint or a raid with a coming time (unless it asks what to do about one's own situation: "hubo
    una redada hoy en mi trabajo, ¿qué hago?"), None otherwise. ``found`` is ``words_of(text)``, when the
    caller has it already."""
    found = words_of(text) if found is None else found
    if not found:
        return None
    joined = _joined(found)
    wordset = set(found)
    if any(phrase in joined for phrase in _padded(words.alert_share)):
        return "share"
    if len(found) > ALERT_MAX_WORDS:
        return None  # a long story that mentions a raid is someone's situation, not a warning to pass on
    if wordset & words.agent_words and any(phrase in joined for phrase in _padded(words.alert_coming)):
        return "shape"
    warned = any(phrase in joined for phrase in _padded(words.alert_words))  # words and phrases ("puesto de control")
    asks_for_self = any(phrase in joined for phrase in _padded(words.own_question))  # "hubo una redada, ¿qué hago?"
    return "shape" if warned and bool(wordset & words.alert_times) and not asks_for_self else None
