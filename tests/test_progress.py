"""Live progress: the UDP side channel from worker processes, the log and terminal views, and a
run recorded in a real terminal (tmux)."""

from __future__ import annotations

import collections
import io
import json
import os
import re
import shutil
import subprocess
import sys
import time

import pytest

from pipeline import progress
from tests.conftest import REPO, SEEDS
from transforms import progress as sender
from transforms.progress import ENV


def _wait_for(predicate, timeout: float = 10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return predicate()


def test_totals_from_other_processes_are_summed():
    listener = progress.Listener()
    script = ("from transforms import progress\n"
              "for _ in range(500): progress.add('read', files=1, bytes=10)\n"
              "progress.add('parse', records=7)\n"
              "progress.flush()\n")
    try:
        for _ in range(2):
            subprocess.run([sys.executable, "-c", script], check=True, cwd=REPO,
                           env={**os.environ, ENV: listener.address}, timeout=60)
        assert _wait_for(lambda: listener.totals().get("parse/records") == 14)
        assert listener.totals() == {"read/files": 1000, "read/bytes": 10000, "parse/records": 14}
    finally:
        listener.close()


def test_a_late_datagram_never_replaces_newer_totals():
    listener = progress.Listener()
    try:
        listener.receive(json.dumps({"id": "w1", "seq": 2, "totals": {"read/files": 5}}).encode())
        listener.receive(json.dumps({"id": "w1", "seq": 1, "totals": {"read/files": 3}}).encode())
        listener.receive(json.dumps({"id": "w2", "seq": 1, "totals": {"read/files": 1}}).encode())
        listener.receive(b"not json")
        assert listener.totals() == {"read/files": 6}
        assert listener.active_stages() == ["read"]
    finally:
        listener.close()


def test_without_a_listener_add_does_nothing(monkeypatch):
    monkeypatch.delenv(ENV, raising=False)
    sender.add("read", files=1)
    assert sender._current() is None


def test_log_view_writes_a_line_per_interval_with_totals_and_stage(monkeypatch):
    monkeypatch.setattr(progress, "LOG_EVERY", 0.2)
    monkeypatch.setattr(progress, "ACTIVE_FOR", 0.5)
    stream = io.StringIO()
    with progress.live("log", label="newsbeam", stream=stream):
        assert os.environ[ENV]
        sender.add("match", files=4, bytes=4_000_000)
        sender.add("read", files=1, bytes=1_000_000)
        sender.add("parse", records=250)
        time.sleep(0.4)
        sender.add("dedup", batches=3)
        time.sleep(1.2)
    assert ENV not in os.environ
    lines = stream.getvalue().splitlines()
    assert len(lines) >= 4, lines
    assert re.search(r"files 1/4 \(25%\), 1\.0 MB of 4\.0 MB", lines[-1]), lines[-1]
    assert "records 250 " in lines[-1] and "dedup 3 batches" in lines[-1]
    assert any("] match + read + parse ·" in line for line in lines), lines
    assert "] dedup ·" in lines[-1]


def test_bar_view_draws_a_bar_on_a_terminal():
    stream = io.StringIO()
    with progress.live("bar", label="newsbeam", stream=stream):
        sender.add("match", files=10, bytes=10_000)
        sender.add("read", files=5, bytes=5_000)
        sender.add("clean", articles=40)
        time.sleep(0.8)
    screen = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", stream.getvalue())
    assert "5/10 files" in screen and "stage:" in screen
    assert "━" in screen
    assert "articles 40" in screen


def test_auto_is_log_lines_when_not_a_terminal():
    assert progress.resolve_mode("auto", io.StringIO()) == "log"
    with pytest.raises(ValueError):
        progress.resolve_mode("loud", io.StringIO())


@pytest.mark.slow
def test_recorded_terminal_session_shows_every_stage(tmp_path):
    """A small run in a real terminal (tmux): the display moves through read, dedup and write,
    with bars, and ends with the summary. The 100k-article recording is in bench/results/."""
    if not shutil.which("tmux"):
        pytest.skip("tmux is not installed (make browser)")
    from bench.progress_session import gaps, record, stage_of

    newsbeam = os.path.join(os.path.dirname(sys.executable), "newsbeam")
    command = [newsbeam, "run", "--input", str(SEEDS), "--output", str(tmp_path / "out"), "--progress", "bar"]
    frames, _ = record(command, every=0.25, height=30)
    screens = "\n".join(frame for _, frame in frames)
    stages = {stage_of(frame) for _, frame in frames}
    assert any("read" in s or "parse" in s or "match" in s for s in stages), stages
    assert any("dedup" in s for s in stages), stages
    assert any("write" in s or "enrich" in s for s in stages), stages
    assert re.search(r"read +━+ +4/4 files", screens), screens[-3000:]
    assert "finished in" in frames[-1][1] or "finished in" in screens
    assert gaps(frames), "the display never moved"


def _datagram(listener, sender: str, seq: int, totals: dict, notes: dict | None = None):
    listener.receive(json.dumps({"id": sender, "seq": seq, "totals": totals, "notes": notes or {}}).encode())


def test_a_note_shows_the_sender_that_changed_it_last_and_a_cleared_one_falls_back():
    listener = progress.Listener()
    try:
        _datagram(listener, "launcher", 1, {}, {"doing": "building the graph"})
        time.sleep(0.01)
        _datagram(listener, "worker", 1, {}, {"doing": "commit: 3 of 9 files read"})
        _datagram(listener, "launcher", 2, {}, {"doing": "building the graph"})  # unchanged: stays older
        assert listener.notes()["doing"] == "commit: 3 of 9 files read"
        _datagram(listener, "worker", 2, {}, {"doing": ""})
        assert listener.notes()["doing"] == "building the graph"
    finally:
        listener.close()


def test_snapshot_shows_the_workers_start_up_then_their_stop():
    listener = progress.Listener()
    try:
        _datagram(listener, "launcher", 1, {"runner/workers": 2, "runner/steps": 1, "runner/steps_total": 40},
                  {"step": "Match/Plan + Match/Files"})
        _datagram(listener, "w1", 1, {"workers/launched": 1, "workers/modules": 700})
        _datagram(listener, "w2", 1, {"workers/launched": 1, "workers/modules": 650, "workers/ready": 1})
        line = progress.Snapshot(listener, collections.deque()).line()
        assert "workers 2/2 started, 1 ready, 1,350 modules loaded" in line, line
        assert "step 1/40 Match/Plan + Match/Files" in line and "] workers ·" in line, line
        _datagram(listener, "w1", 2, {"workers/launched": 1, "workers/modules": 900, "workers/ready": 1})
        assert "workers" not in progress.Snapshot(listener, collections.deque()).now_text()  # all ready: hidden
        _datagram(listener, "w1", 3, {"workers/launched": 1, "workers/modules": 900, "workers/ready": 1,
                                      "workers/stopped": 1})
        assert "workers 1/2 stopped" in progress.Snapshot(listener, collections.deque()).line()
    finally:
        listener.close()


def test_log_view_prints_nothing_while_the_launcher_is_starting(monkeypatch):
    """A run refused at start (bad option, busy output) prints its one error line and no progress."""
    monkeypatch.setattr(progress, "LOG_EVERY", 0.1)
    stream = io.StringIO()
    with progress.live("log", stream=stream):
        sender.add("start", steps=2, modules=900)
        sender.note("doing", "checking options and inputs")
        time.sleep(0.5)
    assert stream.getvalue() == ""
    with progress.live("log", stream=stream):
        sender.add("plan", files=3)
        sender.note("doing", "3 input files to read")
        time.sleep(0.5)
    assert "] plan ·" in stream.getvalue() and "3 input files to read" in stream.getvalue()


def test_loading_modules_counts_the_imports_of_another_process():
    listener = progress.Listener()
    script = ("from transforms import progress\n"
              "with progress.LoadingModules('workers'):\n"
              "    import decimal, email.mime.text, xml.dom.minidom, http.client\n"
              "progress.flush()\n")
    try:
        subprocess.run([sys.executable, "-c", script], check=True, cwd=REPO,
                       env={**os.environ, ENV: listener.address}, timeout=60)
        assert _wait_for(lambda: listener.totals().get("workers/modules", 0) > 20), listener.totals()
    finally:
        listener.close()


def test_local_worker_processes_start_through_the_reporting_entry_point():
    from apache_beam.transforms.environments import EmbeddedPythonEnvironment, SubprocessSDKEnvironment

    beams = SubprocessSDKEnvironment.from_command_string(f"{sys.executable} {progress.BEAM_WORKER}")
    ours = progress._progress_worker(beams)
    assert ours.command_string == f"{sys.executable} -m pipeline.worker"
    embedded = EmbeddedPythonEnvironment.default()
    assert progress._progress_worker(embedded) is embedded
    runner = progress.local_runner()
    assert runner._default_environment == embedded or not isinstance(runner._default_environment,
                                                                     SubprocessSDKEnvironment)
    runner._default_environment = beams  # what FnApiRunner.run_pipeline sets for multi_processing
    assert runner._default_environment.command_string.endswith("-m pipeline.worker")


def test_step_labels_name_the_steps_not_their_functions():
    class _T:
        def __init__(self, name):
            self.unique_name = name

    class _Stage:
        transforms = [_T("Dedup/Decide/GroupById/Read"), _T("Dedup/Decide/FoldSameId/ParDo(_FoldSameId)"),
                      _T("ProgressDecisions/ParDo(_TickFn)"), _T("Inputs/FlatMap(<lambda at core.py:1>)"),
                      _T("ref_PCollection_PCollection_9/Read")]

    assert progress._step_label(_Stage()) == "Dedup/Decide/GroupById + Dedup/Decide/FoldSameId + Inputs"


def test_progress_mode_is_read_before_the_full_parse():
    from pipeline import cli

    assert cli._progress_mode(["--input", "x", "--output", "y"]) == "auto"
    assert cli._progress_mode(["--progress=log"]) == "log"
    assert cli._progress_mode(["--progress", "bar", "--runner", "DataflowRunner"]) == "off"
    assert cli._progress_mode(["--progress", "bar", "--runner", "FnApiRunner"]) == "bar"
    assert cli._progress_mode(["--streaming", "--progress", "bar"]) == "bar"  # a local streaming job
    assert cli._progress_mode(["--streaming", "--runner", "DataflowRunner"]) == "off"
    assert cli._progress_mode(["--progress", "loud"]) == "off"  # the full parse reports it


def test_commit_counts_each_file_it_reads_and_moves(tmp_path):
    from pipeline import incremental

    listener = progress.Listener()
    os.environ[ENV] = listener.address
    try:
        count = incremental._counted(lambda item: item * 2, "read", 3, "files read")
        assert [count(i) for i in range(3)] == [0, 2, 4]
        sender.flush()
        assert _wait_for(lambda: listener.totals().get("commit/read") == 3), listener.totals()
        assert _wait_for(lambda: listener.notes().get("doing") == "commit: 3 of 3 files read"), listener.notes()
    finally:
        os.environ.pop(ENV, None)
        listener.close()


def test_session_verdict_fails_on_a_gap_over_two_seconds():
    from bench.progress_session import report, verdict

    moving = [(t * 0.5, f"newsbeam  stage: read\nrecords {t}") for t in range(10)]
    assert verdict(moving) == (True, 0.5)
    stalled = moving + [(7.5, "newsbeam  stage: dedup\nrecords 99")]
    passed, longest = verdict(stalled)
    assert not passed and longest == pytest.approx(3.0)
    text = report(stalled, 8.0, ["newsbeam", "run"], ("1.0", "1.0"))
    assert text.startswith("FAIL: longest stretch without visible progress 3.00 s")
    assert "for   3.0 s, ended in 'dedup'" in text


def test_the_runners_own_grouping_is_measured_from_its_buffers():
    from types import SimpleNamespace

    grouped = SimpleNamespace(_table={b"2024-05-01": [1, 2, 3], b"2024-05-02": [4]})
    listed = SimpleNamespace()  # a ListBuffer: nothing for the runner to group
    assert progress._shuffled(SimpleNamespace(data={"a": grouped, "b": listed})) == (2, 4)
    assert progress._shuffled(SimpleNamespace(data={})) == (0, 0)


def test_log_view_repeats_an_unchanged_line_only_once_a_minute_and_counts_files_without_a_total(monkeypatch):
    """A local streaming job: files arrive with no total known, and it may sit idle for hours."""
    monkeypatch.setattr(progress, "LOG_EVERY", 0.1)
    stream = io.StringIO()
    with progress.live("log", stream=stream):
        sender.add("read", files=2, bytes=3_000)
        sender.add("parse", records=61)
        sender.add("write", articles=61)
        sender.note("doing", "streaming from sub1 (window 10 s; Ctrl-C drains and stops)")
        time.sleep(1.0)  # ~10 intervals with nothing new
        sender.add("read", files=1, bytes=1_000)
        time.sleep(0.4)
    lines = stream.getvalue().splitlines()
    assert "files 2 read, 3.0 kB" in lines[0] and "streaming from sub1" in lines[0], lines[0]
    assert "files 3 read, 4.0 kB" in lines[-1], lines[-1]
    # the first line, the one after the new file and the last one at close; not one per interval
    assert 2 <= len(lines) <= 4, lines
