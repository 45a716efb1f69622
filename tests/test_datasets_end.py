"""``end`` of :func:`crmkit.datasets.transactions`: every row falls before it.

``end`` is the end of the span, not a last day: a date is its midnight, so nothing is
generated on it (the default sample ends on 2025-12-30), unlike ``end`` of
``campaign_orders``, the last day of a window. Including the day would change the sample
every seed gives, which tests and docs pin, so the docstring now says what it does.
Regression: with a time of day, ``end="2025-06-30T12:00"`` gave purchases up to 22:00
that day, after ``end``.
"""

from __future__ import annotations

import pandas as pd
import pytest

from crmkit import datasets


@pytest.mark.parametrize("seed", [0, 1, 7, 11])
def test_a_date_end_is_its_midnight(seed: int) -> None:
    """Nothing falls on the ``end`` day: the default sample ends on 2025-12-30."""
    tx = datasets.transactions(n_customers=1_000, seed=seed)
    assert tx["date"].max() < pd.Timestamp("2025-12-31")
    assert tx["date"].max().date().isoformat() == "2025-12-30"


@pytest.mark.parametrize("end", ["2025-06-30T12:00", "2025-06-30T00:30", "2025-06-30T23:00"])
def test_an_end_with_a_time_of_day_is_never_passed(end: str) -> None:
    """Regression: the rows of ``end``'s own day took a time of day up to 22:00, past an
    ``end`` at noon; now they fall between their drawn instant and ``end``."""
    for seed in range(4):
        tx = datasets.transactions(n_customers=3_000, start="2025-01-01", end=end, seed=seed)
        assert tx["date"].max() < pd.Timestamp(end)
        assert bool(tx["date"].is_monotonic_increasing)


def test_campaign_orders_include_their_end_day() -> None:
    """``campaign_orders`` reads ``end`` as the last day of its window, as documented."""
    tx = datasets.transactions(n_customers=200, seed=1)
    arms = pd.DataFrame({"arm": ["treatment"] * 200}, index=pd.Index(range(1, 201)))
    orders = datasets.campaign_orders(
        tx, arms, start="2025-10-01", end="2025-10-02", wake_rate=1.0, seed=2
    )
    assert set(orders["date"].dt.date.astype(str)) == {"2025-10-01", "2025-10-02"}
