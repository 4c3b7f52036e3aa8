"""Dedup: fold copies of an article into one canonical article, within a run and across runs.

What counts as a copy:
- exact: two records with the same `id` (the same canonical URL, or the same source file read
  twice), or the same `content_hash` (the same body once case, punctuation, whitespace and site
  furniture are ignored);
- near: among the survivors of exact dedup, two bodies whose word-shingle sets have an
  estimated Jaccard similarity >= `threshold`, or whose shorter body is contained in the longer
  at >= `containment` (a copy with its last paragraphs trimmed), estimated from MinHash
  signatures (`transforms/minhash.py`); and every article connected to them by such pairs (a
  cluster is a connected component).

Which copy is canonical is decided by `canonical_rank`, an order-independent rule, so the answer
does not depend on runner, bundling or worker count:
  0. an article already emitted by an earlier run (from `--dedup-index`) before any new one;
  1. the earliest `published_at` (articles with a time before those without);
  2. then the richest metadata (title, URL, authors present);
  3. then the smallest `source_uri` (byte order).

A copy's `duplicates` row names the cluster's canonical article; its `method` and `similarity`
describe the copy's relation to that canonical: `exact` / 1.0 for an exact copy of it, `near` and
the estimated Jaccard of the two bodies otherwise (an exact copy of a near copy is `near`, with
the near copy's similarity). `duplicate_count` counts every copy folded into an article in this
run.

How it scales: only small keys cross the shuffles (`DedupKey`: ids, hashes, the rank, a 512-byte
signature and the ids of folded copies); bodies stay where they are and the decisions are applied
to them from a side input that holds one entry per copy and per canonical article with copies.
Near dedup shuffles one (band key, record key) pair per band per article, verifies candidate
edges (a star per LSH bucket, not all pairs) against both signatures through two joins, and
finds connected components by gathering the verified edge list (two short strings per edge) on
one worker: fine for millions of edges, the one step whose memory grows with the number of
near-duplicate pairs rather than being spread over workers.

Cross-run dedup (`index=URL`): the fingerprints of every record a run saw (articles and copies,
with the canonical id each was folded into) are written to a Parquet index partitioned by
`date=`. The next run reads the entries less than `retention_days` older than its newest article
(or the index's newest entry, if later), deletes older partitions, and lets the entries take part
in both exact and near dedup as rank-0 keys: a new copy of an earlier article becomes a
`duplicates` row pointing at the earlier canonical id. Entries of records that the run reads again
(same source and id) are replaced, so rerunning a job is idempotent. Runs over consecutive parts
of an input give the same articles and clusters as one run over all of it whenever no later part
holds a copy that the rank rule would prefer to its earlier canonical (true for time-ordered runs
of dated articles). Limits: an earlier run's `duplicate_count` is not revised, and two clusters
emitted separately by earlier runs are not merged when a new article bridges them (it joins the
one whose canonical ranks first).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import re
import uuid
from typing import Iterable, NamedTuple, Optional

import apache_beam as beam
import fsspec
import pyarrow as pa
import pyarrow.parquet as pq
from apache_beam import pvalue
from apache_beam.metrics import Metrics

from transforms.minhash import (
    MinHasher,
    MinHashParams,
    bucket_edges,
    connected_components,
    estimate_jaccard,
    is_near_duplicate,
)
from transforms.model import Article, Duplicate


@dataclasses.dataclass(frozen=True)
class DedupOptions:
    """Dedup settings; the near-duplicate defaults are `MinHashParams`' (measured on the syndication
    benchmark, `make eval`)."""

    shingle_size: int = MinHashParams.shingle_size
    bands: int = MinHashParams.bands
    rows: int = MinHashParams.rows
    threshold: float = MinHashParams.threshold
    containment: float = MinHashParams.containment
    index: Optional[str] = None  # fsspec URL of the cross-run dedup index; None: this run only
    retention_days: int = 365

    def __post_init__(self):
        self.minhash()  # validates shingle size, bands x rows and threshold with a clear message
        if self.retention_days < 1:
            raise ValueError(f"dedup index retention must be at least 1 day, got {self.retention_days}")

    def minhash(self) -> MinHashParams:
        return MinHashParams(shingle_size=self.shingle_size, bands=self.bands, rows=self.rows,
                             threshold=self.threshold, containment=self.containment)


class Member(NamedTuple):
    record_key: str  # the copy's source_uri: unique per input record
    id: str
    method: str  # "exact" or "near"
    similarity: float
    date: str = ""  # the copy's `date` (where its row is written)


class DedupKey(NamedTuple):
    record_key: str
    id: str
    content_hash: str
    rank: tuple
    members: tuple  # Members folded into this article so far
    signature: bytes = b""  # MinHash of the body's shingles; empty: takes no part in near dedup
    date: str = ""
    prior: bool = False  # read from the dedup index: emitted by an earlier run
    cluster_id: str = ""  # for prior keys: the canonical id that earlier run folded it into
    shingles: int = 0  # distinct shingles of the body (for the containment rule)

    @property
    def order(self) -> tuple:
        """Sort key of the canonical rule: earlier runs first, then `rank`."""
        return (not self.prior, self.rank)

    @property
    def canonical_id(self) -> str:
        return self.cluster_id or self.id


def canonical_rank(article: Article) -> tuple:
    """Smaller is more canonical; see the module docstring for the rule."""
    published = article.published_at.isoformat() if article.published_at else ""
    richness = (article.title is not None) + (article.url is not None) + bool(article.authors)
    return (article.published_at is None, published, -richness, article.source_uri)


def dedup_key(article: Article, hasher: Optional[MinHasher] = None) -> DedupKey:
    signature, shingles = hasher.fingerprint(article.body) if hasher is not None else (b"", 0)
    return DedupKey(article.source_uri, article.id, article.content_hash, canonical_rank(article), (),
                    signature, article.date, shingles=shingles)


PRIOR_PREFIX = "index:"  # record keys of index entries, so they never collide with this run's


def _without_reprocessed(keys: list[DedupKey]) -> list[DedupKey]:
    """Index entries of records this run reads again are replaced by the new reading."""
    fresh = {k.record_key for k in keys if not k.prior}
    return [k for k in keys if not (k.prior and k.record_key[len(PRIOR_PREFIX):] in fresh)]


def fold_group(keys: Iterable[DedupKey], method: str = "exact", similarity: float = 1.0) -> DedupKey:
    """A group of exact copies -> its canonical key, carrying every other copy (and theirs) as members."""
    ordered = sorted(_without_reprocessed(list(keys)), key=lambda k: k.order)
    canonical, others = ordered[0], ordered[1:]
    members = list(canonical.members)
    for other in others:
        if not other.prior:  # an earlier run's record is not emitted again
            members.append(Member(other.record_key, other.id, method, similarity, other.date))
        members.extend(other.members)
    return canonical._replace(members=tuple(members))


def fold_near(keys: Iterable[DedupKey]) -> DedupKey:
    """A near-duplicate cluster -> its canonical key; each copy carries its similarity to it."""
    ordered = sorted(keys, key=lambda k: k.order)
    canonical, others = ordered[0], ordered[1:]
    members = list(canonical.members)
    for other in others:
        similarity = round(estimate_jaccard(other.signature, canonical.signature), 4)
        if not other.prior:
            members.append(Member(other.record_key, other.id, "near", similarity, other.date))
        members.extend(m._replace(method="near", similarity=similarity) for m in other.members)
    return canonical._replace(members=tuple(members))


class Decision(NamedTuple):
    canonical_id: Optional[str]  # set for a copy: the article it folds into
    method: Optional[str]
    similarity: Optional[float]
    duplicate_count: int  # set for a canonical article: copies folded into it
    date: str = ""  # `date` of the record it is about, so a writer can route it with the record


def decisions(key: DedupKey) -> Iterable[tuple[str, Decision]]:
    """The side-input entries of one surviving key: one for it, one per copy it absorbed."""
    if not key.members:
        return
    if not key.prior:
        yield key.record_key, Decision(None, None, None, len(key.members), key.date)
    for member in key.members:
        yield member.record_key, Decision(key.canonical_id, member.method, member.similarity, 0, member.date)


def apply_decision(article: Article, decision: Optional[Decision]) -> tuple[str, object]:
    """('article', Article) for a canonical or lone article, ('duplicate', Duplicate) for a copy."""
    if decision is None:
        return "article", article.model_copy(update={"cluster_id": article.id, "duplicate_count": 0})
    if decision.canonical_id is None:
        return "article", article.model_copy(
            update={"cluster_id": article.id, "duplicate_count": decision.duplicate_count}
        )
    return "duplicate", Duplicate(
        id=article.id,
        canonical_id=decision.canonical_id,
        method=decision.method,
        similarity=decision.similarity,
        source_uri=article.source_uri,
        url=article.url,
        title=article.title,
        published_at=article.published_at,
        ingested_at=article.ingested_at,
        date=article.date,
    )


class _FoldFn(beam.DoFn):
    def setup(self):
        self.copies = Metrics.counter("newsbeam", "duplicates")
        self.near = Metrics.counter("newsbeam", "near_duplicates")

    def process(self, article: Article, table: dict):
        kind, row = apply_decision(article, table.get(article.source_uri))
        if kind == "duplicate":
            self.copies.inc()
            if row.method == "near":
                self.near.inc()
            yield pvalue.TaggedOutput("duplicates", row)
        else:
            yield row


class _FoldBy(beam.PTransform):
    """Group keys by one attribute and fold each group into its canonical key."""

    def __init__(self, attribute: str):
        super().__init__()
        self.attribute = attribute

    def expand(self, keys):
        attribute = self.attribute
        return (
            keys
            | "KeyBy" >> beam.Map(lambda k: (getattr(k, attribute), k))
            | "Group" >> beam.GroupByKey()
            | "Fold" >> beam.MapTuple(lambda _, group: fold_group(group))
        )


# --- near dedup ---------------------------------------------------------------------------------

def _band_entries(key: DedupKey, hasher: MinHasher):
    if key.signature:
        for band_key in hasher.band_keys(key.signature):
            yield band_key, key.record_key


_CANDIDATE_EDGES = Metrics.counter("newsbeam", "near_candidate_edges")
_VERIFIED_EDGES = Metrics.counter("newsbeam", "near_verified_edges")


def _edges_from(joined):
    """Join 1: a candidate edge's first end with its signature -> (second end, (first, signature))."""
    record_key, grouped = joined
    keys, others = list(grouped["key"]), set(grouped["edge"])
    if keys and others:
        for other in sorted(others):
            _CANDIDATE_EDGES.inc()
            yield other, (record_key, keys[0].signature, keys[0].shingles)


def _verified(joined, params: MinHashParams):
    """Join 2: both ends' signatures -> the edge when they pass `is_near_duplicate`."""
    record_key, grouped = joined
    keys = list(grouped["key"])
    if not keys:
        return
    for other, signature, shingles in grouped["edge"]:
        similarity = estimate_jaccard(signature, keys[0].signature)
        if is_near_duplicate(similarity, shingles, keys[0].shingles, params):
            _VERIFIED_EDGES.inc()
            yield other, record_key


def _components(_, edges):
    for node, root in sorted(connected_components(edges).items()):
        yield node, root


def _route(joined):
    """Join 3: a key and its component root -> ('cluster', (root, key)) or the lone key."""
    _, grouped = joined
    keys, roots = list(grouped["key"]), list(grouped["root"])
    for key in keys:
        if roots:
            yield pvalue.TaggedOutput("clustered", (roots[0], key))
        else:
            yield key


class NearDedup(beam.PTransform):
    """Survivor `DedupKey`s -> the same keys with near-duplicate clusters folded into their canonical.

    Steps: band keys (LSH) -> candidate edges (a star per bucket) -> edges verified on both
    signatures -> connected components (edge list gathered on one worker) -> each cluster folded
    by the canonical rule. Keys that no verified edge touches pass through unchanged.
    """

    def __init__(self, params: MinHashParams = MinHashParams()):
        super().__init__()
        self.params = params

    def expand(self, keys):
        hasher = MinHasher(self.params)
        by_record = keys | "ByRecord" >> beam.Map(lambda k: (k.record_key, k))
        edges = (
            keys
            | "BandKeys" >> beam.FlatMap(_band_entries, hasher)
            | "Buckets" >> beam.GroupByKey()
            | "StarEdges" >> beam.FlatMapTuple(lambda _, members: bucket_edges(members))
        )
        half = ({"key": by_record, "edge": edges} | "JoinFirstEnd" >> beam.CoGroupByKey()
                | "CarrySignature" >> beam.FlatMap(_edges_from))
        verified = ({"key": by_record, "edge": half} | "JoinSecondEnd" >> beam.CoGroupByKey()
                    | "Verify" >> beam.FlatMap(_verified, self.params))
        roots = (
            verified
            | "OneEdgeList" >> beam.Map(lambda edge: (None, edge))
            | "GatherEdges" >> beam.GroupByKey()
            | "Components" >> beam.FlatMapTuple(_components)
        )
        routed = ({"key": by_record, "root": roots} | "JoinRoot" >> beam.CoGroupByKey()
                  | "Route" >> beam.FlatMap(_route).with_outputs("clustered", main="lone"))
        clusters = (
            routed.clustered
            | "Clusters" >> beam.GroupByKey()
            | "FoldCluster" >> beam.MapTuple(lambda _, members: fold_near(members))
        )
        return (routed.lone, clusters) | "Survivors" >> beam.Flatten()


# --- the cross-run index ------------------------------------------------------------------------

INDEX_SCHEMA = pa.schema([
    pa.field("id", pa.string()),
    pa.field("source_uri", pa.string()),
    pa.field("cluster_id", pa.string(), metadata={"description": "canonical id it was folded into (own id when canonical)"}),
    pa.field("content_hash", pa.string()),
    pa.field("signature", pa.binary(), metadata={"description": "MinHash, little-endian uint32 per permutation"}),
    pa.field("shingles", pa.int32(), metadata={"description": "distinct shingles of the body"}),
    pa.field("minhash", pa.string(), metadata={"description": "parameters of `signature`: k=..,perm=..,seed=.."}),
    pa.field("rank", pa.string(), metadata={"description": "canonical rank: no-time flag|published|-richness"}),
])
_DATE_DIR = re.compile(r"date=(\d{4}-\d{2}-\d{2})$")


def minhash_tag(params: MinHashParams) -> str:
    return f"k={params.shingle_size},perm={params.num_perm},seed={params.seed}"


def index_row(key: DedupKey, table: dict, params: MinHashParams) -> dict:
    """The index entry of one record of this run, with the canonical id it ended up under."""
    decision = table.get(key.record_key)
    cluster_id = decision.canonical_id if decision is not None and decision.canonical_id else key.id
    no_time, published, richness, _ = key.rank
    return {"id": key.id, "source_uri": key.record_key, "cluster_id": cluster_id,
            "content_hash": key.content_hash, "signature": key.signature, "shingles": key.shingles,
            "minhash": minhash_tag(params),
            "rank": f"{int(no_time)}|{published}|{richness}", "date": key.date}


def prior_key(row: dict, params: MinHashParams) -> DedupKey:
    """An index entry -> a rank-0 key (its signature dropped when made with other parameters)."""
    no_time, published, richness = row["rank"].split("|")
    signature = row["signature"] if row["minhash"] == minhash_tag(params) else b""
    return DedupKey(PRIOR_PREFIX + row["source_uri"], row["id"], row["content_hash"],
                    (no_time == "1", published, int(richness), row["source_uri"]), (), signature,
                    row.get("date", ""), True, row["cluster_id"], int(row.get("shingles") or 0))


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


def _index_files(index: str, retention_days: int, newest: str = "") -> list[str]:
    fs, _ = fsspec.core.url_to_fs(index.rstrip("/"))
    files = []
    for folder in index_partitions(index, retention_days, newest)[0]:
        files.extend(sorted(p for p in fs.ls(folder, detail=False)
                            if p.endswith(".parquet") and not p.rsplit("/", 1)[-1].startswith(".")))
    return [fs.unstrip_protocol(f) for f in files]


def read_index_file(url: str, params: MinHashParams) -> list[DedupKey]:
    with fsspec.open(url, "rb") as handle:
        table = pq.read_table(handle)
    date = _DATE_DIR.search(url.rsplit("/", 2)[-2])
    rows = table.to_pylist()
    for row in rows:
        row["date"] = date.group(1) if date else ""
    return [prior_key(row, params) for row in rows]


def write_index_partition(index: str, date: str, rows: list[dict]) -> str:
    """Write one date's entries as one file named after their ids (a rerun overwrites it)."""
    rows = sorted(rows, key=lambda r: r["source_uri"])
    digest = hashlib.blake2b("\n".join(r["source_uri"] for r in rows).encode(), digest_size=10).hexdigest()
    fs, root = fsspec.core.url_to_fs(index.rstrip("/"))
    safe_date = date if re.fullmatch(r"\d{4}-\d{2}-\d{2}", date or "") else "1970-01-01"
    folder = f"{root}/date={safe_date}"
    fs.makedirs(folder, exist_ok=True)
    final = f"{folder}/part-{digest}.parquet"
    temp = f"{folder}/.part-{digest}.{uuid.uuid4().hex}.tmp"
    table = pa.Table.from_pylist([{k: r[k] for k in INDEX_SCHEMA.names} for r in rows], schema=INDEX_SCHEMA)
    try:
        with fs.open(temp, "wb") as handle:
            pq.write_table(table, handle, compression="zstd")
        fs.mv(temp, final)
    finally:
        if fs.exists(temp):
            fs.rm(temp)
    return final


def prune_index(index: str, retention_days: int) -> int:
    """Delete the `date=` folders past retention; returns how many."""
    fs, _ = fsspec.core.url_to_fs(index.rstrip("/"))
    expired = index_partitions(index, retention_days)[1]
    for folder in expired:
        fs.rm(folder, recursive=True)
    return len(expired)


class ReadDedupIndex(beam.PTransform):
    """This run's keys -> prior `DedupKey`s of the index entries within retention of its newest date."""

    def __init__(self, index: str, retention_days: int, params: MinHashParams):
        super().__init__()
        self.index, self.retention_days, self.params = index, retention_days, params

    def expand(self, keys):
        retention, params = self.retention_days, self.params
        newest = (keys | "Dates" >> beam.Map(lambda k: k.date)
                  | "Newest" >> beam.CombineGlobally(lambda dates: max(dates, default="")))
        return (
            keys.pipeline
            | "IndexRoot" >> beam.Create([self.index])
            | "IndexFiles" >> beam.FlatMap(_index_files, retention, beam.pvalue.AsSingleton(newest))
            | "Spread" >> beam.Reshuffle()
            | "ReadIndex" >> beam.FlatMap(read_index_file, params)
        )


class WriteDedupIndex(beam.PTransform):
    """Index rows -> one Parquet file per `date=` partition, then expired partitions removed."""

    def __init__(self, index: str, retention_days: int):
        super().__init__()
        self.index, self.retention_days = index, retention_days

    def expand(self, rows):
        index, retention = self.index, self.retention_days
        return (
            rows
            | "ByDate" >> beam.Map(lambda r: (r["date"], r))
            | "GroupDates" >> beam.GroupByKey()
            | "WriteIndex" >> beam.MapTuple(lambda date, group: write_index_partition(index, date, list(group)))
            | "Written" >> beam.combiners.Count.Globally()
            | "Prune" >> beam.Map(lambda _: prune_index(index, retention))
        )


# --- the composite ------------------------------------------------------------------------------

class DedupDecisions(beam.PTransform):
    """`DedupKey`s of this run -> `(record_key, Decision)`: one entry per copy and per canonical
    article with copies (records without an entry are lone articles).

    Exact copies (same id or content hash) and then near copies (MinHash/LSH clusters) are folded
    into their canonical (module docstring). With `options.index`, keys of earlier runs take part
    and this run's fingerprints are added to the index. Only keys cross its shuffles: callers keep
    the bodies and apply the decisions where the bodies are (`Dedup` does it with a side input,
    the batch graph in its writer).
    """

    def __init__(self, options: DedupOptions = DedupOptions(), near: bool = True):
        super().__init__()
        if not isinstance(options, DedupOptions):
            raise TypeError(f"DedupDecisions expects DedupOptions, got {type(options).__name__}")
        self.options, self.near = options, near

    def expand(self, keys):
        params = self.options.minhash()
        everything = keys
        if self.options.index:
            prior = keys | "Prior" >> ReadDedupIndex(self.options.index, self.options.retention_days, params)
            everything = (keys, prior) | "WithPrior" >> beam.Flatten()
        survivors = everything | "SameId" >> _FoldBy("id") | "SameContent" >> _FoldBy("content_hash")
        if self.near:
            survivors = survivors | "Near" >> NearDedup(params)
        table = survivors | "Decisions" >> beam.FlatMap(decisions)
        if self.options.index:
            (keys
             | "IndexRows" >> beam.Map(index_row, beam.pvalue.AsDict(table), params)
             | "UpdateIndex" >> WriteDedupIndex(self.options.index, self.options.retention_days))
        return table


class Dedup(beam.PTransform):
    """Articles -> {'articles': canonical and lone articles, 'duplicates': Duplicate rows}.

    Exact copies (same id or content hash) and then near copies (MinHash/LSH clusters) are
    folded into their canonical article (module docstring); every input article comes out exactly
    once, either as an article or as a duplicate row. With `options.index`, copies of articles
    seen by earlier runs are folded too, and this run's fingerprints are added to the index.
    Cost: per article one 128-permutation signature (~0.3 ms), `bands` small shuffle entries and
    a ~700-byte key through two exact and four near shuffles.
    """

    def __init__(self, options: DedupOptions = DedupOptions(), near: bool = True):
        super().__init__()
        if not isinstance(options, DedupOptions):
            raise TypeError(f"Dedup expects DedupOptions, got {type(options).__name__}")
        self.options = options
        self.near = near

    def expand(self, articles):
        hasher = MinHasher(self.options.minhash()) if self.near else None
        keys = articles | "Keys" >> beam.Map(dedup_key, hasher)
        table = keys | "Decide" >> DedupDecisions(self.options, self.near)
        folded = articles | "Fold" >> beam.ParDo(_FoldFn(), table=beam.pvalue.AsDict(table)).with_outputs("duplicates", main="articles")
        return {
            "articles": folded.articles | "Articles" >> beam.Map(lambda a: a).with_output_types(Article),
            "duplicates": folded.duplicates | "Duplicates" >> beam.Map(lambda d: d).with_output_types(Duplicate),
        }


class ExactDedup(Dedup):
    """Exact dedup only (same id or content hash), without the cross-run index."""

    def __init__(self):
        super().__init__(DedupOptions(), near=False)
