"""Validating ``settings.yaml``: languages, the topic menu, the emergency screens, the affiliate's
wording (command names, region, organization) and the knowledge base's legal-review record."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.knowledge.checks import Checker
from bot.knowledge.entry_file import ID_PATTERN
from bot.knowledge.model import Affiliate, Entry, LegalReview, TopicGroup
from bot.yamlfile import LineDict, LineList

LANG_PATTERN = re.compile(r"^[a-z]{2,3}$")
COMMAND_PATTERN = re.compile(r"^[a-z0-9_]{1,32}$")  # Telegram: 1-32 lowercase letters, digits, underscores
# What the conversation can do for each command name; settings.yaml names them per language.
COMMAND_ACTIONS = ("start", "help", "topics", "emergency", "language", "card", "check", "delete")


@dataclass(frozen=True)
class SettingsFile:
    """What settings.yaml says, before entries are known (topics and emergency are checked later)."""

    path: Path
    languages: tuple[str, ...]
    default_language: str
    data: LineDict | None
    time_zone: str = "UTC"


def read_settings(chk: Checker, directory: Path) -> SettingsFile:
    """Languages and the default language; the rest of the file is read by the functions below."""
    path = directory / "settings.yaml"
    data = chk.mapping(path)
    if data is None:
        return SettingsFile(path, ("en",), "en", None)
    langs = data.get("languages")
    if not isinstance(langs, list) or not langs or not all(isinstance(x, str) and LANG_PATTERN.match(x) for x in langs):
        chk.err(path, data.line_of("languages"), "'languages' must be a list of language codes")
        langs = ["en"]
    default = data.get("default_language", langs[0])
    if default not in langs:
        chk.err(path, data.line_of("default_language"), f"default_language {default!r} is not in languages")
        default = langs[0]
    return SettingsFile(path, tuple(langs), default, data, _time_zone(chk, path, data))


def _time_zone(chk: Checker, path: Path, data: LineDict) -> str:
    """``time_zone``: the IANA name of where the bot's users live (the dates it writes are theirs)."""
    name = data.get("time_zone", "UTC")
    try:
        ZoneInfo(str(name))
    except (ZoneInfoNotFoundError, ValueError):
        chk.err(path, data.line_of("time_zone"), f"time_zone {name!r} is not an IANA time zone like America/Denver")
        return "UTC"
    return str(name)


def read_topics(chk: Checker, settings: SettingsFile, ids: set[str]) -> tuple[TopicGroup, ...]:
    """The /topics menu: groups with a label per language, each listing known entries once."""
    path, data = settings.path, settings.data
    if data is None:
        return ()
    raw = data.get("topics")
    if not isinstance(raw, LineList) or not raw:
        chk.err(path, data.line_of("topics"), "'topics' must be a non-empty list of groups")
        return ()
    groups: list[TopicGroup] = []
    seen: set[str] = set()
    for i, item in enumerate(raw):
        if not isinstance(item, LineDict):
            chk.err(path, raw.line_of(i), "each topic group must be a mapping with id, label and entries")
            continue
        gid = item.get("id")
        if not isinstance(gid, str) or not ID_PATTERN.match(gid):
            chk.err(path, item.line_of("id"), "topic group needs an 'id' of lowercase letters, digits, dashes")
            continue
        labels = chk.per_language(path, item, "label", settings.languages, f"topic group {gid!r}")
        entries = item.get("entries")
        if not isinstance(entries, LineList) or not entries:
            chk.err(path, item.line_of("entries"), f"topic group {gid!r} needs a list of entry ids")
            entries = LineList()
        for j, eid in enumerate(entries):
            if eid not in ids:
                chk.err(path, entries.line_of(j), f"topic group {gid!r} lists unknown entry {eid!r}")
            elif eid in seen:
                chk.err(path, entries.line_of(j), f"entry {eid!r} is listed in more than one topic group")
            seen.add(eid)
        groups.append(TopicGroup(gid, labels, tuple(map(str, entries))))
    return tuple(groups)


def read_emergency(chk: Checker, settings: SettingsFile, entries: dict[str, Entry]) -> tuple[str, ...]:
    """The /emergency screens, in order: known, answerable entries."""
    path, data = settings.path, settings.data
    if data is None or "emergency" not in data:
        return ()
    raw = data["emergency"]
    if not isinstance(raw, LineList):
        chk.err(path, data.line_of("emergency"), "'emergency' must be a list of entry ids")
        return ()
    for j, eid in enumerate(raw):
        entry = entries.get(eid)
        if entry is None:
            chk.err(path, raw.line_of(j), f"emergency lists unknown entry {eid!r}")
        elif not entry.officer_statement:
            chk.err(path, raw.line_of(j), f"emergency entry {eid!r} has no officer_statement")
    return tuple(str(x) for x in raw)


def read_affiliate(chk: Checker, settings: SettingsFile, entries: dict[str, Entry]) -> Affiliate:
    """Command names per language, content commands, region and organization names."""
    path, data, langs = settings.path, settings.data, settings.languages
    if data is None:
        return Affiliate()
    commands: dict[str, dict[str, str]] = {}
    raw = data.get("commands")
    if not isinstance(raw, LineDict):
        chk.err(path, data.line_of("commands"), "'commands' must map each command to its name per language")
        raw = LineDict()
    names_seen: dict[str, str] = {}
    for action, names in raw.items():
        line = raw.line_of(action)
        if not isinstance(names, LineDict):
            chk.err(path, line, f"command {action!r} needs a name per language, e.g. {{en: help, es: ayuda}}")
            continue
        commands[str(action)] = {}
        for lang, name in names.items():
            if lang not in langs or not isinstance(name, str) or not COMMAND_PATTERN.match(name):
                chk.err(path, names.line_of(lang), f"command {action!r}: {lang}: {name!r} is not a command name")
                continue
            if names_seen.get(name, action) != action:
                chk.err(path, names.line_of(lang), f"command name {name!r} is used for two commands")
            names_seen[name] = str(action)
            commands[str(action)][str(lang)] = name
    content = data.get("content_commands", LineDict())
    content_commands: dict[str, str] = {}
    if not isinstance(content, LineDict):
        chk.err(path, data.line_of("content_commands"), "'content_commands' must map a command to an entry id")
    else:
        for action, eid in content.items():
            if eid not in entries:
                chk.err(path, content.line_of(action), f"content command {action!r} opens unknown entry {eid!r}")
            elif action not in commands:
                chk.err(path, content.line_of(action), f"content command {action!r} has no names under 'commands'")
            else:
                content_commands[str(action)] = str(eid)
    for action in commands:
        if action not in COMMAND_ACTIONS and action not in content_commands:
            chk.err(path, raw.line_of(action), f"command {action!r} does nothing: not built in, not a content command")
    region = chk.per_language(path, data, "region", langs, "settings.yaml")
    organization = chk.per_language(path, data, "organization", langs, "settings.yaml")
    return Affiliate(commands, content_commands, region, organization)


def read_legal_review(chk: Checker, settings: SettingsFile) -> LegalReview | None:
    """The knowledge base's own ``legal_review`` record, if an operator recorded one."""
    if settings.data is None:
        return None
    return chk.legal_review(settings.path, settings.data)
