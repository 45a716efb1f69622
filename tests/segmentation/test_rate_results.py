"""What a :class:`Rate` says about its window, and what the rate functions say when refused.

- ``to_dict()`` and ``repr`` wrote a ``start``/``end`` given as a date (the end of that day)
  as the midnight *beginning* it (``"2025-05-31T00:00:00"``), so a client read the window a
  day short. A date is now written as the date and an instant as its exact ISO text, and
  either, passed back, is the same cut.
- A ``"p_alive"`` policy whose :class:`AliveRule` has no model made ``churn_rate`` and
  ``reactivation_rate`` fail with a hint to pass ``p_alive=``, which they do not take.
- ``retention_rate`` with ``end`` not after ``start`` and no ``base_start`` blamed ``start``
  for not being after a ``base_start`` derived from the reversed window.
"""

from __future__ import annotations

import inspect
import json
import re
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from crmkit.errors import ConfigError
from crmkit.segmentation import (
    AliveRule,
    LifecyclePolicy,
    ModifiedBetaGeoFit,
    ModifiedBetaGeoModel,
    Rate,
    churn_rate,
    classify_lifecycle,
    rates_by_period,
    reactivation_rate,
    repurchase_rate,
    retention_rate,
)
from crmkit.segmentation._lifecycle_engine import make_cut
from tests.strategies import examples, purchase_logs


def may_june() -> pd.DataFrame:
    """May buyers 1, 2, 3; in June 1 (9 June), 3 (30 June, 23:30) and the newcomer 4."""
    return pd.DataFrame(
        {
            "customer_id": [1, 1, 2, 3, 3, 4],
            "date": pd.to_datetime(
                [
                    "2025-05-03",
                    "2025-06-09",
                    "2025-05-20",
                    "2025-05-28",
                    "2025-06-30 23:30",
                    "2025-06-02",
                ],
                format="ISO8601",
            ),
        }
    )


# --------------------------------------------------------------------------- the window


def test_a_date_window_is_written_as_the_dates_it_was_given() -> None:
    """(end of 31 May, end of 30 June]: 3 bought at 23:30 on 30 June and is retained.

    Before the fix the JSON said ``"2025-06-30T00:00:00"``, a window that leaves out
    customer 3's purchase the rate itself counted.
    """
    r = retention_rate(
        may_june(), base_start="2025-04-30", start="2025-05-31", end="2025-06-30", amount=None
    )
    assert (r.numerator, r.denominator) == (2, 3)  # 1 and 3 of May's 1, 2, 3
    d = json.loads(json.dumps(r.to_dict(), allow_nan=False))
    assert (d["start"], d["end"]) == ("2025-05-31", "2025-06-30")
    assert "start_whole_day" not in d  # the text says which a bound is
    assert "end_whole_day" not in d
    assert "start='2025-05-31', end='2025-06-30'" in repr(r)
    assert "Timestamp" not in repr(r)
    assert "(2025-05-31, 2025-06-30]" in r.definition  # the same words as the definition
    # The attributes keep their Timestamp labels, with the flags saying they are days.
    assert r.start == pd.Timestamp("2025-05-31")
    assert r.start_whole_day
    assert r.end_whole_day


def test_an_instant_bound_is_written_exactly_with_its_offset() -> None:
    """A noon start in Shanghai stays noon +08:00; the date end stays a date."""
    r = repurchase_rate(
        may_june(), start="2025-06-05 12:00", end="2025-06-30", amount=None,
        timezone="Asia/Shanghai",
    )  # fmt: skip
    d = r.to_dict()
    assert (d["start"], d["end"]) == ("2025-06-05T12:00:00+08:00", "2025-06-30")
    assert "start='2025-06-05T12:00:00+08:00', end='2025-06-30'" in repr(r)
    naive = repurchase_rate(
        may_june(), start="2025-06-05 12:00:00.000000001", end="2025-06-30 23:00", amount=None
    )
    assert (naive.to_dict()["start"], naive.to_dict()["end"]) == (
        "2025-06-05T12:00:00.000000001",
        "2025-06-30T23:00:00",
    )
    assert (naive.numerator, naive.denominator) == (0, 1)  # 1 (9 June); 3's 23:30 is after


def test_a_rate_built_by_hand_without_a_window() -> None:
    """No window: None in the JSON and the repr; the flags default to instants."""
    r = Rate("churn", "", None, None, numerator=3, denominator=12)
    d = r.to_dict()
    assert (d["start"], d["end"]) == (None, None)
    assert "start=None, end=None" in repr(r)
    assert str(r) == "churn rate 25.0% (3 of 12)"


@st.composite
def windows(draw: st.DrawFn) -> tuple[str, str]:
    """A ``(start, end]`` of two bounds over the purchase_logs years, each a day or instant."""
    first = draw(st.integers(0, 950))
    last = first + draw(st.integers(1, 200))

    def bound(day: int) -> str:
        stamp = pd.Timestamp("2023-01-01") + pd.Timedelta(days=day)
        if draw(st.booleans()):
            return stamp.date().isoformat()
        return str(stamp + pd.Timedelta(seconds=draw(st.integers(0, 86_399))))

    return bound(first), bound(last)


ZONES = (None, "Asia/Shanghai", "Europe/Berlin", "America/New_York")


@settings(max_examples=examples(60), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tx=purchase_logs(), window=windows(), zone=st.sampled_from(ZONES))
def test_the_written_window_read_back_is_the_same_cut(
    tx: pd.DataFrame, window: tuple[str, str], zone: str | None
) -> None:
    """Property: to_dict()'s start/end, read by crmkit's cut-off reader, are the cuts given.

    And the rate computed again from the written window is the same rate.
    """
    start, end = window
    r = repurchase_rate(tx, start=start, end=end, timezone=zone)
    d = json.loads(json.dumps(r.to_dict(), allow_nan=False))
    tz = None if zone is None else ZoneInfo(zone)
    for given_value, written in ((start, d["start"]), (end, d["end"])):
        assert make_cut(written, tz, "t", "x") == make_cut(given_value, tz, "t", "x")
    again = repurchase_rate(tx, start=d["start"], end=d["end"], timezone=zone)
    assert again.to_dict() == r.to_dict()
    assert repr(again) == repr(r)


@settings(max_examples=examples(25), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tx=purchase_logs(), window=windows())
def test_retention_written_window_gives_the_same_rate(
    tx: pd.DataFrame, window: tuple[str, str]
) -> None:
    """Property: retention from the written start/end (default base period) is the same.

    Left out: a date ``start`` with an ``end`` at the very next midnight, a window of the
    midnight instant alone, from which no default base period can be derived.
    """
    start, end = window
    assume(
        make_cut(end, None, "t", "end").instant - make_cut(start, None, "t", "start").instant > 1
    )
    r = retention_rate(tx, start=start, end=end)
    d = r.to_dict()
    assert retention_rate(tx, start=d["start"], end=d["end"]).to_dict() == d


# --------------------------------------------------------------------------- p_alive without a model

NO_MODEL = LifecyclePolicy(basis="p_alive", alive=AliveRule())
MBG = ModifiedBetaGeoFit(
    params={"r": 0.525, "alpha": 6.183, "a": 0.891, "b": 1.614}, time_unit="weeks"
)


def _named_parameters(message: str) -> set[str]:
    """Every ``name=`` the message tells the user to write."""
    return set(re.findall(r"\b([a-z_]+)=", message))


def _parameters(*functions: Callable[..., Any]) -> set[str]:
    return {name for f in functions for name in inspect.signature(f).parameters}


def _call(name: str, policy: LifecyclePolicy) -> Any:
    """Call the rate function ``name`` on :func:`may_june` with ``policy``."""
    window = {"start": "2025-05-31", "end": "2025-06-30", "policy": policy, "amount": None}
    if name == "churn_rate":
        return churn_rate(may_june(), **window)
    if name == "reactivation_rate":
        return reactivation_rate(may_june(), **window)
    rate = name.split()[1]
    return rates_by_period(may_june(), rate, **{**window, "start": "2025-05-01"})


FUNCTIONS: dict[str, Callable[..., Any]] = {
    "churn_rate": churn_rate,
    "reactivation_rate": reactivation_rate,
    "rates_by_period churn": rates_by_period,
    "rates_by_period reactivation": rates_by_period,
}


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_a_p_alive_policy_without_a_model_is_refused_with_a_fix_that_exists(name: str) -> None:
    """The message names ``policy=`` (taken) and never ``p_alive=`` (not taken).

    Every ``name=`` it shows is a parameter of the function or of the classes it tells the
    user to build (LifecyclePolicy, AliveRule, ModifiedBetaGeoModel).
    """
    function = FUNCTIONS[name]
    assert "p_alive" not in inspect.signature(function).parameters
    with pytest.raises(ConfigError) as info:
        _call(name, NO_MODEL)
    message = str(info.value)
    assert "parameter 'policy'" in message
    assert "policy=" in message
    assert "p_alive=" not in message
    named = _named_parameters(message)
    assert named <= _parameters(function, LifecyclePolicy, AliveRule, ModifiedBetaGeoModel)
    assert {"policy", "model"} <= named
    # Doing what it says works.
    _call(name, LifecyclePolicy(basis="p_alive", alive=AliveRule(model=MBG)))
    _call(name, LifecyclePolicy())


def test_rates_without_stages_still_take_a_p_alive_policy() -> None:
    """Retention and repurchase use no stages: the policy without a model is not refused."""
    table = rates_by_period(
        may_june(), "retention", start="2025-05-01", end="2025-06-30", policy=NO_MODEL,
        amount=None,
    )  # fmt: skip
    assert table["denominator"].tolist() == [0, 3]


def test_the_rule_without_a_model_points_only_at_calls_that_take_p_alive() -> None:
    """AliveRule.probability_alive's hint names p_alive= only beside the calls taking it."""
    with pytest.raises(ConfigError) as info:
        AliveRule().probability_alive([1], [1], [1])
    message = str(info.value)
    assert "AliveRule(model=" in message
    assert "classify_lifecycle()" in message
    assert "LifecyclePolicy.classify()" in message
    assert "p_alive" in inspect.signature(classify_lifecycle).parameters
    assert "p_alive" in inspect.signature(LifecyclePolicy.classify).parameters


# --------------------------------------------------------------------------- window order


@pytest.mark.parametrize("end", ["2025-05-31", "2025-06-30"])
def test_retention_with_end_not_after_start_names_end(end: str) -> None:
    """Without base_start, a reversed window is reported as such, not as a base_start.

    Before the fix: "'start' must be after base_start (2025-07-30)", a date never given.
    """
    with pytest.raises(ConfigError) as info:
        retention_rate(may_june(), start="2025-06-30", end=end, amount=None)
    message = str(info.value)
    assert "parameter 'end' must be after start (2025-06-30)" in message
    assert "base_start" not in message
