"""The baseline for benchmarks/load.py: the smallest python-telegram-bot bot set up like kyr-bot.

Same ApplicationBuilder setup as ``bot.telegram_app.build_application`` (token, base_url, base_file_url,
get_updates_read_timeout, no rate limiter), long polling with ``run_polling(allowed_updates=ALL_TYPES)``
and one MessageHandler that sends the same text back. It reads the same environment variables
(TELEGRAM_BOT_TOKEN, TELEGRAM_API_URL).

    TELEGRAM_BOT_TOKEN=... TELEGRAM_API_URL=http://127.0.0.1:PORT/bot python benchmarks/echo_bot.py
"""

from __future__ import annotations

import os

from telegram import Update
from telegram.ext import ApplicationBuilder, ContextTypes, MessageHandler, filters


async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    if message is None or message.text is None:
        return
    await context.bot.send_message(message.chat_id, message.text)


def main() -> int:
    api_url = os.environ["TELEGRAM_API_URL"].rstrip("/")
    file_url = (api_url[: -len("/bot")] if api_url.endswith("/bot") else api_url) + "/file/bot"
    app = (
        ApplicationBuilder()
        .token(os.environ["TELEGRAM_BOT_TOKEN"])
        .base_url(api_url)
        .base_file_url(file_url)
        .get_updates_read_timeout(40)
        .build()
    )
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, echo))
    app.run_polling(allowed_updates=Update.ALL_TYPES)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
