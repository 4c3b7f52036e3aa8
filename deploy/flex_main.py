"""Flex Template entry point: `newsbeam run` with the template's parameters.

On Dataflow the CLI returns as soon as the job is submitted (a Flex Template launcher must not
wait for the job); the pipeline writes its own `_runs/<run_id>.json` manifest when it finishes.
"""

import sys

from pipeline.cli import main

if __name__ == "__main__":
    sys.exit(main(["run", *sys.argv[1:]]))
