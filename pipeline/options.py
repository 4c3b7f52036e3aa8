"""newsbeam's own options: documented once here, shown by `--help`, the README and the Flex
Template's metadata.json (all generated from `NewsbeamOptions`)."""

from __future__ import annotations

import argparse

from apache_beam.options.pipeline_options import PipelineOptions

from transforms.dedup import DedupOptions
from transforms.read import ReadLimits
from transforms.write import WriteOptions

_LIMITS = ReadLimits()
_WRITE = WriteOptions()
_DEDUP = DedupOptions()


class NewsbeamOptions(PipelineOptions):
    @classmethod
    def _add_argparse_args(cls, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--input", dest="input", action="append", default=None, metavar="URL",
                            help="fsspec URL, directory or glob of raw article files; repeatable")
        parser.add_argument("--output", dest="output", default=None, metavar="URL",
                            help="fsspec URL of the output root (articles/, duplicates/, dead_letter/, _runs/)")
        parser.add_argument("--max_file_bytes", "--max-file-bytes", dest="max_file_bytes", type=int,
                            default=_LIMITS.max_file_bytes,
                            help="largest decompressed size of one input file, in bytes")
        parser.add_argument("--max_record_bytes", "--max-record-bytes", dest="max_record_bytes", type=int,
                            default=_LIMITS.max_record_bytes,
                            help="largest size of one article record, in bytes")
        parser.add_argument("--max_ratio", "--max-ratio", dest="max_ratio", type=float,
                            default=_LIMITS.max_ratio,
                            help="largest decompression ratio of a compressed file (bomb guard), "
                                 "checked once it has inflated past 8 MiB")
        parser.add_argument("--rows_per_file", "--rows-per-file", dest="rows_per_file", type=int,
                            default=_WRITE.rows_per_file,
                            help="most rows in one Parquet file; larger partitions are split")
        parser.add_argument("--row_group_size", "--row-group-size", dest="row_group_size", type=int,
                            default=_WRITE.row_group_size, help="rows per Parquet row group")
        parser.add_argument("--write_shards", "--write-shards", dest="write_shards", type=int,
                            default=_WRITE.write_shards,
                            help="writer shards: dates are hashed to them (more shards, less memory per worker when "
                                 "dates spread); a shard of over 20,000 articles is split into batches by record")
        parser.add_argument("--skip_enrich", "--skip-enrich", dest="skip_enrich", action="store_true",
                            default=False,
                            help="skip enrichment (language, topic, dateline, places): articles keep the "
                                 "defaults (topic `unknown`); read, parse, clean, dedup and write still run")
        parser.add_argument("--dedup_index", "--dedup-index", dest="dedup_index", default=None, metavar="URL",
                            help="fsspec URL of the cross-run dedup index (Parquet, partitioned by date): copies "
                                 "of articles emitted by earlier runs become duplicates of them; this run's "
                                 "fingerprints are added")
        parser.add_argument("--dedup_retention_days", "--dedup-retention-days", dest="dedup_retention_days",
                            type=int, default=_DEDUP.retention_days,
                            help="dedup index entries older than this many days before its newest entry are "
                                 "ignored and deleted")
        parser.add_argument("--shingle_size", "--shingle-size", dest="shingle_size", type=int,
                            default=_DEDUP.shingle_size, help="words per shingle for near-duplicate detection")
        parser.add_argument("--minhash_bands", "--minhash-bands", dest="minhash_bands", type=int,
                            default=_DEDUP.bands, help="LSH bands of the MinHash signature")
        parser.add_argument("--minhash_rows", "--minhash-rows", dest="minhash_rows", type=int,
                            default=_DEDUP.rows, help="MinHash values per LSH band (bands x rows permutations)")
        parser.add_argument("--near_threshold", "--near-threshold", dest="near_threshold", type=float,
                            default=_DEDUP.threshold,
                            help="Jaccard similarity of word shingles at which two bodies are near duplicates "
                                 "(exact for bodies of up to 4,096 shingles, else the MinHash estimate)")
        parser.add_argument("--near_containment", "--near-containment", dest="near_containment", type=float,
                            default=_DEDUP.containment,
                            help="share of the shorter body's shingles found in the longer at which two bodies "
                                 "are near duplicates too (copies with their last paragraphs trimmed); above 1: off")
        parser.add_argument("--poll_interval", "--poll-interval", dest="poll_interval", type=float, default=30.0,
                            help="with --streaming: seconds between two looks at the inputs")
        parser.add_argument("--max_polls", "--max-polls", dest="max_polls", type=int, default=None,
                            help="with --streaming: stop after this many looks (default: watch until interrupted)")
        parser.add_argument("--progress", dest="progress", default="auto", choices=("auto", "bar", "log", "off"),
                            help="live progress of a local run on stderr: `bar` (a live display), `log` (a line every "
                                 "2 s), `off`; `auto` is `bar` on a terminal, else `log`. Not shown on Dataflow, "
                                 "whose console has the job's counters")
        parser.add_argument("--run_id", "--run-id", dest="run_id", default=None,
                            help="name of this run's manifest under _runs/ (default: start time and a hash of the options)")

    def read_limits(self) -> ReadLimits:
        return ReadLimits(max_file_bytes=self.max_file_bytes, max_record_bytes=self.max_record_bytes,
                          max_ratio=self.max_ratio)

    def dedup_options(self) -> DedupOptions:
        return DedupOptions(shingle_size=self.shingle_size, bands=self.minhash_bands, rows=self.minhash_rows,
                            threshold=self.near_threshold, containment=self.near_containment,
                            index=self.dedup_index,
                            retention_days=self.dedup_retention_days)

    def write_options(self) -> WriteOptions:
        return WriteOptions(rows_per_file=self.rows_per_file, row_group_size=self.row_group_size,
                            write_shards=self.write_shards)


def newsbeam_option_rows() -> list[tuple[str, str, str]]:
    """(flag, default, help) of every newsbeam option, for the README and metadata.json."""
    parser = argparse.ArgumentParser(add_help=False)
    NewsbeamOptions._add_argparse_args(parser)
    rows = []
    for action in parser._actions:
        flag = next((s for s in action.option_strings if "-" in s[2:]), action.option_strings[0])
        default = "" if action.default is None else str(action.default)
        rows.append((flag, default, action.help or ""))
    return rows


def options_markdown() -> str:
    lines = ["| option | default | meaning |", "|---|---|---|"]
    for flag, default, help_text in newsbeam_option_rows():
        lines.append(f"| `{flag}` | {f'`{default}`' if default else '—'} | {help_text} |")
    return "\n".join(lines)
