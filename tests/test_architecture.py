"""The package's shape (docs/architecture.md): the import graph of evaluator/, function-level
imports included, has no cycle; no module imports another's private (underscore) name;
durable-rules is imported by one module; no module is much over 400 lines; nothing points at
files outside the repository."""
from __future__ import annotations

import ast
import subprocess
from pathlib import Path

from conftest import REPO

PACKAGE = REPO / "evaluator"
MAX_LINES = 420  # "about 400"


def _modules() -> dict[str, Path]:
    out = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        name = ".".join(path.relative_to(REPO).with_suffix("").parts)
        out[name.removesuffix(".__init__")] = path
    return out


MODULES = _modules()


def _imports(name: str, path: Path) -> list[tuple[str, str, int]]:
    """(module imported, name imported from it or "", line) for every import in a module, at any depth."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                parts = package.split(".")
                base = ".".join(parts[:len(parts) - node.level + 1] + ([node.module] if node.module else []))
            else:
                base = node.module or ""
            for alias in node.names:
                found.append((base, alias.name, node.lineno))
        elif isinstance(node, ast.Import):
            found.extend((alias.name, "", node.lineno) for alias in node.names)
    return found


def _graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {name: set() for name in MODULES}
    for name, path in MODULES.items():
        for base, imported, _line in _imports(name, path):
            if f"{base}.{imported}" in MODULES:      # from package import module
                graph[name].add(f"{base}.{imported}")
            elif base in MODULES:
                graph[name].add(base)
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan), and self-imports."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
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
            if len(component) > 1 or v in graph[v]:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_the_import_graph_has_no_cycle():
    graph = _graph()
    assert len(graph) > 40 and sum(map(len, graph.values())) > 100  # the graph is really read
    assert _cycles(graph) == []


def test_the_cycle_finder_finds_a_cycle():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert _cycles({"a": {"a"}}) == [["a"]]


def test_no_module_imports_a_private_name_of_another():
    offences = [f"{name}:{line} imports {imported} from {base}"
                for name, path in MODULES.items() for base, imported, line in _imports(name, path)
                if base.startswith("evaluator") and imported.startswith("_") and not imported.startswith("__")]
    assert offences == []


def test_durable_rules_is_imported_by_the_engine_adapter_alone():
    users = {name for name, path in MODULES.items() for base, _i, _l in _imports(name, path)
             if base == "durable" or base.startswith("durable.")}
    assert users == {"evaluator.compile.engine"}


def test_no_module_is_much_over_400_lines():
    long = {name: n for name, path in MODULES.items() if (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert long == {}


def test_nothing_points_outside_the_repository():
    tracked = subprocess.run(["git", "ls-files", "evaluator", "docs", "README.md", "benchmarks"], cwd=REPO,
                             capture_output=True, text=True, check=True).stdout.split()
    for name in tracked:
        path = REPO / name
        if path.suffix not in (".py", ".md") or not path.exists():
            continue
        text = path.read_text(encoding="utf-8")
        assert "../shared" not in text and "shared/notes" not in text, name
