"""A whole Excel day number is a date alone where an instant is required.

Regression (session review): with ``date_unit="excel"``, a whole serial such as 45930
(2025-09-30) was read as that day's midnight in the columns that refuse a date alone (an
SLA event ``time``; ``replay_many``'s ``expires_at`` and ``until``), while the same day
written as text, ``"2025-09-30"``, was refused there. Excel stores a date, and a date and
time at exactly midnight, as the same whole number, so a whole serial reads two ways: it
is refused now like the text form (same error, column and rows), with a hint that says
how to state the time (in Excel, or with pandas, passing datetimes). A fraction is a time
of day (45930.5 is 2025-09-30 12:00) and is read as before; epoch numbers
(``date_unit="s"``, ``"ms"``) are instants whatever their value; columns where a day is
fine (transaction dates in segmentation) read a whole serial as that day, as before.

Reference values: Excel's DATEVALUE("2025-09-30") = 45930 and DATEVALUE("2023-05-01") =
45047, DATEVALUE("2023-07-30") = 45137 (days since 1899-12-30); TIME(9,0,0) = 0.375.
"""

from __future__ import annotations

import datetime as dt
import pathlib
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from crmkit._validate import (
    datetime_column,
    excel_day,
    excel_whole_days,
    exists_once,
    whole_day_mask,
)
from crmkit.errors import InvalidInputError
from crmkit.loyalty import Adjust, replay_many
from crmkit.segmentation import summarize
from crmkit.service import evaluate_sla
from tests.loyalty.test_end_instants import _credits, _grants
from tests.loyalty.test_status_challenge import NY, _hilton, _ny
from tests.service._desks import one_target
from tests.strategies import examples

POLICY = one_target("resolution", "24h", "calendar")
TICKETS = pd.DataFrame({"ticket_id": ["T1"]})
#: 2025-09-30 09:00 and 2025-10-01 06:00 as Excel day numbers, and 2025-10-01 alone.
_CREATED, _SOLVED, _DAY = 45930.375, 45931.25, 45931


def _events(times: list[Any], dtype: Any = None) -> pd.DataFrame:
    """One ticket's events: created, then solved at each later time."""
    return pd.DataFrame(
        {
            "ticket_id": "T1",
            "time": pd.Series(times, dtype=dtype, index=["a", "b"][: len(times)]),
            "event": ["created", *["solved"] * (len(times) - 1)],
        },
        index=["a", "b"][: len(times)],
    )


# ----------------------------------------------------------------------------- SLA batch


@pytest.mark.parametrize("dtype", ["float64", "Float64", object, str])
def test_sla_refuses_a_whole_serial_as_it_refuses_the_day_as_text(dtype: Any) -> None:
    """Hand-checked: created 45930.375 (30 Sept 09:00), solved 45931 (1 Oct, no time of
    day): refused at row 'b' with the error the text '2025-10-01' gets (same field,
    expectation, rows and count); the message shows the value and its day, and the hint
    says how to state a time: in Excel, or converted with pandas as datetimes."""
    times: list[Any] = [_CREATED, _DAY]
    if dtype is str:
        times = [str(t) for t in times]
    with pytest.raises(InvalidInputError) as caught:
        evaluate_sla(_events(times, dtype), TICKETS, POLICY, as_of="2025-10-02", date_unit="excel")
    err = caught.value
    with pytest.raises(InvalidInputError) as as_text:
        evaluate_sla(
            _events(["2025-09-30 09:00", "2025-10-01"]), TICKETS, POLICY, as_of="2025-10-02"
        )
    same = ("field", "expected", "rows", "total", "owner")
    assert [getattr(err, k) for k in same] == [getattr(as_text.value, k) for k in same]
    assert (err.field, list(err.rows), err.total) == ("time", ["b"], 1)
    assert "1 date without a time of day, such as '45931" in err.found
    assert "(the Excel day number of 2025-10-01)" in err.found
    assert "give the time of day, e.g. '2025-10-01 09:30' in Excel" in err.hint
    assert "a whole day number" in err.hint
    assert "pd.to_datetime(events['time'], unit='D', origin='1899-12-30')" in err.hint


def test_sla_refuses_an_all_whole_integer_column_naming_every_row() -> None:
    """An int64 column of whole serials: every row is a date alone, counted."""
    with pytest.raises(InvalidInputError, match="2 dates without a time of day") as caught:
        evaluate_sla(_events([45930, _DAY]), TICKETS, POLICY, as_of="2025-10-02", date_unit="excel")
    assert (list(caught.value.rows), caught.value.total) == (["a", "b"], 2)


@pytest.mark.parametrize("dtype", ["float64", object, str])
def test_sla_reads_fractional_serials_as_before(dtype: Any) -> None:
    """Hand-checked: 45930.375 to 45931.25 is 30 Sept 09:00 to 1 Oct 06:00 (Shanghai): 21 h,
    met, as the same times written as text."""
    times: list[Any] = [_CREATED, _SOLVED]
    if dtype is str:
        times = [str(t) for t in times]
    out = evaluate_sla(
        _events(times, dtype), TICKETS, POLICY, as_of="2025-10-02", date_unit="excel"
    )
    row = out.loc[("T1", "resolution")]
    assert (row["state"], row["elapsed"]) == ("met", pd.Timedelta(hours=21))
    text = evaluate_sla(
        _events(["2025-09-30 09:00", "2025-10-01 06:00"]), TICKETS, POLICY, as_of="2025-10-02"
    )
    assert row.equals(text.loc[("T1", "resolution")])


def test_the_hinted_conversion_states_midnight_and_is_read() -> None:
    """The hint's pandas conversion gives datetimes: a solution at 1 Oct 00:00 is then
    that instant (15 h after 09:00), met."""
    events = _events([_CREATED, _DAY])
    events["time"] = pd.to_datetime(events["time"], unit="D", origin="1899-12-30").dt.round("ms")
    out = evaluate_sla(events, TICKETS, POLICY, as_of="2025-10-02", date_unit="excel")
    assert out.loc[("T1", "resolution"), "elapsed"] == pd.Timedelta(hours=15)


@pytest.mark.parametrize(("unit", "per"), [("s", 1), ("ms", 1000)])
def test_epoch_numbers_at_midnight_stay_instants(unit: str, per: int) -> None:
    """An epoch number is an instant, even at a UTC midnight: 1759276800 s is 2025-10-01
    00:00 UTC (08:00 in Shanghai), read, 23 h after 2025-09-30 09:00 Shanghai (01:00 UTC)."""
    assert dt.datetime(2025, 10, 1, tzinfo=dt.UTC).timestamp() == 1_759_276_800
    times = [1_759_194_000 * per, 1_759_276_800 * per]
    assert whole_day_mask(pd.Series(times), None, unit).tolist() == [False, False]
    out = evaluate_sla(_events(times), TICKETS, POLICY, as_of="2025-10-02", date_unit=unit)
    assert out.loc[("T1", "resolution"), "elapsed"] == pd.Timedelta(hours=23)


# ------------------------------------------------------------------------- replay_many ends


@pytest.mark.parametrize("dtype", ["int64", "float64", object, str])
@pytest.mark.parametrize("column", ["expires_at", "until"])
def test_replay_many_refuses_a_whole_serial_end(column: str, dtype: Any) -> None:
    """Hand-checked: an end of 45137 (2023-07-30, no time of day) after a credit or grant
    at 45047.375 (2023-05-01 09:00) is refused like '2023-07-30' (same field, rows,
    count); the hint spells both readings as pandas conversions, since both are a
    midnight, which Excel would store as a whole number again."""
    frame = _credits([0]) if column == "expires_at" else _grants([0])
    value: Any = "45137" if dtype is str else 45137
    frame[column] = pd.Series([value], index=frame.index, dtype=None if dtype is str else dtype)
    frame["time"] = [45047.375]
    with pytest.raises(InvalidInputError) as caught:
        replay_many(frame, _hilton(), as_of="2023-06-01", date_unit="excel")
    err = caught.value
    text = frame.assign(**{column: ["2023-07-30"], "time": ["2023-05-01 09:00"]})
    with pytest.raises(InvalidInputError) as as_text:
        replay_many(text, _hilton(), as_of="2023-06-01")
    same = ("field", "expected", "rows", "total", "owner")
    assert [getattr(err, k) for k in same] == [getattr(as_text.value, k) for k in same]
    assert (err.field, list(err.rows)) == (column, ["r0"])
    assert "such as '45137" in err.found
    assert "(the Excel day number of 2023-07-30)" in err.found
    convert = f"pd.to_datetime(events[{column!r}], unit='D', origin='1899-12-30')"
    assert f"{convert}.dt.round('ms') + pd.Timedelta(days=1) for " in err.hint
    assert "through 30 July 2023 (the first instant without" in err.hint
    assert "as 30 July 2023 begins" in err.hint


def test_replay_many_reads_a_fractional_end_and_the_hinted_conversion() -> None:
    """Hand-checked: ``expires_at`` 45137.5 is 2023-07-30 12:00 New York: 100 points
    available until then, none at it; the hint's conversion of 45137 plus one day is
    2023-07-31 00:00 (points usable through 30 July), as the Python API's Adjust."""
    program = _hilton()
    frame = _credits([45137.5]).assign(time=[45047.375])
    noon = _ny(2023, 7, 30, 12)
    row = replay_many(frame, program, as_of="2023-06-01", date_unit="excel").loc["m"]
    assert (row["available"], row["next_expiry"]) == (100, noon)
    assert replay_many(frame, program, as_of=noon, date_unit="excel").loc["m", "available"] == 0
    stated = _credits([45137]).assign(time=[45047.375])
    stated["expires_at"] = pd.to_datetime(
        stated["expires_at"], unit="D", origin="1899-12-30"
    ).dt.round("ms") + pd.Timedelta(days=1)
    end = _ny(2023, 7, 31)
    credit = Adjust("a0", _ny(2023, 5, 1, 9), points=100, reason="goodwill", expires_at=end)
    for as_of in ("2023-07-30", end):
        row = replay_many(stated, program, as_of=as_of, date_unit="excel").loc["m"]
        assert row["available"] == program.replay([credit], as_of=as_of).available


def test_replay_many_epoch_ends_at_midnight_stay_instants() -> None:
    """``expires_at`` 1690776000 s (2023-07-31 00:00 New York) is an instant: read."""
    frame = _credits([1_690_776_000]).assign(time=[int(_ny(2023, 5, 1, 9).timestamp())])
    row = replay_many(frame, _hilton(), as_of="2023-06-01", date_unit="s").loc["m"]
    assert row["next_expiry"] == _ny(2023, 7, 31)


# ------------------------------------------------------------------ days where days are fine


@pytest.mark.parametrize("dtype", ["int64", "float64", str])
def test_segmentation_reads_whole_serials_as_days_as_before(dtype: Any) -> None:
    """Transaction dates are days: 45930 and 45931 are 30 Sept and 1 Oct 2025; recency at
    as_of 2025-10-05 is 5 and 4 days, as with the dates written as text."""
    dates: list[Any] = [45930, 45931]
    frame = pd.DataFrame(
        {
            "customer_id": ["a", "b"],
            "date": pd.Series([str(d) for d in dates] if dtype is str else dates, dtype=dtype),
            "amount": [10.0, 20.0],
        }
    )
    out = summarize(frame, as_of="2025-10-05", date_unit="excel")
    text = summarize(frame.assign(date=["2025-09-30", "2025-10-01"]), as_of="2025-10-05")
    # The same values; the date columns keep the reader's unit (ms for Excel numbers).
    pd.testing.assert_frame_equal(out, text, check_dtype=False)
    assert out["recency_days"].tolist() == [5, 4]
    assert out["last_purchase"].tolist() == [pd.Timestamp("2025-09-30"), pd.Timestamp("2025-10-01")]


# ---------------------------------------------------------------------------- the mask


@pytest.mark.parametrize(
    "values",
    [
        pd.Series([45930, 45930.5, 45930.0000000001, 45930.9999999999]),
        pd.Series([45930, 45930.5, 45930.0000000001, 45930.9999999999], dtype=object),
        pd.Series(["45930", " 45930.5 ", "45930.0000000001", "45930.9999999999"]),
        pd.Series([Decimal(45930), Decimal("45930.5"), Decimal("45930.0000000001"),
                   Decimal("45930.9999999999")], dtype=object),
        pd.Series(pd.Categorical([45930, 45930.5, 45930.0000000001, 45930.9999999999])),
    ],
    ids=["float64", "object", "text", "decimal", "categorical"],
)  # fmt: skip
def test_whole_means_midnight_after_the_readers_rounding(values: pd.Series) -> None:
    """Whole is judged as the reader rounds (to the millisecond): noise around a midnight
    reads as that midnight, so it is a date alone too; noon is not."""
    assert whole_day_mask(values, None, "excel").tolist() == [True, False, True, True]
    assert whole_day_mask(values, None).tolist() == [False] * 4
    read = datetime_column(pd.DataFrame({"d": values}), "d", "f()", date_unit="excel")
    assert (read.dt.normalize() == read).tolist() == [True, False, True, True]


def test_excel_day_names_the_day_of_a_serial() -> None:
    """Reference values: 45930 is 2025-09-30; 45930.9999999999 rounds to 1 October."""
    assert excel_day(45930) == excel_day("45930") == dt.date(2025, 9, 30)
    assert excel_day(np.float64(45930.9999999999)) == dt.date(2025, 10, 1)


# ---------------------------------------------------------------------------- properties

_MS_PER_DAY = 86_400_000
_SERIAL_1970 = 25_569


@settings(max_examples=examples(200), deadline=None)
@given(
    day=st.integers(61, 132_218),
    ms=st.integers(1, _MS_PER_DAY - 1),
)
def test_a_fractional_serial_is_an_instant_equal_to_what_it_encodes(day: int, ms: int) -> None:
    """For any serial with a nonzero time of day (to the millisecond, Excel's precision):
    not a date alone, and read as exactly the datetime it encodes; its whole day is a
    date alone."""
    serial = day + ms / _MS_PER_DAY
    wall = dt.datetime(1899, 12, 30) + dt.timedelta(days=day, milliseconds=ms)
    values = pd.Series([serial, float(day)])
    assert whole_day_mask(values, None, "excel").tolist() == [False, True]
    assert excel_whole_days(values.astype(str)).tolist() == [False, True]
    read = datetime_column(pd.DataFrame({"t": values}), "t", "f()", date_unit="excel")
    assert read.iloc[0] == pd.Timestamp(wall)
    assert read.iloc[1] == pd.Timestamp(wall.date())
    assert (day - _SERIAL_1970) * _MS_PER_DAY + ms == read.iloc[0].value // 1_000_000


@settings(max_examples=examples(30), deadline=None)
@given(
    days=st.integers(1, 400),
    ms=st.integers(1, _MS_PER_DAY - 1),
)
def test_replay_many_accepts_any_fractional_end_as_the_instant(days: int, ms: int) -> None:
    """``expires_at`` = 45047.375 + days + a nonzero time of day: accepted, and the credit
    expires exactly at the wall-clock instant it encodes (New York), as the Python API."""
    day = 45047 + days
    wall = dt.datetime(1899, 12, 30) + dt.timedelta(days=day, milliseconds=ms)
    assume(exists_once(wall, NY))  # not a wall time a DST change skips or repeats
    frame = _credits([day + ms / _MS_PER_DAY]).assign(time=[45047.375])
    row = replay_many(frame, _hilton(), as_of="2023-05-01", date_unit="excel").loc["m"]
    assert row["next_expiry"] == wall.replace(tzinfo=NY)


def test_the_sla_command_refuses_a_whole_excel_day_as_the_api_does(
    tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``crmkit sla --date-unit excel`` checked whole days before converting, but without
    the unit, so 45931 (2025-10-01, a day) was read as midnight; it is refused now, as
    ``evaluate_sla`` refuses it. Excel serials of the local wall time, as Excel keeps them;
    fractional serials are read."""
    import json

    from crmkit import datasets
    from crmkit.cli import main
    from crmkit.service._cli import demo_policies

    def serials(times: pd.Series) -> pd.Series:
        return (times.dt.tz_localize(None) - pd.Timestamp("1899-12-30")) / pd.Timedelta(days=1)

    tickets = datasets.tickets(n_tickets=5, seed=11)
    events = datasets.ticket_events(tickets)
    for name in ("created_at", "first_reply_at", "resolved_at", "followed_up_at", "on_site_at"):
        tickets[name] = serials(tickets[name])
    events["time"] = serials(events["time"])
    paths = {name: tmp_path / f"{name}.csv" for name in ("tickets", "events", "bad")}
    tickets.to_csv(paths["tickets"], index=False)
    events.to_csv(paths["events"], index=False)
    policy = tmp_path / "policy.json"
    policy.write_text(json.dumps(demo_policies().to_dict()))
    argv = ["sla", str(paths["tickets"]), "--date-unit", "excel", "--policy", str(policy)]
    argv += ["--as-of", "2025-12-31", "-o", str(tmp_path / "out.csv")]
    assert main([*argv, "--events", str(paths["events"])]) == 0
    events.loc[events.index[1], "time"] = 45931.0  # a whole day
    events.to_csv(paths["bad"], index=False)
    capsys.readouterr()
    assert main([*argv, "--events", str(paths["bad"])]) == 2
    err = capsys.readouterr().err
    assert "'time'" in err
    assert "45931" in err
