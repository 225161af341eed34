"""Matcher benchmark: what people meet on every labelled set, first the wrong answers stated.

    python -m benchmarks.matcher [questions.yaml ...]   (default: every labelled set, see SETS)
    python -m benchmarks.matcher --misses [questions.yaml ...]   (the tuning sets' wrong answers and misses)

Three matchers on each set, scored the same way (:mod:`benchmarks.scoring`): the bot's whole decision
(routing words, learned ranker, lexical signals, calibrated confidence, "did you mean"), the lexical scorer
alone (the matcher before the learned ranker) and a naive baseline: rapidfuzz ``process.extractOne`` with
default settings over every question phrasing, answering whatever comes out on top (its score cut-off is
chosen in the same run to give it its fewest errors on the same questions: wrong answers plus in-scope
questions left unanswered, so the comparison is fair to it). The blind sets' questions are never printed:
only their counts.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from rapidfuzz import process

from benchmarks.scoring import (
    Score,
    decide_all,
    empty,
    load_items,
    plain_outcomes,
    right_ids,
    score,
)
from bot.knowledge import KnowledgeBase, load_knowledge
from bot.matching.matcher import Matcher
from testkit.paths import ROOT

CACHE = ROOT / ".cache" / "ranker"  # fitted rankers, reused while the knowledge base is unchanged

SETS = [  # (path, what it is)
    (ROOT / "tests" / "data" / "dev_questions.yaml", "tuned on"),
    (ROOT / "tests" / "data" / "holdout_questions.yaml", "tuned on"),
    (ROOT / "benchmarks" / "data" / "real_voices.yaml", "tuned on"),
    (ROOT / "benchmarks" / "data" / "real_voices_2.yaml", "tuned on"),
    (ROOT / "benchmarks" / "data" / "blind_questions.yaml", "unseen"),
    (ROOT / "benchmarks" / "data" / "real_voices_blind.yaml", "unseen"),
    (ROOT / "benchmarks" / "data" / "fresh_blind.yaml", "unseen"),
    (ROOT / "benchmarks" / "data" / "fresh_blind_2.yaml", "unseen"),
    (ROOT / "benchmarks" / "data" / "real_voices_2_blind.yaml", "unseen"),
    (ROOT / "benchmarks" / "data" / "kinds_blind.yaml", "unseen"),
]


def default_sets() -> list[Path]:
    return [path for path, _ in SETS if path.exists()]


def role(path: Path) -> str:
    """'tuned on' or 'unseen' (an unlisted set counts as unseen: its questions are never printed)."""
    return next((r for p, r in SETS if p.resolve() == path.resolve()), "unseen")


def naive(kb: KnowledgeBase, items: list[dict]) -> Score:
    """rapidfuzz extractOne over every phrasing, with the cut-off that gives it its fewest errors (wrong
    answers stated plus in-scope questions not answered rightly)."""
    choices, owners = [], []
    for entry in kb.entries.values():
        for text in entry.texts.values():
            for q in text.questions:
                choices.append(q)
                owners.append(entry.id if entry.answerable else None)
    found = {}
    took = []
    for item in items:
        start = time.perf_counter()
        best = process.extractOne(item["q"], choices)
        took.append(time.perf_counter() - start)
        found[item["q"]] = (owners[best[2]], best[1]) if best else (None, 0)
    best_score: Score | None = None
    for cut in range(0, 101, 5):

        def predict(q: str, cut: int = cut) -> str | None:
            eid, value = found[q]
            return eid if value >= cut else None

        candidate = score(items, plain_outcomes(predict, items))
        errors = candidate.wrong_stated + candidate.in_scope - candidate.right
        if best_score is None or errors < best_score.wrong_stated + best_score.in_scope - best_score.right:
            best_score = candidate
    assert best_score is not None
    best_score.seconds = took  # the look-up's time, not the cached one
    return best_score


HEADER = (
    f"{'':34} {'wrong stated':>14} {'top-1':>7} {'ans/offered':>11} {'fallback':>9} {'no answer':>9} "
    f"{'dym':>5} {'language':>9} {'p50 ms':>7} {'p99 ms':>7}"
)


def row(name: str, s: Score) -> str:
    wrong = f"{s.wrong_share:.1%} ({s.wrong_stated})"
    language = f"{s.language:.1%}" if s.language is not None else "-"
    return (
        f"  {name:32} {wrong:>14} {s.top1:>7.1%} {s.answered_or_offered:>11.1%} {s.fallback_share:>9.1%} "
        f"{s.no_answer_share:>9.1%} {s.did_you_mean:>5} {language:>9} {s.percentile_ms(50):>7.2f} "
        f"{s.percentile_ms(99):>7.2f}"
    )


def main(argv: list[str]) -> int:
    paths = [Path(a) for a in argv] or default_sets()
    kb = load_knowledge()
    matcher = Matcher(kb, cache_dir=CACHE)
    lexical = Matcher(kb, learned=False)
    assert matcher.ranker is not None
    print(f"{len(kb.entries)} entries, {len(kb.examples)} training examples (ranker {matcher.ranker.digest}).")
    print(
        "wrong stated: an entry shown as the answer that is not a right one, share of all questions; top-1 and "
        "ans/offered: in scope; fallback (strict) and no answer: out of scope; dym: 'did you mean' replies."
    )
    totals: dict[str, dict[str, Score]] = {}
    for path in paths:
        every = load_items(path)
        items = [it for it in every if not it.get("route")]
        unknown = sorted({e for it in items for e in right_ids(it) if e not in kb.entries})
        ours = score(every, decide_all(matcher, every))
        alone = score(
            items, plain_outcomes(lambda q: lexical.match(q).entry_id, items, lambda q: lexical.match(q).lang)
        )
        base = naive(kb, items)
        n_in = sum(1 for it in items if right_ids(it))
        print(f"\n{path.name} ({role(path)}): {len(items)} questions, {n_in} in scope, {len(items) - n_in} out")
        print(HEADER)
        print(row("the bot (whole decision)", ours))
        print(row("lexical scorer alone (before)", alone))
        print(row("naive extractOne", base))
        if ours.routed:
            print(f"  routed before matching: {ours.routed_right} of {ours.routed} took the labelled route")
        if unknown:
            print(f"  labelled with entries the knowledge base does not have: {', '.join(unknown)}")
        bucket = totals.setdefault(role(path), {"bot": empty(), "lexical": empty(), "naive": empty()})
        bucket["bot"] = bucket["bot"].add(ours)
        bucket["lexical"] = bucket["lexical"].add(alone)
        bucket["naive"] = bucket["naive"].add(base)
    for name, bucket in totals.items():
        print(f"\nall {name} sets ({bucket['bot'].questions} questions):")
        print(HEADER)
        for who, label in (("bot", "the bot (whole decision)"), ("lexical", "lexical alone"), ("naive", "naive")):
            print(row(label, bucket[who]))
    return 0


def misses(paths: list[Path]) -> None:
    """Print the wrong answers stated and the in-scope questions neither answered nor offered (for content
    editors). Defaults to the tuning sets; for any other set only the counts by kind are printed."""
    matcher = Matcher(load_knowledge(), cache_dir=CACHE)
    for path in paths:
        items = load_items(path)
        result = score(items, decide_all(matcher, items))
        blind = role(path) != "tuned on"
        kinds: dict[str, int] = {}
        for label, found in (("WRONG", result.wrong), ("missed", result.missed)):
            for item, got in found:
                kinds[item.get("kind", "?")] = kinds.get(item.get("kind", "?"), 0) + 1
                if not blind:
                    want = "/".join(right_ids(item)) or "-"
                    offered = ",".join(got.options)
                    print(f"{label:6} want {want:30} got {got.route}:{got.shown} [{offered}] {item['q'][:160]}")
        print(f"{path.name}: wrong {len(result.wrong)}, missed {len(result.missed)}; by kind {kinds}")


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if not a.startswith("-")]
    if "--misses" in sys.argv:
        misses([Path(a) for a in args] or [p for p, r in SETS if r == "tuned on"])
    else:
        raise SystemExit(main(args))
