"""Issue 14: regressions for the bugs found against real programs' terms."""

import datetime as dt
import gc
import inspect
import sys
import zoneinfo
from collections.abc import Callable
from decimal import Decimal

import pandas as pd
import pytest

import crmkit.loyalty._program as program_module
from crmkit.errors import ConfigError, InvalidInputError, LedgerError
from crmkit.loyalty import (
    Adjust,
    BaseRate,
    EarningScheme,
    Enroll,
    ExpiryPolicy,
    MemberState,
    Program,
    Purchase,
    PurchaseLine,
    Redeem,
    Refund,
    RefundLine,
    Tender,
    Tier,
    TierLadder,
    assign_tiers,
    event_from_dict,
    replay_many,
)
from crmkit.loyalty._events import Event
from crmkit.loyalty._replay_many import events_from_frame

ZONE = "Asia/Shanghai"
TZ = zoneinfo.ZoneInfo(ZONE)


def at(*parts: int) -> dt.datetime:
    return dt.datetime(*parts, tzinfo=TZ)  # type: ignore[misc]


def test_tier_points_thresholds_are_in_points_when_points_have_decimals() -> None:
    """Regression: with ``point_decimals=2`` a ``Tier(points=1000)`` was compared with ledger
    units (hundredths), so a member reached gold at 10 points.

    1 point per yuan, 2 decimals: ¥10 earns 10.00 points = 1,000 units; gold needs 1,000
    points = 100,000 units, i.e. ¥1,000 of spend.
    """
    ladder = TierLadder(
        tiers=[Tier(name="member"), Tier(name="gold", points=1000)],
        lifetime=[Tier(name="gold", points=5000)],
    )
    scheme = EarningScheme(rules=[BaseRate(id="b", rate=Decimal(1))], point_decimals=2)
    program = Program(timezone=ZONE, earning=scheme, tiers=ladder)
    small = [Purchase("p1", at(2025, 3, 1), lines=[PurchaseLine("1", "10")])]
    state = program.replay(small, as_of=at(2025, 3, 2))
    assert state.available == 1_000  # 10.00 points
    assert state.tier_name == "member"
    status = state.tier
    assert status is not None
    assert status.missing == {"points": 99_000}  # 990.00 points still to go, in ledger units
    enough = [*small, Purchase("p2", at(2025, 3, 5), lines=[PurchaseLine("1", "990")])]
    state = program.replay(enough, as_of=at(2025, 3, 6))
    assert state.tier_name == "gold"
    assert state.tier is not None
    assert state.tier.lifetime_floor is None
    # Lifetime: 5,000 points = 500,000 units; ¥4,000 more gives 5,000.00 points in all.
    life = [*enough, Purchase("p3", at(2025, 4, 1), lines=[PurchaseLine("1", "4000")])]
    state = program.replay(life, as_of=at(2025, 4, 2))
    assert state.tier is not None
    assert state.tier.lifetime_floor == "gold"


def test_whole_point_programs_keep_their_thresholds() -> None:
    """The fix scales thresholds by ``10**point_decimals``: 1 for whole points."""
    ladder = TierLadder(tiers=[Tier(name="member"), Tier(name="gold", points=1000)])
    program = Program(timezone=ZONE, tiers=ladder)
    events: list[Event] = [Purchase("p1", at(2025, 3, 1), lines=[PurchaseLine("1", "999")])]
    assert program.replay(events, as_of=at(2025, 3, 2)).tier_name == "member"
    events.append(Adjust("a", at(2025, 3, 3), points=5, reason="gift"))
    assert (
        program.replay(events, as_of=at(2025, 3, 4)).tier_name == "member"
    )  # gifts do not qualify
    events.append(Purchase("p2", at(2025, 3, 5), lines=[PurchaseLine("1", "1")]))
    assert program.replay(events, as_of=at(2025, 3, 6)).tier_name == "gold"


def test_partial_refund_of_points_paid_order_restores_exact_points() -> None:
    """Regression: refunding the ¥100 line of a ¥300 order paid 3,000 points + ¥270 gave
    back 999 points (100/300 was rounded to 28 digits before multiplying by 3,000).

    Exact: 3,000 x 100 / 300 = 1,000 points.
    """
    program = Program(timezone=ZONE)
    events: list[Event] = [
        Adjust("g", at(2025, 1, 1), points=3000, reason="gift"),
        Purchase(
            "p",
            at(2025, 1, 2),
            lines=[PurchaseLine("a", "100"), PurchaseLine("b", "200")],
            tenders=[Tender("points", "30", points=3000), Tender("cash", "270")],
        ),
        Refund("r", at(2025, 1, 3), "p", lines=[RefundLine("a")]),
    ]
    state = program.replay(events, as_of=at(2025, 1, 4))
    restore = [p for p in state.postings if p.kind == "tender_restore"]
    assert [p.points for p in restore] == [1000]
    rest = program.replay([*events, Refund("r2", at(2025, 1, 5), "p")], as_of=at(2025, 1, 6))
    assert sum(p.points for p in rest.postings if p.kind == "tender_restore") == 3000


def test_program_module_docstring_names_only_existing_methods() -> None:
    """Regression: the module docstring named a ``Program.replay_many`` that does not exist."""
    doc = program_module.__doc__
    assert doc is not None
    assert "Program.replay_many" not in doc
    assert "replay_many(" in doc  # the function is named as it exists
    assert not hasattr(Program, "replay_many")


# ------------------------------------------------------------------ issue 10: bad input


def _table(**columns: list[object]) -> pd.DataFrame:
    base: dict[str, list[object]] = {
        "member_id": ["m1", "m1"],
        "event_id": ["p1", "p1"],
        "time": ["2025-01-02T10:00:00"] * 2,
        "kind": ["purchase"] * 2,
        "amount": ["10", "10"],
    }
    base.update(columns)
    return pd.DataFrame(base, index=[10, 11])


def test_replay_many_raises_by_default_like_program_replay() -> None:
    """Regression: ``replay_many`` defaulted to ``on_error="skip"`` while ``replay`` raises."""
    assert inspect.signature(replay_many).parameters["on_error"].default == "raise"
    assert inspect.signature(Program.replay).parameters["on_error"].default == "raise"
    frame = pd.DataFrame(
        {
            "member_id": ["m1"],
            "event_id": ["r1"],
            "time": ["2025-01-02T10:00:00"],
            "kind": ["redeem"],
            "points": [50],
        }
    )
    with pytest.raises(LedgerError):
        replay_many(frame, Program(), as_of=dt.datetime(2025, 2, 1))
    skipped = replay_many(frame, Program(), as_of=dt.datetime(2025, 2, 1), on_error="skip")
    assert skipped.loc["m1", "rejected"] == 1


def test_replay_many_leaves_the_garbage_collector_alone() -> None:
    """Regression: ``replay_many`` switched the process-wide garbage collector off."""
    frame = _table(amount=["10", "5"])
    was = gc.isenabled()
    try:
        gc.enable()
        replay_many(frame, Program(), as_of=dt.datetime(2025, 2, 1))
        assert gc.isenabled()
        gc.disable()
        replay_many(frame, Program(), as_of=dt.datetime(2025, 2, 1))
        events_from_frame(frame, Program())
        assert not gc.isenabled()
    finally:
        if was:
            gc.enable()
    source = inspect.getsource(sys.modules[replay_many.__module__])
    assert "gc.disable" not in source


def test_repeated_purchase_rows_without_line_ids_are_refused() -> None:
    """Regression: two identical rows of one purchase were read as two lines (20 points)."""
    with pytest.raises(InvalidInputError) as info:
        replay_many(_table(), Program(), as_of=dt.datetime(2025, 2, 1))
    assert info.value.rows == (10, 11)
    assert info.value.field == "line"
    # Distinct rows are distinct lines; line ids make identical rows two lines on purpose.
    two = replay_many(_table(amount=["10", "5"]), Program(), as_of=dt.datetime(2025, 2, 1))
    assert two.loc["m1", "credited"] == 15
    ids = replay_many(_table(line=["a", "b"]), Program(), as_of=dt.datetime(2025, 2, 1))
    assert ids.loc["m1", "credited"] == 20


def test_amount_1e308_is_a_crmkit_error_naming_the_rows() -> None:
    """Regression: an amount of "1e308" raised a bare OverflowError from pandas."""
    frame = _table(event_id=["p1", "p2"], amount=["1e308", "10"])
    frame.loc[12] = ["m2", "p3", "2025-01-02T10:00:00", "purchase", "7"]
    with pytest.raises(InvalidInputError) as info:
        replay_many(frame, Program(), as_of=dt.datetime(2025, 2, 1))
    assert info.value.field == "amount"
    assert info.value.rows == (10, 11)  # the member's rows, not m2's
    state = Program().replay(events_from_frame(frame, Program())["m1"], as_of=at(2025, 2, 1))
    assert state.credited == 10**308 + 10  # a single replay keeps exact ints


@pytest.mark.parametrize(
    ("build", "error", "field"),
    [
        (lambda: TierLadder.from_dict({"tiers": None}), ConfigError, "tiers"),
        (lambda: TierLadder(tiers=None), ConfigError, "tiers"),  # type: ignore[arg-type]
        (lambda: EarningScheme(rules=None), ConfigError, "rules"),  # type: ignore[arg-type]
        (lambda: EarningScheme(rules=[], caps=None), ConfigError, "caps"),  # type: ignore[arg-type]
        (
            lambda: event_from_dict(
                {
                    "kind": "purchase",
                    "event_id": "p",
                    "time": "2025-01-01T00:00:00+00:00",
                    "lines": None,
                }
            ),
            InvalidInputError,
            "lines",
        ),
        (
            lambda: Purchase("p", at(2025, 1, 1), lines=None),  # type: ignore[arg-type]
            InvalidInputError,
            "lines",  # regression: was 'items', a name the caller never wrote
        ),
        (
            lambda: Program().replay(None, as_of=at(2025, 1, 1)),  # type: ignore[arg-type]
            InvalidInputError,
            "events",
        ),
    ],
)
def test_none_where_a_list_is_expected_is_a_crmkit_error(
    build: Callable[[], object], error: type[Exception], field: str
) -> None:
    """Regression: ``None`` for a list raised a bare ``TypeError``."""
    with pytest.raises(error) as info:
        build()
    assert info.value.field == field  # type: ignore[attr-defined]
    assert "None" in str(info.value)


def test_nested_from_dict_errors_name_the_full_path() -> None:
    """Regression: an unknown key inside a refund line escaped as a bare ``TypeError``, and
    nested errors named only the inner key."""
    refund = {
        "kind": "refund",
        "event_id": "r",
        "time": "2025-01-01T00:00:00+00:00",
        "purchase_id": "p",
        "lines": [{"line_id": "1"}, {"line_id": "2", "qty": 1}],
    }
    with pytest.raises(InvalidInputError) as info:
        event_from_dict(refund)
    assert info.value.field == "lines[1].qty"
    purchase = {
        "kind": "purchase",
        "event_id": "p",
        "time": "2025-01-01T00:00:00+00:00",
        "lines": [{"line_id": "1", "amount": "ten"}],
    }
    with pytest.raises(InvalidInputError) as info:
        event_from_dict(purchase)
    assert info.value.field == "lines[0].amount"
    with pytest.raises(ConfigError) as config:
        TierLadder.from_dict({"tiers": [{"name": "m"}, {"name": "g", "orderz": 1}]})
    assert config.value.field == "tiers[1].orderz"
    with pytest.raises(ConfigError) as config:
        Program.from_dict({"tiers": {"tiers": [{"name": "m"}, {"name": "g", "orders": -1}]}})
    assert "tiers[1].orders" in str(config.value)


def test_as_of_outside_the_supported_range_is_refused() -> None:
    """Regression: ``as_of=datetime(9999, 1, 1)`` raised "year 10000 is out of range"."""
    ladder = TierLadder(tiers=[Tier(name="a"), Tier(name="b", orders=1)])
    program = Program(tiers=ladder)
    events = [Purchase("p", dt.datetime(2025, 1, 1, tzinfo=dt.UTC), lines=[PurchaseLine("1", "5")])]
    for when in (dt.datetime(9999, 1, 1), dt.datetime(9000, 1, 1), dt.datetime(999, 12, 31)):
        with pytest.raises(ConfigError, match="year 1000") as info:  # a bad parameter
            program.replay(events, as_of=when)
        assert info.value.field == "as_of"
    assert program.replay(events, as_of=dt.datetime(8999, 12, 31)).tier_name == "a"
    early = [Purchase("p", dt.datetime(5, 1, 1, tzinfo=dt.UTC), lines=[PurchaseLine("1", "5")])]
    with pytest.raises(InvalidInputError, match="year 1000") as info:
        program.replay(early, as_of=dt.datetime(2025, 1, 1))
    assert info.value.field == "events"
    frame = _table(amount=["10", "5"])
    with pytest.raises(ConfigError, match="year 1000"):
        replay_many(frame, program, as_of=dt.datetime(9999, 1, 1))


def test_assign_tiers_refuses_missing_member_ids_and_negative_counts() -> None:
    """Regression: a NaN member id and negative order counts were accepted."""
    ladder = TierLadder(tiers=[Tier(name="member"), Tier(name="gold", orders=3)])
    frame = pd.DataFrame({"member_id": ["a", None, "c"], "orders": [1, 4, 2]}, index=[7, 8, 9])
    with pytest.raises(InvalidInputError) as info:
        assign_tiers(frame, ladder)
    assert (info.value.field, info.value.rows) == ("member_id", (8,))
    frame = pd.DataFrame({"member_id": ["a", "b", "c"], "orders": [1, -4, 3]}, index=[7, 8, 9])
    with pytest.raises(InvalidInputError) as info:
        assign_tiers(frame, ladder)
    assert (info.value.field, info.value.rows) == ("orders", (8,))
    frame.loc[8, "orders"] = 0
    assert assign_tiers(frame, ladder)["tier"].tolist() == ["member", "member", "gold"]


def test_member_state_has_no_public_constructor_from_the_private_book() -> None:
    """Regression: public ``MemberState.from_book(book: Book)`` leaked a private type."""
    assert not hasattr(MemberState, "from_book")
    public = [name for name in dir(MemberState) if not name.startswith("_")]
    for name in public:
        hints = getattr(getattr(MemberState, name), "__annotations__", {})
        assert "Book" not in str(hints), name


def test_states_built_from_the_fold_set_every_field_and_stay_frozen() -> None:
    """``MemberState._from_book`` fills the instance's dict in one update (speed: one state
    per ``Program.apply``): every attrs field is set, nothing else, and the state is still
    frozen and equal to the same state built again."""
    import attrs

    program = Program(earning=EarningScheme.base_rate(1))
    t = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
    events = [Enroll("e", t), Purchase("p", t, lines=[PurchaseLine("1", "12")])]
    state = program.replay(events, as_of=t)
    assert set(vars(state)) == {field.name for field in attrs.fields(MemberState)}
    assert (state.available, state.enrolled_at, state.rejected) == (12, t, ())
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        state.available = 0  # type: ignore[misc]
    assert state == program.replay(events, as_of=t)
    assert state == program.apply(program.replay(events[:1], as_of=t), events[1])


# ------------------------------------------------------------------ one compiled engine


def test_program_is_pure_data_with_a_cached_compiled_engine() -> None:
    """Issue 14: ``Program`` sets no hidden attributes; ``compile()`` is built once, kept
    beside the value (not inside it) and never keeps the program alive."""
    import pickle
    import weakref

    import attrs

    for cls in (Program, EarningScheme, TierLadder, Tier):
        assert all(f.init for f in attrs.fields(cls)), cls  # no hidden state in the value
    ladder = TierLadder(tiers=[Tier(name="member"), Tier(name="gold", orders=2)])
    program = Program(timezone=ZONE, tiers=ladder, catalogue={"mug": {"*": 5, "gold": 4}})
    compiled = program.compile()
    assert program.compile() is compiled
    assert compiled.ladders == {"main": ladder}
    assert compiled.single is None  # one currency: the book runs the program itself
    again = pickle.loads(pickle.dumps(program))
    assert again == program
    assert again.compile() is not compiled  # each value compiles its own engine
    assert again.compile().refs == compiled.refs
    probe = weakref.ref(program)
    del program, compiled
    gc.collect()
    assert probe() is None  # the cache does not keep the program alive


def test_program_json_carries_a_schema_version_and_errors_name_the_full_path() -> None:
    """Issue 11 in loyalty: every rule class is on the spec layer; a program's JSON has one
    ``schema_version`` at the top, and a nested mistake is named by its full path."""
    ladder = TierLadder(tiers=[Tier(name="member"), Tier(name="gold", spend=Decimal(5000))])
    program = Program(timezone=ZONE, tiers=ladder, expiry=ExpiryPolicy.after_months(12))
    data = program.to_dict()
    assert data["schema_version"] == 2
    assert "schema_version" not in data["tiers"]
    assert "schema_version" not in data["expiry"]
    assert Program.from_dict(data) == program
    bad_rate = {"earning": {"rules": [{"kind": "base_rate", "id": "b", "rate": 0.5}]}}
    with pytest.raises(ConfigError) as info:
        Program.from_dict(bad_rate)
    assert info.value.field == "earning.rules[0].rate"
    bad_cap = {
        "earning": {"points": {"rules": [], "caps": [{"freq": "fortnight", "max_points": 1}]}}
    }
    with pytest.raises(ConfigError) as info:
        Program.from_dict(bad_cap)
    assert info.value.field == "earning['points'].caps[0].freq"
    with pytest.raises(ConfigError) as info:
        Program.from_dict({"tiers": {"tiers": [{"name": "m"}, {"name": "g", "orders": -1}]}})
    assert info.value.field == "tiers.tiers[1].orders"
    with pytest.raises(ConfigError) as info:
        Program.from_dict({"tiers": None, "privileges": {"privileges": None}})
    assert info.value.field == "privileges.privileges"


def test_states_stay_what_they_were_when_apply_moves_their_book_on() -> None:
    """Issue 14: ``MemberState`` is an immutable snapshot plus a resume token. ``apply``
    advances the book in place (no copy); an older state whose book moved on rebuilds from
    its own events when read, and branching from it gives the replayed result."""
    program = Program(
        timezone=ZONE, tiers=TierLadder(tiers=[Tier(name="m"), Tier(name="g", orders=2)])
    )
    t = at(2025, 3, 1)
    e1 = Purchase("p1", t, lines=[PurchaseLine("1", "100")])
    e2 = Purchase("p2", t + dt.timedelta(days=1), lines=[PurchaseLine("1", "50")])
    e3 = Redeem("r1", t + dt.timedelta(days=2), points=500)  # more than the balance
    e4 = Adjust("a1", t + dt.timedelta(days=2), points=7, reason="gift")
    s1 = program.apply(program.replay([], as_of=t), e1)
    lots1, postings1 = s1.lots, s1.postings
    s2 = program.apply(s1, e2)
    assert s2 == program.replay([e1, e2], as_of=s2.as_of)
    assert s2.tier_name == "g"
    # s1 is unchanged (its lots, postings, tier, events), though its book moved on.
    assert (s1.available, s1.lots, s1.postings) == (100, lots1, postings1)
    assert s1.tier_name == "m"
    assert s1.events == (e1,)
    assert s1 == program.replay([e1], as_of=s1.as_of)
    # Branching from the old state replays correctly.
    branch = program.apply(s1, e4)
    assert branch == program.replay([e1, e4], as_of=branch.as_of)
    assert s2 == program.replay([e1, e2], as_of=s2.as_of)
    # A refused event leaves every state as it was.
    with pytest.raises(LedgerError):
        program.apply(s2, e3)
    assert s2 == program.replay([e1, e2], as_of=s2.as_of)
    assert s2.available == 150
    after = program.apply(s2, e4)
    assert after == program.replay([e1, e2, e4], as_of=after.as_of)


def test_replay_many_reads_times_one_way_with_date_format_or_date_unit() -> None:
    """Issue 10: day/month strings need ``date_format=``; epoch numbers need ``date_unit=``;
    either way the states equal those of the ISO column."""
    iso = pd.DataFrame(
        {
            "member_id": ["m1", "m1"],
            "event_id": ["p1", "p2"],
            "time": ["2025-02-01T10:00:00", "2025-02-13T10:00:00"],
            "kind": ["purchase"] * 2,
            "amount": ["10", "5"],
        }
    )
    program = Program(timezone="UTC")
    as_of = dt.datetime(2025, 3, 1, tzinfo=dt.UTC)
    expected = replay_many(iso, program, as_of=as_of)
    day_first = iso.assign(time=["01/02/2025 10:00", "13/02/2025 10:00"])
    with pytest.raises(InvalidInputError):
        replay_many(day_first, program, as_of=as_of)
    read = replay_many(day_first, program, as_of=as_of, date_format="%d/%m/%Y %H:%M")
    pd.testing.assert_frame_equal(read, expected)
    epoch = iso.assign(time=[1738404000, 1739440800])
    with pytest.raises(InvalidInputError):
        replay_many(epoch, program, as_of=as_of)
    pd.testing.assert_frame_equal(replay_many(epoch, program, as_of=as_of, date_unit="s"), expected)


def test_loyalty_public_signatures_speak_the_one_vocabulary() -> None:
    """Issue 12 in loyalty: ``timezone`` (not ``tz``/``zone``), ``as_of`` (not ``at``/
    ``now``/``observation_end``) in every public function and method signature."""
    import crmkit.loyalty as facade

    retired = {"tz", "zone", "at", "now", "observation_end", "end_date"}
    found = []
    for name in facade.__all__:
        obj = getattr(facade, name)
        members = [(name, obj)]
        if inspect.isclass(obj):
            members += [
                (f"{name}.{attr}", getattr(obj, attr))
                for attr in dir(obj)
                if not attr.startswith("_") and callable(getattr(obj, attr))
            ]
        for where, member in members:
            try:
                params = inspect.signature(member).parameters
            except (TypeError, ValueError):
                continue
            found += [f"{where}({p})" for p in params if p in retired]
    assert found == []
