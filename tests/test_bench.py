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


def test_stream_bars_judge_latency_throughput_and_slowdown():
    from bench.bench_stream import bars as stream_bars

    found = {b["bar"]: b for b in stream_bars({
        "latency_heartbeats": {"window_s": 60, "p50_s": 40.0},
        "latency_no_heartbeats": {"window_s": 60, "p50_s": 70.0},
        "throughput": {"articles_per_s": 250.0, "last_vs_first": 0.7}})}
    assert found["latency_heartbeats p50 <= window + 5 s"]["met"]
    assert not found["latency_no_heartbeats p50 <= window + 5 s"]["met"]
    assert found["stream articles/s >= 200 (near dedup on)"]["met"]
    assert not found["stream last vs first 5k articles/s within 20%"]["met"]


def test_stream_rates_come_from_per_thousand_completion_times():
    from bench.bench_stream import completion_times, records_done, segment_rates

    # records done sampled as a job reports them: 1,000 records every 2 s for the first 2,000,
    # then every 4 s (the job slowed down by half); CPU-seconds track wall time
    trace = [(100.0 + t, 50.0 + t, done) for t, done in
             [(1.0, 400), (2.0, 1000), (3.5, 1900), (4.0, 2100), (6.0, 2600), (8.0, 3000), (12.0, 4000)]]
    marks = completion_times(trace)
    assert [(n, wall) for n, wall, _ in marks] == [(1000, 102.0), (2000, 104.0), (3000, 108.0), (4000, 112.0)]
    rates = segment_rates(marks, (100.0, 50.0), 2000, 2000)
    assert rates["first_2000_per_s"] == pytest.approx(500.0)
    assert rates["last_2000_per_s"] == pytest.approx(250.0)
    assert rates["last_vs_first"] == pytest.approx(0.5)
    assert rates["per_s"] == pytest.approx(4000 / 12, abs=0.05)
    assert records_done({"enrich/articles": 7, "dedup/copies": 2, "dedup/decisions": 9, "parse/dead_letters": 1,
                         "write/articles": 7}) == 10


def test_steady_feed_puts_each_copy_right_after_its_original(tmp_path):
    import gzip
    import json
    import random

    from bench.bench_stream import steady_feed

    rng = random.Random(3)
    kinds = ["original"] * 1600 + ["exact"] * 200 + ["near"] * 200
    groups = list(range(1600)) + [rng.randrange(1600) for _ in range(400)]
    order = list(range(2000))
    rng.shuffle(order)  # the corpus' shuffled order: copies anywhere, before or after their original
    corpus = tmp_path / "n2000" / "jsonl"
    corpus.mkdir(parents=True)
    with gzip.open(corpus.parent / "truth.jsonl.gz", "wt") as handle:
        handle.writelines(json.dumps({"i": i, "group": groups[j], "kind": kinds[j]}) + "\n" for i, j in enumerate(order))
    for f in range(2):
        with gzip.open(corpus / f"part-{f:05d}.jsonl.gz", "wt") as handle:
            handle.writelines(json.dumps({"url": f"a{i}"}) + "\n" for i in range(f * 1000, (f + 1) * 1000))
    fed = [json.loads(line)["url"] for path in steady_feed(corpus, 2, tmp_path / "feed")
           for line in gzip.open(path, "rt")]
    assert sorted(fed) == sorted(f"a{i}" for i in range(2000))
    members = [(groups[order[int(u[1:])]], kinds[order[int(u[1:])]]) for u in fed]
    for (group, kind), (before, _) in zip(members[1:], members):
        if kind != "original":
            assert before == group  # right after its original or another copy of it
