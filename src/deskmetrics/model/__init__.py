"""The canonical model: tables, closed vocabularies, and validation of raw rows."""

from deskmetrics.model.channels import DEFAULT_CHANNELS
from deskmetrics.model.enums import (
    SOLVED_STATUSES,
    AuthorRole,
    Channel,
    CreatedBy,
    EventType,
    Grain,
    Priority,
    Status,
    SurveyKind,
)
from deskmetrics.model.tables import TABLES, Column, Kind, Table
from deskmetrics.model.validate import (
    DEFAULT_LIMITS,
    Limits,
    Reject,
    SourceFrame,
    ValidFrame,
    plausible_span,
    validate,
    zone,
)

__all__ = [
    "DEFAULT_CHANNELS",
    "DEFAULT_LIMITS",
    "SOLVED_STATUSES",
    "TABLES",
    "AuthorRole",
    "Channel",
    "Column",
    "CreatedBy",
    "EventType",
    "Grain",
    "Kind",
    "Limits",
    "Priority",
    "Reject",
    "SourceFrame",
    "Status",
    "SurveyKind",
    "Table",
    "ValidFrame",
    "plausible_span",
    "validate",
    "zone",
]
