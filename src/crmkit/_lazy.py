"""Lazy re-exports for the subpackage facades (PEP 562 module ``__getattr__``).

``import crmkit.segmentation`` must stay cheap: a notebook that only needs RFM scores
should not pay for building the loyalty rules engine or the SLA evaluator. A facade
declares its public names once, as ordinary imports under ``if TYPE_CHECKING:`` (which
type checkers, IDEs and the docs generator read), plus its static ``__all__``.
:func:`attach` reads those import statements from the facade's source and returns a
module ``__getattr__`` that imports a name's private module on first access and caches
the value in the facade, so later lookups are plain attribute reads.
"""

from __future__ import annotations

import ast
import importlib
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

__all__ = ["attach"]


def _type_checking_imports(source: str) -> dict[str, str]:
    """Map each name imported under ``if TYPE_CHECKING:`` to the module it comes from."""
    where: dict[str, str] = {}
    for node in ast.parse(source).body:
        if isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING":
            for stmt in node.body:
                if isinstance(stmt, ast.ImportFrom) and stmt.module and stmt.level == 0:
                    for alias in stmt.names:
                        where[alias.asname or alias.name] = stmt.module
    return where


def attach(
    package: str, init_file: str, public: Sequence[str]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    r"""Return ``__getattr__`` and ``__dir__`` for a facade module.

    Args:
        package: The facade's ``__name__``.
        init_file: The facade's ``__file__``: its ``if TYPE_CHECKING:`` imports say where
            each public name lives.
        public: The facade's ``__all__``; it must list exactly the imported names.

    Returns:
        The module-level ``__getattr__`` and ``__dir__`` functions.

    Raises:
        ImportError: ``public`` and the ``TYPE_CHECKING`` imports disagree.

    Examples:
        >>> import pathlib, tempfile
        >>> init = pathlib.Path(tempfile.mkdtemp()) / "__init__.py"
        >>> _ = init.write_text("if TYPE_CHECKING:\n    from json import dumps\n")
        >>> getattr_, dir_ = attach("demo", str(init), ["dumps"])
        >>> getattr_("dumps")({"a": 1}), dir_()
        ('{"a": 1}', ['dumps'])
        >>> getattr_("nope")
        Traceback (most recent call last):
        ...
        AttributeError: module 'demo' has no attribute 'nope'
    """
    where = _type_checking_imports(Path(init_file).read_text(encoding="utf-8"))
    if sorted(where) != sorted(public):
        missing = sorted(set(public) - set(where))
        extra = sorted(set(where) - set(public))
        raise ImportError(
            f"{package}: __all__ and the TYPE_CHECKING imports disagree "
            f"(not imported: {missing}; not in __all__: {extra})"
        )

    def getattr_(name: str) -> Any:
        module = where.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module), name)
        facade = sys.modules.get(package)
        if facade is not None:
            setattr(facade, name, value)  # the next lookup is a plain attribute read
        return value

    def dir_() -> list[str]:
        return sorted(where)

    return getattr_, dir_
