"""``kyr-bot run`` with the CPU of its replies counted, for benchmarks/load.py's breakdown.

``python -m benchmarks.timed_bot [options]`` is ``python -m bot run [options]``, except that every call of
:meth:`bot.core.conversation.Conversation.handle` (the reply to a message: matching, the reply's text and
buttons, the SQLite language look-up and usage counts) is timed with :func:`time.process_time` (CPU seconds,
user plus system; the bot runs it on its one thread). Not counted: messages a flood hold answers later
(:meth:`~bot.core.conversation.Conversation.release`), button presses and inline queries; the load benchmark
sends none of those. At exit it writes ``{"handled": <calls>, "cpu_seconds": <their CPU>}`` to the file
named by the environment variable ``KYR_BENCH_CONVERSATION_FILE`` (nothing when it is unset). The timing
itself costs about half a microsecond a call.
"""

from __future__ import annotations

import atexit
import functools
import json
import os
import sys
import time
from pathlib import Path

from bot.cli import main
from bot.core.conversation import Conversation
from bot.core.replies import Message, Reply, User


def install(out: Path) -> None:
    """Time every ``Conversation.handle`` call in this process from now on, and write the totals to ``out``
    at exit."""
    spent = {"handled": 0, "cpu_seconds": 0.0}
    handle = Conversation.handle

    @functools.wraps(handle)
    def timed_handle(self: Conversation, user: User, message: Message) -> Reply:
        start = time.process_time()
        try:
            return handle(self, user, message)
        finally:
            spent["cpu_seconds"] += time.process_time() - start
            spent["handled"] += 1

    Conversation.handle = timed_handle  # type: ignore[method-assign]
    atexit.register(lambda: out.write_text(json.dumps(spent), encoding="utf-8"))


if __name__ == "__main__":
    if os.environ.get("KYR_BENCH_CONVERSATION_FILE"):
        install(Path(os.environ["KYR_BENCH_CONVERSATION_FILE"]))
    raise SystemExit(main(["run", *sys.argv[1:]]))
