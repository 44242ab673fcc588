"""The shape of the package: no import cycles, a data layer that is a library, small modules.

The import graph is built from the source (``ast``), counting imports inside functions too, so a
cycle hidden behind a late import is still a cycle.
"""

from __future__ import annotations

import ast
import statistics
from pathlib import Path

PACKAGE_ROOT = Path(__file__).resolve().parents[1] / "src" / "cellucid"
PACKAGE = "cellucid"
# What the data layer may import from the rest of the package: it is a library, not a server.
DATA_LAYER_MAY_IMPORT = {"cellucid", "cellucid._version", "cellucid.errors", "cellucid.colors"}
SERVER_SIDE_LIBRARIES = ("starlette", "uvicorn", "anyio", "IPython")


def in_data_layer(name: str) -> bool:
    return name == f"{PACKAGE}.data" or name.startswith(f"{PACKAGE}.data.")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE_ROOT.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def source_modules() -> dict[str, Path]:
    return {module_name(p): p for p in PACKAGE_ROOT.rglob("*.py")}


def resolve(current: str, is_package: bool, node: ast.ImportFrom) -> str:
    if node.level == 0:
        return node.module or ""
    base = current.split(".") if is_package else current.split(".")[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def imports_of(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """Every module of the package (or outside it) that ``name`` imports, at any depth."""
    tree = ast.parse(path.read_text(), filename=str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            target = resolve(name, path.name == "__init__.py", node)
            for alias in node.names:
                submodule = f"{target}.{alias.name}"
                found.add(submodule if submodule in modules else target)
    return found


def import_graph() -> dict[str, set[str]]:
    modules = source_modules()
    return {name: {m for m in imports_of(name, path, modules) if m in modules and m != name}
            for name, path in modules.items()}


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state:
                cycle = visit(nxt)
                if cycle:
                    return cycle
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state:
            cycle = visit(node)
            if cycle:
                return cycle
    return None


def test_the_cycle_finder_finds_a_cycle():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_function_level_imports_are_counted():
    graph = import_graph()
    # `cli` imports `api` only inside its functions (to start fast): the edge must still be seen.
    assert "cellucid.api" in graph["cellucid.cli"]


def test_no_import_cycles():
    cycle = find_cycle(import_graph())
    assert cycle is None, "import cycle: " + " → ".join(cycle)


def test_the_data_layer_is_a_library():
    modules = source_modules()
    for name, path in modules.items():
        if not in_data_layer(name):
            continue
        for imported in imports_of(name, path, modules):
            if in_data_layer(imported) or not imported.startswith(PACKAGE):
                assert not imported.startswith(SERVER_SIDE_LIBRARIES), (name, imported)
                continue
            assert imported in DATA_LAYER_MAY_IMPORT, f"{name} imports {imported}"


def test_modules_are_small():
    sizes = {name: len(path.read_text().splitlines()) for name, path in source_modules().items()}
    web = {str(p.relative_to(PACKAGE_ROOT)): len(p.read_text().splitlines())
           for p in (PACKAGE_ROOT / "web").rglob("*.js") if "vendor" not in p.parts}
    everything = {**sizes, **web}
    too_big = {name: n for name, n in everything.items() if n > 600}
    assert not too_big, too_big
    assert statistics.median(sizes.values()) <= 200
    assert statistics.median(web.values()) <= 200
