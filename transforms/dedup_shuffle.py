"""Dedup in the batch graph: the fold rules (`transforms/fold.py`) applied through packed shuffles.

How it scales: bodies never cross a shuffle, and no shuffle carries one Python object per record
(FnApiRunner holds a GroupByKey's whole input decoded in memory): each step packs what it sends
per bundle and per shard (`SHARDS`) into one element, pickled lists of keys or numpy arrays.
Exact dedup shuffles keys twice: by id with their signature and shingle set (records sharing an
id with different bodies are measured), then by content hash without them;
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
"""

from __future__ import annotations

import pickle
import uuid
from typing import NamedTuple, Optional, Union

import apache_beam as beam
import fsspec
import numpy as np
import xxhash
from apache_beam import pvalue
from apache_beam.metrics import Metrics
from apache_beam.utils.windowed_value import WindowedValue

from transforms import progress
from transforms.fold import DedupKey, decisions, fold_groups, near_decisions
from transforms.minhash import (
    MinHasher,
    MinHashParams,
    connected_components,
    is_empty_signature,
    record_number,
    star_edges,
    unique_pairs,
    verify_edges,
)


# --- key packs ----------------------------------------------------------------------------------
#
# A `DedupKey` weighs ~1.8 KB (a 504-byte signature and a ~1 KB shingle set), and a run's keys are
# read by two steps (the split into packed shuffles, and the index rows), so the local runner would
# hold 180 MB at 100k articles and hand it to the workers twice, each time seconds in which no
# worker can start. The batch graph's staging step writes its keys to files instead
# (`write_key_pack`, beside the staged articles) and only a `KeyPack` crosses the runner, as only
# an `IndexFile` does for the dedup index's entries; every step that takes keys takes either
# (`keys_of`).


class KeyPack(NamedTuple):
    """The `DedupKey`s of one staging file's articles, pickled in a file at `path`."""

    path: str
    keys: int
    newest: str  # the newest `date` among them ("" when none has one)
    marks: bytes = b""  # `identity_marks` of their ids and content hashes (uint64, little-endian)

    def read(self) -> list[DedupKey]:
        with fsspec.open(self.path, "rb") as handle:
            return pickle.loads(handle.read())


def write_key_pack(folder: str, keys: list[DedupKey]) -> KeyPack:
    fs, root = fsspec.core.url_to_fs(folder.rstrip("/"))
    fs.makedirs(root, exist_ok=True)
    path = f"{root}/keys-{uuid.uuid4().hex}.pkl"
    with fs.open(path, "wb") as handle:
        handle.write(pickle.dumps(keys, protocol=pickle.HIGHEST_PROTOCOL))
    return KeyPack(fs.unstrip_protocol(path), len(keys), max((k.date or "" for k in keys), default=""),
                   identity_marks(keys).astype("<u8").tobytes())


def keys_of(element) -> list[DedupKey]:
    """The keys an element of a key PCollection stands for: a `DedupKey` itself, or the keys a
    pack (`KeyPack`, a dedup index file's `IndexFile`) reads from its file."""
    return [element] if isinstance(element, DedupKey) else element.read()


def newest_of(element: Union[DedupKey, KeyPack]) -> str:
    return element.newest if isinstance(element, KeyPack) else element.date


def mark(text: str) -> int:
    """64-bit hash of an id or content hash (what the dedup index's expired entries are looked up by)."""
    return xxhash.xxh64_intdigest(text.encode("utf-8", "surrogatepass"))


def identity_marks(keys: list[DedupKey]) -> np.ndarray:
    """The marks of the keys' ids and content hashes (uint64; a record without a body has no hash)."""
    return np.fromiter((mark(text) for key in keys for text in (key.id, key.content_hash) if text),
                       dtype=np.uint64)


def marks_of(element: Union[DedupKey, KeyPack]) -> np.ndarray:
    if isinstance(element, KeyPack):
        return np.frombuffer(element.marks, dtype="<u8").astype(np.uint64)
    return identity_marks([element])


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
    """One shard's packed inputs of a join -> tag -> its items (counted as a `dedup/shards` joined)."""
    progress.add("dedup", shards=1)
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



class _SplitKeys(_Packing):
    """Keys -> keys packed by id for exact dedup (slim after it); with near dedup also, packed
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

    def process(self, element, window=beam.DoFn.WindowParam):
        for key in keys_of(element):
            progress.add("dedup", keys=1)
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
            # with its fingerprint: two records sharing an id with different bodies are measured
            yield from self.pack("by_id", _shard_of(key.id), key, window)
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
    """Dedup by id, per shard (`fold_groups`); survivors packed by content hash, without fingerprint."""

    def process(self, element, window=beam.DoFn.WindowParam):
        _, values = element
        for key in fold_groups(_unpack(values).get("by_id", []), "id"):
            key = key._replace(signature=b"", exact=b"")  # carried again by the "signatures" output
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
        for key in fold_groups(_unpack(values).get("by_content", []), "content_hash"):
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



_CANDIDATE_EDGES = Metrics.counter("newsbeam", "near_candidate_edges")
_VERIFIED_EDGES = Metrics.counter("newsbeam", "near_verified_edges")


def _join(label: str, *packed):
    """Packed inputs -> one element per shard: (shard, [(tag, blob), ...])."""
    return packed | f"{label}Inputs" >> beam.Flatten() | f"{label}" >> beam.GroupByKey()


class _ExactAndNear(beam.PTransform):
    """`DedupKey`s (or `KeyPack`s) -> `(record_key, Decision)`: exact dedup by id, then by content hash, then
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


REMOVE_BATCH = 500  # files removed per call (and per progress note) when a staging folder is cleared


def remove_folder(url: str) -> None:
    """Remove a staging folder and its files, REMOVE_BATCH files at a time with a progress note
    (a 100k-article run clears thousands)."""
    fs, root = fsspec.core.url_to_fs(url)
    try:
        files = fs.find(root)
        for start in range(0, len(files), REMOVE_BATCH):
            fs.rm(files[start:start + REMOVE_BATCH])
            progress.note("doing", f"removed {min(start + REMOVE_BATCH, len(files)):,} of {len(files):,} "
                                   "staging files")
        fs.rm(root, recursive=True)
    except FileNotFoundError:  # already gone (the batch graph also clears its whole staging folder)
        pass
    progress.note("doing", "")
