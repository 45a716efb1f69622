"""The satisfaction docs pages run as written: each ``python`` block's output is the next ``text`` block."""

from __future__ import annotations

import contextlib
import io
import pathlib
import re

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
PAGES = [
    "docs/tutorials/nps-45-to-68.md",
    "docs/how-to/csat-ces.md",
    "docs/how-to/weighted-surveys.md",
    "docs/how-to/metric-tables.md",
    "docs/how-to/service-kpis.md",
]
BLOCK = re.compile(r"```(python|text)\n(.*?)```", re.DOTALL)


@pytest.mark.parametrize("page", PAGES)
def test_page_runs_and_prints_what_it_shows(page: str) -> None:
    blocks = BLOCK.findall((ROOT / page).read_text(encoding="utf-8"))
    namespace: dict[str, object] = {}
    pending = ""
    checked = 0
    for kind, body in blocks:
        if kind == "python":
            buffer = io.StringIO()
            with contextlib.redirect_stdout(buffer):
                exec(compile(body, page, "exec"), namespace)  # our own docs pages
            pending += buffer.getvalue()
        else:
            assert pending.rstrip() == body.rstrip(), f"{page}: output drifted"
            pending = ""
            checked += 1
    assert checked > 0
    assert pending == ""
