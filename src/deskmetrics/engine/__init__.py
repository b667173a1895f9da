"""The engine: the only package that imports Ibis. Connects a backend, stores canonical rows,
derives facts and compiles registry metrics into queries."""

from deskmetrics.engine import ibis_start

ibis_start.install()  # before any backend loads: one dialect's compiler, not twenty

# ruff: noqa: E402

from deskmetrics.engine.compile import MetricRequest, explain_metric, run_metric
from deskmetrics.engine.custom import register_custom_sources
from deskmetrics.engine.facts import Facts
from deskmetrics.engine.workspace import DEFAULT_DB, Workspace, canonical_schema, open_duckdb

__all__ = [
    "DEFAULT_DB",
    "Facts",
    "MetricRequest",
    "Workspace",
    "canonical_schema",
    "explain_metric",
    "open_duckdb",
    "run_metric",
]

register_custom_sources()
