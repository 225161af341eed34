"""End to end: the real python-telegram-bot Application against the Bot API double on 127.0.0.1."""

from __future__ import annotations

import pytest

from bot.i18n import format_day
from bot.screens.compose import STATEMENT_WITHIN
from testkit.botapi_double import BotApiDouble, html_to_plain
from testkit.chat import assert_stands_alone
from testkit.harness import BotHarness, button, buttons_of, knowledge, text_of

BOT = "kyr_test_bot"


def assert_within_limits(double: BotApiDouble) -> None:
    """What Telegram would refuse: over-long text, over-long callback data."""
    for method in ("sendMessage", "editMessageText"):
        for call in double.calls_of(method):
            assert 1 <= len(html_to_plain(call.params["text"])) <= 4096
            for row in (call.params.get("reply_markup") or {}).get("inline_keyboard", []):
                for b in row:
                    if "callback_data" in b:
                        assert 1 <= len(b["callback_data"].encode()) <= 64


async def test_start_sets_menus_and_welcomes_in_users_language(bot, double):
    # Menus and descriptions were set at start-up, in English (default) and Spanish.
    commands = double.calls_of("setMyCommands")
    assert {c.params.get("language_code") for c in commands} >= {None, "es"}
    es_menu = next(c for c in commands if c.params.get("language_code") == "es")
    assert "temas" in [c["command"] for c in es_menu.params["commands"]]
    assert any(c.params.get("language_code") == "es" for c in double.calls_of("setMyDescription"))
    assert any(c.params.get("language_code") == "es" for c in double.calls_of("setMyShortDescription"))

    reply = await bot.say(101, "/start", language_code="es-MX")
    assert "no es consejo legal" in text_of(reply)
    labels = [b["text"] for b in buttons_of(reply)]
    assert any("Urgente" in label for label in labels)
    assert "Acuerdos 287(g)" in labels

    reply = await bot.say(102, "/start", language_code="en")
    assert "not legal advice" in text_of(reply)
    assert_within_limits(double)


async def test_question_gets_self_contained_answer_with_buttons(bot, double):
    reply = await bot.say(201, "what is an ice detainer?", language_code="en")
    text = text_of(reply)
    entry = knowledge().entries["detainer-basics"]
    assert entry.text("en").title in text
    assert "Sources:" in text and f'<a href="{entry.sources[0].url}">' in reply.params["text"]
    assert f"Reviewed: {format_day(entry.reviewed, 'en')}" in text
    assert "aclu-wy.org" in text and "not legal advice" in text
    assert_stands_alone(reply.params["text"], "detainer-basics", "en")  # what a forwarded copy carries
    assert reply.params["parse_mode"] == "HTML"
    share = button(reply, "Share")
    assert share["switch_inline_query_chosen_chat"]["query"] == entry.text("en").title
    assert button(reply, "Español")["callback_data"] == "x:detainer-basics:es"
    related_titles = {knowledge().entries[r].text("en").label for r in entry.related}
    assert any(b["text"].lstrip("→ ") in related_titles for b in buttons_of(reply))


async def test_spanish_question_is_answered_in_spanish_whatever_the_app_language(bot):
    reply = await bot.say(202, "que hago si la migra toca mi puerta", language_code="en")
    text = text_of(reply)
    assert knowledge().entries["ice-at-door"].text("es").title in text
    assert f"Revisado el {format_day(knowledge().entries['ice-at-door'].reviewed, 'es')}" in text
    # The emergency answer still carries the English statement for the officer.
    assert "I do not consent" in text


async def test_other_language_button_edits_in_place(bot):
    reply = await bot.say(203, "what is an ice detainer", language_code="en")
    edit = await bot.press(203, reply, "x:detainer-basics:es", "editMessageText")
    assert edit.params["message_id"] == bot.message_id(reply)
    assert knowledge().entries["detainer-basics"].text("es").title in text_of(edit)
    assert button(edit, "English")["callback_data"] == "x:detainer-basics:en"


async def test_language_choice_is_remembered_across_restart(double, tmp_path):
    async with BotHarness(double, tmp_path) as bot:
        menu = await bot.say(301, "/language", language_code="en")
        assert [b["text"] for b in buttons_of(menu)] == ["English", "Español"]
        done = await bot.press(301, menu, "L::es", "editMessageText")
        assert "español" in text_of(done)
        chat_menus = await bot.wait_for(
            "setMyCommands", predicate=lambda c: (c.params.get("scope") or {}).get("chat_id") == 301
        )
        assert "temas" in [c["command"] for c in chat_menus[-1].params["commands"]]
    async with BotHarness(double, tmp_path) as bot:
        # A command says nothing about language: the saved choice decides.
        reply = await bot.say(301, "/topics", language_code="en")
        assert "Escoja un tema" in text_of(reply)
        # A question clearly in English is still answered in English.
        reply = await bot.say(301, "what is a judicial warrant", language_code="en")
        assert "Sources:" in text_of(reply)


async def test_deep_link_opens_entry_in_the_named_language(bot):
    reply = await bot.say(401, "/start 287g-basics_es", language_code="en")
    assert knowledge().entries["287g-basics"].text("es").title in text_of(reply)
    reply = await bot.say(401, "/start no-such-entry_xx", language_code="en")
    assert "does not open an answer" in text_of(reply)
    reply = await bot.say(401, "/start other-topics_en", language_code="en")
    assert "does not open an answer" in text_of(reply)
    # A payload that is not shaped like ours (an outreach flyer's tracking code): a plain welcome.
    for payload in ("a" * 300, "flyer2026", "qr-code", "fb_ad_3", "x_y_z"):
        reply = await bot.say(401, f"/start {payload}", language_code="en")
        assert "does not open an answer" not in text_of(reply), payload
        assert "Know your rights" in text_of(reply)


async def test_inline_query_lists_self_contained_answers(bot, double):
    answer = await bot.exchange(double.make_inline_query("detainer", user_id=501), "answerInlineQuery")
    results = answer.params["results"]
    assert 1 <= len(results) <= 50
    assert answer.params["is_personal"] is True
    first = results[0]
    assert first["id"].startswith("detainer-")
    content = html_to_plain(first["input_message_content"]["message_text"])
    assert "Sources:" in content and "aclu-wy.org" in content and "not legal advice" in content

    answer = await bot.exchange(double.make_inline_query("", user_id=502, language_code="es"), "answerInlineQuery")
    titles = [r["title"] for r in answer.params["results"]]
    assert knowledge().entries["detainer-basics"].text("es").title in titles
    assert len(titles) <= 50

    # The Share button's query brings the same answer up first.
    title = knowledge().entries["remain-silent"].text("es").title
    answer = await bot.exchange(double.make_inline_query(title, user_id=503), "answerInlineQuery")
    assert answer.params["results"][0]["id"] == "remain-silent_es"


async def test_groups_only_answer_when_addressed(bot, double):
    group = -1001
    double.push_update(double.make_text_message(group, "what is a detainer", chat_type="supergroup"))
    double.push_update(double.make_text_message(group, "/topics@other_bot", chat_type="supergroup"))
    await bot.idle()
    assert not [c for c in double.calls_of("sendMessage") if c.params["chat_id"] == group]

    mention = f"@{BOT} what is a detainer"
    entities = [{"type": "mention", "offset": 0, "length": len(BOT) + 1}]
    reply = await bot.say(group, mention, chat_type="supergroup", entities=entities)
    assert "Sources:" in text_of(reply)

    reply_to = bot.message_id(reply)
    follow = await bot.say(group, "y en español?", chat_type="supergroup", reply_to_message=reply_to)
    assert follow.params["chat_id"] == group

    reply = await bot.say(group, f"/topics@{BOT}", chat_type="supergroup")
    assert "Choose a topic" in text_of(reply)


async def test_non_text_messages_get_a_kind_note(bot, double):
    for kind in ("photo", "sticker", "voice", "location", "document"):
        reply = await bot.exchange(double.make_non_text(601, kind, language_code="es"))
        assert "Solo puedo leer mensajes de texto" in text_of(reply)


async def test_edited_message_is_answered_again(bot, double):
    first = await bot.say(602, "what is 287g", language_code="en")
    edited = await bot.exchange(double.make_edited_message(602, "how do i reach the aclu", language_code="en"))
    assert text_of(first) != text_of(edited)
    assert knowledge().entries["contact-aclu"].text("en").title in text_of(edited)


@pytest.mark.parametrize(
    "data",
    ["a:no-such-entry:en", "garbage", "", "x" * 64, "t:nope:en", "e:greeting:en", "a:detainer-basics:zz", "L::klingon"],
)
async def test_forged_or_stale_buttons_are_answered_not_crashed(bot, double, data):
    answered = await bot.exchange(double.make_callback(701, data, 5), "answerCallbackQuery")
    assert "out of date" in answered.params.get("text", "")
    reply = await bot.say(701, "what is a detainer")  # still answering
    assert "Sources:" in text_of(reply)


async def test_topics_browse_and_emergency_screens(bot):
    menu = await bot.say(801, "/temas", language_code="es")
    assert "Escoja un tema" in text_of(menu)
    group = await bot.press(801, menu, "t:detainers:es", "editMessageText")
    labels = [b["text"] for b in buttons_of(group)]
    assert knowledge().entries["detainer-basics"].text("es").label in labels

    emergency = await bot.say(802, "/emergency", language_code="en")
    situations = [f"e:{e}:en" for e in knowledge().emergency]
    # then the rights card and the help menu
    assert [b["callback_data"] for b in buttons_of(emergency)] == [*situations, "C::en", "t::en"]
    assert knowledge().officer_card.statement in text_of(emergency)  # the officer card at once, no extra tap
    screen = await bot.press(802, emergency, "e:arrested-by-ice:en", "sendMessage")
    text = text_of(screen)
    card = knowledge().officer_card
    statement = knowledge().entries["arrested-by-ice"].officer_statement
    first = text.split("\n\n")[1]  # right under the title: the officer card, then what it means
    assert card.statement in first and statement in first and card.explanation["en"].strip() in first
    assert text.index(card.statement) < STATEMENT_WITHIN

    other = await bot.press(802, screen, button(screen, "Español")["callback_data"], "editMessageText")
    first = text_of(other).split("\n\n")[1]  # the Spanish screen: English, then what it means
    assert "(en inglés)" in first and card.statement in first and statement in first
    assert first.index(statement) < first.index(knowledge().entries["arrested-by-ice"].officer_meaning["es"])

    screen = await bot.press(803, emergency, "e:stopped-public:es", "sendMessage")
    first = text_of(screen).split("\n\n")[1]
    assert "(en inglés)" in first and knowledge().entries["stopped-public"].officer_statement in first


async def test_content_commands_and_delete(bot):
    for command, entry_id in (("/contact", "contact-aclu"), ("/about", "about-bot"), ("/privacy", "privacy")):
        reply = await bot.say(901, command, language_code="en")
        assert knowledge().entries[entry_id].text("en").title in text_of(reply)
    reply = await bot.say(901, "/ayuda", language_code="es")
    assert "/temas" in text_of(reply)

    menu = await bot.say(902, "/idioma")
    await bot.press(902, menu, "L::es", "editMessageText")
    assert bot.store.get_language(902) == "es"
    reply = await bot.say(902, "/borrar")
    assert "Borré todo" in text_of(reply)
    assert bot.store.get_language(902) is None
    reset = await bot.wait_for(
        "deleteMyCommands", predicate=lambda c: (c.params.get("scope") or {}).get("chat_id") == 902
    )
    assert reset
    reply = await bot.say(902, "/delete")
    assert "nothing stored" in text_of(reply)


async def test_unsure_and_unknown_questions(bot):
    reply = await bot.say(1001, "what's the best pizza topping?", language_code="en")
    text = text_of(reply)
    assert "don't have an answer" in text or "outside what I know" in text
    assert "aclu-wy.org" in text
    assert len(buttons_of(reply)) >= 3  # the topic menu

    reply = await bot.say(1002, "hi", language_code="en")
    assert "Sources:" not in text_of(reply) and len(text_of(reply)) < 300


async def test_html_in_questions_is_never_interpreted(bot, double):
    reply = await bot.say(1101, "<b>detainer</b> & <i>hold</i> *bold* `x`", language_code="en")
    assert reply.params["parse_mode"] == "HTML"
    assert_within_limits(double)
    reply = await bot.say(1102, "</b><script>alert(1)</script>", language_code="en")
    assert "<script>" not in reply.params["text"]


async def test_each_chat_in_order_while_other_chats_are_not_kept_waiting(bot, double):
    kb = knowledge()
    double.delay_next("sendMessage", 0.6)  # the first reply is slow to reach Telegram
    questions = ["what is an ice detainer", "what is 287g", "how do i reach the aclu"]
    for q in questions:
        double.push_update(double.make_text_message(1201, q, language_code="en"))
    other = await bot.say(1202, "what is a judicial warrant", language_code="en")
    # The other chat was answered while the first chat's slow reply was still on its way.
    first_chat = [c for c in double.calls_of("sendMessage") if c.params["chat_id"] == 1201]
    assert len(first_chat) <= 1 and "Sources:" in text_of(other)
    replies = await bot.wait_for("sendMessage", 3, predicate=lambda c: c.params["chat_id"] == 1201)
    titles = [kb.entries[e].text("en").title for e in ("detainer-basics", "287g-basics", "contact-aclu")]
    assert [t in text_of(r) for r, t in zip(replies, titles, strict=True)] == [True, True, True]
