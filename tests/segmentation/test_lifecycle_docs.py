"""The lifecycle docs pages run as written and print what they show.

Each page's ```python blocks run in order in one namespace (in a temporary directory, so
files a page writes stay there); when a ```text block follows a python block, the printed
output must match it (runs of spaces count as one, since column alignment depends on
display settings; ``...`` matches anything). A python block followed by a text block
that shows an error (``crmkit.errors.ConfigError: ...``, after an optional ``Traceback``)
must raise exactly that error. Shell blocks are
not run here (the CLI tests cover them).
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
    "docs/tutorials/lifecycle-win-back.md",
    "docs/how-to/lifecycle-custom-policy.md",
    "docs/how-to/lifecycle-rates.md",
    "docs/how-to/lifecycle-cohort-table.md",
]
_BLOCK = re.compile(r"```(\w+)\n(.*?)```", re.S)
_ERROR = re.compile(r"^crmkit\.errors\.\w+: ")


def _squeeze(text: str) -> str:
    return "\n".join(" ".join(line.split()) for line in text.strip("\n").splitlines())


def _matches(expected: str, actual: str) -> bool:
    want, got = _squeeze(expected), _squeeze(actual)
    pattern = ".*?".join(re.escape(part) for part in want.split("..."))
    return re.fullmatch(pattern, got, re.S) is not None


@pytest.mark.parametrize("page", PAGES)
def test_page_runs_and_prints_what_it_shows(
    page: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocks = [(m.group(1), m.group(2)) for m in _BLOCK.finditer((ROOT / page).read_text("utf-8"))]
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, object] = {}
    ran = 0
    with pd.option_context("display.width", 80, "display.max_columns", 20):
        for i, (lang, code) in enumerate(blocks):
            if lang != "python":
                continue
            following = blocks[i + 1] if i + 1 < len(blocks) else None
            out = io.StringIO()
            if following is not None and _ERROR.match(following[1].strip().splitlines()[-1]):
                error = following[1].strip().splitlines()[-1]
                with pytest.raises(Exception) as caught:  # noqa: PT011 (checked below)
                    exec(compile(code, f"{page} block {i}", "exec"), namespace)
                shown = (
                    f"{type(caught.value).__module__}.{type(caught.value).__name__}: {caught.value}"
                )
                assert _squeeze(shown) == _squeeze(error), shown
                ran += 1
                continue
            with contextlib.redirect_stdout(out):
                exec(compile(code, f"{page} block {i}", "exec"), namespace)
            ran += 1
            if following is not None and following[0] == "text":
                assert _matches(following[1], out.getvalue()), (
                    f"{page} block {i} printed:\n{out.getvalue()}\nexpected:\n{following[1]}"
                )
    assert ran > 0
