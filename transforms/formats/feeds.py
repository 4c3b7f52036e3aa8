"""Feeds: RSS 2.0, RSS 1.0 (RDF) and Atom -> one record per item.

`split_feed` cuts a feed into single-item feeds: each keeps its channel's title, link, language,
publisher and author, so every record is itself a valid feed and `parse_feed_item` reads it alone.
Parsing is lxml with entity expansion, DTDs and network off (see `transforms.formats.markup`).

Per item:
- title: plain text (an escaped-HTML title, Atom `type="html"`, loses its markup and entities),
  without a trailing " | <the item's authors>" (opinion pieces).
- body: `content:encoded` / Atom `content`, else the description / summary (HTML reduced to
  paragraphs); an item with a title and no text is kept with the title as its body.
- `text_kind`: `headline` when the item has no text beyond its title;
  `full` when its text comes from a content field (`content:encoded`, Atom `content`) and has at
  least `CONTENT_FULL_MIN_WORDS` words, or from a description/summary of at least
  `SUMMARY_FULL_MIN_WORDS` words, and is not cut short ("…", "[…]", "Read more", "Continue
  reading" at its end); else `teaser`.
- url (the item's own): FeedBurner's `origLink` (the publisher's URL behind a feedproxy link),
  else RSS `link` / Atom `link rel="alternate"` (resolved against the feed's link when
  relative), else a permalink `guid`; never an `enclosure`, `related`, `via` or `replies` link,
  never a site's home page, never a link that several items of the feed share (`split_feed`
  marks those; a guid several items share is ignored the same way).
- guid: RSS `guid`, Atom `id`, RSS 1.0 `rdf:about`; scoped by the feed's host when it is not
  globally unique (`transforms.formats.ids.guid_key`); the id when there is no url.
- site (the publisher, never the channel's or a section's title): the item's `source`, else
  `dc:publisher`, else the part of the channel title that names the site's domain ("Reuters" in
  "Reuters: World News", "The Guardian" for theguardian.com), else the host of the item's URL
  (the channel link's host when the item link is a feed proxy).
- `published_at` from `pubDate` / `dc:date` / `published` / `updated`; without any, the day in the
  item's own URL (`/2017/01/07/`, set for every format in `transforms.parse.build_article`).
- authors (`credited_people`): `author`, `dc:creator`, Atom `author/name`, split only between
  people ("A and B", "A; B", "A, B" when both sides are names); "Hines, P. J." stays one name,
  places ("Austin, Tex.", "in Jerusalem"), roles ("Africa correspondent"), e-mail addresses,
  URLs and organisations (the site, the channel, "Staff and agencies") are dropped.
"""

from __future__ import annotations

import collections
import copy
import re
from typing import Any, Optional
from urllib.parse import urljoin, urlsplit

from lxml import etree

from transforms.clean import strip_feed_trailer
from transforms.formats import ParseError
from transforms.formats.ids import domain_label, guid_key, host_of, http_url, registrable_domain
from transforms.formats.markup import (attr, child, children, html_fragment_paragraphs, local,
                                       paragraphs_of, parse_xml, text_of)
from transforms.text import count_words, parse_datetime
from transforms.urls import canonical_url

FEED_ROOTS = ("rss", "rdf", "feed")
MEDIA_RSS = "{http://search.yahoo.com/mrss"
# Marks `split_feed` sets on an item whose link or guid other items of the feed share.
SHARED_LINK = "{urn:newsbeam}shared-link"
SHARED_GUID = "{urn:newsbeam}shared-guid"
ITEM_TAGS = ("item", "entry")
# Channel elements that travel with every item.
CHANNEL_KEEP = ("title", "link", "language", "id", "publisher", "author", "creator")

# Month and weekday names of the languages feeds are most often dated in, for RFC 822-like dates
# that a feed wrote in its own language ("mer, 16 nov 2022").
_MONTHS = {
    "jan": ("janv", "gen", "ene", "jän", "janv."), "feb": ("fév", "févr", "fev", "febb", "fevr"),
    "mar": ("mars", "mär", "marz", "març"), "apr": ("avr", "abr", "apr"), "may": ("mai", "mag", "mayo"),
    "jun": ("juin", "giu", "junio"), "jul": ("juil", "lug", "julio"), "aug": ("août", "ago", "aoû"),
    "sep": ("sept", "set"), "oct": ("okt", "ott", "out"), "nov": ("nov",), "dec": ("déc", "dez", "dic", "dez"),
}
_FOREIGN_MONTH = {alias: english for english, aliases in _MONTHS.items() for alias in aliases}

CONTENT_FULL_MIN_WORDS = 50
SUMMARY_FULL_MIN_WORDS = 150
CONTENT_FIELDS = ("encoded", "content")
SUMMARY_FIELDS = ("description", "summary")
# How a feed marks text it cut short: an ellipsis (bracketed or not) or a "read more" link at its end.
_CUT_SHORT = re.compile(
    r"(?:\.\.\.|…|\[\s*(?:\.\.\.|…)\s*\]|\(\s*more\s*(?:\.\.\.|…)?\s*\)"
    r"|\b(?:read|view|see)\s+(?:more|the\s+full\s+(?:story|article|post))|continue\s+reading\b.*"
    r"|weiterlesen|lire\s+la\s+suite|leer\s+m[aá]s|leggi\s+(?:tutto|l'articolo)|ler\s+mais)"
    r"\s*[»›>→.]*\s*$", re.IGNORECASE)
# Feed proxies whose item links hide the publisher (FeedBurner, Feedsportal, Google redirects).
_PROXY_DOMAINS = ("feedburner.com", "feedproxy.google.com", "feedsportal.com", "news.google.com")


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
    is_atom = local(root) == "feed"
    base = channel_link(root, channel if channel is not None else root)
    links = collections.Counter(own_url(item, is_atom, base) for item in items)
    guids = collections.Counter(item_guid(item, is_atom) for item in items)
    docs = []
    for item in items:
        target = container if item.getparent() is channel or local(root) == "feed" else shell
        clone = copy.deepcopy(item)
        # A link or guid that several items share names none of them (a podcast whose every item
        # links to its home page): the record carries the mark, `parse_feed_item` ignores them.
        if links[own_url(item, is_atom, base)] > 1:
            clone.set(SHARED_LINK, "1")
        if guids[item_guid(item, is_atom)] > 1:
            clone.set(SHARED_GUID, "1")
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


# --- identity: url, guid, publisher ---------------------------------------------------------------

def _text_links(node) -> list[str]:
    """Texts of RSS `link` children (an `atom:link` beside them has no text and is skipped)."""
    return [text_of(l) for l in children(node, "link") if text_of(l)]


def _atom_alternate(node, base: Optional[str]) -> Optional[str]:
    """An Atom element's `rel="alternate"` (or rel-less) link, HTML first, resolved against `base`."""
    links = [l for l in children(node, "link") if (attr(l, "rel") or "alternate") == "alternate" and attr(l, "href")]
    links.sort(key=lambda l: 0 if "html" in (attr(l, "type") or "text/html") else 1)
    for link in links:
        href = attr(link, "href").strip()
        resolved = http_url(href) or (http_url(urljoin(base, href)) if base else None)
        if resolved:
            return resolved
    return None


def channel_link(root, channel) -> Optional[str]:
    """The site the feed belongs to: RSS channel `link`, Atom feed `rel="alternate"` link."""
    if local(root) == "feed":
        return _atom_alternate(root, attr(root, "base"))
    return next((u for u in map(http_url, _text_links(channel)) if u), None)


def _proxy(url: Optional[str]) -> bool:
    host = host_of(url) or ""
    return any(host == d or host.endswith("." + d) for d in _PROXY_DOMAINS) or (
        host.endswith("google.com") and urlsplit(url or "").path.startswith("/url"))


def _unwrap_redirect(url: Optional[str]) -> Optional[str]:
    """The target of a Google redirect link (`google.com/url?url=…`, Google Alerts' item links)."""
    if not url:
        return None
    from urllib.parse import parse_qs

    query = parse_qs(urlsplit(url).query)
    return next((http_url(v[0]) for k in ("url", "q") for v in [query.get(k)] if v and http_url(v[0])), None)


def _site_root(url: Optional[str]) -> bool:
    """A home page (no path beyond "/", no query): what a feed links to when an item has no page."""
    if not url:
        return False
    parts = urlsplit(url)
    return parts.path in ("", "/") and not parts.query


def own_url(item, is_atom: bool, base: Optional[str]) -> Optional[str]:
    """The item's own URL: FeedBurner `origLink`, else its link, else a permalink guid; never a
    site's home page, nor a link `split_feed` found shared by several items."""
    if item.get(SHARED_LINK):
        return None
    candidates = [http_url(text_of(child(item, "origLink")))]
    if is_atom:
        candidates.append(_atom_alternate(item, attr(item, "base") or base))
    else:
        candidates += [http_url(href) or (http_url(urljoin(base, href)) if base else None)
                       for href in _text_links(item)]
        guid = child(item, "guid")
        if guid is not None and (attr(guid, "isPermaLink") or "true").lower() == "true":
            candidates.append(http_url(text_of(guid)))
        candidates.append(http_url(attr(item, "about")))
    return next((url for url in candidates if url and not _site_root(url)), None)


def item_guid(item, is_atom: bool) -> str:
    """RSS `guid`, Atom `id`, RSS 1.0 `rdf:about`: the item's identity as its feed states it
    ('' when `split_feed` found it shared by several items)."""
    if item.get(SHARED_GUID):
        return ""
    if is_atom:
        return text_of(child(item, "id"))
    return text_of(child(item, "guid")) or attr(item, "about") or ""


def _compact(text: str) -> str:
    return re.sub(r"[\W_]+", "", text.casefold())


_TITLE_PARTS = re.compile(r"\s+[-–—|:>»·•/]+\s+|\s*[|:>»·•]\s*")


def publisher_in_title(title: str, host: Optional[str]) -> Optional[str]:
    """The part of a channel title that names the site's domain ("Reuters" in "Reuters: World
    News" for reuters.com, "UOL" in "UOL Noticias" for uol.com.br, "The Guardian" for
    theguardian.com, "laut.de" for laut.de), else None.
    A title that is only a section ("Asia", "Top Stories") names no publisher."""
    label, domain = registrable_domain(host)
    if not title or not label:
        return None
    wanted = {_compact(label), _compact(domain)}
    for part in _TITLE_PARTS.split(title.strip()):
        words = part.split()
        for end in range(len(words), 0, -1):  # the whole part, else its leading words ("UOL Noticias")
            key = _compact(" ".join(words[:end]))
            if key and (key in wanted or (key.startswith("the") and key[3:] in wanted)):
                return " ".join(words[:end])
    return None


def publisher(item, channel, url: Optional[str], feed_link: Optional[str]) -> Optional[str]:
    """Who published the item: its `source`, `dc:publisher`, the channel title's publisher part,
    else a host (the item URL's, or the channel link's when the item link is a feed proxy)."""
    channel_title = text_of(child(channel, "title"))
    source = child(item, "source")
    if source is not None and child(source, "title") is not None:  # Atom: the source feed's title
        source_link = _atom_alternate(source, None)
        named = publisher_in_title(text_of(child(source, "title")), host_of(source_link))
        if named or host_of(source_link):
            return named or host_of(source_link)
    elif source is not None:  # RSS: aggregators name the publisher here
        name = text_of(source)
        if name and not http_url(name) and name != channel_title:
            return name
    for node in (child(item, "publisher"), child(channel, "publisher")):
        name = text_of(node)
        if name and not http_url(name) and not _EMAIL.search(name):
            return name
    hosts = [h for h in (host_of(_unwrap_redirect(url)) if _proxy(url) else host_of(url), host_of(feed_link))
             if h and not _proxy(f"http://{h}/")]
    for host in hosts:
        named = publisher_in_title(channel_title, host)
        if named:
            return named
    return hosts[0] if hosts else None


# --- authors ---------------------------------------------------------------------------------------

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_BY = re.compile(r"^\s*(?:by|von|par|por|di|door|av|af)\s*[:\s]\s*", re.IGNORECASE)
# "A and B", "A; B", "A & B"; "and" in other languages splits only between names of two words or
# more ("Maria da Silva e Sousa" is one name).
_BETWEEN_PEOPLE = re.compile(r"\s*(?:;|&|\sand\s)\s*")
_BETWEEN_PEOPLE_ABROAD = re.compile(r"\s+(?:und|et|y|e|og|och|en|i|ja|és|a)\s+")
_PARTICLES = {"de", "da", "das", "do", "dos", "du", "van", "von", "der", "den", "ter", "al", "el", "bin",
              "ibn", "la", "le", "di", "del", "della", "y", "e", "zu", "af", "mc", "st."}
_SUFFIXES = re.compile(r"^(?:jr|sr|[ivx]{1,4}|phd|md|esq)\.?$", re.IGNORECASE)
_INITIALS = re.compile(r"^(?:[A-Z]\.\s?-?){1,4}$|^[A-Z]{1,3}$")
# A place or role appended to a name: "in New York", "Africa correspondent", "Diplomatic editor".
_IN_PLACE = re.compile(r"\s+(?:in|at|from|aus)\s+[A-ZÀ-Þ][\w.' -]*$")
_ROLE = re.compile(r"\s+(?:[A-Z][\w-]*\s+)?(?:[a-z]+\s+)?"
                   r"(?i:correspondent|editor|reporter|writer|columnist|critic|analyst)s?$")
# Words that make a credit an organisation or a role, not a person: always ...
_ORG_WORDS = re.compile(
    r"\b(?:staff|team|desk|newsroom|editorial|redaktion|r[ée]daction|redacci[oó]n|redazione|bloggers?|"
    r"agenc(?:y|ies)|magazine|online|blog|podcast|network|inc|ltd|llc|gmbh|corp|company|webmaster|admin)\b",
    re.IGNORECASE)
# ... and these when they open the credit or it has three words or more ("Press Association", "AP
# Business Writer", "New York Times"), not as the surname of a two-word name ("Jordan Press").
_ROLE_WORDS = re.compile(
    r"\b(?:news|press|media|channel|radio|tv|group|advisor|developers?|service|wire|bureau|times|post|"
    r"journal|herald|tribune|gazette|daily|weekly|zeitung|writer|correspondent|reporter|columnist|"
    r"photographer|editors?|sports?)\b", re.IGNORECASE)


def _organisation(name: str) -> bool:
    if _ORG_WORDS.search(name) or _compact(name) in _AGENCIES:
        return True
    role = _ROLE_WORDS.search(name)
    words = name.split()
    # "AWS Editor", "BBC News": an acronym before the role word names an organisation.
    return bool(role) and (role.start() == 0 or len(words) >= 3 or bool(re.fullmatch(r"[A-Z]{2,}", words[0])))


_AGENCIES = {"reuters", "ap", "afp", "dpa", "upi", "pa", "aap", "efe", "ansa", "xinhua", "kyodo", "bloomberg",
             "associatedpress", "agencefrancepresse", "thecanadianpress", "canadianpress", "pressassociation",
             "thepressassociation", "australianassociatedpress", "deutschepresseagentur", "tass", "ria"}


def _is_place(text: str) -> bool:
    """A US state or Canadian province (also as wire copy abbreviates them: "Tex.", "N.Y."), a
    country or a city the gazetteer knows."""
    from transforms.gazetteer import get_gazetteer

    text = text.strip()
    if not text:
        return False
    gazetteer = get_gazetteer()
    return bool(gazetteer.region(text) or gazetteer.country(text) or gazetteer.candidates(text.rstrip(".")))


def _words_ok(name: str) -> bool:
    words = name.split()
    if not 1 <= len(words) <= 6 or any(ch.isdigit() for ch in name):
        return False
    if len(words) == 1:
        return True  # a handle ("contra", "Avi"): a person as the feed credits them
    return all(w[:1].isupper() or w.lower() in _PARTICLES or _SUFFIXES.match(w) or not w[:1].isalpha()
               or re.match(r"^(?:d|l|dall|dell|degl)['’]\w", w) for w in words)


def _person_like(name: str) -> bool:
    words = name.split()
    return 2 <= len(words) <= 6 and _words_ok(name)


def _title_case(name: str) -> str:
    if name.isupper() and len(name) > 3:
        return re.sub(r"[^\W\d_]+", lambda m: m.group(0).capitalize(), name)
    return name


def _comma_people(text: str) -> list[str]:
    """'A B, C D' -> two people; 'Hines, P. J.' and 'Doe, Jane' -> one; places and roles after a
    comma ('Jim Vertuno, Austin, Tex.', 'Jane Doe, Geneva, Switzerland') are dropped."""
    parts = [p.strip() for p in text.split(",") if p.strip()]
    if not parts:
        return []
    people = [parts[0]]
    for i, part in enumerate(parts[1:], start=1):
        previous = people[-1]
        following = parts[i + 1] if i + 1 < len(parts) else ""
        if len(part.split()) == 1 and _INITIALS.match(following) and _words_ok(part) and not _INITIALS.match(part):
            people.append(part)  # "Ash, C., Mueller, K. L.": a surname whose initials follow
        elif _INITIALS.match(part) or _SUFFIXES.match(part):
            people[-1] = f"{previous}, {part}"
        elif len(previous.split()) == 1 and len(people) == 1 and len(part.split()) <= 2 and _words_ok(part) \
                and not _is_place(part):
            people[-1] = f"{previous}, {part}"  # "Last, First"
        elif _is_place(part) or _organisation(part):
            continue
        elif _person_like(part) and (_person_like(previous) or "," in previous):
            people.append(part)
        # anything else after a full name is a place or affiliation the gazetteer does not know
    return people


def credited_people(raw_names: list[str], organisations: set[str] = frozenset()) -> list[str]:
    """Author fields and bylines (feeds, wire formats, JSON) -> people. `organisations`: compacted
    names of the site and the channel (a credit equal to one of them is the organisation)."""
    names: list[str] = []
    for raw in raw_names:
        text = " ".join(raw.split())
        mailbox = re.fullmatch(r"\s*\S+@\S+\s*\((.+)\)\s*", text) or re.fullmatch(r"\s*(.+?)\s*<\S+@\S+>\s*", text)
        if mailbox:
            text = mailbox.group(1)
        text = re.sub(r"^/?u/", "", _BY.sub("", text))  # "By X", reddit's "/u/name"
        if re.fullmatch(r"[a-z]{1,4}(?:\s*/\s*[a-z]{1,4})+", text.strip()):
            continue  # desk initials ("gr/bp"), not names
        text = re.sub(r"\s*\([^)]*\)", "", text)  # "(now)", "(earlier)", "(photos)"
        text = text.split("/")[0].split("|")[0].strip(" ,;-–—")
        if not text or _EMAIL.search(text) or re.search(r"https?://|www\.|\.\w{2,4}\b$|:", text):
            continue
        groups = []
        for group in _BETWEEN_PEOPLE.split(text):
            parts = _BETWEEN_PEOPLE_ABROAD.split(group)
            groups.extend(parts if len(parts) > 1 and all(len(p.split()) >= 2 for p in parts) else [group])
        for group in groups:
            for name in _comma_people(group):
                name = _IN_PLACE.sub("", name)
                name = _ROLE.sub("", name) if len(name.split()) > 2 else name
                name = name.strip(" ,;-–—")
                if name.endswith(".") and len(name.split()[-1]) > 2:
                    name = name.rstrip(".")  # a sentence stop, not an initial
                name = _title_case(name)
                key = _compact(name)
                if (not key or key in organisations or _organisation(name)
                        or re.search(r"[!?@#\"“”]", name)
                        or not _words_ok(name.replace(",", " "))):
                    continue
                if name not in names:
                    names.append(name)
    return names


# --- body ------------------------------------------------------------------------------------------

def _content(item) -> tuple[list[str], Optional[str]]:
    """(paragraphs, field they came from) of the item's richest text field, content first."""
    # Media RSS elements (`media:content`, `media:description` of a photo) describe attachments,
    # not the item; only a `media:group` description (video feeds) stands in for missing text.
    own = [node for node in item if not str(node.tag).startswith(MEDIA_RSS)]
    media = [node for group in children(item, "group") for node in group]
    for name in CONTENT_FIELDS + SUMMARY_FIELDS:
        for node in [n for n in own if local(n) == name] + [n for n in media if local(n) == name == "description"]:
            if attr(node, "src"):  # Atom out-of-line content: the text is elsewhere
                continue
            if len(node):  # inline (X)HTML elements rather than escaped markup
                paras = paragraphs_of(node)
            else:
                paras = html_fragment_paragraphs(node.text or "")
            if paras:
                return paras, name
    return [], None


_TAG = re.compile(r"</?[A-Za-z][\w:-]*(?:\s[^<>]*)?/?>")


def item_title(node) -> Optional[str]:
    """The item's headline as plain text: an escaped-HTML title (Atom `type="html"`, search feeds'
    `<b>` highlights) loses its markup and entities."""
    text = text_of(node)
    if _TAG.search(text) or "&" in text:
        text = " ".join(html_fragment_paragraphs(text))
    return text.strip() or None


def without_byline(title: Optional[str], authors: list[str]) -> Optional[str]:
    """A title without a trailing " | <its authors>" (opinion pieces: "… | Erica Chenoweth and
    Jeremy Pressman")."""
    head, bar, tail = (title or "").rpartition(" | ")
    if bar and head.strip() and authors:
        words = set(re.findall(r"\w+", tail.casefold())) - {"and", "und", "et", "y"}
        if words and words <= set(re.findall(r"\w+", " ".join(authors).casefold())):
            return head.strip()
    return title


def _same_text(text: str, title: str) -> bool:
    """`_compact(text) == _compact(title)`, without compacting all of a long text: the compacted
    head of a text is the head of the compacted text, and a head that already differs or runs
    longer than the title settles it."""
    key = _compact(title)
    head = _compact(text[:4 * len(title) + 16])
    if len(head) > len(key) or head != key[:len(head)]:
        return False
    return head == key if len(text) <= 4 * len(title) + 16 else _compact(text) == key


def text_kind(title: Optional[str], paras: list[str], field: Optional[str]) -> str:
    """`full`, `teaser` or `headline` for a feed item's text (the rule in this module's docstring)."""
    text = strip_feed_trailer("\n\n".join(paras))
    if not text or (title and _same_text(text, title)):
        return "headline"
    minimum = CONTENT_FULL_MIN_WORDS if field in CONTENT_FIELDS else SUMMARY_FULL_MIN_WORDS
    # Words of a head long enough to hold `minimum` of them first: a head never has more words than
    # the whole text (a word cut at the end still counts once), so only a short head needs the rest.
    head = text[:16 * minimum]
    words = count_words(head)
    if words < minimum and len(head) < len(text):
        words = count_words(text)
    # A cut-short ending lies on the text's last lines (the rule is anchored at the text's end).
    tail = text[text.rfind("\n", 0, max(text.rfind("\n"), 0)) + 1:]
    if words < minimum or _CUT_SHORT.search(tail):
        return "teaser"
    return "full"


def parse_feed_item(data: bytes) -> dict[str, Any]:
    """A single-item feed (as `split_feed` emits it) -> article fields of its item."""
    root = parse_xml(data)
    items = feed_items(root)
    if len(items) != 1:
        raise ParseError(f"expected one feed item, found {len(items)}")
    item, is_atom = items[0], local(root) == "feed"
    channel = root if is_atom else (child(root, "channel") if child(root, "channel") is not None else root)
    feed_link = channel_link(root, channel)
    title = item_title(child(item, "title"))
    body, field = _content(item)
    kind = text_kind(title, body, field)
    if not body:
        if not title:
            raise ParseError("feed item has no title, content, description or summary")
        body = [title]
    url = canonical_url(own_url(item, is_atom, feed_link))
    site = publisher(item, channel, url, feed_link)
    scope = host_of(feed_link) or host_of(url) or text_of(child(channel, "title")) or None
    guid = item_guid(item, is_atom)
    published = None
    for name in ("pubDate", "date", "published", "issued", "updated", "modified"):
        published = _date(text_of(child(item, name)))
        if published:
            break
    language = (text_of(child(channel, "language")) or attr(root, "lang")
                or attr(item, "lang") or text_of(child(item, "language")))
    channel_title = text_of(child(channel, "title"))
    organisations = {_compact(x) for x in (
        site, channel_title, domain_label(host_of(url)), domain_label(host_of(feed_link)),
        *_TITLE_PARTS.split(channel_title),
        *(text_of(child(n, "name")) or text_of(n) for n in children(channel, "author", "creator", "publisher")))
        if x and _compact(x)}
    raw_authors = [text_of(child(n, "name")) if child(n, "name") is not None else text_of(n)
                   for n in children(item, "author", "creator")]
    authors = credited_people(raw_authors, organisations)
    return {
        "title": without_byline(title, authors),
        "body": "\n\n".join(body),
        "url": url,
        "guid": guid_key(guid, scope),
        "site": site,
        "authors": authors,
        "published_at": published,
        "text_kind": kind,
        "hints": {"language": (language or "")[:16], "guid": guid[:500],
                  "channel": channel_title[:200],
                  "categories": ", ".join(text_of(c) or attr(c, "term") or "" for c in children(item, "category"))[:500]},
    }
