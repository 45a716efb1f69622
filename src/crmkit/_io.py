"""Reading and writing tables for the command line: CSV or Parquet, chosen by suffix.

Every problem with a file is a :class:`~crmkit.errors.InvalidInputError` (or a
:class:`~crmkit.errors.ConfigError` for a bad option) with the usual message template,
never an exception from inside pandas, pyarrow or the codec machinery:

* a missing path, a directory given as a file, an unreadable file;
* a CSV that is empty, malformed, or not in the stated ``encoding`` (UTF-8 with or
  without a byte-order mark by default; ``gb18030``/``gbk`` for Chinese Excel exports,
  ``cp1252``/``latin-1`` for Western European ones when stated);
* a Parquet file without an installed engine (the ``parquet`` extra), or one that is
  not Parquet.

Rows of a CSV are labelled with their line number in the file (the header is line 1),
so that every later message about a value ("at rows [7]") points at the line to fix.
"""

from __future__ import annotations

import codecs
import collections
import csv
import io
import itertools
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from crmkit._spec import check_choice
from crmkit.errors import ConfigError, InvalidInputError

__all__ = ["read_csv_bytes", "read_table", "write_table"]

_PARQUET = {".parquet", ".pq"}
_ENCODING_HINT = (
    "Pass the file's encoding with --encoding (encoding= in Python), e.g. gb18030 for "
    "Chinese Excel exports or cp1252 for Western European ones."
)

#: How rows of a CSV are labelled: the file's line numbers, or positions from 0.
RowLabels = Literal["lines", "positions"]


def read_table(
    path: str | Path,
    *,
    owner: str = "crmkit",
    encoding: str | None = None,
    sep: str | None = None,
    labels: RowLabels = "lines",
    as_text: bool = False,
    text_columns: Sequence[str] = (),
) -> pd.DataFrame:
    r"""Read a CSV (``-`` for standard input) or Parquet file into a DataFrame.

    Args:
        path: The file; ``.parquet``/``.pq`` are read as Parquet, anything else as CSV.
        owner: Who reads, for messages (``"crmkit rfm"``).
        encoding: The text encoding of a CSV; UTF-8 with or without a byte-order mark
            when not given.
        sep: The CSV field separator (one character); ``","`` when not given.
        labels: ``"lines"`` labels CSV rows with their line number in the file (the
            header is line 1), so messages name the line to fix; ``"positions"`` keeps
            the default 0, 1, 2, ... labels.
        as_text: Read every CSV column as text exactly as written (no number or missing-value
            inference: ``"007"`` keeps its zeros, ``"NA"`` stays ``"NA"``, an empty field is
            ``""``), for values that must not pass through float (decimal money, ids).
        text_columns: CSV columns read as text whatever they hold (ids: ``"007"`` and
            ``"7"`` are two customers); the others are inferred. Absent names are ignored.

    Raises:
        InvalidInputError: The file is missing, a directory, empty, malformed, not in
            ``encoding``, or Parquet without an installed engine; an id of a
            ``text_columns`` column with spaces before or after it (``" 7"``).
        ConfigError: An unknown ``encoding`` or a ``sep`` that is not one character.

    Examples:
        >>> import tempfile, pathlib
        >>> p = pathlib.Path(tempfile.mkdtemp()) / "t.csv"
        >>> _ = p.write_text("a,b\n1,x\n")
        >>> read_table(p).to_dict("records")
        [{'a': 1, 'b': 'x'}]
        >>> _ = p.write_bytes("id;城市\n1;上海\n\n2;北京\n".encode("gb18030"))
        >>> read_table(p, encoding="gb18030", sep=";", labels="lines")
           id  城市
        2   1  上海
        4   2  北京
        >>> read_table(p)
        Traceback (most recent call last):
        ...
        crmkit.errors.InvalidInputError: crmkit: input '...t.csv' must be text in UTF-8; found bytes that are not UTF-8 text at line 1 (byte 3). Pass the file's encoding with --encoding (encoding= in Python), e.g. gb18030 for Chinese Excel exports or cp1252 for Western European ones.
    """
    check_choice(labels, ("lines", "positions"), owner, "labels")
    if str(path) == "-":
        stdin: Any = sys.stdin
        buffer = getattr(stdin, "buffer", None)  # absent when stdin was replaced by text
        data = buffer.read() if buffer is not None else str(stdin.read()).encode("utf-8")
        return read_csv_bytes(
            data, "-", owner=owner, encoding=encoding, sep=sep, labels=labels, as_text=as_text,
            text_columns=text_columns,
        )  # fmt: skip
    file = Path(path)
    if file.is_dir() and file.suffix.lower() in _PARQUET:  # a partitioned Parquet dataset
        return _read_parquet(file, owner)
    if file.is_dir():
        raise InvalidInputError(
            owner, str(path), expected="a file", found="a directory", kind="input"
        )
    if not file.is_file():
        raise InvalidInputError(
            owner, str(path), expected="an existing file", found="no such file", kind="input"
        )
    if file.suffix.lower() in _PARQUET:
        return _read_parquet(file, owner)
    try:
        data = file.read_bytes()
    except OSError as err:
        raise InvalidInputError(
            owner, str(path), expected="a readable file", found=str(err.strerror), kind="input"
        ) from None
    return read_csv_bytes(
        data, str(path), owner=owner, encoding=encoding, sep=sep, labels=labels, as_text=as_text,
        text_columns=text_columns,
    )  # fmt: skip


def read_csv_bytes(
    data: bytes,
    name: str,
    *,
    owner: str = "crmkit",
    encoding: str | None = None,
    sep: str | None = None,
    labels: RowLabels = "lines",
    as_text: bool = False,
    text_columns: Sequence[str] = (),
) -> pd.DataFrame:
    r"""Read the bytes of a CSV file; ``name`` is what messages call it.

    The same reading as :func:`read_table` for a CSV, for bytes that did not come from a
    path (an upload, standard input).

    Examples:
        >>> read_csv_bytes(b"\xef\xbb\xbfa,b\n1,2\n", "upload.csv").columns.tolist()
        ['a', 'b']
        >>> read_csv_bytes(b"id,amount\n007,12.50\n008,\n", "t.csv", as_text=True).to_dict("records")
        [{'id': '007', 'amount': '12.50'}, {'id': '008', 'amount': ''}]
        >>> read_csv_bytes(b"id,amount\n007,12.50\n7,3\n", "t.csv", text_columns=["id"]).to_dict("records")
        [{'id': '007', 'amount': 12.5}, {'id': '7', 'amount': 3.0}]
        >>> read_csv_bytes(b"", "upload.csv")
        Traceback (most recent call last):
        ...
        crmkit.errors.InvalidInputError: crmkit: input 'upload.csv' must be a CSV file with a header row; found an empty file.
    """
    codec = _codec(encoding, owner)
    delimiter = _separator(sep, owner)
    _refuse_binary(data, name, owner)
    if codec == "utf-8-sig":  # the byte-order mark is not part of the first column's name
        data = data.removeprefix(codecs.BOM_UTF8)
        codec = "utf-8"
    elif data.startswith(codecs.BOM_UTF8) and not codec.startswith("utf"):
        # A UTF-8 byte-order mark read as GB18030 or cp1252 would garble the first
        # column's name (and every non-ASCII value) without an error.
        raise InvalidInputError(
            owner,
            name,
            expected=f"text in {encoding}",
            found="a file that starts with the UTF-8 byte-order mark (it is UTF-8)",
            kind="input",
            hint="Leave out --encoding (encoding= in Python): UTF-8 is the default.",
        )
    if not codec.startswith("utf"):
        _refuse_utf8(data, name, owner, encoding)
    try:
        text = data.decode(codec)
    except UnicodeDecodeError as err:
        shown = encoding or "UTF-8"
        line = data.count(b"\n", 0, err.start) + 1
        raise InvalidInputError(
            owner,
            name,
            expected=f"text in {shown}",
            found=f"bytes that are not {shown} text at line {line} (byte {err.start})",
            kind="input",
            hint=_ENCODING_HINT,
        ) from None
    if not text.strip():
        raise InvalidInputError(
            owner,
            name,
            expected="a CSV file with a header row",
            found="an empty file",
            kind="input",
        )
    # pandas parses UTF-8 bytes fastest; the same bytes give the record lines.
    utf8 = data if codec == "utf-8" else text.encode("utf-8")
    frame = _parse_csv(utf8, name, owner, delimiter, as_text=as_text, text_columns=text_columns)
    lines = _line_labels(utf8, text, delimiter, len(frame))
    empty = _empty_records(frame, lines, utf8, delimiter)
    blanked = _blank_lines(utf8, lines[empty], delimiter) if empty.any() else None
    if blanked is not None:
        # Rows whose every field is empty (",,,," below a spreadsheet's table) hold no
        # value: they are blank lines, as for pandas an empty line is. They are blanked
        # in the text and the file parsed again, so that the columns' types are inferred
        # from the rows that hold values and every other row keeps its line number.
        utf8, text = blanked, blanked.decode("utf-8")
        frame = _parse_csv(utf8, name, owner, delimiter, as_text=as_text, text_columns=text_columns)
        lines = _line_labels(utf8, text, delimiter, len(frame))
    if labels == "lines":
        frame.index = lines
    _refuse_padded_ids(frame, text_columns, owner)
    return frame


def _refuse_padded_ids(frame: pd.DataFrame, text_columns: Sequence[str], owner: str) -> None:
    r"""Refuse ids with spaces before or after them in the id columns read as text.

    Read as numbers, ``" 7"`` and ``"7 "`` were the customer 7; read as text (so that
    ``007`` keeps its zeros) they were three customers, each with its own RFM row and
    campaign arm, without a word. Which reading is meant is not guessed: the rows are
    named by their line. Any Unicode space counts (the no-break and the ideographic
    space of Chinese exports too); a space inside an id (``"a b"``) is part of it.

    Examples:
        >>> read_csv_bytes(b"id,n\n7,1\n 7,2\n", "t.csv", text_columns=["id"])
        Traceback (most recent call last):
        ...
        crmkit.errors.InvalidInputError: crmkit: column 'id' must be ids without spaces before or after them; found 1 id with spaces around it at rows [3]. Remove the spaces in the file: ids are read as text, so ' 7' and '7' would be two customers.
    """
    for column in dict.fromkeys(text_columns):
        if column not in frame.columns:
            continue
        # One column each: a header that repeats a name was refused when it was parsed.
        text = frame[column].dropna().astype(str)
        padded = text.ne(text.str.strip()).to_numpy(dtype=bool)
        if not padded.any():
            continue
        total = int(padded.sum())
        raise InvalidInputError(
            owner,
            str(column),
            expected="ids without spaces before or after them",
            found=f"{total} id{'s' if total > 1 else ''} with spaces around "
            f"{'them' if total > 1 else 'it'}",
            rows=text.index[padded][:5],  # the first few rows' labels (their lines)
            total=total,
            kind="column",
            hint="Remove the spaces in the file: ids are read as text, so ' 7' and '7' would "
            "be two customers.",
        )


def _empty_records(
    frame: pd.DataFrame, lines: pd.Index, utf8: bytes, delimiter: str
) -> np.ndarray[Any, np.dtype[np.bool_]]:
    """Which rows have no value in any field (missing, or text of only spaces).

    Only rows starting on a line of separators, quotes and spaces can be such rows: those
    lines are found in the bytes first (one regular-expression scan), then their parsed
    rows are checked field by field.
    """
    blank = np.zeros(len(frame), dtype=bool)
    if frame.shape[1] == 0 or len(frame) == 0 or isinstance(lines, pd.RangeIndex):
        return blank
    sep = re.escape(delimiter.encode("utf-8"))
    filler = re.compile(rb'^[ \t"' + sep + rb"]*" + sep + rb'[ \t"' + sep + rb"]*\r?$", re.M)
    starts = [m.start() for m in filler.finditer(utf8)]
    if not starts:
        return blank
    newlines = np.flatnonzero(np.frombuffer(utf8, dtype=np.uint8) == 10)
    found = np.searchsorted(newlines, np.asarray(starts)) + 1  # 1-based line numbers
    candidates = np.flatnonzero(np.isin(np.asarray(lines), found))
    for position in range(frame.shape[1]):
        if candidates.size == 0:
            break
        column = frame.iloc[candidates, position]
        cells = column.isna().to_numpy(dtype=bool)
        if column.dtype == object or pd.api.types.is_string_dtype(column.dtype):
            text = column.astype(object).where(column.notna(), "").astype(str)
            cells = cells | text.str.strip().eq("").to_numpy(dtype=bool)
        candidates = candidates[cells]
    blank[candidates] = True
    return blank


def _blank_lines(utf8: bytes, lines: pd.Index, delimiter: str) -> bytes | None:
    r"""``utf8`` with the given 1-based lines emptied (their line breaks are kept).

    A record without a value in any field cannot span lines (a quoted line break is a
    value), so each such record is one line of separators, quotes and spaces. None when
    the labels are positions, or a line holds anything else (a dialect quirk such as a
    lone ``\r`` line break): the rows are then kept, and refused as missing values.
    """
    if isinstance(lines, pd.RangeIndex):
        return None
    starts = np.concatenate(([0], np.flatnonzero(np.frombuffer(utf8, dtype=np.uint8) == 10) + 1))
    filler = re.compile(rb'[\s"' + re.escape(delimiter.encode("utf-8")) + rb"]*")
    out = bytearray()
    previous = 0
    for line in sorted(int(n) for n in lines):
        if not 1 <= line <= len(starts):
            return None
        start = int(starts[line - 1])
        stop = int(starts[line]) - 1 if line < len(starts) else len(utf8)  # at its "\n"
        if filler.fullmatch(utf8[start:stop]) is None:
            return None
        out += utf8[previous:start]
        previous = stop
    out += utf8[previous:]
    return bytes(out)


#: The first three bytes of a UTF-8 character from U+0800 on (CJK, the euro sign).
_UTF8_WIDE = re.compile(rb"[\xe0-\xf4][\x80-\xbf]{2}")


def _refuse_utf8(data: bytes, name: str, owner: str, encoding: str | None) -> None:
    """Refuse UTF-8 text stated to be in another encoding (``--encoding gbk``).

    GB18030, GBK and cp1252 read nearly any bytes, so a UTF-8 file read in them comes out
    garbled without an error ('上海' as '涓婃捣'). Bytes that are valid UTF-8 and hold at
    least two characters of three or more UTF-8 bytes (Chinese, Japanese, Korean, the euro
    sign) are UTF-8: text in another encoding that is also valid UTF-8 with such
    characters takes a chain of coincidences (1 in 5,000 strings of three random GB2312
    characters, 1 in 300,000 of six). Two-byte sequences are not taken as
    proof: in GBK, '女' is the bytes of 'Ů' in UTF-8.
    """
    wide = [] if data.isascii() else list(itertools.islice(_UTF8_WIDE.finditer(data), 2))
    if len(wide) < 2:
        return
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return
    at = wide[0].start()
    start, end = data.rfind(b"\n", 0, at) + 1, data.find(b"\n", at)
    raw = data[start : len(data) if end < 0 else end].rstrip(b"\r")
    line = data.count(b"\n", 0, at) + 1
    as_utf8, as_stated = raw.decode("utf-8"), raw.decode(str(encoding), errors="replace")
    raise InvalidInputError(
        owner,
        name,
        expected=f"text in {encoding}",
        found=(
            f"UTF-8 text: line {line} reads {as_utf8[:40]!r} in UTF-8, "
            f"{as_stated[:40]!r} in {encoding}"
        ),
        kind="input",
        hint="Leave out --encoding (encoding= in Python): UTF-8 is the default.",
    )


def _codec(encoding: str | None, owner: str) -> str:
    if encoding is None:
        return "utf-8-sig"
    if not isinstance(encoding, str):
        raise ConfigError(owner, "encoding", expected="a codec name", found=repr(encoding))
    try:
        info = codecs.lookup(encoding)
    except LookupError:
        raise ConfigError(
            owner,
            "encoding",
            expected="a text encoding such as 'utf-8', 'gb18030' or 'cp1252'",
            found=repr(encoding),
        ) from None
    # A byte-order mark is never part of the first column's name, whatever UTF-8 is called.
    return "utf-8-sig" if info.name == "utf-8" else info.name


def _separator(sep: str | None, owner: str) -> str:
    r"""The field separator: ``sep`` itself (one character), a comma by default.

    The two-character escape ``\t`` and the word ``tab`` mean a tab, as the command line
    documents (``--sep "\t"``); any other text longer than one character is refused.

    Examples:
        >>> _separator(r"\t", "crmkit rfm") == _separator("tab", "crmkit rfm") == "\t"
        True
        >>> _separator(";;", "crmkit rfm")
        Traceback (most recent call last):
        ...
        crmkit.errors.ConfigError: crmkit rfm: parameter 'sep' must be one character other than a quote or a line break, e.g. ';' or '\t'; found ';;'.
    """
    if sep is None:
        return ","
    # A tab is awkward to type: ``--sep '\t'`` reaches us as a backslash and a ``t``.
    if sep in ("\\t", "tab"):
        return "\t"
    if not isinstance(sep, str) or len(sep) != 1 or sep in '\r\n"':
        raise ConfigError(
            owner,
            "sep",
            expected="one character other than a quote or a line break, e.g. ';' or '\\t'",
            found=repr(sep),
        )
    return sep


def _parse_csv(
    utf8: bytes,
    name: str,
    owner: str,
    delimiter: str,
    *,
    as_text: bool = False,
    text_columns: Sequence[str] = (),
) -> pd.DataFrame:
    # Only an empty cell is missing: pandas' other spellings of "missing" (NA, N/A, None,
    # null, NaN, #N/A, ...) are values too ("NA" is North America or Namibia), read as
    # text and refused where a number or a date is needed, never guessed away.
    options: dict[str, Any] = {"keep_default_na": False, "na_values": [""]}
    if as_text:
        options = {"dtype": str, "keep_default_na": False}
    if text_columns and not as_text:
        options["dtype"] = dict.fromkeys(text_columns, str)
    try:
        frame: pd.DataFrame = pd.read_csv(
            io.BytesIO(utf8), sep=delimiter, encoding="utf-8", **options
        )
    except pd.errors.EmptyDataError:
        raise InvalidInputError(
            owner,
            name,
            expected="a CSV file with a header row",
            found="an empty file",
            kind="input",
        ) from None
    except (pd.errors.ParserError, ValueError, csv.Error, OverflowError) as err:
        # ParserError: ragged rows or unbalanced quotes; ValueError/OverflowError: values
        # pandas cannot hold (e.g. duplicated or unnamed header quirks it refuses).
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise InvalidInputError(
            owner, name, expected="a well-formed CSV file", found=first, kind="input"
        ) from None
    _refuse_repeated_names(utf8, name, owner, delimiter)
    _refuse_other_separator(frame, name, owner, delimiter)
    return frame


#: What the first bytes of a file that is not text say it is (a workbook saved as such
#: instead of as CSV is the usual case): decoded as text, its bytes would be blamed on the
#: encoding, and ``--encoding latin-1`` would read them as one garbled column.
_BINARY_FORMATS = (
    (b"PK\x03\x04", "a ZIP archive, such as an Excel workbook (.xlsx)"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "an old Excel workbook (.xls) or another Office file"),
    (b"PAR1", "a Parquet file"),
    (b"\x1f\x8b", "a gzip-compressed file"),
    (b"%PDF", "a PDF document"),
)


def _refuse_binary(data: bytes, name: str, owner: str) -> None:
    r"""Refuse a workbook, an archive or a Parquet file given where a CSV is read.

    Examples:
        >>> _refuse_binary(b"PK\x03\x04\x14\x00", "orders.xlsx", "crmkit rfm")
        Traceback (most recent call last):
        ...
        crmkit.errors.InvalidInputError: crmkit rfm: input 'orders.xlsx' must be a CSV text file; found a ZIP archive, such as an Excel workbook (.xlsx). Save the sheet as CSV (Excel: File > Save As > CSV UTF-8), or write it with pandas: pd.read_excel(path).to_csv('orders.csv', index=False).
    """
    for magic, what in _BINARY_FORMATS:
        if data.startswith(magic):
            hint = (
                "Save the sheet as CSV (Excel: File > Save As > CSV UTF-8), or write it with "
                "pandas: pd.read_excel(path).to_csv('orders.csv', index=False)."
            )
            if magic == b"PAR1":
                hint = "Give the file a .parquet suffix: Parquet is read by its suffix."
            elif magic == b"\x1f\x8b":
                hint = "Decompress it first (gunzip)."
            elif magic == b"%PDF":
                hint = "Export the table as CSV from the system it came from."
            raise InvalidInputError(
                owner, name, expected="a CSV text file", found=what, kind="input", hint=hint
            )


#: Field separators other programs write, and how to name them on the command line.
_OTHER_SEPARATORS = {"\t": "'\\t'", ";": "';'", "|": "'|'"}


def _refuse_other_separator(frame: pd.DataFrame, name: str, owner: str, delimiter: str) -> None:
    r"""Refuse a header read as one column that another separator would split.

    A tab-separated (TSV) or semicolon-separated file read with the default comma has one
    column named ``'customer_id\tdate\tamount'``; every column the command needs would
    then be "missing", a message that does not say what to change.

    Examples:
        >>> import pandas as pd
        >>> one = pd.DataFrame(columns=["customer_id\tdate\tamount"])
        >>> _refuse_other_separator(one, "t.tsv", "crmkit rfm", ",")
        Traceback (most recent call last):
        ...
        crmkit.errors.InvalidInputError: crmkit rfm: input 't.tsv' must be fields separated by ','; found one column whose header holds 2 tabs: 'customer_id\tdate\tamount'. Pass the separator: --sep '\t' (sep= in Python).
    """
    if frame.shape[1] != 1:
        return
    header = str(frame.columns[0])
    for other, shown in _OTHER_SEPARATORS.items():
        count = header.count(other)
        if other == delimiter or count == 0:
            continue
        word = {"\t": "tab", ";": "semicolon", "|": "vertical bar"}[other]
        raise InvalidInputError(
            owner,
            name,
            expected=f"fields separated by {delimiter!r}",
            found=f"one column whose header holds {count} {word}{'s' if count > 1 else ''}: "
            f"{header[:80]!r}",
            kind="input",
            hint=f"Pass the separator: --sep {shown} (sep= in Python).",
        )


def _refuse_repeated_names(utf8: bytes, name: str, owner: str, delimiter: str) -> None:
    """Refuse a header that names a column twice (pandas would rename one ``x.1``).

    Only the header record is read (streamed: a large file is not decoded twice).
    """
    stream = io.TextIOWrapper(io.BytesIO(utf8), encoding="utf-8", newline="")
    header = next(csv.reader(stream, delimiter=delimiter), [])
    # Empty names (trailing separators of spreadsheet exports) become distinct
    # "Unnamed: k" columns, which nothing reads: they are not refused.
    counts = collections.Counter(n for n in header if n.strip())
    repeated = sorted(n for n, count in counts.items() if count > 1)
    if repeated:
        raise InvalidInputError(
            owner,
            name,
            expected="a header that names each column once",
            found=f"{', '.join(repr(n) for n in repeated)} named more than once",
            kind="input",
            hint="Rename or drop the repeated columns: which one is meant is not guessed.",
        )


def _line_labels(utf8: bytes, text: str, delimiter: str, n_rows: int) -> pd.Index:
    """The line number in the file where each data row starts (the header is line 1)."""
    lines = _record_lines(utf8, delimiter)
    if lines is None or len(lines) - 1 != n_rows:
        lines = _record_lines_by_csv(text, delimiter)
    if lines is None or len(lines) - 1 != n_rows:  # a dialect quirk: keep positions
        return pd.RangeIndex(n_rows)
    return pd.Index(lines[1:], dtype=np.int64)


def _blank_bytes(delimiter: str) -> list[int]:
    """The bytes a line may hold and still be blank, as pandas skips it.

    pandas skips a line of spaces and tabs (``"   "``) like an empty one, unless the
    separator is one of them: then the line is a record of empty fields.
    """
    return [b for b in b" \t\r" if chr(b) != delimiter]


def _record_lines(raw: bytes, delimiter: str = ",") -> np.ndarray[Any, np.dtype[np.int64]] | None:
    r"""Start lines of the non-blank records, found without a Python loop per row.

    A line break ends a record unless it lies inside quotes, i.e. unless an odd number
    of quote characters comes before it (a doubled quote inside a field counts twice).
    In UTF-8 the quote and the line feed never occur inside a multi-byte character.
    A record is blank when it holds only spaces, tabs and ``\r`` (see
    :func:`_blank_bytes`): a line of spaces counted as a record made every row's label
    a position instead of its line.
    """
    buf = np.frombuffer(raw, dtype=np.uint8)
    if buf.size == 0:
        return None
    newlines = np.flatnonzero(buf == ord("\n"))
    quotes = np.flatnonzero(buf == ord('"'))
    if quotes.size:
        ending = np.flatnonzero(np.searchsorted(quotes, newlines) % 2 == 0)
    else:
        ending = np.arange(newlines.size)
    # The record after the k-th line break (0-based) starts on line k + 2.
    start_lines = np.concatenate(([1], ending + 2))
    starts = np.concatenate(([0], newlines[ending] + 1))
    stops = np.concatenate((newlines[ending], [buf.size]))
    keep = starts < buf.size
    blank = stops == starts
    # Only a record that starts and ends with a blank byte can be blank: those few are
    # checked one by one (no array the size of the file is made).
    spaces = bytes(_blank_bytes(delimiter))
    edges = np.frombuffer(spaces, dtype=np.uint8)
    first = buf[np.minimum(starts, buf.size - 1)]
    last = buf[np.maximum(stops - 1, 0)]
    maybe = keep & ~blank & np.isin(first, edges) & np.isin(last, edges)
    for k in np.flatnonzero(maybe):
        blank[k] = not raw[int(starts[k]) : int(stops[k])].strip(spaces)
    return np.asarray(start_lines[keep & ~blank], dtype=np.int64)


def _record_lines_by_csv(text: str, delimiter: str) -> np.ndarray[Any, np.dtype[np.int64]] | None:
    """The same with the csv module (one Python step per row): for files with stray quotes."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    physical = io.StringIO(text, newline="").readlines()  # the lines the reader counts
    blank = "".join(map(chr, _blank_bytes(delimiter)))
    found: list[int] = []
    line = 1
    try:
        for record in reader:
            lone = len(record) == 1 and reader.line_num == line
            if record and not (lone and not physical[line - 1].strip(blank + "\n")):
                found.append(line)
            line = reader.line_num + 1
    except csv.Error:
        return None
    return np.asarray(found, dtype=np.int64)


def _read_parquet(file: Path, owner: str) -> pd.DataFrame:
    try:
        return pd.read_parquet(file)
    except ImportError:
        raise InvalidInputError(
            owner,
            str(file),
            expected="readable with a Parquet engine",
            found="no Parquet engine installed",
            kind="input",
            hint="Install the parquet extra: pip install 'crmkit[parquet]' (or save the file "
            "as CSV).",
        ) from None
    except Exception as err:  # pyarrow raises many types for a file that is not Parquet
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise InvalidInputError(
            owner, str(file), expected="a Parquet file", found=first[:200], kind="input"
        ) from None


def write_table(frame: pd.DataFrame, path: str | Path | None, *, index: bool = True) -> None:
    """Write ``frame`` as CSV to ``path`` (Parquet for ``.parquet``), or to stdout when None.

    >>> import pandas as pd
    >>> write_table(pd.DataFrame({"a": [1]}), None, index=False)
    a
    1
    """
    # Results carry provenance in ``attrs`` (counts of excluded rows, fitted models, dates);
    # file formats cannot hold arbitrary objects, so the written table leaves them out.
    frame = frame.copy(deep=False)
    frame.attrs = {}
    if path is None or str(path) == "-":
        frame.to_csv(sys.stdout, index=index, lineterminator="\n")
        return
    file = Path(path)
    if file.suffix.lower() in _PARQUET:
        frame.to_parquet(file, index=index)
    else:
        frame.to_csv(file, index=index)
