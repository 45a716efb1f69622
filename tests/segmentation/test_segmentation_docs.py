"""The segmentation docs and README taste run as written and print what they show.

Each page's ```python blocks run in order in one namespace (in a temporary directory);
when a ```text block follows a python block, the printed output must match it (trailing
spaces ignored, ``...`` matches anything, as in doctests).
"""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[2]
PAGES = [
    "docs/tutorials/segment-customers.md",
    "docs/how-to/custom-segment-map.md",
    "docs/how-to/abc-thresholds.md",
    "docs/how-to/pyramid-pareto.md",
    "docs/explanation/tie-safe-scoring.md",
]
_BLOCK = re.compile(r"```(\w+)\n(.*?)```", re.S)


def _blocks(text: str) -> list[tuple[str, str]]:
    return [(m.group(1), m.group(2)) for m in _BLOCK.finditer(text)]


def _matches(expected: str, actual: str) -> bool:
    want = "\n".join(line.rstrip() for line in expected.strip("\n").splitlines())
    got = "\n".join(line.rstrip() for line in actual.strip("\n").splitlines())
    pattern = ".*?".join(re.escape(part) for part in want.split("..."))
    return re.fullmatch(pattern, got, re.S) is not None


def _run_page(
    blocks: list[tuple[str, str]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, object] = {}
    with pd.option_context("display.width", 80, "display.max_columns", 20):
        for i, (lang, code) in enumerate(blocks):
            if lang != "python":
                continue
            out = io.StringIO()
            with contextlib.redirect_stdout(out):
                exec(compile(code, f"block {i}", "exec"), namespace)
            following = blocks[i + 1] if i + 1 < len(blocks) else None
            if following is not None and following[0] == "text":
                assert _matches(following[1], out.getvalue()), (
                    f"block {i} printed:\n{out.getvalue()}\nexpected:\n{following[1]}"
                )


@pytest.mark.parametrize("page", PAGES)
def test_page_runs_and_prints_what_it_shows(
    page: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocks = _blocks((ROOT / page).read_text(encoding="utf-8"))
    needs_csv = any("transactions.csv" in code for lang, code in blocks if lang == "python")
    if needs_csv and "datasets.transactions" not in blocks[0][1]:
        from crmkit import datasets

        datasets.transactions(n_customers=1_000, seed=7).to_csv(
            tmp_path / "transactions.csv", index=False
        )
    _run_page(blocks, tmp_path, monkeypatch)


def test_readme_segmentation_taste_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("<!-- taste: segmentation -->", 1)[1].split("<!-- taste:", 1)[0]
    blocks = [b for b in _blocks(section) if b[0] == "python"]
    assert blocks, "the README lost its segmentation taste"
    _run_page(blocks, tmp_path, monkeypatch)
