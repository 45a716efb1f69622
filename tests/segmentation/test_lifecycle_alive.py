"""The ``"p_alive"`` lifecycle basis: stages from a count model's P(alive) (issue 13).

Frequency, recency and T come from the lifecycle engine's own occasion log; the hand
checks below compute P(alive) from the published closed forms, independently of the
library's model code.
"""

from __future__ import annotations

import io
import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from crmkit import datasets
from crmkit.cli import main
from crmkit.errors import ConfigError, InvalidInputError
from crmkit.segmentation import (
    AliveRule,
    BetaGeoFit,
    LifecyclePolicy,
    ModifiedBetaGeoFit,
    ParetoNBDFit,
    btyd_summary,
    classify_lifecycle,
    lifecycle_history,
)
from tests.strategies import alive_rules, count_model_fits, examples

# Fader, Hardie & Lee (2005), CDNOW, weeks.
BG = BetaGeoFit(params={"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}, time_unit="weeks")
# Batislam et al. (2007) parameters as quoted in lifetimes' MBG/NBD docs, weeks.
MBG = ModifiedBetaGeoFit(
    params={"r": 0.525, "alpha": 6.183, "a": 0.891, "b": 1.614}, time_unit="weeks"
)
# Fader & Hardie's Pareto/NBD CDNOW estimates (R BTYD walkthrough), weeks.
PNBD = ParetoNBDFit(
    params={"r": 0.5534, "alpha": 10.5802, "s": 0.6061, "beta": 11.6562}, time_unit="weeks"
)

# One customer: purchases on 6, 20 and 34 January 2025 (three purchase days, one of them
# twice), classified at the end of 17 March 2025: x = 2, t_x = 28 days = 4 weeks,
# T = 70 days = 10 weeks.
ONE = pd.DataFrame(
    {
        "customer_id": ["ann"] * 4,
        "date": pd.to_datetime(["2025-01-06", "2025-01-20", "2025-01-20", "2025-02-03"]),
    }
)
AS_OF = "2025-03-17"


def _bg_closed_form(x: float, tx: float, big_t: float, modified: bool) -> float:
    """FHL 2005 eq. (13) / Batislam et al. 2007: 1 / (1 + a/(b+x-1[+1]) ((alpha+T)/(alpha+tx))^(r+x))."""
    p = (MBG if modified else BG).params
    r, alpha, a, b = p["r"], p["alpha"], p["a"], p["b"]
    shift = 1.0 if modified else 0.0
    if x == 0 and not modified:
        return 1.0
    odds = a / (b + x - 1.0 + shift) * ((alpha + big_t) / (alpha + tx)) ** (r + x)
    return 1.0 / (1.0 + odds)


def _policy(model: Any, **thresholds: float) -> LifecyclePolicy:
    return LifecyclePolicy(basis="p_alive", alive=AliveRule(model=model, **thresholds))


def test_bg_nbd_p_alive_of_one_customer_by_hand() -> None:
    """x = 2, t_x = 4, T = 10 weeks: 1 / (1 + 0.793/3.426 * (14.414/8.414)^2.243) = 0.5636."""
    expected = _bg_closed_form(2, 4.0, 10.0, modified=False)
    assert round(expected, 4) == 0.5636
    out = classify_lifecycle(ONE, as_of=AS_OF, policy=_policy(BG), amount=None)
    row = out.loc["ann"]
    assert (row["purchase_days"], row["recency_days"], row["tenure_days"]) == (3, 42, 70)
    assert row["p_alive"] == pytest.approx(expected, abs=1e-12)
    assert row["stage"] == "active"  # 0.5636 >= 0.5
    assert row["gap_source"] == "model"
    assert math.isnan(row["at_risk_after_days"])


def test_mbg_nbd_p_alive_by_hand_and_the_stage_it_gives() -> None:
    """MBG/NBD: 1 / (1 + 0.891/3.614 * (16.183/10.183)^2.525) = 0.5574; at_risk_below=0.8 makes 'ann' at risk."""
    expected = _bg_closed_form(2, 4.0, 10.0, modified=True)
    assert round(expected, 4) == 0.5574
    out = classify_lifecycle(ONE, as_of=AS_OF, policy=_policy(MBG, at_risk_below=0.8), amount=None)
    assert out.loc["ann", "p_alive"] == pytest.approx(expected, abs=1e-12)
    assert out.loc["ann", "stage"] == "at_risk"


def test_one_time_buyer_bg_nbd_stays_active_mbg_nbd_does_not() -> None:
    """The known weakness: BG/NBD P(alive) = 1 for x = 0, MBG/NBD by hand 1/(1 + a/b ...)."""
    tx = pd.DataFrame({"customer_id": ["bo"], "date": pd.to_datetime(["2024-01-01"])})
    as_of = "2025-01-04"  # T = 369 days
    big_t = 369 / 7
    bg = classify_lifecycle(tx, as_of=as_of, policy=_policy(BG), amount=None)
    assert bg.loc["bo", "p_alive"] == 1.0
    assert bg.loc["bo", "stage"] == "active"
    mbg = classify_lifecycle(tx, as_of=as_of, policy=_policy(MBG), amount=None)
    expected = _bg_closed_form(0, 0.0, big_t, modified=True)
    assert mbg.loc["bo", "p_alive"] == pytest.approx(expected, abs=1e-12)
    assert round(expected, 4) == 0.3568  # 1 / (1 + 0.891/1.614 * (58.897/6.183)^0.525)
    assert mbg.loc["bo", "stage"] == "at_risk"  # 0.25 <= 0.3568 < 0.5


def test_pareto_nbd_matches_the_r_btyd_walkthrough_customer() -> None:
    """R BTYD ``pnbd.PAlive(params, 26, 30.86, 31) = 0.9979`` at the CDNOW estimates.

    In whole days: T = 217 days (31 weeks), last purchase 1 day before as_of (30.857
    weeks), 27 purchase days.
    """
    days = pd.date_range("2024-01-01", periods=27, freq="8D")[:-1].append(
        pd.DatetimeIndex(["2024-08-03"])
    )
    tx = pd.DataFrame({"customer_id": 7, "date": days})
    out = classify_lifecycle(tx, as_of="2024-08-04", policy=_policy(PNBD), amount=None)
    row = out.loc[7]
    assert (row["purchase_days"], row["tenure_days"], row["recency_days"]) == (27, 216, 1)
    assert row["p_alive"] == pytest.approx(PNBD.probability_alive(26, 215 / 7, 216 / 7))
    assert round(float(PNBD.probability_alive(26, 30.86, 31)), 4) == 0.9979
    assert round(row["p_alive"], 3) == 0.998


def test_equals_the_model_on_btyd_summary_of_the_same_log() -> None:
    """One reader: the basis's P(alive) is the model's on btyd_summary(freq='D', x7)."""
    tx = datasets.transactions(400, seed=11)
    as_of = "2025-06-30"
    for model in (BG, MBG, PNBD):
        out = classify_lifecycle(tx, as_of=as_of, policy=_policy(model), amount=None)
        summary = btyd_summary(tx, as_of=as_of, freq="D", freq_multiplier=7, amount=None)
        expected = model.probability_alive(summary["frequency"], summary["recency"], summary["T"])
        np.testing.assert_allclose(
            out["p_alive"].to_numpy(), np.asarray(expected), rtol=0, atol=1e-12
        )


def test_precomputed_p_alive_gives_the_model_stages() -> None:
    """AliveRule(model=None) with the model's own P(alive) column: the same frame."""
    tx = datasets.transactions(300, seed=4)
    with_model = classify_lifecycle(tx, as_of="2025-03-31", policy=_policy(PNBD))
    rule = LifecyclePolicy(basis="p_alive", alive=AliveRule())
    given = classify_lifecycle(
        tx, as_of="2025-03-31", policy=rule, p_alive=with_model["p_alive"].sample(frac=1.0)
    )
    pd.testing.assert_series_equal(given["stage"], with_model["stage"])
    pd.testing.assert_series_equal(given["p_alive"], with_model["p_alive"])


def test_precomputed_p_alive_refusals() -> None:
    """Missing customers, values outside [0, 1], or a column with a model are refused."""
    rule = LifecyclePolicy(basis="p_alive", alive=AliveRule())
    with pytest.raises(ConfigError, match="p_alive"):
        classify_lifecycle(ONE, as_of=AS_OF, policy=rule, amount=None)
    with pytest.raises(InvalidInputError, match=r"1 customers without one.*'ann'"):
        classify_lifecycle(
            ONE, as_of=AS_OF, policy=rule, amount=None, p_alive=pd.Series({"bob": 0.3})
        )
    with pytest.raises(InvalidInputError, match=r"\[0, 1\].*'ann'"):
        classify_lifecycle(
            ONE, as_of=AS_OF, policy=rule, amount=None, p_alive=pd.Series({"ann": 1.5})
        )
    with pytest.raises(ConfigError, match="p_alive"):
        classify_lifecycle(
            ONE, as_of=AS_OF, policy=_policy(BG), amount=None, p_alive=pd.Series({"ann": 0.5})
        )
    with pytest.raises(ConfigError, match="p_alive"):
        classify_lifecycle(ONE, as_of=AS_OF, amount=None, p_alive=pd.Series({"ann": 0.5}))
    assert rule.classify(ONE["date"], as_of=AS_OF, p_alive=0.2).stage == "dormant"
    with pytest.raises(ConfigError, match="snapshot"):
        lifecycle_history(ONE, as_of=[AS_OF], policy=rule, amount=None)


def test_policy_and_rule_refusals() -> None:
    """The basis and the rule go together; thresholds in order; only count models."""
    with pytest.raises(ConfigError, match="alive"):
        LifecyclePolicy(basis="p_alive")
    with pytest.raises(ConfigError, match="alive"):
        LifecyclePolicy(alive=AliveRule(model=BG))
    with pytest.raises(ConfigError, match="churned_below"):
        AliveRule(dormant_below=0.2, churned_below=0.2)
    with pytest.raises(ConfigError, match="at_risk_below"):
        AliveRule(at_risk_below=1.5)
    with pytest.raises(ConfigError, match="model"):
        AliveRule(model="bg_nbd")
    with pytest.raises(ConfigError, match=r"model\.kind"):
        AliveRule.from_dict({"model": {"kind": "sbg", "params": {"alpha": 1.0, "beta": 1.0}}})


def test_json_round_trip_keeps_the_fitted_model() -> None:
    """The policy's JSON holds the model's kind, parameters, unit and fit record."""
    fit = ModifiedBetaGeoFit.from_dict(
        {**MBG.to_dict(), "standard_errors": {"r": 0.05, "alpha": 0.6, "a": 0.1, "b": 0.2}}
    )
    policy = _policy(fit, at_risk_below=0.6)
    text = json.dumps(policy.to_dict())
    again = LifecyclePolicy.from_dict(json.loads(text))
    assert again == policy
    assert type(again.alive.model) is ModifiedBetaGeoFit  # type: ignore[union-attr]
    assert json.loads(text)["alive"]["model"]["kind"] == "mbg_nbd"
    assert "alive" not in LifecyclePolicy().to_dict()  # other bases: unchanged JSON


def test_history_recomputes_p_alive_at_each_snapshot() -> None:
    """lifecycle_history at a snapshot is classify_lifecycle at that snapshot."""
    tx = datasets.transactions(200, seed=8)
    policy = _policy(PNBD)
    cuts = ["2024-06-30", "2024-12-31", "2025-06-30"]
    history = lifecycle_history(tx, as_of=cuts, policy=policy)
    for cut, column in zip(cuts, history.columns, strict=True):
        one = classify_lifecycle(tx, as_of=cut, policy=policy)["stage"]
        got = history[column].dropna()
        pd.testing.assert_series_equal(
            got.astype(str), one.astype(str).reindex(got.index), check_names=False
        )


# --------------------------------------------------------------------------- properties

_LOG = datasets.transactions(120, seed=21)


@settings(max_examples=examples(25), deadline=None)
@given(model=count_model_fits(), rule=alive_rules(model=False), bump=st.floats(0.0, 0.9))
def test_stage_is_monotone_in_the_thresholds(model: Any, rule: AliveRule, bump: float) -> None:
    """Raising every threshold (c -> c + bump (1 - c)) never moves a customer younger."""

    def up(c: float) -> float:
        return c + bump * (1.0 - c)

    cuts = (rule.at_risk_below, rule.dormant_below, rule.churned_below)
    assume(up(cuts[0]) > up(cuts[1]) > up(cuts[2]))  # no two collapse in floating point
    low = _policy(model, at_risk_below=cuts[0], dormant_below=cuts[1], churned_below=cuts[2])
    high = _policy(
        model, at_risk_below=up(cuts[0]), dormant_below=up(cuts[1]), churned_below=up(cuts[2])
    )
    a = classify_lifecycle(_LOG, as_of="2025-01-31", policy=low, amount=None)
    b = classify_lifecycle(_LOG, as_of="2025-01-31", policy=high, amount=None)
    assert (b["stage"].cat.codes >= a["stage"].cat.codes).all()
    pd.testing.assert_series_equal(a["p_alive"], b["p_alive"])


@settings(max_examples=examples(15), deadline=None)
@given(model=count_model_fits(), seed=st.integers(0, 2**16))
def test_row_order_does_not_matter(model: Any, seed: int) -> None:
    """Shuffled transactions give the same frame."""
    policy = _policy(model)
    shuffled = _LOG.sample(frac=1.0, random_state=seed)
    pd.testing.assert_frame_equal(
        classify_lifecycle(shuffled, as_of="2025-01-31", policy=policy),
        classify_lifecycle(_LOG, as_of="2025-01-31", policy=policy),
    )


@settings(max_examples=examples(10), deadline=None)
@given(model=count_model_fits(), rule=alive_rules(model=False))
def test_scalar_equals_batch(model: Any, rule: AliveRule) -> None:
    """policy.classify(one customer's dates) is that customer's batch row, P(alive) included."""
    policy = LifecyclePolicy(
        basis="p_alive",
        alive=AliveRule(
            model=model,
            at_risk_below=rule.at_risk_below,
            dormant_below=rule.dormant_below,
            churned_below=rule.churned_below,
        ),
    )
    batch = classify_lifecycle(_LOG, as_of="2025-01-31", policy=policy, amount=None)
    for customer in batch.index[:8]:
        one = policy.classify(_LOG.loc[_LOG["customer_id"] == customer, "date"], as_of="2025-01-31")
        assert one.stage == batch.loc[customer, "stage"]
        assert one.p_alive == batch.loc[customer, "p_alive"]
        assert 0.0 <= one.p_alive <= 1.0


# --------------------------------------------------------------------------- dask


def test_on_dask_equals_pandas(dask_client: Any) -> None:
    """A model rule and a given P(alive) column both run per partition on the cluster."""
    dd = pytest.importorskip("dask.dataframe")
    tx = datasets.transactions(300, seed=3)
    ddf = dd.from_pandas(tx, npartitions=3)
    policy = _policy(MBG)
    expected = classify_lifecycle(tx, as_of="2025-03-31", policy=policy)
    got = classify_lifecycle(ddf, as_of="2025-03-31", policy=policy).compute().sort_index()
    pd.testing.assert_frame_equal(got, expected)
    rule = LifecyclePolicy(basis="p_alive", alive=AliveRule())
    given_col = classify_lifecycle(
        ddf, as_of="2025-03-31", policy=rule, p_alive=expected["p_alive"]
    )
    pd.testing.assert_series_equal(given_col.compute().sort_index()["stage"], expected["stage"])


def test_cli_reads_a_p_alive_policy_with_its_model(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`crmkit lifecycle --policy policy.json`: the stored model decides, as in Python."""
    path = tmp_path / "tx.csv"
    ONE.to_csv(path, index=False)
    policy = _policy(MBG, at_risk_below=0.8)
    (tmp_path / "policy.json").write_text(json.dumps(policy.to_dict()), encoding="utf-8")
    code = main(
        ["lifecycle", str(path), "--as-of", AS_OF, "--policy", str(tmp_path / "policy.json")]
    )
    assert code == 0
    out = pd.read_csv(io.StringIO(capsys.readouterr().out), index_col="customer_id")
    assert out.loc["ann", "stage"] == "at_risk"
    assert out.loc["ann", "p_alive"] == pytest.approx(_bg_closed_form(2, 4.0, 10.0, True))
