"""The runtime's parts on their own: backoff, outage logging, the retry loop, log scrubbing, settings
(token file, webhook secret), health checks, and /delete leaving no trace in the state file."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import sys
import time
from io import StringIO
from types import SimpleNamespace

import pytest
from telegram.error import InvalidToken, NetworkError, TimedOut

from bot.channels.telegram.runner import summary
from bot.channels.telegram.startup import UNREACHABLE, Backoff, Reachability, until_reachable
from bot.channels.telegram.webhook import WebhookPlan
from bot.runtime.config import Config, ConfigError
from bot.runtime.health import Heartbeat, PidFile, check_heartbeat, read_pid
from bot.runtime.logsafe import SafeFormatter, configure_logging, keep_numbers, log_uncaught
from bot.runtime.reload import Reloader
from bot.runtime.storage import DB_NAME, SqliteStore

TOKEN = "7351928460:AAHq3xZsecretPartOfTheTokenXYZ_987-abc"


# ---------------------------------------------------------------------- backoff and outages
def test_backoff_doubles_from_one_second_up_to_a_minute_with_bounded_jitter():
    backoff = Backoff()
    assert [backoff.delay(n, rng=lambda: 0.5) for n in range(8)] == [1, 2, 4, 8, 16, 32, 60, 60]
    assert backoff.delay(1000, rng=lambda: 0.5) == 60
    for n in range(10):
        low, high = backoff.delay(n, rng=lambda: 0.0), backoff.delay(n, rng=lambda: 1.0)
        middle = backoff.delay(n, rng=lambda: 0.5)
        assert low == pytest.approx(middle * 0.9) and high == pytest.approx(middle * 1.1)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def logged():
    stream = StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
    logger = logging.getLogger("bot")
    saved = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    yield stream.getvalue
    logger.removeHandler(handler)
    logger.setLevel(saved)


def test_an_outage_is_logged_once_then_reminded_every_few_minutes(logged):
    clock = Clock()
    reach = Reachability(remind_every=300, clock=clock)
    for _ in range(50):  # a try every few seconds for 4 minutes: one line
        reach.failed(NetworkError("connection refused"))
        clock.now += 5
    assert logged().count(UNREACHABLE) == 1 and "still unreachable" not in logged()
    clock.now += 60
    reach.failed(TimedOut())
    assert logged().count("still unreachable after 310 s") == 1
    reach.reached()
    reach.reached()
    assert logged().count("Telegram reachable again after 310 s") == 1
    reach.failed(NetworkError("again"))  # a new outage is said again
    assert logged().count(UNREACHABLE) == 2
    assert "connection refused" not in logged()  # the type only, never the message


async def test_until_reachable_retries_network_faults_and_raises_a_rejected_token():
    calls = []

    async def flaky() -> None:
        calls.append(time.monotonic())
        if len(calls) < 3:
            raise NetworkError("down")

    fast = Backoff(first=0.01, cap=0.05)
    assert await until_reachable(flaky, asyncio.Event(), Reachability(), fast) is True
    assert len(calls) == 3

    async def rejected() -> None:
        raise InvalidToken("Unauthorized")

    with pytest.raises(InvalidToken):
        await until_reachable(rejected, asyncio.Event(), Reachability(), fast)


async def test_until_reachable_gives_up_at_once_when_stopped_mid_call_or_mid_wait():
    stop = asyncio.Event()

    async def hangs() -> None:
        await asyncio.sleep(60)

    asyncio.get_running_loop().call_later(0.1, stop.set)
    started = time.monotonic()
    assert await until_reachable(hangs, stop, Reachability()) is False
    assert time.monotonic() - started < 2

    stop = asyncio.Event()

    async def down() -> None:
        raise NetworkError("down")

    asyncio.get_running_loop().call_later(0.1, stop.set)
    started = time.monotonic()
    assert await until_reachable(down, stop, Reachability(), Backoff(first=30)) is False
    assert time.monotonic() - started < 2


# ---------------------------------------------------------------------- logs
def test_library_records_keep_their_numbers_but_not_their_texts():
    formatter = SafeFormatter(secrets=[TOKEN])
    record = logging.LogRecord(
        "httpx",
        logging.INFO,
        __file__,
        1,
        'HTTP Request: %s %s "%s %d %s" in %.1fms',
        ("POST", f"https://api.telegram.org/bot{TOKEN}/sendMessage", "HTTP/1.1", 429, "Too Many Requests", 12.34),
        None,
    )
    line = formatter.format(record)
    assert 'HTTP Request: … … "… 429 …" in 12.3ms' in line
    assert TOKEN.split(":")[1] not in line and "api.telegram.org" not in line
    assert keep_numbers("%(update)s took %(ms)d ms, 100%% sure", {"update": "hi Zebulon", "ms": 7}) == (
        "… took 7 ms, 100% sure"
    )


def test_an_uncaught_exception_is_logged_without_its_message_or_the_token():
    user_text = "Zebulon was here"  # (a traceback shows source lines: keep this one out of it)
    stream = StringIO()
    root = logging.getLogger()
    saved = (list(root.handlers), root.level)
    configure_logging(secrets=[TOKEN], stream=stream)
    try:
        try:
            raise RuntimeError(f"The token `{TOKEN}` was rejected; the user wrote: {user_text}")
        except RuntimeError:
            log_uncaught(*sys.exc_info())
    finally:
        for handler in list(root.handlers):
            root.removeHandler(handler)
        for handler in saved[0]:
            root.addHandler(handler)
        root.setLevel(saved[1])
        logging.captureWarnings(False)
    text = stream.getvalue()
    assert "CRITICAL" in text and "RuntimeError (message withheld)" in text
    for secret in (TOKEN, TOKEN.split(":")[0], TOKEN.split(":")[1], "Zebulon"):
        assert secret not in text


# ---------------------------------------------------------------------- settings
def test_token_file_is_read_trimmed_and_reported_clearly_when_missing_or_empty(tmp_path):
    token_file = tmp_path / "token"
    token_file.write_text(f"{TOKEN}\n")
    assert Config.from_env({"TELEGRAM_BOT_TOKEN_FILE": str(token_file)}).token == TOKEN
    # The variable wins over the file when both are set.
    assert Config.from_env({"TELEGRAM_BOT_TOKEN": "1:x", "TELEGRAM_BOT_TOKEN_FILE": str(token_file)}).token == "1:x"

    with pytest.raises(ConfigError, match=r"TELEGRAM_BOT_TOKEN_FILE \S+missing cannot be read \(No such file"):
        Config.from_env({"TELEGRAM_BOT_TOKEN_FILE": str(tmp_path / "missing")})
    empty = tmp_path / "empty"
    empty.write_text("\n")
    with pytest.raises(ConfigError, match=r"TELEGRAM_BOT_TOKEN_FILE \S+empty is empty"):
        Config.from_env({"TELEGRAM_BOT_TOKEN_FILE": str(empty)})
    pasted = tmp_path / "pasted"
    pasted.write_text("export TELEGRAM_BOT_TOKEN=123:abc\n")
    with pytest.raises(ConfigError, match="TELEGRAM_BOT_TOKEN_FILE .* does not look like a bot token") as info:
        Config.from_env({"TELEGRAM_BOT_TOKEN_FILE": str(pasted)})
    assert "123:abc" not in str(info.value)


@pytest.mark.parametrize("secret", ["s3cret", "A-z_0-9", "x" * 256])
def test_webhook_secret_that_telegram_accepts(secret):
    assert Config.from_env({"TELEGRAM_WEBHOOK_SECRET": secret}, need_token=False).webhook_secret == secret


@pytest.mark.parametrize(
    ("secret", "why"),
    [("x" * 257, "257 characters"), ("my secret!", "' ', '!'"), ("clé-secrète", "U+00E9"), (TOKEN, "':'")],
)
def test_webhook_secret_that_telegram_would_refuse_is_a_clear_config_error(secret, why):
    with pytest.raises(ConfigError, match="TELEGRAM_WEBHOOK_SECRET must be 1-256 characters") as info:
        Config.from_env({"TELEGRAM_WEBHOOK_SECRET": secret}, need_token=False)
    assert why in str(info.value)
    assert secret not in str(info.value)


# ---------------------------------------------------------------------- health and the data directory
def test_heartbeat_freshness_decides_health(tmp_path):
    path = tmp_path / "heartbeat"
    assert not check_heartbeat(path).ok and "no heartbeat" in check_heartbeat(path).reason
    Heartbeat(path).beat()
    assert check_heartbeat(path).ok
    assert check_heartbeat(path, now=time.time() + 89).ok
    late = check_heartbeat(path, now=time.time() + 91)
    assert not late.ok and "over 90 s" in late.reason


def test_unusable_data_directory_is_warned_once_and_summarised_as_memory_only(tmp_path, logged):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory\n")
    heartbeat = Heartbeat(blocker / "data" / "heartbeat", every=0)
    for _ in range(3):
        heartbeat.beat()
    assert logged().count("cannot be written") == 1
    PidFile(blocker / "data" / "kyr-bot.pid").write()
    assert read_pid(blocker / "data" / "kyr-bot.pid") is None
    store = SqliteStore(blocker / "data")
    try:
        config = Config(data_dir=blocker / "data", max_rate=30)
        line = summary(config, ("en", "es"), 40, None, store)
    finally:
        store.close()
    assert line.endswith(
        "40 entries in en, es; long polling; at most 30 messages a second; state in memory only "
        "(the data directory is unusable)."
    )
    plan = WebhookPlan("https://bot.example.org/hook", "/hook", "127.0.0.1", 8443, "s3cret")
    line = summary(Config(max_rate=0), ("en",), 1, plan, store)
    assert "1 entries in en; webhook on 127.0.0.1:8443; no send limiter;" in line
    assert "/hook" not in line and "s3cret" not in line


# ---------------------------------------------------------------------- /delete leaves no trace
def test_deleted_language_choice_leaves_no_trace_in_the_state_file_or_its_log(tmp_path, monkeypatch):
    real_connect = sqlite3.connect

    def connect_like_a_stock_sqlite(*args, **kwargs):
        # Some SQLite builds (Debian's, this one) zero deleted rows by default; most do not. Start from
        # that default, so the test shows the store turns it on itself.
        db = real_connect(*args, **kwargs)
        db.execute("PRAGMA secure_delete=OFF")
        return db

    monkeypatch.setattr(sqlite3, "connect", connect_like_a_stock_sqlite)
    store = SqliteStore(tmp_path)
    # The store keeps whatever language code it is given: a long one is easy to find in the raw bytes
    # (the first bytes of a deleted row are overwritten by SQLite's free-list bookkeeping anyway).
    marker = "xx-deleted-language-marker"
    kept, deleted = 987_654_321, 123_456_789
    store.set_language(deleted, marker)
    store.set_language(kept, "es-kept-language-marker")
    wal = tmp_path / f"{DB_NAME}-wal"

    def on_disk() -> bytes:
        return b"".join(p.read_bytes() for p in (tmp_path / DB_NAME, wal) if p.exists())

    assert marker.encode() in on_disk()  # the search works
    assert store.delete(deleted)
    assert marker.encode() not in on_disk(), "the deleted row is still in the file or its write-ahead log"
    store.close()
    assert marker.encode() not in on_disk()
    assert b"es-kept-language-marker" in on_disk()


# ---------------------------------------------------------------------- reload
async def test_a_reload_asked_for_while_one_runs_follows_it_instead_of_being_lost():
    """A SIGHUP that arrives while a reload runs (e.g. still refreshing menus) must not be dropped: the files
    may have changed after the running reload read them."""
    built: list[int] = []
    release = asyncio.Event()

    def conversation(number: int) -> SimpleNamespace:
        kb = SimpleNamespace(entries={}, warnings=[])
        return SimpleNamespace(
            number=number, kb=kb, bot_username=None, reads_group_messages=False, set_identity=lambda *a: None
        )

    class Holder:
        pass

    async def after() -> None:
        await release.wait()  # the first reload is still busy after swapping in its conversation

    def build(old: SimpleNamespace) -> SimpleNamespace:
        built.append(len(built))
        return conversation(len(built))

    holder = Holder()
    holder.conversation = conversation(0)  # type: ignore[attr-defined]
    reloader = Reloader(build, holder, after=after)  # type: ignore[arg-type]
    first = asyncio.create_task(reloader.reload())
    while not built:
        await asyncio.sleep(0.01)
    assert await reloader.reload() is False  # not run now: it follows the running one
    release.set()
    assert await first is True
    assert built == [0, 1] and holder.conversation.number == 2  # built twice: the second request's content is served
    release.clear()
    task = asyncio.create_task(reloader.reload())
    while len(built) < 3:
        await asyncio.sleep(0.01)
    release.set()
    assert await task is True and built == [0, 1, 2]  # nothing pending: one build per request
