"""One vocabulary: no public signature of any facade uses a retired argument name.

Issue 12 retired, in public signatures: ``observation_end``, ``now`` and ``at`` (a single
cut-off is ``as_of``), a lone ``end`` without ``start`` (a window is ``start``/``end``),
``tz`` and ``zone`` (``timezone``), ``period`` as a unit (``freq``); and an ``amount``
column keyword defaults to ``"amount"`` everywhere. This test scans every public function,
class constructor and public method of every facade.

Areas rename their own signatures on their own branches. ``NOT_YET_RENAMED`` lists,
explicitly, the names known to be still waiting for that; anything else fails. Remove an
entry when its area renames it (a stale entry is harmless, a new violation is not).
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Iterator
from typing import Any

import pytest

FACADES = ("crmkit.segmentation", "crmkit.loyalty", "crmkit.service", "crmkit.campaigns")
RETIRED = frozenset({"observation_end", "now", "at", "tz", "zone", "period"})

#: (facade, qualified name, parameter) still to be renamed by their owners.
NOT_YET_RENAMED: frozenset[tuple[str, str, str]] = frozenset()


def _signatures() -> Iterator[tuple[str, str, inspect.Signature]]:
    for facade in FACADES:
        try:
            module = importlib.import_module(facade)
        except ImportError:
            continue  # an area that does not exist (yet)
        for name in module.__all__:
            obj = getattr(module, name)
            if inspect.isclass(obj):
                members: list[tuple[str, Any]] = [("__init__", obj.__init__)]
                members += [
                    (attr, member)
                    for attr, member in inspect.getmembers(obj)
                    if not attr.startswith("_") and callable(member)
                ]
                for attr, member in members:
                    try:
                        yield facade, f"{name}.{attr}", inspect.signature(member)
                    except (TypeError, ValueError):  # builtins without a signature
                        continue
            elif callable(obj):
                yield facade, name, inspect.signature(obj)


def violations(signature: inspect.Signature) -> list[str]:
    """The retired parameter names of one signature.

    >>> def f(data, *, start=None, end=None, tz=None): ...
    >>> violations(inspect.signature(f))
    ['tz']
    """
    params = signature.parameters
    found = []
    for name, param in params.items():
        if name in RETIRED:
            found.append(name)
        elif name == "end" and "start" not in params:
            found.append("end")
        elif name == "amount" and param.default not in ("amount", inspect.Parameter.empty):
            found.append("amount")
    return found


def test_the_scan_sees_the_public_surface() -> None:
    seen = {(facade, name) for facade, name, _ in _signatures()}
    assert ("crmkit.segmentation", "summarize") in seen
    assert ("crmkit.segmentation", "TransactionLog.from_frame") in seen
    assert ("crmkit.loyalty", "TierLadder.evaluate") in seen
    assert ("crmkit.service", "metric_table") in seen
    assert len(seen) > 200


def test_the_check_catches_each_retired_form() -> None:
    def bad(
        data: object,
        *,
        observation_end: object = None,
        now: object = None,
        at: object = None,
        end: object = None,
        zone: object = None,
        period: str = "M",
        amount: str | None = None,
    ) -> None: ...

    assert violations(inspect.signature(bad)) == [
        "observation_end",
        "now",
        "at",
        "end",
        "zone",
        "period",
        "amount",
    ]

    def good(
        data: object,
        *,
        as_of: object = None,
        start: object = None,
        end: object = None,
        timezone: str | None = None,
        freq: str = "M",
        amount: str = "amount",
    ) -> None: ...

    assert violations(inspect.signature(good)) == []


@pytest.mark.parametrize("facade", FACADES)
def test_no_retired_names_outside_the_known_list(facade: str) -> None:
    pytest.importorskip(facade)
    found = sorted(
        (facade, name, param)
        for fac, name, signature in _signatures()
        if fac == facade
        for param in violations(signature)
    )
    unexpected = [entry for entry in found if entry not in NOT_YET_RENAMED]
    assert unexpected == [], "retired argument names in public signatures: " + repr(unexpected)


def test_segmentation_is_fully_renamed() -> None:
    assert not any(facade == "crmkit.segmentation" for facade, _, _ in NOT_YET_RENAMED)


def test_loyalty_is_fully_renamed() -> None:
    """Issue 12 leftover: the loyalty rule fields now use ``freq`` (schema version 2)."""
    assert not any(facade == "crmkit.loyalty" for facade, _, _ in NOT_YET_RENAMED)
