"""``crmkit demo`` (text), ``crmkit sample`` (the sample data as files), ``crmkit report`` (HTML).

Examples:
    >>> import argparse
    >>> parser = argparse.ArgumentParser(prog="crmkit")
    >>> add_commands(parser.add_subparsers())
    >>> parser.parse_args(["sample", "data"]).directory
    'data'
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from crmkit import __version__
from crmkit._cli_support import (
    DemoData,
    command,
    section,
    write_text_file,
)
from crmkit._report import add_report_options, run_report
from crmkit.errors import InvalidInputError

__all__ = ["add_commands", "write_sample"]

#: The files ``crmkit sample`` writes, and the subcommand that reads each.
SAMPLE_FILES: dict[str, str] = {
    "transactions.csv": "crmkit rfm / abc / lifecycle",
    "tickets.csv": "crmkit sla (ticket timestamps)",
    "ticket_events.csv": "crmkit sla --events",
    "responses.csv": "crmkit nps",
    "loyalty_events.csv": "crmkit loyalty",
    "program.json": "crmkit loyalty --program",
    "policies.json": "crmkit sla --policy",
}


def add_commands(subparsers: Any) -> None:
    """Add ``demo``, ``sample`` and ``report``.

    Examples:
        >>> import argparse
        >>> p = argparse.ArgumentParser()
        >>> add_commands(p.add_subparsers())
        >>> p.parse_args(["demo"]).seed
        7
    """
    demo = command(
        subparsers,
        "demo",
        help="print a text report over the built-in sample data",
        description="Print a short report over the built-in sample data: what each "
        "capability computes, on data you can regenerate with the same seed.",
        examples=["crmkit demo --seed 11"],
    )
    demo.add_argument("--seed", type=int, default=7, help="sample data seed")
    demo.set_defaults(handler=_run_demo)

    sample = command(
        subparsers,
        "sample",
        help="write the sample data as CSV files (plus a loyalty program and SLA policies)",
        description="Write the built-in sample data to DIRECTORY as CSV files, with the "
        "demo's loyalty program and SLA policy set as JSON, so that every subcommand can be "
        "tried on files. Files: "
        + "; ".join(f"{name} ({use})" for name, use in SAMPLE_FILES.items()),
        examples=[
            "crmkit sample data/ && crmkit rfm data/transactions.csv --summary",
        ],
    )
    sample.add_argument("directory", help="folder to write into (created if missing)")
    sample.add_argument("--seed", type=int, default=7, help="sample data seed")
    sample.set_defaults(handler=_run_sample)

    report = command(
        subparsers,
        "report",
        help="write a self-contained HTML report (figures, tables, plain-language reading)",
        description="Write DIRECTORY/report.html: customer value, lifecycle and cohorts, "
        "loyalty, service levels, satisfaction and (on the sample data) a campaign against "
        "its control group, over the built-in sample data or your own files, and print its "
        "path. Needs the `plot` extra (matplotlib). The page loads "
        "nothing from the network: figures are embedded, fonts are the reader's own.",
        examples=[
            "crmkit report out/",
            (
                "crmkit report out/ --transactions data/transactions.csv "
                "--responses data/responses.csv"
            ),
        ],
    )
    add_report_options(report)
    report.set_defaults(handler=_run_report)


def _run_report(args: argparse.Namespace) -> int:
    sys.stdout.write(f"{run_report(args)}\n")
    return 0


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


def _run_demo(args: argparse.Namespace) -> int:
    from crmkit.cli import capabilities

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
    out.append(section("Sample data", samples))
    for capability in capabilities():
        demo_section = getattr(capability, "demo_section", None)
        if demo_section is not None:
            out.append(demo_section(data))
    sys.stdout.write("\n".join(out) + "\n")
    return 0


def write_sample(directory: str | Path, *, seed: int = 7) -> list[Path]:
    """Write the sample data and the demo's rules to ``directory``; return the paths.

    Instants are written as ISO 8601 with their UTC offset where they have one, so the
    files read back exactly.

    Examples:
        >>> import tempfile
        >>> paths = write_sample(tempfile.mkdtemp(), seed=1)
        >>> sorted(p.name for p in paths)[:3]
        ['loyalty_events.csv', 'policies.json', 'program.json']
    """
    from crmkit.loyalty._cli import demo_program
    from crmkit.service._cli import demo_policies

    folder = Path(directory)
    if folder.exists() and not folder.is_dir():
        raise InvalidInputError(
            "crmkit sample", str(directory), expected="a folder", found="a file", kind=""
        )
    folder.mkdir(parents=True, exist_ok=True)
    data = DemoData(seed=seed)
    tables = {
        "transactions.csv": data.transactions,
        "tickets.csv": data.tickets,
        "ticket_events.csv": data.ticket_events,
        "responses.csv": data.survey_responses,
        "loyalty_events.csv": data.loyalty_events,
    }
    written = []
    for name, frame in tables.items():
        path = folder / name
        text = frame.to_csv(index=False, lineterminator="\n", date_format=None)
        write_text_file(str(path), text)
        written.append(path)
    rules = {
        "program.json": demo_program().to_dict(),
        "policies.json": demo_policies().to_dict(),
    }
    for name, rule in rules.items():
        path = folder / name
        write_text_file(str(path), json.dumps(rule, indent=2, ensure_ascii=False) + "\n")
        written.append(path)
    return written


def _run_sample(args: argparse.Namespace) -> int:
    paths = write_sample(args.directory, seed=args.seed)
    for path in paths:
        sys.stdout.write(f"wrote {path}  ({SAMPLE_FILES[path.name]})\n")
    return 0
