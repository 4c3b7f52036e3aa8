"""The no-Beam floor: newsbeam's own plain-Python cores in one simple loop, one process.

`python -m bench.floor --input DIR --output DIR [--json FILE]` does the peer's work the way the
Beam graph does it (read -> split -> parse -> clean -> exact dedup -> near dedup -> Parquet), with
the same functions, so the difference to `newsbeam run --skip_enrich` on one worker is what Beam
costs. It keeps every article in memory: it is a speed floor, not a design.

Dedup runs the in-memory twins of the Beam composite (`transforms.dedup.exact_survivors`,
`near_survivors`), which share their cores with it and give the same decisions.
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
from transforms.dedup import DedupOptions, apply_decision, decide, decisions, dedup_key, exact_survivors, near_survivors
from transforms.minhash import MinHasher
from transforms.model import UTC, Article
from transforms.parse import parse_record, split_file
from transforms.read import ReadError, expand_input, read_file
from transforms.write import WriteOptions, partition_path, write_records


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
    table = decide([dedup_key(a) for a in articles], params=None)
    return apply_all(articles, table)


def apply_all(articles: list[Article], table: dict):
    kept, copies = [], []
    for article in articles:
        kind, row = apply_decision(article, table.get(article.source_uri))
        (kept if kind == "article" else copies).append(row)
    return kept, copies


def dedup(articles: list[Article], clock: "StageClock"):
    """Plain-Python twin of `Dedup` (exact, then near among the survivors), on the cores of the
    Beam path (`exact_survivors`, `near_survivors`: the same decisions): (articles kept, duplicate
    rows). Stage `dedup_exact` folds exact copies; `dedup_near` computes the signatures, clusters
    near copies and applies the decisions."""
    options = DedupOptions()
    with clock.stage("dedup_exact"):
        survivors = exact_survivors(dedup_key(a) for a in articles)
    with clock.stage("dedup_near"):
        hasher = MinHasher(options.minhash())
        fingerprints = {a.source_uri: hasher.fingerprint(a.body) for a in articles}
        survivors = [k._replace(signature=fingerprints[k.record_key].signature,
                                shingles=fingerprints[k.record_key].shingles, exact=fingerprints[k.record_key].exact)
                     for k in survivors]
        table = dict(item for key in near_survivors(survivors, options.minhash()) for item in decisions(key))
        return apply_all(articles, table)


def write_table(output: str, table: str, rows: list, options: WriteOptions) -> int:
    partitions: dict[str, list] = collections.defaultdict(list)
    for row in rows:
        partitions[partition_path(table, row)].append(row)
    written = 0
    for partition, records in sorted(partitions.items()):
        written += sum(n for _, n in write_records(output, table, partition, records, options))
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
    kept, duplicates = dedup(articles, clock)
    with clock.stage("write"):
        written = write_table(output, "articles", kept, options)
        written_dups = write_table(output, "duplicates", duplicates, options)
    return {
        "tool": "floor",
        "records_in": records_in,
        "articles": written,
        "duplicates": written_dups,
        "dead_letter": sum(failures.values()),
        "near_dedup": True,
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
