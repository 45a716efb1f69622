"""Shifted-beta-geometric (sBG): retention in contractual settings (Fader & Hardie 2007).

For memberships, renewals and subscriptions (会员续约), where a customer's leaving is
observed. Each customer renews at the end of every period with probability ``1 - theta``;
the churn probability ``theta ~ Beta(alpha, beta)`` varies across customers, so the
cohort's retention rate *rises* over time as the likely churners leave first:
``r_t = (beta + t - 1) / (alpha + beta + t - 1)``.

Fit it from one row per customer (periods observed, churned or not) with
:meth:`ShiftedBetaGeoModel.fit`, or from a cohort's survivor counts with
:meth:`ShiftedBetaGeoModel.fit_survivors`.

Examples:
    >>> from crmkit.segmentation import ShiftedBetaGeoModel
    >>> regular = [1000, 631, 468, 382, 326, 289, 262, 241]  # Fader & Hardie 2007
    >>> fit = ShiftedBetaGeoModel(time_unit="years").fit_survivors(regular)
    >>> round(fit.params["alpha"], 3), round(fit.params["beta"], 3)
    (0.704, 1.182)
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from typing import Any, ClassVar

import attrs
import numpy as np
import pandas as pd

from crmkit._spec import Spec, field, number, one_of
from crmkit.errors import ConfigError, InvalidInputError
from crmkit.segmentation._model import (
    TIME_UNITS,
    FloatArray,
    Objective,
    _Fitted,
    aligned,
    as_arrays,
    fit_model,
    log_beta,
    read_columns,
    refuse_rows,
    scalar_or_array,
    whole_numbers,
)

__all__ = ["ShiftedBetaGeoFit", "ShiftedBetaGeoModel"]


def _sbg_loglik(theta: FloatArray, t: FloatArray, churned: FloatArray) -> FloatArray:
    """Log P(T = t) for churners, log S(t) for customers still active after t periods."""
    a, b = theta
    base = log_beta(a, b)
    lost = log_beta(a + 1.0, b + t - 1.0) - base
    kept = log_beta(a, b + t) - base
    return np.asarray(np.where(churned > 0, lost, kept), dtype=np.float64)


@attrs.frozen
class ShiftedBetaGeoModel(Spec):
    """sBG options; :meth:`fit` / :meth:`fit_survivors` return a :class:`ShiftedBetaGeoFit`.

    Attributes:
        penalizer: L2 penalty on the parameters (0 = plain maximum likelihood).
        time_unit: The renewal period (``"months"`` for monthly plans, ``"years"``).

    Examples:
        >>> import pandas as pd
        >>> members = pd.DataFrame({"periods": [1, 1, 2, 3, 4, 4, 4, 2],
        ...                         "churned": [True, True, True, True, False, False, False, True]})
        >>> fit = ShiftedBetaGeoModel(time_unit="years").fit(members)
        >>> fit.info.n_customers
        8.0
    """

    penalizer: float = field(default=0.0, validator=number(min=0))
    time_unit: str = field(default="months", validator=one_of(tuple(TIME_UNITS)))

    def fit(
        self,
        data: Any,
        *,
        periods: str = "periods",
        churned: str = "churned",
        weights: str | None = None,
    ) -> ShiftedBetaGeoFit:
        """Fit on one row per customer: periods observed and whether the customer churned.

        A churned row with ``periods = t`` left at the end of period t (renewed t - 1
        times); an active row has survived ``periods`` periods so far (censored).

        Raises:
            InvalidInputError: Periods that are not whole numbers (at least 1 for
                churners), fewer than 2 customers, no churner or no survivor at all.
            NotFittedError: No convergence to an interior maximum.

        Examples:
            >>> import pandas as pd
            >>> ShiftedBetaGeoModel().fit(pd.DataFrame({"periods": [1, 2], "churned": [1, 1]}))
            Traceback (most recent call last):
            ...
            crmkit.errors.InvalidInputError: ShiftedBetaGeoModel.fit(): column 'churned' must be a mix of churned and active customers; found only churners. With everyone gone (or everyone staying) the churn heterogeneity cannot be estimated.
        """
        owner = "ShiftedBetaGeoModel.fit()"
        frame = data
        if isinstance(frame, pd.DataFrame) and churned in frame.columns:
            frame = frame.assign(**{churned: frame[churned].astype("float64")})
        cols = read_columns(frame, owner, [periods, churned], weights=weights)
        t, lost = cols.arrays
        refuse_rows(
            cols.labels,
            (t < 0) | (t != np.round(t)),
            owner,
            periods,
            "whole numbers at least 0",
            "bad values",
        )
        refuse_rows(
            cols.labels,
            ~np.isin(lost, (0.0, 1.0)),
            owner,
            churned,
            "True/False (or 1/0)",
            "other values",
        )
        refuse_rows(
            cols.labels,
            (lost > 0) & (t < 1),
            owner,
            periods,
            "at least 1 for churned customers",
            "0",
        )
        return self._fit(owner, t, lost, cols.weights, churned)

    def fit_survivors(self, survivors: Sequence[float]) -> ShiftedBetaGeoFit:
        """Fit on a cohort's survivor counts ``[n0, n1, ..., nk]`` (n0 = the starting size).

        ``n_{t-1} - n_t`` customers churned in period t; the ``nk`` still active are
        censored after k periods.

        Examples:
            >>> high_end = [1000, 869, 743, 653, 593, 551, 517, 491]  # Fader & Hardie 2007
            >>> fit = ShiftedBetaGeoModel(time_unit="years").fit_survivors(high_end)
            >>> round(fit.params["alpha"], 3), round(fit.params["beta"], 3)
            (0.668, 3.806)
        """
        owner = "ShiftedBetaGeoModel.fit_survivors()"
        counts = np.asarray(survivors, dtype=np.float64)
        index = pd.RangeIndex(counts.size)
        if counts.ndim != 1 or counts.size < 2:
            raise InvalidInputError(
                owner,
                "survivors",
                expected="at least 2 counts [n0, n1, ...]",
                found=repr(list(np.ravel(counts))),
                kind="",
            )
        refuse_rows(
            index,
            ~np.isfinite(counts) | (counts < 0),
            owner,
            "survivors",
            "finite counts at least 0",
            "bad values",
        )
        refuse_rows(
            index[1:], np.diff(counts) > 0, owner, "survivors", "non-increasing", "increases"
        )
        k = counts.size - 1
        periods = np.concatenate([np.arange(1.0, k + 1.0), [float(k)]])
        lost = np.concatenate([np.ones(k), [0.0]])
        weights = np.concatenate([-np.diff(counts), counts[-1:]])
        return self._fit(owner, periods, lost, weights, "survivors")

    def _fit(
        self, owner: str, t: FloatArray, lost: FloatArray, w: FloatArray, column: str
    ) -> ShiftedBetaGeoFit:
        total = float(w.sum())
        churners = float(w[lost > 0].sum())
        if total < 2 or churners in {0.0, total}:
            found = (
                "fewer than 2 customers"
                if total < 2
                else ("no churners" if churners == 0 else "only churners")
            )
            raise InvalidInputError(
                owner,
                column,
                expected="a mix of churned and active customers",
                found=found,
                hint="With everyone gone (or everyone staying) the churn heterogeneity "
                "cannot be estimated.",
            )
        return fit_model(
            owner,
            ShiftedBetaGeoFit,
            (t, lost),
            w,
            lambda v, _: Objective(lambda theta: _sbg_loglik(theta, *v)),
            penalizer=self.penalizer,
            time_unit=self.time_unit,
        )


@attrs.frozen
class ShiftedBetaGeoFit(_Fitted):
    """A fitted sBG model: churn probability ``theta ~ Beta(alpha, beta)``.

    Examples:
        >>> fit = ShiftedBetaGeoFit(params={"alpha": 0.668, "beta": 3.806}, time_unit="years")
        >>> fit.survival([0, 1, 12]).round(3).tolist()
        [1.0, 0.851, 0.378]
        >>> ShiftedBetaGeoFit.from_dict(fit.to_dict()) == fit
        True
    """

    PARAMS: ClassVar[tuple[str, ...]] = ("alpha", "beta")

    def _periods(
        self, method: str, t: Any, minimum: float, name: str = "t"
    ) -> tuple[bool, FloatArray]:
        return whole_numbers(f"{type(self).__name__}.{method}()", name, t, minimum)

    def survival(self, t: Any) -> Any:
        """S(t): the share of a new cohort still active after ``t`` periods.

        Examples:
            >>> fit = ShiftedBetaGeoFit(params={"alpha": 1.0, "beta": 1.0})
            >>> fit.survival(1)  # theta uniform: half renew once
            0.5
        """
        a, b = self._p()
        scalar, t = self._periods("survival", t, 0)
        return scalar_or_array(np.exp(log_beta(a, b + t) - log_beta(a, b)), scalar)

    def churn_probability(self, t: Any) -> Any:
        """P(T = t): the share of a new cohort that leaves in period ``t`` (t >= 1).

        Examples:
            >>> fit = ShiftedBetaGeoFit(params={"alpha": 1.0, "beta": 1.0})
            >>> round(fit.churn_probability(2), 4)  # 1/2 - 1/3
            0.1667
        """
        a, b = self._p()
        scalar, t = self._periods("churn_probability", t, 1)
        return scalar_or_array(np.exp(log_beta(a + 1.0, b + t - 1.0) - log_beta(a, b)), scalar)

    def retention_rate(self, t: Any) -> Any:
        """r_t = S(t) / S(t - 1) = (beta + t - 1) / (alpha + beta + t - 1), for t >= 1.

        Examples:
            >>> fit = ShiftedBetaGeoFit(params={"alpha": 0.668, "beta": 3.806})
            >>> fit.retention_rate([1, 2, 5]).round(3).tolist()  # rising over time
            [0.851, 0.878, 0.921]
        """
        a, b = self._p()
        scalar, t = self._periods("retention_rate", t, 1)
        return scalar_or_array((b + t - 1.0) / (a + b + t - 1.0), scalar)

    def probability_renew(self, t: Any, periods: Any) -> Any:
        """P(still active ``t`` periods from now | active after ``periods`` periods).

        Examples:
            >>> fit = ShiftedBetaGeoFit(params={"alpha": 1.0, "beta": 1.0})
            >>> fit.probability_renew(1, [0, 3]).round(3).tolist()  # loyal members renew more
            [0.5, 0.8]
        """
        a, b = self._p()
        owner = f"{type(self).__name__}.probability_renew()"
        scalar, (tt, n) = as_arrays(owner, t=t, periods=periods)
        self._periods("probability_renew", tt, 0)
        self._periods("probability_renew", n, 0, "periods")
        value = np.exp(log_beta(a, b + n + tt) - log_beta(a, b + n))
        return scalar_or_array(value, scalar)

    def curve(self, periods: int) -> pd.DataFrame:
        """Survival, churn and retention for periods 0..``periods`` (the projection table).

        Examples:
            >>> fit = ShiftedBetaGeoFit(params={"alpha": 0.668, "beta": 3.806}, time_unit="years")
            >>> fit.curve(3).round(3)
                    survival  churn_probability  retention_rate
            period
            0          1.000                NaN             NaN
            1          0.851              0.149           0.851
            2          0.747              0.104           0.878
            3          0.670              0.077           0.897
        """
        given: object = periods  # typed int, but called from untyped code too
        if isinstance(given, bool) or not isinstance(given, numbers.Integral) or given < 0:
            raise ConfigError(
                "ShiftedBetaGeoFit.curve()",
                "periods",
                expected="an int of at least 0",
                found=repr(given),
            )
        t = np.arange(periods + 1, dtype=np.float64)
        surv = self.survival(t)
        churn = np.concatenate([[np.nan], self.churn_probability(t[1:])])
        ret = np.concatenate([[np.nan], self.retention_rate(t[1:])])
        out = pd.DataFrame(
            {"survival": surv, "churn_probability": churn, "retention_rate": ret},
            index=pd.RangeIndex(periods + 1, name="period"),
        )
        out.attrs["time_unit"] = self.time_unit
        return out

    def predict(self, data: Any, t: int, *, periods: str = "periods") -> pd.DataFrame:
        """P(still active ``t`` periods from now) per active customer, on the data's index.

        Examples:
            >>> import pandas as pd
            >>> fit = ShiftedBetaGeoFit(params={"alpha": 1.0, "beta": 1.0})
            >>> fit.predict(pd.DataFrame({"periods": [0, 3]}, index=["a", "b"]), t=1)
               p_renew
            a      0.5
            b      0.8
        """
        owner = f"{type(self).__name__}.predict()"
        cols = read_columns(
            data, owner, [periods], nonnegative=[periods], integral=[periods], allow_empty=True
        )
        (n,) = cols.arrays
        return aligned(
            cols.labels, {"p_renew": self.probability_renew(np.full_like(n, float(t)), n)}
        )
