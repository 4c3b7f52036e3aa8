"""Dedup rules: which record is a copy of which, as plain Python (no Beam).

The one place the fold rules live; the batch graph's packed shuffles (`transforms/dedup_shuffle.py`)
and the streaming graph's keyed state (`transforms/dedup_stream.py`) both decide with these
functions, so the two modes fold the same records the same way.

What counts as a copy:
- exact: two records with the same `content_hash` (the same body once case, punctuation,
  whitespace and site furniture are ignored), e.g. the same file read twice;
- same id, other body: two records with the same `id` (the same canonical URL) whose bodies differ
  (a story corrected and re-published at its URL) still give one article row per id: the copy
  that `canonical_rank` puts first is the article (in a stream: the version that arrived first,
  because a committed row is never rewritten), the other is a `duplicates` row with method `near`
  and the real Jaccard of the two bodies (0.0 when near dedup is off and no fingerprint exists),
  never `exact` / 1.0;
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
"""

from __future__ import annotations

import dataclasses
from typing import Iterable, NamedTuple, Optional

from transforms.minhash import (
    MinHasher,
    MinHashParams,
    estimate_jaccard,
    exact_set_jaccard,
    near_duplicate_groups,
    resolve_clusters,
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
    # where this run's entries are written (None: `index`); an incremental run writes them beside
    # its other pending output and its commit moves them into `index` (pipeline/incremental.py)
    index_output: Optional[str] = None

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
    copy: bool = False  # for prior keys: that run made it a `duplicates` row (not the article row)

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
    if not copy.signature or len(copy.signature) != len(canonical.signature):
        return 0.0  # no fingerprint to measure (near dedup off)
    return estimate_jaccard(copy.signature, canonical.signature)


PRIOR_PREFIX = "index:"  # record keys of index entries, so they never collide with this run's


def _without_reprocessed(keys: list[DedupKey]) -> list[DedupKey]:
    """Index entries of records this run reads again are replaced by the new reading, and so are
    the entries of earlier copies folded into such a record (`_orphans`)."""
    fresh = {k.record_key for k in keys if not k.prior}
    kept = [k for k in keys if not (k.prior and k.record_key[len(PRIOR_PREFIX):] in fresh)]
    orphans = _orphans(kept)
    return [k for k in kept if k.record_key not in orphans] if orphans else kept


def _orphans(keys: Iterable[DedupKey]) -> set[str]:
    """Record keys of earlier copies whose canonical article is read again by this run: an entry
    folded into id X when this run has a record of id X and no earlier entry of X's article row is
    left (its file changed, and the new version supersedes its rows: `pipeline/incremental.py`).
    The new reading, not the copy, then stands for X; the copy's `duplicates` row still names X."""
    keys = list(keys)
    fresh_ids = {k.id for k in keys if not k.prior}
    standing = {k.id for k in keys if k.prior and not k.copy}
    return {k.record_key for k in keys
            if k.prior and k.copy and k.canonical_id in fresh_ids and k.canonical_id not in standing}


def fold_group(keys: Iterable[DedupKey]) -> DedupKey:
    """A group of keys sharing an id or a content hash -> its canonical key, carrying every other
    copy (and theirs) as members: `exact` / 1.0 when the bodies agree (same content hash), else
    `near` with the measured Jaccard (`relation`)."""
    ordered = sorted(_without_reprocessed(list(keys)), key=lambda k: k.order)
    canonical, others = ordered[0], ordered[1:]
    members = list(canonical.members)
    for other in others:
        method, measured = relation(other, canonical)
        if not other.prior:  # an earlier run's record is not emitted again
            members.append(Member(other.record_key, other.id, method, measured, other.date))
        if method == "exact":
            members.extend(other.members)
        else:
            members.extend(m._replace(method="near", similarity=measured) for m in other.members)
    return canonical._replace(members=tuple(members))


def relation(copy: DedupKey, canonical: DedupKey) -> tuple[str, float]:
    """(method, similarity) of a copy folded into a canonical it shares an id or content hash with:
    exact copies are only those whose bodies agree."""
    if copy.content_hash == canonical.content_hash:
        return "exact", 1.0
    return "near", round(similarity(copy, canonical), 4)


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



def fold_groups(keys: Iterable[DedupKey], attribute: str) -> Iterable[DedupKey]:
    groups: dict[str, list] = {}
    for key in keys:
        groups.setdefault(getattr(key, attribute), []).append(key)
    for group in groups.values():
        yield group[0] if len(group) == 1 else fold_group(group)



def near_decisions(keys: dict[int, DedupKey], edges: list[tuple[int, int, float]],
                   params: MinHashParams) -> Iterable[tuple[str, Decision]]:
    """Keys by record number and their verified edges -> the decisions of every key, clusters
    folded by `resolve_clusters`."""
    orphans = _orphans(keys.values())
    if orphans:
        keys = {n: k for n, k in keys.items() if k.record_key not in orphans}
        edges = [edge for edge in edges if edge[0] in keys and edge[1] in keys]
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



def exact_survivors(keys: Iterable[DedupKey]) -> list[DedupKey]:
    """Exact dedup in memory: the keys folded by id, then by content hash (`fold_group`)."""
    for attribute in ("id", "content_hash"):
        keys = list(fold_groups(keys, attribute))
    return list(keys)


def near_survivors(keys: Iterable[DedupKey], params: MinHashParams) -> list[DedupKey]:
    """Near dedup in memory, on the cores of the Beam path (`near_duplicate_groups`)."""
    keys = list(keys)
    orphans = _orphans(keys)
    keys = [k for k in keys if k.record_key not in orphans]
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
