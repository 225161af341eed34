"""Messages that are not questions, driven through the conversation core (no Telegram): cries for help and
agents here now (the emergency path), requests for a language, small talk, "delete what I sent", "are you a
lawyer", the legal-review record, and ``kyr-bot match --json``'s route for each line."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bot.core.conversation import Conversation
from bot.core.preferences import MemoryStore
from bot.knowledge import load_knowledge
from testkit.chat import (
    CONV,
    KB,
    LANGS,
    OTHER,
    assert_answer,
    assert_emergency_menu,
    assert_emergency_screen,
    fresh,
    labels,
    plain,
    press,
    send_command,
    send_text,
    ui,
)
from testkit.harness import shared_matcher
from testkit.paths import ROOT

KYR_BOT = str(Path(sys.executable).with_name("kyr-bot"))
QUESTION = {"en": "What is an ICE detainer?", "es": "¿Qué es un detainer de inmigración?"}  # detainer-basics


def help_screen(lang: str) -> str:
    return plain(send_command(CONV, fresh(lang), "help"))


# ---------------------------------------------------------------------- the emergency path
CRIES = {  # a cry for help with no topic, in the language the screen must be in
    "es": ["ayuda", "AYUDA!!", "¡¡Ayúdenme!!", "ayudame por favor", "Auxilio", "auxilio por favor", "socorro!"]
    + ["SOS", "emergencia", "ayuda ya", "ayudaaa", "socoro", "auxilioooo", "ayudenmeee por favor", "emergencias"],
    "en": ["help", "HELP!!!", "Help me please", "help us now", "SOS!!", "sos sos", "emergency", "urgent", "s.o.s"]
    + ["S.O.S.", "heeelp", "HELP MEEE"],
}  # repeated letters, dotted letters and one slip in a help word of 5+ letters ('socoro') still count


@pytest.mark.parametrize(("text", "lang"), [(t, lang) for lang, texts in CRIES.items() for t in texts])
def test_a_cry_for_help_gets_the_emergency_screen_at_once(text, lang):
    user = fresh(lang)
    reply = send_text(CONV, user, text)
    assert_emergency_menu(reply, lang)  # the officer card at once, the situations and Topics
    assert_emergency_screen(press(user, reply, KB.entries["ice-at-door"].text(lang).label), "ice-at-door", lang)


@pytest.mark.parametrize(("text", "lang"), [("ayuda", "es"), ("¡Ayúdenme!", "es"), ("help me please", "en")])
def test_a_cry_for_help_in_a_clear_language_beats_the_app_language(text, lang):
    assert_emergency_menu(send_text(CONV, fresh(OTHER[lang]), text), lang)


DOOR, ANY = "ice-at-door", None
HERE_NOW = [  # agents here now: the door's screen when the message says they are at the door or the house
    ("la migra está afuera de mi casa", "es", DOOR),  # (the matcher knows that situation), else the emergency
    ("LA MIGRA ESTA AFUERA DE MI CASA", "es", DOOR),  # screen or any situation's emergency screen
    ("la policia esta en mi puerta", "es", DOOR),
    ("Están tocando la puerta!", "es", DOOR),
    ("ICE is outside my house", "en", DOOR),
    ("ice outside my house right now!!", "en", DOOR),
    ("police at my door right now", "en", DOOR),
    ("help theyre at my door", "en", DOOR),
    ("help they're at my door", "en", DOOR),
    ("están aquí afuera", "es", ANY),
    ("estan aqui afuera!!", "es", ANY),
    ("están aquí", "es", ANY),
    ("they are here", "en", ANY),
    ("theyre here!!", "en", ANY),
    ("ICE is here", "en", ANY),
    ("la migra está aquí", "es", ANY),
    ("ya llegaron", "es", ANY),
    ("ICE is already here", "en", ANY),
    ("help they’re here", "en", ANY),  # a typographic apostrophe
]


@pytest.mark.parametrize(("text", "lang", "eid"), HERE_NOW)
def test_agents_here_now_get_the_emergency_path(text, lang, eid):
    reply = send_text(CONV, fresh(lang), text)
    if eid is not None:
        assert_emergency_screen(reply, eid, lang)
    elif plain(reply).startswith(ui("sos heading", lang)):
        assert_emergency_menu(reply, lang)
    else:  # a situation's emergency screen (an ordinary answer does not end with the officer card)
        shown = [e for e in KB.emergency if plain(reply).startswith(KB.entries[e].text(lang).title + "\n")]
        assert shown, plain(reply)[:80]
        assert_emergency_screen(reply, shown[0], lang)


@pytest.mark.parametrize(("command", "lang"), [("ayuda", "es"), ("help", "en"), ("help", "es")])
def test_help_commands_stay_help(command, lang):
    reply = send_command(CONV, fresh(lang), command)
    assert plain(reply) == help_screen(lang) and ui("officer", lang) not in plain(reply)
    assert labels(reply)[0] == ui("emergency", lang)


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("ayuda con mi caso de asilo", "es"),
        ("necesito ayuda con mis taxes", "es"),
        ("help me with my taxes", "en"),
        ("can you help me understand 287g", "en"),
        ("I need help finding a lawyer", "en"),
    ],
)
def test_asking_for_help_with_something_is_not_an_emergency(text, lang):
    text_shown = plain(send_text(CONV, fresh(lang), text))
    assert not text_shown.startswith(ui("sos heading", lang)) and ui("officer", lang) not in text_shown


# ---------------------------------------------------------------------- language requests
LANGUAGE_REQUESTS = [
    *(("en", t) for t in ["in english pls", "In English please!", "english?", "ingles", "inglés", "habla ingles?"]),
    *(("en", t) for t in ["¿Habla inglés?", "speak english plz", "can you answer in english"]),
    *(("es", t) for t in ["en español por favor", "en espanol porfa", "can you speak spanish?", "Español!!"]),
    *(("es", t) for t in ["hablame en español", "spanish please", "in spanish", "espanol"]),
]


@pytest.mark.parametrize(("lang", "text"), LANGUAGE_REQUESTS)
def test_language_request_without_an_answer_before_confirms_in_the_new_language(lang, text):
    user = fresh(OTHER[lang])
    reply = send_text(CONV, user, text)
    assert plain(reply).startswith(ui("language set", lang)) and reply.lang == lang and reply.language_changed
    assert plain(send_command(CONV, user, "help")) == help_screen(lang)  # saved


@pytest.mark.parametrize(("lang", "text"), LANGUAGE_REQUESTS)
def test_language_request_after_an_answer_shows_that_answer_again_in_the_new_language(lang, text):
    user = fresh(OTHER[lang])
    assert_answer(send_text(CONV, user, QUESTION[OTHER[lang]]), "detainer-basics", OTHER[lang])
    send_text(CONV, user, {"en": "hello", "es": "hola"}[OTHER[lang]])  # small talk is not an answer to re-show
    again = send_text(CONV, user, text)
    assert_answer(again, "detainer-basics", lang)
    assert again.language_changed and plain(send_command(CONV, user, "help")) == help_screen(lang)


@pytest.mark.parametrize(("lang", "text"), [("es", "en español por favor"), ("en", "in english pls")])
def test_language_request_re_shows_the_last_answer_opened_by_a_button(lang, text):
    user = fresh(OTHER[lang])
    answer = send_text(CONV, user, QUESTION[OTHER[lang]])
    related = KB.entries["detainer-basics"].related[0]
    press(user, answer, KB.entries[related].text(OTHER[lang]).label)
    assert_answer(send_text(CONV, user, text), related, lang)


@pytest.mark.parametrize(("lang", "text"), [("es", "en español por favor"), ("en", "in english pls")])
def test_language_request_re_shows_an_emergency_screen_or_a_shared_answer_opened_last(lang, text):
    # From an operator's trial: an emergency button and a shared answer's "open in the bot" link were not
    # remembered, so the language request showed an older, unrelated answer (or only the language menu).
    other = OTHER[lang]
    user = fresh(other)
    send_text(CONV, user, QUESTION[other])  # an answer first: without the fix, it came back instead
    menu = send_command(CONV, user, "emergency")
    situation = next(iter(KB.emergency))
    press(user, menu, KB.entries[situation].text(other).label)
    assert_answer(send_text(CONV, user, text), situation, lang)
    user = fresh(other)
    send_command(CONV, user, "start", f"ice-at-door_{other}")
    assert_answer(send_text(CONV, user, text), "ice-at-door", lang)


def test_a_language_request_in_a_group_never_brings_up_an_answer_read_in_private():
    # From a review: "en español" in a group re-showed, for everyone there, what that person had opened in
    # private (a shared answer's link about a deportation order).
    from dataclasses import replace

    user = fresh("en")
    send_command(CONV, user, "start", "deportation-order_en")
    in_group = replace(user, in_group=True)
    reply = send_text(CONV, in_group, "en español por favor")
    assert KB.entries["deportation-order"].text("es").title not in plain(reply)
    assert plain(reply).startswith(ui("language set", "es"))


@pytest.mark.parametrize(("delete", "lang", "text"), [("delete", "es", "en español"), ("borrar", "en", "in english")])
def test_delete_forgets_the_remembered_answer_too(delete, lang, text):
    user = fresh(OTHER[lang])
    send_text(CONV, user, QUESTION[OTHER[lang]])
    send_command(CONV, user, delete)
    assert plain(send_text(CONV, user, text)).startswith(ui("language set", lang))


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("can I get an interpreter in spanish at court", "en"),
        ("puedo tener un intérprete en español en la corte", "es"),
        ("no hablo inglés", "es"),  # "I don't speak English": certainly not "switch to English"
        ("my mom only speaks spanish, what are her rights", "en"),
    ],
)
def test_a_question_that_mentions_a_language_is_not_a_language_request(text, lang):
    user = fresh(lang)
    reply = send_text(CONV, user, text)
    assert not reply.language_changed
    assert not plain(reply).startswith((ui("language set", "en"), ui("language set", "es")))
    assert plain(send_command(CONV, user, "help")) == help_screen(lang)  # nothing saved


# ---------------------------------------------------------------------- small talk
@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("hola estas ahi?", "es"),
        ("Hola, ¿está ahí?", "es"),
        ("alguien ahi??", "es"),
        ("por favor responda", "es"),
        ("responda porfa", "es"),
        ("contesta por favor", "es"),  # only small-talk words: the greeting even though the matcher offers
        ("answer me please", "en"),  # an answer (remain-silent) for 'contesta' / 'answer'
        ("are you there?", "en"),
        ("hello??", "en"),
        ("hello? anyone there?", "en"),
        ("hey are you there", "en"),
        # Announcing a question, with or without a word of address: the greeting asks for it.
        ("tengo una pregunta", "es"),
        ("hermano, una pregunta", "es"),
        ("i have a question", "en"),  # (the matcher alone answered remain-silent)
        ("brother i have a question", "en"),
    ],
)
def test_small_talk_gets_the_greeting_not_a_fallback(text, lang):
    reply = send_text(CONV, fresh(lang), text)
    assert plain(reply).strip() == KB.entries["greeting"].text(lang).answer.strip() and reply.lang == lang
    assert labels(reply) == [ui("topics", lang), ui("emergency", lang)]


# ---------------------------------------------------------------------- "delete what I sent", "are you a lawyer"
DELETE_REQUESTS = [
    ("borra lo que te mandé", "es"),
    ("borra lo que te mande", "es"),
    ("borra mis mensajes", "es"),
    ("delete my messages", "en"),
    ("erase my messages", "en"),
]
DELETE_ONCE_MISSED = [("borra todo lo que te escribí", "es"), ("delete what I sent you", "en")]  # fixed by the ranker


@pytest.mark.parametrize(("text", "lang"), DELETE_REQUESTS + DELETE_ONCE_MISSED)
def test_typing_delete_never_deletes_anything_by_itself(text, lang):
    user = fresh(OTHER[lang])
    press(user, send_command(CONV, user, "language"), ui("language", lang))  # the choice saved before
    reply = send_text(CONV, user, text)
    assert not reply.forget_user and not plain(reply).startswith(ui("deleted", lang))
    assert plain(send_command(CONV, user, "help")) == help_screen(lang)  # the choice is still there


@pytest.mark.parametrize(("text", "lang"), DELETE_REQUESTS + DELETE_ONCE_MISSED)
def test_typing_delete_gets_the_privacy_answer_with_its_delete_button(text, lang):
    user = fresh(lang)
    reply = send_text(CONV, user, text)
    if plain(reply).startswith((ui("unsure", lang), ui("likely", lang))):  # "did you mean", privacy first
        assert labels(reply)[0] == KB.entries["privacy"].text(lang).label
        reply = press(user, reply, labels(reply)[0])
    assert_answer(reply, "privacy", lang)
    assert ui("delete button", lang) in labels(reply)


@pytest.mark.parametrize(
    ("text", "lang", "unsure_ok"),
    [
        ("¿eres un abogado de verdad o un robot?", "es", False),
        ("eres abogado de verdad?", "es", False),
        ("are you a real lawyer or a bot", "en", False),
        ("are you a lawyer or a robot", "en", False),
        # the lexical matcher gave find-lawyer; since the nearest-text signal the matcher is unsure of these
        ("are you a real lawyer?", "en", True),
        ("r u a real lawyer", "en", True),
    ],
)
def test_are_you_a_lawyer_gets_the_about_answer(text, lang, unsure_ok):
    """Never the find-a-lawyer answer: the about answer, or, where the calibrated matcher is unsure,
    "did you mean" with the about answer first."""
    user = fresh(lang)
    reply = send_text(CONV, user, text)
    if unsure_ok and plain(reply).startswith((ui("unsure", lang), ui("likely", lang))):
        assert labels(reply)[0] == KB.entries["about-bot"].text(lang).label
        reply = press(user, reply, labels(reply)[0])
    assert_answer(reply, "about-bot", lang)


# ---------------------------------------------------------------------- the legal-review record
REVIEWER = "Jane Doe, Example Legal Aid"
ON_RECORD = {
    "en": f"A legal review of these answers is on record: {REVIEWER}, January 15, 2027.",
    "es": f"Hay constancia de una revisión legal de estas respuestas: {REVIEWER}, 15 de enero de 2027.",
}
NO_REVIEW = {
    "en": "No lawyer has reviewed these answers, and neither has the ACLU.",
    "es": "Ningún abogado ha revisado estas respuestas, y la ACLU tampoco.",
}
ENTRY_REVIEW = {
    "en": f"Legal review: {REVIEWER}, January 15, 2027",
    "es": f"Revisión legal: {REVIEWER}, 15 de enero de 2027",
}
RECORD = f'legal_review: {{by: "{REVIEWER}", date: 2027-01-15}}\n'


def about(conv: Conversation, lang: str) -> str:
    return plain(send_command(conv, fresh(lang), {"en": "about", "es": "acerca"}[lang]))


def conversation_on(kb_dir: Path) -> Conversation:
    return Conversation(load_knowledge(kb_dir), shared_matcher(), MemoryStore())  # commands only: same entries


@pytest.mark.parametrize("lang", LANGS)
def test_without_a_legal_review_about_says_so_plainly(lang):
    text = about(CONV, lang)
    assert NO_REVIEW[lang] in text and ON_RECORD[lang] not in text
    legal_lines = (ENTRY_REVIEW["en"].split(":")[0] + ":", ENTRY_REVIEW["es"].split(":")[0] + ":")
    for eid in KB.entries:  # no answer claims a legal review that is not on record
        answer = plain(CONV.handle_callback(fresh(lang), f"a:{eid}:{lang}"))
        assert not [line for line in answer.splitlines() if line.startswith(legal_lines)], eid


@pytest.fixture(scope="module")
def reviewed_kb(tmp_path_factory) -> Conversation:
    kb_dir = tmp_path_factory.mktemp("kb") / "knowledge"
    shutil.copytree(ROOT / "knowledge", kb_dir)
    with (kb_dir / "settings.yaml").open("a") as f:
        f.write("\n" + RECORD)
    about_file = kb_dir / "entries" / "about-bot.yaml"
    about_file.write_text(about_file.read_text().replace("reviewed:", RECORD + "reviewed:", 1))
    return conversation_on(kb_dir)


@pytest.mark.parametrize("lang", LANGS)
def test_a_recorded_legal_review_is_named_in_about(reviewed_kb, lang):
    text = about(reviewed_kb, lang)
    assert ON_RECORD[lang] in text and NO_REVIEW[lang] not in text
    lines = text.splitlines()
    reviewed = next(i for i, line in enumerate(lines) if line.startswith(("Reviewed: ", "Revisado el ")))
    assert lines[reviewed + 1] == ENTRY_REVIEW[lang]  # the entry's own record, right under its review date
    other = plain(send_command(reviewed_kb, fresh(lang), {"en": "privacy", "es": "privacidad"}[lang]))
    assert ENTRY_REVIEW[lang] not in other  # only the entry that records it


# ---------------------------------------------------------------------- kyr-bot match --json
def test_match_json_gives_a_route_for_every_line():
    lines = ["ayuda", "", "in english pls", "hola estas ahi", "   ", "what is an ice detainer", "xyzzy plugh"]
    done = subprocess.run(
        [KYR_BOT, "match", "--json"], input="\n".join(lines) + "\n", capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    records = [json.loads(line) for line in done.stdout.splitlines()]
    assert [r["query"] for r in records] == lines  # one record per input line, blank lines included
    routes = {"answer", "did_you_mean", "fallback", "emergency", "language", "smalltalk"}
    assert all(r["route"] in routes and "unsupported" in r for r in records)
    by_query = {r["query"]: r for r in records}
    assert by_query["ayuda"]["route"] == "emergency"
    assert (by_query["in english pls"]["route"], by_query["in english pls"]["lang"]) == ("language", "en")
    assert by_query["hola estas ahi"]["route"] == "smalltalk"
    detainer = by_query["what is an ice detainer"]
    assert (detainer["route"], detainer["id"], detainer["unsupported"]) == ("answer", "detainer-basics", None)
    assert by_query[""]["route"] == by_query["   "]["route"] == by_query["xyzzy plugh"]["route"] == "fallback"
