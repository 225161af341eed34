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
        self._unseen: dict[str, float] = {}
        for lang, c in counts.items():
            total = sum(c.values()) + size
            self._log[lang] = {w: math.log((n + 1) / total) for w, n in c.items()}
            self._unseen[lang] = math.log(1 / total)

    def scores(self, words: list[str], raw_text: str = "") -> dict[str, float]:
        """Log-likelihood per language for a text's words."""
        scores = {lang: 0.0 for lang in self.languages}
        for word in words:
            logs = {lang: self._log[lang].get(word, self._unseen[lang]) for lang in self.languages}
            best = max(logs.values())
            for lang in self.languages:
                scores[lang] += max(logs[lang] - best, -MAX_WORD_EVIDENCE)
        if "es" in scores and raw_text:
            scores["es"] += MARK_BONUS * min(textnorm.spanish_marks(raw_text), 2)
        return scores

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
