"""The Dedup composite on Beam: exact and near copies folded, canonical rule, cross-run index."""

from __future__ import annotations

import datetime as dt
import json
import random

import apache_beam as beam
import pytest
from apache_beam.testing.test_pipeline import TestPipeline
from apache_beam.testing.util import assert_that, equal_to

from transforms.dedup import Dedup, DedupOptions, ExactDedup, index_partitions
from transforms.model import UTC, Article, stable_id
from transforms.text import content_fingerprint

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
    full = article("full.txt", story(8, n_paragraphs=12), title="Full")
    lead = article("lead.txt", story(8, n_paragraphs=12)[:5])  # 5 of 12 paragraphs: Jaccard ~0.4 < 0.5

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
    # Rerunning the second half with the index is idempotent.
    assert collect([r for r in rows if r.date == "2024-05-02"], DedupOptions(index=index), tmp_path) == second


def test_index_entries_past_retention_are_ignored(tmp_path):
    rows = corpus()
    index = str(tmp_path / "index")
    collect([r for r in rows if r.date == "2024-05-01"], DedupOptions(index=index), tmp_path)
    later = [r.model_copy(update={"date": "2024-09-01"}) for r in rows if r.date == "2024-05-02"]
    got = collect(later, DedupOptions(index=index, retention_days=30), tmp_path)
    assert not any(row[0] == "duplicate" for row in got)  # the May entries are older than 30 days
    # and the expired partition has been deleted from the index
    assert [p.rsplit("/", 1)[-1] for p in index_partitions(index, 30)[0]] == ["date=2024-09-01"]
    assert index_partitions(index, 30)[1] == []
