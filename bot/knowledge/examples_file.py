"""Validating ``examples/*.yaml``: messages written the way people really ask, labelled with the entry
that answers them.

Examples teach the learned ranker only (:mod:`bot.ranker`); they are never shown and the lexical scorer
does not read them, so long stories and slang can be added here without making every entry's
vocabulary noisier. Each file is a list of ``{id: <entry id>, <lang>: [message, ...]}``; an 'unsupported'
entry's examples teach the ranker what to fall back on.
"""

from __future__ import annotations

from pathlib import Path

from bot import textnorm
from bot.knowledge.checks import Checker, is_text
from bot.knowledge.model import Entry, TrainingExample
from bot.yamlfile import LineDict, LineList, Problem, load_yaml


def read_examples(
    chk: Checker, directory: Path, langs: tuple[str, ...], entries: dict[str, Entry], broken: set[str]
) -> tuple[TrainingExample, ...]:
    """Every example in ``directory/examples/*.yaml`` (no folder: none). Each of these is a problem at
    its ``file:line``: an unknown entry id or language, an item with no messages, a blank message or
    one with no words, and a message that repeats an example or phrasing of another entry (the same
    words cannot teach two answers). Repeating one of the same entry is a warning (it teaches nothing
    new). Examples of an entry in ``broken`` (whose own file has problems, already reported) are
    skipped quietly. A ``.yml`` file is a problem too: rename it ``.yaml``, as the entries are."""
    folder = directory / "examples"
    if not folder.is_dir():
        return ()
    for stray in sorted(folder.glob("*.yml")):
        chk.err(stray, 1, "examples are read from .yaml files only: rename this file to .yaml")
    seen = _phrasings(entries)
    out: list[TrainingExample] = []
    for path in sorted(folder.glob("*.yaml")):
        out.extend(_read_file(chk, path, langs, entries, broken, seen))
    return tuple(out)


def check_example_file(
    chk: Checker, path: Path, langs: tuple[str, ...], entries: dict[str, Entry], examples: tuple[TrainingExample, ...]
) -> list[Problem]:
    """The problems :func:`read_examples` would report in ``path``, an examples file kept outside the
    knowledge base's ``examples/`` (``kyr-bot review --out``), read beside that knowledge base's
    ``entries`` and ``examples``; also recorded in ``chk``."""
    seen = _phrasings(entries)
    for example in examples:
        seen.setdefault(example_key(example.text), (example.entry_id, "an example in examples/"))
    before = len(chk.problems)
    _read_file(chk, path, langs, entries, set(), seen)
    return chk.problems[before:]


def _phrasings(entries: dict[str, Entry]) -> dict[str, tuple[str, str]]:
    seen: dict[str, tuple[str, str]] = {}
    for entry in entries.values():
        for text in entry.texts.values():
            for q in text.questions:
                seen.setdefault(example_key(q), (entry.id, f"a phrasing in entries/{entry.id}.yaml"))
    return seen


def _read_file(
    chk: Checker,
    path: Path,
    langs: tuple[str, ...],
    entries: dict[str, Entry],
    broken: set[str],
    seen: dict[str, tuple[str, str]],
) -> list[TrainingExample]:
    data = load_yaml(path, chk.problems)
    if data is None:
        return []
    if not isinstance(data, LineList):
        chk.err(path, 1, "expected a list of {id: <entry id>, <language>: [message, ...]}")
        return []
    out: list[TrainingExample] = []
    for i, item in enumerate(data):
        out.extend(_item(chk, path, data.line_of(i), item, langs, entries, broken, seen))
    return out


def example_key(text: str) -> str:
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
    seen: dict[str, tuple[str, str]],
) -> list[TrainingExample]:
    if not isinstance(item, LineDict):
        chk.err(path, line, "each item needs 'id' (an entry) and a list of messages per language")
        return []
    eid = item.get("id")
    if not isinstance(eid, str) or eid not in entries:
        if not (isinstance(eid, str) and eid in broken):
            chk.err(path, item.line_of("id"), f"'id' {eid!r} is not an entry in entries/")
        return []
    if not any(key in langs for key in item):
        chk.err(path, item.line, f"no messages for {eid!r}: add a list under a language ({', '.join(langs)})")
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
            where = messages.line_of(j)
            if not is_text(text):
                chk.err(path, where, f"{key} has an empty or non-text message: put it in quotes")
                continue
            folded = example_key(text)
            if not folded:
                chk.err(path, where, "this message has no words (only punctuation or symbols)")
                continue
            if folded in seen:
                other, place = seen[folded]
                if other != eid:
                    chk.err(path, where, f"the same words are labelled {other!r} in {place}: keep one label")
                else:
                    chk.warn(path, where, f"this message repeats {place}")
                continue
            seen[folded] = (eid, f"{path.name}:{where}")
            out.append(TrainingExample(eid, str(key), text.strip()))
    return out
