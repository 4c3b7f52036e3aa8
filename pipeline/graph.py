"""The newsbeam graph: read -> parse -> clean -> stage -> dedup -> (enrich, write), plus the run manifest.

Cleaned articles go to staging files and only their dedup keys go on to dedup; the writer reads
each shard of staged articles back, applies the dedup decisions, enriches the canonical articles
and writes them (transforms/stage.py), so no article body waits in the runner's memory.

Every step that can fail on data is applied with `guarded`: Beam's `with_exception_handling`
splits its output into good elements and failures, and failures become `dead_letter` rows.
Accounting: records in = articles + duplicates + dead letters, counted inside the pipeline and
written to `_runs/<run_id>.json`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from typing import Callable, Optional

import apache_beam as beam

from pipeline.incremental import Plan, PlannedFiles
from pipeline.manifest import WriteManifest
from pipeline.options import NewsbeamOptions
from transforms.clean import clean_article
from transforms.deadletter import DeadLetters
from transforms.dedup import DedupDecisions, DedupOptions
from transforms.minhash import MinHasher
from transforms.model import UTC, Article
from transforms import progress
from transforms.parse import RawRecord, parse_record, split_file
from transforms.read import MatchFiles, ReadFileFn, ReadLimits
from transforms.stage import StageArticles, WriteStaged, staging_folder
from transforms.write import WriteOptions, WriteTable


class _TickFn(beam.DoFn):
    def __init__(self, stage: str, name: str, weight: Optional[Callable]):
        self.stage, self.name, self.weight = stage, name, weight

    def process(self, element):
        progress.add(self.stage, **{self.name: 1 if self.weight is None else int(self.weight(element))})
        return ()


class Tick(beam.PTransform):
    """Counts the elements of a PCollection into live progress `stage`/`name` (weighted by
    `weight(element)` when given; `transforms/progress.py`); outputs nothing. Fuses into the
    producing step, so it costs one call per element and never a shuffle. Apply it to a step's
    own output, not to a Flatten of several: the local runner may run a Flatten's consumers only
    once all inputs are done."""

    def __init__(self, stage: str, name: str, weight: Optional[Callable] = None):
        super().__init__()
        self.stage, self.name, self.weight = stage, name, weight

    def expand(self, pcoll):
        return pcoll | beam.ParDo(_TickFn(self.stage, self.name, self.weight))


def guarded(pcoll, label: str, transform, stage: str, partial: bool = False):
    """Apply `transform`; return (good elements, dead letters of the failed ones). With `partial`
    an element's outputs go on as they are made, also those before a failure (Beam otherwise
    holds all of an element's outputs until it is done)."""
    good, bad = pcoll | label >> transform.with_exception_handling(partial=partial)
    dead = bad | f"{label}Failures" >> DeadLetters(stage)
    dead | f"{label}FailuresProgress" >> Tick(stage, "dead_letters")
    return good, dead


def _split(raw, limits):
    return split_file(raw, dt.datetime.now(UTC), limits)


def read_articles(files, limits: ReadLimits):
    """`FileRef`s -> (cleaned articles, raw records, (read, split, parse, clean) dead letters):
    read -> split -> parse -> clean, each step dead-letter guarded. The batch and the streaming
    graph (`pipeline/streaming.py`) both start with these steps. A file that cannot be read or
    split counts as one record (its dead letter); every other record is one of `records`. Records
    and cleaned articles are counted into the live progress here, for both graphs."""
    raw, read_dead = guarded(files, "Read", beam.ParDo(ReadFileFn(limits)), "read", partial=True)
    records, split_dead = guarded(raw, "Split", beam.FlatMap(_split, limits).with_output_types(RawRecord),
                                  "parse")
    parsed, parse_dead = guarded(records, "Parse", beam.Map(parse_record, limits).with_output_types(Article),
                                 "parse")
    cleaned, clean_dead = guarded(parsed, "Clean", beam.Map(clean_article).with_output_types(Article), "validate")
    records | "ProgressRecords" >> Tick("parse", "records")
    cleaned | "ProgressArticles" >> Tick("clean", "articles")
    return cleaned, records, (read_dead, split_dead, parse_dead, clean_dead)


def build_pipeline(p: beam.Pipeline, inputs: list[str], output: str, *, limits: ReadLimits | None = None,
                   write: WriteOptions | None = None, run_info: dict | None = None,
                   skip_enrich: bool | None = None, dedup: DedupOptions | None = None,
                   plan: Plan | None = None) -> dict:
    """Add the whole batch graph to `p`; returns its main PCollections by name.

    Settings not passed come from the pipeline's options (`NewsbeamOptions`); `skip_enrich`
    leaves enrichment out, e.g. to time the read -> dedup -> write path alone. With a `plan`
    (`pipeline.incremental`, what `newsbeam run` passes) the files come from the plan, every file
    is written under the run's pending folder and the last step commits them; without one,
    `inputs` are matched and files are written in place.
    """
    options = p.options.view_as(NewsbeamOptions)
    limits = options.read_limits() if limits is None else limits
    write = options.write_options() if write is None else write
    skip_enrich = options.skip_enrich if skip_enrich is None else skip_enrich
    dedup = options.dedup_options() if dedup is None else dedup
    if plan is not None:
        files = p | "Match" >> PlannedFiles(plan.plan_url)
        target = plan.pending
        if dedup.index:
            dedup = dataclasses.replace(dedup, index_output=plan.pending_index)
    else:
        files = p | "Inputs" >> beam.Create(sorted(set(inputs))) | "Match" >> MatchFiles(options.follow_symlinks)
        target = output
    cleaned, records, (read_dead, split_dead, parse_dead, clean_dead) = read_articles(files, limits)
    folder = staging_folder(target, (run_info or {}).get("run_id") or uuid.uuid4().hex)
    hasher = MinHasher(dedup.minhash())
    staged = cleaned | "Stage" >> StageArticles(folder, write.write_shards, hasher)
    deciding = DedupDecisions(dedup, staging=folder)
    decided = staged["keys"] | "Dedup" >> deciding
    to_write = {"parts": staged["parts"], "decisions": decided}
    if deciding.index_written is not None:  # its rows are read from the staging folder's key packs
        to_write["after"] = deciding.index_written
    written = to_write | "Write" >> WriteStaged(
        target, folder, write.write_shards, write, enrich=not skip_enrich)
    enrich_dead = () if skip_enrich else (written["dead"],)
    for dead_letters in enrich_dead:
        dead_letters | "EnrichFailuresProgress" >> Tick("enrich", "dead_letters")
    dead = (read_dead, split_dead, parse_dead, clean_dead, *enrich_dead) | "DeadLetters" >> beam.Flatten()
    written = (
        written["written"],
        dead | "WriteDeadLetters" >> WriteTable(target, "dead_letter", write),
    )
    decided | "ProgressDecisions" >> Tick("dedup", "decisions")
    counts = (
        files | "CountFiles" >> beam.Map(lambda _: ("files_matched", 1)),
        records | "CountRecords" >> beam.Map(lambda _: ("records_in", 1)),
        (read_dead, split_dead) | "WholeFileFailures" >> beam.Flatten()
        | "CountFileFailures" >> beam.Map(lambda _: ("records_in", 1)),
        written | "Written" >> beam.Flatten(),
        dead | "CountDeadByStage" >> beam.Map(lambda d: (f"dead_letter:{d.stage}:{d.error_type}", 1)),
        decided | "CountCopiesByMethod" >> beam.FlatMap(
            lambda entry: [(f"duplicates:{entry[1].method}", 1)] if entry[1].canonical_id else []),
    )
    if deciding.index_written is not None:  # the commit (in the manifest step) waits for the index
        counts += (deciding.index_written | "CountIndexFiles" >> beam.Map(lambda n: ("dedup_index_files", n)),)
    counts = counts | "AllCounts" >> beam.Flatten()
    manifest = counts | "Manifest" >> WriteManifest(output, run_info or {}, plan)
    return {"files": files, "keys": staged["keys"], "decisions": decided, "dead_letter": dead,
            "manifest": manifest}
