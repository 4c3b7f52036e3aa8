"""Shared fixtures: the shared corpora (skipped when absent) and an in-process CLI runner."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest
from hypothesis import settings
from apache_beam.testing.test_pipeline import TestPipeline

# TestPipeline defaults to DirectRunner, which first tries to download the Prism runner; the
# tests run offline on Beam's FnApiRunner, as the CLI does by default.
TestPipeline.pytest_test_pipeline_options = "--runner=FnApiRunner"

# Property tests: no deadline (the machine may be loaded); in CI the examples are derandomised so
# that a run is reproducible; locally they vary from run to run and keep finding new cases.
settings.register_profile("newsbeam", deadline=None, derandomize=bool(os.environ.get("CI")))
settings.load_profile("newsbeam")

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = (REPO / ".." / "shared" / "data").resolve()
SEEDS = REPO / "seeds"
SEED_ARTICLE = SEEDS / "000_983ffb8b3d720b76.txt"


def shared_data(*parts: str) -> Path:
    """A path under ../shared/data; the calling test is skipped when it is absent."""
    path = SHARED_DATA.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"shared corpus not available: {path}")
    return path


@pytest.fixture
def run_newsbeam():
    """Run `newsbeam run …` in this process; returns (exit code, manifest or None)."""
    from pipeline.cli import main, read_manifest

    def run(inputs, output, *extra: str) -> tuple[int, dict | None]:
        inputs = [inputs] if isinstance(inputs, (str, os.PathLike)) else inputs
        argv = ["run"]
        for url in inputs:
            argv += ["--input", str(url)]
        run_id = f"test-{uuid.uuid4().hex[:8]}"
        argv += ["--output", str(output), "--run_id", run_id, *extra]
        code = main(argv)
        manifest = read_manifest(str(output), run_id) if code == 0 else None
        return code, manifest

    return run


def read_table(output, table: str):
    """A whole output table read back through pyarrow.dataset with Hive partitioning."""
    import pyarrow.dataset as ds

    import fsspec

    fs, root = fsspec.core.url_to_fs(str(output))
    path = f"{root.rstrip('/')}/{table}"
    if not fs.exists(path):
        return None
    from pyarrow.fs import FSSpecHandler, PyFileSystem

    return ds.dataset(path, format="parquet", partitioning="hive",
                      filesystem=PyFileSystem(FSSpecHandler(fs))).to_table()

