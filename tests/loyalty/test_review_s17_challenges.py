"""Session 17 review: status challenges under ``refunds="net"``, and refunds that renewed.

With ``TierLadder(refunds="net")`` the tier follows net purchases: a refund inside the
window that takes the counters below an upgrade made in it undoes the upgrade (reason
``"refund"``), back to the tier held before it, never below. A status challenge
(:class:`TierGrant` with a target) met by a purchase is an upgrade too, its window the
challenge's own period: a refund of that purchase before the challenge ends, taking the
challenge's counters below its target, now undoes the meeting the same way, back to the
tier the fold of the counters held before it, and the challenge counts again until its
deadline. Before, a met challenge stood whatever was refunded.

Published terms (checked in the pages cited; every one is the programme's word on the
challenge, none says what a refund of a qualifying stay does to it, so the refund rule is
the library's ordinary ``refunds="net"`` one, Thorne's published "If a Member returns an
order that made the Member eligible to move up a Reward Tier, then the Member's status will
drop down to the previous Reward Tier", see test_review_s16_rules.py):

- Hilton Honors, "Status Match Frequently Asked Questions" (updated April 2023),
  https://www.hilton.com/en/p/hilton-honors/status-match/faq/ , question 2: Gold "for 90
  days"; "Stay a minimum of 8 nights within your 90 day trial period, and we'll upgrade
  your status to Gold" (as tests/loyalty/test_status_challenge.py).
- Marriott Bonvoy, "Offer Terms & Conditions" of an invitation-only Platinum offer,
  https://joinmarriottbonvoy.com/TOPA/EN/email_terms/ : Platinum "between 11/21/2024 and
  2/28/2025, during which time member will need to make 15 paid nights to retain Platinum
  Elite status"; a challenge across a year end.
- Marriott Rewards Insiders, "Status Challenges: What are they and how do I enroll?"
  (community manager thread, 2016), https://insiders.marriottrewards.com/thread/47806 :
  "Once the final stay of your challenge has posted to your account, you will be
  automatically upgraded" - the upgrade rides on posted stays, so a stay taken back is
  no longer one of them.

Second fix, found by the property that ``refunds="posted"`` never changes the tier: a
refund renewed the tier held on sliding windows (``renew="posting"``: a refund that left
the counters above the tier's thresholds moved its validity to 12 months from the refund),
and under ``refunds="net"`` a refund of named counts alone (a stay's nights, no money) did
not undo the upgrade it had made.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from decimal import Decimal
from typing import Any

import attrs
from hypothesis import assume, event, given, settings
from hypothesis import strategies as st

from crmkit.loyalty import (
    Program,
    Purchase,
    PurchaseLine,
    Qualification,
    QualifyingPosting,
    Refund,
    Tier,
    TierGrant,
    TierLadder,
    TierStatus,
)
from tests.loyalty._tables import events_table
from tests.loyalty.test_replay_many_grants import _assert_rows_equal_replay
from tests.strategies import examples, qualifying_postings, tier_grants, tier_ladders

NY = zoneinfo.ZoneInfo("America/New_York")
UTC = dt.UTC


def _ny(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=NY)


def _hilton(refunds: str = "net") -> Program:
    """Hilton Honors' night ladder (calendar years, status through 31 March of N + 2)."""
    ladder = TierLadder(
        tiers=[
            Tier(name="member"),
            Tier(name="silver", counts={"nights": 10}),
            Tier(name="gold", counts={"nights": 40}),
            Tier(name="diamond", counts={"nights": 60}),
        ],
        validity_extra_months=3,
        refunds=refunds,
    )
    return Program(timezone="America/New_York", tiers=ladder)


def _marriott(refunds: str = "net") -> Program:
    """Marriott Bonvoy's night ladder (calendar years, status through February of N + 2)."""
    ladder = TierLadder(
        tiers=[
            Tier(name="member"),
            Tier(name="silver", counts={"nights": 10}),
            Tier(name="gold", counts={"nights": 25}),
            Tier(name="platinum", counts={"nights": 50}),
        ],
        validity_extra_months=2,
        refunds=refunds,
    )
    return Program(timezone="America/New_York", tiers=ladder)


def _stay(event_id: str, when: dt.datetime, nights: int) -> Purchase:
    return Purchase(
        event_id,
        when,
        lines=[PurchaseLine("room", Decimal(150 * nights))],
        counts={"nights": nights},
    )


def _changes(status: TierStatus) -> list[tuple[dt.date, str | None, str, str]]:
    return [(c.time.date(), c.old, c.new, c.reason) for c in status.history]


def _tier(program: Program, events: list[Any], as_of: dt.datetime) -> TierStatus:
    status = program.replay(events, as_of=as_of).tier
    assert status is not None
    return status


MATCH = TierGrant(
    "match",
    _ny(2023, 5, 1, 9),
    tier="gold",
    until=_ny(2023, 7, 30, 9),  # 1 May + 90 days
    reason="status_match",
    target=Qualification(counts={"nights": 8}),
)
S1 = _stay("s1", _ny(2023, 5, 12, 11), 3)
S2 = _stay("s2", _ny(2023, 6, 20, 11), 5)


# ----------------------------------------------------------------------------- examples


def test_hilton_challenge_met_by_a_stay_refunded_in_the_trial_is_met_no_more() -> None:
    """Hilton's match (Gold 1 May - 30 July 2023 09:00, 8 nights to keep it): 3 nights on
    12 May, 5 on 20 June meet it (3 + 5 = 8), Gold held through 31 March 2025. The 20 June
    stay is refunded on 25 June, inside the trial: 3 < 8 nights, the challenge is met no
    more. The member still holds Gold for the trial (the grant), ``valid_until`` is the
    trial's end again and ``target_missing`` {"nights": 5}; on 30 July the trial ends:
    back to member ("grant_end"), as if the 5 nights had never been stayed. Under the
    fold, the upgrade the meeting made is undone as a refund undoes an ordinary upgrade
    (reason "refund", hidden while the grant holds Gold).

    Consistency: a 12-night stay (silver, an ordinary upgrade) refunded the same way is
    undone at once with ``refunds="net"``. With ``"posted"`` and ``"purchase_window"``
    the refund changes no tier: the met challenge stands. The old code kept Gold through
    March 2025 under ``"net"`` too."""
    refund = Refund("r2", _ny(2023, 6, 25, 11), "s2")
    events = [MATCH, S1, S2, refund]
    net = _hilton("net")
    during = _tier(net, events, _ny(2023, 6, 26))
    assert (during.tier, during.valid_until, during.target_missing) == (
        "gold",
        _ny(2023, 7, 30, 9),
        {"nights": 5},
    )
    assert during.counters.counts == {"nights": 3}
    assert [c.reason for c in during.history] == ["start", "status_match"]
    end = _tier(net, events, _ny(2023, 7, 30, 9))
    assert end.tier == "member"
    assert _changes(end)[1:] == [
        (dt.date(2023, 5, 1), "member", "gold", "status_match"),
        (dt.date(2023, 7, 30), "gold", "member", "grant_end"),
    ]
    never = _tier(net, [MATCH, S1], _ny(2023, 8, 1))
    after = _tier(net, events, _ny(2023, 8, 1))
    assert (after.tier, after.valid_until, after.history) == (
        never.tier,
        never.valid_until,
        never.history,
    )
    for policy in ("posted", "purchase_window"):
        kept = _tier(_hilton(policy), events, _ny(2023, 8, 1))
        assert (kept.tier, kept.valid_through) == ("gold", dt.date(2025, 3, 31)), policy
    ordinary = [_stay("s3", _ny(2023, 5, 12, 11), 12), Refund("r3", _ny(2023, 5, 20, 11), "s3")]
    undone = _tier(net, ordinary, _ny(2023, 6, 1))
    assert [(c.new, c.reason) for c in undone.history[1:]] == [
        ("silver", "upgrade"),
        ("member", "refund"),
    ]


def test_a_refund_after_the_trial_ended_leaves_the_met_challenge_standing() -> None:
    """As a refund counts in the window of the purchase it reverses, and not at all once
    that window has closed: the 20 June stay refunded on 5 August, after the trial ended
    (30 July), leaves the challenge met, Gold through 31 March 2025. A refund of a stay
    from before the match (28 April) never counted toward it: 3 + 5 = 8 still met."""
    net = _hilton("net")
    late = _tier(net, [MATCH, S1, S2, Refund("r2", _ny(2023, 8, 5), "s2")], _ny(2023, 8, 6))
    assert (late.tier, late.valid_through) == ("gold", dt.date(2025, 3, 31))
    early = _stay("s0", _ny(2023, 4, 28, 11), 2)
    events = [early, MATCH, S1, S2, Refund("r0", _ny(2023, 6, 25), "s0")]
    met = _tier(net, events, _ny(2023, 6, 26))
    assert (met.tier, met.valid_through, met.target_missing) == (
        "gold",
        dt.date(2025, 3, 31),
        {},
    )


def test_a_challenge_met_again_after_the_refund() -> None:
    """After the refund on 25 June the challenge counts again: 5 more nights on 10 July
    (3 + 5 - 5 + 5 = 8) meet it on 10 July, Gold as by an upgrade then (a 2023 tier:
    through 31 March 2025). The state built event by event equals the replay at each
    step, and ``replay_many`` reads the same from one table."""
    program = _hilton("net")
    events = [
        MATCH,
        S1,
        S2,
        Refund("r2", _ny(2023, 6, 25, 11), "s2"),
        _stay("s3", _ny(2023, 7, 10, 11), 5),
    ]
    again = _tier(program, events, _ny(2023, 7, 11))
    assert (again.tier, again.valid_through, again.target_missing) == (
        "gold",
        dt.date(2025, 3, 31),
        {},
    )
    state = program.replay([], as_of=_ny(2023, 4, 1))
    for i, item in enumerate(events, start=1):
        state = program.apply(state, item)
        assert state == program.replay(events[:i], as_of=state.as_of)
    members: dict[str, list[Any]] = {"again": events, "refunded": events[:4], "met": events[:3]}
    frame = events_table(members)
    rows = _assert_rows_equal_replay(frame, program, members, _ny(2023, 8, 1), ("nights",))
    assert rows["tier"].tolist() == ["gold", "member", "gold"]


def test_marriott_offer_undone_never_below_the_tier_held_before() -> None:
    """Marriott's Platinum offer (21 November 2024 - 28 February 2025, 15 nights), on a
    member at Silver since 10 October 2024 (12 nights; a 2024 tier, through February 2026).
    5 nights on 2 December, 10 on 16 December: 27 nights of 2024 reach Gold (an ordinary
    upgrade) and 15 offer nights meet the offer: Platinum.

    - The 16 December stay refunded on 20 December (2024, the offer running): the offer
      has 5 < 15 nights and 2024 has 17: both upgrades undone, back to Silver with its
      own validity (through February 2026), never below it.
    - Refunded on 10 January 2025 instead: 2024 has closed, so Gold (reached by the stay
      in 2024) stands as with any ``refunds="net"`` upgrade of a closed window; the offer
      is still running, so the meeting is undone: back to Gold, the tier held before it.

    Either way the member shows Platinum until the offer ends (1 March 2025 00:00), then
    the tier below ("grant_end"). The old code kept Platinum through February 2026."""
    program = _marriott("net")
    offer = TierGrant(
        "platinum-offer",
        _ny(2024, 11, 21),
        tier="platinum",
        until=_ny(2025, 3, 1),
        reason="status_challenge",
        target=Qualification(counts={"nights": 15}),
    )
    stays = [
        _stay("s0", _ny(2024, 10, 10, 15), 12),
        offer,
        _stay("s1", _ny(2024, 12, 2, 15), 5),
        _stay("s2", _ny(2024, 12, 16, 15), 10),
    ]
    met = _tier(program, stays, _ny(2024, 12, 17))
    assert (met.tier, met.target_missing) == ("platinum", {})
    december = [*stays, Refund("r2", _ny(2024, 12, 20, 15), "s2")]
    running = _tier(program, december, _ny(2025, 2, 28))
    assert (running.tier, running.valid_until, running.target_missing) == (
        "platinum",
        _ny(2025, 3, 1),
        {"nights": 10},
    )
    ended = _tier(program, december, _ny(2025, 3, 1))
    assert (ended.tier, ended.since, ended.valid_until) == (
        "silver",
        _ny(2025, 3, 1),  # shown since the grant's end
        _ny(2026, 3, 1),  # Silver's own validity (reached in 2024)
    )
    assert [(c.new, c.reason) for c in ended.history[1:]] == [
        ("silver", "upgrade"),
        ("platinum", "status_challenge"),
        ("silver", "grant_end"),
    ]
    january = [*stays, Refund("r2", _ny(2025, 1, 10, 15), "s2")]
    later = _tier(program, january, _ny(2025, 3, 1))
    assert (later.tier, later.since, later.valid_until) == (
        "gold",
        _ny(2025, 3, 1),
        _ny(2026, 3, 1),  # Gold's own validity (reached on 16 December 2024)
    )
    assert later.target_missing is None
    kept = _tier(_marriott("posted"), january, _ny(2025, 3, 1))
    assert (kept.tier, kept.valid_until) == ("platinum", _ny(2026, 3, 1))


def test_the_tier_before_ran_out_meanwhile_is_assessed_at_the_refund() -> None:
    """Silver reached on 2022 nights holds through 31 March 2024 (valid until 1 April
    2024). A Gold challenge from 1 March 2024 (8 nights by 30 May) is met by 8 nights on
    10 March; Silver's end passes under Gold. The stay is refunded on 15 April, the
    challenge running: back to Silver, whose validity ran out meanwhile, so its
    assessment, put off by the met challenge, is made at the refund: 2023 and 2024 have
    no nights, down to member on 15 April (under the fold; the grant shows Gold until 30
    May, then member). The history stays in time order."""
    program = _hilton("net")
    challenge = TierGrant(
        "c",
        _ny(2024, 3, 1),
        tier="gold",
        until=_ny(2024, 5, 30),
        reason="status_challenge",
        target=Qualification(counts={"nights": 8}),
    )
    events = [
        _stay("s0", _ny(2022, 6, 1, 12), 10),
        challenge,
        _stay("s1", _ny(2024, 3, 10, 12), 8),
        Refund("r1", _ny(2024, 4, 15, 12), "s1"),
    ]
    during = _tier(program, events, _ny(2024, 5, 1))
    assert (during.tier, during.valid_until, during.target_missing) == (
        "gold",
        _ny(2024, 5, 30),
        {"nights": 8},
    )
    end = _tier(program, events, _ny(2024, 6, 1))
    assert end.tier == "member"
    assert _changes(end)[1:] == [
        (dt.date(2022, 6, 1), "member", "silver", "upgrade"),
        (dt.date(2024, 3, 1), "silver", "gold", "status_challenge"),
        (dt.date(2024, 5, 30), "gold", "member", "grant_end"),
    ]
    times = [c.time for c in end.history]
    assert times == sorted(times)


def test_a_challenge_met_at_the_tier_held_renews_and_the_renewal_stands() -> None:
    """A challenge at the tier the counters already give only renews it, as re-qualifying
    at a posting does; a refund does not undo a renewal (``refunds="net"`` undoes
    upgrades), so the renewal stands, but the challenge is met no more. Gold on 45 nights
    of 2023 (through 31 March 2025); a Gold challenge in 2024 met by 8 nights renews it
    through 31 March 2026; their refund inside the challenge leaves that validity, and the
    challenge lacks its 8 nights again (met again, it renews again)."""
    program = _hilton("net")
    challenge = TierGrant(
        "c",
        _ny(2024, 2, 1),
        tier="gold",
        until=_ny(2024, 5, 1),
        reason="status_challenge",
        target=Qualification(counts={"nights": 8}),
    )
    events = [
        _stay("s0", _ny(2023, 6, 1, 12), 45),
        challenge,
        _stay("s1", _ny(2024, 3, 1, 12), 8),
        Refund("r1", _ny(2024, 3, 20, 12), "s1"),
    ]
    met = _tier(program, events[:3], _ny(2024, 3, 2))
    assert (met.tier, met.valid_through, met.target_missing) == ("gold", dt.date(2026, 3, 31), {})
    status = _tier(program, events, _ny(2024, 4, 1))
    assert (status.tier, status.valid_through, status.target_missing) == (
        "gold",
        dt.date(2026, 3, 31),
        {"nights": 8},
    )


# ----------------------------------------------------- fix 2: how a refund settles the tier


def test_a_refund_does_not_renew_the_tier_on_a_rolling_window() -> None:
    """``renew="posting"`` renews the tier held at a posting that reaches it again. A
    refund reaches nothing: 5 orders on 1 January 2024 reach Gold (4 orders, rolling 12
    months; valid until 1 January 2025); one order refunded on 1 March leaves 4, still
    Gold's threshold, and Gold still ends on 1 January 2025 (the old code renewed it to
    1 March 2025, with any refund policy)."""
    for refunds in ("posted", "purchase_window", "net"):
        ladder = TierLadder(
            tiers=[Tier(name="member"), Tier(name="gold", orders=4)],
            window="rolling",
            refunds=refunds,
        )
        posts = [
            QualifyingPosting(dt.datetime(2024, 1, 1), spend="500", orders=5),
            QualifyingPosting(
                dt.datetime(2024, 3, 1), spend="-100", orders=-1, reverses=dt.datetime(2024, 1, 1)
            ),
        ]
        status = ladder.evaluate(posts, as_of=dt.datetime(2024, 3, 2), timezone="UTC")
        assert (status.tier, status.valid_until) == (
            "gold",
            dt.datetime(2025, 1, 1, tzinfo=UTC),
        ), refunds
        assert ladder.evaluate(posts, as_of=dt.datetime(2025, 1, 1), timezone="UTC").tier == (
            "member"
        )


def test_a_refund_of_nights_alone_undoes_the_upgrade() -> None:
    """``refunds="net"`` on a nights ladder: 12 nights on 5 January 2024 reach Silver (10);
    their refund on 9 January, nights alone (no money on the posting), takes the counters
    to 0: the upgrade is undone (reason "refund"), as a refund with money undoes it. The
    old code read only money, points and orders as taken away."""
    ladder = TierLadder(
        tiers=[Tier(name="member"), Tier(name="silver", counts={"nights": 10})], refunds="net"
    )
    posts = [
        QualifyingPosting(dt.datetime(2024, 1, 5), counts={"nights": 12}),
        QualifyingPosting(
            dt.datetime(2024, 1, 9), counts={"nights": -12}, reverses=dt.datetime(2024, 1, 5)
        ),
    ]
    status = ladder.evaluate(posts, as_of=dt.datetime(2024, 2, 1), timezone="UTC")
    assert status.tier == "member"
    assert [(c.new, c.reason) for c in status.history[1:]] == [
        ("silver", "upgrade"),
        ("member", "refund"),
    ]


# ----------------------------------------------------------------------------- properties

START = dt.datetime(2024, 1, 1, tzinfo=UTC)


def _fold(
    ladder: TierLadder, posts: list[Any], grants: list[TierGrant], as_of: dt.datetime
) -> TierStatus:
    """The tracker fed grants and postings in replay order (a grant first at an instant,
    postings in list order at an instant)."""
    tracker = ladder.tracker(START, timezone="UTC")
    items = [(g.time, 0, i, g) for i, g in enumerate(grants)] + [
        (p.time.replace(tzinfo=UTC), 1, i, p) for i, p in enumerate(posts)
    ]
    for when, _, _, item in sorted(items, key=lambda x: x[:3]):
        if when > as_of:
            break
        if isinstance(item, TierGrant):
            tracker.grant(item.time, item.tier, item.until, reason=item.reason, target=item.target)
        else:
            tracker.post(item)
    return tracker.status(as_of)


def _shown(status: TierStatus) -> tuple[Any, ...]:
    return (status.tier, status.valid_until, status.target_missing, status.counters)


@settings(max_examples=examples(40), deadline=None)
@given(
    tier_ladders(windows=("calendar_year", "anniversary", "rolling", "rolling_calendar_months")),
    qualifying_postings(max_size=4),
    st.one_of(st.floats(0, 0.999), st.integers(1, 3 * 365 * 24)),
    st.integers(0, 5 * 24),
    st.tuples(st.integers(0, 30), st.integers(0, 12), st.booleans()),
    st.lists(st.integers(0, 800), min_size=1, max_size=3),
    st.data(),
)
def test_net_a_purchase_refunded_in_its_window_is_as_never_bought(  # noqa: PLR0917
    ladder: TierLadder,
    posts: list[Any],
    bought_at: float | int,
    refund_after: int,
    size: tuple[int, int, bool],
    days: list[int],
    data: st.DataObject,
) -> None:
    """``refunds="net"``: a purchase and its full refund inside its window (the tier's
    and the challenge's: nothing else happens between them) leave the status - tier,
    validity, what the challenge lacks, counters - as if it had never been bought, at the
    refund and at every later instant, whether it made an ordinary upgrade, met the
    challenge, or both. The member's counters give the base tier at the purchase, so the
    purchase can only upgrade (a renewal of the tier held stands, as re-qualifying at a
    posting does); no lifetime floor (a floor reached stays). Purchases of nights alone
    included (no money, no order)."""
    ladder = attrs.evolve(ladder, refunds="net", lifetime=[])
    assume(len(ladder.tiers) > 1)
    metrics = ("spend", "orders", *(("nights",) if "nights" in ladder.metrics else ()))
    grant = data.draw(
        tier_grants(
            tiers=tuple(ladder.names[1:]), start=START, days=2 * 365, metrics=metrics, event_id="g"
        )
    )
    if grant.target is None:
        grant = attrs.evolve(grant, target=Qualification(spend=Decimal(300)))
    if isinstance(bought_at, float):  # mostly inside the challenge, whole seconds
        span = (grant.until - grant.time).total_seconds()
        bought = grant.time + dt.timedelta(seconds=max(1, int(span * bought_at)))
    else:
        bought = START + dt.timedelta(hours=bought_at)
    refunded = bought + dt.timedelta(hours=refund_after)
    spend, nights, with_money = size
    amount = Decimal(spend * 100) if with_money else Decimal(0)
    purchase = QualifyingPosting(
        bought.replace(tzinfo=None),
        spend=amount,
        points=int(amount),
        orders=1 if with_money else 0,
        counts={"nights": nights},
    )
    refund = QualifyingPosting(
        refunded.replace(tzinfo=None),
        spend=-amount,
        points=-int(amount),
        orders=-1 if with_money else 0,
        counts={"nights": -nights},
        reverses=bought.replace(tzinfo=None),
    )
    # Nothing else between the purchase and its refund: no posting, no grant start or end.
    margin = dt.timedelta(seconds=1)
    assume(
        all(not bought - margin <= p.time.replace(tzinfo=UTC) <= refunded + margin for p in posts)
    )
    assume(not any(bought - margin <= t <= refunded + margin for t in (grant.time, grant.until)))
    # The counters give the base tier at the purchase, and the challenge is not met yet.
    alone = _fold(ladder, posts, [], bought - margin)
    assume(alone.tier == ladder.names[0])
    before = _fold(ladder, posts, [grant], bought - margin)
    running = grant.time <= bought < grant.until
    if running:
        assume(before.target_missing not in (None, {}))
    else:
        assume(before.tier == ladder.names[0])
    # Inside the purchase's window (a fixed window does not end between them).
    at_refund = _fold(ladder, posts, [grant], refunded)
    if ladder.window in ("calendar_year", "anniversary"):
        assume(at_refund.window_start <= bought)
    bought_only = _fold(ladder, [*posts, purchase], [grant], bought)
    if running and bought_only.target_missing == {}:
        event("the purchase meets the challenge")
    if _fold(ladder, [*posts, purchase], [], bought).tier != ladder.names[0]:
        event("the purchase upgrades")
    with_both = [*posts, purchase, refund]
    for as_of in [refunded, *(refunded + dt.timedelta(days=d) for d in days), grant.until]:
        if as_of < refunded:
            continue
        assert _shown(_fold(ladder, with_both, [grant], as_of)) == _shown(
            _fold(ladder, posts, [grant], as_of)
        ), as_of


@settings(max_examples=examples(70), deadline=None)
@given(
    tier_ladders(keep_ways=True, assessment_options=True),
    qualifying_postings(refunds=True),
    st.lists(
        tier_grants(tiers=("t1",), start=START, days=3 * 365, metrics=("spend", "orders")),
        max_size=2,
    ),
)
def test_posted_refunds_never_change_the_tier(
    ladder: TierLadder, posts: list[Any], grants: list[TierGrant]
) -> None:
    """``refunds="posted"``: at every refund, the tier held, since when and until when are
    what they were without it (it only lowers the counters a later assessment reads), met
    challenges included; no change is ever a "refund"."""
    ladder = attrs.evolve(ladder, refunds="posted")
    assume(len(ladder.tiers) > 1)
    grants = [attrs.evolve(g, event_id=f"g{i}") for i, g in enumerate(grants)]
    for i, refund in enumerate(posts):
        if refund.orders >= 0:
            continue
        at = refund.time.replace(tzinfo=UTC)
        earlier = [p for j, p in enumerate(posts) if j != i and p.time <= refund.time]
        without = _fold(ladder, earlier, grants, at)
        with_it = _fold(ladder, [*earlier, refund], grants, at)
        assert (with_it.tier, with_it.since) == (without.tier, without.since)
        if without.pending_downgrade is None:
            assert with_it.valid_until == without.valid_until
        assert "refund" not in [c.reason for c in with_it.history]


@settings(max_examples=examples(30), deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 200), st.integers(1, 12)), min_size=1, max_size=6),
    st.lists(st.tuples(st.integers(0, 5), st.integers(0, 60)), max_size=3),
    tier_grants(tiers=("silver", "gold"), start=START, days=120, metrics=("nights",)),
)
def test_net_replay_equals_apply_with_refunded_challenges(
    stays: list[tuple[int, int]], refunds: list[tuple[int, int]], grant: TierGrant
) -> None:
    """Through the ledger, ``refunds="net"``: stays, refunds of some of them (days after)
    and a challenge on nights; the state built event by event equals the replay at every
    step (the met challenge's undo record is copied with the state)."""
    program = Program(
        timezone="UTC",
        tiers=TierLadder(
            tiers=[
                Tier(name="member"),
                Tier(name="silver", counts={"nights": 10}),
                Tier(name="gold", counts={"nights": 25}),
            ],
            refunds="net",
        ),
    )
    purchases = [
        _stay(f"p{i}", START + dt.timedelta(days=day, hours=i), nights)
        for i, (day, nights) in enumerate(stays)
    ]
    backs = {}
    for which, after in refunds:
        bought = purchases[which % len(purchases)]
        backs[bought.event_id] = Refund(
            f"r-{bought.event_id}",
            bought.time + dt.timedelta(days=after, minutes=1),
            bought.event_id,
        )
    events: list[Any] = [*purchases, *backs.values(), grant]
    ordered = sorted(events, key=lambda e: (e.time, e.rank, e.event_id))
    state = program.replay([], as_of=START)
    for i, item in enumerate(ordered, start=1):
        state = program.apply(state, item)
        assert program.replay(ordered[:i], as_of=state.as_of) == state
