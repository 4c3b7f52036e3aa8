"""Live progress: the UDP side channel from worker processes, the log and terminal views, and a
run recorded in a real terminal (tmux)."""

from __future__ import annotations

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
