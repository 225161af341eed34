"""UI strings through gettext, with catalogs read straight from the .po files (no compile step).

Catalogs live in ``locales/<lang>/LC_MESSAGES/messages.po`` and are managed with Babel's ``pybabel``
(see the README). Knowledge content is not here: it lives in ``knowledge/``.
"""

from __future__ import annotations

import datetime as dt
import gettext
import io
from functools import cache
from pathlib import Path

from babel.dates import format_date, format_skeleton
from babel.messages.mofile import write_mo
from babel.messages.pofile import PoFileError, read_po

from bot import resources
from bot.yamlfile import Problem

DOMAIN = "messages"


_locales_dir: Path | None = None


def use_locales_dir(directory: Path | None) -> None:
    """Read catalogs from ``directory`` from now on (the configuration's ``KYR_LOCALES_DIR``);
    None: the bundled catalogs."""
    global _locales_dir
    _locales_dir = directory.resolve() if directory else None


def default_locales_dir() -> Path:
    """The catalogs in use: the configured folder, else the bundled one."""
    return _locales_dir or resources.locales_dir()


def catalog_path(lang: str, directory: Path | None = None) -> Path:
    """``<directory>/<lang>/LC_MESSAGES/messages.po``."""
    return (directory or default_locales_dir()) / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


@cache
def _translations(lang: str, directory: Path) -> gettext.NullTranslations:
    path = catalog_path(lang, directory)
    if not path.is_file():
        return gettext.NullTranslations()
    with path.open("rb") as fh:
        catalog = read_po(fh, locale=lang)
    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


def translator(lang: str, directory: Path | None = None) -> gettext.NullTranslations:
    """The gettext translations for ``lang`` (falls back to the English msgids)."""
    if directory is None:
        return _configured(lang, _locales_dir)
    return _translations(lang, directory.resolve())


@cache
def _configured(lang: str, configured: Path | None) -> gettext.NullTranslations:
    # Keyed by the configured folder so a change is seen; the path is resolved once per language, not
    # on every string (this runs several times per reply).
    return _translations(lang, (configured or resources.locales_dir()).resolve())


def forget_catalogs() -> None:
    """Read the catalogs again on next use (after ``kyr-bot reload`` has checked them)."""
    _configured.cache_clear()
    _translations.cache_clear()


@cache
def format_day(day: dt.date, lang: str) -> str:
    """A date in the reader's language, e.g. '27 de noviembre de 2026'."""
    try:
        return format_date(day, format="long", locale=lang)
    except (ValueError, LookupError):
        return day.isoformat()


@cache
def format_as_of(day: dt.date, precision: str, lang: str) -> str:
    """A date as an "as of" phrase needs it: 'October 2021' / 'octubre de 2021' (``precision`` 'month'
    or 'day'), or just '2021' (``precision`` 'year')."""
    if precision == "year":
        return str(day.year)
    try:
        return format_skeleton("yMMMM", day, locale=lang)
    except (ValueError, LookupError):
        return f"{day.year}-{day.month:02d}"


def check_catalogs(languages: tuple[str, ...], directory: Path | None = None) -> list[Problem]:
    """Problems with the catalogs: missing file, syntax error, missing or fuzzy translations."""
    directory = directory or default_locales_dir()
    problems: list[Problem] = []
    template = directory / f"{DOMAIN}.pot"
    expected: set[str] = set()
    if template.is_file():
        try:
            with template.open("rb") as fh:
                expected = {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(fh) if m.id}
        except (PoFileError, ValueError) as exc:
            problems.append(Problem(template, 1, f"cannot read the template: {exc}"))
    else:
        problems.append(Problem(template, 1, "the template is missing (run pybabel extract, see README)"))
    for lang in languages:
        path = catalog_path(lang, directory)
        if not path.is_file():
            problems.append(Problem(path, 1, f"no translation catalog for {lang!r}"))
            continue
        try:
            with path.open("rb") as fh:
                catalog = read_po(fh, locale=lang, abort_invalid=True)
        except (PoFileError, ValueError) as exc:
            problems.append(Problem(path, getattr(exc, "lineno", 1) or 1, f"cannot read the catalog: {exc}"))
            continue
        present: set[str] = set()
        for message in catalog:
            if not message.id:
                continue
            msgid = message.id if isinstance(message.id, str) else message.id[0]
            present.add(msgid)
            line = message.lineno or 1
            strings = message.string if isinstance(message.string, tuple | list) else [message.string]
            if message.fuzzy:
                problems.append(Problem(path, line, f"fuzzy translation of {msgid!r}: review it and drop the flag"))
            elif not all(s and s.strip() for s in strings):
                problems.append(Problem(path, line, f"missing translation of {msgid!r}"))
        for msgid in sorted(expected - present):
            problems.append(Problem(path, 1, f"{msgid!r} is in messages.pot but not here (run pybabel update)"))
    return problems
