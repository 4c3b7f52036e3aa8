"""Parse: a file's bytes -> raw records -> one `Article` per record.

Two steps, so that one bad record never takes its neighbours down:

- `split_file` cuts a file into records (one for `.txt`, one per line of `.jsonl`, one per
  element of a JSON array). It fails only when the file as a whole is unusable (binary, not
  decodable, a JSON document that does not parse); the file is then one dead letter.
- `parse_record` turns one record into an `Article` or raises: `ParseError` (stage `parse`: the
  record is not what its format says) or pydantic's `ValidationError` (stage `validate`: it
  parsed, but is not an article, e.g. it has no body).

The format is chosen from the extension (after any compression suffix) and confirmed by sniffing
the content, so JSONL saved as `.json` or text without an extension still parse.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import posixpath
import re
from typing import Any, Callable, Iterable, NamedTuple, Optional
from urllib.parse import urlsplit

from transforms.model import UTC, Article, stable_id
from transforms.read import COMPRESSIONS, LimitExceeded, RawFile, ReadLimits
from transforms.text import DecodeError, decode_bytes, normalise_whitespace, paragraphs, parse_datetime


class ParseError(ValueError):
    """A record is not what its format says; dead letter at stage `parse`."""

    stage = "parse"


class RawRecord(NamedTuple):
    file_uri: str
    index: Optional[int]  # position inside a container file; None when the file is the record
    kind: str  # which parser reads `payload`: a key of PARSERS
    payload: bytes
    mtime: Optional[float]
    read_at: dt.datetime

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


def sniff_kind(data: bytes, extension: str) -> str:
    """The record kind of a file: its extension when the content agrees, else what it looks like."""
    head = data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n")
    if extension in (".jsonl", ".ndjson", ".jsonlines"):
        return "jsonl"
    if head[:1] in (b"{", b"["):
        if extension == ".json" or extension not in (".txt", ".text"):
            return "json"
    return "text"


def _split_lines(raw: RawFile, read_at: dt.datetime) -> list[RawRecord]:
    lines = raw.data.split(b"\n")
    if lines and not lines[-1].strip():
        lines.pop()
    return [
        RawRecord(raw.uri, i, "json", line, raw.mtime, read_at)
        for i, line in enumerate(lines)
        if line.strip() or i < len(lines) - 1  # blank lines inside still count as (bad) records
    ]


def split_file(raw: RawFile, read_at: dt.datetime) -> list[RawRecord]:
    """One file -> its records. Raises only when the file as a whole is unusable."""
    if not raw.data.strip():
        raise ParseError("file is empty")
    kind = sniff_kind(raw.data, _extension(raw.uri))
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
        for key in ("articles", "items", "results", "data", "entries", "docs"):
            if isinstance(doc, dict) and isinstance(doc.get(key), list) and doc[key] and all(
                isinstance(item, dict) for item in doc[key]
            ):
                return [
                    RawRecord(raw.uri, i, "json", json.dumps(item, ensure_ascii=False).encode("utf-8"),
                              raw.mtime, read_at)
                    for i, item in enumerate(doc[key])
                ]
        return [RawRecord(raw.uri, None, "json", text.encode("utf-8"), raw.mtime, read_at)]
    return [RawRecord(raw.uri, None, "text", raw.data, raw.mtime, read_at)]


# --- plain text ----------------------------------------------------------------------------------

_SENTENCE_END = re.compile(r"[.!;:,]['\"’”)]*$")


def looks_like_headline(line: str, rest: list[str]) -> bool:
    """A first line is a headline when it is short, unpunctuated and followed by body text."""
    words = line.split()
    if not rest or not 1 <= len(words) <= 25 or len(line) > 200:
        return False
    if _SENTENCE_END.search(line):
        return False
    if not (line[0].isupper() or line[0].isdigit() or line[0] in "'\"‘“"):
        return False
    body_words = sum(len(p.split()) for p in rest)
    return body_words >= max(2 * len(words), 20)


def parse_text(text: str) -> dict[str, Any]:
    """Scraped plain text -> title (only when the first line is clearly one) and body."""
    paras = paragraphs(text)
    if not paras:
        raise ParseError("no text in record")
    first_line = normalise_whitespace(text).split("\n", 1)[0].strip()
    title = None
    if first_line == paras[0] and looks_like_headline(first_line, paras[1:]):
        title, paras = first_line, paras[1:]
    return {"title": title, "body": "\n\n".join(paras)}


def _parse_text_record(record: RawRecord) -> dict[str, Any]:
    text, _ = decode_bytes(record.payload)
    return parse_text(text)


# --- JSON ------------------------------------------------------------------------------------------

# Field names that news APIs and crawlers use, in order of preference.
JSON_FIELDS: dict[str, tuple[str, ...]] = {
    "title": ("title", "headline", "name", "heading"),
    "body": ("text", "body", "content", "maintext", "articleBody", "article_body", "full_text",
             "fulltext", "story", "description", "summary"),
    "url": ("url", "link", "canonical_url", "canonicalUrl", "canonical", "permalink", "webUrl"),
    "published_at": ("published", "published_at", "publishedAt", "date_publish", "datePublished",
                     "pubDate", "pub_date", "date", "publish_date", "created_at", "timestamp"),
    "authors": ("authors", "author", "byline", "creator", "creators", "by"),
    "site": ("site", "source_domain", "source", "publisher", "domain", "site_name", "outlet"),
    "language": ("language", "lang", "language_code"),
    "id": ("id", "_id", "guid", "uuid", "article_id"),
}


def _first(obj: dict, names: tuple[str, ...]) -> Any:
    for name in names:
        value = obj.get(name)
        if value not in (None, "", [], {}):
            return value
    return None


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


def _as_names(value: Any) -> list[str]:
    if value is None:
        return []
    items = value if isinstance(value, list) else [value]
    names: list[str] = []
    for item in items:
        name = _as_text(item)
        if not name:
            continue
        name = re.sub(r"^\s*by\s+", "", name, flags=re.I)
        for part in re.split(r"\s*(?:,|;|\band\b|&)\s*", name) if isinstance(item, str) else [name]:
            part = part.strip()
            if part and part not in names:
                names.append(part)
    return names


def parse_json_object(obj: Any) -> dict[str, Any]:
    """One JSON article object -> article fields, by the names news APIs use."""
    if not isinstance(obj, dict):
        raise ParseError(f"JSON record is a {type(obj).__name__}, not an object")
    body = _as_text(_first(obj, JSON_FIELDS["body"]))
    if body is None:
        raise ParseError("JSON record has no body field (" + ", ".join(JSON_FIELDS["body"][:6]) + ", …)")
    url = _as_text(_first(obj, JSON_FIELDS["url"]))
    site = _as_text(_first(obj, JSON_FIELDS["site"]))
    if site is None and url:
        site = urlsplit(url).hostname
    raw_date = _first(obj, JSON_FIELDS["published_at"])
    return {
        "title": _as_text(_first(obj, JSON_FIELDS["title"])),
        "body": "\n\n".join(paragraphs(body)),
        "url": url if url and re.match(r"^https?://", url, re.I) else None,
        "site": site,
        "authors": _as_names(_first(obj, JSON_FIELDS["authors"])),
        "published_at": parse_datetime(raw_date),
        "hints": {"language": str(_first(obj, JSON_FIELDS["language"]) or "")[:16]},
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
    return Article(
        id=stable_id(url or record.source_uri),
        source_uri=record.source_uri,
        url=url,
        site=fields.get("site"),
        title=fields.get("title"),
        body=fields.get("body") or "",
        authors=fields.get("authors") or [],
        contributors=fields.get("contributors") or [],
        published_at=fields.get("published_at"),
        ingested_at=record.read_at,
        date=partition_date(fields.get("published_at"), record.mtime, record.read_at),
        hints=hints,
    )


def parse_record(record: RawRecord, limits: ReadLimits = ReadLimits()) -> Article:
    """One raw record -> one Article, or an exception naming why not."""
    if len(record.payload) > limits.max_record_bytes:
        raise LimitExceeded(
            f"record is {len(record.payload)} bytes, over max_record_bytes={limits.max_record_bytes}"
        )
    parser = PARSERS.get(record.kind)
    if parser is None:
        raise ParseError(f"no parser for record kind {record.kind!r}")
    try:
        fields = parser(record)
    except DecodeError:
        raise
    except RecursionError as exc:
        raise ParseError("record nests too deeply to parse") from exc
    return build_article(fields, record)
