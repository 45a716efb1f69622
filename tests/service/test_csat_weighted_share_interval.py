"""The CSAT/CES share interval of weighted data is about the weighted share it reports.

Regression: ``scale_statistics`` chose whole (unweighted) counts whenever
``np.allclose(sum w**2, n)``, a test for "no weights" that weighted data can pass: weights
0.2, 0.2, 1.4, 1.4 have ``sum w**2 = 0.04 + 0.04 + 1.96 + 1.96 = 4 = n``. The interval was
then Wilson(2, 4) = (15.0 %, 85.0 %), about the unweighted share 2/4, beside a reported
weighted share of 12.5 %, which it left out. (``allclose`` also tolerates
``|sum w**2 - n| <= 1e-5 * n``, so large weighted groups with a few non-unit weights took
the same path.) Now only a group whose weights are all exactly 1 uses whole counts
(``sum w == sum w**2 == n`` holds only then); every other group uses the Kish effective
counts ``share * n_eff``, as the module and ``docs/how-to/weighted-surveys.md`` say.
"""

from __future__ import annotations

import math

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmkit import _stats
from crmkit.service import ces, csat, metric_table

Z95 = 1.959963984540054


def _wilson(x: float, n: float, z: float = Z95) -> tuple[float, float]:
    """Wilson (1927) score interval, written out: (x + z²/2 ± z sqrt(x(n-x)/n + z²/4)) / (n + z²)."""
    half = z * math.sqrt(x * (n - x) / n + z * z / 4)
    return (x + z * z / 2 - half) / (n + z * z), (x + z * z / 2 + half) / (n + z * z)


WEIGHTS = [0.2, 0.2, 1.4, 1.4]


def test_weights_whose_squares_sum_to_n_use_the_effective_counts() -> None:
    """Two satisfied answers of weight 0.2, two unsatisfied of weight 1.4.

    Share 0.4 / 3.2 = 0.125; Kish n_eff = 3.2**2 / 4 = 2.56; effective positives
    0.125 * 2.56 = 0.32; Wilson(0.32, 2.56) = (0.7 %, 60.4 %). The old code gave
    Wilson(2, 4) = (15.0 %, 85.0 %), which does not hold the share of 12.5 %.
    """
    r = csat([5, 5, 1, 1], weights=WEIGHTS)
    assert r.value == pytest.approx(12.5)
    assert r.n_effective == pytest.approx(2.56)
    lo, hi = _wilson(0.32, 2.56)
    assert r.interval is not None
    assert (r.interval.lower, r.interval.upper) == pytest.approx((lo * 100, hi * 100), abs=1e-9)
    assert r.interval.contains(r.value)
    # Not the unweighted Wilson(2, 4) of the old code.
    assert r.interval.lower < 15.0


def test_ces_and_table_use_the_same_effective_counts() -> None:
    """CES 2.0 agree (5-7) with the same weights; metric_table's group equals the scalar."""
    r = ces([7, 6, 2, 1], weights=WEIGHTS)
    lo, hi = _wilson(0.32, 2.56)
    assert r.interval is not None
    assert (r.interval.lower, r.interval.upper) == pytest.approx((lo * 100, hi * 100), abs=1e-9)
    frame = pd.DataFrame(
        {
            "segment": ["w"] * 4 + ["plain"] * 2,
            "csat": [5, 5, 1, 1, 5, 1],
            "weight": [*WEIGHTS, 1.0, 1.0],
        }
    )
    t = metric_table(frame, "csat", by="segment", freq=None, weights="weight", min_n=1)
    row = t.set_index("segment").loc["w"]
    assert (row["lower"], row["upper"]) == pytest.approx((lo * 100, hi * 100), abs=1e-9)
    # A group whose weights are all 1 keeps the whole counts: exactly the unweighted call.
    plain = t.set_index("segment").loc["plain"]
    expected = csat([5, 1]).interval
    assert expected is not None
    assert (plain["lower"], plain["upper"]) == (expected.lower, expected.upper)


def test_nearly_unit_weights_are_weights() -> None:
    """Weights within allclose's tolerance of 1 were treated as no weights; they are weights.

    20,000 answers, half satisfied; one satisfied answer weighs 1.09: sum w**2 - n =
    1.09**2 - 1 = 0.1881, inside allclose's ``1e-5 * n = 0.2``, so the old code used
    Wilson(10000, 20000) beside a weighted share of 10000.09 / 20000.09. The interval must
    be Wilson on that share's effective counts.
    """
    scores = [5] * 10_000 + [1] * 10_000
    weights = [1.09] + [1.0] * 19_999
    r = csat(scores, weights=weights)
    n_eff = r.n_effective
    lo, hi = _wilson(r.value / 100 * n_eff, n_eff)
    assert r.interval is not None
    assert (r.interval.lower, r.interval.upper) == pytest.approx((lo * 100, hi * 100), abs=1e-12)
    assert (r.interval.lower, r.interval.upper) != pytest.approx(
        tuple(v * 100 for v in _stats.wilson_interval(10_000, 20_000)), abs=1e-12
    )


@given(
    st.lists(
        st.tuples(st.integers(1, 5), st.sampled_from([0.2, 0.5, 1.0, 1.4, 2.0, 3.5])),
        min_size=1,
        max_size=30,
    )
)
def test_weighted_share_interval_is_wilson_on_effective_counts(
    rows: list[tuple[int, float]],
) -> None:
    """For any positive weights: Wilson on (share * n_eff, n_eff), and it holds the share."""
    scores = [s for s, _ in rows]
    weights = [w for _, w in rows]
    r = csat(scores, weights=weights)
    assert r.value is not None
    assert r.interval is not None
    if all(w == 1.0 for w in weights):
        lo, hi = _stats.wilson_interval(r.positives, r.n)
    else:
        lo, hi = _stats.wilson_interval(
            r.value / 100 * r.n_effective, r.n_effective, fractional=True
        )
    assert (r.interval.lower, r.interval.upper) == pytest.approx((lo * 100, hi * 100), abs=1e-9)
    assert r.interval.lower - 1e-9 <= r.value <= r.interval.upper + 1e-9
