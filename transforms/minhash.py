"""MinHash + LSH for near-duplicate articles: the plain-Python core, free of Beam.

What it promises:
- `shingles(body, k)`: the set of hashed word k-shingles of a body after Unicode (NFKC) and case
  folding, with punctuation ignored and a leading wire dateline ("LONDON (Reuters) -") dropped,
  so that copies that only differ in those do not look different.
- `MinHasher.signature(body)`: a `num_perm = bands * rows` MinHash signature (uint32) of that
  set; the fraction of equal positions of two signatures estimates their Jaccard similarity
  (`estimate_jaccard`), with a standard error of sqrt(J(1-J)/num_perm).
- `MinHasher.band_keys(signature)`: one 64-bit key per band; two articles share at least one key
  with probability 1 - (1 - J^rows)^bands, the LSH S-curve (`lsh_probability`).
- `MinHasher.fingerprint(body)`: signature, shingle count and, for bodies of up to
  `EXACT_SHINGLES` shingles, the shingle set itself (`exact_set`, 4 bytes a shingle), so that
  candidate pairs are verified on exact Jaccard and containment (`pair_measures`), not on the
  estimate.
- `star_edges` (candidate edges of LSH buckets), `verify_edges`, `resolve_clusters` (clusters
  that do not chain): the cores of near dedup on packed arrays of 64-bit record numbers
  (`record_number`), used both by the Beam composite in `transforms/dedup.py` (per shard) and
  by `near_duplicate_groups` / `near_duplicate_clusters` (everything in memory: the tests and the
  no-Beam benchmark floor), so both give the same clusters. `candidate_pairs`, `verified_pairs`
  and `bucket_edges` are the same ideas on names, kept for small callers.

Speed: each word is hashed once (xxh64); k-shingle hashes are combined from the word hashes
with vectorised numpy arithmetic and re-mixed; the `num_perm` permutations are one
multiply-add over a (num_perm x shingles) uint64 matrix. See `bench/bench_dedup.py` for the
signatures/s measured against datasketch.

Signatures depend only on the text and the parameters (shingle size, num_perm, seed): they are
stable across processes, machines and runs, so they can be stored in a cross-run index.
"""

from __future__ import annotations

import functools
import math
import re
import unicodedata
from dataclasses import dataclass
from typing import Iterable, NamedTuple, Optional, Sequence

import numpy as np
import xxhash

_WORD = re.compile(r"\w+", re.UNICODE)

# A leading dateline as wire copies print it: "LONDON (Reuters) - ", "SALVADOR, Feb 26 - ",
# "NEW YORK, March 3 (AP) — ". Only at the very start, only capitalised place names.
_LEADING_DATELINE = re.compile(
    r"^\s*[A-Z][A-Za-z.'\- ]{1,40}?(?:,\s*[A-Z][A-Za-z.]{1,12}\.?\s*\d{0,2}(?:,\s*\d{4})?)?"
    r"\s*(?:\((?:[A-Za-z.&/ -]{1,30})\))?\s*[-\u2013\u2014]{1,2}\s+"
)

_WEB_ADDRESS = re.compile(r"\w\.[a-z]{2,}\b")

_MASK64 = np.uint64(0xFFFFFFFFFFFFFFFF)
_MERSENNE_61 = (1 << 61) - 1


def strip_leading_dateline(body: str) -> str:
    """The body without a wire dateline at its very start (when the cleaner left one)."""
    head = body[:120]
    match = _LEADING_DATELINE.match(head)
    if not match:
        return body
    prefix = match.group(0)
    # An all-lowercase run is a sentence, not a place name; a web address ("USATODAY.com - ") is
    # a feed's credit, not a dateline (the dateline parser finds none there either).
    letters = [c for c in prefix if c.isalpha()]
    if not letters or sum(c.isupper() for c in letters) < 2 or _WEB_ADDRESS.search(prefix):
        return body
    return body[match.end():]


def words(body: str) -> list[str]:
    """Normalised words of a body: NFKC, case-folded, punctuation and dateline dropped."""
    text = strip_leading_dateline(body)
    if not text.isascii():  # NFKC is the identity on ASCII, and costs as much as the rest
        text = unicodedata.normalize("NFKC", text)
    return _WORD.findall(text.casefold())


def _mix64(x: np.ndarray) -> np.ndarray:
    """splitmix64 finaliser: spreads a linear combination of word hashes over all 64 bits."""
    x = x ^ (x >> np.uint64(30))
    x = x * np.uint64(0xBF58476D1CE4E5B9)
    x = x ^ (x >> np.uint64(27))
    x = x * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


def _word_hashes(tokens: Sequence[str], seed: int) -> np.ndarray:
    digest = xxhash.xxh64_intdigest
    return np.fromiter((digest(token.encode("utf-8"), seed) for token in tokens),
                       dtype=np.uint64, count=len(tokens))


@functools.lru_cache(maxsize=64)
def _position_multipliers(k: int, seed: int) -> np.ndarray:
    # Position j of a shingle gets its own odd multiplier, so "a b" and "b a" differ.
    rng = np.random.default_rng(seed + 7919 * k)
    return rng.integers(1, 1 << 63, size=k, dtype=np.uint64) | np.uint64(1)


def shingle_hashes(tokens: Sequence[str], k: int, seed: int = 1) -> np.ndarray:
    """Sorted unique 64-bit hashes of the word k-shingles (the whole text when shorter than k)."""
    if not tokens:
        return np.empty(0, dtype=np.uint64)
    hashed = _word_hashes(tokens, seed)
    k = max(1, min(k, len(hashed)))
    n = len(hashed) - k + 1
    multipliers = _position_multipliers(k, seed)
    with np.errstate(over="ignore"):
        combined = np.zeros(n, dtype=np.uint64)
        for j in range(k):
            combined += hashed[j:j + n] * multipliers[j]
        return np.unique(_mix64(combined))


@dataclass(frozen=True)
class MinHashParams:
    """Shingle size, LSH bands x rows and the verification rule.

    Defaults measured on the syndication benchmark and its 70%-trim variant (`make eval`,
    `bench/eval_dedup.py`): word 5-shingles keep the hard negatives (templated wire reports
    under one title) at Jaccard <= 0.45 where 3-shingles reach 0.62; 42 x 3 bands (S-curve
    midpoint ~0.29) find heavily trimmed copies that 32 x 4 misses; threshold 0.5 rather than
    0.4 keeps a margin over those negatives for ~0.001 of F1; containment 0.8 folds copies cut
    to their lead paragraphs (F1 on the 70%-trim variant 0.945 -> 0.989 with clusters as connected
    components; 0.972 with clusters that do not chain, verified on the MinHash estimate with
    `CONTAINMENT_MARGIN` = 1 standard error; 0.985 once pairs of bodies up to `EXACT_SHINGLES`
    are verified on their exact shingle sets, with syndication F1 0.9976 and precision 1.000). At
    400k `make bench` articles, distinct articles wrongly dropped: 13 on the estimate with a
    margin of 0.5, 5 with 1, 0 with exact verification."""

    shingle_size: int = 5
    bands: int = 42
    rows: int = 3
    threshold: float = 0.5
    containment: float = 0.8
    seed: int = 1

    def __post_init__(self):
        if self.shingle_size < 1:
            raise ValueError(f"shingle size must be at least 1 word, got {self.shingle_size}")
        if self.bands < 1 or self.rows < 1:
            raise ValueError(f"MinHash needs at least one band of one row, got {self.bands} x {self.rows}")
        if self.bands * self.rows > 1024:
            raise ValueError(f"bands x rows = {self.bands * self.rows} permutations is too many (at most 1024)")
        if not 0.0 < self.threshold <= 1.0:
            raise ValueError(f"near-duplicate threshold must be in (0, 1], got {self.threshold}")
        if not 0.0 < self.containment:
            raise ValueError(f"near-duplicate containment must be above 0 (above 1 turns the rule off), "
                             f"got {self.containment}")

    @property
    def num_perm(self) -> int:
        return self.bands * self.rows


def lsh_probability(jaccard: float, bands: int, rows: int) -> float:
    """Probability that two sets with this Jaccard similarity share at least one band key."""
    return 1.0 - (1.0 - jaccard ** rows) ** bands


class Fingerprint(NamedTuple):
    signature: bytes  # uint32[num_perm], little-endian
    shingles: int  # distinct shingles of the body
    exact: bytes  # `exact_set` of the shingles; empty above `EXACT_SHINGLES`


# Bodies with at most this many distinct shingles (~4,000 words; 99.9% of the benchmark's
# articles have under 1,000) carry their shingle set, so that pairs of them are verified on their
# exact Jaccard and containment instead of the MinHash estimate (standard error ~0.045 at
# Jaccard 0.5 with 126 permutations: at 400k articles, a handful of distinct pairs at true Jaccard
# 0.43-0.48 passed 0.5 on the estimate). Longer bodies fall back to the estimate.
EXACT_SHINGLES = 4096


def exact_set(hashes: np.ndarray) -> bytes:
    """The shingle set (`shingle_hashes`: sorted distinct uint64) as sorted distinct uint32, the
    high 32 bits of each hash (still sorted: no second sort), little-endian bytes; b"" for an
    empty body or one of over `EXACT_SHINGLES` shingles. Two distinct shingles of a pair of
    bodies share 32 bits with odds ~|A| |B| / 2^32 (2e-4 for two 1,000-shingle bodies): at most
    one shingle off, far inside any threshold's margin."""
    if hashes.size == 0 or hashes.size > EXACT_SHINGLES:
        return b""
    high = (hashes >> np.uint64(32)).astype("<u4")
    if high.size > 1:
        high = high[np.concatenate(([True], high[1:] != high[:-1]))]
    return high.tobytes()


class MinHasher:
    """Signatures and band keys for one parameter set; cheap to build, picklable."""

    def __init__(self, params: MinHashParams = MinHashParams()):
        self.params = params
        rng = np.random.default_rng(params.seed)
        # Universal hashing a*x + b (mod 2^64), keeping the high 32 bits: one row per permutation.
        self._a = (rng.integers(1, 1 << 63, size=(params.num_perm, 1), dtype=np.uint64) << np.uint64(1)) | np.uint64(1)
        self._b = rng.integers(0, 1 << 63, size=(params.num_perm, 1), dtype=np.uint64)

    def __reduce__(self):
        return (MinHasher, (self.params,))

    def signature_of_hashes(self, hashes: np.ndarray) -> np.ndarray:
        if hashes.size == 0:
            return np.full(self.params.num_perm, 0xFFFFFFFF, dtype=np.uint32)
        with np.errstate(over="ignore"):
            permuted = self._a * hashes[np.newaxis, :]
            permuted += self._b
        # The high 32 bits of the least value: a shift keeps the order, so it is taken after the min.
        return (permuted.min(axis=1) >> np.uint64(32)).astype(np.uint32)

    def signature(self, body: str) -> np.ndarray:
        """uint32[num_perm] MinHash of the body's word shingles (all 0xFFFFFFFF when it has no words)."""
        return self.signature_of_hashes(shingle_hashes(words(body), self.params.shingle_size, self.params.seed))

    def fingerprint(self, body: str) -> "Fingerprint":
        """The signature as little-endian bytes, the number of distinct shingles and, for bodies of
        at most `EXACT_SHINGLES` shingles, the shingle set itself (`exact_set`): what crosses shuffles."""
        hashes = shingle_hashes(words(body), self.params.shingle_size, self.params.seed)
        return Fingerprint(self.signature_of_hashes(hashes).astype("<u4").tobytes(), int(hashes.size),
                           exact_set(hashes))

    def band_keys(self, signature: np.ndarray | bytes) -> list[int]:
        """One signed 64-bit key per band (band index folded in); none for an empty signature."""
        sig = as_signature(signature)
        if sig.size != self.params.num_perm:
            raise ValueError(f"signature has {sig.size} values, these parameters expect {self.params.num_perm}")
        if (sig == 0xFFFFFFFF).all():
            return []
        return [int(k) - (1 << 63) for k in self.band_key_matrix(sig[np.newaxis, :])[0]]

    def band_key_matrix(self, signatures: np.ndarray) -> np.ndarray:
        """uint64[n, bands]: the band keys of n signatures (uint32[n, num_perm]) at once.

        Each band's rows are mixed into one 64-bit value with the band index folded in, so equal
        keys mean equal rows in the same band (up to 64-bit collisions, which verification drops)."""
        n = signatures.shape[0]
        rows = signatures.astype(np.uint64).reshape(n, self.params.bands, self.params.rows)
        with np.errstate(over="ignore"):
            key = np.broadcast_to(self._band_seeds, (n, self.params.bands)).copy()
            for j in range(self.params.rows):
                key = _mix64(key ^ (rows[:, :, j] * self._row_multipliers[j]))
        return key

    @functools.cached_property
    def _band_seeds(self) -> np.ndarray:
        rng = np.random.default_rng(self.params.seed + 104729)
        return rng.integers(0, 1 << 63, size=self.params.bands, dtype=np.uint64)

    @functools.cached_property
    def _row_multipliers(self) -> np.ndarray:
        rng = np.random.default_rng(self.params.seed + 130363)
        return rng.integers(1, 1 << 63, size=self.params.rows, dtype=np.uint64) | np.uint64(1)


def as_signature(value: np.ndarray | bytes) -> np.ndarray:
    if isinstance(value, (bytes, bytearray, memoryview)):
        return np.frombuffer(value, dtype="<u4")
    return value


def estimate_jaccard(a: np.ndarray | bytes, b: np.ndarray | bytes) -> float:
    """Fraction of equal MinHash positions: an unbiased estimate of the Jaccard similarity."""
    sa, sb = as_signature(a), as_signature(b)
    if sa.size != sb.size or sa.size == 0:
        raise ValueError("signatures of different lengths cannot be compared")
    if (sa == 0xFFFFFFFF).all() or (sb == 0xFFFFFFFF).all():
        return 0.0
    return float(np.count_nonzero(sa == sb)) / sa.size


def estimate_containment(jaccard: float, size_a: int, size_b: int) -> float:
    """Share of the smaller shingle set found in the larger, from their Jaccard and sizes:
    |A n B| = J (|A| + |B|) / (1 + J)."""
    smaller = min(size_a, size_b)
    if smaller <= 0:
        return 0.0
    return min(1.0, jaccard * (size_a + size_b) / ((1.0 + jaccard) * smaller))


CONTAINMENT_MARGIN = 1.0  # standard errors taken off the Jaccard estimate before the containment rule


def jaccard_lower_bound(jaccard: float, num_perm: int) -> float:
    """The estimated Jaccard minus one standard error, sqrt(J(1-J)/num_perm), at least 0.

    The containment estimate multiplies the Jaccard estimate's error by (|A| + |B|) / |smaller|
    (x10 for a 60-shingle brief against a 600-shingle article), so the containment rule is applied
    to this bound: a brief sharing one paragraph with a long article (true containment ~0.35) no
    longer passes on a lucky Jaccard estimate of 0.09 against a true 0.04, while a lead cut to a
    third of its story (Jaccard ~0.33) still does."""
    return max(0.0, jaccard - CONTAINMENT_MARGIN * math.sqrt(jaccard * (1.0 - jaccard) / num_perm))


def _jaccard_lower_bounds(jaccard: np.ndarray, num_perm: int) -> np.ndarray:
    return np.maximum(0.0, jaccard - CONTAINMENT_MARGIN * np.sqrt(jaccard * (1.0 - jaccard) / num_perm))


def is_near_duplicate(jaccard: float, size_a: int, size_b: int, params: MinHashParams) -> bool:
    """The verification rule: Jaccard >= threshold, or the shorter body (a copy with its last
    paragraphs trimmed) contained in the longer at >= `containment` (estimated from
    `jaccard_lower_bound`, so that the rule does not fire on estimation noise). For bodies of equal size
    containment >= 0.8 means Jaccard >= 0.67, so the second rule only adds pairs of very
    different lengths. A `containment` above 1 turns the second rule off."""
    return jaccard >= params.threshold or (
        jaccard > 0.0 and estimate_containment(jaccard_lower_bound(jaccard, params.num_perm), size_a, size_b)
        >= params.containment)


def exact_jaccard(a: np.ndarray, b: np.ndarray) -> float:
    """Jaccard similarity of two sorted unique hash arrays (e.g. `shingle_hashes`)."""
    if a.size == 0 and b.size == 0:
        return 0.0
    inter = np.intersect1d(a, b, assume_unique=True).size
    return inter / (a.size + b.size - inter)


# --- the rest of the pipeline, in memory -------------------------------------------------------

def bucket_edges(members: Iterable[str]) -> list[tuple[str, str]]:
    """Candidate edges of one LSH bucket: a star from its smallest member to every other one.

    A star (m - 1 edges) instead of every pair (m^2 / 2) keeps a story carried by hundreds of
    outlets linear; connectivity is the same, and a copy missed by one star is caught by the star
    of another band.
    """
    ordered = sorted(set(members))
    return [(ordered[0], other) for other in ordered[1:]]


def candidate_pairs(band_keys: dict[str, list[int]]) -> set[tuple[str, str]]:
    """key -> band keys  =>  distinct candidate edges (a < b) from every shared bucket."""
    buckets: dict[int, list[str]] = {}
    for name, keys in band_keys.items():
        for key in keys:
            buckets.setdefault(key, []).append(name)
    edges: set[tuple[str, str]] = set()
    for members in buckets.values():
        if len(members) > 1:
            edges.update(bucket_edges(members))
    return edges


def verified_pairs(edges: Iterable[tuple[str, str]], signatures: dict[str, np.ndarray | bytes],
                   params: MinHashParams, sizes: dict[str, int] | None = None) -> list[tuple[str, str, float]]:
    """Candidate edges that pass `is_near_duplicate`, with their estimated Jaccard.

    Without `sizes` (shingles per body) only the Jaccard threshold applies."""
    out = []
    for a, b in sorted(edges):
        similarity = estimate_jaccard(signatures[a], signatures[b])
        if sizes is None:
            near = similarity >= params.threshold
        else:
            near = is_near_duplicate(similarity, sizes[a], sizes[b], params)
        if near:
            out.append((a, b, similarity))
    return out


def connected_components(edges: Iterable[tuple[str, str]]) -> dict[str, str]:
    """node -> the smallest node of its component (union-find; order-independent)."""
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        root = x
        while parent.setdefault(root, root) != root:
            root = parent[root]
        while parent[x] != root:  # path compression
            parent[x], x = root, parent[x]
        return root

    for a, b in edges:
        ra, rb = find(a), find(b)
        if ra != rb:
            if rb < ra:
                ra, rb = rb, ra
            parent[rb] = ra
    return {node: find(node) for node in list(parent)}


def record_number(name: str) -> int:
    """A record's 64-bit number (xxh64 of its key): what packed arrays carry instead of the key.

    Two of n records share a number with probability ~n^2 / 2^65 (4e-9 at 400k records); callers
    take records whose number is not unique out of near dedup rather than guess which is which."""
    return xxhash.xxh64_intdigest(name.encode("utf-8", "surrogatepass"))


def star_edges(keys: np.ndarray, nodes: np.ndarray) -> np.ndarray:
    """uint64[m, 2] distinct candidate edges (a < b) of LSH buckets given as parallel arrays of
    band keys and record numbers: per bucket (equal keys), a star from its smallest number to
    every other member (`bucket_edges` on numbers, vectorised). A bucket is whole in any subset of
    the entries that holds all entries with its key, so star edges of shards split by key add up
    to the star edges of everything."""
    if keys.size == 0:
        return np.empty((0, 2), dtype=np.uint64)
    order = np.lexsort((nodes, keys))
    k, n = keys[order], nodes[order]
    first = np.empty(k.size, dtype=bool)
    first[0] = True
    np.not_equal(k[1:], k[:-1], out=first[1:])
    hub = n[first][np.cumsum(first) - 1]
    spoke = ~first & (n != hub)
    return unique_pairs(np.stack([hub[spoke], n[spoke]], axis=1))


def unique_pairs(pairs: np.ndarray) -> np.ndarray:
    """The distinct rows of a uint64[m, 2] array, sorted."""
    if len(pairs) == 0:
        return np.empty((0, 2), dtype=np.uint64)
    p = pairs[np.lexsort((pairs[:, 1], pairs[:, 0]))]
    keep = np.ones(len(p), dtype=bool)
    keep[1:] = (p[1:] != p[:-1]).any(axis=1)
    return p[keep]


def exact_overlap(a: bytes, b: bytes) -> int:
    """Shingles two `exact_set`s share."""
    small, large = np.frombuffer(a, "<u4"), np.frombuffer(b, "<u4")
    if small.size > large.size:
        small, large = large, small
    if small.size == 0:
        return 0
    at = np.searchsorted(large, small)
    at[at == large.size] = 0
    return int(np.count_nonzero(large[at] == small))


def exact_set_jaccard(a: bytes, b: bytes) -> float:
    """Jaccard similarity of two `exact_set`s."""
    shared = exact_overlap(a, b)
    return shared / ((len(a) + len(b)) // 4 - shared)


def pair_measures(sig_a: np.ndarray, sig_b: np.ndarray, size_a: np.ndarray, size_b: np.ndarray,
                  params: MinHashParams, exact_a: Optional[Sequence[bytes]] = None,
                  exact_b: Optional[Sequence[bytes]] = None) -> tuple[np.ndarray, np.ndarray]:
    """(Jaccard, containment of the smaller body in the larger) of m pairs at once.

    Where both ends carry an `exact_set`, both are exact. Elsewhere the Jaccard is the MinHash
    estimate from the signatures (uint32[m, num_perm]) and the containment is estimated from
    `jaccard_lower_bound` and the shingle counts, so that the containment rule does not fire on
    estimation noise (the arithmetic of the scalar `is_near_duplicate`)."""
    jaccard = np.count_nonzero(sig_a == sig_b, axis=1) / sig_a.shape[1]
    total = size_a.astype(np.int64) + size_b.astype(np.int64)
    smaller = np.minimum(size_a, size_b).astype(np.int64)
    with np.errstate(divide="ignore", invalid="ignore"):
        low = _jaccard_lower_bounds(jaccard, params.num_perm)
        contained = np.where(smaller > 0, np.minimum(1.0, low * total / ((1.0 + low) * smaller)), 0.0)
    contained[jaccard <= 0.0] = 0.0
    if exact_a is not None and exact_b is not None:
        rows = np.array([i for i, (a, b) in enumerate(zip(exact_a, exact_b)) if a and b], dtype=np.int64)
        if rows.size:
            shared = np.array([exact_overlap(exact_a[i], exact_b[i]) for i in rows.tolist()], dtype=np.int64)
            _measured_exactly(jaccard, contained, rows, shared,
                              np.array([len(exact_a[i]) // 4 for i in rows.tolist()], dtype=np.int64),
                              np.array([len(exact_b[i]) // 4 for i in rows.tolist()], dtype=np.int64))
    return jaccard, contained


def _measured_exactly(jaccard: np.ndarray, contained: np.ndarray, rows: np.ndarray, shared: np.ndarray,
                      n_a: np.ndarray, n_b: np.ndarray) -> None:
    """Overwrite `rows` of the measures with the exact ones, from shared and set sizes."""
    jaccard[rows] = shared / (n_a + n_b - shared)
    contained[rows] = shared / np.minimum(n_a, n_b)


def verify_edges(sig_a: np.ndarray, sig_b: np.ndarray, size_a: np.ndarray, size_b: np.ndarray,
                 params: MinHashParams, exact_a: Optional[Sequence[bytes]] = None,
                 exact_b: Optional[Sequence[bytes]] = None) -> tuple[np.ndarray, np.ndarray]:
    """(Jaccard, passes the verification rule) of m edges at once (`pair_measures`: exact where
    both ends carry their shingle set, else estimated): Jaccard >= threshold, or the smaller body
    contained in the larger at >= containment."""
    jaccard, contained = pair_measures(sig_a, sig_b, size_a, size_b, params, exact_a, exact_b)
    return jaccard, (jaccard >= params.threshold) | (contained >= params.containment)


def folds_into(jaccard: float, copy_size: int, canonical_size: int, params: MinHashParams) -> bool:
    """May this copy fold into that canonical? When they are near copies of each other (Jaccard
    >= threshold), or when the copy is the shorter and contained in the canonical at >=
    `containment`. A longer body never folds into a shorter one by containment: its extra text
    is not in the canonical."""
    return jaccard >= params.threshold or (
        copy_size <= canonical_size and jaccard > 0.0
        and estimate_containment(jaccard_lower_bound(jaccard, params.num_perm), copy_size, canonical_size)
        >= params.containment)


def _folds_into(jaccard: np.ndarray, contained: np.ndarray, copy_size: np.ndarray, canonical_size: int,
                params: MinHashParams) -> np.ndarray:
    """`folds_into` for many copies of one canonical, from `pair_measures`."""
    return (jaccard >= params.threshold) | ((copy_size <= canonical_size) & (contained >= params.containment))


CANDIDATE_CANONICALS = 64  # per component: the most canonical group heads tried as its canonical


def resolve_clusters(edges: Iterable[tuple], sizes: dict, orders: dict, signatures: dict,
                     params: MinHashParams, exact: Optional[dict] = None) -> list[tuple]:
    """Verified near-duplicate edges -> clusters [(canonical, sorted members incl. canonical)].

    The no-chaining rule (the why is in `transforms/dedup.py`): each connected component only
    proposes a cluster. Jaccard edges (>= threshold) join mutual copies into groups; each group's
    most canonical member (smallest `orders` value, then node) is a candidate; the candidate that
    the most other members fold into (`folds_into`: near copy of it, or shorter and contained in
    it) is the canonical, ties going to the most canonical candidate (only the
    `CANDIDATE_CANONICALS` most canonical candidates are tried, which bounds the work on a huge
    component). Members that do not fold
    into it are taken out and clustered again, among themselves only, by the same rule. So every
    member is checked against the canonical itself: two texts never share a cluster only because
    both contain a third, and a longer text never folds into a shorter one by containment. Each
    component is resolved on its own from `edges`, `sizes`, `orders`, `signatures` and `exact`
    (node -> `exact_set`, optional: pairs that both carry one are measured exactly) of its nodes,
    so any split of whole components over workers gives the same clusters. Nodes must be
    mutually comparable (record numbers, names)."""
    exact = exact or {}
    live = sorted({(min(a, b), max(a, b)): j for a, b, j in edges}.items())
    clusters = []
    while live:
        component = connected_components(pair for pair, _ in live)
        group = connected_components(pair for pair, j in live if j >= params.threshold)
        members_of: dict = {}
        for node, root in component.items():
            members_of.setdefault(root, []).append(node)
        peeled = set()
        for root in sorted(members_of):
            members = sorted(members_of[root])
            heads: dict = {}  # Jaccard group -> its most canonical member
            for member in members:
                lead = group.get(member, member)
                if lead not in heads or (orders[member], member) < (orders[heads[lead]], heads[lead]):
                    heads[lead] = member
            matrix = np.stack([as_signature(signatures[m]) for m in members])
            size = np.array([sizes[m] for m in members], dtype=np.int64)
            sets = [exact.get(m, b"") for m in members]
            lengths = np.array([len(x) // 4 for x in sets], dtype=np.int64)
            flat = np.frombuffer(b"".join(sets), dtype="<u4")
            owner = np.repeat(np.arange(len(members)), lengths)
            best = None
            position = {m: i for i, m in enumerate(members)}
            for head in sorted(heads.values(), key=lambda n: (orders[n], n))[:CANDIDATE_CANONICALS]:
                i = position[head]
                jaccard, contained = pair_measures(matrix, np.broadcast_to(matrix[i], matrix.shape), size,
                                                   np.full(len(members), size[i]), params)
                if lengths[i]:  # members with a shingle set: shared shingles with the head's, all at once
                    own = np.frombuffer(sets[i], dtype="<u4")
                    at = np.searchsorted(own, flat)
                    at[at == own.size] = 0
                    shared = np.bincount(owner[own[at] == flat], minlength=len(members))
                    rows = np.flatnonzero(lengths > 0)
                    _measured_exactly(jaccard, contained, rows, shared[rows], lengths[rows],
                                      np.full(rows.size, lengths[i]))
                folds = _folds_into(jaccard, contained, size, size[i], params)
                folds[i] = False
                if best is None or folds.sum() > best[1].sum():
                    best = (head, folds)
            canonical, folds = best
            kept = [canonical] + [m for m, f in zip(members, folds) if f]
            peeled.update(m for m, f in zip(members, folds) if not f and m != canonical)
            if len(kept) > 1:
                clusters.append((canonical, sorted(kept)))
        live = [(pair, j) for pair, j in live if pair[0] in peeled and pair[1] in peeled]
    return sorted(clusters)


def is_empty_signature(signature) -> bool:
    sig = as_signature(signature)
    return sig.size == 0 or bool((sig == 0xFFFFFFFF).all())


def near_duplicate_groups(signatures: dict, sizes: dict, params: MinHashParams = MinHashParams(),
                          orders: dict | None = None, exact: dict | None = None) -> list[tuple[str, list[str]]]:
    """name -> signature, name -> shingle count (and optionally name -> `exact_set`)  =>
    [(canonical name, sorted member names)].

    The in-memory twin of the Beam `NearDedup`, on the same cores and the same record numbers:
    band keys -> `star_edges` -> `verify_edges` -> `resolve_clusters` (canonical: smallest
    `orders[name]`, default the name). Records whose number is not unique take no part."""
    hasher = MinHasher(params)
    number = {name: record_number(name) for name in signatures}
    counts: dict[int, int] = {}
    for value in number.values():
        counts[value] = counts.get(value, 0) + 1
    names = sorted(n for n, sig in signatures.items() if not is_empty_signature(sig))
    if not names:
        return []
    matrix = np.stack([as_signature(signatures[n]) for n in names])
    numbers = np.array([number[n] for n in names], dtype=np.uint64)
    edges = star_edges(hasher.band_key_matrix(matrix).ravel(), np.repeat(numbers, params.bands))
    unique = {number[n]: i for i, n in enumerate(names) if counts[number[n]] == 1}
    edges = [(int(a), int(b)) for a, b in edges if int(a) in unique and int(b) in unique]
    if not edges:
        return []
    ia = np.array([unique[a] for a, _ in edges])
    ib = np.array([unique[b] for _, b in edges])
    size = np.array([sizes[n] for n in names], dtype=np.int64)
    sets = [exact.get(n, b"") for n in names] if exact else None
    jaccard, near = verify_edges(matrix[ia], matrix[ib], size[ia], size[ib], params,
                                 [sets[i] for i in ia] if sets else None, [sets[i] for i in ib] if sets else None)
    verified = [(a, b, float(j)) for (a, b), j, ok in zip(edges, jaccard, near) if ok]
    name_of = {number[n]: n for n in names}
    order = orders or {}
    clusters = resolve_clusters(
        verified, {number[n]: sizes[n] for n in names},
        {number[n]: order.get(n, n) for n in names}, {number[n]: signatures[n] for n in names}, params,
        {number[n]: exact[n] for n in names if exact and exact.get(n)})
    return sorted((name_of[c], sorted(name_of[m] for m in members)) for c, members in clusters)


def near_duplicate_clusters(bodies: dict[str, str], params: MinHashParams = MinHashParams(),
                            orders: dict | None = None) -> list[list[str]]:
    """name -> body  =>  clusters (sorted lists of names, two or more) of near-duplicate bodies."""
    hasher = MinHasher(params)
    hashes = {name: shingle_hashes(words(body), params.shingle_size, params.seed) for name, body in bodies.items()}
    signatures = {name: hasher.signature_of_hashes(h) for name, h in hashes.items()}
    sizes = {name: int(h.size) for name, h in hashes.items()}
    exact = {name: exact_set(h) for name, h in hashes.items()}
    return sorted(members for _, members in near_duplicate_groups(signatures, sizes, params, orders, exact))
