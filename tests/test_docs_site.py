"""The docs site loads nothing from a third-party host and its generated parts are complete."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _hook(name: str) -> ModuleType:
    path = ROOT / "docs" / "hooks" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"docs_hook_{name}", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_theme_uses_no_google_fonts_and_registers_the_hooks() -> None:
    config = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    assert "  font: false\n" in config
    for hook in ("mathml", "summary", "cli_reference"):
        assert f"docs/hooks/{hook}.py" in config
    assert "cdn" not in config.lower()
    assert "googleapis" not in config


def test_formulas_become_mathml() -> None:
    pytest.importorskip("latex2mathml")
    math = _hook("mathml")
    page = (
        '<div class="arithmatex">\\[\\text{NPS} = p - d, \\qquad x^2 &lt; 1\\]</div>'
        '<p>and <span class="arithmatex">\\(\\sqrt{n}\\)</span></p>'
    )
    out = math.on_page_content(page)
    assert "\\[" not in out
    assert "\\(" not in out
    assert out.count("<math") == 2
    assert 'display="block"' in out
    assert "<msqrt>" in out


def test_reference_pages_get_a_summary_of_every_public_name() -> None:
    import crmkit.service

    summary = _hook("summary")
    page = summary.on_page_markdown("# crmkit.service\n\n::: crmkit.service\n")
    for name in crmkit.service.__all__:
        assert f"[`{name}`](#crmkit.service.{name})" in page
    assert page.index("| Name |") < page.index("::: crmkit.service")
    assert ":meth:" not in page
    assert ":class:" not in page


def test_cli_reference_lists_every_subcommand_with_an_example() -> None:
    from crmkit.cli import build_parser

    reference = _hook("cli_reference")
    page = reference.on_page_markdown(f"# CLI\n\n{reference.MARKER}\n")
    assert reference.MARKER not in page
    action = build_parser()._subparsers._group_actions[0]  # type: ignore[union-attr]
    for name in action.choices:
        assert f"## crmkit {name}\n" in page
    assert page.count("example:") == len(action.choices)
    assert "(default: 5)" in page  # rfm --bins


def test_code_blocks_wrap_instead_of_clipping() -> None:
    css = (ROOT / "docs" / "assets" / "extra.css").read_text(encoding="utf-8")
    assert "pre-wrap" in css
    assert "assets/extra.css" in (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
