"""The `deskmetrics` command: a thin Typer layer over the public API."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext, suppress
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from deskmetrics.errors import DeskmetricsError
from deskmetrics.importers import SOURCES

if TYPE_CHECKING:
    import pandas as pd

    from deskmetrics.config import Settings
from deskmetrics.present import (
    METRIC_SETS,
    MISSING,
    expand_sets,
    format_change,
    format_value,
    jsonable,
    records,
    trend,
)
from deskmetrics.present import headline as headline_set

app = typer.Typer(
    rich_markup_mode=None,
    name="deskmetrics",
    help="Customer-service metrics you can trust, from your help desk's exports.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
# wide enough for a report when stdout is a file or a pipe (rich would assume 80 columns)
console = Console(width=None if sys.stdout.isatty() or os.environ.get("COLUMNS") else 160)
err = Console(stderr=True, soft_wrap=True)


class State:
    db: Path = Path("deskmetrics.duckdb")
    #: --db given as another engine's URL (read only)
    url: str | None = None
    #: with --db URL: the local DuckDB file holding users, tokens, sessions, alert rules
    state: Path = Path("deskmetrics-app.duckdb")
    config: Path | None = None
    #: seconds to wait for a running server (or another command) to release the workspace
    wait: float = 30.0
    _settings: Settings | None = None

    @classmethod
    def settings(cls) -> Settings:
        if cls._settings is None:
            from deskmetrics.config import load_settings

            cls._settings = load_settings(cls.config)
        return cls._settings


class Format(StrEnum):
    table = "table"
    csv = "csv"
    json = "json"
    markdown = "markdown"


class FactsFormat(StrEnum):
    csv = "csv"
    parquet = "parquet"
    xlsx = "xlsx"
    json = "json"


class AmountsIn(StrEnum):
    units = "units"
    cents = "cents"


class SampleFormat(StrEnum):
    parquet = "parquet"
    csv = "csv"
    jsonl = "jsonl"


@app.callback()
def main_options(
    db: Annotated[
        str | None,
        typer.Option(
            "--db",
            help="DuckDB workspace file (default deskmetrics.duckdb), or another engine's URL "
            "(postgres://user:password@host/database; default: [engine] url of the settings).",
        ),
    ] = None,
    config: Annotated[
        Path | None, typer.Option("--config", help="Settings file (default ./deskmetrics.toml).")
    ] = None,
    wait: Annotated[
        float,
        typer.Option(
            "--wait",
            min=0,
            help="Seconds to wait for a running `deskmetrics serve` to release the workspace.",
        ),
    ] = 30.0,
    state: Annotated[
        Path,
        typer.Option(
            "--state",
            help="With --db URL: the local file keeping users, tokens, sessions and alert "
            "rules (the engine is only read).",
        ),
    ] = Path("deskmetrics-app.duckdb"),
) -> None:
    """Global options come before the command: deskmetrics --db x.duckdb report csat"""
    from deskmetrics.config import is_engine_url

    State.config = config
    State.wait = wait
    State.state = state
    State._settings = None
    if db is None:
        db = "deskmetrics.duckdb"
        if (config or Path("deskmetrics.toml")).exists():
            # (a broken settings file is said by the command, when it opens the workspace)
            with suppress(DeskmetricsError):
                db = State.settings().engine.url or db
    State.url = db if is_engine_url(db) else None
    State.db = Path(db)


def _workspace(read_only: bool = False) -> Any:
    """The workspace (--db); while `deskmetrics serve` holds it, asks the server to release
    it and waits up to --wait seconds (engine/handoff.py)."""
    from deskmetrics import appstate
    from deskmetrics.engine.handoff import open_waiting

    State.settings()  # a broken settings file is said first (it may name the engine)

    if State.url is not None:
        from deskmetrics.engine.workspace import open_url

        if not read_only:
            raise DeskmetricsError(
                "this command writes to the workspace; on another engine (--db URL) deskmetrics "
                "imports (`deskmetrics import`) and otherwise only reads: report, explain, facts, "
                "headline, staffing (and `connect` defines views over a connector's tables). "
                "Run it on a DuckDB file."
            )
        return open_url(State.url, State.settings())
    if read_only and not State.db.exists():
        raise DeskmetricsError(
            f"no workspace at {State.db}: run `deskmetrics import FOLDER` first "
            "(or `deskmetrics sample --out sample` to make sample data)"
        )
    ws = open_waiting(
        State.db, State.settings(), State.wait, on_wait=lambda what: err.print(f"{what} …")
    )
    appstate.ensure(ws)
    return ws


def _engine_to_import_into() -> Any:
    """The workspace on another engine (--db URL) an import writes to (through a DuckDB working
    copy: engine/remote.py)."""
    from deskmetrics.engine.workspace import open_url

    assert State.url is not None
    return open_url(State.url, State.settings(), read_only=False)


@contextmanager
def _changing() -> Iterator[Any]:
    """The workspace a writing command changes: the file, or on another engine (--db URL) a
    DuckDB working copy whose changes go back to the engine at the end (engine/remote.py)."""
    if State.url is None:
        yield _workspace()
        return
    from deskmetrics.engine.remote import working_copy

    with working_copy(_engine_to_import_into()) as local:
        yield local


def _app_workspace() -> Any:
    """The workspace whose app state (users, tokens) a command changes: the workspace file, or
    with --db URL the local state file (`--state`) the service over that URL uses; the engine
    itself is not reached."""
    if State.url is None:
        return _workspace()
    from deskmetrics import appstate
    from deskmetrics.engine import Workspace
    from deskmetrics.engine.pool import open_state, with_state

    ws = Workspace(backend=None, settings=State.settings(), read_only=True)
    ws = with_state(ws, open_state(State.state))
    appstate.ensure(ws)
    return ws


#: `--now`: every command that measures can be run as of a past moment
NowOption = Annotated[
    str | None,
    typer.Option(
        "--now",
        help="Measure as of this instant (ISO 8601 with offset, e.g. 2026-03-01T12:00:00Z): "
        "data recorded later is left out and running clocks stop there.",
    ),
]


def _workspace_at(now: str | None) -> Any:
    """The workspace (read-only use) as of `--now` (as it is, without it)."""
    from deskmetrics.query import parse_instant

    at = parse_instant(now, "--now") if now is not None else None
    return _workspace(read_only=True).at(at)


def _fmt(v: Any, col: str) -> str:
    v = jsonable(v)
    if v is None:
        return MISSING
    if isinstance(v, float):
        return f"{v:,.1f}" if col != "n" else f"{v:,.0f}"
    if isinstance(v, bool):
        return "yes" if v else ""
    s = str(v)
    return s[:10] if col == "period" and s.endswith("T00:00:00") else s


#: result columns that compare (with the previous period, a target, a benchmark, a version)
_COMPARED = (
    "previous", "change", "p_value", "significant", "target", "meets_target", "benchmark",
    "benchmark_name", "versus", "versus_value", "difference",
)  # fmt: skip
#: result columns `_readable` writes its own way
_WRITTEN = ("value", "unit", "ci_low", "ci_high", "small_sample", "p50", "p90", "n", *_COMPARED)


def _readable(df: pd.DataFrame, compared: str | None = None) -> pd.DataFrame:
    """Result rows as a person reads them: value with its unit, the interval in one column,
    a note for small samples; columns that say nothing are dropped."""
    import pandas as pd

    from deskmetrics.metrics import REGISTRY

    if "metric" not in df or "value" not in df or "unit" not in df:
        return df
    out = pd.DataFrame(index=df.index)
    for col in df.columns:
        if col in _WRITTEN or (col == "period" and df[col].isna().all()):
            continue
        if list(df.columns).index(col) > list(df.columns).index("value"):
            continue  # columns an engine module adds (spike, baseline …) go last
        out[col] = [_fmt(v, col) for v in df[col]]

    units = [str(u) for u in df["unit"]]
    out["value"] = [format_value(v, u) for v, u in zip(df["value"], units, strict=True)]
    out["n"] = [_fmt(v, "n") for v in df["n"]]
    for col in ("p50", "p90"):
        if df[col].notna().any():
            out[col] = [format_value(v, u) for v, u in zip(df[col], units, strict=True)]
    if df["ci_low"].notna().any():
        out["95% interval"] = [
            "" if pd.isna(lo) else f"{format_value(lo, u)}–{format_value(hi, u)}"
            for lo, hi, u in zip(df["ci_low"], df["ci_high"], units, strict=True)
        ]

    def change(values: pd.Series) -> list[str]:
        """Each change in its metric's unit, and whether it is better, worse or noise."""
        words = {"better": " better", "worse": " worse", "noise": " (noise)"}
        return [
            ""
            if pd.isna(c)
            else format_change(c, u)
            + words.get(trend(c, REGISTRY[str(m)].direction, s is not False), "")
            for c, u, m, s in zip(values, units, df["metric"], df["significant"], strict=True)
        ]

    if "change" in df:
        out["vs a year earlier" if compared == "year" else "vs previous"] = change(df["change"])
    if "difference" in df:
        out[f"vs {str(df['versus'].iloc[0]) if len(df) else ''}"] = change(df["difference"])
    if "target" in df:
        out["target"] = [
            ""
            if pd.isna(t)
            else f"{format_value(t, u)} " + ("met" if m is True else "missed" if m is False else "")
            for t, u, m in zip(
                df["target"], units, df.get("meets_target", df["target"]), strict=True
            )
        ]
    if "benchmark" in df:
        out["benchmark"] = [
            "" if pd.isna(b) else f"{format_value(b, u)} {name}"
            for b, u, name in zip(df["benchmark"], units, df["benchmark_name"], strict=True)
        ]
    if df["small_sample"].any():
        out["note"] = ["small sample" if s else "" for s in df["small_sample"]]
    first_extra = list(df.columns).index("small_sample") + 1
    for col in df.columns[first_extra:]:
        if col not in out and col not in _COMPARED and df[col].notna().any():
            out[col] = [_fmt(v, col) for v in df[col]]
    return out


#: columns a table may leave out to fit the terminal, the least needed first (the metric, its
#: groups, period, value and n always stay; `--wide` shows every column)
_DROPPABLE = (
    "benchmark", "p90", "p50", "note", "target", "95% interval", "vs a year earlier",
    "vs previous",
)  # fmt: skip
_NUMERIC_COLUMNS = (
    "value", "n", "p50", "p90", "95% interval", "read", "inserted", "updated", "unchanged",
    "rejected", "duplicate", "rolled_back", "deleted",
)  # fmt: skip


def _table_width(df: pd.DataFrame) -> int:
    """Cells a rich table of `df` needs on one line (per column: widest cell, padding, rule)."""
    widths = [max([len(str(c)), *(len(_fmt(v, str(c))) for v in df[c])]) + 3 for c in df.columns]
    return sum(widths) + 1


def _fit(df: pd.DataFrame, width: int) -> tuple[pd.DataFrame, list[str]]:
    """`df` without the least needed columns until it fits `width`; what was left out."""
    hidden: list[str] = []
    for col in _DROPPABLE:
        if _table_width(df) <= width:
            break
        if col in df.columns:
            df = df.drop(columns=[col])
            hidden.append(col)
    return df, hidden


def _print(
    df: pd.DataFrame,
    fmt: Format,
    title: str | None = None,
    wide: bool = False,
    compared: str | None = None,
) -> None:
    if fmt in (Format.table, Format.markdown):
        df = _readable(df, compared)
    if fmt is Format.json:
        sys.stdout.write(json.dumps(records(df), ensure_ascii=False) + "\n")
    elif fmt is Format.csv:
        from deskmetrics.reports.safe_cells import write_frame_csv

        write_frame_csv(df, sys.stdout)
    elif fmt is Format.markdown:
        cols = list(df.columns)
        sys.stdout.write("| " + " | ".join(cols) + " |\n|" + "---|" * len(cols) + "\n")
        for _, r in df.iterrows():
            sys.stdout.write("| " + " | ".join(_fmt(r[c], c) for c in cols) + " |\n")
    else:
        hidden: list[str] = []
        if not wide:
            df, hidden = _fit(df, console.width)
        t = Table(title=title, header_style="bold")
        for c in df.columns:
            right = c in _NUMERIC_COLUMNS
            # numbers never wrap; text (a metric's name, a group) may, rather than push them off
            t.add_column(escape(str(c)), justify="right" if right else "left", no_wrap=right)
        for _, r in df.iterrows():
            # cells are data, never markup: a subject '[bold]…' or a reason naming '[limits]'
            t.add_row(*(Text(_fmt(r[c], c)) for c in df.columns))
        if wide:  # as wide as the table needs (a console never prints wider than itself)
            Console(width=max(console.width, _table_width(df)), file=console.file).print(t)
        else:
            console.print(t)
        if hidden:
            console.print(
                Text(
                    f"(not shown to fit {console.width} columns: {', '.join(hidden)}; "
                    "--wide shows every column)",
                    style="dim",
                )
            )


#: the counts every import summary shows (duplicate and rolled_back too when not zero)
_COUNTS = ("read", "inserted", "updated", "unchanged", "rejected")


def _count_rows(summary: Any) -> list[dict[str, Any]]:
    """One row per table of an import summary (where every row read went: the named counts
    when not zero), or of a delete (rows deleted)."""
    tables = summary.tables.values()
    if summary.source.startswith("delete:"):
        shown = ["deleted"]
    else:
        named = ("duplicate", "rolled_back")
        shown = [*_COUNTS, *(c for c in named if any(vars(tc)[c] for tc in tables))]
    return [
        {"table": name, **{c: vars(tc)[c] for c in shown}} for name, tc in summary.tables.items()
    ]


def _fail(exc: Exception) -> NoReturn:
    err.print(f"[bold red]error:[/] {escape(str(exc))}")
    raise typer.Exit(code=2)


@contextmanager
def _failing() -> Iterator[None]:
    """A deskmetrics error inside is said and ends the command (exit code 2)."""
    try:
        yield
    except DeskmetricsError as exc:
        _fail(exc)


@app.command("import")
def import_(
    directory: Annotated[Path, typer.Argument(help="Folder or file with the export.")],
    source: Annotated[
        str,
        typer.Option("--from", help=f"Format of the files: {', '.join(SOURCES)}."),
    ] = "canonical",
    assume_tz: Annotated[
        str | None, typer.Option("--assume-tz", help="Zone of timestamps given without offset.")
    ] = None,
    strict: Annotated[
        bool, typer.Option("--strict", help="Store nothing if any row is rejected.")
    ] = False,
    mapping: Annotated[
        Path | None,
        typer.Option(
            "--mapping",
            help="TOML column mapping: csv (any help desk's ticket export; `deskmetrics "
            "mapping init FILE` suggests one) or survey-csv (default: [survey_csv] in "
            "deskmetrics.toml).",
        ),
    ] = None,
    amounts_in: Annotated[
        AmountsIn,
        typer.Option(
            "--amounts-in",
            help="stripe: amounts in units (Dashboard export) or cents (API export).",
        ),
    ] = AmountsIn.units,
    fmt: Annotated[Format, typer.Option("--format")] = Format.table,
) -> None:
    """Validate and store a folder of canonical files (tickets.csv, events.parquet, …), a
    Zendesk export, a survey tool's CSV (with a column mapping) or a Stripe subscription
    export. Bad rows are rejected with file, row, column and reason; nothing is lost."""
    import pandas as pd

    from deskmetrics.importers.pipeline import IMPORTERS, import_directory, memory_capped

    if source not in IMPORTERS:  # before the workspace is opened (or made)
        _fail(DeskmetricsError(f"unknown import source {source!r} (use {', '.join(IMPORTERS)})"))
    with _failing():
        ws = _workspace() if State.url is None else _engine_to_import_into()
        with Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=err,
            transient=True,
            disable=fmt is not Format.table,
        ) as bar:
            task = bar.add_task("reading", total=None)

            def progress(what: str, done: int, total: int) -> None:
                bar.update(task, description=what, completed=done, total=total)

            with memory_capped(ws, source):
                summary = import_directory(
                    ws,
                    directory,
                    source,
                    assume_tz,
                    strict,
                    progress,
                    mapping=mapping,
                    amounts_in=amounts_in.value,
                )
                facts_problem = None
                if summary.committed:
                    from deskmetrics.query import refresh_facts

                    # the cost of the first report after a large import is paid here, with a bar
                    bar.update(task, description="per-ticket facts", completed=0, total=None)
                    try:
                        refresh_facts(ws)
                    except DeskmetricsError as exc:  # the import itself is stored: say so
                        facts_problem = str(exc)
    rows = _count_rows(summary)
    if fmt is Format.json:
        out = summary.to_dict()
        out["rejects"] = [vars(r) for r in summary.rejects[:1000]]
        sys.stdout.write(json.dumps(out, default=str) + "\n")
    else:
        _print(pd.DataFrame(rows), fmt, title=f"import {summary.import_id}")
        for note in summary.notes:
            err.print(f"[yellow]note:[/] {escape(note)}")
    if facts_problem is not None:
        err.print(
            "[bold yellow]the import is stored, but its per-ticket facts could not be brought "
            f"up to date:[/] {facts_problem}. Fix deskmetrics.toml; reports will say the same."
        )
    if summary.rejects:
        err.print(f"[bold yellow]{summary.rejected} rows rejected[/] (kept in table _rejects):")
        for r in summary.rejects[:20]:
            err.print(f"  {escape(str(r))}")
        if len(summary.rejects) > 20:
            err.print(
                f"  … and {len(summary.rejects) - 20} more: `deskmetrics rejects` lists them all"
            )
    if not summary.committed:
        raise typer.Exit(code=1)


@app.command()
def rejects(fmt: Annotated[Format, typer.Option("--format")] = Format.table) -> None:
    """Every rejected row kept in the workspace, with file, row, column and reason."""
    from deskmetrics.query import rejected_rows

    with _failing():
        df = rejected_rows(_workspace(read_only=True))
    _print(df, fmt, title="rejected rows")


def _who() -> str | None:
    """The operating-system user running the command, for the import log (None if unknown)."""
    import getpass

    try:
        return getpass.getuser()
    except (OSError, KeyError):
        return None


@app.command("delete")
def delete_(
    table: Annotated[
        str,
        typer.Argument(help="Canonical table (tickets, events, costs …); 'all' with --import."),
    ],
    ids: Annotated[
        list[str] | None,
        typer.Option("--id", help="Key of a row to delete (repeatable; costs: their _row_hash)."),
    ] = None,
    import_id: Annotated[
        str | None, typer.Option("--import", help="Delete the rows this import stored.")
    ] = None,
    yes: Annotated[bool, typer.Option("--yes", help="Delete without asking first.")] = False,
    fmt: Annotated[Format, typer.Option("--format")] = Format.table,
) -> None:
    """Delete stored rows, by id or by the import that stored them, to correct a bad row: a
    ticket's events go with it (its survey answers stay). Shows what will go and asks first;
    one transaction, logged in the import log. Importing the rows again brings them back."""
    import pandas as pd

    from deskmetrics.engine.store import delete, plan_delete
    from deskmetrics.engine.workspace import duckdb_connection
    from deskmetrics.query import refresh_facts

    with _failing():
        # (on the file: says so when there is no workspace yet; on an engine, a working copy
        # whose deleted rows leave the engine at the end)
        where = _changing() if State.url is not None else nullcontext(_workspace(read_only=True))
        with where as ws:
            con = duckdb_connection(ws)
            plan = plan_delete(con, table, ids or [], import_id)
            err.print(f"[bold]to delete:[/] {plan.describe()}")
            for name, n in plan.rows.items():
                err.print(f"  {n:>8,} {name}")
            for name, n in plan.kept.items():
                err.print(f"  [dim]{n:>8,} {name} naming these tickets are kept[/]")
            if not yes and not typer.confirm(f"Delete these {plan.total:,} rows?", default=False):
                err.print("nothing was deleted")
                raise typer.Exit(code=1)
            summary = delete(con, table, ids or [], import_id, by=_who())
            facts_problem = None
            try:
                refresh_facts(ws)
            except DeskmetricsError as exc:  # the delete itself is done: say so
                facts_problem = str(exc)
    if fmt is Format.json:
        sys.stdout.write(json.dumps(summary.to_dict(), default=str) + "\n")
    else:
        _print(pd.DataFrame(_count_rows(summary)), fmt, title=f"delete {summary.import_id}")
        for note in summary.notes:
            err.print(f"[yellow]note:[/] {escape(note)}")
    if facts_problem is not None:
        err.print(
            "[bold yellow]the rows are deleted, but the per-ticket facts could not be brought "
            f"up to date:[/] {facts_problem}. Fix deskmetrics.toml; reports will say the same."
        )


#: `--range`: days relative to today, as the dashboard's date presets
RangeOption = Annotated[
    str | None,
    typer.Option(
        "--range",
        help="Days relative to today instead of --from/--to, as the dashboard's presets: "
        "today, yesterday, this-week, last-week, this-month, last-month, this-quarter, "
        "last-quarter or Nd (the N days to today, e.g. 7d).",
    ),
]


@app.command()
def report(
    metrics: Annotated[
        list[str] | None,
        typer.Argument(
            help="Registry names (see `deskmetrics metrics`) or a named set: "
            + ", ".join(METRIC_SETS)
            + "."
        ),
    ] = None,
    by: Annotated[list[str] | None, typer.Option("--by", help="Group by a dimension.")] = None,
    grain: Annotated[
        str | None, typer.Option("--grain", help="hour, day, week, month, quarter or year.")
    ] = None,
    tz: Annotated[str | None, typer.Option("--tz", help="Time zone for periods and dates.")] = None,
    start: Annotated[str | None, typer.Option("--from", help="First date (YYYY-MM-DD).")] = None,
    end: Annotated[str | None, typer.Option("--to", help="Last date, included.")] = None,
    span: RangeOption = None,
    where: Annotated[list[str] | None, typer.Option("--where", help="COLUMN=VALUE filter.")] = None,
    compare: Annotated[
        str | None,
        typer.Option(
            "--compare",
            help="'previous': the change against the period before; 'year': against the same "
            "period a year earlier; with whether it is more than noise.",
        ),
    ] = None,
    versus: Annotated[
        str | None,
        typer.Option(
            "--versus",
            help="With one --by: set every group against this one (e.g. --by handled_by "
            "--versus human_only), with whether the difference is more than noise.",
        ),
    ] = None,
    fmt: Annotated[Format, typer.Option("--format")] = Format.table,
    email: Annotated[
        list[str] | None,
        typer.Option(
            "--email",
            help="Send the report e-mail now (headline metrics, change against the week "
            "before, chart) to this address through [email] (repeatable); --from picks its "
            "first day, --team one team.",
        ),
    ] = None,
    team: Annotated[str | None, typer.Option("--team", help="With --email: one team.")] = None,
    sort: Annotated[
        str | None,
        typer.Option(
            "--sort",
            help="Order each metric's rows by a column: value, n, p50, p90, change, previous, "
            "period or a --by dimension (lowest first; --desc for highest first).",
        ),
    ] = None,
    desc: Annotated[bool, typer.Option("--desc", help="With --sort: highest first.")] = False,
    wide: Annotated[
        bool, typer.Option("--wide", help="Every column, however wide the terminal.")
    ] = False,
    now: NowOption = None,
) -> None:
    """Compute metrics, grouped and by period. Durations are in minutes in CSV and JSON, in
    readable units in the table. By agent, rows also carry the agent's name (`agent_name`)
    when the agents table has one. The table leaves out its least needed columns (benchmark,
    p90, p50, …) to fit the terminal; --wide shows them all."""
    from deskmetrics.query import compute, with_agent_names

    if email:
        if metrics:
            _fail(
                DeskmetricsError(
                    "--email sends the headline report (the registry's headline metrics); "
                    "drop the metric names, or print them without --email"
                )
            )
        if now is not None:
            _fail(DeskmetricsError("--now measures a report to print; drop it with --email"))
        send_report_cmd(email, team, start, tz)
        return
    if not metrics:
        _fail(DeskmetricsError("name at least one metric (see `deskmetrics metrics`)"))
    with _failing():
        ws = _workspace_at(now)
        if span is not None:
            zone = tz or State.settings().report_timezone
            start, end = relative_range(span, start, end, ws.now(), zone)
        df = compute(
            ws,
            expand_sets(metrics),
            by=by or [],
            grain=grain,
            tz=tz,
            start=start,
            end=end,
            filters=where or [],
            compare=compare,
            versus=versus,
        )
        df = with_agent_names(ws, df)
        if sort is not None:
            df = _sorted(df, sort, desc)
        implausible = ws.implausible()
    _print(df, fmt, wide=wide, compared=compare)
    for bad in implausible:  # stored rows no number reads: said on stderr, never in the rows
        err.print(f"note: {bad}", style="yellow", markup=False, highlight=False)


def _sorted(df: pd.DataFrame, column: str, desc: bool) -> pd.DataFrame:
    """Each metric's rows ordered by `column` (metrics keep the order they were asked in;
    rows without a value last)."""
    if column not in df.columns or column in ("metric", "unit"):
        known = [c for c in df.columns if c not in ("metric", "unit") and not c.startswith("_")]
        raise DeskmetricsError(
            f"--sort {column!r}: not a column of this report; use one of {', '.join(known)}"
        )
    order = {m: i for i, m in enumerate(dict.fromkeys(df["metric"]))}
    out = df.assign(_order=df["metric"].map(order))
    out = out.sort_values(
        ["_order", column], ascending=[True, not desc], na_position="last", kind="stable"
    )
    return out.drop(columns="_order").reset_index(drop=True)


def relative_range(
    key: str, start: str | None, end: str | None, now: datetime, tz: str
) -> tuple[str, str]:
    """First and last day (YYYY-MM-DD) of `--range KEY` for a report measured at `now` (naive
    UTC), today being the local day in `tz`; the same keys and days as the dashboard's date
    presets (`engine.periods.preset_range`)."""
    from deskmetrics.engine.periods import DATE_PRESETS, preset_range, to_local

    if start is not None or end is not None:
        raise DeskmetricsError("--range picks the days itself: drop --from and --to")
    keys = [k for _, k in DATE_PRESETS]
    days = key.removesuffix("d")
    if key not in keys and not (key.endswith("d") and days.isdigit() and int(days) >= 1):
        raise DeskmetricsError(f"unknown --range {key!r}; use one of {', '.join(keys)} or Nd")
    first, last = preset_range(key, to_local(now, tz).date())
    return first.isoformat(), last.isoformat()


@app.command()
def explain(
    metric: Annotated[str, typer.Argument(help="Registry name.")],
    by: Annotated[list[str] | None, typer.Option("--by")] = None,
    grain: Annotated[str | None, typer.Option("--grain")] = None,
    tz: Annotated[str | None, typer.Option("--tz", help="Time zone for periods and dates.")] = None,
    start: Annotated[str | None, typer.Option("--from")] = None,
    end: Annotated[str | None, typer.Option("--to")] = None,
    span: RangeOption = None,
    where: Annotated[list[str] | None, typer.Option("--where")] = None,
    limit: Annotated[int, typer.Option("--limit", help="Ids listed per group.")] = 50,
    fmt: Annotated[Format, typer.Option("--format")] = Format.table,
    now: NowOption = None,
) -> None:
    """The definition of a metric, what was counted, what was left out and why, and the ids."""
    from deskmetrics.query import compute
    from deskmetrics.query import explain as explain_

    with _failing():
        ws = _workspace_at(now)
        if span is not None:
            zone = tz or State.settings().report_timezone
            start, end = relative_range(span, start, end, ws.now(), zone)
        scope: dict[str, Any] = {"tz": tz, "start": start, "end": end, "filters": where or []}
        m, ex = explain_(ws, metric, by=by or [], grain=grain, limit=limit, **scope)
        # the number itself first: over the whole range and scope, as `report` gives it
        number = compute(ws, metric, **scope).iloc[0]
    value = jsonable(number["value"])
    if fmt is Format.json:
        sys.stdout.write(
            json.dumps(
                {
                    "metric": m.name,
                    "value": value,
                    "n": int(number["n"]),
                    "definition": m.description,
                    "unit": m.unit.value,
                    "counted": ex.counted,
                    "left_out": [
                        {"reason": r, "count": n, "ids": ex.left_out_ids.get(r, [])}
                        for r, n in ex.left_out
                    ],
                    "ids": ex.ids,
                }
            )
            + "\n"
        )
        return
    shown = format_value(value, m.unit.value)
    console.print(f"[bold]{escape(m.title)}: {escape(shown)}[/] (n = {int(number['n']):,})")
    console.print(f"{m.name}, {m.unit.value}", markup=False)
    console.print(m.description, markup=False)  # definitions name settings: [surveys] …
    console.print(f"\n[bold]{ex.counted:,}[/] counted")
    for reason, n in ex.left_out:
        console.print(f"[yellow]{n:,}[/] left out: {escape(reason)}")
        ids = ex.left_out_ids.get(reason, [])
        if ids:
            console.print("   e.g. " + escape(", ".join(ids[:10])))
    if ex.ids:
        more = " …" if ex.counted > len(ex.ids) else ""
        console.print(f"\n{ex.id_column}s counted: " + escape(", ".join(ex.ids)) + more)


topics_app = typer.Typer(
    rich_markup_mode=None,
    help="Ticket topics discovered from subjects and customer messages, beside the numbers.",
)
app.add_typer(topics_app, name="topics")


#: the topics table's headers as people read them (JSON and CSV keep the registry's names)
_TOPIC_HEADERS = {
    "topic_label": "label",
    "first_response_time": "first response",
    "full_resolution_time": "full resolution",
    "fcr_rate": "FCR",
    "csat": "CSAT",
}


@topics_app.callback(invoke_without_command=True)
def topics(
    ctx: typer.Context,
    start: Annotated[str | None, typer.Option("--from", help="First date (YYYY-MM-DD).")] = None,
    end: Annotated[str | None, typer.Option("--to", help="Last date, included.")] = None,
    span: RangeOption = None,
    examples: Annotated[
        int, typer.Option("--examples", help="Example tickets per topic (the most typical).")
    ] = 3,
    fmt: Annotated[Format, typer.Option("--format")] = Format.table,
    wide: Annotated[
        bool, typer.Option("--wide", help="Every column, however wide the terminal.")
    ] = False,
    now: NowOption = None,
) -> None:
    """Each topic with its tickets, share, change against the period before (with a range),
    first response time, full resolution time, FCR, CSAT, customer sentiment and example
    tickets; the same numbers as `report METRIC --by topic`."""
    if ctx.invoked_subcommand is not None:
        return
    from deskmetrics.present import format_change, format_value
    from deskmetrics.topic_report import UNITS, topic_table

    with _failing():
        ws = _workspace_at(now)
        if span is not None:
            start, end = relative_range(
                span, start, end, ws.now(), State.settings().report_timezone
            )
        df = topic_table(ws, start=start, end=end, examples=examples)
    if df.empty or set(df.topic) == {"other"}:
        err.print("no topics yet: run `deskmetrics topics fit` first", style="yellow")
    if fmt is Format.table:
        shown = df.copy()
        for col, unit in UNITS.items():
            shown[col] = [format_value(v, unit) for v in df[col]]
        if "change" in df:
            shown["change"] = [
                format_change(c, "count", p) for c, p in zip(df.change, df.previous, strict=True)
            ]
            shown = shown.drop(columns=["previous"])
        shown = shown.rename(columns=_TOPIC_HEADERS)
        _print(shown, fmt, title=f"{len(df)} topics", wide=wide)
    else:
        _print(df, fmt)


@topics_app.command("fit")
def topics_fit(
    seed: Annotated[int, typer.Option("--seed", help="The same seed gives the same topics.")] = 0,
    min_size: Annotated[
        int | None,
        typer.Option("--min-size", help="Smallest topic, in tickets (default: 0.5% of them)."),
    ] = None,
) -> None:
    """(Re)discover the topics of every ticket. Topics that persist keep their ids (and their
    renames and merges); later imports place new tickets in these topics without a refit."""
    from deskmetrics.ticket_text import fit_topics, score_new_messages

    with _failing(), _changing() as ws:
        score_new_messages(ws)
        with console.status("discovering topics …"):
            summary = fit_topics(ws, seed=seed, min_size=min_size)
    err.print(
        f"{summary.topics} topics over {summary.tickets:,} tickets ({summary.other:,} far from "
        f"every topic: other); kept ids: {', '.join(summary.kept_ids) or 'none'}; new: "
        f"{', '.join(summary.new_ids) or 'none'}"
    )


@topics_app.command("rename")
def topics_rename(
    topic: Annotated[str, typer.Argument(help="The topic's id (e.g. t3).")],
    name: Annotated[str, typer.Argument(help="Its new name.")],
) -> None:
    """Name a topic; the name stays across refits while the topic persists."""
    from deskmetrics.ticket_text import rename_topic

    with _failing(), _changing() as ws:
        rename_topic(ws, topic, name)
    err.print(f"topic {topic} reads as {name!r}")


@topics_app.command("merge")
def topics_merge(
    topic: Annotated[str, typer.Argument(help="The topic merged away (e.g. t7).")],
    into: Annotated[str, typer.Argument(help="The topic it counts as from now on.")],
) -> None:
    """Count one topic as another (kept across refits)."""
    from deskmetrics.ticket_text import merge_topics

    with _failing(), _changing() as ws:
        merge_topics(ws, topic, into)
    err.print(f"topic {topic} counts as {into} from now on")


followups_app = typer.Typer(
    rich_markup_mode=None, help="Close the loop: detractors and unhappy CSAT answers to follow up."
)
app.add_typer(followups_app, name="followups")


@followups_app.callback(invoke_without_command=True)
def followups(
    ctx: typer.Context,
    include_done: Annotated[
        bool, typer.Option("--all", help="Also list those marked done.")
    ] = False,
    limit: Annotated[int | None, typer.Option("--limit", help="Show the oldest N only.")] = None,
    fmt: Annotated[Format, typer.Option("--format")] = Format.table,
) -> None:
    """Detractors (NPS 0–6) and dissatisfied CSAT answers with comment, customer, ticket and
    age, oldest first, until marked done."""
    if ctx.invoked_subcommand is not None:
        return
    from deskmetrics.engine.surveys import followups as list_followups

    with _failing():
        df = list_followups(_workspace(read_only=True), include_done=include_done)
    title = f"{len(df)} answers to follow up" + (f" (oldest {limit} shown)" if limit else "")
    _print(df.head(limit) if limit else df, fmt, title=title)


@followups_app.command("done")
def followups_done(
    response_id: Annotated[str, typer.Argument(help="The answer's response_id.")],
    note: Annotated[str | None, typer.Option("--note", help="What was done.")] = None,
) -> None:
    """Mark an answer as followed up (kept across re-imports)."""
    from deskmetrics.engine.surveys import mark_followup_done

    with _failing():
        mark_followup_done(_workspace(), response_id, note=note)
    err.print(f"marked {response_id} as followed up")


@app.command("sla")
def sla(
    at_risk: Annotated[
        bool, typer.Option("--at-risk", help="Only targets due within the warning window.")
    ] = False,
    breached: Annotated[
        bool, typer.Option("--breached", help="Only targets already past due.")
    ] = False,
    every: Annotated[
        bool,
        typer.Option(
            "--all",
            help="Every SLA target of every ticket (achieved, breached, running, at risk) "
            "with its due time and running time in business and calendar minutes.",
        ),
    ] = False,
    limit: Annotated[
        int | None, typer.Option("--limit", help="Show the soonest N only (default 50).")
    ] = None,
    now: NowOption = None,
    fmt: Annotated[Format, typer.Option("--format")] = Format.table,
) -> None:
    """Open tickets whose SLA targets are breached or at risk, soonest due first (both unless
    --at-risk or --breached narrows it). Time left is in the target's time (business or
    calendar), negative when overdue. With --all: every target of every ticket, for export."""
    from deskmetrics.sla_query import sla_queue, sla_targets

    if every and (at_risk or breached):
        _fail(DeskmetricsError("--all lists every target; drop --at-risk and --breached"))
    both = not at_risk and not breached
    with _failing():
        ws = _workspace_at(now)
        if every:
            df, total = sla_targets(ws, limit=limit)
            shown = f" ({len(df)} shown)" if len(df) < total else ""
            _print(df, fmt, title=f"{total} SLA targets as of {ws.now():%Y-%m-%d %H:%M} UTC{shown}")
            return
        df = sla_queue(
            ws,
            at_risk=at_risk or both,
            breached=breached or both,
            limit=limit if limit is not None else 50,
        )
    cols = [
        "ticket_id",
        "sla_target",
        "status",
        "due_at",
        "time_left_minutes",
        "time",
        "policy",
        "priority",
        "group",
        "assignee_id",
        "subject",
    ]
    _print(df[cols], fmt, title=f"{len(df)} SLA targets breached or at risk")


@app.command("metrics")
def metrics_(fmt: Annotated[Format, typer.Option("--format")] = Format.table) -> None:
    """The metric registry: every metric with its definition."""
    import pandas as pd

    from deskmetrics.metrics import REGISTRY

    rows = [
        {
            "metric": m.name,
            "unit": m.unit.value,
            "better": m.direction.value,
            "family": m.family,
            "definition": m.description,
        }
        for m in REGISTRY.values()
    ]
    _print(pd.DataFrame(rows), fmt, title="metrics")


class Connector(StrEnum):
    fivetran_zendesk = "fivetran-zendesk"
    airbyte_zendesk = "airbyte-zendesk"


@app.command()
def connect(
    connector: Annotated[
        Connector, typer.Argument(help="The connector whose synced tables to read.")
    ],
    schema: Annotated[
        str, typer.Option("--schema", help="The schema the connector syncs into (e.g. zendesk).")
    ],
) -> None:
    """Define the canonical tables (tickets, events, surveys, agents) as views over a
    connector's synced tables, in the DuckDB file or the engine of --db (postgres://…): the
    numbers then come straight from the synced tables, with no export or import. Refuses
    where a canonical table already holds imported rows. See docs/connect.md."""
    from deskmetrics.engine.connect import connect as define_views

    with _failing():
        made = define_views(State.url or State.db, connector.value, schema)
    for name, read in made.views.items():
        console.print(f"view [bold]{name}[/] over {schema}.{', '.join(read)}")
    if made.replaced_empty:
        err.print(f"(replaced the empty tables {', '.join(made.replaced_empty)})")
    if made.missing:
        err.print(
            f"not synced in {schema}: {', '.join(made.missing)} (what they give is left out; "
            "see docs/connect.md)"
        )


@app.command()
def facts(
    out: Annotated[
        Path | None, typer.Option("--out", help="File to write (default: stdout).")
    ] = None,
    fmt: Annotated[FactsFormat, typer.Option("--format")] = FactsFormat.csv,
    now: NowOption = None,
) -> None:
    """One row per ticket with every per-ticket fact (first reply at, solved at, reopens,
    business minutes, …) as csv, parquet, xlsx or json."""
    from deskmetrics.query import facts_frame

    with _failing():
        df = facts_frame(_workspace_at(now))
    if fmt in (FactsFormat.parquet, FactsFormat.xlsx) and out is None:
        _fail(DeskmetricsError(f"--format {fmt.value} needs --out FILE"))
    from deskmetrics.reports.safe_cells import write_frame_csv, write_xlsx

    if fmt is FactsFormat.csv:
        write_frame_csv(df, out if out else sys.stdout)
    elif fmt is FactsFormat.json:
        text = json.dumps(records(df), ensure_ascii=False)
        if out:
            out.write_text(text + "\n", encoding="utf-8")
        else:
            sys.stdout.write(text + "\n")
    elif out is None:  # parquet and xlsx need a file (checked above)
        return
    elif fmt is FactsFormat.parquet:
        df.to_parquet(out, index=False)
    else:
        write_xlsx(df, out)
    if out:
        err.print(f"wrote {len(df):,} tickets to {out}")


@app.command()
def sample(
    out: Annotated[Path, typer.Option("--out", help="Folder to write.")] = Path("sample"),
    tickets: Annotated[int, typer.Option("--tickets")] = 2000,
    seed: Annotated[int, typer.Option("--seed")] = 7,
    fmt: Annotated[SampleFormat, typer.Option("--format")] = SampleFormat.parquet,
    end: Annotated[
        str | None,
        typer.Option(
            "--end",
            help="Where the history ends, the data set's now (ISO 8601 with offset, e.g. "
            "2026-03-01T12:00:00Z); default: the current minute. The same seed and end give "
            "the same data.",
        ),
    ] = None,
    days: Annotated[
        int | None,
        typer.Option("--days", help="Length of the history; default: about 150 tickets a day."),
    ] = None,
) -> None:
    """Write a realistic synthetic help-desk data set (canonical files) whose history ends now
    (or at --end): recent tickets still open, a few SLA targets at risk or breached, surveys
    arriving, an outage three days ago that still echoes in the mentions, and an AI agent in
    front of chat and web that solves some conversations and hands the others over."""
    from deskmetrics.engine.periods import utc_now
    from deskmetrics.query import parse_instant
    from deskmetrics.sample import generate

    with _failing():
        until = parse_instant(end, "--end") if end is not None else present_minute(utc_now())
    if days is not None and days < 1:
        _fail(DeskmetricsError(f"--days must be at least 1, got {days}"))
    with Progress(
        TextColumn("[bold]generating"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=True,
    ) as bar:
        task = bar.add_task("tickets", total=tickets)
        counts = generate(
            out,
            tickets=tickets,
            seed=seed,
            fmt=fmt.value,
            days=days,
            progress=lambda n: bar.advance(task, n),
            end=until,
            present=True,
            ai_agent=True,
        )
    err.print(f"wrote {', '.join(f'{n:,} {t}' for t, n in counts.items())} to {out}")
    err.print(f"the history ends {until:%Y-%m-%d %H:%M} UTC (to make the same data: --end)")


def present_minute(now: datetime) -> datetime:
    """`now` cut to the whole minute: the default end of `deskmetrics sample`, so that the
    same command run twice within a minute writes the same data."""
    return now.replace(second=0, microsecond=0)


@app.command()
def headline(
    fmt: Annotated[Format, typer.Option("--format")] = Format.table,
    by: Annotated[list[str] | None, typer.Option("--by")] = None,
) -> None:
    """The headline report: the main lifecycle and workload numbers over all data (and the AI
    agent's automated resolution and handoff rates when one answers tickets)."""
    from deskmetrics.query import compute, has_ai_agent

    with _failing():
        ws = _workspace(read_only=True)
        df = compute(ws, headline_set(has_ai_agent(ws)), by=by or [])
    _print(df.drop(columns=["period"]), fmt, title="headline report")


users_app = typer.Typer(
    rich_markup_mode=None, help="People who may sign in to the dashboard (admin, manager, viewer)."
)
tokens_app = typer.Typer(
    rich_markup_mode=None, help="API tokens for machines (sent as 'Authorization: Bearer TOKEN')."
)
app.add_typer(users_app, name="users")
app.add_typer(tokens_app, name="tokens")


class RoleName(StrEnum):
    viewer = "viewer"
    manager = "manager"
    admin = "admin"


@users_app.command("set")
def users_set(
    name: str,
    role: Annotated[RoleName, typer.Option("--role")] = RoleName.viewer,
    password: Annotated[
        str | None,
        typer.Option("--password", help="Default: asked for (or $DESKMETRICS_PASSWORD)."),
    ] = None,
) -> None:
    """Create a user, or change their role and password."""
    import os

    from deskmetrics import accounts

    pw = password or os.environ.get("DESKMETRICS_PASSWORD")
    if not pw:
        pw = typer.prompt("password", hide_input=True, confirmation_prompt=True)
    with _failing():
        hashed = accounts.hash_password(pw)  # before taking the workspace (Argon2 is slow)
        new = accounts.save_user(_app_workspace(), name, role.value, hashed)
    ended = "" if new else " (their open sessions have ended)"
    console.print(f"user [bold]{name}[/] is {role.value}{ended}")


@users_app.command("list")
def users_list() -> None:
    """Users and their roles."""
    from deskmetrics import accounts

    for name, role in accounts.list_users(_app_workspace()):
        console.print(f"{name}\t{role.value}")


@users_app.command("remove")
def users_remove(name: str) -> None:
    """Remove a user (their open sessions end at once)."""
    from deskmetrics import accounts

    if not accounts.remove_user(_app_workspace(), name):
        _fail(DeskmetricsError(f"no user {name!r}; `deskmetrics users list` shows who exists"))
    console.print(f"removed {name}")


@users_app.command("sign-out")
def users_sign_out(name: str) -> None:
    """End every open session of a user (they sign in again)."""
    from deskmetrics import accounts

    ws = _app_workspace()
    if not accounts.user_exists(ws, name):
        _fail(DeskmetricsError(f"no user {name!r}; `deskmetrics users list` shows who exists"))
    ended = accounts.end_sessions_of(ws, name, "signed out from the command line")
    console.print(f"ended {ended} session{'s' if ended != 1 else ''} of {name}")


@tokens_app.command("create")
def tokens_create(
    name: str, role: Annotated[RoleName, typer.Option("--role")] = RoleName.viewer
) -> None:
    """Make an API token; it is printed once and only its digest is kept."""
    from deskmetrics import accounts

    print(accounts.create_token(_app_workspace(), name, role.value))


@tokens_app.command("list")
def tokens_list() -> None:
    """Tokens (never their secrets)."""
    from deskmetrics import accounts

    for t in accounts.list_tokens(_app_workspace()):
        state = "revoked" if t["revoked_at"] else "active"
        console.print(f"{t['token_id']}\t{t['name']}\t{t['role']}\t{state}")


@tokens_app.command("revoke")
def tokens_revoke(token_id: str) -> None:
    """Revoke a token by its id (the part after 'dm_')."""
    from deskmetrics import accounts

    if not accounts.revoke_token(_app_workspace(), token_id):
        _fail(DeskmetricsError(f"no active token {token_id!r}; see `deskmetrics tokens list`"))
    console.print(f"revoked {token_id}")


@app.command()
def serve(
    host: Annotated[str, typer.Option("--host")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port")] = 8000,
    state: Annotated[
        Path | None,
        typer.Option(
            "--state",
            help="With --db URL: the local file keeping users, sessions, tokens and alert "
            "rules (default: the global --state, deskmetrics-app.duckdb).",
        ),
    ] = None,
) -> None:
    """Serve the HTTP API and the dashboard on the workspace (--db): a DuckDB file, or another
    engine's URL (read only; requests answered in parallel over [web] pool_size connections)."""
    import uvicorn

    from deskmetrics.api import create_app

    settings = State.settings()
    with _failing():
        if State.url is not None:
            from deskmetrics.engine.pool import WorkspacePool

            pool = WorkspacePool(
                State.url,
                settings,
                state or State.state,
                size=settings.web.pool_size,
                wait_seconds=settings.web.busy_wait_seconds,
            )
            web = create_app(pool, settings)
        else:
            # given the file, the service holds it only while it uses it: `deskmetrics`
            # commands work on the workspace while it runs (engine/handoff.py)
            web = create_app(State.db, settings)
    console.print(f"deskmetrics on [bold]http://{host}:{port}/[/] (API docs at /docs)")
    try:
        uvicorn.run(web, host=host, port=port, log_level="warning")
    finally:
        web.state.service.close()


class SurveyKindName(StrEnum):
    csat = "csat"
    nps = "nps"
    ces = "ces"


surveys_app = typer.Typer(
    rich_markup_mode=None, help="Survey dispatch: e-mail the survey link after a ticket is solved."
)
app.add_typer(surveys_app, name="surveys")


@app.command("survey-link")
def survey_link(
    ticket: Annotated[str, typer.Option("--ticket", help="The ticket the answer is about.")],
    kind: Annotated[SurveyKindName, typer.Option("--kind")] = SurveyKindName.csat,
    days: Annotated[float, typer.Option("--days", help="Days the link stays valid.")] = 30,
    record: Annotated[
        bool, typer.Option("--record-request", help="Also count it as a survey sent now.")
    ] = False,
) -> None:
    """Print a signed, expiring survey link ({public_url}/s/{token}) for one ticket."""
    from deskmetrics import accounts
    from deskmetrics.surveys import make_link

    with _failing():
        ws = _workspace()
        settings = State.settings()
        secret = accounts.service_secret(ws, settings.web.resolved_secret())
        made = make_link(
            ws, secret, settings.web.public_url, ticket, kind.value, days, record_as_sent=record
        )
    print(made.url)
    err.print(f"valid until {made.link.expires_at:%Y-%m-%d %H:%M} UTC")


@surveys_app.command("dispatch")
def surveys_dispatch(
    now: Annotated[
        str | None, typer.Option("--now", help="Run as if it were this instant (ISO 8601).")
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the pass's report as JSON.")
    ] = False,
) -> None:
    """One dispatch pass (the surveys.dispatch section of deskmetrics.toml); running it again
    sends nothing twice."""
    from deskmetrics.surveys import dispatch_due

    at: datetime | None = None
    if now is not None:
        try:
            at = datetime.fromisoformat(now)
        except ValueError:
            _fail(DeskmetricsError(f"--now {now!r} is not an ISO 8601 instant"))
        if at.tzinfo is None:
            _fail(DeskmetricsError(f"--now {now!r} needs an offset or Z, e.g. {now}Z"))
    with _failing():
        report = dispatch_due(_workspace(), State.settings(), at)
    if as_json:
        print(json.dumps(report.to_dict(), default=str))
        return
    for s in report.sent:
        console.print(f"sent {s.ticket_id} → {s.email}")
    for t, why in report.failed:
        err.print(f"[yellow]not sent[/] {escape(str(t))}: {escape(str(why))}")
    console.print(report.summary(), markup=False)


mapping_app = typer.Typer(
    rich_markup_mode=None,
    help="Column mappings for `import --from csv`: any help desk's one-row-per-ticket export.",
)
app.add_typer(mapping_app, name="mapping")


@mapping_app.command("init")
def mapping_init(
    export: Annotated[Path, typer.Argument(help="The export's tickets CSV file.")],
) -> None:
    """Print a mapping suggested from the export's header and values (columns guessed by their
    names, status words mapped to canonical statuses): check it, save it, and import with
    `deskmetrics import --from csv --mapping FILE EXPORT`."""
    from deskmetrics.importers.ticket_csv import suggest_mapping

    with _failing():
        sys.stdout.write(suggest_mapping(export))


zendesk_app = typer.Typer(
    rich_markup_mode=None, help="Zendesk settings: schedules, holidays and SLA policies as TOML."
)
app.add_typer(zendesk_app, name="zendesk")


@zendesk_app.command("config")
def zendesk_config(
    files: Annotated[
        list[Path],
        typer.Argument(
            help="Zendesk API responses saved as JSON, in any order: schedules, holidays "
            "(holidays-<schedule_id>.json), SLA policies, groups."
        ),
    ],
    holidays: Annotated[
        list[str] | None,
        typer.Option("--holidays", help="SCHEDULE_ID=FILE: that schedule's holidays (repeatable)."),
    ] = None,
    default_schedule: Annotated[
        str | None,
        typer.Option(
            "--default-schedule", help="Schedule id for tickets naming none (default: first)."
        ),
    ] = None,
    out: Annotated[
        Path | None, typer.Option("--out", help="File to write (default: stdout).")
    ] = None,
    strict: Annotated[
        bool, typer.Option("--strict", help="Exit 1 when something is not said exactly.")
    ] = False,
) -> None:
    """Print deskmetrics.toml settings made from Zendesk's schedules, holidays and SLA policies;
    what cannot be said exactly is commented in the output and listed on stderr."""
    from deskmetrics.importers.zendesk_settings import checked_toml, convert, read_zendesk_settings

    pairs: dict[str, Path] = {}
    for item in holidays or []:
        sid, sep, name = item.partition("=")
        if not sep or not sid.strip() or not name.strip():
            _fail(DeskmetricsError(f"--holidays {item!r} is not SCHEDULE_ID=FILE"))
        pairs[sid.strip()] = Path(name.strip())
    with _failing():
        conv = convert(read_zendesk_settings(files, pairs), default_schedule)
        text = checked_toml(conv)
    if out is None:
        sys.stdout.write(text)
    else:
        out.write_text(text, encoding="utf-8")
    for note in conv.notes:
        err.print(str(note), markup=False, highlight=False)
    err.print(
        f"{len(conv.schedules)} schedules, {len(conv.policies)} SLA policies"
        + (f" written to {out}" if out else "")
        + (f"; {len(conv.notes)} notes above" if conv.notes else ""),
        markup=False,
        highlight=False,
    )
    if strict and conv.notes:
        raise typer.Exit(code=1)


alerts_app = typer.Typer(
    rich_markup_mode=None, help="Alert rules: evaluate them once (cron-friendly), read the history."
)
app.add_typer(alerts_app, name="alerts")


@alerts_app.command("run")
def alerts_run(
    deliver: Annotated[
        bool, typer.Option("--deliver/--no-deliver", help="Also send queued messages now.")
    ] = True,
    now: Annotated[
        str | None,
        typer.Option(
            "--now",
            help="Evaluate as if it were this instant (ISO 8601 with offset), e.g. to catch up "
            "on an evaluation the service missed; the history records it at that instant.",
        ),
    ] = None,
) -> None:
    """Evaluate every alert rule once, queue what fired or recovered and deliver the outbox
    (retries due included). Exit code 0; rules that cannot run are listed."""
    from deskmetrics.alerts import evaluate
    from deskmetrics.engine.periods import utc_now
    from deskmetrics.notify.delivery import deliver_due
    from deskmetrics.query import parse_instant

    with _failing():
        at = parse_instant(now, "--now") if now is not None else None
        if at is not None and at > utc_now():
            raise DeskmetricsError(f"--now {now} is in the future: evaluate at a moment that came")
        ws = _workspace()
        settings = State.settings()
        report = evaluate(ws, settings, now=at)
        sent = deliver_due(ws, settings) if deliver else None
    for rule, group in report.fired:
        console.print(f"[red]fired[/] {rule} {group or ''}")
    for rule, group in report.recovered:
        console.print(f"[green]recovered[/] {rule} {group or ''}")
    for rule, group in report.quiet:
        console.print(f"[yellow]quiet (cooldown)[/] {rule} {group or ''}")
    for rule, why in report.errors.items():
        err.print(f"[yellow]rule {escape(str(rule))} not evaluated:[/] {escape(str(why))}")
    if sent is not None:
        console.print(
            f"{len(report.observations)} groups judged; messages sent {len(sent.sent)}, "
            f"retrying {len(sent.retrying)}, failed {len(sent.failed)}"
        )


@alerts_app.command("history")
def alerts_history(
    limit: Annotated[int, typer.Option("--limit")] = 50,
    rule: Annotated[str | None, typer.Option("--rule")] = None,
    fmt: Annotated[Format, typer.Option("--format")] = Format.table,
) -> None:
    """Alert events, newest first: fired / recovered, the value, whether it was notified and
    how its delivery went."""
    from deskmetrics.alerts.store import history

    with _failing():
        rows = history(_workspace(), limit, rule)
    if fmt is Format.json:
        print(json.dumps(rows, default=str))
        return
    if not rows:
        console.print("No alert events yet.")
        return
    for r in rows:
        state = r["delivery"] or ("not notified" if not r["notified"] else "–")
        message = escape(str(r["message"]))
        console.print(f"{r['at']:%Y-%m-%d %H:%M}  {r['event']:<9}  {state:<12}  {message}")


@app.command("send-report")
def send_report_cmd(
    to: Annotated[list[str], typer.Option("--email", "--to", help="Recipient (repeatable).")],
    team: Annotated[str | None, typer.Option("--team", help="One team; default: all.")] = None,
    start: Annotated[
        str | None, typer.Option("--from", help="First day (YYYY-MM-DD); default 7 days ago.")
    ] = None,
    tz: Annotated[str | None, typer.Option("--tz", help="Time zone for periods and dates.")] = None,
) -> None:
    """E-mail the weekly report (headline metrics, change, chart) now, through [email]."""
    from datetime import date as _date

    from deskmetrics.reports.weekly import send_report

    try:
        first = _date.fromisoformat(start) if start else None
    except ValueError:
        _fail(DeskmetricsError(f"--from {start!r} is not a date (use YYYY-MM-DD)"))
    with _failing():
        rep = send_report(_workspace(), State.settings(), to, team, first, tz=tz)
    console.print(f"sent “{rep.subject}” to {', '.join(to)}")


# ---------------------------------------------------------------------------------------------
# staffing: forecast, Erlang C / A, the plan

#: how the staffing tables show each column (a present.format_value unit)
STAFFING_UNITS = {
    "volume": "count",
    "forecast": "count",
    "traffic": "score",
    "agents": "count",
    "scheduled_agents": "count",
    "aht_seconds": "seconds",
    "asa_seconds": "seconds",
    "service_level": "percent",
    "occupancy": "percent",
    "abandonment": "percent",
}

IntervalOption = Annotated[
    int, typer.Option("--interval", help="Interval length in minutes: 15, 30 or 60.")
]
HorizonOption = Annotated[
    str, typer.Option("--horizon", help="Days to forecast after the history: 7d, 14d, 2w.")
]
VolumesOption = Annotated[
    Path | None,
    typer.Option(
        "--volumes",
        help="Interval volumes exported by a phone system (CSV: interval_start, volume; "
        "optional channel, aht_seconds, abandoned) instead of the workspace's tickets.",
    ),
]
BacktestOption = Annotated[
    int | None,
    typer.Option(
        "--backtest-days",
        min=1,
        help="Backtest on the most recent N days (rolling origin, one day ahead): WAPE of "
        "the model and of the seasonal-naive forecast.",
    ),
]
TargetOption = Annotated[
    str,
    typer.Option(
        "--target",
        help="Service level PERCENT/SECONDS (80/20: 80% answered within 20 s) or asa:SECONDS.",
    ),
]
ShrinkageOption = Annotated[
    float,
    typer.Option("--shrinkage", help="Percent of paid time agents are not available (breaks…)."),
]
OccupancyOption = Annotated[
    float, typer.Option("--max-occupancy", help="Most percent of time an agent may be busy.")
]
ConcurrencyOption = Annotated[
    int | None,
    typer.Option(
        "--concurrency",
        min=1,
        help="Sessions an agent handles at once (chat); default: measured for chat, else 1.",
    ),
]
PatienceOption = Annotated[
    float | None,
    typer.Option(
        "--patience",
        help="Mean seconds a caller waits before hanging up: plans with Erlang A and "
        "reports the expected abandonment.",
    ),
]


def _staffing_table(df: pd.DataFrame, fmt: Format, title: str | None = None) -> None:
    """Plan or forecast rows: raw numbers for csv/json, formatted for a table."""
    import pandas as pd

    if fmt in (Format.csv, Format.json):
        _print(df, fmt)
        return
    shown = pd.DataFrame(index=df.index)
    for col in df.columns:
        if col == "interval_start":
            shown[col] = [pd.Timestamp(v).strftime("%Y-%m-%d %H:%M") for v in df[col]]
        elif col in STAFFING_UNITS:
            shown[col] = [format_value(v, STAFFING_UNITS[col]) for v in df[col]]
        else:
            shown[col] = df[col].astype(str)
    _print(shown, fmt, title=title)


def _staffing_workspace(volumes: Path | None) -> Any:
    """The workspace, or None when a volume file is given and no workspace exists."""
    if volumes is not None and State.url is None and not State.db.exists():
        return None
    return _workspace(read_only=True)


@app.command("erlang")
def erlang(
    volume: Annotated[float, typer.Option("--volume", help="Contacts in the interval.")],
    aht: Annotated[float, typer.Option("--aht", help="Average handle time in seconds.")],
    interval: IntervalOption = 30,
    target: TargetOption = "80/20",
    shrinkage: ShrinkageOption = 0.0,
    max_occupancy: OccupancyOption = 100.0,
    concurrency: Annotated[
        int, typer.Option("--concurrency", min=1, help="Sessions an agent handles at once.")
    ] = 1,
    patience: PatienceOption = None,
    fmt: Annotated[Format, typer.Option("--format")] = Format.table,
) -> None:
    """Agents needed for one interval (Erlang C, or Erlang A with --patience): the fewest
    meeting the target under the occupancy cap, scheduled agents after shrinkage, and the
    service level, average speed of answer and occupancy they achieve."""
    import pandas as pd

    from deskmetrics.staffing import Target, plan_interval

    with _failing():
        if interval <= 0:
            raise DeskmetricsError("--interval is more than 0 minutes")
        s = plan_interval(
            volume,
            interval,
            aht,
            Target.parse(target),
            shrinkage,
            max_occupancy,
            concurrency,
            patience,
        )
    out: dict[str, Any] = {
        "agents": s.agents,
        "scheduled_agents": s.scheduled_agents,
        "service_level": s.service_level,
        "asa_seconds": s.asa_seconds,
        "occupancy": s.occupancy,
        "traffic": s.traffic,
        "volume": s.volume,
        "interval_minutes": interval,
        "aht_seconds": s.aht_seconds,
        "target": Target.parse(target).label(),
        "shrinkage": shrinkage,
        "max_occupancy": max_occupancy,
        "concurrency": concurrency,
        "model": "erlang_c" if patience is None else "erlang_a",
    }
    if patience is not None:
        out["patience_seconds"] = patience
        out["abandonment"] = s.abandonment
    if fmt is Format.json:
        sys.stdout.write(json.dumps(jsonable_dict(out)) + "\n")
        return
    rows = [
        {"measure": k, "value": format_value(v, STAFFING_UNITS[k]) if k in STAFFING_UNITS else v}
        for k, v in out.items()
    ]
    _print(pd.DataFrame(rows), fmt, title=f"Erlang {'C' if patience is None else 'A'}")


def jsonable_dict(d: dict[str, Any]) -> dict[str, Any]:
    return {k: jsonable(v) for k, v in d.items()}


@app.command("forecast")
def forecast_cmd(
    channel: Annotated[
        str | None, typer.Option("--channel", help="One channel (default: each).")
    ] = None,
    volumes: VolumesOption = None,
    interval: IntervalOption = 30,
    horizon: HorizonOption = "7d",
    backtest_days: BacktestOption = None,
    fmt: Annotated[Format, typer.Option("--format")] = Format.table,
) -> None:
    """Forecast contacts per channel and interval after the history (tickets created, or
    --volumes): each weekday's intervals averaged over recent weeks × the daily level's
    trend, holidays of the schedules apart. --backtest-days reports its accuracy (WAPE)."""
    from deskmetrics.staffing.plan import make_forecast, parse_days

    with _failing():
        ws = _staffing_workspace(volumes)
        fc = make_forecast(
            ws,
            interval,
            parse_days(horizon),
            channel,
            None if volumes is None else str(volumes),
            backtest_days,
            settings=State.settings(),
        )
    if fmt is Format.json:
        sys.stdout.write(json.dumps(fc.summary(), ensure_ascii=False) + "\n")
        return
    rows = fc.rows()
    if fmt is Format.csv:
        _print(rows, fmt)
        return
    acc = fc.accuracy()
    if acc["wape"] is not None or acc["seasonal_naive_wape"] is not None:
        err.print(
            f"backtest, last {acc['backtest_days']} days: WAPE "
            f"{format_value(acc['wape'], 'percent')} (seasonal naive "
            f"{format_value(acc['seasonal_naive_wape'], 'percent')})"
        )
    _staffing_table(rows, fmt, title=f"forecast per {interval} minutes")


@app.command("staffing")
def staffing_cmd(
    channel: Annotated[str, typer.Option("--channel", help="The channel to plan.")] = "phone",
    target: TargetOption = "80/20",
    shrinkage: ShrinkageOption = 0.0,
    max_occupancy: OccupancyOption = 100.0,
    interval: IntervalOption = 30,
    horizon: HorizonOption = "7d",
    aht: Annotated[
        float | None,
        typer.Option("--aht", help="Handle time in seconds (default: measured by hour of week)."),
    ] = None,
    concurrency: ConcurrencyOption = None,
    patience: PatienceOption = None,
    volumes: VolumesOption = None,
    backtest_days: BacktestOption = None,
    fmt: Annotated[Format, typer.Option("--format")] = Format.table,
) -> None:
    """Agents per interval for a channel: forecast volume × measured handle time (the
    registry's average_handle_time by hour of week) → the fewest agents meeting the target
    (Erlang C; Erlang A with --patience), scheduled agents after shrinkage."""
    from deskmetrics.staffing import Target
    from deskmetrics.staffing.plan import make_plan, parse_days

    with _failing():
        ws = _staffing_workspace(volumes)
        plan = make_plan(
            ws,
            channel,
            Target.parse(target),
            shrinkage,
            max_occupancy,
            interval,
            parse_days(horizon),
            aht,
            concurrency,
            patience,
            None if volumes is None else str(volumes),
            backtest_days,
            settings=State.settings(),
        )
    if fmt is Format.json:
        sys.stdout.write(json.dumps(plan.as_json(), ensure_ascii=False) + "\n")
        return
    if fmt is Format.csv:
        _print(plan.rows, fmt)
        return
    i, sm = plan.inputs, plan.summary()
    err.print(
        f"{i.channel}: target {i.target}, shrinkage {i.shrinkage:g}%, max occupancy "
        f"{i.max_occupancy:g}%, concurrency {i.concurrency} ({i.concurrency_source}); "
        f"handle time: {i.aht_source}; "
        + (
            "Erlang C"
            if i.patience_seconds is None
            else f"Erlang A, patience {i.patience_seconds:,.0f} s ({i.patience_source})"
        )
        + f". Peak {sm['peak_agents']} agents "
        f"({sm['peak_scheduled_agents']} scheduled), {sm['scheduled_agent_hours']:,.1f} "
        "scheduled agent hours."
    )
    _staffing_table(plan.rows, fmt, title=f"staffing plan: {i.channel}")


def main() -> None:
    try:
        app()
    except DeskmetricsError as exc:
        err.print(f"[bold red]error:[/] {escape(str(exc))}")
        sys.exit(2)


if __name__ == "__main__":
    main()
