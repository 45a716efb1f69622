"""Milestone bonuses: points credited when a tier counter of the window crosses a mark.

A :class:`Milestone` is a rule of a :class:`~crmkit.loyalty.Program` (``milestones=``):
bonus points of the primary point currency, credited when a qualifying counter of the
primary tier ladder's window (spend, points, orders or a named count such as nights;
what :attr:`~crmkit.loyalty.TierStatus.counters` shows) reaches a mark. The counters
start over with the window, and so do the milestones: each mark is awarded at most once
per window. The ledger's fold credits the bonus as a lot of its own at the instant of the
qualifying posting that reaches the mark (an order, a status-credit adjustment, or
pending points becoming available); its earn rule is the milestone's ``id``.

Refunds: a bonus stands once credited. A refund that takes the counter back below a mark
takes nothing back, and reaching the mark again in the same window awards nothing more
(Hilton's terms say nothing of refunds; a bonus taken back would need the ladder's
``refunds`` rule to decide in which window it counted, which the published terms never
do). Take a bonus back by hand with a negative :class:`~crmkit.loyalty.Adjust`.

Milestone bonuses are not qualifying: they never move the counters they are counted on.
"""

from __future__ import annotations

import bisect
import itertools
from decimal import Decimal
from typing import Any

import attrs

from crmkit._spec import Seq, Spec, as_tuple, each, field, predicate, whole
from crmkit.errors import ConfigError

__all__ = ["Milestone", "check_milestones"]

_OWNER = "Milestone"


def _increasing(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if not all(a < b for a, b in itertools.pairwise(value)):
        raise ConfigError(
            _OWNER, attribute.name, expected="strictly increasing marks", found=repr(list(value))
        )


def _text(value: object) -> bool:
    return isinstance(value, str) and value != ""


@attrs.frozen
class Milestone(Spec):
    """Bonus points each time a window counter of the tier ladder reaches a mark.

    Give either ``every`` (marks ``after + every``, ``after + 2 * every``, ...) or ``marks``
    (a fixed list of marks), not both. The counter is the primary ladder's
    :attr:`~crmkit.loyalty.TierStatus.counters` entry ``metric``: ``"spend"`` (money),
    ``"points"`` (qualifying points, in points), ``"orders"``, or a named count the ladder
    keeps (``"nights"``); it restarts with the ladder's window, and each mark is awarded
    once per window.

    References:
        Hilton Honors terms (2018): "10,000 Hilton Honors Bonus Points at 40 eligible
        nights and 10,000 Hilton Honors Bonus Points for every 10 additional eligible
        nights thereafter during a calendar year", and "an additional 30,000 ... on
        their 60th eligible night" (``every=10, after=30`` and ``marks=(60,)``).
        Qantas Frequent Flyer: "a Loyalty Bonus of 8,000 Qantas Points for every 500
        Status Credits earned ... within a single membership year - up to a maximum of
        four Loyalty Bonuses" (``every=500, points=8_000, max_awards=4`` on an
        ``"anniversary"`` ladder).

    Attributes:
        id: The earn rule id of the bonus lots and postings.
        metric: The counter: ``"spend"``, ``"points"``, ``"orders"`` or a named count.
        points: Points per mark reached (in points, as every rule speaks).
        every: The step between marks (None with ``marks``).
        after: The counter value the steps start from (``every`` only): the first mark
            is ``after + every``.
        marks: The marks, strictly increasing (instead of ``every``).
        max_awards: At most this many awards per window (None: no cap).

    Examples:
        >>> hilton = Milestone(id="hilton-10n", metric="nights", every=10, after=30,
        ...                    points=10_000)
        >>> [hilton.reached(n) for n in (39, 40, 49, 50, 60)]
        [0, 1, 1, 2, 3]
        >>> qantas = Milestone(id="qf-loyalty", metric="status_credits", every=500,
        ...                    points=8_000, max_awards=4)
        >>> qantas.reached(2_600)
        4
        >>> Milestone.from_dict(hilton.to_dict()) == hilton
        True
        >>> Milestone(id="ihg", metric="nights", marks=(20, 40), points=5_000).to_dict()
        {'schema_version': 1, 'id': 'ihg', 'metric': 'nights', 'points': 5000, 'marks': [20, 40]}
        >>> Milestone(id="x", metric="nights", points=1)
        Traceback (most recent call last):
        ...
        crmkit.errors.ConfigError: Milestone: parameter 'marks' must be given, or else 'every' (one of the two); found neither.
    """

    id: str = field(validator=predicate(_text, "a non-empty string"))
    metric: str = field(validator=predicate(_text, "a non-empty string"))
    points: int = field(validator=whole(min=1))
    every: int | None = field(
        default=None, validator=whole(min=1, optional=True), omit_default=True
    )
    after: int = field(default=0, validator=whole(min=0), omit_default=True)
    marks: tuple[int, ...] = field(
        default=(),
        converter=as_tuple,
        validator=[each(whole(min=1)), _increasing],
        codec=Seq(),
        omit_default=True,
    )
    max_awards: int | None = field(
        default=None, validator=whole(min=1, optional=True), omit_default=True
    )

    def __attrs_post_init__(self) -> None:
        if self.every is not None and self.marks:
            raise ConfigError(
                _OWNER, "every", expected="None with 'marks' (one of the two)", found="both"
            )
        if self.every is None and not self.marks:
            raise ConfigError(
                _OWNER, "marks", expected="given, or else 'every' (one of the two)", found="neither"
            )
        if self.marks and self.after:
            raise ConfigError(_OWNER, "after", expected="0 with 'marks'", found=repr(self.after))

    def reached(self, value: Decimal | int) -> int:
        """How many awards a window counter at ``value`` has earned (within ``max_awards``).

        ``value`` is in the metric's unit (points in points, spend in money).

        Examples:
            >>> Milestone(id="m", metric="orders", marks=(2, 5), points=1).reached(4)
            1
        """
        if self.every is not None:
            n = 0 if value < self.after + self.every else int((value - self.after) // self.every)
        else:
            n = bisect.bisect_right(self.marks, value)
        cap = self.max_awards
        return n if cap is None or n < cap else cap

    def first_marks(self, count: int) -> tuple[int, ...]:
        """The first ``count`` marks (each award's, in order).

        Examples:
            >>> Milestone(id="m", metric="nights", every=10, after=40, points=1).first_marks(2)
            (50, 60)
        """
        if self.every is not None:
            return tuple(self.after + self.every * k for k in range(1, count + 1))
        return self.marks[:count]


def check_milestones(
    milestones: tuple[Any, ...], metrics: tuple[str, ...] | None, window: str | None
) -> None:
    """Refuse milestones a program cannot count (a :class:`~crmkit.errors.ConfigError`).

    ``metrics`` and ``window``: the primary ladder's (None without a ladder).

    Examples:
        >>> m = Milestone(id="m", metric="nights", every=10, points=1)
        >>> check_milestones((m,), None, None)
        Traceback (most recent call last):
        ...
        crmkit.errors.ConfigError: Program: parameter 'milestones' must be given with tiers (counted on the primary ladder's window); found milestones without tiers.
    """
    owner = "Program"
    if not milestones:
        return
    if metrics is None:
        raise ConfigError(
            owner,
            "milestones",
            expected="given with tiers (counted on the primary ladder's window)",
            found="milestones without tiers",
        )
    if window in {"rolling", "rolling_calendar_months"}:
        raise ConfigError(
            owner,
            "milestones",
            expected="a primary ladder whose window does not slide (calendar_year, "
            "anniversary or since_change): a mark is reached once per window",
            found=f"window {window!r}",
        )
    seen: set[str] = set()
    for i, item in enumerate(milestones):
        if not isinstance(item, Milestone):
            raise ConfigError(
                owner, f"milestones[{i}]", expected="a Milestone", found=type(item).__name__
            )
        if item.id in seen:
            raise ConfigError(
                owner, f"milestones[{i}].id", expected="unique ids", found=repr(item.id)
            )
        seen.add(item.id)
        if item.metric not in metrics:
            raise ConfigError(
                owner,
                f"milestones[{i}].metric",
                expected=f"a counter the primary ladder keeps {list(metrics)}",
                found=repr(item.metric),
                hint="A named count is kept only when a tier of the ladder uses it.",
            )
