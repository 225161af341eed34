"""Replies about alerts: how old a forwarded message's original is, and what is known about a claim seen
circulating (``knowledge/claims.yaml``).

A forwarded message's age is the one fact Telegram gives about it: when it was first sent. It is told in
plain words in the reader's language and the users' time zone (settings.yaml ``time_zone``), and says
nothing about whether the message is true. A claim's reply gives its verdict (never firmer than its
sources), what is known, when the sources checked it, the sources, and how to reach help.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from zoneinfo import ZoneInfo

from babel.dates import format_skeleton

from bot.core import callbacks as cb
from bot.core.replies import Button, Reply
from bot.i18n import format_as_of, translator
from bot.knowledge import KnowledgeBase
from bot.knowledge.model import Claim
from bot.screens.compose import contact_line, disclaimer, esc, fill, fit, link
from bot.screens.keyboards import Keyboards

HOUR = 3600  # seconds


def _day(day: dt.date, lang: str, with_year: bool) -> str:
    """'November 27' / '27 de noviembre' (with the year when it is not this year's)."""
    try:
        return format_skeleton("yMMMMd" if with_year else "MMMMd", day, locale=lang)
    except (ValueError, LookupError):
        return day.isoformat()


def forward_age(sent_at: float, now: float, lang: str, time_zone: str) -> str:
    """One sentence (plain text) saying when a forwarded message was first sent on Telegram: minutes or
    hours ago when it was today, else yesterday or so many days ago, with the date, in ``time_zone``.
    ``sent_at`` and ``now`` are Unix seconds; a time ahead of ``now`` (a wrong clock) counts as now."""
    ngettext = translator(lang).ngettext
    _ = translator(lang).gettext
    zone = ZoneInfo(time_zone)
    sent = dt.datetime.fromtimestamp(min(sent_at, now), zone)
    today = dt.datetime.fromtimestamp(now, zone).date()
    days = (today - sent.date()).days
    seconds = max(0.0, now - sent_at)
    if days == 0:
        if seconds < HOUR:
            minutes = max(1, int(seconds // 60))
            ago = ngettext("today, {n} minute ago", "today, {n} minutes ago", minutes).format(n=minutes)
        else:
            hours = int(seconds // HOUR)
            ago = ngettext("today, {n} hour ago", "today, {n} hours ago", hours).format(n=hours)
        return _("This message was first sent on Telegram {when}.").format(when=ago)
    date = _day(sent.date(), lang, with_year=sent.year != today.year)
    if days == 1:
        when = _("yesterday, {date}").format(date=date)
    else:
        when = ngettext("{n} day ago, on {date}", "{n} days ago, on {date}", days).format(n=days, date=date)
    return _("This message was first sent on Telegram {when}.").format(when=when)


def with_forward_age(reply: Reply, sent_at: float | None, now: float, time_zone: str) -> Reply:
    """``reply`` with the forwarded message's age first, in italics (nothing when the age is unknown)."""
    if sent_at is None or not reply.text:
        return reply
    age = forward_age(sent_at, now, reply.lang, time_zone)
    return replace(reply, text=f"<i>{esc(age)}</i>\n\n{reply.text}")


def with_alert_check(kb: KnowledgeBase, reply: Reply) -> Reply:
    """An answer to an alert-shaped message (one that says to pass it on) with, first, the three checks
    in one line and a button to the entry on checking alerts (routing.yaml's ``alert_entry``)."""
    guide = kb.entry(kb.routing.alert_entry or "")
    if guide is None or not reply.text:
        return reply
    lang = reply.lang
    _ = translator(lang).gettext
    line = "<i>" + esc(_("Before you forward an alert: who saw it, where exactly, and when?")) + "</i>"
    button = Button("→ " + guide.text(lang).label, data=cb.encode(cb.ANSWER, guide.id, lang))
    return replace(reply, text=f"{line}\n\n{reply.text}", buttons=((button,), *reply.buttons))


def _verdict(verdict: str, lang: str) -> str:
    _ = translator(lang).gettext
    names = {
        "false": _("False"),
        "unverified": _("Nobody has confirmed it"),
        "context": _("True in part"),
    }
    return names.get(verdict, verdict)


def claim_reply(kb: KnowledgeBase, keys: Keyboards, claim: Claim, lang: str) -> Reply:
    """What is known about ``claim``, in ``lang``: the claim, the verdict and what is known, when the
    sources checked it, the sources as named links, how to reach help and the disclaimer; buttons to the
    entry on checking alerts, the topics and Emergency."""
    _ = translator(lang).gettext
    text = claim.texts[lang]
    checked = (
        format_as_of(claim.checked, claim.checked_precision, lang)
        if claim.checked_precision != "day"
        else _day(claim.checked, lang, with_year=True)
    )
    heading = _("A message going around says:")
    known = _("Is it true? {verdict}.").format(verdict=_verdict(claim.verdict, lang))
    parts = [
        f"<b>{esc(heading)}</b> “{esc(text.claim)}”",
        f"<b>{esc(known)}</b> {esc(fill(kb, text.known, lang))}",
        esc(_("Checked: {date}").format(date=checked))
        + "\n"
        + esc(_("Sources:"))
        + " "
        + " · ".join(link(s.url, s.name(lang)) for s in claim.sources),
        esc(_("Before you forward an alert: who saw it, where exactly, and when?")),
        contact_line(kb, lang),
        f"<i>{esc(disclaimer(lang))}</i>",
    ]
    rows: list[tuple[Button, ...]] = []
    guide = kb.entry(kb.routing.alert_entry or "")
    if guide is not None:
        rows.append((Button("→ " + guide.text(lang).label, data=cb.encode(cb.ANSWER, guide.id, lang)),))
    rows.append(keys.menu_row(lang)[0])
    return Reply(fit("\n\n".join(parts)), lang, tuple(rows))
