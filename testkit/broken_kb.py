"""Knowledge bases broken on purpose, for the tests of loading and `kyr-bot check`: a valid sample entry
of our own added to a copy of the real knowledge base, and each breakage a writer can make, with the
file, line and words the report must name."""

from __future__ import annotations

import re
import shutil
import sys
from pathlib import Path

from bot.knowledge import MAX_ANSWER_CHARS, MIN_QUESTIONS
from testkit.paths import ROOT

KNOWLEDGE = ROOT / "knowledge"
LOCALES = ROOT / "locales"
KYR_BOT = Path(sys.executable).with_name("kyr-bot")

# A valid entry of our own, added to a copy of the real knowledge base, so that each test breaks exactly
# one thing at a line we know (the real entries are being edited while these tests run).
SAMPLE_ID = "sample-entry"
SAMPLE = """\
id: sample-entry
reviewed: 2026-01-15
related: [detainer-basics]
sources:
  - title: "Example source"
    url: https://example.org/rights
en:
  title: A sample entry
  questions:
    - sample question one
    - sample question two
    - sample question three
    - sample question four
    - sample question five
    - sample question six
    - sample question seven
    - sample question eight
  answer: |
    A short sample answer. Call {aclu_phone} for help.
es:
  title: Una entrada de ejemplo
  questions:
    - pregunta de ejemplo uno
    - pregunta de ejemplo dos
    - pregunta de ejemplo tres
    - pregunta de ejemplo cuatro
    - pregunta de ejemplo cinco
    - pregunta de ejemplo seis
    - pregunta de ejemplo siete
    - pregunta de ejemplo ocho
  answer: |
    Una respuesta corta de ejemplo.
"""


def line_of(text: str, needle: str, nth: int = 1) -> int:
    """1-based line number of the nth line containing ``needle``."""
    hits = [i for i, line in enumerate(text.splitlines(), start=1) if needle in line]
    assert len(hits) >= nth, f"{needle!r} not found {nth} time(s)"
    return hits[nth - 1]


def replace_once(text: str, old: str, new: str) -> str:
    assert text.count(old) == 1, f"{old!r} occurs {text.count(old)} times"
    return text.replace(old, new)


def copy_kb(dest: Path) -> Path:
    shutil.copytree(KNOWLEDGE, dest)
    return dest


# Each breakage: (file to write, relative to the knowledge dir; function text -> broken text;
# the needle whose line the problem must be reported at, or an int line; words the message must contain).
def _sample(edit):
    return lambda _original: edit(SAMPLE)


def _long_answer(text: str) -> str:
    long = "This sentence is filler text for a long answer. " * 20
    assert len(long.strip()) > MAX_ANSWER_CHARS
    return replace_once(text, "    A short sample answer. Call {aclu_phone} for help.", "    " + long)


BREAKAGES = {
    "yaml-syntax": (
        "entries/sample-entry.yaml",
        _sample(lambda t: replace_once(t, "  title: A sample entry", "  title: Answer: a sample: entry")),
        "title: Answer: a sample",
        ["YAML syntax error"],
    ),
    "duplicate-key": (
        "entries/sample-entry.yaml",
        _sample(
            lambda t: replace_once(
                t, "  title: Una entrada de ejemplo", "  title: Una entrada de ejemplo\n  title: Otra vez"
            )
        ),
        "title: Otra vez",
        ["duplicate key", "title"],
    ),
    "missing-language-block": (
        "entries/sample-entry.yaml",
        _sample(lambda t: t[: t.index("\nes:\n") + 1]),
        1,
        ["no 'es' block"],
    ),
    "empty-answer": (
        "entries/sample-entry.yaml",
        _sample(lambda t: replace_once(t, "  answer: |\n    Una respuesta corta de ejemplo.\n", '  answer: ""\n')),
        'answer: ""',
        ["es.answer", "missing or empty"],
    ),
    "too-few-questions": (
        "entries/sample-entry.yaml",
        _sample(lambda t: re.sub(r"(    - sample question (four|five|six|seven|eight)\n)", "", t)),
        "  questions:",
        ["en.questions", "3 phrasings", f"at least {MIN_QUESTIONS}"],
    ),
    "answer-too-long": (
        "entries/sample-entry.yaml",
        _sample(_long_answer),
        "  answer: |",
        ["en.answer", "characters", str(MAX_ANSWER_CHARS)],
    ),
    "unknown-placeholder": (
        "entries/sample-entry.yaml",
        _sample(lambda t: replace_once(t, "Una respuesta corta de ejemplo.", "Escriba a {nope}.")),
        "Una entrada de ejemplo",  # placeholder checked at the es answer: see needle below
        ["unknown placeholder {nope}"],
    ),
    "stray-brace": (
        "entries/sample-entry.yaml",
        _sample(lambda t: replace_once(t, "Call {aclu_phone} for help.", "Call {aclu_phone for help.")),
        "  answer: |",
        ["braces"],
    ),
    "bad-url": (
        "entries/sample-entry.yaml",
        _sample(lambda t: replace_once(t, "url: https://example.org/rights", "url: htps//example org")),
        "url: htps//example org",
        ["source URL", "not a well-formed"],
    ),
    "answer-without-sources": (
        "entries/sample-entry.yaml",
        _sample(
            lambda t: replace_once(
                t, 'sources:\n  - title: "Example source"\n    url: https://example.org/rights\n', "sources: []\n"
            )
        ),
        "sources: []",
        ["needs at least one source"],
    ),
    "id-not-file-name": (
        "entries/sample-entry.yaml",
        _sample(lambda t: replace_once(t, "id: sample-entry", "id: sample-entri")),
        "id: sample-entri",
        ["'sample-entri'", "does not match the file name", "sample-entry.yaml"],
    ),
    "future-review-date": (
        "entries/sample-entry.yaml",
        _sample(lambda t: replace_once(t, "reviewed: 2026-01-15", "reviewed: 2099-01-15")),
        "reviewed: 2099-01-15",
        ["2099-01-15", "in the future"],
    ),
    "malformed-date": (
        "entries/sample-entry.yaml",
        _sample(lambda t: replace_once(t, "reviewed: 2026-01-15", "reviewed: 15/01/2026")),
        "reviewed: 15/01/2026",
        ["'reviewed' must be a date"],
    ),
    "unknown-top-level-key": (
        "entries/sample-entry.yaml",
        _sample(
            lambda t: replace_once(
                t, "related: [detainer-basics]", "related: [detainer-basics]\nrelatd: [judicial-warrant]"
            )
        ),
        "relatd:",
        ["unknown key 'relatd'"],
    ),
    "topic-lists-unknown-entry": (
        "settings.yaml",
        lambda t: replace_once(t, "entries: [detainer-basics,", "entries: [no-such-entry, detainer-basics,"),
        "no-such-entry",
        ["topic group 'detainers'", "unknown entry 'no-such-entry'"],
    ),
    "emergency-without-officer-statement": (
        "settings.yaml",
        lambda t: replace_once(t, "emergency: [ice-at-door,", "emergency: [judicial-warrant, ice-at-door,"),
        "emergency: [judicial-warrant",
        ["emergency entry 'judicial-warrant'", "no officer_statement"],
    ),
    "lexicon-boolean-word": (
        "lexicon.yaml",
        lambda t: replace_once(t, ' "on", at,', " on, at,"),
        "  en: [a, an, the",  # the stop-word list that holds the bare `on`
        ["stopwords.en", "True", "quotes"],
    ),
    "lexicon-boolean-synonym": (
        "lexicon.yaml",
        lambda t: replace_once(t, "  - [letter, carta]\n", "  - [letter, carta]\n  - [yes, si, ok]\n"),
        "  - [yes, si, ok]",
        ["synonym group", "in quotes"],
    ),
}
# The unknown placeholder is in the Spanish answer: its line is the es `answer:` key.
UNKNOWN_PLACEHOLDER_LINE = line_of(SAMPLE, "  answer: |", 2)


def break_kb(kb_dir: Path, name: str) -> tuple[Path, int, list[str]]:
    """Apply one breakage; return the broken file, the expected line and the message words."""
    rel, edit, where, words = BREAKAGES[name]
    path = kb_dir / rel
    original = path.read_text(encoding="utf-8") if path.exists() else ""
    broken = edit(original)
    path.write_text(broken, encoding="utf-8")
    return path, reported_line(name, broken), words


def reported_line(name: str, broken: str) -> int:
    """The line a report must name for breakage ``name``, whose file now reads ``broken``."""
    where = BREAKAGES[name][2]
    if name == "unknown-placeholder":
        return UNKNOWN_PLACEHOLDER_LINE
    return where if isinstance(where, int) else line_of(broken, where)
