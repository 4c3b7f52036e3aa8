"""Write: Hive layout, safe partition values, content-derived file names, atomic files."""

from __future__ import annotations

import datetime as dt

import apache_beam as beam
import fsspec
import pyarrow.parquet as pq
from apache_beam.testing.test_pipeline import TestPipeline
from apache_beam.testing.util import assert_that, equal_to

from transforms.model import Article, DeadLetter
from transforms.write import WriteOptions, WriteTable, file_name, partition_path, slug, write_records

NOW = dt.datetime(2024, 5, 1, 12, 0, tzinfo=dt.timezone.utc)


def _article(i: int, **overrides) -> Article:
    fields = dict(id=f"id{i:03d}", source_uri=f"memory://in/{i}.txt", body=f"Body {i}.", ingested_at=NOW,
                  date="2024-05-01", topic="sport")
    fields.update(overrides)
    return Article(**fields)


def test_partition_values_cannot_name_a_path():
    assert slug("../../etc/passwd") == "etc-passwd"
    assert slug("Politics & Government") == "politics-government"
    assert slug("") == "unknown"
    evil = _article(1, date="../../x", topic="a/../../b")
    assert partition_path("articles", evil) == "date=unknown/topic=a-b"
    dead = DeadLetter(source_uri="x", stage="read", error_type="E", message="m", ingested_at=NOW,
                      date="2024-05-01")
    assert partition_path("dead_letter", dead) == "date=2024-05-01"


def test_file_names_depend_only_on_the_ids_they_hold(tmp_path):
    records = [_article(i) for i in range(5)]
    first = write_records(str(tmp_path), "articles", "date=2024-05-01/topic=sport", records)
    again = write_records(str(tmp_path), "articles", "date=2024-05-01/topic=sport", list(reversed(records)))
    assert [p for p, _ in first] == [p for p, _ in again]
    assert first[0][0].endswith(file_name([r.id for r in records]))
    files = list(tmp_path.rglob("*"))
    assert [f.name for f in files if f.is_file()] == [first[0][0].rsplit("/", 1)[-1]]  # no temp files left


def test_large_partitions_split_into_sorted_files_with_row_groups(tmp_path):
    records = [_article(i) for i in range(25)]
    written = write_records(str(tmp_path), "articles", "date=2024-05-01/topic=sport", records,
                              WriteOptions(rows_per_file=10, row_group_size=4))
    assert [rows for _, rows in written] == [10, 10, 5]
    meta = pq.ParquetFile(written[0][0]).metadata
    assert meta.num_row_groups == 3
    ids = [pq.read_table(path).column("id").to_pylist() for path, _ in written]
    assert sum(ids, []) == sorted(r.id for r in records)
    schema = pq.read_schema(written[0][0])
    assert schema.metadata[b"newsbeam.table"] == b"articles"
    assert schema.field("body").metadata[b"description"].startswith(b"clean article text")


def test_write_table_transform_on_memory_filesystem():
    records = [_article(1), _article(2, topic="politics-government"), _article(3, date="2024-05-02")]
    with TestPipeline() as p:
        written = p | beam.Create(records) | WriteTable("memory://write-test/out", "articles")
        assert_that(written, equal_to([("articles", 1), ("articles", 1), ("articles", 1)]))
    fs = fsspec.filesystem("memory")
    folders = sorted(path.rsplit("/", 1)[0].split("/articles/")[1] for path in fs.find("/write-test/out"))
    assert folders == ["date=2024-05-01/topic=politics-government", "date=2024-05-01/topic=sport",
                       "date=2024-05-02/topic=sport"]
