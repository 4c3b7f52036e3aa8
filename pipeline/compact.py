"""`newsbeam compact OUT [--date YYYY-MM-DD ...]`: rewrite a partition's small files into few.

Every run (and every streaming window) writes its own files into the partitions it touches, so a
daily schedule leaves a partition with one small file per run, and date x topic partitions of a
mixed-date corpus hold a row or two per file. Compaction reads each partition that has more files
than its rows need, sorts the rows by id, and writes them as files of up to `--rows-per-file` rows
(named, as the writer names them, after a hash of the ids they hold), then removes the old files.
It covers `articles`, `duplicates`, `dead_letter` and the dedup index (`_dedup_index/`).

Protocol (one partition at a time; `OUT/_runs/_compact/<id>.json` is the journal):
1. The journal is written with the old files to remove and the new files' names (known before
   writing: they are hashes of the ids), status `writing`.
2. The new files are written (each under a hidden temporary name, then moved into place).
3. The journal's status becomes `removing`; the old files are removed (an old file whose name
   is a new file's name was overwritten with the same rows and stays); status `done`.
An interrupted compaction is finished by the next `newsbeam compact` or `newsbeam run`: status
`writing` is rolled back (the new files it may have written are removed; the old ones were never
touched), status `removing` is rolled forward. Ids stay unique: a partition's rows are read whole
and an id that appears in two files (which the writer never does) is kept once, its latest
`ingested_at`. A reader never misses a row: the new files are in place before the old ones go.
A reader that lists the partition between steps 2 and 3 (the time it takes to delete the old
files) sees its rows twice; run compaction on finished partitions (by default: dates before
today, UTC) and not while a run is writing into the same output.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import json
import logging
import re
import sys
import uuid
from typing import Optional, Sequence

import fsspec
import pyarrow as pa
import pyarrow.parquet as pq

from pipeline.incremental import EMPTY_FILE, INDEX_DIR, read_layout
from transforms.model import TABLES, UTC
from transforms.write import WriteOptions, file_name, row_keys

LOG = logging.getLogger("newsbeam.compact")
JOURNALS = "_runs/_compact"
_DATE = re.compile(r"date=(\d{4}-\d{2}-\d{2}|[a-z0-9-]+)")


@dataclasses.dataclass
class PartitionResult:
    folder: str
    files_before: int
    files_after: int
    rows: int


def _visible_parquet(fs, folder: str) -> list[str]:
    try:
        names = fs.ls(folder, detail=False)
    except FileNotFoundError:
        return []
    return sorted(p for p in names if p.endswith(".parquet") and not p.rsplit("/", 1)[1].startswith((".", "_"))
                  and p.rsplit("/", 1)[1] != EMPTY_FILE)


def _partitions(fs, root: str, top: str) -> list[str]:
    """The leaf partition folders of one table (folders holding Parquet files)."""
    base = f"{root}/{top}"
    if not fs.exists(base):
        return []
    folders = {p.rsplit("/", 1)[0] for p in fs.find(base) if p.endswith(".parquet")
               and not any(part.startswith((".", "_")) for part in p[len(base):].split("/")[:-1] if part)}
    return sorted(folders)


def _row_keys(table: pa.Table, top: str) -> list[str]:
    """The rows' keys, as the writer names files by them (an index entry: its source)."""
    return table.column("source_uri").to_pylist() if top == INDEX_DIR else row_keys(table, top)


def _read_partition(fs, files: list[str], top: str) -> tuple[pa.Table, list[str]]:
    tables = []
    for path in files:
        with fs.open(path, "rb") as handle:
            tables.append(pq.read_table(handle))
    table = pa.concat_tables(tables, promote_options="default")
    keys = _row_keys(table, top)
    order = sorted(range(len(keys)), key=lambda i: keys[i])
    if top != "dead_letter":  # ids are unique: keep one row per id, the latest reading
        ingested = (table.column("ingested_at").to_pylist() if "ingested_at" in table.column_names
                    else [None] * len(keys))
        best: dict[str, int] = {}
        for i in order:
            if keys[i] not in best or (ingested[i] or 0) > (ingested[best[keys[i]]] or 0):
                best[keys[i]] = i
        order = [best[k] for k in sorted(best)]
    return table.take(pa.array(order, pa.int64())), [keys[i] for i in order]


def _write(fs, path: str, table: pa.Table, options: WriteOptions) -> None:
    temp = f"{path.rsplit('/', 1)[0]}/.{path.rsplit('/', 1)[1]}.{uuid.uuid4().hex}.tmp"
    try:
        with fs.open(temp, "wb") as handle:
            pq.write_table(table, handle, compression=options.compression,
                           compression_level=options.compression_level, row_group_size=options.row_group_size)
        fs.mv(temp, path)
    finally:
        if fs.exists(temp):
            fs.rm(temp)


def _save(fs, path: str, journal: dict) -> None:
    temp = f"{path}.{uuid.uuid4().hex}.tmp"
    with fs.open(temp, "w") as handle:
        json.dump(journal, handle)
    fs.mv(temp, path)


def _remove_old(fs, journal: dict) -> None:
    keep = set(journal["add"])
    for path in journal["remove"]:
        if path not in keep and fs.exists(path):
            fs.rm(path)


def compact_partition(fs, root: str, top: str, folder: str, options: WriteOptions) -> Optional[PartitionResult]:
    """Compact one partition folder when it has more files than its rows need."""
    files = _visible_parquet(fs, folder)
    if len(files) < 2:
        return None
    rows = sum(pq.ParquetFile(fs.open(p, "rb")).metadata.num_rows for p in files)
    needed = max(1, -(-rows // options.rows_per_file))
    if len(files) <= needed:
        return None
    table, keys = _read_partition(fs, files, top)
    metadata = table.schema.metadata
    chunks = [(start, min(start + options.rows_per_file, len(keys))) for start in range(0, len(keys), options.rows_per_file)]
    new = [f"{folder}/{file_name(keys[a:b])}" for a, b in chunks]
    journal_path = f"{root}/{JOURNALS}/{dt.datetime.now(UTC):%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:8]}.json"
    fs.makedirs(journal_path.rsplit("/", 1)[0], exist_ok=True)
    journal = {"folder": folder, "remove": files, "add": new, "status": "writing", "rows": len(keys)}
    _save(fs, journal_path, journal)
    for (start, stop), path in zip(chunks, new):
        _write(fs, path, table.slice(start, stop - start).replace_schema_metadata(metadata), options)
    journal["status"] = "removing"
    _save(fs, journal_path, journal)
    _remove_old(fs, journal)
    journal["status"] = "done"
    _save(fs, journal_path, journal)
    return PartitionResult(folder, len(files), len(new), len(keys))


def finish_interrupted(output: str) -> int:
    """Roll back (`writing`) or forward (`removing`) every compaction left unfinished."""
    fs, root = fsspec.core.url_to_fs(output.rstrip("/"))
    folder = f"{root}/{JOURNALS}"
    try:
        paths = sorted(p for p in fs.ls(folder, detail=False) if p.endswith(".json"))
    except FileNotFoundError:
        return 0
    finished = 0
    for path in paths:
        with fs.open(path, "r") as handle:
            journal = json.load(handle)
        if journal["status"] == "writing":
            for new in journal["add"]:
                if new not in journal["remove"] and fs.exists(new):
                    fs.rm(new)
            journal["status"] = "rolled back"
        elif journal["status"] == "removing":
            _remove_old(fs, journal)
            journal["status"] = "done"
        else:
            continue
        _save(fs, path, journal)
        finished += 1
    return finished


def compact(output: str, dates: Sequence[str] = (), options: WriteOptions = WriteOptions(),
            before: Optional[str] = None) -> dict:
    """Compact the partitions of every table (and the dedup index) under `output`.

    `dates`: only these `date=` partitions; else every partition dated before `before`
    (default: today, UTC), i.e. finished ones. Returns counts for the report."""
    fs, root = fsspec.core.url_to_fs(output.rstrip("/"))
    finish_interrupted(output)
    before = before or dt.datetime.now(UTC).date().isoformat()
    report = {"partitions": 0, "files_before": 0, "files_after": 0, "rows": 0}
    for top in (*TABLES, INDEX_DIR):
        for folder in _partitions(fs, root, top):
            match = _DATE.search(folder[len(root):])
            date = match.group(1) if match else ""
            if dates and date not in dates:
                continue
            if not dates and re.fullmatch(r"\d{4}-\d{2}-\d{2}", date) and date >= before:
                continue
            result = compact_partition(fs, root, top, folder, options)
            if result:
                report["partitions"] += 1
                report["files_before"] += result.files_before
                report["files_after"] += result.files_after
                report["rows"] += result.rows
    return report


def file_stats(output: str, top: str = "articles") -> dict:
    """Files, rows and the median rows per file of one table (the empty placeholder not counted)."""
    fs, root = fsspec.core.url_to_fs(output.rstrip("/"))
    counts = []
    for folder in _partitions(fs, root, top):
        for path in _visible_parquet(fs, folder):
            with fs.open(path, "rb") as handle:
                counts.append(pq.ParquetFile(handle).metadata.num_rows)
    counts.sort()
    rows = sum(counts)
    return {"files": len(counts), "rows": rows,
            "median_rows_per_file": counts[len(counts) // 2] if counts else 0,
            "files_per_100k_rows": round(len(counts) * 100_000 / rows, 1) if rows else 0.0}


def main(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="newsbeam compact",
        description="Rewrite the small files of finished partitions (dates before today, UTC, unless --date "
                    "names them) into files of up to --rows-per-file rows: articles, duplicates, dead_letter "
                    "and the dedup index. Run it when no run writes into OUT.")
    parser.add_argument("output", metavar="OUT", help="fsspec URL of a newsbeam output root")
    parser.add_argument("--date", action="append", default=[], metavar="YYYY-MM-DD",
                        help="compact only this date's partitions (repeatable), today's included")
    parser.add_argument("--rows-per-file", "--rows_per_file", dest="rows_per_file", type=int,
                        default=WriteOptions.rows_per_file, help="most rows in one file")
    parser.add_argument("--row-group-size", "--row_group_size", dest="row_group_size", type=int,
                        default=WriteOptions.row_group_size, help="rows per Parquet row group")
    args = parser.parse_args(list(argv))
    try:
        options = WriteOptions(rows_per_file=args.rows_per_file, row_group_size=args.row_group_size)
    except ValueError as exc:
        parser.error(str(exc))
    fs, root = fsspec.core.url_to_fs(args.output.rstrip("/"))
    if not fs.exists(f"{root}/_runs"):
        print(f"newsbeam: error: not a newsbeam output (no _runs/): {args.output}", file=sys.stderr)
        return 2
    before = {"articles": file_stats(args.output)}
    report = compact(args.output, args.date, options)
    after = file_stats(args.output)
    print(f"newsbeam compact {args.output}: {report['partitions']} partitions, {report['files_before']} files "
          f"-> {report['files_after']} ({report['rows']} rows); articles: {before['articles']['files']} files "
          f"-> {after['files']}, median {after['median_rows_per_file']} rows per file "
          f"(layout: {read_layout(args.output)})")
    return 0

