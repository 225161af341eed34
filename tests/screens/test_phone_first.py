"""One screen for a frightened person: what a phone shows of every answer, counted as Python counts the
Telegram text with tags removed and entities unescaped (sources, date, contact line and "not legal
advice" included); the English statement first in a crisis; sources as named links in the reader's
language; the same rules in the terminal and in inline results."""

from __future__ import annotations

import statistics

import pytest

from bot.screens.compose import (
    MAX_VISIBLE,
    MAX_VISIBLE_WITH_STATEMENT,
    MEDIAN_VISIBLE,
    STATEMENT_WITHIN,
    to_plain,
    to_terminal,
)
from testkit.chat import CONV, KB, LANGS, fresh, plain, send_text, title, ui

ANSWERS = sorted(eid for eid, e in KB.entries.items() if e.kind == "answer")


def shown(eid: str, lang: str) -> str:
    """The answer as a phone shows it, opened from its button."""
    return plain(CONV.handle_callback(fresh(lang), f"a:{eid}:{lang}"))


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("eid", ANSWERS)
def test_every_answer_fits_on_a_phone(eid, lang):
    limit = MAX_VISIBLE_WITH_STATEMENT if KB.entries[eid].officer_statement else MAX_VISIBLE
    assert len(shown(eid, lang)) <= limit


@pytest.mark.parametrize("lang", LANGS)
def test_the_median_answer_is_under_one_screen_and_a_half(lang):
    lengths = [len(shown(eid, lang)) for eid in ANSWERS if not KB.entries[eid].officer_statement]
    assert statistics.median(lengths) <= MEDIAN_VISIBLE


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("eid", ANSWERS)
def test_the_gist_comes_right_after_the_title_or_the_officer_statement(eid, lang):
    entry, text = KB.entries[eid], shown(eid, lang)
    parts = text.split("\n\n")
    gist = entry.text(lang).gist.split("{")[0]
    at = 2 if entry.officer_statement else 1
    assert parts[0] == title(eid, lang) and parts[at].startswith(gist)


# What people type when it is happening now (new words, not the entries' phrasings), in both languages.
CRISES = [
    ("la migra está aquí afuera tocando la puerta", "es"),
    ("me están arrestando los de ICE ahorita", "es"),
    ("ICE agents are banging on my door right now", "en"),
    ("a sheriff just pulled me over and is asking for my papers", "en"),
    ("me pararon en la troca y el oficial me pide papeles", "es"),
    ("two agents stopped me on the sidewalk and want my id", "en"),
    ("me agarró ICE afuera del trabajo, qué hago", "es"),
]


@pytest.mark.parametrize(("text", "lang"), CRISES)
def test_a_crisis_reply_first_says_what_to_show_the_officer(text, lang):
    reply = send_text(CONV, fresh(lang), text)
    shown_text = plain(reply)
    statement = KB.officer_card.statement.strip()
    assert statement in shown_text, shown_text[:300]
    at = shown_text.index(statement)
    assert at < STATEMENT_WITHIN
    assert ui("officer", lang) in shown_text[:at]  # with its label, in the reader's language
    meaning = KB.officer_card.explanation[lang].strip()
    assert shown_text.index(meaning) > at  # then what it means, then what to do


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("eid", KB.emergency)
def test_every_emergency_screen_shows_the_statement_first(eid, lang):
    text = plain(CONV.handle_callback(fresh(lang), f"e:{eid}:{lang}"))
    assert text.startswith(title(eid, lang) + "\n\n" + ui("officer", lang))
    assert text.index(KB.entries[eid].officer_statement) < STATEMENT_WITHIN + len(KB.entries[eid].officer_statement)


def test_the_traffic_stop_has_its_own_statement():
    entry = KB.entries["traffic-stop"]
    assert entry.officer_statement and "traffic-stop" in KB.emergency
    assert all(lang in entry.officer_meaning for lang in LANGS if lang != "en")


@pytest.mark.parametrize("eid", ANSWERS)
def test_spanish_readers_see_spanish_source_names(eid):
    text = shown(eid, "es")
    for source in KB.entries[eid].sources:
        name = source.name("es")
        assert name in text and name == source.names["es"]
        if source.lang != "es":
            assert "(en inglés)" in name  # the page itself is in English: say so


NOTES_FOR_REVIEWERS = ("stored copy", "as published by", "archived", "read via", "read through", "archive.org")


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("eid", ANSWERS)
def test_no_note_for_reviewers_reaches_a_user(eid, lang):
    reply = CONV.handle_callback(fresh(lang), f"a:{eid}:{lang}")
    lowered = reply.text.lower()
    assert not [n for n in NOTES_FOR_REVIEWERS if n in lowered]
    assert not [s.read_via for s in KB.entries[eid].sources if s.read_via and s.read_via in reply.text]


@pytest.mark.parametrize("lang", LANGS)
def test_the_contact_line_is_one_line_with_one_visible_address(lang):
    text = shown("ice-at-door", lang)
    (line,) = [t for t in text.splitlines() if KB.contacts.values["aclu_phone"] in t]
    assert KB.contacts.values["aclu_website_short"] in line and len(line) <= 100
    assert "2021" not in line and "octubre" not in line and "October" not in line  # no date that reads as doubt


def test_the_terminal_shows_the_same_answer_with_addresses_it_cannot_link():
    reply = CONV.handle_callback(fresh("es"), "a:detainer-basics:es")
    terminal, phone = to_terminal(reply.text), to_plain(reply.text)
    assert terminal.split("\n\n")[:3] == phone.split("\n\n")[:3]  # title, gist, details: the same
    for source in KB.entries["detainer-basics"].sources:
        assert f"{source.name('es')} ({source.url})" in terminal and source.url not in phone


@pytest.mark.parametrize("lang", LANGS)
def test_an_inline_result_is_the_first_screen_with_a_way_to_the_full_answer(lang):
    CONV.set_identity("kyr_test_bot")
    try:
        (result, *_) = CONV.inline_answers(fresh(lang), "ice at my door" if lang == "en" else "la migra en mi puerta")
    finally:
        CONV.set_identity(None)
    eid = result.id.rsplit("_", 1)[0]
    first, full = to_plain(result.text), shown(eid, lang)
    assert len(first) < len(full) and first.split("\n\n")[0] == full.split("\n\n")[0]
    assert f"https://t.me/kyr_test_bot?start={eid}_{lang}" in result.text
