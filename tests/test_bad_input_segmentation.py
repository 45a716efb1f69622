"""Bad input walked through the rest of segmentation (issue 10).

``tests/test_bad_input.py`` walks the readers, the value functions, ``summarize`` and
``rfm``; this module walks, with the same cases and helpers, every other segmentation entry
point that takes data or rules: the lifecycle (``classify_lifecycle``,
``lifecycle_history``, ``transition_matrix``, ``stage_flows``), ``cohort_retention``, every
rate of ``segmentation/_rates.py``, the BTYD summaries, the six CLV model families
(``fit``/``predict``/``from_dict``) and ``potential_from_value``.

Each case has one exact outcome: a crmkit error whose class, field and row labels are
asserted (and whose message never echoes an unrelated column), or a documented result.
The caller's data is never modified; valid variants (Arrow, categorical, nullable,
unicode, shuffled, odd indexes) equal the plain result.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pytest

from crmkit.errors import ConfigError, CrmkitError, InvalidInputError, SchemaError
from crmkit.segmentation import (
    BetaGeoBetaBinomModel,
    BetaGeoModel,
    GammaGammaModel,
    ModifiedBetaGeoModel,
    ParetoNBDModel,
    ShiftedBetaGeoModel,
    abc_classify,
    btyd_summary,
    calibration_holdout,
    churn_rate,
    classify_lifecycle,
    cohort_retention,
    customer_lifetime_value,
    frequency_recency_matrix,
    lifecycle_history,
    period_transactions,
    potential_from_value,
    rates_by_period,
    reactivation_rate,
    repurchase_rate,
    retention_rate,
    stage_flows,
    transition_matrix,
)
from tests.strategies import simulated_btyd_summary
from tests.test_bad_input import (
    _SECRET,
    BAD_LOGS,
    BAD_VALUES,
    LOG_VARIANTS,
    PLAIN,
    _case,
    _refused,
    _tx,
    _unchanged,
)

# ------------------------------------------------------------- every log entry point

WINDOW = {"start": "2025-02-01", "end": "2025-04-01"}

#: Every segmentation function that reads a transaction log, with working cut-offs.
LOG_ENTRY_POINTS: dict[str, Callable[[Any], Any]] = {
    "classify_lifecycle": functools.partial(classify_lifecycle, as_of="2025-04-01"),
    "lifecycle_history": functools.partial(lifecycle_history, as_of=["2025-02-01", "2025-04-01"]),
    "lifecycle_history_freq": functools.partial(
        lifecycle_history, freq="M", start="2025-01-01", end="2025-04-01"
    ),
    "cohort_retention": functools.partial(cohort_retention, as_of="2025-04-01"),
    "cohort_retention_revenue": functools.partial(
        cohort_retention, as_of="2025-04-01", metric="revenue"
    ),
    "churn_rate": functools.partial(churn_rate, **WINDOW),
    "reactivation_rate": functools.partial(reactivation_rate, **WINDOW),
    "repurchase_rate": functools.partial(repurchase_rate, start="2025-01-01", end="2025-04-01"),
    "retention_rate": functools.partial(retention_rate, **WINDOW),
    **{
        f"rates_by_period_{rate}": functools.partial(
            rates_by_period, rate=rate, start="2025-01-01", end="2025-04-01"
        )
        for rate in ("churn", "retention", "repurchase", "reactivation")
    },
    "btyd_summary": functools.partial(btyd_summary, as_of="2025-04-01"),
    "calibration_holdout": functools.partial(
        calibration_holdout, calibration_end="2025-02-15", as_of="2025-04-01"
    ),
}


@pytest.mark.parametrize("entry", list(LOG_ENTRY_POINTS))
@pytest.mark.parametrize("case", BAD_LOGS)
def test_log_entry_points_refuse_bad_logs(entry: str, case: tuple[Any, ...]) -> None:
    """The 31 bad logs of test_bad_input: the same error, field and rows everywhere."""
    change, error, fragment, field, rows = case
    err = _refused(
        LOG_ENTRY_POINTS[entry], change(_tx()), error, fragment, field=field, secrets=(_SECRET,)
    )
    if rows:
        assert err.rows == rows


def _comparable(result: Any) -> Any:
    """Frames with object indexes; results with ``to_dict`` as their dict."""
    if isinstance(result, pd.DataFrame):
        out = result.copy()
        out.index = out.index.astype(object)
        return out
    return result.to_dict()


@pytest.mark.parametrize("entry", list(LOG_ENTRY_POINTS))
@pytest.mark.parametrize("variant", list(LOG_VARIANTS))
def test_valid_log_variants_equal_the_plain_result(entry: str, variant: str) -> None:
    call = LOG_ENTRY_POINTS[entry]
    expected = _comparable(call(_tx()))
    tx = LOG_VARIANTS[variant](_tx())
    before = tx.copy()
    got = _comparable(call(tx))
    _unchanged(before, tx)
    if isinstance(expected, pd.DataFrame):
        pd.testing.assert_frame_equal(
            got, expected, check_dtype=False, check_categorical=False, check_index_type=False
        )
    else:
        assert got == expected


@pytest.mark.parametrize(
    "entry", ["classify_lifecycle", "lifecycle_history", "btyd_summary", "calibration_holdout"]
)
def test_unicode_customer_ids_keep_their_labels(entry: str) -> None:
    names = {"c1": "客户一", "c2": "Zoë", "c3": "😀"}
    call = LOG_ENTRY_POINTS[entry]
    got = call(_tx().assign(customer_id=_tx()["customer_id"].map(names)))
    expected = call(_tx()).rename(index=names)
    pd.testing.assert_frame_equal(
        got.sort_index(), expected.sort_index(), check_index_type=False, check_categorical=False
    )


# --------------------------------------------------------------- cut-offs and windows

FAR = "must be a date between 1678-01-01 and 2261-12-31"
NOT_A_DATE = "must be a date, datetime, Timestamp or ISO 8601 string"

#: (id, value, error, fragment): every kind of bad single instant.
BAD_INSTANTS: list[Any] = [
    pytest.param(None, ConfigError, NOT_A_DATE, id="none"),
    pytest.param(pd.NaT, ConfigError, NOT_A_DATE, id="nat"),
    pytest.param(float("nan"), ConfigError, NOT_A_DATE, id="nan"),
    pytest.param(20250401, ConfigError, "found the number 20250401", id="number"),
    pytest.param(True, ConfigError, "found the number True", id="bool"),
    pytest.param([1], ConfigError, "found list", id="list"),
    pytest.param("soon", ConfigError, "found 'soon'", id="junk"),
    pytest.param("01/04/2025", ConfigError, "found '01/04/2025'. Dates must be ISO", id="dd/mm"),
    pytest.param("0001-01-01", ConfigError, FAR, id="year_1_text"),
    pytest.param("9999-01-01", ConfigError, FAR, id="year_9999_text"),
    pytest.param(dt.date(1, 1, 1), ConfigError, FAR, id="year_1_date"),
    pytest.param(dt.date(9999, 12, 31), ConfigError, FAR, id="year_9999_date"),
    pytest.param(dt.datetime(9999, 1, 1), ConfigError, FAR, id="year_9999_datetime"),
    pytest.param(np.datetime64("9999-01-01", "s"), ConfigError, FAR, id="year_9999_dt64_s"),
    pytest.param(np.datetime64("0001-01-01", "ms"), ConfigError, FAR, id="year_1_dt64_ms"),
    pytest.param(
        pd.Timestamp("2025-04-01", tz="UTC"), ConfigError, "naive, like the date column", id="aware"
    ),
]

#: (entry, parameter): each cut-off parameter of each entry point.
CUTOFFS: list[tuple[str, str]] = [
    ("classify_lifecycle", "as_of"),
    ("lifecycle_history", "as_of"),
    ("lifecycle_history_freq", "start"),
    ("lifecycle_history_freq", "end"),
    ("cohort_retention", "as_of"),
    ("churn_rate", "start"),
    ("churn_rate", "end"),
    ("reactivation_rate", "start"),
    ("repurchase_rate", "end"),
    ("retention_rate", "start"),
    ("retention_rate", "base_start"),
    ("rates_by_period_churn", "start"),
    ("rates_by_period_retention", "end"),
]


#: Cut-offs whose None is a documented default (start/end of the data, one window back).
NONE_IS_DEFAULT = {
    ("cohort_retention", "as_of"),
    ("lifecycle_history_freq", "start"),
    ("lifecycle_history_freq", "end"),
    ("retention_rate", "base_start"),
    ("rates_by_period_churn", "start"),
    ("rates_by_period_retention", "end"),
}


@pytest.mark.parametrize(("entry", "parameter"), CUTOFFS)
@pytest.mark.parametrize(("value", "error", "fragment"), BAD_INSTANTS)
def test_cutoffs_are_read_by_the_one_instant_reader(
    entry: str, parameter: str, value: Any, error: type[CrmkitError], fragment: str
) -> None:
    """Regression: year 9999 raised OverflowError/OutOfBoundsDatetime, '01/04/2025' was
    read month-first (4 January), year 1 as a date string gave an OverflowError."""
    given = [value] if (entry, parameter) == ("lifecycle_history", "as_of") else value
    call = functools.partial(LOG_ENTRY_POINTS[entry], **{parameter: given})
    if (entry, parameter) in NONE_IS_DEFAULT and value is None:
        call(_tx())  # documented: None means the default (first or last purchase, ...)
        return
    err = _refused(call, _tx(), error, fragment, field=parameter, secrets=(_SECRET,))
    assert err.rows == ()


@pytest.mark.parametrize(
    ("entry", "options", "error", "field", "fragment"),
    [
        ("churn_rate", {"end": "2025-02-01"}, ConfigError, "end", "must be after start"),
        ("retention_rate", {"base_start": "2025-03-01"}, ConfigError, "start", "after base_start"),
        ("rates_by_period_churn", {"end": "2025-01-15"}, ConfigError, "end", "complete 'M'"),
        ("rates_by_period_churn", {"freq": "fortnight"}, ConfigError, "freq", "one of ['D'"),
        ("rates_by_period_churn", {"rate": "bogus"}, ConfigError, "rate", "one of ['churn'"),
        ("lifecycle_history", {"as_of": []}, ConfigError, "as_of", "at least one snapshot"),
        ("lifecycle_history", {"as_of": ["2025-03-01"] * 2}, ConfigError, "as_of", "distinct"),
        ("lifecycle_history", {"as_of": "2025-03-01"}, ConfigError, "as_of", "a list of dates"),
        ("lifecycle_history", {"freq": "M"}, ConfigError, "as_of", "found both"),
        ("lifecycle_history_freq", {"freq": "X"}, ConfigError, "freq", "one of ['D'"),
        ("cohort_retention", {"freq": "X"}, ConfigError, "freq", "one of ['D'"),
        ("cohort_retention", {"metric": "orders"}, ConfigError, "metric", "'customers', 'rev"),
        ("cohort_retention_revenue", {"amount": None}, ConfigError, "amount", "metric='revenue'"),
        ("classify_lifecycle", {"policy": {"dormant": 3}}, ConfigError, "policy", "Lifecycle"),
        ("classify_lifecycle", {"timezone": "Mars/Base"}, ConfigError, "timezone", "IANA"),
        ("classify_lifecycle", {"refunds": "maybe"}, ConfigError, "refunds", "'net', 'drop'"),
        ("churn_rate", {"zero_amount": "x"}, ConfigError, "zero_amount", "'ignore', 'purch"),
        ("churn_rate", {"date_unit": "h"}, ConfigError, "date_unit", "'s', 'ms', 'us', 'ns'"),
        ("churn_rate", {"by": "region"}, ConfigError, "by", "a pandas Series (or mapping)"),
        ("churn_rate", {"by": [1, 2, 3]}, ConfigError, "by", "found list"),
        (
            "reactivation_rate", {"from_stages": ["zombie"]}, ConfigError, "from_stages",
            "one or more of the policy's stages",
        ),
        ("reactivation_rate", {"from_stages": []}, ConfigError, "from_stages", "found none"),
        ("cohort_retention", {"customer": "cust"}, SchemaError, "cust", "must be present"),
        ("btyd_summary", {"freq": "fortnight"}, ConfigError, "freq", "must be one of"),
        (
            "calibration_holdout", {"calibration_end": "2025-05-01"}, ConfigError,
            "calibration_end", "before as_of",
        ),
    ],
)  # fmt: skip
def test_bad_options_name_the_parameter(
    entry: str, options: dict[str, Any], error: type[CrmkitError], field: str, fragment: str
) -> None:
    call = functools.partial(LOG_ENTRY_POINTS[entry], **options)
    _refused(call, _tx(), error, fragment, field=field, secrets=(_SECRET,))


def test_segments_by_customer_refuse_repeats_and_count_the_unassigned() -> None:
    """``by`` with repeated ids is an error naming them; customers without a segment
    (missing from ``by`` or NaN there) are left out of the segments and counted."""
    tx = _tx()
    _refused(
        functools.partial(churn_rate, **WINDOW, by=pd.Series(["a", "b"], index=["c1", "c1"])),
        tx, InvalidInputError, "one segment per customer id", field="by", rows=("c1",),
    )  # fmt: skip
    plain = repurchase_rate(tx, start="2025-01-01", end="2025-04-01", by={"c1": "a", "c2": "b"})
    assert plain.unassigned == 1  # c3
    assert plain.by_segment["denominator"].tolist() == [1, 1]
    nan_segment = pd.Series({"c1": np.nan, "c2": "b", "c3": "b"})
    r = repurchase_rate(tx, start="2025-01-01", end="2025-04-01", by=nan_segment)
    assert r.unassigned == 1
    assert r.by_segment.loc["b", "denominator"] == 2
    extra = pd.Series({"c1": "a", "c2": "a", "c3": "a", "zz": "q"})  # zz bought nothing
    r = repurchase_rate(tx, start="2025-01-01", end="2025-04-01", by=extra)
    assert r.by_segment.loc["q", "denominator"] == 0
    assert r.unassigned == 0
    arrow = extra.astype("string[pyarrow]").set_axis(extra.index.astype("string[pyarrow]"))
    again = repurchase_rate(tx, start="2025-01-01", end="2025-04-01", by=arrow)
    assert again.to_dict() == r.to_dict()


def test_single_rows_and_repeated_rows_give_documented_results() -> None:
    one = _tx().iloc[:1]
    # One purchase 86 days before as_of: past the 30 'new' days, inside the default
    # 90-day gap before 'at risk' (no history: the policy's default gap).
    assert classify_lifecycle(one, as_of="2025-04-01")["stage"].tolist() == ["active"]
    assert cohort_retention(one, as_of="2025-04-01").sizes.tolist() == [1]
    assert churn_rate(one, **WINDOW).denominator == 1
    doubled = pd.concat([_tx(), _tx()])  # every purchase twice: the same days, same stages
    pd.testing.assert_frame_equal(
        classify_lifecycle(doubled, as_of="2025-04-01").drop(columns="purchase_days"),
        classify_lifecycle(_tx(), as_of="2025-04-01").drop(columns="purchase_days"),
    )
    assert churn_rate(doubled, **WINDOW).to_dict() == churn_rate(_tx(), **WINDOW).to_dict()


# --------------------------------------------------------------------------- overflow


def test_cohort_revenue_that_overflows_names_the_amount_column_and_cohorts() -> None:
    """Regression: revenue cells of 1e308 amounts were inf (written as null in JSON)."""
    tx = _tx().assign(amount=[1e308] * 6)
    err = _refused(
        LOG_ENTRY_POINTS["cohort_retention_revenue"], tx, InvalidInputError,
        "cohort revenues that overflow float64", field="amount", secrets=(_SECRET,),
    )  # fmt: skip
    assert err.rows == (pd.Period("2025-01", "M"), pd.Period("2025-03", "M"))
    counts = cohort_retention(tx, as_of="2025-04-01")  # customers: no sums, no overflow
    assert counts.sizes.tolist() == [2, 0, 1]  # 2025-02: an empty cohort, still a row


@pytest.mark.parametrize("entry", ["btyd_summary", "calibration_holdout"])
def test_mean_spends_that_overflow_name_the_amount_column(entry: str) -> None:
    """Regression: btyd_summary gave monetary_value = inf for 1e308 amounts."""
    tx = _tx().assign(amount=[1.0, 1.0, 1.0, 1e308, 1e308, 1e308])
    tx.loc[104:106, "date"] = pd.to_datetime(["2025-01-06", "2025-01-20", "2025-02-03"])
    err = _refused(
        LOG_ENTRY_POINTS[entry], tx, InvalidInputError, "mean spends that overflow",
        field="amount", secrets=(_SECRET,),
    )  # fmt: skip
    assert err.rows == ("c3",)


@pytest.mark.parametrize(
    "entry", [e for e in LOG_ENTRY_POINTS if e not in ("cohort_retention_revenue",)]
)
def test_huge_amounts_without_sums_are_fine(entry: str) -> None:
    """Where amounts only decide purchase or refund, 1e308 changes nothing."""
    if entry in ("btyd_summary", "calibration_holdout"):
        call = functools.partial(LOG_ENTRY_POINTS[entry], amount=None)
    else:
        call = LOG_ENTRY_POINTS[entry]
    huge = _tx().assign(amount=1e308)
    assert _comparable_equal(call(huge), call(_tx()))


def _comparable_equal(a: Any, b: Any) -> bool:
    left, right = _comparable(a), _comparable(b)
    if isinstance(left, pd.DataFrame):
        pd.testing.assert_frame_equal(left, right)
        return True
    return bool(left == right)


# ------------------------------------------------------------------------ transitions


def _history() -> pd.DataFrame:
    out: pd.DataFrame = lifecycle_history(_tx(), as_of=["2025-02-01", "2025-04-01"])
    return out


def test_transitions_refuse_what_is_not_a_history() -> None:
    h = _history()
    for bad, fragment in [
        (None, "'history' must be a pandas DataFrame; found NoneType"),
        (h.astype(str), "lifecycle stage categorical"),
        (h.iloc[:, :0], "must be (a snapshot of the history|at least two snapshots)"),
    ]:
        with pytest.raises(CrmkitError, match=fragment):
            transition_matrix(bad, "2025-02-01", "2025-04-01")
        with pytest.raises(CrmkitError, match=fragment):
            stage_flows(bad)
    for start, end, field in [
        ("2025-03-01", "2025-04-01", "start"),
        ("2025-04-01", "2025-02-01", "end"),
        ("2025-02-01", "9999-01-01", "end"),
    ]:
        with pytest.raises(ConfigError) as info:
            transition_matrix(h, start, end)
        assert info.value.field == field
    before = h.copy()
    counts = transition_matrix(h, "2025-02-01", "2025-04-01").counts
    # c1 and c2 are 'new' at 1 February and 'active' at 1 April; c3 arrives in March.
    assert int(counts.to_numpy().sum()) == 2
    assert counts.loc["new", "active"] == 2
    _unchanged(before, h)
    shuffled = h.iloc[::-1]
    pd.testing.assert_frame_equal(
        transition_matrix(shuffled, "2025-02-01", "2025-04-01").counts, counts
    )


# ------------------------------------------------------------------------- CLV models


def _count_summary() -> pd.DataFrame:
    summary = simulated_btyd_summary(300, seed=5)
    summary.index = pd.Index([f"c{i}" for i in range(len(summary))], name="customer_id")
    rng = np.random.default_rng(3)
    spend = rng.gamma(4.0, 10.0, len(summary)).round(2)
    summary["monetary_value"] = np.where(summary["frequency"] > 0, spend, 0.0)
    summary["email"] = _SECRET
    return summary


def _bgbb_summary() -> pd.DataFrame:
    """A BG/BB population over 6 opportunities (alpha 1.2, beta 0.75, gamma 0.66, delta 2.8)."""
    rng = np.random.default_rng(3)
    m, n = 400, 6
    p, theta = rng.beta(1.2, 0.75, m), rng.beta(0.66, 2.8, m)
    alive = np.ones(m, dtype=bool)
    x, tx = np.zeros(m), np.zeros(m)
    for t in range(1, n + 1):  # six opportunities, vectorised over customers
        buy = alive & (rng.random(m) < p)
        x += buy
        tx = np.where(buy, t, tx)
        alive &= rng.random(m) >= theta
    index = pd.Index([f"d{i}" for i in range(m)], name="customer_id")
    return pd.DataFrame({"frequency": x, "recency": tx, "n": float(n), "email": _SECRET}, index)


def _sbg_summary() -> pd.DataFrame:
    """Fader & Hardie's (2007) 'regular' cohort, one row per customer."""
    survivors = [1000, 869, 743, 653, 593, 551, 517, 491]
    periods = np.repeat(np.arange(1, 8), -np.diff(survivors))
    periods = np.concatenate([periods, np.full(survivors[-1], 7)])
    churned = np.arange(len(periods)) < survivors[0] - survivors[-1]
    index = pd.Index([f"s{i}" for i in range(len(periods))], name="customer_id")
    frame = {"periods": periods.astype(float), "churned": churned, "email": _SECRET}
    return pd.DataFrame(frame, index=index)


MODELS: dict[str, tuple[Any, Callable[[], pd.DataFrame], Callable[[Any, Any], Any]]] = {
    # name: (model, data, predict(fit, data))
    "BetaGeo": (BetaGeoModel(), _count_summary, lambda f, d: f.predict(d, 10)),
    "ModifiedBetaGeo": (ModifiedBetaGeoModel(), _count_summary, lambda f, d: f.predict(d, 10)),
    "ParetoNBD": (ParetoNBDModel(), _count_summary, lambda f, d: f.predict(d, 10)),
    "GammaGamma": (
        GammaGammaModel(),
        lambda: _count_summary().query("frequency > 0"),
        lambda f, d: f.predict(d),
    ),
    "BetaGeoBetaBinom": (BetaGeoBetaBinomModel(), _bgbb_summary, lambda f, d: f.predict(d, 3)),
    "ShiftedBetaGeo": (ShiftedBetaGeoModel(), _sbg_summary, lambda f, d: f.predict(d, 3)),
}
FIRST_COLUMN = {"ShiftedBetaGeo": "periods"}


@functools.cache
def _fitted(name: str) -> Any:
    model, data, _ = MODELS[name]
    return model.fit(data())


def _at(frame: pd.DataFrame, column: str, row: int, value: Any) -> pd.DataFrame:
    out = frame.copy()
    values = out[column].astype(object) if isinstance(value, str) else out[column].copy()
    values.iloc[row] = value
    out[column] = values
    return out


#: (id, change(data, column), error, fragment, field-is-the-column, row position)
BAD_SUMMARIES: list[Any] = [
    _case("none", lambda d, c: None, InvalidInputError, "a pandas DataFrame; found NoneType",
          "data", None),
    _case("dict", lambda d, c: d.to_dict("list"), InvalidInputError, "found dict", "data", None),
    _case("missing_column", lambda d, c: d.drop(columns=c), SchemaError, "must be present",
          "column", None),
    _case("nan", lambda d, c: _at(d, c, 2, np.nan), InvalidInputError, "1 missing values",
          "column", 2),
    _case("inf", lambda d, c: _at(d, c, 3, np.inf), InvalidInputError, "1 infinite values",
          "column", 3),
    _case("minus_inf", lambda d, c: _at(d, c, 3, -np.inf), InvalidInputError,
          "1 infinite values", "column", 3),
    _case("1e308", lambda d, c: _at(d, c, 4, 1e308), InvalidInputError,
          "at most 2**53 (about 9.0e15)", "column", 4),
    _case("junk_text", lambda d, c: _at(d, c, 5, "x"), SchemaError, "1 non-numeric value",
          "column", 5),
    _case("datetimes", lambda d, c: d.assign(**{c: pd.Timestamp("2025-01-01")}), SchemaError,
          "non-numeric values (dtype datetime64", "column", 0),
]  # fmt: skip


@pytest.mark.parametrize("name", list(MODELS))
@pytest.mark.parametrize("case", BAD_SUMMARIES)
def test_clv_fit_and_predict_refuse_bad_summaries(name: str, case: tuple[Any, ...]) -> None:
    change, error, fragment, field, row = case
    model, data, predict = MODELS[name]
    plain = data()
    column = FIRST_COLUMN.get(name, "frequency")
    bad = change(plain, column)
    want = column if field == "column" else field
    rows = () if row is None else (plain.index[row],)
    for call in (model.fit, functools.partial(predict, _fitted(name))):
        err = _refused(call, bad, error, fragment, field=want, secrets=(_SECRET,))
        if row is not None:
            assert err.rows[:1] == rows


@pytest.mark.parametrize("name", list(MODELS))
def test_clv_empty_and_single_rows(name: str) -> None:
    """Fits need a population (an error); predictions map rows to rows (empty: empty)."""
    model, data, predict = MODELS[name]
    plain = data()
    _refused(model.fit, plain.iloc[:0], InvalidInputError, "at least one row", field="data")
    with pytest.raises(InvalidInputError, match=r"at least 2|fewer than 2"):
        model.fit(plain.iloc[:1])
    fit = _fitted(name)
    assert len(predict(fit, plain.iloc[:0])) == 0
    one = predict(fit, plain.iloc[:1])
    pd.testing.assert_frame_equal(one, predict(fit, plain).iloc[:1])


@pytest.mark.parametrize("name", list(MODELS))
def test_clv_valid_variants_equal_the_plain_result(name: str) -> None:
    model, data, predict = MODELS[name]
    plain = data()
    fit = _fitted(name)
    expected = predict(fit, plain)
    numbers = [c for c in plain.columns if plain[c].dtype == np.float64]
    variants = {
        "arrow": plain.astype(dict.fromkeys(numbers, "double[pyarrow]")),
        "nullable": plain.astype(dict.fromkeys(numbers, "Float64")),
        "object": plain.astype(dict.fromkeys(numbers, object)),
        "unicode": plain.set_axis([f"客户{i}" for i in range(len(plain))]),
        "multiindex": plain.set_axis(pd.MultiIndex.from_arrays([["x"] * len(plain), plain.index])),
        "repeated_index": plain.set_axis(["same"] * len(plain)),
        "shuffled": plain.iloc[::-1],
    }
    for label, frame in variants.items():
        before = frame.copy()
        got = predict(fit, frame)
        _unchanged(before, frame)
        assert got.index.equals(frame.index), label
        restored = got.set_axis(plain.index[::-1] if label == "shuffled" else plain.index)
        pd.testing.assert_frame_equal(restored.loc[plain.index], expected, obj=label)
        if label in ("arrow", "nullable", "shuffled"):
            assert model.fit(frame).params == pytest.approx(fit.params, rel=1e-5), label


@pytest.mark.parametrize("name", list(MODELS))
def test_clv_largest_accepted_values_give_finite_results(name: str) -> None:
    """2**53 is accepted and predicts finite numbers; above it is refused (1e308 above).

    BG/BB holds one likelihood column per opportunity: at most 10,000 opportunities
    (regression: n = 2**53 tried to allocate 64 PiB, a MemoryError).
    """
    _, data, predict = MODELS[name]
    column = {"BetaGeoBetaBinom": "n", "ShiftedBetaGeo": "periods", "GammaGamma": "monetary_value"}
    largest = 10_000.0 if name == "BetaGeoBetaBinom" else 2.0**53
    frame = _at(data(), column.get(name, "T"), 0, largest)
    got = predict(_fitted(name), frame)
    assert np.isfinite(got.to_numpy(dtype=float)).all()
    bigger = largest + 1 if name == "BetaGeoBetaBinom" else np.nextafter(largest, np.inf)
    above = _at(data(), column.get(name, "T"), 0, bigger)
    fragment = "at most 10,000 opportunities" if name == "BetaGeoBetaBinom" else "at most 2**53"
    err = _refused(functools.partial(predict, _fitted(name)), above, InvalidInputError, fragment)
    assert err.rows == (above.index[0],)


@pytest.mark.parametrize("name", list(MODELS))
def test_clv_from_dict_refuses_bad_documents(name: str) -> None:
    fit = _fitted(name)
    kind = type(fit)
    doc = fit.to_dict()
    assert kind.from_dict(doc) == fit
    for bad, fragment in [
        (None, "must be a mapping; found NoneType"),
        ([], "must be a mapping; found list"),
        ({**doc, "surprise": 1}, "'surprise' must be one of"),
        ({k: v for k, v in doc.items() if k != "params"}, "'params' must be present"),
        ({**doc, "params": None}, "'params'"),
        ({**doc, "params": dict.fromkeys(doc["params"], float("nan"))}, "params"),
        ({**doc, "params": dict.fromkeys(doc["params"], -1.0)}, "params"),
    ]:
        with pytest.raises(ConfigError) as info:
            kind.from_dict(bad)
        assert fragment in str(info.value)
    model_kind = type(MODELS[name][0])
    with pytest.raises(ConfigError, match="'bogus' must be one of"):
        model_kind.from_dict({**MODELS[name][0].to_dict(), "bogus": 1})


# -------------------------------------------------------------- potential_from_value


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        pytest.param(case[1], case[2:], id=case[0])
        for case in BAD_VALUES
        if case[0] not in ("nested", "matrix", "mapping", "text")  # a Series is required
    ],
)
def test_potential_from_value_refuses_bad_values(values: Any, expected: tuple[Any, ...]) -> None:
    error, fragment, field, rows = expected
    if not isinstance(values, pd.Series):
        with pytest.raises(InvalidInputError, match="Series"):
            potential_from_value(values)
        return
    err = _refused(potential_from_value, values, error, fragment, field=field)
    assert err.rows == rows


def test_potential_from_value_variants_and_options() -> None:
    plain = potential_from_value(PLAIN)
    for variant in (
        PLAIN.astype("double[pyarrow]"),
        PLAIN.astype("Float64"),
        PLAIN.set_axis(["客户", "Zoë", "😀", "d", "e", "f"]),
    ):
        got = potential_from_value(variant)
        assert got.tolist() == plain.tolist()
        assert got.index.equals(variant.index)
    shuffled = potential_from_value(PLAIN.iloc[::-1])
    pd.testing.assert_series_equal(shuffled.loc[PLAIN.index], plain)
    for options, field in [
        ({"shares": (0.5, 0.2)}, "shares"),
        ({"shares": (0.2, float("nan"))}, "shares"),
        ({"levels": ("a", "a", "b")}, "levels"),
    ]:
        with pytest.raises(ConfigError) as info:
            potential_from_value(PLAIN, **options)
        assert info.value.field == field


# ------------------------------------------------------------ abc_classify(groups=...)

GROUPS = pd.Series(["x", "x", "y", "y", "x", "y"], index=PLAIN.index, name="region")
GROUP_CUTS = {"x": (500.0, 30.0), "y": (100.0, 10.0)}
by_group = functools.partial(abc_classify, PLAIN, method="thresholds", cuts=GROUP_CUTS)


@pytest.mark.parametrize(
    ("groups", "fragment", "rows"),
    [
        ("region", "(a Series, array or list); found str", ()),
        ({"c1": "x"}, "found dict", ()),
        (None, "one group label per customer when cuts is a mapping", ()),
        (["x", "y", "x"], "6 labels (one per value); found 3", ()),
        (GROUPS.iloc[:3], "indexed by the values' labels", ()),
        (GROUPS.set_axis(["c1"] * 6), "indexed by the values' labels", ()),
        (GROUPS.set_axis(list("abcdef")), "indexed by the values' labels", ()),
        (GROUPS.where(GROUPS.index != "c3"), "1 customers in groups without thresholds", ("c3",)),
        (GROUPS.replace("y", "z"), "3 customers in groups without thresholds", ("c3", "c4", "c6")),
    ],
)
def test_abc_groups_are_paired_by_label_or_refused(
    groups: Any, fragment: str, rows: tuple[Any, ...]
) -> None:
    """Regression: a groups Series in another order was paired by position (wrong
    thresholds, no error) and groups='region' was read letter by letter."""
    error = ConfigError if groups is None else InvalidInputError
    with pytest.raises(error) as info:
        by_group(groups=groups)
    assert info.value.field == "groups"
    assert fragment in str(info.value)
    assert info.value.rows == rows


def test_abc_groups_valid_variants_equal_the_plain_result() -> None:
    # c4 (980.25, y: >= 100) is A; c1 (120, x: 30..500) B; c3 (0, y) C; ...
    plain = by_group(groups=GROUPS)
    assert plain["abc_class"].tolist() == ["B", "B", "C", "A", "B", "B"]
    for variant in (
        GROUPS.iloc[::-1],
        list(GROUPS),
        GROUPS.to_numpy(),
        GROUPS.astype("category"),
        GROUPS.astype("string[pyarrow]"),
    ):
        pd.testing.assert_frame_equal(by_group(groups=variant), plain)


# ------------------------------------------------- the CLV helpers over summaries

CLV_HELPERS: dict[str, Callable[[Any], Any]] = {
    "customer_lifetime_value": lambda data: customer_lifetime_value(
        data, _fitted("BetaGeo"), _fitted("GammaGamma")
    ),
    "period_transactions": lambda data: period_transactions(data, _fitted("BetaGeo")),
}


@pytest.mark.parametrize("helper", list(CLV_HELPERS))
@pytest.mark.parametrize("case", BAD_SUMMARIES)
def test_clv_helpers_refuse_bad_summaries(helper: str, case: tuple[Any, ...]) -> None:
    change, error, fragment, field, row = case
    plain = _count_summary()
    err = _refused(
        CLV_HELPERS[helper], change(plain, "frequency"), error, fragment,
        field="frequency" if field == "column" else field, secrets=(_SECRET,),
    )  # fmt: skip
    if row is not None:
        assert err.rows[:1] == (plain.index[row],)


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({"T": float("nan")}, "T"),
        ({"T": -1}, "T"),
        ({"T": float("inf")}, "T"),  # was a bare OverflowError
        ({"T": 1e308}, "T"),  # was a bare ValueError (a grid of 1e308 rows)
        ({"T": True}, "T"),
        ({"T": 10, "t": float("inf")}, "t"),  # was a matrix of inf
        ({"T": 10, "t": -1}, "t"),
        ({"T": 10, "max_frequency": 10**7}, "max_frequency"),
        ({"T": 10, "quantity": "clv"}, "quantity"),
    ],
)
def test_frequency_recency_matrix_refuses_bad_options(options: dict[str, Any], field: str) -> None:
    with pytest.raises(ConfigError) as info:
        frequency_recency_matrix(_fitted("BetaGeo"), **options)
    assert info.value.field == field
    grid = frequency_recency_matrix(_fitted("BetaGeo"), T=10, t=0)
    assert grid.shape == (11, 11)
    assert np.nanmax(grid.to_numpy()) == 0.0  # nothing is bought in no time


class TestModelArgumentsNamed:
    """A model's prediction arguments that are not numbers, or do not broadcast, raise an
    InvalidInputError naming the parameter (numpy's bare ValueError before)."""

    def test_text_horizon_names_t(self) -> None:
        from crmkit.segmentation import BetaGeoBetaBinomFit, BetaGeoFit, ShiftedBetaGeoFit

        bgbb = BetaGeoBetaBinomFit(
            params={"alpha": 1.204, "beta": 0.750, "gamma": 0.657, "delta": 2.783}
        )
        bg = BetaGeoFit(params={"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426})
        sbg = ShiftedBetaGeoFit(params={"alpha": 1.0, "beta": 1.0})
        for call in (
            lambda: bgbb.expected_population_purchases("a"),
            lambda: bg.expected_population_purchases("a"),
            lambda: sbg.survival("a"),
        ):
            with pytest.raises(InvalidInputError, match=r"'t' must be numbers; found 'a'"):
                call()

    def test_shapes_that_do_not_broadcast_name_both(self) -> None:
        from crmkit.segmentation import ShiftedBetaGeoFit

        sbg = ShiftedBetaGeoFit(params={"alpha": 1.0, "beta": 1.0})
        with pytest.raises(InvalidInputError, match=r"'t and periods' must be shapes") as info:
            sbg.probability_renew([1, 2], [1, 2, 3])
        assert "t (2,), periods (3,)" in str(info.value)

    def test_bad_periods_name_periods_not_t(self) -> None:
        """probability_renew(t, periods): a negative ``periods`` was reported as 't'."""
        from crmkit.segmentation import ShiftedBetaGeoFit

        sbg = ShiftedBetaGeoFit(params={"alpha": 1.0, "beta": 1.0})
        with pytest.raises(InvalidInputError, match="'periods' must be whole numbers") as info:
            sbg.probability_renew(1, [0, -1])
        assert info.value.rows == (1,)

    def test_gamma_gamma_names_monetary(self) -> None:
        from crmkit.segmentation import GammaGammaFit

        gg = GammaGammaFit(params={"p": 6.25, "q": 3.74, "v": 15.44})
        with pytest.raises(InvalidInputError, match="'monetary' must be numbers"):
            gg.expected_spend(2, ["x", "y"])
