"""Service levels and satisfaction: business calendars, SLA evaluation, NPS/CSAT/CES, KPIs.

Public names are re-exported here from private modules; import from this facade.
"""

from typing import TYPE_CHECKING

from crmkit._lazy import attach

if TYPE_CHECKING:
    from crmkit.service._calendar import (
        BusinessCalendar,
        country_holidays,
    )
    from crmkit.service._kpi import (
        DurationQuantiles,
        PoissonRate,
        RateResult,
        backlog,
        complaint_rate,
        duration_quantiles,
        first_contact_resolution,
        followup_completion,
        reopen_rate,
        repeat_complaint_rate,
    )
    from crmkit.service._satisfaction import (
        Interval,
        NpsComparison,
        NpsResult,
        NpsScheme,
        ProportionComparison,
        ScaleResult,
        ces,
        compare_groups,
        compare_nps,
        compare_proportions,
        csat,
        metric_table,
        nps,
        nps_from_counts,
        nps_sample_size,
        round_shares,
    )
    from crmkit.service._sla import (
        BusinessDays,
        PolicySet,
        SLACycle,
        SLAPolicy,
        SLATarget,
        SLATracker,
        TargetResult,
        TicketSLA,
        evaluate_ticket,
    )
    from crmkit.service._sla_batch import (
        evaluate_sla,
        sla_attainment,
        sla_cycles,
    )

__all__ = [
    "BusinessCalendar",
    "BusinessDays",
    "DurationQuantiles",
    "Interval",
    "NpsComparison",
    "NpsResult",
    "NpsScheme",
    "PoissonRate",
    "PolicySet",
    "ProportionComparison",
    "RateResult",
    "SLACycle",
    "SLAPolicy",
    "SLATarget",
    "SLATracker",
    "ScaleResult",
    "TargetResult",
    "TicketSLA",
    "backlog",
    "ces",
    "compare_groups",
    "compare_nps",
    "compare_proportions",
    "complaint_rate",
    "country_holidays",
    "csat",
    "duration_quantiles",
    "evaluate_sla",
    "evaluate_ticket",
    "first_contact_resolution",
    "followup_completion",
    "metric_table",
    "nps",
    "nps_from_counts",
    "nps_sample_size",
    "reopen_rate",
    "repeat_complaint_rate",
    "round_shares",
    "sla_attainment",
    "sla_cycles",
]

__getattr__, __dir__ = attach(__name__, __file__, __all__)
