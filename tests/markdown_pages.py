"""Run the code blocks of a markdown docs page and check that they print what the page shows.

The docs tests of every area share this harness. A page's ```python blocks run in order,
in one namespace, with what they print captured. A page shows that output in one of two
ways, each with its own checker:

- ``#>`` comments inside the python block (`check_commented_blocks`): every ``#> text``
  line is one printed line and a bare ``#>`` a blank one; a block without any must print
  nothing. Printed lines are compared with trailing spaces removed, the ``#>`` lines as
  written; blank lines count.
- a ```text block after the python block (`check_text_blocks`): the text block must equal
  what the python block printed, line by line with trailing spaces removed and trailing
  blank lines ignored (optionally ``...`` matches anything, as in doctests).

Setting up (a working directory, files a page reads, pandas display options) is the
calling test's business; `pandas_display` gives the display options the pages were
written with.
"""

from __future__ import annotations

import contextlib
import io
import re
import textwrap
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
"""The repository root: pages are named relative to it (``docs/how-to/x.md``)."""

# A fence may be indented (in a list item or an admonition); it closes at the same indent.
_FENCE = re.compile(r"^( *)```(\w+)\n(.*?)^\1```", re.S | re.M)


@dataclass(frozen=True)
class Block:
    """One fenced block of a page.

    Attributes:
        lang: the fence's language (``python``, ``text``, ``json``, ...).
        text: the block's lines, dedented to the fence.
        start: offset of the opening fence in the page.
        end: offset just after the closing fence.
    """

    lang: str
    text: str
    start: int
    end: int


def read_page(page: str) -> str:
    """The text of ``page`` (a path relative to the repository root)."""
    return (ROOT / page).read_text(encoding="utf-8")


def fenced_blocks(markdown: str) -> list[Block]:
    """The fenced blocks of a markdown text, in page order."""
    return [
        Block(m.group(2), textwrap.dedent(m.group(3)), m.start(), m.end())
        for m in _FENCE.finditer(markdown)
    ]


def page_blocks(page: str) -> list[Block]:
    """The fenced blocks of ``page`` (relative to the repository root), in page order."""
    return fenced_blocks(read_page(page))


def new_namespace() -> dict[str, object]:
    """A fresh namespace for one page's blocks (they share it, in order)."""
    return {"__name__": "docs"}


def run_python(code: str, namespace: dict[str, object], label: str) -> str:
    """Run ``code`` in ``namespace`` and return what it printed to stdout.

    ``label`` names the block in tracebacks. The code is our own docs page's.
    """
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, label, "exec"), namespace)
    return out.getvalue()


def printed_lines(printed: str) -> list[str]:
    """Printed output as lines, trailing spaces removed (blank lines kept)."""
    return [line.rstrip() for line in printed.splitlines()]


def comment_lines(code: str) -> list[str]:
    """The output a python block shows in its ``#>`` comments, one line each, as written."""
    return [
        line[3:] if line.startswith("#> ") else ""
        for line in code.splitlines()
        if line.startswith("#>")
    ]


def check_commented_blocks(page: str) -> int:
    """Run the python blocks of ``page``; each prints exactly what its ``#>`` lines show.

    Returns:
        the number of python blocks run (each one checked); fails if there are none.
    """
    blocks = [block for block in page_blocks(page) if block.lang == "python"]
    assert blocks, f"no python blocks in {page}"
    namespace = new_namespace()
    for number, block in enumerate(blocks, start=1):
        label = f"{page}#block{number}"
        printed = run_python(block.text, namespace, label)
        assert printed_lines(printed) == comment_lines(block.text), label
    return len(blocks)


def _shown_lines(text: str) -> list[str]:
    """Output or shown text as lines, trailing spaces and trailing blank lines removed."""
    return printed_lines(text.rstrip())


def same_output(printed: str, shown: str, *, ellipsis: bool = False) -> bool:
    """Whether ``printed`` is what ``shown`` (a text block) shows.

    Lines are compared with trailing spaces removed and trailing blank lines ignored;
    with ``ellipsis``, ``...`` in ``shown`` matches any text (also across lines).
    """
    got, want = "\n".join(_shown_lines(printed)), "\n".join(_shown_lines(shown))
    if not ellipsis:
        return got == want
    pattern = ".*?".join(re.escape(part) for part in want.split("..."))
    return re.fullmatch(pattern, got, re.S) is not None


@dataclass(frozen=True)
class PageRun:
    """What `check_text_blocks` did with a page.

    Attributes:
        ran: python blocks run.
        checked: text blocks compared with printed output.
    """

    ran: int
    checked: int


def _pairs(
    blocks: Sequence[Block], *, every_print_shown: bool
) -> Iterator[tuple[list[Block], Block | None]]:
    """Group python blocks with the text block that shows their output (or ``None``).

    With ``every_print_shown``, ``None`` only comes last, with the python blocks after the
    last text block (they must print nothing).
    """
    if every_print_shown:
        # Every text block shows what the python blocks since the previous one printed,
        # and whatever the last python blocks print must be shown too.
        group: list[Block] = []
        for block in blocks:
            if block.lang == "python":
                group.append(block)
            elif block.lang == "text":
                yield group, block
                group = []
        if group:
            yield group, None
        return
    for i, block in enumerate(blocks):
        if block.lang != "python":
            continue
        following = blocks[i + 1] if i + 1 < len(blocks) else None
        yield [block], following if following is not None and following.lang == "text" else None


def check_text_blocks(
    page: str,
    blocks: Sequence[Block],
    *,
    ellipsis: bool = False,
    every_print_shown: bool = False,
) -> PageRun:
    """Run the python ``blocks`` of ``page`` in one namespace, in order; check the text blocks.

    Args:
        page: the page's name, for messages.
        blocks: the page's fenced blocks (`page_blocks`), or a part of them.
        ellipsis: ``...`` in a text block matches anything (see `same_output`).
        every_print_shown: when false, a text block that comes right after a python
            block (the next fenced block) shows what that block printed, and a python
            block without one may print anything. When true, every text block shows what
            the python blocks since the previous text block printed (together), and the
            python blocks after the last text block must print nothing.

    Returns:
        how many python blocks ran and how many text blocks were checked.
    """
    namespace = new_namespace()
    ran = checked = 0
    for group, shown in _pairs(blocks, every_print_shown=every_print_shown):
        printed = ""
        for block in group:
            label = f"{page} block at offset {block.start}"
            printed += run_python(block.text, namespace, label)
            ran += 1
        if shown is None and every_print_shown:
            assert printed == "", f"{page}: the last blocks print what no text block shows"
        elif shown is not None:
            where = f"{page}: the text block at offset {shown.start}"
            assert same_output(printed, shown.text, ellipsis=ellipsis), (
                f"{where} shows:\n{shown.text}\nthe code printed:\n{printed}"
            )
            checked += 1
    return PageRun(ran=ran, checked=checked)


def pandas_display() -> contextlib.AbstractContextManager[object]:
    """The pandas display options the pages' printed frames were made with (restored after)."""
    return pd.option_context("display.width", 80, "display.max_columns", 20)
