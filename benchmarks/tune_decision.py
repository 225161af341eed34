"""Fit the matcher's decision model (answer / "did you mean" / fall back) on the tuning sets, and measure
its parts.

    python -m benchmarks.tune_decision            # held-out errors and the constants for bot/matching/confidence.py
    python -m benchmarks.tune_decision --ablation # every part alone and every signal left out
    python -m benchmarks.tune_decision --ablation --unseen   # ... also scored on the blind sets

Fitting reads only the tuning sets: tests/data/dev_questions.yaml, tests/data/holdout_questions.yaml and
benchmarks/data/real_voices.yaml (items routed to emergency / language / smalltalk handling are left out).
Held-out errors come from a model fitted on the other two tuning sets (an honest estimate). ``--unseen``
scores each variant, fitted on the tuning sets only, on the blind sets and prints error counts only,
never their questions. The printed bias already includes the error-minimising cut-off, so that
ANSWER_AT stays at 50. Needs scikit-learn (the ``train`` extra).
"""

from __future__ import annotations

import math
import sys
from collections import Counter
from pathlib import Path

import numpy as np
import yaml
from sklearn.linear_model import LogisticRegression

from benchmarks.focus import focused_text
from bot.knowledge import load_knowledge
from bot.matching import confidence as features
from bot.matching.matcher import Matcher
from testkit.paths import ROOT

TUNING = {
    "dev": ROOT / "tests" / "data" / "dev_questions.yaml",
    "holdout": ROOT / "tests" / "data" / "holdout_questions.yaml",
    "real-voices": ROOT / "benchmarks" / "data" / "real_voices.yaml",
}
UNSEEN = {
    "blind": ROOT / "benchmarks" / "data" / "blind_questions.yaml",
    "real-voices-blind": ROOT / "benchmarks" / "data" / "real_voices_blind.yaml",
    "fresh-blind": ROOT / "benchmarks" / "data" / "fresh_blind.yaml",
    "fresh-blind-2": ROOT / "benchmarks" / "data" / "fresh_blind_2.yaml",
}
REGULARISATION = 1.0
CACHE = ROOT / ".cache" / "ranker"

Row = tuple[np.ndarray, str | None, str | None, str, str | None]  # signals, top, expected id, kind, lexical


def rows(matcher: Matcher, path: Path, focus: bool = False) -> list[Row]:
    """Per matcher-handled item: the signals, the ranker's answerable top entry (or None), the expected id,
    the item's kind and what the lexical scorer alone answers. An item with no terms has no signals
    (zeros): every variant falls back on it."""
    out: list[Row] = []
    assert matcher.ranker is not None
    lexical = Matcher(matcher.kb, learned=False, ranker=matcher.ranker)
    for item in yaml.safe_load(path.read_text(encoding="utf-8")):
        if item.get("route"):
            continue
        reading = matcher.read(focused_text(matcher, item["q"]) if focus else item["q"])
        alone = lexical.match(item["q"]).entry_id
        if reading is None:
            out.append((np.zeros(len(features.SIGNALS)), None, item["id"], item.get("kind", "?"), alone))
            continue
        top = matcher.ranker.classes[int(reading.probs.argmax())]
        answerable = matcher.kb.entries[top].answerable
        vector = np.array(reading.signals.vector(features.SIGNALS))
        out.append((vector, top if answerable else None, item["id"], item["kind"], alone))
    return out


def errors(data: list[Row], confident: np.ndarray, cut: float) -> int:
    """Errors when answering every item whose confidence reaches ``cut``."""
    return sum((r[1] if (r[1] and c >= cut) else None) != r[2] for r, c in zip(data, confident, strict=True))


def fit(data: list[Row], cols: list[int]) -> tuple[LogisticRegression, float]:
    """The decision model over signal columns ``cols`` and its error-minimising cut-off, both on ``data``."""
    x = np.array([r[0][cols] for r in data])
    y = np.array([r[1] is not None and r[1] == r[2] for r in data])
    model = LogisticRegression(C=REGULARISATION, max_iter=2000).fit(x, y)
    conf = model.predict_proba(x)[:, 1]
    cut = min(np.arange(0.05, 0.95, 0.01), key=lambda t: (errors(data, conf, t), abs(t - 0.5)))
    return model, float(cut)


def score(model: LogisticRegression, cut: float, data: list[Row], cols: list[int]) -> int:
    return errors(data, model.predict_proba(np.array([r[0][cols] for r in data]))[:, 1], cut)


def held_out(sets: dict[str, list[Row]], cols: list[int]) -> dict[str, int]:
    """Errors on each tuning set of a decision fitted on the other two."""
    out = {}
    for held in sets:
        model, cut = fit([r for name, data in sets.items() if name != held for r in data], cols)
        out[held] = score(model, cut, sets[held], cols)
    return out


def ablation(matcher: Matcher, unseen: bool) -> None:
    """Each part alone and each signal left out: held-out errors on the tuning sets (and blind sets)."""
    sets = {name: rows(matcher, path) for name, path in TUNING.items()}
    blind = {name: rows(matcher, path) for name, path in UNSEEN.items() if path.exists()} if unseen else {}
    names = features.SIGNALS
    every = list(range(len(names)))
    chosen = [names.index(n) for n in features.DECISION_FEATURES]
    variants = {
        "ranker probability alone": [0],
        "all signals": every,
        "chosen: " + "+".join(features.DECISION_FEATURES): chosen,
    }
    variants |= {f"all without {names[i]}": [c for c in every if c != i] for i in every}
    print(f"{'':44}" + "".join(f"{n:>18}" for n in [*sets, *blind]))
    lexical = {n: sum(r[4] != r[2] for r in d) for n, d in {**sets, **blind}.items()}
    print(f"{'lexical scorer alone (before)':44}" + "".join(f"{v:>18}" for v in lexical.values()))
    argmax = {n: sum(r[1] != r[2] for r in d) for n, d in {**sets, **blind}.items()}
    print(f"{'ranker top entry, never falls back':44}" + "".join(f"{v:>18}" for v in argmax.values()))
    for label, cols in variants.items():
        line = held_out(sets, cols)
        if blind:
            model, cut = fit([r for d in sets.values() for r in d], cols)
            line |= {n: score(model, cut, d, cols) for n, d in blind.items()}
        print(f"{label:44}" + "".join(f"{v:>18}" for v in line.values()))
    # The question part of stories and rumor frames: the same decision, with and without features.focus.
    focused = {name: rows(matcher, path, focus=True) for name, path in TUNING.items()}
    blind_focused = {name: rows(matcher, path, focus=True) for name, path in UNSEEN.items() if name in blind}
    for label, data, unseen_data in (("whole text", sets, blind), ("with focus", focused, blind_focused)):
        model, cut = fit([r for d in data.values() for r in d], chosen)
        kinds: Counter[str] = Counter()
        for d in data.values():
            conf = model.predict_proba(np.array([r[0][chosen] for r in d]))[:, 1]
            for r, c in zip(d, conf, strict=True):
                if (r[1] if (r[1] and c >= cut) else None) != r[2]:
                    kinds[r[3]] += 1
        totals = Counter(r[3] for d in data.values() for r in d)
        by_kind = ", ".join(f"{k} {kinds[k]}/{totals[k]}" for k in ("story", "rumor", "helper", "plain", "paraphrase"))
        unseen_errors = {n: score(model, cut, d, chosen) for n, d in unseen_data.items()}
        print(
            f"{label:12} tuning-set errors by kind: {by_kind}; held-out {held_out(data, chosen)}; "
            f"unseen {unseen_errors}"
        )


def main(argv: list[str]) -> int:
    matcher = Matcher(load_knowledge(), cache_dir=CACHE)
    if "--ablation" in argv:
        ablation(matcher, unseen="--unseen" in argv)
        return 0
    sets = {name: rows(matcher, path) for name, path in TUNING.items()}
    chosen = [features.SIGNALS.index(n) for n in features.DECISION_FEATURES]
    print("held-out errors (decision fitted on the other two sets):", held_out(sets, chosen))
    model, cut = fit([r for data in sets.values() for r in data], chosen)
    bias = float(model.intercept_[0]) - math.log(cut / (1 - cut))
    print(f"\n# cut-off {cut:.2f} folded into the bias; features {features.DECISION_FEATURES}")
    print(f"DECISION_WEIGHTS = ({', '.join(f'{w:.3f}' for w in model.coef_[0])})")
    print(f"DECISION_BIAS = {bias:.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
