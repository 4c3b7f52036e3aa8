"""HTML: a web page -> its article text (trafilatura) and its metadata, or `NotAnArticle`.

Main text comes from trafilatura with `EXTRACTION_SETTINGS`, chosen by measurement on the
article-extraction benchmark (181 news pages, shingle F1 as the benchmark scores it; rerun with
`make eval`):

| trafilatura 2.3 settings | F1 | precision | recall |
|---|---|---|---|
| defaults | 0.960 | 0.942 | 0.978 |
| `favor_recall` | 0.959 | 0.941 | 0.979 |
| `include_tables=False` | 0.957 | 0.942 | 0.972 |
| `fast` (no fallback extractors) | 0.962 | 0.946 | 0.979 |
| **`favor_precision`** | **0.964** | **0.958** | **0.971** |

`favor_precision` wins because news pages carry more boilerplate than the default filter drops,
and newsbeam's own furniture removal (`transforms.clean`) runs afterwards anyway. When it keeps
less than `RECALL_BELOW_CHARS` characters (it drops some ordinary stories whole), a recall-oriented
pass (`favor_recall`) runs and its text is taken when longer. Comment-policy and comment-form
paragraphs never count as text. Comments are never article text; `deduplicate` is off because
trafilatura's cache is per process, which would make output depend on which worker saw which
page first.

Metadata comes from what the page states, most explicit source first:

- url: `<link rel=canonical>`, else `og:url`, else the URL the page was fetched from (a WARC
  target), through `transforms.urls.canonical_url` (Wayback/AMP/proxy captures give the original,
  tracking parameters go). A canonical that points at the site's front page while the page has a
  deeper address of its own is not the page's identity and is ignored.
- published_at: `article:published_time` and friends (with their time of day), the JSON-LD
  article's `datePublished`, `<time itemprop=datePublished>` (ignored when such elements state
  different days: a list of stories); a complete date in the page's own URL (`/2013/08/03/`,
  `/2013/8/3/`, `-20171022-`) wins over a metadata time more than a day away from it; then a day the
  page prints for the article: a short line with a publication cue ("Posted on March 3, 2019",
  "Veröffentlicht am 3. Dezember 2011") or the first date line under the `<h1>` headline ("13 Oct
  2020 18:29"), in htmldate's languages; then the page's `<time datetime>` elements when they all
  state one day; then htmldate on the whole page (`original_date=True`:
  metadata, `<time>`, dates printed on the page). A 1st of a month that the page does not print as
  a day (htmldate's reading of a copyright year or an archive's month) is a guess and is dropped. A
  date printed only as "01/09/2008" is read the way the page writes dates: its dates that read one
  way only ("12/25/2007"), its declared locale (en-US month first, any other day first), its country
  domain, a WARC capture time that rules one reading out, the same day printed in words; when none
  says, no date (htmldate reads the day first: a US page's 9 January became 1 September). Null
  when the page states none; a WARC capture time is not a date stated. `hints["date_stated"]`
  keeps the day as the page states it (before conversion to UTC; from the value carrying the
  publisher's time zone when the metadata also gives a UTC copy).
- title: the headline the page shows (`<h1>`) when it agrees with the headline the page declares
  (JSON-LD `headline`, `og:title`, `twitter:title`, `<title>`), else the first declared one;
  site branding ("… | CNN Politics", "heise online - …", "(Published 2009)") is cut from the ends
  of a title when the segment names the site (`og:site_name`, the JSON-LD publisher, the domain),
  and so is a note after it naming the site, a syndicating paper or the day ("…_English_Xinhua",
  "(from The Bolton News)"). When only the `<title>` is left, a heading of the page that opens or
  closes it (table layouts: `<td class="contentheading">`, `<span class="articleHeadline">`, bold
  text in a big `<font>`) is the headline; a side of it that the lead never mentions (a station's
  tagline) is cut; a title sharing no word with the story's lead ("Top Stories") gives way to
  a heading that shares two, and one naming the site ("A Netsports Site") to a heading the story
  opens with and bears out. A sole `<h1>` the lead does not bear out (a blog's name) gives way to
  the rest of the `<title>` or such a heading. A page that names no headline at all (a crawl that
  lost the `<head>`), or only generic words ("News"), takes a short line atop the story whose
  words the story then uses, else none.
  Markup inside a `<title>` is removed; one that runs on into script or a comment is cut/dropped.
- body: trafilatura's text; rows of layout tables unwrapped (`_unwrap_layout_tables`).
- site: `og:site_name`, the JSON-LD publisher, `application-name`, else the host name; a common noun
  ("Magazine", "News": a section of the site) is passed over.
- authors: the JSON-LD article's authors, else the first author meta tag that names a person
  (`article:author` before the generic `author`, which often names the publisher; `twitter:creator`,
  an account, is not read); else trafilatura's guess, unless
  the page prints that name only in comment threads or in other stories' cards (a link around a
  teaser, a short `<article>`/`<li>` with its own linked headline); else the byline the page shows
  (`rel=author` / `itemprop=author` elements, "By" + a link to a profile page); else the "Written
  by" card of SEO plugins (`twitter:label1`/`twitter:data1`), else the first element classed as a
  byline or author whose short text is a name of two to four capitalised words (not in "More
  from"/related/teaser blocks; none when the story's own byline names an agency). All through
  `transforms.bylines.clean_authors`; names of the site are dropped, except a sole author of two
  words or more named like the host (a personal domain), or of a blog platform's subdomain.
- language hint: `<html lang>` / `Content-Language` / `og:locale`.
Meta tags are read from `content`, or from `value` where a page (or the tool that saved it) writes that.

Pages that are not articles (homepages, listings, service pages, paywall/consent stubs) raise
`transforms.pagekind.NotAnArticle` (stage `filter`) with the reason.
"""

from __future__ import annotations

import collections
import datetime as dt
import email.utils
import itertools
import json
import re
import unicodedata
from typing import Any, Optional
from urllib.parse import urljoin, urlsplit

import htmldate
import trafilatura
from lxml import etree
from lxml import html as lxml_html

from transforms.bylines import SITE_CREDIT, clean_authors
from transforms.formats import ParseError
from transforms.formats.ids import host_of
from transforms.formats.markup import decode_markup
from transforms.pagekind import NOT_FOUND, PageSignals, check_article
from transforms.text import paragraphs, parse_datetime
from transforms.urls import URL_DATES_FROM, canonical_url, is_site_root, url_day

EXTRACTION_SETTINGS: dict[str, Any] = {
    "favor_precision": True,
    "include_comments": False,
    "include_tables": True,
    "deduplicate": False,
}
RECALL_SETTINGS: dict[str, Any] = {**EXTRACTION_SETTINGS, "favor_precision": False, "favor_recall": True}
RECALL_BELOW_CHARS = 300  # about 50 English words; characters, so that CJK text is measured fairly
# htmldate as trafilatura calls it, looking for the original date; the 1 January it makes of a
# bare year (a copyright line) is dropped in `_published` unless the page prints that date.
DATE_SETTINGS: dict[str, Any] = {"extensive_search": True, "original_date": True}

# JSON-LD types of the object that describes the article itself.
ARTICLE_LD_TYPES = frozenset({
    "article", "newsarticle", "reportagenewsarticle", "analysisnewsarticle", "opinionnewsarticle",
    "backgroundnewsarticle", "reviewnewsarticle", "blogposting", "liveblogposting", "socialmediaposting",
    "techarticle", "scholarlyarticle", "report", "satiricalarticle", "advertisercontentarticle",
})

_XML_DECL = re.compile(r"^\s*<\?xml[^>]*>")  # to the first ">": a broken declaration goes too

# Meta names (`name`, `property` or `itemprop`) that carry the publication time, best first.
PUBLISHED_META = ("article:published_time", "og:article:published_time", "article.published",
                  "datepublished", "publishdate", "publish-date", "pubdate", "publication_date",
                  "parsely-pub-date", "sailthru.date", "dc.date.issued", "dcterms.issued",
                  "dc.date", "dcterms.created", "date")
# Author meta tags, best first: the first that names a person is read, not all of them; the generic
# `author` often names the publisher ("Condé Nast" beside `article:author` "Larry Fitzmaurice").
# `twitter:creator` is not read: it is an account, written without its "@" as often as with it
# ("tdichristopher", "MSNBC").
AUTHOR_META = ("article:author", "og:article:author", "article_author", "parsely-author", "cxenseparse:author",
               "byl", "sailthru.author", "dc.creator", "dcterms.creator", "author")
# The "Written by" card of SEO plugins (Yoast writes `twitter:label1` "Written by" beside
# `twitter:data1` "Jane Doe"; the plugin's own translations in the other languages).
WRITTEN_BY = re.compile(r"^(?:written by|author|by|verfasst von|geschrieben von|autor(?:in)?|écrit par|auteur|"
                        r"escrito por|scritto da|autore|geschreven door|skrevet af|skrivet av|napisane przez)$",
                        re.IGNORECASE)
TITLE_META = ("og:title", "twitter:title", "parsely-title", "sailthru.title", "headline")
WEAK_TITLE_META = ("dc.title", "title")
SITE_META = ("og:site_name", "application-name", "al:ios:app_name", "twitter:app:name:iphone")
# Hosts whose subdomains are people's blogs (the subdomain is the owner's name or handle).
BLOG_PLATFORMS = (".blogspot.com", ".wordpress.com", ".substack.com", ".tumblr.com", ".medium.com",
                  ".livejournal.com", ".typepad.com", ".over-blog.com", ".hatenablog.com", ".blog.jp")
# A site name that is a common noun names a section of the site, not its publisher.
SECTION_NAMES = frozenset("""magazine news blog home homepage online website site web articles article
stories story nachrichten startseite aktuelles actualités actualites accueil noticias portada notizie""".split())

# Paragraphs about commenting, not part of the story.
COMMENT_POLICY = re.compile(
    r"comment(?:s|ing)? (?:policy|guidelines|are (?:closed|moderated))|leave a (?:comment|reply)|"
    r"post a comment|join the (?:discussion|conversation)|(?:logged|signed) in to (?:post a )?comment|"
    r"we reserve the right to (?:remove|delete|edit) (?:any )?comments|cancel reply|"
    r"your email address will not be published|required fields are marked|be the first to comment|"
    r"view comments|show comments|\d+ comments?$", re.IGNORECASE)
COMMENT_POLICY_MAX_WORDS = 80


def extract_text(html_text: str, url: Optional[str] = None) -> Optional[str]:
    """Main text of a page with newsbeam's trafilatura settings (None when it finds none)."""
    return trafilatura.extract(html_text, url=url, **EXTRACTION_SETTINGS)


def _meta(tree) -> dict[str, str]:
    values: dict[str, str] = {}
    for node in tree.iter("meta"):
        key = (node.get("property") or node.get("name") or node.get("itemprop")
               or node.get("http-equiv") or "").strip().lower()
        # `value` where `content` is missing: pages saved by some tools and CMSs write it so
        # (Mercury's test pages, a real-world set of 152, have it on every <meta>)
        content = (node.get("content") or node.get("value") or "").strip()
        if key and content and key not in values:
            values[key] = content
    return values


def _type_names(value: Any) -> set[str]:
    """`"NewsArticle"`, `["Article", "schema:Report"]`, `"http://schema.org/BlogPosting"` -> lower names."""
    values = value if isinstance(value, list) else [value]
    return {re.split(r"[/:#]", v.strip())[-1].lower() for v in values if isinstance(v, str) and v.strip()}


def _json_ld_objects(tree) -> list[dict]:
    """Every object in the page's JSON-LD scripts (`@graph` and nested objects included)."""
    found: list[dict] = []
    for script in tree.iter("script"):
        if (script.get("type") or "").lower().strip() != "application/ld+json" or not script.text:
            continue
        try:
            stack = [json.loads(script.text.strip().rstrip(";"))]
        except ValueError:
            continue
        while stack and len(found) < 64:
            item = stack.pop(0)
            if isinstance(item, list):
                stack.extend(item)
            elif isinstance(item, dict):
                found.append(item)
                stack.extend(v for v in item.values() if isinstance(v, (dict, list)))
    return found


def _text(value: Any) -> Optional[str]:
    if isinstance(value, dict):
        value = value.get("name") or value.get("@value")
    if isinstance(value, list):
        value = next((v for v in (_text(x) for x in value) if v), None)
    if isinstance(value, str) and value.strip():
        return " ".join(value.split())
    return None


def _names(value: Any) -> list[str]:
    """Author values of JSON-LD (`{"name": …}`, a list of them, plain strings)."""
    items = value if isinstance(value, list) else [value]
    names = []
    for item in items:
        if isinstance(item, dict):
            kind = _type_names(item.get("@type"))
            if kind & {"organization", "newsmediaorganization", "corporation"}:
                continue
            item = item.get("name")
        if isinstance(item, str) and item.strip():
            names.append(item.strip())
    return names


def _http_url(value: Optional[str], base: Optional[str]) -> Optional[str]:
    if not value:
        return None
    try:
        value = urljoin(base, value.strip()) if base else value.strip()
    except ValueError:
        return None
    host = urlsplit(value).hostname if re.match(r"^https?://", value, re.I) else None
    return value if host and _HOST.match(host) else None


_HOST = re.compile(r"^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{1,62}$|^\d{1,3}(?:\.\d{1,3}){3}$|^localhost$")


def _squash(text: Optional[str]) -> str:
    return re.sub(r"[\W_]+", "", unicodedata.normalize("NFKC", text or "").casefold())


# --- url -------------------------------------------------------------------------------------------

def _page_url(tree, meta: dict[str, str], url: Optional[str]) -> Optional[str]:
    """The page's own address: canonical link, og:url, else the fetch URL; never a front page that
    the page points at while having a deeper address of its own."""
    canonical = next((link.get("href") for link in tree.iter("link")
                      if "canonical" in (link.get("rel") or "").lower().split()), None)
    fetched = canonical_url(_http_url(url, None))
    candidates = [canonical_url(_http_url(canonical, url)), canonical_url(_http_url(meta.get("og:url"), url)),
                  fetched]
    candidates = [c for c in candidates if c]
    if not candidates:
        return None
    deeper = next((c for c in candidates if not is_site_root(c)), None)
    return deeper or candidates[0]


def _relative_self(tree) -> Optional[str]:
    """A relative canonical link ("/") of a page read without its address: it still says where it is."""
    canonical = next((link.get("href") for link in tree.iter("link")
                      if "canonical" in (link.get("rel") or "").lower().split()), None)
    return canonical.strip() if canonical and canonical.strip().startswith("/") else None


# --- dates -----------------------------------------------------------------------------------------

# A numeric date whose day and month could be either way round ("01/08/2008": 1 August or 8 January).
# The US writes the month first, most of the world the day first; htmldate reads the day first.
_SLASH_DATE = re.compile(r"(?<![\w/.-])(\d{1,2})([/-])(\d{1,2})\2((?:19|20)\d{2})(?![\w/-])")
# Country-code domains used as generic ones: they say nothing of how the site writes a date.
_GENERIC_CCTLDS = frozenset({"io", "co", "tv", "me", "ly", "fm", "am", "ai", "cc", "ws", "to", "gg"})
YEAR_WINDOW_CHARS = 40  # text before a year that may hold the rest of a worded date ("Wednesday, January 9, ")


def _day_order(text: str, language: Optional[str], page_url: Optional[str]) -> Optional[str]:
    """"dmy" or "mdy": how a page writes a numeric date such as 01/08/2008, from (1) the numeric
    dates of its text that can be read one way only ("12/25/2007", "25/12/2007"), when they agree;
    (2) the locale it declares: en-US the month first, any other region or language the day first;
    (3) a country-code domain (.us the month first, any other the day first). None when nothing says."""
    day_first = month_first = False
    for match in _SLASH_DATE.finditer(text):
        a, b = int(match[1]), int(match[3])
        day_first |= 12 < a <= 31 and b <= 12
        month_first |= 12 < b <= 31 and a <= 12
    if day_first != month_first:
        return "dmy" if day_first else "mdy"
    if language:
        primary, _, region = language.replace("_", "-").lower().partition("-")
        if primary != "en":
            return "dmy"
        if region:
            return "mdy" if region == "us" else "dmy"
    host = urlsplit(page_url).hostname if page_url else None
    tld = host.rsplit(".", 1)[-1].lower() if host and "." in host else ""
    if len(tld) == 2 and tld not in _GENERIC_CCTLDS:
        return "mdy" if tld == "us" else "dmy"
    return None


def _prints_day(html_text: str, day: dt.date) -> Optional[str]:
    """How the page prints `day`: "complete" (2008-01-09, 20080109, 09.01.2008, 2008年1月9日,
    "January 9, 2008", "9. Januar 2008" in htmldate's languages), "numeric" (only as 09/01/2008,
    which a US page means as 1 September), or None (not at all: a month or a year alone)."""
    from htmldate.extractors import regex_parse

    y, m, d = day.year, day.month, day.day
    if re.search(rf"(?<!\d){y}[-/.]0?{m}[-/.]0?{d}(?!\d)|(?<!\d){y}{m:02d}{d:02d}(?!\d)"
                 rf"|(?<![\d.])0?{d}\.\s?0?{m}\.\s?{y}|{y}\s*年\s*0?{m}\s*月\s*0?{d}(?!\d)", html_text):
        return "complete"
    year = str(y)
    for match in itertools.islice(re.finditer(rf"(?<!\d){year}(?!\d)", html_text), 500):
        window = html_text[max(0, match.start() - YEAR_WINDOW_CHARS):match.end()]
        if re.search(r"[^\W\d_]{3,}", window) and not re.search(r"\d[/-]\d{1,2}[/-]\d{4}$", window) \
                and (found := regex_parse(window)) is not None and found.date() == day:
            return "complete"
    numeric = re.search(rf"(?<![\w/.-])0?{d}(?P<sep>[/-])0?{m}(?P=sep){y}(?![\w/-])", html_text)
    return "numeric" if numeric else None


def _read_numeric(a: int, b: int, year: int, order: Optional[str], latest: Optional[dt.date]) -> Optional[dt.date]:
    """The day "a/b/year" stands for: the one reading that is a date no later than `latest`, else
    the reading `order` gives; None when both readings stand and nothing says which."""
    readings = {}
    for name, (month, day) in (("dmy", (b, a)), ("mdy", (a, b))):
        try:
            value = dt.date(year, month, day)
        except ValueError:
            continue
        if URL_DATES_FROM <= value <= (latest or dt.date.today()):
            readings[name] = value
    if len(set(readings.values())) == 1:
        return next(iter(readings.values()))
    return readings.get(order) if order else None


def _stated_day(value: Any) -> Optional[str]:
    """The day a date string states, in its own time zone ("2020-04-13T20:38:07-04:00" -> 2020-04-13)."""
    if not isinstance(value, str):
        return None
    match = re.match(r"^\s*(\d{4}-\d{2}-\d{2})", value)
    if match:
        return match.group(1)
    try:
        return email.utils.parsedate_to_datetime(value.strip()).date().isoformat()
    except (TypeError, ValueError, IndexError):
        return None


# A short line of page text that says when the article was published ("Veröffentlicht am 3.
# Dezember 2011", "Posted on March 3, 2019"); an update/modified line is not a publication date.
_PUBLISH_CUE = re.compile(
    r"\b(?:published|posted|pubdate|veröffentlicht|publié|publiée|publicado|publicada|pubblicato|"
    r"gepubliceerd|geplaatst|opublikowano|publikováno|julkaistu|publicerad|publiceret|publisert|yayınlanma|"
    r"опубликовано|публикация)\b|公開日|投稿日|発行日|发布|發佈|發布|게시|등록일|입력", re.IGNORECASE)
_UPDATE_CUE = re.compile(
    r"\b(?:updated?|modified|last|edited|aktualisiert|geändert|mis à jour|mise à jour|actualizado|actualizada|"
    r"atualizado|aggiornato|bijgewerkt|zaktualizowano|обновлено)\b|更新|수정", re.IGNORECASE)
_NOT_PUBLICATION = re.compile(r"©|&copy;|\bcopyright\b|\(c\)\s*\d{4}|\bjoined\b|\bmember since\b", re.IGNORECASE)
# A relative time ("1 minute ago", "vor 2 Stunden", "il y a 3 jours"): the header's date, unreadable as a day.
_RELATIVE_TIME = re.compile(r"\b(?:ago|yesterday|today|gestern|heute|hier|aujourd'hui|ayer|hoy|ieri|oggi)\b|"
                            r"\bvor\s+\d+|\bil y a\b|\bhace\s+\d+|\bfa\b\s*$|前$", re.IGNORECASE)
_NUMERIC_DAY = re.compile(
    r"(?<!\d)(?P<y>(?:19|20)\d{2})\s*[-/.年]\s*(?P<m>\d{1,2})\s*[-/.月]\s*(?P<d>\d{1,2})(?!\d)"
    r"|(?<![\d.])(?P<d2>\d{1,2})\.\s?(?P<m2>\d{1,2})\.\s?(?P<y2>(?:19|20)\d{2})(?!\d)"
    r"|(?<![\d/])(?P<a>\d{1,2})/(?P<b>\d{1,2})/(?P<y3>(?:19|20)\d{2})(?!\d)")
DATE_LINE_MAX_CHARS = 160  # a byline or dateline, not a sentence of the story
HEADER_LINES = 12          # text pieces after the headline that may carry its date


def _text_day(text: str, order: Optional[str] = None, latest: Optional[dt.date] = None) -> Optional[dt.date]:
    """The one complete day a short line of page text states, in any of htmldate's languages
    ("13 Oct 2020 18:29", "Samstag, 3. Dezember 2011", "2020年7月12日", "24.09.2019"); None for a
    month or year alone, for a "03/04/2019" that neither the page's `order` (`_day_order`) nor
    `latest` reads one way (`_read_numeric`), or for a line that states two days."""
    from htmldate.extractors import regex_parse

    days: set[dt.date] = set()
    for match in _NUMERIC_DAY.finditer(text):
        if match["y"]:
            parts = (int(match["y"]), int(match["m"]), int(match["d"]))
        elif match["y2"]:
            parts = (int(match["y2"]), int(match["m2"]), int(match["d2"]))
        else:
            a, b, year = int(match["a"]), int(match["b"]), int(match["y3"])
            if a <= 12 and b <= 12 and a != b:
                read = _read_numeric(a, b, year, order, latest)
                if read is None:
                    return None  # day/month order unknown
                parts = (read.year, read.month, read.day)
            else:
                parts = (year, min(a, b), max(a, b))
        try:
            days.add(dt.date(*parts))
        except ValueError:
            continue
    for chunk in re.split(r"(?<=(?:19|20)\d{2})(?!\d)", text):  # one worded date per year printed
        worded = regex_parse(chunk)
        if worded is not None:
            days.add(worded.date())
    days = {d for d in days if URL_DATES_FROM <= d <= dt.date.today()}
    return days.pop() if len(days) == 1 else None


def _text_pieces(tree) -> list[tuple[Any, str]]:
    """(element, its short text) for the page's text, in document order, outside scripts and
    navigation: each text node stands for the smallest element around it that is still short."""
    pieces: list[tuple[Any, str]] = []
    seen: set[int] = set()
    for node in tree.xpath("//body//text()[normalize-space()]"
                           "[not(ancestor::script or ancestor::style or ancestor::noscript or ancestor::nav"
                           " or ancestor::select or ancestor::aside)]"):
        element = node.getparent()
        if element is None:
            continue
        if node.is_tail:
            element = element.getparent()
        if element is None:
            continue
        text = " ".join(element.text_content().split())
        if len(text) > DATE_LINE_MAX_CHARS:  # a long block: the text node is the line
            text = " ".join(str(node).split())
        elif id(element) in seen:
            continue
        seen.add(id(element))
        pieces.append((element, text))
    return pieces


def _stated_in_text(pieces: list[tuple[Any, str]], title: Optional[str], order: Optional[str] = None,
                    latest: Optional[dt.date] = None) -> tuple[Optional[dt.date], Optional[str]]:
    """(day, source) a page prints for its article: a short line with a publication cue
    ("Posted on …", "… veröffentlicht"), else the first line under the headline that is a date
    ("13 Oct 2020 18:29" under the `<h1>`). Dates in sentences, update lines and the rest of the
    page (today's date in a masthead, other stories' dates) are not read."""
    for _, text in pieces:
        if len(text) <= DATE_LINE_MAX_CHARS and _PUBLISH_CUE.search(text) and not _UPDATE_CUE.search(text) \
                and not _NOT_PUBLICATION.search(text):
            day = _text_day(text, order, latest)
            if day is not None:
                return day, "text published"
    key = _squash(title)
    if not key:
        return None, None
    for index, (element, text) in enumerate(pieces):
        squashed = _squash(text)
        if element.tag != "h1" or not squashed or not (squashed in key or key in squashed):
            continue
        for element, line in pieces[index + 1:index + 1 + HEADER_LINES]:
            if len(line) > DATE_LINE_MAX_CHARS:
                break  # the story has begun
            if _UPDATE_CUE.search(line) or _NOT_PUBLICATION.search(line):
                continue
            day = _text_day(line, order, latest)
            if day is not None:
                return day, "text under headline"
            if element.tag == "time" or _RELATIVE_TIME.search(line):
                break  # the header's date, in a form that names no day
        break
    return None, None


def _htmldate(html_text: str, page_url: Optional[str], latest: Optional[dt.date] = None) -> Optional[str]:
    """htmldate on the whole page, no later than `latest` when known. (trafilatura's own call sees a
    tree it has already cleaned, without the comments where blogs keep their RDF `dc:date`, and finds
    dates printed in the story instead.)"""
    try:
        return htmldate.find_date(html_text, url=page_url, max_date=latest.isoformat() if latest else None,
                                  **DATE_SETTINGS)
    except (ValueError, TypeError, etree.LxmlError):
        return None


def _error_notice(tree, pieces: list[tuple[Any, str]]) -> str:
    """A line the page shows to say it is an error page (its `<title>`, or a short line of text)."""
    node = tree.find(".//title")
    lines = [" ".join(node.text_content().split())] if node is not None else []
    for text in lines + [text for _, text in pieces if len(text) <= DATE_LINE_MAX_CHARS]:
        if NOT_FOUND.search(text):
            return text
    return ""


def _published(tree, meta: dict[str, str], article_ld: Optional[dict], html_text: str,
               page_url: Optional[str], title: Optional[str] = None,
               pieces: Optional[list[tuple[Any, str]]] = None,
               latest: Optional[dt.date] = None, language: Optional[str] = None
               ) -> tuple[Any, Optional[str], Optional[str]]:
    """(publication time, day as stated, where it came from) or (None, None, None). htmldate, the
    costliest source, runs only when no other source states the day.

    A day after `latest` (the day after a crawl captured the page) cannot be the publication day:
    such a value is passed over for the next source ("Updated: 01/11/2008" read as 1 November on a
    page captured in January).

    A complete date in the page's own URL is what the publisher stated when it published: it
    wins over a metadata time more than a day away from it (an update time), and over what the page
    prints and htmldate. `<time pubdate>` elements that state different days belong to a list of
    stories, not to the article. Where the metadata states one instant twice, the day is taken from
    the value that carries the publisher's own time zone (not its UTC copy).

    A date printed only as "01/08/2008" is read the way the page writes dates (`_day_order`: its
    unambiguous numeric dates, its declared locale, its country domain): htmldate always reads the
    day first, which puts a US page's 8 January in August. When nothing says which way, no date.
    htmldate's 1st of a month that the page never prints as a day is a month or a year alone (a
    copyright line, an archive heading): not a date stated."""
    def possible(day: Optional[dt.date]) -> bool:
        return day is not None and (latest is None or day <= latest)

    day_in_url = url_day(page_url)
    day_in_url = day_in_url if possible(day_in_url) else None
    candidates: list[tuple[str, Any]] = [(f"meta {key}", meta.get(key)) for key in PUBLISHED_META]
    if article_ld is not None:
        candidates.append(("json-ld datePublished", article_ld.get("datePublished")))
    times = [node.get("datetime") for node in tree.iter("time")
             if (node.get("itemprop") or "").lower() == "datepublished" or node.get("pubdate") is not None]
    if len({_stated_day(value) for value in times}) == 1:
        candidates.append(("<time datePublished>", times[0]))
    parsed_all = [(source, value, parse_datetime(value if isinstance(value, (str, int, float)) else None))
                  for source, value in candidates]
    parsed_all = [(source, value, parsed) for source, value, parsed in parsed_all
                  if parsed is not None and possible(parsed.date())]
    for source, value, parsed in parsed_all[:1]:
        if day_in_url is not None and abs((parsed.date() - day_in_url).days) > 1:
            break
        stated = day_in_url.isoformat() if day_in_url is not None else _stated_day(value)
        if day_in_url is None and re.search(r"(?:Z|[+-]00:?00)\s*$", str(value)):
            local = next((v for _, v, p in parsed_all if p == parsed and isinstance(v, str)
                          and re.search(r"[+-](?!00:?00)\d{2}:?\d{2}\s*$", v)), None)
            stated = _stated_day(local) if local else stated
        return parsed, stated, source
    if day_in_url is not None:
        return dt.datetime(day_in_url.year, day_in_url.month, day_in_url.day, tzinfo=dt.timezone.utc), \
            day_in_url.isoformat(), "url"
    pieces = _text_pieces(tree) if pieces is None else pieces
    order = _day_order("\n".join(text for _, text in pieces), language, page_url)
    day, source = _stated_in_text(pieces, title, order, latest)
    if possible(day):
        return dt.datetime(day.year, day.month, day.day, tzinfo=dt.timezone.utc), day.isoformat(), source
    stamps = [node.get("datetime") for node in tree.iter("time") if node.get("datetime")]
    shown = {_stated_day(value) for value in stamps}
    if len(shown) == 1 and None not in shown:
        parsed = parse_datetime(stamps[0])
        if parsed is not None and possible(parsed.date()):
            return parsed, shown.pop(), "<time datetime>"
    htmldate_value = _htmldate(html_text, page_url, latest)
    parsed = parse_datetime(htmldate_value)
    if parsed is None or not possible(parsed.date()):
        return None, None, None
    day = parsed.date()
    if day.day == 1 or (day.day <= 12 and day.day != day.month):
        printed = _prints_day(html_text, day)
        if printed is None and day.day == 1:
            return None, None, None  # a month or a year (copyright, archive) dressed as a date: not stated
        if printed == "numeric":  # htmldate read "d/m/yyyy" day first
            other = dt.date(day.year, day.day, day.month)
            read = other if possible(other) and _prints_day(html_text, other) == "complete" else \
                _read_numeric(day.day, day.month, day.year, order, latest)
            if read is None:
                return None, None, None
            if read != day:
                published = dt.datetime(read.year, read.month, read.day, tzinfo=dt.timezone.utc)
                return published, read.isoformat(), "htmldate"
    return parsed, _stated_day(htmldate_value), "htmldate"


# --- titles ----------------------------------------------------------------------------------------

_TITLE_SEPARATOR = re.compile(r"\s+[|\-–—:·•»«~/\\>]+\s+|:\s+|\s*[|｜│•»«：]+\s*|\s*::\s*|(?<=[」』】)\]])\s*[:：]\s*"
                              r"|(?<=[^\x00-\x7f])_|_(?=[^\x00-\x7f])")
_PUBLISHED_SUFFIX = re.compile(r"\s*\((?:published|publié|veröffentlicht|publicado)\s+\d{4}\)\s*$", re.I)
# What a title may carry after the headline without a separator, cut off: a parenthesis naming the
# site, a syndicating paper or the day ("…Title(The Korea Times)", "… (from The Bolton News)",
# "… (14/01/2008)"), or a run of "_"-joined capitalised words ("…_English_Xinhua").
_TRAILING_NOTE = re.compile(r"\s*\((?P<paren>[^()]{2,60})\)\s*$|(?P<under>(?:_[A-Z][A-Za-z]*)+)$")
BRAND_MAX_WORDS = 4


def _brand_keys(site: Optional[str], host: Optional[str], extra: list[str]) -> set[str]:
    keys = {_squash(name) for name in [site, *extra] if name}
    hosts = [host] if host else []
    if site and re.fullmatch(r"[\w-]+(?:\.[\w-]+)+", site):  # a site named by its host ("content.usatoday.com")
        hosts.append(site)
    for name in hosts:
        labels = name.lower().split(".")
        labels = [l for l in labels[:-1] or labels if l not in ("www", "m", "com", "co", "org", "net", "edition")]
        keys.update(_squash(l) for l in labels)
        keys.add(_squash(name))
    return {k for k in keys if len(k) >= 3}


# What a brand adds to its name in its host ("sputnik" + "news" = sputniknews.com).
_BRAND_TAILS = ("news", "tv", "online", "media", "today", "daily", "times", "post", "press", "radio")


def _named_like_brand(name: str, brands: set[str]) -> bool:
    """A name of the site (`_brand_keys`), or a one-word name that its host extends with a media
    word ("Sputnik" on arabic.sputniknews.com)."""
    key = _squash(name)
    return key in brands or (len(name.split()) == 1 and len(key) >= 4 and any(
        brand == key + tail for brand in brands for tail in _BRAND_TAILS))


def _home_link_names(tree) -> list[str]:
    """What the page calls its front page: text or logo alt of links to `/` (usually the site name)."""
    names = []
    for node in tree.xpath('//a[@href="/" or @href="./" or @href="/index.html" or @href="index.html"]')[:6]:
        text = " ".join(node.text_content().split()) or " ".join(
            (img.get("alt") or "") for img in node.iter("img")).strip()
        if text and len(text.split()) <= BRAND_MAX_WORDS and text.casefold() not in ("home", "startseite", "accueil"):
            names.append(text)
    return names


# A title segment that is a host name ("wnyt.com", "autosport.com", "Bloomberg.com") names the site.
_HOST_NAME = re.compile(r"(?:www\.)?[\w-]+(?:\.[\w-]+)*\.(?:com|net|org|info|biz|co\.uk|co\.za|co\.in|com\.au|[a-z]{2})", re.I)


def _is_brand(segment: str, brands: set[str]) -> bool:
    key = _squash(segment)
    if not key or len(segment.split()) > BRAND_MAX_WORDS:
        return False
    if _HOST_NAME.fullmatch(segment.strip()):
        return True
    # The site name opens or closes the segment ("CNN Politics", "heise online", "Die Zeit"), or
    # the segment is part of the site name; a name inside a phrase ("Why CNN matters") is not branding.
    return any(key.startswith((b, "the" + b)) or (len(b) >= 4 and key.endswith(b))
               or (len(key) >= 3 and key in b) for b in brands)


def strip_branding(title: str, brands: set[str]) -> str:
    """Cut segments naming the site from the ends of a title: "Headline | CNN Politics",
    "heise online - Headline", "Headline — Postlight — Digital Strategy" (a tagline after the site
    name goes with it), "Headline (Published 2009)", and a day with what follows it ("Headline |
    January 15, 2008 | AHN")."""
    title = _PUBLISHED_SUFFIX.sub("", " ".join(title.split()))
    note = _TRAILING_NOTE.search(title)
    if note and note.start() > 0 and (note["under"] or _only_a_day(note["paren"])
                                      or note["paren"].casefold().startswith("from ")
                                      or _squash(note["paren"]).removeprefix("the") in brands
                                      or _named_like_brand(note["paren"], brands)):
        title = title[:note.start()].rstrip()
    pieces = _TITLE_SEPARATOR.split(title)
    seps = _TITLE_SEPARATOR.findall(title)
    if len(pieces) < 2:
        return title
    # A host name inside the title ("News & Observer | newsobserver.com | Headline"): the site's
    # name stands on its shorter side, the headline on its longer one.
    host = next((i for i in range(1, len(pieces) - 1) if _HOST_NAME.fullmatch(pieces[i].strip())), None)
    if host is not None:
        before, after = " ".join(pieces[:host]), " ".join(pieces[host + 1:])
        keep = range(host + 1, len(pieces)) if len(after.split()) > len(before.split()) else range(host)
        pieces, seps = pieces[keep.start:keep.stop], seps[keep.start:keep.stop - 1]
        if len(pieces) < 2:
            return pieces[0].strip()
    start, end = 0, len(pieces)
    while end - start > 1 and (_is_brand(pieces[start], brands) or _only_a_day(pieces[start])):
        start += 1
    # A day between the headline and the site ("Headline | January 15, 2008 | AHN") ends the headline.
    end = next((i for i in range(start + 1, end) if _only_a_day(pieces[i])), end)
    # A generic section name after a leading site name: "TheStar.com | Sports | Headline".
    while 0 < start < end - 1 and all(w.casefold() in _GENERIC_TITLE_WORDS for w in pieces[start].split()):
        start += 1
    brand_at = next((i for i in range(start + 1, end) if _is_brand(pieces[i], brands)), None)
    if brand_at is not None:
        end = brand_at
        # A short section name before the site name, with the same separator ("…_智能_好奇心日报").
        while (end - start > 1 and seps[end - 2].strip() == seps[brand_at - 1].strip()
               and (len(pieces[end - 1].split()) <= 2 and len(pieces[end - 1]) <= 24)):
            end -= 1
    if (start, end) == (0, len(pieces)):
        return title
    out = pieces[start]
    for i in range(start + 1, end):
        out += seps[i - 1] + pieces[i]
    return out.strip()


_FURNITURE = "ancestor::nav|ancestor::footer|ancestor::aside"  # no headline or byline of the story is inside these
_UI_HEADING = re.compile(r"^(?:menu|search|navigation|log ?in|sign ?in|subscribe|home|main menu|skip to .*|"
                         r"latest (?:news|in .*)|more from .*|related .*|follow us.*|advertisement|"
                         r"comments?|share( this)?|newsletter|top stories|"
                         r"(?:top \d+ )?most (?:read|popular|viewed|e-?mailed)(?: stories| articles)?)$", re.IGNORECASE)
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]")
# A heading that only states a day ("Thursday, January 17th, 2008", "Samstag, 3. Dezember 2011"):
# what is left of it once day and month names, numbers and ordinal endings are taken out.
_DAY_WORDS = re.compile(
    r"\b(?:(?:mon|tues|wednes|thurs|fri|satur|sun)day|jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|"
    r"july?|aug(?:ust)?|sept?(?:ember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?|updated|posted|published|"
    r"(?:mon|diens|donners|frei|sams|sonn)tag|mittwoch|januar|februar|märz|mai|juni|juli|oktober|dezember|"
    r"lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche|janvier|février|mars|avril|juin|juillet|août|"
    r"septembre|octobre|novembre|décembre|lunes|martes|miércoles|jueves|viernes|sábado|domingo|enero|"
    r"febrero|marzo|abril|mayo|junio|julio|agosto|septiembre|octubre|noviembre|diciembre|"
    r"\d+(?:st|nd|rd|th|er|e)?|am|pm|gmt|utc|[ap]\.m\.)\b|[^\w]+", re.IGNORECASE)


def _only_a_day(text: str) -> bool:
    return _DAY_WORDS.sub("", text) == "" and _text_day(text) is not None


def _plausible_headline(text: str, brands: set[str]) -> bool:
    words = len(text.split())
    long_enough = words >= 3 or len(_CJK.findall(text)) >= 6
    return (long_enough and words <= 40 and not _is_brand(text, brands) and not _UI_HEADING.match(text)
            and not _only_a_day(text))


def _heading_text(node, brands: set[str]) -> Optional[str]:
    """A heading element's text with branding cut, when it is outside nav/footer/aside and reads as a
    headline; else None."""
    if node.xpath(_FURNITURE):
        return None
    text = strip_branding(" ".join(node.text_content().split()), brands)
    return text if _plausible_headline(text, brands) else None


def _shown_headlines(tree, brands: set[str]) -> tuple[list[str], list[str]]:
    """(headlines marked as the article's: itemprop=headline, <h1> inside <article>; every other
    plausible <h1>), branding cut, outside nav/footer/aside."""
    marked: list[str] = []
    others: list[str] = []
    for node in tree.xpath('//*[@itemprop="headline"] | //h1')[:12]:
        text = None if node.tag in ("meta", "link") else _heading_text(node, brands)
        if text is None:
            continue
        in_article = node.get("itemprop") == "headline" or bool(node.xpath("ancestor::article"))
        bucket = marked if in_article else others
        if text not in marked and text not in others:
            bucket.append(text)
    return marked, others


# Markup inside a declared title ("<title><SPAN class=…>Headline</SPAN></title>": the parser keeps a
# title's content as text), and where a broken page's title runs on into its code or comments
# ("Headline(The Korea Times)ntById("font"); …", "BBnd newsi library-->", "… opensearch.xml" />").
_TITLE_TAG = re.compile(r"</?[A-Za-z][\w:-]*(?:\s[^<>]*)?/?>")
_TITLE_CODE = re.compile(r"-->|<!--|/>|[{}]|;\s*(?:this\.|var\s|function\b|document\.|window\.)"
                         r"|[A-Za-z]\w*\(\s*[\"']|\w+\s*=\s*[\"']|\"\s*/?>")


def _declared_title(value: Optional[str]) -> Optional[str]:
    """A declared title as text: tags inside it removed; a title that runs on into script cut where
    that starts (dropped when fewer than three words are left), one that runs into a comment's end
    or a tag's attributes dropped."""
    if not value or not value.strip():
        return None
    text = " ".join(_TITLE_TAG.sub(" ", value).split())
    code = _TITLE_CODE.search(text)
    if code:
        if code.group().endswith(("-->", "<!--", ">")):  # a comment's or a tag's text: not a title at all
            return None
        text = text[:code.start()].rstrip(" -|:;,(")
        if len(text.split()) < 3 and len(_CJK.findall(text)) < 6:
            return None
    return text or None


# Elements a page styles as headings without an <h1> or itemprop (table layouts and older CMSs:
# <td class="contentheading">, <span class="articleHeadline">, <div class="hed">, <h2>, <h3>,
# <font size="4">); only ones holding text, not blocks (a "header" <div> holds the masthead and menus).
_LOWER = "translate(concat(@class, ' ', @id), 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz')"
_BIG_FONT = "//font[@size >= 4 or starts-with(@size, '+')]"
_HEADING_XPATH = (f"(//h1|//h2|//h3|//*[contains({_LOWER}, 'head') or contains({_LOWER}, 'title')]"
                  f"|{_BIG_FONT}|{_BIG_FONT}//b)"
                  "[not(.//div|.//p|.//li|.//table|.//br|.//h1|.//h2|.//h3|.//img)]")
_NOT_HEADINGS = frozenset("html head title meta link script style body form".split())
HEADING_MAX_WORDS = 25
_LEAD_WORD = re.compile(r"[^\W\d_]{4,}")
LEAD_CHECK_WORDS = 80  # a headline shares a word with the story's first this many words


def _page_headings(tree, brands: set[str]) -> list[str]:
    """Plausible headlines among the page's headings, in page order, branding cut."""
    out: list[str] = []
    for node in tree.xpath(_HEADING_XPATH)[:80]:
        text = _heading_text(node, brands) if isinstance(node.tag, str) and node.tag not in _NOT_HEADINGS else None
        if text is not None and text not in out and len(text.split()) <= HEADING_MAX_WORDS:
            out.append(text)
    return out


def _content_words(text: str) -> set[str]:
    return {w for w in _LEAD_WORD.findall(text.casefold()) if w not in _GENERIC_TITLE_WORDS}


def _checked_against_lead(title: Optional[str], headings: list[str], lead: str) -> Optional[str]:
    """A title that shares no word with the story's first lines ("Top Stories", "The Calgary Sun
    online", "Recent Features": a <title> that names only the site) gives way to the first heading
    of the page that shares two or more words with them."""
    lead_words = _content_words(lead)
    if not lead_words or (title and _content_words(title) & lead_words):
        return title
    return next((h for h in headings if len(_content_words(h) & lead_words) >= 2), title)


def _title_remainder_keys(tree, title: Optional[str]) -> set[str]:
    """The name a <title> adds before or after the headline, squashed, when it is cut off at a
    separator and short enough to be a brand (`BRAND_MAX_WORDS`): "Headline - Site" -> {"site"}."""
    node = tree.find(".//title")
    key = _squash(title or "")
    if not key or node is None:
        return set()
    text = " ".join(node.text_content().split())
    whole = _squash(text)
    if whole == key:
        return set()
    rest = whole[len(key):] if whole.startswith(key) else whole[:-len(key)] if whole.endswith(key) else ""
    ends = _title_ends([text])
    return {rest} if len(rest) >= 3 and rest in ends and len(ends[rest].split()) <= BRAND_MAX_WORDS else set()


def _title_cuts(title: str, colon: bool = True):
    """(head, tail) for every cut of a declared title at one of its separators (with `colon` False,
    not at a bare colon: "Retro-PC: Commodore reaktiviert den C64" opens with a kicker)."""
    pieces, seps = _TITLE_SEPARATOR.split(title), _TITLE_SEPARATOR.findall(title)
    for i in range(1, len(pieces)):
        if not colon and seps[i - 1].rstrip() in (":", "："):
            continue
        head = "".join(p + sep for p, sep in zip(pieces[:i - 1], seps)) + pieces[i - 1]
        tail = "".join(p + sep for p, sep in zip(pieces[i:-1], seps[i:])) + pieces[-1]
        yield head.strip(), tail.strip()


def _title_ends(declared: list[str]) -> dict[str, str]:
    """Runs of segments that open or close a declared title, cut at its separators but not at a
    bare colon: squashed -> as written."""
    ends: dict[str, str] = {}
    for title in declared:
        for head, tail in _title_cuts(title, colon=False):
            ends.setdefault(_squash(head), head)
            ends.setdefault(_squash(tail), tail)
    ends.pop("", None)
    return ends


def _title_rest(declared: list[str], end: str) -> list[str]:
    """What a declared title holds besides `end` when it opens or closes with it, cut at a separator:
    "Twitter API and Me « Find Time for the Karussell" less the blog's name -> the post's title."""
    key, out = _squash(end), []
    for title in declared:
        for head, tail in _title_cuts(title):
            rest = tail if _squash(head) == key else head if _squash(tail) == key else None
            if rest and rest not in out:
                out.append(rest)
    return out


def _title(tree, meta: dict[str, str], article_ld: Optional[dict], doc_title: Optional[str],
           brands: set[str], lead: str = "") -> Optional[str]:
    """The headline the page shows (see the module docstring), else the first it declares; when
    only the page's <title> (or trafilatura's reading of it) is left, a page heading that it
    contains, or one that the story's lead bears out (`_checked_against_lead`)."""
    in_meta = [v for v in map(_declared_title, ([_text(article_ld.get("headline")), _text(article_ld.get("name"))]
                                                if article_ld else []) + [meta.get(key) for key in TITLE_META]) if v]
    title_node = tree.find(".//title")
    # <meta name="title"> and dc.title often repeat the <title> or name the site: as weak as it is.
    in_tag = [v for v in map(_declared_title, [meta.get(key) for key in WEAK_TITLE_META]
                             + [title_node.text_content() if title_node is not None else None]) if v]
    declared = in_meta + in_tag
    doc_title = _declared_title(doc_title)
    cleaned_meta, cleaned = ([c for c in (strip_branding(t, brands) for t in values) if c and not _is_brand(c, brands)]
                             for values in (in_meta, declared))
    keys = [k for k in ({_squash(t) for t in cleaned} | {_squash(t) for t in declared}) if k]
    marked, others = _shown_headlines(tree, brands)
    for text in marked + others:  # the shown headline that the page also declares
        key = _squash(text)
        if key in keys or any(k.startswith(key) and len(key) >= 0.6 * len(k) for k in keys):
            return text
    if marked:
        return marked[0]
    short = _short_heading_in_title(tree, declared, brands)
    if short:
        return short
    ends = _title_ends(declared)
    lead_words = _content_words(lead)
    if len(others) == 1:
        # A sole <h1> is the headline unless it shares no word with the lead and another heading
        # does, even when the <title> ends with it: a blog's name can be both ("Twitter API and Me
        # « Find Time for the Karussell").
        # Then the rest of that <title>, when it shares a word with the lead, names the story.
        if lead_words and not _content_words(others[0]) & lead_words:
            rest = next((r for r in _title_rest(declared, others[0])
                         if not _is_brand(r, brands) and _content_words(r) & lead_words), None)
            if rest:
                return rest
        return _checked_against_lead(others[0], _page_headings(tree, brands), lead)
    if cleaned_meta:
        return cleaned_meta[0]  # declared in metadata (og:title, JSON-LD...), not only by <title>
    headings = _page_headings(tree, brands)
    # Only the <title> is left: a heading that opens or closes it ("WTNH.com, Connecticut News and
    # Weather - Police cruiser stolen…", "Fergie Cautious When Traveling - The Elements") is the
    # headline, the rest the site's (of two such headings, the one the lead bears out better: the
    # other may be the site's tagline); else the <title>, unless the lead bears it out not at all.
    found = [ends[key] for key in map(_squash, headings) if key in ends]
    if found:
        return max(found, key=lambda text: len(_content_words(text) & lead_words))
    fallback = cleaned[0] if cleaned else (
        strip_branding(doc_title, brands) if doc_title and not _is_brand(doc_title, brands) else None)
    fallback = _cut_by_lead(fallback, lead_words)
    return _opening_heading(fallback, headings, lead, brands) or _checked_against_lead(fallback, headings, lead)


OPENING_CHARS = 300  # a heading the story's text opens with stands in its first this many characters
SITE_KEY_MIN_CHARS = 5


def _opening_heading(title: Optional[str], headings: list[str], lead: str, brands: set[str]) -> Optional[str]:
    """A <title> that names the site ("Summit Daily News for Breckenridge, Keystone, Copper and
    Frisco Colorado", "A Netsports Site") and that the story does not open with gives way to a
    heading of three words or more that the story's text does open with, that shares no word with
    that <title>, and that the story then bears out (a word of it stands in the lead twice: in the
    heading and after it; not "15 Jan, 2008, 1202 hrs IST, PTI"); None when there is none."""
    key, opening = _squash(title), _squash(lead)[:OPENING_CHARS]
    if not key or key in opening or not any(b in key for b in brands if len(b) >= SITE_KEY_MIN_CHARS):
        return None
    words = _content_words(title or "")
    counts = collections.Counter(w for w in _LEAD_WORD.findall(lead.casefold()) if w not in _GENERIC_TITLE_WORDS)
    for heading in headings:
        heading_words = _content_words(heading)
        if (len(heading.split()) >= 3 and _squash(heading) in opening and not heading_words & words
                and any(counts[w] >= 2 for w in heading_words)):
            return heading
    return None


def _cut_by_lead(title: Optional[str], lead_words: set[str]) -> Optional[str]:
    """A <title> that a separator (not a bare colon) cuts into a side the lead bears out (two or
    more of its words) and a side none of whose words it has ("Police recover body of missing
    Toronto fisherman - CTV News, Shows and Sports -- Canadian Television"): the first side, the
    shortest such one. A side without content words ("— Why?") is never cut off."""
    best = title
    for head, tail in _title_cuts(title or "", colon=False):
        for keep, drop in ((head, tail), (tail, head)):
            dropped = _content_words(drop)
            if dropped and not dropped & lead_words and len(_content_words(keep) & lead_words) >= 2 \
                    and len(keep) < len(best):
                best = keep
    return best


_LOGO_HEADING = re.compile(r"logo|brand|masthead|site-?(?:name|title)", re.IGNORECASE)


def _short_heading_in_title(tree, declared: list[str], brands: set[str]) -> Optional[str]:
    """An <h1> too short to pass for a headline on its own ("Henne Strand", "Therapsida") that opens
    a declared title cut at its separators ("Henne Strand – Wikipedia"): the page names the same
    thing twice, so the rest of the title is the site's. A logo heading (a link or image inside,
    "logo"/"brand" in its class or id) names the site, not the story."""
    starts = {_squash(head) for title in declared for head, _ in _title_cuts(title, colon=False)}
    starts.discard("")
    if not starts:
        return None
    for node in tree.xpath("//h1")[:12]:
        if node.xpath(f"{_FURNITURE}|ancestor-or-self::a|.//a|.//img") \
                or _LOGO_HEADING.search(f"{node.get('class', '')} {node.get('id', '')}"):
            continue
        text = " ".join(node.text_content().split())
        if text and _squash(text) in starts and not _is_brand(text, brands) and not _UI_HEADING.match(text):
            return text
    return None


_GENERIC_TITLE_WORDS = frozenset("""
home homepage start startseite accueil inicio portada welcome official site website web online the a an of and
to for in on news breaking latest top today headlines stories us u.s. uk world national local international
business sports sport politics entertainment tech technology science health opinion video videos photos
weather markets finance live nachrichten aktuelle aktuell actualités actualites noticias notizie notícias
ニュース 新闻 뉴스 & , - |
""".split())


HEADLINE_LINE_WORDS = (3, 15)
_FURNITURE_LINE = re.compile(r"©|\(c\)|copyright|rights reserved|privacy|comments? (?:for|on) this|submit|subscribe|"
                             r"e-?mail (?:this|to)|print (?:this|version)", re.IGNORECASE)


def _headline_in_text(paragraphs: list[str], brands: set[str]) -> Optional[str]:
    """For a page that names no headline anywhere else (a crawled page whose <head> is spliced: BBC
    News of 2007-08 keeps its headline in a <div class="sh">), a short line among the story's first
    four that is not a date line or page furniture and whose words the story then uses: of several,
    the one sharing the most words with the next LEAD_CHECK_WORDS words."""
    best, best_shared = None, 0
    for i, line in enumerate(paragraphs[:4]):
        line = line.strip(" |")
        words = len(line.split())
        if not HEADLINE_LINE_WORDS[0] <= words <= HEADLINE_LINE_WORDS[1] or line.endswith((".", ":", "?\"", ",")) \
                or _text_day(line) is not None or _FURNITURE_LINE.search(line) or not _plausible_headline(line, brands):
            continue
        after = " ".join(" ".join(paragraphs[i + 1:i + 4]).split()[:LEAD_CHECK_WORDS])
        shared = len(_content_words(line) & _content_words(after))
        if shared > best_shared:
            best, best_shared = line, shared
    return best


def _title_is_site(tree, meta: dict[str, str], brands: set[str]) -> bool:
    """The page's title names only its site, perhaps with a generic tagline ("The New York Times -
    Breaking News, US News, World News and Videos", "Startseite | Bayern.de")."""
    node = tree.find(".//title")
    title = " ".join(node.text_content().split()) if node is not None else (meta.get("og:title") or "")
    pieces = _TITLE_SEPARATOR.split(title) if title else []
    if not pieces or not any(_is_brand(p, brands) for p in pieces):
        return False
    return _all_generic(" ".join(p for p in pieces if not _is_brand(p, brands)))


def _all_generic(text: str) -> bool:
    """Every word of the text is a generic title word ("News", "Top Stories", "Breaking News")."""
    return all(w.strip(",.:;!|-").casefold() in _GENERIC_TITLE_WORDS for w in text.split() if w.strip(",.:;!|-"))


# --- the rest --------------------------------------------------------------------------------------

def _language(tree, meta: dict[str, str]) -> Optional[str]:
    root = tree.getroottree().getroot()
    for value in (root.get("lang"), root.get("{http://www.w3.org/XML/1998/namespace}lang"),
                  meta.get("content-language"), meta.get("og:locale"), meta.get("language")):
        if value and re.fullmatch(r"[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{2,8})*", value.strip()):
            return value.strip().replace("_", "-")
    return None


def _site(meta: dict[str, str], article_ld: Optional[dict], objects: list[dict], page_url: Optional[str]
          ) -> Optional[str]:
    publisher = _text(article_ld.get("publisher")) if article_ld else None
    if publisher is None:
        publisher = next((_text(o.get("name")) for o in objects
                          if _type_names(o.get("@type")) & {"newsmediaorganization", "organization"}), None)
    for name in [meta.get("og:site_name"), publisher] + [meta.get(k) for k in SITE_META[1:]]:
        # not "6.0", not a section ("Magazine" on National Geographic)
        if name and any(ch.isalpha() for ch in name) and len(name) <= 80 and name.strip().casefold() not in SECTION_NAMES:
            return " ".join(name.split())
    return host_of(page_url)


def _author_values(tree, meta: dict[str, str], article_ld: Optional[dict]) -> tuple[list[str], list[str]]:
    """(names the page declares: JSON-LD article authors, author meta tags; names it shows:
    `rel=author` / `itemprop=author` elements of the first byline block)."""
    declared = _names(article_ld.get("author")) + _names(article_ld.get("creator")) if article_ld else []
    if not declared:
        declared = next(([meta[k]] for k in AUTHOR_META
                         if k in meta and not meta[k].startswith("http") and clean_authors([meta[k]])), [])
    shown = []
    # An <aside> holds other stories' cards, but an <address> in it is the story's own byline (The
    # Guardian's article meta panel: "<aside><address aria-label="Contributor info">…").
    nodes = [n for n in tree.xpath('//*[@rel="author" or @itemprop="author"]')[:20]
             if n.tag not in ("meta", "link") and not n.xpath(_FURNITURE)
             or n.xpath("ancestor::address[ancestor::article]") and not n.xpath("ancestor::nav|ancestor::footer")]
    # Only the byline block of the first credited name: later ones are often other stories' authors.
    block = nodes[0].getparent().getparent() if nodes and nodes[0].getparent() is not None else None
    for node in nodes:
        if block is not None and block not in node.iterancestors():
            continue
        name = node.xpath('.//*[@itemprop="name"]/@content | .//*[@itemprop="name"]//text()')
        text = " ".join((" ".join(name) if name else node.text_content()).split())
        if text and len(text.split()) <= 8:
            shown.append(text)
    if not shown:  # "<span>By </span><a href="/profile/teresa-newsome">Teresa Newsome</a>"
        for link in tree.xpath("//body//a[@href]")[:2000]:
            text = " ".join(link.text_content().split())
            if not (AUTHOR_PAGE.search(link.get("href", "")) and 1 <= len(text.split()) <= 5):
                continue
            before = link.getprevious()
            lead = (before.text_content() if before is not None else link.getparent().text or "") or ""
            lead = (before.tail or "") if before is not None and before.tail and before.tail.strip() else lead
            if BYLINE_LEAD.search(lead) and not _elsewhere(link, text):
                shown.append(text)
                break
    return declared, shown


def _author_sources(*sources):
    """The author value lists in rank order; a callable is called only when it is reached."""
    for source in sources:
        yield source() if callable(source) else source


def _last_resort_authors(tree, meta: dict[str, str]) -> list[str]:
    """Authors of a page that neither declares nor shows one by the usual marks (read only when the
    page declares none, trafilatura guesses none and no `rel=author` or "By" + profile link shows
    one): the "Written by" card of SEO plugins (`twitter:label1` "Written by", `twitter:data1` the
    name; ranked low, as it names the account that posted, an editor at some magazines), else the
    first element whose class or id names a byline or an author ("byline-name", "article_byline",
    "author-card__name") and whose text is a name of two to four capitalised words."""
    for key, label in meta.items():
        value = meta.get(f"twitter:data{key[len('twitter:label'):]}") if key.startswith("twitter:label") else None
        if value and WRITTEN_BY.match(label.strip()) and clean_authors([value]):
            return [value]
    for node in tree.xpath(_BYLINE_CLASS)[:40]:
        if node.xpath(_FURNITURE) or _COMMENTS.search(f"{node.get('id', '')} {node.get('class', '')}") or any(
                _RELATED.search(f"{a.get('id', '')} {a.get('class', '')}") for a in node.iterancestors()):
            continue
        # The whole text ("By" and the name in two elements), else its pieces one by one (the name,
        # then "All articles" or "News" in elements of their own).
        pieces = [" ".join(piece.split()) for piece in node.itertext() if piece.strip()]
        if sum(len(piece.split()) for piece in pieces) > BYLINE_BLOCK_WORDS:
            continue  # a bio, a post's wrapper (WordPress classes it "author-<login>"), a credits bar
        for text in (" ".join(pieces), *pieces):
            name = _BYLINE_NAME.match(text)
            if (name and not any(w.casefold() in _NOT_NAME_WORDS for w in name.group(1).split())
                    and clean_authors([name.group(1)]) and not _elsewhere(node, text)):
                return [name.group(1)]
        if pieces and BYLINE_OPENER.match(pieces[0]):
            return []  # the story's byline names no person ("Par AFP"): later ones are other stories'
    return []


# The word that opens a byline ("By", "Von", "Par"...).
_LEAD_WORDS = "by|von|par|por|di|door|av|af"
# Elements whose class or id names a byline or its author.
_LOWER = "translate(concat(@class, ' ', @id), 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz')"
_BYLINE_CLASS = (f"//body//*[not(self::script or self::style or self::img or self::meta)]"
                 f"[contains({_LOWER}, 'byline') or contains({_LOWER}, 'author') or contains({_LOWER}, 'autor')]")
BYLINE_BLOCK_WORDS = 14
BYLINE_OPENER = re.compile(rf"(?:{_LEAD_WORDS})\s*:?\s+\S", re.IGNORECASE)
# Blocks of other stories: "More from", "Related", "Recommended", "Trending" grids and widgets.
_RELATED = re.compile(r"related|(?:^|[\s_-])more(?:$|[\s_-])|recommend|popular|trending|teaser|(?<!post-)thumbnail|widget|"
                      r"sidebar|promo",
                      re.IGNORECASE)
# Words of links and labels in author blocks ("All articles", "Read more", "Connect directly").
_NOT_NAME_WORDS = frozenset("""all alle tous todos tutti more mehr plus más read lesen lire leer leggi see
articles article artikel artikeln beiträge stories story posts post top latest related connect directly
about über contact write written""".split())
# A byline that is a name alone: an optional "By"/"Von"/"Par"..., then two to four words of a cased
# script, each capitalised (particles "de", "van", "von", "al-"... allowed), and nothing after it.
_NAME_WORD = r"(?:[A-ZÀ-ÖØ-ÞĀ-ſА-ЯЁЄІЇҐΑ-Ω][\w'’.-]*)"
_PARTICLE = r"(?:de|da|di|do|dos|das|del|della|van|von|der|den|ter|le|la|du|al|el|bin|ibn|y|e)"
_BYLINE_NAME = re.compile(rf"^(?:(?i:{_LEAD_WORDS})\s*:?\s+)?"
                          rf"({_NAME_WORD}(?:\s+(?:{_PARTICLE}\s+)?{_NAME_WORD}){{1,3}})$")


# Links to a writer's page, and the word that opens a byline before one.
AUTHOR_PAGE = re.compile(r"/(?:authors?|profiles?|people|staff|writers?|editors?|contributors?|autor(?:en)?|auteurs?|"
                         r"redakteur|journalists?|columnists?)/[^/?#]+", re.IGNORECASE)
BYLINE_LEAD = re.compile(rf"(?:^|\s)(?:{_LEAD_WORDS})\s*:?\s*$", re.IGNORECASE)

# A comment's credit as WordPress prints it ("Dale Beanblossom says:"), read as an author.
_COMMENT_CREDIT = re.compile(r"\s(?:says|said|writes|wrote)\s*:?\s*$", re.IGNORECASE)


def _cut_at_markup(tree, guessed: str) -> str:
    """trafilatura's author guess cut where the page's own markup ends the name: it runs the text
    of a byline block together ("<span>Joe Davidson</span><div>Washington Post</div>" -> "Joe
    Davidson Washington Post"; "Caio Quero BBC Brasil", "David Lassen Thursday"). A name of three
    words or more that no element holds whole, whose first words one element does hold, keeps those
    words; the rest stays only when both are links to a writer's page ("Paul Wiseman" and "Fatima
    Hussein", two such links run together). A guess that is no name as a whole (a role: "Open
    Source PBX Editor") is left to `clean_authors` to drop, and a comment's credit ("… says") is
    no author at all."""
    pieces = []
    texts: Optional[dict[str, list]] = None
    for piece in guessed.split(";"):
        words = piece.split()
        if _COMMENT_CREDIT.search(piece):
            continue
        if len(words) < 3 or not clean_authors([piece]):
            pieces.append(piece)  # short, or no name as a whole ("Open Source PBX Editor": a role)
            continue
        if texts is None:
            texts = {}
            for node in tree.iter("a", "span", "div", "p", "strong", "b", "em", "li", "address", "cite", "font"):
                text = " ".join(node.text_content().split())
                if 2 <= len(text.split()) <= 8:
                    texts.setdefault(text, []).append(node)
        if " ".join(words) in texts:
            pieces.append(piece)
            continue
        cut = next((k for k in range(len(words) - 1, 1, -1) if " ".join(words[:k]) in texts), None)
        if cut is None:
            pieces.append(piece)
            continue
        first, rest = " ".join(words[:cut]), " ".join(words[cut:])
        pieces.append(first)
        if _writer_link(texts.get(first, [])) and any(
                text.startswith(rest) and _writer_link(nodes) for text, nodes in texts.items()):
            pieces.append(rest)
    return "; ".join(p.strip() for p in pieces if p.strip())


def _copyright_holder(html_text: str, name: str) -> bool:
    """Does the page name `name` as its copyright holder ("Copyright © 2008 Teamtalk. All rights
    reserved.")? A one-word name that is (a blogger's full name may be both) is the content
    provider, not a person."""
    return re.search(rf"(?:©|&copy;|&#169;|\bcopyright)\s*(?:©|&copy;|&#169;)?\s*(?:\d{{4}}\s*(?:[-–]\s*\d{{4}}\s*)?)?"
                     rf"{re.escape(name)}\b", html_text, re.IGNORECASE) is not None


def _writer_link(nodes) -> bool:
    """Is one of these elements, or the link around it, a link to a writer's page?"""
    for node in nodes:
        link = node if node.tag == "a" else next(node.iterancestors("a"), None)
        if link is not None and AUTHOR_PAGE.search(link.get("href") or ""):
            return True
    return False


# Where a name stands for someone other than the article's author: comment threads and the cards
# of other stories (a link or a teaser block with its own linked headline).
_COMMENTS = re.compile(r"comment|disqus|reply|respon[sd]", re.IGNORECASE)
# A photo's caption or credit ("imageByline", "photo-credit", "caption"): its name is a photographer's.
_PHOTO_CREDIT = re.compile(r"caption|(?:image|img|photo|pic|media)[-_ ]?(?:byline|credit|source)|photo[-_ ]?by",
                           re.IGNORECASE)
PHOTO_CREDIT_DEPTH = 3
TEASER_DEPTH = 6
CARD_MAX_CHARS = 1000
_LONG_PARAGRAPH = ".//p[string-length(normalize-space()) > 80]"


def _elsewhere(node, name: str) -> bool:
    """Is this occurrence of `name` in a comment, in another story's card or in a photo's credit?"""
    # The element itself or one of its nearest holders: <div class="imageByline">Kevork Djansezian, file</div>
    for depth, holder in enumerate(itertools.chain([node], node.iterancestors())):
        if depth > PHOTO_CREDIT_DEPTH:
            break
        if holder.tag in ("figcaption", "figure") or _PHOTO_CREDIT.search(
                f"{holder.get('id', '')} {holder.get('class', '')}"):
            return True
    for depth, ancestor in enumerate(node.iterancestors()):
        if depth >= TEASER_DEPTH or ancestor.tag in ("body", "main"):
            break
        if ancestor.tag == "a" and len(ancestor.text_content().strip()) > len(name) + 20:
            return True  # a link around a whole card: headline, byline, teaser
        if ancestor.tag in ("article", "li") and ancestor.xpath(".//*[self::h1 or self::h2 or self::h3 or self::h4]//a[@href]") \
                and len(ancestor.text_content()) < CARD_MAX_CHARS and len(ancestor.xpath(_LONG_PARAGRAPH)) < 3:
            return True  # a card: a linked headline, a byline, a teaser (not the story's own <article>)
    for ancestor in node.iterancestors():
        if _COMMENTS.search(f"{ancestor.get('id', '')} {ancestor.get('class', '')}") and ancestor.tag != "body":
            return True
    return False


def _only_elsewhere(tree, name: str) -> bool:
    """The page prints `name` only in comments or other stories' cards (trafilatura's author guess
    takes the first byline-like element, which can be a related story's or a commenter's)."""
    words = name.split()
    if not words:
        return False
    nodes = [n for n in tree.xpath("//body//*[not(self::script or self::style)]")
             if n.text and words[0].casefold() in n.text.casefold() and words[-1].casefold() in n.text_content().casefold()]
    return bool(nodes) and all(_elsewhere(n, name) for n in nodes)


def _main_text(html_text: str, page_url: Optional[str]) -> tuple[Any, list[str]]:
    """(trafilatura document with metadata, paragraphs of the main text), with the recall fallback."""
    settings = {"url": page_url, "with_metadata": True,
                "date_extraction_params": {**DATE_SETTINGS, "url": page_url}}
    doc = trafilatura.bare_extraction(html_text, **settings, **EXTRACTION_SETTINGS)
    paras = _story_paragraphs(getattr(doc, "text", None) if doc is not None else None)
    if sum(len(p) for p in paras) < RECALL_BELOW_CHARS:
        recall = trafilatura.bare_extraction(html_text, **settings, **RECALL_SETTINGS)
        more = _story_paragraphs(getattr(recall, "text", None) if recall is not None else None)
        if sum(len(p) for p in more) > sum(len(p) for p in paras):
            paras = more
        doc = doc if doc is not None else recall
    return doc, paras


def _story_paragraphs(text: Optional[str]) -> list[str]:
    return [p for p in paragraphs(_unwrap_layout_tables(text or ""))
            if not (len(p.split()) <= COMMENT_POLICY_MAX_WORDS and COMMENT_POLICY.search(p))]


# trafilatura writes a table row as "| cell | cell |" (a literal bar in a cell as "\|"). Pages laid
# out with tables (most of the 2000s) hold their story, menus and empty spacer cells in such rows.
_CELL_SPLIT = re.compile(r"\s*(?:\\\||(?<!\\)\|)\s*")
_SENTENCE_END = re.compile(r"[.!?…:\"”’)]$")
LAYOUT_CELL_MIN_WORDS = 4
MENU_CELL_MAX_WORDS = 3


_FIGURE_CELL = re.compile(r"[-+−]?\d")  # a data table's cell opens with a figure: "25", "0,7567", "306.9 yds."


def _unwrap_layout_tables(text: str) -> str:
    """Table rows of a layout, not of data. A row of more spacer cells than filled ones, or one
    whose cells hold bars of their own ("Print \\| E-mail \\| Back to top"), is layout: its cells of
    text become lines, its short labels ("Business", "Search this site") go. A row of short cells
    without a figure is a menu and goes, unless it heads a data table (a row of as many cells next
    to it holds a figure or a longer text). Rows of data tables stay as written."""
    if "|" not in text:
        return text
    lines = text.split("\n")
    rows: list[Optional[list[str]]] = [[c.strip() for c in _CELL_SPLIT.split(line.strip().strip("|"))]
                                       if line.lstrip().startswith("|") else None for line in lines]
    kinds: list[str] = []  # "text" (not a row), "layout", "data" or "menu"
    for line, cells in zip(lines, rows):
        filled = [c for c in cells if c] if cells is not None else []
        if cells is None:
            kinds.append("text")
        elif len(filled) <= 1 or len(cells) - len(filled) > len(filled) or line.count("\\|") >= 2:
            kinds.append("layout")
        elif any(_FIGURE_CELL.match(c) and len(c.split()) <= 4 for c in filled) or any(
                len(c.split()) > MENU_CELL_MAX_WORDS for c in filled):
            kinds.append("data")
        else:
            kinds.append("menu")
    out: list[str] = []
    for i, (line, cells, kind) in enumerate(zip(lines, rows, kinds)):
        if kind in ("text", "data"):
            out.append(line)
        elif kind == "layout":
            out.extend(c for c in cells if len(c.split()) >= LAYOUT_CELL_MIN_WORDS or _SENTENCE_END.search(c))
        elif any(0 <= j < len(rows) and kinds[j] == "data" and len(rows[j]) == len(cells) for j in (i - 1, i + 1)):
            out.append(line)  # the header of a data table
    return "\n".join(out)


_TITLE_OPEN = re.compile(r"<title\b[^>]*>", re.IGNORECASE)
_TITLE_CLOSE = re.compile(r"</title\s*>", re.IGNORECASE)


def close_runaway_title(html_text: str) -> str:
    """A page whose first `<title>` is never closed (a truncated or spliced head): parsers read a
    title's content as text up to `</title>`, so the whole page would be its title and the story
    lost. Such a title is closed at the end of its line or at the next tag, whichever comes first."""
    opened = _TITLE_OPEN.search(html_text)
    if opened is None or _TITLE_CLOSE.search(html_text, opened.end()):
        return html_text
    rest = html_text[opened.end():]
    ends = [i for i in (rest.find("\n"), rest.find("<")) if i >= 0]
    cut = min(ends) if ends else len(rest)
    return f"{html_text[:opened.end()]}{rest[:cut]}</title>{rest[cut:]}"


def page_tree(html_text: str):
    """Parse a page for metadata; ParseError when there is no document at all."""
    try:
        return lxml_html.document_fromstring(_XML_DECL.sub("", html_text, count=1))
    except (etree.ParserError, ValueError) as exc:
        raise ParseError(f"not an HTML document: {exc}") from exc


def parse_html(data: bytes, url: Optional[str] = None, charset: Optional[str] = None,
               captured: Optional[dt.datetime] = None) -> dict[str, Any]:
    """HTML bytes -> article fields. `url` (e.g. a WARC target URI) is used when the page has none;
    `captured` (a WARC record's capture time) bounds the publication time: no later than the next day.

    Raises ParseError when the page has no text, `NotAnArticle` (stage `filter`) when it is not an
    article."""
    html_text = close_runaway_title(decode_markup(data, charset))
    tree = page_tree(html_text)
    meta = _meta(tree)
    page_url = _page_url(tree, meta, url)
    objects = _json_ld_objects(tree)
    article_ld = next((o for o in objects if _type_names(o.get("@type")) & ARTICLE_LD_TYPES), None)

    doc, body_paras = _main_text(html_text, page_url)
    if not body_paras:
        raise ParseError("no article text found in HTML page")

    site = _site(meta, article_ld, objects, page_url)
    host = urlsplit(page_url).hostname if page_url else None
    brands = _brand_keys(site, host, [_text(article_ld.get("publisher")) if article_ld else None,
                                      (meta.get("twitter:site") or "").lstrip("@"), *_home_link_names(tree)])
    title = _title(tree, meta, article_ld, getattr(doc, "title", None), brands,
                   " ".join(" ".join(body_paras[:3]).split()[:LEAD_CHECK_WORDS]))
    if not title or _all_generic(title):  # "News" names no story
        title = _headline_in_text(body_paras, brands)
    pieces = _text_pieces(tree)
    latest = captured.date() + dt.timedelta(days=1) if captured else None  # a day for time zones
    published, stated_day, date_source = _published(tree, meta, article_ld, html_text, page_url, title,
                                                       pieces, latest, _language(tree, meta))

    schema_types = set().union(*(_type_names(o.get("@type")) for o in objects)) if objects else set()
    schema_types |= {t for n in tree.xpath("//*[@itemtype]") for t in _type_names(n.get("itemtype"))}
    check_article(PageSignals(
        url=page_url or _relative_self(tree), og_type=(meta.get("og:type") or "").lower(), schema_types=schema_types,
        published_meta=any(k in meta for k in PUBLISHED_META[:3]) or bool(article_ld and article_ld.get("datePublished")),
        has_date=published is not None, title=title or "", title_is_site=_title_is_site(tree, meta, brands),
        paragraphs=body_paras, notice=_error_notice(tree, pieces)))

    authors: list[str] = []
    declared, shown = _author_values(tree, meta, article_ld)
    # The site also names itself where the <title> goes on past the headline ("Headline - المدينة
    # نيوز"): a page that declares no site name but credits itself as author.
    author_brands = brands | _title_remainder_keys(tree, title)
    host_keys = _brand_keys(None, host, [])
    site_keys = _brand_keys(None, None, [site, _text(article_ld.get("publisher")) if article_ld else None])
    guessed = getattr(doc, "author", None) or ""
    credits = [value for value in meta.values() if SITE_CREDIT.match(value)]
    if guessed and credits:  # trafilatura reads a web agency's credit ("Developed By Heba Musa") as an author
        guessed = "; ".join(piece for piece in guessed.split(";")
                            if not any(piece.strip() and piece.strip() in credit for credit in credits))
    guessed = _cut_at_markup(tree, guessed) if guessed else guessed
    guesses: list[str] = [guessed]
    guessed_names = {_squash(name) for name in clean_authors(guesses, site=site)}
    shown_names = {_squash(name) for name in clean_authors(shown, site=site)}
    if guessed_names and guessed_names < shown_names:
        guesses = shown  # the byline's author links name more than trafilatura read ("A and B": only A)
    for values in _author_sources(declared, guesses, shown, lambda: _last_resort_authors(tree, meta)):
        authors = clean_authors(values, site=site)
        # Names of the site are not people; but a sole author named like the host only is the
        # owner of a personal domain ("Simon Sarris" on map.simonsarris.com).
        # A one-word name like the host is the brand ("ASCII" on weekly.ascii.jp, "Ukrinform"), not an
        # owner, unless the host is a blog platform's ("bjori" on bjori.blogspot.com).
        sole_owner = len(authors) == 1 and _squash(authors[0]) in host_keys - site_keys and (
            len(authors[0].split()) > 1 or (host or "").lower().endswith(BLOG_PLATFORMS))
        authors = [name for name in authors if sole_owner or not _named_like_brand(name, author_brands)]
        if values is not declared and values is not shown:
            authors = [name for name in authors if not _only_elsewhere(tree, name)
                       and not (len(name.split()) == 1 and _copyright_holder(html_text, name))]
        if authors:
            break
    hints = {"language": (_language(tree, meta) or "")[:16]}
    if stated_day:
        hints["date_stated"] = stated_day
    if date_source:
        hints["date_source"] = date_source
    return {
        "title": title,
        "body": "\n\n".join(body_paras),
        "url": page_url,
        "site": site,
        "authors": authors,
        "published_at": published,
        "hints": hints,
    }
