"""The house's rules (docs/architecture.md): layers import one way, no import cycles, imports at
module top unless a comment (on the line, or just above it) says why, and no module past 400 lines.

Layers, lowest first; a module may import its own layer and the ones below it:

  0  libraries   classifiers, policies        (nothing of workbench)
  1  foundation  models, audit, metrics, config, extensions, database, queues, responses, ...
  2  services    workbench.services.*         (the domain: takes a session and an Actor)
  3  pipeline    workbench.pipeline.*         (stages, the sweeper's rounds, the batch worker)
  4  jobs        workbench.jobs.*             (RQ job functions: an id in, a service call)
  5  demo        workbench.demo.*             (demo data, through the services and the API)
  6  interfaces  workbench.api, workbench.web, workbench.cli  (never each other)
  7  entry       workbench (create_app), workbench.devserver
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("workbench", "classifiers", "policies")
LAYERS = (  # (module prefix, level, name): the longest matching prefix wins
    ("classifiers", 0, "libraries"),
    ("policies", 0, "libraries"),
    ("workbench", 1, "foundation"),
    ("workbench.services", 2, "services"),
    ("workbench.pipeline", 3, "pipeline"),
    ("workbench.jobs", 4, "jobs"),
    ("workbench.demo", 5, "demo"),
    ("workbench.api", 6, "api"),
    ("workbench.web", 6, "web"),
    ("workbench.cli", 6, "cli"),
    ("workbench.devserver", 7, "entry"),
)
ENTRY_PACKAGE = "workbench"  # the package itself (create_app) sits on top
BIG_MODULE_LINES = 400
BIG_MODULES_ALLOWED = {"workbench/audit/verifier.py"}  # copied whole into every audit bundle


def layer_of(module: str) -> tuple[int, str]:
    if module == ENTRY_PACKAGE:
        return 7, "entry"
    best = max((prefix for prefix, _, _ in LAYERS if module == prefix or module.startswith(prefix + ".")), key=len)
    return next((level, name) for prefix, level, name in LAYERS if prefix == best)


@dataclass(frozen=True)
class Import:
    source: str
    target: str
    line: int
    in_function: bool
    commented: bool


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(module: str, source: str, known: set[str]) -> list[Import]:
    """Internal imports of one module, each resolved to the module it names."""

    def resolve(name: str) -> str | None:
        parts = name.split(".")
        return next((".".join(parts[:i]) for i in range(len(parts), 0, -1) if ".".join(parts[:i]) in known), None)

    tree, lines = ast.parse(source), source.splitlines()
    in_function = {
        id(node)
        for func in ast.walk(tree)
        if isinstance(func, (ast.FunctionDef, ast.AsyncFunctionDef))
        for node in ast.walk(func)
    }
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            targets = [resolve(alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            targets = [resolve(f"{node.module}.{alias.name}") or resolve(node.module) for alias in node.names]
        else:
            continue
        above = lines[node.lineno - 2].strip() if node.lineno > 1 else ""
        commented = "#" in lines[node.lineno - 1] or "#" in lines[node.end_lineno - 1] or above.startswith("#")
        found += [
            Import(module, target, node.lineno, id(node) in in_function, commented)
            for target in targets
            if target and target != module
        ]
    return found


def read_tree(root: Path) -> dict[str, str]:
    return {
        module_name(path, root): path.read_text(encoding="utf-8")
        for package in PACKAGES
        for path in sorted((root / package).rglob("*.py"))
    }


def wrong_way(sources: dict[str, str]) -> list[str]:
    known = set(sources)
    problems = []
    for module, source in sources.items():
        for imp in imports_of(module, source, known):
            (low, low_name), (high, high_name) = layer_of(imp.source), layer_of(imp.target)
            if high > low or (low == high == 6 and low_name != high_name):
                problems.append(f"{imp.source}:{imp.line} ({low_name}) imports {imp.target} ({high_name})")
    return problems


def cycles(sources: dict[str, str]) -> list[list[str]]:
    known = set(sources)
    graph = {
        module: {imp.target for imp in imports_of(module, source, known) if imp.target.startswith("workbench")}
        for module, source in sources.items()
        if module.startswith("workbench")
    }
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(node: str) -> None:  # Tarjan's strongly connected components
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in graph.get(node, ()):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


@pytest.fixture(scope="module")
def sources() -> dict[str, str]:
    return read_tree(ROOT)


def test_every_import_points_down_the_layers(sources):
    assert wrong_way(sources) == []


def test_no_import_cycles(sources):
    assert cycles(sources) == []


def test_imports_inside_functions_say_why(sources):
    known = set(sources)
    hidden = [
        f"{imp.source}:{imp.line} imports {imp.target}"
        for module, source in sources.items()
        if module != ENTRY_PACKAGE  # create_app's imports: one comment above them says why
        for imp in imports_of(module, source, known)
        if imp.in_function and not imp.commented
    ]
    assert hidden == []


def test_no_module_is_too_big():
    big = [
        str(path.relative_to(ROOT))
        for package in PACKAGES
        for path in (ROOT / package).rglob("*.py")
        if len(path.read_text(encoding="utf-8").splitlines()) > BIG_MODULE_LINES
        and str(path.relative_to(ROOT)) not in BIG_MODULES_ALLOWED
    ]
    assert big == []


@pytest.mark.parametrize(
    "module, source, expected",
    [
        (
            "workbench.services.example",
            "from workbench.api.items import create_item\n",
            "(services) imports workbench.api",
        ),
        (
            "workbench.pipeline.example",
            "from workbench.jobs.pipeline import process_item\n",
            "(pipeline) imports workbench.jobs",
        ),
        ("workbench.web.example", "from workbench.api.errors import ApiError\n", "(web) imports workbench.api"),
        (
            "workbench.services.example",
            "def f():\n    import workbench.cli  # late\n",
            "(services) imports workbench.cli",
        ),
        ("policies.example", "import workbench.models\n", "(libraries) imports workbench.models"),
    ],
)
def test_the_checker_refuses_a_wrong_way_import(sources, module, source, expected):
    problems = wrong_way({**sources, module: source})
    assert len(problems) == 1 and expected in problems[0]


def test_the_checker_finds_a_cycle(sources):
    planted = {
        **sources,
        "workbench.services.loop_a": "import workbench.services.loop_b\n",
        "workbench.services.loop_b": "import workbench.services.loop_a\n",
    }
    assert ["workbench.services.loop_a", "workbench.services.loop_b"] in cycles(planted)
