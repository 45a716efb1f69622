"""When earned points expire: the program's expiry policy.

Every date boundary is local midnight in the program's time zone, and a lot is usable
while ``as_of < expires_at`` (a half-open interval). "Valid through day D" therefore means
``expires_at`` = midnight at the start of the day after D, in the program's zone.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

import attrs

from crmkit._spec import (
    PLAIN,
    Codec,
    Seq,
    Spec,
    _bad,
    decode,
    encode,
    field,
    instance_of,
    metadata,
    one_of,
    whole,
)
from crmkit._validate import resolve_timezone
from crmkit.errors import ConfigError, InvalidInputError
from crmkit.loyalty._rules_util import add_months, midnight, renamed_keys

__all__ = ["ExpiryPolicy"]

_KINDS = ("never", "days", "months", "end_of_period", "fixed_date", "inactivity")
_PERIODS = ("month", "quarter", "year")
_TIER_BASES = ("credited", "held", "extended")
_COUNT_FROM = ("earning_day", "month_end")
_OWNER = "ExpiryPolicy"
#: The smallest step of a datetime: ``expires_at - _TICK`` is the last instant a lot is usable.
_TICK = dt.timedelta(microseconds=1)


def _clamped(year: int, month: int, day: int) -> dt.date:
    last = calendar.monthrange(year, month)[1]
    return dt.date(year, month, min(day, last))


def _period_end(day: dt.date, period: str, after: int) -> dt.date:
    """Last day of the period ``after`` periods after the one holding ``day``."""
    months = {"month": 1, "quarter": 3, "year": 12}[period]
    first_month = (day.month - 1) // months * months + 1
    start = add_months(dt.date(day.year, first_month, 1), months * (after + 1))
    return start - dt.timedelta(days=1)


def _require_aware(value: object, owner: str, field: str) -> None:
    """Refuse anything but a timezone-aware datetime (a naive time has no day to count from)."""
    if not isinstance(value, dt.datetime) or value.tzinfo is None:
        raise InvalidInputError(
            owner, field, expected="a timezone-aware datetime", found=repr(value), kind=""
        )


def _str_tuple(values: object) -> Any:
    if isinstance(values, str):
        return (values,)
    if not isinstance(values, Iterable):
        return values  # the validator names it
    return tuple(values)


def _event_kinds(instance: object, attribute: attrs.Attribute[Any], value: Any) -> None:
    if not isinstance(value, tuple) or not all(isinstance(k, str) for k in value):
        raise ConfigError(
            _OWNER, attribute.name, expected="a list of event kinds (strings)", found=repr(value)
        )


def _pairs(values: object) -> Any:
    if isinstance(values, Mapping):
        return tuple(values.items())
    if isinstance(values, str) or not isinstance(values, Iterable):
        return values  # the validator names it
    return tuple(values)


def _tier_policies(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    """``by_tier``: (tier name, lot-dated policy without its own tiers) pairs, names unique."""
    if not isinstance(value, tuple):
        raise ConfigError(
            _OWNER,
            attribute.name,
            expected="a mapping of tier name -> ExpiryPolicy",
            found=repr(value),
        )
    seen: set[str] = set()
    for item in value:
        ok = (
            isinstance(item, tuple)
            and len(item) == 2
            and isinstance(item[0], str)
            and bool(item[0])
            and isinstance(item[1], ExpiryPolicy)
        )
        if not ok:
            raise ConfigError(
                _OWNER,
                attribute.name,
                expected="a mapping of tier name -> ExpiryPolicy",
                found=repr(item),
            )
        name, policy = item
        if name in seen:
            raise ConfigError(
                _OWNER, f"by_tier[{name!r}]", expected="one policy per tier", found="a repeat"
            )
        seen.add(name)
        if instance.kind == "inactivity" and policy.kind != "never":
            raise ConfigError(
                _OWNER,
                f"by_tier[{name!r}]",
                expected="'never' under an inactivity policy (the tier's members keep "
                "their points while they hold it)",
                found=f"kind {policy.kind!r}",
            )
        if policy.by_tier or policy.kind == "inactivity":
            raise ConfigError(
                _OWNER,
                f"by_tier[{name!r}]",
                expected="a lot-dated policy (never, days, months, end_of_period, fixed_date) "
                "without tiers of its own",
                found=f"kind {policy.kind!r}" + (" with by_tier" if policy.by_tier else ""),
            )
    if value and instance.kind == "inactivity" and instance.tier_basis != "held":
        raise ConfigError(
            _OWNER,
            "tier_basis",
            expected="'held' for an inactivity policy with by_tier",
            found=repr(instance.tier_basis),
            hint="Inactivity expiry has one deadline for the whole balance: a tier can only "
            "suspend it while the member holds the tier.",
        )


def _count_from(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    one_of(_COUNT_FROM)(instance, attribute, value)
    if value != "earning_day" and instance.kind != "months":
        raise ConfigError(
            _OWNER,
            "count_from",
            expected="'earning_day' unless kind is 'months'",
            found=f"{value!r} with kind {instance.kind!r}",
        )


def extension_problem(policy: ExpiryPolicy) -> str | None:
    """Why ``policy`` cannot serve as an extension (None: it can).

    An extension moves a due date later (:meth:`ExpiryPolicy.extend_from`): a lot-dated
    policy without tiers of its own whose date is always after the day it counts from
    (``end_of_period`` and ``fixed_date`` with ``n=0`` can leave a date where it is).
    """
    if policy.kind in ("never", "inactivity"):
        return f"kind {policy.kind!r}"
    if policy.by_tier:
        return "a policy with by_tier of its own"
    if policy.kind in ("end_of_period", "fixed_date") and policy.n < 1:
        return f"kind {policy.kind!r} with n=0 (it can leave a due date where it is)"
    return None


#: What an extension must be (the ConfigError's ``expected``).
EXTENSION = (
    "a lot-dated policy that always moves a due date later: days or months, or "
    "end_of_period or fixed_date with n >= 1"
)


def _tier_basis(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    one_of(_TIER_BASES)(instance, attribute, value)
    if value != "credited" and not instance.by_tier:
        raise ConfigError(
            _OWNER,
            "tier_basis",
            expected="'credited' unless by_tier names tiers",
            found=f"{value!r} without by_tier",
        )
    if value != "extended":
        return
    # (An inactivity policy with by_tier was refused by by_tier's check: it must be "held".)
    for name, policy in instance.by_tier:
        problem = extension_problem(policy)
        if problem is not None:
            raise ConfigError(
                _OWNER,
                f"by_tier[{name!r}]",
                expected=f"under tier_basis 'extended', {EXTENSION}",
                found=problem,
                hint="A tier whose members keep every point while they hold it is "
                "tier_basis 'held' with ExpiryPolicy.never().",
            )


def _reasons(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if not isinstance(value, tuple) or not all(isinstance(k, str) and k for k in value):
        raise ConfigError(
            _OWNER, attribute.name, expected="a list of reason codes (strings)", found=repr(value)
        )
    if value and instance.kind != "inactivity":
        raise ConfigError(
            _OWNER,
            attribute.name,
            expected="empty unless kind is 'inactivity'",
            found=repr(list(value)),
        )


class _ByTier(Codec):
    """``by_tier`` as a JSON object: tier name -> the policy's mapping."""

    def encode(self, value: Any) -> Any:
        return {name: encode(policy, top=False) for name, policy in value}

    def decode(self, data: Any, path: str) -> Any:
        if not isinstance(data, Mapping):
            raise _bad(path, "a mapping of tier name -> policy", data)
        return tuple(
            (name, decode(ExpiryPolicy, policy, f"{path}[{name!r}]"))
            for name, policy in data.items()
        )


def _by_kind(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    """The fields each kind needs: a count, a period, a day of the year, activity kinds."""
    kind = instance.kind
    if kind in ("days", "months", "inactivity") and instance.n < 1:
        raise ConfigError(_OWNER, "n", expected="at least 1", found=str(instance.n))
    if kind == "end_of_period":
        one_of(_PERIODS)(instance, attrs.fields(ExpiryPolicy).freq, instance.freq)
    if kind == "inactivity":
        one_of(("days", "months"), what="'days' or 'months'")(
            instance, attrs.fields(ExpiryPolicy).freq, instance.freq
        )
        if not instance.activity:
            raise ConfigError(
                _OWNER,
                "activity",
                expected="a non-empty list of event kinds that count as activity",
                found="none",
                hint="For example ['purchase', 'redeem'].",
            )
    if kind == "fixed_date":
        if not 1 <= instance.month <= 12:
            raise ConfigError(_OWNER, "month", expected="in 1..12", found=str(instance.month))
        if not 1 <= instance.day <= 31:
            raise ConfigError(_OWNER, "day", expected="in 1..31", found=str(instance.day))


@attrs.frozen
class ExpiryPolicy(Spec):
    """How long earned points stay usable.

    Build one with the class methods: :meth:`never`, :meth:`after_days`,
    :meth:`after_months` (month ends clamp: 31 Jan + 1 month is 28/29 Feb),
    :meth:`end_of_period` (end of the month/quarter/year N periods after earning),
    :meth:`fixed_date` (every lot expires after the next given day of the year) or
    :meth:`inactivity` (all points expire N days/months after the last activity of the
    declared kinds; a credit with a date of its own, ``Adjust.expires_at``, keeps it).

    Attributes:
        kind: One of ``never``, ``days``, ``months``, ``end_of_period``, ``fixed_date``,
            ``inactivity``.
        n: The count of days, months or periods.
        freq: For ``end_of_period``: ``month``, ``quarter`` or ``year``; for
            ``inactivity``: ``days`` or ``months`` (called ``period`` in schema
            version 1; such JSON still loads).
        month: For ``fixed_date``: the month of the expiry day.
        day: For ``fixed_date``: the day of the month (clamped in short months).
        activity: For ``inactivity``: event kinds that count as activity.
        by_tier: Validity that depends on the tier held (rule 5): tier name -> a
            lot-dated policy (``never``, ``days``, ``months``, ``end_of_period``,
            ``fixed_date``). A lot is dated by the policy of the tier the member holds
            when the points are credited (before any upgrade the crediting event itself
            causes, as earning rates are); members in other tiers, or without a tier, get
            this policy itself. Needs a tier ladder naming those tiers. Under
            ``inactivity`` every entry must be ``never`` (and ``tier_basis`` ``"held"``).
            Build it with :meth:`per_tier`.
        tier_basis: How ``by_tier`` applies (rule 5). ``"credited"`` (the default): a
            lot keeps the validity of the tier held when it was credited. ``"held"``:
            while the member holds a tier whose policy is ``never``, none of the points
            expire, whenever they were earned (Miles & More, IHG elite); when the member
            leaves such a tier, every lot runs on from that instant: its expiry becomes
            the later of its own date and the date the new tier's policy gives to points
            earned at that instant (under ``inactivity``: the deadline restarts then).
            The tier is held, and protects, through a grace period: a downgrade waiting
            out the ladder's ``grace_days`` has not happened yet, so the points run on
            from the end of the grace. Inside the fold a protected lot is looked at
            again at the status's next assessment (its validity's end, or the end of a
            running grace period); a tier held with no end date (a lifetime floor)
            protects its points for good. ``MemberState.lots`` shows a protected lot's
            ``expires_at`` as the later of its own date and the earliest the status can
            end (the validity's end plus ``grace_days``, or the end of a running grace
            period): reports (``MemberState.expiring``, ``replay_many``'s ``expiring``
            and ``next_expiry``, ``points_liability``) count protected points only from
            then, and a transfer or merge moves them with no fixed expiry (under the
            receiver's policy). ``"extended"`` (China Southern Sky Pearl Club: "金、银卡会员
            在其金、银卡级别期内到期未用里程将自动全额延期,每次自动延期12个月"): points are
            credited under this policy itself, whatever the tier; a lot falling due while
            the member holds a tier named in ``by_tier`` moves to the date that tier's
            policy gives counted from the lot's last valid day (:meth:`extend_from`:
            ``end_of_period("month", 12)`` moves points valid through 31 January 2026 to
            31 January 2027), and is looked at again then; a lot falling due when the
            member holds no such tier expires then. The tier read is the one held on the
            lot's last valid instant, so a lot valid through the last day of the status
            moves on too. Each ``by_tier`` entry must move a date later (``days``,
            ``months``, or ``end_of_period`` / ``fixed_date`` with ``n >= 1``; ``never``
            is ``"held"``'s). ``MemberState.lots`` shows a live lot at the date it can go
            at the earliest: while the member holds such a tier, every due date up to the
            earliest end of the status (as for ``"held"``) is certain to be extended, so
            the lot is shown at the first date of its run of extensions past that end;
            ``MemberState.expiring``, ``replay_many``'s ``expiring`` and ``next_expiry``
            and ``points_liability`` read that date.
        count_from: For ``months``: ``"earning_day"`` (the default) counts the N months
            from the day the points were earned; ``"month_end"`` from the last day of
            the earning month (Air China: points earned in February 2017 are valid
            until 28 February 2017 + 36 months = 28 February 2020, though 2020 has a
            29 February). Build it with ``after_months(n, count_from="month_end")``.
        ignore_reasons: For ``inactivity`` (rule 6): reason codes of
            :class:`~crmkit.loyalty.Adjust` events that are never activity even when
            ``"adjust"`` is an activity kind (a received gift, a transfer, a goodwill
            credit). Which event kinds count is ``activity``: leave ``"refund"`` out
            and a return is not activity.

    Examples:
        >>> import datetime as dt, zoneinfo
        >>> z = zoneinfo.ZoneInfo("Asia/Shanghai")
        >>> p = ExpiryPolicy.after_months(1)
        >>> p.expires_at(dt.datetime(2025, 1, 31, 15, tzinfo=z), z).isoformat()
        '2025-03-01T00:00:00+08:00'
        >>> ExpiryPolicy.end_of_period("year", 1).expires_at(
        ...     dt.datetime(2025, 6, 1, tzinfo=z), z).isoformat()
        '2027-01-01T00:00:00+08:00'
        >>> ExpiryPolicy.after_months(24).to_dict()
        {'schema_version': 2, 'kind': 'months', 'n': 24, 'freq': '', 'month': 0, 'day': 0, 'activity': []}
        >>> ExpiryPolicy.from_dict({"kind": "days", "days": 90})
        Traceback (most recent call last):
        ...
        crmkit.errors.ConfigError: ExpiryPolicy.from_dict(): parameter 'days' must be one of ['activity', 'by_tier', 'count_from', 'day', 'freq', 'ignore_reasons', 'kind', 'month', 'n', 'schema_version', 'tier_basis']; found an unknown key.
    """

    __spec_version__ = 2
    kind: str = field(default="never", validator=one_of(_KINDS))
    n: int = field(default=0, validator=whole(min=0))
    freq: str = field(default="", validator=instance_of(str, "a string"))
    month: int = field(default=0, validator=whole(min=0))
    day: int = field(default=0, validator=whole(min=0))
    activity: tuple[str, ...] = field(
        default=(), converter=_str_tuple, validator=[_event_kinds, _by_kind], codec=Seq()
    )
    by_tier: tuple[tuple[str, ExpiryPolicy], ...] = attrs.field(
        default=(),
        converter=_pairs,
        validator=_tier_policies,
        metadata=metadata(codec=_ByTier(), omit_default=True),
    )
    ignore_reasons: tuple[str, ...] = attrs.field(
        default=(),
        converter=_str_tuple,
        validator=_reasons,
        metadata=metadata(codec=Seq(), omit_default=True),
    )
    tier_basis: str = attrs.field(
        default="credited",
        validator=_tier_basis,
        metadata=metadata(codec=PLAIN, omit_default=True),
    )
    count_from: str = attrs.field(
        default="earning_day",
        validator=_count_from,
        metadata=metadata(codec=PLAIN, omit_default=True),
    )

    @classmethod
    def __spec_upgrade__(cls, data: dict[str, Any]) -> dict[str, Any]:
        """Schema 1 called ``freq`` ``period``.

        Examples:
            >>> ExpiryPolicy.from_dict({"schema_version": 1, "kind": "end_of_period",
            ...                         "n": 1, "period": "year"}).freq
            'year'
        """
        return renamed_keys(data, {"period": "freq"}, version=2)

    @classmethod
    def never(cls) -> ExpiryPolicy:
        """Points never expire.

        Examples:
            >>> ExpiryPolicy.never().kind
            'never'
        """
        return cls("never")

    @classmethod
    def after_days(cls, n: int) -> ExpiryPolicy:
        """Valid through the N-th day after the earning day (local).

        Examples:
            >>> import datetime as dt
            >>> ExpiryPolicy.after_days(30).expires_at(
            ...     dt.datetime(2025, 1, 10, 23, 59, tzinfo=dt.UTC), dt.UTC).isoformat()
            '2025-02-10T00:00:00+00:00'
        """
        return cls("days", n=n)

    @classmethod
    def after_months(cls, n: int, *, count_from: str = "earning_day") -> ExpiryPolicy:
        """Valid through the same day N months later, clamped to the month's end.

        ``count_from="month_end"`` counts from the last day of the earning month instead
        (see :attr:`count_from`).

        Examples:
            >>> import datetime as dt
            >>> ExpiryPolicy.after_months(12).expires_at(
            ...     dt.datetime(2024, 2, 29, 8, tzinfo=dt.UTC), dt.UTC).date()
            datetime.date(2025, 3, 1)
            >>> p = ExpiryPolicy.after_months(36, count_from="month_end")
            >>> p.expires_at(dt.datetime(2017, 2, 10, tzinfo=dt.UTC), dt.UTC).date()
            datetime.date(2020, 2, 29)
            >>> p.to_dict()["count_from"], ExpiryPolicy.from_dict(p.to_dict()) == p
            ('month_end', True)
        """
        return cls("months", n=n, count_from=count_from)

    @classmethod
    def end_of_period(cls, freq: str, n: int = 0) -> ExpiryPolicy:
        """Valid through the end of the month/quarter/year that is N periods after earning.

        ``n=0`` is the end of the earning period itself.

        Examples:
            >>> import datetime as dt
            >>> ExpiryPolicy.end_of_period("quarter", 1).expires_at(
            ...     dt.datetime(2025, 2, 14, tzinfo=dt.UTC), dt.UTC).date()
            datetime.date(2025, 7, 1)
        """
        return cls("end_of_period", n=n, freq=freq)

    @classmethod
    def fixed_date(cls, month: int, day: int, n: int = 0) -> ExpiryPolicy:
        """Valid through the next given day of the year (on or after earning), plus N years.

        Examples:
            >>> import datetime as dt
            >>> ExpiryPolicy.fixed_date(6, 30).expires_at(
            ...     dt.datetime(2025, 7, 1, tzinfo=dt.UTC), dt.UTC).date()
            datetime.date(2026, 7, 1)
        """
        return cls("fixed_date", n=n, month=month, day=day)

    @classmethod
    def inactivity(
        cls,
        n: int,
        freq: str = "months",
        activity: tuple[str, ...] = (),
        *,
        ignore_reasons: tuple[str, ...] = (),
    ) -> ExpiryPolicy:
        """All points expire when the member has no activity of the given kinds for N periods.

        The deadline is the end of the local day N days/months after the last activity;
        each activity pushes it back for every lot. Points credited while no deadline runs
        (before any activity, or after everything expired) start the clock themselves.
        ``ignore_reasons`` names adjustment reason codes that are not activity. A credit
        with an expiry of its own (:attr:`Adjust.expires_at
        <crmkit.loyalty.Adjust.expires_at>`: miles migrated from a time-based rule) is
        not this policy's: it lives to its own date, whatever the deadline (Cathay:
        miles "credited on or before 31 December 2019 will follow the existing mileage
        expiration policy").

        Examples:
            >>> p = ExpiryPolicy.inactivity(18, "months", activity=("purchase", "redeem"))
            >>> p.activity
            ('purchase', 'redeem')
            >>> ExpiryPolicy.inactivity(
            ...     12, activity=("purchase", "adjust"), ignore_reasons=("gift",)
            ... ).counts_as_activity("adjust", "gift")
            False
        """
        return cls("inactivity", n=n, freq=freq, activity=activity, ignore_reasons=ignore_reasons)

    def per_tier(
        self, policies: Mapping[str, ExpiryPolicy], *, basis: str | None = None
    ) -> ExpiryPolicy:
        """This policy, with a different validity for the members of some tiers.

        Args:
            policies: Tier name -> the lot-dated policy for points credited while the
                member holds that tier (e.g. :meth:`never` for the top tier); under an
                inactivity policy, :meth:`never` for the tiers whose members keep their
                points while they hold the tier.
            basis: ``"credited"``, ``"held"`` or ``"extended"`` (see :attr:`tier_basis`;
                under ``"extended"`` each policy is the tier's extension, counted from a
                due date); None: ``"held"`` for an inactivity policy, else ``"credited"``.

        Returns:
            A new policy; members of other tiers keep this one.

        Examples:
            >>> p = ExpiryPolicy.after_months(36).per_tier({"senator": ExpiryPolicy.never()})
            >>> p.for_tier("senator").kind, p.for_tier("member").kind, p.for_tier(None).kind
            ('never', 'months', 'months')
            >>> p.to_dict()["by_tier"]
            {'senator': {'kind': 'never', 'n': 0, 'freq': '', 'month': 0, 'day': 0, 'activity': []}}
            >>> ExpiryPolicy.from_dict(p.to_dict()) == p
            True
            >>> ihg = ExpiryPolicy.inactivity(12, activity=("purchase", "redeem")).per_tier(
            ...     {"gold": ExpiryPolicy.never()})
            >>> ihg.tier_basis, ExpiryPolicy.from_dict(ihg.to_dict()) == ihg
            ('held', True)

            China Southern: a gold or silver card moves miles falling due 12 months on,
            month end to month end:

            >>> year = ExpiryPolicy.end_of_period("month", 12)
            >>> cz = ExpiryPolicy.end_of_period("month", 36).per_tier(
            ...     {"金卡": year, "银卡": year}, basis="extended")
            >>> cz.to_dict()["tier_basis"], ExpiryPolicy.from_dict(cz.to_dict()) == cz
            ('extended', True)
        """
        if basis is None:
            basis = "held" if self.kind == "inactivity" else "credited"
        return attrs.evolve(self, by_tier=tuple(policies.items()), tier_basis=basis)

    def protects(self, tier: str | None) -> bool:
        """Whether holding ``tier`` keeps every point from expiring (``tier_basis="held"``).

        Examples:
            >>> p = ExpiryPolicy.after_months(36).per_tier(
            ...     {"senator": ExpiryPolicy.never()}, basis="held")
            >>> p.protects("senator"), p.protects("member"), p.protects(None)
            (True, False, False)
        """
        if self.tier_basis != "held":
            return False
        return any(name == tier and policy.kind == "never" for name, policy in self.by_tier)

    def extension(self, tier: str | None) -> ExpiryPolicy | None:
        """The extension of a lot falling due while the member holds ``tier`` (``"extended"``).

        None: the tier moves nothing on (every tier under another :attr:`tier_basis`).

        Examples:
            >>> year = ExpiryPolicy.end_of_period("month", 12)
            >>> p = ExpiryPolicy.after_months(36, count_from="month_end").per_tier(
            ...     {"gold": year}, basis="extended")
            >>> p.extension("gold") == year, p.extension("member"), p.extension(None)
            (True, None, None)
        """
        if self.tier_basis != "extended":
            return None
        for name, policy in self.by_tier:
            if name == tier:
                return policy
        return None

    def extend_from(self, expires_at: dt.datetime, timezone: str | dt.tzinfo) -> dt.datetime:
        """This policy as an extension: the new expiry of points due at ``expires_at``.

        Counted from their last valid day, the local day of the instant before
        ``expires_at`` (a lot valid through 31 March is due at 1 April 00:00 and counts
        from 31 March), as :meth:`expires_at` counts from an earning day. Used for
        ``tier_basis="extended"`` (:meth:`extension`) and for the points an involuntary
        cancellation returns (``Program.involuntary_extension``).

        Args:
            expires_at: The due date (aware).
            timezone: The program's time zone.

        Raises:
            ConfigError: This policy cannot move a date later (``never``, ``inactivity``,
                ``end_of_period`` or ``fixed_date`` with ``n=0``, or tiers of its own).
            InvalidInputError: ``expires_at`` is not an aware datetime.

        Examples:
            >>> import datetime as dt, zoneinfo
            >>> sh = zoneinfo.ZoneInfo("Asia/Shanghai")
            >>> due = dt.datetime(2026, 4, 1, tzinfo=sh)  # valid through 31 March 2026
            >>> ExpiryPolicy.after_months(6).extend_from(due, sh).date()  # through 30 Sep
            datetime.date(2026, 10, 1)
            >>> year = ExpiryPolicy.end_of_period("month", 12)  # month end to month end
            >>> year.extend_from(dt.datetime(2027, 3, 1, tzinfo=sh), sh).date()  # 29 Feb 2028
            datetime.date(2028, 3, 1)
        """
        problem = extension_problem(self)
        if problem is not None:
            raise ConfigError(
                "ExpiryPolicy.extend_from()", "kind", expected=EXTENSION, found=problem
            )
        # Checked here: expires_at() would name its own argument, and the instant before.
        _require_aware(expires_at, "ExpiryPolicy.extend_from()", "expires_at")
        moved = self.expires_at(expires_at - _TICK, timezone)
        assert moved is not None  # (a lot-dated policy: extension_problem)
        return moved

    def for_tier(self, tier: str | None) -> ExpiryPolicy:
        """The policy that dates points credited while the member holds ``tier``.

        Under ``tier_basis="extended"`` that is this policy itself, whatever the tier
        (the ``by_tier`` entries are extensions: :meth:`extension`).

        Examples:
            >>> ExpiryPolicy.never().for_tier("gold").kind
            'never'
        """
        if self.tier_basis == "extended":
            return self
        for name, policy in self.by_tier:
            if name == tier:
                return policy
        return self

    def counts_as_activity(self, kind: str, reason: str = "") -> bool:
        """Whether an event of ``kind`` (with adjustment ``reason``) is activity (rule 6).

        Examples:
            >>> p = ExpiryPolicy.inactivity(24, activity=("purchase", "adjust"),
            ...                             ignore_reasons=("transfer_in",))
            >>> p.counts_as_activity("purchase"), p.counts_as_activity("refund")
            (True, False)
            >>> p.counts_as_activity("adjust", "goodwill"), p.counts_as_activity("adjust", "transfer_in")
            (True, False)
        """
        return kind in self.activity and not (reason and reason in self.ignore_reasons)

    def expires_at(self, earned_at: dt.datetime, timezone: str | dt.tzinfo) -> dt.datetime | None:
        """The instant a lot earned at ``earned_at`` stops being usable (None: never).

        For ``inactivity`` this is the deadline if ``earned_at`` were the last activity.

        Args:
            earned_at: When the lot was earned (aware: a naive time has no day to count
                from without a zone, and the machine's zone is never read).
            timezone: The program's time zone (an IANA name or a ``tzinfo``); day
                boundaries are local midnights there.

        Raises:
            ConfigError: ``timezone`` is not a time zone.
            InvalidInputError: ``earned_at`` is not an aware datetime.

        Examples:
            >>> import datetime as dt
            >>> ExpiryPolicy.never().expires_at(dt.datetime(2025, 1, 1, tzinfo=dt.UTC), dt.UTC)
            >>> ExpiryPolicy.after_days(30).expires_at(
            ...     dt.datetime(2025, 1, 1, 20, tzinfo=dt.UTC), "Asia/Shanghai").isoformat()
            '2025-02-02T00:00:00+08:00'
        """
        if not isinstance(timezone, dt.tzinfo):
            timezone = resolve_timezone(timezone, "ExpiryPolicy.expires_at()")
        _require_aware(earned_at, "ExpiryPolicy.expires_at()", "earned_at")
        if self.kind == "never":
            return None
        day = earned_at.astimezone(timezone).date()
        if self.kind == "days" or (self.kind == "inactivity" and self.freq == "days"):
            last = day + dt.timedelta(days=self.n)
        elif self.kind in ("months", "inactivity"):
            if self.count_from == "month_end":
                day = _clamped(day.year, day.month, 31)
            last = add_months(day, self.n)
        elif self.kind == "end_of_period":
            last = _period_end(day, self.freq, self.n)
        else:
            last = _fixed(day.year, self.month, self.day)
            if last < day:
                last = _fixed(day.year + 1, self.month, self.day)
            if self.n:
                last = _fixed(last.year + self.n, self.month, self.day)
        return midnight(last + dt.timedelta(days=1), timezone)


def _fixed(year: int, month: int, day: int) -> dt.date:
    return _clamped(year, month, day)
