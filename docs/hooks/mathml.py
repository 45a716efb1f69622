"""MkDocs hook: formulas rendered to MathML when the site is built.

``pymdownx.arithmatex`` (generic mode) marks each formula; this hook replaces the marked
TeX with MathML (``latex2mathml``, pure Python), which browsers draw natively. The site
therefore needs no JavaScript math renderer, no web font and no third-party host.
"""

from __future__ import annotations

import html
import re
from typing import Any

from latex2mathml.converter import convert

_BLOCK = re.compile(r'<div class="arithmatex">\s*\\\[(.*?)\\\]\s*</div>', re.S)
_INLINE = re.compile(r'<span class="arithmatex">\s*\\\((.*?)\\\)\s*</span>', re.S)


def _mathml(tex: str, display: str) -> str:
    return convert(html.unescape(tex).strip(), display=display)


def on_page_content(html_text: str, **_: Any) -> str:
    """Replace every arithmatex formula of a page with MathML."""
    html_text = _BLOCK.sub(
        lambda m: f'<div class="arithmatex">{_mathml(m.group(1), "block")}</div>', html_text
    )
    return _INLINE.sub(
        lambda m: f'<span class="arithmatex">{_mathml(m.group(1), "inline")}</span>', html_text
    )
