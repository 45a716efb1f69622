"""Status match, status challenge and manual tier grants (:class:`TierGrant`).

A grant holds a tier from an instant until a date whatever the counters say; the fold of
the counters runs on beneath it and the member holds the higher of the two, dropping back
at the grant's end to what the counters support. With a target (a challenge) the tier is
reached as by an upgrade the instant the target is met, and kept with the validity an
upgrade gives then.

Published terms modelled (checked in the pages cited, April 2023 / November 2024):

- Hilton Honors, "Status Match Frequently Asked Questions" (updated April 2023),
  https://www.hilton.com/en/p/hilton-honors/status-match/faq/ , question 2: "Once approved
  for Status Match, we will upgrade your status to Gold for 90 days." / "Stay a minimum of
  8 nights within your 90 day trial period, and we'll upgrade your status to Gold."
  Hilton's ordinary ladder (Silver 10 nights, Gold 40, Diamond 60 in a calendar year,
  status kept through 31 March of the year after next) is from secondary sources
  (onemileatatime.com, "Hilton Honors Extends Status": status earned on 2018 activity was
  "supposed to ... be downgraded as of March 31, 2020"); we found no primary page for it.
- Marriott Bonvoy, "Offer Terms & Conditions" of an invitation-only Platinum offer,
  https://joinmarriottbonvoy.com/TOPA/EN/email_terms/ : "Platinum Elite status will be
  provided between 11/21/2024 and 2/28/2025, during which time member will need to make 15
  paid nights to retain Platinum Elite status ..."; "If new member does not make 15 paid
  nights between 11/21/2024 and 2/28/2025, member will be downgraded to membership level
  which corresponds to number of nights stayed: Member tier for 0-9 nights stayed, and
  Silver Elite status for 10-24 nights stayed." Marriott's calendar-year ladder (Silver 10,
  Gold 25, Platinum 50 nights; status through February of the year after next) is from
  princeoftravel.com's guide ("valid until the February two years later"), a secondary
  source. The offer's "retain ... for up to one year" is *not* what a met target gives here
  (the ladder's ordinary validity of an upgrade, as Hilton's "we'll upgrade your status");
  that difference is documented, not modelled.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import zoneinfo
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from crmkit.errors import InvalidInputError, LedgerError
from crmkit.loyalty import (
    Adjust,
    Program,
    Purchase,
    PurchaseLine,
    Qualification,
    QualifyingPosting,
    Tier,
    TierGrant,
    TierLadder,
    TierStatus,
    event_from_dict,
)
from tests.strategies import examples, qualifying_postings, tier_grants, tier_ladders

NY = zoneinfo.ZoneInfo("America/New_York")
UTC = dt.UTC


def _ny(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=NY)


def _hilton() -> Program:
    """Hilton Honors' night ladder: calendar years, status through 31 March of N + 2."""
    ladder = TierLadder(
        tiers=[
            Tier(name="member"),
            Tier(name="silver", counts={"nights": 10}),
            Tier(name="gold", counts={"nights": 40}),
            Tier(name="diamond", counts={"nights": 60}),
        ],
        validity_extra_months=3,
    )
    return Program(timezone="America/New_York", tiers=ladder)


def _marriott() -> Program:
    """Marriott Bonvoy's night ladder: calendar years, status through February of N + 2."""
    ladder = TierLadder(
        tiers=[
            Tier(name="member"),
            Tier(name="silver", counts={"nights": 10}),
            Tier(name="gold", counts={"nights": 25}),
            Tier(name="platinum", counts={"nights": 50}),
        ],
        validity_extra_months=2,
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


# ----------------------------------------------------------------------------- examples

HILTON_MATCH = TierGrant(
    "match",
    _ny(2023, 5, 1, 9),
    tier="gold",
    until=_ny(2023, 7, 30, 9),  # 1 May + 90 days
    reason="status_match",
    target=Qualification(counts={"nights": 8}),
)


def test_hilton_challenge_met_keeps_gold_with_its_ordinary_validity() -> None:
    """Hilton FAQ (April 2023), question 2: Gold for 90 days from approval (1 May 2023
    09:00, New York: until 30 July 09:00); 8 nights within them upgrade to Gold.

    Stays: 3 nights on 12 May, 5 on 20 June: 3 + 5 = 8 >= 8, met on 20 June. On 1 June the
    target lacks 8 - 3 = 5 nights and Gold ends with the trial (30 July). Met, Gold is
    reached on 20 June 2023 as by an upgrade: a tier reached in 2023 holds through 2024
    and 3 more months, to 1 April 2025 00:00 (through 31 March 2025). Then the assessment
    reads 2024's counters (0 nights): back to member, a "downgrade"."""
    program = _hilton()
    events = [
        HILTON_MATCH,
        _stay("s1", _ny(2023, 5, 12, 11), 3),
        _stay("s2", _ny(2023, 6, 20, 11), 5),
    ]
    during = program.replay(events, as_of=_ny(2023, 6, 1)).tier
    assert during is not None
    assert (during.tier, during.valid_until, during.target_missing) == (
        "gold",
        _ny(2023, 7, 30, 9),
        {"nights": 5},
    )
    assert (during.since, during.keep_missing) == (_ny(2023, 5, 1, 9), None)
    assert _changes(during)[-1] == (dt.date(2023, 5, 1), "member", "gold", "status_match")
    met = program.replay(events, as_of=_ny(2023, 6, 21)).tier
    assert met is not None
    assert met.target_missing == {}
    assert met.valid_until == _ny(2025, 4, 1)  # the upgrade's validity, beyond the trial
    after = program.replay(events, as_of=_ny(2023, 8, 1)).tier
    assert after is not None
    assert (after.tier, after.valid_through, after.target_missing) == (
        "gold",
        dt.date(2025, 3, 31),
        None,
    )
    end = program.replay(events, as_of=_ny(2025, 4, 1)).tier
    assert end is not None
    assert end.tier == "member"
    assert _changes(end)[1:] == [
        (dt.date(2023, 5, 1), "member", "gold", "status_match"),
        (dt.date(2025, 4, 1), "gold", "member", "downgrade"),
    ]


def test_marriott_challenge_missed_drops_to_what_the_nights_support() -> None:
    """Marriott's Platinum offer: Platinum between 21 November 2024 and 28 February 2025
    (until 1 March 2025 00:00), 15 paid nights to retain it, else "Silver Elite status
    for 10-24 nights stayed".

    Stays of 4 nights (2 December 2024) and 7 (16 December): 4 + 7 = 11 < 15, missed;
    11 >= 10 reaches Silver on 16 December 2024 (a tier of 2024: through February 2026,
    valid until 1 March 2026). At the deadline the member drops from Platinum to Silver,
    reason "grant_end", and Silver keeps its own validity."""
    program = _marriott()
    challenge = TierGrant(
        "platinum-offer",
        _ny(2024, 11, 21),
        tier="platinum",
        until=_ny(2025, 3, 1),
        reason="status_challenge",
        target=Qualification(counts={"nights": 15}),
    )
    events = [
        challenge,
        _stay("s1", _ny(2024, 12, 2, 15), 4),
        _stay("s2", _ny(2024, 12, 16, 15), 7),
    ]
    before = program.replay(events, as_of=_ny(2025, 2, 28, 23)).tier
    assert before is not None
    assert (before.tier, before.valid_until, before.target_missing) == (
        "platinum",
        _ny(2025, 3, 1),
        {"nights": 4},  # 15 - 11
    )
    after = program.replay(events, as_of=_ny(2025, 3, 1)).tier
    assert after is not None
    assert (after.tier, after.since, after.valid_until) == (
        "silver",
        _ny(2025, 3, 1),
        _ny(2026, 3, 1),
    )
    assert _changes(after)[1:] == [
        (dt.date(2024, 11, 21), "member", "platinum", "status_challenge"),
        (dt.date(2025, 3, 1), "platinum", "silver", "grant_end"),
    ]
    # With 0-9 nights: back to member.
    few = program.replay(events[:2], as_of=_ny(2025, 3, 1)).tier
    assert few is not None
    assert few.tier == "member"


def test_a_grant_without_target_holds_until_its_date() -> None:
    """A goodwill upgrade (客服手动调整会员等级): Gold from 1 March 2025 until 1 September 2025,
    no target. No primary source: a manual grant has no published terms. 12 nights in 2025
    reach Silver on 10 April (valid until 1 April 2027 on the Hilton ladder); the member
    shows Gold until 1 September, then Silver ("grant_end"), never below it."""
    program = _hilton()
    grant = TierGrant(
        "gw-1", _ny(2025, 3, 1), tier="gold", until=_ny(2025, 9, 1), reason="goodwill"
    )
    events = [grant, _stay("s1", _ny(2025, 4, 10, 12), 12)]
    during = program.replay(events, as_of=_ny(2025, 8, 31)).tier
    assert during is not None
    assert (during.tier, during.valid_until, during.target_missing) == (
        "gold",
        _ny(2025, 9, 1),
        None,
    )
    assert (during.next_tier, during.missing) == ("diamond", {"nights": 48})
    after = program.replay(events, as_of=_ny(2025, 9, 1)).tier
    assert after is not None
    assert (after.tier, after.valid_until) == ("silver", _ny(2027, 4, 1))
    assert [c.reason for c in after.history] == ["start", "goodwill", "grant_end"]
    alone = program.replay(events[:1], as_of=_ny(2025, 9, 1)).tier
    assert alone is not None
    assert alone.tier == "member"


def test_a_grant_below_the_tier_the_counters_give_changes_nothing() -> None:
    """A member at Diamond (60 nights on 5 January 2025, valid until 1 April 2027) granted
    Gold for 90 days, target or not: the status (tier, since, validity, history, missing)
    is the same as without the grant, and the target of a grant below is never shown."""
    program = _hilton()
    stays = [_stay("s1", _ny(2025, 1, 5, 12), 60)]
    grants = [
        TierGrant("g1", _ny(2025, 2, 1), tier="gold", until=_ny(2025, 5, 2), reason="status_match"),
        TierGrant(
            "g2",
            _ny(2025, 2, 1),
            tier="diamond",
            until=_ny(2025, 5, 2),
            reason="status_match",
            target=Qualification(counts={"nights": 4}),
        ),
    ]
    for grant in grants:
        for as_of in (_ny(2025, 3, 1), _ny(2025, 6, 1), _ny(2027, 4, 1)):
            with_grant = program.replay([*stays, grant], as_of=as_of).tier
            without = program.replay(stays, as_of=as_of).tier
            assert with_grant is not None
            assert without is not None
            assert with_grant.tier == without.tier
            assert (with_grant.since, with_grant.valid_until) == (
                without.since,
                without.valid_until,
            )
            assert (with_grant.history, with_grant.missing) == (without.history, without.missing)
    # A diamond challenge met while diamond: renewed as by re-qualifying (nights of 2025:
    # the same validity, 1 April 2027) and target_missing {} while it runs.
    met = program.replay(
        [*stays, grants[1], _stay("s2", _ny(2025, 3, 3, 12), 4)], as_of=_ny(2025, 3, 4)
    ).tier
    assert met is not None
    assert (met.tier, met.valid_until, met.target_missing) == ("diamond", _ny(2027, 4, 1), {})


EVENTS = [
    HILTON_MATCH,
    _stay("s1", _ny(2023, 5, 1, 9), 3),  # at the grant's instant: counts toward the target
    Adjust("card", _ny(2023, 5, 1, 9), points=0, reason="card", counts={"nights": 5}),
    _stay("s2", _ny(2023, 7, 1, 10), 2),
    TierGrant("gw", _ny(2023, 7, 1, 10), tier="diamond", until=_ny(2023, 8, 1), reason="goodwill"),
]


def test_replay_equals_apply_one_by_one() -> None:
    """The state built event by event (``Program.apply``) equals the full replay at every
    step, grants included. At 1 May 09:00 the grant comes first (rank 1, before an
    adjustment and a purchase at that instant): 5 + 3 = 8 nights meet the target at once."""
    program = _hilton()
    state = program.replay([], as_of=_ny(2023, 4, 1))
    for i, event in enumerate(EVENTS, start=1):
        state = program.apply(state, event)
        assert state == program.replay(EVENTS[:i], as_of=state.as_of)
    tier = program.replay(EVENTS, as_of=_ny(2023, 7, 15)).tier
    assert tier is not None
    assert (tier.tier, tier.valid_until, tier.target_missing) == ("diamond", _ny(2023, 8, 1), None)
    later = program.replay(EVENTS, as_of=_ny(2023, 8, 1)).tier
    assert later is not None
    assert (later.tier, later.valid_until) == ("gold", _ny(2025, 4, 1))
    assert [c.reason for c in later.history] == ["start", "status_match", "goodwill", "grant_end"]


def test_same_instant_events_in_any_arrival_order() -> None:
    """Events at the same instant (two grants, a status credit, a stay) fold to the same
    state whatever order they arrive in: replay order is (time, rank, event_id)."""
    program = _hilton()
    when = _ny(2024, 2, 1, 8)
    events = [
        TierGrant(
            "a",
            when,
            tier="gold",
            until=_ny(2024, 5, 1),
            reason="status_match",
            target=Qualification(counts={"nights": 8}),
        ),
        TierGrant("b", when, tier="silver", until=_ny(2024, 3, 1), reason="goodwill"),
        Adjust("c", when, points=0, reason="card", counts={"nights": 4}),
        _stay("d", when, 4),
    ]
    as_of = _ny(2024, 6, 1)
    expected = program.replay(events, as_of=as_of)
    tier = expected.tier
    assert tier is not None
    assert (tier.tier, tier.valid_until) == ("gold", _ny(2026, 4, 1))
    rng = random.Random(7)
    for _ in range(10):
        shuffled = events[:]
        rng.shuffle(shuffled)
        assert program.replay(shuffled, as_of=as_of) == expected


def test_json_round_trip() -> None:
    """Every grant round-trips through JSON (``to_dict`` / ``event_from_dict``); a grant
    without ladder or target omits them."""
    plain = TierGrant("g", _ny(2025, 1, 1), tier="gold", until=_ny(2025, 2, 1), reason="goodwill")
    assert set(plain.to_dict()) == {
        "schema_version",
        "kind",
        "event_id",
        "time",
        "tier",
        "until",
        "reason",
    }
    for event in (
        plain,
        HILTON_MATCH,
        TierGrant(
            "h",
            _ny(2025, 1, 1),
            tier="plus",
            until=_ny(2025, 2, 1),
            reason="vip",
            ladder="club",
            target=Qualification(spend="1000.50", orders=2),
        ),
    ):
        text = json.dumps(event.to_dict())
        assert event_from_dict(json.loads(text)) == event
        assert TierGrant.from_dict(json.loads(text)) == event


def test_refusals_name_the_field() -> None:
    """Unknown tier or ladder, a base tier, a target on counters the ladder does not keep:
    LedgerError naming the field; ``until`` not after ``time`` and a reason the tier
    changes use themselves: the event is refused when built."""
    program = _hilton()
    t = _ny(2025, 1, 1)
    cases = [
        (TierGrant("x", t, tier="platinum", until=_ny(2025, 2, 1), reason="match"), "tier"),
        (TierGrant("x", t, tier="member", until=_ny(2025, 2, 1), reason="match"), "tier"),
        (
            TierGrant("x", t, tier="gold", until=_ny(2025, 2, 1), reason="match", ladder="club"),
            "ladder",
        ),
        (
            TierGrant(
                "x",
                t,
                tier="gold",
                until=_ny(2025, 2, 1),
                reason="match",
                target=Qualification(counts={"segments": 4}),
            ),
            "target",
        ),
    ]
    for event, name in cases:
        with pytest.raises(LedgerError) as err:
            program.replay([event], as_of=_ny(2025, 3, 1))
        assert err.value.field == name
    with pytest.raises(LedgerError) as err:
        Program().replay([cases[0][0]], as_of=_ny(2025, 3, 1))
    assert err.value.field == "tier"
    with pytest.raises(InvalidInputError) as bad:
        TierGrant("x", t, tier="gold", until=t, reason="match")
    assert bad.value.field == "until"
    with pytest.raises(InvalidInputError) as bad:
        TierGrant("x", t, tier="gold", until=_ny(2025, 2, 1), reason="downgrade")
    assert bad.value.field == "reason"


def test_a_grant_on_another_ladder() -> None:
    """In a program with several ladders, ``ladder`` names the one granted on; the primary
    ladder is untouched."""
    ladders = {
        "status": TierLadder(tiers=[Tier(name="member"), Tier(name="gold", spend="5000")]),
        "club": TierLadder(tiers=[Tier(name="basic"), Tier(name="plus", orders=10)]),
    }
    program = Program(timezone="UTC", tiers=ladders)
    t = dt.datetime(2025, 1, 1, tzinfo=UTC)
    grant = TierGrant(
        "g", t, tier="plus", until=t + dt.timedelta(days=30), reason="vip", ladder="club"
    )
    state = program.replay([grant], as_of=t + dt.timedelta(days=1))
    assert state.tier_names == {"status": "member", "club": "plus"}


def test_on_rolling_windows_the_kept_tier_is_assessed_like_any_other() -> None:
    """A met challenge is an upgrade: at the end of its validity the ladder's ordinary
    assessment reads the window then. On a rolling 12-month window (silver 2 orders, gold
    4) a gold challenge met by an order on 10 January 2024 holds gold to 10 January 2025;
    the order of 1 February 2024 then is the only one in (10 Jan 2024, 10 Jan 2025]:
    1 < 2, the member lands on the base. Without the challenge the two orders reached
    silver on 1 February 2024, valid to 1 February 2025: on 15 January 2025 the member
    without the grant stands higher. Why the property that a grant never lowers the tier
    is drawn with targets only on calendar and member years (as the library's "more
    activity never gives a lower tier")."""
    ladder = TierLadder(
        tiers=[Tier(name="base"), Tier(name="silver", orders=2), Tier(name="gold", orders=4)],
        window="rolling",
    )
    posts = [
        QualifyingPosting(dt.datetime(2024, 1, 10), orders=1),
        QualifyingPosting(dt.datetime(2024, 2, 1), orders=1),
    ]
    grant = TierGrant(
        "c",
        dt.datetime(2024, 1, 1, tzinfo=UTC),
        tier="gold",
        until=dt.datetime(2024, 4, 1, tzinfo=UTC),
        reason="status_challenge",
        target=Qualification(orders=1),
    )
    as_of = dt.datetime(2025, 1, 15, tzinfo=UTC)
    assert _fold(ladder, posts, [grant], as_of).tier == "base"
    assert _fold(ladder, posts, [], as_of).tier == "silver"


# ----------------------------------------------------------------------------- properties

START = dt.datetime(2024, 1, 1, tzinfo=UTC)


def _fold(
    ladder: TierLadder, posts: list[Any], grants: list[TierGrant], as_of: dt.datetime
) -> TierStatus:
    """The tracker fed grants and postings in replay order (a grant first at an instant)."""
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


@st.composite
def _grants_for(draw: st.DrawFn, ladder: TierLadder, *, targets: bool = True) -> list[TierGrant]:
    names = tuple(ladder.names[1:])
    metrics = ("spend", "orders", *(("nights",) if "nights" in ladder.metrics else ()))
    out = []
    for i in range(draw(st.integers(1, 3))):
        grant = draw(tier_grants(tiers=names, start=START, metrics=metrics, event_id=f"g{i}"))
        if not targets:
            grant = TierGrant(
                grant.event_id, grant.time, tier=grant.tier, until=grant.until, reason=grant.reason
            )
        out.append(grant)
    return out


def _instants(draw: st.DrawFn, grants: list[TierGrant]) -> list[dt.datetime]:
    days = draw(st.lists(st.integers(0, 4 * 365), min_size=1, max_size=4))
    out = [START + dt.timedelta(days=d) for d in days]
    for grant in grants:
        out += [grant.time, grant.until - dt.timedelta(seconds=1), grant.until]
    return out


@settings(max_examples=examples(60), deadline=None)
@given(
    tier_ladders(keep_ways=True, assessment_options=True),
    qualifying_postings(refunds=True),
    st.data(),
)
def test_during_a_grant_the_tier_is_never_below_it(
    ladder: TierLadder, posts: list[Any], data: st.DataObject
) -> None:
    """On any ladder, at any instant a grant runs, the member holds at least its tier."""
    assume(len(ladder.tiers) > 1)
    grants = data.draw(_grants_for(ladder))
    for as_of in _instants(data.draw, grants):
        status = _fold(ladder, posts, grants, as_of)
        for grant in grants:
            if grant.time <= as_of < grant.until:
                assert ladder.rank(status.tier) >= ladder.rank(grant.tier)
        assert status.tier_at(as_of) == status.tier


@settings(max_examples=examples(60), deadline=None)
@given(
    tier_ladders(keep_ways=True, assessment_options=True),
    qualifying_postings(refunds=True),
    st.data(),
)
def test_a_grant_without_target_never_lowers_the_tier(
    ladder: TierLadder, posts: list[Any], data: st.DataObject
) -> None:
    """On any ladder, a replay without the grants never gives a higher tier than with
    them, and after every grant has ended, without a target, the same tier."""
    assume(len(ladder.tiers) > 1)
    grants = data.draw(_grants_for(ladder, targets=False))
    for as_of in _instants(data.draw, grants):
        with_grants = _fold(ladder, posts, grants, as_of)
        without = _fold(ladder, posts, [], as_of)
        assert ladder.rank(with_grants.tier) >= ladder.rank(without.tier)
        if all(g.until <= as_of for g in grants):
            assert (with_grants.tier, with_grants.counters) == (without.tier, without.counters)


@settings(max_examples=examples(80), deadline=None)
@given(
    tier_ladders(downgrades=("reevaluate", "one_down"), windows=("calendar_year", "anniversary")),
    qualifying_postings(),
    st.data(),
)
def test_a_challenge_never_lowers_the_tier(
    ladder: TierLadder, posts: list[Any], data: st.DataObject
) -> None:
    """With windows the calendar or the enrolment fixes and a downgrade by the counters
    (where more activity never gives a lower tier either), a replay without the grants,
    targets included, never gives a higher tier than with them."""
    assume(len(ladder.tiers) > 1)
    grants = data.draw(_grants_for(ladder))
    for as_of in _instants(data.draw, grants):
        with_grants = _fold(ladder, posts, grants, as_of)
        without = _fold(ladder, posts, [], as_of)
        assert ladder.rank(with_grants.tier) >= ladder.rank(without.tier)


@settings(max_examples=examples(25), deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 700), st.integers(1, 40)), min_size=2, max_size=8),
    tier_grants(tiers=("silver", "gold"), start=START, days=700, metrics=("spend", "orders")),
)
def test_program_replay_equals_apply_and_the_tracker_fold(
    stays: list[tuple[int, int]], grant: TierGrant
) -> None:
    """Through the ledger (its batched postings on a one-metric ladder included): the
    replay equals the states built event by event, and its tier the tracker's fold of the
    same postings and grant."""
    ladder = TierLadder(
        tiers=[
            Tier(name="member"),
            Tier(name="silver", spend="1000"),
            Tier(name="gold", spend="3000"),
        ]
    )
    program = Program(timezone="UTC", tiers=ladder)
    purchases = [
        Purchase(
            f"p{i}",
            START + dt.timedelta(days=day, hours=i),
            lines=[PurchaseLine("1", Decimal(100 * n))],
        )
        for i, (day, n) in enumerate(stays)
    ]
    events: list[Any] = [*purchases, grant]
    as_of = START + dt.timedelta(days=900)
    replayed = program.replay(events, as_of=as_of)
    state = program.replay([], as_of=START)
    for event in sorted(events, key=lambda e: (e.time, e.rank, e.event_id)):
        state = program.apply(state, event)
    assert program.replay(events, as_of=state.as_of) == state
    posts = [
        QualifyingPosting(p.time.replace(tzinfo=None), spend=p.lines[0].net, points=0, orders=1)
        for p in purchases
    ]
    folded = _fold(ladder, posts, [grant], as_of)
    assert replayed.tier is not None
    assert (replayed.tier.tier, replayed.tier.valid_until) == (folded.tier, folded.valid_until)
    assert replayed.tier.history[1:] == folded.history[1:]  # (the tier clocks start apart)
