"""The input how-to runs as written and prints what it shows.

The page's ```python blocks run in order in one namespace; a ```text block right after a
python block must equal what it printed (trailing spaces ignored); see
`tests.markdown_pages.check_text_blocks`.
"""

from __future__ import annotations

from tests.markdown_pages import check_text_blocks, page_blocks, pandas_display

PAGE = "docs/how-to/input-data.md"


def test_input_how_to_runs_and_prints_what_it_shows() -> None:
    blocks = page_blocks(PAGE)
    with pandas_display():
        run = check_text_blocks(PAGE, blocks)
    assert run.ran == 8
    assert run.checked == 8  # every block shows what it prints
