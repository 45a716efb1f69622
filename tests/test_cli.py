"""The `crmkit` command: version, help, demo report, and errors as one line + exit code."""

from __future__ import annotations

import subprocess
import sys

import pytest

import crmkit
from crmkit.cli import DemoData, main


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"crmkit {crmkit.__version__}"


def test_no_command_prints_help_and_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "demo" in captured.err
    assert "exit codes:" in captured.err


def test_unknown_command_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["no-such-command"]) == 2
    assert "invalid choice" in capsys.readouterr().err


def test_demo_reports_the_sample_data(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "--seed", "3"]) == 0
    out = capsys.readouterr().out
    for title in [
        "Sample data",
        "Transactions:",
        "Tickets:",
        "Survey responses:",
        "Loyalty events:",
    ]:
        assert title in out


def test_bad_input_is_one_line_and_exit_code_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "--seed", "-1"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith("crmkit: error: crmkit demo: option --seed must be an int >= 0")
    assert "Traceback" not in err


def test_demo_data_is_generated_once() -> None:
    data = DemoData(seed=2)
    assert data.transactions is data.transactions


def test_console_script_runs_as_module() -> None:
    """`python -m crmkit.cli` is the same program the console script runs."""
    done = subprocess.run(
        [sys.executable, "-m", "crmkit.cli", "--version"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0
    assert done.stdout.strip() == f"crmkit {crmkit.__version__}"
