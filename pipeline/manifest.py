"""The run manifest `_runs/<run_id>.json`: inputs, options, version, timings and the accounting.

Written by the pipeline itself (not the launcher), so it exists on every runner, including a
Dataflow job whose launcher returned long ago. `balanced` is the nothing-lost invariant:
records_in == articles + duplicates + dead_letters.
"""

from __future__ import annotations

import datetime as dt
import json

import apache_beam as beam
import fsspec

from transforms.model import UTC

COUNTS = ("files_matched", "records_in", "articles", "duplicates", "dead_letter")


def _breakdown(counts: dict, prefix: str) -> dict:
    """{"a:b": n, ...} counts named `prefix:a:b` -> nested {"a": {"b": n}}."""
    tree: dict = {}
    for name, value in sorted(counts.items()):
        if not name.startswith(prefix + ":"):
            continue
        *path, leaf = name[len(prefix) + 1:].split(":")
        node = tree
        for part in path:
            node = node.setdefault(part, {})
        node[leaf] = node.get(leaf, 0) + int(value)
    return tree


def manifest_document(counts: dict, run_info: dict) -> dict:
    """The manifest of a run from its in-pipeline counts: the accounting (`counts`, `balanced`),
    dead letters by stage and error type, duplicates by method (`exact` / `near`)."""
    totals = {name: int(counts.get(name, 0)) for name in COUNTS}
    finished = dt.datetime.now(UTC)
    started = run_info.get("started_at")
    out = totals["articles"] + totals["duplicates"] + totals["dead_letter"]
    return {
        **run_info,
        "finished_at": finished.isoformat(),
        "duration_s": round(finished.timestamp() - dt.datetime.fromisoformat(started).timestamp(), 3)
        if started else None,
        "counts": totals,
        "dead_letter_by_stage": _breakdown(counts, "dead_letter"),
        "duplicates_by_method": _breakdown(counts, "duplicates"),
        "balanced": totals["records_in"] == out,
    }


def write_manifest(output: str, document: dict) -> str:
    fs, root = fsspec.core.url_to_fs(output.rstrip("/"))
    folder = f"{root}/_runs"
    fs.makedirs(folder, exist_ok=True)
    path = f"{folder}/{document['run_id']}.json"
    with fs.open(path, "w") as handle:
        json.dump(document, handle, indent=2, sort_keys=True)
    return path


class WriteManifest(beam.PTransform):
    """(count name, n) pairs -> one manifest JSON under OUT/_runs/; outputs the document.

    With a `plan` (an incremental run) it first commits the run's pending output
    (`pipeline.incremental.commit`): the manifest exists only for a committed run."""

    def __init__(self, output: str, run_info: dict, plan=None):
        super().__init__()
        self.output, self.run_info, self.plan = output, run_info, plan

    def expand(self, counts):
        output, run_info, plan = self.output, self.run_info, self.plan

        def write(totals):
            document = manifest_document(totals, run_info)
            if plan is not None:  # the run's output is committed, then the manifest written
                from pipeline.incremental import commit

                return commit(plan, document)
            write_manifest(output, document)
            return document

        return (
            counts
            | "Sum" >> beam.CombinePerKey(sum)
            | "ToDict" >> beam.combiners.ToDict()
            | "Write" >> beam.Map(write)
        )
