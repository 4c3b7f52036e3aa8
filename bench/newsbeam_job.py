"""One timed newsbeam job for the benchmark: `newsbeam run` plus the runner's per-step timings.

`python -m bench.newsbeam_job --json FILE -- --input … --output … [newsbeam/Beam options]`
runs exactly what `newsbeam run …` runs (the same CLI code path) and writes FILE with the run
manifest, the wall time and the milliseconds Beam's runner attributes to each top-level step of
the graph (Read, Split, Parse, Clean, Dedup, Enrich, Write…), summed over workers: CPU time per
stage rather than wall time, since stages overlap in a streaming runner.
"""

from __future__ import annotations

import argparse
import collections
import json
import sys
import time
from typing import Optional

EXECUTION_TIME = "metric:ptransform_execution_time:total_msecs:v1"


def stage_of(step: str) -> str:
    """Top-level step of a fully qualified transform label: `Dedup/SameId/Group` -> `dedup`;
    enrichment runs inside the writer (`Write/Enrich`) and is reported as `enrich`."""
    if step.startswith("Write/Enrich"):
        return "enrich"
    head = step.split("/", 1)[0]
    for prefix in ("Write", "Count"):
        if head.startswith(prefix):
            return prefix.lower()
    return head.lower()


def step_seconds(result) -> dict[str, float]:
    """Seconds the runner spent per top-level step (empty when the runner reports none)."""
    totals: dict[str, float] = collections.defaultdict(float)
    try:
        counters = result.monitoring_metrics().query()["counters"]
    except Exception:  # runners without monitoring metrics
        return {}
    for counter in counters:
        if counter.key.metric.name == EXECUTION_TIME and counter.key.step:
            totals[stage_of(counter.key.step)] += (counter.committed or 0) / 1000.0
    return {k: round(v, 3) for k, v in sorted(totals.items(), key=lambda kv: -kv[1]) if v > 0}


def run(argv: list[str]) -> dict:
    import apache_beam as beam

    from pipeline import cli

    captured = {}
    original_run = beam.Pipeline.run

    def capturing_run(self, *args, **kwargs):  # keep the result object the CLI does not return
        captured["result"] = original_run(self, *args, **kwargs)
        return captured["result"]

    beam.Pipeline.run = capturing_run
    started = time.perf_counter()
    try:
        manifest = cli.run(argv)
    finally:
        beam.Pipeline.run = original_run
    seconds = time.perf_counter() - started
    return {
        "tool": "newsbeam",
        "seconds": seconds,
        "manifest": manifest,
        "records_in": (manifest or {}).get("counts", {}).get("records_in"),
        "stages": step_seconds(captured.get("result")),
    }


def main(argv: Optional[list[str]] = None) -> None:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = argparse.ArgumentParser(prog="python -m bench.newsbeam_job")
    parser.add_argument("--json", required=True)
    split = argv.index("--") if "--" in argv else len(argv)
    args = parser.parse_args(argv[:split])
    result = run(argv[split + 1:])
    with open(args.json, "w") as handle:
        json.dump(result, handle, default=str)


if __name__ == "__main__":
    main()
