"""Service KPIs over ticket and complaint frames, each with its interval.

Durations (first reply, resolution) are wall-clock time, or business time when a
:class:`~crmkit.service.BusinessCalendar` is given (its ``elapsed_many``); a ticket whose
business time reaches a day outside the calendar's country holiday years (see
:attr:`~crmkit.service.BusinessCalendar.holiday_years`) is refused, as the calendar
refuses it, rather than counting that year's public holidays as working days. Tickets still
waiting at ``as_of`` are right-censored, not dropped: their percentiles come from the
Kaplan-Meier estimate (the smallest ``t`` with ``1 - S(t) >= q``), and the quantile's
interval inverts the pointwise Greenwood band of ``S`` (as R's ``quantile.survfit``);
``method="midpoint"`` follows R survival's rule for a curve flat at exactly ``1 - q``.
Shares (first contact resolution, reopen rate, repeat complaints, follow-up completion)
get a Wilson interval by default; complaint rates per exposure get the exact Poisson
(Garwood) interval. Backlog is a snapshot count of the whole population at an instant,
so it has no sampling interval.

Nothing here reads the clock: ``as_of`` is an argument. Naive and aware datetime columns
must not be mixed; naive ones are read in the zone of the first aware one, else in the
calendar's zone when a calendar measures business time, else in UTC. An ``as_of``
is read like them: beside aware columns it must be aware (or a day), and beside naive
ones it must be naive (or a day) unless a calendar owns their zone, since their UTC
reading is only a convention.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Sequence
from typing import Any, Literal, Protocol, cast

import attrs
import numpy as np
import pandas as pd

from crmkit import _stats
from crmkit._rounding import round_decimal as _round
from crmkit._spec import check_choice
from crmkit._stats import _check_level
from crmkit._validate import (
    EARLIEST_DATE,
    LATEST_DATE,
    cutoff_value,
    datetime_column,
    datetime_value,
    first_labels,
    refuse_wall_times,
    require_columns,
    require_frame,
)
from crmkit.errors import ConfigError, InvalidInputError, SchemaError
from crmkit.segmentation._dask import is_dask
from crmkit.segmentation._dask import per_partition as _per_partition
from crmkit.service import _timeline as tl
from crmkit.service._calendar import BusinessCalendar
from crmkit.service._survey_input import check_method as _check_method
from crmkit.service._survey_results import Interval, ResultDict

__all__ = [
    "DurationQuantiles",
    "PoissonRate",
    "RateResult",
    "backlog",
    "complaint_rate",
    "duration_quantiles",
    "first_contact_resolution",
    "followup_completion",
    "reopen_rate",
    "repeat_complaint_rate",
]

FloatArray = np.ndarray[Any, np.dtype[np.float64]]
_NS = 1_000_000_000


class _Calendar(Protocol):
    def elapsed_many(self, starts: Any, ends: Any) -> Any: ...


# --------------------------------------------------------------------------- results


@attrs.frozen
class RateResult(ResultDict):
    """A KPI share (percent) with its interval.

    Attributes:
        kpi: Which KPI (``"first_contact_resolution"``, ``"reopen_rate"``, ...).
        definition: The named definition used (e.g. ``"one_touch"``).
        value: Percent (0-100), ``None`` when the denominator is 0.
        successes: Numerator count.
        n: Denominator count.
        interval: Interval in percent (``None`` when ``n = 0`` or ``ci=None``).
        n_excluded: Rows left out of the denominator (not applicable or not yet
            decidable at ``as_of``), so nothing is dropped silently.
        reason: Why the value is missing or degenerate, else ``None``.

    Examples:
        >>> r = RateResult("reopen_rate", "reopened / solved", 5.0, 5, 100,
        ...                Interval(2.15, 11.18, 0.95, "wilson"), 0, None)
        >>> r.format()
        'reopen_rate (reopened / solved) 5.0% (95% CI 2.2% to 11.2%, wilson; 5 of 100)'
    """

    kpi: str
    definition: str
    value: float | None
    successes: int
    n: int
    interval: Interval | None
    n_excluded: int
    reason: str | None

    def format(self, decimals: int = 1, rounding: str = "half_up") -> str:
        """Show the share with its interval, rounded now.

        Examples:
            >>> RateResult("fcr", "one_touch", None, 0, 0, None, 3, "no solved tickets").format()
            'fcr n/a (no solved tickets)'
        """
        owner = "RateResult.format()"
        if self.value is None:
            return f"{self.kpi} n/a ({self.reason})"
        text = f"{self.kpi} ({self.definition}) {_round(self.value, decimals, rounding, owner)}%"
        if self.interval is None:
            return text + f" ({self.successes} of {self.n})"
        lo = _round(self.interval.lower, decimals, rounding, owner)
        hi = _round(self.interval.upper, decimals, rounding, owner)
        level = f"{self.interval.level * 100:g}"
        return (
            text + f" ({level}% CI {lo}% to {hi}%, {self.interval.method}; "
            f"{self.successes} of {self.n})"
        )


@attrs.frozen
class PoissonRate(ResultDict):
    """Events per ``per`` units of exposure with the exact Poisson (Garwood) interval.

    Attributes:
        value: Rate per ``per`` units (``None`` when the exposure is 0).
        count: Number of events.
        exposure: Exposure (orders, customers, contacts, ...).
        per: The unit the rate is expressed per (1,000 by default).
        interval: Garwood interval of the rate (``None`` when the exposure is 0).
        reason: Why the value is missing, else ``None``.

    Examples:
        >>> complaint_rate(12, exposure=4000).format()
        '3.00 per 1,000 (95% CI 1.55 to 5.24, exact Poisson; 12 events / 4,000)'
    """

    value: float | None
    count: int
    exposure: float
    per: float
    interval: Interval | None
    reason: str | None

    def format(self, decimals: int = 2, rounding: str = "half_up") -> str:
        """Show the rate with its interval, rounded now.

        Examples:
            >>> complaint_rate(0, exposure=0).format()
            'n/a (zero exposure)'
        """
        owner = "PoissonRate.format()"
        if self.value is None or self.interval is None:
            return f"n/a ({self.reason})"
        lo = _round(self.interval.lower, decimals, rounding, owner)
        hi = _round(self.interval.upper, decimals, rounding, owner)
        level = f"{self.interval.level * 100:g}"
        return (
            f"{_round(self.value, decimals, rounding, owner)} per {self.per:,g} "
            f"({level}% CI {lo} to {hi}, exact Poisson; {self.count} events / {self.exposure:,g})"
        )


@attrs.frozen
class DurationQuantiles(ResultDict):
    """Percentiles of a duration (first reply, resolution) with censoring handled.

    Attributes:
        q: The probabilities asked for (e.g. ``(0.5, 0.9)``).
        values: The percentiles as ``timedelta`` (``None`` where not reached: too many
            tickets still waiting to know).
        lower: Lower interval bound per percentile (``None`` where not determined).
        upper: Upper interval bound per percentile (``None`` where not reached).
        level: Confidence level of the bounds.
        method: ``"nearest_rank"`` (the Kaplan-Meier / inverted-CDF percentile),
            ``"midpoint"`` (R survival's ``quantile.survfit``: midpoint of a flat piece at
            exactly ``q``) or ``"linear"`` (numpy's default, Hyndman-Fan type 7).
        censoring: ``"kaplan_meier"`` (tickets still waiting count as censored at
            ``as_of``) or ``"exclude"`` (they are left out and counted).
        n: Tickets in the estimate.
        n_events: Tickets whose end (reply, resolution) was observed.
        n_censored: Tickets still waiting at ``as_of``, kept as censored.
        n_excluded: Tickets left out (created after ``as_of``; still waiting under
            ``censoring="exclude"``).
        business_time: Whether durations were measured on a business calendar.
        reason: Why some percentile is missing, else ``None``.

    Examples:
        >>> import pandas as pd
        >>> t = pd.DataFrame({
        ...     "created_at": pd.to_datetime(["2025-01-06 09:00"] * 4).tz_localize("UTC"),
        ...     "first_reply_at": pd.to_datetime(["2025-01-06 10:00", "2025-01-06 11:00",
        ...                                       "2025-01-06 13:00", None]).tz_localize("UTC")})
        >>> r = duration_quantiles(t, as_of=pd.Timestamp("2025-01-06 12:00", tz="UTC"))
        >>> r.values[0], r.n_censored
        (datetime.timedelta(seconds=7200), 2)
    """

    q: tuple[float, ...]
    values: tuple[dt.timedelta | None, ...]
    lower: tuple[dt.timedelta | None, ...]
    upper: tuple[dt.timedelta | None, ...]
    level: float
    method: str
    censoring: str
    n: int
    n_events: int
    n_censored: int
    n_excluded: int
    business_time: bool
    reason: str | None

    def to_frame(self) -> pd.DataFrame:
        """One row per percentile, as timedeltas and as float hours.

        Columns ``q``, ``value``, ``lower``, ``upper`` (timedelta64), then
        ``value_hours``, ``lower_hours``, ``upper_hours`` (the same as float hours, NaN
        where not reached).

        With ``business_time`` the timedeltas hold business hours: pandas prints 30
        business hours as ``1 days 06:00:00``, which is not a calendar day and six hours
        (on a 9-hour desk it is more than three working days). Report the ``*_hours``
        columns (``30.0``) instead; :meth:`format` shows hours too.

        Examples:
            >>> import pandas as pd
            >>> from crmkit.service import BusinessCalendar
            >>> desk = BusinessCalendar("UTC", {d: [["09:00", "18:00"]]
            ...                                 for d in ["mon", "tue", "wed", "thu", "fri"]})
            >>> t = pd.DataFrame({"created_at": [pd.Timestamp("2025-01-06 09:00", tz="UTC")],
            ...                   "first_reply_at": [pd.Timestamp("2025-01-09 12:00", tz="UTC")]})
            >>> f = duration_quantiles(t, q=(0.5,), calendar=desk).to_frame()
            >>> f.loc[0, "value"], f.loc[0, "value_hours"]
            (Timedelta('1 days 06:00:00'), np.float64(30.0))
        """

        def col(values: tuple[dt.timedelta | None, ...]) -> pd.Series:
            return pd.Series(pd.to_timedelta([pd.NaT if v is None else v for v in values]))

        def hours(values: tuple[dt.timedelta | None, ...]) -> pd.Series:
            seconds = [np.nan if v is None else v.total_seconds() for v in values]
            return pd.Series(np.asarray(seconds, dtype=np.float64) / 3600.0)

        return pd.DataFrame(
            {
                "q": list(self.q),
                "value": col(self.values),
                "lower": col(self.lower),
                "upper": col(self.upper),
                "value_hours": hours(self.values),
                "lower_hours": hours(self.lower),
                "upper_hours": hours(self.upper),
            }
        )

    def format(self) -> str:
        """Show the percentiles in hours with their intervals.

        Examples:
            >>> import pandas as pd
            >>> t = pd.DataFrame({"created_at": pd.to_datetime(["2025-01-06"] * 2).tz_localize("UTC"),
            ...                   "first_reply_at": pd.to_datetime(["2025-01-06 02:00", "2025-01-06 04:00"]).tz_localize("UTC")})
            >>> duration_quantiles(t, q=(0.5,)).format()
            'P50 2.0 h (95% CI 2.0 h to n/r); n = 2, 0 censored, nearest_rank'
        """

        def hours(v: dt.timedelta | None) -> str:
            return "n/r" if v is None else f"{v.total_seconds() / 3600:.1f} h"

        level = f"{self.level * 100:g}"
        parts = [
            f"P{q * 100:g} {hours(v)} ({level}% CI {hours(lo)} to {hours(hi)})"
            for q, v, lo, hi in zip(self.q, self.values, self.lower, self.upper, strict=True)
        ]
        return "; ".join(parts) + f"; n = {self.n}, {self.n_censored} censored, {self.method}"


# --------------------------------------------------------------------------- helpers


def _check_rate_options(ci: str | None, level: float, owner: str) -> float:
    """Check a rate KPI's ``ci`` (a proportion interval method or None) and ``level``."""
    _check_method(ci, _stats.PROPORTION_METHODS, owner)
    return _check_level(level, owner)


def _rate(
    kpi: str,
    definition: str,
    successes: int,
    n: int,
    n_excluded: int,
    *,
    ci: str | None,
    level: float,
    empty_reason: str,
    note: str | None = None,
) -> RateResult:
    if n == 0:
        why = "; ".join(filter(None, [empty_reason, note]))
        return RateResult(kpi, definition, None, 0, 0, None, n_excluded, why)
    interval = None
    if ci is not None:
        lo, hi = _stats.proportion_interval(successes, n, level, method=ci)
        interval = Interval(float(lo) * 100, float(hi) * 100, level, ci)
    reason: str | None = None
    if successes in (0, n):
        reason = "all on one side: the interval is one-sided"
    if note:
        reason = "; ".join(filter(None, [reason, note]))
    return RateResult(
        kpi, definition, successes / n * 100, successes, n, interval, n_excluded, reason
    )


def _read_dates(
    frame: pd.DataFrame,
    columns: Sequence[str],
    owner: str,
    *,
    date_format: str | None,
    date_unit: str | None,
) -> pd.DataFrame:
    """Return ``frame`` with ``columns`` as numpy datetime64 (NaT kept), read one way.

    Columns already datetime64 (any unit, naive or aware) are kept. Anything else (Arrow
    timestamps as ``read_parquet`` gives them, ISO strings, epoch numbers with
    ``date_unit``, other formats with ``date_format``) is read by the one date reader,
    :func:`crmkit._validate.datetime_column`, on the rows that have a value; missing
    values stay NaT (an open ticket has no resolution time). The caller's frame is never
    modified (a new frame is returned when anything is converted).
    """
    converted: dict[str, pd.Series] = {}
    for column in dict.fromkeys(columns):
        series = frame[column]
        dtype = series.dtype
        datetimes = isinstance(dtype, pd.DatetimeTZDtype) or (
            isinstance(dtype, np.dtype) and dtype.kind == "M"
        )
        if datetimes and _in_range(series):
            continue  # kept as it is: any unit, within 1678-2261 (no nanosecond overflow)
        missing = series.isna().to_numpy(dtype=bool, copy=True)
        if missing.all():
            continue  # all NaT: _instants reads it as such
        present = frame.loc[~missing, [column]]
        parsed = datetime_column(  # refuses out-of-range datetimes, naming their rows
            present, column, owner, date_format=date_format, date_unit=date_unit
        )
        full = pd.Series(pd.NaT, index=frame.index, dtype=parsed.dtype)
        full.iloc[np.flatnonzero(~missing)] = parsed.to_numpy()
        converted[column] = full
    if not converted:
        return frame
    return frame.assign(**converted)


_FIRST = pd.Timestamp(EARLIEST_DATE)
_AFTER_LAST = pd.Timestamp(LATEST_DATE) + pd.Timedelta(days=1)


def _in_range(series: pd.Series) -> bool:
    """Whether a datetime64 column (NaT aside) lies within 1678-2261 (two reductions)."""
    low, high = series.min(), series.max()
    if low is pd.NaT:
        return True  # all NaT
    if low.tzinfo is not None:
        low, high = low.tz_convert(None), high.tz_convert(None)
    return bool(low >= _FIRST and high < _AFTER_LAST)


def _excluded_note(count: int, what: str) -> str | None:
    """The reason text of a counted exclusion (``None`` when nothing was excluded)."""
    return f"{count} {what} excluded (counted in n_excluded)" if count else None


def _seconds_column(frame: pd.DataFrame, column: str, owner: str) -> FloatArray:
    """A column of seconds as floats: missing counts as 0; text, booleans, inf refused."""
    series = frame[column]
    if pd.api.types.is_bool_dtype(series.dtype) or not pd.api.types.is_numeric_dtype(series.dtype):
        present = series.notna().to_numpy(dtype=bool, copy=True)
        raise SchemaError(
            owner,
            column,
            expected="numbers of seconds",
            found=f"dtype {series.dtype}",
            rows=first_labels(frame.index, present),
            total=int(present.sum()),
        )
    values = series.to_numpy(dtype=np.float64, na_value=0.0)
    bad = ~np.isfinite(values)
    if bad.any():
        raise InvalidInputError(
            owner,
            column,
            expected="finite numbers of seconds",
            found=f"{int(bad.sum())} infinite values",
            rows=first_labels(frame.index, bad),
            total=int(bad.sum()),
        )
    return values


def _zone_of(frame: pd.DataFrame, columns: Sequence[str]) -> tuple[Any, bool, bool]:
    zone = None
    naive = aware = False
    for column in columns:
        dtype = frame[column].dtype
        if isinstance(dtype, pd.DatetimeTZDtype):
            aware = True
            zone = zone or dtype.tz
        elif pd.api.types.is_datetime64_dtype(dtype):
            naive = True
    return zone, naive, aware


def _instants(
    frame: pd.DataFrame, column: str, owner: str, zone: Any, *, allow_missing: bool
) -> pd.Series:
    """Return ``column`` as an aware datetime Series in ``zone`` (NaT allowed if asked)."""
    series = frame[column]
    if not (
        isinstance(series.dtype, pd.DatetimeTZDtype)
        or pd.api.types.is_datetime64_dtype(series.dtype)
    ):
        if series.isna().all():
            series = pd.Series(pd.NaT, index=series.index, dtype="datetime64[ns]")
        else:
            raise InvalidInputError(
                owner,
                column,
                expected="datetimes (datetime64 dtype)",
                found=f"dtype {series.dtype}",
                hint="Convert it with pandas.to_datetime() first.",
            )
    missing = series.isna().to_numpy(dtype=bool, copy=True)
    if missing.any() and not allow_missing:
        raise InvalidInputError(
            owner,
            column,
            expected="without missing values",
            found=f"{int(missing.sum())} NaT",
            rows=first_labels(frame.index, missing),
            total=int(missing.sum()),
        )
    if isinstance(series.dtype, pd.DatetimeTZDtype):
        converted: pd.Series = series.dt.tz_convert(zone)
        return converted
    try:
        result: pd.Series = series.dt.tz_localize(zone)
    except ValueError:  # pandas' AmbiguousTimeError / NonExistentTimeError
        # No one reading of such a wall time: refused, as evaluate_sla refuses it.
        refuse_wall_times(series, zone, column, owner)
    return result


def _check_no_mixing(
    frame: pd.DataFrame, columns: Sequence[str], owner: str, calendar: Any = None
) -> Any:
    """The zone naive ``columns`` are read in; mixing naive and aware is refused.

    That is the zone of the first aware column, else the calendar's (the owner of the
    business time), else UTC.
    """
    zone, naive, aware = _zone_of(frame, columns)
    if naive and aware:
        raise InvalidInputError(
            owner,
            ", ".join(columns),
            expected="all naive or all timezone-aware",
            found="a mix of naive and aware datetime columns",
            hint="Localize the naive columns first.",
            kind="columns",
        )
    if zone is None and calendar is not None:
        zone = getattr(calendar, "zone", None)
    return zone if zone is not None else dt.UTC


def _zone_and_cutoff(
    frame: pd.DataFrame,
    columns: Sequence[str],
    as_of: Any,
    owner: str,
    calendar: Any = None,
) -> tuple[Any, pd.Timestamp | None]:
    """The zone of ``columns`` (not mixing naive and aware) and ``as_of`` read in it.

    The one way the KPIs read their ``as_of`` against the ticket columns: beside aware
    columns a naive ``as_of`` is refused (a day is read in their zone); beside naive ones
    an aware ``as_of`` is refused unless ``calendar`` owns the zone they are read in
    (otherwise UTC would be a silent guess of their zone).
    """
    zone = _check_no_mixing(frame, columns, owner, calendar)
    _, naive, aware = _zone_of(frame, columns)
    return zone, _as_of(as_of, zone, owner, aware=aware, unzoned=naive and calendar is None)


def _as_of(as_of: Any, zone: Any, owner: str, *, aware: bool, unzoned: bool) -> pd.Timestamp | None:
    """``as_of`` read in ``zone`` (its last instant) by the one reader of cut-offs.

    ``aware``: the ticket columns are aware. ``unzoned``: they are naive and nothing owns
    their zone (no calendar), so only a naive ``as_of`` (or a day) compares with them.
    """
    if as_of is None:
        return None
    # The one reader of cut-offs: no numbers read as nanoseconds, no year 9999, and a date
    # means the end of that day (its last instant).
    cut = cutoff_value(as_of, owner, "as_of", tz=zone)
    if aware and not cut.aware and not cut.whole_day:
        raise ConfigError(
            owner,
            "as_of",
            expected="timezone-aware like the ticket columns",
            found=f"naive {cut.label.tz_localize(None)}",
            hint="Pass an aware datetime (e.g. with tzinfo=...), or a date (its end).",
        )
    if unzoned and cut.aware:
        # Regression: converted to UTC and compared with the naive times as if they were
        # UTC, so the backlog and the censoring depended on that silent guess.
        raise ConfigError(
            owner,
            "as_of",
            expected="naive, like the ticket columns",
            found=f"the timezone-aware {datetime_value(as_of, owner, 'as_of')}",
            hint="Mixing naive and aware datetimes is ambiguous: pass a naive as_of or "
            "localize the ticket columns.",
        )
    return cut.last


def _ns(series: pd.Series) -> np.ndarray[Any, np.dtype[np.int64]]:
    """UTC nanoseconds of an aware Series (NaT -> int64 min)."""
    return np.asarray(
        series.dt.tz_convert("UTC")
        .dt.tz_localize(None)
        .to_numpy(dtype="datetime64[ns]")
        .astype(np.int64)
    )


def _check_years(calendar: Any, starts: pd.Series, stops: pd.Series, owner: str) -> None:
    """Refuse the rows whose business time reaches a day outside the country holiday years.

    The check :meth:`~crmkit.service.BusinessCalendar.elapsed_many` makes (``[start,
    stop)`` is counted; ``NaT`` rows pass), in the KPI's name and naming the rows of the
    caller's frame (``starts``' index), so that a calendar built with
    ``with_country_holidays("CN", 2025)`` does not count 1 January 2026 as a working day.
    Calendars other than :class:`~crmkit.service.BusinessCalendar` (anything with
    ``elapsed_many``) answer for themselves.
    """
    if not isinstance(calendar, BusinessCalendar) or not calendar.country_years:
        return
    a, b = _ns(starts), _ns(stops)
    lo = np.where((a == tl.NAT) | (b == tl.NAT), tl.NAT, np.minimum(a, b))
    hi = np.maximum(lo, np.maximum(a, b) - 1)
    index = starts.index

    def labels(mask: np.ndarray[Any, np.dtype[np.bool_]]) -> list[Any]:
        return first_labels(index, mask)

    calendar._reach_many(lo, hi, owner, labels)


def _span(td: dt.timedelta) -> str:
    """A short label for a window: ``30 d``, ``72 h``, or the timedelta's own text."""
    seconds = td.total_seconds()
    if seconds % 86400 == 0:
        return f"{int(seconds // 86400)} d"
    if seconds % 3600 == 0:
        return f"{int(seconds // 3600)} h"
    return str(td)


def _td(seconds: float | None) -> dt.timedelta | None:
    if seconds is None or not np.isfinite(seconds):
        return None
    return dt.timedelta(seconds=round(float(seconds), 6))


# --------------------------------------------------------------------------- durations


def _kaplan_meier(
    time: FloatArray, event: np.ndarray[Any, Any], z: float, band: str = "plain"
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    """Kaplan-Meier at each distinct event time: ``(times, S, S_low, S_high)``.

    The band is Greenwood's pointwise one, clipped to [0, 1]: ``band="plain"`` is
    ``S -/+ z * se(S)`` (R ``survfit(conf.type="plain")``,
    ``scipy.stats.ecdf(...).sf.confidence_interval(method="linear")``); ``band="log"`` is
    ``S * exp(-/+ z * se(log S))`` (R ``survfit``'s default ``conf.type="log"``). Where
    ``S = 0`` Greenwood's variance is undefined and the band is NaN, as in R and scipy.
    """
    # One sort; ties need no stable order (their events are summed per distinct time).
    order = np.argsort(time)
    t = time[order]
    e = event[order].astype(np.float64)
    first = np.flatnonzero(np.r_[True, t[1:] != t[:-1]]) if len(t) else np.empty(0, dtype=np.int64)
    times = t[first]
    deaths = np.add.reduceat(e, first) if len(t) else np.empty(0)
    at_risk = len(t) - first.astype(np.float64)
    keep = deaths > 0
    times, deaths, at_risk = times[keep], deaths[keep], at_risk[keep]
    surv = np.cumprod(1 - deaths / at_risk)
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(at_risk > deaths, deaths / (at_risk * (at_risk - deaths)), 0.0)
    greenwood = np.cumsum(terms)
    if band == "log":
        factor = np.exp(z * np.sqrt(greenwood))
        low, high = surv / factor, surv * factor
    else:
        half = z * surv * np.sqrt(greenwood)
        low, high = surv - half, surv + half
    undefined = surv <= 0
    low = np.asarray(np.where(undefined, np.nan, np.clip(low, 0, 1)), dtype=np.float64)
    high = np.asarray(np.where(undefined, np.nan, np.clip(high, 0, 1)), dtype=np.float64)
    return np.asarray(times, dtype=np.float64), np.asarray(surv, dtype=np.float64), low, high


def _first_reaching(times: FloatArray, cdf: FloatArray, q: float) -> float | None:
    hit = np.flatnonzero(cdf >= q - 1e-12)
    return float(times[hit[0]]) if len(hit) else None


#: R ``quantile.survfit``'s tolerance for "the curve equals 1 - p exactly".
_R_TOLERANCE = float(np.sqrt(np.finfo(np.float64).eps))


def _midpoint_quantile(times: FloatArray, cdf: FloatArray, q: float, t_max: float) -> float | None:
    """R survival's ``quantile.survfit`` rule (its ``findq``), on a step CDF.

    The quantile is where a horizontal line at ``q`` meets the curve: the first time the
    CDF reaches ``q``; where the CDF is flat at exactly ``q`` (within R's tolerance
    ``sqrt(eps)``) the midpoint of the flat piece, which ends at the next jump, or at
    the last observed time ``t_max`` (events and censorings) if it is the last piece.
    ``None`` where the curve never reaches ``q``.
    """
    if not len(times):
        return None
    defined = np.isfinite(cdf)  # R's approx() leaves out NA points of a band
    times, cdf = times[defined], cdf[defined]
    if not len(times):
        return None
    first = np.r_[True, np.diff(cdf) != 0]  # R drops repeated CDF values (keeps the first)
    x, y = times[first], cdf[first]
    at = np.flatnonzero(y + _R_TOLERANCE >= q)
    if not len(at):
        return None
    past = np.flatnonzero(y - _R_TOLERANCE >= q)
    if len(past):
        return float((x[at[0]] + x[past[0]]) / 2)
    # The curve ends flat at q (it reached q - tol but never q + tol): R's "lastpt" rule.
    return float((x[at[0]] + t_max) / 2)


def duration_quantiles(
    tickets: pd.DataFrame,
    *,
    start: str = "created_at",
    end: str = "first_reply_at",
    q: Sequence[float] = (0.5, 0.9),
    method: Literal["nearest_rank", "midpoint", "linear"] = "nearest_rank",
    censoring: Literal["kaplan_meier", "exclude"] = "kaplan_meier",
    as_of: Any = None,
    calendar: _Calendar | None = None,
    subtract: str | None = None,
    level: float = 0.95,
    band: Literal["plain", "log"] = "plain",
    date_format: str | None = None,
    date_unit: str | None = None,
) -> DurationQuantiles:
    """Percentiles of the time from ``start`` to ``end`` (first reply, resolution, ...).

    Tickets whose ``end`` is missing, or later than ``as_of``, are still waiting. With
    ``censoring="kaplan_meier"`` (default) they stay in as right-censored at ``as_of``
    and the percentile is read off the Kaplan-Meier curve. Help desks that drop them
    understate the times; ``censoring="exclude"`` does that openly (counted in
    ``n_excluded``). Tickets created after ``as_of`` are excluded and counted.

    Percentile methods (all named, none implicit):

    - ``"nearest_rank"`` (default): the smallest ``t`` with ``1 - S(t) >= q``; with nothing
      censored this is the nearest-rank percentile (numpy ``"inverted_cdf"``,
      Hyndman-Fan type 1).
    - ``"midpoint"``: R survival's ``quantile.survfit``: the same, except that where the
      curve is flat at exactly ``1 - q`` the midpoint of the flat piece is returned
      (with nothing censored: the usual median of an even sample, numpy
      ``"averaged_inverted_cdf"``, Hyndman-Fan type 2).
    - ``"linear"``: numpy's default (Hyndman-Fan type 7, Excel's PERCENTILE.INC); only
      with ``censoring="exclude"``.

    The interval of a percentile inverts the pointwise Greenwood band of ``S`` with the
    same percentile rule (as R's ``quantile.survfit``): ``band="plain"`` (default; R
    ``survfit(conf.type="plain")``, scipy ``ecdf(...).sf.confidence_interval(
    method="linear")``) or ``band="log"`` (R ``survfit``'s default ``conf.type="log"``).
    A bound is ``None`` where the band never reaches ``q``.

    Dask: ``tickets`` may be a Dask DataFrame. Each partition's durations (business
    time too) are measured on the workers with the pandas readers and checks, and the
    durations (two numbers a ticket) are collected, because the Kaplan-Meier curve needs
    every one of them; the result equals the pandas path's. Errors name the row labels of
    the first failing partition; the "no ``as_of``" error counts the waiting tickets of
    every partition.

    Args:
        tickets: One row per ticket.
        start: Start column (aware or naive datetimes, no NaT).
        end: End column (NaT while waiting).
        q: Probabilities in (0, 1).
        method: ``"nearest_rank"``, ``"midpoint"`` or ``"linear"`` (only with
            ``censoring="exclude"``).
        censoring: ``"kaplan_meier"`` or ``"exclude"``.
        as_of: The instant of the report; needed when some ``end`` is missing and
            censoring is ``"kaplan_meier"`` (a date means the end of that day). Never read
            from the clock.
        calendar: A :class:`~crmkit.service.BusinessCalendar` to measure business time
            (anything with ``elapsed_many(starts, ends)``). Naive ticket times (and a
            naive ``as_of``) are then read in the calendar's zone.
        subtract: Optional column of seconds to subtract from each duration (e.g.
            ``"waiting_seconds"``, time paused waiting on the customer); clipped at 0.
        level: Confidence level of the percentile intervals.
        band: Greenwood band of ``S`` the intervals invert: ``"plain"`` or ``"log"``.
        date_format: strftime format of date columns held as text in another format than
            ISO 8601 (see :func:`crmkit._validate.datetime_column`).
        date_unit: Unit of date columns held as epoch numbers (``'s'``, ``'ms'``,
            ``'us'``, ``'ns'``).

    Returns:
        A :class:`DurationQuantiles`.

    Raises:
        ConfigError: ``linear`` with Kaplan-Meier, a missing ``as_of``, bad ``q``; an
            ``as_of`` that cannot be read, naive beside aware ticket times, or aware
            beside naive ones without a ``calendar``; tickets whose business time reaches
            a day outside the ``calendar``'s country holiday years (named by row).
        InvalidInputError: Non-datetime columns, NaT starts, negative durations.

    Examples:
        >>> import pandas as pd
        >>> t = pd.DataFrame({
        ...     "created_at": pd.to_datetime(["2025-01-06 09:00"] * 5).tz_localize("UTC"),
        ...     "first_reply_at": pd.to_datetime(["2025-01-06 10:00", "2025-01-06 11:00",
        ...         "2025-01-06 12:00", "2025-01-06 13:00", "2025-01-06 14:00"]).tz_localize("UTC")})
        >>> duration_quantiles(t, q=(0.5,), method="linear", censoring="exclude").values
        (datetime.timedelta(seconds=10800),)
    """
    owner = "duration_quantiles()"
    on_dask = is_dask(tickets)
    if not on_dask:
        require_frame(tickets, owner, "tickets")
    columns = [start, end] + ([subtract] if subtract else [])
    require_columns(tickets, columns, owner)
    check_choice(method, ("nearest_rank", "midpoint", "linear"), owner, "method")
    check_choice(censoring, ("kaplan_meier", "exclude"), owner, "censoring")
    if method == "linear" and censoring == "kaplan_meier":
        raise ConfigError(
            owner,
            "method",
            expected="'nearest_rank' or 'midpoint' with censoring='kaplan_meier'",
            found="'linear'",
            hint="Kaplan-Meier percentiles are step-function (nearest-rank) percentiles; "
            "use censoring='exclude' for linear ones.",
        )
    qs = tuple(float(v) for v in q)
    if not qs or any(not 0 < v < 1 for v in qs):
        raise ConfigError(owner, "q", expected="probabilities in (0, 1)", found=repr(q))
    level = _check_level(level, owner)
    check_choice(band, ("plain", "log"), owner, "band")
    if calendar is not None and not hasattr(calendar, "elapsed_many"):
        raise ConfigError(
            owner, "calendar", expected="a BusinessCalendar", found=type(calendar).__name__
        )
    options: dict[str, Any] = {
        "start": start,
        "end": end,
        "censoring": censoring,
        "as_of": as_of,
        "calendar": calendar,
        "subtract": subtract,
        "date_format": date_format,
        "date_unit": date_unit,
    }
    if on_dask:
        # Business-time arithmetic partitions (per ticket); the Kaplan-Meier estimate
        # needs every duration, so the durations (two numbers a ticket) are collected.
        parts = _on_partitions(_durations, tickets, raise_waiting=False, **options)
        seconds = np.concatenate([np.zeros(0)] + [p[0] for p in parts])
        event = np.concatenate([np.zeros(0, dtype=bool)] + [p[1] for p in parts])
        n_excluded = sum(p[2] for p in parts)
        waiting = sum(p[3] for p in parts)
        if censoring == "kaplan_meier" and waiting and as_of is None:
            raise _no_as_of_error(owner, waiting, end)
    else:
        seconds, event, n_excluded, _ = _durations(tickets, **options)
    return _quantiles(
        seconds,
        event,
        n_excluded,
        qs=qs,
        method=method,
        censoring=censoring,
        level=level,
        band=band,
        business_time=calendar is not None,
    )


def _call_on_part(part: pd.DataFrame, events: Any, *, counter: Any, **options: Any) -> Any:
    """``counter`` on one partition (and the matching ``events`` partition, if any).

    The one module-level adapter between :func:`_per_partition`'s ``(part, other)`` call
    and the pandas counters: module-level, so it and ``counter`` pickle by reference.
    """
    if events is None:
        return counter(part, **options)
    return counter(part, events, **options)


def _on_partitions(func: Any, ddf: Any, events: Any = None, **options: Any) -> list[Any]:
    """The pandas counter ``func`` on every partition of ``ddf``, in one pass: its results."""
    return _per_partition(_call_on_part, ddf, events, counter=func, **options)


def _add_up(func: Any, ddf: Any, events: Any = None, **options: Any) -> tuple[int, ...]:
    """The tallies (tuples of counts) of ``func`` on every partition, added up."""
    tallies = _on_partitions(func, ddf, events, **options)
    return tuple(sum(column) for column in zip(*tallies, strict=True))


def _no_as_of_error(owner: str, waiting: int, end: str) -> ConfigError:
    return ConfigError(
        owner,
        "as_of",
        expected="an instant when some tickets are still waiting",
        found=f"None with {waiting} tickets without '{end}'",
        hint="Pass as_of= (the report time), or censoring='exclude'.",
    )


def _durations(
    tickets: pd.DataFrame,
    *,
    start: str,
    end: str,
    censoring: str,
    as_of: Any,
    calendar: _Calendar | None,
    subtract: str | None,
    date_format: str | None,
    date_unit: str | None,
    raise_waiting: bool = True,
) -> tuple[FloatArray, np.ndarray[Any, np.dtype[np.bool_]], int, int]:
    """Per-ticket durations (seconds), whether each ended, the excluded and waiting counts.

    ``raise_waiting=False`` (a Dask partition) leaves the "tickets waiting but no
    ``as_of``" check to the caller, which counts them over every partition.
    """
    owner = "duration_quantiles()"
    tickets = _read_dates(
        tickets, [start, end], owner, date_format=date_format, date_unit=date_unit
    )
    zone, cutoff = _zone_and_cutoff(tickets, [start, end], as_of, owner, calendar)
    starts = _instants(tickets, start, owner, zone, allow_missing=False)
    ends = _instants(tickets, end, owner, zone, allow_missing=True)
    created_ok = (
        np.ones(len(tickets), dtype=bool) if cutoff is None else (starts <= cutoff).to_numpy()
    )
    ended = ends.notna().to_numpy(dtype=bool, copy=True)
    if cutoff is not None:
        ended &= (ends <= cutoff).fillna(False).to_numpy(dtype=bool, copy=True)
    waiting = created_ok & ~ended
    if censoring == "kaplan_meier" and waiting.any() and cutoff is None:
        if raise_waiting:
            raise _no_as_of_error(owner, int(waiting.sum()), end)
        return np.zeros(0), np.zeros(0, dtype=bool), 0, int(waiting.sum())
    use = created_ok & (ended | (censoring == "kaplan_meier"))
    n_excluded = int((~use).sum())
    stop = ends.where(ended, cutoff if cutoff is not None else pd.NaT)
    s_sel, e_sel = starts[use], stop[use]
    if calendar is not None:
        _check_years(calendar, s_sel, e_sel, owner)
        elapsed = pd.Series(calendar.elapsed_many(s_sel, e_sel))
        seconds = elapsed.dt.total_seconds().to_numpy(dtype=np.float64)
    else:
        seconds = ((_ns(e_sel) - _ns(s_sel)) / _NS).astype(np.float64)
    if subtract:
        pause = _seconds_column(tickets, subtract, owner)[use]
        seconds = np.maximum(seconds - pause, 0.0)
    negative = seconds < 0
    if negative.any():
        labels = tickets.index[use]
        raise InvalidInputError(
            owner,
            end,
            expected=f"not before '{start}'",
            found=f"{int(negative.sum())} negative durations",
            rows=first_labels(labels, negative),
            total=int(negative.sum()),
        )
    return np.asarray(seconds, dtype=np.float64), ended[use], n_excluded, int(waiting.sum())


def _quantiles(
    seconds: FloatArray,
    event: np.ndarray[Any, np.dtype[np.bool_]],
    n_excluded: int,
    *,
    qs: tuple[float, ...],
    method: str,
    censoring: str,
    level: float,
    band: str,
    business_time: bool,
) -> DurationQuantiles:
    """The percentiles and their intervals from every ticket's duration."""
    n = len(seconds)
    z = _stats.z_value(level)
    values: list[dt.timedelta | None] = []
    lows: list[dt.timedelta | None] = []
    highs: list[dt.timedelta | None] = []
    reasons: list[str] = []
    if n == 0:
        reasons.append("no tickets")
        values = lows = highs = [None] * len(qs)
    else:
        times, surv, s_low, s_high = _kaplan_meier(
            np.asarray(seconds, dtype=np.float64), event, z, band
        )
        cdf, cdf_low, cdf_high = 1 - surv, 1 - s_high, 1 - s_low
        t_max = float(np.max(seconds))

        def read(curve: FloatArray, p: float) -> float | None:
            if method == "midpoint":
                return _midpoint_quantile(times, curve, p, t_max)
            return _first_reaching(times, curve, p)

        for p in qs:
            if method == "linear":
                point: float | None = float(np.quantile(seconds, p, method="linear"))
            else:
                point = read(cdf, p)
            values.append(_td(point))
            lows.append(_td(read(cdf_high, p)))
            highs.append(_td(read(cdf_low, p)))
            if point is None:
                reasons.append(f"P{p * 100:g} not reached: too many tickets still waiting")
    return DurationQuantiles(
        q=qs,
        values=tuple(values),
        lower=tuple(lows),
        upper=tuple(highs),
        level=level,
        method=method,
        censoring=censoring,
        n=n,
        n_events=int(event.sum()),
        n_censored=int((~event).sum()),
        n_excluded=n_excluded,
        business_time=business_time,
        reason="; ".join(reasons) or None,
    )


# --------------------------------------------------------------------------- shares

FCR_DEFINITIONS = ("one_touch", "no_customer_followup", "no_recontact_within")


def first_contact_resolution(
    tickets: pd.DataFrame,
    events: pd.DataFrame | None = None,
    *,
    definition: Literal["one_touch", "no_customer_followup", "no_recontact_within"] = "one_touch",
    window: dt.timedelta = dt.timedelta(days=7),
    as_of: Any = None,
    ticket: str = "ticket_id",
    customer: str = "customer_id",
    created: str = "created_at",
    resolved: str = "resolved_at",
    event: str = "event",
    ci: str | None = "wilson",
    level: float = 0.95,
    date_format: str | None = None,
    date_unit: str | None = None,
) -> RateResult:
    """First contact resolution among solved tickets, by a named definition.

    - ``"one_touch"`` (Zendesk Explore): solved with fewer than 2 agent replies
      (``"agent_reply"`` events), needs ``events``.
    - ``"no_customer_followup"`` (Freshservice): solved with no customer interaction
      after the initial description (no ``"customer_reply"`` event), needs ``events``.
    - ``"no_recontact_within"`` (system FCR): the same customer opened no other ticket
      within ``window`` after this one was solved. With ``as_of``, tickets whose window is
      still open and that have no re-contact yet are undecided: excluded and counted.

    The denominator is tickets solved (by ``as_of`` when given).

    Dask: ``tickets`` and ``events`` may be Dask DataFrames (a pandas ``events`` next to
    Dask tickets works too). For the event definitions, tickets and events are shuffled
    on the ticket id into the same partitions; for ``"no_recontact_within"``, tickets are
    shuffled on the customer. Each partition is counted by the pandas code (same checks,
    same error classes; errors name the partition's row labels) and the counts are added
    up, so the result equals the pandas path's.

    Args:
        tickets: One row per ticket.
        events: The event history (``ticket_id``, ``event``), for the event-based
            definitions.
        definition: One of the three names above.
        window: Re-contact window for ``"no_recontact_within"``.
        as_of: Report instant (tickets solved later count as unsolved; a date means
            the end of that day).
        ticket: Ticket id column (in both frames).
        customer: Customer column.
        created: Creation time column.
        resolved: Resolution time column (NaT while open).
        event: Event name column of ``events``.
        ci: Interval method (``"wilson"`` default, ``"agresti_coull"``,
            ``"clopper_pearson"``, ``"jeffreys"``, ``None``).
        level: Confidence level.
        date_format: strftime format of date columns held as text in another format than
            ISO 8601 (see :func:`crmkit._validate.datetime_column`).
        date_unit: Unit of date columns held as epoch numbers (``'s'``, ``'ms'``,
            ``'us'``, ``'ns'``).

    Returns:
        A :class:`RateResult`.

    Examples:
        >>> from crmkit.datasets import tickets, ticket_events
        >>> t = tickets(200, seed=1)
        >>> r = first_contact_resolution(t, ticket_events(t))
        >>> r.definition, r.n == int(t["resolved_at"].notna().sum())
        ('one_touch', True)
    """
    owner = "first_contact_resolution()"
    check_choice(definition, FCR_DEFINITIONS, owner, "definition")
    level = _check_rate_options(ci, level, owner)
    if definition == "no_recontact_within" and (
        not isinstance(window, dt.timedelta) or window <= dt.timedelta(0)
    ):
        raise ConfigError(owner, "window", expected="a positive timedelta", found=repr(window))
    options: dict[str, Any] = {
        "definition": definition,
        "window": window,
        "as_of": as_of,
        "ticket": ticket,
        "customer": customer,
        "created": created,
        "resolved": resolved,
        "event": event,
        "date_format": date_format,
        "date_unit": date_unit,
    }
    if is_dask(tickets) or is_dask(events):
        tally = _fcr_on_dask(tickets, events, options, owner)
    else:
        tally = _fcr_tally(tickets, events, owner=owner, check_events=True, **options)
    good, n, n_excluded, n_anonymous, _ = tally
    if definition != "no_recontact_within":
        return _rate(
            "first_contact_resolution",
            definition,
            good,
            n,
            n_excluded,
            ci=ci,
            level=level,
            empty_reason="no solved tickets",
        )
    return _rate(
        "first_contact_resolution",
        "no_recontact_within",
        good,
        n,
        n_excluded,
        ci=ci,
        level=level,
        empty_reason="no solved tickets",
        note=_excluded_note(n_anonymous, "solved tickets without a customer id"),
    )


#: (successes, n, n_excluded, anonymous solved tickets, event rows) of one frame or part.
_Tally = tuple[int, int, int, int, int]


def _empty_events_error(owner: str, definition: str) -> InvalidInputError:
    # No event at all cannot tell one touch from many: it is not 100 % FCR.
    return InvalidInputError(
        owner,
        "events",
        expected=f"the ticket events that definition={definition!r} counts",
        found="an empty frame",
        hint="Pass the event history (ticket_events()), or use definition='no_recontact_within'.",
        kind="",
    )


def _fcr_tally(
    tickets: pd.DataFrame,
    events: pd.DataFrame | None = None,
    *,
    owner: str,
    check_events: bool,
    definition: str,
    window: dt.timedelta,
    as_of: Any,
    ticket: str,
    customer: str,
    created: str,
    resolved: str,
    event: str,
    date_format: str | None,
    date_unit: str | None,
) -> _Tally:
    """First contact resolution's counts on one pandas frame (or one Dask partition).

    ``check_events=False`` leaves the "no events at all" check to the caller (a
    partition may hold no events while the whole history has some).
    """
    require_frame(tickets, owner, "tickets")
    require_columns(tickets, [ticket, created, resolved], owner)
    tickets = _read_dates(
        tickets, [created, resolved], owner, date_format=date_format, date_unit=date_unit
    )
    zone, cutoff = _zone_and_cutoff(tickets, [created, resolved], as_of, owner)
    starts = _instants(tickets, created, owner, zone, allow_missing=False)
    ends = _instants(tickets, resolved, owner, zone, allow_missing=True)
    solved = ends.notna().to_numpy(dtype=bool, copy=True)
    if cutoff is not None:
        solved &= (ends <= cutoff).fillna(False).to_numpy(dtype=bool, copy=True)
    n_unsolved = int((~solved).sum())
    if definition in ("one_touch", "no_customer_followup"):
        if events is None:
            raise ConfigError(
                owner,
                "events",
                expected=f"an event frame for definition={definition!r}",
                found="None",
            )
        require_frame(events, owner, "events")
        require_columns(events, [ticket, event], owner)
        if check_events and len(events) == 0 and solved.any():
            raise _empty_events_error(owner, definition)
        wanted = "agent_reply" if definition == "one_touch" else "customer_reply"
        ev = events
        if cutoff is not None and "time" in events.columns:
            ev = _read_dates(events, ["time"], owner, date_format=date_format, date_unit=date_unit)
            ev = ev[_instants(ev, "time", owner, zone, allow_missing=False) <= cutoff]
        counts = ev.loc[ev[event] == wanted, ticket].value_counts()
        per_ticket = tickets[ticket].map(counts).fillna(0).to_numpy(dtype=np.int64)
        good = per_ticket < 2 if definition == "one_touch" else per_ticket == 0
        good &= solved
        return int(good.sum()), int(solved.sum()), n_unsolved, 0, len(events)
    require_columns(tickets, [customer], owner)
    # Tickets without a customer id cannot be matched to a re-contact: excluded, counted.
    anonymous = tickets[customer].isna().to_numpy(dtype=bool, copy=True)
    n_anonymous = int((anonymous & solved).sum())
    solved = solved & ~anonymous
    if not solved.any():
        # No solved ticket to judge: the empty result (n = 0, "no solved tickets"), every
        # ticket counted as excluded. Regression: pandas' MergeError on the empty side.
        return 0, 0, n_unsolved + n_anonymous, n_anonymous, 0
    # One Series of ids for both sides of the merge, its dtype inferred once: a subset
    # read apart can infer another (ids 1 and 'a' are object, 'a' alone str) and the
    # merge refuses the pair.
    ids = pd.Series(tickets[customer].to_numpy())
    base = pd.DataFrame({"cust": ids, "created": _ns(starts), "row": np.arange(len(tickets))})
    solved_rows = pd.DataFrame(
        {
            "cust": ids[solved].reset_index(drop=True),
            "resolved": _ns(ends[solved]),
            "row": np.flatnonzero(solved),
        }
    )
    base = base[~anonymous]
    if cutoff is not None:
        base = base[base["created"] <= cutoff.value]
    right = base.sort_values("created", kind="stable")[["cust", "created"]]
    left = solved_rows.sort_values("resolved", kind="stable")
    merged = pd.merge_asof(
        left,
        right,
        left_on="resolved",
        right_on="created",
        by="cust",
        direction="forward",
        allow_exact_matches=False,
    )
    window_ns = int(window.total_seconds() * _NS)
    next_created = merged["created"].to_numpy(dtype=np.float64, na_value=np.nan)
    recontact = next_created <= merged["resolved"].to_numpy(dtype=np.float64) + window_ns
    undecided = np.zeros(len(merged), dtype=bool)
    if cutoff is not None:
        undecided = ~recontact & (merged["resolved"].to_numpy() + window_ns > cutoff.value)
    decided = ~undecided
    good_n = int((~recontact & decided).sum())
    excluded = n_unsolved + int(undecided.sum()) + n_anonymous
    return good_n, int(decided.sum()), excluded, n_anonymous, 0


def _fcr_on_dask(tickets: Any, events: Any, options: dict[str, Any], owner: str) -> _Tally:
    """First contact resolution's counts on Dask: per partition, then added up.

    The re-contact definition needs each customer's tickets together (tickets are
    shuffled on the customer); the event definitions need each ticket's events with it
    (tickets and events are shuffled on the ticket id into the same partitions).
    """
    import dask.dataframe as dd

    ticket, definition = options["ticket"], options["definition"]
    if not is_dask(tickets):
        require_frame(tickets, owner, "tickets")
        tickets = dd.from_pandas(tickets, npartitions=max(events.npartitions, 1))  # type: ignore[no-untyped-call]
    require_columns(tickets, [ticket, options["created"], options["resolved"]], owner)
    if definition == "no_recontact_within":
        customer = options["customer"]
        require_columns(tickets, [customer], owner)
        shuffled = tickets.shuffle(on=customer)
        tally = _add_up(_fcr_tally, shuffled, owner=owner, check_events=False, **options)
    else:
        if events is None:
            raise ConfigError(
                owner,
                "events",
                expected=f"an event frame for definition={definition!r}",
                found="None",
            )
        if not is_dask(events):
            require_frame(events, owner, "events")
            events = dd.from_pandas(events, npartitions=max(tickets.npartitions, 1))  # type: ignore[no-untyped-call]
        require_columns(events, [ticket, options["event"]], owner)
        parts = max(events.npartitions, tickets.npartitions)
        tally = _add_up(
            _fcr_tally,
            tickets.shuffle(on=ticket, npartitions=parts),
            events=events.shuffle(on=ticket, npartitions=parts),
            owner=owner,
            check_events=False,
            **options,
        )
    good, n, excluded, anonymous, n_events = tally
    if definition != "no_recontact_within" and n_events == 0 and n > 0:
        raise _empty_events_error(owner, definition)
    return good, n, excluded, anonymous, n_events


def reopen_rate(
    tickets: pd.DataFrame,
    *,
    reopened: str = "reopened",
    resolved: str = "resolved_at",
    ci: str | None = "wilson",
    level: float = 0.95,
) -> RateResult:
    """Share of solved tickets that were reopened (solved -> open again).

    Denominator: tickets with a resolution time; numerator: those flagged ``reopened``.
    ``tickets`` may be a Dask DataFrame: each partition is counted (with the same checks;
    a missing flag is reported with the first failing partition's row labels) and the
    counts are added up.

    Args:
        tickets: One row per ticket.
        reopened: Boolean column.
        resolved: Resolution time column (NaT while open).
        ci: Interval method.
        level: Confidence level.

    Returns:
        A :class:`RateResult`.

    Examples:
        >>> import pandas as pd
        >>> t = pd.DataFrame({"reopened": [True, False, False, False],
        ...                   "resolved_at": pd.to_datetime(["2025-01-02"] * 3 + [None])})
        >>> reopen_rate(t).format()
        'reopen_rate (reopened / solved) 33.3% (95% CI 6.1% to 79.2%, wilson; 1 of 3)'
    """
    owner = "reopen_rate()"
    if is_dask(tickets):
        require_columns(tickets, [reopened, resolved], owner)
        level = _check_rate_options(ci, level, owner)
        _check_flags(cast("pd.DataFrame", tickets._meta), reopened, owner)
        hits, solved_n, unsolved = _add_up(
            _reopen_tally, tickets, reopened=reopened, resolved=resolved, owner=owner
        )
    else:
        require_frame(tickets, owner, "tickets")
        require_columns(tickets, [reopened, resolved], owner)
        level = _check_rate_options(ci, level, owner)
        hits, solved_n, unsolved = _reopen_tally(tickets, reopened, resolved, owner)
    return _rate(
        "reopen_rate",
        "reopened / solved",
        hits,
        solved_n,
        unsolved,
        ci=ci,
        level=level,
        empty_reason="no solved tickets",
    )


def _check_flags(tickets: Any, reopened: str, owner: str) -> None:
    flags = tickets[reopened]
    if not pd.api.types.is_bool_dtype(flags.dtype):
        raise InvalidInputError(owner, reopened, expected="booleans", found=f"dtype {flags.dtype}")


def _reopen_tally(
    tickets: pd.DataFrame, reopened: str, resolved: str, owner: str
) -> tuple[int, int, int]:
    """(reopened and solved, solved, unsolved) of one frame or partition."""
    _check_flags(tickets, reopened, owner)
    flags = tickets[reopened]
    solved = tickets[resolved].notna().to_numpy(dtype=bool, copy=True)
    unknown = flags.isna().to_numpy(dtype=bool, copy=True) & solved
    if unknown.any():
        raise InvalidInputError(
            owner,
            reopened,
            expected="True or False for every solved ticket",
            found=f"{int(unknown.sum())} missing values",
            rows=first_labels(tickets.index, unknown),
            total=int(unknown.sum()),
            hint="A missing flag is not 'not reopened': fill it from the ticket history.",
        )
    hits = flags.fillna(False).to_numpy(dtype=bool, copy=True) & solved
    return int(hits.sum()), int(solved.sum()), int((~solved).sum())


def repeat_complaint_rate(
    complaints: pd.DataFrame,
    *,
    window: dt.timedelta = dt.timedelta(days=30),
    as_of: Any = None,
    customer: str = "customer_id",
    created: str = "created_at",
    ci: str | None = "wilson",
    level: float = 0.95,
    date_format: str | None = None,
    date_unit: str | None = None,
) -> RateResult:
    """Share of complainants who complained again within ``window`` of a complaint.

    Denominator: distinct complainants. With ``as_of``, complainants with no repeat so
    far whose last complaint is less than ``window`` before ``as_of`` are undecided:
    excluded and counted. Complaints without a customer id cannot be linked to anyone:
    they are excluded, counted in ``n_excluded`` and named in ``reason``.

    Dask: ``complaints`` may be a Dask DataFrame. It is shuffled on the customer so that
    each complainant's complaints meet in one partition; every partition is counted by the
    pandas code (same checks; errors name the partition's row labels) and the counts are
    added up, so the result equals the pandas path's.

    Args:
        complaints: One row per complaint (e.g. tickets of kind ``"complaint"``).
        window: The repeat window.
        as_of: Report instant (a date means the end of that day).
        customer: Customer column.
        created: Complaint time column.
        ci: Interval method.
        level: Confidence level.
        date_format: strftime format of date columns held as text in another format than
            ISO 8601 (see :func:`crmkit._validate.datetime_column`).
        date_unit: Unit of date columns held as epoch numbers (``'s'``, ``'ms'``,
            ``'us'``, ``'ns'``).

    Returns:
        A :class:`RateResult`.

    Examples:
        >>> import pandas as pd
        >>> c = pd.DataFrame({"customer_id": [1, 1, 2, 3, 3],
        ...     "created_at": pd.to_datetime(["2025-01-01", "2025-01-20", "2025-01-05",
        ...                                   "2025-01-01", "2025-03-01"])})
        >>> r = repeat_complaint_rate(c)
        >>> r.successes, r.n
        (1, 3)
    """
    owner = "repeat_complaint_rate()"
    if not is_dask(complaints):
        require_frame(complaints, owner, "complaints")
    require_columns(complaints, [customer, created], owner)
    level = _check_rate_options(ci, level, owner)
    if not isinstance(window, dt.timedelta) or window <= dt.timedelta(0):
        raise ConfigError(owner, "window", expected="a positive timedelta", found=repr(window))
    options: dict[str, Any] = {
        "window": window,
        "as_of": as_of,
        "customer": customer,
        "created": created,
        "date_format": date_format,
        "date_unit": date_unit,
        "owner": owner,
    }
    if is_dask(complaints):
        # Each complainant's complaints meet in one partition (shuffled on the customer;
        # complaints without one land anywhere and are counted there); the counts add up.
        _repeat_tally(cast("pd.DataFrame", complaints._meta), **options)  # checks as_of
        shuffled = cast("Any", complaints).shuffle(on=customer)
        hits, n, excluded, n_anonymous = _add_up(_repeat_tally, shuffled, **options)
    else:
        hits, n, excluded, n_anonymous = _repeat_tally(complaints, **options)
    return _rate(
        "repeat_complaint_rate",
        f"another complaint within {_span(window)}",
        hits,
        n,
        excluded,
        ci=ci,
        level=level,
        empty_reason="no complainants",
        note=_excluded_note(n_anonymous, "complaints without a customer id"),
    )


def _repeat_tally(
    complaints: pd.DataFrame,
    *,
    window: dt.timedelta,
    as_of: Any,
    customer: str,
    created: str,
    date_format: str | None,
    date_unit: str | None,
    owner: str,
) -> tuple[int, int, int, int]:
    """(repeaters, decided complainants, excluded, anonymous) of a frame or partition."""
    complaints = _read_dates(
        complaints, [created], owner, date_format=date_format, date_unit=date_unit
    )
    zone, cutoff = _zone_and_cutoff(complaints, [created], as_of, owner)
    times = _instants(complaints, created, owner, zone, allow_missing=False)
    frame = pd.DataFrame({"cust": complaints[customer].to_numpy(), "t": _ns(times)})
    anonymous = complaints[customer].isna().to_numpy(dtype=bool, copy=True)
    n_anonymous = int(anonymous.sum())
    frame = frame[~anonymous]
    n_late = 0
    if cutoff is not None:
        late = frame["t"] > cutoff.value
        n_late = int(late.sum())
        frame = frame[~late]
    frame = frame.sort_values(["cust", "t"], kind="stable")
    gap = frame.groupby("cust", sort=False)["t"].diff()
    window_ns = int(window.total_seconds() * _NS)
    repeat = (gap <= window_ns).groupby(frame["cust"], sort=False).any()
    last = frame.groupby("cust", sort=False)["t"].max()
    undecided = pd.Series(False, index=repeat.index)
    if cutoff is not None:
        undecided = ~repeat & (last + window_ns > cutoff.value)
    decided = ~undecided
    return (
        int((repeat & decided).sum()),
        int(decided.sum()),
        int(undecided.sum()) + n_late + n_anonymous,
        n_anonymous,
    )


def followup_completion(
    tickets: pd.DataFrame,
    *,
    due: dt.timedelta = dt.timedelta(days=3),
    on_time: bool = True,
    as_of: Any = None,
    kinds: Sequence[str] | None = ("complaint",),
    kind: str = "kind",
    resolved: str = "resolved_at",
    followed_up: str = "followed_up_at",
    ci: str | None = "wilson",
    level: float = 0.95,
    date_format: str | None = None,
    date_unit: str | None = None,
) -> RateResult:
    """Follow-up (回访) completion: follow-ups done (on time) over follow-ups due.

    A follow-up is due ``due`` after a ticket of one of ``kinds`` is solved. With
    ``on_time=True`` (default) it counts when done by the deadline; otherwise when done
    at all (by ``as_of``). With ``as_of``, follow-ups whose deadline is still ahead and
    that are not done yet are not due: excluded and counted.

    Dask: ``tickets`` may be a Dask DataFrame. A follow-up depends on its own ticket's row
    only, so every partition is counted by the pandas code (same checks; errors name the
    partition's row labels) and the counts are added up: the result equals pandas'.

    Args:
        tickets: One row per ticket.
        due: Time allowed after resolution.
        on_time: Count only follow-ups done by the deadline.
        as_of: Report instant (a date means the end of that day).
        kinds: Ticket kinds that need a follow-up (``None``: all).
        kind: Kind column (used when ``kinds`` is given).
        resolved: Resolution time column.
        followed_up: Follow-up time column (NaT if none).
        ci: Interval method.
        level: Confidence level.
        date_format: strftime format of date columns held as text in another format than
            ISO 8601 (see :func:`crmkit._validate.datetime_column`).
        date_unit: Unit of date columns held as epoch numbers (``'s'``, ``'ms'``,
            ``'us'``, ``'ns'``).

    Returns:
        A :class:`RateResult`.

    Examples:
        >>> import pandas as pd
        >>> t = pd.DataFrame({"kind": ["complaint"] * 3,
        ...     "resolved_at": pd.to_datetime(["2025-01-01"] * 3),
        ...     "followed_up_at": pd.to_datetime(["2025-01-02", "2025-01-09", None])})
        >>> followup_completion(t).successes
        1
    """
    owner = "followup_completion()"
    if not is_dask(tickets):
        require_frame(tickets, owner, "tickets")
    require_columns(tickets, [resolved, followed_up] + ([kind] if kinds is not None else []), owner)
    level = _check_rate_options(ci, level, owner)
    if not isinstance(due, dt.timedelta) or due < dt.timedelta(0):
        raise ConfigError(owner, "due", expected="a timedelta >= 0", found=repr(due))
    options: dict[str, Any] = {
        "due": due,
        "on_time": on_time,
        "as_of": as_of,
        "kinds": kinds,
        "kind": kind,
        "resolved": resolved,
        "followed_up": followed_up,
        "date_format": date_format,
        "date_unit": date_unit,
        "owner": owner,
    }
    if is_dask(tickets):
        # One ticket's follow-up depends on its own row only: every partition is counted
        # by the pandas code and the counts add up.
        _followup_tally(cast("pd.DataFrame", tickets._meta), **options)  # checks as_of
        hits, n, excluded = _add_up(_followup_tally, tickets, **options)
    else:
        hits, n, excluded = _followup_tally(tickets, **options)
    definition = f"done within {_span(due)} of resolution" if on_time else "done"
    return _rate(
        "followup_completion",
        definition,
        hits,
        n,
        excluded,
        ci=ci,
        level=level,
        empty_reason="no follow-ups due",
    )


def _followup_tally(
    tickets: pd.DataFrame,
    *,
    due: dt.timedelta,
    on_time: bool,
    as_of: Any,
    kinds: Sequence[str] | None,
    kind: str,
    resolved: str,
    followed_up: str,
    date_format: str | None,
    date_unit: str | None,
    owner: str,
) -> tuple[int, int, int]:
    """(done (on time), due, excluded) follow-ups of a frame or partition."""
    tickets = _read_dates(
        tickets, [resolved, followed_up], owner, date_format=date_format, date_unit=date_unit
    )
    zone, cutoff = _zone_and_cutoff(tickets, [resolved, followed_up], as_of, owner)
    ends = _instants(tickets, resolved, owner, zone, allow_missing=True)
    done_at = _instants(tickets, followed_up, owner, zone, allow_missing=True)
    applicable = ends.notna().to_numpy(dtype=bool, copy=True)
    if kinds is not None:
        applicable &= tickets[kind].isin(list(kinds)).to_numpy(dtype=bool, copy=True)
    if cutoff is not None:
        applicable &= (ends <= cutoff).fillna(False).to_numpy(dtype=bool, copy=True)
        done_at = done_at.where(done_at <= cutoff)
    deadline = ends + pd.Timedelta(due)
    done = done_at.notna().to_numpy(dtype=bool, copy=True)
    in_time = done & (done_at <= deadline).fillna(False).to_numpy(dtype=bool, copy=True)
    success = in_time if on_time else done
    not_due = np.zeros(len(tickets), dtype=bool)
    if cutoff is not None:
        not_due = (
            applicable
            & ~success
            & (deadline > cutoff).fillna(False).to_numpy(dtype=bool, copy=True)
        )
    counted = applicable & ~not_due
    return int((success & counted).sum()), int(counted.sum()), int((~counted).sum())


# --------------------------------------------------------------------------- rates, backlog


def complaint_rate(
    complaints: int | pd.DataFrame | pd.Series,
    exposure: float,
    *,
    per: float = 1000,
    level: float = 0.95,
) -> PoissonRate:
    """Complaints per ``per`` units of an explicit exposure, with the exact Poisson interval.

    The exposure is whatever the complaints are counted against: orders, customers,
    contacts. The interval is Garwood's ``[chi2(a/2; 2k)/2, chi2(1-a/2; 2k+2)/2] / E``.

    Args:
        complaints: The number of complaints, or a frame / Series (pandas or Dask: its
            rows are counted) with one row each.
        exposure: Exposure (> 0 for a rate; 0 gives a result with a reason).
        per: Express the rate per this many units (1,000 by default).
        level: Confidence level.

    Returns:
        A :class:`PoissonRate`.

    Examples:
        >>> r = complaint_rate(12, exposure=4000)
        >>> r.value, round(r.interval.lower, 3), round(r.interval.upper, 3)
        (3.0, 1.55, 5.24)
    """
    owner = "complaint_rate()"
    level = _check_level(level, owner)
    framed = isinstance(complaints, (pd.DataFrame, pd.Series)) or is_dask(complaints)
    count = len(complaints) if framed else complaints  # type: ignore[arg-type]  # Dask: a count
    if not isinstance(count, (int, np.integer)) or isinstance(count, bool) or count < 0:
        raise InvalidInputError(
            owner, "complaints", expected="a count >= 0 or a frame", found=repr(complaints), kind=""
        )
    ok = isinstance(exposure, (int, float, np.number)) and not isinstance(exposure, bool)
    if not ok or not np.isfinite(exposure) or exposure < 0:
        raise InvalidInputError(
            owner, "exposure", expected="a finite number >= 0", found=repr(exposure), kind=""
        )
    # A numpy number is a number too; NaN and infinity are not a unit to count per.
    number = isinstance(per, (int, float, np.number)) and not isinstance(per, bool)
    if not number or not np.isfinite(per) or per <= 0:
        raise ConfigError(owner, "per", expected="a finite number > 0", found=repr(per))
    if exposure == 0:
        return PoissonRate(None, int(count), 0.0, float(per), None, "zero exposure")
    lo, hi = _stats.poisson_interval(int(count), float(exposure), level)
    interval = Interval(float(lo) * per, float(hi) * per, level, "garwood")
    reason = "no complaints: the interval is one-sided" if count == 0 else None
    return PoissonRate(
        int(count) / float(exposure) * per,
        int(count),
        float(exposure),
        float(per),
        interval,
        reason,
    )


def backlog(
    tickets: pd.DataFrame,
    *,
    as_of: Any,
    buckets: Sequence[float] = (1, 3, 7, 30),
    by: str | None = None,
    created: str = "created_at",
    resolved: str = "resolved_at",
    calendar: _Calendar | None = None,
    age_days: Literal["business", "24h"] = "business",
    date_format: str | None = None,
    date_unit: str | None = None,
) -> pd.DataFrame:
    """Unsolved tickets at ``as_of``, counted by age bucket (a snapshot).

    A ticket is in the backlog when created at or before ``as_of`` and not solved by
    then. Its age is ``as_of - created`` in days of 24 hours. With a ``calendar`` the
    age counts the calendar's business days (``age_days="business"``, the default): a
    ticket opened Monday 09:00 on a 09:00-18:00 desk is 2 days old on Wednesday at
    09:00, as :meth:`~crmkit.service.BusinessCalendar.business_days_between` counts, and
    a part-day counts by the share of that day's business hours that has run (Monday
    13:30 is half a day after 09:00; a ticket created outside hours starts at the next
    opening; a half-day Saturday is a whole business day). This is the working-day age
    that aging reports and day-based business-hours SLAs (Freshdesk: one business day is
    the day's business hours) read. ``age_days="24h"`` instead counts 24 hours of
    business time as a day (Freshdesk's 2026 rule for SLA targets; on a 9-to-18 desk
    one such day is 2.7 working days). On an always-open calendar both are calendar
    days. The backlog is a count of the whole population at an instant, not a sample,
    so it has no sampling interval.

    Dask: ``tickets`` may be a Dask DataFrame. Every partition is counted by the pandas
    code (same checks; errors name the partition's row labels) and the bucket counts are
    added up per ``by`` value, so the frame and its ``.attrs`` equal the pandas path's.

    Args:
        tickets: One row per ticket.
        as_of: The instant of the snapshot (a date means the end of that day).
        buckets: Bucket edges in days (increasing), e.g. ``(1, 3, 7, 30)`` gives
            ``<1d``, ``1-3d``, ``3-7d``, ``7-30d``, ``>=30d``.
        by: Optional column to split by (e.g. ``"priority"``).
        created: Creation time column.
        resolved: Resolution time column (NaT while open).
        calendar: Measure ages in business time on this
            :class:`~crmkit.service.BusinessCalendar` (naive times are read in its zone).
        age_days: With a ``calendar``: ``"business"`` (bucket edges count business days)
            or ``"24h"`` (they count 24-hour blocks of business time).
        date_format: strftime format of date columns held as text in another format than
            ISO 8601 (see :func:`crmkit._validate.datetime_column`).
        date_unit: Unit of date columns held as epoch numbers (``'s'``, ``'ms'``,
            ``'us'``, ``'ns'``).

    Returns:
        One row per bucket (and ``by`` value): ``age`` (ordered categorical),
        ``tickets`` (count) and ``share`` (percent of the backlog, within ``by``).
        ``.attrs["total"]`` holds the backlog size and ``.attrs["age_unit"]`` what a
        day of age is (``"days"``, ``"business days"`` or ``"24h of business time"``).

    Raises:
        ConfigError: Bad ``buckets`` or ``age_days``; an ``as_of`` that is missing or
            cannot be read, naive beside aware ticket times, or aware beside naive ones
            without a ``calendar``; open tickets whose age (from creation to ``as_of``)
            reaches a day outside the ``calendar``'s country holiday years (named by
            row).
        InvalidInputError: Non-datetime columns, NaT creation times, naive and aware
            columns mixed.

    Examples:
        >>> import pandas as pd
        >>> t = pd.DataFrame({"created_at": pd.to_datetime(["2025-01-01", "2025-01-09", "2025-01-09"]),
        ...                   "resolved_at": pd.to_datetime([None, None, "2025-01-09 12:00"])})
        >>> b = backlog(t, as_of=pd.Timestamp("2025-01-10"))
        >>> b["tickets"].tolist(), b.attrs["total"]
        ([0, 1, 0, 1, 0], 2)

        Two full working days open on a 09:00-18:00 desk is 2 business days of age:

        >>> from crmkit.service import BusinessCalendar
        >>> week = {d: [["09:00", "18:00"]] for d in ["mon", "tue", "wed", "thu", "fri"]}
        >>> desk = BusinessCalendar("UTC", week)
        >>> t = pd.DataFrame({"created_at": [pd.Timestamp("2025-01-06 09:00")],
        ...                   "resolved_at": [pd.NaT]})
        >>> b = backlog(t, as_of=pd.Timestamp("2025-01-08 09:00"), calendar=desk)
        >>> b.loc[b["tickets"] > 0, "age"].tolist(), b.attrs["age_unit"]
        (['1-3d'], 'business days')
    """
    owner = "backlog()"
    options: dict[str, Any] = {
        "as_of": as_of,
        "buckets": buckets,
        "by": by,
        "created": created,
        "resolved": resolved,
        "calendar": calendar,
        "age_days": age_days,
        "date_format": date_format,
        "date_unit": date_unit,
    }
    if not is_dask(tickets):
        return _backlog(tickets, **options)
    require_columns(tickets, [created, resolved] + ([by] if by else []), owner)
    # The options are checked once here (on the empty metadata frame), then every
    # partition counts its own open tickets; the counts add up.
    meta = cast("pd.DataFrame", tickets._meta)  # a Dask DataFrame's empty pandas twin
    _backlog(meta, **options)
    partials = _on_partitions(_backlog, tickets, **options)
    first = partials[0]
    keys = [by, "age"] if by else ["age"]
    counts = pd.concat([p.drop(columns="share") for p in partials], ignore_index=True)
    counts = counts.groupby(keys, observed=False, sort=True)["tickets"].sum().reset_index()
    total = sum(int(p.attrs["total"]) for p in partials)
    return _with_shares(counts, by, total, first.attrs["as_of"], first.attrs["age_unit"])


def _with_shares(
    counts: pd.DataFrame, by: str | None, total: int, as_of: str, unit: str
) -> pd.DataFrame:
    """Add each bucket's share of the backlog (within ``by``) and the ``.attrs``."""
    if by:
        totals = counts.groupby(by, observed=False)["tickets"].transform("sum")
    else:
        totals = pd.Series(total, index=counts.index)
    counts["tickets"] = counts["tickets"].astype(np.int64)
    with np.errstate(invalid="ignore", divide="ignore"):
        counts["share"] = np.where(
            totals > 0, counts["tickets"] / totals.where(totals > 0, 1) * 100, 0.0
        )
    counts.attrs["total"] = total
    counts.attrs["as_of"] = as_of
    counts.attrs["age_unit"] = unit
    return counts


def _backlog(
    tickets: pd.DataFrame,
    *,
    as_of: Any,
    buckets: Sequence[float],
    by: str | None,
    created: str,
    resolved: str,
    calendar: _Calendar | None,
    age_days: str,
    date_format: str | None,
    date_unit: str | None,
) -> pd.DataFrame:
    owner = "backlog()"
    require_frame(tickets, owner, "tickets")
    require_columns(tickets, [created, resolved] + ([by] if by else []), owner)
    edges = [float(b) for b in buckets]
    if (
        not edges
        or any(b <= 0 for b in edges)
        or any(b2 <= b1 for b1, b2 in itertools.pairwise(edges))
    ):
        raise ConfigError(
            owner, "buckets", expected="increasing positive day counts", found=repr(buckets)
        )
    check_choice(age_days, ("business", "24h"), owner, "age_days")
    if calendar is not None and not hasattr(calendar, "elapsed_many"):
        raise ConfigError(
            owner, "calendar", expected="a BusinessCalendar", found=type(calendar).__name__
        )
    tickets = _read_dates(
        tickets, [created, resolved], owner, date_format=date_format, date_unit=date_unit
    )
    zone, cutoff = _zone_and_cutoff(tickets, [created, resolved], as_of, owner, calendar)
    if cutoff is None:
        raise ConfigError(owner, "as_of", expected="the snapshot instant", found="None")
    starts = _instants(tickets, created, owner, zone, allow_missing=False)
    ends = _instants(tickets, resolved, owner, zone, allow_missing=True)
    open_now = (starts <= cutoff).to_numpy(dtype=bool, copy=True) & ~(ends <= cutoff).fillna(
        False
    ).to_numpy(dtype=bool)
    sel = starts[open_now]
    if calendar is not None:
        # Both ages measure business time from creation to as_of (the business-day one
        # reads the timeline directly, past the calendar's own checks).
        _check_years(calendar, sel, pd.Series(cutoff, index=sel.index), owner)
    if calendar is None:
        unit = "days"
        days = (cutoff.value - _ns(sel)) / _NS / 86400
    elif age_days == "business":
        unit = "business days"
        days = _business_day_ages(calendar, sel, cutoff, owner)
    else:
        unit = "24h of business time"
        stops = pd.Series(cutoff, index=sel.index)
        age = (
            pd.Series(calendar.elapsed_many(sel, stops))
            .dt.total_seconds()
            .to_numpy(dtype=np.float64)
        )
        days = age / 86400
    fmt = [f"{e:g}" for e in edges]
    labels = [f"<{fmt[0]}d"] + [f"{a}-{b}d" for a, b in itertools.pairwise(fmt)] + [f">={fmt[-1]}d"]
    codes = np.searchsorted(np.asarray(edges), days, side="right")
    age_cat = pd.Categorical.from_codes(codes, categories=pd.Index(labels), ordered=True)
    frame = pd.DataFrame({"age": age_cat})
    if by:
        frame[by] = tickets.loc[open_now, by].to_numpy()
        counts = frame.groupby([by, "age"], observed=False).size().rename("tickets").reset_index()
    else:
        counts = frame.groupby("age", observed=False).size().rename("tickets").reset_index()
    return _with_shares(counts, by, int(open_now.sum()), cutoff.isoformat(), unit)


def _business_day_ages(
    calendar: Any, starts: pd.Series, cutoff: pd.Timestamp, owner: str
) -> FloatArray:
    """Business days from each start to ``cutoff`` (part-days by the share of hours run).

    The difference of the business-day coordinates of
    :func:`crmkit.service._timeline.day_position_many`: whole business days between the
    owning days (numpy's ``busday_count``), plus the share of the cut-off's day that has
    run, less that of the start's day.
    """
    if not isinstance(calendar, BusinessCalendar):
        raise ConfigError(
            owner,
            "calendar",
            expected='a BusinessCalendar (business-day ages; age_days="24h" takes any clock)',
            found=type(calendar).__name__,
        )
    if len(starts) == 0:
        return np.zeros(0, dtype=np.float64)
    index = starts.index

    def labels(mask: np.ndarray[Any, np.dtype[np.bool_]]) -> list[Any]:
        return list(first_labels(index, mask[: len(index)]))

    t = np.append(_ns(starts), np.int64(cutoff.value))
    day, share = tl.day_position_many(calendar, t, owner, labels)
    whole = tl.count_days_many(calendar, day[:-1], np.full(len(index), day[-1], dtype=np.int64))
    ages: FloatArray = whole.astype(np.float64) + (share[-1] - share[:-1])
    return ages
