"""Where the matcher answers, asks "did you mean" and falls back, chosen on the tuning sets only.

    python -m benchmarks.tune_bands          # every pair of bands on the tuning sets, best first

The calibration (bot/matching/confidence.py) is fitted with the ranker on held-out training examples;
what is chosen here are the two cut-offs on its chance (bot/matching/matcher.py ANSWER_AT, SUGGEST_AT),
scored on the tuning sets (benchmarks/matcher.py SETS "tuned on") by the benchmark's own figures: first
the fewest wrong answers stated, then the most questions answered or offered, then the fewest "did you
mean" replies. The unseen sets are never read here: score them once with benchmarks.matcher afterwards.
"""

from __future__ import annotations

import sys

from benchmarks.matcher import CACHE, SETS
from benchmarks.scoring import load_items, pooled
from bot.knowledge import load_knowledge
from bot.matching import matcher as matcher_module
from bot.matching.matcher import Matcher

ANSWER_CUTS = range(60, 100, 5)
SUGGEST_CUTS = range(20, 95, 5)


def main(argv: list[str]) -> int:
    kb = load_knowledge()
    matcher = Matcher(kb, cache_dir=CACHE)
    sets = [load_items(path) for path, role in SETS if role == "tuned on"]
    rows = []
    for answer_at in ANSWER_CUTS:
        for suggest_at in (s for s in SUGGEST_CUTS if s < answer_at):
            matcher_module.ANSWER_AT, matcher_module.SUGGEST_AT = float(answer_at), float(suggest_at)
            s = pooled(matcher, sets)
            rows.append((s.wrong_stated, -(s.right + s.offered), s.did_you_mean, answer_at, suggest_at, s))
    rows.sort(key=lambda r: r[:3])
    print(f"tuning sets ({rows[0][5].questions} questions); answer from / suggest from: wrong, ans/offered, top-1, dym")
    for wrong, _, dym, answer_at, suggest_at, s in rows[: int(argv[0]) if argv else 25]:
        print(
            f"  {answer_at:3d} / {suggest_at:3d}: wrong {wrong:3d} ({s.wrong_share:.1%}), ans/offered "
            f"{s.answered_or_offered:.1%}, top-1 {s.top1:.1%}, fallback out of scope {s.fallback_share:.1%} "
            f"(no answer {s.no_answer_share:.1%}), dym {dym}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
