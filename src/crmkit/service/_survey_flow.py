"""The one flow of a one-group survey metric, and the reasons every group result carries.

NPS (:mod:`crmkit.service._nps`) and the scale metrics CSAT and CES
(:mod:`crmkit.service._csat_ces`) differ only in their sums, statistics, extra reasons
and result type. Everything else happens here, once and in one order: check the options,
parse the answers (:func:`~crmkit.service._survey_input.parse`), sum them into one group,
apply the finite-population correction, compute, explain, and record the rows left out
for a zero weight. ``metric_table`` runs the same per-metric steps over many groups.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any, Protocol, TypeVar

import attrs
import numpy as np

from crmkit._stats import _check_level
from crmkit.service._survey_input import (
    Parsed,
    check_method,
    check_min_n,
    check_population,
    fpc_factor,
    parse,
)
from crmkit.service._survey_results import join_reasons

__all__ = ["SurveyMetric", "group_reasons", "one_group"]

FloatArray = np.ndarray[Any, np.dtype[np.float64]]
SumsT = TypeVar("SumsT")
ResultT = TypeVar("ResultT")
ResultT_co = TypeVar("ResultT_co", covariant=True)


class SurveyMetric(Protocol[SumsT, ResultT_co]):
    """The steps in which one survey metric differs from another."""

    @property
    def methods(self) -> Sequence[str]:
        """The interval methods ``ci=`` accepts."""

    @property
    def scale(self) -> tuple[int, int]:
        """The answer scale ``(low, high)``."""

    def check(self, owner: str) -> None:
        """Check the metric's own options (after the shared ones)."""

    def sums(self, parsed: Parsed, group: np.ndarray[Any, Any], n_groups: int) -> SumsT:
        """Per-group sums of the parsed answers."""

    def n(self, sums: SumsT) -> FloatArray:
        """Responses per group (what the finite-population correction counts)."""

    def statistics(
        self, sums: SumsT, parsed: Parsed, *, method: str | None, level: float, fpc: FloatArray
    ) -> dict[str, FloatArray]:
        """Every statistic per group."""

    def reasons(
        self, sums: SumsT, method: str | None, fpc: FloatArray, min_n: int
    ) -> list[str | None]:
        """Why each group's figures need care (None when nothing to say)."""

    def result(
        self,
        sums: SumsT,
        stats: dict[str, FloatArray],
        i: int,
        *,
        method: str | None,
        level: float,
        n_missing: int,
        n_invalid: int,
        weighted: bool,
        population_size: int | None,
        min_n: int,
        reason: str | None,
    ) -> ResultT_co:
        """The result object of group ``i``."""


def one_group(
    scores: Any,
    metric: SurveyMetric[SumsT, ResultT],
    *,
    owner: str,
    weights: Any,
    weights_kind: str,
    ci: str | None,
    level: float,
    missing: str,
    invalid: str,
    population_size: int | None,
    min_n: int,
) -> ResultT:
    """Compute ``metric`` over all of ``scores`` as one group (the public one-call metrics)."""
    check_method(ci, metric.methods, owner)
    level = _check_level(level, owner)
    check_population(population_size, owner)
    check_min_n(min_n, owner)
    metric.check(owner)
    parsed = parse(
        scores,
        weights=weights,
        weights_kind=weights_kind,
        scale=metric.scale,
        missing=missing,
        invalid=invalid,
        owner=owner,
    )
    sums = metric.sums(parsed, np.zeros(len(parsed.values), dtype=np.int64), 1)
    fpc = fpc_factor(metric.n(sums), population_size, owner)
    stats = metric.statistics(sums, parsed, method=ci, level=level, fpc=fpc)
    result = metric.result(
        sums,
        stats,
        0,
        method=ci,
        level=level,
        n_missing=parsed.n_missing,
        n_invalid=parsed.n_invalid,
        weighted=parsed.weights is not None,
        population_size=population_size,
        min_n=min_n,
        reason=metric.reasons(sums, ci, fpc, min_n)[0],
    )
    evolved: ResultT = attrs.evolve(result, n_zero_weight=parsed.n_zero_weight)  # type: ignore[misc]
    return evolved


def group_reasons(
    n: FloatArray, fpc: FloatArray, min_n: int, specific: Callable[[int], Iterable[str]]
) -> list[str | None]:
    """Per group: no responses, or low sample, the metric's ``specific(i)`` notes, census."""
    reasons: list[str | None] = []
    for i in range(len(n)):
        parts: list[str] = []
        if n[i] == 0:
            parts.append("no responses")
        else:
            if n[i] < min_n:
                parts.append(f"low sample: n = {int(n[i])} < min_n = {min_n}")
            parts.extend(specific(i))
            if fpc[i] == 0:
                parts.append("census (n = population_size): no sampling error")
        reasons.append(join_reasons(parts))
    return reasons
