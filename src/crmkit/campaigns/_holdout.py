"""Holdout groups: deterministic arms by hashing the customer id, GrowthBook-compatible.

The hash is GrowthBook's SDK hash, version 2 (the ``hash(seed, value, 2)`` every
GrowthBook SDK implements and tests against the published ``cases.json`` vectors):

1. ``h1 = fnv1a32(seed + value)``: 32-bit FNV-1a (offset basis ``0x811C9DC5``, prime
   ``0x01000193``) over the UTF-16 code units of the text, as JavaScript's
   ``charCodeAt`` reads it (ASCII and Chinese characters are one unit each; characters
   outside the Basic Multilingual Plane, such as emoji, are two surrogate units);
2. ``h2 = fnv1a32(str(h1))``: the same hash over the decimal digits of ``h1``;
3. ``bucket = (h2 % 10000) / 10000``, a number in ``[0, 0.9999]``.

The arms are GrowthBook's bucket ranges for two variations with weights
``[control_share, 1 - control_share]`` (coverage 1): variation 0 (control) when
``0 <= bucket < control_share``, variation 1 (treatment) from there to the end. So an
experiment with ``key`` (or ``seed``) equal to the campaign, ``hashVersion: 2`` and those
weights puts every user in the same arm as :func:`assign`. Integer ids are hashed as
their decimal text, as the SDKs do with JavaScript's ``String(n)`` (exact for
``|id| < 2**53``; larger integers are refused). One difference: the SDKs leave an id
that is falsy (the number 0) out of every experiment, while crmkit hashes it as "0".

The batch path never loops over rows in Python: the ids' code units are laid out in one
array, and the hash runs one vectorised step per character position (rows sorted by
length, so each step touches a contiguous prefix).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping, Sequence, Sized
from typing import Any

import attrs
import numpy as np
import numpy.typing as npt
import pandas as pd

from crmkit import _stats
from crmkit._validate import first_labels
from crmkit.errors import ConfigError, InvalidInputError, SchemaError
from crmkit.segmentation._dask import is_dask, map_by_key, require_dask_columns

__all__ = [
    "ARMS",
    "SRMResult",
    "assign",
    "bucket_ranges",
    "choose_variation",
    "gb_hash",
    "hash_ids",
    "srm_check",
]

_OFFSET = 0x811C9DC5
_PRIME = 0x01000193
_MASK = 0xFFFFFFFF
_MAX_INT_ID = 2**53
#: The arms, control first (GrowthBook's variation 0 and 1).
ARMS: tuple[str, str] = ("control", "treatment")
_ARM_DTYPE = pd.CategoricalDtype(list(ARMS))
U32 = npt.NDArray[np.uint32]
I64 = npt.NDArray[np.int64]


# ------------------------------------------------------------------------ the scalar hash
def _units(text: str) -> bytes | list[int]:
    if text.isascii():
        return text.encode("ascii")
    data = text.encode("utf-16-le", "surrogatepass")
    return [data[i] | (data[i + 1] << 8) for i in range(0, len(data), 2)]


def _fnv1a32(text: str, start: int = _OFFSET) -> int:
    h = start
    for unit in _units(text):
        h = ((h ^ unit) * _PRIME) & _MASK
    return h


def gb_hash(seed: str, value: str | int) -> float:
    """Return GrowthBook's version-2 hash of ``value`` under ``seed``: a bucket in [0, 1).

    The scalar form of what :func:`assign` computes for every id (see the module notes).

    Args:
        seed: The per-campaign salt (GrowthBook's experiment ``seed``, or its ``key``).
        value: The customer id (text, or an integer hashed as its decimal text).

    Returns:
        ``(fnv1a32(str(fnv1a32(seed + value))) % 10000) / 10000``.

    Raises:
        InvalidInputError: An empty id, a float or bool, or an integer outside ±2**53.

    Examples:
        >>> gb_hash("seed", "a"), gb_hash("foo", "ab")
        (0.0505, 0.2575)
        >>> gb_hash("wake-up-2025", "客户-001") == gb_hash("wake-up-2025", "客户-001")
        True
    """
    text = _id_text(value, "gb_hash()")
    n = _fnv1a32(str(_fnv1a32(_seed(seed, "gb_hash()") + text)))
    return (n % 10000) / 10000


def _id_text(value: object, owner: str) -> str:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (str, int, np.integer)):
        raise InvalidInputError(
            owner, "value", expected="a string or an integer id",
            found=type(value).__name__, kind="parameter",
        )  # fmt: skip
    if isinstance(value, str):
        if not value:
            raise InvalidInputError(
                owner, "value", expected="a non-empty id", found="''", kind="parameter"
            )
        return value
    if abs(int(value)) >= _MAX_INT_ID:
        raise InvalidInputError(
            owner, "value", expected="an integer with |id| < 2**53 (exact in JavaScript)",
            found="a larger integer", kind="parameter",
        )  # fmt: skip
    return str(int(value))


# ------------------------------------------------------------------------- the batch hash
def _by_length(lengths: I64) -> I64:
    """Row order by length, longest first (a radix sort: lengths are small)."""
    if lengths.size and int(lengths.max()) < 2**15:
        return np.argsort(-lengths.astype(np.int16), kind="stable").astype(np.int64)
    return np.argsort(-lengths, kind="stable")


def _ragged_fnv(units: npt.NDArray[Any], starts: I64, lengths: I64, h0: int) -> U32:
    """FNV-1a over ``units[starts[i] : starts[i] + lengths[i]]`` for every i, from ``h0``."""
    n = lengths.size
    prime = np.uint32(_PRIME)
    if n and int(lengths.min()) == int(lengths.max()):
        width = int(lengths[0])
        if np.array_equal(starts, np.arange(n, dtype=np.int64) * width + int(starts[0])):
            # Fixed-width ids laid out back to back (the common case): read columns in place.
            grid = units[int(starts[0]) : int(starts[0]) + n * width].reshape(n, width)
            h = np.full(n, h0, dtype=np.uint32)
            for j in range(width):
                np.bitwise_xor(h, grid[:, j], out=h, casting="unsafe")
                np.multiply(h, prime, out=h)
            return h
    order = _by_length(lengths)
    pos = starts[order]
    lens = lengths[order]
    h = np.full(n, h0, dtype=np.uint32)
    longest = int(lens[0]) if n else 0
    # active[j]: how many rows (a prefix, since sorted by length descending) reach j.
    active = np.searchsorted(-lens, -np.arange(longest), side="left")
    where = np.empty(n, dtype=np.int64)
    unit = np.empty(n, dtype=units.dtype)
    for j in range(longest):
        k = int(active[j])
        np.add(pos[:k], j, out=where[:k])
        np.take(units, where[:k], out=unit[:k])
        head = h[:k]
        np.bitwise_xor(head, unit[:k], out=head, casting="unsafe")
        np.multiply(head, prime, out=head)
    out = np.empty_like(h)
    out[order] = h
    return out


_POW10 = 10 ** np.arange(19, dtype=np.int64)


def _decimal_units(values: I64) -> tuple[npt.NDArray[np.uint8], I64, I64]:
    """Lay out the decimal text of int64 values (|v| < 2**53) as ASCII code units."""
    n = values.size
    neg = values < 0
    mag = np.abs(values)
    digits = np.searchsorted(_POW10[1:17], mag, side="right") + 1
    most = int(digits.max()) if n else 1
    width = most + 1  # room for a sign
    lengths = (digits + neg).astype(np.int64)
    grid = np.zeros((n, width), dtype=np.uint8)
    rest = mag
    for i in range(most):  # column width-1-i holds the digit for 10**i
        rest, digit = np.divmod(rest, 10)
        grid[:, width - 1 - i] = digit + 48
    starts = np.arange(n, dtype=np.int64) * width + width - lengths
    grid.ravel()[starts[neg]] = 45  # "-"
    return grid.ravel(), starts, lengths


def _string_units(texts: Sequence[str]) -> tuple[npt.NDArray[Any], I64, I64]:
    """Lay out the UTF-16 code units of every text in one array, with starts and lengths."""
    n = len(texts)
    joined = "".join(texts)
    lengths = np.fromiter(map(len, texts), dtype=np.int64, count=n)
    if joined.isascii():
        units: npt.NDArray[Any] = np.frombuffer(joined.encode("ascii"), dtype=np.uint8)
    else:
        units = np.frombuffer(joined.encode("utf-16-le", "surrogatepass"), dtype=np.uint16)
        if units.size != lengths.sum():  # astral characters take two units each
            points = np.frombuffer(joined.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
            astral = np.concatenate(([0], np.cumsum(points > 0xFFFF)))
            ends = np.cumsum(lengths)
            lengths = lengths + astral[ends] - astral[ends - lengths]
    starts = np.concatenate(([0], np.cumsum(lengths)[:-1])).astype(np.int64)
    return units, starts, lengths


def _arrow_units(series: pd.Series) -> tuple[npt.NDArray[Any], I64, I64] | None:
    """Read ASCII text held by pyarrow (pandas' default string storage) in place.

    No Python object is made per id. None when it does not apply.
    """
    dtype = series.dtype
    if not (isinstance(dtype, pd.StringDtype) and dtype.storage == "pyarrow"):
        return None
    chunked = series.array.__arrow_array__()
    array = chunked.combine_chunks()
    if array.null_count:
        return None
    _, offsets_buf, data_buf = array.buffers()
    width = np.int64 if str(array.type) == "large_string" else np.int32
    offsets = np.frombuffer(offsets_buf, dtype=width)[array.offset : array.offset + len(array) + 1]
    data = (
        np.frombuffer(data_buf, dtype=np.uint8) if data_buf is not None else np.zeros(0, np.uint8)
    )
    data = data[int(offsets[0]) : int(offsets[-1])] if offsets.size else data[:0]
    if data.size and int(data.max()) >= 128:
        return None  # not ASCII: the UTF-16 path reads it
    bounds: I64 = offsets.astype(np.int64) - (int(offsets[0]) if offsets.size else 0)
    lengths: I64 = np.diff(bounds)
    return data, bounds[:-1], lengths


@attrs.frozen
class _Naming:
    """How a message names the ids (``field`` is the Series' name, see :func:`_name`).

    ``assign()`` reads a column of its frame (the defaults); ``hash_ids()`` names what it
    was passed: a Series by its name, a list or array as the argument ``ids``, whose
    rows are positions.
    """

    kind: str | None = None  # None: the error class's own word ("column")
    #: The mixed-ids hint's advice (worded as ``refuse_lookalike_ids`` words a column).
    convert: str = "the column to one type first, e.g. frame[{name!r}].astype(str)"
    note: str = ""  # how to read the rows named, appended to the hint


_COLUMN = _Naming()


def _hint(naming: _Naming, hint: str = "") -> str:
    return " ".join(part for part in (hint, naming.note) if part)


def _bad_ids(
    ids: pd.Series,
    mask: npt.NDArray[np.bool_],
    owner: str,
    what: str = "other values",
    naming: _Naming = _COLUMN,
) -> SchemaError:
    return SchemaError(
        owner, _name(ids), expected="non-empty strings or integers (no missing ids)",
        found=f"{int(mask.sum())} {what}", rows=first_labels(ids.index, mask),
        total=int(mask.sum()), kind=naming.kind, hint=_hint(naming),
    )  # fmt: skip


def _is_int_type(t: type) -> bool:
    return issubclass(t, (int, np.integer)) and not issubclass(t, (bool, np.bool_))


def _mixed_ids(
    ids: pd.Series, values: list[Any], owner: str, naming: _Naming = _COLUMN
) -> SchemaError:
    """Text ids beside integer ids: each kind is valid alone, the mix is the error.

    Worded as :func:`crmkit._validate.refuse_lookalike_ids` words ids of two types. The
    rows named are those of the other type than the first id's (``[1, "2"]`` blamed the
    integer 1 as "other values", as if integers were not ids).
    """
    first = type(values[0])
    first_is_text = first is str
    other = np.fromiter(((type(v) is str) != first_is_text for v in values), bool, len(values))
    kinds = ("str", "int") if first_is_text else ("int", "str")
    column = _name(ids)
    texts = {v for v in values if type(v) is str}
    twice = sorted(texts & {str(int(v)) for v in values if type(v) is not str})
    both = (
        f", {len(twice)} of them the same id as text and number ({twice[0]} and {twice[0]!r})"
        if twice else ""
    )  # fmt: skip
    return SchemaError(
        owner, column, expected="ids of one type (all non-empty strings, or all integers)",
        found=f"ids of two types mixed, {kinds[0]} first: {int(other.sum())} other values "
        f"({kinds[1]}){both}",
        rows=first_labels(ids.index, other), total=int(other.sum()), kind=naming.kind,
        hint=_hint(naming, f"Convert {naming.convert.format(name=column)} (an integer id "
                   "is hashed as its decimal text, so its arm stays the same)."),
    )  # fmt: skip


def _big_ids(
    ids: pd.Series, big: npt.NDArray[np.bool_], owner: str, naming: _Naming = _COLUMN
) -> InvalidInputError:
    return InvalidInputError(
        owner, _name(ids), expected="integer ids with |id| < 2**53",
        found=f"{int(big.sum())} larger ids", rows=first_labels(ids.index, big),
        total=int(big.sum()), kind=naming.kind, hint=_hint(naming),
    )  # fmt: skip


def _name(ids: pd.Series) -> str:
    """The id column's name, for messages."""
    return str(ids.name) if ids.name is not None else "customer"


def _first_hash(ids: pd.Series, seed: str, owner: str, naming: _Naming = _COLUMN) -> U32:
    h_seed = _fnv1a32(seed)
    missing = ids.isna().to_numpy()
    if missing.any():  # named first: a blank id makes a CSV column float, all "bad"
        raise _bad_ids(ids, missing, owner, "missing ids", naming)
    if pd.api.types.is_integer_dtype(ids.dtype) and not pd.api.types.is_bool_dtype(ids.dtype):
        if ids.hasnans:
            raise _bad_ids(ids, ids.isna().to_numpy(), owner, naming=naming)
        # Read the ids in their own width first: a cast of uint64 ids of 2**63 or more to
        # int64 wraps them to negatives (2**64 - 1 became -1, hashed as "-1").
        raw = ids.to_numpy(dtype=np.uint64 if ids.dtype.kind == "u" else np.int64)
        big = (raw >= _MAX_INT_ID) if raw.dtype.kind == "u" else (np.abs(raw) >= _MAX_INT_ID)
        values = raw.astype(np.int64)
        if big.any():
            raise _big_ids(ids, big, owner, naming)
        units, starts, lengths = _decimal_units(values)
    else:
        laid_out = _arrow_units(ids)
        if laid_out is None:
            values_list = ids.tolist()
            types = set(map(type, values_list))
            if types and all(issubclass(t, (int, np.integer)) and t is not bool for t in types):
                # Python ints may pass int64 (2**64 - 1): refuse them as the column path
                # does, by their labels, before the cast raises a bare OverflowError.
                huge = np.fromiter(
                    (abs(int(v)) >= _MAX_INT_ID for v in values_list), bool, len(values_list)
                )
                if huge.any():
                    raise _big_ids(ids, huge, owner, naming)
                exact = pd.Series(values_list, dtype=np.int64, index=ids.index, name=ids.name)
                return _first_hash(exact, seed, owner, naming)
            if not types <= {str}:
                mask = np.fromiter(
                    (type(v) is not str for v in values_list), bool, len(values_list)
                )
                if all(t is str or _is_int_type(t) for t in types):
                    raise _mixed_ids(ids, values_list, owner, naming)
                raise _bad_ids(ids, mask, owner, naming=naming)
            laid_out = _string_units(values_list)
        units, starts, lengths = laid_out
        empty = lengths == 0
        if empty.any():
            raise _bad_ids(ids, empty, owner, naming=naming)
    return _ragged_fnv(units, starts, lengths, h_seed)


_SPLIT = 100_000  # the last five digits of h1 are hashed on top of a table of prefixes


def _prefix_table() -> U32:
    """FNV-1a state after the decimal text of every prefix ``h1 // 100000`` (0 unused)."""
    prefixes = np.arange(_MASK // _SPLIT + 1, dtype=np.int64)
    units, starts, lengths = _decimal_units(prefixes)
    return _ragged_fnv(units, starts, lengths, _OFFSET)


_TABLE: list[U32] = []


def _second_hash(h1: U32) -> U32:
    """``fnv1a32(str(h1))`` for every value, vectorised.

    The decimal text of ``h1 >= 100000`` is the text of ``h1 // 100000`` followed by
    exactly five digits, so the hash continues from a table of prefix states (computed
    once) over five fixed positions; the few smaller values take the general path.
    """
    if not _TABLE:
        _TABLE.append(_prefix_table())
    table = _TABLE[0]
    big = h1 >= _SPLIT
    every = bool(big.all())
    hb = h1 if every else h1[big]
    top, low = np.divmod(hb, np.uint32(_SPLIT))
    h = table[top]
    digits = []
    for _ in range(5):  # least significant first
        low, digit = np.divmod(low, np.uint32(10))
        digits.append(digit)
    prime = np.uint32(_PRIME)
    for digit in reversed(digits):
        h ^= digit + np.uint32(48)
        h *= prime
    if every:
        return h
    out = np.empty_like(h1)
    out[big] = h
    small = ~big
    units, starts, lengths = _decimal_units(h1[small].astype(np.int64))
    out[small] = _ragged_fnv(units, starts, lengths, _OFFSET)
    return out


def hash_ids(ids: Any, *, seed: str) -> npt.NDArray[np.float64]:
    """Return :func:`gb_hash` of every id, vectorised (no Python loop per id).

    Args:
        ids: Customer ids: a Series, Index, array or list of non-empty strings, or of
            integers.
        seed: The per-campaign salt, by keyword: :func:`gb_hash` takes ``(seed, value)``
            as GrowthBook does, and a swapped pair would hash silently wrong.

    Returns:
        The buckets in ``[0, 0.9999]`` as a float64 array, in the input order.

    Raises:
        SchemaError: Missing, empty, float or mixed ids.
        InvalidInputError: A DataFrame (pass its id column), or integer ids of 2**53 or
            more. Messages name a Series (or Index) by its name and its rows by their
            labels; a list, an array or an unnamed Series is named ``'ids'``, and the
            rows of a list, array or Index are positions, counted from 0.

    Examples:
        >>> hash_ids(["a", "b"], seed="seed").tolist()
        [0.0505, 0.2696]
        >>> hash_ids([1, 2, 3], seed="my-test").tolist() == [gb_hash("my-test", i) for i in (1, 2, 3)]
        True
        >>> hash_ids(pd.Series(["a", ""], index=["r1", "r2"], name="uid"), seed="seed")
        Traceback (most recent call last):
        ...
        crmkit.errors.SchemaError: hash_ids(): column 'uid' must be non-empty strings or integers (no missing ids); found 1 other values at rows ['r2'].
    """
    owner = "hash_ids()"
    seed = _seed(seed, owner)
    _require_ids(ids, owner, "ids")
    if isinstance(ids, pd.DataFrame):  # it was read for a column "customer" nobody named
        raise InvalidInputError(
            owner, "ids", expected="a Series, Index, array or list of ids",
            found="a DataFrame", kind="", hint="Pass its id column, e.g. frame['customer_id'].",
        )  # fmt: skip
    if len(ids) == 0:
        return np.zeros(0, dtype=np.float64)
    field, naming = _ids_naming(ids)
    series = _id_series(ids, field, None, owner)[field]
    n2 = _second_hash(_first_hash(series, seed, owner, naming))
    return (n2 % 10000).astype(np.float64) / 10000


def _ids_naming(ids: object) -> tuple[str, _Naming]:
    """How :func:`hash_ids` names what it was passed, for messages.

    A Series (or Index) by its name, a list or array (or an unnamed Series) as the
    argument ``ids``; rows are the Series' labels, else positions.
    """
    name = ids.name if isinstance(ids, (pd.Series, pd.Index)) else None
    labelled = isinstance(ids, pd.Series)
    note = "" if labelled else "Rows are positions in ids, counted from 0."
    if name is None or (isinstance(name, str) and not name):
        convert = "ids.astype(str)" if labelled else "[str(i) for i in ids]"
        return "ids", _Naming(
            kind="", convert=f"the ids to one type first, e.g. {convert}", note=note
        )
    convert = "the ids to one type first, e.g. ids.astype(str)"
    return str(name), _Naming(kind="column", convert=convert, note=note)


def _seed(seed: object, owner: str, name: str = "seed") -> str:
    if not isinstance(seed, str) or not seed:
        raise ConfigError(owner, name, expected="a non-empty string", found=repr(seed))
    return seed


def bucket_ranges(control_share: float) -> list[tuple[float, float]]:
    """Return GrowthBook's bucket ranges of control and treatment for ``control_share``.

    The SDK's ``getBucketRanges(2, 1, [control_share, 1 - control_share])``: the ranges
    start where the previous one ends, accumulated in floating point exactly as the SDKs
    do, so the boundaries (and hence the arms) are bit-identical.

    Examples:
        >>> bucket_ranges(0.1)
        [(0, 0.1), (0.1, 1.0)]
    """
    _check_share(control_share, "bucket_ranges()")
    ranges = []
    cumulative: float = 0
    for w in (control_share, 1 - control_share):
        start = cumulative
        cumulative += w
        ranges.append((start, start + 1 * w))
    return ranges


def choose_variation(
    buckets: npt.NDArray[np.float64], ranges: Sequence[tuple[float, float]]
) -> npt.NDArray[np.int64]:
    """Return GrowthBook's ``chooseVariation`` for every bucket: the first range holding it.

    A bucket is in a range when ``start <= bucket < end``; outside every range the
    variation is -1 (not in the experiment).

    Examples:
        >>> choose_variation(np.array([0.2, 0.5, 0.8]), [(0, 0.25), (0.5, 0.75)]).tolist()
        [0, 1, -1]
    """
    out = np.full(buckets.shape, -1, dtype=np.int64)
    for i, (lo, hi) in reversed(list(enumerate(ranges))):
        out[(buckets >= lo) & (buckets < hi)] = i
    return out


def _check_share(share: object, owner: str) -> float:
    if (
        isinstance(share, bool)
        or not isinstance(share, (int, float))
        or not math.isfinite(share)
        or not 0 < share < 1
    ):
        raise ConfigError(
            owner, "control_share", expected="a number in (0, 1), e.g. 0.1", found=repr(share)
        )
    return float(share)


# ------------------------------------------------------------------------------ assign
def _require_ids(customers: object, owner: str, name: str) -> None:
    """Refuse what is not a collection of ids (None, one string, a mapping, a number)."""
    if (
        isinstance(customers, (str, bytes, Mapping))
        or not isinstance(customers, Sized)
        or getattr(customers, "ndim", 1) == 0
    ):
        raise InvalidInputError(
            owner, name, expected="a DataFrame, Series, Index, array or list of customer ids",
            found=type(customers).__name__, kind="",
        )  # fmt: skip


def _id_series(customers: Any, customer: str, strata: str | None, owner: str) -> pd.DataFrame:
    """The ids (and strata) as a frame indexed like the input (lists: by position)."""
    _require_ids(customers, owner, "customers")
    if isinstance(customers, pd.DataFrame):
        need = [customer] + ([strata] if strata is not None else [])
        missing = [c for c in need if c not in customers.columns]
        if missing:
            raise SchemaError(
                owner, missing[0], expected="a column of customers",
                found=f"columns {list(customers.columns)[:10]}",
            )  # fmt: skip
        # ``.array`` keeps the dtypes: a categorical stratum (a lifecycle stage, an RFM
        # segment) stays categorical, so its business order reaches measure()'s segments.
        frame = pd.DataFrame(
            {c: customers[c].array for c in need},
            index=customers.index,  # messages name the caller's labels
        )
    else:
        if strata is not None:
            raise ConfigError(
                owner, "strata", expected="None when customers is not a DataFrame",
                found=repr(strata),
            )  # fmt: skip
        labels = customers.index if isinstance(customers, pd.Series) else None
        if isinstance(customers, (pd.Series, pd.Index)):
            values: Any = customers.array
        else:
            values = np.asarray(customers)
            if values.dtype.kind not in "iu":
                values = np.empty(len(values), dtype=object)
                values[:] = list(customers)
        frame = pd.DataFrame({customer: pd.Series(values, index=labels, copy=False)})
    if frame.empty:
        raise InvalidInputError(owner, customer, expected="at least one customer", found="none")
    if strata is not None and frame[strata].isna().any():
        bad = frame[strata].isna().to_numpy()
        raise InvalidInputError(
            owner, strata, expected="a stratum for every customer",
            found=f"{int(bad.sum())} missing", rows=first_labels(frame.index, bad),
            total=int(bad.sum()),
        )  # fmt: skip
    return frame


def _repeated_hashes(h: U32) -> npt.NDArray[np.bool_]:
    """Mark where ``h`` holds a value that occurs more than once.

    One sort, then a binary search for the few repeated values.
    """
    ranked = np.sort(h)
    same = ranked[1:] == ranked[:-1]
    if not same.any():
        return np.zeros(h.size, dtype=bool)
    values = np.unique(ranked[1:][same])
    at = np.minimum(np.searchsorted(values, h), values.size - 1)
    return np.asarray(values[at] == h)


def _check_unique(ids: pd.Series, h1: U32, owner: str) -> None:
    """Refuse repeated ids; only ids whose 32-bit hash repeats are compared.

    Repeated ids have equal hashes, and a million ids have about a hundred random
    collisions, so the exact comparison touches only a few rows.
    """
    suspects = _repeated_hashes(h1)
    if not suspects.any():
        return
    dup = np.zeros(len(ids), dtype=bool)
    dup[suspects] = ids[suspects].duplicated().to_numpy()
    if dup.any():
        raise InvalidInputError(
            owner, _name(ids), expected="unique customer ids", found=f"{int(dup.sum())} repeats",
            rows=first_labels(ids.index, dup), total=int(dup.sum()),
        )  # fmt: skip


def assign(
    customers: Any,
    *,
    campaign: str,
    control_share: float = 0.1,
    strata: str | None = None,
    customer: str = "customer_id",
) -> pd.DataFrame:
    """Assign customers to control or treatment, deterministically, without storing anything.

    Without ``strata`` each customer's arm depends only on its id and the campaign (the
    GrowthBook v2 hash, see the module notes): the same customer is in the same arm on
    every run, whatever the order of the rows or who else is in the list, and an app that
    buckets users with a GrowthBook experiment (key or seed = ``campaign``,
    ``hashVersion`` 2, weights ``[control_share, 1 - control_share]``) gets the same arms.

    With ``strata`` (a column, e.g. the lifecycle stage or RFM segment) every stratum gets
    exactly ``round(control_share * n)`` control customers (halves up): the customers of a
    stratum are ranked by their hash (bucket, then the full 32-bit hash, then the id) and
    the lowest ranks are control. Still deterministic and independent of row order, but a
    customer's arm then depends on who else is in the stratum, so it is no longer the
    GrowthBook arm.

    Args:
        customers: A DataFrame with the ``customer`` column (and ``strata``), or a
            Series, Index, array or list of ids (non-empty strings or integers). Or a
            Dask DataFrame (or Series) of them (the ``dask`` extra): the result is then a
            lazy Dask DataFrame of the same rows and columns, each partition assigned
            where it lies (the arm depends on the id alone); with ``strata`` the rows are
            first shuffled so that each stratum sits in one partition (its quota needs
            all its customers; a stratum must fit in a worker's memory), and the rows
            come back grouped by stratum. Checks that need every row are done per
            partition: repeated ids are refused within a partition (a stratum with
            ``strata``), not across partitions, and an empty frame gives an empty result.
        campaign: The campaign name, used as the hash seed (salt).
        control_share: The share held out as control, in (0, 1).
        strata: Optional column of ``customers`` to stratify by.
        customer: The id column.

    Returns:
        Indexed by customer id (in the input order): ``arm`` (categorical
        ``["control", "treatment"]``), ``bucket`` (the hash in [0, 1)) and the stratum
        column when given, with its dtype (a categorical stays categorical). ``attrs`` holds ``campaign``, ``control_share``, ``strata``
        and ``hash`` (``"growthbook-v2"``); on Dask input every partition carries them,
        so the computed frame does too.

    Raises:
        SchemaError: Missing columns, or ids that are not non-empty strings or integers.
        InvalidInputError: Repeated ids, missing strata, no customers.
        ConfigError: A bad ``campaign`` or ``control_share``.

    Examples:
        >>> out = assign(["1", "2", "3", "4"], campaign="my-test", control_share=0.5)
        >>> out["arm"].tolist()
        ['control', 'control', 'treatment', 'control']
        >>> out["bucket"].tolist()
        [0.1871, 0.1707, 0.8351, 0.103]
    """
    owner = "assign()"
    seed = _seed(campaign, owner, "campaign")
    share = _check_share(control_share, owner)
    if is_dask(customers):
        # A lazy Dask DataFrame of the same rows and columns (typed as its pandas result).
        lazy: pd.DataFrame = _assign_dask(
            customers, seed=seed, share=share, strata=strata, customer=customer
        )
        return lazy
    frame = _id_series(customers, customer, strata, owner)
    ids = frame[customer]
    h1 = _first_hash(ids, seed, owner)
    h2 = _second_hash(h1)
    _check_unique(ids, h1, owner)
    bucket = (h2 % 10000).astype(np.float64) / 10000
    if strata is None:
        control = choose_variation(bucket, bucket_ranges(share)) == 0
    else:
        control = _stratified(ids, frame[strata].to_numpy(), h1, h2, share)
    codes = np.where(control, 0, 1).astype(np.int8)
    return _assignment(
        frame, codes, bucket, seed=seed, share=share, strata=strata, customer=customer
    )


def _assignment(
    frame: pd.DataFrame,
    codes: npt.NDArray[np.int8],
    bucket: npt.NDArray[np.float64],
    *,
    seed: str,
    share: float,
    strata: str | None,
    customer: str,
) -> pd.DataFrame:
    """The result frame of :func:`assign` (also the empty one of an empty Dask partition)."""
    out = pd.DataFrame(
        {"arm": pd.Categorical.from_codes(codes, dtype=_ARM_DTYPE), "bucket": bucket},
        index=pd.Index(frame[customer].array, name=customer, copy=False),
    )
    if strata is not None:
        out[strata] = frame[strata].array  # by position; the dtype (categorical) is kept
    out.attrs.update(campaign=seed, control_share=share, strata=strata, hash="growthbook-v2")
    return out


# --------------------------------------------------------------------- assign() on Dask
def _assign_partition(
    part: pd.DataFrame, *, seed: str, share: float, strata: str | None, customer: str
) -> pd.DataFrame:
    """:func:`assign` on one Dask partition; an empty one gives an empty frame (picklable)."""
    if len(part) == 0:
        codes = np.zeros(0, dtype=np.int8)
        bucket = np.zeros(0, dtype=np.float64)
        return _assignment(
            part, codes, bucket, seed=seed, share=share, strata=strata, customer=customer
        )
    return assign(part, campaign=seed, control_share=share, strata=strata, customer=customer)


def _assign_dask(
    customers: Any, *, seed: str, share: float, strata: str | None, customer: str
) -> Any:
    """:func:`assign` on a Dask DataFrame (or Series) of customers: a lazy Dask DataFrame.

    Without strata every row's arm depends on its id alone, so each partition is assigned
    where it lies. With strata a stratum's quota needs all its customers: the rows are
    shuffled so that each stratum sits in one partition, which is then assigned as a
    whole (exactly the pandas figures; a stratum must fit in one worker's memory).
    """
    owner = "assign()"
    if isinstance(customers._meta, pd.Series):  # a Dask Series of ids
        if strata is not None:
            raise ConfigError(
                owner, "strata", expected="None when customers is not a DataFrame",
                found=repr(strata),
            )  # fmt: skip
        customers = customers.to_frame(name=customer)
    need = [customer] + ([strata] if strata is not None else [])
    require_dask_columns(customers, owner, need)
    func = functools.partial(
        _assign_partition, seed=seed, share=share, strata=strata, customer=customer
    )
    if strata is not None:
        return map_by_key(customers, strata, need, func, owner=owner, ids=False)
    selected = customers[need]
    return selected.map_partitions(func, meta=func(selected._meta))


def _stratified(
    ids: pd.Series, stratum: npt.NDArray[Any], h1: U32, h2: U32, share: float
) -> npt.NDArray[np.bool_]:
    keys = pd.DataFrame(
        {"s": stratum, "b": h2 % 10000, "h2": h2, "h1": h1, "id": ids.astype(str).to_numpy()}
    )
    order = keys.sort_values(["s", "b", "h2", "h1", "id"], kind="stable").index.to_numpy()
    sorted_s = keys["s"].to_numpy()[order]
    rank = pd.Series(sorted_s).groupby(sorted_s, sort=False).cumcount().to_numpy()
    size = pd.Series(sorted_s).groupby(sorted_s, sort=False).transform("size").to_numpy()
    quota = np.floor(share * size + 0.5)
    control = np.empty(len(ids), dtype=bool)
    control[order] = rank < quota
    return control


# --------------------------------------------------------------------------------- SRM
@attrs.frozen
class SRMResult:
    """A sample-ratio-mismatch check: do the arm counts fit the intended shares?

    Attributes:
        counts: Customers per arm.
        expected: Expected customers per arm under the intended shares.
        statistic: Pearson's chi-square.
        df: Degrees of freedom (arms - 1).
        p_value: The goodness-of-fit p-value.
        threshold: The alarm level (0.001 by default: a mismatch means the assignment or
            the data pipeline is broken, so only very small p-values alarm).
        mismatch: ``p_value < threshold``.
        method: ``"chi-square goodness of fit"``.

    Examples:
        >>> r = srm_check({"control": 1080, "treatment": 8920}, control_share=0.1)
        >>> round(r.p_value, 4), r.mismatch
        (0.0077, False)
    """

    counts: dict[str, int]
    expected: dict[str, float]
    statistic: float
    df: int
    p_value: float
    threshold: float
    mismatch: bool
    method: str = "chi-square goodness of fit"

    def to_dict(self) -> dict[str, Any]:
        """Return the result as plain JSON types.

        Examples:
            >>> srm_check({"control": 10, "treatment": 90}, control_share=0.1).to_dict()["p_value"]
            1.0
        """
        return attrs.asdict(self)


def _arm_counts(counts: object, owner: str) -> dict[str, int]:
    """``{"control": n, "treatment": m}`` checked: both arms, whole counts, no other keys."""
    expected = "a DataFrame with an 'arm' column, or {'control': n, 'treatment': m}"
    if not isinstance(counts, Mapping):
        raise InvalidInputError(
            owner, "assignment", expected=expected, found=type(counts).__name__, kind=""
        )
    if set(counts) != set(ARMS):
        raise InvalidInputError(
            owner, "assignment", expected=expected, found=f"keys {sorted(map(str, counts))}",
            kind="",
        )  # fmt: skip
    for arm in ARMS:
        n = counts[arm]
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or not 0 <= n <= 2**53:
            raise InvalidInputError(
                owner, f"assignment[{arm!r}]", expected="a whole count from 0 to 2**53",
                found=repr(n), kind="",
            )  # fmt: skip
    return {arm: int(counts[arm]) for arm in ARMS}


def srm_check(
    assignment: pd.DataFrame | dict[str, int],
    *,
    control_share: float | None = None,
    threshold: float = 0.001,
) -> SRMResult:
    """Check an assignment for sample-ratio mismatch (Fabijan et al., KDD 2019).

    Args:
        assignment: The output of :func:`assign` (or any frame with an ``arm`` column),
            or the counts per arm as ``{"control": n, "treatment": m}``.
        control_share: The intended control share; default the assignment's own
            (``attrs["control_share"]``).
        threshold: Alarm when the p-value is below it.

    Returns:
        An :class:`SRMResult`.

    Raises:
        ConfigError: No intended share, or a bad threshold.

    Examples:
        >>> a = assign([f"c{i}" for i in range(2000)], campaign="spring", control_share=0.2)
        >>> srm_check(a).mismatch
        False
    """
    owner = "srm_check()"
    if isinstance(assignment, pd.DataFrame):
        if "arm" not in assignment.columns:
            raise SchemaError(owner, "arm", expected="a column of arms", found="no such column")
        arm = assignment["arm"]
        other = ~arm.isin(ARMS).to_numpy(dtype=bool)  # missing arms included
        if other.any():
            raise InvalidInputError(
                owner, "arm", expected="'control' or 'treatment' in every row",
                found=f"{int(other.sum())} other values", rows=first_labels(assignment.index, other),
                total=int(other.sum()),
            )  # fmt: skip
        counts = {a: int((arm == a).sum()) for a in ARMS}
        if control_share is None:
            control_share = assignment.attrs.get("control_share")
    else:
        counts = _arm_counts(assignment, owner)
    if sum(counts.values()) == 0:
        raise InvalidInputError(
            owner, "assignment", expected="at least one customer", found="none", kind=""
        )
    if control_share is None:
        raise ConfigError(
            owner, "control_share", expected="the intended share", found="None",
            hint="Pass control_share= when the assignment does not carry it in attrs.",
        )  # fmt: skip
    share = _check_share(control_share, owner)
    if not 0 < threshold < 1:
        raise ConfigError(owner, "threshold", expected="a number in (0, 1)", found=repr(threshold))
    observed = [counts[a] for a in ARMS]
    stat, df, p = _stats.chi_square_gof(observed, [share, 1 - share])
    total = sum(observed)
    expected = {"control": total * share, "treatment": total * (1 - share)}
    return SRMResult(counts, expected, stat, df, p, threshold, p < threshold)
