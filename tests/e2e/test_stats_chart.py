"""``kyr-bot stats --chart``: questions per week by topic, the picture an affiliate puts in a report; and a
clear message when the optional charting library is not installed."""

from __future__ import annotations

import datetime as dt
import sys

from PIL import Image

from bot.cli import main
from bot.cli_stats import week_start, weekly_by_topic
from bot.runtime import exitcodes
from bot.runtime.records import Records, read_usage
from testkit.harness import knowledge

TODAY = dt.datetime.now(dt.UTC).date()


def counted(data, days_ago: int, route: str, entry: str | None, lang: str = "en", times: int = 1) -> None:
    day = (TODAY - dt.timedelta(days=days_ago)).isoformat()
    records = Records.open(data, lambda: day)
    for _ in range(times):
        records.usage.record(route, entry, lang)
    records.close()


def fill(data) -> None:
    counted(data, 0, "answer", "detainer-basics", times=3)
    counted(data, 0, "emergency", "ice-at-door", "es", times=2)
    counted(data, 0, "fallback", None, times=1)
    counted(data, 7, "did_you_mean", None, "es", times=2)
    counted(data, 7, "smalltalk", "greeting", times=1)
    counted(data, 14 * 7, "answer", "detainer-basics", times=5)  # 14 weeks ago: outside a 12-week chart


def test_weeks_add_up_by_topic_group(tmp_path):
    fill(tmp_path)
    kb = knowledge()
    group = {e: g.labels["en"] for g in reversed(kb.topics) for e in g.entry_ids}
    starts, series = weekly_by_topic(read_usage(tmp_path, "2000-01-01"), kb, TODAY, 12, "en")
    assert starts[-1] == week_start(TODAY) and starts[0] == week_start(TODAY) - dt.timedelta(weeks=11)
    this_week, last_week = 11, 10
    if group["detainer-basics"] == group["ice-at-door"]:
        assert series[group["detainer-basics"]][this_week] == 5
    else:
        assert series[group["detainer-basics"]][this_week] == 3 and series[group["ice-at-door"]][this_week] == 2
    offered = series['Asked "did you mean"']
    not_answered = series["Not answered (fallback)"]
    other = series["Other (small talk, language, emergency menu)"]
    assert (not_answered[this_week], not_answered[last_week]) == (1, 0)
    assert (offered[this_week], offered[last_week]) == (0, 2)
    assert other[last_week] == 1 and other[this_week] == 0
    assert [sum(s[i] for s in series.values()) for i in range(12)] == [0] * 10 + [3, 6]


def test_chart_is_written_as_a_png_for_a_report(tmp_path, monkeypatch, capsys):
    data = tmp_path / "data"
    fill(data)
    monkeypatch.setenv("KYR_DATA_DIR", str(data))
    out = tmp_path / "questions.png"
    assert main(["stats", "--chart", str(out)]) == exitcodes.OK
    assert capsys.readouterr().out.strip() == f"kyr-bot stats: wrote {out}: 9 questions over 12 weeks, by topic"
    with Image.open(out) as picture:
        assert (picture.format, picture.size) == ("PNG", (1500, 840))
        colours = {c for _, c in picture.convert("RGB").getcolors(1_000_000) or []}
    assert (31, 119, 180) in colours  # the first series' bars (matplotlib's tab20 blue) are drawn


def test_without_matplotlib_the_chart_says_how_to_get_it(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("KYR_DATA_DIR", str(tmp_path))
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib now raises ImportError
    assert main(["stats", "--chart", str(tmp_path / "c.png")]) == exitcodes.BAD_CONFIG
    assert capsys.readouterr().err.strip() == (
        "kyr-bot stats --chart needs matplotlib, an optional extra: pip install 'kyr-bot[charts]'"
    )
    assert not (tmp_path / "c.png").exists()


def test_stats_with_nothing_counted_yet(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("KYR_DATA_DIR", str(tmp_path / "empty"))
    assert main(["stats", "--json", "--days", "7"]) == exitcodes.OK
    out = capsys.readouterr().out
    assert '"total": 0' in out and out.count('"day"') == 7
    assert not (tmp_path / "empty").exists()  # reading creates nothing
