"""Telling apart, before any matching, the messages that are not questions: a cry for help, agents
here now, a request to switch language, small talk. The words are data (``knowledge/routing.yaml``)."""

from __future__ import annotations

from dataclasses import dataclass

from rapidfuzz.distance import Levenshtein

from bot.knowledge.model import RoutingWords
from bot.textnorm import message_words

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
    for help_word in sorted(words.help_words):
        if Levenshtein.distance(word, help_word, score_cutoff=1) <= 1:
            return help_word
    return word


def route(text: str, words: RoutingWords) -> Routed | None:
    """Routed for a message that is a cry for help, says agents are here now, asks for a language or is
    small talk; None for everything else (a question for the matcher, or an alert: :func:`is_alert`)."""
    found = words_of(text)
    if not found:
        return None
    wordset = set(found)
    cry = {_help_word(w, words) for w in found}
    if cry & words.help_words and cry <= words.help_words | words.filler_words:
        return Routed("emergency")
    joined = " " + " ".join(found) + " "
    if any(f" {phrase} " in joined for phrase in words.here_now) and (
        wordset & words.agent_words or len(found) <= words.short_message_words
    ):
        return Routed("emergency")
    asked = [lang for lang, names in words.language_names.items() if wordset & names]
    if len(asked) == 1 and wordset <= words.language_words | words.language_names[asked[0]]:
        return Routed("language", asked[0])
    if wordset - words.address_words and wordset <= words.smalltalk_words | words.address_words:
        return Routed("smalltalk")
    return None


def names_the_card(text: str, words: RoutingWords, card_names: set[str], typed: bool = False) -> bool:
    """True when a query asks for the rights card and nothing else: a card command name ("card",
    "tarjeta", plural too) plus only the card words ("rights card", "tarjeta de derechos"), so that
    "green card application" is not taken for it. A ``typed`` message must also say which card (one of
    ``card_kinds``: "red", "derechos"): "police want my card" or "necesito una tarjeta" may mean an ID."""
    found = {w[:-1] if w.endswith("s") and w[:-1] in card_names else w for w in words_of(text)}
    if typed and not found & words.card_kinds:
        return False
    return bool(found & card_names) and found <= words.card_words | card_names


def is_alert(text: str, words: RoutingWords) -> bool:
    """True for an alert-shaped message: :func:`alert_kind` is not None."""
    return alert_kind(text, words) is not None


def alert_kind(text: str, words: RoutingWords) -> str | None:
    """How a message is alert-shaped (routing.yaml's ``alert_*`` lists): ``'share'`` when it says to pass
    it on (an alert whatever it is about), ``'shape'`` when it says agents are coming somewhere or names a
    checkpoint or a raid with a coming time (unless it asks what to do about one's own situation: "hubo
    una redada hoy en mi trabajo, ¿qué hago?"), None otherwise."""
    found = words_of(text)
    if not found:
        return None
    joined = " " + " ".join(found) + " "
    wordset = set(found)
    if any(f" {phrase} " in joined for phrase in words.alert_share):
        return "share"
    if len(found) > ALERT_MAX_WORDS:
        return None  # a long story that mentions a raid is someone's situation, not a warning to pass on
    if wordset & words.agent_words and any(f" {phrase} " in joined for phrase in words.alert_coming):
        return "shape"
    warned = any(f" {phrase} " in joined for phrase in words.alert_words)  # words and phrases ("puesto de control")
    asks_for_self = any(f" {phrase} " in joined for phrase in words.own_question)  # "hubo una redada, ¿qué hago?"
    return "shape" if warned and bool(wordset & words.alert_times) and not asks_for_self else None
