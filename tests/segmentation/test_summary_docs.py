"""The customer-summaries how-to runs as written and prints what it shows.

The page's ```python blocks run in order in one namespace; a ```text block right after a
python block must equal what it printed (trailing spaces ignored); see
`tests.markdown_pages.check_text_blocks`.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest

from tests.markdown_pages import check_text_blocks, page_blocks

PAGE = "docs/how-to/customer-summaries.md"


def test_how_to_runs_and_prints_what_it_shows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("dask.dataframe")
    monkeypatch.chdir(tmp_path)
    blocks = page_blocks(PAGE)
    assert sum(block.lang == "python" for block in blocks) >= 8
    with warnings.catch_warnings():
        # lifetimes sets a pandas option that pandas 3 deprecates, at import time.
        warnings.filterwarnings("ignore", message="The 'mode.chained_assignment' option")
        run = check_text_blocks(PAGE, blocks)
    assert run.checked >= 7
