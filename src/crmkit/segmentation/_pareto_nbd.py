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
from crmkit.segmentation._model import (
    TIME_UNITS,
    FloatArray,
    Objective,
    _CountFit,
    distinct_rows,
    expm1_ratio,
    fit_model,
    log_hyp2f1,
    logdiffexp,
    read_counts,
    time_scale,
    wsum,
)

__all__ = ["ParetoNBDFit", "ParetoNBDModel"]


def _log_a0_hyp2f1(p: FloatArray, x: FloatArray, tx: FloatArray, T: FloatArray) -> FloatArray:
    """Log A0 of Fader & Hardie (note 027, eq. 3-4) through 2F1; -inf where t_x == T.

    The reference form that the tests compare the quadrature of :func:`_parts` with.
    """
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
    """Log of the integral A0 stands for, by a 64-point rule (fallback of the 2F1 form)."""
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


#: Gauss-Legendre rule of the likelihood's integral term (24 points: 1e-12 relative).
_QN, _QW = np.polynomial.legendre.leggauss(24)
_QU = (_QN + 1.0) / 2.0
_QLOG_W = np.log(_QW / 2.0)
#: The integrand is cut where it has fallen below e^-32 of its peak.
_CUT = 32.0
#: Rows per block, so that (rows x nodes) work arrays stay small at a million customers.
_BLOCK = 65_536


class _Parts:
    """Per-row pieces of the Pareto/NBD likelihood (and, on request, of its gradient)."""

    def __init__(self, ll: FloatArray, log_odds: FloatArray, grad: FloatArray | None) -> None:
        self.ll = ll
        self.log_odds = log_odds  # P(alive) = 1 / (1 + exp(log_odds))
        self.grad = grad


def _parts(
    p: FloatArray, x: FloatArray, tx: FloatArray, T: FloatArray, *, grad: bool = False
) -> _Parts:
    """The log-likelihood with the dropout term as the integral it is (no 2F1).

    L = G(r+x) a^r b^s / G(r) [ (a+T)^-(r+x) (b+T)^-s
                               + s * int_{t_x}^{T} (a+t)^-(r+x) (b+t)^-(s+1) dt ]

    (Fader & Hardie, note 009). In y = log((c+t)/(c+t_x)), c = min(a, b), both factors
    are smooth on a scale of at least 1 and the integrand falls at least as e^(-rate y)
    (see :func:`_parts_block`), negligible beyond y = 32/rate; a 24-point Gauss-Legendre
    rule on what is left matches the 2F1 form (and adaptive quadrature) to about 1e-12,
    whichever of a and b is the larger, and stays finite for any frequency.
    Differentiating under the integral gives the gradient from the same nodes.
    """
    x, tx, T = (np.asarray(v, dtype=np.float64).ravel() for v in (x, tx, T))
    n = x.size
    ll = np.empty(n)
    odds = np.empty(n)
    gradient = np.empty((n, 4)) if grad else None
    for start in range(0, n, _BLOCK):
        block = slice(start, min(n, start + _BLOCK))
        out = _parts_block(p, x[block], tx[block], T[block], grad)
        ll[block] = out[0]
        odds[block] = out[1]
        if gradient is not None:
            gradient[block] = out[2]
    return _Parts(ll, odds, gradient)


def _row_logsumexp(values: FloatArray) -> FloatArray:
    """``log(sum(exp(values), axis=1))`` by the row maximum (scipy's general one is 2x slower).

    Every row here has a finite maximum (the first node is finite), -inf only where the
    whole row is (then the result is -inf).
    """
    top = values.max(axis=1)
    shift = np.where(np.isfinite(top), top, 0.0)
    with np.errstate(divide="ignore"):
        return np.asarray(
            np.log(np.exp(values - shift[:, None]).sum(axis=1)) + shift, dtype=np.float64
        )


def _parts_block(
    p: FloatArray, x: FloatArray, tx: FloatArray, T: FloatArray, grad: bool
) -> tuple[FloatArray, FloatArray, FloatArray | None]:
    from scipy.special import digamma

    r, alpha, s, beta = p
    m = r + x
    la_T = np.log(alpha + T)
    lb_T = np.log(beta + T)
    log_e1 = -m * la_T - s * lb_T
    # The variable is y = log((c + tau) / (c + t_x)) with c the smaller of alpha and
    # beta, so that neither factor has a pole closer to t_x than c does: with c = alpha
    # and beta << alpha + t_x, (beta + tau)^-(s+1) fell by orders of magnitude within a
    # sliver of y next to t_x that 24 nodes could not see (P(alive) off by 2e-4 relative
    # at beta = alpha / 28). In y the log-integrand is y - m log(alpha + tau) - (s + 1)
    # log(beta + tau); its slope is at most -rate (below), so past y = _CUT / rate the
    # integrand is under e^-_CUT of its value at y = 0.
    c = min(alpha, beta)
    lc_tx = np.log(c + tx)
    big_y = np.log(c + T) - lc_tx
    rate = (c + tx) * (m / (alpha + tx) + (s + 1.0) / (beta + tx)) - 1.0
    with np.errstate(divide="ignore", invalid="ignore"):
        length = np.where(rate > 0, np.minimum(big_y, _CUT / np.maximum(rate, 1e-300)), big_y)
        y = length[:, None] * _QU
        c_tau = (c + tx)[:, None] * np.exp(y)  # c + tau at the nodes
        a_tau = c_tau + (alpha - c)  # alpha + tau
        b_tau = c_tau + (beta - c)  # beta + tau
        la_tau = np.log(a_tau)
        lb_tau = np.log(b_tau)
        log_f = y - m[:, None] * la_tau - (s + 1.0) * lb_tau + _QLOG_W
        log_sum = _row_logsumexp(log_f)
        log_int = lc_tx + np.log(length) + log_sum  # -inf where t_x == T
        log_si = np.log(s) + log_int
    top = np.logaddexp(log_e1, log_si)
    ll = gammaln(m) - gammaln(r) + r * np.log(alpha) + s * np.log(beta) + top
    log_odds = log_si - log_e1
    if not grad:
        return ll, log_odds, None
    w1 = np.exp(log_e1 - top)
    w2 = np.exp(log_si - top)
    with np.errstate(invalid="ignore"):
        pi = np.exp(log_f - log_sum[:, None])
        pi = np.where(np.isfinite(pi), pi, 0.0)
    mean_la = (pi * la_tau).sum(axis=1)  # <log(alpha + tau)>
    mean_inv_a = (pi / a_tau).sum(axis=1)
    mean_lb = (pi * lb_tau).sum(axis=1)
    mean_inv_b = (pi / b_tau).sum(axis=1)
    d_r = digamma(m) - digamma(r) + np.log(alpha) - w1 * la_T - w2 * mean_la
    d_alpha = r / alpha - m * (w1 / (alpha + T) + w2 * mean_inv_a)
    d_s = np.log(beta) - w1 * lb_T + w2 * (1.0 / s - mean_lb)
    d_beta = s / beta - w1 * s / (beta + T) - w2 * (s + 1.0) * mean_inv_b
    return ll, log_odds, np.column_stack([d_r, d_alpha, d_s, d_beta])


def _log_odds_dead(p: FloatArray, x: FloatArray, tx: FloatArray, T: FloatArray) -> FloatArray:
    """Log of the second likelihood term over the first: P(alive) = 1 / (1 + exp(this)).

    Large inputs are evaluated once per distinct (x, t_x, T) row and gathered back: a
    customer base repeats rows a lot, and each row costs a 24-node quadrature.
    """
    shape = np.broadcast(x, tx, T).shape
    x, tx, T = (
        np.ascontiguousarray(v, dtype=np.float64).ravel() for v in np.broadcast_arrays(x, tx, T)
    )
    if x.size > 50_000:
        (ux, utx, uT), inverse = distinct_rows((x, tx, T))
        return np.asarray(_parts(p, ux, utx, uT).log_odds[inverse].reshape(shape))
    return _parts(p, x, tx, T).log_odds.reshape(shape)


def _pnbd_loglik(p: FloatArray, x: FloatArray, tx: FloatArray, T: FloatArray) -> FloatArray:
    shape = np.broadcast(x, tx, T).shape
    x, tx, T = np.broadcast_arrays(x, tx, T)
    return _parts(p, x, tx, T).ll.reshape(shape)


def _objective(rows: tuple[FloatArray, ...], weights: FloatArray) -> Objective:
    """The Pareto/NBD likelihood of (x, t_x, T) rows with its gradient (for the driver)."""
    x, tx, T = rows
    share = weights / weights.sum()

    def value_and_gradient(theta: FloatArray) -> tuple[float, FloatArray]:
        parts = _parts(theta, x, tx, T, grad=True)
        assert parts.grad is not None
        return wsum(share, parts.ll), np.asarray(
            (share[:, None] * parts.grad).sum(axis=0), dtype=np.float64
        )

    return Objective(lambda theta: _parts(theta, x, tx, T).ll, value_and_gradient)


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
        values, w = read_counts(
            data, owner, frequency=frequency, recency=recency, T=T, weights=weights,
            positive_recency=False,
        )  # fmt: skip

        return fit_model(
            owner, ParetoNBDFit, values, w, _objective, penalizer=self.penalizer,
            time_unit=self.time_unit, scale=time_scale, scaled=(1, 2),
        )  # fmt: skip


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
    #: One purchase rate for all (r, alpha -> inf) or one dropout rate (s, beta -> inf).
    LIMITS: ClassVar[tuple[tuple[str, str], ...]] = (("r", "alpha"), ("s", "beta"))

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

    def _columns(
        self, t: float, x: FloatArray, tx: FloatArray, T: FloatArray
    ) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
        """The predict columns from two quadratures per distinct (x, t_x, T) row.

        The likelihood at T gives P(alive) (its two terms' ratio) and, with the
        likelihood at T + t, P(no purchase in t); E[X(t)] and P(alive at t) follow in
        closed form.
        """
        p = np.array(self._p())
        r, alpha, s, beta = self._p()
        if x.size > 20_000:
            (ux, utx, uT), inverse = distinct_rows((x, tx, T))
        else:
            (ux, utx, uT), inverse = (x, tx, T), None
        at_T = _parts(p, ux, utx, uT)
        later_T = _parts(p, ux, utx, uT + t)
        now = expit(-at_T.log_odds)
        horizon = np.log1p(t / (beta + uT))
        rate = (r + ux) / (alpha + uT) * (beta + uT)
        out = (
            rate * expm1_ratio(s - 1.0, horizon) * now,
            now,
            now * np.exp(-s * horizon),
            np.exp(later_T.ll - at_T.ll),
        )
        if inverse is None:
            return out
        return out[0][inverse], out[1][inverse], out[2][inverse], out[3][inverse]

    def _population(self, t: FloatArray) -> FloatArray:
        r, alpha, s, beta = self._p()
        return np.asarray(
            r / alpha * beta * expm1_ratio(s - 1.0, np.log1p(t / beta)), dtype=np.float64
        )
