"""The shape of the `pipeline` package, read from the source with `ast` (nothing is imported):
no import cycle between its parts, and no module longer than a screenful or five.

A part is a subpackage (pipeline.llm, pipeline.curate, ...) or a top-level module
(pipeline.config, pipeline.settings, ...). Every import counts, including those inside
functions and under TYPE_CHECKING: a lazy import is still a dependency."""

from __future__ import annotations

import ast
from collections import defaultdict
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path

PIPELINE = Path(__file__).resolve().parent.parent / "pipeline"
MAX_LINES = 300
# Modules allowed past MAX_LINES, each with the reason; the lead decides what goes here.
LONG_MODULES: dict[str, str] = {
    # the two regimes of one exact rule (bucket scan below 16,384 kept texts, prefix-filtered
    # postings above) share their bookkeeping; splitting them would split the invariant
    "pipeline/curate/novelty.py": "two regimes of the one novelty rule",
    # one request end to end: journal, lease, admission turn, attempts, re-asks, quarantine
    "pipeline/llm/client.py": "one request's path from journal to answer",
}


@dataclass(frozen=True)
class Import:
    source: str  # the part that imports
    target: str  # the part imported
    where: str  # file:line


def _module_name(path: Path) -> str:
    parts = path.relative_to(PIPELINE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _part(module: str) -> str | None:
    """`pipeline.curate.minhash` -> `curate`; None outside the pipeline package."""
    parts = module.split(".")
    if parts[0] != "pipeline" or len(parts) < 2:
        return None
    return parts[1]


def _is_part(name: str) -> bool:
    return (PIPELINE / name / "__init__.py").is_file() or (PIPELINE / f"{name}.py").is_file()


def _imported_modules(node: ast.Import | ast.ImportFrom, module: str, is_package: bool) -> list[str]:
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if node.level:  # relative: resolve against this module's package
        package = module.split(".") if is_package else module.split(".")[:-1]
        base = package[: len(package) - node.level + 1]
        imported = ".".join(base + ([node.module] if node.module else []))
    else:
        imported = node.module or ""
    # `from pipeline import config` imports the module pipeline.config
    return [imported] + [f"{imported}.{alias.name}" for alias in node.names]


def import_edges() -> list[Import]:
    edges = []
    for path in sorted(PIPELINE.rglob("*.py")):
        module = _module_name(path)
        source = _part(module)
        if source is None:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Import | ast.ImportFrom):
                continue
            for imported in _imported_modules(node, module, path.name == "__init__.py"):
                target = _part(imported)
                if target is not None and target != source and _is_part(target):
                    where = f"{path.relative_to(PIPELINE.parent)}:{node.lineno}"
                    edges.append(Import(source, target, where))
    return edges


def find_cycles(edges: list[Import]) -> list[list[str]]:
    """Cycle paths (first part repeated at the end): in every strongly connected group of
    parts, the shortest cycle through each of its parts, each cycle once."""
    graph: dict[str, set[str]] = defaultdict(set)
    for edge in edges:
        graph[edge.source].add(edge.target)
    cycles: list[list[str]] = []
    seen: set[frozenset[tuple[str, str]]] = set()
    for group in _strongly_connected_groups(graph):
        for start in sorted(group):
            cycle = _shortest_cycle(start, group, graph)
            steps = frozenset(pairwise(cycle))
            if steps not in seen:
                seen.add(steps)
                cycles.append(cycle)
    return cycles


def _strongly_connected_groups(graph: dict[str, set[str]]) -> list[set[str]]:
    """Tarjan's algorithm; only groups of two or more parts (no part imports itself here)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[set[str]] = []

    def connect(part: str) -> None:
        index[part] = low[part] = len(index)
        stack.append(part)
        on_stack.add(part)
        for successor in sorted(graph[part]):
            if successor not in index:
                connect(successor)
                low[part] = min(low[part], low[successor])
            elif successor in on_stack:
                low[part] = min(low[part], index[successor])
        if low[part] == index[part]:
            group = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.add(member)
                if member == part:
                    break
            if len(group) > 1:
                groups.append(group)

    for part in sorted(graph):
        if part not in index:
            connect(part)
    return groups


def _shortest_cycle(start: str, group: set[str], graph: dict[str, set[str]]) -> list[str]:
    """A shortest path from `start` back to itself, inside its strongly connected group."""
    paths = {start: [start]}
    frontier = [start]
    while frontier:
        next_frontier = []
        for part in frontier:
            for successor in sorted(graph[part] & group):
                if successor == start:
                    return paths[part] + [start]
                if successor not in paths:
                    paths[successor] = paths[part] + [successor]
                    next_frontier.append(successor)
        frontier = next_frontier
    raise AssertionError(f"{start} is in no cycle of {sorted(group)}")


def describe(cycle: list[str], edges: list[Import]) -> str:
    steps = []
    for source, target in pairwise(cycle):
        where = sorted({e.where for e in edges if e.source == source and e.target == target})
        steps.append(f"  {source} -> {target}: {', '.join(where[:3])}" + (" ..." if len(where) > 3 else ""))
    return " -> ".join(cycle) + "\n" + "\n".join(steps)


def test_the_cycle_finder_reports_a_path() -> None:
    edges = [
        Import("a", "b", "a.py:1"),
        Import("b", "c", "b.py:1"),
        Import("c", "a", "c.py:1"),
        Import("c", "d", "c.py:2"),
    ]
    assert find_cycles(edges) == [["a", "b", "c", "a"]]
    assert find_cycles(edges[:2]) == []
    two_loops = edges + [Import("d", "c", "d.py:1")]
    assert find_cycles(two_loops) == [["a", "b", "c", "a"], ["c", "d", "c"]]
    assert "c -> a: c.py:1" in describe(["a", "b", "c", "a"], edges)


def test_settings_and_llm_do_not_import_the_run_config() -> None:
    """The cycle this refactoring removed: pipeline.config imported pipeline.llm.config while
    pipeline.llm imported pipeline.config."""
    lower = {"llm", "settings", "io", "text", "records", "errors", "curate", "dataset", "train", "report"}
    offending = [e for e in import_edges() if e.source in lower and e.target == "config"]
    assert not offending, "\n".join(f"{e.where}: {e.source} imports pipeline.config" for e in offending)


def test_no_import_cycle_between_parts() -> None:
    edges = import_edges()
    cycles = find_cycles(edges)
    assert not cycles, "import cycles between parts of pipeline:\n" + "\n".join(
        describe(cycle, edges) for cycle in cycles
    )


def test_no_module_is_too_long() -> None:
    too_long = {}
    for path in sorted(PIPELINE.rglob("*.py")):
        name = str(path.relative_to(PIPELINE.parent))
        lines = len(path.read_text(encoding="utf-8").splitlines())
        if lines > MAX_LINES and name not in LONG_MODULES:
            too_long[name] = lines
    assert not too_long, f"modules over {MAX_LINES} lines: {too_long}"
