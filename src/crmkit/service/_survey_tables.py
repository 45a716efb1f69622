"""Comparisons and tables of satisfaction metrics: two groups, many groups, trends.

:func:`compare_nps` and :func:`compare_proportions` test two independent groups;
:func:`compare_groups` compares every group with a baseline (Holm-adjusted);
:func:`metric_table` computes a metric per group and period from grouped sums, with
exactly the statistics of the one-group functions.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Sequence
from typing import Any, Literal

import attrs
import numpy as np
import pandas as pd

from crmkit import _stats
from crmkit._spec import check_choice
from crmkit._stats import _check_level
from crmkit._validate import datetime_column, require_columns, require_frame
from crmkit.errors import ConfigError, InvalidInputError
from crmkit.segmentation._dask import is_dask, per_partition
from crmkit.service._csat_ces import (
    ScaleSums,
    ces,
    csat,
    scale_reasons,
    scale_statistics,
    scale_sums,
)
from crmkit.service._nps import (
    NPS_METHODS,
    NpsSums,
    nps,
    nps_codes,
    nps_reasons,
    nps_statistics,
    nps_sums,
)
from crmkit.service._survey_input import (
    DEFAULT,
    Default,
    NpsScheme,
    Parsed,
    SurveyOptions,
    check_boot,
    check_method,
    check_min_n,
    fpc_factor,
    parse,
    resolve_options,
)
from crmkit.service._survey_results import (
    Interval,
    NpsComparison,
    NpsResult,
    ProportionComparison,
    ScaleResult,
)

__all__ = ["compare_groups", "compare_nps", "compare_proportions", "metric_table"]

FloatArray = np.ndarray[Any, np.dtype[np.float64]]


def compare_nps(
    a: NpsResult, b: NpsResult, *, method: str = "adjusted_wald", level: float = 0.95
) -> NpsComparison:
    """Compare two independent NPS results (Rocks ``nps_test``; MeasuringU).

    ``z = (NPS_a - NPS_b) / sqrt(Var_a / n_a + Var_b / n_b)``. With
    ``method="adjusted_wald"`` (default) both groups get 3/4 detractor, 3/2 passive and
    3/4 promoter added first (n + 3), and the interval is centred on the adjusted
    difference; ``"wald"`` uses the raw counts. Weighted results use their effective
    counts. The interval's method is ``"wald"`` or ``"adjusted_wald"``.

    Args:
        a: First result (e.g. this month).
        b: Second result (e.g. last month).
        method: ``"adjusted_wald"`` or ``"wald"``.
        level: Two-sided confidence level.

    Returns:
        An :class:`NpsComparison`.

    Examples:
        >>> from crmkit.service import nps_from_counts
        >>> c = compare_nps(nps_from_counts(10, 22, 68), nps_from_counts(20, 15, 65))
        >>> round(c.difference), c.interval.method
        (13, 'adjusted_wald')
    """
    owner = "compare_nps()"
    check_choice(method, ("wald", "adjusted_wald"), owner, "method")
    level = _check_level(level, owner)
    for name, r in (("a", a), ("b", b)):
        if not isinstance(r, NpsResult):
            raise ConfigError(owner, name, expected="an NpsResult", found=type(r).__name__)
    if a.value is None or b.value is None:
        return NpsComparison(
            None, None, 0.0, 1.0, None, method, a.n, b.n, "a group has no responses"
        )

    def parts(r: NpsResult) -> tuple[float, float]:
        n_eff = r.n_effective
        p, d = r.shares["promoters"] / 100, r.shares["detractors"] / 100
        fpc = float(fpc_factor(np.array([float(r.n)]), r.population_size, owner)[0])
        if method == "wald":
            return p - d, (r.se / 100) ** 2 if r.se is not None else 0.0
        centre, var_t, n_t = _stats.adjusted_nps(p, d, n_eff)
        return centre, var_t / n_t * fpc

    va, vara = parts(a)
    vb, varb = parts(b)
    se = math.sqrt(vara + varb)
    centre = va - vb
    z_crit = _stats.z_value(level)
    difference = a.value - b.value
    if se == 0:
        reason = "zero standard error (both groups all in one category): no test"
        interval = Interval(difference, difference, level, method)
        return NpsComparison(difference, 0.0, 0.0, 1.0, interval, method, a.n, b.n, reason)
    z = centre / se
    p_value = min(1.0, 2 * float(_stats.normal_sf(abs(z))))
    # As for one score (see nps()): an adjusted interval, centred on the shrunken
    # difference, is extended to hold the observed difference where it would miss it.
    interval = Interval(
        max(-200.0, min((centre - z_crit * se) * 100, difference)),
        min(200.0, max((centre + z_crit * se) * 100, difference)),
        level,
        method,
    )
    return NpsComparison(difference, se * 100, z, p_value, interval, method, a.n, b.n, None)


def _pair(obj: Any, owner: str, name: str) -> tuple[float, float, bool]:
    if isinstance(obj, ScaleResult):
        if obj.weighted and obj.value is not None:
            return obj.value / 100 * obj.n_effective, obj.n_effective, True
        return float(obj.positives), float(obj.n), False
    if (
        isinstance(obj, tuple)
        and len(obj) == 2
        and all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in obj)
    ):
        return float(obj[0]), float(obj[1]), False
    raise ConfigError(
        owner,
        name,
        expected="a (successes, n) tuple of ints or a ScaleResult",
        found=type(obj).__name__,
    )


def compare_proportions(a: Any, b: Any, *, level: float = 0.95) -> ProportionComparison:
    """Compare two independent shares (CSAT top box, CES agree, FCR, SLA attainment).

    The interval is Newcombe's hybrid score interval (method 10); the test is the score
    (pooled) z test. Weighted :class:`ScaleResult` inputs use their effective counts.

    Args:
        a: ``(successes, n)`` or a :class:`ScaleResult`.
        b: ``(successes, n)`` or a :class:`ScaleResult`.
        level: Two-sided confidence level.

    Returns:
        A :class:`ProportionComparison`.

    Examples:
        >>> c = compare_proportions(csat({5: 40, 4: 30, 1: 30}), csat({5: 30, 4: 30, 1: 40}))
        >>> round(c.difference), round(c.p_value, 3)
        (10, 0.138)
    """
    owner = "compare_proportions()"
    level = _check_level(level, owner)
    x1, n1, f1 = _pair(a, owner, "a")
    x2, n2, f2 = _pair(b, owner, "b")
    if n1 == 0 or n2 == 0:
        return ProportionComparison(
            None, None, 0.0, 1.0, (x1, n1), (x2, n2), "a group has no responses"
        )
    fractional = f1 or f2
    if not fractional and (x1 > n1 or x2 > n2 or min(x1, x2) < 0):
        raise InvalidInputError(
            owner,
            "a, b",
            expected="0 <= successes <= n",
            found=f"{(x1, n1)} and {(x2, n2)}",
            kind="parameters",
        )
    lo, hi = _stats.newcombe_interval(x1, n1, x2, n2, level, fractional=fractional)
    z, p = _stats.two_proportion_score_test(x1, n1, x2, n2, fractional=fractional)
    reason = None
    if (x1 + x2) in (0, n1 + n2):
        reason = "both groups all on one side: the score test is undefined (p = 1)"
    return ProportionComparison(
        (x1 / n1 - x2 / n2) * 100,
        Interval(lo * 100, hi * 100, level, "newcombe"),
        float(z),
        float(p),
        (x1, n1),
        (x2, n2),
        reason,
    )


_METRICS = ("nps", "csat", "csat_mean", "ces", "ces_mean")


def _column_default(metric: str) -> str:
    return metric.partition("_")[0]


def _prepare_groups(
    responses: pd.DataFrame,
    by: Sequence[str],
    freq: str | None,
    date: str,
    owner: str,
    *,
    date_format: str | None = None,
    date_unit: str | None = None,
) -> tuple[pd.DataFrame, list[str]]:
    keys = list(by)
    frame = pd.DataFrame(index=responses.index)
    for key in keys:
        frame[key] = responses[key]
    if freq is not None:
        # The one date reader: datetime64 in any unit, Arrow timestamps, ISO strings;
        # other formats with date_format=, epoch numbers with date_unit=; NaT refused.
        dates = datetime_column(
            responses, date, owner, date_format=date_format, date_unit=date_unit
        )
        if getattr(dates.dt, "tz", None) is not None:
            dates = dates.dt.tz_localize(None)
        try:
            frame["period"] = dates.dt.to_period(freq)
        except (ValueError, TypeError) as exc:
            raise ConfigError(
                owner,
                "freq",
                expected="a pandas period alias such as 'M', 'Q', 'W'",
                found=repr(freq),
            ) from exc
        keys.append("period")
    return frame, keys


def _group_codes(
    frame: pd.DataFrame, keys: list[str]
) -> tuple[np.ndarray[Any, np.dtype[np.int64]], pd.DataFrame]:
    """Group number per row and the sorted group keys (as ``groupby(sort=True)``), fast.

    Each key is factorised in sorted order (categoricals in category order, missing last),
    the codes are combined into one integer and the observed combinations numbered.
    """
    codes, uniques = [], []
    for key in keys:
        c, u = pd.factorize(frame[key], sort=True, use_na_sentinel=False)
        codes.append(np.asarray(c, dtype=np.int64))
        uniques.append(u)
    dims = [max(len(u), 1) for u in uniques]
    combined = np.zeros(len(frame), dtype=np.int64)
    for c, d in zip(codes, dims, strict=True):
        combined = combined * d + c
    observed, inverse = np.unique(combined, return_inverse=True)
    parts: dict[str, Any] = {}
    rest = observed
    for key, u, d in reversed(list(zip(keys, uniques, dims, strict=True))):
        parts[key] = u.take(rest % d) if len(u) else u
        rest = rest // d
    index_frame = pd.DataFrame({key: parts[key] for key in keys})
    return np.asarray(inverse, dtype=np.int64).reshape(-1), index_frame


def metric_table(
    responses: Any,
    metric: str = "nps",
    *,
    by: str | Sequence[str] = (),
    freq: str | None = "M",
    date: str = "date",
    score: str | None = None,
    weights: str | Default | None = DEFAULT,
    ci: str | Default | None = DEFAULT,
    level: float | Default = DEFAULT,
    min_n: int | Default = DEFAULT,
    missing: Literal["exclude", "include"] | Default = DEFAULT,
    invalid: Literal["raise", "exclude"] | Default = DEFAULT,
    scheme: NpsScheme | None = None,
    seed: int = 0,
    n_boot: int = 2000,
    weights_kind: Literal["sampling", "frequency"] | Default = DEFAULT,
    options: SurveyOptions | None = None,
    date_format: str | None = None,
    date_unit: str | None = None,
) -> pd.DataFrame:
    """One row per group and period with value, n, interval and a low-sample flag.

    Ready for trend plots. The statistics are exactly those of :func:`nps`,
    :func:`csat` and :func:`ces` on each group's rows (a property test holds them equal),
    computed for all groups at once from grouped sums. The one exception is
    ``ci="bootstrap"``: the table draws every group's resamples from one seeded stream, so
    its intervals are reproducible but not bit-identical to one-group calls.

    Dask: ``responses`` may be a Dask DataFrame. Every statistic is a function of each
    group's sums (answer counts; with sampling weights, the weighted sums), so every
    partition is read and reduced to its groups' sums on the workers (with the pandas
    path's readers: the same error classes naming the column, with the partition's row
    labels, and only the first partition that fails is reported), the small table of
    partial sums is collected and added up per group, and the statistics run on it
    unchanged. The result is a pandas DataFrame equal to the pandas path's (counts are
    whole numbers, so unweighted tables and whole-number or binary-fraction weights agree
    bit for bit; other fractional weights add up in another order and agree to about
    1e-15 relative). Not on Dask: ``ci="bootstrap"`` with sampling weights (it resamples
    every row; a ConfigError says so). Categorical ``by`` columns need the same known
    categories in every partition (as ``dask.dataframe.from_pandas`` keeps them); key
    columns keep the Dask frame's dtypes (Dask stores text as ``string[pyarrow]``).

    Args:
        responses: One row per response (a pandas or Dask DataFrame).
        metric: ``"nps"`` (points), ``"csat"`` (% top box 4-5 of 1-5), ``"csat_mean"``,
            ``"ces"`` (% agree 5-7 of CES 2.0) or ``"ces_mean"``.
        by: Column(s) to group by (e.g. ``["segment"]``); empty for one overall row per
            period.
        freq: Pandas period alias (``"M"``, ``"Q"``, ``"W"``, ...) of ``date``, or
            ``None`` for no time split.
        date: Date column (naive or aware; aware dates are taken in their own zone).
        score: Score column (default: ``"nps"``, ``"csat"`` or ``"ces"``).
        weights: Optional sampling-weight column.
        ci: Interval method (default: ``"adjusted_wald"`` for NPS, ``"wilson"`` for shares,
            ``"t"`` for means).
        level: Two-sided confidence level.
        min_n: Groups with ``n < min_n`` get ``low_sample = True``.
        missing: ``"exclude"`` or ``"include"`` missing scores (see :func:`nps`).
        invalid: ``"raise"`` or ``"exclude"`` off-scale scores.
        scheme: NPS cut-offs (NPS only).
        seed: Bootstrap seed (NPS with ``ci="bootstrap"``).
        n_boot: Bootstrap replicates.
        weights_kind: ``"sampling"`` (default) or ``"frequency"`` weights (see
            :func:`nps`).
        options: A :class:`~crmkit.service.SurveyOptions` holding ``weights`` (the
            column), ``weights_kind``, ``ci``, ``level``, ``missing``, ``invalid`` and
            ``min_n``; a keyword given explicitly wins. Its ``population_size`` must be
            None (one ``N`` cannot serve many groups).
        date_format: strftime format of a ``date`` column held as text in another format
            than ISO 8601 (see :func:`crmkit._validate.datetime_column`).
        date_unit: Unit of a ``date`` column held as epoch numbers (``'s'``, ``'ms'``,
            ``'us'``, ``'ns'``).

    Returns:
        A DataFrame with the ``by`` columns and ``period``, then ``n``, ``value``,
        ``lower``, ``upper``, ``se``, ``n_missing``, ``low_sample`` and ``reason``
        (nullable floats: ``<NA>`` and a reason where a group has no scores), sorted by
        group and period. ``n``, ``low_sample`` and ``reason`` are those of the row's own
        statistic, as the one-group result reports it (``n``/``reason`` for a share or
        NPS; ``mean_n``/``mean_reason`` for a mean); a mean row's ``n_missing`` also
        counts the missing answers that ``missing="include"`` keeps in the share but
        never in a mean. ``.attrs`` holds ``metric``, ``method``, ``level`` and the rows
        left out of every group: ``n_invalid`` (off-scale scores with
        ``invalid="exclude"``) and ``n_zero_weight`` (rows whose sampling weight is 0).

    Examples:
        >>> import pandas as pd
        >>> df = pd.DataFrame({
        ...     "date": pd.to_datetime(["2025-01-03", "2025-01-20", "2025-02-02", "2025-02-11"]),
        ...     "nps": [10, 6, 9, 9]})
        >>> t = metric_table(df, "nps", min_n=2)
        >>> print(t[["period", "n", "value", "low_sample"]].to_string(index=False))
         period  n  value  low_sample
        2025-01  2    0.0       False
        2025-02  2  100.0       False
    """
    owner = "metric_table()"
    o = resolve_options(
        options,
        owner,
        default_ci="default",
        weights_column=True,
        weights=weights,
        weights_kind=weights_kind,
        ci=ci,
        level=level,
        missing=missing,
        invalid=invalid,
        min_n=min_n,
    )
    if o["population_size"] is not None:
        raise ConfigError(
            owner,
            "options.population_size",
            expected="None",
            found=repr(o["population_size"]),
            hint="A finite-population correction needs one N per group; use nps()/csat() "
            "per group.",
        )
    del o["population_size"]
    if o["ci"] == "default":
        o["ci"] = None
    return _metric_table(
        responses,
        metric,
        by=by,
        period_freq=freq,
        date=date,
        score=score,
        scheme=scheme,
        seed=seed,
        n_boot=n_boot,
        date_format=date_format,
        date_unit=date_unit,
        **o,
    )


@attrs.frozen
class _TableSetup:
    """What :func:`metric_table` checked once: the columns, method and scale to use."""

    metric: str
    by: list[str]
    period_freq: str | None
    date: str
    column: str
    weights: str | None
    weights_kind: str
    method: str
    level: float
    min_n: int
    missing: str
    invalid: str
    scheme: NpsScheme
    scale: tuple[int, int]
    positive: frozenset[int]
    seed: int
    n_boot: int
    date_format: str | None
    date_unit: str | None

    @property
    def is_nps(self) -> bool:
        return self.metric == "nps"

    @property
    def is_mean(self) -> bool:
        return self.metric.endswith("_mean")


def _metric_table(
    responses: Any,
    metric: str,
    *,
    by: str | Sequence[str],
    period_freq: str | None,
    date: str,
    score: str | None,
    weights: str | None,
    weights_kind: str,
    ci: str | None,
    level: float,
    min_n: int,
    missing: str,
    invalid: str,
    scheme: NpsScheme | None,
    seed: int,
    n_boot: int,
    date_format: str | None,
    date_unit: str | None,
) -> pd.DataFrame:
    owner = "metric_table()"
    on_dask = is_dask(responses)
    if not on_dask:
        require_frame(responses, owner, "responses")
    check_choice(metric, _METRICS, owner, "metric")
    by_list = [by] if isinstance(by, str) else list(by)
    column = score or _column_default(metric)
    needed = [*by_list, column] + ([date] if period_freq is not None else [])
    if weights is not None:
        needed.append(weights)
    require_columns(responses, needed, owner)
    level = _check_level(level, owner)
    check_min_n(min_n, owner)
    is_nps = metric == "nps"
    is_mean = metric.endswith("_mean")
    if ci is None:
        method = "adjusted_wald" if is_nps else ("t" if is_mean else "wilson")
    else:
        method = ci
    allowed: Sequence[str] = (
        NPS_METHODS if is_nps else (("t",) if is_mean else _stats.PROPORTION_METHODS)
    )
    check_method(method, allowed, owner)
    if is_nps:
        check_boot(seed, n_boot, owner)
    scheme = NpsScheme() if scheme is None else scheme
    if metric.startswith("csat"):
        scale, positive = (1, 5), frozenset({4, 5})
    elif metric.startswith("ces"):
        scale, positive = (1, 7), frozenset({5, 6, 7})
    else:
        scale, positive = (scheme.scale_min, scheme.scale_max), frozenset()
    setup = _TableSetup(
        metric=metric,
        by=by_list,
        period_freq=period_freq,
        date=date,
        column=column,
        weights=weights,
        weights_kind=weights_kind,
        method=method,
        level=level,
        min_n=min_n,
        missing=missing,
        invalid=invalid,
        scheme=scheme,
        scale=scale,
        positive=positive,
        seed=seed,
        n_boot=n_boot,
        date_format=date_format,
        date_unit=date_unit,
    )
    if on_dask:
        return _metric_table_dask(responses, setup, owner)
    reduced = _reduce(responses, setup, owner)
    parsed = reduced.parsed
    rows = None
    wts = parsed.weights
    if is_nps and method == "bootstrap" and wts is not None:
        # Rows split by group in one sort (weighted bootstrap resamples rows per group).
        codes_g = reduced.codes[parsed.kept]
        codes = nps_codes(parsed.values, scheme)
        order = np.argsort(codes_g, kind="stable")
        n_groups = len(reduced.index_frame)
        bounds = np.cumsum(np.bincount(codes_g, minlength=n_groups))[:-1]
        rows = [(codes[idx].astype(np.float64), wts[idx]) for idx in np.split(order, bounds)]
    return _finish_table(
        reduced.index_frame,
        reduced.sums,
        reduced.n_missing,
        setup,
        rows=rows,
        weighted=wts is not None,
        n_invalid=parsed.n_invalid,
        n_zero_weight=parsed.n_zero_weight,
    )


@attrs.frozen
class _Reduced:
    """One frame (or one Dask partition) read and reduced to its groups' sums."""

    index_frame: pd.DataFrame  # the sorted group keys, one row per observed group
    codes: np.ndarray[Any, np.dtype[np.int64]]  # per input row: its group's number
    parsed: Parsed  # the scores as read: also the one count of off-scale and 0-weight rows
    sums: NpsSums | ScaleSums
    n_missing: FloatArray  # per group: missing scores left out (missing="exclude")
    n_rows: int


def _reduce(responses: pd.DataFrame, setup: _TableSetup, owner: str) -> _Reduced:
    """The one reader of :func:`metric_table`, for pandas and for every Dask partition.

    Group codes are taken over all rows, so that groups whose rows are all missing still
    appear; the scores are read once by :func:`parse`, whose counts the table reports.
    """
    groups, keys = _prepare_groups(
        responses,
        setup.by,
        setup.period_freq,
        setup.date,
        owner,
        date_format=setup.date_format,
        date_unit=setup.date_unit,
    )
    parsed = _parse_scores(responses, setup, owner)
    if keys:
        codes_all, index_frame = _group_codes(groups.reset_index(drop=True), keys)
    else:
        codes_all = np.zeros(len(responses), dtype=np.int64)
        index_frame = pd.DataFrame(index=range(1 if len(responses) else 0))
    n_groups = len(index_frame)
    n_missing = np.bincount(
        codes_all,
        weights=(parsed.missing & (setup.missing == "exclude")).astype(np.float64),
        minlength=n_groups,
    ).astype(np.float64)
    sums = _sums(parsed, setup, codes_all[parsed.kept], n_groups)
    return _Reduced(index_frame, codes_all, parsed, sums, n_missing, len(responses))


def _parse_scores(responses: pd.DataFrame, setup: _TableSetup, owner: str) -> Parsed:
    """The one score reader of the table (keeps the frame's index: errors name labels)."""
    return parse(
        responses[setup.column],
        weights=None if setup.weights is None else responses[setup.weights],
        weights_kind=setup.weights_kind,
        scale=setup.scale,
        missing=setup.missing,
        invalid=setup.invalid,
        owner=owner,
        names=(setup.column, setup.weights or "weights"),
    )


def _sums(
    parsed: Parsed, setup: _TableSetup, codes_g: np.ndarray[Any, Any], n_groups: int
) -> NpsSums | ScaleSums:
    values, freq, wts = parsed.values, parsed.freq, parsed.weights  # noqa: PD011 (attrs field)
    if setup.is_nps:
        return nps_sums(nps_codes(values, setup.scheme), freq, wts, codes_g, n_groups)
    return scale_sums(
        values, setup.positive, freq=freq, weights=wts, group=codes_g, n_groups=n_groups
    )


def _finish_table(
    index_frame: pd.DataFrame,
    sums: NpsSums | ScaleSums,
    n_missing: FloatArray,
    setup: _TableSetup,
    *,
    rows: list[tuple[FloatArray, FloatArray]] | None,
    weighted: bool,
    n_invalid: int,
    n_zero_weight: int,
) -> pd.DataFrame:
    """The statistics of every group from its sums: one code path for pandas and Dask."""
    method, level, min_n = setup.method, setup.level, setup.min_n
    fpc = np.ones(len(index_frame))
    out = index_frame.reset_index(drop=True).copy()
    if isinstance(sums, NpsSums):
        st = nps_statistics(
            sums,
            method=method,
            level=level,
            fpc=fpc,
            seed=setup.seed,
            n_boot=setup.n_boot,
            rows=rows,
            weighted=weighted,
        )
        n = sums.n
        value, lower, upper, se = (
            st["points"],
            st["lower"] * 100,
            st["upper"] * 100,
            st["se"] * 100,
        )
        reasons = nps_reasons(sums, method, fpc, min_n)
    else:
        st = scale_statistics(
            sums,
            method=None if setup.is_mean else method,
            level=level,
            fpc=fpc,
            scale=setup.scale,
        )
        # Each row is about its own statistic: its count, its low-sample flag and its
        # reason. A mean is computed from the answers with a score; with
        # missing="include" the missing answers the share counts are left out of the
        # mean, so a mean row counts them in n_missing (n + n_missing = rows, as ever).
        n = sums.n
        reasons = scale_reasons(sums, fpc, min_n, statistic="mean" if setup.is_mean else "share")
        if setup.is_mean:
            value, lower, upper, se = st["mean"], st["mean_lower"], st["mean_upper"], st["mean_se"]
            n_missing = n_missing + (sums.n - sums.m)
            n = sums.m
        else:
            value, lower, upper, se = (
                st["percent"],
                st["lower"] * 100,
                st["upper"] * 100,
                st["se"] * 100,
            )
    empty = n == 0

    def nullable(a: FloatArray) -> pd.Series:
        return pd.Series(np.where(empty, np.nan, a)).astype("Float64")

    out["n"] = n.astype(np.int64)
    out["value"] = nullable(value)
    out["lower"] = nullable(lower)
    out["upper"] = nullable(upper)
    out["se"] = nullable(se)
    out["n_missing"] = n_missing.astype(np.int64)
    out["low_sample"] = n < min_n
    out["reason"] = pd.array(reasons, dtype="string")
    out.attrs.update(
        {
            "metric": setup.metric,
            "method": method,
            "level": level,
            "n_invalid": n_invalid,
            "n_zero_weight": n_zero_weight,
        }
    )
    return out


# --------------------------------------------------------------------------- Dask


def _sum_fields(setup: _TableSetup) -> list[str]:
    kind = NpsSums if setup.is_nps else ScaleSums
    return [field.name for field in attrs.fields(kind)]


def _partial_sums_part(
    part: pd.DataFrame, _: None, *, setup: _TableSetup, owner: str
) -> tuple[pd.DataFrame, int, int, int]:
    """One partition reduced by :func:`_reduce` (on a worker, with the pandas path's readers).

    Returns the partition's groups with every sum and the missing count per group, then
    the partition's rows, off-scale and zero-weight counts exactly as :func:`parse`
    counted them (the table reports only their totals).
    """
    reduced = _reduce(part, setup, owner)
    out = reduced.index_frame.reset_index(drop=True)
    for name in _sum_fields(setup):
        out[f"_s_{name}"] = getattr(reduced.sums, name)
    out["_n_missing"] = reduced.n_missing
    parsed = reduced.parsed
    return out, reduced.n_rows, parsed.n_invalid, parsed.n_zero_weight


def _metric_table_dask(responses: Any, setup: _TableSetup, owner: str) -> pd.DataFrame:
    """:func:`metric_table` on a Dask DataFrame: sums per partition, statistics once.

    Every statistic is a function of per-group sums (counts per answer and, for sampling
    weights, the weighted sums), so each partition is reduced to its groups' sums on the
    workers; the small table of partial sums comes back, is added up per group, and the
    pandas path's statistics run on it unchanged.
    """
    if setup.is_nps and setup.method == "bootstrap" and setup.weights is not None:
        raise ConfigError(
            owner,
            "ci",
            expected="not 'bootstrap' with sampling weights on a Dask DataFrame",
            found="'bootstrap'",
            hint="The weighted bootstrap resamples every row of a group; compute the table "
            "on pandas (ddf.compute()) or use ci='adjusted_wald' or 'score'.",
        )
    partials = per_partition(_partial_sums_part, responses, setup=setup, owner=owner)
    frames = [p[0] for p in partials]
    frame = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    keys = [*setup.by] + (["period"] if setup.period_freq is not None else [])
    total_rows = sum(p[1] for p in partials)
    if keys:
        codes, index_frame = _group_codes(frame, keys)
    else:
        codes = np.zeros(len(frame), dtype=np.int64)
        index_frame = pd.DataFrame(index=range(1 if total_rows else 0))
    n_groups = len(index_frame)

    def add(column: str) -> FloatArray:
        values = frame[column].to_numpy(dtype=np.float64)
        return np.bincount(codes, weights=values, minlength=n_groups).astype(np.float64)

    fields = {name: add(f"_s_{name}") for name in _sum_fields(setup)}
    sums: NpsSums | ScaleSums = NpsSums(**fields) if setup.is_nps else ScaleSums(**fields)
    return _finish_table(
        index_frame,
        sums,
        add("_n_missing"),
        setup,
        rows=None,
        weighted=setup.weights is not None and setup.weights_kind == "sampling",
        n_invalid=sum(p[2] for p in partials),
        n_zero_weight=sum(p[3] for p in partials),
    )


def compare_groups(
    responses: pd.DataFrame,
    metric: str = "nps",
    *,
    by: str,
    baseline: Hashable | None = None,
    score: str | None = None,
    level: float = 0.95,
    adjust: Literal["holm", "none"] = "holm",
    method: str | None = None,
) -> pd.DataFrame:
    """Compare every group with a baseline group, with Holm-adjusted p-values.

    NPS groups are compared with :func:`compare_nps` (adjusted Wald by default), share
    metrics (``"csat"``, ``"ces"``) with :func:`compare_proportions` (Newcombe interval,
    score test). With many segments, raw p-values overstate significance: Holm's
    step-down adjustment controls the family-wise error rate (``adjust="none"`` keeps
    the raw ones).

    Args:
        responses: One row per response.
        metric: ``"nps"``, ``"csat"`` or ``"ces"``.
        by: The group column (e.g. ``"segment"``).
        baseline: The group to compare against (default: the first group in order).
        score: Score column (default: the metric's name).
        level: Two-sided confidence level.
        adjust: ``"holm"`` (default) or ``"none"``.
        method: NPS comparison method (``"adjusted_wald"`` default or ``"wald"``).

    Returns:
        One row per non-baseline group: ``group``, ``n``, ``value``, ``baseline``,
        ``difference``, ``lower``, ``upper``, ``z``, ``p_value``, ``p_adjusted``,
        ``significant`` (``p_adjusted < 1 - level``) and ``reason`` (why a comparison is
        undefined, e.g. a group without scores; else ``None``).

    Examples:
        >>> import pandas as pd
        >>> df = pd.DataFrame({"seg": ["a"] * 50 + ["b"] * 50 + ["c"] * 50,
        ...                    "nps": [9] * 30 + [5] * 20 + [9] * 20 + [5] * 30 + [9] * 40 + [5] * 10})
        >>> t = compare_groups(df, "nps", by="seg")
        >>> print(t[["group", "difference", "significant"]].to_string(index=False))
        group  difference  significant
            b       -40.0        False
            c        40.0        False
    """
    owner = "compare_groups()"
    require_frame(responses, owner, "responses")
    check_choice(metric, ("nps", "csat", "ces"), owner, "metric")
    check_choice(adjust, ("holm", "none"), owner, "adjust")
    column = score or metric
    require_columns(responses, [by, column], owner)
    level = _check_level(level, owner)
    groups = responses.groupby(by, observed=True, sort=True)[column]
    labels = list(groups.groups.keys())
    if baseline is None:
        if not labels:
            return pd.DataFrame(
                columns=[
                    "group",
                    "n",
                    "value",
                    "baseline",
                    "difference",
                    "lower",
                    "upper",
                    "z",
                    "p_value",
                    "p_adjusted",
                    "significant",
                    "reason",
                ]
            )
        baseline = labels[0]
    check_choice(baseline, labels, owner, "baseline", what=f"one of {labels[:10]}")
    compute: Any
    if metric == "nps":
        compute = nps
    elif metric == "csat":
        compute = csat
    else:
        compute = ces
    results = {label: compute(groups.get_group(label)) for label in labels}
    base = results[baseline]
    rows = []
    for label in labels:
        if label == baseline:
            continue
        r = results[label]
        if metric == "nps":
            c = compare_nps(r, base, method=method or "adjusted_wald", level=level)
            diff, interval, z, p, why = c.difference, c.interval, c.z, c.p_value, c.reason
        else:
            cp = compare_proportions(r, base, level=level)
            diff, interval, z, p, why = cp.difference, cp.interval, cp.z, cp.p_value, cp.reason
        rows.append(
            {
                "group": label,
                "n": r.n,
                "value": r.value,
                "baseline": base.value,
                "difference": diff,
                "lower": None if interval is None else interval.lower,
                "upper": None if interval is None else interval.upper,
                "z": z,
                "p_value": p,
                "reason": why,
            }
        )
    table = pd.DataFrame(rows)
    if len(table):
        raw = table["p_value"].to_numpy(dtype=np.float64)
        table["p_adjusted"] = _stats.holm_adjust(raw) if adjust == "holm" else raw
        table["significant"] = table["p_adjusted"] < 1 - level
        table["reason"] = table.pop("reason")  # last, after the adjusted p-values
    table.attrs.update({"metric": metric, "baseline": baseline, "adjust": adjust, "level": level})
    return table
