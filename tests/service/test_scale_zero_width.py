"""Regression: CSAT and CES means whose scores are all equal had a zero-width interval
that nothing flagged (``ces([1, 1]).mean_interval == (1.0, 1.0)``, ``reason`` silent),
where NPS flags its zero-width cases. Found in session 14's review."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from crmkit.service import ces, csat

FLAG = "all scores equal: the mean's interval has zero width"


def test_equal_scores_are_flagged() -> None:
    result = ces([1, 1])
    assert result.mean_interval.lower == result.mean_interval.upper
    assert result.mean_reason is not None  # the mean's own reason (review s16)
    assert FLAG in result.mean_reason
    assert FLAG in (csat([5, 5, 5, 5]).mean_reason or "")
    assert FLAG not in (csat([4, 5, 5, 5]).mean_reason or "")
    assert FLAG not in (ces([3]).mean_reason or "")  # one score: the whole scale, said otherwise


@given(st.integers(1, 5), st.integers(2, 60))
def test_flagged_exactly_when_every_score_is_the_same(score: int, n: int) -> None:
    same = csat([score] * n)
    assert FLAG in (same.mean_reason or "")
    mixed = csat([score] * (n - 1) + [score % 5 + 1])
    assert FLAG not in (mixed.mean_reason or "")
    assert mixed.mean_interval.upper > mixed.mean_interval.lower
