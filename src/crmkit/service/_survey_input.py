"""Survey input: how answers, weights and "no score" rows are read, and the options.

The one reader of survey answers for every satisfaction metric (:func:`parse`): scores
as a Series, array, list or mapping ``{score: count}``; optional weights (sampling weights,
or whole-number frequency weights that act exactly like duplicated rows); the missing
and invalid policies; the finite-population correction. Also the rule classes the metrics
take: :class:`NpsScheme` (category cut-offs) and :class:`SurveyOptions` (the eight options
every metric shares, as one frozen value).
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import attrs
import numpy as np
import pandas as pd

from crmkit import _spec as spec
from crmkit import _stats
from crmkit._spec import check_choice
from crmkit._validate import first_labels, number_text_hint
from crmkit.errors import ConfigError, InvalidInputError

__all__ = [
    "CI_METHODS",
    "DEFAULT",
    "DEFAULT_MIN_N",
    "NPS_METHODS",
    "Default",
    "NpsScheme",
    "Parsed",
    "SurveyOptions",
    "check_boot",
    "check_method",
    "check_min_n",
    "check_population",
    "fpc_factor",
    "parse",
    "resolve_options",
    "score_text_hint",
]

FloatArray = np.ndarray[Any, np.dtype[np.float64]]

#: Default low-sample threshold: results below it are flagged (never hidden).
DEFAULT_MIN_N = 30


def _ordered(instance: NpsScheme, attribute: Any, value: Any) -> None:
    """The cut-offs lie on the scale in order (a rule over four fields, checked once)."""
    fields = (instance.scale_min, instance.detractor_max, instance.promoter_min)
    if not all(isinstance(v, int) and not isinstance(v, bool) for v in (*fields, value)):
        return  # the per-field validators name the field of the wrong type
    if not instance.scale_min <= instance.detractor_max < instance.promoter_min <= value:
        raise ConfigError(
            "NpsScheme",
            "detractor_max, promoter_min",
            expected="scale_min <= detractor_max < promoter_min <= scale_max",
            found=(
                f"scale {instance.scale_min}-{value}, detractor_max "
                f"{instance.detractor_max}, promoter_min {instance.promoter_min}"
            ),
            kind="parameters",
        )


@attrs.frozen
class NpsScheme(spec.Spec):
    """How scores map to detractors, passives and promoters.

    The default is the standard 0-10 scale with detractors 0-6, passives 7-8 and
    promoters 9-10 (Reichheld / Bain; the R ``NPS`` package's ``breaks``).

    Attributes:
        scale_min: Lowest score on the scale.
        scale_max: Highest score on the scale.
        detractor_max: Highest score that counts as a detractor.
        promoter_min: Lowest score that counts as a promoter.

    Examples:
        >>> NpsScheme().to_dict()
        {'schema_version': 1, 'scale_min': 0, 'scale_max': 10, 'detractor_max': 6, 'promoter_min': 9}
        >>> NpsScheme.from_dict({"promoter_min": 10}).promoter_min
        10
        >>> NpsScheme(scale_min=1, scale_max=5, detractor_max=3, promoter_min=5).category(4)
        'passive'
    """

    scale_min: int = spec.field(default=0, validator=spec.whole())
    scale_max: int = spec.field(default=10, validator=[spec.whole(), _ordered])
    detractor_max: int = spec.field(default=6, validator=spec.whole())
    promoter_min: int = spec.field(default=9, validator=spec.whole())

    def category(self, score: int) -> str:
        """Return ``"detractor"``, ``"passive"`` or ``"promoter"`` for one score.

        Examples:
            >>> NpsScheme().category(8)
            'passive'
        """
        if not self.scale_min <= score <= self.scale_max:
            raise InvalidInputError(
                "NpsScheme.category()",
                "score",
                expected=f"in [{self.scale_min}, {self.scale_max}]",
                found=repr(score),
                kind="parameter",
            )
        if score <= self.detractor_max:
            return "detractor"
        return "promoter" if score >= self.promoter_min else "passive"


#: The NPS interval methods (``ci=`` of :func:`~crmkit.service.nps`).
NPS_METHODS = ("wald", "adjusted_wald", "score", "bootstrap")
#: Every interval method name a survey metric takes (``"t"``: the mean's t interval).
CI_METHODS = (*NPS_METHODS, *_stats.PROPORTION_METHODS, "t")


class Default(enum.Enum):
    """The "not given" marker of the option keywords (so options can fill them)."""

    DEFAULT = "DEFAULT"

    def __repr__(self) -> str:
        return "DEFAULT"


#: Default of the option keywords of ``nps``, ``csat``, ``ces`` and ``metric_table``: the
#: value then comes from ``options`` (or :class:`SurveyOptions`' default).
DEFAULT = Default.DEFAULT


@attrs.frozen
class SurveyOptions(spec.Spec):
    """The options every survey metric shares, as one value (frozen, JSON round trip).

    ``nps``, ``csat``, ``ces`` and ``metric_table`` accept ``options=`` alongside their
    keywords: a keyword given explicitly wins over the option, so a stored house style
    can be applied everywhere and overridden once. Each metric still checks what only it
    knows (e.g. that ``ci`` is one of *its* methods).

    Attributes:
        weights: The sampling-weight **column** of ``metric_table`` (``None``: unweighted).
            ``nps``/``csat``/``ces`` take weight data with their ``weights=`` keyword; a
            column name in their options is a ``ConfigError``.
        weights_kind: ``"sampling"`` (survey weights: ratio estimate, linearised SE, Kish
            effective n) or ``"frequency"`` (whole-number repeat counts).
        ci: Interval method, ``"default"`` for each metric's own default
            (``"adjusted_wald"`` for NPS, ``"wilson"`` for shares, ``"t"`` for means), or
            ``None`` for no interval (``metric_table`` always shows one: ``None`` there
            means its default).
        level: Two-sided confidence level in (0, 1).
        missing: ``"exclude"`` missing answers from the denominator (counted) or
            ``"include"`` them as neither promoter nor detractor / not satisfied.
        invalid: ``"raise"`` on off-scale or non-integer scores, or ``"exclude"`` them
            (counted).
        population_size: ``N`` of the finite-population correction (``None``: none); one
            group only, so ``metric_table`` refuses it.
        min_n: Results with ``n < min_n`` are flagged ``low_sample`` (never hidden).

    Examples:
        >>> from crmkit.service import csat, nps
        >>> house = SurveyOptions(level=0.9, min_n=5, missing="include")
        >>> nps([10, 9, None, 3, 8, 10], options=house).n
        6
        >>> r = csat([5, 4, 2, 5, 1], options=house, ci="jeffreys")  # a keyword wins
        >>> r.interval.level, r.interval.method
        (0.9, 'jeffreys')
        >>> SurveyOptions.from_dict(house.to_dict()) == house
        True
        >>> SurveyOptions(missing="drop")
        Traceback (most recent call last):
        ...
        crmkit.errors.ConfigError: SurveyOptions: parameter 'missing' must be one of ['exclude', 'include']; found 'drop'.
    """

    weights: str | None = spec.field(
        default=None, validator=spec.instance_of(str, "None or a column name", optional=True)
    )
    weights_kind: str = spec.field(
        default="sampling", validator=spec.one_of(("sampling", "frequency"))
    )
    ci: str | None = spec.field(
        default="default", validator=spec.one_of((None, "default", *CI_METHODS))
    )
    level: float = spec.field(
        default=0.95, validator=spec.number(min=0, max=1, min_open=True, max_open=True)
    )
    missing: str = spec.field(default="exclude", validator=spec.one_of(("exclude", "include")))
    invalid: str = spec.field(default="raise", validator=spec.one_of(("raise", "exclude")))
    population_size: int | None = spec.field(
        default=None, validator=spec.whole(min=1, optional=True)
    )
    min_n: int = spec.field(default=DEFAULT_MIN_N, validator=spec.whole(min=0))


def resolve_options(
    options: Any, owner: str, *, default_ci: str, weights_column: bool = False, **given: Any
) -> dict[str, Any]:
    """Merge ``options`` with the keywords given explicitly (those not :data:`DEFAULT`).

    Returns the option values by name (the eight, or seven without ``weights_column``), with ``ci="default"`` replaced by
    ``default_ci``; the metric then checks them with its own name as the owner, as before.
    ``options`` must be a :class:`SurveyOptions` or None. Without ``weights_column`` (the
    one-group metrics take weight *data* by keyword) ``options.weights`` must be None.
    """
    if options is None:
        options = SurveyOptions()
    elif not isinstance(options, SurveyOptions):
        raise ConfigError(
            owner, "options", expected="None or a SurveyOptions", found=type(options).__name__
        )
    if not weights_column and options.weights is not None:
        raise ConfigError(
            owner,
            "options.weights",
            expected="None here",
            found=repr(options.weights),
            hint="Pass the weight data with weights=; options.weights names a column "
            "for metric_table.",
        )
    merged = {a.name: getattr(options, a.name) for a in attrs.fields(SurveyOptions)}
    merged.update({k: v for k, v in given.items() if v is not DEFAULT})
    if not weights_column:
        del merged["weights"]  # the metric's own weights= keyword carries the data
    if merged["ci"] == "default":
        merged["ci"] = default_ci
    return merged


@attrs.frozen
class Parsed:
    """Scores reduced to rows: value per row, repeat count, sampling weight."""

    values: FloatArray  # NaN for missing (when included)
    freq: FloatArray
    weights: FloatArray | None
    n_missing: int
    n_invalid: int
    kept: np.ndarray[Any, Any]  # per input row: used in the estimate
    missing: np.ndarray[Any, Any]  # per input row: missing answer
    zero_weight: np.ndarray[Any, Any]  # per input row: answered, but sampling weight 0

    @property
    def n_zero_weight(self) -> int:
        """Rows left out because their sampling weight is 0."""
        return int(self.zero_weight.sum())


def _as_series(obj: Any, owner: str, name: str) -> pd.Series:
    if isinstance(obj, pd.Series):
        return obj
    if isinstance(obj, pd.DataFrame):
        raise InvalidInputError(
            owner,
            name,
            expected="a Series, array, list or mapping of counts",
            found="a DataFrame",
            hint="Pass one column, e.g. frame['nps'].",
            kind="",
        )
    if isinstance(obj, (str, bytes)) or not isinstance(obj, Iterable):
        raise InvalidInputError(
            owner,
            name,
            expected="a Series, array, list or mapping of counts",
            found=type(obj).__name__,
            kind="",
        )
    return pd.Series(list(obj) if not isinstance(obj, np.ndarray) else obj, dtype=object)


#: A score written with a unit: ``9分``, ``4 星``, ``5颗星``, ``8 points``, ``4 stars``.
_SCORE_UNIT = re.compile(
    r"\s*([+-]?\d+(?:\.\d+)?)\s*(分|颗星|星|points?|pts?|stars?)\s*", re.IGNORECASE
)
#: A score written with its scale: ``9/10``, ``4 out of 5``, ``4 (满分5)``.
_SCORE_SCALE = re.compile(
    r"\s*([+-]?\d+(?:\.\d+)?)\s*(?:/\s*\d+|out of\s*\d+|[(\uff08]\s*满分\s*\d+\s*分?\s*[)\uff09])\s*",
    re.IGNORECASE,
)
#: Answers that say "no score": don't know, not applicable, refused, no answer. Never read
#: as missing by themselves (which text means "no answer" is the survey's to say): named
#: in the refusal so the caller can map them to None and choose ``missing=``.
_NO_ANSWER = frozenset(
    {
        "n/a", "na", "n.a.", "#n/a", "none", "null", "nan", "-", "--", "?", "dk",
        "don't know", "dont know", "do not know", "not applicable", "no answer", "refused",
        "prefer not to say", "不知道", "不清楚", "说不清", "不适用", "无", "无法评价",
        "不好说", "拒答", "拒绝回答", "未回答", "未作答", "空", "跳过",
    }
)  # fmt: skip


def score_text_hint(values: Iterable[object], name: str = "scores") -> str:
    """What to do about text refused as scores (empty when nothing is recognised).

    A score carrying a unit (``"9分"``, ``"4 stars"``) or its scale (``"9/10"``) is named
    with the bare number to write; a "no answer" text (``"不知道"``, ``"N/A"``,
    ``"不适用"``) with how to say it means no answer; numbers in other forms (full-width
    digits, a decimal comma) get the hint amounts get.

    Examples:
        >>> print(score_text_hint(["9分"]))  # doctest: +ELLIPSIS
        '9分' carries a unit ('分'): scores are bare numbers on the scale (9); ...
        >>> print(score_text_hint(["不知道", "N/A"]))  # doctest: +ELLIPSIS
        '不知道', 'N/A' read as "no answer", which crmkit does not decide: ...
        >>> score_text_hint(["very good"])
        ''
    """
    texts = [v for v in values if isinstance(v, str)]
    for value in texts:
        unit = _SCORE_UNIT.fullmatch(value)
        if unit:
            return (
                f"{value!r} carries a unit ({unit.group(2)!r}): scores are bare numbers on the "
                f"scale ({unit.group(1)}); remove the unit in the file (in pandas: "
                f"frame[column].str.replace({unit.group(2)!r}, '').str.strip())."
            )
        scale = _SCORE_SCALE.fullmatch(value)
        if scale:
            return (
                f"{value!r} carries its scale: scores are bare numbers ({scale.group(1)}); "
                "write the score alone (the scale is the metric's)."
            )
    silent = list(dict.fromkeys(v for v in texts if v.strip().lower() in _NO_ANSWER))
    if silent:
        shown = ", ".join(repr(v) for v in silent[:4])
        return (
            f'{shown} read as "no answer", which crmkit does not decide: to treat them as '
            f"no answer, make them missing first (in pandas: frame[column].replace("
            f"{silent[:4]!r}, None); on the command line: --na-values "
            f"{','.join(silent[:4])}), then "
            "missing='exclude' leaves them out of n (counted in n_missing) and "
            "missing='include' counts them as neither promoter nor satisfied. "
            "invalid='exclude' leaves out off-scale numbers only, never text."
        )
    return number_text_hint(texts)


def _numeric(series: pd.Series, owner: str, name: str) -> tuple[FloatArray, np.ndarray[Any, Any]]:
    """Return float values (NaN where missing) and the missing mask."""
    missing = np.array(series.isna().to_numpy(dtype=bool), dtype=bool)
    if pd.api.types.is_bool_dtype(series.dtype):
        raise InvalidInputError(owner, name, expected="numeric scores", found="booleans", kind="")
    if pd.api.types.is_numeric_dtype(series.dtype):
        values = series.to_numpy(dtype=np.float64, na_value=np.nan)
    else:

        def is_number(v: Any) -> bool:
            return isinstance(v, (int, float, np.number)) and not isinstance(v, (bool, np.bool_))

        ok = np.array(series.map(is_number).to_numpy(dtype=bool), dtype=bool) | missing
        if not ok.all():
            # Count only the values that are no number at all: one junk value in a CSV column
            # makes pandas read the whole column as text (then every value is a string).
            numeric_text = pd.to_numeric(series.astype(object), errors="coerce").notna()
            junk = ~ok & ~np.asarray(numeric_text.to_numpy(dtype=bool), dtype=bool)
            bad = junk if junk.any() else ~ok
            what = "non-numeric values" if junk.any() else "numbers stored as text"
            odd = list(dict.fromkeys(series[bad].head(200).tolist()))
            raise InvalidInputError(
                owner,
                name,
                expected="numeric scores",
                found=f"{int(bad.sum())} {what}, the first {series[bad].iloc[0]!r}",
                rows=first_labels(series.index, bad),
                total=int(bad.sum()),
                hint=score_text_hint(odd, name)
                if junk.any()
                else "Convert them with pd.to_numeric(frame[column]) first.",
            )
        values = (
            np.array(
                [np.nan if m else float(v) for v, m in zip(series.tolist(), missing, strict=True)],
                dtype=np.float64,
            )
            if len(series)
            else np.empty(0)
        )
    missing = missing | np.isnan(values)
    return values, missing


def parse(
    scores: Any,
    *,
    weights: Any,
    weights_kind: str,
    scale: tuple[int, int],
    missing: str,
    invalid: str,
    owner: str,
    names: tuple[str, str] = ("scores", "weights"),
) -> Parsed:
    """Validate scores (and weights) and reduce them to rows; ``names`` label the errors."""
    score_name, weight_name = names
    check_choice(missing, ("exclude", "include"), owner, "missing")
    check_choice(invalid, ("raise", "exclude"), owner, "invalid")
    check_choice(weights_kind, ("sampling", "frequency"), owner, "weights_kind")
    if isinstance(scores, Mapping):
        if weights is not None:
            raise ConfigError(
                owner,
                "weights",
                expected="None when scores is a mapping of counts",
                found="weights",
                hint="A mapping already gives each score's count.",
            )
        keys = list(scores.keys())
        counts = pd.Series(list(scores.values()), index=pd.Index(keys, dtype=object), dtype=object)
        count_values, count_missing = _numeric(counts.reset_index(drop=True), owner, "counts")
        bad = count_missing | (count_values < 0) | (count_values != np.floor(count_values))
        if bad.any():
            raise InvalidInputError(
                owner,
                "scores",
                expected="a mapping of scores to whole, non-negative counts",
                found=f"{int(bad.sum())} bad counts",
                rows=[keys[i] for i in np.flatnonzero(bad)[:5]],
                total=int(bad.sum()),
                kind="",
            )
        series = pd.Series(keys, dtype=object)
        freq = count_values
        w_series: pd.Series | None = None
    else:
        series = _as_series(scores, owner, "scores")
        freq = np.ones(len(series))
        w_series = None
        if weights is not None:
            if isinstance(weights, pd.Series) and isinstance(scores, pd.Series):
                # Aligned on the index (as is, when it is the same index: also non-unique).
                same = weights.index.equals(series.index)
                w_series = weights if same else weights.reindex(series.index)
            else:
                w_series = _as_series(weights, owner, "weights")
            if len(w_series) != len(series):
                raise InvalidInputError(
                    owner,
                    "weights",
                    expected=f"{len(series)} values, one per score",
                    found=f"{len(w_series)} values",
                    kind="",
                )
    values, miss = _numeric(series, owner, score_name)
    w: FloatArray | None = None
    if w_series is not None:
        w_values, w_miss = _numeric(w_series.set_axis(series.index), owner, weight_name)
        bad_w = w_miss | ~np.isfinite(w_values) | (w_values < 0)
        if weights_kind == "frequency":
            bad_w |= w_values != np.floor(np.nan_to_num(w_values))
        if bad_w.any():
            expected = "whole numbers >= 0" if weights_kind == "frequency" else "finite and >= 0"
            raise InvalidInputError(
                owner,
                weight_name,
                expected=expected,
                found=f"{int(bad_w.sum())} bad weights",
                rows=first_labels(series.index, bad_w),
                total=int(bad_w.sum()),
            )
        if weights_kind == "frequency":
            freq = freq * w_values
        else:
            w = w_values
    lo, hi = scale
    present = ~miss
    off = present & ((values < lo) | (values > hi) | (values != np.floor(np.nan_to_num(values))))
    n_invalid = int(freq[off].sum())
    if off.any() and invalid == "raise":
        raise InvalidInputError(
            owner,
            score_name,
            expected=f"whole numbers in [{lo}, {hi}]",
            found=f"{int(off.sum())} invalid scores",
            rows=first_labels(series.index, off),
            total=int(off.sum()),
            hint="Fix them, or pass invalid='exclude' to leave them out (they are counted).",
            kind="",
        )
    keep = ~off
    if missing == "exclude":
        keep &= present
    n_missing = int(freq[miss].sum()) if missing == "exclude" else 0
    zero_weight = np.zeros(len(keep), dtype=bool)
    if w is not None:
        zero_weight = keep & (w == 0)
        keep &= w > 0
    return Parsed(
        values=values[keep],
        freq=freq[keep],
        weights=None if w is None else w[keep],
        n_missing=n_missing,
        n_invalid=n_invalid if invalid == "exclude" else 0,
        kept=keep,
        missing=miss,
        zero_weight=zero_weight,
    )


def check_population(population_size: int | None, owner: str) -> None:
    if population_size is not None and (
        not isinstance(population_size, (int, np.integer))
        or isinstance(population_size, bool)
        or population_size < 1
    ):
        raise ConfigError(
            owner, "population_size", expected="None or an int >= 1", found=repr(population_size)
        )


def check_min_n(min_n: int, owner: str) -> None:
    if not isinstance(min_n, int) or isinstance(min_n, bool) or min_n < 0:
        raise ConfigError(owner, "min_n", expected="an int >= 0", found=repr(min_n))


def fpc_factor(n: FloatArray, population_size: int | None, owner: str) -> FloatArray:
    """Finite-population correction factor ``(N - n) / (N - 1)`` (1 without ``N``)."""
    if population_size is None:
        return np.ones_like(n)
    too_many = n > population_size
    if too_many.any():
        raise ConfigError(
            owner,
            "population_size",
            expected="at least the number of responses",
            found=f"N = {population_size} < n = {int(n[too_many][0])}",
        )
    if population_size == 1:
        return np.zeros_like(n)
    return np.asarray((population_size - n) / (population_size - 1), dtype=np.float64)


def check_method(ci: str | None, allowed: Sequence[str], owner: str) -> None:
    check_choice(ci, allowed, owner, "ci", optional=True)


def check_boot(seed: int, n_boot: int, owner: str) -> None:
    if not isinstance(seed, int) or isinstance(seed, bool):
        raise ConfigError(owner, "seed", expected="an int", found=repr(seed))
    if not isinstance(n_boot, int) or isinstance(n_boot, bool) or n_boot < 100:
        raise ConfigError(owner, "n_boot", expected="an int >= 100", found=repr(n_boot))
