"""Importers: read a source (canonical files, Zendesk exports), validate, store in one run."""

from deskmetrics.importers.pipeline import import_directory

__all__ = ["import_directory"]
