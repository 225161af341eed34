"""The buttons under replies: topics, emergency, the rights card, answers' own buttons."""

from __future__ import annotations

from bot.core import callbacks as cb
from bot.core.replies import Button
from bot.i18n import translator
from bot.knowledge import Entry, KnowledgeBase
from bot.screens.views import AnswerViews

MAX_RELATED_BUTTONS = 3
Rows = tuple[tuple[Button, ...], ...]


class Keyboards:
    """Builds button rows for one knowledge base (``views`` knows the bot's username, for links)."""

    def __init__(self, kb: KnowledgeBase, views: AnswerViews) -> None:
        self.kb = kb
        self.views = views

    @staticmethod
    def language_name(code: str) -> str:
        """A language's name in itself ('English', 'Español'), from its catalog."""
        return translator(code).gettext("English")

    def card_row(self, lang: str) -> tuple[tuple[Button, ...], ...]:
        """The rights card button (none when the knowledge base has no card)."""
        if self.kb.card is None:
            return ()
        _ = translator(lang).gettext
        return ((Button("🪪 " + _("Rights card (picture)"), data=cb.encode(cb.CARD, "", lang)),),)

    def topic_rows(self, lang: str) -> Rows:
        """One button per topic group."""
        return tuple((Button(g.labels.get(lang, g.id), data=cb.encode(cb.TOPIC, g.id, lang)),) for g in self.kb.topics)

    def emergency_row(self, lang: str) -> tuple[Button, ...]:
        """The 🆘 Emergency button, alone on its row."""
        _ = translator(lang).gettext
        return (Button("🆘 " + _("Emergency"), data=cb.encode(cb.EMERGENCY, "", lang)),)

    def main_menu(self, lang: str) -> Rows:
        """Emergency first, then the topic groups."""
        return (self.emergency_row(lang), *self.topic_rows(lang), *self.card_row(lang))

    def menu_row(self, lang: str) -> Rows:
        """Topics and Emergency, side by side."""
        _ = translator(lang).gettext
        return (
            (
                Button(_("Topics"), data=cb.encode(cb.TOPIC, "", lang)),
                Button("🆘 " + _("Emergency"), data=cb.encode(cb.EMERGENCY, "", lang)),
            ),
        )

    def link_row(self, entry: Entry, lang: str) -> Rows:
        """'Open in the bot' (a deep link), when the bot's username is known."""
        if not self.views.bot_username:
            return ()
        _ = translator(lang).gettext
        return ((Button(_("Open in the bot"), url=cb.deep_link(self.views.bot_username, entry.id, lang)),),)

    def answer_buttons(self, entry: Entry, lang: str, switch: str = cb.ANSWER_SWITCH) -> Rows:
        """Other language (``switch`` verb: edit in place), Share, related topics, Topics."""
        _ = translator(lang).gettext
        first: list[Button] = [
            Button(self.language_name(other), data=cb.encode(switch, entry.id, other))
            for other in self.kb.languages
            if other != lang
        ]
        first.append(Button("📤 " + _("Share"), share=entry.text(lang).title))
        rows: list[tuple[Button, ...]] = [tuple(first)]
        for rid in entry.related[:MAX_RELATED_BUTTONS]:
            related = self.kb.entry(rid)
            if related is not None:
                rows.append((Button("→ " + related.text(lang).label, data=cb.encode(cb.ANSWER, rid, lang)),))
        if switch == cb.EMERGENCY_SWITCH:
            rows += self.card_row(lang)
        elif entry.emergency_button:
            rows.append(self.emergency_row(lang))
        if entry.id == self.kb.affiliate.content_commands.get("privacy"):
            rows.append((Button("🗑 " + _("Delete what you keep about me"), data=cb.encode(cb.DELETE, "", lang)),))
        rows.append((Button(_("Topics"), data=cb.encode(cb.TOPIC, "", lang)),))
        return tuple(rows)
