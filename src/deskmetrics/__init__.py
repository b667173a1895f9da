"""deskmetrics: customer-service metrics defined once, computed by Ibis on DuckDB or any engine.

>>> from deskmetrics import open_workspace, compute
>>> ws = open_workspace("deskmetrics.duckdb")
>>> compute(ws, ["first_response_time"], by=["channel"], grain="week")
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
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

#: where each public name lives: imported on first use, so that `import deskmetrics` (and the
#: command's start) does not load the engine, Ibis and pandas before they are needed
_HOMES = {
    "Settings": "deskmetrics.config",
    "load_settings": "deskmetrics.config",
    "Workspace": "deskmetrics.engine",
    "open_workspace": "deskmetrics.engine",
    "BackendError": "deskmetrics.errors",
    "ConfigError": "deskmetrics.errors",
    "DefinitionError": "deskmetrics.errors",
    "DeskmetricsError": "deskmetrics.errors",
    "ImportDataError": "deskmetrics.errors",
    "QueryError": "deskmetrics.errors",
    "import_directory": "deskmetrics.importers",
    "REGISTRY": "deskmetrics.metrics",
    "Metric": "deskmetrics.metrics",
    "compute": "deskmetrics.query",
    "explain": "deskmetrics.query",
    "facts_frame": "deskmetrics.query",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'deskmetrics' has no attribute {name!r}")
    value = getattr(import_module(home), "open_duckdb" if name == "open_workspace" else name)
    globals()[name] = value
    return value


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
