"""An operator's view of this round's records, through the real ``kyr-bot run`` process and the Bot API
double: one session of people asking, pressing buttons, choosing a language, sending one question for
review; then ``kyr-bot stats`` (while the bot runs), what the data folder holds (while it runs and after
it stopped), ``kyr-bot review`` and ``kyr-bot check``."""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from bot.core.conversation import Conversation
from bot.matching.decision import ROUTES
from bot.runtime import exitcodes
from bot.runtime.records import read_usage
from bot.runtime.storage import DB_NAME
from testkit.botapi_double import BotApiDouble, Call
from testkit.harness import button, buttons_of, knowledge, shared_matcher, text_of
from testkit.paths import ROOT
from testkit.process import bot_env, running_bot
from tests.core.test_consent import SEND_LABEL, asked

# Who takes part: private chats, so each chat id is its person's id. Names and usernames are distinctive,
# so finding them anywhere in the data folder would be a leak.
ANSWERED, NO_CONSENT, CONSENT, SPANISH, INLINE = (
    7_000_000_101,
    7_000_000_102,
    7_000_000_103,
    7_000_000_104,
    7_000_000_105,
)
PEOPLE = {
    ANSWERED: ("Guadalupe", "lupita_private_name"),
    NO_CONSENT: ("Rigoberto", "rigo_private_name"),
    CONSENT: ("Xochitl", "xochi_private_name"),
    SPANISH: ("Evaristo", "evaristo_private_name"),
    INLINE: ("Marisol", "marisol_private_name"),
}
PHONE = "307 555 0199"


@dataclass
class Session:
    """What one session left behind, as an operator would look at it."""

    data: Path
    knowledge: Path
    env: dict[str, str]
    said: dict[str, str] = field(default_factory=dict)  # what each person typed, by role
    kept_question: str = ""
    stats_json: dict = field(default_factory=dict)
    stats_table: str = ""
    files_running: dict[str, bytes] = field(default_factory=dict)
    files_stopped: dict[str, bytes] = field(default_factory=dict)
    exit_status: int | None = None
    log: str = ""


def kyr_bot(env: dict[str, str], *args: str, stdin: str = "") -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args], cwd=ROOT, env=env, input=stdin, capture_output=True, text=True, timeout=60
    )


def files_in(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def exchange(double: BotApiDouble, update: dict, method: str, chat: int) -> Call:
    before = len([c for c in double.calls_of(method) if c.params.get("chat_id") == chat])
    double.push_update(update)
    calls = double.wait_for(method, before + 1, 15, lambda c: c.params.get("chat_id") == chat and c.ok, answered=True)
    return calls[before]


def say(double: BotApiDouble, chat: int, text: str, lang: str) -> Call:
    first, username = PEOPLE[chat]
    update = double.make_text_message(chat, text, language_code=lang, first_name=first, username=username)
    return exchange(double, update, "sendMessage", chat)


def tap(double: BotApiDouble, chat: int, message: Call, data: str, method: str = "sendMessage") -> Call:
    first, username = PEOPLE[chat]
    update = double.make_callback(chat, data, double.message_id_of(message), first_name=first, username=username)
    return exchange(double, update, method, chat)


def until(condition: Callable[[], bool], timeout: float = 15) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def conversation() -> Conversation:
    return Conversation(knowledge(), shared_matcher())


@pytest.fixture(scope="module")
def session(tmp_path_factory: pytest.TempPathFactory) -> Session:
    base = tmp_path_factory.mktemp("operator")
    kb = base / "knowledge"
    shutil.copytree(ROOT / "knowledge", kb)  # kyr-bot review writes into it
    conv = conversation()
    with BotApiDouble() as double:
        s = Session(base / "data", kb, bot_env(double, base / "data", KYR_KNOWLEDGE_DIR=str(kb)))
        s.said = {
            "answered": "what is an ice detainer",
            "no consent": asked("fallback", "es", conv),
            "consent": f"{asked('fallback', 'en', conv)} {PHONE}",
            "spanish": "en español por favor",
            "inline": "what is a detainer hold",
        }
        with running_bot(double, s.data, KYR_KNOWLEDGE_DIR=str(kb)) as bot:
            answer = say(double, ANSWERED, s.said["answered"], "en")
            tap(double, ANSWERED, answer, button(answer, "Español")["callback_data"], "editMessageText")
            say(double, NO_CONSENT, s.said["no consent"], "es")  # offered, never pressed
            fallback = say(double, CONSENT, s.said["consent"], "en")
            assert buttons_of(fallback)[-1]["text"] == SEND_LABEL["en"]
            preview = tap(double, CONSENT, fallback, button(fallback, "📨")["callback_data"])
            s.kept_question = text_of(preview).split("\n\n")[1]
            tap(double, CONSENT, preview, button(preview, "Send")["callback_data"], "editMessageText")
            say(double, SPANISH, s.said["spanish"], "en")
            menu = say(double, SPANISH, "/language", "es")
            tap(double, SPANISH, menu, button(menu, "Español")["callback_data"], "editMessageText")
            say(double, ANSWERED, "/delete", "en")  # had nothing stored: still answered
            double.push_update(double.make_inline_query(s.said["inline"], INLINE, language_code="en"))
            double.wait_for("answerInlineQuery")
            double.push_update(double.make_chosen_inline_result("detainer-basics:en", INLINE, s.said["inline"]))
            until(lambda: any(kind == "inline" for _, kind, _, _ in read_usage(s.data, "2000-01-01")))
            double.wait_idle()

            table = kyr_bot(s.env, "stats")
            assert table.returncode == 0, table.stderr
            s.stats_table = table.stdout
            stats = kyr_bot(s.env, "stats", "--json")
            assert stats.returncode == 0, stats.stderr
            s.stats_json = json.loads(stats.stdout)
            s.files_running = files_in(s.data)
            s.exit_status = bot.stop()
        s.log = bot.text()
    s.files_stopped = files_in(s.data)
    return s


# ---------------------------------------------------------------------- kyr-bot stats
def test_stats_json_counts_what_happened_while_the_bot_runs(session: Session):
    conv = conversation()
    decisions = [conv.understand(session.said[k], lang) for k, lang in (("no consent", "es"), ("consent", "en"))]
    entries = {"detainer-basics": 1}
    for d in decisions:
        if d.unsupported_id:
            entries[d.unsupported_id] = entries.get(d.unsupported_id, 0) + 1
    stats = session.stats_json
    today = dt.datetime.now(dt.UTC).date()
    assert stats["total"] == 4
    assert stats["by_route"] == {**dict.fromkeys(ROUTES, 0), "answer": 1, "fallback": 2, "language": 1}
    assert stats["by_entry"] == entries
    assert stats["by_language"] == {"en": 2, "es": 2}
    assert stats["buttons"] == {"other_language": 1, "send_question": 1, "question_sent": 1, "language": 1}
    assert stats["inline_chosen"] == 1
    assert len(stats["days"]) == 30 and stats["days"][-1] == {"day": today.isoformat(), "total": 4}
    assert sum(day["total"] for day in stats["days"]) == 4


def test_stats_table_shows_the_last_7_and_30_days(session: Session):
    lines = session.stats_table.splitlines()
    assert "last 7 days" in lines[1] and "last 30 days" in lines[1]
    assert re.fullmatch(r"questions\s+4\s+4", lines[2]), lines[2]
    assert any(re.fullmatch(r"\s+not answered \(fallback\)\s+2\s+2", line) for line in lines), lines
    assert any(re.fullmatch(r"\s+detainer-basics\s+1\s+1", line) for line in lines), lines
    assert any(re.fullmatch(r"inline results chosen\s+1\s+1", line) for line in lines), lines


def test_the_bot_stopped_cleanly(session: Session):
    assert session.exit_status == exitcodes.OK, session.log
    assert "Traceback" not in session.log


# ---------------------------------------------------------------------- what the data folder holds
def test_the_data_folder_holds_no_message_text_and_no_name(session: Session):
    assert session.kept_question == f"{session.said['consent'].removesuffix(PHONE)}[phone]"
    for when, files in (("running", session.files_running), ("stopped", session.files_stopped)):
        assert DB_NAME in files, when
        everything = b"".join(files.values())
        assert session.kept_question.encode() in everything, when  # the search works: the one kept text
        for role, text in session.said.items():
            assert text.encode() not in everything, f"{role}'s message is in the data folder ({when})"
        assert PHONE.encode() not in everything
        for first, username in PEOPLE.values():
            assert first.encode() not in everything and username.encode() not in everything, when


def test_the_only_ids_kept_are_language_choices(session: Session):
    db = sqlite3.connect(session.data / DB_NAME)
    ids = set(PEOPLE)
    found = []
    for (table,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'"):
        columns = [row[1] for row in db.execute(f"PRAGMA table_info({table})")]
        for row in db.execute(f"SELECT * FROM {table}"):
            for column, value in zip(columns, row, strict=True):
                if value in ids or any(str(i) in str(value) for i in ids):
                    found.append((table, column, value))
    assert found == [("language", "user_id", SPANISH)]
    assert dict(db.execute("SELECT user_id, lang FROM language")) == {SPANISH: "es"}
    assert [tuple(r) for r in db.execute("SELECT day, lang, route, text FROM review_queue")] == [
        (dt.datetime.now(dt.UTC).date().isoformat(), "en", "fallback", session.kept_question)
    ]
    for name, content in session.files_stopped.items():  # the other files (pid, heartbeat…) hold no id either
        if not name.startswith(DB_NAME):
            assert not any(str(i).encode() in content for i in ids), name


# ---------------------------------------------------------------------- kyr-bot review
def test_review_lists_labels_and_the_label_passes_kyr_bot_check(session: Session):
    listed = kyr_bot(session.env, "review", "--json")
    assert listed.returncode == 0, listed.stderr
    (line,) = listed.stdout.splitlines()
    day = dt.datetime.now(dt.UTC).date().isoformat()
    assert json.loads(line) == {"text": session.kept_question, "lang": "en", "day": day, "route": "fallback"}

    label = conversation().understand(session.said["consent"], "en").unsupported_id or "other-topics"
    walked = kyr_bot(session.env, "review", stdin=f"not-an-entry\n{label}\n")
    assert walked.returncode == 0, walked.stdout + walked.stderr
    assert "no entry 'not-an-entry'" in walked.stdout
    assert "1 labelled, 0 discarded, 0 left in the queue" in walked.stdout
    review = session.knowledge / "examples" / "review.yaml"
    assert (
        f"- id: {label}  # asked {day} (fallback), labelled {day}\n  en:\n    - {json.dumps(session.kept_question)}\n"
        in (review.read_text())
    )
    assert walked.stdout.strip().endswith(f"kyr-bot check: OK ({review})")  # the knowledge base with it
    assert kyr_bot(session.env, "review", "--json").stdout == ""  # labelled: out of the queue
    assert session.kept_question.encode() not in (session.data / DB_NAME).read_bytes()
