"""Real Telegram failures, reproduced with the real ``kyr-bot run`` process against the Bot API double:
an update the library cannot read, a kill in the middle of a batch, a send Telegram answers slowly, the
bot added and removed again and again, a 502 page from Telegram's front end, business messages.

Nothing a user sent is lost, nothing is answered twice, and nobody waits on someone else's trouble.
(Two copies of the bot: tests/channels/telegram/test_busy_and_backlog.py.)"""

from __future__ import annotations

import signal
from collections import Counter

from bot.runtime import exitcodes
from testkit.botapi_double import BotApiDouble, Call
from testkit.botapi_groups import bot_added
from testkit.harness import ask, delivered, knowledge, text_of
from testkit.process import running_bot

QUESTION = "what is an ice detainer"


def title() -> str:
    return knowledge().entries["detainer-basics"].text("en").title


def answered(double: BotApiDouble, chat: int, timeout: float = 20) -> Call:
    """Wait for the first message ``chat`` receives."""
    calls = double.wait_for("sendMessage", 1, timeout, lambda c: c.params["chat_id"] == chat and c.ok, answered=True)
    return calls[0]


def lines(log: str, level: str) -> list[str]:
    return [line for line in log.splitlines() if f" {level} " in line]


# ---------------------------------------------------------------------- an update the library cannot read
def test_an_update_the_library_cannot_read_is_skipped_and_everyone_else_is_answered(double, tmp_path):
    poll_question = "Which lawyer 5517 is best?"
    bad = double.push_update(double.make_poll_message(1201, poll_question))  # an older Bot API server's poll
    for chat in (1202, 1203):  # in the same batch
        ask(double, chat)
    with running_bot(double, tmp_path / "data") as bot:
        assert title() in text_of(answered(double, 1202))
        assert title() in text_of(answered(double, 1203))
        ask(double, 1204)  # and after it
        assert title() in text_of(answered(double, 1204))
        double.wait_idle(0.5)
        assert double.confirmed_offset > bad, "the update that cannot be read was not confirmed"
        assert len(double.calls_of("getUpdates")) < 20, "the batch was fetched again and again"
        assert bot.stop() == exitcodes.OK
    log = bot.text()
    skipped = [line for line in log.splitlines() if "could not be read" in line]
    assert len(skipped) == 1 and " WARNING " in skipped[0], log
    assert poll_question not in log and "5517" not in log
    assert not lines(log, "CRITICAL") and not lines(log, "ERROR") and "Traceback" not in log, log
    assert not [c for c in double.calls if c.params.get("chat_id") == 1201]


# ---------------------------------------------------------------------- a kill in the middle of a batch
def test_a_kill_mid_batch_loses_no_question_and_answers_none_twice(double, tmp_path):
    data = tmp_path / "data"
    chats = list(range(1301, 1317))
    for chat in chats:
        ask(double, chat)
    double.delay_next("sendMessage", 0, times=4)  # four answers get through…
    double.hold_next("sendMessage", times=12)  # …the next ones are on their way when the process dies
    with running_bot(double, data) as bot:
        double.wait_for("sendMessage", 8, timeout=20)  # four answered, four held (every working slot)
        bot.proc.kill()  # SIGKILL, as the kernel's OOM killer does
        bot.proc.wait()
    double.release_held("drop")  # what was in flight never reached Telegram
    double.clear_faults()
    first_run = {chat for chat in chats if delivered(double, chat)}
    assert len(first_run) == 4, first_run

    with running_bot(double, data) as bot:
        for chat in chats:
            answered(double, chat)
        double.wait_idle(0.5)
        assert bot.stop() == exitcodes.OK
    counts = Counter(c.params["chat_id"] for c in double.calls_of("sendMessage") if c.ok)
    assert {chat: counts[chat] for chat in chats} == dict.fromkeys(chats, 1), "a question was lost or answered twice"
    assert double.confirmed_offset > 16, "what was answered was not confirmed"
    assert "Traceback" not in bot.text()


# ---------------------------------------------------------------------- a slow Telegram
def test_a_send_telegram_answers_slowly_is_not_sent_again(double, tmp_path):
    double.delay_next("sendMessage", 6)  # longer than python-telegram-bot's default 5 s read timeout
    with running_bot(double, tmp_path / "data") as bot:
        ask(double, 1401)
        assert title() in text_of(answered(double, 1401))
        ask(double, 1402)
        assert title() in text_of(answered(double, 1402))
        double.wait_idle(0.5)
        assert bot.stop() == exitcodes.OK
    assert len(delivered(double, 1401)) == 1, "the person got the same answer more than once"
    assert len(delivered(double, 1402)) == 1


# ---------------------------------------------------------------------- added and removed again and again
def test_adding_and_removing_the_bot_again_and_again_posts_the_how_to_once(double, tmp_path):
    group, other = -4101, -4102
    with running_bot(double, tmp_path / "data") as bot:
        for _ in range(10):
            double.push_update(bot_added(double, group, by_user=41))
            double.push_update(bot_added(double, group, by_user=41, old="member", new="left"))
        double.push_update(bot_added(double, other, by_user=42))
        answered(double, other)
        double.wait_idle(0.5)
        assert bot.stop() == exitcodes.OK
    assert len(delivered(double, group)) == 1, "the group's how-to was posted more than once"
    assert len(delivered(double, other)) == 1


# ---------------------------------------------------------------------- a 502 page
def test_a_502_page_is_logged_as_the_network_fault_it_is_without_the_token(double, tmp_path):
    page = (
        "<html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1>"
        f"<p>upstream failed for POST /bot{double.token}/getUpdates</p><hr>nginx</body></html>"
    )
    with running_bot(double, tmp_path / "data", KYR_LOG_LEVEL="DEBUG") as bot:
        ask(double, 1501)
        answered(double, 1501)
        double.error_page_next("getUpdates", page=page)
        double.error_page_next("sendMessage", page=page)
        ask(double, 1502)  # ends the current long poll: the next one meets the page, and so does the reply
        assert title() in text_of(answered(double, 1502))
        bot.wait_log("Telegram reachable again")
        ask(double, 1503)
        answered(double, 1503)
        assert bot.stop() == exitcodes.OK
    log = bot.text()
    assert lines(log, "WARNING") and "Telegram unreachable, retrying (NetworkError)" in log, log
    assert not lines(log, "ERROR") and "Can not load invalid JSON" not in log, log
    assert double.token not in log and double.token.split(":")[1] not in log and "upstream" not in log
    assert len(delivered(double, 1502)) == 1


# ---------------------------------------------------------------------- business messages
def test_business_messages_are_never_answered(double, tmp_path):
    customer = 1601
    with running_bot(double, tmp_path / "data") as bot:
        # Not subscribed to: a server that ignores allowed_updates delivers them all the same.
        double.push_update(double.make_business_message(customer, QUESTION), ignore_allowed=True)
        double.push_update(double.make_business_message(customer, "/start", edited=True), ignore_allowed=True)
        ask(double, 1602)
        assert title() in text_of(answered(double, 1602))
        double.wait_idle(0.5)
        assert bot.stop(signal.SIGTERM) == exitcodes.OK
    assert not [c for c in double.calls if c.params.get("chat_id") == customer], "a customer's chat was answered"


# ---------------------------------------------------------------------- a stop while an answer waits
def test_a_stop_while_an_answer_waits_out_a_flood_wait_ends_in_time_and_the_next_start_answers_it(double, tmp_path):
    # Telegram asks the bot to wait 50 s before writing to chat 1501. A stop (SIGTERM) meanwhile ends within
    # KYR_STOP_SECONDS, before a supervisor's stop timeout (systemd's and Docker's: 30 s) would kill it, and
    # leaves that answer to the next start; everyone else was answered; nothing comes twice.
    data = tmp_path / "data"
    double.rate_limit_next("sendMessage", retry_after=50, chat_id=1501)
    with running_bot(double, data, KYR_STOP_SECONDS="2") as bot:
        ask(double, 1501)
        double.wait_for("sendMessage", 1, 20, lambda c: c.params["chat_id"] == 1501)  # the 429
        ask(double, 1502)
        assert title() in text_of(answered(double, 1502))
        assert bot.stop(within=15) == exitcodes.OK
    assert "left for the next start" in bot.text()
    assert not delivered(double, 1501)
    with running_bot(double, data) as bot:
        assert title() in text_of(answered(double, 1501))
        double.wait_idle(0.5)
        assert bot.stop() == exitcodes.OK
    assert len(delivered(double, 1501)) == 1 and len(delivered(double, 1502)) == 1
    assert "Traceback" not in bot.text()


def test_a_held_back_message_cut_short_by_a_stop_is_answered_by_the_next_start(double, tmp_path):
    # Flood protection holds the newest of a burst back; its send then meets a 50 s flood wait and a stop
    # cancels it. It was marked handled all the same (and confirmed): the next start never answered it.
    data = tmp_path / "data"
    with running_bot(double, data, KYR_STOP_SECONDS="2") as bot:
        for i in range(10):  # eight answered, the ninth told to slow down, the tenth held back
            ask(double, 1601, f"{QUESTION} {i}")
        double.wait_for("sendMessage", 9, 20, lambda c: c.params["chat_id"] == 1601)
        double.rate_limit_next("sendMessage", retry_after=50, chat_id=1601)
        double.wait_for("sendMessage", 10, 20, lambda c: c.params["chat_id"] == 1601)  # the held one: a 429
        assert bot.stop(within=15) == exitcodes.OK
    assert "1 left for the next start" in bot.text(), bot.text()
    assert len(delivered(double, 1601)) == 9
    with running_bot(double, data) as bot:
        double.wait_for("sendMessage", 10, 20, lambda c: c.params["chat_id"] == 1601 and c.ok)
        double.wait_idle(0.5)
        assert bot.stop() == exitcodes.OK
    assert len(delivered(double, 1601)) == 10
