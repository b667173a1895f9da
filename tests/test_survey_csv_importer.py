"""The survey CSV importer: a Typeform-like export of three questions per respondent
(tests/fixtures/survey_csv/typeform/, two monthly files, mapping typeform.toml) and a chat
thumbs rating with emoji answers, local day/month/year times and no response id
(chat_ratings.csv, chat_ratings.toml). Every expected value is read off the fixture files."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from deskmetrics.config import Settings
from deskmetrics.engine import Workspace, open_duckdb
from deskmetrics.errors import ConfigError, ImportDataError
from deskmetrics.importers import import_directory
from deskmetrics.importers.pipeline import validate_in_file_terms
from deskmetrics.importers.survey_csv import (
    SurveyMapping,
    load_mapping,
    mapping_from,
    read_survey_csv,
    read_survey_export,
)
from deskmetrics.model import Reject, SourceFrame, validate

FIXTURES = Path(__file__).parent / "fixtures" / "survey_csv"
TYPEFORM = FIXTURES / "typeform"
CHAT = FIXTURES / "chat_ratings.csv"
CSAT_Q = "How satisfied are you with the support you received?"
COLUMNS = [
    "response_id", "kind", "scale", "score", "answered_at", "customer_id", "ticket_id",
    "agent_id", "channel", "comment",
]  # fmt: skip


def rows(sf: SourceFrame) -> list[tuple[object, ...]]:
    return [tuple(r) for r in sf.frame[COLUMNS].itertuples(index=False)]


@pytest.fixture(scope="module")
def typeform() -> SurveyMapping:
    return load_mapping(FIXTURES / "typeform.toml")


@pytest.fixture(scope="module")
def chat() -> SurveyMapping:
    return load_mapping(FIXTURES / "chat_ratings.toml")


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    return open_duckdb(tmp_path / "w.duckdb", Settings())


# --- the mapping ----------------------------------------------------------------------------


def test_mapping_from_a_survey_csv_table_and_from_a_whole_file(
    typeform: SurveyMapping, chat: SurveyMapping
) -> None:
    assert typeform.response_id is not None and typeform.response_id.column == "#"
    assert [(q.kind.value, q.scale.value) for q in typeform.questions] == [
        ("csat", "1-5"),
        ("ces", "1-7:higher-easier"),
        ("nps", "0-10"),
    ]
    assert typeform.questions[0].score.values["Very satisfied"] == "5"  # TOML 5 → text
    assert chat.kind is not None and chat.kind.value == "csat"
    assert chat.score is not None and chat.score.values["😀"] == "good"
    assert (chat.timezone, chat.timestamp_format) == ("Europe/Berlin", "%d/%m/%Y %H:%M")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"answered_at": "At", "kind": {"value": "csat"}, "scale": {"value": "1-5"}}, "score"),
        ({"answered_at": "At", "kind": {"column": "K", "value": "csat"}}, "either column"),
        ({"kind": {"value": "csat"}, "scale": {"value": "1-5"}, "score": "S"}, "answered_at"),
        (
            {"answered_at": "At", "kind": {"value": "csat"}, "scale": {"value": "1-5"},
             "score": "S", "timezone": "Mars/Olympus"},
            "unknown time zone",
        ),
        (
            {"answered_at": "At", "kind": {"value": "nps"}, "scale": {"value": "0-10"},
             "score": "S", "colour": "blue"},
            "colour",
        ),
        (
            {"answered_at": "At", "questions": [
                {"kind": {"value": "csat"}, "scale": {"value": "1-5"}, "score": "A"},
                {"kind": {"value": "csat"}, "scale": {"value": "1-5"}, "score": "B"},
            ]},
            "distinct names",
        ),
        (
            {"answered_at": "At", "score": "S", "questions": [
                {"kind": {"value": "csat"}, "scale": {"value": "1-5"}, "score": "A"},
            ]},
            "both at the top",
        ),
        ({"answered_at": "At", "kind": {"value": "csat"}, "scale": {"value": "1-5"},
          "score": {"value": "5", "values": {"a": "b"}}}, "needs a column"),
    ],
)  # fmt: skip
def test_bad_mappings_say_what_is_wrong(data: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        mapping_from(data)


def test_mapping_file_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        load_mapping(tmp_path / "nope.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("[survey_csv\nscore = 1\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_mapping(bad)


# --- the Typeform export ---------------------------------------------------------------------


def test_one_frame_per_file_and_question(typeform: SurveyMapping) -> None:
    frames = read_survey_csv(TYPEFORM, typeform)
    assert [(f.file, f.frame["kind"].iloc[0]) for f in frames] == [
        ("responses-2026-03.csv", "csat"),
        ("responses-2026-03.csv", "ces"),
        ("responses-2026-03.csv", "nps"),
        ("responses-2026-04.csv", "csat"),
        ("responses-2026-04.csv", "ces"),
        ("responses-2026-04.csv", "nps"),
    ]
    assert all(f.rejects == [] for f in frames)


def test_csat_answers_are_mapped(typeform: SurveyMapping) -> None:
    csat = read_survey_csv(TYPEFORM, typeform)[0]
    assert rows(csat) == [
        ("q7l2m9x0c4vb8n1k-csat", "csat", "1-5", "5", "2026-03-02T14:05:11Z",
         "anna.schmidt@example.com", "T1001", "A0001", "email",
         "Quick and friendly, thanks Lena!"),
        ("t0pz3r8wq6y5u2i4-csat", "csat", "1-5", "2", "2026-03-03T09:14:37Z",
         "ben.weber@example.com", "T1002", "A0002", "chat",
         "Took three days to get a first answer."),
        ("g5h8j1k4l7z0x3c6-csat", "csat", "1-5", "4", "2026-03-04T17:41:30Z",
         "clara.koch@example.org", "T1003", "A0001", "web", None),
        ("w9e6r3t0y7u4i1o8-csat", "csat", "1-5", "1", "2026-03-06T19:25:03Z",
         "elif.kaya@example.com", "T1005", "A0002", "phone",
         'I had to explain the problem twice, and the "fix" broke it again.'),
    ]  # fmt: skip
    # spreadsheet rows: the header is row 1; row 5 did not answer the CSAT question
    assert list(csat.row_numbers()) == [2, 3, 4, 6]


def test_ces_and_nps_answers_carry_no_comment(typeform: SurveyMapping) -> None:
    frames = read_survey_csv(TYPEFORM, typeform)
    ces, nps = frames[1], frames[2]
    assert [(r[0], r[2], r[3]) for r in rows(ces)] == [
        ("q7l2m9x0c4vb8n1k-ces", "1-7:higher-easier", "7"),
        ("t0pz3r8wq6y5u2i4-ces", "1-7:higher-easier", "3"),
        ("m2n5b8v1c4x7z0a3-ces", "1-7:higher-easier", "6"),
        ("w9e6r3t0y7u4i1o8-ces", "1-7:higher-easier", "1"),
    ]
    assert [(r[0], r[3]) for r in rows(nps)] == [
        ("q7l2m9x0c4vb8n1k-nps", "10"),
        ("t0pz3r8wq6y5u2i4-nps", "4"),
        ("g5h8j1k4l7z0x3c6-nps", "8"),
        ("m2n5b8v1c4x7z0a3-nps", "9"),
        ("w9e6r3t0y7u4i1o8-nps", "0"),
    ]
    assert ces.frame["comment"].isna().all() and nps.frame["comment"].isna().all()


def test_unanswered_questions_are_skipped_and_counted(typeform: SurveyMapping) -> None:
    export = read_survey_export(TYPEFORM, typeform)
    assert export.skipped == {
        "responses-2026-03.csv: rows without an answer to csat": 1,
        "responses-2026-03.csv: rows without an answer to ces": 1,
    }
    assert export.headers[0] == {
        "response_id": "#",
        "score": CSAT_Q,
        "answered_at": "Submit Date (UTC)",
        "customer_id": "email",
        "ticket_id": "ticket_id",
        "agent_id": "agent",
        "channel": "channel",
        "comment": "Is there anything we could have done better?",
    }


def test_good_export_validates_without_rejects(
    typeform: SurveyMapping, chat: SurveyMapping
) -> None:
    frames = read_survey_csv(TYPEFORM, typeform) + read_survey_csv(CHAT, chat)
    for sf in frames:
        valid = validate(sf)
        assert valid.rejects == [], valid.rejects
        assert len(valid.frame) == len(sf.frame)
    assert sum(len(sf.frame) for sf in frames) == 4 + 4 + 5 + 3 + 3


# --- the chat ratings: emoji, local times, hashed ids -----------------------------------------


def test_emoji_local_times_and_hashed_ids(chat: SurveyMapping) -> None:
    (sf,) = read_survey_csv(CHAT, chat)
    got = rows(sf)
    assert [r[1:] for r in got] == [
        ("csat", "good-bad", "good", "2026-03-02T08:15:00Z", "c-981", "T2001", None, "chat",
         "Super fast!"),
        ("csat", "good-bad", "bad", "2026-03-02T16:40:00Z", "c-982", "T2002", None, "chat",
         "The bot kept sending me in circles before I got a person."),
        # July is summer time in Berlin: UTC+2
        ("csat", "good-bad", "good", "2026-07-15T09:05:00Z", "c-983", "T2003", None, "chat",
         None),
    ]  # fmt: skip
    ids = [r[0] for r in got]
    assert all(re.fullmatch(r"h[0-9a-f]{20}", str(i)) for i in ids)
    assert len(set(ids)) == 3
    assert [r[0] for r in rows(read_survey_csv(CHAT, chat)[0])] == ids  # stable
    assert list(sf.row_numbers()) == [2, 3, 4]


def test_hashed_id_changes_with_the_answer_not_with_other_columns(
    tmp_path: Path, chat: SurveyMapping
) -> None:
    base = CHAT.read_text(encoding="utf-8").splitlines()
    (sf,) = read_survey_csv(CHAT, chat)
    first_id = sf.frame["response_id"].iloc[0]
    extra = tmp_path / "more_columns.csv"
    extra.write_text(
        "\n".join([base[0] + ",Browser", base[1] + ",Firefox"]) + "\n", encoding="utf-8"
    )
    assert read_survey_csv(extra, chat)[0].frame["response_id"].iloc[0] == first_id
    other = tmp_path / "other_answer.csv"
    other.write_text("\n".join([base[0], base[1].replace("😀", "🙁")]) + "\n", encoding="utf-8")
    assert read_survey_csv(other, chat)[0].frame["response_id"].iloc[0] != first_id


# --- bad input -------------------------------------------------------------------------------

SIMPLE = {
    "response_id": "Response",
    "answered_at": "Submitted",
    "kind": {"value": "csat"},
    "scale": {"value": "1-5"},
    "score": {"column": "Rating", "values": {"Great": "5", "Good": "4", "Poor": "2"}},
    "comment": "Why?",
}


def write(tmp_path: Path, text: str, name: str = "export.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_missing_mapped_column_names_column_and_file(tmp_path: Path) -> None:
    path = write(tmp_path, "Response,Submitted,Score\nr1,2026-03-02T10:00:00Z,Great\n")
    with pytest.raises(ImportDataError, match=r"export\.csv has no column 'Rating'.*score"):
        read_survey_csv(path, mapping_from(SIMPLE))


def test_headers_match_ignoring_case_and_blanks(tmp_path: Path) -> None:
    path = write(tmp_path, " response ,SUBMITTED,rating,why?\nr1,2026-03-02T10:00:00Z,good,\n")
    (sf,) = read_survey_csv(path, mapping_from(SIMPLE))
    assert rows(sf) == [
        ("r1", "csat", "1-5", "4", "2026-03-02T10:00:00Z", None, None, None, None, None)
    ]


def test_unmappable_value_is_rejected_naming_the_export_column(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "Response,Submitted,Rating,Why?\n"
        "r1,2026-03-02T10:00:00Z,Great,\n"
        "r2,2026-03-02T11:00:00Z,Meh,not sure\n"
        "r3,2026-03-02T12:00:00Z,4,\n",
    )
    (sf,) = read_survey_csv(path, mapping_from(SIMPLE))
    assert list(sf.frame["score"]) == ["5", "Meh", "4"]  # unmapped values pass unchanged
    valid = validate(sf)
    assert valid.rejects == [
        Reject("surveys", "export.csv", 3, "score", "score is not on the answer's scale", "Meh")
    ]
    named = validate_in_file_terms(sf, {"score": "Rating"})
    assert named.rejects == [
        Reject("surveys", "export.csv", 3, "Rating", "score is not on the answer's scale", "Meh")
    ]
    assert list(named.frame["response_id"]) == ["r1", "r3"]


def test_bad_timestamp_is_rejected(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "Response,Submitted,Rating,Why?\n"
        "r1,yesterday,Great,\n"
        "r2,2026-03-02 11:00:00,Great,\n"
        "r3,2026-03-02T12:00:00+01:00,Good,\n",
    )
    (sf,) = read_survey_csv(path, mapping_from(SIMPLE))
    valid = validate_in_file_terms(sf, read_survey_export(path, mapping_from(SIMPLE)).headers[0])
    assert [(r.file, r.row, r.column, r.value) for r in valid.rejects] == [
        ("export.csv", 2, "Submitted", "yesterday"),
        ("export.csv", 3, "Submitted", "2026-03-02 11:00:00"),
    ]
    assert valid.rejects[0].reason == "not an ISO 8601 timestamp (e.g. 2026-03-01T09:30:00Z)"
    assert valid.rejects[1].reason.startswith("timestamp has no UTC offset")
    assert [str(t) for t in valid.frame["answered_at"]] == ["2026-03-02 11:00:00"]
    # naming the zone of offset-less times in the import accepts row 3
    assert len(validate(sf, assume_tz="UTC").frame) == 2


def test_timestamp_format_mismatch_and_daylight_saving_gap(
    tmp_path: Path, chat: SurveyMapping
) -> None:
    path = write(
        tmp_path,
        "Conversation,Customer,Rated at,Rating,Feedback\n"
        "T1,c1,2026-03-02 09:15,😀,\n"
        "T2,c2,29/03/2026 02:30,😀,\n"  # clocks jump from 02:00 to 03:00 in Berlin
        "T3,c3,29/03/2026 03:30,😀,\n",
    )
    (sf,) = read_survey_csv(path, chat)
    assert [(r.file, r.row, r.column, r.value) for r in sf.rejects] == [
        ("export.csv", 2, "Rated at", "2026-03-02 09:15"),
        ("export.csv", 3, "Rated at", "29/03/2026 02:30"),
    ]
    assert sf.rejects[0].reason == (
        "does not match the survey mapping's timestamp_format '%d/%m/%Y %H:%M'"
    )
    assert "daylight-saving" in sf.rejects[1].reason
    assert list(sf.frame["answered_at"]) == ["2026-03-29T01:30:00Z"]
    assert list(sf.row_numbers()) == [4]
    assert validate(sf).rejects == sf.rejects  # validation keeps the reader's rejects


def test_timestamp_format_with_offset(tmp_path: Path) -> None:
    path = write(tmp_path, "Response,Submitted,Rating,Why?\nr1,02.03.2026 10:00 +0100,Great,\n")
    m = mapping_from({**SIMPLE, "timestamp_format": "%d.%m.%Y %H:%M %z"})
    (sf,) = read_survey_csv(path, m)
    assert list(sf.frame["answered_at"]) == ["2026-03-02T09:00:00Z"]


def test_value_map_to_empty_means_no_answer_and_kind_from_a_column(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "Response,Submitted,Survey,Rating,Why?\n"
        "r1,2026-03-02T10:00:00Z,Customer Satisfaction,Great,\n"
        "r2,2026-03-02T11:00:00Z,Customer Satisfaction,Not applicable,\n"
        "r3,2026-03-02T12:00:00Z,Loyalty,Great,\n",
    )
    m = mapping_from(
        {
            **SIMPLE,
            "kind": {"column": "Survey", "values": {"customer satisfaction": "csat"}},
            "score": {"column": "Rating", "values": {"Great": 5, "Not applicable": ""}},
        }
    )
    export = read_survey_export(path, m)
    (sf,) = export.frames
    assert list(sf.frame["kind"]) == ["csat", "Loyalty"]
    assert export.skipped == {"export.csv: rows without an answer": 1}
    assert [(r.row, r.column, r.value) for r in validate(sf).rejects] == [(4, "kind", "Loyalty")]


def test_surveymonkey_style_second_header_row_and_semicolons(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "Response;Submitted;Rating;Why?\n;;Response;Open-Ended Response\n"
        "r1;2026-03-02T10:00:00Z;Poor;Slow\n",
    )
    m = mapping_from({**SIMPLE, "delimiter": ";", "skip_rows": 1})
    (sf,) = read_survey_csv(path, m)
    assert rows(sf) == [
        ("r1", "csat", "1-5", "2", "2026-03-02T10:00:00Z", None, None, None, None, "Slow")
    ]
    assert list(sf.row_numbers()) == [3]


def test_unreadable_inputs(tmp_path: Path) -> None:
    m = mapping_from(SIMPLE)
    with pytest.raises(ImportDataError, match="does not exist"):
        read_survey_csv(tmp_path / "missing.csv", m)
    (tmp_path / "empty").mkdir()
    with pytest.raises(ImportDataError, match=r"no \.csv file"):
        read_survey_csv(tmp_path / "empty", m)
    with pytest.raises(ImportDataError, match="is empty"):
        read_survey_csv(write(tmp_path, ""), m)
    latin = tmp_path / "latin.csv"
    latin.write_bytes(
        "Response,Submitted,Rating,Why?\nr1,2026-03-02T10:00:00Z,Great,Très\n".encode("latin-1")
    )
    with pytest.raises(ImportDataError, match="not utf-8-sig text"):
        read_survey_csv(latin, m)


# --- end to end --------------------------------------------------------------------------------


def stored(ws: Workspace) -> list[tuple[object, ...]]:
    return ws.backend.con.execute(
        "SELECT response_id, kind, scale, score, CAST(answered_at AS VARCHAR), customer_id, "
        "ticket_id, comment FROM surveys ORDER BY answered_at, kind"
    ).fetchall()


def test_import_stores_answers_and_reimport_changes_nothing(ws: Workspace) -> None:
    mapping = FIXTURES / "typeform.toml"
    s = import_directory(ws, TYPEFORM, "survey-csv", mapping=mapping)
    assert s.rejects == [] and s.committed
    assert (s.tables["surveys"].read, s.tables["surveys"].inserted) == (16, 16)
    assert s.notes == [
        "skipped 1 responses-2026-03.csv: rows without an answer to csat",
        "skipped 1 responses-2026-03.csv: rows without an answer to ces",
    ]
    got = stored(ws)
    assert len(got) == 16
    assert got[:3] == [
        ("q7l2m9x0c4vb8n1k-ces", "ces", "1-7:higher-easier", "7", "2026-03-02 14:05:11",
         "anna.schmidt@example.com", "T1001", None),
        ("q7l2m9x0c4vb8n1k-csat", "csat", "1-5", "5", "2026-03-02 14:05:11",
         "anna.schmidt@example.com", "T1001", "Quick and friendly, thanks Lena!"),
        ("q7l2m9x0c4vb8n1k-nps", "nps", "0-10", "10", "2026-03-02 14:05:11",
         "anna.schmidt@example.com", "T1001", None),
    ]  # fmt: skip
    again = import_directory(ws, TYPEFORM, "survey-csv", mapping=load_mapping(mapping))
    assert (again.tables["surveys"].inserted, again.tables["surveys"].unchanged) == (0, 16)
    assert again.rejects == []
    assert stored(ws) == got


def test_import_with_hashed_ids_twice_changes_nothing(ws: Workspace) -> None:
    mapping = FIXTURES / "chat_ratings.toml"
    first = import_directory(ws, CHAT, "survey-csv", mapping=mapping)
    again = import_directory(ws, CHAT, "survey-csv", mapping=mapping)
    assert first.tables["surveys"].inserted == 3
    assert (again.tables["surveys"].inserted, again.tables["surveys"].unchanged) == (0, 3)
    assert len(stored(ws)) == 3


def test_import_rejects_name_file_row_and_export_column(ws: Workspace, tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "Response,Submitted,Rating,Why?\n"
        "r1,2026-03-02T10:00:00Z,Great,\n"
        "r2,2026-03-02T11:00:00Z,Meh,\n"
        "r3,not a date,Poor,\n"
        ",2026-03-02T12:00:00Z,Good,\n",
    )
    (tmp_path / "mapping.toml").write_text(
        '[survey_csv]\nresponse_id = "Response"\nanswered_at = "Submitted"\n'
        'kind = { value = "csat" }\nscale = { value = "1-5" }\ncomment = "Why?"\n'
        '[survey_csv.score]\ncolumn = "Rating"\nvalues = { Great = 5, Good = 4, Poor = 2 }\n',
        encoding="utf-8",
    )
    s = import_directory(ws, path, "survey-csv", mapping=tmp_path / "mapping.toml")
    rejects = sorted(s.rejects, key=lambda r: r.row)
    assert [(r.file, r.row, r.column) for r in rejects] == [
        ("export.csv", 3, "Rating"),
        ("export.csv", 4, "Submitted"),
        ("export.csv", 5, "Response"),
    ]
    assert [r.reason for r in rejects] == [
        "score is not on the answer's scale",
        "not an ISO 8601 timestamp (e.g. 2026-03-01T09:30:00Z)",
        "required value 'response_id' is empty",
    ]
    assert s.tables["surveys"].inserted == 1
    kept = ws.backend.con.execute(
        'SELECT file, "row", "column" FROM _rejects ORDER BY "row"'
    ).fetchall()
    assert kept == [("export.csv", 3, "Rating"), ("export.csv", 4, "Submitted"),
                    ("export.csv", 5, "Response")]  # fmt: skip


def test_mapping_from_the_workspace_settings(tmp_path: Path) -> None:
    import tomllib

    data = tomllib.loads((FIXTURES / "chat_ratings.toml").read_text(encoding="utf-8"))
    ws = open_duckdb(tmp_path / "w.duckdb", Settings.model_validate({"survey_csv": data}))
    s = import_directory(ws, CHAT, "survey-csv")
    assert s.tables["surveys"].inserted == 3


def test_no_mapping_anywhere_is_a_config_error(ws: Workspace) -> None:
    with pytest.raises(ConfigError, match=r"\[survey_csv\]"):
        import_directory(ws, CHAT, "survey-csv")
