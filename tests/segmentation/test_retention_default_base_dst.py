"""retention_rate's default base period starts where its definition says, across DST.

Between two dates the default base ``start - (end - start)`` used to be counted in elapsed
nanoseconds: with a DST change between ``start`` and ``end`` (Europe/Berlin, 30 March
2025) the base began an hour after the midnight its label named, so a customer who bought
in that first hour was left out although the definition said "(2025-02-13, ...]".
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from crmkit.segmentation import retention_rate
from tests.strategies import examples, purchase_logs


def berlin_log() -> pd.DataFrame:
    """Customer 1 bought at 00:30 on 14 February (inside the base), customer 2 at 23:30
    on 13 February (before it); both bought again in March."""
    return pd.DataFrame(
        {
            "customer_id": [1, 1, 2, 2],
            "date": pd.to_datetime(
                ["2025-02-14 00:30", "2025-03-20 12:00", "2025-02-13 23:30", "2025-03-21 12:00"]
            ).tz_localize("Europe/Berlin"),
        }
    )


def test_default_base_of_dates_across_dst_starts_at_midnight() -> None:
    """Hand-checked: the base is (13 Feb, 15 Mar]: customer 1 is in, customer 2 is not."""
    r = retention_rate(berlin_log(), start="2025-03-15", end="2025-04-14", amount=None)
    assert (r.numerator, r.denominator) == (1, 1)
    assert r.definition.startswith("customers who bought in (2025-02-13, 2025-03-15]")
    explicit = retention_rate(
        berlin_log(), base_start="2025-02-13", start="2025-03-15", end="2025-04-14", amount=None
    )
    assert (explicit.numerator, explicit.denominator) == (1, 1)
    naive = berlin_log().assign(date=lambda f: f["date"].dt.tz_localize(None))
    zoned = retention_rate(
        naive, start="2025-03-15", end="2025-04-14", amount=None, timezone="Europe/Berlin"
    )
    assert (zoned.numerator, zoned.denominator) == (1, 1)


def test_default_base_of_instants_is_elapsed_time() -> None:
    """With instants the length is elapsed time (30 days back from 12:00 CET is 12:00)."""
    naive = berlin_log().assign(date=lambda f: f["date"].dt.tz_localize(None))
    r = retention_rate(naive, start="2025-03-15 12:00", end="2025-04-14 12:00", amount=None)
    assert "(2025-02-13 12:00:00, 2025-03-15 12:00:00]" in r.definition
    assert (r.numerator, r.denominator) == (2, 2)
    mixed = retention_rate(naive, start="2025-03-15", end="2025-04-14 12:00", amount=None)
    assert "(2025-02-14 12:00:00, 2025-03-15]" in mixed.definition


@settings(max_examples=examples(60), deadline=None)
@given(
    purchase_logs(),
    st.integers(30, 900),
    st.integers(1, 200),
    st.sampled_from(["Europe/Berlin", "America/New_York", "Australia/Lord_Howe"]),
)
def test_default_base_equals_the_explicit_one_in_days(
    tx: pd.DataFrame, offset: int, length: int, zone: str
) -> None:
    """For dates, omitting base_start equals passing ``start - (end - start)`` in days,
    whatever DST changes lie between (purchases at noon: no wall time in a DST gap)."""
    tx = tx.assign(date=tx["date"].dt.normalize() + pd.Timedelta(hours=12))
    start = dt.date(2023, 1, 1) + dt.timedelta(days=offset)
    end = start + dt.timedelta(days=length)
    base_start = start - dt.timedelta(days=length)
    got = retention_rate(tx, start=start, end=end, amount=None, timezone=zone)
    want = retention_rate(
        tx, base_start=base_start, start=start, end=end, amount=None, timezone=zone
    )
    assert (got.numerator, got.denominator, got.definition) == (
        want.numerator,
        want.denominator,
        want.definition,
    )
