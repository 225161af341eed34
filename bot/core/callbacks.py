"""The formats of button data (callback queries) and deep links, encoded and parsed side by side.

Callback data is ``<verb>:<arg>:<lang>``, at most 64 bytes (Bot API, InlineKeyboardButton.callback_data).
A deep link opens an answer with ``/start <entry-id>_<lang>``; the payload is at most 64 characters of
``A-Z a-z 0-9 _ -`` (Bot API, "Deep linking").
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.core.limits import CALLBACK_DATA_BYTES as MAX_CALLBACK_BYTES
from bot.core.limits import START_PAYLOAD_CHARS as MAX_START_PAYLOAD_CHARS

ANSWER = "a"  # an answer, as a new message
ANSWER_SWITCH = "x"  # the same answer in another language, edited in place
TOPIC = "t"  # a topic group (empty arg: the topic menu)
EMERGENCY = "e"  # an emergency screen (empty arg: the emergency menu)
EMERGENCY_SWITCH = "E"  # an emergency screen in another language, edited in place
LANGUAGE = "L"  # save a language choice (the language is the last field)
DELETE = "D"  # forget what is stored about the user (the button under the privacy answer)
CARD = "C"  # send the rights card picture in the language given
NONE_OF_THESE = "N"  # none of a "did you mean" reply's options: how to reach a person, and the topics
# Sending a question for review, with consent (:mod:`bot.core.consent`). The arg is the number of the
# question waiting in memory: its text never travels in the button (64 bytes could not hold it anyway).
QUESTION_PREVIEW = "Q"  # first tap: show the question as it would be kept, and ask again
QUESTION_SEND = "S"  # second tap: keep it for review
QUESTION_CANCEL = "U"  # don't send it: forget it now
VERBS = frozenset(
    {
        ANSWER,
        ANSWER_SWITCH,
        TOPIC,
        EMERGENCY,
        EMERGENCY_SWITCH,
        LANGUAGE,
        DELETE,
        CARD,
        NONE_OF_THESE,
        QUESTION_PREVIEW,
        QUESTION_SEND,
        QUESTION_CANCEL,
    }
)
# What each button does, as the usage counts name it (``kyr-bot stats``).
BUTTON_KINDS = {
    ANSWER: "answer",
    ANSWER_SWITCH: "other_language",
    TOPIC: "topics",
    EMERGENCY: "emergency",
    EMERGENCY_SWITCH: "other_language",
    LANGUAGE: "language",
    DELETE: "delete",
    CARD: "card",
    NONE_OF_THESE: "none_of_these",
    QUESTION_PREVIEW: "send_question",
    QUESTION_SEND: "question_sent",
    QUESTION_CANCEL: "question_not_sent",
}

_PAYLOAD = re.compile(r"^([a-z0-9][a-z0-9-]{0,40})_([a-z]{2,3})$")


@dataclass(frozen=True)
class Callback:
    """A parsed button press: what to do (``verb``), on what (``arg``, may be empty), in which language."""

    verb: str
    arg: str
    lang: str


def encode(verb: str, arg: str, lang: str) -> str:
    """Button data for a press; raises ValueError if it would not fit Telegram's 64 bytes."""
    data = f"{verb}:{arg}:{lang}"
    if verb not in VERBS or ":" in arg or len(data.encode("utf-8")) > MAX_CALLBACK_BYTES:
        raise ValueError(f"cannot encode callback data {data!r}")
    return data


def parse(data: str | None) -> Callback | None:
    """The press behind button data, or None for data this bot never made (old, forged, too long)."""
    if not data or len(data.encode("utf-8", "replace")) > MAX_CALLBACK_BYTES:
        return None
    parts = data.split(":")
    if len(parts) != 3 or parts[0] not in VERBS:
        return None
    return Callback(*parts)


def start_payload(entry_id: str, lang: str) -> str:
    """The /start payload that opens an entry in a language: 'detainer-basics_es'."""
    payload = f"{entry_id}_{lang}"
    if len(payload) > MAX_START_PAYLOAD_CHARS:
        raise ValueError(f"deep-link payload {payload!r} is over {MAX_START_PAYLOAD_CHARS} characters")
    return payload


def parse_start_payload(payload: str) -> tuple[str, str] | None:
    """(entry id, language) from a /start payload, or None when it is not one of ours."""
    match = _PAYLOAD.match(payload.strip())
    return (match.group(1), match.group(2)) if match else None


def deep_link(bot_username: str, entry_id: str, lang: str) -> str:
    """A t.me link that opens the entry in the bot, in that language."""
    return f"https://t.me/{bot_username}?start={start_payload(entry_id, lang)}"
