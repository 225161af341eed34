"""The Telegram handlers: updates become conversation calls, replies become Bot API calls. All the
thinking happens in the conversation core."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import replace

from telegram import BotCommand, BotCommandScopeChat, ChatMember, InlineQueryResult, Update
from telegram.constants import ChatType
from telegram.error import BadRequest, TelegramError
from telegram.ext import Application, ApplicationHandlerStop, ContextTypes

from ..compose import TELEGRAM_TEXT_LIMIT
from ..conversation import Conversation
from ..i18n import translator
from ..replies import Reply, User
from .delivery import DEFAULT_POLICY, DeliveryPolicy
from .filters import AddressedToBot, strip_mention
from .incoming import GROUP_TYPES, Command, command_in, thread_of, user_of
from .markup import inline_article, keyboard
from .outgoing import send_reply
from .photos import inline_photo, send_photo_reply

log = logging.getLogger(__name__)

INLINE_CACHE_SECONDS = 30
CALLBACK_NOTICE_CHARS = 200  # Bot API: answerCallbackQuery text is 0-200 characters
HOLD_SECONDS = 1.5  # the newest message of a dropped burst is answered once the sender is quiet this long
PRIVACY_MODE_WARNING = (
    "Group privacy mode is on: in groups Telegram delivers only commands and replies to the bot's "
    "messages, never a plain '@bot question'. To answer mentions, send /setprivacy to @BotFather and "
    "choose Disable, or make the bot an admin of the group (see 'In groups' in the README)."
)
Answer = Callable[[User], Reply | None]


class TelegramFrontEnd:
    """Holds the conversation and the handlers; one per Application."""

    def __init__(self, conversation: Conversation, policy: DeliveryPolicy = DEFAULT_POLICY) -> None:
        self.conversation = conversation
        self.policy = policy
        self._held: dict[tuple[int, int | None], int] = {}  # (chat, sender) -> update id held back

    # -------------------------------------------------------------- sending
    async def send(self, update: Update, context: ContextTypes.DEFAULT_TYPE, reply: Reply | None) -> None:
        """Send a reply to the update's chat and topic; in a group, as a reply to the asker's message."""
        chat = update.effective_chat
        if reply is None or chat is None:
            return
        message = update.effective_message
        if reply.photo is not None:
            store, thread = self.conversation.store, thread_of(message)
            await send_photo_reply(context.bot, chat.id, reply, store, self.policy, message_thread_id=thread)
            return
        if not reply.text:
            return
        asker = message if update.callback_query is None and chat.type in GROUP_TYPES else None
        sent_to = await send_reply(context.bot, chat.id, reply, self.policy, thread=thread_of(message), asker=asker)
        if sent_to is not None:
            await self.update_chat_menu(context, sent_to, reply)

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

    async def answer(self, update: Update, context: ContextTypes.DEFAULT_TYPE, make: Answer) -> None:
        """Answer a message with ``make(user)``. When the flood guard drops it (no reply), it is held
        back instead: if no newer message from the same sender comes within HOLD_SECONDS, it is
        answered after all, so the newest message of a burst is never lost."""
        user = user_of(update)
        reply = make(user)
        key = (update.effective_chat.id if update.effective_chat else 0, user.id)
        if reply is None or (not reply.text and reply.photo is None):
            self._held[key] = update.update_id
            context.application.create_task(self._answer_held(update, context, make, key), update=update)
            return
        if self._held.get(key, update.update_id) < update.update_id:
            del self._held[key]  # a newer message is answered: the held one is superseded
        await self.send(update, context, reply)

    async def _answer_held(
        self, update: Update, context: ContextTypes.DEFAULT_TYPE, make: Answer, key: tuple[int, int | None]
    ) -> None:
        await asyncio.sleep(HOLD_SECONDS)
        if self._held.get(key) != update.update_id:
            return
        del self._held[key]
        await self.send(update, context, make(replace(user_of(update), flood_exempt=True)))

    # -------------------------------------------------------------- handlers
    async def ignore(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """An update the bot must not answer (its own inline result sent back into a chat)."""
        raise ApplicationHandlerStop

    async def on_command(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A message that starts with a command (the bot_command entity Telegram marks)."""
        message = update.effective_message
        if message is None:
            return
        command = command_in(message.text, message.entities)
        if command is not None:
            await self.command(update, context, command)

    async def command(
        self, update: Update, context: ContextTypes.DEFAULT_TYPE, command: Command, caption: bool = False
    ) -> None:
        """A typed command: answered when it is for this bot (a known one, or an unknown one named
        @ this bot, or any in a private chat)."""
        chat = update.effective_chat
        if chat is None or chat.type == ChatType.CHANNEL:
            return  # a channel post: the bot does not talk in channels
        if command.target and command.target != (context.bot.username or "").lower():
            return  # addressed to another bot
        known = self.conversation.commands.resolve(command.name)[0] is not None
        if not known and chat.type != ChatType.PRIVATE and not command.target:
            return  # a bare unknown command in a group is probably for someone else
        name = command.name if known else "?"
        await self.answer(
            update, context, lambda u: self.conversation.handle_command(u, name, command.arg, caption=caption)
        )

    async def on_text(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A typed question (in a group: one that mentions or replies to the bot)."""
        message = update.effective_message
        if message is None or message.text is None:
            return
        command = command_in(message.text, None)  # a command hidden behind invisible characters
        if command is not None and self.conversation.commands.resolve(command.name)[0] is not None:
            await self.command(update, context, command)
            return
        text = message.text
        if update.effective_chat and update.effective_chat.type != ChatType.PRIVATE:
            text = strip_mention(message, context.bot.username or "")
        await self.answer(update, context, lambda u: self.conversation.handle_text(u, text))

    async def on_caption(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A picture, file or voice note with a caption: the caption is the message's text (its
        command, its question); the reply says the bot cannot read the picture itself."""
        message = update.effective_message
        chat = update.effective_chat
        if message is None or chat is None or not message.caption:
            return
        command = command_in(message.caption, message.caption_entities)
        if command is not None:
            await self.command(update, context, command, caption=True)
            return
        text = message.caption
        if chat.type != ChatType.PRIVATE:
            if not AddressedToBot().filter(message):
                return
            text = strip_mention(message, context.bot.username or "")
        await self.answer(update, context, lambda u: self.conversation.handle_text(u, text, caption=True))

    async def on_non_text(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A photo, sticker, voice note… without words."""
        await self.answer(update, context, self.conversation.handle_non_text)

    async def on_my_chat_member(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """The bot was added to a group: say how to ask it there."""
        change = update.my_chat_member
        if change is None or change.chat.type not in GROUP_TYPES:
            return
        joined = (ChatMember.MEMBER, ChatMember.ADMINISTRATOR, ChatMember.OWNER)
        if change.old_chat_member.status in joined or change.new_chat_member.status not in joined:
            return  # not an arrival (a promotion, a removal…)
        user = User(change.from_user.id, change.from_user.language_code)
        admin = change.new_chat_member.status == ChatMember.ADMINISTRATOR
        await self.send(update, context, self.conversation.group_intro(user, admin=admin))

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
            except TelegramError as exc:
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
        """Set the command menus and descriptions, in every language, and learn the bot's username and
        whether it reads every group message (a WARNING when group privacy mode is on)."""
        bot = app.bot
        self.conversation.bot_username = bot.username
        self.conversation.reads_group_messages = bool(bot.can_read_all_group_messages)
        if not bot.can_read_all_group_messages:
            log.warning(PRIVACY_MODE_WARNING)
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
