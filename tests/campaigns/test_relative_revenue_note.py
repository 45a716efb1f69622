"""Regression: the campaign summary (the demo, ``crmkit campaign measure``) printed
"relative +25.4% (95% CI -197.3% to +248.0%, delta method)" with no word on the lower
bound, a revenue below nothing. The figure stays gbstats' delta-method interval; the line
now says what a bound below -100 % means. Found in session 14's demo review."""

from __future__ import annotations

import pandas as pd

from crmkit._cli_support import DemoData
from crmkit.campaigns import assign, measure
from crmkit.campaigns._cli import _demo_result, summary_lines

NOTE = "below -100% is no revenue at all"


def test_a_relative_bound_below_minus_100_percent_is_explained() -> None:
    result = _demo_result(DemoData(seed=7))
    rel = result.relative_revenue_lift
    assert rel is not None
    assert rel.lower is not None
    assert rel.lower < -1  # the demo's few buyers: -197 %
    line = next(x for x in summary_lines(result) if x.lstrip().startswith("relative"))
    assert NOTE in line
    assert f"{rel.lower:+.1%}" in line  # the figure itself is unchanged


def test_a_bound_above_minus_100_percent_carries_no_note() -> None:
    """Many buyers in both arms: the interval stays above -100 % and the line is as before."""
    ids = [f"c{k:04d}" for k in range(2_000)]
    arms = assign(ids, campaign="note-check", control_share=0.5)
    tx = pd.DataFrame(
        {
            "customer_id": ids,
            "date": "2025-10-05",
            "amount": [100 + (k % 7) * 10 for k in range(len(ids))],
        }
    )
    result = measure(arms, tx, start="2025-10-01", end="2025-10-31")
    rel = result.relative_revenue_lift
    assert rel is not None
    assert rel.lower is not None
    assert rel.lower > -1
    line = next(x for x in summary_lines(result) if x.lstrip().startswith("relative"))
    assert NOTE not in line
    assert line.endswith("delta method)")
