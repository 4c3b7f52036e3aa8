"""The output lease and the sweep of dead runs' debris (pipeline/runlock.py), in-process and fast;
tests/test_faults.py does the same with real processes and kill -9."""

from __future__ import annotations

import datetime as dt
import json
import os
import time

import fsspec
import pytest

from pipeline.cli import _run_id
from pipeline.runlock import LEASE_NAME, LeaseHeld, OutputLease, sweep_debris, sweep_line


def test_a_held_local_lease_refuses_a_second_run_in_one_line(tmp_path):
    out = str(tmp_path / "out")
    with OutputLease(out, "run-a"):
        with pytest.raises(LeaseHeld) as refused:
            OutputLease(out, "run-b").acquire()
        message = str(refused.value)
        assert "in use by run run-a" in message and f"process {os.getpid()}" in message
        assert "\n" not in message
    assert not (tmp_path / "out" / "_staging").exists()  # released: nothing left behind
    with OutputLease(out, "run-b"):  # free again
        pass


def test_a_lease_left_by_a_dead_process_is_free(tmp_path):
    """kill -9 leaves the lease file; the kernel dropped its lock, so the next run takes it."""
    staging = tmp_path / "out" / "_staging"
    staging.mkdir(parents=True)
    (staging / LEASE_NAME).write_text(json.dumps({"run_id": "dead", "pid": 999999}))
    with OutputLease(str(tmp_path / "out"), "alive"):
        holder = json.loads((staging / LEASE_NAME).read_text())
        assert holder["run_id"] == "alive"


def test_object_store_lease_refuses_while_renewed_and_is_taken_over_when_expired():
    out = f"memory://lease-{time.time_ns()}/out"
    fs = fsspec.filesystem("memory")
    with OutputLease(out, "run-a", lease_seconds=60):
        with pytest.raises(LeaseHeld, match="in use by run run-a"):
            OutputLease(out, "run-b").acquire()
    assert not fs.exists(f"{out}/_staging/{LEASE_NAME}")
    with fs.open(f"{out}/_staging/{LEASE_NAME}", "w") as handle:  # a holder that stopped renewing
        json.dump({"run_id": "gone", "renewed_at": time.time() - 120, "lease_seconds": 60}, handle)
    lease = OutputLease(out, "run-c", lease_seconds=60).acquire()
    try:
        with fs.open(f"{out}/_staging/{LEASE_NAME}") as handle:
            assert json.load(handle)["run_id"] == "run-c"
    finally:
        lease.release()


def test_sweep_removes_dead_runs_staging_and_temp_files_but_not_finished_files(tmp_path):
    out = tmp_path / "out"
    (out / "_staging" / "dead-run" / "dedup-1").mkdir(parents=True)
    (out / "_staging" / "dead-run" / "a.parquet").write_bytes(b"x" * 1000)
    (out / "_staging" / "dead-run" / "dedup-1" / "b.pkl").write_bytes(b"y" * 500)
    (out / "_staging" / "own-run").mkdir()
    part = out / "articles" / "date=2024-01-01" / "topic=sport"
    part.mkdir(parents=True)
    (part / "part-abc.parquet").write_bytes(b"final")
    (part / ".part-abc.parquet.123.tmp").write_bytes(b"half")
    (out / "_runs").mkdir()
    (out / "_runs" / ".probe-1.tmp").write_bytes(b"ok")
    index = tmp_path / "shared-index" / "date=2024-01-01"
    index.mkdir(parents=True)
    (index / ".part-x.1.tmp").write_bytes(b"fresh")  # a shared index: young temp files may be live
    old = index / ".part-y.2.tmp"
    old.write_bytes(b"old")
    past = time.time() - 3600
    os.utime(old, (past, past))
    report = sweep_debris(str(out), "own-run", dedup_index=str(tmp_path / "shared-index"), older_than_s=600)
    assert report["runs"] == ["dead-run"] and report["staging_folders"] == 1 and report["temp_files"] == 3
    assert not (out / "_staging" / "dead-run").exists() and (out / "_staging" / "own-run").exists()
    assert (part / "part-abc.parquet").exists() and not (part / ".part-abc.parquet.123.tmp").exists()
    assert (index / ".part-x.1.tmp").exists() and not old.exists()
    line = sweep_line(report)
    assert line.startswith("newsbeam: removed debris of dead runs: 1 staging folder(s) (dead-run), 3 temporary")
    assert sweep_line(sweep_debris(str(out), "own-run")) is None  # nothing left to say


def test_run_ids_are_unique_per_invocation_even_in_the_same_second():
    started = dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc)
    ids = {_run_id(started) for _ in range(1000)}
    assert len(ids) == 1000 and all(i.startswith("20240101T000000Z-") for i in ids)
