"""Alert rules measured through the registry on hand-computed data; episodes, recovery and
cooldown delivered to a real SMTP server and a webhook receiver on loopback."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pandas as pd
import pytest

from conftest import UTC_9_TO_5, build_workspace, msg, ticket
from deskmetrics.alerts import evaluate
from deskmetrics.alerts.rules import parse_rule
from deskmetrics.alerts.store import history
from deskmetrics.config import Settings, WebhookTarget
from deskmetrics.engine import Workspace
from deskmetrics.engine.store import load
from deskmetrics.errors import ConfigError
from deskmetrics.model import TABLES, SourceFrame, validate
from deskmetrics.notify.delivery import deliver_due, delivery_log
from deskmetrics.notify.webhook import SIGNATURE_HEADER, TIMESTAMP_HEADER, verify_signature
from receivers import MailSink, WebhookSink

NOW = datetime(2026, 3, 10, 12, 0)  # a Tuesday, UTC
SECRET = "hook-secret"


def answers(prefix: str, ticket_id: str, scores: list[int], at: str) -> list[dict[str, Any]]:
    return [
        {
            "response_id": f"{prefix}{i}",
            "kind": "csat",
            "scale": "1-5",
            "score": str(s),
            "answered_at": at,
            "ticket_id": ticket_id,
        }
        for i, s in enumerate(scores)
    ]


def add(ws: Workspace, table: str, rows: list[dict[str, Any]]) -> None:
    frame = validate(SourceFrame(TABLES[table], f"{table}.more", pd.DataFrame(rows)))
    assert not load(ws.backend.con, [frame], source="more").rejects


def config(**alerts: Any) -> dict[str, Any]:
    return {
        **UTC_9_TO_5,
        "alerts": {"min_n": 10, "cooldown_minutes": 60, **alerts},
    }


CSAT_RULE = {
    "name": "csat-low",
    "metric": "csat",
    "below": 85,
    "window_hours": 168,
    "by": ["team"],
}


@pytest.fixture
def csat_ws() -> Workspace:
    # billing: 10 answers, 7 satisfied (4 or 5)   → CSAT 7/10 = 70%  < 85 → fires
    # tech:    10 answers, 9 satisfied            → CSAT 9/10 = 90%  ≥ 85 → fine
    # sales:    3 answers, 0 satisfied            → 0%, but n = 3 < min_n 10 → not judged
    # old:     an answer 8 days before NOW, outside the 7-day window: not counted
    return build_workspace(
        {
            "tickets": [
                ticket("B", "2026-03-09T09:00:00Z", group="billing"),
                ticket("T", "2026-03-09T09:00:00Z", group="tech"),
                ticket("S", "2026-03-09T09:00:00Z", group="sales"),
            ],
            "surveys": answers("b", "B", [5, 5, 5, 5, 4, 4, 4, 1, 2, 3], "2026-03-09T10:00:00Z")
            + answers("t", "T", [5] * 9 + [1], "2026-03-09T10:00:00Z")
            + answers("s", "S", [1, 1, 1], "2026-03-09T10:00:00Z")
            + answers("old", "T", [1] * 20, "2026-03-02T10:00:00Z"),
        },
        config(rules=[CSAT_RULE]),
    )


def test_threshold_per_team_on_hand_computed_csat(csat_ws: Workspace) -> None:
    report = evaluate(csat_ws, now=NOW)
    seen = {o.group["team"]: o for o in report.observations}
    assert seen["billing"].value == pytest.approx(70.0) and seen["billing"].n == 10
    assert seen["billing"].firing is True
    assert seen["tech"].value == pytest.approx(90.0) and seen["tech"].firing is False
    assert seen["sales"].n == 3 and seen["sales"].firing is None  # too few to judge
    assert report.fired == [("csat-low", {"team": "billing"})]
    assert report.errors == {}


def test_mean_first_response_on_chat_above_ten_minutes() -> None:
    # chat tickets created Monday 2026-03-09 10:00 UTC (business hours), first agent reply
    # after 5, 15 and 40 minutes → mean (5 + 15 + 40) / 3 = 20 min > 10 → fires; the e-mail
    # ticket (100 min) is filtered out. Business and calendar minutes agree inside 09–17.
    rows = [("C1", 5), ("C2", 15), ("C3", 40)]
    ws = build_workspace(
        {
            "tickets": [ticket(t, "2026-03-09T10:00:00Z", channel="chat") for t, _ in rows]
            + [ticket("E1", "2026-03-09T10:00:00Z", channel="email")],
            "events": [msg(f"{t}-r", t, f"2026-03-09T10:{m:02d}:00Z", "agent") for t, m in rows]
            + [msg("E1-r", "E1", "2026-03-09T11:40:00Z", "agent")],
        },
        config(
            min_n=3,
            rules=[
                {
                    "name": "chat-frt",
                    "metric": "first_response_time_business",
                    "above": 10,
                    "filters": {"channel": "chat"},
                }
            ],
        ),
    )
    report = evaluate(ws, now=NOW)
    (obs,) = report.observations
    assert obs.value == pytest.approx(20.0) and obs.n == 3 and obs.firing is True
    # the same rule with min_n 4 does not judge three tickets
    strict = parse_rule({**obs.rule.model_dump(), "name": "chat-frt-4", "min_n": 4})
    (quiet,) = evaluate(ws, now=NOW, rules=[strict]).observations
    assert quiet.firing is None


def test_volume_spike_against_the_baseline() -> None:
    # baseline: one ticket a day for the 28 days before the window → 1 per 24 h window;
    # window (last 24 h): 5 tickets ≥ factor 2 × 1 = 2 → spike
    base = [
        ticket(
            f"B{i}", f"{(NOW - timedelta(days=1, hours=12) - timedelta(days=i)):%Y-%m-%dT%H:%M:%SZ}"
        )
        for i in range(28)
    ]
    recent = [ticket(f"R{i}", f"2026-03-10T0{i}:00:00Z") for i in range(5)]
    ws = build_workspace(
        {"tickets": base + recent},
        config(
            min_n=3,
            rules=[
                {"name": "volume-spike", "kind": "spike", "metric": "volume", "window_hours": 24}
            ],
        ),
    )
    (obs,) = evaluate(ws, now=NOW).observations
    assert obs.value == 5 and obs.threshold == pytest.approx(2.0) and obs.firing is True


def test_bad_rules_are_refused_with_a_clear_message() -> None:
    with pytest.raises(ConfigError, match=r"csatt"):
        parse_rule({"name": "x", "metric": "csatt", "below": 85})
    with pytest.raises(ConfigError, match="exactly one of above or below"):
        parse_rule({"name": "x", "metric": "csat"})
    with pytest.raises(ConfigError, match="count metric"):
        parse_rule({"name": "x", "kind": "spike", "metric": "csat"})
    with pytest.raises(ConfigError, match="statistic = value"):
        parse_rule({"name": "x", "metric": "csat", "statistic": "p90", "below": 85})


@pytest.fixture
def receivers(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[MailSink, WebhookSink]]:
    monkeypatch.setenv("TEST_HOOK_SECRET", SECRET)
    mail, hook = MailSink().start(), WebhookSink().start()
    yield mail, hook
    mail.stop()
    hook.stop()


def wired(ws: Workspace, mail: MailSink, hook: WebhookSink) -> Settings:
    s = ws.settings.model_copy(deep=True)
    s.email = s.email.model_validate({"host": "127.0.0.1", "port": mail.port})
    s.webhooks = {"ops": WebhookTarget(url=hook.url, secret_env="TEST_HOOK_SECRET")}
    s.alerts.rules = [parse_rule({**CSAT_RULE, "email": ["lead@example.com"], "webhooks": ["ops"]})]
    ws.settings = s
    return s


def test_one_message_per_episode_recovery_and_cooldown(
    csat_ws: Workspace, receivers: tuple[MailSink, WebhookSink]
) -> None:
    mail, hook = receivers
    s = wired(csat_ws, mail, hook)

    def run(at: datetime) -> None:
        evaluate(csat_ws, s, now=at)
        deliver_due(csat_ws, s, now=at)

    # billing stays at 70% over three evaluations → exactly one alert
    for minutes in (0, 5, 10):
        run(NOW + timedelta(minutes=minutes))
    assert mail.wait_for(1) and hook.wait_for(1)
    assert len(mail.messages) == 1 and len(hook.posts) == 1
    assert mail.messages[0]["Subject"].startswith(
        "[ALERT] csat-low: csat over the last 7 days is 70.0%"
    )
    body = json.loads(hook.posts[0].body)
    assert body["event"] == "alert.fired" and body["group"] == {"team": "billing"}
    assert body["value"] == pytest.approx(70.0) and body["threshold"] == 85 and body["n"] == 10
    # the signature proves the sender
    post = hook.posts[0]
    assert verify_signature(
        SECRET, post.headers[TIMESTAMP_HEADER], post.body, post.headers[SIGNATURE_HEADER]
    )
    assert not verify_signature(
        "wrong", post.headers[TIMESTAMP_HEADER], post.body, post.headers[SIGNATURE_HEADER]
    )

    # 20 satisfied answers: billing (7 + 20) / (10 + 20) = 27/30 = 90% ≥ 85 → one recovery
    add(csat_ws, "surveys", answers("b2-", "B", [5] * 20, "2026-03-10T12:15:00Z"))
    recovered_at = NOW + timedelta(minutes=20)
    run(recovered_at)
    run(recovered_at + timedelta(minutes=5))
    assert mail.wait_for(2) and hook.wait_for(2)
    assert len(mail.messages) == 2
    assert mail.messages[1]["Subject"].startswith("[RESOLVED] csat-low")
    assert json.loads(hook.posts[1].body)["event"] == "alert.recovered"

    # 30 unhappy answers: 27 / 60 = 45% < 85, 10 min after the recovery (cooldown 60 min)
    # → a new episode is recorded but nobody is paged
    add(csat_ws, "surveys", answers("b3-", "B", [1] * 30, "2026-03-10T12:35:00Z"))
    run(recovered_at + timedelta(minutes=10))
    run(recovered_at + timedelta(minutes=59))
    assert len(mail.messages) == 2 and len(hook.posts) == 2
    events = history(csat_ws)
    assert [e["event"] for e in events][:1] == ["fired"]
    assert events[0]["notified"] is False and "cooldown until" in events[0]["message"]

    # still true when the cooldown has passed (60 min after the recovery): now it is news
    run(recovered_at + timedelta(minutes=60))
    assert mail.wait_for(3) and hook.wait_for(3)
    assert len(mail.messages) == 3 and "45.0%" in mail.messages[2]["Subject"]
    run(recovered_at + timedelta(minutes=65))
    assert len(mail.messages) == 3

    kinds = [(e["event"], e["notified"]) for e in reversed(history(csat_ws))]
    assert kinds == [("fired", True), ("recovered", True), ("fired", False), ("fired", True)]
    assert all(e["delivery"] in ("sent", None) for e in history(csat_ws))
    # who was told: each notified event names its recipients; the quiet one none
    told = [(e["event"], e["recipients"]) for e in reversed(history(csat_ws))]
    both = ["email lead@example.com", "webhook ops"]
    assert told == [("fired", both), ("recovered", both), ("fired", []), ("fired", both)]
    # and the alerts page says so, for the episode firing now and in the history
    from fastapi.testclient import TestClient

    from deskmetrics import accounts
    from deskmetrics.api import create_app

    accounts.set_user(csat_ws, "lead", "correct horse", "viewer")
    c = TestClient(create_app(csat_ws, secret="test-secret"))
    c.post("/login", data={"name": "lead", "password": "correct horse"})
    page = c.get("/dashboard/alerts").text
    firing = page.split("<h2>History</h2>")[0]
    assert "email lead@example.com, webhook ops" in firing
    assert "sent: email lead@example.com, webhook ops" in page


def test_a_failing_receiver_does_not_lose_the_alert(
    csat_ws: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TEST_HOOK_SECRET", SECRET)
    mail, hook = MailSink().start(), WebhookSink(fail_first=2).start()
    try:
        s = wired(csat_ws, mail, hook)
        s.alerts.rules[0].email = []
        s.delivery.retry_base_seconds = 30
        evaluate(csat_ws, s, now=NOW)
        assert deliver_due(csat_ws, s, now=NOW).retrying  # 500
        log = delivery_log(csat_ws)[0]
        assert log["attempts"] == 1 and "answered 500" in log["last_error"]
        assert history(csat_ws)[0]["delivery"] == "pending"
        # retried after 30 s (500 again), then after 30·2 = 60 s more: delivered
        assert deliver_due(csat_ws, s, now=NOW + timedelta(seconds=30)).retrying
        assert deliver_due(csat_ws, s, now=NOW + timedelta(seconds=89)).sent == []
        assert len(deliver_due(csat_ws, s, now=NOW + timedelta(seconds=90)).sent) == 1
        assert hook.wait_for(1) and hook.attempts == 3 and len(hook.posts) == 1
        log = delivery_log(csat_ws)[0]
        assert log["status"] == "sent" and log["attempts"] == 3
        assert history(csat_ws)[0]["delivery"] == "sent"
    finally:
        mail.stop()
        hook.stop()


def test_handoff_rate_rule_fires_on_the_ai_agents_tickets() -> None:
    """Four chat tickets on Mon 9 March, each answered by the AI agent first; in three a person
    wrote after it → handoff rate 3/4 = 75 % > 50 % → fires. A ticket with only a bot
    acknowledgement is not AI-engaged and does not count (n = 4)."""
    tickets = [ticket(f"A{i}", "2026-03-09T10:00:00Z", f"r{i}", channel="chat") for i in range(4)]
    tickets.append(ticket("B0", "2026-03-09T10:00:00Z", "rb", channel="chat"))
    events = [msg(f"A{i}-ai", f"A{i}", "2026-03-09T10:01:00Z", "ai_agent", "fin") for i in range(4)]
    events += [msg(f"A{i}-p", f"A{i}", "2026-03-09T10:20:00Z", "agent", "a1") for i in range(3)]
    events.append(msg("B0-bot", "B0", "2026-03-09T10:00:00Z", "bot", "auto"))
    ws = build_workspace(
        {"tickets": tickets, "events": events},
        config(
            min_n=4,
            rules=[{"name": "handoffs", "metric": "ai_handoff_rate", "above": 50}],
        ),
    )
    (obs,) = evaluate(ws, now=NOW).observations
    assert obs.n == 4
    assert obs.value == pytest.approx(75.0)
    assert obs.firing is True


Rows = list[dict[str, Any]]


def _ai_tickets(prefix: str, day: str, n: int, handed: int) -> tuple[Rows, Rows]:
    """`n` chat tickets on `day` answered by the AI agent; the first `handed` taken over by a
    person."""
    tickets = [ticket(f"{prefix}{i}", f"{day}T10:00:00Z", f"{prefix}r{i}", channel="chat")
               for i in range(n)]  # fmt: skip
    events = [msg(f"{prefix}{i}-ai", f"{prefix}{i}", f"{day}T10:01:00Z", "ai_agent", "fin")
              for i in range(n)]  # fmt: skip
    events += [msg(f"{prefix}{i}-p", f"{prefix}{i}", f"{day}T10:30:00Z", "agent", "a1")
               for i in range(handed)]  # fmt: skip
    return tickets, events


def test_a_rate_spike_needs_the_factor_and_more_than_chance() -> None:
    """Baseline (the 7 days before the 24-hour window): 40 AI tickets on Tue 3 March, 8 handed
    over → 20 %. Window (Mon 9 March 12:00 → Tue 10 March 12:00): 40 tickets on Tue 10 March
    10:00, 20 handed over
    → 50 % ≥ 2 × 20 % = 40 %; pooled 28/80 = 35 %, se = √(0.35 · 0.65 · (1/40 + 1/40)) =
    0.10665, z = 0.30 / 0.10665 = 2.81, p = 0.005 → fires. The same rates on 10 tickets each
    (2 → 5 of 10) reach the factor but p = 0.16: noise, no alert."""
    t1, e1 = _ai_tickets("B", "2026-03-03", 40, 8)
    t2, e2 = _ai_tickets("W", "2026-03-10", 40, 20)
    rule = {"name": "handoff-spike", "kind": "spike", "metric": "ai_handoff_rate",
            "factor": 2, "window_hours": 24, "baseline_days": 7}  # fmt: skip
    ws = build_workspace({"tickets": t1 + t2, "events": e1 + e2}, config(min_n=10, rules=[rule]))
    now = datetime(2026, 3, 10, 12, 0)
    (obs,) = evaluate(ws, now=now).observations
    assert obs.value == pytest.approx(50.0) and obs.n == 40
    assert obs.threshold == pytest.approx(40.0)
    assert obs.firing is True
    t1, e1 = _ai_tickets("B", "2026-03-03", 10, 2)
    t2, e2 = _ai_tickets("W", "2026-03-10", 10, 5)
    small = build_workspace({"tickets": t1 + t2, "events": e1 + e2}, config(min_n=10, rules=[rule]))
    (quiet,) = evaluate(small, now=now).observations
    assert quiet.value == pytest.approx(50.0) and quiet.threshold == pytest.approx(40.0)
    assert quiet.firing is False


def test_a_spike_on_a_mean_is_refused() -> None:
    with pytest.raises(ConfigError, match="or a rate where higher is worse"):
        parse_rule({"name": "x", "kind": "spike", "metric": "first_response_time"})
    # a rise in CSAT is good news: a spike rule on it is refused, a threshold rule is the way
    with pytest.raises(ConfigError, match="use a threshold rule"):
        parse_rule({"name": "x", "kind": "spike", "metric": "csat"})
