"""The conversation core: text in, reply (text and buttons) out. Both the Telegram bot and the console
chat call this; nothing here knows about Telegram. :class:`Conversation` only routes: the screens are
in :mod:`.screens`, button and link formats in :mod:`.callbacks`, flood protection in :mod:`.flood`."""

from __future__ import annotations

import re
import unicodedata
from collections import OrderedDict
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from . import callbacks as cb
from .commands import CommandBook
from .flood import FloodGuard
from .inline import InlineSearch
from .knowledge import KnowledgeBase
from .matcher import Matcher, MatchResult
from .replies import InlineAnswer, Reply, User
from .routing import route
from .screens import Screens
from .storage import MemoryStore, PreferenceStore
from .views import AnswerViews

MAX_INLINE_QUERY_CHARS = 256  # Bot API: an inline query is at most 256 characters
LAST_ANSWERS_KEPT = 10_000  # users whose last answer is remembered (memory only) to re-show it in another language
ROUTES = ("answer", "did_you_mean", "fallback", "emergency", "language", "smalltalk")
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


@dataclass(frozen=True)
class Understood:
    """What the conversation makes of a message: ``route`` (one of ROUTES), the reply language, the
    match (None for a language request) and the entry it would show (an answer or an emergency screen)."""

    route: str
    lang: str
    result: MatchResult | None
    entry_id: str | None = None

    def as_json(self, query: str) -> dict[str, Any]:
        """``kyr-bot match --json``'s record: the match's fields plus ``route`` and ``unsupported``."""
        if self.result is None:
            record: dict[str, Any] = {"query": query, "lang": self.lang, "id": None, "score": 0.0, "alternatives": []}
        else:
            record = self.result.as_json()
        record["id"] = self.entry_id
        record["unsupported"] = self.result.unsupported_id if self.result else None
        record["route"] = self.route
        return record


class Conversation:
    """Routes messages, commands, button presses and inline queries to the right reply."""

    def __init__(
        self,
        kb: KnowledgeBase,
        matcher: Matcher,
        store: PreferenceStore,
        bot_username: str | None = None,
        flood: FloodGuard | None = None,
    ) -> None:
        self.kb = kb
        self.matcher = matcher
        self.store = store
        self.flood = flood
        self.commands = CommandBook(kb)
        self.views = AnswerViews(kb)
        self.screens = Screens(kb, self.views, self.commands)
        self.bot_username = bot_username
        self._last_answer: OrderedDict[int, str] = OrderedDict()
        self.reads_group_messages = False  # Telegram delivers every group message (privacy mode off)
        self.inline = InlineSearch(kb, matcher, self.views, self.screens)

    @classmethod
    def from_knowledge(
        cls, kb: KnowledgeBase, store: PreferenceStore | None = None, cache_dir: Path | None = None, **kw: Any
    ) -> Conversation:
        """A conversation with a fresh matcher and (by default) memory-only preferences. ``cache_dir`` is
        where the matcher may cache its fitted ranker (see :func:`bot.ranker.load_ranker`)."""
        return cls(kb, Matcher(kb, cache_dir=cache_dir), store or MemoryStore(), **kw)

    @property
    def bot_username(self) -> str | None:
        """The bot's @username (without @), known once Telegram has told it; used in links."""
        return self.views.bot_username

    @bot_username.setter
    def bot_username(self, value: str | None) -> None:
        self.views.bot_username = value

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

    # ------------------------------------------------------------------ entry points
    def flood_gate(self, user: User) -> Reply | None:
        """None when the user may be answered; else the 'slow down' note, or an empty Reply (say nothing).
        Every message counts: text, commands and photos alike."""
        if self.flood is None or user.flood_exempt:
            return None
        gate = self.flood.check(user.id, user.sent_at)
        if gate == "ok":
            return None
        lang = self.language(user)
        return Reply("", lang) if gate == "drop" else self.screens.slow_down(lang)

    def understand(self, text: str, usual: str | None = None) -> Understood:
        """Route a cleaned, non-empty message: a cry for help or agents here now (emergency), a request
        for a language, small talk, or a question for the matcher (answer, did you mean, fallback).
        ``usual`` is the user's language, used when the text's own language is unclear."""
        routed = route(text, self.kb.routing)
        if routed is not None and routed.kind == "language" and routed.lang:
            return Understood("language", routed.lang, None)
        result = self.matcher.match(text, lang_hint=usual)
        lang = result.reply_language(usual or self.kb.default_language)
        if routed is not None and routed.kind == "emergency":
            return Understood(
                "emergency", lang, result, result.entry_id if result.entry_id in self.kb.emergency else None
            )
        entry = self.kb.entry(result.entry_id) if result.entry_id else None
        if routed is not None and routed.kind == "smalltalk":
            # Only small-talk words ("por favor responda"): small talk, whatever a weak match says.
            chosen = entry.id if entry is not None and entry.kind == "smalltalk" else self.kb.routing.smalltalk_entry
            return Understood("smalltalk", lang, result, chosen)
        if entry is not None:
            return Understood("smalltalk" if entry.kind == "smalltalk" else "answer", lang, result, entry.id)
        if result.alternatives and not result.unsupported_id:
            return Understood("did_you_mean", lang, result)
        return Understood("fallback", lang, result)

    def reply_to(self, user: User, understood: Understood) -> Reply:
        """The reply for an understood message; remembers the last answer shown (memory only)."""
        lang, entry = understood.lang, self.kb.entry(understood.entry_id or "")
        if understood.route == "language":
            if user.id is not None:
                self.store.set_language(user.id, lang)
            last = self.kb.entry(self._last_answer.get(user.id, "")) if user.id is not None else None
            if last is not None:
                return replace(self.screens.answer(last, lang), language_changed=True)
            return self.screens.language_set(lang, edit=False)
        if understood.route == "emergency":
            reply = self.screens.emergency_screen(entry, lang) if entry else self.screens.emergency_menu(lang)
        elif entry is not None:
            reply = self.screens.answer(entry, lang)
        else:
            assert understood.result is not None
            reply = self.screens.for_match(understood.result, lang)
        if entry is not None and entry.kind == "answer":
            self._remember(user, entry.id)
        return reply

    def _remember(self, user: User, entry_id: str) -> None:
        if user.id is None:
            return
        self._last_answer[user.id] = entry_id
        self._last_answer.move_to_end(user.id)
        while len(self._last_answer) > LAST_ANSWERS_KEPT:
            self._last_answer.popitem(last=False)

    def handle_text(self, user: User, text: str, caption: bool = False) -> Reply | None:
        """Reply to a typed message; None when the user is flooding and was already told to slow down.
        ``caption``: the words came with a picture or file, which the reply says the bot cannot read."""
        gated = self.flood_gate(user)
        if gated is not None:
            return gated if gated.text else None
        clean = clean_input(text)
        usual = self.language(user)
        if not clean:
            reply = self.screens.fallback(usual, empty=True)
        else:
            reply = self.reply_to(user, self.understand(clean, usual))
        return self.screens.with_caption_note(reply) if caption else reply

    def ask(self, text: str, lang: str | None = None) -> Reply:
        """One question, one answer (the ``kyr-bot ask`` command), in ``lang`` if given."""
        clean = clean_input(text)
        if not clean:
            return self.screens.fallback(lang if lang in self.kb.languages else self.kb.default_language, empty=True)
        understood = self.understand(clean, lang)
        if lang in self.kb.languages:
            understood = replace(understood, lang=lang)
        elif understood.result is not None and not understood.result.lang_confident:
            understood = replace(understood, lang=self.kb.default_language)
        return self.reply_to(User(None), understood)

    def handle_command(self, user: User, command: str, arg: str = "", caption: bool = False) -> Reply:
        """The reply to a command (empty text: the user is flooding and was told to slow down).
        ``caption``: the command was a picture's or file's caption (the reply says so)."""
        gated = self.flood_gate(user)
        if gated is not None:
            return gated
        reply = self._command(user, command, arg)
        return self.screens.with_caption_note(reply) if caption and reply.text else reply

    def _command(self, user: User, command: str, arg: str) -> Reply:
        action, hint = self.commands.resolve(command)
        lang = self.language(user, hint)
        screens = self.screens
        if action == "start":
            return self.start(user, arg)
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
            return screens.answer(entry, lang)
        return screens.unknown_command(lang)

    def handle_callback(self, user: User, data: str | None) -> Reply:
        """A pressed button. Old or forged data gets a short notice, never an error."""
        press = cb.parse(data)
        if press is None or press.lang not in self.kb.languages:
            return self.screens.stale(self.language(user))
        verb, arg, lang = press.verb, press.arg, press.lang
        entry = self.kb.entry(arg) if arg else None
        if verb in (cb.ANSWER, cb.ANSWER_SWITCH) and entry is not None and entry.answerable:
            self._remember(user, entry.id)
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
                return self.screens.emergency_screen(entry, lang, edit=verb == cb.EMERGENCY_SWITCH)
        if verb == cb.LANGUAGE:
            if user.id is not None:
                self.store.set_language(user.id, lang)
            return self.screens.language_set(lang)
        if verb == cb.DELETE:
            return self.delete(user, lang)
        if verb == cb.CARD:
            return self.screens.card(lang)
        return self.screens.stale(lang)

    def delete(self, user: User, lang: str) -> Reply:
        """Forget everything stored about the user (their language choice and last answer)."""
        removed = self.store.delete(user.id) if user.id is not None else False
        if user.id is not None:
            self._last_answer.pop(user.id, None)
        return self.screens.deleted(lang, removed)

    def handle_non_text(self, user: User) -> Reply:
        """A message with no words (photo, sticker, voice)."""
        gated = self.flood_gate(user)
        if gated is not None:
            return gated
        return self.screens.not_text(self.language(user))

    def start(self, user: User, payload: str) -> Reply:
        """/start, with or without a deep-link payload."""
        opened = cb.parse_start_payload(payload)
        if opened is not None:
            entry = self.kb.entry(opened[0])
            if entry is not None and entry.answerable and opened[1] in self.kb.languages:
                return self.screens.answer(entry, opened[1])
        # Only a link shaped like ours whose answer is gone gets the note; any other payload (an
        # outreach flyer's tracking code) is a plain first visit.
        return self.screens.welcome(self.language(user), unknown_link=opened is not None)

    def group_intro(self, user: User, admin: bool = False) -> Reply:
        """What the bot says when it is added to a group (``admin``: as an administrator, so it reads
        every message there)."""
        return self.screens.group_intro(self.language(user), mentions=admin or self.reads_group_messages)

    def inline_answers(self, user: User, query: str) -> list[InlineAnswer]:
        """Choices for inline mode (:class:`InlineSearch`): the best answers for the query, or the card and
        the main topics for an empty one, in the query's language (else the user's)."""
        return self.inline.answers(clean_input(query)[:MAX_INLINE_QUERY_CHARS], self.language(user))
