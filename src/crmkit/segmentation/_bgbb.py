"""BG/BB: non-contractual purchases in discrete time (Fader, Hardie & Shang 2010).

For events that happen at fixed opportunities: a yearly donation, an annual conference,
a seasonal sale. At each of ``n`` opportunities a live customer buys with probability
``p ~ Beta(alpha, beta)``; before each opportunity it may drop out for good with
probability ``theta ~ Beta(gamma, delta)``. The data per customer are ``frequency`` (the
number of opportunities with a purchase), ``recency`` (the opportunity of the last
purchase, 0 with none) and ``n`` (opportunities observed).

Examples:
    >>> from crmkit.segmentation import BetaGeoBetaBinomFit
    >>> fit = BetaGeoBetaBinomFit(params={"alpha": 1.204, "beta": 0.750, "gamma": 0.657,
    ...                                   "delta": 2.783}, time_unit="years")
    >>> round(fit.probability_alive(6, 6, 6, t=1), 2)  # FHS 2010, Table 6
    0.93
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

import attrs
import numpy as np
import pandas as pd
from scipy.special import gammaln

from crmkit._spec import Spec, field, number, one_of
from crmkit.errors import InvalidInputError
from crmkit.segmentation._model import (
    TIME_UNITS,
    FloatArray,
    Objective,
    _Fitted,
    aligned,
    as_arrays,
    fit_model,
    log_beta,
    logdiffexp,
    on_distinct,
    read_columns,
    refuse_rows,
    scalar_or_array,
    whole_numbers,
)

__all__ = ["BetaGeoBetaBinomFit", "BetaGeoBetaBinomModel"]


#: The most purchase opportunities BG/BB accepts (weekly for ~190 years): the likelihood
#: holds one column per opportunity after the last purchase.
_MAX_OPPORTUNITIES = 10_000


#: Cells (one per row and opportunity summed) evaluated at once by :func:`_plus_ranges`.
_CELLS = 1 << 21


def _ragged(starts: Any, counts: Any) -> tuple[Any, Any, Any]:
    """Lay the ranges ``starts[k] + 0..counts[k]-1`` end to end: (row, value, row's first).

    Examples:
        >>> import numpy as np
        >>> row, value, first = _ragged(np.array([3, 10]), np.array([2, 3]))
        >>> row.tolist(), value.tolist(), first.tolist()
        ([0, 0, 1, 1, 1], [3, 4, 10, 11, 12], [0, 2])
    """
    first = np.cumsum(counts) - counts
    row = np.repeat(np.arange(counts.size), counts)
    return row, np.arange(row.size) + np.repeat(starts - first, counts), first


def _tabulated(  # noqa: PLR0917 - private helper over parallel arrays
    fn: Callable[[FloatArray, FloatArray], FloatArray],
    keys: FloatArray,
    low: Any,
    counts: Any,
    row: Any,
    values: Any,
) -> FloatArray:
    """``fn(keys[row], values)`` per cell of :func:`_ragged` ranges, once per distinct pair.

    Row ``k`` covers the integers ``low[k] + 0..counts[k]-1``. Per distinct key, ``fn`` is
    tabulated over the hull of its rows' ranges when the hulls hold no more cells than the
    ranges do (the usual case: rows overlap), else it runs on every cell. ``fn`` is
    elementwise, so the result equals ``fn(keys[row], values)`` exactly.
    """
    unique, inverse = np.unique(keys, return_inverse=True)
    inverse = np.ravel(inverse)
    start = np.full(unique.size, np.iinfo(np.int64).max)
    stop = np.full(unique.size, np.iinfo(np.int64).min)
    np.minimum.at(start, inverse, low)
    np.maximum.at(stop, inverse, low + counts)
    span = stop - start
    if int(span.sum()) > values.size:
        return np.asarray(fn(keys[row], values.astype(np.float64)), dtype=np.float64)
    owner, grid, first = _ragged(start, span)
    table = np.asarray(fn(unique[owner], grid.astype(np.float64)), dtype=np.float64)
    return np.asarray(table[values + np.repeat((first - start)[inverse], counts)])


def _plus_ranges(
    alive: FloatArray,
    starts: Any,
    counts: Any,
    terms: Callable[[Any, Any, Any, Any], FloatArray],
) -> FloatArray:
    """``log(exp(alive[k]) + sum_v exp(terms(...)))`` over ``v = starts[k] + 0..counts[k]-1``.

    The ranges of all rows are laid end to end (no padding to the widest row) and summed per
    row by ``np.add.reduceat`` (pairwise, like ``np.sum``) after scaling by the row's
    largest log term, at most about :data:`_CELLS` cells at a time. ``terms(part, row,
    value, counts)`` gives the log terms of the rows ``part`` (``row``: each cell's position
    in ``part``, ``value``: its ``v``; ``counts``: the part's range lengths).
    """
    out = np.array(alive, dtype=np.float64)
    rows = np.flatnonzero(counts > 0)
    if rows.size == 0:
        return out
    block = (np.cumsum(counts[rows]) - counts[rows]) // _CELLS
    for part in np.split(rows, np.flatnonzero(np.diff(block)) + 1):
        row, value, first = _ragged(starts[part], counts[part])
        logs = terms(part, row, value, counts[part])
        shift = np.maximum(out[part], np.maximum.reduceat(logs, first))
        shift = np.where(np.isfinite(shift), shift, 0.0)
        with np.errstate(under="ignore"):
            total = np.add.reduceat(np.exp(logs - shift[row]), first)
            total += np.exp(out[part] - shift)
        out[part] = shift + np.log(total)
    return out


def _bgbb_loglik(theta: FloatArray, x: FloatArray, tx: FloatArray, n: FloatArray) -> FloatArray:
    """FHS 2010 eq. 5: alive through n, plus dropping out after each opportunity tx..n-1.

    The dropout terms ``B(a+x, b+j-x) B(g+1, d+j) / (B(a, b) B(g, d))`` at ``j = tx..n-1``
    are summed by :func:`_plus_ranges`, each Beta function evaluated once per distinct
    ``(x, j - x)`` and per distinct ``j`` (:func:`_tabulated`).
    """
    a, b, g, d = theta
    base_p = log_beta(a, b)
    base_t = log_beta(g, d)
    alive = np.asarray(
        log_beta(a + x, b + n - x) - base_p + log_beta(g, d + n) - base_t, dtype=np.float64
    )
    whole_x, whole_tx = x.astype(np.int64), tx.astype(np.int64)

    def terms(part: Any, row: Any, j: Any, counts: Any) -> FloatArray:
        xs, ts = whole_x[part], whole_tx[part]
        k = j - np.repeat(xs, counts)
        purchase = _tabulated(lambda u, v: log_beta(a + u, b + v), xs, ts - xs, counts, row, k)
        dropout = _tabulated(
            lambda _, v: log_beta(g + 1.0, d + v), np.zeros(ts.size), ts, counts, row, j
        )
        return np.asarray(purchase + dropout - (base_p + base_t), dtype=np.float64)

    return _plus_ranges(alive, whole_tx, (n - tx).astype(np.int64), terms)


def _check_bgbb(  # noqa: PLR0917 - private helper over parallel arrays
    owner: str,
    index: pd.Index,
    x: FloatArray,
    tx: FloatArray,
    n: FloatArray,
    names: tuple[str, str, str],
) -> None:
    for values, name in zip((x, tx, n), names, strict=True):
        refuse_rows(
            index,
            ~np.isfinite(values) | (values < 0) | (values != np.round(values)),
            owner,
            name,
            "whole numbers at least 0",
            "bad values",
        )
    refuse_rows(index, tx > n, owner, names[2], f"at least {names[1]}", "smaller values")
    # The likelihood sums over every opportunity after the last purchase (one column each).
    refuse_rows(
        index, n > _MAX_OPPORTUNITIES, owner, names[2],
        f"at most {_MAX_OPPORTUNITIES:,} opportunities", "larger values",
    )  # fmt: skip
    refuse_rows(
        index,
        x > tx,
        owner,
        names[1],
        f"at least {names[0]} (the last purchase opportunity)",
        "smaller values",
    )
    refuse_rows(index, (x > 0) & (tx == 0), owner, names[1], "at least 1 for buyers", "0")


def _check_opportunities(owner: str, name: str, values: Any) -> None:
    """Refuse opportunity counts (a horizon ``t``, a histogram's ``n``) off ``0..10,000``.

    The model is discrete: a NaN, negative or fractional horizon gave numbers (0 expected
    purchases, a P(alive at n + t) above P(alive at n + 1)) instead of an error, and a
    horizon of more than :data:`_MAX_OPPORTUNITIES` summed that many terms per row. A value
    that is not a number (``t="a"``) is refused naming ``name``, as :func:`as_arrays` does.
    """
    _, read = whole_numbers(owner, name, values)
    flat = read.ravel()
    refuse_rows(
        pd.RangeIndex(flat.size), flat > _MAX_OPPORTUNITIES, owner, name,
        f"at most {_MAX_OPPORTUNITIES:,} opportunities", "larger values",
    )  # fmt: skip


@attrs.frozen
class BetaGeoBetaBinomModel(Spec):
    """BG/BB options; :meth:`fit` returns a :class:`BetaGeoBetaBinomFit`.

    Attributes:
        penalizer: L2 penalty on the parameters (0 = plain maximum likelihood).
        time_unit: What one opportunity is (``"years"`` for annual events).

    Examples:
        >>> import pandas as pd
        >>> data = pd.DataFrame({  # the 8 largest groups of FHS 2010's donors
        ...     "frequency": [0, 6, 1, 5, 2, 4, 3, 5], "recency": [0, 6, 1, 6, 2, 6, 6, 5],
        ...     "n": [6] * 8, "weights": [3464, 1203, 1091, 728, 613, 512, 357, 335]})
        >>> fit = BetaGeoBetaBinomModel(time_unit="years").fit(data, weights="weights")
        >>> fit.info.n_customers, fit.info.n_unique, round(fit.params["gamma"], 3)
        (8303.0, 8, 0.291)
    """

    penalizer: float = field(default=0.0, validator=number(min=0))
    time_unit: str = field(default="years", validator=one_of(tuple(TIME_UNITS)))

    def fit(
        self,
        data: Any,
        *,
        frequency: str = "frequency",
        recency: str = "recency",
        n: str = "n",
        weights: str | None = None,
    ) -> BetaGeoBetaBinomFit:
        """Fit by maximum likelihood on (frequency, recency, n) rows, optionally weighted.

        Raises:
            InvalidInputError: Impossible rows (recency > n, frequency > recency, not whole
                numbers), fewer than 2 customers or no repeat activity at all.
            NotFittedError: No convergence to an interior maximum.

        Examples:
            >>> import pandas as pd
            >>> BetaGeoBetaBinomModel().fit(pd.DataFrame({"frequency": [2], "recency": [1],
            ...                                           "n": [3]}))
            Traceback (most recent call last):
            ...
            crmkit.errors.InvalidInputError: BetaGeoBetaBinomModel.fit(): column 'recency' must be at least frequency (the last purchase opportunity); found 1 smaller values at rows [0].
        """
        owner = "BetaGeoBetaBinomModel.fit()"
        cols = read_columns(data, owner, [frequency, recency, n], weights=weights)
        x, tx, nn = cols.arrays
        _check_bgbb(owner, cols.labels, x, tx, nn, (frequency, recency, n))
        total = float(cols.weights.sum())
        if total < 2 or not np.any((x > 0) & (cols.weights > 0)):
            raise InvalidInputError(
                owner,
                frequency,
                expected="at least 2 customers and some purchases",
                found=f"{total:g} customers, {float(cols.weights[x > 0].sum()):g} with purchases",
            )
        return fit_model(
            owner,
            BetaGeoBetaBinomFit,
            (x, tx, nn),
            cols.weights,
            lambda v, w: Objective(lambda theta: _bgbb_loglik(theta, *v)),
            penalizer=self.penalizer,
            time_unit=self.time_unit,
        )


#: Largest number of opportunities summed term by term in :func:`_gamma_ratio_gap`.
_MAX_DIRECT = 100_000


def _gamma_ratio_gap(g: float, d: float, n: Any, m: Any) -> FloatArray:
    """``sum_{i=n+1}^{n+m} B(g, d+i) / B(g, d)``: E[alive at each of the next m opportunities].

    The closed form ``d/(g-1) * G(g+d)/G(1+d) * [G(1+d+n)/G(g+d+n) - G(1+d+n+m)/G(g+d+n+m)]``
    (FHS 2010 eq. 13) is a difference of nearly equal lgamma ratios divided by ``g - 1``:
    at ``g`` near 1 (nudged by 1e-9, an error of that size) or ``d`` large (the ratios are
    differences of lgamma values in the hundreds of millions) it cancels, and at g = 1,
    d = 1e7 it gave 0 where the answer is m * d / (d + n + 1) or so. Where the closed
    form's error estimate exceeds 1e-12 the Beta expectations ``E[(1 - theta)^i] =
    B(g, d+i) / B(g, d)`` are summed term by term (positive terms, no cancellation; at
    most :data:`_MAX_DIRECT` of them per row), with :func:`log_beta` for the large-``d``
    Beta functions.
    """
    n, m = np.broadcast_arrays(np.asarray(n, dtype=np.float64), np.asarray(m, dtype=np.float64))
    gg = g + 1e-9 if abs(g - 1.0) < 1e-9 else g
    lead = np.log(d) - np.log(abs(gg - 1.0)) + gammaln(gg + d) - gammaln(1.0 + d)
    u = gammaln(1.0 + d + n) - gammaln(gg + d + n)
    v = gammaln(1.0 + d + n + m) - gammaln(gg + d + n + m)
    hi, lo = (u, v) if gg > 1 else (v, u)
    with np.errstate(all="ignore"):
        value = np.asarray(np.exp(lead + logdiffexp(hi, lo)), dtype=np.float64)
        # Rounding of the lgamma values (eps * their size) against their difference, plus
        # the nudge's relative error.
        error = 2.3e-16 * (np.abs(gammaln(1.0 + d + n + m)) + 1.0) / np.abs(u - v)
        error = error + (1e-9 / abs(gg - 1.0) if gg != g else 0.0)
        redo = (m > 0) & (m <= _MAX_DIRECT) & ~(error < 1e-12)
    if redo.any():
        value = np.array(value, dtype=np.float64)
        pairs, inverse = np.unique(np.column_stack([n[redo], m[redo]]), axis=0, return_inverse=True)
        # One table of the terms over every opportunity any pair sums (at most n + m <=
        # _MAX_OPPORTUNITIES + _MAX_DIRECT of them), then a pairwise sum per pair's slice:
        # reduceat over [start, stop) boundaries interleaved, its even slots (an odd slot
        # sums the stretch between two slices, or is one term when they overlap).
        low = int(pairs[:, 0].min()) + 1
        i = np.arange(float(low), float((pairs[:, 0] + pairs[:, 1]).max()) + 2.0)
        terms = np.exp(log_beta(g, d + i) - float(log_beta(g, d)))
        terms[-1] = 0.0  # a stop at the table's end needs an index inside it
        bounds = np.column_stack([pairs[:, 0], pairs[:, 0] + pairs[:, 1]]) + 1 - low
        sums = np.add.reduceat(terms, bounds.astype(np.int64).ravel())[::2]
        value[redo] = sums[np.ravel(inverse)]
    return np.asarray(np.where(m > 0, value, 0.0), dtype=np.float64)


@attrs.frozen
class BetaGeoBetaBinomFit(_Fitted):
    """A fitted BG/BB model: ``alpha``, ``beta`` (purchase), ``gamma``, ``delta`` (dropout).

    Examples:
        >>> fit = BetaGeoBetaBinomFit(params={"alpha": 1.204, "beta": 0.750, "gamma": 0.657,
        ...                                   "delta": 2.783}, time_unit="years")
        >>> round(fit.expected_population_purchases(6), 3)
        2.22
        >>> BetaGeoBetaBinomFit.from_dict(fit.to_dict()) == fit
        True
    """

    PARAMS: ClassVar[tuple[str, ...]] = ("alpha", "beta", "gamma", "delta")

    def _loglik(self, x: FloatArray, tx: FloatArray, n: FloatArray) -> FloatArray:
        theta = np.array(self._p())
        x, tx, n = np.broadcast_arrays(x, tx, n)
        return on_distinct(
            lambda *v: _bgbb_loglik(theta, *(np.ravel(c) for c in v)).reshape(np.shape(v[0])),
            x,
            tx,
            n,
        )

    def _inputs(
        self, method: str, t: Any, x: Any, tx: Any, n: Any
    ) -> tuple[bool, tuple[FloatArray, ...]]:
        owner = f"{type(self).__name__}.{method}()"
        scalar, (tt, xx, ttx, nn) = as_arrays(owner, t=t, frequency=x, recency=tx, n=n)
        index = pd.RangeIndex(xx.size)
        _check_bgbb(
            owner, index, xx.ravel(), ttx.ravel(), nn.ravel(), ("frequency", "recency", "n")
        )
        _check_opportunities(owner, "t", tt)
        return scalar, (tt, xx, ttx, nn)

    def _alive(
        self,
        x: FloatArray,
        tx: FloatArray,
        n: FloatArray,
        t: FloatArray,
        loglik: FloatArray | None = None,
    ) -> FloatArray:
        a, b, g, d = self._p()
        log_alive = (
            log_beta(a + x, b + n - x) - log_beta(a, b) + log_beta(g, d + n + t) - log_beta(g, d)
        )
        if loglik is None:
            loglik = self._loglik(x, tx, n)
        return np.asarray(np.clip(np.exp(log_alive - loglik), 0.0, 1.0), dtype=np.float64)

    def _expected(
        self,
        t: FloatArray,
        x: FloatArray,
        tx: FloatArray,
        n: FloatArray,
        loglik: FloatArray | None = None,
    ) -> FloatArray:
        a, b, g, d = self._p()
        if loglik is None:
            loglik = self._loglik(x, tx, n)
        lead = log_beta(a + x + 1.0, b + n - x) - log_beta(a, b) - loglik
        return np.asarray(np.exp(lead) * _gamma_ratio_gap(g, d, n, t), dtype=np.float64)

    def probability_alive(self, frequency: Any, recency: Any, n: Any, *, t: Any = 0) -> Any:
        """P(alive at opportunity ``n + t``), given the history (FHS 2010 eq. 11).

        Examples:
            >>> fit = BetaGeoBetaBinomFit(params={"alpha": 1.204, "beta": 0.750,
            ...                                   "gamma": 0.657, "delta": 2.783})
            >>> round(fit.probability_alive(0, 0, 6, t=1), 2)  # FHS 2010, Table 6
            0.11
        """
        scalar, (tt, x, tx, nn) = self._inputs("probability_alive", t, frequency, recency, n)
        return scalar_or_array(self._alive(x, tx, nn, tt), scalar)

    def expected_purchases(self, t: Any, frequency: Any, recency: Any, n: Any) -> Any:
        """Expected purchases in the next ``t`` opportunities, given the history (eq. 13).

        Examples:
            >>> fit = BetaGeoBetaBinomFit(params={"alpha": 1.204, "beta": 0.750,
            ...                                   "gamma": 0.657, "delta": 2.783})
            >>> round(fit.expected_purchases(5, 6, 6, 6), 2)
            3.75
        """
        scalar, (tt, x, tx, nn) = self._inputs("expected_purchases", t, frequency, recency, n)
        return scalar_or_array(self._expected(tt, x, tx, nn), scalar)

    def probability_no_purchase(self, t: Any, frequency: Any, recency: Any, n: Any) -> Any:
        """P(no purchase in the next ``t`` opportunities): ``L(x, tx, n + t) / L(x, tx, n)``.

        Examples:
            >>> fit = BetaGeoBetaBinomFit(params={"alpha": 1.204, "beta": 0.750,
            ...                                   "gamma": 0.657, "delta": 2.783})
            >>> fit.probability_no_purchase(0, 3, 5, 6)
            1.0
        """
        scalar, (tt, x, tx, nn) = self._inputs("probability_no_purchase", t, frequency, recency, n)
        ratio = np.exp(self._loglik(x, tx, nn + tt) - self._loglik(x, tx, nn))
        return scalar_or_array(np.clip(ratio, 0.0, 1.0), scalar)

    def expected_population_purchases(self, t: Any) -> Any:
        """E[X(n)]: expected purchases of a new customer in its first ``t`` opportunities.

        Examples:
            >>> fit = BetaGeoBetaBinomFit(params={"alpha": 1.204, "beta": 0.750,
            ...                                   "gamma": 0.657, "delta": 2.783})
            >>> fit.expected_population_purchases([0, 1]).round(3).tolist()
            [0.0, 0.498]
        """
        a, b, g, d = self._p()
        owner = f"{type(self).__name__}.expected_population_purchases()"
        scalar, (tt,) = as_arrays(owner, t=t)
        _check_opportunities(owner, "t", tt)
        value = a / (a + b) * _gamma_ratio_gap(g, d, np.zeros_like(tt), tt)
        return scalar_or_array(value, scalar)

    def frequency_distribution(self, n: int) -> pd.Series:
        """P(X(n) = x) for x = 0..n: the model's histogram of purchases in ``n`` opportunities.

        Examples:
            >>> fit = BetaGeoBetaBinomFit(params={"alpha": 1.204, "beta": 0.750,
            ...                                   "gamma": 0.657, "delta": 2.783})
            >>> dist = fit.frequency_distribution(6)
            >>> round(float(dist.sum()), 10), round(float(dist[0] * 11104))  # FHS: 3454.9
            (1.0, 3456)
        """
        owner = f"{type(self).__name__}.frequency_distribution()"
        if np.ndim(n) != 0:  # one number of opportunities (int() would raise a TypeError)
            raise InvalidInputError(
                owner, "n", expected="one number of opportunities", found=f"a {type(n).__name__}",
                kind="",
            )  # fmt: skip
        _check_opportunities(owner, "n", n)
        n = int(n)
        a, b, g, d = self._p()
        base = log_beta(a, b) + log_beta(g, d)
        x = np.arange(n + 1, dtype=np.float64)
        log_choose = gammaln(n + 1.0) - gammaln(x + 1.0) - gammaln(n - x + 1.0)
        alive = log_choose + log_beta(a + x, b + n - x) + log_beta(g, d + n) - base
        dropout = log_beta(g + 1.0, d + np.arange(n, dtype=np.float64))  # by opportunity i

        def terms(part: Any, row: Any, i: Any, counts: Any) -> FloatArray:
            # Dropping out after opportunity i = x..n-1 with x purchases among the first i.
            xs = np.repeat(x[part], counts)
            k = i - xs
            choose = gammaln(i + 1.0) - gammaln(xs + 1.0) - gammaln(k + 1.0)
            return np.asarray(
                choose + log_beta(a + xs, b + k) + dropout[i] - base, dtype=np.float64
            )

        whole = np.arange(n + 1, dtype=np.int64)
        probs = np.exp(_plus_ranges(alive, whole, n - whole, terms))
        return pd.Series(probs, index=pd.RangeIndex(n + 1, name="frequency"), name="probability")

    def predict(
        self,
        data: Any,
        t: int,
        *,
        frequency: str = "frequency",
        recency: str = "recency",
        n: str = "n",
    ) -> pd.DataFrame:
        """Per-customer predictions for the next ``t`` opportunities, on the data's index.

        Returns:
            ``expected_purchases``, ``p_alive`` (at the next opportunity, ``n + 1``),
            ``p_alive_at_t`` (at ``n + t``) and ``p_no_purchase``.

        Examples:
            >>> import pandas as pd
            >>> fit = BetaGeoBetaBinomFit(params={"alpha": 1.204, "beta": 0.750,
            ...                                   "gamma": 0.657, "delta": 2.783})
            >>> d = pd.DataFrame({"frequency": [0, 6], "recency": [0, 6], "n": [6, 6]})
            >>> fit.predict(d, t=5).round(2)
               expected_purchases  p_alive  p_alive_at_t  p_no_purchase
            0                0.07     0.11          0.09           0.95
            1                3.75     0.93          0.74           0.08
        """
        owner = f"{type(self).__name__}.predict()"
        cols = read_columns(data, owner, [frequency, recency, n], allow_empty=True)
        x, tx, nn = cols.arrays
        _check_bgbb(owner, cols.labels, x, tx, nn, (frequency, recency, n))
        if np.ndim(t) != 0:  # one horizon for every row (float() would raise a TypeError)
            raise InvalidInputError(
                owner, "t", expected="one number of opportunities", found=f"a {type(t).__name__}",
                kind="",
            )  # fmt: skip
        _check_opportunities(owner, "t", t)
        horizon = np.full_like(x, float(t))
        loglik = self._loglik(x, tx, nn)
        out = aligned(
            cols.labels,
            {
                "expected_purchases": self._expected(horizon, x, tx, nn, loglik),
                "p_alive": self._alive(x, tx, nn, np.ones_like(x), loglik),
                "p_alive_at_t": self._alive(x, tx, nn, horizon, loglik),
                "p_no_purchase": np.clip(np.exp(self._loglik(x, tx, nn + horizon) - loglik), 0, 1),
            },
        )
        out.attrs.update({"t": float(t), "time_unit": self.time_unit})
        return out
