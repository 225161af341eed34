"""The composition root: the one place that loads the content and builds the matcher, the conversation
and what it keeps. Every command (``chat``, ``ask``, ``match``, ``check``, ``card``, ``train``, ``run``,
``reload``) and the benchmarks build through here, and content problems are reported one way
(:func:`report_problems`).

Nothing else wires rooms together: channels receive a ready :class:`~bot.core.conversation.Conversation`.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from bot.core.consent import ConsentFlow, QuestionQueue
from bot.core.conversation import Conversation
from bot.core.flood import FloodGuard
from bot.core.preferences import PreferenceStore
from bot.core.usage import UsageLog
from bot.i18n import check_catalogs, use_locales_dir
from bot.knowledge import KnowledgeBase, KnowledgeError, load_knowledge
from bot.knowledge.checks import ContentError
from bot.matching.matcher import Matcher
from bot.runtime import exitcodes
from bot.runtime.config import Config
from bot.yamlfile import Problem


def load_content(config: Config, *, card: bool = False) -> KnowledgeBase:
    """The knowledge base in ``config.knowledge_dir`` after checking it and the translation catalogs for
    its languages (``config.locales_dir``, which from now on the bot reads). ``card=True`` also checks that
    the rights card draws and fits in every language (imports Pillow: for ``check``, ``card`` and the
    running bot). Raises ContentError listing every problem as ``file:line: problem``."""
    use_locales_dir(config.locales_dir)
    try:
        kb = load_knowledge(config.knowledge_dir, operator=config.operator)
    except KnowledgeError as exc:
        raise ContentError(list(exc.problems), "knowledge base") from None
    problems = check_catalogs(kb.languages)
    if problems:
        raise ContentError(problems, "translations")
    if card and kb.card is not None:
        from bot.card.checks import cardset_problems  # Pillow

        problems = cardset_problems(kb.card)
        if problems:
            raise ContentError(problems, "rights card")
    return kb


def load_content_or_exit(config: Config, *, card: bool = False) -> KnowledgeBase:
    """:func:`load_content` for a command: on broken content, print every problem
    (:func:`report_problems`) and raise SystemExit with status 2 (``exitcodes.BAD_CONFIG``)."""
    try:
        return load_content(config, card=card)
    except ContentError as exc:
        report_problems(exc.problems, exc.what)
        raise SystemExit(exitcodes.BAD_CONFIG) from None


def report_problems(problems: Iterable[Problem | str], what: str, out: TextIO | None = None) -> None:
    """Print each problem (``file:line: problem``), then one line saying what is broken."""
    out = out or sys.stderr
    listed = list(problems)
    for problem in listed:
        print(problem, file=out)
    print(f"kyr-bot: the {what} has {len(listed)} problem(s); fix them first.", file=out)


def build_matcher(kb: KnowledgeBase, config: Config) -> Matcher:
    """The matcher for ``kb``, with its fitted ranker: shipped in the package, cached in the model folder,
    or fitted now (and cached) when the content changed."""
    return Matcher(kb, cache_dir=config.model_cache_dir)


def build_conversation(
    kb: KnowledgeBase,
    config: Config,
    store: PreferenceStore | None = None,
    flood: FloodGuard | None = None,
    matcher: Matcher | None = None,
    usage: UsageLog | None = None,
    questions: QuestionQueue | None = None,
) -> Conversation:
    """The conversation over ``kb``: a matcher (see :func:`build_matcher`), the given store (memory only
    by default) and flood guard; ``usage`` counts what happens (nothing by default: the terminal chat,
    ``ask``, ``match``); ``questions`` keeps questions sent for review with consent (None: never offered).
    The running bot gives both from :class:`bot.runtime.records.Records`."""
    consent = ConsentFlow(questions) if questions is not None else None
    return Conversation(kb, matcher or build_matcher(kb, config), store, flood=flood, usage=usage, consent=consent)


def rebuild_conversation(config: Config, old: Conversation) -> Conversation:
    """A reload: the conversation over the content as the files are now, keeping what ``old`` keeps (the
    language store, the flood guard, the usage counts, questions waiting for their second tap, messages
    flood protection holds back to answer later, each person's last answer). Raises ContentError for
    broken content."""
    kb = load_content(config, card=True)
    new = Conversation(kb, build_matcher(kb, config), old.store, flood=old.flood, usage=old.usage, consent=old.consent)
    new.holds = old.holds  # a held message is answered by the conversation in service when its wait ends
    new.last_answers = old.last_answers
    return new


@dataclass(frozen=True)
class Trained:
    """A model written by :func:`train`: where, for how many entries and features."""

    path: Path
    entries: int
    features: int


def train(kb: KnowledgeBase, out: Path | None = None) -> Trained:
    """Fit the matcher's ranker for ``kb`` and write it to ``out`` (default: the package's model folder,
    so a wheel or an image built afterwards ships it); other models there are removed. Raises
    RankerUnavailable without scikit-learn."""
    from bot.matching import ranker as ranker_module

    folder = out or ranker_module.PACKAGE_MODEL_DIR
    ranker = Matcher(kb, learned=False).fit()  # the ranker and its calibration, exactly as a start would fit them
    path = ranker_module.model_path(folder, ranker.digest)
    ranker.save(path)
    ranker_module.drop_other_models(folder, path)
    return Trained(path, len(ranker.classes), int(ranker.coef.shape[1]))
