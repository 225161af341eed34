"""The lexical scorer's array arithmetic gives exactly the scores its definition does (the loop it replaced,
written out here), in the same order, so ties between entries are broken the same way."""

from __future__ import annotations

from collections import defaultdict

from bot.matching.analysis import Analysis
from bot.matching.lexical import BEYOND_CAP, PHRASE_SHARE, LexicalScorer
from bot.matching.matcher import Matcher

EXTRA = [
    "hola, ¿qué es un detainer?",
    "gracias",
    "my tio is in the jail con un hold de ICE and la migra came to the house yesterday what now",
    "zzzz qqq xylophone",
    "abogado abogado abogado",
]


def by_definition(scorer: LexicalScorer, analysis: Analysis) -> dict[int, float]:
    """The scores as the module docstring defines them, one term and one phrasing at a time."""
    terms = analysis.terms
    about_topic = any(t in scorer.topic_terms for t in terms)
    if about_topic:
        terms = tuple(t for t in terms if t not in scorer.smalltalk_terms)
    weights = {t: scorer.weight(t) for t in terms}
    total = sum(weights.values())
    scale = min(total, scorer.coverage_cap) + BEYOND_CAP * max(0.0, total - scorer.coverage_cap)
    overlap: dict[int, float] = {}
    for t, w in weights.items():
        for pid in scorer.postings.get(t, ()):
            overlap[pid] = overlap.get(pid, 0.0) + w
    best: dict[int, float] = {}
    for pid, shared in overlap.items():
        phrasing = scorer.phrasings[pid]
        cover = shared * (1.0 / phrasing.weight if phrasing.weight else 0.0)
        best[phrasing.entry] = max(best.get(phrasing.entry, 0.0), cover)
    covered: dict[int, float] = defaultdict(float)
    for t, w in weights.items():
        for idx, strength in scorer.strength.get(t, {}).items():
            covered[idx] += w * strength
    out = {}
    for idx, mass in covered.items():
        if about_topic and scorer.smalltalk[idx]:
            continue
        coverage = min(1.0, mass / scale)
        out[idx] = 100 * (PHRASE_SHARE * best.get(idx, 0.0) * coverage + (1 - PHRASE_SHARE) * coverage)
    return out


def test_scores_are_exactly_the_definitions(matcher: Matcher) -> None:
    kb = matcher.kb
    texts = [q for e in kb.entries.values() for t in e.texts.values() for q in (t.title, *t.questions)]
    texts += [x.text for x in kb.examples] + EXTRA
    for text in texts:
        analysis = matcher.analyzer.analyze(text)
        assert list(matcher.lexical.scores(analysis).items()) == list(by_definition(matcher.lexical, analysis).items())


def test_numbers_in_a_message_are_never_kept_in_the_per_word_caches(matcher: Matcher):
    """The matcher remembers words it has read (to read them faster next time), never a phone number,
    an A-number or a case number: a word with a digit is read and forgotten, like the message."""
    from bot.matching import routing
    from bot.matching.decision import decide

    decide(matcher, "mi numero es 3075550199 y mi A-number es A123456789, caso IOE0912345678, que hago")
    decide(matcher, "call me at 307-555-0199 my a# is 212-345-678 they took my husband")
    caches = {
        "terms": matcher.analyzer._terms,
        "typo repairs": matcher.analyzer._repairs,
        "language evidence": matcher.languages._word_evidence,
        "n-grams": matcher.ranker._grams if matcher.ranker is not None else {},
    }
    for name, cache in caches.items():
        assert cache, f"the {name} cache is in use"
        assert not [w for w in cache if any(c.isdigit() for c in w)], f"a number was kept in the {name} cache"
    words = matcher.kb.routing
    for number in ("3075550199", "a123456789", "ioe0912345678"):
        assert routing._help_word(number, words) == number
    before = routing._slip_of.cache_info().currsize
    routing._help_word("a987654321", words)
    assert routing._slip_of.cache_info().currsize == before  # a number never enters the routing cache
