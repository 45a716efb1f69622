"""The one-line refusal the command line gives for bad input, shared by the CLI tests."""

from __future__ import annotations

import pytest

from crmkit.cli import main


def _error(capsys: pytest.CaptureFixture[str], argv: list[str]) -> str:
    """Run ``crmkit argv``: exit code 2 and one ``crmkit: error: ...`` line, no traceback."""
    code = main(argv)
    err = capsys.readouterr().err.strip()
    assert code == 2, err
    assert len(err.splitlines()) == 1, err
    assert err.startswith("crmkit: error: "), err
    assert "Traceback" not in err
    return err
