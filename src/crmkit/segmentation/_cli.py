"""``crmkit rfm`` and ``crmkit abc`` subcommands, and the segmentation section of the demo.

Examples:
    >>> import argparse
    >>> parser = argparse.ArgumentParser(prog="crmkit")
    >>> add_commands(parser.add_subparsers())
    >>> parser.parse_args(["abc", "tx.csv", "--cuts", "0.7", "0.9"]).cuts
    [0.7, 0.9]

``crmkit rfm`` takes ``--timezone``; ``crmkit abc`` reads no dates, so it has none.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from crmkit._cli_support import (
    add_column_options,
    add_input_options,
    add_output_options,
    add_timezone_option,
    apply_columns,
    command,
    convert_dates,
    emit,
    load_json_object,
    output_format,
    read_input,
    section,
    timezone_option,
    write_text_file,
)
from crmkit._validate import (
    check_not_empty,
    numeric_column,
    require_columns,
    require_finite_result,
    require_no_missing,
)
from crmkit.errors import ConfigError
from crmkit.segmentation._abc import abc_classify, class_summary, pyramid
from crmkit.segmentation._pareto import gini, top_share
from crmkit.segmentation._rfm import RFMModel, RFMScorer, rfm, segment_summary
from crmkit.segmentation._segment_maps import SegmentMap

if TYPE_CHECKING:  # pragma: no cover
    from crmkit._cli_support import DemoData

__all__ = ["add_commands", "demo_section"]

_MAPS = ("default", "marketer-11", "rf-grid", "three-layer")


def add_commands(subparsers: Any) -> None:
    """Add ``rfm`` and ``abc`` to the ``crmkit`` command.

    Examples:
        >>> import argparse
        >>> p = argparse.ArgumentParser()
        >>> add_commands(p.add_subparsers())
        >>> p.parse_args(["rfm", "tx.csv", "--bins", "4", "--map", "none"]).bins
        4
    """
    p = command(
        subparsers,
        "rfm",
        help="score customers by recency, frequency and monetary value and name segments",
        description="Read a transaction log (CSV or Parquet), summarise it per customer, "
        "score R/F/M tie-safely and label segments. Writes one row per customer, or the "
        "segment table with --summary.",
        examples=["crmkit rfm transactions.csv --order order_id --summary"],
    )
    p.add_argument("input", help="transactions: CSV, Parquet (.parquet), or - for stdin")
    add_column_options(
        p,
        {
            "customer": ("customer_id", "customer id column"),
            "date": ("date", "purchase date column"),
            "amount": ("amount", "amount column"),
            "order": (
                None,
                "order id column (frequency = distinct orders; default: distinct purchase days)",
            ),
        },
    )
    p.add_argument("--as-of", default=None, help="analysis date (default: last date in the data)")
    p.add_argument(
        "--refunds",
        choices=("net", "drop", "error"),
        default="net",
        help="negative amounts: netted, dropped or an error",
    )
    # --bins and --map default to None so that a value the user gave can be told from the
    # default: a stored --model fixes both, and giving either with it is an error.
    p.add_argument("--bins", type=int, default=None, help="scores per dimension, 2-9 (default: 5)")
    p.add_argument(
        "--map",
        default=None,
        help="segment map: default (crmkit's 11 segments, with day guards), marketer-11 (the "
        "published 125-code table), rf-grid, three-layer, none, or a JSON file "
        "(default: default)",
    )
    p.add_argument("--model", default=None, help="apply a stored model (JSON) instead of fitting")
    p.add_argument("--save-model", default=None, help="write the fitted model as JSON (UTF-8)")
    p.add_argument("--summary", action="store_true", help="write the per-segment table instead")
    add_input_options(p)
    add_timezone_option(p)
    add_output_options(p)
    p.set_defaults(handler=_run_rfm)

    a = command(
        subparsers,
        "abc",
        help="classify customers A/B/C by value (cumulative share, rank share or thresholds)",
        description="Read one row per customer or a transaction log (values are summed per "
        "customer) and classify customers A/B/C.",
        examples=["crmkit abc transactions.csv --method rank --cuts 0.1 0.3 --summary"],
    )
    a.add_argument("input", help="CSV, Parquet (.parquet), or - for stdin")
    add_column_options(
        a,
        {
            "customer": ("customer_id", "customer id column"),
            "value": ("amount", "value column (summed per customer)"),
        },
    )
    a.add_argument(
        "--method",
        choices=("cumulative", "rank", "thresholds"),
        default="cumulative",
        help="how classes are cut",
    )
    a.add_argument(
        "--cuts",
        type=float,
        nargs="+",
        default=None,
        help="class boundaries: shares for cumulative (default 0.8 0.95) and rank "
        "(0.1 0.3), amounts for thresholds (5000000 1000000)",
    )
    a.add_argument("--labels", nargs="+", default=["A", "B", "C"], help="class names, best first")
    a.add_argument("--summary", action="store_true", help="write the per-class table instead")
    add_input_options(a)
    add_output_options(a)
    a.set_defaults(handler=_run_abc)


def _segment_map(value: str) -> SegmentMap | str | None:
    if value == "none":
        return None
    if value in _MAPS:
        return value
    if not Path(value).is_file():
        raise ConfigError(
            "crmkit rfm",
            "--map",
            expected=f"one of {[*_MAPS, 'none']} or a JSON file",
            found=repr(value),
            kind="option",
        )
    return SegmentMap.from_dict(load_json_object(value, "crmkit rfm", "--map", "a SegmentMap"))


def _check_model_options(args: argparse.Namespace) -> None:
    """Refuse ``--bins`` or ``--map`` beside ``--model``: the stored model fixes both.

    Examples:
        >>> _check_model_options(argparse.Namespace(model="m.json", bins=None, map="rf-grid"))
        Traceback (most recent call last):
        ...
        crmkit.errors.ConfigError: crmkit rfm: option '--map' must be left out with --model (the stored model fixes its bins and segment map); found --map rf-grid. Drop --map to apply the model as stored, or drop --model to fit a new one.
    """
    if not args.model:  # as _run_rfm reads it
        return
    for option, given in (("--bins", args.bins), ("--map", args.map)):
        if given is not None:
            raise ConfigError(
                "crmkit rfm",
                option,
                expected="left out with --model (the stored model fixes its bins and segment map)",
                found=f"{option} {given}",
                hint=f"Drop {option} to apply the model as stored, or drop --model to fit a new "
                "one.",
                kind="option",
            )


def _run_rfm(args: argparse.Namespace) -> int:
    fmt = output_format(args)  # before any work: a bad choice writes nothing
    zone = timezone_option(args)
    _check_model_options(args)
    model = scorer = None
    if args.model:
        model = RFMModel.from_dict(
            load_json_object(args.model, "crmkit rfm", "--model", "a stored RFMModel")
        )
    else:
        scorer = RFMScorer(
            bins=5 if args.bins is None else args.bins,
            segment_map=_segment_map("default" if args.map is None else args.map),
        )
    tx = read_input(args.input, args, what="transactions", ids=[args.customer, args.order])
    tx = convert_dates(apply_columns(tx, args, ()), [args.date], args, timezone=zone)
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
        timezone=zone,
    )
    if args.summary and "segment" not in scored.columns:
        raise ConfigError(
            "crmkit rfm",
            "--summary",
            expected="a segment map",
            found="a --model stored without one" if args.model else "--map none",
            kind="option",
        )
    fitted = scored.attrs["rfm_model"]
    scored = scored.copy(deep=False)
    scored.attrs = {}
    if args.summary:  # with the map's promises: does each segment keep its name's promise?
        used = RFMModel.from_dict(fitted).segment_map
        emit(segment_summary(scored, segment_map=used), args, fmt=fmt)
    else:
        emit(scored, args, fmt=fmt)
    if args.save_model:
        write_text_file(args.save_model, json.dumps(fitted, indent=2) + "\n")
    return 0


def _run_abc(args: argparse.Namespace) -> int:
    owner = "crmkit abc"
    fmt = output_format(args)
    frame = read_input(args.input, args, what="customer values", ids=[args.customer])
    frame = apply_columns(frame, args, ())
    require_columns(frame, [args.customer, args.value], owner)
    check_not_empty(frame, owner, "input")
    # Check before grouping: a group-by would silently skip missing ids and values.
    require_no_missing(frame, args.customer, owner, what="customer ids")
    amounts = pd.Series(numeric_column(frame, args.value, owner), index=frame.index)
    with np.errstate(over="ignore"):  # checked just below
        # By amount first: each customer's sum adds the same numbers in the same order
        # whatever the row order of the file (float sums depend on the order).
        order = np.argsort(amounts.to_numpy(), kind="stable")
        ids = frame[args.customer].to_numpy()[order]
        values = amounts.iloc[order].groupby(ids, sort=True).sum()
    require_finite_result(values.to_numpy(), owner, args.value, labels=values.index)
    values.index.name = args.customer
    values.name = args.value
    classified = abc_classify(values, method=args.method, cuts=args.cuts, labels=args.labels)
    emit(class_summary(classified) if args.summary else classified, args, fmt=fmt)
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
        >>> from crmkit._cli_support import DemoData
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
    return section("Segmentation: RFM, ABC, customer pyramid", "\n".join(lines))
