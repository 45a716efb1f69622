"""The exception hierarchy: builtin bases, the one message template, attributes, pickling."""

from __future__ import annotations

import pickle

import pytest

from crmkit import errors
from crmkit.errors import (
    ConfigError,
    CrmkitError,
    InsufficientPointsError,
    InvalidInputError,
    LedgerError,
    NotFittedError,
    SchemaError,
)


@pytest.mark.parametrize(
    ("cls", "bases"),
    [
        (CrmkitError, (Exception,)),
        (InvalidInputError, (CrmkitError, ValueError)),
        (SchemaError, (InvalidInputError, CrmkitError, ValueError)),
        (ConfigError, (CrmkitError, ValueError)),
        (LedgerError, (CrmkitError,)),
        (InsufficientPointsError, (LedgerError, CrmkitError)),
        (NotFittedError, (CrmkitError, ValueError)),
    ],
)
def test_builtin_bases(cls: type[Exception], bases: tuple[type[Exception], ...]) -> None:
    for base in bases:
        assert issubclass(cls, base)


def test_ledger_errors_are_not_value_errors() -> None:
    """A ledger refusal is not a data-format problem: callers must not catch it as one."""
    assert not issubclass(LedgerError, ValueError)


@pytest.mark.parametrize(
    ("cls", "expected"),
    [
        (
            InvalidInputError,
            "f(): column 'amount' must be numeric; found 'x' at rows [3, 'b']. Fix it.",
        ),
        (SchemaError, "f(): column 'amount' must be numeric; found 'x' at rows [3, 'b']. Fix it."),
        (
            ConfigError,
            "f(): parameter 'amount' must be numeric; found 'x' at rows [3, 'b']. Fix it.",
        ),
        (LedgerError, "f(): 'amount' must be numeric; found 'x' at rows [3, 'b']. Fix it."),
        (NotFittedError, "f(): 'amount' must be numeric; found 'x' at rows [3, 'b']. Fix it."),
    ],
)
def test_message_template(cls: type[CrmkitError], expected: str) -> None:
    err = cls("f()", "amount", expected="numeric", found="'x'", rows=[3, "b"], hint="Fix it.")
    assert str(err) == expected
    assert (err.owner, err.field, err.rows) == ("f()", "amount", (3, "b"))


def test_rows_are_capped_and_total_is_reported() -> None:
    err = InvalidInputError("f()", "d", expected="dates", found="12 bad", rows=range(12), total=12)
    assert err.rows == (0, 1, 2, 3, 4)
    assert str(err).endswith("at rows [0, 1, 2, 3, 4] (first 5 of 12).")


def test_kind_override_for_arguments() -> None:
    err = InvalidInputError("f()", "values", expected="a list", found="int", kind="")
    assert str(err) == "f(): 'values' must be a list; found int."


def test_insufficient_points_carries_amounts() -> None:
    err = InsufficientPointsError.for_amounts("Redeem r1", available=120, requested=500)
    assert (err.available, err.requested) == (120, 500)
    assert "120 available" in str(err)
    assert "500" in str(err)


@pytest.mark.parametrize("cls", [InvalidInputError, SchemaError, ConfigError, LedgerError])
def test_errors_pickle_round_trip(cls: type[CrmkitError]) -> None:
    """Errors cross process boundaries (Dask workers) with their fields intact."""
    err = cls("f()", "x", expected="positive", found="-1", rows=[7], total=3, hint="h")
    back = pickle.loads(pickle.dumps(err))
    assert type(back) is cls
    assert str(back) == str(err)
    assert (back.field, back.rows, back.total) == ("x", (7,), 3)


def test_insufficient_points_pickles_with_amounts() -> None:
    err = InsufficientPointsError.for_amounts("Redeem r1", available=1, requested=2)
    back = pickle.loads(pickle.dumps(err))
    assert (back.available, back.requested, str(back)) == (1, 2, str(err))


def test_module_exports_every_error() -> None:
    assert set(errors.__all__) == {
        "ConfigError",
        "CrmkitError",
        "InsufficientPointsError",
        "InvalidInputError",
        "LedgerError",
        "NotFittedError",
        "SchemaError",
    }
