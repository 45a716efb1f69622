"""BG/NBD and MBG/NBD: non-contractual, continuous-time purchase and dropout models.

BG/NBD (Fader, Hardie & Lee 2005, "Counting your customers the easy way"): while alive a
customer buys as a Poisson process with rate ``lambda ~ Gamma(r, alpha)``; after each
purchase the customer drops out with probability ``p ~ Beta(a, b)``. A customer with no
repeat purchase can therefore never have dropped out: BG/NBD's P(alive) is exactly 1 for
one-time buyers (Hardie note 021).

MBG/NBD (Batislam, Denizel & Filiztekin 2007) lets the customer drop out at time zero
too, so one-time buyers get P(alive) < 1. Prefer it (or Pareto/NBD) when P(alive) drives
decisions.

Everything is computed in log space (``gammaln``, ``logaddexp``, a stable ``2F1``), so
frequencies in the thousands neither overflow nor give NaN.

Examples:
    >>> from crmkit.datasets import transactions
    >>> from crmkit.segmentation import BetaGeoModel, btyd_summary
    >>> summary = btyd_summary(transactions(1000, seed=2), freq="W")
    >>> fit = BetaGeoModel(time_unit="weeks").fit(summary)
    >>> fit.predict(summary, t=13).columns.tolist()
    ['expected_purchases', 'p_alive', 'p_alive_at_t', 'p_no_purchase']

    On the CDNOW sample (``tests/segmentation/test_clv_reference.py``) the fit gives Fader,
    Hardie & Lee's r = 0.243, alpha = 4.414, a = 0.793, b = 2.426, log-likelihood -9582.4.
"""

from __future__ import annotations

from typing import Any, ClassVar

import attrs
import numpy as np
from scipy.special import digamma, gammaln

from crmkit._spec import Spec, field, number, one_of
from crmkit.segmentation._model import (
    _TRUSTED,
    TIME_UNITS,
    FloatArray,
    Objective,
    _CountFit,
    fit_model,
    log_beta,
    log_hyp2f1,
    logit_integral,
    on_distinct,
    read_counts,
    time_scale,
    wsum,
)

__all__ = ["BetaGeoFit", "BetaGeoModel", "ModifiedBetaGeoFit", "ModifiedBetaGeoModel"]


def _nudge(a: float) -> float:
    # The closed forms divide by (a - 1); at a == 1 exactly they are a 0/0 limit. A
    # relative nudge of 1e-9 changes results far below any reported precision.
    return a + 1e-9 if abs(a - 1.0) < 1e-9 else a


#: The closed form of E[X(t)] is (a+b+x-1+s)/(a-1) * (1 - tail), and ``1 - tail``
#: cancels: its relative error is the tail's times ``tail / |1 - tail|`` (a ~ 1, or b
#: much larger than the purchases: p ~ Beta(a, b) is tiny and the prefactor huge). With
#: scipy's 2F1 at moderate parameters the tail is good to ~1e-16 and a ratio of 1e-4
#: still leaves 1e-12; the large-parameter (log-space) tail is good to ~1e-8 only, so
#: there the ratio must be large (a tail under 1 %) for the closed form to be used. Below
#: these ratios the Beta expectation is integrated directly (:func:`_mean_given_alive`).
_CANCELLED = 1e-4
_CANCELLED_LARGE = 1e2
#: The quadrature's own error grows with ``a`` (the log-integrand's magnitude, ~a eps
#: log p: 1e-11 at a = 1e3, 1e-8 at a = 1e6, where the Beta is so peaked that the
#: closed form is the better one): above this ``a`` it only replaces a closed form that
#: failed outright (not finite, or outside (0, k w]).
_QUADRATURE_MAX_A = 1e3


def _mean_given_alive(k: FloatArray, w: FloatArray, a: float, bb: FloatArray) -> FloatArray:
    """``E[(1 - (1 + p w)^-k) / p]`` for ``p ~ Beta(a, bb)``, by quadrature (no cancellation).

    Given alive, the purchase rate ``lambda ~ Gamma(k, .)`` and the dropout probability
    ``p ~ Beta(a, bb)``, a customer buys ``(1 - exp(-lambda p t)) / p`` times on average
    in the next ``t``; averaged over lambda that is the integrand, with ``w = t / (alpha
    + T)``. The integrand is bounded by ``k w`` and smooth, so the mean is computed as it
    stands: in ``u = logit(p)`` the log-integrand
    ``(a-1) log p + bb log(1-p) + log(1 - exp(-k log1p(p w)))`` is single-peaked (the
    Beta part is concave in u and the purchase part's elasticity falls with p), which is
    what :func:`~crmkit.segmentation._model.logit_integral` needs. Nothing divides by
    ``a - 1`` and nothing subtracts: relative error about 1e-10 at any ``a``, ``b``.
    """
    from scipy.special import expit, log_expit

    k, w, bb = (np.asarray(v, dtype=np.float64).ravel() for v in np.broadcast_arrays(k, w, bb))

    def pieces(u: FloatArray, nodes: bool) -> tuple[FloatArray, ...]:
        kk, ww, bq = (v[:, None] for v in (k, w, bb)) if nodes else (k, w, bb)
        lp, lq = log_expit(u), log_expit(-u)
        y = ww * np.exp(lp)
        # log1p(y) / y and (1 - e^-q) / q (q = k log1p(y)) by their series where tiny, so
        # that an underflowing p gives log(k w p), not log(0).
        r1 = np.where(y < 1e-8, 1.0 - y / 2.0, np.log1p(y) / np.where(y > 0, y, 1.0))
        q = kk * y * r1
        r2 = np.where(q < 1e-8, 1.0 - q / 2.0, -np.expm1(-q) / np.where(q > 0, q, 1.0))
        r3 = np.where(q < 1e-8, 1.0 + q / 2.0, np.expm1(q) / np.where(q > 0, q, 1.0))
        return kk, ww, bq, lp, lq, y, r1, r2, r3

    def ell(u: FloatArray, nodes: bool = False) -> FloatArray:
        kk, ww, bq, lp, lq, _, r1, r2, _ = pieces(u, nodes)
        return np.asarray(
            a * lp + bq * lq + np.log(kk * ww) + np.log(r1) + np.log(r2), dtype=np.float64
        )

    def slope(u: FloatArray) -> FloatArray:
        _, _, bq, _, _, y, r1, _, r3 = pieces(u, False)
        s = expit(u)
        return np.asarray((a - 1.0) * (1.0 - s) - bq * s + (1.0 - s) / ((1.0 + y) * r1 * r3))

    # Each tail decays as e^(a u) (left) or e^(-bb u) (right): search far enough for e^-60.
    spans = (1000.0 + np.full(k.shape, 120.0 / a), 1000.0 + 120.0 / bb)
    with np.errstate(all="ignore"):
        log_mean = logit_integral(ell, slope, k.size, spans=spans) - log_beta(a, bb)
    return np.asarray(np.exp(log_mean), dtype=np.float64)


# ------------------------------------------------------------------------- likelihoods
class _XGroups:
    """Distinct values of the columns and each row's position among them.

    The gamma-function terms of the likelihood depend on the frequency only, and a
    customer base has a few hundred distinct frequencies at most: they are evaluated once
    per distinct value and gathered. Recency and T in whole periods (days, weeks) also
    take few distinct values, so ``log(alpha + T)`` is computed per distinct value too
    when that saves work.
    """

    def __init__(
        self, x: FloatArray, tx: FloatArray | None = None, T: FloatArray | None = None
    ) -> None:
        self.values, self.index = np.unique(x, return_inverse=True)
        self.tx = _Distinct(tx) if tx is not None else None
        self.T = _Distinct(T) if T is not None else None


class _Distinct:
    """A column's distinct values and row positions, when there are few enough to pay off."""

    def __init__(self, column: FloatArray) -> None:
        values, index = np.unique(column, return_inverse=True)
        self.useful = values.size * 4 < column.size
        self.values, self.index, self.column = values, index, column

    def log_plus(self, alpha: float) -> FloatArray:
        """``log(alpha + column)``, per distinct value when that is cheaper."""
        if self.useful:
            return np.asarray(np.log(alpha + self.values)[self.index], dtype=np.float64)
        return np.asarray(np.log(alpha + self.column), dtype=np.float64)


def _log_plus(alpha: float, column: FloatArray, distinct: _Distinct | None) -> FloatArray:
    if distinct is not None:
        return distinct.log_plus(alpha)
    return np.asarray(np.log(alpha + column), dtype=np.float64)


def _bg_terms(  # noqa: PLR0917 - private helper over parallel arrays
    p: FloatArray,
    x: FloatArray,
    tx: FloatArray,
    T: FloatArray,
    modified: bool,
    groups: _XGroups | None = None,
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray, FloatArray]:
    """(A1 + A2, A3, A4, log(alpha+T), log(alpha+t_x)) of the (M)BG/NBD log-likelihood.

    A4 is -inf where it is absent (BG/NBD, x = 0).
    """
    r, alpha, a, b = p
    shift = 1.0 if modified else 0.0
    ux = x if groups is None else groups.values
    with np.errstate(divide="ignore", invalid="ignore"):
        base = (
            gammaln(r + ux)
            - gammaln(r)
            + r * np.log(alpha)
            + gammaln(a + b)
            + gammaln(b + ux + shift)
            - gammaln(b)
            - gammaln(a + b + ux + shift)
        )
        log_b = np.log(b + ux - 1.0 + shift)
    if groups is not None:
        base = base[groups.index]
        log_b = log_b[groups.index]
    la_T = _log_plus(alpha, T, None if groups is None else groups.T)
    la_tx = _log_plus(alpha, tx, None if groups is None else groups.tx)
    rx = r + x
    a3 = -rx * la_T
    a4 = np.log(a) - log_b - rx * la_tx
    if not modified:
        a4 = np.where(x > 0, a4, -np.inf)
    return base, a3, a4, la_T, la_tx


def _bg_loglik(  # noqa: PLR0917 - private helper over parallel arrays
    p: FloatArray,
    x: FloatArray,
    tx: FloatArray,
    T: FloatArray,
    modified: bool,
    groups: _XGroups | None = None,
) -> FloatArray:
    base, a3, a4, _, _ = _bg_terms(p, x, tx, T, modified, groups)
    return np.asarray(base + np.logaddexp(a3, a4), dtype=np.float64)


def _bg_value_and_gradient(  # noqa: PLR0917 - private helper over parallel arrays
    p: FloatArray,
    x: FloatArray,
    tx: FloatArray,
    T: FloatArray,
    share: FloatArray,
    modified: bool,
    groups: _XGroups,
) -> tuple[float, FloatArray]:
    """Weighted-mean (M)BG/NBD log-likelihood and its gradient in (r, alpha, a, b)."""
    r, alpha, a, b = p
    shift = 1.0 if modified else 0.0
    base, a3, a4, la_T, la_tx = _bg_terms(p, x, tx, T, modified, groups)
    top = np.logaddexp(a3, a4)
    value = float(wsum(share, base + top))
    # Clipping at e^-700 keeps the weights out of subnormal floats, whose arithmetic is
    # a hundred times slower; weights that small contribute nothing anyway.
    w3 = np.exp(np.maximum(a3 - top, -700.0))
    w4 = np.where(np.isfinite(a4), np.exp(np.maximum(a4 - top, -700.0)), 0.0)
    ux, xi = groups.values, groups.index
    psi_rx = digamma(r + ux)[xi]
    psi_bx = digamma(b + ux + shift)[xi]
    psi_abx = digamma(a + b + ux + shift)[xi]
    d_r = psi_rx - digamma(r) + np.log(alpha) - w3 * la_T - w4 * la_tx
    d_alpha = r / alpha - (r + x) * (w3 / (alpha + T) + w4 / (alpha + tx))
    psi_ab = digamma(a + b)
    d_a = psi_ab - psi_abx + w4 / a
    with np.errstate(divide="ignore", invalid="ignore"):
        inv = np.where(w4 > 0, w4 / (b + x - 1.0 + shift), 0.0)
    d_b = psi_ab + psi_bx - digamma(b) - psi_abx - inv
    return value, np.array(
        [wsum(share, d_r), wsum(share, d_alpha), wsum(share, d_a), wsum(share, d_b)]
    )


# -------------------------------------------------------------------------- the models
def _fit_counts(
    model: Any, data: Any, owner: str, columns: dict[str, Any], fitted_cls: type[Any]
) -> Any:
    """Fit BG/NBD (or MBG/NBD when ``fitted_cls._MODIFIED``) through the one driver."""
    values, w = read_counts(data, owner, positive_recency=True, **columns)
    modified = bool(fitted_cls._MODIFIED)

    def objective(rows: tuple[FloatArray, ...], weights: FloatArray) -> Objective:
        x, tx, T = rows
        groups = _XGroups(x, tx, T)
        share = weights / weights.sum()
        return Objective(
            lambda theta: _bg_loglik(theta, x, tx, T, modified, groups),
            lambda theta: _bg_value_and_gradient(theta, x, tx, T, share, modified, groups),
        )

    return fit_model(
        owner, fitted_cls, values, w, objective, penalizer=model.penalizer,
        time_unit=model.time_unit, scale=time_scale, scaled=(1, 2),
    )  # fmt: skip


@attrs.frozen
class BetaGeoModel(Spec):
    """BG/NBD options; :meth:`fit` returns a :class:`BetaGeoFit`.

    Attributes:
        penalizer: L2 penalty on the parameters (0 = plain maximum likelihood); a small
            value such as 0.001 stabilises fits on sparse data, as in lifetimes.
        time_unit: The unit of ``recency`` and ``T`` in the data (``"days"``,
            ``"weeks"``, ...); stated by every prediction and used for CLV horizons.

    Examples:
        >>> import pandas as pd
        >>> from crmkit.datasets import transactions
        >>> from crmkit.segmentation import btyd_summary
        >>> summary = btyd_summary(transactions(500, seed=1), freq="W")
        >>> fit = BetaGeoModel(time_unit="weeks").fit(summary)
        >>> sorted(fit.params), fit.time_unit, fit.converged
        (['a', 'alpha', 'b', 'r'], 'weeks', True)
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
    ) -> BetaGeoFit:
        """Fit by maximum likelihood; identical rows are evaluated once.

        Args:
            data: One row per customer (or per group of identical customers with a
                ``weights`` column), e.g. from :func:`~crmkit.segmentation.btyd_summary`.
            frequency: Column of repeat purchases (whole numbers).
            recency: Column of first-to-last purchase time, in :attr:`time_unit`.
            T: Column of first-purchase-to-end time, in :attr:`time_unit`.
            weights: Optional column of customer counts per row.

        Returns:
            A new :class:`BetaGeoFit`.

        Raises:
            SchemaError: A missing or non-numeric column.
            InvalidInputError: Impossible rows (recency > T, negative values), fewer
                than 2 customers, or only one-time buyers.
            NotFittedError: The optimiser did not converge to an interior maximum.

        Examples:
            >>> import pandas as pd
            >>> summary = pd.DataFrame({"frequency": [0, 0], "recency": [0.0, 0.0],
            ...                         "T": [10.0, 12.0]})
            >>> BetaGeoModel().fit(summary)
            Traceback (most recent call last):
            ...
            crmkit.errors.InvalidInputError: BetaGeoModel.fit(): column 'frequency' must be at least one customer with a repeat purchase; found only one-time buyers. With no repeat purchase the purchase rate and the dropout cannot be told apart; collect a longer history.
        """
        columns = {"frequency": frequency, "recency": recency, "T": T, "weights": weights}
        return _fit_counts(self, data, "BetaGeoModel.fit()", columns, BetaGeoFit)  # type: ignore[no-any-return]


@attrs.frozen
class BetaGeoFit(_CountFit):
    """A fitted BG/NBD model: parameters ``r``, ``alpha``, ``a``, ``b`` and predictions.

    Build one from :meth:`BetaGeoModel.fit`, from stored JSON with :meth:`from_dict`, or
    from published parameters (``info`` is then None).

    Examples:
        >>> fit = BetaGeoFit(params={"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426},
        ...                  time_unit="weeks")
        >>> round(fit.probability_alive(frequency=2, recency=30.43, T=38.86), 4)
        0.7266
        >>> fit.probability_alive(frequency=0, recency=0, T=38.86)  # BG/NBD's known weakness
        1.0
        >>> BetaGeoFit.from_dict(fit.to_dict()) == fit
        True
    """

    PARAMS: ClassVar[tuple[str, ...]] = ("r", "alpha", "a", "b")
    SCALE_PARAMS: ClassVar[tuple[str, ...]] = ("alpha",)  # the time scale
    #: One purchase rate for all (r, alpha -> inf) or one dropout probability (a, b -> inf).
    LIMITS: ClassVar[tuple[tuple[str, str], ...]] = (("r", "alpha"), ("a", "b"))
    _MODIFIED: ClassVar[bool] = False

    def _loglik(self, x: FloatArray, tx: FloatArray, T: FloatArray) -> FloatArray:
        return _bg_loglik(np.array(self._p()), x, tx, T, self._MODIFIED)

    def _alive_now_log_odds(self, x: FloatArray, tx: FloatArray, T: FloatArray) -> FloatArray:
        """Log of the odds term: P(alive) = 1 / (1 + exp(this))."""
        r, alpha, a, b = self._p()
        shift = 1.0 if self._MODIFIED else 0.0
        with np.errstate(divide="ignore", invalid="ignore"):
            odds = (
                np.log(a)
                - np.log(b + x - 1.0 + shift)
                + (r + x) * (np.log(alpha + T) - np.log(alpha + tx))
            )
        if not self._MODIFIED:
            odds = np.where(x > 0, odds, -np.inf)
        return np.asarray(odds, dtype=np.float64)

    def _later(self, x: FloatArray, T: FloatArray, t: FloatArray) -> FloatArray:
        """P(alive at T + t | alive at T): survive the purchases made in (T, T + t].

        Given alive at T, lambda ~ Gamma(r + x, alpha + T) and p ~ Beta(a, b + x [+ 1]),
        so E[(1 - p)^N] = E[exp(-lambda p t)] = 2F1(r + x, a; a + b + x [+ 1];
        -t/(alpha + T)), written with Pfaff's transformation to an argument in [0, 1).
        """
        r, alpha, a, b = self._p()
        shift = 1.0 if self._MODIFIED else 0.0
        if not np.any(t > 0):
            return np.ones(np.broadcast(x, T, t).shape)
        z = t / (alpha + T + t)
        with np.errstate(divide="ignore", invalid="ignore"):
            log_later = a * np.log1p(-z) + log_hyp2f1(a, a + b + shift - r, a + b + x + shift, z)
        return np.asarray(np.where(t > 0, np.exp(log_later), 1.0), dtype=np.float64)

    def _alive(self, x: FloatArray, tx: FloatArray, T: FloatArray, t: FloatArray) -> FloatArray:
        from scipy.special import expit

        now = expit(-self._alive_now_log_odds(x, tx, T))
        if not np.any(t > 0):
            return np.asarray(now * self._later(x, T, t), dtype=np.float64)
        # The 2F1 depends on (x, T, t) only: evaluated once per distinct triple.
        return np.asarray(now * on_distinct(self._later, x, T, t), dtype=np.float64)

    def _tail(self, x: FloatArray, T: FloatArray, t: FloatArray) -> FloatArray:
        """((alpha+T)/(alpha+T+t))^(r+x) 2F1(r+x, b+x+s; a+b+x-1+s; z) of E[X(t)].

        Euler-transformed to (1-z)^(a-1) 2F1(a+b-1+s-r, a-1; a+b+x-1+s; z): no overflow
        at large x.
        """
        from scipy.special import hyp2f1

        r, alpha, a, b = self._p()
        a = _nudge(a)
        shift = 1.0 if self._MODIFIED else 0.0
        z = t / (alpha + T + t)
        top = a + b - 1.0 + shift - r
        if max(abs(top), abs(a - 1.0)) <= _TRUSTED:
            with np.errstate(all="ignore"):
                return np.asarray(
                    np.exp((a - 1.0) * np.log1p(-z))
                    * hyp2f1(top, a - 1.0, a + b + x - 1.0 + shift, z),
                    dtype=np.float64,
                )
        # Large a or b (a dropout probability with little heterogeneity): the power
        # underflows while the series overflows (NaN, or 0 where the answer is not). In log
        # space, in lifetimes' orientation, with log_hyp2f1 choosing the stable form. (A
        # huge r with a small a can still fail here: _given_alive then integrates.)
        with np.errstate(all="ignore"):
            log_tail = (r + x) * np.log1p(-z) + log_hyp2f1(
                r + x, b + x + shift, a + b + x - 1.0 + shift, z
            )
        return np.asarray(np.exp(log_tail), dtype=np.float64)

    def _given_alive(self, x: FloatArray, T: FloatArray, t: FloatArray) -> FloatArray:
        """E[X(T, T + t) | alive at T, x]: (a+b+x-1+s)/(a-1) (1 - tail), or its integral.

        Where the closed form cancels (``1 - tail`` a tiny share of ``tail``: ``a`` near
        1, or ``b`` far above the purchase counts) the same Beta expectation is
        integrated directly (:func:`_mean_given_alive`); a = 1, b = 1e7 gave 0 purchases
        here (and in lifetimes) where the right value is r t / alpha.
        """
        r, alpha, a, b = self._p()
        shift = 1.0 if self._MODIFIED else 0.0
        x, T, t = np.broadcast_arrays(*(np.asarray(v, dtype=np.float64) for v in (x, T, t)))
        with np.errstate(all="ignore"):
            tail = self._tail(x, T, t)
            one_minus = 1.0 - tail
            value = (a + b + x - 1.0 + shift) / (_nudge(a) - 1.0) * one_minus
            # A mean of (1 - (1 + p w)^-k) / p lies in (0, k w]: outside, the form failed.
            bound = (r + x) * t / (alpha + T)
            top = a + b - 1.0 + shift - r
            limit = _CANCELLED if max(abs(top), abs(a - 1.0)) <= _TRUSTED else _CANCELLED_LARGE
            cancelled = a <= _QUADRATURE_MAX_A and limit * np.abs(tail) > np.abs(one_minus)
            # E[(1 - (1 + p w)^-k) / p] = k w (1 - (k + 1) w E[p] / 2 + ...): at k w under
            # 1e-200 it is k w to the last bit (a horizon of 5e-324 made w underflow to 0
            # and the quadrature's log(k w) NaN).
            tiny = bound < 1e-200
            value = np.where(tiny, bound, value)
            bad = (
                (t > 0)
                & ~tiny
                & (
                    ~np.isfinite(value)
                    | cancelled
                    | (value <= 0.0)
                    | (value > bound * (1.0 + 1e-9))
                )
            )
        if bad.any():
            value = np.array(value, dtype=np.float64)
            value[bad] = _mean_given_alive(
                r + x[bad], t[bad] / (alpha + T[bad]), a, b + x[bad] + shift
            )
        return np.asarray(value, dtype=np.float64)

    def _expected_given(
        self, t: FloatArray, x: FloatArray, T: FloatArray, now: FloatArray
    ) -> FloatArray:
        """E[X(t) | x, t_x, T] from P(alive) ``now``: E[purchases | alive] * now."""
        with np.errstate(all="ignore"):
            value = on_distinct(self._given_alive, x, T, t) * now
        return np.asarray(np.where(t > 0, value, 0.0), dtype=np.float64)

    def _expected(self, t: FloatArray, x: FloatArray, tx: FloatArray, T: FloatArray) -> FloatArray:
        from scipy.special import expit

        return self._expected_given(t, x, T, expit(-self._alive_now_log_odds(x, tx, T)))

    def _columns(
        self, t: float, x: FloatArray, tx: FloatArray, T: FloatArray
    ) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
        """The predict columns sharing P(alive) now and the per-(x, T) terms.

        P(no purchase in t) = 1 - P(alive) (1 - ((alpha+T)/(alpha+T+t))^(r+x)): a dead
        customer buys nothing, a live one none with E[exp(-lambda t)] (the ratio of
        likelihoods of the base class, in closed form).
        """
        from scipy.special import expit

        now = expit(-self._alive_now_log_odds(x, tx, T))
        horizon = np.full_like(x, t)
        return (
            self._expected_given(horizon, x, T, now),
            now,
            now * on_distinct(self._later, x, T, t),
            self._no_purchase_given(horizon, x, T, now),
        )

    def _no_purchase_given(
        self, t: FloatArray, x: FloatArray, T: FloatArray, now: FloatArray
    ) -> FloatArray:
        """1 - P(alive) (1 - ((alpha+T)/(alpha+T+t))^(r+x)): the likelihood ratio, closed."""
        r, alpha, _, _ = self._p()
        return np.asarray(1.0 + now * np.expm1(-(r + x) * np.log1p(t / (alpha + T))))

    def _no_purchase(
        self, t: FloatArray, x: FloatArray, tx: FloatArray, T: FloatArray
    ) -> FloatArray:
        from scipy.special import expit

        return self._no_purchase_given(t, x, T, expit(-self._alive_now_log_odds(x, tx, T)))

    def _population(self, t: FloatArray) -> FloatArray:
        # A new customer is one with x = 0 observed for T = 0: the conditional expectation
        # there is E[X(t)] (for MBG/NBD it carries P(alive at 0) = b / (a + b)).
        zero = np.zeros_like(t)
        return self._expected(t, zero, zero, zero)


@attrs.frozen
class ModifiedBetaGeoModel(Spec):
    """MBG/NBD options; :meth:`fit` returns a :class:`ModifiedBetaGeoFit`.

    Same options as :class:`BetaGeoModel`. Unlike BG/NBD, a customer may drop out before
    any repeat purchase, so one-time buyers get a P(alive) below 1.

    Examples:
        >>> from crmkit.datasets import transactions
        >>> from crmkit.segmentation import btyd_summary
        >>> summary = btyd_summary(transactions(500, seed=1), freq="W")
        >>> fit = ModifiedBetaGeoModel(time_unit="weeks").fit(summary)
        >>> 0 < fit.probability_alive(0, 0, 52) < 1
        True
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
    ) -> ModifiedBetaGeoFit:
        """Fit by maximum likelihood; arguments and errors as :meth:`BetaGeoModel.fit`.

        Examples:
            >>> import pandas as pd
            >>> ModifiedBetaGeoModel().fit(pd.DataFrame({"frequency": [1], "recency": [2.0],
            ...                                          "T": [3.0]}))
            Traceback (most recent call last):
            ...
            crmkit.errors.InvalidInputError: ModifiedBetaGeoModel.fit(): 'data' must be at least 2 customers; found 1. A population model needs a population: fit it on all customers, then score one customer with the fitted model.
        """
        columns = {"frequency": frequency, "recency": recency, "T": T, "weights": weights}
        return _fit_counts(self, data, "ModifiedBetaGeoModel.fit()", columns, ModifiedBetaGeoFit)  # type: ignore[no-any-return]


@attrs.frozen
class ModifiedBetaGeoFit(BetaGeoFit):
    """A fitted MBG/NBD model (Batislam et al. 2007): ``r``, ``alpha``, ``a``, ``b``.

    Examples:
        >>> fit = ModifiedBetaGeoFit(params={"r": 0.525, "alpha": 6.183, "a": 0.891,
        ...                                  "b": 1.614}, time_unit="weeks")
        >>> round(fit.probability_alive(frequency=0, recency=0, T=38.86), 4)
        0.3897
    """

    _MODIFIED: ClassVar[bool] = True
