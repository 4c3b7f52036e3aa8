"""End to end: `newsbeam run --streaming` on the local runner against the Pub/Sub emulator.

Files are dropped into a folder over time and notified (`pipeline.notify`, the messages
`newsbeam notify` sends); Parquet appears window by window; SIGINT drains and stops the job with
exit 0; the accounting holds for everything dropped, and the articles and duplicates equal a
batch run over the same folder. Skipped when the Google Cloud CLI (with its Pub/Sub emulator)
or Java is absent.
"""

from __future__ import annotations

import glob
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from pipeline.notify import folder_notifications, publish

sys.path.insert(0, str(Path(__file__).parent))
from pubsub_emulator import available, emulator, topic_and_subscription  # noqa: E402

SEEDS = Path(__file__).resolve().parent.parent / "seeds"
WINDOW_S = 3

pytestmark = pytest.mark.skipif(not available(), reason="gcloud (Pub/Sub emulator) or java not installed")


def parquet_rows(out: Path, table: str) -> list[dict]:
    files = sorted(glob.glob(f"{out}/{table}/**/*.parquet", recursive=True))
    if not files:
        return []
    return duckdb.sql(f"select * from read_parquet({files!r}, hive_partitioning=true)").df().to_dict("records")


def wait_for(predicate, timeout_s: float, what: str):
    deadline = time.time() + timeout_s
    while time.time() < deadline:
        if predicate():
            return
        time.sleep(0.25)
    raise AssertionError(f"timed out after {timeout_s}s waiting for {what}")


def drop(src: Path, topic: str, seen: dict, files: dict[str, Path]) -> None:
    for name, original in files.items():
        shutil.copyfile(original, src / name)
    assert publish(topic, folder_notifications(str(src), seen)) == len(files)


def trimmed_copy(original: Path, target: Path) -> Path:
    """A near copy: the story cut to its first two thirds, one sentence of the re-publisher added."""
    paragraphs = original.read_text(encoding="utf-8").split("\n\n")
    kept = paragraphs[: len(paragraphs) * 2 // 3] + ["Our correspondent adds that talks will resume next month."]
    target.write_text("\n\n".join(kept), encoding="utf-8")
    return target


def test_streaming_job_on_the_emulator_equals_the_batch_run(tmp_path):
    src, out, batch = tmp_path / "in", tmp_path / "out", tmp_path / "batch"
    src.mkdir()
    near = trimmed_copy(SEEDS / "000_983ffb8b3d720b76.txt", tmp_path / "near.txt")
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    with emulator():
        topic, subscription = topic_and_subscription("e2e")
        env["PUBSUB_EMULATOR_HOST"] = os.environ["PUBSUB_EMULATOR_HOST"]
        job = subprocess.Popen(
            [sys.executable, "-m", "pipeline", "run", "--streaming", "--input-subscription", subscription,
             "--output", str(out), "--window", str(WINDOW_S), "--heartbeat", "1", "--skip-enrich",
             "--run-id", "e2e"],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
        try:
            seen: dict = {}
            drop(src, topic, seen, {"000_story.txt": SEEDS / "000_983ffb8b3d720b76.txt",
                                    "wire.jsonl.gz": SEEDS / "feeds" / "sample-wire-2024-05-01.jsonl.gz"})
            wait_for(lambda: parquet_rows(out, "articles"), 120, "the first window's articles")
            first = len(parquet_rows(out, "articles"))
            copies = len(parquet_rows(out, "duplicates"))  # the wire feed holds copies of its own
            drop(src, topic, seen, {"001_copy.txt": SEEDS / "000_983ffb8b3d720b76.txt",
                                    "002_syndicated.txt": SEEDS / "scraped" / "001_syndicated_copy_of_000.txt",
                                    "003_trimmed.txt": near})
            wait_for(lambda: len(parquet_rows(out, "duplicates")) >= copies + 3, 60, "the copies' window")
            assert len(parquet_rows(out, "articles")) == first  # copies of a committed article add none
            drop(src, topic, seen, {"bad.json": SEEDS / "bad" / "truncated-feed.json"})
            wait_for(lambda: parquet_rows(out, "dead_letter"), 60, "the bad file's dead letter")
            # a notification redelivered for the same generation is processed once
            publish(topic, folder_notifications(str(src), {}))
            time.sleep(2 * WINDOW_S)
            job.send_signal(signal.SIGINT)
            output, _ = job.communicate(timeout=120)
        finally:
            if job.poll() is None:
                job.kill()
    assert job.returncode == 0, output[-2000:]
    assert "accounting     balanced" in output, output[-2000:]
    total = json.loads((out / "_runs" / "e2e.json").read_text())
    windows = sorted((out / "_runs").glob("e2e-w*.json"))
    assert total["windows"] == len(windows) >= 3  # window by window
    assert total["balanced"] and total["drained"] and total["counts"]["files_matched"] == 6
    assert total["counts"]["records_in"] == sum(json.loads(w.read_text())["counts"]["records_in"] for w in windows)
    assert not list(out.rglob(".*.tmp")) and not (out / "_staging").exists()

    subprocess.run([sys.executable, "-m", "pipeline", "run", "--input", str(src), "--output", str(batch),
                    "--skip-enrich", "--run-id", "batch"], check=True, capture_output=True, env=env)
    batch_total = json.loads((batch / "_runs" / "batch.json").read_text())
    assert batch_total["counts"] == total["counts"]

    def article_rows(root):
        return sorted((r["id"], r["source_uri"], r["cluster_id"], r["title"], r["body"])
                      for r in parquet_rows(root, "articles"))

    def duplicate_rows(root):
        return sorted((r["id"], r["canonical_id"], r["method"], round(r["similarity"], 4))
                      for r in parquet_rows(root, "duplicates"))

    assert article_rows(out) == article_rows(batch)
    assert duplicate_rows(out) == duplicate_rows(batch)
    assert {d[2] for d in duplicate_rows(out)} == {"exact", "near"}
