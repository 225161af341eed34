"""Questions sent for review only with consent, usage counts, and /delete under flood protection: the
conversation core driven directly, read as a user reads it (the text, the buttons, what a tap does)."""

from __future__ import annotations

import pytest

from bot.core.consent import PENDING_SECONDS, ConsentFlow, MemoryQueue, PendingQuestions, QueuedQuestion, scrub_question
from bot.core.conversation import Conversation
from bot.core.flood import FloodGuard
from bot.core.limits import CALLBACK_DATA_BYTES
from bot.core.preferences import MemoryStore
from bot.core.replies import Forwarded, Message, Reply, User
from bot.core.usage import MemoryUsage
from testkit.chat import KB, LANGS, PHONE, FakeClock, fresh, labels, plain, send_command, ui
from testkit.harness import shared_matcher
from tests.core.test_conversation import UNSURE_EN, UNSURE_ES  # what the conversation tests find unsure

SEND_LABEL = {"en": "📨 Send this question to improve the bot", "es": "📨 Enviar esta pregunta para mejorar el bot"}
# Questions the settled matcher falls back on or asks "did you mean" about; each test takes the first one
# that still takes that route (content edits move single questions, rarely all of them).
CANDIDATES = {
    ("fallback", "en"): [
        "how tall is mount everest",
        "what is the best pizza in cheyenne",
        "who painted the mona lisa",
    ],
    ("fallback", "es"): [
        "quien gano el mundial de futbol",
        "receta de tamales de puerco",
        "necesito ayuda con papeles",
    ],
    ("did_you_mean", "en"): [UNSURE_EN, "help me with my situation", "papers"],
    ("did_you_mean", "es"): [UNSURE_ES, "el papel que me dieron", "necesito ayuda con papeles"],
}


class Bot:
    """A conversation with everything this issue adds wired: counts and a queue, both in memory."""

    def __init__(self, flood: FloodGuard | None = None) -> None:
        self.usage = MemoryUsage()
        self.queue = MemoryQueue()
        self.clock = FakeClock()
        self.flow = ConsentFlow(self.queue, pending=PendingQuestions(clock=self.clock), today=lambda: "2026-12-07")
        self.conv = Conversation(KB, shared_matcher(), MemoryStore(), flood=flood, usage=self.usage, consent=self.flow)

    def say(self, user: User, text: str) -> Reply:
        return self.conv.handle(user, Message(text))

    def tap(self, user: User, reply: Reply, label: str) -> Reply:
        (found,) = [b for b in reply.all_buttons() if label in b.label]
        return self.conv.handle_callback(user, found.data)


def asked(route: str, lang: str, conv: Conversation) -> str:
    for text in CANDIDATES[route, lang]:
        if conv.understand(text, lang).route == route:
            return text
    pytest.fail(f"none of {CANDIDATES[route, lang]} takes the {route} route any more: add one that does")


# ---------------------------------------------------------------------- scrubbing
@pytest.mark.parametrize(
    ("text", "kept"),
    [
        ("call me at 307-555-1234 please", "call me at [phone] please"),
        ("mi cel es (307) 555 1234", "mi cel es [phone]"),
        ("mi numero es +52 1 55 1234 5678", "mi numero es [phone]"),
        ("write to maria.lopez@gmail.com", "write to [email]"),
        ("my A-number is A123-456-789", "my A-number is [A-number]"),
        ("A# 12345678 esta en el papel", "[A-number] esta en el papel"),
        ("receipt IOE0912345678 says denied", "receipt [case number] says denied"),
        ("ask @juanito_perez", "ask [@username]"),
        # Not personal: dates, law numbers, short numbers stay.
        ("court on 2026-01-15 or 01/15/2026, 287(g), HB 116, 48 hours", None),
    ],
)
def test_phone_numbers_emails_and_a_numbers_are_replaced_before_anything_is_kept(text, kept):
    assert scrub_question(text) == (kept or text)


# ---------------------------------------------------------------------- the offer
@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("route", ["fallback", "did_you_mean"])
def test_fallback_and_did_you_mean_offer_to_send_the_question(route, lang):
    bot = Bot()
    reply = bot.say(fresh(lang), asked(route, lang, bot.conv))
    assert labels(reply)[-1] == SEND_LABEL[lang]
    assert ui("emergency", lang) in labels(reply)  # still there, above it
    data = reply.all_buttons()[-1].data
    assert data is not None and len(data.encode()) <= CALLBACK_DATA_BYTES
    assert not bot.queue.questions  # nothing kept by showing the button


def test_no_offer_under_an_answer_a_command_or_a_forwarded_message():
    bot = Bot()
    user = fresh("en")
    assert SEND_LABEL["en"] not in labels(bot.say(user, "what is an ice detainer"))
    assert SEND_LABEL["en"] not in labels(send_command(bot.conv, user, "help"))
    forwarded = bot.conv.handle(user, Message(asked("fallback", "en", bot.conv), forwarded=Forwarded(None)))
    assert PHONE in plain(forwarded) and SEND_LABEL["en"] not in labels(forwarded)
    replying = bot.conv.handle(user, Message(asked("fallback", "en", bot.conv), replies_to_forwarded=True))
    assert PHONE in plain(replying) and SEND_LABEL["en"] not in labels(replying)


def test_without_a_queue_nothing_is_offered():
    conv = Conversation(KB, shared_matcher(), MemoryStore())
    reply = conv.handle(fresh("en"), Message(asked("fallback", "en", conv)))
    assert PHONE in plain(reply) and SEND_LABEL["en"] not in labels(reply)


# ---------------------------------------------------------------------- the two taps
@pytest.mark.parametrize("lang", LANGS)
def test_first_tap_shows_what_would_be_kept_and_only_the_second_keeps_it(lang):
    bot = Bot()
    user = fresh(lang)
    question = asked("fallback", lang, bot.conv)
    reply = bot.say(user, f"{question} 307-555-1234 yo@ejemplo.com")
    preview = bot.tap(user, reply, SEND_LABEL[lang])
    text = plain(preview)
    assert f"{question} [phone] [email]" in text and "307-555-1234" not in text and "yo@ejemplo.com" not in text
    words = {
        "en": ("name or an address", "cannot be linked back to you", "/delete cannot find it"),
        "es": ("nombre o una dirección", "no se puede relacionar con usted", "/borrar no la podrá encontrar"),
    }
    assert all(w in text for w in words[lang]), text
    assert not bot.queue.questions  # the first tap keeps nothing

    sent = bot.tap(user, preview, {"en": "Send", "es": "Enviar"}[lang])
    assert sent.edit and not sent.buttons
    assert plain(sent).startswith({"en": "Thank you.", "es": "Gracias."}[lang])
    assert bot.queue.questions == [QueuedQuestion(f"{question} [phone] [email]", lang, "fallback", "2026-12-07")]

    again = bot.tap(user, preview, {"en": "Send", "es": "Enviar"}[lang])  # a second press of the same button
    assert again.notice and not again.text and len(bot.queue.questions) == 1
    # Counted as one question sent (the refused second press is not a sending; usage numbers said 2).
    assert bot.usage.counts["button", "question_sent"] == 1


def test_dont_send_keeps_nothing_and_someone_else_cannot_send_it():
    bot = Bot()
    user, other = fresh("en"), fresh("en")
    reply = bot.say(user, asked("did_you_mean", "en", bot.conv))
    preview = bot.tap(user, reply, SEND_LABEL["en"])
    refused = bot.tap(other, preview, "✅")  # in a group everyone sees the buttons
    assert refused.notice == "Only the person who asked can send this question." and not refused.text
    assert plain(bot.tap(user, preview, "Don't send")) == "Not sent. Nothing was kept."
    assert bot.tap(user, preview, "✅").notice and bot.queue.questions == []


def test_a_question_waits_ten_minutes_then_is_forgotten():
    bot = Bot()
    user = fresh("en")
    reply = bot.say(user, asked("fallback", "en", bot.conv))
    bot.clock.now += PENDING_SECONDS + 1
    late = bot.tap(user, reply, SEND_LABEL["en"])
    assert late.notice == "This question is no longer waiting. Send it again, then press the button."
    assert len(bot.flow.pending) == 0 and not bot.queue.questions


def test_delete_forgets_a_question_waiting_for_its_second_tap():
    bot = Bot()
    user = fresh("en")
    preview = bot.tap(user, bot.say(user, asked("fallback", "en", bot.conv)), SEND_LABEL["en"])
    send_command(bot.conv, user, "delete")
    assert bot.tap(user, preview, "✅").notice and not bot.queue.questions


@pytest.mark.parametrize("lang", LANGS)
def test_delete_says_exactly_what_is_kept(lang):
    reply = send_command(Bot().conv, fresh(lang), "delete")
    expected = {
        "en": (
            "I had nothing stored about you.\n\nYour messages are not stored. Kept with nothing that links them to "
            "you, so they cannot be found or deleted: daily counts of questions by topic and language, and any "
            "question you chose to send for review."
        ),
        "es": (
            "No tenía nada guardado sobre usted.\n\nSus mensajes no se guardan. Se guarda sin nada que lo relacione "
            "con usted, y por eso no se puede encontrar ni borrar: cuántas preguntas llegan cada día por tema e "
            "idioma, y cualquier pregunta que usted decidió enviar para revisión."
        ),
    }
    assert plain(reply) == expected[lang]


# ---------------------------------------------------------------------- counts
def test_questions_buttons_and_inline_choices_are_counted_without_ids_or_text():
    bot = Bot()
    user = fresh("en")
    answer = bot.say(user, "what is an ice detainer")
    bot.say(user, "¿qué es un detainer?")
    fallback = bot.say(user, asked("fallback", "en", bot.conv))
    bot.say(user, "in english pls")
    send_command(bot.conv, user, "help")  # a command is not a question
    bot.conv.handle(user, Message(media_only=True))  # nor is a picture without words
    bot.tap(user, answer, "Español")
    bot.tap(user, fallback, SEND_LABEL["en"])
    bot.conv.inline_chosen()
    counts = dict(bot.usage.counts)
    assert counts == {
        ("route", "answer"): 2,
        ("route", "fallback"): 1,
        ("route", "language"): 1,
        ("entry", "detainer-basics"): 2,
        ("lang", "en"): 3,
        ("lang", "es"): 1,
        ("button", "other_language"): 1,
        ("button", "send_question"): 1,
        ("inline", "chosen"): 1,
    } | {("entry", e): 1 for e in [bot.conv.understand(asked("fallback", "en", bot.conv)).unsupported_id] if e}
    assert all(isinstance(k, str) and str(user.id) not in k for _, k in counts)


# ---------------------------------------------------------------------- /delete and flood protection
@pytest.mark.parametrize(("name", "lang"), [("delete", "en"), ("borrar", "es")])
@pytest.mark.parametrize("position", [9, 12], ids=["the-slow-down-note", "dropped"])
def test_delete_is_never_held_back_or_dropped_by_flood_protection(name, lang, position):
    clock = FakeClock()
    bot = Bot(flood=FloodGuard(burst=8, window=10.0, clock=clock))
    user = User(fresh(lang).id, lang, sent_at=clock.now)
    bot.conv.store.set_language(user.id, lang)
    replies = [bot.say(user, "what is an ice detainer") for _ in range(position - 1)]
    if position > 9:  # the burst is over: the 9th got the note (and is held), later ones are held back
        assert replies[8].text and replies[8].hold is not None and replies[-1].hold is not None
        assert not replies[-1].text
    reply = send_command(bot.conv, user, name)  # the 9th message (the note's place) or the 12th (held back)
    assert plain(reply).startswith(ui("deleted", lang)) and reply.forget_user
    assert bot.conv.store.get_language(user.id) is None
