"""A crawl-sized WARC: `newsbeam run` on one file larger than `--max-file-bytes`, timed, with peak RSS.

`python -m bench.crawl [--pages 1500] [--image-kib 300]` writes `bench/corpus/crawl/crawl.warc.gz`
shaped like a Common Crawl file: per page a request record, the HTML response (the real pages of
`../shared/data/realworld/`, cycled, each at a URL of its own) and an image response of
`--image-kib` KiB (the bulk a crawl's records carry besides pages), every record its own gzip
member. Then it runs `newsbeam run` over it into a fresh OUT and reports wall time, the peak RSS of
the process tree (sampled every 0.2 s, as `bench.run` does), the file's decompressed size and the
manifest's counts. Results land in `bench/results/crawl-<pages>-<image KiB>.json`.
"""

from __future__ import annotations

import argparse
import gzip
import json
import shutil
import sys
from pathlib import Path
from typing import Optional

from bench.corpus import CORPUS_ROOT, DEFAULT_DATA
from bench.run import RESULTS, measure

HTTP = "Content-Type: application/http; msgtype=response\r\n"


def _record(rec_type: str, uri: str, block: bytes, extra: str = "") -> bytes:
    head = (f"WARC/1.0\r\nWARC-Type: {rec_type}\r\nWARC-Target-URI: {uri}\r\nWARC-Date: 2024-05-02T00:00:00Z\r\n"
            f"{extra}Content-Length: {len(block)}\r\n\r\n")
    return gzip.compress(head.encode() + block + b"\r\n\r\n", compresslevel=1)


def _response(body: bytes, content_type: str) -> bytes:
    return f"HTTP/1.1 200 OK\r\nContent-Type: {content_type}\r\nContent-Length: {len(body)}\r\n\r\n".encode() + body


def write_crawl(path: Path, pages: int, image_kib: int, data: Path = DEFAULT_DATA) -> int:
    """Write the crawl; returns its decompressed size in bytes."""
    sources = sorted(p for p in (data / "realworld").rglob("*.htm*") if p.is_file())
    if not sources:
        raise SystemExit(f"no HTML pages under {data / 'realworld'}")
    image = bytes(range(256)) * (image_kib * 4)
    size = 0
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as out:
        for n in range(pages):
            page = sources[n % len(sources)].read_bytes()
            url = f"https://crawl.example.org/{n}/{sources[n % len(sources)].stem}"
            records = (
                ("request", url, f"GET /{n} HTTP/1.1\r\nHost: crawl.example.org\r\n\r\n".encode(),
                 "Content-Type: application/http; msgtype=request\r\n"),
                ("response", url, _response(page, "text/html"), HTTP),
                ("response", f"{url}/image.jpg", _response(image, "image/jpeg"), HTTP),
            )
            for rec_type, uri, block, extra in records:
                member = _record(rec_type, uri, block, extra)
                size += len(gzip.decompress(member))
                out.write(member)
    return size


def main(argv: Optional[list[str]] = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pages", type=int, default=1500)
    parser.add_argument("--image-kib", type=int, default=300)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args(argv)
    folder = CORPUS_ROOT / "crawl"
    crawl = folder / "in" / "crawl.warc.gz"
    out = folder / "out"
    shutil.rmtree(folder, ignore_errors=True)
    size = write_crawl(crawl, args.pages, args.image_kib)
    cmd = [sys.executable, "-m", "pipeline", "run", "--input", str(crawl.parent), "--output", str(out),
           "--run_id", "crawl", "--direct_running_mode", "multi_processing",
           "--direct_num_workers", str(args.workers)]
    result = measure(cmd, folder / "run.log")
    manifest = json.loads((out / "_runs" / "crawl.json").read_text()) if result["rc"] == 0 else {}
    report = {"pages": args.pages, "image_kib": args.image_kib, "stored_bytes": crawl.stat().st_size,
              "decompressed_bytes": size, **result, "counts": manifest.get("counts", {})}
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"crawl-{args.pages}-{args.image_kib}.json").write_text(json.dumps(report, indent=2))
    print(json.dumps(report, indent=2))
    return report


if __name__ == "__main__":
    main()
