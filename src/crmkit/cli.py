"""The ``crmkit`` command: it registers the subcommands and turns failures into exit codes.

Each module listed in ``_CAPABILITIES`` provides ``add_commands(subparsers)``, which adds
its subcommands (each sets ``handler``, a function ``fn(args) -> int``), and may provide
``demo_section(data)``, its part of ``crmkit demo``. The shared readers, writers and
option helpers live in :mod:`crmkit._cli_support`.

Exit codes: 0 success; 1 the environment failed (a file could not be read or written, an
optional dependency is missing); 2 bad usage or bad input (also: no subcommand); 130
interrupted (Ctrl-C); 141 standard output was closed by its reader (``| head``) before
everything was written. Every failure, these two included, is one line on standard error,
never a traceback.

Examples:
    >>> from crmkit.cli import main
    >>> main(["--version"])
    crmkit 0.1.0
    0
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import os
import sys
from collections.abc import Callable, Sequence
from typing import Any

import pandas as pd

from crmkit import __version__
from crmkit._cli_support import EXIT_CODES, DemoData, HelpFormatter, restate
from crmkit.errors import CrmkitError

__all__ = ["DemoData", "build_parser", "main"]

#: Modules that add subcommands (and demo sections), in help and report order.
_CAPABILITIES: tuple[str, ...] = (
    "crmkit._demo_cli",
    "crmkit.segmentation._cli",
    "crmkit.segmentation._lifecycle_cli",
    "crmkit.segmentation._clv_cli",
    "crmkit.loyalty._cli",
    "crmkit.service._cli",
    "crmkit.service._satisfaction_cli",
    "crmkit.campaigns._cli",
)


def capabilities() -> list[Any]:
    """The subcommand modules, imported, in report order.

    >>> [m.__name__ for m in capabilities()][:2]
    ['crmkit._demo_cli', 'crmkit.segmentation._cli']
    """
    return [importlib.import_module(name) for name in _CAPABILITIES]


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser of the ``crmkit`` command.

    >>> build_parser().prog
    'crmkit'
    """
    codes = "\n".join(f"  {code:<4} {text}" for code, text in EXIT_CODES.items())
    parser = argparse.ArgumentParser(
        prog="crmkit",
        description="CRM analytics: segmentation, lifecycle, loyalty, service levels, "
        "satisfaction and campaigns. Try `crmkit sample data/` and then any subcommand on those files.",
        epilog=f"exit codes:\n{codes}",
        formatter_class=HelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"crmkit {__version__}")
    sub = parser.add_subparsers(title="commands", metavar="COMMAND")
    for capability in capabilities():
        capability.add_commands(sub)
    return parser


def _terminal_tables() -> contextlib.AbstractContextManager[Any]:
    """Tables for people measured as a terminal shows them: a Chinese character is two wide.

    pandas counts every character as one column, so the columns after a Chinese customer
    id, policy or tier name drifted right. Only tables for people change (CSV and JSON
    are never padded).

    >>> with _terminal_tables():
    ...     print(pd.DataFrame({"n": [1, 22]}, index=["张三", "Ann"]).to_string())
            n
    张三    1
    Ann    22
    """
    return pd.option_context("display.unicode.east_asian_width", True)


def _say(message: str) -> None:
    with contextlib.suppress(OSError, ValueError):
        sys.stderr.write(f"crmkit: error: {message}\n")
        sys.stderr.flush()


def _silence_stdout() -> None:
    """Point standard output at /dev/null so the interpreter's final flush stays quiet."""
    with contextlib.suppress(OSError, ValueError, AttributeError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``crmkit`` command and return its exit code.

    Args:
        argv: The arguments, without the program name; ``sys.argv[1:]`` when None.

    Returns:
        The exit code (see the module docs): 0 success, 1 environment, 2 bad usage or
        input, 130 interrupted, 141 output closed by its reader.

    Examples:
        >>> main(["demo", "--seed", "notanint"])  # doctest: +SKIP
        2
    """
    try:
        parser = build_parser()
        try:
            args = parser.parse_args(argv)
        except SystemExit as exit_:
            return int(exit_.code or 0)
    except KeyboardInterrupt:  # Ctrl-C while crmkit starts up
        _say("interrupted")
        return 130
    handler: Callable[[argparse.Namespace], int] | None = getattr(args, "handler", None)
    if handler is None:
        parser.print_help(sys.stderr)
        return 2
    try:
        with _terminal_tables():
            return handler(args)
    except CrmkitError as err:
        _say(restate(err, args))
        return int(getattr(err, "exit_code", 2))
    except KeyboardInterrupt:
        _say(f"{getattr(args, 'command_name', 'crmkit')}: interrupted")
        return 130
    except BrokenPipeError:
        _silence_stdout()
        _say(
            f"{getattr(args, 'command_name', 'crmkit')}: standard output was closed before all results were "
            "written (e.g. by `| head`); the output is incomplete"
        )
        return 141
    except UnicodeEncodeError as err:  # writing: e.g. JSON through a GBK pipe
        _say(
            f"{args.command_name}: standard output's encoding cannot write the result "
            f"({err}); write it to a file with -o (JSON files are UTF-8), or set "
            "PYTHONIOENCODING=utf-8"
        )
        return 2
    except UnicodeError as err:
        _say(f"{args.command_name}: cannot decode the input ({err}); name it with --encoding")
        return 2
    except OSError as err:
        where = f": {err.filename}" if getattr(err, "filename", None) else ""
        _say(f"{args.command_name}: {err.strerror or err}{where}")
        return 1
    except MemoryError:
        _say(f"{args.command_name}: out of memory")
        return 1


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
