"""Zendesk settings (Business Hours schedules, holidays, SLA policies) → deskmetrics.toml.

The input is what Zendesk's REST API returns, saved as JSON: `GET /api/v2/business_hours/
schedules` (`{"schedules": [...]}`), `GET .../schedules/{id}/holidays` (`{"holidays": [...]}`),
`GET /api/v2/slas/policies` (`{"sla_policies": [...]}`) and, optionally, `GET /api/v2/groups`
(`{"groups": [...]}`, to write group names as the Zendesk importer stores them). Files are told
apart by what they hold, never by their name, except that a holidays file names its schedule:
`holidays-<schedule_id>.json` (any file name containing the id), or `--holidays ID=FILE`, or it
is the only schedule's.

Mapping (what is exact and what is not is said per item in the output and on stderr):
- a schedule keeps its Zendesk id as its key; its Rails time zone name becomes the IANA zone
  ActiveSupport maps it to; its intervals (minutes since Sunday 00:00, local time) become
  per-weekday open periods, split at midnight; a holiday from start_date to end_date closes every
  date in between;
- each SLA policy becomes one deskmetrics policy per priority it has targets for, in Zendesk's
  order (position), `when` carrying the priority and the filter conditions deskmetrics can
  express; a condition it cannot express is written as a comment above the policy and reported,
  never dropped silently;
- metrics: first_reply_time → first_reply, next_reply_time → next_reply, periodic_update_time →
  periodic_update, pausable_update_time → periodic_update paused while pending,
  requester_wait_time → resolution paused while pending, agent_work_time → resolution paused
  while pending or on hold (Zendesk's definitions: requester wait time counts new, open and
  on-hold; agent work time new and open; pausable update new, open and on-hold);
  `business_hours: false` puts the target in `calendar`.
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import ValidationError

from deskmetrics.config import WEEKDAYS, Settings
from deskmetrics.errors import ConfigError, ImportDataError
from deskmetrics.importers.zendesk import channel_of

Record = dict[str, Any]

#: ActiveSupport::TimeZone::MAPPING (Rails' friendly zone names, which Zendesk's `time_zone`
#: uses) → IANA zone, written from Rails' documented list. "International Date Line West" is
#: UTC−12 as in current Rails (older Rails pointed it at Pacific/Midway, UTC−11).
RAILS_TIME_ZONES: dict[str, str] = {
    "International Date Line West": "Etc/GMT+12",
    "Midway Island": "Pacific/Midway",
    "American Samoa": "Pacific/Pago_Pago",
    "Hawaii": "Pacific/Honolulu",
    "Alaska": "America/Juneau",
    "Pacific Time (US & Canada)": "America/Los_Angeles",
    "Tijuana": "America/Tijuana",
    "Mountain Time (US & Canada)": "America/Denver",
    "Arizona": "America/Phoenix",
    "Chihuahua": "America/Chihuahua",
    "Mazatlan": "America/Mazatlan",
    "Central Time (US & Canada)": "America/Chicago",
    "Saskatchewan": "America/Regina",
    "Guadalajara": "America/Mexico_City",
    "Mexico City": "America/Mexico_City",
    "Monterrey": "America/Monterrey",
    "Central America": "America/Guatemala",
    "Eastern Time (US & Canada)": "America/New_York",
    "Indiana (East)": "America/Indiana/Indianapolis",
    "Bogota": "America/Bogota",
    "Lima": "America/Lima",
    "Quito": "America/Lima",
    "Atlantic Time (Canada)": "America/Halifax",
    "Caracas": "America/Caracas",
    "La Paz": "America/La_Paz",
    "Santiago": "America/Santiago",
    "Asuncion": "America/Asuncion",
    "Newfoundland": "America/St_Johns",
    "Brasilia": "America/Sao_Paulo",
    "Buenos Aires": "America/Argentina/Buenos_Aires",
    "Montevideo": "America/Montevideo",
    "Georgetown": "America/Guyana",
    "Puerto Rico": "America/Puerto_Rico",
    "Greenland": "America/Godthab",
    "Mid-Atlantic": "Atlantic/South_Georgia",
    "Azores": "Atlantic/Azores",
    "Cape Verde Is.": "Atlantic/Cape_Verde",
    "Dublin": "Europe/Dublin",
    "Edinburgh": "Europe/London",
    "Lisbon": "Europe/Lisbon",
    "London": "Europe/London",
    "Casablanca": "Africa/Casablanca",
    "Monrovia": "Africa/Monrovia",
    "UTC": "Etc/UTC",
    "Belgrade": "Europe/Belgrade",
    "Bratislava": "Europe/Bratislava",
    "Budapest": "Europe/Budapest",
    "Ljubljana": "Europe/Ljubljana",
    "Prague": "Europe/Prague",
    "Sarajevo": "Europe/Sarajevo",
    "Skopje": "Europe/Skopje",
    "Warsaw": "Europe/Warsaw",
    "Zagreb": "Europe/Zagreb",
    "Brussels": "Europe/Brussels",
    "Copenhagen": "Europe/Copenhagen",
    "Madrid": "Europe/Madrid",
    "Paris": "Europe/Paris",
    "Amsterdam": "Europe/Amsterdam",
    "Berlin": "Europe/Berlin",
    "Bern": "Europe/Zurich",
    "Zurich": "Europe/Zurich",
    "Rome": "Europe/Rome",
    "Stockholm": "Europe/Stockholm",
    "Vienna": "Europe/Vienna",
    "West Central Africa": "Africa/Algiers",
    "Bucharest": "Europe/Bucharest",
    "Cairo": "Africa/Cairo",
    "Helsinki": "Europe/Helsinki",
    "Kyiv": "Europe/Kiev",
    "Riga": "Europe/Riga",
    "Sofia": "Europe/Sofia",
    "Tallinn": "Europe/Tallinn",
    "Vilnius": "Europe/Vilnius",
    "Athens": "Europe/Athens",
    "Istanbul": "Europe/Istanbul",
    "Minsk": "Europe/Minsk",
    "Jerusalem": "Asia/Jerusalem",
    "Harare": "Africa/Harare",
    "Pretoria": "Africa/Johannesburg",
    "Kaliningrad": "Europe/Kaliningrad",
    "Moscow": "Europe/Moscow",
    "St. Petersburg": "Europe/Moscow",
    "Volgograd": "Europe/Volgograd",
    "Samara": "Europe/Samara",
    "Kuwait": "Asia/Kuwait",
    "Riyadh": "Asia/Riyadh",
    "Nairobi": "Africa/Nairobi",
    "Baghdad": "Asia/Baghdad",
    "Tehran": "Asia/Tehran",
    "Abu Dhabi": "Asia/Muscat",
    "Muscat": "Asia/Muscat",
    "Baku": "Asia/Baku",
    "Tbilisi": "Asia/Tbilisi",
    "Yerevan": "Asia/Yerevan",
    "Kabul": "Asia/Kabul",
    "Ekaterinburg": "Asia/Yekaterinburg",
    "Islamabad": "Asia/Karachi",
    "Karachi": "Asia/Karachi",
    "Tashkent": "Asia/Tashkent",
    "Chennai": "Asia/Kolkata",
    "Kolkata": "Asia/Kolkata",
    "Mumbai": "Asia/Kolkata",
    "New Delhi": "Asia/Kolkata",
    "Kathmandu": "Asia/Kathmandu",
    "Astana": "Asia/Dhaka",
    "Dhaka": "Asia/Dhaka",
    "Sri Jayawardenepura": "Asia/Colombo",
    "Almaty": "Asia/Almaty",
    "Novosibirsk": "Asia/Novosibirsk",
    "Rangoon": "Asia/Rangoon",
    "Bangkok": "Asia/Bangkok",
    "Hanoi": "Asia/Bangkok",
    "Jakarta": "Asia/Jakarta",
    "Krasnoyarsk": "Asia/Krasnoyarsk",
    "Beijing": "Asia/Shanghai",
    "Chongqing": "Asia/Chongqing",
    "Hong Kong": "Asia/Hong_Kong",
    "Urumqi": "Asia/Urumqi",
    "Kuala Lumpur": "Asia/Kuala_Lumpur",
    "Singapore": "Asia/Singapore",
    "Taipei": "Asia/Taipei",
    "Perth": "Australia/Perth",
    "Irkutsk": "Asia/Irkutsk",
    "Ulaanbaatar": "Asia/Ulaanbaatar",
    "Seoul": "Asia/Seoul",
    "Osaka": "Asia/Tokyo",
    "Sapporo": "Asia/Tokyo",
    "Tokyo": "Asia/Tokyo",
    "Yakutsk": "Asia/Yakutsk",
    "Darwin": "Australia/Darwin",
    "Adelaide": "Australia/Adelaide",
    "Canberra": "Australia/Melbourne",
    "Melbourne": "Australia/Melbourne",
    "Sydney": "Australia/Sydney",
    "Brisbane": "Australia/Brisbane",
    "Hobart": "Australia/Hobart",
    "Vladivostok": "Asia/Vladivostok",
    "Guam": "Pacific/Guam",
    "Port Moresby": "Pacific/Port_Moresby",
    "Magadan": "Asia/Magadan",
    "Srednekolymsk": "Asia/Srednekolymsk",
    "Solomon Is.": "Pacific/Guadalcanal",
    "New Caledonia": "Pacific/Noumea",
    "Fiji": "Pacific/Fiji",
    "Kamchatka": "Asia/Kamchatka",
    "Marshall Is.": "Pacific/Majuro",
    "Auckland": "Pacific/Auckland",
    "Wellington": "Pacific/Auckland",
    "Nuku'alofa": "Pacific/Tongatapu",
    "Tokelau Is.": "Pacific/Fakaofo",
    "Chatham Is.": "Pacific/Chatham",
    "Samoa": "Pacific/Apia",
}
_RAILS_FOLDED = {k.casefold(): v for k, v in RAILS_TIME_ZONES.items()}

#: Zendesk priorities, lowest first (the order `less_than`/`greater_than` compare in)
PRIORITIES = ("low", "normal", "high", "urgent")

Target = Literal["first_reply", "next_reply", "periodic_update", "resolution"]
#: Zendesk SLA metric → (deskmetrics target, statuses that pause it). Listed in preference order:
#: when two metrics of one priority land on the same target, the earlier one is kept.
METRICS: dict[str, tuple[Target, tuple[str, ...]]] = {
    "first_reply_time": ("first_reply", ()),
    "next_reply_time": ("next_reply", ()),
    "periodic_update_time": ("periodic_update", ()),
    "pausable_update_time": ("periodic_update", ("pending",)),
    "requester_wait_time": ("resolution", ("pending",)),
    "agent_work_time": ("resolution", ("pending", "hold")),
}
_TARGET_ORDER: tuple[Target, ...] = ("first_reply", "next_reply", "periodic_update", "resolution")

#: Zendesk condition field → deskmetrics `when` key (the tickets column the Zendesk importer fills)
_FIELDS = {
    "type": "ticket_type",
    "group_id": "group",
    "brand_id": "brand",
    "organization_id": "organization_id",
    "assignee_id": "assignee_id",
    "requester_id": "requester_id",
    "via_id": "channel",
    "current_tags": "tags",
}

Kind = Literal["not expressed", "approximated"]


@dataclass(frozen=True)
class Note:
    """Something of a Zendesk setting the output does not say exactly."""

    subject: str
    kind: Kind
    text: str

    @property
    def line(self) -> str:
        """The note without its subject, as a comment above the policy."""
        return f"{self.kind}: {self.text}"

    def __str__(self) -> str:
        return f"{self.subject}: {self.line}"


@dataclass
class ZendeskSettings:
    """The Zendesk API responses, as read: schedules, holidays per schedule id, SLA policies,
    group names by id."""

    schedules: list[Record] = field(default_factory=list)
    holidays: dict[str, list[Record]] = field(default_factory=dict)
    sla_policies: list[Record] = field(default_factory=list)
    groups: dict[str, str] = field(default_factory=dict)


@dataclass
class ScheduleOut:
    key: str
    comment: str
    values: dict[str, Any]


@dataclass
class PolicyOut:
    comments: list[str]
    values: dict[str, Any]


@dataclass
class Conversion:
    """deskmetrics settings (as TOML-ready values) plus what could not be said exactly."""

    schedules: list[ScheduleOut] = field(default_factory=list)
    policies: list[PolicyOut] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)

    def settings_data(self) -> dict[str, Any]:
        """The settings as the dict `Settings.model_validate` takes."""
        return {
            "schedules": {s.key: s.values for s in self.schedules},
            "sla": {"policies": [p.values for p in self.policies]},
        }


# --- reading -----------------------------------------------------------------------------


def _text(value: Any) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value)


def _kind_of(data: Any) -> tuple[str, list[Record]] | None:
    """What an API response holds: ("schedules" | "holidays" | "sla_policies" | "groups", items)."""
    if isinstance(data, dict):
        for plural, single in (
            ("schedules", "schedule"),
            ("holidays", "holiday"),
            ("sla_policies", "sla_policy"),
            ("groups", "group"),
        ):
            if isinstance(data.get(plural), list):
                return plural, [x for x in data[plural] if isinstance(x, dict)]
            if isinstance(data.get(single), dict):
                return plural, [data[single]]
        return None
    if isinstance(data, list) and data and all(isinstance(x, dict) for x in data):
        first = data[0]
        for key, kind in (
            ("intervals", "schedules"),
            ("start_date", "holidays"),
            ("policy_metrics", "sla_policies"),
        ):
            if key in first:
                return kind, list(data)
    return None


def _load(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ImportDataError(f"cannot read {path}: {exc}") from exc
    except json.JSONDecodeError as exc:
        raise ImportDataError(f"{path} is not JSON: {exc}") from exc


def read_zendesk_settings(
    paths: Sequence[Path], holidays_for: Mapping[str, Path] | None = None
) -> ZendeskSettings:
    """Read API responses in any order, each recognized by its content. A holidays file belongs
    to the schedule `holidays_for` names it under, else to the schedule whose id its file name
    contains, else to the only schedule."""
    out = ZendeskSettings()
    loose: list[tuple[Path, list[Record]]] = []
    explicit = {Path(p): str(sid) for sid, p in (holidays_for or {}).items()}
    for path in [*paths, *(p for p in explicit if p not in paths)]:
        found = _kind_of(_load(path))
        if found is None:
            raise ImportDataError(
                f"{path}: not a Zendesk schedules, holidays, SLA policies or groups response "
                '(expected {"schedules": [...]}, {"holidays": [...]}, {"sla_policies": [...]} '
                'or {"groups": [...]})'
            )
        kind, items = found
        if kind == "schedules":
            out.schedules.extend(items)
        elif kind == "sla_policies":
            out.sla_policies.extend(items)
        elif kind == "groups":
            for g in items:
                gid, name = _text(g.get("id")), _text(g.get("name"))
                if gid is not None:
                    out.groups[gid] = name or gid
        elif path in explicit:
            out.holidays.setdefault(explicit[path], []).extend(items)
        else:
            loose.append((path, items))
    ids = [sid for s in out.schedules if (sid := _text(s.get("id"))) is not None]
    for path, items in loose:
        named = [sid for sid in ids if sid in re.findall(r"\d+", path.stem)] or [
            sid for sid in ids if sid in path.stem
        ]
        if len(named) == 1:
            sid = named[0]
        elif len(ids) == 1:
            sid = ids[0]
        else:
            raise ImportDataError(
                f"{path}: holidays of which schedule? Name the file holidays-<schedule_id>.json "
                f"or pass --holidays SCHEDULE_ID={path} (schedules: {', '.join(ids) or 'none'})"
            )
        out.holidays.setdefault(sid, []).extend(items)
    for sid in out.holidays:
        if sid not in ids:
            raise ImportDataError(f"holidays given for schedule {sid}, which no schedule file has")
    return out


# --- schedules ---------------------------------------------------------------------------


def iana_zone(name: str) -> str:
    """A Zendesk (Rails) time zone name → IANA; an IANA name is kept as it is."""
    mapped = RAILS_TIME_ZONES.get(name) or _RAILS_FOLDED.get(name.strip().casefold())
    if mapped:
        return mapped
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ImportDataError(
            f"time zone {name!r} is neither a Rails zone name Zendesk uses nor an IANA zone"
        ) from exc
    return name


def _clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def weekly_hours(intervals: Iterable[Mapping[str, Any]]) -> dict[str, str]:
    """Zendesk intervals (minutes since Sunday 00:00, local) → open periods per weekday
    ("mon" = "09:00-12:00,13:00-17:00"). An interval running past midnight is split at it; an
    interval past the end of the week (Saturday 24:00) wraps to Sunday; touching or overlapping
    periods of one day are merged."""
    days: dict[int, list[tuple[int, int]]] = {}  # 0 = Sunday
    for iv in intervals:
        try:
            start, end = int(iv["start_time"]), int(iv["end_time"])
        except (KeyError, TypeError, ValueError) as exc:
            raise ImportDataError(f"schedule interval {dict(iv)!r} has no start/end time") from exc
        if start < 0 or end <= start or end - start > 7 * 1440:
            raise ImportDataError(f"schedule interval {start}–{end} is not a period of one week")
        while start < end:
            day_start = start - start % 1440
            stop = min(end, day_start + 1440)
            days.setdefault((day_start // 1440) % 7, []).append(
                (start - day_start, stop - day_start)
            )
            start = stop
    hours: dict[str, str] = {}
    for zd_day in (1, 2, 3, 4, 5, 6, 0):  # Monday first, as deskmetrics.toml lists them
        merged: list[list[int]] = []
        for s, e in sorted(days.get(zd_day, [])):
            if merged and s <= merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], e)
            else:
                merged.append([s, e])
        if merged:
            hours[WEEKDAYS[(zd_day + 6) % 7]] = ",".join(
                f"{_clock(s)}-{_clock(e)}" for s, e in merged
            )
    return hours


def holiday_dates(holidays: Iterable[Mapping[str, Any]]) -> list[str]:
    """Zendesk holidays (start_date to end_date, both included) → every closed date, sorted."""
    dates: set[date] = set()
    for h in holidays:
        try:
            first = date.fromisoformat(str(h["start_date"]))
            last = date.fromisoformat(str(h.get("end_date") or h["start_date"]))
        except (KeyError, ValueError) as exc:
            raise ImportDataError(f"holiday {dict(h)!r} has no valid start_date/end_date") from exc
        if last < first:
            raise ImportDataError(f"holiday {h.get('name')!r} ends before it starts")
        dates.update(first + timedelta(days=i) for i in range((last - first).days + 1))
    return [d.isoformat() for d in sorted(dates)]


def convert_schedules(
    zd: ZendeskSettings, default_schedule: str | None = None
) -> list[ScheduleOut]:
    """Each Zendesk schedule as a `[schedules.<id>]` table; the first one (or
    `default_schedule`) is the default, for tickets that name no schedule."""
    ids = [_text(s.get("id")) for s in zd.schedules]
    if default_schedule is not None and default_schedule not in ids:
        raise ImportDataError(f"--default-schedule {default_schedule}: no schedule has that id")
    out: list[ScheduleOut] = []
    for i, s in enumerate(zd.schedules):
        sid = ids[i]
        if sid is None:
            raise ImportDataError(f"schedule {s.get('name')!r} has no id")
        zone_name = _text(s.get("time_zone")) or "UTC"
        zone = iana_zone(zone_name)
        values: dict[str, Any] = {"timezone": zone, "hours": weekly_hours(s.get("intervals") or [])}
        nested: list[Record] = s["holidays"] if isinstance(s.get("holidays"), list) else []
        dates = holiday_dates([*nested, *zd.holidays.get(sid, [])])
        if dates:
            values["holidays"] = {"dates": dates}
        if sid == (default_schedule or ids[0]):
            values["default"] = True
        zone_note = "" if zone == zone_name else f', time zone "{zone_name}"'
        out.append(
            ScheduleOut(sid, f'Zendesk schedule "{s.get("name") or sid}"{zone_note}', values)
        )
    return out


# --- SLA policies ------------------------------------------------------------------------


def duration(minutes: float) -> str:
    """Minutes → '45m', '2h', '1h30m', '48h' (hours, never days: a business-time '1d' would read
    as one business day)."""
    seconds = round(minutes * 60)
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    text = (f"{h}h" if h else "") + (f"{m}m" if m else "") + (f"{s}s" if s else "")
    return text or "0m"


def _describe(cond: Mapping[str, Any]) -> str:
    return f"{cond.get('field')} {cond.get('operator')} {json.dumps(cond.get('value'))}"


def _values(value: Any) -> list[str]:
    vals = value if isinstance(value, list) else [value]
    return [t for v in vals if (t := _text(v)) is not None]


def _priorities(cond: Mapping[str, Any]) -> set[str] | None:
    """The priorities a priority condition lets through (None: an operator not understood)."""
    op, vals = cond.get("operator"), [v.lower() for v in _values(cond.get("value"))]
    if not vals or any(v not in PRIORITIES for v in vals):
        return None
    rank = PRIORITIES.index(vals[0])
    if op == "is":
        return set(vals)
    if op == "is_not":
        return set(PRIORITIES) - set(vals)
    if op == "less_than":
        return set(PRIORITIES[:rank])
    if op == "greater_than":
        return set(PRIORITIES[rank + 1 :])
    return None


@dataclass
class _Cond:
    key: str
    values: list[str]
    approx: str | None = None


def _condition(cond: Mapping[str, Any], groups: Mapping[str, str]) -> _Cond | str:
    """One Zendesk condition as a deskmetrics `when` entry, or why it cannot be one."""
    name, op = str(cond.get("field")), cond.get("operator")
    key = _FIELDS.get(name)
    if key is None:
        return "deskmetrics tickets have no such field"
    vals = _values(cond.get("value"))
    if key == "tags":
        if op != "includes":
            return "`when` can only match tickets having any of some tags"
        tags = [t for v in vals for t in v.split()]
        return _Cond("tags", tags) if tags else "no tags given"
    if op != "is":
        return "`when` can only match a field equal to one of some values"
    if not vals:
        return "matching an empty field is not possible in `when`"
    if key == "channel":
        chans = [channel_of({"channel": v}) for v in vals]
        if any(c in (None, "other") for c in chans):
            return "this via has no deskmetrics channel"
        listed = sorted({c for c in chans if c is not None})
        return _Cond(
            "channel",
            listed,
            f"via {', '.join(vals)} → channel {', '.join(listed)}, which groups every Zendesk "
            "via of that kind",
        )
    if key == "group":
        missing = [v for v in vals if v not in groups]
        names = [groups.get(v, v) for v in vals]
        approx = (
            f"group {', '.join(missing)} written as the id; tickets imported with groups.json "
            "carry the group's name: give the same groups.json here"
            if missing
            else None
        )
        return _Cond("group", names, approx)
    return _Cond(key, vals)


def _when(
    policy: Mapping[str, Any], groups: Mapping[str, str], subject: str
) -> tuple[dict[str, list[str]], set[str], list[Note]]:
    """A Zendesk filter → (`when` without priority, priorities allowed, notes)."""
    flt: Record = policy["filter"] if isinstance(policy.get("filter"), dict) else {}
    notes: list[Note] = []
    when: dict[str, list[str]] = {}
    allowed = set(PRIORITIES)

    def add(c: _Cond, what: str) -> None:
        if c.approx:
            notes.append(Note(subject, "approximated", c.approx))
        if c.key not in when:
            when[c.key] = c.values
            return
        if c.key == "tags":
            notes.append(
                Note(subject, "not expressed", f"{what}: a second tags condition (`when` ORs tags)")
            )
            return
        both = [v for v in when[c.key] if v in c.values]
        if not both:
            notes.append(
                Note(subject, "not expressed", f"{what}: contradicts an earlier {c.key} condition")
            )
            return
        when[c.key] = both

    for cond in flt.get("all") or []:
        if str(cond.get("field")) == "priority":
            got = _priorities(cond)
            if got is None:
                notes.append(Note(subject, "not expressed", f"{_describe(cond)}: operator unknown"))
            else:
                allowed &= got
            continue
        c = _condition(cond, groups)
        if isinstance(c, str):
            notes.append(Note(subject, "not expressed", f"{_describe(cond)} ({c})"))
        else:
            add(c, _describe(cond))

    anys = list(flt.get("any") or [])
    if anys:
        what = "any of: " + "; ".join(_describe(c) for c in anys)
        if all(str(c.get("field")) == "priority" for c in anys):
            sets = [_priorities(c) for c in anys]
            if any(s is None for s in sets):
                notes.append(Note(subject, "not expressed", f"{what} (operator unknown)"))
            else:
                allowed &= set().union(*(s for s in sets if s is not None))
            return when, allowed, notes
        conds = [
            _condition(c, groups) if str(c.get("field")) != "priority" else _Cond("priority", [])
            for c in anys
        ]
        bad = [
            f"{_describe(c)} ({r})" for c, r in zip(anys, conds, strict=True) if isinstance(r, str)
        ]
        keys = {r.key for r in conds if not isinstance(r, str)}
        if bad:
            notes.append(Note(subject, "not expressed", f"{what}; cannot say {'; '.join(bad)}"))
        elif len(keys) > 1:
            notes.append(
                Note(subject, "not expressed", f"{what} (`when` cannot OR different fields)")
            )
        else:
            good = [r for r in conds if not isinstance(r, str)]
            merged: list[str] = []
            for r in good:
                merged += [v for v in r.values if v not in merged]
            approx = "; ".join(r.approx for r in good if r.approx) or None
            add(_Cond(good[0].key, merged, approx), what)
    return when, allowed, notes


def _position(p: Mapping[str, Any]) -> float:
    try:
        return float(p["position"])
    except (KeyError, TypeError, ValueError):
        return float("inf")


def _metric_rank(m: Mapping[str, Any]) -> int:
    """Where a policy metric stands in METRICS' preference order (unknown ones last)."""
    names = list(METRICS)
    metric = str(m.get("metric"))
    return names.index(metric) if metric in names else len(names)


def convert_policies(zd: ZendeskSettings) -> tuple[list[PolicyOut], list[Note]]:
    """Zendesk SLA policies, in position order, → deskmetrics policies, one per priority."""
    policies: list[PolicyOut] = []
    notes: list[Note] = []
    ordered = sorted(enumerate(zd.sla_policies), key=lambda ip: (_position(ip[1]), ip[0]))
    for _, zp in ordered:
        title = _text(zp.get("title")) or f"policy {zp.get('id')}"
        subject = f'SLA policy "{title}"'
        when, allowed, pnotes = _when(zp, zd.groups, subject)
        by_priority: dict[str, list[Record]] = {}
        for m in zp.get("policy_metrics") or []:
            prio = (_text(m.get("priority")) or "").lower()
            by_priority.setdefault(prio, []).append(m)
        for prio in by_priority:
            if prio not in PRIORITIES:
                pnotes.append(Note(subject, "not expressed", f"targets for priority {prio!r}"))
            elif prio not in allowed:
                pnotes.append(
                    Note(subject, "not expressed", f"{prio} targets: the filter excludes {prio}")
                )
        head = f'Zendesk SLA policy {zp.get("id")} "{title}" (position {zp.get("position")})'
        shared = [n.line for n in pnotes]
        notes += pnotes
        for prio in reversed(PRIORITIES):  # urgent first, as Zendesk lists them
            if prio not in allowed or prio not in by_priority:
                continue
            psubject = f"{subject} ({prio})"
            values: dict[str, Any] = {"name": f"{title} ({prio})", "when": {"priority": prio}}
            # a ticket whose export names the policy Zendesk applied takes it (by title or id)
            values["source_policy"] = [n for n in (title, _text(zp.get("id"))) if n]
            values["when"].update({k: v[0] if len(v) == 1 else v for k, v in when.items()})
            chosen: dict[Target, tuple[str, Record]] = {}
            comments = [head, *shared]
            for m in sorted(by_priority[prio], key=_metric_rank):
                metric = str(m.get("metric"))
                if metric not in METRICS:
                    n = Note(psubject, "not expressed", f"metric {metric} (unknown to deskmetrics)")
                elif METRICS[metric][0] in chosen:
                    target = METRICS[metric][0]
                    n = Note(
                        psubject,
                        "not expressed",
                        f"{metric}: one {target} target per policy, "
                        f"{chosen[target][0]} already gives it",
                    )
                else:
                    chosen[METRICS[metric][0]] = (metric, m)
                    continue
                notes.append(n)
                comments.append(n.line)
            calendar: list[str] = []
            pause: dict[str, list[str]] = {}
            for target in _TARGET_ORDER:
                if target not in chosen:
                    continue
                metric, m = chosen[target]
                try:
                    if m.get("target") is not None:
                        amount = float(m["target"])
                    else:  # some exports carry only the seconds
                        amount = float(m["target_in_seconds"]) / 60
                except (KeyError, TypeError, ValueError):
                    n = Note(psubject, "not expressed", f"{metric}: no target given")
                    notes.append(n)
                    comments.append(n.line)
                    continue
                values[target] = duration(amount)
                if m.get("business_hours") is False:
                    calendar.append(target)
                statuses = METRICS[metric][1]
                if statuses or target == "resolution":
                    pause[target] = list(statuses)
                if metric != target + "_time":
                    comments.append(f"{target} is Zendesk's {metric}")
            if calendar:
                values["calendar"] = calendar
            if pause:
                values["pause"] = pause
            policies.append(PolicyOut(comments, values))
    return policies, notes


def convert(zd: ZendeskSettings, default_schedule: str | None = None) -> Conversion:
    """Zendesk settings → deskmetrics settings and the notes on what is not exact."""
    schedules = convert_schedules(zd, default_schedule)
    policies, notes = convert_policies(zd)
    business = any(
        m.get("business_hours") is not False
        for p in zd.sla_policies
        for m in p.get("policy_metrics") or []
    )
    if business and not schedules:
        notes.append(
            Note(
                "schedules",
                "approximated",
                "no schedules file given: business-hours targets use deskmetrics' fallback "
                "(Monday–Friday 09:00–17:00 UTC); give Zendesk's schedules.json",
            )
        )
    return Conversion(schedules, policies, notes)


# --- TOML --------------------------------------------------------------------------------

_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")


def _key(k: str) -> str:
    return k if _BARE_KEY.match(k) else json.dumps(k, ensure_ascii=False)


def _value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int | float):
        return repr(v)
    if isinstance(v, str):
        # a JSON string is a valid TOML basic string (same escapes, \uXXXX included)
        return json.dumps(v, ensure_ascii=False)
    if isinstance(v, list):
        return "[" + ", ".join(_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{ " + ", ".join(f"{_key(k)} = {_value(x)}" for k, x in v.items()) + " }"
    raise TypeError(f"no TOML for {type(v).__name__}")


def _comment(text: str) -> str:
    return "# " + " ".join(text.split())


def to_toml(conv: Conversion) -> str:
    """The conversion as deskmetrics.toml text: schedules, then the SLA policies in order, each
    with comments saying where it came from and what of it is not exact."""
    lines = [
        "# deskmetrics settings from Zendesk (`deskmetrics zendesk config`).",
        "# Lines starting with '# not expressed' or '# approximated' differ from Zendesk: review",
        "# them. See docs/configuration.md.",
    ]
    for s in conv.schedules:
        lines += ["", _comment(s.comment), f"[schedules.{_key(s.key)}]"]
        lines += [f"{_key(k)} = {_value(v)}" for k, v in s.values.items()]
    for p in conv.policies:
        lines.append("")
        lines += [_comment(c) for c in p.comments]
        lines.append("[[sla.policies]]")
        lines += [f"{_key(k)} = {_value(v)}" for k, v in p.values.items()]
    return "\n".join(lines) + "\n"


def checked_toml(conv: Conversion) -> str:
    """`to_toml`, read back as deskmetrics reads deskmetrics.toml: a conversion that Settings
    would refuse is an error here, never a file handed to the user."""
    text = to_toml(conv)
    try:
        Settings.model_validate(tomllib.loads(text))
    except (tomllib.TOMLDecodeError, ValidationError) as exc:
        raise ConfigError(f"the settings made from Zendesk's are not valid: {exc}") from exc
    return text


__all__ = [
    "RAILS_TIME_ZONES",
    "Conversion",
    "Note",
    "ZendeskSettings",
    "checked_toml",
    "convert",
    "duration",
    "holiday_dates",
    "iana_zone",
    "read_zendesk_settings",
    "to_toml",
    "weekly_hours",
]
