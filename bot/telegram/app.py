"""Building the python-telegram-bot Application and running it (long polling or a webhook)."""

from __future__ import annotations

import argparse
import logging
import secrets
import sys
from urllib.parse import urlsplit

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
from ..flood import FloodGuard
from ..i18n import check_catalogs
from ..knowledge import KnowledgeError, load_knowledge
from ..logsafe import configure_logging
from ..storage import SqliteStore
from .delivery import DEFAULT_POLICY, DeliveryPolicy
from .filters import AddressedToBot
from .handlers import TelegramFrontEnd
from .updates import DuplicateGuard, PerChatUpdateProcessor

log = logging.getLogger(__name__)

CONCURRENT_UPDATES = 4  # chats handled at the same time (each chat stays in order): enough to keep
# Telegram's 30 messages a second busy over a real round trip, few enough to stay cheap
GET_UPDATES_READ_TIMEOUT = 40.0  # seconds


def build_application(
    config: Config,
    conversation: Conversation,
    *,
    policy: DeliveryPolicy = DEFAULT_POLICY,
    read_timeout: float | None = None,
) -> Application:
    """The Application for ``config`` (token, API URL, send rate) answering through ``conversation``.

    ``read_timeout`` (seconds) overrides the HTTP read timeouts (tests use short ones); ``policy`` says
    how hard to retry a reply. The front end is in ``app.bot_data["front"]``.
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
        .get_updates_read_timeout(read_timeout or GET_UPDATES_READ_TIMEOUT)
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
        builder = builder.rate_limiter(limiter)
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


def run_bot(args: argparse.Namespace, config: Config) -> int:
    """``kyr-bot run``: check the content, then poll or serve the webhook until stopped. Exit status:
    0 stopped, 2 bad configuration or content."""
    configure_logging(secrets=[config.token])
    try:
        kb = load_knowledge(config.knowledge_dir, operator=config.operator)
    except KnowledgeError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        print("kyr-bot: refusing to start with a broken knowledge base.", file=sys.stderr)
        return 2
    problems = check_catalogs(kb.languages)
    if problems:
        for problem in problems:
            print(problem, file=sys.stderr)
        print("kyr-bot: refusing to start with broken translations.", file=sys.stderr)
        return 2
    store = SqliteStore(config.data_dir)
    conversation = Conversation.from_knowledge(kb, store, cache_dir=config.model_cache_dir, flood=FloodGuard())
    app = build_application(config, conversation)
    try:
        if args.webhook_url:
            parts = urlsplit(args.webhook_url)
            if parts.scheme != "https" or not parts.netloc:
                print("kyr-bot: --webhook-url must be a public https:// URL", file=sys.stderr)
                return 2
            secret = config.webhook_secret or secrets.token_urlsafe(32)
            log.info("Starting webhook on %s:%s.", args.listen, args.port)
            app.run_webhook(
                listen=args.listen,
                port=args.port,
                url_path=parts.path.lstrip("/"),
                webhook_url=args.webhook_url,
                secret_token=secret,
                allowed_updates=Update.ALL_TYPES,
            )
        else:
            log.info("Starting long polling.")
            app.run_polling(allowed_updates=Update.ALL_TYPES)
    finally:
        store.close()
    return 0
