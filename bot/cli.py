"""The ``kyr-bot`` command line."""

from __future__ import annotations

import argparse
import io
import json
import os
import signal
import sys
from collections.abc import Sequence
from pathlib import Path

from . import exitcodes, version
from .compose import render_entry, to_plain
from .config import Config, ConfigError
from .health import HEARTBEAT_MAX_AGE
from .i18n import check_catalogs, use_locales_dir
from .knowledge import KnowledgeBase, KnowledgeError, load_knowledge


def _load_or_exit(config: Config) -> KnowledgeBase:
    try:
        return load_knowledge(config.knowledge_dir, operator=config.operator)
    except KnowledgeError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        print(
            f"kyr-bot: the knowledge base has {len(exc.problems)} problem(s); fix them first.",
            file=sys.stderr,
        )
        raise SystemExit(exitcodes.BAD_CONFIG) from None


def _check_lang(kb: KnowledgeBase, lang: str | None) -> None:
    if lang is not None and lang not in kb.languages:
        print(f"kyr-bot: unknown language {lang!r}; choose one of: {', '.join(kb.languages)}", file=sys.stderr)
        raise SystemExit(exitcodes.BAD_CONFIG)


def cmd_ask(args: argparse.Namespace) -> int:
    """``kyr-bot ask``: print one answer as a person would read it."""
    from .conversation import Conversation

    kb = _load_or_exit(args.config)
    _check_lang(kb, args.lang)
    conv = Conversation.from_knowledge(kb, cache_dir=args.config.model_cache_dir)
    reply = conv.ask(args.question, lang=args.lang)
    print(to_plain(reply.text))
    return 0


def cmd_match(args: argparse.Namespace) -> int:
    """One output line per input line: what the conversation would do with each message."""
    from .conversation import Conversation, Understood, clean_input

    kb = _load_or_exit(args.config)
    conversation = Conversation.from_knowledge(kb, cache_dir=args.config.model_cache_dir)
    for line in sys.stdin:
        query = line.rstrip("\r\n")
        clean = clean_input(query)
        # An empty line still gets its record: the bot would ask for words.
        understood = conversation.understand(clean) if clean else Understood("fallback", kb.default_language, None)
        if args.json:
            print(json.dumps(understood.as_json(query), ensure_ascii=False), flush=True)
        else:
            result = understood.result
            alts = ", ".join(f"{a.id} {a.score:.0f}" for a in result.alternatives) if result else ""
            score = f"{result.score:.0f}" if result else "0"
            entry = understood.entry_id or "-"
            print(f"{entry}\t{understood.route}\t{score}\t{understood.lang}\t{alts}\t{query}", flush=True)
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    """``kyr-bot check``: every problem as file:line (exit 1), warnings that never fail."""
    problems = []
    kb = None
    try:
        kb = load_knowledge(args.config.knowledge_dir, operator=args.config.operator)
    except KnowledgeError as exc:
        problems.extend(exc.problems)
    languages = kb.languages if kb else ("en", "es")
    problems.extend(check_catalogs(languages))
    warnings = list(kb.warnings) if kb else []
    if kb is not None:
        from .card_data import card_problems

        values = {lang: kb.contacts.values_for(lang) for lang in kb.languages}
        problems.extend(card_problems(kb.directory, kb.languages, values))
        if not args.no_reading_level:
            from .knowledge.readability import reading_level_warnings

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
    kb = _load_or_exit(args.config)
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
    from .card_data import CardError, load_card
    from .card_render import CardFitError, render_card

    kb = _load_or_exit(args.config)
    lang = args.lang or kb.default_language
    _check_lang(kb, lang)
    try:
        cards = load_card(kb.directory, kb.languages, {code: kb.contacts.values_for(code) for code in kb.languages})
        card = render_card(cards.text(lang))
    except CardError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        print(f"kyr-bot: the card has {len(exc.problems)} problem(s); fix them first.", file=sys.stderr)
        return 2
    except CardFitError as exc:
        print(f"kyr-bot: {exc}", file=sys.stderr)
        return 2
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
    from .console import run_console

    kb = _load_or_exit(args.config)
    _check_lang(kb, args.lang)
    return run_console(
        kb, lang=args.lang, system_language=args.config.system_language, cache_dir=args.config.model_cache_dir
    )


def cmd_train(args: argparse.Namespace) -> int:
    """Fit the matcher's ranker and write it where the package ships it (or to --out)."""
    from . import ranker as ranker_module
    from .matcher import Matcher

    kb = _load_or_exit(args.config)
    prepare = Matcher(kb, learned=False).prepare  # the ranker's input, exactly as the matcher makes it
    out = Path(args.out) if args.out else ranker_module.PACKAGE_MODEL_DIR
    try:
        ranker = ranker_module.fit_ranker(kb, prepare)
    except ranker_module.RankerUnavailable as exc:
        print(f"kyr-bot train: {exc}", file=sys.stderr)
        return 2
    path = ranker_module.model_path(out, ranker.digest)
    ranker.save(path)
    ranker_module.drop_other_models(out, path)
    print(f"kyr-bot train: wrote {path} ({len(ranker.classes)} entries, {ranker.coef.shape[1]} features)")
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    """``kyr-bot run``: the Telegram bot (see :mod:`bot.telegram.runner`)."""
    from .telegram import run_bot

    return run_bot(args, args.config)


def cmd_health(args: argparse.Namespace) -> int:
    """``kyr-bot health``: exit 0 while the running bot is alive, else 1 with one line."""
    from .health import HEARTBEAT_NAME, check_heartbeat, check_url

    if args.url:
        health = check_url(args.url)
    else:
        health = check_heartbeat(args.config.data_dir / HEARTBEAT_NAME, max_age=args.max_age)
    print(
        f"kyr-bot health: {'OK' if health.ok else 'FAILING'}: {health.reason}",
        file=sys.stdout if health.ok else sys.stderr,
    )
    return exitcodes.OK if health.ok else exitcodes.FAILED


def cmd_reload(args: argparse.Namespace) -> int:
    """``kyr-bot reload``: SIGHUP to the running bot named in the pid file."""
    from .health import PID_NAME, read_pid

    path = args.config.data_dir / PID_NAME
    pid = read_pid(path)
    if pid is None:
        print(
            f"kyr-bot reload: no running bot found (no pid file at {path}; is KYR_DATA_DIR the bot's?)", file=sys.stderr
        )
        return exitcodes.FAILED
    try:
        os.kill(pid, signal.SIGHUP)
    except ProcessLookupError:
        print(f"kyr-bot reload: the bot named in {path} (pid {pid}) is not running", file=sys.stderr)
        return exitcodes.FAILED
    except PermissionError:
        print(f"kyr-bot reload: not allowed to signal pid {pid} (run as the bot's user)", file=sys.stderr)
        return exitcodes.FAILED
    print(f"kyr-bot reload: asked the bot (pid {pid}) to reload its content; its log says how it went")
    return exitcodes.OK


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
    p.add_argument("--out", help="write the model to this directory instead of the package's bot/model/")
    p.set_defaults(func=cmd_train)

    p = sub.add_parser("run", help="run the Telegram bot (needs TELEGRAM_BOT_TOKEN)")
    p.add_argument("--webhook-url", help="use a webhook at this public https URL instead of long polling")
    p.add_argument("--listen", default="127.0.0.1", help="webhook: address to listen on")
    p.add_argument("--port", type=int, default=8443, help="webhook: port to listen on")
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("health", help="exit 0 if the running bot is alive, else 1 with the reason")
    p.add_argument("--url", help="webhook mode: ask this URL instead, e.g. http://127.0.0.1:8443/healthz")
    p.add_argument(
        "--max-age", type=float, default=HEARTBEAT_MAX_AGE, help="polling: oldest heartbeat that passes, in seconds"
    )
    p.set_defaults(func=cmd_health)

    p = sub.add_parser("reload", help="make the running bot re-read the knowledge base and catalogs (SIGHUP)")
    p.set_defaults(func=cmd_reload)
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
    from .ranker import RankerUnavailable

    try:
        return int(args.func(args) or 0)
    except RankerUnavailable as exc:
        print(f"kyr-bot: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
