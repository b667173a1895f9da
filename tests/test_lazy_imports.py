"""Ratchet: a module that imports pandas or numpy lazily (inside functions, for a fast CLI
start) or for type hints only must import it in every function that uses it at run time. Two
commands (`erlang`, the table format of `staffing`) failed with a NameError for that."""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "deskmetrics"
LAZY = {"pd", "np", "pa"}


def _imported(nodes: list[ast.AST]) -> set[str]:
    out = set()
    for node in nodes:
        for n in ast.walk(node):
            if isinstance(n, ast.Import | ast.ImportFrom):
                out |= {a.asname or a.name.split(".")[0] for a in n.names}
    return out


def _functions(tree: ast.Module) -> list[ast.FunctionDef | ast.AsyncFunctionDef]:
    """Top-level functions and methods (nested ones see their enclosing function's imports)."""
    out: list[ast.FunctionDef | ast.AsyncFunctionDef] = []
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            out.append(node)
        elif isinstance(node, ast.ClassDef):
            out += [n for n in node.body if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)]
    return out


def test_lazily_imported_modules_are_imported_where_used() -> None:
    missing = []
    for path in sorted(SRC.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        # imports at module level that run (not those under `if TYPE_CHECKING:`)
        module = _imported([n for n in tree.body if isinstance(n, ast.Import | ast.ImportFrom)])
        for fn in _functions(tree):
            used = {
                n.id
                for stmt in fn.body
                for n in ast.walk(stmt)
                if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load) and n.id in LAZY
            }
            lacking = used - module - _imported(list(fn.body))
            if lacking:
                missing.append(f"{path.relative_to(SRC)}:{fn.lineno} {fn.name} {sorted(lacking)}")
    assert not missing, missing
