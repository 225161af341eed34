"""Which language a short text is written in, learned from the knowledge base's own text.

A naive-Bayes word model per language, built once from every entry's titles, questions and answers plus
the lexicon's stop words (which weigh more: they are what tells languages apart in short texts).
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass

from bot import textnorm
from bot.knowledge import KnowledgeBase

STOPWORD_WEIGHT = 25
EVERYDAY_WEIGHT = 2
MARK_BONUS = 1.5  # per Spanish-only character (ñ, á, ¿ ...), at most two counted
MAX_WORD_EVIDENCE = 4.0
EVIDENCE_CACHE_WORDS = 50_000  # words whose evidence is remembered (a few MB at most)
CONFIDENT_MARGIN = 1.2  # log-likelihood lead for a clear language ("green card" alone is not: both languages say it)


@dataclass(frozen=True)
class LanguageGuess:
    """A text's language and whether the guess is clear."""

    lang: str
    confident: bool  # False when the text gave little or no evidence either way
    margin: float


class LanguageDetector:
    """Naive Bayes over words (stop words weigh more), trained on the knowledge base."""

    def __init__(self, kb: KnowledgeBase) -> None:
        self.languages = kb.languages
        self.default = kb.default_language
        counts: dict[str, Counter[str]] = {lang: Counter() for lang in kb.languages}
        for entry in kb.entries.values():
            for lang, text in entry.texts.items():
                if lang in counts:
                    for chunk in (text.title, text.answer, *text.questions):
                        counts[lang].update(textnorm.words(chunk))
        for lang, words in kb.lexicon.stopwords.items():
            if lang in counts:
                for word in words:
                    counts[lang][word] += STOPWORD_WEIGHT
        for lang, words in kb.lexicon.everyday.items():
            if lang in counts:
                for word in words:
                    counts[lang][word] += EVERYDAY_WEIGHT
        for lang, words in kb.lexicon.language_hints.items():
            if lang in counts:
                for word in words:
                    counts[lang][word] += STOPWORD_WEIGHT
        vocabulary = set().union(*counts.values())
        size = len(vocabulary) + 1
        self._log: dict[str, dict[str, float]] = {}
        self._word_evidence: dict[str, tuple[float, ...]] = {}
        self._unseen: dict[str, float] = {}
        for lang, c in counts.items():
            total = sum(c.values()) + size
            self._log[lang] = {w: math.log((n + 1) / total) for w, n in c.items()}
            self._unseen[lang] = math.log(1 / total)

    def scores(self, words: list[str], raw_text: str = "") -> dict[str, float]:
        """Log-likelihood per language for a text's words."""
        totals = [0.0] * len(self.languages)
        for word in words:
            for i, evidence in enumerate(self._evidence(word)):
                totals[i] += evidence
        scores = dict(zip(self.languages, totals, strict=True))
        if "es" in scores and raw_text:
            scores["es"] += MARK_BONUS * min(textnorm.spanish_marks(raw_text), 2)
        return scores

    def _evidence(self, word: str) -> tuple[float, ...]:
        """What one word adds to each language's score (in :attr:`languages` order): its log-likelihood
        there less the best language's, at least -MAX_WORD_EVIDENCE. Remembered per word."""
        found = self._word_evidence.get(word)
        if found is None:
            logs = [self._log[lang].get(word, self._unseen[lang]) for lang in self.languages]
            best = max(logs)
            found = tuple(max(value - best, -MAX_WORD_EVIDENCE) for value in logs)
            textnorm.remember(self._word_evidence, word, found, EVIDENCE_CACHE_WORDS)
        return found

    def detect(self, words: list[str], raw_text: str = "") -> LanguageGuess:
        """Guess from already-normalised words (see Analyzer.words) and the raw text."""
        if len(self.languages) == 1:
            return LanguageGuess(self.languages[0], True, 0.0)
        scores = self.scores(words, raw_text)
        ranked = sorted(scores.items(), key=lambda kv: kv[1], reverse=True)
        margin = ranked[0][1] - ranked[1][1]
        if margin < 1e-9:
            return LanguageGuess(self.default, False, 0.0)
        return LanguageGuess(ranked[0][0], margin >= CONFIDENT_MARGIN, margin)
