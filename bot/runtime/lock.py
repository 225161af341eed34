"""One copy of the bot per data folder: ``kyr-bot run`` holds a lock on ``<data dir>/kyr-bot.lock``.

Long polling takes it alone (a second copy on the same folder, on the same machine, would poll the same
token: it cannot start at all, and exits at once with status 4 before it reaches Telegram). Webhook mode
takes it shared, so several webhook copies may serve one folder behind a proxy, but never beside a copy
that polls. The lock is the kernel's (``flock``): it goes with the process, however the process ends
(a kill, an out-of-memory kill), so a restart never finds a stale lock. It holds on one machine; on a
network file system it may not, and copies on different machines are told apart by Telegram instead
(:mod:`bot.channels.telegram.polling`).
"""

from __future__ import annotations

import fcntl
import logging
import os
from pathlib import Path
from typing import TextIO

log = logging.getLogger(__name__)

LOCK_NAME = "kyr-bot.lock"


class DataFolderBusy(Exception):
    """Another copy of the bot holds the data folder's lock; the message says which process, if known."""


class DataFolderLock:
    """The lock on ``<data_dir>/kyr-bot.lock``: ``shared`` for webhook mode, else alone."""

    def __init__(self, data_dir: Path, shared: bool = False) -> None:
        self.path = data_dir / LOCK_NAME
        self.shared = shared
        self._file: TextIO | None = None

    def acquire(self) -> bool:
        """Take the lock without waiting. True when held; False when the folder cannot hold a lock
        file (logged: the bot runs without it). Raises DataFolderBusy when another copy holds it."""
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            handle = self.path.open("a+", encoding="ascii")
        except OSError as exc:
            log.warning(
                "Lock file %s cannot be made (%s): a second copy would not be stopped.", self.path, exc.strerror
            )
            return False
        try:
            fcntl.flock(handle, (fcntl.LOCK_SH if self.shared else fcntl.LOCK_EX) | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _holder(handle)
            handle.close()
            busy = f"another copy of the bot{holder} is running with the data folder {self.path.parent}"
            raise DataFolderBusy(busy) from None
        except OSError as exc:  # a file system without locks
            handle.close()
            log.warning("The data folder cannot be locked (%s): a second copy would not be stopped.", exc.strerror)
            return False
        handle.seek(0)
        handle.truncate()
        if not self.shared:  # shared holders are many: the file names none of them
            handle.write(f"{os.getpid()}\n")
        handle.flush()
        self._file = handle
        return True

    def release(self) -> None:
        """Let the lock go (the process's end does it too)."""
        if self._file is not None:
            self._file.close()
            self._file = None


def _holder(handle: TextIO) -> str:
    """' (process N)' from the lock file, or '' when it names no process (webhook copies)."""
    try:
        handle.seek(0)
        text = handle.read(32).strip()
    except OSError:
        return ""
    return f" (process {text})" if text.isdigit() else ""
