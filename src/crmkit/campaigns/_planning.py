"""Plan a campaign test: the customers needed, or the smallest uplift a test can detect.

Two-sided test of two proportions at level ``alpha = 1 - level`` with power ``power``,
the normal approximation without continuity correction (Fleiss, Levin & Paik 2003,
eq. 4.14, generalised to unequal arms): with ``N`` customers, ``s`` of them in control,

``N = (z_a * sqrt(pbar * (1 - pbar) * (1/s + 1/(1-s)))
       + z_b * sqrt(p0 * (1 - p0) / s + p1 * (1 - p1) / (1 - s)))**2 / (p1 - p0)**2``

where ``p0`` is the control (baseline) rate, ``p1 = p0 + uplift`` the treatment rate and
``pbar = s * p0 + (1 - s) * p1`` the pooled rate under the null. With equal arms this is
Fleiss's formula (686 per arm for 10 % vs 15 %, alpha 0.05, power 0.8); it is statsmodels'
``samplesize_proportions_2indep_onetail(alternative="two-sided")`` with ``ratio = s / (1 -
s)``. A one-sided test at ``alpha`` is planned with ``level = 1 - 2 * alpha``. Evan
Miller's calculator puts the baseline's variance ``2 p0 (1 - p0)`` under the null instead
of the pooled one (1,030 per arm for 20 % vs 25 %, where this gives 1,094).

A mean (revenue or orders per customer) is planned with the two-sided two-sample t test:
:func:`sample_size_mean` and :func:`minimum_detectable_uplift_mean` take the standard
deviation ``sd`` of the figure per customer (zeros included) and solve the power of the
noncentral t distribution with ``df = N - 2`` (statsmodels' ``TTestIndPower``,
``tt_ind_solve_power`` with ``nobs1 = s N`` and ``ratio = (1 - s) / s``).
"""

from __future__ import annotations

import math
from typing import Any, cast

import attrs

from crmkit import _stats
from crmkit.errors import ConfigError

__all__ = [
    "MeanSamplePlan",
    "SamplePlan",
    "minimum_detectable_uplift",
    "minimum_detectable_uplift_mean",
    "sample_size",
    "sample_size_mean",
]

_METHOD = "two-proportion z test, normal approximation (Fleiss), unequal arms"
_MEAN_METHOD = "two-sample t test (noncentral t, common standard deviation), unequal arms"


class _Plan:
    """What the two plan classes share: their JSON form (every field, plain types)."""

    __slots__ = ()

    def to_dict(self) -> dict[str, Any]:
        """Return plain JSON types: every field of the plan, by name.

        Examples:
            >>> sorted(sample_size(0.1, 0.05).to_dict())[:3]
            ['baseline', 'control_share', 'level']
            >>> sorted(sample_size_mean(40.0, 2.0).to_dict())[:3]
            ['control_share', 'effect_size', 'level']
        """
        return attrs.asdict(cast("attrs.AttrsInstance", self))


@attrs.frozen
class SamplePlan(_Plan):
    """A test plan: rates, arms and the customers needed.

    Attributes:
        baseline: Expected control response rate.
        uplift: The uplift (treatment minus control rate) the test is sized for.
        control_share: Share of customers held out.
        power: Probability of detecting ``uplift`` if it is real.
        level: Confidence level (1 - alpha, two-sided).
        n_total: Customers needed in all (``n_control + n_treatment``).
        n_control: Control customers needed.
        n_treatment: Treatment customers needed.
        method: The formula.

    Examples:
        >>> sample_size(0.10, 0.05, control_share=0.5).to_dict()["n_control"]
        686
    """

    baseline: float
    uplift: float
    control_share: float
    power: float
    level: float
    n_total: int
    n_control: int
    n_treatment: int
    method: str = _METHOD


#: Beyond any customer base: a plan that needs more is refused (and the solver stays exact).
_MAX_CUSTOMERS = 1e15


def _check(owner: str, name: str, value: object, lo: float, hi: float) -> float:
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float))
        or not math.isfinite(value)
        or not lo < value < hi
    ):
        raise ConfigError(owner, name, expected=f"a number in ({lo:g}, {hi:g})", found=repr(value))
    return float(value)


def _z_power(power: float) -> float:
    """The standard normal quantile at ``power`` (0 at a power of one half).

    ``_stats.z_value`` takes a two-sided level; a power of exactly 0.5 asked it for the
    level 0 and the plan failed with an error about a ``level`` nobody passed.
    """
    if power == 0.5:
        return 0.0
    return _stats.z_value(2 * power - 1) if power > 0.5 else -_stats.z_value(1 - 2 * power)


def _n_exact(p0: float, d: float, s: float, power: float, level: float) -> float:
    p1 = p0 + d
    z_a = _stats.z_value(level)
    z_b = _z_power(power)
    pbar = s * p0 + (1 - s) * p1
    null = math.sqrt(pbar * (1 - pbar) * (1 / s + 1 / (1 - s)))
    alt = math.sqrt(p0 * (1 - p0) / s + p1 * (1 - p1) / (1 - s))
    # No customers at all when the power is reached with none (a power at or below the
    # test's own tail, about (1 - level) / 2): statsmodels' normal_sample_size_one_tail
    # takes max(z_a null + z_b alt, 0). Squaring the negative sum planned 904 customers
    # for power=0.01 (baseline 0.1, uplift 0.01, 10 % held out), where statsmodels says 0.
    root = max(z_a * null + z_b * alt, 0.0) / d
    # Beyond any customer base (or float range): inf, which the callers refuse.
    return root * root if abs(root) < 1e150 else math.inf


#: The arm sizes the plans agree on: ``n_total`` splits into ``held_out(n_total, s)``
#: control customers (``round(s * n_total)``, halves up: the quota ``assign()`` gives a
#: stratum) and the rest, and an arm may not fall below ``least`` customers.
def _held_out(n_total: int, s: float) -> int:
    return math.floor(n_total * s + 0.5)


def _split_ok(n_total: int, s: float, least: int) -> bool:
    n_c = _held_out(n_total, s)
    return n_c >= least and n_total - n_c >= least


def _fewest(s: float, least: int) -> int:
    """The fewest customers whose split at share ``s`` leaves ``least`` in each arm.

    Both arms of the split never shrink as ``n_total`` grows (the held-out count rises by
    at most one a customer), so every larger total is split well too.
    """
    side = min(s, 1 - s)
    n = max(2 * least, math.ceil((least - 0.5) / side) - 2)
    while not _split_ok(n, s, least):
        n += 1
    return n


def _arms_of(n: float, s: float, least: int) -> tuple[int, int]:
    """Each arm of ``n`` (fractional) customers rounded up, to at least ``least``.

    When the total of those arms is so small that the share's split of it (what the
    inverse functions read ``n_total`` as) would leave an arm below ``least``, the total
    is raised to the fewest customers whose split holds ``least`` in each arm, and the
    plan is that split: ``sample_size_mean(1, 3)`` planned 2 + 11 customers, which a 10 %
    holdout splits 1 + 12 (and ``minimum_detectable_uplift_mean(13, 1)`` refused).
    """
    # The tiny tolerance keeps float noise from adding a customer.
    n_c = max(least, math.ceil(n * s - 1e-9))
    n_t = max(least, math.ceil(n * (1 - s) - 1e-9))
    if _split_ok(n_c + n_t, s, least):
        return n_c, n_t
    total = max(n_c + n_t, _fewest(s, least))
    return _held_out(total, s), total - _held_out(total, s)


def sample_size(
    baseline: float,
    uplift: float,
    *,
    control_share: float = 0.1,
    power: float = 0.8,
    level: float = 0.95,
) -> SamplePlan:
    """Return the customers needed to detect ``uplift`` over a ``baseline`` response rate.

    Args:
        baseline: The control group's expected response rate, e.g. 0.09.
        uplift: The smallest uplift worth detecting, in rate units (0.06 = 6 points);
            positive or negative, with ``baseline + uplift`` in (0, 1).
        control_share: Share held out as control.
        power: Desired power.
        level: Confidence level (two-sided).

    Returns:
        A :class:`SamplePlan`; each arm is rounded up. Its ``n_total`` is one
        :func:`minimum_detectable_uplift` accepts, and gives back at most ``uplift``
        (for a fall, at the mirrored baseline ``1 - baseline``): when the share's split
        of the total (``round(control_share * n_total)`` held out, halves up) would
        leave an arm empty, the total is raised to the fewest customers whose split
        holds one customer in each arm, and the plan is that split. A power the test
        has without any customer (at or below about ``(1 - level) / 2``) needs none
        (statsmodels: 0), so the plan is that fewest split (and
        :func:`minimum_detectable_uplift` refuses such a power: no uplift to solve for).

    Raises:
        ConfigError: Rates, shares, power or level out of range, a zero uplift, or a
            plan of 1e15 customers or more.

    Examples:
        >>> plan = sample_size(0.09, 0.06, control_share=0.1)
        >>> plan.n_total, plan.n_control, plan.n_treatment
        (2703, 271, 2432)
    """
    owner = "sample_size()"
    p0 = _check(owner, "baseline", baseline, 0, 1)
    d = _check(owner, "uplift", uplift, -1, 1)
    if d == 0 or not 0 < p0 + d < 1:
        raise ConfigError(
            owner,
            "uplift",
            expected="non-zero, with baseline + uplift in (0, 1)",
            found=repr(uplift),
        )
    s = _check(owner, "control_share", control_share, 0, 1)
    pw = _check(owner, "power", power, 0, 1)
    lv = _check(owner, "level", level, 0, 1)
    n = _n_exact(p0, d, s, pw, lv)
    if not n < _MAX_CUSTOMERS:
        # As sample_size_mean: no plan for more than any customer base (an uplift of
        # 1e-160 raised a bare OverflowError, a share of 1e-300 planned 3.6e302).
        raise ConfigError(
            owner, "uplift", expected="an uplift that fewer than 1e15 customers can detect",
            found=f"{uplift!r} (at a control share of {s:g})",
        )  # fmt: skip
    n_c, n_t = _arms_of(n, s, 1)
    _check_total(owner, n_c + n_t, s)
    return SamplePlan(p0, d, s, pw, lv, n_c + n_t, n_c, n_t)


def _check_total(owner: str, n_total: int, s: float) -> None:
    """Refuse a plan whose total is beyond any customer base (a tiny control share)."""
    if not n_total < _MAX_CUSTOMERS:
        raise ConfigError(
            owner, "control_share", expected="a share of which fewer than 1e15 customers "
            "hold out enough", found=f"{s!r} (it needs {n_total:.3g} customers)",
        )  # fmt: skip


def minimum_detectable_uplift(
    n_total: int,
    baseline: float,
    *,
    control_share: float = 0.1,
    power: float = 0.8,
    level: float = 0.95,
) -> SamplePlan:
    """Return the smallest positive uplift ``n_total`` customers can detect.

    The inverse of :func:`sample_size` (solved numerically, to a relative 1e-12).

    Args:
        n_total: Customers in the test (both arms).
        baseline: The control group's expected response rate.
        control_share: Share held out as control.
        power: Desired power.
        level: Confidence level (two-sided).

    Returns:
        A :class:`SamplePlan` whose ``uplift`` is the minimum detectable uplift and whose
        counts split ``n_total``: ``round(control_share * n_total)`` held out, halves
        up (the quota ``assign()`` gives a stratum of that size).

    Raises:
        ConfigError: Bad arguments, an arm without customers, so few customers that
            no uplift up to ``1 - baseline`` is detectable, or a power the test has
            without any customer (at or below ``(1 - level) / 2``: no uplift to solve for).

    Examples:
        >>> plan = minimum_detectable_uplift(5000, 0.09, control_share=0.1)
        >>> round(plan.uplift, 4)
        0.0425
    """
    from scipy.optimize import brentq

    owner = "minimum_detectable_uplift()"
    if isinstance(n_total, bool) or not isinstance(n_total, int) or n_total < 2:
        raise ConfigError(owner, "n_total", expected="an int of at least 2", found=repr(n_total))
    p0 = _check(owner, "baseline", baseline, 0, 1)
    s = _check(owner, "control_share", control_share, 0, 1)
    pw = _check(owner, "power", power, 0, 1)
    lv = _check(owner, "level", level, 0, 1)
    n_c = _held_out(n_total, s)
    if min(n_c, n_total - n_c) < 1:  # a plan with an empty arm tests nothing
        raise ConfigError(
            owner, "n_total", expected="at least one customer in each arm",
            found=f"{n_total} (a control share of {s:g} holds out {n_c})",
        )  # fmt: skip
    top = (1 - p0) * (1 - 1e-9)
    if _n_exact(p0, top, s, pw, lv) > n_total:
        raise ConfigError(
            owner, "n_total", expected="enough customers to detect some uplift",
            found=f"{n_total} (even {top:.3g} would need more)",
        )  # fmt: skip
    if _n_exact(p0, 1e-12, s, pw, lv) == 0:
        # The power is reached with no customers (z_power <= -z_level): no uplift to solve
        # for. Solving the squared formula anyway gave an uplift with another power.
        raise ConfigError(
            owner, "power", expected=f"more than (1 - level) / 2 ({(1 - lv) / 2:g}), the "
            "power the test has without any customers", found=repr(power),
        )  # fmt: skip
    if _n_exact(p0, 1e-12, s, pw, lv) <= n_total:  # brentq needs a sign change
        raise ConfigError(
            owner, "n_total", expected="few enough customers that the uplift is above 1e-12",
            found=f"{n_total} (it would detect even 1e-12)",
        )  # fmt: skip
    # A relative tolerance, as for a mean: an absolute 1e-12 was a relative 2e-9 on an
    # uplift of 1e-4 (15.9 billion customers), so the read-back exceeded the plan's.
    d = float(
        brentq(lambda x: _n_exact(p0, x, s, pw, lv) - n_total, 1e-12, top, xtol=1e-300, rtol=1e-12)
    )
    return SamplePlan(p0, d, s, pw, lv, n_total, n_c, n_total - n_c)


# ------------------------------------------------------------------------------ means
@attrs.frozen
class MeanSamplePlan(_Plan):
    """A test plan for a mean (revenue or orders per customer): arms and customers needed.

    Attributes:
        sd: Standard deviation of the figure per customer (zeros included).
        uplift: The uplift in the mean (treatment minus control, in the figure's unit)
            the test is sized for.
        effect_size: ``uplift / sd``, the uplift in standard deviations (Cohen's d).
        control_share: Share of customers held out.
        power: Probability of detecting ``uplift`` if it is real.
        level: Confidence level (1 - alpha, two-sided).
        n_total: Customers needed in all (``n_control + n_treatment``).
        n_control: Control customers needed.
        n_treatment: Treatment customers needed.
        method: The test.

    Examples:
        >>> plan = sample_size_mean(1.0, 0.5, control_share=0.5)
        >>> plan.to_dict()["n_control"], plan.effect_size
        (64, 0.5)
    """

    sd: float
    uplift: float
    effect_size: float
    control_share: float
    power: float
    level: float
    n_total: int
    n_control: int
    n_treatment: int
    method: str = _MEAN_METHOD


def _power_mean(e: float, n: float, s: float, level: float) -> float:
    """Power of the t test for effect size ``e`` with ``n`` customers, ``s`` held out."""
    return _stats.t_test_power(e, n * s, n * (1 - s), level)


def _n_mean(e: float, s: float, power: float, level: float) -> float:
    """The (fractional) customers whose t test has ``power`` for effect size ``e``."""
    from scipy.optimize import brentq

    lo = 3.0  # one degree of freedom
    if _power_mean(e, lo, s, level) >= power:
        return lo
    # The normal approximation (NormalIndPower) needs a little fewer; start above it.
    z = _stats.z_value(level) + _z_power(power)
    hi = max(2 * lo, 1.1 * z * z * (1 / s + 1 / (1 - s)) / e / e + 20)
    if not hi < _MAX_CUSTOMERS:
        raise ConfigError(
            "sample_size_mean()", "uplift", expected="an uplift fewer than 1e15 customers "
            "can detect", found=f"{e!r} standard deviations",
        )  # fmt: skip
    while _power_mean(e, hi, s, level) < power:
        lo, hi = hi, 2 * hi
    return float(
        brentq(lambda n: _power_mean(e, n, s, level) - power, lo, hi, xtol=1e-9, rtol=1e-13)
    )


def sample_size_mean(
    sd: float,
    uplift: float,
    *,
    control_share: float = 0.1,
    power: float = 0.8,
    level: float = 0.95,
) -> MeanSamplePlan:
    """Return the customers needed to detect ``uplift`` in a mean, e.g. revenue per customer.

    The two-sided two-sample t test with a common standard deviation ``sd``: the smallest
    (fractional) ``N`` whose test, with ``s N`` customers held out, has power ``power``
    (the noncentral t distribution, ``df = N - 2``, both tails), each arm then rounded
    up. statsmodels ``tt_ind_solve_power(effect_size=uplift / sd, alpha=1 - level,
    power=power, ratio=(1 - s) / s)`` gives the control arm before rounding; the normal
    approximation (``NormalIndPower``) needs a customer or two fewer. Revenue per
    customer is heavy-tailed and mostly zeros: take ``sd`` over all the customers of a
    comparable past period or campaign, zeros included (``measure()`` reports the mean
    and its interval per arm); the t test then relies on the mean being near normal, as
    the Welch interval of ``measure()`` does.

    Args:
        sd: Standard deviation of the figure per customer (> 0), e.g. 40.0 (currency).
        uplift: The smallest uplift in the mean worth detecting, in the figure's unit
            (treatment minus control; positive or negative, not zero).
        control_share: Share held out as control.
        power: Desired power.
        level: Confidence level (two-sided; a one-sided test at ``alpha`` is planned
            with ``level = 1 - 2 * alpha``).

    Returns:
        A :class:`MeanSamplePlan`; each arm is rounded up, to at least two customers.
        Its ``n_total`` is one :func:`minimum_detectable_uplift_mean` accepts, and gives
        back at most ``|uplift|``: when the share's split of the total
        (``round(control_share * n_total)`` held out, halves up) would leave an arm
        below two, the total is raised to the fewest customers whose split holds two in
        each arm, and the plan is that split.

    Raises:
        ConfigError: A standard deviation that is not a positive number, a zero uplift,
            shares, power or level out of range, a plan of 1e15 customers or more.

    Examples:
        >>> plan = sample_size_mean(40.0, 2.0, control_share=0.1)  # revenue, 10 % held out
        >>> plan.n_total, plan.n_control, plan.n_treatment
        (34887, 3489, 31398)
    """
    owner = "sample_size_mean()"
    sigma = _check(owner, "sd", sd, 0, math.inf)
    d = _check(owner, "uplift", uplift, -math.inf, math.inf)
    if d == 0:
        raise ConfigError(owner, "uplift", expected="a non-zero number", found=repr(uplift))
    s = _check(owner, "control_share", control_share, 0, 1)
    pw = _check(owner, "power", power, 0, 1)
    lv = _check(owner, "level", level, 0, 1)
    if pw <= 1 - lv:  # as minimum_detectable_uplift_mean: no test has less power than that
        raise ConfigError(
            owner, "power", expected=f"more than 1 - level ({1 - lv:g})", found=repr(power)
        )
    e = d / sigma
    if not math.isfinite(e) or e == 0:
        raise ConfigError(
            owner, "uplift", expected="an uplift whose ratio to sd is a finite non-zero number",
            found=f"{uplift!r} over sd {sd!r}",
        )  # fmt: skip
    n_c, n_t = _arms_of(_n_mean(abs(e), s, pw, lv), s, 2)
    _check_total(owner, n_c + n_t, s)
    return MeanSamplePlan(sigma, d, e, s, pw, lv, n_c + n_t, n_c, n_t)


def minimum_detectable_uplift_mean(
    n_total: int,
    sd: float,
    *,
    control_share: float = 0.1,
    power: float = 0.8,
    level: float = 0.95,
) -> MeanSamplePlan:
    """Return the smallest positive uplift in a mean ``n_total`` customers can detect.

    The inverse of :func:`sample_size_mean` (solved numerically, to a relative 1e-12),
    with ``n_total * control_share`` customers held out (statsmodels
    ``tt_ind_solve_power(effect_size=None, nobs1=n_total * s, ratio=(1 - s) / s)``).

    Args:
        n_total: Customers in the test (both arms).
        sd: Standard deviation of the figure per customer (> 0), zeros included.
        control_share: Share held out as control.
        power: Desired power (above ``1 - level``: a test detects "nothing" with
            probability ``1 - level`` already).
        level: Confidence level (two-sided).

    Returns:
        A :class:`MeanSamplePlan` whose ``uplift`` is the minimum detectable uplift (in
        the unit of ``sd``) and whose counts split ``n_total``:
        ``round(control_share * n_total)`` held out, halves up (the quota
        ``assign()`` gives a stratum of that size).

    Raises:
        ConfigError: Bad arguments, fewer than two customers in an arm, or a power not
            above ``1 - level``.

    Examples:
        >>> plan = minimum_detectable_uplift_mean(5000, 40.0, control_share=0.1)
        >>> round(plan.uplift, 3), round(plan.effect_size, 4)
        (5.284, 0.1321)
    """
    from scipy.optimize import brentq

    owner = "minimum_detectable_uplift_mean()"
    if isinstance(n_total, bool) or not isinstance(n_total, int) or n_total < 4:
        raise ConfigError(owner, "n_total", expected="an int of at least 4", found=repr(n_total))
    sigma = _check(owner, "sd", sd, 0, math.inf)
    s = _check(owner, "control_share", control_share, 0, 1)
    pw = _check(owner, "power", power, 0, 1)
    lv = _check(owner, "level", level, 0, 1)
    n_c = _held_out(n_total, s)
    if min(n_c, n_total - n_c) < 2:
        raise ConfigError(
            owner, "n_total", expected="at least two customers in each arm",
            found=f"{n_total} (a control share of {s:g} holds out {n_c})",
        )  # fmt: skip
    if pw <= 1 - lv:
        raise ConfigError(
            owner, "power", expected=f"more than 1 - level ({1 - lv:g})", found=repr(power)
        )
    hi = 1.0
    while _power_mean(hi, n_total, s, lv) < pw:
        hi *= 2
    # A relative tolerance: with millions of customers the effect is a tiny number.
    e = float(
        brentq(lambda x: _power_mean(x, n_total, s, lv) - pw, 0.0, hi, xtol=1e-300, rtol=1e-12)
    )
    return MeanSamplePlan(sigma, e * sigma, e, s, pw, lv, n_total, n_c, n_total - n_c)
