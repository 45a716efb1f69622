"""The CLV tutorial and explanation pages run as written and print what they show."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.markdown_pages import check_text_blocks, page_blocks

#: Each page and how many of its python blocks print output that the page shows at least.
PAGES = {
    "docs/tutorials/clv-ranking.md": 2,
    "docs/explanation/clv-models.md": 2,
    "docs/explanation/lifecycle.md": 1,  # the P(alive) basis (issue 13)
}


@pytest.mark.parametrize("page", PAGES)
def test_page_runs_and_prints_what_it_shows(
    page: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    blocks = page_blocks(page)
    assert any(block.lang == "python" for block in blocks)
    run = check_text_blocks(page, blocks)
    assert run.checked >= PAGES[page]
