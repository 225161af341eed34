"""What the bot keeps on disk, in one SQLite file: each user's chosen language (keyed by their numeric
id; :class:`bot.core.preferences.PreferenceStore`), the ids Telegram gave the pictures it uploaded (by
content hash: no user data; :class:`bot.channels.telegram.photos.FileIds`), and the ids of the updates the
bot has handled, with the time, never their content (:class:`bot.channels.telegram.ledger.HandledUpdates`),
so an update Telegram delivers again after a crash is not answered twice.

SQLite gives atomic writes, so one bad write never loses the other users' choices. A missing data
directory is created; an unreadable, read-only or corrupt one never stops the bot: it warns, keeps a
corrupt file aside for inspection and carries on (in memory if it must).
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
import time
from collections.abc import Collection
from pathlib import Path

from bot.core.preferences import MemoryStore

log = logging.getLogger(__name__)

DB_NAME = "kyr-bot.sqlite3"
PRIVATE_MODE = 0o600  # the state file holds Telegram user ids: readable by the bot's own user only


def make_private(path: Path) -> None:
    """Create the state file at ``path`` readable and writable by this user only (SQLite gives its
    ``-wal`` and ``-shm`` files the same permissions), or take group and other permissions away from an
    existing one, whatever the umask (systemd's unit sets ``UMask=0077``; a shell usually 0022).
    Raises OSError."""
    fd = os.open(path, os.O_CREAT | os.O_RDWR, PRIVATE_MODE)
    try:
        if os.fstat(fd).st_mode & 0o077:
            try:
                os.fchmod(fd, PRIVATE_MODE)
            except PermissionError:  # another user's file: it still works, but say so
                log.warning("State file %s is readable by other users; only its owner can change that.", path)
    finally:
        os.close(fd)


# Telegram keeps an update for 24 hours at most (Bot API, getUpdates): after that it never comes again.
HANDLED_KEEP_SECONDS = 24 * 3600.0


class _MemoryFiles:
    """Uploaded picture ids kept in memory (when the SQLite file cannot be used)."""

    def __init__(self) -> None:
        self._files: dict[str, str] = {}

    def get_file_id(self, key: str) -> str | None:
        return self._files.get(key)

    def set_file_id(self, key: str, file_id: str) -> None:
        self._files[key] = file_id


class SqliteStore:
    """Language choices and uploaded picture ids in ``<data dir>/kyr-bot.sqlite3``."""

    def __init__(self, data_dir: Path) -> None:
        self.path = data_dir / DB_NAME
        self._lock = threading.Lock()
        self._memory = MemoryStore()
        self._memory_files = _MemoryFiles()
        self._db: sqlite3.Connection | None = self._open(data_dir)

    @property
    def persistent(self) -> bool:
        """True when choices are written to the SQLite file (not memory only)."""
        return self._db is not None

    def _open(self, data_dir: Path) -> sqlite3.Connection | None:
        try:
            data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)  # a new one: this user's only
        except OSError as exc:
            log.warning(
                "Data directory %s cannot be created (%s); language choices will not survive a restart.",
                data_dir,
                exc.strerror,
            )
            return None
        try:
            return self._connect()
        except sqlite3.DatabaseError as exc:
            if self.path.exists() and "locked" not in str(exc).lower() and self._is_corrupt(exc):
                aside = self.path.with_name(f"{self.path.name}.corrupt-{time.strftime('%Y%m%d-%H%M%S')}")
                try:
                    self.path.rename(aside)
                    log.warning("State file was corrupt (%s); kept aside as %s and started afresh.", exc, aside)
                    return self._connect()
                except (OSError, sqlite3.DatabaseError) as exc2:
                    log.warning("Corrupt state file could not be replaced (%s); using memory only.", exc2)
                    return None
            log.warning(
                "State file %s cannot be used (%s); language choices will not survive a restart.",
                self.path,
                exc,
            )
            return None

    @staticmethod
    def _is_corrupt(exc: sqlite3.DatabaseError) -> bool:
        text = str(exc).lower()
        return "not a database" in text or "malformed" in text or "corrupt" in text

    def _connect(self) -> sqlite3.Connection:
        try:
            make_private(self.path)
        except OSError as exc:
            raise sqlite3.DatabaseError(f"cannot open {exc.strerror or type(exc).__name__}") from None
        db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None, timeout=5)
        try:
            # Check before writing anything, so a corrupt file is kept aside exactly as it was found.
            result = db.execute("PRAGMA quick_check(1)").fetchone()
            if result and result[0] != "ok":
                detail = " ".join(result[0].split())[:200]
                raise sqlite3.DatabaseError(f"database disk image is malformed ({detail})")
            # A deleted row is overwritten with zeros, not left in the file's free space (/delete).
            db.execute("PRAGMA secure_delete=ON")
            db.execute("PRAGMA journal_mode=WAL")
            # Each write reaches the operating system at once, so a crash or a kill of the process loses
            # nothing; only a power cut may undo the last seconds of writes (a /delete is checkpointed to
            # disk at once, see _forget_old_pages). FULL would wait ~3 ms for the disk on every update.
            db.execute("PRAGMA synchronous=NORMAL")
            db.execute("CREATE TABLE IF NOT EXISTS language (user_id INTEGER PRIMARY KEY, lang TEXT NOT NULL)")
            # Telegram's ids of pictures the bot uploaded (the rights card), by content hash: no user data.
            db.execute("CREATE TABLE IF NOT EXISTS file (key TEXT PRIMARY KEY, file_id TEXT NOT NULL)")
            # Updates already handled: Telegram's update id and when (Unix seconds); no content.
            db.execute("CREATE TABLE IF NOT EXISTS handled_update (update_id INTEGER PRIMARY KEY, at REAL NOT NULL)")
            # After a long stop: Telegram no longer has these (and numbers updates afresh after a week idle).
            db.execute("DELETE FROM handled_update WHERE at < ?", (time.time() - HANDLED_KEEP_SECONDS,))
            db.execute("SELECT COUNT(*) FROM language").fetchone()
        except sqlite3.DatabaseError:
            db.close()
            raise
        return db

    def _lookup(self, sql: str, args: tuple[object, ...], what: str) -> str | None:
        """The first column of the first row, or None (no row, no file, or a failed read, logged as
        "Reading <what> failed")."""
        if self._db is None:
            return None
        try:
            with self._lock:
                row = self._db.execute(sql, args).fetchone()
        except sqlite3.Error as exc:
            log.warning("Reading %s failed (%s).", what, type(exc).__name__)
            return None
        return row[0] if row else None

    def _store(self, sql: str, args: tuple[object, ...], what: str) -> None:
        """Write one row (kept in memory by the caller first, so a failed write only costs a restart)."""
        if self._db is None:
            return
        try:
            with self._lock:
                self._db.execute(sql, args)
        except sqlite3.Error as exc:
            log.warning("Saving %s failed (%s); kept in memory for now.", what, type(exc).__name__)

    def get_language(self, user_id: int) -> str | None:
        """The user's chosen language, or None."""
        sql = "SELECT lang FROM language WHERE user_id = ?"
        return self._lookup(sql, (user_id,), "a language choice") or self._memory.get_language(user_id)

    def set_language(self, user_id: int, lang: str) -> None:
        """Save the user's language choice."""
        self._memory.set_language(user_id, lang)
        sql = (
            "INSERT INTO language (user_id, lang) VALUES (?, ?) ON CONFLICT(user_id) DO UPDATE SET lang = excluded.lang"
        )
        self._store(sql, (user_id, lang), "a language choice")

    def delete(self, user_id: int) -> bool:
        """Forget the user's language choice; True when there was one."""
        removed = self._memory.delete(user_id)
        if self._db is None:
            return removed
        try:
            with self._lock:
                cur = self._db.execute("DELETE FROM language WHERE user_id = ?", (user_id,))
                _forget_old_pages(self._db)
            return removed or cur.rowcount > 0
        except sqlite3.Error as exc:
            log.warning("Deleting a language choice failed (%s).", type(exc).__name__)
            return removed

    def get_file_id(self, key: str) -> str | None:
        """Telegram's id for an uploaded picture, by the picture's content key (None if never sent)."""
        sql = "SELECT file_id FROM file WHERE key = ?"
        return self._lookup(sql, (key,), "a picture id") or self._memory_files.get_file_id(key)

    def set_file_id(self, key: str, file_id: str) -> None:
        """Remember Telegram's id for an uploaded picture, so it is sent again without uploading it."""
        self._memory_files.set_file_id(key, file_id)
        sql = "INSERT INTO file (key, file_id) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET file_id = excluded.file_id"
        self._store(sql, (key, file_id), "a picture id")

    def handled_among(self, update_ids: Collection[int]) -> set[int]:
        """Which of ``update_ids`` were handled before (by this process or an earlier one). Empty when the
        file cannot be read: the caller keeps recent ids in memory as well."""
        if self._db is None or not update_ids:
            return set()
        ids = list(update_ids)
        marks = ",".join("?" * len(ids))
        try:
            with self._lock:
                rows = self._db.execute(f"SELECT update_id FROM handled_update WHERE update_id IN ({marks})", ids)
                return {int(row[0]) for row in rows}
        except sqlite3.Error as exc:
            log.warning("Reading handled updates failed (%s).", type(exc).__name__)
            return set()

    def mark_handled(self, update_id: int) -> None:
        """Record that update ``update_id`` was handled (its id and the time, nothing else)."""
        sql = "INSERT OR REPLACE INTO handled_update (update_id, at) VALUES (?, ?)"
        self._store(sql, (update_id, time.time()), "a handled update's id")

    def forget_handled(self, below: int | None = None, older_than: float = HANDLED_KEEP_SECONDS) -> None:
        """Forget handled update ids Telegram will never deliver again: those under ``below`` (the offset
        Telegram has confirmed, in long polling) and those recorded more than ``older_than`` seconds ago."""
        if self._db is None:
            return
        try:
            with self._lock:
                if below is not None:
                    self._db.execute("DELETE FROM handled_update WHERE update_id < ?", (below,))
                self._db.execute("DELETE FROM handled_update WHERE at < ?", (time.time() - older_than,))
        except sqlite3.Error as exc:
            log.info("Forgetting old handled updates postponed (%s).", type(exc).__name__)

    def close(self) -> None:
        """Close the SQLite file."""
        if self._db is not None:
            with self._lock:
                self._db.close()
            self._db = None


def _forget_old_pages(db: sqlite3.Connection) -> None:
    """Copy the write-ahead log into the file and empty it: the log still holds the page as it was before
    a delete. Best effort (another connection may be reading); the next checkpoint does it then."""
    try:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    except sqlite3.Error as exc:
        log.info("Checkpoint after a delete postponed (%s).", type(exc).__name__)
