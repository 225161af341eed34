"""What the fast conversation tests share: the real knowledge base, one Conversation, the bot's own words in
both languages, and helpers that read a reply the way a user does (its text, its buttons, pressing one)."""

from __future__ import annotations

import io
import itertools

import pytest
import yaml
from PIL import Image

from bot.core.conversation import Conversation
from bot.core.flood import FloodGuard
from bot.core.preferences import MemoryStore
from bot.core.replies import Button, Message, Reply, User
from bot.screens.compose import STATEMENT_WITHIN, to_plain
from testkit.harness import knowledge, shared_matcher
from testkit.paths import KNOWLEDGE

KB = knowledge()
SETTINGS = yaml.safe_load((KNOWLEDGE / "settings.yaml").read_text())
LANGS = ("en", "es")
OTHER = {"en": "es", "es": "en"}
PHONE, EMAIL = KB.contacts.values["aclu_phone"], KB.contacts.values["aclu_email"]
WEBSITE = KB.contacts.values["aclu_website_short"]
UI = {  # what the bot says (or the start of it), literally, in English and in Spanish
    "disclaimer": (
        "This is general information, not legal advice.",
        "Esto es información general, no es consejo legal.",
    ),
    "language": ("English", "Español"),
    "topics": ("Topics", "Temas"),
    "emergency": ("🆘 Emergency", "🆘 Urgente"),
    "card": ("🪪 Rights card (picture)", "🪪 Tarjeta de derechos (imagen)"),
    "choose topic": ("Choose a topic:", "Escoja un tema:"),
    "all topics": ("« All topics", "« Todos los temas"),
    "sorry": ("Sorry, I don't have an answer for that.", "Lo siento, no tengo una respuesta para eso."),
    "type words": ("Please type your question in words.", "Por favor escriba su pregunta con palabras."),
    "stale": ("This button is out of date.", "Este botón ya no sirve."),
    "officer": ("To show or read to an officer (in English):", "Para mostrar o leerle al agente (en inglés):"),
    "sources": ("Sources:", "Fuentes:"),
    "unsure": ("I am not sure I understood. Did you mean one of these?", "No estoy seguro de haberle entendido."),
    "likely": ("Did you mean the first topic below?", "¿Se refiere al primer tema de la lista?"),
    "none of these": ("None of these", "Ninguna de estas"),
    "none fit": ("Sorry I did not find it.", "Lo siento, no lo encontré."),
    "months": (
        "January February March April May June July August September October November December",
        "enero febrero marzo abril mayo junio julio agosto septiembre octubre noviembre diciembre",
    ),
    "sos heading": ("🆘 If ICE or the police are with you now", "🆘 Si la migra o la policía están con usted ahora"),
    "what is happening": (
        "What is happening? Choose one. Stay calm, do not run and do not lie.",
        "¿Qué está pasando? Escoja una opción. Mantenga la calma, no corra y no mienta.",
    ),
    "delete button": ("🗑 Delete what you keep about me", "🗑 Borrar lo que guarda sobre mí"),
    "deleted": ("Done. I deleted everything I had stored about you", "Listo. Borré todo lo que tenía guardado"),
    "nothing stored": ("I had nothing stored about you.", "No tenía nada guardado sobre usted."),
    "language set": ("Done: I will answer in English.", "Listo: le voy a contestar en español"),
}


def ui(key: str, lang: str) -> str:
    return UI[key][LANGS.index(lang)]


class FakeClock:
    now = 1000.0

    def __call__(self) -> float:
        return self.now


CLOCK = FakeClock()
CONV = Conversation(KB, shared_matcher(), MemoryStore(), flood=FloodGuard(burst=8, window=10.0, clock=CLOCK))
_ids = itertools.count(1)


def send_text(conv: Conversation, user: User, text: str, caption: bool = False) -> Reply | None:
    """A typed question, as a channel hands it to the core; None when flood protection said nothing."""
    reply = conv.handle(user, Message(text, caption=caption))
    return reply if reply.text or reply.photo is not None else None


def send_command(conv: Conversation, user: User, name: str, arg: str = "", caption: bool = False) -> Reply:
    """A typed command (``name`` without the slash), resolved by the core as a channel has it resolved."""
    return conv.handle(user, Message(command=conv.command(name, arg), caption=caption))


def send_media(conv: Conversation, user: User) -> Reply:
    """A picture, sticker or voice note with no words."""
    return conv.handle(user, Message(media_only=True))


def bug(reason: str, *values):
    """A case that shows a bug in the bot (see the reason): it must fail until the bug is fixed."""
    return pytest.param(*values, marks=pytest.mark.xfail(strict=True, reason=reason))


def fresh(client_lang: str | None = "en") -> User:
    """A new user (each test its own, so flood counts and saved languages never leak between tests)."""
    return User(next(_ids), client_lang)


def plain(reply: Reply) -> str:
    return to_plain(reply.text)


def labels(reply: Reply) -> list[str]:
    return [b.label for b in reply.all_buttons()]


def button(reply: Reply, label: str) -> Button:
    found = [b for b in reply.all_buttons() if label in b.label]
    assert len(found) == 1, f"{label!r} in {labels(reply)}"
    return found[0]


def press(user: User, reply: Reply, label: str, conv: Conversation = CONV) -> Reply:
    return conv.handle_callback(user, button(reply, label).data)


def title(eid: str, lang: str) -> str:
    return KB.entries[eid].text(lang).title


def label(eid: str, lang: str) -> str:
    """What a button that opens the entry says: its short title (a phone shows it whole), else its title."""
    return KB.entries[eid].text(lang).label


def topic_labels(lang: str) -> list[str]:
    return [g.labels[lang] for g in KB.topics]


def officer_card(lang: str, eid: str | None = None) -> str:
    """The officer card as read: the label, the English words (the card's, then the entry's own line),
    then what they mean in ``lang`` (the card's explanation, then the entry's meaning on its own line)."""
    card = KB.officer_card
    english, meaning = card.statement.strip(), [card.explanation[lang].strip()]
    if eid is not None:
        entry = KB.entries[eid]
        english += " " + entry.officer_statement
        meaning += [entry.officer_meaning[lang]] if lang in entry.officer_meaning else []
    return "\n".join([ui("officer", lang), english, *meaning])


def assert_stands_alone(html_text: str, eid: str, lang: str) -> None:
    """What a forwarded copy must carry in its own text, as Telegram HTML: the title first, the gist, a
    link to at least one source (its name shown, in the reader's language), the date it was last compared
    with its sources, a way to reach help with one visible address, and the disclaimer."""
    entry, text = KB.entries[eid], to_plain(html_text)
    assert text.startswith(title(eid, lang) + "\n")
    gist = entry.text(lang).gist.split("{")[0]
    assert gist and gist in text
    assert any(f'<a href="{s.url}">' in html_text and s.name(lang) in text for s in entry.sources)
    day, month = entry.reviewed, ui("months", lang).split()[entry.reviewed.month - 1]
    (reviewed,) = [line for line in text.splitlines() if line.startswith(("Reviewed: ", "Revisado el "))]
    assert str(day.year) in reviewed and str(day.day) in reviewed and month in reviewed
    assert PHONE in text and WEBSITE in text and ui("disclaimer", lang) in text


def assert_answer(reply: Reply, eid: str, lang: str) -> None:
    """The reply is entry ``eid``'s answer in ``lang`` (title, then the answer's own words), with Share."""
    answer_start = KB.entries[eid].text(lang).answer.split("{")[0].split("\n")[0][:60]  # before any placeholder
    assert reply.lang == lang and not reply.notice and answer_start in plain(reply)
    assert plain(reply).startswith(title(eid, lang) + "\n") and ui("disclaimer", lang) in plain(reply)
    assert button(reply, "📤").share == title(eid, lang)


def assert_topic_menu(reply: Reply, lang: str) -> None:
    assert plain(reply) == ui("choose topic", lang) and labels(reply) == topic_labels(lang) and reply.lang == lang


def assert_card_button(reply: Reply, lang: str) -> None:
    """The reply offers the rights card picture in ``lang`` (button ``C::<lang>``)."""
    assert button(reply, ui("card", lang)).data == f"C::{lang}"


def assert_card(reply: Reply, lang: str) -> None:
    """The rights card: a 1080x1920 PNG with the card's caption in ``lang`` and no text, then Topics and 🆘."""
    assert reply.text == "" and reply.lang == lang and reply.photo is not None and not reply.notice
    assert reply.photo.caption == KB.card.text(lang).caption and reply.photo.filename == f"rights-card-{lang}.png"
    with Image.open(io.BytesIO(reply.photo.png)) as picture:
        assert (picture.format, picture.size) == ("PNG", (1080, 1920))
    assert labels(reply) == [ui("topics", lang), ui("emergency", lang)]


def assert_emergency_menu(reply: Reply, lang: str) -> None:
    """The /emergency screen: the officer card at once, then a button per situation, the rights card and Topics."""
    parts = [ui("sos heading", lang), officer_card(lang), ui("what is happening", lang)]
    assert plain(reply) == "\n\n".join(parts) and reply.lang == lang and not reply.notice
    assert labels(reply) == [*(label(e, lang) for e in KB.emergency), ui("card", lang), ui("topics", lang)]
    assert_card_button(reply, lang)


def assert_emergency_screen(reply: Reply, eid: str, lang: str) -> None:
    """One situation's emergency screen: its title, then at once the officer card and the entry's own line
    (within the first screen), then what to do, with the rights card button."""
    text = plain(reply)
    assert text.startswith(title(eid, lang) + "\n\n" + officer_card(lang, eid) + "\n\n"), text[:800]
    assert text.index(KB.officer_card.statement.strip()) < STATEMENT_WITHIN
    assert ui("disclaimer", lang) in text and reply.lang == lang
    assert_card_button(reply, lang)


def assert_no_answer(reply: Reply, lang: str) -> None:
    """A fallback: where to get help, the disclaimer, the topics and 🆘, but no answer (nothing to share)."""
    text = plain(reply)
    assert PHONE in text and WEBSITE in text and ui("disclaimer", lang) in text and reply.lang == lang
    assert labels(reply) == [*topic_labels(lang), ui("emergency", lang)]
