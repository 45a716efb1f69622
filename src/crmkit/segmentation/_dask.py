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

from crmkit.errors import SchemaError

__all__ = ["computed", "is_dask", "map_by_key", "per_partition", "require_dask_columns"]


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
) -> Any:
    """Shuffle ``ddf`` so each ``key`` value sits in one partition, then apply ``func``.

    ``func`` takes a pandas DataFrame (one partition, possibly empty) and returns the
    per-key result for it; it is called once on the empty metadata frame to learn the
    output schema, so it must accept zero rows. Returns a Dask DataFrame with one row per
    key, in no particular order across partitions.
    """
    selected = ddf[list(columns)]
    meta = func(selected._meta)
    shuffled = selected.shuffle(on=key)
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
