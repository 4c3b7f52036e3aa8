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



# --- the fault-injection tally (tests/test_faults.py), summed across xdist workers -----------------

_TALLY_ENV = "NEWSBEAM_FAULT_TALLY"


def tally(name: str, count: int) -> None:
    """Add `count` to a figure of the fault-injection summary `make test` prints."""
    path = os.environ.get(_TALLY_ENV)
    if path:
        with open(path, "a") as handle:
            handle.write(f"{name} {count}\n")


def pytest_configure(config):
    if not hasattr(config, "workerinput"):  # the controller: workers inherit the variable
        import tempfile

        handle, path = tempfile.mkstemp(prefix="newsbeam-faults-", suffix=".txt")
        os.close(handle)
        os.environ[_TALLY_ENV] = path
        config._newsbeam_tally = path


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    path = getattr(config, "_newsbeam_tally", None)
    if not path or not os.path.exists(path):
        return
    totals: dict[str, int] = {}
    with open(path) as handle:
        for line in handle:
            name, count = line.split()
            totals[name] = totals.get(name, 0) + int(count)
    os.unlink(path)
    if not totals:
        return
    terminalreporter.write_sep("-", "fault injection")
    terminalreporter.write_line(
        f"kills survived: {totals.get('kills_survived', 0)} of {totals.get('kills', 0)} "
        f"(kill -9 at staging, dedup, write; rerun identical, no debris) | "
        f"hostile inputs tried: {totals.get('hostile_inputs', 0)} | "
        f"concurrent runs: {totals.get('concurrent_runs', 0)} | rows lost: {totals.get('rows_lost', 0)}")


@pytest.fixture
def gcs_endpoint(monkeypatch):
    """A Cloud Storage API served locally (gcp-storage-emulator, in this process), with gcsfs and
    google-cloud-storage (Beam's client) pointed at it; stopped after the test."""
    emulator = pytest.importorskip("gcp_storage_emulator.server")
    gcsfs_core = pytest.importorskip("gcsfs.core")
    import fsspec
    from gcp_storage_emulator.handlers import objects

    def move(request, response, storage, *args, **kwargs):
        # gcsfs moves with the moveTo API, which the emulator lacks: serve it as copy + delete
        bucket, source, target = (request.params[k] for k in ("bucket_name", "object_id", "dest_object_id"))
        try:
            response.json(objects._copy(request.base_url, storage, bucket, source, bucket, target))
        except Exception:  # noqa: BLE001 - the emulator's NotFound
            response.status = 404
            return
        objects._delete(storage, bucket, source)

    route = (r"^/storage/v1/b/(?P<bucket_name>[-.\w]+)/o/(?P<object_id>.*[^/]+)/moveTo/o/"
             r"(?P<dest_object_id>.*[^/]+)$", {"POST": move})
    monkeypatch.setattr(emulator, "HANDLERS", (route, *emulator.HANDLERS))
    from tests.pubsub_emulator import free_port

    port = free_port()
    server = emulator.create_server("127.0.0.1", port, in_memory=True)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    previous = fsspec.get_filesystem_class("gs")
    # gcsfs' default class first asks a gRPC control API for the bucket type, which no emulator serves
    fsspec.register_implementation("gs", gcsfs_core.GCSFileSystem, clobber=True)
    monkeypatch.setenv("STORAGE_EMULATOR_HOST", endpoint)
    monkeypatch.setitem(fsspec.config.conf, "gs", {"endpoint_url": endpoint, "token": "anon"})
    gcsfs_core.GCSFileSystem.clear_instance_cache()
    try:
        yield endpoint
    finally:
        server.stop()
        gcsfs_core.GCSFileSystem.clear_instance_cache()
        fsspec.register_implementation("gs", previous, clobber=True)
