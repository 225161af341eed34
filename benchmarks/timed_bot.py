"""``kyr-bot run`` with the CPU its conversation takes counted, for benchmarks/load.py's breakdown.

The same bot, started the same way (``python -m benchmarks.timed_bot`` = ``python -m bot run``), except that
every call of :meth:`bot.core.conversation.Conversation.handle` (matching, the reply, the SQLite language
look-up and usage counts: everything but Telegram) is timed with :func:`time.process_time`. At exit it
writes ``{"handled": <calls>, "cpu_seconds": <their CPU, user plus system>}`` to the file named by the
environment variable ``KYR_BENCH_CONVERSATION_FILE``. The timing itself costs about a microsecond a call.
"""

from __future__ import annotations

import atexit
import json
import os
import time
from pathlib import Path

from bot.cli import main
from bot.core.conversation import Conversation
from bot.core.replies import Message, Reply, User

_OUT = os.environ.get("KYR_BENCH_CONVERSATION_FILE")
_spent = {"handled": 0, "cpu_seconds": 0.0}
_handle = Conversation.handle


def _timed_handle(self: Conversation, user: User, message: Message) -> Reply:
    start = time.process_time()
    try:
        return _handle(self, user, message)
    finally:
        _spent["cpu_seconds"] += time.process_time() - start
        _spent["handled"] += 1


def _write() -> None:
    if _OUT:
        Path(_OUT).write_text(json.dumps(_spent), encoding="utf-8")


Conversation.handle = _timed_handle  # type: ignore[method-assign]
atexit.register(_write)

if __name__ == "__main__":
    raise SystemExit(main(["run"]))
