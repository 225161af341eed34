"""Groups as Telegram really runs them, end to end against the Bot API double: privacy mode, captions,
forum topics, anonymous admins and channels posting in a group, a group upgraded to a supergroup, and
the bot being added to a group."""

from __future__ import annotations

import logging

import pytest

from bot.core.flood import FloodGuard
from testkit.botapi_double import BOT_USERNAME, BotApiDouble
from testkit.botapi_groups import (
    anonymous_admin_message,
    bot_added,
    channel_message,
    general_topic_message,
    mention,
    topic_message,
)
from testkit.harness import BotHarness, buttons_of, delivered, knowledge, text_of

GROUP = -1001234


def title(entry_id: str, lang: str = "en") -> str:
    return knowledge().entries[entry_id].text(lang).title


# ---------------------------------------------------------------------- 1. group privacy mode
@pytest.mark.parametrize("reads_all", [False, True], ids=["privacy-mode-on", "privacy-mode-off"])
async def test_privacy_mode_is_warned_at_start_and_group_help_says_how_to_ask(tmp_path, caplog, reads_all):
    caplog.set_level(logging.INFO)
    with BotApiDouble(can_read_all_group_messages=reads_all) as double:
        async with BotHarness(double, tmp_path) as bot:
            help_in_group = await bot.say(GROUP, f"/help@{BOT_USERNAME}", chat_type="supergroup", language_code="en")
            ayuda = await bot.say(GROUP - 1, "/ayuda", chat_type="group", language_code="es")
            help_in_private = await bot.say(501, "/help", language_code="en")
            asked = await bot.say(GROUP, "/delete", chat_type="supergroup")
    warned = [r for r in caplog.records if r.levelno == logging.WARNING and "privacy mode" in r.getMessage()]
    assert len(warned) == (0 if reads_all else 1)
    if warned:
        assert "/setprivacy" in warned[0].getMessage() and "admin" in warned[0].getMessage()
    text = text_of(help_in_group)
    assert "reply to one of my messages" in text
    assert (f"write @{BOT_USERNAME}" in text) == reads_all  # a mention only reaches a bot that reads all
    assert "responda a uno de mis mensajes" in text_of(ayuda)
    assert "reply to one of my messages" not in text_of(help_in_private)  # the group how-to is for groups
    # In a group the answer is a reply to the asker; without buttons, a selective force-reply prompt.
    for call in (help_in_group, asked):
        assert call.params["reply_parameters"]["message_id"] > 0
    markup = asked.params["reply_markup"]
    assert markup["force_reply"] is True and markup["selective"] is True
    assert 1 <= len(markup["input_field_placeholder"]) <= 64
    assert "reply_parameters" not in help_in_private.params


async def test_group_answers_reply_to_the_asker_so_follow_ups_reach_the_bot(bot, double):
    text, entities = mention(BOT_USERNAME, "what is a detainer")
    question = double.make_text_message(GROUP, text, chat_type="supergroup", entities=entities)
    asked_id = question["message"]["message_id"]
    answer = await bot.exchange(question)
    assert answer.params["reply_parameters"]["message_id"] == asked_id
    follow = await bot.say(GROUP, "what is 287g", chat_type="supergroup", reply_to_message=bot.message_id(answer))
    assert title("287g-basics") in text_of(follow)


# ---------------------------------------------------------------------- 2. questions in captions
async def test_a_caption_is_the_messages_text(bot, double):
    photo = await bot.exchange(double.make_non_text(601, "photo", caption="¿esto es una orden judicial?"))
    assert title("judicial-warrant", "es") in text_of(photo)
    assert text_of(photo).startswith("No puedo ver fotos")
    command = await bot.exchange(double.make_non_text(602, "document", caption="/urgente", language_code="en"))
    assert text_of(command).startswith("No puedo ver fotos") and "Escoja una opción" in text_of(command)
    voice = await bot.exchange(double.make_non_text(603, "voice", caption="what is an ICE detainer"))
    assert text_of(voice).startswith("I can't see pictures") and title("detainer-basics") in text_of(voice)
    # In a group: a caption that mentions the bot, or a command caption, is read; other captions are not.
    double.push_update(double.make_non_text(GROUP, "photo", chat_type="supergroup", caption="nice picture"))
    mentioned = double.make_non_text(GROUP, "photo", chat_type="supergroup", caption=f"@{BOT_USERNAME} what is 287g")
    reply = await bot.exchange(mentioned)
    assert title("287g-basics") in text_of(reply)
    reply = await bot.exchange(double.make_non_text(GROUP, "photo", chat_type="supergroup", caption="/topics"))
    assert "Choose a topic" in text_of(reply)
    double.push_update(double.make_non_text(GROUP, "photo", chat_type="supergroup", caption="/topics@other_bot"))
    await bot.idle()
    assert len(delivered(double, GROUP)) == 2
    # A picture without words still gets the kind note.
    bare = await bot.exchange(double.make_non_text(604, "photo", language_code="en"))
    assert "I can only read text messages" in text_of(bare)


# ---------------------------------------------------------------------- 4. forum topics
async def test_answers_stay_in_the_askers_forum_topic(bot, double):
    forum, topic = -1005550, 77
    answer = await bot.exchange(topic_message(double, forum, topic, "/topics"))
    assert answer.ok and answer.params["message_thread_id"] == topic
    # A question by reply in the topic, its edit, and a button pressed on the answer: all in the topic.
    asked = await bot.exchange(
        topic_message(double, forum, topic, "what is a detainer", reply_to_message=bot.message_id(answer))
    )
    assert asked.params["message_thread_id"] == topic and title("detainer-basics") in text_of(asked)
    edit = double.make_edited_message(forum, "what is 287g", message_id=asked.params["reply_parameters"]["message_id"])
    edit["edited_message"] |= {"message_thread_id": topic, "is_topic_message": True, "chat": answer.result["chat"]}
    edit["edited_message"]["reply_to_message"] = answer.result
    edited = await bot.exchange(edit)
    assert edited.params["message_thread_id"] == topic
    related = next(b for b in buttons_of(asked) if b.get("callback_data", "").startswith("a:"))
    pressed = await bot.press(forum, asked, related["callback_data"], "sendMessage")
    assert pressed.ok and pressed.params["message_thread_id"] == topic
    # In General, and in an ordinary supergroup's reply thread, no thread id is sent.
    general = await bot.exchange(general_topic_message(double, forum, "/help"))
    assert general.ok and "message_thread_id" not in general.params
    thread = double.make_text_message(GROUP, "/topics", chat_type="supergroup", message_thread_id=12)
    assert "message_thread_id" not in (await bot.exchange(thread)).params


# ---------------------------------------------------------------------- 8. shared sender identities
async def test_anonymous_admins_and_channels_are_told_apart_by_their_sender_chat(double, tmp_path):
    group_a, group_b, channel = -1007001, -1007002, -1007099
    async with BotHarness(double, tmp_path, flood=FloodGuard()) as bot:
        # Language: the menu replies to the admin's message; the admin's press carries their real id.
        menu = await bot.exchange(anonymous_admin_message(double, group_a, "/language"))
        await bot.press(group_a, menu, "L::es", "editMessageText", user_id=55501)
        assert "Escoja un tema" in text_of(await bot.exchange(anonymous_admin_message(double, group_a, "/topics")))
        assert "Choose a topic" in text_of(await bot.exchange(anonymous_admin_message(double, group_b, "/topics")))
        menu = await bot.exchange(channel_message(double, group_b, channel, "/idioma"))
        await bot.press(group_b, menu, "L::es", "editMessageText", user_id=55502)
        reply = await bot.exchange(channel_message(double, group_b, channel, "/topics"))
        assert "Escoja un tema" in text_of(reply)
        assert "Choose a topic" in text_of(await bot.exchange(anonymous_admin_message(double, group_b, "/topics")))
        # Flood budgets: one group's anonymous admins flooding does not silence another group's.
        for _ in range(12):
            double.push_update(anonymous_admin_message(double, group_a, "/topics"))
        await bot.wait_for("sendMessage", predicate=lambda c: "muy rápido" in c.params["text"])
        reply = await bot.exchange(anonymous_admin_message(double, group_b, "/help"))
        assert reply.params["chat_id"] == group_b and "very fast" not in text_of(reply)
    slowed = [c.params["chat_id"] for c in double.calls_of("sendMessage") if "muy rápido" in c.params["text"]]
    assert slowed == [group_a]


# ---------------------------------------------------------------------- 10. group upgraded to a supergroup
async def test_a_reply_to_a_group_that_became_a_supergroup_goes_to_the_new_chat(bot, double):
    old, new = -4242, -1004242
    first = await bot.say(old, "/topics", chat_type="group")
    double.migrate_chat(old, new)
    question = double.make_text_message(old, "what is a detainer", chat_type="group", reply_to_message=first.result)
    double.push_update(question)
    sent = await bot.wait_for("sendMessage", predicate=lambda c: c.params["chat_id"] == new)
    await bot.idle()
    assert title("detainer-basics") in text_of(sent[0])
    attempts = [c for c in double.calls_of("sendMessage") if c.params["chat_id"] in (old, new)]
    assert [(c.params["chat_id"], c.status) for c in attempts[1:]] == [(old, 400), (new, 200)]


# ---------------------------------------------------------------------- the bot added to a group
async def test_added_to_a_group_the_bot_says_how_to_ask_there(bot, double):
    intro = await bot.exchange(bot_added(double, -3001, by_user=11, language_code="es"))
    assert intro.params["chat_id"] == -3001
    assert "responda a uno de mis mensajes" in text_of(intro) and "/ayuda@" in text_of(intro)
    as_admin = await bot.exchange(bot_added(double, -1003002, 12, new="administrator", chat_type="supergroup"))
    assert f"@{BOT_USERNAME} and your question" in text_of(as_admin)
    # Promoted, removed, or a private chat blocking/unblocking the bot: nothing is said.
    double.push_update(bot_added(double, -3001, 11, old="member", new="administrator"))
    double.push_update(bot_added(double, -3001, 11, old="member", new="left"))
    double.push_update(bot_added(double, 3003, 3003, old="kicked", new="member", chat_type="private"))
    await bot.idle()
    assert len(double.calls_of("sendMessage")) == 2


async def test_a_how_to_that_could_not_be_posted_is_posted_when_the_bot_is_added_again(bot, double):
    """Added to a group whose members may not write (Telegram answers 400): nothing was posted, so when
    an admin fixes that and adds the bot again within the hour, the how-to is posted then."""
    double.fail_next("sendMessage", status=400, description="Bad Request: not enough rights to send text messages")
    double.push_update(bot_added(double, -3101, by_user=21))
    await bot.wait_for("sendMessage", 1)
    await bot.idle()
    double.push_update(bot_added(double, -3101, 21, old="member", new="left"))
    again = await bot.exchange(bot_added(double, -3101, by_user=21))
    assert again.params["chat_id"] == -3101 and "reply to one of my messages" in text_of(again)
    # Posted once: adding it again within the hour says nothing more.
    double.push_update(bot_added(double, -3101, 21, old="member", new="left"))
    double.push_update(bot_added(double, -3101, by_user=21))
    await bot.idle()
    assert [c.status for c in double.calls_of("sendMessage")] == [400, 200]
