"""Loading and validating the knowledge base: every mistake a writer can make is reported as
``file:line: problem``, both by ``load_knowledge`` and by ``kyr-bot check``, and nothing is half-loaded."""

from __future__ import annotations

import os
import re
import subprocess

import pytest
import yaml

from bot.knowledge import MAX_ANSWER_CHARS, MIN_QUESTIONS, KnowledgeError, load_knowledge
from testkit.broken_kb import BREAKAGES, KNOWLEDGE, KYR_BOT, SAMPLE, SAMPLE_ID, break_kb, copy_kb, line_of, replace_once


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
