"""Read: expand `--input` URLs into files, and files into bytes, within safe limits.

Guarantees:
- Every file an input matches becomes exactly one `FileRef` (directories are walked, globs
  expanded, `.zip` archives expanded into one ref per member); hidden files (`.name`, `_name`)
  are skipped, the same file matched by two inputs is read once.
- Reading decompresses by extension (.gz .bz2 .xz .zst) and stops with `LimitExceeded` as soon
  as a file inflates past `max_file_bytes` or past `max_ratio` times its stored size, so a
  decompression bomb costs at most a few MiB of memory.
- Any fsspec URL works: local paths, `memory://`, `s3://`, `gs://`, `zip://member::archive.zip`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import os
import posixpath
from typing import Iterable, NamedTuple, Optional

import apache_beam as beam
import fsspec
from apache_beam.metrics import Metrics

from transforms import progress
from transforms.model import UTC

LOG = logging.getLogger("newsbeam.read")

READ_CHUNK = 64 * 1024  # a break in a compressed stream loses at most the chunk being inflated

COMPRESSIONS = {".gz": "gzip", ".bz2": "bz2", ".xz": "xz", ".lzma": "lzma", ".zst": "zstd"}


class ReadError(Exception):
    """A file could not be read; it becomes one dead letter at stage `read`."""

    stage = "read"


class LimitExceeded(ReadError):
    """A file or record is larger than a configured limit."""


@dataclasses.dataclass(frozen=True)
class ReadLimits:
    max_file_bytes: int = 512 * 1024 * 1024  # decompressed bytes per file
    max_record_bytes: int = 16 * 1024 * 1024  # bytes per article record
    max_ratio: float = 200.0  # decompressed / stored size, checked past `ratio_floor_bytes`
    ratio_floor_bytes: int = 8 * 1024 * 1024

    def __post_init__(self):
        for name in ("max_file_bytes", "max_record_bytes", "ratio_floor_bytes"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be a positive number of bytes, got {getattr(self, name)}")
        if self.max_ratio <= 1:
            raise ValueError(f"max_ratio must be above 1, got {self.max_ratio:g}")


class FileRef(NamedTuple):
    uri: str
    size: Optional[int]
    mtime: Optional[float]  # POSIX seconds, when the filesystem knows it


class RawFile(NamedTuple):
    uri: str
    data: bytes
    stored_size: Optional[int]
    mtime: Optional[float]
    # Why a compressed stream ended early, when it did: `data` then holds what decompressed
    # before the break, and record splitting keeps every whole record in it.
    truncated: Optional[str] = None


# --- matching ----------------------------------------------------------------------------------

def _split_chain(url: str) -> tuple[str, str]:
    """`zip://*.txt::archive.zip` -> (`zip://*.txt`, `::archive.zip`); plain URLs have no tail."""
    head, sep, tail = url.partition("::")
    return head, (sep + tail if sep else "")


def _is_hidden(path: str) -> bool:
    name = posixpath.basename(path.rstrip("/"))
    return name.startswith(".") or name.startswith("_")


def _mtime(info: dict) -> Optional[float]:
    for key in ("mtime", "LastModified", "updated", "last_modified", "created"):
        value = info.get(key)
        if value is None:
            continue
        if isinstance(value, (int, float)):
            return float(value)
        if isinstance(value, dt.datetime):
            return (value if value.tzinfo else value.replace(tzinfo=UTC)).timestamp()
        if isinstance(value, str):
            try:
                return dt.datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
            except ValueError:
                continue
    return None


def _is_local(fs: fsspec.AbstractFileSystem) -> bool:
    protocols = fs.protocol if isinstance(fs.protocol, tuple) else (fs.protocol,)
    return "file" in protocols or "local" in protocols


def _ref(fs: fsspec.AbstractFileSystem, path: str, info: dict, tail: str, relative: bool) -> FileRef:
    uri = fs.unstrip_protocol(path) + tail
    if _is_local(fs) and not tail:
        # Local files keep the form the user typed: a relative input gives relative URIs, so
        # ids (hashes of the URI) do not depend on where the checkout lives.
        uri = os.path.relpath(path) if relative else path
    size = info.get("size")
    return FileRef(uri, int(size) if size is not None else None, _mtime(info))


def input_exists(url: str) -> bool:
    """Whether an `--input` names something that exists (a file, a folder or a matching glob)."""
    try:
        fs, path = fsspec.core.url_to_fs(url)
        if any(c in path for c in "*?["):
            return bool(fs.glob(path))
        return fs.exists(path)
    except (OSError, ValueError):
        return False


def expand_input(url: str) -> list[FileRef]:
    """All files one `--input` names, sorted by URI; `.zip` and `.tar(.gz)` archives expand to members."""
    head, tail = _split_chain(url)
    fs, path = fsspec.core.url_to_fs(url)
    relative = "://" not in head and not os.path.isabs(head) and not head.startswith("~")
    if any(c in path for c in "*?["):
        found = fs.glob(path, detail=True)
        infos = {}
        for p, info in found.items():
            if info.get("type") == "directory":
                infos.update(fs.find(p, detail=True))
            else:
                infos[p] = info
    elif fs.isdir(path):
        infos = fs.find(path, detail=True)
    else:
        infos = {path: fs.info(path)}
    refs = []
    for p, info in sorted(infos.items()):
        if info.get("type") == "directory" or _is_hidden(p):
            continue
        ref = _ref(fs, p, info, tail, relative)
        if ref.uri.lower().endswith(".zip") and not tail:
            refs.extend(_zip_members(ref))
        elif ref.uri.lower().endswith(TAR_SUFFIXES) and not tail:
            refs.extend(_tar_members(ref))
        else:
            refs.append(ref)
    return refs


# Tar archives whose members are read as files; fsspec's tar filesystem infers the compression
# from these names when a member is opened (`tar://member::archive.tar.gz`).
TAR_SUFFIXES = (".tar", ".tar.gz", ".tar.bz2", ".tar.xz", ".tar.zst")


def _tar_members(archive: FileRef) -> list[FileRef]:
    """One ref per regular file of a tar archive, named `tar://<member>::<archive>`.

    Listing walks the archive's headers once (a compressed archive is inflated as a stream,
    never held in memory); each member is then read, decompressed and limited like any file.
    An archive that cannot be listed is kept as one ref, so reading it fails as one dead letter.
    """
    try:
        tfs = fsspec.filesystem("tar", fo=archive.uri)
        found = tfs.find("/", detail=True)
    except Exception as exc:  # damaged archive: let the read stage report it
        LOG.warning("cannot list tar archive %s: %s", archive.uri, exc)
        return [archive]
    members = []
    for p, info in sorted(found.items()):
        if info.get("type") != "file" or _is_hidden(p):
            continue
        members.append(FileRef(f"tar://{p.lstrip('/')}::{archive.uri}", info.get("size"), archive.mtime))
    return members


def _zip_members(archive: FileRef) -> list[FileRef]:
    zfs = fsspec.filesystem("zip", fo=archive.uri)
    members = []
    for p, info in sorted(zfs.find("/", detail=True).items()):
        if info.get("type") == "directory" or _is_hidden(p):
            continue
        # The stored (compressed) size, so that the ratio limit guards each member.
        stored = info.get("compress_size", info.get("size"))
        members.append(FileRef(f"zip://{p.lstrip('/')}::{archive.uri}", stored, archive.mtime))
    return members


# --- reading -----------------------------------------------------------------------------------

def compression_of(uri: str) -> Optional[str]:
    head, _ = _split_chain(uri)
    lower = head.lower()
    for ext, name in COMPRESSIONS.items():
        if lower.endswith(ext):
            return name
    return None


def read_file(ref: FileRef, limits: ReadLimits = ReadLimits()) -> RawFile:
    """The decompressed bytes of one file, or `LimitExceeded`/`ReadError` with the reason.

    A compressed stream that ends early keeps what decompressed before the break (see
    `RawFile.truncated`); a stream that yields nothing at all is a `ReadError`.
    """
    compression = compression_of(ref.uri)
    # Archive members (zip://…::a.zip) are compressed too; their FileRef carries the stored size.
    guarded = compression or ("::" in ref.uri and ref.uri.split("://", 1)[0] in ("zip", "tar"))
    chunks, total, truncated = [], 0, None
    try:
        with fsspec.open(ref.uri, "rb", compression=compression) as handle:
            while True:
                try:
                    chunk = handle.read(READ_CHUNK)
                except EOFError as exc:
                    if not compression or not total:
                        raise
                    truncated = f"{compression} stream ends early after {total} bytes: {exc}"
                    break
                if not chunk:
                    break
                total += len(chunk)
                chunks.append(chunk)
                if total > limits.max_file_bytes:
                    raise LimitExceeded(
                        f"file inflates past max_file_bytes={limits.max_file_bytes}"
                    )
                if (guarded and ref.size and total > limits.ratio_floor_bytes
                        and total / ref.size > limits.max_ratio):
                    raise LimitExceeded(
                        f"{compression or 'archive member'} inflates more than max_ratio={limits.max_ratio:g}x "
                        f"({ref.size} stored bytes -> over {total} bytes): likely a decompression bomb"
                    )
    except ReadError:
        raise
    except (EOFError, OSError, ValueError, RuntimeError) as exc:
        kind = f"{compression} stream" if compression else "file"
        raise ReadError(f"cannot read {kind}: {type(exc).__name__}: {exc}") from exc
    except Exception as exc:  # zstd, lzma and fsspec backends raise their own error types
        raise ReadError(f"cannot read file: {type(exc).__name__}: {exc}") from exc
    return RawFile(ref.uri, b"".join(chunks), ref.size, ref.mtime, truncated)


# --- Beam --------------------------------------------------------------------------------------

class MatchFiles(beam.PTransform):
    """Input URLs -> one `FileRef` per file, spread across workers.

    Matching runs inside the pipeline so that it works on any runner; a URL that cannot be
    expanded raises at construction time in the CLI's pre-flight check instead.
    """

    def expand(self, urls):
        return (
            urls
            | "Expand" >> beam.FlatMap(expand_input)
            | "KeyByUri" >> beam.Map(lambda ref: (ref.uri, ref))
            | "OncePerUri" >> beam.CombinePerKey(lambda refs: next(iter(refs)))
            | "Values" >> beam.Values()
            | "Count" >> beam.Map(_count, Metrics.counter("newsbeam", "files_matched"))
            | "Spread" >> beam.Reshuffle()
        )


def _count(element, counter):
    counter.inc()
    progress.add("match", files=1, bytes=element.size or 0)
    return element


class ReadFileFn(beam.DoFn):
    def __init__(self, limits: ReadLimits):
        self.limits = limits

    def setup(self):
        self.bytes_read = Metrics.counter("newsbeam", "bytes_read")

    def process(self, ref: FileRef) -> Iterable[RawFile]:
        try:
            raw = read_file(ref, self.limits)
        finally:  # a file that fails is done too (as a dead letter)
            progress.add("read", files=1, bytes=ref.size or 0)
        self.bytes_read.inc(len(raw.data))
        yield raw
