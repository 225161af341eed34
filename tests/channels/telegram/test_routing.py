"""End to end through the Bot API double: the messages that are not questions, as a Telegram user sees them."""

from __future__ import annotations

from testkit.harness import button, buttons_of, knowledge, text_of


def assert_emergency_screen_es(call, chat_id: int) -> None:
    """The emergency screen in Spanish: the officer card at once, then a button per situation, the rights card
    and Temas."""
    kb, text = knowledge(), text_of(call)
    assert call.params["chat_id"] == chat_id
    assert text.startswith("🆘 Si la migra o la policía están con usted ahora")
    assert "Para mostrar o leerle al agente (en inglés):\n" + kb.officer_card.statement.strip() in text
    assert kb.officer_card.explanation["es"].strip() in text
    assert [b["callback_data"] for b in buttons_of(call)] == [*(f"e:{e}:es" for e in kb.emergency), "C::es", "t::es"]
    titles = [kb.entries[e].text("es").label for e in kb.emergency]
    assert [b["text"] for b in buttons_of(call)] == [*titles, "🪪 Tarjeta de derechos (imagen)", "Temas"]


async def test_a_cry_for_help_gets_the_emergency_screen(bot):
    reply = await bot.say(2001, "ayuda", language_code="en")
    assert_emergency_screen_es(reply, 2001)
    screen = await bot.press(2001, reply, "e:ice-at-door:es", "sendMessage")
    second = text_of(screen).split("\n\n")[1]  # right under the title: what to show the officer
    assert second.startswith("Para mostrar o leerle al agente (en inglés):")
    assert knowledge().entries["ice-at-door"].officer_statement in second


async def test_a_language_request_re_sends_the_answer_and_the_chats_menu(bot, double):
    kb = knowledge()
    answer = await bot.say(2002, "what is an ice detainer?", language_code="en")
    assert text_of(answer).startswith(kb.entries["detainer-basics"].text("en").title)
    again = await bot.say(2002, "en español por favor", language_code="en")
    assert text_of(again).startswith(kb.entries["detainer-basics"].text("es").title + "\n")
    assert "Fuentes:" in text_of(again) and button(again, "English")["callback_data"] == "x:detainer-basics:en"
    menus = await bot.wait_for(
        "setMyCommands", predicate=lambda c: (c.params.get("scope") or {}).get("chat_id") == 2002
    )
    assert "temas" in [c["command"] for c in menus[-1].params["commands"]]
    assert bot.store.get_language(2002) == "es"
    assert "Escoja un tema" in text_of(await bot.say(2002, "/topics", language_code="en"))


async def test_please_answer_gets_the_greeting(bot):
    reply = await bot.say(2003, "por favor responda", language_code="es")
    assert text_of(reply).strip() == knowledge().entries["greeting"].text("es").answer.strip()
    assert [b["text"] for b in buttons_of(reply)] == ["Temas", "🆘 Urgente"]


async def test_the_fallback_carries_the_emergency_button_that_opens_the_emergency_screen(bot):
    reply = await bot.say(2004, "cuantos planetas hay en el sistema solar", language_code="es")
    other_topics = knowledge().entries["other-topics"].text("es").answer.split("\n")[0]
    assert "Lo siento, no tengo una respuesta para eso." in text_of(reply) or other_topics in text_of(reply)
    sos = buttons_of(reply)[-1]
    assert (sos["text"], sos["callback_data"]) == ("🆘 Urgente", "e::es")
    opened = await bot.press(2004, reply, sos["callback_data"], "editMessageText")
    assert opened.params["message_id"] == bot.message_id(reply)
    assert_emergency_screen_es(opened, 2004)
