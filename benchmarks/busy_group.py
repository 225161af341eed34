"""Busy-group benchmark: do private users wait while one group keeps the bot busy?

    python -m benchmarks.busy_group            # 300 group updates, 60 private users
    python -m benchmarks.busy_group --quick    # 100 group updates, 20 private users

Two runs of the real ``kyr-bot run`` process (default rate limiter: 30 messages/s overall, 20 a minute
per group) against a fresh BotApiDouble each:

1. quiet: private users ask one question each, one every 50 ms;
2. busy: first a busy group sends many commands at once and Telegram answers the bot's first message
   to it "429 Too Many Requests, retry after 5 s" (the group is also held to 20 messages a minute);
   then the same private users ask the same way.

In both runs the measuring begins once the bot has answered a first question: a copy answers nothing
for its first second of polling (it listens for another copy serving the same token, see
``bot/channels/telegram/polling.py``), which is start-up, not the waiting measured here.

Prints the private users' reply latency (push -> sendMessage at the double) for both runs. A benchmark,
not a test: nothing is asserted, but it exits non-zero if a private user was not answered.
"""

from __future__ import annotations

import argparse
import math
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from testkit.botapi_double import BotApiDouble
from testkit.paths import ROOT

GROUP = -1009999
RETRY_AFTER = 5  # seconds Telegram asks the bot to wait before writing to the busy group again
PRIVATE_GAP = 0.05  # seconds between two private users' questions
QUESTIONS = ("what is an ice detainer", "qué es el 287g", "how do i reach the aclu", "¿qué es una orden judicial?")
START_TIMEOUT = 60.0
WARM_UP_CHAT = 199_999  # asks one question before the measured ones: the bot is serving once it is answered
ANSWER_TIMEOUT = 60.0


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, max(0, math.ceil(pct / 100 * len(ordered)) - 1))]


def run(private_users: int, group_updates: int) -> tuple[list[float], int, int]:
    """One run: (private users' latencies in seconds, private users not answered, group messages sent)."""
    with tempfile.TemporaryDirectory(prefix="kyr-busy-") as tmp, BotApiDouble() as double:
        env = dict(os.environ)
        env.update(
            TELEGRAM_BOT_TOKEN=double.token,
            TELEGRAM_API_URL=double.base_url,
            KYR_MODEL_DIR=str(ROOT / ".cache" / "ranker"),  # the fitted model, as a wheel ships it
            KYR_DATA_DIR=str(Path(tmp) / "data"),
            PYTHONPATH=str(ROOT) + os.pathsep + env.get("PYTHONPATH", ""),
        )
        env.pop("KYR_MAX_RATE", None)
        with open(Path(tmp) / "bot.log", "wb") as log:
            proc = subprocess.Popen([sys.executable, "-m", "bot", "run"], cwd=ROOT, env=env, stdout=log, stderr=log)
        try:
            double.wait_for("getUpdates", timeout=START_TIMEOUT)
            double.push_update(double.make_text_message(WARM_UP_CHAT, QUESTIONS[0], language_code="en"))
            double.wait_for("sendMessage", predicate=lambda c: c.params["chat_id"] == WARM_UP_CHAT, timeout=30)
            if group_updates:
                double.rate_limit_next("sendMessage", retry_after=RETRY_AFTER, chat_id=GROUP)
                for _ in range(group_updates):
                    double.push_update(double.make_text_message(GROUP, "/topics", chat_type="supergroup"))
                double.wait_for("sendMessage", predicate=lambda c: c.params["chat_id"] == GROUP, timeout=30)
            pushed: dict[int, float] = {}
            for i in range(private_users):
                chat = 200_001 + i
                update = double.make_text_message(chat, QUESTIONS[i % len(QUESTIONS)], language_code="en")
                pushed[chat] = time.time()
                double.push_update(update)
                time.sleep(PRIVATE_GAP)
            deadline = time.monotonic() + ANSWER_TIMEOUT
            answered: dict[int, float] = {}
            while len(answered) < len(pushed) and time.monotonic() < deadline:
                for call in double.calls_of("sendMessage"):
                    chat = call.params.get("chat_id")
                    if chat in pushed and chat not in answered and call.ok:
                        answered[chat] = call.time
                time.sleep(0.02)
            group_sent = len([c for c in double.calls_of("sendMessage") if c.params.get("chat_id") == GROUP])
        finally:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
    latencies = [answered[chat] - pushed[chat] for chat in answered]
    return latencies, len(pushed) - len(answered), group_sent


def describe(latencies: list[float]) -> str:
    ms = [x * 1000 for x in latencies]
    return f"p50 {percentile(ms, 50):7.1f} ms   p99 {percentile(ms, 99):7.1f} ms   max {max(ms, default=0):7.1f} ms"


def main(argv: list[str] | None = None) -> int:
    """Run both scenarios and print the private users' latency; returns the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="100 group updates, 20 private users")
    args = parser.parse_args(argv)
    users, group = (20, 100) if args.quick else (60, 300)
    print(f"busy-group benchmark: {users} private users, one question each, one every {PRIVATE_GAP * 1000:.0f} ms")
    quiet, quiet_lost, _ = run(users, 0)
    print(f"  without the busy group     {describe(quiet)}   not answered {quiet_lost}")
    busy, busy_lost, group_sent = run(users, group)
    print(
        f"  with a busy group          {describe(busy)}   not answered {busy_lost}   "
        f"({group} group updates, 429 retry after {RETRY_AFTER} s; {group_sent} group sends meanwhile)"
    )
    return 1 if quiet_lost or busy_lost else 0


if __name__ == "__main__":
    raise SystemExit(main())
