"""The knowledge base: entries, topics, contacts and the matcher's lexicon, loaded and checked as a whole.

A broken file is an error naming the file and line; the knowledge base is never half-loaded.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import string
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from . import resources
from .yamlfile import LineDict, LineList, Problem, load_yaml

ANSWER_KINDS = ("answer", "smalltalk", "unsupported")
MAX_ANSWER_CHARS = 900
MIN_QUESTIONS = 8
STALE_AFTER_DAYS = 548  # about 18 months
ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]{0,40}$")
LANG_PATTERN = re.compile(r"^[a-z]{2,3}$")


def default_knowledge_dir() -> Path:
    """``KYR_KNOWLEDGE_DIR`` if set, else the ``knowledge/`` folder of this checkout."""
    env = os.environ.get("KYR_KNOWLEDGE_DIR")
    if env:
        return Path(env)
    return resources.knowledge_dir()


class KnowledgeError(Exception):
    """The knowledge base has problems; ``problems`` lists each as ``file:line: message``."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


@dataclass(frozen=True)
class Source:
    title: str
    url: str


@dataclass(frozen=True)
class LocalizedText:
    """The part of an entry written in one language."""

    title: str
    questions: tuple[str, ...]
    answer: str


@dataclass(frozen=True)
class Entry:
    id: str
    kind: str
    reviewed: dt.date
    related: tuple[str, ...]
    sources: tuple[Source, ...]
    texts: Mapping[str, LocalizedText]
    officer_statement: str | None = None

    def text(self, lang: str) -> LocalizedText:
        return self.texts[lang]

    @property
    def answerable(self) -> bool:
        """False for 'unsupported' entries, which describe questions the bot cannot answer."""
        return self.kind != "unsupported"


@dataclass(frozen=True)
class TopicGroup:
    id: str
    labels: Mapping[str, str]
    entry_ids: tuple[str, ...]


@dataclass(frozen=True)
class Contacts:
    values: Mapping[str, str | Mapping[str, str]]
    footer: Mapping[str, str]

    def values_for(self, lang: str) -> dict[str, str]:
        """Placeholder values in one language (a value may be per language)."""
        out: dict[str, str] = {}
        for key, value in self.values.items():
            out[key] = value.get(lang, "") if isinstance(value, Mapping) else value
        operator = os.environ.get("KYR_OPERATOR", "").strip()
        if operator:
            out["operator"] = operator
        return out


@dataclass(frozen=True)
class Lexicon:
    """Words that help the matcher; see knowledge/lexicon.yaml."""

    stopwords: Mapping[str, frozenset[str]] = field(default_factory=dict)
    abbreviations: Mapping[str, str] = field(default_factory=dict)
    phrases: Mapping[str, str] = field(default_factory=dict)
    synonyms: tuple[tuple[str, ...], ...] = ()
    language_hints: Mapping[str, frozenset[str]] = field(default_factory=dict)
    everyday: Mapping[str, frozenset[str]] = field(default_factory=dict)  # real words never "repaired"


@dataclass(frozen=True)
class KnowledgeBase:
    directory: Path
    languages: tuple[str, ...]
    default_language: str
    entries: Mapping[str, Entry]
    topics: tuple[TopicGroup, ...]
    emergency: tuple[str, ...]
    contacts: Contacts
    lexicon: Lexicon
    warnings: tuple[Problem, ...] = ()

    def entry(self, entry_id: str) -> Entry | None:
        return self.entries.get(entry_id)


# --------------------------------------------------------------------------- loading


def _is_text(value: Any) -> bool:
    return isinstance(value, str) and value.strip() != ""


def _placeholders(text: str) -> list[str]:
    """Names of ``{placeholders}`` in ``text``; raises ValueError on a malformed brace."""
    return [name for _, name, _, _ in string.Formatter().parse(text) if name is not None]


def _url_ok(url: Any) -> bool:
    if not isinstance(url, str) or any(c.isspace() for c in url):
        return False
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and "." in parts.netloc and not parts.netloc.startswith(".")


class _Loader:
    def __init__(self, directory: Path, today: dt.date) -> None:
        self.dir = directory
        self.today = today
        self.problems: list[Problem] = []
        self.warnings: list[Problem] = []
        self.related_lines: dict[str, int] = {}

    def err(self, path: Path, line: int, message: str) -> None:
        self.problems.append(Problem(path, line, message))

    def mapping(self, path: Path) -> LineDict | None:
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

    # -- settings.yaml
    def settings(self) -> tuple[tuple[str, ...], str, LineDict | None]:
        path = self.dir / "settings.yaml"
        data = self.mapping(path)
        if data is None:
            return ("en",), "en", None
        langs = data.get("languages")
        if (
            not isinstance(langs, list)
            or not langs
            or not all(isinstance(x, str) and LANG_PATTERN.match(x) for x in langs)
        ):
            self.err(path, data.line_of("languages"), "'languages' must be a list of language codes")
            langs = ["en"]
        default = data.get("default_language", langs[0])
        if default not in langs:
            self.err(path, data.line_of("default_language"), f"default_language {default!r} is not in languages")
            default = langs[0]
        return tuple(langs), default, data

    def topics(self, data: LineDict | None, langs: tuple[str, ...], ids: set[str]) -> tuple[TopicGroup, ...]:
        path = self.dir / "settings.yaml"
        if data is None:
            return ()
        raw = data.get("topics")
        if not isinstance(raw, LineList) or not raw:
            self.err(path, data.line_of("topics"), "'topics' must be a non-empty list of groups")
            return ()
        groups: list[TopicGroup] = []
        seen: set[str] = set()
        for i, item in enumerate(raw):
            line = raw.line_of(i)
            if not isinstance(item, LineDict):
                self.err(path, line, "each topic group must be a mapping with id, label and entries")
                continue
            gid = item.get("id")
            if not isinstance(gid, str) or not ID_PATTERN.match(gid):
                self.err(path, item.line_of("id"), "topic group needs an 'id' of lowercase letters, digits, dashes")
                continue
            labels = item.get("label")
            if not isinstance(labels, LineDict):
                self.err(path, item.line_of("label"), f"topic group {gid!r} needs a 'label' per language")
                labels = LineDict()
            for lang in langs:
                if not _is_text(labels.get(lang)):
                    self.err(
                        path,
                        labels.line_of(lang) if lang in labels else item.line_of("label"),
                        f"topic group {gid!r} has no label in {lang!r}",
                    )
            entries = item.get("entries")
            if not isinstance(entries, LineList) or not entries:
                self.err(path, item.line_of("entries"), f"topic group {gid!r} needs a list of entry ids")
                entries = LineList()
            for j, eid in enumerate(entries):
                if eid not in ids:
                    self.err(path, entries.line_of(j), f"topic group {gid!r} lists unknown entry {eid!r}")
                elif eid in seen:
                    self.err(path, entries.line_of(j), f"entry {eid!r} is listed in more than one topic group")
                seen.add(eid)
            groups.append(TopicGroup(gid, {k: str(v) for k, v in labels.items()}, tuple(map(str, entries))))
        return tuple(groups)

    def emergency(self, data: LineDict | None, entries: dict[str, Entry]) -> tuple[str, ...]:
        path = self.dir / "settings.yaml"
        if data is None or "emergency" not in data:
            return ()
        raw = data["emergency"]
        if not isinstance(raw, LineList):
            self.err(path, data.line_of("emergency"), "'emergency' must be a list of entry ids")
            return ()
        for j, eid in enumerate(raw):
            entry = entries.get(eid)
            if entry is None:
                self.err(path, raw.line_of(j), f"emergency lists unknown entry {eid!r}")
            elif not entry.officer_statement:
                self.err(path, raw.line_of(j), f"emergency entry {eid!r} has no officer_statement")
        return tuple(str(x) for x in raw)

    # -- contacts.yaml
    def contacts(self, langs: tuple[str, ...]) -> Contacts:
        path = self.dir / "contacts.yaml"
        data = self.mapping(path)
        if data is None:
            return Contacts({}, {})
        values = data.get("values")
        if not isinstance(values, LineDict):
            self.err(path, data.line_of("values"), "'values' must be a mapping of placeholder names to text")
            values = LineDict()
        clean: dict[str, str | dict[str, str]] = {}
        for key, value in values.items():
            if isinstance(value, LineDict):
                for lang in langs:
                    if not _is_text(value.get(lang)):
                        self.err(path, values.line_of(key), f"value {key!r} has no text in {lang!r}")
                clean[str(key)] = {str(k): str(v) for k, v in value.items()}
            elif isinstance(value, str | int | float) and str(value).strip():
                clean[str(key)] = str(value)
            else:
                self.err(path, values.line_of(key), f"value {key!r} must be text or a text per language")
        footer = data.get("footer")
        if not isinstance(footer, LineDict):
            self.err(path, data.line_of("footer"), "'footer' must be a mapping with a text per language")
            footer = LineDict()
        for lang in langs:
            text = footer.get(lang)
            if not _is_text(text):
                self.err(path, footer.line_of(lang), f"footer has no text in {lang!r}")
                continue
            self.check_placeholders(path, footer.line_of(lang), text, set(clean))
        return Contacts(clean, {str(k): str(v).strip() for k, v in footer.items()})

    def check_placeholders(self, path: Path, line: int, text: str, known: set[str]) -> None:
        try:
            names = _placeholders(text)
        except ValueError as exc:
            self.err(path, line, f"bad braces in text ({exc}); write {{{{ and }}}} for a literal brace")
            return
        for name in names:
            if name not in known:
                self.err(path, line, f"unknown placeholder {{{name}}} (not in contacts.yaml values)")

    # -- lexicon.yaml
    def lexicon(self, langs: tuple[str, ...]) -> Lexicon:
        path = self.dir / "lexicon.yaml"
        if not path.exists():
            return Lexicon()
        data = self.mapping(path)
        if data is None:
            return Lexicon()

        def words_by_lang(key: str) -> dict[str, frozenset[str]]:
            raw = data.get(key, LineDict())
            if not isinstance(raw, LineDict):
                self.err(path, data.line_of(key), f"'{key}' must map language codes to lists of words")
                return {}
            return self.word_lists(path, raw, f"{key}.")

        def str_map(key: str) -> dict[str, str]:
            raw = data.get(key, LineDict())
            if not isinstance(raw, LineDict):
                self.err(path, data.line_of(key), f"'{key}' must map text to text")
                return {}
            out: dict[str, str] = {}
            for k, v in raw.items():
                if not isinstance(k, str) or not isinstance(v, str):
                    bad = k if not isinstance(k, str) else v
                    self.err(path, raw.line_of(k), f"'{key}' has {bad!r}, which is not text: put it in quotes")
                    continue
                out[k.lower()] = v.lower()
            return out

        groups_raw = data.get("synonyms", LineList())
        groups: list[tuple[str, ...]] = []
        if not isinstance(groups_raw, list):
            self.err(path, data.line_of("synonyms"), "'synonyms' must be a list of word lists")
        else:
            for i, group in enumerate(groups_raw):
                if not isinstance(group, list) or len(group) < 2 or not all(isinstance(w, str) for w in group):
                    self.err(
                        path,
                        line_of_list(groups_raw, i),
                        "each synonym group must list two or more words (in quotes if yes/no/on/off/true/false)",
                    )
                    continue
                groups.append(tuple(w.lower() for w in group))
        everyday: dict[str, frozenset[str]] = {}
        everyday_path = self.dir / "everyday_words.yaml"
        if everyday_path.exists():
            raw = self.mapping(everyday_path)
            if raw is not None:
                everyday = self.word_lists(everyday_path, raw, "")
        return Lexicon(
            everyday=everyday,
            stopwords=words_by_lang("stopwords"),
            abbreviations=str_map("abbreviations"),
            phrases=str_map("phrases"),
            synonyms=tuple(groups),
            language_hints=words_by_lang("language_hints"),
        )

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

    # -- entries/*.yaml
    def entry(self, path: Path, langs: tuple[str, ...], placeholders: set[str]) -> Entry | None:
        data = self.mapping(path)
        if data is None:
            return None
        before = len(self.problems)
        eid = data.get("id")
        if not isinstance(eid, str) or not ID_PATTERN.match(eid):
            self.err(path, data.line_of("id"), "'id' must be lowercase letters, digits and dashes")
            return None
        if eid != path.stem:
            self.err(path, data.line_of("id"), f"id {eid!r} does not match the file name {path.name!r}")
        known = {"id", "kind", "reviewed", "related", "sources", "officer_statement", *langs}
        for key in data:
            if key not in known:
                self.err(
                    path,
                    data.line_of(key),
                    f"unknown key {key!r} (a typo, or a language not in settings.yaml?)",
                )
        kind = data.get("kind", "answer")
        if kind not in ANSWER_KINDS:
            self.err(path, data.line_of("kind"), f"'kind' must be one of {', '.join(ANSWER_KINDS)}")
        reviewed = self.review_date(path, data)
        self.related_lines[eid] = data.line_of("related")
        related = data.get("related", LineList())
        if not isinstance(related, list) or not all(isinstance(r, str) for r in related):
            self.err(path, data.line_of("related"), "'related' must be a list of entry ids")
            related = LineList()
        sources = self.sources(path, data, kind)
        texts: dict[str, LocalizedText] = {}
        for lang in langs:
            block = data.get(lang)
            if not isinstance(block, LineDict):
                self.err(
                    path,
                    data.line_of(lang) if lang in data else data.line,
                    f"entry {eid!r} has no {lang!r} block (title, questions, answer)",
                )
                continue
            text = self.localized(path, block, lang, placeholders)
            if text:
                texts[lang] = text
        statement = data.get("officer_statement")
        if statement is not None and not _is_text(statement):
            self.err(path, data.line_of("officer_statement"), "'officer_statement' must be non-empty text")
            statement = None
        if len(self.problems) > before or reviewed is None:
            return None
        return Entry(
            id=eid,
            kind=str(kind),
            reviewed=reviewed,
            related=tuple(related),
            sources=sources,
            texts=texts,
            officer_statement=statement.strip() if statement else None,
        )

    def review_date(self, path: Path, data: LineDict) -> dt.date | None:
        raw = data.get("reviewed")
        line = data.line_of("reviewed")
        if isinstance(raw, dt.datetime):
            raw = raw.date()
        if isinstance(raw, str):
            try:
                raw = dt.date.fromisoformat(raw.strip())
            except ValueError:
                raw = None
        if not isinstance(raw, dt.date):
            self.err(path, line, "'reviewed' must be a date like 2026-11-27")
            return None
        if raw > self.today:
            self.err(path, line, f"'reviewed' date {raw} is in the future")
        elif (self.today - raw).days > STALE_AFTER_DAYS:
            self.warnings.append(Problem(path, line, f"last reviewed {raw}: over 18 months ago, check it again"))
        return raw

    def sources(self, path: Path, data: LineDict, kind: Any) -> tuple[Source, ...]:
        raw = data.get("sources", LineList())
        if not isinstance(raw, LineList):
            self.err(path, data.line_of("sources"), "'sources' must be a list of {title, url}")
            return ()
        if kind == "answer" and not raw:
            self.err(path, data.line_of("sources"), "an answer needs at least one source")
        out: list[Source] = []
        for i, item in enumerate(raw):
            line = raw.line_of(i)
            if not isinstance(item, LineDict) or not _is_text(item.get("title")):
                self.err(path, line, "each source needs a 'title'")
                continue
            if not _url_ok(item.get("url")):
                self.err(
                    path,
                    item.line_of("url"),
                    f"source URL {item.get('url')!r} is not a well-formed http(s) URL",
                )
                continue
            out.append(Source(str(item["title"]).strip(), str(item["url"]).strip()))
        return tuple(out)

    def localized(self, path: Path, block: LineDict, lang: str, placeholders: set[str]) -> LocalizedText | None:
        ok = True
        for key in ("title", "answer"):
            if not _is_text(block.get(key)):
                self.err(path, block.line_of(key), f"{lang}.{key} is missing or empty")
                ok = False
        questions = block.get("questions")
        if not isinstance(questions, LineList):
            self.err(path, block.line_of("questions"), f"{lang}.questions must be a list")
            return None
        for i, q in enumerate(questions):
            if not _is_text(q):
                self.err(path, questions.line_of(i), f"{lang}.questions has an empty or non-text item")
                ok = False
        if len(questions) < MIN_QUESTIONS:
            self.err(
                path,
                block.line_of("questions"),
                f"{lang}.questions has {len(questions)} phrasings; at least {MIN_QUESTIONS} are needed",
            )
            ok = False
        if not ok:
            return None
        answer = str(block["answer"]).strip()
        line = block.line_of("answer")
        self.check_placeholders(path, line, answer, placeholders)
        if len(answer) > MAX_ANSWER_CHARS:
            self.err(path, line, f"{lang}.answer is {len(answer)} characters; keep it to {MAX_ANSWER_CHARS}")
        return LocalizedText(str(block["title"]).strip(), tuple(str(q).strip() for q in questions), answer)

    def load(self) -> KnowledgeBase:
        if not self.dir.is_dir():
            raise KnowledgeError([Problem(self.dir, 1, "knowledge directory not found")])
        langs, default, settings = self.settings()
        contacts = self.contacts(langs)
        lexicon = self.lexicon(langs)
        entry_dir = self.dir / "entries"
        paths = sorted(entry_dir.glob("*.yaml")) if entry_dir.is_dir() else []
        if not paths:
            self.err(entry_dir, 1, "no entries found (entries/*.yaml)")
        entries: dict[str, Entry] = {}
        placeholders = set(contacts.values)
        for path in paths:
            entry = self.entry(path, langs, placeholders)
            if entry is None:
                continue
            if entry.id in entries:
                self.err(path, 1, f"duplicate id {entry.id!r}")
                continue
            entries[entry.id] = entry
        for path in paths:
            entry = entries.get(path.stem)
            if entry is None:
                continue
            line = self.related_lines.get(entry.id, 1)
            for rid in entry.related:
                if rid not in entries and not (entry_dir / f"{rid}.yaml").exists():
                    self.err(path, line, f"related id {rid!r} does not exist")
                elif rid == entry.id:
                    self.err(path, line, "an entry cannot be related to itself")
        topics = self.topics(settings, langs, set(entries) | {p.stem for p in paths})
        emergency = self.emergency(settings, entries)
        if self.problems:
            raise KnowledgeError(self.problems)
        return KnowledgeBase(
            directory=self.dir,
            languages=langs,
            default_language=default,
            entries=entries,
            topics=topics,
            emergency=emergency,
            contacts=contacts,
            lexicon=lexicon,
            warnings=tuple(self.warnings),
        )


def line_of_list(container: Any, index: int) -> int:
    return container.line_of(index) if isinstance(container, LineList) else 1


def load_knowledge(directory: Path | None = None, today: dt.date | None = None) -> KnowledgeBase:
    """Load and validate the whole knowledge base; raises KnowledgeError listing every problem."""
    return _Loader(directory or default_knowledge_dir(), today or dt.date.today()).load()
