"""Shared pytest configuration: hypothesis profiles and common fixtures."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

# "ci": deterministic (derandomized), enough examples to matter, no deadline flakiness on a
# loaded 2-core machine. "dev": the same, fewer examples, for quick local loops.
settings.register_profile(
    "ci",
    max_examples=150,
    derandomize=True,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("dev", max_examples=40, deadline=None)
settings.register_profile("thorough", max_examples=2000, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


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
