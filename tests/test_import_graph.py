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
    "importers": {"errors", "model", "config", "engine"},
    "sample": {"errors", "model"},
    "significance": set(),
    "query": {"errors", "model", "config", "metrics", "engine", "stats", "significance"},
    "sla_query": {"errors", "engine"},
    "accounts": {"errors", "engine"},
    "present": {"errors", "metrics"},
    "api": {
        "errors",
        "model",
        "config",
        "metrics",
        "engine",
        "importers",
        "query",
        "accounts",
        "notify",
        "alerts",
        "reports",
        "surveys",
        "web",
        "sla_query",
        "present",
    },
    "web": {"present"},
    "surveys": {"errors", "config", "model", "engine", "accounts", "notify"},
    "notify": {"errors", "config", "engine"},
    "alerts": {
        "errors",
        "config",
        "metrics",
        "engine",
        "query",
        "notify",
        "sla_query",
        "reports",
        "surveys",
        "present",
    },
    "reports": {"errors", "config", "metrics", "engine", "query", "notify", "present"},
    "cli": {
        "errors",
        "config",
        "metrics",
        "engine",
        "importers",
        "query",
        "sample",
        "accounts",
        "api",
        "notify",
        "alerts",
        "reports",
        "surveys",
        "sla_query",
        "present",
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
