"""``kyr-bot review``: walk an editor through the questions people sent for review (with their consent,
scrubbed: :mod:`bot.core.consent`), oldest first.

For each question the editor types an entry id (the question is appended, labelled, to
``examples/review.yaml`` in the knowledge folder in use, or to ``DIR/review.yaml`` with ``--out DIR``, and
leaves the queue), ``d`` (discard it: it leaves the queue), ``s`` (skip it for now), ``?`` (list the entry
ids) or ``q`` (stop). The file is checked like every examples file afterwards (``kyr-bot check``'s
problems, as ``file:line``). A knowledge folder that cannot be written (the copy inside an installed
package, a read-only image) is refused before anything happens: use ``--out``.

``kyr-bot review --json`` prints one JSON object a line per queued question (``text``, ``lang``, ``day``,
``route``) and changes nothing.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sqlite3
import sys
from pathlib import Path
from typing import Any, TextIO

from bot import app, resources
from bot.knowledge import KnowledgeBase, KnowledgeError, load_knowledge
from bot.knowledge.checks import Checker
from bot.knowledge.examples_file import check_example_file, example_key
from bot.runtime import exitcodes
from bot.runtime.records import Queued, ReviewQueue

REVIEW_FILE = "review.yaml"
HEADER = (
    "# Questions people chose to send for review, labelled by an editor with `kyr-bot review`.\n"
    "# Each was scrubbed before it was kept (phone numbers, emails, A-numbers, case numbers, @usernames)\n"
    "# and carries no link to its sender. Same format and checks as every examples file (kyr-bot check).\n"
)
HELP = "Type an entry id to label it, d to discard it, s to skip it, ? to list the entry ids, q to stop."


def review_file(args: argparse.Namespace) -> tuple[Path, str | None]:
    """Where labelled questions go, and why that place cannot be written (None when it can)."""
    knowledge = Path(args.config.knowledge_dir).resolve()
    if args.out:
        folder = Path(args.out)
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            return folder / REVIEW_FILE, f"{folder} cannot be created ({exc.strerror})"
    else:
        folder = knowledge / "examples"
        if resources.PACKAGE_DIR in knowledge.parents:
            return folder / REVIEW_FILE, (
                f"the knowledge folder in use, {knowledge}, is the copy inside the installed package: read-only "
                "(an upgrade replaces it)"
            )
    path = folder / REVIEW_FILE
    if not os.access(folder if folder.is_dir() else folder.parent, os.W_OK) or (
        path.exists() and not os.access(path, os.W_OK)
    ):
        return path, f"{path} cannot be written (a read-only folder)"
    return path, None


def append(path: Path, entry_id: str, queued: Queued, today: str) -> None:
    """Append one labelled question to ``path`` (created with its header comment when missing)."""
    question = queued.question
    item = (
        f"- id: {entry_id}  # asked {question.day} ({question.route}), labelled {today}\n"
        f"  {question.lang}:\n"
        f"    - {json.dumps(question.text, ensure_ascii=False)}\n"  # a JSON string is a YAML double-quoted one
    )
    with path.open("a", encoding="utf-8") as out:
        if out.tell() == 0:
            out.write(HEADER)
        out.write(item)


def _known(kb: KnowledgeBase) -> dict[str, tuple[str, str]]:
    """Folded words -> (entry id, where), for every phrasing and example: the same words cannot teach two
    answers."""
    seen: dict[str, tuple[str, str]] = {}
    for entry in kb.entries.values():
        for text in entry.texts.values():
            for phrasing in text.questions:
                seen.setdefault(example_key(phrasing), (entry.id, f"a phrasing in entries/{entry.id}.yaml"))
    for example in kb.examples:
        seen.setdefault(example_key(example.text), (example.entry_id, "an example in examples/"))
    return seen


class Session:
    """One walk through the queue: reads the editor's answers from ``stdin``, writes to ``out``."""

    def __init__(self, kb: KnowledgeBase, queue: ReviewQueue, path: Path, stdin: TextIO, out: TextIO) -> None:
        self.kb, self.queue, self.path, self.stdin, self.out = kb, queue, path, stdin, out
        self.seen = _known(kb)
        self.labelled = self.discarded = 0
        self.today = dt.datetime.now(dt.UTC).date().isoformat()

    def say(self, text: str = "") -> None:
        """Print a line for the editor."""
        print(text, file=self.out, flush=True)

    def ask(self) -> str | None:
        """The editor's next answer (None at the end of input)."""
        self.out.write("label> ")
        self.out.flush()
        line = self.stdin.readline()
        return line.strip() if line else None

    def run(self, questions: list[Queued]) -> None:
        """Walk through ``questions`` until they are done or the editor stops."""
        self.say(f"{len(questions)} question(s) waiting, oldest first. {HELP}")
        for number, queued in enumerate(questions, 1):
            question = queued.question
            self.say(f"\n[{number}/{len(questions)}] {question.day} · {question.lang} · {question.route}")
            self.say(f"  {question.text}")
            if not self.decide(queued):
                return

    def decide(self, queued: Queued) -> bool:
        """Ask until the question is labelled, discarded or skipped; False when the editor stops."""
        while True:
            answer = self.ask()
            if answer is None or answer.lower() in ("q", "quit"):
                return False
            if answer.lower() in ("", "s", "skip"):
                return True
            if answer.lower() in ("d", "discard"):
                self.queue.remove(queued.row)
                self.discarded += 1
                self.say("  discarded")
                return True
            if answer == "?":
                for entry in self.kb.entries.values():
                    self.say(f"  {entry.id:32} {entry.text(self.kb.default_language).title}")
                continue
            if self.label(queued, answer):
                return True

    def label(self, queued: Queued, entry_id: str) -> bool:
        """Label the question with ``entry_id``; False (with a reason) when that cannot be done."""
        if self.kb.entry(entry_id) is None:
            self.say(f"  no entry {entry_id!r}: type ? to list them")
            return False
        key = example_key(queued.question.text)
        if not key:
            self.say("  no words left to learn from: discard it (d)")
            return False
        if key in self.seen:
            other, where = self.seen[key]
            if other != entry_id:
                self.say(f"  the same words are labelled {other!r} in {where}: label it {other!r}, or discard it")
                return False
            self.queue.remove(queued.row)
            self.say(f"  already {where}: taken out of the queue, not added again")
            return True
        append(self.path, entry_id, queued, self.today)
        self.seen[key] = (entry_id, self.path.name)
        self.queue.remove(queued.row)
        self.labelled += 1
        self.say(f"  labelled {entry_id}: appended to {self.path}")
        return True


def _check(path: Path, kb: KnowledgeBase, args: argparse.Namespace) -> list[str]:
    """``kyr-bot check``'s problems for ``path`` (the whole knowledge base when the file is in it)."""
    if path.parent.resolve() == (Path(args.config.knowledge_dir) / "examples").resolve():
        try:
            load_knowledge(args.config.knowledge_dir, operator=args.config.operator)
        except KnowledgeError as exc:
            return [str(p) for p in exc.problems]
        return []
    chk = Checker(dt.date.today())
    return [str(p) for p in check_example_file(chk, path, kb.languages, dict(kb.entries), kb.examples)]


def cmd_review(args: argparse.Namespace, stdin: TextIO | None = None) -> int:
    """``kyr-bot review``: 0 when done; 1 when the labelled file has problems; 2 when it cannot be written
    or the knowledge base is broken."""
    data_dir = args.config.data_dir
    try:
        queue = ReviewQueue(data_dir, read_only=args.json)
    except sqlite3.Error as exc:
        print(f"kyr-bot review: cannot read the queue in {data_dir} ({exc})", file=sys.stderr)
        return exitcodes.FAILED
    try:
        questions = queue.questions()
        if args.json:
            for queued in questions:
                q = queued.question
                print(json.dumps({"text": q.text, "lang": q.lang, "day": q.day, "route": q.route}, ensure_ascii=False))
            return exitcodes.OK
        path, refusal = review_file(args)
        if refusal is not None:
            print(
                f"kyr-bot review: {refusal}. Use --out DIR to write the labelled questions there, then copy "
                f"{REVIEW_FILE} into a checkout's knowledge/examples/.",
                file=sys.stderr,
            )
            return exitcodes.BAD_CONFIG
        if not questions:
            print(f"kyr-bot review: no questions waiting in {data_dir}.")
            return exitcodes.OK
        kb = app.load_content_or_exit(args.config)
        session = Session(kb, queue, path, stdin or sys.stdin, sys.stdout)
        session.run(questions)
    finally:
        queue.close()
    left = len(questions) - session.labelled - session.discarded
    print(f"\nkyr-bot review: {session.labelled} labelled, {session.discarded} discarded, {left} left in the queue.")
    if not session.labelled:
        return exitcodes.OK
    problems = _check(path, kb, args)
    for problem in problems:
        print(problem, file=sys.stderr)
    if problems:
        print(f"kyr-bot review: {path} has problem(s); fix them (kyr-bot check).", file=sys.stderr)
        return exitcodes.FAILED
    print(f"kyr-bot check: OK ({path})")
    return exitcodes.OK


def add_parser(sub: Any) -> None:
    """Register ``review`` with the subcommand parsers."""
    p = sub.add_parser("review", help="label or discard the questions people sent for review")
    p.add_argument("--json", action="store_true", help="print the queue, one JSON object per line; change nothing")
    p.add_argument("--out", metavar="DIR", help="write labelled questions to DIR/review.yaml instead")
    p.set_defaults(func=cmd_review)
