"""Campaigns: audiences and tags as data, health scores, holdout groups, measured uplift.

The loop from audience to measured effect: select an audience with a condition tree
(:class:`Audience`, :class:`TagSet`), hold out a control group by hashing the customer id
(:func:`assign`, compatible with GrowthBook's SDK hashing v2), check the split
(:func:`srm_check`), and measure what the campaign changed against the control group
(:func:`measure`); plan the sample size beforehand (:func:`sample_size`,
:func:`minimum_detectable_uplift` for a response rate; :func:`sample_size_mean`,
:func:`minimum_detectable_uplift_mean` for revenue or orders per customer). A
:class:`HealthScore` rolls weighted indicators up to a score and bands.

Public names are re-exported here from private modules; import from this facade.
"""

from typing import TYPE_CHECKING

from crmkit._lazy import attach

if TYPE_CHECKING:
    from crmkit.campaigns._audience import (
        AllOf,
        AnyOf,
        Audience,
        Between,
        Compare,
        Condition,
        In,
        IsNull,
        Not,
        TagSet,
        tag_history,
    )
    from crmkit.campaigns._health import (
        Band,
        HealthModel,
        HealthScore,
        Indicator,
        Percentile,
        Thresholds,
    )
    from crmkit.campaigns._holdout import (
        SRMResult,
        assign,
        bucket_ranges,
        gb_hash,
        hash_ids,
        srm_check,
    )
    from crmkit.campaigns._measure import (
        ArmSummary,
        CampaignResult,
        Estimate,
        SegmentUplift,
        measure,
    )
    from crmkit.campaigns._planning import (
        MeanSamplePlan,
        SamplePlan,
        minimum_detectable_uplift,
        minimum_detectable_uplift_mean,
        sample_size,
        sample_size_mean,
    )

__all__ = [
    "AllOf",
    "AnyOf",
    "ArmSummary",
    "Audience",
    "Band",
    "Between",
    "CampaignResult",
    "Compare",
    "Condition",
    "Estimate",
    "HealthModel",
    "HealthScore",
    "In",
    "Indicator",
    "IsNull",
    "MeanSamplePlan",
    "Not",
    "Percentile",
    "SRMResult",
    "SamplePlan",
    "SegmentUplift",
    "TagSet",
    "Thresholds",
    "assign",
    "bucket_ranges",
    "gb_hash",
    "hash_ids",
    "measure",
    "minimum_detectable_uplift",
    "minimum_detectable_uplift_mean",
    "sample_size",
    "sample_size_mean",
    "srm_check",
    "tag_history",
]

__getattr__, __dir__ = attach(__name__, __file__, __all__)
