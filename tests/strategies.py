"""Shared hypothesis strategies: every feature extends this module (one section per area).

Examples:
    >>> from tests.strategies import transaction_logs
    >>> frame = transaction_logs().example()  # doctest: +SKIP
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import attrs
import numpy as np
import pandas as pd
from hypothesis import settings
from hypothesis import strategies as st

# --------------------------------------------------------------------------- foundation


def examples(n: int) -> int:
    """``n`` hypothesis examples per 100 of the active profile's default.

    A property that needs more (or fewer) examples than the profile's default asks for
    ``@settings(max_examples=examples(n))``, so that every profile scales it: ``ci`` (75)
    runs ``0.75 n``, the ``compiled`` re-run (40) ``0.4 n``, the ``thorough`` profile
    (2000) ``20 n``.

    Examples:
        >>> from hypothesis import settings
        >>> examples(200) == round(200 * settings.default.max_examples / 100)
        True
    """
    return max(1, round(n * settings.default.max_examples / 100))


#: Time zones with awkward rules: 30-minute DST (Lord Howe), +05:45 (Kathmandu), the usual
#: European and American switches, and one without DST.
TIMEZONES = (
    "UTC",
    "Asia/Shanghai",
    "Europe/Berlin",
    "America/New_York",
    "Australia/Lord_Howe",
    "Asia/Kathmandu",
)

timezones = st.sampled_from(TIMEZONES)

#: Naive datetimes over a few years around now, to the second.
naive_datetimes = st.datetimes(
    min_value=dt.datetime(2020, 1, 1), max_value=dt.datetime(2027, 12, 31)
).map(lambda t: t.replace(microsecond=0))


@st.composite
def transaction_logs(
    draw: st.DrawFn,
    *,
    min_rows: int = 1,
    max_rows: int = 60,
    max_customers: int = 12,
    refunds: bool = False,
) -> pd.DataFrame:
    """A small transaction log: ``customer_id``, ``order_id``, ``date``, ``amount``.

    Dates fall on whole seconds within two years; amounts are positive with two decimals
    (negative refund rows too when ``refunds``); customers repeat so that frequency > 1
    happens often.
    """
    n = draw(st.integers(min_rows, max_rows))
    customers = draw(st.lists(st.integers(1, max_customers), min_size=n, max_size=n))
    seconds = draw(st.lists(st.integers(0, 2 * 365 * 86_400), min_size=n, max_size=n))
    cents = draw(st.lists(st.integers(1, 500_000), min_size=n, max_size=n))
    amount = np.asarray(cents, dtype=np.float64) / 100
    if refunds:
        flip = draw(st.lists(st.booleans(), min_size=n, max_size=n))
        amount = np.where(np.asarray(flip) & (np.arange(n) > 0), -amount / 4, amount).round(2)
    return pd.DataFrame(
        {
            "customer_id": np.asarray(customers, dtype=np.int64),
            "order_id": np.arange(1, n + 1, dtype=np.int64),
            "date": pd.Timestamp("2023-01-01") + pd.to_timedelta(seconds, unit="s"),
            "amount": amount,
        }
    )


# --------------------------------------------------------------------------- segmentation: RFM scoring, ABC


@st.composite
def customer_summaries(
    draw: st.DrawFn, *, min_customers: int = 1, max_customers: int = 40
) -> pd.DataFrame:
    """A customer summary as ``summarize`` returns it: recency_days, frequency, monetary.

    Values come from small pools so that ties (and constant columns, and one-time buyers
    only) are common; monetary may be zero or negative (net refunds). The columns are
    drawn with numpy from a drawn seed (fast), the shape of the pools by hypothesis.
    """
    n = draw(st.integers(min_customers, max_customers))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    recency_pool = draw(st.integers(1, 60))
    frequency_pool = draw(st.sampled_from([[1], [1, 2], [1, 1, 1, 2, 3, 5, 8, 13]]))
    spread = draw(st.sampled_from([0.0, 1.0, 100.0, 5_000.0]))
    recency = rng.integers(0, recency_pool, n) * 7
    frequency = rng.choice(np.asarray(frequency_pool), n)
    monetary = np.round(rng.normal(spread, spread + 1.0, n), 2) if spread else np.full(n, 10.0)
    return pd.DataFrame(
        {"recency_days": recency, "frequency": frequency, "monetary": monetary},
        index=pd.Index([f"c{i}" for i in range(n)], name="customer_id"),
    )


#: Positive customer values with frequent ties, for ABC / pyramid / Gini properties.
customer_values = st.lists(
    st.one_of(st.sampled_from([1.0, 5.0, 5.0, 100.0]), st.floats(0.01, 1e6, allow_nan=False)),
    min_size=1,
    max_size=60,
)


# --------------------------------------------------------------------------- satisfaction: NPS, CSAT, CES

#: NPS answers 0-10 with some "no score" (None) gaps.
nps_scores = st.lists(st.one_of(st.integers(0, 10), st.none()), max_size=60)

#: Trinomial counts (detractors, passives, promoters), zeros included.
nps_counts = st.tuples(st.integers(0, 40), st.integers(0, 40), st.integers(0, 40))


@st.composite
def survey_frames(draw: st.DrawFn, *, max_rows: int = 50) -> pd.DataFrame:
    """Survey responses: ``segment``, ``date`` (2025, whole days), ``nps``, ``csat``, ``ces``.

    Scores are nullable Int64 with gaps; segments repeat so that groups have several rows.
    """
    n = draw(st.integers(0, max_rows))
    day = st.integers(0, 200)
    return pd.DataFrame(
        {
            "segment": draw(st.lists(st.sampled_from(["a", "b", "c"]), min_size=n, max_size=n)),
            "date": pd.Timestamp("2025-01-01")
            + pd.to_timedelta(draw(st.lists(day, min_size=n, max_size=n)), unit="D"),
            "nps": pd.array(
                draw(st.lists(st.one_of(st.integers(0, 10), st.none()), min_size=n, max_size=n)),
                dtype="Int64",
            ),
            "csat": pd.array(
                draw(st.lists(st.one_of(st.integers(1, 5), st.none()), min_size=n, max_size=n)),
                dtype="Int64",
            ),
            "ces": pd.array(
                draw(st.lists(st.one_of(st.integers(1, 7), st.none()), min_size=n, max_size=n)),
                dtype="Int64",
            ),
            "weight": draw(st.lists(st.sampled_from([0.5, 1.0, 2.0, 3.5]), min_size=n, max_size=n)),
        }
    )


@st.composite
def nps_schemes(draw: st.DrawFn) -> Any:
    """Valid :class:`~crmkit.service.NpsScheme` values (ordered cut-offs on a scale)."""
    from crmkit.service import NpsScheme

    lo = draw(st.integers(-5, 5))
    det = draw(st.integers(lo, lo + 8))
    pro = draw(st.integers(det + 1, det + 6))
    hi = draw(st.integers(pro, pro + 5))
    return NpsScheme(scale_min=lo, scale_max=hi, detractor_max=det, promoter_min=pro)


@st.composite
def survey_options(draw: st.DrawFn) -> Any:
    """Valid :class:`~crmkit.service.SurveyOptions` values (every field varied)."""
    from crmkit.service import SurveyOptions
    from crmkit.service._survey_input import CI_METHODS

    return SurveyOptions(
        weights=draw(st.one_of(st.none(), st.text(min_size=1, max_size=8))),
        weights_kind=draw(st.sampled_from(["sampling", "frequency"])),
        ci=draw(st.sampled_from([None, "default", *CI_METHODS])),
        level=draw(st.floats(0.5, 0.999)),
        missing=draw(st.sampled_from(["exclude", "include"])),
        invalid=draw(st.sampled_from(["raise", "exclude"])),
        population_size=draw(st.one_of(st.none(), st.integers(1, 10**6))),
        min_n=draw(st.integers(0, 1000)),
    )


@st.composite
def loyalty_tiers(draw: st.DrawFn) -> Any:
    """Valid :class:`~crmkit.loyalty.Tier` values (any subset of thresholds)."""
    from decimal import Decimal

    from crmkit.loyalty import Tier

    name = draw(st.text(st.characters(categories=("L", "N")), min_size=1, max_size=8))
    spend = draw(st.one_of(st.none(), st.decimals(0, 10**6, places=2).map(Decimal)))
    points = draw(st.one_of(st.none(), st.integers(0, 10**6)))
    orders = draw(st.one_of(st.none(), st.integers(0, 1000)))
    counts = draw(
        st.dictionaries(
            st.sampled_from(["nights", "stays", "segments", "miles"]),
            st.integers(0, 10**5),
            max_size=2,
        )
    )
    alternatives = draw(st.lists(loyalty_qualifications(), max_size=2))
    # Keep ways (retention): a Tier alone takes any; the ladder checks them against its ways.
    keep = draw(st.lists(loyalty_qualifications(), max_size=2))
    return Tier(
        name=name,
        spend=spend,
        points=points,
        orders=orders,
        counts=counts,
        alternatives=alternatives,
        keep=keep,
    )


@st.composite
def loyalty_qualifications(draw: st.DrawFn) -> Any:
    """Valid :class:`~crmkit.loyalty.Qualification` values: one way to a tier, 1+ thresholds."""
    from decimal import Decimal

    from crmkit.loyalty import Qualification

    spend = draw(st.one_of(st.none(), st.decimals(0, 10**6, places=2).map(Decimal)))
    points = draw(st.one_of(st.none(), st.integers(0, 10**6)))
    counts = draw(
        st.dictionaries(
            st.sampled_from(["nights", "pqf", "pqp"]), st.integers(0, 10**5), max_size=2
        )
    )
    if spend is None and points is None and not counts:
        counts = {"nights": draw(st.integers(0, 100))}
    return Qualification(spend=spend, points=points, counts=counts)


@st.composite
def spend_tier_ladders(draw: st.DrawFn) -> Any:
    """Valid :class:`~crmkit.loyalty.TierLadder` values: a base tier and 0-3 spend tiers."""
    from decimal import Decimal

    from crmkit.loyalty import Tier, TierLadder

    steps = draw(st.lists(st.integers(1, 10**5), max_size=3, unique=True).map(sorted))
    tiers = [Tier(name="base")] + [
        Tier(name=f"t{i}", spend=Decimal(v)) for i, v in enumerate(steps, start=1)
    ]
    return TierLadder(
        tiers=tiers,
        combine=draw(st.sampled_from(["any", "all"])),
        downgrade=draw(st.sampled_from(["reevaluate", "one_down", "to_base"])),
        validity_windows=draw(st.integers(1, 3)),
    )


@st.composite
def climbing_histories(draw: st.DrawFn, *, priced: bool = True) -> list[Any]:
    """One loyalty member's history over up to three years (maybe opened by an enrolment):
    purchases big enough to climb a drawn ladder (with ``nights``), gaps long enough to fall
    (windows, validity ends, downgrades, grace periods), whole refunds, redemptions (priced
    from a ``"coupon"`` in the catalogue too, with ``priced``) and goodwill credits."""
    from crmkit.loyalty import Adjust, Enroll, Purchase, PurchaseLine, Redeem, Refund

    at = dt.datetime(2025, 1, 1, 9, tzinfo=dt.UTC)
    events: list[Any] = [Enroll("e", at)] if draw(st.booleans()) else []
    bought: list[str] = []
    for k in range(draw(st.integers(1, 25))):
        at += dt.timedelta(hours=draw(st.integers(1, 24 * 100)))
        kind = draw(st.sampled_from(["purchase"] * 4 + ["refund", "redeem", "adjust"]))
        eid = f"x{k}"
        if kind == "refund" and bought:
            events.append(Refund(eid, at, draw(st.sampled_from(bought))))
        elif kind == "redeem":
            events.append(
                Redeem(eid, at, reward="coupon")
                if priced and draw(st.booleans())
                else Redeem(eid, at, points=draw(st.integers(1, 400)))
            )
        elif kind == "adjust":
            events.append(Adjust(eid, at, points=draw(st.integers(1, 300)), reason="goodwill"))
        else:
            amount = Decimal(
                draw(st.integers(1, 3000) if draw(st.booleans()) else st.integers(5_000, 300_000))
            ).scaleb(-2)
            events.append(
                Purchase(
                    eid,
                    at,
                    lines=[PurchaseLine("1", amount)],
                    counts={"nights": draw(st.integers(0, 6))},
                )
            )
            bought.append(eid)
    return events


# campaigns rule values for the contract suite: leaf conditions, audiences and tag sets,
# health parts and fitted models (trees and health rules: the campaigns section below).
_names = st.text(st.characters(categories=("L", "N")), min_size=1, max_size=8)
_scalars = st.one_of(
    st.integers(-(10**6), 10**6),
    st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False),
    st.booleans(),
    st.text(max_size=6),
)


@st.composite
def audience_leaves(draw: st.DrawFn) -> Any:
    """A leaf condition: Compare, In, Between or IsNull on some column."""
    from crmkit.campaigns import Between, Compare, In, IsNull
    from crmkit.campaigns._audience import OPS

    column = draw(_names)
    kind = draw(st.sampled_from(["compare", "in", "between", "is_null"]))
    if kind == "compare":
        return Compare(column, draw(st.sampled_from(OPS)), draw(_scalars))
    if kind == "in":
        return In(column, draw(st.lists(_scalars, min_size=1, max_size=4)))
    if kind == "between":
        low, high = sorted(draw(st.lists(st.integers(-1000, 1000), min_size=2, max_size=2)))
        return Between(column, low, high)
    return IsNull(column)


def _all_of(children: list[Any]) -> Any:
    from crmkit.campaigns import AllOf

    return AllOf(children)


def _any_of(children: list[Any]) -> Any:
    from crmkit.campaigns import AnyOf

    return AnyOf(children)


def _not(child: Any) -> Any:
    from crmkit.campaigns import Not

    return Not(child)


@st.composite
def audiences(draw: st.DrawFn) -> Any:
    """An :class:`~crmkit.campaigns.Audience` with a condition tree."""
    from crmkit.campaigns import Audience

    tree = draw(audience_conditions(depth=2))
    return Audience(draw(_names), tree, draw(st.text(max_size=10)))


@st.composite
def tag_sets(draw: st.DrawFn) -> Any:
    """A :class:`~crmkit.campaigns.TagSet` of audiences with distinct names."""
    from crmkit.campaigns import Audience, TagSet

    names = draw(st.lists(_names, min_size=1, max_size=3, unique=True))
    return TagSet([Audience(n, draw(audience_conditions(depth=2))) for n in names])


@st.composite
def health_thresholds(draw: st.DrawFn) -> Any:
    """:class:`~crmkit.campaigns.Thresholds`: ascending edges, one more point each in [0, 100]."""
    from crmkit.campaigns import Thresholds

    edges = draw(st.lists(st.integers(-1000, 1000), min_size=1, max_size=4, unique=True))
    points = draw(st.lists(st.integers(0, 100), min_size=len(edges) + 1, max_size=len(edges) + 1))
    return Thresholds(sorted(edges), points)


@st.composite
def health_indicators(draw: st.DrawFn) -> Any:
    """An :class:`~crmkit.campaigns.Indicator` scored by thresholds or percentile."""
    from crmkit.campaigns import Indicator, Percentile

    scoring = draw(st.one_of(health_thresholds(), st.builds(Percentile, st.booleans())))
    return Indicator(draw(_names), draw(_names), draw(st.integers(1, 10)), scoring)


@st.composite
def health_bands(draw: st.DrawFn) -> Any:
    """One :class:`~crmkit.campaigns.Band`."""
    from crmkit.campaigns import Band

    return Band(draw(_names), draw(st.integers(0, 100)))


@st.composite
def health_models(draw: st.DrawFn) -> Any:
    """A fitted :class:`~crmkit.campaigns.HealthModel` (fitted on a small random frame)."""
    score = draw(health_scores())
    columns = sorted({i.column for i in score.indicators})
    n = draw(st.integers(1, 8))
    frame = pd.DataFrame(
        {c: draw(st.lists(st.integers(0, 1000), min_size=n, max_size=n)) for c in columns}
    ).astype(float)
    return score.fit(frame)


#: The instances the contract suite (tests/contract.py) checks, per rule class (qualified
#: name as the facade exports it). A class without an entry is checked on ``cls()``.
@st.composite
def value_potential_matrices(draw: st.DrawFn) -> object:
    """A ``ValuePotentialMatrix`` of 1-4 value classes and 1-4 potential levels (unicode too)."""
    from crmkit.segmentation import ValuePotentialMatrix

    names = st.text(min_size=1, max_size=6)
    classes = draw(st.lists(names, min_size=1, max_size=4, unique=True))
    potentials = draw(st.lists(names, min_size=1, max_size=4, unique=True))
    cells = {c: {p: draw(st.sampled_from(classes)) for p in potentials} for c in classes}
    return ValuePotentialMatrix(cells=cells, classes=classes, potentials=potentials)


RULE_STRATEGIES: dict[str, st.SearchStrategy[Any]] = {
    "crmkit.segmentation.ValuePotentialMatrix": value_potential_matrices(),
    "crmkit.service.NpsScheme": nps_schemes(),
    "crmkit.service.SurveyOptions": survey_options(),
    "crmkit.loyalty.Tier": loyalty_tiers(),
    "crmkit.loyalty.Qualification": loyalty_qualifications(),
    "crmkit.loyalty.TierLadder": spend_tier_ladders(),
    "crmkit.campaigns.Compare": audience_leaves().filter(lambda c: type(c).__name__ == "Compare"),
    "crmkit.campaigns.In": audience_leaves().filter(lambda c: type(c).__name__ == "In"),
    "crmkit.campaigns.Between": audience_leaves().filter(lambda c: type(c).__name__ == "Between"),
    "crmkit.campaigns.IsNull": audience_leaves().filter(lambda c: type(c).__name__ == "IsNull"),
    # audience_conditions and health_scores are the campaigns section's (below).
    "crmkit.campaigns.AllOf": st.deferred(
        lambda: st.lists(audience_conditions(depth=2), max_size=3).map(_all_of)
    ),
    "crmkit.campaigns.AnyOf": st.deferred(
        lambda: st.lists(audience_conditions(depth=2), max_size=3).map(_any_of)
    ),
    "crmkit.campaigns.Not": st.deferred(lambda: audience_conditions(depth=2).map(_not)),
    "crmkit.campaigns.Audience": audiences(),
    "crmkit.campaigns.TagSet": tag_sets(),
    "crmkit.campaigns.Thresholds": health_thresholds(),
    "crmkit.campaigns.Indicator": health_indicators(),
    "crmkit.campaigns.Band": health_bands(),
    # A lambda: health_scores is defined further down (the campaigns section).
    "crmkit.campaigns.HealthScore": st.deferred(lambda: health_scores()),  # noqa: PLW0108
    "crmkit.campaigns.HealthModel": health_models(),
}


# --------------------------------------------------------------------------- sla: SLA policies, ticket histories

#: Event names a ticket history is drawn from (the built-in vocabulary of crmkit.service).
SLA_EVENTS = (
    "created",
    "agent_reply",
    "customer_reply",
    "pending",
    "open",
    "solved",
    "reopened",
    "follow_up",
    "on_site",
)
SLA_METRICS = (
    "first_response",
    "next_response",
    "periodic_update",
    "resolution",
    "follow_up",
    "on_site",
)


@st.composite
def sla_targets(draw: st.DrawFn, *, clocks: tuple[str, ...] = ("business", "calendar")) -> object:
    """An ``SLATarget`` of a random built-in metric (or a custom pair), goal 10 min to 12 h.

    A quarter of the business-clock targets count 1 to 3 business days instead.
    """
    from crmkit.service import SLATarget

    metric = draw(st.sampled_from((*SLA_METRICS, "custom")))
    minutes = draw(st.integers(10, 12 * 60))
    warn = draw(st.lists(st.integers(1, minutes - 1), max_size=2)) if minutes > 1 else []
    extra: dict[str, object] = {}
    if metric == "custom":
        start, stop = draw(
            st.lists(
                st.sampled_from(("created", "customer_reply", "solved", "on_site", "follow_up")),
                min_size=2,
                max_size=2,
                unique=True,
            )
        )
        extra = {"start": start, "stop": stop}
        if draw(st.booleans()):  # the same metric as a rule, sometimes with more events
            from crmkit.service import MetricRule

            more = draw(st.sampled_from(((), ("on_site",), ("follow_up",))))
            stops = tuple(e for e in (stop, *more) if e != start)
            # Sometimes events that drop the open cycle (as a reopening drops a follow-up),
            # also ones the rule starts, stops or restarts on.
            events = st.sampled_from(("reopened", "customer_reply", "solved", "agent_reply"))
            extra = {
                "rule": MetricRule(
                    start=[start],
                    stop=stops,
                    restart=draw(st.lists(events, max_size=1)),
                    cancel=draw(st.lists(events, max_size=2, unique=True)),
                    once=draw(st.booleans()),
                )
            }
    clock = draw(st.sampled_from(clocks))
    # A business clock sometimes counts in business days ("1bd" .. "3bd").
    in_days = clock == "business" and draw(st.integers(0, 3)) == 0
    return SLATarget(
        metric=metric,
        name=f"{metric}_{draw(st.integers(0, 9))}",
        duration=f"{draw(st.integers(1, 3))}bd" if in_days else minutes * 60,
        clock=clock,
        warn_before=[w * 60 for w in warn],
        escalate_after=[e * 60 for e in draw(st.lists(st.integers(0, 600), max_size=2))],
        pausable=draw(st.booleans()),
        **extra,
    )


@st.composite
def sla_calendars(draw: st.DrawFn) -> object:
    """A ``BusinessCalendar`` with one or two intervals on some weekdays, in a DST-rich zone."""
    from crmkit.service import BusinessCalendar

    zone = draw(st.sampled_from(("UTC", "Europe/Berlin", "America/New_York", "Asia/Shanghai")))
    days = draw(
        st.lists(
            st.sampled_from(("mon", "tue", "wed", "thu", "fri", "sat", "sun")),
            min_size=2,
            max_size=7,
            unique=True,
        )
    )
    shape = draw(
        st.sampled_from(
            (
                [["09:00", "18:00"]],
                [["09:00", "12:00"], ["13:00", "18:00"]],
                [["00:00", "24:00"]],
                [["22:00", "06:00"]],
                [["08:30", "11:45"], ["14:15", "20:00"]],
            )
        )
    )
    return BusinessCalendar(zone, dict.fromkeys(days, shape))


@st.composite
def ticket_histories(
    draw: st.DrawFn, *, max_tickets: int = 4, max_events: int = 12, minute_grid: bool = False
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``(events, tickets)``: a few tickets' event histories in March-April 2025 (UTC).

    Each history starts with ``created``; the rest are random events (pauses, replies,
    solves, reopenings, ...) at non-decreasing random offsets, ties included. With
    ``minute_grid`` every time is on a whole minute. Tickets carry ``priority`` (P1-P3)
    and ``kind``; one ticket may have no events at all.
    """
    n = draw(st.integers(1, max_tickets))
    base = pd.Timestamp("2025-03-20 00:00", tz="UTC")
    rows = []
    for i in range(n):
        if draw(st.integers(0, 9)) == 0 and n > 1:
            continue
        start = draw(st.integers(0, 14 * 24 * 60))
        t = start * 60 + (0 if minute_grid else draw(st.integers(0, 59)))
        rows.append((f"T{i}", base + pd.Timedelta(seconds=t), "created"))
        for _ in range(draw(st.integers(0, max_events))):
            step = draw(
                st.one_of(st.just(0), st.integers(1, 6 * 60), st.integers(6 * 60, 3 * 24 * 60))
            )
            t += step * 60 + (0 if minute_grid else draw(st.integers(0, 59)))
            rows.append(
                (f"T{i}", base + pd.Timedelta(seconds=t), draw(st.sampled_from(SLA_EVENTS)))
            )
    events = pd.DataFrame(rows, columns=["ticket_id", "time", "event"])
    events["time"] = pd.to_datetime(events["time"], utc=True)
    tickets = pd.DataFrame(
        {
            "ticket_id": [f"T{i}" for i in range(n)],
            "priority": [draw(st.sampled_from(("P1", "P2", "P3"))) for _ in range(n)],
            "kind": [draw(st.sampled_from(("complaint", "question"))) for _ in range(n)],
        }
    )
    return events, tickets


# --------------------------------------------------------------------------- lifecycle

from crmkit.segmentation import LifecyclePolicy  # noqa: E402 (this section's own import)


@st.composite
def lifecycle_policies(draw: st.DrawFn) -> LifecyclePolicy:
    """A valid ``LifecyclePolicy`` of any basis, thresholds in order, small numbers of days."""
    at_risk = draw(st.integers(5, 120))
    dormant = at_risk + draw(st.integers(1, 120))
    churned = dormant + draw(st.integers(1, 200))
    dormant_multiple = draw(st.floats(1.1, 3.0))
    return LifecyclePolicy(
        basis=draw(st.sampled_from(("fixed", "quantile", "mean_sd"))),
        new_days=draw(st.integers(0, at_risk)),
        at_risk_days=at_risk,
        dormant_days=dormant,
        churned_days=churned,
        reactivated_days=draw(st.integers(0, 120)),
        quantile=draw(st.floats(0.05, 1.0)),
        k=draw(st.floats(0.0, 2.5)),
        dormant_multiple=dormant_multiple,
        churned_multiple=dormant_multiple + draw(st.floats(0.1, 3.0)),
        min_gaps=draw(st.integers(1, 3)),
    )


@st.composite
def purchase_logs(draw: st.DrawFn, *, max_customers: int = 6, max_rows: int = 40) -> pd.DataFrame:
    """Purchases of a few customers in bursts with long pauses (so every stage occurs).

    Columns ``customer_id`` (str), ``date`` (naive, whole seconds, 2023-2025, several on a
    day sometimes) and ``amount`` (positive).
    """
    n = draw(st.integers(1, max_rows))
    customers = draw(st.lists(st.integers(0, max_customers - 1), min_size=n, max_size=n))
    # Days cluster on a coarse grid (bursts) plus jitter: gaps of 0-3 days and of months.
    coarse = draw(st.lists(st.integers(0, 20), min_size=n, max_size=n))
    jitter = draw(st.lists(st.integers(0, 3), min_size=n, max_size=n))
    seconds = draw(st.lists(st.integers(0, 86_399), min_size=n, max_size=n))
    days = np.asarray(coarse) * 45 + np.asarray(jitter)
    return pd.DataFrame(
        {
            "customer_id": [f"c{c}" for c in customers],
            "date": pd.Timestamp("2023-01-01")
            + pd.to_timedelta(days, unit="D")
            + pd.to_timedelta(seconds, unit="s"),
            "amount": np.round(
                np.asarray(draw(st.lists(st.floats(1, 500), min_size=n, max_size=n))), 2
            ),
        }
    )


# --------------------------------------------------------------------------- service: business calendars

#: Zones the business-calendar oracle tests cover: two DST regimes, Lord Howe's 30-minute
#: switch, Kathmandu's +05:45 and plain UTC.
CALENDAR_ZONES = (
    "Europe/Berlin",
    "America/New_York",
    "Australia/Lord_Howe",
    "Asia/Kathmandu",
    "UTC",
)

#: Local dates of the 2025 DST switches in those zones; windows are centred near them.
DST_SWITCH_DATES = (
    dt.date(2025, 3, 9),  # New York, spring forward
    dt.date(2025, 3, 30),  # Berlin, spring forward
    dt.date(2025, 4, 6),  # Lord Howe, back 30 minutes
    dt.date(2025, 10, 5),  # Lord Howe, forward 30 minutes
    dt.date(2025, 10, 26),  # Berlin, fall back
    dt.date(2025, 11, 2),  # New York, fall back
)

WEEKDAY_KEYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def quarter_clock(quarters: int) -> str:
    """``"HH:MM"`` for a number of quarter hours after midnight (96 -> ``"24:00"``)."""
    return f"{quarters // 4:02d}:{quarters % 4 * 15:02d}"


@st.composite
def day_quarters(draw: st.DrawFn, *, max_intervals: int = 3) -> list[list[int]]:
    """One day's same-day intervals in quarter hours: sorted, disjoint, maybe touching."""
    n = draw(st.integers(0, max_intervals))
    points = sorted(draw(st.lists(st.integers(0, 96), min_size=2 * n, max_size=2 * n, unique=True)))
    pairs = [[points[2 * k], points[2 * k + 1]] for k in range(n)]
    if len(pairs) >= 2 and draw(st.booleans()):
        pairs[1][0] = pairs[0][1]  # touching intervals must behave as one
    return pairs


@st.composite
def business_calendar_dicts(
    draw: st.DrawFn,
    *,
    around: dt.date = dt.date(2025, 3, 30),
    zones: tuple[str, ...] = CALENDAR_ZONES,
    overnight: bool = True,
    extras: bool = True,
) -> dict[str, object]:
    """A valid ``BusinessCalendar.to_dict()``-shaped mapping on a quarter-hour grid.

    Several intervals per day, touching ones, overnight ones (``end <= start``, also
    ``"00:00"`` ends), ``"24:00"`` ends and, with ``extras``, holidays, overrides (half
    days, opened weekend days, closed days) and a recurring holiday near ``around``.
    """
    days = [draw(day_quarters()) for _ in range(7)]
    if overnight:
        starts: list[int | None] = []
        for hours in days:
            last_end = hours[-1][1] if hours else 0
            wanted = last_end <= 94 and draw(st.integers(0, 2)) == 0
            starts.append(draw(st.integers(max(last_end, 1), 95)) if wanted else None)
        firsts = [
            min([h[0][0]] if h else [96] + ([s] if s is not None else []))
            for h, s in zip(days, starts, strict=True)
        ]
        for k, start in enumerate(starts):
            if start is not None:  # the spill must end before the next day's first opening
                end = draw(st.integers(0, min(firsts[(k + 1) % 7], start - 1)))
                days[k].append([start, end])
    data: dict[str, object] = {
        "timezone": draw(st.sampled_from(zones)),
        "weekly": {
            key: [[quarter_clock(a), quarter_clock(b)] for a, b in hours]
            for key, hours in zip(WEEKDAY_KEYS, days, strict=True)
        },
        "holidays": [],
        "overrides": {},
    }
    if not extras:
        return data
    offsets = draw(st.lists(st.integers(-8, 8), max_size=4, unique=True))
    holidays = sorted({around + dt.timedelta(days=o) for o in offsets[: len(offsets) // 2 + 1]})
    override_days = [
        around + dt.timedelta(days=o) for o in offsets[len(offsets) // 2 + 1 :] if offsets
    ]
    overrides: dict[str, list[list[str]]] = {}
    for day in override_days:
        previous = day - dt.timedelta(days=1)
        spill = 0
        if previous not in holidays:
            prior = days[previous.weekday()]
            if prior and prior[-1][1] <= prior[-1][0]:
                spill = prior[-1][1]
        hours = [pair for pair in draw(day_quarters(max_intervals=2)) if pair[0] >= spill]
        overrides[day.isoformat()] = [[quarter_clock(a), quarter_clock(b)] for a, b in hours]
    # An override must not start before the spill of an overnight override the day before:
    # overrides here never spill (no overnight pairs), so the check above is complete.
    data["holidays"] = [d.isoformat() for d in holidays]
    data["overrides"] = overrides
    if draw(st.integers(0, 3)) == 0:
        weekday = draw(st.sampled_from(["MO", "TU", "WE", "TH", "FR", "SA", "SU"]))
        data["holiday_rules"] = [
            f"DTSTART:{around.strftime('%Y%m%d')}T000000\nRRULE:FREQ=WEEKLY;INTERVAL=2;BYDAY={weekday}"
        ]
    return data


@st.composite
def calendar_windows(
    draw: st.DrawFn, *, zones: tuple[str, ...] = CALENDAR_ZONES, extras: bool = True
) -> tuple[dict[str, object], dt.datetime]:
    """A calendar mapping and a UTC midnight near a DST switch to centre queries on."""
    base = draw(st.sampled_from(DST_SWITCH_DATES)) + dt.timedelta(days=draw(st.integers(-3, 3)))
    data = draw(business_calendar_dicts(around=base, zones=zones, extras=extras))
    return data, dt.datetime.combine(base, dt.time(), tzinfo=dt.UTC)


# --------------------------------------------------------------------------- loyalty ledger: programs for replay


@st.composite
def ledger_tender_policies(draw: st.DrawFn) -> object:
    """A :class:`crmkit.loyalty.TenderPolicy` that the ledger tests' tenders (1 point per
    0.01) sometimes keep and sometimes break: half or all of the order, multiples of 1 or
    100 points, 100 points per unit or any."""
    from crmkit.loyalty import TenderPolicy

    return TenderPolicy(
        max_share=draw(st.sampled_from([None, Decimal("0.5"), Decimal(1)])),
        multiple_of=draw(st.sampled_from([1, 100])),
        points_per_unit=draw(st.sampled_from([None, Decimal(100), Decimal(50)])),
    )


@st.composite
def loyalty_programs(draw: st.DrawFn) -> object:
    """A :class:`crmkit.loyalty.Program` with a random expiry, shortfall and pending policy.

    Earning is a base rate (whole or fractional) so that histories stay easy to build.
    """
    from crmkit.loyalty import (
        EarningScheme,
        ExpiryPolicy,
        Program,
        Qualification,
        Tier,
        TierLadder,
    )

    expiry = draw(
        st.sampled_from(
            [
                ExpiryPolicy.never(),
                ExpiryPolicy.after_days(30),
                ExpiryPolicy.after_months(1),
                ExpiryPolicy.after_months(1, count_from="month_end"),
                ExpiryPolicy.end_of_period("month"),
                ExpiryPolicy.fixed_date(2, 29),
                ExpiryPolicy.inactivity(20, "days", activity=("purchase", "redeem")),
                ExpiryPolicy.inactivity(
                    20, "days", activity=("purchase", "adjust"), ignore_reasons=("gift",)
                ),
            ]
        )
    )
    tiers = draw(
        st.sampled_from(
            [
                None,
                TierLadder(
                    tiers=[
                        Tier(name="member"),
                        Tier(name="silver", spend="300"),
                        Tier(name="gold", spend="900"),
                    ],
                    downgrade="one_down",
                ),
                TierLadder(
                    tiers=[Tier(name="member"), Tier(name="gold", points=500)],
                    window="rolling",
                    window_months=1,
                ),
                # Rule 1: "4 nights or 600 points" in a rolling quarter.
                TierLadder(
                    tiers=[
                        Tier(name="member"),
                        Tier(name="gold", points=600, counts={"nights": 4}),
                    ],
                    window="rolling",
                    window_months=3,
                ),
                # Combined metrics (branch loyrules): "2 nights AND 300 spent, or 900
                # spent" in a calendar year: an OR of ANDs.
                TierLadder(
                    tiers=[
                        Tier(name="member"),
                        Tier(
                            name="gold",
                            alternatives=[
                                Qualification(spend="300", counts={"nights": 2}),
                                Qualification(spend="900"),
                            ],
                        ),
                    ],
                ),
            ]
        )
    )
    if tiers is not None and expiry.kind != "inactivity" and draw(st.booleans()):
        # Rule 5: gold members' points never expire, or last 60 days; dated by the tier
        # held when credited, or (branch loygaps) protected while gold is held.
        gold = draw(st.sampled_from([ExpiryPolicy.never(), ExpiryPolicy.after_days(60)]))
        expiry = expiry.per_tier({"gold": gold}, basis=draw(st.sampled_from(["credited", "held"])))
    elif tiers is not None and expiry.kind == "inactivity" and draw(st.booleans()):
        # Rule 5 under inactivity (branch loygaps): no deadline while gold is held.
        expiry = expiry.per_tier({"gold": ExpiryPolicy.never()})
    earning = EarningScheme.base_rate(
        draw(st.sampled_from(["1", "0.5", "2.5"])),
        refund_rounding=draw(st.sampled_from(["floor", "ceiling"])),
        refund_rounding_scope=draw(st.sampled_from(["per_line", "per_order"])),
    )
    if tiers is not None and draw(st.booleans()):
        # Earning by tier ("gold x1.5"): the compiled earner's tier rates (session 7).
        from crmkit.loyalty import Condition, Multiplier

        gold = Multiplier(
            id="gold",
            factor="1.5",
            when=Condition(tiers=["gold"]),
            qualifying=draw(st.booleans()),  # Hilton: the bonus earns, status on base points
        )
        earning = attrs.evolve(earning, rules=(*earning.rules, gold))
    return Program(
        timezone=draw(timezones),
        tender=draw(st.none() | ledger_tender_policies()),
        earning=earning,
        expiry=expiry,
        shortfall=draw(st.sampled_from(["forfeit", "debt", "cash_offset", "balance_then_cash"])),
        pending_days=draw(st.sampled_from([0, 0, 7])),
        point_value="0.01",
        tiers=tiers,
    )


# --------------------------------------------------------------------------- loyalty rules: earning schemes, orders, tier ladders

_CATEGORIES = ("tea", "shoes", "socks")
_CHANNELS = ("store", "app")
_TIER_NAMES = ("member", "silver", "gold", "vip")


@st.composite
def loyalty_orders(draw: st.DrawFn, *, max_lines: int = 5) -> object:
    """A :class:`crmkit.loyalty.Order` (1..max_lines lines, cents amounts, some discounts
    and a points tender of at most the net total) at a naive time in 2025."""
    from decimal import Decimal

    from crmkit.loyalty import Order, OrderLine

    n = draw(st.integers(1, max_lines))
    lines = []
    for i in range(n):
        cents = draw(st.integers(0, 200_000))
        off = draw(st.integers(0, cents)) if draw(st.booleans()) else 0
        lines.append(
            OrderLine(
                f"l{i}",
                Decimal(cents).scaleb(-2),
                sku=f"S{draw(st.integers(1, 3))}",
                category=draw(st.sampled_from(_CATEGORIES)),
                quantity=draw(st.integers(1, 3)),
                discount=Decimal(off).scaleb(-2),
            )
        )
    net = sum(int(line.net.scaleb(2)) for line in lines)
    tender = draw(st.integers(0, net)) if draw(st.booleans()) else 0
    when = draw(
        st.datetimes(min_value=dt.datetime(2025, 1, 1), max_value=dt.datetime(2025, 12, 31))
    )
    return Order(
        "o1",
        when,
        lines,
        channel=draw(st.sampled_from(_CHANNELS)),
        points_tender=Decimal(tender).scaleb(-2),
    )


@st.composite
def earning_conditions(draw: st.DrawFn) -> object:
    """A :class:`crmkit.loyalty.Condition` narrowing by category, channel, tier, a window or
    the birth month, or excluding categories or a channel (often not at all)."""
    import datetime as _dt

    from crmkit.loyalty import Condition, DateWindow

    kw: dict[str, object] = {}
    if draw(st.booleans()):
        kw["categories"] = draw(st.lists(st.sampled_from(_CATEGORIES), min_size=1, max_size=2))
    if draw(st.integers(0, 3)) == 0:
        kw["channels"] = [draw(st.sampled_from(_CHANNELS))]
    if draw(st.integers(0, 3)) == 0:
        kw["except_categories"] = draw(
            st.lists(st.sampled_from(_CATEGORIES), min_size=1, max_size=2)
        )
    if draw(st.integers(0, 5)) == 0:
        kw["except_channels"] = [draw(st.sampled_from(_CHANNELS))]
    if draw(st.integers(0, 3)) == 0:
        kw["tiers"] = [draw(st.sampled_from(_TIER_NAMES))]
    if draw(st.integers(0, 3)) == 0:
        start = _dt.date(2025, 1, 1) + _dt.timedelta(days=draw(st.integers(0, 300)))
        kw["windows"] = [DateWindow(start, start + _dt.timedelta(days=draw(st.integers(1, 60))))]
    if draw(st.integers(0, 4)) == 0:
        kw["birthday_month"] = True
    return Condition(**kw)  # type: ignore[arg-type]


@st.composite
def yearly_bonuses(draw: st.DrawFn, rule_id: str = "yearly") -> object:
    """A :class:`crmkit.loyalty.YearlyBonus`: birthday (with or without notice) or
    enrolment anniversary, sometimes only for some tiers or inside a date window."""
    import datetime as _dt

    from crmkit.loyalty import Condition, DateWindow, YearlyBonus

    on = draw(st.sampled_from(["birthday", "anniversary"]))
    when: dict[str, object] = {}
    if draw(st.integers(0, 2)) == 0:
        when["tiers"] = draw(st.lists(st.sampled_from(_TIER_NAMES), min_size=1, max_size=2))
    if draw(st.integers(0, 4)) == 0:
        start = _dt.date(2025, 1, 1) + _dt.timedelta(days=draw(st.integers(0, 300)))
        when["windows"] = [DateWindow(start, start + _dt.timedelta(days=draw(st.integers(1, 400))))]
    return YearlyBonus(
        id=rule_id,
        points=draw(st.integers(1, 1000)),
        on=on,
        notice_days=draw(st.sampled_from([0, 0, 30])) if on == "birthday" else 0,
        priority=draw(st.integers(0, 3)),
        when=Condition(**when),  # type: ignore[arg-type]
    )


def milestones() -> st.SearchStrategy[Any]:
    """A :class:`crmkit.loyalty.Milestone`: every N after a start, or a list of marks, on
    nights, spend, points or orders, with or without a cap on awards."""
    from crmkit.loyalty import Milestone

    common = {
        "id": st.sampled_from(["m1", "hilton-10n", "里程碑"]),
        "metric": st.sampled_from(["nights", "spend", "points", "orders"]),
        "points": st.integers(1, 50_000),
        "max_awards": st.none() | st.integers(1, 6),
    }
    stepped = st.builds(Milestone, every=st.integers(1, 500), after=st.integers(0, 100), **common)
    listed = st.builds(
        Milestone,
        marks=st.lists(st.integers(1, 2_000), min_size=1, max_size=4, unique=True).map(
            lambda m: tuple(sorted(m))
        ),
        **common,
    )
    return stepped | listed


@st.composite
def earning_schemes(draw: st.DrawFn, *, max_rules: int = 6) -> object:
    """An :class:`crmkit.loyalty.EarningScheme` mixing every rule kind, stacking mode,
    priority, rounding setting and (sometimes) caps."""
    from decimal import Decimal

    from crmkit.loyalty import (
        BaseRate,
        Condition,
        EarningScheme,
        Multiplier,
        OrderBonus,
        OrderMinimum,
        PerEvery,
        PeriodCap,
        SignUpBonus,
    )

    rules = []
    for i in range(draw(st.integers(1, max_rules))):
        kind = draw(
            st.sampled_from(["rate", "rate", "every", "mult", "bonus", "signup", "yearly", "min"])
        )
        if kind == "yearly":  # branch loyrules: credited by the calendar, never by an order
            rules.append(draw(yearly_bonuses(f"r{i}")))
            continue
        common = {
            "id": f"r{i}",
            "priority": draw(st.integers(0, 3)),
            "when": draw(earning_conditions()),
        }
        if draw(st.integers(0, 4)) == 0:  # rule 10: "once a year" and other use limits
            common["max_uses"] = draw(st.integers(1, 3))
            common["uses_freq"] = draw(st.sampled_from(["day", "month", "year"]))
        if draw(st.integers(0, 3)) == 0:  # branch loylimits: earns, does not qualify (rule 1)
            common["qualifying"] = False
        rate = Decimal(draw(st.integers(0, 300))).scaleb(-2)
        if kind == "rate":
            rule: object = BaseRate(
                rate=rate, stacking=draw(st.sampled_from(["add", "max", "first"])), **common
            )  # type: ignore[arg-type]
        elif kind == "every":
            rule = PerEvery(
                points=draw(st.integers(0, 20)),
                every=Decimal(draw(st.integers(1, 500))),
                per_line=draw(st.booleans()),
                stacking=draw(st.sampled_from(["add", "max", "first"])),
                **common,  # type: ignore[arg-type]
            )
        elif kind == "mult":
            rule = Multiplier(
                factor=Decimal(draw(st.integers(100, 400))).scaleb(-2),
                stacking=draw(st.sampled_from(["add", "multiply", "max", "first"])),
                **common,  # type: ignore[arg-type]
            )
        elif kind == "bonus":
            rule = OrderBonus(
                points=draw(st.integers(0, 300)),
                min_spend=Decimal(draw(st.integers(0, 2000))),
                stacking=draw(st.sampled_from(["add", "max", "first"])),
                refunds=draw(st.sampled_from(["share", "threshold"])),
                **common,  # type: ignore[arg-type]
            )
        elif kind == "min":  # a floor of points per order (Wyndham's go get 'em)
            rule = OrderMinimum(
                points=draw(st.integers(1, 500)),
                include_bonuses=draw(st.booleans()),
                **common,  # type: ignore[arg-type]
            )
        else:
            common["when"] = draw(earning_conditions())
            rule = SignUpBonus(
                points=draw(st.integers(0, 300)),
                within_days=draw(st.sampled_from([None, 30])),
                stacking=draw(st.sampled_from(["add", "max", "first"])),
                **common,  # type: ignore[arg-type]
            )
        rules.append(rule)
    caps = []
    if draw(st.booleans()):
        caps.append(
            PeriodCap(draw(st.sampled_from(["day", "month", "year"])), draw(st.integers(0, 5000)))
        )
    return EarningScheme(
        rules=rules,  # type: ignore[arg-type]
        earning_base=draw(st.sampled_from(["net_paid", "net_of_discounts", "gross"])),
        rounding_scope=draw(st.sampled_from(["per_order", "per_line"])),
        rounding_mode=draw(st.sampled_from(["floor", "half_up", "half_even", "ceiling"])),
        max_points_per_order=draw(st.sampled_from([None, None, draw(st.integers(0, 3000))])),
        caps=caps,
        point_decimals=draw(st.sampled_from([0, 0, 0, 1, 2])),
        qualifying=draw(
            st.sampled_from(
                [
                    Condition(),
                    Condition(except_categories=[_CATEGORIES[0]]),
                    Condition(categories=list(_CATEGORIES[1:])),
                ]
            )
        ),
        # Youzan (branch loygaps): a partial refund's deduction rounded up.
        refund_rounding=draw(st.sampled_from(["floor", "floor", "ceiling", "half_up"])),
        refund_rounding_scope=draw(st.sampled_from(["per_line", "per_order"])),
    )


@st.composite
def member_contexts(draw: st.DrawFn) -> object:
    """A :class:`crmkit.loyalty.MemberContext` with a birth date, tier, prior orders,
    period points and uses of the rules ``r0``..``r5``."""
    import datetime as _dt

    from crmkit.loyalty import MemberContext

    return MemberContext(
        birth_date=_dt.date(1990, draw(st.integers(1, 12)), 1) if draw(st.booleans()) else None,
        enrolled_at=dt.datetime(2025, 1, 1) if draw(st.booleans()) else None,
        tier=draw(st.sampled_from([None, *_TIER_NAMES])),
        prior_orders=draw(st.integers(0, 2)),
        period_points={p: draw(st.integers(0, 6000)) for p in ("day", "month", "year")},
        rule_uses={f"r{i}": draw(st.integers(0, 3)) for i in range(6)},
    )


@st.composite
def tier_ladders(
    draw: st.DrawFn,
    *,
    downgrades: tuple[str, ...] = ("reevaluate", "one_down", "to_base"),
    windows: tuple[str, ...] = (
        "calendar_year",
        "rolling",
        "rolling_calendar_months",
        "anniversary",
        "since_change",
    ),
    keep_ways: bool = False,
    assessment_options: bool = False,
) -> object:
    """A :class:`crmkit.loyalty.TierLadder` of 1-4 tiers on spend, orders and/or a named
    count (``nights``), any window (from ``windows``), validity, downgrade policy (from
    ``downgrades``), grace and lifetime.

    Opt-in draws (off by default: the properties of some callers do not hold with them,
    e.g. more activity never giving a lower tier does not with ``renew="assessment"``):
    ``keep_ways`` gives half of the ladders keep ways (:attr:`Tier.keep`) at 50% or 80% of
    each way up; ``assessment_options`` draws ``validity_extra_months`` (0 or 2, any
    window) and, on sliding windows, ``upgrade_validity_months`` (None, shorter than the
    window or 24), ``assessment_lag_months`` (0-2, below every validity) and ``renew``."""
    from decimal import Decimal

    from crmkit.loyalty import Tier, TierLadder

    n = draw(st.integers(1, 4))
    metrics = draw(
        st.sampled_from(
            [("spend",), ("orders",), ("spend", "orders"), ("nights",), ("spend", "nights")]
        )
    )
    spend_steps = sorted(set(draw(st.lists(st.integers(1, 50), min_size=n, max_size=n))))
    order_steps = sorted(set(draw(st.lists(st.integers(1, 12), min_size=n, max_size=n))))
    size = min(len(spend_steps), len(order_steps)) if len(metrics) == 2 else n
    if "spend" in metrics:
        size = min(size, len(spend_steps))
    if "orders" in metrics or "nights" in metrics:
        size = min(size, len(order_steps))
    tiers = [Tier(name="t0")]
    for i in range(1, size):
        kw: dict[str, object] = {}
        if "spend" in metrics:
            kw["spend"] = Decimal(spend_steps[i] * 100)
        if "orders" in metrics:
            kw["orders"] = order_steps[i]
        if "nights" in metrics:
            kw["counts"] = {"nights": 3 * order_steps[i]}
        tiers.append(Tier(name=f"t{i}", **kw))  # type: ignore[arg-type]
    lifetime = []
    if len(tiers) > 1 and draw(st.integers(0, 3)) == 0:
        top = tiers[-1]
        tripled = {m: v * 3 for m, v in top.thresholds().items() if m != "nights"}
        if top.counts:
            tripled["counts"] = {k: 3 * v for k, v in top.counts}
        lifetime = [Tier(name=top.name, **tripled)]  # type: ignore[arg-type]
    # Combined metrics (branch loyrules): 0 = own thresholds only; 1 = plus an
    # alternative "spend AND nights" way; 2 = ways only (the own thresholds as one AND way,
    # and a spend-only way at twice the spend).
    ways = draw(st.sampled_from([0, 0, 1, 2]))
    if ways:
        tiers = [tiers[0]] + [_with_ways(t, i, ways) for i, t in enumerate(tiers[1:], start=1)]
        lifetime = [_with_ways(t, 3, ways) for t in lifetime]
    window = draw(st.sampled_from(windows))
    rollover = draw(st.sampled_from(["none", "surplus"])) if window == "since_change" else "none"
    # Flying Blue (branch loygaps): the surplus also rolls over when the level is kept, and
    # an upgrade climbs one level at a time.
    rollover_on = "upgrade"
    if rollover == "surplus":
        rollover_on = draw(st.sampled_from(["upgrade", "upgrade_or_keep"]))
    climb = (
        draw(st.sampled_from(["highest", "one_level"])) if window == "since_change" else "highest"
    )
    ladder = TierLadder(
        rollover=rollover,
        rollover_cap=draw(st.sampled_from([None, 300])) if rollover == "surplus" else None,
        rollover_on=rollover_on,
        climb=climb,
        tiers=tiers,
        combine=draw(st.sampled_from(["any", "all"])),
        window=window,
        window_months=draw(st.sampled_from([3, 6, 12])),
        validity_windows=draw(st.integers(1, 2)),
        downgrade=draw(st.sampled_from(downgrades)),
        grace_days=draw(st.sampled_from([0, 0, 20])),
        lifetime=lifetime,
        refunds=draw(st.sampled_from(["posted", "purchase_window", "net"])),
    )
    # The opt-in draws come after every other, so a caller without them draws as before.
    if keep_ways and draw(st.booleans()):
        share = draw(st.sampled_from([Decimal("0.5"), Decimal("0.8")]))
        ladder = attrs.evolve(
            ladder,
            tiers=[ladder.tiers[0]]
            + [_with_keep_ways(t, ladder.combine, share) for t in ladder.tiers[1:]],
        )
    if assessment_options:
        ladder = _with_assessment_options(draw, ladder)
    return ladder


# The contract suite draws these ladders too (every window, rollover, climb, keep and
# assessment option).
RULE_STRATEGIES["crmkit.loyalty.TierLadder"] = st.one_of(
    RULE_STRATEGIES["crmkit.loyalty.TierLadder"],
    tier_ladders(keep_ways=True, assessment_options=True),
)


def _with_keep_ways(tier: Any, combine: str, share: Any) -> Any:
    """``tier`` with a keep way at ``share`` of each of its ways up (see :func:`tier_ladders`).

    A scaled-down way that is still stricter than another way up (the ladder refuses it)
    is left out.
    """
    from decimal import Decimal

    from crmkit.loyalty import Qualification

    ways = tier.ways(combine)
    keep = []
    for way in ways:
        low = {
            m: Decimal(v) * share if isinstance(v, Decimal) else int(Decimal(v) * share)
            for m, v in way.items()
        }
        if low in ways or not any(
            all(m in low and low[m] >= v for m, v in w.items()) for w in ways
        ):
            args: dict[str, Any] = {m: low[m] for m in ("spend", "points", "orders") if m in low}
            counts = {m: v for m, v in low.items() if m not in ("spend", "points", "orders")}
            keep.append(Qualification(**args, counts=counts))
    return attrs.evolve(tier, keep=keep)


def _with_assessment_options(draw: st.DrawFn, ladder: Any) -> Any:
    """``ladder`` with ``validity_extra_months`` and, on sliding windows, the assessment's
    options drawn (see :func:`tier_ladders`); a lag only below every validity."""
    extra = draw(st.sampled_from([0, 0, 2]))
    ladder = attrs.evolve(ladder, validity_extra_months=extra)
    if ladder.window not in ("rolling", "rolling_calendar_months"):
        return ladder
    held = ladder.window_months * ladder.validity_windows + extra
    upgrade = draw(st.sampled_from([None, None, 2, 24]))
    lag = draw(st.sampled_from([0, 0, 1, 2]))
    if lag >= min(held, upgrade or held):
        lag = 0
    return attrs.evolve(
        ladder,
        upgrade_validity_months=upgrade,
        assessment_lag_months=lag,
        renew=draw(st.sampled_from(["posting", "assessment"])),
    )


def _with_ways(tier: Any, step: int, mode: int) -> Any:
    """``tier`` with combined-metric alternatives (see :func:`tier_ladders`)."""
    from decimal import Decimal

    from crmkit.loyalty import Qualification, Tier

    both = Qualification(spend=Decimal(150 * step), counts={"nights": 2 * step})
    if mode == 1:
        return Tier(
            name=tier.name,
            spend=tier.spend,
            orders=tier.orders,
            counts=tier.counts,
            alternatives=[both],
        )
    own = Qualification(spend=tier.spend, orders=tier.orders, counts=tier.counts)
    doubled = Qualification(spend=Decimal(2 * (tier.spend or 0) + 500 * step))
    return Tier(name=tier.name, alternatives=[own, doubled])


@st.composite
def qualifying_postings(
    draw: st.DrawFn, *, max_size: int = 12, refunds: bool = False
) -> list[object]:
    """Qualifying postings over 2024-2026 (naive times, whole seconds); spend in hundreds,
    one order and 0-7 ``nights`` each; with ``refunds`` some postings are negative, each
    reversing a purchase 0-400 days earlier."""
    from decimal import Decimal

    from crmkit.loyalty import QualifyingPosting

    out: list[object] = []
    for _ in range(draw(st.integers(0, max_size))):
        when = dt.datetime(2024, 1, 1) + dt.timedelta(
            seconds=draw(st.integers(0, 3 * 365 * 86_400))
        )
        amount = draw(st.integers(-20 if refunds else 0, 40)) * 100
        nights = draw(st.integers(0, 7))
        out.append(
            QualifyingPosting(
                when,
                spend=Decimal(amount),
                points=amount,
                orders=1 if amount >= 0 else -1,
                counts={"nights": nights if amount >= 0 else -nights},
                reverses=(
                    None if amount >= 0 else when - dt.timedelta(days=draw(st.integers(0, 400)))
                ),
            )
        )
    return out


# ---------------------------------------------------------------------------- campaigns
#: The columns of :func:`customer_frames`, by kind.
CAMPAIGN_COLUMNS = {
    "recency_days": "number",
    "monetary": "number",
    "orders": "number",
    "segment": "text",
    "stage": "text",
    "vip": "bool",
    "joined": "datetime",
}
_SEGMENTS = ("A", "B", "C", "客户")
_STAGES = ("new", "active", "dormant", "churned")
_JOINED = tuple(f"2025-0{m}-01" for m in range(1, 7))


@st.composite
def customer_frames(draw: st.DrawFn, *, max_rows: int = 25) -> pd.DataFrame:
    """Customer frames with numeric (NaN included), text, categorical, boolean and datetime
    columns (missing values in each), indexed by customer id."""
    n = draw(st.integers(0, max_rows))

    def maybe(values: st.SearchStrategy[object]) -> list[object]:
        return draw(st.lists(st.one_of(st.none(), values), min_size=n, max_size=n))

    numbers = st.integers(-5, 400).map(float) | st.sampled_from([0.5, 180.0, 90.0])
    frame = pd.DataFrame(
        {
            "recency_days": pd.array(maybe(numbers), dtype="float64"),
            "monetary": pd.array(maybe(numbers), dtype="float64"),
            "orders": pd.array(maybe(st.integers(0, 9)), dtype="Int64"),
            "segment": pd.Series(maybe(st.sampled_from(_SEGMENTS)), dtype=object),
            "stage": pd.Categorical(maybe(st.sampled_from(_STAGES)), categories=_STAGES),
            "vip": pd.array(maybe(st.booleans()), dtype="boolean"),
            "joined": pd.to_datetime(pd.Series(maybe(st.sampled_from(_JOINED)), dtype=object)),
        },
        index=pd.Index([f"c{i}" for i in range(n)], name="customer_id"),
    )
    return frame


def _campaign_value(draw: st.DrawFn, kind: str) -> object:
    if kind == "number":
        return draw(st.sampled_from([0, 1, 90, 180, 180.5, -1, 400]))
    if kind == "bool":
        return draw(st.booleans())
    if kind == "datetime":
        return draw(st.sampled_from((*_JOINED, "2025-03-15")))
    return draw(st.sampled_from(_SEGMENTS + _STAGES + ("zzz",)))


@st.composite
def audience_conditions(
    draw: st.DrawFn, *, depth: int = 3, kind_of_node: str | None = None
) -> object:
    """Valid condition trees over the columns of :func:`customer_frames`; with
    ``kind_of_node`` (``"compare"``, ``"all"``, ...) the root is of that kind."""
    from crmkit.campaigns import AllOf, AnyOf, Between, Compare, In, IsNull, Not

    column = draw(st.sampled_from(sorted(CAMPAIGN_COLUMNS)))
    if kind_of_node == "between":
        column = draw(st.sampled_from(["joined", "monetary", "orders", "recency_days"]))
    kind = CAMPAIGN_COLUMNS[column]
    ordered = kind in ("number", "datetime")
    leaves = ["compare", "in", "is_null"] + (["between"] if ordered else [])
    nodes = ["all", "any", "not"] if depth > 0 else []
    choice = kind_of_node or draw(st.sampled_from(leaves + nodes))
    if choice == "compare":
        ops = ["==", "!=", "<", "<=", ">", ">="] if ordered else ["==", "!="]
        return Compare(column, draw(st.sampled_from(ops)), _campaign_value(draw, kind))
    if choice == "in":
        values = [_campaign_value(draw, kind) for _ in range(draw(st.integers(0, 3)))]
        return In(column, values)
    if choice == "is_null":
        return IsNull(column)
    if choice == "between":
        a, b = sorted([_campaign_value(draw, kind), _campaign_value(draw, kind)])
        return Between(column, a, b)
    if choice == "not":
        return Not(draw(audience_conditions(depth=depth - 1)))
    children = draw(st.lists(audience_conditions(depth=depth - 1), max_size=3))
    return (AllOf if choice == "all" else AnyOf)(children)


# --------------------------------------------------------------------------- service: business days


@st.composite
def business_day_calendars(draw: st.DrawFn) -> tuple[str, list[dt.date]]:
    """A numpy weekmask (``"1111100"``, at least one day) and holidays in 2023-2027."""
    mask = draw(st.lists(st.booleans(), min_size=7, max_size=7).filter(any))
    holidays = draw(
        st.lists(st.dates(dt.date(2023, 1, 1), dt.date(2027, 12, 31)), max_size=40, unique=True)
    )
    return "".join("1" if m else "0" for m in mask), sorted(holidays)


# --------------------------------------------------------------------------- clv: BTYD histories and model parameters


@st.composite
def btyd_histories(draw: st.DrawFn, *, max_frequency: int = 400) -> tuple[float, float, float]:
    """One customer's (frequency, recency, T) with 0 <= recency <= T, recency 0 with no repeat."""
    big_t = draw(st.floats(min_value=0.5, max_value=400.0, allow_nan=False))
    frequency = draw(st.integers(min_value=0, max_value=max_frequency))
    if frequency == 0:
        return 0.0, 0.0, big_t
    recency = draw(st.floats(min_value=0.01, max_value=1.0)) * big_t
    return float(frequency), recency, big_t


def _positive(low: float, high: float) -> st.SearchStrategy[float]:
    return st.floats(min_value=low, max_value=high, allow_nan=False, allow_infinity=False)


@st.composite
def count_model_fits(draw: st.DrawFn) -> object:
    """A BG/NBD, MBG/NBD or Pareto/NBD fit with parameters over a wide, realistic range."""
    from crmkit.segmentation import BetaGeoFit, ModifiedBetaGeoFit, ParetoNBDFit

    kind = draw(st.sampled_from(["bg", "mbg", "pareto"]))
    r = draw(_positive(0.05, 5.0))
    alpha = draw(_positive(0.1, 200.0))
    if kind == "pareto":
        params = {
            "r": r,
            "alpha": alpha,
            "s": draw(_positive(0.05, 5.0)),
            "beta": draw(_positive(0.1, 200.0)),
        }
        return ParetoNBDFit(params=params, time_unit="weeks")
    params = {
        "r": r,
        "alpha": alpha,
        "a": draw(_positive(0.05, 5.0)),
        "b": draw(_positive(0.05, 10.0)),
    }
    cls = BetaGeoFit if kind == "bg" else ModifiedBetaGeoFit
    return cls(params=params, time_unit="weeks")


def simulated_btyd_summary(n: int = 2000, seed: int = 5) -> pd.DataFrame:
    """A BG/NBD population (r = 0.5, alpha = 5, a = 0.8, b = 2.5) observed 20-52 weeks."""
    rng = np.random.default_rng(seed)
    big_t = rng.uniform(20, 52, n)
    lam = rng.gamma(0.5, 1 / 5.0, n)
    p = rng.beta(0.8, 2.5, n)
    x = np.zeros(n)
    tx = np.zeros(n)
    for i in range(n):  # test data generation only (a few ms)
        t = 0.0
        while True:
            t += rng.exponential(1 / lam[i])
            if t > big_t[i]:
                break
            x[i] += 1
            tx[i] = t
            if rng.random() < p[i]:
                break
    return pd.DataFrame({"frequency": x, "recency": tx, "T": big_t})


@st.composite
def health_scores(draw: st.DrawFn) -> object:
    """Valid health-score rules: 1-4 indicators (thresholds or percentiles) and 1-4 bands."""
    from crmkit.campaigns import Band, HealthScore, Indicator, Percentile, Thresholds

    indicators = []
    for i in range(draw(st.integers(1, 4))):
        if draw(st.booleans()):
            edges = sorted(draw(st.sets(st.integers(-50, 500), min_size=1, max_size=4)))
            points = draw(
                st.lists(st.integers(0, 100), min_size=len(edges) + 1, max_size=len(edges) + 1)
            )
            scoring: object = Thresholds(edges, points)
        else:
            scoring = Percentile(higher_is_better=draw(st.booleans()))
        weight = draw(st.sampled_from([0.5, 1, 2, 3.25]))
        missing = draw(st.sampled_from([0.0, 50.0]))
        indicators.append(Indicator(f"ind{i}", f"col{i}", weight, scoring, missing_points=missing))
    mins = sorted(draw(st.sets(st.integers(1, 99), max_size=3)))
    bands = [Band(f"band{j}", m) for j, m in enumerate([0, *mins])]
    return HealthScore(indicators, bands=bands)


# --------------------------------------------------------------------------- loyalty: the rule classes on the spec layer


@st.composite
def date_windows(draw: st.DrawFn) -> object:
    """A :class:`crmkit.loyalty.DateWindow` of 1-60 days in 2024-2026."""
    from crmkit.loyalty import DateWindow

    start = draw(st.dates(dt.date(2024, 1, 1), dt.date(2026, 12, 31)))
    return DateWindow(start, start + dt.timedelta(days=draw(st.integers(1, 60))))


@st.composite
def period_caps(draw: st.DrawFn) -> object:
    """A :class:`crmkit.loyalty.PeriodCap`."""
    from crmkit.loyalty import PeriodCap

    period = draw(st.sampled_from(["day", "week", "month", "quarter", "year", "membership_year"]))
    return PeriodCap(period, draw(st.integers(0, 100_000)))


@st.composite
def privileges(draw: st.DrawFn, *, pid: str | None = None) -> object:
    """A :class:`crmkit.loyalty.Privilege` of any kind, with the fields its kind needs."""
    from crmkit.loyalty import Privilege

    kind = draw(
        st.sampled_from(
            ["earning_multiplier", "birthday_bonus", "free_shipping", "quota", "benefit"]
        )
    )
    value = None
    if kind in ("earning_multiplier", "birthday_bonus"):
        value = draw(st.sampled_from(["1", "1.5", "2", "3.25"]))
    start = draw(st.none() | st.dates(dt.date(2024, 1, 1), dt.date(2026, 12, 31)))
    end = None if start is None else start + dt.timedelta(days=draw(st.integers(1, 90)))
    return Privilege(
        id=pid or draw(st.sampled_from(["lounge", "ship", "x2", "gift"])),
        kind=kind,
        tiers=draw(st.lists(st.sampled_from(_TIER_NAMES), min_size=1, max_size=3)),
        value=value,
        quota=draw(st.integers(1, 12)) if kind == "quota" else None,
        quota_freq=draw(
            st.sampled_from(["year", "month", "validity", "birthday", "birthday_month"])
        ),
        start=start,
        end=end,
        keep_days=draw(st.integers(0, 60)),
        qualifying=value is None or draw(st.booleans()),
        description=draw(st.sampled_from(["", "airport lounge", "免运费"])),
    )


@st.composite
def privilege_sets(draw: st.DrawFn) -> object:
    """A :class:`crmkit.loyalty.PrivilegeSet` of 0-3 privileges with distinct ids."""
    from crmkit.loyalty import PrivilegeSet

    ids = draw(st.lists(st.sampled_from(["lounge", "ship", "x2", "gift"]), unique=True, max_size=3))
    return PrivilegeSet(tuple(draw(privileges(pid=pid)) for pid in ids))


_CENTS = st.integers(0, 10**7).map(lambda c: Decimal(c).scaleb(-2))


@st.composite
def purchase_lines(draw: st.DrawFn) -> object:
    """A :class:`crmkit.loyalty.PurchaseLine`: cents amounts, a discount up to the amount."""
    from crmkit.loyalty import PurchaseLine

    amount = draw(_CENTS)
    discount = draw(st.integers(0, int(amount * 100))) if draw(st.booleans()) else 0
    return PurchaseLine(
        draw(st.text(min_size=1, max_size=5)),
        amount,
        quantity=draw(st.integers(1, 50)),
        sku=draw(st.text(max_size=5)),
        category=draw(st.sampled_from(["", "shoes", "gift_card", "tax", "餐饮"])),
        discount=Decimal(discount).scaleb(-2),
    )


@st.composite
def tenders(draw: st.DrawFn) -> object:
    """A :class:`crmkit.loyalty.Tender`: money of any kind, or a points tender (in the
    primary point currency or a named one)."""
    from crmkit.loyalty import Tender

    kind = draw(st.sampled_from(["cash", "card", "gift_card", "points"]))
    points = draw(st.integers(1, 10**6)) if kind == "points" else 0
    currency = draw(st.sampled_from([None, "miles"])) if kind == "points" else None
    return Tender(kind, draw(_CENTS), points=points, currency=currency)


@st.composite
def refund_lines(draw: st.DrawFn) -> object:
    """A :class:`crmkit.loyalty.RefundLine` of some units or the rest of the line."""
    from crmkit.loyalty import RefundLine

    quantity = draw(st.none() | st.integers(1, 50))
    return RefundLine(draw(st.text(min_size=1, max_size=5)), quantity)


@st.composite
def fit_infos(draw: st.DrawFn) -> object:
    """Fit records as a fitted model carries them."""
    from crmkit.segmentation import FitInfo

    return FitInfo(
        log_likelihood=draw(st.floats(-1e6, 0.0, allow_nan=False)),
        converged=draw(st.booleans()),
        iterations=draw(st.integers(0, 500)),
        message=draw(st.sampled_from(["ok", "Optimization terminated successfully."])),
        n_customers=float(draw(st.integers(2, 10**6))),
        n_unique=draw(st.integers(1, 10**5)),
        penalizer=draw(st.sampled_from([0.0, 0.001, 0.1])),
    )


def _fitted(cls_name: str, names: tuple[str, ...]) -> st.SearchStrategy[object]:
    @st.composite
    def build(draw: st.DrawFn) -> object:
        import crmkit.segmentation as seg

        cls = getattr(seg, cls_name)
        low = 1.05 if cls_name == "GammaGammaFit" else 0.01
        params = {n: draw(_positive(low if n == "q" else 0.01, 100.0)) for n in names}
        errors = {n: draw(st.one_of(st.none(), _positive(1e-4, 10.0))) for n in names}
        return cls(
            params=params,
            time_unit=draw(st.sampled_from(["days", "weeks", "months", "years"])),
            standard_errors=errors,
            info=draw(st.one_of(st.none(), fit_infos())),
        )

    return build()


@st.composite
def sla_policies(draw: st.DrawFn) -> object:
    """An ``SLAPolicy`` with one to three targets under ``"*"`` (and maybe ``"P1"``),
    sometimes conditions and a calendar of its own."""
    from crmkit.service import SLAPolicy

    targets = draw(st.lists(sla_targets(), min_size=1, max_size=3, unique_by=lambda t: t.name))
    by_priority: dict[str, list[object]] = {"*": targets}
    if draw(st.booleans()):
        by_priority["P1"] = [draw(sla_targets(clocks=("calendar",)))]
    needs_calendar = any(t.clock == "business" for ts in by_priority.values() for t in ts)  # type: ignore[attr-defined]
    calendar = draw(sla_calendars()) if needs_calendar or draw(st.booleans()) else None
    when = draw(st.sampled_from([{}, {"kind": ["complaint"]}, {"tier": ["core", "vip"]}]))
    name = draw(st.sampled_from(["standard", "complaints", "core"]))
    return SLAPolicy(name=name, targets=by_priority, when=when, calendar=calendar)


@st.composite
def sla_policy_sets(draw: st.DrawFn) -> object:
    """A ``PolicySet``: up to two conditional policies and a default, maybe a set calendar."""
    import attrs as _attrs

    from crmkit.service import PolicySet

    policies = draw(st.lists(sla_policies(), max_size=2, unique_by=lambda p: p.name))  # type: ignore[attr-defined]
    policies = [p if p.when else _attrs.evolve(p, when={"kind": ["x"]}) for p in policies]  # type: ignore[attr-defined]
    default = draw(sla_policies())
    default = _attrs.evolve(default, name="default", when={})  # type: ignore[misc]
    return PolicySet(policies=policies, default=default, calendar=draw(st.none() | sla_calendars()))


def _calendar_from(raw: dict[str, object]) -> object:
    from crmkit.service import BusinessCalendar

    return BusinessCalendar.from_dict(raw)


@st.composite
def metric_rules(draw: st.DrawFn) -> object:
    """A ``MetricRule`` over the built-in events and a few of a user's own."""
    from crmkit.service import MetricRule

    names = st.sampled_from((*[e for e in SLA_EVENTS if e != "pending"], "arrived", "quote_sent"))
    return MetricRule(
        start=draw(st.lists(names, min_size=1, max_size=2)),
        stop=draw(st.lists(names, min_size=1, max_size=2)),
        restart=draw(st.lists(names, max_size=1)),
        cancel=draw(st.lists(names, max_size=1)),
        once=draw(st.booleans()),
    )


# --------------------------------------------------------------------------- input: raw cells and date columns

#: Raw cells as they arrive in an ``object`` column: text (dates in several formats,
#: junk, numbers as text), numbers of every size, NaN and infinities, datetimes (naive,
#: aware, years 1 to 9999), dates, None and booleans.
raw_cells = st.one_of(
    st.text(max_size=12),
    st.sampled_from(
        [
            "2025-01-02",
            "01/02/2025",
            "2025-01-02T10:00Z",
            "13/13/2025",
            "9999-99-99",
            "99999-01-01",
            "2025-02-30",
            "0000-01-01",
            "1e308",
            "+5",
            "20251341",
        ]
    ),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.datetimes(min_value=dt.datetime(1, 1, 1), max_value=dt.datetime(9999, 12, 31)),
    st.datetimes(timezones=st.just(dt.UTC)),
    st.dates(),
    st.none(),
    st.booleans(),
)

#: Formats a user may state for a date column, and how a datetime is written in each.
DATE_FORMATS = (
    None,
    "%d/%m/%Y %H:%M:%S",
    "%m/%d/%Y",
    "%d.%m.%Y %H:%M",
    "%Y%m%d",
    "%Y-%m-%dT%H:%M:%S%z",
)


@st.composite
def accepted_date_columns(draw: st.DrawFn) -> tuple[pd.Series, str | None]:
    """A date column as a user holds it, with the ``date_format`` that says what it means.

    ``None`` (ISO 8601) comes with a ``datetime64`` column of any unit, naive or aware
    (``to_csv`` writes it as ISO 8601); ``"%Y%m%d"`` with whole numbers such as 20250131;
    the other formats with strings written in them (``%z`` ones in UTC). Instants fall in
    1700-2250, inside the supported range.
    """
    fmt = draw(st.sampled_from(DATE_FORMATS))
    n = draw(st.integers(1, 12))
    stamps = draw(
        st.lists(
            st.datetimes(min_value=dt.datetime(1700, 1, 1), max_value=dt.datetime(2250, 12, 31)),
            min_size=n,
            max_size=n,
        )
    )
    if fmt is None:
        unit = draw(st.sampled_from(["s", "ms", "us", "ns"]))
        series = pd.Series(pd.to_datetime(stamps)).dt.as_unit(unit)
        if draw(st.booleans()):
            series = series.dt.tz_localize("UTC").dt.tz_convert("Asia/Kathmandu")
        return series, None
    if fmt == "%Y%m%d":
        return pd.Series([int(t.strftime(fmt)) for t in stamps]), fmt
    if fmt.endswith("%z"):
        return pd.Series([t.replace(tzinfo=dt.UTC).strftime(fmt) for t in stamps]), fmt
    return pd.Series([t.strftime(fmt) for t in stamps]), fmt


def _audiences() -> st.SearchStrategy[Any]:
    from crmkit.campaigns import Audience

    return st.builds(
        Audience,
        st.text(min_size=1, max_size=12),
        audience_conditions(depth=2),
        description=st.sampled_from(["", "half-year sleepers", "高价值"]),
    )


def _tag_sets() -> st.SearchStrategy[Any]:
    from crmkit.campaigns import TagSet

    return st.lists(_audiences(), max_size=4, unique_by=lambda a: a.name).map(TagSet)


def _health_models() -> st.SearchStrategy[Any]:
    def fitted(rules: Any, seed: int) -> Any:
        rng = np.random.default_rng(seed)
        n = len(rules.indicators)
        return rules.fit(pd.DataFrame({f"col{i}": rng.gamma(2.0, 50.0, 15) for i in range(n)}))

    return st.builds(fitted, health_scores(), st.integers(0, 2**31))


RULE_STRATEGIES.update(
    {
        "crmkit.segmentation.FitInfo": fit_infos(),
        "crmkit.segmentation.BetaGeoFit": _fitted("BetaGeoFit", ("r", "alpha", "a", "b")),
        "crmkit.segmentation.ModifiedBetaGeoFit": _fitted(
            "ModifiedBetaGeoFit", ("r", "alpha", "a", "b")
        ),
        "crmkit.segmentation.ParetoNBDFit": _fitted("ParetoNBDFit", ("r", "alpha", "s", "beta")),
        "crmkit.segmentation.BetaGeoBetaBinomFit": _fitted(
            "BetaGeoBetaBinomFit", ("alpha", "beta", "gamma", "delta")
        ),
        "crmkit.segmentation.ShiftedBetaGeoFit": _fitted("ShiftedBetaGeoFit", ("alpha", "beta")),
        "crmkit.segmentation.GammaGammaFit": _fitted("GammaGammaFit", ("p", "q", "v")),
        "crmkit.service.MetricRule": metric_rules(),
        "crmkit.service.BusinessCalendar": business_calendar_dicts().map(_calendar_from),
        "crmkit.service.SLATarget": sla_targets(),
        "crmkit.service.SLAPolicy": sla_policies(),
        "crmkit.service.PolicySet": sla_policy_sets(),
        **{
            f"crmkit.campaigns.{name}": audience_conditions(depth=2, kind_of_node=kind)
            for name, kind in (
                ("Compare", "compare"),
                ("In", "in"),
                ("Between", "between"),
                ("IsNull", "is_null"),
                ("AllOf", "all"),
                ("AnyOf", "any"),
                ("Not", "not"),
            )
        },
        "crmkit.campaigns.Audience": _audiences(),
        "crmkit.campaigns.TagSet": _tag_sets(),
        "crmkit.campaigns.HealthScore": health_scores(),
        "crmkit.campaigns.Indicator": health_scores().map(lambda r: r.indicators[0]),
        "crmkit.campaigns.Band": health_scores().map(lambda r: r.bands[-1]),
        "crmkit.campaigns.Thresholds": health_scores()
        .map(lambda r: [i.scoring for i in r.indicators if hasattr(i.scoring, "edges")])
        .filter(bool)
        .map(lambda found: found[0]),
        "crmkit.campaigns.HealthModel": _health_models(),
        "crmkit.loyalty.DateWindow": date_windows(),
        "crmkit.loyalty.EarningScheme": earning_schemes(),
        "crmkit.loyalty.EarningRule": earning_schemes().map(lambda s: s.rules[0]),
        **{
            f"crmkit.loyalty.{name}": earning_schemes()
            .map(lambda s, name=name: [r for r in s.rules if type(r).__name__ == name])
            .filter(bool)
            .map(lambda found: found[0])
            for name in (
                "BaseRate",
                "PerEvery",
                "Multiplier",
                "OrderBonus",
                "SignUpBonus",
                "OrderMinimum",
            )
        },
        "crmkit.loyalty.YearlyBonus": yearly_bonuses(),
        "crmkit.loyalty.Milestone": milestones(),
        "crmkit.loyalty.PeriodCap": period_caps(),
        "crmkit.loyalty.Privilege": privileges(),
        "crmkit.loyalty.PrivilegeSet": privilege_sets(),
        "crmkit.loyalty.Program": loyalty_programs(),
        "crmkit.loyalty.PurchaseLine": purchase_lines(),
        "crmkit.loyalty.Tender": tenders(),
        "crmkit.loyalty.RefundLine": refund_lines(),
    }
)


# --------------------------------------------------------------------------- segmentation (branch seg): RFM


_RFM_FLOATS = st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False)


@st.composite
def score_scales(draw: st.DrawFn, *, bins: int | None = None, reverse: bool | None = None) -> Any:
    """A valid :class:`~crmkit.segmentation.ScoreScale` (quantile cuts may tie, fixed may not)."""
    from crmkit.segmentation import ScoreScale

    k = bins if bins is not None else draw(st.integers(2, 9))
    method = draw(st.sampled_from(["quantile", "fixed"]))
    cuts = draw(st.lists(_RFM_FLOATS, min_size=k - 1, max_size=k - 1, unique=method == "fixed"))
    used = draw(st.lists(st.integers(1, k), unique=True, max_size=k).map(sorted))
    return ScoreScale(
        draw(st.text(max_size=8)),
        method,
        sorted(cuts),
        draw(st.booleans()) if reverse is None else reverse,
        used,
    )


_BUILTIN_MAPS = ("default", "marketer-11", "rf-grid", "three-layer")  # all written for 5 bins


@st.composite
def rfm_scorers(draw: st.DrawFn) -> Any:
    """A valid :class:`~crmkit.segmentation.RFMScorer`: fixed, quantile or mixed edges."""
    from crmkit.segmentation import RFMScorer, SegmentMap

    bins = draw(st.integers(2, 9))
    method = draw(st.sampled_from(["quantile", "fixed"]))
    dims = ["recency", "frequency", "monetary"]
    given = dims if method == "fixed" else draw(st.lists(st.sampled_from(dims), unique=True))
    edges = {
        d: sorted(draw(st.lists(_RFM_FLOATS, min_size=bins - 1, max_size=bins - 1, unique=True)))
        for d in given
    }
    maps: list[Any] = [None]
    if bins == 5:
        maps += [*_BUILTIN_MAPS, SegmentMap.builtin(draw(st.sampled_from(_BUILTIN_MAPS)))]
    names = st.text(min_size=1, max_size=8)
    return RFMScorer(
        bins=bins,
        method=method,
        edges=edges if (edges or draw(st.booleans())) else None,
        recency=draw(names),
        frequency=draw(names),
        monetary=draw(names),
        segment_map=draw(st.sampled_from(maps)),
        tenure=draw(names),
    )


@st.composite
def rfm_models(draw: st.DrawFn) -> Any:
    """A valid :class:`~crmkit.segmentation.RFMModel` (scales built directly, not fitted)."""
    from crmkit.segmentation import RFMModel, SegmentMap

    bins = draw(st.integers(2, 9))
    seg = None
    if bins == 5 and draw(st.booleans()):
        seg = SegmentMap.builtin(draw(st.sampled_from(_BUILTIN_MAPS)))
    return RFMModel(
        bins,
        recency=draw(score_scales(bins=bins, reverse=True)),
        frequency=draw(score_scales(bins=bins, reverse=False)),
        monetary=draw(score_scales(bins=bins, reverse=False)),
        segment_map=seg,
        n_customers=draw(st.integers(0, 10**9)),
        tenure=draw(st.text(max_size=8)),
    )


RULE_STRATEGIES.update(
    {
        "crmkit.segmentation.ScoreScale": score_scales(),
        "crmkit.segmentation.RFMScorer": rfm_scorers(),
        "crmkit.segmentation.RFMModel": rfm_models(),
    }
)


# --------------------------------------------------------------------------- segmentation (branch seg): segment maps


def segment_rules(bins: int = 5) -> st.SearchStrategy[Any]:
    """A valid :class:`~crmkit.segmentation.SegmentRule` on the scale ``1..bins``."""
    from crmkit.segmentation import SegmentRule

    score = st.integers(1, bins)
    rng = st.none() | st.tuples(score, score).map(lambda p: (min(p), max(p)))
    ranges = st.builds(lambda r, f, m, t: SegmentRule(r=r, f=f, m=m, t=t), rng, rng, rng, rng)
    code = st.tuples(score, score, score).map(lambda c: "".join(map(str, c)))
    codes = st.lists(code, min_size=1, max_size=4).map(lambda c: SegmentRule(codes=c))
    # Day guards (days since the last / first purchase): "over N" below "within M".
    bounds = st.none() | st.tuples(st.integers(0, 400), st.integers(1, 400)).map(
        lambda p: (min(p), max(p) + 1)
    )
    guarded = st.tuples(ranges | codes, bounds, bounds, st.booleans(), st.booleans()).map(
        lambda a: attrs.evolve(
            a[0],
            last_over=a[1][0] if a[1] and a[3] else None,
            last_within=a[1][1] if a[1] else None,
            first_over=a[2][0] if a[2] and a[4] else None,
            first_within=a[2][1] if a[2] and not a[4] else None,
        )
    )
    return ranges | codes | guarded


def segments(bins: int = 5, name: st.SearchStrategy[str] | None = None) -> st.SearchStrategy[Any]:
    """A valid :class:`~crmkit.segmentation.Segment` (1-3 rules, an optional promise)."""
    from crmkit.segmentation import Segment

    return st.builds(
        Segment,
        name if name is not None else st.text(min_size=1, max_size=6),
        st.lists(segment_rules(bins), min_size=1, max_size=3),
        st.text(max_size=10),
        st.lists(segment_rules(bins), max_size=2),
    )


@st.composite
def segment_maps(draw: st.DrawFn) -> Any:
    """A valid :class:`~crmkit.segmentation.SegmentMap` (any coverage: gaps and overlaps too)."""
    from crmkit.segmentation import SegmentMap

    bins = draw(st.integers(2, 6))
    names = draw(st.lists(st.text(min_size=1, max_size=6), min_size=1, max_size=4, unique=True))
    return SegmentMap(
        draw(st.text(max_size=8)),
        [draw(segments(bins, st.just(n))) for n in names],
        bins,
        draw(st.booleans()),
        draw(st.none() | st.text(min_size=1, max_size=6)),
    )


RULE_STRATEGIES.update(
    {
        "crmkit.segmentation.SegmentRule": segment_rules(9) | segment_rules(),
        "crmkit.segmentation.Segment": segments(),
        "crmkit.segmentation.SegmentMap": segment_maps(),
    }
)


# --------------------------------------------------------------------------- segmentation (branch seg): lifecycle policies


@st.composite
def lifecycle_policies_any(draw: st.DrawFn) -> Any:
    """A valid ``LifecyclePolicy`` with any stage set, names and zone (for the contract)."""
    import attrs

    policy = draw(lifecycle_policies())
    optional = ("new", "reactivated", "at_risk", "dormant", "churned")
    kept = set(draw(st.lists(st.sampled_from(optional), unique=True)))
    stages = [
        s
        for s in ("new", "reactivated", "active", "at_risk", "dormant", "churned")
        if s == "active" or s in kept
    ]
    names = draw(
        st.lists(
            st.text(min_size=1, max_size=5).filter(str.strip),
            unique=True,
            min_size=len(stages),
            max_size=len(stages),
        )
    )
    alive = draw(st.none() | alive_rules())
    return attrs.evolve(
        policy,
        basis="p_alive" if alive is not None else policy.basis,
        alive=alive,
        stages=stages,
        labels=dict(zip(stages, names, strict=True)) if draw(st.booleans()) else None,
        timezone=draw(st.sampled_from([None, "Asia/Shanghai", "UTC"])),
    )


# --------------------------------------------------------------------------- clvlife: P(alive) rules


@st.composite
def alive_rules(draw: st.DrawFn, *, model: bool | None = None) -> Any:
    """An ``AliveRule``: thresholds in order in [0, 1]; a count model, or none (``model``)."""
    from crmkit.segmentation import AliveRule

    cuts = sorted(draw(st.lists(st.floats(0.0, 1.0), min_size=3, max_size=3, unique=True)))
    with_model = draw(st.booleans()) if model is None else model
    return AliveRule(
        model=draw(count_model_fits()) if with_model else None,
        churned_below=cuts[0],
        dormant_below=cuts[1],
        at_risk_below=cuts[2],
    )


RULE_STRATEGIES["crmkit.segmentation.LifecyclePolicy"] = lifecycle_policies_any()
RULE_STRATEGIES["crmkit.segmentation.AliveRule"] = alive_rules()


# --------------------------------------------------------------------------- loyalty engine (branch loyengine): event tables with their event objects


@st.composite
def loyalty_event_tables(
    draw: st.DrawFn, *, max_members: int = 3, max_events: int = 14, extras: bool = False
) -> tuple[pd.DataFrame, dict[str, list[object]]]:
    """An events table for ``replay_many`` and, per member, the same events as objects.

    Members get enrolments, purchases of 1-3 lines (unit quantities 1-3, some discounts),
    whole and per-line refunds, redemptions, cancellations and adjustments at UTC instants
    at least an hour apart; a refund or cancellation may name an event that cannot be
    refunded or cancelled (the ledger rejects it), so rejected events are covered too.
    With ``extras``, purchases may carry a ``nights`` count (column ``nights``) and a
    points tender (``tender_points``/``tender_amount``, in ``"miles"`` or the primary
    currency), redemptions and adjustments a ``currency``, credits an ``expires_at``.
    """
    from decimal import Decimal

    from crmkit.loyalty import (
        Adjust,
        CancelRedemption,
        Enroll,
        Purchase,
        PurchaseLine,
        Redeem,
        Refund,
        RefundLine,
        Tender,
    )

    def currency() -> str | None:
        return draw(st.sampled_from([None, "miles"])) if extras else None

    rows: list[dict[str, object]] = []
    objects: dict[str, list[object]] = {}
    kinds = ["purchase", "purchase", "purchase", "refund", "redeem", "cancel", "adjust", "enroll"]
    for m in range(draw(st.integers(1, max_members))):
        member = f"m{m}"
        objects[member] = events = []
        at = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
        purchases: list[tuple[str, int]] = []
        others: list[str] = []
        for k in range(draw(st.integers(1, max_events))):
            at += dt.timedelta(hours=draw(st.integers(1, 24 * 40)))
            kind = draw(st.sampled_from(kinds))
            eid = f"{member}-{k}"
            row: dict[str, object] = {"member_id": member, "event_id": eid, "time": at}
            if kind == "purchase":
                lines = []
                for i in range(draw(st.integers(1, 3))):
                    cents = draw(st.integers(0, 80_000))
                    off = draw(st.integers(0, cents)) if draw(st.booleans()) else 0
                    quantity = draw(st.integers(1, 3))
                    amount, discount = Decimal(cents).scaleb(-2), Decimal(off).scaleb(-2)
                    lines.append(
                        PurchaseLine(str(i + 1), amount, quantity=quantity, discount=discount)
                    )
                    rows.append(
                        {
                            **row,
                            "kind": "purchase",
                            "amount": str(amount),
                            "discount": str(discount),
                            "quantity": quantity,
                            "line": str(i + 1),
                        }
                    )
                counts: dict[str, int] = {}
                tenders: list[Tender] = []
                if extras and draw(st.booleans()):
                    counts["nights"] = draw(st.integers(0, 5))
                    rows[-len(lines)]["nights"] = counts["nights"]
                total = Purchase(eid, at, lines=lines).net
                if extras and total >= 1 and draw(st.booleans()):
                    money = Decimal(draw(st.integers(1, int(total)))).scaleb(0)
                    paid, unit = draw(st.integers(1, 300)), currency()
                    tenders.append(Tender("points", money, points=paid, currency=unit))
                    if total > money:
                        tenders.append(Tender("other", total - money))
                    first = rows[-len(lines)]
                    first.update(tender_points=paid, tender_amount=str(money), currency=unit)
                events.append(Purchase(eid, at, lines=lines, tenders=tenders, counts=counts))
                purchases.append((eid, len(lines)))
                continue
            if kind == "refund" and purchases:
                ref, n_lines = draw(st.sampled_from(purchases))
                if draw(st.booleans()):
                    rows.append({**row, "kind": "refund", "ref": ref})
                    events.append(Refund(eid, at, ref))
                else:
                    line = str(draw(st.integers(1, n_lines)))
                    rows.append({**row, "kind": "refund", "ref": ref, "line": line, "quantity": 1})
                    events.append(Refund(eid, at, ref, lines=[RefundLine(line, 1)]))
            elif kind == "cancel" and others:
                ref = draw(st.sampled_from(others))
                rows.append({**row, "kind": "cancel_redemption", "ref": ref})
                events.append(CancelRedemption(eid, at, ref))
            elif kind == "redeem":
                points, unit = draw(st.integers(1, 400)), currency()
                rows.append({**row, "kind": "redeem", "points": points, "currency": unit})
                events.append(Redeem(eid, at, points=points, currency=unit))
                others.append(eid)
            elif kind == "enroll":
                rows.append({**row, "kind": "enroll"})
                events.append(Enroll(eid, at))
                others.append(eid)
            else:
                points, unit = draw(st.integers(-200, 300).filter(bool)), currency()
                expires = None
                if extras and points > 0 and draw(st.booleans()):
                    expires = at + dt.timedelta(days=draw(st.integers(1, 90)))
                rows.append(
                    {**row, "kind": "adjust", "points": points, "reason": "goodwill",
                     "currency": unit, "expires_at": expires}
                )  # fmt: skip
                events.append(
                    Adjust(eid, at, points=points, reason="goodwill", currency=unit,
                           expires_at=expires)
                )  # fmt: skip
    table = pd.DataFrame(rows)
    more = ("nights", "tender_points", "tender_amount", "currency", "expires_at")
    for column in ("amount", "discount", "quantity", "line", "ref", "points", "reason",
                   *(more if extras else ())):  # fmt: skip
        if column not in table:
            table[column] = None
        table[column] = table[column].astype(object).where(table[column].notna(), None)
    return table, objects


@st.composite
def loyalty_events(draw: st.DrawFn, kind: str) -> object:
    """One loyalty event of ``kind`` (the class name) with drawn ids, an aware time (UTC or
    +08:00) and drawn fields, for the spec-layer contract."""
    from decimal import Decimal

    from crmkit.loyalty import (
        Adjust,
        CancelRedemption,
        Enroll,
        ProfileUpdate,
        Purchase,
        PurchaseLine,
        Redeem,
        Refund,
        RefundLine,
        Tender,
    )

    ids = st.text("abcxyz0123-", min_size=1, max_size=6)
    zone = draw(st.sampled_from([dt.UTC, dt.timezone(dt.timedelta(hours=8))]))
    when = draw(
        st.datetimes(min_value=dt.datetime(2020, 1, 1), max_value=dt.datetime(2030, 1, 1))
    ).replace(tzinfo=zone)
    eid = draw(ids)
    birth = draw(st.none() | st.dates(min_value=dt.date(1940, 1, 1), max_value=dt.date(2010, 1, 1)))
    if kind == "Enroll":
        return Enroll(eid, when, birth_date=birth, channel=draw(st.sampled_from(["", "app"])))
    if kind == "ProfileUpdate":
        return ProfileUpdate(eid, when, birth_date=birth)
    if kind == "Purchase":
        n = draw(st.integers(1, 3))
        lines = [
            PurchaseLine(
                str(i + 1),
                Decimal(draw(st.integers(0, 10**6))).scaleb(-2),
                quantity=draw(st.integers(1, 3)),
                category=draw(st.sampled_from(["", "tea"])),
            )
            for i in range(n)
        ]
        net = sum((line.net for line in lines), Decimal(0))
        tenders = []
        if draw(st.booleans()) and net > 0:
            part = Decimal(draw(st.integers(1, int(net * 100)))).scaleb(-2)
            tenders = [Tender("points", part, points=draw(st.integers(1, 10**5)))]
            if net - part:
                tenders.append(Tender("card", net - part))
        return Purchase(eid, when, lines=lines, channel="store", tenders=tenders)
    if kind == "Refund":
        lines = (
            [RefundLine("1", draw(st.none() | st.integers(1, 3)))] if draw(st.booleans()) else []
        )
        return Refund(eid, when, draw(ids), lines=lines)
    if kind == "Redeem":
        points = draw(st.none() | st.integers(1, 10**6))
        reward = draw(st.sampled_from(["", "mug"])) if points is not None else "mug"
        return Redeem(eid, when, reward=reward, points=points, currency=draw(st.none() | ids))
    if kind == "CancelRedemption":
        return CancelRedemption(eid, when, draw(ids))
    # Status credit (Delta's MQD head start): spend, qualifying points and counts, signed;
    # points may then be 0.
    spend = draw(st.sampled_from([Decimal(0), Decimal("2500"), Decimal("-12.50")]))
    qualifying = draw(st.sampled_from([0, 0, 400, -40]))
    counts = draw(st.sampled_from([{}, {}, {"nights": 2}, {"segments": -1}]))
    credits = bool(spend or qualifying or counts)
    points = draw(st.integers(-1000, 1000).filter(lambda p: bool(p) or credits))
    return Adjust(
        eid,
        when,
        points=points,
        reason=draw(st.sampled_from(["goodwill", "gift"])),
        currency=draw(st.none() | ids),
        # A kept expiry (points transferred with their lot's expiry), credits only.
        expires_at=when + dt.timedelta(days=draw(st.integers(1, 800)))
        if points > 0 and draw(st.booleans())
        else None,
        spend=spend,
        qualifying_points=qualifying,
        counts=counts,
    )


RULE_STRATEGIES.update(
    {
        f"crmkit.loyalty.{name}": loyalty_events(name)
        for name in (
            "Enroll",
            "ProfileUpdate",
            "Purchase",
            "Refund",
            "Redeem",
            "CancelRedemption",
            "Adjust",
        )
    }
)


# --------------------------------------------------------------------------- loyalty transfers (branch loytransfer)
@st.composite
def transfer_policies(draw: st.DrawFn) -> Any:
    """Valid :class:`crmkit.loyalty.TransferPolicy` values."""
    from crmkit.loyalty import TransferPolicy

    return TransferPolicy(
        expiry=draw(st.sampled_from(["keep", "reset"])),
        minimum=draw(st.integers(1, 10_000)),
        fee_points=draw(st.integers(0, 1_000)),
        fee_rate=Decimal(draw(st.integers(0, 1000))).scaleb(-3),
        yearly_cap=draw(st.none() | st.integers(1, 10**7)),
        # branch loylimits: published limits (multiples, yearly received, pool size).
        multiple_of=draw(st.sampled_from([1, 1, 100, 1_000])),
        yearly_receive_cap=draw(st.none() | st.integers(1, 10**7)),
        max_pool_members=draw(st.none() | st.integers(2, 20)),
    )


RULE_STRATEGIES["crmkit.loyalty.TransferPolicy"] = transfer_policies()


# --------------------------------------------------------------------------- loyalty expiry policies (branch loygaps)
def lot_dated_policies() -> st.SearchStrategy[Any]:
    """Expiry policies that date each lot (never, days, months, end of period, fixed date)."""
    from crmkit.loyalty import ExpiryPolicy

    return st.one_of(
        st.just(ExpiryPolicy.never()),
        st.integers(1, 400).map(ExpiryPolicy.after_days),
        st.builds(
            ExpiryPolicy.after_months,
            st.integers(1, 48),
            count_from=st.sampled_from(["earning_day", "month_end"]),
        ),
        st.builds(
            ExpiryPolicy.end_of_period,
            st.sampled_from(["month", "quarter", "year"]),
            st.integers(0, 12),
        ),
        st.builds(ExpiryPolicy.fixed_date, st.integers(1, 12), st.integers(1, 31)),
    )


@st.composite
def expiry_policies(draw: st.DrawFn) -> Any:
    """Valid :class:`crmkit.loyalty.ExpiryPolicy` values of every kind, with tiers (rule 5)."""
    from crmkit.loyalty import ExpiryPolicy

    lot_dated = lot_dated_policies()
    inactivity = st.builds(
        ExpiryPolicy.inactivity,
        st.integers(1, 36),
        st.sampled_from(["days", "months"]),
        st.sampled_from([("purchase",), ("purchase", "redeem", "adjust")]),
        ignore_reasons=st.sampled_from([(), ("gift",)]),
    )
    policy = draw(st.one_of(lot_dated, inactivity))
    if draw(st.booleans()):
        names = draw(st.lists(st.sampled_from(_TIER_NAMES), min_size=1, max_size=3, unique=True))
        if policy.kind == "inactivity":
            policy = policy.per_tier(dict.fromkeys(names, ExpiryPolicy.never()))
        else:
            basis = draw(st.sampled_from(["credited", "held"]))
            policy = policy.per_tier({name: draw(lot_dated) for name in names}, basis=basis)
    return policy


RULE_STRATEGIES["crmkit.loyalty.ExpiryPolicy"] = expiry_policies()


# --------------------------------------------------------------------------- loyalty tender policy (branch loylimits)
@st.composite
def tender_policies(draw: st.DrawFn) -> Any:
    """Valid :class:`crmkit.loyalty.TenderPolicy` values."""
    from crmkit.loyalty import TenderPolicy

    return TenderPolicy(
        max_share=draw(st.none() | st.integers(0, 100).map(lambda n: Decimal(n).scaleb(-2))),
        multiple_of=draw(st.sampled_from([1, 100, 1_000])),
        points_per_unit=draw(st.none() | st.integers(1, 1_000).map(Decimal)),
    )


RULE_STRATEGIES["crmkit.loyalty.TenderPolicy"] = tender_policies()


# --------------------------------------------------------------------------- loyalty tables of repeated values (branch loyev)
#: Zones of the repeated-value tables: none, one and a negative daylight saving time.
EVENT_ZONES = ("UTC", "Asia/Shanghai", "America/New_York", "Europe/Dublin", "Australia/Lord_Howe")
#: Instants near daylight saving changes (the repeated and the skipped hour), in UTC.
_CHANGES = (
    dt.datetime(2025, 11, 2, 6, tzinfo=dt.UTC),  # New York: 01:00-02:00 twice
    dt.datetime(2025, 3, 9, 7, tzinfo=dt.UTC),  # New York: 02:00-03:00 skipped
    dt.datetime(2025, 10, 26, 1, tzinfo=dt.UTC),  # Dublin: 01:00-02:00 twice
    dt.datetime(2025, 4, 5, 15, tzinfo=dt.UTC),  # Lord Howe: 01:30-02:00 twice
)


@st.composite
def event_instants(draw: st.DrawFn) -> dt.datetime:
    """An aware UTC instant (microseconds), often within hours of a daylight saving change."""
    if draw(st.booleans()):
        base = draw(st.sampled_from(_CHANGES))
        return base + dt.timedelta(
            microseconds=draw(st.integers(-4 * 3600 * 10**6, 4 * 3600 * 10**6))
        )
    return dt.datetime(1960, 1, 1, tzinfo=dt.UTC) + dt.timedelta(
        microseconds=draw(st.integers(0, 100 * 365 * 86_400 * 10**6))
    )


@st.composite
def repeated_value_event_tables(
    draw: st.DrawFn,
) -> tuple[pd.DataFrame, dict[str, list[object]], str]:
    """An events table whose cells repeat, the same events built by the checked constructors
    (per member), and the program's zone.

    One-row events of every kind but profiles, plus purchases of several lines, drawing
    amounts ("12.5" and "12.50" both), discounts, quantities, skus, categories, channels,
    line ids, refs, rewards and reasons from small pools, at instants often near daylight
    saving changes; the text columns are pandas' string dtype or object columns.
    """
    import zoneinfo

    from crmkit.loyalty import (
        Adjust,
        CancelRedemption,
        Enroll,
        Purchase,
        PurchaseLine,
        Redeem,
        Refund,
    )

    zone = draw(st.sampled_from(EVENT_ZONES))
    tz = zoneinfo.ZoneInfo(zone)
    pick = draw
    amounts = ["0", "1.50", "12.5", "12.50", "0.01", "99"]
    rows: list[dict[str, object]] = []
    objects: dict[str, list[object]] = {}
    for m in range(pick(st.integers(1, 3))):
        member = f"m{m}"
        objects[member] = events = []
        for k in range(pick(st.integers(1, 12))):
            at = pick(event_instants()).astimezone(tz)
            eid = f"{member}-{k}"
            row: dict[str, object] = {"member_id": member, "event_id": eid, "time": at}
            kind = pick(
                st.sampled_from(
                    ["purchase"] * 4 + ["refund", "redeem", "cancel", "adjust", "enroll"]
                )
            )
            if kind == "purchase":
                lines = []
                n_lines = pick(st.sampled_from([1, 1, 1, 2]))
                channel = pick(st.sampled_from([None, "store", "web"]))
                for i in range(n_lines):
                    amount = pick(st.sampled_from(amounts))
                    discount = pick(st.sampled_from([None, "0", "0.50", "1"]))
                    if discount is not None and Decimal(discount) > Decimal(amount):
                        discount = None
                    quantity = pick(st.sampled_from([None, 1, 2]))
                    sku, category = (pick(st.sampled_from([None, "", "a", "b"])) for _ in "sc")
                    line = pick(st.sampled_from([None, "1", "x"])) if n_lines == 1 else f"l{i}"
                    rows.append(
                        {**row, "kind": "purchase", "amount": amount, "discount": discount,
                         "quantity": quantity, "sku": sku, "category": category, "line": line,
                         "channel": channel}
                    )  # fmt: skip
                    lines.append(
                        PurchaseLine(
                            line or "1", amount, quantity=quantity or 1, sku=sku or "",
                            category=category or "", discount=discount or "0",
                        )
                    )  # fmt: skip
                events.append(Purchase(eid, at, lines=lines, channel=channel or ""))
            elif kind in ("refund", "cancel"):
                ref = pick(st.sampled_from(["p1", "x9"]))
                if kind == "refund":
                    rows.append({**row, "kind": "refund", "ref": ref})
                    events.append(Refund(eid, at, ref))
                else:
                    rows.append({**row, "kind": "cancel_redemption", "ref": ref})
                    events.append(CancelRedemption(eid, at, ref))
            elif kind == "redeem":
                points = pick(st.sampled_from([None, 100, 250]))
                reward = "coupon" if points is None else pick(st.sampled_from([None, "coupon"]))
                rows.append({**row, "kind": "redeem", "points": points, "reward": reward})
                events.append(Redeem(eid, at, reward=reward or "", points=points))
            elif kind == "adjust":
                points, reason = (
                    pick(st.sampled_from([-5, 50])),
                    pick(st.sampled_from([None, "gift"])),
                )
                rows.append({**row, "kind": "adjust", "points": points, "reason": reason})
                events.append(Adjust(eid, at, points=points, reason=reason or "adjust"))
            else:
                channel = pick(st.sampled_from([None, "app"]))
                rows.append({**row, "kind": "enroll", "channel": channel})
                events.append(Enroll(eid, at, channel=channel or ""))
    table = pd.DataFrame(rows)
    texts = ("amount", "discount", "sku", "category", "line", "channel", "ref", "reward", "reason")
    as_text = pick(st.booleans())
    for column in texts:
        if column not in table:
            table[column] = None
        values = table[column].astype(object).where(table[column].notna(), None)
        table[column] = values.astype("str") if as_text else values
    for column in ("quantity", "points"):
        if column not in table:
            table[column] = None
        table[column] = pd.array(
            table[column].astype(object).where(table[column].notna(), None), dtype="Int64"
        )
    return table, objects, zone


# --------------------------------------------------------------------------- loyalty tier tracker batches (branch loytier)
#: Instants around which the qualifying postings of :func:`ledger_qualifying` start: the
#: autumn and spring clock changes of Berlin, Santiago (at local midnight) and Lord Howe
#: (30 minutes), a New Year, the date-line jump of Apia (30 December 2011 never happened).
_POSTING_ANCHORS = (
    dt.datetime(2025, 10, 26, 0, 30, tzinfo=dt.UTC),
    dt.datetime(2025, 3, 30, 0, 30, tzinfo=dt.UTC),
    dt.datetime(2025, 4, 6, 2, 30, tzinfo=dt.UTC),
    dt.datetime(2025, 9, 7, 3, 30, tzinfo=dt.UTC),
    dt.datetime(2025, 4, 5, 14, 45, tzinfo=dt.UTC),
    dt.datetime(2024, 12, 31, 12, tzinfo=dt.UTC),
    dt.datetime(2011, 12, 29, 9, tzinfo=dt.UTC),
    dt.datetime(2024, 2, 28, 23, tzinfo=dt.UTC),
)
#: Zones for those postings: every awkward clock change of the anchors above.
TIER_ZONES = (
    "UTC",
    "Asia/Shanghai",
    "Europe/Berlin",
    "America/Santiago",
    "Australia/Lord_Howe",
    "Pacific/Apia",
)


@st.composite
def ledger_qualifying(
    draw: st.DrawFn, *, max_size: int = 60, shuffled: bool = False
) -> list[tuple[Any, ...]]:
    """The ledger's qualifying postings (``Book.qualifying``): tuples ``(time, spend,
    points, orders, counts, origin)``, aware UTC times in order (some equal), gaps from
    none to months around a clock change or a year's end; cent spends, points as whole
    yuan, one order; refunds negative, most with the time of the purchase they reverse;
    ``nights`` or an unused named count on some. With ``shuffled`` one posting may come
    out of order."""
    start = draw(st.sampled_from(_POSTING_ANCHORS)) - dt.timedelta(hours=draw(st.integers(0, 72)))
    gaps = st.one_of(
        st.just(0),
        st.integers(1, 3_600),
        st.integers(3_600, 3 * 86_400),
        st.integers(86_400, 120 * 86_400),
    )
    out: list[tuple[Any, ...]] = []
    when = start
    bought: list[dt.datetime] = []
    for _ in range(draw(st.integers(0, max_size))):
        when += dt.timedelta(seconds=draw(gaps))
        cents = draw(st.integers(1, 90_000))
        counts: tuple[tuple[str, int], ...] = draw(
            st.sampled_from([(), (), (("nights", 2),), (("stays", 1),)])
        )
        if bought and draw(st.integers(0, 4)) == 0:
            origin = draw(st.sampled_from([None, *bought[-4:]]))
            back = -draw(st.integers(1, cents))
            counts = tuple((name, -value) for name, value in counts)
            spend = Decimal(back).scaleb(-2)
            out.append((when, spend, back // 100, -1, counts, origin))
        else:
            bought.append(when)
            out.append((when, Decimal(cents).scaleb(-2), cents // 100, 1, counts, None))
    if shuffled and len(out) > 1 and draw(st.booleans()):
        item = out.pop(draw(st.integers(0, len(out) - 1)))
        out.insert(draw(st.integers(0, len(out))), item)
    return out


@st.composite
def one_metric_ladders(draw: st.DrawFn) -> Any:
    """A :class:`crmkit.loyalty.TierLadder` of 2-5 tiers on one metric (spend, points or
    orders) with thresholds increasing: the ladders :meth:`TierTracker._post_many` adds up
    without settling each posting; any window, validity, downgrade, grace, refunds
    reading, lifetime tiers or not."""
    from crmkit.loyalty import Tier, TierLadder

    metric = draw(st.sampled_from(["spend", "points", "orders"]))
    n = draw(st.integers(1, 4))
    scale = {"spend": 200, "points": 150, "orders": 2}[metric]
    steps = sorted(set(draw(st.lists(st.integers(1, 60), min_size=n, max_size=n))))
    tiers = [Tier(name="base")]
    tiers += [Tier(name=f"t{i}", **{metric: step * scale}) for i, step in enumerate(steps, 1)]
    lifetime = []
    if draw(st.integers(0, 4)) == 0:
        lifetime = [Tier(name=tiers[-1].name, **{metric: steps[-1] * scale * 3})]
    window = draw(st.sampled_from(["calendar_year", "rolling", "anniversary", "since_change"]))
    return TierLadder(
        tiers=tiers,
        window=window,
        window_months=draw(st.sampled_from([1, 3, 12])),
        validity_windows=draw(st.integers(1, 2)),
        validity_extra_months=draw(st.sampled_from([0, 0, 2])),
        downgrade=draw(st.sampled_from(["reevaluate", "one_down", "to_base"])),
        grace_days=draw(st.sampled_from([0, 0, 10])),
        lifetime=lifetime,
        refunds=draw(st.sampled_from(["posted", "purchase_window", "net"])),
        rollover=draw(st.sampled_from(["none", "surplus"])) if window == "since_change" else "none",
    )


# --------------------------------------------------------------------------- sla: cumulative metrics and the On-hold status


@st.composite
def on_hold_ticket_histories(
    draw: st.DrawFn, *, max_tickets: int = 4, max_events: int = 12, minute_grid: bool = False
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """:func:`ticket_histories` where some events became ``on_hold`` (waiting on a third
    party), so that Pending, On-hold and the open statuses follow one another in any order."""
    events, tickets = draw(
        ticket_histories(max_tickets=max_tickets, max_events=max_events, minute_grid=minute_grid)
    )
    flips = draw(st.lists(st.booleans(), min_size=len(events), max_size=len(events)))
    hold = np.array(flips, dtype=bool) & (events["event"] != "created").to_numpy()
    events = events.assign(event=events["event"].where(~hold, "on_hold"))
    return events, tickets


@st.composite
def cumulative_sla_targets(
    draw: st.DrawFn, *, clocks: tuple[str, ...] = ("business", "calendar")
) -> object:
    """An ``SLATarget`` that adds up over reopenings or pauses on hold: ``requester_wait``,
    ``agent_work``, or a ``custom`` rule with random ``cumulative`` / ``pause_on_hold``;
    sometimes a plain :func:`sla_targets` target (goal 10 min to 12 h, or 1-3 business days)."""
    from crmkit.service import MetricRule, SLATarget

    kind = draw(st.sampled_from(("requester_wait", "agent_work", "custom", "plain")))
    if kind == "plain":
        return draw(sla_targets(clocks=clocks))
    extra: dict[str, object] = {}
    if kind == "custom":
        names = st.sampled_from(
            ("created", "reopened", "customer_reply", "agent_reply", "solved", "on_site")
        )
        # Start, stop, restart and cancel events may overlap: an event that both starts
        # and stops toggles the cycle, one that stops and restarts restarts an open one.
        cumulative = draw(st.booleans())
        extra = {
            "rule": MetricRule(
                start=draw(st.lists(names, min_size=1, max_size=2)),
                stop=draw(st.lists(names, min_size=1, max_size=2)),
                restart=[] if cumulative else draw(st.lists(names, max_size=1)),
                cancel=[] if cumulative else draw(st.lists(names, max_size=1)),
                cumulative=cumulative,
                pause_on_hold=draw(st.booleans()),
                once=False if cumulative else draw(st.booleans()),
            )
        }
    minutes = draw(st.integers(10, 12 * 60))
    clock = draw(st.sampled_from(clocks))
    in_days = clock == "business" and draw(st.integers(0, 3)) == 0
    return SLATarget(
        metric=kind,
        name=f"{kind}_{draw(st.integers(0, 9))}",
        duration=f"{draw(st.integers(1, 3))}bd" if in_days else minutes * 60,
        clock=clock,
        warn_before=[w * 60 for w in draw(st.lists(st.integers(1, minutes - 1), max_size=2))],
        escalate_after=[e * 60 for e in draw(st.lists(st.integers(0, 600), max_size=2))],
        pausable=draw(st.booleans()),
        **extra,
    )


# --------------------------------------------------------------------------- loyalty extensions (China Southern: tier_basis="extended", involuntary cancellations)
@st.composite
def extension_policies(draw: st.DrawFn) -> Any:
    """:class:`crmkit.loyalty.ExpiryPolicy` values usable as an extension
    (``ExpiryPolicy.extend_from``): days, months (either count), or end of period or a
    fixed date with ``n >= 1`` (always later than the day they count from)."""
    from crmkit.loyalty import ExpiryPolicy

    return draw(
        st.one_of(
            st.integers(1, 400).map(ExpiryPolicy.after_days),
            st.builds(
                ExpiryPolicy.after_months,
                st.integers(1, 24),
                count_from=st.sampled_from(["earning_day", "month_end"]),
            ),
            st.builds(
                ExpiryPolicy.end_of_period,
                st.sampled_from(["month", "quarter", "year"]),
                st.integers(1, 12),
            ),
            st.builds(
                ExpiryPolicy.fixed_date, st.integers(1, 12), st.integers(1, 31), st.integers(1, 2)
            ),
        )
    )


@st.composite
def extended_expiry_policies(
    draw: st.DrawFn, *, tiers: tuple[str, ...] = _TIER_NAMES, base: Any = None
) -> Any:
    """:class:`crmkit.loyalty.ExpiryPolicy` values with ``tier_basis="extended"``: a
    lot-dated base (drawn, or ``base``) whose drawn ``tiers`` move lots falling due on by
    an extension each."""

    if base is None:
        base = draw(lot_dated_policies())
    names = draw(st.lists(st.sampled_from(tiers), min_size=1, max_size=3, unique=True))
    return base.per_tier({name: draw(extension_policies()) for name in names}, basis="extended")


@st.composite
def involuntary_programs(draw: st.DrawFn) -> Any:
    """A :func:`loyalty_programs` program whose involuntary cancellations extend the
    points they return (``Program.involuntary_extension``)."""
    program = draw(loyalty_programs())
    return attrs.evolve(program, involuntary_extension=draw(extension_policies()))


@st.composite
def southern_histories(draw: st.DrawFn) -> list[Any]:
    """One Sky Pearl Club member's events over 2023-2030 (Shanghai time): miles credited
    every few months, flights that credit 定级 km and segments only (enough for a silver,
    gold or platinum card in some years, none in others), purchases earning miles and
    their refunds, redemptions, and voluntary and involuntary cancellations of them (an
    award is often cancelled soon after it, and the purchase behind it refunded)."""
    from crmkit.loyalty import Adjust, CancelRedemption, Purchase, PurchaseLine, Redeem, Refund

    zone = dt.timezone(dt.timedelta(hours=8))
    at = dt.datetime(2023, 1, 5, 10, tzinfo=zone)
    events: list[Any] = [Adjust("z", at, points=draw(st.integers(1_000, 8_000)), reason="flight")]
    bought: list[str] = []
    redeemed: list[str] = []
    for k in range(draw(st.integers(4, 24))):
        at += dt.timedelta(days=draw(st.integers(1, 120)), hours=draw(st.integers(0, 23)))
        kind = draw(
            st.sampled_from(
                ["miles", "miles", "flights", "flights", "purchase", "refund", "redeem", "cancel"]
            )
        )
        eid = f"z{k}"
        if kind == "miles":
            events.append(Adjust(eid, at, points=draw(st.integers(1, 5_000)), reason="flight"))
        elif kind == "flights":
            km = draw(st.sampled_from([10_000, 40_000, 80_000, 160_000]))
            events.append(
                Adjust(eid, at, points=0, reason="status", counts={"km": km, "segments": 6})
            )
        elif kind == "purchase":
            amount = Decimal(draw(st.integers(100, 400_000))).scaleb(-2)
            events.append(Purchase(eid, at, lines=[PurchaseLine("1", amount)]))
            bought.append(eid)
        elif kind == "refund" and bought:
            events.append(Refund(eid, at, bought.pop(draw(st.integers(0, len(bought) - 1)))))
        elif kind == "redeem":
            events.append(Redeem(eid, at, points=draw(st.integers(1, 3_000))))
            redeemed.append(eid)
        elif kind == "cancel" and redeemed:
            which = redeemed.pop(draw(st.integers(0, len(redeemed) - 1)))
            events.append(CancelRedemption(eid, at, which, involuntary=draw(st.booleans())))
    return events


# The contract suite draws these too (the extended basis, involuntary cancellations and a
# program's involuntary extension round-trip like every other value).
RULE_STRATEGIES["crmkit.loyalty.ExpiryPolicy"] = st.one_of(
    RULE_STRATEGIES["crmkit.loyalty.ExpiryPolicy"], extended_expiry_policies()
)
RULE_STRATEGIES["crmkit.loyalty.CancelRedemption"] = st.one_of(
    RULE_STRATEGIES["crmkit.loyalty.CancelRedemption"],
    loyalty_events("CancelRedemption").map(lambda c: attrs.evolve(c, involuntary=True)),
)
RULE_STRATEGIES["crmkit.loyalty.Program"] = st.one_of(
    RULE_STRATEGIES["crmkit.loyalty.Program"], involuntary_programs()
)


# --------------------------------------------------------------------------- loyalty: consumption order


@st.composite
def fifo_programs(draw: st.DrawFn) -> Any:
    """A :func:`loyalty_programs` program whose debits draw the oldest lots first
    (``Program(consumption="fifo")``)."""
    return attrs.evolve(draw(loyalty_programs()), consumption="fifo")


@st.composite
def monotone_expiry_programs(draw: st.DrawFn) -> Any:
    """A program whose lots expire in the order they are earned (one policy, no tiers, so
    no kept or tier-dependent dates): a drawn ``after_months`` (or another policy whose
    dates never go back in earning order), zone, shortfall policy, return window and
    tender limits, with the default consumption order."""
    from crmkit.loyalty import ExpiryPolicy, Program

    expiry = draw(
        st.builds(ExpiryPolicy.after_months, st.integers(1, 12))
        | st.sampled_from(
            [
                ExpiryPolicy.never(),
                ExpiryPolicy.after_days(30),
                ExpiryPolicy.after_months(1, count_from="month_end"),
                ExpiryPolicy.end_of_period("month"),
                ExpiryPolicy.inactivity(20, "days", activity=("purchase", "redeem")),
            ]
        )
    )
    return Program(
        timezone=draw(timezones),
        tender=draw(st.none() | ledger_tender_policies()),
        expiry=expiry,
        shortfall=draw(st.sampled_from(["forfeit", "debt", "cash_offset", "balance_then_cash"])),
        pending_days=draw(st.sampled_from([0, 0, 7])),
    )


# The contract suite draws them too (the consumption order round-trips like every value).
RULE_STRATEGIES["crmkit.loyalty.Program"] = st.one_of(
    RULE_STRATEGIES["crmkit.loyalty.Program"], fifo_programs()
)


# --------------------------------------------------------------------------- loyalty tier grants (status match / challenge)
@st.composite
def tier_grants(
    draw: st.DrawFn,
    *,
    tiers: tuple[str, ...] = ("t1", "t2", "t3"),
    start: dt.datetime = dt.datetime(2024, 1, 1, tzinfo=dt.UTC),
    days: int = 3 * 365,
    metrics: tuple[str, ...] = ("spend", "orders", "nights"),
    event_id: str | None = None,
) -> Any:
    """A :class:`crmkit.loyalty.TierGrant`: one of ``tiers`` granted for 1-400 days from an
    instant within ``days`` of ``start`` (whole minutes), with a reason code, and half the
    time a target on one or two of ``metrics`` (spend in hundreds, orders and nights small);
    a ladder name sometimes (the contract's draws)."""
    from crmkit.loyalty import Qualification, TierGrant

    when = start + dt.timedelta(minutes=draw(st.integers(0, days * 24 * 60)))
    until = when + dt.timedelta(days=draw(st.integers(1, 400)))
    target = None
    if draw(st.booleans()):
        chosen = draw(st.lists(st.sampled_from(metrics), min_size=1, max_size=2, unique=True))
        kw: dict[str, Any] = {}
        for metric in chosen:
            if metric == "spend":
                kw["spend"] = Decimal(draw(st.integers(0, 30)) * 100)
            elif metric == "orders":
                kw["orders"] = draw(st.integers(0, 6))
            else:
                kw.setdefault("counts", {})[metric] = draw(st.integers(0, 12))
        target = Qualification(**kw)
    return TierGrant(
        event_id if event_id is not None else draw(st.text("abcxyz0123-", min_size=1, max_size=6)),
        when,
        tier=draw(st.sampled_from(tiers)),
        until=until,
        reason=draw(st.sampled_from(["status_match", "status_challenge", "goodwill"])),
        target=target,
    )


RULE_STRATEGIES["crmkit.loyalty.TierGrant"] = tier_grants()
