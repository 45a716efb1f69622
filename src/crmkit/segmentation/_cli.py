"""``crmkit rfm`` and ``crmkit abc`` subcommands, and the segmentation section of the demo.

Examples:
    >>> import argparse
    >>> parser = argparse.ArgumentParser(prog="crmkit")
    >>> add_commands(parser.add_subparsers())
    >>> parser.parse_args(["abc", "tx.csv", "--cuts", "0.7", "0.9"]).cuts
    [0.7, 0.9]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from crmkit._io import read_table, write_table
from crmkit._validate import (
    check_not_empty,
    numeric_column,
    require_columns,
    require_no_missing,
)
from crmkit.errors import ConfigError, InvalidInputError
from crmkit.segmentation._abc import abc_classify, class_summary, pyramid
from crmkit.segmentation._pareto import gini, top_share
from crmkit.segmentation._rfm import RFMModel, RFMScorer, rfm, segment_summary
from crmkit.segmentation._segment_maps import SegmentMap

if TYPE_CHECKING:  # pragma: no cover
    from crmkit.cli import DemoData

__all__ = ["add_commands", "demo_section"]

_MAPS = ("default", "rf-grid", "three-layer")


def add_commands(subparsers: Any) -> None:
    """Add ``rfm`` and ``abc`` to the ``crmkit`` command.

    Examples:
        >>> import argparse
        >>> p = argparse.ArgumentParser()
        >>> add_commands(p.add_subparsers())
        >>> p.parse_args(["rfm", "tx.csv", "--bins", "4", "--map", "none"]).bins
        4
    """
    p = subparsers.add_parser(
        "rfm",
        help="score customers by recency, frequency and monetary value and name segments",
        description="Read a transaction log (CSV or Parquet), summarise it per customer, "
        "score R/F/M tie-safely and label segments. Writes one row per customer, or the "
        "segment table with --summary.",
    )
    p.add_argument("input", help="transactions: CSV, Parquet (.parquet), or - for stdin")
    p.add_argument(
        "-o", "--output", help="output file (CSV, or Parquet by suffix); stdout if omitted"
    )
    p.add_argument("--customer", default="customer_id", help="customer id column")
    p.add_argument("--date", default="date", help="purchase date column")
    p.add_argument("--amount", default="amount", help="amount column")
    p.add_argument("--order", default=None, help="order id column (frequency = distinct orders)")
    p.add_argument("--as-of", default=None, help="analysis date (default: last date in the data)")
    p.add_argument("--refunds", choices=("net", "drop", "error"), default="net")
    p.add_argument("--bins", type=int, default=5, help="scores per dimension, 2-9 (default 5)")
    p.add_argument(
        "--map",
        default="default",
        help="segment map: default (11 segments), rf-grid, three-layer, none, or a JSON file",
    )
    p.add_argument("--model", default=None, help="apply a stored model (JSON) instead of fitting")
    p.add_argument("--save-model", default=None, help="write the fitted model as JSON")
    p.add_argument("--summary", action="store_true", help="write the per-segment table instead")
    p.set_defaults(handler=_run_rfm)

    a = subparsers.add_parser(
        "abc",
        help="classify customers A/B/C by value (cumulative share, rank share or thresholds)",
        description="Read one row per customer or a transaction log (values are summed per "
        "customer) and classify customers A/B/C.",
    )
    a.add_argument("input", help="CSV, Parquet (.parquet), or - for stdin")
    a.add_argument("-o", "--output", help="output file; stdout if omitted")
    a.add_argument("--customer", default="customer_id", help="customer id column")
    a.add_argument("--value", default="amount", help="value column (summed per customer)")
    a.add_argument("--method", choices=("cumulative", "rank", "thresholds"), default="cumulative")
    a.add_argument(
        "--cuts",
        type=float,
        nargs="+",
        default=None,
        help="class boundaries: shares for cumulative (0.8 0.95) and rank (0.1 0.3), "
        "amounts for thresholds (5000000 1000000)",
    )
    a.add_argument("--labels", nargs="+", default=["A", "B", "C"], help="class names, best first")
    a.add_argument("--summary", action="store_true", help="write the per-class table instead")
    a.set_defaults(handler=_run_abc)


def _segment_map(value: str) -> SegmentMap | str | None:
    if value == "none":
        return None
    if value in _MAPS:
        return value
    path = Path(value)
    if not path.is_file():
        raise ConfigError(
            "crmkit rfm",
            "--map",
            expected=f"one of {[*_MAPS, 'none']} or a JSON file",
            found=repr(value),
            kind="option",
        )
    data = _load_json(value, "crmkit rfm", "--map")
    if not isinstance(data, dict):
        raise ConfigError(
            "crmkit rfm",
            "--map",
            expected="a JSON object (a SegmentMap)",
            found=type(data).__name__,
            kind="option",
        )
    return SegmentMap.from_dict(data)


def _read(path: str, owner: str) -> pd.DataFrame:
    """Read the input table; undecodable text and broken Parquet are input errors too.

    ``read_table`` already reports missing, empty and malformed CSV files.
    """
    try:
        return read_table(path, owner=owner)
    except UnicodeDecodeError:
        raise InvalidInputError(
            owner,
            str(path),
            expected="a UTF-8 CSV or a Parquet (.parquet) file",
            found="bytes that are not UTF-8 text",
            kind="input",
        ) from None
    except (OSError, ValueError) as err:
        if Path(str(path)).suffix.lower() not in (".parquet", ".pq"):
            raise
        text = str(err).strip().splitlines()
        raise InvalidInputError(
            owner,
            str(path),
            expected="a readable Parquet file",
            found=text[0] if text else type(err).__name__,
            kind="input",
        ) from None


def _load_json(path: str, owner: str, option: str) -> Any:
    """Read a JSON option file; a missing file or bad JSON is a one-line config error."""
    file = Path(path)
    if not file.is_file():
        raise ConfigError(
            owner, option, expected="an existing JSON file", found=repr(path), kind="option"
        )
    try:
        return json.loads(file.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise ConfigError(
            owner, option, expected="valid JSON", found=f"{path}: {err}", kind="option"
        ) from None


def _run_rfm(args: argparse.Namespace) -> int:
    tx = _read(args.input, "crmkit rfm")
    model = None
    if args.model:
        data = _load_json(args.model, "crmkit rfm", "--model")
        if not isinstance(data, dict):
            raise ConfigError(
                "crmkit rfm",
                "--model",
                expected="a JSON object (a stored RFMModel)",
                found=type(data).__name__,
                kind="option",
            )
        model = RFMModel.from_dict(data)
    scorer = RFMScorer(bins=args.bins, segment_map=_segment_map(args.map))
    scored = rfm(
        tx,
        customer=args.customer,
        date=args.date,
        amount=args.amount,
        order=args.order,
        as_of=args.as_of,
        refunds=args.refunds,
        scorer=scorer,
        model=model,
    )
    if args.save_model:
        Path(args.save_model).write_text(
            json.dumps(scored.attrs["rfm_model"], indent=2), encoding="utf-8"
        )
    # attrs carry the model and the summary's bookkeeping (timestamps): not table data,
    # and Parquet would warn that it cannot store them.
    scored = scored.copy(deep=False)
    scored.attrs = {}
    if args.summary:
        if "segment" not in scored.columns:
            raise ConfigError(
                "crmkit rfm",
                "--summary",
                expected="a segment map",
                found="--map none",
                kind="option",
            )
        write_table(segment_summary(scored), args.output)
    else:
        write_table(scored, args.output)
    return 0


def _run_abc(args: argparse.Namespace) -> int:
    owner = "crmkit abc"
    frame = _read(args.input, owner)
    require_columns(frame, [args.customer, args.value], owner)
    check_not_empty(frame, owner, "input")
    # Check before grouping: a group-by would silently skip missing ids and values.
    require_no_missing(frame, args.customer, owner, what="customer ids")
    amounts = pd.Series(numeric_column(frame, args.value, owner), index=frame.index)
    values = amounts.groupby(frame[args.customer].to_numpy(), sort=True).sum()
    values.index.name = args.customer
    values.name = args.value
    classified = abc_classify(values, method=args.method, cuts=args.cuts, labels=args.labels)
    write_table(class_summary(classified) if args.summary else classified, args.output)
    return 0


def _bar(share: float, width: int = 30) -> str:
    return "#" * round(share * width)


def _share_table(table: pd.DataFrame, label: str) -> list[str]:
    lines = [f"  {label:<8} {'customers':>9} {'of all':>7} {'revenue':>8}"]
    for name, row in table.iterrows():
        lines.append(
            f"  {name!s:<8} {int(row['customers']):>9,} {row['customer_share']:>7.1%} "
            f"{row['revenue_share']:>8.1%}  {_bar(float(row['revenue_share']))}"
        )
    return lines


def demo_section(data: DemoData) -> str:
    """Return the segmentation part of ``crmkit demo``: RFM segments, ABC, pyramid, Gini.

    Examples:
        >>> from crmkit.cli import DemoData
        >>> text = demo_section(DemoData(seed=1))
        >>> "RFM segments" in text and "Customer pyramid" in text
        True
    """
    tx = data.transactions
    scored = rfm(tx, order="order_id")
    model = RFMModel.from_dict(scored.attrs["rfm_model"])
    table = segment_summary(scored)
    as_of = pd.Timestamp(tx["date"].max()).date()
    lines = [
        (
            f"RFM segments of {len(scored):,} customers as of {as_of} "
            "(tie-safe quintile scores, 11-segment map):"
        ),
    ]
    shown = pd.DataFrame(
        {
            "customers": table["customers"],
            "share": (table["customer_share"] * 100).round(1),
            "revenue %": (table["revenue_share"] * 100).round(1),
            "R days": table["recency_median"].round(0),
            "F": table["frequency_median"],
            "M": table["monetary_median"].round(0),
            "AOV": table["average_order_value"].round(1),
        }
    )
    with pd.option_context("display.width", 120, "display.max_columns", 12):
        lines.extend("  " + row for row in shown.to_string().splitlines())
    for dim in model.incomplete:
        scale = getattr(model, dim)
        lines.append(
            f"  note: {dim} ties fill only scores {list(scale.scores_used)} "
            f"(cut points {[round(c, 2) for c in scale.cuts]})"
        )
    values = scored["monetary"].clip(lower=0)
    abc = class_summary(abc_classify(values))
    lines.append("")
    lines.append("ABC classes (cumulative revenue share: A to 80 %, B to 95 %):")
    lines.extend(_share_table(abc, "class"))
    lines.append("")
    lines.append("Customer pyramid (top 1 % VIP, next 4 % major, next 15 % medium, rest small):")
    lines.extend(_share_table(pyramid(values), "tier"))
    lines.append("")
    lines.append(
        f"Concentration: Gini {gini(values):.3f}; the top 20 % of customers bring "
        f"{top_share(values, 0.2):.1%} of revenue."
    )
    body = "\n".join(lines)
    title = "Segmentation: RFM, ABC, customer pyramid"
    return f"\n{title}\n{'=' * len(title)}\n{body}\n"
