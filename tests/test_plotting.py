"""Tests of crmkit.plotting: each figure draws exactly the numbers crmkit computed.

Figures are inspected through their artists (bar heights, line data, image arrays, tick
labels), on the Agg backend; every figure is closed after each test.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmkit import datasets
from crmkit.errors import ConfigError, InvalidInputError, SchemaError
from crmkit.plotting import (
    _curve_gini,
    plot_class_shares,
    plot_cohort_retention,
    plot_lifecycle_stages,
    plot_metric_trend,
    plot_pareto,
    plot_rfm_grid,
    plot_segments,
    plot_sla_attainment,
    plot_transition_matrix,
)
from crmkit.segmentation import (
    RFMScorer,
    abc_classify,
    class_summary,
    cohort_retention,
    gini,
    lifecycle_history,
    pareto_curve,
    pyramid,
    rfm,
    segment_summary,
    top_share,
    transition_matrix,
)
from crmkit.service import metric_table, sla_attainment


@pytest.fixture(autouse=True)
def _close_figures() -> Iterator[None]:
    """Close every figure a test opened, so no 'too many figures' warning is raised."""
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def tx() -> pd.DataFrame:
    return datasets.transactions(n_customers=300, seed=3)


@pytest.fixture(scope="module")
def scored(tx: pd.DataFrame) -> pd.DataFrame:
    return rfm(tx)


@pytest.fixture(scope="module")
def spend(scored: pd.DataFrame) -> pd.Series:
    return scored["monetary"].clip(lower=0)


@pytest.fixture(scope="module")
def history(tx: pd.DataFrame) -> pd.DataFrame:
    return lifecycle_history(tx, freq="Q", amount=None)


@pytest.fixture(scope="module")
def responses() -> pd.DataFrame:
    return datasets.survey_responses(n_responses=600, seed=2)


def _texts(labels: Any) -> list[str]:
    return [t.get_text() for t in labels]


# --------------------------------------------------------------------------- import, backend


def test_importing_the_module_does_not_import_matplotlib() -> None:
    code = "import sys, crmkit.plotting; print('matplotlib' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"


def test_missing_matplotlib_is_a_config_error_naming_the_extra(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in ("matplotlib", "matplotlib.pyplot"):
        monkeypatch.setitem(sys.modules, name, None)
    with pytest.raises(ConfigError, match=r'pip install "crmkit\[plot\]"') as info:
        plot_pareto(pareto_curve([1, 2, 3]))
    assert info.value.field == "matplotlib"
    assert "plot_pareto()" in str(info.value)


def test_global_rcparams_are_left_alone(
    scored: pd.DataFrame, spend: pd.Series, history: pd.DataFrame, tx: pd.DataFrame
) -> None:
    before = dict(matplotlib.rcParams)
    plot_segments(segment_summary(scored))
    plot_pareto(pareto_curve(spend))
    plot_class_shares(pyramid(spend))
    plot_rfm_grid(scored)
    plot_lifecycle_stages(history)
    plot_transition_matrix(transition_matrix(history, history.columns[0], history.columns[-1]))
    plot_cohort_retention(cohort_retention(tx, freq="Q", amount=None))
    assert dict(matplotlib.rcParams) == before


# --------------------------------------------------------------------------- segments


def test_plot_segments_bars_are_the_shares_in_business_order(scored: pd.DataFrame) -> None:
    summary = segment_summary(scored)
    ax = plot_segments(summary)
    assert _texts(ax.get_yticklabels()) == list(summary.index.categories)
    customers, revenue = ax.containers[0], ax.containers[1]
    assert len(customers) == len(revenue) == len(summary) == 11
    np.testing.assert_allclose([b.get_width() for b in customers], summary["customer_share"])
    np.testing.assert_allclose([b.get_width() for b in revenue], summary["revenue_share"])
    counts = [t.get_text() for t in ax.texts]
    assert counts == [f"{c:,}" for c in summary["customers"]]
    assert ax.yaxis_inverted()  # the first segment is at the top
    assert ax.get_title() == "Segments: customers and revenue"


def test_plot_segments_does_not_modify_its_input(scored: pd.DataFrame) -> None:
    summary = segment_summary(scored)
    copy = summary.copy(deep=True)
    plot_segments(summary)
    pd.testing.assert_frame_equal(summary, copy)


def test_plot_segments_rejects_a_frame_without_shares() -> None:
    with pytest.raises(SchemaError, match="revenue_share") as info:
        plot_segments(pd.DataFrame({"customers": [1], "customer_share": [1.0]}))
    assert info.value.field == "revenue_share"


def test_plot_segments_rejects_shares_outside_zero_one() -> None:
    frame = pd.DataFrame(
        {"customers": [1, 2], "customer_share": [0.5, 0.5], "revenue_share": [1.2, -0.2]},
        index=["a", "b"],
    )
    with pytest.raises(InvalidInputError, match="between 0 and 1") as info:
        plot_segments(frame)
    assert info.value.rows == ("a", "b")


# --------------------------------------------------------------------------- pareto


def test_plot_pareto_draws_the_curve_and_the_gini_of_the_values(spend: pd.Series) -> None:
    curve = pareto_curve(spend)
    ax = plot_pareto(curve)
    line = ax.lines[0]
    np.testing.assert_allclose(line.get_xdata(), curve["customer_share"])
    np.testing.assert_allclose(line.get_ydata(), curve["revenue_share"])
    assert line.get_label() == f"Pareto curve (Gini {gini(spend):.2f})"
    assert _texts(ax.get_legend().get_texts())[0] == line.get_label()
    assert ax.get_title() == "Pareto curve"


def test_plot_pareto_marks_the_top_share_as_top_share_computes_it(spend: pd.Series) -> None:
    ax = plot_pareto(pareto_curve(spend), mark=0.2)
    held = top_share(spend, 0.2)
    (note,) = ax.texts
    assert note.get_text() == f"top 20% of customers: {held * 100:.0f}% of revenue"
    assert ax.lines[3].get_ydata()[0] == pytest.approx(held)


def test_plot_pareto_reads_a_lorenz_curve_the_same_way(spend: pd.Series) -> None:
    ax = plot_pareto(pareto_curve(spend, order="ascending"))
    assert ax.get_title() == "Lorenz curve"
    assert ax.lines[0].get_label() == f"Lorenz curve (Gini {gini(spend):.2f})"
    (note,) = ax.texts
    assert note.get_text().endswith(f"{top_share(spend, 0.2) * 100:.0f}% of revenue")


def test_plot_pareto_without_a_mark_draws_only_the_curves() -> None:
    ax = plot_pareto(pareto_curve([5, 1, 1]), mark=None)
    assert len(ax.lines) == 2
    assert not ax.texts


@pytest.mark.parametrize("mark", [0, 1, 1.5, -0.1, True, "0.2"])
def test_plot_pareto_rejects_a_mark_outside_zero_one(mark: Any) -> None:
    with pytest.raises(ConfigError, match="'mark'"):
        plot_pareto(pareto_curve([1, 2]), mark=mark)


def test_plot_pareto_needs_a_curve() -> None:
    with pytest.raises(SchemaError) as info:
        plot_pareto(pd.DataFrame({"customer_share": [0.0, 1.0]}))
    assert info.value.field == "revenue_share"
    with pytest.raises(InvalidInputError, match="at least two points"):
        plot_pareto(pd.DataFrame({"customer_share": [0.0], "revenue_share": [0.0]}))


@given(
    st.lists(
        st.floats(min_value=0, max_value=1e6, allow_nan=False, allow_infinity=False),
        min_size=1,
        max_size=60,
    ).filter(lambda v: sum(v) > 1e-6)
)
def test_the_gini_of_the_curve_is_the_gini_of_the_values(values: list[float]) -> None:
    for order in ("descending", "ascending"):
        curve = pareto_curve(values, order=order)
        g, pareto = _curve_gini(
            curve["customer_share"].to_numpy(), curve["revenue_share"].to_numpy()
        )
        assert g == pytest.approx(gini(values), abs=1e-9)
        if g > 1e-9:
            assert pareto == (order == "descending")


# --------------------------------------------------------------------------- ABC, pyramid


def test_plot_class_shares_stacks_the_abc_shares(spend: pd.Series) -> None:
    table = class_summary(abc_classify(spend))
    ax = plot_class_shares(table)
    assert [c.get_label() for c in ax.containers] == ["A", "B", "C"]
    for bars, (_, row) in zip(ax.containers, table.iterrows(), strict=True):
        heights = [b.get_height() for b in bars]
        np.testing.assert_allclose(heights, [row["customer_share"], row["revenue_share"]])
    tops = np.array([[b.get_y() + b.get_height() for b in bars] for bars in ax.containers])
    np.testing.assert_allclose(tops[0], [1.0, 1.0])  # A, the best class, on top
    bottoms = np.array([[b.get_y() for b in bars] for bars in ax.containers])
    np.testing.assert_allclose(bottoms[-1], [0.0, 0.0])
    assert _texts(ax.get_xticklabels()) == ["customers", "revenue"]
    assert _texts(ax.get_legend().get_texts()) == ["A", "B", "C"]
    assert ax.get_title() == "Share of customers and revenue by ABC class"


def test_plot_class_shares_draws_the_pyramid_tiers_in_order(spend: pd.Series) -> None:
    table = pyramid(spend)
    ax = plot_class_shares(table)
    assert [c.get_label() for c in ax.containers] == ["VIP", "major", "medium", "small"]
    revenue = [bars[1].get_height() for bars in ax.containers]
    np.testing.assert_allclose(revenue, table["revenue_share"])
    assert "small 80%" in _texts(ax.texts)


def test_plot_class_shares_errors() -> None:
    with pytest.raises(SchemaError) as info:
        plot_class_shares(pd.DataFrame({"customer_share": [1.0]}))
    assert info.value.field == "revenue_share"
    with pytest.raises(InvalidInputError, match="at least one row"):
        plot_class_shares(pd.DataFrame({"customer_share": [], "revenue_share": []}))
    with pytest.raises(SchemaError, match="numeric"):
        plot_class_shares(pd.DataFrame({"customer_share": ["x"], "revenue_share": [1.0]}))


# --------------------------------------------------------------------------- RFM grid


def test_plot_rfm_grid_counts_customers_per_r_and_f_score(scored: pd.DataFrame) -> None:
    ax = plot_rfm_grid(scored)
    image = np.asarray(ax.images[0].get_array())
    expected = (
        pd.crosstab(scored["f_score"], scored["r_score"])
        .reindex(index=range(1, 6), columns=range(1, 6), fill_value=0)
        .to_numpy()
    )
    np.testing.assert_array_equal(image, expected)
    assert image.sum() == len(scored)
    assert ax.images[0].origin == "lower"  # F = 5 at the top
    assert _texts(ax.get_xticklabels()) == ["1", "2", "3", "4", "5"]
    assert _texts(ax.texts) == [f"{int(v):,}" for v in expected.ravel()]
    assert ax.get_xlabel().startswith("recency score")


def test_plot_rfm_grid_takes_bins_from_the_model_or_the_argument() -> None:
    s = pd.DataFrame({"recency_days": [1, 50, 90], "frequency": [3, 2, 1], "monetary": [9.0] * 3})
    scored = RFMScorer(bins=4, segment_map=None).fit(s).transform(s)
    ax = plot_rfm_grid(scored, bins=4)
    assert np.asarray(ax.images[0].get_array()).shape == (4, 4)
    with_attrs = rfm(
        pd.DataFrame(
            {
                "customer_id": [1, 2],
                "date": pd.to_datetime(["2025-01-01", "2025-03-01"]),
                "amount": [5.0, 7.0],
            }
        )
    )
    ax2 = plot_rfm_grid(with_attrs)
    assert np.asarray(ax2.images[0].get_array()).shape == (5, 5)  # the model's 5 bins


def test_plot_rfm_grid_without_annotations_writes_nothing(scored: pd.DataFrame) -> None:
    assert not plot_rfm_grid(scored, annotate=False).texts


def test_plot_rfm_grid_errors(scored: pd.DataFrame) -> None:
    with pytest.raises(SchemaError) as info:
        plot_rfm_grid(scored.drop(columns="f_score"))
    assert info.value.field == "f_score"
    bad = pd.DataFrame({"r_score": [1, 6], "f_score": [1, 2]}, index=["a", "b"])
    with pytest.raises(InvalidInputError, match="whole scores from 1 to 5") as err:
        plot_rfm_grid(bad, bins=5)
    assert err.value.rows == ("b",)
    with pytest.raises(InvalidInputError):
        plot_rfm_grid(pd.DataFrame({"r_score": [1.5], "f_score": [1]}), bins=2)
    with pytest.raises(ConfigError, match="'bins'"):
        plot_rfm_grid(bad, bins=0)


# --------------------------------------------------------------------------- lifecycle


def test_plot_lifecycle_stages_stacks_the_stage_counts(history: pd.DataFrame) -> None:
    ax = plot_lifecycle_stages(history)
    stages = list(history.iloc[:, 0].cat.categories)
    assert [c.get_label() for c in ax.containers] == stages
    for bars, stage in zip(ax.containers, stages, strict=True):
        expected = [(history[c] == stage).sum() for c in history.columns]
        assert [b.get_height() for b in bars] == expected
    totals = np.sum([[b.get_height() for b in bars] for bars in ax.containers], axis=0)
    np.testing.assert_array_equal(totals, history.notna().sum().to_numpy())
    assert _texts(ax.get_xticklabels()) == [str(c.date()) for c in history.columns]
    assert _texts(ax.get_legend().get_texts()) == stages[::-1]


def test_plot_lifecycle_stages_as_shares(history: pd.DataFrame) -> None:
    ax = plot_lifecycle_stages(history, share=True)
    totals = np.sum([[b.get_height() for b in bars] for bars in ax.containers], axis=0)
    np.testing.assert_allclose(totals, 1.0)
    assert ax.get_ylabel() == "share of customers"


def test_plot_lifecycle_stages_errors(history: pd.DataFrame) -> None:
    broken = history.copy()
    broken[history.columns[1]] = broken[history.columns[1]].astype(str)
    with pytest.raises(SchemaError, match=str(history.columns[1].date())):
        plot_lifecycle_stages(broken)
    with pytest.raises(SchemaError, match="snapshot"):
        plot_lifecycle_stages(pd.DataFrame(index=[1, 2]))
    empty = history.iloc[:, :1].copy()
    empty.iloc[:, 0] = np.nan
    with pytest.raises(InvalidInputError, match="customers at every snapshot"):
        plot_lifecycle_stages(empty, share=True)


def test_plot_transition_matrix_colours_the_row_shares(history: pd.DataFrame) -> None:
    tm = transition_matrix(history, history.columns[-5], history.columns[-1])
    ax = plot_transition_matrix(tm)
    image = ax.images[0].get_array()
    np.testing.assert_allclose(image.filled(np.nan), tm.shares.to_numpy())
    np.testing.assert_array_equal(np.ma.getmaskarray(image), tm.shares.isna().to_numpy())
    assert _texts(ax.get_yticklabels()) == list(tm.counts.index.astype(str))
    assert _texts(ax.get_xticklabels()) == list(tm.counts.columns.astype(str))
    assert ax.get_ylabel() == "stage at start"
    row, col = 2, 2  # active -> active
    label = f"{tm.shares.iloc[row, col] * 100:.0f}%\n({tm.counts.iloc[row, col]:,})"
    assert label in _texts(ax.texts)
    assert ax.get_title() == (
        f"Stage moves from {history.columns[-5].date()} to {history.columns[-1].date()}"
    )


def test_plot_transition_matrix_leaves_empty_rows_blank() -> None:
    tx = pd.DataFrame(
        {
            "customer_id": [1, 2, 2],
            "date": pd.to_datetime(["2025-01-02", "2025-01-03", "2025-04-20"]),
        }
    )
    h = lifecycle_history(tx, as_of=["2025-01-31", "2025-05-31"], amount=None)
    ax = plot_transition_matrix(transition_matrix(h, "2025-01-31", "2025-05-31"))
    mask = np.ma.getmaskarray(ax.images[0].get_array())
    assert mask[1:].all()  # only "new" had customers at the start
    assert not mask[0].any()
    assert len(ax.texts) == 6  # no text on blank cells


def test_plot_transition_matrix_counts_and_frames(history: pd.DataFrame) -> None:
    tm = transition_matrix(history, history.columns[-2], history.columns[-1])
    ax = plot_transition_matrix(tm, values="counts", annotate=False)
    np.testing.assert_array_equal(ax.images[0].get_array(), tm.counts.to_numpy())
    assert not ax.texts
    ax2 = plot_transition_matrix(tm.counts)
    assert ax2.get_title() == "Stage moves"
    with pytest.raises(ConfigError, match="'values'"):
        plot_transition_matrix(tm, values="percent")  # type: ignore[arg-type]
    with pytest.raises(InvalidInputError, match="TransitionMatrix"):
        plot_transition_matrix([[1, 2], [3, 4]])
    with pytest.raises(SchemaError, match="numeric"):
        plot_transition_matrix(pd.DataFrame({"a": ["x"]}))


# --------------------------------------------------------------------------- cohorts


def test_plot_cohort_retention_keeps_unobservable_cells_blank(tx: pd.DataFrame) -> None:
    table = cohort_retention(tx, freq="Q", amount=None)
    assert table.shares.isna().any().any()
    ax = plot_cohort_retention(table)
    image = ax.images[0].get_array()
    nan = table.shares.isna().to_numpy()
    np.testing.assert_array_equal(np.ma.getmaskarray(image), nan)
    assert np.isnan(np.asarray(image.data)[nan]).all()  # NaN, never 0
    np.testing.assert_allclose(image.data[~nan], table.shares.to_numpy()[~nan])
    labels = _texts(ax.get_yticklabels())
    assert labels == [f"{p} (n={n:,})" for p, n in table.sizes.items()]
    assert len(ax.texts) == int((~nan).sum())  # no text on blank cells


def test_plot_cohort_retention_counts_and_plain_frames(tx: pd.DataFrame) -> None:
    table = cohort_retention(tx, freq="Q", metric="revenue", amount="amount")
    ax = plot_cohort_retention(table, values="counts", annotate=False)
    np.testing.assert_allclose(
        ax.images[0].get_array().filled(np.nan), table.counts.to_numpy(), equal_nan=True
    )
    assert not ax.texts
    ax2 = plot_cohort_retention(table.shares)
    assert _texts(ax2.get_yticklabels())[0] == str(table.shares.index[0])
    assert ax2.get_xlabel() == "periods since"


def test_plot_cohort_retention_of_a_cohort_not_observable_at_all_is_blank() -> None:
    tx = pd.DataFrame({"customer_id": [1], "date": pd.to_datetime(["2025-03-10"])})
    table = cohort_retention(tx, as_of="2025-03-20", amount=None)  # March has not ended
    assert table.counts.isna().all().all()
    ax = plot_cohort_retention(table)
    assert np.ma.getmaskarray(ax.images[0].get_array()).all()
    assert not ax.texts


def test_plot_cohort_retention_errors(tx: pd.DataFrame) -> None:
    with pytest.raises(ConfigError, match="'values'"):
        plot_cohort_retention(cohort_retention(tx, amount=None), values="rates")  # type: ignore[arg-type]
    with pytest.raises(InvalidInputError, match="CohortTable"):
        plot_cohort_retention({"a": 1})
    with pytest.raises(InvalidInputError, match="at least one row"):
        plot_cohort_retention(pd.DataFrame({0: []}))


# --------------------------------------------------------------------------- service


def test_plot_metric_trend_draws_value_band_and_low_sample_points(
    responses: pd.DataFrame,
) -> None:
    table = metric_table(responses, "nps", by="segment")
    assert table["low_sample"].any()
    assert (~table["low_sample"]).any()
    ax = plot_metric_trend(table)
    groups = list(dict.fromkeys(table["segment"]))
    lines = [ln for ln in ax.lines if ln.get_label() in groups]
    assert [ln.get_label() for ln in lines] == groups  # the table's (business) order
    periods = sorted(table["period"].unique())
    for line in lines:
        rows = table[table["segment"] == line.get_label()].sort_values("period")
        np.testing.assert_allclose(
            line.get_ydata(), rows["value"].to_numpy(dtype=float, na_value=np.nan)
        )
        np.testing.assert_array_equal(line.get_xdata(), [periods.index(p) for p in rows["period"]])
    bands = [c for c in ax.collections if type(c).__name__ == "FillBetweenPolyCollection"]
    assert len(bands) == len(groups)
    hollow = np.concatenate(
        [c.get_offsets() for c in ax.collections if type(c).__name__ == "PathCollection"]
    )
    assert len(hollow) == int(table["low_sample"].sum())
    assert ax.get_ylabel() == "NPS (points, -100 to 100)"
    assert ax.get_title() == "NPS by segment and period"
    assert "low sample (n < min_n)" in _texts(ax.get_legend().get_texts())
    assert "shaded: 95% interval" in _texts(ax.get_legend().get_texts())


def test_plot_metric_trend_band_spans_the_interval() -> None:
    df = pd.DataFrame(
        {
            "date": pd.to_datetime(["2025-01-03", "2025-01-20", "2025-02-02", "2025-02-11"]),
            "csat": [5, 2, 4, 4],
        }
    )
    table = metric_table(df, "csat", min_n=1)
    ax = plot_metric_trend(table)
    (band,) = [c for c in ax.collections if type(c).__name__ == "FillBetweenPolyCollection"]
    vertices = band.get_paths()[0].vertices
    for i, (_, row) in enumerate(table.iterrows()):
        ys = vertices[np.isclose(vertices[:, 0], i), 1]
        assert ys.min() == pytest.approx(row["lower"])
        assert ys.max() == pytest.approx(row["upper"])
    assert ax.get_ylabel() == "CSAT (% satisfied, 4-5 of 5)"
    assert not [c for c in ax.collections if type(c).__name__ == "PathCollection"]


def test_plot_metric_trend_leaves_a_gap_where_there_are_no_scores() -> None:
    df = pd.DataFrame(
        {
            "date": pd.to_datetime(["2025-01-03", "2025-02-02", "2025-03-02"]),
            "nps": pd.array([9, None, 10], dtype="Int64"),
        }
    )
    ax = plot_metric_trend(metric_table(df, "nps", min_n=1))
    y = ax.lines[0].get_ydata()
    assert y[0] == 100.0
    assert np.isnan(y[1])


def test_plot_metric_trend_errors(responses: pd.DataFrame) -> None:
    no_period = metric_table(responses, "nps", freq=None)
    with pytest.raises(SchemaError) as info:
        plot_metric_trend(no_period)
    assert info.value.field == "period"
    table = metric_table(responses, "nps")
    with pytest.raises(SchemaError) as info:
        plot_metric_trend(table, by="region")
    assert info.value.field == "region"


def _results() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "priority": ["P1"] * 5 + ["P2"] * 4 + ["P3"] * 2,
            "target": ["first_response"] * 3 + ["resolution"] * 2 + ["first_response"] * 4
            + ["resolution"] * 2,
            "state": ["met", "met", "breached", "met", "met", "breached", "breached", "breached",
                      "met", "running", "not_started"],
        }
    )  # fmt: skip


def test_plot_sla_attainment_bars_and_wilson_error_bars() -> None:
    table = sla_attainment(_results(), by=["priority", "target"])
    ax = plot_sla_attainment(table)
    labels = _texts(ax.get_yticklabels())
    assert labels == ["P1 / first_response", "P1 / resolution", "P2 / first_response",
                      "P3 / resolution"]  # fmt: skip
    has = table["n"] > 0
    widths = [b.get_width() for b in ax.containers[0]]
    np.testing.assert_allclose(widths, table["attainment"].where(has, 0.0))
    err = ax.containers[1]
    segments = err.lines[2][0].get_segments()
    for seg, (_, row) in zip(segments, table[has].iterrows(), strict=False):
        assert seg[0][0] == pytest.approx(row["ci_low"])
        assert seg[1][0] == pytest.approx(row["ci_high"])
    texts = _texts(ax.texts)
    assert texts[0] == "67% (n=3)"
    assert texts[-1] == "no verdicts (n=0)"
    assert ax.get_legend() is None


def test_plot_sla_attainment_marks_groups_clearly_below_the_goal() -> None:
    table = sla_attainment(_results(), by="priority")
    ax = plot_sla_attainment(table, goal=0.9)
    colours = [matplotlib.colors.to_hex(b.get_facecolor()) for b in ax.containers[0]]
    below = (table["ci_high"] < 0.9) & (table["n"] > 0)
    assert [c == "#d62728" for c in colours] == below.tolist()
    legend = _texts(ax.get_legend().get_texts())
    assert "goal 90%" in legend
    assert ("interval wholly below the goal" in legend) == bool(below.any())


def test_plot_sla_attainment_errors() -> None:
    table = sla_attainment(_results())
    with pytest.raises(ConfigError, match="'goal'"):
        plot_sla_attainment(table, goal=90)
    with pytest.raises(SchemaError) as info:
        plot_sla_attainment(table.drop(columns="ci_high"))
    assert info.value.field == "ci_high"


# --------------------------------------------------------------------------- shared behaviour


def _all_calls(
    scored: pd.DataFrame, spend: pd.Series, history: pd.DataFrame, tx: pd.DataFrame
) -> list[tuple[Any, Any]]:
    responses = datasets.survey_responses(n_responses=200, seed=1)
    return [
        (plot_segments, segment_summary(scored)),
        (plot_pareto, pareto_curve(spend)),
        (plot_class_shares, pyramid(spend)),
        (plot_rfm_grid, scored),
        (plot_lifecycle_stages, history),
        (
            plot_transition_matrix,
            transition_matrix(history, history.columns[0], history.columns[1]),
        ),
        (plot_cohort_retention, cohort_retention(tx, freq="Q", amount=None)),
        (plot_metric_trend, metric_table(responses, "nps", freq="Q")),
        (plot_sla_attainment, sla_attainment(_results())),
    ]


def test_every_function_draws_on_the_axes_it_is_given(
    scored: pd.DataFrame, spend: pd.Series, history: pd.DataFrame, tx: pd.DataFrame
) -> None:
    for func, data in _all_calls(scored, spend, history, tx):
        fig, ax = plt.subplots()
        before = plt.get_fignums()
        returned = func(data, ax=ax, title="mine")
        assert returned is ax, func.__name__
        assert plt.get_fignums() == before, func.__name__  # no extra figure
        assert ax.get_title() == "mine"
        assert ax.has_data(), func.__name__
        plt.close(fig)


def test_every_function_opens_one_new_figure_by_default_and_never_shows(
    scored: pd.DataFrame,
    spend: pd.Series,
    history: pd.DataFrame,
    tx: pd.DataFrame,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def fail() -> None:
        raise AssertionError("plt.show() was called")

    monkeypatch.setattr(plt, "show", fail)
    for func, data in _all_calls(scored, spend, history, tx):
        before = len(plt.get_fignums())
        ax = func(data, title="")
        assert len(plt.get_fignums()) == before + 1, func.__name__
        assert ax.get_title() == ""
        plt.close(ax.figure)


def test_every_function_rejects_what_is_not_an_axes(
    scored: pd.DataFrame, spend: pd.Series, history: pd.DataFrame, tx: pd.DataFrame
) -> None:
    for func, data in _all_calls(scored, spend, history, tx):
        with pytest.raises(InvalidInputError, match="matplotlib Axes") as info:
            func(data, ax="left")
        assert info.value.field == "ax"


@pytest.mark.parametrize(
    "func",
    [
        plot_segments,
        plot_pareto,
        plot_class_shares,
        plot_rfm_grid,
        plot_lifecycle_stages,
        plot_metric_trend,
        plot_sla_attainment,
    ],
)
def test_frame_functions_reject_what_is_not_a_frame(func: Any) -> None:
    with pytest.raises(InvalidInputError, match="pandas DataFrame"):
        func([1, 2, 3])


def test_inputs_are_not_modified(scored: pd.DataFrame, history: pd.DataFrame) -> None:
    scored_copy, history_copy = scored.copy(deep=True), history.copy(deep=True)
    plot_rfm_grid(scored)
    plot_lifecycle_stages(history, share=True)
    pd.testing.assert_frame_equal(scored, scored_copy)
    pd.testing.assert_frame_equal(history, history_copy)


# --------------------------------------------------------------------------- clv figures


def test_clv_figures_draw_the_diagnostic_frames() -> None:
    """Each CLV figure shows exactly the numbers of the frame it was given."""
    from crmkit.plotting import (
        plot_calibration_holdout,
        plot_frequency_recency,
        plot_period_transactions,
        plot_survival_curve,
    )
    from crmkit.segmentation import (
        BetaGeoFit,
        ShiftedBetaGeoFit,
        frequency_recency_matrix,
        period_transactions,
    )

    fit = BetaGeoFit(params={"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}, time_unit="weeks")
    summary = pd.DataFrame({"frequency": [0, 0, 1, 2, 5], "T": [30.0, 35.0, 38.0, 39.0, 39.0]})
    table = period_transactions(summary, fit, max_frequency=3)
    ax = plot_period_transactions(table)
    assert [float(b.get_height()) for b in ax.containers[1]] == table["model"].tolist()
    assert ax.get_xticklabels()[-1].get_text() == "3+"
    grid = frequency_recency_matrix(fit, T=10, quantity="expected_purchases", t=4)
    ax = plot_frequency_recency(grid)
    np.testing.assert_allclose(ax.images[0].get_array().filled(np.nan), grid.to_numpy())
    comparison = pd.DataFrame(
        {"customers": [3, 2], "actual": [0.3, 1.5], "expected": [0.28, 1.4]},
        index=pd.RangeIndex(2, name="frequency_cal"),
    )
    ax = plot_calibration_holdout(comparison)
    assert ax.lines[0].get_ydata().tolist() == [0.3, 1.5]
    curve = ShiftedBetaGeoFit(params={"alpha": 0.668, "beta": 3.806}, time_unit="years").curve(5)
    ax = plot_survival_curve(curve)
    np.testing.assert_allclose(ax.lines[0].get_ydata(), curve["survival"])
    assert ax.get_xlabel() == "years since joining"
    with pytest.raises(SchemaError):
        plot_period_transactions(comparison)
