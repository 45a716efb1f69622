"""The customer-summaries how-to runs as written and prints what it shows.

The page's ```python blocks run in order in one namespace; a ```text block right after a
python block must equal what it printed (trailing spaces ignored).
"""

from __future__ import annotations

import contextlib
import io
import re
import textwrap
import warnings
from pathlib import Path

import pytest

PAGE = Path(__file__).resolve().parents[2] / "docs" / "how-to" / "customer-summaries.md"
_BLOCK = re.compile(r"^( *)```(\w+)\n(.*?)^\1```", re.S | re.M)


def _normalise(text: str) -> str:
    return "\n".join(line.rstrip() for line in text.strip("\n").splitlines())


def test_how_to_runs_and_prints_what_it_shows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("dask.dataframe")
    monkeypatch.chdir(tmp_path)
    blocks = [(m.group(2), textwrap.dedent(m.group(3))) for m in _BLOCK.finditer(PAGE.read_text())]
    assert sum(lang == "python" for lang, _ in blocks) >= 8
    namespace: dict[str, object] = {}
    checked = 0
    for i, (lang, code) in enumerate(blocks):
        if lang != "python":
            continue
        out = io.StringIO()
        with contextlib.redirect_stdout(out), warnings.catch_warnings():
            # lifetimes sets a pandas option that pandas 3 deprecates, at import time.
            warnings.filterwarnings("ignore", message="The 'mode.chained_assignment' option")
            exec(compile(code, f"{PAGE.name} block {i}", "exec"), namespace)
        if i + 1 < len(blocks) and blocks[i + 1][0] == "text":
            assert _normalise(out.getvalue()) == _normalise(blocks[i + 1][1]), f"block {i}"
            checked += 1
    assert checked >= 7
