"""Validating ``claims.yaml``: claims seen circulating (a rumor, a viral post, a forwarded alert), each with
what is known about it, the date it was checked and the sources that checked it.

A claim's verdict is never firmer than its source: ``false`` only where a fact-checker or an official
said so, ``unverified`` where nobody could confirm it, ``context`` where it is true in part. Every problem
is reported as ``file:line``; a broken file stops the bot like any other knowledge file.
"""

from __future__ import annotations

from pathlib import Path

from bot.knowledge.checks import Checker, is_text, partial_date
from bot.knowledge.entry_file import ID_PATTERN
from bot.knowledge.model import Claim, ClaimText
from bot.yamlfile import LineDict, LineList, load_yaml

CLAIMS_FILE = "claims.yaml"
VERDICTS = ("false", "unverified", "context")
CLAIM_KEYS = ("id", "verdict", "checked", "sources")
CLAIM_LANG_KEYS = ("claim", "phrasings", "known")
MIN_PHRASINGS = 3
MAX_KNOWN_CHARS = 450


def read_claims(chk: Checker, directory: Path, langs: tuple[str, ...]) -> tuple[Claim, ...]:
    """Every claim in ``directory/claims.yaml`` (no file: none). Each needs an ``id``, a ``verdict`` (one of
    :data:`VERDICTS`), the date it was ``checked``, at least one source, and per language the ``claim`` in
    a sentence, at least :data:`MIN_PHRASINGS` ``phrasings`` (how people pass it on) and what is ``known``."""
    path = directory / CLAIMS_FILE
    if not path.exists():
        return ()
    data = load_yaml(path, chk.problems)
    if data is None:
        return ()
    if not isinstance(data, LineList):
        chk.err(path, 1, "claims.yaml must be a list of claims")
        return ()
    claims: list[Claim] = []
    seen: set[str] = set()
    for i, item in enumerate(data):
        if not isinstance(item, LineDict):
            chk.err(path, data.line_of(i), "each claim must be a mapping (id, verdict, checked, sources, languages)")
            continue
        claim = _claim(chk, path, item, langs)
        if claim is None:
            continue
        if claim.id in seen:
            chk.err(path, item.line_of("id"), f"duplicate claim id {claim.id!r}")
            continue
        seen.add(claim.id)
        claims.append(claim)
    return tuple(claims)


def _claim(chk: Checker, path: Path, item: LineDict, langs: tuple[str, ...]) -> Claim | None:
    before = len(chk.problems)
    cid = item.get("id")
    if not isinstance(cid, str) or not ID_PATTERN.match(cid):
        chk.err(path, item.line_of("id"), "a claim's 'id' must be lowercase letters, digits and dashes")
        return None
    for key in item:
        if key not in CLAIM_KEYS and key not in langs:
            chk.err(path, item.line_of(key), f"claim {cid!r}: unknown key {key!r}")
    verdict = item.get("verdict")
    if verdict not in VERDICTS:
        chk.err(path, item.line_of("verdict"), f"claim {cid!r}: 'verdict' must be one of {', '.join(VERDICTS)}")
    checked = partial_date(item.get("checked"))
    if checked is None:
        chk.err(path, item.line_of("checked"), f"claim {cid!r}: 'checked' must be a date, or 2025-06, or 2025")
    sources = chk.sources(path, item, required=True, langs=langs)
    texts: dict[str, ClaimText] = {}
    for lang in langs:
        block = item.get(lang)
        if not isinstance(block, LineDict):
            chk.err(path, item.line_of(lang) if lang in item else item.line, f"claim {cid!r} has no {lang!r} block")
            continue
        text = _text(chk, path, cid, lang, block)
        if text is not None:
            texts[lang] = text
    if len(chk.problems) > before or checked is None:
        return None
    day, precision = checked
    return Claim(cid, str(verdict), day, sources, texts, path, item.line_of("id"), precision)


def _text(chk: Checker, path: Path, cid: str, lang: str, block: LineDict) -> ClaimText | None:
    for key in block:
        if key not in CLAIM_LANG_KEYS:
            chk.err(path, block.line_of(key), f"claim {cid!r} {lang}: unknown key {key!r}")
    claim, known = block.get("claim"), block.get("known")
    ok = True
    for key, value in (("claim", claim), ("known", known)):
        if not is_text(value):
            chk.err(path, block.line_of(key), f"claim {cid!r}: {lang}.{key} is missing or empty")
            ok = False
    if is_text(known) and len(str(known).strip()) > MAX_KNOWN_CHARS:
        chk.err(path, block.line_of("known"), f"claim {cid!r}: {lang}.known is over {MAX_KNOWN_CHARS} characters")
        ok = False
    phrasings = block.get("phrasings")
    if not isinstance(phrasings, LineList) or len(phrasings) < MIN_PHRASINGS:
        chk.err(path, block.line_of("phrasings"), f"claim {cid!r}: {lang}.phrasings needs at least {MIN_PHRASINGS}")
        return None
    for i, phrasing in enumerate(phrasings):
        if not is_text(phrasing):
            chk.err(path, phrasings.line_of(i), f"claim {cid!r}: {lang}.phrasings has an empty or non-text item")
            ok = False
    if not ok:
        return None
    return ClaimText(
        " ".join(str(claim).split()), tuple(str(p).strip() for p in phrasings), " ".join(str(known).split())
    )
