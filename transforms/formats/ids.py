"""An article's identity as its source states it: own URL, item guid, publisher host.

The id rule (`transforms.parse.build_article`): hash of the article's own canonical URL, else of
its feed/wire guid (`guid_key`), else of its `source_uri`. Parsers decide what is "own": a feed
item's `link` / Atom `rel="alternate"` link, a NewsML-G2 link whose relation says it is the item
itself; never a reference (`irel:seeAlso`, `related`, `enclosure`, a NITF edition reference).

A guid names one item only within its issuer: `tag:`, `urn:`, `http(s):` guids, UUIDs and long
hex digests are unique as they stand; a bare number or code ("23246627", "T2015…") is unique only
inside its feed or agency, so `guid_key` prefixes it with that scope (the feed's host, the
agency), and two feeds that both number their items from 1 never share an id.
"""

from __future__ import annotations

import re
from typing import Optional
from urllib.parse import urlsplit

from tld import get_tld

# A guid that carries its own namespace: a URI scheme (tag:, urn:, http:, yt:video:), a UUID,
# or a long hexadecimal digest.
_GLOBAL_GUID = re.compile(
    r"^(?:[a-z][a-z0-9+.-]*:\S+|[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}\S*"
    r"|[0-9a-f]{24,})$", re.IGNORECASE)


def guid_key(guid: Optional[str], scope: Optional[str]) -> Optional[str]:
    """The key an item's guid is hashed under: the guid itself when it is globally unique, else
    `<scope>|<guid>` (scope: the feed's or agency's name or host); None without a guid, or for
    a guid that is unique only within a scope nobody named (the id then falls back to the source)."""
    guid = " ".join((guid or "").split())
    if not guid:
        return None
    if _GLOBAL_GUID.match(guid):
        return guid
    scope = " ".join((scope or "").split()).lower()
    return f"{scope}|{guid}" if scope else None


def http_url(value: Optional[str]) -> Optional[str]:
    """`value` when it is an absolute http(s) URL (whitespace trimmed), else None."""
    value = (value or "").strip()
    return value if re.match(r"^https?://[^\s/]+", value, re.IGNORECASE) and " " not in value else None


def host_of(url: Optional[str]) -> Optional[str]:
    """Host of a URL without a leading `www.`; None when there is none."""
    if not url:
        return None
    try:
        host = urlsplit(url.strip()).hostname
    except ValueError:
        return None
    return without_www(host) or None


def without_www(host: Optional[str]) -> Optional[str]:
    """A host name without a leading `www.` ("www.sda-ats.ch" -> "sda-ats.ch")."""
    return host[4:] if host and host.lower().startswith("www.") else host


def registrable_domain(host: Optional[str]) -> tuple[Optional[str], Optional[str]]:
    """(name part, registrable domain) of a host: ('mirror', 'mirror.co.uk') for
    www.mirror.co.uk, ('uol', 'uol.com.br') for noticias.uol.com.br (public suffixes from the
    `tld` package's bundled list); (None, None) for hosts without one (localhost, IPs)."""
    if not host:
        return None, None
    found = get_tld(host, fix_protocol=True, as_object=True, fail_silently=True)
    if found is None or not getattr(found, "domain", None):
        return None, None
    return found.domain.lower(), found.fld.lower()


def domain_label(host: Optional[str]) -> Optional[str]:
    """The name part of a host's registrable domain (`mirror` for www.mirror.co.uk)."""
    return registrable_domain(host)[0]
