"""Inline mode (@bot question in any chat): full answers to pick from, and the rights card."""

from __future__ import annotations

from bot.core import callbacks as cb
from bot.core.limits import INLINE_RESULTS
from bot.core.replies import InlineAnswer
from bot.knowledge import KnowledgeBase
from bot.matching.matcher import Matcher
from bot.matching.routing import names_the_card
from bot.screens.screens import Screens
from bot.screens.views import AnswerViews


class InlineSearch:
    """Ranks entries for an inline query; an exact title (the Share button's query) comes first, in its
    language."""

    def __init__(self, kb: KnowledgeBase, matcher: Matcher, views: AnswerViews, screens: Screens) -> None:
        self.kb = kb
        self.matcher = matcher
        self.views = views
        self.screens = screens
        self._titles: dict[str, tuple[str, str]] = {}
        for entry in kb.entries.values():
            for lang, text in entry.texts.items():
                self._titles.setdefault(text.title.casefold().strip(), (entry.id, lang))

    def answers(self, clean: str, usual: str) -> list[InlineAnswer]:
        """At most 50 results for a cleaned query (empty: the card and the topic entries), in the query's
        language when it is clear, else ``usual``."""
        if not clean:
            lang = usual
            ids = [eid for group in self.kb.topics for eid in group.entry_ids]
        else:
            titled = self._titles.get(clean.casefold())
            result = self.matcher.match(clean, lang_hint=usual)
            lang = titled[1] if titled else result.reply_language(usual)
            ranked = [alt.id for alt in result.ranking]
            ids = ([titled[0]] if titled else []) + [eid for eid in ranked if not titled or eid != titled[0]]
        out: list[InlineAnswer] = []
        card_names = set(self.kb.affiliate.commands.get("card", {}).values())
        if not clean or names_the_card(clean, self.kb.routing, card_names):
            card = self.screens.cards.inline(lang)
            if card is not None:
                out.append(card)
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
                    buttons=self.screens.keys.link_row(entry, lang),
                )
            )
            if len(out) >= INLINE_RESULTS:
                break
        return out
