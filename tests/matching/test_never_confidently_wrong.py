"""Never confidently wrong: the kinds of messages real people sent that the bot answered wrongly, fell back
on, or was too sure about. Each is held through the whole decision (routing, matcher, calibrated
confidence): a right answer, or a "did you mean" that offers it; never a wrong entry stated as the answer.
The issue's own examples, and the same kinds in other words."""

from __future__ import annotations

import pytest

from bot.matching.decision import decide
from bot.matching.matcher import ANSWER_AT, MAX_ALTERNATIVES, SUGGEST_AT
from testkit.chat import CONV, fresh, labels, plain, send_text, ui


def decided(text: str):
    return decide(CONV.matcher, text)


def shown(text: str) -> str | None:
    """The entry shown as the answer (None: a "did you mean", a fallback or the emergency menu)."""
    d = decided(text)
    return d.entry_id if d.route in ("answer", "smalltalk", "emergency") else None


def answered_or_offered(text: str, *right: str) -> bool:
    d = decided(text)
    # A claim seen circulating is a rumor answered with its verdict (knowledge/claims.yaml).
    if d.route == "claim" and "rumors" in right:
        return True
    return (d.route in ("answer", "emergency", "alert") and d.entry_id in right) or (
        d.route == "did_you_mean" and bool({a.id for a in d.options} & set(right))
    )


EVERYDAY = [
    ("tengo q abrir si dicen que nomas quieren platicar?", "ice-at-door"),
    ("the agents at my door say they only want to talk, must I open it", "ice-at-door"),
    ("necesito un abogado pero no tengo dinero", "find-lawyer"),
    ("we cant pay for a lawyer, is there free help", "find-lawyer"),
    ("can the Highway Patrol ask for papers now?", "traffic-stop"),
    ("did the Sweetwater sheriff sign the task force with ICE?", "287g-wyoming"),
    ("they say la migra is going into the Rock Springs schools on Monday", "rumors"),
    ("how do I check my court date with my A-number", "court-and-checkins"),
    ("ICE took my husband this morning, how do we find him", "family-member-detained"),
    pytest.param(
        "tienen que tener papel del juez?",
        "judicial-warrant",
        marks=pytest.mark.xfail(
            strict=True,
            reason="known weakness since the out-of-scope examples of December 2026 (judges in divorce and "
            "eviction cases): the judge's paper falls back as other-topics",
        ),
    ),
]


@pytest.mark.parametrize(("text", "right"), EVERYDAY)
def test_everyday_requests_reach_their_answer(text, right):
    assert answered_or_offered(text, right), decided(text)


@pytest.mark.parametrize("text", ["i am so scared", "tengo miedo", "estoy muy nerviosa con todo esto de la migra"])
def test_fear_gets_a_calm_next_step_with_the_emergency_and_topic_buttons(text):
    lang = "es" if text != "i am so scared" else "en"
    reply = send_text(CONV, fresh(lang), text)
    assert plain(reply).startswith(CONV.kb.entries["feeling-scared"].text(lang).title)
    assert ui("emergency", lang) in labels(reply) and ui("topics", lang) in labels(reply)
    # never the statistics about crime reports, upsetting to read at that moment
    assert CONV.kb.entries["community-trust"].text(lang).title not in plain(reply)


COLLISIONS = [  # out of scope, full of the bot's own words: a wrong answer here is the worst outcome
    ("quiero divorciarme pero mi esposo no quiere firmar", "dont-sign"),
    ("how do I report my neighbor to ICE", "contact-aclu"),
    ("my brother is in the Laramie county jail for domestic violence, when can he get out", "held-on-detainer"),
    ("mi jefe quiere que firme un contrato nuevo de trabajo, lo firmo?", "dont-sign"),
    ("where is the ice skating rink in casper", "ice-at-door"),
]


@pytest.mark.parametrize(("text", "never"), COLLISIONS)
def test_out_of_scope_words_that_collide_never_get_a_stated_answer(text, never):
    assert shown(text) is None, decided(text)
    assert never not in {a.id for a in decided(text).options if decided(text).route == "answer"}


def test_a_long_story_whose_only_question_is_at_its_end_gets_that_answer():
    story = (
        "Buenas noches y que Dios los bendiga por esta ayuda. Les escribo desde Casper. Llegamos hace muchos "
        "años y trabajamos mucho, mi esposo en la construcción y yo limpiando casas. Mis hijos van a la escuela "
        "y les va muy bien, el mayor quiere ser doctor. Los domingos vamos a misa y tratamos de portarnos bien. "
        "A veces no duermo pensando en lo que le puede pasar a mi familia, mi hermana en Texas dice que allá está "
        "peor. Ayer una vecina me dijo que su primo lo pararon manejando y ahora está en la cárcel del condado. "
    ) * 5
    assert len(story) > 2500
    for ending in (" ¿Qué es un detainer?", " What is an ICE detainer?"):
        assert answered_or_offered(story + ending, "detainer-basics"), decided(story + ending)


OVERLAPS = [  # two entries answer parts of these: either is right, a third one is not
    ("they broke our door and hurt my brother", ("rights-violated", "ice-at-door")),
    (
        "a mi hermano lo tienen en la carcel con un hold de ICE, pagamos la fianza?",
        ("held-on-detainer", "bail-and-bond"),
    ),
    ("my relative was taken by ICE and we want to pay a bond", ("family-member-detained", "bail-and-bond")),
]


@pytest.mark.parametrize(("text", "right"), OVERLAPS)
def test_overlapping_entries_answer_or_offer_a_right_one(text, right):
    assert answered_or_offered(text, *right), decided(text)
    assert shown(text) in (None, *right)


def test_every_entry_states_its_scope_in_one_sentence():
    missing = [e.id for e in CONV.kb.entries.values() if not e.scope]
    assert missing == []


def test_did_you_mean_offers_at_most_three_and_json_lists_exactly_those(tmp_path):
    for text in ("they broke our door and hurt my brother", "me van a quitar a mis hijos"):
        d = decided(text)
        record = d.as_json(text)
        if d.route == "did_you_mean":
            assert 1 <= len(d.options) <= MAX_ALTERNATIVES
            assert [a["id"] for a in record["alternatives"]] == [a.id for a in d.options]
        else:
            assert record["alternatives"] == []
    answered = decided("what is an ice detainer")
    assert answered.route == "answer" and answered.as_json("x")["alternatives"] == []


def test_the_bands_are_ordered():
    assert 0 < SUGGEST_AT < ANSWER_AT < 100
    calibration = CONV.matcher.calibration
    assert calibration is not None and calibration.rows > 500  # fitted on the held-out examples
    assert 0 < calibration.right < calibration.rows
