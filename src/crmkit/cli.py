"""The ``crmkit`` command: a demo report on sample data, and one subcommand per capability.

Each capability module that offers commands lists itself in ``_CAPABILITIES`` and provides
two functions:

- ``add_commands(subparsers)`` adds its subcommands; each sets ``handler`` with
  ``parser.set_defaults(handler=fn)`` where ``fn(args) -> int`` is the exit code;
- ``demo_section(data)`` returns its section of ``crmkit demo`` as text, from the
  shared :class:`DemoData`.

Errors reach the user as one line on stderr and exit code 2 (bad input or config) or 1.

Examples:
    >>> from crmkit.cli import main
    >>> main(["--version"])
    crmkit 0.1.0
    0
"""

from __future__ import annotations

import argparse
import functools
import importlib
import sys
from collections.abc import Callable, Sequence
from typing import Any, Protocol, cast

import pandas as pd

from crmkit import __version__, datasets
from crmkit.errors import CrmkitError

__all__ = ["DemoData", "main"]

#: Modules that add subcommands and demo sections, in report order.
_CAPABILITIES: tuple[str, ...] = (
    "crmkit.segmentation._cli",
    "crmkit.segmentation._lifecycle_cli",
    "crmkit.segmentation._clv_cli",
    "crmkit.loyalty._cli",
    "crmkit.service._cli",
    "crmkit.service._satisfaction_cli",
)


class _Capability(Protocol):
    def add_commands(self, subparsers: Any) -> None: ...

    def demo_section(self, data: DemoData) -> str: ...


class DemoData:
    """The built-in sample data that ``crmkit demo`` reports on, generated once on first use.

    Examples:
        >>> data = DemoData(seed=1)
        >>> len(data.transactions) > 0
        True
    """

    def __init__(self, seed: int = 7) -> None:
        self.seed = seed

    @functools.cached_property
    def transactions(self) -> pd.DataFrame:
        """A few years of transactions of 2,000 customers."""
        return datasets.transactions(n_customers=2_000, seed=self.seed)

    @functools.cached_property
    def tickets(self) -> pd.DataFrame:
        """1,000 support tickets, one row each."""
        return datasets.tickets(n_tickets=1_000, seed=self.seed)

    @functools.cached_property
    def ticket_events(self) -> pd.DataFrame:
        """The event history of :attr:`tickets`."""
        return datasets.ticket_events(self.tickets)

    @functools.cached_property
    def survey_responses(self) -> pd.DataFrame:
        """2,000 survey responses (NPS, CSAT, CES)."""
        return datasets.survey_responses(n_responses=2_000, seed=self.seed)

    @functools.cached_property
    def loyalty_events(self) -> pd.DataFrame:
        """The event streams of 100 loyalty members."""
        return datasets.loyalty_events(n_members=100, seed=self.seed)


def _capabilities() -> list[_Capability]:
    return [cast("_Capability", importlib.import_module(name)) for name in _CAPABILITIES]


def _frame_block(title: str, frame: pd.DataFrame, date_column: str, columns: Sequence[str]) -> str:
    """A few lines about one sample table: size, date range, the first rows of key columns."""
    dates = frame[date_column]
    first, last = dates.min(), dates.max()
    size = f"{len(frame):,} rows x {frame.shape[1]} columns"
    lines = [f"{title}: {size}, {date_column} {first:%Y-%m-%d} to {last:%Y-%m-%d}"]
    head = frame.loc[:, list(columns)].head(3).copy()
    for name in head.columns:
        if pd.api.types.is_datetime64_any_dtype(head[name].dtype):
            head[name] = head[name].dt.strftime("%Y-%m-%d %H:%M")
    lines.extend("  " + row for row in head.to_string(index=False).splitlines())
    return "\n".join(lines)


def _section(title: str, body: str) -> str:
    return f"\n{title}\n{'=' * len(title)}\n{body.rstrip()}\n"


def _run_demo(args: argparse.Namespace) -> int:
    data = DemoData(seed=args.seed)
    out = [f"crmkit {__version__} demo on built-in sample data (seed {args.seed})"]
    samples = "\n\n".join(
        [
            _frame_block(
                "Transactions",
                data.transactions,
                "date",
                ["order_id", "customer_id", "date", "amount", "channel"],
            ),
            _frame_block(
                "Tickets",
                data.tickets,
                "created_at",
                ["ticket_id", "created_at", "priority", "kind", "customer_tier"],
            ),
            _frame_block(
                "Survey responses",
                data.survey_responses,
                "date",
                ["response_id", "date", "segment", "nps", "csat", "ces"],
            ),
            _frame_block(
                "Loyalty events",
                data.loyalty_events,
                "time",
                ["member_id", "event_id", "time", "kind", "amount"],
            ),
        ]
    )
    out.append(_section("Sample data", samples))
    for capability in _capabilities():
        out.append(capability.demo_section(data))
    sys.stdout.write("\n".join(out) + "\n")
    return 0


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser of the ``crmkit`` command.

    >>> build_parser().prog
    'crmkit'
    """
    parser = argparse.ArgumentParser(
        prog="crmkit",
        description="CRM analytics: segmentation, loyalty, service levels and satisfaction.",
    )
    parser.add_argument("--version", action="version", version=f"crmkit {__version__}")
    sub = parser.add_subparsers(title="commands", metavar="COMMAND")
    demo = sub.add_parser("demo", help="print a report over the built-in sample data")
    demo.add_argument("--seed", type=int, default=7, help="sample data seed (default 7)")
    demo.set_defaults(handler=_run_demo)
    for capability in _capabilities():
        capability.add_commands(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``crmkit`` command and return its exit code.

    Args:
        argv: The arguments, without the program name; ``sys.argv[1:]`` when None.

    Returns:
        0 on success, 2 for bad input or configuration, 1 for other failures
        (an unreadable file).

    Examples:
        >>> main(["demo", "--seed", "notanint"])  # doctest: +SKIP
        2
    """
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:
        return int(exit_.code or 0)
    handler: Callable[[argparse.Namespace], int] | None = getattr(args, "handler", None)
    if handler is None:
        parser.print_help()
        return 0
    try:
        return handler(args)
    except CrmkitError as err:
        print(f"crmkit: error: {err}", file=sys.stderr)
        return 2
    except (OSError, ValueError) as err:
        print(f"crmkit: error: {err}", file=sys.stderr)
        return 1


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
