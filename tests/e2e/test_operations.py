"""Running the bot for real: the ``kyr-bot run`` process against the Bot API double, as an operator
sees it. Telegram unreachable at start, a rejected token, exit statuses, the start-up summary, the
heartbeat and ``kyr-bot health``, ``kyr-bot reload``, ``/healthz`` in webhook mode."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest

from bot.channels.telegram import ALLOWED_UPDATES
from bot.cli import main
from bot.runtime import exitcodes
from bot.runtime.health import HEARTBEAT_NAME, PID_NAME
from testkit.botapi_double import BotApiDouble
from testkit.harness import knowledge, text_of
from testkit.paths import ROOT
from testkit.process import bot_env, running_bot
from tests.e2e.test_webhook import webhook_bot

QUESTION = "what is an ice detainer"
UNREACHABLE = "Telegram unreachable, retrying"


def ask(double: BotApiDouble, chat: int, text: str = QUESTION, timeout: float = 15) -> str:
    double.push_update(double.make_text_message(chat, text, language_code="en"))
    calls = double.wait_for("sendMessage", 1, timeout, lambda c: c.params["chat_id"] == chat and c.ok, answered=True)
    return text_of(calls[-1])


def log_lines(text: str, level: str) -> list[str]:
    return [line for line in text.splitlines() if f" {level} " in line]


# ---------------------------------------------------------------------- reaching Telegram
def test_unreachable_telegram_at_start_is_retried_with_backoff_then_the_bot_answers(double, tmp_path):
    double.drop_next("getMe", times=3)  # the connection is cut: what a network outage looks like
    with running_bot(double, tmp_path / "data") as bot:
        tries = double.wait_for("getMe", 3, timeout=10)
        time.sleep(0.5)
        assert bot.proc.poll() is None, bot.text()
        assert bot.text().count(UNREACHABLE) == 1, bot.text()  # said once, not at every try
        gaps = [b.time - a.time for a, b in zip(tries, tries[1:], strict=False)]
        assert 0.85 <= gaps[0] <= 1.6 and 1.75 <= gaps[1] <= 2.7, gaps  # 1 s, then 2 s (± a tenth)

        # Telegram is back: the bot starts and answers, with only the update types it handles.
        assert "detainer" in ask(double, 9001).lower()
        assert "Telegram reachable again" in bot.text()
        polls = double.calls_of("getUpdates")
        assert polls[-1].params["allowed_updates"] == list(ALLOWED_UPDATES)

        # A fault while polling is an outage, not an error with a traceback.
        double.fail_next("getUpdates", status=502, description="Bad Gateway")
        ask(double, 9002)  # ends the current long poll; the next one meets the fault
        double.wait_for("getUpdates", predicate=lambda c: c.status == 502)
        ask(double, 9003)
        out = bot.wait_log("Telegram reachable again", count=2)
        assert out.count(UNREACHABLE) == 2
        assert bot.stop() == exitcodes.OK
    out = bot.text()
    assert "Traceback" not in out and "Exception happened" not in out and "Error while handling" not in out, out


@pytest.mark.parametrize(
    ("token", "level"),
    [("5550001234:AAFakeButRealisticTokenPart_0123456789", "INFO"), ("5550001234:Zq9-odd_secret", "DEBUG")],
    ids=["token-shaped", "odd-shaped-debug-log"],
)
def test_rejected_token_exits_3_with_one_line_and_never_shows_the_token(double, tmp_path, token, level):
    env = bot_env(double, tmp_path / "data", TELEGRAM_BOT_TOKEN=token, KYR_LOG_LEVEL=level)
    result = subprocess.run(
        [sys.executable, "-m", "bot", "run"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=30
    )
    assert result.returncode == exitcodes.TOKEN_REJECTED, result.stderr
    lines = result.stderr.strip().splitlines()
    said = [line for line in lines if "Telegram rejected" in line]
    assert len(said) == 1 and said[0] == lines[-1], result.stderr
    assert said[0].startswith("kyr-bot: Telegram rejected the bot token (Unauthorized)"), said
    assert "Traceback" not in result.stderr
    for part in (token, *token.split(":")):
        assert part not in result.stdout + result.stderr, part
    assert not double.calls  # the double records only calls made with its own token
    assert not (tmp_path / "data" / PID_NAME).exists()


def test_token_revoked_while_polling_exits_3(double, tmp_path):
    with running_bot(double, tmp_path / "data") as bot:
        ask(double, 9101)
        double.fail_next("getUpdates", status=401, description="Unauthorized")
        double.push_update(double.make_text_message(9102, "/help"))  # ends the current long poll
        assert bot.proc.wait(15) == exitcodes.TOKEN_REJECTED, bot.text()
    out = bot.text()
    assert "kyr-bot: Telegram rejected the bot token" in out.splitlines()[-1]
    assert double.token not in out and double.token.split(":")[1] not in out


# ---------------------------------------------------------------------- start-up summary, warnings, log level
def test_start_up_summary_heartbeat_health_and_pid_file(double, tmp_path, monkeypatch, capsys):
    data = tmp_path / "data"
    monkeypatch.setenv("KYR_DATA_DIR", str(data))
    with running_bot(double, data) as bot:
        ask(double, 9201)  # an answered poll: the heartbeat is touched
        out = bot.wait_log("Started")
        info = log_lines(out, "INFO")
        assert re.search(
            rf"kyr-bot \S+: {len(knowledge().entries)} entries in en, es; long polling; no send limiter; "
            r"state in \S+kyr-bot\.sqlite3\.$",
            info[0],
        ), info[0]
        assert any("contacts.yaml:" in line and "over 12 months ago" in line for line in log_lines(out, "WARNING"))
        assert (data / PID_NAME).read_text().strip() == str(bot.proc.pid)
        assert (data / HEARTBEAT_NAME).is_file()
        assert main(["health"]) == exitcodes.OK
        assert bot.stop() == exitcodes.OK
    assert not (data / PID_NAME).exists()
    capsys.readouterr()
    assert main(["health"]) == exitcodes.FAILED  # stopped: at once, though the heartbeat is fresh
    assert "no running bot" in capsys.readouterr().err

    (data / PID_NAME).write_text(f"{os.getpid()}\n")  # a live process whose polling has stalled
    old = time.time() - 120
    os.utime(data / HEARTBEAT_NAME, (old, old))
    assert main(["health"]) == exitcodes.FAILED
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "last heartbeat 120 s ago" in err[0], err
    (data / HEARTBEAT_NAME).unlink()
    assert main(["health"]) == exitcodes.FAILED
    assert "no heartbeat" in capsys.readouterr().err


def test_review_date_a_few_days_ahead_is_a_warning_and_log_level_is_honoured(double, tmp_path):
    kb = tmp_path / "knowledge"
    shutil.copytree(ROOT / "knowledge", kb)
    entry = kb / "entries" / "287g-basics.yaml"
    ahead = dt.date.today() + dt.timedelta(days=3)
    entry.write_text(re.sub(r"\nreviewed: \S+\n", f"\nreviewed: {ahead}\n", entry.read_text(), count=1))
    with running_bot(double, tmp_path / "data", KYR_KNOWLEDGE_DIR=str(kb), KYR_LOG_LEVEL="WARNING") as bot:
        assert "detainer" in ask(double, 9301).lower()
        assert bot.stop() == exitcodes.OK
    out = bot.text()
    line = next(i for i, t in enumerate(entry.read_text().splitlines(), 1) if t.startswith("reviewed:"))
    assert f"{entry}:{line}: 'reviewed' date {ahead} is after today" in out, out
    assert not log_lines(out, "INFO"), out  # KYR_LOG_LEVEL=WARNING: no summary, no library chatter


# ---------------------------------------------------------------------- reload without restart
def test_reload_swaps_in_edited_content_and_refuses_a_broken_edit(double, tmp_path, monkeypatch, capsys):
    kb = tmp_path / "knowledge"
    shutil.copytree(ROOT / "knowledge", kb)
    entry = kb / "entries" / "detainer-basics.yaml"
    original = entry.read_text()
    assert "asks a jail to keep someone" in original
    locales = tmp_path / "locales"
    shutil.copytree(ROOT / "locales", locales)
    catalog = locales / "es" / "LC_MESSAGES" / "messages.po"
    assert 'msgstr "Fuentes:"' in catalog.read_text()
    data = tmp_path / "data"
    monkeypatch.setenv("KYR_DATA_DIR", str(data))
    with running_bot(double, data, KYR_KNOWLEDGE_DIR=str(kb), KYR_LOCALES_DIR=str(locales)) as bot:
        assert "asks a jail to keep someone" in ask(double, 9401)

        entry.write_text(original.replace("asks a jail to keep someone", "asks a county jail to keep someone"))
        catalog.write_text(catalog.read_text().replace('msgstr "Fuentes:"', 'msgstr "Fuentes consultadas:"'))
        assert main(["reload"]) == exitcodes.OK
        # The edit changes the content hash, so the reload refits the matcher's model first: about 8 s
        # alone, longer while the rest of the suite shares the machine.
        bot.wait_log(f"Knowledge base reloaded: {len(knowledge().entries)} entries", timeout=90)
        assert "asks a county jail to keep someone" in ask(double, 9402)
        assert "Fuentes consultadas:" in ask(double, 9404, "qué es un detainer")  # the catalogs too

        broken = re.sub(r"\nreviewed: \d{4}-\d\d-\d\d\n", "\nreviewed: someday\n", original, count=1)
        assert broken != original
        entry.write_text(broken)
        bot.proc.send_signal(signal.SIGHUP)  # what `systemctl reload` does
        out = bot.wait_log("Reload refused")
        line = next(i for i, t in enumerate(broken.splitlines(), 1) if t.startswith("reviewed:"))
        assert re.search(rf"ERROR \S+: {re.escape(str(entry))}:{line}: \S", out), out
        assert "asks a county jail to keep someone" in ask(double, 9403)  # the last good content is still served
        assert bot.stop() == exitcodes.OK
    assert "Traceback" not in bot.text()
    capsys.readouterr()
    assert main(["reload"]) == exitcodes.FAILED  # nothing running: the pid file is gone
    assert "no running bot found" in capsys.readouterr().err


# ---------------------------------------------------------------------- webhook health
def get_json(url: str, within: float = 5) -> tuple[int, dict]:
    """GET ``url``; a 503 ("starting": the webhook is registered a moment before the bot runs) is asked again."""
    deadline = time.monotonic() + within
    while True:
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as exc:
            if exc.code != 503 or time.monotonic() > deadline:
                return exc.code, json.loads(exc.read())
        time.sleep(0.05)


def test_webhook_serves_healthz_on_the_same_port(double, tmp_path, capsys):
    with webhook_bot(double, tmp_path, "s3cret") as bot:
        health_url = bot.url.replace("/hook/abc", "/healthz")
        assert get_json(health_url) == (200, {"status": "ok"})
        assert main(["health", "--url", health_url]) == exitcodes.OK
        assert bot.post(double.make_text_message(9501, QUESTION), "s3cret") == 200  # the webhook still works
        double.wait_for("sendMessage", predicate=lambda c: c.params["chat_id"] == 9501)
    assert bot.exit_code == exitcodes.OK
    capsys.readouterr()
    assert main(["health", "--url", health_url]) == exitcodes.FAILED
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "cannot be reached" in err[0], err
