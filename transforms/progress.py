"""Live progress counts of a local run, sent from every worker process to the launcher.

Steps count what they did with `add(stage, name=n, ...)` (the batch graph also pipes
PCollections into `pipeline.graph.Tick`), and the launcher's own phases (planning, the runner's
steps, the commit, the summary) set notes with `note(name, text)`. When the environment variable `NEWSBEAM_PROGRESS` holds `host:port` (the CLI
sets it for local runs only, so Dataflow workers never see it), each process keeps running
totals and a background thread sends them there as one small UDP datagram at most every
`SEND_EVERY` seconds. Without the variable `add` returns at once.

Why a side channel and not Beam metrics: the local FnApiRunner executes the whole pipeline inside
`run()`, and its metrics are only readable from the result once the job has finished. Why UDP:
every worker process (`--direct_running_mode multi_processing` starts them as subprocesses,
which inherit the variable) reaches the launcher without shared files or locks, and sending never
blocks a worker, even when nobody listens. Totals are cumulative per process, so a lost or
reordered datagram costs freshness, not correctness; the listener (`pipeline/progress.py`) keeps
each sender's newest totals and sums them. These are progress figures, not the accounting: the
run manifest holds the exact counts.
"""

from __future__ import annotations

import atexit
import json
import os
import socket
import sys
import threading
import time
import uuid
from typing import Optional

ENV = "NEWSBEAM_PROGRESS"
SEND_EVERY = 0.25  # seconds between two datagrams of one process


class _Sender:
    """Running totals of this process, sent to `address` by a daemon thread."""

    def __init__(self, address: str):
        host, port = address.rsplit(":", 1)
        self.address = address
        self.target = (host, int(port))
        self.pid = os.getpid()
        self.id = f"{self.pid}-{uuid.uuid4().hex[:8]}"
        self.seq = 0
        self.totals: dict[str, int] = {}
        self.notes: dict[str, str] = {}
        self.dirty = False
        self.lock = threading.Lock()
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.setblocking(False)
        threading.Thread(target=self._loop, name="newsbeam-progress", daemon=True).start()
        atexit.register(self.send)

    def add(self, stage: str, counts: dict[str, int]) -> None:
        with self.lock:
            for name, n in counts.items():
                key = f"{stage}/{name}"
                self.totals[key] = self.totals.get(key, 0) + n
            self.dirty = True

    def note(self, name: str, text: str) -> None:
        with self.lock:
            self.notes[name] = text
            self.dirty = True

    def send(self) -> None:
        with self.lock:
            if not self.dirty:
                return
            self.seq += 1
            payload = json.dumps({"id": self.id, "seq": self.seq, "totals": self.totals, "notes": self.notes},
                                 separators=(",", ":")).encode()
            self.dirty = False
        try:
            self.sock.sendto(payload, self.target)
        except OSError:  # nobody listening, or the buffer is full: the next datagram carries it
            pass

    def _loop(self) -> None:
        while True:
            time.sleep(SEND_EVERY)
            self.send()


_sender: Optional[_Sender] = None
_sender_lock = threading.Lock()


def _current() -> Optional[_Sender]:
    global _sender
    address = os.environ.get(ENV)
    if not address:
        return None
    sender = _sender
    if sender is None or sender.address != address or sender.pid != os.getpid():
        with _sender_lock:
            if _sender is None or _sender.address != address or _sender.pid != os.getpid():
                _sender = _Sender(address)
            sender = _sender
    return sender


def add(stage: str, **counts: int) -> None:
    """Add to this process's progress totals of `stage` (no-op unless NEWSBEAM_PROGRESS is set)."""
    sender = _current()
    if sender is not None:
        sender.add(stage, counts)


def note(name: str, text: str) -> None:
    """Set this process's progress note `name` (e.g. the runner's current step) to `text`."""
    sender = _current()
    if sender is not None:
        sender.note(name, text)


def flush() -> None:
    """Send this process's totals now (the launcher's own steps call it before they return)."""
    sender = _current()
    if sender is not None:
        sender.send()


class LoadingModules:
    """While the block runs (a process importing its libraries, which takes seconds before any
    work starts), counts the modules it loads into `stage`/`modules` every `SEND_EVERY` seconds.
    Without a listener it does nothing."""

    def __init__(self, stage: str):
        self.stage = stage
        self._stop = threading.Event()
        self._thread: Optional[threading.Thread] = None

    def _count(self) -> None:
        counted, stopped = self._before, False
        while True:
            loaded = len(sys.modules)
            if loaded != counted:
                add(self.stage, modules=loaded - counted)
                counted = loaded
            if stopped:  # counted once more after the block ended
                return
            stopped = self._stop.wait(SEND_EVERY)

    def __enter__(self) -> "LoadingModules":
        self._before = len(sys.modules)
        if _current() is not None:
            self._thread = threading.Thread(target=self._count, name="newsbeam-progress-loading", daemon=True)
            self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
