"""``kyr-bot stats``: the usage counts the running bot keeps (:mod:`bot.runtime.records`), read from the
SQLite file in ``KYR_DATA_DIR`` whether the bot is running or not.

- ``kyr-bot stats``: a table of the last 7 and 30 days (UTC): questions by route and by language, the
  entries shown most, buttons pressed, inline results chosen.
- ``kyr-bot stats --json [--days N]``: ``{"total", "by_route", "by_entry", "by_language", "buttons",
  "inline_chosen", "from", "to", "days": [{"day", "total"}, ...]}`` over the last N days (default 30).
- ``kyr-bot stats --chart FILE.png [--weeks N]``: questions per week by topic (the /topics groups), a
  picture for a report, drawn with matplotlib, an optional extra (``pip install 'kyr-bot[charts]'``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sqlite3
import sys
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot import version
from bot.knowledge import KnowledgeBase
from bot.matching.decision import ROUTES
from bot.runtime import exitcodes
from bot.runtime.records import read_usage

ROUTE_NAMES = {
    "answer": "answered",
    "did_you_mean": 'asked "did you mean"',
    "fallback": "not answered (fallback)",
    "emergency": "emergency",
    "language": "asked for a language",
    "smalltalk": "small talk",
    "alert": "an alert to check",
    "claim": "a known claim",
    "card": "asked for the rights card",
}
# "Did you mean" has its own series: since December 2026 about one question in six gets it, most of them
# one tap from their answer (README "When the bot answers"), so it is not counted as not answered.
OFFERED_LABEL = 'Asked "did you mean"'
NOT_ANSWERED_LABEL = "Not answered (fallback)"
OTHER_LABEL = "Other (small talk, language, emergency menu)"
GREYS = {OFFERED_LABEL: "#a5a5a5", NOT_ANSWERED_LABEL: "#7f7f7f", OTHER_LABEL: "#c7c7c7"}  # topics: tab10
TOP_ENTRIES = 10
Row = tuple[str, str, str, int]  # (day, kind, key, count)


@dataclass
class Summary:
    """Counts over the days ``first`` to ``last`` (UTC, inclusive)."""

    first: dt.date
    last: dt.date
    by_route: Counter[str] = field(default_factory=Counter)
    by_entry: Counter[str] = field(default_factory=Counter)
    by_language: Counter[str] = field(default_factory=Counter)
    buttons: Counter[str] = field(default_factory=Counter)
    inline_chosen: int = 0
    per_day: Counter[str] = field(default_factory=Counter)

    @property
    def total(self) -> int:
        """Questions answered on any route."""
        return sum(self.by_route.values())

    def as_json(self) -> dict[str, Any]:
        """The ``--json`` object (every route of :data:`ROUTES` present, zeros included)."""
        days = [self.first + dt.timedelta(days=i) for i in range((self.last - self.first).days + 1)]
        return {
            "total": self.total,
            "by_route": {**dict.fromkeys(ROUTES, 0), **self.by_route},
            "by_entry": dict(self.by_entry.most_common()),
            "by_language": dict(self.by_language.most_common()),
            "buttons": dict(self.buttons.most_common()),
            "inline_chosen": self.inline_chosen,
            "from": self.first.isoformat(),
            "to": self.last.isoformat(),
            "days": [{"day": d.isoformat(), "total": self.per_day[d.isoformat()]} for d in days],
        }


def summarize(rows: Sequence[Row], first: dt.date, last: dt.date) -> Summary:
    """The counts in ``rows`` from ``first`` to ``last``."""
    summary = Summary(first, last)
    for day, kind, key, count in rows:
        if not first.isoformat() <= day <= last.isoformat():
            continue
        if kind == "route":
            summary.by_route[key] += count
            summary.per_day[day] += count
        elif kind == "entry":
            summary.by_entry[key] += count
        elif kind == "lang":
            summary.by_language[key] += count
        elif kind == "button":
            summary.buttons[key] += count
        elif kind == "inline":
            summary.inline_chosen += count
    return summary


def table(week: Summary, month: Summary, where: Path) -> str:
    """The readable table: one line per count, the last 7 days beside the last 30."""
    lines = [
        f"kyr-bot stats: counts per UTC day up to {month.last} (no ids, no text), from {where}",
        f"{'':40}{'last 7 days':>13}{'last 30 days':>14}",
    ]

    def line(label: str, a: int, b: int) -> None:
        lines.append(f"{label[:40]:40}{a:>13}{b:>14}")

    line("questions", week.total, month.total)
    routes = list(ROUTES) + sorted(set(month.by_route) - set(ROUTES))
    for route in routes:
        line("  " + ROUTE_NAMES.get(route, route), week.by_route[route], month.by_route[route])
    for lang in sorted(month.by_language):
        line(f"  in {lang}", week.by_language[lang], month.by_language[lang])
    if month.by_entry:
        lines.append(f"entries shown most (of {len(month.by_entry)} in 30 days)")
        for entry, count in month.by_entry.most_common(TOP_ENTRIES):
            line("  " + entry, week.by_entry[entry], count)
    line("buttons pressed", sum(week.buttons.values()), sum(month.buttons.values()))
    for kind, count in month.buttons.most_common():
        line("  " + kind.replace("_", " "), week.buttons[kind], count)
    line("inline results chosen", week.inline_chosen, month.inline_chosen)
    return "\n".join(lines)


# ---------------------------------------------------------------------- the chart
def week_start(day: dt.date) -> dt.date:
    """The Monday of ``day``'s week."""
    return day - dt.timedelta(days=day.weekday())


def weekly_by_topic(
    rows: Sequence[Row], kb: KnowledgeBase, last: dt.date, weeks: int, lang: str
) -> tuple[list[dt.date], dict[str, list[int]]]:
    """Questions per week (the ``weeks`` weeks up to ``last``'s, Monday first) by topic: one series per
    /topics group (labelled in ``lang``; an answer counts in the first group that lists its entry), then
    'Asked "did you mean"', "Not answered" (fallbacks) and "Other" (small talk, language requests, the
    emergency menu, answers in no group). Each week's series add up to its questions."""
    starts = [week_start(last) - dt.timedelta(weeks=weeks - 1 - i) for i in range(weeks)]
    index = {start: i for i, start in enumerate(starts)}
    group_of: dict[str, str] = {}
    for group in kb.topics:
        for entry_id in group.entry_ids:
            group_of.setdefault(entry_id, group.labels.get(lang, group.id))
    series: dict[str, list[int]] = {label: [0] * weeks for label in dict.fromkeys(group_of.values())}
    offered, not_answered, totals = [0] * weeks, [0] * weeks, [0] * weeks
    for day, kind, key, count in rows:
        i = index.get(week_start(dt.date.fromisoformat(day)))
        if i is None:
            continue
        if kind == "route":
            totals[i] += count
            if key == "did_you_mean":
                offered[i] += count
            elif key == "fallback":
                not_answered[i] += count
        elif kind == "entry" and key in group_of and kb.entries[key].kind == "answer":
            series[group_of[key]][i] += count
    grouped = [sum(counts[i] for counts in series.values()) for i in range(weeks)]
    other = [max(0, totals[i] - offered[i] - not_answered[i] - grouped[i]) for i in range(weeks)]
    series = {label: counts for label, counts in series.items() if any(counts)}
    series[OFFERED_LABEL] = offered
    series[NOT_ANSWERED_LABEL] = not_answered
    series[OTHER_LABEL] = other
    return starts, series


def draw_chart(starts: list[dt.date], series: dict[str, list[int]], output: Path, last: dt.date) -> None:
    """A stacked bar chart (PNG, 1500×840 px) of ``series`` per week, counted up to ``last``. Raises
    ImportError without matplotlib, OSError when ``output`` cannot be written."""
    from matplotlib import colormaps
    from matplotlib.figure import Figure

    figure = Figure(figsize=(10, 5.6), dpi=150, layout="constrained")
    axes = figure.add_subplot()
    colors = colormaps["tab10"]
    x = list(range(len(starts)))
    bottom = [0] * len(starts)
    for i, (label, counts) in enumerate(series.items()):
        axes.bar(x, counts, bottom=bottom, label=label, color=GREYS.get(label, colors(i % 10)), width=0.8)
        bottom = [b + c for b, c in zip(bottom, counts, strict=True)]
    axes.set_xticks(x, [f"{s:%b} {s.day}" for s in starts], rotation=45, ha="right")
    axes.set_ylabel("Questions")
    axes.set_xlabel("Week starting (Monday, UTC)")
    end = min(starts[-1] + dt.timedelta(days=6), last)
    span = f"{starts[0]:%B} {starts[0].day}, {starts[0].year} to {end:%B} {end.day}, {end.year}"
    axes.set_title(f"Questions per week by topic, {span}")
    axes.legend(loc="upper left", bbox_to_anchor=(1.01, 1), fontsize=8, frameon=False, reverse=True)
    axes.spines[["top", "right"]].set_visible(False)
    figure.text(0.01, 0.005, f"kyr-bot {version()}: counts only, no ids and no text.", fontsize=7, color="0.4")
    figure.savefig(output)


# ---------------------------------------------------------------------- the command
def cmd_stats(args: argparse.Namespace) -> int:
    """``kyr-bot stats``: the table, ``--json`` or ``--chart``; exit 0, or 2 when something is missing."""
    data_dir = args.config.data_dir
    today = dt.datetime.now(dt.UTC).date()
    days = max(args.days, 1) if args.json else 30
    weeks = max(args.weeks, 1)
    first = min(today - dt.timedelta(days=days - 1), week_start(today) - dt.timedelta(weeks=weeks - 1))
    try:
        rows = read_usage(data_dir, first.isoformat())
    except sqlite3.Error as exc:
        print(f"kyr-bot stats: cannot read the counts in {data_dir} ({exc})", file=sys.stderr)
        return exitcodes.FAILED
    if args.chart:
        return _chart(args, rows, today, weeks)
    if args.json:
        print(json.dumps(summarize(rows, today - dt.timedelta(days=days - 1), today).as_json(), ensure_ascii=False))
        return exitcodes.OK
    week = summarize(rows, today - dt.timedelta(days=6), today)
    month = summarize(rows, today - dt.timedelta(days=29), today)
    print(table(week, month, data_dir))
    if not rows:
        print(f"(Nothing counted yet in {data_dir}: is KYR_DATA_DIR the bot's?)")
    return exitcodes.OK


def _chart(args: argparse.Namespace, rows: list[Row], today: dt.date, weeks: int) -> int:
    from bot import app  # the knowledge base names the topics

    try:
        import matplotlib  # noqa: F401 - only to say clearly that it is missing
    except ImportError:
        print(
            "kyr-bot stats --chart needs matplotlib, an optional extra: pip install 'kyr-bot[charts]'",
            file=sys.stderr,
        )
        return exitcodes.BAD_CONFIG
    kb = app.load_content_or_exit(args.config)
    lang = args.lang or kb.default_language
    starts, series = weekly_by_topic(rows, kb, today, weeks, lang)
    output = Path(args.chart)
    try:
        draw_chart(starts, series, output, today)
    except OSError as exc:
        print(f"kyr-bot stats: cannot write {output} ({exc.strerror})", file=sys.stderr)
        return exitcodes.FAILED
    total = sum(sum(counts) for counts in series.values())
    print(f"kyr-bot stats: wrote {output}: {total} questions over {weeks} weeks, by topic")
    return exitcodes.OK


def add_parser(sub: Any) -> None:
    """Register ``stats`` with the subcommand parsers."""
    p = sub.add_parser("stats", help="usage counts (no ids, no text): last 7 and 30 days, --json, --chart")
    p.add_argument("--json", action="store_true", help="one JSON object: totals by route, entry, language; per day")
    p.add_argument("--days", type=int, default=30, help="--json: the last N days, today included (default 30)")
    p.add_argument("--chart", metavar="FILE.png", help="draw questions per week by topic (needs kyr-bot[charts])")
    p.add_argument("--weeks", type=int, default=12, help="--chart: the last N weeks (default 12)")
    p.add_argument("--lang", help="--chart: the language of the topic names (default: the knowledge base's)")
    p.set_defaults(func=cmd_stats)
