"""The ``kyr-bot`` command line, run as a user runs it: a real process, real stdin/stdout/stderr.

All the commands are started at once (one process each) by a module fixture, so the whole file costs
about one interpreter start-up instead of one per test.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bot.cli import _offered
from bot.i18n import format_day, translator
from bot.matching.matcher import Alternative
from bot.screens.compose import render_entry, to_plain
from testkit.chat import CONV
from testkit.paths import ROOT

KYR_BOT = str(Path(sys.executable).with_name("kyr-bot"))
MODULE = [sys.executable, "-m", "bot"]

CHAT_SCRIPT = (
    "\n".join(
        [
            "what is an ICE detainer",
            "¿qué es una orden de retención migratoria?",
            "",
            "/topics",
            "1",  # the first topic group
            "/idioma",
            "2",  # Español
            "/topics",
            "quit",
            "what is 287g",  # after quit: must not be answered
        ]
    )
    + "\n"
)


@pytest.fixture(scope="module")
def broken_kb(tmp_path_factory) -> tuple[Path, Path, int]:
    kb_dir = tmp_path_factory.mktemp("broken") / "knowledge"
    shutil.copytree(ROOT / "knowledge", kb_dir)
    path = kb_dir / "entries" / "thanks.yaml"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    index = next(i for i, line in enumerate(lines) if line.startswith("reviewed:"))
    lines[index] = "reviewed: someday\n"
    path.write_text("".join(lines), encoding="utf-8")
    return kb_dir, path, index + 1


@pytest.fixture(scope="module")
def runs(broken_kb) -> dict[str, subprocess.CompletedProcess]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("KYR_KNOWLEDGE_DIR", "KYR_LOCALES_DIR", "KYR_OPERATOR", "LC_ALL", "LC_MESSAGES")
    }
    env.update(LANG="en_US.UTF-8", PYTHONIOENCODING="utf-8")
    broken_env = dict(env, KYR_KNOWLEDGE_DIR=str(broken_kb[0]))
    commands = {
        "ask_en": ([KYR_BOT, "ask", "what does an ICE detainer mean"], None, env),
        "ask_es": ([*MODULE, "ask", "¿qué es una orden de retención migratoria?"], None, env),
        "ask_force_es": ([KYR_BOT, "ask", "--lang", "es", "what does an ICE detainer mean"], None, env),
        "ask_neutral": ([*MODULE, "ask", "287(g)"], None, env),
        # -X importtime: every module the process imports, one line each on stderr.
        "ask_imports": ([sys.executable, "-X", "importtime", "-m", "bot", "ask", "what is a detainer"], None, env),
        "health_help": ([KYR_BOT, "health", "--help"], None, env),
        "ask_broken": ([KYR_BOT, "ask", "what does an ICE detainer mean"], None, broken_env),
        "match": (
            [*MODULE, "match", "--json"],
            "what does an ICE detainer mean\n\n   \nbest recipe for chocolate cake\r\nabogado\n",
            env,
        ),
        "export": ([KYR_BOT, "export", "--json"], None, env),
        "chat": ([KYR_BOT, "chat"], CHAT_SCRIPT, env),
        "chat_eof": ([*MODULE, "chat"], "hola", env),  # no newline, no quit: ends at end of input
    }
    procs = {
        name: subprocess.Popen(
            cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=e, cwd=ROOT
        )
        for name, (cmd, _, e) in commands.items()
    }
    out: dict[str, subprocess.CompletedProcess] = {}
    for name, proc in procs.items():
        stdin = commands[name][1]
        stdout, stderr = proc.communicate((stdin or "").encode("utf-8"), timeout=60)
        out[name] = subprocess.CompletedProcess(
            proc.args, proc.returncode, stdout.decode("utf-8"), stderr.decode("utf-8")
        )
    return out


def ok(run: subprocess.CompletedProcess) -> str:
    assert run.returncode == 0, run.stderr
    assert "Traceback" not in run.stderr
    return run.stdout


def assert_full_answer(text: str, kb, entry_id: str, lang: str) -> None:
    """What every answer carries: title, sources, review date, the ACLU contact, 'not legal advice'."""
    entry = kb.entries[entry_id]
    assert text.startswith(entry.text(lang).title), text[:200]
    for source in entry.sources:
        assert source.url in text
    values = kb.contacts.values_for(lang)
    assert values["aclu_website_short"] in text and values["aclu_phone"] in text
    if lang == "en":
        assert "Sources:" in text
        assert f"Reviewed: {format_day(entry.reviewed, 'en')}" in text
        assert "ACLU of Wyoming" in text
        assert "not legal advice" in text
    else:
        assert "Fuentes:" in text
        assert f"Revisado el {format_day(entry.reviewed, 'es')}" in text
        assert re.search(r"Revisado el \d{1,2} de [a-z]+ de \d{4}", text)
        assert "ACLU de Wyoming" in text
        assert "no es consejo legal" in text


# --------------------------------------------------------------------------- ask


def test_ask_in_english(runs, kb):
    assert_full_answer(ok(runs["ask_en"]), kb, "detainer-basics", "en")


def test_ask_in_spanish(runs, kb):
    text = ok(runs["ask_es"])
    assert_full_answer(text, kb, "detainer-basics", "es")
    assert "Reviewed:" not in text and "not legal advice" not in text


def test_ask_lang_forces_spanish(runs, kb):
    assert_full_answer(ok(runs["ask_force_es"]), kb, "detainer-basics", "es")


def test_ask_language_neutral_question_uses_default_language(runs, kb):
    assert ok(runs["ask_neutral"]).startswith(kb.entries["287g-basics"].text("en").title)


def test_ask_lists_what_a_did_you_mean_offers_and_nothing_for_an_answer(kb):
    # A one-shot command cannot press buttons: "did you mean" lists its options' labels, in order.
    ids = ("detainer-basics", "held-on-detainer", "bail-and-bond")
    for lang in ("en", "es"):
        reply = CONV.screens.did_you_mean(tuple(Alternative(i, 50.0) for i in ids), lang)
        assert _offered(reply) == [kb.entries[i].text(lang).label for i in ids]
        assert _offered(CONV.screens.answer(kb.entries["detainer-basics"], lang)) == []
        assert _offered(CONV.screens.fallback(lang)) == []


# What `kyr-bot ask` must not load: the Telegram stack, the card's drawing (Pillow), the fitting libraries
# (its model is shipped or cached), the readability checker, health checks. Each costs start-up time.
NOT_FOR_ASK = ("telegram", "tornado", "httpx", "PIL", "sklearn", "scipy", "textstat", "bot.channels",
               "bot.card.render", "bot.card.checks", "bot.card.fonts", "bot.runtime.health",
               "bot.knowledge.readability")  # fmt: skip


def test_ask_imports_only_what_it_uses(runs, kb):
    run = runs["ask_imports"]
    assert run.returncode == 0, run.stderr
    assert_full_answer(run.stdout, kb, "detainer-basics", "en")
    imported = {line.rsplit("|", 1)[1].strip() for line in run.stderr.splitlines() if line.startswith("import time:")}
    assert "bot.matching.matcher" in imported and "yaml" in imported  # the listing is real
    loaded = sorted(m for m in imported if any(m == n or m.startswith(n + ".") for n in NOT_FOR_ASK))
    assert loaded == [], f"kyr-bot ask imported {loaded}"


def test_health_help_names_the_real_default(runs):
    from bot.runtime.health import HEARTBEAT_MAX_AGE

    assert f"(default: {HEARTBEAT_MAX_AGE:g})" in " ".join(ok(runs["health_help"]).split())


def test_ask_with_broken_knowledge_base_fails_with_file_and_line(runs, broken_kb):
    _, path, line = broken_kb
    run = runs["ask_broken"]
    assert run.returncode != 0
    assert run.stdout == ""
    assert f"{path}:{line}: 'reviewed' must be a date" in run.stderr
    assert "Traceback" not in run.stderr


# --------------------------------------------------------------------------- match --json


def test_match_json_one_object_per_line(runs, kb):
    lines = ok(runs["match"]).splitlines()
    assert len(lines) == 5  # one record per input line: the two blank lines get fallback records
    results = [json.loads(line) for line in lines]
    routes = {"answer", "did_you_mean", "fallback", "emergency", "language", "smalltalk", "alert", "claim"}
    for data in results:
        assert set(data) == {"query", "lang", "id", "score", "alternatives", "unsupported", "route", "claim"}
        assert data["claim"] is None or data["route"] == "claim"
        assert 0 <= data["score"] <= 100 and data["route"] in routes
        assert data["unsupported"] is None or kb.entries[data["unsupported"]].kind == "unsupported"
        for alt in data["alternatives"]:
            assert set(alt) == {"id", "score"} and alt["id"] in kb.entries
    detainer, blank, spaces, cake, lawyer = results
    assert (blank["id"], blank["route"], spaces["id"], spaces["route"]) == (None, "fallback", None, "fallback")
    assert detainer["route"] == "answer"
    assert detainer["query"] == "what does an ICE detainer mean"
    assert (detainer["id"], detainer["lang"]) == ("detainer-basics", "en")
    assert cake["query"] == "best recipe for chocolate cake"  # no stray \r
    assert cake["id"] is None
    assert (lawyer["id"], lawyer["lang"]) == ("find-lawyer", "es")


# --------------------------------------------------------------------------- export --json


def test_export_json_has_every_entry_in_both_languages(runs, kb):
    data = json.loads(ok(runs["export"]))
    assert data["languages"] == ["en", "es"]
    by_id = {e["id"]: e for e in data["entries"]}
    assert set(by_id) == set(kb.entries)
    for eid, e in by_id.items():
        entry = kb.entries[eid]
        assert e["reviewed"] == entry.reviewed.isoformat()
        assert e["related"] == list(entry.related)
        assert isinstance(e["sources"], list)
        if e["kind"] == "answer":
            assert e["sources"] and all(set(s) == {"title", "url"} for s in e["sources"])
        for lang in ("en", "es"):
            block = e[lang]
            assert block["title"] and block["answer"] and len(block["questions"]) >= 8
            if e["kind"] == "answer":
                assert block["rendered"].startswith(block["title"])
    for eid in kb.emergency:
        assert by_id[eid]["officer_statement"] == kb.entries[eid].officer_statement


# --------------------------------------------------------------------------- chat


def test_chat_answers_in_each_language(runs, kb):
    text = ok(runs["chat"])
    entry = kb.entries["detainer-basics"]
    assert entry.text("en").title in text
    assert entry.text("es").title in text
    assert text.index(entry.text("en").title) < text.index(entry.text("es").title)
    assert f"Revisado el {format_day(entry.reviewed, 'es')}" in text


def test_chat_numbered_buttons_open_a_topic(runs, kb):
    text = ok(runs["chat"])
    group = kb.topics[0]
    after_topics = text[text.index("Choose a topic:") :]
    assert f"[1] {group.labels['en']}" in after_topics
    # Pressing 1 shows that group's entries as buttons.
    first_entry_title = kb.entries[group.entry_ids[0]].text("en").title
    assert re.search(rf"\[1\] {re.escape(first_entry_title)}\n", after_topics)
    assert "« All topics" in after_topics


def test_chat_idioma_switches_to_spanish(runs, kb):
    text = ok(runs["chat"])
    es = translator("es").gettext
    menu = text.index(es("Choose your language:"))
    assert menu > text.index("Choose a topic:")  # /idioma came after /topics
    done = text.index(es("Done: I will answer in English. You can change it any time with /language."), menu)
    # The /topics sent after the switch is answered in Spanish.
    after = text[done:]
    spanish_menu = after[after.index(es("Choose a topic:")) :]
    assert f"[1] {kb.topics[0].labels['es']}" in spanish_menu
    assert kb.topics[0].labels["en"] not in spanish_menu


def test_chat_quit_ends_the_session(runs, kb):
    text = ok(runs["chat"])
    assert kb.entries["287g-basics"].text("en").title not in text
    assert kb.entries["287g-basics"].text("es").title not in text
    assert "> " not in text  # piped input: no prompts


def test_chat_end_of_input_ends_cleanly(runs, kb):
    text = ok(runs["chat_eof"])
    assert text.startswith("Know your rights")  # the start screen
    assert to_plain(render_entry(kb, kb.entries["greeting"], "es")).strip() in text
    assert runs["chat_eof"].stderr == ""
