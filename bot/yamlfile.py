"""YAML loading that remembers line numbers, so every problem can be reported as ``file:line: problem``.

Files are parsed by libyaml, PyYAML's C parser, when PyYAML was built with it (``yaml.__with_libyaml__``,
true for the wheels on PyPI): it reads the knowledge base about four times faster than the pure-Python
parser, which is used otherwise. Both build the same data with the same line numbers; a syntax error is
reported at the same ``file:line`` by both, in each parser's own words.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a data file."""

    path: Path
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


class LineDict(dict):
    """A mapping from a YAML file that knows the line of itself and of each key."""

    line: int = 1

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lines: dict[Any, int] = {}

    def line_of(self, key: Any) -> int:
        """The line of ``key`` (or index), else of the container itself."""
        return self.lines.get(key, self.line)


class LineList(list):
    """A sequence from a YAML file that knows the line of itself and of each item."""

    line: int = 1

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.lines: list[int] = []

    def line_of(self, index: int) -> int:
        """The line of ``key`` (or index), else of the container itself."""
        return self.lines[index] if 0 <= index < len(self.lines) else self.line


class _LineConstructing:
    """What both line-keeping loaders add to PyYAML's safe loading: LineDict/LineList and the duplicate
    keys found (the parser, pure Python or libyaml, comes from the other base class)."""

    duplicates: list[tuple[int, str]]

    def __init__(self, stream: Any) -> None:
        super().__init__(stream)  # type: ignore[call-arg]  # the parser's constructor, next in the MRO
        self.duplicates = []


class PythonLineLoader(_LineConstructing, yaml.SafeLoader):
    """The line-keeping loader on PyYAML's pure-Python parser."""


LineLoader: Any = PythonLineLoader  # the loader load_yaml uses: libyaml when present (below)
LIBYAML = bool(getattr(yaml, "__with_libyaml__", False))
if LIBYAML:

    class LibyamlLineLoader(_LineConstructing, yaml.CSafeLoader):
        """The line-keeping loader on libyaml (PyYAML's C parser): the same results, faster."""

    LineLoader = LibyamlLineLoader


def _construct_mapping(loader: Any, node: yaml.MappingNode) -> LineDict:
    loader.flatten_mapping(node)
    result = LineDict()
    result.line = node.start_mark.line + 1
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        try:
            hash(key)
        except TypeError:
            loader.duplicates.append((key_node.start_mark.line + 1, "a key must be plain text"))
            continue
        if key in result:
            loader.duplicates.append((key_node.start_mark.line + 1, f"duplicate key {key!r}"))
        result[key] = loader.construct_object(value_node, deep=True)
        result.lines[key] = key_node.start_mark.line + 1
    return result


def _construct_sequence(loader: Any, node: yaml.SequenceNode) -> LineList:
    result = LineList(loader.construct_object(child, deep=True) for child in node.value)
    result.line = node.start_mark.line + 1
    result.lines = [child.start_mark.line + 1 for child in node.value]
    return result


def _construct_timestamp(loader: Any, node: yaml.ScalarNode) -> Any:
    """A date-looking value that is not a real date (2026-02-30) stays text, for the validator to report."""
    try:
        return yaml.constructor.SafeConstructor.construct_yaml_timestamp(loader, node)
    except ValueError:
        return loader.construct_scalar(node)


for _loader in {PythonLineLoader, LineLoader}:
    _loader.add_constructor("tag:yaml.org,2002:timestamp", _construct_timestamp)
    _loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
    _loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_sequence)


def load_yaml(path: Path, problems: list[Problem], loader: type | None = None) -> Any:
    """Parse one YAML file. Syntax errors and duplicate keys are added to ``problems``; returns None then.
    ``loader``: :data:`LineLoader` (libyaml when present) unless given (:class:`PythonLineLoader`)."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        problems.append(Problem(path, 1, f"not UTF-8 text ({exc.reason})"))
        return None
    except OSError as exc:
        problems.append(Problem(path, 1, f"cannot read the file ({exc.strerror})"))
        return None
    parser = None
    try:
        parser = (loader or LineLoader)(text)
        data = parser.get_single_data()
    except yaml.reader.ReaderError as exc:  # a character YAML does not allow (a control character)
        # libyaml gives a byte offset into its own buffer, not a character's index: find the character here.
        bad = yaml.reader.Reader.NON_PRINTABLE.search(text)
        line = text.count("\n", 0, bad.start()) + 1 if bad else 1
        problems.append(Problem(path, line, f"YAML syntax error: character #x{exc.character:04x} is not allowed"))
        return None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        problems.append(Problem(path, line, f"YAML syntax error: {exc.problem or exc}"))
        return None
    except yaml.YAMLError as exc:
        problems.append(Problem(path, 1, f"YAML error: {exc}"))
        return None
    finally:
        if parser is not None:
            parser.dispose()
    for line, message in parser.duplicates:
        problems.append(Problem(path, line, message))
    return None if parser.duplicates else data


def line_of(container: Any, key: Any, default: int = 1) -> int:
    """Line of ``key`` inside a LineDict/LineList, or of the container, or ``default``."""
    if isinstance(container, LineDict | LineList):
        return container.line_of(key)
    return default
