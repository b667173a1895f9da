"""Survey answers from any survey tool's CSV export, through a column mapping.

An export of Typeform, SurveyMonkey, Google Forms, Delighted, … has one row per respondent and
human column headers ("How satisfied are you with our support?"). A `SurveyMapping` says which
column of the export is each canonical `surveys` column, or which constant it is (every row is
kind "csat" on scale "1-5"), and optionally how answers translate ("Very satisfied" → 5,
"😀" → good). It comes from TOML: a `[survey_csv]` table in deskmetrics.toml or a file of its
own (see `load_mapping`):

```toml
[survey_csv]
response_id = "#"                                  # a string names a column of the export
answered_at = "Submit Date (UTC)"
customer_id = "email"
ticket_id = "ticket_id"
timezone = "UTC"                                   # zone of timestamps written without offset
kind = { value = "csat" }                          # a constant
scale = { value = "1-5" }
score = { column = "How satisfied are you?", values = { "Very satisfied" = 5, "Satisfied" = 4 } }
comment = "Anything else?"
```

An export that asks several questions per respondent (CSAT and NPS, say) lists them under
`[[survey_csv.questions]]`, each with its own kind, scale, score and comment; every row then
gives one answer per question.

Mapping choices (see DECISIONS.md):
- a question left empty (no score) is not an answer: the row is skipped for that question and
  counted, never rejected and never silently dropped;
- without a `response_id` column, each answer's id is a hash of the export's cells the mapping
  reads (and the question's name), so importing the same export again changes nothing; two
  respondents giving identical cells in every mapped column are one answer;
- with several questions, an answer's id is the response id (or hash) plus "-" and the
  question's name (default: its kind, when that is a constant), so each answer has its own id;
- value maps match exactly, then ignoring case; a value the map does not name passes unchanged,
  so validation rejects it when it is not a valid score (the reject names the export's column);
- the file's row numbers count the header as row 1, as a spreadsheet shows them.
"""

from __future__ import annotations

import hashlib
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, ValidationError, field_validator, model_validator

from deskmetrics.errors import ConfigError, ImportDataError
from deskmetrics.model import TABLES, Reject, SourceFrame, zone

SURVEYS = TABLES["surveys"]
#: the canonical columns an answer's question defines; the others are shared by all questions
QUESTION_COLUMNS = ("kind", "scale", "score", "comment")
SHARED_COLUMNS = ("response_id", "answered_at", "customer_id", "ticket_id", "agent_id", "channel")
_OFFSET = re.compile(r"(?:[zZ]|[+-]\d{2}(?::?\d{2})?)$")
_ISO_UTC = "%Y-%m-%dT%H:%M:%SZ"


def _as_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def known_zone(cls: type, v: str | None) -> str | None:
    """A mapping's `timezone` validator: an IANA zone name, or none."""
    if v is not None:
        try:
            zone(v)
        except ImportDataError as exc:
            raise ValueError(str(exc)) from exc
    return v


class Source(BaseModel):
    """Where one canonical column comes from: a column of the export (optionally with a value
    map) or a constant. In TOML a plain string is a column name."""

    model_config = ConfigDict(extra="forbid")
    column: str | None = None
    value: str | None = None
    #: export value → canonical value ("Very satisfied" → "5"); "" makes the value empty
    values: dict[str, str] = {}

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, data: Any) -> Any:
        return {"column": data} if isinstance(data, str) else data

    @field_validator("value", mode="before")
    @classmethod
    def _value_text(cls, v: Any) -> Any:
        return None if v is None else _as_text(v)

    @field_validator("values", mode="before")
    @classmethod
    def _values_text(cls, v: Any) -> Any:
        if isinstance(v, dict):
            return {str(k): _as_text(x) for k, x in v.items()}
        return v

    @model_validator(mode="after")
    def _one_of(self) -> Source:
        if (self.column is None) == (self.value is None):
            raise ValueError(
                "give either column = '<header in the export>' or value = '<constant>'"
            )
        if self.values and self.column is None:
            raise ValueError("values (a value map) needs a column to translate")
        return self


class Question(BaseModel):
    """One question of a multi-question export: one answer per row."""

    model_config = ConfigDict(extra="forbid")
    #: suffix of the answers' ids (default: the kind, when it is a constant)
    name: str | None = None
    kind: Source
    scale: Source
    score: Source
    comment: Source | None = None


class SurveyMapping(BaseModel):
    """Which column of a survey export is each canonical `surveys` column, or which constant."""

    model_config = ConfigDict(extra="forbid")
    response_id: Source | None = None
    kind: Source | None = None
    scale: Source | None = None
    score: Source | None = None
    answered_at: Source
    customer_id: Source | None = None
    ticket_id: Source | None = None
    agent_id: Source | None = None
    channel: Source | None = None
    comment: Source | None = None
    #: several questions per row (then kind, scale, score and comment are given per question)
    questions: list[Question] = []
    #: zone of answered_at values written without a UTC offset (IANA name, e.g. "UTC")
    timezone: str | None = None
    #: strptime format of answered_at when it is not ISO 8601, e.g. "%m/%d/%Y %I:%M:%S %p"
    timestamp_format: str | None = None
    delimiter: str = ","
    encoding: str = "utf-8-sig"
    #: rows between the header and the first answer (SurveyMonkey's second header row: 1)
    skip_rows: int = 0

    _known_zone = field_validator("timezone")(known_zone)

    @model_validator(mode="after")
    def _questions(self) -> SurveyMapping:
        own = [c for c in QUESTION_COLUMNS if getattr(self, c) is not None]
        if self.questions and own:
            raise ValueError(
                f"{', '.join(own)} given both at the top and in [[questions]]: give kind, scale, "
                "score and comment per question when there are several"
            )
        if not self.questions:
            missing = [c for c in ("kind", "scale", "score") if getattr(self, c) is None]
            if missing:
                raise ValueError(
                    f"no source for {', '.join(missing)}: name the export's column "
                    "(score = 'How satisfied …') or a constant (kind = { value = 'csat' })"
                )
        names = [q.key(i) for i, q in enumerate(self.answers())]
        if len(set(names)) != len(names):
            raise ValueError(
                f"questions need distinct names (found {', '.join(names)}): add name = '…' "
                "to each question"
            )
        if self.skip_rows < 0:
            raise ValueError("skip_rows cannot be negative")
        return self

    def answers(self) -> list[_Answer]:
        """Per question, the source of every canonical column (None: left empty)."""
        shared = {c: getattr(self, c) for c in SHARED_COLUMNS}
        if not self.questions:
            own = {c: getattr(self, c) for c in QUESTION_COLUMNS}
            return [_Answer(None, {**shared, **own})]
        return [
            _Answer(q.name, {**shared, **{c: getattr(q, c) for c in QUESTION_COLUMNS}})
            for q in self.questions
        ]


@dataclass(frozen=True)
class _Answer:
    name: str | None
    sources: dict[str, Source | None]

    def key(self, index: int) -> str:
        kind = self.sources["kind"]
        if self.name:
            return self.name
        if kind is not None and kind.value is not None:
            return kind.value
        return f"q{index + 1}"


def load_mapping(path: Path | str) -> SurveyMapping:
    """The survey mapping in a TOML file: its `[survey_csv]` table (deskmetrics.toml) or, when it
    has none, the whole file."""
    return mapping_from(read_mapping_file(path, "survey mapping", "survey_csv"), str(Path(path)))


def read_mapping_file(path: Path | str, what: str, table: str) -> Any:
    """A mapping file's TOML: its `[table]` table, or the whole file when it has none."""
    p = Path(path)
    try:
        data = tomllib.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ConfigError(f"{what} {p} does not exist") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read {what} {p}: {exc}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{p} is not valid TOML: {exc}") from exc
    return data.get(table, data)


def problems(exc: ValidationError) -> str:
    """What is wrong with a mapping, where: each problem's place in it and message."""
    return "; ".join(
        f"{'.'.join(str(x) for x in e['loc']) or '(mapping)'}: {e['msg']}" for e in exc.errors()
    )


def mapping_from(data: Any, where: str = "survey mapping") -> SurveyMapping:
    """A `SurveyMapping` from parsed TOML (a dict), or a `ConfigError` saying what is wrong."""
    try:
        return SurveyMapping.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(f"{where} ([survey_csv]): {problems(exc)}") from exc


# --- reading -------------------------------------------------------------------------------


@dataclass(frozen=True)
class SurveyExport:
    """What a survey export maps to.

    `frames` holds one `surveys` frame per file and question. `headers[i]` names, for frame i,
    the export's column each canonical column was read from, so that rejects can name the
    column the user sees. `skipped` counts rows that are no answer (an empty score), keyed by
    "<file>: <what>"."""

    frames: list[SourceFrame]
    headers: list[dict[str, str]]
    skipped: dict[str, int] = field(default_factory=dict)


def read_survey_csv(path: Path, mapping: SurveyMapping) -> list[SourceFrame]:
    """Canonical `surveys` rows of a survey export (one CSV file, or a folder of them read with
    the same mapping). Raises `ImportDataError` when a file cannot be read or lacks a column the
    mapping names; values that do not fit become rejects when validated."""
    return read_survey_export(path, mapping).frames


def read_survey_export(path: Path, mapping: SurveyMapping) -> SurveyExport:
    """`read_survey_csv`, plus the export's column per canonical column and skipped counts."""
    frames: list[SourceFrame] = []
    headers: list[dict[str, str]] = []
    skipped: dict[str, int] = {}
    for file in csv_files(Path(path), "survey export"):
        raw, rows = read_csv_file(
            file, delimiter=mapping.delimiter, encoding=mapping.encoding, skip=mapping.skip_rows
        )
        for i, answer in enumerate(mapping.answers()):
            sf, named, blank = _answer_frame(file, raw, rows, mapping, answer, i)
            frames.append(sf)
            headers.append(named)
            if blank:
                what = "rows without an answer" + (
                    f" to {answer.key(i)}" if mapping.questions else ""
                )
                skipped[f"{file.name}: {what}"] = blank
    return SurveyExport(frames, headers, skipped)


def csv_files(path: Path, what: str) -> list[Path]:
    """`path` when it is a file, else the CSV files in the folder `path` (sorted by name)."""
    if path.is_file():
        return [path]
    if not path.is_dir():
        raise ImportDataError(f"{path} does not exist: give the {what} CSV file or its folder")
    files = sorted(
        p for p in path.iterdir() if p.is_file() and p.suffix.lower() == ".csv" and p.name[0] != "."
    )
    if not files:
        raise ImportDataError(f"no .csv file in {path}: give the {what} CSV file or its folder")
    return files


def read_csv_file(
    path: Path, delimiter: str = ",", encoding: str = "utf-8-sig", skip: int = 0
) -> tuple[pd.DataFrame, np.ndarray]:
    """All cells as text (empty cells stay ""), and each row's number in the file as a
    spreadsheet shows it (the header is row 1)."""
    try:
        frame = pd.read_csv(
            path,
            dtype=str,
            keep_default_na=False,
            sep=delimiter,
            encoding=encoding,
            skiprows=range(1, 1 + skip),
        )
    except pd.errors.EmptyDataError as exc:
        raise ImportDataError(f"{path.name} is empty: expected a header row") from exc
    except UnicodeDecodeError as exc:
        raise ImportDataError(
            f"{path.name} is not {encoding} text (byte {exc.start}); save it as UTF-8"
        ) from exc
    except (pd.errors.ParserError, OSError, ValueError) as exc:
        raise ImportDataError(f"cannot read {path.name}: {exc}") from exc
    frame.columns = [str(c).strip() for c in frame.columns]
    rows = np.arange(2 + skip, 2 + skip + len(frame), dtype=np.int64)
    return frame.reset_index(drop=True), rows


def find_column(frame: pd.DataFrame, name: str) -> str | None:
    """The header of `frame` that is `name`: exactly, else ignoring case and surrounding
    blanks (when that is unambiguous)."""
    if name in frame.columns:
        return name
    want = name.strip().casefold()
    found = [c for c in frame.columns if c.casefold() == want]
    return found[0] if len(found) == 1 else None


def _answer_frame(
    file: Path,
    raw: pd.DataFrame,
    rows: np.ndarray,
    mapping: SurveyMapping,
    answer: _Answer,
    index: int,
) -> tuple[SourceFrame, dict[str, str], int]:
    """One question's answers of one file, the export's column per canonical column, and the
    number of rows left out because they do not answer it."""
    headers: dict[str, str] = {}
    out = pd.DataFrame(index=raw.index)
    cells: list[pd.Series] = []  # the export's cells this answer is read from, for hashing
    for name in SURVEYS.column_names:
        src = answer.sources[name]
        if src is None:
            out[name] = None
            continue
        if src.column is None:
            out[name] = src.value
            continue
        header = find_column(raw, src.column)
        if header is None:
            shown = ", ".join(repr(c) for c in list(raw.columns)[:12])
            more = ", …" if len(raw.columns) > 12 else ""
            raise ImportDataError(
                f"{file.name} has no column {src.column!r}, which the survey mapping names for "
                f"{name}; its columns are {shown}{more}"
            )
        headers[name] = header
        text = raw[header].astype(str).str.strip()
        cells.append(text.rename(name))
        out[name] = _translate(text, src.values)
    # a question left empty is no answer
    answered = out["score"].notna().to_numpy()
    blank = int((~answered).sum())
    out, rows_kept = out[answered].reset_index(drop=True), rows[answered]
    cells = [c[answered].reset_index(drop=True) for c in cells]
    key = answer.key(index)
    if answer.sources["response_id"] is None:
        out["response_id"] = _row_hashes(cells, key, len(out))
    elif mapping.questions:
        ids = out["response_id"]
        out["response_id"] = ids.where(ids.isna(), ids.astype(object) + f"-{key}")
    rejects: list[Reject] = []
    if "answered_at" in headers:
        values, why = _timestamps(out["answered_at"], mapping.timestamp_format, mapping.timezone)
        out["answered_at"] = values
        bad = why.notna().to_numpy()
        header = headers["answered_at"]
        for i in np.flatnonzero(bad):
            rejects.append(
                Reject(
                    SURVEYS.name,
                    file.name,
                    int(rows_kept[i]),
                    header,
                    str(why.iloc[i]),
                    str(_cells_of(cells, "answered_at").iloc[i]),
                )
            )
        out, rows_kept = out[~bad].reset_index(drop=True), rows_kept[~bad]
    frame = out.astype(object).where(out.notna(), None)
    sf = SourceFrame(SURVEYS, file.name, frame, rows_kept, rejects)
    return sf, headers, blank


def _cells_of(cells: list[pd.Series], name: str) -> pd.Series:
    return next(c for c in cells if c.name == name)


def _translate(text: pd.Series, values: dict[str, str]) -> pd.Series:
    """Cells through the value map (exactly, else ignoring case); empty cells are null."""
    out = text.astype(object)
    if values:
        exact = text.map(values)
        folded = {k.strip().casefold(): v for k, v in values.items()}
        loose = text.str.casefold().map(folded)
        mapped = exact.where(exact.notna(), loose)
        out = mapped.where(mapped.notna(), out).astype(object)
    return out.where(out != "", None)


def _row_hashes(cells: list[pd.Series], key: str, n: int) -> pd.Series:
    """A stable id per row from the export's cells the mapping reads and the question."""
    if not cells:  # every column a constant: nothing tells the rows apart but their order
        cells = [pd.Series(np.arange(n).astype(str), name="_position")]
    ordered = sorted(cells, key=lambda c: str(c.name))
    joined = ordered[0].astype(str)
    for c in ordered[1:]:
        joined = joined + "\x1f" + c.astype(str)
    prefix = key + "\x1e"
    return joined.map(lambda s: "h" + hashlib.sha1((prefix + s).encode()).hexdigest()[:20])


def _timestamps(text: pd.Series, fmt: str | None, tz: str | None) -> tuple[pd.Series, pd.Series]:
    """answered_at as text validation reads (UTC with Z where the zone is known), and why a value
    cannot be read (null when fine). Values that are left as they are meet validation's
    checks (an ISO timestamp without offset and no zone is rejected there, with advice)."""
    why = pd.Series(None, index=text.index, dtype=object)
    out = text.astype(object).copy()
    present = text.notna()
    if (fmt is None and tz is None) or not present.any():
        return out, why
    vals = text[present].astype(str)
    if fmt is not None:
        aware = "%z" in fmt or "%Z" in fmt
        parsed = pd.to_datetime(vals, format=fmt, errors="coerce", utc=aware)
        failed = parsed.isna()
        why[failed[failed].index] = f"does not match the survey mapping's timestamp_format {fmt!r}"
        parsed = parsed[~failed]
        if aware:
            out[parsed.index] = parsed.dt.strftime(_ISO_UTC)
            return out, why
        naive = parsed
    else:
        local = vals[~vals.str.contains(_OFFSET)]
        naive = pd.to_datetime(local, format="ISO8601", errors="coerce").dropna()
    if tz is None:
        out[naive.index] = naive.dt.strftime("%Y-%m-%dT%H:%M:%S")
        return out, why
    loc = naive.dt.tz_localize(zone(tz), ambiguous="NaT", nonexistent="NaT")
    gap = loc.isna()
    why[gap[gap].index] = (
        f"this local time does not exist or is ambiguous in {tz} (daylight-saving change); "
        "give it with a UTC offset"
    )
    ok = loc[~gap]
    out[ok.index] = ok.dt.tz_convert("UTC").dt.strftime(_ISO_UTC)
    return out, why


__all__ = [
    "Question",
    "Source",
    "SurveyExport",
    "SurveyMapping",
    "load_mapping",
    "mapping_from",
    "read_survey_csv",
    "read_survey_export",
]
