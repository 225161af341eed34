"""The runtime parts this round adds, on their own: usage counts and the review queue in the SQLite file
(days kept, deleted rows gone from the bytes), the process check behind ``kyr-bot health``, the reload
outcome ``kyr-bot reload`` waits for, and a log scrubber that touches tokens only."""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
import subprocess
import sys
import time

from bot.core.consent import QueuedQuestion
from bot.core.usage import NoUsage
from bot.runtime.health import check_process
from bot.runtime.logsafe import scrub
from bot.runtime.records import QUEUE_DAYS, USAGE_DAYS, Records, ReviewQueue, read_usage
from bot.runtime.reload import ReloadStatus, read_status, write_status
from bot.runtime.storage import DB_NAME, SqliteStore


class Today:
    def __init__(self, day: str) -> None:
        self.day = day

    def __call__(self) -> str:
        return self.day


def test_counts_are_kept_per_utc_day_without_ids_or_text(tmp_path):
    today = Today("2026-12-06")
    records = Records.open(tmp_path, today)
    records.usage.record("answer", "detainer-basics", "en")
    records.usage.record("fallback", None, "es")
    today.day = "2026-12-07"
    records.usage.record("answer", "detainer-basics", "en")
    records.usage.record_button("topics")
    records.usage.record_inline_chosen()
    records.close()
    assert read_usage(tmp_path, "2026-12-01") == [
        ("2026-12-06", "entry", "detainer-basics", 1),
        ("2026-12-06", "lang", "en", 1),
        ("2026-12-06", "lang", "es", 1),
        ("2026-12-06", "route", "answer", 1),
        ("2026-12-06", "route", "fallback", 1),
        ("2026-12-07", "button", "topics", 1),
        ("2026-12-07", "entry", "detainer-basics", 1),
        ("2026-12-07", "inline", "chosen", 1),
        ("2026-12-07", "lang", "en", 1),
        ("2026-12-07", "route", "answer", 1),
    ]
    assert read_usage(tmp_path, "2026-12-07")[0][0] == "2026-12-07"
    db = sqlite3.connect(tmp_path / DB_NAME)
    columns = {row[1] for row in db.execute("PRAGMA table_info(usage)")}
    assert columns == {"day", "kind", "key", "count"}


def test_counts_older_than_400_days_and_questions_older_than_30_are_deleted(tmp_path):
    today = Today("2025-01-01")
    records = Records.open(tmp_path, today)
    assert records.queue is not None
    records.usage.record("answer", None, "en")
    records.queue.keep(QueuedQuestion("an old question", "en", "fallback", today.day))
    new_year = dt.date(2025, 1, 1)
    today.day = (new_year + dt.timedelta(days=QUEUE_DAYS)).isoformat()  # 30 days later: both stay
    records.usage.record("answer", None, "en")
    assert len(ReviewQueue(tmp_path, today).questions()) == 1
    today.day = (new_year + dt.timedelta(days=QUEUE_DAYS + 1)).isoformat()  # 31 days: the question goes
    records.usage.record("answer", None, "en")
    assert ReviewQueue(tmp_path, today).questions() == []
    assert b"an old question" not in (tmp_path / DB_NAME).read_bytes()
    assert read_usage(tmp_path, "2000-01-01")[0][0] == "2025-01-01"
    today.day = (new_year + dt.timedelta(days=USAGE_DAYS + 1)).isoformat()
    records.usage.record("answer", None, "en")
    assert {row[0] for row in read_usage(tmp_path, "2000-01-01")} == {
        (new_year + dt.timedelta(days=d)).isoformat() for d in (QUEUE_DAYS, QUEUE_DAYS + 1, USAGE_DAYS + 1)
    }
    records.close()


def test_a_labelled_or_discarded_question_leaves_no_bytes_behind(tmp_path):
    records = Records.open(tmp_path)
    assert records.queue is not None
    records.queue.keep(QueuedQuestion("question-to-discard-marker", "en", "fallback", "2026-12-07"))
    records.queue.keep(QueuedQuestion("question-to-keep-marker", "es", "did_you_mean", "2026-12-07"))
    wal = tmp_path / f"{DB_NAME}-wal"

    def on_disk() -> bytes:
        return b"".join(p.read_bytes() for p in (tmp_path / DB_NAME, wal) if p.exists())

    assert b"question-to-discard-marker" in on_disk()
    queue = ReviewQueue(tmp_path)  # kyr-bot review, while the bot runs
    first, second = queue.questions()
    assert first.question.text == "question-to-discard-marker" and second.question.lang == "es"
    queue.remove(first.row)
    queue.close()
    assert b"question-to-discard-marker" not in on_disk()
    records.close()
    assert b"question-to-discard-marker" not in on_disk() and b"question-to-keep-marker" in on_disk()


def test_an_unusable_data_folder_counts_nothing_and_offers_no_question(tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    records = Records.open(blocker / "data")
    assert isinstance(records.usage, NoUsage) and records.queue is None
    records.usage.record("answer", None, "en")  # nothing raised
    records.close()


def test_counts_and_language_choices_share_the_state_file(tmp_path):
    store = SqliteStore(tmp_path)
    records = Records.open(tmp_path)
    store.set_language(42, "es")
    records.usage.record("language", None, "es")
    assert store.get_language(42) == "es" and read_usage(tmp_path, "2000-01-01")
    store.close()
    records.close()
    tables = {row[0] for row in sqlite3.connect(tmp_path / DB_NAME).execute("SELECT name FROM sqlite_master")}
    assert {"language", "file", "usage", "review_queue"} <= tables


# ---------------------------------------------------------------------- health: the process behind the pid file
def test_health_needs_the_process_named_in_the_pid_file_to_be_alive(tmp_path):
    pid_file = tmp_path / "kyr-bot.pid"
    assert not check_process(pid_file).ok
    pid_file.write_text(f"{os.getpid()}\n")
    assert check_process(pid_file).ok
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    pid_file.write_text(f"{child.pid}\n")
    health = check_process(pid_file)
    assert not health.ok and "not running" in health.reason


def test_a_pid_file_naming_a_process_started_after_it_is_stale(tmp_path):
    pid_file = tmp_path / "kyr-bot.pid"
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        pid_file.write_text(f"{child.pid}\n")
        assert check_process(pid_file).ok
        old = time.time() - 60  # as if a bot wrote the file a minute ago, and this process got its number since
        os.utime(pid_file, (old, old))
        health = check_process(pid_file)
        assert not health.ok and "another process" in health.reason
    finally:
        child.kill()
        child.wait()


# ---------------------------------------------------------------------- reload outcome
def test_reload_status_is_written_whole_and_read_back(tmp_path):
    path = tmp_path / "reload-status.json"
    assert read_status(path) is None
    status = ReloadStatus(123, 1.5, 2.5, False, 46, ("knowledge/entries/x.yaml:3: 'reviewed' is not a date",))
    write_status(path, status)
    assert read_status(path) == status
    assert [p.name for p in tmp_path.iterdir()] == ["reload-status.json"]  # no temporary file left
    path.write_text("{not json")
    assert read_status(path) is None


# ---------------------------------------------------------------------- the log scrubber touches tokens only
def test_scrubber_hides_tokens_and_nothing_else():
    token = "7351928460:AAHq3xZsecretPartOfTheTokenXYZ_987-abc"
    assert scrub("state in /srv/botdata/kyr-bot.sqlite3.") == "state in /srv/botdata/kyr-bot.sqlite3."
    assert scrub("/home/bot/robot/bot1/bots/") == "/home/bot/robot/bot1/bots/"
    assert scrub(f"POST https://api.telegram.org/bot{token}/getMe") == "POST https://api.telegram.org/bot<token>/getMe"
    assert scrub("GET http://127.0.0.1:8081/file/bot123:odd-secret/photos/1.jpg") == (
        "GET http://127.0.0.1:8081/file/bot<token>/photos/1.jpg"
    )
    assert scrub("/bot123%3Aodd-secret/getUpdates") == "/bot<token>/getUpdates"
    assert scrub("odd secret: q9-x", ["q9-x"]) == "odd secret: <token>"


def test_readers_write_nothing_even_to_a_state_file_from_0_1_0(tmp_path):
    """kyr-bot stats and kyr-bot review --json may run as another user (root beside a systemd unit): they
    open the file read-only, and a file from before this version simply has nothing counted yet."""
    old = sqlite3.connect(tmp_path / DB_NAME)
    old.execute("CREATE TABLE language (user_id INTEGER PRIMARY KEY, lang TEXT NOT NULL)")
    old.commit()
    old.close()
    before = sorted((p.name, p.read_bytes()) for p in tmp_path.iterdir())
    assert read_usage(tmp_path, "2000-01-01") == []
    assert ReviewQueue(tmp_path, read_only=True).questions() == []
    assert sorted((p.name, p.read_bytes()) for p in tmp_path.iterdir()) == before
