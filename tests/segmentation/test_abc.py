"""ABC classes, value x potential matrix, customer pyramid: worked examples, rules, properties."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crmkit.errors import ConfigError, InvalidInputError, SchemaError
from crmkit.segmentation import (
    ValuePotentialMatrix,
    abc_classify,
    class_summary,
    pyramid,
    pyramid_tiers,
)
from tests.strategies import customer_values, examples

#: The handbook's worked example: A = 10 % of customers / 70 % of revenue, B 20 % / 20 %,
#: C 70 % / 10 % (ten customers, revenue 1,000).
WORKED = pd.Series(
    [700.0, 100.0, 100.0] + [100.0 / 7] * 7, index=[f"c{i}" for i in range(10)], name="revenue"
)


def test_worked_example_cumulative() -> None:
    classes = abc_classify(WORKED, cuts=(0.7, 0.9))
    assert classes["abc_class"].tolist() == ["A", "B", "B"] + ["C"] * 7
    table = class_summary(classes)
    assert table["customer_share"].tolist() == pytest.approx([0.1, 0.2, 0.7])
    assert table["revenue_share"].tolist() == pytest.approx([0.7, 0.2, 0.1])


def test_worked_example_rank_shares() -> None:
    classes = abc_classify(WORKED.sample(frac=1, random_state=4), method="rank")
    table = class_summary(classes)
    assert table["customers"].tolist() == [1, 2, 7]
    assert table["revenue_share"].tolist() == pytest.approx([0.7, 0.2, 0.1])


def test_crossing_customer_stays_in_higher_class() -> None:
    # 85 / 10 / 5: inventorize's ABC gives the top customer B; here it is A.
    classes = abc_classify(pd.Series([85.0, 10.0, 5.0]))
    assert classes["abc_class"].tolist() == ["A", "B", "C"]
    # The customer who crosses 80 % (cumulative 60 -> 90) is A; the one crossing 95 % is B.
    classes = abc_classify(pd.Series([60.0, 30.0, 6.0, 4.0]))
    assert classes["abc_class"].tolist() == ["A", "A", "B", "C"]


def test_single_customer_is_a_and_ties_share() -> None:
    assert abc_classify([42.0])["abc_class"].tolist() == ["A"]
    # Four equal values: inventorize gives A, A, A, C; all share one class here.
    assert abc_classify([5.0, 5.0, 5.0, 5.0])["abc_class"].tolist() == ["A"] * 4


def test_exact_boundaries_do_not_hinge_on_rounding() -> None:
    # The share before the second customer is 0.9 exactly, but the running sum minus its
    # own value is 0.8999999999999999 in floats; it starts at the 90 % cut, so it is B.
    values = pd.Series([0.9, 0.06, 0.04])
    running = np.cumsum(values.to_numpy())
    assert (running - values.to_numpy())[1] < 0.9  # a naive comparison would say A
    assert abc_classify(values, cuts=(0.9, 0.95))["abc_class"].tolist() == ["A", "B", "C"]


def test_zero_and_negative_values_are_lowest() -> None:
    values = pd.Series([100.0, 0.0, -20.0, 50.0], index=list("abcd"))
    out = abc_classify(values)
    assert out["abc_class"].to_dict() == {"a": "A", "b": "C", "c": "C", "d": "A"}
    assert out.loc["c", "share"] == 0.0
    assert out["share"].sum() == pytest.approx(1.0)
    with pytest.raises(InvalidInputError, match=r"negative values at rows \['c'\]"):
        abc_classify(values, negatives="error")
    with pytest.raises(InvalidInputError, match="positive value"):
        abc_classify([0.0, -1.0])
    with pytest.raises(InvalidInputError, match="positive value"):
        abc_classify([0.0, 0.0], method="rank")


def test_domain_thresholds_5m_1m() -> None:
    turnover = pd.Series([6e6, 5_000_000.0, 5_000_000.01, 1_000_000.0, 999_999.99, 0.0])
    out = abc_classify(turnover, method="thresholds")
    # Over 5,000,000 = A; 1,000,000 to 5,000,000 = B; under 1,000,000 = C.
    assert out["abc_class"].tolist() == ["A", "B", "A", "B", "C", "C"]
    # All zero is fine with thresholds (no shares needed); shares are then NaN.
    zeros = abc_classify([0.0, 0.0], method="thresholds")
    assert zeros["abc_class"].tolist() == ["C", "C"]
    assert zeros["share"].isna().all()


def test_thresholds_per_region() -> None:
    values = pd.Series([3e6, 3e6, 600_000.0], index=["n1", "s1", "s2"])
    regions = pd.Series(["north", "south", "south"], index=values.index)
    out = abc_classify(
        values,
        method="thresholds",
        cuts={"north": (5e6, 1e6), "south": (2e6, 500_000)},
        groups=regions,
    )
    assert out["abc_class"].to_dict() == {"n1": "B", "s1": "A", "s2": "B"}
    with pytest.raises(InvalidInputError, match=r"groups without thresholds at rows \['s1'"):
        abc_classify(values, method="thresholds", cuts={"north": (5e6, 1e6)}, groups=regions)
    with pytest.raises(ConfigError, match="groups"):
        abc_classify(values, method="thresholds", cuts={"north": (5e6, 1e6)})


def test_custom_labels_and_cuts() -> None:
    out = abc_classify([50.0, 30.0, 15.0, 5.0], cuts=(0.5, 0.8, 0.95), labels=("A", "B", "C", "D"))
    assert out["abc_class"].tolist() == ["A", "B", "C", "D"]
    assert list(out["abc_class"].cat.categories) == ["A", "B", "C", "D"]


def test_output_columns_rank_and_cumulative_share() -> None:
    out = abc_classify(pd.Series([10.0, 30.0, 30.0, 30.0], index=list("wxyz")))
    assert out.loc["w", "rank"] == 4
    assert out.loc[["x", "y", "z"], "rank"].tolist() == [1, 1, 1]
    assert out.loc[["x", "y", "z"], "cumulative_share"].tolist() == pytest.approx([0.9] * 3)
    assert out.loc["w", "cumulative_share"] == pytest.approx(1.0)
    assert out["abc_class"].cat.ordered


def test_input_is_not_modified() -> None:
    values = WORKED.copy()
    abc_classify(values)
    pyramid_tiers(values)
    pd.testing.assert_series_equal(values, WORKED)


# ------------------------------------------------------------------------------ pyramid


def test_pyramid_default_tiers_on_100_customers() -> None:
    values = pd.Series(np.arange(100, 0, -1, dtype=float))
    table = pyramid(values)
    assert table["customers"].tolist() == [1, 4, 15, 80]
    total = values.sum()
    assert table["revenue_share"].tolist() == pytest.approx(
        [
            100 / total,
            sum(range(96, 100)) / total,
            sum(range(81, 96)) / total,
            sum(range(1, 81)) / total,
        ]
    )
    assert table.loc["VIP", "min_value"] == 100
    assert table.loc["major", "min_value"] == 96


def test_pyramid_small_population_top_is_vip_and_ties_share() -> None:
    tiers = pyramid_tiers([10.0, 10.0, 3.0])
    assert tiers["tier"].tolist() == ["VIP", "VIP", "small"]
    table = pyramid([10.0, 10.0, 3.0])
    assert table.loc["major", "customers"] == 0
    assert np.isnan(table.loc["major", "min_value"])


def test_pyramid_bad_cuts() -> None:
    with pytest.raises(ConfigError, match="strictly increasing"):
        pyramid([1.0], cuts=(0.05, 0.01, 0.2))
    with pytest.raises(ConfigError, match="labels"):
        pyramid([1.0], labels=("VIP", "rest"))


# ----------------------------------------------------------------------- value x potential


def test_value_potential_matrix_domain_moves() -> None:
    m = ValuePotentialMatrix.default()
    assert m.classify("C", "high") == "A"  # a C with large potential becomes A
    assert m.classify("B", "low") == "C"  # a B about to go bankrupt becomes C
    assert m.classify("A", "high") == "A"
    classes = abc_classify(WORKED, cuts=(0.7, 0.9))["abc_class"]
    potential = pd.Series(["low", "low", "medium"] + ["high"] + ["low"] * 6, index=WORKED.index)
    moved = m.apply(classes, potential)
    assert moved.tolist() == ["B", "C", "B", "A"] + ["C"] * 6
    assert moved.cat.ordered


def test_value_potential_matrix_round_trip_and_errors() -> None:
    m = ValuePotentialMatrix.default()
    assert ValuePotentialMatrix.from_dict(json.loads(json.dumps(m.to_dict()))) == m
    with pytest.raises(ConfigError, match="one entry per potential"):
        ValuePotentialMatrix(cells={"A": {"high": "A"}, "B": {"high": "A"}, "C": {"high": "A"}})
    with pytest.raises(ConfigError, match="classes among"):
        ValuePotentialMatrix(
            cells={
                "A": {"high": "A", "medium": "A", "low": "Z"},
                "B": {"high": "A", "medium": "B", "low": "C"},
                "C": {"high": "A", "medium": "C", "low": "C"},
            }
        )
    with pytest.raises(ConfigError, match="'grid'"):
        ValuePotentialMatrix.from_dict({"cells": m.to_dict()["cells"], "grid": 1})
    with pytest.raises(InvalidInputError, match="potential"):
        m.classify("A", "huge")
    with pytest.raises(InvalidInputError, match=r"potential.*rows \[1\]"):
        m.apply(pd.Series(["A", "B"]), pd.Series(["high", "huge"]))
    with pytest.raises(InvalidInputError, match="aligned"):
        m.apply(pd.Series(["A", "B"]), pd.Series(["high", "low"], index=[5, 6]))


# ----------------------------------------------------------------------------- bad input


def test_bad_values() -> None:
    with pytest.raises(InvalidInputError, match="at least one row"):
        abc_classify([])
    with pytest.raises(SchemaError, match="numeric"):
        abc_classify(pd.Series(["1", "x"], name="amount"))
    with pytest.raises(InvalidInputError, match=r"missing values at rows \[1\]"):
        abc_classify(pd.Series([1.0, np.nan]))
    with pytest.raises(InvalidInputError, match="DataFrame"):
        abc_classify(pd.DataFrame({"a": [1.0]}))
    with pytest.raises(ConfigError, match="'method'"):
        abc_classify([1.0], method="pareto")
    with pytest.raises(ConfigError, match="shares"):
        abc_classify([1.0], cuts=(0.95, 0.8))
    with pytest.raises(ConfigError, match="decreasing"):
        abc_classify([1.0], method="thresholds", cuts=(1e6, 5e6))
    with pytest.raises(ConfigError, match="labels"):
        abc_classify([1.0], labels=("A", "B"))
    with pytest.raises(ConfigError, match="'negatives'"):
        abc_classify([1.0], negatives="drop")


# --------------------------------------------------------------------------- properties


@given(customer_values, st.sampled_from(["cumulative", "rank"]))
def test_top_is_a_and_ties_share_a_class(values: list[float], method: str) -> None:
    out = abc_classify(pd.Series(values), method=method)
    top = out["value"].max()
    assert set(out.loc[out["value"] == top, "abc_class"]) == {"A"}
    assert (out.groupby("value")["abc_class"].nunique() == 1).all()
    # More value never means a worse class.
    ordered = out.sort_values("value", kind="stable")
    assert (np.diff(ordered["abc_class"].cat.codes.to_numpy()) <= 0).all()


@given(customer_values, st.randoms(use_true_random=False))
def test_abc_and_pyramid_order_and_label_invariance(values: list[float], rnd) -> None:
    series = pd.Series(values, index=[f"c{i}" for i in range(len(values))])
    base = abc_classify(series)["abc_class"]
    tiers = pyramid_tiers(series)["tier"]
    positions = list(range(len(values)))
    rnd.shuffle(positions)
    shuffled = series.iloc[positions]
    assert abc_classify(shuffled)["abc_class"].tolist() == base.iloc[positions].tolist()
    relabelled = shuffled.set_axis([f"z{i}" for i in range(len(values))])
    assert pyramid_tiers(relabelled)["tier"].tolist() == tiers.iloc[positions].tolist()


@given(customer_values)
def test_pyramid_top_is_vip_and_shares_conserve(values: list[float]) -> None:
    tiers = pyramid_tiers(values)
    assert set(tiers.loc[tiers["value"] == max(values), "tier"]) == {"VIP"}
    table = pyramid(values)
    assert table["customers"].sum() == len(values)
    assert table["revenue_share"].sum() == pytest.approx(1.0)


def _inventorize_abc(values: np.ndarray, a: float = 0.8, b: float = 0.95) -> list[str]:
    """inventorize 1.2.6 ``ABC`` (``inventorize/__init__.py``), re-implemented: sort
    descending, cumulative share *including* the item, A if < a, B if < b, else C."""
    share = values / values.sum()
    cum = np.cumsum(share)
    return ["A" if c < a else "B" if c < b else "C" for c in cum]


@given(
    st.lists(st.integers(1, 10**6), min_size=2, max_size=60, unique=True),
    st.sampled_from([(0.8, 0.95), (0.7, 0.9)]),
)
def test_cumulative_abc_is_inventorize_shifted_by_the_crossing_customer(
    values: list[int], cuts: tuple[float, float]
) -> None:
    """Without ties, crmkit's class of the k-th best customer is inventorize's class of the
    (k-1)-th: the customer who crosses a boundary stays in the higher class (issue 3), and
    the top customer is A. Everything else is the same rule."""
    x = np.sort(np.asarray(values, dtype=float))[::-1]
    cum = np.cumsum(x) / x.sum()
    if np.any(np.abs(cum[:, None] - np.asarray(cuts)[None, :]) < 1e-6):
        return  # exactly on a boundary: inventorize hinges on float rounding there
    theirs = _inventorize_abc(x, *cuts)
    ours = abc_classify(pd.Series(x), cuts=cuts)["abc_class"].astype(str).tolist()
    assert ours == ["A", *theirs[:-1]]


def test_cumulative_abc_hand_checked_against_inventorize() -> None:
    """85/10/5: inventorize gives B, C, C (its top customer is B); crmkit A, B, C.
    50/20/15/10/5 with 0.8/0.95: cumulative 0.5, 0.7, 0.85, 0.95, 1.0; inventorize A, A,
    B, C, C (0.95 is not < 0.95); crmkit A, A, A (crosses 80 %), B (crosses 95 %), C."""
    assert _inventorize_abc(np.array([85.0, 10.0, 5.0])) == ["B", "C", "C"]
    assert abc_classify([85.0, 10.0, 5.0])["abc_class"].tolist() == ["A", "B", "C"]
    five = np.array([50.0, 20.0, 15.0, 10.0, 5.0])
    assert _inventorize_abc(five) == ["A", "A", "B", "C", "C"]
    assert abc_classify(five)["abc_class"].tolist() == ["A", "A", "A", "B", "C"]


# ----------------------------------------------------------------- issue 10: overflow


def test_abc_and_pyramid_of_huge_values_have_finite_shares() -> None:
    """Regression: abc_classify and pyramid returned NaN/inf shares for 1e308 values."""
    values = pd.Series([1e308, 1e308, 1e300, 1.0], index=list("wxyz"), name="monetary")
    classes = abc_classify(values, cuts=(0.5, 0.9))
    assert np.isfinite(classes[["share", "cumulative_share"]].to_numpy()).all()
    total = 2e8 + 1.0  # the total over 1e300, which float64 can hold
    expected = [1e8 / total, 1e8 / total, 1.0 / total, 0.0]
    assert classes["share"].tolist() == pytest.approx(expected, rel=1e-12, abs=1e-300)
    assert classes["abc_class"].tolist() == ["A", "A", "C", "C"]
    small = abc_classify(values / 1e300, cuts=(0.5, 0.9))
    pd.testing.assert_series_equal(classes["abc_class"], small["abc_class"])
    tiers = pyramid_tiers(values)
    assert np.isfinite(tiers["cumulative_share"]).all()


def test_class_revenue_that_overflows_names_the_input_column() -> None:
    values = pd.Series([1e308, 1e308, 1.0], name="monetary")
    with pytest.raises(InvalidInputError) as info:
        pyramid(values)
    assert info.value.field == "monetary"
    assert info.value.rows == ("VIP",)
    assert "class revenues that overflow" in str(info.value)
    with pytest.raises(InvalidInputError, match="column 'value' must be small enough"):
        class_summary(abc_classify(values))
    table = pyramid([1e308, 1e307, 1.0])  # no class overflows: finite throughout
    assert np.isfinite(table["revenue_share"]).all()
    assert table["revenue_share"].sum() == pytest.approx(1.0)


# ------------------------------------------------------------- issue 10: the spec layer


def test_value_potential_matrix_is_a_spec_with_a_schema_version() -> None:
    m = ValuePotentialMatrix.default()
    data = m.to_dict()
    assert data["schema_version"] == 1
    assert ValuePotentialMatrix.from_dict(data) == m
    old = {k: v for k, v in data.items() if k != "schema_version"}  # the 0.1 JSON form
    assert ValuePotentialMatrix.from_dict(old) == m
    assert hash(ValuePotentialMatrix.from_dict(old)) == hash(m)
    assert ValuePotentialMatrix(cells=data["cells"], classes=["A", "B", "C"]) == m


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({"cells": None}, "parameter 'cells' must be a mapping; found None"),
        ({"cells": {"A": 5}}, "parameter \"cells['A']\" must be a mapping; found 5"),
        ({"classes": "ABC"}, "parameter 'classes' must be a list; found 'ABC'"),
        ({"classes": ["A", "A", "C"]}, "'classes' must be a list of distinct names"),
        ({"classes": ["A", "B", "C", "D"]}, "one row per class ['A', 'B', 'C', 'D']"),
        ({"schema_version": 9}, "schema_version"),
    ],
)
def test_value_potential_matrix_from_dict_errors_name_the_path(
    data: dict[str, object], error: str
) -> None:
    full = {**ValuePotentialMatrix.default().to_dict(), **data}
    with pytest.raises(ConfigError) as info:
        ValuePotentialMatrix.from_dict(full)
    assert error in str(info.value)


@settings(max_examples=examples(40), deadline=None)
@given(
    st.lists(
        st.floats(min_value=0, max_value=1.7976931348623157e308, allow_subnormal=False),
        min_size=1,
        max_size=30,
    )
)
def test_any_finite_values_give_finite_shares_or_name_the_column(values: list[float]) -> None:
    """Sums may overflow float64; shares never do, absolute class revenues are refused."""
    if max(values) == 0:
        return
    series = pd.Series(values, name="monetary")
    for frame in (abc_classify(series), pyramid_tiers(series)):
        shares = frame[["share", "cumulative_share"]].to_numpy()
        assert np.isfinite(shares).all()
        assert frame["cumulative_share"].max() == pytest.approx(1.0)
    with np.errstate(over="ignore"):
        overflows = not np.isfinite(
            pyramid_tiers(series).groupby("tier", observed=True)["value"].sum()
        ).all()
    if overflows:
        with pytest.raises(InvalidInputError, match="class revenues that overflow") as info:
            pyramid(series)
        assert info.value.field == "monetary"
        return
    table = pyramid(series)
    assert np.isfinite(table["revenue"]).all()
    assert table["revenue_share"].sum() == pytest.approx(1.0)


# ------------------------------------------- class shares of the positive total (negatives)


def test_class_summary_shares_are_of_the_positive_total_as_abc_classify() -> None:
    """Regression: with a net-negative customer, class_summary divided by the net total
    (A 1.364, C -0.545) while abc_classify's shares are of the positive total (A 0.88)."""
    classes = abc_classify(pd.Series([100.0, 50.0, 20.0, -60.0]))
    table = class_summary(classes)
    assert table["revenue_share"].tolist() == pytest.approx([150 / 170, 20 / 170, 0.0])
    assert table["revenue"].tolist() == [150.0, 20.0, -60.0]  # net, negatives included
    assert table.attrs == {"positive_total": 170.0, "negative_total": -60.0, "net_total": 110.0}
    by_class = classes.groupby("abc_class", observed=False)["share"].sum()
    assert table["revenue_share"].tolist() == pytest.approx(by_class.tolist())


def test_negative_total_is_summarised_and_pyramid_accepts_what_pyramid_tiers_does() -> None:
    """Regression: a negative net total made class_summary and pyramid raise, although
    abc_classify and pyramid_tiers accept the same values."""
    values = pd.Series([100.0, 50.0, -200.0])
    table = class_summary(abc_classify(values))
    assert table["revenue_share"].tolist() == [1.0, 0.0, 0.0]
    assert table["revenue"].tolist() == [150.0, 0.0, -200.0]
    assert table.attrs == {"positive_total": 150.0, "negative_total": -200.0, "net_total": -50.0}
    tiers = pyramid_tiers(values)
    shown = pyramid(values)
    assert shown["customers"].tolist() == [1, 0, 0, 2]
    assert shown["revenue_share"].tolist() == pytest.approx([2 / 3, 0.0, 0.0, 1 / 3])
    assert shown["min_value"].iloc[-1] == -200.0
    assert shown.attrs["negative_total"] == -200.0
    by_tier = tiers.groupby("tier", observed=False)["share"].sum()
    assert shown["revenue_share"].tolist() == pytest.approx(by_tier.tolist())
    # Still refused where abc_classify and pyramid_tiers refuse: nothing positive to share.
    for call in (pyramid, pyramid_tiers):
        with pytest.raises(InvalidInputError, match="positive value"):
            call([0.0, -5.0])
    with pytest.raises(InvalidInputError, match="positive value") as info:
        class_summary(pd.DataFrame({"abc_class": ["C", "C"], "value": [0.0, -5.0]}))
    assert info.value.field == "value"


@settings(max_examples=examples(60), deadline=None)
@given(
    customer_values,
    st.lists(st.floats(-1e6, 0.0, allow_nan=False), max_size=20),
    st.sampled_from(["cumulative", "rank", "thresholds"]),
)
def test_class_shares_are_the_sums_of_customer_shares(
    positive: list[float], negative: list[float], method: str
) -> None:
    """Property: with any net-negative customers, each class's (and tier's) revenue_share
    is the sum of its customers' share; shares add up to 1; attrs hold the totals."""
    values = pd.Series(positive + negative)
    cuts = (100.0, 10.0) if method == "thresholds" else None
    classes = abc_classify(values, method=method, cuts=cuts)  # type: ignore[arg-type]
    for frame, by, table in (
        (classes, "abc_class", class_summary(classes)),
        (pyramid_tiers(values), "tier", pyramid(values)),
    ):
        expected = frame.groupby(by, observed=False)["share"].sum()
        assert table["revenue_share"].to_numpy() == pytest.approx(expected.to_numpy())
        assert table["revenue_share"].sum() == pytest.approx(1.0)
        assert (table["revenue_share"] >= 0).all()
        assert table["revenue"].sum() == pytest.approx(sum(positive) + sum(negative))
        assert table.attrs["positive_total"] == pytest.approx(sum(positive))
        assert table.attrs["negative_total"] == pytest.approx(sum(negative))


@pytest.mark.parametrize(
    ("n", "counts"),
    [(100, [1, 4, 15, 80]), (101, [2, 4, 15, 80]), (250, [3, 10, 37, 200]), (50, [1, 2, 7, 40])],
)
def test_pyramid_tier_boundaries_round_up_like_the_crossing_customer(
    n: int, counts: list[int]
) -> None:
    """The 1 / 4 / 15 / 80 % pyramid (domain.md) on n distinct values: a tier ends with the
    first customer whose rank position reaches its cumulative cut (1 %, 5 %, 20 % of n),
    the crossing customer staying in the higher tier, as in ABC. So the tier ends are
    ceil(0.01 n), ceil(0.05 n), ceil(0.2 n): 101 customers give 2 VIPs (ceil 1.01), 4 major
    (ceil 5.05 = 6, minus 2), 15 medium (ceil 20.2 = 21, minus 6); 250 give 3 / 10 / 37."""
    table = pyramid(pd.Series(np.arange(n, 0, -1, dtype=float)))
    assert table["customers"].tolist() == counts
