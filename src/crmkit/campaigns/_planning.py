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
"""

from __future__ import annotations

import math
from typing import Any

import attrs

from crmkit import _stats
from crmkit.errors import ConfigError

__all__ = ["SamplePlan", "minimum_detectable_uplift", "sample_size"]

_METHOD = "two-proportion z test, normal approximation (Fleiss), unequal arms"


@attrs.frozen
class SamplePlan:
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

    def to_dict(self) -> dict[str, Any]:
        """Return plain JSON types.

        Examples:
            >>> sorted(sample_size(0.1, 0.05).to_dict())[:3]
            ['baseline', 'control_share', 'level']
        """
        return attrs.asdict(self)


def _check(owner: str, name: str, value: object, lo: float, hi: float) -> float:
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float))
        or not math.isfinite(value)
        or not lo < value < hi
    ):
        raise ConfigError(owner, name, expected=f"a number in ({lo:g}, {hi:g})", found=repr(value))
    return float(value)


def _n_exact(p0: float, d: float, s: float, power: float, level: float) -> float:
    p1 = p0 + d
    z_a = _stats.z_value(level)
    z_b = _stats.z_value(2 * power - 1) if power > 0.5 else -_stats.z_value(1 - 2 * power)
    pbar = s * p0 + (1 - s) * p1
    null = math.sqrt(pbar * (1 - pbar) * (1 / s + 1 / (1 - s)))
    alt = math.sqrt(p0 * (1 - p0) / s + p1 * (1 - p1) / (1 - s))
    return ((z_a * null + z_b * alt) / d) ** 2


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
        A :class:`SamplePlan`; each arm is rounded up.

    Raises:
        ConfigError: Rates, shares, power or level out of range, or a zero uplift.

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
    # Round each arm up; the tiny tolerance keeps float noise from adding a customer.
    n_c = math.ceil(n * s - 1e-9)
    n_t = math.ceil(n * (1 - s) - 1e-9)
    return SamplePlan(p0, d, s, pw, lv, n_c + n_t, n_c, n_t)


def minimum_detectable_uplift(
    n_total: int,
    baseline: float,
    *,
    control_share: float = 0.1,
    power: float = 0.8,
    level: float = 0.95,
) -> SamplePlan:
    """Return the smallest positive uplift ``n_total`` customers can detect.

    The inverse of :func:`sample_size` (solved numerically, to 1e-10).

    Args:
        n_total: Customers in the test (both arms).
        baseline: The control group's expected response rate.
        control_share: Share held out as control.
        power: Desired power.
        level: Confidence level (two-sided).

    Returns:
        A :class:`SamplePlan` whose ``uplift`` is the minimum detectable uplift and whose
        counts split ``n_total``.

    Raises:
        ConfigError: Bad arguments, or so few customers that no uplift up to
            ``1 - baseline`` is detectable.

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
    top = (1 - p0) * (1 - 1e-9)
    if _n_exact(p0, top, s, pw, lv) > n_total:
        raise ConfigError(
            owner, "n_total", expected="enough customers to detect some uplift",
            found=f"{n_total} (even {top:.3g} would need more)",
        )  # fmt: skip
    if _n_exact(p0, 1e-12, s, pw, lv) <= n_total:  # brentq needs a sign change
        raise ConfigError(
            owner, "n_total", expected="few enough customers that the uplift is above 1e-12",
            found=f"{n_total} (it would detect even 1e-12)",
        )  # fmt: skip
    d = float(brentq(lambda x: _n_exact(p0, x, s, pw, lv) - n_total, 1e-12, top, xtol=1e-12))
    n_c = round(n_total * s)
    return SamplePlan(p0, d, s, pw, lv, n_total, n_c, n_total - n_c)
