"""`newsbeam run --streaming`: submit the streaming graph to Dataflow, or run it locally until
stopped and drain it.

Locally the graph runs on Beam's BundleBasedDirectRunner (the one local runner that streams
`ReadFromPubSub` and fires state, timers and windows while running; plain DirectRunner would
silently pick the FnApiRunner), against the Pub/Sub emulator (`PUBSUB_EMULATOR_HOST`) or real
Pub/Sub. Stop: SIGINT, SIGTERM or `--max-runtime` starts a drain: heartbeats keep the watermark
moving until the window open at the stop has closed and its manifest is written (at most one
`--window` plus the time to write it), then the runner is stopped, `_runs/<run_id>.json` is
written with the totals of every window, and the command exits 0.

Local runs are at most once: Beam's local Pub/Sub source acknowledges a message when it pulls
it, so a notification pulled in the last instant before the runner stops is not processed, and
the dedup state lives in the process (seed a restart from a batch run's `--dedup-index`). On
Dataflow, acknowledged messages are checkpointed with the state, a drain
(`gcloud dataflow jobs drain`) flushes open windows, and `--update` keeps the state.
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import math
import signal
import threading
import time

from pipeline.options import NewsbeamOptions
from transforms import progress
from pipeline.streaming import Heartbeats, build_streaming_pipeline, closed_until, subscription_topic, total_manifest
from transforms.model import UTC

LOG = logging.getLogger("newsbeam.streaming")

DRAIN_GRACE_S = 120.0  # beyond the open window's end: time to write it before giving up


def start_streaming(ours: argparse.Namespace, argv: list[str]) -> dict | None:
    """`newsbeam run --streaming ...`: pre-flight checks (usage errors, not failed jobs), then run."""
    from apache_beam.options.pipeline_options import PipelineOptions, StandardOptions

    from pipeline.cli import UsageError, _run_id, version

    if not ours.output:
        raise UsageError("--output is required")
    if not ours.input_subscription:
        raise UsageError("--streaming needs --input-subscription (projects/P/subscriptions/S)")
    if not ours.input_subscription.startswith("projects/") or "/subscriptions/" not in ours.input_subscription:
        raise UsageError(f"--input-subscription must look like projects/P/subscriptions/S, got "
                         f"{ours.input_subscription}")
    options = PipelineOptions(argv)
    nb = options.view_as(NewsbeamOptions)
    runner_name = options.view_as(StandardOptions).runner or ""
    if runner_name and "dataflow" not in runner_name.lower() and runner_name not in LOCAL_RUNNERS:
        raise UsageError(f"--streaming runs on DataflowRunner or locally (BundleBasedDirectRunner), "
                         f"not {runner_name}")
    try:
        nb.read_limits(), nb.write_options(), nb.dedup_options(), nb.stream_settings()
    except ValueError as exc:
        raise UsageError(str(exc)) from exc
    started = dt.datetime.now(UTC)
    settings = dict(vars(ours))
    run_info = {
        "run_id": nb.run_id or _run_id(started),
        "version": version(),
        "started_at": started.isoformat(),
        "inputs": [ours.input_subscription],
        "output": ours.output,
        "options": settings,
        "runner": runner_name or "BundleBasedDirectRunner (local, streaming)",
        "streaming": True,
    }
    if "dataflow" in runner_name.lower():
        return run_streaming(argv, run_info)
    # A local job holds the output's lease while it runs, as a batch run does (pipeline.runlock):
    # a batch run into the same OUT meanwhile would sweep the job's half-written files as debris.
    from pipeline.cli import _take_lease

    lease = _take_lease(ours, run_info["run_id"])
    try:
        return run_streaming(argv, run_info)
    finally:
        lease.release()


LOCAL_RUNNERS = ("DirectRunner", "BundleBasedDirectRunner")


def run_streaming(argv: list[str], run_info: dict) -> dict | None:
    """Build and run the streaming graph; the run's total manifest once a local run has drained,
    None once a Dataflow job is submitted."""
    import apache_beam as beam
    from apache_beam.io.gcp.pubsub import ReadFromPubSub
    from apache_beam.options.pipeline_options import PipelineOptions, StandardOptions

    options = PipelineOptions(argv)
    options.view_as(StandardOptions).streaming = True
    nb = options.view_as(NewsbeamOptions)
    runner_name = options.view_as(StandardOptions).runner or ""
    dataflow = "dataflow" in runner_name.lower()
    runner = None
    if not dataflow:
        from apache_beam.runners.direct.direct_runner import BundleBasedDirectRunner

        runner = BundleBasedDirectRunner()
    pipeline = beam.Pipeline(runner=runner, options=options)
    messages = pipeline | "ReadNotifications" >> ReadFromPubSub(subscription=nb.input_subscription,
                                                                with_attributes=True)
    build_streaming_pipeline(pipeline, messages, nb.output, run_info=run_info, settings=nb.stream_settings(),
                             limits=nb.read_limits(), write=nb.write_options(), dedup=nb.dedup_options(),
                             skip_enrich=nb.skip_enrich)
    if dataflow:
        result = pipeline.run()
        LOG.info("submitted Dataflow streaming job %s", getattr(result, "job_id", lambda: "?")())
        return None
    return LocalStream(pipeline, nb, run_info).serve()


class LocalStream:
    """Runs the streaming graph locally until a stop is asked for, then drains it."""

    def __init__(self, pipeline, options: NewsbeamOptions, run_info: dict):
        self.pipeline, self.options, self.run_info = pipeline, options, run_info
        self.stop = threading.Event()

    def _on_signal(self, signum, _frame):
        LOG.info("%s: draining (open windows are written, then the job stops)", signal.Signals(signum).name)
        self.stop.set()

    def serve(self) -> dict:
        options, run_id, output = self.options, self.run_info["run_id"], self.options.output
        topic = subscription_topic(options.input_subscription)
        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGINT, signal.SIGTERM):
                signal.signal(sig, self._on_signal)
        heartbeats = Heartbeats(topic, options.heartbeat) if options.heartbeat > 0 else None
        result = self.pipeline.run()
        if heartbeats:
            heartbeats.start()
        LOG.info("streaming from %s into %s (window %gs); SIGINT/SIGTERM drains and stops",
                 options.input_subscription, output, options.window)
        progress.note("doing", f"streaming from {options.input_subscription.rsplit('/', 1)[-1]} "
                               f"(window {options.window:g} s; Ctrl-C drains and stops)")
        started = time.time()
        while not self.stop.wait(0.5):
            if options.max_runtime is not None and time.time() - started >= options.max_runtime:
                LOG.info("--max-runtime reached: draining")
                break
        stop_at = time.time()
        last_end = (math.floor(stop_at / options.window) + 1) * options.window
        if heartbeats:
            heartbeats.stop()
        progress.note("doing", "draining: writing the open window, then stopping")
        drain = Heartbeats(topic, 1.0)  # the open window closes ~1 s after its end
        drain.start()
        deadline = last_end + DRAIN_GRACE_S
        while closed_until(output, run_id) < last_end and time.time() < deadline:
            time.sleep(0.25)
        drained = closed_until(output, run_id) >= last_end
        drain.stop()
        result.cancel()
        if not drained:
            LOG.warning("the window ending %s was not written within %gs of its end",
                        dt.datetime.fromtimestamp(last_end, UTC).isoformat(), DRAIN_GRACE_S)
        return total_manifest(output, self.run_info, drained=drained)
