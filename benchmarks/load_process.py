"""One bot process of the load benchmark (benchmarks/load.py) against a fresh Bot API double: the questions
pushed, every reply matched to its question, the process's CPU and peak memory read from /proc, and its
stop on SIGTERM; with the printing of one run and the delivery rate over a burst."""

from __future__ import annotations

import json
import math
import os
import signal
import subprocess
import tempfile
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks.load_plan import MODEL_CACHE, Question
from testkit.botapi_double import BotApiDouble
from testkit.paths import ROOT

START_TIMEOUT = 60.0  # seconds for a bot process to start polling
STALL_TIMEOUT = 15.0  # seconds without a new reply (after everything was pushed) before giving up
DUPLICATE_GRACE = 1.0  # seconds to keep watching for late duplicates after the last expected reply
STOP_TIMEOUT = 20.0  # seconds a bot may take to exit after SIGTERM


def proc_status(pid: int) -> dict[str, str]:
    out: dict[str, str] = {}
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as f:
            for line in f:
                key, _, value = line.partition(":")
                out[key] = value.strip()
    except OSError:
        pass
    return out


def peak_rss_mib(pid: int) -> float | None:
    value = proc_status(pid).get("VmHWM")
    return int(value.split()[0]) / 1024 if value else None


def cpu_seconds(pid: int) -> float | None:
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, max(0, math.ceil(pct / 100 * len(ordered)) - 1))]  # nearest rank


@dataclass
class RunResult:
    name: str
    sent: int = 0
    answered: int = 0
    twice: int = 0
    lost: int = 0
    refused: int = 0  # sendMessage calls the double answered with an error
    unpredicted: int = 0  # replies that matched no expected text (counted by order within the chat)
    first_push: float = 0.0
    last_push: float = 0.0
    last_reply: float = 0.0
    latencies: list[float] = field(default_factory=list)
    reply_times: list[float] = field(default_factory=list)
    peak_rss: float | None = None
    cpu: float | None = None  # CPU seconds the bot used from first push to the end of the run
    conversation_cpu: float | None = None  # of which in Conversation.handle (kyr-bot only: benchmarks.timed_bot)
    exit_code: int | None = None
    stopped_cleanly: bool = False
    error_lines: list[str] = field(default_factory=list)

    @property
    def duration(self) -> float:
        return max(1e-9, self.last_reply - self.first_push)

    @property
    def throughput(self) -> float:
        return self.answered / self.duration if self.answered else 0.0

    @property
    def cpu_per_update(self) -> float:
        """CPU seconds per answered update (NaN when unknown)."""
        return self.cpu / self.answered if self.cpu is not None and self.answered else float("nan")

    @property
    def conversation_per_update(self) -> float:
        """CPU seconds per answered update in the conversation itself (NaN when not measured)."""
        if self.conversation_cpu is None or not self.answered:
            return float("nan")
        return self.conversation_cpu / self.answered

    @property
    def ok(self) -> bool:
        return self.twice == 0 and self.lost == 0 and self.stopped_cleanly


def run_bot_process(
    name: str,
    command: list[str],
    questions: list[Question],
    order: list[int],
    *,
    max_rate: str | None,
    expected_of=lambda q: q.expected,
) -> RunResult:
    """Start a fresh double and ``command``, push the questions in ``order``, count the replies."""
    result = RunResult(name, sent=len(order))
    # Expected reply text -> question, per chat.
    by_reply: dict[int, dict[str, int]] = defaultdict(dict)
    by_chat: dict[int, list[int]] = defaultdict(list)
    for i in order:
        q = questions[i]
        by_reply[q.chat_id][expected_of(q)] = i
        by_chat[q.chat_id].append(i)
    push_time: list[float | None] = [None] * len(questions)
    answered_at: dict[int, float] = {}

    with tempfile.TemporaryDirectory(prefix="kyr-load-") as tmp, BotApiDouble() as double:
        env = dict(os.environ)
        env.update(
            TELEGRAM_BOT_TOKEN=double.token,
            TELEGRAM_API_URL=double.base_url,
            KYR_DATA_DIR=str(Path(tmp) / "data"),
            KYR_MODEL_DIR=str(MODEL_CACHE),  # the fitted model, as the wheel and the container ship it
            KYR_BENCH_CONVERSATION_FILE=str(Path(tmp) / "conversation.json"),  # read by benchmarks.timed_bot
            PYTHONPATH=str(ROOT) + os.pathsep + env.get("PYTHONPATH", ""),
        )
        env.pop("KYR_MAX_RATE", None)
        if max_rate is not None:
            env["KYR_MAX_RATE"] = max_rate
        updates = [
            double.make_text_message(questions[i].chat_id, questions[i].text, language_code=questions[i].client_lang)
            for i in order
        ]
        log_path = Path(tmp) / "bot.log"
        with open(log_path, "wb") as log:
            proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + START_TIMEOUT
            while not double.calls_of("getUpdates"):
                if proc.poll() is not None:
                    raise RuntimeError(f"{name} exited with {proc.returncode} before polling:\n{log_path.read_text()}")
                if time.monotonic() > deadline:
                    raise RuntimeError(f"{name} did not start polling within {START_TIMEOUT:.0f}s")
                time.sleep(0.02)
            cpu_start = cpu_seconds(proc.pid)

            def feed() -> None:
                for i, update in zip(order, updates, strict=True):
                    push_time[i] = time.time()
                    double.push_update(update)

            feeder = threading.Thread(target=feed, name="feeder", daemon=True)
            result.first_push = time.time()
            feeder.start()

            seen = 0  # calls already looked at
            pending: list = []  # sendMessage calls not answered by the double yet
            last_progress = time.monotonic()
            grace_until: float | None = None

            def scan() -> None:
                nonlocal seen, pending, last_progress
                calls = double.calls
                fresh = [c for c in calls[seen:] if c.method == "sendMessage"]
                seen = len(calls)
                waiting = []
                for call in pending + fresh:
                    if not call.answered:
                        waiting.append(call)
                        continue
                    last_progress = time.monotonic()
                    if not call.ok:
                        result.refused += 1
                        continue
                    chat_id = call.params.get("chat_id")
                    i = by_reply.get(chat_id, {}).get(call.params.get("text"))
                    if i is None:  # not the predicted reply: count it against the oldest open question
                        result.unpredicted += 1
                        i = next((j for j in by_chat.get(chat_id, ()) if j not in answered_at), None)
                        if i is None:
                            result.twice += 1
                            continue
                    if i in answered_at:
                        result.twice += 1
                        continue
                    answered_at[i] = call.time
                    result.reply_times.append(call.time)
                    pushed = push_time[i]
                    if pushed is not None:
                        result.latencies.append(call.time - pushed)
                pending = waiting

            while True:
                time.sleep(0.02)
                scan()
                now = time.monotonic()
                if len(answered_at) == len(order) and grace_until is None:
                    grace_until = now + DUPLICATE_GRACE
                if grace_until is not None and now >= grace_until:
                    break
                if not feeder.is_alive() and now - last_progress > STALL_TIMEOUT:
                    break
                if proc.poll() is not None:
                    break
            feeder.join()
            result.last_push = max(t for t in push_time if t is not None) if any(push_time) else 0.0
            result.peak_rss = peak_rss_mib(proc.pid)
            cpu_end = cpu_seconds(proc.pid)
            if cpu_start is not None and cpu_end is not None:
                result.cpu = cpu_end - cpu_start
        finally:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(STOP_TIMEOUT)
                    result.stopped_cleanly = proc.returncode == 0
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
            result.exit_code = proc.returncode
        scan()  # replies (or duplicates) that arrived while stopping
        result.answered = len(answered_at)
        result.lost = len(order) - result.answered
        result.last_reply = max(answered_at.values(), default=result.first_push)
        spent = Path(tmp) / "conversation.json"
        if spent.exists():
            result.conversation_cpu = float(json.loads(spent.read_text(encoding="utf-8"))["cpu_seconds"])
        log_text = log_path.read_text(encoding="utf-8", errors="replace")
        result.error_lines = [line for line in log_text.splitlines() if " ERROR " in line or "Traceback" in line]
    return result


def print_run(r: RunResult) -> None:
    lat = [x * 1000 for x in r.latencies]
    print(f"  questions sent      {r.sent}")
    print(f"  answered            {r.answered}")
    print(f"  answered twice      {r.twice}")
    print(f"  lost                {r.lost}")
    if r.refused or r.unpredicted:
        print(f"  refused by the API  {r.refused}   replies not as predicted {r.unpredicted}")
    print(
        f"  throughput          {r.throughput:7.1f} updates/s  ({r.answered} answers in {r.duration:.2f} s; "
        f"pushing took {r.last_push - r.first_push:.2f} s)"
    )
    if lat:
        print(
            f"  reply latency       p50 {percentile(lat, 50):7.1f} ms   p99 {percentile(lat, 99):7.1f} ms   "
            f"max {max(lat):7.1f} ms  (push -> sendMessage at the double, all questions pushed at once)"
        )
    if r.peak_rss is not None:
        print(f"  peak RSS (VmHWM)    {r.peak_rss:7.1f} MiB")
    if r.cpu is not None and r.answered:
        print(
            f"  bot CPU time        {r.cpu:7.2f} s  = {r.cpu / r.answered * 1000:.2f} ms per update"
            f"  ({r.cpu / r.duration * 100:.0f}% of one core)"
        )
    if not math.isnan(r.conversation_per_update):
        inside = r.conversation_per_update * 1000
        print(f"    of which conversation {inside:.2f} ms per update  (matching, reply, SQLite)")
    print(f"  stopped by SIGTERM  {'cleanly (exit 0)' if r.stopped_cleanly else f'NOT cleanly (exit {r.exit_code})'}")
    if r.error_lines:
        print(f"  ERROR lines in the bot's log: {len(r.error_lines)}, first: {r.error_lines[0][:160]}")


def burst_rates(times: list[float]) -> tuple[float, float, int]:
    """(rate over the whole burst, rate after its first second, most messages in any 1-second window)."""
    times = sorted(times)
    if len(times) < 2:
        return float("nan"), float("nan"), len(times)
    overall = (len(times) - 1) / (times[-1] - times[0])
    later = [t for t in times if t >= times[0] + 1.0]
    steady = (len(later) - 1) / (later[-1] - later[0]) if len(later) > 1 and later[-1] > later[0] else float("nan")
    window, j = 0, 0
    for i, t in enumerate(times):
        while times[j] <= t - 1.0:
            j += 1
        window = max(window, i - j + 1)
    return overall, steady, window
