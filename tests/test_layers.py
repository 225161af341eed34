"""The house rules of bot/, read from the code's own imports: no import cycle, and each room imports only
what it may. A new cycle or a forbidden import fails here, naming the file and the import.

Imports inside ``if TYPE_CHECKING:`` blocks are not run, so they are not counted."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from testkit.paths import ROOT

PACKAGE = ROOT / "bot"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _runtime_imports(tree: ast.Module, module: str, is_package: bool) -> list[tuple[int, str]]:
    """(line, imported module) for every import that runs (not under ``if TYPE_CHECKING:``)."""
    found: list[tuple[int, str]] = []

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                package = module.split(".") if is_package else module.split(".")[:-1]
                package = package[: len(package) - (node.level - 1)]
                base = ".".join([*package, base] if base else package)
            found.append((node.lineno, base))
            found.extend((node.lineno, f"{base}.{alias.name}") for alias in node.names)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return found


MODULES: dict[str, Path] = {_module_name(p): p for p in PACKAGE.rglob("*.py")}
IMPORTS: dict[str, list[tuple[int, str]]] = {
    name: _runtime_imports(ast.parse(path.read_text(encoding="utf-8")), name, path.name == "__init__.py")
    for name, path in MODULES.items()
}


def _internal(target: str) -> str | None:
    """The bot module an import names (``bot.x.y`` or the module holding name ``y``), or None."""
    while target and target not in MODULES:
        target = target.rpartition(".")[0]
    return target or None


def _graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {name: set() for name in MODULES}
    for name, imports in IMPORTS.items():
        for _, target in imports:
            found = _internal(target)
            if found and found != name and not (MODULES[found].name == "__init__.py" and name.startswith(found + ".")):
                graph[name].add(found)
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[list[str]] = []
    counter = [0]

    def strong(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in graph[v]:
            if w not in index:
                strong(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                out.append(sorted(component))

    for v in graph:
        if v not in index:
            strong(v)
    return out


def test_there_is_no_import_cycle():
    assert _cycles(_graph()) == []


def _in(module: str, room: str) -> bool:
    return module == room or module.startswith(room + ".")


# (room, what it must not import, why)
RULES = [
    ("bot.knowledge", ("bot.card", "bot.matching", "bot.screens", "bot.channels", "bot.runtime", "bot.app"), "data"),
    ("bot.matching", ("bot.screens", "bot.channels", "bot.runtime", "bot.card", "bot.app"), "understanding"),
    ("bot.core", ("bot.channels", "bot.runtime", "bot.app"), "the core talks to no channel"),
    ("bot.screens", ("bot.channels", "bot.runtime", "bot.app"), "replies are channel-free"),
    ("bot.card", ("bot.channels", "bot.runtime", "bot.app"), "the card is channel-free"),
    ("bot.runtime", ("bot.channels", "bot.app", "bot.cli"), "infrastructure serves the channels"),
    ("bot.channels.console", ("bot.channels.telegram",), "channels are siblings"),
]


@pytest.mark.parametrize(("room", "forbidden", "why"), RULES, ids=[r[0] for r in RULES])
def test_a_room_imports_only_what_it_may(room: str, forbidden: tuple[str, ...], why: str):
    broken = [
        f"{MODULES[name].relative_to(ROOT)}:{line}: imports {target} ({why})"
        for name, imports in IMPORTS.items()
        if _in(name, room)
        for line, target in imports
        if any(_in(target, f) for f in forbidden)
    ]
    assert broken == []


@pytest.mark.parametrize(
    ("library", "room"),
    [("telegram", "bot.channels.telegram"), ("PIL", "bot.card"), ("tornado", "bot.channels.telegram")],
)
def test_only_one_room_imports_a_library(library: str, room: str):
    broken = [
        f"{MODULES[name].relative_to(ROOT)}:{line}: imports {target}"
        for name, imports in IMPORTS.items()
        if not _in(name, room)
        for line, target in imports
        if _in(target, library)
    ]
    assert broken == []


def test_the_checks_see_the_imports_they_judge():
    """The rules above are only worth something if the reader finds imports: a known one is seen."""
    assert ("bot.channels.telegram.handlers", "bot.core.conversation") in {
        (name, _internal(target)) for name, imports in IMPORTS.items() for _, target in imports
    }
    assert any(_in(t, "telegram") for _, t in IMPORTS["bot.channels.telegram.app"])
