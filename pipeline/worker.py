"""`python -m pipeline.worker`: Beam's SDK worker process for local multi-process runs, with progress.

`--direct_running_mode multi_processing` starts each worker as `python -m
apache_beam.runners.worker.sdk_worker_main`; newsbeam's local runner
(`pipeline.progress.local_runner`) starts this module instead, which runs that same `main`. A
worker process loads Apache Beam and its dependencies (about 1,500 modules, seconds of work)
before it can take any: with a live progress listener (`NEWSBEAM_PROGRESS`) the worker reports
`workers/launched` at once, `workers/modules` while it loads, `workers/ready` once Beam's
worker code is loaded and it connects to the runner, and `workers/stopped` when the runner let it
go at the end. Without one it only runs Beam's `main`.
"""

from __future__ import annotations

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


if __name__ == "__main__":
    main(sys.argv)
