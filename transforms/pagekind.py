"""Page kind: is a web page an article, or a homepage, section, search, service page or stub?

A crawl holds front pages, section fronts, tag and search listings, log-in and subscription
pages next to the stories. They are not articles: `transforms.formats.html` raises
`NotAnArticle` for them (a dead letter at stage `filter`, so accounting holds) with the reason.

The decision weighs what the page says about itself against its shape, and keeps a page whenever
it is in doubt (a lost story costs more than a stray list page):

- article evidence: a schema.org article type in JSON-LD or microdata (`NewsArticle`,
  `BlogPosting`, `ReportageNewsArticle`, …), `og:type` = `article`, an `article:published_time`,
  a stated publication date, prose (paragraphs of sentences);
- listing evidence: a schema.org `WebSite` / `CollectionPage` / `SearchResultsPage` / `ItemList` /
  `ProfilePage` page type, `og:type` = `website`, the URL of a site's front door (`/`, `/en/`,
  `/index.html`) or of a listing or service path (`/search`, `/tag/…`, `/category/…`, `/login`,
  `/subscribe`, …), a title that is only the site's name, a main text made of short link-like lines;
- stubs: a short text asking the reader to subscribe, log in or accept cookies, or a bot wall
  ("Request unsuccessful. Incapsula incident ID …", Cloudflare's "Attention Required").

| verdict | when |
|---|---|
| `stub` | fewer than `STUB_WORDS` words and a bot-wall phrase (`BOT_WALL`), or a paywall/consent/log-in/not-found phrase |
| `stub` | the page shows an error notice ("Sorry, the page you were looking for … does not exist", "Error 404", "Seite nicht gefunden") and has under `PROSE_MIN_WORDS` words, without a publication-time tag |
| `listing` | a dated archive path (`/2011/`, `/2011/03/`) without a publication-time tag (blog platforms mark every post of an archive as a `BlogPosting`) |
| `listing` | a legal document without article markup: a licence / terms / policy heading and its vocabulary ("shall", "warranty", "licensee", …) |
| `article` | a schema.org article type or a publication-time meta tag; `og:type` = `article` unless the URL is a front door (some sites set it on every page) |
| `homepage` | the URL is a front door (`/`, `/en/`, `/index.html`, a relative canonical `/`); or the title is only the site name (perhaps with a generic tagline) and the text is a list of short lines |
| `listing` | a service title ("Terms of Service", "About Us", "FAQ", "Log in"); a listing or service path (`/tag/x`, `/search?q=`, `/login`) or a listing page type, and the text is not prose |
| `stub` | an image's page: the title is an image's address ("Google Image Result for https://….jpg"), under `PROSE_MIN_WORDS` words, no article markup |
| `article` | everything else |

Measured with `make eval` (`bench/eval_realworld.py`): of 802 pages of all-article corpora
(article-extraction benchmark, L3S-GN1) and the realworld pages labelled articles none is
filtered; 10 of the 11 hand-labelled non-articles are. A rule that filtered short pages made of
short lines was tried and dropped: it took 28 real articles (CJK text without spaces, pages
trafilatura reads little of).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Optional
from urllib.parse import parse_qsl, urlsplit

from transforms.formats import ParseError
from transforms.urls import is_site_root

ARTICLE_TYPES = frozenset({
    "article", "newsarticle", "reportagenewsarticle", "analysisnewsarticle", "opinionnewsarticle",
    "backgroundnewsarticle", "reviewnewsarticle", "askpublicnewsarticle", "blogposting", "liveblogposting",
    "socialmediaposting", "techarticle", "scholarlyarticle", "report", "satiricalarticle",
    "advertisercontentarticle", "medicalscholarlyarticle", "review", "recipe", "howto", "qapage",
})
LISTING_TYPES = frozenset({"website", "collectionpage", "searchresultspage", "itemlist", "profilepage",
                           "contactpage", "aboutpage", "checkoutpage", "product", "offer", "store"})
# First path segments of listing pages: the page is a listing when the path is only this segment
# and at most two more that are not a story slug or number.
LISTING_PATHS = frozenset({
    "search", "suche", "recherche", "buscar", "busca", "tag", "tags", "topic", "topics", "category",
    "categories", "section", "sections", "author", "authors", "people", "archive", "archives"})
# First path segments of service pages (the path is only this segment, or two).
SERVICE_PATHS = frozenset({
    "login",
    "signin", "sign-in", "signup", "sign-up", "register", "subscribe", "subscription", "subscriptions",
    "account", "my-account", "newsletter", "newsletters", "contact", "contact-us", "about", "about-us",
    "privacy", "privacy-policy", "terms", "terms-of-use", "terms-of-service", "help", "faq", "jobs", "careers",
    "cart", "checkout", "shop", "store", "hosting", "pricing", "sitemap", "impressum", "datenschutz",
})
# Paths of "about" pages when they are the whole path (a section of that name holds articles:
# /team/new-striker-signs, /mission/apollo-11-anniversary).
ABOUT_PATHS = frozenset({"who-we-are", "mission", "our-mission", "our-story", "team", "our-team"})
SEARCH_PARAMS = ("q", "s", "query", "search", "keyword", "keywords", "term")
STUB_PHRASES = re.compile(
    r"subscribe (?:now |today )?to (?:continue|read|keep reading|unlock)|to continue reading|"
    r"(?:already|are you) a subscriber|log ?in to (?:continue|read)|sign in to (?:continue|read)|"
    r"create (?:a )?free account to|this (?:article|content|story) is (?:for|only available to|reserved for) "
    r"(?:subscribers|members)|premium (?:article|content)|we use cookies|accept (?:all )?cookies|"
    r"cookie (?:settings|consent|policy)|enable javascript|javascript is disabled|access denied|"
    r"page not found|404 not found|jetzt abonnieren|"
    r"abonnez-vous|suscríbete", re.IGNORECASE)
# Bot walls and challenge pages a crawler gets instead of the page (Incapsula, Cloudflare, …).
BOT_WALL = re.compile(
    r"request unsuccessful|incapsula incident|checking (?:your browser|if the site connection is secure)|"
    r"attention required|ddos protection by|cloudflare ray id|complete the security check|unusual traffic from|"
    r"pardon our interruption|press (?:&|and) hold|captcha|are you a robot|verify you are (?:a )?human",
    re.IGNORECASE)
# Titles of service pages (the whole title, branding cut).
SERVICE_TITLE = re.compile(
    r"^(?:terms(?: of (?:service|use))?|terms and conditions|privacy(?: policy| notice)?|cookie policy|"
    r"impressum|datenschutz(?:erklärung)?|mentions légales|aviso legal|contact(?: us)?|kontakt|about(?: us)?|"
    r"who we are|our (?:mission|story|team)|meet the team|"
    r"über uns|log ?in|sign ?in|sign ?up|register|subscribe|subscription|my account|search(?: results)?|"
    r"people search|suche|newsletter|site ?map|help|faq|404|page not found|not found|error)$", re.IGNORECASE)
# A line the page shows when it is an error page ("Sorry, the page you were looking for in this blog
# does not exist.", "Error 404", "Seite nicht gefunden").
NOT_FOUND = re.compile(
    r"\b(?:page|post|article|story|content|file|url)s?\b[^.!?]{0,60}\b(?:does not|doesn't|did not|no longer) exists?\b|"
    r"\b(?:page|post|article|story|content|file)\b[^.!?]{0,60}\b(?:could not|couldn't|cannot|can't|can not) be found|"
    r"\b(?:page|post|article|content)\b[^.!?]{0,40}\b(?:was|is) not found|"
    r"\b(?:error|fehler|erreur|error)\s*404\b|\b404\s*(?:error|not found|-? ?page)|\bpage not found\b|"
    r"seite (?:wurde )?nicht gefunden|page (?:introuvable|non trouvée)|página no encontrada|"
    r"pagina non trovata|página não encontrada|pagina niet gevonden|страница не найдена|"
    r"ページが見つかりません|页面不存在|找不到网页", re.IGNORECASE)
# Legal documents (licences, terms, policies): a heading that names one and the vocabulary of one.
LEGAL_HEADING = re.compile(
    r"\b(?:licen[cs]e|terms (?:of (?:use|service)|and conditions)|privacy (?:policy|notice)|cookie policy|"
    r"disclaimer|end user licen[cs]e agreement|nutzungsbedingungen|lizenz|datenschutzerklärung|"
    r"allgemeine geschäftsbedingungen|conditions générales|mentions légales|politique de confidentialité|"
    r"términos y condiciones|aviso legal|política de privacidad)\b", re.IGNORECASE)
LEGAL_TERMS = re.compile(
    r"\b(?:shall|hereby|herein|hereunder|thereof|whereas|pursuant|notwithstanding|provisions?|"
    r"licen[cs](?:e[sd]?|ee|or|ing)|sublicens\w*|warrant(?:y|ies)|liabilit(?:y|ies)|indemnif\w*|"
    r"agreement|terms|conditions|permission|permitted|prohibited)\b", re.IGNORECASE)
LEGAL_TERMS_PER_WORD = 0.02
LEGAL_MIN_WORDS = 300  # a licence or terms of use runs long; a short page naming its licence is not one
# The title of an image's own page (an image viewer or image-search frame): an image's address.
IMAGE_TITLE = re.compile(r"https?://\S+|\S+\.(?:jpe?g|png|gif|webp|svg|bmp|tiff?)\b", re.IGNORECASE)
STUB_WORDS = 60
PROSE_MIN_WORDS = 150
SHORT_LINE_WORDS = 8


class NotAnArticle(ParseError):
    """A page that is not an article (homepage, section, search, service page, stub): stage `filter`."""

    stage = "filter"


@dataclass
class PageSignals:
    url: Optional[str] = None
    og_type: str = ""
    schema_types: set[str] = field(default_factory=set)  # JSON-LD @type and microdata itemtype, lower-case
    published_meta: bool = False  # article:published_time or a JSON-LD/microdata datePublished
    has_date: bool = False
    title: str = ""
    title_is_site: bool = False  # the page's title is only its site's name (or empty once branding goes)
    paragraphs: list[str] = field(default_factory=list)  # the extracted main text
    notice: str = ""  # a line the page shows that says it is an error page ("… does not exist", "404")


def _prose_share(paragraphs: list[str]) -> tuple[int, float]:
    """(words, share of words in paragraphs that read as sentences rather than link lines)."""
    words = sum(len(p.split()) for p in paragraphs)
    prose = sum(len(p.split()) for p in paragraphs
                if len(p.split()) > SHORT_LINE_WORDS and re.search(r"[.!?。！？…\"”»]\s*$|[.!?。]\s", p))
    return words, (prose / words if words else 0.0)


def _path_kind(url: Optional[str]) -> Optional[str]:
    if not url:
        return None
    if is_site_root(url):
        return "homepage"
    parts = urlsplit(url)
    segments = [s for s in parts.path.lower().split("/") if s]
    if segments and all(re.fullmatch(r"(?:19|20)\d{2}|0?[1-9]|1[0-2]|[12]\d|3[01]", s) for s in segments) \
            and re.fullmatch(r"(?:19|20)\d{2}", segments[0]):
        return "archive"  # a dated archive: /2011/, /2011/03/
    if (segments and segments[0] in SERVICE_PATHS and len(segments) <= 2) or (
            len(segments) == 1 and segments[0] in ABOUT_PATHS):
        return "listing"
    if (segments and segments[0] in LISTING_PATHS and len(segments) <= 3
            and not any(re.search(r"\d{3,}", s) or s.count("-") >= 4 for s in segments[1:])):
        return "listing"
    query = dict(parse_qsl(parts.query))
    if any(query.get(k) for k in SEARCH_PARAMS) and (not segments or "search" in parts.path.lower()):
        return "listing"
    return None


def _legal(title: str, paragraphs: list[str], words: int) -> bool:
    """A licence, terms of use or policy: its title or opening heading names one, and its text (of
    `LEGAL_MIN_WORDS` or more) speaks the language of one (`LEGAL_TERMS_PER_WORD` or more of
    "shall", "warranty", "licensee"…)."""
    if words < LEGAL_MIN_WORDS or not any(LEGAL_HEADING.search(line) for line in [title, *paragraphs[:2]]):
        return False
    return sum(len(LEGAL_TERMS.findall(p)) for p in paragraphs) / words >= LEGAL_TERMS_PER_WORD


def classify(signals: PageSignals) -> tuple[str, str]:
    """(kind, reason): kind is `article`, `homepage`, `listing` or `stub`."""
    words, prose = _prose_share(signals.paragraphs)
    typed_article = bool(signals.schema_types & ARTICLE_TYPES) or signals.og_type == "article"
    typed_listing = bool(signals.schema_types & LISTING_TYPES) and not typed_article
    is_prose = words >= PROSE_MIN_WORDS and prose >= 0.6
    if words < STUB_WORDS and any(BOT_WALL.search(p) for p in signals.paragraphs):
        return "stub", f"a {words}-word bot wall or challenge page saved instead of the page, no article text"
    if words < STUB_WORDS and any(STUB_PHRASES.search(p) for p in signals.paragraphs):
        return "stub", f"a {words}-word page asking to subscribe, log in or accept cookies, no article text"
    path_kind = _path_kind(signals.url)
    marked = bool(signals.schema_types & ARTICLE_TYPES) or signals.published_meta
    if signals.notice and words < PROSE_MIN_WORDS and not signals.published_meta:
        return "stub", f"an error page ({signals.notice[:80]!r}), {words} words"
    if path_kind == "archive" and not signals.published_meta:  # blogs mark each post of an archive
        return "listing", f"dated archive ({signals.url}): a list of posts, no publication time of its own"
    if not marked and _legal(signals.title, signals.paragraphs, words):
        return "listing", f"a legal document ({signals.title or signals.paragraphs[0][:60]!r}), no article markup"
    if marked:
        return "article", "declares itself an article"
    service = SERVICE_TITLE.match(signals.title.strip(" .:|-"))
    if typed_article and path_kind != "homepage" and not (service and path_kind == "listing"):
        # og:type=article alone: some sites set it on every page (WordPress plugins on "Who We Are"
        # at /mission/ too: a service title at a service path is that page)
        return "article", "declares itself an article (og:type)"
    listy = not is_prose and (prose < 0.5 or words < PROSE_MIN_WORDS)
    if path_kind == "homepage":
        return "homepage", (f"site front page ({signals.url}) without article markup "
                            f"({words} words, {prose:.0%} prose)")
    if service:
        return "listing", f"service page titled {signals.title!r} without article markup"
    if signals.title_is_site and listy and prose < 0.5:
        return "homepage", f"title is only the site name and the text is a list ({words} words, {prose:.0%} prose)"
    if path_kind in ("listing", "archive") and listy:
        return "listing", f"listing or service page ({signals.url}): no article markup, {prose:.0%} prose"
    if not typed_article and words < PROSE_MIN_WORDS and IMAGE_TITLE.search(signals.title):
        return "stub", f"an image's page (titled {signals.title[:80]!r}), {words} words, no article markup"
    if typed_listing and listy and not signals.has_date:
        return "listing", (f"page declares itself {', '.join(sorted(signals.schema_types & LISTING_TYPES))}, "
                           f"no article markup, {prose:.0%} prose")
    return "article", "no evidence against"


def check_article(signals: PageSignals) -> None:
    """Raise `NotAnArticle` when the page is not an article."""
    kind, reason = classify(signals)
    if kind != "article":
        raise NotAnArticle(f"not an article ({kind}): {reason}")
