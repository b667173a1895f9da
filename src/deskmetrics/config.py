"""deskmetrics.toml → typed settings. Configuration is data: schedules, holidays, windows,
targets. Nothing here computes a metric."""

from __future__ import annotations

import os
import re
import tomllib
from datetime import date, time
from itertools import pairwise
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import quote
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from deskmetrics.errors import ConfigError

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_SPAN = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")

#: Used when deskmetrics.toml defines no schedule: Monday–Friday 09:00–17:00 UTC, no holidays.
FALLBACK_SCHEDULE_ID = "standard"


def parse_spans(text: str) -> list[tuple[time, time | None]]:
    """'08:00-12:00,13:00-18:00' → [(08:00, 12:00), (13:00, 18:00)]; an end of 24:00 is None."""
    spans: list[tuple[time, time | None]] = []
    for part in text.split(","):
        if not part.strip():
            continue
        m = _SPAN.match(part)
        if not m:
            raise ValueError(f"opening hours {part.strip()!r} are not like '09:00-17:00'")
        h1, m1, h2, m2 = (int(g) for g in m.groups())
        if h1 > 23 or m1 > 59 or h2 > 24 or m2 > 59 or (h2 == 24 and m2 != 0):
            raise ValueError(f"opening hours {part.strip()!r} are not valid clock times")
        start = time(h1, m1)
        end = None if h2 == 24 else time(h2, m2)
        if end is not None and end <= start:
            raise ValueError(f"opening hours {part.strip()!r} end before they start")
        spans.append((start, end))
    spans.sort(key=lambda s: s[0])
    for (_, e1), (s2, _) in pairwise(spans):
        if e1 is None or e1 > s2:
            raise ValueError(f"opening hours {text!r} overlap")
    return spans


class Holidays(BaseModel):
    model_config = ConfigDict(extra="forbid")
    country: str | None = None
    subdivision: str | None = None
    dates: list[date] = Field(default_factory=list)


class Schedule(BaseModel):
    """Business hours: a time zone, open periods per weekday (local wall clock), holidays."""

    model_config = ConfigDict(extra="forbid")
    id: str = ""
    timezone: str = "UTC"
    hours: dict[str, str] = Field(default_factory=dict)
    holidays: Holidays = Field(default_factory=Holidays)
    default: bool = False

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, v: str) -> str:
        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(
                f"unknown time zone {v!r} (use an IANA name like Europe/Berlin)"
            ) from exc
        return v

    @field_validator("hours")
    @classmethod
    def _valid_hours(cls, v: dict[str, str]) -> dict[str, str]:
        for day, spans in v.items():
            if day not in WEEKDAYS:
                raise ValueError(f"unknown weekday {day!r} (use {', '.join(WEEKDAYS)})")
            parse_spans(spans)
        return v

    def spans(self, weekday: int) -> list[tuple[time, time | None]]:
        """Open periods on a weekday (0 = Monday)."""
        return parse_spans(self.hours.get(WEEKDAYS[weekday], ""))


class FcrSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    window_days: Annotated[float, Field(gt=0)] = 7
    #: ticket columns that must also match for a later ticket to count as a repeat contact
    same: list[str] = Field(default_factory=list)


class SurveyDispatch(BaseModel):
    """`[surveys.dispatch]`: e-mail the survey link a set time after a ticket is solved, once
    per ticket, skipping customers surveyed within the quiet period and tickets no longer solved
    (reopened) when the time comes."""

    model_config = ConfigDict(extra="forbid")
    enabled: bool = False
    kind: str = Field(default="csat", pattern="^(csat|nps|ces)$")
    #: hours after the (latest) solve; 24 as Zendesk's satisfaction automation
    delay_hours: Annotated[float, Field(ge=0)] = 24
    #: a customer sent (or answering) a survey this recently is not asked again
    quiet_days: Annotated[float, Field(ge=0)] = 7
    #: tickets solved longer than delay + this ago are never surveyed (no flood of old tickets
    #: on the first run or after an outage; a failed send is retried until then)
    window_days: Annotated[float, Field(gt=0)] = 7
    #: how long the link in the e-mail stays valid
    link_days: Annotated[float, Field(gt=0)] = 30
    #: the customers column holding the address; else the tickets column `requester_email`
    email_column: str = "email"
    subject: str = "How did we do? A one-question survey about your request"


class SurveySettings(BaseModel):
    """When an answer counts as satisfied (CSAT) or easy (CES), per scale. Override per scale,
    e.g. `csat_satisfied = { "1-5" = 5 }` to count only top-box answers."""

    model_config = ConfigDict(extra="forbid")
    #: lowest satisfied score per CSAT scale ("good" is satisfied on good-bad)
    csat_satisfied: dict[str, float] = Field(
        default_factory=lambda: {"1-5": 4.0, "1-7": 6.0, "1-10": 8.0, "0-10": 8.0, "0-100": 80.0}
    )
    #: CES answers on the easy side: at least this on higher-easier scales (at most the
    #: mirrored value on lower-easier ones)
    ces_easy: dict[str, float] = Field(
        default_factory=lambda: {"1-5": 4.0, "1-7": 6.0, "1-10": 8.0, "0-10": 8.0, "0-100": 80.0}
    )
    dispatch: SurveyDispatch = Field(default_factory=SurveyDispatch)


SLA_TARGETS = ("first_reply", "next_reply", "periodic_update", "resolution")
#: statuses that pause each target kind unless a policy says otherwise (Zendesk: reply timers
#: never pause; resolution is its "requester wait time", paused while pending)
SLA_DEFAULT_PAUSE: dict[str, tuple[str, ...]] = {
    "first_reply": (),
    "next_reply": (),
    "periodic_update": (),
    "resolution": ("pending",),
}
_DURATION = re.compile(r"(\d+(?:\.\d+)?)\s*(d|h|m|min|s)", re.IGNORECASE)
_UNIT_SECONDS = {"d": 86400, "h": 3600, "m": 60, "min": 60, "s": 1}


def parse_duration(value: str | float | int) -> int:
    """'1h', '30m', '1h30m', '2d', '90s' (or a number of minutes) → seconds (> 0)."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        seconds = float(value) * 60
    else:
        text = str(value).strip().replace(" ", "")
        parts = _DURATION.findall(text)
        if not parts or "".join(n + u for n, u in parts).lower() != text.lower():
            raise ValueError(
                f"duration {value!r} is not like '30m', '1h', '1h30m' or '2d' (or minutes)"
            )
        seconds = sum(float(n) * _UNIT_SECONDS[u.lower()] for n, u in parts)
    if seconds <= 0:
        raise ValueError(f"duration {value!r} must be longer than zero")
    return round(seconds)


class SlaPolicy(BaseModel):
    """One SLA policy (`[[sla.policies]]`): which tickets it covers and its targets.

    Policies are tried in order and the first whose `when` matches wins. `when` maps a ticket
    column (or `tier` of the requester in customers, `team` for `group`, `tags` matching any
    listed tag) to a value or list of values. Targets are durations ('1h', '30m', '2d');
    business time of `schedule` (default: the ticket's schedule) unless `calendar` is true (or
    lists the targets measured in calendar time). `pause` overrides, per target, the statuses
    during which its clock stops."""

    model_config = ConfigDict(extra="forbid")
    name: str
    when: dict[str, Any] = Field(default_factory=dict)
    first_reply: str | float | None = None
    next_reply: str | float | None = None
    periodic_update: str | float | None = None
    resolution: str | float | None = None
    calendar: bool | list[str] = False
    schedule: str | None = None
    pause: dict[str, list[str]] = Field(default_factory=dict)
    #: the help desk's own names (title, id) of the policy this one stands for: a ticket whose
    #: `sla_policy` column names one of them (the policy its help desk applied) takes this
    #: policy, matched on `priority` only, before any `when` is tried; tickets that name no
    #: policy are matched by `when` as usual
    source_policy: list[str] = Field(default_factory=list)

    @field_validator("source_policy", mode="before")
    @classmethod
    def _names(cls, v: Any) -> list[str]:
        return [str(x) for x in (v if isinstance(v, list | tuple) else [v])] if v else []

    @field_validator("first_reply", "next_reply", "periodic_update", "resolution")
    @classmethod
    def _duration(cls, v: str | float | None) -> str | float | None:
        if v is not None:
            parse_duration(v)
        return v

    @field_validator("calendar")
    @classmethod
    def _calendar_targets(cls, v: bool | list[str]) -> bool | list[str]:
        if isinstance(v, list):
            for t in v:
                if t not in SLA_TARGETS:
                    raise ValueError(f"unknown SLA target {t!r} (use {', '.join(SLA_TARGETS)})")
        return v

    @field_validator("pause")
    @classmethod
    def _pause(cls, v: dict[str, list[str]]) -> dict[str, list[str]]:
        statuses = ("new", "open", "pending", "hold")
        for t, sts in v.items():
            if t not in SLA_TARGETS:
                raise ValueError(f"pause: unknown SLA target {t!r} (use {', '.join(SLA_TARGETS)})")
            for st in sts:
                if st not in statuses:
                    raise ValueError(
                        f"pause.{t}: {st!r} is not a status that can pause (use "
                        f"{', '.join(statuses)})"
                    )
        return v

    def target_seconds(self, target: str) -> int | None:
        """The target in seconds, or None when the policy sets none."""
        v = getattr(self, target)
        return None if v is None else parse_duration(v)

    def in_calendar_time(self, target: str) -> bool:
        return target in self.calendar if isinstance(self.calendar, list) else self.calendar

    def paused_by(self, target: str) -> tuple[str, ...]:
        return tuple(self.pause.get(target, SLA_DEFAULT_PAUSE[target]))


class SlaSettings(BaseModel):
    """`[sla]`: the ordered policies and the at-risk warning window (the smaller of
    `warning_fraction` × target and `warning_max`)."""

    model_config = ConfigDict(extra="forbid")
    policies: list[SlaPolicy] = Field(default_factory=list)
    warning_fraction: Annotated[float, Field(gt=0, le=1)] = 0.2
    warning_max: str | float = "1h"

    @field_validator("warning_max")
    @classmethod
    def _warning_max(cls, v: str | float) -> str | float:
        parse_duration(v)
        return v

    @property
    def warning_max_seconds(self) -> int:
        return parse_duration(self.warning_max)


class LimitSettings(BaseModel):
    """`[limits]`: what an import (files or the web service) accepts as plausible. Rows outside
    are rejected with the reason; rows already stored outside are left out of every query and
    named in `explain` (an older version may have stored them)."""

    model_config = ConfigDict(extra="forbid")
    #: no instant or date of any table before this day (UTC)
    earliest: date = date(1990, 1, 1)
    #: how far after the current time an instant that has happened may lie (a ticket's
    #: creation, an event, an answer, a post): clocks drift, but not by more
    recorded_ahead: str | float = "1d"
    #: how far after the current time a planned instant may lie (a subscription's start or
    #: end, a churn date given in advance, a cost period)
    planned_ahead: str | float = "3660d"
    #: the longest plausible talk, hold or wrap time of one interaction
    max_duration: str | float = "7d"
    #: the largest magnitude of any number (amounts, counts, `seq`): 2^53, up to which a
    #: number keeps every integer exact (Zendesk ids as `seq`)
    max_number: Annotated[float, Field(gt=0)] = 2.0**53
    #: extra (non-canonical) columns a file or request may bring to tickets, customers or
    #: agents (each is kept for ever)
    max_extra_columns: Annotated[int, Field(ge=0)] = 200
    #: the longest text value, in characters
    max_field_chars: Annotated[int, Field(gt=0)] = 1_000_000
    #: the deepest nesting of a JSON value (objects and arrays) in a JSON Lines file
    max_json_depth: Annotated[int, Field(ge=3, le=500)] = 64

    @field_validator("recorded_ahead", "planned_ahead", "max_duration")
    @classmethod
    def _duration(cls, v: str | float) -> str | float:
        parse_duration(v)
        return v

    @property
    def recorded_ahead_seconds(self) -> int:
        return parse_duration(self.recorded_ahead)

    @property
    def planned_ahead_seconds(self) -> int:
        return parse_duration(self.planned_ahead)

    @property
    def max_duration_seconds(self) -> int:
        return parse_duration(self.max_duration)


class IngestSource(BaseModel):
    """A machine that posts canonical rows to the web service, signing each body with HMAC."""

    model_config = ConfigDict(extra="forbid")
    #: the shared secret itself (keep it out of the repo) or, better, the variable that holds it
    secret: str | None = None
    secret_env: str | None = None

    def resolved_secret(self) -> str | None:
        if self.secret_env:
            return os.environ.get(self.secret_env) or self.secret
        return self.secret


class SignInSettings(BaseModel):
    """Throttling of sign-in (`[web.sign_in]`): after `max_failures` wrong passwords for one
    name within `window_minutes` (or `address_max_failures` from one client address), sign-in
    for that name (address) is locked for `lockout_seconds`, doubling at each further lockout
    up to `lockout_max_seconds`; even the right password gets 429 while locked. Apart from
    that, one address may try `attempts_per_second` times a second."""

    model_config = ConfigDict(extra="forbid")
    max_failures: Annotated[int, Field(ge=1)] = 5
    address_max_failures: Annotated[int, Field(ge=1)] = 20
    window_minutes: Annotated[float, Field(gt=0)] = 15
    lockout_seconds: Annotated[float, Field(gt=0)] = 60
    lockout_max_seconds: Annotated[float, Field(gt=0)] = 900
    attempts_per_second: Annotated[float, Field(gt=0)] = 10


class HelpdeskSettings(BaseModel):
    """Where the team's help desk shows a ticket: pages link every ticket id there."""

    model_config = ConfigDict(extra="forbid")
    #: the address of a ticket, with `{id}` where its id goes, e.g.
    #: "https://acme.zendesk.com/agent/tickets/{id}"
    ticket_url: str | None = None

    @field_validator("ticket_url")
    @classmethod
    def _ticket_url(cls, v: str | None) -> str | None:
        if v is None:
            return None
        if not v.startswith(("https://", "http://")) or "{id}" not in v:
            raise ValueError(
                "[helpdesk] ticket_url: an http(s) address with {id} where the ticket id goes, "
                'e.g. "https://acme.zendesk.com/agent/tickets/{id}"'
            )
        return v

    def ticket_link(self, ticket_id: object) -> str | None:
        """The help desk's address of `ticket_id` (its id quoted), None when none is set."""
        if self.ticket_url is None or ticket_id is None:
            return None
        return self.ticket_url.replace("{id}", quote(str(ticket_id), safe=""))


class WebSettings(BaseModel):
    """The web service (`deskmetrics serve`): sessions, public address, ingestion sources,
    sign-in throttling, and how it shares the workspace file with `deskmetrics` commands."""

    model_config = ConfigDict(extra="allow")
    #: signs sessions and survey links; read from this environment variable (never the repo)
    secret_env: str = "DESKMETRICS_SECRET"
    #: the address people reach the service at (survey links, e-mails)
    public_url: str = "http://127.0.0.1:8000"
    session_hours: Annotated[float, Field(gt=0)] = 12
    #: who may read /docs and /openapi.json: anyone, anyone signed in (or with a token), nobody
    api_docs: Literal["public", "signed-in", "off"] = "signed-in"
    #: per source name: how its HMAC signature is checked (`[web.sources.NAME]`)
    sources: dict[str, IngestSource] = Field(default_factory=dict)
    #: the largest request body read (bytes); a larger one is refused with 413 before any of it
    #: is parsed or its signature checked. 8 MiB: ~25,000 events per signed batch
    max_body_bytes: Annotated[int, Field(ge=1024)] = 8 * 1024 * 1024
    #: how far a signed delivery's timestamp may lie from now, either way (older ones are
    #: replays, refused with 401)
    signature_tolerance_seconds: Annotated[float, Field(gt=0)] = 300.0
    sign_in: SignInSettings = Field(default_factory=SignInSettings)
    #: the service closes the workspace file after this many idle seconds (a command that
    #: waits for it gets it after the current request anyway)
    release_idle_seconds: Annotated[float, Field(gt=0)] = 2.0
    #: a request that finds the file held by a command waits this long, then gets 503
    busy_wait_seconds: Annotated[float, Field(gt=0)] = 30.0
    #: a computed result is answered again, without computing, while no data arrived (every
    #: import, ingest and delete goes through the store) for up to this many seconds: running
    #: clocks (backlog age, open SLA targets) move on at the next computation. 0: never
    result_cache_seconds: Annotated[float, Field(ge=0)] = 30.0
    #: a report, an explanation or a dashboard page (overview, trends, breakdowns, heatmap)
    #: may be answered from a result made up to this many seconds
    #: ago even when data arrived since (the answer says its age in the `Age` header; a
    #: request with `Cache-Control: no-cache` is always computed): under live ingest, reads
    #: then neither wait behind the writes nor compute again after each one. 0: every read
    #: after a change computes (what was acknowledged is in the next answer)
    results_may_lag_seconds: Annotated[float, Field(ge=0)] = 0.0
    #: requests the service works on at once (each in a thread; one waiting for the
    #: workspace holds its thread)
    threads: Annotated[int, Field(ge=1, le=10_000)] = 200
    #: served from another engine (`--db URL`): how many connections to it the service holds,
    #: each answering one request at a time (more requests wait up to `busy_wait_seconds`)
    pool_size: Annotated[int, Field(ge=1, le=256)] = 8

    def resolved_secret(self) -> str | None:
        return os.environ.get(self.secret_env) or None


class EmailSettings(BaseModel):
    """The SMTP server deskmetrics sends alerts, reports and survey invitations through
    (`[email]`). The password is read from the environment variable `password_env`, never from
    the file."""

    model_config = ConfigDict(extra="forbid")
    #: None: e-mail is not configured (sending fails with a message saying so)
    host: str | None = None
    #: 0 means the usual port for `security`: 25 (none), 587 (starttls), 465 (ssl)
    port: Annotated[int, Field(ge=0, le=65535)] = 0
    sender: str = "deskmetrics@localhost"
    username: str | None = None
    password_env: str | None = None
    #: "none" (plain SMTP, e.g. a local relay), "starttls" (upgrade) or "ssl" (implicit TLS)
    security: Literal["none", "starttls", "ssl"] = "none"
    timeout: Annotated[float, Field(gt=0)] = 10.0

    @property
    def resolved_port(self) -> int:
        return self.port or {"none": 25, "starttls": 587, "ssl": 465}[self.security]

    def resolved_password(self) -> str | None:
        return os.environ.get(self.password_env) if self.password_env else None


class WebhookTarget(BaseModel):
    """A receiver of signed JSON posts (`[webhooks.NAME]`). The body is signed with
    HMAC-SHA256 under the secret in `secret_env` (header `X-Deskmetrics-Signature`)."""

    model_config = ConfigDict(extra="forbid")
    url: str
    secret_env: str | None = None
    #: "json" (deskmetrics' own payload) or "slack" (a Slack-compatible `{"text": ...}`)
    format: Literal["json", "slack"] = "json"
    timeout: Annotated[float, Field(gt=0)] = 10.0

    def resolved_secret(self) -> str | None:
        return os.environ.get(self.secret_env) if self.secret_env else None


class DeliverySettings(BaseModel):
    """How hard the outbox tries (`[delivery]`): attempt k waits base·2^(k-1) seconds (capped)
    before attempt k+1; after `max_attempts` a message is marked failed (kept, not lost)."""

    model_config = ConfigDict(extra="forbid")
    retry_base_seconds: Annotated[float, Field(gt=0)] = 30.0
    retry_max_seconds: Annotated[float, Field(gt=0)] = 3600.0
    max_attempts: Annotated[int, Field(ge=1)] = 10


class AlertRule(BaseModel):
    """One alert rule (`[[alerts.rules]]` or POST /api/alerts/rules). Kinds:

    - `threshold`: `statistic` (value, p50 or p90) of registry `metric` over the last
      `window_hours` is `above` or `below` a number, per group of `by` (e.g. per team);
    - `spike`: the count `metric` (volume, mentions) over the window is at least `factor` times
      its average per window over the `baseline_days` before; for a rate where higher is worse
      (ai_handoff_rate, reopen_rate …): at least `factor` times the rate of the `baseline_days`
      before, and more than chance (two-proportion test, 5 %);
    - `sla`: tickets `sla_state` (at_risk or breached) now number more than `above` (default 0).

    A group with fewer than `min_n` observations is not judged (its state stays as it was)."""

    model_config = ConfigDict(extra="forbid")
    name: Annotated[str, Field(min_length=1, max_length=80, pattern=r"^[A-Za-z0-9_.:-]+$")]
    kind: Literal["threshold", "spike", "sla"] = "threshold"
    metric: str | None = None
    statistic: Literal["value", "p50", "p90"] = "value"
    above: float | None = None
    below: float | None = None
    window_hours: Annotated[float, Field(gt=0)] = 168.0
    by: list[str] = Field(default_factory=list)
    filters: dict[str, str | list[str]] = Field(default_factory=dict)
    #: spike: how many times the baseline rate counts as a spike, and the baseline's length
    factor: Annotated[float, Field(gt=1)] = 2.0
    baseline_days: Annotated[float, Field(gt=0)] = 28.0
    #: sla: which ticket state is counted
    sla_state: Literal["at_risk", "breached"] = "breached"
    #: None: the `[alerts]` defaults
    min_n: Annotated[int, Field(ge=0)] | None = None
    cooldown_minutes: Annotated[float, Field(ge=0)] | None = None
    #: who hears about it; both empty: `[alerts] email` and `[alerts] webhooks`
    email: list[str] = Field(default_factory=list)
    webhooks: list[str] = Field(default_factory=list)
    enabled: bool = True

    @model_validator(mode="after")
    def _complete(self) -> AlertRule:
        if self.kind in ("threshold", "spike") and not self.metric:
            raise ValueError(f"alert rule {self.name!r}: a {self.kind} rule names a metric")
        if self.kind == "threshold" and (self.above is None) == (self.below is None):
            raise ValueError(f"alert rule {self.name!r}: give exactly one of above or below")
        if self.kind == "spike" and (self.above is not None or self.below is not None):
            raise ValueError(f"alert rule {self.name!r}: a spike rule uses factor, not above/below")
        if self.kind == "sla" and self.below is not None:
            raise ValueError(f"alert rule {self.name!r}: an sla rule counts tickets above a number")
        return self


class ReportSchedule(BaseModel):
    """A scheduled e-mail report (`[[reports.weekly]]`): every `day` at `hour` in `timezone`,
    the headline metrics of the past 7 days against the 7 days before, for `team` (all teams
    when None), to `to`."""

    model_config = ConfigDict(extra="forbid")
    name: Annotated[str, Field(min_length=1)]
    to: Annotated[list[str], Field(min_length=1)]
    team: str | None = None
    day: Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"] = "mon"
    hour: Annotated[int, Field(ge=0, le=23)] = 8
    timezone: str = "UTC"
    #: the metrics to report; empty: the headline set (deskmetrics.present.HEADLINE)
    metrics: list[str] = Field(default_factory=list)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, v: str) -> str:
        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {v!r} (use an IANA name)") from exc
        return v


class ReportSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    weekly: list[ReportSchedule] = Field(default_factory=list)


class AlertSettings(BaseModel):
    """`[alerts]`: defaults for every rule, how often the service evaluates, and the rules."""

    model_config = ConfigDict(extra="forbid")
    #: the service evaluates every rule this often (and after every live ingest)
    interval_minutes: Annotated[float, Field(gt=0)] = 5.0
    #: fewest observations (surveys, tickets) a group needs to be judged at all
    min_n: Annotated[int, Field(ge=0)] = 10
    #: after a notified episode ends, a new one for the same rule and group stays quiet this long
    cooldown_minutes: Annotated[float, Field(ge=0)] = 60.0
    email: list[str] = Field(default_factory=list)
    webhooks: list[str] = Field(default_factory=list)
    rules: list[AlertRule] = Field(default_factory=list)

    @model_validator(mode="after")
    def _unique(self) -> AlertSettings:
        names = [r.name for r in self.rules]
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            raise ValueError(f"alert rule names must be unique; repeated: {dup}")
        return self


class EngineSettings(BaseModel):
    """`[engine]`: where the canonical tables live when not in the DuckDB file `--db` names:
    an engine's URL (`postgres://analyst@db.internal/support`; a password is better given to
    the driver, e.g. PGPASSWORD, than written here). `--db` given on the command line wins."""

    model_config = ConfigDict(extra="forbid")
    url: str | None = None

    @field_validator("url")
    @classmethod
    def _a_url(cls, v: str | None) -> str | None:
        if v is not None and "://" not in v:
            raise ValueError(
                f"{v!r} is not an engine URL (e.g. postgres://user@host/database); a DuckDB "
                "file is named with --db"
            )
        return v


class Settings(BaseModel):
    """Everything deskmetrics.toml can say."""

    model_config = ConfigDict(extra="allow")
    #: time zone for periods and --from/--to when a report names none; default: the default
    #: schedule's zone
    timezone: str | None = None
    schedules: dict[str, Schedule] = Field(default_factory=dict)
    fcr: FcrSettings = Field(default_factory=FcrSettings)
    sla: SlaSettings = Field(default_factory=SlaSettings)
    small_sample: int = 30
    surveys: SurveySettings = Field(default_factory=SurveySettings)
    #: per metric a target value, e.g. `[targets] csat = 85`, `first_response_time = 60`
    targets: dict[str, float] = Field(default_factory=dict)
    #: gross margin as a fraction (0 < x ≤ 1) for predictive CLV; None means 1.0
    gross_margin: Annotated[float, Field(gt=0, le=1)] | None = None
    web: WebSettings = Field(default_factory=WebSettings)
    #: where pages link ticket ids (`[helpdesk] ticket_url`)
    helpdesk: HelpdeskSettings = Field(default_factory=HelpdeskSettings)
    email: EmailSettings = Field(default_factory=EmailSettings)
    #: named webhook receivers alert rules can notify (`[webhooks.NAME]`)
    webhooks: dict[str, WebhookTarget] = Field(default_factory=dict)
    delivery: DeliverySettings = Field(default_factory=DeliverySettings)
    #: what an import accepts as plausible (`[limits]`)
    limits: LimitSettings = Field(default_factory=LimitSettings)
    alerts: AlertSettings = Field(default_factory=AlertSettings)
    reports: ReportSettings = Field(default_factory=ReportSettings)
    #: channel names → the channel reports show (`[channels] voice = "phone"`), over the
    #: built-in help-desk names (`deskmetrics.model.DEFAULT_CHANNELS`); map a name to itself
    #: to keep it as given
    channels: dict[str, str] = Field(default_factory=dict)
    #: the engine holding the canonical tables (`[engine] url`), instead of the DuckDB file
    engine: EngineSettings = Field(default_factory=EngineSettings)

    @field_validator("channels")
    @classmethod
    def _lower_channels(cls, v: dict[str, str]) -> dict[str, str]:
        out = {}
        for name, channel in v.items():
            if not str(channel).strip():
                raise ValueError(f"channel {name!r} is mapped to an empty name")
            out[name.strip().lower()] = str(channel).strip().lower()
        return out

    @model_validator(mode="after")
    def _ids_and_default(self) -> Settings:
        for sid, sch in self.schedules.items():
            sch.id = sid
        defaults = [s.id for s in self.schedules.values() if s.default]
        if len(defaults) > 1:
            raise ValueError(f"only one schedule can be the default, found {defaults}")
        if not self.schedules:
            hours = dict.fromkeys(WEEKDAYS[:5], "09:00-17:00")
            self.schedules[FALLBACK_SCHEDULE_ID] = Schedule(
                id=FALLBACK_SCHEDULE_ID, timezone="UTC", hours=hours, default=True
            )
        elif not defaults:
            next(iter(self.schedules.values())).default = True
        return self

    @property
    def default_schedule(self) -> Schedule:
        return next(s for s in self.schedules.values() if s.default)

    @property
    def report_timezone(self) -> str:
        return self.timezone or self.default_schedule.timezone


def load_settings(path: Path | str | None = None) -> Settings:
    """Read settings from `path` (default ./deskmetrics.toml); a missing default file means
    built-in defaults, a missing named file is an error."""
    explicit = path is not None
    p = Path(path) if path is not None else Path("deskmetrics.toml")
    if not p.exists():
        if explicit:
            raise ConfigError(f"config file {p} does not exist; create it or drop --config")
        return Settings()
    try:
        data = tomllib.loads(p.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{p} is not valid TOML: {exc}") from exc
    try:
        return Settings.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(x) for x in e['loc'])}: {e['msg']}" for e in exc.errors()
        )
        raise ConfigError(f"{p}: {problems}") from exc


def is_engine_url(db: str | Path) -> bool:
    """Whether `--db` names another engine by its Ibis connection URL (postgres://…,
    pyspark://…, bigquery://…) rather than a DuckDB file."""
    return "://" in str(db)
