"""The ledger's tutorial and how-to pages run as written and print what they show.

Every ```python block of a page runs in one namespace, in order; the lines starting with
``#>`` in a block are the output its prints must produce (trailing spaces ignored).
"""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parents[2] / "docs"
PAGES = [
    "tutorials/member-club.md",
    "how-to/loyalty-expiry.md",
    "how-to/loyalty-refunds.md",
    "how-to/loyalty-redemption.md",
    "how-to/loyalty-pending-points.md",
]
BLOCK = re.compile(r"```python\n(.*?)```", re.DOTALL)


@pytest.mark.parametrize("page", PAGES)
def test_page_runs_and_prints_what_it_shows(page: str) -> None:
    text = (DOCS / page).read_text(encoding="utf-8")
    blocks = BLOCK.findall(text)
    assert blocks, f"no python blocks in {page}"
    namespace: dict[str, object] = {"__name__": "docs"}
    for number, block in enumerate(blocks, start=1):
        expected = [
            line[3:] if line.startswith("#> ") else ""
            for line in block.splitlines()
            if line.startswith("#>")
        ]
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            exec(compile(block, f"{page}#block{number}", "exec"), namespace)
        assert [line.rstrip() for line in out.getvalue().splitlines()] == expected, (
            f"{page} block {number}"
        )
