"""Try the token before the slow part of start-up.

Building the conversation can take seconds (the matcher fits its model when none is shipped or cached for
the content); a revoked or mistyped token should stop the bot at once, not after that. So ``kyr-bot run``
first asks Telegram ``getMe`` with the token alone: a rejection raises ``InvalidToken`` (exit status 3,
see :mod:`.runner`); while Telegram is unreachable it retries with the same backoff and log lines as the
rest of start-up (:func:`.startup.until_reachable`), and SIGTERM or SIGINT end the wait cleanly.
"""

from __future__ import annotations

import asyncio
import signal

from telegram import Bot

from bot.channels.telegram.startup import Reachability, until_reachable
from bot.runtime.config import Config


def confirm_token(config: Config) -> bool:
    """True once Telegram accepted ``config.token`` (one ``getMe``, retried while Telegram is unreachable);
    False when SIGTERM or SIGINT came first. Raises ``telegram.error.InvalidToken`` when Telegram rejects
    the token (HTTP 401/404)."""
    return asyncio.run(_confirm(config))


async def _confirm(config: Config) -> bool:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    bot = Bot(config.token, base_url=config.api_url, base_file_url=config.file_url)
    try:
        return await until_reachable(bot.initialize, stop, Reachability())  # initialize() calls getMe
    finally:
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(sig)
        await bot.shutdown()
