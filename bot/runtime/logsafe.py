"""Logging that cannot leak what people wrote, who they are, or the bot token.

python-telegram-bot logs whole API calls at DEBUG (message texts, names) and httpx logs request URLs
(which contain the token) at INFO. Every record from those libraries keeps its message template and its
numbers (status codes, counts, durations) but not its other values (texts, URLs, reprs), a logged
traceback keeps its frames and exception types but not the exception messages (they may repeat an
update, a reply or an API error), and every line written is scrubbed of the token, whatever its level.
Python warnings and uncaught exceptions (:func:`install_excepthooks`) go through the same handler.

Two library records are dropped whole (:class:`DropLibraryNoise`): python-telegram-bot's "Can not load
invalid JSON data" (an HTML error page from Telegram's front end, logged at ERROR with the raw page, which
may quote the request URL and so the token; the bot logs the fault itself as the network fault it is),
and its "Error while parsing updates" (the raw updates, with what people wrote).
"""

from __future__ import annotations

import logging
import re
import sys
import threading
import traceback
from collections.abc import Mapping
from types import TracebackType
from typing import Any, TextIO

LIBRARY_PREFIXES = ("telegram", "httpx", "httpcore", "tornado", "apscheduler", "asyncio")
_TOKEN_SHAPE = re.compile(r"\b\d{5,}:[A-Za-z0-9_-]{20,}\b")
# The token's place in a Bot API URL (/bot<digits>:<secret>/method, /file/bot<digits>:<secret>/path), the
# colon maybe percent-encoded. Only a token shape: a folder named "botdata" is not a token.
_BOT_URL = re.compile(r"/bot\d+(?::|%3[Aa])[^/\s]+")
_SPEC = re.compile(r"%(?:\((?P<key>[^)]*)\))?[#0 +\-]*(?:\d+)?(?:\.\d+)?[hlL]?(?P<conv>[diouxXeEfFgGcrsa%])")
WITHHELD = "…"
# Templates of library records the bot never writes: each stands for a fault the bot logs its own way.
DROPPED_TEMPLATES = ("Can not load invalid JSON data", "Error while parsing updates")


def keep_numbers(template: str, args: Any) -> str:
    """``template % args`` with every value that is not a number replaced by "…" (numbers keep their
    format: ``'%d %.1fms'`` stays ``'200 3.2ms'``; texts, URLs and reprs are withheld)."""
    positional = iter(args) if isinstance(args, tuple) else iter(())

    def value_for(match: re.Match[str]) -> str:
        if match.group("conv") == "%":
            return "%"
        key = match.group("key")
        value = args.get(key) if key is not None and isinstance(args, Mapping) else None
        if key is None:
            value = next(positional, None)
        if not isinstance(value, int | float):
            return WITHHELD
        try:
            return match.group(0) % value if key is None else f"{value}"
        except (TypeError, ValueError):
            return str(value)

    return _SPEC.sub(value_for, template)


def scrub(text: str, secrets: list[str] | None = None) -> str:
    """``text`` with each of ``secrets`` and anything shaped like a bot token (or a Bot API URL's token
    part) replaced by ``<token>``."""
    for secret in secrets or []:
        if secret:
            text = text.replace(secret, "<token>")
    text = _TOKEN_SHAPE.sub("<token>", text)
    return _BOT_URL.sub("/bot<token>", text)


class SafeFormatter(logging.Formatter):
    """A log formatter that keeps a record's template and numbers, never user text or the token."""

    def __init__(self, secrets: list[str] | None = None, fmt: str | None = None) -> None:
        super().__init__(fmt or "%(asctime)s %(levelname)s %(name)s: %(message)s")
        self.secrets = [s for s in (secrets or []) if s]

    def format(self, record: logging.LogRecord) -> str:
        """The record as one scrubbed line."""
        if record.name.startswith(LIBRARY_PREFIXES) and record.args:
            # Keep what happened and its numbers, drop the other values (API parameters, update
            # contents, URLs).
            record = logging.makeLogRecord(
                {**record.__dict__, "args": None, "msg": keep_numbers(str(record.msg), record.args)}
            )
        return scrub(super().format(record), self.secrets)

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


class DropLibraryNoise(logging.Filter):
    """Drops python-telegram-bot's records listed in :data:`DROPPED_TEMPLATES` (see the module)."""

    def filter(self, record: logging.LogRecord) -> bool:
        """False for a record to drop."""
        return not (record.name.startswith("telegram") and str(record.msg).startswith(DROPPED_TEMPLATES))


def configure_logging(
    level: int = logging.INFO, secrets: list[str] | None = None, stream: TextIO | None = None
) -> logging.Handler:
    """Send all logging (and Python warnings) through one scrubbing handler at ``level`` (a
    :mod:`logging` number); ``secrets`` are scrubbed from every line. Returns the handler (tests read
    its stream)."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(SafeFormatter(secrets))
    handler.addFilter(DropLibraryNoise())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    # httpx says one line per request at INFO; it is noise even when scrubbed.
    logging.getLogger("httpx").setLevel(max(level, logging.WARNING))
    logging.captureWarnings(True)
    return handler


def log_uncaught(
    kind: type[BaseException], error: BaseException, tb: TracebackType | None, where: str = "the bot"
) -> None:
    """Log an exception nobody caught through the scrubbing handler (frames and type, no message)."""
    if issubclass(kind, KeyboardInterrupt):
        return
    logging.getLogger("bot").critical("Unexpected error in %s; stopping.", where, exc_info=(kind, error, tb))


def install_excepthooks() -> None:
    """Uncaught exceptions, in the main thread or any other, are logged by :func:`log_uncaught` instead
    of printed whole by Python (their messages and reprs can hold the token or a URL with it)."""
    sys.excepthook = log_uncaught

    def thread_hook(args: threading.ExceptHookArgs) -> None:
        if args.exc_value is not None:
            log_uncaught(args.exc_type, args.exc_value, args.exc_traceback, "a thread")

    threading.excepthook = thread_hook
