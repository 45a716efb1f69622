"""Service levels and satisfaction: business calendars, SLA evaluation, NPS/CSAT/CES, KPIs.

Public names are re-exported here from private modules; import from this facade.
"""

from typing import TYPE_CHECKING

from crmkit._lazy import attach

if TYPE_CHECKING:
    from crmkit.service._calendar import (
        BusinessCalendar,
        announced_years,
        country_holidays,
    )
    from crmkit.service._csat_ces import ces, csat
    from crmkit.service._events import EVENTS
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
    from crmkit.service._nps import nps, nps_from_counts
    from crmkit.service._sla import (
        BusinessDays,
        MetricRule,
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
    from crmkit.service._survey_input import NpsScheme, SurveyOptions
    from crmkit.service._survey_planning import nps_sample_size
    from crmkit.service._survey_results import (
        Interval,
        NpsComparison,
        NpsResult,
        ProportionComparison,
        ScaleResult,
        round_shares,
    )
    from crmkit.service._survey_tables import (
        compare_groups,
        compare_nps,
        compare_proportions,
        metric_table,
    )

__all__ = [
    "EVENTS",
    "BusinessCalendar",
    "BusinessDays",
    "DurationQuantiles",
    "Interval",
    "MetricRule",
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
    "SurveyOptions",
    "TargetResult",
    "TicketSLA",
    "announced_years",
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
