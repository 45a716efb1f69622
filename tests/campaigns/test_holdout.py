"""Holdout assignment: GrowthBook's published vectors, the growthbook SDK as oracle, properties."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmkit.campaigns import assign, bucket_ranges, gb_hash, hash_ids, srm_check
from crmkit.campaigns._holdout import choose_variation
from crmkit.errors import ConfigError, InvalidInputError, SchemaError

CASES = json.loads((Path(__file__).parent / "data" / "growthbook_cases.json").read_text("utf-8"))
growthbook = pytest.importorskip("growthbook")
from growthbook import GrowthBook  # noqa: E402 - after the importorskip
from growthbook.common_types import Experiment  # noqa: E402


# ------------------------------------------------------------------ published vectors
@pytest.mark.parametrize(("seed", "value", "version", "expected"), CASES["hash"])
def test_hash_matches_growthbook_vectors(seed: str, value: str, version: int, expected: float):
    """Every version-2 hash vector of GrowthBook's cases.json, scalar and batch."""
    assert version == 2
    assert gb_hash(seed, value) == expected
    assert hash_ids([value], seed=seed).tolist() == [expected]


def test_hash_vectors_in_one_batch_per_seed():
    """The batch path gives each vector its value when ids of many lengths are mixed."""
    for seed in {c[0] for c in CASES["hash"]}:
        rows = [c for c in CASES["hash"] if c[0] == seed]
        assert hash_ids([r[1] for r in rows], seed=seed).tolist() == [r[3] for r in rows]


def _expressible(case: list) -> bool:
    """Weights ``[s, 1 - s]`` (or none): what a control share can say. The vectors whose
    weights the SDK replaces (sums off 1) test the SDK's repair, which crmkit never needs."""
    weights = case[1][2]
    return weights is None or weights[0] + weights[1] == 1.0


@pytest.mark.parametrize(
    "case", [c for c in CASES["getBucketRange"] if _expressible(c)], ids=lambda c: c[0]
)
def test_bucket_ranges_match_vectors(case: list):
    """Two variations at full coverage whose weights a control share can express."""
    _, (n, coverage, weights), expected = case
    assert (n, coverage) == (2, 1)
    got = bucket_ranges(0.5 if weights is None else weights[0])
    assert [list(r) for r in got] == expected


@pytest.mark.parametrize("case", CASES["chooseVariation"], ids=lambda c: c[0])
def test_choose_variation_matches_vectors(case: list):
    """GrowthBook's chooseVariation vectors, reduced ranges (-1) included."""
    _, n, ranges, expected = case
    assert choose_variation(np.array([n]), [tuple(r) for r in ranges]).tolist() == [expected]


@pytest.mark.parametrize("case", CASES["getEqualWeights"], ids=lambda c: str(c[0]))
def test_equal_weights_are_a_control_share_of_one_half(case: list):
    """GrowthBook's getEqualWeights(2) is [0.5, 0.5]: crmkit's weights [s, 1 - s] at
    s = 0.5, with the bucket ranges getBucketRange gives for them ("normal 50/50")."""
    n, weights = case
    assert n == 2
    assert weights == [0.5, 1 - 0.5]
    normal = next(c for c in CASES["getBucketRange"] if c[0] == "normal 50/50")
    assert [list(r) for r in bucket_ranges(weights[0])] == normal[2]


def test_every_stored_section_is_exercised():
    """Each section kept from cases.json has a test here (a new one needs its own)."""
    assert set(CASES) == {
        "source", "hash", "getBucketRange", "chooseVariation", "getEqualWeights", "run"
    }  # fmt: skip
    assert any(len(c[2]) == 3 for c in CASES["chooseVariation"])  # "zero range"


@pytest.mark.parametrize("case", CASES["run"], ids=lambda c: c[0])
def test_experiment_runs_with_hash_version_2(case: list):
    """The runs of cases.json that use hashVersion 2 with equal weights: same variation."""
    _, context, experiment, expected, in_experiment, _ = case
    assert in_experiment
    seed = experiment.get("seed", experiment["key"])
    user = context["attributes"]["id"]
    out = assign([user, "other-1", "other-2"], campaign=seed, control_share=0.5)
    assert out["arm"].cat.codes.iloc[0] == expected


# ------------------------------------------------------------------ the SDK as oracle
def _sdk_arm(user: str | int, campaign: str, share: float) -> tuple[int, float]:
    exp = Experiment(
        key=campaign,
        variations=["control", "treatment"],
        weights=[share, 1 - share],
        hashVersion=2,
    )
    gb = GrowthBook(attributes={"id": user})
    try:
        result = gb.run(exp)
    finally:
        gb.destroy()
    return result.variationId, result.bucket


ODD_IDS = [
    "客户-001",
    "会员0000123",
    "王小明",
    "ünïcødé",
    "😀-emoji-id",
    "𠀋𠀌",  # outside the Basic Multilingual Plane: two UTF-16 units each
    "a" * 300,
    " spaced id ",
    "x",
    "\u0000nul",
    "tab\there",
    "mixed-客户😀-ü",
]


@pytest.mark.parametrize("share", [0.1, 0.2, 0.5, 0.37])
def test_assign_matches_growthbook_sdk(share: float):
    """Same bucket and arm as GrowthBook's Python SDK running the experiment, any id."""
    ids = ODD_IDS + [f"user-{i}" for i in range(300)]
    out = assign(ids, campaign="wake-up-2025", control_share=share)
    for user in ids:
        variation, bucket = _sdk_arm(user, "wake-up-2025", share)
        assert out.loc[user, "bucket"] == bucket, user
        assert out["arm"].cat.codes.loc[user] == variation, user


def test_integer_ids_match_the_sdk():
    """Integer ids hash as their decimal text, as the SDK does with numbers."""
    ids = [1, 7, 10, 99, 12345, -3, -98765, 2**53 - 1, -(2**53) + 1, 4_294_967_296]
    out = assign(pd.Series(ids), campaign="spring", control_share=0.3)
    for user in ids:
        variation, bucket = _sdk_arm(user, "spring", 0.3)
        assert out.loc[user, "bucket"] == bucket
        assert out["arm"].cat.codes.loc[user] == variation


@pytest.mark.parametrize("width", [1, 7, 12])
def test_fixed_width_and_mixed_batches_match_gbhash(width: int):
    """Fixed-width ids (read in place) and mixed widths (sorted by length) agree with the SDK."""
    from growthbook.core import gbhash

    fixed = [f"{i:0{width}d}"[-width:] for i in range(2000)]
    fixed = list(dict.fromkeys(fixed))
    mixed = fixed + [f"m-{i}" for i in range(50)] + ["客户" * width]
    for ids in (fixed, mixed, pd.Series(fixed), pd.Series(mixed)):
        assert hash_ids(ids, seed="wake").tolist() == [gbhash("wake", str(v), 2) for v in ids]


def test_integer_zero_hashes_as_its_text():
    """The SDK leaves a falsy id (0) out of experiments; crmkit hashes it as "0"."""
    from growthbook.core import gbhash

    assert _sdk_arm(0, "spring", 0.3)[1] is None  # not hashed: not in the experiment
    assert hash_ids(pd.Series([0]), seed="spring").tolist() == [gbhash("spring", "0", 2)]


@given(st.lists(st.text(min_size=1, max_size=12), min_size=1, max_size=20, unique=True))
def test_any_text_matches_the_sdk_hash(ids: list[str]):
    """Property: the batch hash equals growthbook's gbhash for arbitrary unicode text."""
    from growthbook.core import gbhash

    assert hash_ids(ids, seed="seed-ü").tolist() == [gbhash("seed-ü", v, 2) for v in ids]


# ------------------------------------------------------------------------- properties
@given(
    st.lists(st.text(min_size=1, max_size=8), min_size=2, max_size=40, unique=True),
    st.randoms(use_true_random=False),
)
def test_assignment_is_stable_under_row_order(ids: list[str], rnd):
    """Property: shuffling the customers moves no one to another arm (strata too)."""
    frame = pd.DataFrame({"customer_id": ids, "seg": [len(i) % 3 for i in ids]})
    shuffled = frame.sample(frac=1.0, random_state=rnd.randint(0, 2**31))
    for strata in (None, "seg"):
        a = assign(frame, campaign="c", control_share=0.3, strata=strata)
        b = assign(shuffled, campaign="c", control_share=0.3, strata=strata)
        pd.testing.assert_series_equal(a["arm"], b["arm"].loc[a.index])


@given(
    st.lists(st.text(min_size=1, max_size=8), min_size=2, max_size=40, unique=True),
    st.text(min_size=1, max_size=5),
)
def test_arm_depends_only_on_own_id(ids: list[str], suffix: str):
    """Property: relabelling (or adding) other customers never changes a customer's arm."""
    keep = ids[0]
    relabelled = [keep, *(i + "#" + suffix for i in ids[1:])]
    if len(set(relabelled)) != len(relabelled):
        return
    a = assign(ids, campaign="c", control_share=0.2)
    b = assign(relabelled, campaign="c", control_share=0.2)
    assert a.loc[keep, "arm"] == b.loc[keep, "arm"]
    assert a.loc[keep, "bucket"] == b.loc[keep, "bucket"]


@pytest.mark.parametrize("share", [0.05, 0.1, 0.5])
def test_control_share_within_binomial_interval(share: float):
    """10,000 ids: the control count lies in the 99.9 % binomial interval of the share."""
    from scipy.stats import binom

    n = 10_000
    out = assign([f"member-{i:06d}" for i in range(n)], campaign="renewal", control_share=share)
    control = int((out["arm"] == "control").sum())
    lo, hi = binom.interval(0.999, n, share)
    assert lo <= control <= hi


@given(st.integers(min_value=1, max_value=60), st.sampled_from([0.1, 0.25, 0.5]))
def test_stratified_shares_are_exact(n_per: int, share: float):
    """Property: every stratum gets round-half-up(share * size) control customers."""
    frame = pd.DataFrame(
        {
            "customer_id": [f"{s}-{i}" for s in "abc" for i in range(n_per + ord(s) % 5)],
        }
    )
    frame["stage"] = frame["customer_id"].str[0]
    out = assign(frame, campaign="c", control_share=share, strata="stage")
    for _stage, group in out.groupby("stage"):
        expected = math.floor(share * len(group) + 0.5)
        assert int((group["arm"] == "control").sum()) == expected


def test_a_categorical_stratum_keeps_its_dtype():
    """Regression: the stratum column came back as text (object), losing the categories'
    business order (a lifecycle stage) that measure() reports the segments in."""
    stages = ["new", "active", "at risk", "lapsed"]
    frame = pd.DataFrame(
        {
            "customer_id": [f"c{i}" for i in range(40)],
            "stage": pd.Categorical([stages[i % 3] for i in range(40)], categories=stages),
        }
    )
    out = assign(frame, campaign="c", control_share=0.25, strata="stage")
    assert out["stage"].dtype == frame["stage"].dtype
    assert out["stage"].tolist() == frame["stage"].tolist()
    # the arms are those of the same stratum as text
    as_text = assign(frame.assign(stage=frame["stage"].astype(str)), campaign="c",
                     control_share=0.25, strata="stage")  # fmt: skip
    pd.testing.assert_series_equal(out["arm"], as_text["arm"])


def test_row_labels_do_not_matter():
    """The frame's own index (row labels) plays no part: only the id column is hashed."""
    frame = pd.DataFrame(
        {"customer_id": [f"c{i}" for i in range(50)], "seg": [i % 2 for i in range(50)]}
    )
    other = frame.set_axis([f"row-{i}" for i in range(50)])
    for strata in (None, "seg"):
        a = assign(frame, campaign="c", control_share=0.3, strata=strata)
        b = assign(other, campaign="c", control_share=0.3, strata=strata)
        pd.testing.assert_frame_equal(a, b)


def test_assign_does_not_mutate_and_keeps_order():
    """The caller's frame is untouched; rows keep their order; attrs say how."""
    frame = pd.DataFrame({"customer_id": ["b", "a", "c"], "seg": [1, 1, 2]})
    before = frame.copy()
    out = assign(frame, campaign="x", strata="seg")
    pd.testing.assert_frame_equal(frame, before)
    assert out.index.tolist() == ["b", "a", "c"]
    assert out.attrs == {
        "campaign": "x",
        "control_share": 0.1,
        "strata": "seg",
        "hash": "growthbook-v2",
    }


# ----------------------------------------------------------------------------- errors
def test_bad_ids_are_refused():
    """Repeated, missing, empty, float and huge ids, and bad options, are refused."""
    with pytest.raises(InvalidInputError, match="unique customer ids"):
        assign(["a", "a"], campaign="x")
    with pytest.raises(SchemaError, match="non-empty strings or integers"):
        assign(["a", None], campaign="x")
    with pytest.raises(SchemaError, match="non-empty strings or integers"):
        assign(["a", ""], campaign="x")
    with pytest.raises(SchemaError, match="non-empty strings or integers"):
        assign([1.5, 2.5], campaign="x")
    with pytest.raises(InvalidInputError, match="2\\*\\*53"):
        assign(pd.Series([2**60]), campaign="x")
    with pytest.raises(ConfigError, match="control_share"):
        assign(["a"], campaign="x", control_share=1.0)
    with pytest.raises(ConfigError, match="campaign"):
        assign(["a"], campaign="")
    with pytest.raises(SchemaError, match="'seg'"):
        assign(pd.DataFrame({"customer_id": ["a"]}), campaign="x", strata="seg")


# -------------------------------------------------------------------------------- SRM
def test_srm_matches_scipy_chisquare():
    """The SRM statistic and p-value equal scipy.stats.chisquare."""
    from scipy.stats import chisquare

    r = srm_check({"control": 1_150, "treatment": 8_850}, control_share=0.1)
    ref = chisquare([1_150, 8_850], [1_000, 9_000])
    assert r.statistic == pytest.approx(ref.statistic, rel=1e-12)
    assert r.p_value == pytest.approx(ref.pvalue, rel=1e-9)
    assert r.mismatch  # chi2 = 25, p = 5.7e-7
    assert r.expected == {"control": 1000.0, "treatment": 9000.0}


def test_srm_on_an_assignment_uses_its_share():
    """srm_check reads the intended share from the assignment's attrs."""
    out = assign([f"c{i}" for i in range(5000)], campaign="q3", control_share=0.2)
    r = srm_check(out)
    assert r.counts["control"] + r.counts["treatment"] == 5000
    assert not r.mismatch
    assert json.loads(json.dumps(r.to_dict())) == r.to_dict()
    with pytest.raises(ConfigError, match="control_share"):
        srm_check({"control": 1, "treatment": 9})
