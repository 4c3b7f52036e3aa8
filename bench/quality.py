"""Dedup quality against the corpus ground truth: copies missed, distinct articles dropped.

A group is one distinct article and its planted copies (`bench/corpus.py`). For a tool's
output (the records it kept):
- `copies_missed`: records kept beyond one per group, split by the kind of the extra copy
  (`exact` / `near`; when a group's original was dropped, one kept copy stands in for it);
- `distinct_dropped`: groups none of whose records was kept. Each is checked against the kept
  articles that share a paragraph with it: when one of them has word 5-shingle Jaccard >= 0.5
  (the similarity near-dedup tools are asked to fold) or contains >= 80% of its shingles (a short
  article made mostly of a paragraph another article also carries), the dropped article is a real
  copy that the generator did not plant (`real_copy`), otherwise the tool dropped a distinct
  article (`error`). Both figures are reported for the first error examples.
"""

from __future__ import annotations

import collections
import gzip
import json
import re
from pathlib import Path
from typing import Iterable, Optional

from bench.corpus import DEFAULT_DATA, jaccard, load_pools, shingles

_RECORD = re.compile(r"/a(\d+)(?:\.txt)?(?:#.*)?$")
REAL_COPY_JACCARD = 0.5
REAL_COPY_CONTAINMENT = 0.8


def record_index(key: Optional[str]) -> Optional[int]:
    """The corpus record number in a URL (`…/a123`) or a file URI (`…/a123.txt`)."""
    if not key:
        return None
    match = _RECORD.search(key)
    return int(match.group(1)) if match else None


def load_truth(corpus: Path) -> list[dict]:
    with gzip.open(corpus / "truth.jsonl.gz", "rt", encoding="utf-8") as handle:
        return [json.loads(line) for line in handle]


def kept_from_parquet(output: str) -> set[int]:
    """Record numbers of the articles newsbeam (or the floor) wrote under OUT/articles/."""
    import pyarrow.parquet as pq

    kept = set()
    for path in Path(output, "articles").rglob("*.parquet"):
        table = pq.read_table(path, columns=["url", "source_uri"])
        for url, uri in zip(table.column("url").to_pylist(), table.column("source_uri").to_pylist()):
            i = record_index(url)
            kept.add(i if i is not None else record_index(uri))
    kept.discard(None)
    return kept


def evaluate(truth: list[dict], kept: Iterable[int], data: Path = DEFAULT_DATA) -> dict:
    kept = set(kept)
    groups: dict[int, list[dict]] = collections.defaultdict(list)
    for row in truth:
        groups[row["group"]].append(row)
    missed = collections.Counter()
    dropped: list[dict] = []
    for members in groups.values():
        survivors = [m for m in members if m["i"] in kept]
        if not survivors:
            dropped.append(next(m for m in members if m["kind"] == "original"))
            continue
        extra = sorted(survivors, key=lambda m: (m["kind"] != "original", m["kind"] != "exact"))[1:]
        for m in extra:
            missed[m["kind"] if m["kind"] != "original" else "exact"] += 1
    real, errors, examples = _classify_dropped(dropped, truth, kept, data)
    return {
        "records": len(truth),
        "groups": len(groups),
        "kept": len(kept),
        "copies_planted": {"exact": sum(r["kind"] == "exact" for r in truth),
                           "near": sum(r["kind"] == "near" for r in truth)},
        "copies_missed": {"exact": missed["exact"], "near": missed["near"],
                          "total": missed["exact"] + missed["near"]},
        "distinct_dropped": {"total": len(dropped), "real_copy": real, "error": errors},
        "dropped_error_examples": examples,
    }


def _classify_dropped(dropped: list[dict], truth: list[dict], kept: set[int], data: Path):
    if not dropped:
        return 0, 0, []
    pools = load_pools(data)
    by_para: dict[int, list[dict]] = collections.defaultdict(list)
    for row in truth:
        if row["i"] in kept:
            for p in row["para_ids"]:
                if p >= 0:
                    by_para[p].append(row)

    def text(row):
        return "\n\n".join(pools.paragraphs[p] for p in row["para_ids"] if p >= 0)

    real = errors = 0
    examples = []
    for row in dropped:
        mine = shingles(text(row))
        best_j, best_c = 0.0, 0.0
        candidates = {c["i"]: c for p in row["para_ids"] for c in by_para.get(p, ())}
        for other in candidates.values():
            theirs = shingles(text(other))
            best_j = max(best_j, jaccard(mine, theirs))
            best_c = max(best_c, len(mine & theirs) / max(len(mine), 1))
        if best_j >= REAL_COPY_JACCARD or best_c >= REAL_COPY_CONTAINMENT:
            real += 1
        else:
            errors += 1
            if len(examples) < 5:
                examples.append({"i": row["i"], "words": row["words"], "best_jaccard": round(best_j, 3),
                                 "best_containment": round(best_c, 3)})
    return real, errors, examples
