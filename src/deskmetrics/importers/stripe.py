"""Subscriptions from a Stripe Dashboard subscription export (Billing → Subscriptions → Export).

The export has one row per subscription with human headers: `id`, `Customer ID`,
`Customer Email`, `Plan`, `Product`, `Quantity`, `Interval`, `Amount`, `Currency`, `Status`,
`Created (UTC)`, `Start Date (UTC)` (older exports: `Start (UTC)`), `Current Period Start (UTC)`,
`Current Period End (UTC)`, `Canceled At (UTC)`, `Ended At (UTC)`, `Trial Start (UTC)`,
`Trial End (UTC)`, … Headers are matched ignoring case; `Plan Amount`, `Plan Interval`,
`Plan Interval Count` and `Plan Currency` are accepted for the plan columns.

It maps to canonical `subscriptions` and derives `customers` from them. Mapping choices (see
DECISIONS.md):
- amounts: the Dashboard writes them in major units ("49.00" is 49 euros); an export built from
  the API (`plan.amount`, `unit_amount`) has minor units (cents): read it with
  `amounts_in="cents"`, which divides by 100 except for zero-decimal currencies (JPY, KRW, …);
- mrr = amount × quantity per month: a yearly price / 12, a weekly × 52 / 12, a daily
  × 365 / 12, each divided by the interval count (a price every 3 months / 3);
- currency upper-case ("usd" → "USD"); timestamps of "(UTC)" columns are UTC (a `Z` is added);
- MRR counts from the end of a free trial: a subscription with a trial starts (started_at) when
  its trial ends, a subscription still `trialing` is not yet revenue and is skipped (a later
  export brings it once it converts), and one that ended during its trial never paid and is
  skipped; both are counted in the import report;
- `active`, `past_due` and `unpaid` subscriptions are running (ended_at empty; a cancellation
  scheduled for the period end does not end them); `canceled` ones ended at `Ended At`, else
  `Canceled At`, else the current period's end; `incomplete`, `incomplete_expired` (the first
  payment never succeeded) and `paused` ones earn nothing and are skipped and counted;
- customers: created_at = the start of their earliest subscription, churned_at = the latest end
  when every subscription of theirs has ended (else empty), email as an extra column; a
  customer with a rejected subscription row is not derived (it is rejected too), so that a
  missing row never makes a customer look churned.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from deskmetrics.errors import ImportDataError
from deskmetrics.importers.survey_csv import csv_files, find_column, read_csv_file
from deskmetrics.model import TABLES, Reject, SourceFrame

AmountUnit = Literal["units", "cents"]

#: what the importer reads → the export's headers for it (the first present is used)
HEADERS: dict[str, tuple[str, ...]] = {
    "id": ("id", "Subscription ID"),
    "customer": ("Customer ID", "Customer"),
    "email": ("Customer Email",),
    "quantity": ("Quantity",),
    "interval": ("Interval", "Plan Interval"),
    "interval_count": ("Interval Count", "Plan Interval Count"),
    "amount": ("Amount", "Plan Amount"),
    "currency": ("Currency", "Plan Currency"),
    "status": ("Status",),
    "start": ("Start Date (UTC)", "Start (UTC)", "Created (UTC)"),
    "period_end": ("Current Period End (UTC)",),
    "canceled_at": ("Canceled At (UTC)",),
    "ended_at": ("Ended At (UTC)",),
    "trial_end": ("Trial End (UTC)",),
}
REQUIRED = ("id", "customer", "amount", "interval", "status", "start")

#: months per billing interval
_PER_MONTH = {"month": 1.0, "year": 1 / 12, "week": 52 / 12, "day": 365 / 12}
_INTERVALS = {
    "month": "month", "monthly": "month", "months": "month",
    "year": "year", "yearly": "year", "annual": "year", "annually": "year", "years": "year",
    "week": "week", "weekly": "week", "weeks": "week",
    "day": "day", "daily": "day", "days": "day",
}  # fmt: skip
RUNNING = frozenset({"active", "past_due", "unpaid"})
ENDED = frozenset({"canceled", "cancelled"})
_SKIPPED_STATUS = {
    "trialing": "subscriptions still in their free trial (no revenue yet)",
    "incomplete": "incomplete subscriptions (first payment not made)",
    "incomplete_expired": "incomplete_expired subscriptions (first payment never made)",
    "paused": "paused subscriptions (no revenue while paused)",
}
#: currencies without minor units (Stripe's list)
ZERO_DECIMAL = frozenset(
    {"BIF", "CLP", "DJF", "GNF", "JPY", "KMF", "KRW", "MGA", "PYG", "RWF", "UGX", "VND", "VUV",
     "XAF", "XOF", "XPF"}
)  # fmt: skip
_OFFSET = re.compile(r"(?:[zZ]|[+-]\d{2}(?::?\d{2})?)$")
_THOUSANDS = re.compile(r"^-?\d{1,3}(?:,\d{3})+(?:\.\d+)?$")
_ISO_UTC = "%Y-%m-%dT%H:%M:%SZ"


@dataclass(frozen=True)
class StripeExport:
    """What a Stripe subscription export maps to: a `subscriptions` frame per file and one
    `customers` frame derived from all of them; `headers[i]` names the export's column per
    canonical column of frame i (for rejects); `skipped` counts subscriptions deliberately left
    out, keyed by "<file>: <what>"."""

    frames: list[SourceFrame]
    headers: list[dict[str, str]]
    skipped: dict[str, int] = field(default_factory=dict)


def read_stripe_subscriptions(path: Path, amounts_in: AmountUnit = "units") -> list[SourceFrame]:
    """Canonical `subscriptions` and `customers` rows of a Stripe subscription export (one CSV
    file or a folder of them). Raises `ImportDataError` when a file cannot be read or lacks a
    column the mapping needs; rows that cannot be mapped are rejects of their frame."""
    return read_stripe_export(path, amounts_in).frames


def read_stripe_export(path: Path, amounts_in: AmountUnit = "units") -> StripeExport:
    """`read_stripe_subscriptions`, plus the export's header per canonical column and the
    counts of skipped subscriptions."""
    if amounts_in not in ("units", "cents"):
        raise ImportDataError(f"amounts_in must be 'units' or 'cents', not {amounts_in!r}")
    path = Path(path)
    files = csv_files(path, "Stripe subscription export")
    frames: list[SourceFrame] = []
    headers: list[dict[str, str]] = []
    skipped: dict[str, int] = {}
    kept: list[pd.DataFrame] = []  # mapped subscriptions of every file, for the customers
    failed: list[tuple[str, str, int]] = []  # (customer, file, row) of rejected subscriptions
    for file in files:
        sub = _subscriptions(file, amounts_in)
        frames.append(sub.frame)
        headers.append(sub.headers)
        for what, n in sub.skipped.items():
            skipped[f"{file.name}: {what}"] = n
        kept.append(sub.parsed)
        failed += sub.failed
    label = files[0].name if len(files) == 1 else f"{path.name}/"
    frames.append(_customers(label, pd.concat(kept, ignore_index=True), failed))
    headers.append({"customer_id": HEADERS["customer"][0]})
    return StripeExport(frames, headers, skipped)


@dataclass
class _FileResult:
    frame: SourceFrame
    headers: dict[str, str]
    parsed: pd.DataFrame  # customer, started, ended (datetimes), email, file, row
    failed: list[tuple[str, str, int]]
    skipped: dict[str, int]


def _subscriptions(file: Path, amounts_in: AmountUnit) -> _FileResult:
    raw, rows = read_csv_file(file)
    found = {what: _header(raw, names) for what, names in HEADERS.items()}
    missing = [HEADERS[w][0] for w in REQUIRED if found[w] is None]
    if missing:
        raise ImportDataError(
            f"{file.name} has no column {missing[0]!r}, which a Stripe subscription export has "
            f"(needed: {', '.join(HEADERS[w][0] for w in REQUIRED)}); is this the Dashboard's "
            "subscription export?"
        )

    cells: dict[str, pd.Series] = {}

    def text(what: str) -> pd.Series:
        """The export's cells for `what`, stripped; empty cells (or no column) are null."""
        if what not in cells:
            h = found[what]
            if h is None:
                cells[what] = pd.Series(None, index=raw.index, dtype=object)
            else:
                s = raw[h].astype(str).str.strip().astype(object)
                cells[what] = s.where(s != "", None)
        return cells[what]

    why = pd.Series(None, index=raw.index, dtype=object)  # first problem of each row
    where = pd.Series(None, index=raw.index, dtype=object)  # its column

    def fail(mask: pd.Series, what: str, reason: str) -> None:
        new = mask & why.isna()
        why[new] = reason
        where[new] = found[what] or HEADERS[what][0]

    status = text("status").str.lower()
    known = status.isin(RUNNING | ENDED | set(_SKIPPED_STATUS))
    allowed = ", ".join(sorted(RUNNING | {"canceled"} | set(_SKIPPED_STATUS)))
    fail(status.notna() & ~known, "status", f"unknown Stripe status (allowed: {allowed})")
    fail(status.isna(), "status", "Status is empty")
    fail(text("id").isna(), "id", "the subscription's id is empty")
    fail(text("customer").isna(), "customer", "a subscription needs its Customer ID")

    times: dict[str, pd.Series] = {}
    for what in ("start", "period_end", "canceled_at", "ended_at", "trial_end"):
        values, bad = _utc(text(what))
        times[what] = values
        fail(bad, what, "not a timestamp (Stripe writes e.g. 2026-03-01 09:30)")
    fail(text("start").isna(), "start", "the subscription's start is empty")

    amount = _number(text("amount"))
    fail(text("amount").notna() & amount.isna(), "amount", "not a number")
    fail(text("amount").isna(), "amount", "Amount is empty")
    quantity = _number(text("quantity"))
    fail(text("quantity").notna() & (quantity.isna() | (quantity < 0)), "quantity", "not a count")
    count = _number(text("interval_count"))
    fail(
        text("interval_count").notna() & ~(count > 0),
        "interval_count",
        "not a positive number of intervals",
    )
    interval = text("interval").str.lower().map(_INTERVALS)
    fail(
        interval.isna(),
        "interval",
        "unknown billing interval (use day, week, month or year)",
    )
    currency = text("currency").str.upper()
    divisor = np.where(
        (amounts_in == "cents") & ~currency.isin(ZERO_DECIMAL).to_numpy(), 100.0, 1.0
    )
    mrr = (
        amount
        / divisor
        * quantity.fillna(1.0)
        * interval.map(_PER_MONTH).astype("float64")
        / count.fillna(1.0)
    ).round(4)

    # when revenue starts and ends
    start, trial_end = times["start"], times["trial_end"]
    paid_from = start.where(~(trial_end > start), trial_end)
    ended = status.isin(ENDED)
    end = times["ended_at"].fillna(times["canceled_at"]).fillna(times["period_end"])
    fail(
        ended & end.isna(),
        "ended_at",
        "a canceled subscription needs Ended At (UTC), Canceled At (UTC) or its period end",
    )
    end = end.where(ended)
    never_paid = ended & (end <= paid_from) & (trial_end > start)
    fail(ended & (end < start), "ended_at", "the subscription ends before it starts")

    bad = why.notna()
    skip_status = status.isin(set(_SKIPPED_STATUS)) & ~bad
    skip_trial = never_paid & ~bad & ~skip_status
    skipped = {
        what: int((status[skip_status] == s).sum())
        for s, what in _SKIPPED_STATUS.items()
        if (status[skip_status] == s).any()
    }
    if skip_trial.any():
        skipped["subscriptions that ended during their free trial (never paid)"] = int(
            skip_trial.sum()
        )
    keep = (~bad & ~skip_status & ~skip_trial).to_numpy()

    frame = pd.DataFrame(
        {
            "subscription_id": text("id"),
            "customer_id": text("customer"),
            "started_at": _iso(paid_from),
            "ended_at": _iso(end),
            "mrr": mrr,
            "currency": currency,
        }
    )[keep].reset_index(drop=True)
    frame = frame.astype(object).where(frame.notna(), None)
    frame["mrr"] = frame["mrr"].astype("float64")
    rejects = [
        Reject(
            "subscriptions",
            file.name,
            int(rows[i]),
            str(where.iloc[i]),
            str(why.iloc[i]),
            _cell(raw, where.iloc[i], int(i)),
        )
        for i in np.flatnonzero(bad.to_numpy())
    ]
    headers = {
        canonical: h
        for canonical, what in (("subscription_id", "id"), ("customer_id", "customer"))
        if (h := found[what]) is not None
    }
    parsed = pd.DataFrame(
        {
            "customer": text("customer"),
            "started": paid_from,
            "ended": end,
            "email": text("email"),
            "file": file.name,
            "row": rows,
        }
    )[keep].reset_index(drop=True)
    failed = [
        (str(c), file.name, int(r))
        for c, r in zip(text("customer")[bad], rows[bad.to_numpy()], strict=True)
        if c is not None
    ]
    sf = SourceFrame(TABLES["subscriptions"], file.name, frame, rows[keep], rejects)
    return _FileResult(sf, headers, parsed, failed, skipped)


def _customers(
    label: str, subs: pd.DataFrame, failed: Sequence[tuple[str, str, int]]
) -> SourceFrame:
    """One customer per customer id of the kept subscriptions."""
    table = TABLES["customers"]
    first_failure: dict[str, tuple[str, int]] = {}
    for customer, file, row in failed:
        first_failure.setdefault(customer, (file, row))
    rejects = [
        Reject(
            table.name,
            file,
            row,
            HEADERS["customer"][0],
            f"customer {customer!r} is left out because its subscription in this row was "
            "rejected (its start and churn would be wrong without it); fix the row and import "
            "again",
            customer,
        )
        for customer, (file, row) in first_failure.items()
    ]
    subs = subs[~subs["customer"].isin(first_failure)]
    if subs.empty:
        empty = pd.DataFrame({c: pd.Series(dtype=object) for c in ("customer_id", "created_at")})
        return SourceFrame(table, label, empty, np.array([], dtype=np.int64), rejects)
    subs = subs.sort_values(["customer", "started", "file", "row"], kind="stable")
    g = subs.groupby("customer", sort=True)
    running = g["ended"].count() < g.size()  # a subscription without an end is running
    out = pd.DataFrame(
        {
            "created_at": _iso(g["started"].min()),
            "churned_at": _iso(g["ended"].max().where(~running)),
            "email": g["email"].first(),
        }
    )
    out.insert(0, "customer_id", out.index.astype(object))
    # in the order of each customer's first subscription in the export
    first = g[["file", "row"]].first()
    order = np.lexsort((first["row"].to_numpy(), first["file"].to_numpy()))
    out = out.iloc[order].reset_index(drop=True)
    out = out.astype(object).where(out.notna(), None)
    rows = first["row"].to_numpy(dtype=np.int64)[order]
    return SourceFrame(table, label, out, rows, rejects)


def _header(raw: pd.DataFrame, names: tuple[str, ...]) -> str | None:
    for name in names:
        if (h := find_column(raw, name)) is not None:
            return h
    return None


def _utc(text: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Timestamps (tz-aware UTC; a value without offset is UTC) and which values are not
    timestamps."""
    out = pd.Series(pd.NaT, index=text.index, dtype="datetime64[us, UTC]")
    present = text.notna()
    vals = text[present].astype(str)
    has_offset = vals.str.contains(_OFFSET)
    if has_offset.any():
        aware = pd.to_datetime(vals[has_offset], format="ISO8601", errors="coerce", utc=True)
        out[aware.index] = aware.astype("datetime64[us, UTC]")
    naive = vals[~has_offset]
    if len(naive):
        parsed = pd.to_datetime(naive, format="ISO8601", errors="coerce")
        out[parsed.index] = parsed.dt.tz_localize("UTC").astype("datetime64[us, UTC]")
    return out, present & out.isna()


def _iso(values: pd.Series) -> pd.Series:
    text = values.dt.strftime(_ISO_UTC).astype(object)
    return text.where(values.notna(), None)


def _number(text: pd.Series) -> pd.Series:
    """Numbers, with thousands separators ("1,200.00") understood."""
    s = text.astype(object)
    present = s.notna()
    clean = s[present].astype(str)
    grouped = clean.str.match(_THOUSANDS)
    clean = clean.where(~grouped, clean.str.replace(",", "", regex=False))
    out = pd.Series(np.nan, index=text.index, dtype="float64")
    out[clean.index] = pd.to_numeric(clean, errors="coerce").astype("float64")
    return out


def _cell(raw: pd.DataFrame, column: object, i: int) -> str | None:
    if isinstance(column, str) and column in raw.columns:
        v = str(raw[column].iloc[i])
        return v or None
    return None


__all__ = [
    "HEADERS",
    "StripeExport",
    "read_stripe_export",
    "read_stripe_subscriptions",
]
