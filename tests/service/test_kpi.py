"""Tests of the service KPIs: censored percentiles, FCR, reopen, backlog, complaints, follow-ups."""

from __future__ import annotations

import datetime as dt
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
    backlog,
    complaint_rate,
    duration_quantiles,
    first_contact_resolution,
    followup_completion,
    reopen_rate,
    repeat_complaint_rate,
)
from crmkit.service._kpi import _kaplan_meier

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


@settings(max_examples=60)
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


@settings(max_examples=60)
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
