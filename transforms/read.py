"""Read: expand `--input` URLs into files, and files into bytes, within safe limits.

Guarantees:
- Every entry an input matches becomes exactly one `FileRef` (directories are walked, globs
  expanded, `.zip` and tar archives expanded into one ref per member); hidden files and folders
  (`.name`, `_name`) are skipped, the same file matched by two inputs is read once.
- Only regular files are opened. On a local file system the walk looks at each entry without
  following it: a named pipe, socket or device, a folder that cannot be listed, a broken link and
  a symbolic link that leads out of the input root (unless `follow_symlinks`) each become a
  `FileRef` with a `problem`, which the read stage turns into one dead letter without opening it:
  nothing vanishes and nothing outside the input is read.
- A local name in bytes that are not UTF-8 (a Latin-1 `caf\\xe9.txt`) keeps its exact bytes: its
  URI is a `file://` URL with those bytes percent-encoded, and `FileRef.path` holds the name to
  open.
- Compression and containers are recognised by their magic numbers (gzip, bzip2, xz, lzma, zstd;
  tar, zip), not trusted from the name: a `.tar.xz` that is a plain tar expands into its
  members, a `.gz` that is not compressed is read as it is.
- Reading decompresses as a stream and stops with `LimitExceeded` as soon as a file inflates past
  `max_file_bytes` or past `max_ratio` times its stored size, so a decompression bomb costs at
  most a few MiB of memory. A stream that breaks off (a truncated download) keeps every byte that
  decompressed before the break (`RawFile.truncated` says why it ended).
- Any fsspec URL works: local paths, `memory://`, `s3://`, `gs://`, `zip://member::archive.zip`.
"""

from __future__ import annotations

import bz2
import collections
import dataclasses
import datetime as dt
import hashlib
import io
import logging
import lzma
import os
import posixpath
import stat
import zlib
from typing import Iterable, Iterator, NamedTuple, Optional
from urllib.parse import quote

import apache_beam as beam
import fsspec
import zstandard
from apache_beam.metrics import Metrics

from transforms import progress
from transforms.model import UTC

LOG = logging.getLogger("newsbeam.read")

READ_CHUNK = 64 * 1024  # stored bytes read at a time; also the most one decompression step yields

COMPRESSIONS = {".gz": "gzip", ".tgz": "gzip", ".bz2": "bz2", ".xz": "xz", ".lzma": "lzma", ".zst": "zstd"}
# Magic numbers of compressed streams; lzma-alone (`.lzma`) has none, so its name decides.
MAGIC = ((b"\x1f\x8b", "gzip"), (b"BZh", "bz2"), (b"\xfd7zXZ\x00", "xz"), (b"\x28\xb5\x2f\xfd", "zstd"))
ARCHIVE_SUFFIXES = (".zip", ".tar", ".tgz", ".tar.gz", ".tar.bz2", ".tar.xz", ".tar.zst")


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
    # A WARC is read as a stream of records, handed on in pieces of about this many bytes of HTML
    # responses: its size is not bounded by `max_file_bytes` (a Common Crawl file inflates to ~5 GB).
    warc_piece_bytes: int = 32 * 1024 * 1024

    def __post_init__(self):
        for name in ("max_file_bytes", "max_record_bytes", "ratio_floor_bytes", "warc_piece_bytes"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be a positive number of bytes, got {getattr(self, name)}")
        if self.max_ratio <= 1:
            raise ValueError(f"max_ratio must be above 1, got {self.max_ratio:g}")


class FileRef(NamedTuple):
    uri: str  # what rows name it by (`source_uri`): always valid UTF-8
    size: Optional[int]
    mtime: Optional[float]  # POSIX seconds, when the filesystem knows it
    path: Optional[str] = None  # what to open, when it differs from `uri` (a name in non-UTF-8 bytes)
    problem: Optional[str] = None  # why this entry is not read (not a regular file, …): one dead letter
    version: Optional[str] = None  # object generation (Cloud Storage) or ETag (S3), when the store has one


class RawFile(NamedTuple):
    uri: str
    data: bytes
    stored_size: Optional[int]
    mtime: Optional[float]
    # Why a compressed stream ended early, when it did: `data` then holds what decompressed
    # before the break, and record splitting keeps every whole record in it.
    truncated: Optional[str] = None
    # A piece of a crawl file read as a stream (`read_pieces`): its kind ("warc"), the file index
    # of its first record, and the records dropped on purpose since the previous piece, by reason.
    kind: Optional[str] = None
    first_index: int = 0
    skipped: tuple[tuple[str, int], ...] = ()


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


def _utf8(text: str) -> bool:
    try:
        text.encode("utf-8")
        return True
    except UnicodeEncodeError:
        return False


def local_uri(path: str, relative: bool) -> tuple[str, Optional[str]]:
    """(uri, path to open) of a local file. A name in UTF-8 keeps the form the user typed (a
    relative input gives relative URIs, so ids do not depend on where the checkout lives); a name
    in other bytes becomes a `file://` URL with those bytes percent-encoded, which no plain path
    can equal, so two names never share a URI."""
    if _utf8(path):
        return (os.path.relpath(path) if relative else path), None
    return "file://" + quote(os.fsencode(os.path.abspath(path)), safe="/"), path


def _safe_uri(uri: str) -> tuple[str, Optional[str]]:
    """(uri, path to open) of any URI: undecodable bytes (surrogates) percent-encoded."""
    if _utf8(uri):
        return uri, None
    return quote(uri.encode("utf-8", "surrogateescape"), safe="/:#?=&@!$'()*+,;~"), uri


def _problem(path: str, relative: bool, why: str, mtime: Optional[float] = None) -> FileRef:
    uri, original = local_uri(path, relative)
    return FileRef(uri, None, mtime, original, why)


_SPECIAL = ((stat.S_ISFIFO, "a named pipe (FIFO)"), (stat.S_ISSOCK, "a socket"),
            (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"))


def _not_regular(mode: int) -> Optional[str]:
    for test, name in _SPECIAL:
        if test(mode):
            return f"not a regular file: {name}; skipped without opening it"
    return None if stat.S_ISREG(mode) else "not a regular file; skipped without opening it"


def _inside(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


def walk_local(top: str, root: str, relative: bool, follow_symlinks: bool = False) -> list[FileRef]:
    """Every entry under the local folder `top` (inside the input root `root`), without
    following what it must not: see the module docstring."""
    refs: list[FileRef] = []
    real_root = os.path.realpath(root)
    seen_dirs = {os.path.realpath(top)}
    stack = [top]
    while stack:
        folder = stack.pop()
        try:
            with os.scandir(folder) as entries:
                listed = sorted(entries, key=lambda e: e.name)
        except OSError as exc:
            refs.append(_problem(folder, relative, f"cannot list folder: {exc.strerror or exc}"))
            continue
        for entry in listed:
            if _is_hidden(entry.name):
                continue
            path = entry.path
            try:
                info = entry.stat(follow_symlinks=False)
                if stat.S_ISLNK(info.st_mode):
                    target = os.path.realpath(path)
                    if not follow_symlinks and not _inside(target, real_root):
                        refs.append(_problem(path, relative, "symbolic link to a path outside the input root: "
                                                             "not followed (--follow-symlinks reads it)"))
                        continue
                    try:
                        info = os.stat(path)
                    except OSError:
                        refs.append(_problem(path, relative, "broken symbolic link: its target does not exist"))
                        continue
                    if stat.S_ISDIR(info.st_mode):
                        if target in seen_dirs:
                            continue  # a loop, or a folder reached already
                        seen_dirs.add(target)
            except OSError as exc:
                refs.append(_problem(path, relative, f"cannot inspect entry: {exc.strerror or exc}"))
                continue
            if stat.S_ISDIR(info.st_mode):
                stack.append(path)
                continue
            why = _not_regular(info.st_mode)
            if why:
                refs.append(_problem(path, relative, why, info.st_mtime))
                continue
            uri, original = local_uri(path, relative)
            refs.append(FileRef(uri, info.st_size, info.st_mtime, original))
    return refs


class InputUnreachable(Exception):
    """The store holding an input refused access or could not be reached (permission,
    credentials, DNS, network): not the same as an input that does not exist."""


def input_exists(url: str) -> bool:
    """Whether an `--input` names something that exists (a file, a folder or a matching glob);
    `InputUnreachable` when its store cannot tell (access denied, no credentials, no network)."""
    try:
        fs, path = fsspec.core.url_to_fs(url)
        if any(c in path for c in "*?["):
            return bool(fs.glob(path))
        fs.info(path)  # not `exists`: it answers False for any error, denied access included
        return True
    except (FileNotFoundError, NotADirectoryError, ValueError):
        return False
    except ImportError as exc:  # e.g. gs:// without gcsfs installed
        raise InputUnreachable(f"no filesystem for this URL: {exc}") from exc
    except Exception as exc:  # noqa: BLE001 - backends raise their own types for auth and network errors
        raise InputUnreachable(f"{type(exc).__name__}: {' '.join(str(exc).split())[:300]}") from exc


def _glob_root(path: str) -> str:
    """The folder a glob cannot leave: its path up to the first wildcard."""
    parts = path.split("/")
    for i, part in enumerate(parts):
        if any(c in part for c in "*?["):
            return "/".join(parts[:i]) or "/"
    return path


def _expand_local(fs, path: str, relative: bool, follow_symlinks: bool) -> list[FileRef]:
    if any(c in path for c in "*?["):
        root = _glob_root(path)
        refs = []
        for match in sorted(fs.glob(path)):
            refs.extend(_expand_local_entry(match, root, relative, follow_symlinks))
        return refs
    if os.path.isdir(path):
        return walk_local(path, path, relative, follow_symlinks)
    # A file named explicitly is read as named (a link included: the user chose it), but only
    # when it is a regular file.
    return [_local_file(path, relative, "file")]


def _local_file(path: str, relative: bool, what: str) -> FileRef:
    """The ref of a local path that is not a folder: a regular file, or a problem saying why not."""
    try:
        info = os.stat(path)
    except OSError as exc:
        return _problem(path, relative, f"cannot inspect {what}: {exc.strerror or exc}")
    why = _not_regular(info.st_mode)
    if why:
        return _problem(path, relative, why, info.st_mtime)
    uri, original = local_uri(path, relative)
    return FileRef(uri, info.st_size, info.st_mtime, original)


def _expand_local_entry(path: str, root: str, relative: bool, follow_symlinks: bool) -> list[FileRef]:
    """One glob match: a folder is walked, anything else checked like a walked entry."""
    if os.path.islink(path) and not follow_symlinks and not _inside(os.path.realpath(path), os.path.realpath(root)):
        return [_problem(path, relative, "symbolic link to a path outside the input root: not followed "
                                         "(--follow-symlinks reads it)")]
    if os.path.isdir(path):
        return walk_local(path, root, relative, follow_symlinks)
    if _is_hidden(path):
        return []
    return [_local_file(path, relative, "entry")]


def _expand_remote(fs, path: str, tail: str) -> list[FileRef]:
    if any(c in path for c in "*?["):
        infos = {}
        for p, info in fs.glob(path, detail=True).items():
            if info.get("type") == "directory":
                infos.update(fs.find(p, detail=True))
            else:
                infos[p] = info
    elif fs.isdir(path):
        infos = fs.find(path, detail=True)
    else:
        infos = {path: fs.info(path)}
    root = _glob_root(path).rstrip("/")
    refs = []
    for p, info in sorted(infos.items()):
        below = p[len(root):] if p.startswith(root) else posixpath.basename(p)
        if info.get("type") == "directory" or any(_is_hidden(part) for part in below.split("/") if part):
            continue  # hidden files, and everything in hidden folders, as on a local walk
        uri, original = _safe_uri(fs.unstrip_protocol(p) + tail)
        size = info.get("size")
        problem = None if info.get("type", "file") == "file" else \
            f"not a regular file ({info.get('type')}); skipped without opening it"
        version = info.get("generation") or info.get("ETag") or info.get("etag")
        refs.append(FileRef(uri, int(size) if size is not None else None, _mtime(info), original, problem,
                            str(version).strip('"') if version else None))
    return refs


def expand_input(url: str, follow_symlinks: bool = False) -> list[FileRef]:
    """All entries one `--input` names, sorted by URI; archives expand to their members."""
    head, tail = _split_chain(url)
    fs, path = fsspec.core.url_to_fs(url)
    relative = "://" not in head and not os.path.isabs(head) and not head.startswith("~")
    if _is_local(fs) and not tail:
        found = _expand_local(fs, path, relative, follow_symlinks)
    else:
        found = _expand_remote(fs, path, tail)
    refs = []
    for ref in sorted(found, key=lambda r: r.uri):
        container = None if (ref.problem or tail) else container_of(ref)
        if container == "zip":
            refs.extend(_zip_members(ref))
        elif container == "tar":
            refs.extend(_tar_members(ref))
        else:
            refs.append(ref)
    return refs


# --- containers and compression, by magic number -----------------------------------------------

def compression_of(head: bytes) -> Optional[str]:
    """The compression a stream's first bytes announce, if any."""
    return next((name for magic, name in MAGIC if head.startswith(magic)), None)


def _is_tar(block: bytes) -> bool:
    return block[257:262] == b"ustar"


def container_of(ref: FileRef) -> Optional[str]:
    """`zip`, `tar` or None for a file whose name suggests an archive or a compressed stream; the
    first bytes decide (a name alone can lie). Other files are not opened at listing time."""
    name = ref.uri.lower()
    if not name.endswith(ARCHIVE_SUFFIXES + tuple(COMPRESSIONS)):
        return None
    try:
        with fsspec.open(ref.path or ref.uri, "rb") as handle:
            head = handle.read(512)
            if head.startswith(b"PK\x03\x04") or head.startswith(b"PK\x05\x06"):
                return "zip"
            kind = compression_of(head) or ("lzma" if name.endswith(".lzma") else None)
            if kind:
                block = b"".join(_take(_inflate_chunks(_Rewound(head, handle), kind), 512))
            else:
                block = head
    except Exception as exc:  # noqa: BLE001 - unreadable or damaged: the read stage reports it
        LOG.debug("cannot sniff %s: %s", ref.uri, exc)
        return None
    return "tar" if _is_tar(block) else None


def _take(chunks: Iterator[bytes], limit: int) -> Iterator[bytes]:
    got = 0
    try:
        for chunk in chunks:
            yield chunk
            got += len(chunk)
            if got >= limit:
                return
    except _StreamBreak:
        return


class _Nameless(io.RawIOBase):
    """A file object without a name, so fsspec's tar reader takes the compression we give it
    instead of inferring one from a name that may lie."""

    def __init__(self, handle):
        self.handle = handle

    def readable(self):
        return True

    def seekable(self):
        return True

    def readinto(self, buffer):
        data = self.handle.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def seek(self, offset, whence=0):
        return self.handle.seek(offset, whence)

    def tell(self):
        return self.handle.tell()

    def close(self):
        self.handle.close()
        super().close()


def _tar_fs(archive: str):
    """fsspec's tar file system over `archive`, decompressed as its magic number says."""
    handle = fsspec.open(archive, "rb").open()
    head = handle.read(8)
    handle.seek(0)
    kind = compression_of(head) or ("lzma" if archive.lower().endswith(".lzma") else None)
    fo = io.BufferedReader(_Nameless(handle))
    return fsspec.filesystem("tar", fo=fo, compression=kind, skip_instance_cache=True)


def _tar_members(archive: FileRef) -> list[FileRef]:
    """One ref per regular file of a tar archive, named `tar://<member>::<archive>`.

    Listing walks the archive's headers once; each member is then read, decompressed and limited
    like any file. An archive that cannot be listed is kept as one ref, so reading it fails as
    one dead letter.
    """
    try:
        found = _tar_fs(archive.path or archive.uri).find("/", detail=True)
    except Exception as exc:  # noqa: BLE001 - damaged archive: let the read stage report it
        LOG.warning("cannot list tar archive %s: %s", archive.uri, exc)
        return [archive]
    members = []
    for p, info in sorted(found.items()):
        if info.get("type") != "file" or _is_hidden(p):
            continue
        chain = f"tar://{p.lstrip('/')}::{archive.path or archive.uri}"
        uri, original = _safe_uri(f"tar://{p.lstrip('/')}::{archive.uri}")
        members.append(FileRef(uri, info.get("size"), archive.mtime, chain if (original or archive.path) else None))
    return members


def _zip_members(archive: FileRef) -> list[FileRef]:
    try:
        zfs = fsspec.filesystem("zip", fo=archive.path or archive.uri, skip_instance_cache=True)
        found = zfs.find("/", detail=True)
    except Exception as exc:  # noqa: BLE001 - damaged archive: let the read stage report it
        LOG.warning("cannot list zip archive %s: %s", archive.uri, exc)
        return [archive]
    members = []
    for p, info in sorted(found.items()):
        if info.get("type") == "directory" or _is_hidden(p):
            continue
        # The stored (compressed) size, so that the ratio limit guards each member.
        stored = info.get("compress_size", info.get("size"))
        chain = f"zip://{p.lstrip('/')}::{archive.path or archive.uri}"
        uri, original = _safe_uri(f"zip://{p.lstrip('/')}::{archive.uri}")
        members.append(FileRef(uri, stored, archive.mtime, chain if (original or archive.path) else None))
    return members


# --- reading -----------------------------------------------------------------------------------

class _Rewound:
    """A read-only stream that serves `head` (bytes already read to sniff it) before the rest of
    `handle`, so sniffing needs no seek (not every fsspec stream can seek)."""

    def __init__(self, head: bytes, handle):
        self.head, self.handle = head, handle

    def read(self, size: int = -1) -> bytes:
        if not self.head:
            return self.handle.read(size)
        if size is None or size < 0:
            data, self.head = self.head + self.handle.read(), b""
            return data
        data, self.head = self.head[:size], self.head[size:]
        if len(data) < size:
            data += self.handle.read(size - len(data))
        return data


class _StreamBreak(Exception):
    """A compressed stream ended before its end marker, or is damaged from some point on."""


class _Zstd:
    """zstd behind the interface of `zlib.decompressobj` that `_inflate_chunks` uses. zstandard's
    decompressor has no output limit, so input goes in in small slices: one slice of a crafted
    frame inflates to some tens of MiB at most, and the file limits are checked between slices."""

    SLICE = 1024

    def __init__(self):
        self.decoder = zstandard.ZstdDecompressor().decompressobj()
        self.unconsumed_tail = b""
        self._after = b""  # input after the end of the frame

    @property
    def eof(self) -> bool:
        return self.decoder.eof

    @property
    def unused_data(self) -> bytes:
        return self.decoder.unused_data + self._after

    def decompress(self, data: bytes, _max_length: int) -> bytes:
        head, rest = data[: self.SLICE], data[self.SLICE:]
        out = self.decoder.decompress(head)
        if self.decoder.eof:
            self._after, self.unconsumed_tail = rest, b""
        else:
            self.unconsumed_tail = rest
        return out


def _inflate_chunks(handle, kind: str) -> Iterator[bytes]:
    """Decompress the stream in `handle`, yielding at most READ_CHUNK bytes at a time, across
    concatenated members/frames; raises `_StreamBreak` where the stream breaks off, after
    yielding everything that decompressed before it."""
    def fresh():
        if kind == "zstd":
            return _Zstd()
        if kind == "gzip":
            return zlib.decompressobj(wbits=31)
        if kind == "bz2":
            return bz2.BZ2Decompressor()
        return lzma.LZMADecompressor(format=lzma.FORMAT_ALONE if kind == "lzma" else lzma.FORMAT_AUTO)

    decoder, pending = fresh(), b""
    try:
        while True:
            if decoder.eof:
                rest = decoder.unused_data or handle.read(READ_CHUNK)
                if not rest.strip(b"\x00"):  # the end, or the zero padding some writers add
                    return
                if compression_of(rest) != kind:
                    return  # trailing bytes that start no new member: ignored, as gzip does
                decoder, pending = fresh(), rest
            if kind in ("gzip", "zstd"):
                if not pending:
                    pending = handle.read(READ_CHUNK)
                    if not pending:
                        raise _StreamBreak(f"{kind} stream ends early (no end-of-stream marker)")
                chunk = decoder.decompress(pending, READ_CHUNK)
                pending = decoder.unconsumed_tail
            else:
                if decoder.needs_input:
                    pending = handle.read(READ_CHUNK)
                    if not pending:
                        raise _StreamBreak(f"{kind} stream ends early (no end-of-stream marker)")
                else:
                    pending = b""
                chunk = decoder.decompress(pending, READ_CHUNK)
                pending = b""
            if chunk:
                yield chunk
    except (zlib.error, OSError, EOFError, lzma.LZMAError, ValueError, zstandard.ZstdError) as exc:
        raise _StreamBreak(f"{kind} stream is damaged: {exc}") from exc


def _open_stored(ref: FileRef):
    """A context manager giving a binary handle on the stored bytes of a ref (an archive member's
    bytes as its archive stores them)."""
    target = ref.path or ref.uri
    if target.startswith("tar://") and "::" in target:
        member, _, archive = target[len("tar://"):].partition("::")
        return _tar_fs(archive).open(member, "rb")
    if "://" not in target.partition("::")[0]:
        # A local file: refuse anything that is not a regular file (it may have changed since
        # listing), so a FIFO is never opened and cannot hang the job.
        why = _not_regular(os.stat(target).st_mode)
        if why:
            raise ReadError(why)
    return fsspec.open(target, "rb")  # an OpenFile: used in `with`, it keeps a chain's outer files open


def _named_compression(uri: str) -> Optional[str]:
    name = _split_chain(uri)[0].lower()
    return next((kind for ext, kind in COMPRESSIONS.items() if name.endswith(ext)), None)


def read_file(ref: FileRef, limits: ReadLimits = ReadLimits()) -> RawFile:
    """The decompressed bytes of one file, or `LimitExceeded`/`ReadError` with the reason: the
    pieces of `read_pieces` joined (a WARC's, as the whole file would split)."""
    pieces = list(read_pieces(ref, limits))
    if len(pieces) == 1:
        return pieces[0]
    skipped: collections.Counter[str] = collections.Counter()
    for piece in pieces:
        skipped.update(dict(piece.skipped))
    return pieces[-1]._replace(data=b"".join(piece.data for piece in pieces), first_index=0,
                               skipped=tuple(sorted(skipped.items())))


def read_pieces(ref: FileRef, limits: ReadLimits = ReadLimits(), sniff: bool = True) -> Iterator[RawFile]:
    """The decompressed bytes of one file, as one `RawFile`; a WARC (the content starts "WARC/")
    as a stream of pieces of whole HTML response records (`transforms.formats.warc.RecordStream`),
    so that a crawl file of any size is read in bounded memory. `LimitExceeded`/`ReadError` with
    the reason when the file cannot be read (a WARC's pieces before such an error stay read).

    A compressed stream that ends early (or is damaged part-way) keeps what decompressed before
    the break (see `RawFile.truncated`); a stream that yields nothing at all is a `ReadError`.
    """
    from transforms.formats.warc import RecordStream

    if ref.problem:
        raise ReadError(ref.problem)
    chunks, total, truncated, kind = [], 0, None, None
    crawl: Optional[RecordStream] = None
    first_index = 0
    try:
        with _open_stored(ref) as stored:
            head = stored.read(8)
            handle = _Rewound(head, stored)
            kind = (compression_of(head) or ("lzma" if _named_compression(ref.uri) == "lzma" else None)) \
                if sniff else None
            # Archive members are compressed by their archive; their FileRef carries the stored size.
            guarded = kind or ref.uri.split("://", 1)[0] in ("zip", "tar")
            stream = _inflate_chunks(handle, kind) if kind else iter(lambda: handle.read(READ_CHUNK), b"")
            try:
                for chunk in stream:
                    if not total and chunk.lstrip(b"\r\n").startswith(b"WARC/"):
                        crawl = RecordStream()
                    total += len(chunk)
                    if (guarded and ref.size and total > limits.ratio_floor_bytes
                            and total / ref.size > limits.max_ratio):
                        raise LimitExceeded(
                            f"{kind or 'archive member'} inflates more than max_ratio={limits.max_ratio:g}x "
                            f"({ref.size} stored bytes -> over {total} bytes): likely a decompression bomb")
                    if crawl is None:
                        chunks.append(chunk)
                        if total > limits.max_file_bytes:
                            raise LimitExceeded(f"file inflates past max_file_bytes={limits.max_file_bytes}")
                        continue
                    crawl.feed(chunk)
                    if crawl.broken:
                        break  # the rest is one dead letter whatever it holds: no need to read it
                    if crawl.kept_bytes >= limits.warc_piece_bytes:
                        records, skipped = crawl.take()
                        yield RawFile(ref.uri, b"".join(records), ref.size, ref.mtime, None, "warc", first_index,
                                      tuple(sorted(skipped.items())))
                        first_index += len(records)
            except _StreamBreak as exc:
                if total:
                    truncated = f"{exc} after {total} bytes"
                elif _named_compression(ref.uri) == kind:
                    raise ReadError(f"cannot read {kind} stream: {exc}") from exc
                else:  # an unnamed "magic number" that starts no stream: the bytes are the file
                    yield from read_pieces(ref, limits, sniff=False)
                    return
    except ReadError:
        raise
    except (EOFError, OSError, ValueError, RuntimeError) as exc:
        raise ReadError(f"cannot read file: {type(exc).__name__}: {exc}") from exc
    except Exception as exc:  # noqa: BLE001 - archive and fsspec backends raise their own error types
        raise ReadError(f"cannot read file: {type(exc).__name__}: {exc}") from exc
    if crawl is None:
        yield RawFile(ref.uri, b"".join(chunks), ref.size, ref.mtime, truncated)
        return
    records, skipped, tail = crawl.finish()
    yield RawFile(ref.uri, b"".join(records) + (tail or b""), ref.size, ref.mtime, truncated, "warc",
                  first_index, tuple(sorted(skipped.items())))


def stored_digest(ref: FileRef, head_bytes: int = 1024) -> Optional[tuple[int, str, bytes]]:
    """(size, sha256, first `head_bytes`) of a ref's stored bytes as they are (not decompressed),
    streamed, for a dead letter; None for a ref that must not be opened (`problem`) or cannot be."""
    if ref.problem:
        return None
    digest, size, head = hashlib.sha256(), 0, b""
    try:
        with _open_stored(ref) as handle:
            for chunk in iter(lambda: handle.read(READ_CHUNK), b""):
                if len(head) < head_bytes:
                    head += chunk[: head_bytes - len(head)]
                digest.update(chunk)
                size += len(chunk)
    except Exception:  # noqa: BLE001 - best effort: the dead letter then has no excerpt
        return None
    return size, digest.hexdigest(), head


# --- Beam --------------------------------------------------------------------------------------

class MatchFiles(beam.PTransform):
    """Input URLs -> one `FileRef` per entry, spread across workers.

    Matching runs inside the pipeline so that it works on any runner; a URL that cannot be
    expanded raises at construction time in the CLI's pre-flight check instead.
    """

    def __init__(self, follow_symlinks: bool = False):
        super().__init__()
        self.follow_symlinks = follow_symlinks

    def expand(self, urls):
        return (
            urls
            | "Expand" >> beam.FlatMap(expand_input, self.follow_symlinks)
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
        """The file, or the pieces of a WARC as they are read (the step runs with partial
        exception handling, so pieces go on before the file ends, and a failure part-way is one
        dead letter after them)."""
        try:
            for raw in read_pieces(ref, self.limits):
                self.bytes_read.inc(len(raw.data))
                yield raw
        finally:  # a file that fails is done too (as a dead letter)
            progress.add("read", files=1, bytes=ref.size or 0)
