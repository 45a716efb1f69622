"""Reversals: refunds and cancellations of what a member's fold earned or spent.

A refund reverses the stored numbers of the purchase it names (never recomputed): the
points its refunded lines earned are taken back from their lot (the shortfall policy
decides what happens to points already spent), a points tender comes back pro rata to the
refunded money into the lots it was drawn from, and the qualifying counters shrink. A
cancellation puts a redemption's points back into the lots they came from, with their
original expiry; an involuntary one, under the program's ``involuntary_extension``, into
lots of their own with that expiry extended (China Southern), which a refund of the
purchase behind them then follows. :class:`ReversalBook` is that half of the ledger's
:class:`~crmkit.loyalty._ledger.Book`; lots are in :mod:`crmkit.loyalty._lots`.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from decimal import Decimal
from fractions import Fraction
from typing import TYPE_CHECKING

from crmkit._rounding import largest_remainder, round_integral
from crmkit.errors import LedgerError
from crmkit.loyalty._lots import LotBook, _Debit, _Lot

if TYPE_CHECKING:
    from crmkit.loyalty._engine import Earned, Earner
    from crmkit.loyalty._events import CancelRedemption, Purchase, Refund
    from crmkit.loyalty._privileges import Privilege
    from crmkit.loyalty._rules import EarningResult, OrderBonus

__all__ = ["ReversalBook"]

_ZERO = Decimal(0)
_NO_INTS: dict[str, int] = {}  # a purchase's refund tables before the first refund


class _Bought:
    """What the ledger remembers of a purchase, so refunds reverse stored numbers.

    The refund tables (``line_points``, ``line_base``, ``qty``, ``qty_refunded``,
    ``reversed_points``, ``refunded_net``) are set by :meth:`unpack` on the first refund:
    most purchases never get one, so a purchase costs only the fields set here.
    """

    # The fields a purchase starts with are class attributes (a plain class, not slotted):
    # a purchase record, one per purchase in every fold, is built by setting three.
    qty: dict[str, int] = _NO_INTS  # the refund tables are not unpacked yet
    lot: str | None = None  # the lot its points went to (the purchase's id)
    tender: str | None = None  # the debit of its points tender (the purchase's id)
    _built: EarningResult | None = None  # a plain earner's result, built on first read
    tier: str | None = None  # the tier a tiered earner earned it for
    privileges: tuple[Privilege, ...] = ()  # and the earning privileges held then
    qty_refunded: dict[str, int]
    line_points: dict[str, int]
    line_base: dict[str, Decimal]
    line_qualifying: dict[str, int] | None
    reversed_points: int
    refunded_net: Decimal
    # Order bonuses with ``refunds="threshold"`` (held out of the lines' shares until a
    # refund breaks their threshold): per line the points (and qualifying points) held,
    # and per bonus not yet taken back (min_spend, covered line -> base, points, qualifying).
    held: dict[str, int] = _NO_INTS
    held_qualifying: dict[str, int] = _NO_INTS
    bonuses: tuple[tuple[Decimal, dict[str, Decimal], int, int], ...] = ()

    def __init__(self, event: Purchase, earned: Earned, earner: Earner) -> None:
        self.event = event
        # A plain earner's full result is built only when read (refunds, explain): it
        # depends on the order alone there; the per-line figures are kept as earned.
        self.earned = earned
        self.earner = earner

    @property
    def result(self) -> EarningResult:
        """The purchase's earning result (built on first read for a plain earner)."""
        result = self.earned[3]
        if result is None:
            result = self._built
            if result is None:
                result = self._built = self.earner.result(self.event, self.tier, self.privileges)
        return result

    def unpack(self, threshold_bonuses: Mapping[str, OrderBonus] | None = None) -> None:
        """Fill the per-line tables refunds need (once).

        ``threshold_bonuses``: the scheme's order bonuses with ``refunds="threshold"``
        by id, whose line shares are held back (:meth:`thresholds_broken`).
        """
        if self.qty is not _NO_INTS:
            return
        self.reversed_points = 0
        self.refunded_net = _ZERO
        lines = self.event.lines
        lines_whole, lines_base = self.earned[4], self.earned[5]
        if lines_whole is not None and lines_base is not None:
            # The figures stored when the purchase was earned.
            self.line_points = {
                line.line_id: points for line, points in zip(lines, lines_whole, strict=True)
            }
            self.line_base = {
                line.line_id: base for line, base in zip(lines, lines_base, strict=True)
            }
            self.line_qualifying = None
        else:
            result = self.result
            self.line_points = {lp.line_id: lp.points for lp in result.lines}
            # The qualifying spend each line posted (rule 2: excluded lines post 0).
            self.line_base = {lp.line_id: lp.spend for lp in result.lines}
            # The qualifying points each line posted (rule 1), when not all of its points.
            self.line_qualifying = (
                {lp.line_id: lp.qualifying_points for lp in result.lines}
                if result.qualifying_points != result.points
                else None
            )
            if threshold_bonuses:
                self._hold(result, threshold_bonuses)
        self.qty = {line.line_id: line.quantity for line in lines}
        self.qty_refunded = dict.fromkeys(self.qty, 0)

    def _hold(self, result: EarningResult, threshold_bonuses: Mapping[str, OrderBonus]) -> None:
        """Hold the threshold bonuses' line shares out of what a refunded line takes back.

        A share is the bonus's whole points on the line (bonuses are split in whole
        points), never more than the line kept after caps.
        """
        held: dict[str, int] = {}
        held_q: dict[str, int] = {}
        bonuses: dict[str, tuple[dict[str, Decimal], list[int]]] = {}
        for lp in result.lines:
            for comp in lp.components:
                rule = threshold_bonuses.get(comp.rule_id)
                if rule is None:
                    continue
                bases, totals = bonuses.setdefault(rule.id, ({}, [0, 0]))
                bases[lp.line_id] = lp.base
                share = min(int(comp.points), lp.points - held.get(lp.line_id, 0))
                held[lp.line_id] = held.get(lp.line_id, 0) + share
                totals[0] += share
                if self.line_qualifying is not None and rule.qualifying:
                    room = self.line_qualifying[lp.line_id] - held_q.get(lp.line_id, 0)
                    q = min(share, room)
                    held_q[lp.line_id] = held_q.get(lp.line_id, 0) + q
                    totals[1] += q
        self.held = held
        self.held_qualifying = held_q
        self.bonuses = tuple(
            (threshold_bonuses[rule_id].min_spend, bases, points, qualifying)
            for rule_id, (bases, (points, qualifying)) in bonuses.items()
        )

    def points_share(self, refunded: Mapping[str, int]) -> Fraction:
        """The exact points of the units ``refunded`` (per line), threshold bonuses held."""
        return sum(
            (
                Fraction((self.line_points.get(line, 0) - self.held.get(line, 0)) * units, total)
                for line, total in self.qty.items()
                if (units := refunded[line])
            ),
            Fraction(0),
        )

    def thresholds_broken(self) -> tuple[int, int]:
        """The points (and qualifying points) of the held bonuses the refunds broke.

        A bonus is broken when the covered lines kept (their base, pro rata to the units
        not refunded) no longer reach its ``min_spend``, or nothing of the order is kept;
        it is taken back whole, once.
        """
        if not self.bonuses:
            return 0, 0
        everything = self.fully_refunded
        points = qualifying = 0
        kept_bonuses = []
        for bonus in self.bonuses:
            min_spend, bases, held, held_q = bonus
            kept = sum(
                (
                    Fraction(base) * (self.qty[line] - self.qty_refunded[line]) / self.qty[line]
                    for line, base in bases.items()
                ),
                Fraction(0),
            )
            if everything or kept < min_spend:
                points += held
                qualifying += held_q
            else:
                kept_bonuses.append(bonus)
        self.bonuses = tuple(kept_bonuses)
        return points, qualifying

    @property
    def fully_refunded(self) -> bool:
        self.unpack()
        return all(self.qty_refunded[k] == self.qty[k] for k in self.qty)


class ReversalBook(LotBook):
    """Refunds and cancellations: the reversal half of the ledger's fold (internal)."""

    #: The program's smallest money unit and the scheme's order bonuses with
    #: ``refunds="threshold"`` by id (read once per book, not per refund).
    money_quantum: Decimal
    threshold_bonuses: Mapping[str, OrderBonus]
    #: Whether a pending purchase counts for tiers only when its points activate (its
    #: refund then counts at that instant too).
    defer_qualifying: bool

    def _refund(self, event: Refund) -> None:
        owner = f"Refund {event.event_id!r}"
        bought = self.bought.get(event.purchase_id)
        if bought is None:
            raise LedgerError(
                owner,
                "purchase_id",
                expected="a purchase replayed before the refund",
                found=f"{event.purchase_id!r}, which is unknown",
                hint="Refunds must refer to a purchase event of the same member.",
            )
        purchase = bought.event
        bought.unpack(self.threshold_bonuses)
        if event.lines:
            wanted: dict[str, int] = {}
            for line in event.lines:
                if line.line_id not in bought.qty:
                    raise LedgerError(
                        owner,
                        "lines",
                        expected=f"lines of purchase {purchase.event_id!r} {sorted(bought.qty)}",
                        found=f"line {line.line_id!r}",
                    )
                left = bought.qty[line.line_id] - bought.qty_refunded[line.line_id]
                quantity = left if line.quantity is None else line.quantity
                if quantity > left or quantity == 0:
                    raise LedgerError(
                        owner,
                        "quantity",
                        expected=f"at most the {left} units of line {line.line_id!r} not yet refunded",
                        found=f"{quantity if line.quantity is not None else 'the rest'}",
                    )
                wanted[line.line_id] = quantity
        else:
            wanted = {
                k: bought.qty[k] - bought.qty_refunded[k]
                for k in bought.qty
                if bought.qty[k] > bought.qty_refunded[k]
            }
            if not wanted:
                raise LedgerError(
                    owner,
                    "purchase_id",
                    expected="a purchase with something left to refund",
                    found=f"{purchase.event_id!r}, already fully refunded",
                )
        # Exact reversal of stored numbers: cumulative shares, so the parts of a line
        # refunded in several goes add up to the whole line.
        points = 0
        qualifying = 0
        base = _ZERO
        net = _ZERO
        line_qualifying = bought.line_qualifying
        held, held_qualifying = bought.held, bought.held_qualifying
        quantum = self.money_quantum
        refund_rounding = self.scheme.refund_rounding
        per_order = self.scheme.refund_rounding_scope == "per_order"
        refunded_before = dict(bought.qty_refunded) if per_order else bought.qty_refunded
        for bought_line in purchase.lines:
            units = wanted.get(bought_line.line_id)
            if not units:
                continue
            total = bought.qty[bought_line.line_id]
            before = bought.qty_refunded[bought_line.line_id]
            after = before + units
            # (less the threshold bonuses' shares: they go back whole, below)
            line_points = bought.line_points.get(bought_line.line_id, 0) - held.get(
                bought_line.line_id, 0
            )
            # Each line's cumulative share (per_order: the order's, rounded once below).
            if refund_rounding == "floor" and not per_order:
                points += line_points * after // total - line_points * before // total
            elif not per_order:  # EarningScheme.refund_rounding: e.g. rounded up (Youzan)
                points += round_integral(
                    Fraction(line_points * after, total), refund_rounding
                ) - round_integral(Fraction(line_points * before, total), refund_rounding)
            if line_qualifying is not None:
                line_q = line_qualifying.get(bought_line.line_id, 0) - held_qualifying.get(
                    bought_line.line_id, 0
                )
                qualifying += line_q * after // total - line_q * before // total
            line_base = bought.line_base.get(bought_line.line_id, _ZERO)
            base += _share(line_base, after, total, quantum) - _share(
                line_base, before, total, quantum
            )
            net += _share(bought_line.net, after, total, quantum) - _share(
                bought_line.net, before, total, quantum
            )
            bought.qty_refunded[bought_line.line_id] = after
        if per_order:
            # refund_rounding_scope="per_order": the order's cumulative share, rounded once.
            points = round_integral(
                bought.points_share(bought.qty_refunded), refund_rounding
            ) - round_integral(bought.points_share(refunded_before), refund_rounding)
        bonus_points, bonus_qualifying = bought.thresholds_broken()
        points += bonus_points
        qualifying += bonus_qualifying
        bought.refunded_net += net
        fully = bought.fully_refunded
        at = self.now
        # 1. points paid as a tender come back, pro rata to the refunded money.
        if bought.tender is not None:
            debit = self.debits[bought.tender]
            if fully or purchase.net == 0:
                target = debit.points
            else:
                # Exact: floor(points x refunded / net) in integers, never a rounded ratio.
                target = math.floor(
                    Fraction(debit.points) * Fraction(bought.refunded_net) / Fraction(purchase.net)
                )
            already = sum(debit.restored.values())
            self._restore_share(debit, target - already, at, event.event_id, "tender_restore")
        # 2. the points the refunded lines earned are reversed.
        bought.reversed_points += points
        if points and bought.lot is not None:
            self._reverse(self.lots[bought.lot], points, at, event.event_id)
            # Period caps count purchase points net of refunds, in the purchase's period.
            if self.uses_caps:
                day = purchase.time.astimezone(self.zone).date()
                self.cap_totals.add(day, tuple(self.cap_totals.freqs), -points)
        # 3. qualifying counters shrink.
        # The order and its named counts (nights, segments, ...) go with the last unit.
        orders = -1 if fully else 0
        counts = tuple((k, -v) for k, v in purchase.counts) if orders else ()
        if line_qualifying is None:
            qualifying = points
        lot = self.lots[bought.lot] if bought.lot is not None else None
        if lot is not None and lot.deferred is not None:
            # Still pending: the held-back posting shrinks instead.
            when, spend, held_points, held_orders, held_counts, _ = lot.deferred
            lot.deferred = (
                when,
                spend - base,
                held_points - qualifying,
                held_orders + orders,
                () if orders else held_counts,
                None,
            )
        elif base or qualifying or orders:
            # The refund counts where the purchase counted: at its points' activation when
            # pending purchases count for tiers only once active, else at its own time.
            origin = (
                lot.activates_at if lot is not None and self.defer_qualifying else purchase.time
            )
            self.qualifying.append((at, -base, -qualifying, orders, counts, origin))
        self._repay(at, event.event_id)

    def _restore_share(
        self, debit: _Debit, points: int, at: dt.datetime, event_id: str, kind: str
    ) -> None:
        """Give ``points`` of ``debit`` back, pro rata to what is still out of each lot."""
        if points <= 0:
            return
        out = {k: v - debit.restored[k] for k, v in debit.allocations.items()}
        shares = _largest_remainder(out, points)
        self._post(at, kind, points, event_id, None, kind, {k: v for k, v in shares.items() if v})
        for lot_id, share in shares.items():
            if share:
                debit.restored[lot_id] += share
                self._restore(self.lots[lot_id], share, at)

    def _reverse(self, lot: _Lot, points: int, at: dt.datetime, event_id: str) -> None:
        """Take back ``points`` a refunded purchase earned into ``lot``.

        Points an involuntary cancellation returned into lots of their own
        (:meth:`_split_off`) are still the purchase's: the lot and those parts are one
        family, taken from in turn (what is left in them, then what expired, then what
        was spent).
        """
        family = self.family(lot) if self.splits else [lot]
        left = points
        for part in family:
            take = min(left, part.remaining)
            if take:
                part.remaining -= take
                if not part.remaining and part.queued:
                    self._dequeue(part)
                part.reversed += take
                if part.active:
                    self.available -= take
                else:
                    self.pending -= take
                self._post(at, "reverse", -take, event_id, part.lot_id, "refund")
                left -= take
        for part in family:
            gone = min(left, part.expired)
            if gone:
                # Points that already expired cost the member nothing more.
                part.expired -= gone
                part.reversed += gone
                left -= gone
        if not left:
            return
        # The rest was spent: the shortfall policy decides, the parts split off first
        # (each for what it has spent and not yet owes), the lot itself for the rest.
        for part in family[1:]:
            share = min(left, part.spent - part.owed)
            if share:
                self._shortfall(part, share, at, event_id)
                left -= share
        if left:
            self._shortfall(lot, left, at, event_id)

    def _shortfall(self, lot: _Lot, shortfall: int, at: dt.datetime, event_id: str) -> None:
        """``shortfall`` points of ``lot`` reversed by a refund were already spent."""
        program = self.program
        policy = program.shortfall
        if policy == "forfeit":
            lot.spent -= shortfall
            lot.forfeited += shortfall
            self._post(at, "forfeit", 0, event_id, lot.lot_id, "forfeit", {lot.lot_id: shortfall})
        elif policy == "balance_then_cash":
            # The member's other usable points first (as a debt repaid at once), then money.
            take = min(shortfall, self.available)
            if take:
                lot.owed += take
                self.debt += take
                self._post(at, "debt", -take, event_id, lot.lot_id, "debt")
                self._repay(at, event_id)
            if shortfall > take:
                self._cash_offset(lot, shortfall - take, at, event_id)
        elif policy == "cash_offset":
            self._cash_offset(lot, shortfall, at, event_id)
        else:
            lot.owed += shortfall
            self.debt += shortfall
            self._post(at, "debt", -shortfall, event_id, lot.lot_id, "debt")
            self._repay(at, event_id)

    def _cash_offset(self, lot: _Lot, shortfall: int, at: dt.datetime, event_id: str) -> None:
        """Settle ``shortfall`` spent points of a refunded ``lot`` in money (reported)."""
        program = self.program
        lot.spent -= shortfall
        lot.reversed += shortfall
        lot.cash_settled += shortfall
        # ``point_value`` is per point; the ledger counts 10**-point_decimals points. The
        # book's program is its one currency's: its value is that currency's own.
        points_owed = Decimal(shortfall).scaleb(-program.point_decimals)
        money = (points_owed * self.compiled.point_value).quantize(program.money_quantum)
        self.cash_offset += money
        self._post(
            at,
            "cash_offset",
            0,
            event_id,
            lot.lot_id,
            "cash_offset",
            {lot.lot_id: shortfall},
            money,
        )

    def _cancel(self, event: CancelRedemption) -> None:
        owner = f"CancelRedemption {event.event_id!r}"
        debit = self.debits.get(event.redemption_id)
        if debit is None or debit.kind != "redeem":
            raise LedgerError(
                owner,
                "redemption_id",
                expected="a redemption replayed before the cancellation",
                found=f"{event.redemption_id!r}, which is unknown",
            )
        if debit.cancelled:
            raise LedgerError(
                owner,
                "redemption_id",
                expected="a redemption not yet cancelled",
                found=f"{event.redemption_id!r}, already cancelled",
            )
        now = self.now
        parts = self._involuntary_parts(event, debit) if event.involuntary else {}
        debit.cancelled = True
        self._post(
            now,
            "cancel",
            debit.points,
            event.event_id,
            None,
            event.redemption_id,
            debit.allocations,
        )
        for lot_id, points in debit.allocations.items():
            self._restore(self.lots[lot_id], points, now, parts.get(lot_id))
        debit.restored = dict(debit.allocations)
        self._repay(now, event.event_id)

    def _involuntary_parts(
        self, event: CancelRedemption, debit: _Debit
    ) -> dict[str, tuple[str, dt.datetime]]:
        """Drawn lot id -> (lot id, expiry) of the lot its points return to, involuntarily.

        China Southern: "非自愿变更和非自愿退票情况下退还的里程,自退改之日起,按原里程有效期
        顺延6个月退回" (miles returned on an involuntary change or refund come back with
        their original validity extended by 6 months). ``Program.involuntary_extension``
        extends each drawn lot's date (the one it has in the fold now; for a lot held by
        a ``"held"`` tier, when it is next looked at) from its last valid day
        (:meth:`ExpiryPolicy.extend_from`), whether or not that date has passed (the
        clause, unlike the voluntary one's "仅可退还有效期内的里程", keeps no miles out):
        the points come back usable until then, in a lot of their own,
        ``"<cancellation id>#<lot id>"``, as the drawn lot keeps its own date for the
        rest. Lots without a date, and extensions already past, return as a voluntary
        cancellation returns them. Checked before anything changes: a part's id already
        taken by a lot is refused.
        """
        extension = self.program.involuntary_extension
        if extension is None:
            return {}
        now = self.now
        parts: dict[str, tuple[str, dt.datetime]] = {}
        for lot_id in debit.allocations:
            expires = self.lots[lot_id].expires_at
            if expires is None:
                continue
            moved = extension.extend_from(expires, self.zone).astimezone(dt.UTC)
            if moved <= now:
                continue  # (past already: the points expire at once, as voluntarily)
            part_id = f"{event.event_id}#{lot_id}"
            if part_id in self.lots:
                raise LedgerError(
                    f"CancelRedemption {event.event_id!r}",
                    "event_id",
                    expected="an id whose returned parts name no lot "
                    "(an involuntary cancellation returns lot L's points as "
                    "'<cancellation id>#L')",
                    found=f"a lot {part_id!r} already",
                )
            parts[lot_id] = (part_id, moved)
        return parts


def _share(amount: Decimal, part: int, total: int, quantum: Decimal) -> Decimal:
    if part == total:
        return amount
    if not part:  # (what the arithmetic below gives for no units: 0 in quanta)
        return (_ZERO * quantum).quantize(quantum)
    # The exact share amount * part / total in quanta, rounded once (half to even), in
    # integers: amount = n / d and quantum = qn / qd.
    n, d = amount.as_integer_ratio()
    qn, qd = quantum.as_integer_ratio()
    den = d * total * qn
    units, rest = divmod(n * part * qd, den)
    if 2 * rest > den or (2 * rest == den and units % 2):
        units += 1
    return (Decimal(units) * quantum).quantize(quantum)


def _largest_remainder(weights: Mapping[str, int], total: int) -> dict[str, int]:
    """Split ``total`` in proportion to ``weights`` (ints) into ints that add up exactly.

    :func:`crmkit._rounding.largest_remainder` over the mapping's values; each part stays
    within its weight when ``total <= sum(weights)``.
    """
    if sum(weights.values()) <= 0:
        return dict.fromkeys(weights, 0)
    return dict(zip(weights, largest_remainder(total, list(weights.values())), strict=True))
