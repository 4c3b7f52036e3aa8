"""`make bench`: newsbeam against its peer (datatrove) and its own no-Beam floor, in one run.

    python -m bench.run [--articles 100000] [--scale 400000] [--only newsbeam-peer-2w,…]

On one generated corpus (`bench/corpus.py`; JSONL.gz layout, or `--layout txt`) it runs, each as its own process
tree, one after another:

| job | what |
|---|---|
| `newsbeam-full-1w` / `-2w` | `newsbeam run` (parse, clean, dedup, enrich, write) on the local FnApiRunner, one worker / `--direct_running_mode multi_processing --direct_num_workers 2` |
| `newsbeam-peer-1w` / `-2w` | the same with `--skip_enrich`: the peer's work (read, parse, exact + near dedup, write) |
| `floor` | newsbeam's plain-Python cores in one loop, no Beam, one process (`bench/floor.py`) |
| `datatrove` | datatrove 0.10 doing the equivalent work with two workers (`bench/peer_datatrove.py`), skipped with a message when it is not installed |
| `newsbeam-peer-2w@<scale>` | the peer-work two-worker job again on a corpus `--scale` articles large (memory growth; `--scale-full` adds the full pipeline) |
| `newsbeam-stream` | the streaming graph (`newsbeam run --streaming`, full pipeline, local runner, Pub/Sub emulator) fed with 1,000-article corpus files: drop-to-readable latency at the default window with and without heartbeats, sustained articles/s over `--stream-files` files (first vs last 5,000) beside the batch graph on the same files, dedup state per 100k articles (`bench/bench_stream.py`, runnable alone) |

For each: articles/s (records in / wall time of the whole process, start-up included), peak RSS
of the process tree (sum over the process and all its descendants, sampled every 0.2 s), time
per stage, and dedup quality against the corpus ground truth (`bench/quality.py`). The bar's
ratios are computed from this one run, so machine noise mostly cancels. Results go to
`bench/results/bench-<N>.json` and `bench/results/bench-<N>.md` (`bench-<N>-only-<jobs>.*` for a
run with `--only`); the load average before and after is recorded, since a shared machine skews
absolute numbers.

datatrove runs with the interpreter named by `NEWSBEAM_PEER_PYTHON`, else `.venv-peer/bin/python`
(what `make bench` builds from `bench/peer-requirements.txt`, kept apart from apache-beam),
else the current one if it can import datatrove.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Optional

from bench.corpus import CORPUS_ROOT, DEFAULT_DATA, ensure_corpus
from bench.quality import evaluate, kept_from_parquet, load_truth, record_index

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RESULTS = HERE / "results"
RUNS = CORPUS_ROOT / "_runs"
TWO_WORKERS = ["--direct_running_mode", "multi_processing", "--direct_num_workers", "2"]
PAGE = os.sysconf("SC_PAGE_SIZE")

BARS = (
    ("peer-2w >= 3x datatrove", "newsbeam-peer-2w", "datatrove", 3.0),
    ("full-2w >= 2x datatrove", "newsbeam-full-2w", "datatrove", 2.0),
    ("peer-1w >= 0.7x floor", "newsbeam-peer-1w", "floor", 0.7),
)


# --- process-tree measurement ----------------------------------------------------------------------

def _tree_rss(root: int) -> int:
    """Resident bytes of `root` and all its descendants right now."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as handle:
                stat = handle.read()
        except OSError:
            continue
        ppid = int(stat[stat.rindex(b")") + 2:].split()[1])
        children.setdefault(ppid, []).append(int(entry))
    total, stack = 0, [root]
    while stack:
        pid = stack.pop()
        try:
            with open(f"/proc/{pid}/statm") as handle:
                total += int(handle.read().split()[1]) * PAGE
        except (OSError, IndexError, ValueError):
            pass
        stack.extend(children.get(pid, ()))
    return total


class PeakRss:
    """Samples the resident memory of a process tree every `interval` seconds on a thread,
    from `start()` to `stop()`; `mib` is the largest sum seen."""

    def __init__(self, pid: int, interval: float = 0.2):
        self.pid, self.interval, self.peak = pid, interval, 0
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self):
        while not self._done.is_set():
            self.peak = max(self.peak, _tree_rss(self.pid))
            self._done.wait(self.interval)

    def start(self) -> "PeakRss":
        self._thread.start()
        return self

    def stop(self) -> float:
        self._done.set()
        self._thread.join()
        return self.mib

    @property
    def mib(self) -> float:
        return self.peak / 2**20


def measure(cmd: list[str], log: Path, env: Optional[dict] = None, interval: float = 0.2) -> dict:
    """Run `cmd`; its exit code, wall seconds and the peak RSS of its process tree."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("wb") as out:
        started = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, cwd=ROOT, env=env)
        rss = PeakRss(proc.pid, interval).start()
        rc = proc.wait()
        return {"rc": rc, "wall_s": time.perf_counter() - started, "peak_rss_mib": rss.stop()}


def _tail(path: Path, lines: int = 6) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def load_average() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


# --- the jobs --------------------------------------------------------------------------------------

def peer_python() -> Optional[str]:
    candidates = [os.environ.get("NEWSBEAM_PEER_PYTHON"), str(ROOT / ".venv-peer" / "bin" / "python"),
                  sys.executable]
    for python in candidates:
        if python and Path(python).exists():
            probe = subprocess.run([python, "-c", "import datatrove.pipeline.dedup"], capture_output=True)
            if probe.returncode == 0:
                return python
    return None


def newsbeam_job(name: str, corpus: Path, extra: list[str]) -> dict:
    """`corpus` is the layout folder (`…/jsonl` or `…/txt`)."""
    out = RUNS / name
    shutil.rmtree(out, ignore_errors=True)
    result_file = RUNS / f"{name}.json"
    cmd = [sys.executable, "-m", "bench.newsbeam_job", "--json", str(result_file), "--",
           "--input", str(corpus), "--output", str(out), "--run_id", name, *extra]
    return _run_job(name, cmd, result_file, lambda r: kept_from_parquet(str(out)))


def floor_job(name: str, corpus: Path) -> dict:
    out = RUNS / name
    shutil.rmtree(out, ignore_errors=True)
    result_file = RUNS / f"{name}.json"
    cmd = [sys.executable, "-m", "bench.floor", "--input", str(corpus), "--output", str(out),
           "--json", str(result_file)]
    return _run_job(name, cmd, result_file, lambda r: kept_from_parquet(str(out)))


def datatrove_job(name: str, corpus: Path, python: str) -> dict:
    out = RUNS / name
    shutil.rmtree(out, ignore_errors=True)
    result_file = RUNS / f"{name}.json"
    cmd = [python, "-m", "bench.peer_datatrove", "--input", str(corpus), "--output", str(out),
           "--workers", "2", "--json", str(result_file)]
    return _run_job(name, cmd, result_file,
                    lambda r: {record_index(u) for u in r.pop("kept_ids", [])} - {None})


def _run_job(name: str, cmd: list[str], result_file: Path, kept_of) -> dict:
    print(f"bench: {name} ...", file=sys.stderr, flush=True)
    result_file.unlink(missing_ok=True)
    log = RUNS / f"{name}.log"
    measured = measure(cmd, log)
    row = {"job": name, **measured, "log": str(log.relative_to(ROOT))}
    if measured["rc"] != 0 or not result_file.exists():
        row["error"] = f"exit {measured['rc']}: " + _tail(log)
        print(f"bench: {name} FAILED ({row['error']})", file=sys.stderr)
        return row
    result = json.loads(result_file.read_text())
    row["kept"] = kept_of(result)
    row["stages"] = result.get("stages", {})
    if result.get("manifest"):
        row["counts"] = result["manifest"].get("counts")
        row["balanced"] = result["manifest"].get("balanced")
    for key in ("near_dedup", "tasks", "workers"):
        if key in result:
            row[key] = result[key]
    print(f"bench: {name} done in {measured['wall_s']:.1f} s, peak RSS {measured['peak_rss_mib']:.0f} MiB",
          file=sys.stderr, flush=True)
    return row


def plan(only: Optional[set[str]], scale: int, scale_full: bool = False) -> list[tuple[str, str, list[str], bool]]:
    """(job name, kind, extra args, at scale) of every job to run, in order."""
    jobs = [
        ("newsbeam-full-1w", "newsbeam", [], False),
        ("newsbeam-full-2w", "newsbeam", TWO_WORKERS, False),
        ("newsbeam-peer-1w", "newsbeam", ["--skip_enrich"], False),
        ("newsbeam-peer-2w", "newsbeam", ["--skip_enrich", *TWO_WORKERS], False),
        ("floor", "floor", [], False),
        ("datatrove", "datatrove", [], False),
        ("newsbeam-stream", "stream", [], False),
    ]
    if scale:
        jobs.append(("newsbeam-peer-2w", "newsbeam", ["--skip_enrich", *TWO_WORKERS], True))
        if scale_full:
            jobs.append(("newsbeam-full-2w", "newsbeam", TWO_WORKERS, True))
    return [j for j in jobs if not only or j[0] in only]


# --- report ----------------------------------------------------------------------------------------

def _rate(row: dict, n: int) -> Optional[float]:
    if "error" in row or row.get("skipped"):
        return None
    return n / row["wall_s"]


def bars(rows: dict[str, dict], n: int, scale: int) -> list[dict]:
    out = []
    for label, a, b, need in BARS:
        ra, rb = _rate(rows.get(a, {"skipped": 1}), n), _rate(rows.get(b, {"skipped": 1}), n)
        ratio = ra / rb if ra and rb else None
        out.append({"bar": label, "ratio": ratio, "need": need, "met": ratio is not None and ratio >= need})
    for job in ("newsbeam-full-2w", "newsbeam-peer-2w"):
        small, large = rows.get(job), rows.get(f"{job}@{scale}")
        if small and large and "error" not in small and "error" not in large:
            ratio = large["peak_rss_mib"] / small["peak_rss_mib"]
            out.append({"bar": f"{job} RSS at {scale} <= 1.5x at {n}", "ratio": ratio, "need": 1.5,
                        "met": ratio <= 1.5, "lower_is_better": True})
    errors = [r["quality"]["distinct_dropped"]["error"] for name, r in rows.items()
              if name.startswith("newsbeam") and "quality" in r]
    if errors:
        out.append({"bar": "newsbeam drops no distinct article", "ratio": max(errors), "need": 0,
                    "met": max(errors) == 0, "lower_is_better": True})
    return out


def markdown(report: dict) -> str:
    n = report["articles"]
    lines = [
        f"newsbeam benchmark — {n:,} articles ({report['corpus']['exact']:,} exact + "
        f"{report['corpus']['near']:,} near copies planted), {report.get('layout', 'jsonl')} layout, {report['machine']}",
        f"load average before {report['load_before']}, after {report['load_after']}; {report['started_at']}",
        "",
        "| job | articles/s | wall s | peak RSS MiB | kept | copies missed (exact/near) | distinct dropped (error/real copy) | top stages (s) |",
        "|---|---:|---:|---:|---:|---|---|---|",
    ]
    for name, row in report["rows"].items():
        if row.get("skipped"):
            lines.append(f"| {name} | skipped: {row['skipped']} | | | | | | |")
            continue
        if "error" in row:
            lines.append(f"| {name} | failed (see {row['log']}) | | | | | | |")
            continue
        if "throughput" in row:
            tp, hb, nohb = row["throughput"], row.get("latency_heartbeats", {}), row.get("latency_no_heartbeats", {})
            lines.append(f"| {name} | {tp['articles_per_s']:,.0f} | {tp['wall_s']:.1f} | | | | | "
                         f"latency p50/max {hb.get('p50_s')}/{hb.get('max_s')} s with heartbeats, "
                         f"{nohb.get('p50_s')}/{nohb.get('max_s')} s without (window {hb.get('window_s')} s); "
                         f"last/first quarter {tp['last_vs_first']}; state "
                         f"{row['state']['mib_per_100k_articles']} MiB per 100k articles |")
            continue
        size = row.get("articles", n)
        q = row.get("quality", {})
        missed = q.get("copies_missed", {})
        dropped = q.get("distinct_dropped", {})
        top = sorted(row.get("stages", {}).items(), key=lambda kv: -kv[1])[:5]
        stages = ", ".join(f"{k} {v:.1f}" for k, v in top)
        lines.append(
            f"| {name} | {size / row['wall_s']:,.0f} | {row['wall_s']:.1f} | {row['peak_rss_mib']:,.0f} | "
            f"{q.get('kept', '')} | {missed.get('total', '')} ({missed.get('exact', '')}/{missed.get('near', '')}) | "
            f"{dropped.get('total', '')} ({dropped.get('error', '')}/{dropped.get('real_copy', '')}) | {stages} |")
    lines += ["", "| bar | measured | needed | met |", "|---|---:|---:|---|"]
    for bar in report["bars"]:
        ratio = "n/a" if bar["ratio"] is None else f"{bar['ratio']:.2f}"
        sign = "<=" if bar.get("lower_is_better") else ">="
        lines.append(f"| {bar['bar']} | {ratio} | {sign} {bar['need']} | {'yes' if bar['met'] else 'NO'} |")
    return "\n".join(lines) + "\n"


def _bench_dedup() -> Optional[dict]:
    """The near-dedup micro-benchmark of `bench/bench_dedup.py`, when it exists."""
    try:
        from bench import bench_dedup
    except ImportError:
        return None
    try:
        return bench_dedup.main()
    except Exception as exc:  # its failure must not lose the rest of the report
        return {"error": f"{type(exc).__name__}: {exc}"}


def main(argv: Optional[list[str]] = None) -> dict:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n")[0])
    parser.add_argument("--articles", "-n", type=int, default=int(os.environ.get("BENCH_ARTICLES", 100_000)))
    parser.add_argument("--scale", type=int, default=int(os.environ.get("BENCH_SCALE", 400_000)),
                        help="also run the newsbeam 2-worker jobs at this size for memory growth (0: skip)")
    parser.add_argument("--scale-full", action="store_true",
                        help="at --scale, run the full pipeline too (enrichment makes it the longest job)")
    parser.add_argument("--only", help="comma-separated job names to run (default: all)")
    parser.add_argument("--layout", choices=("jsonl", "txt"), default="jsonl",
                        help="corpus layout: JSONL.gz files of 1,000 records, or one .txt per article "
                             "(datatrove has no plain-text reader: its row is skipped)")
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--no-dedup-bench", action="store_true", help="skip bench/bench_dedup.py")
    parser.add_argument("--stream-files", type=int, default=20,
                        help="files (1,000 articles each) for the streaming job's throughput run (0: skip the job)")
    args = parser.parse_args(argv)
    only = set(args.only.split(",")) if args.only else None
    if not args.data.is_dir():
        print(f"bench: source data not found at {args.data}; nothing to benchmark", file=sys.stderr)
        return {}

    corpus = ensure_corpus(args.articles, (args.layout,), data=args.data)
    large = ensure_corpus(args.scale, (args.layout,), data=args.data) if args.scale else None
    truth = {args.articles: load_truth(corpus)}
    if large:
        truth[args.scale] = load_truth(large)
    python = peer_python()
    report = {
        "articles": args.articles,
        "scale": args.scale,
        "corpus": json.loads((corpus / "CORPUS.json").read_text()),
        "layout": args.layout,
        "machine": f"{os.cpu_count()} cores, Python {sys.version.split()[0]}",
        "started_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "load_before": load_average(),
        "rows": {},
    }
    for name, kind, extra, at_scale in plan(only, args.scale, args.scale_full):
        size, source = (args.scale, large) if at_scale else (args.articles, corpus)
        source = source / args.layout
        key = f"{name}@{size}" if at_scale else name
        if kind == "stream":
            if args.layout != "jsonl" or not args.stream_files:
                continue
            from bench import bench_stream

            row = bench_stream.run(source, throughput_files=min(args.stream_files, len(list(source.glob("*.jsonl.gz")))))
            row["job"] = key
            report["rows"][key] = row
            continue
        if kind == "newsbeam":
            row = newsbeam_job(key, source, extra)
        elif kind == "floor":
            row = floor_job(key, source)
        elif args.layout != "jsonl":
            row = {"job": key, "skipped": "datatrove has no reader for one-article .txt files"}
        elif python is None:
            row = {"job": key, "skipped": "datatrove not installed (make bench builds .venv-peer from "
                                          "bench/peer-requirements.txt)"}
            print(f"bench: {row['skipped']}", file=sys.stderr)
        else:
            row = datatrove_job(key, source, python)
        row["articles"] = size
        if "kept" in row:
            row["quality"] = evaluate(truth[size], row.pop("kept"), args.data)
        report["rows"][key] = row
    report["load_after"] = load_average()
    report["bars"] = bars(report["rows"], args.articles, args.scale)
    for row in report["rows"].values():
        report["bars"].extend(row.get("bars", []) if "throughput" in row else [])
    if not args.no_dedup_bench:
        dedup = _bench_dedup()
        if dedup is not None:
            report["bench_dedup"] = dedup
    RESULTS.mkdir(exist_ok=True)
    table = markdown(report)
    stem = f"bench-{args.articles}" + ("" if args.layout == "jsonl" else f"-{args.layout}")
    if only:  # a partial run does not overwrite the whole run's report
        stem += "-only-" + "+".join(sorted(only))
    (RESULTS / f"{stem}.json").write_text(json.dumps(report, indent=2, default=str))
    (RESULTS / f"{stem}.md").write_text(table)
    print(table)
    return report


if __name__ == "__main__":
    main()
