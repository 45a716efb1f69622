"""Fixtures for the segmentation tests: a real two-process Dask cluster, started once."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pandas as pd
import pytest


def read_cdnow(name: str = "CDNOW_master.txt") -> pd.DataFrame:
    """The real CDNOW log shipped in the lifetimes wheel (read without importing lifetimes).

    ``CDNOW_master.txt``: 69,659 rows of 23,570 customers, January 1997 to June 1998,
    columns ``customer_id``, ``date``, ``cds``, ``amount``.
    """
    spec = importlib.util.find_spec("lifetimes")
    if spec is None or not spec.submodule_search_locations:
        pytest.skip("lifetimes (a dev dependency) is not installed")
    path = Path(next(iter(spec.submodule_search_locations))) / "datasets" / name
    frame = pd.read_csv(path, sep=r"\s+", header=0, names=["customer_id", "date", "cds", "amount"])
    frame["date"] = pd.to_datetime(frame["date"].astype(str), format="%Y%m%d")
    return frame


@pytest.fixture(scope="session")
def cdnow() -> pd.DataFrame:
    """The CDNOW master log (see :func:`read_cdnow`); tests must not modify it."""
    return read_cdnow()
