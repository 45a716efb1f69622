"""Privileges: granted and revoked by tier changes, time-boxed, quotas, and the two seed programs."""

from __future__ import annotations

import datetime as dt
import json
import zoneinfo

import pytest

from crmkit.errors import ConfigError, InvalidInputError, LedgerError
from crmkit.loyalty import (
    BaseRate,
    Condition,
    EarningScheme,
    MemberContext,
    Multiplier,
    Order,
    OrderLine,
    Privilege,
    PrivilegeSet,
    QualifyingPosting,
    Tier,
    TierChange,
    TierLadder,
)

SH = zoneinfo.ZoneInfo("Asia/Shanghai")


def at(y: int, m: int, d: int, h: int = 12) -> dt.datetime:
    return dt.datetime(y, m, d, h, tzinfo=SH)


AIRLINE = TierLadder(
    tiers=[
        Tier(name="explorer"),
        Tier(name="silver", points=100),
        Tier(name="gold", points=180),
        Tier(name="platinum", points=300),
    ],
    downgrade="one_down",
)
AIRLINE_PRIVILEGES = PrivilegeSet(
    [
        Privilege(
            id="lounge",
            kind="quota",
            tiers=["gold", "platinum"],
            quota=4,
            description="lounge passes",
        ),
        Privilege(id="upgrade", kind="benefit", tiers=["platinum"], description="free upgrades"),
        Privilege(
            id="elite-bonus", kind="earning_multiplier", tiers=["gold", "platinum"], value="1.5"
        ),
    ]
)


def airline_history() -> tuple[TierChange, ...]:
    posts = [
        QualifyingPosting(at(2024, 3, 1), points=120),
        QualifyingPosting(at(2024, 9, 1), points=200),
        QualifyingPosting(at(2025, 5, 1), points=190),
    ]
    return AIRLINE.evaluate(
        posts, as_of=at(2029, 1, 1), timezone=SH, enrolled_at=at(2024, 1, 10)
    ).history


def test_airline_grants_follow_the_soft_landing() -> None:
    history = airline_history()
    grants = AIRLINE_PRIVILEGES.grants(history, as_of=at(2029, 1, 1), timezone=SH)
    shown = [
        (g.privilege, g.granted_at.date(), g.revoked_at and g.revoked_at.date()) for g in grants
    ]
    assert shown == [
        # platinum from 1 Sep 2024, gold from 1 Jan 2026, silver from 1 Jan 2027
        ("elite-bonus", dt.date(2024, 9, 1), dt.date(2027, 1, 1)),
        ("lounge", dt.date(2024, 9, 1), dt.date(2027, 1, 1)),
        ("upgrade", dt.date(2024, 9, 1), dt.date(2026, 1, 1)),
    ]


def test_airline_lounge_quota_per_calendar_year() -> None:
    history = airline_history()
    uses = [(at(2025, 2, 1), "lounge"), (at(2025, 3, 1), "lounge"), (at(2024, 12, 1), "lounge")]
    status = AIRLINE_PRIVILEGES.quota_status(history, uses, as_of=at(2025, 6, 1), timezone=SH)[
        "lounge"
    ]
    assert (status.allowed, status.used, status.remaining) == (4, 2, 2)
    assert status.period_start == dt.datetime(2025, 1, 1, tzinfo=SH)
    # Silver in 2027: no lounge.
    later = AIRLINE_PRIVILEGES.quota_status(history, uses, as_of=at(2027, 6, 1), timezone=SH)[
        "lounge"
    ]
    assert later.allowed == 0
    with pytest.raises(LedgerError, match="tier"):
        AIRLINE_PRIVILEGES.check_use(history, uses, "lounge", as_of=at(2027, 6, 1), timezone=SH)
    four = [(at(2026, m, 1), "lounge") for m in (1, 2, 3, 4)]
    with pytest.raises(LedgerError, match="4 of 4 used"):
        AIRLINE_PRIVILEGES.check_use(history, four, "lounge", as_of=at(2026, 5, 1), timezone=SH)
    after = AIRLINE_PRIVILEGES.check_use(
        history, four[:3], "lounge", as_of=at(2026, 5, 1), timezone=SH
    )
    assert (after.used, after.remaining) == (4, 0)


def test_quota_per_validity_counts_the_whole_grant() -> None:
    privs = PrivilegeSet(
        [Privilege(id="guide", kind="quota", tiers=["vip"], quota=2, quota_freq="validity")]
    )
    history = [
        TierChange(at(2024, 1, 1), None, "member", "start"),
        TierChange(at(2024, 6, 1), "member", "vip", "upgrade"),
    ]
    uses = [(at(2024, 7, 1), "guide"), (at(2025, 2, 1), "guide")]
    status = privs.quota_status(history, uses, as_of=at(2025, 3, 1), timezone=SH)["guide"]
    assert (status.used, status.remaining, status.period_start) == (2, 0, at(2024, 6, 1))


def test_non_quota_privilege_use_needs_the_tier() -> None:
    history = airline_history()
    assert (
        AIRLINE_PRIVILEGES.check_use(
            history, [], "upgrade", as_of=at(2025, 6, 1), timezone=SH
        ).privilege
        == "upgrade"
    )
    with pytest.raises(LedgerError):
        AIRLINE_PRIVILEGES.check_use(history, [], "upgrade", as_of=at(2026, 6, 1), timezone=SH)
    with pytest.raises(InvalidInputError, match="privilege"):
        AIRLINE_PRIVILEGES.check_use(history, [], "spa", as_of=at(2026, 6, 1), timezone=SH)


def test_keep_days_survives_a_downgrade() -> None:
    privs = PrivilegeSet([Privilege(id="ship", kind="free_shipping", tiers=["gold"], keep_days=31)])
    history = [
        TierChange(at(2025, 1, 1), None, "member", "start"),
        TierChange(at(2025, 3, 1), "member", "gold", "upgrade"),
        TierChange(dt.datetime(2027, 1, 1, tzinfo=SH), "gold", "member", "downgrade"),
    ]
    assert [p.id for p in privs.active(history, as_of=at(2027, 1, 31), timezone=SH)] == ["ship"]
    assert privs.active(history, as_of=dt.datetime(2027, 2, 1, tzinfo=SH), timezone=SH) == ()
    assert privs.active(history, as_of=at(2025, 2, 28), timezone=SH) == ()


def test_consecutive_tiers_make_one_grant_and_time_boxes_clip_it() -> None:
    privs = PrivilegeSet(
        [
            Privilege(id="early-access", kind="benefit", tiers=["gold", "vip"]),
            Privilege(
                id="womens-day",
                kind="benefit",
                tiers=["gold", "vip"],
                start="2025-03-08",
                end="2025-03-09",
            ),
        ]
    )
    history = [
        TierChange(at(2025, 1, 1), None, "member", "start"),
        TierChange(at(2025, 2, 1), "member", "gold", "upgrade"),
        TierChange(at(2025, 5, 1), "gold", "vip", "upgrade"),
    ]
    grants = privs.grants(history, as_of=at(2025, 12, 1), timezone=SH)
    assert [(g.privilege, g.granted_at, g.revoked_at) for g in grants] == [
        ("early-access", at(2025, 2, 1), None),
        ("womens-day", dt.datetime(2025, 3, 8, tzinfo=SH), dt.datetime(2025, 3, 9, tzinfo=SH)),
    ]


def test_retail_program_birthday_bonus_and_vip_multiplier() -> None:
    """The domain's retail club: spend levels, birthday-month bonus, VIP earning privilege."""
    ladder = TierLadder(
        tiers=[
            Tier(name="member"),
            Tier(name="silver", spend="2000"),
            Tier(name="gold", spend="5000"),
            Tier(name="vip", spend="10000"),
        ]
    )
    privileges = PrivilegeSet(
        [
            Privilege(id="vip-x", kind="earning_multiplier", tiers=["vip"], value="1.5"),
            Privilege(
                id="guide", kind="benefit", tiers=["vip"], description="dedicated shopping guide"
            ),
        ]
    )
    scheme = EarningScheme(
        rules=[
            BaseRate(id="base", rate=1),
            Multiplier(id="birthday", factor=2, when=Condition(birthday_month=True)),
        ]
    )
    posts = [
        QualifyingPosting(at(2025, 3, 1), spend="6000", orders=1),
        QualifyingPosting(at(2025, 6, 1), spend="4000", orders=1),
    ]
    history = ladder.evaluate(posts, as_of=at(2025, 9, 1), timezone=SH).history
    active = privileges.active(history, as_of=at(2025, 9, 9), timezone=SH)
    assert [p.id for p in active] == ["guide", "vip-x"]
    member = MemberContext(birth_date=dt.date(1988, 9, 20), tier="vip", privileges=active)
    result = scheme.earn(
        Order("o9", at(2025, 9, 9), [OrderLine("l1", "1000")]), member, timezone=SH
    )
    assert result.points == 3000  # 1000 x 2 (birthday month) x 1.5 (VIP)
    assert result.by_rule() == {"base": 1000, "birthday": 1000, "privilege:vip-x": 1000}


def test_privileges_round_trip_and_check_tier_names() -> None:
    again = PrivilegeSet.from_dict(json.loads(json.dumps(AIRLINE_PRIVILEGES.to_dict())))
    assert again == AIRLINE_PRIVILEGES
    AIRLINE_PRIVILEGES.check_tiers(AIRLINE.names)
    with pytest.raises(ConfigError, match="tiers"):
        AIRLINE_PRIVILEGES.check_tiers(["explorer", "gold"])


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"id": "x", "kind": "cashback", "tiers": ["g"]}, "kind"),
        ({"id": "x", "kind": "benefit", "tiers": []}, "tiers"),
        ({"id": "x", "kind": "earning_multiplier", "tiers": ["g"]}, "value"),
        ({"id": "x", "kind": "earning_multiplier", "tiers": ["g"], "value": "0.9"}, "value"),
        ({"id": "x", "kind": "birthday_bonus", "tiers": ["g"], "value": 1.5}, "value"),
        ({"id": "x", "kind": "quota", "tiers": ["g"]}, "quota"),
        ({"id": "x", "kind": "quota", "tiers": ["g"], "quota": 0}, "quota"),
        ({"id": "x", "kind": "benefit", "tiers": ["g"], "quota": 2}, "quota"),
        (
            {"id": "x", "kind": "quota", "tiers": ["g"], "quota": 2, "quota_freq": "week"},
            "quota_freq",
        ),
        (
            {
                "id": "x",
                "kind": "benefit",
                "tiers": ["g"],
                "start": "2025-02-01",
                "end": "2025-01-01",
            },
            "end",
        ),
        ({"id": "x", "kind": "benefit", "tiers": ["g"], "start": "soon"}, "start"),
        ({"id": "x", "kind": "benefit", "tiers": ["g"], "keep_days": -1}, "keep_days"),
        ({"id": "", "kind": "benefit", "tiers": ["g"]}, "id"),
    ],
)
def test_bad_privileges_name_the_field(kwargs: dict[str, object], field: str) -> None:
    with pytest.raises(ConfigError) as info:
        Privilege(**kwargs)  # type: ignore[arg-type]
    assert info.value.field == field


def test_bad_privilege_sets() -> None:
    one = Privilege(id="x", kind="benefit", tiers=["g"])
    with pytest.raises(ConfigError, match="unique"):
        PrivilegeSet([one, one])
    with pytest.raises(ConfigError, match="unknown key"):
        Privilege.from_dict({"id": "x", "kind": "benefit", "tiers": ["g"], "tier": "g"})


def test_more_bad_privilege_inputs() -> None:
    with pytest.raises(ConfigError, match="description"):
        Privilege(id="x", kind="benefit", tiers=["g"], description=5)  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="Privilege items"):
        PrivilegeSet(["lounge"])  # type: ignore[list-item]
    with pytest.raises(InvalidInputError, match="privilege"):
        AIRLINE_PRIVILEGES.quota_status(
            airline_history(), [(at(2025, 1, 1), "spa")], as_of=at(2025, 6, 1), timezone=SH
        )
