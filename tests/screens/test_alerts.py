"""A forwarded message's age, as the reader sees it: in plain words, in their language, counted in the
bot's time zone (Wyoming's), with no claim about its truth."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from bot.screens.alerts import forward_age

DENVER = "America/Denver"
ZONE = ZoneInfo(DENVER)


def at(*args: int) -> float:
    """Unix seconds for a wall-clock time in Denver."""
    return dt.datetime(*args, tzinfo=ZONE).timestamp()


NOW = at(2026, 12, 7, 15, 0)


@pytest.mark.parametrize(
    "sent, lang, expected",
    [
        (NOW - 30, "en", "This message was first sent on Telegram today, 1 minute ago."),
        (NOW - 45 * 60, "es", "Este mensaje se envió por primera vez en Telegram hoy, hace 45 minutos."),
        (NOW - 3 * 3600 - 59, "en", "This message was first sent on Telegram today, 3 hours ago."),
        (NOW - 3600, "es", "Este mensaje se envió por primera vez en Telegram hoy, hace 1 hora."),
        (at(2026, 12, 6, 9, 0), "en", "This message was first sent on Telegram yesterday, December 6."),
        (at(2026, 11, 27, 8, 0), "en", "This message was first sent on Telegram 10 days ago, on November 27."),
        (
            at(2026, 11, 27, 8, 0),
            "es",
            "Este mensaje se envió por primera vez en Telegram hace 10 días, el 27 de noviembre.",
        ),
        (at(2025, 12, 1, 8, 0), "en", "This message was first sent on Telegram 371 days ago, on December 1, 2025."),
        (
            at(2025, 12, 1, 8, 0),
            "es",
            "Este mensaje se envió por primera vez en Telegram hace 371 días, el 1 de diciembre de 2025.",
        ),
    ],
)
def test_age_in_plain_words_and_the_readers_language(sent, lang, expected):
    assert forward_age(sent, NOW, lang, DENVER) == expected


def test_days_are_counted_in_wyomings_time_zone_not_utc():
    # 11 p.m. in Denver on 6 December is already 7 December in UTC: for a Wyoming reader it was yesterday.
    late = at(2026, 12, 6, 23, 0)
    assert dt.datetime.fromtimestamp(late, dt.UTC).day == 7
    assert "yesterday, December 6" in forward_age(late, NOW, "en", DENVER)
    assert "today" in forward_age(late, NOW, "en", "UTC")


def test_a_clock_ahead_of_now_counts_as_just_sent():
    assert forward_age(NOW + 500, NOW, "en", DENVER) == "This message was first sent on Telegram today, 1 minute ago."


@pytest.mark.parametrize("lang", ["en", "es"])
def test_the_age_says_nothing_about_truth(lang):
    text = forward_age(at(2026, 10, 1, 8, 0), NOW, lang, DENVER).lower()
    for word in ("true", "false", "fake", "cierto", "falso", "mentira", "old", "viejo"):
        assert word not in text.split()
