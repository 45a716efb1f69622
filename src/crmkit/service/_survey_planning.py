"""Planning surveys: how many responses an NPS needs (MeasuringU's formulas)."""

from __future__ import annotations

import math
from statistics import NormalDist

from crmkit import _stats
from crmkit._stats import _check_level
from crmkit.errors import ConfigError

__all__ = ["nps_sample_size"]


def nps_sample_size(
    *,
    promoters: float,
    detractors: float,
    margin: float | None = None,
    difference: float | None = None,
    promoters_b: float | None = None,
    detractors_b: float | None = None,
    level: float = 0.95,
    power: float = 0.8,
) -> int:
    """Plan how many responses an NPS needs (MeasuringU's adjusted-Wald formulas).

    Precision (``margin`` in points): the adjusted-Wald half-width
    ``z * sqrt(s2 / (n + 3))`` is at most the margin when
    ``n = z**2 * s2 / margin**2 - 3``, with ``s2 = p + d - (p - d)**2`` the per-response
    variance at the expected shares.

    Comparison (``difference`` in points, two independent groups of equal size): detect
    the difference with two-sided ``level`` and ``power`` when
    ``n = (s2_a + s2_b) * (z_alpha/2 + z_beta)**2 / difference**2 - 3`` per group, where
    ``s2_b`` uses ``promoters_b`` / ``detractors_b`` (default: the same shares).

    Args:
        promoters: Expected promoter share (0-1).
        detractors: Expected detractor share (0-1).
        margin: Wanted half-width of the interval, in points.
        difference: Smallest difference to detect, in points (instead of ``margin``).
        promoters_b: Expected promoter share of the second group (comparisons).
        detractors_b: Expected detractor share of the second group.
        level: Confidence level (two-sided).
        power: Power of the comparison.

    Returns:
        Responses needed (per group for comparisons), rounded up, at least 1.

    Examples:
        >>> nps_sample_size(promoters=0.5, detractors=0.2, margin=5)
        935
        >>> nps_sample_size(promoters=0.5, detractors=0.2, difference=10)
        955
    """
    owner = "nps_sample_size()"
    level = _check_level(level, owner)
    if (margin is None) == (difference is None):
        raise ConfigError(
            owner,
            "margin, difference",
            expected="exactly one of them",
            found="both or neither",
            kind="parameters",
        )

    def variance(p: float, d: float, names: str) -> float:
        ok = all(
            isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)
            for v in (p, d)
        )
        if not ok or p < 0 or d < 0 or p + d > 1:
            raise ConfigError(
                owner,
                names,
                expected="shares in [0, 1] with a sum <= 1",
                found=f"{p!r}, {d!r}",
                kind="parameters",
            )
        return p + d - (p - d) ** 2

    s2 = variance(promoters, detractors, "promoters, detractors")
    target = margin if margin is not None else difference
    if not isinstance(target, (int, float)) or isinstance(target, bool) or not 0 < target <= 200:
        name = "margin" if margin is not None else "difference"
        raise ConfigError(
            owner, name, expected="a number of points in (0, 200]", found=repr(target)
        )
    delta = target / 100
    if margin is not None:
        z = _stats.z_value(level)
        n = z * z * s2 / delta**2 - 3
    else:
        if not isinstance(power, (int, float)) or isinstance(power, bool) or not 0 < power < 1:
            raise ConfigError(owner, "power", expected="a number in (0, 1)", found=repr(power))
        s2b = variance(
            promoters if promoters_b is None else promoters_b,
            detractors if detractors_b is None else detractors_b,
            "promoters_b, detractors_b",
        )
        # z_beta is the one-sided quantile of the power (negative below 0.5).
        z = _stats.z_value(level) + NormalDist().inv_cdf(power)
        n = (s2 + s2b) * z * z / delta**2 - 3
    return max(1, math.ceil(n - 1e-9))
