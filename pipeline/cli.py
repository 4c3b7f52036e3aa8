"""`newsbeam run --input URL --output URL [options] [Beam options]`.

Exit status: 0 when the job completed (dead letters included), 2 when it cannot start (bad
options, input missing, output not writable), 1 when the runner reports a failure; errors are one
line on stderr, never a traceback.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import logging
import sys
import uuid
from importlib import metadata
from typing import Optional, Sequence

import fsspec


LOG = logging.getLogger("newsbeam")

BEAM_HELP = (
    "--streaming keeps watching the inputs: every --poll-interval seconds the files not seen "
    "before are processed as one batch, and copies across batches fold through a dedup index "
    "(--dedup-index, default OUT/_dedup_index). "
    "Any Apache Beam pipeline option is accepted as well and passed through, e.g. "
    "--runner DataflowRunner --project P --region R --temp_location gs://… to run the same graph "
    "on Dataflow, or --direct_running_mode multi_processing --direct_num_workers 2 locally. "
    "Without --runner the job runs on Beam's local FnApiRunner (no network needed)."
)


class UsageError(Exception):
    """The job cannot start; exit 2 with this message."""


def version() -> str:
    try:
        return metadata.version("newsbeam")
    except metadata.PackageNotFoundError:
        return "0+unknown"


def _run_parser() -> argparse.ArgumentParser:
    from pipeline.options import NewsbeamOptions

    parser = argparse.ArgumentParser(
        prog="newsbeam run",
        description="Read raw news articles from any fsspec location, parse, clean, deduplicate and "
                    "enrich them, and write Hive-partitioned Parquet.",
        epilog=BEAM_HELP,
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
        allow_abbrev=False,
    )
    NewsbeamOptions._add_argparse_args(parser)
    return parser


def _beam_parser() -> argparse.ArgumentParser:
    """A parser that knows every Beam pipeline option, to reject typos instead of ignoring them."""
    from apache_beam.options.pipeline_options import PipelineOptions

    parser = argparse.ArgumentParser(add_help=False, allow_abbrev=False)
    seen, stack = set(), [PipelineOptions]
    while stack:
        cls = stack.pop()
        for sub in cls.__subclasses__():
            if sub not in seen:
                seen.add(sub)
                stack.append(sub)
    from pipeline.options import NewsbeamOptions

    for cls in seen:
        if cls is NewsbeamOptions:
            continue
        try:
            cls._add_argparse_args(parser)
        except argparse.ArgumentError:
            continue  # an option two classes both declare
    return parser


def _check_output_writable(output: str) -> None:
    try:
        fs, root = fsspec.core.url_to_fs(output.rstrip("/"))
        fs.makedirs(f"{root}/_runs", exist_ok=True)
        probe = f"{root}/_runs/.probe-{uuid.uuid4().hex}"
        with fs.open(probe, "wb") as handle:
            handle.write(b"ok")
        fs.rm(probe)
    except Exception as exc:  # any backend error means the same thing to the user
        raise UsageError(f"output not writable: {output} ({type(exc).__name__}: {exc})") from exc


def _run_id(started: dt.datetime, settings: dict) -> str:
    digest = hashlib.blake2b(json.dumps(settings, sort_keys=True, default=str).encode(), digest_size=4)
    return f"{started:%Y%m%dT%H%M%SZ}-{digest.hexdigest()}"


LOCAL_MALLOC_ARENAS = 2
# Runners whose workers run on this machine and inherit the launcher's environment: live progress.
LOCAL_RUNNERS = {"DirectRunner", "SwitchingDirectRunner", "BundleBasedDirectRunner", "FnApiRunner"}


def _limit_malloc_arenas(arenas: int = LOCAL_MALLOC_ARENAS) -> None:
    """Cap glibc's malloc arenas in this process and the local SDK workers it starts.

    The local runner and its workers move data on gRPC and worker threads; glibc gives each
    thread its own arena (up to 8 per core) and memory freed in one is not reused by another, so
    resident memory creeps up with the input (measured: 100k articles, two workers, peak RSS of
    the process tree 2.7 GB with the default, 2.0 GB with 2 arenas, same wall time). A no-op where
    libc is not glibc; a value the user set in `MALLOC_ARENA_MAX` is kept.
    """
    import ctypes
    import ctypes.util
    import os

    if "MALLOC_ARENA_MAX" in os.environ:
        return
    os.environ["MALLOC_ARENA_MAX"] = str(arenas)  # read by each worker process at its start
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        libc.mallopt(-8, arenas)  # M_ARENA_MAX: this process is already running
    except (OSError, AttributeError):
        pass


def _local_runner(options):
    """Beam's FnApiRunner, chosen explicitly: DirectRunner would first try to download Prism."""
    _limit_malloc_arenas()
    from apache_beam.portability.api import beam_provision_api_pb2
    from apache_beam.runners.portability.fn_api_runner import fn_runner
    from apache_beam.runners.portability.portable_runner import JobServiceHandle

    from pipeline import progress

    encoded = JobServiceHandle.encode_pipeline_options(options.get_all_options())
    provision = fn_runner.ExtendedProvisionInfo(
        beam_provision_api_pb2.ProvisionInfo(pipeline_options=encoded))
    return progress.local_runner(provision_info=provision)


def run(argv: Sequence[str]) -> dict | None:
    """Run one job from command-line arguments; returns the manifest for blocking runners.

    With `--streaming` on the local runner it keeps watching the inputs instead (see
    `pipeline.watch`) and returns the manifest of its last batch.
    """
    from apache_beam.options.pipeline_options import PipelineOptions, StandardOptions

    from pipeline.options import NewsbeamOptions
    from transforms.read import input_exists

    ours, rest = _run_parser().parse_known_args(argv)
    _, unknown = _beam_parser().parse_known_args(rest)
    if unknown:
        raise UsageError(f"unknown option {unknown[0]} (see `newsbeam run --help`)")
    if not ours.input:
        raise UsageError("--input is required")
    if not ours.output:
        raise UsageError("--output is required")
    for url in ours.input:
        if not input_exists(url):
            raise UsageError(f"input not found: {url}")
    _check_output_writable(ours.output)
    nb = PipelineOptions(list(argv)).view_as(NewsbeamOptions)
    try:  # every setting is checked here, so a bad value is a usage error, not a failed job
        nb.read_limits(), nb.write_options(), nb.dedup_options()
    except ValueError as exc:
        raise UsageError(str(exc)) from exc
    if ours.poll_interval < 0 or (ours.max_polls is not None and ours.max_polls < 1):
        raise UsageError("--poll-interval must be >= 0 and --max-polls >= 1")
    standard = nb.view_as(StandardOptions)
    if standard.streaming:
        if standard.runner:
            raise UsageError(
                f"--streaming runs on the local runner only; on {standard.runner} launch scheduled batch "
                "runs with --dedup-index instead (deploy/schedule_batch.sh)")
        from pipeline.watch import watch

        return watch(ours, [a for a in argv if a != "--streaming"])
    return run_batch(ours, list(argv), list(ours.input))


def run_batch(ours: argparse.Namespace, argv: list[str], inputs: list[str],
              run_id: Optional[str] = None) -> dict | None:
    """One batch job over `inputs` with the options in `argv`; the manifest when it waited."""
    import apache_beam as beam
    from apache_beam.options.pipeline_options import PipelineOptions, StandardOptions

    from pipeline import progress
    from pipeline.graph import build_pipeline
    from pipeline.options import NewsbeamOptions

    options = PipelineOptions(argv)
    nb = options.view_as(NewsbeamOptions)
    runner_name = options.view_as(StandardOptions).runner
    started = dt.datetime.now(dt.timezone.utc)
    settings = {k: v for k, v in vars(ours).items()}
    run_info = {
        "run_id": run_id or nb.run_id or _run_id(started, settings),
        "version": version(),
        "started_at": started.isoformat(),
        "inputs": inputs,
        "output": ours.output,
        "options": settings,
        "runner": runner_name or "FnApiRunner (local)",
    }
    runner = None if runner_name else _local_runner(options)
    pipeline = beam.Pipeline(runner=runner, options=options)
    build_pipeline(pipeline, inputs, ours.output, run_info=run_info)
    local = not runner_name or runner_name.split(".")[-1] in LOCAL_RUNNERS
    with progress.live(nb.progress if local else "off", label="newsbeam"):
        result = pipeline.run()
        if runner_name and "dataflow" in runner_name.lower():
            LOG.info("submitted Dataflow job %s", getattr(result, "job_id", lambda: "?")())
            return None
        state = result.wait_until_finish()
    if str(state).upper().endswith(("FAILED", "CANCELLED")):
        raise RuntimeError(f"runner reported {state}")
    manifest = read_manifest(ours.output, run_info["run_id"])
    manifest["counters"] = _counters(result)
    return manifest


def _counters(result) -> dict:
    """newsbeam's Beam counters of a finished run (bytes read, WARC records skipped, …)."""
    from apache_beam.metrics.metric import MetricsFilter

    try:
        found = result.metrics().query(MetricsFilter().with_namespace("newsbeam"))["counters"]
    except Exception:  # a runner without metrics support: the summary just shows less
        return {}
    totals: dict = {}
    for counter in found:
        totals[counter.key.metric.name] = totals.get(counter.key.metric.name, 0) + (counter.committed or 0)
    return totals


def read_manifest(output: str, run_id: str) -> dict:
    fs, root = fsspec.core.url_to_fs(output.rstrip("/"))
    with fs.open(f"{root}/_runs/{run_id}.json", "r") as handle:
        return json.load(handle)


def summary(manifest: dict) -> str:
    """The end-of-run summary: counts per table, exact and near duplicates, dead letters by stage
    and their top reasons, wall time and rates, and where the output and its report are.

    Counts come from the manifest (the accounting); the breakdowns from the rows this run wrote
    (ingested since it started), read back with DuckDB. If they cannot be read, the summary
    shows the counts alone."""
    from pipeline import progress, report

    counts = manifest["counts"]
    out = manifest["output"].rstrip("/")
    seconds = manifest.get("duration_s") or 0.0
    rate = lambda n: (f"{n / seconds:,.1f}/s" if n < 10 * seconds else f"{n / seconds:,.0f}/s") if seconds else "-"  # noqa: E731
    figures = None
    try:
        LOG.info("reading this run's rows back for the summary")
        since = manifest.get("started_at")
        figures = report.collect(out, since=dt.datetime.fromisoformat(since) if since else None)
    except Exception as exc:  # noqa: BLE001 - the summary must never fail a finished job
        LOG.warning("summary: could not read the written tables back (%s: %s)", type(exc).__name__, exc)
    methods = {r["name"]: r["n"] for r in figures["methods"]} if figures else {}
    counters = manifest.get("counters") or {}
    lines = [
        f"newsbeam run {manifest['run_id']} finished in {seconds:,.1f} s",
        f"  files matched  {counts['files_matched']:>9,}"
        + (f"   {progress.human_bytes(counters['bytes_read'])} read" if counters.get("bytes_read") else ""),
        f"  records read   {counts['records_in']:>9,}   {rate(counts['records_in'])}",
        f"  articles       {counts['articles']:>9,}   {rate(counts['articles'])}   {out}/articles/",
        f"  duplicates     {counts['duplicates']:>9,}   "
        + (f"exact {methods.get('exact', 0):,}, near {methods.get('near', 0):,}   " if figures else "")
        + f"{out}/duplicates/",
        f"  dead letters   {counts['dead_letter']:>9,}   {out}/dead_letter/",
    ]
    if figures:
        lines += report.dead_letter_lines(figures, limit=5)
    if counters.get("warc_records_skipped"):
        lines.append(f"  (WARC records skipped on purpose: {counters['warc_records_skipped']} "
                     "request/metadata/revisit/non-HTML; not article records)")
    lines += [
        f"  accounting     {'balanced' if manifest['balanced'] else 'NOT BALANCED'}"
        f" (records read = articles + duplicates + dead letters)",
        f"  manifest       {out}/_runs/{manifest['run_id']}.json",
    ]
    if figures and figures["counts"]["articles"]:
        total = figures["counts"]["articles"]
        lines += [report.top_line("topics", figures["topics"], total, width=15),
                  report.top_line("languages", figures["languages"], total, width=15)]
    lines.append(f"  report         newsbeam report {out} --html {out}/report.html")
    return "\n".join(lines)


def main(argv: Optional[Sequence[str]] = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    LOG.setLevel(logging.INFO)
    if not argv or argv[0] in ("-h", "--help"):
        print("usage: newsbeam run --input URL [--input URL ...] --output URL [options]\n"
              "       newsbeam report OUT [--html FILE]\n"
              "       newsbeam --version\n\n`newsbeam run --help` lists every option.")
        return 0 if argv else 2
    if argv[0] == "--version":
        print(version())
        return 0
    if argv[0] == "report":
        from pipeline import report

        return report.main(argv[1:])
    if argv[0] != "run":
        print(f"newsbeam: error: unknown command {argv[0]!r} (expected `run` or `report`)", file=sys.stderr)
        return 2
    if any(a in ("-h", "--help") for a in argv[1:]):
        _run_parser().print_help()
        return 0
    try:
        manifest = run(argv[1:])
    except UsageError as exc:
        print(f"newsbeam: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("newsbeam: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # the runner's failure, reported in one line
        message = " ".join(str(exc).split())[:500]
        print(f"newsbeam: error: job failed: {type(exc).__name__}: {message}", file=sys.stderr)
        return 1
    if manifest is not None:
        print(summary(manifest))
    return 0
