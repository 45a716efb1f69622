"""The tier tracker: one member's tier, folded posting by posting.

:class:`TierTracker` is what :meth:`~crmkit.loyalty.TierLadder.tracker` gives and what the
ledger's fold keeps per ladder (:class:`~crmkit.loyalty._tierbook.TierBook`). The ladder's
rules and the postings and statuses the tracker reads and gives are the value objects of
:mod:`crmkit.loyalty._tiers`; this module holds the fold over them alone (it imports that
module, which imports it back only when a ladder builds a tracker).
"""

from __future__ import annotations

import bisect
import datetime as dt
import itertools
import math
from collections import deque
from collections.abc import Sequence
from decimal import Decimal
from typing import Any, NamedTuple

from crmkit._spec import derived
from crmkit.errors import InvalidInputError
from crmkit.loyalty._rules_util import (
    add_months,
    as_of_time,
    check_int,
    local_time,
    midnight,
    zone,
)
from crmkit.loyalty._tiers import (
    CHANGE_REASONS,
    METRICS,
    SLIDING,
    Counters,
    Qualification,
    QualifyingPosting,
    Tier,  # noqa: F401 - the examples build ladders of tiers
    TierChange,
    TierLadder,
    TierStatus,
    _event_time,
    _months_later,
    _scaled_ways,
)

__all__ = ["TierTracker"]

_MICRO = dt.timedelta(microseconds=1)
_ZERO = Decimal(0)
#: More than any change of a zone's UTC offset (the largest, on the date line, are a day):
#: instants at least this far apart are in the same order as their local clock times.
_MARGIN = dt.timedelta(days=2)
_FAR_UTC = dt.datetime.max.replace(tzinfo=dt.UTC)
#: Above every threshold: of spend (a Decimal), of points and orders (ints).
_TOP = (Decimal("Infinity"), math.inf)
#: TierTracker._post_many's bounds when no posting only adds (an empty span of instants).
_CLOSED = (_FAR_UTC, _FAR_UTC, 0, 0, False)


def _tracker_tables(ladder: TierLadder, scale: int) -> tuple[Any, ...]:
    """A tracker's read-only tables of ``ladder`` at ``scale`` (shared by its trackers)."""
    metrics = ladder.metrics
    # Named counts -> their position in the counters (names no tier uses are ignored).
    named = {m: i for i, m in enumerate(metrics[3:], start=3)}
    checks = ladder._checks(scale)
    # Per tier its ways to qualify, each a list of thresholds that must all be reached.
    ways = ladder._ways(scale)
    # Tiers from the top down as (index, metric, threshold) when each tier above the
    # base has one threshold (the common ladder): _qualify without the general loop.
    single: list[tuple[int, int, Any]] | None = None
    if all(len(w) == 1 and len(w[0]) == 1 for w in ways[1:]):
        single = [(i, ways[i][0][0][0], ways[i][0][0][1]) for i in range(len(ways) - 1, 0, -1)]
    names = ladder.names
    life_checks = [
        (names.index(t.name), _scaled_ways(t, ladder.combine, scale, metrics))
        for t in ladder.lifetime
    ]
    # One metric among spend, points and orders, thresholds strictly increasing up the
    # ladder, no lifetime tiers, windows that are not rolling: TierTracker._gate's ladders
    # (the metric's position, the thresholds from the first tier above the base up).
    mono: tuple[int, list[Any]] | None = None
    if single and not life_checks and ladder.window not in SLIDING:
        steps = [value for _, _, value in single[::-1]]
        metric = single[0][1]
        if (
            metric < len(METRICS)
            and all(m == metric for _, m, _ in single)
            and all(a < b for a, b in itertools.pairwise(steps))
        ):
            mono = (metric, steps)
    # Calendar windows by (zone, year): TierTracker._year fills it.
    years: dict[tuple[dt.tzinfo, int], tuple[dt.datetime, dt.datetime, dt.datetime]] = {}
    # Per tier its keep ways (Tier.keep) as threshold lists; None: no tier has any.
    keeps: list[list[list[tuple[int, Any]]]] | None = None
    if any(t.keep for t in ladder.tiers):
        keeps = [
            [
                [(metrics.index(m), v * scale if m == "points" else v) for m, v in way.items()]
                for way in (q.thresholds() for q in tier.keep)
            ]
            for tier in ladder.tiers
        ]
    return metrics, named, checks, ways, single, life_checks, mono, years, keeps


def _reached_ways(ways: list[list[tuple[int, Any]]], counts: list[Any]) -> bool:
    """Whether ``counts`` reach every threshold of one of ``ways`` (no ways: the base)."""
    if not ways:
        return True
    return any(all(counts[i] >= v for i, v in way) for way in ways)


def _ways_missing(
    ways: list[list[tuple[int, Any]]], counts: list[Any], metrics: tuple[str, ...]
) -> tuple[tuple[dict[str, Decimal | int], ...], int | None]:
    """What each way still lacks, and the index of the nearest (see TierStatus)."""
    out: list[dict[str, Decimal | int]] = []
    best: tuple[Decimal, int] | None = None
    several = len(ways) > 1  # one way is the nearest without measuring it
    for k, way in enumerate(ways):
        lacks: dict[str, Decimal | int] = {}
        share = _ZERO
        for index, value in way:
            have = counts[index]
            if have < value:
                lacks[metrics[index]] = value - have
                if value and several:
                    share += Decimal(value - have) / Decimal(value)
        out.append(lacks)
        if best is None or share < best[0]:
            best = (share, k)
    return tuple(out), None if best is None else best[1]


def _highest(ways: list[list[list[tuple[int, Any]]]], counts: list[Any]) -> int:
    """The highest tier whose ways (per tier, as TierTracker._ways) ``counts`` reach."""
    for index in range(len(ways) - 1, 0, -1):
        if _reached_ways(ways[index], counts):
            return index
    return 0


def _zeros(n: int) -> list[Any]:
    """Fresh counters: spend (a Decimal), then ``n - 1`` integer counts."""
    return [_ZERO] + [0] * (n - 1)


def _as_counters(values: list[Any], metrics: tuple[str, ...]) -> Counters:
    if len(metrics) == len(METRICS):
        return Counters(values[0], values[1], values[2])
    named = {m: values[i] for i, m in enumerate(metrics[3:], start=3)}
    return Counters(values[0], values[1], values[2], named)


# A met challenge's undo record (see _Grant.undo): the tier before, its validity and since,
# and the upgrades a refund could undo then (TierTracker._ups entries).
_Undo = tuple[
    int,
    dt.datetime | None,
    dt.datetime,
    tuple[tuple[dt.datetime, int, dt.datetime | None, dt.datetime, int], ...],
]


class _Ended(NamedTuple):
    """``window="since_change"``: the period an upgrade ended (see ``_refund_ended``)."""

    at: dt.datetime  # the upgrade's instant
    start: dt.datetime
    end: dt.datetime | None
    counts: tuple[Any, ...]  # that period's counters, less the refunds counted there since
    rolled_in: list[Any] | None  # what rolled into that period
    rolled_out: list[Any] | None  # what the upgrade rolled over into the next one
    reached: int  # the tier the upgrade reached
    climbed: int | None  # the tier before when it climbed one level at a time
    # The upgrade's TierTracker._ups entry (refunds="net"; None otherwise).
    up: tuple[dt.datetime, int, dt.datetime | None, dt.datetime, int] | None


class _Grant:
    """A tier granted from ``start`` until ``until`` (local instants), and its target.

    ``ways`` is the target as ``(metric position, threshold)`` pairs (None: no target);
    ``counts`` what the postings folded since the grant hold; ``met`` when the target was
    reached (None: not yet). With ``refunds="net"`` postings before ``until`` still count
    once it is met, and a refund that takes them below the target undoes the meeting
    (:meth:`TierTracker._unmeet`); ``undo`` is then, for a target met by raising the tier,
    what the fold held before: ``(tier, its validity, its since, the upgrades a refund
    could undo then)`` (None: the meeting raised nothing).
    """

    __slots__ = ("counts", "met", "reason", "start", "tier", "undo", "until", "ways")

    def __init__(
        self,
        start: dt.datetime,
        until: dt.datetime,
        tier: int,
        reason: str,
        *,
        ways: list[tuple[int, Any]] | None,
        size: int,
    ) -> None:
        self.start = start
        self.until = until
        self.tier = tier
        self.reason = reason
        self.ways = ways
        self.counts: list[Any] = _zeros(size)
        self.met: dt.datetime | None = None
        self.undo: _Undo | None = None

    def copy(self) -> _Grant:
        other = _Grant(self.start, self.until, self.tier, self.reason, ways=self.ways, size=0)
        other.counts = list(self.counts)
        other.met = self.met
        other.undo = self.undo  # a tuple: never changed in place
        return other

    def runs_at(self, at: dt.datetime) -> bool:
        """Whether the grant holds its tier at instant ``at`` (``start <= at < until``)."""
        return _utc(self.start) <= _utc(at) < _utc(self.until)

    def counting(self, at: dt.datetime, net: bool) -> bool:
        """Whether postings at ``at`` count toward the target.

        While it is still to be reached, and (``net``: ``refunds="net"``) once met, as a
        refund can still undo the meeting: up to ``until`` either way.
        """
        return self.ways is not None and (self.met is None or net) and _utc(at) < _utc(self.until)


def _utc(t: dt.datetime) -> dt.datetime:
    return t.astimezone(dt.UTC)


def _target_missing(
    holding: list[_Grant], metrics: tuple[str, ...]
) -> dict[str, Decimal | int] | None:
    """What the target of the grants holding the tier still lacks (see TierStatus).

    ``{}`` when one of them reached its target; else what the one ending last lacks;
    None when none of them has a target.
    """
    targeted = [g for g in holding if g.ways is not None]
    if not targeted:
        return None
    if any(g.met is not None for g in targeted):
        return {}
    grant = max(targeted, key=lambda g: _utc(g.until))
    assert grant.ways is not None
    return {metrics[i]: v - grant.counts[i] for i, v in grant.ways if grant.counts[i] < v}


class TierTracker:
    """One member's tier, folded posting by posting (mutable; build with :meth:`TierLadder.tracker`).

    Upgrades happen in :meth:`post`; window ends and due downgrades happen in
    :meth:`advance` (which :meth:`post` calls first). An instant on a window's end belongs
    to the next window. :meth:`copy` gives an independent tracker (for incremental replays).

    Examples:
        >>> import datetime as dt
        >>> ladder = TierLadder(tiers=[Tier(name="m"), Tier(name="g", orders=1)])
        >>> t = ladder.tracker(dt.datetime(2024, 1, 1), timezone="UTC")
        >>> t.post(QualifyingPosting(dt.datetime(2024, 5, 1), orders=1))
        >>> later = t.copy()
        >>> later.advance(dt.datetime(2026, 1, 1))
        >>> t.tier, later.tier
        ('g', 'm')
    """

    __slots__ = (
        "_anchor",
        "_as_of",
        "_bounds",
        "_carried",
        "_checks",
        "_counts",
        "_cur",
        "_earned",
        "_floor",
        "_grants",
        "_history",
        "_keeps",
        "_ladder",
        "_life_checks",
        "_lifetime",
        "_metrics",
        "_mono",
        "_named",
        "_older",
        "_pending",
        "_recent",
        "_reopen",
        "_restarted",
        "_scale",
        "_since",
        "_single",
        "_tz",
        "_ups",
        "_valid_until",
        "_vcache",
        "_ways",
        "_wend",
        "_wstart",
        "_years",
    )

    def __init__(
        self,
        ladder: TierLadder,
        start: dt.datetime,
        *,
        timezone: str | dt.tzinfo,
        point_decimals: int = 0,
    ) -> None:
        owner = "TierLadder.tracker()"
        check_int(owner, "point_decimals", point_decimals)
        scale = 10**point_decimals
        self._scale = scale
        self._ladder = ladder
        self._tz = zone(timezone, owner)
        local = _event_time(start, self._tz, owner, "start")
        self._anchor = local
        self._as_of = local
        self._cur = 0
        self._since = local
        self._valid_until: dt.datetime | None = None
        # The ladder's read-only tables, built once per ladder and scale (loyspeed: one
        # tracker per member in replay_many), and its calendar years by zone.
        (
            metrics,
            self._named,
            self._checks,
            self._ways,
            self._single,
            self._life_checks,
            self._mono,
            self._years,
            self._keeps,
        ) = derived(ladder, f"tracker_tables_{scale}", lambda: _tracker_tables(ladder, scale))
        self._metrics = metrics
        self._wstart: dt.datetime
        self._wend: dt.datetime | None
        if ladder.window == "calendar_year":
            self._wstart, self._wend, _ = self._year(ladder._year_of(local))
        else:
            self._wstart, self._wend = ladder._window(local, local, self._tz)
        self._counts: list[Any] = _zeros(len(metrics))
        # What rolled over into the current window (rollover="surplus"; None: nothing),
        # replaced, never changed in place: rollover_once measures a surplus without it.
        self._carried: list[Any] | None = None
        # Lower tiers reached in ended windows while a higher one held on past their end,
        # each with the validity it earns: ``(valid until, tier)``, oldest first (see _earn).
        self._earned: tuple[tuple[dt.datetime, int], ...] = ()
        self._lifetime: list[Any] = _zeros(len(metrics))
        self._floor = 0
        self._pending: tuple[dt.datetime, int] | None = None
        self._history = [TierChange(local, None, ladder.tiers[0].name, "start")]
        # Upgrades of the current window a refund may undo (refunds="net"): (time, tier
        # before, its validity, its since, tier after).
        self._ups: list[tuple[dt.datetime, int, dt.datetime | None, dt.datetime, int]] = []
        self._recent: deque[tuple[dt.datetime, Decimal, int, int, tuple[Any, ...]]] = deque()
        # assessment_lag_months: postings that left the sliding window, kept while an
        # assessment's lagged window may still read them (None: no lag).
        self._older: deque[tuple[dt.datetime, Decimal, int, int, tuple[Any, ...]]] | None = (
            deque() if ladder.assessment_lag_months else None
        )
        self._vcache: tuple[dt.datetime, dt.datetime, dt.datetime] | None = None
        self._bounds: tuple[Any, ...] | None = None  # TierTracker._gate's
        # downgrade="to_base": the last instant the counters started over at (a drop
        # decided mid-window; activity before it counts toward no tier); None: never.
        self._restarted: dt.datetime | None = None
        # window="since_change" with refunds other than "posted": the period an upgrade
        # ended, so that a refund of a purchase in it is counted there (see _refund_ended);
        # None: no such period.
        self._reopen: _Ended | None = None
        # Tier grants (see grant), oldest first; the fold above runs beneath them.
        self._grants: list[_Grant] = []

    # ------------------------------------------------------------ reading

    @property
    def tier(self) -> str:
        """The tier held now.

        Examples:
            >>> import datetime as dt
            >>> TierLadder(tiers=[Tier(name="m")]).tracker(dt.datetime(2025, 1, 1), timezone="UTC").tier
            'm'
        """
        return self._ladder.tiers[self._shown()[0]].name

    @property
    def history(self) -> tuple[TierChange, ...]:
        """Every tier change so far, the first being the start.

        Examples:
            >>> import datetime as dt
            >>> TierLadder(tiers=[Tier(name="m")]).tracker(dt.datetime(2025, 1, 1), timezone="UTC").history[0].reason
            'start'
        """
        return tuple(self._shown_history())

    def copy(self) -> TierTracker:
        """An independent copy.

        Examples:
            >>> import datetime as dt
            >>> t = TierLadder(tiers=[Tier(name="m")]).tracker(dt.datetime(2025, 1, 1), timezone="UTC")
            >>> t.copy().tier
            'm'
        """
        # Every slot, by name (a compiled build has no ``__slots__`` to loop over); the
        # mutable ones are copied below.
        other = TierTracker.__new__(TierTracker)
        other._anchor = self._anchor
        other._as_of = self._as_of
        other._bounds = self._bounds
        other._carried = self._carried
        other._checks = self._checks
        other._counts = self._counts
        other._cur = self._cur
        other._earned = self._earned
        other._floor = self._floor
        other._grants = self._grants
        other._history = self._history
        other._keeps = self._keeps
        other._ladder = self._ladder
        other._life_checks = self._life_checks
        other._lifetime = self._lifetime
        other._metrics = self._metrics
        other._mono = self._mono
        other._named = self._named
        other._older = self._older
        other._pending = self._pending
        other._recent = self._recent
        other._reopen = self._reopen
        other._restarted = self._restarted
        other._scale = self._scale
        other._since = self._since
        other._single = self._single
        other._tz = self._tz
        other._ups = self._ups
        other._valid_until = self._valid_until
        other._vcache = self._vcache
        other._ways = self._ways
        other._wend = self._wend
        other._wstart = self._wstart
        other._years = self._years
        other._counts = list(self._counts)
        other._lifetime = list(self._lifetime)
        other._history = list(self._history)
        other._recent = deque(self._recent)
        if self._older is not None:
            other._older = deque(self._older)
        other._ups = list(self._ups)
        other._grants = [g.copy() for g in self._grants]
        return other

    def status(self, as_of: dt.datetime | dt.date | str | None = None) -> TierStatus:
        """The :class:`TierStatus` now, or after advancing to ``as_of`` (a date: its end).

        Raises:
            ConfigError: An ``as_of`` that cannot be read (NaT, a number, ``"2025-02-31"``)
                or outside the years 1000-9000 loyalty supports.
            InvalidInputError: An ``as_of`` before the tracker's time.

        Examples:
            >>> import datetime as dt
            >>> ladder = TierLadder(tiers=[Tier(name="m"), Tier(name="g", orders=3)])
            >>> t = ladder.tracker(dt.datetime(2025, 1, 1), timezone="UTC")
            >>> t.post(QualifyingPosting(dt.datetime(2025, 2, 1), orders=1))
            >>> t.status().missing
            {'orders': 2}
        """
        if as_of is not None:  # a datetime too: its years are checked there (NaT: refused)
            as_of = as_of_time(as_of, self._tz, "TierTracker.status()")
        self._catch_up(as_of)
        ladder = self._ladder
        counters = _as_counters(self._counts, self._metrics)
        shown, holding = self._shown()
        nxt = shown + 1 if shown + 1 < len(ladder.tiers) else None
        missing: dict[str, Decimal | int] = {}
        ways_missing: tuple[dict[str, Decimal | int], ...] = ()
        nearest = None
        if nxt is not None:
            ways_missing, nearest = _ways_missing(self._ways[nxt], self._counts, self._metrics)
            if ladder.tiers[nxt].alternatives:
                assert nearest is not None
                missing = dict(ways_missing[nearest])
            else:
                for index, value in self._checks[nxt]:
                    have = self._counts[index]
                    if have < value:
                        missing[self._metrics[index]] = value - have
        pending = None
        valid_until = self._valid_until
        keeps = self  # the tracker whose keep_* fields the status shows
        if self._pending is not None:
            end, landed = self._pending
            outcome = self._grace_outcome()
            if outcome is None:
                pending = (end, ladder.tiers[landed].name)
            elif isinstance(outcome, str):
                pending = (end, outcome)
            else:  # kept at the grace end as things stand: shown kept, with that validity
                keeps = outcome
                valid_until = outcome._valid_until
        wstart = self._wstart
        if ladder.window in SLIDING:  # the window slides with the clock: as of now
            wstart, _ = ladder._window(self._anchor, self._as_of, self._tz)
        if self._restarted is not None and self._restarted > wstart:
            wstart = self._restarted  # to_base: the counters started over then
        keep_fields = keeps._keep_status() if self._keeps is not None else {}
        since, history = self._since, self._history
        target_missing = None
        if self._grants:
            history = self._shown_history()
            if history[-1] is not self._history[-1]:  # the last change shown is a grant's
                since = history[-1].time
        if holding:
            fold_end = pending[0] if pending is not None else valid_until
            shown_end = self._granted_end(shown, holding, fold_end)
            if shown_end is not fold_end:  # the grant holds the tier past the fold's end
                valid_until, pending = shown_end, None
            if shown > self._cur:
                keep_fields = {}
            target_missing = _target_missing(holding, self._metrics)
        return TierStatus(
            as_of=self._as_of,
            tier=ladder.tiers[shown].name,
            since=since,
            valid_until=valid_until,
            window_start=wstart,
            window_end=self._wend,
            counters=counters,
            lifetime=_as_counters(self._lifetime, self._metrics),
            lifetime_floor=ladder.tiers[self._floor].name if self._floor else None,
            pending_downgrade=pending,
            next_tier=None if nxt is None else ladder.tiers[nxt].name,
            missing=missing,
            history=tuple(history),
            anchor=self._anchor,
            ways_missing=ways_missing,
            nearest_way=nearest,
            target_missing=target_missing,
            **keep_fields,
        )

    def _grace_outcome(self) -> TierTracker | str | None:
        """During a grace period: what its end gives as things stand (no further posting).

        The tier landed on (its name; activity gathered meanwhile can land higher than the
        assessment decided), or a copy of the tracker moved to the grace end when the
        tier held is kept then (activity that reaches a keep way, or, with
        ``renew="assessment"``, a way up: see :meth:`_downgrade`); None when the copy
        changed tier otherwise (the status then shows the drop decided).
        """
        assert self._pending is not None
        end = self._pending[0]
        probe = self.copy()
        seen = len(probe._history)
        probe._advance(end)
        for change in probe._history[seen:]:
            if change.reason == "downgrade":
                return change.new
        return probe if probe._cur == self._cur and probe._pending is None else None

    def _keep_status(self) -> dict[str, Any]:
        """:class:`TierStatus`'s ``keep_*`` fields: what keeps the tier held (see there)."""
        cur, valid = self._cur, self._valid_until
        if not cur or (valid is None and self._pending is None):
            return {}
        assert self._keeps is not None
        ways = self._keeps[cur] + self._ways[cur]
        counts = self._keep_counts()
        missing, nearest = _ways_missing(ways, counts, self._metrics)
        assert nearest is not None
        return {
            "keep_ways_missing": missing,
            "keep_nearest_way": nearest,
            "keep_missing": dict(missing[nearest]),
        }

    def _keep_counts(self) -> list[Any]:
        """The counters, so far, of the window that can keep the tier held (see TierStatus)."""
        ladder, valid = self._ladder, self._valid_until
        if self._pending is not None or valid is None:
            # A grace period: what it gathers counts, in the window its end reads (sliding
            # windows: what is still in it then).
            if self._pending is not None and ladder.window in SLIDING:
                return self._counts_at(self._grace_read(self._pending[0]))
            return self._counts
        if ladder.window not in SLIDING:
            wend = self._wend
            if (wend is not None and wend >= valid) or self._validity_from(self._wstart) > valid:
                return self._counts
            return _zeros(len(self._metrics))
        # The postings still inside the window the assessment at ``valid`` reads.
        return self._counts_at(self._assessed_at(valid))

    def _assessed_at(self, valid: dt.datetime) -> dt.datetime:
        """The last instant of the sliding window the assessment at ``valid`` reads.

        The window ending at the assessment (``"rolling"``: at it; ``"rolling_calendar_months"``:
        the months that ended), or ``assessment_lag_months`` before it.
        """
        ladder = self._ladder
        lag = ladder.assessment_lag_months
        at = _months_later(valid, -lag) if lag else valid
        return at if ladder.window == "rolling" else at - _MICRO

    def _counts_at(self, at: dt.datetime) -> list[Any]:
        """The counters of the sliding window ending at ``at``, from the postings kept."""
        start = self._cutoff(at)
        counts = _zeros(len(self._metrics))
        for kept in (self._older or (), self._recent):
            for time, spend, points, orders, named in kept:
                if start < time <= at:
                    counts[0] += spend
                    counts[1] += points
                    counts[2] += orders
                    for index, value in named:
                        counts[index] += value
        return counts

    @property
    def valid_until(self) -> dt.datetime | None:
        """When the tier held now ends (None: it does not), as :meth:`status` shows it.

        During a grace period the validity that ended (the fold's), where a status that
        finds the tier kept at the grace end as things stand shows the validity that gives.

        Examples:
            >>> import datetime as dt
            >>> ladder = TierLadder(tiers=[Tier(name="m"), Tier(name="g", orders=1)])
            >>> t = ladder.tracker(dt.datetime(2024, 1, 1), timezone="UTC")
            >>> t.valid_until is None
            True
            >>> t.post(QualifyingPosting(dt.datetime(2024, 5, 1), orders=1))
            >>> t.valid_until == t.status().valid_until == dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
            True
        """
        if self._grants:
            shown, holding = self._shown()
            return self._granted_end(shown, holding, self._valid_until)
        return self._valid_until

    def _tier_at(self, as_of: dt.datetime) -> str:
        """The tier held at ``as_of``: ``status(as_of).tier`` without building the status.

        It moves the tracker to ``as_of`` exactly as :meth:`status` does (the ledger reads
        the tier of every purchase of a program whose earning depends on it).

        Examples:
            >>> import datetime as dt
            >>> ladder = TierLadder(tiers=[Tier(name="m"), Tier(name="g", orders=1)])
            >>> t = ladder.tracker(dt.datetime(2024, 1, 1), timezone="UTC")
            >>> t.post(QualifyingPosting(dt.datetime(2024, 5, 1), orders=1))
            >>> t._tier_at(dt.datetime(2025, 12, 31)), t._tier_at(dt.datetime(2026, 1, 1))
            ('g', 'm')
        """
        self._catch_up(as_of)
        if self._grants:
            return self._ladder.tiers[self._shown()[0]].name
        return self._ladder.tiers[self._cur].name

    def _reach(self, at: dt.datetime) -> None:
        """Move to ``at`` as :meth:`_tier_at` does, unless the tracker is already past it.

        A tracker that has moved on answers for an earlier instant from its history
        (:meth:`_span_at`); moving it back would be an error.
        """
        if at.astimezone(dt.UTC) >= self._as_of.astimezone(dt.UTC):
            self._tier_at(at)

    def _span_at(self, at: dt.datetime) -> tuple[str | None, dt.datetime | None]:
        """The tier held at ``at`` (not after the tracker's time) and when it is next looked at.

        The end is the first tier change after ``at`` when the tracker has moved past one,
        else the tier's next assessment: the end of a running grace period (the tier is
        still held through it, though :attr:`valid_until` has passed), else
        :attr:`valid_until`; None: no end in view (the base tier, a lifetime floor).
        Before the tracker's start: ``(None, start)``.

        Examples:
            >>> import datetime as dt
            >>> ladder = TierLadder(tiers=[Tier(name="m"), Tier(name="g", orders=1)],
            ...                     grace_days=30)
            >>> t = ladder.tracker(dt.datetime(2024, 1, 1), timezone="UTC")
            >>> t.post(QualifyingPosting(dt.datetime(2024, 5, 1), orders=1))
            >>> t.advance(dt.datetime(2026, 1, 10))
            >>> tier, until = t._span_at(dt.datetime(2026, 1, 10, tzinfo=dt.UTC))
            >>> tier, until.date()
            ('g', datetime.date(2026, 1, 31))
        """
        pending = self._pending
        tier: str | None = self._ladder.tiers[self._cur].name
        until = pending[0] if pending is not None else self._valid_until
        history = self._history
        if self._grants:
            shown, holding = self._shown()
            tier = self._ladder.tiers[shown].name
            until = self._granted_end(shown, holding, until)
            history = self._shown_history()
        for change in reversed(history):
            if change.time <= at:
                break
            tier, until = change.old, change.time
        return tier, until

    def _earliest_end(self) -> dt.datetime | None:
        """The earliest instant the tier held now can end with no further posting.

        The end of a running grace period, else :attr:`valid_until` plus the ladder's
        ``grace_days`` (a downgrade due then waits them out); None: no end (the base
        tier, a lifetime floor).

        Examples:
            >>> import datetime as dt
            >>> ladder = TierLadder(tiers=[Tier(name="m"), Tier(name="g", orders=1)],
            ...                     grace_days=30)
            >>> t = ladder.tracker(dt.datetime(2024, 1, 1), timezone="UTC")
            >>> t.post(QualifyingPosting(dt.datetime(2024, 5, 1), orders=1))
            >>> t.valid_until.date(), t._earliest_end().date()
            (datetime.date(2026, 1, 1), datetime.date(2026, 1, 31))
        """
        if self._grants:
            shown, holding = self._shown()
            return self._granted_end(shown, holding, self._fold_end())
        return self._fold_end()

    def _fold_end(self) -> dt.datetime | None:
        """:meth:`_earliest_end` of the fold of the counters (grants aside)."""
        if self._pending is not None:
            return self._pending[0]
        valid = self._valid_until
        if valid is None or not self._ladder.grace_days:
            return valid
        return valid + dt.timedelta(days=self._ladder.grace_days)

    # ------------------------------------------------------------ grants

    def grant(
        self,
        time: dt.datetime,
        tier: str,
        until: dt.datetime,
        *,
        reason: str,
        target: Qualification | None = None,
    ) -> None:
        """Grant ``tier`` from ``time`` until ``until``: a status match, challenge or manual grant.

        The member holds ``tier`` from ``time`` (inclusive) to ``until`` (exclusive)
        whatever the counters say; the fold of the counters runs on beneath it untouched,
        and the member holds the higher of the two tiers. At ``until`` they drop back to
        what the fold gives then: the tier the counters support under the ladder's rules,
        never below a tier they reached meanwhile (Marriott: "member will be downgraded to
        membership level which corresponds to number of nights stayed").

        With a ``target`` (a status challenge), postings folded after the grant and before
        ``until`` count toward it, on counters of its own (a refund counts when the
        purchase it reverses is not before the grant). The instant they reach every
        threshold of ``target``, the tier is reached as by an upgrade (Hilton: "Stay a
        minimum of 8 nights within your 90 day trial period, and we'll upgrade your status
        to Gold"): held from then with the validity an upgrade then gives, after which the
        ladder's ordinary assessment applies to it (keep ways, downgrade policy, grace);
        a tier held already is renewed as by re-qualifying. A challenge met stands, except
        with ``refunds="net"``, where the challenge's period is its window: a refund before
        ``until`` that takes its counters below the target makes it unmet again (its target
        counts on; the grant holds its tier until ``until``), and undoes the upgrade its
        meeting made as a refund undoes an upgrade (reason ``"refund"``, back to the tier
        held before, never below it; a renewal stands). Without a target the grant ends at
        ``until``.

        The history shows the tier held: a change with ``reason`` where the grant raises
        it, ``"grant_end"`` where its end lowers it; the status shows the grant's end as
        ``valid_until`` while it holds a tier above the fold's, and what the target still
        lacks in :attr:`TierStatus.target_missing`. Grants stack: the highest one running
        holds. A grant at or below the tier the counters give changes nothing shown
        (reaching its target may still renew that tier).

        Args:
            time: When the grant starts (not before the tracker's time).
            tier: A tier of the ladder above the base.
            until: When it ends (after ``time``): the challenge's deadline.
            reason: The reason code (``"status_match"``, ``"goodwill"``, ...): none of
                :data:`CHANGE_REASONS`.
            target: What to reach by ``until`` to keep the tier (a
                :class:`Qualification` on the ladder's counters; ``points`` in points).

        Examples:
            >>> import datetime as dt
            >>> ladder = TierLadder(tiers=[Tier(name="member"), Tier(name="gold", counts={"nights": 40})])
            >>> t = ladder.tracker(dt.datetime(2025, 1, 1), timezone="UTC")
            >>> t.grant(dt.datetime(2025, 3, 1), "gold", dt.datetime(2025, 5, 30),
            ...         reason="status_match", target=Qualification(counts={"nights": 8}))
            >>> st = t.status()
            >>> st.tier, st.valid_until.date(), st.target_missing, st.history[-1].reason
            ('gold', datetime.date(2025, 5, 30), {'nights': 8}, 'status_match')
            >>> t.post(QualifyingPosting(dt.datetime(2025, 4, 2), counts={"nights": 8}))
            >>> st = t.status(dt.date(2025, 6, 1))
            >>> st.tier, st.valid_until.date(), st.target_missing
            ('gold', datetime.date(2027, 1, 1), None)
            >>> t.grant(dt.datetime(2025, 7, 1), "base", dt.datetime(2025, 8, 1), reason="x")
            Traceback (most recent call last):
            ...
            crmkit.errors.InvalidInputError: TierTracker.grant(): 'tier' must be a tier above the base ['gold']; found 'base'.
        """
        owner = "TierTracker.grant()"
        ladder = self._ladder
        names = ladder.names
        if not isinstance(tier, str) or tier not in names[1:]:
            raise InvalidInputError(
                owner,
                "tier",
                expected=f"a tier above the base {names[1:]}",
                found=repr(tier),
                kind="",
            )
        if not isinstance(reason, str) or not reason.strip() or reason in CHANGE_REASONS:
            raise InvalidInputError(
                owner,
                "reason",
                expected=f"a reason code other than {list(CHANGE_REASONS)}",
                found=repr(reason),
                kind="",
            )
        start = _event_time(time, self._tz, owner, "time")
        end = _event_time(until, self._tz, owner, "until")
        if _utc(end) <= _utc(start):
            raise InvalidInputError(
                owner,
                "until",
                expected=f"after time {start.isoformat()}",
                found=end.isoformat(),
                kind="",
            )
        ways = None
        if target is not None:
            ways = self._target_ways(target, owner)
        self._advance(start)
        grant = _Grant(start, end, names.index(tier), reason, ways=ways, size=len(self._metrics))
        self._grants.append(grant)
        if ways is not None and all(v <= 0 for _, v in ways):
            self._meet(grant, start)

    def _target_ways(self, target: object, owner: str) -> list[tuple[int, Any]]:
        """A grant's target as ``(metric position, threshold)`` pairs, points in ledger units."""
        if not isinstance(target, Qualification):
            raise InvalidInputError(
                owner, "target", expected="a Qualification or None", found=repr(target), kind=""
            )
        thresholds = target.thresholds()
        unknown = sorted(m for m in thresholds if m not in self._metrics)
        if unknown:
            raise InvalidInputError(
                owner,
                "target",
                expected=f"thresholds on the counters the ladder keeps {list(self._metrics)}",
                found=f"thresholds on {unknown}",
                kind="",
            )
        metrics = self._metrics
        return [
            (metrics.index(m), v * self._scale if m == "points" else v)
            for m, v in thresholds.items()
        ]

    def _count_grants(  # noqa: PLR0917 - as _post
        self,
        time: dt.datetime,
        spend: Decimal,
        points: int,
        orders: int,
        extra: tuple[tuple[str, int], ...],
        origin: dt.datetime | None,
    ) -> None:
        """A posting folded at ``time`` counts toward the targets still waiting (see grant).

        With ``refunds="net"`` toward the met ones too, until their ``until``: a refund
        that takes one below its target undoes its meeting (:meth:`_unmeet`).
        """
        when = time if time.tzinfo is self._tz else self._local(time, "posting.time")
        named = self._named
        net = self._ladder.refunds == "net"
        unmet: list[tuple[dt.datetime, _Grant]] = []
        for grant in self._grants:
            if not grant.counting(when, net) or _utc(when) < _utc(grant.start):
                continue
            if origin is not None and _utc(self._local(origin, "origin")) < _utc(grant.start):
                continue  # a refund of a purchase before the grant
            counts = grant.counts
            counts[0] += spend
            counts[1] += points
            counts[2] += orders
            for name, value in extra:
                index = named.get(name)
                if index is not None:
                    counts[index] += value
            assert grant.ways is not None
            reached = all(counts[i] >= v for i, v in grant.ways)
            if grant.met is None:
                if reached:
                    self._meet(grant, when)
            elif not reached:
                unmet.append((_utc(grant.met), grant))
        # refunds="net": the last met is undone first, as _undo_upgrades takes the latest first.
        for _, grant in sorted(unmet, key=lambda u: u[0], reverse=True):
            self._unmeet(grant, when)

    def _meet(self, grant: _Grant, when: dt.datetime) -> None:
        """``grant``'s target is reached at ``when``: its tier is reached as by an upgrade."""
        grant.met = when
        ladder = self._ladder
        cur, new = self._cur, grant.tier
        if new > cur:
            if ladder.refunds == "net":  # a refund inside the challenge may undo it
                grant.undo = (cur, self._valid_until, self._since, tuple(self._ups))
            self._history.append(
                TierChange(when, ladder.tiers[cur].name, ladder.tiers[new].name, grant.reason)
            )
            if ladder.window == "since_change":
                self._restart(when)  # the level changes: a new qualification period
            self._ups = []  # a refund undoes no upgrade below the tier now held
            self._cur = new
            self._since = when
            self._valid_until = self._upgrade_validity(when)  # above any lifetime floor
            self._pending = None
        elif new == cur and self._valid_until is not None:
            # The tier held is renewed, as by re-qualifying (a due drop is cancelled).
            valid = self._upgrade_validity(when)
            if self._pending is not None or _utc(valid) > _utc(self._valid_until):
                self._valid_until = valid
            self._pending = None

    def _unmeet(self, grant: _Grant, when: dt.datetime) -> None:
        """``refunds="net"``: a refund at ``when`` took ``grant``'s counters below its target.

        The challenge is not met any more (its target counts again until ``until``, and
        the grant holds its tier until then as before it was met), and an upgrade its
        meeting made is undone as a refund undoes an upgrade of the window
        (:meth:`_undo_upgrades`, reason ``"refund"``): back to the tier held before it,
        with that tier's validity and since, never below it; to a tier between when the
        counters still reach one. Only while the fold still holds the tier the meeting
        gave, as it gave it (no change of tier, no grace period since); otherwise, and
        when the meeting only renewed the tier held (a renewal at a posting stands), the
        challenge only counts as not met.
        """
        met, undo = grant.met, grant.undo
        grant.met = grant.undo = None
        assert met is not None
        if undo is None:
            return  # the meeting renewed the tier held, or raised nothing
        if self._cur != grant.tier or self._since != met or self._pending is not None:
            return  # the tier the meeting gave has changed since
        target = max(self._qualify(), self._floor)
        if target >= self._cur:
            return  # the counters support it on their own
        before, before_valid, before_since, saved = undo
        # The upgrades a refund could undo before the meeting, still of the window now.
        if self._ladder.window in SLIDING:
            cut = self._cutoff(when)
            kept = [u for u in saved if u[0] > cut]
        else:
            kept = [u for u in saved if u[0] >= self._wstart]
        self._ups = [*kept, (met, before, before_valid, before_since, grant.tier), *self._ups]
        self._undo_upgrades(when, target)
        valid = self._valid_until
        if valid is not None and valid <= when and self._pending is None:
            # The tier before the meeting ran out meanwhile: its assessment, put off by the
            # met challenge, is made now.
            self._valid_until = when
            self._advance(when)

    def _shown(self) -> tuple[int, list[_Grant]]:
        """The tier held now (the fold's, or a running grant's above it), and the grants holding it.

        The grants are those running at that tier (empty: the fold's tier is above them all).
        """
        cur = self._cur
        if not self._grants:
            return cur, []
        best, holding = 0, []
        now = self._as_of
        for grant in self._grants:
            if grant.runs_at(now):
                if grant.tier > best:
                    best, holding = grant.tier, [grant]
                elif grant.tier == best:
                    holding.append(grant)
        if best < cur:
            return cur, []
        return best, holding

    def _granted_end(
        self, shown: int, holding: list[_Grant], end: dt.datetime | None
    ) -> dt.datetime | None:
        """The end shown of tier ``shown``: the fold's ``end``, or the holding grants' when later.

        A grant above the fold's tier ends the tier shown at its own end; at the fold's
        tier, the later of the two (None, a lifetime floor's open end, stays None).
        """
        if not holding:
            return end
        until = max((g.until for g in holding), key=_utc)
        if shown > self._cur or (end is not None and _utc(until) > _utc(end)):
            return until
        return end

    def _shown_history(self) -> list[TierChange]:
        """The tier changes shown: the fold's, with the grants' (see :meth:`grant`).

        At each instant the fold's tier changes or a grant starts or ends (up to the
        tracker's time), the tier shown is the higher of the fold's and the grants'
        running; a change of the fold's that shows as it is stays the same object.
        """
        history, grants = self._history, self._grants
        if not grants:
            return history
        names = self._ladder.names
        now = _utc(self._as_of)
        marks: dict[dt.datetime, dt.datetime] = {}  # UTC instant -> local time
        for change in history[1:]:
            marks.setdefault(_utc(change.time), change.time)
        for grant in grants:
            for t in (grant.start, grant.until):
                if _utc(t) <= now:
                    marks.setdefault(_utc(t), t)
        out = [history[0]]
        held = shown = names.index(history[0].new)
        i = 1
        for key in sorted(marks):
            local = marks[key]
            granted = max((g.tier for g in grants if g.runs_at(local)), default=0)
            changes: list[TierChange | None] = []
            while i < len(history) and _utc(history[i].time) <= key:
                changes.append(history[i])
                i += 1
            for step in changes or [None]:
                if step is not None:
                    held = names.index(step.new)
                new = max(held, granted)
                if new == shown:
                    continue
                if step is not None and new == held and step.old == names[shown]:
                    out.append(step)  # the fold's change, as it is
                    shown = new
                    continue
                started = [g for g in grants if g.tier == new and _utc(g.start) == key]
                ended = any(_utc(g.until) == key for g in grants)
                if step is not None and new == held:
                    reason = step.reason
                elif started and new > shown:
                    reason = started[-1].reason
                elif step is not None and not ended:
                    reason = step.reason
                else:
                    reason = "grant_end"
                out.append(TierChange(local, names[shown], names[new], reason))
                shown = new
        return out

    # ------------------------------------------------------------ internals

    def _catch_up(self, as_of: dt.datetime | None) -> None:
        """Advance to ``as_of`` (None: stay) and bring the counters up to date there."""
        if as_of is not None:
            self._advance(as_of)
        if self._ladder.window in SLIDING:
            # Postings are dropped lazily (on the next posting or assessment): drop those
            # that left the window by now, so the counters and ``missing`` are current.
            self._prune(self._as_of)

    def _local(self, value: object, field: str) -> dt.datetime:
        if isinstance(value, dt.datetime):
            if value.tzinfo is self._tz:
                return value
            if value.tzinfo is dt.UTC and type(value) is dt.datetime:  # the ledger's instants
                return value.astimezone(self._tz)
        return local_time(value, self._tz, "TierTracker", field)

    def _qualify(self) -> int:
        """The highest tier the window's counters reach by its ways (:func:`_highest`)."""
        return _highest(self._ways, self._counts)

    def _validity_from(self, t: dt.datetime) -> dt.datetime:
        ladder = self._ladder
        extra = ladder.validity_extra_months
        if ladder.window == "rolling_calendar_months":
            # Through the end of the month ``window_months * validity_windows`` after t's.
            months = ladder.window_months * ladder.validity_windows + extra + 1
            return midnight(add_months(dt.date(t.year, t.month, 1), months), self._tz)
        if ladder.window in ("rolling", "since_change"):
            months = ladder.window_months * ladder.validity_windows + extra
            return _months_later(t if ladder.window == "rolling" else self._wstart, months)
        cache = self._vcache
        if cache is not None and cache[0] <= t < cache[1]:
            return cache[2]
        if ladder.window == "calendar_year":
            cache = self._year(ladder._year_of(t))
        else:
            cache = self._validity_of(t)
        self._vcache = cache
        return cache[2]

    def _validity_of(self, t: dt.datetime) -> tuple[dt.datetime, dt.datetime, dt.datetime]:
        """The window containing local instant ``t`` and the validity a tier reached in it gets."""
        ladder = self._ladder
        start, end = ladder._window(self._anchor, t, self._tz)
        assert end is not None
        valid = end
        for _ in range(ladder.validity_windows):
            _, nxt = ladder._window(self._anchor, valid, self._tz)
            assert nxt is not None
            valid = nxt
        if ladder.validity_extra_months:
            valid = midnight(add_months(valid.date(), ladder.validity_extra_months), self._tz)
        return start, end, valid

    def _year(self, year: int) -> tuple[dt.datetime, dt.datetime, dt.datetime]:
        """:meth:`_validity_of` the qualification year ``year`` (``window="calendar_year"``).

        The year from local midnight on the 1st of ``year_start_month`` of ``year``.

        Shared by the ladder's trackers in the same zone: nothing else changes it.
        """
        key = (self._tz, year)
        found: tuple[dt.datetime, dt.datetime, dt.datetime] | None = self._years.get(key)
        if found is None:
            found = self._years.setdefault(
                key,
                self._validity_of(
                    midnight(dt.date(year, self._ladder.year_start_month, 1), self._tz)
                ),
            )
        return found

    def _cutoff(self, when: dt.datetime) -> dt.datetime:
        """The last instant a posting is out of the sliding window containing ``when``.

        Activity before a start over (``downgrade="to_base"``, :meth:`_start_over`) is out.
        """
        start, _ = self._ladder._window(self._anchor, when, self._tz)
        # "rolling" is (start, when]; "rolling_calendar_months" is [start, when].
        cut = start if self._ladder.window == "rolling" else start - _MICRO
        restarted = self._restarted
        if restarted is not None and restarted - _MICRO > cut:
            return restarted - _MICRO
        return cut

    def _start_over(self, when: dt.datetime) -> None:
        """``downgrade="to_base"`` decided at ``when``: the counters start over from zero.

        "Requalify or start over": what the window held at the decision reaches no tier
        afterwards, as a calendar year's counters start over at its end (Starbucks: "300
        new Stars"). Sliding windows drop every posting before ``when``; a fixed window
        whose validity ends within it (``validity_extra_months``) restarts its counters at
        ``when`` (its end and length unchanged); at a fixed window's end, or on a
        ``since_change`` period (restarted at the drop), they start over anyway.
        """
        ladder = self._ladder
        if ladder.window == "since_change":
            return
        if ladder.window in SLIDING:
            self._restarted = when
            self._prune(when)
        elif self._wend is not None and when < self._wend:
            self._restarted = when
            self._counts = _zeros(len(self._metrics))
            self._carried = None

    def _prune(self, when: dt.datetime) -> None:
        """Drop sliding-window postings that left the window containing ``when``."""
        start = self._cutoff(when)
        recent = self._recent
        counts = self._counts
        if self._ups and self._ups[0][0] <= start:
            self._ups = [u for u in self._ups if u[0] > start]
        if self._older is not None:
            self._prune_lagged(when, start)
            return
        while recent and recent[0][0] <= start:
            _, spend, points, orders, named = recent.popleft()
            counts[0] -= spend
            counts[1] -= points
            counts[2] -= orders
            for index, value in named:
                counts[index] -= value

    def _prune_lagged(self, when: dt.datetime, start: dt.datetime) -> None:
        """:meth:`_prune` with ``assessment_lag_months``: what leaves the window is kept apart.

        Postings that leave the window (at or before ``start``) move to :attr:`_older`,
        which keeps them while a lagged window may read them (the window ending
        ``assessment_lag_months`` before an assessment at ``when`` or later).
        """
        recent, older, counts = self._recent, self._older, self._counts
        assert older is not None
        while recent and recent[0][0] <= start:
            entry = recent.popleft()
            _, spend, points, orders, named = entry
            counts[0] -= spend
            counts[1] -= points
            counts[2] -= orders
            for index, value in named:
                counts[index] -= value
            older.append(entry)
        lagged = self._cutoff(_months_later(when, -self._ladder.assessment_lag_months) - _MICRO)
        while older and older[0][0] <= lagged:
            older.popleft()

    def advance(self, to: dt.datetime) -> None:
        """Move forward to instant ``to``: window ends and due downgrades up to and at ``to``.

        Examples:
            >>> import datetime as dt
            >>> ladder = TierLadder(tiers=[Tier(name="m"), Tier(name="g", orders=1)])
            >>> t = ladder.tracker(dt.datetime(2024, 1, 1), timezone="UTC")
            >>> t.post(QualifyingPosting(dt.datetime(2024, 5, 1), orders=1))
            >>> t.advance(dt.datetime(2025, 12, 31)); t.tier
            'g'
            >>> t.advance(dt.datetime(2026, 1, 1)); t.tier
            'm'

        Raises:
            InvalidInputError: ``to`` before the tracker's time, or outside the years 1000
                up to 9000.
        """
        self._advance(_event_time(to, self._tz, "TierTracker.advance()", "to"))

    def _advance(self, to: dt.datetime) -> None:
        """:meth:`advance` to an instant already read (the fold's and the entry points' own)."""
        target = self._local(to, "to")
        # Local times of one zone compare as clock times: in the hour a zone's clocks go
        # back, a later instant can read earlier. Refused: before on the clock and in time.
        if target < self._as_of and target.astimezone(dt.UTC) < self._as_of.astimezone(dt.UTC):
            raise InvalidInputError(
                "TierTracker.advance()",
                "to",
                expected=f"not before the tracker's time {self._as_of.isoformat()}",
                found=target.isoformat(),
                kind="",
                hint="Apply postings in time order; TierLadder.evaluate() sorts them.",
            )
        while True:
            best: dt.datetime | None = None
            what = -1
            if self._wend is not None and self._wend <= target:
                best, what = self._wend, 0
            valid = self._valid_until
            if (
                self._pending is None
                and valid is not None
                and valid <= target
                and (best is None or valid < best)
            ):
                best, what = valid, 1
            pending = self._pending
            if pending is not None and pending[0] <= target and (best is None or pending[0] < best):
                best, what = pending[0], 2
            if best is None:
                break
            if what == 0:
                self._roll(best)
            elif what == 1:
                self._validity_ends(best)
            else:
                self._downgrade(best)
        self._as_of = target

    def _roll(self, when: dt.datetime) -> None:
        # A validity ending on the window's end is judged on the ended window's counters.
        kept = 0
        if self._pending is None and self._valid_until is not None and self._valid_until <= when:
            before = self._cur
            self._validity_ends(when)
            if self._ladder.rollover_on == "upgrade_or_keep" and self._cur == before:
                kept = before  # the level is kept: its thresholds offset the counters
        ladder = self._ladder
        if self._keeps is not None:
            self._keep_at_end(when)
        if ladder.window != "since_change":
            self._earn(when)
        old, old_in = self._counts, self._carried
        self._carried = None
        # A fixed window's end (calendar, member year): what the window's counters hold
        # above the thresholds of the tier they reach starts the next window (IHG's
        # rollover nights), measured before the counters restart.
        # (since_change: the surplus rolls over on a change of level, in _restart.)
        fixed = ladder.rollover != "none" and ladder.window != "since_change"
        reached = self._qualify() if fixed else 0
        self._wstart, self._wend = ladder._window(self._anchor, when, self._tz)
        self._counts = fresh = _zeros(len(self._metrics))
        self._ups = []
        self._reopen = None
        if kept and self._pending is None:
            # The thresholds it was kept on: a keep way (Tier.keep) first, else a way up.
            ways = self._ways[kept] if self._keeps is None else self._keeps[kept] + self._ways[kept]
            way = next((w for w in ways if all(old[i] >= v for i, v in w)), None)
            if way is not None:
                self._carry(old, fresh, way, old_in, kept)
        elif reached and self._carry(old, fresh, self._checks[reached], old_in, reached):
            # What rolled over counts in the new window as a posting at its start.
            self._settle(when, negative=False)

    def _earn(self, when: dt.datetime) -> None:
        """At the end (``when``) of a fixed window: keep the lower tier its counters reached.

        A tier reached in a window holds through its own validity, whatever the tier held
        meanwhile: when the held tier's validity runs on past the window's end
        (``validity_windows`` > 1, ``validity_extra_months``), the tier the ended window
        reached below it is kept with the validity it earns, for the assessment at the
        held tier's end (:meth:`_earned_at`); the ended window's counters are gone by then.
        Not with ``downgrade="to_base"`` ("requalify or start over").
        """
        earned = self._earned
        if earned and earned[0][0] <= when:
            earned = tuple(e for e in earned if e[0] > when)
        valid = self._valid_until
        cur = self._cur
        if (
            cur
            and self._pending is None
            and valid is not None
            and valid > when
            and self._ladder.downgrade != "to_base"
        ):
            reached = self._qualify()
            if 0 < reached < cur:
                until = self._validity_from(when - _MICRO)
                if until > valid:
                    earned = (*earned, (until, reached))
        self._earned = earned

    def _earned_at(self, when: dt.datetime) -> tuple[int, dt.datetime | None]:
        """The highest tier :meth:`_earn` kept that still holds at ``when``, and its end.

        ``(0, None)``: none (always with ``downgrade="to_base"``).
        """
        best = 0
        until: dt.datetime | None = None
        if self._ladder.downgrade == "to_base":
            return best, until
        for valid, tier in self._earned:
            if valid > when and (
                tier > best or (tier == best and until is not None and valid > until)
            ):
                best, until = tier, valid
        return best, until

    def _kept(self, counts: list[Any]) -> bool:
        """Whether ``counts`` reach a keep way (:attr:`Tier.keep`) of the tier held."""
        keeps = self._keeps
        if keeps is None or not keeps[self._cur]:
            return False
        return any(all(counts[i] >= v for i, v in way) for way in keeps[self._cur])

    def _keep_at_end(self, when: dt.datetime) -> None:
        """At the end (``when``) of a fixed window: a keep way reached renews the tier held.

        What a re-qualification for the tier held does at the posting (:meth:`_settle`), a
        keep way does at the end of the window whose counters reach it: the validity runs
        from that window, when that is later (``validity_windows`` > 1,
        ``validity_extra_months``: the held tier's assessment comes after the window's end,
        when its counters are gone).
        """
        valid = self._valid_until
        if (
            self._cur
            and self._pending is None
            and valid is not None
            and valid > when
            and self._kept(self._counts)
        ):
            until = self._validity_from(when - _MICRO)
            if until > valid:
                self._valid_until = until

    def _validity_ends(self, when: dt.datetime) -> None:
        self._ups = []
        ladder = self._ladder
        if ladder.window == "rolling":
            self._prune(when)
        elif ladder.window == "rolling_calendar_months":
            # A validity ends at a month's start: judged on the months that just ended.
            self._prune(when - _MICRO)
        cur = self._cur
        if ladder.assessment_lag_months:
            self._assess_lagged(when)
            return
        qualified = self._qualify()
        if qualified < cur and self._kept(self._counts):
            qualified = cur  # a keep way (Tier.keep) keeps the tier held
        self._assessed(when, qualified)

    def _assessed(self, when: dt.datetime, qualified: int) -> None:
        """Keep the tier held, or drop it (now, or after ``grace_days``), at the assessment.

        ``qualified`` is the tier the counters the assessment at ``when`` reads reach (the
        tier held when they reach one of its keep ways).
        """
        ladder, cur = self._ladder, self._cur
        new = max(ladder._assess_index(cur, qualified), self._floor)
        if new >= cur:
            lifetime_hold = cur <= self._floor and bool(ladder.lifetime)
            if lifetime_hold:
                self._valid_until = None
            elif ladder.window == "since_change":  # kept: held through the next period(s)
                months = ladder.window_months * ladder.validity_windows
                self._valid_until = _months_later(when, months + ladder.validity_extra_months)
            else:
                # Rolling: 12 months (say) from the assessment's instant; windows with
                # ends: the validity a tier reached in the window just ended gets.
                rolling = ladder.window == "rolling"
                self._valid_until = self._validity_from(when if rolling else when - _MICRO)
            return
        # A lower tier reached in an earlier window, still valid, is a floor to land on.
        new = max(new, self._earned_at(when)[0])
        if ladder.downgrade == "to_base":
            self._start_over(when)
        if ladder.grace_days:
            self._pending = (when + dt.timedelta(days=ladder.grace_days), new)
            return
        self._pending = (when, new)
        self._downgrade(when)

    def _assess_lagged(self, when: dt.datetime) -> None:
        """The assessment at ``when`` with ``assessment_lag_months``.

        It reads the window that ended that many months before (Air China: "自当前贵宾有效期
        截止月的前1个月起的前连续12个整月", July 2025 - June 2026 for a validity ending in
        July 2026). Then the upgrade rule reads the window of ``when`` itself, as at a
        posting: postings of the lag months the assessment did not read still count toward
        a tier above the one it left the member on.
        """
        counts = self._counts_at(self._assessed_at(when))
        qualified = _highest(self._ways, counts)
        if qualified < self._cur and self._kept(counts):
            qualified = self._cur  # a keep way (Tier.keep) keeps the tier held
        self._assessed(when, qualified)
        self._prune(when)
        self._settle(when, negative=False)

    def _grace_read(self, end: dt.datetime) -> dt.datetime:
        """The instant whose window a grace period's end at ``end`` reads (and renews from).

        ``end`` itself, but with ``"rolling_calendar_months"`` an end at a month's start
        reads the months that ended, as an assessment does (:meth:`_validity_ends`): the
        last instant before it (the same month otherwise).
        """
        return end - _MICRO if self._ladder.window == "rolling_calendar_months" else end

    def _upgrade_validity(self, t: dt.datetime) -> dt.datetime:
        """The validity of a tier reached at ``t`` by its ways up (upgrade, renewal at a posting).

        ``upgrade_validity_months`` when set, else :meth:`_validity_from`.
        """
        ladder = self._ladder
        months = ladder.upgrade_validity_months
        if months is None:
            return self._validity_from(t)
        if ladder.window == "rolling":
            return _months_later(t, months)
        # "自升级当月起24个月有效": the month of ``t`` is the first of ``months``.
        return midnight(add_months(dt.date(t.year, t.month, 1), months), self._tz)

    def _downgrade(self, when: dt.datetime) -> None:
        assert self._pending is not None
        self._ups = []
        ladder = self._ladder
        landed = self._pending[1]
        self._pending = None
        read = self._grace_read(when)
        if ladder.window in SLIDING:
            self._prune(read)
        if ladder.grace_days:
            # Counters gathered during the grace period count: land no lower than they support.
            landed = max(landed, self._qualify())
            if landed < self._cur and self._kept(self._counts):
                landed = self._cur  # a keep way reached meanwhile keeps the tier
        if landed >= self._cur:
            self._valid_until = self._validity_from(read)
            return
        if ladder.window == "since_change":
            self._restart(when)  # the level changes: a new qualification period
        if landed == 0:
            valid = None
        elif ladder.window == "since_change":
            valid = self._validity_from(when)
        else:
            # A tier landed on at the end of window W holds through window W + validity;
            # the decision was taken at the end of W, ``grace_days`` before ``when``.
            decided = when - dt.timedelta(days=ladder.grace_days)
            # Rolling: from the decision's instant (as a kept tier, _validity_ends).
            valid = self._validity_from(decided if ladder.window == "rolling" else decided - _MICRO)
            earned, until = self._earned_at(when)
            if earned == landed and until is not None:
                # Landed on a lower tier an earlier window reached (not on what the
                # assessment gives now): it holds on its own validity.
                now = max(ladder._assess_index(self._cur, self._qualify()), self._floor)
                if now < landed:
                    valid = until
        self._history.append(
            TierChange(when, ladder.tiers[self._cur].name, ladder.tiers[landed].name, "downgrade")
        )
        self._cur = landed
        self._since = when
        self._valid_until = valid

    def post(self, posting: QualifyingPosting) -> None:
        """Apply one qualifying posting (after advancing to its time); upgrades at once.

        Examples:
            >>> import datetime as dt
            >>> ladder = TierLadder(tiers=[Tier(name="m"), Tier(name="g", spend="100")])
            >>> t = ladder.tracker(dt.datetime(2025, 1, 1), timezone="UTC")
            >>> t.post(QualifyingPosting(dt.datetime(2025, 1, 2), spend="100")); t.tier
            'g'

        Raises:
            InvalidInputError: Not a :class:`QualifyingPosting`; its time before the
                tracker's, or a time outside the years 1000 up to 9000.
        """
        owner = "TierTracker.post()"
        if not isinstance(posting, QualifyingPosting):
            raise InvalidInputError(
                owner,
                "posting",
                expected="a QualifyingPosting",
                found=type(posting).__name__,
                kind="",
            )
        when = _event_time(posting.time, self._tz, owner, "posting.time")
        origin = None
        if posting.reverses is not None:
            origin = _event_time(posting.reverses, self._tz, owner, "posting.reverses")
        self._post(
            when,
            posting.spend,
            posting.points,
            posting.orders,
            tuple(posting.counts.items()),
            origin,
        )

    def _post(  # noqa: PLR0917 - the ledger's fold calls it positionally, once per posting
        self,
        time: dt.datetime,
        spend: Decimal,
        points: int,
        orders: int,
        extra: tuple[tuple[str, int], ...] = (),
        origin: dt.datetime | None = None,
    ) -> None:
        """:meth:`post` of checked values (the ledger's fold calls it with aware instants).

        ``extra`` are named activity counts; those no tier of the ladder uses are ignored.
        ``origin`` is, for a refund, the time of the purchase it reverses. The posting
        counts toward the targets of the grants waiting for theirs (:meth:`grant`) too.
        """
        self._fold_post(time, spend, points, orders, extra, origin)
        if self._grants:
            self._count_grants(time, spend, points, orders, extra, origin)

    def _fold_post(  # noqa: PLR0917 - as _post
        self,
        time: dt.datetime,
        spend: Decimal,
        points: int,
        orders: int,
        extra: tuple[tuple[str, int], ...] = (),
        origin: dt.datetime | None = None,
    ) -> None:
        """:meth:`_post` to the fold of the counters (the grants' targets aside)."""
        when = time if time.tzinfo is self._tz else self._local(time, "posting.time")
        wend, valid = self._wend, self._valid_until
        if (
            self._pending is None
            and (wend is None or when < wend)
            and (valid is None or when < valid)
            and when >= self._as_of
        ):
            self._as_of = when  # nothing falls due before ``when`` (see advance)
        else:
            self._advance(when)
        ladder = self._ladder
        life = self._lifetime
        life[0] += spend
        life[1] += points
        life[2] += orders
        named: tuple[tuple[int, int], ...] = ()
        if extra and self._named:
            named = tuple((self._named[k], v) for k, v in extra if k in self._named)
            for index, value in named:
                life[index] += value
        # Rule 8: a refund counts in the window of the purchase it reverses.
        counted_at = when
        if origin is not None and ladder.refunds != "posted":
            counted_at = origin if origin.tzinfo is self._tz else self._local(origin, "origin")
            if ladder.window in SLIDING:
                if counted_at <= self._cutoff(when):
                    if self._older is not None:  # a lagged window may still read it
                        entry = (counted_at, spend, points, orders, named)
                        bisect.insort(self._older, entry, key=lambda e: e[0])
                    return  # the purchase has left the rolling window already
            elif self._reopen is not None and self._reopen.start <= counted_at <= self._reopen.at:
                # In the period an upgrade ended (the upgrading purchase itself too).
                self._refund_ended(when, spend, points, orders, named)
                return
            elif counted_at < self._wstart or (
                self._restarted is not None and counted_at < self._restarted
            ):
                return  # the purchase's window has closed (or started over): it stands
        counts = self._counts
        counts[0] += spend
        counts[1] += points
        counts[2] += orders
        for index, value in named:
            counts[index] += value
        if ladder.window in SLIDING:
            entry = (counted_at, spend, points, orders, named)
            if counted_at < when:
                bisect.insort(self._recent, entry, key=lambda e: e[0])
            else:
                self._recent.append(entry)
            self._prune(when)
        # A refund takes away from any counter the ladder uses, named counts included (a
        # stay's nights refunded alone).
        negative = spend < 0 or points < 0 or orders < 0 or any(v < 0 for _, v in named)
        self._settle(when, negative)

    def _settle(self, when: dt.datetime, negative: bool) -> None:
        """The tier after a posting at ``when`` changed the counters (``negative``: it took away).

        Upgrades (and lifetime floors), re-qualification, and with ``refunds="net"`` the
        undoing of upgrades a refund took the counters below.
        """
        ladder = self._ladder
        counts = self._counts
        cur = self._cur
        single = self._single
        if single is not None:
            qualified = 0
            for index, metric, value in single:
                if counts[metric] >= value:
                    qualified = index
                    break
        else:
            qualified = _highest(self._ways, counts)
        life = self._lifetime
        for index, checks in self._life_checks:
            if index > self._floor and _reached_ways(checks, life):
                self._floor = index
        floor = self._floor
        left = None
        if qualified > cur and ladder.climb == "one_level":
            qualified, left = self._climb(cur)
        if qualified > cur or floor > cur:
            new = max(qualified, floor)
            reason = "upgrade" if qualified >= floor else "lifetime"
            self._history.append(
                TierChange(when, ladder.tiers[cur].name, ladder.tiers[new].name, reason)
            )
            if ladder.refunds == "net":
                self._ups.append((when, cur, self._valid_until, self._since, new))
            ended = (self._wstart, self._wend, tuple(self._counts), self._carried)
            if left is not None and new == qualified:
                # One level at a time: what is left after the last level's thresholds.
                old_in = self._carried
                self._restart(when)
                if ladder.rollover == "surplus":
                    every = [(i, 0) for i in range(len(left))]
                    self._carry(left, self._counts, every, old_in, new)
            elif ladder.window == "since_change":
                self._restart(when, new)
            if ladder.window == "since_change" and ladder.refunds != "posted":
                # The upgrade belongs to the period it ended: only a refund of a purchase
                # in that period can undo it (_refund_ended), not one in the new period.
                climbed = cur if left is not None and new == qualified else None
                up = self._ups.pop() if self._ups else None
                self._ups = []
                self._reopen = _Ended(when, *ended, self._carried, new, climbed, up)
            self._cur = new
            self._since = when
            self._valid_until = None if new <= floor else self._upgrade_validity(when)
            self._pending = None
        elif 0 < cur <= floor:
            self._valid_until = None
            self._pending = None
        elif cur > 0 and qualified == cur and ladder.renew == "posting" and not negative:
            # Re-qualified: the validity runs from this window; a due drop is cancelled. A
            # posting that takes away (a refund) reaches nothing again: it renews nothing.
            valid = self._upgrade_validity(when)
            if self._valid_until is None or valid > self._valid_until:
                self._valid_until = valid
            self._pending = None
        elif qualified < cur and self._ups and negative:
            self._undo_upgrades(when, max(qualified, floor))

    def _gate(self, now: dt.datetime | None = None) -> tuple[Any, ...] | None:
        """The bounds within which a plain posting only adds to the counters (:meth:`_post_many`).

        A *plain* posting has no named count the ladder uses and no refund origin the
        ladder reads. On a ladder of one metric with thresholds increasing (``_mono``),
        while nothing falls due (no pending downgrade, the posting inside the window and
        the validity, not before the tracker's time), :meth:`_settle` changes nothing as
        long as the metric's counter stays below ``upper``: the threshold of the tier above
        the one held when the tier held has re-qualified in this window (or is the base),
        else the threshold of the tier held. Below it the counters reach no tier above
        the one held, and reaching the tier held again re-qualifies it for the validity
        it already has; a negative posting may undo upgrades of the window
        (``refunds="net"``): with such upgrades, ``neg`` sends those through :meth:`_post`.

        Instants compare in UTC, :data:`_MARGIN` away from the window's start and end and
        from the validity's end, where local clock times (what :meth:`_post` compares)
        could be in another order than the instants. ``now`` is the tracker's time as an
        aware instant, when the caller knows it.

        Returns ``(start, horizon, metric, upper, neg)``, or None: post one by one.
        """
        mono = self._mono
        if mono is None or self._pending is not None:
            return None
        if self._grants:
            at = now if now is not None and now.tzinfo is not None else self._as_of
            net = self._ladder.refunds == "net"
            if any(g.counting(at, net) for g in self._grants):
                return None  # a grant's target counts every posting (_count_grants)
        metric, steps = mono
        cur = self._cur
        valid = self._valid_until
        # What re-qualifying gives is one instant for the whole window (calendar and
        # anniversary windows: the window's; since_change: its start's), so its start's.
        if cur and (valid is None or self._validity_from(self._wstart) > valid):
            upper = steps[cur - 1]  # reaching the tier held re-qualifies it: settle
        else:
            upper = steps[cur] if cur < len(steps) else _TOP[metric != 0]
        wend, wstart = self._wend, self._wstart
        bounds = self._bounds  # the instants of the last bounds, while they hold
        if (
            bounds is None
            or bounds[0] is not wend
            or bounds[1] is not valid
            or bounds[2] is not wstart
        ):
            horizon = _FAR_UTC
            try:
                for bound in (wend, valid):
                    if bound is not None:
                        horizon = min(horizon, bound.astimezone(dt.UTC) - _MARGIN)
                begun = wstart.astimezone(dt.UTC) + _MARGIN
            except OverflowError:  # at the ends of the datetime range: one by one
                return None
            bounds = self._bounds = (wend, valid, wstart, horizon, begun)
        if now is None or now.tzinfo is None:
            now = self._as_of.astimezone(dt.UTC)
        return max(now, bounds[4]), bounds[3], metric, upper, bool(self._ups)

    def _post_many(
        self,
        postings: Sequence[tuple[dt.datetime, Decimal, int, int, tuple[Any, ...], Any]],
    ) -> None:
        """:meth:`_post` of each of the ledger's qualifying tuples, in order: the same state.

        ``postings`` are ``(time, spend, points, orders, named counts, origin)`` with aware
        instants (the ledger's, in UTC). A plain posting inside the bounds of
        :meth:`_gate` only adds to the counters (what :meth:`_post` does with it); one that
        takes the counters across a tier's threshold is settled (:meth:`_settle`) and any
        other goes through :meth:`_post`. Local times are built only for those.
        """
        if len(postings) < 2:  # what the bounds would save does not pay for them
            for time, spent, earned, ordered, extra, origin in postings:
                self._post(time, spent, earned, ordered, extra, origin)
            return
        tz = self._tz
        origin_read = self._ladder.refunds != "posted"
        named = bool(self._named)
        rest = iter(postings)
        now: dt.datetime | None = None
        while True:
            gate = self._gate(now)
            start, horizon, metric, upper, neg = gate or _CLOSED
            counts, life = self._counts, self._lifetime
            spend, points, orders = counts[0], counts[1], counts[2]
            # Lifetime spend adds up posting by posting as in _post (a Decimal sum is exact
            # only within the context's precision), unless it is the very object the
            # window's spend is (the same sums then); whole counts add up in one step.
            spend_life = life[0]
            twin = spend_life is spend
            points_from, orders_from = points, orders
            last: dt.datetime | None = None
            crossed = done = False
            for time, spent, earned, ordered, extra, origin in rest:
                if (
                    start <= time < horizon
                    and (origin is None or not origin_read)
                    and not (extra and named)
                    and not (neg and (spent < 0 or earned < 0 or ordered < 0))
                ):
                    start = last = time  # the tracker's time moves on
                    if not twin:
                        spend_life += spent
                    spend += spent
                    points += earned
                    orders += ordered
                    if (spend if metric == 0 else points if metric == 1 else orders) < upper:
                        continue
                    crossed = True
                break
            else:
                done = True
            if gate is not None:  # the counters and the time, as _post would have left them
                counts[0], counts[1], counts[2] = spend, points, orders
                life[0] = spend if twin else spend_life
                life[1] += points - points_from
                life[2] += orders - orders_from
                if last is not None:
                    self._as_of = last.astimezone(tz)
            if done:
                return
            if crossed:
                self._settle(self._as_of, spent < 0 or earned < 0 or ordered < 0)
            else:
                self._post(time, spent, earned, ordered, extra, origin)
            now = time

    def _restart(self, when: dt.datetime, reached: int | None = None) -> None:
        """``window="since_change"``: a new qualification period starts at ``when``.

        On an upgrade to tier ``reached`` with ``rollover="surplus"`` the counters keep what
        they hold above that tier's thresholds (capped); otherwise they start at 0.
        """
        ladder = self._ladder
        old, old_in = self._counts, self._carried
        self._carried = None
        self._wstart, self._wend = when, _months_later(when, ladder.window_months)
        self._counts = fresh = _zeros(len(self._metrics))
        self._vcache = None
        self._reopen = None
        if reached is None or ladder.rollover == "none":
            return
        self._carry(old, fresh, self._checks[reached], old_in, reached)

    def _carry(
        self,
        old: list[Any],
        fresh: list[Any],
        thresholds: list[tuple[int, Any]],
        old_in: list[Any] | None,
        level: int,
    ) -> bool:
        """``rollover="surplus"``: what ``old`` holds above ``thresholds`` goes to ``fresh``.

        ``level`` is the tier the thresholds are of (nothing rolls over below the ladder's
        ``rollover_from``); only the ``rollover_metrics`` roll over (all when empty). With
        ``rollover_once``, what rolled into the ended window (``old_in``) is no part of
        its surplus. What rolls over is kept as :attr:`_carried`; True when anything did.
        """
        ladder = self._ladder
        self._carried = None
        if ladder.rollover_from is not None and level < ladder.rank(ladder.rollover_from):
            return False
        cap = ladder.rollover_cap
        rolls = ladder.rollover_metrics
        once = ladder.rollover_once and old_in is not None
        carried: list[Any] | None = None
        for index, threshold in thresholds:
            if rolls and self._metrics[index] not in rolls:
                continue
            surplus = old[index] - threshold
            if once:
                assert old_in is not None
                surplus -= old_in[index]
            if surplus > 0:
                if cap is not None:
                    limit = cap * self._scale if self._metrics[index] == "points" else cap
                    surplus = min(surplus, limit)
                fresh[index] = surplus
                if carried is None:
                    carried = _zeros(len(fresh))
                carried[index] = surplus
        self._carried = carried
        return carried is not None

    def _climb(self, cur: int) -> tuple[int, list[Any]]:
        """``climb="one_level"``: the tier reached a level at a time, and what is left.

        Each level's thresholds (the first of its ways the counters reach) are taken from
        the counters before the next level is tried.
        """
        left = list(self._counts)
        top = len(self._ways) - 1
        new = cur
        while new < top:
            way = next((w for w in self._ways[new + 1] if all(left[i] >= v for i, v in w)), None)
            if way is None:
                break
            new += 1
            for index, threshold in way:
                left[index] -= threshold
        return new, left

    def _refund_ended(
        self,
        when: dt.datetime,
        spend: Decimal,
        points: int,
        orders: int,
        named: tuple[tuple[int, int], ...],
    ) -> None:
        """A refund of a purchase in the ``since_change`` period an upgrade ended.

        With ``refunds="purchase_window"`` it stands: the purchase's period is over. With
        ``"net"``, while that period would still run, the tier follows net purchases as if
        the refunded purchase had never been bought: when that period's counters less the
        refund (and plus what was posted since the upgrade, which would have counted in
        it) no longer reach the tier the upgrade reached, the upgrade is undone and the
        period it ended runs on with those counters; otherwise the upgrade stands and
        only the surplus it rolled over shrinks.
        """
        ladder = self._ladder
        reopen = self._reopen
        assert reopen is not None
        _, wstart, wend, ended, ended_in, carried, reached, climbed, up = reopen
        if ladder.refunds != "net" or (wend is not None and when >= wend):
            return  # the purchase's period is over: the refund stands
        old = list(ended)
        old[0] += spend
        old[1] += points
        old[2] += orders
        for index, value in named:
            old[index] += value
        carry = carried or _zeros(len(old))
        restored = [o + c - k for o, c, k in zip(old, self._counts, carry, strict=True)]
        if max(_highest(self._ways, restored), self._floor) < reached:
            # As never bought: the period the upgrade ended runs on, the upgrade undone.
            self._wstart, self._wend = wstart, wend
            self._counts = restored
            self._carried = ended_in
            self._vcache = None
            self._reopen = None
            self._ups = [] if up is None else [up]
            self._settle(when, negative=True)
            return
        if carried is None and ladder.rollover == "none":
            self._reopen = reopen._replace(counts=tuple(old))
            return
        # The upgrade stands on less: what rolled over is measured again.
        if climbed is not None:
            saved = self._counts
            self._counts = old
            _, left = self._climb(climbed)
            self._counts = saved
            fresh = _zeros(len(old))
            self._carry(left, fresh, [(i, 0) for i in range(len(old))], ended_in, reached)
        else:
            fresh = _zeros(len(old))
            self._carry(old, fresh, self._checks[reached], ended_in, reached)
        now = self._carried or _zeros(len(old))
        self._counts = [c - k + n for c, k, n in zip(self._counts, carry, now, strict=True)]
        self._reopen = reopen._replace(counts=tuple(old), rolled_out=self._carried)

    def _undo_upgrades(self, when: dt.datetime, target: int) -> None:
        """``refunds="net"``: a refund took the counters below upgrades of this window."""
        ups = self._ups
        undone = None
        while ups and ups[-1][4] > target:
            undone = ups.pop()
        if undone is None:
            return
        _, before, before_valid, before_since, _ = undone
        cur = self._cur
        if target <= before:
            new, valid, since = before, before_valid, before_since
        else:  # the counters still reach a tier between: held as if reached now
            new, valid, since = target, self._upgrade_validity(when), when
            ups.append((when, before, before_valid, before_since, target))
        ladder = self._ladder
        self._history.append(
            TierChange(when, ladder.tiers[cur].name, ladder.tiers[new].name, "refund")
        )
        self._cur = new
        self._since = since
        self._valid_until = valid
