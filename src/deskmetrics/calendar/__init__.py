"""Schedules, holidays and time zones as data (small tables the engine joins at query time)."""

from deskmetrics.calendar.business import (
    BusinessCalendar,
    build_business_calendar,
    first_calendar_day,
)
from deskmetrics.calendar.zones import utc_offsets

__all__ = ["BusinessCalendar", "build_business_calendar", "first_calendar_day", "utc_offsets"]
