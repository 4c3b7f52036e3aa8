"""`newsbeam run --streaming` on the local runner: keep watching the inputs.

Every `--poll-interval` seconds the inputs are listed again; files not processed before (by URI,
size and modification time) run through the same batch graph as one micro-batch, with its own
manifest `_runs/<run_id>-bNNNN.json`. Copies across micro-batches fold through the cross-run dedup
index (`--dedup-index`, default `OUT/_dedup_index`), so the tables look as if one batch run had
seen everything. Which files were processed is kept in `OUT/_runs/_watch_state.json`, written
after each successful micro-batch: a restarted watcher resumes where it stopped.

Beam's local runners execute a bounded graph at a time (the FnApiRunner only emits a
`PeriodicImpulse` stream when it stops), so the watcher drives the batch graph rather than
running one unbounded pipeline; on Dataflow, scheduled batch runs with `--dedup-index` give the
same result.
"""

from __future__ import annotations

import argparse
import json
import logging
import time
import fsspec

from transforms.read import expand_input

LOG = logging.getLogger("newsbeam.watch")
STATE = "_runs/_watch_state.json"


def _state_path(output: str) -> tuple[fsspec.AbstractFileSystem, str]:
    fs, root = fsspec.core.url_to_fs(output.rstrip("/"))
    return fs, f"{root}/{STATE}"


def load_state(output: str) -> dict:
    """{"files": {uri: [size, mtime]}, "batches": n} of what earlier micro-batches processed."""
    fs, path = _state_path(output)
    if not fs.exists(path):
        return {"files": {}, "batches": 0}
    with fs.open(path, "r") as handle:
        return json.load(handle)


def save_state(output: str, state: dict) -> None:
    fs, path = _state_path(output)
    temp = path + ".tmp"
    with fs.open(temp, "w") as handle:
        json.dump(state, handle, sort_keys=True)
    fs.mv(temp, path)


def new_files(inputs: list[str], state: dict[str, list]) -> list[tuple[str, list]]:
    """(uri, [size, mtime]) of every matched file that is new or changed since it was processed."""
    found = {}
    for url in inputs:
        for ref in expand_input(url):
            found[ref.uri] = [ref.size, ref.mtime]
    return [(uri, stamp) for uri, stamp in sorted(found.items()) if state.get(uri) != stamp]


def watch(ours: argparse.Namespace, argv: list[str]) -> None:
    """Process new input files as micro-batches until `--max-polls` looks (or forever)."""
    from pipeline.cli import run_batch, summary

    if not ours.dedup_index:
        ours.dedup_index = f"{ours.output.rstrip('/')}/_dedup_index"
        argv = [*argv, "--dedup_index", ours.dedup_index]
    base_id = ours.run_id or time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    state = load_state(ours.output)
    polls = 0
    LOG.info("watching %s every %gs (dedup index %s)", ", ".join(ours.input), ours.poll_interval,
             ours.dedup_index)
    while True:
        fresh = new_files(list(ours.input), state["files"])
        if fresh:
            batch = state["batches"] + 1
            manifest = run_batch(ours, argv, [uri for uri, _ in fresh], run_id=f"{base_id}-b{batch:04d}")
            state["files"].update(dict(fresh))
            state["batches"] = batch
            save_state(ours.output, state)
            print(summary(manifest), flush=True)
        polls += 1
        if ours.max_polls is not None and polls >= ours.max_polls:
            return
        time.sleep(ours.poll_interval)
