"""``crmkit clv`` subcommand, and the CLV section of the demo.

Examples:
    >>> import argparse
    >>> parser = argparse.ArgumentParser(prog="crmkit")
    >>> add_commands(parser.add_subparsers())
    >>> args = parser.parse_args(["clv", "tx.csv", "--model", "pareto", "--freq", "W"])
    >>> args.model, args.freq, args.horizon_months
    ('pareto', 'W', 12)
"""

from __future__ import annotations

import argparse
import json
import math
from typing import TYPE_CHECKING, Any

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
    output_format,
    read_input,
    section,
    timezone_option,
    write_text_file,
)
from crmkit._spec import check_choice
from crmkit.errors import ConfigError

if TYPE_CHECKING:  # pragma: no cover
    from crmkit._cli_support import DemoData

__all__ = ["add_commands", "clv_table", "demo_section"]

#: ``--freq`` values and the model time unit each gives.
_UNITS = {"D": "days", "W": "weeks", "M": "months"}
_MODELS = ("bgnbd", "mbgnbd", "pareto")
#: The longest ``--horizon-months``: 100 years. The CLV sums one step per month, so a
#: mistyped horizon (100000000) would otherwise run for hours instead of failing.
_MAX_HORIZON = 1200


def add_commands(subparsers: Any) -> None:
    """Add ``clv`` to the ``crmkit`` command.

    Examples:
        >>> import argparse
        >>> p = argparse.ArgumentParser()
        >>> add_commands(p.add_subparsers())
        >>> p.parse_args(["clv", "tx.csv", "--format", "json"]).format
        'json'
    """
    p = command(
        subparsers,
        "clv",
        help="customer lifetime value: fit BTYD + Gamma-Gamma models, predict per customer",
        description="Read a transaction log (CSV or Parquet), summarise it per customer, fit "
        "a purchase model (MBG/NBD by default) and a Gamma-Gamma spend model, and write each "
        "customer's expected purchases, P(alive), expected spend and discounted CLV, highest "
        "CLV first. --models writes the fitted models as JSON.",
        examples=["crmkit clv transactions.csv --freq W --horizon-months 12 -o clv.csv"],
    )
    p.add_argument("input", help="transactions: CSV, Parquet (.parquet), or - for stdin")
    p.add_argument("--model", choices=_MODELS, default="mbgnbd", help="purchase model")
    p.add_argument(
        "--freq", choices=tuple(_UNITS), default="D", help="period unit of the summary (D, W, M)"
    )
    p.add_argument("--as-of", default=None, help="end of the observation (default: last date)")
    p.add_argument(
        "--horizon-months", type=int, default=12, help=f"CLV horizon in months, 1-{_MAX_HORIZON}"
    )
    p.add_argument(
        "--discount-rate", type=float, default=0.01, help="discount rate per month, in [0, 10)"
    )
    p.add_argument("--penalizer", type=float, default=0.0, help="L2 penalty of the fits, >= 0")
    p.add_argument("--models", default=None, metavar="FILE", help="write the fitted models as JSON")
    add_column_options(
        p,
        {
            "customer": ("customer_id", "customer id column"),
            "date": ("date", "purchase date column"),
            "amount": ("amount", "amount column (negative rows, refunds, are left out)"),
        },
    )
    add_input_options(p)
    add_timezone_option(p)
    add_output_options(p)
    p.set_defaults(handler=_run_clv)


def _check_numbers(horizon_months: object, discount_rate: object, penalizer: object) -> None:
    """Refuse a bad ``--horizon-months``, ``--discount-rate`` or ``--penalizer`` up front.

    Checked before any file is read: a negative horizon would otherwise surface deep in
    the fit as an error about an internal column the user's file does not have.

    Examples:
        >>> _check_numbers(-3, 0.01, 0.0)
        Traceback (most recent call last):
        ...
        crmkit.errors.ConfigError: crmkit clv: option '--horizon-months' must be a whole number of months from 1 to 1200; found -3.
    """
    owner = "crmkit clv"
    if (
        isinstance(horizon_months, bool)
        or not isinstance(horizon_months, int)
        or not 1 <= horizon_months <= _MAX_HORIZON
    ):
        raise ConfigError(
            owner,
            "--horizon-months",
            expected=f"a whole number of months from 1 to {_MAX_HORIZON}",
            found=repr(horizon_months),
            kind="option",
        )
    for option, value, expected, top in (
        ("--discount-rate", discount_rate, "a monthly rate in [0, 10)", 10.0),
        ("--penalizer", penalizer, "a number at least 0", math.inf),
    ):
        # NaN fails the comparison; the rate's top is excluded, the penalizer's is inf.
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value < top:
            raise ConfigError(owner, option, expected=expected, found=repr(value), kind="option")


def clv_table(
    transactions: pd.DataFrame,
    *,
    model: str = "mbgnbd",
    freq: str = "D",
    as_of: object = None,
    horizon_months: int = 12,
    discount_rate: float = 0.01,
    penalizer: float = 0.0,
    customer: str = "customer_id",
    date: str = "date",
    amount: str = "amount",
    timezone: str | None = None,
    date_format: str | None = None,
    date_unit: str | None = None,
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Fit the models on a transaction log; return per-customer predictions and the fits.

    Refund rows (negative amounts) are left out of the summary; ``timezone`` (in which
    naive dates and ``as_of`` are read, aware ones converted and periods counted),
    ``date_format`` and ``date_unit`` are passed to the date reader. Customers are sorted by
    CLV, highest first. The second value holds the fitted models as JSON-ready data.

    Examples:
        >>> from crmkit.datasets import transactions
        >>> table, fits = clv_table(transactions(400, seed=3), freq="W")
        >>> list(table.columns)
        ['frequency', 'recency', 'T', 'monetary_value', 'expected_purchases', 'p_alive', 'p_alive_at_horizon', 'p_no_purchase', 'expected_spend', 'clv']
        >>> fits["time_unit"], bool(table["clv"].is_monotonic_decreasing)
        ('weeks', True)
    """
    from crmkit.segmentation._bgnbd import BetaGeoModel, ModifiedBetaGeoModel
    from crmkit.segmentation._clv import customer_lifetime_value
    from crmkit.segmentation._gamma_gamma import GammaGammaModel
    from crmkit.segmentation._model import TIME_UNITS
    from crmkit.segmentation._pareto_nbd import ParetoNBDModel
    from crmkit.segmentation._summary import btyd_summary

    owner = "crmkit clv"
    check_choice(model, _MODELS, owner, "--model")
    check_choice(freq, _UNITS, owner, "--freq")
    _check_numbers(horizon_months, discount_rate, penalizer)
    unit = _UNITS[freq]
    summary = btyd_summary(
        transactions,
        customer=customer,
        date=date,
        amount=amount,
        as_of=as_of,
        timezone=timezone,
        date_format=date_format,
        date_unit=date_unit,
        freq=freq,  # type: ignore[arg-type]
        refunds="drop",
    )
    purchase_model: Any
    if model == "bgnbd":
        purchase_model = BetaGeoModel(penalizer=penalizer, time_unit=unit)
    elif model == "mbgnbd":
        purchase_model = ModifiedBetaGeoModel(penalizer=penalizer, time_unit=unit)
    else:
        purchase_model = ParetoNBDModel(penalizer=penalizer, time_unit=unit)
    fit = purchase_model.fit(summary)
    spend = GammaGammaModel(penalizer=penalizer, max_correlation=None, time_unit=unit).fit(summary)
    horizon = horizon_months * TIME_UNITS[unit]
    predictions = fit.predict(summary, t=horizon).rename(
        columns={"p_alive_at_t": "p_alive_at_horizon"}
    )
    value = customer_lifetime_value(
        summary, fit, spend, horizon_months=horizon_months, discount_rate=discount_rate
    )
    table = pd.concat(
        [
            summary,
            predictions.drop(columns="expected_purchases"),
            value[["expected_purchases", "expected_spend", "clv"]],
        ],
        axis=1,
    )
    table = table[
        ["frequency", "recency", "T", "monetary_value", "expected_purchases", "p_alive",
         "p_alive_at_horizon", "p_no_purchase", "expected_spend", "clv"]
    ]  # fmt: skip
    table = table.sort_values("clv", ascending=False, kind="stable")
    fits = {
        "time_unit": unit,
        "horizon_months": horizon_months,
        "discount_rate_per_month": discount_rate,
        "purchase_model": {"kind": model, **fit.to_dict()},
        "spend_model": spend.to_dict(),
    }
    return table, fits


def _run_clv(args: argparse.Namespace) -> int:
    fmt = output_format(args)
    _check_numbers(args.horizon_months, args.discount_rate, args.penalizer)  # before any work
    zone = timezone_option(args)
    frame = read_input(args.input, args, what="transactions", ids=[args.customer])
    frame = convert_dates(apply_columns(frame, args, ()), [args.date], args, timezone=zone)
    table, fits = clv_table(
        frame,
        model=args.model,
        freq=args.freq,
        as_of=args.as_of,
        horizon_months=args.horizon_months,
        discount_rate=args.discount_rate,
        penalizer=args.penalizer,
        customer=args.customer,
        date=args.date,
        amount=args.amount,
        timezone=zone,
    )
    if args.models:
        write_text_file(args.models, json.dumps(fits, indent=1) + "\n")
    emit(table, args, fmt=fmt)
    return 0


def demo_section(data: DemoData) -> str:
    """Return the CLV part of ``crmkit demo``: the fits and the top predicted value.

    Examples:
        >>> from crmkit._cli_support import DemoData
        >>> text = demo_section(DemoData(seed=1))
        >>> "Customer lifetime value" in text and "Top predicted value" in text
        True
    """
    table, fits = clv_table(data.transactions, freq="W")
    params = fits["purchase_model"]["params"]
    spend = fits["spend_model"]["params"]
    top = table.head(5)[["frequency", "monetary_value", "p_alive", "expected_purchases", "clv"]]
    lines = [
        f"MBG/NBD on {len(table):,} customers (weeks): "
        + ", ".join(f"{k}={v:.3g}" for k, v in params.items()),
        "Gamma-Gamma spend: " + ", ".join(f"{k}={v:.3g}" for k, v in spend.items()),
        (
            f"12-month CLV at 1 % a month: total {table['clv'].sum():,.0f}, "
            f"median {table['clv'].median():,.2f}; "
            f"{(table['p_alive'] < 0.3).sum():,} customers have P(alive) < 0.3 (win-back list)"
        ),
        "",
        "Top predicted value (next 12 months):",
    ]
    lines.extend("  " + row for row in top.round(2).to_string().splitlines())
    return section("Customer lifetime value", "\n".join(lines))
