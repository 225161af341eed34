"""What every knowledge-file validator shares: the list of problems and warnings, and checks of
common shapes (text, dates, sources, placeholders, URLs)."""

from __future__ import annotations

import datetime as dt
import re
import string
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from bot.knowledge.model import LegalReview, Source
from bot.yamlfile import LineDict, LineList, Problem, load_yaml

STALE_AFTER_DAYS = 365  # an entry or a contact not confirmed within 12 months is a warning
FUTURE_GRACE_DAYS = 7  # a date this close ahead is a wrong server clock (warning); further ahead, a typo (error)


SOURCE_KEYS = ("title", "url", "name", "lang", "read_via")
_PARTIAL_DATE = re.compile(r"^(\d{4})(?:-(\d{2}))?$")
# How a source's name in one language says that the page is in another (page language -> reader -> words).
FOREIGN_PAGE_MARKERS: dict[str, dict[str, str]] = {"en": {"es": "en inglés"}, "es": {"en": "in spanish"}}


class ContentError(Exception):
    """Broken content: ``problems`` lists each fault as ``file:line: message``; ``what`` names what is
    broken ("knowledge base", "translations", "rights card")."""

    def __init__(self, problems: list[Problem], what: str = "knowledge base") -> None:
        self.problems = problems
        self.what = what
        super().__init__("\n".join(str(p) for p in problems))


class KnowledgeError(ContentError):
    """The knowledge base has problems; ``problems`` lists each as ``file:line: message``."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(problems, "knowledge base")


def partial_date(raw: Any) -> tuple[dt.date, str] | None:
    """A date as precise as the source gives it: a date ('day'), or 'YYYY-MM' ('month') or 'YYYY' ('year')
    text (YAML reads a bare 2021 as a number); None when it is none of these."""
    if isinstance(raw, dt.datetime):
        raw = raw.date()
    if isinstance(raw, dt.date):
        return raw, "day"
    match = _PARTIAL_DATE.match(str(raw).strip()) if isinstance(raw, str | int) else None
    if not match:
        return None
    year, month = int(match.group(1)), match.group(2)
    try:
        return (dt.date(year, int(month), 1), "month") if month else (dt.date(year, 1, 1), "year")
    except ValueError:
        return None


def is_text(value: Any) -> bool:
    """True for a non-blank string."""
    return isinstance(value, str) and value.strip() != ""


def placeholders(text: str) -> list[str]:
    """Names of ``{placeholders}`` in ``text``; raises ValueError on a malformed brace."""
    return [name for _, name, _, _ in string.Formatter().parse(text) if name is not None]


def url_ok(url: Any) -> bool:
    """True for a well-formed http(s) URL with a dotted host and no spaces."""
    if not isinstance(url, str) or any(c.isspace() for c in url):
        return False
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and "." in parts.netloc and not parts.netloc.startswith(".")


@dataclass
class Checker:
    """Collects problems (which stop the bot) and warnings (which do not) while files are read.

    ``today`` is the date staleness is measured against (tests pass a fixed one).
    """

    today: dt.date
    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)

    def err(self, path: Path, line: int, message: str) -> None:
        """Record a problem at ``path:line``."""
        self.problems.append(Problem(path, line, message))

    def warn(self, path: Path, line: int, message: str) -> None:
        """Record a warning at ``path:line``."""
        self.warnings.append(Problem(path, line, message))

    def mapping(self, path: Path) -> LineDict | None:
        """The top-level mapping of a YAML file, or None (with a problem recorded)."""
        if not path.is_file():
            self.err(path, 1, "file is missing")
            return None
        data = load_yaml(path, self.problems)
        if data is None:
            return None
        if not isinstance(data, LineDict):
            self.err(path, 1, "expected a mapping (key: value) at the top of the file")
            return None
        return data

    def placeholders_known(self, path: Path, line: int, text: str, known: set[str]) -> None:
        """Every ``{name}`` in ``text`` must be a contact value (or a derived ``name_as_of``)."""
        try:
            names = placeholders(text)
        except ValueError as exc:
            self.err(path, line, f"bad braces in text ({exc}); write {{{{ and }}}} for a literal brace")
            return
        for name in names:
            if name not in known:
                self.err(path, line, f"unknown placeholder {{{name}}} (not in contacts.yaml values)")

    def date(self, path: Path, line: int, raw: Any, what: str) -> dt.date | None:
        """A YAML date (or ISO text) as a date; None with a problem when it is not one."""
        if isinstance(raw, dt.datetime):
            raw = raw.date()
        if isinstance(raw, str):
            try:
                raw = dt.date.fromisoformat(raw.strip())
            except ValueError:
                raw = None
        if not isinstance(raw, dt.date):
            self.err(path, line, f"'{what}' must be a date like 2026-11-27")
            return None
        return raw

    def review_date(self, path: Path, data: LineDict) -> dt.date | None:
        """The 'reviewed' date: far in the future is an error, a few days ahead (a wrong clock) or over
        12 months old is a warning."""
        line = data.line_of("reviewed")
        raw = self.date(path, line, data.get("reviewed"), "reviewed")
        if raw is None:
            return None
        ahead = (raw - self.today).days
        if ahead > FUTURE_GRACE_DAYS:
            self.err(path, line, f"'reviewed' date {raw} is in the future")
        elif ahead > 0:
            self.warn(path, line, f"'reviewed' date {raw} is after today ({self.today}): is the clock right?")
        elif (self.today - raw).days > STALE_AFTER_DAYS:
            self.warn(path, line, f"last reviewed {raw}: over 12 months ago, check it again")
        return raw

    def sources(self, path: Path, data: LineDict, required: bool, langs: tuple[str, ...] = ()) -> tuple[Source, ...]:
        """The 'sources' list; at least one when ``required``. Each source is ``{title, url}`` plus,
        optionally, ``name: {<lang>: short name users see}`` (for every one of ``langs`` when given),
        ``lang`` (the page's language, default ``en``) and ``read_via`` (the address of a copy that was
        read, for reviewers only). A name in another language than the page's must say so, e.g.
        "(en inglés)": a warning when it does not mention the page's language."""
        raw = data.get("sources", LineList())
        if not isinstance(raw, LineList):
            self.err(path, data.line_of("sources"), "'sources' must be a list of {title, url}")
            return ()
        if required and not raw:
            self.err(path, data.line_of("sources"), "an answer needs at least one source")
        out: list[Source] = []
        for i, item in enumerate(raw):
            if not isinstance(item, LineDict) or not is_text(item.get("title")):
                self.err(path, raw.line_of(i), "each source needs a 'title'")
                continue
            for key in item:
                if key not in SOURCE_KEYS:
                    self.err(path, item.line_of(key), f"unknown source key {key!r} (known: {', '.join(SOURCE_KEYS)})")
            if not url_ok(item.get("url")):
                self.err(path, item.line_of("url"), f"source URL {item.get('url')!r} is not a well-formed http(s) URL")
                continue
            via = item.get("read_via")
            if via is not None and not url_ok(via):
                self.err(path, item.line_of("read_via"), f"read_via {via!r} is not a well-formed http(s) URL")
            page_lang = str(item.get("lang", "en")).strip()
            names = self._source_names(path, item, langs, page_lang)
            out.append(
                Source(
                    str(item["title"]).strip(),
                    str(item["url"]).strip(),
                    names=names,
                    lang=page_lang,
                    read_via=str(via).strip() if url_ok(via) else None,
                )
            )
        return tuple(out)

    def _source_names(self, path: Path, item: LineDict, langs: tuple[str, ...], page_lang: str) -> dict[str, str]:
        raw = item.get("name")
        if raw is None:
            return {}
        if not isinstance(raw, LineDict):
            self.err(path, item.line_of("name"), "a source's 'name' must map each language to a short name")
            return {}
        names: dict[str, str] = {}
        for lang, text in raw.items():
            if langs and lang not in langs:
                self.err(path, raw.line_of(lang), f"source name in {lang!r}, not a language in settings.yaml")
            elif not is_text(text):
                self.err(path, raw.line_of(lang), f"source name.{lang} must be non-empty text")
            else:
                names[str(lang)] = " ".join(str(text).split())
        for lang in langs:
            if lang not in names:
                self.err(path, item.line_of("name"), f"source has no name in {lang!r}")
        marker = FOREIGN_PAGE_MARKERS.get(page_lang, {})
        for lang, text in names.items():
            if lang != page_lang and lang in marker and marker[lang] not in text.casefold():
                self.warn(
                    path, raw.line_of(lang), f"name.{lang} should say the page is not in {lang} ({marker[lang]!r})"
                )
        return names

    def legal_review(self, path: Path, data: LineDict) -> LegalReview | None:
        """An optional ``legal_review: {by: <who>, date: <date>}`` record."""
        raw = data.get("legal_review")
        if raw is None:
            return None
        line = data.line_of("legal_review")
        if not isinstance(raw, LineDict) or not is_text(raw.get("by")):
            self.err(path, line, "'legal_review' needs 'by' (who reviewed it) and 'date'")
            return None
        day = self.date(path, raw.line_of("date"), raw.get("date"), "legal_review.date")
        if day is None:
            return None
        return LegalReview(str(raw["by"]).strip(), day)

    def word_lists(self, path: Path, raw: LineDict, label: str) -> dict[str, frozenset[str]]:
        """``{lang: [word, ...]}`` as folded sets; a non-word item (YAML's yes/no/on/off) is an error."""
        out: dict[str, frozenset[str]] = {}
        for lang, words in raw.items():
            if not isinstance(words, list):
                self.err(path, raw.line_of(lang), f"'{label}{lang}' must be a list of words")
                continue
            bad = [w for w in words if not isinstance(w, str)]
            if bad:
                self.err(
                    path, raw.line_of(lang), f"'{label}{lang}' has {bad[0]!r}, which is not a word: put it in quotes"
                )
                continue
            out[str(lang)] = frozenset(w.strip().lower() for w in words if w.strip())
        return out

    def per_language(self, path: Path, data: LineDict, key: str, langs: tuple[str, ...], what: str) -> dict[str, str]:
        """``key: {en: text, es: text}`` with a text for every language."""
        raw = data.get(key)
        if not isinstance(raw, LineDict):
            self.err(path, data.line_of(key), f"{what} needs a '{key}' text per language")
            return {}
        out: dict[str, str] = {}
        for lang in langs:
            if not is_text(raw.get(lang)):
                self.err(path, raw.line_of(lang), f"{what} has no '{key}' in {lang!r}")
            else:
                out[lang] = str(raw[lang]).strip()
        return out
