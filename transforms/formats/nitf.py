"""NITF (News Industry Text Format, 2.x and 3.x, with or without the 2006 namespace).

`nitf_fields(element)` reads a parsed `<nitf>` element wherever it sits: a standalone file, or
the body of a NewsML-G2 / NewsML 1.x item (`transforms.formats.newsml` calls it, so both read
NITF the same way). It returns the headline (`hedline/hl1`, else `head/title`), the body
paragraphs of `body.content` (tables as ` | `-joined rows), the byline split into names, the
dateline as printed plus its structured parts, the `doc-id` as the item's guid (scoped by its
`regsrc` or the publication), IPTC subject codes (`tobject.subject` refnums as
`subj:NNNNNNNN`), keywords, and the issue/release time.

The dateline, subjects and keywords go to `Article.hints` (`dateline`, `dateline_city`,
`dateline_date`, `subjects`, `keywords`) for the enrichment stage.
"""

from __future__ import annotations

import re
from typing import Any, Optional

from transforms.formats import ParseError
from transforms.formats.feeds import credited_people
from transforms.formats.ids import guid_key
from transforms.formats.markup import (attr, child, descendants, first_descendant, local, parse_xml,
                                       paragraphs_of, text_of)
from transforms.text import parse_datetime

def byline_names(byline: str) -> list[str]:
    """'By Ian Jones and Jo Bloggs, Press Association' -> ['Ian Jones', 'Jo Bloggs'] (the byline
    rules of `transforms.formats.feeds.credited_people`: people only, no agencies or roles)."""
    return credited_people([byline])


def nitf_date(value: Optional[str]):
    """NITF `norm` dates: `20020225T143000-0500`, `20020225T143000Z`, `20020225`, or ISO 8601."""
    if not value:
        return None
    value = value.strip()
    match = re.fullmatch(r"(\d{4})(\d{2})(\d{2})(?:T(\d{2})(\d{2})(\d{2})?([+-]\d{4}|Z)?)?", value)
    if match:
        y, mo, d, h, mi, s, zone = match.groups()
        iso = f"{y}-{mo}-{d}" + (f"T{h}:{mi}:{s or '00'}" if h else "") + (
            ("+00:00" if zone == "Z" else f"{zone[:3]}:{zone[3:]}") if zone else "")
        return parse_datetime(iso)
    return parse_datetime(value)


def nitf_fields(nitf) -> dict[str, Any]:
    """A parsed `<nitf>` element -> article fields (body may be empty: callers decide)."""
    head, body = child(nitf, "head"), child(nitf, "body")
    body_head = child(body, "body.head") if body is not None else None
    headline = text_of(first_descendant(body_head, "hl1")) if body_head is not None else ""
    if not headline and head is not None:
        headline = text_of(child(head, "title"))
    content = child(body, "body.content") if body is not None else None
    paras = paragraphs_of(content, skip=("media", "table-reference")) if content is not None else []

    authors: list[str] = []
    for byline in (descendants(body_head, "byline") if body_head is not None else ()):
        person = child(byline, "person")
        for name in byline_names(text_of(person) if person is not None else
                                 " ".join(t for t in [byline.text or ""] + [c.tail or "" for c in byline]).strip()
                                 or text_of(byline)):
            if name not in authors:
                authors.append(name)

    dateline = child(body_head, "dateline") if body_head is not None else None
    docdata = child(head, "docdata") if head is not None else None
    published = None
    for path in (("date.release",), ("date.issue",)):
        node = child(docdata, *path) if docdata is not None else None
        published = published or nitf_date(attr(node, "norm"))
    if published is None and dateline is not None:
        published = nitf_date(attr(child(dateline, "story.date"), "norm"))

    subjects = []
    for node in descendants(nitf, "tobject.subject"):
        refnum = attr(node, "tobject.subject.refnum")
        if refnum and re.fullmatch(r"\d{8}", refnum) and f"subj:{refnum}" not in subjects:
            subjects.append(f"subj:{refnum}")
    keywords = [attr(k, "key") for k in descendants(nitf, "keyword") if attr(k, "key")]
    pubdata = child(head, "pubdata") if head is not None else None
    doc_id = child(docdata, "doc-id") if docdata is not None else None
    site = attr(pubdata, "name") or attr(first_descendant(docdata, "from-src") if docdata is not None else None, "src-name")
    guid = attr(doc_id, "id-string") or ""
    return {
        "title": headline or None,
        "body": "\n\n".join(paras),
        # `pubdata/@ex-ref` points at the publication (an edition), not at this story: never the url.
        "url": None,
        "guid": guid_key(guid, attr(doc_id, "regsrc") or site),
        "site": site,
        "authors": authors,
        "published_at": published,
        "hints": {
            "language": attr(nitf, "lang") or "",
            "dateline": text_of(dateline),
            "dateline_city": text_of(first_descendant(dateline, "city", "location")) if dateline is not None else "",
            "dateline_date": text_of(child(dateline, "story.date")) if dateline is not None else "",
            "subjects": " ".join(subjects),
            "keywords": ", ".join(keywords)[:500],
            "guid": guid,
        },
    }


def parse_nitf(data: bytes) -> dict[str, Any]:
    """A NITF document -> article fields; ParseError when it is not NITF or has no body text."""
    root = parse_xml(data)
    nitf = root if local(root) == "nitf" else first_descendant(root, "nitf")
    if nitf is None:
        raise ParseError(f"not NITF: root element is <{local(root)}>")
    fields = nitf_fields(nitf)
    if not fields["body"]:
        raise ParseError("NITF document has no body.content text")
    return fields
