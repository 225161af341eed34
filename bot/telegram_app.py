"""The Telegram front end: a thin layer that turns updates into conversation calls and replies into
Bot API calls. All the thinking happens in ``conversation.py``.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import logging
import secrets
import sys
import warnings
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from functools import lru_cache, partial
from typing import Any
from urllib.parse import urlsplit

from telegram import (
    BotCommand,
    BotCommandScopeChat,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InlineQueryResultArticle,
    InputTextMessageContent,
    LinkPreviewOptions,
    MessageEntity,
    SwitchInlineQueryChosenChat,
    Update,
)
from telegram.constants import ChatType, ParseMode
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError, TimedOut
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    ApplicationHandlerStop,
    BaseUpdateProcessor,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    InlineQueryHandler,
    MessageHandler,
    TypeHandler,
    filters,
)
from telegram.warnings import PTBDeprecationWarning

from .compose import TELEGRAM_TEXT_LIMIT
from .conversation import COMMANDS, Conversation, FloodGuard, menu_commands
from .i18n import translator
from .knowledge import KnowledgeBase, KnowledgeError, load_knowledge
from .logsafe import configure_logging
from .matcher import Matcher
from .replies import Button, InlineAnswer, Reply, User
from .settings import Settings, SettingsError
from .storage import PreferenceStore, SqliteStore

log = logging.getLogger(__name__)

INLINE_CACHE_SECONDS = 30
SEEN_UPDATES = 2048  # how many recent update ids to remember, so a redelivered update is answered once
NO_PREVIEW = LinkPreviewOptions(is_disabled=True)
SEND_ATTEMPTS = 4
CONCURRENT_UPDATES = 4  # chats handled at the same time (each chat stays in order): enough to keep
# Telegram's 30 messages a second busy over a real round trip, few enough to stay cheap
RETRY_BACKOFF = 0.5  # seconds, times the attempt number
MAX_RETRY_AFTER = 60.0


# ---------------------------------------------------------------------- translation of replies
@lru_cache(maxsize=4096)
def keyboard(reply_buttons: tuple[tuple[Button, ...], ...]) -> InlineKeyboardMarkup | None:
    rows = []
    for row in reply_buttons:
        out = []
        for b in row:
            if b.url:
                out.append(InlineKeyboardButton(b.label, url=b.url))
            elif b.share is not None:
                out.append(
                    InlineKeyboardButton(
                        b.label,
                        switch_inline_query_chosen_chat=SwitchInlineQueryChosenChat(
                            query=b.share[:256],
                            allow_user_chats=True,
                            allow_group_chats=True,
                            allow_channel_chats=True,
                        ),
                    )
                )
            elif b.data and len(b.data.encode()) <= 64:
                out.append(InlineKeyboardButton(b.label, callback_data=b.data))
        if out:
            rows.append(out)
    return InlineKeyboardMarkup(rows) if rows else None


def split_text(text: str, limit: int = TELEGRAM_TEXT_LIMIT) -> list[str]:
    """Split at paragraph boundaries so no part is over Telegram's limit (answers are composed to fit;
    this is a safety net for anything longer)."""
    if len(text) <= limit:
        return [text]
    parts: list[str] = []
    current = ""
    for para in text.split("\n\n"):
        candidate = f"{current}\n\n{para}" if current else para
        if len(candidate) <= limit:
            current = candidate
            continue
        if current:
            parts.append(current)
        while len(para) > limit:
            parts.append(para[:limit])
            para = para[limit:]
        current = para
    if current:
        parts.append(current)
    return parts


async def deliver(call: Callable[[], Awaitable[object]], attempts: int = SEND_ATTEMPTS) -> bool:
    """Make one Bot API call that sends something, riding out flood waits and passing network faults.

    429: wait as long as Telegram says, then try again (the message is delivered once). 5xx, dropped
    connections and timeouts: a few retries with a short back-off. A user who blocked the bot (403) and
    a refused message (400) are not retried. A reply that finally fails is logged without its text.
    """
    for attempt in range(1, attempts + 1):
        try:
            await call()
            return True
        except RetryAfter as exc:
            with warnings.catch_warnings():  # PTB 22 warns that retry_after will become a timedelta
                warnings.simplefilter("ignore", PTBDeprecationWarning)
                after = exc.retry_after
            wait = after.total_seconds() if isinstance(after, dt.timedelta) else float(after)
            log.info("Telegram asked to slow down; retrying in %.1f s.", wait)
            await asyncio.sleep(min(float(wait), MAX_RETRY_AFTER) + 0.05)
        except Forbidden:
            log.info("A user has blocked the bot; reply not delivered.")
            return False
        except BadRequest as exc:
            log.warning("Telegram refused a reply (%s).", exc.message.split(":")[0][:80])
            return False
        except (TimedOut, NetworkError) as exc:
            if attempt == attempts:
                log.error("A reply could not be delivered after %d attempts (%s).", attempts, type(exc).__name__)
                return False
            await asyncio.sleep(RETRY_BACKOFF * attempt)
    log.error("A reply could not be delivered after %d attempts (flood wait).", attempts)
    return False


def user_of(update: Update) -> User:
    tg_user = update.effective_user
    if tg_user is None:
        return User(None)
    return User(tg_user.id, tg_user.language_code)


class TelegramFrontEnd:
    """Holds the conversation and the handlers; one per Application."""

    def __init__(self, conversation: Conversation) -> None:
        self.conversation = conversation
        self._seen: OrderedDict[int, None] = OrderedDict()

    # -------------------------------------------------------------- plumbing
    async def drop_duplicates(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Runs before every handler: an update id seen before is not answered again."""
        if not isinstance(update, Update):
            return
        if update.update_id in self._seen:
            raise ApplicationHandlerStop
        self._seen[update.update_id] = None
        while len(self._seen) > SEEN_UPDATES:
            self._seen.popitem(last=False)

    async def send(self, update: Update, context: ContextTypes.DEFAULT_TYPE, reply: Reply | None) -> None:
        if reply is None or not reply.text:
            return
        chat = update.effective_chat
        if chat is None:
            return
        parts = split_text(reply.text)
        markup = keyboard(reply.buttons)
        for i, part in enumerate(parts):
            sent = await deliver(
                partial(
                    context.bot.send_message,
                    chat.id,
                    part,
                    parse_mode=ParseMode.HTML,
                    link_preview_options=NO_PREVIEW,
                    reply_markup=markup if i == len(parts) - 1 else None,
                )
            )
            if not sent:
                return
        await self.update_chat_menu(context, chat.id, reply)

    async def update_chat_menu(self, context: ContextTypes.DEFAULT_TYPE, chat_id: int, reply: Reply) -> None:
        """After a language switch, that chat's command menu speaks the new language; after /delete,
        the chat-specific menu is dropped too."""
        try:
            if reply.language_changed:
                await context.bot.set_my_commands(
                    [BotCommand(name, desc) for name, desc in menu_commands(reply.lang)],
                    scope=BotCommandScopeChat(chat_id),
                )
            if reply.forget_user:
                await context.bot.delete_my_commands(scope=BotCommandScopeChat(chat_id))
        except TelegramError as exc:
            log.warning("Could not update a chat's command menu (%s).", type(exc).__name__)

    # -------------------------------------------------------------- handlers
    async def on_command(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        if message is None or not message.text:
            return
        word = message.text.split()[0][1:]
        command = word.split("@", 1)[0].lower()
        arg = " ".join(context.args or [])
        reply = self.conversation.handle_command(user_of(update), command, arg)
        await self.send(update, context, reply)

    async def on_unknown_command(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        if message is None or not message.text:
            return
        if message.chat.type == ChatType.CHANNEL:
            return  # a channel post: the bot does not talk in channels
        target = message.text.split()[0].partition("@")[2]
        if target and target.lower() != (context.bot.username or "").lower():
            return  # addressed to another bot
        if update.effective_chat and update.effective_chat.type != ChatType.PRIVATE and not target:
            return  # a bare unknown command in a group is probably for someone else
        await self.send(update, context, self.conversation.handle_command(user_of(update), "?"))

    async def on_text(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        if message is None or message.text is None:
            return
        text = message.text
        if update.effective_chat and update.effective_chat.type != ChatType.PRIVATE:
            text = self._strip_mention(message, context.bot.username or "")
        reply = self.conversation.handle_text(user_of(update), text)
        await self.send(update, context, reply)

    @staticmethod
    def _strip_mention(message, username: str) -> str:
        text = message.text or ""
        for entity in message.entities or ():
            if entity.type == MessageEntity.MENTION:
                mention = message.parse_entity(entity)
                if mention.lstrip("@").lower() == username.lower():
                    text = text.replace(mention, " ")
        return text

    async def on_non_text(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await self.send(update, context, self.conversation.handle_non_text(user_of(update)))

    async def on_callback(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        if query is None:
            return
        reply = self.conversation.handle_callback(user_of(update), query.data if isinstance(query.data, str) else None)
        try:
            await query.answer(text=(reply.notice or "")[:200] or None)
        except TelegramError as exc:
            log.info("Could not answer a button press (%s).", type(exc).__name__)
        if not reply.text:
            return
        message = query.message
        if reply.edit and message is not None and getattr(message, "text", None) is not None:
            try:
                await context.bot.edit_message_text(
                    reply.text[:TELEGRAM_TEXT_LIMIT],
                    chat_id=message.chat.id,
                    message_id=message.message_id,
                    parse_mode=ParseMode.HTML,
                    link_preview_options=NO_PREVIEW,
                    reply_markup=keyboard(reply.buttons),
                )
                await self.update_chat_menu(context, message.chat.id, reply)
                return
            except BadRequest as exc:
                if "not modified" in str(exc).lower():
                    return
                log.info("Could not edit a message (%s); sending a new one.", type(exc).__name__)
        await self.send(update, context, reply)

    async def on_inline(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.inline_query
        if query is None:
            return
        answers = self.conversation.inline_answers(user_of(update), query.query or "")
        results = [self._article(a) for a in answers]
        try:
            await query.answer(results, cache_time=INLINE_CACHE_SECONDS, is_personal=True)
        except BadRequest as exc:
            log.info("Inline answer refused (%s).", type(exc).__name__)

    @staticmethod
    def _article(answer: InlineAnswer) -> InlineQueryResultArticle:
        return InlineQueryResultArticle(
            id=answer.id[:64],
            title=answer.title,
            description=answer.description,
            input_message_content=InputTextMessageContent(
                answer.text[:TELEGRAM_TEXT_LIMIT], parse_mode=ParseMode.HTML, link_preview_options=NO_PREVIEW
            ),
            reply_markup=keyboard(answer.buttons),
        )

    async def on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        # Never log the update or the exception message: either may hold what someone wrote.
        error = context.error
        where = ""
        if error is not None and error.__traceback__ is not None:
            tb = error.__traceback__
            while tb.tb_next is not None:
                tb = tb.tb_next
            where = f" at {tb.tb_frame.f_code.co_filename.rsplit('/', 1)[-1]}:{tb.tb_lineno}"
        log.error("Error while handling an update: %s%s", type(error).__name__, where)

    async def post_init(self, app: Application) -> None:
        """Set the command menus and descriptions, in every language, and learn the bot's username."""
        bot = app.bot
        self.conversation.bot_username = bot.username
        kb = self.conversation.kb
        for lang in kb.languages:
            code = None if lang == kb.default_language else lang
            _ = translator(lang).gettext
            try:
                await bot.set_my_commands([BotCommand(n, d) for n, d in menu_commands(lang)], language_code=code)
                await bot.set_my_description(
                    _(
                        "Free, bilingual answers about your rights with immigration enforcement in Wyoming: ICE "
                        "detainers, 287(g), agents at your door, and how to reach the ACLU of Wyoming. "
                        "Information, not legal advice."
                    ),
                    language_code=code,
                )
                await bot.set_my_short_description(
                    _("Know your rights: immigration enforcement in Wyoming. English and Spanish."),
                    language_code=code,
                )
            except TelegramError as exc:
                log.warning("Could not set the bot's menu or description (%s).", type(exc).__name__)


class PerChatUpdateProcessor(BaseUpdateProcessor):
    """Handles updates from different chats at the same time, and each chat's updates in order.

    With Telegram's real round trip (tens of milliseconds a call), one-at-a-time handling would cap the
    bot at a few answers a second; this keeps many conversations moving while a person who sends two
    messages still gets the answers in the order they asked.
    """

    def __init__(self, max_concurrent_updates: int) -> None:
        super().__init__(max_concurrent_updates)
        self._locks: dict[int, asyncio.Lock] = {}
        self._waiting: dict[int, int] = {}

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        key = None
        if isinstance(update, Update):
            if update.effective_chat is not None:
                key = update.effective_chat.id
            elif update.effective_user is not None:
                key = update.effective_user.id
        if key is None:
            await coroutine
            return
        lock = self._locks.setdefault(key, asyncio.Lock())
        self._waiting[key] = self._waiting.get(key, 0) + 1
        try:
            async with lock:
                await coroutine
        finally:
            self._waiting[key] -= 1
            if not self._waiting[key]:
                del self._waiting[key]
                del self._locks[key]

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None


def build_application(
    settings: Settings,
    kb: KnowledgeBase,
    store: PreferenceStore,
    *,
    flood: FloodGuard | None = None,
) -> Application:
    conversation = Conversation(kb, Matcher(kb), store, flood=flood or FloodGuard())
    front = TelegramFrontEnd(conversation)
    builder = (
        ApplicationBuilder()
        .token(settings.token)
        .base_url(settings.api_url)
        .base_file_url(settings.file_url)
        .post_init(front.post_init)
        .get_updates_read_timeout(40)
        .concurrent_updates(PerChatUpdateProcessor(CONCURRENT_UPDATES))
        .connection_pool_size(CONCURRENT_UPDATES)
    )
    if settings.max_rate > 0:
        # Spread the allowance over tenths of a second, so a burst does not send a whole second's worth
        # at once (Telegram counts roughly per second, and would answer "429 Too Many Requests").
        period = 0.1 if settings.max_rate >= 10 else 1.0
        limiter = AIORateLimiter(overall_max_rate=settings.max_rate * period, overall_time_period=period, max_retries=3)
        builder = builder.rate_limiter(limiter)
    app = builder.build()
    app.bot_data["front"] = front

    private = filters.ChatType.PRIVATE
    in_group = filters.ChatType.GROUPS
    to_bot = filters.Entity(MessageEntity.MENTION) | filters.REPLY
    app.add_handler(TypeHandler(Update, front.drop_duplicates), group=-1)
    names = list(COMMANDS)
    app.add_handler(CommandHandler(names, front.on_command))
    app.add_handler(MessageHandler(filters.COMMAND, front.on_unknown_command))
    app.add_handler(MessageHandler(filters.TEXT & private, front.on_text))
    app.add_handler(MessageHandler(filters.TEXT & in_group & to_bot & _AddressedToBot(), front.on_text))
    non_text = ~filters.TEXT & ~filters.StatusUpdate.ALL
    app.add_handler(MessageHandler(non_text & private, front.on_non_text))
    app.add_handler(MessageHandler(non_text & in_group & filters.REPLY & _AddressedToBot(), front.on_non_text))
    app.add_handler(CallbackQueryHandler(front.on_callback))
    app.add_handler(InlineQueryHandler(front.on_inline))
    app.add_error_handler(front.on_error)
    return app


class _AddressedToBot(filters.MessageFilter):
    """In a group: a message that mentions this bot or replies to one of its messages."""

    def filter(self, message) -> bool:  # type: ignore[override]
        username = (message.get_bot().username or "").lower()
        reply = message.reply_to_message
        if reply is not None and reply.from_user is not None and reply.from_user.id == message.get_bot().id:
            return True
        for entity in message.entities or ():
            if entity.type == MessageEntity.MENTION and message.parse_entity(entity).lstrip("@").lower() == username:
                return True
        return False


def run_bot(args: argparse.Namespace) -> int:
    try:
        settings = Settings.from_env()
    except SettingsError as exc:
        print(f"kyr-bot: {exc}", file=sys.stderr)
        return 2
    configure_logging(secrets=[settings.token])
    try:
        kb = load_knowledge()
    except KnowledgeError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        print("kyr-bot: refusing to start with a broken knowledge base.", file=sys.stderr)
        return 2
    from .i18n import check_catalogs

    problems = check_catalogs(kb.languages)
    if problems:
        for problem in problems:
            print(problem, file=sys.stderr)
        print("kyr-bot: refusing to start with broken translations.", file=sys.stderr)
        return 2
    store = SqliteStore(settings.data_dir)
    app = build_application(settings, kb, store)
    try:
        if args.webhook_url:
            parts = urlsplit(args.webhook_url)
            if parts.scheme != "https" or not parts.netloc:
                print("kyr-bot: --webhook-url must be a public https:// URL", file=sys.stderr)
                return 2
            secret = settings.webhook_secret or secrets.token_urlsafe(32)
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
