"""docs/how-to/plan-a-campaign.md runs as written: each ``python`` block prints its ``text`` block.

Every print must be shown (`tests.markdown_pages.check_text_blocks`, ``every_print_shown``),
so the plans and the hand checks beside them are the library's figures, not typed ones.
"""

from __future__ import annotations

from tests.markdown_pages import check_text_blocks, page_blocks

PAGE = "docs/how-to/plan-a-campaign.md"


def test_plan_a_campaign_page_runs_and_prints_what_it_shows() -> None:
    """Every block of the planning how-to runs, and prints exactly what the page shows."""
    run = check_text_blocks(PAGE, page_blocks(PAGE), every_print_shown=True)
    assert run.checked == run.ran == 9
