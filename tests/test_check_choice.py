"""One "one of" check: ``_spec.check_choice`` for function arguments, ``_spec.one_of`` for
rule fields, one message template."""

from __future__ import annotations

from collections.abc import Callable

import attrs
import pandas as pd
import pytest

from crmkit import _spec
from crmkit.errors import ConfigError, InvalidInputError
from crmkit.segmentation import ValuePotentialMatrix, pareto_curve
from crmkit.service import csat, metric_table


def test_check_choice_accepts_the_choices_and_refuses_the_rest() -> None:
    _spec.check_choice("b", ("a", "b"), "f()", "mode")
    _spec.check_choice(None, ("a",), "f()", "mode", optional=True)
    with pytest.raises(ConfigError) as info:
        _spec.check_choice("c", ("a", "b"), "f()", "mode")
    assert str(info.value) == "f(): parameter 'mode' must be one of ['a', 'b']; found 'c'."
    assert info.value.field == "mode"
    with pytest.raises(ConfigError, match=r"must be one of \['a'\] or None; found 'c'"):
        _spec.check_choice("c", ("a",), "f()", "mode", optional=True)
    with pytest.raises(ConfigError, match="found None"):
        _spec.check_choice(None, ("a",), "f()", "mode")


def test_check_choice_refuses_bools_and_unhashables_as_crmkit_errors() -> None:
    """``False == 0`` does not make False a choice; ``[] in {...}`` is not a TypeError."""
    with pytest.raises(ConfigError, match="found False"):
        _spec.check_choice(False, (0, 2), "f()", "bins")
    _spec.check_choice(False, (True, False), "f()", "flag")
    with pytest.raises(ConfigError, match=r"found \['a'\]"):
        _spec.check_choice(["a"], {"a": 1}, "f()", "mode")


def test_check_choice_takes_error_kind_hint_and_what() -> None:
    with pytest.raises(InvalidInputError) as info:
        _spec.check_choice(
            "x", ("a",), "f()", "roll", error=InvalidInputError, kind="", hint="Say which."
        )
    assert str(info.value) == "f(): 'roll' must be one of ['a']; found 'x'. Say which."
    with pytest.raises(ConfigError, match="must be a known label; found 'x'"):
        _spec.check_choice("x", ("a",), "f()", "label", what="a known label")


def test_one_of_and_check_choice_say_the_same() -> None:
    @attrs.frozen
    class Rule:
        mode: str = attrs.field(validator=_spec.one_of(("floor", "half_up")))

    with pytest.raises(ConfigError) as by_field:
        Rule("up")
    with pytest.raises(ConfigError) as by_argument:
        _spec.check_choice("up", ("floor", "half_up"), "Rule", "mode")
    assert str(by_field.value) == str(by_argument.value)


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (
            lambda: pareto_curve([1.0, 2.0], order="up"),  # type: ignore[arg-type]
            ConfigError,
            (
                "pareto_curve(): parameter 'order' must be one of ['descending', 'ascending']; "
                "found 'up'."
            ),
        ),
        (
            lambda: csat([5, 4], missing="drop"),  # type: ignore[arg-type]
            ConfigError,
            "csat(): parameter 'missing' must be one of ['exclude', 'include']; found 'drop'.",
        ),
        (
            lambda: csat([5, 4], ci="exact"),
            ConfigError,
            (
                "csat(): parameter 'ci' must be one of ['wilson', 'agresti_coull', "
                "'clopper_pearson', 'jeffreys'] or None; found 'exact'."
            ),
        ),
        (
            lambda: ValuePotentialMatrix.default().classify("Z", "high"),
            InvalidInputError,
            (
                "ValuePotentialMatrix.classify(): 'value_class' must be one of ['A', 'B', 'C']; "
                "found 'Z'."
            ),
        ),
        (
            lambda: metric_table(pd.DataFrame({"nps": [9]}), metric="nps_mean"),
            ConfigError,
            "metric_table(): parameter 'metric' must be one of [",
        ),
    ],
)
def test_library_arguments_use_the_one_template(
    call: Callable[[], object], error: type[Exception], message: str
) -> None:
    """Hand-written "one of" checks now share the template (were "'a' or 'b'" and others)."""
    with pytest.raises(error) as info:
        call()
    assert str(info.value).startswith(message)
