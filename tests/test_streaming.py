"""The streaming graph on TestStream (BundleBasedDirectRunner): windows by arrival, late data,
dedup in state within and beyond the horizon, near copies across windows, redelivery."""

from __future__ import annotations

import json
import random

import apache_beam as beam
import duckdb
import pytest
from apache_beam.io.gcp.pubsub import PubsubMessage
from apache_beam.options.pipeline_options import PipelineOptions, StandardOptions
from apache_beam.runners.direct.direct_runner import BundleBasedDirectRunner
from apache_beam.testing.test_stream import TestStream as Events
from apache_beam.transforms.window import TimestampedValue

from pipeline.streaming import (HEARTBEAT_ATTRIBUTE, StreamSettings, build_streaming_pipeline, notified_file,
                                object_url, seconds_of)
from transforms.model import stable_id
from transforms.write import WriteOptions

VOCAB = [f"word{i}" for i in range(3000)]
T0 = 1_700_000_000  # arrival times (seconds) of the TestStream, window-aligned to 60 s below


def story(seed: int, paragraphs: int = 6) -> str:
    rng = random.Random(seed)
    return "\n\n".join(" ".join(rng.choice(VOCAB) for _ in range(40)) + "." for _ in range(paragraphs))


def near_copy(seed: int) -> str:
    paragraphs = story(seed).split("\n\n")
    return "\n\n".join(paragraphs[:5]) + "\n\nA paragraph the syndicating site added at the end."


def write(folder, name: str, text: str) -> str:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return name


def notification(folder, name: str, generation: int = 1) -> PubsubMessage:
    return PubsubMessage(b"", {"bucketId": str(folder), "objectId": name, "objectGeneration": str(generation),
                               "eventType": "OBJECT_FINALIZE", "payloadFormat": "JSON_API_V1"})


HEARTBEAT = PubsubMessage(b"", {HEARTBEAT_ATTRIBUTE: "1"})


def run_stream(events: Events, out, horizon_s: float = 7 * 86400, window_s: float = 60) -> None:
    options = PipelineOptions()
    options.view_as(StandardOptions).streaming = True
    with beam.Pipeline(runner=BundleBasedDirectRunner(), options=options) as p:
        build_streaming_pipeline(p, p | events, str(out), run_info={"run_id": "test"},
                                 settings=StreamSettings(window_s=window_s, horizon_s=horizon_s),
                                 write=WriteOptions(), skip_enrich=True)


def rows(out, table: str) -> list[dict]:
    files = sorted(str(p) for p in (out / table).rglob("*.parquet"))
    if not files:
        return []
    return duckdb.sql(f"select * from read_parquet({files!r}, hive_partitioning=true)").df().to_dict("records")


def manifests(out) -> dict[str, dict]:
    return {p.name: json.loads(p.read_text()) for p in sorted((out / "_runs").glob("test-w*.json"))}


def test_seconds_of_reads_durations():
    assert [seconds_of(x) for x in ("7d", "12h", "30m", "90s", "60", 5)] == [604800, 43200, 1800, 90, 60, 5]
    with pytest.raises(ValueError, match="not a duration"):
        seconds_of("a week")


def test_notifications_name_files_and_skip_what_is_not_a_new_file(tmp_path):
    assert object_url("news-raw", "2024/a.json") == "gs://news-raw/2024/a.json"
    assert object_url("/data/in/", "a.txt") == "/data/in/a.txt"
    key, ref = notified_file({"bucketId": "b", "objectId": "x/a.txt", "objectGeneration": "7",
                              "eventType": "OBJECT_FINALIZE"}, b'{"size": "12", "updated": "2024-05-01T08:00:00Z"}')
    assert key == "gs://b/x/a.txt#7" and ref.size == 12 and ref.mtime == 1714550400.0
    assert notified_file({"bucketId": "b", "objectId": "x/a.txt", "eventType": "OBJECT_DELETE"}) is None
    assert notified_file({"bucketId": "b", "objectId": "x/.a.txt.tmp", "eventType": "OBJECT_FINALIZE"}) is None
    assert notified_file({HEARTBEAT_ATTRIBUTE: "1"}) is None
    assert notified_file({"bucketId": "b", "objectId": "y/a.txt", "eventType": "OBJECT_FINALIZE"},
                         inputs=("gs://b/x/",)) is None


def test_windows_copies_across_windows_late_data_and_redelivery(tmp_path):
    """Window 1: a story, a bad file. Window 2: its exact copy (another file), a near copy, a new
    story, a redelivered notification. Then, after the watermark passed window 2, a late file
    for window 2: written as its own late firing with its own manifest, nothing dropped."""
    src, out = tmp_path / "in", tmp_path / "out"
    src.mkdir()
    a = write(src, "a.txt", story(1))
    bad = write(src, "bad.json", '{"headline": "no body"')
    copy = write(src, "copy.txt", story(1))
    near = write(src, "near.txt", near_copy(1))
    other = write(src, "b.txt", story(2))
    late = write(src, "late.txt", story(3))
    events = (Events()
              .advance_watermark_to(T0)
              .add_elements([TimestampedValue(notification(src, a), T0 + 5),
                             TimestampedValue(notification(src, bad), T0 + 6)])
              .advance_watermark_to(T0 + 61)
              .add_elements([TimestampedValue(notification(src, copy), T0 + 65),
                             TimestampedValue(notification(src, near), T0 + 70),
                             TimestampedValue(notification(src, other), T0 + 71),
                             TimestampedValue(notification(src, other), T0 + 72),  # redelivered
                             TimestampedValue(HEARTBEAT, T0 + 80)])
              .advance_watermark_to(T0 + 125)
              .add_elements([TimestampedValue(notification(src, late), T0 + 90)])
              .advance_watermark_to_infinity())
    run_stream(events, out)
    path = lambda name: str(src / name)  # noqa: E731
    articles = {r["source_uri"] for r in rows(out, "articles")}
    assert articles == {path(a), path(other), path(late)}
    duplicates = {(r["source_uri"], r["canonical_id"], r["method"]) for r in rows(out, "duplicates")}
    assert duplicates == {(path(copy), stable_id(path(a)), "exact"), (path(near), stable_id(path(a)), "near")}
    near_row = next(r for r in rows(out, "duplicates") if r["method"] == "near")
    assert 0.5 <= near_row["similarity"] < 1.0
    assert [r["source_uri"] for r in rows(out, "dead_letter")] == [path(bad)]
    found = manifests(out)
    first, second = (f"test-w{stamp}.json" for stamp in ("20231114T221300Z", "20231114T221400Z"))
    assert set(found) == {first, second}, sorted(found)
    assert found[first]["counts"] == {"files_matched": 2, "records_in": 2, "articles": 1, "duplicates": 0,
                                      "dead_letter": 1}
    # the late file's firing rewrote its window's manifest with the totals including it
    assert found[second]["counts"] == {"files_matched": 4, "records_in": 4, "articles": 2, "duplicates": 2,
                                       "dead_letter": 0}
    assert found[second]["window"]["late"] and found[second]["window"]["firing"] > 0
    assert all(m["balanced"] for m in found.values())
    # each window's articles are their own files, written once
    assert len(list((out / "articles").rglob("*.parquet"))) == 3
    assert not list(out.rglob(".*.tmp"))


def test_dedup_holds_within_the_horizon_and_forgets_beyond_it(tmp_path):
    """A copy 50 minutes after its original is a duplicate; with a one-hour horizon, a copy two
    hours after it is a new article (the state was cleared), itself remembered again."""
    src, out = tmp_path / "in", tmp_path / "out"
    src.mkdir()
    names = [write(src, f"{n}.txt", story(5)) for n in ("orig", "soon", "later", "latest")]
    events = Events().advance_watermark_to(T0)
    for name, at in zip(names, (T0, T0 + 3000, T0 + 7200, T0 + 7300)):
        events = events.add_elements([TimestampedValue(notification(src, name), at)]).advance_watermark_to(at + 61)
    run_stream(events.advance_watermark_to_infinity(), out, horizon_s=3600)
    path = lambda name: str(src / name)  # noqa: E731
    assert {r["source_uri"] for r in rows(out, "articles")} == {path("orig.txt"), path("later.txt")}
    assert {(r["source_uri"], r["canonical_id"]) for r in rows(out, "duplicates")} == {
        (path("soon.txt"), stable_id(path("orig.txt"))), (path("latest.txt"), stable_id(path("later.txt")))}


def test_notify_names_files_as_a_batch_run_would_and_only_new_generations(tmp_path, monkeypatch):
    """`newsbeam notify` messages of a local folder resolve to the URIs a batch run over that
    folder reads (so ids agree); notified again, only a rewritten file is sent."""
    import os

    from pipeline.notify import folder_notifications
    from transforms.read import expand_input

    monkeypatch.chdir(tmp_path)
    (tmp_path / "in" / "sub").mkdir(parents=True)
    (tmp_path / "in" / "a.txt").write_text(story(1))
    (tmp_path / "in" / "sub" / "b.txt").write_text(story(2))
    (tmp_path / "in" / ".partial.tmp").write_text("hidden")
    for folder in (str(tmp_path / "in"), "in"):
        seen: dict = {}
        notes = folder_notifications(folder, seen)
        urls = sorted(notified_file(n.attributes, n.data)[1].uri for n in notes)
        assert urls == sorted(ref.uri for ref in expand_input(folder)) and len(urls) == 2
        assert folder_notifications(folder, seen) == []
    os.utime(tmp_path / "in" / "a.txt", (1_800_000_000, 1_800_000_000))
    again = folder_notifications("in", seen)
    assert [n.attributes["objectId"] for n in again] == ["a.txt"]
    assert again[0].attributes["objectGeneration"] == "1800000000000000"


def test_streaming_usage_errors_are_one_line(capsys):
    from pipeline.cli import main

    assert main(["run", "--streaming", "--output", "out"]) == 2
    assert "--input-subscription" in capsys.readouterr().err
    assert main(["run", "--streaming", "--output", "out", "--input-subscription",
                 "projects/p/subscriptions/s", "--dedup-horizon", "a week"]) == 2
    assert "not a duration" in capsys.readouterr().err


def test_state_seeded_from_a_batch_runs_dedup_index_folds_live_copies_into_backfilled_articles(tmp_path):
    """A batch backfill with --dedup-index, then the stream seeded from that index: a live exact
    copy and a live near copy of a backfilled article are duplicates of its id; a new story is
    an article."""
    from pipeline.cli import run

    src, backfill, out = tmp_path / "in", tmp_path / "backfill", tmp_path / "out"
    src.mkdir()
    original = write(src, "orig.txt", story(21))
    index = str(tmp_path / "index")
    run(["--input", str(src / original), "--output", str(backfill), "--skip-enrich", "--dedup-index", index,
         "--run-id", "backfill"])
    copy = write(src, "copy.txt", story(21))
    near = write(src, "near.txt", near_copy(21))
    fresh = write(src, "fresh.txt", story(22))
    events = (Events().advance_watermark_to(T0)
              .add_elements([TimestampedValue(notification(src, n), T0 + i) for i, n in enumerate((copy, near, fresh))])
              .advance_watermark_to_infinity())
    options = PipelineOptions()
    options.view_as(StandardOptions).streaming = True
    with beam.Pipeline(runner=BundleBasedDirectRunner(), options=options) as p:
        build_streaming_pipeline(p, p | events, str(out), run_info={"run_id": "test"},
                                 settings=StreamSettings(dedup_index=index), skip_enrich=True)
    canonical = stable_id(str(src / original))
    assert {(r["source_uri"], r["canonical_id"], r["method"]) for r in rows(out, "duplicates")} == {
        (str(src / copy), canonical, "exact"), (str(src / near), canonical, "near")}
    assert [r["source_uri"] for r in rows(out, "articles")] == [str(src / fresh)]


def test_stream_decider_reaches_batch_decisions_on_time_ordered_copies_and_does_not_chain():
    """The plain-Python decider against batch's `decide` on originals followed by their exact,
    trimmed-and-edited and same-URL copies; and a copy of a copy that is not itself a copy of
    the canonical stays an article (no chaining), in both."""
    import datetime as dt

    from transforms.dedup_stream import StreamDedupState
    from transforms.fold import DedupOptions, decide, dedup_key
    from transforms.minhash import MinHasher
    from transforms.model import UTC, Article
    from transforms.text import content_fingerprint

    def art(uri: str, body: str, minute: int, same_id_as: str | None = None) -> Article:
        return Article(id=stable_id(same_id_as or uri), source_uri=uri, body=body, ingested_at=dt.datetime.now(UTC),
                       published_at=dt.datetime(2024, 5, 1, tzinfo=UTC) + dt.timedelta(minutes=minute),
                       content_hash=content_fingerprint(body), date="2024-05-01")

    rows, minute = [], 0
    for s in range(12):
        paragraphs = story(100 + s, 8).split("\n\n")
        rows.append(art(f"s{s}/orig.txt", "\n\n".join(paragraphs), minute := minute + 1))
        rows.append(art(f"s{s}/exact.txt", "\n\n".join(paragraphs), minute := minute + 1))
        rows.append(art(f"s{s}/edited.txt", "\n\n".join(paragraphs[:6] + ["An added closing line."]), minute := minute + 1))
        rows.append(art(f"s{s}/fixed.txt", "\n\n".join(paragraphs[:7] + ["A correction."]), minute := minute + 1,
                        same_id_as=f"s{s}/orig.txt"))
    # chain: B keeps 6 of A's 8 paragraphs (a near copy of A); C keeps 5 of B's (a near copy of B)
    # but only 3 of A's (not a copy of A)
    a, b_new, c_new = story(900, 8).split("\n\n"), story(901, 2).split("\n\n"), story(902, 1).split("\n\n")
    rows.append(art("chain/a.txt", "\n\n".join(a), minute := minute + 1))
    rows.append(art("chain/b.txt", "\n\n".join(a[:6] + b_new), minute := minute + 1))
    rows.append(art("chain/c.txt", "\n\n".join(a[3:6] + b_new + c_new), minute := minute + 1))
    options = DedupOptions()
    keys = sorted((dedup_key(r, MinHasher(options.minhash())) for r in rows), key=lambda k: k.order)
    state = StreamDedupState(options.minhash(), horizon_s=86400)
    streamed = {}
    for i, key in enumerate(keys):
        decided = state.decide(key, float(i))
        state.remember(decided.entry)
        if decided.decision is not None:
            streamed[key.record_key] = decided.decision[:3]
    batch = {k: d[:3] for k, d in decide(keys, options.minhash()).items() if d.canonical_id}
    assert streamed == batch
    assert {k.split("/")[1] for k in streamed if k.startswith("s")} == {"exact.txt", "edited.txt", "fixed.txt"}
    assert streamed["chain/b.txt"][:2] == (stable_id("chain/a.txt"), "near") and "chain/c.txt" not in streamed
    assert streamed["s0/fixed.txt"][1] == "near"


def test_stream_steps_report_live_progress_counts(tmp_path, monkeypatch):
    """Dedup and enrichment count each record over the local progress side channel
    (`transforms/progress.py`) as it leaves them: what `bench/bench_stream.py` times the graph by."""
    import time

    from pipeline.progress import Listener
    from transforms import progress

    src, out = tmp_path / "in", tmp_path / "out"
    src.mkdir()
    names = [write(src, "a.txt", story(7)), write(src, "copy.txt", story(7)), write(src, "b.txt", story(8))]
    events = (Events().advance_watermark_to(T0)
              .add_elements([TimestampedValue(notification(src, n), T0 + i) for i, n in enumerate(names)])
              .advance_watermark_to_infinity())
    listener = Listener()
    monkeypatch.setenv(progress.ENV, listener.address)
    try:
        options = PipelineOptions()
        options.view_as(StandardOptions).streaming = True
        with beam.Pipeline(runner=BundleBasedDirectRunner(), options=options) as p:
            build_streaming_pipeline(p, p | events, str(out), run_info={"run_id": "test"},
                                     settings=StreamSettings(), write=WriteOptions())
        progress.flush()
        expected = {"dedup/decisions": 3, "dedup/copies": 1, "enrich/articles": 2, "write/articles": 2,
                    "write/duplicates": 1}
        deadline = time.time() + 5
        while time.time() < deadline and any(listener.totals().get(k) != n for k, n in expected.items()):
            time.sleep(0.1)
        assert {k: listener.totals().get(k) for k in expected} == expected
    finally:
        listener.close()
