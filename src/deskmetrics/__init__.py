"""deskmetrics: customer-service metrics defined once, computed by Ibis on DuckDB or any engine.

>>> from deskmetrics import open_workspace, compute
>>> ws = open_workspace("deskmetrics.duckdb")
>>> compute(ws, ["first_response_time"], by=["channel"], grain="week")
"""

from deskmetrics.config import Settings, load_settings
from deskmetrics.engine import Workspace
from deskmetrics.engine import open_duckdb as open_workspace
from deskmetrics.errors import (
    BackendError,
    ConfigError,
    DefinitionError,
    DeskmetricsError,
    ImportDataError,
    QueryError,
)
from deskmetrics.importers import import_directory
from deskmetrics.metrics import REGISTRY, Metric
from deskmetrics.query import compute, explain, facts_frame

__all__ = [
    "REGISTRY",
    "BackendError",
    "ConfigError",
    "DefinitionError",
    "DeskmetricsError",
    "ImportDataError",
    "Metric",
    "QueryError",
    "Settings",
    "Workspace",
    "compute",
    "explain",
    "facts_frame",
    "import_directory",
    "load_settings",
    "open_workspace",
]
