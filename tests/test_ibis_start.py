"""Ibis's compilers package made lazy (engine/ibis_start.py): a DuckDB workspace loads one
dialect's compiler, and every other way of reaching a compiler still finds it. Each check runs
in a fresh interpreter: in this one, other tests have loaded compilers already."""

from __future__ import annotations

import subprocess
import sys
import textwrap


def _run(code: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_a_duckdb_workspace_loads_the_duckdb_compiler_alone(tmp_path) -> None:
    out = _run(
        f"""
        import sys
        from deskmetrics.config import Settings
        from deskmetrics.engine import open_duckdb
        from deskmetrics.engine.ibis_start import loaded
        ws = open_duckdb({str(tmp_path / "w.duckdb")!r}, Settings())
        print(ws.backend.execute(ws.table("tickets").count()))
        print(",".join(d for d in loaded() if not d.startswith("_") and d != "base"))
        """
    )
    assert out.splitlines() == ["0", "duckdb"]


def test_every_other_compiler_is_still_found() -> None:
    out = _run(
        """
        import deskmetrics.engine
        import ibis
        import ibis.backends.sql.compilers as sc
        t = ibis.table({"a": "int64"}, name="t")
        print(type(sc.postgres.compiler).__name__, sc.PySparkCompiler.__name__)
        print(" ".join(ibis.to_sql(t.a.sum(), dialect="postgres").split()))
        try:
            ibis.to_sql(t.a.sum(), dialect="no_such_dialect")
        except ValueError as e:
            print(e)
        """
    )
    assert out.splitlines() == [
        "PostgresCompiler PySparkCompiler",
        'SELECT SUM("t0"."a") AS "Sum(a)" FROM "t" AS "t0"',
        "Unknown dialect no_such_dialect",
    ]


def test_a_command_without_a_workspace_does_not_load_the_engine() -> None:
    """`deskmetrics metrics` lists the registry: the global options' check of `--db` must not
    import the engine (it did, for `is_engine_url`: a second's start for nothing)."""
    out = _run(
        """
        import sys
        from deskmetrics.cli import main
        sys.argv = ["deskmetrics", "metrics", "--format", "csv"]
        try:
            main()
        except SystemExit:
            pass
        print("loaded:", "ibis" in sys.modules, "duckdb" in sys.modules)
        """
    )
    assert out.splitlines()[0].startswith("metric,unit,better")
    assert out.splitlines()[-1] == "loaded: False False"
