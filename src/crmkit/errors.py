"""The exceptions crmkit raises.

Every class subclasses :class:`CrmkitError`, and the ones about bad values also subclass
the builtin they refine (``ValueError``), so ``except ValueError`` keeps working in code
that does not know crmkit.

Every message follows one template, built from the same five parts::

    <who complains>: <column or parameter> must be <expected>; found <found> <where>. <hint>

Examples:
    >>> from crmkit.errors import InvalidInputError
    >>> err = InvalidInputError(
    ...     "summarize()", "amount", expected="numeric values",
    ...     found="2 non-numeric values", rows=[3, 17], hint="Convert the column first.")
    >>> print(err)
    summarize(): column 'amount' must be numeric values; found 2 non-numeric values at rows [3, 17]. Convert the column first.
    >>> err.field, err.rows
    ('amount', (3, 17))
    >>> isinstance(err, ValueError)
    True
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from typing import Any, ClassVar

__all__ = [
    "ConfigError",
    "CrmkitError",
    "InsufficientPointsError",
    "InvalidInputError",
    "LedgerError",
    "NotFittedError",
    "SchemaError",
]

#: How many offending row labels an error message shows at most.
MAX_ROWS_SHOWN = 5


def _format_rows(rows: tuple[Hashable, ...], total: int | None) -> str:
    if not rows:
        return ""
    shown = ", ".join(repr(r) if isinstance(r, str) else str(r) for r in rows)
    more = total if total is not None else len(rows)
    suffix = f" (first {len(rows)} of {more})" if more > len(rows) else ""
    return f" at rows [{shown}]{suffix}"


class CrmkitError(Exception):
    """Base class of every exception raised by crmkit.

    Args:
        owner: Who complains: the function, class or rule that found the problem,
            e.g. ``"summarize()"`` or ``"RFMScorer"``.
        field: The column, parameter, key or quantity that is wrong.
        expected: What was expected, as a phrase that completes "must be ...".
        found: What was found instead.
        rows: The first few offending row labels (never customer data beyond labels).
        total: How many rows offend in all, when more than ``rows`` shows.
        hint: How to fix it.
        kind: The word before ``field`` in the message (``"column"``, ``"parameter"``);
            defaults to the class's ``default_kind``; ``""`` for a plain argument.

    Examples:
        >>> from crmkit.errors import CrmkitError
        >>> str(CrmkitError("replay()", "events", expected="a list", found="None"))
        "replay(): 'events' must be a list; found None."
    """

    #: The word placed before the field name in messages ("column", "parameter", ...).
    default_kind: ClassVar[str] = ""

    def __init__(
        self,
        owner: str,
        field: str,
        *,
        expected: str,
        found: str,
        rows: Iterable[Hashable] = (),
        total: int | None = None,
        hint: str = "",
        kind: str | None = None,
    ) -> None:
        self.kind = self.default_kind if kind is None else kind
        self.owner = owner
        self.field = field
        self.expected = expected
        self.found = found
        self.rows: tuple[Hashable, ...] = tuple(rows)[:MAX_ROWS_SHOWN]
        self.total = total
        self.hint = hint
        super().__init__(self._message())

    def _message(self) -> str:
        what = f"{self.kind} {self.field!r}" if self.kind else repr(self.field)
        text = f"{self.owner}: {what} must be {self.expected}; found {self.found}"
        text += _format_rows(self.rows, self.total) + "."
        if self.hint:
            text += f" {self.hint}"
        return text

    def __reduce__(self) -> tuple[Any, ...]:
        # Keyword-only arguments do not survive the default Exception pickling, and errors
        # must cross process boundaries intact (Dask workers, multiprocessing).
        return (_rebuild, (type(self), dict(self.__dict__)))


def _rebuild(cls: type[CrmkitError], state: dict[str, Any]) -> CrmkitError:
    err = cls.__new__(cls)
    err.__dict__.update(state)
    Exception.__init__(err, err._message())
    return err


class InvalidInputError(CrmkitError, ValueError):
    """Bad data: a value, row or column that cannot be used as given.

    ``field`` names the column (or argument) and ``rows`` holds the first few offending
    row labels, so the caller can find them with ``frame.loc[list(err.rows)]``.

    Examples:
        >>> from crmkit.errors import InvalidInputError
        >>> err = InvalidInputError("summarize()", "date", expected="no NaT",
        ...                         found="1 missing date", rows=["c7"])
        >>> str(err)
        "summarize(): column 'date' must be no NaT; found 1 missing date at rows ['c7']."
    """

    default_kind = "column"


class SchemaError(InvalidInputError):
    """A required column is missing or has a type that cannot hold what it must.

    Examples:
        >>> from crmkit.errors import SchemaError
        >>> str(SchemaError("summarize()", "amount", expected="present",
        ...                 found="columns ['customer_id', 'date']"))
        "summarize(): column 'amount' must be present; found columns ['customer_id', 'date']."
    """


class ConfigError(CrmkitError, ValueError):
    """A bad rule, policy, calendar, model or parameter.

    Examples:
        >>> from crmkit.errors import ConfigError
        >>> str(ConfigError("RFMScorer", "bins", expected="an int in [2, 10]", found="1"))
        "RFMScorer: parameter 'bins' must be an int in [2, 10]; found 1."
    """

    default_kind = "parameter"


class LedgerError(CrmkitError):
    """An operation that a loyalty ledger cannot honour (not a data-format problem).

    Examples:
        >>> from crmkit.errors import LedgerError
        >>> str(LedgerError("Refund r1", "purchase", expected="a known purchase id",
        ...                 found="'p9', which was never replayed"))
        "Refund r1: 'purchase' must be a known purchase id; found 'p9', which was never replayed."
    """


class InsufficientPointsError(LedgerError):
    """A debit asks for more points than the member has available.

    Carries ``available`` and ``requested`` so an app can show both.

    Examples:
        >>> from crmkit.errors import InsufficientPointsError
        >>> err = InsufficientPointsError.for_amounts("Redeem x1", available=120, requested=500)
        >>> str(err)
        "Redeem x1: 'points' must be at most the 120 available points; found a request for 500."
        >>> err.available, err.requested
        (120, 500)
    """

    available: Any
    requested: Any

    @classmethod
    def for_amounts(
        cls, owner: str, *, available: Any, requested: Any, hint: str = ""
    ) -> InsufficientPointsError:
        """Build the error from the available and requested amounts."""
        err = cls(
            owner,
            "points",
            expected=f"at most the {available} available points",
            found=f"a request for {requested}",
            hint=hint,
        )
        err.available = available
        err.requested = requested
        return err


class NotFittedError(CrmkitError, ValueError):
    """A model was used before it was fitted, or fitted on data that cannot support it.

    Examples:
        >>> from crmkit.errors import NotFittedError
        >>> str(NotFittedError("RFMScorer", "edges", expected="fitted first",
        ...                    found="no fitted edges", hint="Call RFMScorer.fit(summary)."))
        "RFMScorer: 'edges' must be fitted first; found no fitted edges. Call RFMScorer.fit(summary)."
    """
