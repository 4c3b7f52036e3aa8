"""Fast smoke tests of the benchmark harness (tiny corpora; the real run is `make bench`)."""

from __future__ import annotations

import gzip
import json
import sys

import pytest

from bench import corpus, quality
from bench.run import _tree_rss, bars, measure

DATA = corpus.DEFAULT_DATA
needs_data = pytest.mark.skipif(not (DATA / "bbc").is_dir(), reason="../shared/data is absent")


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    root = tmp_path_factory.mktemp("corpus")
    return corpus.ensure_corpus(200, ("jsonl", "txt"), seed=3, root=root)


@needs_data
def test_corpus_plants_ten_percent_exact_and_near_copies(tiny):
    info = json.loads((tiny / "CORPUS.json").read_text())
    assert info["records"] == 200 and info["exact"] == 20 and info["near"] == 20
    truth = quality.load_truth(tiny)
    assert [r["i"] for r in truth] == list(range(200))
    near = [r for r in truth if r["kind"] == "near"]
    assert all(0.8 <= r["similarity"] < 1.0 for r in near)


@needs_data
def test_both_layouts_hold_every_record_once(tiny):
    txt = sorted(tiny.glob("txt/*/a*.txt"))
    assert len(txt) == 200
    lines = []
    for part in sorted(tiny.glob("jsonl/*.jsonl.gz")):
        with gzip.open(part, "rt") as handle:
            lines += [json.loads(line) for line in handle]
    assert sorted(quality.record_index(r["url"]) for r in lines) == list(range(200))
    assert {quality.record_index(str(p)) for p in txt} == set(range(200))


@needs_data
def test_perfect_dedup_misses_nothing_and_drops_nothing(tiny):
    truth = quality.load_truth(tiny)
    canonical = {r["i"] for r in truth if r["kind"] == "original"}
    report = quality.evaluate(truth, canonical)
    assert report["copies_missed"]["total"] == 0
    assert report["distinct_dropped"]["total"] == 0


@needs_data
def test_keeping_everything_counts_every_planted_copy_as_missed(tiny):
    truth = quality.load_truth(tiny)
    report = quality.evaluate(truth, range(200))
    assert report["copies_missed"] == {"exact": 20, "near": 20, "total": 40}


def test_record_index_reads_urls_and_file_names():
    assert quality.record_index("https://x.example/news/2004-01-01/a17") == 17
    assert quality.record_index("/c/txt/0000/a5.txt") == 5
    assert quality.record_index("/c/jsonl/part-00000.jsonl.gz#3") is None


def test_peak_rss_counts_child_processes(tmp_path):
    code = "import subprocess,sys; subprocess.run([sys.executable,'-c','x=bytearray(80<<20);import time;time.sleep(1)'])"
    measured = measure([sys.executable, "-c", code], tmp_path / "log")
    assert measured["rc"] == 0
    assert measured["peak_rss_mib"] > 80
    assert _tree_rss(1 << 30) == 0  # no such process


def test_bars_compare_rates_from_one_run():
    rows = {"newsbeam-peer-2w": {"wall_s": 10.0}, "datatrove": {"wall_s": 40.0},
            "newsbeam-full-2w": {"wall_s": 30.0}, "newsbeam-peer-1w": {"wall_s": 12.0}, "floor": {"wall_s": 9.0}}
    found = {b["bar"]: b for b in bars(rows, 1000, 0)}
    assert found["peer-2w >= 3x datatrove"]["ratio"] == pytest.approx(4.0)
    assert found["peer-2w >= 3x datatrove"]["met"]
    assert not found["full-2w >= 2x datatrove"]["met"]
    assert found["peer-1w >= 0.7x floor"]["ratio"] == pytest.approx(0.75)


def test_stream_summary_reports_the_median_and_worst_file():
    from bench.run import stream_summary

    got = stream_summary([3.0, 9.0, 4.0], 1_000, 1.0)
    assert (got["files"], got["p50_s"], got["max_s"], got["min_s"]) == (3, 4.0, 9.0, 3.0)
    assert got["articles_per_s"] == pytest.approx(3_000 / 16.0)
    assert stream_summary([], 1_000, 1.0) == {"files": 0}


@needs_data
def test_streaming_latency_job_times_a_dropped_file_to_its_committed_rows(tiny, tmp_path):
    from bench.run import stream_job

    row = stream_job("stream-smoke", tiny / "jsonl", files=1, timeout_s=300, runs=tmp_path)
    assert "error" not in row, row.get("error")
    assert row["stream"]["files"] == 1 and 0 < row["stream"]["max_s"] < 300
    written = list((tmp_path / "stream-smoke" / "out" / "articles").rglob("*.parquet"))
    assert written and row["peak_rss_mib"] > 0
