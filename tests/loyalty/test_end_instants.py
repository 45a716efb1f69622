"""End instants in a ``replay_many`` table are instants: a date alone is refused.

``until`` (a tier grant's end) and ``expires_at`` (a credit's expiry) hold the first
instant without the grant or the points. A date without a time of day reads two ways as
an end: "valid through 2023-07-30" (the end 2023-07-31 00:00) or the date's own midnight
(the end 2023-07-30 00:00, as a tier's ``valid_until``), while ``as_of="2023-07-30"``
means the end of that day. So every spelling of a date alone is refused, naming the
column and the rows, with a hint spelling both readings; instants (text with a time of
day, datetimes, datetime64 columns, epoch numbers) are read as they are and equal the
Python API's :class:`~crmkit.loyalty.TierGrant` / :class:`~crmkit.loyalty.Adjust` with
aware datetimes.
"""

from __future__ import annotations

import datetime as dt
import io
import json
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crmkit.cli import main
from crmkit.errors import InvalidInputError, SchemaError
from crmkit.loyalty import Adjust, TierGrant, replay_many
from tests.loyalty.test_status_challenge import NY, _hilton, _ny
from tests.strategies import examples

#: The grant and the credit of these tests: from 1 May 2023 09:00 (New York).
_START = "2023-05-01 09:00"


def _grants(until: list[Any], **columns: Any) -> pd.DataFrame:
    """One member's tier grants of Gold from 1 May 2023 09:00, one per ``until`` value."""
    n = len(until)
    return pd.DataFrame(
        {
            "member_id": ["m"] * n,
            "event_id": [f"g{i}" for i in range(n)],
            "time": [_START] * n,
            "kind": ["tier_grant"] * n,
            "tier": ["gold"] * n,
            "until": until,
            "reason": ["status_match"] * n,
            **columns,
        },
        index=[f"r{i}" for i in range(n)],
    )


def _credits(expires_at: list[Any], **columns: Any) -> pd.DataFrame:
    """One member's credits of 100 points on 1 May 2023 09:00, one per ``expires_at``."""
    n = len(expires_at)
    return pd.DataFrame(
        {
            "member_id": ["m"] * n,
            "event_id": [f"a{i}" for i in range(n)],
            "time": [_START] * n,
            "kind": ["adjust"] * n,
            "points": [100] * n,
            "reason": ["goodwill"] * n,
            "expires_at": expires_at,
            **columns,
        },
        index=[f"r{i}" for i in range(n)],
    )


#: Every spelling of a date alone the column reader takes: (values, replay_many options,
#: the first refused value as the message shows it, the labels of the refused rows).
_DATES: dict[str, tuple[Any, dict[str, Any], str, list[str]]] = {
    "ISO text": (["2023-07-30"], {}, "'2023-07-30'", ["r0"]),
    "ISO basic text among instants": (
        ["2023-07-31 00:00", "20230730", "2023-08-01 00:00", "20230801"], {}, "'20230730'",
        ["r1", "r3"],
    ),
    "year first with slashes": (["2023/7/30"], {}, "'2023/7/30'", ["r0"]),
    "padded text": (["  2023-07-30 "], {}, "'2023-07-30'", ["r0"]),
    "year first with dots": (["2023.07.30"], {}, "'2023.07.30'", ["r0"]),
    "datetime.date": ([dt.date(2023, 7, 30)], {}, "'2023-07-30'", ["r0"]),
    "datetime.date beside a date_format": (
        [dt.date(2023, 7, 30)],
        {"date_format": "%d/%m/%Y %H:%M", "time": ["01/05/2023 09:00"]},
        "'2023-07-30'",
        ["r0"],
    ),
    "numpy datetime64 in days": (
        pd.Series([np.datetime64("2023-07-30", "D")], dtype=object, index=["r0"]),
        {},
        "'2023-07-30'",
        ["r0"],
    ),
    "string dtype": (pd.array(["2023-07-30"], dtype="string"), {}, "'2023-07-30'", ["r0"]),
    "categorical": (pd.Categorical(["2023-07-30"]), {}, "'2023-07-30'", ["r0"]),
    "integer dates": (
        [20230730], {"date_format": "%Y%m%d", "time": [20230501]}, "'20230730'", ["r0"]
    ),
    "day first dates": (
        ["30/07/2023"], {"date_format": "%d/%m/%Y", "time": ["01/05/2023"]}, "'30/07/2023'",
        ["r0"],
    ),
}  # fmt: skip


@pytest.mark.parametrize("spelling", list(_DATES))
@pytest.mark.parametrize("column", ["until", "expires_at"])
def test_a_date_alone_in_an_end_column_is_refused(spelling: str, column: str) -> None:
    """Each spelling of a date alone in ``until`` (tier_grant rows) or ``expires_at``
    (credits) is an InvalidInputError naming the column, the rows' labels and how many;
    the hint spells both readings of the first: 2023-07-31 00:00 (through 30 July, the
    first instant without) or 2023-07-30 00:00 (ending as 30 July begins)."""
    values, options, shown, rows = _DATES[spelling]
    options = dict(options)
    time = options.pop("time", None)
    n = len(values)
    frame = _grants(list(values)) if column == "until" else _credits(list(values))
    frame[column] = pd.Series(values, index=frame.index)
    if time is not None:
        frame["time"] = time * n
    with pytest.raises(InvalidInputError) as caught:
        replay_many(frame, _hilton(), as_of="2023-06-01", **options)
    err = caught.value
    assert (err.field, list(err.rows), err.total) == (column, rows, len(rows))
    assert f"such as {shown}" in err.found
    written = "31/07/2023 00:00" if spelling == "day first dates" else "2023-07-31 00:00"
    before = written.replace("31/07", "30/07").replace("07-31", "07-30")
    if spelling == "integer dates":
        written, before = "20230731 00:00", "20230730 00:00"
    through = "a grant through" if column == "until" else "points usable through"
    assert f"write {written} for {through} 30 July 2023" in err.hint
    assert f"or {before} for " in err.hint
    assert "as 30 July 2023 begins" in err.hint


@pytest.mark.parametrize("column", ["until", "expires_at"])
def test_arrow_dates_are_refused_and_arrow_timestamps_read(column: str) -> None:
    """An Arrow date column (``read_parquet`` of a date type) holds days: refused. An
    Arrow timestamp column of the same midnights holds instants: read as they are."""
    pa = pytest.importorskip("pyarrow")
    frame = _grants(["x"]) if column == "until" else _credits(["x"])
    frame[column] = pd.array([dt.date(2023, 7, 30)], dtype=pd.ArrowDtype(pa.date32()))
    with pytest.raises(InvalidInputError) as caught:
        replay_many(frame, _hilton(), as_of="2023-06-01")
    assert (caught.value.field, list(caught.value.rows)) == (column, ["r0"])
    assert "write 2023-07-31 00:00 " in caught.value.hint
    frame[column] = pd.array([dt.datetime(2023, 7, 31)], dtype=pd.ArrowDtype(pa.timestamp("us")))
    row = replay_many(frame, _hilton(), as_of="2023-07-30").loc["m"]
    assert (row["tier"] if column == "until" else row["available"]) in ("gold", 100)


def test_the_message_names_the_rows_and_counts_them_all() -> None:
    """Seven dates alone among instants: the first five labels are named and the total is
    7; the hint reads the first refused value. A month alone is no date at all: the date
    reader refuses it first, naming the row and what to write."""
    values = ["2023-07-31 00:00"] + [f"2023-08-0{d}" for d in range(1, 8)]
    frame = _grants(values)
    with pytest.raises(InvalidInputError) as caught:
        replay_many(frame, _hilton(), as_of="2023-06-01")
    assert (list(caught.value.rows), caught.value.total) == (["r1", "r2", "r3", "r4", "r5"], 7)
    assert "write 2023-08-02 00:00 for a grant through 1 August 2023" in caught.value.hint
    assert "(first 5 of 7)" in str(caught.value)
    with pytest.raises(SchemaError) as refused:
        replay_many(_grants(["2023-07"]), _hilton(), as_of="2023-06-01")
    assert (refused.value.field, list(refused.value.rows)) == ("until", ["r0"])
    assert "a part of a date (a month, a year)" in refused.value.hint


def test_a_misplaced_date_alone_is_refused_too() -> None:
    """A date alone in ``until`` on a purchase row is refused (by either rule: the row is
    named)."""
    frame = pd.concat(
        [
            _grants(["2023-07-31 00:00"]),
            pd.DataFrame(
                {
                    "member_id": ["m"],
                    "event_id": ["p"],
                    "time": ["2023-05-02 10:00"],
                    "kind": ["purchase"],
                    "amount": ["10"],
                    "until": ["2023-07-30"],
                },
                index=["r9"],
            ),
        ]
    )
    with pytest.raises(InvalidInputError) as caught:
        replay_many(frame, _hilton(), as_of="2023-06-01")
    assert (caught.value.field, list(caught.value.rows)) == ("until", ["r9"])


#: Spellings of the instant 2023-07-31 00:00 in New York: (values, options).
_INSTANTS: dict[str, tuple[Any, dict[str, Any]]] = {
    "text with a time": (["2023-07-31 00:00"], {}),
    "text with seconds and T": (["2023-07-31T00:00:00"], {}),
    "text with an offset": (["2023-07-31T00:00:00-04:00"], {}),
    "text with another zone's offset": (["2023-07-31T12:00:00+08:00"], {}),
    "naive datetime": ([dt.datetime(2023, 7, 31)], {}),
    "aware datetime": ([_ny(2023, 7, 31)], {}),
    "Timestamp": ([pd.Timestamp("2023-07-31")], {}),
    "datetime64[ns] column": (pd.to_datetime(["2023-07-31"]).as_unit("ns"), {}),
    "aware datetime64 column": (
        pd.to_datetime(["2023-07-31 04:00"]).tz_localize("UTC"), {}
    ),
    "epoch seconds": (
        [int(_ny(2023, 7, 31).timestamp())],
        {"date_unit": "s", "time": [int(_ny(2023, 5, 1, 9).timestamp())]},
    ),
    "day first with a time": (
        ["31/07/2023 00:00"], {"date_format": "%d/%m/%Y %H:%M", "time": ["01/05/2023 09:00"]}
    ),
}  # fmt: skip


@pytest.mark.parametrize("spelling", list(_INSTANTS))
def test_end_instants_equal_the_python_api(spelling: str) -> None:
    """Each spelling of 2023-07-31 00:00 New York time is read as that instant: the grant
    (``until``) and the credit (``expires_at``) replay as ``Program.replay`` of a
    TierGrant / Adjust with the aware datetime, at the last nanosecond before and at it
    (as_of "2023-07-30", the end of that day, still has them; 2023-07-31 00:00 has not)."""
    values, options = _INSTANTS[spelling]
    options = dict(options)
    time = options.pop("time", None)
    program = _hilton()
    end = _ny(2023, 7, 31)
    grant = TierGrant("g0", _ny(2023, 5, 1, 9), tier="gold", until=end, reason="status_match")
    credit = Adjust("a0", _ny(2023, 5, 1, 9), points=100, reason="goodwill", expires_at=end)
    grants, credits = _grants(list(values)), _credits(list(values))
    grants["until"] = pd.Series(values, index=grants.index)
    credits["expires_at"] = pd.Series(values, index=credits.index)
    if time is not None:
        grants["time"] = credits["time"] = time
    for as_of, tier, points in (("2023-07-30", "gold", 100), (end, "member", 0)):
        row = replay_many(grants, program, as_of=as_of, **options).loc["m"]
        assert row["tier"] == program.replay([grant], as_of=as_of).tier_name == tier
        row = replay_many(credits, program, as_of=as_of, **options).loc["m"]
        assert row["available"] == program.replay([credit], as_of=as_of).available == points
        if points:
            assert row["next_expiry"] == end


def test_cli_refuses_a_date_alone_and_reads_end_instants(tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    """``crmkit loyalty`` reads the end columns through ``replay_many``: a date alone in
    ``until`` is refused naming the CSV line; with ``--date-format '%d/%m/%Y'`` the
    ``expires_at`` 30/07/2023 is refused too (it is not turned into a midnight first), and
    the hint says what to type; ``until`` is read with ``--date-format`` like ``time``."""
    program = tmp_path / "program.json"
    program.write_text(json.dumps(_hilton().to_dict()), encoding="utf-8")
    events = tmp_path / "events.csv"
    events.write_text(
        "member_id,event_id,time,kind,tier,until,reason\n"
        "m,g,2023-05-01 09:00,tier_grant,gold,2023-07-30,status_match\n",
        encoding="utf-8",
    )
    base = ["loyalty", str(events), "--program", str(program), "--as-of", "2023-06-01"]
    assert main(base) == 2
    err = capsys.readouterr().err
    assert "column 'until'" in err
    assert "at rows [2]" in err
    assert "2023-07-31 00:00" in err
    events.write_text(
        "member_id,event_id,time,kind,points,reason,expires_at\n"
        "m,a,01/05/2023,adjust,100,goodwill,30/07/2023\n",
        encoding="utf-8",
    )
    assert main([*base, "--date-format", "%d/%m/%Y"]) == 2
    err = capsys.readouterr().err
    assert "column 'expires_at'" in err
    assert "--date-format '%d/%m/%Y %H:%M'" in err
    events.write_text(
        "member_id,event_id,time,kind,tier,until,reason\n"
        "m,g,01/05/2023 09:00,tier_grant,gold,31/07/2023 00:00,status_match\n",
        encoding="utf-8",
    )
    for as_of, tier in (("2023-07-30", "gold"), ("2023-07-31", "member")):
        base[-1] = as_of
        assert main([*base, "--date-format", "%d/%m/%Y %H:%M"]) == 0
        out = pd.read_csv(io.StringIO(capsys.readouterr().out), index_col=0)
        assert out.loc["m", "tier"] == tier


def test_cli_reads_epoch_times_in_utc(tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    """Regression: ``crmkit loyalty --date-unit s`` read epoch seconds as naive UTC times,
    which the program's zone then read as local times (hours off). 1682946000 is
    2023-05-01 13:00 UTC, 09:00 in New York: the tier's ``tier_since`` says so, and an
    ``until`` of 1690776000 (2023-07-31 00:00 New York) ends the grant there."""
    program = tmp_path / "program.json"
    program.write_text(json.dumps(_hilton().to_dict()), encoding="utf-8")
    events = tmp_path / "events.csv"
    events.write_text(
        "member_id,event_id,time,kind,tier,until,reason\n"
        "m,g,1682946000,tier_grant,gold,1690776000,status_match\n",
        encoding="utf-8",
    )
    assert int(_ny(2023, 5, 1, 9).timestamp()) == 1682946000
    assert int(_ny(2023, 7, 31).timestamp()) == 1690776000
    for as_of, tier in (("2023-07-30", "gold"), ("2023-07-31", "member")):
        args = ["loyalty", str(events), "--program", str(program), "--as-of", as_of]
        assert main([*args, "--date-unit", "s"]) == 0
        out = pd.read_csv(io.StringIO(capsys.readouterr().out), index_col=0)
        assert out.loc["m", "tier"] == tier
        if tier == "gold":
            assert pd.Timestamp(out.loc["m", "tier_since"]) == _ny(2023, 5, 1, 9)


@settings(max_examples=examples(60), deadline=None)
@given(
    day=st.dates(dt.date(2001, 1, 1), dt.date(2099, 12, 31)),
    lead=st.integers(1, 400),
    basic=st.booleans(),
)
def test_a_day_with_midnight_equals_the_python_api_and_alone_is_refused(
    day: dt.date, lead: int, basic: bool
) -> None:
    """For any day d: ``until`` / ``expires_at`` of ``f"{d} 00:00"`` replay as the Python
    API with the aware midnight of d (at the end of the day before, and at d), and d alone
    (``2025-06-30`` or ``20250630``, among other rows' instants) is refused, naming its row."""
    program = _hilton()
    end = dt.datetime.combine(day, dt.time(), tzinfo=NY)
    start = end - dt.timedelta(days=lead, hours=-9)
    grant = TierGrant("g0", start, tier="gold", until=end, reason="status_match")
    credit = Adjust("a0", start, points=100, reason="goodwill", expires_at=end)
    stamp = start.strftime("%Y-%m-%d %H:%M")
    grants = _grants([f"{day} 00:00"]).assign(time=[stamp])
    credits = _credits([f"{day} 00:00"]).assign(time=[stamp])
    before = day - dt.timedelta(days=1)
    for as_of in (before, end):
        row = replay_many(grants, program, as_of=as_of).loc["m"]
        assert row["tier"] == program.replay([grant], as_of=as_of).tier_name
        row = replay_many(credits, program, as_of=as_of).loc["m"]
        assert row["available"] == program.replay([credit], as_of=as_of).available
    alone = day.strftime("%Y%m%d") if basic else day.isoformat()
    for frame, column in ((grants, "until"), (credits, "expires_at")):
        two = pd.concat([frame, frame.rename(index={"r0": "r1"})])
        two["event_id"] = ["e0", "e1"]
        two[column] = [f"{day} 00:00", alone]
        with pytest.raises(InvalidInputError) as caught:
            replay_many(two, program, as_of=before)
        assert (caught.value.field, list(caught.value.rows)) == (column, ["r1"])
        after = day + dt.timedelta(days=1)
        assert f"write {after.isoformat()} 00:00 " in caught.value.hint
        assert f"or {day.isoformat()} 00:00 " in caught.value.hint
