"""The Telegram handlers: updates become conversation calls, replies become Bot API calls. All the
thinking happens in the conversation core."""

from __future__ import annotations

import logging
from functools import partial

from telegram import BotCommand, BotCommandScopeChat, InlineQueryResult, Update
from telegram.constants import ChatType
from telegram.error import BadRequest, TelegramError
from telegram.ext import Application, ContextTypes

from ..compose import TELEGRAM_TEXT_LIMIT
from ..conversation import Conversation
from ..i18n import translator
from ..replies import Reply, User
from .delivery import DEFAULT_POLICY, DeliveryPolicy, deliver, split_text
from .filters import strip_mention
from .markup import inline_article, keyboard
from .photos import inline_photo, send_photo_reply

log = logging.getLogger(__name__)

INLINE_CACHE_SECONDS = 30
CALLBACK_NOTICE_CHARS = 200  # Bot API: answerCallbackQuery text is 0-200 characters


def user_of(update: Update) -> User:
    """Who sent the update: the numeric id and the app's language, never a name."""
    tg_user = update.effective_user
    if tg_user is None:
        return User(None)
    return User(tg_user.id, tg_user.language_code)


class TelegramFrontEnd:
    """Holds the conversation and the handlers; one per Application."""

    def __init__(self, conversation: Conversation, policy: DeliveryPolicy = DEFAULT_POLICY) -> None:
        self.conversation = conversation
        self.policy = policy

    # -------------------------------------------------------------- sending
    async def send(self, update: Update, context: ContextTypes.DEFAULT_TYPE, reply: Reply | None) -> None:
        """Send a reply to the update's chat (split if over Telegram's limit; buttons on the last part)."""
        chat = update.effective_chat
        if reply is None or chat is None:
            return
        if reply.photo is not None:
            await send_photo_reply(context.bot, chat.id, reply, self.conversation.store, self.policy)
            return
        if not reply.text:
            return
        parts = split_text(reply.text)
        markup = keyboard(reply.buttons)
        for i, part in enumerate(parts):
            last = i == len(parts) - 1
            call = partial(context.bot.send_message, chat.id, part, reply_markup=markup if last else None)
            if not await deliver(call, self.policy):
                return
        await self.update_chat_menu(context, chat.id, reply)

    async def update_chat_menu(self, context: ContextTypes.DEFAULT_TYPE, chat_id: int, reply: Reply) -> None:
        """After a language switch, that chat's command menu speaks the new language; after /delete,
        the chat-specific menu is dropped too."""
        try:
            if reply.language_changed:
                await context.bot.set_my_commands(
                    [BotCommand(name, desc) for name, desc in self.conversation.commands.menu(reply.lang)],
                    scope=BotCommandScopeChat(chat_id),
                )
            if reply.forget_user:
                await context.bot.delete_my_commands(scope=BotCommandScopeChat(chat_id))
        except TelegramError as exc:
            log.warning("Could not update a chat's command menu (%s).", type(exc).__name__)

    # -------------------------------------------------------------- handlers
    async def on_command(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A command the bot knows (any language's name)."""
        message = update.effective_message
        if message is None or not message.text:
            return
        word = message.text.split()[0][1:]
        command = word.split("@", 1)[0].lower()
        arg = " ".join(context.args or [])
        reply = self.conversation.handle_command(user_of(update), command, arg)
        await self.send(update, context, reply)

    async def on_unknown_command(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A command the bot does not know, when it was meant for this bot."""
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
        """A typed question (in a group: one that mentions or replies to the bot)."""
        message = update.effective_message
        if message is None or message.text is None:
            return
        text = message.text
        if update.effective_chat and update.effective_chat.type != ChatType.PRIVATE:
            text = strip_mention(message, context.bot.username or "")
        reply = self.conversation.handle_text(user_of(update), text)
        await self.send(update, context, reply)

    async def on_non_text(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A photo, sticker, voice note…"""
        await self.send(update, context, self.conversation.handle_non_text(user_of(update)))

    async def on_callback(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A pressed button: answer the callback query, then edit the message in place or send anew."""
        query = update.callback_query
        if query is None:
            return
        reply = self.conversation.handle_callback(user_of(update), query.data if isinstance(query.data, str) else None)
        try:
            await query.answer(text=(reply.notice or "")[:CALLBACK_NOTICE_CHARS] or None)
        except TelegramError as exc:
            log.info("Could not answer a button press (%s).", type(exc).__name__)
        if not reply.text and reply.photo is None:
            return
        message = query.message
        if reply.edit and message is not None and getattr(message, "text", None) is not None:
            try:
                await context.bot.edit_message_text(
                    reply.text[:TELEGRAM_TEXT_LIMIT],
                    chat_id=message.chat.id,
                    message_id=message.message_id,
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
        """An inline query (@bot question in any chat): full answers to pick from."""
        query = update.inline_query
        if query is None:
            return
        answers = self.conversation.inline_answers(user_of(update), query.query or "")
        results: list[InlineQueryResult] = []
        for answer in answers:
            if answer.photo_key is None:
                results.append(inline_article(answer))
            elif file_id := self.conversation.store.get_file_id(answer.photo_key):
                results.append(inline_photo(answer, file_id))  # a picture someone already asked for
        try:
            await query.answer(results, cache_time=INLINE_CACHE_SECONDS, is_personal=True)
        except BadRequest as exc:
            log.info("Inline answer refused (%s).", type(exc).__name__)

    async def on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Log an error by its type and place only: the update or the message may hold what someone wrote."""
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
            names = kb.affiliate.names(lang)
            try:
                commands = [BotCommand(n, d) for n, d in self.conversation.commands.menu(lang)]
                await bot.set_my_commands(commands, language_code=code)
                await bot.set_my_description(
                    _(
                        "Free, bilingual answers about your rights with immigration enforcement in {region}: ICE "
                        "detainers, 287(g), agents at your door, and how to reach the {organization}. "
                        "Information, not legal advice."
                    ).format(**names),
                    language_code=code,
                )
                await bot.set_my_short_description(
                    _("Know your rights: immigration enforcement in {region}. English and Spanish.").format(**names),
                    language_code=code,
                )
            except TelegramError as exc:
                log.warning("Could not set the bot's menu or description (%s).", type(exc).__name__)
