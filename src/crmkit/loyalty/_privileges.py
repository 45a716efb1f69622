"""Privileges: what each tier gives, granted and revoked as the member's tier changes.

A :class:`Privilege` names the tiers that carry it and, optionally, a validity of its own
(``start``/``end`` local dates for time-boxed special rewards) and ``keep_days`` it survives
a downgrade. :class:`PrivilegeSet` reads a member's tier history (the
:class:`~crmkit.loyalty.TierChange` list of a :class:`~crmkit.loyalty.TierStatus`) and says
which privileges were granted when, which are active at an instant, and how much of a quota
(lounge passes per year) is left.

Kinds: ``earning_multiplier`` and ``birthday_bonus`` (``value`` is a factor applied by the
earning rules; the birthday one only in the birth month), ``free_shipping``, ``quota``
(``quota`` uses per ``quota_freq``; a birthday voucher is a quota of the member's birthday or
birth month) and ``benefit`` (anything else, by name).
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any, Protocol

import attrs

from crmkit._jsonable import ResultDict
from crmkit._spec import (
    DATE,
    DECIMAL,
    Nested,
    Optional,
    Seq,
    Spec,
    field,
    instance_of,
    not_less_than,
    one_of,
    whole,
)
from crmkit._spec import decimal as decimal_value
from crmkit.errors import ConfigError, InvalidInputError, LedgerError
from crmkit.loyalty._rules_util import (
    as_of_time,
    check_date,
    check_labels,
    check_name,
    local_time,
    midnight,
    period_bounds,
    renamed_keys,
    to_date,
    to_optional_decimal,
    to_str_tuple,
    zone,
)

__all__ = ["Grant", "Privilege", "PrivilegeSet", "QuotaStatus"]

PRIVILEGE_KINDS = ("earning_multiplier", "birthday_bonus", "free_shipping", "quota", "benefit")
QUOTA_PERIODS = ("year", "month", "validity", "birthday", "birthday_month")


class _Change(Protocol):
    """What privileges read from a tier change (``crmkit.loyalty.TierChange``)."""

    @property
    def time(self) -> dt.datetime: ...

    @property
    def new(self) -> str: ...


def _privilege_id(instance: object, attribute: attrs.Attribute[Any], value: Any) -> None:
    check_name("Privilege", attribute.name, value)


def _labels_tuple(value: Any) -> Any:
    if value is None or not isinstance(value, Iterable):
        return value  # the validator names it
    return to_str_tuple(value)


def _tier_labels(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    owner = f"Privilege({instance.id!r})"
    check_labels(owner, "tiers", value)
    if not value:
        raise ConfigError(owner, "tiers", expected="at least one tier", found="none")


def _optional_date(instance: object, attribute: attrs.Attribute[Any], value: Any) -> None:
    check_date("Privilege", attribute.name, value)


def _by_privilege_kind(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    """A factor for multiplier kinds, a quota for quota privileges (and only for them)."""
    owner = f"Privilege({instance.id!r})"
    kind = instance.kind
    if kind in ("earning_multiplier", "birthday_bonus"):
        if instance.value is None:
            raise ConfigError(
                owner, "value", expected=f"a factor >= 1 for kind {kind!r}", found="None"
            )
        if instance.value < 1:
            raise ConfigError(owner, "value", expected="at least 1", found=str(instance.value))
    if not instance.qualifying and kind not in ("earning_multiplier", "birthday_bonus"):
        raise ConfigError(
            owner,
            "qualifying",
            expected="True unless kind is 'earning_multiplier' or 'birthday_bonus'",
            found="False",
        )
    if kind == "quota" and instance.quota is None:
        raise ConfigError(owner, "quota", expected="an int >= 1 for kind 'quota'", found="None")
    if kind != "quota" and instance.quota is not None:
        raise ConfigError(
            owner, "quota", expected="None unless kind is 'quota'", found=str(instance.quota)
        )


@attrs.frozen(kw_only=True)
class Privilege(Spec):
    """A benefit carried by one or more tiers.

    Attributes:
        id: Unique id (``"lounge"``).
        kind: ``"earning_multiplier"``, ``"birthday_bonus"``, ``"free_shipping"``,
            ``"quota"`` or ``"benefit"``.
        tiers: The tiers that carry it.
        value: Factor (>= 1) for ``earning_multiplier`` and ``birthday_bonus``.
        quota: Uses per ``quota_freq`` for ``quota`` privileges (>= 1).
        quota_freq: ``"year"``, ``"month"`` (local calendar), ``"validity"`` (the
            whole time the privilege is held), ``"birthday"`` or ``"birthday_month"``
            (a birthday voucher: ``quota`` uses a year, usable only on the member's
            birthday, or in the birth month; a 29 February birthday is 28 February in
            common years); called ``quota_period`` in schema version 1 (such JSON still
            loads).
        start: First local date it can be held (time-boxed special rewards).
        end: First local date it can no longer be held.
        keep_days: Days it survives losing the tier (0: revoked with the tier).
        qualifying: For ``earning_multiplier`` and ``birthday_bonus``: whether the extra
            points count toward the qualifying points of tiers (default True). False
            keeps them out while the member still earns them, as an earning rule's
            ``qualifying=False`` does: Hilton Honors' elite bonus points (+80 % for
            Gold) are redeemable but only base points count toward status.
        description: Free text for people.

    Examples:
        >>> lounge = Privilege(id="lounge", kind="quota", tiers=["gold", "platinum"], quota=4)
        >>> Privilege.from_dict(lounge.to_dict()) == lounge
        True
        >>> lounge.to_dict()["tiers"]
        ['gold', 'platinum']
        >>> bonus = Privilege(id="gold-bonus", kind="earning_multiplier", tiers=["gold"],
        ...                   value="1.8", qualifying=False)
        >>> bonus.to_dict()["qualifying"], Privilege.from_dict(bonus.to_dict()) == bonus
        (False, True)
        >>> Privilege(id="x2", kind="earning_multiplier", tiers=["gold"])
        Traceback (most recent call last):
        ...
        crmkit.errors.ConfigError: Privilege('x2'): parameter 'value' must be a factor >= 1 for kind 'earning_multiplier'; found None.
        >>> Privilege.from_dict({"schema_version": 1, "id": "guide", "kind": "quota",
        ...                      "tiers": ["vip"], "quota": 2, "quota_period": "month"}).quota_freq
        'month'
    """

    __spec_version__ = 2
    id: str = field(validator=_privilege_id)
    kind: str = field(validator=one_of(PRIVILEGE_KINDS))
    tiers: tuple[str, ...] = field(converter=_labels_tuple, validator=_tier_labels, codec=Seq())
    value: Decimal | None = field(
        default=None,
        converter=to_optional_decimal,
        validator=decimal_value(min=0, optional=True),
        codec=Optional(DECIMAL),
    )
    quota: int | None = field(default=None, validator=whole(min=1, optional=True))
    quota_freq: str = field(default="year", validator=one_of(QUOTA_PERIODS))
    start: dt.date | None = field(
        default=None, converter=to_date, validator=_optional_date, codec=Optional(DATE)
    )
    end: dt.date | None = field(
        default=None,
        converter=to_date,
        validator=[_optional_date, not_less_than("start", strict=True)],
        codec=Optional(DATE),
    )
    keep_days: int = field(default=0, validator=whole(min=0))
    qualifying: bool = field(default=True, validator=instance_of(bool, "a bool"), omit_default=True)
    description: str = field(
        default="", validator=[instance_of(str, "a string"), _by_privilege_kind]
    )

    @classmethod
    def __spec_upgrade__(cls, data: dict[str, Any]) -> dict[str, Any]:
        """Schema 1 called ``quota_freq`` ``quota_period``."""
        return renamed_keys(data, {"quota_period": "quota_freq"}, version=2)

    def _span(self, tz: dt.tzinfo) -> tuple[dt.datetime | None, dt.datetime | None]:
        start = midnight(self.start, tz) if self.start is not None else None
        end = midnight(self.end, tz) if self.end is not None else None
        return start, end


@attrs.frozen
class Grant(ResultDict):
    """A privilege held from ``granted_at`` until ``revoked_at`` (None: still held at ``as_of``).

    Examples:
        >>> import datetime as dt
        >>> Grant("lounge", dt.datetime(2025, 3, 1), None).revoked_at is None
        True
        >>> Grant("lounge", dt.datetime(2025, 3, 1), None).to_dict()
        {'privilege': 'lounge', 'granted_at': '2025-03-01T00:00:00', 'revoked_at': None}
    """

    privilege: str
    granted_at: dt.datetime
    revoked_at: dt.datetime | None


@attrs.frozen
class QuotaStatus(ResultDict):
    """How much of a quota privilege is left in the current period.

    Examples:
        >>> import datetime as dt
        >>> QuotaStatus("lounge", 4, 1, 3, dt.datetime(2025, 1, 1), dt.datetime(2026, 1, 1)).remaining
        3
        >>> QuotaStatus("lounge", 4, 1, 3, None, None).to_dict()["remaining"]
        3
    """

    privilege: str
    allowed: int
    used: int
    remaining: int
    period_start: dt.datetime | None
    period_end: dt.datetime | None


def _to_privileges(value: Any) -> Any:
    if isinstance(value, str | bytes | Mapping) or not isinstance(value, Iterable):
        return value  # the validator names it
    items = [Privilege.from_dict(p) if isinstance(p, Mapping) else p for p in value]
    return tuple(sorted(items, key=lambda p: p.id if isinstance(p, Privilege) else ""))


def _intervals(
    history: Sequence[_Change], as_of: dt.datetime
) -> list[tuple[str, dt.datetime, dt.datetime | None]]:
    """``(tier, start, end)`` spans from a tier history, up to ``as_of`` (end None: open)."""
    spans: list[tuple[str, dt.datetime, dt.datetime | None]] = []
    for i, change in enumerate(history):
        if change.time > as_of:
            break
        nxt = history[i + 1].time if i + 1 < len(history) else None
        end = nxt if nxt is not None and nxt <= as_of else None
        spans.append((change.new, change.time, end))
    return spans


def _privilege_items(instance: object, attribute: attrs.Attribute[Any], value: Any) -> None:
    owner = "PrivilegeSet"
    if not isinstance(value, tuple):
        raise ConfigError(owner, "privileges", expected="a list of Privilege", found=repr(value))
    for priv in value:
        if not isinstance(priv, Privilege):
            raise ConfigError(owner, "privileges", expected="Privilege items", found=repr(priv))
    ids = [p.id for p in value]
    repeated = sorted({i for i in ids if ids.count(i) > 1})
    if repeated:
        raise ConfigError(owner, "privileges", expected="unique ids", found=f"repeated {repeated}")


@attrs.frozen
class PrivilegeSet(Spec):
    """The privileges of a program, read against a member's tier history.

    Attributes:
        privileges: The privileges (ids unique); kept sorted by id.

    Examples:
        >>> import datetime as dt
        >>> from crmkit.loyalty import TierChange
        >>> privs = PrivilegeSet([Privilege(id="ship", kind="free_shipping", tiers=["gold"])])
        >>> history = [TierChange(dt.datetime(2025, 1, 1, tzinfo=dt.UTC), None, "member", "start"),
        ...            TierChange(dt.datetime(2025, 5, 1, tzinfo=dt.UTC), "member", "gold", "upgrade")]
        >>> [p.id for p in privs.active(history, as_of=dt.datetime(2025, 6, 1), timezone="UTC")]
        ['ship']
        >>> PrivilegeSet.from_dict(privs.to_dict()) == privs
        True
        >>> PrivilegeSet.from_dict({"privileges": [{"id": "x", "kind": "quota", "tiers": ["g"],
        ...                                         "quota": 0}]})
        Traceback (most recent call last):
        ...
        crmkit.errors.ConfigError: PrivilegeSet.from_dict(): parameter 'privileges[0].quota' must be an int at least 1; found 0.
    """

    privileges: tuple[Privilege, ...] = field(
        converter=_to_privileges, validator=_privilege_items, codec=Seq(Nested(Privilege))
    )

    def check_tiers(self, names: Iterable[str]) -> None:
        """Raise ConfigError if a privilege names a tier outside ``names`` (a ladder's).

        Examples:
            >>> PrivilegeSet([Privilege(id="s", kind="free_shipping", tiers=["gold"])]).check_tiers(["member", "vip"])
            Traceback (most recent call last):
            ...
            crmkit.errors.ConfigError: Privilege('s'): parameter 'tiers' must be tier names of the ladder ['member', 'vip']; found ['gold'].
        """
        known = list(names)
        for priv in self.privileges:
            unknown = [t for t in priv.tiers if t not in known]
            if unknown:
                raise ConfigError(
                    f"Privilege({priv.id!r})",
                    "tiers",
                    expected=f"tier names of the ladder {known}",
                    found=str(unknown),
                )

    def get(self, privilege_id: str) -> Privilege:
        """The privilege with ``privilege_id``; unknown ids are an error.

        Examples:
            >>> PrivilegeSet([Privilege(id="s", kind="free_shipping", tiers=["g"])]).get("s").kind
            'free_shipping'
        """
        for priv in self.privileges:
            if priv.id == privilege_id:
                return priv
        raise InvalidInputError(
            "PrivilegeSet",
            "privilege",
            expected=f"one of {[p.id for p in self.privileges]}",
            found=repr(privilege_id),
            kind="",
        )

    def grants(
        self,
        history: Sequence[_Change],
        *,
        as_of: dt.datetime | dt.date | str,
        timezone: str | dt.tzinfo,
    ) -> tuple[Grant, ...]:
        """Every grant of every privilege up to ``as_of``, in time order.

        Consecutive tiers that both carry a privilege make one grant; ``keep_days``
        extends a grant past the tier's end; ``start``/``end`` clip it.

        Examples:
            >>> import datetime as dt
            >>> from crmkit.loyalty import TierChange
            >>> utc = dt.UTC
            >>> history = [TierChange(dt.datetime(2025, 1, 1, tzinfo=utc), None, "m", "start"),
            ...            TierChange(dt.datetime(2025, 3, 1, tzinfo=utc), "m", "g", "upgrade"),
            ...            TierChange(dt.datetime(2026, 1, 1, tzinfo=utc), "g", "m", "downgrade")]
            >>> privs = PrivilegeSet([Privilege(id="ship", kind="free_shipping", tiers=["g"], keep_days=30)])
            >>> [(g.granted_at.date(), g.revoked_at.date()) for g in privs.grants(history, as_of=dt.datetime(2026, 6, 1), timezone="UTC")]
            [(datetime.date(2025, 3, 1), datetime.date(2026, 1, 31))]
        """
        owner = "PrivilegeSet.grants()"
        tzinfo = zone(timezone, owner)
        end = as_of_time(as_of, tzinfo, owner)
        spans = _intervals(history, end)
        out: list[Grant] = []
        for priv in self.privileges:
            out.extend(self._grants_of(priv, spans, end, tzinfo))
        return tuple(sorted(out, key=lambda g: (g.granted_at, g.privilege)))

    def _grants_of(
        self,
        priv: Privilege,
        spans: list[tuple[str, dt.datetime, dt.datetime | None]],
        as_of: dt.datetime,
        tz: dt.tzinfo,
    ) -> list[Grant]:
        merged: list[tuple[dt.datetime, dt.datetime | None]] = []
        keep = dt.timedelta(days=priv.keep_days)
        for tier, start, stop in spans:
            if tier not in priv.tiers:
                continue
            until = None if stop is None else stop + keep
            if merged and (merged[-1][1] is None or merged[-1][1] >= start):
                last_start, last_end = merged[-1]
                new_end = None if last_end is None or until is None else max(last_end, until)
                merged[-1] = (last_start, new_end)
            else:
                merged.append((start, until))
        lo, hi = priv._span(tz)
        out: list[Grant] = []
        for begin, stop in merged:
            start = lo if lo is not None and begin < lo else begin
            until = hi if hi is not None and (stop is None or stop > hi) else stop
            if (until is not None and until <= start) or start > as_of:
                continue
            revoked = None if until is None or until > as_of else until
            out.append(Grant(priv.id, start, revoked))
        return out

    def active(
        self,
        history: Sequence[_Change],
        *,
        as_of: dt.datetime | dt.date | str,
        timezone: str | dt.tzinfo,
    ) -> tuple[Privilege, ...]:
        """The privileges held at instant ``as_of``.

        Pass the result as :attr:`crmkit.loyalty.MemberContext.privileges` when earning.

        Examples:
            >>> import datetime as dt
            >>> from crmkit.loyalty import TierChange
            >>> history = [TierChange(dt.datetime(2025, 1, 1, tzinfo=dt.UTC), None, "gold", "start")]
            >>> privs = PrivilegeSet([Privilege(id="xmas", kind="benefit", tiers=["gold"],
            ...                                 start="2025-12-01", end="2025-12-27")])
            >>> [p.id for p in privs.active(history, as_of=dt.datetime(2025, 12, 24), timezone="UTC")]
            ['xmas']
            >>> privs.active(history, as_of=dt.datetime(2025, 12, 27), timezone="UTC")
            ()
        """
        owner = "PrivilegeSet.active()"
        tzinfo = zone(timezone, owner)
        when = as_of_time(as_of, tzinfo, owner)
        held = {
            g.privilege
            for g in self.grants(history, as_of=when, timezone=tzinfo)
            if g.revoked_at is None
        }
        return tuple(p for p in self.privileges if p.id in held)

    def quota_status(
        self,
        history: Sequence[_Change],
        uses: Iterable[tuple[dt.datetime, str]],
        *,
        as_of: dt.datetime | dt.date | str,
        timezone: str | dt.tzinfo,
        birth_date: dt.date | None = None,
    ) -> dict[str, QuotaStatus]:
        """Allowed, used and remaining uses of every quota privilege at ``as_of``.

        ``uses`` are ``(time, privilege_id)`` pairs of past uses. The period is the local
        calendar year or month containing ``as_of``, or (``"validity"``) the current grant.
        A privilege not held at ``as_of`` allows 0. A birthday voucher (``"birthday"``,
        ``"birthday_month"``) needs ``birth_date``: its period is the member's birthday
        (or birth month) of ``as_of``'s year, and outside it nothing remains.

        Examples:
            >>> import datetime as dt
            >>> from crmkit.loyalty import TierChange
            >>> history = [TierChange(dt.datetime(2025, 1, 1, tzinfo=dt.UTC), None, "gold", "start")]
            >>> privs = PrivilegeSet([Privilege(id="lounge", kind="quota", tiers=["gold"], quota=2)])
            >>> uses = [(dt.datetime(2025, 2, 3), "lounge")]
            >>> privs.quota_status(history, uses, as_of=dt.datetime(2025, 7, 1), timezone="UTC")["lounge"].remaining
            1
            >>> gift = PrivilegeSet([Privilege(id="drink", kind="quota", tiers=["gold"], quota=1,
            ...                                quota_freq="birthday")])
            >>> on = gift.quota_status(history, [], as_of=dt.datetime(2025, 6, 9, 20), timezone="UTC",
            ...                        birth_date=dt.date(1990, 6, 9))["drink"]
            >>> on.remaining, on.period_start.date(), on.period_end.date()
            (1, datetime.date(2025, 6, 9), datetime.date(2025, 6, 10))
        """
        owner = "PrivilegeSet.quota_status()"
        tzinfo = zone(timezone, owner)
        end = as_of_time(as_of, tzinfo, owner)
        used_at: dict[str, list[dt.datetime]] = {}
        for when, pid in uses:
            self.get(pid)
            used_at.setdefault(pid, []).append(local_time(when, tzinfo, owner, "uses"))
        grants = self.grants(history, as_of=end, timezone=tzinfo)
        out: dict[str, QuotaStatus] = {}
        for priv in self.privileges:
            if priv.kind != "quota":
                continue
            assert priv.quota is not None
            current = [g for g in grants if g.privilege == priv.id and g.revoked_at is None]
            if not current:
                out[priv.id] = QuotaStatus(priv.id, 0, 0, 0, None, None)
                continue
            grant = current[-1]
            if priv.quota_freq in ("birthday", "birthday_month"):
                if birth_date is None:
                    out[priv.id] = QuotaStatus(priv.id, 0, 0, 0, None, None)
                    continue
                lo, hi = _birthday_window(birth_date, end.year, priv.quota_freq)
                start, stop = midnight(lo, tzinfo), midnight(hi, tzinfo)
                if not start <= end < stop:
                    out[priv.id] = QuotaStatus(priv.id, priv.quota, 0, 0, start, stop)
                    continue
            elif priv.quota_freq == "validity":
                start, stop = grant.granted_at, None
            else:
                lo, hi = period_bounds(end.date(), priv.quota_freq)
                start, stop = midnight(lo, tzinfo), midnight(hi, tzinfo)
            used = sum(
                1 for t in used_at.get(priv.id, []) if start <= t <= end and t >= grant.granted_at
            )
            out[priv.id] = QuotaStatus(
                priv.id, priv.quota, used, max(priv.quota - used, 0), start, stop
            )
        return out

    def check_use(
        self,
        history: Sequence[_Change],
        uses: Iterable[tuple[dt.datetime, str]],
        privilege_id: str,
        *,
        as_of: dt.datetime | dt.date | str,
        timezone: str | dt.tzinfo,
        birth_date: dt.date | None = None,
    ) -> QuotaStatus:
        """Check that ``privilege_id`` can be used at ``as_of``; return the quota after the use.

        A birthday voucher needs the member's ``birth_date`` and is usable only in its
        window (see :meth:`quota_status`).

        Raises:
            LedgerError: The privilege is not held at ``as_of``, or its quota is used up.
            ConfigError: An ``as_of`` that cannot be read (None, NaT, a number,
                ``"2025-02-31"``, a year outside 1678-2261 as text or a date) or outside
                the years 1000-9000 loyalty supports.

        Examples:
            >>> import datetime as dt
            >>> from crmkit.loyalty import TierChange
            >>> history = [TierChange(dt.datetime(2025, 1, 1, tzinfo=dt.UTC), None, "gold", "start")]
            >>> privs = PrivilegeSet([Privilege(id="lounge", kind="quota", tiers=["gold"], quota=1)])
            >>> privs.check_use(history, [], "lounge", as_of=dt.datetime(2025, 3, 1), timezone="UTC").remaining
            0
            >>> privs.check_use(history, [(dt.datetime(2025, 2, 1), "lounge")], "lounge",
            ...                 as_of=dt.datetime(2025, 3, 1), timezone="UTC")
            Traceback (most recent call last):
            ...
            crmkit.errors.LedgerError: Privilege('lounge'): 'quota' must be a use left this year; found 1 of 1 used.
        """
        priv = self.get(privilege_id)
        owner = "PrivilegeSet.check_use()"
        tzinfo = zone(timezone, owner)
        when = as_of_time(as_of, tzinfo, owner)  # read once, its errors naming this call
        if priv.kind != "quota":
            held = {p.id for p in self.active(history, as_of=when, timezone=tzinfo)}
            if priv.id not in held:
                raise LedgerError(
                    f"Privilege({priv.id!r})",
                    "tier",
                    expected=f"one of {list(priv.tiers)} at the time",
                    found="a member without it",
                )
            return QuotaStatus(priv.id, 0, 0, 0, None, None)
        status = self.quota_status(
            history, uses, as_of=when, timezone=tzinfo, birth_date=birth_date
        )[priv.id]
        birthday = priv.quota_freq in ("birthday", "birthday_month")
        if birthday and birth_date is None:
            raise LedgerError(
                f"Privilege({priv.id!r})",
                "birth_date",
                expected="the member's birth date for a birthday voucher",
                found="None",
            )
        if status.allowed == 0:
            raise LedgerError(
                f"Privilege({priv.id!r})",
                "tier",
                expected=f"one of {list(priv.tiers)} at the time",
                found="a member without it",
            )
        if birthday and status.used == 0 and status.remaining == 0:
            start, stop = status.period_start, status.period_end
            assert start is not None
            assert stop is not None
            raise LedgerError(
                f"Privilege({priv.id!r})",
                "as_of",
                expected=f"within the member's {priv.quota_freq.replace('_', ' ')} "
                f"({start.date()}..{(stop - dt.timedelta(days=1)).date()})",
                found=str(when.date()),
            )
        if status.remaining == 0:
            if priv.quota_freq == "validity":
                period = "while held"
            elif birthday:
                period = "this year"
            else:
                period = f"this {priv.quota_freq}"
            raise LedgerError(
                f"Privilege({priv.id!r})",
                "quota",
                expected=f"a use left {period}",
                found=f"{status.used} of {status.allowed} used",
            )
        return attrs.evolve(status, used=status.used + 1, remaining=status.remaining - 1)


def _birthday_window(born: dt.date, year: int, freq: str) -> tuple[dt.date, dt.date]:
    """The local dates ``[start, end)`` of a member's birthday (or birth month) in ``year``.

    >>> _birthday_window(dt.date(1992, 2, 29), 2025, "birthday")
    (datetime.date(2025, 2, 28), datetime.date(2025, 3, 1))
    >>> _birthday_window(dt.date(1992, 2, 29), 2025, "birthday_month")
    (datetime.date(2025, 2, 1), datetime.date(2025, 3, 1))
    """
    if freq == "birthday_month":
        return period_bounds(dt.date(year, born.month, 1), "month")
    day = min(born.day, calendar.monthrange(year, born.month)[1])
    start = dt.date(year, born.month, day)
    return start, start + dt.timedelta(days=1)
