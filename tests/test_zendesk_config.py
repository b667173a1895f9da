"""`deskmetrics zendesk config`: Zendesk schedules, holidays and SLA policies → deskmetrics.toml,
checked by hand and read back through the loader deskmetrics.toml goes through."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from typer.testing import CliRunner

from deskmetrics.cli import app
from deskmetrics.config import Settings, load_settings
from deskmetrics.errors import ImportDataError
from deskmetrics.importers.zendesk_settings import (
    RAILS_TIME_ZONES,
    Conversion,
    ZendeskSettings,
    convert,
    duration,
    iana_zone,
    read_zendesk_settings,
    to_toml,
    weekly_hours,
)

FIXTURES = Path(__file__).parent / "fixtures" / "zendesk_settings"
SCHEDULES = FIXTURES / "schedules.json"
HOLIDAYS_21 = FIXTURES / "holidays-21.json"
POLICIES = FIXTURES / "sla_policies.json"
GROUPS = FIXTURES / "groups.json"
ALL = [POLICIES, HOLIDAYS_21, GROUPS, SCHEDULES]  # any order: told apart by content
runner = CliRunner()

LUNCH = "09:00-12:30,13:30-17:00"


def _settings(tmp_path: Path, zd: ZendeskSettings, default: str | None = None) -> Settings:
    """Convert, write, and read back with deskmetrics' own loader."""
    path = tmp_path / "deskmetrics.toml"
    path.write_text(to_toml(convert(zd, default)), encoding="utf-8")
    return load_settings(path)


def test_schedule_with_lunch_break_and_rails_zone(tmp_path: Path) -> None:
    s = _settings(tmp_path, read_zendesk_settings([SCHEDULES, HOLIDAYS_21])).schedules["21"]
    # "Berlin" is Rails' name; 1980 = Monday (1440) + 09:00 (540), 2190 = Monday 12:30, …
    assert s.timezone == "Europe/Berlin"
    assert s.hours == dict.fromkeys(("mon", "tue", "wed", "thu", "fri"), LUNCH)
    assert s.default  # the first schedule, as nothing else was asked


def test_schedule_crossing_midnight_is_split_at_midnight(tmp_path: Path) -> None:
    s = _settings(tmp_path, read_zendesk_settings([SCHEDULES, HOLIDAYS_21])).schedules["22"]
    assert s.timezone == "America/New_York"
    assert s.hours == {
        "mon": "20:00-24:00",  # 2640–3120: Monday 20:00 → Tuesday 04:00
        "tue": "00:00-04:00,20:00-24:00",  # … and 4080–4320: Tuesday 20:00 → midnight
        "wed": "00:00-24:00",  # 4320–5760: all Wednesday
        "sat": "22:00-24:00",  # 9960–10200: Saturday 22:00 → past the week's end …
        "sun": "00:00-02:00",  # … wraps to Sunday 02:00
    }
    assert not s.default


def test_weekly_hours_merges_touching_intervals_and_rejects_nonsense() -> None:
    assert weekly_hours(
        [{"start_time": 1980, "end_time": 2100}, {"start_time": 2100, "end_time": 2460}]
    ) == {"mon": "09:00-17:00"}
    with pytest.raises(ImportDataError):
        weekly_hours([{"start_time": 600, "end_time": 500}])


def test_holidays_multi_day_expand_and_nested_holidays_are_kept(tmp_path: Path) -> None:
    st = _settings(tmp_path, read_zendesk_settings([SCHEDULES, HOLIDAYS_21]))
    # 24–26 December is one Zendesk holiday of three days
    assert st.schedules["21"].holidays.dates == [
        date(2026, 12, 24),
        date(2026, 12, 25),
        date(2026, 12, 26),
        date(2027, 1, 1),
    ]
    assert st.schedules["21"].holidays.country is None
    assert st.schedules["22"].holidays.dates == [date(2026, 7, 3)]  # nested in the schedule


def test_holidays_need_a_schedule_when_the_name_does_not_say(tmp_path: Path) -> None:
    loose = tmp_path / "holidays.json"
    loose.write_text(HOLIDAYS_21.read_text())
    with pytest.raises(ImportDataError, match="--holidays SCHEDULE_ID="):
        read_zendesk_settings([SCHEDULES, loose])
    zd = read_zendesk_settings([SCHEDULES], {"22": loose})
    assert [h["name"] for h in zd.holidays["22"]] == ["Christmas break", "New Year"]
    with pytest.raises(ImportDataError, match="schedule 99"):
        read_zendesk_settings([SCHEDULES], {"99": loose})


def test_rails_zone_table() -> None:
    for name, zone in RAILS_TIME_ZONES.items():
        ZoneInfo(zone)  # every target exists
        assert iana_zone(name) == zone
    assert len(RAILS_TIME_ZONES) >= 150
    assert iana_zone("Pacific Time (US & Canada)") == "America/Los_Angeles"
    assert iana_zone("eastern time (us & canada)") == "America/New_York"
    assert iana_zone("Asia/Kolkata") == "Asia/Kolkata"  # an IANA name passes through
    with pytest.raises(ImportDataError):
        iana_zone("Atlantis")


def test_durations_are_hours_and_minutes() -> None:
    assert [duration(m) for m in (15, 60, 90, 1440, 4320, 0.5)] == [
        "15m",
        "1h",
        "1h30m",
        "24h",
        "72h",
        "30s",
    ]


def _policies(tmp_path: Path) -> list[dict[str, Any]]:
    st = _settings(tmp_path, read_zendesk_settings(ALL))
    return [p.model_dump(exclude_defaults=True) for p in st.sla.policies]


def test_sla_policy_with_three_priorities_and_mixed_business_calendar(tmp_path: Path) -> None:
    pols = _policies(tmp_path)
    # Zendesk order is by position (VIP 1, Incidents 2, Everyone else 3), not file order
    assert [p["name"] for p in pols] == [
        "VIP (urgent)",
        "VIP (high)",
        "VIP (normal)",
        "Incidents of key accounts (urgent)",
        "Everyone else (normal)",
        "Everyone else (low)",
    ]
    vip_when = {"tags": ["vip", "enterprise"], "group": "Tier 2", "channel": "email"}
    assert pols[:3] == [
        {
            "name": "VIP (urgent)",
            "source_policy": ["VIP", "72"],
            "when": {"priority": "urgent", **vip_when},
            "first_reply": "30m",
            "next_reply": "1h",
            "resolution": "4h",  # requester wait time: business hours, paused while pending
            "calendar": ["first_reply", "next_reply"],
            "pause": {"resolution": ["pending"]},
        },
        {
            "name": "VIP (high)",
            "source_policy": ["VIP", "72"],
            "when": {"priority": "high", **vip_when},
            "first_reply": "1h",
            "periodic_update": "1h30m",
            "resolution": "8h",  # agent work time: paused while pending and on hold
            "calendar": ["periodic_update"],
            "pause": {"resolution": ["pending", "hold"]},
        },
        {
            "name": "VIP (normal)",
            "source_policy": ["VIP", "72"],
            "when": {"priority": "normal", **vip_when},
            "first_reply": "4h",
            "periodic_update": "24h",  # pausable update: paused while pending
            "resolution": "72h",
            "calendar": ["resolution"],
            "pause": {"periodic_update": ["pending"], "resolution": ["pending"]},
        },
    ]
    assert pols[4:] == [
        {
            "name": "Everyone else (normal)",
            "source_policy": ["Everyone else", "71"],
            "when": {"priority": "normal"},
            "first_reply": "8h",
            "resolution": "48h",
            "pause": {"resolution": ["pending"]},
        },
        {
            "name": "Everyone else (low)",
            "source_policy": ["Everyone else", "71"],
            "when": {"priority": "low"},
            "first_reply": "24h",
        },
    ]


def test_settings_behave_as_zendesk_says(tmp_path: Path) -> None:
    st = _settings(tmp_path, read_zendesk_settings(ALL))
    urgent, high, normal = st.sla.policies[:3]
    assert urgent.target_seconds("first_reply") == 30 * 60
    assert urgent.in_calendar_time("first_reply") and not urgent.in_calendar_time("resolution")
    assert urgent.paused_by("resolution") == ("pending",)
    assert high.paused_by("resolution") == ("pending", "hold")
    assert high.paused_by("periodic_update") == ()
    assert normal.paused_by("periodic_update") == ("pending",)
    assert normal.target_seconds("resolution") == 4320 * 60


def test_unsupported_conditions_are_commented_and_reported(tmp_path: Path) -> None:
    zd = read_zendesk_settings(ALL)
    conv = convert(zd)
    text = to_toml(conv)
    vip = text.index('name = "VIP (urgent)"')
    above = text[text.rindex("\n\n", 0, vip) : vip]
    assert "# not expressed: ticket_form_id is 777" in above
    assert "# approximated: via 4 → channel email" in above
    incidents = text.index('name = "Incidents of key accounts (urgent)"')
    above = text[text.rindex("\n\n", 0, incidents) : incidents]
    assert "# not expressed: any of: brand_id is 9; organization_id is 77" in above
    # the conditions it can say are kept
    assert 'when = { priority = "urgent", ticket_type = "incident" }' in text
    assert sorted((n.subject, n.kind) for n in conv.notes) == [
        ('SLA policy "Incidents of key accounts"', "not expressed"),
        ('SLA policy "VIP"', "approximated"),
        ('SLA policy "VIP"', "not expressed"),
    ]


def _policy(
    filter_: dict[str, Any], priorities: tuple[str, ...] = ("urgent", "normal")
) -> dict[str, Any]:
    return {
        "id": 1,
        "title": "P",
        "position": 1,
        "filter": filter_,
        "policy_metrics": [
            {"priority": p, "metric": "first_reply_time", "target": 60, "business_hours": True}
            for p in priorities
        ],
    }


def _policy_notes(conv: Conversion) -> list[str]:
    """The notes on policies (these tests give no schedules, which is noted too)."""
    return [n.line for n in conv.notes if n.subject != "schedules"]


def test_filter_conditions_mapped_and_refused() -> None:
    groups = {"5001": "Tier 2", "5002": "Billing"}
    zd = ZendeskSettings(
        sla_policies=[
            _policy(
                {
                    "all": [{"field": "priority", "operator": "greater_than", "value": "normal"}],
                    "any": [
                        {"field": "group_id", "operator": "is", "value": 5001},
                        {"field": "group_id", "operator": "is", "value": "5002"},
                    ],
                }
            )
        ],
        groups=groups,
    )
    conv = convert(zd)
    # greater than normal: only the urgent targets apply; the normal ones never can
    assert [p.values["when"] for p in conv.policies] == [
        {"priority": "urgent", "group": ["Tier 2", "Billing"]}
    ]
    assert _policy_notes(conv) == ["not expressed: normal targets: the filter excludes normal"]
    zd = ZendeskSettings(
        sla_policies=[
            _policy(
                {
                    "all": [
                        {"field": "group_id", "operator": "is_not", "value": 5001},
                        {"field": "current_tags", "operator": "not_includes", "value": "spam"},
                        {"field": "organization_id", "operator": "is", "value": 77},
                        {"field": "group_id", "operator": "is", "value": 6000},
                    ]
                },
                ("high",),
            )
        ]
    )
    conv = convert(zd)
    assert conv.policies[0].values["when"] == {
        "priority": "high",
        "organization_id": "77",
        "group": "6000",
    }
    lines = _policy_notes(conv)
    assert len(lines) == 3
    assert lines[0].startswith("not expressed: group_id is_not 5001 (`when` can only match")
    assert lines[1].startswith('not expressed: current_tags not_includes "spam"')
    assert lines[2].startswith("approximated: group 6000 written as the id")


def test_same_target_twice_keeps_the_first_and_reports_the_other() -> None:
    p = _policy({"all": [], "any": []}, ())
    p["policy_metrics"] = [
        {"priority": "low", "metric": "agent_work_time", "target": 600, "business_hours": True},
        {"priority": "low", "metric": "requester_wait_time", "target": 900, "business_hours": True},
    ]
    conv = convert(ZendeskSettings(sla_policies=[p]))
    assert conv.policies[0].values["resolution"] == "15h"  # requester wait time wins
    assert conv.policies[0].values["pause"] == {"resolution": ["pending"]}
    assert "agent_work_time: one resolution target per policy" in _policy_notes(conv)[0]


TICKETS = """ticket_id,created_at,requester_id,channel,priority,group,tags,ticket_type
T1,2026-03-02T08:00:00Z,c1,email,urgent,Tier 2,vip,question
T2,2026-03-02T10:00:00Z,c2,chat,normal,Billing,,question
T3,2026-03-03T08:00:00Z,c3,email,urgent,Tier 2,enterprise;x,incident
"""
EVENTS = """event_id,ticket_id,at,type,author_role,author_id,public,status
e1,T1,2026-03-02T08:00:00Z,message,customer,c1,true,
e2,T1,2026-03-02T13:00:00Z,message,agent,a1,true,
e3,T2,2026-03-02T10:00:00Z,message,customer,c2,true,
e4,T2,2026-03-02T10:30:00Z,message,agent,a2,true,
e5,T3,2026-03-03T08:00:00Z,message,customer,c3,true,
"""


def test_round_trip_through_the_cli(tmp_path: Path) -> None:
    r = runner.invoke(app, ["zendesk", "config", *map(str, ALL)])
    assert r.exit_code == 0, r.output
    assert "ticket_form_id is 777" in r.stderr  # reported, not only commented
    assert "2 schedules, 6 SLA policies" in r.stderr
    cfg = tmp_path / "deskmetrics.toml"
    cfg.write_text(r.stdout, encoding="utf-8")
    st = load_settings(cfg)
    assert st == Settings.model_validate(convert(read_zendesk_settings(ALL)).settings_data())
    assert st.default_schedule.id == "21" and st.report_timezone == "Europe/Berlin"

    # the file works as --config: business time on the lunch-break schedule, SLA policies
    data = tmp_path / "data"
    data.mkdir()
    (data / "tickets.csv").write_text(TICKETS)
    (data / "events.csv").write_text(EVENTS)
    base = ["--db", str(tmp_path / "w.duckdb"), "--config", str(cfg)]
    r = runner.invoke(app, [*base, "import", str(data)])
    assert r.exit_code == 0, r.output
    r = runner.invoke(
        app,
        [*base, "report", "first_response_time_business", "--by", "priority", "--format", "json"],
    )
    assert r.exit_code == 0, r.output
    got = {x["priority"]: x["value"] for x in json.loads(r.stdout)}
    # T1: 09:00 → 14:00 Berlin less the 12:30–13:30 lunch = 240; T2: 11:00 → 11:30 = 30
    assert got == {"urgent": 240.0, "normal": 30.0}
    r = runner.invoke(app, [*base, "sla", "--now", "2026-03-03T09:00:00Z", "--format", "json"])
    assert r.exit_code == 0, r.output
    rows = json.loads(r.stdout)
    # T1 and T3 (urgent, Tier 2, tagged vip/enterprise, by e-mail) are VIP. T1's resolution
    # (4 business hours: Monday 09:00–12:30 and 13:30–14:00 Berlin) is overdue since Monday;
    # T3 had 30 calendar minutes to reply. T3's resolution has 3 business hours left.
    assert [(x["ticket_id"], x["sla_target"], x["policy"], x["status"]) for x in rows] == [
        ("T1", "resolution", "VIP (urgent)", "breached"),
        ("T3", "first_reply", "VIP (urgent)", "breached"),
    ]
    assert rows[0]["due_at"].startswith("2026-03-02T13:00:00")


def test_cli_holidays_option_default_schedule_out_and_strict(tmp_path: Path) -> None:
    loose = tmp_path / "closed.json"
    loose.write_text(HOLIDAYS_21.read_text())
    out = tmp_path / "z.toml"
    args = ["zendesk", "config", str(SCHEDULES), "--holidays", f"22={loose}"]
    r = runner.invoke(app, [*args, "--default-schedule", "22", "--out", str(out)])
    assert r.exit_code == 0, r.output
    st = load_settings(out)
    assert st.default_schedule.id == "22"
    assert date(2026, 12, 25) in st.schedules["22"].holidays.dates
    assert st.schedules["21"].holidays.dates == []
    r = runner.invoke(app, ["zendesk", "config", str(POLICIES), "--strict"])
    assert r.exit_code == 1
    assert "no schedules file given" in r.stderr
    r = runner.invoke(app, ["zendesk", "config", str(SCHEDULES), "--holidays", "22"])
    assert r.exit_code == 2 and "SCHEDULE_ID=FILE" in r.stderr
    bad = tmp_path / "tickets.json"
    bad.write_text('{"tickets": []}')
    r = runner.invoke(app, ["zendesk", "config", str(bad)])
    assert r.exit_code == 2 and "not a Zendesk schedules" in r.stderr


def test_any_across_priority_and_another_field_is_not_expressed() -> None:
    p = _policy(
        {
            "any": [
                {"field": "priority", "operator": "is", "value": "urgent"},
                {"field": "brand_id", "operator": "is", "value": 9},
            ]
        }
    )
    conv = convert(ZendeskSettings(sla_policies=[p]))
    assert [x.values["when"] for x in conv.policies] == [
        {"priority": "urgent"},
        {"priority": "normal"},
    ]
    assert _policy_notes(conv)[0].endswith("(`when` cannot OR different fields)")
