"""Closed vocabularies of the canonical model."""

from __future__ import annotations

from enum import StrEnum


class Channel(StrEnum):
    """The channels deskmetrics names by default; tickets may carry any other (open vocabulary)."""

    EMAIL = "email"
    CHAT = "chat"
    PHONE = "phone"
    SOCIAL = "social"
    WEB = "web"
    API = "api"
    OTHER = "other"


class Priority(StrEnum):
    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"
    URGENT = "urgent"


class Status(StrEnum):
    NEW = "new"
    OPEN = "open"
    PENDING = "pending"
    HOLD = "hold"
    SOLVED = "solved"
    CLOSED = "closed"


SOLVED_STATUSES: frozenset[str] = frozenset({Status.SOLVED, Status.CLOSED})


class EventType(StrEnum):
    MESSAGE = "message"
    STATUS = "status"
    ASSIGNMENT = "assignment"
    INTERACTION = "interaction"
    SCHEDULE = "schedule"


class AuthorRole(StrEnum):
    """Who wrote a message: `bot` is an automatic acknowledgement or trigger, `ai_agent` a
    conversational AI agent (Fin, Zendesk AI agents, a home-made chatbot); neither is a
    person's reply."""

    CUSTOMER = "customer"
    AGENT = "agent"
    BOT = "bot"
    AI_AGENT = "ai_agent"


class CreatedBy(StrEnum):
    CUSTOMER = "customer"
    AGENT = "agent"


class SurveyKind(StrEnum):
    CSAT = "csat"
    NPS = "nps"
    CES = "ces"


SURVEY_SCALES: frozenset[str] = frozenset({"1-5", "1-7", "1-10", "0-10", "0-100", "good-bad"})
CES_DIRECTIONS: frozenset[str] = frozenset({"higher-easier", "lower-easier"})


class Grain(StrEnum):
    HOUR = "hour"
    DAY = "day"
    WEEK = "week"
    MONTH = "month"
    QUARTER = "quarter"
    YEAR = "year"
