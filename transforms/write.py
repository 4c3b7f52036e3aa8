"""Write: Hive-partitioned Parquet through fsspec, idempotent and atomic per file.

Guarantees:
- Layout `OUT/<table>/date=YYYY-MM-DD[/topic=<slug>]/part-<hash>.parquet`; partition values are
  slugs (`[a-z0-9-]`), so nothing taken from input data can name a path.
- Within a partition rows are sorted by id and cut into files of at most `rows_per_file` rows;
  a file's name is a hash of the ids it holds, so a rerun or a retried bundle overwrites the same
  files instead of adding copies, whatever the runner or bundling.
- Each file is written under a hidden temporary name and moved into place when complete:
  readers never see half a file.
- zstd compression and an explicit row-group size; the Arrow schema (with each column's
  description) comes from the model.
- Memory: what crosses the shuffle to the writer is one packed row per record (its sort id and
  its column values, pickled and zstd-compressed: about half the size of the body), not a
  pydantic model: Beam's local runner keeps grouped values decoded in memory, where a model costs
  several KB of Python objects per article.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import hashlib
import pickle
import re
import threading
import uuid
from typing import Iterable, Sequence

import apache_beam as beam
import fsspec
import pyarrow as pa
import pyarrow.parquet as pq
import zstandard
from apache_beam.metrics import Metrics

from pydantic import BaseModel

from transforms import progress
from transforms.model import TABLES, Duplicate, _Record, arrow_schema

_SLUG = re.compile(r"[^a-z0-9-]+")

# How the articles table is split into folders: by date and topic (the default), or by date alone
# for low-volume feeds where date x topic leaves a row or two per file (`topic` then is a column
# inside the files). `duplicates` and `dead_letter` are always split by date.
PARTITIONINGS = {"date,topic": ("date", "topic"), "date": ("date",)}


@dataclasses.dataclass(frozen=True)
class WriteOptions:
    rows_per_file: int = 100_000
    row_group_size: int = 10_000
    compression: str = "zstd"
    compression_level: int = 3
    write_shards: int = 64  # the batch graph's writer: dates are hashed to this many shards
    partition_by: str = "date,topic"  # the articles table's Hive folders (`PARTITIONINGS`)

    def __post_init__(self):
        if self.partition_by not in PARTITIONINGS:
            raise ValueError(f"partition_by must be one of {', '.join(PARTITIONINGS)}, got {self.partition_by!r}")
        if self.rows_per_file < 1 or self.row_group_size < 1:
            raise ValueError(f"rows_per_file and row_group_size must be at least 1, got "
                             f"{self.rows_per_file} and {self.row_group_size}")
        if self.write_shards < 1:
            raise ValueError(f"write_shards must be at least 1, got {self.write_shards}")


def slug(value: str, fallback: str = "unknown") -> str:
    """A safe partition value: lower-case letters, digits and dashes only."""
    text = _SLUG.sub("-", str(value).lower()).strip("-")
    return text[:64] or fallback


def _date_slug(value: str) -> str:
    return value if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value or "") else "unknown"


def path_columns(table: str, partition_by: str = "date,topic") -> tuple[str, ...]:
    """The columns of `table` that live in its folder names rather than in its files."""
    return PARTITIONINGS[partition_by] if table == "articles" else TABLES[table].PARTITION_COLUMNS


def partition_folder(table: str, date: str, topic: str = "unknown", partition_by: str = "date,topic") -> str:
    """`date=…[/topic=…]`: the Hive folder of a row of `table` with these values."""
    parts = [f"date={_date_slug(date)}"]
    if "topic" in path_columns(table, partition_by):
        parts.append(f"topic={slug(topic)}")
    return "/".join(parts)


def partition_path(table: str, record: _Record, partition_by: str = "date,topic") -> str:
    """`date=…[/topic=…]` of a record: the Hive folder it lands in within its table."""
    return partition_folder(table, record.date, getattr(record, "topic", "unknown"), partition_by)


def _record_id(record: _Record) -> str:
    """The key a row's file is named and sorted by (`row_keys`): unique per row of its table, so two
    runs never write different rows under one file name."""
    if isinstance(record, Duplicate):
        return f"{record.id}|{record.source_uri}"
    return getattr(record, "id", None) or f"{record.source_uri}|{record.record_index}|{record.stage}"


def row_keys(table: pa.Table, name: str) -> list[str]:
    """`_record_id` of every row of a file of table `name`: an article's id; a copy's id and
    source (the copies of one article can share its id: the same item read again under another
    file name, in this run or a later one); a dead letter's source, record index and stage."""
    if name == "articles":
        return table.column("id").to_pylist()
    if name == "duplicates":
        return [f"{i}|{u}" for i, u in zip(table.column("id").to_pylist(), table.column("source_uri").to_pylist())]
    uris, indexes, stages = (table.column(c).to_pylist() for c in ("source_uri", "record_index", "stage"))
    return [f"{u}|{i}|{s}" for u, i, s in zip(uris, indexes, stages)]


@functools.lru_cache(maxsize=None)  # deriving a schema walks every field (~1 ms); a file needs it once
def file_schema(model: type[_Record], in_path: tuple[str, ...] = ()) -> pa.Schema:
    """The Arrow schema of a table's files: every column but those its folder names hold."""
    full = arrow_schema(model, with_partitions=True)
    hidden = set(in_path or model.PARTITION_COLUMNS)
    return pa.schema([f for f in full if f.name not in hidden], metadata=full.metadata)


_codecs = threading.local()  # zstd (de)compressors are not thread-safe; one pair per thread


def _zstd() -> tuple[zstandard.ZstdCompressor, zstandard.ZstdDecompressor]:
    if not hasattr(_codecs, "pair"):
        _codecs.pair = (zstandard.ZstdCompressor(level=1), zstandard.ZstdDecompressor())
    return _codecs.pair


_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)
_MICROSECOND = dt.timedelta(microseconds=1)


def _column_value(value):
    """A field value as Arrow takes it; timestamps as UTC microseconds (pickling a datetime costs
    more than the rest of the row)."""
    if isinstance(value, dt.datetime):
        return ((value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)) - _EPOCH) // _MICROSECOND
    if isinstance(value, BaseModel):
        return value.model_dump()
    if isinstance(value, list) and value and isinstance(value[0], BaseModel):
        return [item.model_dump() for item in value]
    return value


def pack_row(record: _Record, in_path: tuple[str, ...] = ()) -> tuple[str, bytes]:
    """(sort id, packed column values) of a record: what travels to the writer."""
    values = tuple(_column_value(getattr(record, name)) for name in file_schema(type(record), in_path).names)
    return _record_id(record), _zstd()[0].compress(pickle.dumps(values, protocol=pickle.HIGHEST_PROTOCOL))


def _rows_to_arrow(payloads: Sequence[bytes], model: type[_Record], in_path: tuple[str, ...] = ()) -> pa.Table:
    schema = file_schema(model, in_path)
    decompress = _zstd()[1].decompress
    rows = [pickle.loads(decompress(p)) for p in payloads]
    columns = list(zip(*rows)) if rows else [() for _ in schema]
    return pa.Table.from_arrays([pa.array(list(col), type=field.type) for col, field in zip(columns, schema)],
                                schema=schema)


def file_name(ids: Sequence[str]) -> str:
    digest = hashlib.blake2b("\n".join(ids).encode("utf-8"), digest_size=10).hexdigest()
    return f"part-{digest}.parquet"


def write_packed(output: str, table: str, partition: str, rows: Iterable[tuple[str, bytes]],
                 options: WriteOptions = WriteOptions()) -> list[tuple[str, int]]:
    """Write one partition's packed rows (`pack_row`); returns (path, rows) of each file written."""
    model, in_path = TABLES[table], path_columns(table, options.partition_by)
    ordered = sorted(rows, key=lambda row: row[0])
    return _write_chunks(output, table, partition, [record_id for record_id, _ in ordered],
                         lambda start, stop: _rows_to_arrow([payload for _, payload in ordered[start:stop]], model,
                                                            in_path),
                         options)


def _records_to_arrow(records: Sequence[_Record], model: type[_Record], in_path: tuple[str, ...] = ()) -> pa.Table:
    schema = file_schema(model, in_path)
    columns = [[_column_value(getattr(record, name)) for record in records] for name in schema.names]
    return pa.Table.from_arrays([pa.array(col, type=field.type) for col, field in zip(columns, schema)],
                                schema=schema)


def write_records(output: str, table: str, partition: str, records: Iterable[_Record],
                  options: WriteOptions = WriteOptions()) -> list[tuple[str, int]]:
    """Write one partition's records straight from the models (for a writer that holds the
    partition's rows already); the same files as `write_packed` of their packed rows. Returns
    (path, rows) of each file written."""
    model, in_path = TABLES[table], path_columns(table, options.partition_by)
    ordered = sorted(records, key=_record_id)
    return _write_chunks(output, table, partition, [_record_id(r) for r in ordered],
                         lambda start, stop: _records_to_arrow(ordered[start:stop], model, in_path), options)


def _write_chunks(output: str, table: str, partition: str, ids: Sequence[str], arrow_of,
                  options: WriteOptions) -> list[tuple[str, int]]:
    """Cut a partition's rows (sorted by id) into files of at most `rows_per_file` rows; each file
    is written under a hidden temporary name and moved into place. `arrow_of(start, stop)` builds
    the Arrow table of rows [start, stop)."""
    written = []
    fs, root = fsspec.core.url_to_fs(output.rstrip("/"))
    folder = f"{root}/{table}/{partition}"
    fs.makedirs(folder, exist_ok=True)
    for start in range(0, len(ids), options.rows_per_file):
        stop = min(start + options.rows_per_file, len(ids))
        name = file_name(ids[start:stop])
        final = f"{folder}/{name}"
        temp = f"{folder}/.{name}.{uuid.uuid4().hex}.tmp"
        arrow = arrow_of(start, stop)
        arrow = arrow.replace_schema_metadata({
            **(arrow.schema.metadata or {}),
            b"newsbeam.table": table.encode(),
            b"newsbeam.partition": partition.encode(),
        })
        try:
            with fs.open(temp, "wb") as handle:
                pq.write_table(arrow, handle, compression=options.compression,
                               compression_level=options.compression_level,
                               row_group_size=options.row_group_size)
            fs.mv(temp, final)
        finally:
            if fs.exists(temp):
                fs.rm(temp)
        written.append((fs.unstrip_protocol(final) if "://" in output else final, stop - start))
    return written


class _WritePartitionFn(beam.DoFn):
    def __init__(self, output: str, table: str, options: WriteOptions):
        self.output, self.table, self.options = output, table, options

    def setup(self):
        self.rows = Metrics.counter("newsbeam", f"{self.table}_written")

    def process(self, element):
        partition, packed = element
        for path, rows in write_packed(self.output, self.table, partition, packed, self.options):
            self.rows.inc(rows)
            progress.add("write", **{self.table: rows})
            yield self.table, rows


class WriteTable(beam.PTransform):
    """Records of one table -> Parquet files; outputs (table, rows written) per file."""

    def __init__(self, output: str, table: str, options: WriteOptions = WriteOptions()):
        super().__init__()
        if table not in TABLES:
            raise ValueError(f"unknown table {table!r}; expected one of {sorted(TABLES)}")
        self.output, self.table, self.options = output, table, options

    def expand(self, records):
        table, by = self.table, self.options.partition_by
        in_path = path_columns(table, by)
        return (
            records
            | "ByPartition" >> beam.Map(lambda r: (partition_path(table, r, by), pack_row(r, in_path))).with_output_types(
                tuple[str, tuple[str, bytes]])
            | "Group" >> beam.GroupByKey()
            | "WriteParquet" >> beam.ParDo(_WritePartitionFn(self.output, table, self.options))
        )
