"""Shared helpers for running segmentation functions on Dask DataFrames.

Dask is optional (the ``dask`` extra) and heavy to import, so nothing here imports it at
module level: :func:`is_dask` recognises a Dask collection by its type's module, and the
helpers that build task graphs import ``dask`` only when they are called with one.

Per-customer work partitions cleanly: :func:`map_by_key` shuffles the rows so that every
customer's rows land in one partition, then applies a pandas function to each partition.
The function travels to the workers by pickle, so it must be a module-level function or a
:func:`functools.partial` of one (no lambdas, no closures).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import pandas as pd

from crmkit._validate import first_labels, lookalike_ids_error
from crmkit.errors import SchemaError

__all__ = [
    "computed",
    "is_dask",
    "map_by_key",
    "per_partition",
    "refuse_lookalike_ids_dask",
    "require_dask_columns",
]


def is_dask(obj: object) -> bool:
    """Tell whether ``obj`` is a Dask DataFrame, without importing Dask.

    >>> import pandas as pd
    >>> is_dask(pd.DataFrame({"a": [1]}))
    False
    """
    module = type(obj).__module__
    return module.startswith("dask.") and hasattr(obj, "map_partitions")


def require_dask_columns(
    ddf: Any,
    owner: str,
    columns: Sequence[str],
    *,
    datetime: str | None = None,
) -> None:
    """Check a Dask DataFrame's schema from its metadata (no computation).

    Missing columns are :class:`~crmkit.errors.SchemaError`; so is a ``datetime`` column
    whose dtype is not datetime64 (parsing strings would need a pass over the data, so on
    Dask the caller parses first, e.g. with ``dask.dataframe.to_datetime``).
    """
    meta: pd.DataFrame = ddf._meta
    for column in columns:
        if column not in meta.columns:
            raise SchemaError(
                owner,
                column,
                expected="present",
                found=f"columns {list(meta.columns)[:20]}",
                hint="Name it with the keyword argument for that column.",
            )
    if datetime is not None:
        dtype = meta[datetime].dtype
        if not (isinstance(dtype, pd.DatetimeTZDtype) or pd.api.types.is_datetime64_dtype(dtype)):
            raise SchemaError(
                owner,
                datetime,
                expected="a datetime64 column on Dask input",
                found=f"dtype {dtype}",
                hint="Parse it first, e.g. ddf[col] = dask.dataframe.to_datetime(ddf[col]).",
            )


def computed(*values: Any) -> tuple[Any, ...]:
    """Compute several lazy Dask values in one pass over the data."""
    import dask.base

    compute: Callable[..., tuple[Any, ...]] = dask.base.compute
    return tuple(compute(*values))


def map_by_key(
    ddf: Any,
    key: str,
    columns: Sequence[str],
    func: Callable[[pd.DataFrame], pd.DataFrame],
    *,
    owner: str,
    ids: bool = True,
) -> Any:
    """Shuffle ``ddf`` so each ``key`` value sits in one partition, then apply ``func``.

    ``func`` takes a pandas DataFrame (one partition, possibly empty) and returns the
    per-key result for it; it is called once on the empty metadata frame to learn the
    output schema, so it must accept zero rows. Returns a Dask DataFrame with one row per
    key, in no particular order across partitions.

    With ``ids`` (the key is a customer or member id), ids written as two types (``1``
    and ``"1"``) would hash to different partitions, where the pandas readers cannot see
    both: they are refused first, for ``owner`` (:func:`refuse_lookalike_ids_dask`).
    Keys of several types (``7`` and ``"x"``; any, when ``ids`` is false, as for
    strata) are shuffled by tasks: the distributed scheduler's default (peer-to-peer,
    through Arrow) cannot move a column of two types.
    """
    if ids:
        mixed = refuse_lookalike_ids_dask(ddf, key, owner)
    else:
        mixed = _of_several_types(ddf[[key]], key)
    selected = ddf[list(columns)]
    meta = func(selected._meta)
    shuffled = selected.shuffle(on=key, shuffle_method="tasks" if mixed else None)
    return shuffled.map_partitions(func, meta=meta)


def per_partition(
    func: Callable[..., Any], ddf: Any, other: Any = None, **options: Any
) -> list[Any]:
    """``func(part, other_part, **options)`` on every partition, computed in one pass.

    Returns the list of results (any picklable Python objects, e.g. a few counts or a
    small frame of per-group sums), one per partition, for the caller to add up.
    ``other`` is None (``func`` gets None) or a Dask DataFrame with as many partitions as
    ``ddf``, e.g. both shuffled on the same key into the same number of partitions, so
    that partition ``i`` of both holds the same keys. ``func`` travels by pickle.
    """
    import dask.base
    from dask.delayed import delayed as _delayed

    delayed: Callable[..., Any] = _delayed
    compute: Callable[..., tuple[Any, ...]] = dask.base.compute
    parts = ddf.to_delayed()
    others = other.to_delayed() if other is not None else [None] * len(parts)
    if len(others) != len(parts):
        raise ValueError("per_partition(): both frames need the same number of partitions")
    tasks = [delayed(func)(a, b, **options) for a, b in zip(parts, others, strict=True)]
    return list(compute(*tasks))


def refuse_lookalike_ids_dask(ddf: Any, column: str, owner: str) -> bool:
    """Refuse ids written as two types (``1`` and ``"1"``) anywhere in a Dask column.

    Returns whether the column holds ids of several types (that read differently).

    The Dask counterpart of :func:`crmkit._validate.refuse_lookalike_ids`, with the same
    message. A shuffle by id sends ``1`` and ``"1"`` to different partitions, where the
    pandas readers each see only one of them, so the check looks across partitions.

    Only a column whose dtype holds objects (``object``) can mix types: numeric and
    string columns cost nothing. Otherwise one pass gives each partition's inferred type
    of ids (computed in C); only when types mix is each partition's set of distinct ids
    compared as text, and the rows of a clash counted.

    Two sources stacked, one read with numeric ids and one with text ids:

    >>> import pandas as pd
    >>> import dask.dataframe as dd
    >>> numbers = dd.from_pandas(pd.DataFrame({"id": [1, 2]}), npartitions=1)
    >>> texts = dd.from_pandas(pd.DataFrame({"id": ["1", "x"]}, index=[2, 3]), npartitions=1)
    >>> refuse_lookalike_ids_dask(dd.concat([numbers, texts]), "id", "f()")
    Traceback (most recent call last):
    ...
    crmkit.errors.InvalidInputError: f(): column 'id' must be ids of one type; found 1 id written as two types (int and str) at rows [0, 2]. Convert the column to one type first, e.g. frame['id'].astype(str).
    """
    ids = ddf[[column]]
    if not _of_several_types(ids, column):
        return False
    seen = pd.concat(per_partition(_typed_texts, ids, column=column)).drop_duplicates()
    clash = seen[seen["text"].duplicated(keep=False)]
    if clash.empty:
        return len(set(seen["type"])) > 1
    texts = frozenset(clash["text"])
    first = clash["text"].iloc[0]
    found = per_partition(_clash_rows, ids, column=column, texts=texts)
    rows = [label for labels, _ in found for label in labels][:5]
    raise lookalike_ids_error(
        owner,
        column,
        n_ids=len(texts),
        kinds=clash.loc[clash["text"] == first, "type"],
        rows=rows,
        total=sum(count for _, count in found),
    )


def _of_several_types(ddf: Any, column: str) -> bool:
    """Whether a Dask column may hold values of several types (one pass, only for objects).

    A column of numbers or strings (by its dtype) answers without computing anything;
    an ``object`` column by each partition's inferred type (computed in C).
    """
    if ddf._meta[column].dtype != object:
        return False
    inferred = {kind for kind in per_partition(_inferred, ddf, column=column) if kind != "empty"}
    return len(inferred) > 1 or any(kind.startswith("mixed") for kind in inferred)


def _inferred(part: pd.DataFrame, _: None, *, column: str) -> str:
    """The inferred type of a partition's ids (``"empty"`` for none)."""
    return str(pd.api.types.infer_dtype(part[column], skipna=True))


def _typed_texts(part: pd.DataFrame, _: None, *, column: str) -> pd.DataFrame:
    """A partition's distinct ids as text beside their type's name."""
    values = pd.unique(part[column].dropna().to_numpy(dtype=object))
    return pd.DataFrame(
        {
            "text": [str(v) for v in values],
            "type": [type(v).__name__ for v in values],
        },
        dtype=object,
    )


def _clash_rows(
    part: pd.DataFrame, _: None, *, column: str, texts: frozenset[str]
) -> tuple[list[Any], int]:
    """The first labels of a partition's rows whose id reads as one of ``texts``, and their count."""
    values = part[column]
    hit = values.notna().to_numpy() & values.map(str).isin(texts).to_numpy()
    return first_labels(part.index, hit), int(hit.sum())
