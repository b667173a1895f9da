"""The streaming reader of Zendesk-style JSON files (deskmetrics.importers.jsonstream).

Every shape is read with buffer sizes down to one byte, so that records, keys, numbers,
escapes and multi-byte characters are cut by the buffer's end; a property test checks the
reader against a whole-file reference (json.loads, as the Zendesk importer's `_load` reads)."""

from __future__ import annotations

import json
import tracemalloc
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from deskmetrics.errors import ImportDataError
from deskmetrics.importers.jsonstream import (
    DEFAULT_BUFFER_SIZE,
    JsonRecord,
    iter_records,
    read_sideloads,
)

BUFFERS = (1, 2, 7, 64, DEFAULT_BUFFER_SIZE)


def read(
    path: Path, key: str, buffer_size: int = DEFAULT_BUFFER_SIZE, **kw: Any
) -> tuple[list[tuple[int, Any]], list[tuple[str, Any]]]:
    sides: list[tuple[str, Any]] = []
    records = [
        (r.row, r.data)
        for r in iter_records(
            path, key, on_sideload=lambda n, v: sides.append((n, v)), buffer_size=buffer_size, **kw
        )
    ]
    return records, sides


def write(tmp_path: Path, content: str | bytes, name: str = "tickets.json") -> Path:
    path = tmp_path / name
    if isinstance(content, str):
        content = content.encode("utf-8")
    path.write_bytes(content)
    return path


T1 = {"id": 101, "subject": "Where is my order #5512?", "via": {"channel": "email"}, "tags": []}
T2 = {"id": 102, "subject": "Rückerstattung für Bestellung 🎉", "priority": None, "n": -1.5e3}
T3 = {"id": 103, "subject": '注文が届きません "quoted" \\ back\tslash', "status": "solved"}
U1 = {"id": 1001, "role": "end-user", "name": "Zoë"}
U2 = {"id": 2001, "role": "agent", "name": "Priya"}
G1 = {"id": 360001, "name": "Support EU"}


# --- shapes --------------------------------------------------------------------------------


@pytest.mark.parametrize("size", BUFFERS)
def test_json_lines_of_incremental_export_pages_with_side_loads(tmp_path: Path, size: int) -> None:
    page1 = {
        "tickets": [T1, T2],
        "users": [U1, U2],
        "groups": [G1],
        "after_url": "https://acme.zendesk.com/api/v2/incremental/tickets/cursor.json?cursor=MTc",
        "after_cursor": "MTc",
        "before_cursor": None,
        "end_of_stream": False,
        "count": 2,
    }
    page2 = {
        "tickets": [T3],
        "next_page": None,
        "end_time": 1772000000,
        "end_of_stream": True,
        "count": 1,
    }
    path = write(tmp_path, json.dumps(page1) + "\n" + json.dumps(page2) + "\n")
    records, sides = read(path, "tickets", size)
    assert records == [(1, T1), (2, T2), (3, T3)]
    assert sides == [("users", U1), ("users", U2), ("groups", G1)]


@pytest.mark.parametrize("size", BUFFERS)
def test_json_lines_of_bare_records_blank_lines_and_crlf(tmp_path: Path, size: int) -> None:
    text = "\n\n" + json.dumps(U1) + "\r\n  \n" + json.dumps(U2) + "\r\n\n" + "[1, 2]\n"
    records, sides = read(write(tmp_path, text, "users.json"), "users", size)
    assert records == [(1, U1), (2, U2), (3, None), (4, None)]
    assert sides == []


@pytest.mark.parametrize("size", BUFFERS)
@pytest.mark.parametrize("indent", [None, 2])
def test_one_big_page_object(tmp_path: Path, size: int, indent: int | None) -> None:
    """Side-loads before the records come first; those after them follow them."""
    page = {
        "groups": [G1],
        "count": 3,
        "tickets": [T1, "not a record", T2, None, T3],
        "users": [U1, U2],
        "next_page": "https://acme.zendesk.com/api/v2/tickets.json?page=2",
        "end_of_stream": False,
    }
    seen: list[Any] = []
    path = write(tmp_path, json.dumps(page, indent=indent, ensure_ascii=False))
    for record in iter_records(
        path, "tickets", on_sideload=lambda n, v: seen.append(n), buffer_size=size
    ):
        assert isinstance(record, JsonRecord)
        seen.append(record.row)
    # a streamed page gives the side-loads after its records after them; a page held whole
    # (a JSON Lines line, a short one-line file) gives them all first
    assert seen in (
        ["groups", 1, 2, 3, 4, 5, "users", "users"],
        ["groups", "users", "users", 1, 2, 3, 4, 5],
    )
    if indent is not None or size < 16:
        assert seen[1] == 1
    records, _ = read(path, "tickets", size)
    assert records == [(1, T1), (2, None), (3, T2), (4, None), (5, T3)]


@pytest.mark.parametrize("size", BUFFERS)
def test_bare_array_of_records(tmp_path: Path, size: int) -> None:
    text = json.dumps([T1, 5, T2, [T3], "x", T3], indent=1)
    records, sides = read(write(tmp_path, text), "tickets", size)
    assert records == [(1, T1), (2, None), (3, T2), (4, None), (5, None), (6, T3)]
    assert sides == []


@pytest.mark.parametrize("size", BUFFERS)
@pytest.mark.parametrize("indent", [None, 2])
def test_array_of_pages(tmp_path: Path, size: int, indent: int | None) -> None:
    pages = [
        {"audits": [{"id": 1, "events": []}], "users": [U1], "next_page": "p2", "count": 2},
        {"audits": [], "next_page": "p3"},
        {"audits": [{"id": 2, "events": [{"id": 21, "type": "Comment"}]}], "next_page": None},
    ]
    records, sides = read(write(tmp_path, json.dumps(pages, indent=indent)), "audits", size)
    assert [(r, d["id"]) for r, d in records] == [(1, 1), (2, 2)]
    assert sides == [("users", U1)]


@pytest.mark.parametrize("size", BUFFERS)
def test_single_record_responses(tmp_path: Path, size: int) -> None:
    assert read(write(tmp_path, json.dumps({"ticket": T1}, indent=2)), "tickets", size)[0] == [
        (1, T1)
    ]
    assert read(write(tmp_path, json.dumps(T2, indent=2)), "tickets", size)[0] == [(1, T2)]
    lines = json.dumps({"ticket": T1}) + "\n" + json.dumps(T2)
    assert read(write(tmp_path, lines), "tickets", size)[0] == [(1, T1), (2, T2)]


@pytest.mark.parametrize("size", BUFFERS)
@pytest.mark.parametrize("shape", ["lines", "page", "compact"])
def test_bom_and_unicode_cut_anywhere(tmp_path: Path, size: int, shape: str) -> None:
    records = [T2, T3, {"id": 9, "s": "\u00e9\U0001f600 \u6ce8 \\u escaped \u2028"}]
    if shape == "lines":
        text = "\n".join(json.dumps(r, ensure_ascii=False) for r in records)
    elif shape == "page":
        text = json.dumps({"tickets": records}, ensure_ascii=False, indent=2)
    else:  # one line, longer than 16 buffers for small sizes: streamed
        text = json.dumps({"tickets": records}, ensure_ascii=False)
    path = write(tmp_path, b"\xef\xbb\xbf" + text.encode("utf-8"))
    got, _ = read(path, "tickets", size)
    assert got == list(enumerate(records, 1))
    # the same with \\uXXXX escapes (astral characters as surrogate pairs), cut anywhere
    if shape == "lines":
        text = "\n".join(json.dumps(r) for r in records)
    else:
        text = json.dumps({"tickets": records}, indent=2 if shape == "page" else None)
    assert "\\ud83d\\ude00" in text
    assert read(write(tmp_path, text), "tickets", size)[0] == list(enumerate(records, 1))


@pytest.mark.parametrize("size", (1, 3, 64))
def test_json_lines_whose_first_line_is_longer_than_is_held(tmp_path: Path, size: int) -> None:
    """A first page line longer than 16 buffers is streamed, then the rest read by line."""
    big = {"tickets": [T1, T2, T3] * 20, "users": [U1], "end_of_stream": False}
    text = json.dumps(big) + "\n\n" + json.dumps({"tickets": [T1], "users": [U2]}) + "\n"
    records, sides = read(write(tmp_path, text), "tickets", size)
    assert [r for r, _ in records] == list(range(1, 62))
    assert records[-1] == (61, T1)
    assert sides == [("users", U1), ("users", U2)]
    bad = json.dumps(big) + "\n" + '{"tickets": [1,}\n'
    with pytest.raises(ImportDataError, match=r"Expecting value at line 2, column 16"):
        read(write(tmp_path, bad), "tickets", size)


@pytest.mark.parametrize("text", ["", "   \n\n\t ", "\ufeff", "\ufeff\n  \n"])
def test_empty_files_have_no_records(tmp_path: Path, text: str) -> None:
    for size in (1, DEFAULT_BUFFER_SIZE):
        assert read(write(tmp_path, text), "tickets", size) == ([], [])


def test_sideloads_filter_and_read_sideloads(tmp_path: Path) -> None:
    lines = [
        {"tickets": [T1], "users": [U1], "groups": [G1], "next_page": "x"},
        {"tickets": [T2], "users": [U2], "end_of_stream": True},
    ]
    path = write(tmp_path, "\n".join(map(json.dumps, lines)))
    records, sides = read(path, "tickets", sideloads={"users"})
    assert [r for r, _ in records] == [1, 2]
    assert sides == [("users", U1), ("users", U2)]
    assert read_sideloads(path, "tickets") == {"users": [U1, U2], "groups": [G1]}
    assert read_sideloads(path, "tickets", ["groups"], buffer_size=2) == {"groups": [G1]}
    page = {"tickets": [T1], "users": [U1, U2], "groups": [G1]}
    path = write(tmp_path, json.dumps(page, indent=2))
    assert read_sideloads(path, "tickets", ["users"], buffer_size=3) == {"users": [U1, U2]}


def test_records_are_read_lazily(tmp_path: Path) -> None:
    """Records come before the rest of the file is read: a bad line further on raises only
    when it is reached."""
    text = json.dumps({"tickets": [T1]}) + "\n" + json.dumps({"tickets": [T2]}) + "\n{bad\n"
    it = iter_records(write(tmp_path, text), "tickets")
    assert next(it) == (1, T1)
    assert next(it) == (2, T2)
    with pytest.raises(ImportDataError, match="line 3, column 2"):
        next(it)


# --- errors --------------------------------------------------------------------------------


def whole_file_error(text: str) -> str:
    """What `json.loads` of the whole text says, in the importer's words."""
    with pytest.raises(json.JSONDecodeError) as info:
        json.loads(text)
    e = info.value
    return f"tickets.json is not valid JSON: {e.msg} at line {e.lineno}, column {e.colno}"


MALFORMED = [
    '{\n  "tickets": [\n    {"id": 1},\n    {"id": 2]\n}',
    '{\n  "tickets": [\n    {"id": 1}\n    {"id": 2}\n  ]\n}',
    '{\n  "tickets": [\n    {"id": 1},\n  ]\n}',
    '{\n  "tickets": [{"id": 1}],\n  "next_page": nul\n}',
    '{\n  "tickets": [{"id": 1}],\n}',
    '{\n  "tickets" [{"id": 1}]\n}',
    "{\n  tickets: []\n}",
    '[\n  {"id": 1, "subject": "unterminated',
    '[\n  {"id": 1, "subject": "bad \\x escape"}\n]',
    '[\n  {"id": 1},\n  {"id": 2}',
    '[\n  {"id": 1},\n  {"id": 2}\n] [',
    '{"tickets": [{"id": 1}, {"id": 2}]} x',
    "[1, 2, 3",
    "[1, 2, 3 4]",
    '{"tickets": [{"id": "é"}, {"id": "🎉"} {"id": 3}]}',
]


@pytest.mark.parametrize("size", BUFFERS)
@pytest.mark.parametrize("text", MALFORMED)
def test_malformed_document_named_with_line_and_column(
    tmp_path: Path, size: int, text: str
) -> None:
    with pytest.raises(ImportDataError) as info:
        read(write(tmp_path, text), "tickets", size)
    assert str(info.value) == whole_file_error(text)


@pytest.mark.parametrize("size", BUFFERS)
def test_malformed_json_line_named_with_its_line_and_column(tmp_path: Path, size: int) -> None:
    text = '{"tickets": [{"id": 1}]}\n\n{"tickets": [{"id": 2}]}\n{"tickets": [{"id": 3},]}\n'
    with pytest.raises(ImportDataError) as info:
        read(write(tmp_path, text), "tickets", size)
    assert str(info.value) == (
        "tickets.json is not valid JSON: Expecting value at line 4, column 24"
    )


@pytest.mark.parametrize("size", BUFFERS)
@pytest.mark.parametrize("lines", [False, True])
def test_not_utf8_names_the_byte(tmp_path: Path, size: int, lines: bool) -> None:
    head = (json.dumps({"tickets": [T2]}, ensure_ascii=False) + "\n").encode()
    if not lines:
        head = b'{"tickets": [\n' + json.dumps(T2, ensure_ascii=False).encode() + b","
    content = head + b'{"id": 5, "subject": "caf\xe9"}\n'
    with pytest.raises(ImportDataError) as info:
        read(write(tmp_path, content), "tickets", size)
    byte = content.index(b"caf") + 3
    assert str(info.value) == f"tickets.json is not UTF-8 text (byte {byte})"


@pytest.mark.parametrize("size", BUFFERS)
def test_documents_that_are_not_pages(tmp_path: Path, size: int) -> None:
    cases = {
        '{"tickets": {"id": 1}}': "tickets.json: 'tickets' should be a JSON array",
        '{\n"tickets": 5}': "tickets.json: 'tickets' should be a JSON array",
        '{"users": [{"id": 1}], "count": 1}': (
            'tickets.json: expected {"tickets": [...]}, a JSON array of tickets or JSON Lines '
            "with one ticket per line; found an object with the keys count, users"
        ),
        "{}": "found an object with the keys none",
        "42": "tickets.json: expected a JSON object or array, found 42",
        '"a string"': "tickets.json: expected a JSON object or array, found 'a string'",
    }
    for text, message in cases.items():
        with pytest.raises(ImportDataError) as info:
            read(write(tmp_path, text), "tickets", size)
        assert message in str(info.value), text


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ImportDataError, match=r"cannot read nothing\.json"):
        list(iter_records(tmp_path / "nothing.json", "tickets"))


# --- the Zendesk fixtures and a whole-file reference ---------------------------------------


def reference(text: str, key: str) -> tuple[list[tuple[int, Any]], list[tuple[str, Any]]]:
    """The records and side-loads of a file read whole (as the Zendesk importer's `_load`
    does, plus arrays of pages and side-loads); raises JSONDecodeError or ImportDataError."""
    text = text.removeprefix("\ufeff")
    if not text.strip():
        return [], []
    try:
        docs = [json.loads(text)]
    except json.JSONDecodeError as exc:
        first = next(line for line in text.split("\n") if line.strip())
        try:
            json.loads(first)
        except json.JSONDecodeError:
            raise exc from None
        if exc.msg != "Extra data":
            raise
        docs = [json.loads(line) for line in text.split("\n") if line.strip()]
    records: list[Any] = []
    sides: list[tuple[str, Any]] = []

    def page(doc: dict[str, Any]) -> None:
        sides.extend(
            (n, v) for n, vs in doc.items() if n != key and isinstance(vs, list) for v in vs
        )
        records.extend(doc[key])

    for doc in docs:
        if isinstance(doc, list):
            for value in doc:
                if isinstance(value, dict) and isinstance(value.get(key), list):
                    page(value)
                else:
                    records.append(value)
        elif isinstance(doc, dict) and key in doc:
            if not isinstance(doc[key], list):
                raise ImportDataError("not an array")
            page(doc)
        elif isinstance(doc, dict) and isinstance(doc.get(key[:-1]), dict):
            records.append(doc[key[:-1]])
        elif isinstance(doc, dict) and "id" in doc:
            records.append(doc)
        else:
            raise ImportDataError("not a page")
    return [(i, v if isinstance(v, dict) else None) for i, v in enumerate(records, 1)], sides


FIXTURES = Path(__file__).parent / "fixtures" / "zendesk"


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("tickets.json", "tickets"),
        ("ticket_audits.json", "audits"),
        ("users.json", "users"),
        ("groups.json", "groups"),
        ("satisfaction_ratings.json", "satisfaction_ratings"),
    ],
)
@pytest.mark.parametrize("size", (1, 5, 4096, DEFAULT_BUFFER_SIZE))
def test_zendesk_fixtures_as_read_whole(name: str, key: str, size: int) -> None:
    path = FIXTURES / name
    expected = reference(path.read_text(encoding="utf-8"), key)
    assert read(path, key, size) == expected
    assert expected[0]


scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**40), 2**40),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=12),
)
values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=8,
)
records_st = st.lists(
    st.one_of(
        st.fixed_dictionaries({"id": st.integers(1, 10**12)}, optional={"x": values, "é": values}),
        scalars,
    ),
    max_size=6,
)


@st.composite
def documents(draw: st.DrawFn) -> str:
    """A file in one of the shapes, with side-loads, metadata, indentation and blank lines."""
    shape = draw(st.sampled_from(["lines-pages", "lines-records", "page", "array", "pages"]))
    indent = draw(st.sampled_from([None, 0, 2]))
    ascii_only = draw(st.booleans())

    def dump(doc: Any, pretty: bool = True) -> str:
        return json.dumps(doc, indent=indent if pretty else None, ensure_ascii=ascii_only)

    def page() -> dict[str, Any]:
        doc: dict[str, Any] = {}
        if draw(st.booleans()):
            doc["users"] = draw(st.lists(st.fixed_dictionaries({"id": st.integers()}), max_size=2))
        doc["tickets"] = draw(records_st)
        if draw(st.booleans()):
            doc["groups"] = draw(st.lists(values, max_size=2))
        doc.update(
            draw(
                st.dictionaries(
                    st.sampled_from(
                        ["next_page", "end_time", "after_cursor", "end_of_stream", "count"]
                    ),
                    scalars,
                )
            )
        )
        return doc

    blank = draw(st.sampled_from(["\n", "\n\n", "\r\n", "\n  \n"]))
    if shape == "lines-pages":
        return blank.join(dump(page(), pretty=False) for _ in range(draw(st.integers(1, 3))))
    if shape == "lines-records":
        recs = draw(
            st.lists(
                st.fixed_dictionaries({"id": st.integers()}, optional={"x": values}),
                min_size=1,
                max_size=4,
            )
        )
        return blank.join(dump(r, pretty=False) for r in recs) + draw(st.sampled_from(["", "\n"]))
    if shape == "page":
        return dump(page())
    if shape == "array":
        return dump(draw(records_st))
    return dump([page() for _ in range(draw(st.integers(0, 3)))])


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    text=documents(),
    size=st.sampled_from([1, 2, 3, 8, 100]),
    bom=st.booleans(),
    cut=st.floats(0, 1),
)
def test_same_as_read_whole(tmp_path: Path, text: str, size: int, bom: bool, cut: float) -> None:
    """Whole documents and documents cut short: the same records and side-loads as the
    whole-file reference, or an ImportDataError where it fails (with its line and column
    when the file is one document)."""
    for whole in (True, False):
        body = text if whole else text[: int(len(text) * cut)]
        path = write(tmp_path, ("\ufeff" if bom else "") + body)
        try:
            expected: Any = reference(body, "tickets")
        except (json.JSONDecodeError, ImportDataError) as exc:
            expected = exc
        if isinstance(expected, Exception):
            with pytest.raises(ImportDataError) as info:
                read(path, "tickets", size)
            if isinstance(expected, json.JSONDecodeError) and "\n" not in body.strip():
                e = expected
                line = f"at line {e.lineno}, column {e.colno}"
                assert str(info.value).endswith(f"{e.msg} {line}")
        else:
            assert read(path, "tickets", size) == expected


# --- memory ------------------------------------------------------------------------------


@pytest.mark.parametrize("shape", ["page", "lines"])
def test_memory_stays_flat(tmp_path: Path, shape: str) -> None:
    """Reading a ~4 MB file with a 16 KiB buffer holds far less than the file."""
    record = {"id": 0, "subject": "Where is my order? " * 10, "tags": ["a", "b"], "via": {}}
    path = tmp_path / "tickets.json"
    with path.open("w") as f:
        if shape == "page":
            f.write('{"tickets": [\n')
            f.write(",\n".join(json.dumps({**record, "id": i}) for i in range(12_000)))
            f.write('\n], "users": [], "end_of_stream": true}')
        else:
            for p in range(60):
                f.write(
                    json.dumps({"tickets": [{**record, "id": p * 200 + i} for i in range(200)]})
                )
                f.write("\n")
    size = path.stat().st_size
    assert size > 3_000_000
    tracemalloc.start()
    try:
        n = sum(1 for _ in iter_records(path, "tickets", buffer_size=16 * 1024))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert n == 12_000
    limit = 800_000 if shape == "lines" else 400_000  # lines: a page line is held whole
    assert peak < limit, f"peak {peak:,} bytes for a {size:,} byte file"
