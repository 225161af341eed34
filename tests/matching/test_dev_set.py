"""The bot's answers on the labelled question sets in tests/data, through the whole decision (routing
words, matcher, confidence, "did you mean"), scored as benchmarks/matcher.py scores them.

Each item is ``{q, id, lang, kind}``: ``id`` is the entry that answers it, a list of entries that do, or
null (out of scope: the bot must not answer); ``lang`` the language the reply must be in.
"""

from __future__ import annotations

import pytest

from benchmarks.scoring import Score, decide_all, load_items, right_ids, score
from testkit.paths import TEST_DATA

# The dev set is what the matcher is tuned on: these are its acceptance targets. The calibrated matcher
# trades top-1 for "did you mean": a wrong answer stated is the worst outcome, an offer is not. Since the
# bot answers only from a 95% chance (benchmarks/tune_bands.py), the floors on wrong answers are tighter
# and those on top-1 lower than the top-1 targets (README "When the bot answers").
DEV_WRONG = 0.01  # questions answered with a wrong entry, as a share of all questions
DEV_OFFERED = 0.97  # in-scope questions answered rightly, or offered in a "did you mean"
DEV_TOP1 = 0.85  # in-scope questions answered with a right entry
DEV_FALLBACK = 0.93  # out-of-scope questions that get no answer
DEV_LANGUAGE = 0.98  # replies in the question's language

# The holdout set is tuned on less: its floors are lower.
HOLDOUT_WRONG = 0.015
HOLDOUT_OFFERED = 0.95
HOLDOUT_TOP1 = 0.72
HOLDOUT_FALLBACK = 0.90
HOLDOUT_LANGUAGE = 0.95


def report(name: str, s: Score) -> str:
    """The figures and every failing question, for the assertion message."""
    lines = [
        f"{name}: wrong {s.wrong_stated}/{s.questions}, top-1 {s.top1:.3f}, no answer out of scope "
        f"{s.no_answer_share:.3f}, language {s.language}",
        *(f"  WRONG want {'/'.join(right_ids(i)) or '-'} got {g.shown}: {i['q']!r}" for i, g in s.wrong),
        *(f"  missed want {'/'.join(right_ids(i))} got {g.route}: {i['q']!r}" for i, g in s.missed),
    ]
    return "\n".join(lines)


@pytest.mark.parametrize("name", ["dev_questions.yaml", "holdout_questions.yaml"])
def test_expected_ids_exist(kb, name):
    items = load_items(TEST_DATA / name)
    unknown = {e for x in items for e in right_ids(x)} - set(kb.entries)
    assert not unknown, f"{name} expects entries that do not exist: {sorted(unknown)}"
    assert {x["lang"] for x in items} <= set(kb.languages)


def scored(matcher, name: str) -> Score:
    items = [x for x in load_items(TEST_DATA / name) if not x.get("route")]
    return score(items, decide_all(matcher, items))


@pytest.fixture(scope="module")
def dev(matcher):
    return scored(matcher, "dev_questions.yaml")


@pytest.fixture(scope="module")
def holdout(matcher):
    return scored(matcher, "holdout_questions.yaml")


def test_dev(dev):
    assert dev.wrong_share <= DEV_WRONG, report("dev", dev)
    assert dev.answered_or_offered >= DEV_OFFERED, report("dev", dev)
    assert dev.top1 >= DEV_TOP1, report("dev", dev)
    assert dev.no_answer_share >= DEV_FALLBACK, report("dev", dev)
    assert (dev.language or 0) >= DEV_LANGUAGE, report("dev", dev)


def test_holdout(holdout):
    assert holdout.wrong_share <= HOLDOUT_WRONG, report("holdout", holdout)
    assert holdout.answered_or_offered >= HOLDOUT_OFFERED, report("holdout", holdout)
    assert holdout.top1 >= HOLDOUT_TOP1, report("holdout", holdout)
    assert holdout.no_answer_share >= HOLDOUT_FALLBACK, report("holdout", holdout)
    assert (holdout.language or 0) >= HOLDOUT_LANGUAGE, report("holdout", holdout)
