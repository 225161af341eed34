"""Logging that cannot leak what people wrote, who they are, or the bot token.

python-telegram-bot logs whole API calls at DEBUG (message texts, names) and httpx logs request URLs
(which contain the token) at INFO. Every record from those libraries keeps only its message template
(its values are dropped), a logged traceback keeps its frames and exception types but not the exception
messages (they may repeat an update, a reply or an API error), and every line written is scrubbed of the
token, whatever its level.
"""

from __future__ import annotations

import logging
import re
import sys
import traceback
from typing import TextIO

LIBRARY_PREFIXES = ("telegram", "httpx", "httpcore", "tornado", "apscheduler", "asyncio")
_TOKEN_SHAPE = re.compile(r"\b\d{5,}:[A-Za-z0-9_-]{20,}\b")
_BOT_URL = re.compile(r"/bot[^/\s]+/")


class SafeFormatter(logging.Formatter):
    def __init__(self, secrets: list[str] | None = None, fmt: str | None = None) -> None:
        super().__init__(fmt or "%(asctime)s %(levelname)s %(name)s: %(message)s")
        self.secrets = [s for s in (secrets or []) if s]

    def format(self, record: logging.LogRecord) -> str:
        if record.name.startswith(LIBRARY_PREFIXES) and record.args:
            # Keep what happened, drop the values (API parameters, update contents, URLs).
            record = logging.makeLogRecord(
                {
                    **record.__dict__,
                    "args": None,
                    "msg": str(record.msg).replace("%s", "…").replace("%r", "…"),
                }
            )
        text = super().format(record)
        for secret in self.secrets:
            text = text.replace(secret, "<token>")
        text = _TOKEN_SHAPE.sub("<token>", text)
        return _BOT_URL.sub("/bot<token>/", text)

    def formatException(self, ei) -> str:  # noqa: N802 - logging's name
        """The traceback of every exception in the chain, each ending in its type alone."""
        chain: list[BaseException] = []
        exc = ei[1]
        while exc is not None and exc not in chain:
            chain.append(exc)
            exc = exc.__cause__ or (None if exc.__suppress_context__ else exc.__context__)
        blocks = []
        for exc in reversed(chain):
            kind = type(exc)
            name = kind.__qualname__ if kind.__module__ == "builtins" else f"{kind.__module__}.{kind.__qualname__}"
            frames = "".join(traceback.format_tb(exc.__traceback__))
            blocks.append(f"Traceback (most recent call last):\n{frames}{name} (message withheld)")
        return "\n\nThe above led to:\n\n".join(blocks)


def configure_logging(
    level: int = logging.INFO, secrets: list[str] | None = None, stream: TextIO | None = None
) -> logging.Handler:
    """Send all logging through one scrubbing handler. Returns the handler (tests read its stream)."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(SafeFormatter(secrets))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    # httpx says one line per request at INFO; it is noise even when scrubbed.
    logging.getLogger("httpx").setLevel(max(level, logging.WARNING))
    return handler
