"""The rights card's text, loaded and checked: ``knowledge/card.yaml`` plus ``knowledge/officer_card.yaml``.

The English statement and its explanation per language come from officer_card.yaml (never copied);
card.yaml adds, per language, the heading, the hotline line, the small print and the photo caption.
Every problem is reported as ``file:line: message``; a card is never half-loaded.
"""

from __future__ import annotations

import datetime as dt
import re
import string
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .card_fonts import CardFonts, missing_glyphs
from .i18n import format_day
from .knowledge import KnowledgeError
from .knowledge.checks import Checker
from .yamlfile import LineDict, LineList, Problem

CARD_FILE = "card.yaml"
OFFICER_FILE = "officer_card.yaml"
LANG_FIELDS = ("heading", "hotline", "small_print", "caption")  # card.yaml, per language
DRAWN_FIELDS = ("heading", "statement", "explanation", "hotline", "small_print")  # top to bottom
OWN_PLACEHOLDERS = ("card_date", "publishers")  # filled by the card itself, on top of contacts.yaml values
MAX_CAPTION_CHARS = 1024  # Telegram's limit for a photo caption


class CardError(KnowledgeError):
    """The card's files have problems; ``problems`` lists each as ``file:line: message``."""


@dataclass(frozen=True)
class Origin:
    """Where a card text was written: file and line."""

    path: Path
    line: int


@dataclass(frozen=True)
class CardText:
    """The card in one language, every placeholder filled and white space collapsed (except the caption)."""

    lang: str
    heading: str
    statement: str  # English, the same on every card
    explanation: str  # what the statement says and what to do, in ``lang``
    hotline: str
    small_print: str
    caption: str  # sent with the picture, not drawn on it
    origins: Mapping[str, Origin]  # field name -> where it was written

    def drawn(self) -> tuple[tuple[str, str], ...]:
        """``(field, text)`` for each text drawn on the card, top to bottom."""
        return tuple((name, getattr(self, name)) for name in DRAWN_FIELDS)


@dataclass(frozen=True)
class CardSet:
    """The card in every language."""

    reviewed: dt.date
    publishers: tuple[str, ...]
    texts: Mapping[str, CardText]

    @property
    def languages(self) -> tuple[str, ...]:
        """The languages the card has, in the order of settings.yaml."""
        return tuple(self.texts)

    def text(self, lang: str) -> CardText:
        """The card in ``lang``; KeyError naming the languages there are when it has none."""
        try:
            return self.texts[lang]
        except KeyError:
            raise KeyError(f"no card in {lang!r}; languages: {', '.join(self.texts)}") from None


def _is_text(value: Any) -> bool:
    return isinstance(value, str) and value.strip() != ""


def one_line(text: str) -> str:
    """``text`` with runs of spaces, tabs and line breaks made one space (no-break spaces are kept)."""
    return re.sub(r"[ \t\r\n]+", " ", text).strip()


class _CardLoader(Checker):
    """Reads card.yaml and officer_card.yaml with the knowledge base's checks (problems as file:line)."""

    def __init__(self, directory: Path, languages: tuple[str, ...], today: dt.date) -> None:
        super().__init__(today)
        self.dir = directory
        self.langs = languages

    def publishers(self, path: Path, data: LineDict) -> tuple[str, ...]:
        """The publishers of officer_card.yaml's sources (each title's part before the colon)."""
        raw = data.get("sources")
        if not isinstance(raw, LineList) or not raw:
            self.err(path, data.line_of("sources"), "'sources' must be a non-empty list of {title, url}")
            return ()
        out: list[str] = []
        for i, item in enumerate(raw):
            title = item.get("title") if isinstance(item, LineDict) else None
            publisher = title.split(":", 1)[0].strip() if isinstance(title, str) and ":" in title else ""
            if not isinstance(title, str) or not _is_text(title) or not publisher:
                self.err(
                    path, raw.line_of(i), "each source needs a 'title' that starts with its publisher, like 'ACLU: ...'"
                )
                continue
            out.append(title.split(":", 1)[0].strip())
        return tuple(dict.fromkeys(out))

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

    def load(self, placeholders: Mapping[str, Mapping[str, str]], fonts: CardFonts) -> CardSet:
        """Every language's card text; raises CardError listing every problem."""
        card_path, officer_path = self.dir / CARD_FILE, self.dir / OFFICER_FILE
        card, officer = self.mapping(card_path), self.mapping(officer_path)
        if card is None or officer is None:
            raise CardError(self.problems)
        reviewed = self.review_date(card_path, card)
        self.review_date(officer_path, officer)
        publishers = self.publishers(officer_path, officer)
        for key in card:
            if key != "reviewed" and key not in self.langs:
                self.err(
                    card_path, card.line_of(key), f"unknown key {key!r} (a typo, or a language not in settings.yaml?)"
                )
        statement = officer.get("statement")
        if not _is_text(statement):
            self.err(officer_path, officer.line_of("statement"), "'statement' is missing or empty")
        explanations = officer.get("explanation")
        if not isinstance(explanations, LineDict):
            self.err(officer_path, officer.line_of("explanation"), "'explanation' must map each language to text")
            explanations = LineDict()
        texts: dict[str, CardText] = {}
        for lang in self.langs:
            if not _is_text(explanations.get(lang)):
                where = explanations.line_of(lang) if lang in explanations else officer.line_of("explanation")
                self.err(officer_path, where, f"explanation.{lang} is missing or empty")
            own = self.language(card_path, card, lang, placeholders.get(lang), reviewed, publishers)
            if own is None or not _is_text(statement) or not _is_text(explanations.get(lang)):
                continue
            filled, origins = own
            origins["statement"] = Origin(officer_path, officer.line_of("statement"))
            origins["explanation"] = Origin(officer_path, explanations.line_of(lang))
            texts[lang] = CardText(
                lang=lang,
                statement=one_line(str(statement)),
                explanation=one_line(str(explanations[lang])),
                origins=origins,
                **filled,
            )
        for text in texts.values():
            self.glyphs(text, fonts)
        if self.problems or reviewed is None:
            raise CardError(self.problems)
        return CardSet(reviewed=reviewed, publishers=publishers, texts=texts)

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
            if not _is_text(raw):
                self.err(path, block.line_of(key), f"{lang}.{key} is missing or empty")
                continue
            text = self.fill(path, block.line_of(key), f"{lang}.{key}", str(raw), {**values, **own})
            if text is not None:
                filled[key] = text.strip() if key == "caption" else one_line(text)
        if len(filled) < len(LANG_FIELDS):
            return None
        if len(filled["caption"]) > MAX_CAPTION_CHARS:
            self.err(
                path,
                block.line_of("caption"),
                f"{lang}.caption is {len(filled['caption'])} characters; Telegram allows {MAX_CAPTION_CHARS}",
            )
        return filled, {key: Origin(path, block.line_of(key)) for key in LANG_FIELDS}

    def glyphs(self, text: CardText, fonts: CardFonts) -> None:
        """Every character of ``text``'s drawn fields must be in the shipped font."""
        for field, value in text.drawn():
            missing = {char for path in fonts.paths() for char in missing_glyphs(value, path)}
            if missing:
                chars = ", ".join(f"{c!r} (U+{ord(c):04X})" for c in sorted(missing))
                origin = text.origins[field]
                self.err(
                    origin.path,
                    origin.line,
                    f"{text.lang}.{field}: the card's font cannot draw {chars} (in the text or a placeholder's value)",
                )


def load_card(
    knowledge_dir: Path,
    languages: tuple[str, ...],
    placeholders: Mapping[str, Mapping[str, str]],
    *,
    today: dt.date | None = None,
    fonts: CardFonts | None = None,
) -> CardSet:
    """Load the card in every language of ``languages`` from ``knowledge_dir``.

    ``placeholders`` maps each language to its placeholder values (``kb.contacts.values_for(lang)``).
    Checks that every language and field is there and not empty, every placeholder is known, the caption
    fits Telegram's limit, and the shipped font can draw every character of the drawn texts. Raises
    CardError listing every problem as ``file:line: message``. Does not lay the card out: see
    ``card_problems`` for that.
    """
    loader = _CardLoader(knowledge_dir, tuple(languages), today or dt.date.today())
    return loader.load(placeholders, fonts or CardFonts.shipped())


def card_problems(
    knowledge_dir: Path,
    languages: tuple[str, ...],
    placeholders: Mapping[str, Mapping[str, str]],
    *,
    today: dt.date | None = None,
    fonts: CardFonts | None = None,
) -> list[Problem]:
    """Every problem with the card, for ``kyr-bot check``: those of ``load_card`` and, when it loads, any
    language whose card cannot be laid out at the smallest type sizes (reported at the line of the field
    to shorten). An empty list means the card loads and fits in every language.
    """
    from .card_render import CardFitError, layout_card

    fonts = fonts or CardFonts.shipped()
    try:
        cards = load_card(knowledge_dir, languages, placeholders, today=today, fonts=fonts)
    except CardError as exc:
        return list(exc.problems)
    problems: list[Problem] = []
    for text in cards.texts.values():
        try:
            layout_card(text, fonts)
        except CardFitError as exc:
            origin = text.origins[exc.field]
            problems.append(Problem(origin.path, origin.line, str(exc)))
    return problems
