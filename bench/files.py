"""File counts an analyst lives with: files per 100k articles before and after `newsbeam compact`.

`python -m bench.files [--articles N] [--runs 30] [--layout date,topic|date ...]` on the bench
corpus (its articles are dated over two years, 2004-2005):
- one run over the whole corpus, then `newsbeam compact`;
- `--runs` scheduled runs into one OUT, the corpus' files arriving in that many batches (each run
  processes only the new files: the incremental default), then `newsbeam compact`.
For each: files and rows of `articles` (the empty placeholder not counted), files per 100k rows,
the median rows per file, and the median rows per file over the partitions holding at least
1,000 rows (the bar: >= 1,000 once compacted). Results go to `bench/results/files-<N>.json`.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Optional

import pyarrow.parquet as pq

from bench.corpus import CORPUS_ROOT, DEFAULT_DATA, ensure_corpus

ROOT = Path(__file__).resolve().parents[1]
RUNS = CORPUS_ROOT / "_runs"  # beside the corpus, out of git
RESULTS = ROOT / "bench" / "results"


def newsbeam(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "pipeline", *args], check=True, stdout=subprocess.DEVNULL)


def stats(out: Path) -> dict:
    """Files and rows of `articles`, overall and per partition."""
    per_partition: dict[str, list[int]] = {}
    for path in (out / "articles").rglob("part-*.parquet"):
        if path.name == "part-empty.parquet":
            continue
        per_partition.setdefault(str(path.parent), []).append(pq.ParquetFile(path).metadata.num_rows)
    files = sorted(n for counts in per_partition.values() for n in counts)
    rows = sum(files)
    big = sorted(n for counts in per_partition.values() if sum(counts) >= 1_000 for n in counts)
    return {
        "files": len(files), "rows": rows, "partitions": len(per_partition),
        "files_per_100k_articles": round(len(files) * 100_000 / rows, 1) if rows else None,
        "median_rows_per_file": files[len(files) // 2] if files else 0,
        "partitions_with_1000_rows": sum(sum(c) >= 1_000 for c in per_partition.values()),
        "median_rows_per_file_in_those": big[len(big) // 2] if big else None,
    }


def compacted(out: Path) -> dict:
    started = time.monotonic()
    newsbeam("compact", str(out))
    return {**stats(out), "compact_s": round(time.monotonic() - started, 1)}


def one_run(corpus: Path, out: Path, extra: list[str]) -> dict:
    shutil.rmtree(out, ignore_errors=True)
    started = time.monotonic()
    newsbeam("run", "--input", str(corpus), "--output", str(out), *extra)
    before = {**stats(out), "run_s": round(time.monotonic() - started, 1)}
    return {"before": before, "after": compacted(out)}


def schedule(corpus: Path, out: Path, runs: int, extra: list[str]) -> dict:
    """The corpus' files arrive in `runs` batches; one scheduled run after each."""
    shutil.rmtree(out, ignore_errors=True)
    inbox = out.parent / f"{out.name}-inbox"
    shutil.rmtree(inbox, ignore_errors=True)
    inbox.mkdir(parents=True)
    files = sorted(p for p in corpus.iterdir() if p.is_file())
    started = time.monotonic()
    for run in range(runs):
        for path in files[run * len(files) // runs:(run + 1) * len(files) // runs]:
            shutil.copyfile(path, inbox / path.name)
        newsbeam("run", "--input", str(inbox), "--output", str(out), *extra)
    before = {**stats(out), "runs": runs, "run_s": round(time.monotonic() - started, 1)}
    shutil.rmtree(inbox, ignore_errors=True)
    return {"before": before, "after": compacted(out)}


def main(argv: Optional[list[str]] = None) -> dict:
    parser = argparse.ArgumentParser(prog="python -m bench.files", description=__doc__.split("\n")[0])
    parser.add_argument("--articles", "-n", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--layout", action="append", choices=("date,topic", "date"), default=None)
    parser.add_argument("--skip-enrich", action="store_true",
                        help="faster, but every article has topic `unknown`: date x topic partitions look like date ones")
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    args = parser.parse_args(argv)
    corpus = ensure_corpus(args.articles, ("jsonl",), data=args.data) / "jsonl"
    report = {"articles": args.articles, "runs": args.runs, "skip_enrich": args.skip_enrich, "layouts": {}}
    for layout in args.layout or ["date,topic", "date"]:
        extra = ["--partition-by", layout] + (["--skip_enrich"] if args.skip_enrich else [])
        tag = layout.replace(",", "-")
        report["layouts"][layout] = {
            "one_run": one_run(corpus, RUNS / f"files-{tag}-one", extra),
            "scheduled": schedule(corpus, RUNS / f"files-{tag}-sched", args.runs, extra),
        }
        print(json.dumps({layout: report["layouts"][layout]}, indent=1), flush=True)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"files-{args.articles}.json").write_text(json.dumps(report, indent=2))
    print(markdown(report))
    return report


def markdown(report: dict) -> str:
    lines = [f"File counts, {report['articles']:,} articles dated over two years "
             f"({'no enrichment' if report['skip_enrich'] else 'full pipeline'}):", "",
             "| layout | output of | files | files per 100k | median rows/file | median rows/file, partitions >= 1,000 rows |",
             "|---|---|---:|---:|---:|---:|"]
    for layout, found in report["layouts"].items():
        for what, label in (("one_run", "one run"), ("scheduled", f"{report['runs']} scheduled runs")):
            for stage in ("before", "after"):
                s = found[what][stage]
                lines.append(f"| {layout} | {label}, {'compacted' if stage == 'after' else 'as written'} | "
                             f"{s['files']:,} | {s['files_per_100k_articles']} | {s['median_rows_per_file']} | "
                             f"{s['median_rows_per_file_in_those'] or '—'} |")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
