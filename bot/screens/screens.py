"""Every screen the bot shows that is not a plain answer: menus, emergency, help, welcome, fallback,
did-you-mean, language, delete and the short notices. Plain Python: text and buttons in, no Telegram."""

from __future__ import annotations

from dataclasses import replace

from bot.card.replies import CardReplies
from bot.core import callbacks as cb
from bot.core.commands import CommandBook
from bot.core.replies import Button, Reply
from bot.i18n import translator
from bot.knowledge import Entry, KnowledgeBase, TopicGroup
from bot.matching.decision import Decision
from bot.matching.matcher import LIKELY_AT, Alternative
from bot.screens.alerts import claim_reply, with_alert_check
from bot.screens.compose import contact_block, disclaimer, esc, fill, officer_block
from bot.screens.keyboards import Keyboards
from bot.screens.views import AnswerViews


class Screens:
    """Builds replies for one knowledge base; answers are cached by :class:`AnswerViews`."""

    def __init__(self, kb: KnowledgeBase, views: AnswerViews, commands: CommandBook) -> None:
        self.kb = kb
        self.views = views
        self.commands = commands
        self._answers: dict[tuple[str, str, str | None], Reply] = {}
        self.keys = Keyboards(kb, views)
        self.cards = CardReplies(kb, self.keys)

    # ------------------------------------------------------------------ answers
    def answer(self, entry: Entry, lang: str, edit: bool = False) -> Reply:
        """An entry's answer with its buttons (composed once per entry, language and username)."""
        key = (entry.id, lang, self.views.bot_username)
        cached = self._answers.get(key)
        if cached is None:
            buttons = self.keys.menu_row(lang) if entry.kind == "smalltalk" else self.keys.answer_buttons(entry, lang)
            cached = self._answers[key] = Reply(self.views.chat(entry, lang), lang, buttons)
        return replace(cached, edit=True) if edit else cached

    def emergency_screen(self, entry: Entry, lang: str, edit: bool = False) -> Reply:
        """An emergency answer: the English statement to show an officer first, then what to do."""
        buttons = self.keys.answer_buttons(entry, lang, switch=cb.EMERGENCY_SWITCH)
        return Reply(self.views.chat(entry, lang), lang, buttons, edit=edit)

    def for_decision(self, decision: Decision) -> Reply:
        """The reply a decision's route calls for (every route but 'language', which changes a stored
        choice first): an answer or small talk, an emergency screen (or the emergency menu), "did you
        mean", the rights card, or the fallback (saying why, for a question the bot knows it cannot answer)."""
        lang, route = decision.lang, decision.route
        entry = self.kb.entry(decision.entry_id) if decision.entry_id else None
        if route == "emergency":
            return self.emergency_screen(entry, lang) if entry is not None else self.emergency_menu(lang)
        if route == "card":
            return self.card(lang)
        if route in ("answer", "smalltalk", "alert") and entry is not None:
            reply = self.answer(entry, lang)
            return with_alert_check(self.kb, reply) if decision.alert_shaped else reply
        if route == "claim" and decision.claim_id:
            claim = next((c for c in self.kb.claims if c.id == decision.claim_id), None)
            if claim is not None:
                return claim_reply(self.kb, self.keys, claim, lang)
        if route == "did_you_mean" and decision.options:
            return self.did_you_mean(decision.options, lang)
        unsupported = self.kb.entry(decision.unsupported_id) if decision.unsupported_id else None
        return self.fallback(lang, unsupported=unsupported)

    def alert_guide(self, lang: str, how_to: bool = False) -> Reply:
        """How to check an alert (routing.yaml's ``alert_entry``), with how to use /check first when
        ``how_to``; the fallback when the knowledge base names no such entry."""
        entry = self.kb.entry(self.kb.routing.alert_entry or "")
        if entry is None:
            return self.fallback(lang)
        reply = self.answer(entry, lang)
        if not how_to:
            return reply
        return replace(reply, text="<i>" + esc(self.check_hint(lang)) + "</i>\n\n" + reply.text)

    def check_hint(self, lang: str) -> str:
        """How to check an alert with the bot (plain text): forward it, paste it, or in a group reply to
        it with /check@bot (Telegram's privacy mode always delivers a command that names the bot; said only
        once the channel has told the bot's username)."""
        _ = translator(lang).gettext
        names = self.kb.affiliate.commands.get("check", {})
        command = names.get(lang) or names.get(self.kb.languages[0], "check")
        hint = _("Forward an alert to me or paste its words, and I will say what is known about it.")
        if self.views.bot_username is None:  # not on Telegram (the terminal chat): no groups, no forwarding
            return hint
        group = _("In a group, reply to the alert with /{command}@{bot}.")
        return hint + " " + group.format(command=command, bot=self.views.bot_username)

    def card(self, lang: str) -> Reply:
        """The rights card picture (:class:`CardReplies`); without a card, the emergency screen."""
        return self.cards.reply(lang) or self.emergency_menu(lang)

    # ------------------------------------------------------------------ menus
    def welcome(self, lang: str, unknown_link: bool = False) -> Reply:
        """The /start screen (with a note when a link did not open an answer)."""
        _ = translator(lang).gettext
        names = self.kb.affiliate.names(lang)
        lines = []
        if unknown_link:
            lines.append(esc(_("That link does not open an answer any more. Here is the main menu.")))
        lines.append("<b>" + esc(_("Know your rights: immigration in {region}").format(**names)) + "</b>")
        lines.append(
            esc(
                _(
                    "Ask me a question in your own words, in English or Spanish, or choose a topic. "
                    "I answer with what the {organization} and other trusted sources say."
                ).format(**names)
            )
        )
        lines.append(esc(_("If ICE or the police are with you now, press Emergency.")))
        lines.append("<i>" + esc(disclaimer(lang)) + "</i>")
        return Reply("\n\n".join(lines), lang, self.keys.main_menu(lang))

    def help(self, lang: str, group: bool = False, mentions: bool = False) -> Reply:
        """How to use the bot, with every command; in a group (``group``), first how to ask there
        (``mentions``: the bot reads every group message, so an @mention reaches it)."""
        _ = translator(lang).gettext
        lines = [self.group_how_to(lang, mentions)] if group else []
        lines.append(
            esc(
                _(
                    'Type a question in your own words, for example: "What is an ICE detainer?" or '
                    '"¿Qué hago si la migra toca a mi puerta?"'
                )
            )
        )
        lines += [f"/{name} — {esc(desc)}" for name, desc in self.commands.menu(lang)]
        if "check" in self.kb.affiliate.commands and self.kb.routing.alert_entry:
            lines.append(esc(self.check_hint(lang)))
        lines.append(esc(self.share_hint(lang)))
        return Reply("\n".join(lines), lang, self.keys.main_menu(lang))

    def group_how_to(self, lang: str, mentions: bool) -> str:
        """How to ask the bot in a group (HTML): reply to one of its messages; an @mention only when
        Telegram delivers every group message to the bot (``mentions``)."""
        _ = translator(lang).gettext
        bot = self.views.bot_username or "bot"
        text = _(
            "In a group, reply to one of my messages with your question: I only see replies to me and "
            "commands such as /help@{bot}."
        )
        if mentions:
            text = _("In a group, reply to one of my messages with your question, or write @{bot} and your question.")
        return "<b>" + esc(text.format(bot=bot)) + "</b>\n"

    def group_intro(self, lang: str, mentions: bool) -> Reply:
        """The short how-to the bot posts when it is added to a group."""
        _ = translator(lang).gettext
        names = self.kb.affiliate.names(lang)
        lines = [
            esc(
                _("Hello! I answer questions about your rights with immigration enforcement in {region}.").format(
                    **names
                )
            ),
            self.group_how_to(lang, mentions).rstrip(),
            esc(_("Send /help@{bot} to see everything I can do.").format(bot=self.views.bot_username or "bot")),
            "<i>" + esc(disclaimer(lang)) + "</i>",
        ]
        return Reply("\n\n".join(lines), lang, self.keys.menu_row(lang))

    def with_caption_note(self, reply: Reply) -> Reply:
        """``reply`` with one line first saying the bot cannot read the picture or file itself."""
        _ = translator(reply.lang).gettext
        note = _("I can't see pictures or files, so I answered the words you wrote with it.")
        return replace(reply, text="<i>" + esc(note) + "</i>\n\n" + reply.text)

    def descriptions(self, lang: str) -> tuple[str, str]:
        """(long, short) description of the bot in ``lang``, plain text, for a channel's profile."""
        _ = translator(lang).gettext
        names = self.kb.affiliate.names(lang)
        long = _(
            "Free, bilingual answers about your rights with immigration enforcement in {region}: ICE "
            "detainers, 287(g), agents at your door, and how to reach the {organization}. "
            "Information, not legal advice."
        ).format(**names)
        short = _("Know your rights: immigration enforcement in {region}. English and Spanish.").format(**names)
        return long, short

    def share_hint(self, lang: str) -> str:
        """How to share an answer (plain text)."""
        _ = translator(lang).gettext
        return _(
            "To share an answer, forward it or press Share. You can also type @{bot} and a question in any chat."
        ).format(bot=self.views.bot_username or "bot")

    def topic_menu(self, lang: str, edit: bool = False) -> Reply:
        """The list of topic groups."""
        _ = translator(lang).gettext
        return Reply(esc(_("Choose a topic:")), lang, self.keys.topic_rows(lang), edit=edit)

    def topic_group(self, group: TopicGroup, lang: str) -> Reply:
        """The entries of one topic group, with a way back."""
        _ = translator(lang).gettext
        rows = [
            (Button(e.text(lang).label, data=cb.encode(cb.ANSWER, e.id, lang)),)
            for e in (self.kb.entry(eid) for eid in group.entry_ids)
            if e is not None
        ]
        rows.append((Button("« " + _("All topics"), data=cb.encode(cb.TOPIC, "", lang)),))
        return Reply("<b>" + esc(group.labels.get(lang, group.id)) + "</b>", lang, tuple(rows), edit=True)

    def emergency_menu(self, lang: str, edit: bool = False) -> Reply:
        """The emergency screen: the officer card at once (English words and what they mean), then a
        button for each situation and the way to the help menu."""
        _ = translator(lang).gettext
        rows: list[tuple[Button, ...]] = [
            (Button(e.text(lang).label, data=cb.encode(cb.EMERGENCY, e.id, lang)),)
            for e in (self.kb.entry(eid) for eid in self.kb.emergency)
            if e is not None
        ]
        rows += [*self.keys.card_row(lang), (Button(_("Topics"), data=cb.encode(cb.TOPIC, "", lang)),)]
        parts = ["🆘 <b>" + esc(_("If ICE or the police are with you now")) + "</b>"]
        card = officer_block(self.kb, None, lang)
        if card:
            parts.append(card)
        parts.append(esc(_("What is happening? Choose one. Stay calm, do not run and do not lie.")))
        return Reply("\n\n".join(parts), lang, tuple(rows), edit=edit)

    def language_menu(self, lang: str) -> Reply:
        """One button per language, each labelled in its own language."""
        _ = translator(lang).gettext
        row = tuple(
            Button(self.keys.language_name(code), data=cb.encode(cb.LANGUAGE, "", code)) for code in self.kb.languages
        )
        return Reply(esc(_("Choose your language:")), lang, (row,))

    def language_set(self, lang: str, edit: bool = True) -> Reply:
        """Confirmation that the language was saved (``edit``: in place of the language menu)."""
        _ = translator(lang).gettext
        text = esc(_("Done: I will answer in English. You can change it any time with /language."))
        return Reply(text, lang, self.keys.main_menu(lang), edit=edit, language_changed=True)

    def deleted(self, lang: str, removed: bool) -> Reply:
        """Confirmation of /delete."""
        _ = translator(lang).gettext
        done = _("Done. I deleted everything I had stored about you (your language choice).")
        text = done if removed else _("I had nothing stored about you.")
        kept = _(
            "Your messages are not stored. Kept with nothing that links them to you, so they cannot be found "
            "or deleted: daily counts of questions by topic and language, and any question you chose to send "
            "for review."
        )
        return Reply(esc(text) + "\n\n" + esc(kept), lang, forget_user=True)

    # ------------------------------------------------------------------ when there is no answer
    def did_you_mean(self, options: tuple[Alternative, ...], lang: str) -> Reply:
        """Up to three likely answers (the likeliest first, its chance in ``score``, 0-100), "None of these"
        and the emergency row. When the first is likely (:data:`~bot.matching.matcher.LIKELY_AT`), the
        text asks whether it is meant (a question: about one in ten is not); otherwise it says the bot is
        not sure."""
        _ = translator(lang).gettext
        rows: list[tuple[Button, ...]] = [
            (Button(self.kb.entries[a.id].text(lang).label, data=cb.encode(cb.ANSWER, a.id, lang)),) for a in options
        ]
        rows.append((Button(_("None of these"), data=cb.encode(cb.NONE_OF_THESE, "", lang)),))
        rows.append(self.keys.emergency_row(lang))
        if options and options[0].score >= LIKELY_AT:
            text = _("Did you mean the first topic below? Tap it to see the answer, or choose another.")
        else:
            text = _("I am not sure I understood. Did you mean one of these?")
        return Reply(esc(text), lang, tuple(rows))

    def fallback(
        self, lang: str, empty: bool = False, unsupported: Entry | None = None, none_of_these: bool = False
    ) -> Reply:
        """No answer: why (nothing typed, a question the bot cannot answer, none of the "did you mean"
        options, or not understood), where to get help, and the topics."""
        _ = translator(lang).gettext
        parts: list[str] = []
        if unsupported is not None:
            parts.append(esc(fill(self.kb, unsupported.text(lang).answer, lang)))
        elif none_of_these:
            parts.append(
                esc(_("Sorry I did not find it. A person can help with your own situation, or choose a topic."))
            )
        elif empty:
            parts.append(esc(_("Please type your question in words. You can also choose a topic below.")))
        else:
            parts.append(
                esc(
                    _(
                        "Sorry, I don't have an answer for that. I only know about immigration "
                        "enforcement and your rights in {region}. Try other words, or choose a topic below."
                    ).format(**self.kb.affiliate.names(lang))
                )
            )
        parts.append(esc(_("For help with your own situation, contact:")) + "\n" + contact_block(self.kb, lang))
        parts.append("<i>" + esc(disclaimer(lang)) + "</i>")
        return Reply("\n\n".join(parts), lang, (*self.keys.topic_rows(lang), self.keys.emergency_row(lang)))

    def stale(self, lang: str) -> Reply:
        """A button this bot no longer knows: a short notice, nothing sent."""
        _ = translator(lang).gettext
        return Reply("", lang, notice=_("This button is out of date. Send /topics to start again."))

    def unknown_command(self, lang: str) -> Reply:
        """A command the bot does not have."""
        _ = translator(lang).gettext
        return Reply(esc(_("I don't know that command. Try /help.")), lang, self.keys.menu_row(lang))

    def not_text(self, lang: str) -> Reply:
        """A photo, sticker or voice note without words."""
        _ = translator(lang).gettext
        text = _("I can only read text messages. Please type your question in words, or use /topics.")
        return Reply(esc(text), lang, self.keys.menu_row(lang))

    def slow_down(self, lang: str) -> Reply:
        """The one note a flooding user gets (the newest message of the burst is answered once they pause)."""
        _ = translator(lang).gettext
        text = _("You are sending messages very fast. Please wait a few seconds: I will answer your last message.")
        return Reply(esc(text), lang)
