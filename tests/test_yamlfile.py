"""YAML with line numbers: libyaml (PyYAML's C parser) and the pure-Python parser read the same data with
the same lines, and a broken file is reported at the same ``file:line`` by both."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from bot import yamlfile
from bot.yamlfile import LineDict, LineList, Problem, PythonLineLoader, load_yaml
from testkit.paths import ROOT

needs_libyaml = pytest.mark.skipif(not yamlfile.LIBYAML, reason="PyYAML was built without libyaml")
LOADERS = [pytest.param(PythonLineLoader, id="python"), pytest.param(yamlfile.LineLoader, id="default")]

# A broken file, and the line (1-based) where an editor has to look.
BROKEN = {
    "colon in a plain value": ("id: x\nen:\n  title: Answer: a sample: entry\n", 3),
    "tab for indentation": ("id: x\nen:\n\t- a question\n", 3),
    "quote never closed": ('id: x\ntitle: "hello\nanswer: 2\nmore: 3\n', 5),  # found at the end of the file
    "list never closed": ("related: [a, b\nsources: 3\n", 2),
    "duplicate key": ("id: x\nkind: answer\nid: y\n", 3),
    "list as a key": ("id: x\n? [1, 2]\n: x\n", 2),
    "undefined alias": ("id: x\nrelated: *nope\n", 2),
    "two documents": ("id: x\n---\nid: y\n", 2),
    "unknown escape": ('id: x\ntitle: "\\q"\n', 2),
    "block text dedented": ("id: x\nanswer: |\n  one\n two\n", 4),
    "python tag": ("id: x\nkind: !!python/object foo\n", 2),
    "control character": ("id: x\ntitle: ok\nanswer: a\x07b\n", 3),
    "control character after accents": ("a: " + "ñ" * 40 + "\nb: " + "é" * 25 + "\nc: ok\nd: x\x07\n", 4),
}


def shape(data: Any) -> Any:
    """Data with every line number LineDict and LineList record, for comparing two loads."""
    if isinstance(data, LineDict):
        return ("mapping", data.line, {k: (data.line_of(k), shape(v)) for k, v in data.items()})
    if isinstance(data, LineList):
        return ("list", data.line, [(data.line_of(i), shape(v)) for i, v in enumerate(data)])
    return (type(data).__name__, data)


def test_libyaml_is_used_when_pyyaml_has_it():
    """The C parser reads the knowledge base about ten times faster; it is the default whenever present."""
    assert bool(getattr(yaml, "__with_libyaml__", False)) == yamlfile.LIBYAML
    assert (yamlfile.LineLoader is not PythonLineLoader) == yamlfile.LIBYAML


@needs_libyaml
def test_both_parsers_read_every_shipped_file_the_same():
    paths = sorted((ROOT / "knowledge").rglob("*.yaml")) + sorted((ROOT / "tests" / "data").glob("*.yaml"))
    assert len(paths) > 40
    for path in paths:
        python: list[Problem] = []
        fast: list[Problem] = []
        expected = shape(load_yaml(path, python, PythonLineLoader))
        assert shape(load_yaml(path, fast, yamlfile.LineLoader)) == expected, path
        assert python == fast == [], path


@pytest.mark.parametrize("loader", LOADERS)
@pytest.mark.parametrize("name", sorted(BROKEN))
def test_a_broken_file_is_reported_at_its_line(tmp_path: Path, name: str, loader: Any):
    text, line = BROKEN[name]
    path = tmp_path / "entry.yaml"
    path.write_text(text, encoding="utf-8")
    problems: list[Problem] = []
    assert load_yaml(path, problems, loader) is None
    assert [(p.path, p.line) for p in problems] == [(path, line)], [str(p) for p in problems]


@needs_libyaml
@pytest.mark.parametrize("name", sorted(BROKEN))
def test_both_parsers_blame_the_same_line(tmp_path: Path, name: str):
    path = tmp_path / "entry.yaml"
    path.write_text(BROKEN[name][0], encoding="utf-8")
    python: list[Problem] = []
    fast: list[Problem] = []
    load_yaml(path, python, PythonLineLoader)
    load_yaml(path, fast, yamlfile.LineLoader)
    assert [p.line for p in fast] == [p.line for p in python]
    # Syntax errors are worded by each parser ("mapping values are not allowed here / in this context").
    assert [p.message.split(":")[0] for p in fast] == [p.message.split(":")[0] for p in python]


@pytest.mark.parametrize("loader", LOADERS)
def test_an_impossible_date_stays_text_for_the_validator(tmp_path: Path, loader: Any):
    path = tmp_path / "entry.yaml"
    path.write_text("reviewed: 2026-02-30\nother: 2026-02-28\n", encoding="utf-8")
    data = load_yaml(path, [], loader)
    assert data["reviewed"] == "2026-02-30" and str(data["other"]) == "2026-02-28"
