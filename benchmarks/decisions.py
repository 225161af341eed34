"""Did an edit change what the bot decides? Every decision on every set, saved before and compared after.

    python -m benchmarks.decisions save BEFORE.json     # before an edit (about 10 s)
    python -m benchmarks.decisions compare BEFORE.json  # after it: how many decisions changed, per set

A wording change in an answer is not only wording: answers feed the lexical scorer, the vocabulary that
typo repair and the unknown-word share use, and language detection, so a clearer sentence can move a
decision (December 2026: rewording one sentence of held-on-detainer's Spanish answer changed one unseen
decision; the same fix in the answer's own words changed none). Each run fits the ranker in memory (no
cache, no shipped model), then decides every question of benchmarks/matcher.py ``SETS`` that exists
through the whole decision. A decision is (route, entry shown, options offered). ``compare`` prints the
number of changed decisions per set, and for the tuning sets only each changed question with both
decisions; a blind set's questions are never printed. Exit status: 0 when nothing changed, 1 when
something did, 2 for a bad file.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from benchmarks.matcher import SETS
from benchmarks.scoring import decide_all, load_items
from benchmarks.seeds import fit_with_seed
from bot.knowledge import load_knowledge
from bot.matching import fitting

Decision = tuple[str, str | None, tuple[str, ...]]  # route, entry shown, options offered


def current() -> dict[str, list[Decision]]:
    """Every set's decisions (set file name -> one per question, in order) with today's content."""
    kb = load_knowledge()
    matcher = fit_with_seed(kb, fitting.SEED)  # the seed that ships, fitted in memory
    return {
        path.name: [(o.route, o.shown, tuple(o.options)) for o in decide_all(matcher, load_items(path))]
        for path, _ in SETS
        if path.exists()
    }


def read_saved(path: Path) -> dict[str, list[Decision]]:
    """Decisions saved by ``save``. Raises ValueError (with the file's name) for anything else."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        return {name: [(r, s, tuple(o)) for r, s, o in rows] for name, rows in raw.items()}
    except (OSError, ValueError, TypeError, AttributeError) as exc:
        raise ValueError(f"{path}: not a file written by `python -m benchmarks.decisions save` ({exc})") from None


def compare(before: dict[str, list[Decision]], after: dict[str, list[Decision]]) -> int:
    """Print what changed between ``before`` and ``after``; returns how many decisions changed."""
    changed_total = 0
    for path, role in SETS:
        old, new = before.get(path.name), after.get(path.name)
        if old is None or new is None or len(old) != len(new):
            print(f"{path.name} ({role}): not compared (missing, or its questions changed)")
            continue
        changed = [i for i, (a, b) in enumerate(zip(old, new, strict=True)) if a != b]
        changed_total += len(changed)
        print(f"{path.name} ({role}): {len(changed)} of {len(new)} decisions changed")
        if role == "tuned on" and changed:
            items = load_items(path)
            for i in changed:
                print(f"    {items[i]['q'][:100]!r}: {old[i]} -> {new[i]}")
    return changed_total


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("action", choices=("save", "compare"))
    parser.add_argument("file", type=Path, help="where the decisions are saved (JSON)")
    args = parser.parse_args(argv)
    if args.action == "save":
        decisions = current()
        args.file.write_text(json.dumps(decisions), encoding="utf-8")
        print(f"{sum(len(d) for d in decisions.values())} decisions saved to {args.file}")
        return 0
    try:
        before = read_saved(args.file)
    except ValueError as exc:
        print(exc)
        return 2
    changed = compare(before, current())
    print(f"{changed} decisions changed in all")
    return 1 if changed else 0


if __name__ == "__main__":
    raise SystemExit(main())
