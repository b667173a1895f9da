"""The streamed Zendesk importer stores exactly what the in-memory importer it replaced stored.

The importer used to load every file whole, sort all audits per ticket and build one frame per
table; it now streams every file, yields frames in chunks and resolves what depends on a
ticket's earlier audits (assignment rows carrying the unchanged half, the latest rating, the
first survey offer, privacy changes of earlier comments, SLA policies) once all audits are read.

The expectations in tests/fixtures/zendesk_stream_expected.json were computed by the in-memory
importer (commit fb72341) on exports written by benchmarks/gen_zendesk_export.py, as written
and reshaped here: audits newest first (as the all-audits endpoint lists them), or shuffled
with privacy changes of earlier comments and audits listed twice, as JSON Lines pages or one
JSON array. Each table's stored rows (after validation and the store's checks, sorted) are
compared by digest, with the rejects and the skip counts."""

from __future__ import annotations

import hashlib
import importlib.util
import json
import random
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import duckdb
import pytest

from deskmetrics.engine.store import load
from deskmetrics.importers.zendesk import read_zendesk, stream_zendesk
from deskmetrics.model import TABLES, SourceFrame, validate

ROOT = Path(__file__).resolve().parents[1]
EXPECTED = Path(__file__).parent / "fixtures" / "zendesk_stream_expected.json"
TICKETS = 300
SEED = 11
SHAPES = ("as_written", "newest_first", "shuffled_privacy_twice", "shuffled_array")


def _generator() -> ModuleType:
    path = ROOT / "benchmarks" / "gen_zendesk_export.py"
    spec = importlib.util.spec_from_file_location("gen_zendesk_export", path)
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod
    spec.loader.exec_module(mod)
    return mod


def _audits(folder: Path) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for line in (folder / "ticket_audits.json").read_text().splitlines():
        if line.strip():
            out.extend(json.loads(line)["audits"])
    return out


def reshape(folder: Path, shape: str) -> None:
    """Rewrite the audits of a generated export in another order or shape."""
    audits = _audits(folder)
    rng = random.Random(SEED)
    as_array = shape == "shuffled_array"
    if shape == "newest_first":
        audits.sort(key=lambda a: (a["created_at"], a["id"]), reverse=True)
    elif shape != "as_written":
        extra = []
        for a in audits:
            for ev in a.get("events", []):
                if ev.get("type") == "Comment" and rng.random() < 0.1:
                    # made private in a later audit, or in one of the same second
                    later = rng.random() < 0.5
                    at = "2099-01-01T00:00:00Z" if later else a["created_at"]
                    change = {"id": ev["id"] * 10 + 3, "type": "CommentPrivacyChange",
                              "comment_id": ev["id"], "public": False}  # fmt: skip
                    extra.append({"id": a["id"] * 10 + 7, "ticket_id": a["ticket_id"],
                                  "created_at": at, "author_id": a.get("author_id"),
                                  "events": [change]})  # fmt: skip
        audits += extra
        audits += [dict(a) for a in rng.sample(audits, len(audits) // 40)]  # listed twice
        rng.shuffle(audits)
    with (folder / "ticket_audits.json").open("w") as f:
        if as_array:
            json.dump(audits, f)
        else:
            for i in range(0, len(audits), 97):
                f.write(json.dumps({"audits": audits[i : i + 97], "end_of_stream": False}))
                f.write("\n")


def stored(frames: Any) -> dict[str, Any]:
    """What the store keeps of frames (in one transaction, as an import), in digests."""
    con = duckdb.connect()
    summary = load(con, (validate(f) for f in frames), source="test")
    out: dict[str, Any] = {}
    for name, table in TABLES.items():
        cols = ", ".join(f'"{c.name}"' for c in table.columns)
        rows = con.execute(f'SELECT {cols} FROM "{name}" ORDER BY ALL').fetchall()
        if rows:
            text = "\n".join(repr(r) for r in rows)
            out[name] = {"rows": len(rows), "sha256": hashlib.sha256(text.encode()).hexdigest()}
    out["rejects"] = sorted([r.table, r.file, r.row, r.column, r.reason] for r in summary.rejects)
    out["read"] = {name: tc.read for name, tc in sorted(summary.tables.items())}
    return out


@pytest.fixture(scope="module")
def exports(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    gen = _generator()
    out = {}
    for shape in SHAPES:
        folder = tmp_path_factory.mktemp(shape)
        gen.generate(folder, TICKETS, SEED)
        reshape(folder, shape)
        out[shape] = folder
    return out


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("chunk_rows", [None, 97])
def test_streamed_import_stores_what_the_in_memory_import_stored(
    exports: dict[str, Path], shape: str, chunk_rows: int | None
) -> None:
    expected = json.loads(EXPECTED.read_text())[shape]
    if chunk_rows is None:
        export = read_zendesk(exports[shape])
        frames: list[SourceFrame] = export.frames
        skipped = export.skipped
    else:
        stream = stream_zendesk(exports[shape], chunk_rows=chunk_rows)
        frames = list(stream)
        assert sum(f.table.name == "events" for f in frames) > 10  # really in chunks
        skipped = stream.skipped
    got = stored(frames)
    read = got.pop("read")
    assert got == expected["stored"]
    assert skipped == expected["skipped"]
    assert read == expected["read"]  # rows read per table


def test_every_shape_has_what_it_should_test() -> None:
    expected = json.loads(EXPECTED.read_text())
    assert set(expected) == set(SHAPES)
    twice = expected["shuffled_privacy_twice"]
    # audits listed twice: the events of the copies collapse, the changed ones are rejected
    assert twice["stored"]["rejects"]
    assert twice["skipped"] != expected["as_written"]["skipped"]


def test_privacy_changes_reach_comments_listed_before_them(exports: dict[str, Path]) -> None:
    def private(shape: str) -> int:
        e = read_zendesk(exports[shape]).frame("events")
        assert e is not None
        return int((e.frame["public"] == "false").sum())

    assert private("shuffled_privacy_twice") > private("as_written") + 20
