"""Regenerate the figures of docs/how-to/plot-results.md from crmkit's sample data.

Run from the repository root: ``.venv/bin/python docs/assets/make_plots.py``. It writes
one small PNG (dpi 80) per function of :mod:`crmkit.plotting` to ``docs/assets/plots/``.
"""

from __future__ import annotations

from pathlib import Path

OUT = Path(__file__).resolve().parent / "plots"
DPI = 80


def main() -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from crmkit import datasets, plotting
    from crmkit.segmentation import (
        abc_classify,
        class_summary,
        cohort_retention,
        lifecycle_history,
        pareto_curve,
        pyramid,
        rfm,
        segment_summary,
        transition_matrix,
    )
    from crmkit.service import (
        PolicySet,
        SLAPolicy,
        SLATarget,
        evaluate_sla,
        metric_table,
        sla_attainment,
    )

    OUT.mkdir(exist_ok=True)
    tx = datasets.transactions(n_customers=2_000, seed=7)
    scored = rfm(tx)
    spend = scored["monetary"].clip(lower=0)
    history = lifecycle_history(tx, freq="Q", amount=None)
    snapshots = list(history.columns)
    responses = datasets.survey_responses(n_responses=2_000, seed=0)

    tickets = datasets.tickets(n_tickets=2_000, seed=7)
    events = datasets.ticket_events(tickets)

    def target(metric: str, duration: str) -> SLATarget:
        return SLATarget(metric=metric, duration=duration, clock="calendar")

    policies = PolicySet(
        policies=[
            SLAPolicy(
                name="complaints",
                when={"kind": ["complaint"]},
                targets={"*": [target("first_response", "1h"), target("resolution", "24h")]},
            )
        ],
        default=SLAPolicy(
            name="standard",
            targets={
                "P1": [target("first_response", "1h"), target("resolution", "8h")],
                "*": [target("first_response", "4h"), target("resolution", "72h")],
            },
        ),
    )
    verdicts = evaluate_sla(events, tickets, policies, as_of="2025-08-01 00:00+08:00")

    nps_table = metric_table(responses, "nps", by="segment")
    figures = {
        "segments": plotting.plot_segments(segment_summary(scored)),
        "pareto": plotting.plot_pareto(pareto_curve(spend)),
        "abc": plotting.plot_class_shares(class_summary(abc_classify(spend))),
        "pyramid": plotting.plot_class_shares(pyramid(spend)),
        "rfm_grid": plotting.plot_rfm_grid(scored),
        "lifecycle_stages": plotting.plot_lifecycle_stages(history),
        "transition_matrix": plotting.plot_transition_matrix(
            transition_matrix(history, snapshots[-5], snapshots[-1])
        ),
        "cohort_retention": plotting.plot_cohort_retention(
            cohort_retention(tx, freq="Q", amount=None)
        ),
        "metric_trend": plotting.plot_metric_trend(
            nps_table[nps_table["segment"].isin(["VIP", "regular"])]
        ),
        "sla_attainment": plotting.plot_sla_attainment(
            sla_attainment(verdicts, by=["priority", "target"]), goal=0.8
        ),
    }
    for name, ax in figures.items():
        path = OUT / f"{name}.png"
        ax.figure.savefig(path, dpi=DPI)
        plt.close(ax.figure)
        print(f"{path.relative_to(Path.cwd()) if path.is_relative_to(Path.cwd()) else path}")


if __name__ == "__main__":
    main()
