"""Invariants of the NPS intervals: range, containment and mirror symmetry.

Swapping promoters and detractors negates the score (p - d -> d - p) and, since every
method's variance ``p + d - (p - d)**2`` is symmetric in p and d, mirrors the interval.
The Wald and adjusted-Wald intervals are closed forms and mirror exactly. The score
interval is R ``NPS``'s ``iterative()`` followed step by step (``_stats.nps_score_interval``;
``test_satisfaction.py`` holds it to a line-by-line R port): it stops at a step below
1e-7 (upper search) or at ``|z - score| < 1e-6`` (lower search), so each bound sits within
about 2e-7 of the root on the -1..1 scale and the two bounds of a mirrored pair differ by
up to ~4e-5 points (4.2e-5 is the largest over every outcome with n < 40): that is R's
precision, not a defect, and the property allows 1e-4 points.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmkit.service import nps_from_counts
from tests.strategies import nps_counts

METHODS = ["wald", "adjusted_wald", "score"]


@given(nps_counts, st.sampled_from(METHODS), st.sampled_from([0.8, 0.9, 0.95, 0.99]))
def test_interval_in_range_and_holds_the_score(
    counts: tuple[int, int, int], method: str, level: float
) -> None:
    """Every interval lies in [-100, 100] and contains the reported NPS."""
    r = nps_from_counts(*counts, ci=method, level=level)
    if r.value is None:
        assert r.n == 0
        return
    assert r.interval is not None
    assert -100.0 <= r.interval.lower <= r.interval.upper <= 100.0
    assert r.interval.lower - 1e-9 <= r.value <= r.interval.upper + 1e-9


@given(nps_counts, st.sampled_from(METHODS), st.sampled_from([0.8, 0.95, 0.99]))
def test_swapping_promoters_and_detractors_mirrors(
    counts: tuple[int, int, int], method: str, level: float
) -> None:
    """NPS(d, q, p) = -NPS(p, q, d), and the interval mirrors (score: to R's precision)."""
    det, pas, pro = counts
    a = nps_from_counts(det, pas, pro, ci=method, level=level)
    b = nps_from_counts(pro, pas, det, ci=method, level=level)
    if a.value is None:
        assert b.value is None
        return
    assert b.value == -a.value
    assert b.exact == -a.exact  # type: ignore[operator]
    assert b.variance == pytest.approx(a.variance, abs=1e-15)
    assert a.interval is not None
    assert b.interval is not None
    tol = 1e-4 if method == "score" else 1e-12
    assert b.interval.lower == pytest.approx(-a.interval.upper, abs=tol)
    assert b.interval.upper == pytest.approx(-a.interval.lower, abs=tol)


def test_score_interval_is_within_r_tolerance_of_the_exact_root() -> None:
    """20 detractors, 30 passives, 50 promoters: the score equation's roots (brentq to
    1e-15: 13.9551416 and 44.3393066 points) agree with R's iterative bounds (13.9551413,
    44.3393052) to R's stopping tolerance, 1e-7 on the -1..1 scale (1e-5 points), and the
    mirrored counts give the negated roots."""
    r = nps_from_counts(20, 30, 50, ci="score")
    m = nps_from_counts(50, 30, 20, ci="score")
    assert r.interval is not None
    assert m.interval is not None
    assert r.interval.lower == pytest.approx(13.9551416, abs=2e-5)
    assert r.interval.upper == pytest.approx(44.3393066, abs=2e-5)
    assert m.interval.lower == pytest.approx(-44.3393066, abs=2e-5)
    assert m.interval.upper == pytest.approx(-13.9551416, abs=2e-5)
