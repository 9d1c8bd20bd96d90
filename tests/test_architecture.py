"""The package's rooms keep their shape: imports run one way (no cycle, counting those
under TYPE_CHECKING and inside functions), the rooms below ``sphinxext/`` know nothing
of Sphinx, the top level stays small and no module grows past what a reader takes in."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).parents[1] / "sphinx_llmarch"
#: Rooms that must work without Sphinx (the command line and tests use them alone).
SPHINX_FREE = ("kinds", "model", "spec", "hf", "facts", "draw")


def _modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


MODULES = _modules()


def _imports(name: str, path: Path) -> set[str]:
    """Every module of the package that ``name`` imports, anywhere in its text."""
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join([*base, *([node.module] if node.module else [])])
            else:
                target = node.module or ""
            for alias in node.names:
                found.add(f"{target}.{alias.name}" if f"{target}.{alias.name}" in MODULES else target)
        elif isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
    return found


GRAPH = {name: _imports(name, path) for name, path in MODULES.items()}


def test_no_import_cycles() -> None:
    def reaches(start: str, goal: str, seen: set[str]) -> bool:
        for nxt in GRAPH.get(start, ()):
            if nxt == goal:
                return True
            if nxt in MODULES and nxt not in seen:
                seen.add(nxt)
                if reaches(nxt, goal, seen):
                    return True
        return False

    cycles = [name for name in MODULES if reaches(name, name, set())]
    assert cycles == []


def test_the_rooms_below_the_sphinx_glue_do_not_import_sphinx() -> None:
    offenders = {
        name: sorted(i for i in imported if i.split(".")[0] == "sphinx" or ".sphinxext" in i)
        for name, imported in GRAPH.items()
        if name.split(".")[1:2] and name.split(".")[1] in SPHINX_FREE
    }
    assert {name: found for name, found in offenders.items() if found} == {}


def test_the_top_level_is_small_and_no_module_is_long() -> None:
    top = sorted(path.name for path in PACKAGE.glob("*.py"))
    assert len(top) <= 12, top
    long = {name: n for name, path in MODULES.items() if (n := len(path.read_text().splitlines())) > 450}
    assert long == {}
