"""The one-snapshot read path of ``classify_lifecycle`` against a straightforward pandas
computation.

``classify_lifecycle`` sorts only (customer, day) pairs (32-bit when they fit) and finds
each customer's first and last purchase instant, and the first instant of the last
wake-up day, from the rows without sorting them (``_lifecycle_engine._snapshot_log``).
These tests draw logs with sub-second instants, ties, several purchases on a day,
customers with one row, refunds and zero amounts at the extreme instants, rows after
``as_of``, and zones whose clocks jump (Casey station, Antarctica, went from 02:00 back to
23:00 of the previous day on 2010-03-05, so a later instant can fall on an earlier local
day; São Paulo's midnights that do not exist or come twice), and compare every figure
with pandas group-bys on local days.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from crmkit.segmentation import (
    LifecyclePolicy,
    TransactionLog,
    classify_lifecycle,
    lifecycle_history,
)
from tests.strategies import examples

#: Small thresholds, so that a few months of rows reach every stage and wake-ups happen.
POLICY = LifecyclePolicy(
    new_days=10, at_risk_days=20, dormant_days=40, churned_days=80, reactivated_days=30
)

#: UTC instants next to clock changes: Casey's 2010 change from +11 to +08 at 02:00 (back
#: to 23:00 of the day before), São Paulo's 2018 DST end at local midnight (back to 23:00
#: of the same day) and start (00:00 -> 01:00), Berlin's 2018 switches.
ANCHORS = {
    "Antarctica/Casey": ("2010-03-04 15:00",),
    "America/Sao_Paulo": ("2018-02-18 02:00", "2018-11-04 03:00"),
    "Europe/Berlin": ("2018-03-25 01:00", "2018-10-28 01:00"),
}
EVERY_ANCHOR = tuple(a for anchors in ANCHORS.values() for a in anchors)
ZONES = (None, "Antarctica/Casey", "America/Sao_Paulo", "Europe/Berlin", "UTC")
NS_PER_HOUR = 3_600 * 10**9


@st.composite
def read_logs(draw: st.DrawFn) -> tuple[pd.DataFrame, str | None, object]:
    """A log (UTC instants, or naive ones when the zone is None), its zone and an as_of."""
    zone = draw(st.sampled_from(ZONES))
    anchor = pd.Timestamp(draw(st.sampled_from(ANCHORS.get(str(zone), EVERY_ANCHOR))))
    n = draw(st.integers(1, 30))
    customers = draw(st.lists(st.integers(0, 5), min_size=n, max_size=n))
    days = draw(st.lists(st.sampled_from((0, 0, 1, 3, 45, 50, 120)), min_size=n, max_size=n))
    # Within three hours of the anchor, with sub-second parts (or exactly on the hour).
    ns = draw(
        st.lists(
            st.one_of(
                st.integers(-3 * NS_PER_HOUR, 3 * NS_PER_HOUR),
                st.integers(-3, 3).map(lambda h: h * NS_PER_HOUR),
            ),
            min_size=n,
            max_size=n,
        )
    )
    amounts = draw(
        st.lists(st.sampled_from((25.0, 25.0, 25.0, 10.5, 0.0, -5.0)), min_size=n, max_size=n)
    )
    instants = (
        anchor + pd.to_timedelta(np.asarray(days), unit="D") + pd.to_timedelta(np.asarray(ns))
    )
    ids = draw(st.sampled_from(("int", "str")))
    frame = pd.DataFrame(
        {
            "customer_id": [c * 7 + 3 if ids == "int" else f"c{c}" for c in customers],
            "date": instants if zone is None else instants.tz_localize("UTC"),
            "amount": amounts,
        }
    )
    repeat = draw(st.integers(0, n))  # exact duplicate rows: ties
    frame = pd.concat([frame, frame.iloc[:repeat]], ignore_index=True)
    as_of_instant = anchor + pd.Timedelta(days=draw(st.sampled_from((0, 2, 60, 200))))
    as_of_instant += pd.Timedelta(seconds=draw(st.integers(-4 * 3_600, 4 * 3_600)))
    if zone is not None:
        as_of_instant = as_of_instant.tz_localize("UTC").tz_convert(zone)
    as_of: object = as_of_instant
    if draw(st.booleans()):  # a date: the end of that local day
        as_of = as_of_instant.date()
    return frame, zone, as_of


def expected(frame: pd.DataFrame, zone: str | None, as_of: object) -> pd.DataFrame:
    """The read-path figures by pandas group-bys on local calendar days."""
    local = frame["date"] if zone is None else frame["date"].dt.tz_convert(zone)
    day = local.dt.tz_localize(None).dt.floor("D") if zone is not None else local.dt.floor("D")
    if isinstance(as_of, dt.datetime):
        stamp = pd.Timestamp(as_of)
        included = local <= stamp
        as_of_day = stamp.tz_localize(None).floor("D") if zone else stamp.floor("D")
    else:
        assert isinstance(as_of, dt.date)
        as_of_day = pd.Timestamp(as_of)
        # The end of that day: the next local midnight (the later one where it comes twice).
        cut = as_of_day + pd.Timedelta(days=1)
        if zone is not None:
            cut = cut.tz_localize(zone, ambiguous=False, nonexistent="shift_forward")
        included = local < cut
    rows = pd.DataFrame({"c": frame["customer_id"], "t": local, "day": day})
    rows = rows[included & (frame["amount"] > 0)]
    out = {}
    for customer, own in rows.groupby("c", sort=True):
        days = np.sort(own["day"].unique())
        first_day, last_day = days[0], days[-1]
        gaps = np.diff(days) / pd.Timedelta(days=1)
        wakes = days[1:][gaps >= POLICY.dormant_days]
        wake = own.loc[own["day"] == wakes[-1], "t"].min() if len(wakes) else pd.NaT
        out[customer] = {
            "first_purchase": own.loc[own["day"] == first_day, "t"].min(),
            "last_purchase": own.loc[own["day"] == last_day, "t"].max(),
            "purchase_days": len(days),
            "recency_days": (as_of_day - last_day).days,
            "tenure_days": (as_of_day - first_day).days,
            "last_wake_up": wake,
        }
    return pd.DataFrame.from_dict(out, orient="index")


@settings(max_examples=examples(100), deadline=None)
@given(read_logs())
def test_one_snapshot_read_path_matches_pandas(
    case: tuple[pd.DataFrame, str | None, object],
) -> None:
    frame, zone, as_of = case
    kept = frame.copy(deep=True)
    got = classify_lifecycle(frame, as_of=as_of, policy=POLICY, timezone=zone)
    want = expected(frame, zone, as_of)
    pd.testing.assert_frame_equal(frame, kept)  # the caller's frame is untouched
    assert list(got.index) == list(want.index)
    for column in ("purchase_days", "recency_days", "tenure_days"):
        assert got[column].tolist() == want[column].tolist() if len(want) else got.empty
    for column in ("first_purchase", "last_purchase", "last_wake_up"):
        assert [None if pd.isna(v) else v for v in got[column]] == [
            None if pd.isna(v) else v for v in (want[column] if len(want) else [])
        ], column
    if len(got):  # the full occasion path (every occasion's instants) agrees on the stage
        history = lifecycle_history(frame, as_of=[as_of], policy=POLICY, timezone=zone)
        assert history.iloc[:, 0].loc[got.index].tolist() == got["stage"].tolist()


def test_a_later_instant_on_an_earlier_local_day() -> None:
    """Casey, 2010-03-05: 01:30 (UTC+11) comes before 23:30 of the 4th (UTC+8).

    The customer's latest instant is on the earlier local day, so the last purchase is
    the latest instant of the last purchase *day*, not the latest instant overall.
    """
    utc = pd.to_datetime(["2010-03-04 14:30", "2010-03-04 15:30", "2010-01-01 00:00"], utc=True)
    frame = pd.DataFrame({"customer_id": [1, 1, 1], "date": utc, "amount": [5.0, 5.0, 5.0]})
    got = classify_lifecycle(frame, as_of="2010-03-31", policy=POLICY, timezone="Antarctica/Casey")
    row = got.loc[1]
    assert str(row["last_purchase"]) == "2010-03-05 01:30:00+11:00"
    assert row["purchase_days"] == 3
    assert str(row["first_purchase"]) == "2010-01-01 11:00:00+11:00"
    assert row["recency_days"] == 26


def test_the_occasion_instants_on_demand_equal_the_sorted_ones() -> None:
    """A one-snapshot log finds every occasion's instants from its rows when asked."""
    from crmkit.segmentation._lifecycle_engine import _prepare_log, build_log

    frame = pd.DataFrame(
        {
            "customer_id": [5, 9, 5, 5, 9, 9, 12],
            "date": pd.to_datetime(
                [
                    "2025-01-01 10:00:00.5",
                    "2025-01-02 09:00",
                    "2025-01-01 08:00",
                    "2025-03-01 12:00",
                    "2025-01-02 23:59:59.999999999",
                    "2025-02-01",
                    "2025-01-03",
                ],
                format="ISO8601",
            ),
            "amount": [10.0, 3.0, 4.0, 2.0, 1.0, -1.0, 0.0],
        }
    )
    log, excluded = _prepare_log(
        frame, customer="customer_id", date="date", amount="amount", policy=POLICY,
        owner="test", as_of="2025-12-31",
    )  # fmt: skip
    full = build_log(TransactionLog.from_frame(frame), frame["amount"].to_numpy() > 0, log.cut)
    assert excluded.non_purchase == 2
    assert list(log.ids) == list(full.ids) == [5, 9]
    assert log.first_ns.tolist() == full.first_ns.tolist()
    assert log.last_ns.tolist() == full.last_ns.tolist()
    assert log.first_purchase_ns().tolist() == full.first_purchase_ns().tolist()
    assert log.last_purchase_ns().tolist() == full.last_purchase_ns().tolist()
    assert pd.to_datetime(log.first_ns).strftime("%m-%d %H:%M").tolist() == [
        "01-01 08:00",
        "03-01 12:00",
        "01-02 09:00",
    ]
    wake = np.array([1, -1])
    assert log.first_of(wake).tolist() == full.first_of(wake).tolist() == [full.first_ns[1], 0]


def test_days_before_1970_and_far_apart_pack_like_the_full_path() -> None:
    """Negative day numbers wrap around in the 32-bit pair keys and come back exact."""
    frame = pd.DataFrame(
        {
            "customer_id": ["a", "a", "b", "b", "b", "c"],
            "date": pd.to_datetime(
                [
                    "1960-02-29 23:59:59.5",
                    "1969-12-31 12:00",
                    "1965-06-01",
                    "1970-01-01",
                    "1970-01-01 00:00:00.000000001",
                    "2030-01-01",
                ],
                format="ISO8601",
            ),
        }
    )
    got = classify_lifecycle(frame, as_of="1970-06-30", policy=POLICY, amount=None)
    history = lifecycle_history(frame, as_of=["1970-06-30"], policy=POLICY, amount=None)
    assert got["stage"].tolist() == history.iloc[:, 0].tolist() == ["churned", "churned"]
    assert got["purchase_days"].tolist() == [2, 2]
    stamps = pd.to_datetime(
        [
            "1960-02-29 23:59:59.5",
            "1965-06-01",
            "1969-12-31 12:00",
            "1970-01-01 00:00:00.000000001",
            "1969-12-31 12:00",
            "1970-01-01",
        ],
        format="ISO8601",
    ).tolist()
    assert got["first_purchase"].tolist() == stamps[0:2]
    assert got["last_purchase"].tolist() == stamps[2:4]
    assert got["last_wake_up"].tolist() == stamps[4:6]
    assert got.attrs["future_rows"] == 1
