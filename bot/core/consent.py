"""Questions sent for review, only with consent.

Under a fallback or a "did you mean" the bot offers a button, "📨 Send this question to improve the bot".
Until then the question waits in memory only (:class:`PendingQuestions`: already scrubbed, for at most
:data:`PENDING_SECONDS`, keyed by a number that the button carries; never written anywhere). The first
tap shows the text exactly as it would be kept (:func:`scrub_question`: phone numbers, emails, A-numbers,
case numbers and @usernames replaced by placeholders) and asks again; only the second tap keeps it, in a
:class:`QuestionQueue`, as a :class:`QueuedQuestion`: the scrubbed text, its route, its language and the
UTC day. No user id, chat id or name is kept with it, so it cannot be linked back to the person (and
``/delete`` cannot find it). ``kyr-bot review`` walks an editor through the queue.

No button is offered for a message that is forwarded or replies to a forwarded message (its words may be
someone else's), for an empty message, or when no queue is wired (the terminal chat, ``kyr-bot ask``).
"""

from __future__ import annotations

import datetime as dt
import itertools
import random
import re
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Protocol

from bot.core import callbacks as cb
from bot.core.replies import Message, Reply, User
from bot.matching.decision import Decision
from bot.screens.consent import ConsentScreens

PENDING_SECONDS = 600.0  # a question waits this long in memory for its two taps (10 minutes)
PENDING_KEPT = 10_000  # at most this many questions wait at once (the oldest are forgotten first)
KEPT_CHARS = 2_000  # the most of a question that is kept (Telegram allows 4,096 characters a message)
OFFERED_ROUTES = ("fallback", "did_you_mean")

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_USERNAME = re.compile(r"(?<![\w@])@[A-Za-z][A-Za-z0-9_]{3,31}\b")
# USCIS receipt numbers: three letters and ten digits (IOE0123456789, EAC…, MSC…).
_CASE_NUMBER = re.compile(r"\b[A-Za-z]{3}[- ]?\d{10}\b")
# An A-number: A (or a) and 8 or 9 digits, maybe grouped (A123-456-789, A# 12345678).
_A_NUMBER = re.compile(r"(?<!\w)[Aa]\s?[-#:]?\s?(?:\d[\s-]?){7,8}\d(?!\d)")
# Seven or more digits, maybe grouped by spaces, dots, dashes or brackets: a phone number (or another
# long number, such as an ID: hidden too).
_LONG_NUMBER = re.compile(r"(?<![\w])\+?\(?\d(?:[\s.()-]{0,2}\d){6,16}(?!\d)")
# Dates are not phone numbers: 2026-01-15, 01-15-2026, 15.01.2026 stay.
_DATE = re.compile(r"(?:\d{4}[-.]\d{1,2}[-.]\d{1,2}|\d{1,2}[-.]\d{1,2}[-.]\d{4})")


def scrub_question(text: str) -> str:
    """``text`` as it would be kept for review: emails, @usernames, USCIS case numbers, A-numbers and phone
    numbers (any run of 7 or more digits that is not a date) replaced by ``[email]``, ``[@username]``,
    ``[case number]``, ``[A-number]`` and ``[phone]``; cut to :data:`KEPT_CHARS` characters. Names and
    addresses cannot be found reliably: the sender is asked to remove them."""
    text = _EMAIL.sub("[email]", text)
    text = _USERNAME.sub("[@username]", text)
    text = _CASE_NUMBER.sub("[case number]", text)
    text = _A_NUMBER.sub("[A-number]", text)
    text = _LONG_NUMBER.sub(lambda m: m.group(0) if _DATE.fullmatch(m.group(0)) else "[phone]", text)
    return text if len(text) <= KEPT_CHARS else text[: KEPT_CHARS - 1] + "…"


@dataclass(frozen=True)
class QueuedQuestion:
    """A question kept for review: the scrubbed ``text``, the ``route`` it took (``fallback`` or
    ``did_you_mean``), the reply ``lang`` and the UTC ``day`` it was sent (``YYYY-MM-DD``). Nothing else."""

    text: str
    lang: str
    route: str
    day: str


class QuestionQueue(Protocol):
    """Where questions sent with consent are kept for ``kyr-bot review``."""

    def keep(self, question: QueuedQuestion) -> bool:
        """Keep ``question``; False when it could not be kept (the reply then says so)."""


class MemoryQueue:
    """Questions kept in memory (tests)."""

    def __init__(self) -> None:
        self.questions: list[QueuedQuestion] = []

    def keep(self, question: QueuedQuestion) -> bool:
        """Keep ``question`` in the list."""
        self.questions.append(question)
        return True


@dataclass(frozen=True)
class Pending:
    """A question waiting for its two taps: who may send it (``user_id``), its scrubbed text, route and
    language, and when it was offered (monotonic seconds)."""

    user_id: int
    text: str
    route: str
    lang: str
    at: float


class PendingQuestions:
    """Questions offered for review and not yet sent, in memory only: at most ``kept`` of them, each for
    at most ``seconds``; numbered from a random start, so a button from before a restart is unlikely to
    name a new question (and then only its own asker may send it)."""

    def __init__(
        self, seconds: float = PENDING_SECONDS, kept: int = PENDING_KEPT, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.seconds = seconds
        self.kept = kept
        self.clock = clock
        self._waiting: OrderedDict[int, Pending] = OrderedDict()
        self._numbers = itertools.count(random.randrange(1, 1_000_000))

    def add(self, user_id: int, text: str, route: str, lang: str) -> int:
        """Keep a scrubbed question for ``user_id``; returns its number (for the button)."""
        self._forget_old()
        number = next(self._numbers)
        self._waiting[number] = Pending(user_id, text, route, lang, self.clock())
        while len(self._waiting) > self.kept:
            self._waiting.popitem(last=False)
        return number

    def get(self, number: int) -> Pending | None:
        """The question with this number, or None when it was never offered, was sent, or has expired."""
        self._forget_old()
        return self._waiting.get(number)

    def pop(self, number: int) -> Pending | None:
        """Take the question out (sent or not sent); None as for :meth:`get`."""
        self._forget_old()
        return self._waiting.pop(number, None)

    def forget(self, user_id: int) -> None:
        """Forget every question ``user_id`` has waiting (``/delete``)."""
        for number in [n for n, p in self._waiting.items() if p.user_id == user_id]:
            del self._waiting[number]

    def _forget_old(self) -> None:
        now = self.clock()
        while self._waiting:
            number, first = next(iter(self._waiting.items()))
            if now - first.at < self.seconds:
                break
            del self._waiting[number]

    def __len__(self) -> int:
        return len(self._waiting)


def utc_today() -> str:
    """Today's date in UTC, ``YYYY-MM-DD``."""
    return dt.datetime.now(dt.UTC).date().isoformat()


class ConsentFlow:
    """The button under a fallback or a "did you mean", and its two taps (see the module). ``queue`` None:
    nothing is offered."""

    def __init__(
        self,
        queue: QuestionQueue | None,
        screens: ConsentScreens | None = None,
        pending: PendingQuestions | None = None,
        today: Callable[[], str] = utc_today,
    ) -> None:
        self.queue = queue
        self.screens = screens if screens is not None else ConsentScreens()
        self.pending = pending if pending is not None else PendingQuestions()
        self.today = today

    def offer(self, user: User, message: Message, text: str, decision: Decision, reply: Reply) -> Reply:
        """``reply`` with the send-for-review button added, when the question (``text``, cleaned) may be
        offered: a fallback or a "did you mean" for someone with an id, not forwarded, a queue wired."""
        if self.queue is None or user.id is None or not text:
            return reply
        if message.forwarded is not None or message.replies_to_forwarded:
            return reply
        if decision.route not in OFFERED_ROUTES or not reply.text:
            return reply
        number = self.pending.add(user.id, scrub_question(text), decision.route, reply.lang)
        return replace(reply, buttons=(*reply.buttons, self.screens.offer_row(reply.lang, number)))

    def is_waiting(self, user: User, arg: str) -> bool:
        """True when ``arg`` (a button's question number) is a question of ``user``'s still waiting for a tap:
        a tap on it then does something (and counts as a button press)."""
        waiting = self.pending.get(int(arg)) if arg.isdigit() else None
        return waiting is not None and waiting.user_id == user.id

    def press(self, user: User, verb: str, arg: str, lang: str) -> Reply:
        """A tap on one of this flow's buttons (``verb`` from :data:`bot.core.callbacks`, ``arg`` the
        question's number)."""
        number = int(arg) if arg.isdigit() else -1
        waiting = self.pending.get(number)
        if waiting is None:
            return self.screens.expired(lang)
        if waiting.user_id != user.id:
            return self.screens.not_yours(lang)
        if verb == cb.QUESTION_PREVIEW:
            return self.screens.preview(waiting.text, lang, number)
        self.pending.pop(number)
        if verb == cb.QUESTION_CANCEL:
            return self.screens.not_sent(lang)
        assert self.queue is not None  # a question is only offered with a queue
        kept = self.queue.keep(QueuedQuestion(waiting.text, waiting.lang, waiting.route, self.today()))
        return self.screens.sent(lang) if kept else self.screens.not_kept(lang)

    def forget(self, user: User) -> None:
        """``/delete``: questions the user has waiting (not yet sent) are forgotten."""
        if user.id is not None:
            self.pending.forget(user.id)
