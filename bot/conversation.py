"""The conversation core: text in, reply (text and buttons) out. Both the Telegram bot and the console
chat call this; nothing here knows about Telegram.

Callback data (at most 64 bytes) is ``<verb>:<arg>:<lang>``:
``a`` answer as a new message, ``x`` answer edited in place (other language), ``t`` topic group
(empty arg: the topic menu), ``e`` emergency screen (empty arg: the emergency menu), ``E`` emergency
screen edited in place (other language), ``L`` set language.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass, replace

from . import compose
from .compose import esc
from .i18n import translator
from .knowledge import Entry, KnowledgeBase
from .matcher import Matcher, MatchResult
from .replies import Button, InlineAnswer, Reply, User
from .storage import MemoryStore, PreferenceStore

MAX_INLINE_RESULTS = 50
MAX_CALLBACK_BYTES = 64
MAX_RELATED_BUTTONS = 3
FORGET_EVERY = 200  # flood-protection bookkeeping is pruned this often (messages)
_PAYLOAD = re.compile(r"^([a-z0-9][a-z0-9-]{0,40})_([a-z]{2,3})$")

# Command names, English first then Spanish alias; the alias also hints at the language.
COMMANDS: dict[str, tuple[str, str | None]] = {
    "start": ("start", None),
    "help": ("help", "en"),
    "ayuda": ("help", "es"),
    "topics": ("topics", "en"),
    "temas": ("topics", "es"),
    "emergency": ("emergency", "en"),
    "urgente": ("emergency", "es"),
    "language": ("language", "en"),
    "idioma": ("language", "es"),
    "contact": ("contact", "en"),
    "contacto": ("contact", "es"),
    "about": ("about", "en"),
    "acerca": ("about", "es"),
    "privacy": ("privacy", "en"),
    "privacidad": ("privacy", "es"),
    "delete": ("delete", "en"),
    "borrar": ("delete", "es"),
}
CONTENT_COMMANDS = {"contact": "contact-aclu", "about": "about-bot", "privacy": "privacy"}


def menu_commands(lang: str) -> list[tuple[str, str]]:
    """(command, description) pairs for the bot's command menu in a language."""
    _ = translator(lang).gettext
    names = {cmd: name for name, (cmd, hint) in COMMANDS.items() if hint == lang}
    if not names:
        names = {cmd: name for name, (cmd, hint) in COMMANDS.items() if hint == "en"}
    descriptions = {
        "topics": _("Browse topics"),
        "emergency": _("What to do right now: ICE at the door, stopped, arrested"),
        "language": _("English / Español"),
        "contact": _("How to reach the ACLU of Wyoming"),
        "about": _("About this bot"),
        "privacy": _("What the bot stores"),
        "delete": _("Forget everything stored about me"),
        "help": _("How to use this bot"),
    }
    return [(names[cmd], text) for cmd, text in descriptions.items() if cmd in names]


def client_language(code: str | None, languages: tuple[str, ...]) -> str | None:
    """'es', 'es-MX', 'es_419' -> 'es' when the bot speaks it."""
    if not code:
        return None
    base = code.replace("_", "-").split("-")[0].lower()
    return base if base in languages else None


@dataclass
class FloodGuard:
    """Per-user flood protection: past ``burst`` messages in ``window`` seconds, one 'slow down' note,
    then silence until the user slows down. Other users are never affected."""

    burst: int = 8
    window: float = 10.0
    clock: Callable[[], float] = time.monotonic

    def __post_init__(self) -> None:
        self._recent: dict[int, list[float]] = {}
        self._warned: set[int] = set()
        self._checks = 0

    def check(self, user_id: int | None) -> str:
        """'ok', 'warn' (send the note once) or 'drop'."""
        if user_id is None:
            return "ok"
        now = self.clock()
        times = [t for t in self._recent.get(user_id, ()) if now - t < self.window]
        times.append(now)
        self._recent[user_id] = times
        self._checks += 1
        if self._checks % FORGET_EVERY == 0:
            self._forget_idle(now)  # keep nothing about people who have gone quiet
        if len(times) <= self.burst:
            self._warned.discard(user_id)
            return "ok"
        if user_id in self._warned:
            return "drop"
        self._warned.add(user_id)
        return "warn"

    def _forget_idle(self, now: float) -> None:
        for uid in [u for u, ts in self._recent.items() if not ts or now - ts[-1] >= self.window]:
            self._recent.pop(uid, None)
            self._warned.discard(uid)


class Conversation:
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
        self.bot_username = bot_username
        self.flood = flood
        self._answers: dict[tuple[str, str, str | None], Reply] = {}
        self._titles: dict[str, tuple[str, str]] = {}
        for entry in kb.entries.values():
            for lang, text in entry.texts.items():
                self._titles.setdefault(text.title.casefold().strip(), (entry.id, lang))

    @classmethod
    def from_knowledge(cls, kb: KnowledgeBase, store: PreferenceStore | None = None, **kw) -> Conversation:
        return cls(kb, Matcher(kb), store or MemoryStore(), **kw)

    # ------------------------------------------------------------------ language
    def saved_language(self, user: User) -> str | None:
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
        if gate == "drop":
            return Reply("", lang)
        return Reply(
            esc(
                translator(lang).gettext(
                    "You are sending messages very fast. Please wait a few seconds, then send your question again."
                )
            ),
            lang,
        )

    def handle_text(self, user: User, text: str) -> Reply | None:
        """Reply to a typed message; None when the user is flooding and was already told to slow down."""
        gated = self.flood_gate(user)
        if gated is not None:
            return gated if gated.text else None
        clean = _clean(text)
        if not clean:
            lang = self.language(user)
            return self._fallback(lang, empty=True)
        usual = self.language(user)
        result = self.matcher.match(clean, lang_hint=usual)
        return self.reply_to_match(result, self._text_language(result, usual))

    def ask(self, text: str, lang: str | None = None) -> Reply:
        """One question, one answer (the ``kyr-bot ask`` command)."""
        clean = _clean(text)
        result = self.matcher.match(clean or text, lang_hint=lang)
        if lang in self.kb.languages:
            reply_lang = lang
        else:
            reply_lang = result.lang if result.lang_confident else self.kb.default_language
        return self.reply_to_match(result, reply_lang) if clean else self._fallback(reply_lang, empty=True)

    def handle_command(self, user: User, command: str, arg: str = "") -> Reply:
        """The reply to a command (empty text: the user is flooding and was told to slow down)."""
        gated = self.flood_gate(user)
        if gated is not None:
            return gated
        name, hint = COMMANDS.get(command.lower(), (None, None))
        lang = self.language(user, hint)
        if name == "start":
            return self.start(user, arg)
        if name == "help":
            return self.help(lang)
        if name == "topics":
            return self.topic_menu(lang)
        if name == "emergency":
            return self.emergency_menu(lang)
        if name == "language":
            return self.language_menu(lang)
        if name in CONTENT_COMMANDS:
            entry = self.kb.entry(CONTENT_COMMANDS[name])
            if entry:
                return self.answer(entry, lang)
        if name == "delete":
            return self.delete(user, lang)
        _ = translator(lang).gettext
        return Reply(esc(_("I don't know that command. Try /help.")), lang, self._menu_row(lang))

    def handle_callback(self, user: User, data: str | None) -> Reply:
        """A pressed button. Old or forged data gets a short notice, never an error."""
        verb, arg, lang = _parse_callback(data or "")
        if lang not in self.kb.languages:
            lang = self.language(user)
            return self._stale(lang)
        if verb in ("a", "x"):
            entry = self.kb.entry(arg)
            if entry is None or not entry.answerable:
                return self._stale(lang)
            return self.answer(entry, lang, edit=verb == "x")
        if verb == "t":
            if not arg:
                return self.topic_menu(lang, edit=True)
            group = next((g for g in self.kb.topics if g.id == arg), None)
            return self.topic_group(group, lang) if group else self._stale(lang)
        if verb in ("e", "E"):
            if not arg:
                return self.emergency_menu(lang, edit=True)
            entry = self.kb.entry(arg)
            if entry is None or arg not in self.kb.emergency:
                return self._stale(lang)
            return self.emergency_screen(entry, lang, edit=verb == "E")
        if verb == "L":
            return self.set_language(user, lang)
        return self._stale(self.language(user))

    def handle_non_text(self, user: User) -> Reply:
        gated = self.flood_gate(user)
        if gated is not None:
            return gated
        lang = self.language(user)
        _ = translator(lang).gettext
        return Reply(
            esc(_("I can only read text messages. Please type your question in words, or use /topics.")),
            lang,
            self._menu_row(lang),
        )

    def inline_answers(self, user: User, query: str) -> list[InlineAnswer]:
        """Choices for inline mode: the best answers for the query, or the main topics for an empty one."""
        clean = _clean(query)[:256]
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
            text = entry.text(lang)
            out.append(
                InlineAnswer(
                    id=compose.deep_link_payload(eid, lang),
                    title=text.title,
                    description=_first_words(compose.fill(self.kb, text.answer, lang), 120),
                    text=compose.render_entry(self.kb, entry, lang, self.bot_username),
                    buttons=self._link_row(entry, lang),
                )
            )
            if len(out) >= MAX_INLINE_RESULTS:
                break
        return out

    # ------------------------------------------------------------------ screens
    def start(self, user: User, payload: str) -> Reply:
        payload = payload.strip()
        if payload:
            m = _PAYLOAD.match(payload)
            entry = self.kb.entry(m.group(1)) if m else None
            if entry is not None and entry.answerable and m.group(2) in self.kb.languages:
                return self.answer(entry, m.group(2))
        lang = self.language(user)
        _ = translator(lang).gettext
        lines = []
        if payload:
            lines.append(esc(_("That link does not open an answer any more. Here is the main menu.")))
        lines.append("<b>" + esc(_("Know your rights: immigration in Wyoming")) + "</b>")
        lines.append(
            esc(
                _(
                    "Ask me a question in your own words, in English or Spanish, or choose a topic. "
                    "I answer with what the ACLU of Wyoming and other trusted sources say."
                )
            )
        )
        lines.append(esc(_("If ICE or the police are with you now, press Emergency.")))
        lines.append("<i>" + esc(compose.disclaimer(lang)) + "</i>")
        return Reply("\n\n".join(lines), lang, self._main_menu(lang))

    def help(self, lang: str) -> Reply:
        _ = translator(lang).gettext
        lines = [
            esc(
                _(
                    'Type a question in your own words, for example: "What is an ICE detainer?" or '
                    '"¿Qué hago si la migra toca a mi puerta?"'
                )
            )
        ]
        lines += [f"/{name} — {esc(desc)}" for name, desc in menu_commands(lang)]
        lines.append(
            esc(
                _(
                    "To share an answer, forward it or press Share. You can also type @{bot} and a "
                    "question in any chat."
                ).format(bot=self.bot_username or "bot")
            )
        )
        return Reply("\n".join(lines), lang, self._main_menu(lang))

    def topic_menu(self, lang: str, edit: bool = False) -> Reply:
        _ = translator(lang).gettext
        rows = [(Button(g.labels.get(lang, g.id), data=f"t:{g.id}:{lang}"),) for g in self.kb.topics]
        return Reply(esc(_("Choose a topic:")), lang, tuple(rows), edit=edit)

    def topic_group(self, group, lang: str) -> Reply:
        _ = translator(lang).gettext
        rows = [
            (Button(e.text(lang).title, data=f"a:{e.id}:{lang}"),)
            for e in (self.kb.entry(eid) for eid in group.entry_ids)
            if e is not None
        ]
        rows.append((Button("« " + _("All topics"), data=f"t::{lang}"),))
        return Reply("<b>" + esc(group.labels.get(lang, group.id)) + "</b>", lang, tuple(rows), edit=True)

    def emergency_menu(self, lang: str, edit: bool = False) -> Reply:
        _ = translator(lang).gettext
        rows = [
            (Button(e.text(lang).title, data=f"e:{e.id}:{lang}"),)
            for e in (self.kb.entry(eid) for eid in self.kb.emergency)
            if e is not None
        ]
        text = esc(_("What is happening? Choose one. Stay calm, do not run and do not lie."))
        return Reply(text, lang, tuple(rows), edit=edit)

    def emergency_screen(self, entry: Entry, lang: str, edit: bool = False) -> Reply:
        """An emergency answer that ends with the English statement to show an officer."""
        text = compose.render_entry(self.kb, entry, lang, self.bot_username, statement_last=True)
        return Reply(text, lang, self._answer_buttons(entry, lang, switch="E"), edit=edit)

    def language_menu(self, lang: str) -> Reply:
        _ = translator(lang).gettext
        names = {code: translator(code).gettext("English") for code in self.kb.languages}
        row = tuple(Button(names[code], data=f"L::{code}") for code in self.kb.languages)
        return Reply(esc(_("Choose your language:")), lang, (row,))

    def set_language(self, user: User, lang: str) -> Reply:
        if user.id is not None:
            self.store.set_language(user.id, lang)
        _ = translator(lang).gettext
        return Reply(
            esc(_("Done: I will answer in English. You can change it any time with /language.")),
            lang,
            self._main_menu(lang),
            edit=True,
            language_changed=True,
        )

    def delete(self, user: User, lang: str) -> Reply:
        removed = self.store.delete(user.id) if user.id is not None else False
        _ = translator(lang).gettext
        if removed:
            text = _(
                "Done. I deleted everything I had stored about you (your language choice). "
                "Your messages were never stored."
            )
        else:
            text = _("I had nothing stored about you. Your messages are never stored.")
        return Reply(esc(text), lang, forget_user=True)

    def answer(self, entry: Entry, lang: str, edit: bool = False) -> Reply:
        # The knowledge base does not change while the bot runs, so each answer is composed once.
        key = (entry.id, lang, self.bot_username)
        cached = self._answers.get(key)
        if cached is None:
            text = compose.render_entry(self.kb, entry, lang, self.bot_username)
            buttons = self._menu_row(lang) if entry.kind == "smalltalk" else self._answer_buttons(entry, lang)
            cached = self._answers[key] = Reply(text, lang, buttons)
        return replace(cached, edit=edit) if edit else cached

    def reply_to_match(self, result: MatchResult, lang: str) -> Reply:
        if result.entry_id:
            entry = self.kb.entries[result.entry_id]
            return self.answer(entry, lang)
        if result.unsupported_id:
            return self._fallback(lang, unsupported=self.kb.entries[result.unsupported_id])
        if result.alternatives:
            return self._did_you_mean(result, lang)
        return self._fallback(lang)

    # ------------------------------------------------------------------ pieces
    def _did_you_mean(self, result: MatchResult, lang: str) -> Reply:
        _ = translator(lang).gettext
        rows = [(Button(self.kb.entries[a.id].text(lang).title, data=f"a:{a.id}:{lang}"),) for a in result.alternatives]
        rows.append((Button(_("None of these: show all topics"), data=f"t::{lang}"),))
        return Reply(esc(_("I am not sure I understood. Did you mean one of these?")), lang, tuple(rows))

    def _fallback(self, lang: str, empty: bool = False, unsupported: Entry | None = None) -> Reply:
        _ = translator(lang).gettext
        parts: list[str] = []
        if unsupported is not None:
            parts.append(esc(compose.fill(self.kb, unsupported.text(lang).answer, lang)))
        elif empty:
            parts.append(esc(_("Please type your question in words. You can also choose a topic below.")))
        else:
            parts.append(
                esc(
                    _(
                        "Sorry, I don't have an answer for that. I only know about immigration "
                        "enforcement and your rights in Wyoming. Try other words, or choose a topic below."
                    )
                )
            )
        parts.append(esc(_("For help with your own situation, contact:")) + "\n" + compose.contact_block(self.kb, lang))
        parts.append("<i>" + esc(compose.disclaimer(lang)) + "</i>")
        rows = [(Button(g.labels.get(lang, g.id), data=f"t:{g.id}:{lang}"),) for g in self.kb.topics]
        return Reply("\n\n".join(parts), lang, tuple(rows))

    def _stale(self, lang: str) -> Reply:
        _ = translator(lang).gettext
        return Reply("", lang, notice=_("This button is out of date. Send /topics to start again."))

    def _main_menu(self, lang: str) -> tuple[tuple[Button, ...], ...]:
        _ = translator(lang).gettext
        rows: list[tuple[Button, ...]] = [(Button("🆘 " + _("Emergency"), data=f"e::{lang}"),)]
        rows += [(Button(g.labels.get(lang, g.id), data=f"t:{g.id}:{lang}"),) for g in self.kb.topics]
        return tuple(rows)

    def _menu_row(self, lang: str) -> tuple[tuple[Button, ...], ...]:
        _ = translator(lang).gettext
        return ((Button(_("Topics"), data=f"t::{lang}"), Button("🆘 " + _("Emergency"), data=f"e::{lang}")),)

    def _link_row(self, entry: Entry, lang: str) -> tuple[tuple[Button, ...], ...]:
        if not self.bot_username:
            return ()
        _ = translator(lang).gettext
        return ((Button(_("Open in the bot"), url=compose.deep_link(self.bot_username, entry.id, lang)),),)

    def _answer_buttons(self, entry: Entry, lang: str, switch: str = "x") -> tuple[tuple[Button, ...], ...]:
        """Other language (``switch`` verb: edit in place), Share, related topics, Topics."""
        _ = translator(lang).gettext
        first: list[Button] = [
            Button(translator(other).gettext("English"), data=f"{switch}:{entry.id}:{other}")
            for other in self.kb.languages
            if other != lang
        ]
        first.append(Button("📤 " + _("Share"), share=entry.text(lang).title))
        rows: list[tuple[Button, ...]] = [tuple(first)]
        for rid in entry.related[:MAX_RELATED_BUTTONS]:
            related = self.kb.entry(rid)
            if related is not None:
                rows.append((Button("→ " + related.text(lang).title, data=f"a:{rid}:{lang}"),))
        rows.append((Button(_("Topics"), data=f"t::{lang}"),))
        return tuple(rows)


# ---------------------------------------------------------------------- helpers
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]")


def _clean(text: str) -> str:
    """Drop control and direction-override characters; trim."""
    return _CONTROL.sub(" ", text or "").strip()


def _parse_callback(data: str) -> tuple[str, str, str]:
    if len(data.encode("utf-8", "replace")) > MAX_CALLBACK_BYTES:
        return "", "", ""
    parts = data.split(":")
    if len(parts) != 3:
        return "", "", ""
    return parts[0], parts[1], parts[2]


def _first_words(text: str, limit: int) -> str:
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    return text[: limit - 1].rsplit(" ", 1)[0] + "…"
