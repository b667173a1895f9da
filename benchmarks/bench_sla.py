"""Benchmark: the SLA state of every ticket (first reply in business time, resolution in
business time for urgent tickets and calendar time for the others, paused while pending), by
deskmetrics on DuckDB against a plain pandas implementation of the same state.

    .venv/bin/python benchmarks/bench_sla.py --tickets 1000000 [--check] [--all-targets]

Reuses the sample data and DuckDB workspace of bench_lifecycle.py under benchmarks/data/
(generated / loaded if missing). Each side runs in its own child process so its peak RSS
(VmHWM) is clean. "now" is one hour after the last instant in the data, for both sides.

deskmetrics is measured twice: with the per-ticket facts derived in the run (a read-only
workspace that keeps none), and as the product meets it, with the facts kept in the workspace
file (engine/kept.py): on a copy of the workspace (the shared one is left as it is), a first
child makes and keeps them for these settings ("make"), then a second child computes the same
state from the kept facts ("kept", the row timed against pandas).
`--check` compares the two states clock by clock (status equal, due time and running time
within a second). `--all-targets` adds next_reply and periodic_update on the deskmetrics
side (timed only: the pandas version implements first reply and resolution).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from synthetic import synthetic  # noqa: E402

SETTINGS: dict[str, Any] = {
    "timezone": "Europe/Berlin",
    "schedules": {
        "support-eu": {
            "timezone": "Europe/Berlin",
            "hours": dict.fromkeys(("mon", "tue", "wed", "thu", "fri"), "09:00-17:00"),
            "holidays": {"country": "DE", "dates": ["2026-12-24"]},
            "default": True,
        },
        "support-us": {
            "timezone": "America/New_York",
            "hours": dict.fromkeys(("mon", "tue", "wed", "thu", "fri"), "08:00-12:00,13:00-18:00"),
            "holidays": {"country": "US"},
        },
    },
    "sla": {
        "policies": [
            {
                "name": "urgent",
                "when": {"priority": "urgent"},
                "first_reply": "1h",
                "resolution": "8h",
            },
            {
                "name": "standard",
                "first_reply": "8h",
                "resolution": "5d",
                "calendar": ["resolution"],
            },
        ]
    },
}
ALL_TARGETS = {"next_reply": "8h", "periodic_update": "1d"}
SOLVED = ("solved", "closed")


def peak_rss_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def _emit_state(state: pd.DataFrame, wall: float, out: str) -> None:
    """Write a child's SLA states and print its RESULT line (time, memory, counts)."""
    state.to_parquet(out)
    counts = state.groupby(["sla_target", "status"]).size()
    result = {
        "wall_s": wall,
        "peak_mb": peak_rss_mb(),
        "rows": len(state),
        "counts": {f"{a}/{b}": int(n) for (a, b), n in counts.items()},
    }
    print("RESULT " + json.dumps(result), flush=True)


def settings_for(all_targets: bool) -> Any:
    from deskmetrics.config import Settings

    data = json.loads(json.dumps(SETTINGS))
    if all_targets:
        for p in data["sla"]["policies"]:
            p.update(ALL_TARGETS)
    return synthetic(Settings.model_validate(data))


# --- deskmetrics ------------------------------------------------------------------------------


def child_engine(args: argparse.Namespace) -> None:
    """The SLA state with every per-ticket fact derived in the run (read-only, nothing kept:
    facts the shared workspace may keep from other runs are not read)."""
    from deskmetrics.engine import open_duckdb
    from deskmetrics.engine.kept import current_facts
    from deskmetrics.engine.sla import sla_state_frame

    ws = open_duckdb(args.db, settings_for(args.all_targets), read_only=True)
    ws.keep_facts = False
    ws.backend.raw_sql(f"SET threads = {int(args.threads)}")
    t0 = time.perf_counter()
    now = datetime.fromisoformat(args.now)
    facts = current_facts(ws, materialize=args.materialize)
    state = sla_state_frame(facts, now)  # SlaState(facts, now).frame(), run
    wall = time.perf_counter() - t0
    _emit_state(state, wall, args.out)


def child_kept(args: argparse.Namespace) -> None:
    """The SLA state from facts kept in a writable workspace (`--db`: the parent's copy).
    `--phase make`: no facts kept yet (those there are dropped): the call makes and keeps them,
    then computes the state; `--phase kept`: they are kept and current, in a new process, as
    every request between imports meets them."""
    from deskmetrics.engine import open_duckdb
    from deskmetrics.engine.kept import current_facts
    from deskmetrics.engine.sla import sla_state_frame

    ws = open_duckdb(args.db, settings_for(args.all_targets))
    ws.backend.raw_sql(f"SET threads = {int(args.threads)}")
    if args.phase == "make":
        for t in ws.backend.list_tables():
            if t.startswith("_facts_"):
                ws.backend.raw_sql(f'DROP TABLE "{t}"')
    now = datetime.fromisoformat(args.now)
    t0 = time.perf_counter()
    facts = current_facts(ws)
    if not facts.kept:
        raise SystemExit("the workspace did not keep its facts")
    state = sla_state_frame(facts, now)  # SlaState(facts, now).frame(), run
    wall = time.perf_counter() - t0
    _emit_state(state, wall, args.out)


def child_queue(args: argparse.Namespace) -> None:
    """The live queue (open tickets' breached and at-risk targets, soonest 100), as the service
    meets it: a writable workspace that keeps its facts. The first request makes them for these
    settings if they are not current; the second reads them."""
    from deskmetrics.engine import open_duckdb
    from deskmetrics.engine.kept import current_facts
    from deskmetrics.engine.sla import sla_queue_frame

    ws = open_duckdb(args.db, settings_for(args.all_targets))
    ws.backend.raw_sql(f"SET threads = {int(args.threads)}")
    now = datetime.fromisoformat(args.now)
    t0 = time.perf_counter()
    sla_queue_frame(current_facts(ws), now, limit=100)
    first = time.perf_counter() - t0
    t0 = time.perf_counter()
    q = sla_queue_frame(current_facts(ws), now, limit=100)
    wall = time.perf_counter() - t0
    q.to_parquet(args.out)
    out = {"wall_s": wall, "first_s": first, "peak_mb": peak_rss_mb(), "rows": len(q)}
    print("RESULT " + json.dumps(out))


# --- plain pandas -----------------------------------------------------------------------------


class BusinessClock:
    """Business seconds of one schedule as sorted open periods and their running totals."""

    def __init__(self, periods: list[tuple[int, int]]) -> None:
        p = np.array(periods, dtype="int64")
        self.start, self.end = p[:, 0], p[:, 1]
        lens = self.end - self.start
        self.before = np.concatenate([[0], np.cumsum(lens)[:-1]])
        self.after = self.before + lens

    def b(self, t: np.ndarray) -> np.ndarray:
        i = np.searchsorted(self.start, t, side="right") - 1
        ok = i >= 0
        i = np.clip(i, 0, None)
        inside = np.clip(t - self.start[i], 0, self.end[i] - self.start[i])
        return np.where(ok, self.before[i] + inside, 0)

    def instant(self, bx: np.ndarray) -> np.ndarray:
        """The earliest instant at which the balance reaches bx."""
        i = np.clip(np.searchsorted(self.after, bx, side="left"), 0, len(self.start) - 1)
        return self.start[i] + (bx - self.before[i])


def pandas_state(data: Path, now_s: int) -> pd.DataFrame:
    from deskmetrics.calendar.business import open_periods

    settings = settings_for(False)
    tk = pd.read_parquet(
        data / "tickets.parquet",
        columns=["ticket_id", "created_at", "priority", "schedule_id", "created_by"],
    )
    ev = pd.read_parquet(
        data / "events.parquet",
        columns=["event_id", "ticket_id", "at", "type", "author_role", "public", "status"],
    )
    epoch = pd.Timestamp(0, tz="UTC")
    tk["created_s"] = (tk["created_at"] - epoch) // pd.Timedelta(seconds=1)
    ev["at_s"] = (ev["at"] - epoch) // pd.Timedelta(seconds=1)
    ev = ev[ev.at_s <= now_s]
    lo = datetime.fromtimestamp(int(tk.created_s.min()) - 3 * 86400, UTC).date()
    hi = datetime.fromtimestamp(now_s + 400 * 86400, UTC).date()
    clocks = {sid: BusinessClock(open_periods(s, lo, hi)) for sid, s in settings.schedules.items()}
    tk["sched"] = tk.schedule_id.where(tk.schedule_id.isin(list(clocks)), "support-eu")
    urgent = (tk.priority == "urgent").to_numpy()

    # first public human agent reply (an agent-created ticket's opening message is not one)
    m = ev[(ev.type == "message") & ev.public.fillna(True)].sort_values(
        ["ticket_id", "at_s", "event_id"]
    )
    first_msg = ~m.ticket_id.duplicated()
    agent_made = m.ticket_id.map(tk.set_index("ticket_id").created_by.eq("agent"))
    opening = first_msg & agent_made.fillna(False) & (m.author_role == "agent")
    fr = m[(m.author_role == "agent") & ~opening].groupby("ticket_id").at_s.min()

    # status stretches; the first (new) starts at creation
    s = ev[ev.type == "status"][["ticket_id", "at_s", "status", "event_id"]]
    first = tk[["ticket_id", "created_s"]].rename(columns={"created_s": "at_s"})
    first = first.assign(status="new", event_id="", _o=0)
    s = pd.concat([first, s.assign(_o=1)], ignore_index=True)
    s = s.sort_values(["ticket_id", "at_s", "_o", "event_id"], kind="stable")
    same = s.ticket_id.eq(s.ticket_id.shift(-1))
    s["end_s"] = s.at_s.shift(-1).where(same)
    prev = s.status.shift(1).where(s.ticket_id.eq(s.ticket_id.shift(1)))
    s["becomes_solved"] = s.status.isin(SOLVED) & ~prev.fillna("new").isin(SOLVED)
    solves = s[s.becomes_solved]
    first_solve = solves.groupby("ticket_id").at_s.min()
    last_solve = solves.groupby("ticket_id").at_s.max()
    current = s[s.end_s.isna()].set_index("ticket_id").status

    t = tk.set_index("ticket_id")
    created = t.created_s.to_numpy()
    sched = t.sched.to_numpy()

    def b_of(x: np.ndarray, sch: np.ndarray) -> np.ndarray:
        out = np.zeros(len(x), dtype="int64")
        for sid, clk in clocks.items():
            sel = sch == sid
            out[sel] = clk.b(x[sel])
        return out

    def instant_of(bx: np.ndarray, sch: np.ndarray) -> np.ndarray:
        out = np.zeros(len(bx), dtype="int64")
        for sid, clk in clocks.items():
            sel = sch == sid
            out[sel] = clk.instant(bx[sel])
        return out

    def finish(
        kind: str,
        ids: pd.Index,
        target: np.ndarray,
        stop: np.ndarray,
        elapsed: np.ndarray,
        due: np.ndarray,
        running_now: np.ndarray,
        policy: np.ndarray,
        cal: np.ndarray,
        start: np.ndarray,
    ) -> pd.DataFrame:
        warn = np.minimum(target * 0.2, 3600)
        stopped = ~np.isnan(stop)
        left = target - elapsed
        status = np.select(
            [
                stopped & (elapsed <= target),
                stopped,
                elapsed >= target,
                running_now & (left <= warn),
            ],
            ["achieved", "breached", "breached", "at_risk"],
            "running",
        )
        return pd.DataFrame(
            {
                "ticket_id": ids,
                "sla_target": kind,
                "policy": policy,
                "status": status,
                "due_s": due,
                "elapsed_s": elapsed,
                "target_s": target,
                "time": np.where(cal, "calendar", "business"),
                "start_s": start,
                "stop_s": stop,
            }
        )

    policy = np.where(urgent, "urgent", "standard")
    # first reply: creation → reply or first solve; never paused (before the first solve the
    # ticket is never solved)
    stop = np.fmin(
        fr.reindex(t.index).to_numpy(dtype="float64"),
        first_solve.reindex(t.index).to_numpy(dtype="float64"),
    )
    stop = np.where(stop <= now_s, stop, np.nan)
    end = np.where(np.isnan(stop), now_s, stop).astype("int64")
    target = np.where(urgent, 3600, 8 * 3600).astype("float64")
    b0, b1 = b_of(created, sched), b_of(end, sched)
    elapsed = (b1 - b0).astype("float64")
    due = np.where(elapsed >= target, instant_of(b0 + target.astype("int64"), sched), np.nan)
    due = np.where(np.isnan(stop), instant_of(b0 + target.astype("int64"), sched), due)
    first_reply = finish(
        "first_reply",
        t.index,
        target,
        stop,
        elapsed,
        due,
        np.isnan(stop),
        policy,
        np.zeros(len(t), bool),
        created,
    )

    # resolution: stretches not pending / solved / closed until the current solve
    cur = current.reindex(t.index)
    rstop = np.where(cur.isin(SOLVED), last_solve.reindex(t.index), np.nan).astype("float64")
    st = s[~s.status.isin(("pending", *SOLVED))].copy()
    pos = t.index.get_indexer(st.ticket_id)
    st["stop"] = rstop[pos]
    st["hi"] = np.fmin(st.end_s.to_numpy(dtype="float64"), st["stop"].to_numpy())
    st = st[np.isnan(st.hi) | (st.hi > st.at_s)]
    pos = t.index.get_indexer(st.ticket_id)
    cal = ~urgent[pos]
    sch = sched[pos]
    lo_s = st.at_s.to_numpy().astype("int64")
    to_s = np.where(np.isnan(st.hi), now_s, st.hi).astype("int64")
    lo_x = np.where(cal, lo_s, b_of(lo_s, sch))
    to_x = np.where(cal, to_s, b_of(to_s, sch))
    length = to_x - lo_x
    rtarget = np.where(urgent, 8 * 3600, 5 * 86400).astype("int64")
    tg = rtarget[pos]
    cum = pd.Series(length).groupby(st.ticket_id.to_numpy()).cumsum().to_numpy() - length
    open_ = np.isnan(st.hi.to_numpy())
    reaches = (cum < tg) & (open_ | (cum + length >= tg))
    key = lo_x + (tg - cum)
    due_i = np.where(cal, key, instant_of(key, sch)).astype("float64")
    per = pd.DataFrame(
        {
            "t": st.ticket_id.to_numpy(),
            "len": length,
            "due": np.where(reaches, due_i, np.nan),
            "open": open_,
        }
    )
    agg = per.groupby("t").agg(elapsed=("len", "sum"), due=("due", "max"), run=("open", "max"))
    agg = agg.reindex(t.index)
    res = finish(
        "resolution",
        t.index,
        rtarget.astype("float64"),
        rstop,
        agg.elapsed.fillna(0).to_numpy(dtype="float64"),
        agg.due.to_numpy(dtype="float64"),
        agg.run.fillna(False).to_numpy(bool),
        policy,
        ~urgent,
        created,
    )
    # a target met in time has no due time (as in deskmetrics)
    for df in (first_reply, res):
        df.loc[(df.status == "achieved") & (df.elapsed_s < df.target_s), "due_s"] = np.nan
    return pd.concat([first_reply, res], ignore_index=True)


def child_pandas(args: argparse.Namespace) -> None:
    t0 = time.perf_counter()
    now_s = int(datetime.fromisoformat(args.now).replace(tzinfo=UTC).timestamp())
    state = pandas_state(Path(args.data), now_s)
    wall = time.perf_counter() - t0
    _emit_state(state, wall, args.out)


# --- parent -----------------------------------------------------------------------------------


def run_child(
    kind: str, args: argparse.Namespace, out: Path, db: Path | None = None, phase: str = ""
) -> dict[str, Any]:
    cmd = [
        sys.executable,
        str(Path(__file__).resolve()),
        "--child",
        kind,
        "--data",
        str(args.data),
        "--db",
        str(db or args.db),
        "--now",
        args.now,
        "--out",
        str(out),
        "--threads",
        str(args.threads),
    ]
    if args.all_targets:
        cmd.append("--all-targets")
    if args.materialize:
        cmd.append("--materialize")
    if phase:
        cmd += ["--phase", phase]
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT ")]
    if proc.returncode != 0 or not lines:
        sys.stderr.write(proc.stdout[-4000:] + proc.stderr[-4000:])
        raise SystemExit(f"child {kind} failed (exit {proc.returncode})")
    return dict(json.loads(lines[-1][len("RESULT ") :]))


def compare(dm: pd.DataFrame, pd_: pd.DataFrame) -> list[str]:
    """Clock by clock: same status, due and running time within a second."""
    dm = dm[dm.sla_target.isin(["first_reply", "resolution"])].copy()
    dm["due_s"] = (dm.due_at - pd.Timestamp(0)) / pd.Timedelta(seconds=1)
    dm["elapsed_s"] = dm.elapsed_minutes * 60
    j = dm.merge(
        pd_, on=["ticket_id", "sla_target"], how="outer", suffixes=("", "_p"), indicator=True
    )
    problems = []
    only = j[j._merge != "both"]
    if len(only):
        problems.append(f"{len(only)} clocks on one side only, e.g. {only.iloc[0].to_dict()}")
    b = j[j._merge == "both"]
    for col in ("status", "policy", "time"):
        bad = b[b[col] != b[f"{col}_p"]]
        if len(bad):
            problems.append(f"{len(bad)} differ in {col}, e.g. {bad.iloc[0].to_dict()}")
    for col in ("elapsed_s", "due_s"):
        x, y = b[col].to_numpy(dtype="float64"), b[f"{col}_p"].to_numpy(dtype="float64")
        bad = ~((np.isnan(x) & np.isnan(y)) | (np.abs(x - y) <= 1))
        if bad.any():
            problems.append(f"{int(bad.sum())} differ in {col}, e.g. {b[bad].iloc[0].to_dict()}")
    return problems


def parent(args: argparse.Namespace) -> None:
    import bench_lifecycle as bl

    data_dir = HERE / "data"
    data, rows = bl.ensure_data(args.tickets, args.seed, data_dir)
    args.data = data
    db = None
    for loader in ("direct", "importer"):
        p = data_dir / f"ws_{args.tickets}_seed{args.seed}_{loader}.duckdb"
        if p.exists():
            db = p
            break
    if db is None:
        loader = "importer" if args.tickets <= bl.IMPORTER_MAX_TICKETS else "direct"
        print(f"workspace: loading with bench_lifecycle ({loader}) …", flush=True)
        subprocess.run(
            [
                sys.executable,
                str(HERE / "bench_lifecycle.py"),
                "--tickets",
                str(args.tickets),
                "--seed",
                str(args.seed),
                "--loader",
                loader,
                "--load-only",
            ],
            check=True,
            cwd=ROOT,
        )
        db = data_dir / f"ws_{args.tickets}_seed{args.seed}_{loader}.duckdb"
    args.db = db
    import pyarrow.parquet as pq

    hi = max(pq.read_table(data / "events.parquet", columns=["at"]).column("at").to_pandas())
    args.now = (hi.to_pydatetime().replace(tzinfo=None) + timedelta(hours=1)).isoformat()
    print(
        f"# bench_sla {args.tickets:,} tickets, {rows.get('events', 0):,} events — "
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {os.cpu_count()} cores, load "
        f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}; now = {args.now}",
        flush=True,
    )
    out_dm = data_dir / f"sla_{args.tickets}_deskmetrics.parquet"
    out_pd = data_dir / f"sla_{args.tickets}_pandas.parquet"
    out_kept = data_dir / f"sla_{args.tickets}_deskmetrics_kept.parquet"
    r_pd = run_child("pandas", args, out_pd)
    print(
        f"pandas:                                   {r_pd['wall_s']:.1f} s, peak "
        f"{r_pd['peak_mb']:,.0f} MiB, {r_pd['rows']:,} targets",
        flush=True,
    )
    r_dm = run_child("engine", args, out_dm)
    print(
        f"deskmetrics (DuckDB, {args.threads} threads), facts derived in the run: "
        f"{r_dm['wall_s']:.1f} s, peak {r_dm['peak_mb']:,.0f} MiB, {r_dm['rows']:,} targets — "
        f"speed-up {r_pd['wall_s'] / r_dm['wall_s']:.2f}x, memory ratio "
        f"{r_dm['peak_mb'] / r_pd['peak_mb']:.2f}",
        flush=True,
    )
    # kept facts: on a copy of the workspace, so that the shared one is not altered
    with tempfile.TemporaryDirectory(dir=data_dir, prefix="sla_kept_") as tmp:
        copy = Path(tmp) / db.name
        shutil.copyfile(db, copy)
        wal = db.with_name(db.name + ".wal")
        if wal.exists():
            shutil.copyfile(wal, copy.with_name(copy.name + ".wal"))
        r_q = run_child("queue", args, data_dir / f"sla_{args.tickets}_queue.parquet", db=copy)
        print(
            f"live queue (open tickets only, soonest 100), facts kept: {r_q['wall_s']:.1f} s "
            f"(the first request, which made them for these settings: {r_q['first_s']:.1f} s), "
            f"peak {r_q['peak_mb']:,.0f} MiB",
            flush=True,
        )
        out_make = data_dir / f"sla_{args.tickets}_deskmetrics_make.parquet"
        r_make = run_child("kept", args, out_make, db=copy, phase="make")
        r_kept = run_child("kept", args, out_kept, db=copy, phase="kept")
    print(
        f"deskmetrics (DuckDB, {args.threads} threads), facts kept:             "
        f"{r_kept['wall_s']:.1f} s, peak {r_kept['peak_mb']:,.0f} MiB, {r_kept['rows']:,} "
        f"targets — speed-up {r_pd['wall_s'] / r_kept['wall_s']:.2f}x, memory ratio "
        f"{r_kept['peak_mb'] / r_pd['peak_mb']:.2f} (make, the first call, which made and kept "
        f"them: {r_make['wall_s']:.1f} s, peak {r_make['peak_mb']:,.0f} MiB)",
        flush=True,
    )
    print("states:", json.dumps(r_dm["counts"]))
    if args.check:
        failed = False
        expected = pd.read_parquet(out_pd)
        for label, out in (("derived", out_dm), ("make", out_make), ("kept", out_kept)):
            problems = compare(pd.read_parquet(out), expected)
            print(
                f"check ({label}):",
                "same state for every first reply and resolution target"
                if not problems
                else "; ".join(problems),
            )
            failed = failed or bool(problems)
        if failed:
            raise SystemExit(1)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--tickets", type=int, default=1_000_000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--check", action="store_true")
    ap.add_argument("--all-targets", action="store_true")
    ap.add_argument("--materialize", action="store_true", help="cache the fact tables first")
    ap.add_argument("--child", choices=["engine", "kept", "pandas", "queue"])
    ap.add_argument("--phase", choices=["make", "kept"], default="kept")
    ap.add_argument("--data")
    ap.add_argument("--db")
    ap.add_argument("--now")
    ap.add_argument("--out")
    args = ap.parse_args()
    if args.child == "engine":
        child_engine(args)
    elif args.child == "kept":
        child_kept(args)
    elif args.child == "pandas":
        child_pandas(args)
    elif args.child == "queue":
        child_queue(args)
    else:
        parent(args)


if __name__ == "__main__":
    main()
