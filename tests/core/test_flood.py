"""Flood protection driven through the conversation core: one 'slow down' note past a burst, silence after
it, and the newest message of the burst (the note's own included) answered once the sender pauses, in its
own language."""

from __future__ import annotations

import pytest

from bot.core.replies import Message
from testkit.chat import (
    CLOCK,
    CONV,
    assert_answer,
    fresh,
    plain,
    send_command,
    send_media,
    send_text,
)


# ---------------------------------------------------------------------- flood
def test_flood_gets_one_note_then_silence_then_normal_again():
    user, other = fresh("es"), fresh("en")
    burst = [send_text(CONV, user, "hola") for _ in range(3)]  # text, commands and photos all count
    burst += [send_command(CONV, user, "temas") for _ in range(3)] + [send_media(CONV, user) for _ in range(2)]
    assert all(r is not None and plain(r) and not plain(r).startswith("Está mandando") for r in burst)
    note = send_text(CONV, user, "¿Qué es un detainer?")
    assert plain(note).startswith("Está mandando mensajes muy rápido") and note.lang == "es"
    assert send_text(CONV, user, "¿Qué es un detainer?") is None
    assert send_command(CONV, user, "temas").text == "" and send_media(CONV, user).text == ""
    assert_answer(send_text(CONV, other, "What is an ICE detainer?"), "detainer-basics", "en")
    CLOCK.now += 10.0
    assert_answer(send_text(CONV, user, "¿Qué es un detainer de inmigración?"), "detainer-basics", "es")


@pytest.mark.parametrize(
    ("client_lang", "text", "lang", "note"),
    [
        ("en", "¿Qué es un detainer de inmigración?", "es", "Está mandando mensajes muy rápido"),
        ("es", "What is an ICE detainer?", "en", "You are sending messages very fast"),
    ],
)
def test_the_message_that_brings_the_note_is_held_and_answered_in_its_own_language(client_lang, text, lang, note):
    user = fresh(client_lang)  # the app speaks one language, the person writes in the other
    for _ in range(CONV.flood.burst):
        send_text(CONV, user, "hola" if lang == "es" else "hello")
    reply = CONV.handle(user, Message(text))
    assert plain(reply).startswith(note) and reply.lang == lang
    assert reply.hold is not None  # nothing a user sent is lost: the note's own message is answered later
    assert_answer(CONV.release(reply.hold), "detainer-basics", lang)
    assert CONV.release(reply.hold) is None  # once


def test_a_newer_message_supersedes_the_one_that_brought_the_note():
    user = fresh("en")
    for _ in range(CONV.flood.burst):
        send_text(CONV, user, "hello")
    first = CONV.handle(user, Message("What is 287(g)?"))
    second = CONV.handle(user, Message("What is an ICE detainer?"))
    assert first.hold is not None and second.hold is not None and not second.text
    assert CONV.release(first.hold) is None
    assert_answer(CONV.release(second.hold), "detainer-basics", "en")


def test_delete_drops_a_held_message_so_nothing_the_person_wrote_is_acted_on_afterwards():
    user = fresh("en")
    for _ in range(CONV.flood.burst):
        send_text(CONV, user, "hello")
    held = CONV.handle(user, Message("español"))  # brings the note, and is held
    assert held.hold is not None
    deleted = send_command(CONV, user, "delete")
    assert deleted.forget_user
    assert CONV.release(held.hold) is None  # not answered: the language is not chosen again
    assert CONV.store.get_language(user.id) is None


def test_the_note_for_a_spanish_command_is_in_spanish():
    user = fresh("en")
    for _ in range(CONV.flood.burst):
        send_text(CONV, user, "hello")
    note = send_command(CONV, user, "ayuda")
    assert plain(note).startswith("Está mandando mensajes muy rápido") and note.hold is not None
