"""Extension points: a new importer, dashboard page or notification channel is one entry in
one registry, and the rest of the code picks it up from there."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from typer.testing import CliRunner

from conftest import UTC_9_TO_5, build_workspace, settings, ticket
from deskmetrics.cli import app as cli_app
from deskmetrics.importers.pipeline import IMPORTERS, SOURCES, ImportRun, import_directory
from deskmetrics.model import TABLES, SourceFrame, ValidFrame, validate
from deskmetrics.notify.base import NotificationError
from deskmetrics.notify.channels import CHANNELS, deliver
from deskmetrics.web import NAV, templates


def test_an_importer_is_one_entry_in_importers(monkeypatch: pytest.MonkeyPatch) -> None:
    def one_ticket(run: ImportRun) -> Iterator[ValidFrame]:
        frame = pd.DataFrame([ticket("N1", "2026-03-02T10:00:00Z")])
        run.done, run.total = 1, 1
        yield validate(SourceFrame(TABLES["tickets"], "new.json", frame), run.assume_tz)
        run.tell("new.json")

    monkeypatch.setitem(IMPORTERS, "newdesk", one_ticket)
    ws = build_workspace({}, UTC_9_TO_5)
    seen: list[tuple[str, int, int]] = []
    summary = import_directory(ws, "anywhere", "newdesk", progress=lambda *a: seen.append(a))
    assert summary.tables["tickets"].inserted == 1
    assert ("new.json", 1, 1) in seen
    assert ws.backend.con.execute("SELECT ticket_id FROM tickets").fetchall() == [("N1",)]


def test_the_cli_offers_every_importer_and_refuses_others(tmp_path: Path) -> None:
    import deskmetrics.importers

    assert SOURCES == (
        "canonical", "zendesk", "freshdesk", "helpscout", "intercom", "chatwoot", "zammad", "csv",
        "survey-csv", "stripe",
    )  # fmt: skip
    # the names the command's help lists without loading the importers are the readers' names
    assert tuple(IMPORTERS) == deskmetrics.importers.SOURCES
    r = CliRunner().invoke(
        cli_app, ["--db", str(tmp_path / "w.duckdb"), "import", str(tmp_path), "--from", "nope"]
    )
    assert r.exit_code != 0
    assert all(name in r.output for name in SOURCES)


def test_a_channel_is_one_entry_in_channels(monkeypatch: pytest.MonkeyPatch) -> None:
    got: list[tuple[str, Mapping[str, Any]]] = []
    monkeypatch.setitem(CHANNELS, "memo", lambda target, p, s: got.append((target, p)))
    deliver("memo", "desk", {"text": "hi"}, settings())
    assert got == [("desk", {"text": "hi"})]
    with pytest.raises(NotificationError, match="unknown channel 'pigeon'"):
        deliver("pigeon", "desk", {}, settings())


def test_scoped_pages_keep_the_scope_in_their_navigation_link() -> None:
    html = templates.get_template("base.html").render(
        NAV=NAV, query="from=2026-03-02&to=2026-03-08", active="trends", current_user=None
    )
    for page in NAV:
        link = f'href="{page.path}?from=2026-03-02&amp;to=2026-03-08"'
        assert (link in html) is page.scoped, page.key
    assert 'href="/dashboard/sla"' in html
