"""Building the python-telegram-bot Application (running it is :mod:`.runner`'s job)."""

from __future__ import annotations

import logging
from collections.abc import Callable

from telegram import LinkPreviewOptions, MessageEntity, Update
from telegram.constants import ParseMode
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    Defaults,
    InlineQueryHandler,
    MessageHandler,
    TypeHandler,
    filters,
)

from ..config import Config
from ..conversation import Conversation
from .delivery import DEFAULT_POLICY, DeliveryPolicy
from .filters import AddressedToBot
from .handlers import TelegramFrontEnd
from .startup import ObservedRequest
from .updates import DuplicateGuard, PerChatUpdateProcessor

log = logging.getLogger(__name__)

CONCURRENT_UPDATES = 4  # chats handled at the same time (each chat stays in order): enough to keep
# Telegram's 30 messages a second busy over a real round trip, few enough to stay cheap
GET_UPDATES_READ_TIMEOUT = 40.0  # seconds
LONG_POLL_TIMEOUT = 10  # seconds Telegram holds a getUpdates open when there is nothing new
# The update types the handlers below use; Telegram sends no others. Add a type here with its handler.
ALLOWED_UPDATES: tuple[str, ...] = (
    Update.MESSAGE,
    Update.EDITED_MESSAGE,  # a corrected question is answered again
    Update.CALLBACK_QUERY,
    Update.INLINE_QUERY,
)


def build_application(
    config: Config,
    conversation: Conversation,
    *,
    policy: DeliveryPolicy = DEFAULT_POLICY,
    read_timeout: float | None = None,
    on_poll_answer: Callable[[int], None] | None = None,
) -> Application:
    """The Application for ``config`` (token, API URL, send rate) answering through ``conversation``.

    ``read_timeout`` (seconds) overrides the HTTP read timeouts (tests use short ones); ``policy`` says
    how hard to retry a reply; ``on_poll_answer`` is told the HTTP status of every answered
    ``getUpdates`` (the heartbeat). The front end is in ``app.bot_data["front"]``.
    """
    front = TelegramFrontEnd(conversation, policy)
    defaults = Defaults(parse_mode=ParseMode.HTML, link_preview_options=LinkPreviewOptions(is_disabled=True))
    builder = (
        ApplicationBuilder()
        .token(config.token)
        .base_url(config.api_url)
        .base_file_url(config.file_url)
        .defaults(defaults)
        .post_init(front.post_init)
        .get_updates_request(
            ObservedRequest(
                on_poll_answer or (lambda status: None),
                connection_pool_size=1,
                read_timeout=read_timeout or GET_UPDATES_READ_TIMEOUT,
            )
        )
        .concurrent_updates(PerChatUpdateProcessor(CONCURRENT_UPDATES))
        .connection_pool_size(CONCURRENT_UPDATES)
    )
    if read_timeout is not None:
        builder = builder.read_timeout(read_timeout)
    if config.max_rate > 0:
        # Spread the allowance over tenths of a second, so a burst does not send a whole second's worth
        # at once (Telegram counts roughly per second, and would answer "429 Too Many Requests").
        period = 0.1 if config.max_rate >= 10 else 1.0
        limiter = AIORateLimiter(overall_max_rate=config.max_rate * period, overall_time_period=period, max_retries=3)
        builder = builder.rate_limiter(limiter)  # type: ignore[arg-type]  # PTB types it for no retry data
    app = builder.build()
    app.bot_data["front"] = front

    private = filters.ChatType.PRIVATE
    in_group = filters.ChatType.GROUPS
    to_bot = filters.Entity(MessageEntity.MENTION) | filters.REPLY
    app.add_handler(TypeHandler(Update, DuplicateGuard()), group=-1)
    app.add_handler(CommandHandler(conversation.commands.names(), front.on_command))
    app.add_handler(MessageHandler(filters.COMMAND, front.on_unknown_command))
    app.add_handler(MessageHandler(filters.TEXT & private, front.on_text))
    app.add_handler(MessageHandler(filters.TEXT & in_group & to_bot & AddressedToBot(), front.on_text))
    non_text = ~filters.TEXT & ~filters.StatusUpdate.ALL
    app.add_handler(MessageHandler(non_text & private, front.on_non_text))
    app.add_handler(MessageHandler(non_text & in_group & filters.REPLY & AddressedToBot(), front.on_non_text))
    app.add_handler(CallbackQueryHandler(front.on_callback))
    app.add_handler(InlineQueryHandler(front.on_inline))
    app.add_error_handler(front.on_error)
    return app
