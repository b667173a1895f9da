"""The sample data set as a demo sees it: a history that ends at a chosen instant (`--end`, by
default the current minute) and whose end looks like a help desk's present: recent tickets
open, old ones settled, an outage three days ago."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from deskmetrics.cli import app, relative_range
from deskmetrics.errors import DeskmetricsError
from deskmetrics.sample import generate

runner = CliRunner()
END = datetime(2026, 12, 7, 5, 21, tzinfo=UTC)  # a Monday morning
NAMES = ("tickets", "events", "surveys", "survey_requests", "mentions", "social_posts")


def open_tickets(folder: Path, created_before: pd.Timestamp) -> int:
    """Tickets created before `created_before` whose last status is not solved or closed."""
    tickets = pd.read_parquet(folder / "tickets.parquet")
    events = pd.read_parquet(folder / "events.parquet")
    status = events[events["type"] == "status"].sort_values("at").groupby("ticket_id").last()
    old = tickets[tickets["created_at"] < created_before].set_index("ticket_id")
    last = status["status"].reindex(old.index)
    return int((~last.isin(["solved", "closed"])).sum())


def test_the_same_end_gives_the_same_data_and_nothing_after_it(tmp_path: Path) -> None:
    a, b, c = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    for folder, end in ((a, END), (b, END), (c, END.replace(minute=22))):
        generate(folder, 400, seed=3, days=14, end=end, present=True)
    for name in NAMES:
        assert pq.read_table(a / f"{name}.parquet").equals(pq.read_table(b / f"{name}.parquet"))
    assert not pq.read_table(a / "events.parquet").equals(pq.read_table(c / "events.parquet"))
    created = pd.read_parquet(a / "tickets.parquet")["created_at"]
    first, last = pd.Timestamp("2026-11-23T05:21:00Z"), pd.Timestamp(END)  # 14 days before
    assert created.min() >= first and created.max() < last
    assert pd.read_parquet(a / "events.parquet")["at"].max() < last
    assert pd.read_parquet(a / "surveys.parquet")["answered_at"].max() < last


def test_start_and_end_together_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="not both"):
        generate(tmp_path, 10, start=datetime(2026, 1, 5), end=END)


def test_the_present_has_settled_what_is_old(tmp_path: Path) -> None:
    """Without the present's shape about 7% of tickets stay open for ever (left unsolved, or
    never answered); with it, every ticket older than a week and a half has been settled,
    and only the last days' tickets are open."""
    shaped, raw = tmp_path / "shaped", tmp_path / "raw"
    generate(shaped, 2000, seed=5, days=21, end=END, present=True)
    generate(raw, 2000, seed=5, days=21, end=END)
    ten_days_ago = pd.Timestamp("2026-11-27T05:21:00Z")
    assert open_tickets(raw, ten_days_ago) > 50
    assert open_tickets(shaped, ten_days_ago) == 0
    assert open_tickets(shaped, pd.Timestamp(END)) > 20  # the present: recent work is open


def test_the_outage_three_days_ago(tmp_path: Path) -> None:
    """The busiest day for tickets and for mentions is the third day before the end (the
    24 hours from 4 Dec 05:21 UTC), whatever its weekday."""
    generate(tmp_path, 2000, seed=5, days=21, end=END, present=True)
    day = pd.Timedelta(days=1)
    start = pd.Timestamp(END) - 21 * day

    def per_day(name: str, column: str) -> pd.Series:
        at = pd.read_parquet(tmp_path / f"{name}.parquet")[column]
        return ((at - start) // day).value_counts()

    assert per_day("tickets", "created_at").idxmax() == 18
    mentions = per_day("mentions", "at")
    assert mentions.idxmax() == 18
    assert mentions[18] > 5 * mentions.drop([18, 19, 20]).mean()
    # most tickets about the outage get the bulk reply within the hour, even at night
    tickets = pd.read_parquet(tmp_path / "tickets.parquet").set_index("ticket_id")
    events = pd.read_parquet(tmp_path / "events.parquet")
    replies = events[(events["author_role"] == "agent") & events["public"].astype(bool)]
    first = replies.groupby("ticket_id")["at"].min()
    wait = (first - tickets["created_at"].reindex(first.index)).dt.total_seconds() / 3600
    created = (tickets["created_at"].reindex(first.index) - start) // day
    assert wait[created == 18].median() < 1.0 < wait[created < 17].median()


def test_cli_sample_ends_now_by_default(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The current instant cut to the whole minute is the end: the same command run twice in
    a minute writes the same data, and `--end` makes it again later."""
    from deskmetrics.engine import periods

    monkeypatch.setattr(periods, "utc_now", lambda: datetime(2026, 12, 7, 5, 21, 42))
    a, b = tmp_path / "a", tmp_path / "b"
    r = runner.invoke(app, ["sample", "--out", str(a), "--tickets", "300", "--days", "10"])
    assert r.exit_code == 0, r.output
    assert "the history ends 2026-12-07 05:21 UTC" in r.output
    args = ["sample", "--out", str(b), "--tickets", "300", "--days", "10"]
    r = runner.invoke(app, [*args, "--end", "2026-12-07T06:21:00+01:00"])
    assert r.exit_code == 0, r.output
    for name in NAMES:
        assert pq.read_table(a / f"{name}.parquet").equals(pq.read_table(b / f"{name}.parquet"))
    created = pd.read_parquet(a / "tickets.parquet")["created_at"]
    assert created.max() < pd.Timestamp("2026-12-07T05:21:00Z")
    assert created.min() >= pd.Timestamp("2026-11-27T05:21:00Z")


def test_cli_sample_refuses_a_bad_end_or_length(tmp_path: Path) -> None:
    r = runner.invoke(app, ["sample", "--out", str(tmp_path), "--end", "2026-12-07T05:00"])
    assert r.exit_code != 0 and "has no offset" in r.output
    r = runner.invoke(app, ["sample", "--out", str(tmp_path), "--days", "0"])
    assert r.exit_code != 0 and "--days must be at least 1" in r.output


def test_relative_range_is_the_dashboards_presets() -> None:
    """Monday 7 Dec 2026 05:21 UTC is 06:21 in Berlin; 03:21 UTC is still Sunday 6 Dec in
    New York."""
    monday = datetime(2026, 12, 7, 5, 21)
    berlin = "Europe/Berlin"
    assert relative_range("7d", None, None, monday, berlin) == ("2026-12-01", "2026-12-07")
    night = datetime(2026, 12, 7, 3, 21)
    assert relative_range("7d", None, None, night, "America/New_York") == (
        "2026-11-30",
        "2026-12-06",
    )
    assert relative_range("last-month", None, None, monday, berlin) == ("2026-11-01", "2026-11-30")
    assert relative_range("this-quarter", None, None, monday, berlin) == (
        "2026-10-01",
        "2026-12-07",
    )
    assert relative_range("yesterday", None, None, monday, berlin) == ("2026-12-06",) * 2
    with pytest.raises(DeskmetricsError, match="drop --from"):
        relative_range("7d", "2026-12-01", None, monday, berlin)
    with pytest.raises(DeskmetricsError, match="unknown --range"):
        relative_range("fortnight", None, None, monday, berlin)
    assert date.fromisoformat(relative_range("14d", None, None, monday, berlin)[0]) == date(
        2026, 11, 24
    )
