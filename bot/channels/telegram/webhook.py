"""The webhook server: Telegram's updates on the webhook path, ``GET /healthz`` beside it, one port.

A small Tornado application (Tornado comes with python-telegram-bot's webhooks extra) that checks the
secret Telegram echoes in ``X-Telegram-Bot-Api-Secret-Token`` (403 without it), then hands the update to
the :class:`~.intake.Intake` (read on its own, claimed once, queued) and answers 200 at once, as
python-telegram-bot's own webhook server does: Telegram counts the update delivered then, so a crash
while it is being handled loses it (the README says so). An update Telegram sends again is not answered
twice. ``/healthz`` answers 200 ``{"status": "ok"}`` while the Application is running.
"""

from __future__ import annotations

import hmac
import json
import logging
import re
from dataclasses import dataclass
from typing import Any

import tornado.web
from telegram.ext import Application
from tornado.httpserver import HTTPServer

from bot.channels.telegram.intake import Intake
from bot.runtime.health import HEALTH_PATH, health_body

log = logging.getLogger(__name__)

MAX_UPDATE_BYTES = 1 << 20  # an update is a few kilobytes; refuse anything absurd
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


@dataclass(frozen=True)
class WebhookPlan:
    """Where to listen (``listen``:``port``, plain HTTP), the public ``url`` registered with Telegram
    (its path is the webhook path), and the ``secret`` Telegram must echo."""

    url: str
    path: str
    listen: str
    port: int
    secret: str = ""


class _UpdateHandler(tornado.web.RequestHandler):
    SUPPORTED_METHODS = ("POST",)  # type: ignore[assignment]

    def initialize(self, intake: Intake, secret: str) -> None:
        """Keep the intake and the webhook's secret for the request."""
        self.intake = intake
        self.secret = secret.encode("utf-8")

    async def post(self) -> None:
        """An update from Telegram: checked against the secret, then queued."""
        given = self.request.headers.get(SECRET_HEADER, "").encode("utf-8", "replace")
        if not hmac.compare_digest(given, self.secret):
            self.send_error(403)
            return
        try:
            data = json.loads(self.request.body)
            if not isinstance(data, dict) or not isinstance(data.get("update_id"), int):
                raise TypeError("not an update")
        except (ValueError, TypeError) as exc:
            log.warning("Webhook request that is not an update refused (%s).", type(exc).__name__)
            self.send_error(400)
            return
        await self.intake.take([data])  # one the library cannot read is skipped: Telegram must not resend it
        self.set_status(200)
        self.finish()

    def log_exception(self, *args: Any) -> None:
        """Nothing: a request's details may hold an update."""


class _HealthHandler(tornado.web.RequestHandler):
    SUPPORTED_METHODS = ("GET",)  # type: ignore[assignment]

    def initialize(self, app: Application) -> None:
        """Keep the application and the webhook's secret for the request."""
        self.app = app

    def get(self) -> None:
        """``GET /healthz``: 200 while the bot runs, 503 before."""
        status, body = health_body(self.app.running)
        self.set_status(status)
        self.set_header("Content-Type", "application/json")
        self.set_header("Cache-Control", "no-store")
        self.finish(body)


def _quiet(handler: tornado.web.RequestHandler) -> None:
    """Tornado's access log, at DEBUG and without the path or the caller's address."""
    log.debug("Webhook server answered HTTP %d.", handler.get_status())


class WebhookServer:
    """Serves ``plan`` for ``app``, handing updates to ``intake``: ``await start()`` listens, ``await
    stop()`` closes every connection."""

    def __init__(self, app: Application, plan: WebhookPlan, intake: Intake) -> None:
        path = "/" + plan.path.strip("/")
        handler_args = {"intake": intake, "secret": plan.secret}
        routes: list[Any] = [(re.escape(path.rstrip("/")) + "/?", _UpdateHandler, handler_args)]
        if path != HEALTH_PATH:
            routes.insert(0, (re.escape(HEALTH_PATH), _HealthHandler, {"app": app}))
        self.plan = plan
        self._server = HTTPServer(tornado.web.Application(routes, log_function=_quiet), max_body_size=MAX_UPDATE_BYTES)
        self._listening = False

    async def start(self) -> None:
        """Listen on ``plan.listen``:``plan.port``. Raises OSError when the port cannot be had."""
        self._server.listen(self.plan.port, address=self.plan.listen)
        self._listening = True

    async def stop(self) -> None:
        """Stop listening and close open connections."""
        if not self._listening:
            return
        self._listening = False
        self._server.stop()
        await self._server.close_all_connections()
