"""`kyr-bot check` on broken knowledge bases: every mistake a writer can make is named as
``file:line: problem`` in one run, and the UI catalogs are checked too."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from bot.i18n import check_catalogs
from bot.knowledge import MAX_ANSWER_CHARS, load_knowledge
from testkit.broken_kb import (
    BREAKAGES,
    KNOWLEDGE,
    KYR_BOT,
    LOCALES,
    SAMPLE_ID,
    copy_kb,
    line_of,
    replace_once,
    reported_line,
)

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
            line = reported_line(name, text)
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
