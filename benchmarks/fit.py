"""Fit benchmark: what ``kyr-bot train`` costs today, and on four times the content.

    python -m benchmarks.fit                  # today's content and a copy four times as big, 3 runs each
    python -m benchmarks.fit --times 5        # ... five times as big (205 entries: a 200-entry affiliate)
    python -m benchmarks.fit --baseline       # also the previous fit (lbfgs over 2-5 letter n-grams)
    python -m benchmarks.fit --bot            # also a running bot that refits on reload (peak memory)

Every figure is a whole process's, from the kernel's accounting of the finished child (``os.wait4``):
CPU seconds (user + system, the process and its threads) and peak memory (the largest resident set,
``ru_maxrss``). Wall time is not used: the machine may be shared. Each command runs ``--runs`` times,
today's and the scaled content's in turn (A B A B...), and the median, min and max are printed.

The scaled copy (``--times N``): ``knowledge/`` copied, then every entry copied N-1 times under new ids
(``<id>-x2``...), and every training example copied the same way for the copies. The loader refuses a
message that repeats another entry's example, so each copy's examples have their words rotated (the
same words and letters, so nearly the same features); a message of one word gets its word repeated.

Targets (issue "A $5 server and a 200-entry affiliate"): today's content in at most 10 s of CPU and
220 MiB; four times the content in at most 4.5 times the CPU and 2 times the memory of today's.

``--bot``: the real ``kyr-bot run`` against the Bot API double, on today's content and on the scaled
copy, with its model fitted beforehand (as the wheel and the image ship it) and without one (it fits at
start). It answers 200 questions, then an entry is edited and SIGHUP reloads it, which fits a new model
while the bot runs. Prints the bot's peak memory (VmHWM) after answering and after the reload: what the
systemd unit's MemoryMax must allow.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from bot import textnorm
from testkit.paths import ROOT

KNOWLEDGE = ROOT / "knowledge"
TARGET_CPU = 10.0  # seconds of CPU for `kyr-bot train` on today's content, at most
TARGET_PEAK = 220.0  # MiB at peak, at most
TARGET_CPU_GROWTH = 4.5  # four times the content: at most this many times the CPU
TARGET_PEAK_GROWTH = 2.0  # ... and this many times the peak memory


# ------------------------------------------------------------------------------------------ content
def scaled_copy(source: Path, target: Path, times: int) -> tuple[int, int]:
    """Copy the knowledge base in ``source`` to ``target`` with every entry and example ``times`` times
    (see the module's docstring). Returns (messages rotated, messages with a word repeated)."""
    shutil.copytree(source, target)
    for k in range(2, times + 1):
        for path in sorted((source / "entries").glob("*.yaml")):
            text = path.read_text(encoding="utf-8")
            copy, found = re.subn(r"(?m)^id: (\S+)$", rf"id: \g<1>-x{k}", text, count=1)
            if not found:
                raise SystemExit(f"{path}: no 'id:' line to copy")
            (target / "entries" / f"{path.stem}-x{k}.yaml").write_text(copy, encoding="utf-8")
    example_files = sorted((source / "examples").glob("*.yaml"))
    originals = [(path, yaml.safe_load(path.read_text(encoding="utf-8")) or []) for path in example_files]
    seen = {
        _key(m) for _, items in originals for item in items for lang, ms in item.items() if lang != "id" for m in ms
    }
    rotated = repeated = 0
    for k in range(2, times + 1):
        for path, items in originals:
            copies = []
            for item in items:
                copy: dict = {"id": f"{item['id']}-x{k}"}
                for lang, messages in item.items():
                    if lang == "id":
                        continue
                    copy[lang] = []
                    for message in messages:
                        new, how = _distinct(message, k - 1, seen)
                        rotated += how == "rotated"
                        repeated += how == "repeated"
                        copy[lang].append(new)
                copies.append(copy)
            dump = yaml.safe_dump(copies, allow_unicode=True, sort_keys=False, width=1_000_000)
            (target / "examples" / f"{path.stem}-x{k}.yaml").write_text(dump, encoding="utf-8")
    return rotated, repeated


def _key(message: str) -> str:
    """What the loader compares to find repeated messages (bot/knowledge/examples_file.py)."""
    return " ".join(textnorm.words(message))


def _distinct(message: str, shift: int, seen: set[str]) -> tuple[str, str]:
    """``message`` with its words rotated by ``shift`` (or its last word repeated until it is new)."""
    words = message.split()
    candidate = " ".join(words[shift % len(words) :] + words[: shift % len(words)])
    how = "rotated"
    n = 0
    while _key(candidate) in seen:
        n += 1
        candidate, how = message + (" " + words[-1]) * n, "repeated"
    seen.add(_key(candidate))
    return candidate, how


# ------------------------------------------------------------------------------------------ measuring
@dataclass
class Measured:
    """A command's runs: CPU seconds and peak MiB of each."""

    name: str
    cpu: list[float] = field(default_factory=list)
    peak: list[float] = field(default_factory=list)

    def line(self) -> str:
        def spread(values: list[float], unit: str, fmt: str) -> str:
            return f"{statistics.median(values):{fmt}} {unit} ({min(values):{fmt}}-{max(values):{fmt}})"

        return f"  {self.name:44} CPU {spread(self.cpu, 's', '.2f'):24} peak {spread(self.peak, 'MiB', '.0f')}"


def run_measured(command: list[str], env: dict[str, str], log: Path) -> tuple[float, float]:
    """Run ``command`` to the end; (CPU seconds, peak MiB) of the process from the kernel's accounting.
    Exits with the command's output when it fails."""
    with open(log, "wb") as out:
        proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed ({proc.returncode}):\n{log.read_text(errors='replace')}")
    return usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024  # ru_maxrss is in KiB on Linux


def train_command(out: Path, baseline: bool) -> list[str]:
    if baseline:
        return [sys.executable, "-m", "benchmarks.fit", "--baseline-train", str(out)]
    return [sys.executable, "-m", "bot", "train", "--out", str(out)]


def baseline_train(out: Path) -> int:
    """The previous ``kyr-bot train`` (before this benchmark): the same texts, character n-grams of 2-5
    letters and scikit-learn's default solver, lbfgs (max_iter 3000), with its own intercept."""
    import numpy as np
    from scipy.sparse import hstack
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    from bot import app
    from bot.matching import fitting
    from bot.matching.matcher import Matcher
    from bot.runtime.config import Config

    kb = app.load_content(Config.from_env(os.environ, need_token=False))
    texts, labels = fitting.training_texts(kb, Matcher(kb, learned=False).prepare)
    chars = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), lowercase=False, sublinear_tf=True)
    words = TfidfVectorizer(analyzer="word", lowercase=False, sublinear_tf=True, token_pattern=r"\S\S+")
    x = hstack([chars.fit_transform([t[0] for t in texts]), words.fit_transform([t[1] for t in texts])]).tocsr()
    model = LogisticRegression(C=fitting.REGULARISATION, max_iter=3000).fit(x, labels)
    out.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(out / "baseline.npz", coef=model.coef_.astype(np.float32), intercept=model.intercept_)
    return 0


def fit_figures(times: int, runs: int, baseline: bool) -> int:
    with tempfile.TemporaryDirectory(prefix="kyr-fit-") as tmp:
        scaled = Path(tmp) / f"knowledge-x{times}"
        rotated, repeated = scaled_copy(KNOWLEDGE, scaled, times)
        entries = len(list((scaled / "entries").glob("*.yaml")))
        print(
            f"scaled copy: {entries} entries ({times} x {entries // times}); examples copied with their words "
            f"rotated ({rotated}) or, when that repeats a message, a word repeated ({repeated})"
        )
        env = {k: v for k, v in os.environ.items() if not k.startswith("KYR_")}
        env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
        contents = {"today's content (knowledge/)": KNOWLEDGE, f"{times} x the content": scaled}
        fits = [("kyr-bot train", False), *([("previous fit (lbfgs, 2-5 letters)", True)] if baseline else [])]
        results: dict[tuple[str, str], Measured] = {}
        for fit_name, is_baseline in fits:
            for _ in range(runs):
                for content_name, directory in contents.items():
                    key = (fit_name, content_name)
                    measured = results.setdefault(key, Measured(f"{fit_name}, {content_name}"))
                    cpu, peak = run_measured(
                        train_command(Path(tmp) / "model", is_baseline),
                        dict(env, KYR_KNOWLEDGE_DIR=str(directory)),
                        Path(tmp) / "train.log",
                    )
                    measured.cpu.append(cpu)
                    measured.peak.append(peak)
                    print(f"    {measured.name}: {cpu:.2f} s CPU, {peak:.0f} MiB", flush=True)
        print(f"\nmedian (min-max) of {runs} runs each:")
        for measured in results.values():
            print(measured.line())
        today, big = (results[("kyr-bot train", name)] for name in contents)
        cpu, peak = statistics.median(today.cpu), statistics.median(today.peak)
        cpu_growth = statistics.median(b / a for a, b in zip(today.cpu, big.cpu, strict=True))
        peak_growth = statistics.median(b / a for a, b in zip(today.peak, big.peak, strict=True))
        print("\n" + "=" * 100)
        print(
            f"HEADLINE  kyr-bot train, today's content: {cpu:.2f} s CPU (target <= {TARGET_CPU:.0f}: "
            f"{met(cpu <= TARGET_CPU)}), {peak:.0f} MiB at peak (target <= {TARGET_PEAK:.0f}: "
            f"{met(peak <= TARGET_PEAK)})"
        )
        if times == 4:
            verdict = (
                f"targets <= {TARGET_CPU_GROWTH} x: {met(cpu_growth <= TARGET_CPU_GROWTH)}, "
                f"<= {TARGET_PEAK_GROWTH} x: {met(peak_growth <= TARGET_PEAK_GROWTH)}"
            )
        else:
            verdict = f"the targets, {TARGET_CPU_GROWTH} x and {TARGET_PEAK_GROWTH} x, are for 4 x the content"
        print(
            f"          {times} x the content: {cpu_growth:.2f} x the CPU, {peak_growth:.2f} x the peak "
            f"(paired by run; {verdict})"
        )
        if baseline:
            old = results[("previous fit (lbfgs, 2-5 letters)", "today's content (knowledge/)")]
            print(
                f"          previous fit on today's content: {statistics.median(old.cpu):.2f} s CPU, "
                f"{statistics.median(old.peak):.0f} MiB"
            )
    return 0


def met(ok: bool) -> str:
    return "MET" if ok else "NOT MET"


# ------------------------------------------------------------------------------------------ a running bot
def bot_figures(times: int) -> int:
    """Peak memory of a running bot: with its model fitted beforehand (as the wheel and the image ship it)
    and without one (it fits at start); each then answers, and reloads an edited entry, which fits again."""
    with tempfile.TemporaryDirectory(prefix="kyr-fit-bot-") as tmp:
        base = Path(tmp)
        n = len(BOT_QUESTIONS) * 50
        print(f"\na running bot (python -m bot run), {n} questions, then a reload of an edited entry:")
        for name, times_ in (("today's content", 1), (f"{times} x the content", times)):
            for shipped in (True, False):
                directory = base / f"knowledge-{times_}-{shipped}"
                if times_ == 1:
                    shutil.copytree(KNOWLEDGE, directory)
                else:
                    scaled_copy(KNOWLEDGE, directory, times_)
                env = {k: v for k, v in os.environ.items() if not k.startswith("KYR_")}
                env.update(
                    KYR_DATA_DIR=str(directory.with_name(directory.name + "-data")),
                    KYR_KNOWLEDGE_DIR=str(directory),
                    KYR_MODEL_DIR=str(directory.with_name(directory.name + "-model")),
                    KYR_MAX_RATE="0",
                    PYTHONPATH=str(ROOT) + os.pathsep + env.get("PYTHONPATH", ""),
                )
                if shipped:  # fitted beforehand, where the bot looks for it
                    run_measured(train_command(Path(env["KYR_MODEL_DIR"]), False), env, base / "train.log")
                answered, reloaded = _bot_peaks(env, directory, base / "bot.log")
                start = "model fitted beforehand" if shipped else "no model: fits at start"
                print(
                    f"  {name:22} {start:26} peak {answered['VmHWM']:4.0f} MiB answering; {reloaded['VmHWM']:4.0f} MiB "
                    f"after a reload that fits (resident then {reloaded['VmRSS']:.0f} MiB)",
                    flush=True,
                )
    return 0


BOT_QUESTIONS = ("what is an ice detainer", "¿qué es el 287g?", "can ice enter my home", "tengo derecho a callar")


def _bot_peaks(env: dict[str, str], directory: Path, log: Path) -> tuple[dict[str, float], dict[str, float]]:
    """Start the bot against a fresh double, answer questions, reload an edited entry: VmHWM/VmRSS after
    answering and after the reload."""
    from testkit.botapi_double import BotApiDouble

    with BotApiDouble() as double:
        env = dict(env, TELEGRAM_BOT_TOKEN=double.token, TELEGRAM_API_URL=double.base_url)
        with open(log, "wb") as out:
            proc = subprocess.Popen(
                [sys.executable, "-m", "bot", "run"], cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT
            )
        try:
            double.wait_for("getUpdates", timeout=300)
            n = len(BOT_QUESTIONS) * 50
            for i in range(n):
                double.push_update(double.make_text_message(200_000 + i, BOT_QUESTIONS[i % len(BOT_QUESTIONS)]))
            double.wait_for("sendMessage", count=n, timeout=120)
            answered = _status(proc.pid)
            _edit_an_entry(directory)
            proc.send_signal(signal.SIGHUP)
            _wait_for_line(log, "Knowledge base reloaded", proc, timeout=300)
            reloaded = _status(proc.pid)
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(30)
    return answered, reloaded


def _status(pid: int) -> dict[str, float]:
    """VmHWM and VmRSS of ``pid`` in MiB (Linux /proc)."""
    out: dict[str, float] = {}
    with open(f"/proc/{pid}/status", encoding="ascii") as f:
        for line in f:
            key, _, value = line.partition(":")
            if key in ("VmHWM", "VmRSS"):
                out[key] = int(value.split()[0]) / 1024
    return out


def _edit_an_entry(directory: Path) -> None:
    """Add a question phrasing to one entry: new content, so a reload must fit a new model."""
    path = directory / "entries" / "thanks.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(
        text.replace("  questions:\n", "  questions:\n    - thanks a lot for the help\n", 1), encoding="utf-8"
    )


def _wait_for_line(log: Path, needle: str, proc: subprocess.Popen, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while needle not in log.read_text(encoding="utf-8", errors="replace"):
        if proc.poll() is not None or time.monotonic() > deadline:
            raise SystemExit(f"no {needle!r} in the bot's log:\n{log.read_text(errors='replace')[-3000:]}")
        time.sleep(0.1)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--times", type=int, default=4, help="how many times the content the copy has (default 4)")
    parser.add_argument("--runs", type=int, default=3, help="runs of each command (default 3)")
    parser.add_argument("--baseline", action="store_true", help="also the previous fit (lbfgs; about 20 s a run)")
    parser.add_argument("--bot", action="store_true", help="also the peak memory of a running bot that refits")
    parser.add_argument("--baseline-train", metavar="OUT", help=argparse.SUPPRESS)  # one run of the previous fit
    args = parser.parse_args(argv)
    if args.baseline_train:
        return baseline_train(Path(args.baseline_train))
    if args.times < 2 or args.runs < 1:
        parser.error("--times must be at least 2 and --runs at least 1")
    print(f"kyr-bot fit benchmark (python {sys.version.split()[0]}, {os.cpu_count()} CPUs)")
    fit_figures(args.times, args.runs, args.baseline)
    if args.bot:
        bot_figures(args.times)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
