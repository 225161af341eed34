"""Telegram's documented limits, in one place, each with its source.

Every room keeps to these: the core composes within them (so the console shows what Telegram would),
and the Telegram channel trims to them as a last safety net. ``tests/core/test_limits.py`` holds each
against python-telegram-bot's own ``telegram.constants``. Sources: the Bot API reference,
https://core.telegram.org/bots/api (the method or type named beside each), and the Bot FAQ,
https://core.telegram.org/bots/faq#my-bot-is-hitting-limits-how-do-i-avoid-this.
"""

from __future__ import annotations

# Messages (sendMessage, editMessageText): text is 1-4096 characters after entities parsing.
MESSAGE_TEXT_CHARS = 4096
# sendPhoto: a caption is 0-1024 characters after entities parsing.
CAPTION_CHARS = 1024
# InlineKeyboardButton.callback_data: 1-64 bytes.
CALLBACK_DATA_BYTES = 64
# answerCallbackQuery: the notification text is 0-200 characters.
CALLBACK_NOTICE_CHARS = 200
# answerInlineQuery: at most 50 results per query.
INLINE_RESULTS = 50
# InlineQuery.query: up to 256 characters.
INLINE_QUERY_CHARS = 256
# InlineQueryResult*.id: 1-64 bytes.
INLINE_RESULT_ID_BYTES = 64
# Deep linking (/start PAYLOAD): up to 64 characters of A-Z, a-z, 0-9, _ and -.
START_PAYLOAD_CHARS = 64
# ForceReply.input_field_placeholder: 1-64 characters.
INPUT_PLACEHOLDER_CHARS = 64
# setWebhook secret_token: 1-256 characters of A-Z, a-z, 0-9, _ and -.
WEBHOOK_SECRET_CHARS = 256
# Bot FAQ: about 30 messages a second overall, and at most 20 messages a minute to one group.
OVERALL_MESSAGES_PER_SECOND = 30.0
GROUP_MESSAGES_PER_MINUTE = 20

# Not Telegram's: how long an inline result's one-line description is kept (a phone shows about two lines).
INLINE_DESCRIPTION_CHARS = 120
