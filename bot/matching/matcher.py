"""Finding the knowledge-base entry that answers what a person typed.

Two signals and a nearness check, one calibrated decision. The learned ranker (:mod:`.ranker`:
TF-IDF over character n-grams and words, logistic regression over entries, trained on the knowledge
base's phrasings and its training examples of how people really ask) ranks the entries; the lexical
scorer (:mod:`.lexical`: how much of an entry's phrasings the query's terms cover) and the nearest
training texts of the top entry and its runners-up (:mod:`.neighbours`) tell how far to trust it. The
calibration fitted with the ranker (:mod:`.confidence`, :mod:`.training`) turns what they say about the
top entry into the chance that it is right: the match's score (0-100). From :data:`ANSWER_AT` the bot
answers; from :data:`SUGGEST_AT` it asks "did you mean…?" with up to three entries; below, it falls
back. When the top entry is an 'unsupported' one (green cards, taxes…), the bot falls back and says why.
A long story that asks last also has its ask read on its own (:mod:`.ask`). :func:`.decision.decide`
turns a match into the route every reply follows.
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bot.core.limits import INLINE_RESULTS
from bot.knowledge import KnowledgeBase
from bot.matching import confidence
from bot.matching.analysis import Analysis, Analyzer
from bot.matching.ask import ask_of
from bot.matching.claims import ClaimFinder
from bot.matching.confidence import Calibration
from bot.matching.language import LanguageDetector
from bot.matching.lexical import LexicalScorer
from bot.matching.ranker import Ranker, TextPair, load_ranker
from bot.matching.training import Reader, fit_calibrated

# Both cut-offs: benchmarks/tune_bands.py on the tuning sets (fewest wrong answers stated first; README "When
# the bot answers"). 95/25 replaced 80/40 in December 2026: over eight fits, half the wrong answers.
ANSWER_AT = 95.0  # answer directly from this score (the calibrated chance that the top entry is right, in %)
SUGGEST_AT = 25.0  # below ANSWER_AT but at least this: "did you mean ...?"
# A "did you mean" whose first option has at least this chance says that one is likely (the answer band
# until December 2026: on the unseen sets about nine in ten such first options are right).
LIKELY_AT = 80.0
UNSUPPORTED_AT = 0.25  # the ranker's probability from which an 'unsupported' top entry is named
ALTERNATIVE_RATIO = 0.25  # alternatives need at least this share of the top entry's ranker probability
MAX_ALTERNATIVES = 3
MAX_RANKING = INLINE_RESULTS  # inline mode shows at most this many results
NEAREST_RIVALS = 2  # the nearest-text signal compares the top entry with this many runners-up (tuning sets)
ASK_SHARE = 0.5  # a long story's ask, read on its own, has this share of the ranker's say (measured: tuning sets)
RANKING_MIN_PROB = 0.02  # inline mode lists entries the ranker gives at least this probability
LEXICAL_ANSWER_AT = 33.0  # the lexical scorer alone (learned=False): answer from this score
LEXICAL_SUGGEST_AT = 22.0  # ... and "did you mean" from this one
LEXICAL_ALTERNATIVE_RATIO = 0.6


@dataclass(frozen=True)
class Alternative:
    """An entry worth offering, with its score (0-100, on the same scale as the match's score)."""

    id: str
    score: float


@dataclass(frozen=True)
class MatchResult:
    """What the matcher makes of one query.

    ``entry_id`` is set when the bot should answer; ``None`` means fall back (offering
    ``alternatives`` as "did you mean" when there are any). ``unsupported_id`` names an
    'unsupported' entry the query matched: a question the bot knows it cannot answer.
    """

    query: str
    lang: str
    lang_confident: bool
    entry_id: str | None
    score: float
    alternatives: tuple[Alternative, ...]
    unsupported_id: str | None = None
    ranking: tuple[Alternative, ...] = ()  # answerable entries worth showing, best first (inline mode)
    claim_id: str | None = None  # a claim seen circulating (claims.yaml) that the query repeats

    def reply_language(self, usual: str) -> str:
        """A question clearly written in one language is answered in it; otherwise in ``usual``."""
        return self.lang if self.lang_confident else usual

    def as_json(self) -> dict:
        """The result as JSON-ready data (``kyr-bot match --json``)."""
        return {
            "query": self.query,
            "lang": self.lang,
            "id": self.entry_id,
            "score": round(self.score, 1),
            "alternatives": [{"id": a.id, "score": round(a.score, 1)} for a in self.alternatives],
            "unsupported": self.unsupported_id,
        }


@dataclass(frozen=True)
class Reading:
    """What the matcher reads in a query: the ranker's probabilities (one per ranker class), the lexical
    scores (0-100, by lexical entry index), the signals the decision weighs, and the ranker's classes from
    the likeliest down (``order``: ``np.argsort(-probs)``, worked out once per message)."""

    probs: np.ndarray
    lexical: dict[int, float]
    signals: confidence.Signals
    order: np.ndarray


class Matcher:
    """Matches queries against a knowledge base.

    ``cache_dir``: where a fitted ranker may be cached (see :func:`.ranker.load_ranker`); ``ranker``: an
    already fitted one; ``learned=False`` uses the lexical scorer alone (the matcher before the ranker,
    kept for the benchmark).
    """

    def __init__(
        self, kb: KnowledgeBase, cache_dir: Path | None = None, ranker: Ranker | None = None, learned: bool = True
    ) -> None:
        self.kb = kb
        self.analyzer = Analyzer(kb)
        self.languages = LanguageDetector(kb)
        self.lexical = LexicalScorer(kb, self.analyzer)
        self.entry_ids = self.lexical.entry_ids
        self.claims = ClaimFinder(kb, self.analyzer, self.lexical.weight)
        self.learned = learned
        # Address words as typed and as typo repair leaves them ("maam" becomes "mama").
        address = kb.routing.address_words
        self._address_words = address | {w for a in address for w in self.analyzer.analyze(a).words}
        self.ranker: Ranker | None = None
        self.calibration: Calibration | None = None
        if learned:
            self._use(ranker or load_ranker(kb, cache_dir, self.fit))

    def _use(self, ranker: Ranker) -> None:
        """Score with ``ranker`` (and its calibration)."""
        kb = self.kb
        self.ranker = ranker
        self.learned = True
        index = {eid: i for i, eid in enumerate(self.entry_ids)}
        self._class_entry = np.array([index[c] for c in ranker.classes])
        self._answerable = np.array([kb.entries[c].answerable for c in ranker.classes])
        self._smalltalk = np.array([kb.entries[c].kind == "smalltalk" for c in ranker.classes])
        # The same as Python lists, for the per-class loops of _learned_match.
        self._class_entry_list: list[int] = self._class_entry.tolist()
        self._answerable_list: list[bool] = self._answerable.tolist()
        self._smalltalk_list: list[bool] = self._smalltalk.tolist()
        self.calibration = Calibration.from_dict(ranker.calibration) if ranker.calibration else None

    def fit(self) -> Ranker:
        """Fit the ranker and its calibration for this knowledge base (:mod:`.training`; needs scikit-learn)."""
        return fit_calibrated(self.kb, self.prepare, self.reader_for)

    def reader_for(self, ranker: Ranker) -> Reader:
        """A reader of messages with ``ranker`` instead of this matcher's (the same analysis and lexical
        scorer): text -> (the top entry's signals, the top entry, whether it is answerable) or None."""
        other = copy.copy(self)
        other._use(ranker)

        def read(text: str) -> tuple[confidence.Signals, str, bool] | None:
            reading = other.read(text)
            if reading is None:
                return None
            top = int(reading.probs.argmax())
            return reading.signals, ranker.classes[top], bool(other._answerable[top])

        return read

    def prepare(self, text: str) -> TextPair:
        """The ranker's input for ``text``: repaired folded words, and content terms."""
        analysis = self.analyzer.analyze(text)
        return " ".join(analysis.words), " ".join(analysis.terms)

    # ------------------------------------------------------------------ matching
    def match(self, query: str, lang_hint: str | None = None) -> MatchResult:
        """The answer, "did you mean" or fallback for ``query``; ``lang_hint`` decides the language when
        the text gives no clear evidence (a saved choice, the app's language)."""
        analysis = self.analyzer.analyze(query)
        guess = self.languages.detect(list(analysis.words), query)
        lang, confident = guess.lang, guess.confident
        if not confident and lang_hint in self.kb.languages:
            lang = lang_hint
        if not self.learned:
            return self._lexical_match(query, lang, confident, analysis)
        if not analysis.terms:
            return MatchResult(query, lang, confident, None, 0.0, ())
        return self._learned_match(query, lang, confident, analysis, self.claims.find(analysis))

    def read(self, query: str, analysis: Analysis | None = None) -> Reading | None:
        """The ranker's probabilities, the lexical scores and the decision's signals for ``query`` (None
        when it has no terms at all); ``analysis`` is the query's, when the caller has it already. Used
        by :meth:`match` and the tuning script."""
        analysis = analysis or self.analyzer.analyze(query)
        if not analysis.terms:
            return None
        assert self.ranker is not None
        read = self.ranker.read((" ".join(analysis.words), " ".join(analysis.terms)))
        probs = read.probs
        ask = ask_of(query)
        if ask is not None and ASK_SHARE > 0:
            # A long story that asks last: the ask, read on its own, has its share of the say.
            asked = self.analyzer.analyze(ask)
            if any(t in self.lexical.topic_terms for t in asked.terms):
                ask_probs = self.ranker.probabilities((" ".join(asked.words), " ".join(asked.terms)))
                probs = (1 - ASK_SHARE) * probs + ASK_SHARE * ask_probs
        bare = self._without_address_words(analysis)
        if bare is not analysis and not self._smalltalk[int(probs.argmax())]:
            # "gracias hermano": if the words besides "hermano" are small talk, so is the message.
            bare_probs = self.ranker.probabilities((" ".join(bare.words), " ".join(bare.terms)))
            if self._smalltalk[int(bare_probs.argmax())]:
                probs, analysis = bare_probs, bare
        if self._smalltalk[int(probs.argmax())] and any(t in self.lexical.topic_terms for t in bare.terms):
            # "Hola, Dios los bendiga… ¿qué es un detainer?": greetings never decide when there is a topic.
            probs = np.where(self._smalltalk, 0.0, probs)
            probs /= probs.sum()
        lexical = self.lexical.scores(analysis)
        top = int(probs.argmax())
        order = np.argsort(-probs)
        runner_up = float(probs[order[1]]) if len(probs) > 1 else 0.0  # the second-highest probability
        top_entry = int(self._class_entry[top])
        lexical_best = max(lexical, key=lexical.__getitem__) if lexical else None
        rival = lexical[lexical_best] / 100 if lexical_best is not None and lexical_best != top_entry else 0.0
        # The message as typed, against the nearest training text of the top entry and of its runners-up.
        rivals = [int(i) for i in order[: NEAREST_RIVALS + 1] if i != top][:NEAREST_RIVALS]
        near = self.ranker.nearest(read, [top, *rivals])
        near_rival = max(near[1:], default=0.0)
        signals = confidence.Signals(
            ranker_prob=float(probs[top]),
            ranker_margin=float(probs[top]) - runner_up,
            lexical_score=lexical.get(top_entry, 0.0) / 100,
            lexical_agrees=1.0 if lexical_best == top_entry else 0.0,
            lexical_rival=rival,
            unknown_share=self.lexical.unknown_share(analysis),
            unsupported_prob=float(probs[~self._answerable].sum()),
            length=math.log1p(len(analysis.terms)),
            coverage=read.coverage,
            nearest_top=near[0],
            nearest_rival=near_rival,
            nearest_agrees=1.0 if near[0] > near_rival else 0.0,
        )
        return Reading(probs, lexical, signals, order)

    def _without_address_words(self, analysis: Analysis) -> Analysis:
        """``analysis`` without the words people address the bot with (routing.yaml's ``address_words``:
        "hermano", "brother") when the rest has words but no topic word; else ``analysis`` itself. So
        "gracias hermano" is thanks, while "detuvieron a mi hermano" and "hola, ¿y mi hermano?" keep
        their "hermano" (after a possessive such as "mi", it names a person asked about)."""
        words = analysis.words
        rest = [
            w
            for i, w in enumerate(words)
            if w not in self._address_words or (i > 0 and words[i - 1] in self.kb.routing.possessive_words)
        ]
        if not rest or len(rest) == len(words):
            return analysis
        bare = self.analyzer.analyze(" ".join(rest))
        if not bare.terms or any(t in self.lexical.topic_terms for t in bare.terms):
            return analysis
        return bare

    def _learned_match(
        self, query: str, lang: str, confident: bool, analysis: Analysis, claim_id: str | None = None
    ) -> MatchResult:
        reading = self.read(query, analysis)
        if reading is None:
            return MatchResult(query, lang, confident, None, 0.0, (), claim_id=claim_id)
        assert self.ranker is not None
        classes = self.ranker.classes
        probs = reading.probs.tolist()  # Python floats: the same values, without numpy's cost per item
        answerable, smalltalk, entry_of = self._answerable_list, self._smalltalk_list, self._class_entry_list
        order = reading.order.tolist()
        top, best_p = order[0], probs[order[0]]
        if not answerable[top]:
            unsupported = classes[top] if best_p >= UNSUPPORTED_AT else None
            return MatchResult(
                query, lang, confident, None, 100 * best_p, (), unsupported_id=unsupported, claim_id=claim_id
            )
        score = 100 * self.chance(reading.signals)
        others = [i for i in order[1:] if answerable[i]]
        ranking = tuple(
            Alternative(classes[i], score * probs[i] / best_p) for i in (top, *others) if probs[i] >= RANKING_MIN_PROB
        )[:MAX_RANKING]
        # Alternatives: entries the ranker also finds likely, or that the lexical scorer rates close to the top.
        lexical = reading.lexical
        floor = max(LEXICAL_SUGGEST_AT, LEXICAL_ALTERNATIVE_RATIO * lexical.get(entry_of[top], 0.0))
        candidates = tuple(
            Alternative(classes[i], score * probs[i] / best_p)
            for i in others
            if probs[i] >= ALTERNATIVE_RATIO * best_p or lexical.get(entry_of[i], 0.0) >= floor
        )[:MAX_ALTERNATIVES]
        if score >= ANSWER_AT or (smalltalk[top] and score >= SUGGEST_AT):
            # Small talk ("gracias", "hola") is answered from the lower band: "did you mean: Thank you?" makes
            # no sense, and a greeting stated by mistake tells nobody anything wrong.
            entry_id = classes[top]
            return MatchResult(query, lang, confident, entry_id, score, candidates, ranking=ranking, claim_id=claim_id)
        if score >= SUGGEST_AT:
            # Three buttons at most: the ranker's likeliest answers, in its order.
            options = tuple(
                Alternative(classes[i], score * probs[i] / best_p)
                for i in (top, *others)
                if not smalltalk[i]  # "did you mean: Hello?" helps nobody
            )[:MAX_ALTERNATIVES]
            return MatchResult(query, lang, confident, None, score, options, ranking=ranking, claim_id=claim_id)
        return MatchResult(query, lang, confident, None, score, (), ranking=ranking, claim_id=claim_id)

    def chance(self, signals: confidence.Signals) -> float:
        """The calibrated chance (0-1) that the top entry is right (a model without a calibration: the
        ranker's own probability)."""
        return self.calibration.chance(signals) if self.calibration is not None else signals.ranker_prob

    # ------------------------------------------------------------------ the lexical scorer alone
    def _lexical_match(self, query: str, lang: str, confident: bool, analysis: Analysis) -> MatchResult:
        ranked = sorted(self.lexical.scores(analysis).items(), key=lambda kv: kv[1], reverse=True)
        answerable = self.lexical.answerable
        ranking = tuple(
            Alternative(self.entry_ids[i], s)
            for i, s in ranked[:MAX_RANKING]
            if answerable[i] and s >= LEXICAL_SUGGEST_AT
        )
        if not ranked:
            return MatchResult(query, lang, confident, None, 0.0, ())
        best_idx, best = ranked[0]
        best_id = self.entry_ids[best_idx]
        if not answerable[best_idx]:
            return MatchResult(query, lang, confident, None, best, (), unsupported_id=best_id, ranking=ranking)
        candidates = tuple(
            Alternative(self.entry_ids[i], s)
            for i, s in ranked[1:]
            if answerable[i] and s >= LEXICAL_SUGGEST_AT and s >= LEXICAL_ALTERNATIVE_RATIO * best
        )[:MAX_ALTERNATIVES]
        if best >= LEXICAL_ANSWER_AT:
            return MatchResult(query, lang, confident, best_id, best, candidates, ranking=ranking)
        if best >= LEXICAL_SUGGEST_AT:
            alternatives = (Alternative(best_id, best), *candidates)
            return MatchResult(query, lang, confident, None, best, alternatives, ranking=ranking)
        return MatchResult(query, lang, confident, None, best, (), ranking=ranking)
