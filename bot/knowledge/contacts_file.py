"""Validating ``contacts.yaml``: contact values, when a source last confirmed each, and the footer."""

from __future__ import annotations

from pathlib import Path

from bot.knowledge.checks import STALE_AFTER_DAYS, Checker, is_text, partial_date
from bot.knowledge.model import Confirmation, Contacts
from bot.yamlfile import LineDict


def read_contacts(chk: Checker, directory: Path, langs: tuple[str, ...], operator: str | None) -> Contacts:
    """Contact values (text or text per language), confirmations and the per-language footer.

    A value not confirmed by a source within 12 months of ``chk.today`` is a warning, never an error.
    """
    path = directory / "contacts.yaml"
    data = chk.mapping(path)
    if data is None:
        return Contacts({}, {})
    values = data.get("values")
    if not isinstance(values, LineDict):
        chk.err(path, data.line_of("values"), "'values' must be a mapping of placeholder names to text")
        values = LineDict()
    clean: dict[str, str | dict[str, str]] = {}
    for key, value in values.items():
        if isinstance(value, LineDict):
            for lang in langs:
                if not is_text(value.get(lang)):
                    chk.err(path, values.line_of(key), f"value {key!r} has no text in {lang!r}")
            clean[str(key)] = {str(k): str(v) for k, v in value.items()}
        elif isinstance(value, str | int | float) and str(value).strip():
            clean[str(key)] = str(value)
        else:
            chk.err(path, values.line_of(key), f"value {key!r} must be text or a text per language")
    confirmed = _confirmations(chk, path, data, set(clean))
    footer = data.get("footer")
    if not isinstance(footer, LineDict):
        chk.err(path, data.line_of("footer"), "'footer' must be a mapping with a text per language")
        footer = LineDict()
    known = set(clean) | {f"{key}_as_of" for key in confirmed}
    for lang in langs:
        text = footer.get(lang)
        if not isinstance(text, str) or not is_text(text):
            chk.err(path, footer.line_of(lang), f"footer has no text in {lang!r}")
            continue
        chk.placeholders_known(path, footer.line_of(lang), text, known)
        if "\n" in text.strip():
            chk.err(path, footer.line_of(lang), f"footer.{lang} must be one line: it ends every answer")
    stale_note = _stale_note(chk, path, data, langs, known)
    footers = {str(k): str(v).strip() for k, v in footer.items()}
    return Contacts(clean, footers, confirmed, operator or None, stale_note)


def _stale_note(chk: Checker, path: Path, data: LineDict, langs: tuple[str, ...], known: set[str]) -> dict[str, str]:
    """``stale_note``: per language, the few words the footer gets once when a contact it names was last
    confirmed over 12 months ago (where to check it). Optional."""
    raw = data.get("stale_note")
    if raw is None:
        return {}
    if not isinstance(raw, LineDict):
        chk.err(path, data.line_of("stale_note"), "'stale_note' must map each language to a few words")
        return {}
    out: dict[str, str] = {}
    for lang in langs:
        text = raw.get(lang)
        if not is_text(text):
            chk.err(path, raw.line_of(lang), f"stale_note has no text in {lang!r}")
            continue
        chk.placeholders_known(path, raw.line_of(lang), str(text), known)
        out[lang] = " ".join(str(text).split())
    return out


def _confirmations(chk: Checker, path: Path, data: LineDict, names: set[str]) -> dict[str, Confirmation]:
    raw = data.get("confirmed", LineDict())
    if not isinstance(raw, LineDict):
        chk.err(path, data.line_of("confirmed"), "'confirmed' must map a value name to {date, source}")
        return {}
    out: dict[str, Confirmation] = {}
    for key, item in raw.items():
        line = raw.line_of(key)
        if key not in names:
            chk.err(path, line, f"'confirmed' names {key!r}, which is not under 'values'")
            continue
        if not isinstance(item, LineDict) or not is_text(item.get("source")):
            chk.err(path, line, f"confirmed.{key} needs 'date' (2021, 2021-10 or 2021-10-18) and 'source'")
            continue
        parsed = partial_date(item.get("date"))
        if parsed is None:
            chk.err(path, item.line_of("date"), f"confirmed.{key}.date must look like 2021, 2021-10 or 2021-10-18")
            continue
        day, precision = parsed
        if (chk.today - day).days > STALE_AFTER_DAYS:
            chk.warn(path, line, f"{key} was last confirmed {item.get('date')}: over 12 months ago, confirm it")
        out[str(key)] = Confirmation(day, precision, str(item["source"]).strip())
    for key in sorted(names - set(out)):
        if key.endswith(("_phone", "_email")):
            chk.warn(path, data.line_of("values"), f"{key} has no 'confirmed' record: when did a source confirm it?")
    return out
