"""Shared pytest configuration: hypothesis profiles and common fixtures."""

from __future__ import annotations

import os
import pathlib
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

# "ci": deterministic (derandomized), 75 examples (hypothesis' default is 100; the whole
# CI run must stay under 20 minutes on a loaded two-core machine), no deadline (its
# flakiness on such a machine).
# "compiled": the same with 40 examples, for the compiled fold's re-run of the loyalty
# suite (the pure run has searched the properties already; the re-run shows the compiled
# fold gives the same results). "dev": 40 random examples, for quick local loops.
# "thorough": a deeper search, run by hand.
settings.register_profile(
    "ci",
    max_examples=75,
    derandomize=True,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("compiled", settings.get_profile("ci"), max_examples=40)
settings.register_profile("dev", max_examples=40, deadline=None)
settings.register_profile("thorough", max_examples=2000, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


def pytest_configure(config: pytest.Config) -> None:
    """Refuse to test the sources while compiled modules in ``src/`` shadow them.

    A compiled build run in this checkout (``HATCH_BUILD_HOOK_ENABLE_MYPYC=1 pip install
    .``) leaves hatch-mypyc's extensions beside the sources it compiled, and the editable
    install imports those instead of the edited ``.py`` files. ``make compiled`` builds
    in a copy of the tree instead.
    """
    src = pathlib.Path(__file__).resolve().parents[1] / "src"
    stray = sorted(str(path.relative_to(src.parent)) for path in src.rglob("*.so"))
    if stray:
        raise pytest.UsageError(
            f"compiled modules in src/ shadow its sources: {stray[:3]}"
            f"{' ...' if len(stray) > 3 else ''} (left by a compiled build run in this "
            "checkout). Delete them (`find src -name '*.so' -delete`; `make clean` does "
            "it too); `make compiled` builds the compiled fold in a copy of the tree."
        )


@pytest.fixture(scope="session")
def dask_client() -> Iterator[Any]:
    """A ``distributed.Client`` on a ``LocalCluster`` with two worker processes.

    One cluster for the whole run, shared by every area's Dask tests (a cluster per area
    kept several alive at once on a two-core machine).

    Worker processes (not threads) make sure that everything a function ships to the
    workers pickles. Skips the test when the ``dask`` extra is not installed.
    """
    distributed = pytest.importorskip("distributed")
    pytest.importorskip("dask.dataframe")
    with (
        distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            # The scheduler serves HTTP even without a dashboard, on port 8787 unless told
            # otherwise; any free port (":0") avoids a clash (a warning, so an error here)
            # with another cluster on the machine. Without bokeh there is no dashboard.
            dashboard_address=":0",
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        yield client
