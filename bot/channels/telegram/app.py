"""Building the python-telegram-bot Application and its parts (:mod:`.runner` runs it)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from telegram import LinkPreviewOptions, MessageEntity, Update
from telegram.constants import ParseMode
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    ChatMemberHandler,
    ChosenInlineResultHandler,
    Defaults,
    InlineQueryHandler,
    MessageHandler,
    TypeHandler,
    filters,
)

from bot.channels.telegram.delivery import DEFAULT_POLICY, DeliveryPolicy
from bot.channels.telegram.filters import AddressedToBot, ViaThisBot
from bot.channels.telegram.handlers import TelegramFrontEnd
from bot.channels.telegram.photos import FileIds
from bot.channels.telegram.polling import ConflictGuard, PollingRequest
from bot.channels.telegram.throttle import PerChatRateLimiter
from bot.channels.telegram.updates import DuplicateGuard, PerChatUpdateProcessor
from bot.core.conversation import Conversation
from bot.runtime.config import Config

log = logging.getLogger(__name__)

CONCURRENT_UPDATES = 4  # chats handled at the same time (each chat stays in order): enough to keep
# Telegram's 30 messages a second busy over a real round trip, few enough to stay cheap
GET_UPDATES_READ_TIMEOUT = 40.0  # seconds
LONG_POLL_TIMEOUT = 10  # seconds Telegram holds a getUpdates open when there is nothing new
SPARE_CONNECTIONS = 4  # beyond one per slot: button answers, held-back answers, menus
# The update types the bot handles, asked of Telegram in both polling and webhook mode. Telegram sends
# chosen_inline_result only to a bot whose inline feedback is on (BotFather's /setinlinefeedback).
ALLOWED_UPDATES = (
    "message",
    "edited_message",
    "callback_query",
    "inline_query",
    "my_chat_member",
    "chosen_inline_result",
)


@dataclass(frozen=True)
class TelegramBot:
    """What :func:`build_application` builds: the Application, the front end that answers through the
    conversation, the getUpdates connection and the guard against a second copy polling the token."""

    app: Application
    front: TelegramFrontEnd
    polling: PollingRequest
    conflicts: ConflictGuard


def build_application(
    config: Config,
    conversation: Conversation,
    *,
    files: FileIds | None = None,
    policy: DeliveryPolicy = DEFAULT_POLICY,
    read_timeout: float | None = None,
    on_poll_answer: Callable[[int], None] | None = None,
) -> TelegramBot:
    """The Application for ``config`` (token, API URL, send rate) answering through ``conversation``.

    ``files`` keeps Telegram's ids of uploaded pictures (memory only when not given); ``read_timeout``
    (seconds) overrides the HTTP read timeouts (tests use short ones); ``policy`` says how hard to retry
    a reply; ``on_poll_answer`` is told the HTTP status of every answered ``getUpdates`` (the heartbeat).
    """
    front = TelegramFrontEnd(conversation, policy, files)
    polling = PollingRequest(on_answer=on_poll_answer, read_timeout=read_timeout or GET_UPDATES_READ_TIMEOUT)
    defaults = Defaults(parse_mode=ParseMode.HTML, link_preview_options=LinkPreviewOptions(is_disabled=True))
    builder = (
        ApplicationBuilder()
        .token(config.token)
        .base_url(config.api_url)
        .base_file_url(config.file_url)
        .defaults(defaults)
        .post_init(front.post_init)
        .get_updates_request(polling)
        .concurrent_updates(PerChatUpdateProcessor(CONCURRENT_UPDATES))
        .connection_pool_size(CONCURRENT_UPDATES + SPARE_CONNECTIONS)
    )
    if read_timeout is not None:
        builder = builder.read_timeout(read_timeout)
    if config.max_rate > 0:
        # Spread the allowance over tenths of a second, so a burst does not send a whole second's worth
        # at once (Telegram counts roughly per second, and would answer "429 Too Many Requests").
        period = 0.1 if config.max_rate >= 10 else 1.0
        limiter = PerChatRateLimiter(config.max_rate * period, period)
        builder = builder.rate_limiter(limiter)  # type: ignore[arg-type]  # PTB types it for no retry data
    app = builder.build()
    conflicts = ConflictGuard(polling, config.conflict_grace)
    conflicts.app = app
    add_handlers(app, front)
    app.add_error_handler(conflicts.on_error)
    app.add_error_handler(front.on_error)
    return TelegramBot(app, front, polling, conflicts)


def add_handlers(app: Application, front: TelegramFrontEnd) -> None:
    """Route every update type in ALLOWED_UPDATES to the front end. Order matters: group -2 drops the
    bot's own inline results sent back into a chat, group -1 drops updates already answered, then the
    first matching handler of group 0 answers (commands before text, private before group)."""
    private = filters.ChatType.PRIVATE
    in_group = filters.ChatType.GROUPS
    to_bot = filters.Entity(MessageEntity.MENTION) | filters.REPLY
    caption_to_bot = filters.CaptionEntity(MessageEntity.MENTION) | filters.REPLY | filters.CaptionEntity("bot_command")
    app.add_handler(MessageHandler(ViaThisBot(), front.ignore), group=-2)
    app.add_handler(TypeHandler(Update, DuplicateGuard()), group=-1)
    app.add_handler(MessageHandler(filters.COMMAND, front.on_command))
    app.add_handler(MessageHandler(filters.TEXT & private, front.on_text))
    app.add_handler(MessageHandler(filters.TEXT & in_group & to_bot & AddressedToBot(), front.on_text))
    app.add_handler(MessageHandler(filters.CAPTION & private, front.on_caption))
    app.add_handler(MessageHandler(filters.CAPTION & in_group & caption_to_bot, front.on_caption))
    non_text = ~filters.TEXT & ~filters.CAPTION & ~filters.StatusUpdate.ALL
    app.add_handler(MessageHandler(non_text & private, front.on_non_text))
    app.add_handler(MessageHandler(non_text & in_group & filters.REPLY & AddressedToBot(), front.on_non_text))
    app.add_handler(CallbackQueryHandler(front.on_callback))
    app.add_handler(InlineQueryHandler(front.on_inline))
    app.add_handler(ChatMemberHandler(front.on_my_chat_member, ChatMemberHandler.MY_CHAT_MEMBER))
    app.add_handler(ChosenInlineResultHandler(front.on_chosen_inline))
