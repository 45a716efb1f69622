"""MkDocs hook: the command-line reference, generated from the ``crmkit`` parser itself.

``docs/reference/cli.md`` holds the marker ``<!-- cli-reference -->``; this hook replaces it
with the ``--help`` text of ``crmkit`` and of every subcommand (defaults and an example
each), so the page is always what the installed command says.
"""

from __future__ import annotations

import os
from typing import Any

MARKER = "<!-- cli-reference -->"


def cli_reference(width: int = 92) -> str:
    """The markdown of the reference: the top-level help, then one section per subcommand."""
    from crmkit.cli import build_parser

    old = os.environ.get("COLUMNS")
    os.environ["COLUMNS"] = str(width)
    try:
        parser = build_parser()
        parts = ["## crmkit", "", "```text", parser.format_help().rstrip(), "```", ""]
        action = parser._subparsers._group_actions[0]  # type: ignore[union-attr]
        for name, sub in action.choices.items():
            parts += [f"## crmkit {name}", "", "```text", sub.format_help().rstrip(), "```", ""]
    finally:
        if old is None:
            del os.environ["COLUMNS"]
        else:
            os.environ["COLUMNS"] = old
    return "\n".join(parts)


def on_page_markdown(markdown: str, **_: Any) -> str:
    """Expand the marker on the page that holds it."""
    if MARKER not in markdown:
        return markdown
    return markdown.replace(MARKER, cli_reference())
