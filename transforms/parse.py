"""Parse: a file's bytes -> raw records -> one `Article` per record.

Two steps, so that one bad record never takes its neighbours down:

- `split_file` cuts a file into records: one for `.txt` and an HTML page, one per line of
  `.jsonl`, per article of a JSON collection (`_json_collection`), per item of an RSS/Atom feed
  or a NewsML message, per HTML response of a WARC, per message of an ANPA / IPTC 7901 wire
  file. It fails only when the file as a whole is unusable (binary, not decodable, a document
  that does not parse); the file is then one dead letter. WARC records
  that are not pages (`request`, `metadata`, `revisit`, images, redirects, …) are skipped on
  purpose, not emitted, and counted in the Beam counter `warc_records_skipped`; a WARC cut short
  keeps every record before the break and the break is one (bad) record.
- `parse_record` turns one record into an `Article` or raises: `ParseError` (stage `parse`: the
  record is not what its format says) or pydantic's `ValidationError` (stage `validate`: it
  parsed, but is not an article, e.g. it has no body).

The format is sniffed from the content first (WARC header, wire framing, XML root element, HTML markup, JSON)
and the extension (after any compression suffix) only decides what the content leaves open, so
HTML saved as `.txt`, JSONL saved as `.json`, feeds without an extension and gzip without `.gz`
all parse. Format cores live in `transforms.formats`, one module per format.
"""

from __future__ import annotations

import bz2
import collections
import datetime as dt
import io
import json
import lzma
import zlib
import posixpath
import re
import tarfile
import zipfile
from typing import Any, Callable, NamedTuple, Optional
from urllib.parse import urlsplit

import zstandard
from lxml import etree
from apache_beam.metrics import Metrics

from transforms.formats import ParseError
from transforms.formats import feeds, html, newsml, nitf, sgml, warc, wire
from transforms.formats.charset import decode_document, repair_mojibake, without_controls
from transforms.formats.ids import domain_label, guid_key, host_of, http_url
from transforms.formats.markup import html_fragment_paragraphs, local, parse_xml
from transforms.model import UTC, Article, stable_id
from transforms.pagekind import NotAnArticle
from transforms.read import COMPRESSIONS, LimitExceeded, RawFile, ReadError, ReadLimits, compression_of
from transforms.text import DecodeError, normalise_whitespace, paragraphs, parse_datetime
from transforms.urls import url_day
from transforms.logs import quiet_third_party

# Every process that parses (the CLI's, local multi_processing workers, Dataflow workers) imports
# this module first: the libraries' chatter about their input is silenced here, at the level the
# CLI exported (`--log-level`; see `transforms.logs`).
quiet_third_party()

__all__ = ["PARSERS", "ParseError", "RawRecord", "build_article", "parse_record", "sniff_kind",
           "split_file"]


def decode_bytes(data: bytes) -> tuple[str, str]:
    """Text records' bytes -> text (see `transforms.formats.charset` for the order of evidence)."""
    return decode_document(data)


class RawRecord(NamedTuple):
    file_uri: str
    index: Optional[int]  # position inside a container file; None when the file is the record
    kind: str  # which parser reads `payload`: a key of PARSERS
    payload: bytes
    mtime: Optional[float]
    read_at: dt.datetime
    # Why this record is a dead letter already (an archive member that is unusable as a whole):
    # `payload` then holds its bytes, and parsing raises this.
    error: Optional[str] = None

    @property
    def source_uri(self) -> str:
        return self.file_uri if self.index is None else f"{self.file_uri}#{self.index}"


# --- splitting files into records ----------------------------------------------------------------

def _extension(uri: str) -> str:
    path = urlsplit(uri.partition("::")[0]).path if "://" in uri else uri
    name = posixpath.basename(path).lower()
    for ext in COMPRESSIONS:
        if name.endswith(ext):
            name = name[: -len(ext)]
    return posixpath.splitext(name)[1]


_XML_ROOT = re.compile(r"<([A-Za-z_][\w.-]*:)?([A-Za-z_][\w.-]*)[\s/>]")
# Root element (local name, lower-cased) -> record kind.
XML_KINDS = {"rss": "feed", "rdf": "feed", "feed": "feed", "nitf": "nitf", "newsml": "newsml-1",
             **{name: "newsml-g2" for name in newsml.G2_ROOTS}}
HTML_EXTENSIONS = (".html", ".htm", ".xhtml", ".shtml", ".php", ".asp", ".aspx")
_HTML_START = re.compile(r"<(?:!doctype\s+html|html[\s>]|head[\s>]|body[\s>])", re.IGNORECASE)


def _head_text(data: bytes) -> str:
    head = data[:8192]
    if head[:2] in (b"\xff\xfe", b"\xfe\xff") or b"\x00" in head[:64]:
        try:
            return decode_document(head[: len(head) // 4 * 4])[0]
        except (DecodeError, UnicodeDecodeError):
            return ""
    return head.decode("utf-8", errors="ignore")


def _xml_root(text: str) -> Optional[str]:
    """Local name of the root element of an XML-looking text, skipping prolog, comments, DOCTYPE."""
    text = re.sub(r"<\?.*?\?>|<!--.*?-->|<!DOCTYPE[^\[>]*(?:\[.*?\])?\s*>", "", text, flags=re.S)
    match = _XML_ROOT.match(text.lstrip())
    return match.group(2).lower() if match else None


def sniff_kind(data: bytes, extension: str) -> str:
    """The record kind of a file: what its content shows, else what its extension says."""
    if data.lstrip(b"\r\n")[:5] == b"WARC/":
        return "warc"
    if wire.looks_like_wire(data):
        return "wire"
    text = _head_text(data).lstrip("\ufeff \t\r\n")
    if sgml.looks_like_reuters_sgml(text):
        return "reuters-sgml"
    if text.startswith("<"):
        root = _xml_root(text)
        if root in XML_KINDS:
            return XML_KINDS[root]
        if _HTML_START.match(text) or root == "html" or extension in HTML_EXTENSIONS:
            return "html"
        if root and (text.startswith("<?xml") or extension in (".xml", ".rss", ".atom", ".rdf")):
            return "xml"
    if extension in (".jsonl", ".ndjson", ".jsonlines"):
        return "jsonl"
    if text[:1] in ("{", "["):
        if extension == ".json" or extension not in (".txt", ".text"):
            return "json"
    if extension in HTML_EXTENSIONS and "<" in text:
        return "html"
    return "text"


def _inflate(data: bytes, limits: ReadLimits) -> bytes:
    """Decompress a stream recognised by its magic number, within the read limits."""
    kind = compression_of(data)
    if kind is None:
        return data
    cap = min(limits.max_file_bytes, max(int(len(data) * limits.max_ratio), limits.ratio_floor_bytes))
    try:
        if kind == "gzip":
            out, rest = bytearray(), data
            while rest.startswith(b"\x1f\x8b") and len(out) <= cap:
                member = zlib.decompressobj(wbits=31)
                out += member.decompress(rest, cap + 1 - len(out))
                if not member.eof:
                    break
                rest = member.unused_data
            chunk = bytes(out)
        elif kind == "zstd":
            chunk = zstandard.ZstdDecompressor().stream_reader(data).read(cap + 1)
        else:
            decompressor = bz2.BZ2Decompressor() if kind == "bz2" else lzma.LZMADecompressor()
            chunk = decompressor.decompress(data, max_length=cap + 1)
    except (OSError, EOFError, ValueError, lzma.LZMAError, zlib.error, zstandard.ZstdError) as exc:
        raise ParseError(f"{kind} stream (recognised by its magic number) does not decompress: {exc}") from exc
    if len(chunk) > cap:
        raise LimitExceeded(f"{kind} stream without a compression extension inflates past {cap} bytes "
                            "(max_file_bytes, max_ratio): likely a decompression bomb")
    return chunk


def _split_lines(raw: RawFile, read_at: dt.datetime) -> list[RawRecord]:
    """One record per non-blank line, indexed by its line number (blank lines are not records).
    After a break in a compressed stream, a last line without its newline was cut by the break:
    it becomes the one record that reports the break."""
    lines = raw.data.split(b"\n")
    tail = lines.pop()  # after the last newline: b"" when the data ends with one
    records = [RawRecord(raw.uri, i, "json", line, raw.mtime, read_at)
               for i, line in enumerate(lines) if line.strip()]
    if raw.truncated:
        records.append(RawRecord(raw.uri, len(lines), TRUNCATED, tail + b"\n" + raw.truncated.encode(),
                                 raw.mtime, read_at))
    elif tail.strip():
        records.append(RawRecord(raw.uri, len(lines), "json", tail, raw.mtime, read_at))
    return records


# Record kind of the part of a file after a break in its compressed stream.
TRUNCATED = "truncated"


def _reject_truncated(record: RawRecord) -> dict[str, Any]:
    reason = record.payload.rsplit(b"\n", 1)[-1].decode("utf-8", "replace")
    raise ReadError(f"{reason}; records before the break were kept")


WARC_SKIPPED = Metrics.counter("newsbeam", "warc_records_skipped")


def _records(raw: RawFile, read_at: dt.datetime, kind: str, payloads: list[bytes]) -> list[RawRecord]:
    return [RawRecord(raw.uri, raw.first_index + i, kind, payload, raw.mtime, read_at)
            for i, payload in enumerate(payloads)]


def _split_warc(raw: RawFile, read_at: dt.datetime) -> list[RawRecord]:
    """A WARC, or one piece of it (`read_pieces`: record indices go on from `first_index`, and the
    records the reader dropped on purpose are counted with the piece's own)."""
    parts = warc.split_warc(raw.data)
    by_reason = collections.Counter(parts.skipped) + collections.Counter(dict(raw.skipped))
    skipped = sum(by_reason.values())
    if skipped:
        WARC_SKIPPED.inc(skipped)
    payloads = parts.records + ([parts.broken_tail] if parts.broken_tail is not None else [])
    if raw.truncated and parts.broken_tail is None:
        # The compressed stream broke exactly between two WARC records: the break is one record.
        return _records(raw, read_at, "warc", payloads) + [
            RawRecord(raw.uri, raw.first_index + len(payloads), TRUNCATED, raw.truncated.encode(), raw.mtime,
                      read_at)]
    if not payloads and not raw.first_index:
        raise ParseError(f"WARC holds no HTML response records ({skipped} other records skipped: "
                         + ", ".join(f"{k} x{v}" for k, v in sorted(by_reason.items())) + ")")
    return _records(raw, read_at, "warc", payloads)


def _split_xml(raw: RawFile, read_at: dt.datetime, kind: str) -> list[RawRecord]:
    if kind == "nitf":
        return [RawRecord(raw.uri, None, kind, raw.data, raw.mtime, read_at)]
    root = parse_xml(raw.data)
    try:
        return _split_xml_items(raw, read_at, kind, root)
    except etree.LxmlError as exc:
        # Recovered trees of damaged documents can still trip lxml when items are cut out.
        raise ParseError(f"damaged {kind} document: {exc}") from exc


def _split_xml_items(raw: RawFile, read_at: dt.datetime, kind: str, root) -> list[RawRecord]:
    if kind == "feed":
        items = feeds.split_feed(root)
        if not items:
            raise ParseError(f"feed <{local(root)}> has no items")
        return _records(raw, read_at, kind, items)
    if local(root) in ("newsmessage", "newsml"):
        items = newsml.split_newsml(root)
        if not items:
            raise ParseError(f"<{local(root)}> holds no news items")
        return _records(raw, read_at, kind, items)
    return [RawRecord(raw.uri, None, kind, raw.data, raw.mtime, read_at)]


def _json_collection(doc: Any) -> Optional[list]:
    """The records of a JSON document that holds several, else None: a wrapper object with a list
    of objects under `articles`, `items`, `item`, `results`, `data`, `entries` or `docs`, or an object
    keyed by id whose values are article objects ({"<id>": {"articleBody": …}, …}: no body
    field of its own, every value an object, at least one with a body field)."""
    if not isinstance(doc, dict):
        return None
    for key in ("articles", "items", "item", "results", "data", "entries", "docs"):
        if isinstance(doc.get(key), list) and doc[key] and all(isinstance(item, dict) for item in doc[key]):
            return doc[key]
    values = list(doc.values())
    if (len(values) > 1 and _first(doc, JSON_FIELDS["body"]) is None and all(isinstance(v, dict) for v in values)
            and any(_first(v, JSON_FIELDS["body"]) is not None for v in values)):
        return values
    return None


MAX_ARCHIVE_DEPTH = 3  # archives inside archives inside archives: deeper is a dead letter


def _archive_members(data: bytes, limits: ReadLimits) -> Optional[tuple[str, list[tuple[str, bytes]]]]:
    """(`tar` or `zip`, [(member name, bytes)]) when `data` is an archive by its magic number (one
    that arrived under a name that did not say so; named archives are expanded when listed)."""
    if data[257:262] == b"ustar":
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:") as tar:
            return "tar", [(m.name, tar.extractfile(m).read()) for m in tar.getmembers()
                           if m.isfile() and not posixpath.basename(m.name).startswith((".", "_"))]
    if data.startswith(b"PK\x03\x04"):
        members = []
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            for info in archive.infolist():
                if info.is_dir() or posixpath.basename(info.filename).startswith((".", "_")):
                    continue
                with archive.open(info) as handle:
                    member = handle.read(limits.max_file_bytes + 1)
                if len(member) > limits.max_file_bytes:
                    raise LimitExceeded(f"zip member {info.filename} inflates past max_file_bytes="
                                        f"{limits.max_file_bytes}")
                members.append((info.filename, member))
        return "zip", members
    return None


def _split_archive(raw: RawFile, read_at: dt.datetime, limits: ReadLimits, depth: int) -> Optional[list[RawRecord]]:
    """The records of every member of an archive `raw` holds; a member unusable as a whole is one
    record that is a dead letter (so it does not take its neighbours down)."""
    try:
        found = _archive_members(raw.data, limits)
    except (tarfile.TarError, zipfile.BadZipFile, OSError, EOFError, ValueError, RuntimeError) as exc:
        raise ParseError(f"damaged archive: {type(exc).__name__}: {exc}") from exc
    if found is None:
        return None
    kind, members = found
    if depth >= MAX_ARCHIVE_DEPTH:
        raise ParseError(f"archive nested more than {MAX_ARCHIVE_DEPTH} deep")
    if not members:
        raise ParseError(f"{kind} archive holds no files")
    records = []
    for name, data in members:
        member = RawFile(f"{kind}://{name}::{raw.uri}", data, len(data), raw.mtime)
        try:
            records.extend(split_file(member, read_at, limits, depth + 1))
        except (ParseError, DecodeError, ReadError) as exc:
            records.append(RawRecord(member.uri, None, "unusable", data, raw.mtime, read_at, str(exc)))
    return records


def split_file(raw: RawFile, read_at: dt.datetime, limits: ReadLimits = ReadLimits(),
               depth: int = 0) -> list[RawRecord]:
    """One file -> its records. Raises only when the whole file is unusable."""
    if raw.kind == "warc":  # a piece of a WARC read as a stream: whole records (and the last one's tail)
        return _split_warc(raw, read_at)
    if not raw.data.strip():
        raise ParseError("file is empty")
    data = _inflate(raw.data, limits)
    if data is not raw.data:
        raw = raw._replace(data=data)
        if not data.strip():
            raise ParseError("file is empty once decompressed")
    if not raw.truncated:
        members = _split_archive(raw, read_at, limits, depth)
        if members is not None:
            return members
    kind = sniff_kind(raw.data, _extension(raw.uri))
    if raw.truncated and kind == "json" and b"\n{" in raw.data[:1 << 20]:
        kind = "jsonl"  # JSON lines under another name: the lines before the break are whole records
    if raw.truncated and kind not in ("jsonl", "warc"):
        # Only line- and record-framed formats have whole records before a break.
        raise ReadError(f"cannot read file: {raw.truncated}")
    if kind == "warc":
        return _split_warc(raw, read_at)
    if kind == "reuters-sgml":
        return _records(raw, read_at, kind, sgml.split_stories(raw.data))
    if kind == "wire":
        messages = wire.split_wire(raw.data)
        return _records(raw, read_at, kind, messages) if len(messages) > 1 else \
            [RawRecord(raw.uri, None, kind, raw.data, raw.mtime, read_at)]
    if kind in ("feed", "nitf", "newsml-g2", "newsml-1"):
        return _split_xml(raw, read_at, kind)
    if kind == "html":
        return [RawRecord(raw.uri, None, "html", raw.data, raw.mtime, read_at)]
    if kind == "xml":
        raise ParseError(f"XML document of no news format newsbeam reads: root element "
                         f"<{_xml_root(_head_text(raw.data).lstrip(chr(0xfeff)))}>")
    if kind == "jsonl":

        return _split_lines(raw, read_at)
    if kind == "json":
        text, _ = decode_bytes(raw.data)
        try:
            doc = json.loads(text)
        except json.JSONDecodeError as exc:
            if text.lstrip().startswith("{") and "\n{" in text:
                return _split_lines(raw, read_at)  # JSONL saved as .json
            raise ParseError(f"invalid JSON: {exc}") from exc
        if isinstance(doc, list):
            return [
                RawRecord(raw.uri, i, "json", json.dumps(item, ensure_ascii=False).encode("utf-8"),
                          raw.mtime, read_at)
                for i, item in enumerate(doc)
            ]
        items = _json_collection(doc)
        if items is not None:
            return [
                RawRecord(raw.uri, i, "json", json.dumps(item, ensure_ascii=False).encode("utf-8"),
                          raw.mtime, read_at)
                for i, item in enumerate(items)
            ]
        return [RawRecord(raw.uri, None, "json", text.encode("utf-8"), raw.mtime, read_at)]
    return [RawRecord(raw.uri, None, "text", raw.data, raw.mtime, read_at)]


# --- plain text ----------------------------------------------------------------------------------

_SENTENCE_END = re.compile(r"[.!;:,]['\"’”)]*$")
_TRAILING_ELLIPSIS = re.compile(r"(?:\.\.\.|…)['\"’”)]*$")
# How prose ends: a sentence's last mark, maybe inside quotes or brackets.
_PROSE_END = re.compile(r"[.!?…]['\"’”)\]]*$")
# Words of body text that show a first line to be a headline by length alone; a shorter body (a
# wire brief, a news-aggregator item: "Football: Spanish FA apologises" over one sentence) must
# at least end as prose does, and have twice the headline's words.
HEADLINE_BODY_WORDS = 20
BRIEF_BODY_WORDS = 8


def looks_like_headline(line: str, rest: list[str]) -> bool:
    """A first line is a headline when it is short, unpunctuated and followed by body text."""
    words = line.split()
    if not rest or not 1 <= len(words) <= 25 or len(line) > 200:
        return False
    if _SENTENCE_END.search(line) and not _TRAILING_ELLIPSIS.search(line):
        return False  # a sentence, but "'My memories of Marley...'" is a headline
    if not (line[0].isupper() or line[0].isdigit() or line[0] in "'\"‘“£$€"
            or (line[0].islower() and line[1:2].isupper())):  # "iTunes now selling…", "eBay…"
        return False
    body_words = sum(len(p.split()) for p in rest)
    if body_words < 2 * len(words):
        return False
    return body_words >= HEADLINE_BODY_WORDS or (
        body_words >= BRIEF_BODY_WORDS and bool(_PROSE_END.search(rest[-1])))


# `sha256sum`/`md5sum` output: a hex digest and a file name per line.
_CHECKSUM_LINE = re.compile(r"^[0-9a-fA-F]{32,128}\s+\*?\S.*$")


def parse_text(text: str) -> dict[str, Any]:
    """Scraped plain text -> title (only when the first line is clearly one) and body."""
    paras = paragraphs(text)
    if not paras:
        raise ParseError("no text in record")
    lines = [line for line in text.splitlines() if line.strip()]
    if sum(1 for line in lines if _CHECKSUM_LINE.match(line.strip())) > len(lines) / 2:
        raise ParseError(f"a checksum list ({len(lines)} lines of digest and file name), not article text")
    first_line = normalise_whitespace(text).split("\n", 1)[0].strip()
    title = None
    if first_line == paras[0] and looks_like_headline(first_line, paras[1:]):
        title, paras = first_line, paras[1:]
    return {"title": title, "body": "\n\n".join(paras)}


# Files that document a folder, not news: a README, SOURCE, LICENSE... beside the articles (any
# extension: README.md, LICENSE.txt, NOTICE). They are `filter` dead letters, so accounting holds.
_FOLDER_DOCUMENT = re.compile(r"(?:readme|source|sources|license|licence|copying|notice|changelog|changes|"
                              r"contributing|authors|install)(?:\.(?:md|markdown|rst|txt|text))?",
                              re.IGNORECASE)


def _parse_text_record(record: RawRecord) -> dict[str, Any]:
    name = posixpath.basename(urlsplit(record.file_uri).path.rstrip("/"))
    if _FOLDER_DOCUMENT.fullmatch(name):
        raise NotAnArticle(f"not an article (folder document): {name} documents the folder it is in")
    text, _ = decode_bytes(record.payload)
    return parse_text(text)


# --- JSON ------------------------------------------------------------------------------------------

# Field names that news APIs, crawlers, ninjs and JSON Feed use, in order of preference.
JSON_FIELDS: dict[str, tuple[str, ...]] = {
    "title": ("title", "headline", "name", "heading"),
    "body": ("text", "body", "content", "maintext", "articleBody", "article_body", "full_text",
             "fulltext", "story", "body_text", "body_html", "body_xhtml", "content_text", "content_html",
             "description", "summary", "description_text", "description_html", "abstract", "teaser"),
    # The record's own page; never a related or reference link (JSON Feed's `external_url`).
    "url": ("url", "link", "canonical_url", "canonicalUrl", "canonical", "permalink", "webUrl"),
    "published_at": ("published", "published_at", "publishedAt", "date_publish", "datePublished",
                     "date_published", "pubDate", "pub_date", "date", "publish_date", "firstcreated",
                     "created_at", "versioncreated", "timestamp"),
    "authors": ("authors", "author", "byline", "creator", "creators", "by"),
    "site": ("site", "source_domain", "source", "publisher", "domain", "site_name", "outlet"),
    "language": ("language", "lang", "language_code"),
    # The record's identity when it has no URL of its own (ninjs `uri`/`guid`, JSON Feed `id`).
    "id": ("guid", "uri", "id", "_id", "uuid", "article_id"),
}
# Body fields that hold a summary, not the article: their text is a teaser unless it is long.
JSON_SUMMARY_FIELDS = ("description", "summary", "description_text", "description_html", "abstract", "teaser")


def _first(obj: dict, names: tuple[str, ...]) -> Any:
    for name in names:
        value = obj.get(name)
        if value not in (None, "", [], {}):
            return value
    return None


def _first_named(obj: dict, names: tuple[str, ...]) -> tuple[Optional[str], Any]:
    for name in names:
        value = obj.get(name)
        if value not in (None, "", [], {}):
            return name, value
    return None, None


def _as_text(value: Any) -> Optional[str]:
    if value is None:
        return None
    if isinstance(value, dict):
        value = _first(value, ("name", "value", "text", "#text", "title", "href", "url", "id"))
    if isinstance(value, list):
        parts = [_as_text(v) for v in value]
        value = "\n\n".join(p for p in parts if p)
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _as_names(value: Any, organisations: set[str]) -> list[str]:
    """Author field(s) -> people, split and filtered as feed bylines are (`feeds.credited_people`)."""
    if value is None:
        return []
    items = value if isinstance(value, list) else [value]
    return feeds.credited_people([name for name in map(_as_text, items) if name], organisations)


def _body_paragraphs(field: Optional[str], value: Any) -> list[str]:
    text = _as_text(value) or ""
    if field and ("html" in field.lower() or re.search(r"<(?:p|br|div)\b[^>]*>", text, re.I)):
        return html_fragment_paragraphs(text)
    return paragraphs(text)


def parse_json_object(obj: Any) -> dict[str, Any]:
    """One JSON article object -> article fields, by the names news APIs use."""
    if not isinstance(obj, dict):
        raise ParseError(f"JSON record is a {type(obj).__name__}, not an object")
    field, raw_body = _first_named(obj, JSON_FIELDS["body"])
    body = _body_paragraphs(field, raw_body)
    title = _as_text(_first(obj, JSON_FIELDS["title"]))
    if not body:
        if field is None:
            raise ParseError("JSON record has no body field (" + ", ".join(JSON_FIELDS["body"][:6]) + ", …)")
        raise ParseError(f"JSON record's body field {field!r} holds no text")
    url = http_url(_as_text(_first(obj, JSON_FIELDS["url"])))
    site = _as_text(_first(obj, JSON_FIELDS["site"]))
    if site is None and url:
        site = host_of(url)
    raw_date = _first(obj, JSON_FIELDS["published_at"])
    guid = _as_text(_first(obj, JSON_FIELDS["id"]))
    if field in JSON_SUMMARY_FIELDS:
        kind = feeds.text_kind(title, body, "summary")
    else:
        kind = "headline" if title and feeds.text_kind(title, body, "content") == "headline" else "full"
    organisations = {re.sub(r"[\W_]+", "", x.casefold()) for x in (site, domain_label(host_of(url))) if x}
    return {
        "title": title,
        "body": "\n\n".join(body),
        "url": url,
        "guid": guid_key(guid, site or host_of(url)),
        "site": site,
        "authors": _as_names(_first(obj, JSON_FIELDS["authors"]), organisations),
        "published_at": parse_datetime(raw_date),
        "text_kind": kind,
        "hints": {"language": str(_first(obj, JSON_FIELDS["language"]) or "")[:16], "guid": (guid or "")[:500]},
    }


def _parse_json_record(record: RawRecord) -> dict[str, Any]:
    text, _ = decode_bytes(record.payload)
    try:
        obj = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ParseError(f"invalid JSON: {exc}") from exc
    return parse_json_object(obj)


# Parsers by record kind; each takes a record and returns article fields (or raises).
PARSERS: dict[str, Callable[[RawRecord], dict[str, Any]]] = {
    "text": _parse_text_record,
    "json": _parse_json_record,
    "html": lambda record: html.parse_html(record.payload),
    "warc": lambda record: warc.parse_warc_record(record.payload),
    "feed": lambda record: feeds.parse_feed_item(record.payload),
    "nitf": lambda record: nitf.parse_nitf(record.payload),
    "newsml-g2": lambda record: newsml.parse_newsml_g2(record.payload),
    "newsml-1": lambda record: newsml.parse_newsml_1(record.payload),
    "reuters-sgml": lambda record: sgml.parse_story(record.payload),
    "wire": lambda record: wire.parse_wire(record.payload),
    TRUNCATED: _reject_truncated,
}


# --- records -> articles ---------------------------------------------------------------------------

def partition_date(published_at: Optional[dt.datetime], mtime: Optional[float], read_at: dt.datetime) -> str:
    """UTC date of publication, else of the file's modification time, else of ingestion."""
    if published_at is not None:
        return published_at.astimezone(UTC).date().isoformat()
    if mtime is not None:
        return dt.datetime.fromtimestamp(mtime, UTC).date().isoformat()
    return read_at.astimezone(UTC).date().isoformat()


def build_article(fields: dict[str, Any], record: RawRecord) -> Article:
    """Validated `Article` from parsed fields; raises pydantic's ValidationError when invalid."""
    url = fields.get("url")
    hints = {k: v for k, v in (fields.get("hints") or {}).items() if v}
    published = fields.get("published_at")
    day = url_day(url) if published is None else None
    if day is not None:  # an item without a date whose own URL states one (/2017/01/07/), as pages do
        published = dt.datetime(day.year, day.month, day.day, tzinfo=UTC)
        hints.setdefault("date_stated", day.isoformat())
        hints.setdefault("date_source", "url")
    # Escaped NULs and controls (`\u0000` in JSON) get past decoding: none reaches a row; text
    # that was mojibake before it was saved ("piÃ©gÃ©e") is repaired.
    text = {name: repair_mojibake(without_controls(fields[name])) if fields.get(name) else fields.get(name)
            for name in ("site", "title", "body")}
    return Article(
        id=stable_id(url or fields.get("guid") or record.source_uri),
        source_uri=record.source_uri,
        url=url,
        site=text["site"],
        title=text["title"],
        body=text["body"] or "",
        authors=[repair_mojibake(without_controls(a)) for a in fields.get("authors") or []],
        contributors=[repair_mojibake(without_controls(c)) for c in fields.get("contributors") or []],
        published_at=published,
        text_kind=fields.get("text_kind") or "full",
        ingested_at=record.read_at,
        date=partition_date(published, record.mtime, record.read_at),
        hints=hints,
    )


def parse_record(record: RawRecord, limits: ReadLimits = ReadLimits()) -> Article:
    """One raw record -> one Article, or an exception naming why not."""
    if len(record.payload) > limits.max_record_bytes:
        raise LimitExceeded(
            f"record is {len(record.payload)} bytes, over max_record_bytes={limits.max_record_bytes}"
        )
    if record.error:
        raise ParseError(record.error)
    parser = PARSERS.get(record.kind)
    if parser is None:
        raise ParseError(f"no parser for record kind {record.kind!r}")
    try:
        fields = parser(record)
    except (ParseError, DecodeError, ReadError):  # LimitExceeded is a ReadError
        raise
    except RecursionError as exc:
        raise ParseError("record nests too deeply to parse") from exc
    except Exception as exc:  # a library tripping over malformed input: still this record's fault
        raise ParseError(f"{record.kind} parser failed: {type(exc).__name__}: {exc}") from exc
    return build_article(fields, record)
