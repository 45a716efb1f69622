"""SurveyOptions (one frozen value for the options every survey metric shares) and the
results' to_dict()."""

from __future__ import annotations

import json
import pickle

import attrs
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings

from crmkit.errors import ConfigError
from crmkit.service import (
    DurationQuantiles,
    NpsScheme,
    SurveyOptions,
    ces,
    compare_nps,
    compare_proportions,
    complaint_rate,
    csat,
    duration_quantiles,
    metric_table,
    nps,
    nps_from_counts,
)
from tests.strategies import examples, nps_scores, survey_frames, survey_options

SCORES = [10, 9, None, 3, 8, 10, 0, 7, 11]


def test_options_equal_the_keywords() -> None:
    """Every option given through SurveyOptions gives the result of the same keywords."""
    opts = SurveyOptions(
        weights_kind="frequency",
        ci="score",
        level=0.9,
        missing="include",
        invalid="exclude",
        population_size=500,
        min_n=3,
    )
    kw = {
        "weights_kind": "frequency",
        "ci": "score",
        "level": 0.9,
        "missing": "include",
        "invalid": "exclude",
        "population_size": 500,
        "min_n": 3,
    }
    w = [1, 2, 1, 1, 3, 1, 1, 2, 1]
    assert nps(SCORES, weights=w, options=opts) == nps(SCORES, weights=w, **kw)  # type: ignore[arg-type]
    shares = [5, 4, None, 1, 9, 2]
    kw_s = {**kw, "ci": "jeffreys"}
    opts_s = attrs.evolve(opts, ci="jeffreys")
    assert csat(shares, options=opts_s) == csat(shares, **kw_s)  # type: ignore[arg-type]
    assert ces(shares, options=opts_s) == ces(shares, **kw_s)  # type: ignore[arg-type]


def test_default_options_equal_no_options() -> None:
    """SurveyOptions() is exactly the keyword defaults of every metric."""
    assert nps(SCORES[:-1], options=SurveyOptions()) == nps(SCORES[:-1])
    assert csat([5, 4, 1], options=SurveyOptions()) == csat([5, 4, 1])
    assert ces([7, 1], options=SurveyOptions()) == ces([7, 1])
    df = pd.DataFrame({"nps": [9, 3, 10], "date": pd.to_datetime(["2025-01-01"] * 3)})
    pd.testing.assert_frame_equal(metric_table(df, options=SurveyOptions()), metric_table(df))


def test_a_keyword_given_explicitly_wins_over_the_option() -> None:
    """Even a keyword equal to the global default overrides the stored option."""
    opts = SurveyOptions(level=0.8, ci="wald", min_n=0)
    r = nps([10, 9, 3], options=opts, level=0.95)
    assert r.interval is not None
    assert (r.interval.level, r.interval.method, r.min_n) == (0.95, "wald", 0)
    assert nps([10, 9, 3], options=opts, ci=None).interval is None
    # "default" is each metric's own method.
    assert nps([10], options=SurveyOptions(ci="default")).interval.method == "adjusted_wald"  # type: ignore[union-attr]
    assert csat([5], options=SurveyOptions(ci="default")).interval.method == "wilson"  # type: ignore[union-attr]


def test_metric_table_takes_the_weight_column_and_kind_from_options() -> None:
    """options.weights names metric_table's weight column; frequency weights duplicate rows."""
    df = pd.DataFrame(
        {"nps": [10, 9, 3, 7], "w": [2, 1, 1, 3], "date": pd.to_datetime(["2025-01-05"] * 4)}
    )
    by_opts = metric_table(df, options=SurveyOptions(weights="w", weights_kind="frequency"))
    by_kw = metric_table(df, weights="w", weights_kind="frequency")
    pd.testing.assert_frame_equal(by_opts, by_kw)
    dup = pd.DataFrame({"nps": [10, 10, 9, 3, 7, 7, 7], "date": pd.to_datetime(["2025-01-05"] * 7)})
    pd.testing.assert_frame_equal(by_kw, metric_table(dup), check_dtype=False)


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda: nps([1], options=SurveyOptions(weights="w")), "options.weights"),
        (lambda: csat([1], options={"level": 0.9}), "options"),  # type: ignore[arg-type]
        (lambda: nps([1], options=SurveyOptions(ci="wilson")), "ci"),
        (lambda: csat([1], options=SurveyOptions(ci="score")), "ci"),
        (
            lambda: metric_table(
                pd.DataFrame({"nps": [1]}), freq=None, options=SurveyOptions(population_size=9)
            ),
            "options.population_size",
        ),
        (lambda: SurveyOptions(level=1.0), "level"),
        (lambda: SurveyOptions(min_n=-1), "min_n"),
        (lambda: SurveyOptions(population_size=0), "population_size"),
        (lambda: SurveyOptions(ci="bayes"), "ci"),
        (lambda: SurveyOptions(weights_kind="analytic"), "weights_kind"),
        (lambda: SurveyOptions(invalid="drop"), "invalid"),
        (lambda: SurveyOptions(weights=3), "weights"),  # type: ignore[arg-type]
        (lambda: SurveyOptions.from_dict({"levels": 0.9}), "levels"),
    ],
)
def test_bad_options_are_config_errors(call: object, field: str) -> None:
    """Bad options name the field (and the metric when only the metric can tell)."""
    with pytest.raises(ConfigError, match=f"'{field}'"):
        call()  # type: ignore[operator]


@given(survey_options())
def test_options_round_trip_through_json_and_pickle(opts: SurveyOptions) -> None:
    """The options are a rule value: JSON and pickle give an equal, equally hashed value."""
    back = SurveyOptions.from_dict(json.loads(json.dumps(opts.to_dict())))
    assert back == opts
    assert hash(back) == hash(opts)
    assert pickle.loads(pickle.dumps(opts)) == opts


# --------------------------------------------------------------------------- results to_dict


def _json_round(d: dict[str, object]) -> dict[str, object]:
    return json.loads(json.dumps(d, allow_nan=False))  # type: ignore[no-any-return]


def test_result_to_dict_hand_checked() -> None:
    """NpsResult.to_dict: plain JSON types, exact score as text, scheme as its rule dict."""
    d = nps_from_counts(1, 2, 3).to_dict()
    assert d["exact"] == "100/3"
    assert d["n"] == 6
    assert d["interval"] == {
        "lower": pytest.approx(d["interval"]["lower"]),  # type: ignore[index]
        "upper": pytest.approx(d["interval"]["upper"]),  # type: ignore[index]
        "level": 0.95,
        "method": "adjusted_wald",
    }
    assert NpsScheme.from_dict(d["scheme"]) == NpsScheme()  # type: ignore[arg-type]
    assert _json_round(d) == d


def test_unbounded_interval_ends_become_none() -> None:
    """JSON has no infinity: an unbounded t interval end (no scale bounds) reads None."""
    from crmkit.service._survey_results import json_ready

    assert json_ready({"x": (float("-inf"), np.float64(2.5), np.int64(3))}) == {"x": [None, 2.5, 3]}
    with pytest.raises(TypeError, match="no JSON form"):
        json_ready(object())


def test_every_result_type_has_a_json_to_dict() -> None:
    """One instance of each result type (NPS, scale, comparisons, KPI) dumps as strict JSON."""
    tickets = pd.DataFrame(
        {
            "created_at": pd.to_datetime(["2025-01-06 09:00"] * 2).tz_localize("UTC"),
            "first_reply_at": pd.to_datetime(["2025-01-06 10:00", None]).tz_localize("UTC"),
        }
    )
    quantiles = duration_quantiles(tickets, as_of=pd.Timestamp("2025-01-07", tz="UTC"))
    assert isinstance(quantiles, DurationQuantiles)
    results = [
        nps([10, 9, 3]),
        nps([]),
        csat([5, 4, 1]),
        ces([1, 2], version="1.0"),
        compare_nps(nps([10, 9]), nps([1, 2])),
        compare_proportions((3, 5), (1, 4)),
        complaint_rate(3, exposure=100),
        complaint_rate(0, exposure=0),
        quantiles,
    ]
    for r in results:
        d = r.to_dict()
        assert set(d) == {a.name for a in attrs.fields(type(r))}
        assert _json_round(d) == d
    assert quantiles.to_dict()["values"][0] == 3600.0


@settings(max_examples=examples(40))
@given(nps_scores)
def test_nps_to_dict_is_always_strict_json(scores: list[int | None]) -> None:
    """Any NPS result (empty, one category, weighted) gives strict JSON."""
    for r in (nps(scores), nps(scores, weights=[1.5] * len(scores), ci="wald")):
        d = r.to_dict()
        assert _json_round(d) == d


@settings(max_examples=examples(25), deadline=None)
@given(survey_frames(max_rows=30), survey_options())
def test_metric_table_with_any_options_matches_its_keywords(
    frame: pd.DataFrame, opts: SurveyOptions
) -> None:
    """Whatever the stored options, metric_table(options=o) equals the keyword call."""
    opts = attrs.evolve(
        opts,
        weights=None if opts.weights is None else "weight",
        population_size=None,
        weights_kind="sampling",
        invalid="exclude",
        ci=opts.ci if opts.ci in (None, "default", "adjusted_wald", "wald", "score") else None,
    )
    kw = {f.name: getattr(opts, f.name) for f in attrs.fields(SurveyOptions)}
    kw.pop("population_size")
    if kw["ci"] == "default":
        kw["ci"] = None
    a = metric_table(frame, "nps", by="segment", options=opts)
    b = metric_table(frame, "nps", by="segment", **kw)
    pd.testing.assert_frame_equal(a, b)
