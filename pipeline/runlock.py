"""One batch run at a time per output, and no debris left by runs that died.

`OutputLease` is held by a batch run from before it writes anything into OUT until it ends:

- On a local file system it is an exclusive `flock` on `OUT/_staging/_lease.json`, which also
  names the holder (run id, host, process id, start time) for the message a second run prints.
  The kernel releases the lock when its process ends, however it ends (kill -9 included), so a
  lock that can be taken proves that its last holder is dead.
- On other file systems (object stores, `memory://`) it is the same JSON file with a heartbeat:
  the launcher rewrites `renewed_at` every `LEASE_SECONDS / 4`, and a lease not renewed for
  `LEASE_SECONDS` belongs to a dead run and may be taken over.

A second run into the same OUT while the lease is held refuses with one line (exit 2) and
creates nothing. Holding the lease, a run sweeps what dead runs left behind (`sweep_debris`):
every other run's folder under `OUT/_staging/`, and the hidden temporary files (`.*.tmp`) that
writers move into place when complete, under OUT; in a dedup index outside OUT (which other
outputs' runs may share) only temporary files older than `LEASE_SECONDS` go. It says what it
removed in one line.

Runners whose launcher returns once the job is submitted (Dataflow) cannot hold a lease for the
job's lifetime; they take none and do not sweep (each run's staging folder is still its own).
"""

from __future__ import annotations

import json
import logging
import os
import socket
import threading
import time
from typing import Optional

import fsspec

from transforms.stage import STAGING_DIR

LOG = logging.getLogger("newsbeam")

LEASE_NAME = "_lease.json"
LEASE_SECONDS = 300.0
# Under OUT: the tables' folders and the run records, where writers leave `.…tmp` files.
PENDING_DIR = "_pending"  # pipeline.incremental.PENDING_DIR
COMMIT_JOURNAL = "_COMMIT.json"  # pipeline.incremental.JOURNAL
SWEPT_FOLDERS = ("articles", "duplicates", "dead_letter", "_runs", "_dedup_index")


class LeaseHeld(Exception):
    """Another live run holds the output's lease."""


def _is_local(fs: fsspec.AbstractFileSystem) -> bool:
    protocols = fs.protocol if isinstance(fs.protocol, tuple) else (fs.protocol,)
    return "file" in protocols or "local" in protocols


def _holder_line(holder: dict) -> str:
    renewed = holder.get("renewed_at")
    age = f", renewed {time.time() - renewed:.0f} s ago" if isinstance(renewed, (int, float)) else ""
    return (f"run {holder.get('run_id', '?')} (process {holder.get('pid', '?')} on {holder.get('host', '?')}, "
            f"started {holder.get('started_at', '?')}{age})")


class OutputLease:
    """The lease on one output; `acquire()` raises `LeaseHeld` with a one-line reason."""

    def __init__(self, output: str, run_id: str, lease_seconds: float = LEASE_SECONDS):
        self.output, self.run_id, self.lease_seconds = output.rstrip("/"), run_id, lease_seconds
        self.fs, root = fsspec.core.url_to_fs(self.output)
        self.root = root.rstrip("/")
        self.folder = f"{self.root}/{STAGING_DIR}"
        self.path = f"{self.folder}/{LEASE_NAME}"
        self._fd: Optional[int] = None
        self._stop = threading.Event()
        self._thread: Optional[threading.Thread] = None

    def _holder(self) -> dict:
        return {"run_id": self.run_id, "host": socket.gethostname(), "pid": os.getpid(),
                "started_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                "renewed_at": time.time(), "lease_seconds": self.lease_seconds}

    # --- local: flock ---------------------------------------------------------------------------

    def _acquire_local(self) -> None:
        import fcntl

        os.makedirs(self.folder, exist_ok=True)
        while True:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                try:
                    holder = json.loads(os.pread(fd, 65536, 0) or b"{}")
                except ValueError:
                    holder = {}
                os.close(fd)
                raise LeaseHeld(f"{self.output} is in use by {_holder_line(holder)}; wait for it to finish "
                                "or write to another --output") from None
            try:  # the file may have been removed by its last holder between our open and lock
                same = os.fstat(fd).st_ino == os.stat(self.path).st_ino
            except FileNotFoundError:
                same = False
            if same:
                break
            os.close(fd)
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(self._holder()).encode(), 0)
        self._fd = fd

    def _release_local(self) -> None:
        try:
            os.unlink(self.path)
        except FileNotFoundError:
            pass
        os.close(self._fd)
        self._fd = None

    # --- other file systems: heartbeat ----------------------------------------------------------

    def _read_remote(self) -> Optional[dict]:
        try:
            with self.fs.open(self.path, "rb") as handle:
                return json.loads(handle.read() or b"{}")
        except FileNotFoundError:
            return None
        except ValueError:
            return {}

    def _write_remote(self, holder: dict) -> None:
        self.fs.makedirs(self.folder, exist_ok=True)
        with self.fs.open(self.path, "wb") as handle:
            handle.write(json.dumps(holder).encode())

    def _acquire_remote(self) -> None:
        current = self._read_remote()
        if current is not None and current.get("run_id") != self.run_id:
            renewed = current.get("renewed_at")
            ttl = current.get("lease_seconds") or self.lease_seconds
            if isinstance(renewed, (int, float)) and time.time() - renewed < ttl:
                raise LeaseHeld(f"{self.output} is in use by {_holder_line(current)}; wait for it to finish "
                                "or write to another --output")
            LOG.info("taking over the lease of %s: not renewed for over %g s", _holder_line(current), ttl)
        holder = self._holder()
        self._write_remote(holder)
        time.sleep(0.05)  # no atomic create on object stores: re-read, the last writer wins
        if (self._read_remote() or {}).get("run_id") != self.run_id:
            raise LeaseHeld(f"{self.output} was taken by another run at the same moment")
        self._started = holder["started_at"]
        self._thread = threading.Thread(target=self._renew, name="newsbeam-lease", daemon=True)
        self._thread.start()

    def _renew(self) -> None:
        while not self._stop.wait(self.lease_seconds / 4):
            try:
                self._write_remote({**self._holder(), "started_at": self._started})
            except Exception as exc:  # noqa: BLE001 - a missed renewal is retried at the next tick
                LOG.warning("could not renew the lease on %s: %s", self.output, exc)

    def _release_remote(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        if (self._read_remote() or {}).get("run_id") == self.run_id:
            self.fs.rm(self.path)

    # --- both ----------------------------------------------------------------------------------

    def acquire(self) -> "OutputLease":
        if _is_local(self.fs):
            self._acquire_local()
        else:
            self._acquire_remote()
        return self

    def release(self) -> None:
        try:
            if _is_local(self.fs):
                if self._fd is not None:
                    self._release_local()
            else:
                self._release_remote()
            try:  # leave no empty `_staging/` behind
                if not self.fs.ls(self.folder, detail=False):
                    self.fs.rmdir(self.folder)
            except (FileNotFoundError, OSError):
                pass
        except Exception as exc:  # noqa: BLE001 - the job is over; a lease left behind is harmless
            LOG.warning("could not release the lease on %s: %s", self.output, exc)

    def __enter__(self) -> "OutputLease":
        return self.acquire()

    def __exit__(self, *exc) -> None:
        self.release()


def _size(fs, path: str) -> int:
    try:
        if fs.isdir(path):
            return sum(info.get("size") or 0 for info in fs.find(path, detail=True).values())
        return int(fs.info(path).get("size") or 0)
    except (FileNotFoundError, OSError):
        return 0


def _temp_files(fs, folder: str) -> list[str]:
    try:
        found = fs.find(folder, withdirs=False)
    except (FileNotFoundError, OSError):
        return []
    return [p for p in found if p.rsplit("/", 1)[-1].startswith(".") and p.endswith(".tmp")]


def _remove_run_folders(fs, folder: str, report: dict, keep) -> None:
    """Remove the entries of `folder` that `keep(entry, name)` does not keep, counting them in
    `report` as dead runs' staging folders."""
    try:
        entries = fs.ls(folder, detail=False)
    except (FileNotFoundError, OSError):
        entries = []
    for entry in sorted(entries):
        entry = entry.rstrip("/")
        name = entry.rsplit("/", 1)[-1]
        if keep(entry, name):
            continue
        report["bytes"] += _size(fs, entry)
        fs.rm(entry, recursive=True)
        report["runs"].append(name)
        report["staging_folders"] += 1


def sweep_debris(output: str, own_run: str, dedup_index: Optional[str] = None,
                 older_than_s: float = LEASE_SECONDS) -> dict:
    """Remove what dead runs left in `output` (call only while holding its lease); returns
    {"runs": [run ids], "staging_folders": n, "temp_files": n, "bytes": n}."""
    fs, root = fsspec.core.url_to_fs(output.rstrip("/"))
    root = root.rstrip("/")
    report = {"runs": [], "staging_folders": 0, "temp_files": 0, "bytes": 0}
    _remove_run_folders(fs, f"{root}/{STAGING_DIR}", report,
                        keep=lambda entry, name: name in (LEASE_NAME, own_run))
    # An incremental run's output waits under _pending/<run_id>/ (its staging folder inside) until
    # it commits. A dead run's folder without a commit journal is debris; one with a journal is a
    # commit that was interrupted, which the next run finishes (pipeline.incremental), so it stays.
    _remove_run_folders(fs, f"{root}/{PENDING_DIR}", report,
                        keep=lambda entry, name: name == own_run or fs.exists(f"{entry}/{COMMIT_JOURNAL}"))
    targets = [(f"{root}/{folder}", None) for folder in SWEPT_FOLDERS]
    if dedup_index:
        index_fs, index_root = fsspec.core.url_to_fs(dedup_index.rstrip("/"))
        inside = index_fs is fs and (index_root + "/").startswith(root + "/")
        if not inside:  # shared with other outputs' runs: only what is older than a lease
            targets.append((index_root, (index_fs, older_than_s)))
    for folder, shared in targets:
        target_fs, min_age = shared if shared else (fs, None)
        for path in _temp_files(target_fs, folder):
            if min_age is not None:
                try:
                    modified = target_fs.modified(path).timestamp()
                except (NotImplementedError, OSError, ValueError):
                    continue
                if time.time() - modified < min_age:
                    continue
            report["bytes"] += _size(target_fs, path)
            try:
                target_fs.rm(path)
            except FileNotFoundError:
                continue
            report["temp_files"] += 1
    return report


def sweep_line(report: dict) -> Optional[str]:
    """One line for the user about a sweep, or None when there was nothing to remove."""
    if not report["staging_folders"] and not report["temp_files"]:
        return None
    runs = ", ".join(report["runs"][:3]) + (" …" if len(report["runs"]) > 3 else "")
    return (f"newsbeam: removed debris of dead runs: {report['staging_folders']} staging folder(s)"
            f"{f' ({runs})' if runs else ''}, {report['temp_files']} temporary file(s), "
            f"{report['bytes'] / 1e6:.1f} MB")
