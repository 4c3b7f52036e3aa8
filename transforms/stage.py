"""Staging: article bodies wait for dedup's decisions in files, not in the runner's memory.

Dedup decides on small keys (`DedupKey`: ids, hashes, rank, MinHash signature), but the bodies
must wait until every decision is known. Waiting inside the runner (a side input, or a shuffle to
the writer) holds every article of the run in memory at once on Beam's local runners, which keep
shuffle inputs in the runner process. So:

1. `StageArticles`, fused with Clean, writes cleaned articles to staging Parquet files under
   `OUT/_staging/<run>/` (one file per `STAGE_ROWS` articles of a bundle, one row group per write
   shard, zstd) and their `DedupKey`s beside them (`KeyPack`: ~1.8 KB a key, which the runner
   would otherwise hold and hand over twice), and passes on a `KeyPack` per file and a
   `StagedPart(shard, path, row group)` per row group.
2. `DedupDecisions` (transforms/dedup.py) turns the keys into decisions, one per copy and per
   canonical article with copies; each carries the record's `date`, so it is routed to the write
   shard of that date.
3. `WriteStaged` groups parts and decisions by shard (CoGroupByKey: references and decisions
   only), then per shard: reads its row groups, applies the decisions (article or `duplicates`
   row), enriches the canonical articles (unless `--skip_enrich`; a failure is a dead letter of
   stage `enrich`) and writes each Hive partition with `write_records`. A shard holds every date
   that hashes to it, so a partition is written whole by one worker and file names stay a hash of
   their ids: the same files as writing through a shuffle per partition. A shard of more than
   `WRITE_BATCH_ROWS` staged articles (a run of one busy date: a daily scheduled job) is split
   into k = ceil(rows / WRITE_BATCH_ROWS) batches by record (xxh64 of `source_uri`, stored in
   the staging file, so a batch reads only its rows); its partitions are then written by k
   workers in parallel, as up to k files each (names still a hash of their ids).
4. When every file is written (and the dedup index, whose rows are read from the key packs),
   the staging folder is deleted.

Memory: the runner holds keys and references; a worker holds one batch of at most about
`WRITE_BATCH_ROWS` articles at a time, however many of them share a date.
Bodies are written twice (staging and final). A failed or retried bundle leaves a staging file
no reference points to; it goes with the folder. A job that dies leaves `_staging/<run>/`; the
next run into the same output removes it (pipeline/runlock.py: the output's lease proves that the
run which wrote it is dead).
"""

from __future__ import annotations

import dataclasses
import hashlib
import uuid
from collections import defaultdict
from typing import NamedTuple, Optional

import apache_beam as beam
import fsspec
import numpy as np
from fsspec.implementations.local import LocalFileSystem
import pyarrow as pa
import pyarrow.parquet as pq
from apache_beam import pvalue
from apache_beam.metrics import Metrics
from apache_beam.transforms.window import GlobalWindow
from apache_beam.utils.timestamp import MIN_TIMESTAMP
from apache_beam.utils.windowed_value import WindowedValue

from transforms import progress
from transforms.deadletter import dead_letter
from transforms.dedup import Decision, FoldingFn, dedup_key, remove_folder
from transforms.dedup_shuffle import write_key_pack
from transforms.minhash import MinHasher, record_number
from transforms.model import Article, ModelCoder
from transforms.write import WriteOptions, partition_path, write_records

STAGE_ROWS = 5_000  # articles per staging file: bounds what a bundle holds before it writes
WRITE_BATCH_ROWS = 20_000  # staged articles a writer batch holds at most (a bigger shard is split)
STAGING_DIR = "_staging"

_STAGE_SCHEMA = pa.schema([
    pa.field("shard", pa.int32()),
    pa.field("record", pa.uint64()),  # record_number(source_uri): splits a big shard into batches
    pa.field("article", pa.binary()),  # ModelCoder bytes: the article exactly as Clean left it
])
_ARTICLE_CODER = ModelCoder(Article)


def shard_of(date: str, shards: int) -> int:
    """Write shard of a `date` value: a stable hash (the same in every process and run)."""
    digest = hashlib.blake2b((date or "").encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "little") % shards


class StagedPart(NamedTuple):
    shard: int
    path: str  # fsspec URL of the staging file
    row_group: int
    rows: int


def staging_folder(output: str, run: str) -> str:
    return f"{output.rstrip('/')}/{STAGING_DIR}/{run}"


def write_staging_file(folder: str, articles: list[Article], shards: int) -> list[StagedPart]:
    """Write `articles` as one staging file, one row group per shard; returns its parts."""
    by_shard: dict[int, list[Article]] = defaultdict(list)
    for article in articles:
        by_shard[shard_of(article.date, shards)].append(article)
    fs, root = fsspec.core.url_to_fs(folder)
    fs.makedirs(root, exist_ok=True)
    path = f"{root}/{uuid.uuid4().hex}.parquet"
    parts = []
    with fs.open(path, "wb") as handle, pq.ParquetWriter(handle, _STAGE_SCHEMA, compression="zstd",
                                                         compression_level=1) as writer:
        for number, shard in enumerate(sorted(by_shard)):
            group = by_shard[shard]
            writer.write_table(pa.Table.from_arrays([
                pa.array([shard] * len(group), pa.int32()),
                pa.array([record_number(a.source_uri) for a in group], pa.uint64()),
                pa.array([_ARTICLE_CODER.encode(a) for a in group], pa.binary()),
            ], schema=_STAGE_SCHEMA), row_group_size=len(group))
            parts.append(StagedPart(shard, fs.unstrip_protocol(path), number, len(group)))
    return parts


def read_staged(part: StagedPart, batch: int = 0, batches: int = 1) -> list[Article]:
    """The articles of one staged row group; with `batches` > 1 only those of batch `batch`
    (`batch_of` their record)."""
    fs, path = fsspec.core.url_to_fs(part.path)
    columns = ["shard", "record", "article"]
    if isinstance(fs, LocalFileSystem):  # Arrow's own reader: ~2.5x faster than through a Python file
        table = pq.ParquetFile(path).read_row_group(part.row_group, columns=columns)
    else:
        with fs.open(path, "rb") as handle:
            table = pq.ParquetFile(handle).read_row_group(part.row_group, columns=columns)
    shards = set(table.column("shard").to_pylist())
    if shards != {part.shard}:
        raise ValueError(f"staging file {part.path} row group {part.row_group} holds shards {sorted(shards)}, "
                         f"expected {part.shard}")
    if batches > 1:
        table = table.filter(table.column("record").to_numpy() % np.uint64(batches) == batch)
    return [_ARTICLE_CODER.decode(blob) for blob in table.column("article").to_pylist()]


def batches_of(rows: int, batch_rows: int = WRITE_BATCH_ROWS) -> int:
    """How many writer batches a shard of `rows` staged articles is split into."""
    return max(1, -(-rows // batch_rows))


def batch_of(record_key: str, batches: int) -> int:
    """The writer batch of a record (its `source_uri`) in a shard split into `batches`."""
    return record_number(record_key) % batches if batches > 1 else 0


class _StageFn(beam.DoFn):
    """Articles -> a `KeyPack` of their `DedupKey`s per staging file (main output) and its
    `StagedPart`s (tagged `parts`)."""

    def __init__(self, folder: str, shards: int, hasher: Optional[MinHasher]):
        self.folder, self.shards, self.hasher = folder, shards, hasher

    def setup(self):
        self.staged = Metrics.counter("newsbeam", "articles_staged")

    def start_bundle(self):
        self.buffer: list[Article] = []
        self.keys = []

    def _flush(self):
        """Write the buffered articles and their keys; yields the key pack and the parts."""
        if not self.buffer:
            return
        yield write_key_pack(self.folder, self.keys)
        for part in write_staging_file(self.folder, self.buffer, self.shards):
            yield pvalue.TaggedOutput("parts", part)
        self.staged.inc(len(self.buffer))
        self.buffer, self.keys = [], []

    def process(self, article: Article):
        self.buffer.append(article)
        self.keys.append(dedup_key(article, self.hasher))
        if len(self.buffer) >= STAGE_ROWS:
            yield from self._flush()

    def finish_bundle(self):
        for output in self._flush():
            tag, value = (output.tag, output.value) if isinstance(output, pvalue.TaggedOutput) else (None, output)
            windowed = WindowedValue(value, MIN_TIMESTAMP, [GlobalWindow()])
            yield pvalue.TaggedOutput(tag, windowed) if tag else windowed


class StageArticles(beam.PTransform):
    """Articles -> {'keys': a `KeyPack` of `DedupKey`s per staging file, 'parts': StagedPart per
    staged row group}."""

    def __init__(self, folder: str, shards: int, hasher: Optional[MinHasher]):
        super().__init__()
        self.folder, self.shards, self.hasher = folder, shards, hasher

    def expand(self, articles):
        staged = articles | "Stage" >> beam.ParDo(_StageFn(self.folder, self.shards, self.hasher)).with_outputs(
            "parts", main="keys")
        return {"keys": staged.keys, "parts": staged.parts}


@dataclasses.dataclass
class ShardBatch:
    """One write shard's rows on their way through apply -> enrich -> write (a fused chain of steps)."""

    shard: int
    articles: list
    duplicates: list


class _ApplyFn(FoldingFn):
    """((shard, batch, batches), {'parts', 'decisions'}) -> one ShardBatch: the staged articles of
    that batch with decisions applied."""

    def process(self, element):
        (shard, number, count), grouped = element
        table: dict[str, Decision] = dict(grouped["decisions"])
        batch = ShardBatch(shard, [], [])
        for part in sorted(set(grouped["parts"])):
            for article in read_staged(part, number, count):
                kind, row = self.fold(article, table)
                (batch.duplicates if kind == "duplicate" else batch.articles).append(row)
        yield batch


class _EnrichBatchFn(beam.DoFn):
    """A ShardBatch with its articles enriched; an article that fails becomes a dead letter."""

    def setup(self):
        from transforms.enrich import load_models

        def loaded(name: str) -> None:
            progress.add("enrich", models_loaded=1)
            progress.note("doing", f"a worker loaded the {name}")

        progress.note("doing", "a worker is loading the enrichment models")
        with progress.LoadingModules("enrich"):
            load_models(loaded)
        progress.note("doing", "")
        self.failed = Metrics.counter("newsbeam", "dead_letters")

    def process(self, batch: ShardBatch):
        from transforms.enrich import enrich_article

        enriched = []
        for article in batch.articles:
            progress.add("enrich", articles=1)
            try:
                enriched.append(enrich_article(article))
            except Exception as exc:  # noqa: BLE001 - any failure of one article is its dead letter
                self.failed.inc()
                yield pvalue.TaggedOutput("dead", dead_letter(article, type(exc), repr(exc), "enrich"))
        batch.articles = enriched
        yield batch


class _WriteBatchFn(beam.DoFn):
    """A ShardBatch -> its Parquet files; outputs (table, rows) per file."""

    def __init__(self, output: str, options: WriteOptions):
        self.output, self.options = output, options

    def setup(self):
        self.counters = {t: Metrics.counter("newsbeam", f"{t}_written") for t in ("articles", "duplicates")}

    def process(self, batch: ShardBatch):
        for table, records in (("articles", batch.articles), ("duplicates", batch.duplicates)):
            partitions = defaultdict(list)
            for record in records:
                partitions[partition_path(table, record, self.options.partition_by)].append(record)
            for partition in sorted(partitions):
                for _path, rows in write_records(self.output, table, partition, partitions[partition], self.options):
                    self.counters[table].inc(rows)
                    progress.add("write", **{table: rows})
                    yield table, rows


def _remove_staging(_, folder: str, *_after) -> str:
    remove_folder(folder)
    fs, root = fsspec.core.url_to_fs(folder)
    parent = root.rstrip("/").rsplit("/", 1)[0]
    try:  # leave no empty `_staging/` behind; another run's folder keeps it
        if not fs.ls(parent, detail=False):
            fs.rmdir(parent)
    except (FileNotFoundError, OSError):
        pass
    return folder


class WriteStaged(beam.PTransform):
    """{'parts': StagedPart, 'decisions': (record_key, Decision)} -> written Parquet files.

    An optional input 'after' (a PCollection) holds the staging folder's removal until it is
    complete: other readers of the folder (the dedup index rows read the key packs).

    Outputs {'written': (table, rows) per file, 'dead': DeadLetter rows of articles enrichment
    could not handle}.
    """

    def __init__(self, output: str, folder: str, shards: int, options: WriteOptions, enrich: bool,
                 batch_rows: int = WRITE_BATCH_ROWS):
        super().__init__()
        self.output, self.folder, self.shards, self.options, self.enrich = output, folder, shards, options, enrich
        self.batch_rows = batch_rows

    def expand(self, inputs):
        shards, batch_rows = self.shards, self.batch_rows
        rows = beam.pvalue.AsDict(inputs["parts"] | "RowsPerShard" >> beam.Map(lambda part: (part.shard, part.rows))
                                  | "SumRows" >> beam.CombinePerKey(sum))

        def part_batches(part: StagedPart, rows: dict):
            count = batches_of(rows.get(part.shard, 0), batch_rows)
            for number in range(count):  # each batch reads the row group and keeps its own rows
                yield (part.shard, number, count), part

        def decision_batch(entry, rows: dict):
            shard = shard_of(entry[1].date, shards)
            count = batches_of(rows.get(shard, 0), batch_rows)
            return (shard, batch_of(entry[0], count), count), entry

        parts = inputs["parts"] | "PartsByBatch" >> beam.FlatMap(part_batches, rows)
        routed = inputs["decisions"] | "DecisionsByBatch" >> beam.Map(decision_batch, rows)
        batches = ({"parts": parts, "decisions": routed} | "ByBatch" >> beam.CoGroupByKey()
                   | "Apply" >> beam.ParDo(_ApplyFn()))
        dead = None
        if self.enrich:
            enriched = batches | "Enrich" >> beam.ParDo(_EnrichBatchFn()).with_outputs("dead", main="batches")
            batches, dead = enriched.batches, enriched.dead
        written = batches | "Write" >> beam.ParDo(_WriteBatchFn(self.output, self.options))
        after = [beam.pvalue.AsList(inputs["after"])] if inputs.get("after") is not None else []
        (written
         | "AllWritten" >> beam.combiners.Count.Globally()
         | "RemoveStaging" >> beam.Map(_remove_staging, self.folder, *after))
        return {"written": written, "dead": dead}
