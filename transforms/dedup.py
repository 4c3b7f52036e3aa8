"""Dedup: fold copies of an article into one canonical article, within a run and across runs.

What counts as a copy:
- exact: two records with the same `id` (the same canonical URL, or the same source file read
  twice), or the same `content_hash` (the same body once case, punctuation, whitespace and site
  furniture are ignored);
- near: among the survivors of exact dedup, two bodies whose word-shingle sets have a Jaccard
  similarity >= `threshold`, or whose shorter body is contained in the longer at >= `containment`
  (a copy with its last paragraphs trimmed). Candidate pairs come from MinHash LSH
  (`transforms/minhash.py`); pairs are measured on the bodies' exact shingle sets, which keys of
  bodies up to `EXACT_SHINGLES` shingles carry (`DedupKey.exact`), and on the MinHash estimate
  otherwise (longer bodies, entries of indexes written before shingle sets were kept).

Near-duplicate clusters do not chain (`minhash.resolve_clusters`, shared by the Beam path and
the in-memory one). Verified pairs only propose a cluster (a connected component); within it,
Jaccard pairs join mutual copies into groups, each group's most canonical member is a candidate
canonical, and the candidate that the most members fold into becomes the cluster's canonical
(ties: the rank rule below). A member folds into it only if it is itself a near copy of the
canonical (Jaccard >= threshold) or its shorter text is contained in the canonical's; members
that do not are taken out and clustered again among themselves by the same rule. Why: connected
components over the containment rule chain unrelated articles through a short text they share
(long articles A and B both quoting brief C made A, B, C one cluster, and a long article was then
dropped as a "copy" of a brief or of another long article). Now C folds into one of A and B and
both are kept; a longer body never folds into a shorter one by containment (its extra text is in
no kept article); every copy's `similarity` is to the canonical it names. The cost is recall on
copies related to their original only through a third text (heavily trimmed and edited copies:
see `make eval`).

Which copy of a group of mutual copies is canonical is decided by `canonical_rank`, an
order-independent rule, so the answer does not depend on runner, bundling or worker count:
  0. an article already emitted by an earlier run (from `--dedup-index`) before any new one;
  1. the earliest `published_at` (articles with a time before those without);
  2. then the richest metadata (title, URL, authors present);
  3. then the smallest `source_uri` (byte order).

A copy's `duplicates` row names the cluster's canonical article; its `method` and `similarity`
describe the copy's relation to that canonical: `exact` / 1.0 for an exact copy of it, `near` and
the Jaccard of the two bodies otherwise, exact or estimated as above (an exact copy of a near copy
is `near`, with the near copy's similarity). `duplicate_count` counts every copy folded into an
article in this run.

How it scales: bodies never cross a shuffle, and no shuffle carries one Python object per record
(FnApiRunner holds a GroupByKey's whole input decoded in memory): each step packs what it sends
per bundle and per shard (`SHARDS`) into one element, pickled lists of keys or numpy arrays.
Exact dedup shuffles keys without their signature or shingle set twice (by id, by content hash);
the signatures (504 bytes), shingle sets (4 bytes a shingle, ~1 KB for a 260-word body) and the
LSH band entries (one 16-byte (band key, record number) pair per band) travel once, as
uint64/uint32 arrays (and lists of bytes) keyed by record number and band key; candidate edges
(a star per bucket) meet the signatures and shingle sets in two joins on record numbers,
verified edges are gathered on one worker (three numbers per edge: the one step that grows
with the number of near-duplicate pairs rather than being spread over workers), and each
component's members and edges meet on the shard of its root to be resolved and folded. Records
without a candidate edge leave after the first join. Record numbers are 64-bit hashes of record keys: survivors whose
number is shared (odds ~n^2/2^65) take no part in near dedup; a copy already folded by exact
dedup that shares a survivor's number can only add candidate edges, which are verified on the
survivor's own signature (signatures are matched to keys by number and a second 32-bit hash).
`exact_survivors` / `near_survivors` / `decide` are the same steps in memory (the benchmark floor
and the tests compare them).

Memory on FnApiRunner (one worker; keys read from `bench/corpus` -> `DedupDecisions` -> count,
peak RSS, Nov 2026): reading and fingerprinting alone peak at 229 MiB at 100k records and 231 MiB
at 400k; with the packed shuffles inline, 813 MiB and 2,850 MiB (FnApiRunner holds ~4-5x the
~1.4 KB per record of packed data); with `staging=` (`DedupDecisions`), 296 MiB and 438 MiB
(~0.5-0.7 KB per record, 400k/100k = 1.48). The connected-components version it replaced took
2,258 MiB and 8,176 MiB.

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
import pickle
import re
import uuid
from typing import Iterable, NamedTuple, Optional

import apache_beam as beam
import fsspec
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import xxhash
from apache_beam import pvalue
from apache_beam.metrics import Metrics
from apache_beam.utils.windowed_value import WindowedValue

from transforms import progress
from transforms.minhash import (
    MinHasher,
    MinHashParams,
    connected_components,
    estimate_jaccard,
    exact_set_jaccard,
    is_empty_signature,
    near_duplicate_groups,
    record_number,
    resolve_clusters,
    star_edges,
    unique_pairs,
    verify_edges,
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
    exact: bytes = b""  # the shingle set (`minhash.exact_set`) of a short enough body: exact verification

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
    signature, shingles, exact = hasher.fingerprint(article.body) if hasher is not None else (b"", 0, b"")
    return DedupKey(article.source_uri, article.id, article.content_hash, canonical_rank(article), (),
                    signature, article.date, shingles=shingles, exact=exact)


def similarity(copy: DedupKey, canonical: DedupKey) -> float:
    """Jaccard similarity of two keys' bodies: exact when both carry their shingle set, else the
    MinHash estimate."""
    if copy.exact and canonical.exact:
        return exact_set_jaccard(copy.exact, canonical.exact)
    return estimate_jaccard(copy.signature, canonical.signature)


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
    """A near-duplicate cluster -> its most canonical key (`order`), every other folded into it."""
    ordered = sorted(keys, key=lambda k: k.order)
    return fold_into(ordered[0], ordered[1:])


def fold_into(canonical: DedupKey, others: Iterable[DedupKey]) -> DedupKey:
    """Fold near copies into `canonical`; each copy carries its similarity to it."""
    members = list(canonical.members)
    for other in others:
        measured = round(similarity(other, canonical), 4)
        if not other.prior:
            members.append(Member(other.record_key, other.id, "near", measured, other.date))
        members.extend(m._replace(method="near", similarity=measured) for m in other.members)
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


class FoldingFn(beam.DoFn):
    """Base of the DoFns that apply decisions to articles (`fold`), counting the copies."""

    def setup(self):
        self.copies = Metrics.counter("newsbeam", "duplicates")
        self.near = Metrics.counter("newsbeam", "near_duplicates")

    def fold(self, article: Article, table: dict) -> tuple[str, object]:
        kind, row = apply_decision(article, table.get(article.source_uri))
        progress.add("write", read_back=1)
        if kind == "duplicate":
            progress.add("dedup", copies=1)
        if kind == "duplicate":
            self.copies.inc()
            if row.method == "near":
                self.near.inc()
        return kind, row


class _FoldFn(FoldingFn):
    def process(self, article: Article, table: dict):
        kind, row = self.fold(article, table)
        yield pvalue.TaggedOutput("duplicates", row) if kind == "duplicate" else row


# --- packed shuffles ----------------------------------------------------------------------------
#
# FnApiRunner keeps a GroupByKey's whole input in memory, decoded. So nothing crosses a shuffle
# here one small Python object per record (let alone per band per record): every DoFn that feeds
# a shuffle buffers its items per bundle, window and shard and sends them as one
# (shard, (tag, pickled list)) element per `BATCH` items; arrays of record numbers, band keys and
# signatures travel as numpy arrays inside those lists. A join is a Flatten of packed inputs and
# one GroupByKey on the shard. Per record that is ~190 bytes of key twice, 540 of signature and
# 680 of band entries. Measured here, FnApiRunner's resident memory still grows by ~4-5x the bytes
# held at its shuffle boundaries (a GroupByKey of 100 MB in 10 KB values: +490 MB), so the bytes
# per record, not the number of objects, are what is left to cut (see `DedupDecisions`).

SHARDS = 64  # keys of every packed shuffle: a shard holds ~1/64 of the records (fine to ~10M records a run)
BATCH = 256  # items per packed element
SPLIT_BATCH = 1024  # keys whose band keys are computed together


def _shard_of(text: str) -> int:
    return record_number(text) % SHARDS


def _record_check(record_key: str) -> int:
    return xxhash.xxh32_intdigest(record_key.encode("utf-8", "surrogatepass"))


def _by_shard(numbers: np.ndarray):
    """(shard, index array) of the records of each shard, in shard order."""
    shards = numbers % np.uint64(SHARDS)
    order = np.argsort(shards, kind="stable")
    values, starts = np.unique(shards[order], return_index=True)
    for shard, chunk in zip(values, np.split(order, starts[1:])):
        yield int(shard), chunk


def _unpack(values) -> dict[str, list]:
    parts: dict[str, list] = {}
    for tag, blob in values:
        if isinstance(blob, str):  # staged: the blob is in a file
            with fsspec.open(blob, "rb") as handle:
                blob = handle.read()
        parts.setdefault(tag, []).extend(pickle.loads(blob))
    return parts


ARRAY_UNIT = 1024  # bytes of array data that weigh as much as one item in a packed element


class _Packing(beam.DoFn):
    """Base of the DoFns that feed packed shuffles (see above). With `staging` (a folder URL),
    each packed element's blob is written to a file there and only its path crosses the shuffle."""

    staging: Optional[str] = None

    def __init__(self, batch: int = BATCH):
        self.batch = batch

    def staged(self, staging: Optional[str]) -> "_Packing":
        self.staging = staging
        return self

    def start_bundle(self):
        self._buffers = {}

    def pack(self, tag: str, shard: int, item, window, weight: float = 1.0):
        """Buffer one item for `shard` of output `tag`; yields a packed element when the buffer
        weighs `batch` (an item weighs 1, an array its bytes / `ARRAY_UNIT`)."""
        key = (tag, window, shard)
        entry = self._buffers.get(key)
        if entry is None:
            entry = self._buffers[key] = [[], 0.0]
        entry[0].append(item)
        entry[1] += weight
        if entry[1] >= self.batch:
            del self._buffers[key]
            yield self.packed(tag, shard, entry[0], window)

    def pack_arrays(self, tag: str, shard: int, arrays: tuple, window):
        """Buffer a tuple of numpy arrays (and lists of bytes: shingle sets) as one item."""
        weight = sum(a.nbytes if isinstance(a, np.ndarray) else sum(map(len, a)) for a in arrays) / ARRAY_UNIT
        yield from self.pack(tag, shard, arrays, window, weight)

    def packed(self, tag: str, shard: int, items: list, window):
        progress.add("dedup", batches=1)
        blob = pickle.dumps(items, protocol=pickle.HIGHEST_PROTOCOL)
        if self.staging:
            path = f"{self.staging}/{uuid.uuid4().hex}.pkl"
            with fsspec.open(path, "wb") as handle:
                handle.write(blob)
            blob = path
        return pvalue.TaggedOutput(tag, WindowedValue((shard, (tag, blob)), window.max_timestamp(), (window,)))

    def finish_bundle(self):
        buffers, self._buffers = self._buffers, {}
        for (tag, window, shard), (items, _) in buffers.items():
            yield self.packed(tag, shard, items, window)


def _fold_groups(keys: Iterable[DedupKey], attribute: str) -> Iterable[DedupKey]:
    groups: dict[str, list] = {}
    for key in keys:
        groups.setdefault(getattr(key, attribute), []).append(key)
    for group in groups.values():
        yield group[0] if len(group) == 1 else fold_group(group)


class _SplitKeys(_Packing):
    """Keys -> slim keys (no signature) packed by id for exact dedup; with near dedup also, packed
    by record number, the signatures (numbers, shingle counts, uint32 rows) and, packed by band
    key, the LSH band entries (band key, record number) as uint64 arrays."""

    def __init__(self, params: Optional[MinHashParams], batch: int = BATCH, split_batch: int = SPLIT_BATCH):
        super().__init__(batch)
        self.params, self.split_batch = params, split_batch

    def setup(self):
        self.hasher = MinHasher(self.params) if self.params is not None else None

    def start_bundle(self):
        super().start_bundle()
        self._pending = {}

    def process(self, key: DedupKey, window=beam.DoFn.WindowParam):
        pending = self._pending.setdefault(window, [])
        pending.append(key)
        if len(pending) >= self.split_batch:
            del self._pending[window]
            yield from self._split(pending, window)

    def finish_bundle(self):
        pending, self._pending = self._pending, {}
        for window, keys in pending.items():
            yield from self._split(keys, window)
        yield from super().finish_bundle()

    def _split(self, keys: list[DedupKey], window):
        for key in keys:
            yield from self.pack("by_id", _shard_of(key.id), key._replace(signature=b"", exact=b""), window)
        if self.hasher is None:
            return
        width = 4 * self.params.num_perm
        rows = [k for k in keys if len(k.signature) == width and not is_empty_signature(k.signature)]
        if not rows:
            return
        numbers = np.array([record_number(k.record_key) for k in rows], dtype=np.uint64)
        checks = np.array([_record_check(k.record_key) for k in rows], dtype=np.uint32)
        sizes = np.array([k.shingles for k in rows], dtype=np.int64)
        matrix = np.frombuffer(b"".join(k.signature for k in rows), dtype="<u4").reshape(len(rows), -1)
        for shard, chunk in _by_shard(numbers):
            yield from self.pack_arrays("signatures", shard, (numbers[chunk], checks[chunk], sizes[chunk],
                                                              matrix[chunk], [rows[i].exact for i in chunk]),
                                        window)
        band_keys = self.hasher.band_key_matrix(matrix).ravel()
        nodes = np.repeat(numbers, self.params.bands)
        for shard, chunk in _by_shard(band_keys):
            yield from self.pack_arrays("bands", shard, (np.stack([band_keys[chunk], nodes[chunk]], axis=1),), window)


class _FoldSameId(_Packing):
    """Exact dedup by id, per shard; survivors packed by content hash."""

    def process(self, element, window=beam.DoFn.WindowParam):
        _, values = element
        for key in _fold_groups(_unpack(values).get("by_id", []), "id"):
            yield from self.pack("by_content", _shard_of(key.content_hash), key, window)


class _FoldSameContent(_Packing):
    """Exact dedup by content hash, per shard. Without near dedup the survivors' decisions come
    out here; with it, survivors are packed by record number (with their numbers listed apart, for
    the band step to drop copies already folded)."""

    def __init__(self, near: bool, batch: int = BATCH):
        super().__init__(batch)
        self.near = near

    def process(self, element, window=beam.DoFn.WindowParam):
        _, values = element
        numbers = []
        for key in _fold_groups(_unpack(values).get("by_content", []), "content_hash"):
            if not self.near:
                yield from decisions(key)
                continue
            number = record_number(key.record_key)
            numbers.append(number)
            yield from self.pack("nodes", number % SHARDS, (number, key), window)
        if numbers:
            yield pvalue.TaggedOutput("survivors", np.array(numbers, dtype=np.uint64))


class _SortedNumbers(beam.CombineFn):
    """uint64 arrays -> one sorted array of distinct record numbers."""

    def create_accumulator(self):
        return []

    def add_input(self, accumulator, numbers):
        accumulator.append(numbers)
        return accumulator

    def merge_accumulators(self, accumulators):
        return [a for acc in accumulators for a in acc]

    def compact(self, accumulator):
        return [np.unique(np.concatenate(accumulator))] if len(accumulator) > 1 else accumulator

    def extract_output(self, accumulator):
        return np.unique(np.concatenate(accumulator)) if accumulator else np.empty(0, dtype=np.uint64)


def _member_of(numbers: np.ndarray, sorted_set: np.ndarray) -> np.ndarray:
    if sorted_set.size == 0:
        return np.zeros(numbers.shape, dtype=bool)
    at = np.minimum(np.searchsorted(sorted_set, numbers), sorted_set.size - 1)
    return sorted_set[at] == numbers


class _CandidateEdges(_Packing):
    """Band entries of one band-key shard -> star edges among surviving records (`star_edges`),
    packed by the record number of each end."""

    def process(self, element, survivors: np.ndarray, window=beam.DoFn.WindowParam):
        _, values = element
        arrays = _unpack(values).get("bands", [])
        if not arrays:
            return
        entries = np.concatenate([a[0] for a in arrays])
        entries = entries[_member_of(entries[:, 1], survivors)]
        edges = star_edges(entries[:, 0], entries[:, 1])
        _CANDIDATE_EDGES.inc(len(edges))
        for end in (0, 1):
            for shard, chunk in _by_shard(edges[:, end]):
                yield from self.pack_arrays("edges", shard, (edges[chunk],), window)


class _JoinFirstEnd(_Packing):
    """Join 1, per record-number shard: surviving keys, signatures and candidate edges. Keys with
    no edge are final (their exact-dedup decisions come out); the others get their signature back
    and go on; each edge's second end sends (first, second, shingles, signature) to the first's
    shard. Records whose number is not unique in the run take no part in near dedup."""

    def process(self, element, window=beam.DoFn.WindowParam):
        shard, values = element
        parts = _unpack(values)
        nodes: dict[int, DedupKey] = {}
        shared: set[int] = set()
        final = []
        for number, key in parts.get("nodes", []):
            if number in nodes:
                shared.add(number)
                final.append(key)
            else:
                nodes[number] = key
        final.extend(nodes.pop(number) for number in shared)
        # A signature row is a node's when number and check (a second, 32-bit hash) both match.
        rows: dict[int, int] = {}
        signatures = parts.get("signatures", [])
        numbers = np.concatenate([s[0] for s in signatures]) if signatures else np.empty(0, np.uint64)
        checks = np.concatenate([s[1] for s in signatures]) if signatures else np.empty(0, np.uint32)
        sizes = np.concatenate([s[2] for s in signatures]) if signatures else np.empty(0, np.int64)
        matrix = np.concatenate([s[3] for s in signatures]) if signatures else None
        exact = [e for s in signatures for e in s[4]]
        for i, (number, check) in enumerate(zip(numbers.tolist(), checks.tolist())):
            key = nodes.get(number)
            if key is not None and number not in rows and check == _record_check(key.record_key):
                rows[number] = i
        for key in final:
            yield from decisions(key)
        edges = (unique_pairs(np.concatenate([e[0] for e in parts["edges"]])) if parts.get("edges")
                 else np.empty((0, 2), np.uint64))
        usable = {n for n in np.unique(edges).tolist() if n in nodes and n in rows}
        for number, key in nodes.items():
            if number in usable:
                row = rows[number]
                key = key._replace(signature=matrix[row].astype("<u4").tobytes(), shingles=int(sizes[row]),
                                   exact=exact[row])
                yield from self.pack("near_nodes", shard, (number, key), window)
            else:
                yield from decisions(key)
        if not usable:
            return
        second = _member_of(edges[:, 1], np.array(sorted(usable), dtype=np.uint64))
        edges = edges[second]
        index = np.array([rows[n] for n in edges[:, 1].tolist()], dtype=np.int64)
        for target, chunk in _by_shard(edges[:, 0]):
            yield from self.pack_arrays("halves", target, (edges[chunk, 0], edges[chunk, 1], sizes[index[chunk]],
                                                           matrix[index[chunk]], [exact[i] for i in index[chunk]]),
                                        window)


class _Verify(_Packing):
    """Join 2, per record-number shard: each candidate edge meets its first end's signature and
    is verified (`verify_edges`); verified edges go to one place for the components."""

    def __init__(self, params: MinHashParams, batch: int = BATCH):
        super().__init__(batch)
        self.params = params

    def process(self, element, window=beam.DoFn.WindowParam):
        shard, values = element
        parts = _unpack(values)
        nodes = dict(parts.get("near_nodes", []))
        for number, key in nodes.items():
            yield from self.pack("routed_nodes", shard, (number, key), window)
        halves = parts.get("halves", [])
        if not halves or not nodes:
            return
        first = np.concatenate([h[0] for h in halves])
        second = np.concatenate([h[1] for h in halves])
        size_b = np.concatenate([h[2] for h in halves])
        sig_b = np.concatenate([h[3] for h in halves])
        exact_b = [e for h in halves for e in h[4]]
        known = np.array([n in nodes for n in first.tolist()], dtype=bool)
        first, second, size_b, sig_b = first[known], second[known], size_b[known], sig_b[known]
        exact_b = [e for e, k in zip(exact_b, known.tolist()) if k]
        if not len(first):
            return
        keys = [nodes[n] for n in first.tolist()]
        sig_a = np.frombuffer(b"".join(k.signature for k in keys), dtype="<u4").reshape(len(keys), -1)
        size_a = np.array([k.shingles for k in keys], dtype=np.int64)
        jaccard, near = verify_edges(sig_a, sig_b, size_a, size_b, self.params, [k.exact for k in keys], exact_b)
        _VERIFIED_EDGES.inc(int(near.sum()))
        if near.any():
            yield from self.pack_arrays("verified", 0, (first[near], second[near], jaccard[near]), window)


class _Components(_Packing):
    """All verified edges, in one place -> each node's component root, packed by the node's
    shard, and each edge, packed by its component root's shard."""

    def process(self, element, window=beam.DoFn.WindowParam):
        _, values = element
        verified = _unpack(values).get("verified", [])
        if not verified:
            return
        first = np.concatenate([v[0] for v in verified])
        second = np.concatenate([v[1] for v in verified])
        jaccard = np.concatenate([v[2] for v in verified])
        roots = connected_components(zip(first.tolist(), second.tolist()))
        nodes = np.array(list(roots), dtype=np.uint64)
        node_roots = np.array(list(roots.values()), dtype=np.uint64)
        for shard, chunk in _by_shard(nodes):
            yield from self.pack_arrays("roots", shard, (nodes[chunk], node_roots[chunk]), window)
        edge_roots = np.array([roots[n] for n in first.tolist()], dtype=np.uint64)
        for shard, chunk in _by_shard(edge_roots):
            yield from self.pack_arrays("cluster_edges", shard, (first[chunk], second[chunk], jaccard[chunk]), window)


class _RouteToCluster(_Packing):
    """Join 3, per record-number shard: keys with a verified edge go to their component root's
    shard; the others are final."""

    def process(self, element, window=beam.DoFn.WindowParam):
        _, values = element
        parts = _unpack(values)
        root_of = {}
        for nodes, roots in parts.get("roots", []):
            root_of.update(zip(nodes.tolist(), roots.tolist()))
        for number, key in parts.get("routed_nodes", []):
            root = root_of.get(number)
            if root is None:
                yield from decisions(key)
            else:
                yield from self.pack("members", root % SHARDS, (number, key), window)


class _FoldClusters(beam.DoFn):
    """Join 4, per component-root shard: the members and edges of whole components ->
    `resolve_clusters` (the no-chaining rule) -> each cluster folded into its canonical."""

    def __init__(self, params: MinHashParams):
        self.params = params

    def process(self, element):
        _, values = element
        parts = _unpack(values)
        keys = dict(parts.get("members", []))
        edges = [(a, b, j) for first, second, jaccard in parts.get("cluster_edges", [])
                 for a, b, j in zip(first.tolist(), second.tolist(), jaccard.tolist())]
        yield from near_decisions(keys, edges, self.params)


def near_decisions(keys: dict[int, DedupKey], edges: list[tuple[int, int, float]],
                   params: MinHashParams) -> Iterable[tuple[str, Decision]]:
    """Keys by record number and their verified edges -> the decisions of every key, clusters
    folded by `resolve_clusters`."""
    clusters = resolve_clusters(edges, {n: k.shingles for n, k in keys.items()},
                                {n: k.order for n, k in keys.items()},
                                {n: k.signature for n, k in keys.items()}, params,
                                {n: k.exact for n, k in keys.items() if k.exact})
    clustered = set()
    for canonical, members in clusters:
        clustered.update(members)
        yield from decisions(fold_into(keys[canonical], [keys[m] for m in members if m != canonical]))
    for number, key in keys.items():
        if number not in clustered:
            yield from decisions(key)


_CANDIDATE_EDGES = Metrics.counter("newsbeam", "near_candidate_edges")
_VERIFIED_EDGES = Metrics.counter("newsbeam", "near_verified_edges")


def _join(label: str, *packed):
    """Packed inputs -> one element per shard: (shard, [(tag, blob), ...])."""
    return packed | f"{label}Inputs" >> beam.Flatten() | f"{label}" >> beam.GroupByKey()


class _ExactAndNear(beam.PTransform):
    """`DedupKey`s -> `(record_key, Decision)`: exact dedup by id, then by content hash, then
    (with `params`) near dedup among the survivors, every shuffle packed (see above); with
    `staging`, the packed blobs go through files in a fresh folder under it, removed at the end."""

    def __init__(self, params: Optional[MinHashParams], batch: int = BATCH, staging: Optional[str] = None):
        super().__init__()
        self.params, self.batch = params, batch
        self.staging = f"{staging.rstrip('/')}/dedup-{uuid.uuid4().hex}" if staging else None

    def expand(self, keys):
        params, batch, near, staging = self.params, self.batch, self.params is not None, self.staging
        split = keys | "Split" >> beam.ParDo(_SplitKeys(params, batch).staged(staging)).with_outputs(
            "by_id", "signatures", "bands")
        by_content = (_join("GroupById", split.by_id)
                      | "FoldSameId" >> beam.ParDo(_FoldSameId(batch).staged(staging)).with_outputs("by_content"))
        survivors = (_join("GroupByContent", by_content.by_content)
                     | "FoldSameContent" >> beam.ParDo(_FoldSameContent(near, batch).staged(staging)).with_outputs(
                         "nodes", "survivors", main="decisions"))
        if not near:
            return self._cleared(survivors.decisions)
        survivor_numbers = survivors.survivors | "SurvivorNumbers" >> beam.CombineGlobally(_SortedNumbers())
        edges = (_join("GroupBands", split.bands)
                 | "CandidateEdges" >> beam.ParDo(_CandidateEdges(batch).staged(staging),
                                                  beam.pvalue.AsSingleton(survivor_numbers)).with_outputs("edges"))
        first = (_join("JoinFirstEnd", survivors.nodes, split.signatures, edges.edges)
                 | "CarrySignature" >> beam.ParDo(_JoinFirstEnd(batch).staged(staging)).with_outputs(
                     "near_nodes", "halves", main="decisions"))
        verified = (_join("JoinSecondEnd", first.near_nodes, first.halves)
                    | "Verify" >> beam.ParDo(_Verify(params, batch).staged(staging)).with_outputs(
                        "routed_nodes", "verified"))
        components = (_join("GatherEdges", verified.verified)
                      | "Components" >> beam.ParDo(_Components(batch).staged(staging)).with_outputs(
                          "roots", "cluster_edges"))
        routed = (_join("JoinRoot", verified.routed_nodes, components.roots)
                  | "Route" >> beam.ParDo(_RouteToCluster(batch).staged(staging)).with_outputs(
                      "members", main="decisions"))
        clustered = (_join("Clusters", routed.members, components.cluster_edges)
                     | "FoldClusters" >> beam.ParDo(_FoldClusters(params)))
        return self._cleared((survivors.decisions, first.decisions, routed.decisions, clustered)
                             | "AllDecisions" >> beam.Flatten())

    def _cleared(self, decisions):
        """Remove the staging folder once every decision exists (every blob has been read by then)."""
        if self.staging:
            staging = self.staging
            (decisions
             | "Done" >> beam.combiners.Count.Globally()
             | "ClearStaging" >> beam.Map(lambda _: remove_folder(staging)))
        return decisions


def remove_folder(url: str) -> None:
    fs, root = fsspec.core.url_to_fs(url)
    try:
        fs.rm(root, recursive=True)
    except FileNotFoundError:  # already gone (the batch graph also clears its whole staging folder)
        pass


# --- the same in memory -------------------------------------------------------------------------

def exact_survivors(keys: Iterable[DedupKey]) -> list[DedupKey]:
    """Exact dedup in memory: the keys folded by id, then by content hash (`fold_group`)."""
    for attribute in ("id", "content_hash"):
        keys = list(_fold_groups(keys, attribute))
    return list(keys)


def near_survivors(keys: Iterable[DedupKey], params: MinHashParams) -> list[DedupKey]:
    """Near dedup in memory, on the cores of the Beam path (`near_duplicate_groups`)."""
    keys = list(keys)
    by_key = {k.record_key: k for k in keys}
    groups = near_duplicate_groups({k.record_key: k.signature for k in keys},
                                   {k.record_key: k.shingles for k in keys}, params,
                                   {k.record_key: k.order for k in keys},
                                   {k.record_key: k.exact for k in keys if k.exact})
    clustered = set()
    out = []
    for canonical, members in groups:
        clustered.update(members)
        out.append(fold_into(by_key[canonical], [by_key[m] for m in members if m != canonical]))
    return out + [k for k in keys if k.record_key not in clustered]


def decide(keys: Iterable[DedupKey], params: Optional[MinHashParams] = MinHashParams()) -> dict[str, Decision]:
    """`DedupDecisions` in memory (no index): record_key -> Decision, the same entries."""
    survivors = exact_survivors(keys)
    if params is not None:
        survivors = near_survivors(survivors, params)
    return dict(item for key in survivors for item in decisions(key))


# --- the cross-run index ------------------------------------------------------------------------

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
            "shingle_set": key.exact,
            "minhash": minhash_tag(params),
            "rank": f"{int(no_time)}|{published}|{richness}", "date": key.date}


def prior_key(row: dict, params: MinHashParams) -> DedupKey:
    """An index entry -> a rank-0 key (its signature and shingle set dropped when made with other
    parameters; indexes written before shingle sets were kept have none)."""
    no_time, published, richness = row["rank"].split("|")
    same = row["minhash"] == minhash_tag(params)
    return DedupKey(PRIOR_PREFIX + row["source_uri"], row["id"], row["content_hash"],
                    (no_time == "1", published, int(richness), row["source_uri"]), (),
                    row["signature"] if same else b"", row.get("date", ""), True, row["cluster_id"],
                    int(row.get("shingles") or 0), (row.get("shingle_set") or b"") if same else b"")


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

    `staging` (a folder URL the workers can all reach, e.g. the run's staging folder): the packed
    shuffle data goes through files there and only file paths cross the shuffles, so a runner
    that holds shuffles in memory (FnApiRunner) holds paths, not signatures and band entries;
    the files are removed once all decisions exist.
    """

    def __init__(self, options: DedupOptions = DedupOptions(), near: bool = True, batch: int = BATCH,
                 staging: Optional[str] = None):
        super().__init__()
        if not isinstance(options, DedupOptions):
            raise TypeError(f"DedupDecisions expects DedupOptions, got {type(options).__name__}")
        self.options, self.near, self.batch, self.staging = options, near, batch, staging

    def expand(self, keys):
        params = self.options.minhash()
        everything = keys
        if self.options.index:
            prior = keys | "Prior" >> ReadDedupIndex(self.options.index, self.options.retention_days, params)
            everything = (keys, prior) | "WithPrior" >> beam.Flatten()
        table = everything | "Decide" >> _ExactAndNear(params if self.near else None, self.batch, self.staging)
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
    Cost: per article one 128-permutation signature (~0.3 ms); through packed shuffles a slim key
    twice, its signature and `bands` 16-byte band entries once (module docstring).
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
