"""The business-calendar docs pages run as written and print what they show.

Every ```python block of a page runs in one namespace, in order; the lines starting with
``#>`` in a block are the output its prints must produce (trailing spaces ignored); see
`tests.markdown_pages.check_commented_blocks`.
"""

from __future__ import annotations

import pytest

from tests.markdown_pages import check_commented_blocks

PAGES = [
    "docs/how-to/calendar-from-json.md",
    "docs/how-to/calendar-holidays.md",
    "docs/how-to/calendar-makeup-days.md",
    "docs/how-to/calendar-bulk.md",
    "docs/how-to/business-days.md",
    "docs/how-to/migrate-business-time.md",
    "docs/explanation/business-time.md",
]


@pytest.mark.parametrize("page", PAGES)
def test_page_runs_and_prints_what_it_shows(page: str) -> None:
    check_commented_blocks(page)
