"""Flex Template entry point: `newsbeam run` with the template's parameters (batch, or the
streaming graph with `streaming=true`: `deploy/launch_streaming.sh`).

On Dataflow the CLI returns as soon as the job is submitted (a Flex Template launcher must not
wait for the job); the pipeline writes its own `_runs/<run_id>.json` manifest when it finishes.
"""

import sys

from pipeline.cli import main


def launcher_arguments(argv: list[str]) -> list[str]:
    """Template parameters arrive as --name=value: `--streaming=true` becomes Beam's `--streaming` flag."""
    out = []
    for arg in argv:
        if arg.lower().startswith("--streaming="):
            if arg.split("=", 1)[1].lower() in ("true", "1", "yes"):
                out.append("--streaming")
            continue
        out.append(arg)
    return out


if __name__ == "__main__":
    sys.exit(main(["run", *launcher_arguments(sys.argv[1:])]))
