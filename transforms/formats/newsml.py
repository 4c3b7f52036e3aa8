"""NewsML: IPTC NewsML-G2 (`newsItem`, `newsMessage`) and NewsML 1.x (`NewsML`) -> articles.

`split_newsml` cuts a message into its items (a G2 `newsMessage` into the items of its
`itemSet`, a NewsML 1.x document into its `NewsItem`s); one item is one record.

NewsML-G2 item, read by `parse_newsml_g2`:
- headline: `contentMeta/headline` (the untyped or main one); byline: `contentMeta/by`,
  else the NITF byline; dateline: `contentMeta/dateline`, else NITF's; `located` place name;
- subjects: every `contentMeta/subject/@qcode` (e.g. `medtop:04000000`, `subj:15054000`), genre;
- times: `contentCreated`, else `firstCreated`, else `versionCreated`;
- body: the richest text rendition of `contentSet`: NITF (read by `transforms.formats.nitf`),
  XHTML, other inline XML, or `inlineData` text or HTML; items with no text (pictures, video
  without transcript) are a `ParseError`.
NewsML 1.x items map the same way from `NewsLines` (`HeadLine`, `ByLine`, `DateLine`),
`DescriptiveMetadata` (`Language`, `SubjectCode`) and `NewsManagement` times, with the body
from the first text `ContentItem`'s `DataContent`.

Identity: the item's `guid` (G2; NewsML 1.x: `PublicIdentifier` without its revision) is the id,
unless a G2 `itemMeta/link` names the item's own web page (`OWN_LINK_RELATIONS`). Reference
links (`irel:seeAlso`, the default relation, `irel:derivedFrom`, short URLs) are never the url:
two stories citing the same court ruling are two stories.

Wire specifics go to `Article.hints`: `dateline`, `located`, `subjects`, `genre`, `keywords`,
`guid`, `provider`, `language`.
"""

from __future__ import annotations

import re
from typing import Any, Optional

from lxml import etree

from transforms.formats import ParseError
from transforms.formats.ids import guid_key, http_url, without_www
from transforms.formats.markup import (attr, child, children, descendants, first_descendant,
                                       html_fragment_paragraphs, local, paragraphs_of, parse_xml,
                                       text_of)
from transforms.formats.nitf import byline_names, nitf_date, nitf_fields

G2_ITEMS = ("newsitem", "packageitem", "planningitem", "conceptitem", "knowledgeitem")
G2_ROOTS = G2_ITEMS + ("newsmessage",)


def split_newsml(root) -> list[bytes]:
    """A NewsML-G2 message or NewsML 1.x document -> one standalone XML document per item."""
    name = local(root)
    if name == "newsmessage":
        items = [i for s in children(root, "itemSet") for i in s if local(i) in G2_ITEMS]
    elif name == "newsml":
        items = list(descendants(root, "newsitem"))
        items = [i for i in items if not any(local(a) == "newsitem" for a in i.iterancestors())]
        return [_standalone_1x(root, item) for item in items]
    else:
        items = [root]
    return [etree.tostring(item, encoding="utf-8") for item in items]


def _standalone_1x(root, item) -> bytes:
    """A NewsML 1.x item inside its `NewsML` root (kept for the envelope's date and provider)."""
    shell = etree.Element(root.tag, nsmap=root.nsmap)
    envelope = child(root, "NewsEnvelope")
    if envelope is not None:
        shell.append(_copy(envelope))
    shell.append(_copy(item))
    return etree.tostring(shell, encoding="utf-8")


def _copy(element):
    return etree.fromstring(etree.tostring(element))


def _first_text(*elements) -> str:
    for element in elements:
        text = text_of(element)
        if text:
            return text
    return ""


# --- bodies --------------------------------------------------------------------------------------

def _rendition_body(node) -> tuple[list[str], Optional[dict]]:
    """Paragraphs of one rendition (`inlineXML`, `inlineData`, `DataContent`), plus NITF fields."""
    content_type = (attr(node, "contenttype") or "").lower()
    nitf = first_descendant(node, "nitf")
    if nitf is not None:
        fields = nitf_fields(nitf)
        return [p for p in fields["body"].split("\n\n") if p], fields
    html_body = first_descendant(node, "body")
    if html_body is not None:  # XHTML: dpa and others put slugline, keywords and times in <header>
        return paragraphs_of(html_body, skip=("header", "footer")), None
    if len(node):
        return paragraphs_of(node), None
    text = node.text or ""
    if "html" in content_type or re.search(r"<(?:p|br|div)\b", text, re.I):
        return html_fragment_paragraphs(text), None
    return html_fragment_paragraphs(text.replace("\n", "\n\n") if "\n\n" not in text else text), None


def _best_body(renditions) -> tuple[list[str], Optional[dict]]:
    best: tuple[list[str], Optional[dict]] = ([], None)
    for node in renditions:
        paras, nitf = _rendition_body(node)
        if sum(map(len, paras)) > sum(map(len, best[0])):
            best = (paras, nitf)
    return best


# --- NewsML-G2 -------------------------------------------------------------------------------------

def _provider_name(provider) -> Optional[str]:
    """The provider's name, else its literal, else its qcode's code ("web:www.xmlteam.com" ->
    "xmlteam.com", "nprov:REUTERS" -> "REUTERS"); a host without its "www."."""
    if provider is None:
        return None
    qcode = attr(provider, "qcode")
    name = (_first_text(child(provider, "name")) or attr(provider, "literal")
            or (qcode.split(":", 1)[-1] if qcode else None))
    return without_www(name)


def _g2_headline(meta) -> str:
    headlines = children(meta, "headline") if meta is not None else []
    main = [h for h in headlines if (attr(h, "role") or "main").endswith("main")] or headlines
    return _first_text(*main)


# `itemMeta/link` relations that name the item itself (any scheme prefix: `irel:`, `dparel:`, a
# URI). Every other relation points elsewhere: `irel:seeAlso` (also the default when `rel` is
# missing), `irel:derivedFrom`, `irel:processedFrom`, short URLs, related sites.
OWN_LINK_RELATIONS = ("self", "alternate", "canonical")


def own_link(item_meta) -> Optional[str]:
    """The item's own web URL from `itemMeta/link`, when a link's relation says it is the item."""
    for link in (children(item_meta, "link") if item_meta is not None else []):
        relation = re.split(r"[:/#]", attr(link, "rel") or "irel:seeAlso")[-1].lower()
        if relation in OWN_LINK_RELATIONS and http_url(attr(link, "href")):
            return http_url(attr(link, "href"))
    return None


def parse_newsml_g2(data: bytes) -> dict[str, Any]:
    """One NewsML-G2 item -> article fields."""
    root = parse_xml(data)
    item = root if local(root) in G2_ITEMS else next(
        (e for e in root.iter() if local(e) in G2_ITEMS), None)
    if item is None:
        raise ParseError(f"not a NewsML-G2 item: root element is <{local(root)}>")
    item_meta, meta = child(item, "itemMeta"), child(item, "contentMeta")
    content_set = child(item, "contentSet")
    renditions = [n for n in (content_set if content_set is not None else [])
                  if local(n) in ("inlinexml", "inlinedata")]
    paras, nitf = _best_body(renditions)
    item_class = attr(child(item_meta, "itemClass"), "qcode") if item_meta is not None else None
    if not paras:
        raise ParseError(f"NewsML-G2 item has no text content (itemClass {item_class or 'unknown'})")
    nitf = nitf or {"hints": {}, "authors": []}

    by = _first_text(*(children(meta, "by") if meta is not None else []))
    authors = byline_names(by) if by else list(nitf["authors"])
    subjects = []
    for subject in (children(meta, "subject") if meta is not None else []):
        code = attr(subject, "qcode") or attr(subject, "uri")
        if code and code not in subjects:
            subjects.append(code)
    published = None
    for node in ((child(meta, "contentCreated") if meta is not None else None),
                 (child(item_meta, "firstCreated") if item_meta is not None else None),
                 (child(item_meta, "versionCreated") if item_meta is not None else None)):
        published = published or nitf_date(text_of(node))
    language = (attr(child(meta, "language"), "tag") if meta is not None else None) or attr(item, "lang")
    provider = child(item_meta, "provider") if item_meta is not None else None
    located = child(meta, "located") if meta is not None else None
    guid = attr(item, "guid") or ""
    provider_code = (attr(provider, "qcode") or attr(provider, "literal") or "") if provider is not None else ""
    return {
        "title": _g2_headline(meta) or nitf.get("title"),
        "body": "\n\n".join(paras),
        "url": own_link(item_meta) or http_url(guid),
        "guid": guid_key(guid, provider_code or _provider_name(provider)),
        "site": _provider_name(provider),
        "authors": authors,
        "published_at": published or nitf.get("published_at"),
        "hints": {
            "language": language or "",
            "dateline": _first_text(*(children(meta, "dateline") if meta is not None else [])) or nitf["hints"].get("dateline", ""),
            "located": _first_text(child(located, "name")) if located is not None else "",
            "subjects": " ".join(subjects)[:2000] or nitf["hints"].get("subjects", ""),
            "genre": " ".join(filter(None, (attr(g, "qcode") for g in children(meta, "genre")))) if meta is not None else "",
            "keywords": ", ".join(text_of(k) for k in children(meta, "keyword"))[:500] if meta is not None else "",
            "guid": guid,
            "provider": provider_code,
        },
    }


# --- NewsML 1.x ------------------------------------------------------------------------------------

def _holds_text(content_item) -> bool:
    """A NewsML 1.x `ContentItem` of text: `MediaType` Text, or ComplexData carrying a text format
    (ITAR-TASS sends its NITF story as ComplexData, MimeType text/vnd.IPTC.NITF)."""
    media = (attr(first_descendant(content_item, "mediatype"), "FormalName") or "text").lower()
    mime = (attr(first_descendant(content_item, "mimetype"), "FormalName") or "").lower()
    return media == "text" or media == "complexdata" and (mime.startswith("text/") or "xml" in mime or "html" in mime)


def parse_newsml_1(data: bytes) -> dict[str, Any]:
    """One NewsML 1.x `NewsItem` (inside its `NewsML` root) -> article fields."""
    root = parse_xml(data)
    item = root if local(root) == "newsitem" else first_descendant(root, "newsitem")
    if item is None:
        raise ParseError(f"not a NewsML 1.x item: root element is <{local(root)}>")
    lines = first_descendant(item, "newslines")
    text_items = [c for c in descendants(item, "contentitem") if _holds_text(c)]
    paras, nitf = _best_body(d for c in text_items for d in children(c, "datacontent"))
    if not paras:
        raise ParseError("NewsML 1.x item has no text content")
    nitf = nitf or {"hints": {}, "authors": []}
    management = first_descendant(item, "newsmanagement")
    published = None
    for name in ("FirstCreated", "ThisRevisionCreated"):
        node = child(management, name) if management is not None else None
        published = published or nitf_date(text_of(node))
    by = _first_text(*(children(lines, "byline") if lines is not None else []))
    subjects = []
    for subject in descendants(item, "subject", "subjectmatter", "subjectdetail"):
        code = attr(subject, "FormalName")
        if code and re.fullmatch(r"\d{8}", code) and f"subj:{code}" not in subjects:
            subjects.append(f"subj:{code}")
    provider = first_descendant(root, "providerid")
    headline = _first_text(*(children(lines, "headline") if lines is not None else []))
    public_id = text_of(first_descendant(item, "publicidentifier"))
    # The item across revisions: the public identifier without its revision part.
    identity = re.sub(r":\d+[A-Z+]?$", "", public_id) or ":".join(
        filter(None, (text_of(first_descendant(item, name)) for name in ("dateid", "newsitemid"))))
    return {
        "title": headline or nitf.get("title"),
        "body": "\n\n".join(paras),
        "url": None,
        "guid": guid_key(identity, text_of(provider)),
        "site": without_www(text_of(provider)) or None,
        "authors": byline_names(by) if by else list(nitf["authors"]),
        "published_at": published or nitf.get("published_at"),
        "hints": {
            "language": attr(first_descendant(item, "language"), "FormalName") or "",
            "dateline": _first_text(*(children(lines, "dateline") if lines is not None else [])) or nitf["hints"].get("dateline", ""),
            "subjects": " ".join(subjects) or nitf["hints"].get("subjects", ""),
            "keywords": ", ".join(text_of(k) for k in descendants(item, "keywordline"))[:500],
            "guid": public_id,
            "provider": text_of(provider),
        },
    }
