"""newsbeam's own options: documented once here, shown by `--help`, the README and the Flex
Template's metadata.json (all generated from `NewsbeamOptions`)."""

from __future__ import annotations

import argparse
import dataclasses
import re

from apache_beam.options.pipeline_options import PipelineOptions

from transforms.dedup import DedupOptions
from transforms.logs import DEFAULT_LEVEL, LEVELS
from transforms.read import ReadLimits
from transforms.write import PARTITIONINGS, WriteOptions

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
                            help="largest decompressed size of one input file, in bytes (a WARC is read as a "
                                 "stream of records and is not bounded by it)")
        parser.add_argument("--max_record_bytes", "--max-record-bytes", dest="max_record_bytes", type=int,
                            default=_LIMITS.max_record_bytes,
                            help="largest size of one article record, in bytes")
        parser.add_argument("--max_ratio", "--max-ratio", dest="max_ratio", type=float,
                            default=_LIMITS.max_ratio,
                            help="largest decompression ratio of a compressed file (bomb guard), "
                                 "checked once it has inflated past 8 MiB")
        parser.add_argument("--follow_symlinks", "--follow-symlinks", dest="follow_symlinks", type=parse_bool,
                            nargs="?", const=True, default=False, metavar="true|false",
                            help="read symbolic links that lead out of the input root (by default each is one "
                                 "dead letter and its target is not read)")
        parser.add_argument("--rows_per_file", "--rows-per-file", dest="rows_per_file", type=int,
                            default=_WRITE.rows_per_file,
                            help="most rows in one Parquet file; larger partitions are split")
        parser.add_argument("--row_group_size", "--row-group-size", dest="row_group_size", type=int,
                            default=_WRITE.row_group_size, help="rows per Parquet row group")
        parser.add_argument("--write_shards", "--write-shards", dest="write_shards", type=int,
                            default=_WRITE.write_shards,
                            help="writer shards: dates are hashed to them (more shards, less memory per worker when "
                                 "dates spread); a shard of over 20,000 articles is split into batches by record")
        parser.add_argument("--partition_by", "--partition-by", dest="partition_by", default=_WRITE.partition_by,
                            choices=sorted(PARTITIONINGS),
                            help="Hive folders of the articles table: `date,topic`, or `date` for low-volume feeds "
                                 "(topic then is a column in the files); fixed by the first run into an OUT")
        parser.add_argument("--skip_enrich", "--skip-enrich", dest="skip_enrich", type=parse_bool, nargs="?",
                            const=True, default=False, metavar="true|false",
                            help="skip enrichment (language, topic, dateline, places): articles keep the "
                                 "defaults (topic `unknown`); read, parse, clean, dedup and write still run")
        parser.add_argument("--dedup_index", "--dedup-index", dest="dedup_index", default=None, metavar="URL",
                            help="fsspec URL of the cross-run dedup index (Parquet, partitioned by date): copies "
                                 "of articles emitted by earlier runs become duplicates of them; this run's "
                                 "fingerprints are added")
        parser.add_argument("--dedup_retention_days", "--dedup-retention-days", dest="dedup_retention_days",
                            type=int, default=_DEDUP.retention_days,
                            help="dedup index entries older than this many days before its newest entry take "
                                 "no part in near-duplicate matching and lose their fingerprints; their ids and "
                                 "content hashes are kept and still fold records of the same id and exact copies")
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
        parser.add_argument("--input_subscription", "--input-subscription", dest="input_subscription", default=None,
                            metavar="SUBSCRIPTION",
                            help="with --streaming: Pub/Sub subscription (projects/P/subscriptions/S) of Cloud Storage "
                                 "OBJECT_FINALIZE notifications (or `newsbeam notify` messages) naming the files to read")
        parser.add_argument("--window", dest="window", type=float, default=60.0,
                            help="with --streaming: seconds per output window (by arrival time); each window's rows "
                                 "are written when it closes, with a manifest _runs/<run_id>-w<start>.json")
        parser.add_argument("--dedup_horizon", "--dedup-horizon", dest="dedup_horizon", default="7d",
                            help="with --streaming: how long an article is remembered for dedup (and a notification "
                                 "for redelivery): 7d, 12h, 30m, 90s or seconds; also the allowed lateness of windows")
        parser.add_argument("--heartbeat", dest="heartbeat", type=float, default=5.0,
                            help="with --streaming on the local runner: seconds between heartbeat messages that move "
                                 "the watermark when no file arrives (0: off; never sent on Dataflow)")
        parser.add_argument("--max_runtime", "--max-runtime", dest="max_runtime", type=float, default=None,
                            help="with --streaming on the local runner: drain and stop after this many seconds "
                                 "(default: until SIGINT/SIGTERM)")
        parser.add_argument("--log_level", "--log-level", dest="log_level", type=str.upper, choices=LEVELS,
                            default=DEFAULT_LEVEL,
                            help="level of newsbeam's log messages on stderr; the libraries it calls "
                                 "(trafilatura, htmldate, dateutil, charset_normalizer, …) log only at DEBUG. "
                                 "Progress and job-submission lines show unless ERROR")
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

    def stream_settings(self):
        """The streaming graph's settings (`pipeline.streaming.StreamSettings`); ValueError when one is bad."""
        from pipeline.streaming import StreamSettings, seconds_of

        if self.window <= 0:
            raise ValueError(f"--window must be a positive number of seconds, got {self.window}")
        if self.heartbeat < 0 or (self.max_runtime is not None and self.max_runtime <= 0):
            raise ValueError("--heartbeat must be >= 0 and --max-runtime > 0")
        horizon = seconds_of(self.dedup_horizon)
        if horizon < self.window:
            raise ValueError(f"--dedup-horizon ({self.dedup_horizon}) must be at least one --window")
        return StreamSettings(window_s=self.window, horizon_s=horizon, inputs=tuple(self.input or ()),
                              dedup_index=self.dedup_index)

    def write_options(self) -> WriteOptions:
        return WriteOptions(rows_per_file=self.rows_per_file, row_group_size=self.row_group_size,
                            write_shards=self.write_shards, partition_by=self.partition_by)


def parse_bool(text: str) -> bool:
    """`--flag`, `--flag=true` and `--flag=false` (how Flex Template parameters arrive)."""
    value = str(text).strip().lower()
    if value in ("true", "1", "yes"):
        return True
    if value in ("false", "0", "no"):
        return False
    raise argparse.ArgumentTypeError(f"expected true or false, got {text!r}")


# Options that only mean something to a streaming job: they go into the streaming template's
# metadata only. An option is marked by its dest here, by `action.streaming_only = True`, or by
# help text that starts with "with --streaming".
STREAMING_ONLY: set[str] = set()

# Template parameter checks, by dest where the type alone says too little.
PATTERNS = {
    "input": r"^\S+$",
    "output": r"^\S+$",
    "dedup_index": r"^\S+$",
    "run_id": r"^[A-Za-z0-9][A-Za-z0-9_.-]*$",
    "partition_by": r"^(date|date,topic)$",
}
TYPE_PATTERNS = {
    int: r"^[0-9]+$",
    float: r"^[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?$",
    parse_bool: r"^([Tt]rue|[Ff]alse)$",
}
TYPE_NAMES = {int: "NUMBER", float: "NUMBER", parse_bool: "BOOLEAN"}


@dataclasses.dataclass(frozen=True)
class OptionDoc:
    """One newsbeam option as the docs, `--help` and the template metadata show it."""

    flag: str  # the dashed spelling: --max-file-bytes
    name: str  # the dest / template parameter name: max_file_bytes
    default: str
    help: str
    kind: str  # TEXT, NUMBER or BOOLEAN
    pattern: str
    streaming_only: bool
    required: bool
    choices: tuple = ()


def option_docs() -> list[OptionDoc]:
    parser = argparse.ArgumentParser(add_help=False)
    NewsbeamOptions._add_argparse_args(parser)
    docs = []
    for action in parser._actions:
        flag = next((s for s in action.option_strings if "-" in s[2:]), action.option_strings[0])
        help_text = action.help or ""
        docs.append(OptionDoc(
            flag=flag, name=action.dest,
            default="" if action.default is None else str(action.default),
            help=help_text,
            kind="ENUM" if action.choices else TYPE_NAMES.get(action.type, "TEXT"),
            choices=tuple(action.choices or ()),
            pattern=PATTERNS.get(action.dest) or (
                "^(" + "|".join(re.escape(str(c)) for c in action.choices) + ")$" if action.choices
                else TYPE_PATTERNS.get(action.type, r"^.+$")),
            streaming_only=(getattr(action, "streaming_only", False) or action.dest in STREAMING_ONLY
                            or help_text.lower().startswith("with --streaming")),
            required=action.dest in ("input", "output"),
        ))
    return docs


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
