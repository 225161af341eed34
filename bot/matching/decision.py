"""The decision, made once per message and carried to every reply: answer, "did you mean", fallback,
emergency, language or small talk (:data:`ROUTES`).

:func:`decide` reads the routing words first (a cry for help, agents here now, a language request, small
talk: :mod:`.routing`), then the matcher's result; :class:`Decision` carries the route, the reply
language, the entry to show and the options a "did you mean" offers. Screens render a Decision; nothing
after this module works the route out again.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.matching.matcher import Alternative, Matcher, MatchResult
from bot.matching.routing import alert_kind, names_the_card, route, words_of

ROUTES = ("answer", "did_you_mean", "fallback", "emergency", "language", "smalltalk", "alert", "claim", "card")


@dataclass(frozen=True)
class Decision:
    """What to do with a message: ``route`` (one of :data:`ROUTES`), the reply language, the match
    (None for a language request or an empty message), ``entry_id`` (the entry shown: an answer, small
    talk, or an emergency screen's entry; None for the emergency menu), ``options`` (what a "did you
    mean" offers, best first), ``unsupported_id`` (a fallback that can say why: the 'unsupported' entry
    that matched) and ``claim_id`` (a claim seen circulating that the message repeats: its verdict is
    the reply). An alert-shaped message (route 'alert') gets the entry that says how to check an alert;
    one the matcher answers with another entry is ``alert_shaped`` (the reply says how to check it first)."""

    route: str
    lang: str
    match: MatchResult | None = None
    entry_id: str | None = None
    options: tuple[Alternative, ...] = ()
    unsupported_id: str | None = None
    claim_id: str | None = None  # the claim seen circulating that the message repeats (route 'claim')
    alert_shaped: bool = False  # an alert answered with another entry: a line on checking it comes first

    def as_json(self, query: str) -> dict[str, Any]:
        """``kyr-bot match --json``'s record: ``query``, ``lang``, ``id`` (the entry shown), ``score``,
        ``alternatives`` (exactly the options a "did you mean" reply shows; empty on every other route),
        ``unsupported`` and ``route``."""
        if self.match is None:
            record: dict[str, Any] = {"query": query, "lang": self.lang, "id": None, "score": 0.0, "alternatives": []}
        else:
            record = self.match.as_json()
        record["alternatives"] = [{"id": a.id, "score": round(a.score, 1)} for a in self.options]
        record["id"] = self.entry_id
        record["unsupported"] = self.match.unsupported_id if self.match else None
        record["route"] = self.route
        record["claim"] = self.claim_id
        return record


def decide(matcher: Matcher, text: str, usual: str | None = None) -> Decision:
    """The decision for a cleaned, non-empty message. ``usual`` is the reader's language (a saved choice,
    the app's language), used when the text's own language is unclear."""
    kb = matcher.kb
    found = words_of(text)  # the routing words' reading of the text, shared by the three checks below
    routed = route(text, kb.routing, found)
    if routed is not None and routed.kind == "language" and routed.lang:
        return Decision("language", routed.lang)
    result = matcher.match(text, lang_hint=usual)
    lang = result.reply_language(usual or kb.default_language)
    if routed is not None and routed.kind == "emergency":
        return Decision("emergency", lang, result, result.entry_id if result.entry_id in kb.emergency else None)
    if names_the_card(text, kb.routing, kb.affiliate.commands.get("card", {}).values(), typed=True, found=found):
        return Decision("card", lang, result)  # "tarjeta roja", "where can I get the red card": the picture
    if result.claim_id is not None:
        return Decision("claim", lang, result, claim_id=result.claim_id)
    kind = alert_kind(text, kb.routing, found) if kb.routing.alert_entry else None
    if kind is not None and result.entry_id in (None, kb.routing.alert_entry):
        # An alert-shaped message, unless the matcher is sure it asks something else: then that answer,
        # with a line on checking an alert first (measured: an alert's topic answered, e.g. what to do in
        # a raid at work, is a right answer more often than the guide alone).
        return Decision("alert", lang, result, kb.routing.alert_entry)
    entry = kb.entry(result.entry_id) if result.entry_id else None
    if routed is not None and routed.kind == "smalltalk":
        # Only small-talk words ("por favor responda"): small talk, whatever a weak match says.
        chosen = entry.id if entry is not None and entry.kind == "smalltalk" else kb.routing.smalltalk_entry
        return Decision("smalltalk", lang, result, chosen)
    if entry is not None:
        if entry.kind == "smalltalk":
            return Decision("smalltalk", lang, result, entry.id)
        return Decision("answer", lang, result, entry.id, alert_shaped=kind is not None)
    if result.alternatives and not result.unsupported_id:
        return Decision("did_you_mean", lang, result, options=result.alternatives)
    return Decision("fallback", lang, result, unsupported_id=result.unsupported_id)
