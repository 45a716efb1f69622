"""What every ``crmkit`` subcommand shares: reading files, writing results, options, demo data.

The subcommand modules (``segmentation/_cli.py``, ``loyalty/_cli.py``, ...) build their
parsers and handlers from these helpers, so that every subcommand reads and writes files
the same way:

- **Input**: CSV (``--encoding``, ``--sep``; UTF-8 with or without a byte-order mark by
  default, GBK/GB18030 exports from Excel with ``--encoding gb18030``) or Parquet (by the
  ``.parquet``/``.pq`` suffix), ``-`` for standard input. ``--date-format`` and
  ``--date-unit`` say how the date columns are written; ISO 8601 needs neither.
  ``--column NAME=COLUMN`` maps any column the command reads to the file's header.
  Commands that read transaction dates add ``--timezone ZONE`` (:func:`add_timezone_option`):
  naive dates are read there, aware ones (a UTC export) converted, days counted there.
- **Output**: ``-o/--output FILE`` and ``--format table|csv|json|jsonl|parquet``. Without
  ``--format`` the format is the file's suffix (an unknown suffix is an error, never a
  silent CSV); on standard output it is a human table on a terminal and CSV in a pipe.
  Text formats write numbers without binary noise (15 significant digits) and shares
  (columns named ``*share``) to 4 decimals. Files are written whole or not at all.
  ``--output-encoding`` writes CSV and tables in another encoding (``utf-8-sig``, the
  byte-order mark Excel needs to show Chinese text; ``gb18030``); JSON stays UTF-8.
- **Errors**: one line on stderr and an exit code (see :data:`EXIT_CODES`); library
  messages are restated in the command's words (``option --bins``, not ``parameter 'bins'``).

Examples:
    >>> import argparse
    >>> parser = argparse.ArgumentParser(prog="crmkit x")
    >>> add_output_options(parser)
    >>> args = parser.parse_args(["-o", "scores.json"])
    >>> output_format(args, "crmkit x")
    'json'
    >>> output_format(parser.parse_args(["-o", "scores.txt"]), "crmkit x")
    Traceback (most recent call last):
    ...
    crmkit.errors.ConfigError: crmkit x: option '--format' must be given when the output file's suffix names no format (.csv, .json, .jsonl, .ndjson, .parquet, .pq, .txt with --format table); found 'scores.txt'.
"""

from __future__ import annotations

import argparse
import codecs
import contextlib
import decimal
import functools
import importlib.util
import io
import json
import math
import os
import re
import sys
import tempfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import IO, Any

import numpy as np
import pandas as pd

from crmkit import datasets
from crmkit._io import read_table
from crmkit._jsonable import json_ready
from crmkit._spec import check_choice
from crmkit._validate import DATE_UNITS, datetime_column, resolve_timezone
from crmkit.errors import ConfigError, CrmkitError, InvalidInputError, SchemaError

__all__ = [
    "EXIT_CODES",
    "DemoData",
    "Progress",
    "add_column_options",
    "add_input_options",
    "add_output_options",
    "add_timezone_option",
    "apply_columns",
    "command",
    "convert_dates",
    "emit",
    "human_table",
    "load_json",
    "output_encoding",
    "output_format",
    "read_input",
    "seconds_columns",
    "section",
    "tidy_numbers",
    "timezone_option",
    "write_output",
]

#: Exit codes of the ``crmkit`` command.
EXIT_CODES: Mapping[int, str] = {
    0: "success",
    1: "the environment failed: a file could not be read or written, or an optional "
    "dependency is missing (e.g. the `parquet` extra)",
    2: "bad usage or bad input: an unknown option, a missing or malformed column, "
    "invalid JSON rules, no subcommand",
    130: "interrupted (Ctrl-C)",
    141: "the reader of standard output went away (e.g. `| head`) before everything was "
    "written; one line on stderr says the output is incomplete",
}

_SUFFIX_FORMAT = {
    ".csv": "csv",
    ".json": "json",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".parquet": "parquet",
    ".pq": "parquet",
}
FORMATS = ("table", "csv", "json", "jsonl", "parquet")
_PARQUET = {".parquet", ".pq"}
_SHARE_DECIMALS = 4
_SIGNIFICANT = 15
_CHUNK = 1 << 16


class MissingDependencyError(CrmkitError):
    """A problem of the machine, not of the input: a missing optional dependency.

    Exits with code 1.

    Examples:
        >>> err = MissingDependencyError("crmkit rfm", "--format parquet",
        ...     expected="a Parquet engine (pyarrow)", found="none installed",
        ...     hint="Install it with: pip install 'crmkit[parquet]'.")
        >>> err.exit_code
        1
    """

    exit_code = 1


# --------------------------------------------------------------------------- parsers


class HelpFormatter(argparse.RawDescriptionHelpFormatter):
    """Help text that shows each option's default (when it has a meaningful one).

    Examples:
        >>> p = argparse.ArgumentParser(formatter_class=HelpFormatter)
        >>> _ = p.add_argument("--bins", type=int, default=5, help="scores per dimension")
        >>> "(default: 5)" in p.format_help()
        True
    """

    def _get_help_string(self, action: argparse.Action) -> str | None:
        text = action.help or ""
        default = action.default
        if (
            "%(default)" in text
            or "default" in text
            or default in (None, False, "", argparse.SUPPRESS)
            or not action.option_strings
            or (isinstance(default, list | tuple) and not default)
        ):
            return text
        return f"{text} (default: %(default)s)"


def command(
    subparsers: Any,
    name: str,
    *,
    help: str,
    description: str,
    examples: Sequence[str],
    parent: str | None = None,
) -> argparse.ArgumentParser:
    """Add the subcommand ``name`` with the shared help layout and its examples.

    ``parent`` names the command group of a nested subcommand (``crmkit campaign assign``).

    Examples:
        >>> root = argparse.ArgumentParser(prog="crmkit")
        >>> p = command(root.add_subparsers(), "x", help="h", description="d",
        ...             examples=["crmkit x in.csv"])
        >>> p.epilog.splitlines()[1]
        '  crmkit x in.csv'
    """
    epilog = "example:\n" + "\n".join(f"  {line}" for line in examples)
    parser: argparse.ArgumentParser = subparsers.add_parser(
        name,
        help=help,
        description=description,
        epilog=epilog,
        formatter_class=HelpFormatter,
    )
    full = f"crmkit {parent} {name}" if parent else f"crmkit {name}"
    parser.set_defaults(command_name=full, column_options={})
    return parser


def add_input_options(parser: argparse.ArgumentParser) -> None:
    """Add ``--encoding``, ``--sep``, ``--date-format``, ``--date-unit`` and ``--column``.

    Examples:
        >>> p = argparse.ArgumentParser()
        >>> add_input_options(p)
        >>> a = p.parse_args(["--encoding", "gb18030", "--column", "amount=paid"])
        >>> a.encoding, a.column
        ('gb18030', ['amount=paid'])
    """
    group = parser.add_argument_group("reading files")
    group.add_argument(
        "--encoding",
        default="utf-8",
        help="text encoding of CSV input (utf-8 reads files with or without a BOM; "
        "gb18030 or gbk for Excel exports in mainland China; default utf-8)",
    )
    group.add_argument("--sep", default=",", help="CSV field separator (default ',')")
    group.add_argument(
        "--date-format",
        default=None,
        help="strftime format of the date columns, e.g. %%d/%%m/%%Y or %%Y%%m%%d "
        "(default: ISO 8601 only)",
    )
    group.add_argument(
        "--date-unit",
        default=None,
        choices=DATE_UNITS,
        help="read numeric date columns as epoch times in this unit (UTC), or 'excel' "
        "for Excel day numbers (wall-clock)",
    )
    group.add_argument(
        "--column",
        action="append",
        default=[],
        metavar="NAME=COLUMN",
        help="read the column NAME from the file's column COLUMN (repeatable), "
        "for columns without an option of their own",
    )


def add_timezone_option(
    parser: argparse.ArgumentParser, *, reads: str = "transaction dates and --as-of"
) -> None:
    """Add ``--timezone ZONE`` to the "reading files" options of a command that reads dates.

    Only commands whose dates no rule owns take it: a loyalty program and an SLA policy
    carry their own ``timezone``. ``reads`` says what the zone applies to, for the help.
    The value is checked by :func:`timezone_option` when the command runs.

    Examples:
        >>> p = argparse.ArgumentParser()
        >>> add_input_options(p)
        >>> add_timezone_option(p)
        >>> p.parse_args(["--timezone", "Asia/Shanghai"]).timezone
        'Asia/Shanghai'
        >>> [g.title for g in p._action_groups].count("reading files")
        1
    """
    groups = [g for g in parser._action_groups if g.title == "reading files"]
    group = groups[0] if groups else parser.add_argument_group("reading files")
    group.add_argument(
        "--timezone",
        default=None,
        metavar="ZONE",
        help=f"IANA zone (e.g. Asia/Shanghai) in which {reads} are read: naive times as "
        "local times there, aware ones (a UTC export) converted; days are counted there "
        "(default: the dates' own zone)",
    )


def timezone_option(args: argparse.Namespace) -> str | None:
    """The ``--timezone`` the command was given (None without one), checked.

    Checked once, before any file is read, by the library's zone resolver
    (:func:`crmkit._validate.resolve_timezone`).

    Raises:
        ConfigError: The value is not an IANA zone name (exit code 2).

    Examples:
        >>> timezone_option(argparse.Namespace(timezone="Asia/Shanghai"))
        'Asia/Shanghai'
        >>> timezone_option(argparse.Namespace(timezone="Beijing", command_name="crmkit rfm"))
        Traceback (most recent call last):
        ...
        crmkit.errors.ConfigError: crmkit rfm: option '--timezone' must be an IANA time zone name such as 'Europe/Berlin'; found 'Beijing'. Name a zone of the tz database, e.g. --timezone Asia/Shanghai (China) or --timezone UTC.
    """
    value: str | None = getattr(args, "timezone", None)
    if value is None:
        return None
    owner = _owner(args)
    try:
        resolve_timezone(value, owner)
    except ConfigError as err:
        raise ConfigError(
            owner,
            "--timezone",
            expected=err.expected,
            found=err.found,
            kind="option",
            hint="Name a zone of the tz database, e.g. --timezone Asia/Shanghai (China) or "
            "--timezone UTC.",
        ) from None
    return value


def add_column_options(
    parser: argparse.ArgumentParser, columns: Mapping[str, tuple[str | None, str]]
) -> None:
    """Add one ``--NAME COLUMN`` option per column the command reads.

    ``columns`` maps the option name (``customer``, ``created-at``) to its default column
    and help text. The options are remembered so that error messages can name them.

    Examples:
        >>> p = argparse.ArgumentParser()
        >>> p.set_defaults(column_options={})
        >>> add_column_options(p, {"customer": ("customer_id", "customer id column")})
        >>> a = p.parse_args(["--customer", "cust"])
        >>> a.customer, a.column_options
        ('cust', {'customer': '--customer'})
    """
    group = parser.add_argument_group("columns")
    known: dict[str, str] = dict(parser.get_default("column_options") or {})
    for name, (default, text) in columns.items():
        dest = name.replace("-", "_")
        group.add_argument(f"--{name}", dest=dest, default=default, metavar="COLUMN", help=text)
        known[dest] = f"--{name}"
    parser.set_defaults(column_options=known)


def add_output_options(
    parser: argparse.ArgumentParser,
    *,
    formats: Sequence[str] = FORMATS,
    on_stdout: str = "a table on a terminal, CSV in a pipe",
) -> None:
    """Add ``-o/--output``, ``--format`` and ``--output-encoding``.

    ``formats`` are the formats the command writes and ``on_stdout`` what it writes on
    standard output without ``--format``, for the help. ``--output-encoding`` is checked
    by :func:`output_format` before any work and applied by :func:`write_output`.

    Examples:
        >>> p = argparse.ArgumentParser()
        >>> add_output_options(p)
        >>> a = p.parse_args(["-o", "x.csv", "--output-encoding", "utf-8-sig"])
        >>> a.output, a.output_encoding
        ('x.csv', 'utf-8-sig')
        >>> p.parse_args([]).output_encoding is None  # UTF-8, written as before
        True
    """
    group = parser.add_argument_group("writing results")
    group.add_argument(
        "-o",
        "--output",
        default=None,
        metavar="FILE",
        help="write the result to FILE ('-' for standard output; default: standard output)",
    )
    group.add_argument(
        "--format",
        choices=tuple(formats),
        default=None,
        help=f"output format (default: from the file's suffix; on standard output {on_stdout})",
    )
    group.add_argument(
        "--output-encoding",
        default=None,
        metavar="ENCODING",
        help="text encoding of CSV and table output: utf-8-sig adds the byte-order mark "
        "Excel needs to show Chinese text, gb18030 or gbk suit Excel on Chinese Windows; a "
        "character the encoding cannot write is an error. JSON (results and saved models) "
        "is always UTF-8, as JSON requires; Parquet is binary (default: utf-8)",
    )


# --------------------------------------------------------------------------- reading


def _codec(name: str, owner: str, option: str) -> codecs.CodecInfo:
    """The text encoding ``name`` given with ``option`` (``--encoding``, ``--output-encoding``).

    >>> _codec("cp936", "crmkit x", "--encoding").name
    'gbk'

    rot13, hex and base64 are codecs but not text encodings (they turn text into text or
    bytes into bytes), so they are refused here rather than failing mid-read:

    >>> _codec("rot13", "crmkit x", "--output-encoding")
    Traceback (most recent call last):
    ...
    crmkit.errors.ConfigError: crmkit x: option '--output-encoding' must be a text encoding Python knows (utf-8, gb18030, gbk, latin-1, ...); found 'rot13'.
    """
    try:
        codec = codecs.lookup(name)
    except LookupError:
        codec = None
    if codec is None or not getattr(codec, "_is_text_encoding", True):
        raise ConfigError(
            owner,
            option,
            expected="a text encoding Python knows (utf-8, gb18030, gbk, latin-1, ...)",
            found=repr(name),
            kind="option",
        )
    return codec


def _encoding(args: argparse.Namespace, owner: str) -> str:
    codec = _codec(str(getattr(args, "encoding", "utf-8") or "utf-8"), owner, "--encoding")
    # utf-8-sig reads UTF-8 with and without a byte-order mark (Excel writes one).
    return "utf-8-sig" if codec.name == "utf-8" else codec.name


def read_input(
    path: str,
    args: argparse.Namespace,
    *,
    what: str = "input",
    text: bool = False,
    ids: Sequence[str | None] = (),
    allow_empty: bool = False,
) -> pd.DataFrame:
    r"""Read one input table of a subcommand: CSV, Parquet or ``-`` (standard input).

    Args:
        path: The file name as the user wrote it.
        args: The parsed options (``--encoding``, ``--sep``, ``--column``, the command's
            name).
        what: What the table is, for messages ("transactions", "events").
        text: Read every CSV column as text (exact decimal amounts; no guessing).
        ids: The id columns the command reads (names after ``--column``; None: not
            used): CSV ids are always text, so ``007`` and ``7`` stay two customers.
        allow_empty: Accept a header without rows.

    Raises:
        InvalidInputError: The file is missing, a directory, empty, not in the encoding,
            or not a well-formed CSV/Parquet file.
        MissingDependencyError: Parquet input without a Parquet engine installed.

    Examples:
        >>> import tempfile, pathlib
        >>> folder = pathlib.Path(tempfile.mkdtemp())
        >>> _ = (folder / "t.csv").write_bytes("\ufeffa;b\n1;客户\n".encode("utf-8"))
        >>> args = argparse.Namespace(encoding="utf-8", sep=";", command_name="crmkit x")
        >>> read_input(str(folder / "t.csv"), args).to_dict("records")
        [{'a': 1, 'b': '客户'}]
        >>> read_input(str(folder), args)
        Traceback (most recent call last):
        ...
        crmkit.errors.InvalidInputError: crmkit x: input '...' must be a file; found a directory.
    """
    owner = _owner(args)
    encoding = _encoding(args, owner)
    sep = str(getattr(args, "sep", ",") or ",")
    parquet = path != "-" and Path(path).suffix.lower() in _PARQUET
    if parquet and Path(path).is_file() and _parquet_engine() is None:
        raise _no_parquet(owner, path)
    # The one reader of files (crmkit._io): rows are labelled with their line in the
    # file, so every later message about a value names the line to fix. With ``text``
    # every CSV column is read as written (loyalty amounts are Decimals, ids keep their
    # leading zeros, an empty field is "").
    stated = None if encoding == "utf-8-sig" else encoding  # UTF-8, BOM or not
    frame = read_table(
        path, owner=owner, encoding=stated, sep=sep, labels="lines", as_text=text,
        text_columns=_id_columns(args, ids),
    )  # fmt: skip
    if not allow_empty and len(frame) == 0:
        raise InvalidInputError(
            owner,
            path,
            expected=f"at least one row of {what}",
            found="only a header row",
            kind="input",
        )
    return frame


def _id_columns(args: argparse.Namespace, ids: Sequence[str | None]) -> list[str]:
    """The file's names of the id columns ``ids`` (a ``--column NAME=COLUMN`` renames one)."""
    names = {name for name in ids if name}
    columns = set(names)
    for item in getattr(args, "column", None) or []:
        name, _, source = str(item).partition("=")
        if name.strip() in names and source.strip():
            columns.add(source.strip())
    return sorted(columns)


def _parquet_engine() -> str | None:
    for engine in ("pyarrow", "fastparquet"):
        if importlib.util.find_spec(engine) is not None:
            return engine
    return None


def _no_parquet(owner: str, option: str) -> MissingDependencyError:
    return MissingDependencyError(
        owner,
        option,
        expected="readable and writable with a Parquet engine (pyarrow)",
        found="no Parquet engine installed",
        kind="",
        hint="Install the `parquet` extra: pip install 'crmkit[parquet]'.",
    )


def load_json(path: str, owner: str, option: str) -> Any:
    """Read a JSON option file (rules, a policy, a model) as plain Python values.

    Examples:
        >>> load_json("/no/such.json", "crmkit rfm", "--model")
        Traceback (most recent call last):
        ...
        crmkit.errors.ConfigError: crmkit rfm: option '--model' must be an existing JSON file; found '/no/such.json'.
    """
    file = Path(path)
    if not file.is_file():
        raise ConfigError(
            owner, option, expected="an existing JSON file", found=repr(path), kind="option"
        )
    try:
        return json.loads(file.read_text(encoding="utf-8-sig"))
    except json.JSONDecodeError as err:
        raise ConfigError(
            owner,
            option,
            expected="valid JSON",
            found=f"{err.msg} at line {err.lineno} of {path}",
            kind="option",
        ) from None
    except UnicodeDecodeError:
        raise ConfigError(
            owner, option, expected="a UTF-8 JSON file", found=f"other bytes in {path}",
            kind="option",
        ) from None  # fmt: skip


def load_json_object(path: str, owner: str, option: str, what: str) -> dict[str, Any]:
    """:func:`load_json` for a file that must hold one JSON object (a rule or a model).

    Examples:
        >>> import tempfile, pathlib
        >>> f = pathlib.Path(tempfile.mkdtemp()) / "m.json"
        >>> _ = f.write_text("[1]")
        >>> load_json_object(str(f), "crmkit rfm", "--model", "a stored RFMModel")
        Traceback (most recent call last):
        ...
        crmkit.errors.ConfigError: crmkit rfm: option '--model' must be a JSON object (a stored RFMModel); found list.
    """
    data = load_json(path, owner, option)
    if not isinstance(data, dict):
        raise ConfigError(
            owner,
            option,
            expected=f"a JSON object ({what})",
            found=type(data).__name__,
            kind="option",
        )
    return data


def apply_columns(
    frame: pd.DataFrame, args: argparse.Namespace, canonical: Sequence[str]
) -> pd.DataFrame:
    """Rename the file's columns named with ``--column NAME=COLUMN`` to the names read.

    ``canonical`` lists the names the command reads by fixed name; any other NAME is an
    error (a typo would otherwise be ignored).

    Examples:
        >>> f = pd.DataFrame({"paid": [1]})
        >>> a = argparse.Namespace(column=["amount=paid"], command_name="crmkit x")
        >>> list(apply_columns(f, a, ["amount"]).columns)
        ['amount']
    """
    owner = _owner(args)
    renames: dict[str, str] = {}
    for item in getattr(args, "column", None) or []:
        name, sep, source = str(item).partition("=")
        name, source = name.strip(), source.strip()
        if not sep or not name or not source:
            raise ConfigError(
                owner, "--column", expected="NAME=COLUMN", found=repr(item), kind="option"
            )
        if not canonical:  # every column the command reads has an option of its own
            known = dict(getattr(args, "column_options", None) or {})
            own = known.get(name.replace("-", "_"))
            raise ConfigError(
                owner,
                "--column",
                expected="left out: every column this command reads has its own option",
                found=f"a --column for {name!r}",
                kind="option",
                hint=f"Type {own} {source} instead."
                if own
                else f"Name columns with the options listed under 'columns' in {owner} --help.",
            )
        check_choice(
            name, canonical, owner, "--column", what=f"a NAME among {sorted(canonical)}",
            kind="option",
        )  # fmt: skip
        if source not in frame.columns:
            raise SchemaError(
                owner,
                source,
                expected="present (named by --column)",
                found=f"columns {list(map(str, frame.columns))[:20]}",
            )
        renames[source] = name
    return frame.rename(columns=renames) if renames else frame


def convert_dates(
    frame: pd.DataFrame,
    columns: Sequence[str],
    args: argparse.Namespace,
    *,
    always: bool = False,
    timezone: str | None = None,
) -> pd.DataFrame:
    """Read the date columns with ``--date-format`` or ``--date-unit``, when given.

    The reading is :func:`crmkit._validate.datetime_column`'s (nothing is guessed). Without
    either option the columns are left to the library, which reads ISO 8601 and refuses
    anything else (``always=True`` reads them here too, as ISO 8601). Empty cells stay
    missing; a value that does not match is an error naming the column and the rows'
    labels (for CSV files, their line numbers: the header is line 1).

    ``timezone`` (the command's ``--timezone``) reads the columns as the library reads
    them with ``timezone=``: naive values as local times there, aware ones and epoch
    numbers (instants in UTC) converted to it. Without it, epoch numbers become naive UTC
    times, which a zone given later would misread as local times.

    Examples:
        >>> lines = [2, 3]  # read_input labels CSV rows with their line in the file
        >>> f = pd.DataFrame({"d": ["31/01/2025", "01/02/2025"]}, index=lines)
        >>> a = argparse.Namespace(date_format="%d/%m/%Y", date_unit=None, command_name="x")
        >>> convert_dates(f, ["d"], a)["d"].dt.strftime("%Y-%m-%d").tolist()
        ['2025-01-31', '2025-02-01']
        >>> bad = pd.DataFrame({"d": ["31/01/2025", "2025-02-01"]}, index=lines)
        >>> convert_dates(bad, ["d"], a)
        Traceback (most recent call last):
        ...
        crmkit.errors.SchemaError: x: column 'd' must be dates in the format '%d/%m/%Y'; found mixed formats: 1 values in ISO 8601, such as '2025-02-01' at rows [3]. Write every value in one format.

        Epoch seconds of 2025-01-31 17:30 UTC are 1 February in Shanghai:

        >>> e = argparse.Namespace(date_format=None, date_unit="s", command_name="x")
        >>> convert_dates(pd.DataFrame({"d": [1738344600]}), ["d"], e,
        ...               timezone="Asia/Shanghai")["d"].iloc[0]
        Timestamp('2025-02-01 01:30:00+0800', tz='Asia/Shanghai')
    """
    fmt = getattr(args, "date_format", None)
    unit = getattr(args, "date_unit", None)
    if fmt is None and unit is None and not always:
        return frame
    owner = _owner(args)
    out = frame.copy()
    for column in columns:
        if column not in out.columns:
            continue
        series = out[column]
        if pd.api.types.is_datetime64_any_dtype(series.dtype):
            continue
        blank = (series.isna() | series.astype(str).str.strip().eq("")).to_numpy()
        present = out.loc[~blank, [column]]
        parsed = datetime_column(
            present, column, owner, tz=timezone, date_format=fmt, date_unit=unit
        )
        out[column] = parsed.reindex(out.index)
    return out


# --------------------------------------------------------------------------- writing


def output_format(args: argparse.Namespace, owner: str | None = None) -> str:
    """Decide the output format from ``--format``, ``--output``'s suffix and the terminal.

    Checked before any work, so a bad choice writes nothing: an unknown suffix without
    ``--format``, a suffix that contradicts ``--format``, Parquet without an engine, or
    an ``--output-encoding`` that is no text encoding.

    Examples:
        >>> a = argparse.Namespace(output="x.csv", format="json", command_name="crmkit x")
        >>> output_format(a)
        Traceback (most recent call last):
        ...
        crmkit.errors.ConfigError: crmkit x: option '--format' must be the format the suffix of 'x.csv' names (csv); found 'json'.
    """
    owner = owner or _owner(args)
    output_encoding(args, owner)
    fmt: str | None = getattr(args, "format", None)
    output: str | None = getattr(args, "output", None)
    if output not in (None, "-"):
        suffix = Path(str(output)).suffix.lower()
        inferred = _SUFFIX_FORMAT.get(suffix)
        if fmt is None:
            if inferred is None:
                raise ConfigError(
                    owner,
                    "--format",
                    expected="given when the output file's suffix names no format "
                    "(.csv, .json, .jsonl, .ndjson, .parquet, .pq, .txt with --format table)",
                    found=repr(output),
                    kind="option",
                )
            fmt = inferred
        elif inferred is not None and inferred != fmt:
            raise ConfigError(
                owner,
                "--format",
                expected=f"the format the suffix of {output!r} names ({inferred})",
                found=repr(fmt),
                kind="option",
            )
    elif fmt is None:
        fmt = "table" if _isatty(sys.stdout) else "csv"
    if fmt == "parquet":
        if _parquet_engine() is None:
            raise _no_parquet(owner, "--format parquet")
        if output in (None, "-") and _isatty(sys.stdout):
            raise ConfigError(
                owner,
                "--format",
                expected="a text format on a terminal (Parquet is binary)",
                found="'parquet'",
                kind="option",
                hint="Write it to a file with -o FILE.parquet.",
            )
    return fmt


def output_encoding(args: argparse.Namespace, owner: str | None = None) -> str | None:
    """The ``--output-encoding`` the command was given (None without one), checked.

    Checked as ``--encoding`` is (one check, :func:`_codec`); the codec's own name is
    returned (``cp936`` is ``gbk``). ``utf-8-sig`` stays itself: UTF-8 with the
    byte-order mark Excel needs, where ``--encoding utf-8`` reads both.

    Raises:
        ConfigError: The value is not a text encoding (exit code 2).

    Examples:
        >>> output_encoding(argparse.Namespace(output_encoding="UTF-8-SIG"))
        'utf-8-sig'
        >>> output_encoding(argparse.Namespace(output_encoding=None)) is None
        True
        >>> output_encoding(argparse.Namespace(output_encoding="gb2313", command_name="crmkit rfm"))
        Traceback (most recent call last):
        ...
        crmkit.errors.ConfigError: crmkit rfm: option '--output-encoding' must be a text encoding Python knows (utf-8, gb18030, gbk, latin-1, ...); found 'gb2313'.
    """
    value = getattr(args, "output_encoding", None)
    if value is None:
        return None
    return _codec(str(value), owner or _owner(args), "--output-encoding").name


def _isatty(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


def seconds_columns(frame: pd.DataFrame) -> pd.DataFrame:
    """Durations as whole seconds for files: ``goal`` -> ``goal_seconds`` (nullable Int64).

    pandas would write a timedelta as ``"0 days 01:00:00"``, which other tools cannot
    read; instants stay RFC 3339 timestamps with their UTC offset.

    Examples:
        >>> frame = pd.DataFrame({"elapsed": pd.to_timedelta(["1h", None]), "state": ["met", "x"]})
        >>> out = seconds_columns(frame)
        >>> list(out.columns), str(out["elapsed_seconds"].dtype), int(out["elapsed_seconds"].iloc[0])
        (['elapsed_seconds', 'state'], 'Int64', 3600)
        >>> bool(out["elapsed_seconds"].isna().iloc[1])
        True
    """
    out = frame.copy()
    renames = {}
    for column in frame.columns:
        if frame[column].dtype.kind == "m":
            whole = frame[column].dt.total_seconds().round()  # durations are whole seconds
            out[column] = whole.astype("Int64")
            renames[column] = f"{column}_seconds"
    return out.rename(columns=renames)


def _is_share(name: Any) -> bool:
    text = str(name).lower()
    return text.endswith("share") or text.startswith("share")


def tidy_numbers(frame: pd.DataFrame) -> pd.DataFrame:
    """Floats without binary noise (15 significant digits); shares to 4 decimals.

    Examples:
        >>> f = pd.DataFrame({"monetary": [492.44500000000005], "revenue_share": [0.123456]})
        >>> tidy_numbers(f).to_dict("records")
        [{'monetary': 492.445, 'revenue_share': 0.1235}]
    """
    out = frame.copy(deep=False)
    for column in out.columns:
        values = out[column]
        if not pd.api.types.is_float_dtype(values.dtype):
            continue
        if _is_share(column):
            out[column] = values.round(_SHARE_DECIMALS)
        else:
            out[column] = values.map(_significant, na_action="ignore").astype(values.dtype)
    return out


def _significant(value: float) -> float:
    if not math.isfinite(value) or value == 0:
        return value
    return float(f"{value:.{_SIGNIFICANT}g}")


def _plain_frame(frame: pd.DataFrame, index: bool) -> pd.DataFrame:
    """The frame as a file holds it: index as columns, durations in seconds, no attrs."""
    out = frame.copy(deep=False)
    out.attrs = {}
    if index:
        if isinstance(out.index, pd.MultiIndex) or out.index.name is not None:
            out = out.reset_index()
        elif not isinstance(out.index, pd.RangeIndex):
            out = out.reset_index(names="index")
    else:
        out = out.reset_index(drop=True)
    out.columns = pd.Index([str(c) for c in out.columns])
    return seconds_columns(out)


def _json_value(value: Any) -> Any:
    """One cell of JSON output: the command line's number style, then :func:`json_ready`.

    Floats get 15 significant digits (no binary noise) and whole ``Decimal`` amounts are
    written as numbers; a value with no JSON form is written as its text.
    """
    if isinstance(value, decimal.Decimal) and value.is_finite() and value == value.to_integral():
        return int(value)
    if isinstance(value, float | np.floating):
        value = _significant(float(value))
    return json_ready(value, default=str)


def records(frame: pd.DataFrame, *, index: bool = True) -> list[dict[str, Any]]:
    """The frame as JSON-ready records (plain types, ISO 8601 instants, seconds, null).

    Examples:
        >>> f = pd.DataFrame({"d": pd.to_datetime(["2025-01-02"]), "x": [0.1 + 0.2]})
        >>> records(f)
        [{'d': '2025-01-02T00:00:00', 'x': 0.3}]
    """
    plain = tidy_numbers(_plain_frame(frame, index))
    columns = list(plain.columns)
    data = [
        {name: _json_value(value) for name, value in zip(columns, row, strict=True)}
        for row in plain.itertuples(index=False, name=None)
    ]
    return data


def human_table(frame: pd.DataFrame, *, index: bool = True, max_rows: int = 60) -> str:
    """A table for people: shares as percentages, numbers rounded, long tables cut.

    Examples:
        >>> f = pd.DataFrame({"customers": [3, 1], "customer_share": [0.75, 0.25]},
        ...                  index=pd.Index(["A", "B"], name="class"))
        >>> print(human_table(f))
              customers customer_share
        class
        A             3         75.0 %
        B             1         25.0 %
    """
    shown = frame.copy(deep=False)
    shown.attrs = {}
    for column in shown.columns:
        values = shown[column]
        if pd.api.types.is_float_dtype(values.dtype):
            if _is_share(column):
                shown[column] = values.map(lambda v: "" if pd.isna(v) else f"{v * 100:.1f} %")
            else:
                shown[column] = values.map(lambda v: "" if pd.isna(v) else f"{v:,.2f}")
        elif values.dtype.kind == "m":
            shown[column] = values.map(lambda v: "" if pd.isna(v) else str(v))
    with pd.option_context(
        "display.width", 160, "display.max_columns", 40, "display.max_rows", max_rows
    ):
        text = shown.to_string(index=index, max_rows=max_rows)
    if len(frame) > max_rows:
        text += f"\n({len(frame):,} rows; write them all with -o FILE or --format csv)"
    return text


@contextlib.contextmanager
def _atomic(path: Path, binary: bool) -> Iterator[IO[Any]]:
    """Open a temporary file beside ``path``; move it into place only when complete.

    A failure names ``path`` (exit code 1), never the temporary file the user did not name.

    >>> with _atomic(Path("/no/such/folder/scores.csv"), binary=False) as f:
    ...     pass
    Traceback (most recent call last):
    ...
    FileNotFoundError: [Errno 2] cannot write '/no/such/folder/scores.csv': the folder '/no/such/folder' does not exist
    """
    folder = path.parent if str(path.parent) else Path()
    try:
        fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=folder)
    except OSError as err:
        reason = (
            f"the folder {str(folder)!r} does not exist"
            if isinstance(err, FileNotFoundError)
            else f"{err.strerror or err} in the folder {str(folder)!r}"
        )
        raise type(err)(err.errno, f"cannot write {str(path)!r}: {reason}") from None
    try:
        with os.fdopen(fd, "wb" if binary else "w", encoding=None if binary else "utf-8") as f:
            yield f
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(name, 0o666 & ~umask)  # mkstemp's 0600 is for the temporary file only
        try:
            os.replace(name, path)
        except OSError as err:  # e.g. -o names a folder
            reason = "it is a folder" if path.is_dir() else str(err.strerror or err)
            raise type(err)(err.errno, f"cannot write {str(path)!r}: {reason}") from None
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(name)
        raise


def write_text_file(path: str, text: str) -> None:
    """Write ``text`` to ``path`` whole (a temporary file renamed into place) or not at all.

    Examples:
        >>> import tempfile, pathlib
        >>> f = pathlib.Path(tempfile.mkdtemp()) / "a.json"
        >>> write_text_file(str(f), "{}")
        >>> f.read_text()
        '{}'
    """
    with _atomic(Path(path), binary=False) as handle:
        handle.write(text)


def emit(
    frame: pd.DataFrame,
    args: argparse.Namespace,
    *,
    index: bool = True,
    table: Callable[[pd.DataFrame], str] | None = None,
    fmt: str | None = None,
) -> None:
    """Write a subcommand's result as ``--format`` says, to ``--output`` or standard output.

    Args:
        frame: The result.
        args: The parsed options (``output``, ``format``).
        index: Write the index (entity ids) as the first column(s).
        table: How to show the frame to people (``--format table``); a plain rounded
            table by default.
        fmt: The format already decided by :func:`output_format` (decided here if None).

    Examples:
        >>> a = argparse.Namespace(output=None, format="jsonl", command_name="crmkit x")
        >>> emit(pd.DataFrame({"x": [1.5]}, index=pd.Index(["a"], name="id")), a)
        {"id": "a", "x": 1.5}
    """
    fmt = fmt or output_format(args)
    output: str | None = getattr(args, "output", None)
    to_stdout = output in (None, "-")
    if fmt == "parquet":
        plain = _plain_frame(frame, index)
        if to_stdout:
            buffer = io.BytesIO()
            plain.to_parquet(buffer, index=False)
            sys.stdout.buffer.write(buffer.getvalue())
            sys.stdout.flush()
            return
        with _atomic(Path(str(output)), binary=True) as handle:
            plain.to_parquet(handle, index=False)
        return
    if fmt == "table":
        text = (table or functools.partial(human_table, index=index))(frame) + "\n"
    elif fmt == "csv":
        text = tidy_numbers(_plain_frame(frame, index)).to_csv(
            index=False, lineterminator="\n", float_format=f"%.{_SIGNIFICANT}g"
        )
    elif fmt == "json":
        text = json.dumps(records(frame, index=index), ensure_ascii=False, indent=1) + "\n"
    else:  # jsonl
        text = "".join(
            json.dumps(row, ensure_ascii=False) + "\n" for row in records(frame, index=index)
        )
    write_output(text, args, fmt=fmt)


#: Formats ``--output-encoding`` applies to; JSON is UTF-8 by its specification (RFC 8259,
#: section 8.1: "JSON text exchanged between systems ... MUST be encoded using UTF-8").
_ENCODED_FORMATS = frozenset({"csv", "table"})


def write_output(text: str, args: argparse.Namespace, *, fmt: str) -> None:
    r"""Write a text result (format ``fmt``) to ``--output`` or standard output.

    CSV and tables are written in ``--output-encoding`` when it is given: to a file whole
    or not at all, to standard output as bytes in that encoding. The text is encoded
    before anything is written, so a character the encoding cannot write is refused with
    nothing written. JSON and JSON Lines stay UTF-8. Without the option files are UTF-8
    and standard output is written in its own encoding, as before.

    Raises:
        ConfigError: A character of a CSV or table result that ``--output-encoding`` (or,
            without it, standard output's own encoding) cannot write (exit code 2).

    Examples:
        >>> import tempfile, pathlib
        >>> f = pathlib.Path(tempfile.mkdtemp()) / "客户.csv"
        >>> a = argparse.Namespace(output=str(f), output_encoding="utf-8-sig")
        >>> write_output("城市\n上海\n", a, fmt="csv")
        >>> f.read_bytes().startswith(codecs.BOM_UTF8)
        True
        >>> a = argparse.Namespace(output=str(f), output_encoding="gbk", command_name="crmkit x")
        >>> write_output("城市\n上海 \U0001f600\n", a, fmt="csv")
        Traceback (most recent call last):
        ...
        crmkit.errors.ConfigError: crmkit x: option '--output-encoding' must be an encoding that can write every character of the output; found '😀' (U+1F600) on line 2, which gbk cannot write. Pass one that can, e.g. --output-encoding utf-8-sig (UTF-8 with the byte-order mark Excel reads) or gb18030 (every character too); nothing was written.
        >>> f.read_text(encoding="utf-8-sig")  # the earlier file, untouched
        '城市\n上海\n'
    """
    owner = _owner(args)
    output: str | None = getattr(args, "output", None)
    encoding = output_encoding(args, owner) if fmt in _ENCODED_FORMATS else None
    # Encoded whole before anything is written: a refusal leaves no file and no output.
    data = None if encoding is None else _encoded(text, encoding, owner)
    if output not in (None, "-"):
        if data is None:
            write_text_file(str(output), text)
        else:
            with _atomic(Path(str(output)), binary=True) as handle:
                handle.write(data)
        return
    # In pieces, so that a reader that goes away (``| head``) is noticed at once.
    if data is not None:
        sys.stdout.flush()
        for start in range(0, len(data), _CHUNK):
            sys.stdout.buffer.write(data[start : start + _CHUNK])
            sys.stdout.buffer.flush()
        return
    for start in range(0, len(text), _CHUNK):
        try:
            sys.stdout.write(text[start : start + _CHUNK])
        except UnicodeEncodeError as err:
            if fmt not in _ENCODED_FORMATS:
                raise
            # E.g. a pipe on Chinese Windows (code page 936) and an emoji in a name.
            shown = f"standard output's encoding {getattr(sys.stdout, 'encoding', '?')}"
            outcome = "; the output is incomplete" if start else "; nothing was written"
            raise _unwritable(text, start + err.start, shown, owner, outcome) from None
        sys.stdout.flush()


def _encoded(text: str, encoding: str, owner: str) -> bytes:
    """``text`` as a text file in ``encoding`` holds it (line ends as the platform writes)."""
    if os.linesep != "\n":  # what a file opened as text (and standard output) writes
        text = text.replace("\n", os.linesep)
    try:
        return text.encode(encoding)
    except UnicodeEncodeError as err:
        raise _unwritable(text, err.start, encoding, owner, "; nothing was written") from None
    except UnicodeError as err:  # a codec that refuses text as a whole (idna's labels)
        raise ConfigError(
            owner, "--output-encoding", expected="an encoding that can write the output",
            found=f"{encoding}, which cannot ({err}); nothing was written", kind="option",
        ) from None  # fmt: skip


def _unwritable(text: str, position: int, shown: str, owner: str, outcome: str) -> ConfigError:
    """The refusal of the character at ``position`` of ``text`` that ``shown`` cannot write."""
    char = text[position]
    line = text.count("\n", 0, position) + 1
    hint = (
        "No encoding can write half of a surrogate pair: correct the value in the input"
        if 0xD800 <= ord(char) <= 0xDFFF
        else "Pass one that can, e.g. --output-encoding utf-8-sig (UTF-8 with the byte-order "
        "mark Excel reads) or gb18030 (every character too)"
    )
    return ConfigError(
        owner,
        "--output-encoding",
        expected="an encoding that can write every character of the output",
        found=f"{char!r} (U+{ord(char):04X}) on line {line}, which {shown} cannot write",
        kind="option",
        hint=f"{hint}{outcome}.",
    )


# --------------------------------------------------------------------------- errors


def _owner(args: argparse.Namespace) -> str:
    return str(getattr(args, "command_name", None) or "crmkit")


def restate(err: CrmkitError, args: argparse.Namespace) -> str:
    """The error's message in the command's words: options instead of parameters.

    Examples:
        >>> a = argparse.Namespace(command_name="crmkit rfm", bins=1, customer="cust",
        ...     column_options={"customer": "--customer"})
        >>> print(restate(ConfigError("RFMScorer", "bins", expected="an int in [2, 9]",
        ...     found="1"), a))
        crmkit rfm: option --bins must be an int in [2, 9]; found 1.
        >>> print(restate(SchemaError("rfm()", "cust", expected="present",
        ...     found="columns ['a']", hint="Name it with the keyword argument for that column."), a))
        crmkit rfm: column 'cust' must be present; found columns ['a']. Name it with --customer.
    """
    if isinstance(err, MissingDependencyError) or not hasattr(err, "kind"):
        return str(err)
    options = {
        dest: "--" + dest.replace("_", "-")
        for dest in vars(args)
        if dest not in ("handler", "command_name", "column_options")
    }
    return _in_option_words(_restated(err, args, options), options)


#: Reading options that messages name by their keyword alone ("the format named by
#: date_format"); other keywords (``customer``, ``date``) are also ordinary words.
_BARE_OPTIONS = frozenset({"date_format", "date_unit", "na_values"})


def _in_option_words(text: str, options: Mapping[str, str]) -> str:
    """``text`` with a suggested keyword argument spelled as the option that sets it.

    A hint written for Python (``date_format='%d/%m/%Y'``, ``penalizer=0.001``) becomes
    what to type (``--date-format '%d/%m/%Y'``, ``--penalizer 0.001``); keywords the
    command has no option for stay as they are.

    >>> _in_option_words("Say which: date_format='%d/%m/%Y'.", {"date_format": "--date-format"})
    "Say which: --date-format '%d/%m/%Y'."
    >>> _in_option_words("unless date_format= states it", {"date_format": "--date-format"})
    'unless --date-format states it'

    A Python aside for an option is dropped (it would read "--sep (--sep in Python)"), and
    the reading options named bare in a message become the options:

    >>> _in_option_words("Pass it: --sep ';' (sep= in Python).", {"sep": "--sep"})
    "Pass it: --sep ';'."
    >>> _in_option_words("ISO 8601 or the format named by date_format", {"date_format": "--date-format"})
    'ISO 8601 or the format named by --date-format'
    """
    for dest, option in options.items():
        text = re.sub(rf" \({re.escape(dest)}= in Python\)", "", text)
        if dest in _BARE_OPTIONS:
            text = re.sub(rf"(?<![\w.'-]){re.escape(dest)}(?![\w='])", option, text)
        text = re.sub(rf"(?<![\w.-]){re.escape(dest)}=(?=\S)", option + " ", text)
        # "unless date_format= states another format": the keyword itself, no value.
        text = re.sub(rf"(?<![\w.-]){re.escape(dest)}=(?=\s)", option, text)
    return text


#: Options whose text the library reads as a date or instant under the option's own
#: name (``--as-of`` is ``as_of=``): the reader's ConfigError is about the text typed even
#: where it shows something else (a parsed ``0999-01-01 00:00:00``, "the timezone-aware
#: 2025-06-30 18:00:00+08:00" beside naive dates), so the command shows what was typed.
_INSTANT_OPTIONS = frozenset({"as_of", "start", "end", "pre_start"})


def _restated(err: CrmkitError, args: argparse.Namespace, options: Mapping[str, str]) -> str:
    owner, kind, field, hint, found = err.owner, err.kind, err.field, err.hint, err.found
    columns: dict[str, str] = dict(getattr(args, "column_options", {}) or {})
    try:
        value = getattr(args, field, None) if field in options else None
        if field in _INSTANT_OPTIONS and isinstance(value, str) and isinstance(err, ConfigError):
            # A value that cannot be read, or the wrong kind for the data: about the option.
            err.found = repr(value)
        # Restate only errors about the value the option passed (not, say, a policy key
        # that happens to share an option's name).
        shown = value is not None and (str(value) in err.found or repr(value) in err.found)
        if kind in ("parameter", "") and shown:
            if field == "as_of" and "date_format" in hint:
                # --date-format reads the file's date columns; --as-of is always ISO 8601.
                err.hint = (
                    "Write it in ISO 8601, e.g. --as-of 2025-06-30 or --as-of "
                    "'2025-06-30 18:00' (--date-format reads the file's date columns, "
                    "not --as-of)."
                )
            err.kind, err.field = "option", options[field]
            err.owner = _owner(args)
            text = err._message().replace(f"option '{err.field}'", f"option {err.field}")
            return text
        if kind == "column":
            by_value = {str(getattr(args, dest, "")): opt for dest, opt in columns.items()}
            if field in by_value and "keyword argument" in hint:
                err.hint = f"Name it with {by_value[field]}."
            elif "keyword argument" in hint:
                err.hint = "Name it with the command's column options (see --help)."
            err.owner = _owner(args)
            return err._message()
        if owner.endswith("()") and "." not in owner:  # a library function: the command
            err.owner = _owner(args)  # says it (a rule file's Class.from_dict() stays named)
            return err._message()
        return str(err)
    finally:
        err.owner, err.kind, err.field, err.hint, err.found = owner, kind, field, hint, found


# --------------------------------------------------------------------------- progress


class Progress:
    """A progress bar on standard error, shown only when standard error is a terminal.

    Examples:
        >>> bar = Progress(total=10, label="members", stream=io.StringIO())
        >>> bar.update(5); bar.close()
        >>> bar.shown
        False
    """

    def __init__(self, total: int, label: str, *, stream: IO[str] | None = None) -> None:
        self.total = max(int(total), 1)
        self.label = label
        self.done = 0
        self.stream = stream if stream is not None else sys.stderr
        self.shown = _isatty(self.stream)

    def update(self, step: int) -> None:
        """Advance by ``step`` units and redraw."""
        self.done = min(self.total, self.done + int(step))
        if self.shown:
            width = 30
            filled = round(width * self.done / self.total)
            self.stream.write(
                f"\r{self.label}: [{'#' * filled}{'.' * (width - filled)}] "
                f"{self.done:,}/{self.total:,}"
            )
            self.stream.flush()

    def close(self) -> None:
        """Clear the bar's line."""
        if self.shown:
            self.stream.write("\r" + " " * 79 + "\r")
            self.stream.flush()


# --------------------------------------------------------------------------- demo data


class DemoData:
    """The built-in sample data that ``crmkit demo`` and ``crmkit report`` use, made once.

    Examples:
        >>> data = DemoData(seed=1)
        >>> len(data.transactions) > 0
        True
    """

    def __init__(self, seed: int = 7) -> None:
        self.seed = seed

    @functools.cached_property
    def transactions(self) -> pd.DataFrame:
        """A few years of transactions of 2,000 customers."""
        return datasets.transactions(n_customers=2_000, seed=self.seed)

    @functools.cached_property
    def tickets(self) -> pd.DataFrame:
        """1,000 support tickets, one row each."""
        return datasets.tickets(n_tickets=1_000, seed=self.seed)

    @functools.cached_property
    def ticket_events(self) -> pd.DataFrame:
        """The event history of :attr:`tickets`."""
        return datasets.ticket_events(self.tickets)

    @functools.cached_property
    def survey_responses(self) -> pd.DataFrame:
        """2,000 survey responses (NPS, CSAT, CES)."""
        return datasets.survey_responses(n_responses=2_000, seed=self.seed)

    @functools.cached_property
    def loyalty_events(self) -> pd.DataFrame:
        """The event streams of 100 loyalty members."""
        return datasets.loyalty_events(n_members=100, seed=self.seed)


def section(title: str, body: str) -> str:
    """One titled section of ``crmkit demo``'s text report.

    Examples:
        >>> print(section("Loyalty", "points"))
        <BLANKLINE>
        Loyalty
        =======
        points
        <BLANKLINE>
    """
    return f"\n{title}\n{'=' * len(title)}\n{body.rstrip()}\n"
