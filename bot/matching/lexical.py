"""The lexical scorer: how well a query's terms cover an entry's phrasings (0-100 per entry).

Each entry is indexed by the content terms of its question phrasings and titles (both languages, so
Spanglish works) and, more weakly, of its answer. A query scores against an entry by how much of one
phrasing it covers and how much of the query the entry explains, with rarer terms weighing more.
Words the knowledge base has never seen count against a match. This was the whole matcher before the
learned ranker (:mod:`.ranker`); it is now one of the signals the matcher's decision weighs.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass

import numpy as np

from bot.knowledge import KnowledgeBase
from bot.matching.analysis import Analysis, Analyzer

ANSWER_WEIGHT = 0.5  # a term found only in an entry's answer counts this much
UNKNOWN_WEIGHT = 0.7  # a word the knowledge base never uses, relative to the rarest known term
PHRASE_SHARE = 0.5  # share of the score from the best single phrasing (the rest: whole-entry coverage)
COVERAGE_CAP = 5.0  # query weight (in typical terms) beyond which further words barely dilute a match
BEYOND_CAP = 0.2  # how much query weight past the cap still dilutes a match
MIN_STRENGTH = 0.6  # a term used by just one phrasing of an entry still counts this much for it
FULL_STRENGTH_SHARE = 0.25  # a term used by this share of an entry's phrasings counts fully


@dataclass(frozen=True)
class _Phrasing:
    entry: int
    terms: frozenset[str]
    weight: float


class LexicalScorer:
    """Scores entries by the terms a query shares with their phrasings (see the module docstring)."""

    def __init__(self, kb: KnowledgeBase, analyzer: Analyzer) -> None:
        self.analyzer = analyzer
        self.entry_ids: list[str] = list(kb.entries)
        self.answerable = [kb.entries[i].answerable for i in self.entry_ids]
        self.smalltalk = [kb.entries[i].kind == "smalltalk" for i in self.entry_ids]
        n = len(self.entry_ids)
        phrasing_terms: list[tuple[int, frozenset[str]]] = []
        term_counts: list[dict[str, int]] = [defaultdict(int) for _ in range(n)]
        phrasing_counts = [0] * n
        answer_terms: list[set[str]] = [set() for _ in range(n)]
        for idx, eid in enumerate(self.entry_ids):
            for text in kb.entries[eid].texts.values():
                for chunk in (text.title, *text.questions):
                    terms = frozenset(self.analyzer.index_terms(chunk))
                    if terms:
                        phrasing_terms.append((idx, terms))
                        phrasing_counts[idx] += 1
                        for t in terms:
                            term_counts[idx][t] += 1
                answer_terms[idx] |= set(self.analyzer.index_terms(text.answer))
        df: dict[str, int] = defaultdict(int)
        for counts in term_counts:
            for t in counts:
                df[t] += 1
        adf: dict[str, int] = defaultdict(int)
        for idx, answer_set in enumerate(answer_terms):
            for t in answer_set - set(term_counts[idx]):
                adf[t] += 1
        self.idf = {t: math.log(1 + n / d) for t, d in df.items()}
        self.answer_idf = {t: ANSWER_WEIGHT * math.log(1 + n / d) for t, d in adf.items() if t not in self.idf}
        self.unknown_weight = UNKNOWN_WEIGHT * math.log(1 + n)
        self.coverage_cap = COVERAGE_CAP * math.log(1 + n / 2)
        unique = dict.fromkeys(phrasing_terms)  # phrasings that reduce to the same terms count once
        self.phrasings = [_Phrasing(e, t, sum(self.idf[x] for x in t)) for e, t in unique]
        self.postings: dict[str, list[int]] = defaultdict(list)
        for pid, phr in enumerate(self.phrasings):
            for t in phr.terms:
                self.postings[t].append(pid)
        # "Hola, ¿qué es un detainer?": greeting words only count when nothing else in the message does.
        small = {t for p in self.phrasings if self.smalltalk[p.entry] for t in p.terms}
        topic = {t for p in self.phrasings if not self.smalltalk[p.entry] for t in p.terms}
        self.topic_terms = frozenset(topic - small)  # words that only questions use
        self.smalltalk_terms = frozenset(small - topic)  # words that only greetings and thanks use
        # Arrays for scores(): each phrasing's entry and 1/weight, each term's phrasings (ascending ids).
        self._phrase_entry = np.array([p.entry for p in self.phrasings], dtype=np.intp)
        self._phrase_inverse = np.array([1.0 / p.weight if p.weight else 0.0 for p in self.phrasings])
        self._postings = {t: np.array(pids, dtype=np.intp) for t, pids in self.postings.items()}
        # Phrasings come entry by entry: where each entry that has any begins (np.maximum.reduceat).
        self._phrased = np.unique(self._phrase_entry)
        self._phrase_starts = np.searchsorted(self._phrase_entry, self._phrased)
        # How strongly each term belongs to each entry: the share of its phrasings that use it, so that
        # "abogado" belongs to find-lawyer (most phrasings) far more than to about-bot (one phrasing).
        self.strength: dict[str, dict[int, float]] = defaultdict(dict)
        for idx, counts in enumerate(term_counts):
            for t, c in counts.items():
                share = c / max(1, phrasing_counts[idx])
                self.strength[t][idx] = MIN_STRENGTH + (1 - MIN_STRENGTH) * min(1.0, share / FULL_STRENGTH_SHARE)
            for t in answer_terms[idx] - counts.keys():
                self.strength[t][idx] = ANSWER_WEIGHT * MIN_STRENGTH

    # ------------------------------------------------------------------ scoring
    def unknown_share(self, analysis: Analysis) -> float:
        """The share (0-1) of the query's terms the knowledge base never uses."""
        terms = analysis.terms
        return sum(1 for t in terms if t not in self.idf and t not in self.answer_idf) / max(1, len(terms))

    def weight(self, term: str) -> float:
        """How much a term weighs: its idf, less for answer-only terms, ``unknown_weight`` if unseen."""
        if term in self.idf:
            return self.idf[term]
        if term in self.answer_idf:
            return self.answer_idf[term]
        return self.unknown_weight

    def scores(self, analysis: Analysis) -> dict[int, float]:
        """Score (0-100) of every entry that shares at least one term with the query, by entry index, in
        the order the query's terms first reach each entry."""
        terms = analysis.terms
        about_topic = any(t in self.topic_terms for t in terms)
        if about_topic:
            terms = tuple(t for t in terms if t not in self.smalltalk_terms)
        if not terms:
            return {}
        weights = [self.weight(t) for t in terms]
        total = sum(weights)
        # Long messages tell a story around the question: past a few terms' worth of weight, further
        # words (known to the knowledge base or not) dilute a match only a little.
        scale = min(total, self.coverage_cap) + BEYOND_CAP * max(0.0, total - self.coverage_cap)
        # Per entry, the weight of the query's terms it holds, by how strongly (a few entries per term).
        covered: dict[int, float] = {}
        for t, w in zip(terms, weights, strict=True):
            for idx, strength in self.strength.get(t, {}).items():
                covered[idx] = covered.get(idx, 0.0) + w * strength
        if not covered:
            return {}
        # Per phrasing, the weight of the query's terms it holds (a common term is in hundreds of phrasings:
        # arrays, summed term by term in the query's order as np.bincount adds in input order), then each
        # entry's best share of one phrasing's weight.
        posted = [(self._postings[t], w) for t, w in zip(terms, weights, strict=True) if t in self._postings]
        best_phrase = [0.0] * len(self.entry_ids)
        if posted:
            pids = np.concatenate([p for p, _ in posted])
            shared = np.repeat(np.array([w for _, w in posted]), [len(p) for p, _ in posted])
            overlap = np.bincount(pids, weights=shared, minlength=len(self.phrasings))
            best = np.zeros(len(self.entry_ids))
            best[self._phrased] = np.maximum.reduceat(overlap * self._phrase_inverse, self._phrase_starts)
            best_phrase = best.tolist()
        out: dict[int, float] = {}
        for idx, mass in covered.items():
            if about_topic and self.smalltalk[idx]:
                continue
            coverage = min(1.0, mass / scale)
            out[idx] = 100 * (PHRASE_SHARE * best_phrase[idx] * coverage + (1 - PHRASE_SHARE) * coverage)
        return out
