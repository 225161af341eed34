"""Logging that cannot leak what people wrote, who they are, or the bot token.

python-telegram-bot logs whole API calls at DEBUG (message texts, names) and httpx logs request URLs
(which contain the token) at INFO. Every record from those libraries keeps only its message template
(its values are dropped), and every line written is scrubbed of the token, whatever its level.
"""

from __future__ import annotations

import logging
import re
import sys
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
