"""`newsbeam run --input URL --output URL [options] [Beam options]`.

Exit status: 0 when the job completed (dead letters included), 2 when it cannot start (bad
options, input missing, output not writable), 1 when the runner reports a failure; errors are one
line on stderr, never a traceback.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import sys
import uuid
from importlib import metadata
from typing import Optional, Sequence

import fsspec

from transforms.logs import LEVELS, configure_logging

LOG = logging.getLogger("newsbeam.cli")

BEAM_HELP = (
    "--streaming runs the unbounded graph instead: files arrive as Cloud Storage notifications on "
    "--input-subscription (`newsbeam notify` sends them for any folder), dedup state is kept for "
    "--dedup-horizon, and each --window of arrivals is written with its manifest; locally it runs "
    "until SIGINT/SIGTERM or --max-runtime, then drains. "
    "Any Apache Beam pipeline option is accepted as well and passed through, e.g. "
    "--runner DataflowRunner --project P --region R --temp_location gs://… to run the same graph "
    "on Dataflow, or --direct_running_mode multi_processing --direct_num_workers 2 locally. "
    "Without --runner the job runs on Beam's local FnApiRunner (no network needed)."
)


class UsageError(Exception):
    """The job cannot start; exit 2 with this message."""


class _Parser(argparse.ArgumentParser):
    """argparse that reports a bad option as a `UsageError` (one line), not usage and exit."""

    def error(self, message: str):
        raise UsageError(f"{message} (see `newsbeam run --help`)")


def version() -> str:
    try:
        return metadata.version("newsbeam")
    except metadata.PackageNotFoundError:
        return "0+unknown"


def _run_parser() -> argparse.ArgumentParser:
    from pipeline.options import NewsbeamOptions

    parser = _Parser(
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

    parser = _Parser(add_help=False, allow_abbrev=False)
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
        probe = f"{root}/_runs/.probe-{uuid.uuid4().hex}.tmp"
        with fs.open(probe, "wb") as handle:
            handle.write(b"ok")
        fs.rm(probe)
    except Exception as exc:  # any backend error means the same thing to the user
        raise UsageError(f"output not writable: {output} ({type(exc).__name__}: {exc})") from exc


def _run_id(started: dt.datetime) -> str:
    """Start time and a random part: unique per invocation, even for identical commands started
    in the same second."""
    return f"{started:%Y%m%dT%H%M%SZ}-{uuid.uuid4().hex[:8]}"


def _check_url(flag: str, url: str) -> None:
    """A URL whose scheme fsspec cannot use (unknown, or its backend not installed) is a usage error."""
    try:
        fsspec.core.url_to_fs(url)
    except (ValueError, ImportError, TypeError) as exc:
        scheme = url.split("://", 1)[0] + "://" if "://" in url else url
        reason = " ".join(str(exc).split())[:200]
        raise UsageError(f"{flag} {url}: unusable URL scheme {scheme} ({type(exc).__name__}: {reason})") from exc


def check_options(ours: argparse.Namespace, rest: Sequence[str], argv: Sequence[str]) -> None:
    """Every option value and URL checked before anything is written; raises `UsageError`.
    `rest` holds the arguments that are not newsbeam's own (Beam's), `argv` all of them."""
    from apache_beam.options.pipeline_options import PipelineOptions

    beam_ns, unknown = _beam_parser().parse_known_args(list(rest))
    if unknown:
        raise UsageError(f"unknown option {unknown[0]} (see `newsbeam run --help`)")
    streaming = bool(getattr(beam_ns, "streaming", False))
    if not ours.input and not streaming:  # a streaming job's files come from --input-subscription
        raise UsageError("--input is required")
    if not ours.output:
        raise UsageError("--output is required")
    runner = getattr(beam_ns, "runner", None)
    if runner:
        from apache_beam.runners.runner import create_runner

        try:
            create_runner(runner)
        except (ValueError, ImportError) as exc:
            raise UsageError(f"--runner {runner}: {' '.join(str(exc).split())[:300]}") from exc
    workers = getattr(beam_ns, "direct_num_workers", None)
    if workers is not None and workers < 0:
        raise UsageError(f"--direct_num_workers must be 0 (one per core) or more, got {workers}")
    from pipeline.options import NewsbeamOptions
    from transforms.read import InputUnreachable, input_exists

    nb = PipelineOptions(list(argv)).view_as(NewsbeamOptions)
    try:  # every setting is checked here, so a bad value is a usage error, not a failed job
        nb.read_limits(), nb.write_options(), nb.dedup_options()
    except ValueError as exc:
        raise UsageError(str(exc)) from exc
    for url in ours.input or []:
        _check_url("--input", url)
    _check_url("--output", ours.output)
    if ours.dedup_index:
        _check_url("--dedup-index", ours.dedup_index)
    for url in ours.input or []:
        try:
            found = input_exists(url)
        except InputUnreachable as exc:
            raise UsageError(f"input not reachable: {url} ({exc})") from exc
        if not found:
            raise UsageError(f"input not found: {url}")


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

    With `--streaming` it runs the streaming graph (`pipeline.stream_launch`): locally until
    stopped, returning the run's total manifest; on Dataflow it returns once submitted.
    """
    from transforms.progress import LoadingModules

    _doing("start", "loading libraries")
    with LoadingModules("start"):
        from apache_beam.options.pipeline_options import PipelineOptions, StandardOptions

        ours, rest = _run_parser().parse_known_args(argv)
        _doing("start", "checking options and inputs")
        check_options(ours, rest, argv)
    if PipelineOptions(list(argv)).view_as(StandardOptions).streaming:
        from pipeline.stream_launch import start_streaming

        return start_streaming(ours, list(argv))
    return run_batch(ours, list(argv), list(ours.input))


def run_batch(ours: argparse.Namespace, argv: list[str], inputs: list[str],
              run_id: Optional[str] = None) -> dict | None:
    """One batch job over `inputs` with the options in `argv`; the manifest when it waited."""
    import apache_beam as beam
    from apache_beam.options.pipeline_options import PipelineOptions, StandardOptions

    from pipeline.graph import build_pipeline
    from pipeline.options import NewsbeamOptions

    from pipeline import incremental
    from pipeline.manifest import write_manifest

    if not ours.dedup_index:  # an incremental run folds copies of earlier runs' articles
        ours.dedup_index = f"{ours.output.rstrip('/')}/{incremental.INDEX_DIR}"
        argv = [*argv, "--dedup_index", ours.dedup_index]
    options = PipelineOptions(argv)
    runner_name = options.view_as(StandardOptions).runner
    started = dt.datetime.now(dt.timezone.utc)
    settings = {k: v for k, v in vars(ours).items()}
    run_info = {
        "run_id": run_id or options.view_as(NewsbeamOptions).run_id or _run_id(started),
        "version": version(),
        "started_at": started.isoformat(),
        "inputs": inputs,
        "output": ours.output,
        "options": settings,
        "runner": runner_name or "FnApiRunner (local)",
        **_cloud_info(options),
    }
    detached = bool(runner_name) and not _waits(runner_name)
    if detached:  # no lease (see pipeline.runlock), but the output must be writable all the same
        _check_output_writable(ours.output)
    _doing("start", "taking the output's lease, sweeping what dead runs left")
    lease = None if detached else _take_lease(ours, run_info["run_id"])
    try:
        _doing("plan", "listing the inputs")
        try:
            plan = incremental.plan_run(ours.output, inputs, run_info["run_id"], ours.dedup_index,
                                        ours.partition_by, ours.follow_symlinks)
        except incremental.LayoutMismatch as exc:
            raise UsageError(str(exc)) from exc
        run_info["incremental"] = plan.summary()
        _doing("plan", f"{plan.files:,} input files to read ({plan.new:,} new, {plan.changed:,} changed), "
                       f"{plan.skipped:,} already processed", files=plan.files)
        if not plan.files:
            LOG.info("nothing new to process: %d files already processed (%s/%s)", plan.skipped,
                     ours.output.rstrip("/"), incremental.PROCESSED_DIR)
            return incremental.empty_run_manifest(plan, run_info)
        runner = None if runner_name else _local_runner(options)
        pipeline = beam.Pipeline(runner=runner, options=options)
        _doing("plan", "building the graph")
        build_pipeline(pipeline, inputs, ours.output, run_info=run_info, plan=plan)
        _doing("plan", "handing the graph to the runner (fusing it into steps)")
        result = pipeline.run()
        if detached:
            _report_launch(result, options)
            return None
        state = result.wait_until_finish()
    finally:
        if lease is not None:
            lease.release()
    if str(state).upper().endswith(("FAILED", "CANCELLED")):
        raise RuntimeError(f"runner reported {state}")
    _doing("summary", "reading the run's manifest and counters")
    manifest = read_manifest(ours.output, run_info["run_id"])
    manifest["counters"] = _counters(result)
    write_manifest(ours.output, manifest)  # the runner's counters are known once it has finished
    return manifest


def _doing(stage: str, text: str, **counts: int) -> None:
    """Report one of the launcher's own phases to the live progress display (`stage`/`steps`
    and the note shown as "now: …"); a no-op without a display."""
    from transforms import progress as live

    live.add(stage, steps=1, **counts)
    live.note("doing", text)


def _take_lease(ours: argparse.Namespace, run_id: str):
    """Hold the output's lease for this run (pipeline.runlock), check that the output is writable
    and sweep what dead runs left there; a held lease or an unwritable output is a UsageError."""
    from pipeline.runlock import LeaseHeld, OutputLease, sweep_debris, sweep_line

    lease = OutputLease(ours.output, run_id)
    try:
        lease.acquire()
    except LeaseHeld as exc:
        raise UsageError(str(exc)) from exc
    except Exception as exc:  # noqa: BLE001 - any backend error means the same thing to the user
        raise UsageError(f"output not writable: {ours.output} ({type(exc).__name__}: {exc})") from exc
    try:
        _check_output_writable(ours.output)
        line = sweep_line(sweep_debris(ours.output, run_id, ours.dedup_index))
    except BaseException:
        lease.release()
        raise
    if line:
        print(line, file=sys.stderr)
    return lease


def _cloud_info(options) -> dict:
    """Where a Dataflow job runs (project, region, job name); the job id is added by the job."""
    from apache_beam.options.pipeline_options import GoogleCloudOptions

    cloud = options.view_as(GoogleCloudOptions)
    found = {"project": cloud.project, "region": cloud.region, "job_name": cloud.job_name}
    return {key: value for key, value in found.items() if value}


def _waits(runner_name: str) -> bool:
    """Whether `newsbeam run` waits for the job: yes locally, no on Dataflow (a Flex Template
    launcher must return once the job is submitted)."""
    return "dataflow" not in runner_name.lower()


def _report_launch(result, options) -> None:
    """Print what a Dataflow launch produced: the job id, or the job file of a template launch."""
    from apache_beam.options.pipeline_options import GoogleCloudOptions

    cloud = options.view_as(GoogleCloudOptions)
    job = getattr(result, "_job", None) if getattr(result, "has_job", True) else None
    if cloud.template_location and job is None:
        print(f"newsbeam: job file written to {cloud.template_location} (a template launch: the "
              "launcher starts the job from it)", flush=True)
        return
    job_id = result.job_id() if job is not None else None
    print(f"newsbeam: submitted Dataflow job {job_id or '(no id reported)'}"
          + (f" in {cloud.project}/{cloud.region}" if cloud.project else "")
          + "; it writes its manifest under _runs/ when it finishes", flush=True)


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
        figures = report.collect(out, since=dt.datetime.fromisoformat(since) if since else None,
                                 on_step=lambda text: _doing("summary", f"summary: {text}"),
                                 columns=report.SUMMARY_COLUMNS)
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


def _flag(argv: Sequence[str], *names: str) -> Optional[str]:
    """The value of option `names` in a command line, read before the full parse (which may exit)."""
    for i, arg in enumerate(argv):
        name, equals, value = arg.partition("=")
        if name in names:
            return value if equals else (argv[i + 1] if i + 1 < len(argv) else "")
    return None


def _log_level(argv: Sequence[str]) -> Optional[str]:
    """`--log-level` of a `run` command line (None when absent or bad: the full parse reports it)."""
    value = _flag(argv, "--log-level", "--log_level")
    return value if value and value.upper() in LEVELS else None


def _progress_mode(argv: Sequence[str]) -> str:
    """`--progress` of a `run` command line, read first so the display starts while the libraries
    load: `off` for runners whose workers are not on this machine (Dataflow's console shows its
    counters), and for a bad value (the full parse reports it)."""
    from pipeline.progress import MODES

    runner = _flag(argv, "--runner")
    if runner and runner.split(".")[-1] not in LOCAL_RUNNERS:
        return "off"
    mode = _flag(argv, "--progress") or "auto"
    return mode if mode in MODES else "off"


def main(argv: Optional[Sequence[str]] = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    level = configure_logging(_log_level(argv))
    # Progress and job-submission lines are the CLI's output, not log noise: shown unless ERROR.
    status = {"DEBUG": logging.DEBUG, "ERROR": logging.ERROR}.get(level, logging.INFO)
    for name in ("newsbeam.cli", "newsbeam.read"):
        logging.getLogger(name).setLevel(status)
    if level != "DEBUG":  # local worker processes' start-up warnings (options they do not parse, no
        # session file), relayed by the runner: noise across the live display; their errors still show
        logging.getLogger("apache_beam.runners.portability.local_job_service").setLevel(logging.ERROR)
    if not argv or argv[0] in ("-h", "--help"):
        print("usage: newsbeam run --input URL [--input URL ...] --output URL [options]\n"
              "       newsbeam run --streaming --input-subscription SUB --output URL [options]\n"
              "       newsbeam notify --folder URL --topic TOPIC [--watch SECONDS]\n"
              "       newsbeam compact OUT [--date YYYY-MM-DD ...]\n"
              "       newsbeam report OUT [--html FILE]\n"
              "       newsbeam --version\n\n`newsbeam run --help` lists every option.")
        return 0 if argv else 2
    if argv[0] == "--version":
        print(version())
        return 0
    if argv[0] == "notify":
        from pipeline.notify import main as notify_main

        return notify_main(argv[1:])
    if argv[0] == "report":
        from pipeline import report

        return report.main(argv[1:])
    if argv[0] == "compact":
        from pipeline.compact import main as compact_main

        return compact_main(argv[1:])
    if argv[0] != "run":
        print(f"newsbeam: error: unknown command {argv[0]!r} (expected `run`, `report`, `compact` or `notify`)",
              file=sys.stderr)
        return 2
    if any(a in ("-h", "--help") for a in argv[1:]):
        _run_parser().print_help()
        return 0
    from pipeline import progress

    text = None
    try:
        with progress.live(_progress_mode(argv[1:]), label="newsbeam"):
            manifest = run(argv[1:])
            text = summary(manifest) if manifest is not None else None
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
    if text is not None:
        print(text)
    return 0
