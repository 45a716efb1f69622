"""``--timezone ZONE`` of the commands that read transaction dates (rfm, lifecycle, clv, report).

Exports from Chinese shops are often UTC timestamps, while the days that matter (recency,
purchase days) are the customer's days in China. A purchase at 2025-01-31T17:30:00Z is a
1 February purchase in Shanghai (UTC+8, no daylight saving): 17:30 + 8 h = 01:30 the next
day. The command line reads dates as ``summarize(..., timezone=...)`` does.

The hand-checked log (``UTC``; Shanghai wall clock):

===== ====================== ==================== ======
 cust  UTC                    Shanghai             amount
===== ====================== ==================== ======
 a     2025-01-31 17:30       2025-02-01 01:30      100
 a     2025-02-01 03:00       2025-02-01 11:00       50
 b     2025-01-20 10:00       2025-01-20 18:00       80
 b     2025-02-10 16:30       2025-02-11 00:30       30
 c     2025-02-10 12:00       2025-02-10 20:00       40
===== ====================== ==================== ======

Read in UTC the last day is 10 Feb; in Shanghai it is 11 Feb (b's 00:30).
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import pandas as pd
import pytest

from crmkit import datasets
from crmkit._report import report_data
from crmkit.cli import build_parser, main
from crmkit.segmentation import LifecyclePolicy, classify_lifecycle, rfm
from crmkit.segmentation._clv_cli import clv_table
from tests._cli_errors import _error

SHANGHAI = "Asia/Shanghai"

UTC_ROWS = [
    ("a", "2025-01-31T17:30:00Z", 100.0),
    ("a", "2025-02-01T03:00:00Z", 50.0),
    ("b", "2025-01-20T10:00:00Z", 80.0),
    ("b", "2025-02-10T16:30:00Z", 30.0),
    ("c", "2025-02-10T12:00:00Z", 40.0),
]


def _write(path: Path, rows: list[tuple[str, object, float]]) -> Path:
    frame = pd.DataFrame(rows, columns=["customer_id", "date", "amount"])
    frame.to_csv(path, index=False)
    return path


@pytest.fixture
def utc_csv(tmp_path: Path) -> Path:
    return _write(tmp_path / "utc.csv", UTC_ROWS)


def _run(capsys: pytest.CaptureFixture[str], argv: list[str]) -> pd.DataFrame:
    """Run ``crmkit argv`` (CSV on standard output) and read its result by customer."""
    code = main(argv)
    captured = capsys.readouterr()
    assert code == 0, captured.err
    return pd.read_csv(io.StringIO(captured.out), index_col=0, dtype={0: str})


# --------------------------------------------------------------------------- crmkit rfm


def test_rfm_counts_the_days_of_a_utc_export_in_the_zone_given(
    utc_csv: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """17:30Z on 31 Jan is 1 Feb in Shanghai: a's two purchases fall on one day.

    Without --timezone (UTC days), as of the last day, 10 Feb:
    a: last 1 Feb -> recency 9; days 31 Jan and 1 Feb -> frequency 2; tenure 31 Jan..10 Feb = 10.
    b: last 10 Feb -> 0; days 20 Jan, 10 Feb -> 2; tenure 21. c: 0, 1, 0.
    With --timezone Asia/Shanghai, as of the last day, 11 Feb:
    a: last 1 Feb -> recency 10; both on 1 Feb -> frequency 1; tenure 1 Feb..11 Feb = 10.
    b: last 11 Feb -> 0; days 20 Jan, 11 Feb -> 2; tenure 22. c: 10 Feb -> 1, 1, 1.
    """
    columns = ["recency_days", "frequency", "tenure_days"]
    utc = _run(capsys, ["rfm", str(utc_csv), "--map", "none"])
    assert utc[columns].to_dict("index") == {
        "a": {"recency_days": 9, "frequency": 2, "tenure_days": 10},
        "b": {"recency_days": 0, "frequency": 2, "tenure_days": 21},
        "c": {"recency_days": 0, "frequency": 1, "tenure_days": 0},
    }
    assert utc.loc["a", "first_purchase"] == "2025-01-31 17:30:00+00:00"
    local = _run(capsys, ["rfm", str(utc_csv), "--map", "none", "--timezone", SHANGHAI])
    assert local[columns].to_dict("index") == {
        "a": {"recency_days": 10, "frequency": 1, "tenure_days": 10},
        "b": {"recency_days": 0, "frequency": 2, "tenure_days": 22},
        "c": {"recency_days": 1, "frequency": 1, "tenure_days": 1},
    }
    assert local.loc["a", "first_purchase"] == "2025-02-01 01:30:00+08:00"
    assert local["monetary"].to_dict() == {"a": 150.0, "b": 110.0, "c": 40.0}


def test_rfm_reads_a_date_as_of_in_the_zone_given(
    utc_csv: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``--as-of 2025-02-10`` is the end of 10 Feb in the zone.

    In UTC every row is in (b's 16:30Z is on 10 Feb): recencies a 9, b 0, c 0.
    In Shanghai the day ends at 2025-02-10T16:00Z, so b's 16:30Z purchase (11 Feb there)
    is after it: b's last purchase is 20 Jan -> recency 21, frequency 1; a 9, c 0.
    """
    argv = ["rfm", str(utc_csv), "--map", "none", "--as-of", "2025-02-10"]
    utc = _run(capsys, argv)
    assert utc["recency_days"].to_dict() == {"a": 9, "b": 0, "c": 0}
    local = _run(capsys, [*argv, "--timezone", SHANGHAI])
    assert local["recency_days"].to_dict() == {"a": 9, "b": 21, "c": 0}
    assert local["frequency"].to_dict() == {"a": 1, "b": 1, "c": 1}
    assert local["monetary"].to_dict() == {"a": 150.0, "b": 80.0, "c": 40.0}


def test_naive_dates_are_read_as_local_times_in_the_zone(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Naive times are Shanghai wall-clock times: the days are those written, now +08:00."""
    naive = _write(
        tmp_path / "naive.csv",
        [("a", "2025-02-01 01:30", 100.0), ("a", "2025-02-01 11:00", 50.0),
         ("b", "2025-01-20 18:00", 80.0), ("b", "2025-02-11 00:30", 30.0),
         ("c", "2025-02-10 20:00", 40.0)],
    )  # fmt: skip
    plain = _run(capsys, ["rfm", str(naive), "--map", "none"])
    local = _run(capsys, ["rfm", str(naive), "--map", "none", "--timezone", SHANGHAI])
    assert plain.loc["a", "first_purchase"] == "2025-02-01 01:30:00"
    assert local.loc["a", "first_purchase"] == "2025-02-01 01:30:00+08:00"
    days = ["recency_days", "frequency", "tenure_days"]
    assert local[days].equals(plain[days])
    # ... and they are the days of the UTC export read in Shanghai (same instants).
    from_utc = _write(tmp_path / "utc.csv", UTC_ROWS)
    assert _run(capsys, ["rfm", str(from_utc), "--map", "none", "--timezone", SHANGHAI]).equals(
        local
    )


def test_epoch_numbers_are_instants_converted_to_the_zone(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``--date-unit s`` numbers are UTC instants: 1738344600 (2025-01-31T17:30Z) is 1 Feb.

    Read with the zone (as ``summarize(date_unit="s", timezone=...)`` reads them), not
    read as naive UTC times first and then taken for Shanghai wall-clock times, which
    would put every purchase 8 hours early.
    """
    seconds = [
        (cust, int(pd.Timestamp(when).timestamp()), amount) for cust, when, amount in UTC_ROWS
    ]
    assert seconds[0][1] == 1738344600
    epoch = _write(tmp_path / "epoch.csv", seconds)
    utc = _write(tmp_path / "utc.csv", UTC_ROWS)
    argv = ["--map", "none", "--timezone", SHANGHAI]
    from_epoch = _run(capsys, ["rfm", str(epoch), "--date-unit", "s", *argv])
    assert from_epoch.loc["a", "first_purchase"] == "2025-02-01 01:30:00+08:00"
    assert from_epoch.equals(_run(capsys, ["rfm", str(utc), *argv]))


def test_rfm_on_the_command_line_equals_the_python_api(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A UTC export of the sample data: CLI and ``rfm(..., timezone=...)`` agree, and differ
    from the UTC reading."""
    tx = datasets.transactions(n_customers=150, seed=4)
    tx["date"] = tx["date"].dt.floor("s").dt.tz_localize("UTC")
    path = tmp_path / "tx.csv"
    tx.to_csv(path, index=False)
    argv = ["rfm", str(path), "--order", "order_id", "--as-of", "2025-06-30"]
    cli = _run(capsys, [*argv, "--timezone", SHANGHAI])
    api = rfm(pd.read_csv(path, dtype={"customer_id": str, "order_id": str}),
              order="order_id", as_of="2025-06-30", timezone=SHANGHAI)  # fmt: skip
    columns = ["recency_days", "frequency", "tenure_days", "r_score", "f_score", "m_score",
               "rfm_code", "segment"]  # fmt: skip
    assert cli.index.tolist() == api.index.tolist()
    pd.testing.assert_frame_equal(
        cli[columns], api[columns].astype({"rfm_code": int, "segment": str}),
        check_names=False, check_dtype=False,
    )  # fmt: skip
    utc = _run(capsys, argv)
    assert not utc["recency_days"].equals(cli["recency_days"])


# --------------------------------------------------------------------------- crmkit lifecycle


def test_lifecycle_counts_purchase_days_in_the_zone(
    utc_csv: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """As of the end of 10 Feb: in UTC a bought on 2 days (31 Jan, 1 Feb), in Shanghai on 1.

    Shanghai: a first/last 1 Feb -> purchase_days 1, recency 9, tenure 9; b's 11 Feb
    purchase is after the cut-off -> 1 day, recency 21, tenure 21; c 1 day, 0, 0.
    UTC: a 2 days, recency 9, tenure 10; b 2 days, 0, 21; c 1, 0, 0.
    """
    columns = ["purchase_days", "recency_days", "tenure_days"]
    argv = ["lifecycle", str(utc_csv), "--as-of", "2025-02-10"]
    utc = _run(capsys, argv)
    assert utc[columns].to_dict("index") == {
        "a": {"purchase_days": 2, "recency_days": 9, "tenure_days": 10},
        "b": {"purchase_days": 2, "recency_days": 0, "tenure_days": 21},
        "c": {"purchase_days": 1, "recency_days": 0, "tenure_days": 0},
    }
    local = _run(capsys, [*argv, "--timezone", SHANGHAI])
    assert local[columns].to_dict("index") == {
        "a": {"purchase_days": 1, "recency_days": 9, "tenure_days": 9},
        "b": {"purchase_days": 1, "recency_days": 21, "tenure_days": 21},
        "c": {"purchase_days": 1, "recency_days": 0, "tenure_days": 0},
    }


def test_lifecycle_without_as_of_classifies_at_the_last_local_purchase_day(
    utc_csv: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The default as-of is the last purchase day in the zone: 11 Feb in Shanghai."""
    local = _run(capsys, ["lifecycle", str(utc_csv), "--timezone", SHANGHAI])
    assert local["recency_days"].to_dict() == {"a": 10, "b": 0, "c": 1}


def test_lifecycle_on_the_command_line_equals_the_python_api(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """CLI and ``classify_lifecycle(..., timezone=...)`` agree on a UTC export."""
    tx = datasets.transactions(n_customers=150, seed=4)
    tx["date"] = tx["date"].dt.floor("s").dt.tz_localize("UTC")
    path = tmp_path / "tx.csv"
    tx.to_csv(path, index=False)
    argv = ["lifecycle", str(path), "--as-of", "2025-06-30", "--timezone", SHANGHAI]
    cli = _run(capsys, argv)
    api = classify_lifecycle(pd.read_csv(path, dtype={"customer_id": str}),
                             as_of="2025-06-30", timezone=SHANGHAI)  # fmt: skip
    columns = ["purchase_days", "recency_days", "tenure_days"]
    assert cli.index.tolist() == api.index.tolist()
    pd.testing.assert_frame_equal(cli[columns], api[columns], check_names=False)
    assert cli["stage"].tolist() == api["stage"].astype(str).tolist()


def test_lifecycle_refuses_a_zone_other_than_the_policys(
    utc_csv: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A policy that owns a zone: --timezone may repeat it, never contradict it."""
    policy = tmp_path / "policy.json"
    policy.write_text(json.dumps(LifecyclePolicy(timezone="Europe/Berlin").to_dict()))
    err = _error(capsys, ["lifecycle", str(utc_csv), "--policy", str(policy),
                          "--timezone", SHANGHAI])  # fmt: skip
    assert "option '--timezone' must be the zone of the --policy (Europe/Berlin)" in err
    assert "'Asia/Shanghai'" in err
    policy.write_text(json.dumps(LifecyclePolicy(timezone=SHANGHAI).to_dict()))
    argv = ["lifecycle", str(utc_csv), "--as-of", "2025-02-10", "--policy", str(policy)]
    same = _run(capsys, [*argv, "--timezone", SHANGHAI])
    assert same.equals(_run(capsys, argv))
    assert same["purchase_days"].to_dict() == {"a": 1, "b": 1, "c": 1}


def test_lifecycle_reads_epoch_numbers_in_the_policys_zone(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Regression: with a policy zone, ``--date-unit s`` numbers were read as naive UTC
    times and then taken for wall-clock times in the policy's zone (8 hours early in
    Shanghai), so a's 1 Feb purchases fell on 31 Jan and 1 Feb (2 purchase days)."""
    seconds = [(c, int(pd.Timestamp(w).timestamp()), a) for c, w, a in UTC_ROWS]
    epoch = _write(tmp_path / "epoch.csv", seconds)
    policy = tmp_path / "policy.json"
    policy.write_text(json.dumps(LifecyclePolicy(timezone=SHANGHAI).to_dict()))
    out = _run(capsys, ["lifecycle", str(epoch), "--date-unit", "s", "--policy", str(policy),
                        "--as-of", "2025-02-10"])  # fmt: skip
    assert out["purchase_days"].to_dict() == {"a": 1, "b": 1, "c": 1}
    assert out.loc["a", "first_purchase"] == "2025-02-01 01:30:00+08:00"


# --------------------------------------------------------------------------- crmkit clv


def test_clv_on_the_command_line_equals_the_python_api(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """CLI and ``clv_table(..., timezone=...)`` agree; the summary differs from UTC days."""
    tx = datasets.transactions(n_customers=300, seed=3)
    tx["date"] = tx["date"].dt.floor("s").dt.tz_localize("UTC")
    path = tmp_path / "tx.csv"
    tx.to_csv(path, index=False)
    argv = ["clv", str(path), "--as-of", "2025-06-30"]
    cli = _run(capsys, [*argv, "--timezone", SHANGHAI])
    api, _ = clv_table(pd.read_csv(path, dtype={"customer_id": str}), as_of="2025-06-30",
                       timezone=SHANGHAI)  # fmt: skip
    pd.testing.assert_frame_equal(
        cli[["frequency", "recency", "T"]], api[["frequency", "recency", "T"]].astype(float),
        check_names=False, check_dtype=False,
    )  # fmt: skip
    assert cli["clv"].to_numpy() == pytest.approx(api["clv"].to_numpy(), rel=1e-12)
    utc = _run(capsys, argv)
    summary = ["frequency", "recency", "T"]
    assert not utc[summary].sort_index().equals(cli[summary].sort_index())


# --------------------------------------------------------------------------- crmkit report


def test_report_reads_the_transactions_in_the_zone(utc_csv: Path, tmp_path: Path) -> None:
    """The report's transactions are aware in the zone, so each section counts its days."""
    args = build_parser().parse_args(
        ["report", str(tmp_path / "out"), "--transactions", str(utc_csv), "--timezone", SHANGHAI]
    )
    tx = report_data(args).transactions
    assert tx is not None
    assert str(tx["date"].dt.tz) == SHANGHAI
    assert tx["date"].dt.strftime("%Y-%m-%d").tolist()[:2] == ["2025-02-01", "2025-02-01"]


def test_report_refuses_a_zone_without_transactions(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Alone, --timezone would be ignored (the sample data would be reported)."""
    err = _error(capsys, ["report", str(tmp_path / "out"), "--timezone", SHANGHAI])
    assert "option '--timezone' must be given with --transactions FILE" in err


# --------------------------------------------------------------------------- errors


@pytest.mark.parametrize("command", ["rfm", "lifecycle", "clv", "report"])
@pytest.mark.parametrize("zone", ["Mars/Olympus", "Beijing", "UTC+8", ""])
def test_a_bad_zone_is_one_line_naming_the_option_and_value(
    command: str, zone: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Checked before any file is read: the input here does not even exist."""
    missing = str(tmp_path / "no-such.csv")
    argv = (
        ["report", str(tmp_path / "out"), "--transactions", missing]
        if command == "report"
        else [command, missing]
    )
    err = _error(capsys, [*argv, "--timezone", zone])
    assert f"crmkit {command}: option '--timezone' must be an IANA time zone name" in err
    assert f"found {zone!r}" in err
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    "argv",
    [
        ["abc", "tx.csv"],  # reads no dates
        [
            "loyalty",
            "events.csv",
            "--program",
            "p.json",
            "--as-of",
            "2025-12-31",
        ],  # the program owns its zone
        [
            "sla",
            "tickets.csv",
            "--policy",
            "p.json",
            "--as-of",
            "2025-08-01",
        ],  # the SLA policies own theirs
    ],
)
def test_commands_whose_dates_a_rule_owns_have_no_timezone_option(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    """argparse's own refusal: exit code 2, "unrecognized arguments"."""
    assert main([*argv, "--timezone", SHANGHAI]) == 2
    assert "unrecognized arguments: --timezone" in capsys.readouterr().err


@pytest.mark.parametrize("command", ["rfm", "lifecycle", "clv", "report"])
def test_help_says_what_the_zone_does(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    """Among the "reading files" options, in one entry."""
    assert main([command, "--help"]) == 0
    reading = capsys.readouterr().out.split("reading files:", 1)[1].split("\n\n", 1)[0]
    assert "--timezone ZONE" in reading
    assert "IANA zone (e.g. Asia/Shanghai)" in reading
