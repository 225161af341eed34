"""The decision, made once per message and carried to every reply: answer, "did you mean", fallback,
emergency, language or small talk (:data:`ROUTES`).

:func:`decide` reads the routing words first (a cry for help, agents here now, a language request, small
talk: :mod:`.routing`), then the matcher's result; :class:`Decision` carries the route, the reply
language, the entry to show and the options a "did you mean" offers. Screens render a Decision; nothing
after this module works the route out again.

The matcher's confidence (:func:`confidence`) is a tiny fitted logistic model over the signals below.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from bot.matching.routing import route

if TYPE_CHECKING:
    from bot.matching.matcher import Alternative, Matcher, MatchResult

ROUTES = ("answer", "did_you_mean", "fallback", "emergency", "language", "smalltalk")


@dataclass(frozen=True)
class Decision:
    """What to do with a message: ``route`` (one of :data:`ROUTES`), the reply language, the match
    (None for a language request or an empty message), ``entry_id`` (the entry shown: an answer, small
    talk, or an emergency screen's entry; None for the emergency menu), ``options`` (what a "did you
    mean" offers, best first) and ``unsupported_id`` (a fallback that can say why: the 'unsupported' entry
    that matched)."""

    route: str
    lang: str
    match: MatchResult | None = None
    entry_id: str | None = None
    options: tuple[Alternative, ...] = ()
    unsupported_id: str | None = None

    def as_json(self, query: str) -> dict[str, Any]:
        """``kyr-bot match --json``'s record: ``query``, ``lang``, ``id`` (the entry shown), ``score``,
        ``alternatives``, ``unsupported`` and ``route``."""
        if self.match is None:
            record: dict[str, Any] = {"query": query, "lang": self.lang, "id": None, "score": 0.0, "alternatives": []}
        else:
            record = self.match.as_json()
        record["id"] = self.entry_id
        record["unsupported"] = self.match.unsupported_id if self.match else None
        record["route"] = self.route
        return record


def decide(matcher: Matcher, text: str, usual: str | None = None) -> Decision:
    """The decision for a cleaned, non-empty message. ``usual`` is the reader's language (a saved choice,
    the app's language), used when the text's own language is unclear."""
    kb = matcher.kb
    routed = route(text, kb.routing)
    if routed is not None and routed.kind == "language" and routed.lang:
        return Decision("language", routed.lang)
    result = matcher.match(text, lang_hint=usual)
    lang = result.reply_language(usual or kb.default_language)
    if routed is not None and routed.kind == "emergency":
        return Decision("emergency", lang, result, result.entry_id if result.entry_id in kb.emergency else None)
    entry = kb.entry(result.entry_id) if result.entry_id else None
    if routed is not None and routed.kind == "smalltalk":
        # Only small-talk words ("por favor responda"): small talk, whatever a weak match says.
        chosen = entry.id if entry is not None and entry.kind == "smalltalk" else kb.routing.smalltalk_entry
        return Decision("smalltalk", lang, result, chosen)
    if entry is not None:
        return Decision("smalltalk" if entry.kind == "smalltalk" else "answer", lang, result, entry.id)
    if result.alternatives and not result.unsupported_id:
        return Decision("did_you_mean", lang, result, options=result.alternatives)
    return Decision("fallback", lang, result, unsupported_id=result.unsupported_id)


# ---------------------------------------------------------------------------- the matcher's confidence
# A tiny logistic model over some of the signals below says how likely answering the ranker's top entry
# is right. Fitted on the tuning sets only (tests/data/dev_questions.yaml, tests/data/holdout_questions.yaml,
# benchmarks/data/real_voices.yaml) by `python benchmarks/tune_decision.py`, which prints these numbers.
# The margin to the runner-up and the share of unknown words were measured too and left out: the model
# made no fewer errors on held-out sets with them (`python benchmarks/tune_decision.py --ablation`).
SIGNALS = ("ranker_prob", "ranker_margin", "lexical_score", "unknown_share", "unsupported_prob")
DECISION_FEATURES = ("ranker_prob", "lexical_score", "unsupported_prob")
DECISION_WEIGHTS = (2.902, 2.130, -6.339)
DECISION_BIAS = -0.241


@dataclass(frozen=True)
class Signals:
    """What the decision may weigh, for the ranker's top entry (all 0-1).

    ``ranker_prob``: the ranker's probability; ``ranker_margin``: its lead over the runner-up;
    ``lexical_score``: the lexical scorer's score for the same entry / 100; ``unknown_share``: share of
    query terms the knowledge base never uses; ``unsupported_prob``: the ranker's total probability for
    'unsupported' entries.
    """

    ranker_prob: float
    ranker_margin: float
    lexical_score: float
    unknown_share: float
    unsupported_prob: float

    def vector(self, names: tuple[str, ...] = DECISION_FEATURES) -> tuple[float, ...]:
        """The signals called ``names``, in that order (default: those the decision uses)."""
        return tuple(getattr(self, name) for name in names)


def confidence(signals: Signals) -> float:
    """How likely (0-1) answering with the ranker's top entry is right, by the fitted decision model."""
    z = DECISION_BIAS + sum(w * x for w, x in zip(DECISION_WEIGHTS, signals.vector(), strict=True))
    return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))
