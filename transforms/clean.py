"""Clean: strip scraped site furniture from a body, move credit lines to `contributors`.

Guarantees, for every article whatever its source format:
- A trailing link block ("Articles You May Like", "Related stories", "More from …", "Most read",
  …) is cut together with every line after it, when it starts in the last part of the text.
- Share, subscribe, sign-up, advertisement and "read more" lines never reach the body.
- "Additional reporting by X in Y", "Reporting by X; Editing by Y", "Associated Press writers X
  in Y and Z contributed to this report" and similar credit lines leave the body; the names
  (without the "in Place" part) go to `contributors`.
- Bylines ("By X and Y") at the head go to `authors`; "— AP" sign-offs, the "Reuter" end mark and
  "(Reporting by X; Editing by Y)" tails leave the body (`transforms.bylines`).
- Wire stamps above a dateline ("Associated Press - January 11, 2008 4:13 PM ET", "1/7/2008, 6:30
  p.m. EST By GILLIAN WONG The Associated Press"), or run into it on one line, maybe after the
  headline, leave the body; their byline names are authors.
- A dateline opening the body ("LONDON, March 3 (Reuters) -") moves to `dateline`
  (`transforms.dateline`), before dedup, so copies that differ only in their dateline still match.
  When an untitled body opens with a headline line followed by a dateline, that line is the title.
- CMS shortcodes never reach the body: `[caption …]…[/caption]`, `[embed]…[/embed]` and other
  media shortcodes go with what they enclose; `[time-brightcove not-tgx="true"]`, `[/pullquote]`
  and other tags with attributes, hyphenated names or a closing tag go, their inner text stays.
  Bracketed words that are text ("[sic]", "[1]", "[…]") stay.
- Feed trailers ("The post X appeared first on Y.") leave the body.
- A body that is only site boilerplate once cleaned (a site tag such as "[allAfrica]", a "Read
  more" link, the site's name) is no article text: a feed teaser with a title becomes a
  `headline` record (its title as its body); anything else raises `NotAnArticle` (dead letter,
  stage `filter`). So two different stories whose whole text is the same tag never fold.
- `content_hash` is computed from the cleaned body, so furniture does not make copies differ; for
  a `headline` record (no text beyond its title) it is bound to the record's identity (url, else
  id), so that two items that share only a title ("Morning briefing") are not exact copies.
"""

from __future__ import annotations

import itertools
import re
from transforms.bylines import split_bylines, clean_authors
from transforms.dateline import AGENCIES, find_dateline, without_dates
from transforms.model import Article, Dateline
from transforms.text import content_fingerprint, count_words, fingerprint_and_count

# A heading that opens a trailing block of links to other stories.
TRAILER_HEADING = re.compile(
    r"^(?:articles|stories|posts|news)?\s*(?:you|that you)\s+(?:may|might)\s+(?:also\s+)?like\b"
    r"|^(?:related|recommended|popular|trending|latest|more)\s+(?:articles?|stories|news|posts|reads?|content|coverage|on\b|from\b|in\b)"
    r"|^(?:most\s+(?:read|popular|viewed|shared)|top\s+stories|read\s+(?:more|next)|see\s+also|also\s+read|further\s+reading|recommended(?:\s+for\s+you)?|related|more\s+stories|editor'?s\s+picks?|don'?t\s+miss|you\s+might\s+be\s+interested\s+in)\s*:?$",
    re.IGNORECASE,
)

# Short lines of site chrome that can appear anywhere in a scraped page.
FURNITURE_LINE = re.compile(
    r"^(?:advertisement|advert|sponsored(?:\s+content)?|skip\s+(?:to\s+)?(?:content|advert\w*)"
    r"|share\s+(?:this|on|via|article|story)\b.*|share\s*:?|(?:click|tap)\s+here\b.*"
    r"|(?:subscribe|sign\s+up|register)\b.{0,80}(?:newsletter|free|today|now|here|updates?|alerts?)\b.*"
    r"|follow\s+us\s+on\b.*|(?:follow|like)\s+\S+\s+on\s+(?:twitter|facebook|instagram|x)\b.*"
    r"|read\s+more\s*:?.{0,120}|continue\s+reading\b.*|(?:image|photo)\s+(?:copyright|caption|credit)\b.{0,100}"
    r"|copyright\s+©?.{0,100}|©.{0,100}|all\s+rights\s+reserved\.?|listen\s+to\s+this\s+article\b.*"
    r"|(?:e-?mail|send)\s+(?:this\s+)?(?:(?:story|article|page)\s+)?to\s+a\s+friend\b.*|create\s+your\s+own\s+rss\b.*"
    r"|get\s+our\s+news\s+by\s+e-?mail\b.*|want\s+to\s+submit\s+a\s+story\??"
    r"|(?:\d{1,2}\s+\w+\s+\d{4}\s+)?last\s+updated\s*:?\s*(?=.*\d).{0,60}"
    r"|(?:email|print|comments?|tweet|pin\s+it|whatsapp|linkedin|facebook|twitter)(?:\s*[|/·•]\s*\w+)*)$",
    re.IGNORECASE,
)

# Credit lines: names after "by", optional "in Place" after each name.
CREDIT_LINE = re.compile(
    r"^\(?(?:(?:additional|further|extra)\s+reporting|reporting|writing|editing|compiled|research)"
    r"(?:\s+and\s+(?:writing|editing|reporting))?\s+by\s+(?P<names>.+?)\)?\.?$",
    re.IGNORECASE,
)
# "Associated Press writers Jane Doe in Beijing and John Roe contributed to this report." (AP's and
# many papers' closing credit): every part must read as a name, else the line is text.
CONTRIBUTED_LINE = re.compile(
    r"^(?:(?:The\s+)?(?:Associated\s+Press|AP)(?:\s+[A-Z]\w+)?\s+(?i:writers?|reporters?|correspondents?"
    r"|researchers?|photographers?|videojournalists?|journalists?)\s+)?(?P<names>[A-Z][^\n]{2,250}?)\s+(?:also\s+)?contributed"
    r"\s+(?:to\s+this\s+(?:report|story|article)|(?:additional\s+)?reporting|research)(?:\s+from\s+[A-Z][^\n]{0,80}?)?\.?$")
_CREDIT_SPLIT = re.compile(r"\s*;\s*(?:(?:additional\s+)?(?:reporting|writing|editing)(?:\s+and\s+\w+)?\s+by\s+)?",
                           re.IGNORECASE)
_NAME_SPLIT = re.compile(r"\s*(?:,|\band\b|&)\s*", re.IGNORECASE)
_IN_PLACE = re.compile(r"\s+in\s+[A-Z][\w.' -]*$")
_NAME = re.compile(r"^[A-Z][\w'’.-]*(?:\s+(?:[A-Z][\w'’.-]*|de|da|van|von|der|al|bin|el|la|le|du|di))*$")

# WordPress-style shortcodes. Media shortcodes go with what they enclose (an image caption, an
# embedded URL); for other paired shortcodes only the tags go.
MEDIA_SHORTCODES = ("caption", "wp_caption", "embed", "video", "audio", "gallery", "playlist", "youtube",
                    "vimeo", "tweet", "twitter", "instagram", "facebook", "iframe", "soundcloud", "spotify",
                    "brightcove", "jwplayer", "ad", "ads", "adsense", "related", "contact-form", "poll")
_MEDIA_BLOCK = re.compile(
    r"\[(?P<tag>" + "|".join(re.escape(t) for t in MEDIA_SHORTCODES) + r")\b[^\]]{0,500}\].{0,2000}?\[/(?P=tag)\]",
    re.IGNORECASE | re.DOTALL)
# A shortcode tag: with attributes (`name="…"`), a hyphen or underscore in its name, or a closing tag.
_SHORTCODE_TAG = re.compile(
    r"\[/?[a-z][a-z0-9]*(?:[-_][a-z0-9]+)+(?:\s[^\[\]]{0,500})?\]"
    r"|\[[a-z][a-z0-9_-]*\s+[^\[\]]{0,500}?=[^\[\]]{0,500}\]"
    r"|\[/[a-z][a-z0-9_-]*\]"
    r"|\[(?:" + "|".join(re.escape(t) for t in MEDIA_SHORTCODES) + r")\b[^\[\]]{0,500}\]",
    re.IGNORECASE)
# "The post X appeared first on Y." and kin, which feed engines append to every item: a last
# paragraph, or the last sentence of one.
FEED_TRAILER = re.compile(
    r"(?:^|(?<=[.!?…\]”\"'])\s+)(?:the\s+post\s+.{1,300}?\s+appeared\s+first\s+on\s+[^\n,;]{1,80}?"
    r"|(?:this|the)\s+(?:article|entry|post)(?:\s+.{1,300}?)?\s+(?:appeared|was\s+(?:first\s+)?published)"
    r"\s+(?:first\s+)?(?:on|at)\s+[^\n,;]{1,80}?)\.?\s*$", re.IGNORECASE | re.DOTALL)


# A trailer is at most a few hundred characters long (its parts are bounded above), so only the
# text's last TRAILER_SPAN characters are searched: a match anchored at the end cannot start before.
TRAILER_SPAN = 4096


def strip_feed_trailer(text: str) -> str:
    """Text without a closing "The post X appeared first on Y." trailer."""
    text = text.rstrip()
    start = max(0, len(text) - TRAILER_SPAN)
    tail = text[start:].lower()
    if "appeared" not in tail and "published" not in tail:  # every trailer says one or the other
        return text
    # search from a position (not a slice): the look-behind and `^` still see the real text
    match = FEED_TRAILER.search(text, start)
    return text[:match.start()].rstrip() if match else text
# What is left of a body that is only boilerplate: bracketed tags, ellipses, "read more" links.
_BOILERPLATE = re.compile(
    r"\[[^\]]{0,60}\]|\(\s*more\s*(?:\.\.\.|…)?\s*\)|\.\.\.|…"
    r"|\b(?:read|view|see)\s+(?:more|full\s+(?:story|article))\b|\bcontinue\s+reading\b"
    r"|\b(?:weiterlesen|lire\s+la\s+suite|leer\s+m[aá]s|ler\s+mais|leggi\s+tutto)\b", re.IGNORECASE)

# A trailer heading further up than this fraction of the text is more likely part of the story.
TRAILER_MIN_POSITION = 0.5
_SPACE_RUN = re.compile(r"[ \t\f\v]{2,}|\t")
FURNITURE_MAX_WORDS = 25
# Section labels a page prints above the headline inside the story's container: how many, how long.
HEADLINE_SEARCH = 2
LABEL_MAX_WORDS = 4
LABEL_MAX_CHARS = 40
HEADLINE_MAX_WORDS = 20

# Wire furniture above a story's dateline on sites that carry agency copy: a stamp of agency, day
# and time, a byline, a source URL ("Associated Press - January 11, 2008 4:13 PM ET", "1/7/2008,
# 6:30 p.m. EST By GILLIAN WONG The Associated Press", "Reuters", "Published: Sunday, December 30,
# 2007", "AP Golf Writer", "By JEFF KAROUB, AP Writer 47 minutes ago"). What is left of such a line
# once these parts are taken out has no letter.
_AGENCY_NAMES = "|".join(re.escape(name) for name in sorted(AGENCIES, key=len, reverse=True))
_STAMP_PARTS = re.compile(
    r"\b\d{1,2}[:.]\d{2}(?:[:.]\d{2})?\s*(?i:[ap]\.?m\.?)?|\b\d{1,4}[-/.]\d{1,2}[-/.]\d{2,4}\b"
    r"|\b(?:[ECMP][SD]?T|GMT|UTC|BST|CES?T)(?:\b|(?=The\b))|\b(?i:mon|tues?|wed|thu(?:rs?)?|fri|sat|sun)\b\.?"
    r"|\b(?i:published|posted|updated|last updated|on|at|from)\b:?|(?:https?://|www\.)\S+|©"
    r"|(?<![a-z])(?i:(?:the\s+)?(?:" + _AGENCY_NAMES + r"))\b"
    r"|\b[A-Z][\w-]*(?:\s+[A-Z][\w-]*)?\s+(?:Writer|Editor|Correspondent|Reporter)\b")
_STAMP_BYLINE = re.compile(r"\bBy\s+(?P<names>[^\n]{2,80})$")
_STAMP_AGO = re.compile(r"\s*\b\d+\s+(?:minutes?|mins?|hours?|hrs?|days?)\s+ago\b", re.IGNORECASE)
STAMP_MAX_CHARS = 160
STAMP_PARAGRAPHS = 3  # stamp paragraphs looked at above the dateline
# A stamp run into its dateline on one line: a separator the dateline ends with must come early,
# and the dateline starts at one of the paragraph's first words.
_SEPARATOR_AHEAD = re.compile(r"\s(?:--|[-–—_:])\s|\)\s*(?:--|[-–—:])")
_WORD_START = re.compile(r"(?:^|(?<=\s))[A-Z]")
_STAMP_OPENING = re.compile(
    r"By\s|©|\d|(?i:posted|published|updated|(?:mon|tue|wed|thu|fri|sat|sun|jan|feb|mar|apr|may|jun|jul|aug|sep|oct"
    r"|nov|dec)[a-z]*\b|(?:the\s+)?(?:" + _AGENCY_NAMES + r")\b)")


def credit_names(line: str) -> list[str] | None:
    """The names of a credit line, or None when the line is not a credit line."""
    match = CREDIT_LINE.match(line.strip())
    # (The literal first: CONTRIBUTED_LINE tries up to 250 characters of any capitalised line.)
    contributed = None if match or "contributed" not in line else CONTRIBUTED_LINE.match(line.strip())
    if not match and not contributed:
        return None
    names: list[str] = []
    for chunk in _CREDIT_SPLIT.split((match or contributed).group("names")):
        for part in _NAME_SPLIT.split(chunk):
            part = _IN_PLACE.sub("", part.strip().rstrip(".;)"))
            if part and _NAME.match(part):
                if part not in names:
                    names.append(part)
            elif part and contributed:
                return None
    if contributed:
        return clean_authors(names)  # an agency credited ("The Associated Press") is not a person
    return names or None


def strip_shortcodes(text: str) -> str:
    """Text without CMS shortcodes (media shortcodes with what they enclose)."""
    if "[" not in text:
        return text
    text = _MEDIA_BLOCK.sub(" ", text)
    for name in set(re.findall(r"\[/([a-z][a-z0-9_-]*)\]", text, re.IGNORECASE)):
        text = re.sub(rf"\[{re.escape(name)}\]", " ", text, flags=re.IGNORECASE)  # opener of a closed pair
    text = _SHORTCODE_TAG.sub(" ", text)
    return re.sub(r"[ \t]{2,}", " ", text)


def clean_body(body: str) -> tuple[str, list[str]]:
    """Body text -> (cleaned body, contributor names found in credit lines)."""
    paras = [p.strip() for p in strip_feed_trailer(strip_shortcodes(body)).split("\n\n") if p.strip()]
    total_chars = sum(len(p) for p in paras) or 1
    seen_chars = 0
    kept: list[str] = []
    contributors: list[str] = []
    for para in paras:
        # Runs of spaces and tabs inside a line are layout (a page's indented markup), not text.
        lines = [_SPACE_RUN.sub(" ", line.strip()) if "  " in line or "\t" in line else line.strip()
                 for line in para.split("\n") if line.strip()]
        if (kept and seen_chars / total_chars >= TRAILER_MIN_POSITION
                and TRAILER_HEADING.match(lines[0])):
            break
        seen_chars += len(para)
        kept_lines = []
        for line in lines:
            names = credit_names(line)
            if names is not None:
                contributors.extend(n for n in names if n not in contributors)
                continue
            if len(line.split()) <= FURNITURE_MAX_WORDS and FURNITURE_LINE.match(line):
                continue
            kept_lines.append(line)
        if kept_lines:
            kept.append("\n".join(kept_lines))
    return "\n\n".join(kept), contributors


class NotAnArticle(ValueError):
    """The record holds no article text (only site boilerplate); dead letter at stage `filter`."""

    stage = "filter"


def _compact(text: str) -> str:
    return re.sub(r"[\W_]+", " ", text.casefold()).strip()


def is_boilerplate(body: str, names: tuple[str | None, ...] = ()) -> bool:
    """True when a cleaned body holds no words beyond bracketed site tags ("[allAfrica]"),
    ellipses, "read more" links and the given names (the site, the host)."""
    first, _, more = body.partition("\n\n")
    if more and "[" not in first and not _is_boilerplate(first, names):
        return False  # the first paragraph alone has words to keep (no bracketed tag runs out of it)
    return _is_boilerplate(body, names)


def _is_boilerplate(body: str, names: tuple[str | None, ...]) -> bool:
    rest = _compact(_BOILERPLATE.sub(" ", body))
    for name in names:
        key = _compact(name or "")
        if key:
            rest = re.sub(rf"(?:^|\s){re.escape(key)}(?=\s|$)", " ", rest).strip()
    return not rest


def split_dateline(title: str | None, body: str, hint: str | None = None
                   ) -> tuple[str | None, Dateline | None, str]:
    """(title, dateline, body without it). An untitled body whose first line is a headline and
    whose second paragraph opens with a dateline gets that line as its title."""
    dateline, rest = find_dateline(body, hint)
    if dateline is None and title is None and "\n\n" in body:
        head, tail = body.split("\n\n", 1)
        # A dateline right after it is what shows a short single line to be a headline.
        if "\n" not in head and len(head.split()) <= HEADLINE_MAX_WORDS:
            after, tail_rest = find_dateline(tail, hint)
            if after is not None:
                return head.strip(), after, tail_rest
    return title, dateline, rest


def _stamp_authors(paragraph: str) -> list[str] | None:
    """The people a paragraph of wire furniture (`_STAMP_PARTS`) credits, [] for none; None when the
    paragraph is text."""
    if len(paragraph) > STAMP_MAX_CHARS or "\n" in paragraph:
        return None
    authors: list[str] = []
    paragraph = _STAMP_AGO.sub("", paragraph).strip()
    byline = _STAMP_BYLINE.search(paragraph)
    if byline:
        authors = clean_authors([byline["names"]])
        if not authors:
            return None
        paragraph = paragraph[:byline.start()]
    rest = _STAMP_PARTS.sub(" ", without_dates(paragraph))
    return None if re.search(r"[^\W\d_]", rest) else authors


def _glued_stamp(paragraph: str, title: str | None) -> tuple[str, list[str]] | None:
    """(paragraph from its dateline on, authors) when the paragraph opens with a stamp, maybe after
    the headline, run into the dateline on one line ("By JAE-SOON CHANG, Associated Press Writer 42
    minutes ago SEOUL, South Korea - …", "<headline> Associated Press - January 16, 2008 12:55 PM ET
    NEW YORK (AP) - …", "<headline> SALMON, Idaho, Jan 17 (Reuters) - …"); None otherwise."""
    text = paragraph
    if title:
        words = len(title.split())
        lead = paragraph.split(None, words)
        if len(lead) > words and _compact(" ".join(lead[:words])) == _compact(title):
            text = lead[words]
    after_headline = text is not paragraph
    opens_with_stamp = _STAMP_OPENING.match(text) is not None
    if not (after_headline or opens_with_stamp) or not _SEPARATOR_AHEAD.search(text[:STAMP_MAX_CHARS * 2]):
        return None
    if after_headline and _place_dateline(text):
        return text, []  # the headline run into the dateline
    if not opens_with_stamp:
        return None
    starts = [m.start() for m in itertools.islice(_WORD_START.finditer(text[:STAMP_MAX_CHARS + 1]), 1, None)]
    for start in reversed(starts):  # the longest stamp: "… 12:55 PM ET" before "NEW YORK (AP)"
        if not _place_dateline(text[start:]):  # the cheaper test first: most words start no dateline
            continue
        prefix = text[:start].strip()
        found = _stamp_authors(prefix)
        if found and _squash_word(prefix.split()[-1]) in {_squash_word(w) for n in found for w in n.split()}:
            continue  # a name runs into the place ("By JOHN SMITH NEW YORK"): where one ends is unknown
        if found is not None:
            return text[start:], found
    return None


def _squash_word(word: str) -> str:
    return re.sub(r"\W", "", word).casefold()


def _place_dateline(text: str) -> bool:
    """Does the text open with a dateline that names a place (not "By …", not a date alone)?"""
    dateline = find_dateline(text)[0]
    return dateline is not None and dateline.city is not None and not text.startswith(("By ", "BY "))


def without_wire_stamp(body: str, title: str | None = None) -> tuple[str, list[str]]:
    """(body, authors): the body less the wire furniture paragraphs above its dateline, and the
    people their byline names. Only when a dateline follows them: otherwise the body is left alone."""
    paras = body.split("\n\n", STAMP_PARAGRAPHS)
    glued = _glued_stamp(paras[0], title)
    if glued is not None:
        return "\n\n".join([glued[0], *paras[1:]]), glued[1]
    authors: list[str] = []
    for index in range(min(STAMP_PARAGRAPHS, len(paras) - 1)):
        found = _stamp_authors(paras[index].strip())
        if found is None:
            break
        authors.extend(n for n in found if n not in authors)
        rest = "\n\n".join(paras[index + 1:])
        if find_dateline(rest)[0] is not None:
            return rest, authors
    return body, []


def without_headline(body: str, title: str | None) -> str:
    """The body less a paragraph near its top that only repeats the headline (a page's <h1> inside
    the story's container; 224 of 1,324 real pages), with the section labels above it ("News",
    "Golf", "Today's Citizen": short paragraphs only)."""
    if not title:
        return body
    paras = body.split("\n\n", HEADLINE_SEARCH + 1)
    key = _compact(title)
    for index, para in enumerate(paras[:HEADLINE_SEARCH + 1]):
        if _compact(para) == key:
            rest = "\n\n".join(paras[index + 1:])
            return rest if rest.strip() else body
        if len(para.split()) > LABEL_MAX_WORDS or len(para) > LABEL_MAX_CHARS:
            break  # text of the story (words, or characters of a script without spaces)
    return body


def clean_article(article: Article) -> Article:
    """An article with a clean body, credits moved, and its content hash and word count set."""
    body, credits = clean_body(article.body)
    body = without_headline(body, article.title)
    body, authors_found, tail_credits = split_bylines(body)
    body, stamp_authors = without_wire_stamp(body, article.title)
    authors_found += [n for n in stamp_authors if n not in authors_found]
    title, dateline, body = split_dateline(article.title, body, article.hints.get("dateline"))
    body = body.strip()
    text_kind = article.text_kind
    site_names = (article.site, article.hints.get("channel"))
    if is_boilerplate(body, site_names) and not (
            text_kind == "headline" and title and _compact(body) == _compact(title)):
        if title and text_kind in ("teaser", "headline") and not is_boilerplate(title, site_names):
            body, text_kind = title, "headline"
        else:
            shown = article.body.strip()[:80]
            raise NotAnArticle(f"body is only site boilerplate ({shown!r}) once cleaned: no article text")
    contributors = list(article.contributors)
    contributors.extend(n for n in credits + tail_credits if n not in contributors)
    authors = list(article.authors)
    authors.extend(n for n in authors_found if n not in authors)
    if text_kind == "headline":  # a headline record's body is its title: its copies share its identity
        content_hash, word_count = content_fingerprint(f"{body}\n{article.url or article.id}"), count_words(body)
    else:
        content_hash, word_count = fingerprint_and_count(body)
    return article.model_copy(update={
        "title": title,
        "body": body,
        "dateline": dateline if dateline is not None else article.dateline,
        "authors": authors,
        "contributors": contributors,
        "text_kind": text_kind,
        "content_hash": content_hash,
        "word_count": word_count,
    })
