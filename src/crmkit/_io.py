"""Reading and writing tables for the command line: CSV or Parquet, chosen by suffix."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pandas as pd

from crmkit.errors import InvalidInputError

__all__ = ["read_table", "write_table"]

_PARQUET = {".parquet", ".pq"}


def read_table(path: str | Path, *, owner: str = "crmkit") -> pd.DataFrame:
    r"""Read a CSV (``-`` for standard input) or Parquet file into a DataFrame.

    >>> import io, tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "t.csv"
    >>> _ = p.write_text("a,b\n1,x\n")
    >>> read_table(p).to_dict("records")
    [{'a': 1, 'b': 'x'}]
    """
    if str(path) == "-":
        return _read_csv(sys.stdin, "-", owner)
    file = Path(path)
    if not file.is_file():
        raise InvalidInputError(
            owner, str(path), expected="an existing file", found="no such file", kind="input"
        )
    if file.suffix.lower() in _PARQUET:
        return pd.read_parquet(file)
    return _read_csv(file, str(path), owner)


def _read_csv(source: Any, name: str, owner: str) -> pd.DataFrame:
    try:
        return pd.read_csv(source)
    except pd.errors.EmptyDataError:
        raise InvalidInputError(
            owner,
            name,
            expected="a CSV file with a header row",
            found="an empty file",
            kind="input",
        ) from None
    except pd.errors.ParserError as err:
        raise InvalidInputError(
            owner, name, expected="a well-formed CSV file", found=str(err).strip(), kind="input"
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
