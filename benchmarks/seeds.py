"""How much of a matching change is noise: the headline figures over several SAGA seeds.

    python -m benchmarks.seeds              # seeds 0 1 2 3 (a fit and a scoring, about 5 s of CPU, each)
    python -m benchmarks.seeds 0 1 2 3 4 5  # other seeds

SAGA visits the training texts in an order its seed draws (bot/matching/fitting.py ``SEED``; 0 ships), and
stops after a few passes, so the same content fitted with another seed states a few more or fewer wrong
answers. A change to matching or to the examples is worth keeping when it wins on the mean over seeds, not
on seed 0 alone. For each seed this fits the ranker and its calibration afresh (in a temporary folder: the
model cache is not touched), then scores every set of benchmarks/matcher.py ``SETS`` through the whole
decision (:mod:`benchmarks.scoring`), pooled by role: the tuning sets, then the unseen ones. It prints
counts and shares only, never a question: the blind sets stay blind.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
from pathlib import Path

from benchmarks.matcher import SETS
from benchmarks.scoring import Score, decide_all, empty, load_items, score
from bot.knowledge import load_knowledge
from bot.matching import fitting, ranker
from bot.matching.matcher import Matcher

DEFAULT_SEEDS = (0, 1, 2, 3)
FIGURES = (  # (label, how to read it off a pooled Score, format)
    ("wrong stated", lambda s: float(s.wrong_stated), "{:.1f}"),
    ("answered or offered %", lambda s: 100 * s.answered_or_offered, "{:.2f}"),
    ("top-1 %", lambda s: 100 * s.top1, "{:.2f}"),
    ("plain fallback %", lambda s: 100 * s.fallback_share, "{:.2f}"),
    ("no answer (out of scope) %", lambda s: 100 * s.no_answer_share, "{:.2f}"),
    ("did you mean", lambda s: float(s.did_you_mean), "{:.1f}"),
)


def pooled(matcher: Matcher, sets: list[list[dict]]) -> Score:
    """One score over all ``sets``."""
    total = empty()
    for items in sets:
        total = total.add(score(items, decide_all(matcher, items)))
    return total


def fit_with_seed(seed: int) -> Matcher:
    """A matcher over today's content whose ranker and calibration were fitted with SAGA seed ``seed``."""
    kept = fitting.SEED
    fitting.SEED = seed
    ranker._LOADED.clear()  # a ranker fitted earlier in this process for the same content would be reused
    try:
        with tempfile.TemporaryDirectory(prefix="kyr-seed-") as cache:
            return Matcher(load_knowledge(), cache_dir=Path(cache))
    finally:
        fitting.SEED = kept
        ranker._LOADED.clear()


def main(argv: list[str]) -> int:
    try:
        seeds = [int(a) for a in argv] or list(DEFAULT_SEEDS)
    except ValueError:
        print("usage: python -m benchmarks.seeds [SEED ...]  (whole numbers)", file=sys.stderr)
        return 2
    roles = {role: [load_items(path) for path, r in SETS if r == role] for role in ("tuned on", "unseen")}
    results: dict[str, list[Score]] = {role: [] for role in roles}
    for seed in seeds:
        matcher = fit_with_seed(seed)
        for role, sets in roles.items():
            results[role].append(pooled(matcher, sets))
        print(f"seed {seed}: " + "; ".join(f"{role} {results[role][-1].wrong_stated} wrong" for role in roles))
    print(f"\nmean over seeds {' '.join(map(str, seeds))} (min-max), every set pooled by role")
    for role, scores in results.items():
        print(f"  {role} ({scores[0].questions} questions)")
        for label, read, fmt in FIGURES:
            values = [read(s) for s in scores]
            spread = f"{fmt.format(min(values))}-{fmt.format(max(values))}"
            print(f"    {label:28} {fmt.format(statistics.mean(values)):>8}   ({spread})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
