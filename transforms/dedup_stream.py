"""Dedup in the streaming graph: the fold rules (`transforms/fold.py`) applied in keyed state.

Guarantee: an article that arrives within `horizon` of an earlier one it copies comes out as a
`duplicates` row naming that earlier article's canonical id, whichever window each arrived in;
after the horizon the earlier article's state is gone and a copy is a new article. The rules are
batch's, applied to one arrival at a time against what is remembered:
- same content hash as a remembered record: a copy of that record's canonical (`exact` / 1.0
  when it was the canonical itself, else the near copy's `near` and similarity, as in batch);
- same id as a remembered record, other body: a copy of its canonical, `near` with the measured
  Jaccard (`fold.relation`);
- near: LSH band keys of the signature (`MinHasher.band_keys`) name candidate *canonical*
  articles; each candidate pair is verified once, on exact shingle sets where both bodies carry
  one (`minhash.pair_measures`), and the copy folds only when `folds_into` the canonical itself
  (no chaining: a copy of a copy that is not a copy of the canonical is a new article); among
  several, the most canonical (`DedupKey.order`: seeded index entries first, then rank).
- otherwise it is a new canonical article and is remembered.

So on input that arrives in canonical-rank order (time-ordered feeds) the decisions are batch's.
Where batch would pick a later arrival as canonical (a longer article that contains an earlier
brief, a corrected version ranked first), the stream keeps the earlier one: a committed row is
never rewritten. `duplicate_count` of an article counts nothing (copies arrive after it is
written); `duplicates` rows hold the clusters.

State (one key: near duplicates can be anywhere, so one decider sees every arrival): a Bag of
entries appended once per record (a canonical's fingerprint once per id: signature 504 bytes +
shingle set ~4 bytes a shingle; a copy: its id, hash and decision, ~150 bytes) and a version
counter. The band index (band key -> canonical ids only) and the hash/id maps are an in-memory
cache built from the Bag, rebuilt whenever the counter read from state differs from the cached
one (a new worker, a retried bundle), so a retry decides again from committed state and gives
the same answer. Entries older than the horizon (event time of the arrival) are dropped from the
cache as time passes and the Bag is rewritten without them when they outnumber the live ones.
`StreamDedupState.state_bytes` measures the state size.
"""

from __future__ import annotations

import heapq
import pickle
import time
import uuid
from typing import Iterable, NamedTuple, Optional

import apache_beam as beam
import numpy as np
from apache_beam.coders import PickleCoder, VarIntCoder
from apache_beam.metrics import Metrics
from apache_beam.transforms.userstate import BagStateSpec, ReadModifyWriteStateSpec

from transforms import progress
from transforms.fold import Decision, DedupKey, DedupOptions, relation
from transforms.minhash import MinHasher, MinHashParams, is_empty_signature, pair_measures


class Entry(NamedTuple):
    """One remembered record: a canonical article's slim key (`key`) or a copy's decision."""

    seen_at: float  # event time (seconds) the cluster's canonical arrived: the horizon counts from it
    id: str
    content_hash: str
    canonical_id: str  # own id for a canonical
    method: str = ""  # a copy's relation to its canonical
    similarity: float = 1.0
    key: Optional[DedupKey] = None  # canonicals only: the fingerprint, without members


class StreamDecision(NamedTuple):
    decision: Optional[Decision]  # None: a new canonical article
    entry: Entry  # what to remember


class StreamDedupState:
    """The plain-Python decider: remembered entries -> the decision for one more arrival."""

    def __init__(self, params: Optional[MinHashParams], horizon_s: float, entries: Iterable[Entry] = ()):
        self.params, self.horizon_s = params, horizon_s
        self.hasher = MinHasher(params) if params is not None else None
        self.canonicals: dict[str, Entry] = {}
        self.by_id: dict[str, Entry] = {}
        self.by_hash: dict[str, Entry] = {}
        self.bands: dict[int, list[str]] = {}
        self.band_keys: dict[str, list[int]] = {}
        self.expiry: list[tuple[float, str, str]] = []  # (seen_at, kind, id) heap
        self.expired = 0
        for entry in entries:
            self.remember(entry)

    def remember(self, entry: Entry) -> None:
        self.by_id.setdefault(entry.id, entry)
        self.by_hash.setdefault(entry.content_hash, entry)
        heapq.heappush(self.expiry, (entry.seen_at, entry.id, entry.content_hash))
        if entry.key is None:
            return
        self.canonicals[entry.id] = entry
        if self.hasher is not None and entry.key.signature and not is_empty_signature(entry.key.signature):
            keys = self.hasher.band_keys(entry.key.signature)
            self.band_keys[entry.id] = keys
            for band in keys:
                self.bands.setdefault(band, []).append(entry.id)

    def expire(self, now: float) -> None:
        """Forget every entry whose cluster's canonical arrived more than the horizon before `now`."""
        while self.expiry and self.expiry[0][0] < now - self.horizon_s:
            seen_at, record_id, content_hash = heapq.heappop(self.expiry)
            self.expired += 1
            if (entry := self.by_id.get(record_id)) is not None and entry.seen_at == seen_at:
                del self.by_id[record_id]
            if (entry := self.by_hash.get(content_hash)) is not None and entry.seen_at == seen_at:
                del self.by_hash[content_hash]
            entry = self.canonicals.get(record_id)
            if entry is not None and entry.seen_at == seen_at:
                del self.canonicals[record_id]
                for band in self.band_keys.pop(record_id, ()):
                    members = self.bands.get(band)
                    if members is not None:
                        members.remove(record_id)
                        if not members:
                            del self.bands[band]

    def live_entries(self) -> list[Entry]:
        seen = {}
        for entry in (*self.by_id.values(), *self.by_hash.values(), *self.canonicals.values()):
            seen[(entry.id, entry.content_hash, entry.key is not None)] = entry
        return list(seen.values())

    def decide(self, key: DedupKey, now: float) -> StreamDecision:
        """The decision for `key` arriving at event time `now` (seconds); see the module docstring."""
        self.expire(now)
        if (known := self.by_hash.get(key.content_hash)) is not None:
            return self._copy_of(key, known, "exact", 1.0)
        if (known := self.by_id.get(key.id)) is not None:
            canonical = self.canonicals.get(known.canonical_id)
            method, measured = relation(key, canonical.key) if canonical is not None else ("near", 0.0)
            return self._copy_of(key, known, method, measured)
        best = self._near_canonical(key)
        if best is not None:
            canonical, measured = best
            return self._copy_of(key, canonical, "near", measured)
        entry = Entry(now, key.id, key.content_hash, key.id, key=key._replace(members=()))
        return StreamDecision(None, entry)

    def _copy_of(self, key: DedupKey, known: Entry, method: str, measured: float) -> StreamDecision:
        if known.key is None and method == "exact":  # an exact copy of a copy: that copy's relation
            method, measured = known.method, known.similarity
        canonical_id = known.canonical_id
        entry = Entry(known.seen_at, key.id, key.content_hash, canonical_id, method, measured)
        return StreamDecision(Decision(canonical_id, method, measured, 0, key.date), entry)

    def _near_canonical(self, key: DedupKey) -> Optional[tuple[Entry, float]]:
        if self.hasher is None or not key.signature or is_empty_signature(key.signature):
            return None
        candidates = sorted({c for band in self.hasher.band_keys(key.signature) for c in self.bands.get(band, ())})
        if not candidates:
            return None
        entries = [self.canonicals[c] for c in candidates]
        own = np.frombuffer(key.signature, dtype="<u4")[np.newaxis, :]
        matrix = np.stack([np.frombuffer(e.key.signature, dtype="<u4") for e in entries])
        sizes = np.array([e.key.shingles for e in entries], dtype=np.int64)
        jaccard, contained = pair_measures(np.broadcast_to(own, matrix.shape), matrix,
                                           np.full(len(entries), key.shingles), sizes, self.params,
                                           [key.exact] * len(entries), [e.key.exact for e in entries])
        folding = []
        for entry, j, c, size in zip(entries, jaccard.tolist(), contained.tolist(), sizes.tolist()):
            # batch's `_folds_into`: a near copy of the canonical, or shorter and contained in it
            if j >= self.params.threshold or (key.shingles <= size and c >= self.params.containment):
                folding.append((entry.key.order, entry.id, entry, round(j, 4)))
        if not folding:
            return None
        _, _, entry, measured = min(folding, key=lambda f: (f[0], f[1]))
        return entry, measured

    def state_bytes(self) -> int:
        """Bytes of the live entries as the Bag stores them (pickled)."""
        return sum(len(pickle.dumps(e, protocol=pickle.HIGHEST_PROTOCOL)) for e in self.live_entries())


def seed_entries(keys: Iterable[DedupKey], seen_at: float) -> list[Entry]:
    """Index entries (`dedup_index.read_index_file`, prior keys) -> entries remembered from
    `seen_at`: a batch run's canonicals with their fingerprints, its copies by id and hash."""
    entries = []
    for key in keys:
        if key.canonical_id == key.id:
            entries.append(Entry(seen_at, key.id, key.content_hash, key.id, key=key._replace(members=())))
        else:
            entries.append(Entry(seen_at, key.id, key.content_hash, key.canonical_id, "exact", 1.0))
    return entries


DEDUP_KEY = "dedup"  # the decider's one state key
_CACHES: dict[str, tuple[int, "StreamDedupState"]] = {}


class StreamDedupFn(beam.DoFn):
    """(DEDUP_KEY, (DedupKey, payload)) -> ('article', payload) or ('duplicate', (payload,
    Decision)), in arrival order, with the input's timestamp (so each keeps its window)."""

    ENTRIES = BagStateSpec("entries", PickleCoder())
    VERSION = ReadModifyWriteStateSpec("version", VarIntCoder())

    def __init__(self, options: DedupOptions, near: bool, horizon_s: float, index: Optional[str] = None):
        self.token = uuid.uuid4().hex  # names this step's cache in a worker process
        self.params = options.minhash() if near else None
        self.index_params = options.minhash()
        self.horizon_s = horizon_s
        self.index, self.retention_days = index, options.retention_days

    def _seed(self) -> list[DedupKey]:
        """The entries of a batch run's dedup index (`--dedup-index`) within its retention."""
        from transforms.dedup_index import _index_files, read_index_file

        if not self.index:
            return []
        return [key for url in _index_files(self.index, self.retention_days)
                for key in read_index_file(url, self.index_params)]

    @property
    def cache(self) -> Optional[tuple[int, StreamDedupState]]:
        # Kept per process, not per DoFn instance: a runner may deserialize a fresh instance for
        # every bundle (the local BundleBasedDirectRunner does), and rebuilding from the Bag each
        # time would cost O(entries) per bundle. The version check keeps it honest either way.
        return _CACHES.get(self.token)

    @cache.setter
    def cache(self, value) -> None:
        _CACHES[self.token] = value

    def setup(self):
        self.duplicates = Metrics.counter("newsbeam", "duplicates")
        self.state_entries = Metrics.gauge("newsbeam", "stream_dedup_entries")

    def _state(self, entries_state, version_state, now: float) -> tuple[int, StreamDedupState]:
        version = version_state.read() or 0
        if self.cache is not None and self.cache[0] == version:
            return self.cache
        if version == 0 and self.index:  # first arrival: remember the seeded index entries
            for entry in seed_entries(self._seed(), now):
                entries_state.add(entry)
            version = 1
            version_state.write(version)
        self.cache = (version, StreamDedupState(self.params, self.horizon_s, entries_state.read()))
        return self.cache

    def process(self, element, entries=beam.DoFn.StateParam(ENTRIES), version=beam.DoFn.StateParam(VERSION),
                timestamp=beam.DoFn.TimestampParam):
        started = time.thread_time()  # this thread's CPU: other threads of the runner do not count
        _, (key, payload) = element
        now = float(timestamp)
        number, state = self._state(entries, version, now)
        decided = state.decide(key, now)
        state.remember(decided.entry)
        entries.add(decided.entry)
        number += 1
        if state.expired > max(1000, len(state.by_id)):  # rewrite the Bag without expired entries
            entries.clear()
            for entry in state.live_entries():
                entries.add(entry)
            state.expired = 0
        version.write(number)
        self.cache = (number, state)
        self.state_entries.set(len(state.by_id))
        # state_us: CPU time in this step (state read, decision, state write), to see it stay flat
        # as the state grows (bench/bench_stream.py)
        state_us = int((time.thread_time() - started) * 1e6)
        if decided.decision is None:
            progress.add("dedup", decisions=1, state_us=state_us)
            yield "article", payload
        else:
            self.duplicates.inc()
            progress.add("dedup", decisions=1, copies=1, state_us=state_us)
            yield "duplicate", (payload, decided.decision)
