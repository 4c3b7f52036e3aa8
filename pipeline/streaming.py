"""The streaming graph: object notifications -> read -> parse -> clean -> dedup in state -> enrich
-> per-window Parquet, plus a manifest per window. The same graph runs on Dataflow and locally.

Source: Cloud Storage `OBJECT_FINALIZE` notifications from a Pub/Sub subscription
(`--input-subscription`); each names an object and its generation. A notification redelivered,
or a second notification of the same object generation, is processed once (keyed state per
object#generation, kept for the dedup horizon); a new generation of an object is a new file.
Folders other than a bucket: `newsbeam notify` publishes the same messages with `bucketId` set
to the folder's URL (a bucket name never holds a `/`), see `pipeline/notify.py`.

Then the batch graph's own steps (`graph.read_articles`: read -> split -> parse -> clean, each
dead-letter guarded), dedup in keyed state with a horizon (`transforms/dedup_stream.py`, the
fold rules of batch), enrichment, and the batch writer (`transforms/write.py`) per window.

Windows and files: fixed windows by arrival time (the Pub/Sub publish time of the notification,
`--window` seconds). When the watermark passes a window's end, its articles, duplicates and dead
letters are written with the batch writer into the same Hive layout (files named after their
ids, written under a temporary name and renamed: a retried bundle rewrites the same files), and
`_runs/<run_id>-w<window start>.json` holds that window's accounting (records in = articles +
duplicates + dead letters, as in batch). Every record of a file carries its notification's
timestamp, so a file is accounted in one window.

Late data: a notification whose arrival time is already behind the watermark (the local source
moves the watermark to the wall clock after each pull) is not dropped: windows accept data up to
the dedup horizon late; each late firing writes the late records as their own files (their ids
name them), and the window's manifest is rewritten with the totals including them. Nothing later than the horizon can reach
a window: its dedup state would be gone too.

Heartbeats: Beam's local Pub/Sub source moves the watermark only when a pull returns (it waits
up to 30 s), so with no traffic windows would close late. The local launcher publishes a small
heartbeat message (attribute `newsbeam_heartbeat`) every `--heartbeat` seconds; the graph counts
and drops them. On Dataflow the service advances the watermark itself; heartbeats are off.

Progress (local): dedup and enrichment count each record over the local progress side channel
(`transforms/progress.py`: `dedup/decisions`, `dedup/copies`, `dedup/state_us`, the CPU time spent in
the dedup step, and `enrich/articles`), as the writer counts rows; nothing is sent unless
`NEWSBEAM_PROGRESS` is set. `bench/bench_stream.py` times the graph by these counts.

Stop (local): SIGINT/SIGTERM or `--max-runtime` drains: the launcher keeps the heartbeats going
until the window open at the stop has closed and its manifest is written, then stops the runner,
writes `_runs/<run_id>.json` with the totals of all windows and exits 0. On Dataflow, drain the
job (`gcloud dataflow jobs drain`): Dataflow closes open windows the same way.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
import threading
from typing import Iterable, NamedTuple, Optional

import apache_beam as beam
import fsspec
from apache_beam.coders import BooleanCoder
from apache_beam.metrics import Metrics
from apache_beam.transforms import trigger, window
from apache_beam.transforms.timeutil import TimeDomain
from apache_beam.transforms.userstate import ReadModifyWriteStateSpec, TimerSpec, on_timer
from apache_beam.utils.timestamp import Duration
from apache_beam.utils.windowed_value import PaneInfoTiming

from pipeline.graph import guarded, read_articles
from pipeline.manifest import manifest_document, write_manifest
from transforms import progress
from transforms.dedup_stream import DEDUP_KEY, StreamDedupFn
from transforms.fold import DedupKey, DedupOptions, apply_decision, dedup_key
from transforms.minhash import MinHasher
from transforms.model import UTC, Article, Duplicate
from transforms.read import FileRef, ReadLimits, _is_hidden
from transforms.write import WriteOptions, WriteTable

LOG = logging.getLogger("newsbeam.streaming")

HEARTBEAT_ATTRIBUTE = "newsbeam_heartbeat"
FINALIZE = "OBJECT_FINALIZE"
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*$")
_UNIT = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}


def seconds_of(text: str | float) -> float:
    """'7d', '12h', '30m', '90s' or a number of seconds -> seconds."""
    match = _DURATION.match(str(text))
    if not match:
        raise ValueError(f"not a duration: {text!r} (expected e.g. 7d, 12h, 30m, 90s or seconds)")
    return float(match.group(1)) * _UNIT[match.group(2)]


class StreamSettings(NamedTuple):
    """What the streaming graph needs besides the batch settings."""

    window_s: float = 60.0
    horizon_s: float = 7 * 86400.0
    inputs: tuple = ()  # URL prefixes of the objects to process (empty: every object notified)
    dedup_index: Optional[str] = None  # seed the dedup state from a batch run's index


# --- notifications -------------------------------------------------------------------------------

def object_url(bucket: str, name: str) -> str:
    """A notification's bucket and object name -> the file's fsspec URL. A bucket name never holds
    a `/`: a `bucketId` that does is a folder URL or path (`newsbeam notify` of a non-GCS folder)."""
    if "/" in bucket:
        return f"{bucket.rstrip('/')}/{name.lstrip('/')}"
    return f"gs://{bucket}/{name}"


def notified_file(attributes: dict, data: bytes = b"", inputs: Iterable[str] = ()) -> Optional[tuple[str, FileRef]]:
    """A Pub/Sub message's attributes (and JSON payload) -> (object#generation, FileRef), or None
    for what is not a new file to read: heartbeats, other event types, hidden files, objects
    outside `inputs`."""
    if attributes.get(HEARTBEAT_ATTRIBUTE) or attributes.get("eventType") != FINALIZE:
        return None
    bucket, name = attributes.get("bucketId"), attributes.get("objectId")
    if not bucket or not name or name.endswith("/"):
        return None
    url = object_url(bucket, name)
    prefixes = tuple(inputs)
    if _is_hidden(name) or (prefixes and not url.startswith(prefixes)):
        return None
    size = mtime = None
    try:
        resource = json.loads(data) if data else {}
        size = int(resource["size"]) if resource.get("size") is not None else None
        updated = resource.get("updated") or resource.get("timeCreated")
        mtime = dt.datetime.fromisoformat(updated.replace("Z", "+00:00")).timestamp() if updated else None
    except (ValueError, TypeError, KeyError, AttributeError):
        pass  # the payload is optional (payloadFormat NONE): the read step finds out the rest
    generation = attributes.get("objectGeneration", "")
    return f"{url}#{generation}", FileRef(url, size, mtime)


def _notified_files(message, inputs):
    found = notified_file(dict(message.attributes or {}), message.data or b"", inputs)
    if found is not None:
        yield found


class OncePerGenerationFn(beam.DoFn):
    """(object#generation, FileRef) -> the FileRef the first time; redeliveries are dropped. The
    key's state is cleared `horizon_s` after it was first seen (event time)."""

    SEEN = ReadModifyWriteStateSpec("seen", BooleanCoder())
    EXPIRY = TimerSpec("expiry", TimeDomain.WATERMARK)

    def __init__(self, horizon_s: float):
        self.horizon_s = horizon_s

    def setup(self):
        self.redelivered = Metrics.counter("newsbeam", "notifications_redelivered")

    def process(self, element, seen=beam.DoFn.StateParam(SEEN), expiry=beam.DoFn.TimerParam(EXPIRY),
                timestamp=beam.DoFn.TimestampParam):
        _, ref = element
        if seen.read():
            self.redelivered.inc()
            return
        seen.write(True)
        expiry.set(timestamp + Duration(seconds=self.horizon_s))
        yield ref

    @on_timer(EXPIRY)
    def forget(self, seen=beam.DoFn.StateParam(SEEN)):
        seen.clear()


# --- dedup, enrich, windows, manifest -----------------------------------------------------------

class _EnrichFn(beam.DoFn):
    def setup(self):
        from transforms.enrich import load_models

        load_models()

    def process(self, article: Article):
        from transforms.enrich import enrich_article

        enriched = enrich_article(article)
        progress.add("enrich", articles=1)
        yield enriched


def _lone(article: Article) -> Article:
    return article.model_copy(update={"cluster_id": article.id, "duplicate_count": 0})


def _duplicate_row(element) -> Duplicate:
    article, decision = element
    return apply_decision(article, decision)[1]


def arrival_windows(window_s: float, horizon_s: float, accumulate: bool = False) -> beam.WindowInto:
    """Fixed windows by arrival: fire when the watermark passes the end, then once per late
    record up to the horizon (discarding: each firing holds only what is new; `accumulate`: each
    firing holds the whole window so far, for the manifest's totals)."""
    mode = trigger.AccumulationMode.ACCUMULATING if accumulate else trigger.AccumulationMode.DISCARDING
    return beam.WindowInto(
        window.FixedWindows(window_s),
        trigger=trigger.AfterWatermark(late=trigger.AfterCount(1)),
        accumulation_mode=mode,
        allowed_lateness=Duration(seconds=horizon_s),
    )


def _window_stamp(start: float) -> str:
    return dt.datetime.fromtimestamp(start, UTC).strftime("%Y%m%dT%H%M%SZ")


class _WindowManifestFn(beam.DoFn):
    """(0, [(count name, n), ...]) of one window firing -> its manifest under `_runs/` (when it
    counted any record) and the closed-window marker the local launcher waits on."""

    def __init__(self, output: str, run_info: dict):
        self.output, self.run_info = output, run_info

    def process(self, element, w=beam.DoFn.WindowParam, pane=beam.DoFn.PaneInfoParam):
        _, pairs = element
        totals: dict = {}
        for name, n in pairs:  # running totals (accumulating panes): the latest is the largest
            totals[name] = max(totals.get(name, 0), n)
        start, end = float(w.start), float(w.end)
        run_id = f"{self.run_info['run_id']}-w{_window_stamp(start)}"
        document = None
        if any(totals.get(k) for k in ("files_matched", "records_in", "articles", "duplicates", "dead_letter")):
            document = manifest_document(totals, {**self.run_info, "run_id": run_id, "window": {
                "start": dt.datetime.fromtimestamp(start, UTC).isoformat(),
                "end": dt.datetime.fromtimestamp(end, UTC).isoformat(), "firing": pane.index,
                "late": pane.timing == PaneInfoTiming.LATE}})
            document["heartbeats"] = int(totals.get("heartbeats", 0))
            write_manifest(self.output, document)
        mark_closed(self.output, self.run_info["run_id"], end)
        yield document or {"run_id": run_id, "counts": {}}


def _closed_path(output: str, run_id: str) -> tuple[fsspec.AbstractFileSystem, str]:
    fs, root = fsspec.core.url_to_fs(output.rstrip("/"))
    return fs, f"{root}/_runs/.{run_id}.closed"


def mark_closed(output: str, run_id: str, end: float) -> None:
    """Record that the window ending at `end` has fired (kept: the latest end)."""
    if end > closed_until(output, run_id):
        fs, path = _closed_path(output, run_id)
        fs.makedirs(path.rsplit("/", 1)[0], exist_ok=True)
        with fs.open(path, "w") as handle:
            handle.write(repr(end))


def closed_until(output: str, run_id: str) -> float:
    fs, path = _closed_path(output, run_id)
    try:
        with fs.open(path, "r") as handle:
            return float(handle.read() or 0)
    except (FileNotFoundError, ValueError):
        return 0.0


def build_streaming_pipeline(p: beam.Pipeline, messages, output: str, *, run_info: dict,
                             settings: StreamSettings = StreamSettings(), limits: ReadLimits = ReadLimits(),
                             write: WriteOptions = WriteOptions(), dedup: DedupOptions = DedupOptions(),
                             skip_enrich: bool = False, near: bool = True) -> dict:
    """Add the streaming graph to `p`, reading `messages` (PubsubMessages: `ReadFromPubSub(...,
    with_attributes=True)` or a TestStream of them); returns its main PCollections by name."""
    horizon, inputs = settings.horizon_s, tuple(settings.inputs)
    windows = lambda label: f"{label}Windows" >> arrival_windows(settings.window_s, horizon)  # noqa: E731
    files = (messages
             | "Notifications" >> beam.FlatMap(_notified_files, inputs).with_output_types(tuple[str, FileRef])
             | "OncePerGeneration" >> beam.ParDo(OncePerGenerationFn(horizon)))
    cleaned, records, (read_dead, split_dead, parse_dead, clean_dead) = read_articles(files, limits)
    hasher = MinHasher(dedup.minhash()) if near else None
    decided = (cleaned
               | "Fingerprint" >> beam.Map(lambda a: (DEDUP_KEY, (dedup_key(a, hasher), a))).with_output_types(
                   tuple[str, tuple[DedupKey, Article]])
               | "Dedup" >> beam.ParDo(StreamDedupFn(dedup, near, horizon, settings.dedup_index)))
    articles = decided | "Articles" >> beam.FlatMap(lambda kv: [_lone(kv[1])] if kv[0] == "article" else [])
    duplicates = (decided | "Copies" >> beam.FlatMap(lambda kv: [kv[1]] if kv[0] == "duplicate" else [])
                  | "DuplicateRows" >> beam.Map(_duplicate_row).with_output_types(Duplicate))
    dead_parts = [read_dead, split_dead, parse_dead, clean_dead]
    if not skip_enrich:
        articles, enrich_dead = guarded(articles, "Enrich", beam.ParDo(_EnrichFn()).with_output_types(Article),
                                        "enrich")
        dead_parts.append(enrich_dead)
    dead = dead_parts | "DeadLetters" >> beam.Flatten()
    written = (
        articles | windows("Articles") | "WriteArticles" >> WriteTable(output, "articles", write),
        duplicates | windows("Duplicates") | "WriteDuplicates" >> WriteTable(output, "duplicates", write),
        dead | windows("Dead") | "WriteDeadLetters" >> WriteTable(output, "dead_letter", write),
    )
    heartbeats = messages | "Heartbeats" >> beam.Filter(
        lambda m: bool((m.attributes or {}).get(HEARTBEAT_ATTRIBUTE)))
    counts = (
        files | "CountFiles" >> beam.Map(lambda _: ("files_matched", 1)),
        records | "CountRecords" >> beam.Map(lambda _: ("records_in", 1)),
        (read_dead, split_dead) | "WholeFileFailures" >> beam.Flatten()
        | "CountFileFailures" >> beam.Map(lambda _: ("records_in", 1)),
        heartbeats | "CountHeartbeats" >> beam.Map(lambda _: ("heartbeats", 1)),
    ) | "Counted" >> beam.Flatten() | windows("Counts")
    manifests = (
        (counts, *written) | "AllCounts" >> beam.Flatten()
        | "ManifestWindows" >> arrival_windows(settings.window_s, horizon, accumulate=True)
        | "Sum" >> beam.CombinePerKey(sum)
        | "OneKey" >> beam.Map(lambda kv: (0, kv))
        | "PerWindow" >> beam.GroupByKey()
        | "WindowManifest" >> beam.ParDo(_WindowManifestFn(output, run_info))
    )
    return {"files": files, "articles": articles, "duplicates": duplicates, "dead_letter": dead,
            "manifests": manifests}


# --- the local launcher ---------------------------------------------------------------------------

def subscription_topic(subscription: str) -> str:
    from google.cloud import pubsub_v1

    with pubsub_v1.SubscriberClient() as subscriber:
        return subscriber.get_subscription(request={"subscription": subscription}).topic


class Heartbeats(threading.Thread):
    """Publishes a heartbeat to `topic` every `every_s` seconds until stopped."""

    def __init__(self, topic: str, every_s: float):
        super().__init__(name="newsbeam-heartbeats", daemon=True)
        self.topic, self.every_s = topic, every_s
        self.stopped = threading.Event()

    def run(self):
        from google.cloud import pubsub_v1

        publisher = pubsub_v1.PublisherClient()
        while not self.stopped.wait(self.every_s):
            try:
                publisher.publish(self.topic, b"", **{HEARTBEAT_ATTRIBUTE: "1"}).result(timeout=10)
            except Exception as exc:  # noqa: BLE001 - a missed heartbeat only delays a window
                LOG.warning("heartbeat not published: %s", exc)

    def stop(self):
        self.stopped.set()


def total_manifest(output: str, run_info: dict, **extra) -> dict:
    """The run's manifest `_runs/<run_id>.json`: the sum of its window manifests."""
    fs, root = fsspec.core.url_to_fs(output.rstrip("/"))
    totals: dict = {}
    windows = 0
    for path in sorted(fs.glob(f"{root}/_runs/{run_info['run_id']}-w*.json")):
        with fs.open(path, "r") as handle:
            document = json.load(handle)
        windows += 1
        for name, n in document["counts"].items():
            totals[name] = totals.get(name, 0) + n
    document = manifest_document(totals, run_info)
    document["windows"] = windows
    document.update(extra)
    write_manifest(output, document)
    return document
