"""Plain JSON types for result objects: one converter shared by every subpackage.

Results (not rules: rules use the spec layer) turn into what
``json.dumps(..., allow_nan=False)`` takes: exact values (``Decimal``, ``Fraction``) as
text, instants as ISO 8601 text (with their offset when aware), durations in seconds,
NaN and infinities as ``None``, nested results as dicts. :class:`ResultDict` gives a
frozen attrs result a ``to_dict()`` built from its fields.
"""

from __future__ import annotations

import datetime as dt
import math
import numbers
from collections.abc import Callable, Mapping
from decimal import Decimal
from fractions import Fraction
from typing import Any, cast

import attrs
import numpy as np
import pandas as pd

__all__ = ["ResultDict", "json_ready"]


def json_ready(value: Any, default: Callable[[Any], Any] | None = None) -> Any:
    """Return ``value`` as plain JSON types (what ``json.dumps(..., allow_nan=False)`` takes).

    Result values only, never rules (rules use the spec layer): nested attrs results
    become dicts; tuples, lists and sets become lists (sets sorted); ``Fraction`` becomes
    its exact text ``"-500/11"``; ``Decimal`` its text; DataFrames
    ``{"index", "columns", "data"}`` (rows of values) and Series ``{"index", "data"}``; ``timedelta`` seconds (float);
    dates, datetimes and times ISO text; numpy scalars Python numbers; NaN, infinities
    and missing markers (``NaT``, ``pd.NA``) ``None`` (JSON has none; an unbounded interval
    end reads as "no bound"). A value with no JSON form is a ``TypeError``, or
    ``default(value)`` when ``default`` is given (as in :func:`json.dumps`).

    Examples:
        >>> from fractions import Fraction
        >>> json_ready({"exact": Fraction(-500, 11), "bounds": (1.5, float("inf")), "s": {5, 4}})
        {'exact': '-500/11', 'bounds': [1.5, None], 's': [4, 5]}
        >>> import pandas as pd
        >>> json_ready(pd.DataFrame({"n": [3, 1]}, index=pd.period_range("2025-01", periods=2, freq="M")))
        {'index': ['2025-01', '2025-02'], 'columns': ['n'], 'data': [[3], [1]]}
        >>> import numpy as np
        >>> json_ready([np.bool_(True), pd.NA, object()], default=lambda v: "other")
        [True, None, 'other']
    """
    if value is None or isinstance(value, (bool, str)):
        return value
    if value is pd.NaT or value is pd.NA:
        return None
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, pd.DataFrame):
        # Tables keep their shape: row labels, column labels, rows of values.
        return {
            "index": [json_ready(v, default) for v in value.index],
            "columns": [json_ready(v, default) for v in value.columns],
            "data": [
                [json_ready(v, default) for v in row] for row in value.itertuples(index=False)
            ],
        }
    if isinstance(value, pd.Series):
        return {
            "index": [json_ready(v, default) for v in value.index],
            "data": [json_ready(v, default) for v in value.tolist()],
        }
    if isinstance(value, (pd.Period, pd.Interval)):
        return str(value)
    if isinstance(value, np.ndarray):
        return [json_ready(v, default) for v in value.tolist()]
    if isinstance(value, Fraction):
        return str(value)
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        f = float(value)
        return f if math.isfinite(f) else None
    if isinstance(value, dt.timedelta):
        return value.total_seconds()
    if isinstance(value, (dt.date, dt.datetime, dt.time)):
        return value.isoformat()
    if hasattr(value, "to_dict") and attrs.has(type(value)):
        return value.to_dict()
    if isinstance(value, Mapping):
        return {str(k): json_ready(v, default) for k, v in value.items()}
    if isinstance(value, (set, frozenset)):
        return [json_ready(v, default) for v in sorted(value)]
    if isinstance(value, (list, tuple)):
        return [json_ready(v, default) for v in value]
    if isinstance(value, np.datetime64):
        return None if np.isnat(value) else pd.Timestamp(value).isoformat()
    if default is not None:
        return default(value)
    raise TypeError(f"json_ready(): no JSON form for {type(value).__name__}")


class ResultDict:
    """Mixin for frozen result classes: :meth:`to_dict` gives plain JSON types.

    Examples:
        >>> import attrs, datetime as dt
        >>> @attrs.frozen
        ... class Window(ResultDict):
        ...     start: dt.datetime
        ...     length: dt.timedelta
        >>> Window(dt.datetime(2025, 1, 1, tzinfo=dt.UTC), dt.timedelta(hours=2)).to_dict()
        {'start': '2025-01-01T00:00:00+00:00', 'length': 7200.0}
    """

    __slots__ = ()

    def to_dict(self) -> dict[str, Any]:
        """Return every field as plain JSON types (see :func:`json_ready`).

        Rule objects inside a result (e.g. the NPS scheme) are written with their own
        ``to_dict``; the result itself carries no ``schema_version`` (results are outputs,
        not stored rules, and are not read back).

        Examples:
            >>> import json
            >>> from crmkit.service import csat
            >>> d = csat({5: 40, 4: 30, 3: 10, 2: 5, 1: 15}).to_dict()
            >>> d["value"], d["interval"]["method"], d["positive"]
            (70.0, 'wilson', [4, 5])
            >>> json.loads(json.dumps(d, allow_nan=False)) == d
            True
        """
        cls = cast("type[attrs.AttrsInstance]", type(self))
        return {a.name: json_ready(getattr(self, a.name)) for a in attrs.fields(cls)}
