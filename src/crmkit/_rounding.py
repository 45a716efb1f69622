"""Rounding modes and largest-remainder splits: one vocabulary, one implementation.

Every ``rounding=`` / ``rounding_mode=`` argument in crmkit takes one of the names in
:data:`ROUNDING_MODES`, and each name means exactly what the :mod:`decimal` constant of
the same name means (``ROUND_FLOOR``, ``ROUND_DOWN``, ...):

============  =========================================  ========  ========
name          meaning                                    2.5 →     -2.5 →
============  =========================================  ========  ========
``floor``     towards -infinity                          2         -3
``ceiling``   towards +infinity                          3         -2
``down``      towards zero (truncate)                    2         -2
``up``        away from zero                             3         -3
``half_up``   nearest; ties away from zero               3         -3
``half_down`` nearest; ties towards zero                 2         -2
``half_even`` nearest; ties to the even neighbour        2         -2
============  =========================================  ========  ========

Nothing else is accepted (no aliases such as ``"truncate"`` or ``"bankers"``): an unknown
name is a :class:`~crmkit.errors.ConfigError` listing the choices. ``decimal``'s
``ROUND_05UP`` is left out on purpose (no business rule asks for it).

Functions:
    rounding_mode: check a mode name and return its :mod:`decimal` constant.
    round_decimal: round a float, ``Fraction`` or ``Decimal`` to ``decimals`` places
        (exactly: a ``Fraction`` is rounded on its exact value).
    round_integral: round a ``Decimal`` (or ``Fraction``/int) to a whole number.
    apportion: round quotas that add up to a whole total so that they still do (the
        largest-remainder, or Hamilton, method).
    largest_remainder: split a whole total in proportion to weights (exact integers).

Examples:
    >>> from decimal import Decimal
    >>> round_decimal(2.675, 2, "half_up", "example()")  # as shown, unlike round(2.675, 2)
    Decimal('2.68')
    >>> round_integral(Decimal("-2.5"), "floor"), round_integral(Decimal("-2.5"), "down")
    (-3, -2)
    >>> largest_remainder(10, [1, 1, 1])
    [4, 3, 3]
    >>> apportion([Decimal("33.4"), Decimal("33.3"), Decimal("33.3")], 100)
    [34, 33, 33]
"""

from __future__ import annotations

import decimal
import math
from collections.abc import Sequence
from decimal import Decimal
from fractions import Fraction
from typing import TypeAlias

from crmkit._spec import check_choice
from crmkit.errors import ConfigError

__all__ = [
    "ROUNDING_MODES",
    "apportion",
    "largest_remainder",
    "round_decimal",
    "round_integral",
    "rounding_mode",
    "to_decimal",
]

#: The decimal constant behind each mode name (the one vocabulary).
_MODES: dict[str, str] = {
    "floor": decimal.ROUND_FLOOR,
    "ceiling": decimal.ROUND_CEILING,
    "down": decimal.ROUND_DOWN,
    "up": decimal.ROUND_UP,
    "half_up": decimal.ROUND_HALF_UP,
    "half_down": decimal.ROUND_HALF_DOWN,
    "half_even": decimal.ROUND_HALF_EVEN,
}

#: Every rounding mode name crmkit accepts, each with its :mod:`decimal` meaning.
ROUNDING_MODES: tuple[str, ...] = tuple(_MODES)

#: A value :func:`apportion` and :func:`largest_remainder` accept: exact numbers only.
Exact: TypeAlias = Decimal | Fraction | int


def rounding_mode(mode: object, owner: str, field: str = "rounding") -> str:
    """Return the :mod:`decimal` constant of ``mode``; anything else is a ``ConfigError``.

    Args:
        mode: A name from :data:`ROUNDING_MODES`.
        owner: Who is asking (for the message), e.g. ``"NpsResult.format()"``.
        field: The parameter's name (for the message).

    Returns:
        The constant, e.g. ``decimal.ROUND_HALF_UP``.

    Raises:
        ConfigError: ``mode`` is not one of :data:`ROUNDING_MODES`.

    Examples:
        >>> rounding_mode("half_even", "example()")
        'ROUND_HALF_EVEN'
        >>> rounding_mode("bankers", "example()")
        Traceback (most recent call last):
        ...
        crmkit.errors.ConfigError: example(): parameter 'rounding' must be one of ['floor', 'ceiling', 'down', 'up', 'half_up', 'half_down', 'half_even']; found 'bankers'.
    """
    check_choice(mode, _MODES, owner, field)
    return _MODES[str(mode)]


def to_decimal(value: float | Fraction | Decimal | int) -> Decimal:
    """Return ``value`` as a ``Decimal``: a float by its shortest repr, a Fraction divided out.

    Examples:
        >>> to_decimal(0.1), to_decimal(Fraction(1, 8))
        (Decimal('0.1'), Decimal('0.125'))
    """
    if isinstance(value, Decimal):
        return value
    if isinstance(value, Fraction):
        return Decimal(value.numerator) / Decimal(value.denominator)
    if isinstance(value, int):
        return Decimal(value)
    return Decimal(repr(float(value)))


def round_decimal(
    value: float | Fraction | Decimal | int, decimals: int, mode: str, owner: str
) -> Decimal:
    """Round ``value`` to ``decimals`` places by ``mode`` (for display and money).

    A ``Fraction`` is rounded on its exact value: a tie (exactly ...5 at the next place)
    has a terminating expansion that 60 significant digits hold exactly, and a
    non-terminating value can never be a tie. A float is read by its shortest repr.

    Args:
        value: The number.
        decimals: Places after the point, 0 to 10.
        mode: A name from :data:`ROUNDING_MODES`.
        owner: Who is asking (for error messages).

    Returns:
        The rounded ``Decimal`` with exactly ``decimals`` places.

    Raises:
        ConfigError: An unknown ``mode`` or ``decimals`` outside [0, 10].

    Examples:
        >>> round_decimal(Fraction(29, 2), 0, "half_up", "example()")
        Decimal('15')
        >>> round_decimal(-0.125, 2, "half_even", "example()")
        Decimal('-0.12')
    """
    constant = rounding_mode(mode, owner)
    if not isinstance(decimals, int) or isinstance(decimals, bool) or not 0 <= decimals <= 10:
        raise ConfigError(owner, "decimals", expected="an int in [0, 10]", found=repr(decimals))
    quantum = Decimal(1).scaleb(-decimals)
    if isinstance(value, Fraction):
        with decimal.localcontext() as ctx:
            ctx.prec = 60
            exact = Decimal(value.numerator) / Decimal(value.denominator)
    else:
        exact = to_decimal(value)
    return exact.quantize(quantum, rounding=constant)


def round_integral(value: Exact, mode: str, owner: str = "round_integral()") -> int:
    """Round an exact number to a whole number by ``mode``.

    Examples:
        >>> round_integral(Decimal("2.5"), "half_even"), round_integral(Decimal("0.01"), "ceiling")
        (2, 1)
        >>> round_integral(Fraction(-7, 2), "half_up")
        -4
    """
    constant = rounding_mode(mode, owner)
    if isinstance(value, Fraction):
        with decimal.localcontext() as ctx:
            ctx.prec = 60
            if value.denominator == 1:
                return int(value.numerator)
            exact = Decimal(value.numerator) / Decimal(value.denominator)
    else:
        exact = Decimal(value)
    return int(exact.to_integral_value(rounding=constant))


def _floor(value: Exact) -> int:
    if isinstance(value, Decimal):
        return int(value.to_integral_value(rounding=decimal.ROUND_FLOOR))
    return math.floor(value)


def apportion(quotas: Sequence[Exact], total: int) -> list[int]:
    """Round ``quotas`` to whole numbers that add up to ``total`` (largest remainder).

    The largest-remainder (Hamilton) method: every quota gets its floor, and the units
    still missing go one each to the quotas with the largest fractional parts; ties go to
    the earlier position. This is the one implementation in crmkit: percentage shares
    that must sum to 100 (scale them to units of the last decimal first), points split
    over order lines, and :func:`largest_remainder` (the same hand-out of the units left,
    on exact integer remainders) all use it.

    Args:
        quotas: Exact quotas (``Decimal``, ``Fraction`` or int), in whole units.
        total: The whole number the result must add up to; it must lie between
            ``sum(floor(q))`` and ``sum(floor(q)) + len(quotas)``, as it does whenever the
            quotas add up to it (or to within less than a unit of it).

    Returns:
        One int per quota, adding up to ``total``.

    Raises:
        ValueError: ``total`` cannot be reached by adding at most one unit per quota
            (the quotas do not add up to ``total``; a caller's error).

    Examples:
        >>> apportion([Fraction(10, 3)] * 3, 10)
        [4, 3, 3]
        >>> apportion([Decimal("12.5"), Decimal("87.5")], 100)
        [13, 87]
    """
    floors = [_floor(q) for q in quotas]
    left = total - sum(floors)
    if not 0 <= left <= len(floors):
        raise ValueError(
            f"apportion(): the quotas' floors add up to {sum(floors)}, which cannot be "
            f"rounded to total {total} by adding at most one unit to each of {len(floors)} quotas"
        )
    return _hand_out(floors, left, [q - f for q, f in zip(quotas, floors, strict=True)])


def _hand_out(floors: list[int], left: int, remainders: Sequence[Exact]) -> list[int]:
    """Add one unit to each of the ``left`` largest ``remainders`` (ties: earlier first)."""
    if left == 1:  # the first of the largest remainders (``max`` keeps the first)
        floors[max(range(len(floors)), key=remainders.__getitem__)] += 1
    elif left:
        order = sorted(range(len(floors)), key=lambda i: (-remainders[i], i))
        for i in order[:left]:
            floors[i] += 1
    return floors


def largest_remainder(total: int, weights: Sequence[Decimal | int]) -> list[int]:
    """Split ``total`` whole units in proportion to ``weights`` so the parts add up exactly.

    Each part gets the floor of its quota ``total * w / sum(weights)``; the units left go
    to the largest remainders, ties to the earlier position (:func:`apportion`). Zero total
    weight splits evenly. Weights must be >= 0. Exact arithmetic throughout: the weights
    are put over one common denominator and the quotas compared as integer remainders
    (the same floors and the same order of remainders as rationals would give).

    Args:
        total: The whole number to split.
        weights: Non-negative ``Decimal`` or int weights.

    Returns:
        One int per weight, adding up to ``total``.

    Examples:
        >>> largest_remainder(10, [1, 1, 1])
        [4, 3, 3]
        >>> largest_remainder(7, [Decimal("0"), Decimal("0")])
        [4, 3]
        >>> largest_remainder(100, [Decimal("0.5"), Decimal("1.25")])
        [29, 71]
    """
    n = len(weights)
    if n < 2:
        # The one quota is the total (a zero weight splits evenly too).
        return [total] if n else []
    # Exact integer arithmetic: every weight over one common denominator, so each quota
    # total * w / sum(w) is (total * w_i) / s with integers, its floor is ``//`` and its
    # fractional part compares as the integer remainder ``%`` (same order as the rationals).
    ratios = [w.as_integer_ratio() for w in weights]
    common = 1
    for _, den in ratios:
        if common % den:
            common = math.lcm(common, den)
    scaled = [num * (common // den) for num, den in ratios]
    s = sum(scaled)
    if s == 0:
        scaled = [1] * n
        s = n
    elif s < 0:  # pragma: no cover - weights are >= 0; kept exact all the same
        scaled = [-w for w in scaled]
        s = -s
    floors = []
    remainders = []
    for w in scaled:
        q, r = divmod(total * w, s)
        floors.append(q)
        remainders.append(r)
    return _hand_out(floors, total - sum(floors), remainders)
