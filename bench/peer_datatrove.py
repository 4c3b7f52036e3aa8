"""The peer: datatrove 0.10 doing newsbeam's peer work on the benchmark corpus.

`python -m bench.peer_datatrove --input DIR/jsonl --output DIR --workers 2 [--json FILE]`
runs, with datatrove's `LocalPipelineExecutor` and its defaults where it has them:

1. read JSONL.gz -> exact-dedup signatures (hash of the text);
2. find exact duplicates;
3. read -> drop exact duplicates -> MinHash signatures (`MinhashConfig()`: 5-grams,
   14 buckets x 8 hashes, English word tokenizer);
4. MinHash buckets (one task per bucket);
5. MinHash clusters;
6. read -> drop exact duplicates -> drop near duplicates -> Parquet (document id = URL).

Stage 6 reads the raw files again and re-applies the exact filter so that document indices
match the ones stage 3 hashed; datatrove's own examples chain stages the same way.

datatrove is an optional extra (`bench`); it runs in its own virtualenv when it does not
install beside apache-beam (see `bench/run.py`). This module imports only datatrove and the
standard library, so that it runs in that environment.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Optional


def text_of(doc) -> str:
    return doc.text


def run(source: str, output: str, workers: int = 2) -> dict:
    from datatrove.executor.local import LocalPipelineExecutor
    from datatrove.pipeline.dedup.exact_dedup import (ExactDedupConfig, ExactDedupFilter, ExactDedupSignature,
                                                      ExactFindDedups)
    from datatrove.pipeline.dedup.minhash import (MinhashConfig, MinhashDedupBuckets, MinhashDedupCluster,
                                                  MinhashDedupFilter, MinhashDedupSignature)
    from datatrove.pipeline.readers import JsonlReader
    from datatrove.pipeline.writers import ParquetWriter

    work = Path(output)
    work.mkdir(parents=True, exist_ok=True)
    scratch, logs = work / "_scratch", work / "_logs"
    files = len(list(Path(source).glob("*.jsonl.gz")))
    tasks = max(1, min(files, workers))
    exact = ExactDedupConfig(content_getter=text_of)
    minhash = MinhashConfig()

    def reader():
        return JsonlReader(source, glob_pattern="*.jsonl.gz", text_key="text", id_key="url")

    def executor(name, pipeline, n_tasks, depends=None):
        return LocalPipelineExecutor(pipeline=pipeline, tasks=n_tasks, workers=min(workers, n_tasks),
                                     logging_dir=str(logs / name), depends=depends, start_method="fork")

    stages = [
        ("exact_signatures", lambda d: executor(
            "1-exact-sigs", [reader(), ExactDedupSignature(str(scratch / "exact-sigs"), exact)], tasks, d)),
        ("exact_find", lambda d: executor(
            "2-exact-find", [ExactFindDedups(str(scratch / "exact-sigs"), str(scratch / "exact-dups"), exact)], 1, d)),
        ("minhash_signatures", lambda d: executor("3-minhash-sigs", [
            reader(), ExactDedupFilter(str(scratch / "exact-dups"), exact),
            MinhashDedupSignature(str(scratch / "minhash-sigs"), config=minhash)], tasks, d)),
        ("minhash_buckets", lambda d: executor("4-minhash-buckets", [
            MinhashDedupBuckets(str(scratch / "minhash-sigs"), str(scratch / "minhash-buckets"), config=minhash)],
            minhash.num_buckets, d)),
        ("minhash_clusters", lambda d: executor("5-minhash-clusters", [
            MinhashDedupCluster(str(scratch / "minhash-buckets"), str(scratch / "minhash-remove"), config=minhash)],
            1, d)),
        ("filter_write", lambda d: executor("6-filter-write", [
            reader(), ExactDedupFilter(str(scratch / "exact-dups"), exact),
            MinhashDedupFilter(str(scratch / "minhash-remove")),
            ParquetWriter(str(work / "articles"), compression="zstd")], tasks, d)),
    ]
    timings = {}
    started = time.perf_counter()
    for name, make in stages:
        t0 = time.perf_counter()
        make(None).run()  # stages run one after another, so none depends on another's executor
        timings[name] = round(time.perf_counter() - t0, 3)
    return {"tool": "datatrove", "seconds": time.perf_counter() - started, "stages": timings,
            "tasks": tasks, "workers": workers}


def kept_ids(output: str) -> list[str]:
    """Document ids (URLs) datatrove wrote."""
    import pyarrow.parquet as pq

    ids: list[str] = []
    for path in sorted(Path(output, "articles").glob("*.parquet")):
        ids.extend(pq.read_table(path, columns=["id"]).column("id").to_pylist())
    return ids


def main(argv: Optional[list[str]] = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.peer_datatrove", description=__doc__.split("\n")[0])
    parser.add_argument("--input", required=True, help="folder of .jsonl.gz files")
    parser.add_argument("--output", required=True)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--json", help="write the result here as JSON")
    args = parser.parse_args(argv)
    try:
        import datatrove  # noqa: F401
    except ImportError:
        print("datatrove is not installed in this environment (pip install 'newsbeam[bench]')", file=sys.stderr)
        raise SystemExit(3)
    result = run(args.input, args.output, args.workers)
    result["kept_ids"] = kept_ids(args.output)
    result["articles"] = len(result["kept_ids"])
    if args.json:
        Path(args.json).write_text(json.dumps(result))
    print(json.dumps({k: v for k, v in result.items() if k != "kept_ids"}, indent=2), file=sys.stderr)


if __name__ == "__main__":
    main()
