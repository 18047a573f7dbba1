"""The package's layering, read from the source (a static AST import graph; nothing is imported).

- The analyses never import the engagement machinery: data flows engagement.yaml -> intake ->
  notebook -> cvkit analyses -> outputs/results -> synthesis -> report, never backwards.
- No import cycles among cvkit modules (lazy imports inside functions count too: a cycle hidden
  in a function is still a cycle in the design).
See CONTRIBUTING.md for the map.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1] / "cvkit"
ANALYSES = ("drivers", "choice", "segment", "clv", "metrics", "plot", "data", "datasets")


def _modules() -> dict[str, Path]:
    mods = {}
    for path in ROOT.rglob("*.py"):
        parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        mods[".".join(parts)] = path
    return mods


MODULES = _modules()


def _resolve(name: str) -> str | None:
    """The cvkit module a dotted import name lands in (a name imported from a module resolves to it)."""
    while name and name not in MODULES:
        name = name.rpartition(".")[0]
    return name or None


def _imports(module: str) -> set[str]:
    """Every cvkit module ``module`` imports, at top level or inside functions."""
    path = MODULES[module]
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            # `from pkg import submodule` imports the submodule, not (only) the package's namespace
            names = [f"{base}.{a.name}" if f"{base}.{a.name}" in MODULES else base for a in node.names]
        else:
            continue
        for name in names:
            target = _resolve(name) if name.startswith("cvkit") else None
            if target and target != module:
                found.add(target)
    return found


GRAPH = {m: _imports(m) for m in MODULES}


@pytest.mark.parametrize("analysis", ANALYSES)
def test_analyses_never_import_the_engagement_machinery(analysis):
    offenders = {m: sorted(t for t in targets if t == "cvkit.engagement" or t.startswith("cvkit.engagement."))
                 for m, targets in GRAPH.items() if m == f"cvkit.{analysis}" or m.startswith(f"cvkit.{analysis}.")}
    offenders = {m: t for m, t in offenders.items() if t}
    assert not offenders, f"analysis modules import cvkit.engagement: {offenders}"


FOUNDATIONS = ("cvkit.exceptions", "cvkit.estimator", "cvkit.jsonable", "cvkit._threads", "cvkit.resources")
SHARED_TOOLS = ("cvkit.data", "cvkit.metrics", "cvkit.plot", "cvkit.present")


def _in(module: str, packages: tuple[str, ...]) -> bool:
    return any(module == p or module.startswith(p + ".") for p in packages)


def test_foundations_and_shared_tools_stay_below_the_analyses():
    # The layer table of CONTRIBUTING.md: foundations import only foundations; shared tools import
    # only foundations and each other.
    bad = {m: sorted(t for t in targets if not _in(t, FOUNDATIONS)) for m, targets in GRAPH.items()
           if _in(m, FOUNDATIONS)}
    bad.update({m: sorted(t for t in targets if not _in(t, FOUNDATIONS + SHARED_TOOLS)) for m, targets in GRAPH.items()
                if _in(m, SHARED_TOOLS)})
    assert not {m: t for m, t in bad.items() if t}


def _cycles() -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found = []
    counter = 0
    for root in sorted(GRAPH):
        if root in index:
            continue
        work = [(root, iter(sorted(GRAPH[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(GRAPH.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
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
    return found


def test_no_import_cycles_among_cvkit_modules():
    assert _cycles() == []


def test_the_checker_sees_cycles_and_layering_breaks():
    # The graph is not vacuous: known edges are present.
    assert "cvkit.engagement.runner" in GRAPH and "cvkit.engagement.manifest" in GRAPH["cvkit.engagement.runner"]
    assert "cvkit.clv.models.base" in GRAPH["cvkit.clv.models.bg_nbd"] or \
        "cvkit.clv.models.purchase" in GRAPH["cvkit.clv.models.bg_nbd"]
    GRAPH["cvkit.clv.models.base"].add("cvkit.clv.models.purchase")  # a planted cycle is found
    try:
        assert any("cvkit.clv.models.base" in c for c in _cycles())
    finally:
        GRAPH["cvkit.clv.models.base"].discard("cvkit.clv.models.purchase")
