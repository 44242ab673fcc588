"""The shape of the package (docs/architecture.md): no import cycles, imports that point one way
between folders, libraries that know nothing of viewers, small modules and functions, every
module on the map, no reading of another object's private attributes, a `Viewer` without
machinery.

The import graph is built from the source (``ast``), counting imports inside functions too, so a
cycle hidden behind a late import is still a cycle. Each rule is a function of the source, and a
test feeds it a violation to show it would catch one.
"""

from __future__ import annotations

import ast
import json
import shutil
import statistics
import subprocess
import textwrap
from pathlib import Path

import pytest

from .webdeps import webdeps_with

ROOT = Path(__file__).resolve().parents[1]
PACKAGE_ROOT = ROOT / "src" / "cellucid"
PACKAGE = "cellucid"
ARCHITECTURE = ROOT / "docs" / "architecture.md"
WEB_README = PACKAGE_ROOT / "web" / "README.md"
MAX_MODULE_LINES = 600
MAX_FUNCTION_LINES = 80

# The folders of docs/architecture.md and what each may import. "entry" is the package's own
# `__init__`, `api` and `cli`; "shared" the modules every folder may use.
ENTRY = {"cellucid", "cellucid.api", "cellucid.cli"}
SHARED = {"cellucid._version", "cellucid.errors", "cellucid.colors", "cellucid.cells",
          "cellucid.hosts"}
LIBRARIES = {"data", "compare", "selection", "sessionfile"}
MAY_IMPORT = {
    "viewer": {"server", "session", "notebook", *LIBRARIES},
    "server": {"session", "notebook", *LIBRARIES},
    "session": {"notebook", *LIBRARIES},
    "notebook": set(),
    "compare": {"data"},
    "selection": {"data"},
    "sessionfile": {"data"},
    "data": set(),
    "shared": set(),
}
# Libraries of the HTTP side and of notebooks: no library of ours, nor a session, imports them.
SERVER_SIDE_LIBRARIES = ("starlette", "uvicorn", "anyio", "IPython")
NO_SERVER_SIDE = LIBRARIES | {"session"}

# Attributes named with an underscore that are public by design: namedtuple's API.
PUBLIC_UNDERSCORED = {"_replace", "_asdict", "_fields", "_make"}
# Internals of other projects that have no public counterpart, read where they are needed.
THIRD_PARTY_INTERNALS = {
    ("notebook/comm_pump.py", "_reply_subshell_for"):
        "ipykernel 7.4 routes the front end's comm messages by it; nothing public sets it",
    ("notebook/comm_pump.py", "_recv_callback"):
        "pyzmq's ZMQStream keeps the kernel's handler there; nothing public reads it back",
}


# -- the import graph ----------------------------------------------------------------------------

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


def folder_of(module: str) -> str:
    """The folder of docs/architecture.md a module of the package is in."""
    if module in ENTRY:
        return "entry"
    if module in SHARED:
        return "shared"
    return module.split(".")[1]


def against_the_direction(graph: dict[str, set[str]]) -> list[tuple[str, str]]:
    """Every import from one folder into another that the folder may not import."""
    wrong = []
    for module, imported in graph.items():
        folder = folder_of(module)
        if folder == "entry":
            continue
        allowed = MAY_IMPORT[folder] | {folder, "shared"}
        wrong += [(module, other) for other in sorted(imported)
                  if folder_of(other) not in allowed]
    return wrong


def server_side_imports(modules: dict[str, Path]) -> list[tuple[str, str]]:
    """Libraries and sessions importing an HTTP or notebook library."""
    return [(name, imported) for name, path in modules.items()
            if folder_of(name) in NO_SERVER_SIDE
            for imported in imports_of(name, path, modules)
            if imported.startswith(SERVER_SIDE_LIBRARIES)]


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


def test_every_module_is_in_a_folder_of_the_map():
    assert {folder_of(m) for m in source_modules()} <= set(MAY_IMPORT) | {"entry"}


def test_imports_point_one_way_between_folders():
    assert against_the_direction(import_graph()) == []


def test_the_direction_check_catches_an_import_back():
    graph = {"cellucid.compare.rank": {"cellucid.server.events", "cellucid.data.names"},
             "cellucid.session.session": {"cellucid.viewer.facade"},
             "cellucid.server.events": {"cellucid.session.session"},
             "cellucid.sessionfile.restore": {"cellucid.session.keeper",
                                              "cellucid.data.pushed"},
             "cellucid.session.keeper": {"cellucid.sessionfile.restore"}}
    assert against_the_direction(graph) == [
        ("cellucid.compare.rank", "cellucid.server.events"),
        ("cellucid.session.session", "cellucid.viewer.facade"),
        ("cellucid.sessionfile.restore", "cellucid.session.keeper")]


def test_compare_never_imports_the_server_side():
    graph = import_graph()
    for module, imported in graph.items():
        if folder_of(module) == "compare":
            assert not {folder_of(m) for m in imported} & {"server", "session", "viewer",
                                                            "notebook"}, module
    assert not [(m, i) for m, i in server_side_imports(source_modules())
                if folder_of(m) == "compare"]


def test_libraries_and_sessions_import_no_http_or_notebook_library():
    assert server_side_imports(source_modules()) == []


# -- sizes ---------------------------------------------------------------------------------------

def long_functions(source: str, limit: int = MAX_FUNCTION_LINES) -> list[tuple[str, int, int]]:
    """``(name, first line, lines)`` of every function of ``source`` longer than ``limit``."""
    return [(node.name, node.lineno, node.end_lineno - node.lineno + 1)
            for node in ast.walk(ast.parse(source))
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
            and node.end_lineno - node.lineno + 1 > limit]


def web_modules() -> list[Path]:
    return sorted(p for p in (PACKAGE_ROOT / "web").rglob("*.js") if "vendor" not in p.parts)


@pytest.fixture(scope="module")
def measure_js():
    """``measure(paths)``: every function of those JavaScript files, measured by webdeps'
    acorn (``npm ci`` first when it is missing)."""
    webdeps = webdeps_with("acorn", "the web app's functions cannot be measured")
    node = shutil.which("node")

    def measure(paths) -> list[dict]:
        proc = subprocess.run([node, "function-lengths.mjs", *map(str, paths)], cwd=webdeps,
                              capture_output=True, text=True, timeout=120)
        assert proc.returncode == 0, proc.stderr[-3000:]
        return json.loads(proc.stdout)
    return measure


def test_modules_are_small():
    sizes = {name: len(path.read_text().splitlines()) for name, path in source_modules().items()}
    web = {str(p.relative_to(PACKAGE_ROOT)): len(p.read_text().splitlines())
           for p in web_modules()}
    everything = {**sizes, **web}
    too_big = {name: n for name, n in everything.items() if n > MAX_MODULE_LINES}
    assert not too_big, too_big
    assert statistics.median(sizes.values()) <= 200
    assert statistics.median(web.values()) <= 200


def test_no_python_function_is_over_80_lines():
    found = {str(path.relative_to(PACKAGE_ROOT)): long_functions(path.read_text())
             for path in source_modules().values()}
    assert {k: v for k, v in found.items() if v} == {}


def test_the_python_measure_catches_a_long_function():
    body = "\n".join(f"    x{i} = {i}" for i in range(MAX_FUNCTION_LINES))
    assert long_functions(f"def short():\n    pass\n\ndef long():\n{body}\n") == \
        [("long", 4, MAX_FUNCTION_LINES + 1)]


def test_no_javascript_function_is_over_80_lines(measure_js):
    found = measure_js([*web_modules(), PACKAGE_ROOT / "widget" / "loader.js"])
    assert len(found) > 300   # every function of every module was measured
    assert [f for f in found if f["lines"] > MAX_FUNCTION_LINES] == []


def test_the_javascript_measure_catches_a_long_function(measure_js, tmp_path):
    body = "\n".join(f"  const x{i} = {i};" for i in range(MAX_FUNCTION_LINES))
    sample = tmp_path / "sample.js"
    sample.write_text(f"export const tidy = () => 1;\nclass A {{\n  long() {{\n{body}\n  }}\n}}\n")
    long = [f for f in measure_js([sample]) if f["lines"] > MAX_FUNCTION_LINES]
    assert [(f["name"], f["line"], f["lines"]) for f in long] == \
        [("long", 3, MAX_FUNCTION_LINES + 2)]


# -- the map -------------------------------------------------------------------------------------

def unnamed(paths: list[str], text: str) -> list[str]:
    """The module paths that ``text`` does not name (each as `path`, in backticks)."""
    return [p for p in paths if f"`{p}`" not in text]


def test_every_python_module_is_on_the_map():
    paths = sorted(str(p.relative_to(PACKAGE_ROOT)) for p in source_modules().values())
    assert unnamed(paths, ARCHITECTURE.read_text()) == []


def test_every_web_module_is_on_the_map():
    web = sorted(str(p.relative_to(PACKAGE_ROOT / "web")) for p in web_modules())
    assert unnamed(web, WEB_README.read_text()) == []
    widget = sorted(str(p.relative_to(PACKAGE_ROOT)) for p in
                    (PACKAGE_ROOT / "widget").glob("*.js"))
    assert widget and unnamed(widget, ARCHITECTURE.read_text()) == []


def test_the_map_check_catches_a_missing_module():
    assert unnamed(["session/uploads.py", "server/uploads.py"],
                   "| `server/uploads.py` | endpoints |") == ["session/uploads.py"]


# -- private stays private -----------------------------------------------------------------------

def private_accesses(source: str) -> list[tuple[int, str]]:
    """``(line, code)`` of every read or write of another object's ``_name`` (not ``self``'s or
    ``cls``'s; ``_repr_html_``-style hooks and namedtuple's API are public), and every ``_name``
    imported from another module."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Attribute) and is_private(node.attr) and not (
                isinstance(node.value, ast.Name) and node.value.id in ("self", "cls")):
            found.append((node.lineno, ast.unparse(node)))
        elif isinstance(node, ast.ImportFrom):
            found += [(node.lineno, f"from {'.' * node.level}{node.module or ''} import {a.name}")
                      for a in node.names if is_private(a.name)]
    return found


def is_private(name: str) -> bool:
    return name.startswith("_") and not name.endswith("_") and name not in PUBLIC_UNDERSCORED


def test_no_module_reads_another_objects_private_attributes():
    found = {}
    for path in source_modules().values():
        relative = str(path.relative_to(PACKAGE_ROOT))
        hits = [(line, code) for line, code in private_accesses(path.read_text())
                if (relative, code.rsplit(".", 1)[-1]) not in THIRD_PARTY_INTERNALS]
        if hits:
            found[relative] = hits
    assert found == {}


def test_the_private_check_catches_a_reach_inside():
    source = textwrap.dedent("""
        from .other import _helper, public
        class A:
            def f(self, viewer, cls):
                self._mine = viewer._session          # another object's
                viewer._repr_html_()                  # a display hook: public
                viewer.session._state = 1             # written
                return cls._table, point._replace(x=1)
    """)
    assert [code for _, code in private_accesses(source)] == [
        "from .other import _helper", "viewer._session", "viewer.session._state"]


# -- the Viewer ----------------------------------------------------------------------------------

MACHINERY = (ast.For, ast.AsyncFor, ast.While, ast.ListComp, ast.SetComp, ast.DictComp,
             ast.GeneratorExp)
MACHINERY_MODULES = ("threading", "time", "queue", "concurrent", "signal")


def machinery_in(source: str, class_name: str) -> list[str]:
    """Loops, comprehensions and imports of threads, clocks or queues in ``class_name`` (and
    its module)."""
    tree = ast.parse(source)
    found = [f"import {a.name}" for node in ast.walk(tree) if isinstance(node, ast.Import)
             for a in node.names if a.name.split(".")[0] in MACHINERY_MODULES]
    found += [f"from {node.module} import" for node in ast.walk(tree)
              if isinstance(node, ast.ImportFrom) and node.level == 0
              and (node.module or "").split(".")[0] in MACHINERY_MODULES]
    (cls,) = [n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == class_name]
    found += [f"{type(n).__name__} at line {n.lineno}" for n in ast.walk(cls)
              if isinstance(n, MACHINERY)]
    return found


def test_the_viewer_class_holds_no_machinery():
    assert machinery_in((PACKAGE_ROOT / "viewer" / "facade.py").read_text(), "Viewer") == []


def test_the_machinery_check_catches_a_polling_loop():
    source = textwrap.dedent("""
        import time
        class Viewer:
            def wait(self):
                while not self.ready:
                    time.sleep(0.05)
    """)
    assert machinery_in(source, "Viewer") == ["import time", "While at line 5"]
