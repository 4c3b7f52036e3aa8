"""`newsbeam notify --folder URL --topic TOPIC [--watch SECONDS]`: publish Cloud Storage style
object notifications for the files of any fsspec folder, so a streaming job can read a local
folder, `s3://`, `memory://` … as it reads a bucket.

Each file becomes one Pub/Sub message shaped like a Cloud Storage notification:
attributes `bucketId`, `objectId`, `objectGeneration`, `eventType=OBJECT_FINALIZE`,
`payloadFormat=JSON_API_V1`, and a JSON object resource (`bucket`, `name`, `generation`,
`size`, `updated`). For `gs://` the bucket and object name are the real ones; for any other folder
`bucketId` is the folder's URL ending in `/` (a real bucket name never holds one) and `objectId` the path
below it, so the streaming job reads the file under the same URL a batch run over that folder
would (`newsbeam run --input FOLDER`), and gives the same ids. The generation is the object's
generation on Cloud Storage, else its modification time in microseconds: a rewritten file is a
new generation, the same file notified twice is one.

`--watch SECONDS` keeps looking at the folder and notifies files that are new or rewritten
since the last look; without it every file is notified once. Publishes to the Pub/Sub emulator
when `PUBSUB_EMULATOR_HOST` is set.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import os
import sys
import time
from typing import Iterable, NamedTuple, Optional

from transforms.model import UTC
from transforms.read import expand_input

LOG = logging.getLogger("newsbeam.notify")


class Notification(NamedTuple):
    data: bytes
    attributes: dict


def folder_root(folder: str) -> str:
    """The prefix every file URL of `folder` starts with, as `expand_input` writes it."""
    if "://" in folder:
        return folder.rstrip("/")
    return os.path.relpath(folder) if not os.path.isabs(folder) else os.path.normpath(folder)


def notification_of(uri: str, root: str, size: Optional[int], mtime: Optional[float],
                    generation: Optional[str] = None) -> Notification:
    """The Cloud Storage style notification of one file of the folder `root`."""
    if uri.startswith("gs://"):
        bucket, _, name = uri[len("gs://"):].partition("/")
    else:  # the folder, ending in "/": a bucket name never holds one
        bucket = root.rstrip("/") + "/"
        name = uri[len(root):].lstrip("/") if uri.startswith(root) else os.path.basename(uri)
    if generation is None:
        generation = str(int(round((mtime or 0) * 1_000_000)))
    updated = dt.datetime.fromtimestamp(mtime, UTC).isoformat().replace("+00:00", "Z") if mtime else None
    resource = {"kind": "storage#object", "bucket": bucket, "name": name, "generation": generation,
                "size": str(size) if size is not None else None, "updated": updated}
    attributes = {"bucketId": bucket, "objectId": name, "objectGeneration": generation,
                  "eventType": "OBJECT_FINALIZE", "payloadFormat": "JSON_API_V1",
                  "eventTime": dt.datetime.now(UTC).isoformat().replace("+00:00", "Z")}
    return Notification(json.dumps(resource).encode(), attributes)


def folder_notifications(folder: str, seen: Optional[dict] = None) -> list[Notification]:
    """Notifications of the files in `folder` whose generation is not in `seen` (uri -> generation,
    updated in place)."""
    root = folder_root(folder)
    out = []
    for ref in expand_input(folder):
        generation = _gcs_generation(ref.uri)
        note = notification_of(ref.uri, root, ref.size, ref.mtime, generation)
        if seen is not None:
            if seen.get(ref.uri) == note.attributes["objectGeneration"]:
                continue
            seen[ref.uri] = note.attributes["objectGeneration"]
        out.append(note)
    return out


def _gcs_generation(uri: str) -> Optional[str]:
    if not uri.startswith("gs://"):
        return None
    import fsspec

    fs, path = fsspec.core.url_to_fs(uri)
    generation = fs.info(path).get("generation")
    return str(generation) if generation is not None else None


def publish(topic: str, notifications: Iterable[Notification]) -> int:
    from google.cloud import pubsub_v1

    publisher = pubsub_v1.PublisherClient()
    futures = [publisher.publish(topic, n.data, **n.attributes) for n in notifications]
    for future in futures:
        future.result(timeout=60)
    return len(futures)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="newsbeam notify", description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--folder", required=True, metavar="URL", help="fsspec folder (or glob) of raw article files")
    parser.add_argument("--topic", required=True,
                        help="Pub/Sub topic the streaming job's subscription is attached to (projects/P/topics/T)")
    parser.add_argument("--watch", type=float, default=None, metavar="SECONDS",
                        help="keep looking every SECONDS and notify new or rewritten files (default: notify once)")
    return parser


def main(argv: list[str]) -> int:
    args = _parser().parse_args(argv)
    if not args.topic.startswith("projects/") or "/topics/" not in args.topic:
        print(f"newsbeam: error: --topic must look like projects/P/topics/T, got {args.topic}", file=sys.stderr)
        return 2
    seen: dict = {}
    try:
        while True:
            sent = publish(args.topic, folder_notifications(args.folder, seen))
            if sent:
                print(f"notified {sent} file(s) of {args.folder} on {args.topic}", flush=True)
            if args.watch is None:
                return 0
            time.sleep(args.watch)
    except KeyboardInterrupt:
        return 0
    except Exception as exc:  # noqa: BLE001 - one line, not a traceback
        print(f"newsbeam: error: notify failed: {type(exc).__name__}: {' '.join(str(exc).split())[:300]}",
              file=sys.stderr)
        return 1
