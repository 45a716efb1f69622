"""Results an app can return: every public result type has ``to_dict()`` with plain JSON types.

The result types are found by scanning the facades (`crmkit.segmentation`, `crmkit.loyalty`,
`crmkit.service`): every exported class that is not a rule, policy or model (those have
``from_dict`` and their own contract suite), an input (events, orders) or a stateful
tracker. Each has a factory below that builds real instances from crmkit calls, so a new
result type fails `test_every_result_type_has_a_factory` until it is added here.

For each type with ``to_dict()``: the dict holds only JSON types (str keys; dict, list,
str, int, float, bool, None; no NaN), survives ``json.dumps``/``loads`` unchanged, is the
same on a second call, and has the same keys for every instance (stable keys, so an app's
API schema does not flicker). Types still without ``to_dict()`` are listed in `MISSING`
with their owner; they are expected failures until their branch adds the method.
"""

from __future__ import annotations

import datetime as dt
import inspect
import json
import math
from collections.abc import Callable
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crmkit import datasets, loyalty, segmentation, service
from crmkit.loyalty._cli import demo_program
from tests.strategies import examples

SHANGHAI = ZoneInfo("Asia/Shanghai")
FACADES = (segmentation, loyalty, service)

#: Exported classes that are inputs or stateful engines, not results.
NOT_RESULTS = {
    # loyalty events and the order model the earning rules read
    "Adjust", "CancelRedemption", "Enroll", "ProfileUpdate", "Purchase", "Redeem", "Refund",
    "Order", "OrderLine", "MemberContext",
    # stateful trackers (fed event by event; their snapshots are the results)
    "SLATracker", "TierTracker",
    # rule parts: a piece of a SegmentMap, a goal of an SLATarget ("2bd")
    "Segment", "BusinessDays",
    # inputs and engines: the transaction log reader, a program's compiled earner
    "TransactionLog", "CompiledProgram",
    # the base classes of the fit -> model protocol (their subclasses are models)
    "Estimator", "FittedModel", "LikelihoodFit",
}  # fmt: skip

#: Result types without ``to_dict()`` yet, and the branch that owns them.
MISSING: dict[str, str] = {}


def result_types() -> dict[str, type]:
    """Every exported class of the facades that is a result (see the module docs)."""
    found: dict[str, type] = {}
    for facade in FACADES:
        for name in facade.__all__:
            obj = getattr(facade, name)
            if not inspect.isclass(obj) or issubclass(obj, BaseException):
                continue
            if hasattr(obj, "from_dict") or name in NOT_RESULTS:
                continue
            found[name] = obj
    return found


# --------------------------------------------------------------------------- factories


def _member_state(k: int) -> Any:
    start = dt.datetime(2025, 1, 5, 10, tzinfo=SHANGHAI) + dt.timedelta(days=k)
    events = [
        loyalty.Enroll(event_id="e", time=start),
        loyalty.Purchase(
            event_id="p1",
            time=start + dt.timedelta(days=20),
            lines=[loyalty.PurchaseLine("1", Decimal(2500 + 1000 * k))],
        ),
        loyalty.Redeem(event_id="r", time=start + dt.timedelta(days=40), reward="coupon-30"),
    ]
    return demo_program().replay(events, as_of=start + dt.timedelta(days=90 + 200 * k))


def _breakage(k: int) -> Any:
    from crmkit.loyalty._cli import demo_program

    events = datasets.loyalty_events(n_members=12, seed=k)
    as_of = events["time"].max() + pd.Timedelta(days=400)
    return loyalty.breakage(events, demo_program(), as_of=as_of, on_error="skip")


def _ticket(k: int) -> Any:
    from crmkit.service._cli import demo_policies

    created = dt.datetime(2025, 3, 3, 9, 30, tzinfo=SHANGHAI) + dt.timedelta(hours=5 * k)
    history = [(created, "created"), (created + dt.timedelta(minutes=50 + 90 * k), "agent_reply")]
    return service.evaluate_ticket(
        policies=demo_policies(),
        events=history,
        as_of=created + dt.timedelta(hours=30),
        ticket={"kind": "complaint", "priority": "P2", "customer_tier": "vip"},
    )


def _responses(k: int) -> pd.DataFrame:
    return datasets.survey_responses(n_responses=300, seed=k)


def _tickets(k: int) -> pd.DataFrame:
    return datasets.tickets(n_tickets=200, seed=k)


def _transactions(k: int) -> pd.DataFrame:
    return datasets.transactions(n_customers=200, seed=k)


def _rfm_model(k: int) -> Any:
    return segmentation.RFMModel.from_dict(segmentation.rfm(_transactions(k)).attrs["rfm_model"])


def _history(k: int) -> pd.DataFrame:
    return segmentation.lifecycle_history(
        _transactions(k), as_of=["2025-05-31", "2025-06-30"], amount="amount"
    )


FACTORIES: dict[str, Callable[[int], Any]] = {
    "MemberState": _member_state,
    "TierStatus": lambda k: _member_state(k).tier,
    "Counters": lambda k: _member_state(k).tier.counters,
    "TierChange": lambda k: _member_state(k).tier.history[-1],
    "Lot": lambda k: _member_state(k).lots[0],
    "Posting": lambda k: _member_state(k).postings[0],
    "QualifyingPosting": lambda k: _member_state(k).qualifying[0],
    "EarningResult": lambda k: _member_state(k).earnings["p1"],
    "LinePoints": lambda k: _member_state(k).earnings["p1"].lines[0],
    "Component": lambda k: _member_state(k).earnings["p1"].lines[0].components[0],
    "BreakageResult": _breakage,
    "Pool": lambda k: loyalty.pool_points(
        {
            "kid": (
                loyalty.Program().replay(
                    [
                        loyalty.Adjust(
                            "g", dt.datetime(2025, 1, 1, tzinfo=SHANGHAI), points=9, reason="x"
                        )
                    ],
                    as_of=dt.datetime(2025, 1, 1, tzinfo=SHANGHAI),
                ),
                1 + k,
            )
        },
        "mum",
        loyalty.Program(),
        pool_id=f"h{k}",
        time=dt.datetime(2025, 1, 2, tzinfo=SHANGHAI),
    ),
    "Transfer": lambda k: loyalty.transfer(
        loyalty.Program().replay(
            [loyalty.Adjust("g", dt.datetime(2025, 1, 1, tzinfo=SHANGHAI), points=10, reason="x")],
            as_of=dt.datetime(2025, 1, 1, tzinfo=SHANGHAI),
        ),
        1 + k,
        loyalty.Program(),
        transfer_id=f"t{k}",
        time=dt.datetime(2025, 1, 2, tzinfo=SHANGHAI),
    ),
    "Grant": lambda k: loyalty.Grant("lounge", dt.datetime(2025, 3, 1 + k, tzinfo=SHANGHAI), None),
    "QuotaStatus": lambda k: loyalty.QuotaStatus(
        "lounge", 4, k, 4 - k, dt.datetime(2025, 1, 1), dt.datetime(2026, 1, 1)
    ),
    "TicketSLA": _ticket,
    "TargetResult": lambda k: _ticket(k).targets[0],
    "SLACycle": lambda k: _ticket(k).targets[0].cycles[0],
    "NpsResult": lambda k: service.nps(_responses(k)["nps"]),
    "ScaleResult": lambda k: service.csat(_responses(k)["csat"]),
    "Interval": lambda k: service.csat(_responses(k)["csat"]).interval,
    "NpsComparison": lambda k: service.compare_nps(
        service.nps(_responses(k)["nps"]), service.nps(_responses(k + 1)["nps"])
    ),
    "ProportionComparison": lambda k: service.compare_proportions(
        service.csat(_responses(k)["csat"]), service.csat(_responses(k + 1)["csat"])
    ),
    "RateResult": lambda k: service.reopen_rate(_tickets(k)),
    "PoissonRate": lambda k: service.complaint_rate(10 + k, 1000),
    "DurationQuantiles": lambda k: service.duration_quantiles(
        _tickets(k), q=(0.5, 0.9), as_of=_tickets(k)["created_at"].max()
    ),
    "RFMScore": lambda k: _rfm_model(k).score(
        recency_days=30 + k, frequency=3, monetary=250.0, tenure_days=300 + k
    ),
    "Rate": lambda k: segmentation.churn_rate(
        _transactions(k), start="2025-06-30", end="2025-12-31", amount="amount"
    ),
    "StageResult": lambda k: segmentation.LifecyclePolicy().classify(
        ["2025-01-05", "2025-03-01"], as_of=f"2025-0{4 + k}-30"
    ),
    "TransitionMatrix": lambda k: segmentation.transition_matrix(
        _history(k), "2025-05-31", "2025-06-30"
    ),
    "CohortTable": lambda k: segmentation.cohort_retention(
        _transactions(k), freq="Q", amount="amount"
    ),
    "SegmentMapReport": lambda k: (
        segmentation.SegmentMap.default() if k == 0 else segmentation.SegmentMap.three_layer()
    ).validate(),
}


def test_every_result_type_has_a_factory() -> None:
    """A new public result type must be added here (and get to_dict())."""
    assert set(result_types()) == set(FACTORIES)
    assert set(MISSING) <= set(FACTORIES)


@pytest.mark.parametrize("name", sorted(FACTORIES))
def test_factories_build_the_type(name: str) -> None:
    cls = result_types()[name]
    for k in (0, 1):
        assert isinstance(FACTORIES[name](k), cls)


# --------------------------------------------------------------------------- the property


def _assert_plain(value: Any, path: str) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            assert isinstance(key, str), f"{path}: key {key!r} is not a str"
            _assert_plain(item, f"{path}.{key}")
    elif isinstance(value, list):
        for i, item in enumerate(value):
            _assert_plain(item, f"{path}[{i}]")
    elif isinstance(value, float):
        assert math.isfinite(value), f"{path}: {value!r} is not valid JSON (use None)"
    else:
        assert value is None or isinstance(value, str | int | bool), (
            f"{path}: {type(value).__name__} is not a JSON type"
        )


def check_to_dict(instances: list[Any]) -> None:
    """The to_dict() contract on a few instances of one type."""
    keys = None
    for obj in instances:
        data = obj.to_dict()
        assert isinstance(data, dict)
        _assert_plain(data, type(obj).__name__)
        assert json.loads(json.dumps(data, allow_nan=False)) == data
        assert obj.to_dict() == data
        if keys is None:
            keys = list(data)
        assert list(data) == keys, "the keys must not depend on the values"


def _params() -> list[Any]:
    out = []
    for name in sorted(FACTORIES):
        marks = []
        if name in MISSING:
            reason = f"{name}.to_dict() is still to be added by branch {MISSING[name]!r}"
            marks.append(pytest.mark.xfail(reason=reason, raises=AttributeError, strict=False))
        out.append(pytest.param(name, marks=marks, id=name))
    return out


@pytest.mark.parametrize("name", _params())
def test_to_dict_gives_plain_json_with_stable_keys(name: str) -> None:
    check_to_dict([FACTORIES[name](k) for k in (0, 1)])


def test_missing_list_is_current() -> None:
    """A type that gained to_dict() leaves MISSING (so its contract is enforced)."""
    types = result_types()
    assert sorted(n for n in MISSING if hasattr(types[n], "to_dict")) == []


@settings(max_examples=examples(40), deadline=None)
@given(scores=st.lists(st.integers(0, 10), min_size=1, max_size=60))
def test_nps_results_for_any_scores(scores: list[int]) -> None:
    """Property: any NPS result, including n = 1 and all-promoters, is plain JSON."""
    result = service.nps(pd.Series(scores))
    if not hasattr(result, "to_dict"):
        pytest.xfail("NpsResult.to_dict() is still to be added by branch 'satis'")
    check_to_dict([result, service.nps(pd.Series([10, 0, 7]))])


def test_the_checker_catches_what_it_must() -> None:
    """The contract fails on NaN, on non-JSON values and on keys that vary."""

    class Bad:
        def __init__(self, data: dict[str, Any]) -> None:
            self.data = data

        def to_dict(self) -> dict[str, Any]:
            return self.data

    for bad in (
        [Bad({"x": float("nan")})],
        [Bad({"x": Decimal("1")})],
        [Bad({"x": dt.date(2025, 1, 1)})],
        [Bad({1: "a"})],
        [Bad({"a": 1}), Bad({"b": 1})],
    ):
        with pytest.raises(AssertionError):
            check_to_dict(bad)  # type: ignore[arg-type]
    check_to_dict([Bad({"a": 1.5, "b": [None, "x", True]}), Bad({"a": 2.0, "b": []})])
