"""Validating ``officer_card.yaml``: the one English statement for officers and its explanations."""

from __future__ import annotations

from pathlib import Path

from .checks import Checker, is_text
from .model import OfficerCard


def read_officer_card(chk: Checker, directory: Path, langs: tuple[str, ...]) -> OfficerCard | None:
    """The officer card, or None (with a problem) when it is missing or incomplete."""
    path = directory / "officer_card.yaml"
    data = chk.mapping(path)
    if data is None:
        return None
    before = len(chk.problems)
    statement = data.get("statement")
    if not is_text(statement):
        chk.err(path, data.line_of("statement"), "'statement' must be the English text to show an officer")
    explanation = chk.per_language(path, data, "explanation", langs, "the officer card")
    reviewed = chk.review_date(path, data)
    sources = chk.sources(path, data, required=True)
    if len(chk.problems) > before or reviewed is None:
        return None
    return OfficerCard(" ".join(str(statement).split()), explanation, reviewed, sources)
