"""The ``kyr-bot`` command line: subcommands only. Each parses its arguments, asks the composition root
(:mod:`bot.app`) for what it needs, and prints."""

from __future__ import annotations

import argparse
import io
import json
import os
import signal
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from bot import app, cli_review, cli_stats, version
from bot.core import callbacks as cb
from bot.core.flood import FloodGuard
from bot.core.replies import Reply
from bot.i18n import check_catalogs, use_locales_dir
from bot.knowledge import KnowledgeBase, KnowledgeError, load_knowledge
from bot.matching.ranker import RankerUnavailable
from bot.runtime import exitcodes
from bot.runtime.config import Config, ConfigError
from bot.screens.compose import length_problems, render_entry, to_plain, to_terminal
from bot.yamlfile import Problem


def _check_lang(kb: KnowledgeBase, lang: str | None) -> None:
    if lang is not None and lang not in kb.languages:
        print(f"kyr-bot: unknown language {lang!r}; choose one of: {', '.join(kb.languages)}", file=sys.stderr)
        raise SystemExit(exitcodes.BAD_CONFIG)


def cmd_ask(args: argparse.Namespace) -> int:
    """``kyr-bot ask``: print one answer as a person would read it."""
    kb = app.load_content_or_exit(args.config)
    _check_lang(kb, args.lang)
    reply = app.build_conversation(kb, args.config).ask(args.question, lang=args.lang)
    if reply.photo is not None:  # the rights card: a picture, which a terminal cannot show
        print(to_terminal(reply.photo.caption))
        print(f"(The rights card is a picture: `kyr-bot card --lang {reply.lang}` saves it.)")
        return 0
    print(to_terminal(reply.text))
    for label in _offered(reply):
        print(f"  • {label}")
    return 0


def _offered(reply: Reply) -> list[str]:
    """The labels of a "did you mean" reply's options (the answers it offers, which a one-shot command
    cannot press: they are listed instead); nothing for any other reply."""
    pressed = [cb.parse(b.data) for b in reply.all_buttons()]
    if not any(c is not None and c.verb == cb.NONE_OF_THESE for c in pressed):
        return []
    return [b.label for b, c in zip(reply.all_buttons(), pressed, strict=True) if c is not None and c.verb == cb.ANSWER]


def cmd_match(args: argparse.Namespace) -> int:
    """One output line per input line: what the conversation would do with each message."""
    kb = app.load_content_or_exit(args.config)
    conversation = app.build_conversation(kb, args.config)
    for line in sys.stdin:
        query = line.rstrip("\r\n")
        # An empty line still gets its record: the bot would ask for words.
        decision = conversation.understand(query)
        if args.json:
            print(json.dumps(decision.as_json(query), ensure_ascii=False), flush=True)
        else:
            result = decision.match
            alts = ", ".join(f"{a.id} {a.score:.0f}" for a in result.alternatives) if result else ""
            score = f"{result.score:.0f}" if result else "0"
            entry = decision.entry_id or "-"
            print(f"{entry}\t{decision.route}\t{score}\t{decision.lang}\t{alts}\t{query}", flush=True)
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    """``kyr-bot check``: every problem as file:line (exit 1), warnings that never fail."""
    problems: list[Problem] = []
    kb = None
    try:
        kb = load_knowledge(args.config.knowledge_dir, operator=args.config.operator)
    except KnowledgeError as exc:
        problems.extend(exc.problems)
    languages = kb.languages if kb else ("en", "es")
    problems.extend(check_catalogs(languages))
    warnings = list(kb.warnings) if kb else []
    if kb is not None:
        from bot.card.checks import card_problems

        values = {lang: kb.contacts.values_for(lang) for lang in kb.languages}
        problems.extend(card_problems(kb.directory, kb.languages, values, officer=kb.officer_card))
        too_long, long_median = length_problems(kb)
        problems.extend(too_long)
        warnings += long_median
        if not args.no_reading_level:
            from bot.knowledge.readability import reading_level_warnings

            warnings += reading_level_warnings(kb)
    for warning in warnings:
        print(f"{warning} (warning)", file=sys.stderr)
    for problem in problems:
        print(problem, file=sys.stderr)
    if problems or kb is None:
        print(f"kyr-bot check: {len(problems)} problem(s)", file=sys.stderr)
        return 1
    print(
        f"kyr-bot check: OK ({len(kb.entries)} entries, {len(kb.examples)} training examples, "
        f"languages {', '.join(kb.languages)})"
    )
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    """``kyr-bot export --json``: the whole knowledge base as JSON."""
    kb = app.load_content_or_exit(args.config)
    entries = []
    for entry in kb.entries.values():
        entries.append(
            {
                "id": entry.id,
                "kind": entry.kind,
                "reviewed": entry.reviewed.isoformat(),
                "related": list(entry.related),
                "sources": [{"title": s.title, "url": s.url} for s in entry.sources],
                **({"officer_statement": entry.officer_statement} if entry.officer_statement else {}),
                **{
                    lang: {
                        "title": text.title,
                        "questions": list(text.questions),
                        "answer": text.answer,
                        "rendered": to_plain(render_entry(kb, entry, lang)),
                    }
                    for lang, text in entry.texts.items()
                },
            }
        )
    json.dump({"languages": list(kb.languages), "entries": entries}, sys.stdout, ensure_ascii=False, indent=2)
    print()
    return 0


def cmd_card(args: argparse.Namespace) -> int:
    """``kyr-bot card``: write the rights card picture (PNG) for one language."""
    from bot.card.render import render_card

    kb = app.load_content_or_exit(args.config, card=True)
    lang = args.lang or kb.default_language
    _check_lang(kb, lang)
    if kb.card is None:
        print(f"kyr-bot: the knowledge base in {kb.directory} has no card.yaml", file=sys.stderr)
        return exitcodes.BAD_CONFIG
    card = render_card(kb.card.text(lang))
    output = Path(args.output or f"rights-card-{lang}.png")
    try:
        output.write_bytes(card.png)
    except OSError as exc:
        print(f"kyr-bot: cannot write {output}: {exc.strerror}", file=sys.stderr)
        return 1
    print(f"kyr-bot: wrote the {lang} rights card ({card.width}×{card.height} px) to {output}")
    return 0


def cmd_chat(args: argparse.Namespace) -> int:
    """``kyr-bot chat``: the conversation in the terminal."""
    from bot.channels.console import run_console

    kb = app.load_content_or_exit(args.config)
    _check_lang(kb, args.lang)
    conversation = app.build_conversation(kb, args.config, flood=FloodGuard())
    return run_console(conversation, lang=args.lang, system_language=args.config.system_language)


def cmd_train(args: argparse.Namespace) -> int:
    """Fit the matcher's ranker and write it where the package ships it (or to --out)."""
    kb = app.load_content_or_exit(args.config)
    try:
        trained = app.train(kb, Path(args.out) if args.out else None)
    except RankerUnavailable as exc:
        print(f"kyr-bot train: {exc}", file=sys.stderr)
        return 2
    print(f"kyr-bot train: wrote {trained.path} ({trained.entries} entries, {trained.features} features)")
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    """``kyr-bot run``: the Telegram bot (see :mod:`bot.channels.telegram.runner`)."""
    from bot.channels.telegram import RunOptions, run_bot

    return run_bot(args.config, RunOptions(args.webhook_url, args.listen, args.port))


def cmd_health(args: argparse.Namespace) -> int:
    """``kyr-bot health``: exit 0 while the running bot is alive, else 1 with one line. Polling: the process
    named in the pid file must be alive (so a stopped or killed bot fails at once) and its heartbeat fresh;
    ``--url``: the webhook's ``/healthz`` must answer 200."""
    from bot.runtime.health import (
        HEARTBEAT_MAX_AGE,
        HEARTBEAT_NAME,
        PID_NAME,
        check_heartbeat,
        check_process,
        check_url,
    )

    if args.url:
        health = check_url(args.url)
    else:
        health = check_process(args.config.data_dir / PID_NAME)
        if health.ok:
            max_age = HEARTBEAT_MAX_AGE if args.max_age is None else args.max_age
            health = check_heartbeat(args.config.data_dir / HEARTBEAT_NAME, max_age=max_age)
    print(
        f"kyr-bot health: {'OK' if health.ok else 'FAILING'}: {health.reason}",
        file=sys.stdout if health.ok else sys.stderr,
    )
    return exitcodes.OK if health.ok else exitcodes.FAILED


def cmd_reload(args: argparse.Namespace) -> int:
    """``kyr-bot reload``: SIGHUP to the running bot named in the pid file, then wait for the outcome the
    bot writes (:mod:`bot.runtime.reload`): 0 when the new content is in service, 2 when it was refused
    (each problem printed as ``file:line: problem``), 1 when no bot runs or no outcome came in time."""
    from bot.runtime.health import PID_NAME, read_pid

    path = args.config.data_dir / PID_NAME
    pid = read_pid(path)
    if pid is None:
        print(
            f"kyr-bot reload: no running bot found (no pid file at {path}; is KYR_DATA_DIR the bot's?)", file=sys.stderr
        )
        return exitcodes.FAILED
    asked = time.time()
    try:
        os.kill(pid, signal.SIGHUP)
    except ProcessLookupError:
        print(f"kyr-bot reload: the bot named in {path} (pid {pid}) is not running", file=sys.stderr)
        return exitcodes.FAILED
    except PermissionError:
        print(f"kyr-bot reload: not allowed to signal pid {pid} (run as the bot's user)", file=sys.stderr)
        return exitcodes.FAILED
    if args.no_wait:
        print(f"kyr-bot reload: asked the bot (pid {pid}) to reload its content; its log says how it went")
        return exitcodes.OK
    return _wait_for_reload(args, pid, asked)


def _wait_for_reload(args: argparse.Namespace, pid: int, asked: float) -> int:
    """Wait for the outcome of the reload asked for at ``asked`` (Unix seconds) and say how it went."""
    from bot.runtime.reload import RELOAD_STATUS_NAME, read_status

    status_path = args.config.data_dir / RELOAD_STATUS_NAME
    deadline = time.monotonic() + args.timeout
    while True:
        status = read_status(status_path)
        if status is not None and status.pid == pid and status.started >= asked:
            break
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            print(f"kyr-bot reload: the bot (pid {pid}) stopped before the reload finished", file=sys.stderr)
            return exitcodes.FAILED
        except PermissionError:
            pass
        if time.monotonic() > deadline:
            print(
                f"kyr-bot reload: asked the bot (pid {pid}), but no outcome in {status_path} within "
                f"{args.timeout:g} s; its log says how it went",
                file=sys.stderr,
            )
            return exitcodes.FAILED
        time.sleep(0.1)
    if status.ok:
        print(f"kyr-bot reload: done: {status.entries} entries in service (pid {pid})")
        return exitcodes.OK
    for problem in status.problems:
        print(problem, file=sys.stderr)
    print(
        f"kyr-bot reload: refused; the bot still serves the previous content ({status.entries} entries)",
        file=sys.stderr,
    )
    return exitcodes.BAD_CONFIG


def build_parser() -> argparse.ArgumentParser:
    """The argument parser for every subcommand."""
    parser = argparse.ArgumentParser(prog="kyr-bot", description="Know-your-rights bot (English/Spanish).")
    parser.add_argument("--version", action="version", version=f"%(prog)s {version()}")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("ask", help="print the answer to one question")
    p.add_argument("question")
    p.add_argument("--lang", choices=None, help="answer in this language (default: the question's)")
    p.set_defaults(func=cmd_ask)

    p = sub.add_parser("match", help="match questions from standard input, one per line")
    p.add_argument("--json", action="store_true", help="one JSON object per line")
    p.set_defaults(func=cmd_match)

    p = sub.add_parser("check", help="validate the knowledge base and translation catalogs")
    p.add_argument("--no-reading-level", action="store_true", help="skip the reading-level warnings (faster)")
    p.set_defaults(func=cmd_check)

    p = sub.add_parser("export", help="the whole knowledge base as JSON")
    p.add_argument("--json", action="store_true", default=True, help="JSON output (the only format)")
    p.set_defaults(func=cmd_export)

    p = sub.add_parser("card", help="draw the rights card picture (PNG) in one language")
    p.add_argument("--lang", help="the card's language (default: the knowledge base's default language)")
    p.add_argument("-o", "--output", help="where to write the PNG (default: rights-card-<lang>.png)")
    p.set_defaults(func=cmd_card)

    p = sub.add_parser("chat", help="talk to the bot in this terminal (no Telegram token needed)")
    p.add_argument("--lang", help="start in this language")
    p.set_defaults(func=cmd_chat)

    p = sub.add_parser("train", help="fit the matcher's ranker and ship it in the package (needs scikit-learn)")
    p.add_argument("--out", help="write the model to this directory instead of the package's bot/matching/model/")
    p.set_defaults(func=cmd_train)

    p = sub.add_parser("run", help="run the Telegram bot (needs TELEGRAM_BOT_TOKEN)")
    p.add_argument("--webhook-url", help="use a webhook at this public https URL instead of long polling")
    p.add_argument("--listen", default="127.0.0.1", help="webhook: address to listen on")
    p.add_argument("--port", type=int, default=8443, help="webhook: port to listen on")
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("health", help="exit 0 if the running bot is alive, else 1 with the reason")
    p.add_argument("--url", help="webhook mode: ask this URL instead, e.g. http://127.0.0.1:8443/healthz")
    p.add_argument("--max-age", type=float, help="polling: oldest heartbeat that passes, in seconds (default: 90)")
    p.set_defaults(func=cmd_health)

    p = sub.add_parser("reload", help="make the running bot re-read the knowledge base and catalogs (SIGHUP)")
    p.add_argument("--timeout", type=float, default=120.0, help="seconds to wait for the outcome (default 120)")
    p.add_argument("--no-wait", action="store_true", help="only send the signal; the bot's log says how it went")
    p.set_defaults(func=cmd_reload)

    cli_stats.add_parser(sub)
    cli_review.add_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point: parse ``argv``, read the configuration once, run the subcommand; returns the exit status."""
    for stream in (sys.stdout, sys.stdin):
        if isinstance(stream, io.TextIOWrapper):  # not under pytest's capture
            stream.reconfigure(encoding="utf-8", errors="replace")
    args = build_parser().parse_args(argv)
    try:
        args.config = Config.from_env(os.environ, need_token=args.command == "run")
    except ConfigError as exc:
        print(f"kyr-bot: {exc}", file=sys.stderr)
        return exitcodes.BAD_CONFIG
    use_locales_dir(args.config.locales_dir)
    try:
        return int(args.func(args) or 0)
    except RankerUnavailable as exc:
        print(f"kyr-bot: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        # The reader went away (``kyr-bot ask … | head``): stop quietly, as other command-line tools do.
        # Python's docs: point stdout at devnull so the flush at exit does not raise again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
