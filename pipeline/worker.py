"""`python -m pipeline.worker`: Beam's SDK worker process for local multi-process runs, with progress.

`--direct_running_mode multi_processing` starts each worker as `python -m
apache_beam.runners.worker.sdk_worker_main`; newsbeam's local runner
(`pipeline.progress.local_runner`) starts this module instead, which runs that same `main`. A
worker process loads Apache Beam and its dependencies (about 1,500 modules, seconds of work)
before it can take any: with a live progress listener (`NEWSBEAM_PROGRESS`) the worker reports
`workers/launched` at once, `workers/modules` while it loads, `workers/ready` once Beam's
worker code is loaded and it connects to the runner, and `workers/stopped` when the runner let it
go at the end. Without one it only runs Beam's `main`. Once `main` returns (the runner closed the
connection: the job is done) the process exits at once, without the interpreter's teardown.
"""

from __future__ import annotations

import os
import sys

from transforms import progress


def main(argv: list[str]) -> None:
    progress.add("workers", launched=1)
    with progress.LoadingModules("workers"):
        from apache_beam.runners.worker import sdk_worker_main
    progress.add("workers", ready=1)
    progress.flush()
    sdk_worker_main.main(argv)
    progress.add("workers", stopped=1)  # the runner closed its connection: the job is done
    progress.flush()
    # Nothing is left to do, and tearing the interpreter down (its modules and a heap of up to a
    # gigabyte) took 1.7-3 s per worker on the shared 2-core machine, while the runner waits for
    # the process to exit, one worker after the other, before the run can end.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


if __name__ == "__main__":
    main(sys.argv)
