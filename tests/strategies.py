"""Shared hypothesis strategies: every feature extends this module (one section per area).

Examples:
    >>> from tests.strategies import transaction_logs
    >>> frame = transaction_logs().example()  # doctest: +SKIP
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
from hypothesis import strategies as st

# --------------------------------------------------------------------------- foundation

#: Time zones with awkward rules: 30-minute DST (Lord Howe), +05:45 (Kathmandu), the usual
#: European and American switches, and one without DST.
TIMEZONES = (
    "UTC",
    "Asia/Shanghai",
    "Europe/Berlin",
    "America/New_York",
    "Australia/Lord_Howe",
    "Asia/Kathmandu",
)

timezones = st.sampled_from(TIMEZONES)

#: Naive datetimes over a few years around now, to the second.
naive_datetimes = st.datetimes(
    min_value=dt.datetime(2020, 1, 1), max_value=dt.datetime(2027, 12, 31)
).map(lambda t: t.replace(microsecond=0))


@st.composite
def transaction_logs(
    draw: st.DrawFn,
    *,
    min_rows: int = 1,
    max_rows: int = 60,
    max_customers: int = 12,
    refunds: bool = False,
) -> pd.DataFrame:
    """A small transaction log: ``customer_id``, ``order_id``, ``date``, ``amount``.

    Dates fall on whole seconds within two years; amounts are positive with two decimals
    (negative refund rows too when ``refunds``); customers repeat so that frequency > 1
    happens often.
    """
    n = draw(st.integers(min_rows, max_rows))
    customers = draw(st.lists(st.integers(1, max_customers), min_size=n, max_size=n))
    seconds = draw(st.lists(st.integers(0, 2 * 365 * 86_400), min_size=n, max_size=n))
    cents = draw(st.lists(st.integers(1, 500_000), min_size=n, max_size=n))
    amount = np.asarray(cents, dtype=np.float64) / 100
    if refunds:
        flip = draw(st.lists(st.booleans(), min_size=n, max_size=n))
        amount = np.where(np.asarray(flip) & (np.arange(n) > 0), -amount / 4, amount).round(2)
    return pd.DataFrame(
        {
            "customer_id": np.asarray(customers, dtype=np.int64),
            "order_id": np.arange(1, n + 1, dtype=np.int64),
            "date": pd.Timestamp("2023-01-01") + pd.to_timedelta(seconds, unit="s"),
            "amount": amount,
        }
    )
