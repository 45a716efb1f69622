"""sBG and BG/BB at beta / delta ~ 1e6: Beta-function ratios accurate to float rounding.

A churn (dropout) probability ``theta ~ Beta(alpha, 1e6)`` is a retention of about
99.9999 % a period: a cohort of long-standing members, or a fit that found almost no
churn. scipy's ``betaln`` loses about 1e-9 (absolute) at such arguments, and every
survival, churn and P(alive) figure is ``exp`` of a *difference* of two of them, so it
was off by up to 3e-9 relative -- and ``1 - S(t)`` (the share lost) or ``1 - P(alive)``
by up to 6e-4 relative. ``_model.log_beta`` (Stirling differences that do not cancel)
now gives them to about 1e-14.

The references are mpmath 1.4.1 at ``mp.dps = 40``, straight from the definitions:

* sBG (Fader & Hardie 2007, eqs. 5-7): ``S(t) = mp.beta(a, b + t) / mp.beta(a, b)``,
  ``P(T = t) = mp.beta(a + 1, b + t - 1) / mp.beta(a, b)``, and the renewal probability
  ``mp.beta(a, b + n + t) / mp.beta(a, b + n)``.
* BG/BB (Fader, Hardie & Shang 2010, eqs. 5 and 11): with ``B = mp.beta``,
  ``L = B(a+x, b+n-x)/B(a, b) * B(g, d+n)/B(g, d) + sum_{i=0}^{n-tx-1}
  B(a+x, b+tx-x+i)/B(a, b) * B(g+1, d+tx+i)/B(g, d)`` and
  ``P(alive at n+t) = B(a+x, b+n-x)/B(a, b) * B(g, d+n+t)/B(g, d) / L``; the share lost
  ``1 - P(alive)`` is computed in mpmath too, not from the rounded value.
"""

from __future__ import annotations

import pandas as pd
import pytest

from crmkit.segmentation import BetaGeoBetaBinomFit, ShiftedBetaGeoFit

#: (alpha, S(12), P(T=1), P(T=120), P(active 12 more | 36 survived), 1 - S(12)); beta = 1e6.
SBG_CASES = [
    (
        0.7,
        0.9999916000844191,  # betaln: 0.9999915997638456 (3e-10)
        6.99999510000343e-7,  # betaln: 6.999995090216097e-07 (1.4e-9)
        6.9985792289530959e-7,
        0.99999160038680214,
        8.3999155808994621e-6,  # betaln: 8.400236154448848e-06 (3.8e-5)
    ),
    (
        2.5,
        0.99997000065248769,  # betaln: 0.9999700025498042 (1.9e-9)
        2.499993750015625e-6,  # betaln: 2.4999937560556365e-06 (2.4e-9)
        2.4989527826527821e-6,  # betaln: 2.4989527893969873e-06 (2.7e-9)
        0.99997000173240183,  # betaln: 0.9999700006872149 (1.0e-9)
        2.9999347512314786e-5,  # betaln: 2.999745019582889e-05 (6.3e-5)
    ),
]


@pytest.mark.parametrize(
    ("alpha", "survival", "churn_1", "churn_120", "renew", "lost"),
    SBG_CASES,
    ids=["alpha=0.7", "alpha=2.5"],
)
def test_sbg_at_beta_1e6_matches_mpmath(  # noqa: PLR0917 - one row of the table
    alpha: float, survival: float, churn_1: float, churn_120: float, renew: float, lost: float
) -> None:
    """S(t), P(T = t) and the renewal probability to 1e-13 of mpmath (were 3e-9 off)."""
    fit = ShiftedBetaGeoFit(params={"alpha": alpha, "beta": 1e6})
    assert fit.survival(12) == pytest.approx(survival, rel=1e-13)
    assert 1.0 - fit.survival(12) == pytest.approx(lost, rel=1e-9)
    assert fit.churn_probability(1) == pytest.approx(churn_1, rel=1e-13)
    assert fit.churn_probability(120) == pytest.approx(churn_120, rel=1e-13)
    assert fit.probability_renew(12, 36) == pytest.approx(renew, rel=1e-13)
    # The projection table is built from the same functions.
    curve = fit.curve(120)
    assert curve["churn_probability"].iloc[120] == pytest.approx(churn_120, rel=1e-13)


#: (gamma, (frequency, recency, n, t), P(alive at n + t), 1 - P(alive)); alpha = 1.204,
#: beta = 0.750 (FHS 2010's purchase process), delta = 1e6.
BGBB_CASES = [
    (0.657, (0, 0, 6, 1), 0.99998283202600472, 1.7167973995284361e-5),
    (0.657, (6, 6, 6, 1), 0.99999934300437362, 6.5699562638011519e-7),
    (1.0, (2, 3, 30, 5), 0.99611428072962439, 0.0038857192703756139),
    # betaln: 1.6e-9 off; 1 - P(alive) 2.4e-5 off
    (2.5, (0, 0, 6, 1), 0.99993467543757839, 6.5324562421609844e-5),
    # betaln: 1.6e-9 off; 1 - P(alive) 6.2e-4 off
    (2.5, (6, 6, 6, 1), 0.99999750002124982, 2.4999787501806235e-6),
    (2.5, (2, 3, 30, 5), 0.99034156831891109, 0.0096584316810889111),
]


@pytest.mark.parametrize(("gamma", "history", "alive", "lost"), BGBB_CASES)
def test_bgbb_probability_alive_at_delta_1e6_matches_mpmath(
    gamma: float, history: tuple[int, int, int, int], alive: float, lost: float
) -> None:
    """P(alive) to 1e-13 of mpmath (was 3e-9 off at gamma = 2.5); 1 - P(alive) to 1e-8
    (was up to 6e-4 off), also through ``predict``'s ``p_alive_at_t``."""
    x, tx, n, t = history
    fit = BetaGeoBetaBinomFit(params={"alpha": 1.204, "beta": 0.750, "gamma": gamma, "delta": 1e6})
    value = fit.probability_alive(x, tx, n, t=t)
    assert value == pytest.approx(alive, rel=1e-13)
    assert 1.0 - value == pytest.approx(lost, rel=1e-8)
    row = pd.DataFrame({"frequency": [x], "recency": [tx], "n": [n]})
    assert fit.predict(row, t=t)["p_alive_at_t"].iloc[0] == pytest.approx(alive, rel=1e-13)


def test_bgbb_no_purchase_at_delta_1e6_matches_mpmath() -> None:
    """P(no purchase in the next t) = L(x, tx, n + t) / L(x, tx, n) (FHS 2010 eq. 5 in
    mpmath, dps = 40): 0.471465113030285469 at gamma = 0.657, (3, 4, 6), t = 1 and
    0.612412285346788648 at gamma = 2.5, (2, 3, 30), t = 5."""
    low = BetaGeoBetaBinomFit(params={"alpha": 1.204, "beta": 0.75, "gamma": 0.657, "delta": 1e6})
    high = BetaGeoBetaBinomFit(params={"alpha": 1.204, "beta": 0.75, "gamma": 2.5, "delta": 1e6})
    assert low.probability_no_purchase(1, 3, 4, 6) == pytest.approx(0.471465113030285469, rel=1e-13)
    assert high.probability_no_purchase(5, 2, 3, 30) == pytest.approx(
        0.612412285346788648, rel=1e-13
    )
