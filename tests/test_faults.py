"""Fault injection, as an operator meets it: `newsbeam run` as a separate process, killed with
SIGKILL at staging, dedup and write and rerun; hostile input trees; two runs into one output;
bad options; two worker processes. `make test` prints the tally (kills survived, hostile inputs
tried, rows lost) at the end (tests/conftest.py)."""

from __future__ import annotations

import gzip
import io
import json
import os
import signal
import socket
import subprocess
import sys
import tarfile
import time
import zlib
from pathlib import Path

import pytest

from conftest import REPO, SEEDS, SHARED_DATA, read_table, tally

TIMEOUT = 300


def _cmd(inputs, out, *extra) -> list[str]:
    argv = [sys.executable, "-m", "pipeline", "run"]
    for url in inputs:
        argv += ["--input", str(url)]
    return argv + ["--output", str(out), "--skip-enrich", *extra]


def _run(inputs, out, *extra) -> subprocess.CompletedProcess:
    return subprocess.run(_cmd(inputs, out, *extra), cwd=REPO, capture_output=True, text=True, timeout=TIMEOUT,
                          env={**os.environ, "PYTHONWARNINGS": "ignore"})


def _rows(out: Path) -> dict[str, list]:
    """Every row of the three tables, without the ingestion time (which differs between runs)."""
    rows = {}
    for table in ("articles", "duplicates", "dead_letter"):
        data = read_table(out, table)
        if data is None:
            rows[table] = []
            continue
        found = [{k: v for k, v in row.items() if k != "ingested_at"} for row in data.to_pylist()]
        rows[table] = sorted(found, key=lambda r: json.dumps(r, sort_keys=True, default=str))
    return rows


def _debris(out: Path) -> list[str]:
    """What a finished run must not leave: staging folders and temporary files."""
    left = [str(p.relative_to(out)) for p in out.rglob("*") if p.name.endswith(".tmp")]
    if (out / "_staging").exists():
        left += [str(p.relative_to(out)) for p in (out / "_staging").iterdir()] or ["_staging/"]
    if (out / "_pending").exists():
        left += [str(p.relative_to(out)) for p in (out / "_pending").iterdir()] or ["_pending/"]
    return left


def _corpus(tmp: Path) -> Path:
    """A small input: the seeds and some BBC stories (with their exact and near duplicates)."""
    tree = tmp / "in"
    subprocess.run(["cp", "-r", str(SEEDS), str(tree)], check=True)
    bbc = SHARED_DATA / "bbc"
    if bbc.exists():
        for topic in ("business", "sport"):
            folder = tree / "bbc" / topic
            folder.mkdir(parents=True)
            for path in sorted((bbc / topic).glob("*.txt"))[:12]:
                (folder / path.name).write_bytes(path.read_bytes())
    return tree


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("faults")
    tree = _corpus(tmp)
    clean = tmp / "clean"
    result = _run([tree], clean)
    assert result.returncode == 0, result.stderr
    return tree, _rows(clean)


# Markers of each phase: the first file that exists only once the run has reached it.
PHASES = {
    "staging": lambda out: [p for p in out.glob("_pending/*/_staging/*/*.parquet")],
    "dedup": lambda out: [p for p in out.glob("_pending/*/_staging/*/dedup-*/*.pkl")],
    "write": lambda out: [p for p in out.glob("_pending/*/articles/**/*") if p.is_file()],
}


@pytest.mark.parametrize("phase", sorted(PHASES))
def test_kill_9_then_rerun_gives_the_clean_rows_and_leaves_no_debris(corpus, tmp_path, phase):
    tree, clean = corpus
    out = tmp_path / "out"
    proc = subprocess.Popen(_cmd([tree], out), cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            start_new_session=True, env={**os.environ, "PYTHONWARNINGS": "ignore"})
    deadline = time.monotonic() + TIMEOUT
    hit = False
    while time.monotonic() < deadline and proc.poll() is None:
        if PHASES[phase](out):
            os.killpg(proc.pid, signal.SIGKILL)  # the run and any worker processes it started
            hit = True
            break
        time.sleep(0.005)
    proc.wait(timeout=60)
    assert hit, f"the run ended before reaching {phase}: {proc.stderr.read()[-500:]}"
    assert proc.returncode == -signal.SIGKILL
    assert (out / "_pending").exists()  # the killed run did leave debris (its pending output)

    rerun = _run([tree], out)
    assert rerun.returncode == 0, rerun.stderr
    assert "removed debris of dead runs: 1 staging folder(s)" in rerun.stderr
    assert "Traceback" not in rerun.stderr
    rows = _rows(out)
    lost = sum(len(clean[t]) for t in clean) - sum(1 for t in clean for r in clean[t] if r in rows[t])
    tally("kills", 1)
    tally("rows_lost", lost)
    assert rows == clean
    assert _debris(out) == []
    tally("kills_survived", 1)


def _hostile_tree(tmp: Path) -> tuple[Path, dict[str, str]]:
    """A tree with every hostile entry an operator's folder may hold; returns it and
    {entry name: the dead letter message expected for it}."""
    tree = tmp / "hostile"
    tree.mkdir()
    story = SEEDS.joinpath("000_983ffb8b3d720b76.txt").read_bytes()
    (tree / "good.txt").write_bytes(story)
    latin = os.path.join(os.fsencode(tree), b"caf\xe9_latin1.txt")
    with open(latin, "wb") as handle:
        handle.write("Le caf\u00e9 du village a rouvert ses portes lundi apr\u00e8s deux ans de travaux, "
                     "a annonc\u00e9 le maire devant une foule nombreuse.".encode("latin-1"))
    os.mkfifo(tree / "pipe.txt")
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(tree / "control.sock"))
    outside = tmp / "outside-secret.txt"
    outside.write_text("SECRET-OUTSIDE-THE-INPUT-ROOT " * 20)
    (tree / "leak.txt").symlink_to(outside)
    (tree / "nul.txt").write_bytes(b"\x00" * 4096)
    (tree / "dangling.txt").symlink_to(tree / "gone.txt")
    lines = b"".join(json.dumps({"title": f"Item {i}", "text": f"Story number {i} of the feed. " * 20}).encode()
                     + b"\n" for i in range(300))
    data = gzip.compress(lines)
    (tree / "cut.jsonl.gz").write_bytes(data[: len(data) // 2])
    archive = io.BytesIO()
    with tarfile.open(fileobj=archive, mode="w") as tar:
        for i in range(5):
            body = (f"Council story {i}: the council met on Tuesday and voted on budget item {i} "
                    "after a long debate about roads and schools. ").encode() * 3
            info = tarfile.TarInfo(f"story-{i}.txt")
            info.size = len(body)
            tar.addfile(info, io.BytesIO(body))
    (tree / "plain-tar-named.tar.xz").write_bytes(archive.getvalue())
    locked = tree / "locked"
    locked.mkdir()
    (locked / "inside.txt").write_bytes(story)
    expected = {
        "pipe.txt": "named pipe",
        "control.sock": "socket",
        "leak.txt": "outside the input root",
        "nul.txt": "mostly NUL",
        "dangling.txt": "broken symbolic link",
        "cut.jsonl.gz": "ends early",
    }
    unreadable = tree / "unreadable.txt"
    unreadable.write_bytes(story)
    locked.chmod(0)
    unreadable.chmod(0)
    # As root, permissions do not block reads: these two cannot be tried honestly then
    # (tests/test_read.py makes listing fail instead, which works as root too).
    if os.access(locked, os.R_OK):
        locked.chmod(0o755)
    else:
        expected["locked"] = "cannot list folder"
    if os.access(unreadable, os.R_OK):
        unreadable.chmod(0o644)
    else:
        expected["unreadable.txt"] = "PermissionError"
    sock.close()
    return tree, expected


def test_hostile_tree_is_read_without_crash_hang_or_leak(tmp_path):
    tree, expected = _hostile_tree(tmp_path)
    out = tmp_path / "out"
    try:
        result = _run([tree], out)
    finally:
        (tree / "locked").chmod(0o755)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    tally("hostile_inputs", len(expected) + 2)  # + the Latin-1 name and the mis-named tar
    manifest = json.loads(next(p for p in (out / "_runs").glob("*.json") if not p.name.startswith("_")).read_text())
    assert manifest["balanced"]
    articles = read_table(out, "articles").to_pylist()
    duplicates = read_table(out, "duplicates").to_pylist()
    dead = read_table(out, "dead_letter").to_pylist()
    for name, needle in expected.items():
        (row,) = [d for d in dead if d["source_uri"].endswith(name) and d["stage"] in ("read", "parse")
                  and (name != "cut.jsonl.gz" or "ends early" in d["message"])]
        assert needle in row["message"], (name, row["message"])
    for row in dead:
        assert row["raw_excerpt"] is None or len(row["raw_excerpt"].encode("utf-8")) <= 1024
        if row["source_uri"].endswith(("nul.txt", "cut.jsonl.gz")):
            assert row["raw_size"] and len(row["raw_sha256"]) == 64 and row["raw_excerpt"]
        if row["source_uri"].endswith(("pipe.txt", "control.sock", "leak.txt")):
            assert row["raw_size"] is None and row["raw_excerpt"] is None  # never opened
    bodies = [a["body"] for a in articles]
    assert not any("SECRET-OUTSIDE" in body for body in bodies)
    assert not any("\x00" in body for body in bodies)
    latin = [a for a in articles if "caf%E9_latin1.txt" in a["source_uri"]]
    assert len(latin) == 1 and latin[0]["source_uri"].startswith("file://")
    assert "Le café du village" in latin[0]["body"]
    tar_rows = [r for r in articles + duplicates if "plain-tar-named.tar.xz" in r["source_uri"]]
    assert len(tar_rows) == 5
    kept = [r for r in articles + duplicates if "cut.jsonl.gz#" in r["source_uri"]]
    whole = zlib.decompressobj(wbits=31).decompress((tree / "cut.jsonl.gz").read_bytes()).count(b"\n")
    assert len(kept) == whole > 100  # every whole line before the break, and nothing else
    assert _debris(out) == []


def test_second_run_into_a_busy_output_refuses_in_one_line_and_the_first_finishes(corpus, tmp_path):
    tree, clean = corpus
    out = tmp_path / "out"
    first = subprocess.Popen(_cmd([tree], out), cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True, env={**os.environ, "PYTHONWARNINGS": "ignore"})
    lease = out / "_staging" / "_lease.json"
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline and first.poll() is None and not (lease.exists() and lease.stat().st_size):
        time.sleep(0.01)
    assert first.poll() is None, "the first run ended before the second could start"
    second = _run([tree], out)
    _, first_err = first.communicate(timeout=TIMEOUT)
    tally("concurrent_runs", 1)
    assert second.returncode == 2
    assert len(second.stderr.strip().splitlines()) == 1 and "is in use by run" in second.stderr
    assert first.returncode == 0, first_err
    assert _rows(out) == clean
    assert len([p for p in (out / "_runs").glob("*.json") if not p.name.startswith("_")]) == 1  # one run manifest
    assert _debris(out) == []


@pytest.mark.parametrize("extra,needle", [
    (["--direct_num_workers", "-2"], "--direct_num_workers must be 0"),
    (["--dedup-index", "nosuch://x"], "unusable URL scheme nosuch://"),
    (["--max-file-bytes", "lots"], "invalid int value: 'lots'"),
    (["--near-threshold", "high"], "invalid float value: 'high'"),
    (["--direct_num_workers", "two"], "invalid int value: 'two'"),
    (["--runner", "NoSuchRunner"], "Unexpected pipeline runner: NoSuchRunner"),
])
def test_bad_options_exit_2_in_one_line_and_create_nothing(tmp_path, capsys, extra, needle):
    from pipeline.cli import main  # in-process: test_cli runs the command line as a process already

    out = tmp_path / "out"
    assert main(["run", "--input", str(SEEDS), "--output", str(out), *extra]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and needle in err and "Traceback" not in err
    assert not out.exists()


def test_two_worker_processes_give_the_same_rows_as_one(corpus, tmp_path):
    tree, clean = corpus
    out = tmp_path / "out"
    result = _run([tree], out, "--direct_running_mode", "multi_processing", "--direct_num_workers", "2")
    assert result.returncode == 0, result.stderr
    assert _rows(out) == clean and sum(map(len, clean.values())) > 0
