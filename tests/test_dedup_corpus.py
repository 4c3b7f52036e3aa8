"""Near-dedup on real BBC text (skipped when ../shared/data is absent)."""

from __future__ import annotations

import collections
import hashlib
import os
from pathlib import Path

import pytest

from transforms.minhash import near_duplicate_clusters

BBC = Path(os.environ.get("NEWSBEAM_DATA", Path(__file__).resolve().parents[2] / "shared" / "data")) / "bbc"
pytestmark = [pytest.mark.corpus,
              pytest.mark.skipif(not BBC.is_dir(), reason="../shared/data/bbc not present")]


def read(rel: str) -> str:
    return (BBC / rel).read_bytes().decode("utf-8", errors="replace").split("\n", 1)[1]


def test_bbc_same_story_pair_is_one_cluster_and_other_tech_stories_are_not():
    names = ["tech/009.txt", "tech/379.txt"] + [f"tech/{i:03d}.txt" for i in range(10, 40)]
    bodies = {n: read(n) for n in names if (BBC / n).exists()}
    if "tech/379.txt" not in bodies:
        pytest.skip("this copy of the BBC corpus lacks tech/379.txt")
    clusters = near_duplicate_clusters(bodies)
    assert ["tech/009.txt", "tech/379.txt"] in clusters
    assert all(len(c) == 2 or "tech/009.txt" not in c for c in clusters)


def test_bbc_byte_identical_files_cluster_together():
    files = sorted((BBC / "business").glob("*.txt"))
    groups = collections.defaultdict(list)
    for path in files:
        groups[hashlib.sha256(path.read_bytes()).hexdigest()].append(str(path.relative_to(BBC)))
    identical = [g for g in groups.values() if len(g) > 1]
    if not identical:
        pytest.skip("no byte-identical files among the business articles")
    clusters = near_duplicate_clusters({str(p.relative_to(BBC)): read(str(p.relative_to(BBC))) for p in files})
    member_of = {m: tuple(c) for c in clusters for m in c}
    for group in identical:
        assert len({member_of.get(m) for m in group}) == 1 and member_of.get(group[0]) is not None, group
