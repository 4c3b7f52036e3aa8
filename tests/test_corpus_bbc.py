"""The BBC corpus end to end: every set of byte-identical files becomes one article + duplicates."""

from __future__ import annotations

import hashlib
from collections import defaultdict

from tests.conftest import read_table, shared_data


def test_bbc_corpus_folds_every_byte_identical_group(tmp_path, run_newsbeam):
    bbc = shared_data("bbc")
    files = sorted(bbc.glob("*/*.txt"))
    code, manifest = run_newsbeam(f"{bbc}/*/*.txt", tmp_path / "out")
    assert code == 0
    counts = manifest["counts"]
    assert counts["files_matched"] == counts["records_in"] == len(files)
    assert manifest["balanced"] and counts["dead_letter"] == 0

    articles = read_table(tmp_path / "out", "articles").to_pylist()
    duplicates = read_table(tmp_path / "out", "duplicates").to_pylist()
    canonical_of = {a["source_uri"]: a["id"] for a in articles}
    canonical_of.update({d["source_uri"]: d["canonical_id"] for d in duplicates})
    article_ids = {a["id"] for a in articles}
    assert len(canonical_of) == len(files)

    groups = defaultdict(list)
    for path in files:
        groups[hashlib.sha256(path.read_bytes()).hexdigest()].append(path)
    identical = [g for g in groups.values() if len(g) > 1]
    assert identical, "the BBC corpus is known to hold byte-identical files"
    for group in identical:
        uris = [next(u for u in canonical_of if u.endswith(str(p.relative_to(bbc.parent)))) for p in group]
        targets = {canonical_of[u] for u in uris}
        assert len(targets) == 1, f"copies of one text went to different articles: {uris}"
        assert targets <= article_ids
        assert sum(u in {a["source_uri"] for a in articles} for u in uris) <= 1
    assert len(duplicates) >= sum(len(g) - 1 for g in identical)
    # Every story's first line is its headline: the title, never lost ("'My memories of Marley...'",
    # "iTunes now selling Band Aid song" were untitled). One opens with an HTML entity the plain
    # text keeps ("&#163;1.8m indecency fine for Viacom"): no title, and the line stays in the body.
    by_uri = {a["source_uri"]: a for a in articles}
    untitled = []
    for path in files:
        uri = next((u for u in by_uri if u.endswith(str(path.relative_to(bbc.parent)))), None)
        if uri is None:
            continue  # folded into another article
        data = path.read_bytes()
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:  # sport/199.txt
            text = data.decode("latin-1")
        headline = text.split("\n", 1)[0].strip()
        article = by_uri[uri]
        if article["title"] is None:
            untitled.append(headline)
            assert article["body"].startswith(headline)
        else:
            assert article["title"] == headline
    assert untitled == ["&#163;1.8m indecency fine for Viacom"]
    # The Latin-1 file keeps its pound sign.
    latin1 = next(a for a in articles + duplicates if a["source_uri"].endswith("sport/199.txt"))
    if "body" in latin1:
        assert "£" in latin1["body"]
