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


def manifest_document(counts: dict, run_info: dict) -> dict:
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
    """(count name, n) pairs -> one manifest JSON under OUT/_runs/; outputs the document."""

    def __init__(self, output: str, run_info: dict):
        super().__init__()
        self.output, self.run_info = output, run_info

    def expand(self, counts):
        output, run_info = self.output, self.run_info

        def write(totals):
            document = manifest_document(totals, run_info)
            write_manifest(output, document)
            return document

        return (
            counts
            | "Sum" >> beam.CombinePerKey(sum)
            | "ToDict" >> beam.combiners.ToDict()
            | "Write" >> beam.Map(write)
        )
