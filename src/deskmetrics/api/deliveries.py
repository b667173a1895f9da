"""What the mappings of the help desks' webhook deliveries (api/*_events.py) share: the rows one
delivery maps to, and the refusal of a delivery that lacks what its mapping needs."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class Mapped:
    """Canonical rows one delivery maps to; `ignored` says why there are none, `malformed`
    which field a broken delivery lacks (field, reason)."""

    event_type: str
    ticket_id: str | None
    ticket: dict[str, Any] | None = None  # the tickets row, when the delivery can give one
    events: list[dict[str, Any]] = field(default_factory=list)
    ignored: str | None = None
    malformed: tuple[str, str] | None = None


class Refused(Exception):
    """A delivery that lacks what the mapping needs: (field, reason)."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field, self.reason = field, reason


def object_at(parent: dict[str, Any], key: str) -> dict[str, Any]:
    """`parent[key]` when it is an object, else an empty one."""
    value = parent.get(key)
    return value if isinstance(value, dict) else {}


def need(value: str | None, name: str, reason: str) -> str:
    """`value`, or the delivery is refused naming field `name`."""
    if value is None:
        raise Refused(name, reason)
    return value
