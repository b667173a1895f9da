"""Staffing: forecast contact volume per interval and plan the agents it needs (Erlang C and
Erlang A, chat concurrency, shrinkage, an occupancy cap). Pure computation over numbers: the
volumes and handle times come from the query layer or a phone system's export."""

from deskmetrics.staffing.erlang import (
    PLAN_COLUMNS,
    ErlangA,
    Staffing,
    StaffingError,
    Target,
    average_speed_of_answer,
    erlang_a,
    erlang_b,
    erlang_c,
    plan_interval,
    plan_intervals,
    scheduled_agents,
    service_level,
)

__all__ = [
    "PLAN_COLUMNS",
    "ErlangA",
    "Staffing",
    "StaffingError",
    "Target",
    "average_speed_of_answer",
    "erlang_a",
    "erlang_b",
    "erlang_c",
    "plan_interval",
    "plan_intervals",
    "scheduled_agents",
    "service_level",
]
