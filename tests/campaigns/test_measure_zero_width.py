"""Regression: a control arm without buyers printed a revenue interval of (0, 0) as if sure.

Revenue per customer of an arm whose customers all spent 0 has no spread, so its t
interval is one point: it says there is nothing to measure, not that the mean is known
exactly. gbstats (whose revenue tests ``measure()`` follows) returns no result there
(``ZERO_NEGATIVE_VARIANCE``, and ``ZERO_NEGATIVE_BASELINE_VARIATION`` for a relative lift
over a control mean of 0). crmkit keeps the figures and says so, as the survey metrics do
("all scores equal: the mean's interval has zero width"): ``ArmSummary.reason`` and
``CampaignResult.notes``, both in ``to_dict()``.
"""

from __future__ import annotations

import json

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from crmkit.campaigns import ArmSummary, Estimate, assign, measure
from tests.strategies import examples

IDS = [f"c{i:02d}" for i in range(20)]
ARMS = assign(IDS, campaign="zero-width", control_share=0.5)
TREATED = ARMS.index[(ARMS["arm"] == "treatment").to_numpy()].tolist()
CONTROL = ARMS.index[(ARMS["arm"] == "control").to_numpy()].tolist()
WINDOW = {"start": "2025-07-01", "end": "2025-07-31"}


def _tx(ids: list[str], amounts: list[float]) -> pd.DataFrame:
    return pd.DataFrame({"customer_id": ids, "date": "2025-07-02", "amount": amounts})


def test_a_control_arm_without_buyers_is_flagged() -> None:
    """The reported case: the figures stay (0 with interval (0, 0)), and the arm, the
    result's notes and the JSON say what the zero width means."""
    r = measure(ARMS, _tx(TREATED[:3], [10.0, 20.0, 30.0]), **WINDOW)
    control = r.arms["control"]
    rev = control.revenue_per_customer
    assert (rev.value, rev.lower, rev.upper) == (0.0, 0.0, 0.0)
    assert control.reason == (
        "no buyers: revenue and orders are 0 for every customer, so their intervals have zero width"
    )
    assert r.arms["treatment"].reason is None
    notes = r.notes
    assert notes[0].startswith("control arm: no buyers")
    assert any("rests on the treatment arm's alone" in n for n in notes)
    assert any("ZERO_NEGATIVE_VARIANCE" in n for n in notes)
    assert any("ZERO_NEGATIVE_BASELINE_VARIATION" in n for n in notes)
    d = r.to_dict()
    assert d["arms"]["control"]["reason"] == control.reason
    assert d["notes"] == list(notes)
    assert json.loads(json.dumps(d, allow_nan=False)) == d


def test_both_arms_spending_alike_flags_the_zero_width_comparison() -> None:
    """Everyone spends 10: both arms' revenue intervals and the Welch interval are one
    point; the notes say the comparison's p-value of 1 says nothing."""
    r = measure(ARMS, _tx(IDS, [10.0] * len(IDS)), **WINDOW)
    assert r.arms["control"].reason == (
        "the same revenue and orders for every customer: their intervals have zero width"
    )
    welch = r.incremental_revenue
    assert welch.lower == welch.upper == 0.0
    assert any("neither arm's revenue has any spread" in n for n in r.notes)
    assert not any("BASELINE" in n for n in r.notes)  # the control spends 10: a lift exists


def test_ordinary_results_carry_no_notes() -> None:
    """Spread in both arms: no reason, no notes (the JSON has them, empty)."""
    amounts = [float(5 + 3 * k) for k in range(8)]
    r = measure(ARMS, _tx(TREATED[:4] + CONTROL[:4], amounts), **WINDOW)
    assert r.notes == ()
    d = r.to_dict()
    assert d["notes"] == []
    assert {a["reason"] for a in d["arms"].values()} == {None}


def test_a_hand_built_arm_without_a_bounded_interval_has_no_reason() -> None:
    """A single customer's t interval is unbounded (None): not zero width."""
    open_ = Estimate(0.0, None, None, 0.95, "t", 1)
    rate = Estimate(0.0, 0.0, 0.79, 0.95, "wilson", 1)
    assert ArmSummary("control", 1, 0, rate, open_, open_).reason is None


@settings(max_examples=examples(40), deadline=None)
@given(st.lists(st.sampled_from([0.0, 0.0, 5.0, 12.5]), min_size=20, max_size=20))
def test_reason_is_there_exactly_when_an_interval_has_zero_width(spend: list[float]) -> None:
    """Property: an arm has a reason exactly when its revenue or orders interval is one
    point, and the incremental-revenue note exactly when an arm's revenue interval is."""
    buyers = [(c, a) for c, a in zip(IDS, spend, strict=True) if a]
    tx = _tx([c for c, _ in buyers], [a for _, a in buyers]) if buyers else _tx([IDS[0]], [0.0])
    r = measure(ARMS, tx, **WINDOW)
    for arm in r.arms.values():
        flat = [e.lower == e.upper for e in (arm.revenue_per_customer, arm.orders_per_customer)]
        assert (arm.reason is not None) == any(flat)
    flat_revenue = [a.revenue_per_customer.lower == a.revenue_per_customer.upper
                    for a in r.arms.values()]  # fmt: skip
    assert any(n.startswith("incremental revenue:") for n in r.notes) == any(flat_revenue)


def test_the_text_summary_prints_the_notes() -> None:
    """``crmkit campaign measure`` (text) and the demo print each note on its own line, so
    a reader of the text sees what the JSON's ``notes`` say."""
    from crmkit.campaigns._cli import summary_lines

    r = measure(ARMS, _tx(TREATED[:3], [10.0, 20.0, 30.0]), **WINDOW)
    lines = summary_lines(r)
    assert [line.removeprefix("note: ") for line in lines if line.startswith("note: ")] == list(
        r.notes
    )
    quiet = measure(ARMS, _tx([*TREATED[:3], *CONTROL[:3]], [10.0, 20.0, 30.0] * 2), **WINDOW)
    assert quiet.notes == ()
    assert not any(line.startswith("note: ") for line in summary_lines(quiet))
