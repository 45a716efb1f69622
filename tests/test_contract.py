"""Every exported rule, policy, calendar and model class passes the contract (tests/contract.py)."""

from __future__ import annotations

import math

import attrs
import pytest

from crmkit._spec import Spec, field, one_of, whole
from crmkit.errors import ConfigError
from tests import contract
from tests.markdown_pages import check_text_blocks, page_blocks
from tests.strategies import examples

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


#: Fields whose bad values a cross-field rule reports on the related field (the relation is
#: checked where it is stated), by class and keyword.
RELATED_FIELDS: dict[tuple[str, str], set[str]] = {
    ("crmkit.segmentation.LifecyclePolicy", "at_risk_days"): {"new_days", "dormant_days"},
    ("crmkit.segmentation.LifecyclePolicy", "dormant_days"): {"at_risk_days", "churned_days"},
    ("crmkit.segmentation.LifecyclePolicy", "new_days"): {"at_risk_days"},
    ("crmkit.segmentation.LifecyclePolicy", "churned_days"): {"dormant_days"},
    ("crmkit.segmentation.LifecyclePolicy", "at_risk_multiple"): {"dormant_multiple"},
    ("crmkit.segmentation.LifecyclePolicy", "dormant_multiple"): {
        "at_risk_multiple",
        "churned_multiple",
    },
    ("crmkit.segmentation.LifecyclePolicy", "churned_multiple"): {"dormant_multiple"},
    ("crmkit.service.NpsScheme", "scale_min"): {"detractor_max, promoter_min"},
    ("crmkit.service.NpsScheme", "scale_max"): {"detractor_max, promoter_min"},
    ("crmkit.service.NpsScheme", "detractor_max"): {"detractor_max, promoter_min"},
    ("crmkit.service.NpsScheme", "promoter_min"): {"detractor_max, promoter_min"},
    ("crmkit.campaigns.Between", "low"): {"high"},
    ("crmkit.campaigns.Between", "high"): {"low"},
    ("crmkit.segmentation.ScoreScale", "cuts"): {"bins"},
    ("crmkit.segmentation.RFMScorer", "segment_map"): {"name"},  # a map named by its name
    ("crmkit.service.PolicySet", "default"): {"name"},  # the default policy's own fields
    ("crmkit.service.MetricRule", "start"): {"events"},  # start/stop events are one list
    ("crmkit.service.MetricRule", "stop"): {"events"},
    ("crmkit.service.MetricRule", "restart"): {"events"},
    ("crmkit.service.MetricRule", "cancel"): {"events"},
    ("crmkit.service.SLATarget", "rule"): {"start", "stop"},  # a rule replaces start/stop
    ("crmkit.loyalty.Adjust", "points"): {"expires_at"},  # only credits keep an expiry
    ("crmkit.loyalty.Tender", "kind"): {"points"},  # the kind decides what points mean
    ("crmkit.segmentation.SegmentRule", "t"): {"codes"},  # scores and codes are one rule
    # "held" expiry needs tiers to hold: emptying by_tier names the basis that needs them.
    ("crmkit.loyalty.ExpiryPolicy", "by_tier"): {"tier_basis"},
    # A redemption without points names its catalogue reward ("points or a reward").
    ("crmkit.loyalty.Redeem", "points"): {"reward"},
    # A qualification needs one threshold; the rule is stated on the last one, counts.
    ("crmkit.loyalty.Qualification", "spend"): {"counts"},
    ("crmkit.loyalty.Qualification", "points"): {"counts"},
    ("crmkit.loyalty.Qualification", "orders"): {"counts"},
    # A milestone gives either a step or a list of marks: removing one names the other.
    ("crmkit.loyalty.Milestone", "every"): {"marks"},
    ("crmkit.loyalty.Milestone", "marks"): {"every"},
    # A program without tiers names what still refers to them (expiry by tier, tier
    # conditions of earning rules, tier prices, privileges).
    ("crmkit.loyalty.Program", "tiers"): {"expiry", "when", "catalogue", "privileges"},
}


def _bad_keyword_outcome(name: str, value: object, keyword: str, bad: object) -> str | None:
    """None when ``keyword=bad`` is refused naming the field, or accepted and round-trips."""
    import json

    from crmkit.errors import CrmkitError

    try:
        built = attrs.evolve(value, **{keyword: bad})
    except ConfigError as err:
        named = str(err.field).split("[")[0].split(".")[0]
        if named == keyword or named in RELATED_FIELDS.get((name, keyword), set()):
            return None
        return f"{keyword}={bad!r}: the error names {err.field!r}"
    except CrmkitError as err:
        return f"{keyword}={bad!r}: {type(err).__name__}, not a ConfigError"
    except Exception as err:
        return f"{keyword}={bad!r}: bare {type(err).__name__}: {err}"
    try:
        back = type(built).from_dict(json.loads(json.dumps(built.to_dict())))
    except Exception as err:
        return f"{keyword}={bad!r} accepted, but its JSON does not load: {type(err).__name__}"
    if back != built and not (isinstance(bad, float) and math.isnan(bad)):
        return f"{keyword}={bad!r} accepted, but its JSON round trip differs"
    return None


@pytest.mark.parametrize("name", ON_SPEC)
def test_every_keyword_refuses_bad_values_naming_the_field(name: str) -> None:
    """Issue 10's walk, over every exported rule class: each keyword given None, NaN, ±inf,
    1e308, a negative, text, a fraction, a bool, an empty list or mapping, or unicode is a
    ConfigError naming that keyword (or the field its cross-field rule states), or it is
    accepted and survives a JSON round trip. Regressions: the CLV fits took any
    ``standard_errors``/``info`` and then failed to load their own JSON; campaigns'
    ``AllOf``/``AnyOf``/``In``/``HealthScore``/``Thresholds`` raised a bare TypeError on a
    non-list; ``Purchase(lines=None)`` named a field ``'items'``."""
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    from tests.test_bad_input import BAD_KWARGS

    strategy = contract.strategy_for(name, RULES[name])
    if strategy is None:
        pytest.skip(f"{name} has no strategy")  # the contract test itself fails for these

    @settings(max_examples=examples(3), deadline=None, suppress_health_check=list(HealthCheck))
    @given(value=strategy, data=st.data())
    def check(value: object, data: st.DataObject) -> None:
        problems = [
            problem
            for attribute in attrs.fields(type(value))
            if attribute.init
            for bad in BAD_KWARGS.values()
            if (
                problem := _bad_keyword_outcome(name, value, attribute.alias or attribute.name, bad)
            )
        ]
        assert problems == [], f"{name}: " + "; ".join(problems[:5])

    check()
