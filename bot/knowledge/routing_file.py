"""Validating ``routing.yaml``: the words that mark messages which are not questions."""

from __future__ import annotations

from pathlib import Path

from bot.knowledge.checks import Checker
from bot.knowledge.model import RoutingWords
from bot.textnorm import message_words
from bot.yamlfile import LineDict

_SETS = (
    "help_words",
    "filler_words",
    "agent_words",
    "language_words",
    "smalltalk_words",
    "card_words",
    "card_kinds",
    "address_words",
    "possessive_words",
)


ALERT_LISTS = ("alert_share", "alert_coming", "alert_words", "alert_times", "own_question")


def _as_typed(words: str) -> str:
    """A word or phrase from the file, read the way bot/routing.py reads a message ('Están aquí' ->
    'estan aqui', "they're" -> 'theyre')."""
    return " ".join(message_words(words))


def read_routing(chk: Checker, directory: Path, langs: tuple[str, ...], entries: set[str]) -> RoutingWords:
    """The routing words (an absent file routes nothing); ``smalltalk_entry`` must be one of ``entries``."""
    path = directory / "routing.yaml"
    if not path.exists():
        return RoutingWords()
    data = chk.mapping(path)
    if data is None:
        return RoutingWords()
    phrase_lists = ("here_now", *ALERT_LISTS)
    lists = chk.word_lists(path, LineDict({k: data[k] for k in (*_SETS, *phrase_lists) if k in data}), "")
    names_raw = data.get("language_names", LineDict())
    names: dict[str, frozenset[str]] = {}
    if isinstance(names_raw, LineDict):
        names = {lang: frozenset(map(_as_typed, ws)) for lang, ws in chk.word_lists(path, names_raw, "").items()}
        for lang in names:
            if lang not in langs:
                chk.err(path, names_raw.line_of(lang), f"language_names has {lang!r}, not a language in settings.yaml")
    else:
        chk.err(path, data.line_of("language_names"), "'language_names' must map a language to its names")
    short = data.get("short_message_words", 5)
    if not isinstance(short, int) or short < 0:
        chk.err(path, data.line_of("short_message_words"), "'short_message_words' must be a whole number")
        short = 5

    smalltalk_entry = data.get("smalltalk_entry")
    if smalltalk_entry is not None and smalltalk_entry not in entries:
        chk.err(path, data.line_of("smalltalk_entry"), f"smalltalk_entry {smalltalk_entry!r} is not an entry")
        smalltalk_entry = None
    alert_entry = data.get("alert_entry")
    if alert_entry is not None and alert_entry not in entries:
        chk.err(path, data.line_of("alert_entry"), f"alert_entry {alert_entry!r} is not an entry")
        alert_entry = None

    def folded(key: str) -> frozenset[str]:
        return frozenset(map(_as_typed, lists.get(key, ())))

    return RoutingWords(
        help_words=folded("help_words"),
        filler_words=folded("filler_words"),
        here_now=tuple(sorted(map(_as_typed, lists.get("here_now", ())))),
        agent_words=folded("agent_words"),
        short_message_words=short,
        language_names={k: v for k, v in names.items() if k in langs},
        language_words=folded("language_words"),
        smalltalk_words=folded("smalltalk_words"),
        card_words=folded("card_words"),
        card_kinds=folded("card_kinds"),
        address_words=folded("address_words"),
        possessive_words=folded("possessive_words"),
        smalltalk_entry=smalltalk_entry,
        alert_share=tuple(sorted(map(_as_typed, lists.get("alert_share", ())))),
        alert_coming=tuple(sorted(map(_as_typed, lists.get("alert_coming", ())))),
        alert_words=folded("alert_words"),
        alert_times=folded("alert_times"),
        own_question=tuple(sorted(map(_as_typed, lists.get("own_question", ())))),
        alert_entry=alert_entry,
    )
