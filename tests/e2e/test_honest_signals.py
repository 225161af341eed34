"""Signals an operator acts on, through the real ``kyr-bot run`` process and the Bot API double: a rejected
token stops the bot before any model is fitted; ``kyr-bot health`` fails as soon as the bot is gone, a kill
included; ``kyr-bot reload`` waits and says whether the reload was refused; the log keeps a data folder
named ``botdata`` as it is; ``/borrar`` is answered in the middle of a burst."""

from __future__ import annotations

import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import time

from bot.runtime import exitcodes
from bot.runtime.health import PID_NAME
from bot.runtime.storage import DB_NAME
from testkit.harness import button, knowledge, text_of
from testkit.paths import ROOT
from testkit.process import bot_env, running_bot
from tests.e2e.test_operations import ask
from tests.e2e.test_usage_and_review import exchange


def kyr_bot(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=150
    )


def test_a_rejected_token_stops_the_bot_before_the_model_is_fitted(double, tmp_path):
    models = tmp_path / "models"  # no model cached: starting would fit one (seconds, hundreds of MiB)
    models.mkdir()
    env = bot_env(double, tmp_path / "data", TELEGRAM_BOT_TOKEN="5550001234:AAFakeButRealisticTokenPart_0123456789")
    env["KYR_MODEL_DIR"] = str(models)
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-m", "bot", "run"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    took = time.monotonic() - started
    assert result.returncode == exitcodes.TOKEN_REJECTED, result.stderr
    assert result.stderr.strip().splitlines()[-1].startswith("kyr-bot: Telegram rejected the bot token")
    assert list(models.iterdir()) == [] and "Fitting the matcher's model" not in result.stderr
    print(f"rejected token: exit 3 after {took:.1f} s, no model fitted")  # the README quotes this figure


def test_health_fails_as_soon_as_the_bot_is_killed(double, tmp_path):
    """A kill leaves the pid file and a fresh heartbeat behind (a clean stop removes the pid file:
    tests/e2e/test_operations.py)."""
    data = tmp_path / "data"
    env = bot_env(double, data)
    with running_bot(double, data) as bot:
        ask(double, 9601)  # an answered poll: the heartbeat is fresh
        bot.wait_log("Started")
        assert kyr_bot(env, "health").returncode == exitcodes.OK
        assert bot.stop(signal.SIGKILL) == -signal.SIGKILL
    health = kyr_bot(env, "health")  # the heartbeat is a second old, the pid file still there
    assert (data / PID_NAME).exists() and health.returncode == exitcodes.FAILED, health.stdout
    reason = health.stderr.strip()
    assert re.fullmatch(rf"kyr-bot health: FAILING: the bot \(pid {bot.proc.pid} in \S+\) is not running: .*", reason)


def test_reload_waits_and_exits_non_zero_with_the_problems_when_refused(double, tmp_path):
    kb, locales, data = tmp_path / "knowledge", tmp_path / "locales", tmp_path / "data"
    shutil.copytree(ROOT / "knowledge", kb)
    shutil.copytree(ROOT / "locales", locales)
    entry = kb / "entries" / "detainer-basics.yaml"
    original = entry.read_text()
    env = bot_env(double, data, KYR_KNOWLEDGE_DIR=str(kb), KYR_LOCALES_DIR=str(locales))
    with running_bot(double, data, KYR_KNOWLEDGE_DIR=str(kb), KYR_LOCALES_DIR=str(locales)) as bot:
        ask(double, 9701)
        entry.write_text(original.replace("\nreviewed: ", "\nreviewed: someday-", 1))
        refused = kyr_bot(env, "reload")
        assert refused.returncode == exitcodes.BAD_CONFIG, refused.stdout + refused.stderr
        line = next(i for i, t in enumerate(entry.read_text().splitlines(), 1) if t.startswith("reviewed:"))
        assert re.search(rf"^{re.escape(str(entry))}:{line}: ", refused.stderr, re.M), refused.stderr
        entries = len(knowledge().entries)
        assert refused.stderr.strip().endswith(
            f"refused; the bot still serves the previous content ({entries} entries)"
        )

        entry.write_text(original)  # fixed; and a catalog edit, which needs no new model
        catalog = locales / "en" / "LC_MESSAGES" / "messages.po"
        catalog.write_text(catalog.read_text().replace('msgstr "Sources:"', 'msgstr "Where this comes from:"'))
        done = kyr_bot(env, "reload")
        assert done.returncode == exitcodes.OK, done.stdout + done.stderr
        assert done.stdout.strip() == f"kyr-bot reload: done: {entries} entries in service (pid {bot.proc.pid})"
        assert "Where this comes from:" in ask(double, 9702)  # returned only once the new content is served
        assert bot.stop() == exitcodes.OK


def test_a_data_folder_named_botdata_is_logged_as_it_is(double, tmp_path):
    data = tmp_path / "botdata"
    with running_bot(double, data, KYR_LOG_LEVEL="DEBUG") as bot:
        ask(double, 9801)
        out = bot.wait_log("Started")
        assert bot.stop() == exitcodes.OK
    assert f"state in {data / DB_NAME}." in out, out.splitlines()[0]
    assert "bot<token>data" not in bot.text() and double.token not in bot.text()


def test_delete_is_answered_in_the_middle_of_a_burst(double, tmp_path):
    data = tmp_path / "data"
    chat = 9901
    with running_bot(double, data) as bot:  # the real flood protection: 8 messages in 10 seconds
        menu = exchange(double, double.make_text_message(chat, "/idioma", language_code="es"), "sendMessage", chat)
        double.push_update(
            double.make_callback(chat, button(menu, "Español")["callback_data"], double.message_id_of(menu))
        )
        double.wait_for("editMessageText", 1, 15, answered=True)
        db = sqlite3.connect(data / DB_NAME)
        assert db.execute("SELECT lang FROM language WHERE user_id = ?", (chat,)).fetchall() == [("es",)]
        burst = ["que es un detainer"] * 8 + ["/borrar", "que es un detainer"]  # /borrar is the 9th
        for text in burst:
            double.push_update(double.make_text_message(chat, text, language_code="es"))
        deleted = double.wait_for(
            "sendMessage",
            1,
            15,
            lambda c: c.params["chat_id"] == chat and "Borré todo" in c.params["text"],
            answered=True,
        )
        assert text_of(deleted[0]).startswith("Listo. Borré todo lo que tenía guardado sobre usted")
        assert db.execute("SELECT lang FROM language WHERE user_id = ?", (chat,)).fetchall() == []
        assert bot.stop() == exitcodes.OK


def test_a_reload_asked_for_while_the_bot_is_still_reaching_telegram_is_carried_out_once_it_runs(double, tmp_path):
    # From an operator's trial: a SIGHUP before the event loop ran (Telegram unreachable at start, or the
    # model being fitted) was ignored: `kyr-bot reload` waited for an outcome that never came, and the
    # edited content was not served.
    kb, data = tmp_path / "knowledge", tmp_path / "data"
    shutil.copytree(ROOT / "knowledge", kb)
    catalog_dir = tmp_path / "locales"
    shutil.copytree(ROOT / "locales", catalog_dir)
    double.drop_next("getMe", times=3)  # Telegram unreachable: retried after 1, 2 and 4 s
    with running_bot(double, data, KYR_KNOWLEDGE_DIR=str(kb), KYR_LOCALES_DIR=str(catalog_dir)) as bot:
        double.wait_for("getMe", 1, timeout=20)
        catalog = catalog_dir / "en" / "LC_MESSAGES" / "messages.po"
        catalog.write_text(catalog.read_text().replace('msgstr "Sources:"', 'msgstr "Where this comes from:"'))
        bot.proc.send_signal(signal.SIGHUP)  # what `kyr-bot reload` sends
        bot.wait_log("Knowledge base reloaded", timeout=30)
        assert "Where this comes from:" in ask(double, 9711)
        assert bot.stop() == exitcodes.OK
    assert "Traceback" not in bot.text()
