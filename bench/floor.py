"""The no-Beam floor: newsbeam's own plain-Python cores in one simple loop, one process.

`python -m bench.floor --input DIR --output DIR [--json FILE]` does the peer's work the way the
Beam graph does it (read -> split -> parse -> clean -> exact dedup -> near dedup -> Parquet), with
the same functions, so the difference to `newsbeam run --skip_enrich` on one worker is what Beam
costs. It keeps every article in memory: it is a speed floor, not a design.

Near-duplicate dedup runs when `transforms.minhash` provides its in-memory core
(`near_duplicate_clusters`); otherwise the floor does exact dedup only and says so.
"""

from __future__ import annotations

import argparse
import collections
import datetime as dt
import json
import sys
import time
from contextlib import contextmanager
from typing import Optional

from transforms.clean import clean_article
from transforms.dedup import apply_decision, decisions, dedup_key, fold_group
from transforms.model import UTC, Article
from transforms.parse import parse_record, split_file
from transforms.read import ReadError, expand_input, read_file
from transforms.write import WriteOptions, partition_path, write_partition


class StageClock:
    """Seconds spent per named stage, accumulated over many short intervals."""

    def __init__(self):
        self.seconds: dict[str, float] = collections.defaultdict(float)

    @contextmanager
    def stage(self, name: str):
        start = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[name] += time.perf_counter() - start


def exact_dedup(articles: list[Article]):
    """Plain-Python twin of `ExactDedup`: (articles kept, duplicate rows)."""
    keys = [dedup_key(a) for a in articles]
    for attribute in ("id", "content_hash"):
        groups: dict[str, list] = collections.defaultdict(list)
        for key in keys:
            groups[getattr(key, attribute)].append(key)
        keys = [fold_group(group) for group in groups.values()]
    table = dict(item for key in keys for item in decisions(key))
    kept, copies = [], []
    for article in articles:
        kind, row = apply_decision(article, table.get(article.source_uri))
        (kept if kind == "article" else copies).append(row)
    return kept, copies


def near_dedup_core():
    """The in-memory near-dedup core of `transforms.minhash`, or None while it is not there."""
    try:
        from transforms import minhash
    except ImportError:
        return None
    return getattr(minhash, "near_duplicate_clusters", None)


def near_dedup(articles: list[Article], clusters_of):
    """Fold near-duplicate clusters: the most canonical member (`canonical_rank`) stays."""
    from transforms.dedup import canonical_rank
    from transforms.model import Duplicate

    from transforms.dedup import DedupOptions

    by_key = {a.source_uri: a for a in articles}
    clusters = clusters_of({a.source_uri: a.body for a in articles}, DedupOptions().minhash())
    dropped: dict[str, tuple[str, int]] = {}
    for members in clusters:
        ranked = sorted((by_key[m] for m in members), key=canonical_rank)
        canonical = ranked[0]
        for copy in ranked[1:]:
            dropped[copy.source_uri] = (canonical.id, canonical.source_uri)
    extra = collections.Counter(uri for _, uri in dropped.values())
    kept, copies = [], []
    for article in articles:
        if article.source_uri in dropped:
            canonical_id, _ = dropped[article.source_uri]
            copies.append(Duplicate(id=article.id, canonical_id=canonical_id, method="near", similarity=0.0,
                                    source_uri=article.source_uri, url=article.url, title=article.title,
                                    published_at=article.published_at, ingested_at=article.ingested_at,
                                    date=article.date))
        else:
            if extra.get(article.source_uri):
                article = article.model_copy(update={
                    "duplicate_count": article.duplicate_count + extra[article.source_uri]})
            kept.append(article)
    return kept, copies


def write_table(output: str, table: str, rows: list, options: WriteOptions) -> int:
    partitions: dict[str, list] = collections.defaultdict(list)
    for row in rows:
        partitions[partition_path(table, row)].append(row)
    written = 0
    for partition, records in sorted(partitions.items()):
        written += sum(n for _, n in write_partition(output, table, partition, records, options))
    return written


def run(inputs: list[str], output: str, options: WriteOptions = WriteOptions()) -> dict:
    clock = StageClock()
    started = time.perf_counter()
    with clock.stage("match"):
        refs = sorted({ref.uri: ref for url in inputs for ref in expand_input(url)}.values())
    articles: list[Article] = []
    failures = collections.Counter()
    read_at = dt.datetime.now(UTC)
    for ref in refs:
        try:
            with clock.stage("read"):
                raw = read_file(ref)
            with clock.stage("split"):
                records = split_file(raw, read_at)
        except (ReadError, ValueError) as exc:
            failures[type(exc).__name__] += 1
            continue
        for record in records:
            try:
                with clock.stage("parse"):
                    article = parse_record(record)
                with clock.stage("clean"):
                    articles.append(clean_article(article))
            except Exception as exc:  # the graph turns these into dead letters
                failures[type(exc).__name__] += 1
    records_in = len(articles) + sum(failures.values())
    with clock.stage("dedup_exact"):
        kept, duplicates = exact_dedup(articles)
    core = near_dedup_core()
    if core is not None:
        with clock.stage("dedup_near"):
            kept, near = near_dedup(kept, core)
        duplicates += near
    with clock.stage("write"):
        written = write_table(output, "articles", kept, options)
        written_dups = write_table(output, "duplicates", duplicates, options)
    return {
        "tool": "floor",
        "records_in": records_in,
        "articles": written,
        "duplicates": written_dups,
        "dead_letter": sum(failures.values()),
        "near_dedup": core is not None,
        "seconds": time.perf_counter() - started,
        "stages": {name: round(s, 3) for name, s in clock.seconds.items()},
    }


def main(argv: Optional[list[str]] = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.floor", description=__doc__.split("\n")[0])
    parser.add_argument("--input", action="append", required=True)
    parser.add_argument("--output", required=True)
    parser.add_argument("--json", help="write the result here as JSON")
    args = parser.parse_args(argv)
    result = run(args.input, args.output)
    text = json.dumps(result, indent=2)
    if args.json:
        with open(args.json, "w") as handle:
            handle.write(text)
    print(text, file=sys.stderr)


if __name__ == "__main__":
    main()
