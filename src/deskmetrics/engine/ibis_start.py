"""Ibis loads every SQL dialect's compiler when it loads any backend: its package
`ibis.backends.sql.compilers` imports all twenty (sqlglot builds each dialect's tokenizer as it
goes), about 0.2 s of every command's start. A workspace needs one. This installs that package
as a lazy module — Python's own idiom (module `__getattr__`, PEP 562) — so each compiler is
imported when first asked for: `sc.duckdb`, `sc.PostgresCompiler`, `ibis.to_sql(…, dialect=…)`
find it as before. Imported by `deskmetrics.engine` before anything loads a backend; where Ibis
loaded the package already, it changes nothing."""

from __future__ import annotations

import importlib
import importlib.util
import sys

COMPILERS = "ibis.backends.sql.compilers"


def _compiler_module(attr: str) -> str:
    """The submodule holding a compiler class or named like one: `DuckDBCompiler` → `duckdb`."""
    return attr.removesuffix("Compiler").lower() if attr.endswith("Compiler") else attr


def install() -> None:
    """Make `ibis.backends.sql.compilers` import its dialects' compilers on first use."""
    if COMPILERS in sys.modules:
        return
    spec = importlib.util.find_spec(COMPILERS)
    if spec is None or spec.submodule_search_locations is None:
        return
    package = importlib.util.module_from_spec(spec)

    def __getattr__(attr: str) -> object:
        if attr.startswith("__"):
            raise AttributeError(attr)
        name = _compiler_module(attr)
        try:
            module = importlib.import_module(f"{COMPILERS}.{name}")
        except ModuleNotFoundError as e:
            if e.name != f"{COMPILERS}.{name}":
                raise  # the dialect exists but something it needs is missing: say so
            raise AttributeError(f"module {COMPILERS!r} has no attribute {attr!r}") from None
        return getattr(module, attr) if attr != name else module

    package.__getattr__ = __getattr__  # type: ignore[method-assign]
    sys.modules[COMPILERS] = package
    parent, _, child = COMPILERS.rpartition(".")
    setattr(sys.modules[parent], child, package)


def loaded() -> list[str]:
    """The dialects whose compilers are imported (for tests and diagnostics)."""
    prefix = f"{COMPILERS}."
    return sorted(m.removeprefix(prefix) for m in sys.modules if m.startswith(prefix))
