"""The segmentation docs and README taste run as written and print what they show.

Each page's ```python blocks run in order in one namespace (in a temporary directory);
when a ```text block follows a python block, the printed output must match it (trailing
spaces ignored, ``...`` matches anything, as in doctests); see
`tests.markdown_pages.check_text_blocks`.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.markdown_pages import (
    check_text_blocks,
    fenced_blocks,
    page_blocks,
    pandas_display,
    read_page,
)

PAGES = [
    "docs/tutorials/segment-customers.md",
    "docs/how-to/custom-segment-map.md",
    "docs/how-to/abc-thresholds.md",
    "docs/how-to/pyramid-pareto.md",
    "docs/explanation/tie-safe-scoring.md",
]


@pytest.mark.parametrize("page", PAGES)
def test_page_runs_and_prints_what_it_shows(
    page: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocks = page_blocks(page)
    needs_csv = any("transactions.csv" in b.text for b in blocks if b.lang == "python")
    if needs_csv and "datasets.transactions" not in blocks[0].text:
        from crmkit import datasets

        datasets.transactions(n_customers=1_000, seed=7).to_csv(
            tmp_path / "transactions.csv", index=False
        )
    monkeypatch.chdir(tmp_path)
    with pandas_display():
        check_text_blocks(page, blocks, ellipsis=True)


def test_readme_segmentation_taste_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    section = read_page("README.md").split("<!-- taste: segmentation -->", 1)[1]
    blocks = [b for b in fenced_blocks(section.split("<!-- taste:", 1)[0]) if b.lang == "python"]
    assert blocks, "the README lost its segmentation taste"
    monkeypatch.chdir(tmp_path)
    with pandas_display():
        check_text_blocks("README.md", blocks, ellipsis=True)
