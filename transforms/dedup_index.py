"""The cross-run dedup index: fingerprints of earlier runs' records, as Parquet partitioned by date.

Cross-run dedup (`index=URL`): the fingerprints of every record a run saw (articles and copies,
with the canonical id each was folded into) are written to a Parquet index partitioned by
`date=`. The next run reads the entries less than `retention_days` older than its newest article
(or the index's newest entry, if later) and lets them take part in both exact and near dedup as
rank-0 keys: a new copy of an earlier article becomes a `duplicates` row pointing at the earlier
canonical id. Entries of records that the run reads again (same source and id) are replaced, so
rerunning a job is idempotent. Runs over consecutive parts of an input give the same articles and
clusters as one run over all of it whenever no later part holds a copy that the rank rule would
prefer to its earlier canonical (true for time-ordered runs of dated articles). Limits: an earlier
run's `duplicate_count` is not revised, and two clusters emitted separately by earlier runs are not
merged when a new article bridges them (it joins the one whose canonical ranks first).

Retention bounds near-duplicate matching, not identity: entries past retention are not deleted
but slimmed (`slim_expired`: their MinHash signature and shingle set, ~1.7 KB of the ~1.8 KB of an
entry, become null in a file renamed `*.slim.parquet`; id, source, canonical id, content hash, rank
and whether the record became a copy stay). A run looks up, among
them, the entries that share an id or a content hash with one of its records (`identity_keys`: a
64-bit hash of each of its ids and content hashes, one array per run, against the same hash of the
expired entries' two columns) and only those join dedup, as prior keys without a fingerprint. So a
record read again under a new file name, however old its article, folds into the article row an
earlier run wrote (an article id has one row, as DESIGN.md promises), and so does an exact copy
of it; a near copy of an article older than the retention is an article of its own.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import uuid
from typing import NamedTuple, Optional

import apache_beam as beam
import fsspec
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from transforms import progress
from transforms.dedup_shuffle import mark, marks_of, newest_of, remove_folder
from transforms.fold import PRIOR_PREFIX, DedupKey
from transforms.minhash import MinHashParams


INDEX_SCHEMA = pa.schema([
    pa.field("id", pa.string()),
    pa.field("source_uri", pa.string()),
    pa.field("cluster_id", pa.string(), metadata={"description": "canonical id it was folded into (own id when canonical)"}),
    pa.field("content_hash", pa.string()),
    pa.field("signature", pa.binary(), metadata={"description": "MinHash, little-endian uint32 per permutation"}),
    pa.field("shingles", pa.int32(), metadata={"description": "distinct shingles of the body"}),
    pa.field("shingle_set", pa.binary(), metadata={
        "description": "the body's shingle set (sorted uint32, little-endian) when it has at most 4,096 shingles"}),
    pa.field("minhash", pa.string(), metadata={"description": "parameters of `signature`: k=..,perm=..,seed=.."}),
    pa.field("rank", pa.string(), metadata={"description": "canonical rank: no-time flag|published|-richness"}),
    pa.field("copy", pa.bool_(), metadata={
        "description": "true: the record became a duplicates row; false: its row is in articles (null in older indexes)"}),
])
_DATE_DIR = re.compile(r"date=(\d{4}-\d{2}-\d{2})$")
# File metadata of an index file whose entries are past retention and hold no fingerprints.
SLIM_KEY, SLIM_VALUE = b"newsbeam.index", b"identity"
SLIM_SUFFIX = ".slim.parquet"
FINGERPRINT_COLUMNS = ("signature", "shingle_set")


def minhash_tag(params: MinHashParams) -> str:
    return f"k={params.shingle_size},perm={params.num_perm},seed={params.seed}"


def index_row(key: DedupKey, table: dict, params: MinHashParams) -> dict:
    """The index entry of one record of this run, with the canonical id it ended up under."""
    decision = table.get(key.record_key)
    cluster_id = decision.canonical_id if decision is not None and decision.canonical_id else key.id
    no_time, published, richness, _ = key.rank
    return {"id": key.id, "source_uri": key.record_key, "cluster_id": cluster_id,
            "content_hash": key.content_hash, "signature": key.signature, "shingles": key.shingles,
            "shingle_set": key.exact,
            "minhash": minhash_tag(params),
            "rank": f"{int(no_time)}|{published}|{richness}",
            "copy": bool(decision is not None and decision.canonical_id), "date": key.date}


def prior_key(row: dict, params: MinHashParams) -> DedupKey:
    """An index entry -> a rank-0 key (its signature and shingle set dropped when made with other
    parameters; indexes written before shingle sets were kept have none)."""
    no_time, published, richness = row["rank"].split("|")
    same = row["minhash"] == minhash_tag(params)
    return DedupKey(PRIOR_PREFIX + row["source_uri"], row["id"], row["content_hash"],
                    (no_time == "1", published, int(richness), row["source_uri"]), (),
                    (row["signature"] or b"") if same else b"", row.get("date", ""), True, row["cluster_id"],
                    int(row.get("shingles") or 0), (row.get("shingle_set") or b"") if same else b"",
                    row["id"] != row["cluster_id"] if row.get("copy") is None else bool(row["copy"]))


def index_partitions(index: str, retention_days: int, newest: str = "") -> tuple[list[str], list[str]]:
    """(folders to keep, folders past retention) of the index, newest first.

    Retention counts back from the newest date in the index or `newest` (this run's newest
    article date), whichever is later.
    """
    fs, root = fsspec.core.url_to_fs(index.rstrip("/"))
    if not fs.exists(root):
        return [], []
    dated = []
    for path in fs.ls(root, detail=False):
        match = _DATE_DIR.search(path.rstrip("/"))
        if match:
            dated.append((match.group(1), path))
    if not dated:
        return [], []
    dated.sort(reverse=True)
    reference = max(dated[0][0], newest if re.fullmatch(r"\d{4}-\d{2}-\d{2}", newest or "") else "")
    cutoff = (dt.date.fromisoformat(reference) - dt.timedelta(days=retention_days)).isoformat()
    keep = [path for date, path in dated if date > cutoff]
    expired = [path for date, path in dated if date <= cutoff]
    return keep, expired


def _index_files(index: str, retention_days: int, newest: str = "", expired: bool = False) -> list[str]:
    """The files of the partitions within retention (`expired`: of those past it). One recursive
    listing of the index, not one per partition: past retention there are years of partitions."""
    fs, root = fsspec.core.url_to_fs(index.rstrip("/"))
    folders = {p.rstrip("/") for p in index_partitions(index, retention_days, newest)[1 if expired else 0]}
    if not folders:
        return []
    files = sorted(p for p in fs.find(root) if p.endswith(".parquet") and p.rsplit("/", 1)[0] in folders
                   and not p.rsplit("/", 1)[-1].startswith("."))
    return [fs.unstrip_protocol(f) for f in files]


class IndexFile(NamedTuple):
    """One index file, read into prior keys by the step that takes keys (`keys_of`): what crosses
    the runner instead of its entries' signatures and shingle sets."""

    url: str
    params: MinHashParams

    def read(self) -> list[DedupKey]:
        return read_index_file(self.url, self.params)


def read_index_file(url: str, params: MinHashParams) -> list[DedupKey]:
    with fsspec.open(url, "rb") as handle:
        table = pq.read_table(handle)
    date = _DATE_DIR.search(url.rsplit("/", 2)[-2])
    rows = table.to_pylist()
    for row in rows:
        row["date"] = date.group(1) if date else ""
    return [prior_key(row, params) for row in rows]


def write_index_partition(index: str, date: str, rows: list[dict], cutoff: str = "") -> str:
    """Write one date's entries as one file named after their sources (a rerun overwrites it); a
    date on or before `cutoff` (past retention already) is written slim at once (`_slim`)."""
    rows = sorted(rows, key=lambda r: r["source_uri"])
    digest = hashlib.blake2b("\n".join(r["source_uri"] for r in rows).encode(), digest_size=10).hexdigest()
    fs, root = fsspec.core.url_to_fs(index.rstrip("/"))
    safe_date = date if re.fullmatch(r"\d{4}-\d{2}-\d{2}", date or "") else "1970-01-01"
    folder = f"{root}/date={safe_date}"
    fs.makedirs(folder, exist_ok=True)
    table = pa.Table.from_pylist([{k: r[k] for k in INDEX_SCHEMA.names} for r in rows], schema=INDEX_SCHEMA)
    slim = bool(cutoff) and safe_date <= cutoff
    final = f"{folder}/part-{digest}{SLIM_SUFFIX if slim else '.parquet'}"
    _write_atomic(fs, final, _slim(table) if slim else table)
    progress.add("dedup", index_files=1)
    return final


def _slim(table: pa.Table) -> pa.Table:
    """Entries without their fingerprints (signature and shingle set null), marked as such."""
    for name in FINGERPRINT_COLUMNS:
        if name in table.column_names:
            at = table.column_names.index(name)
            table = table.set_column(at, table.schema.field(name), pa.nulls(table.num_rows, pa.binary()))
    return table.replace_schema_metadata({**(table.schema.metadata or {}), SLIM_KEY: SLIM_VALUE})


def _write_atomic(fs, path: str, table: pa.Table) -> None:
    folder, name = path.rsplit("/", 1)
    temp = f"{folder}/.{name}.{uuid.uuid4().hex}.tmp"
    try:
        with fs.open(temp, "wb") as handle:
            pq.write_table(table, handle, compression="zstd")
        fs.mv(temp, path)
    finally:
        if fs.exists(temp):
            fs.rm(temp)


def expiry_cutoff(index: str, retention_days: int, newest: str = "") -> str:
    """The last date past retention (`index_partitions`' rule: counted back from the index's
    newest date or `newest`, whichever is later); "" when there is no date to count from."""
    fs, root = fsspec.core.url_to_fs(index.rstrip("/"))
    dates = [m.group(1) for m in (_DATE_DIR.search(p.rstrip("/")) for p in
                                  (fs.ls(root, detail=False) if fs.exists(root) else ())) if m]
    valid = newest if re.fullmatch(r"\d{4}-\d{2}-\d{2}", newest or "") else ""
    reference = max([*dates, valid], default="")
    if not reference:
        return ""
    return (dt.date.fromisoformat(reference) - dt.timedelta(days=retention_days)).isoformat()


def slim_expired(index: str, retention_days: int) -> int:
    """Slim the files of the `date=` partitions past retention (module docstring): each becomes
    `<name>.slim.parquet` with null signatures and shingle sets, once (a slim file is known by its
    name, so a run reads no footer of the years already slimmed); returns how many."""
    fs, _ = fsspec.core.url_to_fs(index.rstrip("/"))
    slimmed = 0
    for url in _index_files(index, retention_days, expired=True):
        path = fs._strip_protocol(url)
        if path.endswith(SLIM_SUFFIX):
            continue
        with fs.open(path, "rb") as handle:
            table = pq.read_table(handle)
        # same rows, same name: a rerun overwrites it
        _write_atomic(fs, f"{path[:-len('.parquet')]}{SLIM_SUFFIX}", _slim(table))
        fs.rm(path)
        slimmed += 1
    return slimmed


def identity_keys(url: str, params: MinHashParams, marks: np.ndarray) -> list[DedupKey]:
    """The entries of an index file past retention that share an id or a content hash with this
    run's records (`marks`, sorted), as prior keys without a fingerprint: they fold exact copies
    and records of the same id, never near copies. Reads the file's two identity columns, and the
    rest only for the entries found (usually none)."""
    if not len(marks):
        return []
    with fsspec.open(url, "rb") as handle:
        file = pq.ParquetFile(handle)
        identity = file.read(columns=["id", "content_hash"])
        found = np.zeros(identity.num_rows, dtype=bool)
        for name in ("id", "content_hash"):
            hashed = np.fromiter((mark(text) if text else 0 for text in identity.column(name).to_pylist()),
                                 dtype=np.uint64, count=identity.num_rows)
            at = np.minimum(np.searchsorted(marks, hashed), len(marks) - 1)  # marks are sorted
            found |= marks[at] == hashed
        if not found.any():
            return []
        columns = [name for name in file.schema_arrow.names if name not in FINGERPRINT_COLUMNS]
        rows = file.read(columns=columns).filter(pa.array(found)).to_pylist()
    date = _DATE_DIR.search(url.rsplit("/", 2)[-2])
    keys = []
    for row in rows:
        row.update(date=date.group(1) if date else "", signature=b"", shingle_set=b"")
        keys.append(prior_key(row, params)._replace(signature=b"", exact=b""))
    progress.add("dedup", expired_found=len(keys))
    return keys


def _union(arrays) -> np.ndarray:
    """Marks of many elements -> one sorted array (an associative combine: partial results too)."""
    arrays = [a for a in arrays if len(a)]
    return np.unique(np.concatenate(arrays)) if arrays else np.empty(0, dtype=np.uint64)


def _may_exist(index: str) -> bool:
    """Whether the index may hold entries when the graph is built (True when it cannot be told,
    e.g. a Dataflow graph built offline)."""
    try:
        fs, root = fsspec.core.url_to_fs(index.rstrip("/"))
        return bool(fs.exists(root))
    except Exception:  # no credentials or no network where the graph is built
        return True


class ReadDedupIndex(beam.PTransform):
    """This run's keys (or `KeyPack`s) -> an `IndexFile` per file of the index entries within
    retention of its newest date (the step that takes the keys reads them as prior `DedupKey`s),
    and the prior keys of the entries past retention that share an id or a content hash with one
    of this run's records."""

    def __init__(self, index: str, retention_days: int, params: MinHashParams):
        super().__init__()
        self.index, self.retention_days, self.params = index, retention_days, params
        self.newest = None

    def expand(self, keys):
        retention, params = self.retention_days, self.params
        newest = (keys | "Dates" >> beam.Map(newest_of)
                  | "Newest" >> beam.CombineGlobally(lambda dates: max(dates, default="")))
        self.newest = newest  # the run's newest article date (`WriteDedupIndex` slims by it)
        root = keys.pipeline | "IndexRoot" >> beam.Create([self.index])
        recent = (
            root
            | "IndexFiles" >> beam.FlatMap(_index_files, retention, beam.pvalue.AsSingleton(newest))
            | "Spread" >> beam.Reshuffle()
            | "ReadIndex" >> beam.Map(IndexFile, params)
        )
        if not _may_exist(self.index):  # a first run: nothing to look up (and five steps fewer)
            return recent
        marks = keys | "Marks" >> beam.Map(marks_of) | "AllMarks" >> beam.CombineGlobally(_union)
        expired = (
            root
            | "ExpiredFiles" >> beam.FlatMap(_index_files, retention, beam.pvalue.AsSingleton(newest), True)
            | "SpreadExpired" >> beam.Reshuffle()
            | "LookUpExpired" >> beam.FlatMap(identity_keys, params, beam.pvalue.AsSingleton(marks))
        )
        return (recent, expired) | "AllPrior" >> beam.Flatten()


PACK_ROWS = 2000  # index rows of one date packed into one shuffled element


def pack_index_rows(rows: list[dict]) -> bytes:
    """Index rows -> one Arrow IPC stream (what crosses the shuffle instead of one dict per row)."""
    table = pa.Table.from_pylist([{k: r[k] for k in INDEX_SCHEMA.names} for r in rows], schema=INDEX_SCHEMA)
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, INDEX_SCHEMA) as writer:
        writer.write_table(table)
    return sink.getvalue().to_pybytes()


def unpack_index_rows(packs) -> list[dict]:
    """Packs (IPC bytes, or the URL of a staged pack) -> their index rows."""
    rows: list[dict] = []
    for pack in packs:
        if isinstance(pack, str):
            with fsspec.open(pack, "rb") as handle:
                pack = handle.read()
        rows.extend(pa.ipc.open_stream(pack).read_all().to_pylist())
    return rows


class _PackByDate(beam.DoFn):
    """Index rows -> (date, packed rows) per bundle and date: the local runner groups a shuffle's
    elements itself, one by one (100,000 rows of up to 16 KB took it ~3 s), a few hundred packs
    it groups at once. With `staging` (a folder URL) each pack is written to a file there and only
    its URL crosses the shuffle: 100k articles' rows are ~180 MB, which the local runner took 2 s
    to hand to the workers, with no worker able to count anything meanwhile. Each pack counts
    into the live progress (`dedup/index_packed`, its rows) as it is made."""

    def __init__(self, staging: Optional[str] = None):
        self.staging = staging

    def setup(self):
        if self.staging:
            self._fs, self._root = fsspec.core.url_to_fs(self.staging)
            self._fs.makedirs(self._root, exist_ok=True)

    def start_bundle(self):
        self._pending: dict = {}

    def _pack(self, rows: list[dict]):
        pack = pack_index_rows(rows)
        if self.staging:
            path = f"{self._root}/{uuid.uuid4().hex}.arrows"
            with self._fs.open(path, "wb") as handle:
                handle.write(pack)
            pack = self._fs.unstrip_protocol(path)
        progress.add("dedup", index_packed=len(rows))
        return pack

    def process(self, row: dict, window=beam.DoFn.WindowParam):
        key = (window, row["date"])
        rows = self._pending.setdefault(key, [])
        rows.append(row)
        if len(rows) >= PACK_ROWS:
            del self._pending[key]
            yield row["date"], self._pack(rows)

    def finish_bundle(self):
        from apache_beam.utils.windowed_value import WindowedValue

        pending, self._pending = self._pending, {}
        for (window, date), rows in pending.items():
            yield WindowedValue((date, self._pack(rows)), window.max_timestamp(), [window])


class WriteDedupIndex(beam.PTransform):
    """Index rows -> one Parquet file per `date=` partition, then the partitions past retention
    slimmed; outputs the number of files written, once all are written and slimmed (what a run's commit
    must wait for). With `staging` (a folder URL) the rows go through files in a fresh folder
    under it (`_PackByDate`), removed once every partition is written. `settled`: the index this
    run's entries are moved into later (an incremental run writes them under its pending folder
    first), whose partitions past retention are slimmed too. `newest`: the run's newest article
    date (a singleton PCollection): entries already past retention by it are written slim at once
    instead of slimmed after (the first run over two years of articles wrote and rewrote a year of
    partitions: 1.5-2 s of a 30 s run of 20,000 articles)."""

    def __init__(self, index: str, retention_days: int, staging: Optional[str] = None,
                 settled: Optional[str] = None, newest=None):
        super().__init__()
        self.index, self.retention_days, self.settled, self.newest = index, retention_days, settled, newest
        self.staging = f"{staging.rstrip('/')}/index-{uuid.uuid4().hex}" if staging else None

    def expand(self, rows):
        index, retention, staging, settled = self.index, self.retention_days, self.staging, self.settled

        cutoff = () if self.newest is None else (beam.pvalue.AsSingleton(
            self.newest | "Cutoff" >> beam.Map(lambda newest: expiry_cutoff(index, retention, newest))),)

        def done(written: int) -> int:
            if staging:
                remove_folder(staging)
            for folder in dict.fromkeys(filter(None, (index, settled))):
                slim_expired(folder, retention)
            return written

        return (
            rows
            | "ByDate" >> beam.ParDo(_PackByDate(staging))
            | "GroupDates" >> beam.GroupByKey()
            | "WriteIndex" >> beam.MapTuple(lambda date, packs, cutoff="": write_index_partition(
                index, date, unpack_index_rows(packs), cutoff), *cutoff)
            | "Written" >> beam.combiners.Count.Globally()
            | "SlimExpired" >> beam.Map(done)
        )
