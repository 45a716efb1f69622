"""``measure(..., timezone=...)``: the campaign window in the campaign's local days.

A Chinese campaign "1-31 July" is 1 July 00:00 to 1 August 00:00 in Shanghai (UTC+8, no
daylight saving since 1991), i.e. 2025-06-30T16:00Z to 2025-07-31T16:00Z. On a UTC export:

=== ====================== ===================== ====== ==========================
 id  UTC                    Shanghai              amount  in the window?
=== ====================== ===================== ====== ==========================
 t1  2025-07-31 17:30       2025-08-01 01:30       100    Shanghai: no;  UTC: yes
 c1  2025-06-30 16:30       2025-07-01 00:30        60    Shanghai: yes; UTC: no
 t3  2025-07-15 02:00       2025-07-15 10:00        40    both
=== ====================== ===================== ====== ==========================

(17:30 + 8 h = 01:30 the next day; 16:30 + 8 h = 00:30 the next day.) The assignment:
t1, t2, t3 treatment, c1, c2 control.

- In Shanghai days: treatment responders 1 of 3 (t3), revenue per customer 40 / 3;
  control 1 of 2 (c1), revenue per customer 60 / 2 = 30.
- In UTC days (the data's own zone, no ``timezone``): treatment 2 of 3 (t1, t3), revenue
  per customer 140 / 3; control 0 of 2, revenue 0.
"""

from __future__ import annotations

import datetime as dt
import json
import zoneinfo
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crmkit.campaigns import CampaignResult, measure
from crmkit.cli import main
from crmkit.errors import ConfigError
from tests._cli_errors import _error
from tests.strategies import examples, timezones

SHANGHAI = "Asia/Shanghai"
JULY: dict[str, Any] = {"start": "2025-07-01", "end": "2025-07-31"}

ARMS = pd.DataFrame(
    {"arm": ["treatment", "treatment", "treatment", "control", "control"]},
    index=pd.Index(["t1", "t2", "t3", "c1", "c2"], name="customer_id"),
)
UTC_EXPORT = pd.DataFrame(
    {
        "customer_id": ["t1", "c1", "t3"],
        "date": ["2025-07-31T17:30:00Z", "2025-06-30T16:30:00Z", "2025-07-15T02:00:00Z"],
        "amount": [100.0, 60.0, 40.0],
    }
)
#: The same purchases as Shanghai wall-clock times, without a zone.
SHANGHAI_WALL = UTC_EXPORT.assign(
    date=["2025-08-01 01:30:00", "2025-07-01 00:30:00", "2025-07-15 10:00:00"]
)


def _figures(r: CampaignResult) -> tuple[int, int, float | None, float | None]:
    """Responders (treatment, control), then revenue per customer (treatment, control)."""
    t, c = r.arms["treatment"], r.arms["control"]
    return t.responders, c.responders, t.revenue_per_customer.value, c.revenue_per_customer.value


# ------------------------------------------------------------------ the boundary purchases
def test_a_utc_export_is_counted_in_the_campaigns_local_days() -> None:
    """t1's 17:30Z on 31 July is 1 August in Shanghai (out); c1's 16:30Z on 30 June is
    1 July (in): treatment 1 responder, 40 / 3 per customer; control 1, 60 / 2 = 30."""
    r = measure(ARMS, UTC_EXPORT, **JULY, timezone=SHANGHAI)
    assert _figures(r) == (1, 1, pytest.approx(40 / 3), 30.0)
    assert r.arms["treatment"].orders_per_customer.value == pytest.approx(1 / 3)
    assert r.uplift.value == pytest.approx(1 / 3 - 1 / 2)
    assert r.incremental_revenue.value == pytest.approx(40 / 3 - 30)
    assert (r.start, r.end) == ("2025-07-01T00:00:00+08:00", "2025-08-01T00:00:00+08:00")
    assert r.unassigned_customers == 0


def test_without_a_timezone_the_days_are_the_datas_own() -> None:
    """No ``timezone``: UTC days, as before: t1 in, c1 out; treatment 2 of 3 (t1, t3),
    140 / 3 per customer; control 0 of 2. ``timezone=None`` is the same call, and
    ``timezone="UTC"`` on a UTC export changes nothing."""
    r = measure(ARMS, UTC_EXPORT, **JULY)
    assert _figures(r) == (2, 0, pytest.approx(140 / 3), 0.0)
    assert (r.start, r.end) == ("2025-07-01T00:00:00+00:00", "2025-08-01T00:00:00+00:00")
    assert measure(ARMS, UTC_EXPORT, **JULY, timezone=None).to_dict() == r.to_dict()
    assert measure(ARMS, UTC_EXPORT, **JULY, timezone="UTC").to_dict() == r.to_dict()
    naive = measure(ARMS, SHANGHAI_WALL, **JULY)
    assert measure(ARMS, SHANGHAI_WALL, **JULY, timezone=None).to_dict() == naive.to_dict()
    assert naive.start == "2025-07-01T00:00:00"  # naive data, naive bounds: as before


def test_naive_dates_are_read_as_local_times_in_the_zone() -> None:
    """Shanghai wall times read with ``timezone`` are the instants of the UTC export: the
    same result, bounds and all (2025-08-01 01:30 local is out, 2025-07-01 00:30 in)."""
    r = measure(ARMS, SHANGHAI_WALL, **JULY, timezone=SHANGHAI)
    assert _figures(r) == (1, 1, pytest.approx(40 / 3), 30.0)
    assert r.to_dict() == measure(ARMS, UTC_EXPORT, **JULY, timezone=SHANGHAI).to_dict()


def test_epoch_numbers_are_utc_instants_converted_to_the_zone() -> None:
    """Epoch seconds 1753983000 = 2025-07-31T17:30Z and 1751301000 = 2025-06-30T16:30Z
    (``pd.Timestamp(...).value // 10**9``): the same result as the ISO UTC strings."""
    epoch = UTC_EXPORT.assign(date=[1753983000, 1751301000, 1752544800])
    r = measure(ARMS, epoch, **JULY, timezone=SHANGHAI, date_unit="s")
    assert r.to_dict() == measure(ARMS, UTC_EXPORT, **JULY, timezone=SHANGHAI).to_dict()


def test_aware_bounds_are_converted_to_the_zone() -> None:
    """16:00Z on 30 June (18:00 in Berlin, summer time) is 1 July 00:00 in Shanghai, and
    16:00Z on 31 July is 1 August 00:00: the same window as the dates, on naive local data
    too. An aware end at 18:00Z (02:00 on 1 August in Shanghai) takes in t1's 17:30Z."""
    berlin = zoneinfo.ZoneInfo("Europe/Berlin")
    bounds = {
        "start": dt.datetime(2025, 6, 30, 18, tzinfo=berlin),
        "end": pd.Timestamp("2025-07-31T16:00:00Z"),
    }
    expected = measure(ARMS, UTC_EXPORT, **JULY, timezone=SHANGHAI).to_dict()
    for log in (UTC_EXPORT, SHANGHAI_WALL):
        r = measure(ARMS, log, **bounds, timezone=SHANGHAI)
        assert (r.start, r.end) == ("2025-07-01T00:00:00+08:00", "2025-08-01T00:00:00+08:00")
        assert r.to_dict() == expected
    later = measure(
        ARMS, SHANGHAI_WALL, start="2025-07-01", end=pd.Timestamp("2025-07-31T18:00:00Z"),
        timezone=SHANGHAI,
    )  # fmt: skip
    assert later.end == "2025-08-01T02:00:00+08:00"
    assert _figures(later) == (2, 1, pytest.approx(140 / 3), 30.0)


def test_aware_bounds_beside_naive_dates_without_a_zone_name_the_fix() -> None:
    """Without ``timezone`` an aware bound beside naive dates is still refused (as before),
    and the message now says that ``timezone=`` reads the dates in a zone."""
    with pytest.raises(ConfigError, match=r"parameter 'end'.*timezone="):
        measure(ARMS, SHANGHAI_WALL, start="2025-07-01", end=pd.Timestamp("2025-07-31T16:00Z"))


def test_the_pre_period_is_read_in_the_zone_too() -> None:
    """CUPED's pre-period [1 June, 1 July) in Shanghai is [2025-05-31T16:00Z, 2025-06-30T16:00Z).

    ===== ====================== ============ ======================= =============
     id    UTC                    amount       Shanghai                UTC days
    ===== ====================== ============ ======================= =============
     t1    2025-05-31 17:00        10          1 June 01:00: pre       before pre
     t2    2025-06-30 16:30        60          1 July 00:30: window    pre
     c1    2025-06-15 00:00        20          pre                     pre
     c1    2025-07-10 00:00        30          window                  window
     c2    2025-05-31 15:00        50          31 May 23:00: before    before
     t1    2025-07-20 00:00        40          window                  window
    ===== ====================== ============ ======================= =============

    In Shanghai, per customer (t1, t2, c1, c2): pre-spend x = (10, 0, 20, 0), revenue
    y = (40, 60, 30, 0). Means 7.5 and 32.5; deviations dx = (2.5, -7.5, 12.5, -7.5),
    dy = (7.5, 27.5, -2.5, -32.5); sum dx*dy = 18.75 - 206.25 - 31.25 + 243.75 = 25,
    sum dx**2 = 275, sum dy**2 = 1875. theta = 25 / 275 = 1/11; the variance reduction is
    the squared correlation 25**2 / (275 * 1875) = 1/825.
    """
    arms = pd.DataFrame(
        {"arm": ["treatment", "treatment", "control", "control"]},
        index=pd.Index(["t1", "t2", "c1", "c2"], name="customer_id"),
    )
    tx = pd.DataFrame(
        {
            "customer_id": ["t1", "t2", "c1", "c1", "c2", "t1"],
            "date": pd.to_datetime(
                ["2025-05-31 17:00", "2025-06-30 16:30", "2025-06-15 00:00",
                 "2025-07-10 00:00", "2025-05-31 15:00", "2025-07-20 00:00"]
            ).tz_localize("UTC"),
            "amount": [10.0, 60.0, 20.0, 30.0, 50.0, 40.0],
        }
    )  # fmt: skip
    r = measure(arms, tx, **JULY, pre_start="2025-06-01", timezone=SHANGHAI)
    assert r.pre_start == "2025-06-01T00:00:00+08:00"
    assert r.cuped_theta == pytest.approx(1 / 11)
    assert r.variance_reduction == pytest.approx(1 / 825)
    assert r.arms["treatment"].revenue_per_customer.value == 50.0  # (40 + 60) / 2
    in_utc = measure(arms, tx, **JULY, pre_start="2025-06-01")
    assert in_utc.cuped_theta != pytest.approx(1 / 11)  # x = (0, 60, 20, 0) in UTC days
    assert in_utc.arms["treatment"].revenue_per_customer.value == 20.0  # 40 / 2


def test_a_bad_zone_is_refused_naming_timezone() -> None:
    """An unknown zone is the library's ConfigError for ``timezone``, before the data."""
    with pytest.raises(ConfigError, match=r"parameter 'timezone'.*found 'Beijing'") as info:
        measure(ARMS, UTC_EXPORT, **JULY, timezone="Beijing")
    assert info.value.field == "timezone"
    with pytest.raises(ConfigError, match="parameter 'timezone'"):
        measure(ARMS, "not a frame", **JULY, timezone="Mars/Olympus")  # type: ignore[arg-type]


# ---------------------------------------------------------------------------- property
@settings(max_examples=examples(60), deadline=None)
@given(
    zone=timezones,
    rows=st.lists(
        st.tuples(
            st.sampled_from(list(ARMS.index)),
            st.datetimes(min_value=dt.datetime(2025, 5, 25), max_value=dt.datetime(2025, 8, 5)),
            st.sampled_from([-20.0, 5.0, 12.5, 99.99]),
        ),
        max_size=25,
    ),
)
def test_measuring_in_a_zone_equals_converting_the_frame_by_hand(
    zone: str, rows: list[tuple[str, dt.datetime, float]]
) -> None:
    """Property: for UTC purchase instants, ``timezone=Z`` equals the frame converted to Z
    by hand (``tz_convert``) measured without it (whose bounds follow the data's zone)."""
    tx = pd.DataFrame(
        {
            "customer_id": [r[0] for r in rows],
            "date": pd.DatetimeIndex([r[1] for r in rows], dtype="datetime64[ns]").tz_localize(
                "UTC"
            ),
            "amount": [r[2] for r in rows],
        }
    )
    by_hand = tx.assign(date=tx["date"].dt.tz_convert(zone))
    window = {**JULY, "pre_start": "2025-06-01"}
    got = measure(ARMS, tx, **window, timezone=zone)
    assert got.to_dict() == measure(ARMS, by_hand, **window).to_dict()


# ------------------------------------------------------------------------- command line
def test_the_command_line_equals_the_python_call(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``--timezone Asia/Shanghai`` gives what ``measure(..., timezone=...)`` gives."""
    arms_csv, tx_csv, out = tmp_path / "arms.csv", tmp_path / "tx.csv", tmp_path / "r.json"
    ARMS.to_csv(arms_csv)
    UTC_EXPORT.to_csv(tx_csv, index=False)
    code = main(
        ["campaign", "measure", str(arms_csv), str(tx_csv), "--start", "2025-07-01",
         "--end", "2025-07-31", "--timezone", SHANGHAI, "-o", str(out)]
    )  # fmt: skip
    assert code == 0, capsys.readouterr().err
    got = json.loads(out.read_text(encoding="utf-8"))
    ref = measure(
        pd.read_csv(arms_csv).set_index("customer_id"), pd.read_csv(tx_csv), **JULY,
        timezone=SHANGHAI,
    ).to_dict()  # fmt: skip
    assert got == json.loads(json.dumps(ref))
    assert got["arms"]["treatment"]["responders"] == 1
    assert got["start"] == "2025-07-01T00:00:00+08:00"


def test_the_command_line_refuses_a_bad_zone_before_reading_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A bad ``--timezone`` is refused first: the files named do not even exist."""
    err = _error(
        capsys,
        ["campaign", "measure", str(tmp_path / "none.csv"), str(tmp_path / "no.csv"),
         "--start", "2025-07-01", "--end", "2025-07-31", "--timezone", "Beijing"],
    )  # fmt: skip
    assert "--timezone" in err
    assert "'Beijing'" in err
    assert "none.csv" not in err
