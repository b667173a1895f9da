"""Compiled SQL kept by query shape.

Ibis compiles every query it runs (rewrites, then sqlglot), and a request builds the same
queries again and again: the same metric by the same groups over the same kept facts is the
same expression each time. Compiling one takes tens of milliseconds — about half of a small
report's time (DECISIONS.md, "Compiled SQL kept by query shape"). A backend's compiler is
therefore wrapped so that an expression equal to one compiled before (Ibis expressions
compare by structure: the same tables, columns, literals) gets a copy of the SQL made then.
An expression with a different literal (a running clock's "now", another date range) is
another shape and is compiled anew; nothing else changes what SQL an expression gives.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any

#: how many compiled queries a backend keeps (the least recently used go first)
KEPT_QUERIES = 512


class CompiledQueries:
    """A compiler of one backend whose `to_sqlglot` answers an expression compiled before
    with a copy of what it gave; every other attribute is the compiler's own."""

    def __init__(self, compiler: Any, size: int = KEPT_QUERIES) -> None:
        self._compiler = compiler
        self._size = size
        self._kept: OrderedDict[Any, Any] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self._compiler, name)

    def to_sqlglot(self, expr: Any, *, limit: Any = None, params: Any = None) -> Any:
        if params:  # values bound per call: not a shape of its own
            return self._compiler.to_sqlglot(expr, limit=limit, params=params)
        key = (expr.op(), limit)
        with self._lock:
            got = self._kept.get(key)
            if got is not None:
                self._kept.move_to_end(key)
                self.hits += 1
        if got is not None:
            return got.copy()  # callers may change the tree (e.g. wrap it in CREATE TABLE)
        made = self._compiler.to_sqlglot(expr, limit=limit, params=params)
        with self._lock:
            self.misses += 1
            self._kept[key] = made.copy()
            while len(self._kept) > self._size:
                self._kept.popitem(last=False)
        return made


def keep_compiled(backend: Any) -> Any:
    """`backend` with its compiled queries kept (`CompiledQueries`); a backend without a
    SQL compiler is returned as it is. For long-lived connections only — the service's, which
    it closes explicitly (engine/handoff.py, engine/pool.py): the kept expressions refer to
    the backend, so a backend dropped without being closed would stay open until Python's
    cycle collector runs (a command that opens a file and returns must let go of it)."""
    compiler = getattr(backend, "compiler", None)
    if hasattr(compiler, "to_sqlglot") and not isinstance(compiler, CompiledQueries):
        backend.compiler = CompiledQueries(compiler)
    return backend


__all__ = ["KEPT_QUERIES", "CompiledQueries", "keep_compiled"]
