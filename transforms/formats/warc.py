"""WARC: a web crawl (WARC/0.17, 1.0, 1.1; Heritrix, wget, Common Crawl) -> one record per page.

`split_warc` walks record boundaries by `Content-Length` over the (already decompressed) bytes:

- `response` (and `resource`) records holding an HTML page with a 2xx status become records,
  each payload the exact bytes of one WARC record;
- every other record (`warcinfo`, `request`, `metadata`, `revisit`, `conversion`, `dns:`,
  images, CSS, redirects, robots.txt) is skipped on purpose and counted by type, never emitted
  and never dead-lettered;
- the walk stops at the first break (a record cut short, or bytes that are not a WARC header):
  every record before it is kept, and the rest from the break on becomes one payload that
  `parse_warc_record` rejects with the reason, i.e. exactly one dead letter.

`RecordStream` is the same walk over a stream of chunks: `transforms.read.read_pieces` feeds it
while the file decompresses and hands on whole HTML records in pieces, so a crawl file of any size
is read in bounded memory (skipped records are dropped as they stream by, never buffered).

`parse_warc_record` reads one record with warcio (which undoes HTTP chunking and gzip/deflate
transfer encodings) and hands the page to `transforms.formats.html` with the record's target
URI (an archive capture's target such as `web.archive.org/web/<ts>/<url>` gives the original
URL) and the charset from its HTTP `Content-Type`; a canonical link naming the site's home page
gives way to the target URI (the page is not the home page). `published_at` is only what the page
states: the capture time (`WARC-Date`) says when the page was fetched, not when it was published,
so it is kept in `hints["warc_date"]` and never becomes the publication time; it only bounds it (a
page cannot be published after the day after its capture, so a later reading of what it states,
such as "01/11/2008" as 1 November on a page captured in January, gives way to the next source).
"""

from __future__ import annotations

import collections
import io
import re
from typing import Any, NamedTuple, Optional
from urllib.parse import urlsplit

from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed

from transforms.formats import ParseError
from transforms.formats.html import parse_html
from transforms.text import parse_datetime

KEPT_TYPES = ("response", "resource")
HTML_TYPES = ("text/html", "application/xhtml+xml", "application/xml+xhtml")
_HEADER_END = re.compile(rb"\r?\n\r?\n")
_CHARSET = re.compile(r"charset\s*=\s*[\"']?([A-Za-z0-9._:-]+)", re.I)
MAX_HEADER_BYTES = 64 * 1024


class WarcSplit(NamedTuple):
    records: list[bytes]  # one payload per HTML response record, in file order
    skipped: dict[str, int]  # records skipped on purpose, by reason
    broken_tail: Optional[bytes]  # the bytes from the first break on, when the file is damaged


def _headers(block: bytes) -> dict[str, str]:
    headers: dict[str, str] = {}
    for line in block.decode("latin-1").splitlines()[1:]:
        name, sep, value = line.partition(":")
        if sep and name.strip().lower() not in headers:
            headers[name.strip().lower()] = value.strip()
    return headers


def _http_head(block: bytes) -> tuple[Optional[int], str]:
    """(status, content type) of an HTTP response block; (None, '') when it is not one."""
    match = _HEADER_END.search(block, 0, MAX_HEADER_BYTES)
    head = block[: match.start()] if match else block[:MAX_HEADER_BYTES]
    status_line = head.split(b"\n", 1)[0].decode("latin-1")
    status = re.match(r"HTTP/\d(?:\.\d)?\s+(\d{3})", status_line)
    content_type = _headers(head).get("content-type", "").split(";")[0].strip().lower()
    return (int(status.group(1)) if status else None), content_type


def _skip_reason(headers: dict[str, str], block: bytes) -> Optional[str]:
    """Why a record is skipped, or None for an HTML page; `block` needs only its first
    MAX_HEADER_BYTES (the HTTP head)."""
    rec_type = headers.get("warc-type", "").lower()
    if rec_type not in KEPT_TYPES:
        return rec_type or "untyped"
    uri = headers.get("warc-target-uri", "").strip("<> ")
    if not re.match(r"^https?://", uri, re.I):
        return f"{rec_type}:non-http"
    if "application/http" in headers.get("content-type", "").lower():
        status, content_type = _http_head(block)
        if status is None or not 200 <= status < 300:
            return f"{rec_type}:status-{status or 'none'}"
    else:
        content_type = headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type and content_type not in HTML_TYPES:
        return f"{rec_type}:{content_type.split('/')[0]}"
    return None


def split_warc(data: bytes) -> WarcSplit:
    """A WARC file's bytes -> payloads of its HTML response records, skips by reason, broken tail."""
    records: list[bytes] = []
    skipped: collections.Counter[str] = collections.Counter()
    pos, size = 0, len(data)
    while pos < size:
        while pos < size and data[pos:pos + 1] in (b"\r", b"\n"):
            pos += 1
        if pos >= size:
            break
        start = pos
        head_end = _HEADER_END.search(data, start, start + MAX_HEADER_BYTES)
        if not data.startswith(b"WARC/", start) or head_end is None:
            return WarcSplit(records, dict(skipped), data[start:])
        headers = _headers(data[start:head_end.start()])
        try:
            length = int(headers.get("content-length", ""))
        except ValueError:
            return WarcSplit(records, dict(skipped), data[start:])
        block_start = head_end.end()
        end = block_start + length
        if length < 0 or end > size:
            return WarcSplit(records, dict(skipped), data[start:])
        reason = _skip_reason(headers, data[block_start:min(end, block_start + MAX_HEADER_BYTES)])
        if reason:
            skipped[reason] += 1
        else:
            records.append(data[start:end])
        pos = end
    return WarcSplit(records, dict(skipped), None)


class RecordStream:
    """`split_warc` over a stream: decompressed chunks go in (`feed`), whole HTML response records
    come out (`take`), so a crawl file of any size is read in bounded memory. Records `split_warc`
    skips are dropped as soon as their header (and HTTP head) is in, and their bytes are never
    buffered (an image or video of any size costs nothing); they are counted in `skipped` until
    the next `take`. A break (bytes that are not a WARC header, or a header without a length)
    ends the walk: `broken` is set, and the bytes from the break on become the tail that `finish`
    returns after the last records, which `split_warc` then reads as the broken tail (one dead
    letter); a record still open when the input ends is such a tail too (a truncated file)."""

    def __init__(self):
        self.buffer = bytearray()
        self.kept: list[bytes] = []
        self.kept_bytes = 0
        self.skipped: collections.Counter[str] = collections.Counter()
        self.broken = False
        self._discard = 0  # bytes still to drop of a skipped record
        self._discard_head = b""  # that record's header, the tail if the input ends inside it
        self._discard_reason = ""

    def feed(self, chunk: bytes) -> None:
        if self.broken:
            return
        if self._discard:
            dropped = min(self._discard, len(chunk))
            self._discard -= dropped
            chunk = chunk[dropped:]
            if not self._discard:  # streamed by whole: skipped (cut short, it is the broken tail instead)
                self.skipped[self._discard_reason] += 1
            if not chunk:
                return
        self.buffer += chunk
        self._walk()

    def _walk(self) -> None:
        buf, pos = self.buffer, 0
        while True:
            while pos < len(buf) and buf[pos] in (10, 13):
                pos += 1
            if pos >= len(buf):
                break
            head_end = _HEADER_END.search(buf, pos, pos + MAX_HEADER_BYTES)
            if not buf.startswith(b"WARC/"[: len(buf) - pos], pos):
                self.broken = True
                break
            if head_end is None:
                self.broken = len(buf) - pos >= MAX_HEADER_BYTES
                break
            headers = _headers(bytes(buf[pos:head_end.start()]))
            length = headers.get("content-length", "")
            if not length.isdigit():
                self.broken = True
                break
            block_start, end = head_end.end(), head_end.end() + int(length)
            if len(buf) - block_start < min(int(length), MAX_HEADER_BYTES):
                break  # its HTTP head is not in yet
            reason = _skip_reason(headers, bytes(buf[block_start:min(end, block_start + MAX_HEADER_BYTES)]))
            if end <= len(buf):
                if reason:
                    self.skipped[reason] += 1
                else:
                    self.kept.append(bytes(buf[pos:end]))
                    self.kept_bytes += end - pos
                pos = end
                continue
            if reason:  # an open record to skip: dropped as it streams by, counted once it has
                self._discard, self._discard_head = end - len(buf), bytes(buf[pos:block_start])
                self._discard_reason = reason
                pos = len(buf)
            break
        del buf[:pos]

    def take(self) -> tuple[list[bytes], dict[str, int]]:
        """The whole kept records so far and the skip counts since the last take."""
        kept, skipped = self.kept, dict(self.skipped)
        self.kept, self.kept_bytes, self.skipped = [], 0, collections.Counter()
        return kept, skipped

    def finish(self) -> tuple[list[bytes], dict[str, int], Optional[bytes]]:
        """At the end of the input: the last kept records, skip counts, and the broken tail."""
        kept, skipped = self.take()
        if self._discard:
            return kept, skipped, self._discard_head  # a skipped record cut short: the file is truncated
        tail = bytes(self.buffer).lstrip(b"\r\n")
        return kept, skipped, tail or None


def _site_root(url: Optional[str]) -> bool:
    if not url:
        return False
    parts = urlsplit(url)
    return bool(parts.netloc) and parts.path in ("", "/") and not parts.query


def parse_warc_record(payload: bytes) -> dict[str, Any]:
    """One WARC record (as `split_warc` emits it) -> article fields of the page it holds."""
    if not payload.startswith(b"WARC/"):
        raise ParseError(f"damaged WARC: no record header at this point (starts {payload[:24]!r})")
    head_end = _HEADER_END.search(payload, 0, MAX_HEADER_BYTES)
    declared = _headers(payload[: head_end.start()]).get("content-length") if head_end else None
    if head_end is None or not (declared or "").isdigit():
        raise ParseError("damaged WARC: record header is cut off or has no Content-Length")
    available = len(payload) - head_end.end()
    if available < int(declared):
        raise ParseError(f"truncated WARC: record declares {declared} bytes, only {available} remain")
    try:
        record = next(iter(ArchiveIterator(io.BytesIO(payload), arc2warc=True)), None)
        if record is None:
            raise ParseError("damaged WARC: no record found")
        uri = (record.rec_headers.get_header("WARC-Target-URI") or "").strip("<> ") or None
        warc_date = record.rec_headers.get_header("WARC-Date")
        content_type = (record.http_headers.get_header("Content-Type") if record.http_headers
                        else record.rec_headers.get_header("Content-Type")) or ""
        body = record.content_stream().read()
    except ParseError:
        raise
    except (ArchiveLoadFailed, EOFError, OSError, ValueError) as exc:
        raise ParseError(f"damaged WARC record: {type(exc).__name__}: {exc}") from exc
    charset = _CHARSET.search(content_type)
    fields = parse_html(body, url=uri, charset=charset.group(1) if charset else None,
                        captured=parse_datetime(warc_date) if warc_date else None)
    if uri and _site_root(fields.get("url")) and not _site_root(uri):
        # A page whose canonical link names the site's home page (a CMS default) is not the home
        # page: its own URL is the one it was captured at, or every page of a crawl is one id.
        fields["url"] = uri
    fields["hints"] = {**fields.get("hints", {}), "warc_date": warc_date or "", "warc_target_uri": uri or ""}
    return fields
