"""The matcher as a user meets it, with the real knowledge base: sloppy typing still finds the answer,
questions the bot cannot answer fall back instead of getting a wrong answer, and nothing crashes it.

All questions here are written for these tests (not copied from knowledge/entries or tests/data).
"""

from __future__ import annotations

import json
import time

import pytest

from bot.core.conversation import Conversation
from bot.core.preferences import MemoryStore
from bot.core.replies import User
from bot.matching.matcher import ANSWER_AT, SUGGEST_AT, MatchResult
from testkit.chat import send_text


def answered(result: MatchResult, expected: set[str]) -> bool:
    return result.entry_id in expected


def understood(result: MatchResult, expected: set[str]) -> bool:
    """Answered with a right entry, or (unsure) offered a right entry first as "did you mean"."""
    if result.entry_id is not None:
        return result.entry_id in expected
    return bool(result.alternatives) and result.alternatives[0].id in expected


def show(result: MatchResult) -> str:
    return json.dumps(result.as_json(), ensure_ascii=False)


def offered_instead(query: str, entry_id: str):
    """An out-of-scope question that gets "did you mean" instead of the plain fallback: strict, so a fix
    shows. (Not a wrong answer stated; at the 80% answer band of 2026-11 it was answered with the entry.)"""
    reason = f"matcher weakness: offers 'did you mean' with {entry_id!r} first instead of falling back"
    return pytest.param(query, marks=pytest.mark.xfail(strict=True, reason=reason))


STOPPED = {"stopped-public", "traffic-stop", "racial-profiling"}
DETAINER_HELD = {"detainer-must-honor", "held-on-detainer"}


# --------------------------------------------------------------------------- sloppy but in scope


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        # missing accents
        ("tengo derecho a no contestar las preguntas de inmigracion", {"remain-silent"}),
        ("la carcel esta obligada a entregar a mi tio a inmigracion", DETAINER_HELD),
        ("cuanto le cuesta al condado el programa 287g", {"287g-costs"}),
        ("que hago si inmigracion esta afuera de mi casa", {"ice-at-door"}),
        ("me pueden obligar a firmar algo que no entiendo", {"dont-sign"}),
        # typos
        ("detainr", {"detainer-basics"}),
        ("abogdo", {"find-lawyer"}),
        ("what is a detaner", {"detainer-basics"}),
        ("necesito un abogdo de imigracion", {"find-lawyer"}),
        # repeated letters
        ("holaaaa", {"greeting"}),
        ("helloooo", {"greeting"}),
        ("graciaaaas", {"thanks"}),
        ("detainerrrr", {"detainer-basics"}),
        # chat abbreviations
        ("q es un detainer", {"detainer-basics"}),
        ("xq me paran", STOPPED),
        ("u have to sign papers from ice?", {"dont-sign"}),
        # Spanglish
        ("my tio is in the jail con un hold de ICE", DETAINER_HELD),
        ("the migra is at my puerta", {"ice-at-door"}),
        ("necesito un lawyer de inmigracion", {"find-lawyer"}),
        # one word
        ("287g", {"287g-basics"}),
        ("detainer", {"detainer-basics"}),
        ("abogado", {"find-lawyer"}),
        ("lawyer", {"find-lawyer"}),
    ],
)
def test_sloppy_questions_get_the_right_answer(matcher, query, expected):
    """Answered rightly, or (the calibrated matcher unsure) offered with the right answer first: never a
    wrong answer stated."""
    result = matcher.match(query)
    assert understood(result, expected), show(result)


def test_heavy_typos_at_least_suggest_the_right_answer(matcher):
    result = matcher.match("do i hav to opn the dor for imigration")
    assert understood(result, {"ice-at-door"}), show(result)


def test_accents_and_case_do_not_change_the_answer(matcher):
    plain = matcher.match("cuanto tiempo me pueden tener en la carcel por un detainer")
    fancy = matcher.match("¿CUÁNTO tiempo me pueden tener en la cárcel por un detainer?")
    assert plain.entry_id is not None
    assert (fancy.entry_id, fancy.lang) == (plain.entry_id, plain.lang)


def test_la_migra_at_my_house_gets_the_door_answer(matcher):
    result = matcher.match("que hago si la migra viene a mi casa")
    assert answered(result, {"ice-at-door"}), show(result)


def test_police_stop_in_spanish_is_not_out_of_scope(matcher):
    result = matcher.match("que hago si me para la policia")
    assert understood(result, STOPPED), show(result)


LONG_STORIES = [
    (
        "my english is not good, my son got picked up by ICE yesterday morning at his work and we do not "
        "know where he is. How do I find him?",
        {"arrested-by-ice", "held-on-detainer", "family-member-detained"},
    ),
    (
        "Last week my neighbor told me that ICE agents were going around our trailer park in Rock Springs "
        "asking people for papers. I am scared because I do not have papers. If they come and knock on my "
        "door, do I have to open it?",
        {"ice-at-door"},
    ),
    (
        "Mi cuñado estaba en la cárcel del condado por una multa y ya cumplió, pero no lo sueltan porque "
        "dicen que ICE mandó un detainer. ¿Lo pueden dejar ahí?",
        DETAINER_HELD | {"detainer-basics"},
    ),
    (
        "Hi, I live in Gillette and I have been here for twelve years. My kids were born here and go to "
        "school here. Yesterday a sheriff deputy pulled me over for a broken tail light and asked where I "
        "was born. Can a deputy ask about my immigration status during a traffic stop?",
        STOPPED,
    ),
    (
        "Buenas tardes. Mi esposo salió a trabajar temprano y unos agentes lo detuvieron en la gasolinera. "
        "Ya no contesta el teléfono y no sabemos a dónde lo llevaron. ¿Cómo puedo saber dónde está detenido?",
        {"arrested-by-ice", "held-on-detainer"},
    ),
    (
        "Hace dos semanas mi cuñado manejaba al trabajo y la policía lo paró por una luz rota. Le pidieron "
        "papeles y ahora está en la cárcel del condado y dicen que tiene un hold. ¿La cárcel tiene que "
        "entregarlo a ICE?",
        DETAINER_HELD,
    ),
    (
        "My friend says the county signed some deal with ICE last year and now the deputies are working like "
        "immigration agents. I went to the commissioners meeting but nobody explained anything. What is "
        "this 287g thing?",
        {"287g-basics", "287g-wyoming"},
    ),
]
LONG_STORIES_UNDERSTOOD = 5  # of 7: answered, or the right entry offered first as "did you mean"


def test_long_stories_ending_in_a_question(matcher):
    outcomes = []
    for story, expected in LONG_STORIES:
        result = matcher.match(story)
        outcomes.append((understood(result, expected), show(result)))
    good = sum(ok for ok, _ in outcomes)
    assert good >= LONG_STORIES_UNDERSTOOD, "\n".join(f"{ok}: {text}" for ok, text in outcomes)


# --------------------------------------------------------------------------- out of scope


@pytest.mark.parametrize(
    "query",
    [
        # weather
        "will it be sunny in cheyenne this weekend",
        "is it going to snow tomorrow",
        "va a llover mañana en casper",
        # recipes
        "how do i make guacamole",
        "best recipe for chocolate cake",
        "receta de tamales de pollo",
        # sports scores
        "who won the broncos game last night",
        offered_instead("what was the score of the world cup final", "deportation-order"),
        "quien gano el partido del america",
        # passports
        "how do I renew my passport",
        "my passport expired where do i get a new one",
        "como renuevo mi pasaporte mexicano",
        # other
        "what is the capital of france",
        "tell me a joke",
    ],
)
def test_out_of_scope_questions_fall_back(matcher, query):
    result = matcher.match(query)
    assert result.entry_id is None and not result.alternatives, show(result)


# --------------------------------------------------------------------------- language


@pytest.mark.parametrize(
    ("query", "lang"),
    [
        ("hola", "es"),
        ("thanks", "en"),
        ("gracias", "es"),
        ("hello", "en"),
        ("buenas tardes", "es"),
        ("what are my rights", "en"),
        ("cuales son mis derechos", "es"),  # no accents
        ("donde esta mi hijo", "es"),
        ("se llevaron a mi papa", "es"),
        ("tengo miedo", "es"),
        ("my son is in jail", "en"),
        ("they took my dad", "en"),
        ("¿Qué hago?", "es"),
        ("puedo grabar a la policia", "es"),
        ("can I film the cops", "en"),
    ],
)
def test_language_of_short_texts(matcher, query, lang):
    result = matcher.match(query)
    assert result.lang == lang, show(result)
    assert result.lang_confident


@pytest.mark.parametrize("query", ["no tengo papeles", "estoy sin papeles", "conozca sus derechos"])
def test_spanish_phrases_are_detected_as_spanish(matcher, query):
    # Lexicon phrases join these into one token ('undocumented', 'kyr'); the language must still be Spanish.
    assert matcher.match(query).lang == "es"


@pytest.mark.parametrize("query", ["287g", "ICE", "detainer"])
def test_language_neutral_words_are_not_confident(matcher, query):
    # No evidence either way: the caller's language (saved choice, app language) should decide.
    assert not matcher.match(query).lang_confident


def test_language_hint_decides_when_text_is_neutral(matcher):
    assert matcher.match("287g", lang_hint="en").lang == "en"
    assert matcher.match("287g", lang_hint="es").lang == "es"
    # A confident guess beats the hint.
    assert matcher.match("what are my rights", lang_hint="es").lang == "en"


# --------------------------------------------------------------------------- odd input


NOTHING_TO_MATCH = [
    "",
    "   \n\t  ",
    "😱🙏🚓",
    "👮\u200d♂️",
    "\x00",
    "\x00\x01\x02\x1b[31m",
    "?!?! ... ¿¡",
    "\ufeff",
    "ما هي حقوقي",
    "מה הזכויות שלי",
    "你好",
    "a" * 4096,
    "x" * 100_000,
]


@pytest.mark.parametrize("query", NOTHING_TO_MATCH, ids=lambda q: repr(q[:12]))
def test_odd_input_does_not_crash_and_matches_nothing(matcher, kb, query):
    start = time.perf_counter()
    result = matcher.match(query)
    assert time.perf_counter() - start < 1.0
    assert result.entry_id is None
    assert result.lang in kb.languages
    json.dumps(result.as_json())


@pytest.mark.parametrize(
    "query",
    [
        "what is a detainer\x00",
        "what\x07 is a\x1b detainer",
        "\u202bwhat is a detainer\u202c",
        "\u200bwhat is a \u200edetainer",
        ("what is a detainer " * 300)[:4096],
    ],
    ids=["nul", "control", "rtl-embedding", "zero-width", "4096-chars"],
)
def test_question_wrapped_in_junk_is_still_answered(matcher, query):
    start = time.perf_counter()
    result = matcher.match(query)
    assert time.perf_counter() - start < 1.0
    assert result.entry_id == "detainer-basics", show(result)


def test_conversation_cleans_direction_overrides(kb, matcher):
    # RTL override around reversed text, as sent by some keyboards or pranks: no crash, a normal reply.
    conv = Conversation(kb, matcher, store=MemoryStore())
    reply = send_text(conv, User(1), "\u202ewhat is a detainer\u202c")
    assert "detainer" in reply.text.lower()
    empty = send_text(conv, User(1), "\u202e\u202c\x00")
    assert empty is not None and empty.buttons  # the "type your question" fallback with topics


# --------------------------------------------------------------------------- result shape


@pytest.mark.parametrize("query", ["what is a detainer", "receta de tamales", "", "abogado", "xq me paran"])
def test_result_json_shape(matcher, kb, query):
    data = matcher.match(query).as_json()
    assert set(data) == {"query", "lang", "id", "score", "alternatives", "unsupported"}
    assert data["query"] == query
    assert data["lang"] in kb.languages
    assert data["id"] is None or data["id"] in kb.entries
    assert isinstance(data["score"], int | float) and 0 <= data["score"] <= 100
    assert isinstance(data["alternatives"], list)
    for alt in data["alternatives"]:
        assert set(alt) == {"id", "score"}
        assert alt["id"] in kb.entries and alt["id"] != data["id"]
        assert 0 <= alt["score"] <= 100
    assert json.loads(json.dumps(data, ensure_ascii=False)) == data


def test_alternatives_are_distinct_answerable_and_ranked(matcher, kb):
    result = matcher.match("detainer")
    ids = [a.id for a in result.alternatives]
    assert ids and len(ids) == len(set(ids)) <= 3
    assert all(kb.entries[i].answerable for i in ids)
    scores = [a.score for a in result.alternatives]
    assert scores == sorted(scores, reverse=True) and scores[0] <= result.score


@pytest.mark.parametrize(
    "query",
    [
        "do i hav to opn the dor for imigration",
        "detainer",
        "what is my name",
        "receta de tamales",
        "sheriff",
        "the polise stoped me on the rode what are my rigths",
        "tengo miedo",
    ],
)
def test_answer_or_did_you_mean_follows_the_score(matcher, query):
    """Whatever the thresholds are tuned to: answer at ANSWER_AT and up, "did you mean" (best entry first)
    between SUGGEST_AT and ANSWER_AT, plain fallback below."""
    result = matcher.match(query)
    if result.unsupported_id:
        assert result.entry_id is None and not result.alternatives
    elif result.entry_id is not None:
        assert result.score >= ANSWER_AT
    elif result.alternatives:
        assert SUGGEST_AT <= result.score < ANSWER_AT
        assert result.alternatives[0].score == result.score
    else:
        assert result.score < SUGGEST_AT


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("hola, que es un detainer", "detainer-basics"),
        ("buenas tardes, la migra esta en mi puerta que hago", "ice-at-door"),
        ("thanks! how do I contact the aclu", "contact-aclu"),
        ("hi", "greeting"),
        ("muchas gracias", "thanks"),
        ("thanks a lot", "thanks"),
    ],
)
def test_greetings_do_not_swallow_the_question(matcher, query, expected):
    result = matcher.match(query)
    assert understood(result, {expected}), show(result)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        # How people address the bot never turns thanks into an answer about a detained brother.
        ("gracias hermano", "thanks"),
        ("dios te bendiga hermana", "thanks"),
        ("thank you brother", "thanks"),
        ("gracias carnal", "thanks"),
        ("hola hermano", "greeting"),
        ("buenas tardes amigo", "greeting"),
        # ... while the same words in a question still count.
        ("detuvieron a mi hermano", "family-member-detained"),
        ("gracias, mi hermano sigue en la carcel con hold de ICE", "held-on-detainer"),
        ("hola, la migra se llevo a mi hermana", "family-member-detained"),
        # ... and so does a relative named with "mi" / "my", even with nothing else to say.
        ("hola, donde esta mi hermano?", "family-member-detained"),
        ("hi, what about my brother", "family-member-detained"),
        ("thanks, and my brother?", "family-member-detained"),
        # Typo repair does not hide a word of address ("maam" would become "mama").
        ("thank you maam", "thanks"),
    ],
)
def test_words_of_address_do_not_decide_small_talk(matcher, query, expected):
    """The expected entry is the answer, or the first "did you mean" option when the matcher is unsure."""
    assert understood(matcher.match(query), {expected}), show(matcher.match(query))
