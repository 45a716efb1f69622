"""What a program allows when a member pays for a purchase with points (the points tender).

A :class:`TenderPolicy` on :attr:`Program.tender <crmkit.loyalty.Program.tender>` limits
the points tender of every purchase in one point currency (the primary one, or each
currency of a mapping ``{currency: TenderPolicy}``): the share of the order the points may
pay, the multiple the points come in, and the exchange rate of points to money. The replay refuses a purchase that breaks a limit with a
:class:`~crmkit.errors.LedgerError` naming it (or leaves it out with ``on_error="skip"``).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import attrs

from crmkit._spec import DECIMAL, Optional, Spec, decimal, field, whole
from crmkit._spec import to_decimal as _to_decimal
from crmkit.errors import LedgerError
from crmkit.loyalty._events import Purchase

__all__ = ["TenderPolicy"]


def _optional_decimal(value: Any) -> Any:
    return None if value is None else _to_decimal(value)


@attrs.frozen(kw_only=True)
class TenderPolicy(Spec):
    """Limits on the points tender of a purchase in one point currency.

    Amounts of points are in ledger units, as :attr:`Tender.points
    <crmkit.loyalty.Tender.points>`; the order's money is its net (line amounts less
    discounts, :attr:`Purchase.net <crmkit.loyalty.Purchase.net>`).

    Attributes:
        max_share: The largest share of the order's net the points may pay
            (``Decimal("0.5")``: half), or None for no limit.
        multiple_of: The points tender must be a whole multiple of this (default 1).
        points_per_unit: Points per one currency unit: the tender's ``amount`` must be
            exactly its points divided by this (``100``: 100 points pay 1.00), or None to
            accept the amounts as recorded.

    Examples:
        JD.com's beans (京豆), as summarised at
        http://www.kxting.com/article/20230110/5817768.html: 100 beans are worth ¥1, the
        beans may pay at most 50 % of a physical-goods order, in multiples of 1,000 ("抵扣
        比例不能超过50% ... 都是1000的倍数"); on a ¥40 order at most 2,000 beans (¥20).

        >>> import datetime as dt
        >>> from crmkit.loyalty import Purchase, PurchaseLine, Tender
        >>> jd = TenderPolicy(max_share="0.5", multiple_of=1_000, points_per_unit=100)
        >>> from decimal import Decimal
        >>> def order(beans, yuan):
        ...     card = str(Decimal("40.00") - Decimal(yuan))
        ...     return Purchase("o1", dt.datetime(2025, 1, 1, tzinfo=dt.UTC),
        ...                     lines=[PurchaseLine("1", "40.00")],
        ...                     tenders=[Tender("points", yuan, points=beans), Tender("card", card)])
        >>> jd.check(order(2_000, "20.00"))
        >>> jd.check(order(3_000, "30.00"))
        Traceback (most recent call last):
        ...
        crmkit.errors.LedgerError: Purchase 'o1': 'tenders' must be points paying at most 0.5 of the order's 40.00 (max_share); found 30.00 paid with points.
        >>> jd.check(order(1_500, "15.00"))
        Traceback (most recent call last):
        ...
        crmkit.errors.LedgerError: Purchase 'o1': 'tenders' must be a multiple of 1000 points (multiple_of); found 1500 points.
        >>> TenderPolicy.from_dict(jd.to_dict()) == jd
        True
    """

    max_share: Decimal | None = field(
        default=None,
        converter=_optional_decimal,
        validator=decimal(min=0, max=1, optional=True),
        codec=Optional(DECIMAL),
    )
    multiple_of: int = field(default=1, validator=whole(min=1))
    points_per_unit: Decimal | None = field(
        default=None,
        converter=_optional_decimal,
        validator=decimal(min=0, min_open=True, optional=True),
        codec=Optional(DECIMAL),
    )

    def check(self, event: Purchase, currency: str | None = None, *, primary: bool = True) -> None:
        """Refuse ``event`` if its points tender in ``currency`` breaks a limit.

        Args:
            event: The purchase.
            currency: The point currency the policy limits: its tenders are checked; None
                checks every points tender.
            primary: Whether ``currency`` is the program's primary point currency (default
                True): a points tender without a currency pays in the primary one, so it
                is checked with the primary currency's tenders only.

        Raises:
            LedgerError: Naming the limit broken (``max_share``, ``multiple_of``,
                ``points_per_unit``).

        Examples:
            >>> import datetime as dt
            >>> from crmkit.loyalty import Purchase, PurchaseLine, Tender
            >>> p = Purchase("o", dt.datetime(2025, 1, 1, tzinfo=dt.UTC),
            ...              lines=[PurchaseLine("1", "10.00")],
            ...              tenders=[Tender("points", "2.00", points=250), Tender("card", "8.00")])
            >>> TenderPolicy(points_per_unit=100).check(p)
            Traceback (most recent call last):
            ...
            crmkit.errors.LedgerError: Purchase 'o': 'tenders' must be 2.5 paid for 250 points (points_per_unit 100); found 2.00.
            >>> TenderPolicy(points_per_unit=100).check(p, "beans", primary=False)  # not beans
        """
        tenders = [
            t
            for t in event.tenders
            if t.kind == "points"
            and (currency is None or t.currency == currency or (primary and t.currency is None))
        ]
        if not tenders:
            return
        owner = f"Purchase {event.event_id!r}"
        points = sum(t.points for t in tenders)
        amount = sum((t.amount for t in tenders), Decimal(0))
        if points % self.multiple_of:
            raise LedgerError(
                owner,
                "tenders",
                expected=f"a multiple of {self.multiple_of} points (multiple_of)",
                found=f"{points} points",
            )
        if self.points_per_unit is not None:
            worth = Decimal(points) / self.points_per_unit
            if worth != amount:
                raise LedgerError(
                    owner,
                    "tenders",
                    expected=f"{worth.normalize():f} paid for {points} points "
                    f"(points_per_unit {self.points_per_unit})",
                    found=f"{amount}",
                )
        if self.max_share is not None and amount > self.max_share * event.net:
            raise LedgerError(
                owner,
                "tenders",
                expected=f"points paying at most {self.max_share} of the order's "
                f"{event.net} (max_share)",
                found=f"{amount} paid with points",
            )
