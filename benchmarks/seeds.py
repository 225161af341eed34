"""How much of a matching change is noise: the headline figures over several SAGA seeds.

    python -m benchmarks.seeds              # seeds 0 1 2 3 (a fit and a scoring, about 5 s of CPU, each)
    python -m benchmarks.seeds 0 1 2 3 4 5  # other seeds

SAGA visits the training texts in an order its seed draws (bot/matching/fitting.py ``SEED``; 0 ships), and
stops after a few passes, so the same content fitted with another seed states a few more or fewer wrong
answers. A change to matching or to the examples is worth keeping when it wins on the mean over seeds, not
on seed 0 alone. For each seed this fits the ranker and its calibration afresh, in memory (neither the
model cache nor a model shipped in the package is read or written: a shipped model for the same content
would otherwise stand in for every seed), then scores every set of benchmarks/matcher.py ``SETS`` that
exists through the whole decision (:mod:`benchmarks.scoring`), pooled by role: the tuning sets, then the
unseen ones. It prints counts and shares only, never a question: the blind sets stay blind.
"""

from __future__ import annotations

import argparse
import statistics

from benchmarks.matcher import SETS
from benchmarks.scoring import Score, load_items, pooled
from bot.knowledge import KnowledgeBase, load_knowledge
from bot.matching import fitting
from bot.matching.matcher import Matcher

DEFAULT_SEEDS = (0, 1, 2, 3)
MAX_SEED = 2**32 - 1  # scikit-learn's random_state: 0 to 2**32 - 1
FIGURES = (  # (label, how to read it off a pooled Score, format)
    ("wrong stated", lambda s: float(s.wrong_stated), "{:.1f}"),
    ("answered or offered %", lambda s: 100 * s.answered_or_offered, "{:.2f}"),
    ("top-1 %", lambda s: 100 * s.top1, "{:.2f}"),
    ("plain fallback %", lambda s: 100 * s.fallback_share, "{:.2f}"),
    ("no answer (out of scope) %", lambda s: 100 * s.no_answer_share, "{:.2f}"),
    ("did you mean", lambda s: float(s.did_you_mean), "{:.1f}"),
)


def fit_with_seed(kb: KnowledgeBase, seed: int) -> Matcher:
    """A matcher over ``kb`` whose ranker and calibration were just fitted with SAGA seed ``seed``, in memory
    (:meth:`Matcher.fit`: no cache, no shipped model)."""
    kept = fitting.SEED
    fitting.SEED = seed
    try:
        return Matcher(kb, ranker=Matcher(kb, learned=False).fit())
    finally:
        fitting.SEED = kept


def seed_number(text: str) -> int:
    """A seed from the command line: a whole number from 0 to :data:`MAX_SEED`."""
    try:
        seed = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if not 0 <= seed <= MAX_SEED:
        raise argparse.ArgumentTypeError(f"{seed} is not between 0 and {MAX_SEED}")
    return seed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("seeds", nargs="*", type=seed_number, help="SAGA seeds (default: 0 1 2 3)")
    seeds = list(dict.fromkeys(parser.parse_args(argv).seeds)) or list(DEFAULT_SEEDS)  # each seed once
    kb = load_knowledge()
    roles = {
        role: [load_items(path) for path, r in SETS if r == role and path.exists()] for role in ("tuned on", "unseen")
    }
    results: dict[str, list[Score]] = {role: [] for role in roles}
    for seed in seeds:
        matcher = fit_with_seed(kb, seed)
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
    raise SystemExit(main())
