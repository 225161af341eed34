"""The rights card's text, read and checked: ``knowledge/card.yaml`` plus the officer card.

The English statement and its explanation per language come from the officer card (read once, by
:mod:`.officer_card_file`; never copied); card.yaml adds, per language, the heading, the hotline line, the
small print and the photo caption. Every problem is reported as ``file:line: message``; a card is never
half-loaded. Whether the shipped font can draw every character, and whether the card fits the picture,
are checked where the drawing is (:mod:`bot.card.checks`).
"""

from __future__ import annotations

import datetime as dt
import re
import string
from collections.abc import Mapping
from pathlib import Path

from bot.core.limits import CAPTION_CHARS
from bot.i18n import format_day
from bot.knowledge.checks import Checker, KnowledgeError, is_text
from bot.knowledge.model import CardSet, CardText, OfficerCard, Origin
from bot.knowledge.officer_card_file import read_officer_card
from bot.yamlfile import LineDict

CARD_FILE = "card.yaml"
LANG_FIELDS = ("heading", "hotline", "small_print", "caption")  # card.yaml, per language
OWN_PLACEHOLDERS = ("card_date", "publishers")  # filled by the card itself, on top of contacts.yaml values


class CardError(KnowledgeError):
    """The card's files have problems; ``problems`` lists each as ``file:line: message``."""


def one_line(text: str) -> str:
    """``text`` with runs of spaces, tabs and line breaks made one space (no-break spaces are kept)."""
    return re.sub(r"[ \t\r\n]+", " ", text).strip()


class _CardLoader(Checker):
    """Reads card.yaml with the knowledge base's checks (problems as file:line)."""

    def __init__(self, directory: Path, languages: tuple[str, ...], today: dt.date) -> None:
        super().__init__(today)
        self.dir = directory
        self.langs = languages

    def fill(self, path: Path, line: int, label: str, text: str, values: Mapping[str, str]) -> str | None:
        """``text`` with its placeholders filled; None (with a problem) for an unknown one."""
        try:
            names = [name for _, name, _, _ in string.Formatter().parse(text) if name is not None]
        except ValueError as exc:
            self.err(path, line, f"{label}: bad braces ({exc}); write {{{{ and }}}} for a literal brace")
            return None
        unknown = [name for name in names if name not in values]
        for name in unknown:
            self.err(path, line, f"{label}: unknown placeholder {{{name}}} (not in contacts.yaml values)")
        if unknown:
            return None
        try:
            return text.format_map(values)
        except (ValueError, KeyError, IndexError, AttributeError) as exc:
            self.err(path, line, f"{label}: cannot fill placeholders ({exc})")
            return None

    def load(self, placeholders: Mapping[str, Mapping[str, str]], officer: OfficerCard | None) -> CardSet:
        """Every language's card text; raises CardError listing every problem (the officer card's too,
        when it was read here)."""
        card_path = self.dir / CARD_FILE
        card = self.mapping(card_path)
        if card is None:
            raise CardError(self.problems)
        reviewed = self.review_date(card_path, card)
        for key in card:
            if key != "reviewed" and key not in self.langs:
                self.err(
                    card_path, card.line_of(key), f"unknown key {key!r} (a typo, or a language not in settings.yaml?)"
                )
        texts: dict[str, CardText] = {}
        publishers = officer.publishers if officer is not None else ()
        for lang in self.langs:
            own = self.language(card_path, card, lang, placeholders.get(lang), reviewed, publishers)
            if own is None or officer is None or lang not in officer.explanation:
                continue
            filled, origins = own
            origins["statement"] = Origin(officer.path, officer.lines.get("statement", 1))
            origins["explanation"] = Origin(officer.path, officer.lines.get(f"explanation.{lang}", 1))
            texts[lang] = CardText(
                lang=lang,
                statement=one_line(officer.statement),
                explanation=one_line(officer.explanation[lang]),
                origins=origins,
                **filled,
            )
        if self.problems or reviewed is None or officer is None:
            raise CardError(self.problems)
        return CardSet(reviewed=reviewed, publishers=officer.publishers, texts=texts)

    def language(
        self,
        path: Path,
        card: LineDict,
        lang: str,
        values: Mapping[str, str] | None,
        reviewed: dt.date | None,
        publishers: tuple[str, ...],
    ) -> tuple[dict[str, str], dict[str, Origin]] | None:
        """The card.yaml fields of one language, placeholders filled, and where each was written."""
        block = card.get(lang)
        if not isinstance(block, LineDict):
            where = card.line_of(lang) if lang in card else card.line
            self.err(path, where, f"the card has no {lang!r} block ({', '.join(LANG_FIELDS)})")
            return None
        if values is None:
            self.err(path, card.line_of(lang), f"no placeholder values were given for {lang!r}")
            return None
        for key in block:
            if key not in LANG_FIELDS:
                self.err(path, block.line_of(key), f"{lang}: unknown key {key!r} (known: {', '.join(LANG_FIELDS)})")
        own = {
            "card_date": format_day(reviewed, lang) if reviewed else "",
            "publishers": ", ".join(publishers),
        }
        filled: dict[str, str] = {}
        for key in LANG_FIELDS:
            raw = block.get(key)
            if not is_text(raw):
                self.err(path, block.line_of(key), f"{lang}.{key} is missing or empty")
                continue
            text = self.fill(path, block.line_of(key), f"{lang}.{key}", str(raw), {**values, **own})
            if text is not None:
                filled[key] = text.strip() if key == "caption" else one_line(text)
        if len(filled) < len(LANG_FIELDS):
            return None
        if len(filled["caption"]) > CAPTION_CHARS:
            self.err(
                path,
                block.line_of("caption"),
                f"{lang}.caption is {len(filled['caption'])} characters; Telegram allows {CAPTION_CHARS}",
            )
        return filled, {key: Origin(path, block.line_of(key)) for key in LANG_FIELDS}


def load_card(
    knowledge_dir: Path,
    languages: tuple[str, ...],
    placeholders: Mapping[str, Mapping[str, str]],
    *,
    today: dt.date | None = None,
    officer: OfficerCard | None = None,
) -> CardSet:
    """Load the card in every language of ``languages`` from ``knowledge_dir``.

    ``placeholders`` maps each language to its placeholder values (``kb.contacts.values_for(lang)``);
    ``officer`` is the officer card already read (read here from ``officer_card.yaml`` when not given).
    Checks that every language and field is there and not empty, every placeholder is known and the
    caption fits Telegram's 1024 characters. Raises CardError listing every problem as
    ``file:line: message``. Neither the font nor the layout is checked here: see :mod:`bot.card.checks`.
    """
    loader = _CardLoader(knowledge_dir, tuple(languages), today or dt.date.today())
    if officer is None:
        officer = read_officer_card(loader, knowledge_dir, tuple(languages))
    return loader.load(placeholders, officer)
