"""The synthetic data set: deterministic, consistent, valid, and covering every scenario the
metrics must handle."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from deskmetrics.model import TABLES, SourceFrame, validate
from deskmetrics.sample import generate

N = 500
NAMES = (
    "tickets", "events", "surveys", "survey_requests", "agents", "customers", "subscriptions",
    "costs", "social_posts", "mentions",
)  # fmt: skip


@pytest.fixture(scope="module")
def parquet_dir(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, int]]:
    out = tmp_path_factory.mktemp("parquet")
    return out, generate(out, N, seed=11)


@pytest.fixture(scope="module")
def csv_dir(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, int]]:
    out = tmp_path_factory.mktemp("csv")
    return out, generate(out, N, seed=11, fmt="csv")


@pytest.fixture(scope="module")
def tickets(parquet_dir: tuple[Path, dict[str, int]]) -> pd.DataFrame:
    return pd.read_parquet(parquet_dir[0] / "tickets.parquet")


@pytest.fixture(scope="module")
def events(parquet_dir: tuple[Path, dict[str, int]]) -> pd.DataFrame:
    return pd.read_parquet(parquet_dir[0] / "events.parquet")


@pytest.fixture(scope="module")
def table(parquet_dir: tuple[Path, dict[str, int]]) -> dict[str, pd.DataFrame]:
    return {name: pd.read_parquet(parquet_dir[0] / f"{name}.parquet") for name in NAMES}


def read(path: Path) -> pd.DataFrame:
    if path.suffix == ".parquet":
        return pd.read_parquet(path)
    if path.suffix == ".csv":
        return pd.read_csv(path, dtype=str)
    return pd.read_json(path, lines=True, dtype=False, convert_dates=False)


def test_same_seed_same_data_other_seed_other_data(tmp_path: Path) -> None:
    a, b, c = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    generate(a, 300, seed=3, fmt="csv")
    generate(b, 300, seed=3, fmt="csv")
    generate(c, 300, seed=4, fmt="csv")
    for name in NAMES:
        assert (a / f"{name}.csv").read_bytes() == (b / f"{name}.csv").read_bytes(), name
    assert (a / "events.csv").read_bytes() != (c / "events.csv").read_bytes()
    generate(a, 300, seed=3)
    generate(b, 300, seed=3)
    for name in NAMES:
        assert pq.read_table(a / f"{name}.parquet").equals(pq.read_table(b / f"{name}.parquet"))


def test_row_counts_match_files(
    parquet_dir: tuple[Path, dict[str, int]], csv_dir: tuple[Path, dict[str, int]]
) -> None:
    for out, counts in (parquet_dir, csv_dir):
        assert set(counts) == set(NAMES)
        assert counts["tickets"] == N
        for name, rows in counts.items():
            assert len(read(next(out.glob(f"{name}.*")))) == rows, name
    assert parquet_dir[1] == csv_dir[1]


def test_parquet_types(parquet_dir: tuple[Path, dict[str, int]]) -> None:
    out = parquet_dir[0]
    tickets = pq.read_schema(out / "tickets.parquet")
    events = pq.read_schema(out / "events.parquet")
    assert tickets.field("created_at").type == pa.timestamp("us", tz="UTC")
    assert events.field("at").type == pa.timestamp("us", tz="UTC")
    assert tickets.field("converted").type == pa.bool_()
    assert events.field("public").type == pa.bool_()
    assert pq.read_schema(out / "costs.parquet").field("period_start").type == pa.date32()


def test_csv_text_formats(csv_dir: tuple[Path, dict[str, int]]) -> None:
    tickets = pd.read_csv(csv_dir[0] / "tickets.csv", dtype=str)
    assert tickets["created_at"].str.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ").all()
    assert set(tickets["converted"]) == {"true", "false"}
    costs = pd.read_csv(csv_dir[0] / "costs.csv", dtype=str)
    assert costs["period_start"].str.fullmatch(r"\d{4}-\d\d-01").all()
    assert set(costs["currency"]) == {"EUR"}


@pytest.mark.parametrize("fmt", ["parquet", "csv", "jsonl"])
def test_every_table_passes_validation(fmt: str, tmp_path: Path) -> None:
    generate(tmp_path, N, seed=11, fmt=fmt)  # type: ignore[arg-type]
    for name in NAMES:
        path = tmp_path / f"{name}.{fmt}"
        frame = read(path)
        valid = validate(SourceFrame(TABLES[name], str(path), frame))
        assert valid.rejects == [], (name, valid.rejects[:3])
        assert len(valid.frame) == len(frame), name
        if name == "tickets":
            assert "region" in valid.frame.columns  # an extra column is kept


def test_events_belong_to_tickets_in_order(tickets: pd.DataFrame, events: pd.DataFrame) -> None:
    assert events["event_id"].is_unique and tickets["ticket_id"].is_unique
    assert events["ticket_id"].isin(tickets["ticket_id"]).all()
    joined = events.merge(tickets[["ticket_id", "created_at"]], on="ticket_id")
    assert (joined["at"] >= joined["created_at"]).all()
    gaps = events.groupby("ticket_id", sort=False)["at"].diff().dropna()
    assert (gaps > pd.Timedelta(0)).all()  # strictly ordered within a ticket
    assert 4 <= len(events) / len(tickets) <= 8
    first = events.groupby("ticket_id").head(1)
    assert (first["type"] == "message").all()
    assert (
        first.set_index("ticket_id")["at"] == tickets.set_index("ticket_id")["created_at"]
    ).all()


def test_agent_created_tickets_open_with_an_agent_message(
    tickets: pd.DataFrame, events: pd.DataFrame
) -> None:
    by_agent = tickets.loc[tickets["created_by"] == "agent", "ticket_id"]
    assert 0.01 < len(by_agent) / len(tickets) < 0.12
    first = events.groupby("ticket_id").head(1).set_index("ticket_id")
    opening = first.loc[by_agent]
    assert (opening["author_role"] == "agent").all() and opening["public"].all()
    others = first.drop(by_agent)
    assert (others["author_role"] == "customer").all()


def test_bot_messages_and_internal_notes(tickets: pd.DataFrame, events: pd.DataFrame) -> None:
    bots = events[events["author_role"] == "bot"]
    assert len(bots) and (bots["author_id"] == "bot").all()
    created = tickets.set_index("ticket_id")["created_at"].loc[bots["ticket_id"]]
    assert (bots["at"].to_numpy() - created.to_numpy() <= pd.Timedelta(minutes=1)).all()
    assert set(tickets.set_index("ticket_id").loc[bots["ticket_id"], "channel"]) <= {"email", "web"}
    notes = events[(events["type"] == "message") & (events["public"] == False)]  # noqa: E712
    assert (notes["author_role"] == "agent").all()
    assert 0.05 < notes["ticket_id"].nunique() / len(tickets) < 0.3


def test_unanswered_reopened_and_unsolved_tickets(
    tickets: pd.DataFrame, events: pd.DataFrame
) -> None:
    agent_msgs = events[(events["author_role"] == "agent") & (events["public"] == True)]  # noqa: E712
    replied = agent_msgs.groupby("ticket_id").size()
    agent_created = set(tickets.loc[tickets["created_by"] == "agent", "ticket_id"])
    answered = {t for t, k in replied.items() if k >= (2 if t in agent_created else 1)}
    unanswered = 1 - len(answered) / len(tickets)
    assert 0.005 < unanswered < 0.15

    status = events[events["type"] == "status"]
    before = status.groupby("ticket_id")["status"].shift()
    reopened = status.loc[(before == "solved") & (status["status"] == "open"), "ticket_id"]
    solved = status.loc[status["status"] == "solved", "ticket_id"].nunique()
    assert 0.02 < reopened.nunique() / solved < 0.2
    last = status.groupby("ticket_id")["status"].last()
    unsolved = len(tickets) - last.isin(["solved", "closed"]).sum()
    assert 0.03 < unsolved / len(tickets) < 0.25
    assert {"new", "open", "pending", "hold", "solved"} <= set(status["status"])
    assert (status.loc[status["status"] != "new", "author_id"].str.startswith("A")).all()


def test_interactions_of_calls_and_chats(tickets: pd.DataFrame, events: pd.DataFrame) -> None:
    calls = events[events["type"] == "interaction"]
    assert len(calls)
    channel = tickets.set_index("ticket_id").loc[calls["ticket_id"], "channel"]
    assert set(channel) <= {"phone", "chat"}
    assert calls["agent_id"].notna().all()
    assert (calls["talk_seconds"] > 0).all() and (calls["wrap_seconds"] > 0).all()
    assert (calls["hold_seconds"] == 0).mean() > 0.3 and (calls["hold_seconds"] > 0).any()
    others = events[events["type"] != "interaction"]
    assert others["talk_seconds"].isna().all()


def test_repeat_contacts_within_seven_days(tickets: pd.DataFrame) -> None:
    ordered = tickets.sort_values(["requester_id", "created_at"])
    following = ordered.groupby("requester_id")["created_at"].shift(-1)
    repeat = (following - ordered["created_at"]) <= pd.Timedelta(days=7)
    assert 0.05 < repeat.mean() < 0.35


def test_people_and_assignments_are_consistent(
    parquet_dir: tuple[Path, dict[str, int]], tickets: pd.DataFrame, events: pd.DataFrame
) -> None:
    out = parquet_dir[0]
    agents = pd.read_parquet(out / "agents.parquet")
    customers = pd.read_parquet(out / "customers.parquet").set_index("customer_id")
    assert 20 <= len(agents) <= 40 and not agents["active"].all()
    assert tickets["assignee_id"].dropna().isin(agents["agent_id"]).all()
    assert tickets["requester_id"].isin(customers.index).all()
    first = tickets.groupby("requester_id")["created_at"].min()
    assert (customers.loc[first.index, "created_at"] <= first).all()
    assert customers["churned_at"].notna().any()
    team = agents.set_index("agent_id")["team"]
    assign = events[events["type"] == "assignment"]
    assert (team.loc[assign["assignee_id"]].to_numpy() == assign["group"].to_numpy()).all()
    people = events.loc[events["type"] == "message", "author_id"]
    assert people.isin({*agents["agent_id"], *customers.index, "bot"}).all()


def test_arrivals_follow_office_hours(tickets: pd.DataFrame) -> None:
    local = tickets["created_at"].dt.tz_convert("Europe/Berlin")
    office = (local.dt.weekday < 5) & (local.dt.hour >= 8) & (local.dt.hour < 18)
    assert office.mean() > 0.55
    assert tickets["created_at"].is_monotonic_increasing
    assert tickets["ticket_id"].iloc[0] == "T000000001"


def test_start_days_and_progress(tmp_path: Path) -> None:
    seen: list[int] = []
    start = pd.Timestamp("2025-03-01T00:00:00Z").to_pydatetime()
    counts = generate(tmp_path, 300, seed=1, start=start, days=10, progress=seen.append)
    assert sum(seen) == 300 == counts["tickets"]
    created = pd.read_parquet(tmp_path / "tickets.parquet")["created_at"]
    end = pd.Timestamp("2025-03-11T00:00:00Z")
    assert created.min() >= pd.Timestamp(start) and created.max() < end
    events = pd.read_parquet(tmp_path / "events.parquet")
    assert events["at"].max() < end  # what would come later has not happened yet
    for name, column in (
        ("surveys", "answered_at"), ("survey_requests", "sent_at"),
        ("social_posts", "posted_at"), ("mentions", "at"),
    ):  # fmt: skip
        at = pd.read_parquet(tmp_path / f"{name}.parquet")[column]
        assert at.max() < end and at.min() >= pd.Timestamp(start), name
    subs = pd.read_parquet(tmp_path / "subscriptions.parquet")
    assert subs["started_at"].max() < end and subs["ended_at"].max() < end


def test_rejects_bad_arguments(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        generate(tmp_path, 0)
    with pytest.raises(ValueError):
        generate(tmp_path, 10, fmt="xml")  # type: ignore[arg-type]


def test_json_lines_escape_text_and_keep_nulls() -> None:
    from deskmetrics.sample import _json_lines

    batch = pa.record_batch(
        {
            "s": pa.array(['say "hi" \\ now\n\tok', None, "plain"]),
            "n": pa.array([1, None, 3], pa.int32()),
            "b": pa.array([True, None, False]),
        }
    )
    rows = [json.loads(line) for line in _json_lines(batch).decode().splitlines()]
    assert rows == [
        {"s": 'say "hi" \\ now\n\tok', "n": 1, "b": True},
        {"s": None, "n": None, "b": None},
        {"s": "plain", "n": 3, "b": False},
    ]
    tail = _json_lines(batch.slice(1))
    assert [json.loads(line) for line in tail.decode().splitlines()] == rows[1:]


# --- surveys -------------------------------------------------------------------------------------


def last_solved(events: pd.DataFrame) -> pd.Series:
    status = events[events["type"] == "status"]
    return status[status["status"] == "solved"].groupby("ticket_id")["at"].max()


def test_surveys_follow_solved_tickets(
    table: dict[str, pd.DataFrame], tickets: pd.DataFrame, events: pd.DataFrame
) -> None:
    surveys, requests = table["surveys"], table["survey_requests"]
    assert surveys["response_id"].is_unique and requests["request_id"].is_unique
    assert requests["ticket_id"].is_unique  # one request per surveyed ticket
    solved = last_solved(events)
    # about 30% of solved tickets answer; most solved tickets are asked
    assert 0.25 <= len(surveys) / len(solved) <= 0.35
    assert 0.7 <= len(requests) / len(solved) <= 0.95
    # a request is sent about a day after the (last) solve, the answer comes after the request
    sent = requests.set_index("ticket_id")["sent_at"]
    wait = sent - solved.reindex(sent.index)
    assert wait.between(pd.Timedelta(hours=20), pd.Timedelta(hours=28)).all()
    answer = surveys.set_index("ticket_id")
    assert answer.index.isin(sent.index).all()
    assert (answer["answered_at"] > sent.reindex(answer.index)).all()
    assert (answer["answered_at"] > solved.reindex(answer.index)).all()
    kinds = requests.set_index("ticket_id")["kind"].reindex(answer.index)
    assert (kinds == answer["kind"]).all()
    # the ticket's people and channel
    t = tickets.set_index("ticket_id").reindex(answer.index)
    assert (answer["customer_id"] == t["requester_id"]).all()
    assert (answer["channel"] == t["channel"]).all()
    assert answer["agent_id"].equals(t["assignee_id"])
    assert answer["agent_id"].notna().all()
    req = requests.set_index("ticket_id")["customer_id"]
    assert (req == tickets.set_index("ticket_id")["requester_id"].reindex(req.index)).all()


def test_survey_kinds_scales_and_scores(table: dict[str, pd.DataFrame]) -> None:
    s = table["surveys"]
    assert set(zip(s["kind"], s["scale"], strict=True)) == {
        ("csat", "1-5"),
        ("csat", "good-bad"),
        ("nps", "0-10"),
        ("ces", "1-7:higher-easier"),
    }
    assert (s["kind"].value_counts(normalize=True)["csat"]) > 0.55
    assert set(s.loc[s["scale"] == "good-bad", "score"]) == {"good", "bad"}
    assert (s.loc[s["scale"] == "good-bad", "channel"] == "chat").all()
    csat = s.loc[s["scale"] == "1-5", "score"].astype(int)
    assert set(csat) == {1, 2, 3, 4, 5}
    assert 0.7 < (csat >= 4).mean() < 0.9  # around the industry's 80%
    nps = s.loc[s["kind"] == "nps", "score"].astype(int)
    assert nps.between(0, 10).all()
    assert 0 < ((nps >= 9).mean() - (nps <= 6).mean()) * 100 < 60
    ces = s.loc[s["kind"] == "ces", "score"].astype(int)
    assert ces.between(1, 7).all() and ces.mean() > 4


def test_satisfaction_follows_the_experience(tmp_path: Path) -> None:
    out = tmp_path / "big"
    generate(out, 6000, seed=5)
    events = pd.read_parquet(out / "events.parquet")
    tickets = pd.read_parquet(out / "tickets.parquet").set_index("ticket_id")
    s = pd.read_parquet(out / "surveys.parquet")
    csat = s[s["scale"] == "1-5"].set_index("ticket_id")["score"].astype(int)
    status = events[events["type"] == "status"]
    before = status.groupby("ticket_id")["status"].shift()
    reopened = set(status.loc[(before == "solved") & (status["status"] == "open"), "ticket_id"])
    is_reopened = csat.index.isin(reopened)
    assert csat[is_reopened].mean() < csat[~is_reopened].mean() - 0.5
    replies = events[(events["author_role"] == "agent") & events["public"].astype(bool)]
    first = replies.groupby("ticket_id")["at"].min()
    frt = (first - tickets["created_at"]).reindex(csat.index)
    slow = frt > pd.Timedelta(hours=24)
    assert csat[slow].mean() < csat[~slow].mean() - 0.3
    # comments: more on bad answers, and they say what went wrong
    bad = (s["score"].isin(["1", "2", "bad"]) & (s["kind"] == "csat")) | (
        (s["kind"] == "nps") & (s["score"].astype(str).str.len() == 1) & (s["score"] < "7")
    )
    assert s.loc[bad, "comment"].notna().mean() > 2 * s.loc[~bad, "comment"].notna().mean()
    again = s[s["ticket_id"].isin(reopened) & bad & s["comment"].notna()]
    assert again["comment"].str.contains("again|twice|came back|wasn't", regex=True).mean() > 0.9


# --- customers and subscriptions -----------------------------------------------------------------


def test_subscriptions_fit_their_customers(table: dict[str, pd.DataFrame]) -> None:
    subs, customers = table["subscriptions"], table["customers"].set_index("customer_id")
    assert subs["subscription_id"].is_unique
    assert subs["customer_id"].isin(customers.index).all()
    assert (subs["mrr"] > 0).all() and set(subs["currency"]) == {"EUR"}
    c = customers.reindex(subs["customer_id"])
    assert (subs["started_at"].to_numpy() >= c["created_at"].to_numpy()).all()
    assert (subs["ended_at"].isna() | (subs["started_at"] < subs["ended_at"])).all()
    churned = c["churned_at"].notna().to_numpy()
    assert (subs["ended_at"].to_numpy()[churned] <= c["churned_at"].to_numpy()[churned]).all()
    # free customers pay nothing; paying customers have one running subscription until churn
    paying = customers["tier"] != "free"
    assert set(subs["customer_id"]) == set(customers.index[paying])
    last = subs.groupby("customer_id").tail(1).set_index("customer_id")
    cust = customers.reindex(last.index)
    assert (last["ended_at"].isna() == cust["churned_at"].isna()).all()
    ended = cust["churned_at"].notna()
    assert (last.loc[ended, "ended_at"] == cust.loc[ended, "churned_at"]).all()


def test_plan_changes_replace_a_subscription(table: dict[str, pd.DataFrame]) -> None:
    subs = table["subscriptions"]
    per = subs.groupby("customer_id").size()
    assert set(per) == {1, 2}
    share = (per == 2).mean()
    assert 0.05 < share < 0.3
    two = subs[subs["customer_id"].isin(per.index[per == 2])]
    old, new = two.groupby("customer_id").nth(0), two.groupby("customer_id").nth(1)
    old, new = old.set_index("customer_id"), new.set_index("customer_id")
    assert (old["ended_at"] == new["started_at"]).all()  # the new plan follows at once
    up = new["mrr"] > old["mrr"]
    assert 0.4 < up.mean() < 0.9 and (~up).any()  # upgrades and downgrades
    assert (new["started_at"] >= subs["started_at"].min()).all()


# --- social media --------------------------------------------------------------------------------


def test_social_posts(table: dict[str, pd.DataFrame]) -> None:
    posts = table["social_posts"]
    assert posts["post_id"].is_unique and posts["posted_at"].is_monotonic_increasing
    assert set(posts["platform"]) == {"linkedin", "x", "instagram", "facebook"}
    missing = posts["impressions"].isna()
    assert 0.05 < missing.mean() < 0.5  # sometimes not reported
    shown = posts[~missing]
    assert (shown["likes"] <= shown["impressions"]).all()
    assert (posts[["followers", "likes", "shares", "comments"]] >= 0).all().all()
    rate = (shown["likes"] + shown["shares"] + shown["comments"]) / shown["impressions"]
    assert 0.002 < rate.median() < 0.1
    first = posts.groupby("platform")["followers"].first()
    last = posts.groupby("platform")["followers"].last()
    assert (last >= first).all()


def test_mentions_have_a_spike_week(table: dict[str, pd.DataFrame], tickets: pd.DataFrame) -> None:
    m = table["mentions"]
    assert m["mention_id"].is_unique and m["at"].is_monotonic_increasing
    assert m["author"].str.fullmatch(r"@[a-zäöü]+_\d+").all()
    weekly = m.groupby(m["at"].dt.tz_localize(None).dt.to_period("W")).size()
    assert weekly.max() > 2.5 * weekly.median()
    # the spike starts on a busy ticket day (an outage), after the first two weeks, and is
    # mostly about the outage
    daily = m.groupby(m["at"].dt.floor("D")).size()
    peak = daily.idxmax()
    assert peak >= m["at"].min().floor("D") + pd.Timedelta(days=14)
    per_day = tickets.groupby(tickets["created_at"].dt.floor("D")).size()
    assert per_day[peak] > per_day.median()
    spike = m[(m["at"] >= peak) & (m["at"] < peak + pd.Timedelta(days=2))]
    assert spike["text"].str.contains("down|outage|500s", regex=True).mean() > 0.5
