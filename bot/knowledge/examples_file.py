"""Validating ``examples/*.yaml``: messages written the way people really ask, labelled with the entry
that answers them.

Examples teach the learned ranker only (:mod:`bot.ranker`); they are never shown and the lexical scorer
does not read them, so long stories and slang can be added here without making every entry's
vocabulary noisier. Each file is a list of ``{id: <entry id>, <lang>: [message, ...]}``; an 'unsupported'
entry's examples teach the ranker what to fall back on.
"""

from __future__ import annotations

from pathlib import Path

from .. import textnorm
from ..yamlfile import LineDict, LineList, load_yaml
from .checks import Checker, is_text
from .model import Entry, TrainingExample


def read_examples(
    chk: Checker, directory: Path, langs: tuple[str, ...], entries: dict[str, Entry], broken: set[str]
) -> tuple[TrainingExample, ...]:
    """Every example in ``directory/examples/*.yaml`` (no folder: none). An unknown entry id or
    language, or a blank or non-text message, is a problem at its ``file:line``; a message that repeats
    another example or an entry's own phrasing is a warning (it teaches nothing new). Examples of an
    entry in ``broken`` (whose file has problems of its own, already reported) are skipped quietly."""
    folder = directory / "examples"
    paths = sorted(folder.glob("*.yaml")) if folder.is_dir() else []
    seen = {_key(q) for e in entries.values() for t in e.texts.values() for q in t.questions}
    out: list[TrainingExample] = []
    for path in paths:
        data = load_yaml(path, chk.problems)
        if data is None:
            continue
        if not isinstance(data, LineList):
            chk.err(path, 1, "expected a list of {id: <entry id>, <language>: [message, ...]}")
            continue
        for i, item in enumerate(data):
            out.extend(_item(chk, path, data.line_of(i), item, langs, entries, broken, seen))
    return tuple(out)


def _key(text: str) -> str:
    """What makes two messages the same: their folded words ('¿Qué pasa?' and 'que pasa')."""
    return " ".join(textnorm.words(text))


def _item(
    chk: Checker,
    path: Path,
    line: int,
    item: object,
    langs: tuple[str, ...],
    entries: dict[str, Entry],
    broken: set[str],
    seen: set[str],
) -> list[TrainingExample]:
    if not isinstance(item, LineDict):
        chk.err(path, line, "each item needs 'id' (an entry) and a list of messages per language")
        return []
    eid = item.get("id")
    if eid in broken:
        return []
    if eid not in entries:
        chk.err(path, item.line_of("id"), f"'id' {eid!r} is not an entry in entries/")
        return []
    out: list[TrainingExample] = []
    for key, messages in item.items():
        if key == "id":
            continue
        if key not in langs:
            chk.err(path, item.line_of(key), f"unknown key {key!r} (a typo, or a language not in settings.yaml?)")
            continue
        if not isinstance(messages, LineList):
            chk.err(path, item.line_of(key), f"'{key}' must be a list of messages")
            continue
        for j, text in enumerate(messages):
            if not is_text(text):
                chk.err(path, messages.line_of(j), f"{key} has an empty or non-text message: put it in quotes")
                continue
            folded = _key(text)
            if folded in seen:
                chk.warn(path, messages.line_of(j), "this message repeats another example or phrasing")
                continue
            seen.add(folded)
            out.append(TrainingExample(str(eid), str(key), text.strip()))
    return out
