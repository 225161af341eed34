"""The state file's handled update ids, the data folder's lock, and the library log line that is dropped."""

from __future__ import annotations

import logging
import os
import sqlite3
import stat
import time
from io import StringIO

import pytest

from bot.runtime.lock import DataFolderBusy, DataFolderLock
from bot.runtime.logsafe import configure_logging
from bot.runtime.records import Records
from bot.runtime.storage import DB_NAME, SqliteStore


# ---------------------------------------------------------------------- who may read the state file
def test_the_state_file_and_a_new_data_folder_are_the_bot_users_only_whatever_the_umask(tmp_path):
    # The state file holds Telegram user ids and questions sent for review; a shell's umask (0022) would
    # leave it readable by every local user.
    def mode(path):
        return stat.S_IMODE(path.stat().st_mode)

    data = tmp_path / "data"
    old = os.umask(0o022)
    try:
        store = SqliteStore(data)
        store.set_language(4242, "es")
        records = Records.open(data)
        records.usage.record("answer", "ice-at-door", "es")
        assert mode(data) == 0o700
        for name in (DB_NAME, f"{DB_NAME}-wal", f"{DB_NAME}-shm"):
            assert mode(data / name) == 0o600, name
        records.close()
        store.close()
        (data / DB_NAME).chmod(0o644)  # a file made by an older version, or copied back from a backup
        SqliteStore(data).close()
        assert mode(data / DB_NAME) == 0o600
    finally:
        os.umask(old)


# ---------------------------------------------------------------------- handled update ids
def test_handled_update_ids_outlive_the_process_and_go_once_telegram_confirmed_them(tmp_path):
    store = SqliteStore(tmp_path)
    for update_id in (101, 102, 103):
        store.mark_handled(update_id)
    store.close()
    store = SqliteStore(tmp_path)  # a restart
    assert store.handled_among([100, 101, 103, 104]) == {101, 103}
    store.forget_handled(below=103)  # Telegram confirmed everything under 103
    assert store.handled_among([101, 102, 103]) == {103}
    store.close()
    db = sqlite3.connect(tmp_path / DB_NAME)
    columns = [row[1] for row in db.execute("PRAGMA table_info(handled_update)")]
    assert columns == ["update_id", "at"], "handled updates keep their id and time, nothing else"
    db.close()


def test_handled_update_ids_older_than_a_day_are_forgotten(tmp_path):
    store = SqliteStore(tmp_path)
    store.mark_handled(7)
    assert store.handled_among([7]) == {7}
    store.forget_handled(older_than=-1)  # as if a day had passed
    assert store.handled_among([7]) == set()
    store.close()


def test_without_a_usable_state_file_nothing_counts_as_handled(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory\n")
    store = SqliteStore(blocker / "data")
    store.mark_handled(5)
    store.forget_handled(below=3)
    assert store.handled_among([5]) == set()  # the ledger's memory covers this process


# ---------------------------------------------------------------------- the data folder's lock
def test_one_polling_copy_per_data_folder_and_the_second_is_told_which_process_holds_it(tmp_path):
    first = DataFolderLock(tmp_path)
    assert first.acquire()
    with pytest.raises(DataFolderBusy, match=r"another copy of the bot \(process \d+\) is running"):
        DataFolderLock(tmp_path).acquire()
    with pytest.raises(DataFolderBusy):
        DataFolderLock(tmp_path, shared=True).acquire()  # nor a webhook copy beside it
    first.release()
    again = DataFolderLock(tmp_path)
    assert again.acquire()  # released (a process's end releases it too)
    again.release()


def test_webhook_copies_share_a_data_folder_but_a_polling_copy_cannot_join_them(tmp_path):
    one, two = DataFolderLock(tmp_path, shared=True), DataFolderLock(tmp_path, shared=True)
    assert one.acquire() and two.acquire()
    with pytest.raises(DataFolderBusy, match=r"another copy of the bot is running"):
        DataFolderLock(tmp_path).acquire()
    one.release()
    two.release()


def test_a_data_folder_that_cannot_hold_a_lock_file_is_warned_about_not_fatal(tmp_path, caplog):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory\n")
    with caplog.at_level(logging.WARNING):
        assert DataFolderLock(blocker / "data").acquire() is False
    assert "would not be stopped" in caplog.text


# ---------------------------------------------------------------------- a 502 page in the log
def test_the_librarys_invalid_json_line_is_dropped_at_every_level(restore_logging):
    token = "7351928460:AAHq3xZsecretPartOfTheTokenXYZ_987-abc"
    stream = StringIO()
    configure_logging(logging.DEBUG, secrets=[token], stream=stream)
    page = f"<html>502 Bad Gateway for /bot{token}/getUpdates</html>"
    library = logging.getLogger("telegram.request.BaseRequest")
    try:
        raise ValueError(page)
    except ValueError:
        library.exception('Can not load invalid JSON data: "%s"', page)
    logging.getLogger("telegram.Bot").critical("Error while parsing updates! Received data was %r", [page])
    library.error("Some other library error %d", 502)  # other library lines still come through
    out = stream.getvalue()
    assert "invalid JSON" not in out and "parsing updates" not in out and "502 Bad Gateway" not in out
    assert token not in out and time.strftime("%Y") in out and "Some other library error 502" in out
