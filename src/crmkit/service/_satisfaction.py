"""Satisfaction metrics with honest statistics: NPS, CSAT and CES (the conventions).

Every metric returns a frozen result with its sample size, standard error and an interval
that names its method; none raises on empty or tiny input (``n = 0``, ``n = 1``, all
answers in one category): those results carry a ``reason`` instead. The policy choices
vendors disagree on are explicit keywords with documented defaults:

- ``missing="exclude"`` (default): missing / "no score" answers are left out of the
  denominator and counted in ``n_missing``; ``"include"`` keeps them in the denominator as
  neither promoter nor detractor (CustomerGauge's convention) or as not satisfied.
- ``invalid="raise"`` (default): scores off the scale or not whole numbers are an
  :class:`~crmkit.errors.InvalidInputError`; ``"exclude"`` drops them and counts them in
  ``n_invalid``.
- Weights: ``weights_kind="sampling"`` (default) gives the Horvitz-Thompson-style ratio
  estimate with a linearised (Taylor) standard error, Kish's effective sample size and
  design effect; ``"frequency"`` treats whole-number weights as repeat counts, exactly
  like duplicating rows.
- ``population_size``: finite-population correction ``(N - n) / (N - 1)`` for small bases.
- Rounding happens only in ``format()`` (half-up by default); shares can be forced to sum
  to 100 by the largest-remainder method (:func:`round_shares`).

NPS intervals (``ci=``): ``"wald"``; ``"adjusted_wald"`` (default; Rocks 2016 and
MeasuringU: add 3/4 detractor, 3/2 passive, 3/4 promoter and centre on the adjusted
score); ``"score"`` (the iterative Tango-type score interval of the R ``NPS`` package,
followed step by step); ``"bootstrap"`` (seeded percentile bootstrap). The variance is the
trinomial one, ``p + d - (p - d)**2`` per response: promoters and detractors are not
independent.

Where each concern lives (this module only gathers them for the command line):

- :mod:`crmkit.service._survey_input`: reading answers, weights, missing / invalid
  policies, the finite-population correction, :class:`NpsScheme`.
- :mod:`crmkit.service._survey_results`: :class:`Interval`, :class:`NpsResult`,
  :class:`ScaleResult`, the comparison results and :func:`round_shares`.
- :mod:`crmkit.service._nps`: :func:`nps`, :func:`nps_from_counts`.
- :mod:`crmkit.service._csat_ces`: :func:`csat`, :func:`ces`.
- :mod:`crmkit.service._survey_tables`: :func:`compare_nps`, :func:`compare_proportions`,
  :func:`compare_groups`, :func:`metric_table`.
- :mod:`crmkit.service._survey_planning`: :func:`nps_sample_size`.
- Interval and test methods: :mod:`crmkit._stats`; rounding modes: :mod:`crmkit._rounding`.
"""

from __future__ import annotations

from crmkit.service._csat_ces import ces, csat
from crmkit.service._nps import NPS_METHODS, nps, nps_from_counts
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
    "NPS_METHODS",
    "Interval",
    "NpsComparison",
    "NpsResult",
    "NpsScheme",
    "ProportionComparison",
    "ScaleResult",
    "SurveyOptions",
    "ces",
    "compare_groups",
    "compare_nps",
    "compare_proportions",
    "csat",
    "metric_table",
    "nps",
    "nps_from_counts",
    "nps_sample_size",
    "round_shares",
]
