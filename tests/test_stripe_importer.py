"""The Stripe subscription importer: a Dashboard subscription export of nine subscriptions
(tests/fixtures/stripe/subscriptions.csv) covering monthly, yearly, weekly and daily prices,
quantities, a converted and an unconverted trial, a plan change, a cancellation at period end and
an incomplete payment. Every expected value is read off the fixture."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from deskmetrics.config import Settings
from deskmetrics.engine import Workspace, open_duckdb
from deskmetrics.errors import ImportDataError
from deskmetrics.importers import import_directory
from deskmetrics.importers.stripe import (
    StripeExport,
    read_stripe_export,
    read_stripe_subscriptions,
)
from deskmetrics.model import Reject, SourceFrame, validate

FIXTURE = Path(__file__).parent / "fixtures" / "stripe" / "subscriptions.csv"
HEADER = FIXTURE.read_text(encoding="utf-8").splitlines()[0]
SUB_COLUMNS = ["subscription_id", "customer_id", "started_at", "ended_at", "mrr", "currency"]
CUSTOMER_COLUMNS = ["customer_id", "created_at", "churned_at", "email"]


def rows(sf: SourceFrame, columns: list[str]) -> list[tuple[object, ...]]:
    return [tuple(r) for r in sf.frame[columns].itertuples(index=False)]


@pytest.fixture(scope="module")
def export() -> StripeExport:
    return read_stripe_export(FIXTURE)


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    return open_duckdb(tmp_path / "w.duckdb", Settings())


def write(tmp_path: Path, *lines: str, header: str = HEADER) -> Path:
    path = tmp_path / "subscriptions.csv"
    path.write_text("\n".join([header, *lines]) + "\n", encoding="utf-8")
    return path


def line(**cells: str) -> str:
    """One export row: the fixture's first row with some cells replaced (by header)."""
    names = HEADER.split(",")
    base = FIXTURE.read_text(encoding="utf-8").splitlines()[1].split(",")
    for k, v in cells.items():
        base[names.index(k)] = v
    return ",".join(base)


# --- the good export ---------------------------------------------------------------------------


def test_subscriptions_and_customers_frames(export: StripeExport) -> None:
    assert [(f.table.name, f.file) for f in export.frames] == [
        ("subscriptions", "subscriptions.csv"),
        ("customers", "subscriptions.csv"),
    ]
    assert all(f.rejects == [] for f in export.frames)
    assert read_stripe_subscriptions(FIXTURE)[0].frame.equals(export.frames[0].frame)


def test_subscriptions_are_mapped(export: StripeExport) -> None:
    subs = export.frames[0]
    assert rows(subs, SUB_COLUMNS) == [
        # 3 seats × 29.00 a month
        ("sub_1OaA7kLkdIwHu7ixQ2r3Ab01", "cus_PdA1x9Lm2Qw3Er", "2025-11-03T10:12:00Z", None,
         87.0, "EUR"),
        # 948.00 a year = 79 a month; canceled at period end: ended when the period ended
        ("sub_1NxB2cLkdIwHu7ixR5t6Bc02", "cus_OkB2y8Kn3Rv4Ts", "2025-01-15T08:00:00Z",
         "2026-01-15T08:00:00Z", 79.0, "EUR"),
        # …and replaced by the cheaper plan (a downgrade is a new subscription)
        ("sub_1QcC3dLkdIwHu7ixT7y8Cd03", "cus_OkB2y8Kn3Rv4Ts", "2026-01-15T08:00:00Z", None,
         29.0, "EUR"),
        # 12.00 a week × 52 / 12; past_due is still running
        ("sub_1QdD4eLkdIwHu7ixU9i0De04", "cus_PqC3z7Jo4Sx5Uv", "2026-02-02T00:00:00Z", None,
         52.0, "USD"),
        # "1,200.00" a year × 2 seats / 12; revenue starts when the trial ends
        ("sub_1QgG7hLkdIwHu7ixX5q6Gh07", "cus_PtF6c4Gr7Va8Xy", "2026-02-15T12:00:00Z", None,
         200.0, "EUR"),
        # 1.50 a day × 365 / 12
        ("sub_1QhH8iLkdIwHu7ixY7r8Hi08", "cus_PuG7d3Fs8Wb9Yz", "2026-02-10T00:00:00Z",
         "2026-03-01T00:00:00Z", 45.625, "EUR"),
    ]  # fmt: skip
    assert list(subs.row_numbers()) == [2, 3, 4, 5, 8, 9]


def test_customers_are_derived(export: StripeExport) -> None:
    customers = export.frames[1]
    assert rows(customers, CUSTOMER_COLUMNS) == [
        ("cus_PdA1x9Lm2Qw3Er", "2025-11-03T10:12:00Z", None, "anna.schmidt@example.com"),
        # still a customer: one of the two subscriptions is running
        ("cus_OkB2y8Kn3Rv4Ts", "2025-01-15T08:00:00Z", None, "billing@weber-gmbh.example"),
        ("cus_PqC3z7Jo4Sx5Uv", "2026-02-02T00:00:00Z", None, "clara.koch@example.org"),
        ("cus_PtF6c4Gr7Va8Xy", "2026-02-15T12:00:00Z", None, "it@hoffmann-soehne.example"),
        # every subscription ended: churned when the last one did
        ("cus_PuG7d3Fs8Wb9Yz", "2026-02-10T00:00:00Z", "2026-03-01T00:00:00Z",
         "greta.vogel@example.com"),
    ]  # fmt: skip
    assert list(customers.row_numbers()) == [2, 3, 5, 8, 9]


def test_trials_and_unpaid_subscriptions_are_skipped_and_counted(export: StripeExport) -> None:
    assert export.skipped == {
        "subscriptions.csv: subscriptions still in their free trial (no revenue yet)": 1,
        "subscriptions.csv: incomplete_expired subscriptions (first payment never made)": 1,
        "subscriptions.csv: subscriptions that ended during their free trial (never paid)": 1,
    }


def test_good_export_validates_without_rejects(export: StripeExport) -> None:
    for sf in export.frames:
        valid = validate(sf)
        assert valid.rejects == [], valid.rejects
        assert len(valid.frame) == len(sf.frame)
    customers = validate(export.frames[1]).frame
    assert "email" in customers.columns  # kept as an extra attribute


# --- variants -----------------------------------------------------------------------------------


def test_amounts_in_cents_and_zero_decimal_currencies(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        line(Amount="2900"),
        line(id="sub_yen", **{"Customer ID": "cus_jp"}, Amount="4500", Currency="jpy"),
    )
    subs = read_stripe_subscriptions(path, amounts_in="cents")[0]
    assert list(zip(subs.frame["mrr"], subs.frame["currency"], strict=True)) == [
        (87.0, "EUR"),
        (13500.0, "JPY"),  # 4500 yen (no minor unit) × 3 seats
    ]
    with pytest.raises(ImportDataError, match="units' or 'cents"):
        read_stripe_subscriptions(path, amounts_in="pennies")  # type: ignore[arg-type]


def test_older_headers_interval_count_and_offsets(tmp_path: Path) -> None:
    header = "id,Customer ID,Plan Amount,Plan Interval,Plan Interval Count,Status,Start (UTC)"
    path = write(
        tmp_path,
        "sub_q,cus_q,90,Month,3,Active,2026-01-01 00:00",
        "sub_w,cus_w,10,weekly,2,active,2026-01-01T09:00:00+01:00",
        header=header,
    )
    subs, customers = read_stripe_subscriptions(path)
    assert rows(subs, SUB_COLUMNS) == [
        ("sub_q", "cus_q", "2026-01-01T00:00:00Z", None, 30.0, None),
        ("sub_w", "cus_w", "2026-01-01T08:00:00Z", None, round(10 * 52 / 12 / 2, 4), None),
    ]
    assert list(customers.frame["email"]) == [None, None]


def test_several_files_in_a_folder_share_their_customers(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "2025.csv").write_text(
        HEADER + "\n" + line(Status="canceled", **{"Ended At (UTC)": "2026-01-03 10:12"}) + "\n",
        encoding="utf-8",
    )
    (tmp_path / "a" / "2026.csv").write_text(
        HEADER + "\n" + line(id="sub_new", **{"Start Date (UTC)": "2026-01-03 10:12"}) + "\n",
        encoding="utf-8",
    )
    export = read_stripe_export(tmp_path / "a")
    assert [(f.table.name, f.file) for f in export.frames] == [
        ("subscriptions", "2025.csv"),
        ("subscriptions", "2026.csv"),
        ("customers", "a/"),
    ]
    # the customer runs on in the second file: not churned
    assert rows(export.frames[2], CUSTOMER_COLUMNS) == [
        ("cus_PdA1x9Lm2Qw3Er", "2025-11-03T10:12:00Z", None, "anna.schmidt@example.com")
    ]


# --- bad input ----------------------------------------------------------------------------------


def test_missing_column_names_column_and_file(tmp_path: Path) -> None:
    header = HEADER.replace(",Amount,", ",Price,")
    path = write(tmp_path, line(), header=header)
    with pytest.raises(ImportDataError, match=r"subscriptions\.csv has no column 'Amount'"):
        read_stripe_subscriptions(path)


def test_bad_values_are_rejected_with_file_row_column_and_reason(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        line(),  # row 2 is fine
        line(id="sub_2", **{"Start Date (UTC)": "3rd of March"}),
        line(id="sub_3", Amount="twenty"),
        line(id="sub_4", Interval="fortnight"),
        line(id="sub_5", Status="frozen"),
        line(id="sub_6", Status="canceled", **{"Current Period End (UTC)": ""}),
        line(id="sub_7", Quantity="-2"),
        line(id="sub_8", **{"Customer ID": ""}),
        line(id="sub_9", Status="canceled", **{"Ended At (UTC)": "2025-10-01 00:00"}),
    )
    (subs, customers) = read_stripe_subscriptions(path)
    assert [(r.file, r.row, r.column, r.reason, r.value) for r in subs.rejects] == [
        ("subscriptions.csv", 3, "Start Date (UTC)",
         "not a timestamp (Stripe writes e.g. 2026-03-01 09:30)", "3rd of March"),
        ("subscriptions.csv", 4, "Amount", "not a number", "twenty"),
        ("subscriptions.csv", 5, "Interval",
         "unknown billing interval (use day, week, month or year)", "fortnight"),
        ("subscriptions.csv", 6, "Status",
         "unknown Stripe status (allowed: active, canceled, incomplete, incomplete_expired, "
         "past_due, paused, trialing, unpaid)", "frozen"),
        ("subscriptions.csv", 7, "Ended At (UTC)",
         "a canceled subscription needs Ended At (UTC), Canceled At (UTC) or its period end",
         None),
        ("subscriptions.csv", 8, "Quantity", "not a count", "-2"),
        ("subscriptions.csv", 9, "Customer ID", "a subscription needs its Customer ID", None),
        ("subscriptions.csv", 10, "Ended At (UTC)", "the subscription ends before it starts",
         "2025-10-01 00:00"),
    ]  # fmt: skip
    assert list(subs.frame["subscription_id"]) == ["sub_1OaA7kLkdIwHu7ixQ2r3Ab01"]
    # the customer of the rejected rows is not derived from the one good row
    assert customers.frame.empty
    assert customers.rejects == [
        Reject(
            "customers",
            "subscriptions.csv",
            3,
            "Customer ID",
            "customer 'cus_PdA1x9Lm2Qw3Er' is left out because its subscription in this row was "
            "rejected (its start and churn would be wrong without it); fix the row and import "
            "again",
            "cus_PdA1x9Lm2Qw3Er",
        )
    ]
    assert validate(subs).rejects == subs.rejects


# --- end to end -----------------------------------------------------------------------------------


def test_import_stores_subscriptions_and_customers_and_reimport_changes_nothing(
    ws: Workspace,
) -> None:
    s = import_directory(ws, FIXTURE, "stripe")
    assert s.rejects == [] and s.committed
    assert (s.tables["subscriptions"].inserted, s.tables["customers"].inserted) == (6, 5)
    assert sorted(s.notes) == [
        "skipped 1 subscriptions.csv: incomplete_expired subscriptions (first payment never made)",
        "skipped 1 subscriptions.csv: subscriptions still in their free trial (no revenue yet)",
        "skipped 1 subscriptions.csv: subscriptions that ended during their free trial (never "
        "paid)",
    ]
    con = ws.backend.con
    subs = con.execute(
        "SELECT subscription_id, started_at, ended_at, mrr, currency FROM subscriptions "
        "ORDER BY subscription_id"
    ).df()
    assert subs["mrr"].sum() == pytest.approx(87 + 79 + 29 + 52 + 200 + 45.625)
    assert subs["started_at"].iloc[0] == pd.Timestamp("2025-01-15 08:00")
    customers = con.execute(
        "SELECT customer_id, churned_at, email FROM customers WHERE churned_at IS NOT NULL"
    ).fetchall()
    assert [(c, str(t), e) for c, t, e in customers] == [
        ("cus_PuG7d3Fs8Wb9Yz", "2026-03-01 00:00:00", "greta.vogel@example.com")
    ]
    again = import_directory(ws, FIXTURE.parent, "stripe")
    assert again.rejects == []
    assert (again.tables["subscriptions"].inserted, again.tables["subscriptions"].unchanged) == (
        0,
        6,
    )
    assert (again.tables["customers"].inserted, again.tables["customers"].unchanged) == (0, 5)


def test_import_keeps_rejects_with_the_export_column(ws: Workspace, tmp_path: Path) -> None:
    path = write(tmp_path, line(id="sub_bad", Amount="n/a"), line(id=""))
    s = import_directory(ws, path, "stripe")
    got = ws.backend.con.execute(
        'SELECT "table", file, "row", "column", reason FROM _rejects ORDER BY "table", "row"'
    ).fetchall()
    assert got == [
        ("customers", "subscriptions.csv", 2, "Customer ID",
         "customer 'cus_PdA1x9Lm2Qw3Er' is left out because its subscription in this row was "
         "rejected (its start and churn would be wrong without it); fix the row and import "
         "again"),
        ("subscriptions", "subscriptions.csv", 2, "Amount", "not a number"),
        ("subscriptions", "subscriptions.csv", 3, "id", "the subscription's id is empty"),
    ]  # fmt: skip
    assert s.tables["subscriptions"].inserted == 0
