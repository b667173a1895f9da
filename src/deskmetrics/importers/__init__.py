"""Importers: read a source (canonical files, Zendesk exports), validate, store in one run."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

#: the names `deskmetrics import --from` takes, known without loading the importers (the
#: command's help lists them); `pipeline.IMPORTERS` has one reader for each (a test checks)
SOURCES: tuple[str, ...] = (
    "canonical",
    "zendesk",
    "freshdesk",
    "helpscout",
    "intercom",
    "chatwoot",
    "zammad",
    "csv",
    "survey-csv",
    "stripe",
)

if TYPE_CHECKING:
    from deskmetrics.importers.pipeline import import_directory

__all__ = ["SOURCES", "import_directory"]


def __getattr__(name: str) -> Any:
    if name == "import_directory":  # loaded on first use: it brings the engine with it
        from deskmetrics.importers.pipeline import import_directory

        return import_directory
    raise AttributeError(f"module 'deskmetrics.importers' has no attribute {name!r}")
