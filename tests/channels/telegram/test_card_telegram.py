"""The rights card through the real Application and the Bot API double: sent as a photo with a caption in
the user's language, uploaded once and then sent by Telegram's file id, offered on emergency screens and
in inline mode."""

from __future__ import annotations

import io

from PIL import Image

from testkit.botapi_double import BotApiDouble
from testkit.harness import BotHarness, button, buttons_of, knowledge


async def test_card_command_sends_the_picture_then_reuses_the_upload(double: BotApiDouble, tmp_path):
    async with BotHarness(double, tmp_path) as bot:
        first = await bot.exchange(double.make_text_message(401, "/tarjeta", language_code="es"), "sendPhoto")
        upload = first.files.get("photo")
        assert upload is not None, "the first card is uploaded"
        picture = Image.open(io.BytesIO(upload.content))
        assert picture.size == (1080, 1920)
        caption = knowledge().card.text("es").caption
        assert first.params["caption"].startswith(caption[:40])  # the caption speaks the user's language
        assert "Temas" in [b["text"] for b in buttons_of(first)]

        second = await bot.exchange(double.make_text_message(402, "/card", language_code="en"), "sendPhoto")
        assert second.files.get("photo") is not None, "the English card is another picture"
        assert second.params["caption"].startswith(knowledge().card.text("en").caption[:40])

        again = await bot.exchange(double.make_text_message(403, "/tarjeta", language_code="es"), "sendPhoto")
        assert not again.files, "the same card is sent by file id, not uploaded again"
        assert again.params["photo"] == double.result_of(first)["photo"][-1]["file_id"]


async def test_card_button_on_emergency_screen_and_inline_sharing(double: BotApiDouble, tmp_path):
    async with BotHarness(double, tmp_path) as bot:
        emergency = await bot.say(501, "/urgente", language_code="es")
        card_button = button(emergency, "Tarjeta de derechos")
        photo = await bot.press(501, emergency, card_button["callback_data"], "sendPhoto")
        assert photo.files.get("photo") is not None
        file_id = double.result_of(photo)["photo"][-1]["file_id"]

        welcome = await bot.say(502, "/start", language_code="es")
        assert button(welcome, "Tarjeta de derechos")["callback_data"] == card_button["callback_data"]

        before = len(double.calls_of("answerInlineQuery"))
        double.push_update(double.make_inline_query("tarjeta", 503, language_code="es"))
        answered = (await bot.wait_for("answerInlineQuery", before + 1))[before]
        results = answered.params["results"]
        assert results[0]["type"] == "photo" and results[0]["photo_file_id"] == file_id
        assert results[0]["caption"].startswith(knowledge().card.text("es").caption[:40])


async def test_inline_mode_offers_no_card_before_anyone_asked_for_it(double: BotApiDouble, tmp_path):
    async with BotHarness(double, tmp_path) as bot:
        double.push_update(double.make_inline_query("card", 601, language_code="en"))
        answered = (await bot.wait_for("answerInlineQuery", 1))[0]
        assert all(r["type"] != "photo" for r in answered.params["results"])  # no file id yet: nothing to send


async def test_asking_for_the_red_card_in_words_sends_the_picture(double: BotApiDouble, tmp_path):
    async with BotHarness(double, tmp_path) as bot:
        photo = await bot.exchange(
            double.make_text_message(601, "quiero la tarjeta roja", language_code="es"), "sendPhoto"
        )
        assert photo.params["caption"].startswith(knowledge().card.text("es").caption[:40])
        assert not double.calls_of("sendMessage"), "a picture, not a 'did you mean'"
