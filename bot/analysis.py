"""Turning what a person typed into matching terms: shorthand, phrases, typo repair, stems, synonyms.

Everything here is prepared once from the knowledge base and its lexicon, so a query costs little.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from rapidfuzz import process
from rapidfuzz.distance import OSA

from . import textnorm
from .knowledge import KnowledgeBase

MAX_WORDS_HEAD = 120
MAX_WORDS_TAIL = 240
_CACHE_LIMIT = 50_000


@dataclass(frozen=True)
class Analysis:
    """A query as the matcher sees it."""

    words: tuple[str, ...]  # folded words after shorthand and typo repair, phrases not joined
    terms: tuple[str, ...]  # content terms, in order, without repeats


def _allowed_edits(word: str) -> int:
    if len(word) <= 3:
        return 0
    if len(word) <= 7:
        return 1
    return 2


class Analyzer:
    """Knows the knowledge base's vocabulary and the lexicon; turns text into terms."""

    def __init__(self, kb: KnowledgeBase) -> None:
        lex = kb.lexicon
        self.abbreviations = dict(lex.abbreviations)
        self.stopwords: frozenset[str] = frozenset().union(*lex.stopwords.values()) if lex.stopwords else frozenset()
        phrases = {" ".join(textnorm.words(k)): " ".join(textnorm.words(v)) for k, v in lex.phrases.items()}
        phrases = {k: v for k, v in phrases.items() if k}
        self.phrases = phrases
        self._phrase_re = (
            re.compile(r"\b(?:" + "|".join(re.escape(p) for p in sorted(phrases, key=len, reverse=True)) + r")\b")
            if phrases
            else None
        )
        # Synonym groups: each member word, and its stem, maps to the group's head. A stem shared by
        # two groups ("call" from "callado" and from "call") is ambiguous and only whole words count.
        self.word_concepts: dict[str, str] = {}
        stem_heads: dict[str, set[str]] = {}
        for group in lex.synonyms:
            members = [self._phrase(" ".join(textnorm.words(raw))).replace(" ", "") for raw in group]
            members = [m for m in members if m]
            if not members:
                continue
            head = textnorm.stem(members[0])
            for member in members:
                self.word_concepts.setdefault(member, head)
                stem_heads.setdefault(textnorm.stem(member), set()).add(head)
        self.concepts = {key: next(iter(heads)) for key, heads in stem_heads.items() if len(heads) == 1}
        # Vocabulary for typo repair: every word the knowledge base and lexicon use, with its frequency.
        counts: Counter[str] = Counter()
        for entry in kb.entries.values():
            for text in entry.texts.values():
                for chunk in (text.title, text.answer, *text.questions):
                    counts.update(self._expand(chunk))
                    counts.update(self._pre(chunk))
        for group in lex.synonyms:
            for raw in group:
                counts.update(self._pre(raw))
        for value in self.phrases.values():
            counts.update(value.split())
        counts.update(self.stopwords)
        counts.update(w for v in self.abbreviations.values() for w in textnorm.words(v))
        self.frequency = counts
        self.vocabulary = [w for w in counts if len(w) > 1]
        self.by_length: dict[int, list[str]] = {}
        for w in self.vocabulary:
            self.by_length.setdefault(len(w), []).append(w)
        # Everyday words are spelled right even when the knowledge base never uses them: never repair them.
        everyday = frozenset().union(*lex.everyday.values()) if lex.everyday else frozenset()
        self.known = frozenset(counts) | everyday
        self.known_stems = frozenset(textnorm.stem(w) for w in counts)
        by_skeleton: dict[str, str] = {}
        by_sound: dict[str, str] = {}
        for word, _ in counts.most_common():
            by_skeleton.setdefault(textnorm.skeleton(word), word)
            if len(word) >= 4:
                by_sound.setdefault(textnorm.phonetic(word), word)
        self.by_skeleton = by_skeleton
        self.by_sound = by_sound
        self._repairs: dict[str, str] = {}

    # ---------------------------------------------------------------- pieces
    def _phrase(self, text: str) -> str:
        if self._phrase_re is None:
            return text
        return self._phrase_re.sub(lambda m: self.phrases[m.group(0)], text)

    def _expand(self, text: str) -> list[str]:
        """Folded words with shorthand expanded (no phrases joined, no typo repair)."""
        raw = textnorm.words(text)
        if len(raw) > MAX_WORDS_HEAD + MAX_WORDS_TAIL:
            raw = raw[:MAX_WORDS_HEAD] + raw[-MAX_WORDS_TAIL:]
        expanded: list[str] = []
        for word in raw:
            expanded.extend(self.abbreviations.get(word, word).split())
        return expanded

    def _pre(self, text: str) -> list[str]:
        """Folded words with shorthand expanded and phrases joined (no typo repair)."""
        return self._phrase(" ".join(self._expand(text))).split()

    def repair(self, word: str) -> str:
        """The knowledge-base word this is most likely a typo of, or the word itself."""
        if word in self.known or word.isdigit():
            return word
        cached = self._repairs.get(word)
        if cached is not None:
            return cached
        fixed = self._repair(word)
        if len(self._repairs) < _CACHE_LIMIT:
            self._repairs[word] = fixed
        return fixed

    def _repair(self, word: str) -> str:
        if len(word) <= 2:
            return word
        found = self.by_skeleton.get(textnorm.skeleton(word))
        if found:
            return found
        if textnorm.stem(word) in self.known_stems:
            return word
        if len(word) >= 4:
            found = self.by_sound.get(textnorm.phonetic(word))
            if found:
                return found
        edits = _allowed_edits(word)
        if not edits:
            return word
        pool = [w for n in range(len(word) - edits, len(word) + edits + 1) for w in self.by_length.get(n, ())]
        candidates = process.extract(word, pool, scorer=OSA.distance, score_cutoff=edits, limit=12)
        if not candidates:
            return word
        # Fewest edits first; among equals prefer a word sharing the first letter, then the commoner word.
        best = min(candidates, key=lambda c: (c[1], c[0][0] != word[0], -self.frequency[c[0]]))
        return best[0]

    def term(self, word: str) -> str:
        if word in self.word_concepts:
            return self.word_concepts[word]
        key = textnorm.stem(word)
        return self.concepts.get(key, key)

    # ---------------------------------------------------------------- public
    def words(self, text: str) -> list[str]:
        """Folded words with shorthand expanded and typos repaired, phrases not joined: what tells
        languages apart ("orden judicial" stays Spanish even though it means "warrant")."""
        return [self.repair(w) for w in self._expand(text)]

    def analyze(self, text: str) -> Analysis:
        words = self.words(text)
        # Repair can complete a phrase ("la mirga" -> "la migra"), so phrases are joined afterwards.
        joined = self._phrase(" ".join(words)).split()
        return Analysis(tuple(words), tuple(self.content_terms(joined)))

    def content_terms(self, words: Iterable[str]) -> list[str]:
        seen: dict[str, None] = {}
        for word in words:
            if word in self.stopwords or (len(word) == 1 and not word.isdigit()):
                continue
            seen.setdefault(self.term(word), None)
        return list(seen)

    def index_terms(self, text: str) -> list[str]:
        """Terms of knowledge-base text (trusted spelling: no typo repair)."""
        return self.content_terms(self._pre(text))
