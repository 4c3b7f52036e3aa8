"""Feeds: RSS 2.0, RSS 1.0 (RDF) and Atom -> one record per item.

`split_feed` cuts a feed into single-item feeds: each keeps its channel's title, link and
language, so every record is itself a valid feed and `parse_feed_item` reads it alone. Parsing
is lxml with entity expansion, DTDs and network off (see `transforms.formats.markup`).

Per item: body from `content:encoded` / Atom `content`, else the description / summary (HTML
reduced to paragraphs); url from `link` (Atom: `rel="alternate"`), else a permalink `guid`;
`published_at` from `pubDate` / `dc:date` / `published` / `updated`; authors from `author`,
`dc:creator` or Atom `author/name`; site from the channel title, else the link's host.
"""

from __future__ import annotations

import copy
import re
from typing import Any, Optional
from urllib.parse import urlsplit

from lxml import etree

from transforms.formats import ParseError
from transforms.formats.markup import (attr, child, children, html_fragment_paragraphs, local,
                                       paragraphs_of, parse_xml, text_of)
from transforms.text import parse_datetime

FEED_ROOTS = ("rss", "rdf", "feed")
ITEM_TAGS = ("item", "entry")
# Channel elements that travel with every item.
CHANNEL_KEEP = ("title", "link", "language", "id")

# Month and weekday names of the languages feeds are most often dated in, for RFC 822-like dates
# that a feed wrote in its own language ("mer, 16 nov 2022").
_MONTHS = {
    "jan": ("janv", "gen", "ene", "jän", "janv."), "feb": ("fév", "févr", "fev", "febb", "fevr"),
    "mar": ("mars", "mär", "marz", "març"), "apr": ("avr", "abr", "apr"), "may": ("mai", "mag", "mayo"),
    "jun": ("juin", "giu", "junio"), "jul": ("juil", "lug", "julio"), "aug": ("août", "ago", "aoû"),
    "sep": ("sept", "set"), "oct": ("okt", "ott", "out"), "nov": ("nov",), "dec": ("déc", "dez", "dic", "dez"),
}
_FOREIGN_MONTH = {alias: english for english, aliases in _MONTHS.items() for alias in aliases}


def feed_items(root) -> list:
    """The item elements of a parsed feed (RSS items live under `channel`, RDF items beside it)."""
    if local(root) not in FEED_ROOTS:
        raise ParseError(f"not a feed: root element is <{local(root)}>")
    if local(root) == "feed":
        return children(root, "entry")
    channel = child(root, "channel")
    items = children(channel, "item") if channel is not None else []
    return items + children(root, "item")


def split_feed(root) -> list[bytes]:
    """A parsed feed -> one single-item feed document per item (UTF-8 bytes)."""
    items = feed_items(root)
    shell = copy.copy(root)
    for node in list(shell):
        shell.remove(node)
    channel = child(root, "channel")
    container = shell
    if local(root) != "feed" and channel is not None:
        container = etree.SubElement(shell, channel.tag, attrib=dict(channel.attrib))
    for node in (channel if local(root) != "feed" and channel is not None else root):
        if local(node) in CHANNEL_KEEP:
            container.append(copy.deepcopy(node))
    docs = []
    for item in items:
        target = container if item.getparent() is channel or local(root) == "feed" else shell
        clone = copy.deepcopy(item)
        target.append(clone)
        docs.append(etree.tostring(shell, encoding="utf-8"))
        target.remove(clone)
    return docs


def _date(text: Optional[str]):
    if not text:
        return None
    parsed = parse_datetime(text)
    if parsed is None:
        words = re.sub(r"^\s*[^\W\d]+\.?,\s*", "", text.strip())  # weekday in any language
        words = re.sub(r"[^\W\d]+\.?", lambda m: _FOREIGN_MONTH.get(m.group(0).lower().rstrip("."),
                                                                  m.group(0)), words, count=1)
        parsed = parse_datetime(words)
    return parsed


def _link(item, is_atom: bool) -> Optional[str]:
    if is_atom:
        links = children(item, "link")
        chosen = [l for l in links if (attr(l, "rel") or "alternate") == "alternate"] or links
        href = attr(chosen[0], "href") if chosen else None
    else:
        href = text_of(child(item, "link")) or attr(item, "about")
        guid = child(item, "guid")
        if not href and guid is not None and (attr(guid, "isPermaLink") or "true") == "true":
            href = text_of(guid)
    return href if href and re.match(r"^https?://", href, re.I) else None


def _authors(item) -> list[str]:
    names: list[str] = []
    for node in children(item, "author", "creator"):
        name = text_of(child(node, "name")) if child(node, "name") is not None else text_of(node)
        name = re.sub(r"^\S+@\S+\s*\((.*)\)$", r"\1", name)  # RSS: "email (Name)"
        for part in re.split(r"\s*(?:,|;|\band\b)\s*", re.sub(r"^by\s+", "", name, flags=re.I)):
            if part and "@" not in part and part not in names:
                names.append(part)
    return names


def _content(item) -> list[str]:
    for name in ("encoded", "content", "description", "summary"):
        for node in children(item, name):
            if len(node):  # inline (X)HTML elements rather than escaped markup
                paras = paragraphs_of(node)
            else:
                paras = html_fragment_paragraphs(node.text or "")
            if paras:
                return paras
    return []


def parse_feed_item(data: bytes) -> dict[str, Any]:
    """A single-item feed (as `split_feed` emits it) -> article fields of its item."""
    root = parse_xml(data)
    items = feed_items(root)
    if len(items) != 1:
        raise ParseError(f"expected one feed item, found {len(items)}")
    item, is_atom = items[0], local(root) == "feed"
    channel = root if is_atom else (child(root, "channel") if child(root, "channel") is not None else root)
    body = _content(item)
    if not body:
        raise ParseError("feed item has no content, description or summary")
    url = _link(item, is_atom)
    site = text_of(child(channel, "title")) or (urlsplit(url).hostname if url else None)
    published = None
    for name in ("pubDate", "date", "published", "issued", "updated", "modified"):
        published = _date(text_of(child(item, name)))
        if published:
            break
    language = (text_of(child(channel, "language")) or attr(root, "lang")
                or attr(item, "lang") or text_of(child(item, "language")))
    title = text_of(child(item, "title"))
    return {
        "title": title or None,
        "body": "\n\n".join(body),
        "url": url,
        "site": site or None,
        "authors": _authors(item),
        "published_at": published,
        "hints": {"language": (language or "")[:16],
                  "categories": ", ".join(text_of(c) or attr(c, "term") or "" for c in children(item, "category"))[:500]},
    }
