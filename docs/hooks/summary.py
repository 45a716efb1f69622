"""MkDocs hook: a summary table at the top of every API reference page.

A reference page holds ``::: crmkit.segmentation`` (mkdocstrings renders the whole
module). This hook puts before it a table of the module's public names (its ``__all__``)
with the first line of each docstring, linked to the entry below, so a reader sees the
whole surface at a glance. Built from the code at build time: it cannot drift.
"""

from __future__ import annotations

import importlib
import inspect
import re
from typing import Any

_DIRECTIVE = re.compile(r"^::: (crmkit(?:\.\w+)*)\s*$", re.M)
_ROLE = re.compile(r":\w+:`~?([^`]+)`")


def _kind(obj: object) -> str:
    if inspect.isclass(obj):
        return "exception" if issubclass(obj, BaseException) else "class"
    if callable(obj):
        return "function"
    return "constant"


def _first_line(obj: object) -> str:
    doc = inspect.getdoc(obj) if inspect.isclass(obj) or callable(obj) else None
    line = (doc or "").strip().splitlines()[0] if doc else ""
    line = _ROLE.sub(lambda m: f"`{m.group(1).split('.')[-1]}`", line)  # :meth:`x.y` -> `y`
    return line.replace("|", "\\|")


def summary_table(module_name: str) -> str:
    """The markdown table of ``module_name``'s public names, in ``__all__`` order."""
    module = importlib.import_module(module_name)
    names = list(getattr(module, "__all__", []))
    rows = ["| Name | Kind | What it does |", "|---|---|---|"]
    for name in names:
        obj = getattr(module, name)
        rows.append(f"| [`{name}`](#{module_name}.{name}) | {_kind(obj)} | {_first_line(obj)} |")
    return "\n".join(rows)


def on_page_markdown(markdown: str, **_: Any) -> str:
    """Insert the summary table before each ``::: crmkit...`` directive of a page."""

    def insert(match: re.Match[str]) -> str:
        table = summary_table(match.group(1))
        return f'<div class="doc-summary" markdown>\n\n{table}\n\n</div>\n\n{match.group(0)}'

    return _DIRECTIVE.sub(insert, markdown)
