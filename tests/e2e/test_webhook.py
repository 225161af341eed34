"""Webhook mode end to end: the real ``kyr-bot run --webhook-url ...`` process, with Telegram played by
the Bot API double (it registers the webhook there and answers through it; the double posts updates
to the bot's webhook server like Telegram does)."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from testkit.botapi_double import BotApiDouble
from testkit.harness import text_of
from testkit.paths import ROOT

TOKEN = "7351928460:AAHq3xZsecretPartOfTheTokenXYZ_987-abc"
PUBLIC_URL = "https://bot.example.org/hook/abc"

pytest.importorskip("tornado", reason="webhooks need python-telegram-bot[webhooks]")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class WebhookBot:
    def __init__(self, double: BotApiDouble, port: int, log: Path) -> None:
        self.double = double
        self.url = f"http://127.0.0.1:{port}/hook/abc"
        self.log = log
        self.exit_code: int | None = None

    def post(self, update: dict, secret: str | None) -> int:
        """Post like Telegram does; retried briefly while the server is still coming up."""
        deadline = time.monotonic() + 10
        while True:
            try:
                return self.double.post_update_to(self.url, update, secret_token=secret)
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    def replies_to(self, chat_id: int) -> list:
        return [c for c in self.double.calls_of("sendMessage") if c.params["chat_id"] == chat_id]


@contextlib.contextmanager
def webhook_bot(double: BotApiDouble, data_dir: Path, secret: str | None) -> Iterator[WebhookBot]:
    port = free_port()
    env = {
        **os.environ,
        "TELEGRAM_BOT_TOKEN": double.token,
        "TELEGRAM_API_URL": double.base_url,
        "KYR_DATA_DIR": str(data_dir),
        "KYR_MAX_RATE": "0",
    }
    env.pop("TELEGRAM_WEBHOOK_SECRET", None)
    if secret is not None:
        env["TELEGRAM_WEBHOOK_SECRET"] = secret
    log = data_dir / "stderr.txt"
    cmd = [
        sys.executable,
        "-m",
        "bot",
        "run",
        "--webhook-url",
        PUBLIC_URL,
        "--listen",
        "127.0.0.1",
        "--port",
        str(port),
    ]
    bot = WebhookBot(double, port, log)
    with log.open("w") as out:
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=out, stderr=out)
        try:
            double.wait_for("setWebhook", timeout=20)
            yield bot
        finally:
            proc.send_signal(signal.SIGTERM)
            try:
                bot.exit_code = proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
                raise


@pytest.fixture
def double():
    with BotApiDouble(token=TOKEN) as d:
        yield d


def test_webhook_with_configured_secret(double, tmp_path):
    with webhook_bot(double, tmp_path, "s3cret") as bot:
        hook = double.webhook
        assert hook is not None and hook["url"] == PUBLIC_URL and hook["secret_token"] == "s3cret"
        assert {"message", "callback_query", "inline_query"} <= set(hook["allowed_updates"])

        # The right secret: accepted, answered through the Bot API.
        update = double.make_text_message(5001, "what is an ice detainer", language_code="en")
        update["update_id"] = 10_001
        assert bot.post(update, "s3cret") == 200
        reply = double.wait_for("sendMessage", predicate=lambda c: c.params["chat_id"] == 5001)[0]
        assert "Sources:" in text_of(reply)

        # The same update again (Telegram retries when unsure it got through): answered once.
        assert bot.post(update, "s3cret") == 200
        # A wrong, an empty or a missing secret: refused, never answered.
        for i, secret in enumerate(("wrong", "S3CRET", "", None)):
            forged = double.make_text_message(5002 + i, "what is 287g", language_code="en")
            assert bot.post(forged, secret) == 403, secret
        # A different path is not the webhook.
        other = double.make_text_message(5010, "what is 287g")
        assert double.post_update_to(bot.url.replace("/abc", "/xyz"), other, secret_token="s3cret") == 404

        # An update the library cannot read (an older Bot API server's poll) and one of a type the bot
        # never asked for: taken (200, so Telegram does not send them again) and never answered.
        assert bot.post(double.make_poll_message(5020, "Which one?"), "s3cret") == 200
        assert bot.post(double.make_business_message(5021, "what is 287g"), "s3cret") == 200
        # Still answering after all that.
        assert bot.post(double.make_text_message(5001, "/topics"), "s3cret") == 200
        double.wait_for("sendMessage", 2, predicate=lambda c: c.params["chat_id"] == 5001)
        double.wait_idle(0.3)
        assert len(bot.replies_to(5001)) == 2
        assert "Choose a topic" in text_of(bot.replies_to(5001)[1])
        assert not [c for c in double.calls_of("sendMessage") if c.params["chat_id"] != 5001]
        assert all(c.ok for c in double.calls if c.method != "getUpdates")
    assert bot.exit_code == 0, bot.log.read_text()
    out = bot.log.read_text()
    assert "Starting webhook" in out and "could not be read" in out and "Which one?" not in out
    assert "TELEGRAM_WEBHOOK_SECRET is not set" not in out
    for secret in (TOKEN, TOKEN.split(":")[0], TOKEN.split(":")[1], "s3cret"):
        assert secret not in out


def test_webhook_without_configured_secret_makes_one_up(double, tmp_path):
    with webhook_bot(double, tmp_path, None) as bot:
        hook = double.webhook
        assert hook is not None and hook["url"] == PUBLIC_URL
        secret = hook["secret_token"]
        assert secret and len(secret) >= 32

        assert bot.post(double.make_text_message(5101, "what is an ice detainer"), None) == 403
        assert bot.post(double.make_text_message(5102, "what is an ice detainer"), "") == 403
        assert bot.post(double.make_text_message(5103, "qué es un detainer"), secret) == 200
        reply = double.wait_for("sendMessage", predicate=lambda c: c.params["chat_id"] == 5103)[0]
        assert "Revisado" in text_of(reply)
        double.wait_idle(0.3)
        assert [c.params["chat_id"] for c in double.calls_of("sendMessage")] == [5103]
    assert bot.exit_code == 0, bot.log.read_text()
    out = bot.log.read_text()
    assert secret not in out and TOKEN not in out and TOKEN.split(":")[1] not in out
    # A made-up secret only works for this one process: the operator is told so.
    warning = [line for line in out.splitlines() if "TELEGRAM_WEBHOOK_SECRET is not set" in line]
    assert len(warning) == 1 and " WARNING " in warning[0] and "Several copies" in warning[0], out
