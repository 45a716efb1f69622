"""Builders shared by the tier tests: published ladders, their postings, and the scaffolding
of the tracker property tests.

Published terms the ladders follow (the tests quote them in full):

- Qatar Airways Privilege Club, "New Tier Qualification and Renewal Thresholds" (effective
  4 October 2013, qatarairways.com/PrivilegeClub/micrositeoffersdetails.page?detailid=
  qlfrenthresholds): upgrade on Qpoints "within any 12 month period": Silver 150, Gold
  300, Platinum 600; renew on Qpoints "earned 12 months prior to renewal date": Silver
  140, Gold 275, Platinum 550.
- Air China PhoenixMiles: upgrade (国航 贵宾会员 page, quoted at jhzxd.com/qixian_183071)
  on 定级里程 (km) or 定级航段 (segments), 银卡 4万 km or 25 segments, 金卡 8万 or 40, 白金卡
  16万 or 90; 保级 (2026 retention notice, ffp.airchina.com.cn/app/notice/details?
  articleId=253) 银卡 3.5万 km or 23 segments, 金卡 7万 or 36, 白金卡 14.5万 or 80.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import attrs

from crmkit.loyalty import Qualification, QualifyingPosting, Tier, TierLadder

SH = zoneinfo.ZoneInfo("Asia/Shanghai")
UTC = dt.UTC


def _on(year: int, month: int, day: int, hour: int = 10) -> dt.datetime:
    return dt.datetime(year, month, day, hour, tzinfo=SH)


# ------------------------------------------------------------------ Air China


def _flights(when: dt.datetime, segments: int, km: int = 0) -> QualifyingPosting:
    """``segments`` segments of ``km`` km in all, by default 1,000 km each (the km way of an
    Air China card is then never the nearer one)."""
    return QualifyingPosting(when, counts={"segments": segments, "km": km or 1000 * segments})


def _card(
    name: str, km: int, segments: int, keep_km: int | None = None, keep_segments: int = 0
) -> Tier:
    """A Chinese airline's card (Air China, China Southern): reached on 定级里程 (km) or 定级航段
    (segments); with ``keep_km``, kept on the lower 保级 pair ``keep_km`` km or
    ``keep_segments`` segments (Air China)."""
    keep: list[Qualification] = []
    if keep_km is not None:
        keep = [
            Qualification(counts={"km": keep_km}),
            Qualification(counts={"segments": keep_segments}),
        ]
    return Tier(
        name=name,
        alternatives=[
            Qualification(counts={"km": km}),
            Qualification(counts={"segments": segments}),
        ],
        keep=keep,
    )


# ------------------------------------------------------------------ Qatar


def _qatar(*, platinum: bool = False, **options: Any) -> TierLadder:
    """Qatar Privilege Club (2013 terms, above): Qpoints in any 12 months, status for 12;
    Burgundy, Silver and Gold, and Platinum with ``platinum``."""
    tiers = [
        Tier(name="burgundy"),
        Tier(name="silver", points=150, keep=[Qualification(points=140)]),
        Tier(name="gold", points=300, keep=[Qualification(points=275)]),
    ]
    if platinum:
        tiers.append(Tier(name="platinum", points=600, keep=[Qualification(points=550)]))
    return TierLadder(tiers=tiers, window="rolling", window_months=12, **options)


def _q(when: dt.datetime, qpoints: int) -> QualifyingPosting:
    return QualifyingPosting(when, points=qpoints)


# ------------------------------------------------------------------ properties


def _way_args(way: dict[str, Any]) -> dict[str, Any]:
    args: dict[str, Any] = {m: way[m] for m in ("spend", "points", "orders") if m in way}
    counts = {m: v for m, v in way.items() if m not in ("spend", "points", "orders")}
    if counts:
        args["counts"] = counts
    return args


def _with_keep(ladder: TierLadder, share: Decimal) -> TierLadder:
    """``ladder`` with, on each tier above the base, keep ways at ``share`` of each way up."""

    def scaled(value: Any) -> Any:
        low = Decimal(value) * share
        return low if isinstance(value, Decimal) else int(low)

    def keeps(tier: Tier) -> list[Qualification]:
        ways = tier.ways(ladder.combine)
        out = []
        for way in ways:
            low = {m: scaled(v) for m, v in way.items()}
            # Scaled down, a way can still be stricter than another (looser) way up: the
            # ladder refuses such a keep way (it would never keep anyone); leave it out.
            if low in ways or not any(all(m in low and low[m] >= v for m, v in w.items())
                                      for w in ways):  # fmt: skip
                out.append(Qualification(**_way_args(low)))
        return out

    tiers = [ladder.tiers[0]] + [attrs.evolve(t, keep=keeps(t)) for t in ladder.tiers[1:]]
    return attrs.evolve(ladder, tiers=tiers)


def _steps(
    posts: Sequence[QualifyingPosting], stops: Sequence[int], start: dt.datetime, end: dt.datetime
) -> list[tuple[dt.datetime, QualifyingPosting | None]]:
    """The postings as ``(time, posting)`` and reads ``stops`` days after ``start`` as
    ``(time, None)``, in time order up to ``end``: at one instant a read comes before a
    posting, postings in their order."""
    steps = sorted(
        [(p.time, 1, i) for i, p in enumerate(posts)]
        + [(start + dt.timedelta(days=d), 0, -1) for d in stops]
    )
    return [(when, posts[i] if kind else None) for when, kind, i in steps if when <= end]


def _ledger_rows(
    posts: Sequence[QualifyingPosting], as_of: dt.datetime, zone: dt.tzinfo
) -> list[tuple[Any, ...]]:
    """The postings up to ``as_of`` (naive, in ``zone``) as the ledger's batch fold
    (``TierTracker._post_many``) takes them: ``(time, spend, points, orders, counts,
    reverses)`` with instants in UTC, in time order (postings at one instant in theirs)."""
    return sorted(
        (
            (
                p.time.replace(tzinfo=zone).astimezone(UTC),
                p.spend,
                p.points,
                p.orders,
                tuple(p.counts.items()),
                None if p.reverses is None else p.reverses.replace(tzinfo=zone).astimezone(UTC),
            )
            for p in posts
            if p.time <= as_of
        ),
        key=lambda e: e[0],
    )
