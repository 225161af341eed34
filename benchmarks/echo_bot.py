"""The baselines for benchmarks/load.py: the smallest python-telegram-bot bot set up like kyr-bot.

Same ApplicationBuilder setup as ``bot.channels.telegram.app.build_application`` (token, base_url,
base_file_url, get_updates_read_timeout, no rate limiter, and with ``--concurrency``/``--pool`` the same
number of updates handled at a time and the same connection pool), long polling with
``run_polling(allowed_updates=ALL_TYPES)`` and one MessageHandler that sends the same text back; with
``--shape FILE``, a reply the size of a kyr-bot answer with its buttons instead. It reads the same
environment variables (TELEGRAM_BOT_TOKEN, TELEGRAM_API_URL).

    TELEGRAM_BOT_TOKEN=... TELEGRAM_API_URL=http://127.0.0.1:PORT/bot python benchmarks/echo_bot.py \
        [--concurrency 4 --pool 8] [--shape shape.json]
"""

from __future__ import annotations

import argparse
import html
import json
import os
from pathlib import Path

from telegram import InlineKeyboardMarkup, LinkPreviewOptions, Update
from telegram.constants import ParseMode
from telegram.ext import ApplicationBuilder, ContextTypes, MessageHandler, filters


async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    if message is None or message.text is None:
        return
    await context.bot.send_message(message.chat_id, message.text)


def answer_sized_echo(shape_file: str):
    """The same echo, but each reply has the size and buttons of a kyr-bot answer (``--shape``: a JSON file
    with ``html``, the answer's text, and ``reply_markup``, its keyboard):
    this separates what our matching costs from what sending a bigger message costs the framework."""
    shape = json.loads(Path(shape_file).read_text(encoding="utf-8"))
    tail, markup = shape["html"], InlineKeyboardMarkup.de_json(shape["reply_markup"], None)
    preview = LinkPreviewOptions(is_disabled=True)

    async def reply(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        if message is None or message.text is None:
            return
        text = html.escape(message.text, quote=False) + "\n\n" + tail
        await context.bot.send_message(
            message.chat_id, text, parse_mode=ParseMode.HTML, link_preview_options=preview, reply_markup=markup
        )

    return reply


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="A minimal echo bot, the baseline of benchmarks/load.py.")
    parser.add_argument("--concurrency", type=int, default=1, help="updates handled at the same time")
    parser.add_argument("--pool", type=int, help="HTTP connections to the Bot API (python-telegram-bot's default)")
    parser.add_argument("--shape", help="reply with an answer-sized text and buttons from this JSON file")
    args = parser.parse_args(argv)
    api_url = os.environ["TELEGRAM_API_URL"].rstrip("/")
    file_url = (api_url[: -len("/bot")] if api_url.endswith("/bot") else api_url) + "/file/bot"
    builder = (
        ApplicationBuilder()
        .token(os.environ["TELEGRAM_BOT_TOKEN"])
        .base_url(api_url)
        .base_file_url(file_url)
        .get_updates_read_timeout(40)
        .concurrent_updates(args.concurrency)
    )
    if args.pool:
        builder = builder.connection_pool_size(args.pool)
    app = builder.build()
    handler = answer_sized_echo(args.shape) if args.shape else echo
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, handler))
    app.run_polling(allowed_updates=Update.ALL_TYPES)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
