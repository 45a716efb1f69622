"""Every exported rule, policy, calendar and model class passes the contract (tests/contract.py)."""

from __future__ import annotations

import attrs
import pytest

from crmkit._spec import Spec, field, one_of, whole
from crmkit.errors import ConfigError
from tests import contract
from tests.markdown_pages import check_text_blocks, page_blocks

RULES = contract.rule_classes()
ON_SPEC = [name for name in contract.names(RULES) if name not in contract.PENDING]


def test_the_suite_finds_the_rule_classes_of_every_facade() -> None:
    """Discovery works: rule classes from each facade, results and events left out."""
    facades = {name.rsplit(".", 1)[0] for name in RULES}
    assert {"crmkit.segmentation", "crmkit.loyalty", "crmkit.service"} <= facades
    assert "crmkit.service.NpsScheme" in RULES
    assert "crmkit.service.SurveyOptions" in RULES
    assert "crmkit.service.NpsResult" not in RULES  # a result: to_dict, but no from_dict


@pytest.mark.parametrize("name", ON_SPEC)
def test_rule_class_contract(name: str) -> None:
    """Each rule class not pending passes every clause of the contract."""
    contract.check_rule_class(name, RULES[name])


@pytest.mark.parametrize("name", contract.names(contract.PENDING))
def test_pending_list_is_strict(name: str) -> None:
    """A pending class is exported, is a rule class, and still fails (else: remove it)."""
    assert name in RULES, f"{name} is pending but no facade exports it as a rule class"
    assert not contract.passes(name, RULES[name]), (
        f"{name} passes the contract now: remove it from contract.PENDING"
    )


def test_unhashable_list_names_rule_classes() -> None:
    """Every documented exception is a real, exported rule class."""
    assert set(contract.UNHASHABLE) <= set(RULES)


@pytest.mark.parametrize("name", contract.names(contract.fitted_classes()))
def test_fitted_model_contract(name: str) -> None:
    """Each exported class with fit has a case and passes the fitted-model contract (or is
    pending and, when it has a case, still fails it: the pending list only shrinks)."""
    if name in contract.PENDING_FITTED:
        if name in contract.FITTED_CASES:
            with pytest.raises(contract.ContractError):
                contract.check_fitted(name, contract.FITTED_CASES[name]())
        return
    assert name in contract.FITTED_CASES, f"{name} has fit but no contract.FITTED_CASES entry"
    contract.check_fitted(name, contract.FITTED_CASES[name]())


def test_abstract_bases_are_not_values() -> None:
    """ABSTRACT lists exported spec bases only, none of them an instantiable attrs value."""
    exported = contract.facade_classes()
    for name in contract.ABSTRACT:
        assert name in exported, f"{name} is listed as abstract but not exported"
        assert issubclass(exported[name], Spec)
        assert not attrs.has(exported[name])
    assert set(contract.PENDING_FITTED) <= set(contract.fitted_classes())


# --------------------------------------------------------------------------- the contract bites


@attrs.frozen
class Good(Spec):
    """A well-behaved toy rule.

    Examples:
        >>> Good(days=3).days
        3
    """

    days: int = field(default=1, validator=whole(min=1))
    unit: str = field(default="days", validator=one_of(("days", "weeks")))


def test_a_good_class_passes() -> None:
    """The control: a correct spec class passes, so the failures below are the breakage."""
    contract.check_rule_class("tests.Good", Good)


@attrs.define
class NotFrozen(Spec):
    """Mutable.

    Examples:
        >>> NotFrozen().days
        1
    """

    days: int = field(default=1, validator=whole(min=1))


@attrs.frozen
class NoExample(Spec):
    """No example in this docstring."""

    days: int = field(default=1, validator=whole(min=1))


@attrs.frozen
class Unvalidated(Spec):
    """No validator: evolve and from_dict accept anything.

    Examples:
        >>> Unvalidated().days
        1
    """

    days: int = field(default=1)


@attrs.frozen
class HandWritten(Spec):
    """A hand-written from_dict that lets unknown keys through.

    Examples:
        >>> HandWritten.from_dict({"days": 2, "extra": 1}).days
        2
    """

    days: int = field(default=1, validator=whole(min=1))

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> HandWritten:  # type: ignore[override]
        """Ignore what it does not know (the bug the spec layer prevents)."""
        return cls(days=data.get("days", 1))  # type: ignore[arg-type]


@attrs.frozen
class Unpicklable(Spec):
    """Holds a lambda (cannot travel to a Dask worker).

    Examples:
        >>> Unpicklable().days
        1
    """

    days: int = field(default=1, validator=whole(min=1))
    hook: object = field(default=lambda: None, serialise=False, eq=False)


@attrs.frozen
class LossyJson(Spec):
    """A codec-less tuple field: JSON turns it into a list, so the round trip changes it.

    Examples:
        >>> LossyJson().days
        (1,)
    """

    days: tuple[int, ...] = field(default=(1,), validator=lambda i, a, v: None)


class NotAttrs:
    """A plain class with from_dict.

    Examples:
        >>> NotAttrs.from_dict({})
        NotAttrs()
    """

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> NotAttrs:
        """Build one."""
        return cls()

    def __repr__(self) -> str:
        return "NotAttrs()"


@pytest.mark.parametrize(
    ("cls", "clause"),
    [
        (NotFrozen, "not frozen"),
        (NoExample, "no docstring example"),
        (Unvalidated, "no field has a validator"),
        (HandWritten, "hand-written from_dict"),
        (HandWritten, "an unknown key was accepted"),
        (Unpicklable, "does not pickle"),
        (LossyJson, "JSON round trip changed the value"),
        (NotAttrs, "not a crmkit._spec.Spec subclass"),
    ],
)
def test_a_deliberately_broken_class_fails_the_contract(cls: type, clause: str) -> None:
    """Each broken clause is caught and named in the failure."""
    assert contract.is_rule_class(cls)
    with pytest.raises(contract.ContractError, match=clause):
        contract.check_rule_class(f"tests.{cls.__name__}", cls)
    assert not contract.passes(f"tests.{cls.__name__}", cls)


def test_evolve_bypassing_validation_is_caught() -> None:
    """A validator that lets a wrong type through fails the evolve clause."""

    @attrs.frozen
    class Lenient(Spec):
        """Checks the range but not the type.

        Examples:
            >>> Lenient().days
            1
        """

        days: int = field(default=1, validator=lambda i, a, v: None)
        unit: str = field(default="days", validator=one_of(("days",)))

    with pytest.raises(contract.ContractError, match="evolve accepted a wrong value for 'days'"):
        contract.check_rule_class("tests.Lenient", Lenient)


def test_a_broken_fitted_model_fails() -> None:
    """A fit that hands back the scorer itself breaks the fitted-model contract."""
    case = contract.FITTED_CASES["crmkit.segmentation.RFMScorer"]()

    class SelfFit:
        def fit(self, frame: object) -> SelfFit:
            return self

        def to_dict(self) -> dict[str, object]:
            return {}

        @classmethod
        def from_dict(cls, data: object) -> SelfFit:
            raise ConfigError("SelfFit", "data", expected="x", found="y")

    broken = attrs.evolve(case, scorer=SelfFit)
    with pytest.raises(contract.ContractError, match="fit returned the scorer itself"):
        contract.check_fitted("tests.SelfFit", broken)


def test_design_page_runs_and_prints_what_it_shows() -> None:
    """docs/explanation/spec-and-contract.md: every python block prints its text block."""
    page = "docs/explanation/spec-and-contract.md"
    run = check_text_blocks(page, page_blocks(page), every_print_shown=True)
    assert run.checked > 0
