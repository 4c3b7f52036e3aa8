"""Staging: bodies wait in files while dedup decides on keys; the writer applies the decisions."""

from __future__ import annotations

import datetime as dt
import random

import apache_beam as beam
import fsspec
import pyarrow.parquet as pq
import pytest
from apache_beam.testing.test_pipeline import TestPipeline
from apache_beam.testing.util import assert_that, equal_to

import transforms.stage as stage
from transforms.dedup import Dedup, DedupDecisions, DedupOptions
from transforms.minhash import MinHasher
from transforms.model import UTC, Article, stable_id
from transforms.stage import (
    StageArticles,
    WriteStaged,
    batch_of,
    batches_of,
    read_staged,
    shard_of,
    write_staging_file,
)
from transforms.text import content_fingerprint
from transforms.write import WriteOptions, WriteTable

NOW = dt.datetime(2024, 5, 1, tzinfo=UTC)
VOCAB = [f"word{i}" for i in range(3000)]


def _body(seed: int) -> str:
    rng = random.Random(seed)
    return "\n\n".join(" ".join(rng.choice(VOCAB) for _ in range(40)) + "." for _ in range(6))


def _article(i: int, body: str, day: int) -> Article:
    uri = f"memory://in/{i}.txt"
    return Article(id=stable_id(uri), source_uri=uri, title=f"Story {i}", body=body, ingested_at=NOW,
                   published_at=NOW + dt.timedelta(minutes=i), content_hash=content_fingerprint(body),
                   date=f"2024-05-{day:02d}")


def corpus() -> list[Article]:
    """24 articles over 4 dates: distinct stories, exact copies and near copies (a word changed)."""
    articles = []
    for i in range(24):
        base = i % 12
        body = _body(base)
        if i >= 18:  # near copies of stories 6..11
            body = body.replace("word", "wrod", 2)
        articles.append(_article(i, body, 1 + i % 4))
    return articles


def test_shards_are_stable_and_in_range():
    assert shard_of("2024-05-01", 64) == shard_of("2024-05-01", 64)
    assert {shard_of(f"2024-05-{d:02d}", 8) for d in range(1, 29)} <= set(range(8))
    assert len({shard_of(f"2024-05-{d:02d}", 8) for d in range(1, 29)}) > 1


def test_staging_file_round_trip_one_row_group_per_shard():
    articles = corpus()
    parts = write_staging_file("memory://stage-rt/run", articles, shards=3)
    assert sum(p.rows for p in parts) == len(articles)
    assert sorted(p.shard for p in parts) == sorted({shard_of(a.date, 3) for a in articles})
    back = [a for part in parts for a in read_staged(part)]
    assert sorted(back, key=lambda a: a.source_uri) == sorted(articles, key=lambda a: a.source_uri)
    with fsspec.open(parts[0].path, "rb") as handle:
        assert pq.ParquetFile(handle).metadata.num_row_groups == len(parts)
    wrong = parts[0]._replace(shard=parts[0].shard + 100)
    with pytest.raises(ValueError, match="expected"):
        read_staged(wrong)


def _files(root: str) -> dict[str, int]:
    """Relative path -> rows of every Parquet file under a memory:// root."""
    fs = fsspec.filesystem("memory")
    out = {}
    for path in fs.find(root):
        if path.endswith(".parquet"):
            with fs.open(path, "rb") as handle:
                out[path.split(root, 1)[1]] = pq.ParquetFile(handle).metadata.num_rows
    return out


def test_staged_write_gives_the_same_files_as_dedup_then_write(monkeypatch):
    """Keys -> decisions -> staged writer equals Dedup + a shuffle per partition, file for file."""
    monkeypatch.setattr(stage, "STAGE_ROWS", 5)  # several staging files per bundle
    articles = corpus()
    options = DedupOptions()
    write = WriteOptions(rows_per_file=3, write_shards=3)

    staged_out, folder = "memory://stage-eq/staged", "memory://stage-eq/staged/_staging/t"
    with TestPipeline() as p:
        cleaned = p | beam.Create(articles, reshuffle=False)
        staged = cleaned | StageArticles(folder, write.write_shards, MinHasher(options.minhash()))
        decided = staged["keys"] | DedupDecisions(options)
        written = {"parts": staged["parts"], "decisions": decided} | WriteStaged(
            staged_out, folder, write.write_shards, write, enrich=False)
        assert_that(written["written"] | beam.CombinePerKey(sum), equal_to([("articles", 12), ("duplicates", 12)]))

    plain_out = "memory://stage-eq/plain"
    with TestPipeline() as p:
        out = p | beam.Create(articles, reshuffle=False) | Dedup(options)
        out["articles"] | "WA" >> WriteTable(plain_out, "articles", write)
        out["duplicates"] | "WD" >> WriteTable(plain_out, "duplicates", write)

    staged_files, plain_files = _files("/stage-eq/staged"), _files("/stage-eq/plain")
    assert staged_files == plain_files
    assert sum(n for path, n in staged_files.items() if path.startswith("/articles/")) == 12
    assert sum(n for path, n in staged_files.items() if path.startswith("/duplicates/")) == 12
    assert not fsspec.filesystem("memory").exists("/stage-eq/staged/_staging")  # staging removed


def test_an_article_enrichment_cannot_handle_is_a_dead_letter(monkeypatch):
    import transforms.enrich as enrich

    real = enrich.enrich_article

    def fragile(article):
        if article.source_uri.endswith("/3.txt"):
            raise RuntimeError("model blew up")
        return real(article)

    monkeypatch.setattr(enrich, "enrich_article", fragile)
    articles = [_article(i, _body(i), 1) for i in range(6)]
    out, folder = "memory://stage-dead/out", "memory://stage-dead/out/_staging/t"
    with TestPipeline() as p:
        staged = p | beam.Create(articles, reshuffle=False) | StageArticles(folder, 4, MinHasher())
        decided = staged["keys"] | DedupDecisions(DedupOptions())
        written = {"parts": staged["parts"], "decisions": decided} | WriteStaged(
            out, folder, 4, WriteOptions(write_shards=4), enrich=True)
        assert_that(written["written"] | beam.CombinePerKey(sum), equal_to([("articles", 5)]), label="rows")
        assert_that(written["dead"] | beam.Map(lambda d: (d.stage, d.message, d.source_uri)),
                    equal_to([("enrich", "model blew up", "memory://in/3.txt")]), label="dead")
    rows = sum(_files("/stage-dead/out").values())
    assert rows == 5



def _rows(root: str, table: str) -> list[tuple]:
    """(id, partition folder, cluster or canonical id) of every row of a table under a memory:// root."""
    fs = fsspec.filesystem("memory")
    out = []
    for path in fs.find(f"{root}/{table}"):
        if path.endswith(".parquet"):
            with fs.open(path, "rb") as handle:
                data = pq.read_table(handle)
            link = "cluster_id" if table == "articles" else "canonical_id"
            folder = path.rsplit("/", 1)[0].split(f"/{table}/", 1)[1]
            out.extend((i, folder, c) for i, c in zip(data.column("id").to_pylist(), data.column(link).to_pylist()))
    return sorted(out)


def test_a_busy_date_is_written_by_several_batches_with_the_same_rows():
    """A run of one date (a daily job) is not held by one writer: its shard is split into batches
    by record; every article and duplicate row is written once, as in an unsplit run."""
    articles = [a.model_copy(update={"date": "2024-05-01"}) for a in corpus()]
    options, write = DedupOptions(), WriteOptions(rows_per_file=100, write_shards=4)
    for name, batch_rows in (("whole", 10_000), ("split", 5)):
        out, folder = f"memory://stage-busy/{name}", f"memory://stage-busy/{name}/_staging/t"
        with TestPipeline() as p:
            staged = p | beam.Create(articles, reshuffle=False) | StageArticles(folder, 4, MinHasher(options.minhash()))
            decided = staged["keys"] | DedupDecisions(options)
            written = {"parts": staged["parts"], "decisions": decided} | WriteStaged(
                out, folder, 4, write, enrich=False, batch_rows=batch_rows)
            assert_that(written["written"] | beam.CombinePerKey(sum),
                        equal_to([("articles", 12), ("duplicates", 12)]))
    whole, split = _files("/stage-busy/whole"), _files("/stage-busy/split")
    assert len(whole) == 2 and len(split) > 2  # one file per table vs one per batch that holds rows
    for table in ("articles", "duplicates"):
        assert _rows("/stage-busy/split", table) == _rows("/stage-busy/whole", table)
        assert len(_rows("/stage-busy/split", table)) == 12
    assert not fsspec.filesystem("memory").exists("/stage-busy/split/_staging")


def test_a_batch_reads_only_its_records():
    articles = [a.model_copy(update={"date": "2024-05-01"}) for a in corpus()]
    (part,) = write_staging_file("memory://stage-batch/run", articles, shards=1)
    batches = [read_staged(part, number, 3) for number in range(3)]
    assert sorted(a.source_uri for b in batches for a in b) == sorted(a.source_uri for a in articles)
    assert all(batches) and all(batch_of(a.source_uri, 3) == n for n, b in enumerate(batches) for a in b)
    assert batches_of(0) == 1 and batches_of(20_000, 20_000) == 1 and batches_of(20_001, 20_000) == 2
