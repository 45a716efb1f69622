"""Customer value and segmentation: summaries, RFM, ABC, pyramid, Pareto/Gini, lifecycle.

Public names are re-exported here from private modules; import from this facade.
"""

from typing import TYPE_CHECKING

from crmkit._lazy import attach

if TYPE_CHECKING:
    from crmkit.segmentation._abc import (
        ValuePotentialMatrix,
        abc_classify,
        class_summary,
        pyramid,
        pyramid_tiers,
    )
    from crmkit.segmentation._bgbb import (
        BetaGeoBetaBinomFit,
        BetaGeoBetaBinomModel,
    )
    from crmkit.segmentation._bgnbd import (
        BetaGeoFit,
        BetaGeoModel,
        ModifiedBetaGeoFit,
        ModifiedBetaGeoModel,
    )
    from crmkit.segmentation._clv import (
        calibration_holdout_comparison,
        customer_lifetime_value,
        frequency_recency_matrix,
        period_transactions,
        potential_from_value,
    )
    from crmkit.segmentation._cohorts import (
        CohortTable,
        cohort_retention,
    )
    from crmkit.segmentation._gamma_gamma import (
        GammaGammaFit,
        GammaGammaModel,
    )
    from crmkit.segmentation._lifecycle_engine import (
        classify_lifecycle,
        lifecycle_history,
    )
    from crmkit.segmentation._lifecycle_policy import (
        AliveRule,
        LifecyclePolicy,
        StageResult,
    )
    from crmkit.segmentation._log import TransactionLog
    from crmkit.segmentation._model import FitInfo
    from crmkit.segmentation._pareto import (
        gini,
        pareto_curve,
        top_share,
    )
    from crmkit.segmentation._pareto_nbd import (
        ParetoNBDFit,
        ParetoNBDModel,
    )
    from crmkit.segmentation._rates import (
        Rate,
        churn_rate,
        rates_by_period,
        reactivation_rate,
        repurchase_rate,
        retention_rate,
    )
    from crmkit.segmentation._rfm import (
        RFMModel,
        RFMScore,
        RFMScorer,
        ScoreScale,
        rfm,
        segment_summary,
    )
    from crmkit.segmentation._sbg import (
        ShiftedBetaGeoFit,
        ShiftedBetaGeoModel,
    )
    from crmkit.segmentation._segment_maps import (
        Segment,
        SegmentMap,
        SegmentMapReport,
        SegmentRule,
    )
    from crmkit.segmentation._summary import (
        btyd_summary,
        calibration_holdout,
        summarize,
    )
    from crmkit.segmentation._transitions import (
        TransitionMatrix,
        stage_flows,
        transition_matrix,
    )

__all__ = [
    "AliveRule",
    "BetaGeoBetaBinomFit",
    "BetaGeoBetaBinomModel",
    "BetaGeoFit",
    "BetaGeoModel",
    "CohortTable",
    "FitInfo",
    "GammaGammaFit",
    "GammaGammaModel",
    "LifecyclePolicy",
    "ModifiedBetaGeoFit",
    "ModifiedBetaGeoModel",
    "ParetoNBDFit",
    "ParetoNBDModel",
    "RFMModel",
    "RFMScore",
    "RFMScorer",
    "Rate",
    "ScoreScale",
    "Segment",
    "SegmentMap",
    "SegmentMapReport",
    "SegmentRule",
    "ShiftedBetaGeoFit",
    "ShiftedBetaGeoModel",
    "StageResult",
    "TransactionLog",
    "TransitionMatrix",
    "ValuePotentialMatrix",
    "abc_classify",
    "btyd_summary",
    "calibration_holdout",
    "calibration_holdout_comparison",
    "churn_rate",
    "class_summary",
    "classify_lifecycle",
    "cohort_retention",
    "customer_lifetime_value",
    "frequency_recency_matrix",
    "gini",
    "lifecycle_history",
    "pareto_curve",
    "period_transactions",
    "potential_from_value",
    "pyramid",
    "pyramid_tiers",
    "rates_by_period",
    "reactivation_rate",
    "repurchase_rate",
    "retention_rate",
    "rfm",
    "segment_summary",
    "stage_flows",
    "summarize",
    "top_share",
    "transition_matrix",
]

__getattr__, __dir__ = attach(__name__, __file__, __all__)
