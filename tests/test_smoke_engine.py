"""A first end-to-end check of compute on a hand-made workspace."""

from conftest import build_workspace, msg, one, status, ticket
from deskmetrics.query import compute


def test_first_response_time_calendar_and_business() -> None:
    # Mon 2026-03-02 08:00 created (before opening at 09:00), agent reply 10:00.
    # calendar: 08:00 → 10:00 = 120 min; business: 09:00 → 10:00 = 60 min
    ws = build_workspace(
        {
            "tickets": [ticket("T1", "2026-03-02T08:00:00Z")],
            "events": [
                msg("e1", "T1", "2026-03-02T08:00:00Z", "customer"),
                msg("e2", "T1", "2026-03-02T10:00:00Z", "agent", "a1"),
                status("e3", "T1", "2026-03-02T11:00:00Z", "solved", "a1"),
            ],
        }
    )
    df = compute(ws, ["first_response_time", "first_response_time_business"])
    assert one(df, metric="first_response_time")["value"] == 120.0
    assert one(df, metric="first_response_time_business")["value"] == 60.0
