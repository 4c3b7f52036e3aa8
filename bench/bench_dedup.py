"""`make bench` / dedup: time and peak memory of the Beam `Dedup` composite at 25k, 50k, 100k articles.

Each size runs in its own process on FnApiRunner with two SDK worker processes
(`direct_running_mode=multi_processing, direct_num_workers=2`: the 2-core setting): read cleaned
articles from a JSONL file -> `Dedup(DedupOptions())` (exact + near) -> count the outputs. Peak RSS
is the largest sum of resident memory over the process and all its worker processes, sampled
every 0.2 s. Growth from one size to the next is reported as time and memory ratios (2.0 at a
doubling is linear).

The input is built once under `bench/corpus/` (git-ignored) from the syndication benchmark's
material: real Reuters and BBC stories (and, past those, originals recombined from paragraphs of
different stories), each with 0-4 syndicated copies parsed and cleaned by the project's cores.

It also measures signature speed of `transforms.minhash` against datasketch (when installed),
the measurement behind the choice of a numpy MinHash.

Usage: `python -m bench.bench_dedup [sizes...]`; `main()` returns the figures (called by
`bench/run.py`).
"""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CORPUS = Path(__file__).resolve().parent / "corpus"
SIZES = (25_000, 50_000, 100_000)


# --- the input ----------------------------------------------------------------------------------

def build_input(total: int = max(SIZES), seed: int = 11) -> Path:
    """JSONL of `total` cleaned articles (originals and copies interleaved), built once."""
    from bench import syndication
    from transforms.clean import clean_body
    from transforms.parse import parse_text
    from transforms.text import content_fingerprint, count_words

    path = CORPUS / f"dedup-bench-v2-{total}-{seed}.jsonl"
    if path.exists():
        return path
    CORPUS.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    pool, _ = syndication.distinct_originals(syndication.reuters_stories() + syndication.bbc_stories())
    paragraphs = [p for s in pool for p in s.paragraphs if len(p.split()) >= 12]
    # Real stories first, recombined ones (four paragraphs of different stories) past them; shuffled
    # so that every size has the same mix of lengths and cluster sizes.
    stories = list(pool) + [
        syndication.Story(f"mix-{n}", f"Mixed story {n}", None, rng.sample(paragraphs, 4), "mix")
        for n in range(max(0, total // 3 + 1000 - len(pool)))]
    rng.shuffle(stories)
    temp = path.with_suffix(".tmp")
    written = 0
    with temp.open("w", encoding="utf-8") as out:
        for n, story in enumerate(stories):
            if written >= total:
                break
            texts = [syndication.original_text(story)]
            texts += [syndication.make_copy(rng, story, pool) for _ in range(rng.randint(0, 4))]
            for c, text in enumerate(texts):
                if written >= total:
                    break
                fields = parse_text(text)
                body = clean_body(fields["body"])[0]
                if not body.strip():
                    continue
                uri = f"bench://{n:06d}-{c}.txt"
                out.write(json.dumps({"source_uri": uri, "title": fields["title"], "body": body,
                                      "content_hash": content_fingerprint(body),
                                      "word_count": count_words(body)}) + "\n")
                written += 1
    if written < total:
        raise RuntimeError(f"only {written} articles could be generated")
    temp.rename(path)
    return path


# --- one measured run (in a child process) --------------------------------------------------------

def _to_article(line: str):
    import datetime as dt

    from transforms.model import UTC, Article, stable_id

    row = json.loads(line)
    return Article(id=stable_id(row["source_uri"]), ingested_at=dt.datetime(2024, 1, 1, tzinfo=UTC),
                   date="2024-01-01", **row)


def _worker(path: str, size: int, result: str) -> None:
    import itertools

    import apache_beam as beam
    from apache_beam.options.pipeline_options import PipelineOptions
    from apache_beam.runners.portability.fn_api_runner import FnApiRunner

    from transforms.dedup import Dedup, DedupOptions

    sized = Path(result).with_suffix(".input.jsonl")
    with open(path, encoding="utf-8") as src, sized.open("w", encoding="utf-8") as dst:
        dst.writelines(itertools.islice(src, size))
    options = PipelineOptions(direct_running_mode="multi_processing", direct_num_workers=2)
    started = time.perf_counter()
    with beam.Pipeline(runner=FnApiRunner(), options=options) as p:
        out = (p | beam.io.ReadFromText(str(sized)) | "Articles" >> beam.Map(_to_article)
               | Dedup(DedupOptions()))
        counts = ((out["articles"] | "A" >> beam.Map(lambda _: "articles"),
                   out["duplicates"] | "D" >> beam.Map(lambda d: f"duplicates_{d.method}"))
                  | beam.Flatten() | beam.combiners.Count.PerElement() | beam.combiners.ToDict())
        counts | beam.Map(lambda c: Path(result).write_text(json.dumps(c)))
    seconds = time.perf_counter() - started
    counts = json.loads(Path(result).read_text())
    Path(result).write_text(json.dumps({"counts": counts, "seconds": seconds}))
    sized.unlink()


def _tree_rss(root: int) -> int:
    """Resident bytes of a process and all its descendants (Linux /proc)."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
            pid = int(entry)
            children.setdefault(int(fields[1]), []).append(pid)
            rss[pid] = int(fields[21]) * os.sysconf("SC_PAGE_SIZE")
        except (OSError, IndexError, ValueError):
            continue
    total, stack = 0, [root]
    while stack:
        pid = stack.pop()
        total += rss.get(pid, 0)
        stack.extend(children.get(pid, []))
    return total


def measure(path: Path, size: int) -> dict:
    # Scratch files go to a private temporary folder: bench/corpus may be shared by several checkouts.
    scratch = Path(tempfile.mkdtemp(prefix="newsbeam-dedup-bench-"))
    result = scratch / f"dedup-bench-{size}.json"
    proc = subprocess.Popen([sys.executable, "-m", "bench.bench_dedup", "--worker", str(path), str(size), str(result)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    peak = 0
    while proc.poll() is None:
        peak = max(peak, _tree_rss(proc.pid))
        time.sleep(0.2)
    stderr = proc.stderr.read()
    if proc.returncode != 0:
        raise RuntimeError(f"dedup benchmark at {size} failed: {stderr.strip().splitlines()[-1:]}")
    report = json.loads(result.read_text())
    shutil.rmtree(scratch, ignore_errors=True)
    return {"articles_in": size, "seconds": round(report["seconds"], 1), "peak_rss_mb": round(peak / 2**20),
            "articles_per_second": round(size / report["seconds"]), **report["counts"]}


# --- signature speed ------------------------------------------------------------------------------

def signature_speed(n: int = 400) -> dict:
    """Signatures/s of transforms.minhash vs datasketch (same 128 permutations, word 5-shingles)."""
    from transforms.minhash import MinHasher, MinHashParams, words

    lines = []
    path = build_input()
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            lines.append(json.loads(line)["body"])
            if len(lines) >= n:
                break
    hasher = MinHasher(MinHashParams())
    started = time.perf_counter()
    for body in lines:
        hasher.signature(body)
    ours = n / (time.perf_counter() - started)
    result = {"numpy_signatures_per_s": round(ours)}
    try:
        import datasketch
        import xxhash
    except ImportError:
        return result
    started = time.perf_counter()
    for body in lines:
        w = words(body)
        m = datasketch.MinHash(num_perm=128, hashfunc=lambda b: xxhash.xxh32_intdigest(b))
        m.update_batch([" ".join(w[i:i + 5]).encode() for i in range(max(1, len(w) - 4))])
    result["datasketch_update_batch_signatures_per_s"] = round(n / (time.perf_counter() - started))
    return result


def main(sizes: tuple[int, ...] = SIZES) -> dict:
    print(f"dedup benchmark: Beam Dedup (exact + near, default settings) at {', '.join(map(str, sizes))} articles, "
          "FnApiRunner multi_processing x2")
    path = build_input(max(sizes))
    speed = signature_speed()
    print(f"  MinHash signatures/s (one core): numpy {speed['numpy_signatures_per_s']}"
          + (f", datasketch update_batch {speed['datasketch_update_batch_signatures_per_s']}"
             if "datasketch_update_batch_signatures_per_s" in speed else ""))
    rows = []
    print("  articles   seconds   articles/s   peak RSS MB   kept     exact   near    time x   RSS x")
    for size in sizes:
        row = measure(path, size)
        if rows:
            row["time_growth"] = round(row["seconds"] / rows[-1]["seconds"], 2)
            row["rss_growth"] = round(row["peak_rss_mb"] / rows[-1]["peak_rss_mb"], 2)
            row["size_growth"] = round(size / rows[-1]["articles_in"], 2)
        rows.append(row)
        print(f"  {size:>8}  {row['seconds']:>8}  {row['articles_per_second']:>11}  {row['peak_rss_mb']:>12}  "
              f"{row.get('articles', 0):>6}  {row.get('duplicates_exact', 0):>6}  {row.get('duplicates_near', 0):>6}"
              f"  {row.get('time_growth', ''):>7}  {row.get('rss_growth', ''):>6}", flush=True)
    linear = all(r["time_growth"] <= r["size_growth"] * 1.1 and r["rss_growth"] <= r["size_growth"] * 1.1
                 for r in rows[1:])
    print(f"  growth no worse than linear: {'yes' if linear else 'NO'}")
    return {"sizes": rows, "signature_speed": speed, "linear": linear}


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--worker":
        _worker(sys.argv[2], int(sys.argv[3]), sys.argv[4])
    else:
        main(tuple(int(a) for a in sys.argv[1:]) or SIZES)
