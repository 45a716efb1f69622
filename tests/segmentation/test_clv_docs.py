"""The CLV tutorial and explanation pages run as written and print what they show."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.markdown_pages import check_text_blocks, page_blocks

PAGES = ["docs/tutorials/clv-ranking.md", "docs/explanation/clv-models.md"]


@pytest.mark.parametrize("page", PAGES)
def test_page_runs_and_prints_what_it_shows(
    page: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    blocks = page_blocks(page)
    assert any(block.lang == "python" for block in blocks)
    run = check_text_blocks(page, blocks)
    assert run.checked >= 2
