"""Turn raw rows into canonical rows, rejecting what does not fit with file, row, column and reason.

Validation is vectorized over a whole file (pandas), never a Python loop per row. Checks that
need the stored workspace (an event naming a ticket that exists nowhere, an id already stored
with different content) happen when the rows are stored, and produce rejects of the same shape.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from deskmetrics.errors import ImportDataError
from deskmetrics.model.enums import CES_DIRECTIONS, SURVEY_SCALES
from deskmetrics.model.tables import Column, Kind, Table

#: a UTC offset after a time of day (a date alone, `2026-03-04`, ends in `-04` but has none)
_OFFSET = re.compile(r"[T ]\d{2}(?::?\d{2}){0,2}(?:[.,]\d+)?\s*(?:[zZ]|[+-]\d{2}(?::?\d{2})?)$")
_DATE_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_TRUE = {"true", "1", "yes", "y", "t"}
_FALSE = {"false", "0", "no", "n", "f"}
_ROW = "_row"


class Limits(Protocol):
    """What a row may hold to be plausible (`[limits]` of the settings: `LimitSettings`)."""

    @property
    def earliest(self) -> date: ...
    @property
    def recorded_ahead_seconds(self) -> int: ...
    @property
    def planned_ahead_seconds(self) -> int: ...
    @property
    def max_duration_seconds(self) -> int: ...
    @property
    def max_number(self) -> float: ...
    @property
    def max_extra_columns(self) -> int: ...
    @property
    def max_field_chars(self) -> int: ...
    @property
    def max_json_depth(self) -> int: ...


@dataclass(frozen=True)
class DefaultLimits:
    """The defaults of `[limits]`, for callers without settings (the same values as
    `deskmetrics.config.LimitSettings()`)."""

    earliest: date = date(1990, 1, 1)
    recorded_ahead_seconds: int = 86_400
    planned_ahead_seconds: int = 3660 * 86_400
    max_duration_seconds: int = 7 * 86_400
    max_number: float = 2.0**53
    max_extra_columns: int = 200
    max_field_chars: int = 1_000_000
    max_json_depth: int = 64


DEFAULT_LIMITS: Limits = DefaultLimits()
#: columns deskmetrics keeps beside the canonical ones; a file's own columns may not start so
RESERVED_PREFIX = "_"
#: the longest value a reject repeats (a 1 MB cell is named, not copied)
_REJECT_VALUE_CHARS = 200


def plausible_span(
    col: Column, limits: Limits, now: datetime | None = None
) -> tuple[datetime, datetime]:
    """The earliest and latest plausible instant of timestamp or date column `col` (naive
    UTC): from `earliest` to now plus `planned_ahead` (planned columns) or `recorded_ahead`."""
    now = now or datetime.now(UTC).replace(tzinfo=None)
    ahead = limits.planned_ahead_seconds if col.planned else limits.recorded_ahead_seconds
    lo = datetime(limits.earliest.year, limits.earliest.month, limits.earliest.day)
    return lo, now + timedelta(seconds=ahead)


@dataclass(frozen=True)
class Reject:
    """One problem with one input row: where it is and why it cannot be loaded."""

    table: str
    file: str
    row: int
    column: str
    reason: str
    value: str | None = None

    def __post_init__(self) -> None:
        if self.value is not None and len(self.value) > _REJECT_VALUE_CHARS:
            object.__setattr__(self, "value", self.value[:_REJECT_VALUE_CHARS] + "…")

    def __str__(self) -> str:
        where = f"{self.file}, row {self.row}, column {self.column!r}"
        return f"{where}: {self.reason}"


@dataclass
class SourceFrame:
    """Raw rows of one canonical table as read from one file.

    `frame` holds the file's columns as read; `rows` gives, per frame row, the row number in
    the file that error messages should name (1 = first data row, after any header)."""

    table: Table
    file: str
    frame: pd.DataFrame
    rows: np.ndarray | None = None
    rejects: list[Reject] = field(default_factory=list)

    def row_numbers(self) -> np.ndarray:
        if self.rows is not None:
            return self.rows
        return np.arange(1, len(self.frame) + 1)


@dataclass
class ValidFrame:
    """Canonical, typed rows of one table from one file, plus what was rejected from it."""

    table: Table
    file: str
    frame: pd.DataFrame  # canonical columns (typed), extra columns (text), and `_row`
    rejects: list[Reject]
    rows_read: int
    #: identical repeated rows collapsed to one (counted, so that no row read goes uncounted)
    duplicates: int = 0


def zone(name: str) -> ZoneInfo:
    """The IANA time zone `name`, or an error that says what a zone name looks like."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ImportDataError(
            f"unknown time zone {name!r}: use an IANA name such as 'Europe/Berlin' or 'UTC'"
        ) from exc


def _as_text(s: pd.Series) -> pd.Series:
    """Text with surrounding blanks removed; empty cells become null."""
    return _checked_text(s, None)[0]


def _checked_text(s: pd.Series, limits: Limits | None) -> tuple[pd.Series, pd.Series]:
    """Text as `_as_text` makes it and, per value, whether it is longer than `limits`
    allow (measured in the same vectorized pass; never, without limits)."""
    fine = pd.Series(False, index=s.index)
    if isinstance(s.dtype, pd.StringDtype) or (
        s.dtype == object and pd.api.types.infer_dtype(s, skipna=True) in ("string", "empty")
    ):
        # all text: strip in one vectorized pass in Arrow (a Python call per cell is most of
        # an import; pandas' own string methods convert to and from Arrow around each call)
        given = pa.array(s, type=pa.string(), from_pandas=True)
        arr = pc.utf8_trim_whitespace(given)
        blank = pc.equal(arr, "")
        if s.dtype == object and not pc.any(blank).as_py() and pc.all(pc.equal(arr, given)).as_py():
            # already trimmed, none empty (as importers give text): the same strings, not a
            # new Python string per cell made from Arrow's
            out = s.copy() if not given.null_count else s.where(~_nulls(given), None)
        else:
            arr = pc.if_else(blank, pa.scalar(None, pa.string()), arr)
            out = pd.Series(arr.to_numpy(zero_copy_only=False), index=s.index, dtype="object")
        if limits is None or not len(arr):
            return out, fine
        lengths = pc.utf8_length(arr)
        longest = pc.max(lengths).as_py()
        if longest is None or longest <= limits.max_field_chars:
            return out, fine
        long = pc.fill_null(pc.greater(lengths, limits.max_field_chars), False)
        return out, pd.Series(long.to_numpy(zero_copy_only=False), index=s.index, dtype=bool)
    if pd.api.types.is_integer_dtype(s.dtype) or pd.api.types.is_bool_dtype(s.dtype):
        return s.astype("string[pyarrow]").astype("object").where(s.notna(), None), fine
    out = s.astype("object").where(s.notna(), None)
    mask = out.notna()
    if mask.any():
        txt = out[mask].map(_to_text)
        out = out.astype("object")
        out[mask] = txt
        out = out.where(out != "", None)
    # values that were not all text (numbers, JSON objects) became text one by one
    return out, fine if limits is None else _too_long(out, limits)


def _nulls(arr: pa.Array) -> np.ndarray:
    """Where an Arrow array is null (None, NaN or NA in the pandas values it was made from),
    without pandas' object-by-object look."""
    return np.asarray(arr.is_null().to_numpy(zero_copy_only=False), dtype=bool)


def _to_text(v: object) -> str:
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v).strip()


def _reasons(index: pd.Index) -> pd.Series:
    return pd.Series(None, index=index, dtype="object")


def _parse_timestamps(raw: pd.Series, assume_tz: str | None) -> tuple[pd.Series, pd.Series]:
    """UTC timestamps (tz-naive, in UTC) and, per value, why it failed (null when fine)."""
    why = _reasons(raw.index)
    no_offset = (
        "timestamp has no UTC offset; add one (e.g. Z or +01:00) or import with --assume-tz ZONE"
    )
    if isinstance(raw.dtype, pd.DatetimeTZDtype):
        return raw.dt.tz_convert("UTC").dt.tz_localize(None), why
    if pd.api.types.is_datetime64_any_dtype(raw.dtype):
        if assume_tz is None:
            why[raw.notna()] = no_offset
            return raw.where(raw.isna()), why
        loc = raw.dt.tz_localize(zone(assume_tz), ambiguous="NaT", nonexistent="NaT")
        why[raw.notna() & loc.isna()] = _dst_gap(assume_tz)
        return loc.dt.tz_convert("UTC").dt.tz_localize(None), why
    text = _as_text(raw)
    out = pd.Series(pd.NaT, index=raw.index, dtype="datetime64[us]")
    present = text.notna()
    if not present.any():
        return out, why
    vals = text[present].astype(str)
    has_offset = _has_offset(vals)
    if has_offset.any():
        parsed = pd.to_datetime(vals[has_offset], format="ISO8601", utc=True, errors="coerce")
        out[parsed.index] = parsed.dt.tz_localize(None).astype("datetime64[us]")
        why[parsed.index[parsed.isna()]] = _NOT_TS
    naive = vals[~has_offset]
    if len(naive):
        parsed = pd.to_datetime(naive, format="ISO8601", errors="coerce")
        why[parsed.index[parsed.isna()]] = _NOT_TS
        ok = parsed[parsed.notna()]
        if assume_tz is None:
            why[ok.index] = no_offset
            day_only = naive[ok.index].str.match(_DATE_ONLY)
            why[day_only[day_only].index] = (
                "a date without a time of day has no UTC offset; give the instant with an "
                "offset (e.g. 2026-03-04T00:00:00Z) or import with --assume-tz ZONE (a date "
                "is then midnight there)"
            )
        elif len(ok):
            loc = ok.dt.tz_localize(zone(assume_tz), ambiguous="NaT", nonexistent="NaT")
            out[loc.index] = loc.dt.tz_convert("UTC").dt.tz_localize(None).astype("datetime64[us]")
            why[loc.index[loc.isna()]] = _dst_gap(assume_tz)
    return out, why


#: an instant as APIs write it (2026-03-01T09:30:00Z, .fff, or an offset +01:00): it has an
#: offset (`_OFFSET` finds one in it), answered in Arrow rather than a search per value
_USUAL_INSTANT = (
    r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,9})?"
    r"([zZ]|[+-][0-9]{2}:[0-9]{2})$"
)


def _has_offset(vals: pd.Series) -> pd.Series:
    """`vals.str.contains(_OFFSET)` (text values): instants in the usual form are told at once
    in Arrow; only the others are searched with the regular expression."""
    usual = pc.match_substring_regex(pa.array(vals, type=pa.string()), _USUAL_INSTANT)
    out = pd.Series(np.asarray(usual.to_numpy(zero_copy_only=False), dtype=bool), index=vals.index)
    if not out.all():
        rest = vals[~out]
        out[rest.index] = rest.str.contains(_OFFSET).astype(bool)
    return out


#: per event type, the column it cannot be measured without
_EVENT_NEEDS = (
    ("message", "author_role", "a message needs author_role (customer, agent or bot)"),
    ("status", "status", "a status event needs the status the ticket changed to"),
    ("schedule", "schedule_id", "a schedule event needs the schedule_id in force from then"),
)

_NOT_TS = "not an ISO 8601 timestamp (e.g. 2026-03-01T09:30:00Z)"


def _dst_gap(tz: str) -> str:
    return (
        f"this local time does not exist or is ambiguous in {tz} (daylight-saving change); "
        "give it with a UTC offset"
    )


def _parse_column(
    col: Column, raw: pd.Series, assume_tz: str | None, limits: Limits = DEFAULT_LIMITS
) -> tuple[pd.Series, pd.Series]:
    """Typed values and, per value, why it failed (null when fine)."""
    why = _reasons(raw.index)
    if col.kind is Kind.TIMESTAMP:
        values, why = _parse_timestamps(raw, assume_tz)
        return values, _implausible_instants(col, values, why, limits)
    if col.kind is Kind.DATE:
        text = _as_text(raw)
        parsed = pd.to_datetime(text, format="ISO8601", errors="coerce")
        if parsed.dt.tz is not None:
            parsed = parsed.dt.tz_localize(None)
        why[text.notna() & parsed.isna()] = "not an ISO 8601 date (e.g. 2026-03-01)"
        values = parsed.dt.normalize()
        return values, _implausible_instants(col, values, why, limits)
    if col.kind is Kind.NUMBER:
        if pd.api.types.is_numeric_dtype(raw.dtype) and not pd.api.types.is_bool_dtype(raw.dtype):
            num = raw.astype("float64")
        else:
            text = _as_text(raw)
            whole = _whole_numbers(text)
            num = pd.to_numeric(text, errors="coerce").astype("float64") if whole is None else whole
            why[text.notna() & num.isna()] = "not a number"
        return num, _implausible_numbers(col, num, why, limits)
    if col.kind is Kind.BOOLEAN:
        if pd.api.types.is_bool_dtype(raw.dtype):
            return raw.astype("object"), why
        text = _as_text(raw)
        low = text.str.lower()
        val = pd.Series(None, index=raw.index, dtype="object")
        val[low.isin(_TRUE)] = True
        val[low.isin(_FALSE)] = False
        why[text.notna() & val.isna()] = "not a boolean (use true/false, 1/0 or yes/no)"
        return val, why
    text, long = _checked_text(raw, limits)
    why[long] = _too_long_reason(limits)
    if col.vocabulary:
        return text.str.lower().where(text.notna(), None), why
    if col.choices is not None:
        low = text.str.lower()
        allowed = ", ".join(sorted(col.choices))
        why[text.notna() & ~low.isin(col.choices)] = f"unknown {col.name} (allowed: {allowed})"
        return low.where(text.notna(), None), why
    return text, why


def _whole_numbers(text: pd.Series) -> pd.Series | None:
    """`pd.to_numeric(text).astype("float64")` when every value is a whole number of at most 15
    digits (a float holds each exactly), read in Arrow; None for anything else (then pandas
    reads it)."""
    if text.dtype != object or not len(text):
        return None
    arr = pa.array(text, type=pa.string(), from_pandas=True)
    if arr.null_count == len(arr) or not pc.all(pc.match_substring_regex(arr, _WHOLE)).as_py():
        return None
    values = pc.cast(pc.cast(arr, pa.int64()), pa.float64())
    return pd.Series(values.to_numpy(zero_copy_only=False), index=text.index, dtype="float64")


_WHOLE = r"^-?[0-9]{1,15}$"


def _implausible_instants(
    col: Column, values: pd.Series, why: pd.Series, limits: Limits
) -> pd.Series:
    """`why`, with the reason added for instants outside the plausible span of `col`."""
    lo, hi = plausible_span(col, limits)
    day = col.kind is Kind.DATE
    if day:
        hi = datetime(hi.year, hi.month, hi.day)
    fine = why.isna() & values.notna()
    if not fine.any():
        return why
    shown = "%Y-%m-%d" if day else "%Y-%m-%dT%H:%M:%SZ"
    how = "fix the source, or widen `earliest` in [limits] of deskmetrics.toml"
    early = fine & (values < pd.Timestamp(lo))
    why[early] = f"before the earliest plausible {'date' if day else 'instant'} {lo:{shown}}; {how}"
    late = fine & (values > pd.Timestamp(hi))
    if late.any():
        setting = "planned_ahead" if col.planned else "recorded_ahead"
        ahead = limits.planned_ahead_seconds if col.planned else limits.recorded_ahead_seconds
        open_end = (
            f"; leave {col.name} empty when there is none yet"
            if col.planned and not col.required
            else ""
        )
        why[late] = (
            f"after the latest plausible {'date' if day else 'instant'} {hi:{shown}} (now + "
            f"{_span_text(ahead)}){open_end}; fix the source, or widen `{setting}` in [limits] "
            "of deskmetrics.toml"
        )
    return why


def _span_text(seconds: int) -> str:
    """3600 → '1 hour', 604800 → '7 days'."""
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds % size == 0:
            n = seconds // size
            return f"{n} {unit}{'' if n == 1 else 's'}"
    return f"{seconds} seconds"


def _implausible_numbers(col: Column, num: pd.Series, why: pd.Series, limits: Limits) -> pd.Series:
    """`why`, with the reason added for numbers that no measure can hold: infinite, beyond
    `max_number`, negative where the column cannot be, a duration beyond `max_duration`."""
    fine = why.isna() & num.notna()
    if not fine.any():
        return why
    arr = num.to_numpy(dtype="float64", na_value=np.nan)
    why[fine & np.isinf(arr)] = "not a finite number"
    huge = fine & ~np.isinf(arr) & (np.abs(arr) > limits.max_number)
    why[huge] = (
        f"larger than the largest plausible number {limits.max_number:g}; fix the source, or "
        "raise `max_number` in [limits] of deskmetrics.toml"
    )
    fine &= why.isna()
    if col.nonnegative:
        why[fine & (arr < 0)] = f"{col.name} cannot be negative"
    if col.duration:
        cap = limits.max_duration_seconds
        why[fine & (arr > cap)] = (
            f"{col.name} is longer than the longest plausible {_span_text(cap)} ({cap} s); fix "
            "the source, or raise `max_duration` in [limits] of deskmetrics.toml"
        )
    return why


def _too_long(text: pd.Series, limits: Limits) -> pd.Series:
    """Per value: whether the text is longer than `max_field_chars`."""
    if not text.notna().any():
        return pd.Series(False, index=text.index)
    lengths = text.astype("string[pyarrow]").str.len()
    return (lengths > limits.max_field_chars).fillna(False).astype(bool)


def _too_long_reason(limits: Limits) -> str:
    return (
        f"text longer than {limits.max_field_chars:,} characters; shorten it, or raise "
        "`max_field_chars` in [limits] of deskmetrics.toml"
    )


def _survey_checks(frame: pd.DataFrame) -> list[tuple[pd.Series, str, str]]:
    """Scale and score of survey answers must fit together."""
    out: list[tuple[pd.Series, str, str]] = []
    scale = frame["scale"].fillna("")
    base = scale.str.split(":").str[0]
    direction = scale.str.split(":").str[1].fillna("")
    bad_scale = ~base.isin(SURVEY_SCALES) | ((direction != "") & ~direction.isin(CES_DIRECTIONS))
    bad_scale |= (direction != "") & (frame["kind"] != "ces")
    out.append(
        (
            bad_scale & frame["scale"].notna(),
            "scale",
            (
                "unknown scale (allowed: 1-5, 1-7, 1-10, 0-10, 0-100, good-bad; CES may add "
                ":higher-easier or :lower-easier)"
            ),
        )
    )
    score = frame["score"].fillna("").str.lower()
    num = pd.to_numeric(score, errors="coerce")
    lo = base.str.split("-").str[0]
    hi = base.str.split("-").str[1]
    lo_n = pd.to_numeric(lo, errors="coerce")
    hi_n = pd.to_numeric(hi, errors="coerce")
    is_gb = base == "good-bad"
    ok = (is_gb & score.isin({"good", "bad"})) | (
        ~is_gb & num.notna() & (num >= lo_n) & (num <= hi_n)
    )
    out.append(
        (~ok & ~bad_scale & frame["score"].notna(), "score", "score is not on the answer's scale")
    )
    nps_scale = (frame["kind"] == "nps") & frame["scale"].notna() & (base != "0-10")
    out.append((nps_scale, "scale", "NPS is asked on a 0-10 scale"))
    return out


def _column_problem(
    table: Table, file: str, names: list[str], limits: Limits
) -> tuple[str, str] | None:
    """(column, reason) when the file's columns cannot be loaded at all: a required column
    missing, two names that differ only in case (the workspace's column names ignore case),
    an extra column named like deskmetrics' own (`_row`, `_file` …), too many extra columns."""
    seen: dict[str, str] = {}
    for name in names:
        other = seen.get(name.casefold())
        if other is not None:
            return name, (
                f"columns {other!r} and {name!r} of {file} name the same column (column "
                "names ignore case); rename or remove one"
            )
        seen[name.casefold()] = name
    canonical = {c.casefold(): c for c in table.column_names}
    names = [canonical.get(n.casefold(), n) for n in names]
    missing = [c.name for c in table.columns if c.required and c.name not in names]
    if missing:
        return missing[0], (
            f"required column {missing[0]!r} is missing from {file}; "
            f"{table.name} needs {', '.join(c.name for c in table.columns if c.required)}"
        )
    if not table.keeps_extra:
        return None
    extra = [n for n in names if n not in table.column_names]
    for name in extra:
        if name.startswith(RESERVED_PREFIX):
            return name, (
                f"column {name!r} starts with '{RESERVED_PREFIX}', which deskmetrics keeps for "
                "its own columns (_row, _file …); rename it (e.g. "
                f"{'x' + name!r}) or drop it from {file}"
            )
    if len(extra) > limits.max_extra_columns:
        return extra[limits.max_extra_columns], (
            f"{file} brings {len(extra)} extra columns to {table.name}, more than the "
            f"{limits.max_extra_columns} kept ([limits] max_extra_columns; each is kept for "
            "ever); drop the columns you do not need, or raise the limit in deskmetrics.toml"
        )
    return None


def validate(
    source: SourceFrame, assume_tz: str | None = None, limits: Limits | None = None
) -> ValidFrame:
    """Check and type one file's rows against its canonical table, within `limits` (the
    settings' `[limits]`; default: their defaults)."""
    limits = limits or DEFAULT_LIMITS
    table, raw = source.table, source.frame
    rows = source.row_numbers()
    rejects: list[Reject] = list(source.rejects)
    # rows the reader refused (too many fields, too deep JSON) were read too: counted as read
    unread = len({r.row for r in source.rejects})
    raw = raw.reset_index(drop=True)
    names = [str(c).strip() for c in raw.columns]
    problem = _column_problem(table, source.file, names, limits)
    # a column named like a canonical one in another case is that column
    canonical = {c.casefold(): c for c in table.column_names}
    raw.columns = [canonical.get(n.casefold(), n) for n in names]
    if problem is not None:
        column, reason = problem
        rejects.extend(Reject(table.name, source.file, int(r), column, reason) for r in rows)
        empty = pd.DataFrame({c.name: pd.Series(dtype="object") for c in table.columns})
        empty[_ROW] = pd.Series(dtype="int64")
        return ValidFrame(table, source.file, empty, rejects, len(raw) + unread)

    out = pd.DataFrame(index=raw.index)
    bad_any = pd.Series(False, index=raw.index)
    for col in table.columns:
        if col.name in raw.columns:
            values, why = _parse_column(col, raw[col.name], assume_tz, limits)
        else:
            values, why = pd.Series(None, index=raw.index, dtype="object"), _reasons(raw.index)
        bad = why.notna()
        if col.default is not None:
            fill = _parse_column(col, pd.Series([col.default]), None)[0].iloc[0]
            values = (
                values.astype("object").where(values.notna(), fill)
                if col.kind in (Kind.TEXT, Kind.BOOLEAN)
                else values
            )
        if col.required:
            miss = values.isna() & ~bad
            for i in np.flatnonzero(miss.to_numpy()):
                rejects.append(
                    Reject(
                        table.name,
                        source.file,
                        int(rows[i]),
                        col.name,
                        f"required value {col.name!r} is empty",
                    )
                )
            bad_any |= miss
        if bad.any():
            src = raw[col.name]
            for i in np.flatnonzero(bad.to_numpy()):
                v = src.iloc[i]
                rejects.append(
                    Reject(
                        table.name,
                        source.file,
                        int(rows[i]),
                        col.name,
                        str(why.iloc[i]),
                        None if v is None else str(v),
                    )
                )
            bad_any |= bad
        out[col.name] = values
    if table.name == "surveys":
        for mask, colname, reason in _survey_checks(out):
            for i in np.flatnonzero((mask & ~bad_any).to_numpy()):
                rejects.append(
                    Reject(
                        table.name,
                        source.file,
                        int(rows[i]),
                        colname,
                        reason,
                        str(raw[colname].iloc[i]) if colname in raw else None,
                    )
                )
            bad_any |= mask
    if table.name == "events":
        for kind, column, reason in _EVENT_NEEDS:
            need = (out["type"] == kind) & out[column].isna() & ~bad_any
            for i in np.flatnonzero(need.to_numpy()):
                rejects.append(Reject(table.name, source.file, int(rows[i]), column, reason))
            bad_any |= need
    if table.keeps_extra:
        for name in raw.columns:
            if name not in table.column_names:
                text, long = _checked_text(raw[name], limits)
                long &= ~bad_any
                for i in np.flatnonzero(long.to_numpy()):
                    rejects.append(
                        Reject(
                            table.name,
                            source.file,
                            int(rows[i]),
                            name,
                            _too_long_reason(limits),
                            str(text.iloc[i]),
                        )
                    )
                bad_any |= long
                out[name] = text
    out[_ROW] = rows
    keep = ~bad_any.to_numpy()
    good = out[keep].reset_index(drop=True)
    n_valid = len(good)
    good, dup_rejects = _duplicates(table, source.file, good)
    rejects.extend(dup_rejects)
    collapsed = n_valid - len(good) - len(dup_rejects)
    return ValidFrame(table, source.file, good, rejects, len(raw) + unread, duplicates=collapsed)


def _duplicates(table: Table, file: str, frame: pd.DataFrame) -> tuple[pd.DataFrame, list[Reject]]:
    """Identical repeated rows collapse to one; an id repeated with different content is
    rejected in every version (nothing silently picks a winner)."""
    if table.key is None or frame.empty:
        return frame, []
    if not frame[table.key].duplicated().any():
        # identical rows share their id: no id repeated, nothing to collapse or reject
        return frame.reset_index(drop=True), []
    content = [c for c in frame.columns if c != _ROW]
    frame = frame.drop_duplicates(subset=content, keep="first")
    dup = frame[table.key].duplicated(keep=False)
    if not dup.any():
        return frame.reset_index(drop=True), []
    rejects = []
    bad = frame[dup]
    rows_by_id = bad.groupby(table.key)[_ROW].apply(list)
    for _, r in bad.iterrows():
        others = [int(x) for x in rows_by_id[r[table.key]] if x != r[_ROW]]
        rejects.append(
            Reject(
                table.name,
                file,
                int(r[_ROW]),
                table.key,
                f"{table.key} {r[table.key]!r} appears again with different content "
                f"(row {', '.join(map(str, others))})",
                str(r[table.key]),
            )
        )
    return frame[~dup].reset_index(drop=True), rejects
