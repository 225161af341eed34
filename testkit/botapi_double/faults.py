"""Fault injection: 5xx, 429, dropped connections, delays, error pages, held calls, blocked chats."""

from __future__ import annotations

from collections import deque
from typing import Any, Literal

from testkit.botapi_double.wire import _Fault


class FaultInjection:
    """Fault injection: 5xx, 429, dropped connections, delays, error pages, held calls, blocked chats.

    A part of :class:`~testkit.botapi_double.double.BotApiDouble`, whose ``__init__`` sets up the state
    these methods use.
    """

    # ---------------------------------------------------------------- fault injection

    def fail_next(
        self, method: str, times: int = 1, status: int = 500, description: str = "Internal Server Error"
    ) -> None:
        self._add_fault(method, times, _Fault("fail", status=status, description=description))

    def rate_limit_next(
        self, method: str, times: int = 1, retry_after: int = 1, chat_id: int | str | None = None
    ) -> None:
        """Answer the next ``times`` calls of ``method`` (for ``chat_id`` only, if given) with 429."""
        self._add_fault(method, times, _Fault("rate_limit", status=429, retry_after=retry_after, chat_id=chat_id))

    def migrate_chat(self, group_id: int, supergroup_id: int) -> None:
        """Upgrade a group to a supergroup: from now on, sending to ``group_id`` answers 400 with
        ``parameters.migrate_to_chat_id`` (as Telegram does)."""
        with self._lock:
            self._migrated[group_id] = supergroup_id
            self._chats[supergroup_id] = {"id": supergroup_id, "type": "supergroup", "title": "Test chat"}

    def open_forum_topic(self, chat_id: int, thread_id: int) -> None:
        """Make ``chat_id`` a forum supergroup with topic ``thread_id`` (besides General)."""
        with self._lock:
            self._forum_topics.setdefault(chat_id, set()).add(thread_id)
            self._chats[chat_id] = {"id": chat_id, "type": "supergroup", "title": "Test forum", "is_forum": True}

    def error_page_next(self, method: str, status: int = 502, page: str | None = None, times: int = 1) -> None:
        """Answer the next ``times`` calls of ``method`` with an HTML error page, not JSON: what a front
        end (nginx, a load balancer) answers when the Bot API server behind it is down."""
        title = f"{status} Bad Gateway"
        body = page or f"<html><head><title>{title}</title></head><body><h1>{title}</h1><hr>nginx</body></html>\r\n"
        self._add_fault(method, times, _Fault("page", status=status, page=body))

    def hold_next(self, method: str, times: int = 1) -> None:
        """Keep the next ``times`` calls of ``method`` waiting, unanswered, until :meth:`release_held`
        (a request on its way, its outcome not yet known). :attr:`held` counts the waiting ones."""
        with self._lock:
            self._release = None
        self._add_fault(method, times, _Fault("hold"))

    def release_held(self, outcome: Literal["answer", "drop"]) -> None:
        """Let held calls go: ``"answer"`` carries them out and answers them; ``"drop"`` closes their
        connections, carrying out nothing (the request never reached Telegram). Later held calls go at
        once the same way."""
        with self._cond:
            self._release = outcome
            self._cond.notify_all()

    @property
    def held(self) -> int:
        """How many calls are waiting in a hold (see :meth:`hold_next`)."""
        with self._lock:
            return self._held

    def drop_next(self, method: str, times: int = 1) -> None:
        """Close the connection without answering the next ``times`` calls of ``method``."""
        self._add_fault(method, times, _Fault("drop"))

    def delay_next(self, method: str, seconds: float, times: int = 1) -> None:
        self._add_fault(method, times, _Fault("delay", seconds=seconds))

    def block_chat(self, chat_id: int | str) -> None:
        """Make send* methods to ``chat_id`` fail with 403 "bot was blocked by the user"."""
        with self._lock:
            self._blocked_chats.add(chat_id)

    def unblock_chat(self, chat_id: int | str) -> None:
        with self._lock:
            self._blocked_chats.discard(chat_id)

    def clear_faults(self, method: str | None = None) -> None:
        """Forget injected faults not yet used (of ``method``, or of every method)."""
        with self._lock:
            if method is None:
                self._faults.clear()
            else:
                self._faults.pop(method.lower(), None)

    def _add_fault(self, method: str, times: int, fault: _Fault) -> None:
        with self._lock:
            queue = self._faults.setdefault(method.lower(), deque())
            queue.extend(fault for _ in range(times))

    def _pop_fault(self, method: str, params: dict[str, Any] | None = None) -> _Fault | None:
        chat_id = (params or {}).get("chat_id")
        with self._lock:
            queue = self._faults.get(method.lower())
            for fault in queue or ():
                if fault.chat_id is None or fault.chat_id == chat_id:
                    queue.remove(fault)
                    return fault
            return None
