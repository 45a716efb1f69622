"""Monthly NPS trend with intervals, segment comparisons and the service KPIs behind it.

The new-retail case: NPS rose over the year. Is the rise real, which segments differ, and
what did the service desk look like meanwhile? Run: ``python examples/service_nps_trend.py``.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from crmkit.datasets import survey_responses, ticket_events, tickets
from crmkit.service import (
    compare_groups,
    compare_nps,
    csat,
    duration_quantiles,
    first_contact_resolution,
    metric_table,
    nps,
    nps_sample_size,
)

responses = survey_responses(n_responses=2000, seed=7)

print("Monthly NPS (adjusted-Wald 95% CI; '*' = fewer than 150 answers)")
trend = metric_table(responses, "nps", freq="M", min_n=150)
for row in trend.itertuples():
    flag = "*" if row.low_sample else " "
    print(
        f"  {row.period}  {row.value:5.1f}  [{row.lower:5.1f}, {row.upper:5.1f}]  n={row.n}{flag}"
    )

months = responses["date"].dt.to_period("M")
first = nps(responses.loc[months == months.min(), "nps"])
last = nps(responses.loc[months == months.max(), "nps"])
change = compare_nps(last, first)
assert change.interval is not None
print(
    f"\nFirst vs last month: {first.format()} -> {last.format()}\n"
    f"  change {change.difference:+.1f} points, 95% CI {change.interval.lower:+.1f} to "
    f"{change.interval.upper:+.1f}, p = {change.p_value:.4f}"
)
print(
    "  answers per month needed to detect a 10-point change:",
    nps_sample_size(promoters=0.7, detractors=0.1, difference=10),
)

print("\nSegments vs 'regular' (Holm-adjusted):")
groups = compare_groups(responses, "nps", by="segment", baseline="regular")
print(
    groups[["group", "n", "value", "difference", "p_adjusted", "significant"]]
    .round(3)
    .to_string(index=False)
)

print("\nCSAT:", csat(responses["csat"]).format())

t = tickets(n_tickets=1000, seed=7)
as_of = pd.Timestamp("2025-06-30 18:00", tz="Asia/Shanghai")
print("\nService desk as of", as_of)
print("  first reply:", duration_quantiles(t, as_of=as_of).format())
print("  resolution: ", duration_quantiles(t, end="resolved_at", as_of=as_of).format())
print("  " + first_contact_resolution(t, ticket_events(t)).format())
print(
    "  "
    + first_contact_resolution(
        t, definition="no_recontact_within", window=dt.timedelta(days=7), as_of=as_of
    ).format()
)
