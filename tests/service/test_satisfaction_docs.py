"""The satisfaction docs pages run as written: each ``python`` block's output is the next ``text`` block.

Every print must be shown: a ``text`` block shows what the ``python`` blocks since the
previous one printed; see `tests.markdown_pages.check_text_blocks` (``every_print_shown``).
"""

from __future__ import annotations

import pytest

from tests.markdown_pages import check_text_blocks, page_blocks

PAGES = [
    "docs/tutorials/nps-45-to-68.md",
    "docs/how-to/csat-ces.md",
    "docs/how-to/weighted-surveys.md",
    "docs/how-to/metric-tables.md",
    "docs/how-to/service-kpis.md",
]


@pytest.mark.parametrize("page", PAGES)
def test_page_runs_and_prints_what_it_shows(page: str) -> None:
    run = check_text_blocks(page, page_blocks(page), every_print_shown=True)
    assert run.checked > 0
