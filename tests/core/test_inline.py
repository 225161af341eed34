"""Inline mode (@bot question) driven through the conversation core: what the results offer, in which
language, and that each stands alone once sent into a chat."""

from __future__ import annotations

import pytest

from bot.core.conversation import Conversation
from bot.core.preferences import MemoryStore
from bot.screens.compose import to_plain
from testkit.chat import (
    CONV,
    KB,
    LANGS,
    assert_answer,
    assert_stands_alone,
    button,
    fresh,
    plain,
    send_command,
    send_text,
    title,
    ui,
)
from testkit.harness import shared_matcher


def _named(conv: Conversation, username: str) -> Conversation:
    """``conv`` once the channel has told it the bot's username."""
    conv.set_identity(username)
    return conv


# ---------------------------------------------------------------------- inline mode
def entry_of(result) -> tuple[str, str]:
    """(entry id, language) an inline result stands for, from its id (the deep-link payload)."""
    eid, lang = result.id.rsplit("_", 1)
    return eid, lang


def assert_full_answer(result) -> None:
    """An inline result: the answer's first screen (title, the statement for a crisis entry, the gist,
    sources, date, help), which stands alone once sent into a chat; the details are in the bot."""
    eid, lang = entry_of(result)
    assert result.title == title(eid, lang)
    assert_stands_alone(result.text, eid, lang)
    assert all(f'<a href="{s.url}">' in result.text for s in KB.entries[eid].sources)
    assert len(to_plain(result.text)) < len(to_plain(CONV.views.chat(KB.entries[eid], lang)))  # the first screen


def assert_inline_card(result, lang: str) -> None:
    """The rights card as an inline photo result: sent by the uploaded picture's key, with its caption."""
    assert (result.id, result.title, result.text) == (f"card_{lang}", ui("card", lang), "")
    assert result.photo_key == CONV.screens.card(lang).photo.key and not result.buttons
    assert result.caption == KB.card.text(lang).caption and result.description == KB.card.text(lang).heading


@pytest.mark.parametrize("lang", LANGS)
def test_inline_empty_query_offers_the_card_then_the_topic_entries(lang):
    card, *results = CONV.inline_answers(fresh(lang), "   ")
    assert_inline_card(card, lang)
    assert [r.title for r in results] == [title(e, lang) for g in KB.topics for e in g.entry_ids]
    for r in results:
        assert_full_answer(r)


@pytest.mark.parametrize(
    ("query", "lang"),
    [("card", "en"), ("rights cards", "en"), ("my red card", "en"), ("tarjeta", "es"), ("tarjetas de derechos", "es")],
)
def test_inline_query_naming_the_card_starts_with_the_card(query, lang):
    card, *results = CONV.inline_answers(fresh("en"), query)
    assert_inline_card(card, lang)  # in the query's language when it is clear ('tarjeta': Spanish)
    ranked = [a.id for a in CONV.matcher.match(query, lang_hint="en").ranking if KB.entries[a.id].kind == "answer"]
    assert [entry_of(r) for r in results] == [(e, lang) for e in ranked]  # then the answers, as before
    for r in results:
        assert_full_answer(r)


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("red card", "en"),
        ("where can i get a red card", "en"),
        ("tarjeta roja", "es"),
        ("quiero la tarjeta roja", "es"),
        ("donde consigo la tarjeta roja", "es"),
    ],
)
def test_a_message_asking_for_the_red_card_gets_the_card(text, lang):
    # It used to get "did you mean" (rumors first) or the fallback: the card is what they asked for.
    reply = send_text(CONV, fresh(lang), text)
    assert reply.photo is not None and reply.lang == lang
    assert reply.photo.png == send_command(CONV, fresh(lang), "card").photo.png


@pytest.mark.parametrize(
    ("text", "not_card"),
    [
        ("how do I get a green card", "immigration-applications"),  # papers, not the rights card
        ("where can i buy the red cards", "red-cards-for-sale"),  # the claim that they are sold
        ("tarjeta roja, la migra esta aqui afuera", "emergency"),  # agents here now: the emergency screen
    ],
)
def test_the_card_words_do_not_take_other_messages(text, not_card):
    decision = CONV.understand(text, "en")
    assert decision.route != "card"
    assert not_card in (decision.route, decision.claim_id, decision.unsupported_id, decision.entry_id)


@pytest.mark.parametrize(
    "text", ["police want my card", "officer show me your card", "necesito una tarjeta", "mi tarjeta"]
)
def test_a_card_that_may_be_an_id_is_not_taken_for_the_rights_card(text):
    # Typed without saying which card ("red", "derechos"), it may be an ID or a work permit (from a review).
    assert CONV.understand(text, "en").route != "card"


@pytest.mark.parametrize(
    ("query", "first"),
    # Both detainer entries fit "ice hold jail": the learned ranker puts the one about a person held in jail on
    # an ICE hold first (the general "what is a detainer" answer comes second).
    [("what do I do if ICE knocks on my door", "ice-at-door"), ("ice hold jail", "held-on-detainer")]
    + [(q, None) for q in ("hello", "gracias", "green card application", "taxes", "ICE " * 200)],
)
def test_inline_query_gives_ranked_full_answers_only(query, first):
    results = CONV.inline_answers(fresh("en"), query)
    # 'green card application' is about papers, not the rights card: no card result
    assert all(r.photo_key is None for r in results)
    assert len(results) <= 50 and len({r.id for r in results}) == len(results)
    assert not first or entry_of(results[0]) == (first, "en")
    for r in results:
        assert KB.entries[entry_of(r)[0]].kind == "answer"  # never unsupported or small talk
        assert_full_answer(r)


@pytest.mark.parametrize("lang", LANGS)
def test_share_button_brings_up_that_answer_first(lang):
    # Share puts the title in the inline query; from an English user an exact Spanish title gives Spanish results:
    # that answer, then whatever else the matcher ranks for the title (the learned ranker may list nothing else).
    share = button(send_command(CONV, fresh(lang), "start", f"ice-at-door_{lang}"), "📤").share
    results = CONV.inline_answers(fresh("en"), share)
    ranked = [a.id for a in CONV.matcher.match(share, lang_hint="en").ranking if a.id != "ice-at-door"]
    assert [entry_of(r) for r in results] == [("ice-at-door", lang), *((e, lang) for e in ranked)]


def test_links_in_answers_open_the_same_answer():
    conv = _named(Conversation(KB, shared_matcher(), MemoryStore()), "kyr_test_bot")
    answer = send_command(conv, fresh("en"), "start", "ice-at-door_es")
    assert_answer(answer, "ice-at-door", "es")
    for result in conv.inline_answers(fresh("es"), "la migra en mi puerta"):
        (link,) = [b for row in result.buttons for b in row]
        assert link.label == "Abrir en el bot" and link.url.startswith("https://t.me/kyr_test_bot?start=")
        # The result's text links to the full answer too (a button does not travel with a forward).
        assert f'<a href="{link.url}">' in result.text
        full = send_command(conv, fresh("en"), "start", link.url.split("=", 1)[1])
        assert full.text.startswith(result.text.split("\n\n")[0]) and len(plain(full)) >= len(plain(result))
