"""Live progress of a local run: a progress display on a terminal, periodic log lines otherwise.

The workers count what they do with `transforms.progress.add` (and `pipeline.graph.Tick`) and
send running totals over UDP (see transforms/progress.py); the launcher reports its own phases
the same way (notes and counts: loading, options, lease, planning, the graph's transforms, the
summary's read-back). `live()` wraps everything the CLI does for a run:

    with progress.live("auto", label="newsbeam") as listener:
        manifest = run(argv)

It binds a UDP socket on 127.0.0.1, points `NEWSBEAM_PROGRESS` at it for the job's processes
(restored afterwards), and shows, every `REFRESH` seconds on a terminal (rich) or every
`LOG_EVERY` seconds as one log line when stderr is not a terminal: the stages working now,
files and bytes read of the total matched, records/s, articles, duplicates, dead letters, the
dedup work done, bars with an ETA where a total is known (read: bytes matched; write: rows
staged), the local runner's step, and a "now:" line (the launcher's phase, the worker
processes' start-up, the commit). This module imports no Beam, so the display starts before the
launcher loads it. `local_runner()` is the FnApiRunner that reports its steps and starts worker
processes through `pipeline.worker`. The CLI uses all this for local runs only; on Dataflow the
console shows Beam's counters.

Counts are what workers reported so far, not the accounting: the run manifest has the exact
numbers once the job finishes."""

from __future__ import annotations

import collections
import contextlib
import json
import os
import re
import socket
import sys
import threading
import time
from typing import Iterator, Optional, TextIO

from transforms.progress import ENV

REFRESH = 0.25  # seconds between two redraws of the terminal display
LOG_EVERY = 2.0  # seconds between two progress log lines when stderr is not a terminal
LOG_IDLE_EVERY = 60.0  # ... when nothing but the clock changed (an idle streaming job)
# The parts of a display (frame or log line) that change with the clock alone: time, rates, ETA.
_VOLATILE = re.compile(r"\d+:\d\d:\d\d|[\d,.]+ ?(?:rows|MB|kB|records)?/s|ETA \S+|\([\d,.]+/s\)")


def signature(shown: str) -> str:
    """A frame or log line without its clock, rates and ETA: what changes only when work was done."""
    return _VOLATILE.sub("", shown)
ACTIVE_FOR = 3.0  # a stage whose counts changed this recently is shown as working
RATE_WINDOW = 10.0  # seconds of history behind the rates and the ETA
MODES = ("auto", "bar", "log", "off")

# Stages in pipeline order (a step that reports another stage name is shown after these): the
# launcher's start-up (`start`: loading, options, lease; `plan`: listing the inputs), the workers'
# start-up, the pipeline's stages, its last step (`commit`) and the end-of-run `summary`.
STAGES = ("start", "plan", "workers", "match", "read", "parse", "clean", "dedup", "enrich", "write", "commit",
          "summary")


class Listener:
    """Receives the workers' datagrams on 127.0.0.1 and keeps their summed totals."""

    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.1)
        self.address = "%s:%d" % self.sock.getsockname()
        self.started = time.monotonic()
        self._senders: dict[str, tuple[int, dict]] = {}
        self._notes: dict[str, dict[str, str]] = {}  # sender -> its notes
        self._note_changed: dict[tuple[str, str], float] = {}
        self._changed: dict[str, float] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="newsbeam-progress-listener", daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                payload, _ = self.sock.recvfrom(65536)
            except socket.timeout:
                continue
            except OSError:
                return
            self.receive(payload)

    def receive(self, payload: bytes) -> None:
        try:
            message = json.loads(payload)
            sender, seq, totals = str(message["id"]), int(message["seq"]), dict(message["totals"])
            notes = {str(k): str(v) for k, v in dict(message.get("notes") or {}).items()}
        except (ValueError, KeyError, TypeError):
            return  # not one of ours
        now = time.monotonic()
        with self._lock:
            old_seq, old = self._senders.get(sender, (0, {}))
            if seq <= old_seq:
                return  # reordered: a newer total of this sender arrived first
            for key, value in totals.items():
                if old.get(key) != value:
                    self._changed[key] = now
            self._senders[sender] = (seq, totals)
            old_notes = self._notes.get(sender, {})
            for name, text in notes.items():
                if old_notes.get(name) != text:
                    self._note_changed[(sender, name)] = now
            self._notes[sender] = notes

    def totals(self) -> dict[str, int]:
        """`stage/name` -> sum over every sender of its newest total."""
        summed: dict[str, int] = collections.Counter()
        with self._lock:
            for _, totals in self._senders.values():
                summed.update(totals)
        return dict(summed)

    def notes(self) -> dict[str, str]:
        """Note name -> its text from the sender that changed it last (empty texts are cleared notes)."""
        with self._lock:
            latest: dict[str, tuple[float, str]] = {}
            for sender, notes in self._notes.items():
                for name, text in notes.items():
                    when = self._note_changed.get((sender, name), 0.0)
                    if text and (name not in latest or when >= latest[name][0]):
                        latest[name] = (when, text)
        return {name: text for name, (_, text) in latest.items()}

    def changed_within(self, key: str, seconds: float) -> bool:
        """Whether the total `key` changed in the last `seconds`."""
        with self._lock:
            when = self._changed.get(key)
        return when is not None and time.monotonic() - when <= seconds

    def active_stages(self, within: Optional[float] = None) -> list[str]:
        """Stages whose counts changed in the last `within` seconds, in pipeline order; when none
        did, the stage that changed last."""
        now, within = time.monotonic(), ACTIVE_FOR if within is None else within
        with self._lock:
            changed = dict(self._changed)
        changed = {key: when for key, when in changed.items() if not key.startswith("runner/")}
        recent = {key.split("/", 1)[0] for key, when in changed.items() if now - when <= within}
        if not recent and changed:
            recent = {max(changed, key=changed.get).split("/", 1)[0]}
        return sorted(recent, key=lambda s: (STAGES.index(s) if s in STAGES else len(STAGES), s))

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=1)
        self.sock.close()


def human_bytes(n: float) -> str:
    """Bytes for people: kB under a megabyte, else MB."""
    return f"{n / 1e3:,.1f} kB" if n < 1e6 else f"{n / 1e6:,.1f} MB"


def _clock(seconds: float) -> str:
    seconds = max(0, int(seconds))
    return f"{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


class Snapshot:
    """What the display shows at one moment: totals, rates over the last few seconds, ETAs."""

    def __init__(self, listener: Listener, history: collections.deque):
        self.elapsed = time.monotonic() - listener.started
        t = self.totals = listener.totals()
        self.stages = listener.active_stages()
        get = lambda key: t.get(key, 0)  # noqa: E731
        self.files_total, self.bytes_total = get("match/files"), get("match/bytes")
        self.files, self.bytes = get("read/files"), get("read/bytes")
        self.records = get("parse/records")
        self.cleaned = get("clean/articles")
        self.dedup_keys = get("dedup/keys")
        self.decisions_loaded = get("dedup/decisions_loaded")
        self.dedup_batches = get("dedup/batches")
        self.decisions = get("dedup/decisions")
        self.dedup_shards = get("dedup/shards")
        self.indexed, self.index_files = get("dedup/indexed"), get("dedup/index_files")
        self.index_packed = get("dedup/index_packed")
        self.read_back = get("write/read_back")
        self.duplicates = get("dedup/copies")
        self.enriched = get("enrich/articles")
        self.articles_written = get("write/articles")
        self.duplicates_written = get("write/duplicates")
        self.dead = sum(v for k, v in t.items() if k.endswith("/dead_letters"))
        self.steps, self.steps_total = get("runner/steps"), get("runner/steps_total")
        self.workers_total = get("runner/workers")
        self.workers = {name: get(f"workers/{name}") for name in ("launched", "modules", "ready", "stopped")}
        notes = listener.notes()
        self.step = notes.get("step", "")
        self.doing = notes.get("doing", "")
        # Work the launcher and the workers do before the job's steps report counts: modules
        # loaded (the launcher's, or a worker's while it loads the enrichment models) and the
        # graph's transforms added, shown while they grow.
        self.loading = [f"{get(key):,} {one if get(key) == 1 else many}" for key, one, many in (
            ("start/modules", "module loaded", "modules loaded"),
            ("plan/transforms", "transform in the graph", "transforms in the graph"),
            ("enrich/modules", "module loaded", "modules loaded"))
            if get(key) and listener.changed_within(key, ACTIVE_FOR)]
        now = time.monotonic()
        history.append((now, self.records, self.bytes, self.articles_written + self.duplicates_written))
        while len(history) > 2 and now - history[0][0] > RATE_WINDOW:
            history.popleft()
        first = history[0]
        span = now - first[0]
        self.records_rate = (self.records - first[1]) / span if span > 0.5 else 0.0
        self.bytes_rate = (self.bytes - first[2]) / span if span > 0.5 else 0.0
        if not self.bytes_rate and self.elapsed > 0:  # files finish seconds apart: the run's mean
            self.bytes_rate = self.bytes / self.elapsed
        self.rows_rate = (history[-1][3] - first[3]) / span if span > 0.5 else 0.0

    @property
    def stage_text(self) -> str:
        return " + ".join(self.stages) if self.stages else "starting"

    def read_eta(self) -> Optional[float]:
        if self.bytes_total and self.bytes_rate > 0 and self.bytes < self.bytes_total:
            return (self.bytes_total - self.bytes) / self.bytes_rate
        return None

    def counts_text(self) -> str:
        parts = [f"records {self.records:,} ({self.records_rate:,.0f}/s)"]
        if self.articles_written or self.duplicates_written:
            parts.append(f"articles {self.articles_written:,} written")
        else:
            parts.append(f"articles {self.cleaned:,}")
        parts += [f"duplicates {self.duplicates:,}", f"dead letters {self.dead:,}"]
        return " · ".join(parts)

    @property
    def write_done(self) -> int:
        """Staged articles through the write stage: enriched or folded as copies (rows written
        when enrichment is skipped)."""
        return max(self.enriched + self.duplicates, self.articles_written + self.duplicates_written)

    def step_text(self) -> str:
        """The local runner's step: fused stages started of all, and the current one's name."""
        if not self.steps_total:
            return ""
        return f"step {self.steps:,}/{self.steps_total:,} {self.step}".rstrip()

    def workers_text(self) -> str:
        """The worker processes' start-up, until all of them are ready."""
        total, w = self.workers_total, self.workers
        if w["stopped"]:
            return f"workers {w['stopped']:,}/{total or w['launched']:,} stopped"
        if not w["launched"] or (total and w["ready"] >= total):
            return ""
        return (f"workers {w['launched']:,}/{total or w['launched']:,} started, {w['ready']:,} ready"
                + (f", {w['modules']:,} modules loaded" if w["modules"] else ""))

    def now_text(self) -> str:
        """What the launcher, the workers' start-up or the commit is doing now (empty when none)."""
        doing = ", ".join([self.doing] + self.loading if self.doing else self.loading)
        return " · ".join(p for p in (doing, self.workers_text()) if p)

    def detail_text(self, with_write: bool = True) -> str:
        parts = []
        if self.dedup_keys or self.dedup_batches or self.decisions:
            dedup = [f"{self.dedup_keys:,} keys" if self.dedup_keys else "",
                     f"{self.dedup_batches:,} batches" if self.dedup_batches else "",
                     f"{self.dedup_shards:,} shard groups joined" if self.dedup_shards else "",
                     f"{self.decisions:,} decisions",
                     f"{self.decisions_loaded:,} decisions loaded for the index"
                     if self.decisions_loaded and not self.indexed else "",
                     f"index {self.indexed:,} keys, {self.index_packed:,} packed, {self.index_files:,} files"
                     if self.indexed or self.index_files else ""]
            parts.append("dedup " + ", ".join(p for p in dedup if p))
        if self.read_back and with_write:
            parts.append(f"enriched {self.enriched:,}")
            rows = self.articles_written + self.duplicates_written
            parts.append(f"done {self.write_done:,}/{self.cleaned:,} ({self.rows_rate:,.0f} rows/s), "
                         f"written {rows:,} rows")
        return " · ".join(parts)

    def line(self) -> str:
        """One plain log line."""
        parts = [f"[{_clock(self.elapsed)}] {self.stage_text}"]
        if self.files_total:
            share = 100 * (self.bytes / self.bytes_total if self.bytes_total else self.files / self.files_total)
            parts.append(f"files {self.files:,}/{self.files_total:,} ({share:.0f}%), "
                         f"{human_bytes(self.bytes)} of {human_bytes(self.bytes_total)}")
            eta = self.read_eta()
            if eta is not None:
                parts.append(f"read ETA {_clock(eta)}")
        elif self.files:  # a streaming job: files arrive, no total
            parts.append(f"files {self.files:,} read, {human_bytes(self.bytes)}")
        parts.append(self.counts_text())
        for text in (self.detail_text(), self.step_text(), self.now_text()):
            if text:
                parts.append(text)
        return "progress " + " · ".join(parts)


class _LogView:
    """One line every LOG_EVERY seconds (and a last one at the end), for logs and pipes; a line
    that would only repeat the last one (an idle streaming job) is printed once every LOG_IDLE_EVERY
    seconds."""

    def __init__(self, listener: Listener, stream: TextIO, label: str):
        self.listener, self.stream, self.label = listener, stream, label
        self.history: collections.deque = collections.deque()
        self.last: tuple[str, float] = ("", 0.0)

    def run(self, stop: threading.Event) -> None:
        while not stop.wait(LOG_EVERY):
            self.emit()

    def emit(self, final: bool = False) -> None:
        if not any(not key.startswith(("start/", "runner/")) for key in self.listener.totals()):
            return  # still starting up: a run refused at start (bad option, busy output) prints no line
        line = Snapshot(self.listener, self.history).line()
        same = signature(line)
        now = time.monotonic()
        if same == self.last[0] and now - self.last[1] < LOG_IDLE_EVERY and not final:
            return
        self.last = (same, now)
        print(f"{self.label}: {line}", file=self.stream, flush=True)

    def close(self) -> None:
        self.emit(final=True)


class _BarView:
    """A live rich display on the terminal, redrawn every REFRESH seconds."""

    def __init__(self, listener: Listener, stream: TextIO, label: str):
        from rich.console import Console
        from rich.live import Live

        self.listener, self.label = listener, label
        self.history: collections.deque = collections.deque()
        self.console = Console(file=stream, force_terminal=True)
        self.live = Live(self._render(), console=self.console, refresh_per_second=1 / REFRESH,
                         transient=False, redirect_stdout=False, redirect_stderr=stream is sys.stderr)
        self.live.start()

    def _bar(self, label: str, done: int, total: int, text: str):
        from rich.progress_bar import ProgressBar
        from rich.table import Table

        row = Table.grid(padding=(0, 1))
        row.add_column(width=7)
        row.add_column(width=40)
        row.add_column()
        row.add_row(label, ProgressBar(total=max(total, 1), completed=min(done, total), width=40), text)
        return row

    def _render(self):
        from rich.console import Group
        from rich.text import Text

        s = Snapshot(self.listener, self.history)
        lines = [Text.assemble((f"{self.label} ", "bold"), (_clock(s.elapsed), "cyan"),
                               ("  stage: ", "dim"), (s.stage_text, "bold yellow"))]
        if s.files_total:
            eta = s.read_eta()
            lines.append(self._bar(
                "read", s.bytes if s.bytes_total else s.files, s.bytes_total or s.files_total,
                f"{s.files:,}/{s.files_total:,} files · {human_bytes(s.bytes)}/{human_bytes(s.bytes_total)}"
                + (f" · {human_bytes(s.bytes_rate)}/s · ETA {_clock(eta)}" if eta is not None else "")))
        if s.read_back or s.articles_written:
            lines.append(self._bar("write", s.write_done, s.cleaned,
                                   f"{s.write_done:,}/{s.cleaned:,} articles · enriched {s.enriched:,} · "
                                   f"rows written {s.articles_written + s.duplicates_written:,}"))
        lines.append(Text(s.counts_text()))
        detail = " · ".join(p for p in (s.detail_text(with_write=False), s.step_text()) if p)
        if detail:
            lines.append(Text(detail, style="dim"))
        if s.now_text():
            lines.append(Text.assemble(("now: ", "dim"), s.now_text()))
        return Group(*lines)

    def run(self, stop: threading.Event) -> None:
        while not stop.wait(REFRESH):
            self.live.update(self._render())

    def close(self) -> None:
        self.live.update(self._render())
        self.live.stop()


_CALL = re.compile(r"^[A-Za-z_][\w.]*\(")  # ParDo(…), Map(<lambda …>): a function, not a step name
BEAM_WORKER = "-m apache_beam.runners.worker.sdk_worker_main"


def _step_label(stage) -> str:
    """A fused stage's name for people: its transforms' labels to three levels (up to the first
    function-like part), progress counters left out, at most three of them."""
    names = []
    for transform in stage.transforms:
        parts = []
        for part in transform.unique_name.split("/")[:3]:
            if _CALL.match(part):
                break
            parts.append(part)
        label = "/".join(parts)
        if (label and not label.startswith(("ref_", "external_")) and "Progress" not in label
                and label not in names):
            names.append(label)
    text = " + ".join(names[:3]) + (" + …" if len(names) > 3 else "")
    return text[:100]


GROUPING_NOTED = 10_000  # shuffled elements from which the runner's grouping is worth a note


def _shuffled(bundle_input) -> tuple[int, int]:
    """(keys, values) of a step's grouped inputs: the local runner groups a shuffle's elements
    itself when the consuming step starts (seconds for 100,000 index rows), with no worker
    counting meanwhile."""
    keys = values = 0
    for buffer in getattr(bundle_input, "data", {}).values():
        table = getattr(buffer, "_table", None)  # FnApiRunner's GroupingBuffer: encoded key -> values
        if isinstance(table, dict):
            keys += len(table)
            values += sum(len(v) for v in table.values())
    return keys, values


def _progress_worker(environment):
    """Beam's local worker-process environment, started through `pipeline.worker` (which reports
    its start-up); any other environment unchanged."""
    from apache_beam.transforms.environments import SubprocessSDKEnvironment

    if isinstance(environment, SubprocessSDKEnvironment) and environment.command_string.endswith(BEAM_WORKER):
        return SubprocessSDKEnvironment.from_command_string(f"{sys.executable} -m pipeline.worker")
    return environment


def local_runner(**kwargs):
    """Beam's FnApiRunner, reporting what it does: which fused step of the job it executes
    (`runner/steps` of `runner/steps_total`, note `step`), and, with worker processes
    (`--direct_running_mode multi_processing`), how many it starts (`runner/workers`; the workers
    report their own start-up through `pipeline.worker`)."""
    from apache_beam.runners.portability.fn_api_runner import fn_runner
    from transforms.progress import add, note

    class StepReportingFnApiRunner(fn_runner.FnApiRunner):
        # FnApiRunner.run_pipeline sets the worker-process environment from the options; this
        # property swaps Beam's worker command for newsbeam's (same worker, with progress).
        @property
        def _default_environment(self):
            return self.__dict__.get("_newsbeam_environment")

        @_default_environment.setter
        def _default_environment(self, environment):
            self.__dict__["_newsbeam_environment"] = _progress_worker(environment)

        def apply(self, transform, pvalueish, options):
            add("plan", transforms=1)  # building the graph: each transform as it is added
            return super().apply(transform, pvalueish, options)

        def run_stages(self, stage_context, stages):
            from apache_beam.transforms.environments import SubprocessSDKEnvironment

            self._steps_seen: set = set()
            add("runner", steps_total=len(stages))
            if isinstance(self._default_environment, SubprocessSDKEnvironment):
                add("runner", workers=self._num_workers)
            return super().run_stages(stage_context, stages)

        def _execute_bundle(self, runner_execution_context, bundle_context_manager, bundle_input):
            stage = bundle_context_manager.stage
            if stage.name not in self._steps_seen:
                if not self._steps_seen:
                    note("doing", "")  # the launcher's start-up is over
                self._steps_seen.add(stage.name)
                add("runner", steps=1)
                note("step", _step_label(stage))
            keys, values = _shuffled(bundle_input)
            if values >= GROUPING_NOTED:
                note("doing", f"the runner groups {values:,} shuffled elements under {keys:,} keys for this step")
            result = super()._execute_bundle(runner_execution_context, bundle_context_manager, bundle_input)
            if values >= GROUPING_NOTED:
                note("doing", "")
            if len(self._steps_seen) == len(runner_execution_context.stages) and not (
                    runner_execution_context.queues.ready_inputs or runner_execution_context.queues.watermark_pending_inputs):
                note("doing", "every step done; stopping the workers")
            return result

    return StepReportingFnApiRunner(**kwargs)


def resolve_mode(mode: str, stream: TextIO) -> str:
    if mode not in MODES:
        raise ValueError(f"--progress must be one of {', '.join(MODES)}, not {mode!r}")
    if mode == "auto":
        return "bar" if getattr(stream, "isatty", lambda: False)() else "log"
    return mode


@contextlib.contextmanager
def live(mode: str = "auto", *, label: str = "newsbeam", stream: Optional[TextIO] = None) -> Iterator[Optional[Listener]]:
    """Show the progress of whatever runs inside the block (see the module docstring).

    `mode`: `auto` (a live display when `stream` is a terminal, else log lines), `bar`, `log`,
    or `off` (nothing, and no listener). Yields the Listener (None when off).
    """
    stream = stream or sys.stderr
    mode = resolve_mode(mode, stream)
    if mode == "off":
        yield None
        return
    listener = Listener()
    previous = os.environ.get(ENV)
    os.environ[ENV] = listener.address
    view = (_BarView if mode == "bar" else _LogView)(listener, stream, label)
    stop = threading.Event()
    thread = threading.Thread(target=view.run, args=(stop,), name="newsbeam-progress-view", daemon=True)
    thread.start()
    try:
        yield listener
    finally:
        from transforms.progress import flush

        flush()  # steps that ran in this process
        time.sleep(0.2)  # let the last datagrams land
        stop.set()
        thread.join(timeout=2)
        view.close()
        listener.close()
        if previous is None:
            os.environ.pop(ENV, None)
        else:
            os.environ[ENV] = previous
