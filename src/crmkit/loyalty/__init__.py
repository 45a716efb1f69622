"""Loyalty programs: points earning, expiry, redemption, refunds and tiers, replayed from events.

Public names are re-exported here from private modules; import from this facade.
"""

from typing import TYPE_CHECKING

from crmkit._lazy import attach

if TYPE_CHECKING:
    from crmkit.loyalty._events import (
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
        TierGrant,
        event_from_dict,
    )
    from crmkit.loyalty._expiry import (
        ExpiryPolicy,
    )
    from crmkit.loyalty._finance import (
        BreakageResult,
        breakage,
        points_liability,
    )
    from crmkit.loyalty._ledger import (
        sort_events,
    )
    from crmkit.loyalty._lots import (
        Lot,
        Posting,
    )
    from crmkit.loyalty._milestones import (
        Milestone,
    )
    from crmkit.loyalty._privileges import (
        Grant,
        Privilege,
        PrivilegeSet,
        QuotaStatus,
    )
    from crmkit.loyalty._program import (
        CompiledProgram,
        MemberState,
        Program,
    )
    from crmkit.loyalty._replay_many import (
        replay_many,
    )
    from crmkit.loyalty._rules import (
        BaseRate,
        Component,
        Condition,
        DateWindow,
        EarningResult,
        EarningRule,
        EarningScheme,
        LinePoints,
        MemberContext,
        Multiplier,
        Order,
        OrderBonus,
        OrderLine,
        OrderMinimum,
        PerEvery,
        PeriodCap,
        SignUpBonus,
        YearlyBonus,
    )
    from crmkit.loyalty._tender import TenderPolicy
    from crmkit.loyalty._tiers import (
        Counters,
        Qualification,
        QualifyingPosting,
        Tier,
        TierChange,
        TierLadder,
        TierStatus,
        assign_tiers,
    )
    from crmkit.loyalty._tracker import TierTracker
    from crmkit.loyalty._transfers import (
        Pool,
        Transfer,
        TransferPolicy,
        merge_accounts,
        pool_points,
        transfer,
    )

__all__ = [
    "Adjust",
    "BaseRate",
    "BreakageResult",
    "CancelRedemption",
    "CompiledProgram",
    "Component",
    "Condition",
    "Counters",
    "DateWindow",
    "EarningResult",
    "EarningRule",
    "EarningScheme",
    "Enroll",
    "ExpiryPolicy",
    "Grant",
    "LinePoints",
    "Lot",
    "MemberContext",
    "MemberState",
    "Milestone",
    "Multiplier",
    "Order",
    "OrderBonus",
    "OrderLine",
    "OrderMinimum",
    "PerEvery",
    "PeriodCap",
    "Pool",
    "Posting",
    "Privilege",
    "PrivilegeSet",
    "ProfileUpdate",
    "Program",
    "Purchase",
    "PurchaseLine",
    "Qualification",
    "QualifyingPosting",
    "QuotaStatus",
    "Redeem",
    "Refund",
    "RefundLine",
    "SignUpBonus",
    "Tender",
    "TenderPolicy",
    "Tier",
    "TierChange",
    "TierGrant",
    "TierLadder",
    "TierStatus",
    "TierTracker",
    "Transfer",
    "TransferPolicy",
    "YearlyBonus",
    "assign_tiers",
    "breakage",
    "event_from_dict",
    "merge_accounts",
    "points_liability",
    "pool_points",
    "replay_many",
    "sort_events",
    "transfer",
]

__getattr__, __dir__ = attach(__name__, __file__, __all__)
