"""Loading and validating the knowledge base: every mistake a writer can make is reported as
``file:line: problem``, both by ``load_knowledge`` and by ``kyr-bot check``, and nothing is half-loaded."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from bot.i18n import check_catalogs
from bot.knowledge import MAX_ANSWER_CHARS, MIN_QUESTIONS, KnowledgeError, load_knowledge
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
    if name == "unknown-placeholder":
        line = UNKNOWN_PLACEHOLDER_LINE
    elif isinstance(where, int):
        line = where
    else:
        line = line_of(broken, where)
    return path, line, words


def problem_lines(exc: KnowledgeError) -> list[str]:
    return [str(p) for p in exc.problems]


# --------------------------------------------------------------------------- the real knowledge base


@pytest.fixture(scope="module")
def real_kb():
    return load_knowledge(KNOWLEDGE)


def test_sample_entry_is_valid(tmp_path):
    """The baseline the breakage tests start from loads cleanly (else they would prove nothing)."""
    kb_dir = copy_kb(tmp_path / "kb")
    (kb_dir / "entries" / f"{SAMPLE_ID}.yaml").write_text(SAMPLE, encoding="utf-8")
    kb = load_knowledge(kb_dir)
    assert kb.entry(SAMPLE_ID).text("es").title == "Una entrada de ejemplo"


def test_real_knowledge_base_loads_cleanly(real_kb):
    assert real_kb.languages == ("en", "es")
    assert len(real_kb.entries) >= 20
    assert real_kb.topics and real_kb.emergency


def test_every_entry_has_both_languages_enough_questions_and_short_answers(real_kb):
    for entry in real_kb.entries.values():
        assert set(entry.texts) == {"en", "es"}, entry.id
        for lang, text in entry.texts.items():
            assert text.title.strip(), (entry.id, lang)
            assert len(text.questions) >= MIN_QUESTIONS, (entry.id, lang)
            assert 0 < len(text.answer) <= MAX_ANSWER_CHARS, (entry.id, lang)


def test_every_answer_has_a_source_and_valid_related(real_kb):
    for entry in real_kb.entries.values():
        if entry.kind == "answer":
            assert entry.sources, entry.id
        for rid in entry.related:
            assert rid in real_kb.entries and rid != entry.id, (entry.id, rid)


def test_emergency_entries_have_an_officer_statement(real_kb):
    for eid in real_kb.emergency:
        assert real_kb.entries[eid].officer_statement, eid


def test_check_passes_on_the_real_repository():
    env = {k: v for k, v in os.environ.items() if k not in ("KYR_KNOWLEDGE_DIR", "KYR_LOCALES_DIR")}
    result = subprocess.run([str(KYR_BOT), "check"], capture_output=True, text=True, env=env, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "OK" in result.stdout


# --------------------------------------------------------------------------- broken knowledge bases


@pytest.mark.parametrize("name", sorted(BREAKAGES))
def test_load_reports_file_line_and_problem(tmp_path, name):
    kb_dir = copy_kb(tmp_path / "kb")
    path, line, words = break_kb(kb_dir, name)
    with pytest.raises(KnowledgeError) as info:
        load_knowledge(kb_dir)
    problems = info.value.problems
    matching = [p for p in problems if p.path == path and p.line == line]
    assert matching, f"expected a problem at {path.name}:{line}, got:\n" + "\n".join(problem_lines(info.value))
    message = matching[0].message
    for word in words:
        assert word in message, (word, message)
    # The text a user sees is exactly ``path:line: message``.
    assert str(matching[0]) == f"{path}:{line}: {message}"
    # One mistake, one problem: no cascade of follow-on errors.
    assert len(problems) == 1, problem_lines(info.value)


def test_yaml_syntax_error_points_at_the_broken_line(tmp_path):
    kb_dir = copy_kb(tmp_path / "kb")
    broken = replace_once(SAMPLE, "    - pregunta de ejemplo tres", "    - pregunta: de: ejemplo tres")
    path = kb_dir / "entries" / f"{SAMPLE_ID}.yaml"
    path.write_text(broken, encoding="utf-8")
    with pytest.raises(KnowledgeError) as info:
        load_knowledge(kb_dir)
    (problem,) = info.value.problems
    assert (problem.path, problem.line) == (path, line_of(broken, "pregunta: de: ejemplo"))


def test_unknown_related_id_is_reported(tmp_path):
    kb_dir = copy_kb(tmp_path / "kb")
    path = kb_dir / "entries" / f"{SAMPLE_ID}.yaml"
    path.write_text(replace_once(SAMPLE, "related: [detainer-basics]", "related: [detainer-basic]"), encoding="utf-8")
    with pytest.raises(KnowledgeError) as info:
        load_knowledge(kb_dir)
    (problem,) = info.value.problems
    assert problem.path == path
    assert "'detainer-basic'" in problem.message and "does not exist" in problem.message


def test_unknown_related_id_points_at_the_related_line(tmp_path):
    kb_dir = copy_kb(tmp_path / "kb")
    text = "# a comment line\n" + replace_once(SAMPLE, "related: [detainer-basics]", "related: [detainer-basic]")
    path = kb_dir / "entries" / f"{SAMPLE_ID}.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(KnowledgeError) as info:
        load_knowledge(kb_dir)
    (problem,) = info.value.problems
    assert problem.line == line_of(text, "related:")


@pytest.mark.parametrize("bad_date", ["2026-13-45", "2026-02-30"])
def test_impossible_review_date_is_a_problem_not_a_crash(tmp_path, bad_date):
    kb_dir = copy_kb(tmp_path / "kb")
    text = replace_once(SAMPLE, "reviewed: 2026-01-15", f"reviewed: {bad_date}")
    path = kb_dir / "entries" / f"{SAMPLE_ID}.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(KnowledgeError) as info:
        load_knowledge(kb_dir)
    (problem,) = info.value.problems
    assert (problem.path, problem.line) == (path, line_of(text, "reviewed:"))


def test_lexicon_boolean_key_is_reported(tmp_path):
    kb_dir = copy_kb(tmp_path / "kb")
    path = kb_dir / "lexicon.yaml"
    text = replace_once(path.read_text(encoding="utf-8"), "  pls: please\n", "  pls: please\n  on: encendido\n")
    path.write_text(text, encoding="utf-8")
    with pytest.raises(KnowledgeError) as info:
        load_knowledge(kb_dir)
    assert any(p.path == path and p.line == line_of(text, "  on: encendido") for p in info.value.problems)


def test_never_half_loaded(tmp_path):
    """One broken entry among many good ones: nothing is loaded, and only that entry is blamed."""
    kb_dir = copy_kb(tmp_path / "kb")
    emergency = set(yaml.safe_load((kb_dir / "settings.yaml").read_text(encoding="utf-8"))["emergency"])
    victim = [p for p in sorted((kb_dir / "entries").glob("*.yaml")) if p.stem not in emergency][-1]
    text = victim.read_text(encoding="utf-8")
    victim.write_text(re.sub(r"(?m)^es:\n(.*\n)*", "", text), encoding="utf-8")
    kb = None
    with pytest.raises(KnowledgeError) as info:
        kb = load_knowledge(kb_dir)
    assert kb is None
    assert {p.path for p in info.value.problems} == {victim}
    assert "no 'es' block" in info.value.problems[0].message


def test_missing_knowledge_directory(tmp_path):
    with pytest.raises(KnowledgeError) as info:
        load_knowledge(tmp_path / "nowhere")
    assert "not found" in str(info.value)


# --------------------------------------------------------------------------- through `kyr-bot check`


def run_check(kb_dir: Path, locales: Path | None = None) -> subprocess.CompletedProcess:
    env = dict(os.environ, KYR_KNOWLEDGE_DIR=str(kb_dir))
    env.pop("KYR_LOCALES_DIR", None)
    if locales is not None:
        env["KYR_LOCALES_DIR"] = str(locales)
    return subprocess.run([str(KYR_BOT), "check"], capture_output=True, text=True, env=env, timeout=60)


def test_check_reports_every_kind_of_problem(tmp_path):
    """All breakages at once, each in its own file or line: one `kyr-bot check` run must name every one.

    (Entry breakages go into separate copies of the sample entry, each under its own file name.)
    """
    kb_dir = copy_kb(tmp_path / "kb")
    expected: list[str] = []
    for name, (rel, edit, where, words) in BREAKAGES.items():
        if rel.startswith("entries/"):
            text = edit("")
            if name == "id-not-file-name":
                path = kb_dir / "entries" / f"{SAMPLE_ID}.yaml"
            else:
                # Give each broken copy its own id and file so the problems do not collide.
                new_id = f"sample-{name}"[:40].rstrip("-")
                text = text.replace(f"id: {SAMPLE_ID}", f"id: {new_id}", 1)
                path = kb_dir / "entries" / f"{new_id}.yaml"
            path.write_text(text, encoding="utf-8")
            if name == "unknown-placeholder":
                line = UNKNOWN_PLACEHOLDER_LINE
            elif isinstance(where, int):
                line = where
            else:
                line = line_of(text, where)
        else:
            path = kb_dir / rel
            text = edit(path.read_text(encoding="utf-8"))
            path.write_text(text, encoding="utf-8")
            line = line_of(text, where)
        expected.append((name, f"{path}:{line}: ", words))
    result = run_check(kb_dir)
    assert result.returncode != 0
    stderr_lines = result.stderr.splitlines()
    for name, prefix, words in expected:
        hits = [s for s in stderr_lines if s.startswith(prefix) and all(w in s for w in words)]
        assert hits, f"{name}: no line starting {prefix!r} with {words} in:\n{result.stderr}"
    assert "problem(s)" in stderr_lines[-1]


@pytest.fixture
def broken_locales(tmp_path):
    """A copy of the catalogs with a fuzzy flag in Spanish and an empty msgstr in English."""
    locales = tmp_path / "locales"
    shutil.copytree(LOCALES, locales)
    es = locales / "es" / "LC_MESSAGES" / "messages.po"
    text = es.read_text(encoding="utf-8")
    text = replace_once(text, '\nmsgid "All topics"\n', '\n#, fuzzy\nmsgid "All topics"\n')
    es.write_text(text, encoding="utf-8")
    en = locales / "en" / "LC_MESSAGES" / "messages.po"
    en_text = en.read_text(encoding="utf-8")
    en_text = re.sub(r'(\nmsgid "Choose a topic:"\nmsgstr )"[^"\n]*"', r'\1""', en_text)
    assert 'msgid "Choose a topic:"\nmsgstr ""\n' in en_text
    en.write_text(en_text, encoding="utf-8")
    return locales, es, line_of(text, 'msgid "All topics"'), en, line_of(en_text, 'msgid "Choose a topic:"')


def test_check_catalogs_finds_fuzzy_and_empty_translations(broken_locales):
    locales, es, es_line, en, en_line = broken_locales
    problems = check_catalogs(("en", "es"), locales)
    assert {(p.path, p.line) for p in problems} == {(es, es_line), (en, en_line)}
    by_path = {p.path: p.message for p in problems}
    assert "fuzzy" in by_path[es] and "All topics" in by_path[es]
    assert "missing translation" in by_path[en] and "Choose a topic:" in by_path[en]


def test_check_catalogs_finds_missing_and_unreadable_catalogs(tmp_path):
    locales = tmp_path / "locales"
    shutil.copytree(LOCALES, locales)
    es = locales / "es" / "LC_MESSAGES" / "messages.po"
    es.unlink()
    en = locales / "en" / "LC_MESSAGES" / "messages.po"
    en.write_text(en.read_text(encoding="utf-8") + '\nmsgid "unterminated\n', encoding="utf-8")
    problems = check_catalogs(("en", "es"), locales)
    assert any(p.path == es and "no translation catalog" in p.message for p in problems)
    assert any(p.path == en and "cannot read" in p.message for p in problems)


def test_check_fails_naming_the_broken_catalog(broken_locales):
    locales, es, es_line, en, en_line = broken_locales
    result = run_check(KNOWLEDGE, locales)
    assert result.returncode != 0
    assert f"{es}:{es_line}: fuzzy translation of 'All topics'" in result.stderr
    assert f"{en}:{en_line}: missing translation of 'Choose a topic:'" in result.stderr


def test_check_reports_an_answer_too_long_for_a_phone_at_its_line(tmp_path):
    """A writer who makes an answer run past two phone screens learns it from `kyr-bot check`, at the
    answer's line, with how long it shows."""
    kb_dir = copy_kb(tmp_path / "kb")
    entry = kb_dir / "entries" / "registration.yaml"
    text = entry.read_text(encoding="utf-8")
    kb = load_knowledge()
    room = MAX_ANSWER_CHARS - len(kb.entries["registration"].text("en").answer) - 10  # still under the raw cap
    padding = (" Registering gives no status and no work permit." * 20)[:room]
    lines = text.splitlines(keepends=True)
    es_at = next(i for i, line in enumerate(lines) if line.startswith("es:"))
    answer_at = next(i for i, line in enumerate(lines) if line.startswith("  answer:") and i < es_at)
    lines[answer_at + 1] = lines[answer_at + 1].rstrip("\n") + padding + "\n"
    entry.write_text("".join(lines), encoding="utf-8")
    result = run_check(kb_dir)
    assert result.returncode == 1, result.stderr
    (problem,) = [line for line in result.stderr.splitlines() if "on a phone" in line]
    assert problem.startswith(f"{entry}:{answer_at + 1}: en: the answer shows ")
    assert "keep it to 1200" in problem and int(problem.split("shows ")[1].split()[0]) > 1200
