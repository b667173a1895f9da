"""The engine: the only package that imports Ibis. Connects a backend, stores canonical rows,
derives facts and compiles registry metrics into queries."""

from deskmetrics.engine.compile import MetricRequest, explain_metric, run_metric
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

# custom sources register their aggregation with compile.register on import
import deskmetrics.engine.revenue, deskmetrics.engine.social, deskmetrics.engine.surveys  # noqa: E401, I001
import deskmetrics.engine.sla  # noqa: F401
