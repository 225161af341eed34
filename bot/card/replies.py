"""The rights card as replies: the picture (drawn once per content) and its inline result."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.core.replies import InlineAnswer, Photo, Reply
from bot.i18n import translator
from bot.knowledge import KnowledgeBase
from bot.screens.keyboards import Keyboards

if TYPE_CHECKING:
    from bot.card.render import CardRenderer
    from bot.knowledge.card_file import CardSet


class CardReplies:
    """The card picture in a language, with its caption; Pillow is loaded only once someone asks."""

    def __init__(self, kb: KnowledgeBase, keys: Keyboards) -> None:
        self.kb = kb
        self.keys = keys
        self._renderer: CardRenderer | None = None

    def reply(self, lang: str) -> Reply | None:
        """The rights card picture in ``lang`` (the first language's card if ``lang`` has none), with its
        caption; drawn once per content and language. None when the knowledge base has no card."""
        cards = self.kb.card
        if cards is None:
            return None
        card_lang = lang if lang in cards.languages else cards.languages[0]
        picture = self._card_renderer(cards).render(card_lang)
        photo = Photo(picture.content_hash, picture.png, cards.text(card_lang).caption, f"rights-card-{card_lang}.png")
        return Reply("", lang, self.keys.menu_row(lang), photo=photo)

    def _card_renderer(self, cards: CardSet) -> CardRenderer:
        if self._renderer is None:
            from bot.card.render import CardRenderer  # Pillow drawing: only once someone asks for the card

            self._renderer = CardRenderer(cards)
        return self._renderer

    def inline(self, lang: str) -> InlineAnswer | None:
        """The rights card as an inline result (sent by its uploaded copy's id, keyed by content hash)."""
        cards = self.kb.card
        if cards is None:
            return None
        _ = translator(lang).gettext
        card_lang = lang if lang in cards.languages else cards.languages[0]
        text = cards.text(card_lang)
        return InlineAnswer(
            id=f"card_{card_lang}",
            title="🪪 " + _("Rights card (picture)"),
            description=text.heading,
            text="",
            photo_key=self._card_renderer(cards).content_hash(card_lang),
            caption=text.caption,
        )
