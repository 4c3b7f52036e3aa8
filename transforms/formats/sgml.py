"""Reuters-21578 style SGML: a file of `<REUTERS …>` stories -> one record per story.

The collection's SGML is not XML (undeclared entities such as `&#5;`, control characters, no
root element), so stories are cut out by their tags. Each story gives `<TITLE>`, `<DATELINE>`
(kept as the dateline hint; the body does not repeat it), `<BODY>` (lines wrapped at ~70
columns, paragraphs indented: re-flowed into paragraphs) and `<DATE>` (`26-FEB-1987
15:01:01.79`, taken as UTC). A story without a body (`TYPE="BRIEF"`, title only) is not an
article and fails with a `ParseError`.
"""

from __future__ import annotations

import datetime as dt
import html
import re
from typing import Any, Optional

from transforms.formats import ParseError

STORY = re.compile(rb"<REUTERS\b[^>]*>(.*?)</REUTERS>", re.S | re.I)
_FIELD = {name: re.compile(rf"<{name}>(.*?)</{name}>", re.S | re.I)
          for name in ("TITLE", "DATELINE", "BODY", "DATE", "AUTHOR")}
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_NEWID = re.compile(rb'NEWID="(\d+)"')


def looks_like_reuters_sgml(head: str) -> bool:
    return bool(re.match(r"(?:<!DOCTYPE\s+lewis\b[^>]*>\s*)?<REUTERS\b", head, re.I))


def split_stories(data: bytes) -> list[bytes]:
    """The bytes of each `<REUTERS>` story, in file order."""
    stories = [m.group(0) for m in STORY.finditer(data)]
    if not stories:
        raise ParseError("SGML file holds no <REUTERS> stories")
    return stories


def _text(raw: Optional[str]) -> str:
    return _CONTROL.sub("", html.unescape(raw or "")).strip()


def _paragraphs(raw: str) -> str:
    text = _CONTROL.sub("", html.unescape(raw)).replace("\r", "")
    # Paragraphs start on a new line indented by spaces; other line breaks are wrapping.
    blocks = re.split(r"\n[ \t]+(?=\S)", "\n" + text.strip("\n"))
    paras = [" ".join(block.split()) for block in blocks]
    return "\n\n".join(p for p in paras if p)


def parse_date(value: str) -> Optional[dt.datetime]:
    text = value.strip()
    for fmt in ("%d-%b-%Y %H:%M:%S.%f", "%d-%b-%Y %H:%M:%S", "%d-%b-%Y"):
        try:
            return dt.datetime.strptime(text, fmt).replace(tzinfo=dt.timezone.utc)
        except ValueError:
            continue
    return None


def parse_story(data: bytes) -> dict[str, Any]:
    """One `<REUTERS>` story -> article fields."""
    text = data.decode("latin-1")
    found = {name: pattern.search(text) for name, pattern in _FIELD.items()}
    body = _paragraphs(found["BODY"].group(1)) if found["BODY"] else ""
    if not body:
        raise ParseError("SGML story has no <BODY> (a brief or unprocessed story: headline only)")
    dateline = _text(found["DATELINE"].group(1)) if found["DATELINE"] else ""
    newid = _NEWID.search(data)
    hints = {"dateline": dateline.rstrip(" -–—").strip() if dateline else "",
             "story_id": newid.group(1).decode() if newid else ""}
    author = _text(found["AUTHOR"].group(1)) if found["AUTHOR"] else ""
    author = re.sub(r"^by\s+", "", author, flags=re.I).split(",")[0].strip()
    return {
        "title": _text(found["TITLE"].group(1)) if found["TITLE"] else None,
        "body": body,
        "authors": [author] if author else [],
        "published_at": parse_date(_text(found["DATE"].group(1))) if found["DATE"] else None,
        "site": "Reuters",
        "hints": {k: v for k, v in hints.items() if v},
    }
