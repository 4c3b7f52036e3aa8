"""Record a local run's live progress in a real terminal (tmux) and measure how often it moves.

`python -m bench.progress_session --input bench/corpus/n100000/jsonl` starts
`newsbeam run … --progress bar` in a detached tmux session, captures the pane every
`--every` seconds, and writes `bench/results/progress-<name>.txt` (the figures: wall time, load,
the longest stretch without visible progress per stage) and `progress-<name>-frames.txt.gz`
(every captured frame with its time). A frame "moves" when anything but the clock and the rates changed (a count,
a bar, the stage); the bar is that no gap between two moving frames exceeds `BAR` (2 s) in any
stage, from the command's start (a blank pane counts) to its end. It prints PASS or FAIL, the
longest gap per stage and every gap over the bar with what the display showed when it ended, and
exits 1 on FAIL. The load average at the start and end is recorded beside the figures (the
machine is shared: a loaded machine stretches every gap).

A quicker check: `python -m bench.corpus --articles 20000 --layout jsonl`, then
`python -m bench.progress_session --input bench/corpus/n20000/jsonl --name 20000`.
"""

from __future__ import annotations

import argparse
import gzip
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from pipeline.progress import signature

RESULTS = Path(__file__).resolve().parent / "results"
BAR = 2.0  # seconds: the longest a stage may go without visible progress
LOCAL_WORKERS = ["--direct_running_mode", "multi_processing", "--direct_num_workers", "2"]
FRAMES = "\n--- frames (seconds since start) ---"
_STAGE = re.compile(r"stage: (.+?)\s*$", re.M)


def stage_of(frame: str) -> str:
    found = _STAGE.search(frame)
    return found.group(1).strip() if found else "?"


def gaps(frames: list[tuple[float, str]]) -> list[tuple[float, float, str]]:
    """(start, length, stage) of every stretch between two frames that moved."""
    out, last_time, last_sig = [], None, None
    for when, frame in frames:
        sig = signature(frame)
        if sig != last_sig:
            if last_time is not None:
                out.append((last_time, when - last_time, stage_of(frame)))
            last_time, last_sig = when, sig
    return out


def record(command: list[str], every: float, width: int = 160, height: int = 12,
           timeout: float = 3600) -> tuple[list[tuple[float, str]], float]:
    """Run `command` in a detached tmux pane; (time, frame) captures and the wall time."""
    if not shutil.which("tmux"):
        raise RuntimeError("tmux is not installed")
    name = f"newsbeam-progress-{os.getpid()}"
    done = Path(tempfile.mkdtemp()) / "done"
    shell = " ".join(_quote(c) for c in command) + f"; echo $? > {done}"
    subprocess.run(["tmux", "new-session", "-d", "-s", name, "-x", str(width), "-y", str(height), shell],
                   check=True)
    frames, started = [], time.monotonic()
    try:
        while not done.exists() and time.monotonic() - started < timeout:
            pane = subprocess.run(["tmux", "capture-pane", "-p", "-t", name], capture_output=True, text=True)
            if pane.returncode == 0:
                frames.append((time.monotonic() - started, pane.stdout.rstrip()))
            time.sleep(every)
    finally:
        subprocess.run(["tmux", "kill-session", "-t", name], capture_output=True)
    return frames, time.monotonic() - started


def _quote(word: str) -> str:
    return word if re.fullmatch(r"[\w./:=,-]+", word) else "'" + word.replace("'", "'\\''") + "'"


def _doing(frame: str) -> str:
    """The display's step and "now:" lines of a frame (what the job was doing)."""
    found = [line.strip() for line in frame.splitlines() if re.search(r"\bstep \d|^\s*now: ", line)]
    return " | ".join(found)[:200]


def verdict(frames: list[tuple[float, str]]) -> tuple[bool, float]:
    """(passed, longest gap): whether no stretch without visible progress exceeded BAR."""
    longest = max((length for _, length, _ in gaps(frames)), default=float("inf"))
    return longest <= BAR, longest


def report(frames: list[tuple[float, str]], wall: float, command: list[str], load: tuple[str, str]) -> str:
    stretches = gaps(frames)
    worst: dict[str, float] = {}
    for _, length, stage in stretches:
        worst[stage] = max(worst.get(stage, 0.0), length)
    passed, longest = verdict(frames)
    over = [(start, length, stage) for start, length, stage in stretches if length > BAR]
    by_time = dict(frames)
    lines = [f"{'PASS' if passed else 'FAIL'}: longest stretch without visible progress {longest:.2f} s "
             f"(bar: at most {BAR:g} s in every stage)",
             f"command: {' '.join(command)}", f"wall: {wall:.1f} s, frames: {len(frames)}",
             f"load average at start: {load[0]}", f"load average at end:   {load[1]}",
             "longest stretch per stage (the stage shown when it ended):"]
    lines += [f"  {stage:<40} {length:5.2f} s" for stage, length in sorted(worst.items(), key=lambda kv: -kv[1])]
    lines.append(f"stretches between two moving frames: {len(stretches)}; longer than {BAR:g} s: {len(over)}")
    for start, length, stage in over:
        ended = by_time.get(round(start + length, 6)) or next((f for t, f in frames if t >= start + length - 1e-6), "")
        lines.append(f"  at {start:7.1f} s for {length:5.1f} s, ended in {stage!r}: {_doing(ended)}")
    lines.append(FRAMES)
    for when, frame in frames:
        lines.append(f"@{when:7.2f}s\n{frame}")
    return "\n".join(lines) + "\n"


def _load() -> str:
    return Path("/proc/loadavg").read_text().split(" up ")[0].strip() if Path("/proc/loadavg").exists() else "?"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.progress_session", description=__doc__.split("\n")[0])
    parser.add_argument("--input", required=True)
    parser.add_argument("--output", default=None, help="default: a temporary folder, removed afterwards")
    parser.add_argument("--name", default="100000")
    parser.add_argument("--every", type=float, default=0.5, help="seconds between two captures")
    parser.add_argument("extra", nargs="*", help="more `newsbeam run` options (after --); default: "
                        + " ".join(LOCAL_WORKERS))
    args = parser.parse_args(argv)
    output = args.output or tempfile.mkdtemp(prefix="newsbeam-progress-")
    newsbeam = str(Path(sys.executable).with_name("newsbeam"))
    command = [newsbeam, "run", "--input", args.input, "--output", output, "--progress", "bar",
               *(args.extra or LOCAL_WORKERS)]
    load_start = _load()
    frames, wall = record(command, args.every)
    text = report(frames, wall, command, (load_start, _load()))
    figures, frames_text = text.split(FRAMES, 1)
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"progress-{args.name}.txt"
    path.write_text(figures)
    with gzip.open(RESULTS / f"progress-{args.name}-frames.txt.gz", "wt") as handle:
        handle.write(FRAMES + frames_text)
    print(figures)
    print(f"figures: {path}; frames: {path.with_name(path.stem + '-frames.txt.gz')}")
    if not args.output:
        shutil.rmtree(output, ignore_errors=True)
    return 0 if verdict(frames)[0] else 1


if __name__ == "__main__":
    sys.exit(main())
