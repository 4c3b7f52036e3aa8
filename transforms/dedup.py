"""Dedup: fold copies of an article into one canonical article, within a run and across runs.

The stage in three parts, each readable on its own:
- `transforms/fold.py`: the rules (what is a copy, which copy is canonical, no chaining), plain Python;
- `transforms/dedup_shuffle.py`: the batch graph's packed shuffles that apply them at scale;
- `transforms/dedup_index.py`: the cross-run index (`--dedup-index`).
This module holds the Beam composites the graphs use (`DedupDecisions`, `Dedup`) and the step that
applies decisions to articles (`FoldingFn`). The streaming graph applies the same rules in keyed
state (`transforms/dedup_stream.py`).
"""

from __future__ import annotations

from typing import Optional

import apache_beam as beam
from apache_beam import pvalue
from apache_beam.metrics import Metrics

from transforms import progress

from transforms.dedup_index import (  # noqa: F401 - re-exported: the stage's public names
    INDEX_SCHEMA,
    ReadDedupIndex,
    WriteDedupIndex,
    index_partitions,
    index_row,
    prior_key,
    slim_expired,
    read_index_file,
    write_index_partition,
)
from transforms.dedup_shuffle import BATCH, SHARDS, KeyPack, _ExactAndNear, keys_of, remove_folder  # noqa: F401
from transforms.fold import (  # noqa: F401
    PRIOR_PREFIX,
    Decision,
    DedupKey,
    DedupOptions,
    Member,
    apply_decision,
    canonical_rank,
    decide,
    decisions,
    dedup_key,
    exact_survivors,
    fold_group,
    fold_into,
    fold_near,
    near_decisions,
    near_survivors,
    relation,
    similarity,
)
from transforms.minhash import MinHasher
from transforms.model import Article, Duplicate


class FoldingFn(beam.DoFn):
    """Base of the DoFns that apply decisions to articles (`fold`), counting the copies."""

    def setup(self):
        self.copies = Metrics.counter("newsbeam", "duplicates")
        self.near = Metrics.counter("newsbeam", "near_duplicates")

    def fold(self, article: Article, table: dict) -> tuple[str, object]:
        kind, row = apply_decision(article, table.get(article.source_uri))
        progress.add("write", read_back=1)
        if kind == "duplicate":
            progress.add("dedup", copies=1)
        if kind == "duplicate":
            self.copies.inc()
            if row.method == "near":
                self.near.inc()
        return kind, row


class _FoldFn(FoldingFn):
    def process(self, article: Article, table: dict):
        kind, row = self.fold(article, table)
        yield pvalue.TaggedOutput("duplicates", row) if kind == "duplicate" else row



# --- the composite ------------------------------------------------------------------------------

class _IndexRowFn(beam.DoFn):
    """A key -> its index row, given every decision. The decisions arrive as an iterable side
    input turned into a dict here, once per window and worker, counting as it loads (37,000
    decisions at 100k articles took ~2 s that the live progress showed as a stall)."""

    def __init__(self, params):
        self.params = params
        self._window, self._table_of_window = None, None  # batch jobs have one window

    def _table(self, decisions, window) -> dict:
        if self._table_of_window is None or self._window != window:
            table = {}
            for n, (record_key, decision) in enumerate(decisions, 1):
                table[record_key] = decision
                if n % 1000 == 0:
                    progress.add("dedup", decisions_loaded=1000)
            self._window, self._table_of_window = window, table
        return self._table_of_window

    def process(self, element, decisions, window=beam.DoFn.WindowParam):
        for key in keys_of(element):
            progress.add("dedup", indexed=1)
            yield index_row(key, self._table(decisions, window), self.params)


class DedupDecisions(beam.PTransform):
    """`DedupKey`s (or `KeyPack`s of them) of this run -> `(record_key, Decision)`: one entry per copy and per canonical
    article with copies (records without an entry are lone articles).

    Exact copies (same id or content hash) and then near copies (MinHash/LSH clusters) are folded
    into their canonical (module docstring). With `options.index`, keys of earlier runs take part
    and this run's fingerprints are added to the index. Only keys cross its shuffles: callers keep
    the bodies and apply the decisions where the bodies are (`Dedup` does it with a side input,
    the batch graph in its writer).

    `staging` (a folder URL the workers can all reach, e.g. the run's staging folder): the packed
    shuffle data goes through files there and only file paths cross the shuffles, so a runner
    that holds shuffles in memory (FnApiRunner) holds paths, not signatures and band entries;
    the files are removed once all decisions exist (the index rows' files once the index is
    written).
    """

    def __init__(self, options: DedupOptions = DedupOptions(), near: bool = True, batch: int = BATCH,
                 staging: Optional[str] = None):
        super().__init__()
        if not isinstance(options, DedupOptions):
            raise TypeError(f"DedupDecisions expects DedupOptions, got {type(options).__name__}")
        self.options, self.near, self.batch, self.staging = options, near, batch, staging
        self.index_written = None  # with an index: the number of index files written, once all are

    def expand(self, keys):
        params = self.options.minhash()
        everything = keys
        if self.options.index:
            reader = ReadDedupIndex(self.options.index, self.options.retention_days, params)
            prior = keys | "Prior" >> reader
            everything = (keys, prior) | "WithPrior" >> beam.Flatten()
        table = everything | "Decide" >> _ExactAndNear(params if self.near else None, self.batch, self.staging)
        if self.options.index:
            self.index_written = (
                keys
                | "IndexRows" >> beam.ParDo(_IndexRowFn(params), beam.pvalue.AsIter(table))
                | "UpdateIndex" >> WriteDedupIndex(self.options.index_output or self.options.index,
                                                   self.options.retention_days, self.staging,
                                                   settled=self.options.index, newest=reader.newest))
        return table


class Dedup(beam.PTransform):
    """Articles -> {'articles': canonical and lone articles, 'duplicates': Duplicate rows}.

    Exact copies (same id or content hash) and then near copies (MinHash/LSH clusters) are
    folded into their canonical article (module docstring); every input article comes out exactly
    once, either as an article or as a duplicate row. With `options.index`, copies of articles
    seen by earlier runs are folded too, and this run's fingerprints are added to the index.
    Cost: per article one 128-permutation signature (~0.3 ms); through packed shuffles a slim key
    twice, its signature and `bands` 16-byte band entries once (module docstring).
    """

    def __init__(self, options: DedupOptions = DedupOptions(), near: bool = True):
        super().__init__()
        if not isinstance(options, DedupOptions):
            raise TypeError(f"Dedup expects DedupOptions, got {type(options).__name__}")
        self.options = options
        self.near = near

    def expand(self, articles):
        hasher = MinHasher(self.options.minhash()) if self.near else None
        keys = articles | "Keys" >> beam.Map(dedup_key, hasher)
        table = keys | "Decide" >> DedupDecisions(self.options, self.near)
        folded = articles | "Fold" >> beam.ParDo(_FoldFn(), table=beam.pvalue.AsDict(table)).with_outputs("duplicates", main="articles")
        return {
            "articles": folded.articles | "Articles" >> beam.Map(lambda a: a).with_output_types(Article),
            "duplicates": folded.duplicates | "Duplicates" >> beam.Map(lambda d: d).with_output_types(Duplicate),
        }


class ExactDedup(Dedup):
    """Exact dedup only (same id or content hash), without the cross-run index."""

    def __init__(self):
        super().__init__(DedupOptions(), near=False)
