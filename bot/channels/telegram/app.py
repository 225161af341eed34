"""Building the python-telegram-bot Application and its parts (:mod:`.runner` runs it)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from telegram import LinkPreviewOptions, MessageEntity
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
    filters,
)

from bot.channels.telegram.delivery import DEFAULT_POLICY, DeliveryPolicy
from bot.channels.telegram.filters import AddressedToBot, ViaThisBot
from bot.channels.telegram.handlers import TelegramFrontEnd
from bot.channels.telegram.intake import Intake
from bot.channels.telegram.ledger import HandledUpdates, UpdateLedger
from bot.channels.telegram.photos import FileIds
from bot.channels.telegram.poller import Poller
from bot.channels.telegram.polling import ConflictGuard, PollingRequest
from bot.channels.telegram.startup import Reachability, polling_error_callback
from bot.channels.telegram.throttle import PerChatRateLimiter
from bot.channels.telegram.updates import PerChatUpdateProcessor
from bot.core.conversation import Conversation
from bot.runtime.config import Config

log = logging.getLogger(__name__)

CONCURRENT_UPDATES = 4  # chats handled at the same time (each chat stays in order): enough to keep
# Telegram's 30 messages a second busy over a real round trip, few enough to stay cheap
GET_UPDATES_READ_TIMEOUT = 40.0  # seconds
# Seconds to wait for Telegram's answer to a send (python-telegram-bot's default is 5): Telegram can take
# longer and still send the message, and a send whose answer did not come is never sent again (delivery.py).
SEND_READ_TIMEOUT = 30.0
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
    conversation, the ledger of updates handled, the intake that reads and queues updates (polling and
    webhook alike), the poller (long polling) and the guard against a second copy polling the token."""

    app: Application
    front: TelegramFrontEnd
    ledger: UpdateLedger
    intake: Intake
    poller: Poller
    conflicts: ConflictGuard


def build_application(
    config: Config,
    conversation: Conversation,
    *,
    files: FileIds | None = None,
    handled: HandledUpdates | None = None,
    policy: DeliveryPolicy = DEFAULT_POLICY,
    read_timeout: float | None = None,
    on_poll_answer: Callable[[int], None] | None = None,
    reachability: Reachability | None = None,
    long_poll_timeout: int = LONG_POLL_TIMEOUT,
) -> TelegramBot:
    """The Application for ``config`` (token, API URL, send rate, conflict grace) answering through
    ``conversation``.

    ``files`` keeps Telegram's ids of uploaded pictures and ``handled`` the ids of handled updates across
    restarts (memory only when not given); ``read_timeout`` (seconds) overrides the HTTP read timeouts
    (tests use short ones); ``policy`` says how hard to retry a reply; ``on_poll_answer`` is told the HTTP
    status of every answered ``getUpdates`` (the heartbeat); ``reachability`` logs polling outages;
    ``long_poll_timeout`` is how long (seconds) Telegram holds a poll open when there is nothing new.
    """
    ledger = UpdateLedger(handled)
    front = TelegramFrontEnd(conversation, policy, files, ledger)
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
        .concurrent_updates(PerChatUpdateProcessor(CONCURRENT_UPDATES, ledger))
        .connection_pool_size(CONCURRENT_UPDATES + SPARE_CONNECTIONS)
        .read_timeout(read_timeout or SEND_READ_TIMEOUT)
    )
    if config.max_rate > 0:
        # Spread the allowance over tenths of a second, so a burst does not send a whole second's worth
        # at once (Telegram counts roughly per second, and would answer "429 Too Many Requests").
        period = 0.1 if config.max_rate >= 10 else 1.0
        limiter = PerChatRateLimiter(config.max_rate * period, period)
        builder = builder.rate_limiter(limiter)  # type: ignore[arg-type]  # PTB types it for no retry data
    app = builder.build()
    conflicts = ConflictGuard(config.conflict_grace)
    intake = Intake(app, ledger, ALLOWED_UPDATES)
    poller = Poller(
        app,
        polling,
        intake,
        conflicts,
        timeout=long_poll_timeout,
        allowed=ALLOWED_UPDATES,
        on_error=polling_error_callback(reachability or Reachability(), conflicts),
    )
    add_handlers(app, front)
    app.add_error_handler(front.on_error)
    return TelegramBot(app, front, ledger, intake, poller, conflicts)


def add_handlers(app: Application, front: TelegramFrontEnd) -> None:
    """Route every update type in ALLOWED_UPDATES to the front end (the intake ignores any other type, and
    updates already answered). Order matters: group -2 drops the bot's own inline results sent back into
    a chat, then the first matching handler of group 0 answers (commands before text, private before
    group)."""
    private = filters.ChatType.PRIVATE
    in_group = filters.ChatType.GROUPS
    to_bot = filters.Entity(MessageEntity.MENTION) | filters.REPLY
    caption_to_bot = filters.CaptionEntity(MessageEntity.MENTION) | filters.REPLY | filters.CaptionEntity("bot_command")
    app.add_handler(MessageHandler(ViaThisBot(), front.ignore), group=-2)
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
