"""Recognising a claim seen circulating (``knowledge/claims.yaml``) in what someone typed or forwarded.

Each claim's sentence and phrasings (how people pass it on, in every language) are read as the matcher
reads a message, into terms (stems and synonym groups). A message matches a phrasing when it holds at least
:data:`CLAIM_COVER` of that phrasing's weight in terms (rarer terms weigh more, as in the lexical scorer),
that weight is at least :data:`CLAIM_SHARE` of the message's own, and the phrasing has at least two terms;
the best-covered claim wins.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from bot.knowledge import KnowledgeBase
from bot.matching.analysis import Analysis, Analyzer

CLAIM_COVER = 0.75  # share of a phrasing's term weight a message must hold to match it
CLAIM_SHARE = 0.35  # ... and share of the message's own term weight the phrasing must explain (a long story
# that happens to mention "raids" and "release" is not the "no more raids" claim)
MIN_CLAIM_TERMS = 2


@dataclass(frozen=True)
class _Phrasing:
    claim: str
    terms: frozenset[str]
    weight: float


class ClaimFinder:
    """Finds the circulating claim a message repeats, if any (see the module)."""

    def __init__(self, kb: KnowledgeBase, analyzer: Analyzer, weight: Callable[[str], float]) -> None:
        self._weight = weight
        self._phrasings: list[_Phrasing] = []
        for claim in kb.claims:
            for text in claim.texts.values():
                for phrasing in (text.claim, *text.phrasings):  # the claim as it circulates, and its variants
                    terms = frozenset(analyzer.analyze(phrasing).terms)
                    if len(terms) >= MIN_CLAIM_TERMS:
                        self._phrasings.append(_Phrasing(claim.id, terms, sum(weight(t) for t in terms)))
        # term -> the phrasings that hold it (in order): a message is checked only against phrasings it
        # shares at least MIN_CLAIM_TERMS terms with, which no other phrasing can match.
        self._holding: dict[str, list[int]] = {}
        for i, held in enumerate(self._phrasings):
            for t in held.terms:
                self._holding.setdefault(t, []).append(i)

    def find(self, analysis: Analysis) -> str | None:
        """The id of the claim ``analysis`` (a message's) repeats best, or None."""
        terms = set(analysis.terms)
        total = sum(self._weight(t) for t in terms)
        best: tuple[float, str] | None = None
        hits: dict[int, int] = {}
        for t in terms:
            for i in self._holding.get(t, ()):
                hits[i] = hits.get(i, 0) + 1
        for i in sorted(i for i, n in hits.items() if n >= MIN_CLAIM_TERMS):
            phrasing = self._phrasings[i]
            shared = terms & phrasing.terms
            if len(shared) < MIN_CLAIM_TERMS:
                continue
            weight = sum(self._weight(t) for t in shared)
            cover = weight / phrasing.weight
            if cover >= CLAIM_COVER and weight >= CLAIM_SHARE * total and (best is None or cover > best[0]):
                best = (cover, phrasing.claim)
        return best[1] if best else None
