"""Tests of the service KPIs: censored percentiles, FCR, reopen, backlog, complaints, follow-ups."""

from __future__ import annotations

import datetime as dt
import itertools
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crmkit.datasets import ticket_events, tickets
from crmkit.errors import ConfigError, InvalidInputError, SchemaError
from crmkit.service import (
    BusinessCalendar,
    RateResult,
    backlog,
    complaint_rate,
    duration_quantiles,
    first_contact_resolution,
    followup_completion,
    reopen_rate,
    repeat_complaint_rate,
)
from crmkit.service._kpi import _business_day_ages, _kaplan_meier
from tests.strategies import calendar_windows, examples

UTC = dt.UTC
T0 = pd.Timestamp("2025-01-06 09:00", tz="UTC")


def frame(hours: list[float | None], created_offsets: list[float] | None = None) -> pd.DataFrame:
    created = [T0 + pd.Timedelta(hours=h) for h in (created_offsets or [0.0] * len(hours))]
    replies = [
        pd.NaT if h is None else c + pd.Timedelta(hours=h)
        for c, h in zip(created, hours, strict=True)
    ]
    return pd.DataFrame(
        {
            "created_at": pd.Series(created, dtype="datetime64[ns, UTC]"),
            "first_reply_at": pd.Series(replies, dtype="datetime64[ns, UTC]"),
        }
    )


# --------------------------------------------------------------------------- durations


def test_linear_and_nearest_rank_match_numpy() -> None:
    hours = [1.0, 2.0, 4.0, 8.0, 16.0, 3.0, 5.0]
    f = frame(hours)  # type: ignore[arg-type]
    secs = np.array(hours) * 3600
    lin = duration_quantiles(f, q=(0.5, 0.9), method="linear", censoring="exclude")
    near = duration_quantiles(f, q=(0.5, 0.9))
    for i, q in enumerate((0.5, 0.9)):
        assert lin.values[i] == dt.timedelta(seconds=float(np.quantile(secs, q, method="linear")))
        assert near.values[i] == dt.timedelta(
            seconds=float(np.quantile(secs, q, method="inverted_cdf"))
        )
    assert lin.method == "linear"
    assert near.censoring == "kaplan_meier"


def test_kaplan_meier_matches_scipy_ecdf() -> None:
    from scipy import stats

    rng = np.random.default_rng(4)
    t = np.round(rng.exponential(5, 80), 1) + 0.1
    event = rng.random(80) < 0.7
    times, surv, low, high = _kaplan_meier(t, event, 1.959963984540054)
    res = stats.ecdf(stats.CensoredData(uncensored=t[event], right=t[~event]))
    np.testing.assert_allclose(surv, res.sf.evaluate(times), atol=1e-12)
    ci = res.sf.confidence_interval(0.95, method="linear")
    np.testing.assert_allclose(low, ci.low.evaluate(times), atol=1e-9)
    np.testing.assert_allclose(high, ci.high.evaluate(times), atol=1e-9)


def _censored_frame(days: list[float], events: list[int]) -> tuple[pd.DataFrame, pd.Timestamp]:
    """Durations in days; censored ones are tickets still waiting at ``as_of``."""
    as_of = T0 + pd.Timedelta(days=400)
    created = [T0 if e else as_of - pd.Timedelta(days=d) for d, e in zip(days, events, strict=True)]
    replies = [
        c + pd.Timedelta(days=d) if e else pd.NaT
        for c, d, e in zip(created, days, events, strict=True)
    ]
    f = pd.DataFrame(
        {
            "created_at": pd.Series(created, dtype="datetime64[ns, UTC]"),
            "first_reply_at": pd.Series(replies, dtype="datetime64[ns, UTC]"),
        }
    )
    return f, as_of


def _days(v: dt.timedelta | None) -> float | None:
    return None if v is None else v.total_seconds() / 86400


@pytest.mark.parametrize(
    ("days", "events", "expected"),
    [
        # R survival's aml data (Miller 1981): survfit(Surv(time, status) ~ x, data = aml)
        # prints median 31, 0.95LCL 18, 0.95UCL NA (Maintained) and 23, 8, NA
        # (Nonmaintained) with its default conf.type = "log".
        (
            [9, 13, 13, 18, 23, 28, 31, 34, 45, 48, 161],
            [1, 1, 0, 1, 1, 0, 1, 1, 0, 1, 0],
            (31.0, 18.0, None),
        ),
        (
            [5, 5, 8, 8, 12, 16, 23, 27, 30, 33, 43, 45],
            [1, 1, 1, 1, 1, 0, 1, 1, 1, 1, 1, 1],
            (23.0, 8.0, None),
        ),
    ],
)
def test_km_median_and_log_band_match_r_survival_aml(
    days: list[float], events: list[int], expected: tuple[float, float, None]
) -> None:
    f, as_of = _censored_frame(days, events)
    for method in ("nearest_rank", "midpoint"):
        r = duration_quantiles(f, q=(0.5,), as_of=as_of, band="log", method=method)  # type: ignore[arg-type]
        assert (_days(r.values[0]), _days(r.lower[0]), _days(r.upper[0])) == expected


def test_midpoint_follows_r_survival_on_flat_pieces() -> None:
    """R ``quantile.survfit``: a curve flat at exactly 1 - q gives the flat piece's midpoint."""
    # Uncensored 1, 2, 3, 4 days: S = 0.5 on [2, 3): the median is 2.5 (nearest rank: 2).
    f, as_of = _censored_frame([1, 2, 3, 4], [1, 1, 1, 1])
    mid = duration_quantiles(f, q=(0.25, 0.5, 0.75), as_of=as_of, method="midpoint")
    near = duration_quantiles(f, q=(0.25, 0.5, 0.75), as_of=as_of)
    assert [_days(v) for v in mid.values] == [1.5, 2.5, 3.5]
    assert [_days(v) for v in near.values] == [1.0, 2.0, 3.0]
    # Events at 1 and 2, censored at 3 and 4: the curve ends flat at S = 0.5, so R takes
    # the midpoint of 2 and the last observed time 4 (its "lastpt" rule): 3.
    f, as_of = _censored_frame([1, 2, 3, 4], [1, 1, 0, 0])
    r = duration_quantiles(f, q=(0.5, 0.75), as_of=as_of, method="midpoint")
    assert _days(r.values[0]) == 3.0
    assert r.values[1] is None  # not reached


@settings(max_examples=examples(60))
@given(st.lists(st.integers(1, 20), min_size=1, max_size=25))
def test_midpoint_without_censoring_is_numpy_averaged_inverted_cdf(days: list[int]) -> None:
    f, as_of = _censored_frame([float(d) for d in days], [1] * len(days))
    qs = (0.1, 0.25, 0.3, 0.5, 0.75, 0.9)
    r = duration_quantiles(f, q=qs, as_of=as_of, method="midpoint")
    expected = [float(np.quantile(days, q, method="averaged_inverted_cdf")) for q in qs]
    assert [_days(v) for v in r.values] == pytest.approx(expected, abs=1e-9)


def test_km_band_is_undefined_where_s_is_zero() -> None:
    """Regression: at S = 0 the band was [0, 0]; R and scipy leave it undefined (NaN)."""
    t = np.array([1.0, 2.0, 3.0])
    for band in ("plain", "log"):
        _, surv, low, high = _kaplan_meier(t, np.ones(3, dtype=bool), 1.96, band)
        assert surv[-1] == 0.0
        assert np.isnan(low[-1])
        assert np.isnan(high[-1])
        assert np.isfinite(low[:-1]).all()


def test_censored_tickets_are_kept_not_dropped() -> None:
    # Replies after 1, 2 and 3 hours; two tickets still waiting 10 hours in.
    f = frame([1.0, 2.0, 3.0, None, None])
    as_of = T0 + pd.Timedelta(hours=10)
    km = duration_quantiles(f, q=(0.5, 0.9), as_of=as_of)
    assert (km.n, km.n_events, km.n_censored, km.n_excluded) == (5, 3, 2, 0)
    # S drops 1/5 per reply: F reaches 0.6 at 3 h, so P50 = 3 h; P90 is not reached.
    assert km.values[0] == dt.timedelta(hours=3)
    assert km.values[1] is None
    assert km.reason is not None
    assert "P90 not reached" in km.reason
    dropped = duration_quantiles(f, q=(0.5,), censoring="exclude", as_of=as_of)
    assert dropped.values[0] == dt.timedelta(hours=2)  # optimistic: the waiting ones vanish
    assert dropped.n_excluded == 2


def test_as_of_cuts_future_events_and_tickets() -> None:
    f = frame([1.0, 5.0, 1.0], created_offsets=[0.0, 0.0, 20.0])
    r = duration_quantiles(f, q=(0.5,), as_of=T0 + pd.Timedelta(hours=2))
    assert (r.n, r.n_events, r.n_censored, r.n_excluded) == (2, 1, 1, 1)


def test_business_calendar_durations() -> None:
    cal = BusinessCalendar("UTC", {"mon": [["09:00", "17:00"]], "tue": [["09:00", "17:00"]]})
    # Created Monday 16:00, replied Tuesday 10:00: 2 business hours, 18 wall-clock hours.
    f = pd.DataFrame(
        {
            "created_at": pd.Series([pd.Timestamp("2025-01-06 16:00", tz="UTC")]),
            "first_reply_at": pd.Series([pd.Timestamp("2025-01-07 10:00", tz="UTC")]),
        }
    )
    assert duration_quantiles(f, q=(0.5,), calendar=cal).values[0] == dt.timedelta(hours=2)
    assert duration_quantiles(f, q=(0.5,)).values[0] == dt.timedelta(hours=18)
    assert duration_quantiles(f, q=(0.5,), calendar=cal).business_time


def test_subtract_waiting_time() -> None:
    f = frame([5.0, 6.0]).assign(waiting_seconds=[3600 * 2, 3600 * 10])
    r = duration_quantiles(f, q=(0.5, 0.99), subtract="waiting_seconds")
    assert r.values == (dt.timedelta(0), dt.timedelta(hours=3))


def test_quantile_interval_brackets_the_estimate_on_sample_tickets() -> None:
    t = tickets(400, seed=2)
    as_of = t["created_at"].max() + pd.Timedelta(hours=1)
    r = duration_quantiles(t, end="resolved_at", as_of=as_of)
    assert r.n_censored > 0
    for v, lo, hi in zip(r.values, r.lower, r.upper, strict=True):
        assert v is not None
        assert lo is not None
        assert lo <= v
        assert hi is None or v <= hi
    assert len(r.to_frame()) == 2
    assert "P50" in r.format()


@settings(max_examples=examples(60))
@given(st.lists(st.one_of(st.floats(0, 100), st.none()), max_size=30), st.permutations(range(30)))
def test_km_is_order_independent_and_monotone(hours: list[float | None], perm: list[int]) -> None:
    f = frame(hours)
    as_of = T0 + pd.Timedelta(hours=200)
    r = duration_quantiles(f, q=(0.25, 0.5, 0.75), as_of=as_of)
    order = [p for p in perm if p < len(hours)]
    r2 = duration_quantiles(f.iloc[order], q=(0.25, 0.5, 0.75), as_of=as_of)
    assert r == r2
    known = [v for v in r.values if v is not None]
    assert known == sorted(known)
    assert r.n == len(hours)


def test_empty_and_tiny_inputs_do_not_raise() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        empty = duration_quantiles(frame([]))
        assert empty.values == (None, None)
        assert empty.reason == "no tickets"
        one = duration_quantiles(frame([2.0]))
        assert one.values == (dt.timedelta(hours=2), dt.timedelta(hours=2))
        waiting = duration_quantiles(frame([None]), as_of=T0 + pd.Timedelta(hours=1))
        assert waiting.values == (None, None)


# --------------------------------------------------------------------------- FCR and reopen


def _events(rows: list[tuple[str, str]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["ticket_id", "event"])


def _tickets3() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "ticket_id": ["a", "b", "c", "d"],
            "customer_id": [1, 1, 2, 3],
            "created_at": pd.to_datetime(
                ["2025-01-01", "2025-01-05", "2025-01-01", "2025-01-02"]
            ).tz_localize("UTC"),
            "resolved_at": pd.to_datetime(
                ["2025-01-02", "2025-01-06", "2025-01-03", None]
            ).tz_localize("UTC"),
        }
    )


def test_fcr_definitions() -> None:
    t = _tickets3()
    ev = _events(
        [
            ("a", "agent_reply"),
            ("b", "agent_reply"),
            ("b", "customer_reply"),
            ("b", "agent_reply"),
            ("c", "agent_reply"),
            ("d", "agent_reply"),
        ]
    )
    one = first_contact_resolution(t, ev)
    assert (one.successes, one.n, one.n_excluded) == (2, 3, 1)  # a and c; d unsolved
    assert one.definition == "one_touch"
    nf = first_contact_resolution(t, ev, definition="no_customer_followup")
    assert (nf.successes, nf.n) == (2, 3)
    # Customer 1 came back 3 days after ticket a was solved: a is not FCR within 7 days.
    rc = first_contact_resolution(t, definition="no_recontact_within", window=dt.timedelta(days=7))
    assert (rc.successes, rc.n) == (2, 3)
    short = first_contact_resolution(
        t, definition="no_recontact_within", window=dt.timedelta(days=2)
    )
    assert short.successes == 3
    # As of Jan 8, b's and c's 7-day windows are open and unbroken: undecided.
    as_of = pd.Timestamp("2025-01-08", tz="UTC")
    undecided = first_contact_resolution(t, definition="no_recontact_within", as_of=as_of)
    assert (undecided.successes, undecided.n, undecided.n_excluded) == (0, 1, 3)


NOBODY = "solved tickets without a customer id excluded (counted in n_excluded)"


@pytest.mark.parametrize("ids", [["c1", "c1", "c2", "c3"], [1, 1, 2, 3]], ids=["text", "int"])
@pytest.mark.parametrize(
    ("resolved", "anonymous", "as_of", "reason"),
    [
        ([None] * 4, False, None, "no solved tickets"),
        (["2025-02-01"] * 4, False, "2025-01-31", "no solved tickets"),  # solved later
        (["2025-01-02", None, None, None], True, None, f"no solved tickets; 1 {NOBODY}"),
    ],
    ids=["none_solved", "solved_after_as_of", "only_anonymous_solved"],
)
def test_fcr_no_recontact_within_without_solved_tickets_is_the_empty_result(
    ids: list[object], resolved: list[str | None], anonymous: bool, as_of: str | None, reason: str
) -> None:
    """No solved ticket to judge: no value, n = 0, every ticket excluded and the reason.

    Regression: pandas raised MergeError (the empty side of the merge had another dtype
    than the tickets' ids).
    """
    t = _tickets3().assign(
        customer_id=[None, *ids[1:]] if anonymous else ids,
        resolved_at=pd.to_datetime(resolved).tz_localize("UTC"),
    )
    r = first_contact_resolution(t, definition="no_recontact_within", as_of=as_of)
    kpi = "first_contact_resolution"
    assert r == RateResult(kpi, "no_recontact_within", None, 0, 0, None, 4, reason)
    assert r.format() == f"first_contact_resolution n/a ({reason})"
    assert first_contact_resolution(t.iloc[:0], definition="no_recontact_within").n == 0


def test_fcr_no_recontact_within_reads_mixed_customer_ids() -> None:
    """Ids 1 and 'a' in one column, only customer 'a' solved: the ids keep one dtype.

    Regression: MergeError (the solved ids alone read as text, all ids as objects).
    Customer 'a' came back the day after ticket b was solved (ticket c); nobody came back
    after c.
    """
    t = _tickets3().assign(
        customer_id=[1, "a", "a", 3],
        created_at=pd.to_datetime(["2025-01-01", "2025-01-01", "2025-01-03", "2025-01-02"]),
        resolved_at=pd.to_datetime([None, "2025-01-02", "2025-01-04", None]),
    )
    r = first_contact_resolution(t, definition="no_recontact_within")
    assert (r.successes, r.n, r.n_excluded) == (1, 2, 2)
    text = first_contact_resolution(
        t.astype({"customer_id": str}), definition="no_recontact_within"
    )
    assert text == r


def test_fcr_on_sample_data_with_statsmodels_interval() -> None:
    smp = pytest.importorskip("statsmodels.stats.proportion")
    t = tickets(300, seed=5)
    r = first_contact_resolution(t, ticket_events(t))
    lo, hi = smp.proportion_confint(r.successes, r.n, method="wilson")
    assert r.interval is not None
    assert r.interval.lower == pytest.approx(lo * 100)
    assert r.interval.upper == pytest.approx(hi * 100)
    assert r.n + r.n_excluded == len(t)
    # Reopened tickets get a second agent reply in the sample history: never one-touch.
    agent = ticket_events(t).query("event == 'agent_reply'").groupby("ticket_id").size()
    assert r.successes == int(
        (
            (agent < 2).reindex(t["ticket_id"]).fillna(True).to_numpy()
            & t["resolved_at"].notna().to_numpy()
        ).sum()
    )


def test_reopen_rate() -> None:
    t = tickets(300, seed=6)
    r = reopen_rate(t)
    solved = t["resolved_at"].notna()
    assert r.n == int(solved.sum())
    assert r.successes == int((t["reopened"] & solved).sum())
    assert r.format().startswith("reopen_rate ")
    with pytest.raises(InvalidInputError, match="booleans"):
        reopen_rate(t.assign(reopened=1))


# --------------------------------------------------------------------------- complaints


def test_complaint_rate_garwood() -> None:
    from scipy import stats

    r = complaint_rate(12, exposure=4000)
    assert r.value == pytest.approx(3.0)
    assert r.interval is not None
    assert r.interval.lower == pytest.approx(stats.chi2.ppf(0.025, 24) / 2 / 4000 * 1000)
    assert r.interval.upper == pytest.approx(stats.chi2.ppf(0.975, 26) / 2 / 4000 * 1000)
    zero = complaint_rate(pd.DataFrame({"x": []}), exposure=100, per=100)
    assert zero.value == 0.0
    assert zero.interval is not None
    assert zero.interval.upper == pytest.approx(3.6888794541, abs=1e-9)
    assert complaint_rate(5, exposure=0).value is None


def test_repeat_complaints_with_as_of() -> None:
    c = pd.DataFrame(
        {
            "customer_id": [1, 1, 2, 3, 3, 4],
            "created_at": pd.to_datetime(
                ["2025-01-01", "2025-01-20", "2025-01-05", "2025-01-01", "2025-03-01", "2025-03-10"]
            ),
        }
    )
    r = repeat_complaint_rate(c, window=dt.timedelta(days=30))
    assert (r.successes, r.n) == (1, 4)
    as_of = pd.Timestamp("2025-03-15")
    r2 = repeat_complaint_rate(c, window=dt.timedelta(days=30), as_of=as_of)
    # Customers 3 (last 1 Mar) and 4 (10 Mar) could still complain again: undecided.
    assert (r2.successes, r2.n, r2.n_excluded) == (1, 2, 2)
    assert repeat_complaint_rate(c.iloc[:0]).reason == "no complainants"


def test_followup_completion() -> None:
    t = pd.DataFrame(
        {
            "kind": ["complaint", "complaint", "complaint", "question", "complaint"],
            "resolved_at": pd.to_datetime(
                ["2025-01-01", "2025-01-01", "2025-01-01", "2025-01-01", "2025-01-09"]
            ),
            "followed_up_at": pd.to_datetime(["2025-01-02", "2025-01-09", None, None, None]),
        }
    )
    on_time = followup_completion(t)
    assert (on_time.successes, on_time.n, on_time.n_excluded) == (1, 4, 1)
    done = followup_completion(t, on_time=False)
    assert done.successes == 2
    as_of = pd.Timestamp("2025-01-10")
    r = followup_completion(t, as_of=as_of)
    assert (r.successes, r.n) == (1, 3)  # the 9 Jan complaint is not due yet
    assert followup_completion(t, kinds=None).n == 5


def test_censored_percentiles_match_lifelines_kaplan_meier_fitter() -> None:
    """lifelines 0.30.3 ``KaplanMeierFitter().fit(T, E)`` and ``qth_survival_times(1 - q)``
    (run in a scratch venv): first-reply hours 1, 2, 3, 5, 8 answered and 4, 6 still
    waiting give S = 6/7, 5/7, 4/7, 8/21, 0 at 1, 2, 3, 5, 8, so P25 = 2, P50 = 5
    (lifelines' ``median_survival_time_``) and P90 = 8. Over 400 random censored samples
    (1,600 percentiles) crmkit and lifelines agreed everywhere except where the curve is
    flat at exactly ``1 - q``; that case is pinned in the next test."""
    r = duration_quantiles(
        _hours_frame([1, 2, 3, 4, 5, 6, 8], [True, True, True, False, True, False, True]),
        q=(0.25, 0.5, 0.9),
        as_of=T0 + pd.Timedelta(hours=100),
    )
    assert r.values == (2 * _H, 5 * _H, 8 * _H)
    assert (r.n_events, r.n_censored) == (5, 2)


def test_percentile_on_a_flat_piece_at_exactly_one_minus_q() -> None:
    """Hours 5, 6, 7, 11, 17 answered and 25, 28, 31 waiting: S(6) = 0.75 and S(11) = 0.5
    exactly. crmkit's ``nearest_rank`` reads the smallest t with ``S(t) <= 1 - q`` (numpy
    ``inverted_cdf`` without censoring): P25 = 6, P50 = 11. lifelines 0.30.3 reads
    ``S(t) < 1 - q`` strictly (P25 = 7, ``median_survival_time_`` = 17), and R's
    ``quantile.survfit`` the midpoint of the flat piece (``method="midpoint"``: 6.5, 14).
    P90 is not reached by any of them (lifelines: inf)."""
    frame = _hours_frame([5, 6, 7, 11, 17, 25, 28, 31], [True] * 5 + [False] * 3)
    as_of = T0 + pd.Timedelta(hours=100)
    near = duration_quantiles(frame, q=(0.25, 0.5, 0.9), as_of=as_of)
    assert near.values == (6 * _H, 11 * _H, None)
    mid = duration_quantiles(frame, q=(0.25, 0.5), as_of=as_of, method="midpoint")
    assert mid.values == (6.5 * _H, 14 * _H)


_H = dt.timedelta(hours=1)


def _hours_frame(hours: list[float], answered: list[bool]) -> pd.DataFrame:
    """Tickets created at ``T0``; answered after ``hours`` or, if not, censored then (the
    creation is moved so that ``as_of = T0 + 100 h`` is ``hours`` after it)."""
    as_of = T0 + pd.Timedelta(hours=100)
    created = [
        T0 if done else as_of - pd.Timedelta(hours=h)
        for h, done in zip(hours, answered, strict=True)
    ]
    replies = [
        c + pd.Timedelta(hours=h) if done else pd.NaT
        for c, h, done in zip(created, hours, answered, strict=True)
    ]
    return pd.DataFrame(
        {
            "created_at": pd.Series(created, dtype="datetime64[ns, UTC]"),
            "first_reply_at": pd.Series(replies, dtype="datetime64[ns, UTC]"),
        }
    )


def test_backlog_buckets_and_business_age() -> None:
    t = pd.DataFrame(
        {
            "created_at": pd.to_datetime(
                [
                    "2025-01-01 00:00",
                    "2025-01-08 00:00",
                    "2025-01-09 18:00",
                    "2025-01-09 00:00",
                    "2025-01-11 00:00",
                ]
            ),
            "resolved_at": pd.to_datetime(
                [None, None, None, "2025-01-09 12:00", None], format="ISO8601"
            ),
            "priority": ["P1", "P2", "P1", "P1", "P2"],
        }
    )
    b = backlog(t, as_of=pd.Timestamp("2025-01-10"))
    assert b["tickets"].tolist() == [1, 1, 0, 1, 0]
    assert list(b["age"].cat.categories) == ["<1d", "1-3d", "3-7d", "7-30d", ">=30d"]
    assert b["share"].sum() == pytest.approx(100)
    split = backlog(t, as_of=pd.Timestamp("2025-01-10"), by="priority")
    assert split.groupby("priority")["tickets"].sum().to_dict() == {"P1": 2, "P2": 1}
    cal = BusinessCalendar.always_open("UTC")
    same = backlog(t, as_of=pd.Timestamp("2025-01-10"), calendar=cal)
    assert same["tickets"].tolist() == b["tickets"].tolist()
    empty = backlog(t.iloc[:0], as_of=pd.Timestamp("2025-01-10"))
    assert empty["tickets"].sum() == 0
    assert (empty["share"] == 0).all()


WEEK_9_18 = {d: [["09:00", "18:00"]] for d in ("mon", "tue", "wed", "thu", "fri")}


def _open_tickets(created: list[str], tz: str | None = "UTC") -> pd.DataFrame:
    stamps = pd.to_datetime(created)
    if tz is not None:
        stamps = stamps.tz_localize(tz)
    return pd.DataFrame(
        {"created_at": stamps, "resolved_at": pd.Series(pd.NaT, index=range(len(created)))}
    ).assign(resolved_at=lambda f: pd.Series(pd.NaT, index=f.index, dtype=stamps.dtype))


def _ages(calendar: BusinessCalendar, created: list[str], as_of: str) -> list[float]:
    zone = calendar.timezone
    starts = pd.Series(pd.to_datetime(created)).dt.tz_localize(zone)
    return _business_day_ages(calendar, starts, pd.Timestamp(as_of, tz=zone), "test").tolist()


def test_backlog_with_a_calendar_counts_business_days_not_24_hour_blocks() -> None:
    """Regression: a ticket open two full working days on a 09:00-18:00 desk (18 business
    hours) was bucketed ``<1d``, because a bucket's day was 24 hours of business time.

    With a calendar the edges now count business days, as
    ``BusinessCalendar.business_days_between`` does: Mon 09:00 -> Wed 09:00 is 2 business
    days (hand count: Mon, Tue). Freshdesk's day-based business-hours SLAs read a business
    day the same way ("one business day equals the total working hours defined in the
    Business hours schedule", support.freshdesk.com article 50000011664); the 24-hour
    reading (Freshdesk's 2026 change) stays available as ``age_days="24h"``.
    """
    desk = BusinessCalendar("UTC", WEEK_9_18)
    t = _open_tickets(["2025-01-06 09:00", "2025-01-06 13:30", "2025-01-03 17:00"])
    as_of = pd.Timestamp("2025-01-08 09:00", tz="UTC")  # Wednesday
    b = backlog(t, as_of=as_of, calendar=desk)
    # Mon 09:00 -> 2.0; Mon 13:30 -> 1.5; Fri 17:00 -> 1/9 (Fri) + Mon + Tue = 2 1/9
    assert b["tickets"].tolist() == [0, 3, 0, 0, 0]
    assert b.attrs["age_unit"] == "business days"
    old = backlog(t, as_of=as_of, calendar=desk, age_days="24h")
    assert old["tickets"].tolist() == [3, 0, 0, 0, 0]  # 18 h, 13.5 h, 19 h: all under 24 h
    assert old.attrs["age_unit"] == "24h of business time"
    assert backlog(t, as_of=as_of).attrs["age_unit"] == "days"
    week = backlog(t, as_of=pd.Timestamp("2025-01-13 09:00", tz="UTC"), calendar=desk)
    assert week["tickets"].tolist() == [0, 0, 3, 0, 0]  # 5, 4.5 and 5 1/9 business days


def test_business_day_ages_by_hand() -> None:
    """Ages in business days, each counted by hand on a Mon-Fri 09:00-18:00 desk with a
    holiday on Tue 2025-01-07 and a 09:00-13:00 half day on Sat 2025-01-11.

    - Mon 09:00 -> Thu 09:00: Mon, Wed (Tue is a holiday) = 2.
    - Fri 2025-01-03 17:00 -> Mon 10:00: 1/9 of Friday + 1/9 of Monday = 2/9.
    - Sat 2025-01-04 10:00 (closed): starts at Mon 09:00 -> Thu 09:00 = 2.
    - Mon 18:30 (after close): starts at Wed 09:00 -> Thu 09:00 = 1.
    - Fri 2025-01-10 13:30 -> Sat 11:00: 1/2 of Friday + 2/4 of the half day = 1.
    """
    desk = BusinessCalendar(
        "UTC",
        {**WEEK_9_18, "sat": []},
        holidays=["2025-01-07"],
        overrides={"2025-01-11": [["09:00", "13:00"]]},
    )
    ages = _ages(
        desk,
        ["2025-01-06 09:00", "2025-01-04 10:00", "2025-01-06 18:30"],
        "2025-01-09 09:00",
    )
    assert ages == pytest.approx([2.0, 2.0, 1.0], abs=1e-12)
    assert _ages(desk, ["2025-01-03 17:00"], "2025-01-06 10:00") == pytest.approx([2 / 9])
    assert _ages(desk, ["2025-01-10 13:30"], "2025-01-11 11:00") == pytest.approx([1.0])


def test_business_day_ages_of_an_always_open_calendar_are_calendar_days_across_dst() -> None:
    """On an always-open calendar a business day is a local calendar day. Sun 2025-03-30
    in Berlin has 23 hours (clocks go forward at 02:00), so Sat 00:00 -> Mon 00:00 is 2
    days of age but 47 hours of wall time; Sat 12:00 -> Sun 12:00 is half of Saturday
    plus 11 of Sunday's 23 hours. In UTC days are 24 hours and ages are wall-clock ages."""
    berlin = BusinessCalendar.always_open("Europe/Berlin")
    assert _ages(berlin, ["2025-03-29 00:00"], "2025-03-31 00:00") == pytest.approx([2.0])
    assert _ages(berlin, ["2025-03-29 12:00"], "2025-03-30 12:00") == pytest.approx([0.5 + 11 / 23])
    t = _open_tickets(["2025-03-29 00:00"], tz="Europe/Berlin")
    as_of = pd.Timestamp("2025-03-31 00:00", tz="Europe/Berlin")
    assert backlog(t, as_of=as_of, buckets=(2,), calendar=berlin)["tickets"].tolist() == [0, 1]
    assert backlog(t, as_of=as_of, buckets=(2,))["tickets"].tolist() == [1, 0]  # 47 h
    utc = BusinessCalendar.always_open("UTC")
    assert _ages(utc, ["2025-01-06 06:00", "2025-01-01 00:00"], "2025-01-08 18:00") == (
        pytest.approx([2.5, 7.75])
    )


def test_naive_ticket_times_are_read_in_the_calendar_zone() -> None:
    """Regression: naive ticket times were read in UTC even with a calendar, so a reply
    at 13:30 to a ticket of 09:00 (Shanghai desk hours, naive local times) measured 1
    business hour (17:00-18:00 Shanghai) instead of 4.5, unlike
    ``calendar.elapsed_many`` on the same columns. DESIGN: naive datetimes are read in
    the owning object's zone; the calendar owns business time."""
    desk = BusinessCalendar("Asia/Shanghai", WEEK_9_18)
    t = pd.DataFrame(
        {
            "created_at": pd.to_datetime(["2025-01-06 09:00"]),
            "first_reply_at": pd.to_datetime(["2025-01-06 13:30"]),
            "resolved_at": pd.to_datetime([None]),
        }
    )
    r = duration_quantiles(t, q=(0.5,), calendar=desk)
    assert r.values == (dt.timedelta(hours=4, minutes=30),)
    assert r.values[0] == desk.elapsed_many(t["created_at"], t["first_reply_at"]).iloc[0]
    b = backlog(t, as_of=pd.Timestamp("2025-01-08 09:00"), calendar=desk)
    assert b["tickets"].tolist() == [0, 1, 0, 0, 0]  # 2 business days, local times
    assert b.attrs["as_of"] == "2025-01-08T09:00:00+08:00"
    # Without a calendar naive times stay UTC (nothing owns another zone).
    assert backlog(t, as_of=pd.Timestamp("2025-01-08 09:00")).attrs["as_of"].endswith("+00:00")


def _naive_desk_tickets() -> pd.DataFrame:
    """Naive local ticket times: one resolved, one still open, one replied to later."""
    return pd.DataFrame(
        {
            "created_at": pd.to_datetime(
                ["2025-01-06 09:00", "2025-01-06 10:00", "2025-01-07 09:00"]
            ),
            "first_reply_at": pd.to_datetime(["2025-01-06 11:00", None, "2025-01-08 09:30"]),
            "resolved_at": pd.to_datetime(["2025-01-06 12:00", None, None]),
        }
    )


def test_an_aware_as_of_beside_naive_ticket_times_is_refused_without_a_calendar() -> None:
    """Naive ticket times are read in UTC only by convention: an aware ``as_of`` beside
    them would be compared with that guess of their zone. Refused, as in ``summarize``.

    Regression: ``backlog`` at 2025-01-08 09:00 Shanghai compared 01:00 UTC with the
    naive (local) times as if UTC, so the ticket of 09:00 on the 7th was 0-1 days old
    instead of 1-3; ``duration_quantiles`` at 2025-01-07 11:00 Shanghai (03:00 UTC) left
    that ticket out as created later and reported a median reply time of 2 h, where read
    locally it is waiting and the median is not reached.
    """
    t = _naive_desk_tickets()
    morning = pd.Timestamp("2025-01-08 09:00", tz="Asia/Shanghai")
    late = pd.Timestamp("2025-01-07 11:00", tz="Asia/Shanghai")
    for call, shown in (
        (lambda: backlog(t, as_of=morning), "2025-01-08 09:00:00+08:00"),
        (lambda: duration_quantiles(t, as_of=late), "2025-01-07 11:00:00+08:00"),
        (
            lambda: duration_quantiles(t, end="resolved_at", as_of=late.to_pydatetime()),
            "2025-01-07 11:00:00+08:00",
        ),
    ):
        with pytest.raises(ConfigError) as info:
            call()
        err = info.value
        assert not isinstance(err, InvalidInputError)
        assert (err.field, err.kind) == ("as_of", "parameter")
        assert "must be naive, like the ticket columns" in str(err)
        assert f"found the timezone-aware {shown}" in str(err)
    # The naive as_of (or a day) is read like the ticket times: the local reading.
    b = backlog(t, as_of=pd.Timestamp("2025-01-08 09:00"))
    assert b["tickets"].tolist() == [0, 2, 0, 0, 0]  # 1 d 23 h and 1 d old
    assert backlog(t, as_of="2025-01-07")["tickets"].tolist() == [1, 1, 0, 0, 0]
    r = duration_quantiles(t, q=(0.5,), as_of=pd.Timestamp("2025-01-07 11:00"))
    assert (r.values, r.n, r.n_events, r.n_censored) == ((None,), 3, 1, 2)


def test_with_a_calendar_an_aware_as_of_beside_naive_ticket_times_is_its_instant() -> None:
    """The calendar owns the zone naive ticket times are read in: nothing is guessed, so an
    aware ``as_of`` is the instant it names, the same as the naive one read in that zone."""
    desk = BusinessCalendar("Asia/Shanghai", WEEK_9_18)
    t = _naive_desk_tickets()
    naive = pd.Timestamp("2025-01-08 09:00")
    for aware in (naive.tz_localize("Asia/Shanghai"), pd.Timestamp("2025-01-08 01:00", tz="UTC")):
        got = backlog(t, as_of=aware, calendar=desk)
        pd.testing.assert_frame_equal(got, backlog(t, as_of=naive, calendar=desk))
        assert got.attrs["as_of"] == "2025-01-08T09:00:00+08:00"
        assert duration_quantiles(t, as_of=aware, calendar=desk) == duration_quantiles(
            t, as_of=naive, calendar=desk
        )


def test_a_naive_as_of_beside_aware_ticket_times_is_refused_in_backlog_too() -> None:
    """The other half of the rule, read by the same helper (a day is still read)."""
    t = frame([1.0, None])
    with pytest.raises(ConfigError, match="timezone-aware like the ticket columns"):
        backlog(t, as_of=pd.Timestamp("2025-01-07 09:00"), resolved="first_reply_at")
    b = backlog(t, as_of="2025-01-07", resolved="first_reply_at")
    assert b.attrs["total"] == 1


@st.composite
def _uniform_desks(draw: st.DrawFn) -> BusinessCalendar:
    zone = draw(st.sampled_from(("UTC", "Europe/Berlin", "America/New_York", "Asia/Shanghai")))
    days = draw(
        st.lists(
            st.sampled_from(("mon", "tue", "wed", "thu", "fri", "sat", "sun")),
            min_size=1,
            max_size=7,
            unique=True,
        )
    )
    shape = draw(
        st.sampled_from(
            ([["09:00", "18:00"]], [["09:00", "12:00"], ["13:00", "18:00"]], [["08:30", "20:00"]])
        )
    )
    offsets = draw(st.lists(st.integers(0, 20), max_size=3, unique=True))
    holidays = [dt.date(2025, 3, 20) + dt.timedelta(days=o) for o in offsets]
    return BusinessCalendar(zone, dict.fromkeys(days, shape), holidays=holidays)


@settings(max_examples=examples(60), deadline=None)
@given(
    desk=_uniform_desks(),
    created=st.lists(st.integers(0, 20 * 86400), min_size=1, max_size=6),
    later=st.integers(0, 20 * 86400),
)
def test_business_day_ages_are_business_hours_over_a_uniform_day(
    desk: BusinessCalendar, created: list[int], later: int
) -> None:
    """Property: when every business day has the same hours ``H`` (none crossing a DST
    switch), the age in business days is the business time elapsed over ``H``, exactly
    what ``BusinessCalendar.elapsed_many`` measures; ages are never negative."""
    hours = sum(b - a for a, b in desk.weekly[next(i for i, h in enumerate(desk.weekly) if h)])
    base = pd.Timestamp("2025-03-18", tz="UTC")
    starts = pd.Series([base + pd.Timedelta(seconds=s) for s in created])
    cutoff = starts.max() + pd.Timedelta(seconds=later)
    ages = _business_day_ages(desk, starts, cutoff, "test")
    stops = pd.Series(cutoff, index=starts.index)
    elapsed = desk.elapsed_many(starts, stops).dt.total_seconds().to_numpy()
    assert ages == pytest.approx(elapsed / hours, abs=1e-9)
    assert (ages >= 0).all()


@settings(max_examples=examples(60), deadline=None)
@given(
    window=calendar_windows(),
    created=st.integers(-5 * 86400, 5 * 86400),
    steps=st.lists(st.integers(0, 3 * 86400), min_size=2, max_size=5),
)
def test_business_day_ages_grow_with_as_of_and_only_with_business_time(
    window: tuple[dict[str, object], dt.datetime], created: int, steps: list[int]
) -> None:
    """Property, on calendars with overnight hours, holidays, half days and DST: the age
    never falls as ``as_of`` moves on, and it is 0 exactly when no business time has run."""
    data, centre = window
    desk = BusinessCalendar.from_dict(data)
    if not any(desk.weekly):
        return
    start = pd.Timestamp(centre) + pd.Timedelta(seconds=created)
    cutoffs = [start + pd.Timedelta(seconds=s) for s in itertools.accumulate(steps)]
    ages = [float(_business_day_ages(desk, pd.Series([start]), c, "test")[0]) for c in cutoffs]
    assert all(b >= a - 1e-12 for a, b in itertools.pairwise(ages))
    for cut, age in zip(cutoffs, ages, strict=True):
        ran = desk.elapsed(start.to_pydatetime(), cut.to_pydatetime())
        assert (age > 0) == (ran > dt.timedelta(0))


def test_backlog_refuses_a_bad_age_unit_and_a_clock_without_days() -> None:
    """``age_days`` is one of two named readings; business-day ages need a real calendar."""

    class Clock:
        def elapsed_many(self, starts: object, ends: object) -> object:
            return pd.Series(pd.to_timedelta([0] * len(starts)))  # type: ignore[arg-type]

    t = _open_tickets(["2025-01-06 09:00"])
    with pytest.raises(ConfigError) as info:
        backlog(t, as_of=T0, age_days="weeks")  # type: ignore[arg-type]
    assert info.value.field == "age_days"
    with pytest.raises(ConfigError) as info:
        backlog(t, as_of=T0 + pd.Timedelta(hours=1), calendar=Clock())
    assert info.value.field == "calendar"
    assert backlog(t, as_of=T0, calendar=Clock(), age_days="24h").attrs["total"] == 1
    with pytest.raises(ConfigError) as info:
        backlog(t, as_of=T0, calendar=object())  # type: ignore[arg-type]
    assert info.value.field == "calendar"


def test_inputs_are_not_mutated() -> None:
    t = tickets(100, seed=9)
    ev = ticket_events(t)
    before, before_ev = t.copy(), ev.copy()
    as_of = t["created_at"].max()
    duration_quantiles(t, as_of=as_of)
    first_contact_resolution(t, ev, as_of=as_of)
    first_contact_resolution(t, definition="no_recontact_within", as_of=as_of)
    backlog(t, as_of=as_of, by="priority")
    followup_completion(t, as_of=as_of)
    pd.testing.assert_frame_equal(t, before)
    pd.testing.assert_frame_equal(ev, before_ev)


# --------------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    ("call", "error", "field"),
    [
        (lambda: duration_quantiles([]), InvalidInputError, "tickets"),
        (lambda: duration_quantiles(frame([1.0]), end="x"), SchemaError, "x"),
        (lambda: duration_quantiles(frame([1.0]), method="mean"), ConfigError, "method"),
        (lambda: duration_quantiles(frame([1.0]), method="linear"), ConfigError, "method"),
        (lambda: duration_quantiles(frame([1.0]), censoring="drop"), ConfigError, "censoring"),
        (lambda: duration_quantiles(frame([1.0]), q=(1.5,)), ConfigError, "q"),
        (lambda: duration_quantiles(frame([None])), ConfigError, "as_of"),
        (lambda: duration_quantiles(frame([1.0]), as_of="soon"), ConfigError, "as_of"),
        (
            lambda: duration_quantiles(frame([1.0]), as_of=pd.Timestamp("2025-01-01")),
            ConfigError,
            "as_of",
        ),
        (lambda: duration_quantiles(frame([-1.0])), InvalidInputError, "first_reply_at"),
        (lambda: duration_quantiles(frame([1.0]), calendar=object()), ConfigError, "calendar"),  # type: ignore[arg-type]
        (
            lambda: duration_quantiles(frame([1.0]).assign(created_at=["x"])),
            InvalidInputError,
            "created_at",
        ),
        (
            lambda: duration_quantiles(frame([1.0]).assign(created_at=pd.Timestamp("2025-01-01"))),
            InvalidInputError,
            "created_at, first_reply_at",
        ),
        (
            lambda: duration_quantiles(
                frame([1.0]).assign(created_at=pd.Series([pd.NaT], dtype="datetime64[ns, UTC]"))
            ),
            InvalidInputError,
            "created_at",
        ),
        (lambda: first_contact_resolution(_tickets3(), definition="x"), ConfigError, "definition"),
        (lambda: first_contact_resolution(_tickets3()), ConfigError, "events"),
        (
            lambda: first_contact_resolution(
                _tickets3(), definition="no_recontact_within", window=1
            ),
            ConfigError,
            "window",
        ),
        (lambda: first_contact_resolution(_tickets3(), ci="wald"), ConfigError, "ci"),
        (lambda: first_contact_resolution(_tickets3(), level=2), ConfigError, "level"),
        (lambda: repeat_complaint_rate(_tickets3(), window=dt.timedelta(0)), ConfigError, "window"),
        (lambda: followup_completion(_tickets3()), SchemaError, "followed_up_at"),
        (
            lambda: followup_completion(
                pd.DataFrame({"kind": [], "resolved_at": [], "followed_up_at": []}),
                due=-dt.timedelta(days=1),
            ),
            ConfigError,
            "due",
        ),
        (lambda: complaint_rate(-1, exposure=10), InvalidInputError, "complaints"),
        (lambda: complaint_rate(1, exposure=-10), InvalidInputError, "exposure"),
        (lambda: complaint_rate(1, exposure=10, per=0), ConfigError, "per"),
        (lambda: backlog(_tickets3(), as_of=None), ConfigError, "as_of"),
        (lambda: backlog(_tickets3(), as_of=T0, buckets=(3, 1)), ConfigError, "buckets"),
    ],
)
def test_errors(call: object, error: type[Exception], field: str) -> None:
    with pytest.raises(error) as info:
        call()  # type: ignore[operator]
    assert info.value.field == field  # type: ignore[attr-defined]
