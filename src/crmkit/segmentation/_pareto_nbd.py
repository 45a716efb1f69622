"""Pareto/NBD: non-contractual, continuous-time purchases with an exponential lifetime.

Schmittlein, Morrison & Colombo (1987); the likelihood and the expressions follow Fader
& Hardie's derivation notes (009, and 027 for the ``2F1`` form of the likelihood). While
alive a customer buys at rate ``lambda ~ Gamma(r, alpha)``; the lifetime is exponential
with rate ``mu ~ Gamma(s, beta)``. Unlike BG/NBD a customer can drop out at any moment,
so one-time buyers get a P(alive) below 1.

The likelihood's ``A0`` term is a difference of two Gauss hypergeometric terms; it is
computed as a log-difference of logs (``log 2F1`` through Euler's transformation), so
neither large frequencies nor ``t_x`` close to ``T`` overflow or cancel to NaN.

Examples:
    >>> from crmkit.segmentation import ParetoNBDFit
    >>> fit = ParetoNBDFit(params={"r": 0.5534, "alpha": 10.5802, "s": 0.6061,
    ...                            "beta": 11.6562}, time_unit="weeks")
    >>> round(fit.probability_alive(26, 30.86, 31), 4)  # R BTYD walkthrough: 0.9979
    0.9979
"""

from __future__ import annotations

from typing import Any, ClassVar

import attrs
import numpy as np
from scipy.special import expit, gammaln

from crmkit._spec import Spec, field, number, one_of
from crmkit.segmentation._bgnbd import _check_identifiable, _rescaled
from crmkit.segmentation._model import (
    TIME_UNITS,
    FloatArray,
    _CountFit,
    check_customers,
    compress,
    expm1_ratio,
    log_hyp2f1,
    logdiffexp,
    maximise,
    numeric_gradient,
    read_columns,
    refuse_rows,
)

__all__ = ["ParetoNBDFit", "ParetoNBDModel"]


def _log_a0(p: FloatArray, x: FloatArray, tx: FloatArray, T: FloatArray) -> FloatArray:
    """Log A0 of Fader & Hardie (note 027, eq. 3-4); -inf where t_x == T."""
    r, alpha, s, beta = p
    k = r + s + x
    if alpha >= beta:
        base, other = alpha, s + 1.0
        diff = alpha - beta
    else:
        base, other = beta, r + x
        diff = beta - alpha

    def term(y: FloatArray) -> FloatArray:
        z = diff / (base + y)
        return np.asarray(log_hyp2f1(k, other, k + 1.0, z) - k * np.log(base + y), dtype=np.float64)

    out = logdiffexp(term(tx), term(T))
    # scipy's 2F1 gives NaN for large r + x with an argument near 1 (x in the hundreds);
    # there the integral A0 stands for is evaluated by quadrature instead.
    bad = ~np.isfinite(out) & (tx < T)
    if bad.any():
        out = out.copy()
        out[bad] = np.log(k[bad] if np.ndim(k) else k) + _log_integral(
            p, np.broadcast_to(x, out.shape)[bad], tx[bad], T[bad]
        )
    return out


_NODES, _WEIGHTS = np.polynomial.legendre.leggauss(64)
_U = (_NODES + 1.0) / 2.0
_LOG_W = np.log(_WEIGHTS / 2.0)


def _log_integral(p: FloatArray, x: FloatArray, tx: FloatArray, T: FloatArray) -> FloatArray:
    """Log of the integral over tau in (t_x, T] of (alpha+tau)^-(r+x) (beta+tau)^-(s+1).

    In y = log((alpha+tau)/(alpha+t_x)) the integrand is e^(-q y) times a smooth factor
    (q = r + x - 1); for large q it is negligible (below e^-60 of its peak) beyond
    y = 60/q, so a 64-point Gauss-Legendre rule on [0, min(Y, 60/q)] is accurate to
    machine precision.
    """
    from scipy.special import logsumexp

    r, alpha, s, beta = p
    q = r + x - 1.0
    big_y = np.log((alpha + T) / (alpha + tx))
    length = np.where(q > 0, np.minimum(big_y, 60.0 / np.maximum(q, 1e-300)), big_y)
    y = length[:, None] * _U
    tau = (alpha + tx)[:, None] * np.exp(y) - alpha
    log_f = -q[:, None] * y - (s + 1.0) * np.log(beta + tau)
    lead = (1.0 - (r + x)) * np.log(alpha + tx)
    return np.asarray(lead + np.log(length) + logsumexp(log_f + _LOG_W, axis=1), dtype=np.float64)


def _log_odds_dead(p: FloatArray, x: FloatArray, tx: FloatArray, T: FloatArray) -> FloatArray:
    """Log of the second likelihood term over the first: P(alive) = 1 / (1 + exp(this))."""
    r, alpha, s, beta = p
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.asarray(
            np.log(s)
            - np.log(r + s + x)
            + (r + x) * np.log(alpha + T)
            + s * np.log(beta + T)
            + _log_a0(p, x, tx, T),
            dtype=np.float64,
        )


def _pnbd_loglik(p: FloatArray, x: FloatArray, tx: FloatArray, T: FloatArray) -> FloatArray:
    r, alpha, s, beta = p
    with np.errstate(divide="ignore", invalid="ignore"):
        first = -(r + x) * np.log(alpha + T) - s * np.log(beta + T)
        second = np.log(s) - np.log(r + s + x) + _log_a0(p, x, tx, T)
        return np.asarray(
            gammaln(r + x)
            - gammaln(r)
            + r * np.log(alpha)
            + s * np.log(beta)
            + np.logaddexp(first, second),
            dtype=np.float64,
        )


@attrs.frozen
class ParetoNBDModel(Spec):
    """Pareto/NBD options; :meth:`fit` returns a :class:`ParetoNBDFit`.

    Attributes:
        penalizer: L2 penalty on the parameters (0 = plain maximum likelihood).
        time_unit: The unit of ``recency`` and ``T`` in the data.

    Examples:
        >>> from crmkit.datasets import transactions
        >>> from crmkit.segmentation import btyd_summary
        >>> summary = btyd_summary(transactions(500, seed=1), freq="W")
        >>> fit = ParetoNBDModel(time_unit="weeks").fit(summary)
        >>> sorted(fit.params), fit.converged
        (['alpha', 'beta', 'r', 's'], True)
    """

    penalizer: float = field(default=0.0, validator=number(min=0))
    time_unit: str = field(default="days", validator=one_of(tuple(TIME_UNITS)))

    def fit(
        self,
        data: Any,
        *,
        frequency: str = "frequency",
        recency: str = "recency",
        T: str = "T",
        weights: str | None = None,
    ) -> ParetoNBDFit:
        """Fit by maximum likelihood; identical rows are evaluated once.

        Arguments and errors as :meth:`BetaGeoModel.fit`.

        Examples:
            >>> import pandas as pd
            >>> ParetoNBDModel().fit(pd.DataFrame({"frequency": [1, 2], "recency": [5.0, 9.0],
            ...                                    "T": [4.0, 10.0]}))
            Traceback (most recent call last):
            ...
            crmkit.errors.InvalidInputError: ParetoNBDModel.fit(): column 'T' must be at least recency; found 1 smaller values at rows [0].
        """
        owner = "ParetoNBDModel.fit()"
        cols = read_columns(
            data,
            owner,
            [frequency, recency, T],
            weights=weights,
            nonnegative=[frequency, recency],
            integral=[frequency],
        )
        x, tx, TT = cols.arrays
        check_customers(owner, cols.labels, x, tx, TT, (frequency, recency, T))
        refuse_rows(cols.labels, TT <= 0, owner, T, "greater than 0", "zero observation times")
        _check_identifiable(owner, x, cols.weights, frequency)
        (x, tx, TT), w = compress((x, tx, TT), cols.weights)
        scale = float(TT.max())
        txs, Ts = tx / scale, TT / scale

        def loglik(theta: FloatArray) -> FloatArray:
            return _pnbd_loglik(theta, x, txs, Ts)

        best = maximise(
            owner,
            ParetoNBDFit.PARAMS,
            loglik,
            w,
            (1.0, 1.0, 1.0, 1.0),
            penalizer=self.penalizer,
            gradient=numeric_gradient(loglik, w),
        )
        return _rescaled(best, ParetoNBDFit, self.time_unit, scale, x, tx, TT, w)  # type: ignore[no-any-return]


@attrs.frozen
class ParetoNBDFit(_CountFit):
    """A fitted Pareto/NBD model: ``r``, ``alpha`` (purchases), ``s``, ``beta`` (lifetimes).

    Examples:
        >>> fit = ParetoNBDFit(params={"r": 0.553, "alpha": 10.578, "s": 0.606,
        ...                            "beta": 11.669}, time_unit="weeks")
        >>> round(fit.expected_population_purchases(1.0), 3)  # R BTYD pnbd.Expectation
        0.051
        >>> ParetoNBDFit.from_dict(fit.to_dict()) == fit
        True
    """

    PARAMS: ClassVar[tuple[str, ...]] = ("r", "alpha", "s", "beta")
    SCALE_PARAMS: ClassVar[tuple[str, ...]] = ("alpha", "beta")

    def _loglik(self, x: FloatArray, tx: FloatArray, T: FloatArray) -> FloatArray:
        return _pnbd_loglik(np.array(self._p()), x, tx, T)

    def _alive(self, x: FloatArray, tx: FloatArray, T: FloatArray, t: FloatArray) -> FloatArray:
        _, _, s, beta = self._p()
        now = expit(-_log_odds_dead(np.array(self._p()), x, tx, T))
        # Given alive at T, mu ~ Gamma(s, beta + T): alive t later with
        # probability ((beta + T) / (beta + T + t))^s.
        later = np.exp(-s * np.log1p(t / (beta + T)))
        return np.asarray(now * later, dtype=np.float64)

    def _expected(self, t: FloatArray, x: FloatArray, tx: FloatArray, T: FloatArray) -> FloatArray:
        r, alpha, s, beta = self._p()
        alive = expit(-_log_odds_dead(np.array(self._p()), x, tx, T))
        rate = (r + x) / (alpha + T) * (beta + T)
        return np.asarray(
            rate * expm1_ratio(s - 1.0, np.log1p(t / (beta + T))) * alive, dtype=np.float64
        )

    def _population(self, t: FloatArray) -> FloatArray:
        r, alpha, s, beta = self._p()
        return np.asarray(
            r / alpha * beta * expm1_ratio(s - 1.0, np.log1p(t / beta)), dtype=np.float64
        )
