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

from bot import textnorm
from bot.knowledge import KnowledgeBase

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
        self._terms: dict[str, str] = {}  # word -> term (term() remembers them; words repeat across messages)
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
        # Vocabulary for typo repair: correctly spelled text only (titles, answers, the lexicon, everyday
        # words). Question phrasings deliberately contain typos ("imigration") so that sloppy questions
        # still match: a word seen only in phrasings is a real word only when no close correct word exists.
        counts: Counter[str] = Counter()
        phrasing_counts: Counter[str] = Counter()
        for entry in kb.entries.values():
            for text in entry.texts.values():
                for chunk in (text.title, text.answer):
                    counts.update(self._expand(chunk))
                    counts.update(self._pre(chunk))
                for chunk in text.questions:
                    phrasing_counts.update(self._expand(chunk))
                    phrasing_counts.update(self._pre(chunk))
        for group in lex.synonyms:
            for raw in group:
                counts.update(self._pre(raw))
        for value in self.phrases.values():
            counts.update(value.split())
        counts.update(self.stopwords)
        counts.update(w for v in self.abbreviations.values() for w in textnorm.words(v))
        # Everyday words are spelled right even when the knowledge base never uses them: never repair them.
        self.everyday = frozenset().union(*lex.everyday.values()) if lex.everyday else frozenset()
        self._index_vocabulary(counts)
        self.misspellings: dict[str, str] = {}  # phrasing-only word -> the correct word it is a typo of
        for word, n in phrasing_counts.items():
            if word in counts or word in self.everyday:
                continue
            fixed = self._misspelling_of(word)
            if fixed:
                self.misspellings[word] = fixed
            else:
                counts[word] += n
        self._index_vocabulary(counts)
        self._repairs: dict[str, str] = {}

    def _index_vocabulary(self, counts: Counter[str]) -> None:
        """(Re)build the repair look-ups from ``counts`` (correctly spelled words and their frequency)."""
        self.frequency = counts
        self.vocabulary = [w for w in counts if len(w) > 1]
        self.by_length: dict[int, list[str]] = {}
        for w in self.vocabulary:
            self.by_length.setdefault(len(w), []).append(w)
        self.known = frozenset(counts) | self.everyday
        self.known_stems = frozenset(textnorm.stem(w) for w in counts)
        by_skeleton: dict[str, str] = {}
        by_sound: dict[str, str] = {}
        for word, _ in counts.most_common():
            by_skeleton.setdefault(textnorm.skeleton(word), word)
            if len(word) >= 4:
                by_sound.setdefault(textnorm.phonetic(word), word)
        self.by_skeleton = by_skeleton
        self.by_sound = by_sound
        self._pools: dict[tuple[int, int], list[str]] = {}

    def _pool(self, length: int, edits: int) -> list[str]:
        """Vocabulary words within ``edits`` of ``length`` letters (built once per pair)."""
        key = (length, edits)
        pool = self._pools.get(key)
        if pool is None:
            pool = [w for n in range(length - edits, length + edits + 1) for w in self.by_length.get(n, ())]
            self._pools[key] = pool
        return pool

    def _misspelling_of(self, word: str) -> str | None:
        """The correct word a phrasing-only word is a deliberate typo of, or None for a real word.

        Stricter than query repair, because phrasings are full of real words the answers never use
        ("bail", "track", "chalecos"): only doubled letters (``arested``), sound-alike Spanish spelling
        (``bienen``), a swapped pair (``derechso``) or one letter missing or extra inside the word
        (``lawer``, ``silient``) make a typo; a changed ending is an inflection, not a typo.
        """
        if len(word) <= 3 or any(c.isdigit() for c in word):
            return None
        found = self.by_skeleton.get(textnorm.skeleton(word))
        if found:
            return found
        if textnorm.stem(word) in self.known_stems:
            return None
        found = self.by_sound.get(textnorm.phonetic(word))
        if found:
            return found
        if len(word) < 5:
            return None
        pool = [w for n in (len(word) - 1, len(word), len(word) + 1) for w in self.by_length.get(n, ())]
        for cand, _, _ in sorted(
            process.extract(word, pool, scorer=OSA.distance, score_cutoff=1, limit=12),
            key=lambda c: -self.frequency[c[0]],
        ):
            if len(cand) == len(word):
                if sorted(cand) == sorted(word):  # a swapped pair
                    return cand
            elif cand[0] == word[0] and cand[-1] == word[-1]:  # a letter missing or extra inside
                return cand
        return None

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
        textnorm.remember(self._repairs, word, fixed, _CACHE_LIMIT)
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
        pool = self._pool(len(word), edits)
        candidates = process.extract(word, pool, scorer=OSA.distance, score_cutoff=edits, limit=12)
        if not candidates:
            return word
        # Fewest edits first; among equals prefer a word sharing the first letter, then the commoner word.
        best = min(candidates, key=lambda c: (c[1], c[0][0] != word[0], -self.frequency[c[0]]))
        return best[0]

    def term(self, word: str) -> str:
        """The synonym-group term of one folded, repaired word (remembered per word)."""
        found = self._terms.get(word)
        if found is None:
            if word in self.word_concepts:
                found = self.word_concepts[word]
            else:
                key = textnorm.stem(word)
                found = self.concepts.get(key, key)
            textnorm.remember(self._terms, word, found, _CACHE_LIMIT)
        return found

    # ---------------------------------------------------------------- public
    def words(self, text: str) -> list[str]:
        """Folded words with shorthand expanded and typos repaired, phrases not joined: what tells
        languages apart ("orden judicial" stays Spanish even though it means "warrant")."""
        return [self.repair(w) for w in self._expand(text)]

    def analyze(self, text: str) -> Analysis:
        """Words and content terms of a text (an :class:`Analysis`)."""
        words = self.words(text)
        # Repair can complete a phrase ("la mirga" -> "la migra"), so phrases are joined afterwards.
        joined = self._phrase(" ".join(words)).split()
        return Analysis(tuple(words), tuple(self.content_terms(joined)))

    def content_terms(self, words: Iterable[str]) -> list[str]:
        """The terms of ``words`` that carry a topic (stop words dropped)."""
        seen: dict[str, None] = {}
        for word in words:
            if word in self.stopwords or (len(word) == 1 and not word.isdigit()):
                continue
            seen.setdefault(self.term(word), None)
        return list(seen)

    def index_terms(self, text: str) -> list[str]:
        """Terms of knowledge-base text: no fuzzy repair, but the phrasings' deliberate misspellings are
        mapped to the word they stand for (as a query's typo would be)."""
        fix = self.misspellings
        words = [fix.get(w, w) for w in self._expand(text)]
        return self.content_terms(self._phrase(" ".join(words)).split())
