"""The contract every rule, policy, calendar and model class of crmkit passes.

In the spirit of scikit-learn's ``utils/estimator_checks.py`` and holidays'
``CommonCountryTests``: the classes are *found* (every class exported by a subpackage
facade that has a ``from_dict`` or derives from :class:`crmkit._spec.Spec`), not listed,
so a new class is checked the day it is exported and passes or fails by construction.

A rule class passes when

1. it is on the spec layer (a :class:`~crmkit._spec.Spec` subclass whose ``to_dict`` /
   ``from_dict`` are the spec layer's, not hand-written);
2. it is an attrs class, frozen, and its instances are hashable (or the class is in
   :data:`UNHASHABLE` with the reason);
3. its docstring has a runnable example (``>>>``);
4. on hypothesis-generated instances (``tests/strategies.py``, :data:`RULE_STRATEGIES`, or
   the default instance ``cls()``): the JSON round trip is exact (``to_dict`` carries
   ``schema_version``; ``from_dict(json.loads(json.dumps(to_dict())))`` equals the value and
   writes the same JSON); an unknown key is a :class:`~crmkit.errors.ConfigError` naming it;
   the value pickles (Dask workers); setting an attribute raises; and ``attrs.evolve`` keeps
   validation: a wrong value for any validated field is a ``ConfigError``.

A fitted model (an exported class with ``fit``) additionally passes :func:`check_fitted`:
``fit`` returns a new frozen object and leaves its input alone, the model's JSON round trip
is exact, scoring one item equals the same row of scoring a frame, and a stored scorer
(parameters without fitted values) given to the model's ``from_dict`` is a
:class:`~crmkit.errors.NotFittedError`.

Classes still being moved onto the spec layer by other branches are listed in
:data:`PENDING` (name -> reason). The list is checked strictly: a pending class that
already passes fails the suite, so the list only shrinks.
"""

from __future__ import annotations

import copy
import importlib
import importlib.util
import inspect
import json
import pickle
from collections.abc import Callable, Iterable
from typing import Any

import attrs
import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crmkit._spec import SCHEMA_KEY, Spec
from crmkit.errors import ConfigError, NotFittedError
from tests.strategies import examples

FACADES = ("crmkit.segmentation", "crmkit.loyalty", "crmkit.service", "crmkit.campaigns")

#: Rule classes not yet on the spec layer: qualified name -> why (who moves it).
PENDING: dict[str, str] = {}

#: Exported base classes that are not values themselves (their subclasses are checked):
#: qualified name -> why. Each must be a Spec subclass that is not an attrs class.
ABSTRACT: dict[str, str] = {
    "crmkit.campaigns.Condition": "base of the audience condition tree (AllOf, Compare, ...)",
}

#: Fitted-model families that do not pass the fitted-model contract yet: scorer -> why.
#: Strict like PENDING: a pending family with a case that passes fails the suite.
PENDING_FITTED: dict[str, str] = {}

#: Rule classes whose instances are not hashable, with the reason.
UNHASHABLE: dict[str, str] = {
    **{
        f"crmkit.segmentation.{name}": "params and standard errors are mappings (dict fields); "
        "compare fitted models with == (branch clv)"
        for name in (
            "BetaGeoFit",
            "ModifiedBetaGeoFit",
            "ParetoNBDFit",
            "BetaGeoBetaBinomFit",
            "ShiftedBetaGeoFit",
            "GammaGammaFit",
        )
    },
    "crmkit.loyalty.Program": "its catalogue (and earning/expiry/tiers by name) are dicts",
}


class ContractError(AssertionError):
    """A class breaks the contract; the message lists every broken clause."""


# --------------------------------------------------------------------------- discovery


def facade_classes() -> dict[str, type]:
    """Every class exported by an existing facade, by qualified name ``crmkit.x.Name``."""
    found: dict[str, type] = {}
    for facade in FACADES:
        if importlib.util.find_spec(facade) is None:
            continue  # e.g. crmkit.campaigns before its branch lands
        module = importlib.import_module(facade)
        for name in module.__all__:
            obj = getattr(module, name)
            if inspect.isclass(obj) and not issubclass(obj, BaseException):
                found[f"{facade}.{name}"] = obj
    return found


def is_rule_class(cls: type) -> bool:
    """A rule/policy/calendar/model class: on the spec layer or stored with ``from_dict``."""
    return issubclass(cls, Spec) or callable(getattr(cls, "from_dict", None))


def rule_classes() -> dict[str, type]:
    """The exported rule classes the contract applies to (abstract bases left out)."""
    return {
        name: cls
        for name, cls in facade_classes().items()
        if is_rule_class(cls) and name not in ABSTRACT
    }


def fitted_classes() -> dict[str, type]:
    """The exported classes that learn from data (have ``fit``; protocols left out)."""
    return {
        name: cls
        for name, cls in facade_classes().items()
        if callable(getattr(cls, "fit", None)) and not getattr(cls, "_is_protocol", False)
    }


# --------------------------------------------------------------------------- rule checks


class _Bad:
    """A value no validator accepts; iterable (one bad item) so item validators see it too."""

    def __iter__(self) -> Any:
        return iter([_Bad()])

    def __len__(self) -> int:
        return 1

    def __repr__(self) -> str:
        return "<bad>"


def class_problems(name: str, cls: type) -> list[str]:
    """The class-level clauses: spec layer, frozen attrs class, docstring example."""
    problems = []
    if not issubclass(cls, Spec):
        problems.append("not a crmkit._spec.Spec subclass")
    else:
        if cls.to_dict is not Spec.to_dict:
            problems.append("hand-written to_dict (the spec layer writes it)")
        if getattr(cls.from_dict, "__func__", None) is not Spec.from_dict.__func__:  # type: ignore[attr-defined]
            problems.append("hand-written from_dict (the spec layer reads it)")
    if not attrs.has(cls):
        problems.append("not an attrs class")
    if ">>>" not in (cls.__doc__ or ""):
        problems.append("no docstring example")
    return problems


def instance_problems(name: str, cls: type, value: Any) -> list[str]:
    """The clauses checked on one instance."""
    problems: list[str] = []
    first = attrs.fields(type(value))[0].name
    try:
        setattr(value, first, getattr(value, first))  # even an unchanged value
        problems.append("setting an attribute did not raise (not frozen)")
    except attrs.exceptions.FrozenInstanceError:
        pass
    if name not in UNHASHABLE:
        try:
            hash(value)
        except TypeError as err:
            problems.append(f"unhashable ({err}); list it in UNHASHABLE with the reason")
    try:
        data = value.to_dict()
        text = json.dumps(data, allow_nan=False)
    except (TypeError, ValueError) as err:
        return [*problems, f"to_dict is not plain JSON: {err}"]
    if data.get(SCHEMA_KEY) is None:
        problems.append(f"to_dict has no {SCHEMA_KEY!r}")
    back = cls.from_dict(json.loads(text))  # type: ignore[attr-defined]
    if back != value:
        problems.append("JSON round trip changed the value")
    elif json.dumps(back.to_dict(), allow_nan=False) != text:
        problems.append("JSON round trip changed the JSON")
    try:
        cls.from_dict({**json.loads(text), "zz_unknown_key": 1})  # type: ignore[attr-defined]
        problems.append("an unknown key was accepted")
    except ConfigError as err:
        if "zz_unknown_key" not in str(err):
            problems.append(f"the unknown-key error does not name the key: {err}")
    except Exception as err:
        problems.append(f"an unknown key raised {type(err).__name__}, not ConfigError")
    try:
        if pickle.loads(pickle.dumps(value)) != value:
            problems.append("pickle round trip changed the value")
        if copy.deepcopy(value) != value:
            problems.append("deepcopy changed the value")
    except Exception as err:
        problems.append(f"does not pickle: {type(err).__name__}: {err}")
    validated = [a for a in attrs.fields(type(value)) if a.init and a.validator is not None]
    if not validated:
        problems.append("no field has a validator (evolve/from_dict would accept anything)")
    for attribute in validated:
        try:
            attrs.evolve(value, **{attribute.alias or attribute.name: _Bad()})
            problems.append(f"evolve accepted a wrong value for {attribute.name!r}")
        except ConfigError:
            pass
        except Exception as err:
            problems.append(
                f"evolve with a wrong {attribute.name!r} raised {type(err).__name__}, "
                "not ConfigError"
            )
    return problems


def strategy_for(name: str, cls: type) -> st.SearchStrategy[Any] | None:
    """The hypothesis strategy of ``cls``: registered in tests/strategies.py, or ``cls()``."""
    from tests.strategies import RULE_STRATEGIES

    if name in RULE_STRATEGIES:
        return RULE_STRATEGIES[name]
    try:
        return st.just(cls())
    except Exception:
        return None


def check_rule_class(name: str, cls: type, *, max_examples: int = 25) -> None:
    """Run the whole rule contract on ``cls``; raise :class:`ContractError` if broken."""
    problems = class_problems(name, cls)
    strategy = strategy_for(name, cls)
    if strategy is None:
        problems.append("no instances: register a strategy in tests/strategies.RULE_STRATEGIES")
    elif issubclass(cls, Spec) and attrs.has(cls):
        seen: list[str] = []

        @settings(
            max_examples=max_examples,
            database=None,
            deadline=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(strategy)
        def run(value: Any) -> None:
            found = instance_problems(name, cls, value)
            if found:
                seen.extend(found)
                raise ContractError("; ".join(found))

        try:
            run()
        except ContractError:
            problems.extend(dict.fromkeys(seen))
        except Exception as err:
            problems.append(f"{type(err).__name__}: {err}")
    if problems:
        raise ContractError(f"{name}: " + "; ".join(problems))


def passes(name: str, cls: type) -> bool:
    """Whether ``cls`` passes the rule contract (used to keep :data:`PENDING` strict)."""
    try:
        check_rule_class(name, cls, max_examples=examples(10))
    except ContractError:
        return False
    return True


# --------------------------------------------------------------------------- fitted models


@attrs.frozen
class FittedCase:
    """How to exercise one fitted-model family.

    Attributes:
        scorer: Builds the unfitted scorer (parameters only).
        data: Builds a frame to fit and score.
        score_frame: Scores a frame with a fitted model; one row per item.
        score_one: Scores the item in one row of the frame (a Series).
        columns: The columns of ``score_frame``'s result that ``score_one`` must equal.
    """

    scorer: Callable[[], Any]
    data: Callable[[], pd.DataFrame]
    score_frame: Callable[[Any, pd.DataFrame], pd.DataFrame]
    score_one: Callable[[Any, pd.Series], dict[str, Any]]
    columns: tuple[str, ...]


def _rfm_data() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "recency_days": [1, 5, 20, 40, 90, 200, 300, 400, 500, 700, 3, 45],
            "frequency": [9, 7, 5, 4, 3, 2, 1, 1, 1, 1, 6, 2],
            "monetary": [900.0, 700, 500, 400, 300, 200, 100, 80, 60, 40, 650, 210],
            "tenure_days": [600, 300, 25, 400, 500, 800, 300, 900, 500, 700, 3, 300],
        },
        index=pd.Index([f"c{i}" for i in range(12)], name="customer_id"),
    )


def _rfm_case() -> FittedCase:
    from crmkit.segmentation import RFMScorer

    def one(model: Any, row: pd.Series) -> dict[str, Any]:
        score = model.score(
            row["recency_days"], row["frequency"], row["monetary"], row["tenure_days"]
        )
        return {k: getattr(score, k) for k in ("r_score", "f_score", "m_score", "rfm_code")}

    return FittedCase(
        scorer=RFMScorer,
        data=_rfm_data,
        score_frame=lambda model, frame: model.transform(frame),
        score_one=one,
        columns=("r_score", "f_score", "m_score", "rfm_code"),
    )


def _health_case() -> FittedCase:
    from crmkit.campaigns import HealthScore, Indicator, Percentile, Thresholds

    def one(model: Any, row: pd.Series) -> dict[str, Any]:
        return {"score": model.apply_one(row.to_dict())}

    return FittedCase(
        scorer=lambda: HealthScore(
            [
                Indicator(
                    "recency", "recency_days", 2, Thresholds([30, 90, 180], [100, 70, 30, 0])
                ),
                Indicator("spend", "monetary", 1, Percentile()),
            ]
        ),
        data=_rfm_data,
        score_frame=lambda model, frame: model.apply(frame),
        score_one=one,
        columns=("score",),
    )


# --- CLV models (branch clv): predictions for a frame equal one-customer calls


def _btyd_data() -> pd.DataFrame:
    from tests.strategies import simulated_btyd_summary

    frame = simulated_btyd_summary(300, seed=17)
    frame.index = pd.Index([f"c{i}" for i in range(len(frame))], name="customer_id")
    return frame


def _count_case(cls_name: str) -> Callable[[], FittedCase]:
    def case() -> FittedCase:
        import crmkit.segmentation as seg

        def one(model: Any, row: pd.Series) -> dict[str, Any]:
            x, tx, big_t = row["frequency"], row["recency"], row["T"]
            return {
                "expected_purchases": model.expected_purchases(10.0, x, tx, big_t),
                "p_alive": model.probability_alive(x, tx, big_t),
            }

        return FittedCase(
            scorer=lambda: getattr(seg, cls_name)(time_unit="weeks"),
            data=_btyd_data,
            score_frame=lambda model, frame: model.predict(frame, t=10.0),
            score_one=one,
            columns=("expected_purchases", "p_alive"),
        )

    return case


def _spend_case() -> FittedCase:
    from crmkit.segmentation import GammaGammaModel

    def data() -> pd.DataFrame:
        rng = np.random.default_rng(4)
        freq = rng.integers(0, 6, 60).astype(float)
        nu = rng.gamma(3.7, 1 / 15.4, 60)
        spend = np.where(freq > 0, rng.gamma(6.25, 1 / nu), 0.0)
        return pd.DataFrame(
            {"frequency": freq, "monetary_value": spend},
            index=pd.Index([f"c{i}" for i in range(60)], name="customer_id"),
        )

    return FittedCase(
        scorer=lambda: GammaGammaModel(max_correlation=None),
        data=data,
        score_frame=lambda model, frame: model.predict(frame),
        score_one=lambda model, row: {
            "expected_spend": model.expected_spend(row["frequency"], row["monetary_value"])
        },
        columns=("expected_spend",),
    )


def _bgbb_case() -> FittedCase:
    from crmkit.segmentation import BetaGeoBetaBinomModel

    def data() -> pd.DataFrame:
        frame = pd.DataFrame(
            {
                "frequency": [0, 6, 1, 5, 2, 4, 3, 5],
                "recency": [0, 6, 1, 6, 2, 6, 6, 5],
                "n": [6] * 8,
            }
        )
        weights = [346, 120, 109, 73, 61, 51, 36, 34]
        frame = frame.loc[frame.index.repeat(weights)].reset_index(drop=True)
        frame.index = pd.Index([f"d{i}" for i in range(len(frame))], name="donor")
        return frame.head(830)

    return FittedCase(
        scorer=lambda: BetaGeoBetaBinomModel(time_unit="years"),
        data=data,
        score_frame=lambda model, frame: model.predict(frame, t=3),
        score_one=lambda model, row: {
            "expected_purchases": model.expected_purchases(
                3, row["frequency"], row["recency"], row["n"]
            )
        },
        columns=("expected_purchases",),
    )


def _sbg_case() -> FittedCase:
    from crmkit.segmentation import ShiftedBetaGeoModel

    def data() -> pd.DataFrame:
        rows = [(1, 1)] * 13 + [(2, 1)] * 12 + [(3, 1)] * 9 + [(4, 1)] * 6 + [(4, 0)] * 60
        frame = pd.DataFrame(rows, columns=["periods", "churned"])
        frame.index = pd.Index([f"m{i}" for i in range(len(frame))], name="member")
        return frame

    return FittedCase(
        scorer=lambda: ShiftedBetaGeoModel(time_unit="years"),
        data=data,
        score_frame=lambda model, frame: model.predict(frame, t=2),
        score_one=lambda model, row: {"p_renew": model.probability_renew(2, row["periods"])},
        columns=("p_renew",),
    )


#: Every exported class with ``fit`` needs a case here (qualified name of the scorer).
FITTED_CASES: dict[str, Callable[[], FittedCase]] = {
    "crmkit.segmentation.RFMScorer": _rfm_case,
    "crmkit.campaigns.HealthScore": _health_case,
    "crmkit.segmentation.BetaGeoModel": _count_case("BetaGeoModel"),
    "crmkit.segmentation.ModifiedBetaGeoModel": _count_case("ModifiedBetaGeoModel"),
    "crmkit.segmentation.ParetoNBDModel": _count_case("ParetoNBDModel"),
    "crmkit.segmentation.GammaGammaModel": _spend_case,
    "crmkit.segmentation.BetaGeoBetaBinomModel": _bgbb_case,
    "crmkit.segmentation.ShiftedBetaGeoModel": _sbg_case,
}


def check_fitted(name: str, case: FittedCase) -> None:
    """Run the fitted-model contract; raise :class:`ContractError` listing what broke."""
    problems: list[str] = []
    scorer = case.scorer()
    frame = case.data()
    before = frame.copy(deep=True)
    model = scorer.fit(frame)
    if model is scorer:
        problems.append("fit returned the scorer itself, not a new fitted object")
    if not attrs.has(type(model)):
        problems.append("the fitted model is not an attrs class")
    else:
        first = attrs.fields(type(model))[0].name
        try:
            setattr(model, first, getattr(model, first))
            problems.append("the fitted model is not frozen")
        except attrs.exceptions.FrozenInstanceError:
            pass
    if not frame.equals(before):
        problems.append("fit modified its input frame")
    try:
        text = json.dumps(model.to_dict(), allow_nan=False)
        if type(model).from_dict(json.loads(text)) != model:
            problems.append("the model's JSON round trip changed it")
    except Exception as err:
        problems.append(f"the model's JSON round trip raised {type(err).__name__}: {err}")
    try:
        scored = case.score_frame(model, frame)
        for label, row in frame.iterrows():
            one = case.score_one(model, row)
            batch = {c: scored.loc[label, c] for c in case.columns}
            if {k: str(v) for k, v in one.items()} != {k: str(v) for k, v in batch.items()}:
                problems.append(f"scoring item {label!r} alone gave {one}, the frame gave {batch}")
                break
    except Exception as err:
        problems.append(f"scoring raised {type(err).__name__}: {err}")
    try:
        type(model).from_dict(json.loads(json.dumps(scorer.to_dict())))
        problems.append("a stored scorer was accepted as a fitted model")
    except NotFittedError:
        pass
    except Exception as err:
        problems.append(f"a stored scorer raised {type(err).__name__}, not NotFittedError")
    if problems:
        raise ContractError(f"{name}: " + "; ".join(problems))


def names(items: Iterable[str]) -> list[str]:
    """Sorted names (stable test ids)."""
    return sorted(items)
