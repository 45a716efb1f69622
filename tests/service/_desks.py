"""A weekday desk in Shanghai and one-target policies on it, shared by the SLA tests."""

from __future__ import annotations

from crmkit.service import BusinessCalendar, SLAPolicy, SLATarget

DESK = BusinessCalendar(
    "Asia/Shanghai", {d: [["09:00", "18:00"]] for d in ["mon", "tue", "wed", "thu", "fri"]}
)


def one_target(metric: str, duration: str, clock: str) -> SLAPolicy:
    """A policy named ``p`` on :data:`DESK` with one target for every priority."""
    return SLAPolicy(
        name="p",
        calendar=DESK,
        targets={"*": [SLATarget(metric=metric, duration=duration, clock=clock)]},
    )
