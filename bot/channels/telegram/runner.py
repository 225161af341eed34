"""``kyr-bot run``: check the content, reach Telegram, then poll or serve the webhook until stopped.

One asyncio loop does it all: SIGTERM and SIGINT stop the bot cleanly (what was fetched is answered and
confirmed first), SIGHUP reloads the content (:mod:`bot.runtime.reload`). Before anything else the bot
takes the lock on its data folder (:mod:`bot.runtime.lock`): a second copy there exits at once with
status 4. Exit statuses: :mod:`bot.runtime.exitcodes`. The content and the conversation come from the
composition root (:mod:`bot.app`).
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import signal
import sys
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from telegram.error import InvalidToken, TelegramError
from telegram.ext import Application

from bot import app as composition
from bot import version
from bot.channels.telegram.app import ALLOWED_UPDATES, build_application
from bot.channels.telegram.poller import Poller
from bot.channels.telegram.startup import Reachability, until_reachable
from bot.channels.telegram.token_check import confirm_token
from bot.channels.telegram.webhook import WebhookPlan, WebhookServer
from bot.core.conversation import Conversation
from bot.core.flood import FloodGuard
from bot.knowledge.checks import ContentError
from bot.runtime import exitcodes
from bot.runtime.config import Config
from bot.runtime.health import HEARTBEAT_NAME, PID_NAME, Heartbeat, PidFile
from bot.runtime.lock import DataFolderBusy, DataFolderLock
from bot.runtime.logsafe import configure_logging, install_excepthooks, scrub
from bot.runtime.records import Records
from bot.runtime.reload import RELOAD_STATUS_NAME, Reloader
from bot.runtime.storage import SqliteStore

log = logging.getLogger(__name__)

_EARLY_RELOAD = threading.Event()  # a SIGHUP came before the event loop could handle it


@dataclass
class Outcome:
    """How the run ends: ``status`` is the exit status; ``stop`` is set to end it."""

    stop: asyncio.Event = field(default_factory=asyncio.Event)
    status: int = exitcodes.OK

    def end(self, status: int) -> None:
        """Stop the bot with exit status ``status`` (the first reason given wins)."""
        if not self.stop.is_set():
            self.status = status
        self.stop.set()


@dataclass(frozen=True)
class RunOptions:
    """How to reach Telegram: long polling (no ``webhook_url``), or a webhook at the public https
    ``webhook_url``, served on plain HTTP at ``listen``:``port`` (a reverse proxy does TLS)."""

    webhook_url: str | None = None
    listen: str = "127.0.0.1"
    port: int = 8443


def run_bot(config: Config, options: RunOptions = RunOptions()) -> int:
    """``kyr-bot run``. Returns the exit status."""
    # Until the loop handles it, a SIGHUP (kyr-bot reload) is kept for later: never a kill, never lost.
    signal.signal(signal.SIGHUP, lambda signum, frame: _EARLY_RELOAD.set())
    configure_logging(config.log_level_number, secrets=[config.token])
    install_excepthooks()
    lock = DataFolderLock(config.data_dir, shared=bool(options.webhook_url))
    try:
        lock.acquire()
    except DataFolderBusy as exc:
        print(f"kyr-bot: {exc}; this copy exits (status {exitcodes.ANOTHER_COPY}).", file=sys.stderr)
        return exitcodes.ANOTHER_COPY
    try:
        return _run(config, options)
    finally:
        lock.release()


def _run(config: Config, options: RunOptions) -> int:
    try:
        kb = composition.load_content(config, card=True)
    except ContentError as exc:
        print(f"kyr-bot: refusing to start with a broken {exc.what}:", file=sys.stderr)
        composition.report_problems(exc.problems, exc.what)
        return exitcodes.BAD_CONFIG
    plan = None
    if options.webhook_url:
        parts = urlsplit(options.webhook_url)
        if parts.scheme != "https" or not parts.netloc:
            print("kyr-bot: --webhook-url must be a public https:// URL", file=sys.stderr)
            return exitcodes.BAD_CONFIG
        plan = WebhookPlan(options.webhook_url, parts.path, options.listen, options.port, config.webhook_secret or "")
    store = SqliteStore(config.data_dir)
    log.info("%s", summary(config, kb.languages, len(kb.entries), plan, store))
    for warning in kb.warnings:
        log.warning("%s", warning)
    if plan is not None and not plan.secret:
        log.warning(
            "TELEGRAM_WEBHOOK_SECRET is not set: using a secret made up for this process only. Several "
            "copies behind one webhook URL need the same secret: set TELEGRAM_WEBHOOK_SECRET."
        )
        plan = WebhookPlan(plan.url, plan.path, plan.listen, plan.port, secrets.token_urlsafe(32))
    pid_file = PidFile(config.data_dir / PID_NAME)
    pid_file.write()
    records = Records.open(config.data_dir)  # usage counts and questions sent for review (issue 22)
    try:
        if not confirm_token(config):  # before the matcher's model is fitted: a bad token stops us at once
            return exitcodes.OK
        conversation = composition.build_conversation(
            kb, config, store, flood=FloodGuard(), usage=records.usage, questions=records.queue
        )
        return asyncio.run(serve(config, conversation, plan, store))
    except InvalidToken as exc:
        # python-telegram-bot's message quotes the token; Telegram's own ("Unauthorized") is the cause.
        said = exc.__cause__ if isinstance(exc.__cause__, InvalidToken) else exc
        reason = scrub(str(said), [config.token]).replace("<token>", "…")[:80] or "HTTP 401"
        print(
            f"kyr-bot: Telegram rejected the bot token ({reason}): check TELEGRAM_BOT_TOKEN or "
            "TELEGRAM_BOT_TOKEN_FILE (@BotFather gives a new token with /token).",
            file=sys.stderr,
        )
        return exitcodes.TOKEN_REJECTED
    finally:
        pid_file.remove()
        store.close()
        records.close()


def summary(
    config: Config, languages: tuple[str, ...], entries: int, plan: WebhookPlan | None, store: SqliteStore
) -> str:
    """The start-up line: version, content, mode, send rate, where state lives."""
    mode = f"webhook on {plan.listen}:{plan.port}" if plan else "long polling"
    rate = f"at most {config.max_rate:g} messages a second" if config.max_rate > 0 else "no send limiter"
    state = f"state in {store.path}" if store.persistent else "state in memory only (the data directory is unusable)"
    return f"kyr-bot {version()}: {entries} entries in {', '.join(languages)}; {mode}; {rate}; {state}."


async def serve(config: Config, conversation: Conversation, plan: WebhookPlan | None, store: SqliteStore) -> int:
    """Run until SIGTERM/SIGINT (or a rejected token, raised as InvalidToken). Returns the exit status.
    ``store`` keeps language choices (the conversation's), uploaded pictures' ids and handled updates' ids
    (the channel's)."""
    outcome = Outcome()
    reachability = Reachability()
    heartbeat = Heartbeat(config.data_dir / HEARTBEAT_NAME)

    def on_poll_answer(status: int) -> None:
        if 200 <= status < 300:
            heartbeat.beat()
            reachability.reached()
        elif status in (401, 404):
            outcome.end(exitcodes.TOKEN_REJECTED)

    telegram = build_application(
        config,
        conversation,
        files=store,
        handled=store,
        on_poll_answer=None if plan else on_poll_answer,
        reachability=reachability,
    )
    app, front, conflicts, poller = telegram.app, telegram.front, telegram.conflicts, telegram.poller
    conflicts.on_give_way = lambda: outcome.end(exitcodes.ANOTHER_COPY)

    async def refresh_menus() -> None:
        if app.running:
            await front.post_init(app)

    def rebuild(old: Conversation) -> Conversation:
        return composition.rebuild_conversation(config, old)

    reloader = Reloader(rebuild, front, after=refresh_menus, status_path=config.data_dir / RELOAD_STATUS_NAME)
    tasks: set[asyncio.Task[object]] = set()

    def on_hangup() -> None:
        task = asyncio.ensure_future(reloader.reload())
        tasks.add(task)
        task.add_done_callback(tasks.discard)

    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, outcome.end, exitcodes.OK)
    loop.add_signal_handler(signal.SIGHUP, on_hangup)
    if _EARLY_RELOAD.is_set():  # asked for while starting (reaching Telegram, fitting the model): now
        _EARLY_RELOAD.clear()
        log.info("A reload was asked for while starting; reloading now.")
        on_hangup()
    server = WebhookServer(app, plan, telegram.intake) if plan else None
    try:
        if not await until_reachable(app.initialize, outcome.stop, reachability):
            return outcome.status
        await front.post_init(app)
        if server is not None and plan is not None:
            log.info("Starting webhook on %s:%s.", plan.listen, plan.port)
            try:
                await server.start()
            except OSError as exc:
                log.error("Cannot listen on %s:%s (%s).", plan.listen, plan.port, exc.strerror or type(exc).__name__)
                return exitcodes.FAILED
            set_webhook = _set_webhook(app, plan)
            if not await until_reachable(set_webhook, outcome.stop, reachability):
                return outcome.status
        else:
            log.info("Starting long polling.")
            # A webhook left registered would make every poll fail (409): delete it first, the stoppable
            # way, retrying while Telegram is unreachable.
            if not await until_reachable(app.bot.delete_webhook, outcome.stop, reachability):
                return outcome.status
        await app.start()
        if server is None:
            poller.start()
        log.info("Started: answering updates.")
        await outcome.stop.wait()
        log.info("Stopping.")
    finally:
        # A second SIGTERM meanwhile changes nothing. A copy that gave way to another polls no more (its
        # last poll would cut the other one off); what it fetched was confirmed as it came.
        await _stop(app, server, None if plan else poller, confirm=not conflicts.gave_way, seconds=config.stop_seconds)
        for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            loop.remove_signal_handler(sig)
        signal.signal(signal.SIGHUP, signal.SIG_IGN)  # a late reload request must not kill the process
    if outcome.status == exitcodes.TOKEN_REJECTED:
        raise InvalidToken("Unauthorized")
    return outcome.status


def _set_webhook(app: Application, plan: WebhookPlan) -> Callable[[], Awaitable[bool]]:
    async def call() -> bool:
        return await app.bot.set_webhook(plan.url, allowed_updates=list(ALLOWED_UPDATES), secret_token=plan.secret)

    return call


async def _stop(
    app: Application,
    server: WebhookServer | None,
    poller: Poller | None,
    confirm: bool = True,
    seconds: float = Config.stop_seconds,
) -> None:
    """Stop fetching, answer what was fetched (for at most ``seconds``), confirm it to Telegram
    (``poller``, in long polling, when ``confirm``), close connections. Each step runs even if an earlier
    one fails (logged by type)."""
    steps: list[tuple[str, Callable[[], Awaitable[object]] | None]] = [
        ("polling", poller.stop if poller else None),
        ("webhook server", server.stop if server else None),
        ("application", (lambda: _stop_application(app, seconds, poller)) if app.running else None),
        ("last confirmation", poller.confirm if poller and confirm else None),
        ("application", app.shutdown),
        ("HTTP clients", app.bot.shutdown),  # still open when getMe failed
    ]
    for name, step in steps:
        if step is None:
            continue
        try:
            await step()
        except (TelegramError, OSError, RuntimeError) as exc:
            log.warning("Stopping the %s failed (%s).", name, type(exc).__name__)


async def _stop_application(app: Application, seconds: float, poller: Poller | None) -> None:
    """``app.stop()``: the updates fetched are answered, for at most ``seconds``. Answers still waiting
    then (a flood wait, a busy group held to Telegram's 20 messages a minute) are cancelled before a
    supervisor's stop timeout kills the process. In long polling (``poller``) they were never marked
    handled, so the last confirmation leaves them to Telegram and the next start answers them; in webhook
    mode they are lost."""
    stopping = asyncio.ensure_future(app.stop())
    done, _ = await asyncio.wait({stopping}, timeout=seconds)
    if done:
        stopping.result()
        return
    if poller is None:  # webhook mode: Telegram counted these updates delivered when they came
        log.warning("Stopping: the answers still waiting after %g s (KYR_STOP_SECONDS) are dropped.", seconds)
    else:
        left, waiting = poller.unconfirmed_in_flight(), poller.ledger.in_flight
        what = "the answers" if not waiting else "1 answer" if waiting == 1 else f"{waiting} answers"
        log.warning(
            "Stopping: %s still waiting after %g s (KYR_STOP_SECONDS): %d left for the next start, %d dropped "
            "(waiting for over a minute, already confirmed to Telegram).",
            what,
            seconds,
            left,
            waiting - left,
        )
    me = asyncio.current_task()
    others = [task for task in asyncio.all_tasks() if task is not me and task is not stopping]
    for task in [*others, stopping]:
        task.cancel()
    await asyncio.gather(*others, stopping, return_exceptions=True)
