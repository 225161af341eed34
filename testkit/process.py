"""The real ``kyr-bot run`` process against the Bot API double: started with the double's URL and token
and its own data folder, its stdout and stderr in a file beside that folder, killed if a test leaves it
running."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from testkit.botapi_double import BotApiDouble
from testkit.paths import ROOT


def bot_env(double: BotApiDouble, data_dir: Path, **extra: str) -> dict[str, str]:
    """The environment of a bot process polling ``double``: no ``TELEGRAM_*``/``KYR_*`` variable of the
    caller's except ``KYR_MODEL_DIR`` (the session's fitted ranker: no start fits it again), no send
    limiter, state in ``data_dir``, and ``KYR_CONFLICT_GRACE=0``: the only copy polling the double holds
    its ground at once, without the second a copy that may give way spends listening first (tests of
    two copies set it); ``extra`` on top."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "KYR_"))}
    if "KYR_MODEL_DIR" in os.environ:
        env["KYR_MODEL_DIR"] = os.environ["KYR_MODEL_DIR"]
    env.update(
        TELEGRAM_BOT_TOKEN=double.token,
        TELEGRAM_API_URL=double.base_url,
        KYR_DATA_DIR=str(data_dir),
        KYR_MAX_RATE="0",
        KYR_CONFLICT_GRACE="0",
    )
    env.update(extra)
    return env


@dataclass
class BotProcess:
    """A running ``kyr-bot run``: the process and the file holding what it wrote."""

    proc: subprocess.Popen
    log: Path

    def text(self) -> str:
        """Everything the process wrote so far."""
        return self.log.read_text()

    def wait_log(self, needle: str, count: int = 1, timeout: float = 10) -> str:
        """Wait until ``needle`` was written ``count`` times (AssertionError if the process exits first
        or ``timeout`` seconds pass); returns the whole text."""
        deadline = time.monotonic() + timeout
        while self.text().count(needle) < count:
            assert self.proc.poll() is None, f"the bot exited ({self.proc.returncode}):\n{self.text()}"
            assert time.monotonic() < deadline, f"{needle!r} not logged {count}x:\n{self.text()}"
            time.sleep(0.05)
        return self.text()

    def stop(self, sig: int = signal.SIGTERM, within: float = 10) -> int:
        """Send ``sig`` and return the exit status (TimeoutExpired after ``within`` seconds)."""
        self.proc.send_signal(sig)
        return self.proc.wait(within)


def start_bot(double: BotApiDouble, data_dir: Path, log: Path | None = None, **extra: str) -> BotProcess:
    """Start ``python -m bot run`` polling ``double`` (see :func:`bot_env`); output appended to ``log``
    (default: ``<data_dir>-stderr.txt`` beside the data folder)."""
    log = log or data_dir.parent / f"{data_dir.name}-stderr.txt"
    with log.open("a") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "bot", "run"],
            cwd=ROOT,
            env=bot_env(double, data_dir, **extra),
            stdout=out,
            stderr=out,
        )
    return BotProcess(proc, log)


@contextlib.contextmanager
def running_bot(double: BotApiDouble, data_dir: Path, **extra: str) -> Iterator[BotProcess]:
    """:func:`start_bot`, killed on leaving if it is still running."""
    bot = start_bot(double, data_dir, **extra)
    try:
        yield bot
    finally:
        if bot.proc.poll() is None:
            bot.proc.kill()
            bot.proc.wait()
