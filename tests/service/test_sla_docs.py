"""The SLA docs pages (tutorial, how-tos, explanation) run as written and print what they show.

Every ```python block of a page runs in one namespace, in order; when a ```text block
follows it directly, that is the output the block's prints must produce (trailing spaces
ignored); see `tests.markdown_pages.check_text_blocks`.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

import pytest

from tests.markdown_pages import check_text_blocks, page_blocks, pandas_display

PAGES = [
    "docs/tutorials/complaint-sla.md",
    "docs/how-to/sla-policy-sets.md",
    "docs/how-to/sla-pauses-and-cycles.md",
    "docs/how-to/sla-attainment.md",
]


def _policy_file(folder: Path) -> None:
    """The pages read ``policy.json``: the JSON shown on the policy-sets page."""
    shown = [b for b in page_blocks("docs/how-to/sla-policy-sets.md") if b.lang == "json"]
    assert shown
    (folder / "policy.json").write_text(shown[0].text, encoding="utf-8")


@pytest.mark.parametrize("page", PAGES)
def test_page_runs_and_prints_what_it_shows(page: str, tmp_path: Path) -> None:
    blocks = page_blocks(page)
    assert any(block.lang == "python" for block in blocks), f"no python blocks in {page}"
    _policy_file(tmp_path)
    # option_context restores the display options the pages set.
    with pandas_display(), contextlib.chdir(tmp_path):
        check_text_blocks(page, blocks)
