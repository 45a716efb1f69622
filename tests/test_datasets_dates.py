"""Date arguments of the sample-data generators: ISO 8601 only, never guessed.

Regression: ``pd.Timestamp(start)`` leaked pandas' DateParseError for garbage, read
``01/02/2025`` month first without a word, and crashed with "Already tz-aware" on an aware
``start`` for the generators that localize to a zone.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pandas as pd
import pytest

from crmkit import datasets
from crmkit.errors import ConfigError


def _campaign(**dates: Any) -> pd.DataFrame:
    tx = datasets.transactions(n_customers=20, seed=1)
    arms = pd.DataFrame({"arm": ["treatment"] * 20}, index=pd.Index(range(1, 21)))
    return datasets.campaign_orders(
        tx, arms, **{"start": "2025-10-01", "end": "2025-11-30", **dates}
    )


#: Each generator with its date parameters; the other parameters keep it small.
GENERATORS: dict[str, tuple[Callable[..., pd.DataFrame], tuple[str, ...]]] = {
    "transactions()": (lambda **k: datasets.transactions(n_customers=5, **k), ("start", "end")),
    "campaign_orders()": (_campaign, ("start", "end")),
    "tickets()": (lambda **k: datasets.tickets(n_tickets=5, **k), ("start",)),
    "survey_responses()": (lambda **k: datasets.survey_responses(n_responses=5, **k), ("start",)),
    "loyalty_events()": (lambda **k: datasets.loyalty_events(n_members=2, **k), ("start",)),
}
CASES = [(owner, field) for owner, (_, fields) in GENERATORS.items() for field in fields]
#: Generators that write tz-aware times, and the column they write them to.
ZONED = {"tickets()": "created_at", "loyalty_events()": "time"}


@pytest.mark.parametrize(("owner", "field"), CASES)
@pytest.mark.parametrize("value", ["garbage", "01/02/2025", "2025-13-01", 20250101, None])
def test_a_bad_or_ambiguous_date_is_a_config_error_naming_the_parameter(
    owner: str, field: str, value: object
) -> None:
    """Garbage, a slash date (day or month first?) and numbers are refused, never guessed."""
    make, _ = GENERATORS[owner]
    with pytest.raises(ConfigError) as info:
        make(**{field: value})
    assert f"{owner}: parameter '{field}' must be" in str(info.value)
    assert "date_format" not in str(info.value)  # these functions have no such parameter


@pytest.mark.parametrize(("owner", "field"), CASES)
def test_a_date_object_reads_as_its_iso_string(owner: str, field: str) -> None:
    """A ``datetime.date`` gives exactly the frame its ISO 8601 string gives."""
    make, _ = GENERATORS[owner]
    text = {"start": "2024-01-01", "end": "2025-12-31"}
    if owner == "campaign_orders()":
        text = {"start": "2025-10-01", "end": "2025-11-30"}
    as_date = dt.date.fromisoformat(text[field])
    pd.testing.assert_frame_equal(make(**{field: as_date}), make(**{field: text[field]}))


@pytest.mark.parametrize(("owner", "field"), CASES)
def test_an_aware_start_is_converted_to_the_zone_or_refused_beside_naive_dates(
    owner: str, field: str
) -> None:
    """Aware values go to the generator's zone; with naive output they are refused."""
    make, _ = GENERATORS[owner]
    value = "2025-01-01T00:00+08:00" if field == "start" else "2025-12-31T00:00+08:00"
    if owner not in ZONED:
        with pytest.raises(ConfigError, match=f"parameter '{field}' must be naive"):
            make(**{field: value})
        return
    # 2025-01-01 00:00 in Shanghai is 2024-12-31 17:00 in Paris: the same instant, read there.
    in_paris = make(start=value, timezone="Europe/Paris")
    assert str(in_paris[ZONED[owner]].dt.tz) == "Europe/Paris"
    pd.testing.assert_frame_equal(in_paris, make(start="2024-12-31T17:00", timezone="Europe/Paris"))
    # In its own zone an aware start is its wall time (the reviewer's crash case).
    pd.testing.assert_frame_equal(make(start=value), make(start="2025-01-01"))


@pytest.mark.parametrize("owner", ["transactions()", "campaign_orders()"])
@pytest.mark.parametrize("end", ["2024-12-31", "2024-12-31T23:59", dt.date(2020, 5, 1)])
def test_end_before_start_names_end(owner: str, end: object) -> None:
    """An ``end`` before ``start`` is refused, naming ``end``."""
    make, _ = GENERATORS[owner]
    with pytest.raises(ConfigError, match=rf"{owner[:-2]}\(\): parameter 'end' must be after"):
        make(start="2025-01-01", end=end)


def test_the_reviewer_cases() -> None:
    """The three calls of the report: no pandas error, no guess, no crash."""
    with pytest.raises(ConfigError, match="parameter 'start'"):
        datasets.transactions(n_customers=5, start="garbage")
    with pytest.raises(ConfigError, match="found '01/02/2025'"):
        datasets.transactions(n_customers=50, start="01/02/2025", end="2025-03-31")
    created = datasets.tickets(n_tickets=5, start="2025-01-01T00:00+08:00")["created_at"]
    assert str(created.dt.tz) == "Asia/Shanghai"
    assert created.min() >= pd.Timestamp("2025-01-01", tz="Asia/Shanghai")


@pytest.mark.parametrize("seed", [-1, 1.5, "1", True, None])
def test_loyalty_events_checks_its_seed_like_every_generator(seed: object) -> None:
    """Regression: loyalty_events passed the seed straight to numpy (a TypeError, or a
    ValueError for -1), where the other generators raise ConfigError naming it."""
    from crmkit.errors import ConfigError

    with pytest.raises(ConfigError, match="'seed' must be an int >= 0"):
        datasets.loyalty_events(n_members=2, seed=seed)  # type: ignore[arg-type]
