"""Golden numbers for contact_rate and cost_per_contact, computed by hand from METRICS.md:

- contact rate = contacts (tickets created) in the period / customers active in the period
  (became a customer before the period ended and had not churned before it began); n = active
  customers.
- cost per contact = support cost in the period (each cost row spread evenly over its days) /
  interactions (tickets) handled in the period — a public human reply, a solve or a call/chat
  session in the period; n = handled.
"""

from __future__ import annotations

import math

import pytest

from conftest import build_workspace, interaction, msg, one, status, ticket
from deskmetrics.query import compute

# ---------------------------------------------------------------------------------------------
# contact rate

CUSTOMERS = [
    # K1 active throughout
    {"customer_id": "K1", "created_at": "2026-01-01T00:00:00Z"},
    # K2 churned in February: not active in March or April
    {
        "customer_id": "K2",
        "created_at": "2026-01-01T00:00:00Z",
        "churned_at": "2026-02-15T00:00:00Z",
    },
    # K3 joins 03-10: active in March (joined before it ended) and April
    {"customer_id": "K3", "created_at": "2026-03-10T00:00:00Z"},
    # K4 joins 04-05: April only
    {"customer_id": "K4", "created_at": "2026-04-05T00:00:00Z"},
    # K5 churns 03-20: active in March (had not churned before it began), not in April
    {
        "customer_id": "K5",
        "created_at": "2026-02-01T00:00:00Z",
        "churned_at": "2026-03-20T00:00:00Z",
    },
]

CONTACTS = [
    ("M1", "2026-03-02T10:00:00Z", "K1"),
    ("M2", "2026-03-05T10:00:00Z", "K5"),
    ("M3", "2026-03-10T10:00:00Z", "K3"),
    ("M4", "2026-03-15T10:00:00Z", "K1"),
    ("M5", "2026-03-20T10:00:00Z", "K3"),
    ("M6", "2026-03-31T23:00:00Z", "K1"),  # Berlin (CEST, UTC+2): 04-01 01:00
    ("A1", "2026-04-02T10:00:00Z", "K4"),
    ("A2", "2026-04-20T10:00:00Z", "K3"),
]


@pytest.fixture(scope="module")
def contact_ws():
    return build_workspace(
        {
            "tickets": [ticket(t, at, c) for t, at, c in CONTACTS],
            "customers": CUSTOMERS,
        }
    )


def test_contact_rate_march(contact_ws) -> None:
    row = one(
        compute(contact_ws, ["contact_rate"], start="2026-03-01", end="2026-03-31", tz="UTC"),
        metric="contact_rate",
    )
    # active in March: K1, K3, K5 = 3; contacts M1..M6 = 6 → 6 / 3 = 2.0
    assert row["n"] == 3
    assert row["value"] == pytest.approx(2.0)


def test_contact_rate_per_month_utc(contact_ws) -> None:
    df = compute(
        contact_ws, ["contact_rate"], grain="month", start="2026-03-01", end="2026-04-30", tz="UTC"
    )
    months = {str(r["period"])[:7]: r for _, r in df.iterrows()}
    # March: 6 / 3 = 2.0
    assert (months["2026-03"]["n"], months["2026-03"]["value"]) == (3, pytest.approx(2.0))
    # April: active K1, K3, K4 = 3; contacts A1, A2 = 2 → 0.6666…
    assert (months["2026-04"]["n"], months["2026-04"]["value"]) == (3, pytest.approx(2 / 3))


def test_contact_rate_per_month_berlin(contact_ws) -> None:
    df = compute(
        contact_ws,
        ["contact_rate"],
        grain="month",
        start="2026-03-01",
        end="2026-04-30",
        tz="Europe/Berlin",
    )
    months = {str(r["period"])[:7]: r for _, r in df.iterrows()}
    # M6 (03-31 23:00Z) is 04-01 01:00 in Berlin → March 5 contacts / 3 active = 1.6666…
    assert (months["2026-03"]["n"], months["2026-03"]["value"]) == (3, pytest.approx(5 / 3))
    # April: M6, A1, A2 = 3 / (K1, K3, K4) 3 = 1.0
    assert (months["2026-04"]["n"], months["2026-04"]["value"]) == (3, pytest.approx(1.0))


# ---------------------------------------------------------------------------------------------
# cost per contact

COSTS = [
    # 3100 over the 31 days of March = 100 a day
    {
        "period_start": "2026-03-01",
        "period_end": "2026-03-31",
        "amount": 3100,
        "currency": "EUR",
        "category": "staff",
    },
    # 60 over Mon 03-02 and Tue 03-03 = 30 a day
    {
        "period_start": "2026-03-02",
        "period_end": "2026-03-03",
        "amount": 60,
        "currency": "EUR",
        "category": "tools",
    },
]


@pytest.fixture(scope="module")
def cost_ws():
    return build_workspace(
        {
            "tickets": [
                ticket("H0", "2026-02-27T15:00:00Z", "c0", channel="email"),
                ticket("H1", "2026-03-02T09:00:00Z", "c1", channel="email"),
                ticket("H2", "2026-03-02T13:00:00Z", "c2", channel="phone"),
                ticket("H3", "2026-03-04T20:00:00Z", "c3", channel="email"),
                ticket("H4", "2026-03-06T10:00:00Z", "c4", channel="email"),
            ],
            "events": [
                # H0: created the Friday before, handled Tue 03-03 (reply + solve)
                msg("h0c", "H0", "2026-02-27T15:00:00Z", "customer", "c0"),
                msg("h0r", "H0", "2026-03-03T10:00:00Z", "agent", "a1"),
                status("h0s", "H0", "2026-03-03T10:30:00Z", "solved", "a1"),
                # H1: handled Mon (reply + solve = one ticket)
                msg("h1c", "H1", "2026-03-02T09:00:00Z", "customer", "c1"),
                msg("h1r", "H1", "2026-03-02T10:00:00Z", "agent", "a1"),
                status("h1s", "H1", "2026-03-02T11:00:00Z", "solved", "a1"),
                # H2: one call Mon, solved Mon
                interaction("h2i", "H2", "2026-03-02T13:00:00Z", "a2", talk=600),
                status("h2s", "H2", "2026-03-02T13:15:00Z", "solved", "a2"),
                # H3: created Wed evening, handled Thu
                msg("h3c", "H3", "2026-03-04T20:00:00Z", "customer", "c3"),
                msg("h3r", "H3", "2026-03-05T09:00:00Z", "agent", "a1"),
                status("h3s", "H3", "2026-03-05T09:05:00Z", "solved", "a1"),
                # H4: Fri — bot message and internal note only (not handling); solved Sat
                msg("h4c", "H4", "2026-03-06T10:00:00Z", "customer", "c4"),
                msg("h4b", "H4", "2026-03-06T10:01:00Z", "bot"),
                msg("h4n", "H4", "2026-03-06T10:02:00Z", "agent", "a1", public=False),
                status("h4s", "H4", "2026-03-07T09:00:00Z", "solved", "a1"),
            ],
            "costs": COSTS,
        }
    )


def test_cost_per_contact_range(cost_ws) -> None:
    row = one(
        compute(cost_ws, ["cost_per_contact"], start="2026-03-02", end="2026-03-06", tz="UTC"),
        metric="cost_per_contact",
    )
    # cost Mon..Fri: 5 × 100 + 2 × 30 = 560
    # handled Mon..Fri: H1, H2 (Mon), H0 (Tue), H3 (Thu) = 4 (H4 only on Sat)
    # → 560 / 4 = 140
    assert row["n"] == 4
    assert row["value"] == pytest.approx(140.0)
    assert row["unit"] == "currency"


def test_cost_per_contact_per_day(cost_ws) -> None:
    df = compute(
        cost_ws, ["cost_per_contact"], grain="day", start="2026-03-02", end="2026-03-06", tz="UTC"
    )
    days = {str(r["period"])[:10]: r for _, r in df.iterrows()}
    # Mon: 100 + 30 = 130 / H1, H2 = 2 → 65
    assert (days["2026-03-02"]["n"], days["2026-03-02"]["value"]) == (2, pytest.approx(65.0))
    # Tue: 130 / H0 = 1 → 130
    assert (days["2026-03-03"]["n"], days["2026-03-03"]["value"]) == (1, pytest.approx(130.0))
    # Wed: 100 / 0 handled → undefined, n 0
    assert days["2026-03-04"]["n"] == 0
    assert math.isnan(days["2026-03-04"]["value"])
    # Thu: 100 / H3 = 1 → 100
    assert (days["2026-03-05"]["n"], days["2026-03-05"]["value"]) == (1, pytest.approx(100.0))
    # Fri: 100 / 0 handled (bot message and internal note are not handling) → undefined
    assert days["2026-03-06"]["n"] == 0
    assert math.isnan(days["2026-03-06"]["value"])


def test_cost_per_contact_weekend(cost_ws) -> None:
    row = one(
        compute(cost_ws, ["cost_per_contact"], start="2026-03-07", end="2026-03-08", tz="UTC"),
        metric="cost_per_contact",
    )
    # Sat + Sun: 2 × 100 = 200 / H4 (solved Sat) = 1 → 200
    assert row["n"] == 1
    assert row["value"] == pytest.approx(200.0)


def test_cost_rows_without_optional_columns_load() -> None:
    # currency and category are optional (DATA_MODEL.md): a costs file without them must load
    # and give the same number: Mon 03-02 cost 100 + 30 = 130 / tickets handled Mon (X1, one
    # reply) = 1 → 130
    ws = build_workspace(
        {
            "tickets": [ticket("X1", "2026-03-02T09:00:00Z", "c1")],
            "events": [msg("x1r", "X1", "2026-03-02T10:00:00Z", "agent", "a1")],
            "costs": [
                {"period_start": "2026-03-01", "period_end": "2026-03-31", "amount": 3100},
                {"period_start": "2026-03-02", "period_end": "2026-03-03", "amount": 60},
            ],
        }
    )
    row = one(
        compute(ws, ["cost_per_contact"], start="2026-03-02", end="2026-03-02", tz="UTC"),
        metric="cost_per_contact",
    )
    assert row["n"] == 1
    assert row["value"] == pytest.approx(130.0)
