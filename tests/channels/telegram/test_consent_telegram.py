"""Sending a question for review and the usage counts, through the real Application and the Bot API double:
the button a person sees under a fallback, the preview and the second tap, no button under forwarded
words, and inline results chosen (which Telegram delivers only when allowed_updates asks for them)."""

from __future__ import annotations

import asyncio
import time

from bot.core.consent import ConsentFlow, MemoryQueue, QueuedQuestion
from bot.core.usage import MemoryUsage
from testkit.harness import BotHarness, button, buttons_of, text_of
from tests.core.test_consent import SEND_LABEL, asked

PHONE = "307 555 1234"


async def until(condition, timeout: float = 10) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.01)


def labels(call) -> list[str]:  # type: ignore[no-untyped-def]
    return [b["text"] for b in buttons_of(call)]


async def test_a_question_is_kept_only_after_the_preview_and_the_second_tap(double, tmp_path):
    queue, usage = MemoryQueue(), MemoryUsage()
    async with BotHarness(double, tmp_path, usage=usage, consent=ConsentFlow(queue)) as bot:
        question = asked("fallback", "es", _conversation(bot))
        reply = await bot.say(301, f"{question} {PHONE}", language_code="es")
        assert labels(reply)[-1] == SEND_LABEL["es"]

        preview = await bot.press(301, reply, button(reply, "📨")["callback_data"], "sendMessage")
        assert f"{question} [phone]" in text_of(preview) and PHONE not in text_of(preview)
        assert labels(preview) == ["✅ Enviar", "✖ No enviar"]
        assert queue.questions == []

        done = await bot.press(301, preview, button(preview, "Enviar")["callback_data"], "editMessageText")
        assert text_of(done).startswith("Gracias.") and not buttons_of(done)
        assert done.params["message_id"] == bot.message_id(preview)  # the preview became the thank-you
        (kept,) = queue.questions
        assert kept == QueuedQuestion(f"{question} [phone]", "es", "fallback", kept.day)
        assert usage.counts["button", "send_question"] == usage.counts["button", "question_sent"] == 1


async def test_no_send_button_under_forwarded_words_or_a_reply_to_them(double, tmp_path):
    async with BotHarness(double, tmp_path, consent=ConsentFlow(MemoryQueue())) as bot:
        question = asked("fallback", "en", _conversation(bot))
        origin = {"type": "user", "date": int(time.time()) - 60, "sender_user": double.make_user(555, "Someone")}
        plain = await bot.say(401, question, language_code="en")
        assert SEND_LABEL["en"] in labels(plain)  # the same words typed: offered

        forwarded = await bot.say(402, question, language_code="en", forward_origin=origin)
        assert "aclu-wy.org" in text_of(forwarded) and SEND_LABEL["en"] not in labels(forwarded)

        shared = double.make_text_message(403, "a rumor someone forwarded", forward_origin=origin)
        double.push_update(shared)
        await bot.idle()
        answer = await bot.say(403, question, language_code="en", reply_to_message=shared["message"])
        assert "aclu-wy.org" in text_of(answer) and SEND_LABEL["en"] not in labels(answer)


async def test_inline_results_chosen_are_counted(double, tmp_path):
    usage = MemoryUsage()
    async with BotHarness(double, tmp_path, usage=usage) as bot:
        double.push_update(double.make_inline_query("detainer", 501, language_code="en"))
        await bot.wait_for("answerInlineQuery")
        double.push_update(double.make_chosen_inline_result("detainer-basics:en", 501, "detainer"))
        await until(lambda: usage.counts["inline", "chosen"] == 1)
        assert set(usage.counts) == {("inline", "chosen")}  # an inline query is not a question


def _conversation(bot: BotHarness):  # type: ignore[no-untyped-def]
    return bot.telegram.front.conversation
