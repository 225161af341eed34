"""Matcher benchmark: accuracy, out-of-scope fallback, language and latency, against a naive baseline.

    python -m benchmarks.matcher [questions.yaml ...]   (default: every labelled set, see SETS)
    python -m benchmarks.matcher --misses [questions.yaml ...]   (every question it gets wrong)

Three matchers on each set: the lexical scorer alone (the matcher before the learned ranker), the
matcher (learned ranker + lexical signals + decision) and a naive baseline. Items with a ``route``
(emergency, language, smalltalk) are handled by conversation routing, not the matcher: they are left out
of top-1 and fallback and counted on their own line. Items labelled with an entry the knowledge base does
not have (yet) count as errors, and are counted on their own line too.

The baseline is what a first attempt would do: rapidfuzz ``process.extractOne`` with default settings
over every question phrasing, answering whatever comes out on top (its score cut-off is chosen in the
same run to give it its best total accuracy on the same questions, so the comparison is fair to it).
"""

from __future__ import annotations

import statistics
import sys
import time
from collections import Counter
from pathlib import Path

import yaml
from rapidfuzz import process

from bot.knowledge import load_knowledge
from bot.matching.matcher import Matcher
from testkit.paths import ROOT

CACHE = ROOT / ".cache" / "ranker"  # fitted rankers, reused while the knowledge base is unchanged


def load_questions(paths: list[Path]) -> list[dict]:
    items: list[dict] = []
    for path in paths:
        items.extend(yaml.safe_load(path.read_text(encoding="utf-8")))
    return items


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(pct / 100 * (len(ordered) - 1))))]


def summarise(
    name: str, items: list[dict], predicted: list[str | None], langs: list[str] | None, latencies: list[float]
) -> dict:
    in_scope = [(it, p) for it, p in zip(items, predicted, strict=True) if it["id"]]
    oos = [(it, p) for it, p in zip(items, predicted, strict=True) if not it["id"]]
    top1 = sum(it["id"] == p for it, p in in_scope) / max(1, len(in_scope))
    fallback = sum(p is None for _, p in oos) / max(1, len(oos))
    errors = sum(it["id"] != p for it, p in zip(items, predicted, strict=True))
    row = {
        "name": name,
        "top1": top1,
        "fallback": fallback,
        "errors": errors,
        "lang": (sum(it["lang"] == lg for it, lg in zip(items, langs, strict=True)) / len(items)) if langs else None,
        "p50_ms": statistics.median(latencies) * 1000,
        "p99_ms": percentile(latencies, 99) * 1000,
    }
    return row


def run_matcher(matcher: Matcher, items: list[dict]) -> tuple[list, list, list]:
    predicted, langs, latencies = [], [], []
    for it in items:
        start = time.perf_counter()
        result = matcher.match(it["q"])
        latencies.append(time.perf_counter() - start)
        predicted.append(result.entry_id)
        langs.append(result.lang)
    return predicted, langs, latencies


def run_baseline(kb, items: list[dict]) -> tuple[list, list]:
    choices, owners = [], []
    for entry in kb.entries.values():
        for text in entry.texts.values():
            for q in text.questions:
                choices.append(q)
                owners.append(entry.id if entry.answerable else None)
    raw, latencies = [], []
    for it in items:
        start = time.perf_counter()
        best = process.extractOne(it["q"], choices)
        latencies.append(time.perf_counter() - start)
        raw.append((owners[best[2]], best[1]) if best else (None, 0))
    # Give the baseline its best cut-off on these very questions.
    best_cut, best_err = 0, len(items) + 1
    for cut in range(0, 101, 5):
        err = sum(it["id"] != (eid if score >= cut else None) for it, (eid, score) in zip(items, raw, strict=True))
        if err < best_err:
            best_cut, best_err = cut, err
    predicted = [eid if score >= best_cut else None for eid, score in raw]
    return predicted, latencies, best_cut


SETS = [  # (path, what it is)
    (ROOT / "tests" / "data" / "dev_questions.yaml", "tuned on"),
    (ROOT / "tests" / "data" / "holdout_questions.yaml", "tuned on"),
    (ROOT / "benchmarks" / "data" / "real_voices.yaml", "tuned on"),
    (ROOT / "benchmarks" / "data" / "blind_questions.yaml", "unseen"),
    (ROOT / "benchmarks" / "data" / "real_voices_blind.yaml", "unseen"),
    (ROOT / "benchmarks" / "data" / "fresh_blind.yaml", "unseen"),
    (ROOT / "benchmarks" / "data" / "fresh_blind_2.yaml", "unseen"),
]


def default_sets() -> list[Path]:
    return [path for path, _ in SETS if path.exists()]


def role(path: Path) -> str:
    return next((r for p, r in SETS if p.resolve() == path.resolve()), "?")


def main(argv: list[str]) -> int:
    paths = [Path(a) for a in argv] or default_sets()
    kb = load_knowledge()
    start = time.perf_counter()
    matcher = Matcher(kb, cache_dir=CACHE)
    load_ms = (time.perf_counter() - start) * 1000
    lexical = Matcher(kb, learned=False)
    print(f"Matcher built in {load_ms:.0f} ms from {len(kb.entries)} entries (ranker {matcher.ranker.digest}).")
    header = f"{'':44} {'top-1':>7} {'fallback':>9} {'language':>9} {'errors':>7} {'p50 ms':>7} {'p99 ms':>7}"
    totals: dict[str, Counter[str]] = {"unseen": Counter(), "tuned on": Counter()}
    for path in paths:
        every = load_questions([path])
        items = [it for it in every if not it.get("route")]
        routed = [it for it in every if it.get("route")]
        ours = summarise("matcher (ranker + decision)", items, *run_matcher(matcher, items))
        old = summarise("lexical scorer alone (before)", items, *run_matcher(lexical, items))
        base_pred, base_lat, cut = run_baseline(kb, items)
        base = summarise(f"naive extractOne (cut-off {cut})", items, base_pred, None, base_lat)
        n_oos = sum(1 for i in items if not i["id"])
        missing = sum(1 for i in items if i["id"] and i["id"] not in kb.entries)
        print(f"\n{path.name} ({role(path)}): {len(items)} questions, {n_oos} out of scope")
        print(header)
        for row in (ours, old, base):
            lang = f"{row['lang']:.1%}" if row["lang"] is not None else "-"
            print(
                f"  {row['name']:42} {row['top1']:>7.1%} {row['fallback']:>9.1%} {lang:>9} {row['errors']:>7} "
                f"{row['p50_ms']:>7.2f} {row['p99_ms']:>7.2f}"
            )
        print(
            f"  errors: matcher {ours['errors']}, lexical {old['errors']}, naive {base['errors']} "
            f"(matcher/lexical {ours['errors'] / max(1, old['errors']):.2f}, matcher/naive "
            f"{ours['errors'] / max(1, base['errors']):.2f})"
        )
        if missing:
            print(f"  {missing} labelled with an entry the knowledge base does not have yet (counted as errors)")
        if routed:
            kinds = Counter(it["route"] for it in routed)
            answered = sum(1 for it in routed if matcher.match(it["q"]).entry_id is not None)
            print(
                f"  routed (not in the figures): {len(routed)} ({', '.join(f'{k} {n}' for k, n in kinds.items())}); "
                f"the matcher alone would answer {answered} of them"
            )
        bucket = totals.setdefault(role(path), Counter())
        bucket.update(matcher=ours["errors"], lexical=old["errors"], naive=base["errors"], n=len(items))
    for name, bucket in totals.items():
        if bucket["n"]:
            print(
                f"\nall {name} sets ({bucket['n']} questions): errors matcher {bucket['matcher']}, lexical "
                f"{bucket['lexical']}, naive {bucket['naive']} (matcher/lexical "
                f"{bucket['matcher'] / max(1, bucket['lexical']):.2f})"
            )
    return 0


def misses(paths: list[Path]) -> None:
    """Print every question the matcher gets wrong (for content editors). Defaults to the sets tuned on;
    for a blind set only the counts by kind are printed, never its questions."""
    matcher = Matcher(load_knowledge(), cache_dir=CACHE)
    for path in paths:
        blind = role(path) != "tuned on"  # an unlisted set may be a blind one: never print its questions
        kinds: Counter[str] = Counter()
        for it in load_questions([path]):
            if it.get("route"):
                continue
            r = matcher.match(it["q"])
            if r.entry_id != it["id"] or r.lang != it["lang"]:
                kinds[it.get("kind", "?")] += 1
                if not blind:
                    alts = ",".join(f"{a.id}:{a.score:.0f}" for a in r.alternatives)
                    print(
                        f"want {it['id']!s:20} got {r.entry_id!s:20} {r.score:5.1f} {it['lang']}/{r.lang} "
                        f"[{alts}] {it['q']}"
                    )
        print(f"{path.name}: misses by kind {dict(kinds)}")


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if not a.startswith("-")]
    if "--misses" in sys.argv:
        misses([Path(a) for a in args] or [p for p, r in SETS if r == "tuned on"])
    else:
        raise SystemExit(main(args))
