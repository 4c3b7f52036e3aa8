"""Shared plumbing for the markup formats: decoding, safe XML parsing, and markup -> paragraphs.

Decoding (`decode_markup`) is `transforms.formats.charset.decode_document` with the charset the
document declares (XML declaration, `<meta charset>`) as its label: bytes win over labels.

XML is parsed with external entities, DTD loading and network access off; internal entities are
left unexpanded (they never reach the text) and libxml2 refuses amplification bombs, which then
surface as `ParseError`. HTML named entities that feeds use without declaring (`&nbsp;`) are
mapped to characters before parsing so that a strict parse still succeeds.
"""

from __future__ import annotations

import html
import html.entities
import re
from typing import Iterable, Iterator, Optional

from lxml import etree

from transforms.formats import ParseError
from transforms.formats.charset import decode_document
from transforms.text import DecodeError, normalise_whitespace

# --- decoding -----------------------------------------------------------------------------------

_XML_DECL = re.compile(rb"""^\s*<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._:-]+)["']""")
_META_CHARSET = re.compile(
    rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9._:-]+)""", re.IGNORECASE)


def declared_charset(data: bytes) -> Optional[str]:
    """The charset an XML declaration or an HTML `<meta>` names in the first few KiB, if any."""
    head = data[:4096]
    match = _XML_DECL.match(head) or _META_CHARSET.search(head)
    return match.group(1).decode("ascii") if match else None


def decode_markup(data: bytes, declared: Optional[str] = None) -> str:
    """Markup bytes -> text; a transport's `declared` charset first, then the document's own."""
    return decode_document(data, declared or declared_charset(data))[0]


# --- XML ----------------------------------------------------------------------------------------

_XML_DECL_TEXT = re.compile(r"^\s*<\?xml[^>]*\?>")
_NAMED_ENTITY = re.compile(r"&([A-Za-z][A-Za-z0-9]{1,31});")
_XML_ENTITIES = {"amp", "lt", "gt", "quot", "apos"}
_DOCTYPE_ENTITY = re.compile(r"<!DOCTYPE[^>\[]*\[[^\]]*<!ENTITY", re.IGNORECASE)


def _html_entity(match: re.Match) -> str:
    name = match.group(1)
    if name in _XML_ENTITIES or name not in html.entities.name2codepoint:
        return match.group(0)
    return f"&#{html.entities.name2codepoint[name]};"


def _parser(recover: bool) -> etree.XMLParser:
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False,
                           remove_comments=True, remove_pis=True, recover=recover)


def parse_xml(data: bytes, declared: Optional[str] = None) -> etree._Element:
    """Bytes -> root element, safely; a strict parse first, then libxml2's recovery mode."""
    text = _XML_DECL_TEXT.sub("", decode_markup(data, declared), count=1)
    if not _DOCTYPE_ENTITY.search(text[:65536]):
        text = _NAMED_ENTITY.sub(_html_entity, text)
    body = text.encode("utf-8")
    try:
        return etree.fromstring(body, _parser(recover=False))
    except etree.XMLSyntaxError as strict_error:
        if "amplification" in str(strict_error):
            raise ParseError(f"XML refused: {strict_error}") from strict_error
        try:
            root = etree.fromstring(body, _parser(recover=True))
        except etree.XMLSyntaxError:
            root = None
        if root is None:
            raise ParseError(f"not well-formed XML: {strict_error}") from strict_error
        return root


def local(element) -> str:
    """An element's tag without its namespace, lower-cased ('' for comments and entities)."""
    tag = element.tag
    if not isinstance(tag, str):
        return ""
    return tag.rsplit("}", 1)[-1].lower()


def children(element, *names: str) -> list:
    """Direct children whose local name is one of `names` (case-insensitive)."""
    wanted = {n.lower() for n in names}
    return [c for c in element if local(c) in wanted]


def child(element, *path: str):
    """The first element down a path of local names, or None."""
    for name in path:
        if element is None:
            return None
        found = children(element, name)
        element = found[0] if found else None
    return element


def descendants(element, *names: str) -> Iterator:
    wanted = {n.lower() for n in names}
    return (e for e in element.iter() if local(e) in wanted)


def first_descendant(element, *names: str):
    return next(descendants(element, *names), None)


def text_of(element) -> str:
    """All text under an element, whitespace collapsed; unexpanded entities contribute nothing."""
    if element is None:
        return ""
    parts: list[str] = []

    def walk(node):
        if isinstance(node.tag, str) and node.text:
            parts.append(node.text)
        for sub in node:
            if isinstance(sub.tag, str):
                walk(sub)
            if sub.tail:
                parts.append(sub.tail)

    walk(element)
    return " ".join("".join(parts).split())


def attr(element, name: str) -> Optional[str]:
    """An attribute by local name (namespaced or not); None when absent or blank."""
    if element is None:
        return None
    for key, value in element.attrib.items():
        if key.rsplit("}", 1)[-1] == name and value.strip():
            return value.strip()
    return None


# --- markup -> paragraphs -------------------------------------------------------------------------

# Elements that start a new paragraph (XHTML, NITF and the odd agency dialect).
BLOCKS = frozenset("""p div h1 h2 h3 h4 h5 h6 hl1 hl2 li dt dd blockquote pre tr table ul ol dl
    section article header footer aside figure figcaption block bq nitf-table br hr address
    body.content body.head body.end""".split())
# Elements whose content is never body text.
SKIP = frozenset("script style noscript head title meta link iframe object embed svg button form"
                 " input select textarea nav media-reference media-metadata".split())


def paragraphs_of(element, skip: Iterable[str] = ()) -> list[str]:
    """Markup -> paragraphs: each block element starts one; table cells are joined by ' | '."""
    skipped = SKIP | {s.lower() for s in skip}
    paras: list[str] = []
    current: list[str] = []

    def flush():
        text = " ".join("".join(current).split())
        if text:
            paras.append(text)
        current.clear()

    def walk(node):
        name = local(node)
        if name in skipped:
            return
        block = name in BLOCKS
        if block:
            flush()
        if node.text and isinstance(node.tag, str):
            current.append(node.text)
        for sub in node:
            if isinstance(sub.tag, str):
                walk(sub)
                if local(sub) in ("td", "th"):
                    current.append(" | ")
            if sub.tail:
                current.append(sub.tail)
        if block:
            flush()

    walk(element)
    flush()
    return [p.strip(" |") for p in paras if p.strip(" |")]


def html_fragment_paragraphs(markup: str) -> list[str]:
    """An HTML fragment (a feed's `content:encoded`, a wire body in `inlineData`) -> paragraphs."""
    from lxml import html as lxml_html

    markup = markup.strip()
    if not markup:
        return []
    if "<" not in markup:
        return [p.strip() for p in normalise_whitespace(html.unescape(markup)).split("\n\n") if p.strip()]
    try:
        root = lxml_html.fragment_fromstring(markup, create_parent="div")
    except (etree.ParserError, ValueError):
        return []
    return paragraphs_of(root)


__all__ = ["DecodeError", "ParseError", "attr", "child", "children", "declared_charset",
           "decode_markup", "descendants", "first_descendant", "html_fragment_paragraphs", "local",
           "paragraphs_of", "parse_xml", "text_of"]
