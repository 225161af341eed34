"""What ``kyr-bot check`` (and every start) asks of the rights card beyond its texts: the shipped font can
draw every character, and each language's card fits the picture at the smallest type sizes. Problems are
reported at the file and line of the text to change."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from pathlib import Path

from bot.card.fonts import CardFonts, missing_glyphs
from bot.card.render import CardFitError, layout_card
from bot.knowledge.card_file import CardError, CardSet, CardText, load_card
from bot.knowledge.model import OfficerCard
from bot.yamlfile import Problem


def glyph_problems(text: CardText, fonts: CardFonts) -> list[Problem]:
    """Every drawn field of ``text`` with a character the shipped font cannot draw, at its line."""
    problems: list[Problem] = []
    for field, value in text.drawn():
        missing = {char for path in fonts.paths() for char in missing_glyphs(value, path)}
        if missing:
            chars = ", ".join(f"{c!r} (U+{ord(c):04X})" for c in sorted(missing))
            origin = text.origins[field]
            problems.append(
                Problem(
                    origin.path,
                    origin.line,
                    f"{text.lang}.{field}: the card's font cannot draw {chars} (in the text or a placeholder's value)",
                )
            )
    return problems


def cardset_problems(cards: CardSet, fonts: CardFonts | None = None) -> list[Problem]:
    """The font and layout problems of a loaded card (an empty list: it draws and fits in every language)."""
    fonts = fonts or CardFonts.shipped()
    problems = [p for text in cards.texts.values() for p in glyph_problems(text, fonts)]
    if problems:
        return problems
    for text in cards.texts.values():
        try:
            layout_card(text, fonts)
        except CardFitError as exc:
            origin = text.origins[exc.field]
            problems.append(Problem(origin.path, origin.line, str(exc)))
    return problems


def card_problems(
    knowledge_dir: Path,
    languages: tuple[str, ...],
    placeholders: Mapping[str, Mapping[str, str]],
    *,
    today: dt.date | None = None,
    fonts: CardFonts | None = None,
    officer: OfficerCard | None = None,
) -> list[Problem]:
    """Every problem with the card in ``knowledge_dir``: those of :func:`load_card`, then the font's and
    the layout's (:func:`cardset_problems`). An empty list means the card loads, draws and fits."""
    try:
        cards = load_card(knowledge_dir, languages, placeholders, today=today, officer=officer)
    except CardError as exc:
        return list(exc.problems)
    return cardset_problems(cards, fonts)
