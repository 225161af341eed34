"""The conversation core: a message in, a reply out. Every channel (the terminal chat, Telegram) talks to
the core through :class:`Conversation`'s public methods and nothing else:

- :meth:`Conversation.handle` a :class:`~bot.core.replies.Message` from a :class:`~bot.core.replies.User`,
  :meth:`Conversation.release` a message flood protection held back, :meth:`Conversation.handle_callback`
  a pressed button, :meth:`Conversation.inline_answers` an inline query, :meth:`Conversation.inline_chosen`
  an inline result someone sent, :meth:`Conversation.group_intro`;
- the few queries a channel needs: :meth:`Conversation.command` (a typed command, resolved once),
  :meth:`Conversation.command_menu`, :meth:`Conversation.descriptions`, :attr:`Conversation.languages`,
  :meth:`Conversation.set_identity` (the bot's name, once the channel knows it).

The decision about a message is made in :mod:`bot.matching.decision`; the replies are drawn by
:mod:`bot.screens`; button and link formats are in :mod:`.callbacks`; flood protection in :mod:`.flood`;
sending a question for review with consent in :mod:`.consent`; what is counted in :mod:`.usage`.
"""

from __future__ import annotations

import re
import time
import unicodedata
from dataclasses import replace

from bot.core import callbacks as cb
from bot.core.commands import CommandBook
from bot.core.consent import ConsentFlow
from bot.core.flood import FloodGuard, HoldBack
from bot.core.inline import InlineSearch
from bot.core.limits import INLINE_QUERY_CHARS
from bot.core.preferences import LastAnswers, MemoryStore, PreferenceStore
from bot.core.replies import Command, Hold, InlineAnswer, Message, Reply, User
from bot.core.usage import NoUsage, UsageLog
from bot.knowledge import KnowledgeBase
from bot.matching.decision import Decision, decide
from bot.matching.matcher import Matcher
from bot.screens.alerts import with_forward_age
from bot.screens.screens import Screens
from bot.screens.views import AnswerViews

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def client_language(code: str | None, languages: tuple[str, ...]) -> str | None:
    """'es', 'es-MX', 'es_419' -> 'es' when the bot speaks it."""
    if not code:
        return None
    base = code.replace("_", "-").split("-")[0].lower()
    return base if base in languages else None


def clean_input(text: str | None) -> str:
    """The text with invisible format characters (Unicode category Cf: zero-width space and joiners,
    direction marks and overrides, soft hyphen, byte-order mark…) removed, so a word they sit inside
    stays one word; control characters become spaces; trimmed."""
    text = text or ""
    if not text.isascii():
        text = "".join(c for c in text if unicodedata.category(c) != "Cf")
    return _CONTROL.sub(" ", text).strip()


class Conversation:
    """Routes messages, commands, button presses and inline queries to the right reply (see the module).
    ``usage`` is told what happened, as counts; ``consent`` sends questions for review (default: never)."""

    def __init__(
        self,
        kb: KnowledgeBase,
        matcher: Matcher,
        store: PreferenceStore | None = None,
        flood: FloodGuard | None = None,
        usage: UsageLog | None = None,
        consent: ConsentFlow | None = None,
    ) -> None:
        self.kb = kb
        self.matcher = matcher
        self.store: PreferenceStore = store or MemoryStore()
        self.flood = flood
        self.usage: UsageLog = usage or NoUsage()
        self.consent = consent or ConsentFlow(None)
        self.holds = HoldBack()
        self.commands = CommandBook(kb)
        self.views = AnswerViews(kb)
        self.screens = Screens(kb, self.views, self.commands)
        self.reads_group_messages = False  # Telegram delivers every group message (privacy mode off)
        self.inline = InlineSearch(kb, matcher, self.views, self.screens)
        self.last_answers = LastAnswers()

    # ------------------------------------------------------------------ what a channel asks
    @property
    def languages(self) -> tuple[str, ...]:
        """The languages the bot speaks, the default first."""
        return self.kb.languages

    @property
    def default_language(self) -> str:
        """The language used when nothing says which."""
        return self.kb.default_language

    @property
    def bot_username(self) -> str | None:
        """The bot's @username (without @), once the channel has told it: used in links."""
        return self.views.bot_username

    def set_identity(self, username: str | None, reads_group_messages: bool = False) -> None:
        """What the channel learned about the bot: its username (for links) and whether it receives every
        group message (privacy mode off, or an admin), which changes how /help says to ask in a group."""
        self.views.bot_username = username
        self.reads_group_messages = reads_group_messages

    def command(self, name: str, arg: str = "") -> Command:
        """A typed command (``name`` without the slash or @bot), resolved once: ``action`` is None when the
        bot has no such command."""
        action, hint = self.commands.resolve(name)
        return Command(name.lower(), arg, action, hint)

    def command_menu(self, lang: str) -> list[tuple[str, str]]:
        """(command, description) pairs for the channel's command menu in ``lang``."""
        return self.commands.menu(lang)

    def descriptions(self, lang: str) -> tuple[str, str]:
        """(long, short) description of the bot in ``lang``, for a channel's profile (plain text)."""
        return self.screens.descriptions(lang)

    # ------------------------------------------------------------------ language
    def saved_language(self, user: User) -> str | None:
        """The language the user chose with /language, if any."""
        if user.id is None:
            return None
        lang = self.store.get_language(user.id)
        return lang if lang in self.kb.languages else None

    def language(self, user: User, hint: str | None = None) -> str:
        """Saved choice, else a hint (a Spanish command alias), else the app's language, else the default."""
        return (
            self.saved_language(user)
            or (hint if hint in self.kb.languages else None)
            or client_language(user.client_lang, self.kb.languages)
            or self.kb.default_language
        )

    # ------------------------------------------------------------------ messages
    def handle(self, user: User, message: Message) -> Reply:
        """The reply to a message. Flood protection first (every message counts: text, commands and
        pictures alike): past the burst the user gets one 'slow down' note (in the language the message is
        written in, when that is clear), then nothing; the newest message of a burst, the one that brought
        the note included, is held (the reply carries a :class:`Hold`: call :meth:`release` after
        ``hold.seconds``), so none is lost. An empty reply with no hold means: say nothing. ``/delete`` is
        never held back nor dropped."""
        deleting = message.command is not None and message.command.action == "delete"
        if self.flood is not None and not user.flood_exempt and not deleting:
            gate = self.flood.check(user.id, user.sent_at)
            if gate == "warn":
                hint = message.command.hint if message.command is not None else None
                lang = self.language(user, hint)
                if message.text and message.command is None:
                    lang = self.understand(message.text, lang).lang
                return replace(self.screens.slow_down(lang), hold=self.holds.hold(user, message))
            if gate == "drop":
                return Reply("", self.language(user), hold=self.holds.hold(user, message))
            self.holds.answered(user)  # a newer message is answered: any held one is superseded
        return self._answer(user, message)

    def release(self, hold: Hold) -> Reply | None:
        """The reply to a message that was held back, once its sender has been quiet for ``hold.seconds``;
        None when a newer message from the same sender came meanwhile."""
        taken = self.holds.take(hold)
        if taken is None:
            return None
        user, message = taken
        return self._answer(replace(user, flood_exempt=True), message)

    def _answer(self, user: User, message: Message) -> Reply:
        if message.command is not None:
            if message.command.action == "check":
                return self.check(user, message.command, message.quoted)
            reply = self._command(user, message.command)
            return self.screens.with_caption_note(reply) if message.caption and reply.text else reply
        if message.media_only:
            reply = self.screens.not_text(self.language(user))
        else:
            clean = clean_input(message.text)
            usual = self.language(user)
            if not clean:
                self.usage.record("fallback", None, usual)
                reply = self.screens.fallback(usual, empty=True)
            else:
                decision = decide(self.matcher, clean, usual)
                self.usage.record(decision.route, decision.entry_id or decision.unsupported_id, decision.lang)
                reply = self.consent.offer(user, message, clean, decision, self.reply_to(user, decision))
            if message.caption:
                reply = self.screens.with_caption_note(reply)
        return self._with_age(user, message, reply)

    def _with_age(self, user: User, message: Message, reply: Reply) -> Reply:
        """``reply`` with the forwarded message's age first (nothing for a message that was not forwarded
        or whose first sending time is unknown). The age is counted to when the user sent it."""
        if message.forwarded is None:
            return reply
        now = user.sent_at if user.sent_at is not None else time.time()
        return with_forward_age(reply, message.forwarded.sent_at, now, self.kb.time_zone)

    def check(self, user: User, command: Command, quoted: Message | None) -> Reply:
        """/check (/verificar): what is known about an alert. The alert is the message the command
        answers (``quoted``: in a group, the command sent as a reply to a forwarded alert), else the words
        after the command. A known claim gets its verdict; agents here and now in the user's own words (after
        the command) get the emergency screen; anything else gets how to check an alert, and a forwarded
        alert its age. Without an alert, how to use the command comes first."""
        lang = self.language(user, command.hint)
        text = clean_input(quoted.text if quoted is not None else command.arg)
        decision = decide(self.matcher, text, lang) if text else None
        # Agents at the door are an emergency in the user's own words, not in a message they check.
        routes = ("claim",) if quoted is not None else ("claim", "emergency")
        if decision is not None and decision.route in routes:
            self.usage.record(decision.route, decision.entry_id, lang)
            reply = self.screens.for_decision(replace(decision, lang=lang))
        else:
            self.usage.record("alert", self.kb.routing.alert_entry, lang)
            reply = self.screens.alert_guide(lang, how_to=quoted is None and not text)
        if quoted is not None and quoted.caption:
            reply = self.screens.with_caption_note(reply)
        return self._with_age(user, quoted, reply) if quoted is not None else reply

    def understand(self, text: str, usual: str | None = None) -> Decision:
        """The decision for a message (see :func:`bot.matching.decision.decide`); an empty one falls back."""
        clean = clean_input(text)
        if not clean:
            return Decision("fallback", usual if usual in self.kb.languages else self.kb.default_language)
        return decide(self.matcher, clean, usual)

    def reply_to(self, user: User, decision: Decision) -> Reply:
        """The reply for a decision; remembers the last answer shown (memory only)."""
        lang = decision.lang
        if decision.route == "language":
            if user.id is not None:
                self.store.set_language(user.id, lang)
            last = self.kb.entry(self.last_answers.get(user.id, user.in_group) or "")
            if last is not None:
                return replace(self.screens.answer(last, lang), language_changed=True)
            return self.screens.language_set(lang, edit=False)
        reply = self.screens.for_decision(decision)
        entry = self.kb.entry(decision.entry_id or "")
        if entry is not None and entry.kind == "answer":
            self.last_answers.remember(user.id, entry.id, user.in_group)
        return reply

    def ask(self, text: str, lang: str | None = None) -> Reply:
        """One question, one answer (the ``kyr-bot ask`` command), in ``lang`` if given."""
        clean = clean_input(text)
        if not clean:
            return self.screens.fallback(lang if lang in self.kb.languages else self.kb.default_language, empty=True)
        decision = decide(self.matcher, clean, lang)
        if lang in self.kb.languages:
            decision = replace(decision, lang=lang)
        elif decision.match is not None and not decision.match.lang_confident:
            decision = replace(decision, lang=self.kb.default_language)
        return self.reply_to(User(None), decision)

    # ------------------------------------------------------------------ commands
    def _command(self, user: User, command: Command) -> Reply:
        lang = self.language(user, command.hint)
        screens = self.screens
        action = command.action
        if action == "start":
            return self.start(user, command.arg)
        if action == "help":
            return screens.help(lang, group=user.in_group, mentions=self.reads_group_messages)
        if action == "topics":
            return screens.topic_menu(lang)
        if action == "emergency":
            return screens.emergency_menu(lang)
        if action == "language":
            return screens.language_menu(lang)
        if action == "card":
            return screens.card(lang)
        if action == "delete":
            return self.delete(user, lang)
        entry = self.kb.entry(self.kb.affiliate.content_commands.get(action or "", ""))
        if entry is not None:
            self.last_answers.remember(user.id, entry.id, user.in_group)
            return screens.answer(entry, lang)
        return screens.unknown_command(lang)

    def start(self, user: User, payload: str) -> Reply:
        """/start, with or without a deep-link payload."""
        opened = cb.parse_start_payload(payload)
        if opened is not None:
            entry = self.kb.entry(opened[0])
            if entry is not None and entry.answerable and opened[1] in self.kb.languages:
                self.last_answers.remember(user.id, entry.id, user.in_group)
                return self.screens.answer(entry, opened[1])
        # Only a link shaped like ours whose answer is gone gets the note; any other payload (an
        # outreach flyer's tracking code) is a plain first visit.
        return self.screens.welcome(self.language(user), unknown_link=opened is not None)

    def delete(self, user: User, lang: str) -> Reply:
        """Forget everything kept about the user: their language choice, their last answer, any message
        flood protection holds back and any question waiting for its second tap. (A question already sent
        for review has no link to the user.)"""
        removed = self.store.delete(user.id) if user.id is not None else False
        self.holds.forget(user.id)  # a message held back by flood protection is not answered afterwards
        self.last_answers.forget(user.id)
        self.consent.forget(user)
        return self.screens.deleted(lang, removed)

    # ------------------------------------------------------------------ buttons, inline, groups
    def handle_callback(self, user: User, data: str | None) -> Reply:
        """A pressed button. Old or forged data gets a short notice, never an error."""
        press = cb.parse(data)
        if press is None or press.lang not in self.kb.languages:
            return self.screens.stale(self.language(user))
        verb, arg, lang = press.verb, press.arg, press.lang
        if verb in (cb.QUESTION_PREVIEW, cb.QUESTION_SEND, cb.QUESTION_CANCEL):
            if self.consent.is_waiting(user, arg):  # an expired or someone else's tap changes nothing: not counted
                self.usage.record_button(cb.BUTTON_KINDS[verb])
            return self.consent.press(user, verb, arg, lang)
        self.usage.record_button(cb.BUTTON_KINDS[verb])
        entry = self.kb.entry(arg) if arg else None
        if verb in (cb.ANSWER, cb.ANSWER_SWITCH) and entry is not None and entry.answerable:
            self.last_answers.remember(user.id, entry.id, user.in_group)
            return self.screens.answer(entry, lang, edit=verb == cb.ANSWER_SWITCH)
        if verb == cb.TOPIC:
            if not arg:
                return self.screens.topic_menu(lang, edit=True)
            group = next((g for g in self.kb.topics if g.id == arg), None)
            if group is not None:
                return self.screens.topic_group(group, lang)
        if verb in (cb.EMERGENCY, cb.EMERGENCY_SWITCH):
            if not arg:
                return self.screens.emergency_menu(lang, edit=True)
            if entry is not None and arg in self.kb.emergency:
                self.last_answers.remember(user.id, entry.id, user.in_group)  # "en español" shows this one again
                return self.screens.emergency_screen(entry, lang, edit=verb == cb.EMERGENCY_SWITCH)
        if verb == cb.LANGUAGE:
            if user.id is not None:
                self.store.set_language(user.id, lang)
            return self.screens.language_set(lang)
        if verb == cb.DELETE:
            return self.delete(user, lang)
        if verb == cb.CARD:
            return self.screens.card(lang)
        if verb == cb.NONE_OF_THESE:
            return self.screens.fallback(lang, none_of_these=True)
        return self.screens.stale(lang)

    def group_intro(self, user: User, admin: bool = False) -> Reply:
        """What the bot says when it is added to a group (``admin``: as an administrator, so it reads
        every message there)."""
        return self.screens.group_intro(self.language(user), mentions=admin or self.reads_group_messages)

    def inline_answers(self, user: User, query: str) -> list[InlineAnswer]:
        """Choices for inline mode (:class:`InlineSearch`): the best answers for the query, or the card and
        the main topics for an empty one, in the query's language (else the user's)."""
        return self.inline.answers(clean_input(query)[:INLINE_QUERY_CHARS], self.language(user))

    def inline_chosen(self) -> None:
        """Someone sent one of the bot's inline results into a chat: counted, nothing else."""
        self.usage.record_inline_chosen()
