"""Gamma-Gamma: how much a customer spends per purchase (Fader, Hardie & Lee 2005; note 025).

A customer's purchase values are Gamma(p, nu) with ``nu ~ Gamma(q, gamma)`` across
customers (the parameter ``gamma`` is written ``v`` here, as in lifetimes). Only repeat
buyers carry information: the model is fitted on customers with ``frequency > 0`` and
their mean repeat-purchase value ``monetary_value`` (the Fader-Hardie convention of
:func:`~crmkit.segmentation.btyd_summary`). It assumes spend does not depend on how often a
customer buys; the fit measures the correlation between the two and refuses to go on
when it is strong (``max_correlation``).

Examples:
    >>> from crmkit.segmentation import GammaGammaFit
    >>> fit = GammaGammaFit(params={"p": 6.25, "q": 3.74, "v": 15.44})
    >>> round(fit.expected_spend(frequency=2, monetary=22.35), 1)  # Hardie's note 025
    24.7
"""

from __future__ import annotations

from typing import Any, ClassVar

import attrs
import numpy as np
import pandas as pd
from scipy.special import gammaln

from crmkit._spec import PLAIN, Optional, Spec, field, number, one_of
from crmkit.errors import InvalidInputError, NotFittedError
from crmkit.segmentation._dask import is_dask
from crmkit.segmentation._model import (
    TIME_UNITS,
    FloatArray,
    Objective,
    _Fitted,
    aligned,
    as_arrays,
    check_spend,
    collapse_dask,
    fit_model,
    map_predictions,
    read_columns,
    refuse_rows,
    scalar_or_array,
    wsum,
)

__all__ = ["GammaGammaFit", "GammaGammaModel"]


def _gg_loglik(theta: FloatArray, x: FloatArray, m: FloatArray) -> FloatArray:
    p, q, v = theta
    px = p * x
    return np.asarray(
        gammaln(px + q)
        - gammaln(px)
        - gammaln(q)
        + q * np.log(v)
        + (px - 1.0) * np.log(m)
        + px * np.log(x)
        - (px + q) * np.log(v + x * m),
        dtype=np.float64,
    )


def _weighted_corr(x: FloatArray, y: FloatArray, w: FloatArray) -> float:
    share = w / w.sum()
    dx = x - wsum(share, x)
    dy = y - wsum(share, y)
    sx = float(wsum(share, dx * dx))
    sy = float(wsum(share, dy * dy))
    if sx <= 0 or sy <= 0:
        return 0.0
    return float(wsum(share, dx * dy)) / float(np.sqrt(sx * sy))


@attrs.frozen
class GammaGammaModel(Spec):
    """Gamma-Gamma spend options; :meth:`fit` returns a :class:`GammaGammaFit`.

    Attributes:
        penalizer: L2 penalty on the parameters (0 = plain maximum likelihood).
        max_correlation: Largest accepted absolute (weighted Pearson) correlation between
            frequency and mean spend among repeat buyers; the model assumes they are
            independent. ``None`` fits regardless (the correlation is still recorded).
        time_unit: The unit of the transaction model this spend model goes with (only
            recorded; spend has no time).

    Examples:
        >>> import pandas as pd
        >>> summary = pd.DataFrame({"frequency": [1, 2, 3, 1, 4, 2, 0],
        ...                         "monetary_value": [20.0, 35.0, 18.0, 60.0, 25.0, 41.0, 0.0]})
        >>> # Six repeat buyers cannot pin three parameters down alone (unpenalised, the
        >>> # fit runs off to the boundary and says so): a small penalty keeps it interior.
        >>> fit = GammaGammaModel(max_correlation=None, penalizer=0.001).fit(summary)
        >>> fit.info.n_customers  # the one-time buyer is left out
        6.0
    """

    penalizer: float = field(default=0.0, validator=number(min=0))
    max_correlation: float | None = field(
        default=0.3, validator=number(min=0, max=1, optional=True), codec=Optional(PLAIN)
    )
    time_unit: str = field(default="days", validator=one_of(tuple(TIME_UNITS)))

    def fit(
        self,
        data: Any,
        *,
        frequency: str = "frequency",
        monetary: str = "monetary_value",
        weights: str | None = None,
    ) -> GammaGammaFit:
        """Fit on the repeat buyers (``frequency > 0``) of a customer summary.

        Args:
            data: One row per customer with the repeat-purchase count and the mean value
                of the repeat purchases (``btyd_summary(..., amount="amount")``).
            frequency: Column of repeat purchases.
            monetary: Column of mean repeat-purchase value.
            weights: Optional column of customer counts per row.

        Returns:
            A new :class:`GammaGammaFit`.

        Raises:
            InvalidInputError: A repeat buyer with zero or negative mean spend (the model
                needs positive values: drop or net refunds first), fewer than 2 repeat
                buyers, or frequency and spend correlated beyond ``max_correlation``.
            NotFittedError: No convergence, or ``q <= 1`` (no finite mean spend).

        Examples:
            >>> import pandas as pd
            >>> bad = pd.DataFrame({"frequency": [1, 2], "monetary_value": [10.0, -5.0]},
            ...                    index=pd.Index(["a", "b"], name="customer_id"))
            >>> GammaGammaModel().fit(bad)
            Traceback (most recent call last):
            ...
            crmkit.errors.InvalidInputError: GammaGammaModel.fit(): column 'monetary_value' must be greater than 0 for repeat buyers; found 1 zero or negative values at rows ['b']. Leave refunds out or net them per period (btyd_summary(refunds=...)), or drop these customers.
        """
        owner = "GammaGammaModel.fit()"
        data, weights = collapse_dask(data, owner, [frequency, monetary], weights)
        cols = read_columns(
            data, owner, [frequency, monetary], weights=weights, nonnegative=[frequency]
        )
        x, m = cols.arrays
        repeat = (x > 0) & (cols.weights > 0)
        bad = repeat & (m <= 0)
        if bad.any():
            count = int(bad.sum())
            raise InvalidInputError(
                owner,
                monetary,
                expected="greater than 0 for repeat buyers",
                found=f"{count} zero or negative values",
                rows=list(cols.labels[np.flatnonzero(bad)[:5]]),
                total=count,
                hint="Leave refunds out or net them per period (btyd_summary(refunds=...)), "
                "or drop these customers.",
            )
        if float(cols.weights[repeat].sum()) < 2:
            raise InvalidInputError(
                owner,
                frequency,
                expected="at least 2 repeat buyers",
                found=f"{float(cols.weights[repeat].sum()):g}",
                hint="Spend per purchase is learned from repeat purchases only.",
            )
        x, m, w = x[repeat], m[repeat], cols.weights[repeat]
        corr = _weighted_corr(x, m, w)
        if self.max_correlation is not None and abs(corr) > self.max_correlation:
            raise InvalidInputError(
                owner,
                monetary,
                expected=f"independent of frequency (|correlation| <= {self.max_correlation})",
                found=f"a correlation of {corr:.3f}",
                hint="Gamma-Gamma assumes spend does not depend on purchase frequency; "
                "segment the customers, or pass max_correlation=None to fit anyway.",
            )

        def finite_mean(params: dict[str, float]) -> None:
            if params["q"] <= 1:
                raise NotFittedError(
                    owner,
                    "q",
                    expected="greater than 1 (a finite mean spend)",
                    found=f"{params['q']:.4g}",
                    hint="The spend distribution is too heavy-tailed for Gamma-Gamma; cap "
                    "outliers or segment the customers.",
                )

        return fit_model(
            owner,
            GammaGammaFit,
            (x, m),
            w,
            lambda v, _: Objective(lambda theta: _gg_loglik(theta, *v)),
            penalizer=self.penalizer,
            time_unit=self.time_unit,
            scale=lambda v, weights: float(np.average(v[1], weights=weights)),
            scaled=(1,),
            check=finite_mean,
            frequency_spend_correlation=corr,
        )


@attrs.frozen
class GammaGammaFit(_Fitted):
    """A fitted Gamma-Gamma spend model: ``p``, ``q``, ``v``.

    Attributes:
        frequency_spend_correlation: The weighted correlation between frequency and mean
            spend among the repeat buyers it was fitted on (None when built from given
            parameters).

    Examples:
        >>> fit = GammaGammaFit(params={"p": 6.25, "q": 3.74, "v": 15.44})
        >>> round(fit.population_mean_spend, 2)
        35.22
        >>> GammaGammaFit.from_dict(fit.to_dict()) == fit
        True
    """

    PARAMS: ClassVar[tuple[str, ...]] = ("p", "q", "v")
    SCALE_PARAMS: ClassVar[tuple[str, ...]] = ("v",)  # the money scale

    frequency_spend_correlation: float | None = field(
        default=None, validator=number(optional=True), codec=Optional(PLAIN)
    )

    def _check_params(self) -> None:
        if self.params["q"] <= 1:
            from crmkit.errors import ConfigError

            raise ConfigError(
                type(self).__name__,
                "params['q']",
                expected="greater than 1 (a finite mean spend)",
                found=repr(self.params["q"]),
            )

    @property
    def population_mean_spend(self) -> float:
        """Mean spend per purchase of a customer with no history: ``p v / (q - 1)``.

        Examples:
            >>> GammaGammaFit(params={"p": 2.0, "q": 3.0, "v": 10.0}).population_mean_spend
            10.0
        """
        p, q, v = self._p()
        return p * v / (q - 1.0)

    def _spend(self, x: FloatArray, m: FloatArray) -> FloatArray:
        p, q, v = self._p()
        m = np.where(x > 0, m, 0.0)
        return np.asarray(p * (v + x * m) / (p * x + q - 1.0), dtype=np.float64)

    def expected_spend(self, frequency: Any, monetary: Any) -> Any:
        """E[spend per purchase | frequency, mean repeat spend]: a shrunk average.

        One-time buyers (``frequency == 0``) get :attr:`population_mean_spend`.

        Examples:
            >>> fit = GammaGammaFit(params={"p": 6.25, "q": 3.74, "v": 15.44})
            >>> round(fit.expected_spend(0, 0.0), 2), round(fit.expected_spend(1, 11.77), 2)
            (35.22, 18.92)
        """
        owner = f"{type(self).__name__}.expected_spend()"
        scalar, (x, m) = as_arrays(owner, frequency=frequency, monetary=monetary)
        index = pd.RangeIndex(x.size)
        refuse_rows(
            index,
            ~np.isfinite(x.ravel()) | (x.ravel() < 0),
            owner,
            "frequency",
            "at least 0",
            "bad values",
        )
        refuse_rows(
            index,
            (x.ravel() > 0) & ~(m.ravel() > 0),
            owner,
            "monetary",
            "greater than 0 for repeat buyers",
            "bad values",
        )
        return scalar_or_array(self._spend(x, m), scalar)

    def predict(
        self, data: Any, *, frequency: str = "frequency", monetary: str = "monetary_value"
    ) -> pd.DataFrame:
        """Expected spend per purchase of every customer, on the summary's index.

        Examples:
            >>> import pandas as pd
            >>> fit = GammaGammaFit(params={"p": 6.25, "q": 3.74, "v": 15.44})
            >>> s = pd.DataFrame({"frequency": [2, 0], "monetary_value": [22.35, 0.0]},
            ...                  index=pd.Index([1, 2], name="customer_id"))
            >>> fit.predict(s).round(2)
                         expected_spend
            customer_id
            1                     24.66
            2                     35.22
        """
        if is_dask(data):
            return map_predictions(  # type: ignore[no-any-return]
                data, self, "predict", {"frequency": frequency, "monetary": monetary}
            )
        owner = f"{type(self).__name__}.predict()"
        cols = read_columns(
            data, owner, [frequency, monetary], nonnegative=[frequency], allow_empty=True
        )
        x, m = cols.arrays
        check_spend(cols.labels, x, m, owner, monetary)
        return aligned(cols.labels, {"expected_spend": self._spend(x, m)})
