"""The Dedup composite on Beam: exact and near copies folded, canonical rule, cross-run index."""

from __future__ import annotations

import datetime as dt
import json
import random

import apache_beam as beam
import pytest
from apache_beam.testing.test_pipeline import TestPipeline
from apache_beam.testing.util import assert_that, equal_to
from hypothesis import given, settings, strategies as st

from transforms.dedup import Dedup, DedupOptions, ExactDedup, index_partitions
from transforms.model import UTC, Article, stable_id
from transforms.text import content_fingerprint, count_words, fingerprint_and_count

VOCAB = [f"word{i}" for i in range(4000)]
NOW = dt.datetime(2024, 5, 1, tzinfo=UTC)


def story(seed: int, n_paragraphs: int = 8) -> list[str]:
    rng = random.Random(seed)
    return [" ".join(rng.choice(VOCAB) for _ in range(40)) + "." for _ in range(n_paragraphs)]


def article(uri: str, paragraphs: list[str], published: dt.datetime | None = None, title: str | None = None,
            date: str = "2024-05-01") -> Article:
    body = "\n\n".join(paragraphs)
    return Article(id=stable_id(uri), source_uri=uri, title=title, body=body, published_at=published,
                   ingested_at=NOW, content_hash=content_fingerprint(body), date=date)


def syndicated(paragraphs: list[str]) -> list[str]:
    """Last quarter trimmed, a dateline added, a typo fixed."""
    kept = paragraphs[: len(paragraphs) * 3 // 4]
    kept[0] = "LONDON (Reuters) - " + kept[0]
    kept[1] = kept[1].replace("word", "wrod", 1)
    return kept


def run_dedup(articles: list[Article], options: DedupOptions = DedupOptions(), check=None):
    """Run Dedup; `check(articles_pc, duplicates_pc)` adds assert_that calls."""
    with TestPipeline() as p:
        out = p | beam.Create(articles, reshuffle=False) | Dedup(options)
        check(out["articles"], out["duplicates"])


def summary(row):
    if isinstance(row, Article):
        return ("article", row.id, row.cluster_id, row.duplicate_count)
    return ("duplicate", row.id, row.canonical_id, row.method)


def test_syndicated_copy_folds_into_the_earliest_article():
    first = article("a.txt", story(1), published=dt.datetime(2024, 5, 1, 8, tzinfo=UTC))
    copy = article("b.txt", syndicated(story(1)), published=dt.datetime(2024, 5, 1, 9, tzinfo=UTC))
    other = article("c.txt", story(2))

    def check(arts, dups):
        assert_that(arts | "A" >> beam.Map(summary), equal_to([
            ("article", first.id, first.id, 1), ("article", other.id, other.id, 0)]), label="articles")
        assert_that(dups | "D" >> beam.Map(summary), equal_to([("duplicate", copy.id, first.id, "near")]),
                    label="duplicates")
        assert_that(dups | "S" >> beam.Map(lambda d: 0.5 <= d.similarity < 1.0), equal_to([True]),
                    label="similarity")

    run_dedup([copy, other, first], check=check)


def test_near_copy_similarity_is_the_exact_jaccard_of_the_two_bodies():
    from transforms.minhash import exact_jaccard, shingle_hashes, words

    first = article("a.txt", story(3), published=dt.datetime(2024, 5, 1, 8, tzinfo=UTC))
    copy = article("b.txt", syndicated(story(3)), published=dt.datetime(2024, 5, 1, 9, tzinfo=UTC))
    true = exact_jaccard(*(shingle_hashes(words(a.body), 5) for a in (copy, first)))
    assert 0.5 < true < 1.0

    def check(arts, dups):
        assert_that(dups | beam.Map(lambda d: (d.id, d.canonical_id, round(d.similarity, 3))),
                    equal_to([(copy.id, first.id, round(true, 3))]))

    run_dedup([copy, first], check=check)


def test_canonical_does_not_depend_on_input_order():
    rows = [article(f"{name}.txt", syndicated(story(7)) if name != "m" else story(7)) for name in "zmab"]
    # No times, same metadata: the smallest source_uri ("a.txt") is canonical.
    canonical = stable_id("a.txt")
    expected = [("article", canonical, canonical, 3)] + [
        ("duplicate", stable_id(f"{n}.txt"), canonical, m) for n, m in (("b", "exact"), ("m", "near"), ("z", "exact"))]
    for seed in (0, 1):
        shuffled = rows[:]
        random.Random(seed).shuffle(shuffled)

        def check(arts, dups):
            assert_that((arts, dups) | beam.Flatten() | beam.Map(summary), equal_to(expected))

        run_dedup(shuffled, check=check)


def test_exact_copy_of_a_near_copy_names_the_cluster_canonical():
    first = article("1.txt", story(3), published=dt.datetime(2024, 5, 1, tzinfo=UTC))
    near = article("2.txt", syndicated(story(3)))
    exact = article("3.txt", syndicated(story(3)))

    def check(arts, dups):
        assert_that(arts | "A" >> beam.Map(summary), equal_to([("article", first.id, first.id, 2)]),
                    label="articles")
        assert_that(dups | "D" >> beam.Map(summary), equal_to([
            ("duplicate", near.id, first.id, "near"), ("duplicate", exact.id, first.id, "near")]),
            label="duplicates")

    run_dedup([exact, near, first], check=check)


def test_copy_cut_to_its_lead_paragraphs_folds_into_the_full_story():
    # 5 of 12 paragraphs: Jaccard ~0.41 < 0.5, contained 100%. (Story 8 drew a Jaccard estimate of
    # 0.31, 2.3 standard errors low, which the containment rule's margin now declines to trust.)
    full = article("full.txt", story(10, n_paragraphs=12), title="Full")
    lead = article("lead.txt", story(10, n_paragraphs=12)[:5])

    def check(arts, dups):
        assert_that(dups | beam.Map(summary), equal_to([("duplicate", lead.id, full.id, "near")]))

    run_dedup([lead, full], check=check)


def test_different_stories_on_the_same_subject_stay_apart():
    base = story(4)
    # Same template, every sentence's second half different: shares words, not passages.
    other = [" ".join(p.split()[:20] + story(40 + i)[0].split()[:20]) for i, p in enumerate(base)]
    rows = [article("x.txt", base, title="Same headline"), article("y.txt", other, title="Same headline")]

    def check(arts, dups):
        assert_that(dups, equal_to([]), label="no duplicates")

    run_dedup(rows, check=check)


def test_exact_dedup_alone_leaves_near_copies():
    rows = [article("a.txt", story(5)), article("b.txt", syndicated(story(5))), article("c.txt", story(5))]

    def check(arts, dups):
        assert_that(dups | beam.Map(lambda d: (d.id, d.method)), equal_to([(stable_id("c.txt"), "exact")]))

    with TestPipeline() as p:
        out = p | beam.Create(rows, reshuffle=False) | ExactDedup()
        check(out["articles"], out["duplicates"])


def test_options_reject_nonsense_with_a_sentence():
    with pytest.raises(ValueError, match="retention"):
        DedupOptions(retention_days=0)
    with pytest.raises(ValueError, match="threshold"):
        DedupOptions(threshold=0)


# --- cross-run index -----------------------------------------------------------------------------

def corpus() -> list[Article]:
    rows = []
    for s in range(6):
        rows.append(article(f"day1/{s}-orig.txt", story(100 + s), date="2024-05-01",
                            published=dt.datetime(2024, 5, 1, s, tzinfo=UTC)))
        rows.append(article(f"day1/{s}-copy.txt", syndicated(story(100 + s)), date="2024-05-01",
                            published=dt.datetime(2024, 5, 1, s, 30, tzinfo=UTC)))
        rows.append(article(f"day2/{s}-late.txt", syndicated(story(100 + s))[1:], date="2024-05-02",
                            published=dt.datetime(2024, 5, 2, s, tzinfo=UTC)))
        rows.append(article(f"day2/{s}-new.txt", story(200 + s), date="2024-05-02",
                            published=dt.datetime(2024, 5, 2, s, tzinfo=UTC)))
    return rows


def collect(rows: list[Article], options: DedupOptions, folder) -> set:
    """Run Dedup and return the summary of every output row (written to a file: matchers run on
    unpickled copies, so they cannot hand rows back)."""
    path = folder / f"rows-{len(list(folder.iterdir()))}.json"

    def check(arts, dups):
        (arts, dups) | beam.Flatten() | beam.Map(summary) | beam.combiners.ToList() \
            | beam.Map(lambda got: path.write_text(json.dumps(sorted(got))))

    run_dedup(rows, options, check=check)
    return {tuple(row) for row in json.loads(path.read_text())}


def test_two_runs_with_the_index_equal_one_run_over_everything(tmp_path):
    rows = corpus()
    index = str(tmp_path / "index")
    whole = collect(rows, DedupOptions(), tmp_path)
    assert sum(1 for row in whole if row[0] == "duplicate") == 12
    first = collect([r for r in rows if r.date == "2024-05-01"], DedupOptions(index=index), tmp_path)
    second = collect([r for r in rows if r.date == "2024-05-02"], DedupOptions(index=index), tmp_path)
    # Run 1's canonical articles keep the copies of run 1; run 2's late copies point at them.
    assert {(k, i, c) for k, i, c, _ in first | second} == {(k, i, c) for k, i, c, _ in whole}
    assert sum(1 for row in second if row[0] == "duplicate") == 6
    assert [p.rsplit("/", 1)[-1] for p in index_partitions(index, 365)[0]] == ["date=2024-05-02", "date=2024-05-01"]
    # The index keeps each body's shingle set, so the second run verifies pairs with earlier
    # articles exactly, as one run would.
    import pyarrow.parquet as pq

    entries = pq.read_table(index).to_pylist()
    assert entries and all(0 < len(e["shingle_set"]) // 4 <= e["shingles"] for e in entries)
    # Rerunning the second half with the index is idempotent.
    assert collect([r for r in rows if r.date == "2024-05-02"], DedupOptions(index=index), tmp_path) == second


def test_near_copies_past_retention_are_not_found_and_their_entries_are_slimmed(tmp_path):
    import pyarrow.parquet as pq

    from transforms.dedup_index import SLIM_KEY, SLIM_VALUE

    rows = corpus()
    index = str(tmp_path / "index")
    collect([r for r in rows if r.date == "2024-05-01"], DedupOptions(index=index), tmp_path)
    later = [r.model_copy(update={"date": "2024-09-01"}) for r in rows if r.date == "2024-05-02"]
    got = collect(later, DedupOptions(index=index, retention_days=30), tmp_path)
    # The late copies are near copies of May articles, older than 30 days: not matched.
    assert not any(row[0] == "duplicate" for row in got)
    assert [p.rsplit("/", 1)[-1] for p in index_partitions(index, 30)[0]] == ["date=2024-09-01"]
    # The May partition stays, without its fingerprints: ids and content hashes only.
    [expired] = index_partitions(index, 30)[1]
    [path] = [p for p in (tmp_path / "index" / "date=2024-05-01").iterdir() if p.suffix == ".parquet"]
    assert path.name.endswith(".slim.parquet")
    assert expired.endswith("date=2024-05-01")
    table = pq.read_table(path)
    assert table.schema.metadata[SLIM_KEY] == SLIM_VALUE
    assert table.num_rows == 12 and table.column("signature").null_count == 12
    assert table.column("shingle_set").null_count == 12 and table.column("id").null_count == 0


def test_a_record_read_again_past_retention_folds_into_the_article_written_then(tmp_path):
    """Retention bounds near matching, not identity: an old article read again under another
    file name (same id) and an exact copy of it, in a run whose newest article is years later,
    are `duplicates` rows of the article the first run wrote, as within retention."""
    index = str(tmp_path / "index")
    old = article("feeds/2019/a.xml#3", story(7), published=dt.datetime(2019, 3, 1, tzinfo=UTC), date="2019-03-01")
    other = article("feeds/2019/a.xml#4", story(8), published=dt.datetime(2019, 3, 1, tzinfo=UTC), date="2019-03-01")
    first = collect([old, other], DedupOptions(index=index), tmp_path)
    assert {row[0] for row in first} == {"article"}
    # The same item under a new file URI (same id: its canonical URL), edited; an exact copy of
    # `other` under an id of its own; a new article of 2025.
    again = old.model_copy(update={"source_uri": "mirror/a.xml#3", "body": "\n\n".join(story(7)[:-1]),
                                   "content_hash": content_fingerprint("\n\n".join(story(7)[:-1]))})
    copy = article("mirror/b.txt", story(8), published=dt.datetime(2019, 3, 1, tzinfo=UTC), date="2019-03-01")
    new = article("feeds/2025/c.xml#1", story(9), published=dt.datetime(2025, 6, 1, tzinfo=UTC), date="2025-06-01")
    assert again.id == old.id and copy.content_hash == other.content_hash and copy.id != other.id
    second = collect([again, copy, new], DedupOptions(index=index, retention_days=365), tmp_path)
    assert second == {("duplicate", old.id, old.id, "near"), ("duplicate", copy.id, other.id, "exact"),
                      ("article", new.id, new.id, 0)}
    # Nothing of 2019 was matched as a near copy: the entries are past retention and slim.
    assert [p.rsplit("/", 1)[-1] for p in index_partitions(index, 365)[1]] == ["date=2019-03-01"]
    # A third run with neither id nor content of 2019 finds nothing there.
    third = collect([article("x.txt", story(10), date="2025-06-02")], DedupOptions(index=index), tmp_path)
    assert {row[0] for row in third} == {"article"}


def test_index_rows_through_staged_files_write_the_same_index_and_leave_no_files(tmp_path):
    """The batch graph hands keys over as `KeyPack` files and stages the index rows in files
    (only paths cross the runner): the index is the same, file for file and row for row."""
    import pyarrow.parquet as pq

    from transforms.dedup import DedupDecisions, dedup_key
    from transforms.dedup_shuffle import write_key_pack
    from transforms.minhash import MinHasher

    keys = [dedup_key(a, MinHasher(DedupOptions().minhash())) for a in corpus()]
    staging, written = tmp_path / "staging", {}
    packs = [write_key_pack(str(staging), keys[i::3]) for i in range(3)]
    for name, elements, staged in (("inline", keys, None), ("staged", packs, str(staging))):
        index = tmp_path / f"index-{name}"
        with TestPipeline() as p:
            _ = p | beam.Create(elements, reshuffle=False) | DedupDecisions(DedupOptions(index=str(index)),
                                                                            staging=staged)
        written[name] = {str(f.relative_to(index)): pq.read_table(f).to_pylist() for f in sorted(index.rglob("*.parquet"))}
    assert written["staged"] == written["inline"]
    assert [path.split("/")[0] for path in written["inline"]] == ["date=2024-05-01", "date=2024-05-02"]
    assert sum(len(rows) for rows in written["inline"].values()) == len(keys) == 24
    # the index rows' files are gone; the key packs stay (the run's staging folder goes with the writer)
    assert sorted(p.name for p in staging.iterdir()) == sorted(pack.path.rsplit("/", 1)[1] for pack in packs)


# --- no chaining, and the packed Beam path against the in-memory one ------------------------------

def test_two_long_articles_that_quote_the_same_brief_are_both_kept():
    brief = story(60, n_paragraphs=3)
    first = article("a-long.txt", brief + story(61, n_paragraphs=6), published=dt.datetime(2024, 5, 1, 9, tzinfo=UTC))
    second = article("b-long.txt", brief + story(62, n_paragraphs=5), published=dt.datetime(2024, 5, 1, 8, tzinfo=UTC))
    short = article("c-brief.txt", brief, published=dt.datetime(2024, 5, 1, 7, tzinfo=UTC))
    # The brief is ~100% inside both long articles (containment rule), the long ones share only
    # the brief. The brief is the earliest, but a longer article never folds into a shorter one
    # by containment, and the brief folds into one partner only: both would take it, so the rank
    # rule picks the earlier one.

    def check(arts, dups):
        assert_that(arts | "A" >> beam.Map(summary), equal_to([
            ("article", first.id, first.id, 0), ("article", second.id, second.id, 1)]), label="articles")
        assert_that(dups | "D" >> beam.Map(summary), equal_to([("duplicate", short.id, second.id, "near")]),
                    label="duplicates")

    run_dedup([short, second, first], check=check)


def random_corpus(seed: int, stories: int = 60) -> list[Article]:
    """Originals, trimmed and edited copies, exact copies, same-id copies and shared briefs."""
    rng = random.Random(seed)
    rows = []
    for s in range(stories):
        base = story(1000 + s, n_paragraphs=rng.randint(2, 12))
        when = dt.datetime(2024, 5, 1, tzinfo=UTC) + dt.timedelta(minutes=rng.randint(0, 3000))
        rows.append(article(f"s{s}/orig.txt", base, published=when if rng.random() < 0.7 else None,
                            title="T" if rng.random() < 0.5 else None))
        for c in range(rng.randint(0, 4)):
            kind = rng.random()
            if kind < 0.4 and len(base) >= 4:
                body = syndicated(base)
            elif kind < 0.6:
                body = base[: max(1, len(base) * rng.randint(3, 9) // 10)]
            elif kind < 0.75:
                body = list(base)
            elif kind < 0.9:  # a long article quoting this one's lead
                body = base[:2] + story(5000 + 10 * s + c, n_paragraphs=rng.randint(6, 14))
            else:
                body = story(7000 + 10 * s + c, n_paragraphs=3)
            published = when + dt.timedelta(minutes=rng.randint(-60, 600)) if rng.random() < 0.8 else None
            rows.append(article(f"s{s}/copy{c}.txt", body, published=published))
    same_id = rows[3].model_copy(update={"source_uri": "again/" + rows[3].source_uri})
    return rows + [same_id]


def test_packed_shuffles_give_the_in_memory_decisions_whatever_the_bundles_and_staging(tmp_path):
    from transforms.dedup import DedupDecisions, decide, dedup_key
    from transforms.dedup_shuffle import write_key_pack
    from transforms.minhash import MinHasher

    options = DedupOptions()
    hasher = MinHasher(options.minhash())
    keys = [dedup_key(a, hasher) for a in random_corpus(5)]
    # a third of the keys without their shingle set (bodies over the limit, entries of older indexes): pairs
    # are verified exactly, on the estimate, and mixed
    keys = [k._replace(exact=b"") if i % 3 == 0 else k for i, k in enumerate(keys)]
    assert sum(bool(k.exact) for k in keys) > len(keys) // 2
    expected = decide(keys, options.minhash())
    assert sum(1 for d in expected.values() if d.method == "near") >= 20  # the corpus exercises near dedup
    staging = tmp_path / "staging"
    staging.mkdir()
    packs = tmp_path / "packs"  # the batch graph's staging step hands keys over in files (`KeyPack`)
    for batch, parts, staged in ((2, 3, None), (1000, 1, None), (3, 2, str(staging)), (4, 3, "packs")):
        out = tmp_path / f"decisions-{batch}.json"
        with TestPipeline() as p:
            chunks = [p | f"Create{i}" >> beam.Create(
                [write_key_pack(str(packs), keys[i::parts][j::7]) for j in range(7)] if staged == "packs"
                else keys[i::parts], reshuffle=False) for i in range(parts)]
            staged = str(staging) if staged == "packs" else staged
            ((chunks | beam.Flatten() if parts > 1 else chunks[0])
             | DedupDecisions(options, batch=batch, staging=staged)
             | beam.combiners.ToList()
             | beam.Map(lambda got: out.write_text(json.dumps(sorted([k, list(d)] for k, d in got)))))
        got = {k: tuple(d) for k, d in json.loads(out.read_text())}
        assert len(got) == len(json.loads(out.read_text()))  # one decision per record
        assert got == {k: tuple(d) for k, d in expected.items()}, batch
    assert list(staging.iterdir()) == []  # the staged shuffle files are gone


def test_records_sharing_a_record_number_stay_out_of_near_dedup(tmp_path, monkeypatch):
    """Record numbers are 64-bit hashes of record keys; should two collide, both records are left
    out of near dedup (never confused with each other), in the Beam path and in memory alike."""
    import transforms.dedup_shuffle as dedup_module
    import transforms.minhash as minhash_module
    from transforms.dedup import DedupDecisions, decide, dedup_key, exact_survivors
    from transforms.minhash import MinHasher

    options = DedupOptions()
    hasher = MinHasher(options.minhash())
    keys = [dedup_key(a, hasher) for a in random_corpus(5)]
    unclashed = decide(keys, options.minhash())
    survivors = {k.record_key for k in exact_survivors(keys)}
    folded = {}  # two survivors folded as near copies into different canonicals
    for record_key, decision in sorted(unclashed.items()):
        if record_key in survivors and decision.method == "near" and decision.canonical_id not in folded.values():
            folded[record_key] = decision.canonical_id
    clash = set(list(folded)[:2])
    assert len(clash) == 2
    original = minhash_module.record_number

    def clashing(name: str) -> int:
        return original(min(clash)) if name in clash else original(name)

    monkeypatch.setattr(minhash_module, "record_number", clashing)
    monkeypatch.setattr(dedup_module, "record_number", clashing)
    expected = decide(keys, options.minhash())
    ids = {stable_id(c) for c in clash}
    assert not any(d.method == "near" and (k in clash or d.canonical_id in ids) for k, d in expected.items())
    out = tmp_path / "decisions.json"
    with TestPipeline() as p:
        (p | beam.Create(keys, reshuffle=False) | DedupDecisions(options, batch=5) | beam.combiners.ToList()
         | beam.Map(lambda got: out.write_text(json.dumps(sorted([k, list(d)] for k, d in got)))))
    assert {k: tuple(d) for k, d in json.loads(out.read_text())} == {k: tuple(d) for k, d in expected.items()}


def test_a_corrected_story_at_the_same_url_is_one_article_and_a_near_duplicate_not_exact():
    """Records sharing an id whose bodies differ (a story corrected and re-published at its URL):
    one article row for the id (the first by canonical rank), the other version a `near` duplicate
    with the real Jaccard of the two bodies, never `exact` / 1.0; unrelated bodies too."""
    from transforms.dedup import decide, dedup_key
    from transforms.minhash import MinHasher, exact_jaccard, shingle_hashes, words

    original = article("wire/a.txt", story(11), published=dt.datetime(2024, 5, 1, 8, tzinfo=UTC))
    corrected = article("wire/b.txt", story(11)[:-1] + ["A correction was appended to this story."],
                        published=dt.datetime(2024, 5, 1, 9, tzinfo=UTC))
    unrelated = article("wire/c.txt", story(12), published=dt.datetime(2024, 5, 1, 10, tzinfo=UTC))
    same_url = [a.model_copy(update={"id": original.id}) for a in (original, corrected, unrelated)]
    true = {a.source_uri: round(exact_jaccard(*(shingle_hashes(words(x.body), 5) for x in (a, original))), 4)
            for a in same_url[1:]}
    assert 0.5 < true["wire/b.txt"] < 1.0 and true["wire/c.txt"] < 0.1
    table = decide([dedup_key(a, MinHasher()) for a in same_url])
    assert table["wire/a.txt"].duplicate_count == 2
    for uri in ("wire/b.txt", "wire/c.txt"):
        assert (table[uri].canonical_id, table[uri].method) == (original.id, "near")
        assert table[uri].similarity == pytest.approx(true[uri], abs=1e-4)

    def check(arts, dups):
        assert_that(arts | "A" >> beam.Map(summary), equal_to([("article", original.id, original.id, 2)]),
                    label="articles")
        assert_that(dups | "D" >> beam.Map(lambda d: (d.source_uri, d.method, round(d.similarity, 3))),
                    equal_to([(u, "near", round(j, 3)) for u, j in true.items()]), label="duplicates")

    run_dedup(list(reversed(same_url)), check=check)


def _upstream(p, label: str) -> set:
    """Full labels of every transform whose output `label` (or the transforms under it) consumes,
    directly or not."""
    producers: dict = {}
    consumers: dict = {}

    class Walk(beam.pipeline.PipelineVisitor):
        def visit_transform(self, node):
            for out in node.outputs.values():
                producers[id(out)] = node.full_label
            consumers[node.full_label] = [id(i) for i in node.inputs]
            for side in node.side_inputs:
                consumers[node.full_label].append(id(side.pvalue))

    p.visit(Walk())
    upstream, todo = set(), [name for name in consumers if name == label or name.startswith(label + "/")]
    while todo:
        name = todo.pop()
        for pid in consumers.get(name, []):
            source = producers.get(pid)
            if source and source not in upstream:
                upstream.add(source)
                todo.append(source)
    return upstream


def test_the_runs_manifest_and_commit_wait_for_the_dedup_index(tmp_path):
    """On Dataflow independent branches run concurrently: the manifest step (which commits an
    incremental run) must consume the index write's result, or a run could commit before its
    index entries exist; and the staging folder (whose key packs the index rows are read from)
    must not be removed before the index is written."""
    from pipeline.graph import build_pipeline
    from tests.conftest import SEEDS

    p = beam.Pipeline()
    build_pipeline(p, [str(SEEDS)], str(tmp_path / "out"), dedup=DedupOptions(index=str(tmp_path / "index")))
    for step in ("Manifest", "Write/RemoveStaging"):
        upstream = _upstream(p, step)
        assert any(label.endswith("UpdateIndex/SlimExpired") for label in upstream), (step, sorted(upstream)[:20])


def test_a_record_read_again_stands_for_its_id_before_earlier_copies_of_it():
    """A changed file is read again and supersedes its earlier rows: the new reading, not an
    earlier run's copy of it (a `duplicates` row naming its id), becomes the article; a record
    read again under a new name still folds into the article row an earlier run wrote."""
    from transforms.fold import PRIOR_PREFIX, DedupKey, decide

    def key(uri, ident, content, prior=False, copy=False, cluster=""):
        return DedupKey((PRIOR_PREFIX if prior else "") + uri, ident, content, (False, "2019", 0, uri), (),
                        prior=prior, cluster_id=cluster or ident, copy=copy)

    article_entry = key("a.jsonl#0", "X", "old", prior=True)
    mirror_entry = key("mirror.jsonl#0", "X", "old", prior=True, copy=True)
    corrected = key("a.jsonl#0", "X", "new")
    got = decide([article_entry, mirror_entry, corrected], params=None)
    assert got.get("a.jsonl#0") is None or got["a.jsonl#0"].canonical_id is None  # the article again
    # Without the rule the earlier copy's entry, first by rank as an earlier run's, took the id.
    from transforms import fold
    assert fold._orphans([article_entry, mirror_entry, corrected]) == set()
    assert fold._orphans([mirror_entry, corrected]) == {mirror_entry.record_key}
    # The mirror read again instead (the article's entry stands): a copy of the article.
    again = key("mirror.jsonl#0", "X", "newer")
    got = decide([article_entry, mirror_entry, again], params=None)
    assert got["mirror.jsonl#0"].canonical_id == "X" and got["mirror.jsonl#0"].method == "near"


@given(st.text(alphabet=st.sampled_from("aZ9_ -.,'\n\tÉéßﬁ①Ａ"), max_size=60) | st.text(max_size=40))
@settings(max_examples=300, deadline=None)
def test_fingerprint_and_count_are_the_two_measures_taken_apart(body):
    """Clean reads an ASCII body's words once for both; any body gives what the two functions give."""
    assert fingerprint_and_count(body) == (content_fingerprint(body), count_words(body))
