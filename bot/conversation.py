"""The conversation core: text in, reply (text and buttons) out. Both the Telegram bot and the console
chat call this; nothing here knows about Telegram. :class:`Conversation` only routes: the screens are
in :mod:`.screens`, button and link formats in :mod:`.callbacks`, flood protection in :mod:`.flood`."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from . import callbacks as cb
from .commands import CommandBook
from .flood import FloodGuard
from .knowledge import KnowledgeBase
from .matcher import Matcher, MatchResult
from .replies import InlineAnswer, Reply, User
from .screens import Screens
from .storage import MemoryStore, PreferenceStore
from .views import AnswerViews

MAX_INLINE_RESULTS = 50  # Bot API: answerInlineQuery takes at most 50 results
MAX_INLINE_QUERY_CHARS = 256  # Bot API: an inline query is at most 256 characters
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]")


def client_language(code: str | None, languages: tuple[str, ...]) -> str | None:
    """'es', 'es-MX', 'es_419' -> 'es' when the bot speaks it."""
    if not code:
        return None
    base = code.replace("_", "-").split("-")[0].lower()
    return base if base in languages else None


def clean_input(text: str | None) -> str:
    """Drop control and direction-override characters; trim."""
    return _CONTROL.sub(" ", text or "").strip()


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
        self._titles: dict[str, tuple[str, str]] = {}
        for entry in kb.entries.values():
            for lang, text in entry.texts.items():
                self._titles.setdefault(text.title.casefold().strip(), (entry.id, lang))

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

    @staticmethod
    def _text_language(result: MatchResult, usual: str) -> str:
        """A question clearly written in one language is answered in it; otherwise the user's usual one."""
        return result.lang if result.lang_confident else usual

    # ------------------------------------------------------------------ entry points
    def flood_gate(self, user: User) -> Reply | None:
        """None when the user may be answered; else the 'slow down' note, or an empty Reply (say nothing).
        Every message counts: text, commands and photos alike."""
        gate = self.flood.check(user.id) if self.flood else "ok"
        if gate == "ok":
            return None
        lang = self.language(user)
        return Reply("", lang) if gate == "drop" else self.screens.slow_down(lang)

    def handle_text(self, user: User, text: str) -> Reply | None:
        """Reply to a typed message; None when the user is flooding and was already told to slow down."""
        gated = self.flood_gate(user)
        if gated is not None:
            return gated if gated.text else None
        clean = clean_input(text)
        usual = self.language(user)
        if not clean:
            return self.screens.fallback(usual, empty=True)
        result = self.matcher.match(clean, lang_hint=usual)
        return self.screens.for_match(result, self._text_language(result, usual))

    def ask(self, text: str, lang: str | None = None) -> Reply:
        """One question, one answer (the ``kyr-bot ask`` command)."""
        clean = clean_input(text)
        result = self.matcher.match(clean or text, lang_hint=lang)
        if lang in self.kb.languages:
            reply_lang = lang
        else:
            reply_lang = result.lang if result.lang_confident else self.kb.default_language
        return self.screens.for_match(result, reply_lang) if clean else self.screens.fallback(reply_lang, empty=True)

    def handle_command(self, user: User, command: str, arg: str = "") -> Reply:
        """The reply to a command (empty text: the user is flooding and was told to slow down)."""
        gated = self.flood_gate(user)
        if gated is not None:
            return gated
        action, hint = self.commands.resolve(command)
        lang = self.language(user, hint)
        screens = self.screens
        if action == "start":
            return self.start(user, arg)
        if action == "help":
            return screens.help(lang)
        if action == "topics":
            return screens.topic_menu(lang)
        if action == "emergency":
            return screens.emergency_menu(lang)
        if action == "language":
            return screens.language_menu(lang)
        if action == "delete":
            removed = self.store.delete(user.id) if user.id is not None else False
            return screens.deleted(lang, removed)
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
        return self.screens.stale(lang)

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
        return self.screens.welcome(self.language(user), unknown_link=bool(payload.strip()))

    def inline_answers(self, user: User, query: str) -> list[InlineAnswer]:
        """Choices for inline mode: the best answers for the query, or the main topics for an empty one."""
        clean = clean_input(query)[:MAX_INLINE_QUERY_CHARS]
        if not clean:
            lang = self.language(user)
            ids = [eid for group in self.kb.topics for eid in group.entry_ids]
        else:
            titled = self._titles.get(clean.casefold())
            usual = self.language(user)
            result = self.matcher.match(clean, lang_hint=usual)
            lang = titled[1] if titled else self._text_language(result, usual)
            ranked = [alt.id for alt in result.ranking]
            ids = ([titled[0]] if titled else []) + [eid for eid in ranked if not titled or eid != titled[0]]
        out: list[InlineAnswer] = []
        for eid in ids:
            entry = self.kb.entry(eid)
            if entry is None or not entry.answerable or entry.kind == "smalltalk":
                continue
            view = self.views.inline(entry, lang)
            out.append(
                InlineAnswer(
                    id=cb.start_payload(eid, lang),
                    title=view.title,
                    description=view.description,
                    text=view.text,
                    buttons=self.screens.link_row(entry, lang),
                )
            )
            if len(out) >= MAX_INLINE_RESULTS:
                break
        return out
