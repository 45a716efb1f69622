"""Issue 10 in the satisfaction and KPI functions: every input read one way, or refused.

Arrow-backed timestamps give the same results as datetime64; errors name row labels; ids,
flags and empty inputs that used to change results silently are errors or counted
exclusions; bare TypeError/ValueError became crmkit errors.
"""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crmkit.errors import ConfigError, InvalidInputError, SchemaError
from crmkit.service import (
    EVENTS,
    backlog,
    duration_quantiles,
    first_contact_resolution,
    followup_completion,
    metric_table,
    nps_sample_size,
    reopen_rate,
    repeat_complaint_rate,
)
from tests.strategies import examples, survey_frames

pa = pytest.importorskip("pyarrow")

UTC = dt.UTC


def _arrow(frame: pd.DataFrame, columns: list[str], unit: str = "us") -> pd.DataFrame:
    """The same frame with ``columns`` as Arrow timestamps (what read_parquet gives)."""
    out = frame.copy()
    for c in columns:
        tz = getattr(frame[c].dt, "tz", None)
        out[c] = frame[c].astype(pd.ArrowDtype(pa.timestamp(unit, tz=str(tz) if tz else None)))
    return out


def _tickets() -> pd.DataFrame:
    created = pd.to_datetime(
        [
            "2025-01-06 09:00",
            "2025-01-06 10:00",
            "2025-01-07 11:00",
            "2025-01-08 12:00",
            "2025-01-09 08:00",
            "2025-01-20 08:00",
        ]
    ).tz_localize("Asia/Shanghai")
    resolved = pd.to_datetime(
        [
            "2025-01-06 12:00",
            None,
            "2025-01-08 09:00",
            "2025-01-08 18:00",
            None,
            "2025-01-21 08:00",
        ]
    ).tz_localize("Asia/Shanghai")
    followed = pd.to_datetime(
        ["2025-01-07 12:00", None, "2025-01-15 09:00", None, None, "2025-01-22 08:00"]
    ).tz_localize("Asia/Shanghai")
    return pd.DataFrame(
        {
            "ticket_id": [f"t{i}" for i in range(6)],
            "customer_id": ["a", "b", "a", "c", "b", "a"],
            "kind": ["complaint"] * 6,
            "created_at": created,
            "first_reply_at": resolved,
            "resolved_at": resolved,
            "followed_up_at": followed,
        },
        index=pd.Index([101, 102, 103, 104, 105, 106], name="row"),
    )


AS_OF = pd.Timestamp("2025-01-25", tz="Asia/Shanghai")
DATE_COLUMNS = ["created_at", "first_reply_at", "resolved_at", "followed_up_at"]


@pytest.mark.parametrize("unit", ["s", "ms", "us", "ns"])
def test_arrow_timestamps_give_the_same_kpis(unit: str) -> None:
    """Regression: Arrow-backed timestamps were refused ('must be datetime64') or crashed."""
    plain = _tickets()
    arrow = _arrow(plain, DATE_COLUMNS, unit)
    before = arrow.copy()
    events = pd.DataFrame(
        {"ticket_id": ["t0", "t2", "t2", "t3", "t5"], "event": ["agent_reply"] * 5}
    )
    for fn in (
        lambda t: duration_quantiles(t, as_of=AS_OF).to_dict(),
        lambda t: backlog(t, as_of=AS_OF).to_dict(),
        lambda t: followup_completion(t, as_of=AS_OF),
        lambda t: repeat_complaint_rate(t, as_of=AS_OF),
        lambda t: first_contact_resolution(t, events, as_of=AS_OF),
        lambda t: first_contact_resolution(t, definition="no_recontact_within", as_of=AS_OF),
    ):
        assert fn(arrow) == fn(plain)
    pd.testing.assert_frame_equal(arrow, before)  # the caller's frame is untouched


def test_arrow_dates_in_metric_table() -> None:
    """Regression: metric_table raised AttributeError on Arrow dates; now equal results."""
    df = pd.DataFrame(
        {
            "date": pd.to_datetime(["2025-01-03", "2025-01-20", "2025-02-02"]).tz_localize("UTC"),
            "nps": [10, 6, 9],
        }
    )
    arrow = _arrow(df, ["date"])
    pd.testing.assert_frame_equal(metric_table(arrow, min_n=1), metric_table(df, min_n=1))


def test_metric_table_dates_read_with_a_stated_format_or_unit() -> None:
    """date_format= and date_unit= reach the one date reader; unstated numbers are refused."""
    df = pd.DataFrame({"date": pd.to_datetime(["2025-01-03", "2025-02-02"]), "nps": [10, 6]})
    text = df.assign(date=["03/01/2025", "02/02/2025"])
    epoch = df.assign(date=(df["date"] - pd.Timestamp(0)) // pd.Timedelta(seconds=1))
    expected = metric_table(df, min_n=1)
    pd.testing.assert_frame_equal(metric_table(text, min_n=1, date_format="%d/%m/%Y"), expected)
    pd.testing.assert_frame_equal(metric_table(epoch, min_n=1, date_unit="s"), expected)
    with pytest.raises(SchemaError, match="date"):
        metric_table(epoch, min_n=1)


def test_kpi_dates_read_with_a_stated_unit() -> None:
    """Epoch-second columns work with date_unit='s' and give the datetime results."""
    plain = _tickets()
    secs = plain.copy()
    for c in ("created_at", "resolved_at"):
        secs[c] = (plain[c].dt.tz_convert("UTC").dt.tz_localize(None) - pd.Timestamp(0)) // (
            pd.Timedelta(seconds=1)
        )
        secs[c] = secs[c].astype("Int64")
    as_of = AS_OF.tz_convert("UTC").tz_localize(None)
    a = backlog(secs, as_of=as_of, date_unit="s")
    b = backlog(
        plain.assign(
            created_at=plain["created_at"].dt.tz_convert("UTC").dt.tz_localize(None),
            resolved_at=plain["resolved_at"].dt.tz_convert("UTC").dt.tz_localize(None),
        ),
        as_of=as_of,
    )
    pd.testing.assert_frame_equal(a, b)


def test_metric_table_names_index_labels_not_positions() -> None:
    """Regression: 'rows [2]' named a position; the message names the label 103."""
    df = pd.DataFrame(
        {"nps": [9, 10, 42, 3], "date": pd.to_datetime(["2025-01-01"] * 4)},
        index=[101, 102, 103, 104],
    )
    with pytest.raises(InvalidInputError, match=r"rows \[103\]"):
        metric_table(df)
    weighted = df.assign(nps=[9, 10, 8, 3], w=[1.0, -2.0, 1.0, 1.0])
    with pytest.raises(InvalidInputError, match=r"'w'.*rows \[102\]"):
        metric_table(weighted, weights="w")
    missing_date = df.assign(nps=[9, 10, 8, 3], date=pd.to_datetime(["2025-01-01", None] * 2))
    with pytest.raises(InvalidInputError, match=r"102, 104"):
        metric_table(missing_date)


def test_metric_table_non_unique_index_is_fine() -> None:
    """Rows are paired by position within one frame: a repeated label changes nothing."""
    df = pd.DataFrame(
        {"nps": [9, 10, 3], "w": [1.0, 2.0, 1.0], "date": pd.to_datetime(["2025-01-01"] * 3)},
        index=[7, 7, 8],
    )
    pd.testing.assert_frame_equal(
        metric_table(df, weights="w", min_n=1),
        metric_table(df.reset_index(drop=True), weights="w", min_n=1),
    )


def test_repeat_complaints_without_a_customer_id_are_counted_exclusions() -> None:
    """Regression: a None customer id silently changed n; now n is that of the known
    customers and the exclusion is counted and explained."""
    c = pd.DataFrame(
        {
            "customer_id": [1, 1, 2, None, 3],
            "created_at": pd.to_datetime(
                ["2025-01-01", "2025-01-20", "2025-01-05", "2025-01-06", "2025-03-01"]
            ),
        }
    )
    r = repeat_complaint_rate(c)
    known = repeat_complaint_rate(c.dropna())
    assert (r.successes, r.n) == (known.successes, known.n) == (1, 3)
    assert r.n_excluded == known.n_excluded + 1
    assert r.reason is not None
    assert "1 complaints without a customer id excluded" in r.reason


def test_fcr_recontact_without_a_customer_id_is_a_counted_exclusion() -> None:
    """Regression: FCR 'no_recontact_within' changed n with a None customer id."""
    t = _tickets()
    anonymous = t.assign(customer_id=["a", "b", None, "c", "b", "a"])
    r = first_contact_resolution(anonymous, definition="no_recontact_within", as_of=AS_OF)
    full = first_contact_resolution(t, definition="no_recontact_within", as_of=AS_OF)
    assert r.n == full.n - 1
    assert r.n_excluded == full.n_excluded + 1
    assert r.reason is not None
    assert "without a customer id" in r.reason


def test_missing_reopened_flag_is_not_read_as_not_reopened() -> None:
    """Regression: NA in 'reopened' counted as 'not reopened'; now an error naming the row."""
    t = pd.DataFrame(
        {
            "reopened": pd.array([True, None, False, None], dtype="boolean"),
            "resolved_at": pd.to_datetime(["2025-01-02", "2025-01-02", "2025-01-03", None]),
        },
        index=["a", "b", "c", "d"],
    )
    with pytest.raises(InvalidInputError, match=r"'reopened'.*rows \['b'\]"):
        reopen_rate(t)
    # An open ticket (not in the denominator) may leave the flag unknown.
    assert reopen_rate(t.drop(index="b")).n == 2


def test_fcr_over_an_empty_events_frame_is_refused() -> None:
    """Regression: no events at all gave 100 % one-touch FCR."""
    empty = pd.DataFrame({"ticket_id": pd.Series([], dtype=str), "event": pd.Series([], dtype=str)})
    with pytest.raises(InvalidInputError, match=r"'events'.*empty frame"):
        first_contact_resolution(_tickets(), empty)
    with pytest.raises(InvalidInputError, match="'events'"):
        first_contact_resolution(_tickets(), empty, definition="no_customer_followup")


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_nps_sample_size_non_finite_shares_are_config_errors(bad: float) -> None:
    """Regression: promoters=nan raised a bare ValueError from math.ceil."""
    with pytest.raises(ConfigError, match="promoters, detractors"):
        nps_sample_size(promoters=bad, detractors=0.2, margin=5)
    with pytest.raises(ConfigError, match="promoters_b, detractors_b"):
        nps_sample_size(promoters=0.5, detractors=0.2, difference=5, detractors_b=bad)


def test_duration_subtract_must_be_seconds() -> None:
    """Regression: subtract='channel' (text) raised a bare ValueError."""
    t = _tickets().assign(channel=["a", "b", "c", "d", "e", "f"], wait=[0, 60.0, np.inf, 0, 0, 0])
    with pytest.raises(SchemaError, match="'channel' must be numbers of seconds"):
        duration_quantiles(t, as_of=AS_OF, subtract="channel")
    with pytest.raises(InvalidInputError, match=r"'wait'.*rows \[103\]"):
        duration_quantiles(t, as_of=AS_OF, subtract="wait")
    ok = t.assign(wait=[0, 60.0, None, 0, 0, 0])  # missing = no pause
    assert duration_quantiles(ok, as_of=AS_OF, subtract="wait").n == 6


def test_events_constant_is_exported() -> None:
    """Regression: crmkit.service.EVENTS was documented but raised AttributeError."""
    from crmkit.service._sla import EVENTS as ENGINE

    assert tuple(EVENTS) == ENGINE
    assert "agent_reply" in EVENTS


@settings(max_examples=examples(30), deadline=None)
@given(survey_frames(max_rows=40), st.sampled_from(["nps", "csat", "ces_mean"]))
def test_arrow_dates_equal_plain_dates_property(frame: pd.DataFrame, metric: str) -> None:
    """Any survey frame gives the same table with Arrow-backed dates (any row order)."""
    arrow = _arrow(frame, ["date"], "ms")
    expected = metric_table(frame, metric, by="segment", weights="weight", min_n=2)
    pd.testing.assert_frame_equal(
        metric_table(arrow, metric, by="segment", weights="weight", min_n=2), expected
    )
    shuffled = arrow.sample(frac=1.0, random_state=1)
    pd.testing.assert_frame_equal(
        metric_table(shuffled, metric, by="segment", weights="weight", min_n=2), expected
    )


def test_csat_on_another_scale_needs_its_satisfied_answers() -> None:
    """Regression: csat(scale=(1, 7)) counted 4-5 as satisfied and 6-7 as not (28.6)."""
    from crmkit.service import csat

    with pytest.raises(ConfigError, match="stated for the scale") as info:
        csat([7, 7, 6, 6, 5, 4, 1], scale=(1, 7))
    assert info.value.field == "positive"
    assert csat([7, 7, 6, 6, 5, 4, 1], scale=(1, 7), positive={6, 7}).value == pytest.approx(
        400 / 7
    )
    assert csat([10, 9, 9, 8, 4, 5], scale=(0, 10), positive={9, 10}).value == 50.0
    assert csat([5, 4, 3]).value == csat([5, 4, 3], scale=(1, 5), positive={4, 5}).value


@pytest.mark.parametrize(
    ("values", "found"),
    [
        ({"detractors": 1.0, "passives": 1.0}, "a mapping"),
        ([float("nan"), 50, 50], "the first nan at position 0"),
        ([None, 50], "the first None at position 0"),
        ([True, 99], "the first True at position 0"),
        (50.0, "found float"),
        ("50", "found str"),
    ],
)
def test_round_shares_refuses_what_is_not_shares(values: object, found: str) -> None:
    """Regression: these raised ValueError, decimal.InvalidOperation or TypeError."""
    from crmkit.errors import InvalidInputError
    from crmkit.service import round_shares

    with pytest.raises(InvalidInputError, match="'values' must be") as info:
        round_shares(values)  # type: ignore[arg-type]
    assert found in str(info.value)
    assert round_shares(v for v in [100 / 3] * 3) == round_shares([100 / 3] * 3)
