"""End to end through the Bot API double: a half-understood question gets "did you mean" with short buttons,
"none of these" leads to how to reach a person, and fear gets a calm answer with the emergency button."""

from __future__ import annotations

from testkit.harness import buttons_of, knowledge, text_of

UNSURE = "que papel necesitan para entrar?"  # which paper, to enter where: half understood


async def test_did_you_mean_buttons_open_an_answer_and_none_of_these_leads_to_help(bot):
    kb = knowledge()
    reply = await bot.say(4101, UNSURE, language_code="es")
    assert text_of(reply).startswith("No estoy seguro de haberle entendido.")
    buttons = buttons_of(reply)
    options, none, sos = buttons[:-2], buttons[-2], buttons[-1]
    assert 1 <= len(options) <= 3 and all(len(b["text"]) <= 32 for b in options)
    assert any(b["callback_data"] == "a:judicial-warrant:es" for b in options)
    assert (none["text"], none["callback_data"]) == ("Ninguna de estas", "N::es")
    assert sos["callback_data"] == "e::es"

    opened = await bot.press(4101, reply, "a:judicial-warrant:es", "sendMessage")
    assert text_of(opened).startswith(kb.entries["judicial-warrant"].text("es").title)

    help_screen = await bot.press(4101, reply, none["callback_data"], "sendMessage")
    text = text_of(help_screen)
    assert text.startswith("Lo siento, no lo encontré.")
    assert kb.contacts.values["aclu_phone"] in text and kb.contacts.values["aclu_website_short"] in text
    topics = [b["callback_data"] for b in buttons_of(help_screen)]
    assert [f"t:{g.id}:es" for g in kb.topics] == topics[: len(kb.topics)] and topics[-1] == "e::es"


async def test_fear_gets_a_calm_next_step_with_the_emergency_and_topic_buttons(bot):
    kb = knowledge()
    for chat, text, lang in ((4102, "tengo mucho miedo", "es"), (4103, "i am so scared", "en")):
        reply = await bot.say(chat, text, language_code=lang)
        assert text_of(reply).startswith(kb.entries["feeling-scared"].text(lang).title)
        data = [b.get("callback_data") for b in buttons_of(reply)]
        assert f"e::{lang}" in data and f"t::{lang}" in data
        assert kb.entries["community-trust"].text(lang).title not in text_of(reply)
        screen = await bot.press(chat, reply, f"e::{lang}", "editMessageText")
        assert kb.officer_card.statement.strip() in text_of(screen)
