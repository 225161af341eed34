"""Matcher accuracy on the labelled question sets in tests/data.

Each item is ``{q, id, lang, kind}``: ``id`` is the entry that should answer (null: out of scope, the
bot must fall back) and ``lang`` the language the reply must be in.
"""

from __future__ import annotations

import pytest
import yaml

from bot.matching.matcher import Matcher
from testkit.paths import TEST_DATA

DATA = TEST_DATA

# The dev set is what the matcher is tuned on: these are the acceptance targets.
DEV_TOP1 = 0.95  # in-scope questions answered with the expected entry
DEV_FALLBACK = 0.90  # out-of-scope questions that fall back (no entry)
DEV_LANGUAGE = 0.98  # questions whose language is detected correctly

# The holdout set is never tuned on: it checks that the tuning generalises, so its floors are lower.
HOLDOUT_TOP1 = 0.80
HOLDOUT_FALLBACK = 0.85
HOLDOUT_LANGUAGE = 0.95


def load_set(name: str) -> list[dict]:
    items = yaml.safe_load((DATA / name).read_text(encoding="utf-8"))
    assert isinstance(items, list) and items
    return items


def evaluate(matcher: Matcher, items: list[dict]) -> dict:
    in_scope = [x for x in items if x["id"] is not None]
    out_scope = [x for x in items if x["id"] is None]
    misses, false_answers, wrong_lang = [], [], []
    for item in items:
        result = matcher.match(item["q"])
        if item["id"] is not None and result.entry_id != item["id"]:
            misses.append(f"{item['q']!r}: expected {item['id']}, got {result.entry_id} ({result.score:.0f})")
        if item["id"] is None and result.entry_id is not None:
            false_answers.append(f"{item['q']!r}: answered {result.entry_id} ({result.score:.0f})")
        if result.lang != item["lang"]:
            wrong_lang.append(f"{item['q']!r}: expected {item['lang']}, got {result.lang}")
    return {
        "top1": 1 - len(misses) / len(in_scope),
        "fallback": 1 - len(false_answers) / len(out_scope),
        "language": 1 - len(wrong_lang) / len(items),
        "counts": (len(in_scope), len(out_scope)),
        "misses": misses,
        "false_answers": false_answers,
        "wrong_lang": wrong_lang,
    }


def summary(name: str, r: dict) -> str:
    n_in, n_out = r["counts"]
    return (
        f"{name}: top-1 {r['top1']:.3f} ({n_in} in scope), fallback {r['fallback']:.3f} ({n_out} out of "
        f"scope), language {r['language']:.3f}"
    )


def report(name: str, r: dict) -> str:
    """The figures and every failing question, for the assertion message."""
    lines = [
        summary(name, r),
        *(f"  miss  {m}" for m in r["misses"]),
        *(f"  false {m}" for m in r["false_answers"]),
        *(f"  lang  {m}" for m in r["wrong_lang"]),
    ]
    return "\n".join(lines)


@pytest.mark.parametrize("name", ["dev_questions.yaml", "holdout_questions.yaml"])
def test_expected_ids_exist(kb, name):
    unknown = {x["id"] for x in load_set(name) if x["id"] is not None} - set(kb.entries)
    assert not unknown, f"{name} expects entries that do not exist: {sorted(unknown)}"
    assert {x["lang"] for x in load_set(name)} <= set(kb.languages)


@pytest.fixture(scope="module")
def dev(matcher):
    result = evaluate(matcher, load_set("dev_questions.yaml"))
    print("\n" + summary("dev", result))  # shown with pytest -s
    return result


@pytest.fixture(scope="module")
def holdout(matcher):
    result = evaluate(matcher, load_set("holdout_questions.yaml"))
    print("\n" + summary("holdout", result))
    return result


def test_dev_top1(dev):
    assert dev["top1"] >= DEV_TOP1, report("dev", dev)


def test_dev_fallback(dev):
    assert dev["fallback"] >= DEV_FALLBACK, report("dev", dev)


def test_dev_language(dev):
    assert dev["language"] >= DEV_LANGUAGE, report("dev", dev)


def test_holdout_top1(holdout):
    assert holdout["top1"] >= HOLDOUT_TOP1, report("holdout", holdout)


def test_holdout_fallback(holdout):
    assert holdout["fallback"] >= HOLDOUT_FALLBACK, report("holdout", holdout)


def test_holdout_language(holdout):
    assert holdout["language"] >= HOLDOUT_LANGUAGE, report("holdout", holdout)
