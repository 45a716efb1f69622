"""Deterministic synthetic sample data for the demo, the docs, the tests and the benchmarks.

Every generator takes a ``seed``: the same seed gives the same data on every platform
(numpy's PCG64 generator, no system clock, no global random state). Sizes are
parameters; the defaults are small enough for a docs example.
Date arguments are read as crmkit reads every date (ISO 8601, never guessed); a bad
one is a :class:`~crmkit.errors.ConfigError` that names the parameter.

The data are synthetic but shaped like the real thing: a few heavy buyers and many
one-time buyers (Pareto-like activity), lognormal order values, customers who churn,
seasonal peaks, refunds, tickets that wait on the customer and get reopened, survey
scores that drift upwards over a year.

Examples:
    >>> from crmkit import datasets
    >>> tx = datasets.transactions(n_customers=50, seed=1)
    >>> list(tx.columns)
    ['order_id', 'customer_id', 'date', 'amount', 'channel', 'category']
    >>> tx.equals(datasets.transactions(n_customers=50, seed=1))
    True
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from crmkit._validate import datetime_value, is_whole_day, resolve_timezone
from crmkit.errors import ConfigError

__all__ = [
    "campaign_orders",
    "loyalty_events",
    "survey_responses",
    "ticket_events",
    "tickets",
    "transactions",
]

_NS_PER_DAY = 86_400 * 10**9
_CHANNELS = ["store", "online", "app"]
_CATEGORIES = ["apparel", "beauty", "electronics", "grocery", "home"]
#: Relative sales intensity by month (January first): a spring lull, a summer sale,
#: and the November-December peak of Singles' Day and the year-end holidays.
_SEASON = np.array([0.9, 0.8, 0.9, 0.95, 1.0, 1.1, 1.05, 0.95, 1.0, 1.05, 1.5, 1.4])


def _check_size(owner: str, name: str, value: int, minimum: int = 1) -> None:
    if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < minimum:
        raise ConfigError(owner, name, expected=f"an int >= {minimum}", found=repr(value))


def _rng(owner: str, seed: int) -> np.random.Generator:
    if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool) or seed < 0:
        raise ConfigError(owner, "seed", expected="an int >= 0", found=repr(seed))
    return np.random.default_rng(seed)


#: The hint of a date argument that is not ISO 8601 (these functions have no date_format=).
_ISO_ONLY = (
    "Dates must be ISO 8601 (2025-01-31, 2025-01-31T09:30, 2025-01-31T09:30+01:00); "
    "crmkit never guesses whether 01/02/2025 is 1 February or 2 January."
)


def _date(owner: str, field: str, value: object, zone: dt.tzinfo | None = None) -> pd.Timestamp:
    """Read a date argument the library's one way (ISO 8601 only) as a naive wall time.

    With ``zone`` (a generator that writes tz-aware times) a naive value is a wall time in
    ``zone`` and an aware one is converted to it. Without (a generator that writes naive
    times) an aware value is refused: which wall clock it should become is ambiguous.
    """
    try:
        stamp = datetime_value(value, owner, field, tz=zone)
    except ConfigError as err:
        if "date_format=" not in err.hint:
            raise
        raise ConfigError(
            owner, field, expected=err.expected, found=err.found, hint=_ISO_ONLY
        ) from None
    if zone is not None:
        return stamp.tz_localize(None)
    if stamp.tzinfo is not None:
        raise ConfigError(
            owner,
            field,
            expected="naive, like the generated dates",
            found=f"the timezone-aware {value!r}",
            hint="Mixing naive and aware datetimes is ambiguous: pass a naive date or "
            "datetime, e.g. '2025-01-01'.",
        )
    return stamp


def _span(owner: str, start: object, end: object) -> tuple[int, int]:
    first, last = _date(owner, "start", start), _date(owner, "end", end)
    if last <= first:
        raise ConfigError(owner, "end", expected=f"after start {first.date()}", found=str(last))
    return int(first.as_unit("ns").value), int(last.as_unit("ns").value)


def _label(stamp: pd.Timestamp) -> str:
    """A window bound as a person would write it: the day alone at midnight."""
    return str(stamp.date()) if stamp == stamp.normalize() else str(stamp)


def _campaign_window(owner: str, start: object, end: object) -> tuple[int, int]:
    """The window ``[start, stop)`` of :func:`campaign_orders` in nanoseconds since 1970.

    A day alone as ``end`` (``"2025-10-01"``, ``"2025/10/1"``, a ``datetime.date``: what
    :func:`~crmkit._validate.is_whole_day` calls a day) means the end of that day, as an
    ``as_of`` does: ``stop`` is the next midnight, and ``start`` must be before it, so
    ``start="2025-10-01T12:00", end="2025-10-01"`` is that afternoon and evening. A
    datetime ``end`` is an instant that must be after ``start``; one at midnight still
    includes its day in the window, as documented since the window had whole days only.
    """
    first, last = _date(owner, "start", start), _date(owner, "end", end)
    lo, hi = int(first.as_unit("ns").value), int(last.as_unit("ns").value)
    day_alone = is_whole_day(end)
    stop = hi + _NS_PER_DAY if day_alone or hi % _NS_PER_DAY == 0 else hi
    if (stop if day_alone else hi) <= lo:
        found = (
            f"{_label(last)} (the whole day, to {pd.Timestamp(stop)})" if day_alone else str(last)
        )
        raise ConfigError(owner, "end", expected=f"after start {_label(first)}", found=found)
    return lo, stop


def _opens_in(day: int, lo_s: int, stop_s: int) -> bool:
    """Whether ``[lo_s, stop_s)`` holds some of ``day``'s opening hours (08:00 to 22:00).

    ``lo_s`` and ``stop_s`` are seconds since 1970, ``day`` days since 1970.
    """
    return max(day * 86_400 + 8 * 3_600, lo_s) < min(day * 86_400 + 22 * 3_600, stop_s)


def transactions(
    n_customers: int = 1000,
    *,
    start: str | dt.date = "2023-01-01",
    end: str | dt.date = "2025-12-31",
    seed: int = 0,
) -> pd.DataFrame:
    """Generate a transaction log: one row per purchase, refunds as negative rows.

    Customers join over the whole span, buy at rates drawn from a gamma distribution
    (a few heavy buyers, a long tail; about a third buy only once), stop buying after
    an exponential lifetime (churn), spend lognormal amounts around a personal mean,
    and buy more in November and December. About 3% of orders are refunded, whole or
    in part, a few days later, as a row with a negative amount and the same
    ``order_id``. There are about 7 rows per customer on average, and about 4 in
    10 customers buy only once.

    Args:
        n_customers: How many customers.
        start: First possible purchase date: a date, naive datetime or ISO 8601 string.
        end: The end of the span, after ``start`` (read as ``start`` is): every row
            falls before it. A date is its midnight, so nothing falls on that day (the
            default sample ends on 2025-12-30), unlike the ``end`` of
            :func:`campaign_orders`, the last day of its window.
        seed: Random seed; the same seed gives the same frame.

    Returns:
        Columns ``order_id`` (int64), ``customer_id`` (int64), ``date`` (datetime64[ns],
        naive, with time of day), ``amount`` (float64, 2 decimals, negative for refunds),
        ``channel`` and ``category`` (categoricals), sorted by date.

    Examples:
        >>> from crmkit.datasets import transactions
        >>> tx = transactions(n_customers=200, seed=3)
        >>> int(tx["customer_id"].nunique()) == 200
        True
        >>> bool((tx["amount"] < 0).any())  # some refunds
        True
        >>> bool(tx["date"].is_monotonic_increasing)
        True
        >>> str(tx["date"].max().date())  # end="2025-12-31" is its midnight: nothing on it
        '2025-12-30'
    """
    _check_size("transactions()", "n_customers", n_customers)
    lo, hi = _span("transactions()", start, end)
    rng = _rng("transactions()", seed)
    span_days = (hi - lo) / _NS_PER_DAY

    # Customers: join date (more join later: a growing business), purchase rate, lifetime.
    join = lo + (rng.beta(1.3, 1.0, n_customers) * (hi - lo) * 0.97).astype(np.int64)
    one_timer = rng.random(n_customers) < 0.28
    rate_per_day = rng.gamma(shape=0.8, scale=1 / 25, size=n_customers)  # mean ~ 1 per month
    lifetime_days = rng.exponential(scale=500.0, size=n_customers)
    active_end = np.minimum(join + (lifetime_days * _NS_PER_DAY).astype(np.int64), hi)
    active_days = (active_end - join) / _NS_PER_DAY
    repeats = np.where(one_timer, 0, rng.poisson(rate_per_day * active_days * 1.25))
    repeats = np.minimum(repeats, int(span_days))  # keep it physical: at most ~1 a day

    # Purchases: the first at join, the repeats uniform over the active window, thinned by season.
    owner = np.repeat(np.arange(n_customers), repeats)
    offsets = rng.random(owner.size) * (active_end[owner] - join[owner])
    times = join[owner] + offsets.astype(np.int64)
    months = pd.DatetimeIndex(times).month.to_numpy() - 1
    keep = rng.random(times.size) < _SEASON[months] / _SEASON.max()
    owner = np.concatenate([np.arange(n_customers), owner[keep]])
    times = np.concatenate([join, times[keep]])

    # Amounts: a personal lognormal mean and per-order noise.
    personal = rng.normal(4.2, 0.55, n_customers)
    amount = np.round(np.exp(personal[owner] + rng.normal(0.0, 0.45, owner.size)), 2)
    amount = np.maximum(amount, 1.0)

    order = np.lexsort((owner, times))
    owner, times, amount = owner[order], times[order], amount[order]
    order_id = np.arange(1, owner.size + 1, dtype=np.int64)
    channel = rng.choice(len(_CHANNELS), owner.size, p=[0.45, 0.35, 0.20])
    category = rng.choice(len(_CATEGORIES), owner.size)

    # Refunds: ~3% of orders, a few days later, whole (60%) or partial.
    refunded = np.flatnonzero(rng.random(owner.size) < 0.03)
    delay = (rng.uniform(1, 14, refunded.size) * _NS_PER_DAY).astype(np.int64)
    share = np.where(rng.random(refunded.size) < 0.6, 1.0, rng.uniform(0.2, 0.8, refunded.size))
    r_times = times[refunded] + delay
    inside = r_times < hi
    refunded, r_times, share = refunded[inside], r_times[inside], share[inside]

    ids = np.concatenate([order_id, order_id[refunded]])
    cust = np.concatenate([owner, owner[refunded]]) + 1
    when = np.concatenate([times, r_times])
    amt = np.concatenate([amount, -np.round(amount[refunded] * share, 2)])
    chan = np.concatenate([channel, channel[refunded]])
    cat = np.concatenate([category, category[refunded]])
    final = np.lexsort((ids, when))
    # Purchases happen in opening hours: keep the day, draw a time between 08:00 and 22:00;
    # on the day of an ``end`` with a time of day, between the drawn instant and ``end``
    # (no such rows when ``end`` is a midnight: the default sample is unchanged).
    day_start = (when[final] // _NS_PER_DAY) * _NS_PER_DAY
    share_of_day = rng.random(final.size)
    tod = ((8 + share_of_day * 14) * 3_600 * 10**9).astype(np.int64)
    stamp = np.maximum(day_start + tod, when[final])
    stamp = np.minimum(stamp, day_start + _NS_PER_DAY - 1)
    last_day = day_start == (hi // _NS_PER_DAY) * _NS_PER_DAY
    to_end = when[final] + (share_of_day * (hi - when[final])).astype(np.int64)
    stamp = np.where(last_day, np.minimum(to_end, hi - 1), stamp)
    resort = np.lexsort((ids[final], stamp))
    frame = pd.DataFrame(
        {
            "order_id": ids[final][resort],
            "customer_id": cust[final][resort].astype(np.int64),
            "date": pd.to_datetime(stamp[resort], unit="ns"),
            "amount": amt[final][resort],
            "channel": pd.Categorical.from_codes(chan[final][resort], pd.Index(_CHANNELS)),
            "category": pd.Categorical.from_codes(cat[final][resort], pd.Index(_CATEGORIES)),
        }
    )
    return frame


def campaign_orders(
    transactions: pd.DataFrame,
    assignment: pd.DataFrame,
    *,
    start: str | dt.date,
    end: str | dt.date,
    wake_rate: float = 0.2,
    seed: int = 0,
) -> pd.DataFrame:
    """Simulate the orders a coupon adds in a campaign window: a known effect to measure.

    The sample data hold no campaign, so nothing in them can show what a campaign
    measurement finds when there is an effect. This adds one, and only one: each customer
    of the ``treatment`` arm of ``assignment`` is woken by the coupon with probability
    ``wake_rate`` and places one order on a day drawn uniformly from ``start`` to ``end``
    (both included), at a time drawn uniformly in its opening hours (08:00 to 22:00) that
    the window holds, in the app, worth about their usual
    order (their mean positive amount in ``transactions`` before ``start``, times
    lognormal noise; 40 where they have none). The control arm gets nothing: its
    customers buy in the window only as they do in ``transactions`` anyway. So the true
    uplift in the response rate is ``wake_rate * (1 - p)``, where ``p`` is the share of
    treated customers who buy in the window without the coupon.

    Args:
        transactions: A frame from :func:`transactions` (its column names and dtypes).
        assignment: Arms per customer id, as :func:`crmkit.campaigns.assign` returns
            (indexed by customer id, with an ``arm`` column).
        start: First day of the campaign window: a date, naive datetime or ISO 8601
            string. With a time of day the window opens then: no order is earlier.
        end: Last day of the campaign window (read as ``start`` is). A date alone
            (``"2025-10-01"``, ``"2025/10/1"``, a ``datetime.date``) means the end of that
            day, as an ``as_of`` does: the window includes the whole day, and ``start``
            must be before its end (``start="2025-10-01T12:00", end="2025-10-01"`` is that
            afternoon and evening). A datetime must be after ``start``. At midnight it
            includes its day too; at another time of day the window closes then: every
            order is before it.
        wake_rate: The share of treated customers the coupon brings to buy, in [0, 1].
        seed: Random seed; the same seed gives the same orders.

    Returns:
        The new orders only, in the columns and dtypes of ``transactions`` (``order_id``
        continues after the largest one), sorted by date: append them with
        ``pd.concat([transactions, orders], ignore_index=True)``.

    Raises:
        ConfigError: A bad ``wake_rate``, ``seed`` or ``assignment``, a date that is not
            ISO 8601, or an ``end`` not after ``start`` (a date alone: ``start`` not
            before the end of its day) or leaving no opening hours in the window
            (``start="2025-10-01T22:30", end="2025-10-02T07:00"``).

    Examples:
        >>> import pandas as pd
        >>> from crmkit.campaigns import assign
        >>> from crmkit.datasets import campaign_orders, transactions
        >>> tx = transactions(n_customers=2_000, seed=5)
        >>> arms = assign(pd.Index(range(1, 2_001), name="customer_id"), campaign="demo")
        >>> orders = campaign_orders(tx, arms, start="2025-10-01", end="2025-11-30", seed=1)
        >>> len(orders), int((arms["arm"] == "treatment").sum())  # about a fifth woken
        (340, 1791)
        >>> set(arms.loc[orders["customer_id"], "arm"])
        {'treatment'}
        >>> orders.columns.equals(tx.columns), bool(orders["order_id"].min() > tx["order_id"].max())
        (True, True)
        >>> orders[["customer_id", "date", "amount", "channel"]].head(1).to_dict("records")
        [{'customer_id': 1606, 'date': Timestamp('2025-10-01 12:51:27'), 'amount': 35.15, 'channel': 'app'}]
        >>> noon = campaign_orders(tx, arms, start="2025-10-01", end="2025-10-02T12:00", seed=1)
        >>> bool(noon["date"].max() < pd.Timestamp("2025-10-02T12:00"))  # end is the instant
        True
        >>> late = campaign_orders(tx, arms, start="2025-10-01T12:00", end="2025-10-01", seed=1)
        >>> str(late["date"].min()) >= "2025-10-01 12:00", str(late["date"].max()) < "2025-10-02"
        (True, True)
    """
    owner = "campaign_orders()"
    rng = _rng(owner, seed)
    lo, stop = _campaign_window(owner, start, end)
    # The window in whole seconds, start included, stop excluded.
    lo_s, stop_s = -(-lo // 10**9), -(-stop // 10**9)
    first_day, last_day = lo // _NS_PER_DAY, (stop - 1) // _NS_PER_DAY
    if not _opens_in(first_day, lo_s, stop_s):
        first_day += 1  # ``start`` after closing time: from the next day
    if not _opens_in(last_day, lo_s, stop_s):
        last_day -= 1  # ``end`` before opening time: up to the day before
    if first_day > last_day or not _opens_in(first_day, lo_s, stop_s):
        raise ConfigError(
            owner,
            "end",
            expected="a window that holds some opening hours (08:00 to 22:00), when the "
            "orders are placed",
            found=f"{_label(pd.Timestamp(lo))} up to {pd.Timestamp(stop)}, which holds none",
            hint="Give the window some hours between 08:00 and 22:00 of a day.",
        )
    if (
        not isinstance(wake_rate, (int, float, np.integer, np.floating))
        or isinstance(wake_rate, bool)
        or not 0.0 <= float(wake_rate) <= 1.0
    ):
        raise ConfigError(owner, "wake_rate", expected="a share in [0, 1]", found=repr(wake_rate))
    if not isinstance(assignment, pd.DataFrame) or "arm" not in assignment.columns:
        raise ConfigError(
            owner,
            "assignment",
            expected="a frame with an 'arm' column, indexed by customer id (see assign())",
            found=type(assignment).__name__,
        )
    treated = assignment.index[(assignment["arm"] == "treatment").to_numpy()]
    woken = treated[rng.random(len(treated)) < float(wake_rate)]
    # Their usual order: the mean positive amount before the window.
    before = transactions[(transactions["date"] < pd.Timestamp(lo)) & (transactions["amount"] > 0)]
    usual = before.groupby("customer_id")["amount"].mean().reindex(woken).fillna(40.0)
    amount = np.maximum(
        np.round(usual.to_numpy() * np.exp(rng.normal(0.0, 0.45, len(woken))), 2), 1.0
    )
    days = rng.integers(first_day, last_day + 1, len(woken))
    share_of_day = rng.random(len(woken))
    seconds = (8 * 3_600 + share_of_day * 14 * 3_600).astype(np.int64)
    # A day that ``start`` or ``end`` cuts: the same share of its opening hours in the window.
    day_s = days * 86_400
    opens = np.maximum(day_s + 8 * 3_600, lo_s)
    closes = np.minimum(day_s + 22 * 3_600, stop_s)
    cut = (opens > day_s + 8 * 3_600) | (closes < day_s + 22 * 3_600)
    within = opens + (share_of_day * (closes - opens)).astype(np.int64)
    stamps = np.where(cut, within, day_s + seconds) * 10**9
    category = rng.choice(len(_CATEGORIES), len(woken))
    order = np.argsort(stamps, kind="stable")
    first_id = int(transactions["order_id"].max()) + 1 if len(transactions) else 1
    return pd.DataFrame(
        {
            "order_id": np.arange(first_id, first_id + len(woken), dtype=np.int64),
            "customer_id": np.asarray(woken, dtype=np.int64)[order],
            "date": pd.to_datetime(stamps[order], unit="ns"),
            "amount": amount[order],
            "channel": pd.Categorical.from_codes(
                np.full(len(woken), _CHANNELS.index("app")), pd.Index(_CHANNELS)
            ),
            "category": pd.Categorical.from_codes(category[order], pd.Index(_CATEGORIES)),
        }
    )


_PRIORITIES = ["P1", "P2", "P3", "P4"]
_TICKET_CHANNELS = ["phone", "email", "chat", "web"]
_KINDS = ["complaint", "incident", "question", "request"]
_TIERS = ["core", "vip", "regular"]


def tickets(
    n_tickets: int = 500,
    *,
    start: str | dt.date = "2025-01-01",
    days: int = 180,
    timezone: str = "Asia/Shanghai",
    seed: int = 0,
) -> pd.DataFrame:
    """Generate support tickets, one row per ticket.

    Tickets arrive mostly in working hours on weekdays. Urgent (P1) tickets get faster
    replies; about a quarter of tickets wait on the customer for a while (a pause), about
    8% are reopened after being solved, about 5% are still open at the end, complaints
    are followed up (回访) within a few days, and core customers' incidents get an
    on-site visit.

    Args:
        n_tickets: How many tickets.
        start: First day tickets arrive: a date, datetime or ISO 8601 string, read in
            ``timezone`` (an aware value is converted to it).
        days: How many days tickets arrive over.
        timezone: The IANA time zone of the service desk.
        seed: Random seed.

    Returns:
        Columns ``ticket_id`` (str), ``customer_id`` (int64), ``created_at`` (tz-aware),
        ``priority`` (ordered categorical, P1 most urgent first), ``channel``, ``kind``,
        ``customer_tier``, ``first_reply_at``, ``resolved_at`` (NaT while open),
        ``waiting_seconds`` (time paused waiting on the customer), ``reopened`` (bool),
        ``followed_up_at`` (NaT if none), ``on_site_at`` (NaT if no visit).

    Examples:
        >>> from crmkit.datasets import tickets
        >>> t = tickets(n_tickets=20, seed=2)
        >>> t.shape[0], str(t["created_at"].dt.tz)
        (20, 'Asia/Shanghai')
        >>> bool((t["first_reply_at"] >= t["created_at"]).all())
        True
    """
    _check_size("tickets()", "n_tickets", n_tickets)
    _check_size("tickets()", "days", days)
    zone = resolve_timezone(timezone, "tickets()", "timezone")
    rng = _rng("tickets()", seed)
    n = n_tickets

    # Arrival: a random day, weekdays three times as likely, a working-hours time of day.
    day = rng.integers(0, days, 3 * n)
    first = _date("tickets()", "start", start, zone)
    weekday = (first.day_of_week + day) % 7
    accept = rng.random(day.size) < np.where(weekday < 5, 1.0, 0.33)
    day = np.resize(day[accept], n)
    hour = np.clip(rng.normal(13.5, 3.2, n), 0, 23.99)
    local = first + pd.to_timedelta(day, unit="D") + pd.to_timedelta(hour * 3600, unit="s")
    localized = pd.DatetimeIndex(local.floor("s")).tz_localize(
        zone, ambiguous="NaT", nonexistent="shift_forward"
    )
    # The rare ambiguous (DST fall-back) instant: move it to the earliest arrival, never drop it.
    created = pd.Series(localized).fillna(localized.min())
    created = created.sort_values(kind="stable", ignore_index=True)

    priority = rng.choice(4, n, p=[0.08, 0.22, 0.45, 0.25])
    kind = rng.choice(4, n, p=[0.2, 0.25, 0.35, 0.2])
    tier = rng.choice(3, n, p=[0.1, 0.2, 0.7])
    reply_scale_h = np.array([0.6, 2.0, 5.0, 10.0])[priority]
    reply_s = rng.exponential(reply_scale_h * 3600).round()
    first_reply = created + pd.to_timedelta(reply_s, unit="s")
    waits = rng.random(n) < 0.25
    waiting_s = np.where(waits, rng.exponential(8 * 3600, n), 0.0).round()
    work_h = rng.gamma(1.5, np.array([3.0, 10.0, 20.0, 36.0])[priority])
    resolved = first_reply + pd.to_timedelta(work_h * 3600 + waiting_s, unit="s").round("s")
    still_open = rng.random(n) < 0.05
    reopened = (~still_open) & (rng.random(n) < 0.08)
    is_complaint = kind == 0
    follow = is_complaint & ~still_open & (rng.random(n) < 0.9)
    followed = resolved + pd.to_timedelta(rng.uniform(2, 96, n) * 3600, unit="s").round("s")
    on_site = (tier == 0) & (kind == 1)
    on_site_at = created + pd.to_timedelta(rng.uniform(1, 7, n) * 3600, unit="s").round("s")
    return pd.DataFrame(
        {
            "ticket_id": [f"T{i:06d}" for i in range(1, n + 1)],
            "customer_id": rng.integers(1, max(2, n // 3), n).astype(np.int64),
            "created_at": created,
            "priority": pd.Categorical.from_codes(priority, pd.Index(_PRIORITIES), ordered=True),
            "channel": pd.Categorical.from_codes(rng.choice(4, n), pd.Index(_TICKET_CHANNELS)),
            "kind": pd.Categorical.from_codes(kind, pd.Index(_KINDS)),
            "customer_tier": pd.Categorical.from_codes(tier, pd.Index(_TIERS)),
            "first_reply_at": first_reply,
            "resolved_at": resolved.where(~still_open),
            "waiting_seconds": waiting_s.astype(np.int64),
            "reopened": reopened,
            "followed_up_at": followed.where(follow),
            "on_site_at": on_site_at.where(on_site),
        }
    )


def ticket_events(tickets_frame: pd.DataFrame) -> pd.DataFrame:
    """Expand a :func:`tickets` frame into its event history, one row per event.

    Events: ``created``; ``agent_reply`` at the first reply; for tickets that waited,
    ``pending`` (waiting on the customer, the SLA clock pauses) right after the first
    reply, then ``customer_reply`` and ``open`` (the clock resumes) ``waiting_seconds``
    later; ``solved``; for reopened tickets ``reopened`` a day later, another
    ``agent_reply`` and ``solved``; ``on_site`` for visits; ``follow_up`` when done.
    The history is a pure function of the ticket rows (no randomness).

    Args:
        tickets_frame: A frame shaped like :func:`tickets`' result.

    Returns:
        Columns ``ticket_id``, ``time`` (tz-aware), ``event``, sorted by ticket and time.

    Examples:
        >>> from crmkit.datasets import tickets, ticket_events
        >>> ev = ticket_events(tickets(n_tickets=5, seed=1))
        >>> sorted(ev["event"].unique())[:3]
        ['agent_reply', 'created', 'customer_reply']
    """
    t = tickets_frame
    second = pd.Timedelta(seconds=1)
    waited = t["waiting_seconds"] > 0
    wait = pd.to_timedelta(t["waiting_seconds"], unit="s")
    solved = t["resolved_at"].notna()
    reopen_at = t["resolved_at"] + pd.Timedelta(days=1)
    parts = [
        (t["created_at"], "created", None),
        (t["first_reply_at"], "agent_reply", None),
        (t["first_reply_at"] + second, "pending", waited),
        (t["first_reply_at"] + second + wait, "customer_reply", waited),
        (t["first_reply_at"] + 2 * second + wait, "open", waited),
        (t["on_site_at"], "on_site", t["on_site_at"].notna()),
        (t["resolved_at"], "solved", solved),
        (reopen_at, "reopened", t["reopened"]),
        (reopen_at + pd.Timedelta(hours=2), "agent_reply", t["reopened"]),
        (reopen_at + pd.Timedelta(hours=20), "solved", t["reopened"]),
        (t["followed_up_at"], "follow_up", t["followed_up_at"].notna()),
    ]
    frames = []
    for rank, (when, event, mask) in enumerate(parts):
        keep = np.ones(len(t), dtype=bool) if mask is None else mask.to_numpy(dtype=bool)
        frames.append(
            pd.DataFrame(
                {
                    "ticket_id": t["ticket_id"].to_numpy()[keep],
                    "time": when[keep].to_numpy(dtype="datetime64[ns]"),
                    "event": event,
                    "_rank": rank,
                }
            )
        )
    out = pd.concat(frames, ignore_index=True)
    out["time"] = out["time"].dt.tz_localize("UTC").dt.tz_convert(t["created_at"].dt.tz)
    out = out.sort_values(["ticket_id", "time", "_rank"], kind="stable", ignore_index=True)
    return out.drop(columns="_rank")


_SEGMENTS = ["VIP", "regular", "new"]
_REGIONS = ["north", "east", "south", "west"]
_SURVEY_CHANNELS = ["email", "sms", "app"]


def survey_responses(
    n_responses: int = 1000,
    *,
    start: str | dt.date = "2025-01-01",
    months: int = 12,
    seed: int = 0,
) -> pd.DataFrame:
    """Generate survey responses with NPS (0-10), CSAT (1-5) and CES (1-7) scores.

    The promoter share rises and the detractor share falls over the months, so the NPS
    trends upward (from about 45 to about 68 over a year, as in the domain notes' case);
    VIP customers score a little higher. About 5% of each score is missing (the
    respondent skipped the question).

    Args:
        n_responses: How many responses.
        start: First day of the survey period: a date, naive datetime or ISO 8601 string.
        months: How many months the responses span.
        seed: Random seed.

    Returns:
        Columns ``response_id`` (int64), ``date`` (datetime64, naive), ``customer_id``,
        ``segment``, ``region``, ``channel`` (categoricals), ``nps``, ``csat``, ``ces``
        (nullable Int64).

    Examples:
        >>> from crmkit.datasets import survey_responses
        >>> s = survey_responses(n_responses=100, seed=4)
        >>> int(s["nps"].max()) <= 10 and int(s["csat"].min()) >= 1
        True
    """
    _check_size("survey_responses()", "n_responses", n_responses)
    _check_size("survey_responses()", "months", months)
    rng = _rng("survey_responses()", seed)
    n = n_responses
    first = _date("survey_responses()", "start", start)
    last = first + pd.DateOffset(months=months)
    span = (last - first).value
    when = np.sort(first.value + (rng.random(n) * span).astype(np.int64))
    progress = (when - first.value) / span  # 0 at the start, 1 at the end
    segment = rng.choice(3, n, p=[0.15, 0.6, 0.25])
    lift = np.where(segment == 0, 0.05, 0.0)
    promoter_p = np.clip(0.58 + 0.17 * progress + lift, 0, 0.95)
    detractor_p = np.clip(0.13 - 0.06 * progress - lift / 2, 0.01, 1)
    u = rng.random(n)
    group = np.where(u < promoter_p, 2, np.where(u < promoter_p + detractor_p, 0, 1))
    score = np.where(
        group == 2,
        rng.choice([9, 10], n, p=[0.45, 0.55]),
        np.where(group == 1, rng.choice([7, 8], n), rng.choice(7, n, p=_DETRACTOR_P)),
    )
    csat = np.clip(np.round(1 + score * 0.4 + rng.normal(0, 0.6, n)), 1, 5).astype(np.int64)
    ces = np.clip(np.round(2 + score * 0.45 + rng.normal(0, 0.9, n)), 1, 7).astype(np.int64)

    def with_gaps(values: np.ndarray) -> pd.Series:
        series = pd.Series(values, dtype="Int64")
        return series.mask(rng.random(n) < 0.05)

    return pd.DataFrame(
        {
            "response_id": np.arange(1, n + 1, dtype=np.int64),
            "date": pd.to_datetime(when, unit="ns").floor("s"),
            "customer_id": rng.integers(1, max(2, 3 * n), n).astype(np.int64),
            "segment": pd.Categorical.from_codes(segment, pd.Index(_SEGMENTS)),
            "region": pd.Categorical.from_codes(rng.choice(4, n), pd.Index(_REGIONS)),
            "channel": pd.Categorical.from_codes(rng.choice(3, n), pd.Index(_SURVEY_CHANNELS)),
            "nps": with_gaps(score),
            "csat": with_gaps(csat),
            "ces": with_gaps(ces),
        }
    )


#: Detractor scores 0-6 lean towards 5 and 6, as in real surveys.
_DETRACTOR_P = np.array([0.04, 0.03, 0.05, 0.08, 0.12, 0.28, 0.40])


def loyalty_events(
    n_members: int = 50,
    *,
    start: str | dt.date = "2025-01-01",
    days: int = 365,
    timezone: str = "Asia/Shanghai",
    seed: int = 0,
) -> pd.DataFrame:
    """Generate the event streams of loyalty-club members, in the table that replay reads.

    Each member enrolls (with a birth date), makes purchases of 1-3 units, some returned
    later (whole, or one unit), redeems points for rewards now and then (never more than a
    1-point-per-unit program has credited), cancels the odd redemption and gets the odd
    goodwill adjustment. The columns are those of :func:`crmkit.loyalty.replay_many`.

    Args:
        n_members: How many members.
        start: First enrolment day: a date, datetime or ISO 8601 string, read in
            ``timezone`` (an aware value is converted to it).
        days: How many days the streams span.
        timezone: The program's IANA time zone (the ``time`` column is in it).
        seed: Random seed.

    Returns:
        One row per event: ``member_id`` (str), ``event_id`` (str, unique), ``time``
        (tz-aware), ``kind`` (enroll, purchase, refund, redeem, cancel_redemption,
        adjust), ``amount`` (decimal string of a purchase line, else None), ``quantity``
        (Int64: units bought, or units returned by a partial refund), ``line`` (the
        refunded line of a partial refund), ``ref`` (the refunded purchase or cancelled
        redemption), ``points`` (Int64 for redeem and adjust), ``reward``, ``reason``,
        ``channel``, ``category``, ``birth_date`` (ISO date on enrolment rows), sorted by
        member and time.

    Examples:
        >>> from crmkit.datasets import loyalty_events
        >>> ev = loyalty_events(n_members=3, seed=1)
        >>> ev.groupby("member_id")["kind"].first().unique().tolist()
        ['enroll']
        >>> ev.columns[:6].tolist()
        ['member_id', 'event_id', 'time', 'kind', 'amount', 'quantity']
        >>> str(loyalty_events(n_members=1, timezone="Europe/Paris")["time"].dt.tz)
        'Europe/Paris'
    """
    _check_size("loyalty_events()", "n_members", n_members)
    _check_size("loyalty_events()", "days", days)
    zone = resolve_timezone(timezone, "loyalty_events()", "timezone")
    first = _date("loyalty_events()", "start", start, zone)
    rng = _rng("loyalty_events()", seed)
    span_s = days * 86_400
    rows: dict[str, list[object]] = {k: [] for k in _LOYALTY_COLUMNS}

    def add(member: str, eid: str, at: int, kind: str, **extra: object) -> None:
        rows["member_id"].append(member)
        rows["event_id"].append(eid)
        rows["time"].append(at)
        rows["kind"].append(kind)
        for column in _LOYALTY_COLUMNS[4:]:
            rows[column].append(extra.get(column))

    # Members are few (this is event-stream data, not a bulk table): a loop per member
    # keeps each stream's references (refund -> purchase) simple and readable.
    for m in range(1, n_members + 1):
        member = f"M{m:05d}"
        enrolled = int(rng.integers(0, span_s // 3))
        birth = pd.Timestamp("1970-01-01") + pd.Timedelta(days=int(rng.integers(0, 365 * 35)))
        add(member, f"{member}-E0", enrolled, "enroll", birth_date=birth.date().isoformat())
        n_purchases = int(rng.integers(1, 25))
        times = np.sort(rng.integers(enrolled + 60, span_s, n_purchases))
        redemptions: list[tuple[str, int]] = []
        balance = 0  # what a 1-point-per-unit program has credited, net of use
        for k, at in enumerate(times, start=1):
            pid = f"{member}-P{k}"
            units = int(rng.integers(1, 4))
            amount = round(float(np.exp(rng.normal(5.0, 0.6))) * units, 2)
            add(
                member,
                pid,
                int(at),
                "purchase",
                amount=f"{amount:.2f}",
                quantity=units,
                channel=str(rng.choice(_CHANNELS)),
                category=str(rng.choice(_CATEGORIES)),
            )
            balance += int(amount)
            draw = rng.random()
            if draw < 0.06 and at + 3 * 86_400 < span_s:
                if units > 1 and rng.random() < 0.5:
                    add(
                        member,
                        f"{pid}-R",
                        int(at + 3 * 86_400),
                        "refund",
                        ref=pid,
                        line="1",
                        quantity=1,
                    )
                else:
                    add(member, f"{pid}-R", int(at + 3 * 86_400), "refund", ref=pid)
                balance -= int(amount)
            elif draw > 0.85 and balance >= 600:
                rid = f"{member}-X{k}"
                # Ten days later: after a usual return window, so the points are usable.
                redeemed = int(at + 10 * 86_400)
                redemptions.append((rid, redeemed))
                add(member, rid, redeemed, "redeem", points=300, reward="coupon-30")
                balance -= 300
        if redemptions and rng.random() < 0.3:
            rid, at_redeemed = redemptions[0]
            add(member, f"{rid}-C", at_redeemed + 7_200, "cancel_redemption", ref=rid)
        if rng.random() < 0.1:
            at_adjusted = int(rng.integers(enrolled, span_s))
            add(member, f"{member}-A1", at_adjusted, "adjust", points=50, reason="goodwill")

    seconds = np.asarray(rows["time"], dtype=np.int64)
    local = first + pd.to_timedelta(seconds, unit="s")
    frame = pd.DataFrame(rows)
    # A local time that occurs twice (the autumn clock change) is read as the first one,
    # never as NaT: every event keeps a time in any zone.
    frame["time"] = pd.DatetimeIndex(local).tz_localize(
        zone, ambiguous=np.ones(len(local), dtype=bool), nonexistent="shift_forward"
    )
    for column in ("points", "quantity"):
        frame[column] = frame[column].astype("Int64")
    return frame.sort_values(["member_id", "time"], kind="stable", ignore_index=True)


_LOYALTY_COLUMNS = [
    "member_id",
    "event_id",
    "time",
    "kind",
    "amount",
    "quantity",
    "line",
    "ref",
    "points",
    "reward",
    "reason",
    "channel",
    "category",
    "birth_date",
]
