"""Fixtures for the service tests: a real two-process Dask cluster, started once."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest


@pytest.fixture(scope="session")
def dask_cluster_client() -> Iterator[Any]:
    """A ``distributed.Client`` on a ``LocalCluster`` with two worker processes.

    Worker processes (not threads) make sure that everything a function ships to the
    workers pickles. Skips the test when the ``dask`` extra is not installed.
    """
    distributed = pytest.importorskip("distributed")
    pytest.importorskip("dask.dataframe")
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0"
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        yield client
