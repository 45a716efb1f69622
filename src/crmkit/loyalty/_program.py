"""The loyalty program: one frozen value object holding every rule, and its replay.

``Program.replay(events, as_of=...)`` folds a member's events into a
:class:`MemberState`; ``Program.apply(state, event)`` advances a state by one event and
agrees with a full replay; :func:`~crmkit.loyalty.replay_many` (``replay_many(frame, program,
as_of=...)``) does it for a whole member base from one events table.
"""

from __future__ import annotations

import bisect
import datetime as dt
import decimal
import operator
import types
from collections.abc import Iterable, Iterator, Mapping
from decimal import Decimal
from typing import Any, cast

import attrs

from crmkit._jsonable import json_ready
from crmkit._spec import (
    DECIMAL,
    Codec,
    Map,
    Nested,
    Optional,
    Seq,
    Spec,
    as_tuple,
    check_choice,
    derived,
    each,
    field,
    instance_of,
    one_of,
    whole,
)
from crmkit._spec import decimal as decimal_value
from crmkit._spec import timezone as spec_timezone
from crmkit._spec import to_decimal as spec_to_decimal
from crmkit._validate import resolve_timezone
from crmkit.errors import ConfigError, InvalidInputError, LedgerError
from crmkit.loyalty._engine import Earner, linear_privileges
from crmkit.loyalty._events import Event
from crmkit.loyalty._expiry import EXTENSION, ExpiryPolicy, extension_problem
from crmkit.loyalty._ledger import EVENT_TYPES, FANNED_HANDLERS, Book, FifoBook, sort_events
from crmkit.loyalty._lots import Lot, Posting, reported_expiry
from crmkit.loyalty._milestones import Milestone, check_milestones
from crmkit.loyalty._privileges import Privilege, PrivilegeSet
from crmkit.loyalty._rules import EarningResult, EarningScheme
from crmkit.loyalty._rules_util import as_of_time, check_range, renamed_keys
from crmkit.loyalty._tender import TenderPolicy
from crmkit.loyalty._tiers import QualifyingPosting, TierLadder, TierStatus

__all__ = ["CompiledProgram", "MemberState", "Program"]

#: The name of a program's single tier ladder in :attr:`MemberState.tiers_by_ladder`.
MAIN_LADDER = "main"
#: The name of a program's single point currency in :attr:`MemberState.by_currency`.
PRIMARY_POINTS = "points"
_SHORTFALL = ("forfeit", "debt", "cash_offset", "balance_then_cash")
#: The orders debits draw lots in (``Program.consumption``), the default first.
_CONSUMPTION = ("soonest_expiry", "fifo")
_EVENT_KINDS = ("enroll", "profile", "purchase", "refund", "redeem", "cancel_redemption", "adjust")
_OWNER = "Program"
_TIME = operator.attrgetter("time")


def _catalogue(value: Mapping[str, Mapping[str, int | str]]) -> dict[str, dict[str, int | str]]:
    if not isinstance(value, Mapping):
        raise ConfigError(_OWNER, "catalogue", expected="a mapping", found=type(value).__name__)
    out: dict[str, dict[str, int | str]] = {}
    for reward, prices in value.items():
        if (
            not isinstance(reward, str)
            or not reward
            or not isinstance(prices, Mapping)
            or not prices
        ):
            raise ConfigError(
                _OWNER,
                "catalogue",
                expected="reward -> {tier name or '*': points}",
                found=f"{reward!r}: {prices!r}",
            )
        row: dict[str, int | str] = {}
        for tier, points in prices.items():
            if tier == "currency" and isinstance(points, str):
                if not points:
                    raise ConfigError(
                        _OWNER,
                        f"catalogue[{reward!r}]['currency']",
                        expected="a point currency name",
                        found="''",
                    )
                row[tier] = points
                continue
            if isinstance(points, bool) or not isinstance(points, int) or points < 1:
                raise ConfigError(
                    _OWNER,
                    f"catalogue[{reward!r}][{tier!r}]",
                    expected="an int number of points of at least 1",
                    found=repr(points),
                )
            row[str(tier)] = points
        out[reward] = row
    return out


def _tiers(value: object) -> Any:
    """A mapping of ladder name -> TierLadder becomes a dict; anything else is kept."""
    if value is None or isinstance(value, TierLadder) or not isinstance(value, Mapping):
        return value
    if not value:
        raise ConfigError(
            _OWNER, "tiers", expected="at least one ladder in the mapping", found="none"
        )
    out: dict[str, TierLadder] = {}
    for name, ladder in value.items():
        if not isinstance(name, str) or not name.strip() or ":" in name:
            raise ConfigError(
                _OWNER,
                "tiers",
                expected="ladder names that are non-empty strings without ':'",
                found=repr(name),
            )
        if not isinstance(ladder, TierLadder):
            raise ConfigError(
                _OWNER, f"tiers[{name!r}]", expected="a TierLadder", found=type(ladder).__name__
            )
        out[name] = ladder
    return out


def _by_currency(value: object, field: str, kind: type[Any]) -> Any:
    """A mapping of point currency name -> ``kind`` becomes a dict; anything else is kept."""
    if isinstance(value, kind) or not isinstance(value, Mapping):
        return value
    if not value:
        raise ConfigError(
            _OWNER, field, expected="at least one point currency in the mapping", found="none"
        )
    out: dict[str, Any] = {}
    for name, item in value.items():
        if not isinstance(name, str) or not name.strip():
            raise ConfigError(
                _OWNER,
                field,
                expected="point currency names (non-empty strings)",
                found=repr(name),
            )
        if not isinstance(item, kind):
            raise ConfigError(
                _OWNER,
                f"{field}[{name!r}]",
                expected=f"{'an' if kind.__name__[0] in 'AEIOU' else 'a'} {kind.__name__}",
                found=type(item).__name__,
            )
        out[name] = item
    return out


def _in_order(value: object) -> object:
    """Equality key of ``earning`` and ``tiers``: a mapping compares with its order.

    The first currency (ladder) of the mapping is the primary one, so two programs that
    list the same ones in another order earn and report differently: not equal.
    """
    return tuple(value.items()) if isinstance(value, dict) else value


#: ``_in_order`` as an attrs ``eq`` key (``field``'s ``eq`` is typed as a flag).
_ORDERED: Any = _in_order


def _earning(value: object) -> Any:
    return _by_currency(value, "earning", EarningScheme)


def _point_value(value: object) -> Any:
    """``point_value``: one value becomes a Decimal; a mapping, a dict of name -> Decimal.

    Ints and decimal text are read as :data:`~crmkit._spec.DECIMAL` reads them; floats and
    anything else are kept for the validator to name.
    """
    if not isinstance(value, Mapping):
        return spec_to_decimal(value)
    if not value:
        raise ConfigError(
            _OWNER,
            "point_value",
            expected="one value, or a value for each point currency in the mapping",
            found="an empty mapping",
        )
    out: dict[str, Any] = {}
    for name, item in value.items():
        if not isinstance(name, str) or not name.strip():
            raise ConfigError(
                _OWNER,
                "point_value",
                expected="point currency names (non-empty strings)",
                found=repr(name),
            )
        out[name] = spec_to_decimal(item)
    return out


#: The check of one point value (the single value, or each value of a mapping).
_POINT_VALUE = decimal_value(min=0)


def _point_values(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    """One Decimal >= 0, or a dict of point currency -> Decimal >= 0 (each named)."""
    if not isinstance(value, dict):
        _POINT_VALUE(instance, attribute, value)
        return
    for name, item in value.items():
        try:
            _POINT_VALUE(instance, attribute, item)
        except ConfigError as err:
            raise ConfigError(
                _OWNER, f"point_value[{name!r}]", expected=err.expected, found=err.found
            ) from None


class _ValueOrMap(Codec):
    """``point_value`` in JSON: one decimal string, or an object of currency -> string."""

    def __init__(self) -> None:
        self.many = Map(DECIMAL)

    def encode(self, value: Any) -> Any:
        """A dict as an object of decimal strings; one value as its string."""
        return self.many.encode(value) if isinstance(value, dict) else DECIMAL.encode(value)

    def decode(self, data: Any, path: str) -> Any:
        """A JSON object is a mapping of currency -> value; anything else one value."""
        if isinstance(data, Mapping):
            return self.many.decode(data, path)
        return DECIMAL.decode(data, path)


def _expiry(value: object) -> Any:
    return _by_currency(value, "expiry", ExpiryPolicy)


def _tenders(value: object) -> Any:
    return _by_currency(value, "tender", TenderPolicy)


class _OneOrMap(Codec):
    """One spec value, or a mapping of name -> value.

    They are told apart by a key of the value holding a value of ``marker_type`` (a
    ladder's ``tiers`` list), so a ladder may even be named ``"tiers"``. With no marker
    (a value whose every field has a default, such as a :class:`TenderPolicy`), a mapping
    whose keys are all fields of ``cls`` is one value, and any other a mapping of names.

    ``ordered=(name_key, value_key)``: the order of the names means something (the first
    point currency, the first ladder is the primary one), and JSON objects do not keep it
    everywhere (``json.dumps(sort_keys=True)``, PostgreSQL ``jsonb``). Several values are
    then written as a list, ``[{name_key: name, value_key: {...}}, ...]``, in order; a
    mapping is still read, in the order it has when read.
    """

    def __init__(
        self,
        cls: type[Spec],
        marker: str | None,
        marker_type: type = object,
        *,
        ordered: tuple[str, str] | None = None,
    ) -> None:
        self.one = Nested(cls)
        self.many = Map(Nested(cls))
        self.marker = marker
        self.marker_type = marker_type
        self.ordered = ordered
        self.fields = {a.alias or a.name for a in attrs.fields(cast("Any", cls))} | {
            "schema_version"
        }

    def _is_one(self, data: Mapping[Any, Any]) -> bool:
        if self.marker is None:
            return set(data) <= self.fields
        return isinstance(data.get(self.marker), self.marker_type)

    def encode(self, value: Any) -> Any:
        """Encode one value, or each value of a mapping (a list of entries when ordered)."""
        if not isinstance(value, dict):
            return self.one.encode(value)
        if self.ordered is None or len(value) < 2:
            return self.many.encode(value)
        name_key, value_key = self.ordered
        return [{name_key: str(k), value_key: self.one.encode(v)} for k, v in value.items()]

    def decode(self, data: Any, path: str) -> Any:
        """A mapping whose marker key holds a ``marker_type`` is one value; else several."""
        if self.ordered is not None and isinstance(data, list | tuple):
            return self._entries(data, path, *self.ordered)
        if isinstance(data, Mapping) and data and not self._is_one(data):
            return self.many.decode(data, path)
        return self.one.decode(data, path)

    def _entries(self, data: Any, path: str, name_key: str, value_key: str) -> dict[str, Any]:
        """The list form: each entry ``{name_key: name, value_key: value}``, names unique."""
        out: dict[str, Any] = {}
        for i, entry in enumerate(data):
            where = f"{path}[{i}]"
            if not isinstance(entry, Mapping) or set(entry) != {name_key, value_key}:
                raise ConfigError(
                    "from_dict()",
                    where,
                    expected=f"a mapping of exactly {name_key!r} and {value_key!r}",
                    found=repr(sorted(entry)) if isinstance(entry, Mapping) else repr(entry),
                )
            name = entry[name_key]
            if not isinstance(name, str) or not name or name in out:
                raise ConfigError(
                    "from_dict()",
                    f"{where}.{name_key}",
                    expected="a name, unique in the list",
                    found=repr(name) + (" again" if name in out else ""),
                )
            out[name] = self.one.decode(entry[value_key], f"{where}.{value_key}")
        if not out:
            raise ConfigError("from_dict()", path, expected="at least one entry", found="[]")
        return out


def _extension(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    """``involuntary_extension``: None, or a policy that moves a due date later."""
    if value is None:
        return
    problem = extension_problem(value) if isinstance(value, ExpiryPolicy) else type(value).__name__
    if problem is not None:
        raise ConfigError(
            _OWNER,
            attribute.name,
            expected=f"None or an ExpiryPolicy used as an extension: {EXTENSION}",
            found=problem,
            hint="China Southern: ExpiryPolicy.end_of_period('month', 6), the original "
            "validity plus 6 months, month end to month end.",
        )


def _with_tiers(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if value is not None and instance.tiers is None:
        raise ConfigError(
            _OWNER, "privileges", expected="given with tiers", found="privileges without tiers"
        )


@attrs.frozen
class Program(Spec):
    """A member club's rules: earning, expiry, tiers, privileges, redemption and refunds.

    Attributes:
        name: A label for reports.
        currency: The money currency code (``"CNY"``); amounts are Decimals in it.
        timezone: The program's IANA time zone: every day boundary (expiry, windows,
            birthday month) is local midnight there.
        earning: The :class:`~crmkit.loyalty.EarningScheme` (default: 1 point per unit),
            or a mapping of point currency name -> scheme for a program with several point
            currencies (``{"points": ..., "miles": ...}``; the first is the *primary*
            currency, a single scheme is the currency ``"points"``). Every purchase earns
            each currency under its own scheme; see :attr:`MemberState.by_currency`.
        expiry: The :class:`~crmkit.loyalty.ExpiryPolicy` (default: never), or a mapping
            with the same currency names as ``earning``.
        tiers: The :class:`~crmkit.loyalty.TierLadder`, or a mapping of ladder name ->
            ladder for a program that runs several ladders at once (an airline's status
            ladder on qualifying miles and a co-brand club ladder on spend), or None for a
            program without tiers. Every ladder reads the same qualifying postings. The
            *primary* ladder is the single ladder (named ``"main"`` in
            :attr:`MemberState.tiers_by_ladder`) or the first of the mapping; a bare tier
            name in an earning condition, a privilege or a catalogue price means a tier of
            the primary ladder, and ``"ladder:tier"`` (``"club:plus"``) names a tier of any
            ladder of a mapping. Ladder names may not contain ``":"``.
        privileges: The :class:`~crmkit.loyalty.PrivilegeSet` granted by tiers, or None.
            Each privilege belongs to one ladder (all its tiers on the same ladder).
        catalogue: Reward prices in points per tier: ``{"mug": {"*": 500, "gold": 400}}``
            (``"*"`` is the price for any other tier). When several keys match the member
            (tiers of different ladders), the lowest price applies. A ``"currency"`` key
            (``{"lounge": {"*": 1500, "currency": "miles"}}``) prices the reward in that
            point currency (default: the primary one).
        shortfall: What a refund does when the points it reverses were already spent:
            ``"forfeit"`` (recorded write-off), ``"debt"`` (negative balance, repaid first
            from the next points), ``"cash_offset"`` (the money value is reported for the
            caller to deduct from the refund) or ``"balance_then_cash"`` (the member's
            other usable points are taken first; what they cannot cover is reported as
            ``cash_offset``: the common rule of Chinese e-commerce programmes).
        point_value: Money value of one (whole) point, for ``cash_offset`` and
            ``balance_then_cash`` and for :func:`~crmkit.loyalty.points_liability`: one
            Decimal (default ``0.01``) that every point currency is worth, or a mapping
            of point currency -> value (``{"points": "0.01", "stars": "0.50"}``; in any
            order) for currencies worth different amounts. A mapping names every point
            currency of the program: a currency left out is a
            :class:`~crmkit.errors.ConfigError` naming it, never a guessed money value
            (a currency with no cash value, such as airline status credits, is ``"0"``),
            and so is a name that is not a point currency. Each currency's refund
            shortfalls are valued at its own value (its
            :attr:`MemberState.by_currency` state's ``cash_offset``).
        pending_days: Return window: purchase points stay pending (unspendable) this many
            days (exact 24-hour days from the purchase instant); 0 = at once.
        count_pending_for_tier: Whether pending purchases count toward tiers at once
            (default False: they count when they activate, net of refunds in the window).
        money_decimals: Minor-unit digits of the currency (refund shares round to them).
        tender: Limits on paying with points (a :class:`~crmkit.loyalty.TenderPolicy`:
            share of the order, multiples, points per currency unit) in the primary point
            currency, or a mapping of point currency -> policy (each currency's tenders
            under its own limits; a currency left out has none), or None (default).
        involuntary_extension: What an involuntary cancellation
            (:attr:`CancelRedemption.involuntary <crmkit.loyalty.CancelRedemption.involuntary>`:
            a flight the airline cancelled or changed) gives the points it returns: an
            :class:`~crmkit.loyalty.ExpiryPolicy` used as an extension
            (:meth:`~crmkit.loyalty.ExpiryPolicy.extend_from`), counted from the last
            valid day of each lot they were drawn from. China Southern's FAQ
            "非自愿变更和非自愿退票情况下退还的里程,自退改之日起,按原里程有效期顺延6个月退回"
            is ``ExpiryPolicy.end_of_period("month", 6)`` (its miles are valid to month
            ends; ``after_months(6)`` would take 30 June to 30 December, not 31): miles
            valid through 31 March 2026 come back valid through 30 September 2026, even
            if the cancellation is after 31 March (the clause keeps no miles out). They return in a lot of their own
            per lot drawn (``"<cancellation id>#<lot id>"``), with the drawn lot's
            origin (a refund of its purchase takes them back); a lot without a date, or
            an extension already past, returns as a voluntary cancellation returns it.
            None (default): involuntary cancellations return points as voluntary ones do.
        consumption: The order in which debits draw a member's usable lots (every debit:
            redemptions, points tenders, negative adjustments, debt repayments, transfers
            out). ``"soonest_expiry"`` (default): the lot that expires first, then the
            oldest, then by lot id (lots without an expiry last); on the same debits no
            other order lets fewer points expire. ``"fifo"``: first in, first out, the
            oldest lot first (by the time it was credited, then lot id), whatever its
            expiry, as programmes that publish that rule do (Cathay: "Miles will be
            deducted on a first-in-first-out basis"). The two differ only where expiry is
            not in earning order: points transferred in with their expiry kept, credits
            with an ``expires_at`` of their own, validity by tier
            (:meth:`ExpiryPolicy.per_tier <crmkit.loyalty.ExpiryPolicy.per_tier>`).
            Either way pending points are never drawn, and a cancellation puts points
            back into the lots they came from.
        milestones: :class:`~crmkit.loyalty.Milestone` bonuses (default
            none): points of the primary currency credited when a counter of the primary
            ladder's window (``TierStatus.counters``) reaches a mark, each mark once per
            window, in a lot of its own (earn rule: the milestone's id) at the instant of
            the qualifying posting that reaches it. A refund takes no bonus back. Needs
            tiers whose window does not slide.

    Examples:
        >>> import datetime as dt
        >>> from crmkit.loyalty import Purchase, PurchaseLine, Redeem, ExpiryPolicy
        >>> program = Program(timezone="Asia/Shanghai", expiry=ExpiryPolicy.after_months(12))
        >>> t = dt.datetime(2025, 3, 1, 10, tzinfo=program.zone)
        >>> events = [Purchase("p1", t, lines=[PurchaseLine("1", "388.00")]),
        ...           Redeem("x1", t + dt.timedelta(days=1), points=100)]
        >>> state = program.replay(events, as_of=t + dt.timedelta(days=2))
        >>> state.available, state.spent, state.lots[0].expires_at.isoformat()
        (288, 100, '2026-03-02T00:00:00+08:00')
        >>> import json
        >>> Program.from_dict(json.loads(json.dumps(program.to_dict()))) == program
        True
        >>> Program.from_dict({"timezone": "UTC", "pending": 14})
        Traceback (most recent call last):
        ...
        crmkit.errors.ConfigError: Program.from_dict(): parameter 'pending' must be one of ['catalogue', 'consumption', 'count_pending_for_tier', 'currency', 'earning', 'expiry', 'involuntary_extension', 'milestones', 'money_decimals', 'name', 'pending_days', 'point_value', 'privileges', 'schema_version', 'shortfall', 'tender', 'tiers', 'timezone']; found an unknown key.

        China Southern's involuntary cancellation, as data:

        >>> six = ExpiryPolicy.end_of_period("month", 6)
        >>> cz = Program(timezone="Asia/Shanghai", involuntary_extension=six)
        >>> cz.to_dict()["involuntary_extension"]["n"], Program.from_dict(cz.to_dict()) == cz
        (6, True)
        >>> "involuntary_extension" in program.to_dict()
        False

        First in, first out: 300 points transferred in on 1 January with a date of
        their own (31 December 2026) are older than the 200 of a purchase on 1 February
        (valid through 1 February 2026), so a redemption of 250 takes them first; by
        default the purchase's points, due sooner, go first:

        >>> from crmkit.loyalty import Adjust
        >>> gift = Adjust("t1", dt.datetime(2025, 1, 1, tzinfo=dt.UTC), points=300,
        ...               reason="transfer_in", expires_at=dt.datetime(2026, 12, 31, tzinfo=dt.UTC))
        >>> buy = Purchase("p2", dt.datetime(2025, 2, 1, tzinfo=dt.UTC), lines=[PurchaseLine("1", "200")])
        >>> spend = Redeem("x2", dt.datetime(2025, 3, 1, tzinfo=dt.UTC), points=250)
        >>> for order in ("soonest_expiry", "fifo"):
        ...     club = Program(expiry=ExpiryPolicy.after_months(12), consumption=order)
        ...     s = club.replay([gift, buy, spend], as_of=dt.datetime(2025, 3, 2, tzinfo=dt.UTC))
        ...     print(order, [(lot.lot_id, lot.remaining) for lot in s.lots])
        soonest_expiry [('t1', 250), ('p2', 0)]
        fifo [('t1', 50), ('p2', 200)]
        >>> fifo = Program(consumption="fifo")
        >>> fifo.to_dict()["consumption"], "consumption" in Program().to_dict()
        ('fifo', False)
        >>> Program.from_dict(fifo.to_dict()) == fifo
        True

        Several point currencies, each worth its own money (a retailer's points at ¥0.01,
        stars at ¥0.50); a currency left out of the mapping is refused:

        >>> two = {"points": EarningScheme.base_rate(1), "stars": EarningScheme.base_rate("0.02")}
        >>> valued = Program(earning=two, point_value={"points": "0.01", "stars": "0.50"})
        >>> valued.to_dict()["point_value"], Program.from_dict(valued.to_dict()) == valued
        ({'points': '0.01', 'stars': '0.50'}, True)
        >>> Program(earning=two, point_value={"points": "0.01"})
        Traceback (most recent call last):
        ...
        crmkit.errors.ConfigError: Program: parameter 'point_value' must be a value for each point currency ['points', 'stars']; found no value for ['stars']. A point with no cash value is worth '0': write it (crmkit never guesses a money value).

        The first currency is the primary one, so several are written as a list, in
        order: storage that sorts an object's keys (``json.dumps(sort_keys=True)``,
        PostgreSQL ``jsonb``) gives the same program back. (Schema 1 wrote an object,
        which is still read, in the order it has.)

        >>> stored = json.dumps(valued.to_dict(), sort_keys=True)
        >>> [e["currency"] for e in json.loads(stored)["earning"]]
        ['points', 'stars']
        >>> Program.from_dict(json.loads(stored)).point_currencies
        ('points', 'stars')
    """

    #: Schema 2 writes several point currencies (ladders) as a list, in order: schema 1
    #: wrote an object whose key order, which names the primary, storage may not keep.
    __spec_version__ = 2
    name: str = field(default="program", validator=instance_of(str, "a string"))
    currency: str = field(default="CNY", validator=instance_of(str, "a string"))
    timezone: str = field(default="UTC", validator=spec_timezone())
    earning: EarningScheme | dict[str, EarningScheme] = field(
        factory=lambda: EarningScheme.base_rate(1),
        converter=_earning,
        validator=instance_of((EarningScheme, dict), "an EarningScheme"),
        codec=_OneOrMap(EarningScheme, "rules", list, ordered=("currency", "scheme")),
        eq=_ORDERED,
    )
    expiry: ExpiryPolicy | dict[str, ExpiryPolicy] = field(
        factory=ExpiryPolicy.never,
        converter=_expiry,
        validator=instance_of((ExpiryPolicy, dict), "an ExpiryPolicy"),
        codec=_OneOrMap(ExpiryPolicy, "kind", str),
    )
    tiers: TierLadder | dict[str, TierLadder] | None = field(
        default=None,
        converter=_tiers,
        validator=instance_of(
            (TierLadder, dict),
            "a TierLadder, a mapping of ladder name -> TierLadder, or None",
            optional=True,
        ),
        codec=Optional(_OneOrMap(TierLadder, "tiers", list, ordered=("name", "ladder"))),
        eq=_ORDERED,
    )
    privileges: PrivilegeSet | None = field(
        default=None,
        validator=[instance_of(PrivilegeSet, "a PrivilegeSet or None", optional=True), _with_tiers],
        codec=Optional(Nested(PrivilegeSet)),
    )
    catalogue: dict[str, dict[str, int | str]] = field(
        factory=dict, converter=_catalogue, codec=Map(Map())
    )
    shortfall: str = field(default="forfeit", validator=one_of(_SHORTFALL))
    point_value: Decimal | dict[str, Decimal] = field(
        default=Decimal("0.01"),
        converter=_point_value,
        validator=_point_values,
        codec=_ValueOrMap(),
    )
    pending_days: int = field(default=0, validator=whole(min=0))
    count_pending_for_tier: bool = field(default=False, validator=instance_of(bool, "a bool"))
    money_decimals: int = field(default=2, validator=whole(min=0))
    tender: TenderPolicy | dict[str, TenderPolicy] | None = field(
        default=None,
        converter=_tenders,
        validator=instance_of(
            (TenderPolicy, dict),
            "a TenderPolicy, a mapping of point currency -> TenderPolicy, or None",
            optional=True,
        ),
        codec=Optional(_OneOrMap(TenderPolicy, None)),
        omit_default=True,
    )
    involuntary_extension: ExpiryPolicy | None = field(
        default=None, validator=_extension, codec=Optional(Nested(ExpiryPolicy)), omit_default=True
    )
    consumption: str = field(
        default="soonest_expiry", validator=one_of(_CONSUMPTION), omit_default=True
    )
    milestones: tuple[Milestone, ...] = field(
        default=(),
        converter=as_tuple,
        validator=each(instance_of(Milestone, "a Milestone")),
        codec=Seq(Nested(Milestone)),
        omit_default=True,
    )

    @classmethod
    def __spec_upgrade__(cls, data: dict[str, Any]) -> dict[str, Any]:
        """Schema 1 is schema 2 with several currencies (ladders) as an object only."""
        return renamed_keys(data, {}, version=2)

    def __attrs_post_init__(self) -> None:
        # The rules that span fields (currencies, ladders, tier references) are checked
        # when the engine is compiled: compile now, so a bad program fails when built.
        self.compile()

    def compile(self) -> CompiledProgram:
        """The engine derived from this program, built once and cached beside it.

        The program stays pure data; replay, :meth:`apply` and
        :func:`~crmkit.loyalty.replay_many` all run this one compiled form.

        Examples:
            >>> p = Program(timezone="Asia/Shanghai")
            >>> p.compile() is p.compile(), p.compile().point_currencies
            (True, ('points',))
        """
        return derived(self, "compiled", lambda: CompiledProgram(self))

    @property
    def ladders(self) -> Mapping[str, TierLadder]:
        """Every tier ladder by name, the primary first (a single ladder is ``"main"``).

        Examples:
            >>> from crmkit.loyalty import Tier, TierLadder
            >>> status = TierLadder(tiers=[Tier(name="blue"), Tier(name="gold", points=50_000)])
            >>> club = TierLadder(tiers=[Tier(name="basic"), Tier(name="plus", spend="20000")])
            >>> list(Program(tiers={"status": status, "club": club}).ladders)
            ['status', 'club']
            >>> list(Program(tiers=status).ladders), list(Program().ladders)
            (['main'], [])
        """
        return dict(self.compile().ladders)

    @property
    def primary_ladder(self) -> str | None:
        """The name of the primary ladder (``"main"`` for a single ladder; None without tiers).

        Examples:
            >>> from crmkit.loyalty import Tier, TierLadder
            >>> status = TierLadder(tiers=[Tier(name="blue"), Tier(name="gold", points=50_000)])
            >>> club = TierLadder(tiers=[Tier(name="basic"), Tier(name="plus", spend="20000")])
            >>> Program(tiers={"status": status, "club": club}).primary_ladder
            'status'
        """
        return next(iter(self.compile().ladders), None)

    @property
    def ladder(self) -> TierLadder | None:
        """The primary :class:`~crmkit.loyalty.TierLadder` (None without tiers).

        Examples:
            >>> from crmkit.loyalty import Tier, TierLadder
            >>> status = TierLadder(tiers=[Tier(name="blue"), Tier(name="gold", points=50_000)])
            >>> Program(tiers=status).ladder is status
            True
        """
        return self.compile().ladder

    @property
    def zone(self) -> dt.tzinfo:
        """The program's time zone as a tzinfo.

        Examples:
            >>> Program(timezone="Europe/Berlin").zone
            zoneinfo.ZoneInfo(key='Europe/Berlin')
        """
        return self.compile().zone

    @property
    def money_quantum(self) -> Decimal:
        """The smallest money unit, e.g. ``Decimal('0.01')``.

        Examples:
            >>> Program(money_decimals=0).money_quantum
            Decimal('1')
        """
        return Decimal(1).scaleb(-self.money_decimals)

    @property
    def point_decimals(self) -> int:
        """Decimals of a point, declared by the earning scheme (0: whole points).

        With ``d > 0`` every point figure of the ledger (lots, postings, balances, catalogue
        prices, ``Redeem.points``, ``Adjust.points``) is an ``int`` count of ``10**-d``
        points, so nothing ever passes through float; :meth:`in_points` shows them.

        Examples:
            >>> Program(earning=EarningScheme.base_rate(1, point_decimals=2)).point_decimals
            2
        """
        return self.earning_scheme.point_decimals

    @property
    def earning_scheme(self) -> EarningScheme:
        """The primary point currency's :class:`~crmkit.loyalty.EarningScheme`.

        Examples:
            >>> Program().earning_scheme.rules[0].id
            'base'
        """
        return self.compile().scheme

    @property
    def expiry_policy(self) -> ExpiryPolicy:
        """The primary point currency's :class:`~crmkit.loyalty.ExpiryPolicy`.

        Examples:
            >>> Program().expiry_policy.kind
            'never'
        """
        return self.compile().policy

    @property
    def point_currencies(self) -> tuple[str, ...]:
        """The point currencies, the primary first (``("points",)`` for a single scheme).

        With a mapping ``earning={"points": ..., "miles": ...}`` each currency has its own
        earning scheme and expiry policy (``expiry`` one policy for all, or a mapping with
        the same keys); :class:`~crmkit.loyalty.Redeem`, :class:`~crmkit.loyalty.Adjust`
        and catalogue entries (``{"upgrade": {"*": 9000, "currency": "miles"}}``) name
        their currency, the primary one by default.

        Examples:
            >>> from crmkit.loyalty import EarningScheme
            >>> Program(earning={"points": EarningScheme.base_rate(1),
            ...                  "miles": EarningScheme.base_rate(2)}).point_currencies
            ('points', 'miles')
            >>> Program().point_currencies
            ('points',)
        """
        return self.compile().point_currencies

    def in_points(self, units: int) -> Decimal:
        """A ledger figure as a Decimal number of points (``1234`` -> ``12.34`` with 2 decimals).

        Examples:
            >>> import datetime as dt
            >>> from crmkit.loyalty import Purchase, PurchaseLine
            >>> p = Program(earning=EarningScheme.base_rate(1, point_decimals=2))
            >>> t = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
            >>> s = p.replay([Purchase("p1", t, lines=[PurchaseLine("1", "12.34")])], as_of=t)
            >>> s.available, p.in_points(s.available)
            (1234, Decimal('12.34'))
        """
        return Decimal(units).scaleb(-self.point_decimals)

    @property
    def tier_dependent(self) -> bool:
        """Whether earning depends on the member's tier (tier conditions or privileges).

        Examples:
            >>> Program().tier_dependent
            False
        """
        return self.compile().uses_tier

    # -- replay ----------------------------------------------------------------------------
    def replay(
        self,
        events: Iterable[Event],
        *,
        as_of: dt.datetime | dt.date | str,
        on_error: str = "raise",
    ) -> MemberState:
        """Fold one member's events into the member's state at ``as_of``.

        Events are deduplicated by ``event_id`` and sorted by ``(time, kind rank,
        event_id)`` (see :func:`~crmkit.loyalty.sort_events`); events after ``as_of`` are
        left out, so a replay with an earlier ``as_of`` is the state at that instant.

        Args:
            events: The member's events, in any order.
            as_of: The instant of the state (naive: read in the program's zone). A date,
                or an ISO date such as ``"2025-06-30"``, means the end of that day (its
                last microsecond), as every crmkit ``as_of`` does.
            on_error: ``"raise"`` (default) raises the first
                :class:`~crmkit.errors.LedgerError` (e.g.
                :class:`~crmkit.errors.InsufficientPointsError`); ``"skip"`` leaves the
                offending event out and lists it in :attr:`MemberState.rejected`.

        Returns:
            The :class:`MemberState`.

        Raises:
            LedgerError: An event the ledger cannot honour (with ``on_error="raise"``).
            InvalidInputError: Objects that are not events.
            ConfigError: An ``as_of`` that cannot be read (None, NaT, a number,
                ``"2025-02-31"``) or outside the years 1000-9000 a replay supports.

        Examples:
            >>> import datetime as dt
            >>> from crmkit.loyalty import Purchase, PurchaseLine, Refund
            >>> program = Program()
            >>> t = dt.datetime(2025, 1, 5, 12, tzinfo=dt.UTC)
            >>> events = [Refund("r1", t + dt.timedelta(days=1), "p1"),
            ...           Purchase("p1", t, lines=[PurchaseLine("1", "250")])]
            >>> program.replay(events, as_of=t + dt.timedelta(hours=1)).available
            250
            >>> s = program.replay(events, as_of=t + dt.timedelta(days=2))
            >>> s.available, s.reversed
            (0, 250)
        """
        end = self._as_of(as_of)
        return MemberState._from_book(self._fold(events, end, on_error), end)

    def _fold(
        self,
        events: Iterable[Event],
        end: dt.datetime,
        on_error: str,
        *,
        journal: bool = True,
        instants: list[dt.datetime] | None = None,
    ) -> Book:
        """The book of ``events`` folded up to ``end`` (``journal``: record the postings).

        ``instants``: the events' times in UTC, in the order of ``events`` (then a list),
        when the caller has them (``replay_many`` converts whole columns at once).
        """
        check_choice(on_error, ("raise", "skip"), "Program.replay()", "on_error")
        book = self._new_book()
        book.skip_errors = on_error == "skip"
        if not journal:
            book.journal = False
            for sub in book.subs.values():
                sub.journal = False
        ordered = sort_events(events)
        if ordered:
            check_range(ordered[0].time, "Program.replay()", "events")
        if instants is not None and not (
            len(ordered) == len(instants) and all(map(operator.is_, ordered, events))
        ):
            # Sorting moved (or dropped) events: their instants follow them.
            by_event = dict(zip(map(id, events), instants, strict=True))
            instants = [by_event[id(event)] for event in ordered]
        # ``sort_events`` told the events apart: the book runs through them once and
        # records them all at the end (not one by one, as ``Book.apply`` does).
        if ordered and ordered[-1].time > end:
            cut = bisect.bisect_right(ordered, end, key=_TIME)
            ordered = ordered[:cut]
            if instants is not None:
                instants = instants[:cut]
        try:
            book.run(ordered, instants)
        except decimal.DecimalException as err:
            assert book.failed is not None
            raise _arithmetic_error(err, book.failed, "Program.replay()", "events") from None
        book.record_all(ordered)
        book.advance_all(end.astimezone(dt.UTC))
        return book

    def _new_book(self) -> Book:
        """An empty fold: one book per point currency, the primary one on top."""
        compiled = self.compile()
        # The consumption order is the book's class: chosen once per book, never per event.
        new = Book if self.consumption == "soonest_expiry" else FifoBook
        book = new(compiled.single or self)
        book.owner, book.currency = self, compiled.primary_points
        book.tender = compiled.tenders.get(book.currency)
        for name, program in compiled.others.items():
            sub = new(program)
            sub.owner, sub.currency, sub.parent = self, name, book
            sub.tender = compiled.tenders.get(name)
            book.subs[name] = sub
        if book.subs:
            book.handlers = FANNED_HANDLERS
        return book

    def apply(self, state: MemberState, event: Event) -> MemberState:
        """Advance ``state`` by one event; the result equals a full replay.

        The new state is at ``max(state.as_of, event.time)``. An event already in the state
        (same id, same content) changes nothing; an event earlier than the state's last one
        makes the state replay from the start with it.

        Args:
            state: A state from :meth:`replay` or :meth:`apply` of this program.
            event: The new event.

        Returns:
            The new :class:`MemberState` (``state`` is not changed).

        Examples:
            >>> import datetime as dt
            >>> from crmkit.loyalty import Adjust
            >>> program = Program()
            >>> t = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
            >>> s0 = program.replay([], as_of=t)
            >>> s1 = program.apply(s0, Adjust("a1", t, points=50, reason="gift"))
            >>> s1.available, program.apply(s1, Adjust("a1", t, points=50, reason="gift")) == s1
            (50, True)
        """
        if not isinstance(state, MemberState) or (
            state._snap.owner is not self and state._snap.owner != self
        ):
            raise LedgerError(
                "Program.apply()",
                "state",
                expected="a MemberState built by this program",
                found=type(state).__name__,
            )
        # The state's resume token: its book, current (rebuilt from its events if a later
        # apply moved that book on). The book is advanced in place: no copy of the state.
        book = state._snap.root()
        sorted_event = event if type(event) in EVENT_TYPES else sort_events([event])[0]
        known = book.event_ids.get(sorted_event.event_id)
        if known is not None:
            book.apply(sorted_event)  # raises for a conflicting duplicate
            return state
        time = sorted_event.time
        last = book.last
        if time < state.as_of or (
            last is not None
            and time <= last.time
            and (time, sorted_event.rank, sorted_event.event_id)
            < (last.time, last.rank, last.event_id)
        ):
            try:
                return self.replay(
                    [*book.events, sorted_event],
                    as_of=max(state.as_of, time),
                    on_error="skip" if book.skip_errors else "raise",
                )
            except PointsArithmeticError as err:  # named by the call the caller made
                raise PointsArithmeticError(
                    "Program.apply()", "event", expected=err.expected, found=err.found,
                    kind="", hint=err.hint,
                ) from None  # fmt: skip
        # Every state built on this book so far now rebuilds from its own events when read
        # (also when this event is refused half-way and raises).
        book.generation += 1
        try:
            book.step(sorted_event)  # (not applied yet, and not before the last one)
        except decimal.DecimalException as err:
            raise _arithmetic_error(err, sorted_event, "Program.apply()", "event") from None
        book.record(sorted_event)
        # The new state is at the event's instant, which the book holds in UTC (``now``).
        book.advance_all(book.now)
        return MemberState._from_book(book, time)

    def _as_of(self, as_of: object, owner: str = "Program.replay()") -> dt.datetime:
        """``as_of`` read in the program's zone (a date: the end of that day).

        Errors name ``owner`` (the caller's call); one that cannot be read, or lies outside
        the years a replay supports, is a :class:`ConfigError` (a bad parameter).
        """
        return as_of_time(as_of, self.compile().zone, owner)  # (in the replay's years)


class PointsArithmeticError(InvalidInputError, decimal.DecimalException):
    """An event whose amounts the exact points arithmetic cannot hold (e.g. ``1e308``).

    Also a ``decimal.DecimalException`` (what the arithmetic raised), so that the batch
    readers that name the member's table rows keep catching it (walkfix).
    """


def _arithmetic_error(
    err: decimal.DecimalException, event: Event, owner: str, field: str
) -> PointsArithmeticError:
    """The error naming ``event`` whose amounts the exact arithmetic could not hold."""
    if isinstance(err, PointsArithmeticError):
        return err
    return PointsArithmeticError(
        owner,
        field,
        expected="events whose amounts the exact points arithmetic holds "
        "(60 significant digits per order total)",
        found=f"event {event.event_id!r} ({type(event).__name__}) beyond it",
        kind="",
        hint="Check the amounts' unit (e.g. 1e308 is not a price).",
    )


class CompiledProgram:
    """What replays run: a :class:`Program`'s rules indexed once (build with ``compile()``).

    Holds the zone, the earning scheme, expiry policy and money value (``point_values``)
    per point currency, the one-currency programs each currency's book runs (``single`` for
    the primary, None when that is the program itself; ``others`` for the rest, each with
    its own currency's scheme, policy, tender limits and single ``point_value``), the
    ladders and tier references, the privileges by ladder, the points-tender limits per
    currency and a shared expiry cache. It is derived data: equal programs compile alike,
    and it is never part of the program's value (equality, hashing, pickling, JSON).

    Examples:
        >>> from crmkit.loyalty import EarningScheme
        >>> c = Program(earning={"points": EarningScheme.base_rate(1),
        ...                      "miles": EarningScheme.base_rate(2)},
        ...             point_value={"points": "0.01", "miles": "0.05"}).compile()
        >>> c.point_currencies, list(c.others), c.point_values["miles"]
        (('points', 'miles'), ['miles'], Decimal('0.05'))
        >>> c.single.point_value, c.others["miles"].point_value
        (Decimal('0.01'), Decimal('0.05'))
    """

    __slots__ = (
        "__weakref__",
        "earner",
        "expiry_cache",
        "ladder",
        "ladder_privileges",
        "ladders",
        "others",
        "point_value",
        "point_values",
        "policies",
        "policy",
        "primary_points",
        "privileges",
        "refs",
        "reward_currency",
        "scheme",
        "schemes",
        "single",
        "tenders",
        "uses_tier",
        "zone",
    )

    def __init__(self, program: Program) -> None:
        # No reference to ``program`` is kept: the cache beside it must not keep it alive.
        self.privileges: PrivilegeSet | None = program.privileges
        self.zone: dt.tzinfo = resolve_timezone(program.timezone, _OWNER)
        # Local earning day -> UTC expiry instant, shared by every replay under this
        # program (the expiry of a lot depends on its local earning day only).
        self.expiry_cache: dict[dt.date, dt.datetime | None] = {}
        self._index_currencies(program)
        self._index_ladders(program)
        for kind in {k for policy in self.policies.values() for k in policy.activity}:
            if kind not in _EVENT_KINDS:
                raise ConfigError(
                    _OWNER,
                    "expiry.activity",
                    expected=f"event kinds among {list(_EVENT_KINDS)}",
                    found=repr(kind),
                )
        self._check_tier_references(program)
        ladder = self.ladder
        check_milestones(
            program.milestones,
            None if ladder is None else ladder.metrics,
            None if ladder is None else ladder.window,
        )
        uses_tier = any(r.when.tiers for scheme in self.schemes.values() for r in scheme.rules)
        self.uses_tier: bool = uses_tier or program.privileges is not None
        self._split_currencies(program)
        # The one earner every fold of this program's (one-currency) books runs.
        self.earner = Earner(
            self.scheme,
            member_free=not self.uses_tier,
            # The member's tier on one ladder (and the factors of its privileges) is all its
            # earning may read.
            tier_only=not isinstance(program.tiers, dict)
            and (program.privileges is None or linear_privileges(program.privileges.privileges)),
        )

    @property
    def point_currencies(self) -> tuple[str, ...]:
        """The point currencies, the primary first.

        Examples:
            >>> Program().compile().point_currencies
            ('points',)
        """
        return tuple(self.schemes)

    def _index_currencies(self, program: Program) -> None:
        earning, expiry = program.earning, program.expiry
        if isinstance(earning, dict):
            schemes = dict(earning)
        else:
            schemes = {PRIMARY_POINTS: earning}
        if isinstance(expiry, dict):
            # Keyed by name: the order of ``earning`` alone names the primary currency.
            if not isinstance(earning, dict) or set(expiry) != set(earning):
                raise ConfigError(
                    _OWNER,
                    "expiry",
                    expected=f"one policy, or a policy for each currency of earning {list(schemes)}",
                    found=f"policies for {list(expiry)}",
                )
            policies = {name: expiry[name] for name in schemes}
        else:
            policies = dict.fromkeys(schemes, expiry)
        self.schemes: dict[str, EarningScheme] = schemes
        self.policies: dict[str, ExpiryPolicy] = policies
        primary = next(iter(schemes))
        self.primary_points: str = primary
        self.scheme: EarningScheme = schemes[primary]
        self.policy: ExpiryPolicy = policies[primary]
        reward_currency: dict[str, str] = {}
        for reward, prices in program.catalogue.items():
            name = prices.get("currency", primary)
            if name not in schemes:
                raise ConfigError(
                    _OWNER,
                    f"catalogue[{reward!r}]['currency']",
                    expected=f"one of the point currencies {list(schemes)}",
                    found=repr(name),
                )
            reward_currency[reward] = str(name)
        self.reward_currency: dict[str, str] = reward_currency
        tender = program.tender
        if isinstance(tender, dict):
            unknown = [name for name in tender if name not in schemes]
            if unknown:
                raise ConfigError(
                    _OWNER,
                    "tender",
                    expected=f"policies keyed by the point currencies {list(schemes)}",
                    found=f"unknown currencies {unknown}",
                )
            tenders = dict(tender)
        else:
            tenders = {} if tender is None else {primary: tender}
        #: Point currency -> the limits on paying with it (rule 11; none when left out).
        self.tenders: dict[str, TenderPolicy] = tenders
        self._index_point_values(program)

    def _index_point_values(self, program: Program) -> None:
        """Each point currency's money value: the one value, or the mapping's own."""
        schemes = self.schemes
        value = program.point_value
        if isinstance(value, dict):
            unknown = [name for name in value if name not in schemes]
            if unknown:
                raise ConfigError(
                    _OWNER,
                    "point_value",
                    expected=f"values keyed by the point currencies {list(schemes)}",
                    found=f"unknown currencies {unknown}",
                )
            missing = [name for name in schemes if name not in value]
            if missing:
                # No convention fills in a money value: a left-out currency is refused.
                raise ConfigError(
                    _OWNER,
                    "point_value",
                    expected=f"a value for each point currency {list(schemes)}",
                    found=f"no value for {missing}",
                    hint="A point with no cash value is worth '0': write it "
                    "(crmkit never guesses a money value).",
                )
            values = {name: value[name] for name in schemes}
        else:
            values = dict.fromkeys(schemes, value)
        #: Point currency -> money value of one whole point (in currency order).
        self.point_values: dict[str, Decimal] = values
        #: The primary currency's (a one-currency program's only) point value.
        self.point_value: Decimal = values[self.primary_points]

    def _index_ladders(self, program: Program) -> None:
        tiers = program.tiers
        ladders: dict[str, TierLadder] = {}
        refs: dict[str, tuple[str, str]] = {}
        if isinstance(tiers, TierLadder):
            ladders[MAIN_LADDER] = tiers
            refs = {name: (MAIN_LADDER, name) for name in tiers.names}
        elif isinstance(tiers, dict):
            ladders = dict(tiers)
            primary = next(iter(ladders))
            refs = {name: (primary, name) for name in ladders[primary].names}
            for ladder_name, ladder in ladders.items():
                for name in ladder.names:
                    ref = f"{ladder_name}:{name}"
                    if ref in refs:
                        raise ConfigError(
                            _OWNER,
                            "tiers",
                            expected="tier references that name one tier",
                            found=f"{ref!r} is a tier of the primary ladder and of {ladder_name!r}",
                        )
                    refs[ref] = (ladder_name, name)
        self.ladders: dict[str, TierLadder] = ladders
        self.refs: dict[str, tuple[str, str]] = refs
        self.ladder: TierLadder | None = next(iter(ladders.values()), None)
        # Several ladders: each ladder's privileges, tiers unqualified (None with one).
        self.ladder_privileges: tuple[tuple[str, PrivilegeSet], ...] | None = None

    def _check_tier_references(self, program: Program) -> None:
        for currency, policy in self.policies.items():
            if not policy.by_tier:
                continue
            known = set(self.ladder.names) if self.ladder is not None else set()
            unknown = sorted(name for name, _ in policy.by_tier if name not in known)
            if unknown:
                raise ConfigError(
                    _OWNER,
                    "expiry.by_tier",
                    expected=f"tiers of the primary ladder {sorted(known)}",
                    found=f"unknown tiers {unknown} (currency {currency!r})",
                )
        if program.tiers is not None:
            refs = list(self.refs)
            for scheme in self.schemes.values():
                scheme.check_tiers(refs)
            if program.privileges is not None:
                program.privileges.check_tiers(refs)
                self._split_privileges(program)
            names = set(refs)
            for reward, prices in program.catalogue.items():
                unknown = sorted(set(prices) - names - {"*", "currency"})
                if unknown:
                    raise ConfigError(
                        _OWNER,
                        f"catalogue[{reward!r}]",
                        expected=f"prices keyed by tiers {sorted(names)} or '*'",
                        found=f"unknown tiers {unknown}",
                    )
            return
        # Without a ladder, a tier condition would never match and a tier price never
        # apply: name them instead of ignoring them.
        for scheme in self.schemes.values():
            scheme.check_tiers([])
        for reward, prices in program.catalogue.items():
            unknown = sorted(set(prices) - {"*", "currency"})
            if unknown:
                raise ConfigError(
                    _OWNER,
                    f"catalogue[{reward!r}]",
                    expected="'*' prices (the program has no tiers)",
                    found=f"tier prices {unknown}",
                )

    def _split_currencies(self, program: Program) -> None:
        """The one-currency programs each currency's book runs under."""
        plain = (
            not isinstance(program.earning, dict)
            and not isinstance(program.point_value, dict)
            and not any("currency" in prices for prices in program.catalogue.values())
        )
        others: dict[str, Program] = {}
        if plain:
            self.single: Program | None = None  # the program itself
            self.others: dict[str, Program] = others
            return
        for name, scheme in self.schemes.items():
            catalogue = {
                reward: {k: v for k, v in prices.items() if k != "currency"}
                for reward, prices in program.catalogue.items()
                if self.reward_currency[reward] == name
            }
            others[name] = attrs.evolve(
                program,
                earning=scheme,
                expiry=self.policies[name],
                catalogue=catalogue,
                tender=self.tenders.get(name),
                # Its own currency's value: its cash offsets are valued at it.
                point_value=self.point_values[name],
            )
        self.single = others.pop(next(iter(self.schemes)))
        self.others = others

    def _split_privileges(self, program: Program) -> None:
        """Several ladders: group the privileges by ladder, tiers unqualified."""
        if not isinstance(program.tiers, dict) or program.privileges is None:
            return
        groups: dict[str, list[Privilege]] = {name: [] for name in self.ladders}
        primary = next(iter(self.ladders))
        for priv in program.privileges.privileges:
            where = {self.refs[t][0] for t in priv.tiers}
            if len(where) > 1:
                raise ConfigError(
                    f"Privilege({priv.id!r})",
                    "tiers",
                    expected="tiers of one ladder",
                    found=f"tiers of the ladders {sorted(where)}",
                )
            ladder = where.pop() if where else primary
            groups[ladder].append(
                attrs.evolve(priv, tiers=tuple(self.refs[t][1] for t in priv.tiers))
            )
        split = tuple((name, PrivilegeSet(tuple(group))) for name, group in groups.items() if group)
        self.ladder_privileges = split

    def privileges_at(
        self, statuses: Mapping[str, TierStatus], *, as_of: dt.datetime
    ) -> tuple[Privilege, ...]:
        """The privileges active at ``as_of`` given each ladder's status.

        Examples:
            >>> import datetime as dt
            >>> Program().compile().privileges_at({}, as_of=dt.datetime(2025, 1, 1, tzinfo=dt.UTC))
            ()
        """
        privileges = self.privileges
        if privileges is None or not statuses:
            return ()
        split = self.ladder_privileges
        if split is None:
            status = next(iter(statuses.values()))
            return privileges.active(status.history, as_of=as_of, timezone=self.zone)
        held: set[str] = set()
        for ladder, group in split:
            active = group.active(statuses[ladder].history, as_of=as_of, timezone=self.zone)
            held.update(p.id for p in active)
        return tuple(p for p in privileges.privileges if p.id in held)


_NO_OTHERS: Mapping[str, MemberState] = types.MappingProxyType({})


class _Snapshot:
    """A state's view of its book: what it read, and how to read the rest later.

    The book may move on (``Program.apply`` advances it in place); a snapshot whose book
    moved on rebuilds it by replaying its own events (the prefix it saw) to its instant,
    so every state stays what it was when built.
    """

    __slots__ = ("_cache", "_root", "as_of", "currency", "generation", "n_events", "owner", "zone")

    def __init__(self, book: Book, as_of: dt.datetime) -> None:
        root = book.parent if book.parent is not None else book
        self._root = root
        self.generation = root.generation
        self.n_events = len(root.events)
        self.owner = root.owner
        self.currency = book.currency
        self.zone = book.zone
        self.as_of = as_of
        self._cache: dict[str, Any] = {}

    def root(self) -> Book:
        """The primary book as of this snapshot (rebuilt once if it moved on)."""
        root = self._root
        if root.generation != self.generation:
            events = root.events[: self.n_events]
            on_error = "skip" if root.skip_errors else "raise"
            root = self.owner._fold(events, self.as_of, on_error)
            self._root, self.generation = root, root.generation
        return root

    def book(self) -> Book:
        """This snapshot's currency's book, current."""
        root = self.root()
        return root if self.currency == root.currency else root.subs[self.currency]

    def events(self) -> tuple[Event, ...]:
        """The events replayed, in replay order (the book's list only ever grows)."""
        return tuple(self._root.events[: self.n_events])

    def read(self, what: str) -> Any:
        """``lots``, ``totals``, ``tiers``, ``postings``, ``qualifying`` or ``earnings``, once."""
        cache = self._cache
        if what not in cache:
            book = self.book()
            if what in ("lots", "totals"):
                lots, totals = _lot_rows(book, self.as_of)
                cache["lots"], cache["totals"] = lots, totals
            elif what == "tiers":
                program = book.program
                statuses = book.ladder_statuses(self.as_of) if program.tiers is not None else {}
                privileges = program.compile().privileges_at(statuses, as_of=self.as_of)
                cache[what] = (statuses, privileges)
            elif what == "postings":
                cache[what] = tuple(book.postings)
            elif what == "qualifying":
                cache[what] = tuple(book.qualifying)
            else:
                cache[what] = _Earnings(book)
        return cache[what]


def _lot_rows(
    book: Book, as_of: dt.datetime
) -> tuple[tuple[tuple[Any, ...], ...], tuple[int, int, int, int]]:
    """The lots as plain rows and the spent/expired/reversed/forfeited totals."""
    lots = []
    totals = [0, 0, 0, 0]
    inactivity = book.policy.kind == "inactivity"
    # Rule 5 ("held"): a protected lot shows when its protection can end, not the date
    # the fold looks at it again (see reported_expiry); replay_many reads it the same way.
    held = book.held_at(as_of)
    for lot in book.lots.values():
        expires = lot.expires_at
        if expires is None and inactivity:
            expires = book.deadline
        if held[0]:
            expires = reported_expiry(expires, as_of, held)
        lots.append(
            (
                lot.lot_id,
                lot.source,
                lot.earned_at,
                lot.activates_at,
                expires,
                lot.amount,
                lot.remaining,
                lot.spent,
                lot.expired,
                lot.reversed,
                lot.forfeited,
                lot.rule,
            )
        )
        totals[0] += lot.spent
        totals[1] += lot.expired
        totals[2] += lot.reversed
        totals[3] += lot.forfeited
    return tuple(lots), (totals[0], totals[1], totals[2], totals[3])


class _Earnings(Mapping[str, EarningResult]):
    """Purchase id -> earning result, read from the fold (results built on first read)."""

    __slots__ = ("_bought",)

    def __init__(self, book: Book) -> None:
        self._bought = dict(book.bought)

    def __getitem__(self, key: str) -> EarningResult:
        return self._bought[key].result

    def __iter__(self) -> Iterator[str]:
        return iter(self._bought)

    def __len__(self) -> int:
        return len(self._bought)

    def __repr__(self) -> str:
        return repr(dict(self))


@attrs.frozen(eq=False, slots=False)
class MemberState:
    """What a member has at ``as_of``, and why: the result of :meth:`Program.replay`.

    ``credited == available + pending + spent + expired + reversed + forfeited`` always.
    The figures are those of the program's primary point currency; :attr:`by_currency`
    has the state of each currency of a program with several.

    Attributes:
        as_of: The instant of the state (in the program's zone).
        available: Points the member can spend now.
        pending: Points earned but not usable yet (inside the return window).
        debt: Points a refund could not take back and the member still owes
            (``shortfall="debt"``); while it is open, ``available`` is 0.
        credited: Every point ever credited.
        spent: Points held by redemptions, points tenders, debits and debt repayments.
        expired: Points that expired unspent.
        reversed: Points taken back by refunds.
        forfeited: Spent points whose earning was refunded, written off (``"forfeit"``).
        cash_offset: Money reported for deduction from refunds (``"cash_offset"`` and
            ``"balance_then_cash"``): this currency's shortfalls, each point at its own
            currency's :attr:`Program.point_value`.
        lots: Every :class:`~crmkit.loyalty.Lot`, in crediting order.
        postings: The ledger: every :class:`~crmkit.loyalty.Posting`, in time order.
        qualifying: The qualifying postings that feed the tier ladder.
        tier: The tier status (:class:`~crmkit.loyalty.TierStatus`) on the primary ladder
            (the single ladder, or the first of :attr:`Program.tiers` when it is a mapping),
            or None without tiers.
        tiers_by_ladder: Every ladder's :class:`~crmkit.loyalty.TierStatus` by ladder name
            (``{"main": ...}`` for a single ladder, empty without tiers).
        privileges: Privileges active at ``as_of`` (on every ladder).
        enrolled_at: Enrolment instant, if an :class:`~crmkit.loyalty.Enroll` was replayed.
        birth_date: The member's birth date, if known.
        rejected: ``(event_id, message)`` of events left out with ``on_error="skip"``.
        earnings: Purchase id -> :class:`~crmkit.loyalty.EarningResult` (for ``explain``),
            a read-only mapping; under plain base rates each result is built when first
            read (the replay itself only needs its totals).

    Examples:
        >>> import datetime as dt
        >>> from crmkit.loyalty import Adjust
        >>> t = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
        >>> s = Program().replay([Adjust("g1", t, points=200, reason="gift")], as_of=t)
        >>> s.available, s.credited, s.balance
        (200, 200, 200)
    """

    as_of: dt.datetime
    available: int
    pending: int
    debt: int
    credited: int
    cash_offset: Decimal
    enrolled_at: dt.datetime | None
    birth_date: dt.date | None
    rejected: tuple[tuple[str, str], ...]
    # The snapshot of the rest (lots, postings, events, earnings), read on first use, and
    # the resume token Program.apply continues from.
    _snap: _Snapshot = attrs.field(repr=False)
    # The states of the program's other point currencies (empty with one).
    _others: Mapping[str, MemberState] = attrs.field(repr=False)

    @classmethod
    def _from_book(cls, book: Book, as_of: dt.datetime) -> MemberState:
        """Build the state from the replay's book (internal); lots and postings wait."""
        zone = book.zone
        # Program.apply builds one state per event: the fields go into the instance's
        # dict in one call (the frozen class's own __init__, one object.__setattr__ call
        # per field, costs almost as much as the event's fold).
        state = object.__new__(cls)
        state.__dict__.update(
            {
                "as_of": as_of if as_of.tzinfo is zone else as_of.astimezone(zone),
                "available": book.available,
                "pending": book.pending,
                "debt": book.debt,
                "credited": book.credited,
                "cash_offset": book.cash_offset,
                "enrolled_at": book.enrolled_local,
                "birth_date": book.birth_date,
                "rejected": tuple(book.rejected),
                "_snap": _Snapshot(book, as_of),
                "_others": {name: cls._from_book(sub, as_of) for name, sub in book.subs.items()}
                if book.subs
                else _NO_OTHERS,
            }
        )
        return state

    def _key(self) -> tuple[Any, ...]:
        return (
            self.as_of,
            self.available,
            self.pending,
            self.debt,
            self.credited,
            self.cash_offset,
            self.tiers_by_ladder,
            self.privileges,
            self.enrolled_at,
            self.birth_date,
            self.rejected,
            self._snap.read("lots"),
            self._snap.read("postings"),
            self._snap.read("qualifying"),
            self._others,
        )

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, MemberState):
            return NotImplemented
        return self is other or self._key() == other._key()

    __hash__ = None  # type: ignore[assignment]  # holds mappings: not hashable

    @property
    def tier(self) -> TierStatus | None:
        """The tier status on the primary ladder, or None without tiers.

        The primary ladder is the single ladder, or the first of :attr:`Program.tiers`
        when it is a mapping.

        Examples:
            >>> import datetime as dt
            >>> Program().replay([], as_of=dt.datetime(2025, 1, 1, tzinfo=dt.UTC)).tier is None
            True
        """
        return next(iter(self.tiers_by_ladder.values()), None)

    @property
    def tiers_by_ladder(self) -> Mapping[str, TierStatus]:
        """Every ladder's :class:`~crmkit.loyalty.TierStatus` by ladder name.

        ``{"main": ...}`` for a single ladder, empty without tiers.

        Examples:
            >>> import datetime as dt
            >>> Program().replay([], as_of=dt.datetime(2025, 1, 1, tzinfo=dt.UTC)).tiers_by_ladder
            {}
        """
        statuses: Mapping[str, TierStatus] = self._snap.read("tiers")[0]
        return statuses

    @property
    def privileges(self) -> tuple[Privilege, ...]:
        """Privileges active at :attr:`as_of` (on every ladder).

        Examples:
            >>> import datetime as dt
            >>> Program().replay([], as_of=dt.datetime(2025, 1, 1, tzinfo=dt.UTC)).privileges
            ()
        """
        privileges: tuple[Privilege, ...] = self._snap.read("tiers")[1]
        return privileges

    @property
    def _book(self) -> Book:
        """The fold this state was read from (rebuilt from its events if moved on)."""
        return self._snap.book()

    @property
    def spent(self) -> int:
        """Points held by redemptions, points tenders, debits and debt repayments.

        Examples:
            >>> import datetime as dt
            >>> from crmkit.loyalty import Adjust, Redeem
            >>> t = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
            >>> events = [Adjust("g", t, points=50, reason="gift"), Redeem("r", t, points=20)]
            >>> Program().replay(events, as_of=t).spent
            20
        """
        return int(self._snap.read("totals")[0])

    @property
    def expired(self) -> int:
        """Points that expired unspent.

        Examples:
            >>> import datetime as dt
            >>> Program().replay([], as_of=dt.datetime(2025, 1, 1, tzinfo=dt.UTC)).expired
            0
        """
        return int(self._snap.read("totals")[1])

    @property
    def reversed(self) -> int:
        """Points taken back by refunds.

        Examples:
            >>> import datetime as dt
            >>> Program().replay([], as_of=dt.datetime(2025, 1, 1, tzinfo=dt.UTC)).reversed
            0
        """
        return int(self._snap.read("totals")[2])

    @property
    def forfeited(self) -> int:
        """Spent points whose earning was refunded, written off (``"forfeit"``).

        Examples:
            >>> import datetime as dt
            >>> Program().replay([], as_of=dt.datetime(2025, 1, 1, tzinfo=dt.UTC)).forfeited
            0
        """
        return int(self._snap.read("totals")[3])

    @property
    def earnings(self) -> Mapping[str, EarningResult]:
        """Purchase id -> :class:`~crmkit.loyalty.EarningResult` (for ``explain``).

        A read-only mapping; under plain base rates each result is built when first read.

        Examples:
            >>> import datetime as dt
            >>> from crmkit.loyalty import Purchase, PurchaseLine
            >>> t = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
            >>> s = Program().replay([Purchase("p1", t, lines=[PurchaseLine("1", "12")])], as_of=t)
            >>> s.earnings["p1"].points
            12
        """
        earnings: Mapping[str, EarningResult] = self._snap.read("earnings")
        return earnings

    @property
    def lots(self) -> tuple[Lot, ...]:
        """Every :class:`~crmkit.loyalty.Lot`, in crediting order (built on access).

        Times are in the program's zone; under an inactivity policy a live lot's
        ``expires_at`` is the current deadline (a lot with an expiry of its own,
        ``Adjust.expires_at``, shows and keeps that date). Under ``tier_basis="held"`` (rule 5),
        while the member holds a tier that keeps every point, a live lot's
        ``expires_at`` is the later of its own date and the earliest the points can go:
        the earliest the status can end (the end of a running grace period, else its
        validity's end plus the ladder's ``grace_days``: a downgrade waits them out),
        then the run-on from there under the least generous policy of the tiers the
        member may fall to (IHG: 12 months after the move to Club); None for a status
        with no end, or when no tier below ever expires points. It is the earliest date
        the points can go, not a date they are sure to go. After leaving such a tier it is
        the later of its own date and the date the points run on to. Under
        ``tier_basis="extended"`` (China Southern), while the member holds a tier that
        moves points on, it is the first date of the lot's run of extensions past the
        earliest end of the status (every due date before that end is sure to move on).

        Examples:
            >>> import datetime as dt
            >>> from crmkit.loyalty import Adjust
            >>> t = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
            >>> s = Program().replay([Adjust("g1", t, points=5, reason="gift")], as_of=t)
            >>> [(lot.lot_id, lot.amount, lot.remaining) for lot in s.lots]
            [('g1', 5, 5)]
        """
        zone = self._snap.zone
        return tuple(
            Lot(
                lot[0],
                lot[1],
                lot[2].astimezone(zone),
                lot[3].astimezone(zone),
                None if lot[4] is None else lot[4].astimezone(zone),
                *lot[5:],
            )
            for lot in self._snap.read("lots")
        )

    @property
    def postings(self) -> tuple[Posting, ...]:
        """The ledger: every :class:`~crmkit.loyalty.Posting`, in time order (built on access).

        Examples:
            >>> import datetime as dt
            >>> from crmkit.loyalty import Adjust
            >>> t = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
            >>> s = Program().replay([Adjust("g1", t, points=5, reason="gift")], as_of=t)
            >>> [(p.kind, p.points, p.rule) for p in s.postings]
            [('adjust', 5, 'gift')]
        """
        zone = self._snap.zone
        return tuple(Posting(p[0].astimezone(zone), *p[1:]) for p in self._snap.read("postings"))

    @property
    def qualifying(self) -> tuple[QualifyingPosting, ...]:
        """The qualifying postings that feed the tier ladder (built on access).

        Purchases post their earning base, points and one order; refunds post negative
        shares; redemptions, expiries and adjustments never post.

        Examples:
            >>> import datetime as dt
            >>> from crmkit.loyalty import Purchase, PurchaseLine
            >>> t = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
            >>> s = Program().replay([Purchase("p", t, lines=[PurchaseLine("1", "30")])], as_of=t)
            >>> [(q.spend, q.points, q.orders) for q in s.qualifying]
            [(Decimal('30'), 30, 1)]
        """
        zone = self._snap.zone
        return tuple(
            QualifyingPosting(
                time=q[0].astimezone(zone),
                spend=q[1],
                points=q[2],
                orders=q[3],
                counts=dict(q[4]),
                reverses=None if q[5] is None else q[5].astimezone(zone),
            )
            for q in self._snap.read("qualifying")
        )

    @property
    def balance(self) -> int:
        """``available - debt``: negative while the member owes points.

        Examples:
            >>> import datetime as dt
            >>> Program().replay([], as_of=dt.datetime(2025, 1, 1, tzinfo=dt.UTC)).balance
            0
        """
        return self.available - self.debt

    @property
    def tier_name(self) -> str | None:
        """The current tier's name on the primary ladder (None without tiers).

        Examples:
            >>> import datetime as dt
            >>> Program().replay([], as_of=dt.datetime(2025, 1, 1, tzinfo=dt.UTC)).tier_name
        """
        return None if self.tier is None else self.tier.tier

    @property
    def point_currency(self) -> str:
        """The point currency this state counts (the primary one, or see :attr:`by_currency`).

        Examples:
            >>> import datetime as dt
            >>> Program().replay([], as_of=dt.datetime(2025, 1, 1, tzinfo=dt.UTC)).point_currency
            'points'
        """
        return self._snap.currency

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON types: the figures, tiers, lots, ledger and earnings at :attr:`as_of`.

        Points are ints, money (``cash_offset``) exact text, instants ISO 8601 with their
        offset; ``tier`` and each ``tiers_by_ladder`` entry are :class:`TierStatus` dicts
        (``None``/empty without tiers), ``privileges`` the ids of the active privileges,
        ``earnings`` purchase id -> :class:`EarningResult` dict, and ``other_currencies``
        the same figures for each further point currency (empty with one).

        Examples:
            >>> import datetime as dt, json
            >>> from crmkit.loyalty import Adjust
            >>> t = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
            >>> d = Program().replay([Adjust("g1", t, points=200, reason="gift")], as_of=t).to_dict()
            >>> d["as_of"], d["available"], d["cash_offset"], d["lots"][0]["amount"]
            ('2025-01-01T00:00:00+00:00', 200, '0', 200)
            >>> json.loads(json.dumps(d, allow_nan=False)) == d
            True
        """
        out = self._figures()
        out["other_currencies"] = {name: s._figures() for name, s in self._others.items()}
        return out

    def _figures(self) -> dict[str, Any]:
        """:meth:`to_dict` of this currency alone."""
        tier = self.tier
        return {
            "as_of": json_ready(self.as_of),
            "point_currency": self.point_currency,
            "available": self.available,
            "pending": self.pending,
            "debt": self.debt,
            "balance": self.balance,
            "credited": self.credited,
            "spent": self.spent,
            "expired": self.expired,
            "reversed": self.reversed,
            "forfeited": self.forfeited,
            "cash_offset": json_ready(self.cash_offset),
            "enrolled_at": json_ready(self.enrolled_at),
            "birth_date": json_ready(self.birth_date),
            "tier_name": self.tier_name,
            "tier": None if tier is None else tier.to_dict(),
            "tiers_by_ladder": json_ready(self.tiers_by_ladder),
            "privileges": [p.id for p in self.privileges],
            "lots": json_ready(self.lots),
            "postings": json_ready(self.postings),
            "qualifying": json_ready(self.qualifying),
            "earnings": json_ready(self.earnings),
            "rejected": json_ready(self.rejected),
        }

    @property
    def by_currency(self) -> dict[str, MemberState]:
        """The state of every point currency, by name, the primary (this state) first.

        Each is a full state of that currency (balances, lots, postings; the tiers are the
        member's), and each keeps ``credited == available + pending + spent + expired +
        reversed + forfeited``. Purchases earn every currency under its own scheme and
        refunds reverse what each earned; redemptions and adjustments move one currency.

        Examples:
            >>> import datetime as dt
            >>> from crmkit.loyalty import Adjust, EarningScheme, Purchase, PurchaseLine, Redeem
            >>> program = Program(earning={"points": EarningScheme.base_rate(1),
            ...                            "miles": EarningScheme.base_rate(2)})
            >>> t = dt.datetime(2025, 3, 1, tzinfo=dt.UTC)
            >>> events = [Purchase("p1", t, lines=[PurchaseLine("1", "100")]),
            ...           Redeem("r1", t, points=150, currency="miles"),
            ...           Adjust("a1", t, points=5, reason="gift")]
            >>> s = program.replay(events, as_of=t)
            >>> {name: (c.credited, c.available, c.spent) for name, c in s.by_currency.items()}
            {'points': (105, 105, 0), 'miles': (200, 50, 150)}
        """
        return {self._snap.currency: self, **self._others}

    @property
    def tier_names(self) -> dict[str, str]:
        """The current tier's name on every ladder, by ladder name (empty without tiers).

        Examples:
            >>> import datetime as dt
            >>> from crmkit.loyalty import Purchase, PurchaseLine, Tier, TierLadder
            >>> status = TierLadder(tiers=[Tier(name="blue"), Tier(name="gold", points=5000)])
            >>> club = TierLadder(tiers=[Tier(name="basic"), Tier(name="plus", spend="2000")])
            >>> program = Program(tiers={"status": status, "club": club})
            >>> t = dt.datetime(2025, 3, 1, tzinfo=dt.UTC)
            >>> s = program.replay([Purchase("p1", t, lines=[PurchaseLine("1", "2500")])], as_of=t)
            >>> s.tier_name, s.tier_names
            ('blue', {'status': 'blue', 'club': 'plus'})
        """
        return {name: status.tier for name, status in self.tiers_by_ladder.items()}

    def expiring(self, days: int) -> int:
        """Points that expire within ``days`` days after :attr:`as_of` unless spent.

        Counts usable lots whose ``expires_at`` is at or before ``as_of + days`` (a lot is
        usable while ``as_of < expires_at``, so one expiring exactly then is gone by then).
        Under ``tier_basis="held"`` (rule 5) a protected lot's ``expires_at`` is the
        earliest the points can go: the earliest end of the protecting status, its grace
        period included, then the run-on under the least generous tier below (see
        :attr:`lots`): such points count only when they can expire within the horizon.
        Under ``tier_basis="extended"``, points a held tier is sure to move on count at
        the date their extensions reach past the earliest end of the status.

        Examples:
            >>> import datetime as dt
            >>> from crmkit.loyalty import Adjust, ExpiryPolicy
            >>> p = Program(expiry=ExpiryPolicy.after_days(30))
            >>> t = dt.datetime(2025, 1, 1, 9, tzinfo=dt.UTC)
            >>> s = p.replay([Adjust("g", t, points=80, reason="gift")], as_of=t + dt.timedelta(days=20))
            >>> s.expiring(7), s.expiring(11)
            (0, 80)
        """
        return sum(lot.remaining for lot in self.expiring_lots(days))

    def expiring_lots(self, days: int) -> tuple[Lot, ...]:
        """The usable lots that expire within ``days`` days, soonest first.

        Examples:
            >>> import datetime as dt
            >>> Program().replay([], as_of=dt.datetime(2025, 1, 1, tzinfo=dt.UTC)).expiring_lots(30)
            ()
        """
        if isinstance(days, bool) or not isinstance(days, int) or days < 0:
            raise ConfigError(
                "MemberState.expiring()", "days", expected="an int >= 0", found=repr(days)
            )
        horizon = self.as_of + dt.timedelta(days=days)
        found = [
            lot
            for lot in self.lots
            if lot.remaining
            and lot.active(self.as_of)
            and lot.expires_at is not None
            and lot.expires_at <= horizon
        ]
        return tuple(sorted(found, key=lambda lot: (lot.expires_at, lot.earned_at, lot.lot_id)))

    def explain(self, purchase_id: str) -> str:
        """The per-line account of what a purchase earned (see ``EarningResult.explain``).

        Examples:
            >>> import datetime as dt
            >>> from crmkit.loyalty import Purchase, PurchaseLine
            >>> t = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
            >>> s = Program().replay([Purchase("p1", t, lines=[PurchaseLine("1", "12")])], as_of=t)
            >>> "12" in s.explain("p1")
            True
        """
        result = self.earnings.get(purchase_id)
        if result is None:
            raise LedgerError(
                "MemberState.explain()",
                "purchase_id",
                expected=f"a replayed purchase {sorted(self.earnings)[:5]}",
                found=repr(purchase_id),
            )
        return result.explain()

    @property
    def events(self) -> tuple[Event, ...]:
        """The events replayed into this state, in replay order.

        Examples:
            >>> import datetime as dt
            >>> Program().replay([], as_of=dt.datetime(2025, 1, 1, tzinfo=dt.UTC)).events
            ()
        """
        return self._snap.events()
