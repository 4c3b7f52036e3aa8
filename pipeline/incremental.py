"""Incremental runs: a batch run into an OUT that earlier runs wrote processes only new files, and
commits its output as a whole.

Why: a scheduled job (`deploy/schedule_batch.sh`) lists the same raw folder every day. Reading
everything again would emit every article again; reading only the new files keeps each article
row written once, and the cross-run dedup index (on by default, `OUT/_dedup_index`) turns copies
of articles that earlier runs wrote into `duplicates` rows.

The processed-files record, `OUT/_runs/_processed/<run_id>.parquet` (`uri`, `stamp`, `run_id`,
`committed_at`, `partitions`): one row per input file a committed run processed. `stamp` is the
object's version as its store reports it: generation (Cloud Storage) or ETag (S3) with size and
modification time (every store). A listed file is processed when its URI is not in the record or
its stamp differs. When more than `FOLD_RECORDS` record files exist the commit folds them into one.

The rule for a file that changed (a corrected story re-uploaded under the same name): **the later
version supersedes the earlier**. Every row the earlier version produced, in `articles`,
`duplicates`, `dead_letter` and the dedup index (rows whose `source_uri` is that file, or a record
`#n` of it), is removed when the new version's rows are committed, so an article id still has one
row, now the corrected one (copies that earlier runs folded into it keep their `duplicates` rows,
and dedup lets the new version, not one of them, stand for the id: `transforms.fold._orphans`).
A corrected story uploaded under a *new* name with the same canonical
URL is a different file: it is a copy of the article already written (its `duplicates` row names
it), as in one run over both files. `partitions` in the record says where a file's rows went, so
superseding reads only those partitions.

Commit protocol (one run; `OUT/_pending/<run_id>/` is hidden from readers by its `_` prefix):
1. The launcher writes the plan, `_pending/<run_id>/_plan.jsonl`: the files to process with their
   stamps and, for changed files, the partitions their earlier rows are in.
2. The pipeline writes every table file and its dedup index entries under `_pending/<run_id>/`
   in the final layout (file names are hashes of their ids, as always).
3. The pipeline's last step commits: it writes the journal `_pending/<run_id>/_COMMIT.json` (the
   files to move, the earlier files holding superseded rows, the processed-files rows and the
   manifest), rewrites each earlier file without its superseded rows (a new file named after the
   ids it keeps is written, then the old one removed), marks that done (`_DROPPED`), moves each
   pending file into place, writes the processed-files record, then the manifest
   `_runs/<run_id>.json`, and removes `_pending/<run_id>/`.
A run killed before step 3 leaves no row in the tables and no processed-files record: the next
run processes its files again. A commit interrupted after the journal is written is finished
(rolled forward from the journal) by the next launch. A `_pending/<run_id>/` without a journal is
left alone (it may be a job still running) and is safe to delete when no job runs.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import logging
import os
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Iterable, Optional

import apache_beam as beam
import fsspec
import pyarrow as pa
import pyarrow.parquet as pq
from apache_beam.metrics import Metrics

from transforms import progress
from transforms.model import TABLES, UTC
from transforms.read import FileRef, expand_input
from transforms.write import file_name, row_keys

LOG = logging.getLogger("newsbeam.incremental")

PENDING_DIR = "_pending"
PROCESSED_DIR = "_runs/_processed"
INDEX_DIR = "_dedup_index"
JOURNAL = "_COMMIT.json"
DROPPED = "_DROPPED"
FOLD_RECORDS = 32  # processed-record files the commit folds into one when there are more
EMPTY_FILE = "part-empty.parquet"
LAYOUT = "_runs/_layout.json"

PROCESSED_SCHEMA = pa.schema([
    pa.field("uri", pa.string()),
    pa.field("stamp", pa.string(), metadata={"description": "generation/ETag|size|mtime when processed"}),
    pa.field("run_id", pa.string()),
    pa.field("committed_at", pa.string()),
    pa.field("partitions", pa.list_(pa.string()), metadata={
        "description": "table/partition folders (and _dedup_index/date=…) its rows went to"}),
])


def stamp(ref: FileRef) -> str:
    """The version of an input file as its store reports it."""
    mtime = "" if ref.mtime is None else f"{ref.mtime:.6f}"
    return f"{ref.version or ''}|{'' if ref.size is None else ref.size}|{mtime}"


def base_uri(source_uri: str) -> str:
    """The input file a row came from: `source_uri` without its `#<record index>`."""
    head, sep, tail = source_uri.rpartition("#")
    return head if sep and tail.isdigit() else source_uri


def _fs(url: str) -> tuple[fsspec.AbstractFileSystem, str]:
    return fsspec.core.url_to_fs(url.rstrip("/"))


def _url(fs: fsspec.AbstractFileSystem, path: str, like: str) -> str:
    return fs.unstrip_protocol(path) if "://" in like else path


def _atomic_write(fs, path: str, data: bytes) -> None:
    temp = f"{path.rsplit('/', 1)[0]}/.{path.rsplit('/', 1)[1]}.{uuid.uuid4().hex}.tmp"
    with fs.open(temp, "wb") as handle:
        handle.write(data)
    fs.mv(temp, path)


def _write_parquet(fs, path: str, table: pa.Table) -> None:
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink, compression="zstd")
    fs.makedirs(path.rsplit("/", 1)[0], exist_ok=True)
    _atomic_write(fs, path, sink.getvalue().to_pybytes())


def _parquet_in(fs, folder: str) -> list[str]:
    """The Parquet files directly in `folder` (none when it does not exist: on an object store a
    folder is only a prefix)."""
    try:
        return sorted(p for p in fs.ls(folder, detail=False) if p.endswith(".parquet"))
    except FileNotFoundError:
        return []


def _data_files(fs, folder: str) -> list[str]:
    """Parquet files under `folder` that readers see (not hidden, not temporary)."""
    if not fs.exists(folder):
        return []
    return sorted(p for p in fs.find(folder) if p.endswith(".parquet")
                  and not any(part.startswith((".", "_")) for part in p[len(folder):].split("/") if part))


# --- the processed-files record -----------------------------------------------------------------

def load_processed(output: str) -> dict[str, dict]:
    """uri -> {"stamp", "run_id", "partitions"} of every file committed runs processed (the latest
    commit of a URI wins)."""
    fs, root = _fs(output)
    folder = f"{root}/{PROCESSED_DIR}"
    rows = []
    for path in _parquet_in(fs, folder):
        with fs.open(path, "rb") as handle:
            rows.extend(pq.read_table(handle).to_pylist())
    rows.sort(key=lambda r: (r["committed_at"], r["run_id"]))
    return {r["uri"]: {"stamp": r["stamp"], "run_id": r["run_id"], "partitions": list(r["partitions"] or [])}
            for r in rows}


def write_processed(output: str, run_id: str, rows: list[dict]) -> str:
    """Add one run's rows to the record (folding the record's files into one when there are many)."""
    fs, root = _fs(output)
    folder = f"{root}/{PROCESSED_DIR}"
    fs.makedirs(folder, exist_ok=True)
    existing = _parquet_in(fs, folder)
    path = f"{folder}/{run_id}.parquet"
    folded = [p for p in existing if p != path] if len(existing) >= FOLD_RECORDS else []
    if folded:  # keep every earlier row (latest per URI) in this run's file, then drop the old files
        earlier = load_processed(output)
        new_uris = {r["uri"] for r in rows}
        rows = [{"uri": uri, **entry, "committed_at": ""} for uri, entry in earlier.items()
                if uri not in new_uris] + rows
    table = pa.Table.from_pylist([{k: r.get(k) for k in PROCESSED_SCHEMA.names} for r in rows],
                                 schema=PROCESSED_SCHEMA)
    _write_parquet(fs, path, table)
    for old in folded:
        fs.rm(old)
    return path


# --- planning (in the launcher) -----------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class Plan:
    """What one run processes and where it puts its output until the commit."""

    output: str
    run_id: str
    index: Optional[str]  # the cross-run dedup index the commit moves this run's entries into
    partition_by: str = "date,topic"  # the articles table's folders (`transforms.write.PARTITIONINGS`)
    files: int = 0
    new: int = 0
    changed: int = 0
    skipped: int = 0

    @property
    def pending(self) -> str:
        return f"{self.output.rstrip('/')}/{PENDING_DIR}/{self.run_id}"

    @property
    def plan_url(self) -> str:
        return f"{self.pending}/_plan.jsonl"

    @property
    def pending_index(self) -> Optional[str]:
        """Where the pipeline writes this run's index entries (the index itself when it lives on
        another filesystem than OUT, as a move cannot cross filesystems)."""
        if not self.index:
            return None
        if _fs(self.index)[0].protocol != _fs(self.output)[0].protocol:
            return self.index
        return f"{self.pending}/{INDEX_DIR}"

    def summary(self) -> dict:
        return {"files_listed": self.files + self.skipped, "files_new": self.new,
                "files_changed": self.changed, "files_skipped": self.skipped}


class LayoutMismatch(ValueError):
    """A run asks for another partitioning than the one OUT was written with."""


def check_layout(output: str, partition_by: str) -> None:
    """OUT keeps the partitioning of its first run (`_runs/_layout.json`): readers cannot mix
    folder depths in one table."""
    fs, root = _fs(output)
    path = f"{root}/{LAYOUT}"
    if fs.exists(path):
        with fs.open(path, "r") as handle:
            found = json.load(handle).get("articles", "date,topic")
        if found != partition_by:
            raise LayoutMismatch(f"{output} is partitioned by {found}: rerun with --partition-by {found}, "
                                 "or write into a new output")
        return
    fs.makedirs(path.rsplit("/", 1)[0], exist_ok=True)
    _atomic_write(fs, path, json.dumps({"articles": partition_by}).encode())


def read_layout(output: str) -> str:
    fs, root = _fs(output)
    try:
        with fs.open(f"{root}/{LAYOUT}", "r") as handle:
            return json.load(handle).get("articles", "date,topic")
    except FileNotFoundError:
        return "date,topic"


def plan_run(output: str, inputs: Iterable[str], run_id: str, index: Optional[str],
             partition_by: str = "date,topic", follow_symlinks: bool = False) -> Plan:
    """List the inputs, finish any interrupted commit, and write the plan of this run: the files
    that are new or changed since committed runs processed them."""
    from pipeline.compact import finish_interrupted

    check_layout(output, partition_by)
    finish_interrupted(output)  # a compaction left half done
    finish_interrupted_commits(output)
    processed = load_processed(output)
    found: dict[str, FileRef] = {}
    for url in inputs:
        for ref in expand_input(url, follow_symlinks):
            found.setdefault(ref.uri, ref)
    lines, new, changed, skipped = [], 0, 0, 0
    for uri, ref in sorted(found.items()):
        earlier = processed.get(uri)
        if earlier is not None and earlier["stamp"] == stamp(ref):
            skipped += 1
            continue
        new, changed = (new, changed + 1) if earlier else (new + 1, changed)
        lines.append(json.dumps({"uri": uri, "size": ref.size, "mtime": ref.mtime,
                                 "path": ref.path, "problem": ref.problem,
                                 "version": ref.version, "stamp": stamp(ref),
                                 "supersedes": earlier["partitions"] if earlier else None}))
    plan = Plan(output, run_id, index, partition_by, len(lines), new, changed, skipped)
    if lines:
        fs, root = _fs(plan.pending)
        fs.makedirs(root, exist_ok=True)
        _atomic_write(fs, f"{root}/_plan.jsonl", ("\n".join(lines) + "\n").encode())
    return plan


def read_plan(plan_url: str) -> list[dict]:
    with fsspec.open(plan_url, "r") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def _planned_refs(plan_url: str) -> list[FileRef]:
    refs = []
    for entry in read_plan(plan_url):
        refs.append(FileRef(entry["uri"], entry["size"], entry["mtime"], entry.get("path"),
                            entry.get("problem"), entry.get("version")))
    return refs


def _count(ref, counter):
    counter.inc()
    progress.add("match", files=1, bytes=ref.size or 0)
    return ref


class PlannedFiles(beam.PTransform):
    """The plan file -> one `FileRef` per file to process, spread across workers (the list is
    read by a worker, so a long one does not go into the job graph)."""

    def __init__(self, plan_url: str):
        super().__init__()
        self.plan_url = plan_url

    def expand(self, pbegin):
        return (
            pbegin
            | "Plan" >> beam.Create([self.plan_url])
            | "Files" >> beam.FlatMap(_planned_refs)
            | "Count" >> beam.Map(_count, Metrics.counter("newsbeam", "files_matched"))
            | "Spread" >> beam.Reshuffle()
        )


# --- the commit (the pipeline's last step) ------------------------------------------------------

def _source_uris(fs, path: str) -> list[str]:
    with fs.open(path, "rb") as handle:
        return pq.read_table(handle, columns=["source_uri"]).column("source_uri").to_pylist()


IO_THREADS = 16  # object-store calls in flight during a commit (each is a round trip)


def _is_local(fs) -> bool:
    protocols = fs.protocol if isinstance(fs.protocol, tuple) else (fs.protocol,)
    return "file" in protocols or "local" in protocols


def _each(fs, function, items: list) -> list:
    """`function(item)` for every item: in threads on an object store, in order on local disk."""
    if _is_local(fs) or len(items) < 2:
        return [function(item) for item in items]
    with ThreadPoolExecutor(IO_THREADS) as pool:
        return list(pool.map(function, items))


def _counted(function, done: str, total: int, what: str):
    """`function`, counting each call into live progress `commit/<done>` with a note "k of total"."""
    lock, calls = threading.Lock(), [0]

    def counted(item):
        result = function(item)
        with lock:
            calls[0] += 1
            progress.add("commit", **{done: 1})
            progress.note("doing", f"commit: {calls[0]:,} of {total:,} {what}")
        return result

    return counted


def _move_all(fs, pairs: list[tuple[str, str]]) -> None:
    """Move files into place (targets are overwritten); sources already moved are skipped."""
    def move(pair):
        source, target = pair
        if not fs.exists(source):  # moved by an interrupted commit already
            return
        fs.makedirs(target.rsplit("/", 1)[0], exist_ok=True)
        fs.mv(source, target)

    _each(fs, _counted(move, "moved", len(pairs), "files moved into place"), pairs)


def _partition_of(rel: str) -> str:
    """`articles/date=…/topic=…/part-x.parquet` -> `articles/date=…/topic=…`."""
    return rel.rsplit("/", 1)[0]


def _superseded_files(fs, root: str, index_root: Optional[str], plan_rows: list[dict]) -> dict[str, list[str]]:
    """Earlier files holding rows of changed input files: path -> the input URIs to drop."""
    targets: dict[str, set[str]] = {}
    for entry in plan_rows:
        for partition in entry.get("supersedes") or ():
            if partition.startswith(INDEX_DIR + "/"):
                if not index_root:
                    continue
                folder = f"{index_root}/{partition[len(INDEX_DIR) + 1:]}"
            else:
                folder = f"{root}/{partition}"
            targets.setdefault(folder, set()).add(entry["uri"])
    drop: dict[str, list[str]] = {}
    for folder, uris in sorted(targets.items()):
        for path in [p for p in _parquet_in(fs, folder) if not p.rsplit("/", 1)[1].startswith((".", "_"))]:
            if uris & {base_uri(u) for u in _source_uris(fs, path) if u}:
                drop[path] = sorted(uris)
    return drop


def _drop_rows(fs, path: str, uris: set[str]) -> int:
    """Rewrite `path` without the rows of `uris`; returns the rows removed."""
    if not fs.exists(path):  # done by an interrupted commit already
        return 0
    with fs.open(path, "rb") as handle:
        table = pq.read_table(handle)
    meta = table.schema.metadata
    keep = [base_uri(u or "") not in uris for u in table.column("source_uri").to_pylist()]
    kept = table.filter(pa.array(keep, pa.bool_()))
    removed = table.num_rows - kept.num_rows
    if removed and kept.num_rows:
        # Named by its rows' keys as the writer names files (an index file: by its entries' sources).
        table_name = (meta or {}).get(b"newsbeam.table", b"").decode()
        keys = row_keys(kept, table_name) if table_name in TABLES else kept.column("source_uri").to_pylist()
        _write_parquet(fs, f"{path.rsplit('/', 1)[0]}/{file_name(keys)}", kept.replace_schema_metadata(meta))
    if removed:
        fs.rm(path)
    return removed


def ensure_table_folders(output: str, partition_by: str = "date,topic") -> None:
    """Every table folder holds at least one Parquet file: a zero-row `part-empty.parquet` (with
    the table's schema, in a `date=1970-01-01` partition) while the table has no rows, removed as
    soon as it has, so `read_parquet('OUT/<table>/**/*.parquet', hive_partitioning=true)` and
    `pandas.read_parquet('OUT/<table>')` read an empty table instead of failing."""
    from transforms.write import file_schema, partition_folder, path_columns

    fs, root = _fs(output)
    for table, model in TABLES.items():
        folder = f"{root}/{table}"
        files = _data_files(fs, folder)
        empty = [p for p in files if p.endswith("/" + EMPTY_FILE)]
        if len(files) > len(empty):
            for path in empty:
                fs.rm(path)
        elif not files:
            partition = partition_folder(table, "1970-01-01", "unknown", partition_by)
            schema = file_schema(model, path_columns(table, partition_by)).with_metadata({b"newsbeam.table": table.encode(),
                                                        b"newsbeam.partition": partition.encode()})
            _write_parquet(fs, f"{folder}/{partition}/{EMPTY_FILE}", schema.empty_table())


def _pending_files(fs, pending: str) -> list[str]:
    """Paths (relative to the pending folder) of the table files and index entries to move."""
    rels = []
    for top in (*TABLES, INDEX_DIR):
        folder = f"{pending}/{top}"
        if fs.exists(folder):
            rels.extend(p[len(pending) + 1:] for p in fs.find(folder) if p.endswith(".parquet")
                        and not p.rsplit("/", 1)[1].startswith((".", "_")))
    return sorted(rels)


def commit(plan: Plan, document: dict) -> dict:
    """Commit one run's pending output (module docstring, step 3); returns the manifest written."""
    fs, pending = _fs(plan.pending)
    _, root = _fs(plan.output)
    index_root = _fs(plan.index)[1] if plan.index else None
    plan_rows = read_plan(plan.plan_url)
    progress.note("doing", "commit: listing the files written")
    rels = _pending_files(fs, pending)
    partitions: dict[str, set[str]] = {entry["uri"]: set() for entry in plan_rows}
    found = _each(fs, _counted(lambda rel: _source_uris(fs, f"{pending}/{rel}"), "read", len(rels),
                               "files read for the processed-files list"), rels)
    for rel, uris in zip(rels, found):
        for uri in {base_uri(u) for u in uris if u}:
            if uri in partitions:
                partitions[uri].add(_partition_of(rel))
    committed_at = dt.datetime.now(UTC).isoformat()
    processed = [{"uri": e["uri"], "stamp": e["stamp"], "run_id": plan.run_id, "committed_at": committed_at,
                  "partitions": sorted(partitions[e["uri"]])} for e in plan_rows]
    drop = _superseded_files(fs, root, index_root, plan_rows)
    files_written = [_url(fs, f"{(index_root if rel.startswith(INDEX_DIR + '/') and index_root else root)}/"
                              f"{rel[len(INDEX_DIR) + 1:] if rel.startswith(INDEX_DIR + '/') else rel}", plan.output)
                     for rel in rels]
    document = {**document, "job_id": os.environ.get("JOB_ID") or document.get("job_id"),  # set on Dataflow workers
                "files_written": [f for f in files_written if "/" + INDEX_DIR not in f
                                              or not plan.index],
                "incremental": {**document.get("incremental", {}), "files_superseded": len(drop)}}
    journal = {"run_id": plan.run_id, "output": plan.output, "index": plan.index, "rels": rels,
               "drop": drop, "processed": processed, "manifest": document,
               "partition_by": plan.partition_by}
    _atomic_write(fs, f"{pending}/{JOURNAL}", json.dumps(journal, default=str).encode())
    return _apply(journal)


def _apply(journal: dict) -> dict:
    """Carry out a written journal; safe to repeat from any point it was interrupted at."""
    output, run_id = journal["output"], journal["run_id"]
    fs, root = _fs(output)
    pending = f"{root}/{PENDING_DIR}/{run_id}"
    index_root = _fs(journal["index"])[1] if journal.get("index") else None
    document = dict(journal["manifest"])
    if not fs.exists(f"{pending}/{DROPPED}"):
        removed = 0
        for path, uris in journal["drop"].items():
            removed += _drop_rows(fs, path, set(uris))
        _atomic_write(fs, f"{pending}/{DROPPED}", str(removed).encode())
    with fs.open(f"{pending}/{DROPPED}", "r") as handle:
        document["incremental"] = {**document.get("incremental", {}), "rows_superseded": int(handle.read() or 0)}
    pairs = []
    for rel in journal["rels"]:
        if rel.startswith(INDEX_DIR + "/") and index_root:
            target = f"{index_root}/{rel[len(INDEX_DIR) + 1:]}"
        else:
            target = f"{root}/{rel}"
        pairs.append((f"{pending}/{rel}", target))
    _move_all(fs, pairs)
    progress.note("doing", "commit: writing the processed-files list and the manifest")
    write_processed(output, run_id, journal["processed"])
    ensure_table_folders(output, journal.get("partition_by") or "date,topic")
    from pipeline.manifest import write_manifest

    write_manifest(output, document)
    progress.note("doing", "commit: removing the pending folder")
    _remove_tree(fs, pending)
    _remove_if_empty(fs, f"{root}/{PENDING_DIR}")
    progress.note("doing", "")
    return document


def _remove_tree(fs, path: str) -> None:
    """`fs.rm(path, recursive=True)`; on local disk folder by folder with a progress note, as a
    run's pending folder keeps one empty folder per partition written (4,800 for the 100k bench
    corpus by date and topic) and removing them takes seconds."""
    if not _is_local(fs):
        fs.rm(path, recursive=True)
        return
    removed = 0
    for folder, _, files in os.walk(path, topdown=False):
        for name in files:
            os.remove(os.path.join(folder, name))
        os.rmdir(folder)
        removed += 1
        if removed % 200 == 0:
            progress.note("doing", f"commit: {removed:,} emptied pending folders removed")


def _remove_if_empty(fs, folder: str) -> None:
    try:
        if fs.exists(folder) and not fs.ls(folder, detail=False):
            fs.rmdir(folder)
    except (FileNotFoundError, OSError):
        pass


def finish_interrupted_commits(output: str) -> list[str]:
    """Roll forward every commit whose journal was written but not carried out; returns their run ids."""
    fs, root = _fs(output)
    folder = f"{root}/{PENDING_DIR}"
    if not fs.exists(folder):
        return []
    finished = []
    for run in sorted(fs.ls(folder, detail=False)):
        journal_path = f"{run.rstrip('/')}/{JOURNAL}"
        if fs.exists(journal_path):
            with fs.open(journal_path, "r") as handle:
                journal = json.load(handle)
            LOG.warning("finishing the interrupted commit of run %s", journal["run_id"])
            _apply(journal)
            finished.append(journal["run_id"])
        else:
            LOG.warning("%s holds the output of a run that has not committed (still running, or killed: "
                        "then safe to delete); its files are processed again by this run", run)
    return finished


def empty_run_manifest(plan: Plan, run_info: dict) -> dict:
    """The manifest of a run that found nothing new to process (no job is started)."""
    from pipeline.manifest import manifest_document, write_manifest

    document = manifest_document({}, {**run_info, "incremental": plan.summary()})
    document["files_written"] = []
    write_manifest(plan.output, document)
    return document

