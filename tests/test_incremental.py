"""Scheduled runs into one OUT: each run processes only the files no committed run processed,
and the tables end up as one run over everything would leave them (pipeline/incremental.py)."""

from __future__ import annotations

import collections
import shutil
from pathlib import Path

import pytest

from tests.conftest import SEEDS, read_table, shared_data

TABLES = ("articles", "duplicates", "dead_letter")


def _bbc_files(count: int) -> list[Path]:
    folder = shared_data("bbc", "business")
    return sorted(folder.glob("*.txt"))[:count]


def _grow(raw, day: int, bbc: list[Path]) -> None:
    """Day 1: the seed article, a bad file, four BBC stories; day 2: four more and an exact copy
    of a day-1 story under a new name; day 3: the seeds' feed, a syndicated copy of the seed
    article and the last stories."""
    def put(source: Path, name: str) -> None:
        target = raw / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)

    if day == 1:
        put(SEEDS / "000_983ffb8b3d720b76.txt", "day1/000_983ffb8b3d720b76.txt")
        for path in (SEEDS / "bad").iterdir():
            put(path, f"day1/{path.name}")
        for path in bbc[:4]:
            put(path, f"day1/bbc-{path.name}")
    elif day == 2:
        for path in bbc[4:8]:
            put(path, f"day2/bbc-{path.name}")
        put(bbc[0], f"day2/copy-of-{bbc[0].name}")
    else:
        for path in (SEEDS / "feeds").iterdir():
            put(path, f"day3/{path.name}")
        for path in (SEEDS / "scraped").iterdir():
            put(path, f"day3/{path.name}")
        for path in bbc[8:]:
            put(path, f"day3/bbc-{path.name}")


def _tables(out) -> dict[str, list[dict]]:
    found = {}
    for table in TABLES:
        data = read_table(out, table)
        found[table] = [] if data is None else data.to_pylist()
    return found


def _assert_same_as_one_run(incremental, single) -> None:
    inc, one = _tables(incremental), _tables(single)
    for table in TABLES:
        assert len(inc[table]) == len(one[table]), (table, len(inc[table]), len(one[table]))
    ids = [row["id"] for row in inc["articles"]]
    assert len(ids) == len(set(ids)), [i for i, n in collections.Counter(ids).items() if n > 1]
    assert set(ids) == {row["id"] for row in one["articles"]}
    assert ({r["id"] for r in inc["duplicates"]} == {r["id"] for r in one["duplicates"]})
    assert ({(r["source_uri"], r["record_index"]) for r in inc["dead_letter"]}
            == {(r["source_uri"], r["record_index"]) for r in one["dead_letter"]})


@pytest.fixture
def bbc():
    return _bbc_files(10)


def _schedule(raw, out, run_newsbeam, bbc, *extra):
    manifests = []
    for day in (1, 2, 3):
        _grow(raw, day, bbc)
        code, manifest = run_newsbeam(str(raw), str(out), "--skip_enrich", *extra)
        assert code == 0
        manifests.append(manifest)
    return manifests


def test_three_scheduled_runs_equal_one_run_over_the_final_folder(tmp_path, run_newsbeam, bbc):
    raw = tmp_path / "raw"
    manifests = _schedule(raw, tmp_path / "inc", run_newsbeam, bbc)
    # each run read only what was new that day
    assert [m["incremental"]["files_new"] for m in manifests] == [6, 5, 4]
    assert [m["incremental"]["files_skipped"] for m in manifests] == [0, 6, 11]
    assert manifests[1]["counts"]["duplicates"] >= 1  # the day-2 copy of a day-1 story
    assert all(m["balanced"] for m in manifests)
    code, _ = run_newsbeam(str(raw), str(tmp_path / "one"), "--skip_enrich")
    assert code == 0
    _assert_same_as_one_run(tmp_path / "inc", tmp_path / "one")
    assert not (tmp_path / "inc" / "_pending").exists()
    # a fourth run with nothing new writes nothing and says so
    code, manifest = run_newsbeam(str(raw), str(tmp_path / "inc"), "--skip_enrich")
    assert code == 0 and manifest["counts"]["files_matched"] == 0
    assert manifest["incremental"]["files_skipped"] == 15 and manifest["files_written"] == []
    _assert_same_as_one_run(tmp_path / "inc", tmp_path / "one")


def test_a_run_killed_before_its_commit_is_redone_by_the_next(tmp_path, run_newsbeam, bbc, monkeypatch):
    from pipeline import incremental

    raw, out = tmp_path / "raw", tmp_path / "inc"
    _grow(raw, 1, bbc)
    assert run_newsbeam(str(raw), str(out), "--skip_enrich")[0] == 0
    _grow(raw, 2, bbc)

    def killed(plan, document, layout=None):
        raise RuntimeError("worker lost")

    monkeypatch.setattr(incremental, "commit", killed)
    assert run_newsbeam(str(raw), str(out), "--skip_enrich")[0] == 1
    assert list((out / "_pending").iterdir()), "the killed run's output waits, uncommitted"
    monkeypatch.undo()
    _grow(raw, 3, bbc)
    assert run_newsbeam(str(raw), str(out), "--skip_enrich")[0] == 0
    assert run_newsbeam(str(raw), str(tmp_path / "one"), "--skip_enrich")[0] == 0
    _assert_same_as_one_run(out, tmp_path / "one")


def test_a_commit_interrupted_midway_is_finished_by_the_next_launch(tmp_path, run_newsbeam, bbc, monkeypatch):
    from pipeline import incremental

    raw, out = tmp_path / "raw", tmp_path / "inc"
    _grow(raw, 1, bbc)
    assert run_newsbeam(str(raw), str(out), "--skip_enrich")[0] == 0
    _grow(raw, 2, bbc)
    real = incremental.write_processed

    def dies(*args, **kwargs):  # after the files were moved into place, before the record
        raise OSError("connection reset")

    monkeypatch.setattr(incremental, "write_processed", dies)
    assert run_newsbeam(str(raw), str(out), "--skip_enrich")[0] == 1
    monkeypatch.setattr(incremental, "write_processed", real)
    _grow(raw, 3, bbc)
    code, manifest = run_newsbeam(str(raw), str(out), "--skip_enrich")
    assert code == 0
    assert manifest["incremental"]["files_new"] == 4  # day 2 was committed by the roll-forward
    assert run_newsbeam(str(raw), str(tmp_path / "one"), "--skip_enrich")[0] == 0
    _assert_same_as_one_run(out, tmp_path / "one")


def test_a_corrected_story_supersedes_the_earlier_version(tmp_path, run_newsbeam, bbc):
    raw, out = tmp_path / "raw", tmp_path / "inc"
    _grow(raw, 1, bbc)
    assert run_newsbeam(str(raw), str(out), "--skip_enrich")[0] == 0
    story = raw / "day1" / f"bbc-{bbc[1].name}"
    before = {r["source_uri"]: r for r in _tables(out)["articles"]}[str(story)]
    corrected = story.read_text(encoding="latin-1").replace(".", ". Corrected:", 1) + "\n\nThis story was corrected.\n"
    story.write_text(corrected, encoding="latin-1")
    code, manifest = run_newsbeam(str(raw), str(out), "--skip_enrich")
    assert code == 0
    assert manifest["incremental"]["files_changed"] == 1 and manifest["incremental"]["rows_superseded"] >= 1
    rows = [r for r in _tables(out)["articles"] if r["id"] == before["id"]]
    assert len(rows) == 1 and "This story was corrected." in rows[0]["body"]
    assert run_newsbeam(str(raw), str(tmp_path / "one"), "--skip_enrich")[0] == 0
    _assert_same_as_one_run(out, tmp_path / "one")
    # its old dedup index entry went with it: a later copy of the corrected text is its duplicate
    (raw / "day4").mkdir()
    (raw / "day4" / "repost.txt").write_text(corrected, encoding="latin-1")
    code, manifest = run_newsbeam(str(raw), str(out), "--skip_enrich")
    assert code == 0 and manifest["counts"]["duplicates"] == 1
    (dup,) = [r for r in _tables(out)["duplicates"] if r["source_uri"].endswith("repost.txt")]
    assert dup["canonical_id"] == before["id"]


def test_three_scheduled_runs_on_cloud_storage_equal_one_run(tmp_path, run_newsbeam, bbc, gcs_endpoint):
    """The same schedule with input, staging, output and the dedup index on a Cloud Storage
    emulator (gcsfs against a local server)."""
    import fsspec

    fs = fsspec.filesystem("gs")
    fs.mkdir("nb-raw")
    fs.mkdir("nb-lake")
    local = tmp_path / "raw"
    for day in (1, 2, 3):
        _grow(local, day, bbc)
        for path in sorted(local.rglob("*")):
            if path.is_file():
                target = f"nb-raw/{path.relative_to(local).as_posix()}"
                if not fs.exists(target):
                    fs.pipe(target, path.read_bytes())
        code, manifest = run_newsbeam("gs://nb-raw/", "gs://nb-lake/inc", "--skip_enrich")
        assert code == 0 and manifest["balanced"]
        assert manifest["files_written"] and all(f.startswith("gs://nb-lake/inc/") for f in manifest["files_written"])
    assert fs.glob("nb-lake/inc/_dedup_index/date=*/part-*.parquet")
    assert fs.glob("nb-lake/inc/_runs/_processed/*.parquet")
    assert not fs.exists("nb-lake/inc/_pending") or not fs.find("nb-lake/inc/_pending")
    assert run_newsbeam("gs://nb-raw/", "gs://nb-lake/one", "--skip_enrich")[0] == 0
    _assert_same_as_one_run("gs://nb-lake/inc", "gs://nb-lake/one")


def _wire(path: Path, items: list[tuple[str, str, str]]) -> None:
    """A JSON Lines wire file of (url, date, body) items."""
    import json

    lines = [json.dumps({"url": url, "title": f"Story {url.rsplit('/', 1)[-1]}", "published": date,
                         "text": text}) for url, date, text in items]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _body(seed: int) -> str:
    import random

    rng = random.Random(seed)
    words = "port union wage court minister storm harvest market council river school bridge".split()
    return "\n\n".join(" ".join(rng.choice(words) for _ in range(60)) + "." for _ in range(4))


def test_an_old_article_read_again_under_a_new_name_years_later_keeps_one_row(tmp_path, run_newsbeam):
    """Retention (365 days before the newest article) bounds near matching only: items of 2009
    read again under new file names, next to an item of 2025, are `duplicates` rows of the rows
    written in 2009's run, and a corrected version of the old file still replaces its rows."""
    raw, out = tmp_path / "raw", tmp_path / "out"
    old = [(f"https://news.example/2009/0{n}/story-{n}", f"2009-0{n}-01T08:00:00Z", _body(n)) for n in (1, 2, 3)]
    _wire(raw / "2009" / "wire.jsonl", old)
    code, first = run_newsbeam(str(raw), str(out), "--skip_enrich")
    assert code == 0 and first["counts"]["articles"] == 3
    _wire(raw / "mirror" / "wire-copy.jsonl", old)
    _wire(raw / "2025" / "wire.jsonl", [("https://news.example/2025/06/new", "2025-06-01T08:00:00Z", _body(9))])
    code, second = run_newsbeam(str(raw), str(out), "--skip_enrich")
    assert code == 0 and second["balanced"]
    assert (second["counts"]["records_in"], second["counts"]["articles"], second["counts"]["duplicates"]) == (4, 1, 3)
    tables = _tables(out)
    ids = [row["id"] for row in tables["articles"]]
    assert len(ids) == 4 == len(set(ids))
    copies = {row["source_uri"].rsplit("/", 2)[-2]: row for row in tables["duplicates"]}
    assert set(copies) == {"mirror"} and len(tables["duplicates"]) == 3
    assert all(row["method"] == "exact" and row["canonical_id"] == row["id"] for row in tables["duplicates"])
    # A second mirror in a later run: three more copies with the same ids, in the same partitions;
    # their file must not take the name (and place) of the first mirror's.
    _wire(raw / "mirror2" / "wire-copy.jsonl", old)
    code, again = run_newsbeam(str(raw), str(out), "--skip_enrich")
    assert code == 0 and again["counts"]["duplicates"] == 3
    assert len(_tables(out)["duplicates"]) == 6
    # The 2009 file corrected: its new version supersedes, and is not taken for a copy of itself.
    fixed = [(url, date, text + "\n\nCorrection: an earlier version misnamed the council.") for url, date, text in old]
    _wire(raw / "2009" / "wire.jsonl", fixed)
    code, third = run_newsbeam(str(raw), str(out), "--skip_enrich")
    assert code == 0 and third["incremental"]["files_changed"] == 1
    articles = _tables(out)["articles"]
    assert sorted(row["id"] for row in articles) == sorted(ids)
    assert sum("Correction:" in row["body"] for row in articles) == 3
    assert len(_tables(out)["duplicates"]) == 6
    # Compaction keeps every copy's row (one row per copy and source, not per id).
    from pipeline.compact import compact

    compact(str(out))
    assert len(_tables(out)["duplicates"]) == 6 and len(_tables(out)["articles"]) == 4
