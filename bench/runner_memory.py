"""Where the local runner's memory goes: RSS and live PCollection buffers after every stage.

    python -m bench.runner_memory -- --input bench/corpus/n20000/jsonl --output /tmp/out --skip_enrich

Runs `newsbeam run …` in this process on FnApiRunner (one worker) and, after each fused stage,
prints the process RSS and the biggest buffers the runner holds between stages: list buffers
(encoded elements waiting for the next stage) and grouping buffers (GroupByKey input, kept
*decoded*). BEAM-NOTES says FnApiRunner holds whole PCollections at shuffle boundaries; this shows
which ones, so that what crosses them can be made small.
"""

from __future__ import annotations

import sys
import time
from typing import Optional


def _rss_mib() -> float:
    with open("/proc/self/statm") as handle:
        import os
        return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def _buffer_size(buffer) -> tuple[str, int, int]:
    """(kind, elements, encoded bytes or -1) of a runner buffer."""
    inputs = getattr(buffer, "_inputs", None)
    if inputs is not None:
        return "list", len(inputs), sum(len(b) for b in inputs)
    table = getattr(buffer, "_table", None)
    if table is not None:
        return "group", sum(len(v) for v in table.values()), -1
    return type(buffer).__name__, 0, -1


def main(argv: Optional[list[str]] = None) -> None:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] == "--":
        argv = argv[1:]
    from apache_beam.runners.portability.fn_api_runner import fn_runner

    from pipeline import cli

    original = fn_runner.FnApiRunner._execute_bundle
    started = time.perf_counter()

    def traced(self, context, bundle_context_manager, bundle_input):
        result = original(self, context, bundle_context_manager, bundle_input)
        stage = bundle_context_manager.stage.name
        sizes = sorted(((_buffer_size(b), name) for name, b in context.pcoll_buffers.items()),
                       key=lambda item: -item[0][1])[:3]
        held = "; ".join(f"{kind} {n} el{'' if size < 0 else f' {size / 2**20:.0f} MiB'} {name.decode(errors='replace')[-50:]}"
                         for (kind, n, size), name in sizes if n)
        print(f"{time.perf_counter() - started:7.1f}s rss {_rss_mib():7.0f} MiB  {stage[:70]:70s} | {held}",
              file=sys.stderr, flush=True)
        return result

    fn_runner.FnApiRunner._execute_bundle = traced
    cli.run(argv)


if __name__ == "__main__":
    main()
