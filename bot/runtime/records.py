"""Usage counts and questions sent for review, in the bot's SQLite file ``kyr-bot.sqlite3`` (the same file
as the language choices of :mod:`.storage`, in tables of their own, through a connection of its own).

- ``usage``: ``(day, kind, key) -> count``, the day in UTC (``YYYY-MM-DD``), ``kind`` one of ``route``,
  ``entry``, ``lang``, ``button``, ``inline`` and ``key`` the route, entry id, language code, button kind
  or ``chosen``. Counts only: no user id, no chat id, no text. Days older than :data:`USAGE_DAYS` are
  deleted.
- ``review_queue``: questions people chose to send (:mod:`bot.core.consent`): the scrubbed text, its
  language, route and day; no user id, no chat id, no name. Deleted after :data:`QUEUE_DAYS` days, or
  when ``kyr-bot review`` labels or discards them (the row's bytes are overwritten: ``secure_delete``).

The bot writes both (:class:`Records`); ``kyr-bot stats`` and ``kyr-bot review`` read them
(:func:`read_usage`, :class:`ReviewQueue`), while the bot runs or not. Each count is written as it happens
(one small transaction; ``synchronous=NORMAL`` in WAL mode, so no disk flush per question: a power cut can
lose the last moments' counts, never the file).
"""

from __future__ import annotations

import datetime as dt
import logging
import sqlite3
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from bot.core.consent import QueuedQuestion, utc_today
from bot.core.usage import NoUsage, UsageLog
from bot.runtime.storage import DB_NAME, make_private

log = logging.getLogger(__name__)

USAGE_DAYS = 400  # days of counts kept
QUEUE_DAYS = 30  # days a question sent for review waits for an editor
_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS usage (day TEXT NOT NULL, kind TEXT NOT NULL, key TEXT NOT NULL, "
    "count INTEGER NOT NULL, PRIMARY KEY (day, kind, key)) WITHOUT ROWID",
    "CREATE TABLE IF NOT EXISTS review_queue (id INTEGER PRIMARY KEY, day TEXT NOT NULL, lang TEXT NOT NULL, "
    "route TEXT NOT NULL, text TEXT NOT NULL)",
)
_COUNT = (
    "INSERT INTO usage (day, kind, key, count) VALUES (?, ?, ?, 1) "
    "ON CONFLICT (day, kind, key) DO UPDATE SET count = count + 1"
)


def connect(path: Path) -> sqlite3.Connection:
    """A connection to the SQLite file at ``path`` with both tables (created if missing), WAL mode,
    ``secure_delete`` and ``synchronous=NORMAL``. Raises sqlite3.Error."""
    try:
        make_private(path)
    except OSError as exc:
        raise sqlite3.OperationalError(f"unable to open database file ({exc.strerror or type(exc).__name__})") from None
    db = sqlite3.connect(path, check_same_thread=False, isolation_level=None, timeout=5)
    try:
        db.execute("PRAGMA secure_delete=ON")
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
        for statement in _SCHEMA:
            db.execute(statement)
    except sqlite3.Error:
        db.close()
        raise
    return db


def _days_before(day: str, days: int) -> str:
    return (dt.date.fromisoformat(day) - dt.timedelta(days=days)).isoformat()


def prune(db: sqlite3.Connection, today: str) -> None:
    """Delete counts older than :data:`USAGE_DAYS` days and queued questions older than :data:`QUEUE_DAYS`
    days before ``today``; a deleted question's text leaves the write-ahead log too."""
    db.execute("DELETE FROM usage WHERE day < ?", (_days_before(today, USAGE_DAYS),))
    gone = db.execute("DELETE FROM review_queue WHERE day < ?", (_days_before(today, QUEUE_DAYS),)).rowcount
    if gone:
        _checkpoint(db)


def _checkpoint(db: sqlite3.Connection) -> None:
    """Copy the write-ahead log into the file and empty it (it still holds deleted rows). Best effort."""
    try:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    except sqlite3.Error as exc:
        log.info("Checkpoint postponed (%s).", type(exc).__name__)


class Records:
    """The running bot's writer of counts (:attr:`usage`, a :class:`~bot.core.usage.UsageLog`) and of
    questions sent for review (:attr:`queue`, a :class:`~bot.core.consent.QuestionQueue`, or None when the
    data folder cannot be used: then no question is offered). Failures are logged by type, never raised."""

    def __init__(self, db: sqlite3.Connection | None, today: Callable[[], str] = utc_today) -> None:
        self._db = db
        self._today = today
        self._day = ""
        self._lock = threading.Lock()
        self._failing = False
        self.usage: UsageLog = _SqliteUsage(self) if db is not None else NoUsage()
        self.queue: _SqliteQueue | None = _SqliteQueue(self) if db is not None else None

    @classmethod
    def open(cls, data_dir: Path, today: Callable[[], str] = utc_today) -> Records:
        """The records in ``data_dir``'s SQLite file (counting nothing, with a warning, when it cannot be
        used)."""
        try:
            data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
            db = connect(data_dir / DB_NAME)
        except (OSError, sqlite3.Error) as exc:
            log.warning("Usage counts and questions for review are off: the state file cannot be used (%s).", exc)
            return cls(None, today)
        return cls(db, today)

    def today(self) -> str:
        """Today in UTC, ``YYYY-MM-DD`` (the clock given)."""
        return self._today()

    def write(self, statement: str, rows: list[tuple[object, ...]], what: str) -> bool:
        """Run ``statement`` for each row in one transaction, after pruning on the first write of a day;
        False (logged once per failing spell) when it failed."""
        if self._db is None:
            return False
        try:
            with self._lock:
                today = self._today()
                self._db.execute("BEGIN")
                try:
                    if today != self._day:
                        prune(self._db, today)
                    self._db.executemany(statement, rows)
                    self._db.execute("COMMIT")
                except sqlite3.Error:
                    self._db.execute("ROLLBACK")
                    raise
                self._day = today
        except sqlite3.Error as exc:
            if not self._failing:
                log.warning("Saving %s failed (%s).", what, type(exc).__name__)
            self._failing = True
            return False
        self._failing = False
        return True

    def close(self) -> None:
        """Close the connection."""
        if self._db is not None:
            with self._lock:
                self._db.close()
            self._db = None


class _SqliteUsage:
    """:class:`~bot.core.usage.UsageLog` counting per UTC day in the ``usage`` table."""

    def __init__(self, records: Records) -> None:
        self.records = records

    def record(self, route: str, entry_id: str | None, lang: str) -> None:
        """Count a question by route, entry and language."""
        counted = [("route", route), ("lang", lang)] + ([("entry", entry_id)] if entry_id else [])
        self._count(counted)

    def record_button(self, kind: str) -> None:
        """Count a button press by kind."""
        self._count([("button", kind)])

    def record_inline_chosen(self) -> None:
        """Count an inline result chosen."""
        self._count([("inline", "chosen")])

    def _count(self, counted: list[tuple[str, str]]) -> None:
        day = self.records.today()
        self.records.write(_COUNT, [(day, kind, key) for kind, key in counted], "usage counts")


class _SqliteQueue:
    """:class:`~bot.core.consent.QuestionQueue` in the ``review_queue`` table (the day is the question's)."""

    def __init__(self, records: Records) -> None:
        self.records = records

    def keep(self, question: QueuedQuestion) -> bool:
        """Keep ``question``; False when it could not be written."""
        statement = "INSERT INTO review_queue (day, lang, route, text) VALUES (?, ?, ?, ?)"
        row = (question.day, question.lang, question.route, question.text)
        return self.records.write(statement, [row], "a question for review")


# ---------------------------------------------------------------------- reading (kyr-bot stats, kyr-bot review)
def open_existing(data_dir: Path, read_only: bool = False) -> sqlite3.Connection | None:
    """A connection to ``data_dir``'s state file, or None when there is none yet (nothing recorded).
    ``read_only``: opened so that nothing is written, not even the tables (a reader run as another user,
    e.g. root beside a systemd unit's own user, leaves no file of its own behind). Raises sqlite3.Error."""
    path = data_dir / DB_NAME
    if not path.is_file():
        return None
    if read_only:
        return sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=5)
    return connect(path)


def _missing_table(exc: sqlite3.OperationalError) -> bool:
    return "no such table" in str(exc)  # a state file from before this version: nothing recorded yet


def read_usage(data_dir: Path, first_day: str) -> list[tuple[str, str, str, int]]:
    """Every count from ``first_day`` (``YYYY-MM-DD``) on, as ``(day, kind, key, count)``, oldest day first;
    empty when nothing was recorded. Read only. Raises sqlite3.Error."""
    db = open_existing(data_dir, read_only=True)
    if db is None:
        return []
    try:
        sql = "SELECT day, kind, key, count FROM usage WHERE day >= ? ORDER BY day, kind, key"
        return [(str(d), str(k), str(key), int(n)) for d, k, key, n in db.execute(sql, (first_day,))]
    except sqlite3.OperationalError as exc:
        if _missing_table(exc):
            return []
        raise
    finally:
        db.close()


@dataclass(frozen=True)
class Queued:
    """A question waiting in the review queue, and its row number there (not a user's id)."""

    row: int
    question: QueuedQuestion


class ReviewQueue:
    """The queue of questions sent for review, as ``kyr-bot review`` reads and empties it. Opening it deletes
    questions older than :data:`QUEUE_DAYS` days, unless ``read_only`` (``kyr-bot review --json``: nothing
    is written). Raises sqlite3.Error when the file cannot be used."""

    def __init__(self, data_dir: Path, today: Callable[[], str] = utc_today, read_only: bool = False) -> None:
        self._db = open_existing(data_dir, read_only)
        if self._db is not None and not read_only:
            prune(self._db, today())

    def questions(self) -> list[Queued]:
        """Every queued question, oldest first."""
        if self._db is None:
            return []
        sql = "SELECT id, text, lang, route, day FROM review_queue ORDER BY day, id"
        try:
            rows = self._db.execute(sql).fetchall()
        except sqlite3.OperationalError as exc:
            if _missing_table(exc):
                return []
            raise
        return [
            Queued(int(i), QueuedQuestion(str(t), str(lang), str(route), str(day))) for i, t, lang, route, day in rows
        ]

    def remove(self, row: int) -> None:
        """Delete one question (labelled or discarded); its text leaves the file and the write-ahead log."""
        if self._db is not None:
            self._db.execute("DELETE FROM review_queue WHERE id = ?", (row,))
            _checkpoint(self._db)

    def close(self) -> None:
        """Close the connection."""
        if self._db is not None:
            self._db.close()
            self._db = None
