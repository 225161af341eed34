"""Validating one ``entries/<id>.yaml`` file into an Entry."""

from __future__ import annotations

import re
from pathlib import Path

from bot.knowledge.checks import Checker, is_text
from bot.knowledge.model import ANSWER_KINDS, Entry, LocalizedText
from bot.yamlfile import LineDict, LineList

MAX_ANSWER_CHARS = 900
MIN_QUESTIONS = 8
ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]{0,40}$")
MAX_GIST_CHARS = 220
MAX_SHORT_CHARS = 32  # a button's label that a phone shows whole
MAX_SCOPE_CHARS = 300
ENTRY_KEYS = (
    "id",
    "kind",
    "scope",
    "reviewed",
    "related",
    "sources",
    "officer_statement",
    "legal_review",
    "emergency_button",
)
LANG_KEYS = ("title", "short", "gist", "questions", "answer")


def read_entry(
    chk: Checker, path: Path, langs: tuple[str, ...], placeholders: set[str], related_lines: dict[str, int]
) -> Entry | None:
    """The entry in ``path``, or None when it has problems (each recorded in ``chk``). The line of its
    'related' list is kept in ``related_lines`` for :func:`check_related`."""
    data = chk.mapping(path)
    if data is None:
        return None
    before = len(chk.problems)
    eid = data.get("id")
    if not isinstance(eid, str) or not ID_PATTERN.match(eid):
        chk.err(path, data.line_of("id"), "'id' must be lowercase letters, digits and dashes")
        return None
    if eid != path.stem:
        chk.err(path, data.line_of("id"), f"id {eid!r} does not match the file name {path.name!r}")
    known = {*ENTRY_KEYS, *langs}
    for key in data:
        if key not in known:
            chk.err(path, data.line_of(key), f"unknown key {key!r} (a typo, or a language not in settings.yaml?)")
    kind = data.get("kind", "answer")
    if kind not in ANSWER_KINDS:
        chk.err(path, data.line_of("kind"), f"'kind' must be one of {', '.join(ANSWER_KINDS)}")
    reviewed = chk.review_date(path, data)
    related_lines[eid] = data.line_of("related")
    related = data.get("related", LineList())
    if not isinstance(related, list) or not all(isinstance(r, str) for r in related):
        chk.err(path, data.line_of("related"), "'related' must be a list of entry ids")
        related = LineList()
    sources = chk.sources(path, data, required=kind == "answer", langs=langs)
    scope = data.get("scope", "")
    if scope and (not is_text(scope) or len(str(scope)) > MAX_SCOPE_CHARS):
        chk.err(path, data.line_of("scope"), f"'scope' must be one sentence (at most {MAX_SCOPE_CHARS} characters)")
    texts: dict[str, LocalizedText] = {}
    for lang in langs:
        block = data.get(lang)
        if not isinstance(block, LineDict):
            line = data.line_of(lang) if lang in data else data.line
            chk.err(path, line, f"entry {eid!r} has no {lang!r} block (title, questions, answer)")
            continue
        text = _localized(chk, path, block, lang, placeholders)
        if text:
            texts[lang] = text
    statement, meaning = _officer_statement(chk, path, data, langs)
    emergency_button = data.get("emergency_button", False)
    if not isinstance(emergency_button, bool):
        chk.err(path, data.line_of("emergency_button"), "'emergency_button' must be true or false")
    review = chk.legal_review(path, data)
    if len(chk.problems) > before or reviewed is None:
        return None
    return Entry(
        id=eid,
        kind=str(kind),
        reviewed=reviewed,
        related=tuple(related),
        sources=sources,
        texts=texts,
        officer_statement=statement,
        officer_meaning=meaning,
        legal_review=review,
        scope=" ".join(str(scope).split()) if is_text(scope) else "",
        emergency_button=emergency_button is True,
        path=path,
        lines={
            f"{lang}.{key}": block.line_of(key)
            for lang in langs
            if isinstance(block := data.get(lang), LineDict)
            for key in LANG_KEYS
            if key in block
        },
    )


def check_related(chk: Checker, paths: list[Path], entries: dict[str, Entry], related_lines: dict[str, int]) -> None:
    """Every related id names another existing entry."""
    for path in paths:
        entry = entries.get(path.stem)
        if entry is None:
            continue
        line = related_lines.get(entry.id, 1)
        for rid in entry.related:
            if rid not in entries and not (path.parent / f"{rid}.yaml").exists():
                chk.err(path, line, f"related id {rid!r} does not exist")
            elif rid == entry.id:
                chk.err(path, line, "an entry cannot be related to itself")


def _officer_statement(
    chk: Checker, path: Path, data: LineDict, langs: tuple[str, ...]
) -> tuple[str | None, dict[str, str]]:
    """``officer_statement``: English text, or ``{en: English, es: what it means, ...}``."""
    raw = data.get("officer_statement")
    line = data.line_of("officer_statement")
    if raw is None:
        return None, {}
    if is_text(raw):
        return " ".join(str(raw).split()), {}
    if isinstance(raw, LineDict) and is_text(raw.get("en")):
        meaning: dict[str, str] = {}
        for lang, text in raw.items():
            if lang != "en" and lang not in langs:
                chk.err(path, raw.line_of(lang), f"officer_statement has {lang!r}, not a language in settings.yaml")
            elif not is_text(text):
                chk.err(path, raw.line_of(lang), f"officer_statement.{lang} must be non-empty text")
            elif lang != "en":
                meaning[str(lang)] = " ".join(str(text).split())
        return " ".join(str(raw["en"]).split()), meaning
    chk.err(path, line, "'officer_statement' must be English text, or {en: English text, es: what it means, ...}")
    return None, {}


def _localized(chk: Checker, path: Path, block: LineDict, lang: str, placeholders: set[str]) -> LocalizedText | None:
    ok = True
    for key in ("title", "answer"):
        if not is_text(block.get(key)):
            chk.err(path, block.line_of(key), f"{lang}.{key} is missing or empty")
            ok = False
    questions = block.get("questions")
    if not isinstance(questions, LineList):
        chk.err(path, block.line_of("questions"), f"{lang}.questions must be a list")
        return None
    for i, q in enumerate(questions):
        if not is_text(q):
            chk.err(path, questions.line_of(i), f"{lang}.questions has an empty or non-text item")
            ok = False
    if len(questions) < MIN_QUESTIONS:
        chk.err(
            path,
            block.line_of("questions"),
            f"{lang}.questions has {len(questions)} phrasings; at least {MIN_QUESTIONS} are needed",
        )
        ok = False
    if not ok:
        return None
    for key in block:
        if key not in LANG_KEYS:
            chk.err(path, block.line_of(key), f"{lang}: unknown key {key!r} (known: {', '.join(LANG_KEYS)})")
    gist = block.get("gist", "")
    if gist and (not is_text(gist) or len(str(gist).strip()) > MAX_GIST_CHARS):
        chk.err(path, block.line_of("gist"), f"{lang}.gist must be text of at most {MAX_GIST_CHARS} characters")
        gist = ""
    gist = " ".join(str(gist).split()) if gist else ""
    short = block.get("short", "")
    if short and (not is_text(short) or len(str(short).strip()) > MAX_SHORT_CHARS):
        chk.err(path, block.line_of("short"), f"{lang}.short must be text of at most {MAX_SHORT_CHARS} characters")
        short = ""
    short = " ".join(str(short).split()) if short else ""
    if gist:
        chk.placeholders_known(path, block.line_of("gist"), gist, placeholders)
    answer = str(block["answer"]).strip()
    line = block.line_of("answer")
    chk.placeholders_known(path, line, answer, placeholders)
    if len(answer) > MAX_ANSWER_CHARS:
        chk.err(path, line, f"{lang}.answer is {len(answer)} characters; keep it to {MAX_ANSWER_CHARS}")
    return LocalizedText(str(block["title"]).strip(), tuple(str(q).strip() for q in questions), answer, gist, short)
