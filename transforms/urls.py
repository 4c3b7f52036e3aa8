"""URLs: the original address of a page however it was captured, without tracking parameters.

`canonical_url(url)` is the one place URLs are normalised (every format calls it on the URL that
identifies an article; the id is a hash of the result, so the same story read from a Wayback
capture, an AMP cache and a newsletter link gets the same id):

- archive captures give the URL they captured: any Memento-style path
  (`web.archive.org/web/20130803120000/http://…`, `…/20130803120000id_/…`, `arquivo.pt/wayback/…`,
  `webarchive.nationalarchives.gov.uk/…`, `archive.ph/20130803/…`), Google's cache
  (`webcache.googleusercontent.com/search?q=cache:…:URL`);
- AMP caches and viewers give the publisher's URL: `<host>.cdn.ampproject.org/c/s/host/path`,
  `www.google.com/amp/s/host/path`; `amp=1` / `outputType=amp` query switches go;
- redirect and proxy links give their target: a path that embeds a whole `http(s)://` URL,
  Google/Facebook redirect links (`/url?q=`, `l.php?u=`), Google Translate's proxy
  (`www-example-com.translate.goog/path` -> `www.example.com/path`);
- tracking parameters (`utm_*`, `fbclid`, `gclid`, `mc_cid`, `smid`, …) and the fragment (except
  `#!` routes) are removed; scheme and host are lower-cased, default ports dropped.

Anything that is not an absolute http(s) URL is returned unchanged (stripped); the raw address of
what was read always stays in `source_uri`.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Optional
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit, urlunsplit

# Query parameters that only say how a reader arrived (campaigns, click ids, share buttons).
TRACKING_PARAMS = frozenset({
    "fbclid", "gclid", "gclsrc", "dclid", "gbraid", "wbraid", "msclkid", "yclid", "twclid", "ttclid",
    "igshid", "igsh", "mc_cid", "mc_eid", "_ga", "_gl", "_hsenc", "_hsmi", "mkt_tok", "vero_id",
    "vero_conv", "oly_enc_id", "oly_anon_id", "rb_clickid", "s_cid", "s_kwcid", "ocid", "cmpid",
    "ncid", "sr_share", "smid", "smtyp", "soc_src", "soc_trk", "xtor", "wt_mc", "wt.mc_id",
    "icid", "ito", "spm", "ref_src", "ref_url", "guccounter", "guce_referrer", "guce_referrer_sig",
    "__twitter_impression", "mbid", "cmp", "camp", "campaign_id", "trk", "trkcampaign", "sc_cid",
    "at_medium", "at_campaign", "at_custom1", "at_custom2", "at_custom3", "at_custom4",
    "hootpostid", "amp_js_v", "usqp",
})
TRACKING_PREFIXES = ("utm_", "ns_", "pk_", "mtm_", "piwik_", "matomo_", "hsa_")
_AMP_VALUES = {"amp": {"1", "true", ""}, "outputtype": {"amp"}}

# A Memento-style capture: /<14..4-digit timestamp><modifier>/<original URL>.
_MEMENTO = re.compile(r"/(?:\d{4,14})(?:[a-z]{2}_)?/+(?P<url>(?:https?:/+|//)?[\w.-]+\.[a-z]{2,}\b.*)$", re.I)
_EMBEDDED = re.compile(r"/(?P<url>https?:/+[\w.-]+\.[a-z]{2,}\b.*)$", re.I)
_AMP_CACHE_PATH = re.compile(r"^/[cv]/(?P<secure>s/)?(?P<rest>[\w.-]+\.[a-z]{2,}(?:/.*)?)$", re.I)
_ARCHIVE_HOSTS = ("web.archive.org", "wayback.archive.org", "archive.org", "arquivo.pt", "archive.ph",
                  "archive.today", "archive.is", "archive.li", "archive.md", "archive.vn",
                  "webarchive.nationalarchives.gov.uk", "webarchive.loc.gov", "wayback.archive-it.org",
                  "webarchive.org.uk", "timetravel.mementoweb.org", "web.archive.bibalex.org",
                  "webarchive.bac-lac.gc.ca", "swap.stanford.edu")
_REDIRECT_PARAMS = {"/url": ("q", "url"), "/l.php": ("u",), "/link": ("url", "u"), "/redirect": ("url", "u")}
MAX_UNWRAP = 4


def _is_archive(host: str) -> bool:
    return any(host == h or host.endswith("." + h) for h in _ARCHIVE_HOSTS)


def _absolute(candidate: str) -> Optional[str]:
    """`http:/x.com/a` (slashes collapsed by an archive), `//x.com/a`, `x.com/a` -> a full URL."""
    candidate = candidate.strip()
    match = re.match(r"^(https?):/+(.*)$", candidate, re.I)
    if match:
        return f"{match.group(1).lower()}://{match.group(2)}"
    if candidate.startswith("//"):
        return "http:" + candidate
    if re.match(r"^[\w-]+(?:\.[\w-]+)+(?:[/:?#]|$)", candidate):
        return "http://" + candidate
    return None


def _unwrap(url: str) -> Optional[str]:
    """The URL a capture, cache, viewer or redirect link stands for; None when it is none of them."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    path_and_query = parts.path + (f"?{parts.query}" if parts.query else "")
    if _is_archive(host):
        match = _MEMENTO.search(path_and_query)
        if match:
            return _absolute(match.group("url") + (f"#{parts.fragment}" if parts.fragment else ""))
    if host == "webcache.googleusercontent.com":
        query = dict(parse_qsl(parts.query))
        match = re.match(r"^cache:(?:[\w-]+:)?(?P<url>.+)$", query.get("q", ""))
        if match:
            return _absolute(match.group("url"))
    if host.endswith(".cdn.ampproject.org"):
        match = _AMP_CACHE_PATH.match(parts.path)
        if match:
            scheme = "https" if match.group("secure") else "http"
            return f"{scheme}://{match.group('rest')}" + (f"?{parts.query}" if parts.query else "")
    if re.fullmatch(r"(?:www\.)?google\.[a-z.]+", host) and parts.path.startswith("/amp/"):
        rest = parts.path[len("/amp/"):]
        scheme = "https" if rest.startswith("s/") else "http"
        rest = rest[2:] if rest.startswith("s/") else rest
        return _absolute(f"{scheme}://{rest}" + (f"?{parts.query}" if parts.query else ""))
    if host.endswith(".translate.goog"):
        original = host[: -len(".translate.goog")]
        # Google Translate's proxy writes "-" for "." and "--" for "-" in the host.
        original = original.replace("--", "\x00").replace("-", ".").replace("\x00", "-")
        query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not k.startswith("_x_tr_")]
        return urlunsplit(("https", original, parts.path, urlencode(query), parts.fragment))
    for suffix, names in _REDIRECT_PARAMS.items():
        if parts.path.endswith(suffix) and parts.query:
            query = dict(parse_qsl(parts.query))
            for name in names:
                target = query.get(name, "")
                if re.match(r"^https?://", target, re.I):
                    return target
    match = _EMBEDDED.search(parts.path)
    if match:
        return _absolute(unquote(match.group("url")) + (f"?{parts.query}" if parts.query else ""))
    return None


def _is_tracking(name: str, value: str) -> bool:
    key = name.lower()
    if key in _AMP_VALUES:
        return value.lower() in _AMP_VALUES[key]
    return key in TRACKING_PARAMS or key.startswith(TRACKING_PREFIXES)


def canonical_url(url: Optional[str]) -> Optional[str]:
    """The original, untracked form of an article URL (see the module docstring); None stays None."""
    if url is None:
        return None
    url = url.strip()
    if not re.match(r"^https?://", url, re.I):
        return url
    for _ in range(MAX_UNWRAP):
        inner = _unwrap(url)
        if not inner or inner == url or not re.match(r"^https?://[^/\s]", inner, re.I):
            break
        url = inner
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:  # a port that is not a number: leave the URL as it is
        return url
    host = (parts.hostname or "").lower().rstrip(".")
    scheme = parts.scheme.lower()
    if port and not (scheme, port) in (("http", 80), ("https", 443)):
        host = f"{host}:{port}"
    if parts.username:
        host = f"{parts.username}{':' + parts.password if parts.password else ''}@{host}"
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    kept = [(k, v) for k, v in pairs if not _is_tracking(k, v)]
    query = parts.query if len(kept) == len(pairs) else urlencode(kept)
    fragment = parts.fragment if parts.fragment.startswith("!") else ""
    return urlunsplit((scheme, host, parts.path or "/", query, fragment))


def is_site_root(url: Optional[str]) -> bool:
    """True for a site's front door: no path beyond `/` (or an index file) and no query."""
    if not url:
        return False
    parts = urlsplit(url)
    path = re.sub(r"/(?:index|default|home)\.(?:s?html?|php|aspx?|jsp)$", "/", parts.path, flags=re.I)
    lang_root = re.fullmatch(r"/(?:[a-z]{2}(?:[-_][a-z]{2})?)/?", path, re.I)
    return (path in ("", "/") or lang_root is not None) and not parts.query


URL_DATES_FROM = dt.date(1994, 1, 1)  # no URL date predates the web


def url_day(url: Optional[str]) -> Optional[dt.date]:
    """The day in a URL's date path: /2013/08/03/, /2013/8/3/, -20171022-, /2019-04-03/."""
    if not url:
        return None
    path = urlsplit(url).path
    # The separators must agree (2019-04-03 or 20190403): "/articles/194709-13-ways…" is an id
    # followed by a number, not 13 September 1947. No URL date predates the web.
    for match in re.finditer(r"/((?:19|20)\d{2})/(0?[1-9]|1[0-2])/(0?[1-9]|[12]\d|3[01])(?=/|$|[._])"
                             r"|(?<![\d])((?:19|20)\d{2})-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])(?![\d])"
                             r"|(?<![\d])((?:19|20)\d{2})(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])(?![\d])", path):
        groups = [g for g in match.groups() if g]
        try:
            day = dt.date(int(groups[0]), int(groups[1]), int(groups[2]))
        except ValueError:
            continue
        if URL_DATES_FROM <= day <= dt.date.today():
            return day
    return None
