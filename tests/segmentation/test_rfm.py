"""RFM scoring: hand-checked cut points, tie safety, fixed edges, round trips, bad input."""

from __future__ import annotations

import json
import pickle

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmkit.errors import ConfigError, InvalidInputError, NotFittedError, SchemaError
from crmkit.segmentation import (
    RFMModel,
    RFMScorer,
    ScoreScale,
    SegmentMap,
    rfm,
    segment_summary,
)
from tests.strategies import customer_summaries, transaction_logs


def _summary(recency, frequency, monetary, index=None) -> pd.DataFrame:
    return pd.DataFrame(
        {"recency_days": recency, "frequency": frequency, "monetary": monetary},
        index=pd.Index(index if index is not None else range(len(recency)), name="customer_id"),
    )


TEN = _summary(
    recency=list(range(1, 11)),
    frequency=list(range(1, 11)),
    monetary=[float(10 * v) for v in range(1, 11)],
)


# ------------------------------------------------------------------------------ examples


def test_quintiles_of_ten_distinct_values_are_pairs() -> None:
    model = RFMScorer(segment_map=None).fit(TEN)
    # Linear (type 7) quantiles at 0.2, 0.4, 0.6, 0.8 of 1..10: positions 1.8, 3.6, 5.4,
    # 7.2 (0-based), i.e. 2.8, 4.6, 6.4, 8.2: the cut points pd.qcut(x, 5) uses.
    assert model.frequency.cuts == pytest.approx((2.8, 4.6, 6.4, 8.2), abs=1e-12)
    assert model.monetary.cuts == pytest.approx((28.0, 46.0, 64.0, 82.0), abs=1e-12)
    scored = model.transform(TEN)
    assert scored["f_score"].tolist() == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]
    # Recency is reversed: 1 day ago is the best.
    assert scored["r_score"].tolist() == [5, 5, 4, 4, 3, 3, 2, 2, 1, 1]
    assert scored["rfm_code"].tolist()[0] == "511"
    assert scored["rfm_code"].tolist()[-1] == "155"
    assert model.incomplete == ()


def test_seven_distinct_values_follow_qcut_not_ntile() -> None:
    """Regression: n = 7 is not a multiple of 5, where the conventions part.

    ``pd.qcut(range(7), 5, labels=[1..5])`` (the common pandas recipe; PyMC-Marketing's
    ``rfm_segments`` uses the same ``qcut`` with ``q=4``) gives
    1 1 2 3 4 5 5; dplyr/SQL ``NTILE`` would give 1 1 2 3 3 4 5 (dplyr) or
    1 1 2 2 3 4 5 (SQL). crmkit follows qcut; it used NTILE-like inverted-CDF cuts before.
    """
    s = _summary(list(range(7)), list(range(1, 8)), [float(v) for v in range(7)])
    scored = RFMScorer(segment_map=None).fit(s).transform(s)
    expected = [1, 1, 2, 3, 4, 5, 5]
    assert scored["f_score"].tolist() == expected
    assert scored["m_score"].tolist() == expected
    assert scored["r_score"].tolist() == [6 - e for e in expected]
    assert pd.qcut(s["frequency"], 5, labels=[1, 2, 3, 4, 5]).astype(int).tolist() == expected


def test_quartiles_like_pymc_marketing_rfm_segments() -> None:
    """PyMC-Marketing ``clv.utils.rfm_segments`` scores each dimension with
    ``pd.qcut(x, q=4, labels=...)``, recency labels reversed (4 = most recent). On
    tie-free data ``RFMScorer(bins=4)`` gives the same quartiles. Eight customers:
    type-7 quartile edges of 1..8 are 2.75, 4.5, 6.25, so pairs share each score."""
    s = _summary(
        recency=[3, 10, 25, 40, 70, 120, 200, 365],
        frequency=[9, 7, 6, 5, 4, 3, 2, 1],
        monetary=[900.0, 750.0, 500.0, 420.0, 300.0, 150.0, 80.0, 20.0],
    )
    scored = RFMScorer(bins=4, segment_map=None).fit(s).transform(s)
    assert scored["rfm_code"].tolist() == ["444", "444", "333", "333", "222", "222", "111", "111"]
    pymc_r = pd.qcut(s["recency_days"], q=4, labels=[4, 3, 2, 1]).astype(int)
    assert scored["r_score"].tolist() == pymc_r.tolist()


def test_skewed_frequency_does_not_raise_and_reports_used_scores() -> None:
    # 70 % one-time buyers: pd.qcut(x, 5) raises "Bin edges must be unique" here.
    freq = [1] * 70 + [2] * 15 + [3] * 10 + [7] * 5
    s = _summary(list(range(100)), freq, [float(v) for v in range(100)])
    with pytest.raises(ValueError, match="Bin edges must be unique"):
        pd.qcut(s["frequency"], 5)
    model = RFMScorer(segment_map="marketer-11").fit(s)
    # Positions ceil(100 * j / 5) - 1 = 19, 39, 59, 79 of the sorted data: 1, 1, 1, 2.
    assert model.frequency.cuts == (1.0, 1.0, 1.0, 2.0)
    assert model.frequency.scores_used == (1, 4, 5)
    assert model.incomplete == ("frequency",)
    scored = model.transform(s)
    by_value = scored.groupby("frequency")["f_score"].unique()
    assert {k: list(v) for k, v in by_value.items()} == {1: [1], 2: [4], 3: [5], 7: [5]}
    table = model.cut_table()
    assert table.loc["frequency", "scores_used"] == "1 4 5"


def test_constant_data_gets_one_documented_score() -> None:
    s = _summary([3, 3, 3], [1, 1, 1], [10.0, 10.0, 10.0])
    model = RFMScorer(segment_map="marketer-11").fit(s)
    scored = model.transform(s)
    assert set(scored["rfm_code"]) == {"511"}
    assert model.recency.scores_used == (5,)
    assert model.incomplete == ("recency", "frequency", "monetary")


def test_single_customer_and_all_one_time_buyers() -> None:
    one = _summary([12], [1], [99.0])
    assert RFMScorer(segment_map="marketer-11").fit(one).transform(one)["rfm_code"].tolist() == [
        "511"
    ]
    s = _summary([1, 50, 100, 200, 300], [1] * 5, [5.0, 10.0, 20.0, 40.0, 80.0])
    scored = RFMScorer(segment_map="marketer-11").fit(s).transform(s)
    assert scored["f_score"].tolist() == [1] * 5
    assert scored["r_score"].tolist() == [5, 4, 3, 2, 1]


def test_fixed_edges_are_inclusive_upper_bounds() -> None:
    scorer = RFMScorer(
        method="fixed",
        segment_map="marketer-11",
        edges={
            "recency": [30, 90, 180, 365],
            "frequency": [1, 2, 4, 8],
            "monetary": [100, 500, 1000, 5000],
        },
    )
    s = _summary([30, 31, 365, 366, 0], [1, 2, 3, 9, 8], [100.0, 100.01, 5000.0, 5000.5, 0.0])
    scored = scorer.fit(s).transform(s)
    assert scored["r_score"].tolist() == [5, 4, 2, 1, 5]
    assert scored["f_score"].tolist() == [1, 2, 3, 5, 4]
    assert scored["m_score"].tolist() == [1, 2, 4, 5, 1]


def test_mixed_scorer_fixed_recency_quantile_rest() -> None:
    scorer = RFMScorer(edges={"recency": [30, 90, 180, 365]})
    model = scorer.fit(TEN)
    assert model.recency.method == "fixed"
    assert model.frequency.method == "quantile"
    assert model.recency.scores_used == (5,)  # every recency in TEN is <= 30 days


def test_transform_output_shape_and_dtypes() -> None:
    model = RFMScorer(segment_map="marketer-11").fit(TEN)
    out = model.transform(TEN)
    assert list(out.columns) == [
        *TEN.columns,
        "r_score",
        "f_score",
        "m_score",
        "rfm_code",
        "segment",
    ]
    assert out.index.equals(TEN.index)
    assert isinstance(out["segment"].dtype, pd.CategoricalDtype)
    assert out["segment"].cat.ordered
    assert list(out["segment"].cat.categories) == list(SegmentMap.default().labels)
    assert str(out["r_score"].dtype) == "int8"


def test_transform_and_fit_never_modify_input() -> None:
    before = TEN.copy()
    model = RFMScorer(segment_map="marketer-11").fit(TEN)
    model.transform(TEN)
    pd.testing.assert_frame_equal(TEN, before)


def test_scores_only_without_map_and_other_bins() -> None:
    model = RFMScorer(bins=3, segment_map=None).fit(TEN)
    out = model.transform(TEN)
    assert "segment" not in out.columns
    assert model.score(1, 10, 100.0).segment is None
    assert set(out["r_score"]) == {1, 2, 3}


def test_custom_column_names() -> None:
    s = TEN.rename(columns={"recency_days": "r", "frequency": "f", "monetary": "m"})
    model = RFMScorer(recency="r", frequency="f", monetary="m", segment_map="marketer-11").fit(s)
    assert (
        model.transform(s)["rfm_code"].tolist()
        == RFMScorer(segment_map="marketer-11").fit(TEN).transform(TEN)["rfm_code"].tolist()
    )


def test_empty_transform_gives_empty_result() -> None:
    model = RFMScorer(segment_map="marketer-11").fit(TEN)
    out = model.transform(TEN.iloc[:0])
    assert len(out) == 0
    assert "segment" in out.columns


def test_model_round_trips_through_json_and_pickle() -> None:
    model = RFMScorer(segment_map="three-layer").fit(TEN)
    again = RFMModel.from_dict(json.loads(json.dumps(model.to_dict())))
    assert again == model
    assert pickle.loads(pickle.dumps(model)) == model
    pd.testing.assert_frame_equal(again.transform(TEN), model.transform(TEN))


def test_scorer_round_trip_with_custom_map() -> None:
    custom = SegmentMap.from_dict(
        {
            "name": "two",
            "segments": [
                {"name": "Hot", "rules": [{"r": [3, 5]}]},
                {"name": "Cold", "rules": [{"r": [1, 2]}]},
            ],
        }
    )
    scorer = RFMScorer(segment_map=custom)
    assert RFMScorer.from_dict(json.loads(json.dumps(scorer.to_dict()))) == scorer


def test_to_dict_writes_the_schema_version_once() -> None:
    scale = ScoreScale("monetary", "fixed", (10, 20), scores_used=(1, 3))
    assert scale.to_dict() == {
        "schema_version": 1,
        "column": "monetary",
        "method": "fixed",
        "cuts": [10.0, 20.0],
        "reverse": False,
        "scores_used": [1, 3],
    }
    data = RFMScorer(segment_map="marketer-11").fit(TEN).to_dict()
    assert data["schema_version"] == 1
    assert "schema_version" not in data["recency"]
    assert "schema_version" not in data["segment_map"]
    assert RFMScorer(bins=3, segment_map=None).to_dict() == {
        "schema_version": 1,
        "bins": 3,
        "method": "quantile",
        "edges": None,
        "recency": "recency_days",
        "frequency": "frequency",
        "monetary": "monetary",
        "segment_map": None,
        "tenure": "tenure_days",
    }


def test_a_scorer_without_a_map_round_trips() -> None:
    """Regression: segment_map=None must load back (it is a valid setting)."""
    scorer = RFMScorer(bins=3, segment_map=None)
    assert RFMScorer.from_dict(json.loads(json.dumps(scorer.to_dict()))) == scorer


def test_stored_0_1_json_still_loads() -> None:
    """JSON written by crmkit 0.1 (no schema_version) loads to the same values."""
    old_model = {
        "bins": 2,
        "recency": {
            "column": "r",
            "method": "fixed",
            "cuts": [30],
            "reverse": True,
            "scores_used": [1, 2],
        },
        "frequency": {"column": "f", "method": "fixed", "cuts": [1], "reverse": False},
        "monetary": {"column": "m", "method": "fixed", "cuts": [100]},
        "segment_map": None,
        "n_customers": 7,
        "tenure": "tenure_days",
    }
    model = RFMModel.from_dict(old_model)
    assert model.recency == ScoreScale("r", "fixed", (30.0,), True, (1, 2))
    assert model.n_customers == 7
    assert model.score(3, 2, 50) == (2, 2, 1, "221", None, None)
    old_scorer = {
        "bins": 5,
        "method": "fixed",
        "edges": {
            "recency": [30, 90, 180, 365],
            "frequency": [1, 2, 4, 8],
            "monetary": [50, 100, 500, 1000],
        },
        "recency": "recency_days",
        "frequency": "frequency",
        "monetary": "monetary",
        "segment_map": "marketer-11",
        "tenure": "tenure_days",
    }
    scorer = RFMScorer.from_dict(old_scorer)
    assert scorer.edges == {k: tuple(map(float, v)) for k, v in old_scorer["edges"].items()}
    assert scorer.segment_map == "marketer-11"


def test_from_dict_errors_name_the_nested_path() -> None:
    data = RFMScorer(segment_map=None).fit(TEN).to_dict()
    data["frequency"]["method"] = "jenks"
    with pytest.raises(
        ConfigError,
        match=r"parameter 'frequency\.method' must be one of \['quantile', 'fixed'\]; found 'jenks'",
    ):
        RFMModel.from_dict(data)
    data = RFMScorer(segment_map=None).fit(TEN).to_dict()
    data["monetary"]["cutz"] = [1]
    with pytest.raises(ConfigError, match=r"RFMModel\.from_dict\(\): parameter 'monetary\.cutz'"):
        RFMModel.from_dict(data)
    with pytest.raises(ConfigError, match=r"parameter 'schema_version' must be 1"):
        RFMScorer.from_dict({"schema_version": 2})


def test_evolve_keeps_validation() -> None:
    import attrs

    model = RFMScorer(segment_map=None).fit(TEN)
    with pytest.raises(ConfigError, match="'n_customers' must be an int at least 0"):
        attrs.evolve(model, n_customers=-1)
    with pytest.raises(ConfigError, match="'scores_used' must be scores within 1-5"):
        attrs.evolve(model.recency, scores_used=(0,))
    with pytest.raises(ConfigError, match="'recency' must be a column name; found int 3"):
        attrs.evolve(RFMScorer(), recency=3)


def test_non_integer_quantile_levels_are_exact() -> None:
    # n = 3, bins = 3: type-7 positions 2/3 and 4/3 (levels 1/3, 2/3, rounded up as qcut
    # does), so the cuts are 1 + 2/3 and 2 + 1/3 and the scores are 1, 2, 3 as with qcut.
    s = _summary([1, 2, 3], [1, 2, 3], [1.0, 2.0, 3.0])
    model = RFMScorer(bins=3, segment_map=None).fit(s)
    assert model.frequency.cuts == pytest.approx((5 / 3, 7 / 3))
    assert model.transform(s)["f_score"].tolist() == [1, 2, 3]
    # A level that floats a hair below j/k would move x_3 of 0..42 (level 5/7 hits
    # position 30 exactly) into the next bin; pd.qcut rounds such levels up, and so do we.
    x = pd.Series(np.arange(43) * 1.5 + 0.11413415837549)
    s = _summary(x, list(range(1, 44)), x)
    scored = RFMScorer(bins=7, segment_map=None).fit(s).transform(s)
    labels = list(range(1, 8))
    assert scored["m_score"].tolist() == pd.qcut(x, 7, labels=labels).astype(int).tolist()
    assert scored["r_score"].tolist() == pd.qcut(x, 7, labels=labels[::-1]).astype(int).tolist()


# ---------------------------------------------------------------------- segment summary


def test_segment_summary_hand_checked() -> None:
    scored = pd.DataFrame(
        {
            "recency_days": [5, 15, 300, 400],
            "frequency": [4, 6, 1, 1],
            "monetary": [400.0, 500.0, 60.0, 40.0],
            "segment": pd.Categorical(
                ["Top", "Top", "Low", "Low"], ["Top", "Mid", "Low"], ordered=True
            ),
        }
    )
    table = segment_summary(scored)
    assert list(table.index) == ["Top", "Mid", "Low"]
    assert table.loc["Top", "customers"] == 2
    assert table.loc["Mid", "customers"] == 0
    assert table.loc["Top", "revenue_share"] == pytest.approx(0.9)
    assert table.loc["Top", "recency_median"] == 10
    assert table.loc["Top", "average_order_value"] == pytest.approx(90.0)
    assert table.loc["Low", "average_order_value"] == pytest.approx(50.0)
    assert np.isnan(table.loc["Mid", "average_order_value"])
    assert table["customer_share"].sum() == pytest.approx(1.0)
    assert list(table.columns) == [
        "customers",
        "customer_share",
        "revenue",
        "revenue_share",
        "recency_median",
        "frequency_median",
        "monetary_median",
        "average_order_value",
    ]
    assert table.loc["Low", "frequency_median"] == 1
    assert table.loc["Top", "monetary_median"] == pytest.approx(450.0)
    assert table.index.name == "segment"


def test_segment_summary_rejects_non_positive_revenue() -> None:
    scored = RFMScorer(segment_map="marketer-11").fit(TEN).transform(TEN).assign(monetary=0.0)
    with pytest.raises(InvalidInputError, match="positive total"):
        segment_summary(scored)


# ----------------------------------------------------------------------- rfm() end to end


def test_rfm_end_to_end_hand_checked() -> None:
    tx = pd.DataFrame(
        {
            "customer_id": [1, 1, 1, 2, 3, 3],
            "date": pd.to_datetime(
                ["2025-01-05", "2025-03-01", "2025-06-20", "2024-11-02", "2025-05-01", "2025-06-01"]
            ),
            "amount": [120.0, 80.0, 200.0, 35.0, 60.0, 60.0],
        }
    )
    before = tx.copy()
    scored = rfm(tx, scorer=RFMScorer(bins=3, segment_map=None))
    pd.testing.assert_frame_equal(tx, before)
    assert scored.loc[1, "rfm_code"] == "333"
    assert scored.loc[2, "rfm_code"] == "111"
    assert scored.loc[3, "recency_days"] == 19
    model = RFMModel.from_dict(scored.attrs["rfm_model"])
    assert model.n_customers == 3


def test_rfm_applies_a_stored_model() -> None:
    tx = pd.DataFrame(
        {
            "customer_id": [1, 2, 3],
            "date": pd.to_datetime(["2025-06-01", "2025-05-01", "2025-01-01"]),
            "amount": [10.0, 20.0, 30.0],
        }
    )
    fixed = RFMScorer(
        method="fixed",
        edges={"recency": [7, 30, 90, 180], "frequency": [1, 2, 3, 4], "monetary": [5, 10, 20, 50]},
    ).fit(_summary([0], [1], [1.0]))
    scored = rfm(tx, model=fixed)
    assert scored["r_score"].tolist() == [5, 3, 2]  # 0, 31 and 151 days
    assert scored["m_score"].tolist() == [2, 3, 4]


def test_rfm_on_sample_data_has_every_segment_and_full_recency() -> None:
    from crmkit import datasets

    scored = rfm(datasets.transactions(n_customers=400, seed=3), order="order_id")
    assert scored.index.is_unique
    assert scored["segment"].notna().all()
    assert set(scored["r_score"]) == {1, 2, 3, 4, 5}
    table = segment_summary(scored)
    assert table["customers"].sum() == len(scored)
    assert table["revenue_share"].sum() == pytest.approx(1.0)


# --------------------------------------------------------------------------- properties


@given(customer_summaries())
def test_equal_values_get_equal_scores_and_never_raise(summary: pd.DataFrame) -> None:
    model = RFMScorer(segment_map="marketer-11").fit(summary)
    scored = model.transform(summary)
    for column, score in (
        ("recency_days", "r_score"),
        ("frequency", "f_score"),
        ("monetary", "m_score"),
    ):
        assert (scored.groupby(column)[score].nunique() == 1).all()
        assert set(scored[score]) <= set(range(1, 6))
    assert scored["segment"].notna().all()
    # The scores the model reports as used are exactly the scores the data got.
    assert tuple(sorted(set(scored["f_score"]))) == model.frequency.scores_used


@given(customer_summaries(min_customers=2))
def test_monotone_more_spend_never_lowers_m_more_recent_never_lowers_r(
    summary: pd.DataFrame,
) -> None:
    scored = RFMScorer(segment_map="marketer-11").fit(summary).transform(summary)
    by_m = scored.sort_values("monetary", kind="stable")
    assert (np.diff(by_m["m_score"].to_numpy().astype(int)) >= 0).all()
    by_f = scored.sort_values("frequency", kind="stable")
    assert (np.diff(by_f["f_score"].to_numpy().astype(int)) >= 0).all()
    by_r = scored.sort_values("recency_days", kind="stable")
    assert (np.diff(by_r["r_score"].to_numpy().astype(int)) <= 0).all()


@given(
    st.lists(
        st.one_of(
            st.integers(-(10**9), 10**9).map(lambda cents: cents / 100),  # money
            st.floats(-1e6, 1e6, allow_nan=False).map(lambda v: round(v, 6)),
        ),
        min_size=1,
        max_size=60,
        unique=True,
    ),
    st.integers(2, 9),
)
def test_tie_free_scores_equal_the_usual_qcut_recipe(values: list[float], bins: int) -> None:
    """Without ties the scores are exactly ``pd.qcut(x, bins, labels=1..bins)``.

    That is the recipe of the common pandas RFM notebooks and of PyMC-Marketing's
    ``clv.utils.rfm_segments`` (``pd.qcut(..., q=4, labels=...)``, recency labels reversed);
    the cut points are also bit-identical to ``np.quantile`` (type 7, R's default).
    """
    x = pd.Series(values, dtype="float64")
    if len(x) < bins:  # qcut needs at least one value per bin boundary to be unique
        return
    s = _summary(x.abs(), x.abs().rank(method="first"), x)
    model = RFMScorer(bins=bins, segment_map=None).fit(s)
    scored = model.transform(s)
    labels = list(range(1, bins + 1))
    assert scored["m_score"].tolist() == pd.qcut(x, bins, labels=labels).astype(int).tolist()
    if x.abs().nunique() == len(x):
        expected_r = pd.qcut(x.abs(), bins, labels=labels[::-1]).astype(int).tolist()
        assert scored["r_score"].tolist() == expected_r
    _, edges = pd.qcut(x, bins, retbins=True)
    assert model.monetary.cuts == tuple(float(e) for e in edges[1:-1])


@given(customer_summaries(min_customers=5), st.integers(2, 6))
def test_wherever_qcut_works_despite_ties_the_scores_agree(
    summary: pd.DataFrame, bins: int
) -> None:
    """Ties only change anything where ``pd.qcut`` gives up: whenever its edges are unique
    (it does not raise), crmkit's scores are exactly ``qcut``'s, ties or not."""
    model = RFMScorer(bins=bins, segment_map=None).fit(summary)
    scored = model.transform(summary)
    labels = list(range(1, bins + 1))
    for column, score, lab in (
        ("recency_days", "r_score", labels[::-1]),
        ("frequency", "f_score", labels),
        ("monetary", "m_score", labels),
    ):
        try:
            expected = pd.qcut(summary[column], bins, labels=lab)
        except ValueError:  # "Bin edges must be unique": where crmkit is tie-safe instead
            continue
        assert scored[score].tolist() == expected.astype(int).tolist()


def test_cdnow_sample_scores_equal_qcut_where_qcut_works() -> None:
    """Real data (the CDNOW sample shipped in the lifetimes wheel, 2,357 customers): recency
    (470 distinct values) and monetary have ties but unique quintile edges, so crmkit's
    scores equal ``pd.qcut``'s; frequency (most customers bought once) makes ``qcut``
    raise "Bin edges must be unique" and crmkit reports the unused scores instead."""
    import importlib.util
    from pathlib import Path

    from crmkit.segmentation import summarize

    # Locate the data without importing lifetimes (its import sets a pandas option that
    # pandas 3 deprecates with a warning).
    spec = importlib.util.find_spec("lifetimes")
    assert spec is not None
    assert spec.submodule_search_locations
    path = Path(next(iter(spec.submodule_search_locations))) / "datasets" / "CDNOW_sample.txt"
    raw = pd.read_csv(path, sep=r"\s+", header=None, names=["orig", "id", "date", "cds", "dollars"])
    raw["date"] = pd.to_datetime(raw["date"].astype(str), format="%Y%m%d")
    summary = summarize(raw, customer="id", date="date", amount="dollars")
    # 8 of the 2,357 customers only ever had $0 rows: not purchases (the purchase rule).
    assert len(summary) == 2349
    assert (
        len(summarize(raw, customer="id", date="date", amount="dollars", zero_amount="purchase"))
        == 2357
    )
    model = RFMScorer(segment_map=None).fit(summary)
    scored = model.transform(summary)
    r = pd.qcut(summary["recency_days"], 5, labels=[5, 4, 3, 2, 1]).astype(int)
    m = pd.qcut(summary["monetary"], 5, labels=[1, 2, 3, 4, 5]).astype(int)
    assert scored["r_score"].tolist() == r.tolist()
    assert scored["m_score"].tolist() == m.tolist()
    with pytest.raises(ValueError, match="Bin edges must be unique"):
        pd.qcut(summary["frequency"], 5)
    assert model.frequency.cuts == (1.0, 1.0, 2.0, 4.0)
    assert model.incomplete == ("frequency",)


@given(customer_summaries())
def test_cut_points_are_numpy_linear_quantiles_even_with_ties(summary: pd.DataFrame) -> None:
    model = RFMScorer(segment_map="marketer-11").fit(summary)
    for dim, column in (
        ("recency", "recency_days"),
        ("frequency", "frequency"),
        ("monetary", "monetary"),
    ):
        levels = np.linspace(0, 1, 6)
        inexact = 5 * levels != np.arange(6)
        levels = np.where(inexact, np.nextafter(levels, 1.0), levels)[1:-1]
        expected = np.quantile(summary[column].to_numpy(dtype=float), levels)
        assert getattr(model, dim).cuts == tuple(float(e) for e in expected)


@given(customer_summaries(), st.data())
def test_scalar_equals_batch(summary: pd.DataFrame, data: st.DataObject) -> None:
    model = RFMScorer(segment_map="marketer-11").fit(summary)
    scored = model.transform(summary)
    probe = data.draw(st.sampled_from(list(summary.index)))
    row = summary.loc[probe]
    one = model.score(float(row["recency_days"]), float(row["frequency"]), float(row["monetary"]))
    assert one.r_score == scored.loc[probe, "r_score"]
    assert one.f_score == scored.loc[probe, "f_score"]
    assert one.m_score == scored.loc[probe, "m_score"]
    assert one.rfm_code == scored.loc[probe, "rfm_code"]
    assert one.segment == scored.loc[probe, "segment"]
    # Between and beyond the fitted values too.
    x = data.draw(st.floats(-1e6, 1e6, allow_nan=False))
    batch = model.monetary.scores(np.array([x]))
    assert int(batch[0]) == model.monetary.score(x)


@given(customer_summaries(), st.randoms(use_true_random=False))
def test_order_and_label_invariance(summary: pd.DataFrame, rnd) -> None:
    scored = RFMScorer(segment_map="marketer-11").fit(summary).transform(summary)
    positions = list(range(len(summary)))
    rnd.shuffle(positions)
    shuffled = summary.iloc[positions]
    relabelled = shuffled.set_axis(pd.Index([f"x{i}" for i in positions], name="customer_id"))
    again = RFMScorer(segment_map="marketer-11").fit(relabelled).transform(relabelled)
    assert again["rfm_code"].tolist() == scored["rfm_code"].iloc[positions].tolist()


@given(customer_summaries())
def test_json_round_trip_property(summary: pd.DataFrame) -> None:
    model = RFMScorer(segment_map="marketer-11").fit(summary)
    assert RFMModel.from_dict(json.loads(json.dumps(model.to_dict()))) == model


@given(transaction_logs(max_rows=40))
def test_rfm_never_raises_on_valid_logs(tx: pd.DataFrame) -> None:
    scored = rfm(tx)
    assert len(scored) == tx["customer_id"].nunique()
    assert scored["segment"].notna().all()


# ---------------------------------------------------------------------------- bad input


@pytest.mark.parametrize("bins", [1, 10, 2.5, True, "5"])
def test_bad_bins(bins) -> None:
    with pytest.raises(ConfigError, match="'bins'"):
        RFMScorer(bins=bins, segment_map=None)


def test_bad_method_and_edges() -> None:
    with pytest.raises(ConfigError, match="'method'"):
        RFMScorer(method="jenks")
    with pytest.raises(ConfigError, match="edges for recency"):
        RFMScorer(method="fixed", edges={"recency": [1, 2, 3, 4]})
    with pytest.raises(ConfigError, match="4 edges"):
        RFMScorer(edges={"recency": [1, 2, 3]})
    with pytest.raises(ConfigError, match="strictly increasing"):
        RFMScorer(edges={"recency": [1, 3, 2, 4]})
    with pytest.raises(ConfigError, match="recncy"):
        RFMScorer(edges={"recncy": [1, 2, 3, 4]})
    with pytest.raises(ConfigError, match="a list of numbers"):
        RFMScorer(edges={"recency": "1234"})


def test_map_must_match_bins() -> None:
    with pytest.raises(ConfigError, match="map written for 4 bins"):
        RFMScorer(bins=4)
    with pytest.raises(ConfigError, match="one of"):
        RFMScorer(segment_map="marketer-12")


def test_missing_and_mistyped_columns() -> None:
    with pytest.raises(SchemaError, match="'monetary' must be present"):
        RFMScorer(segment_map="marketer-11").fit(TEN.drop(columns="monetary"))
    bad = TEN.assign(monetary=["x"] * 10)
    with pytest.raises(SchemaError, match="numeric"):
        RFMScorer(segment_map="marketer-11").fit(bad)
    model = RFMScorer(segment_map="marketer-11").fit(TEN)
    with pytest.raises(SchemaError, match="frequency"):
        model.transform(TEN.drop(columns="frequency"))


def test_missing_values_name_the_rows() -> None:
    bad = TEN.astype({"monetary": float}).copy()
    bad.loc[[3, 7], "monetary"] = np.nan
    with pytest.raises(InvalidInputError, match=r"rows \[3, 7\]"):
        RFMScorer(segment_map="marketer-11").fit(bad)


def test_negative_recency_or_frequency() -> None:
    with pytest.raises(InvalidInputError, match="non-negative"):
        RFMScorer(segment_map="marketer-11").fit(TEN.assign(recency_days=-TEN["recency_days"]))
    model = RFMScorer(segment_map="marketer-11").fit(TEN)
    with pytest.raises(InvalidInputError, match="frequency"):
        model.score(1, -2, 10)
    with pytest.raises(InvalidInputError, match="finite"):
        model.score(float("nan"), 1, 10)
    with pytest.raises(InvalidInputError, match="a number"):
        model.score("3", 1, 10)  # type: ignore[arg-type]


def test_empty_and_non_frame_input() -> None:
    with pytest.raises(InvalidInputError, match="at least one row"):
        RFMScorer(segment_map="marketer-11").fit(TEN.iloc[:0])
    with pytest.raises(InvalidInputError, match="pandas DataFrame"):
        RFMScorer(segment_map="marketer-11").fit([1, 2, 3])


def test_from_dict_rejects_unknown_keys() -> None:
    data = RFMScorer(segment_map="marketer-11").fit(TEN).to_dict()
    with pytest.raises(ConfigError, match="'extra'"):
        RFMModel.from_dict({**data, "extra": 1})
    with pytest.raises(ConfigError, match="'cut'"):
        ScoreScale.from_dict({"column": "x", "method": "fixed", "cut": [1]})
    with pytest.raises(ConfigError, match="'bnis'"):
        RFMScorer.from_dict({"bnis": 5})


def test_a_stored_scorer_is_not_a_fitted_model() -> None:
    """Loading scorer parameters (no cut points) as a model says it must be fitted first."""
    edges = {
        "recency": [30, 90, 180, 365],
        "frequency": [1, 2, 4, 8],
        "monetary": [50, 100, 500, 1000],
    }
    scorer = RFMScorer(method="fixed", edges=edges, bins=5)
    with pytest.raises(NotFittedError, match=r"RFMScorer\.from_dict\(data\)\.fit\(summary\)"):
        RFMModel.from_dict(scorer.to_dict())
    with pytest.raises(NotFittedError, match="hold no cut points"):
        RFMModel.from_dict(RFMScorer(segment_map="marketer-11").to_dict())


def test_inconsistent_models_are_rejected() -> None:
    scale = ScoreScale("r", "fixed", (1, 2, 3, 4), reverse=True)
    other = ScoreScale("f", "fixed", (1, 2, 3, 4))
    with pytest.raises(ConfigError, match="reverse"):
        RFMModel(5, recency=other, frequency=other, monetary=other)
    with pytest.raises(ConfigError, match="cut points"):
        RFMModel(5, recency=scale, frequency=ScoreScale("f", "fixed", (1, 2)), monetary=other)
    with pytest.raises(ConfigError, match="sorted"):
        ScoreScale("f", "quantile", (3, 2, 1, 4))
    with pytest.raises(ConfigError, match="strictly increasing"):
        ScoreScale("f", "fixed", (1, 1, 2, 3))
