"""Loading the whole knowledge base: every file validated, every problem reported as ``file:line``.

The knowledge base is never half-loaded: any problem raises :class:`KnowledgeError` listing them all.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from bot import resources
from bot.knowledge.card_file import CARD_FILE, load_card
from bot.knowledge.checks import Checker, KnowledgeError
from bot.knowledge.claims_file import read_claims
from bot.knowledge.contacts_file import read_contacts
from bot.knowledge.entry_file import check_related, read_entry
from bot.knowledge.examples_file import read_examples
from bot.knowledge.lexicon_file import read_lexicon
from bot.knowledge.model import Entry, KnowledgeBase
from bot.knowledge.officer_card_file import read_officer_card
from bot.knowledge.routing_file import read_routing
from bot.knowledge.settings_file import read_affiliate, read_emergency, read_legal_review, read_settings, read_topics
from bot.yamlfile import Problem


def load_knowledge(
    directory: Path | None = None, today: dt.date | None = None, operator: str | None = None
) -> KnowledgeBase:
    """Load and validate the knowledge base in ``directory`` (default: the bundled one).

    ``today`` is the date staleness warnings are measured against (default: the real date);
    ``operator`` is who runs this copy (shown in "about"). Raises KnowledgeError listing every problem.
    """
    directory = directory or resources.knowledge_dir()
    if not directory.is_dir():
        raise KnowledgeError([Problem(directory, 1, "knowledge directory not found")])
    chk = Checker(today or dt.date.today())
    settings = read_settings(chk, directory)
    langs = settings.languages
    contacts = read_contacts(chk, directory, langs, operator)
    lexicon = read_lexicon(chk, directory)
    entry_dir = directory / "entries"
    paths = sorted(entry_dir.glob("*.yaml")) if entry_dir.is_dir() else []
    if not paths:
        chk.err(entry_dir, 1, "no entries found (entries/*.yaml)")
    entries: dict[str, Entry] = {}
    related_lines: dict[str, int] = {}
    placeholders = contacts.placeholder_names()
    for path in paths:
        entry = read_entry(chk, path, langs, placeholders, related_lines)
        if entry is None:
            continue
        if entry.id in entries:
            chk.err(path, 1, f"duplicate id {entry.id!r}")
            continue
        entries[entry.id] = entry
    check_related(chk, paths, entries, related_lines)
    stems = {p.stem for p in paths}  # every entry file, loaded or broken
    examples = read_examples(chk, directory, langs, entries, stems - set(entries))
    topics = read_topics(chk, settings, set(entries) | stems)
    emergency = read_emergency(chk, settings, entries)
    affiliate = read_affiliate(chk, settings, entries)
    legal_review = read_legal_review(chk, settings)
    officer_card = read_officer_card(chk, directory, langs)
    routing = read_routing(chk, directory, langs, set(entries))
    claims = read_claims(chk, directory, langs)
    if chk.problems:
        raise KnowledgeError(chk.problems)
    card = None
    if (directory / CARD_FILE).exists():
        values = {lang: {**contacts.values_for(lang), "legal_review": ""} for lang in langs}
        # Raises CardError (a KnowledgeError); the font and the layout are checked by bot.card.checks.
        card = load_card(directory, langs, values, today=chk.today, officer=officer_card)
    return KnowledgeBase(
        directory=directory,
        languages=langs,
        default_language=settings.default_language,
        entries=entries,
        topics=topics,
        emergency=emergency,
        contacts=contacts,
        lexicon=lexicon,
        officer_card=officer_card,
        affiliate=affiliate,
        routing=routing,
        legal_review=legal_review,
        card=card,
        examples=examples,
        claims=claims,
        time_zone=settings.time_zone,
        warnings=tuple(chk.warnings),
    )
