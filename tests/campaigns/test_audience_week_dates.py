"""ISO week dates in an audience rule are refused against a column of times, not guessed.

Regression: the rule's reader (``datetime.fromisoformat``) reads ``"2025-W03"`` as the
midnight that starts Monday 13 January and ``"2025-W03-2"`` as Tuesday's midnight, as
instants, not days: ``<= "2025-W03"`` left out everything after 00:00 that Monday, with
no word. crmkit's one date reader refuses week dates (``datetime_value``: ISO 8601
calendar dates only), so a rule value that is a week date is a ConfigError that says how
to write the day (YYYY-MM-DD). In a text column it is only text.
"""

from __future__ import annotations

import pandas as pd
import pytest

from crmkit.campaigns import Audience, Between, Compare, Condition, In
from crmkit.errors import ConfigError

NAIVE = pd.DataFrame({"seen": pd.to_datetime(["2025-01-13 09:00", "2025-01-20 09:00"])})
AWARE = pd.DataFrame({"seen": NAIVE["seen"].dt.tz_localize("Asia/Shanghai")})


@pytest.mark.parametrize("frame", [NAIVE, AWARE], ids=["naive", "aware"])
@pytest.mark.parametrize(
    ("rule", "field", "says"),
    [
        (Compare("seen", "<=", "2025-W03"), "rule.value", "'2025-01-13' to '2025-01-19'"),
        (Compare("seen", "==", "2025-W03-2"), "rule.value", "'2025-01-14'"),
        (Compare("seen", ">", "2025W032"), "rule.value", "'2025-01-14'"),
        (Compare("seen", "<", "2025-W03-2T10:00"), "rule.value", "YYYY-MM-DD"),
        (In("seen", ["2025-01-13", "2025-W04"]), r"rule.values[1]", "'2025-01-20' to"),
        (Between("seen", "2025-W03", "2025-W04"), "rule.low", "'2025-01-13' to '2025-01-19'"),
        (Between("seen", "2025-01-01", "2025-W04-7"), "rule.high", "'2025-01-26'"),
    ],
)
def test_a_week_date_is_a_config_error_saying_how_to_write_the_day(
    frame: pd.DataFrame, rule: Condition, field: str, says: str
) -> None:
    """On a frame and for one customer alike, naming the field (the same path in the rule),
    the value and the calendar date."""
    audience = Audience("a", rule)
    for check in (
        lambda: audience.mask(frame),
        lambda: audience.matches({"seen": frame["seen"].iloc[0]}),
    ):
        with pytest.raises(ConfigError) as info:
            check()
        message = str(info.value)
        assert info.value.field == field
        assert "ISO 8601 calendar date" in message
        assert "YYYY-MM-DD" in message
        assert says in message


def test_a_week_that_does_not_exist_is_refused_without_a_suggestion() -> None:
    """2025 has 52 ISO weeks: ``"2025-W53"`` is refused with the general advice."""
    with pytest.raises(ConfigError, match="YYYY-MM-DD") as info:
        Audience("a", Compare("seen", ">=", "2025-W53")).mask(NAIVE)
    assert "'2025-W53'" in str(info.value)


def test_in_a_text_column_a_week_date_is_text() -> None:
    """A column of week labels compares as text, as any string does there."""
    frame = pd.DataFrame({"week": ["2025-W03", "2025-W04"]})
    assert Audience("a", Compare("week", "==", "2025-W03")).mask(frame).tolist() == [True, False]
    assert Audience("a", In("week", ["2025-W04"])).matches({"week": "2025-W04"})
