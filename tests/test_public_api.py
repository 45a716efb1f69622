"""The public surface: every name in every `__all__` exists, is documented, has an example."""

from __future__ import annotations

import importlib
import inspect
import subprocess
import sys
from types import ModuleType

import pytest

PUBLIC_MODULES = [
    "crmkit",
    "crmkit.errors",
    "crmkit.datasets",
    "crmkit.cli",
    "crmkit.segmentation",
    "crmkit.loyalty",
    "crmkit.service",
    "crmkit.campaigns",
    "crmkit.plotting",
]


def _public_names() -> list[tuple[str, str]]:
    pairs = []
    for name in PUBLIC_MODULES:
        module = importlib.import_module(name)
        pairs.extend((name, attr) for attr in module.__all__ if attr != "__version__")
    return pairs


def _own_public_methods(cls: type) -> list[tuple[str, object]]:
    methods = []
    for attr, value in vars(cls).items():
        if attr.startswith("_"):
            continue
        func = value.__func__ if isinstance(value, (classmethod, staticmethod)) else value
        if isinstance(value, property):
            func = value.fget
        if inspect.isfunction(func):
            methods.append((attr, func))
    return methods


@pytest.mark.parametrize("module_name", PUBLIC_MODULES)
def test_module_has_docstring_and_static_all(module_name: str) -> None:
    module: ModuleType = importlib.import_module(module_name)
    assert module.__doc__
    assert isinstance(module.__all__, list)
    assert len(set(module.__all__)) == len(module.__all__), "duplicates in __all__"


@pytest.mark.parametrize(("module_name", "name"), _public_names())
def test_public_name_exists_with_documented_example(module_name: str, name: str) -> None:
    module = importlib.import_module(module_name)
    obj = getattr(module, name)
    doc = inspect.getdoc(obj) or ""
    assert doc, f"{module_name}.{name} has no docstring"
    assert ">>>" in doc, f"{module_name}.{name} has no example in its docstring"


@pytest.mark.parametrize(("module_name", "name"), _public_names())
def test_public_methods_are_documented(module_name: str, name: str) -> None:
    obj = getattr(importlib.import_module(module_name), name)
    if not inspect.isclass(obj):
        return
    undocumented = [attr for attr, func in _own_public_methods(obj) if not inspect.getdoc(func)]
    assert not undocumented, f"{module_name}.{name}: methods without docstrings: {undocumented}"


def _modules_loaded_by(statement: str) -> set[str]:
    code = f"import sys; {statement}; print('\\n'.join(sorted(sys.modules)))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return {line.split(".")[0] for line in done.stdout.split()}


def test_import_crmkit_is_light() -> None:
    loaded = _modules_loaded_by("import crmkit")
    assert not loaded & {"scipy", "matplotlib", "dask", "pandas", "numpy"}


def test_subpackage_facades_load_their_modules_lazily() -> None:
    """`import crmkit.segmentation, ...` defers every private module to first use."""
    code = (
        "import sys; import crmkit.segmentation, crmkit.loyalty, crmkit.service; "
        "print('\\n'.join(sorted(sys.modules)))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    private = [m for m in done.stdout.split() if m.startswith("crmkit.") and "._" in m]
    assert private == ["crmkit._lazy"]


@pytest.mark.parametrize("package", ["crmkit.segmentation", "crmkit.loyalty", "crmkit.service"])
def test_lazy_names_resolve_and_are_cached(package: str) -> None:
    module = importlib.import_module(package)
    assert sorted(dir(module)) == sorted(module.__all__)
    for name in module.__all__:
        value = getattr(module, name)
        assert vars(module)[name] is value  # cached: the next lookup is a plain attribute
    with pytest.raises(AttributeError, match="has no attribute 'no_such_name'"):
        _ = module.no_such_name


def test_importing_the_subpackages_loads_no_optional_heavyweights() -> None:
    loaded = _modules_loaded_by("import crmkit.segmentation, crmkit.loyalty, crmkit.service")
    assert not loaded & {"scipy", "matplotlib", "dask", "distributed", "holidays", "statsmodels"}
