"""`newsbeam compact`: a partition's small files become few, with the same rows and unique ids,
and an interrupted compaction is rolled back or finished; `--partition-by date`."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import duckdb
import pytest

from pipeline import compact as compaction
from pipeline.cli import main
from tests.conftest import SEEDS, shared_data

DAY = 86_400


def _rows(out: Path, table: str) -> list[tuple]:
    rel = duckdb.sql(f"select * exclude (ingested_at) from read_parquet('{out}/{table}/**/*.parquet', "
                     "hive_partitioning=true, union_by_name=true)")
    return sorted(tuple(json.dumps(v, default=str, sort_keys=True) for v in row) for row in rel.fetchall())


def _files(out: Path, table: str) -> list[Path]:
    return sorted(p for p in (out / table).rglob("*.parquet") if p.name != "part-empty.parquet")


@pytest.fixture(scope="module")
def _four_runs(tmp_path_factory):
    """An OUT written by four scheduled runs over stories spread over three dates (built once)."""
    stories = sorted(shared_data("bbc", "sport").glob("*.txt"))[:16]
    base = tmp_path_factory.mktemp("schedule")
    raw, out = base / "raw", base / "out"
    raw.mkdir()
    for run in range(4):
        for number, story in enumerate(stories[run * 4:(run + 1) * 4]):
            target = raw / f"r{run}-{story.name}"
            shutil.copyfile(story, target)
            stamp = 1_700_000_000 + (number % 3) * DAY  # file dates: 2023-11-14 .. 16
            os.utime(target, (stamp, stamp))
        assert main(["run", "--input", str(raw), "--output", str(out), "--skip_enrich"]) == 0
    return out


@pytest.fixture
def scheduled_output(_four_runs, tmp_path):
    out = tmp_path / "out"
    shutil.copytree(_four_runs, out)
    return out


def test_compaction_leaves_few_files_with_the_same_rows(scheduled_output, capsys):
    out = scheduled_output
    before = {t: _rows(out, t) for t in ("articles", "duplicates", "dead_letter")}
    files_before = _files(out, "articles")
    index_before = sorted((out / "_dedup_index").rglob("*.parquet"))
    assert len(files_before) > 3  # one file per run and date
    assert main(["compact", str(out)]) == 0
    assert "median" in capsys.readouterr().out
    files_after = _files(out, "articles")
    assert len(files_after) == 3  # one per date partition
    assert {t: _rows(out, t) for t in before} == before
    ids = duckdb.sql(f"select id from read_parquet('{out}/articles/**/*.parquet')").fetchall()
    assert len(ids) == len(set(ids)) == 16
    assert len(sorted((out / "_dedup_index").rglob("*.parquet"))) < len(index_before)
    assert main(["compact", str(out)]) == 0  # nothing left to do: the files stay
    assert _files(out, "articles") == files_after
    journals = [json.loads(p.read_text()) for p in (out / "_runs" / "_compact").glob("*.json")]
    assert journals and {j["status"] for j in journals} == {"done"}


def test_a_reader_during_compaction_misses_no_row(scheduled_output, monkeypatch):
    out = scheduled_output
    expected = {r[0] for r in duckdb.sql(f"select id from read_parquet('{out}/articles/**/*.parquet')").fetchall()}
    seen = []
    real = compaction._remove_old

    def look_then_remove(fs, journal):
        seen.append({r[0] for r in duckdb.sql(f"select id from read_parquet('{out}/articles/**/*.parquet')").fetchall()})
        real(fs, journal)

    monkeypatch.setattr(compaction, "_remove_old", look_then_remove)
    compaction.compact(str(out))
    assert seen and all(ids == expected for ids in seen)


def test_an_interrupted_compaction_is_rolled_back_or_finished(scheduled_output, monkeypatch):
    from transforms.write import WriteOptions

    out = scheduled_output
    rows = _rows(out, "articles")
    files = _files(out, "articles")
    small = WriteOptions(rows_per_file=2)  # a partition of 5-6 rows in 4 files becomes 3 files
    real_write, real_remove = compaction._write, compaction._remove_old
    calls = []

    def dies_on_the_second_file(fs, path, table, options):
        calls.append(path)
        if len(calls) == 2:
            raise OSError("disk full")
        real_write(fs, path, table, options)

    monkeypatch.setattr(compaction, "_write", dies_on_the_second_file)
    with pytest.raises(OSError):
        compaction.compact(str(out), options=small)
    assert len(_files(out, "articles")) == len(files) + 1  # the half state: one new file beside the old
    monkeypatch.setattr(compaction, "_write", real_write)
    assert compaction.finish_interrupted(str(out)) == 1  # rolled back: the new file it wrote is gone
    assert _files(out, "articles") == files and _rows(out, "articles") == rows

    def dies(fs, journal):
        raise OSError("connection reset")

    monkeypatch.setattr(compaction, "_remove_old", dies)
    with pytest.raises(OSError):
        compaction.compact(str(out), options=small)
    monkeypatch.setattr(compaction, "_remove_old", real_remove)
    assert compaction.finish_interrupted(str(out)) == 1  # finished: the old files are gone
    assert _rows(out, "articles") == rows
    assert len(_files(out, "articles")) < len(files)


def test_partition_by_date_keeps_topic_in_the_files(tmp_path, run_newsbeam):
    out = tmp_path / "out"
    code, manifest = run_newsbeam(SEEDS, out, "--partition-by", "date")
    assert code == 0 and manifest["counts"]["articles"] == 3
    paths = [p.relative_to(out / "articles").parts for p in _files(out, "articles")]
    assert paths and all(len(parts) == 2 and parts[0].startswith("date=") for parts in paths)
    topics = duckdb.sql(f"select topic, count(*) from read_parquet('{out}/articles/**/*.parquet', "
                        "hive_partitioning=true) group by all").fetchall()
    assert sum(n for _, n in topics) == 3 and all(t for t, _ in topics)
    # the output keeps its layout: a run asking for another one is refused before it starts
    assert main(["run", "--input", str(SEEDS), "--output", str(out)]) == 2


def test_a_partition_of_many_runs_becomes_files_of_the_target_size(tmp_path):
    """Six runs' files of 200 rows in one partition (a daily feed's date) become one file of
    1,200 rows; 300 more rows later and --rows-per-file 500 give three files of 500, ids unique."""
    import datetime as dt

    import pyarrow.parquet as pq

    from transforms.model import Article
    from transforms.write import WriteOptions, write_records

    now = dt.datetime(2024, 5, 1, 12, tzinfo=dt.timezone.utc)
    out = tmp_path / "out"
    (out / "_runs").mkdir(parents=True)
    for run in range(6):
        write_records(str(out), "articles", "date=2024-05-01/topic=sport", [
            Article(id=f"r{run}-{i:04d}", source_uri=f"raw/{run}/{i}.txt", body=f"Body {run} {i}.",
                    ingested_at=now, date="2024-05-01", topic="sport") for i in range(200)])
    folder = out / "articles" / "date=2024-05-01" / "topic=sport"
    assert len(list(folder.glob("*.parquet"))) == 6
    stats = compaction.compact(str(out), dates=["2024-05-01"])
    assert stats["files_before"] == 6 and stats["files_after"] == 1
    (only,) = folder.glob("*.parquet")
    assert pq.ParquetFile(only).metadata.num_rows == 1_200
    assert compaction.file_stats(str(out))["median_rows_per_file"] == 1_200
    for run in range(6):  # later runs add small files again
        write_records(str(out), "articles", "date=2024-05-01/topic=sport", [
            Article(id=f"s{run}-{i:04d}", source_uri=f"raw/s{run}/{i}.txt", body="x", ingested_at=now,
                    date="2024-05-01", topic="sport") for i in range(50)])
    compaction.compact(str(out), dates=["2024-05-01"], options=WriteOptions(rows_per_file=500))
    sizes = sorted(pq.ParquetFile(p).metadata.num_rows for p in folder.glob("*.parquet"))
    assert sizes == [500, 500, 500]
    ids = duckdb.sql(f"select id from read_parquet('{folder}/*.parquet')").fetchall()
    assert len(ids) == len(set(ids)) == 1_500
