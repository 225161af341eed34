"""Validating ``officer_card.yaml``: the one English statement for officers and its explanations.

Read once per load: the rights card (:mod:`.card_file`) draws the same texts from the OfficerCard this
returns, and reports its own problems at the lines recorded here."""

from __future__ import annotations

from pathlib import Path

from bot.knowledge.checks import Checker, is_text
from bot.knowledge.model import OfficerCard
from bot.yamlfile import LineDict, LineList

OFFICER_FILE = "officer_card.yaml"


def read_officer_card(chk: Checker, directory: Path, langs: tuple[str, ...]) -> OfficerCard | None:
    """The officer card, or None (with each problem recorded) when it is missing or incomplete. Every
    source's title starts with its publisher ("ACLU: ..."): the rights card names them."""
    path = directory / OFFICER_FILE
    data = chk.mapping(path)
    if data is None:
        return None
    before = len(chk.problems)
    statement = data.get("statement")
    if not is_text(statement):
        chk.err(path, data.line_of("statement"), "'statement' is missing or empty")
    raw = data.get("explanation")
    explanation: dict[str, str] = {}
    lines = {"statement": data.line_of("statement")}
    if not isinstance(raw, LineDict):
        chk.err(path, data.line_of("explanation"), "'explanation' must map each language to text")
    else:
        for lang in langs:
            if not is_text(raw.get(lang)):
                where = raw.line_of(lang) if lang in raw else data.line_of("explanation")
                chk.err(path, where, f"explanation.{lang} is missing or empty")
            else:
                explanation[lang] = str(raw[lang]).strip()
                lines[f"explanation.{lang}"] = raw.line_of(lang)
    reviewed = chk.review_date(path, data)
    sources = chk.sources(path, data, required=True, langs=langs)
    raw_sources = data.get("sources")
    for i, source in enumerate(sources):
        if ":" not in source.title or not source.title.split(":", 1)[0].strip():
            line = raw_sources.line_of(i) if isinstance(raw_sources, LineList) else data.line_of("sources")
            chk.err(path, line, "each source needs a 'title' that starts with its publisher, like 'ACLU: ...'")
    if len(chk.problems) > before or reviewed is None:
        return None
    return OfficerCard(" ".join(str(statement).split()), explanation, reviewed, sources, path, lines)
