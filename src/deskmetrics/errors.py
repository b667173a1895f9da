"""The error hierarchy. Every failure a user can meet is one of these, with a message that says
what to do next. This module imports nothing from deskmetrics."""

from __future__ import annotations


class DeskmetricsError(Exception):
    """Base of every error deskmetrics raises on purpose."""


class ConfigError(DeskmetricsError):
    """deskmetrics.toml (or the environment) is malformed or names something unknown."""


class DefinitionError(DeskmetricsError):
    """A metric definition in the registry is inconsistent (caught before anything runs)."""


class ImportDataError(DeskmetricsError):
    """Input files cannot be read at all (not: individual bad rows, which become rejects)."""


class QueryError(DeskmetricsError):
    """A metric request asks for something the registry does not allow (unknown metric,
    dimension not allowed, bad date range, missing table)."""


class BackendError(DeskmetricsError):
    """The engine (DuckDB file or another Ibis backend) failed or is not reachable."""
