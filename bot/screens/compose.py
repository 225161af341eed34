"""Writing answers as a phone shows them: the thing to do first, one screen where it can be, in Telegram's
HTML subset.

An answer reads, top to bottom: its title; for a crisis entry (one with an officer statement) the English
statement to show the officer and what it means, so it is on the first screen; the gist (what to do first,
in bold); the details; one line of sources, each its short name linking to the original publisher; one line
with the date the entry was last compared with its sources and how to reach help (one visible address, so
a copy pasted into another app still says where to go); "information, not legal advice". Everything a
forwarded copy needs to stand alone is in the text itself. Notes meant for reviewers (a source's full
title, the copy it was read through) are never shown.

Lengths are counted as a phone shows them (:func:`visible_length`): tags removed and entities unescaped,
sources, date, contact line and the note included. :func:`length_problems` holds every entry to
:data:`MAX_VISIBLE` (:data:`MAX_VISIBLE_WITH_STATEMENT` with the officer statement) for ``kyr-bot check``.
"""

from __future__ import annotations

import datetime as dt
import html
import re
import statistics

from bot.core.callbacks import deep_link
from bot.core.limits import MESSAGE_TEXT_CHARS
from bot.i18n import format_day, translator
from bot.knowledge import Entry, KnowledgeBase
from bot.knowledge.checks import STALE_AFTER_DAYS
from bot.yamlfile import Problem

MAX_VISIBLE = 1200  # characters a phone shows for an answer without the officer statement (about two screens)
MAX_VISIBLE_WITH_STATEMENT = 1800  # ... and for a crisis answer, which carries the statement too
MEDIAN_VISIBLE = 950  # the median answer without the statement, at most
STATEMENT_WITHIN = 600  # a crisis reply shows the English statement within this many characters
_TAG = re.compile(r"<[^>]+>")
_LINK = re.compile(r'<a href="([^"]*)">(.*?)</a>')
_PLACEHOLDER = re.compile(r"\{(\w+)\}")


def esc(text: str) -> str:
    """Escape text for Telegram HTML."""
    return html.escape(text, quote=False)


def link(url: str, label: str) -> str:
    """``label`` linking to ``url``, in Telegram HTML (the address is not shown, the label is)."""
    return f'<a href="{html.escape(url, quote=True)}">{esc(label)}</a>'


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


def stale_contacts(kb: KnowledgeBase, text: str, today: dt.date | None = None) -> list[str]:
    """The contact values ``text`` names (as ``{placeholders}``) that no source confirmed within the last
    12 months."""
    today = today or dt.date.today()
    confirmed = kb.contacts.confirmed
    out = []
    for name in _PLACEHOLDER.findall(text):
        record = confirmed.get(name)
        if record is not None and (today - record.date).days > STALE_AFTER_DAYS:
            out.append(name)
    return out


def contact_line(kb: KnowledgeBase, lang: str, today: dt.date | None = None) -> str:
    """How to reach help, one short line of HTML (contacts.yaml's ``footer``). A contact confirmed within
    the last 12 months of ``today`` is shown plainly; when one is older, the line says once, briefly, where
    to check it (contacts.yaml's ``stale_note``)."""
    footer = kb.contacts.footer.get(lang, "").strip()
    line = fill(kb, footer, lang)
    note = kb.contacts.stale_note.get(lang, "").strip()
    if note and stale_contacts(kb, footer, today):
        line = f"{line} ({fill(kb, note, lang)})"
    return esc(line)


def contact_block(kb: KnowledgeBase, lang: str) -> str:
    """The contact line in ``lang``, as HTML (kept for the fallback and other screens)."""
    return contact_line(kb, lang)


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


def sources_line(entry: Entry, lang: str) -> str:
    """The sources as one line of named links (HTML), in the reader's language; empty without sources."""
    if not entry.sources:
        return ""
    _ = translator(lang).gettext
    label = _("Sources:")
    return esc(label) + " " + " · ".join(link(s.url, s.name(lang)) for s in entry.sources)


def dated_help_line(kb: KnowledgeBase, entry: Entry, lang: str) -> str:
    """When the entry was last compared with its sources, a legal review if one is on record, and how to
    reach help: HTML lines."""
    _ = translator(lang).gettext
    lines = [esc(_("Reviewed: {date}").format(date=format_day(entry.reviewed, lang)))]
    if entry.legal_review is not None:
        review = entry.legal_review
        lines.append(esc(_("Legal review: {by}, {date}").format(by=review.by, date=format_day(review.date, lang))))
    lines.append(contact_line(kb, lang))
    return "\n".join(lines)


def _head(kb: KnowledgeBase, entry: Entry, lang: str) -> list[str]:
    """Title, the officer statement (crisis entries), the gist: what the first screen must hold."""
    text = entry.text(lang)
    parts = [f"<b>{esc(text.title)}</b>"]
    if entry.officer_statement:
        statement = officer_block(kb, entry, lang)
        if statement:
            parts.append(statement)
    if text.gist:
        parts.append(f"<b>{esc(fill(kb, text.gist, lang))}</b>")
    return parts


def _tail(kb: KnowledgeBase, entry: Entry, lang: str) -> list[str]:
    """Sources, date and help, and the note: what makes an answer stand alone."""
    parts = [line for line in (sources_line(entry, lang), dated_help_line(kb, entry, lang)) if line]
    parts.append(f"<i>{esc(disclaimer(lang))}</i>")
    return parts


def render_entry(kb: KnowledgeBase, entry: Entry, lang: str) -> str:
    """The full, self-contained answer for an entry, as Telegram HTML (at most 4096 characters; see the
    module for the order). Small talk is its text alone."""
    body = esc(fill(kb, entry.text(lang).answer, lang))
    if entry.kind == "smalltalk":
        return body
    return fit("\n\n".join([*_head(kb, entry, lang), body, *_tail(kb, entry, lang)]))


def render_first_screen(kb: KnowledgeBase, entry: Entry, lang: str, bot_username: str | None) -> str:
    """The answer's first screen, for inline results: everything but the details, and a link that opens
    the full answer in the bot (when its username is known). It stands alone when sent into a chat."""
    _ = translator(lang).gettext
    parts = _head(kb, entry, lang)
    if bot_username:
        parts.append(link(deep_link(bot_username, entry.id, lang), "➡️ " + _("The full answer, in the bot")))
    return fit("\n\n".join([*parts, *_tail(kb, entry, lang)]))


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
    """Telegram HTML as a phone shows it (and the terminal prints it): tags removed, entities unescaped."""
    return html.unescape(_TAG.sub("", text))


def to_terminal(text: str) -> str:
    """Telegram HTML as a terminal prints it: as a phone shows it, but a link's address follows its name in
    brackets, since nobody can tap a name in a terminal."""
    return to_plain(_LINK.sub(lambda m: f"{m.group(2)} ({html.unescape(m.group(1))})", text))


def visible_length(text: str) -> int:
    """Characters a phone shows for Telegram HTML ``text``, as Python counts them."""
    return len(to_plain(text))


def length_problems(kb: KnowledgeBase) -> tuple[list[Problem], list[Problem]]:
    """(problems, warnings) about how long answers render: an entry over :data:`MAX_VISIBLE` visible
    characters (:data:`MAX_VISIBLE_WITH_STATEMENT` with the officer statement) in any language is a problem
    at its answer's line; a median over :data:`MEDIAN_VISIBLE` is a warning."""
    problems: list[Problem] = []
    plain: list[int] = []
    for entry in kb.entries.values():
        if entry.kind != "answer":
            continue
        limit = MAX_VISIBLE_WITH_STATEMENT if entry.officer_statement else MAX_VISIBLE
        for lang in kb.languages:
            shown = visible_length(render_entry(kb, entry, lang))
            if not entry.officer_statement:
                plain.append(shown)
            if shown > limit and entry.path is not None:
                problems.append(
                    Problem(
                        entry.path,
                        entry.lines.get(f"{lang}.answer", 1),
                        f"{lang}: the answer shows {shown} characters on a phone; keep it to {limit} "
                        "(shorten the gist, the answer or the source names)",
                    )
                )
    warnings: list[Problem] = []
    if plain and statistics.median(plain) > MEDIAN_VISIBLE:
        where = kb.directory / "entries"
        median = statistics.median(plain)
        warnings.append(Problem(where, 1, f"the median answer shows {median:.0f} characters; aim for {MEDIAN_VISIBLE}"))
    return problems, warnings
