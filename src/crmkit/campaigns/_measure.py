"""Measure what a campaign changed: treatment against the held-out control group.

Per arm: the response rate (a purchase in the window) with a Wilson interval, revenue per
customer and orders per customer with t intervals. Between the arms: the uplift in the
response rate with Newcombe's hybrid score interval (method 10) and the score test,
the relative lift with Koopman's score interval of the risk ratio (the inversion of
that same score test, so the two always agree), and the incremental revenue
per customer with Welch's interval (and relative to the control's revenue per customer,
with the delta-method interval), plus a CUPED-adjusted Welch interval that uses each
customer's spend in a pre-period as covariate (Deng et al. 2013; the variance reduction
is reported). By segment: the uplift with Holm-adjusted p-values. Every figure carries
its n and its method. Revenue is heavy-tailed: with few responders the Welch interval's
normal approximation is rough, which is why the CUPED variant and the response-rate
uplift (which needs no such assumption) are reported beside it.

Every interval is two-sided and every p-value too; a one-sided test at ``alpha`` is the
bound of the ``level = 1 - 2 * alpha`` interval and half the p-value. The revenue figures
(Welch, and CUPED with ``theta`` pooled over both arms) equal GrowthBook's gbstats
frequentist ``TwoSidedTTest`` on absolute differences (``RegressionAdjustedStatistic``
for CUPED), and the relative revenue lift its relative ``TwoSidedTTest``. Two figures follow another convention than gbstats, on purpose: the uplift in
the response rate is Newcombe's interval (gbstats: a Welch t on the 0/1 outcomes), and
the relative lift is Koopman's score interval of the risk ratio (gbstats: the delta
method).
"""

from __future__ import annotations

import functools
import math
from typing import Any, NamedTuple

import attrs
import numpy as np
import pandas as pd

from crmkit import _stats
from crmkit._validate import (
    cutoff_value,
    datetime_column,
    first_labels,
    numeric_column,
    require_columns,
    require_finite_result,
    require_frame,
    require_no_missing,
    resolve_timezone,
)
from crmkit.campaigns._holdout import ARMS, SRMResult, srm_check
from crmkit.errors import ConfigError, InvalidInputError, SchemaError
from crmkit.segmentation._dask import computed, is_dask, map_by_key, require_dask_columns

__all__ = ["ArmSummary", "CampaignResult", "Estimate", "SegmentUplift", "measure"]

F64 = np.ndarray[Any, np.dtype[np.float64]]


def _num(value: float | None) -> float | None:
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def _nan(value: float | None) -> float:
    """A table cell: NaN for a figure that is not there (None)."""
    return math.nan if value is None else float(value)


@attrs.frozen
class Estimate:
    """One figure with its interval, sample size and method.

    Attributes:
        value: The point estimate (``None`` when undefined, e.g. a lift over a control
            rate of 0).
        lower: Lower bound of the interval (``None`` when unbounded or undefined).
        upper: Upper bound.
        level: Two-sided confidence level.
        method: How the interval (and p-value) were computed.
        n: The customers behind the figure.
        p_value: Two-sided p-value of "no difference", for comparisons.

    Examples:
        >>> e = Estimate(0.06, 0.041, 0.078, 0.95, "newcombe", 5000, 0.0001)
        >>> e.to_dict()["method"], e.format(percent=True)
        ('newcombe', '6.0% (95% CI 4.1% to 7.8%, n = 5,000, newcombe)')
    """

    value: float | None
    lower: float | None
    upper: float | None
    level: float
    method: str
    n: int
    p_value: float | None = None

    def to_dict(self) -> dict[str, Any]:
        """Return the estimate as plain JSON types (infinite bounds become ``None``).

        Examples:
            >>> Estimate(1.0, None, None, 0.95, "t", 1).to_dict()["lower"] is None
            True
        """
        return {
            "value": _num(self.value),
            "lower": _num(self.lower),
            "upper": _num(self.upper),
            "level": self.level,
            "method": self.method,
            "n": self.n,
            "p_value": _num(self.p_value),
        }

    def format(self, *, percent: bool = False, decimals: int = 1) -> str:
        """Show ``value (95% CI lower to upper, n = ..., method)``.

        Examples:
            >>> Estimate(12.345, 10.0, 14.7, 0.95, "welch", 800).format()
            '12.3 (95% CI 10.0 to 14.7, n = 800, welch)'
        """

        def show(v: float | None) -> str:
            if v is None or not math.isfinite(v):
                return "n/a"
            return f"{v * 100:.{decimals}f}%" if percent else f"{v:,.{decimals}f}"

        level = f"{self.level * 100:g}%"
        return (
            f"{show(self.value)} ({level} CI {show(self.lower)} to {show(self.upper)}, "
            f"n = {self.n:,}, {self.method})"
        )


@attrs.frozen
class ArmSummary:
    """What one arm did in the window.

    Attributes:
        arm: ``"control"`` or ``"treatment"``.
        n: Customers in the arm.
        responders: Customers with a purchase in the window.
        response_rate: Share of responders (Wilson interval).
        revenue_per_customer: Mean revenue in the window over all the arm's customers,
            zeros included (t interval).
        orders_per_customer: Mean number of orders (t interval).
        reason: (A property.) What a zero-width interval of the arm means, or None:
            an arm without buyers has revenue and orders 0 for every customer, so their
            t intervals are ``(0, 0)``, which says there is no spread to measure, not
            that the mean is known exactly.

    Examples:
        >>> r = Estimate(0.15, 0.13, 0.17, 0.95, "wilson", 900)
        >>> ArmSummary("treatment", 900, 135, r, r, r).to_dict()["responders"]
        135
        >>> zero = Estimate(0.0, 0.0, 0.0, 0.95, "t", 900)
        >>> ArmSummary("control", 900, 0, r, zero, zero).reason
        'no buyers: revenue and orders are 0 for every customer, so their intervals have zero width'
    """

    arm: str
    n: int
    responders: int
    response_rate: Estimate
    revenue_per_customer: Estimate
    orders_per_customer: Estimate

    @property
    def reason(self) -> str | None:
        """Why the arm's revenue or orders interval has zero width, or None."""
        flat = [
            name
            for name, e in (("revenue", self.revenue_per_customer),
                            ("orders", self.orders_per_customer))
            if _zero_width(e)
        ]  # fmt: skip
        if not flat:
            return None
        what = " and ".join(flat)
        if self.responders == 0 and all(
            e.value == 0 for e in (self.revenue_per_customer, self.orders_per_customer)
        ):
            return f"no buyers: {what} are 0 for every customer, so their intervals have zero width"
        its = "their intervals have" if len(flat) > 1 else "its interval has"
        return f"the same {what} for every customer: {its} zero width"

    def to_dict(self) -> dict[str, Any]:
        """Return plain JSON types (with ``reason``).

        Examples:
            >>> r = Estimate(0.1, 0.0, 0.2, 0.95, "wilson", 10)
            >>> sorted(ArmSummary("control", 10, 1, r, r, r).to_dict())[:3]
            ['arm', 'n', 'orders_per_customer']
        """
        return {
            "arm": self.arm,
            "n": self.n,
            "responders": self.responders,
            "response_rate": self.response_rate.to_dict(),
            "revenue_per_customer": self.revenue_per_customer.to_dict(),
            "orders_per_customer": self.orders_per_customer.to_dict(),
            "reason": self.reason,
        }


def _zero_width(e: Estimate | None) -> bool:
    """An interval that is one point: no spread in the data, not certainty."""
    return e is not None and e.lower is not None and e.lower == e.upper


@attrs.frozen
class SegmentUplift:
    """The response-rate uplift within one segment.

    Attributes:
        segment: The segment label.
        control: ``(responders, n)`` of the control group.
        treatment: ``(responders, n)`` of the treatment group.
        uplift: The difference with its Newcombe interval and score-test p-value.
        p_holm: The p-value adjusted for the number of segments (Holm), over the
            segments with customers in both arms; NaN for a segment without (no test,
            so no adjusted p-value: ``None`` in :meth:`to_dict`, NaN in
            :meth:`CampaignResult.segments`).
        tested: Whether the segment was tested: False when one arm has no customer in
            it. Its uplift, interval and p-values are then absent (None in the object's
            uplift and in :meth:`to_dict`, NaN in the table): "not tested", not "no
            effect"; ``reason`` says why.
        reason: Why the segment was not tested (``"no control customers"``,
            ``"no treatment customers"``), or None.

    Examples:
        >>> e = Estimate(0.05, 0.01, 0.09, 0.95, "newcombe", 1000, 0.02)
        >>> SegmentUplift("A", (10, 100), (135, 900), e, 0.04).to_dict()["p_holm"]
        0.04
        >>> none = Estimate(None, None, None, 0.95, "newcombe", 40)
        >>> s = SegmentUplift("new", (0, 0), (5, 40), none, float("nan"))
        >>> s.tested, s.reason, s.to_dict()["p_holm"]
        (False, 'no control customers', None)
    """

    segment: Any
    control: tuple[int, int]
    treatment: tuple[int, int]
    uplift: Estimate
    p_holm: float

    @property
    def tested(self) -> bool:
        """Whether both arms have customers in the segment (so the uplift was tested)."""
        return self.reason is None

    @property
    def reason(self) -> str | None:
        """Why the segment was not tested, or None when it was."""
        if self.control[1] == 0 and self.treatment[1] == 0:
            return "no customers"
        if self.control[1] == 0:
            return "no control customers"
        if self.treatment[1] == 0:
            return "no treatment customers"
        return None

    def to_dict(self) -> dict[str, Any]:
        """Return plain JSON types (with ``tested`` and ``reason``).

        A segment that was not tested has no p-values: ``p_holm`` and the uplift's
        ``p_value`` are None (as every undefined figure of :meth:`Estimate.to_dict`),
        whatever the object holds, so the JSON agrees with :meth:`CampaignResult.segments`.

        Examples:
            >>> e = Estimate(0.0, -0.1, 0.1, 0.95, "newcombe", 20, 1.0)
            >>> d = SegmentUplift(3, (1, 10), (1, 10), e, 1.0).to_dict()
            >>> d["segment"], d["tested"], d["reason"]
            ('3', True, None)
        """
        tested = self.tested
        uplift = self.uplift.to_dict()
        if not tested:
            uplift["p_value"] = None
        return {
            "segment": str(self.segment),
            "control": list(self.control),
            "treatment": list(self.treatment),
            "uplift": uplift,
            "p_holm": _num(self.p_holm) if tested else None,
            "tested": self.tested,
            "reason": self.reason,
        }


@attrs.frozen
class CampaignResult:
    """The measured effect of a campaign (see :func:`measure`).

    Attributes:
        campaign: The campaign name (from the assignment), if known.
        start: First instant of the response window (ISO text).
        end: End of the window, exclusive (ISO text).
        pre_start: Start of the pre-period of the CUPED covariate (ISO text), or None.
        level: Confidence level of every interval.
        arms: ``{"control": ArmSummary, "treatment": ArmSummary}``.
        uplift: Treatment minus control response rate (Newcombe; score-test p-value).
        relative_lift: Treatment rate / control rate - 1, with Koopman's score interval
            of the rate ratio (minus 1) and the score test's p-value: the interval
            excludes 0 exactly when ``p_value < 1 - level``. With no control responder
            the value and the upper bound are None (infinite) and the lower bound stays.
        incremental_revenue: Treatment minus control revenue per customer (Welch).
        incremental_revenue_cuped: The same on CUPED-adjusted revenue (Welch), or None
            without a pre-period.
        variance_reduction: ``1 - var(adjusted) / var(revenue)`` of the CUPED step.
        cuped_theta: The CUPED coefficient ``cov(pre, revenue) / var(pre)``.
        by_segment: Per-segment uplift with Holm-adjusted p-values (empty without
            segments), in the segment column's order: its categories' order for a
            categorical (a lifecycle stage), sorted values otherwise.
        srm: The sample-ratio-mismatch check, or None when the intended share is unknown.
        unassigned_customers: Customers who bought in the window but are in neither arm.
        relative_revenue_lift: Treatment revenue per customer / control revenue per
            customer - 1, with the delta-method interval and its t test on the Welch
            degrees of freedom (gbstats' relative ``TwoSidedTTest``); its value is None
            when the control arm's revenue per customer is 0. None only on a result
            built by hand.
        notes: (A property.) What the figures cannot say, one line each (empty when
            nothing applies): an arm's :attr:`ArmSummary.reason`, a revenue comparison
            resting on an arm without spread or on an arm of one customer (unbounded
            intervals, p-value 1), a relative revenue lift over a control revenue of 0.
            gbstats reports no result at all there (its ``ZERO_NEGATIVE_VARIANCE`` and
            ``ZERO_NEGATIVE_BASELINE_VARIATION``); crmkit keeps the figures and says so
            here.

    Examples:
        >>> import pandas as pd
        >>> from crmkit.campaigns import assign, measure
        >>> a = assign([f"c{i}" for i in range(10)], campaign="demo", control_share=0.5)
        >>> tx = pd.DataFrame({"customer_id": ["c1", "c2"], "date": ["2025-07-02"] * 2,
        ...                    "amount": [30.0, 50.0]})
        >>> r = measure(a, tx, start="2025-07-01", end="2025-07-31")
        >>> r.arms["treatment"].n + r.arms["control"].n
        10
    """

    campaign: str | None
    start: str
    end: str
    pre_start: str | None
    level: float
    arms: dict[str, ArmSummary]
    uplift: Estimate
    relative_lift: Estimate
    incremental_revenue: Estimate
    incremental_revenue_cuped: Estimate | None
    variance_reduction: float | None
    cuped_theta: float | None
    by_segment: tuple[SegmentUplift, ...]
    srm: SRMResult | None
    unassigned_customers: int
    relative_revenue_lift: Estimate | None = None

    @property
    def notes(self) -> tuple[str, ...]:
        """What the figures cannot say (zero-width intervals, an undefined lift).

        Examples:
            >>> import pandas as pd
            >>> from crmkit.campaigns import assign, measure
            >>> a = assign([f"c{i}" for i in range(10)], campaign="demo", control_share=0.5)
            >>> buyer = a.index[(a["arm"] == "treatment").to_numpy()][0]
            >>> tx = pd.DataFrame({"customer_id": [buyer], "date": ["2025-07-02"],
            ...                    "amount": [30.0]})
            >>> for line in measure(a, tx, start="2025-07-01", end="2025-07-31").notes:
            ...     print(line)
            control arm: no buyers: revenue and orders are 0 for every customer, so their intervals have zero width
            incremental revenue: the control arm's revenue has no spread, so the Welch interval rests on the treatment arm's alone (gbstats: no result, ZERO_NEGATIVE_VARIANCE)
            relative revenue lift: the control arm's revenue per customer is 0, so there is no lift over it (gbstats: ZERO_NEGATIVE_BASELINE_VARIATION)
        """
        notes = [f"{arm} arm: {a.reason}" for arm, a in self.arms.items() if a.reason]
        flat = [arm for arm, a in self.arms.items() if _zero_width(a.revenue_per_customer)]
        if len(flat) == 1:
            other = next(arm for arm in self.arms if arm != flat[0])
            notes.append(
                f"incremental revenue: the {flat[0]} arm's revenue has no spread, so the "
                f"Welch interval rests on the {other} arm's alone (gbstats: no result, "
                "ZERO_NEGATIVE_VARIANCE)"
            )
        elif flat:
            notes.append(
                "incremental revenue: neither arm's revenue has any spread, so its interval "
                "has zero width and its p-value says nothing (gbstats: no result, "
                "ZERO_NEGATIVE_VARIANCE)"
            )
        # An arm of one customer has no spread to measure at all (a sample variance needs
        # two): Welch's interval is unbounded and its p-value 1, which read "no effect"
        # without a word. (Zero spread among two or more is the note above.)
        for arm, a in self.arms.items():
            if a.n < 2:
                notes.append(
                    f"revenue comparisons: the {arm} arm has {a.n} customer"
                    f"{'' if a.n == 1 else 's'}, too few for a "
                    "spread, so the incremental and relative revenue intervals are unbounded "
                    "and their p-values (1) say nothing"
                )
        control = self.arms.get("control")
        if control is not None and control.revenue_per_customer.value == 0:
            notes.append(
                "relative revenue lift: the control arm's revenue per customer is 0, so "
                "there is no lift over it (gbstats: ZERO_NEGATIVE_BASELINE_VARIATION)"
            )
        return tuple(notes)

    def to_dict(self) -> dict[str, Any]:
        """Return the whole result as plain JSON types (with ``notes``, a list).

        Examples:
            >>> import json
            >>> from crmkit.campaigns import assign, measure
            >>> a = assign(["x", "y", "z", "w"], campaign="demo", control_share=0.5)
            >>> tx = pd.DataFrame({"customer_id": ["x"], "date": ["2025-07-02"], "amount": [9.0]})
            >>> d = measure(a, tx, start="2025-07-01", end="2025-07-31").to_dict()
            >>> json.loads(json.dumps(d)) == d
            True
        """
        return {
            "campaign": self.campaign,
            "start": self.start,
            "end": self.end,
            "pre_start": self.pre_start,
            "level": self.level,
            "arms": {k: v.to_dict() for k, v in self.arms.items()},
            "uplift": self.uplift.to_dict(),
            "relative_lift": self.relative_lift.to_dict(),
            "incremental_revenue": self.incremental_revenue.to_dict(),
            "incremental_revenue_cuped": None
            if self.incremental_revenue_cuped is None
            else self.incremental_revenue_cuped.to_dict(),
            "variance_reduction": _num(self.variance_reduction),
            "cuped_theta": _num(self.cuped_theta),
            "by_segment": [s.to_dict() for s in self.by_segment],
            "srm": None if self.srm is None else self.srm.to_dict(),
            "unassigned_customers": self.unassigned_customers,
            "relative_revenue_lift": None
            if self.relative_revenue_lift is None
            else self.relative_revenue_lift.to_dict(),
            "notes": list(self.notes),
        }

    def segments(self) -> pd.DataFrame:
        """Return the per-segment uplift as a table (one row per segment).

        Columns ``control_n``, ``control_rate``, ``treatment_n``, ``treatment_rate``,
        ``uplift``, ``lower``, ``upper``, ``p_value``, ``p_holm``, ``tested`` and
        ``reason``. A segment that was not tested (an arm without customers in it) shows
        no uplift, interval or p-values (NaN), ``tested`` False and the ``reason``.

        Examples:
            >>> import pandas as pd
            >>> from crmkit.campaigns import assign, measure
            >>> a = assign(["x", "y"], campaign="demo", control_share=0.5)
            >>> tx = pd.DataFrame({"customer_id": ["x"], "date": ["2025-07-02"], "amount": [9.0]})
            >>> measure(a, tx, start="2025-07-01", end="2025-07-31").segments().empty
            True
        """
        rows = [
            {
                "segment": s.segment,
                "control_n": s.control[1],
                "control_rate": s.control[0] / s.control[1] if s.control[1] else np.nan,
                "treatment_n": s.treatment[1],
                "treatment_rate": s.treatment[0] / s.treatment[1] if s.treatment[1] else np.nan,
                "uplift": _nan(s.uplift.value),
                "lower": _nan(s.uplift.lower),
                "upper": _nan(s.uplift.upper),
                "p_value": _nan(s.uplift.p_value) if s.tested else np.nan,
                "p_holm": _nan(_num(s.p_holm)) if s.tested else np.nan,
                "tested": s.tested,
                "reason": s.reason,
            }
            for s in self.by_segment
        ]
        columns = ["control_n", "control_rate", "treatment_n", "treatment_rate", "uplift",
                   "lower", "upper", "p_value", "p_holm", "tested", "reason"]  # fmt: skip
        if not rows:
            return pd.DataFrame(columns=columns, index=pd.Index([], name="segment"))
        return pd.DataFrame(rows).set_index("segment")


# ---------------------------------------------------------------------------- reading
def _bound(value: object, owner: str, name: str, *, end: bool, tz: Any) -> pd.Timestamp:
    """A bound of the window, read in ``tz`` (``timezone=``, or the data's own zone).

    A start is its instant (a date: that day's midnight); an end is excluded itself, so an
    end given as a date is the next midnight (the day is in, as every ``as_of``). In a
    zone, a date or naive datetime is a wall time there and an aware one is converted.
    """
    cut = cutoff_value(value, owner, name, tz=tz)
    if tz is None and cut.aware:
        raise ConfigError(
            owner, name, expected="a naive date or datetime (the transaction dates are naive)",
            found=repr(value),
            hint="Pass a naive value, or timezone= to read the dates in a zone.",
        )  # fmt: skip
    return cut.end if end and cut.whole_day else cut.label


def _arms(assignment: pd.DataFrame, owner: str) -> np.ndarray[Any, np.dtype[np.int8]]:
    if is_dask(assignment):
        raise SchemaError(
            owner, "assignment", expected="a pandas DataFrame (one row per customer: small)",
            found="a Dask DataFrame",
            hint="Compute it first: measure(assignment.compute(), ...); the transactions "
            "may stay a Dask DataFrame.",
        )  # fmt: skip
    if not isinstance(assignment, pd.DataFrame) or "arm" not in assignment.columns:
        raise SchemaError(
            owner, "arm", expected="an assignment frame with an 'arm' column (see assign())",
            found=type(assignment).__name__,
        )  # fmt: skip
    if assignment.index.has_duplicates:
        dup = assignment.index.duplicated()
        raise InvalidInputError(
            owner, "assignment", expected="one row per customer",
            found=f"{int(dup.sum())} repeated ids", rows=list(assignment.index[dup][:5]),
            total=int(dup.sum()),
        )  # fmt: skip
    arm = assignment["arm"].astype(object).to_numpy()
    codes = np.full(len(arm), -1, dtype=np.int8)
    for i, name in enumerate(ARMS):
        codes[arm == name] = i
    bad = codes < 0
    if bad.any():
        raise InvalidInputError(
            owner, "arm", expected="'control' or 'treatment'", found=f"{int(bad.sum())} other values",
            rows=list(assignment.index[bad][:5]), total=int(bad.sum()),
        )  # fmt: skip
    for i, name in enumerate(ARMS):
        if not (codes == i).any():
            raise InvalidInputError(
                owner, "arm", expected="customers in both arms", found=f"no {name} customers"
            )
    return codes


def _per_customer(pos: np.ndarray[Any, np.dtype[np.int64]], values: F64, size: int) -> F64:
    return np.bincount(pos, weights=values, minlength=size).astype(np.float64)


class _Moments(NamedTuple):
    """The mean, the sample variance (``ddof=1``; 0 below two values) and the size."""

    mean: float
    var: float
    n: int


def _moments(values: F64) -> _Moments:
    n = values.size
    with np.errstate(over="ignore", invalid="ignore"):  # huge amounts: measure() checks
        mean = float(values.mean()) if n else 0.0
        var = float(values.var(ddof=1)) if n > 1 else 0.0
    return _Moments(mean, var, int(n))


def _arm_moments(y: F64, codes: np.ndarray[Any, Any]) -> tuple[_Moments, _Moments]:
    """``(control, treatment)`` moments of ``y``, computed once per arm."""
    return _moments(y[codes == 0]), _moments(y[codes == 1])


def _t_estimate(m: _Moments, level: float) -> Estimate:
    lo, hi = _stats.t_interval(m.mean, math.sqrt(m.var), m.n, level)
    return Estimate(m.mean, _num(lo), _num(hi), level, "t", m.n)


def _welch(control: _Moments, treatment: _Moments, level: float, method: str) -> Estimate:
    lo, hi, _, _, p = _stats.welch_interval(treatment, control, level)
    n = treatment.n + control.n
    return Estimate(treatment.mean - control.mean, _num(lo), _num(hi), level, method, n, p)


_RELATIVE_METHOD = "delta method, Welch df (relative)"


def _relative_welch(control: _Moments, treatment: _Moments, level: float) -> Estimate:
    """Treatment mean / control mean - 1 with the delta-method interval (gbstats)."""
    n = treatment.n + control.n
    if control.mean == 0:
        return Estimate(None, None, None, level, _RELATIVE_METHOD, n)
    value, lo, hi, _, _, p = _stats.relative_difference_interval(treatment, control, level)
    return Estimate(value, _num(lo), _num(hi), level, _RELATIVE_METHOD, n, p)


def _uplift(xt: int, nt: int, xc: int, nc: int, level: float) -> Estimate:
    """Treatment rate - control rate: Newcombe's interval and the score test's p-value."""
    lo, hi = _stats.newcombe_interval(xt, nt, xc, nc, level)
    _, p = _stats.two_proportion_score_test(xt, nt, xc, nc)
    return Estimate(
        xt / nt - xc / nc, lo, hi, level, "newcombe hybrid score interval; score test",
        nt + nc, p,
    )  # fmt: skip


def _relative_lift(xt: int, nt: int, xc: int, nc: int, level: float) -> Estimate:
    """Treatment rate / control rate - 1: Koopman's interval, the score test's p-value.

    The interval inverts the score test whose p-value it carries (Koopman 1984), so "the
    interval excludes 0" and "p < 1 - level" always agree; the Katz interval reported
    before did not (8/10 against 3/10: -1.5 % to +622 % beside p = 0.025). With no
    control responder the lift is infinite: no value and no upper bound (None), but the
    lower bound still says how large it is at least. Computed once per campaign (the
    segments report the uplift only), so the bisection's cost does not multiply.
    """
    _, p = _stats.two_proportion_score_test(xt, nt, xc, nc)  # the uplift's p-value
    rlo, rhi = _stats.risk_ratio_score_interval(xt, nt, xc, nc, level)
    return Estimate(
        xt / nt / (xc / nc) - 1 if xc else None, _num(rlo - 1), _num(rhi - 1), level,
        _LIFT_METHOD, nt + nc, p,
    )  # fmt: skip


#: The method of the relative lift: Koopman's risk-ratio score interval, score test.
_LIFT_METHOD = "koopman score interval; score test"


def measure(
    assignment: pd.DataFrame,
    transactions: pd.DataFrame,
    *,
    start: object,
    end: object,
    pre_start: object = None,
    segment: str | None = None,
    level: float = 0.95,
    customer: str = "customer_id",
    date: str = "date",
    amount: str = "amount",
    order: str | None = None,
    date_format: str | None = None,
    date_unit: str | None = None,
    timezone: str | None = None,
) -> CampaignResult:
    """Measure a campaign: the treatment arm against the held-out control arm.

    A customer responds when they have a purchase (a row with a positive amount) in the
    window. Revenue per customer is the net amount in the window (refunds included)
    averaged over every customer of the arm, zeros included; orders per customer
    counts the positive rows (or the distinct ``order`` values).

    Args:
        assignment: The output of :func:`assign` (indexed by customer id, ``arm``
            column); any frame of that shape works. Always a pandas DataFrame (compute
            a Dask assignment first).
        transactions: One row per purchase (or refund); never modified. No row may miss
            its customer id; rows of customers in neither arm are counted
            (``unassigned_customers``), but ids of another type than the assignment's
            (numbers against text) or no row of an assigned customer at all are errors;
            no rows at all (whatever the empty columns' dtypes) means nobody responded.
            Or a Dask DataFrame of them (the ``dask`` extra; its ``date`` column already
            datetime64, e.g. parsed with ``dask.dataframe.to_datetime``): every partition
            is validated as a pandas log is, only its window and pre-period rows are
            shuffled by customer, each customer's amounts are summed in the order of the
            whole table (so every figure equals the pandas result's exactly), and the
            per-customer table is computed before the statistics run. Errors raised in a
            partition name that partition's row labels and counts (the index labels of
            the Dask frame: after ``read_csv`` they restart in every partition).
        start: First day (or instant) of the response window.
        end: Last day of the window (a date includes its whole day; a datetime is an
            exclusive end).
        pre_start: Start of the pre-period ``[pre_start, start)`` whose spend is the CUPED
            covariate; None skips CUPED.
        segment: A column of ``assignment`` to report the uplift by (default: the
            assignment's strata, if any).
        level: Confidence level of every interval.
        customer: Customer id column of ``transactions``.
        date: Date column. Without ``timezone`` naive dates are read as they are and the
            bounds follow the data's zone (aware bounds beside naive dates are refused).
        amount: Amount column.
        order: Optional order id column: orders are its distinct values per customer.
        date_format: How to read a ``date`` column of non-ISO strings (or ``"%Y%m%d"``
            numbers), as :func:`crmkit._validate.datetime_column` documents.
        date_unit: The unit of a ``date`` column of epoch numbers (``"s"``, ``"ms"``,
            ``"us"``, ``"ns"``).
        timezone: IANA zone of the campaign's days (e.g. ``"Asia/Shanghai"``): naive
            dates are read as local times there, aware ones (a UTC export) and epoch
            numbers converted to it; ``start``, ``end`` and ``pre_start`` given as dates
            or naive datetimes are local days and times there, aware ones are converted.
            On Dask, every partition's dates are localized or converted the same way.
            None (the default): the data's own zone.

    Returns:
        A :class:`CampaignResult`.

    Raises:
        SchemaError: Missing columns, non-numeric amounts, unreadable dates, customer ids
            of another type than the assignment's index (e.g. int against str); on Dask
            input, a date column that is not datetime64, or a Dask assignment.
        InvalidInputError: An arm without customers, repeated ids, unknown arms, missing
            customer ids, transactions none of whose customers is assigned, amounts
            whose sums overflow float64.
        ConfigError: Bad window bounds, level or ``timezone``.

    Examples:
        >>> import pandas as pd
        >>> from crmkit.campaigns import assign
        >>> a = assign([f"c{i}" for i in range(200)], campaign="wake-up", control_share=0.5)
        >>> buyers = a.index[(a["arm"] == "treatment").to_numpy()][:30].tolist()
        >>> buyers += a.index[(a["arm"] == "control").to_numpy()][:10].tolist()
        >>> tx = pd.DataFrame({"customer_id": buyers, "date": "2025-07-10", "amount": 100.0})
        >>> r = measure(a, tx, start="2025-07-01", end="2025-07-31")
        >>> r.arms["treatment"].response_rate.format(percent=True)
        '28.8% (95% CI 21.0% to 38.2%, n = 104, wilson)'
        >>> r.uplift.format(percent=True)
        '18.4% (95% CI 7.4% to 28.9%, n = 200, newcombe hybrid score interval; score test)'

        A campaign run 1-31 July in China, on a UTC export: 2025-07-31T17:30Z is 1 August
        01:30 in Shanghai (outside), 2025-06-30T16:30Z is 1 July 00:30 (inside):

        >>> utc = pd.DataFrame({"customer_id": buyers[:2], "amount": 100.0,
        ...                     "date": ["2025-07-31T17:30:00Z", "2025-06-30T16:30:00Z"]})
        >>> r = measure(a, utc, start="2025-07-01", end="2025-07-31", timezone="Asia/Shanghai")
        >>> r.start, r.end, r.arms["treatment"].responders
        ('2025-07-01T00:00:00+08:00', '2025-08-01T00:00:00+08:00', 1)
    """
    owner = "measure()"
    _stats.z_value(level)  # checks the level
    level = float(level)
    zone = None if timezone is None else resolve_timezone(timezone, owner)
    codes = _arms(assignment, owner)
    columns = {"customer": customer, "date": date, "amount": amount, "order": order}
    dates = {"date_format": date_format, "date_unit": date_unit, "timezone": zone}
    bounds = {"start": start, "end": end, "pre_start": pre_start}
    ids = pd.Index(assignment.index)
    if is_dask(transactions):
        read = _read_dask(transactions, ids, columns=columns, dates=dates, bounds=bounds)
    else:
        read = _read_frame(transactions, ids, columns=columns, dates=dates, bounds=bounds)
    revenue, orders, pre_spend = read.revenue, read.orders, read.pre_spend
    require_finite_result(revenue, owner, amount, labels=ids, what="revenues per customer")
    # Each arm's revenue mean and variance, once: the arm's t interval, Welch's interval
    # and the relative lift all start from them.
    rev = _arm_moments(revenue, codes)
    spread = [v for m in rev for v in (m.mean, m.var)]
    require_finite_result(spread, owner, amount, what="revenue means and variances")
    responded = orders > 0

    arms: dict[str, ArmSummary] = {}
    for i, name in enumerate(ARMS):
        sel = codes == i
        n, x = int(sel.sum()), int(responded[sel].sum())
        wlo, whi = _stats.wilson_interval(x, n, level)
        arms[name] = ArmSummary(
            name, n, x, Estimate(x / n, wlo, whi, level, "wilson", n),
            _t_estimate(rev[i], level), _t_estimate(_moments(orders[sel]), level),
        )  # fmt: skip
    c, t = arms["control"], arms["treatment"]
    uplift = _uplift(t.responders, t.n, c.responders, c.n, level)
    lift = _relative_lift(t.responders, t.n, c.responders, c.n, level)
    welch = _welch(*rev, level, "welch")
    relative_revenue = _relative_welch(*rev, level)

    cuped = theta = reduction = None
    pre_text = None
    if pre_spend is not None and read.pre_lo is not None:
        pre_moments = _moments(pre_spend)
        require_finite_result(
            [*pre_spend, pre_moments.mean, pre_moments.var], owner, amount,
            what="pre-period spends",
        )  # fmt: skip
        adjusted, theta, reduction = _stats.cuped_adjust(revenue, pre_spend)
        cuped = _welch(*_arm_moments(adjusted, codes), level, "welch on CUPED-adjusted revenue")
        pre_text = read.pre_lo.isoformat()

    seg_col = segment if segment is not None else assignment.attrs.get("strata")
    by_segment = _by_segment(
        assignment, column=seg_col, codes=codes, responded=responded, level=level, owner=owner
    )
    srm = None
    if assignment.attrs.get("control_share") is not None:
        srm = srm_check(assignment)
    return CampaignResult(
        campaign=assignment.attrs.get("campaign"),
        start=read.lo.isoformat(), end=read.hi.isoformat(), pre_start=pre_text, level=level,
        arms=arms, uplift=uplift, relative_lift=lift, incremental_revenue=welch,
        incremental_revenue_cuped=cuped, variance_reduction=reduction, cuped_theta=theta,
        by_segment=by_segment, srm=srm, unassigned_customers=read.unassigned,
        relative_revenue_lift=relative_revenue,
    )  # fmt: skip


class _Read(NamedTuple):
    """What :func:`measure` reads from the transactions, before any statistic.

    The arrays hold one value per assigned customer, in the assignment's order.
    """

    lo: pd.Timestamp
    hi: pd.Timestamp
    pre_lo: pd.Timestamp | None
    revenue: F64
    orders: F64
    pre_spend: F64 | None
    unassigned: int


_OWNER = "measure()"


def _window_bounds(
    bounds: dict[str, object], tz: Any
) -> tuple[pd.Timestamp, pd.Timestamp, pd.Timestamp | None]:
    """The response window ``[lo, hi)`` and the pre-period start, read in ``tz``."""
    lo = _bound(bounds["start"], _OWNER, "start", end=False, tz=tz)
    hi = _bound(bounds["end"], _OWNER, "end", end=True, tz=tz)
    if hi <= lo:
        raise ConfigError(_OWNER, "end", expected=f"after start ({lo})", found=repr(bounds["end"]))
    pre_start = bounds["pre_start"]
    if pre_start is None:
        return lo, hi, None
    pre_lo = _bound(pre_start, _OWNER, "pre_start", end=False, tz=tz)
    if pre_lo >= lo:
        raise ConfigError(
            _OWNER, "pre_start", expected=f"before start ({lo})", found=repr(pre_start)
        )
    return lo, hi, pre_lo


def _windows(
    dates: pd.Series, lo: pd.Timestamp, hi: pd.Timestamp, pre_lo: pd.Timestamp | None, tz: Any
) -> tuple[np.ndarray[Any, np.dtype[np.bool_]], np.ndarray[Any, np.dtype[np.bool_]] | None]:
    """Which rows fall in the response window, and which in the pre-period (or None)."""
    stamp = dates.to_numpy()
    lo64 = _np_time(lo, tz)
    in_window = np.asarray((stamp >= lo64) & (stamp < _np_time(hi, tz)), dtype=bool)
    if pre_lo is None:
        return in_window, None
    pre = np.asarray((stamp >= _np_time(pre_lo, tz)) & (stamp < lo64), dtype=bool)
    return in_window, pre


def _read_frame(
    transactions: pd.DataFrame,
    ids: pd.Index,
    *,
    columns: dict[str, Any],
    dates: dict[str, Any],
    bounds: dict[str, object],
) -> _Read:
    """The pandas path: validate the whole log, then one bincount per figure."""
    owner = _OWNER
    customer, date, amount, order = (columns[k] for k in ("customer", "date", "amount", "order"))
    date_format, date_unit = dates["date_format"], dates["date_unit"]
    require_frame(transactions, owner, "transactions")
    needed = [customer, date, amount] + ([order] if order is not None else [])
    require_columns(transactions, needed, owner)
    if len(transactions) == 0:
        # No rows: nobody responded, whatever dtypes the empty columns carry (an empty
        # CSV or a filter that kept nothing gives float64 or object columns).
        transactions = _no_rows(
            transactions, date, amount, {"start": bounds["start"], "end": bounds["end"]}, owner
        )
        date_format = date_unit = None
    require_no_missing(transactions, customer, owner, what="customer ids")
    stamps = datetime_column(
        transactions, date, owner, tz=dates["timezone"], date_format=date_format,
        date_unit=date_unit,
    )  # fmt: skip
    amounts = numeric_column(transactions, amount, owner)
    tz = stamps.dt.tz
    lo, hi, pre_lo = _window_bounds(bounds, tz)
    pos_all = ids.get_indexer(transactions[customer])
    if pos_all.size and not (pos_all >= 0).any():
        _refuse_unmatched(ids, transactions[customer], customer, owner)
    in_window, pre = _windows(stamps, lo, hi, pre_lo, tz)
    known = pos_all >= 0
    size = len(ids)
    win = in_window & known
    pos = pos_all[win].astype(np.int64)
    with np.errstate(over="ignore"):  # measure() checks
        revenue = _per_customer(pos, amounts[win], size)
    bought = win & (amounts > 0)
    if order is None:
        orders = np.bincount(pos_all[bought], minlength=size).astype(np.float64)
    else:
        pairs = pd.DataFrame(
            {"p": pos_all[bought], "o": transactions[order].to_numpy()[bought]}
        ).drop_duplicates()
        orders = np.bincount(pairs["p"].to_numpy(), minlength=size).astype(np.float64)
    outside = in_window & ~known
    unassigned = int(pd.unique(transactions[customer].to_numpy()[outside]).size)
    pre_spend = None
    if pre is not None:
        pre_win = pre & known
        with np.errstate(over="ignore"):  # measure() checks
            pre_spend = _per_customer(pos_all[pre_win].astype(np.int64), amounts[pre_win], size)
    return _Read(lo, hi, pre_lo, revenue, orders, pre_spend, unassigned)


# ------------------------------------------------------------------------- the Dask path
# Every transaction row is validated and classified (window, pre-period, neither) in its
# own partition; only the rows of the window and the pre-period travel on, to a shuffle
# that brings each customer's rows into one partition. There they are put back in the
# order of the whole table (partition number, then position) before the same bincount as
# the pandas path sums them: float addition is not associative, and summing partial sums
# per partition would change the last bits of a customer's revenue (and so the figures
# compared with the pandas result). The per-customer table that comes back is at most as
# long as the customers who bought; the statistics run on it unchanged.


def _window_rows(
    part: pd.DataFrame, partition_info: dict[str, Any] | None = None, *, read: dict[str, Any]
) -> pd.DataFrame:
    """One Dask partition: validate it, keep its window and pre-period rows (picklable).

    Columns: ``id``, ``part`` (the partition number), ``row`` (the position in it),
    ``amount`` (float64), ``window`` (True: response window; False: pre-period) and
    ``order`` when an order column is read.
    """
    owner, customer, order = _OWNER, read["customer"], read["order"]
    require_no_missing(part, customer, owner, what="customer ids")
    stamps = datetime_column(
        part, read["date"], owner, tz=read["timezone"], date_format=read["date_format"],
        date_unit=read["date_unit"],
    )  # fmt: skip
    amounts = numeric_column(part, read["amount"], owner)
    in_window, pre = _windows(stamps, read["lo"], read["hi"], read["pre_lo"], read["tz"])
    keep = in_window if pre is None else in_window | pre
    rows = np.flatnonzero(keep).astype(np.int64)
    number = 0 if partition_info is None else int(partition_info["number"])
    out = {
        "id": part[customer].array.take(rows),
        "part": np.full(rows.size, number, dtype=np.int64),
        "row": rows,
        "amount": amounts[rows],
        "window": in_window[rows],
    }
    if order is not None:
        out["order"] = part[order].array.take(rows)
    return pd.DataFrame(out)


def _customer_sums(rows: pd.DataFrame) -> pd.DataFrame:
    """Per customer of one shuffled partition: the sums of :func:`_read_frame` (picklable).

    The rows are first put back in the order of the whole table, so that each customer's
    amounts are added in the order the pandas path adds them (the same float result).
    """
    order = np.lexsort((rows["row"].to_numpy(), rows["part"].to_numpy()))
    rows = rows.iloc[order]
    codes, uniques = pd.factorize(rows["id"])
    size = len(uniques)
    amounts = rows["amount"].to_numpy(dtype=np.float64)
    win = rows["window"].to_numpy(dtype=bool)
    with np.errstate(over="ignore"):  # measure() checks the assigned customers' sums
        revenue = _per_customer(codes[win], amounts[win], size)
        pre = _per_customer(codes[~win], amounts[~win], size)
    bought = win & (amounts > 0)
    if "order" in rows.columns:
        pairs = pd.DataFrame(
            {"p": codes[bought], "o": rows["order"].to_numpy()[bought]}
        ).drop_duplicates()
        orders = np.bincount(pairs["p"].to_numpy(), minlength=size)
    else:
        orders = np.bincount(codes[bought], minlength=size)
    return pd.DataFrame(
        {
            "revenue": revenue,
            "pre": pre,
            "orders": orders.astype(np.float64),
            "window_rows": np.bincount(codes[win], minlength=size).astype(np.int64),
        },
        index=uniques,
    )


def _read_dask(
    ddf: Any,
    ids: pd.Index,
    *,
    columns: dict[str, Any],
    dates: dict[str, Any],
    bounds: dict[str, object],
) -> _Read:
    """The Dask path: per-partition validation, a shuffle by customer, one compute."""
    owner = _OWNER
    customer, date, amount, order = (columns[k] for k in ("customer", "date", "amount", "order"))
    needed = [customer, date, amount] + ([order] if order is not None else [])
    require_dask_columns(ddf, owner, needed, datetime=date)
    meta_dtype = ddf._meta[date].dtype
    tz = meta_dtype.tz if isinstance(meta_dtype, pd.DatetimeTZDtype) else None
    if dates["timezone"] is not None:  # each partition's dates are read in it (_window_rows)
        tz = dates["timezone"]
    lo, hi, pre_lo = _window_bounds(bounds, tz)
    read = {**columns, **dates, "lo": lo, "hi": hi, "pre_lo": pre_lo, "tz": tz}
    func = functools.partial(_window_rows, read=read)
    selected = ddf[needed]
    rows = selected.map_partitions(func, meta=func(selected._meta))
    lazy = map_by_key(rows, "id", list(rows._meta.columns), _customer_sums, owner=owner)
    (table,) = computed(lazy)
    pos = ids.get_indexer(table.index)
    known = pos >= 0
    if not known.any():
        # No window or pre-period row is an assigned customer's: the pandas path refuses
        # the log when no row at all is, so look at every row's id (only in this case).
        (seen,) = computed(ddf[customer].drop_duplicates())
        if len(seen) and not (ids.get_indexer(seen) >= 0).any():
            _refuse_unmatched(ids, seen.reset_index(drop=True), customer, owner)
    size = len(ids)
    at = pos[known]

    def spread(column: str) -> F64:
        values = np.zeros(size, dtype=np.float64)
        values[at] = table[column].to_numpy(dtype=np.float64)[known]
        return values

    unassigned = int(np.count_nonzero((table["window_rows"].to_numpy() > 0) & ~known))
    return _Read(
        lo, hi, pre_lo, spread("revenue"), spread("orders"),
        None if pre_lo is None else spread("pre"), unassigned,
    )  # fmt: skip


def _no_rows(
    transactions: pd.DataFrame, date: str, amount: str, bounds: dict[str, object], owner: str
) -> pd.DataFrame:
    """An empty log whose columns read as dates and amounts, for a log without rows.

    A date column that is not a datetime dtype (float64 or object when empty) becomes an
    empty datetime column, in the zone of an aware bound if one is (nothing to conflict
    with); a datetime column is kept, with its zone or its naivety.
    """
    out = transactions.copy()
    if getattr(transactions[date].dtype, "kind", "") != "M":  # numpy, zoned or Arrow times
        zone = None
        for name, value in bounds.items():
            cut = cutoff_value(value, owner, name)
            if cut.aware:
                zone = cut.label.tz
                break
        out[date] = pd.Series(pd.DatetimeIndex([], tz=zone), index=transactions.index)
    out[amount] = pd.Series(np.empty(0, dtype=np.float64), index=transactions.index)
    return out


#: What an id is, for comparing the assignment's ids with the transactions' ones.
_ID_KINDS = {
    "integer": "numbers", "floating": "numbers", "mixed-integer-float": "numbers",
    "decimal": "numbers", "string": "text",
}  # fmt: skip


def _id_kind(values: pd.Index | pd.Series) -> str | None:
    """``"numbers"``, ``"text"``, or None (mixed or other kinds: not compared)."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        values = values.dtype.categories
    return _ID_KINDS.get(pd.api.types.infer_dtype(values, skipna=True))


def _example(values: pd.Index | pd.Series) -> str:
    """The first id, as a message shows it (``7``, ``'c7'``)."""
    first = values[0] if isinstance(values, pd.Index) else values.iloc[0]
    return repr(first.item() if isinstance(first, np.generic) else first)


def _refuse_unmatched(ids: pd.Index, column: pd.Series, customer: str, owner: str) -> None:
    """Refuse transactions none of whose customers is assigned: a silent zero otherwise.

    Before, every buyer counted as unassigned and both arms as silent (no responder,
    uplift 0, p = 1). The usual cause is ids of another type than the assignment's
    (numbers against text: 7 never matches '7'), which the error names with its fix.
    """
    assigned, given = _id_kind(ids), _id_kind(column)
    example = f"e.g. {_example(column)} (the assignment holds e.g. {_example(ids)})"
    if assigned is not None and given is not None and assigned != given:
        fix = (
            f"transactions[{customer!r}].astype(str)" if assigned == "text"
            else f"transactions[{customer!r}].astype(str) with assignment.set_axis("
            "assignment.index.astype(str)) (the arms stay the same: assign() hashes an "
            "integer id as its decimal text)"
        )  # fmt: skip
        raise SchemaError(
            owner, customer, expected=f"ids of the assignment's type ({assigned})",
            found=f"{given}, {example}: the id types differ, so no transaction matches an "
            "assigned customer",
            hint=f"Give both the same type, e.g. {fix}.",
        )  # fmt: skip
    count = pd.unique(column.to_numpy()).size
    raise InvalidInputError(
        owner, customer, expected="customer ids of the assignment (for some rows at least)",
        found=f"none of the {count} transaction customers in the assignment, {example}",
        hint="Check that both come from the same customers and spell the ids alike "
        "(text '007' and '7' differ).",
    )  # fmt: skip


def _np_time(stamp: pd.Timestamp, tz: Any) -> Any:
    if tz is not None:
        return stamp.tz_convert(tz)
    return stamp.to_datetime64()


def _by_segment(
    assignment: pd.DataFrame,
    *,
    column: str | None,
    codes: np.ndarray[Any, Any],
    responded: np.ndarray[Any, np.dtype[np.bool_]],
    level: float,
    owner: str,
) -> tuple[SegmentUplift, ...]:
    if column is None:
        return ()
    if column not in assignment.columns:
        raise SchemaError(
            owner, column, expected="a column of the assignment", found="no such column"
        )
    labels = assignment[column]
    missing = labels.isna().to_numpy(dtype=bool)
    if missing.any():
        raise InvalidInputError(
            owner, column, expected="a segment for every customer",
            found=f"{int(missing.sum())} missing values",
            rows=first_labels(assignment.index, missing), total=int(missing.sum()),
        )  # fmt: skip
    # A categorical segment (lifecycle stage, RFM segment) comes out in its category
    # order, the business order, not alphabetically; unused categories are left out.
    key = labels.array if isinstance(labels.dtype, pd.CategoricalDtype) else labels.to_numpy()
    groups = pd.Series(np.arange(len(labels))).groupby(key, sort=True, observed=True)
    stats = []
    for label, idx in groups:
        rows = idx.to_numpy()
        arm, resp = codes[rows], responded[rows]
        nc, nt = int((arm == 0).sum()), int((arm == 1).sum())
        xc, xt = int(resp[arm == 0].sum()), int(resp[arm == 1].sum())
        if nc == 0 or nt == 0:
            # Nothing compared: no uplift and no p-value (not 1.0, which reads "no effect").
            est = Estimate(None, None, None, level, "newcombe hybrid score interval; score test",
                           nc + nt)  # fmt: skip
        else:
            est = _uplift(xt, nt, xc, nc, level)
        stats.append((label, (xc, nc), (xt, nt), est))
    # Holm over the segments that have a test: a segment without a control (or treatment)
    # customer compares nothing, and counting it in the family made every other segment's
    # adjusted p-value larger (m segments instead of m - 1). It has no adjusted p-value
    # (NaN; None in its JSON).
    testable = np.array([s[1][1] > 0 and s[2][1] > 0 for s in stats], dtype=bool)
    adjusted = np.full(len(stats), np.nan, dtype=np.float64)
    if testable.any():
        p = np.array([s[3].p_value for s, ok in zip(stats, testable, strict=True) if ok])
        adjusted[testable] = np.atleast_1d(_stats.holm_adjust(p))
    return tuple(
        SegmentUplift(label, ctrl, treat, est, float(adj))
        for (label, ctrl, treat, est), adj in zip(stats, adjusted, strict=True)
    )
