"""Streaming reader of Zendesk-style JSON files: records one at a time, never the whole file.

A Zendesk export file holds the records of one kind (`tickets`, `audits`, `users`, …) in one
of these shapes, all read here with memory bounded by the largest single record (or JSON Lines
line), not by the file:

- JSON Lines, one document per line, as incremental exports are saved: each line an API page
  (`{"tickets": [...], "users": [...], "next_page": ..., "end_of_stream": false}`), a bare
  record (`{"id": 1, ...}`), a single-record response (`{"ticket": {...}}`) or an array;
- one API page as a single document, however large (`{"tickets": [ ...1M... ], ...}`, pretty
  printed or on one line): the array under the key is parsed incrementally;
- a bare top-level array of records (`[{...}, {...}]`);
- a top-level array of pages (an export saved as a list of API responses).

Records come as `JsonRecord(row, data)`: `row` is the record's 1-based position among the
file's records of that kind (pages, lines and side-loads do not count), `data` the record or
None when the value is not a JSON object (the caller rejects it). Arrays next to the records'
key in a page (side-loads such as `users` or `groups` beside `tickets`) go, element by
element, to the `on_sideload(name, value)` callback; `read_sideloads` collects them in one
pass. Page metadata (`next_page`, `end_time`, `after_cursor`, `count`, …) is ignored.

A file that is not UTF-8 or not JSON raises `ImportDataError` naming the file and the byte,
or the line and column, of the problem — possibly after records before it were yielded.
"""

from __future__ import annotations

import codecs
import json
import re
from collections.abc import Callable, Collection, Iterator
from pathlib import Path
from typing import IO, Any, NamedTuple

import msgspec

from deskmetrics.errors import ImportDataError

#: Bytes read at a time; a JSON Lines first line longer than 16 of these is parsed as one
#: streamed document (a minified single-page export), not held whole.
DEFAULT_BUFFER_SIZE = 1 << 20
#: An element of a top-level array longer than this many buffers is streamed (a page), not
#: decoded whole.
_WHOLE_BUFFERS = 16

Record = dict[str, Any]
#: `on_sideload(name, value)`: one element of a side-loaded array `name` of a page.
SideLoad = Callable[[str, Any], None]


class JsonRecord(NamedTuple):
    """One record of a file: its 1-based position and its object (None: not an object)."""

    row: int
    data: Record | None


def iter_records(
    path: Path | str,
    key: str,
    *,
    on_sideload: SideLoad | None = None,
    sideloads: Collection[str] | None = None,
    buffer_size: int = DEFAULT_BUFFER_SIZE,
    on_line: Callable[[int], None] | None = None,
    only_lines_with: Collection[bytes] | None = None,
    fast: Callable[[bytes], list[Any] | None] | None = None,
) -> Iterator[JsonRecord]:
    """The records under `key` (e.g. "tickets") of a Zendesk-style JSON file, one at a time.

    Side-loaded arrays of a page (any other key holding an array; only the names in
    `sideloads` when given) are passed to `on_sideload` element by element as they are read:
    before the page's records in JSON Lines and for arrays that come before the records' key;
    after them for arrays that follow the records of a streamed page. Raises
    `ImportDataError` when the file cannot be read, is not UTF-8 or not JSON, or holds a
    document that is not a page, record or array of them.

    JSON Lines only: `on_line(number)` is called before the records of each line (1-based
    line number; not for a first line too long to hold, which is streamed), so that a record's
    place is also (line, its index among the line's records). With `only_lines_with`, a line
    (after the first) that contains none of these byte strings is not parsed and its records
    and side-loads are not seen: a cheap pre-pass for rare records (rows then count only the
    records of the lines read: use the (line, index) place). Other shapes are read whole.
    `fast(line)`, when given, reads the records of a JSON Lines line after the first (a pass
    that needs a few fields of each: decoded alone, the rest skipped), or says None when the
    line is not what it reads: the line is then read as usual."""
    path = Path(path)
    reader = _Reader(path, key, on_sideload, sideloads, buffer_size)
    reader.on_line = on_line
    reader.only = None if only_lines_with is None else tuple(only_lines_with)
    reader.fast = fast
    try:
        file = open(path, "rb")  # noqa: SIM115 - closed by the with below, in the generator
    except OSError as exc:
        raise ImportDataError(f"cannot read {path.name}: {exc.strerror}") from exc
    with file:
        try:
            yield from reader.run(file)
        except OSError as exc:
            raise ImportDataError(f"cannot read {path.name}: {exc.strerror}") from exc


def read_sideloads(
    path: Path | str,
    key: str,
    names: Collection[str] | None = None,
    *,
    buffer_size: int = DEFAULT_BUFFER_SIZE,
) -> dict[str, list[Any]]:
    """Every side-loaded array of a file (only `names` when given), concatenated over its
    pages, in file order. One full pass over the file; the records are read and dropped."""
    out: dict[str, list[Any]] = {}

    def keep(name: str, value: Any) -> None:
        out.setdefault(name, []).append(value)

    for _ in iter_records(path, key, on_sideload=keep, sideloads=names, buffer_size=buffer_size):
        pass
    return out


# --- implementation ----------------------------------------------------------------------

_BOM = b"\xef\xbb\xbf"
_WS = re.compile(r"[ \t\n\r]*")
_WHITESPACE = " \t\n\r"
_NUMBER_START = "-0123456789"
_raw_decode = json.JSONDecoder().raw_decode
_loads = json.JSONDecoder().decode
_fast_decode = msgspec.json.Decoder().decode
_MISSING = object()


def _utf8_json(data: bytes) -> Any:
    return _loads(data.decode("utf-8"))


def loads(data: bytes, slow: Callable[[bytes], Any] = _utf8_json) -> Any:
    """One JSON document of UTF-8 bytes (a JSON Lines line), as `slow` (by default
    `json.loads` of the decoded text) gives it, about twice as fast: msgspec decodes it in C
    straight from the bytes. Whatever msgspec refuses (malformed input, NaN, numbers beyond a
    float's range, lone surrogates, other encodings) goes to `slow`, which returns the value or
    raises the error the reader always met; what msgspec accepts it decodes to the same
    values as `json`."""
    try:
        return _fast_decode(data)
    except (msgspec.DecodeError, RecursionError):
        return slow(data)


_TOO_BIG = object()


class _Reader:
    """Reads one file: JSON Lines line by line, anything else as one streamed document."""

    def __init__(
        self,
        path: Path,
        key: str,
        on_sideload: SideLoad | None,
        names: Collection[str] | None,
        buffer_size: int,
    ) -> None:
        self.path = path
        self.key = key
        self.singular = key[:-1]
        self.on_sideload = on_sideload
        self.names = None if names is None else frozenset(names)
        self.size = max(1, int(buffer_size))
        self.row = 0
        self.on_line: Callable[[int], None] | None = None
        self.only: tuple[bytes, ...] | None = None
        self.fast: Callable[[bytes], list[Any] | None] | None = None

    # records and side-loads ---------------------------------------------------------------

    def record(self, value: Any) -> JsonRecord:
        self.row += 1
        return JsonRecord(self.row, value if isinstance(value, dict) else None)

    def wants(self, name: str) -> bool:
        return self.on_sideload is not None and (self.names is None or name in self.names)

    def side(self, name: str, values: list[Any]) -> None:
        if self.on_sideload is not None and (self.names is None or name in self.names):
            for value in values:
                self.on_sideload(name, value)

    def sides_of(self, page: Record) -> None:
        for name, value in page.items():
            if name != self.key and isinstance(value, list):
                self.side(name, value)

    def doc(self, doc: Any) -> Iterator[JsonRecord]:
        """Records of one document held whole (a JSON Lines line, a one-line file)."""
        key = self.key
        if isinstance(doc, list):
            for value in doc:
                if isinstance(value, dict) and isinstance(value.get(key), list):
                    self.sides_of(value)
                    yield from map(self.record, value[key])
                else:
                    yield self.record(value)
            return
        if isinstance(doc, dict):
            records = doc.get(key, _MISSING)
            if records is not _MISSING:
                if not isinstance(records, list):
                    raise self.not_array()
                self.sides_of(doc)
                yield from map(self.record, records)
            elif isinstance(doc.get(self.singular), dict):
                yield self.record(doc[self.singular])
            elif "id" in doc:
                yield self.record(doc)
            else:
                raise self.not_page(doc)
            return
        raise self.not_container(doc)

    # errors -------------------------------------------------------------------------------

    def bad_json(self, line: int, column: int, msg: str) -> ImportDataError:
        return ImportDataError(
            f"{self.path.name} is not valid JSON: {msg} at line {line}, column {column}"
        )

    def not_utf8(self, byte: int) -> ImportDataError:
        return ImportDataError(f"{self.path.name} is not UTF-8 text (byte {byte})")

    def not_array(self) -> ImportDataError:
        return ImportDataError(f"{self.path.name}: {self.key!r} should be a JSON array")

    def not_page(self, doc: Record) -> ImportDataError:
        found = ", ".join(sorted(map(str, doc))[:8]) or "none"
        return ImportDataError(
            f'{self.path.name}: expected {{"{self.key}": [...]}}, a JSON array of {self.key} '
            f"or JSON Lines with one {self.singular} per line; found an object with the keys "
            f"{found}"
        )

    def not_container(self, doc: Any) -> ImportDataError:
        return ImportDataError(
            f"{self.path.name}: expected a JSON object or array, found {doc!r:.40}"
        )

    # the file -----------------------------------------------------------------------------

    def run(self, file: IO[bytes]) -> Iterator[JsonRecord]:
        """JSON Lines when the first non-blank line is a JSON document by itself and more
        follows (as `_load` in the Zendesk importer decides); otherwise one document."""
        limit = self.size * _WHOLE_BUFFERS
        offset = number = 0  # bytes and lines before `line`
        while True:
            line = file.readline(limit)
            if offset == 0 and line.startswith(_BOM):
                line, offset = line[len(_BOM) :], len(_BOM)
            if not line:
                return  # empty or blank file: no records
            if not line.isspace():
                break
            offset += len(line)
            number += line.endswith(b"\n")
        first = None
        if line.endswith(b"\n") or len(line) < limit:  # the whole first line
            try:
                first = loads(line)
            except (UnicodeDecodeError, json.JSONDecodeError):
                first = _MISSING  # a multi-line document, or bad: the stream says which
        else:
            first = _MISSING  # too long to hold: stream it
        if first is _MISSING:
            file.seek(0)
            yield from self.stream(file)
            return
        offset += len(line)
        number += 1
        following = b""
        for following in file:
            if not following.isspace():
                break
            offset += len(following)
            number += 1
        else:
            following = b""
        if self.on_line is not None:
            self.on_line(number)
        records, first = self.doc(first), None  # not held while the lines are read
        yield from records
        if following:
            yield from self.lines(file, following, offset, number)

    def lines(self, file: IO[bytes], line: bytes, offset: int, number: int) -> Iterator[JsonRecord]:
        """JSON Lines from `line` (line `number` + 1, at byte `offset`) on."""
        only, on_line, fast = self.only, self.on_line, self.fast
        while True:
            number += 1
            if not line.isspace() and (only is None or any(m in line for m in only)):
                if on_line is not None:
                    on_line(number)
                records = None if fast is None else fast(line)
                if records is not None:
                    yield from map(self.record, records)
                else:
                    yield from self.doc(self.parse(line, number, offset))
            offset += len(line)
            line = file.readline()
            if not line:
                return

    def parse(self, line: bytes, number: int, offset: int) -> Any:
        """The document of one JSON Lines line (line `number`, at byte `offset`)."""
        try:
            return _fast_decode(line)
        except (msgspec.DecodeError, RecursionError):
            pass  # `json` says what is wrong, or reads what msgspec does not (see `loads`)
        try:
            text = line.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise self.not_utf8(offset + exc.start) from exc
        try:
            return _loads(text)
        except json.JSONDecodeError as exc:
            if exc.lineno > 1:  # at the end of the line: name its last column, as `_load` did
                exc = json.JSONDecodeError(exc.msg, text.rstrip("\n"), len(text.rstrip("\n")))
            raise self.bad_json(number, exc.colno, exc.msg) from exc

    def stream(self, file: IO[bytes]) -> Iterator[JsonRecord]:
        """One document, streamed; or JSON Lines whose first line was too long to hold."""
        text = _Text(file, self.size, self)
        c = text.skip()
        if not c:
            return
        start = text.line_of(text.pos)
        if c == "[":
            yield from self.array(text)
        elif c == "{":
            yield from self.obj(text, top=True)
        else:
            raise self.not_container(text.value())
        end = text.line_of(text.pos)
        if not text.skip():
            return
        more = text.line_of(text.pos)
        if not start == end < more:
            raise text.error(text.pos, "Extra data")
        # JSON Lines whose first line was longer than we read at once: go on line by line
        file.seek(0)
        offset = 0
        for _ in range(more - 1):
            while True:
                part = file.readline(self.size)
                offset += len(part)
                if not part or part.endswith(b"\n"):
                    break
        line = file.readline()
        yield from self.lines(file, line, offset, more - 1)

    def array(self, text: _Text) -> Iterator[JsonRecord]:
        """A top-level array: records, or pages (objects holding an array under the key)."""
        key, record, whole = self.key, self.record, self.size * _WHOLE_BUFFERS
        text.pos += 1
        c = text.skip()
        if c == "]":
            text.pos += 1
            return
        while True:
            if c == "{":
                value = text.value(whole)
                if value is _TOO_BIG:
                    yield from self.obj(text, top=False)
                elif isinstance(value.get(key), list):
                    self.sides_of(value)
                    yield from map(record, value[key])
                else:
                    yield record(value)
            elif not c:
                raise text.error(text.pos, "Expecting value")
            else:
                yield record(text.value())
            c = text.skip()
            if c == ",":
                text.pos += 1
                c = text.skip()
            elif c == "]":
                text.pos += 1
                return
            else:
                raise text.error(text.pos, "Expecting ',' delimiter")

    def obj(self, text: _Text, *, top: bool) -> Iterator[JsonRecord]:
        """An object read key by key: a page when it has an array under the key (streamed
        element by element); otherwise a record (top level: unwrapped as `doc` does)."""
        key, record = self.key, self.record
        pending: Record = {}  # values before the records' array (or of a non-page object)
        page = False
        text.pos += 1
        c = text.skip()
        if c == "}":
            text.pos += 1
        else:
            while True:
                if c != '"':
                    raise text.error(text.pos, "Expecting property name enclosed in double quotes")
                name = text.value()
                if text.skip() != ":":
                    raise text.error(text.pos, "Expecting ':' delimiter")
                text.pos += 1
                c = text.skip()
                if not c:
                    raise text.error(text.pos, "Expecting value")
                if name == key and c == "[":
                    if not page:
                        page = True
                        self.sides_of(pending)
                        pending.clear()
                    yield from map(record, text.elements())
                elif name == key and top:
                    raise self.not_array()
                elif page and c == "[":
                    if self.wants(name):
                        on_sideload = self.on_sideload
                        assert on_sideload is not None
                        for value in text.elements():
                            on_sideload(name, value)
                    else:
                        for _ in text.elements():
                            pass
                elif page:
                    text.value()  # page metadata
                else:
                    pending[name] = text.value()
                c = text.skip()
                if c == ",":
                    text.pos += 1
                    c = text.skip()
                elif c == "}":
                    text.pos += 1
                    break
                else:
                    raise text.error(text.pos, "Expecting ',' delimiter")
        if page:
            return
        if not top:
            yield record(pending)
        elif isinstance(pending.get(self.singular), dict):
            yield record(pending[self.singular])
        elif "id" in pending:
            yield record(pending)
        else:
            raise self.not_page(pending)


class _Text:
    """A window `buf` on the decoded text of a file, refilled as it is consumed; `pos` is the
    read position in it. Line and column of a position are counted from the file's start."""

    def __init__(self, file: IO[bytes], size: int, reader: _Reader) -> None:
        self.file = file
        self.size = size
        self.reader = reader
        self.decoder = codecs.getincrementaldecoder("utf-8")()
        self.buf = ""
        self.pos = 0
        self.eof = False
        self.start = True  # nothing decoded yet (a BOM is dropped)
        self.bytes = 0  # bytes given to the decoder
        self.lines = 0  # newlines before buf[0]
        self.column = 0  # characters after the last newline before buf[0]

    def more(self) -> bool:
        """Drop what was consumed and read more text: at least one chunk, as much again as
        is buffered when a value does not fit. False at the end of the file."""
        pos, buf = self.pos, self.buf
        if pos:
            newlines = buf.count("\n", 0, pos)
            if newlines:
                self.lines += newlines
                self.column = pos - buf.rfind("\n", 0, pos) - 1
            else:
                self.column += pos
            self.buf, self.pos = buf[pos:], 0
        if self.eof:
            return False
        want = max(self.size, len(self.buf))
        while True:
            chunk = self.file.read(want)
            pending = len(self.decoder.getstate()[0])
            try:
                text = self.decoder.decode(chunk, final=not chunk)
            except UnicodeDecodeError as exc:
                raise self.reader.not_utf8(self.bytes - pending + exc.start) from exc
            self.bytes += len(chunk)
            if self.start and text:
                self.start = False
                if text.startswith("\ufeff"):
                    text = text[1:]
            if text:
                self.buf += text
                return True
            if not chunk:
                self.eof = True
                return False

    def skip(self) -> str:
        """Skip whitespace; the next character, "" at the end of the file."""
        while True:
            buf, pos = self.buf, self.pos
            if pos < len(buf):
                c = buf[pos]
                if c not in _WHITESPACE:
                    return c
                match = _WS.match(buf, pos)
                assert match is not None  # it matches the empty string
                self.pos = pos = match.end()
                if pos < len(buf):
                    return buf[pos]
            if not self.more():
                return ""

    def value(self, limit: int | None = None) -> Any:
        """The JSON value at `pos`, decoded whole (reading on while it is cut by the window's
        end). With `limit`: `_TOO_BIG`, `pos` unchanged, when it does not end within `limit`
        characters."""
        while True:
            buf, pos = self.buf, self.pos
            try:
                value, end = _raw_decode(buf, pos)
            except json.JSONDecodeError as exc:
                cut = exc.pos >= len(buf) - 16 or exc.msg.startswith("Unterminated string")
                if self.eof or not cut:
                    raise self.error(exc.pos, exc.msg) from None
                if limit is not None and len(buf) - pos >= limit:
                    return _TOO_BIG
                self.more()
                continue
            if len(buf) - end <= 2 and not self.eof and buf[pos] in _NUMBER_START:
                self.more()  # a number cut by the window's end ("-15", "1.", "2e+") may go on
                continue
            self.pos = end
            return value

    def elements(self) -> Iterator[Any]:
        """The values of the array at `pos`, each decoded whole."""
        self.pos += 1
        c = self.skip()
        if c == "]":
            self.pos += 1
            return
        value = self.value
        while True:
            if not c:
                raise self.error(self.pos, "Expecting value")
            yield value()
            c = self.skip()
            if c == ",":
                self.pos += 1
                c = self.skip()
            elif c == "]":
                self.pos += 1
                return
            else:
                raise self.error(self.pos, "Expecting ',' delimiter")

    def line_of(self, pos: int) -> int:
        return self.lines + self.buf.count("\n", 0, pos) + 1

    def error(self, pos: int, msg: str) -> ImportDataError:
        newlines = self.buf.count("\n", 0, pos)
        column = pos - self.buf.rfind("\n", 0, pos) if newlines else self.column + pos + 1
        return self.reader.bad_json(self.lines + newlines + 1, column, msg)


__all__ = [
    "DEFAULT_BUFFER_SIZE",
    "JsonRecord",
    "SideLoad",
    "iter_records",
    "loads",
    "read_sideloads",
]
