"""Validating ``lexicon.yaml`` and ``everyday_words.yaml``: the words that help the matcher."""

from __future__ import annotations

from pathlib import Path

from bot.knowledge.checks import Checker
from bot.knowledge.model import Lexicon
from bot.yamlfile import LineDict, LineList, line_of


def read_lexicon(chk: Checker, directory: Path) -> Lexicon:
    """Stop words, abbreviations, phrases, synonym groups, language hints and everyday words."""
    path = directory / "lexicon.yaml"
    if not path.exists():
        return Lexicon()
    data = chk.mapping(path)
    if data is None:
        return Lexicon()

    def words_by_lang(key: str) -> dict[str, frozenset[str]]:
        raw = data.get(key, LineDict())
        if not isinstance(raw, LineDict):
            chk.err(path, data.line_of(key), f"'{key}' must map language codes to lists of words")
            return {}
        return chk.word_lists(path, raw, f"{key}.")

    def str_map(key: str) -> dict[str, str]:
        raw = data.get(key, LineDict())
        if not isinstance(raw, LineDict):
            chk.err(path, data.line_of(key), f"'{key}' must map text to text")
            return {}
        out: dict[str, str] = {}
        for k, v in raw.items():
            if not isinstance(k, str) or not isinstance(v, str):
                bad = k if not isinstance(k, str) else v
                chk.err(path, raw.line_of(k), f"'{key}' has {bad!r}, which is not text: put it in quotes")
                continue
            out[k.lower()] = v.lower()
        return out

    groups_raw = data.get("synonyms", LineList())
    groups: list[tuple[str, ...]] = []
    if not isinstance(groups_raw, list):
        chk.err(path, data.line_of("synonyms"), "'synonyms' must be a list of word lists")
    else:
        for i, group in enumerate(groups_raw):
            if not isinstance(group, list) or len(group) < 2 or not all(isinstance(w, str) for w in group):
                chk.err(
                    path,
                    line_of(groups_raw, i),
                    "each synonym group must list two or more words (in quotes if yes/no/on/off/true/false)",
                )
                continue
            groups.append(tuple(w.lower() for w in group))
    everyday: dict[str, frozenset[str]] = {}
    everyday_path = directory / "everyday_words.yaml"
    if everyday_path.exists():
        raw = chk.mapping(everyday_path)
        if raw is not None:
            everyday = chk.word_lists(everyday_path, raw, "")
    return Lexicon(
        everyday=everyday,
        stopwords=words_by_lang("stopwords"),
        abbreviations=str_map("abbreviations"),
        phrases=str_map("phrases"),
        synonyms=tuple(groups),
        language_hints=words_by_lang("language_hints"),
    )
