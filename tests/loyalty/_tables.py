"""Members' events as a ``replay_many`` table: the tests that hold a table's rows equal to
``Program.replay`` build their tables here.

One row per event: purchases of one line (``amount``, ``line="1"`` and their named
counts), whole refunds (``ref``), redemptions by points, cancellations (``ref`` and, when
the table has one, ``involuntary``), adjustments (``points``, ``reason``, a kept
``expires_at`` and their named counts), tier grants (``tier``, ``until``, ``reason``, a
``ladder`` when set, and a target's ``spend``, ``qualifying_points`` and named counts). Every optional column is ``object`` with ``None``
where a row has no value, as an export read with ``dtype=str`` would give.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from crmkit.loyalty import Adjust, CancelRedemption, Purchase, Redeem, Refund, TierGrant


def events_table(
    members: Mapping[str, Sequence[Any]], *, columns: Sequence[str] = ()
) -> pd.DataFrame:
    """The events of each member (member id -> events) as one ``replay_many`` table.

    ``columns``: optional columns the table has even where no event fills them (count
    columns passed to ``replay_many(counts=...)``, an ``involuntary`` column).
    """
    rows: list[dict[str, Any]] = []
    for member, events in members.items():
        for event in events:
            row: dict[str, Any] = {
                "member_id": member,
                "event_id": event.event_id,
                "time": event.time,
                "kind": event.kind,
            }
            if isinstance(event, Purchase):
                assert len(event.lines) == 1, "one-line purchases only"
                row.update(amount=str(event.lines[0].amount), line="1")
                row.update(event.counts)
            elif isinstance(event, Refund):
                assert not event.lines, "whole refunds only"
                row["ref"] = event.purchase_id
            elif isinstance(event, Redeem):
                row["points"] = event.points
            elif isinstance(event, CancelRedemption):
                row.update(ref=event.redemption_id, involuntary=event.involuntary)
            elif isinstance(event, Adjust):
                row.update(points=event.points, reason=event.reason)
                if event.expires_at is not None:
                    row["expires_at"] = event.expires_at
                row.update(event.counts)
            elif isinstance(event, TierGrant):
                row.update(tier=event.tier, until=event.until, reason=event.reason)
                if event.ladder is not None:
                    row["ladder"] = event.ladder
                if event.target is not None:
                    assert event.target.orders is None, "no orders target in a table"
                    if event.target.spend is not None:
                        row["spend"] = str(event.target.spend)
                    if event.target.points is not None:
                        row["qualifying_points"] = event.target.points
                    row.update(event.target.counts)
            rows.append(row)
    frame = pd.DataFrame(rows)
    for column in columns:
        if column not in frame:
            frame[column] = None
    for column in frame.columns:
        if column not in ("member_id", "event_id", "time", "kind"):
            frame[column] = frame[column].astype(object).where(frame[column].notna(), None)
    return frame
