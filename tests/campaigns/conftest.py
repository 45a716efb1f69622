"""Fixtures for the campaigns tests: the shared two-process Dask cluster."""

from __future__ import annotations

from tests.segmentation.conftest import dask_client  # noqa: F401 - a real two-process cluster
