"""Is the running bot alive? The files it keeps in its data directory for that, and ``kyr-bot health``.

Long polling: the bot touches ``<data dir>/heartbeat`` each time Telegram answers a ``getUpdates`` (at
least every long-poll timeout, 10 s, while all is well); the check passes while the file is fresher
than :data:`HEARTBEAT_MAX_AGE`. Webhook mode: the bot answers ``GET /healthz`` on its webhook port and
the check asks it. ``<data dir>/kyr-bot.pid`` names the running process, for ``kyr-bot reload`` and for
``kyr-bot health``, which fails at once when that process is gone (stopped, or killed: a kill leaves the
pid file and a fresh heartbeat behind) (:func:`check_process`).
"""

from __future__ import annotations

import json
import logging
import os
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

log = logging.getLogger(__name__)

HEARTBEAT_NAME = "heartbeat"
PID_NAME = "kyr-bot.pid"
HEARTBEAT_MAX_AGE = 90.0  # seconds: twice the longest quiet spell between answered polls, and a margin
HEARTBEAT_EVERY = 1.0  # seconds: at most one touch a second, however fast updates arrive
HEALTH_PATH = "/healthz"
HEALTH_TIMEOUT = 5.0  # seconds, for ``kyr-bot health --url``
HEALTH_BODY_BYTES = 1 << 10  # the most of a /healthz answer that is read


@dataclass
class Heartbeat:
    """Touches ``path`` (at most once every ``every`` seconds); a failure is logged once, not raised."""

    path: Path
    every: float = HEARTBEAT_EVERY
    clock: Callable[[], float] = time.monotonic
    _last: float | None = field(default=None, init=False)
    _failing: bool = field(default=False, init=False)

    def beat(self) -> None:
        """Record that the bot is alive now."""
        now = self.clock()
        if self._last is not None and now - self._last < self.every:
            return
        self._last = now
        try:
            self.path.touch()
            os.utime(self.path)
        except OSError as exc:
            if not self._failing:
                log.warning(
                    "Heartbeat file %s cannot be written (%s): kyr-bot health will fail.", self.path, exc.strerror
                )
            self._failing = True
            return
        self._failing = False


@dataclass(frozen=True)
class Health:
    """The answer of a health check: ``ok`` and one line saying why."""

    ok: bool
    reason: str


def check_heartbeat(path: Path, max_age: float = HEARTBEAT_MAX_AGE, now: float | None = None) -> Health:
    """Healthy when ``path`` was touched less than ``max_age`` seconds before ``now`` (wall clock,
    default: the current time)."""
    try:
        modified = path.stat().st_mtime
    except FileNotFoundError:
        return Health(
            False, f"no heartbeat at {path}: the bot is not running in polling mode, or has not yet reached Telegram"
        )
    except OSError as exc:
        return Health(False, f"heartbeat {path} cannot be read ({exc.strerror})")
    age = (time.time() if now is None else now) - modified
    if age > max_age:
        return Health(
            False,
            f"last heartbeat {age:.0f} s ago (over {max_age:.0f} s): polling has stalled or Telegram is unreachable",
        )
    return Health(True, f"last heartbeat {max(age, 0):.0f} s ago")


def check_url(url: str, timeout: float = HEALTH_TIMEOUT) -> Health:
    """Healthy when ``GET url`` answers 200 within ``timeout`` seconds."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 - the operator's URL
            body = response.read(HEALTH_BODY_BYTES).decode("utf-8", "replace")
            status = int(response.status)
    except urllib.error.HTTPError as exc:
        return Health(False, f"{url} answered HTTP {exc.code}")
    except (OSError, ValueError) as exc:
        reason = getattr(exc, "reason", None) or getattr(exc, "strerror", None) or type(exc).__name__
        return Health(False, f"{url} cannot be reached ({reason})")
    if status != 200:
        return Health(False, f"{url} answered HTTP {status}")
    return Health(True, f"{url}: {body.strip()}")


def health_body(running: bool) -> tuple[int, str]:
    """The ``/healthz`` answer: (HTTP status, JSON body)."""
    return (200, json.dumps({"status": "ok"})) if running else (503, json.dumps({"status": "starting"}))


@dataclass
class PidFile:
    """``<data dir>/kyr-bot.pid``: written at start, removed at exit (only if it is still ours)."""

    path: Path
    _written: bool = field(default=False, init=False)

    def write(self) -> None:
        """Record this process's id; a data directory that cannot be written is logged, not raised."""
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.path.write_text(f"{os.getpid()}\n", encoding="ascii")
        except OSError as exc:
            log.warning(
                "Pid file %s cannot be written (%s): kyr-bot reload will not find the bot.", self.path, exc.strerror
            )
            return
        self._written = True

    def remove(self) -> None:
        """Remove the file if this process wrote it and it still names this process."""
        if not self._written:
            return
        try:
            if read_pid(self.path) == os.getpid():
                self.path.unlink()
        except OSError:
            pass
        self._written = False


def read_pid(path: Path) -> int | None:
    """The process id in a pid file, or None when the file is missing or holds no number."""
    try:
        text = path.read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError):
        return None
    return int(text) if text.isdigit() else None


def process_started(pid: int) -> float | None:
    """When process ``pid`` started (Unix seconds), from ``/proc`` (Linux); None when unknown."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii", errors="replace")
        boot = next(
            float(line.split()[1])
            for line in Path("/proc/stat").read_text(encoding="ascii").splitlines()
            if line.startswith("btime ")
        )
        ticks = int(stat.rsplit(")", 1)[1].split()[19])  # field 22, starttime, in clock ticks after boot
        return boot + ticks / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError, StopIteration):
        return None


def check_process(pid_path: Path) -> Health:
    """Healthy when the pid file names a process that is alive and is the one that wrote it (a process
    started after the file was written has only been given the same number)."""
    pid = read_pid(pid_path)
    if pid is None:
        return Health(
            False, f"no running bot: no pid file at {pid_path} (the bot is stopped, or KYR_DATA_DIR is not its)"
        )
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return Health(False, f"the bot (pid {pid} in {pid_path}) is not running: it stopped or was killed")
    except PermissionError:
        pass  # alive, and another user's: the bot's own user or root can check more
    started = process_started(pid)
    try:
        written = pid_path.stat().st_mtime
    except OSError:
        written = None
    if started is not None and written is not None and started > written + 2:  # /proc's boot time is in whole seconds
        return Health(False, f"the bot (pid {pid} in {pid_path}) is not running: that number now names another process")
    return Health(True, f"the bot is running (pid {pid})")
