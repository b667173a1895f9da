"""Layering ratchet: the data flow is the architecture. No module imports against the flow,
only the engine imports Ibis, and metric definitions import no engine code."""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "deskmetrics"

#: each step of the flow, and the steps it may import
ALLOWED: dict[str, set[str]] = {
    "errors": set(),
    "model": {"errors"},
    "config": {"errors"},
    "calendar": {"errors", "config"},
    "metrics": {"errors", "model"},
    "stats": set(),
    "engine": {"errors", "model", "config", "calendar", "metrics", "stats"},
    # an import ends by scoring new customer messages and placing new tickets in topics
    "importers": {"errors", "model", "config", "engine", "ticket_text"},
    # reading what customers wrote (sentiment, topics): pure functions, no workspace
    "text": {"errors", "config"},
    # the ticket-text job: reads texts from the workspace, runs text/, writes derived tables
    "ticket_text": {"errors", "config", "engine", "text"},
    # the topics table: topics beside the numbers, asked of the query layer
    "topic_report": {"errors", "engine", "query", "ticket_text"},
    "sample": {"errors", "model"},
    "significance": set(),
    "query": {"errors", "model", "config", "metrics", "engine", "stats", "significance"},
    "sla_query": {"errors", "engine"},
    "appstate": {"errors", "engine"},
    "accounts": {"errors", "engine", "appstate"},
    "saved_views": {"errors", "engine", "appstate"},
    "present": {"errors", "metrics"},
    # pure math (erlang, forecast) plus the plan, which asks the query layer for numbers
    "staffing": {"errors", "config", "engine", "query"},
    "api": {
        "errors",
        "model",
        "config",
        "metrics",
        "engine",
        "importers",
        "query",
        "accounts",
        "appstate",
        "notify",
        "alerts",
        "reports",
        "surveys",
        "web",
        "sla_query",
        "present",
        "staffing",
        "saved_views",
        "topic_report",
    },
    "web": {"present"},
    "surveys": {"errors", "config", "model", "engine", "accounts", "notify", "appstate"},
    "notify": {"errors", "config", "engine", "appstate"},
    "alerts": {
        "errors",
        "config",
        "metrics",
        "significance",
        "engine",
        "appstate",
        "query",
        "notify",
        "sla_query",
        "reports",
        "surveys",
        "present",
    },
    "reports": {
        "errors",
        "config",
        "metrics",
        "engine",
        "appstate",
        "query",
        "notify",
        "present",
        "saved_views",
    },
    "cli": {
        "errors",
        "config",
        "metrics",
        "engine",
        "importers",
        "query",
        "sample",
        "accounts",
        "appstate",
        "api",
        "notify",
        "alerts",
        "reports",
        "surveys",
        "sla_query",
        "present",
        "staffing",
        "ticket_text",
        "topic_report",
    },
    "__init__": {"errors", "config", "engine", "importers", "metrics", "query"},
}


def step_of(path: Path) -> str:
    rel = path.relative_to(SRC)
    return rel.parts[0].removesuffix(".py")


def imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            out.add(node.module)
    return out


def test_no_module_imports_against_the_flow() -> None:
    problems = []
    for path in SRC.rglob("*.py"):
        step = step_of(path)
        assert step in ALLOWED, f"{path} is in no step of the flow; add it to ALLOWED"
        for mod in imports(path):
            if not mod.startswith("deskmetrics."):
                continue
            target = mod.split(".")[1]
            if target != step and target not in ALLOWED[step]:
                problems.append(f"{path.relative_to(SRC)} imports {mod}")
    assert problems == []


def test_only_the_engine_imports_ibis() -> None:
    offenders = [
        str(p.relative_to(SRC))
        for p in SRC.rglob("*.py")
        if step_of(p) != "engine" and any(m.split(".")[0] == "ibis" for m in imports(p))
    ]
    assert offenders == []


def test_errors_module_imports_nothing_internal() -> None:
    assert not [m for m in imports(SRC / "errors.py") if m.startswith("deskmetrics")]


def module_of(path: Path) -> str:
    parts = list(path.relative_to(SRC.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_of(p): p for p in SRC.rglob("*.py")}


def runtime_imports(path: Path) -> set[str]:
    """The deskmetrics modules `path` imports when it runs (also inside functions; not those
    under `if TYPE_CHECKING:`); `from package import submodule` names the submodule only."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    typing_only = {
        id(n)
        for node in ast.walk(tree)
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)
        for stmt in node.body
        for n in ast.walk(stmt)
    }
    out: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            subs = {f"{node.module}.{a.name}" for a in node.names} & MODULES.keys()
            out |= subs
            if len(subs) < len(node.names):
                out.add(node.module)
    return (out & MODULES.keys()) - {module_of(path)}


def test_no_import_cycle_between_modules() -> None:
    """A cycle hides an order of initialisation (and usually a write on read: facts ↔ kept)."""
    graph = {m: runtime_imports(p) for m, p in MODULES.items()}
    cycles = []
    for start in graph:
        # depth-first from `start`: does any path lead back to it?
        seen: set[str] = set()
        todo = [(start, [start])]
        while todo:
            mod, path = todo.pop()
            for nxt in graph[mod]:
                if nxt == start:
                    cycles.append(" → ".join([*path, start]))
                elif nxt not in seen:
                    seen.add(nxt)
                    todo.append((nxt, [*path, nxt]))
    assert cycles == []


def test_facts_do_not_import_keeping_them() -> None:
    """Reading facts never writes: engine/facts.py does not reach the module that keeps them."""
    facts = runtime_imports(MODULES["deskmetrics.engine.facts"])
    assert "deskmetrics.engine.kept" not in facts
