"""The SLA docs pages (tutorial, how-tos, explanation) run as written and print what they show.

Every ```python block of a page runs in one namespace, in order; when a ```text block
follows it directly, that is the output the block's prints must produce (trailing spaces
ignored).
"""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

import pandas as pd
import pytest

DOCS = Path(__file__).resolve().parents[2] / "docs"
PAGES = [
    "tutorials/complaint-sla.md",
    "how-to/sla-policy-sets.md",
    "how-to/sla-pauses-and-cycles.md",
    "how-to/sla-attainment.md",
]
BLOCK = re.compile(r"```python\n(.*?)```(?:\s*```text\n(.*?)```)?", re.DOTALL)
JSON = re.compile(r"```json\n(.*?)```", re.DOTALL)


def _policy_file(folder: Path) -> None:
    """The pages read ``policy.json``: the JSON shown on the policy-sets page."""
    shown = JSON.search((DOCS / "how-to/sla-policy-sets.md").read_text(encoding="utf-8"))
    assert shown is not None
    (folder / "policy.json").write_text(shown.group(1), encoding="utf-8")


@pytest.mark.parametrize("page", PAGES)
def test_page_runs_and_prints_what_it_shows(page: str, tmp_path: Path) -> None:
    text = (DOCS / page).read_text(encoding="utf-8")
    blocks = BLOCK.findall(text)
    assert blocks, f"no python blocks in {page}"
    namespace: dict[str, object] = {"__name__": "docs"}
    _policy_file(tmp_path)
    # option_context restores the display options the pages set.
    with (
        pd.option_context("display.width", 80, "display.max_columns", 20),
        contextlib.chdir(tmp_path),
    ):
        for number, (code, shown) in enumerate(blocks, start=1):
            out = io.StringIO()
            with contextlib.redirect_stdout(out):
                exec(compile(code, f"{page}#block{number}", "exec"), namespace)
            if shown:
                got = [line.rstrip() for line in out.getvalue().rstrip("\n").splitlines()]
                want = [line.rstrip() for line in shown.rstrip("\n").splitlines()]
                assert got == want, f"{page} block {number}"
