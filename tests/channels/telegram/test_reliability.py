"""Reliability, end to end: what a user notices when Telegram, the network or the process misbehaves (the
disk: test_data_directory.py). Every question gets exactly one answer, and other users keep getting
answers.

The in-process tests run the real Application against the Bot API double (testkit/harness.py); the
shutdown and refuse-to-start tests run the real ``python -m bot run`` process against it.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from telegram import Bot

from bot.channels.telegram import DeliveryPolicy, deliver
from bot.channels.telegram.delivery import Outcome
from testkit.botapi_double import BotApiDouble
from testkit.harness import (
    DETAINER_QUESTION,
    BotHarness,
    answer_to,
    ask,
    delivered,
    detainer_title,
    knowledge,
    replies_to,
    text_of,
)
from testkit.paths import ROOT

QUESTION = DETAINER_QUESTION
ENTRY = "detainer-basics"
CLIENT_READ_TIMEOUT = 0.5  # seconds; the app's own are 5 s (40 s + poll timeout for getUpdates)


# ---------------------------------------------------------------------- fixtures and helpers
@pytest.fixture
def short_timeouts():
    """Options for the app's Application with a client read timeout short enough to time out in a test."""
    return {"read_timeout": CLIENT_READ_TIMEOUT}


def assert_answered_once(double: BotApiDouble, chat: int) -> None:
    got = delivered(double, chat)
    assert len(got) == 1, f"chat {chat} received {len(got)} messages"
    assert detainer_title() in text_of(got[0])


# ---------------------------------------------------------------------- 1. flood waits (429)
@pytest.mark.parametrize("max_rate", [30, 0], ids=["rate-limiter", "no-rate-limiter"])
async def test_flood_wait_reply_is_sent_after_the_wait_exactly_once(double, tmp_path, max_rate):
    async with BotHarness(double, tmp_path, max_rate=max_rate):
        double.rate_limit_next("sendMessage", retry_after=1)
        ask(double, 101)
        await answer_to(double, 101)
        await double.async_wait_idle()
    attempts = replies_to(double, 101)
    assert [c.status for c in attempts] == [429, 200]
    assert attempts[1].time - attempts[0].time >= 1.0, "retried before the wait Telegram asked for"
    assert_answered_once(double, 101)


# ---------------------------------------------------------------------- 2. network faults
@pytest.mark.parametrize("fault", ["5xx", "drop", "timeout"])
async def test_polling_survives_getupdates_faults(double, tmp_path, short_timeouts, fault):
    stall = 2.0  # longer than the client's getUpdates read timeout (0.5 s + the 1 s poll timeout)
    async with BotHarness(double, tmp_path, **short_timeouts):
        await double.async_wait_for("getUpdates", 1)
        polls = len(double.calls_of("getUpdates"))
        if fault == "5xx":
            double.fail_next("getUpdates", status=502, description="Bad Gateway")
        elif fault == "drop":
            double.drop_next("getUpdates")
        else:
            double.delay_next("getUpdates", stall)
        # The current long poll is unaffected; the next one meets the fault.
        faulty = (await double.async_wait_for("getUpdates", polls + 1))[polls]
        ask(double, 201)
        await answer_to(double, 201)
        ask(double, 202)  # and the one after that
        await answer_to(double, 202)
        await double.async_wait_idle()
        if fault == "timeout":
            later = [c for c in double.calls_of("getUpdates") if c.time > faulty.time]
            assert later and later[0].time - faulty.time < stall, "the bot waited for a stalled poll"
        else:
            assert faulty.status in (0, 502)
    assert_answered_once(double, 201)
    assert_answered_once(double, 202)


@pytest.mark.parametrize(("fault", "attempts", "received"), [("500", 2, 1), ("drop", 1, 0), ("timeout", 1, 1)])
async def test_a_reply_is_sent_again_only_when_it_certainly_did_not_reach_telegram(
    double, tmp_path, short_timeouts, log_text, fault, attempts, received
):
    async with BotHarness(double, tmp_path, **short_timeouts):
        if fault == "500":  # Telegram answered that it failed: sent again
            double.fail_next("sendMessage", status=500)
        elif fault == "drop":  # the request went out, no answer came: it may have been sent
            double.drop_next("sendMessage")
        else:  # Telegram answers too late: the message was sent, slowly
            double.delay_next("sendMessage", CLIENT_READ_TIMEOUT + 0.5)
        ask(double, 301)
        await double.async_wait_for("sendMessage", 1, predicate=lambda c: c.params.get("chat_id") == 301)
        ask(double, 302)
        await answer_to(double, 302)
        await double.async_wait_idle()
    assert len(replies_to(double, 301)) == attempts
    assert len(delivered(double, 301)) == received  # at most once, whatever happened
    assert_answered_once(double, 302)
    if fault != "500":
        assert "may or may not have reached Telegram" in log_text()


async def test_a_reply_that_cannot_connect_is_tried_again_then_given_up(log_text):
    with socket.socket() as closed:  # a port nobody listens on: every connection is refused
        closed.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{closed.getsockname()[1]}/bot"
    calls = 0
    bot = Bot("123456:TEST-TOKEN", base_url=url)

    async def send() -> None:
        nonlocal calls
        calls += 1
        await bot.send_message(7, "hello")

    try:
        outcome = await deliver(send, DeliveryPolicy(attempts=3, backoff=0.01))
    finally:
        await bot.shutdown()
    assert outcome is Outcome.NOT_SENT and calls == 3
    assert "could not be delivered after 3 attempts (ConnectError)" in log_text()


async def test_reply_that_finally_fails_is_logged_without_text_and_others_are_answered(double, tmp_path, log_text):
    user = 987654321
    async with BotHarness(double, tmp_path, policy=DeliveryPolicy(backoff=0.02)):
        double.fail_next("sendMessage", times=10)
        double.push_update(double.make_text_message(user, QUESTION, language_code="en", first_name="Zebulon"))
        await double.async_wait_for("sendMessage", 1, predicate=lambda c: c.params.get("chat_id") == user)
        await double.async_wait_idle(quiet=0.5)
        attempts = replies_to(double, user)
        assert not delivered(double, user)
        assert 2 <= len(attempts) < 10, "a failing reply must be retried a few times, then given up"
        double.clear_faults()
        ask(double, 402)
        await answer_to(double, 402)
        await double.async_wait_idle()
    assert_answered_once(double, 402)
    log = log_text()
    errors = [line for line in log.splitlines() if " ERROR bot." in line]
    assert errors, "the lost reply was not logged"
    body = knowledge().entries[ENTRY].text("en").answer
    for secret in (QUESTION, detainer_title(), body[:40], "Zebulon", str(user), double.token):
        assert secret not in log, f"{secret!r} leaked into the log"


@pytest.mark.parametrize("max_rate", [0, 30], ids=["no-rate-limiter", "rate-limiter"])
async def test_blocked_user_gets_one_attempt_and_others_are_answered(double, tmp_path, max_rate):
    async with BotHarness(double, tmp_path, max_rate=max_rate):
        double.block_chat(501)
        ask(double, 501)
        ask(double, 502)
        await answer_to(double, 502)
        await double.async_wait_idle()
        ask(double, 503)
        await answer_to(double, 503)
        await double.async_wait_idle()
    assert [c.status for c in replies_to(double, 501)] == [403]
    assert_answered_once(double, 502)
    assert_answered_once(double, 503)


# ---------------------------------------------------------------------- 3. stopping the process
def start_bot(double: BotApiDouble, data_dir: Path, log: Path, **extra: str) -> subprocess.Popen:
    env = {
        **os.environ,
        "TELEGRAM_BOT_TOKEN": double.token,
        "TELEGRAM_API_URL": double.base_url,
        "KYR_DATA_DIR": str(data_dir),
        "KYR_MAX_RATE": "0",
        **extra,
    }
    with log.open("ab") as err:
        return subprocess.Popen(
            [sys.executable, "-m", "bot", "run"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=err
        )


def stop_bot(process: subprocess.Popen, sig: int, within: float) -> int:
    started = time.monotonic()
    process.send_signal(sig)
    try:
        rc = process.wait(within)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        raise AssertionError(f"the bot did not exit within {within}s of the signal") from None
    assert time.monotonic() - started < within
    return rc


def answer_counts(double: BotApiDouble, chat_of: dict[int, int]) -> Counter[int]:
    """How many messages each update's chat received, by update id."""
    chats = Counter(c.params["chat_id"] for c in double.calls_of("sendMessage") if c.ok)
    return Counter({uid: chats[chat] for uid, chat in chat_of.items()})


@pytest.mark.parametrize(
    ("sig", "first", "later", "restart"),
    [(signal.SIGTERM, 15, 4, True), (signal.SIGINT, 6, 2, False)],
    ids=["SIGTERM", "SIGINT"],
)
def test_stop_signal_answers_what_was_fetched_and_restart_answers_the_rest(
    double, tmp_path, sig, first, later, restart
):
    log = tmp_path / "stderr.log"
    chat_of: dict[int, int] = {}
    for i in range(first):
        chat_of[ask(double, 6000 + i)] = 6000 + i
    # The first poll fetches the first batch; the next one stalls, so the later batch is still on the
    # server when the signal arrives. Each reply takes 0.2 s, so some are in flight at the signal.
    double.delay_next("getUpdates", 0, times=1)
    double.delay_next("getUpdates", 3, times=1)
    double.delay_next("sendMessage", 0.2, times=first)

    process = start_bot(double, tmp_path / "data", log)
    try:
        double.wait_for("sendMessage", 3, timeout=20)
        for i in range(later):
            chat_of[ask(double, 7000 + i)] = 7000 + i
        answered_at_signal = len(double.calls_of("sendMessage"))
        rc = stop_bot(process, sig, within=first * 0.2 + 5)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    stderr = log.read_text()
    assert rc == 0, stderr
    assert "Traceback" not in stderr, stderr
    assert answered_at_signal < first, "nothing was in flight at the signal; the test proves nothing"

    counts = answer_counts(double, chat_of)
    answered = {uid for uid, n in counts.items() if n}
    assert all(n <= 1 for n in counts.values()), f"answered twice: {counts}"
    offset = double.confirmed_offset
    assert set(list(chat_of)[:first]) <= answered, "an update the bot had fetched was not answered"
    assert answered == {uid for uid in chat_of if uid < offset}, (
        f"the committed offset {offset} does not match what was answered: {sorted(answered)}"
    )

    if not restart:
        return
    # Second run: what the first run committed is not answered again, the rest is answered once.
    process = start_bot(double, tmp_path / "data", log)
    try:
        double.wait_for("sendMessage", len(chat_of), timeout=20, predicate=lambda c: c.ok, answered=True)
        double.wait_idle(quiet=0.5)
        rc = stop_bot(process, signal.SIGTERM, within=5)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert rc == 0, log.read_text()
    counts = answer_counts(double, chat_of)
    assert set(counts.values()) == {1}, f"not every question was answered exactly once: {counts}"
    assert double.confirmed_offset > max(chat_of)


# ---------------------------------------------------------------------- 5. broken content
def run_refusing(double: BotApiDouble, tmp_path: Path, **extra: str) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "TELEGRAM_BOT_TOKEN": double.token,
        "TELEGRAM_API_URL": double.base_url,
        "KYR_DATA_DIR": str(tmp_path / "data"),
        **extra,
    }
    return subprocess.run(
        [sys.executable, "-m", "bot", "run"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=30
    )


def test_broken_knowledge_base_refuses_to_start(double, tmp_path):
    kb = tmp_path / "knowledge"
    shutil.copytree(ROOT / "knowledge", kb)
    broken = kb / "entries" / "287g-basics.yaml"
    text = broken.read_text()
    assert re.search(r"\nreviewed: \d{4}-\d\d-\d\d\n", text)
    broken.write_text(re.sub(r"\nreviewed: \d{4}-\d\d-\d\d\n", "\nreviewed: someday\n", text, count=1))

    result = run_refusing(double, tmp_path, KYR_KNOWLEDGE_DIR=str(kb))
    assert result.returncode != 0
    line = text.splitlines().index(next(t for t in text.splitlines() if t.startswith("reviewed:"))) + 1
    assert re.search(rf"^{re.escape(str(broken))}:{line}: \S", result.stderr, re.M), result.stderr
    assert not double.calls_of("getUpdates")
    assert not double.calls, "the bot talked to Telegram before refusing to start"


def test_broken_translation_catalog_refuses_to_start(double, tmp_path):
    locales = tmp_path / "locales"
    shutil.copytree(ROOT / "locales", locales)
    catalog = locales / "es" / "LC_MESSAGES" / "messages.po"
    lines = catalog.read_text().splitlines(keepends=True)
    at = lines.index('msgstr "Sobre este bot"\n')
    lines[at] = 'msgstr ""\n'
    catalog.write_text("".join(lines))

    result = run_refusing(double, tmp_path, KYR_LOCALES_DIR=str(locales))
    assert result.returncode != 0
    # The problem is reported at the message's msgid line (the line before its msgstr).
    assert re.search(rf"^{re.escape(str(catalog))}:{at}: \S", result.stderr, re.M), result.stderr
    assert not double.calls_of("getUpdates")
    assert not double.calls, "the bot talked to Telegram before refusing to start"
