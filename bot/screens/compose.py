"""Writing answers as people read them: self-contained, in Telegram's HTML subset.

An answer carries its title, text, sources, review date, the contact block, the "information, not
legal advice" note and (when the bot's username is known) a link that opens the same answer, so it
still stands alone when forwarded without its buttons.
"""

from __future__ import annotations

import html
import re

from bot.core.callbacks import deep_link
from bot.core.limits import MESSAGE_TEXT_CHARS
from bot.i18n import format_day, translator
from bot.knowledge import Entry, KnowledgeBase

_TAG = re.compile(r"<[^>]+>")


def esc(text: str) -> str:
    """Escape text for Telegram HTML."""
    return html.escape(text, quote=False)


def fill(kb: KnowledgeBase, text: str, lang: str) -> str:
    """Replace {placeholders} with contact values (validated at load time) and ``{legal_review}``."""
    return text.format_map({**kb.contacts.values_for(lang), "legal_review": legal_review_sentence(kb, lang)})


def legal_review_sentence(kb: KnowledgeBase, lang: str) -> str:
    """Who reviewed the content as a lawyer would, when the knowledge base records it; else says plainly
    that no lawyer and no one from the ACLU has."""
    _ = translator(lang).gettext
    review = kb.legal_review
    if review is None:
        return _("No lawyer has reviewed these answers, and neither has the ACLU.")
    return _("A legal review of these answers is on record: {by}, {date}.").format(
        by=review.by, date=format_day(review.date, lang)
    )


def contact_block(kb: KnowledgeBase, lang: str) -> str:
    """The contact footer in ``lang``, as HTML."""
    return esc(fill(kb, kb.contacts.footer.get(lang, ""), lang))


def disclaimer(lang: str) -> str:
    """'This is general information, not legal advice.' in ``lang``."""
    _ = translator(lang).gettext
    return _("This is general information, not legal advice.")


def officer_block(kb: KnowledgeBase, entry: Entry | None, lang: str) -> str:
    """The officer card as HTML: the English statement (with the entry's own situation line, if any),
    then what it means in ``lang`` right under it. Empty when the knowledge base has no officer card."""
    card = kb.officer_card
    if card is None:
        return ""
    _ = translator(lang).gettext
    english = card.statement
    meaning = card.explanation.get(lang, "")
    if entry is not None and entry.officer_statement:
        english = f"{english} {entry.officer_statement}"
        extra = entry.officer_meaning.get(lang)
        if extra:
            meaning = f"{meaning}\n{extra}" if meaning else extra
    label = _("To show or read to an officer (in English):")
    block = f"<b>{esc(label)}</b>\n<i>{esc(english)}</i>"
    return f"{block}\n{esc(meaning)}" if meaning else block


def render_entry(
    kb: KnowledgeBase, entry: Entry, lang: str, bot_username: str | None = None, statement_last: bool = False
) -> str:
    """The full, self-contained answer for an entry, as Telegram HTML of at most 4096 characters.
    ``statement_last`` puts the English statement for an officer at the very end (the /emergency
    screens), not after the answer."""
    _ = translator(lang).gettext
    text = entry.text(lang)
    body = esc(fill(kb, text.answer, lang))
    if entry.kind == "smalltalk":
        return body
    parts = [f"<b>{esc(text.title)}</b>", body]
    statement = officer_block(kb, entry, lang) if entry.officer_statement else ""
    if statement and not statement_last:
        parts.append(statement)
    if entry.sources:
        label = _("Sources:")
        lines = [f"<b>{esc(label)}</b>"]
        lines += [f"• {esc(s.title)}: {esc(s.url)}" for s in entry.sources]
        parts.append("\n".join(lines))
    tail = [esc(_("Reviewed: {date}").format(date=format_day(entry.reviewed, lang)))]
    if entry.legal_review is not None:
        review = entry.legal_review
        tail.append(esc(_("Legal review: {by}, {date}").format(by=review.by, date=format_day(review.date, lang))))
    tail += [
        contact_block(kb, lang),
        f"<i>{esc(disclaimer(lang))}</i>",
    ]
    if bot_username:
        tail.append(esc(_("More answers: {link}").format(link=deep_link(bot_username, entry.id, lang))))
    parts.append("\n".join(tail))
    if statement and statement_last:
        parts.append(statement)
    return fit("\n\n".join(parts))


def fit(text: str, limit: int = MESSAGE_TEXT_CHARS) -> str:
    """Shorten text to ``limit`` characters without cutting inside a tag or an entity."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    cut = cut[: max(cut.rfind("\n"), limit // 2)]
    cut = re.sub(r"<[^>]*$", "", cut)
    cut = re.sub(r"&[a-z#0-9]*$", "", cut)
    # Close any tags left open.
    open_tags: list[str] = []
    for closing, name in re.findall(r"<(/?)([a-z]+)[^>]*>", cut):
        if closing and open_tags and open_tags[-1] == name:
            open_tags.pop()
        elif not closing:
            open_tags.append(name)
    return cut + "…" + "".join(f"</{t}>" for t in reversed(open_tags))


def first_words(text: str, limit: int) -> str:
    """The start of ``text`` on one line, at most ``limit`` characters, cut at a word with '…'."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    return text[: limit - 1].rsplit(" ", 1)[0] + "…"


def to_plain(text: str) -> str:
    """Telegram HTML as plain terminal text."""
    return html.unescape(_TAG.sub("", text))
