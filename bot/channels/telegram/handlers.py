"""The Telegram handlers: updates become :class:`~bot.core.replies.Message` s for the conversation core,
replies become Bot API calls. All the thinking happens in the core; this module only reads Telegram's
update, asks the core through its public methods and sends what comes back."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import replace

from telegram import BotCommand, BotCommandScopeChat, ChatMember, InlineQueryResult, Update
from telegram.constants import ChatType
from telegram.error import BadRequest, TelegramError
from telegram.ext import Application, ApplicationHandlerStop, ContextTypes

from bot.channels.telegram.delivery import DEFAULT_POLICY, DeliveryPolicy
from bot.channels.telegram.filters import AddressedToBot, strip_mention
from bot.channels.telegram.incoming import (
    GROUP_TYPES,
    TypedCommand,
    command_in,
    forwarded,
    quoted_message,
    replies_to_forwarded,
    thread_of,
    user_of,
)
from bot.channels.telegram.ledger import UpdateLedger
from bot.channels.telegram.markup import inline_article, keyboard
from bot.channels.telegram.outgoing import send_reply
from bot.channels.telegram.photos import FileIds, MemoryFileIds, inline_photo, send_photo_reply
from bot.core.conversation import Conversation
from bot.core.limits import CALLBACK_NOTICE_CHARS, MESSAGE_TEXT_CHARS
from bot.core.replies import Message, Reply, User

log = logging.getLogger(__name__)

INLINE_CACHE_SECONDS = 30
GROUP_INTRO_EVERY = 3600.0  # seconds: a group gets the bot's how-to at most once an hour
GROUP_INTROS_KEPT = 10_000  # groups remembered (in memory only) for that
PRIVACY_MODE_WARNING = (
    "Group privacy mode is on: in groups Telegram delivers only commands and replies to the bot's "
    "messages, never a plain '@bot question'. To answer mentions, send /setprivacy to @BotFather and "
    "choose Disable, or make the bot an admin of the group (see 'In groups' in the README)."
)


class GroupIntros:
    """When each group last got the how-to (``clock`` seconds, in memory only), so that adding and
    removing the bot again and again does not make it post the how-to again and again."""

    def __init__(self, every: float = GROUP_INTRO_EVERY, clock: Callable[[], float] = time.monotonic) -> None:
        self.every = every
        self.clock = clock
        self._last: dict[int, float] = {}

    def due(self, chat_id: int) -> bool:
        """True (and noted) when ``chat_id`` has not had the how-to in the last ``every`` seconds."""
        now = self.clock()
        last = self._last.get(chat_id)
        if last is not None and now - last < self.every:
            return False
        if len(self._last) >= GROUP_INTROS_KEPT:
            self._last = {chat: t for chat, t in self._last.items() if now - t < self.every}
        self._last[chat_id] = now
        return True

    def forget(self, chat_id: int) -> None:
        """``chat_id`` did not get the how-to after all (the send failed): the next arrival posts it."""
        self._last.pop(chat_id, None)


class TelegramFrontEnd:
    """Holds the conversation and the handlers; one per Application. ``ledger`` is told when an update
    goes on being handled after its handler returns (an answer held back)."""

    def __init__(
        self,
        conversation: Conversation,
        policy: DeliveryPolicy = DEFAULT_POLICY,
        files: FileIds | None = None,
        ledger: UpdateLedger | None = None,
    ) -> None:
        self.conversation = conversation
        self.policy = policy
        self.files: FileIds = files or MemoryFileIds()  # Telegram's ids of pictures already uploaded
        self.ledger = ledger
        self.group_intros = GroupIntros()

    # -------------------------------------------------------------- sending
    async def send(self, update: Update, context: ContextTypes.DEFAULT_TYPE, reply: Reply | None) -> bool | None:
        """Send a reply to the update's chat and topic; in a group, as a reply to the asker's message.
        Returns False when a text reply was not delivered (or may not have been), True when it was, None
        when there was no text to send or it was a picture."""
        chat = update.effective_chat
        if reply is None or chat is None:
            return None
        message = update.effective_message
        if reply.photo is not None:
            thread = thread_of(message)
            await send_photo_reply(context.bot, chat.id, reply, self.files, self.policy, message_thread_id=thread)
            return None
        if not reply.text:
            return None
        asker = message if update.callback_query is None and chat.type in GROUP_TYPES else None
        sent_to = await send_reply(context.bot, chat.id, reply, self.policy, thread=thread_of(message), asker=asker)
        if sent_to is not None:
            await self.update_chat_menu(context, sent_to, reply)
        return sent_to is not None

    async def update_chat_menu(self, context: ContextTypes.DEFAULT_TYPE, chat_id: int, reply: Reply) -> None:
        """After a language switch, that chat's command menu speaks the new language; after /delete,
        the chat-specific menu is dropped too."""
        try:
            if reply.language_changed:
                await context.bot.set_my_commands(
                    [BotCommand(name, desc) for name, desc in self.conversation.command_menu(reply.lang)],
                    scope=BotCommandScopeChat(chat_id),
                )
            if reply.forget_user:
                await context.bot.delete_my_commands(scope=BotCommandScopeChat(chat_id))
        except TelegramError as exc:
            log.warning("Could not update a chat's command menu (%s).", type(exc).__name__)

    async def answer(self, update: Update, context: ContextTypes.DEFAULT_TYPE, message: Message) -> None:
        """Hand ``message`` to the conversation and send the reply. A message flood protection held back
        (the newest of a burst) is asked about again once its hold has passed, and answered then unless a
        newer message from the same sender superseded it: the newest message of a burst is never lost. A
        held message's reply may carry a note ('slow down'), sent now."""
        chat = update.effective_chat
        user = replace(user_of(update), chat_id=chat.id if chat else None)
        reply = self.conversation.handle(user, message)
        if reply.hold is not None:
            if self.ledger is not None:
                self.ledger.keep(update.update_id)  # not handled (nor confirmed) until the hold is released
            try:
                if reply.text:  # the note first, however long Telegram makes it wait (a 429 during a flood)
                    await self.send(update, context, replace(reply, hold=None))
            except asyncio.CancelledError:  # stopping: not handled, so the next start answers it
                raise
            except Exception:  # the note failed: the held message is still answered
                context.application.create_task(self._release(update, context, reply), update=update)
                raise
            context.application.create_task(self._release(update, context, reply), update=update)
            return
        await self.send(update, context, reply)

    async def _release(self, update: Update, context: ContextTypes.DEFAULT_TYPE, held: Reply) -> None:
        assert held.hold is not None
        await asyncio.sleep(held.hold.seconds)
        try:
            await self.send(update, context, self.conversation.release(held.hold))
        except asyncio.CancelledError:  # a stop cut the send short: not handled, the next start answers it
            raise
        except Exception:
            if self.ledger is not None:
                self.ledger.done(update.update_id)  # a send that failed is not tried again
            raise
        if self.ledger is not None:
            self.ledger.done(update.update_id)

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
        self, update: Update, context: ContextTypes.DEFAULT_TYPE, typed: TypedCommand, caption: bool = False
    ) -> None:
        """A typed command: answered when it is for this bot (a known one, or an unknown one named
        @ this bot, or any in a private chat)."""
        chat = update.effective_chat
        if chat is None or chat.type == ChatType.CHANNEL:
            return  # a channel post: the bot does not talk in channels
        if typed.target and typed.target != (context.bot.username or "").lower():
            return  # addressed to another bot
        command = self.conversation.command(typed.name, typed.arg)
        if not command.known and chat.type != ChatType.PRIVATE and not typed.target:
            return  # a bare unknown command in a group is probably for someone else
        message = update.effective_message
        quoted = quoted_message(message) if message is not None and command.action == "check" else None
        await self.answer(update, context, Message(command=command, caption=caption, quoted=quoted))

    async def on_text(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A typed question (in a group: one that mentions or replies to the bot)."""
        message = update.effective_message
        if message is None or message.text is None:
            return
        typed = command_in(message.text, None)  # a command hidden behind invisible characters
        if typed is not None and self.conversation.command(typed.name).known:
            await self.command(update, context, typed)
            return
        text = message.text
        if update.effective_chat and update.effective_chat.type != ChatType.PRIVATE:
            text = strip_mention(message, context.bot.username or "")
        origin, replying = forwarded(message), replies_to_forwarded(message)
        await self.answer(update, context, Message(text, forwarded=origin, replies_to_forwarded=replying))

    async def on_caption(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A picture, file or voice note with a caption: the caption is the message's text (its
        command, its question); the reply says the bot cannot read the picture itself."""
        message = update.effective_message
        chat = update.effective_chat
        if message is None or chat is None or not message.caption:
            return
        typed = command_in(message.caption, message.caption_entities)
        if typed is not None:
            await self.command(update, context, typed, caption=True)
            return
        text = message.caption
        if chat.type != ChatType.PRIVATE:
            if not AddressedToBot().filter(message):
                return
            text = strip_mention(message, context.bot.username or "")
        origin, replying = forwarded(message), replies_to_forwarded(message)
        message_in = Message(text, caption=True, forwarded=origin, replies_to_forwarded=replying)
        await self.answer(update, context, message_in)

    async def on_non_text(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A photo, sticker, voice note… without words (a forwarded one: with its age)."""
        message = update.effective_message
        origin = forwarded(message) if message is not None else None
        await self.answer(update, context, Message(media_only=True, forwarded=origin))

    async def on_my_chat_member(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """The bot was added to a group: say how to ask it there (at most once an hour per group)."""
        change = update.my_chat_member
        if change is None or change.chat.type not in GROUP_TYPES:
            return
        joined = (ChatMember.MEMBER, ChatMember.ADMINISTRATOR, ChatMember.OWNER)
        if change.old_chat_member.status in joined or change.new_chat_member.status not in joined:
            return  # not an arrival (a promotion, a removal…)
        if not self.group_intros.due(change.chat.id):
            return  # added again within the hour: the how-to is still there
        user = User(change.from_user.id, change.from_user.language_code)
        admin = change.new_chat_member.status == ChatMember.ADMINISTRATOR
        if await self.send(update, context, self.conversation.group_intro(user, admin=admin)) is False:
            self.group_intros.forget(change.chat.id)  # not posted: the next arrival tries again

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
                    reply.text[:MESSAGE_TEXT_CHARS],
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
            elif file_id := self.files.get_file_id(answer.photo_key):
                results.append(inline_photo(answer, file_id))  # a picture someone already asked for
        try:
            await query.answer(results, cache_time=INLINE_CACHE_SECONDS, is_personal=True)
        except BadRequest as exc:
            log.info("Inline answer refused (%s).", type(exc).__name__)

    async def on_chosen_inline(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Someone sent one of the bot's inline results into a chat (Telegram reports it only when inline
        feedback is on: BotFather's /setinlinefeedback): counted by the core, nothing else kept."""
        if update.chosen_inline_result is not None:
            self.conversation.inline_chosen()

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
        conversation = self.conversation
        conversation.set_identity(bot.username, bool(bot.can_read_all_group_messages))
        if not bot.can_read_all_group_messages:
            log.warning(PRIVACY_MODE_WARNING)
        for lang in conversation.languages:
            code = None if lang == conversation.default_language else lang
            description, short = conversation.descriptions(lang)
            try:
                commands = [BotCommand(n, d) for n, d in conversation.command_menu(lang)]
                await bot.set_my_commands(commands, language_code=code)
                await bot.set_my_description(description, language_code=code)
                await bot.set_my_short_description(short, language_code=code)
            except TelegramError as exc:
                log.warning("Could not set the bot's menu or description (%s).", type(exc).__name__)
