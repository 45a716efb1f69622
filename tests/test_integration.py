"""What the integration guide promises: shared rules and models are safe across threads.

Rules, policies and fitted models are frozen; their derived engines are caches built on
first use. Eight threads use fresh shared objects at once (so the caches are built under
contention) and every answer must equal the serial one.
"""

from __future__ import annotations

import datetime as dt
import json
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from zoneinfo import ZoneInfo

from crmkit import datasets
from crmkit.loyalty import Enroll, Program, Purchase, PurchaseLine, Redeem
from crmkit.loyalty._cli import demo_program
from crmkit.segmentation import RFMModel, rfm
from crmkit.service import PolicySet, evaluate_ticket
from crmkit.service._cli import demo_policies

SHANGHAI = ZoneInfo("Asia/Shanghai")
THREADS = 8


def _member_events(k: int) -> list[object]:
    start = dt.datetime(2025, 1, 1, 9, tzinfo=SHANGHAI) + dt.timedelta(hours=k)
    events: list[object] = [Enroll(event_id=f"e{k}", time=start)]
    for i in range(1 + k % 7):
        events.append(
            Purchase(
                event_id=f"p{k}-{i}",
                time=start + dt.timedelta(days=10 * (i + 1)),
                lines=[PurchaseLine("1", Decimal(100 * (k % 13 + i + 1)))],
            )
        )
    if k % 3 == 0:
        events.append(
            Redeem(event_id=f"r{k}", time=start + dt.timedelta(days=200), reward="coupon-30")
        )
    return events


def _answers(program: Program, policies: PolicySet, model: RFMModel, k: int) -> tuple[object, ...]:
    as_of = dt.datetime(2025, 12, 31, tzinfo=SHANGHAI)
    state = program.replay(_member_events(k), as_of=as_of, on_error="skip")
    created = dt.datetime(2025, 3, 3, 9, 0, tzinfo=SHANGHAI) + dt.timedelta(minutes=37 * k)
    history = [(created, "created"), (created + dt.timedelta(hours=k % 5), "agent_reply")]
    sla = evaluate_ticket(
        policies=policies,
        events=history,
        as_of=created + dt.timedelta(hours=30),
        ticket={
            "kind": ["complaint", "question", "incident"][k % 3],
            "priority": f"P{1 + k % 4}",
            "customer_tier": "core" if k % 4 == 0 else "regular",
        },
    )
    score = model.score(
        recency_days=k % 400, frequency=1 + k % 20, monetary=37.5 * k, tenure_days=k % 400 + 30
    )
    return (
        state.available,
        state.tier_name,
        state.expiring(60),
        tuple((t.name, t.state, t.due_at) for t in sla.targets),
        score,
    )


def test_shared_rules_and_models_are_thread_safe() -> None:
    stored = (
        json.dumps(demo_program().to_dict()),
        json.dumps(demo_policies().to_dict()),
        json.dumps(rfm(datasets.transactions(n_customers=300, seed=3)).attrs["rfm_model"]),
    )

    def fresh() -> tuple[Program, PolicySet, RFMModel]:
        return (
            Program.from_dict(json.loads(stored[0])),
            PolicySet.from_dict(json.loads(stored[1])),
            RFMModel.from_dict(json.loads(stored[2])),
        )

    items = range(96)
    serial = [_answers(*fresh(), k) for k in items]
    for _ in range(3):  # fresh objects each round: the lazy caches are built concurrently
        program, policies, model = fresh()
        shared = [(program, policies, model, k) for k in items]
        with ThreadPoolExecutor(max_workers=THREADS) as pool:
            threaded = list(pool.map(lambda args: _answers(*args), shared))
        assert threaded == serial
