"""The README's taste of each module runs, and prints what its comments promise."""

from __future__ import annotations

import pytest

from tests.markdown_pages import new_namespace, page_blocks, pandas_display, run_python

#: Figures the README's comments state, which the printed output must contain.
PROMISED = [
    "reactivation rate 5.0% (8 of 160)",
    "7400 600 2000 gold",
    "(('p1', 600),)",
    "2025-09-30 18:00:00+08:00",
    "2025-10-09 09:00:00+08:00",
    "2025-10-11 17:00:00+08:00",
    "NPS -45 (95% CI -77 to 6, adjusted Wald; n = 11, low sample)",
    "CSAT 70% (95% CI 60% to 78%, Wilson; n = 100)",
    "23 0.066",
    "411 0.1",
    "14.6% (95% CI 8.4% to 18.8%, n = 411, newcombe",
]


@pytest.fixture(scope="module")
def printed() -> str:
    namespace = new_namespace()
    blocks = [b for b in page_blocks("README.md") if b.lang == "python"]
    assert len(blocks) >= 6, "the README has a taste of every module"
    with pandas_display():
        return "".join(
            run_python(block.text, namespace, f"README.md block {i}")
            for i, block in enumerate(blocks)
        )


@pytest.mark.parametrize("figure", PROMISED)
def test_readme_prints_what_it_promises(printed: str, figure: str) -> None:
    assert figure in printed
