"""Wire-service text: ANPA 1312 (the Associated Press's and Canadian Press's feeds) and IPTC 7901
(dpa's and other agencies' text services), as the agencies transmit them.

Both frame a message with transmission control characters: SOH (0x01) opens a header line,
STX (0x02) the text, ETX (0x03) closes it, and a trailer after ETX stamps the filing time; EOT
(0x04) ends the message, SYN (0x16) may come before it. One file may hold several messages: each
is one record.

ANPA 1312: the header names priority, category and the story's keyword (slug). Lines of the
text's head open with `^` (a format mark): the keyword line (`^BC-LT--Argentina-Cancer
Beauty,466<`), the headline, notes for editors (`^AP Photo …`, `^Eds: …`, `^EDITOR'S NOTE _ …`),
an abstract, the byline (`^By PAUL BYRNE and ALMUDENA CALATRAVA=`) and the writer's desk
(`^Associated Press=`). Paragraphs open with a tab. `<` and `=` end lines (flush left / centred);
ASCII-only feeds write a dash as ` _ `. The trailer reads `AP-WF-11-13-13 1509GMT` (MM-DD-YY).

IPTC 7901 (dpa): the header line is followed by the keywords (`Germany-politics/`), STX, a
headline block that ends with ` =` (flags such as `REFILE`, `1ST LEAD`, `EXTRA`, `(Achtung)`, the
headline, a `By …` line), then paragraphs wrapped at ~70 characters and separated by blank lines.
What follows "The following information is not (intended) for publication", a `# Notebook`, and
the editors' initials (`dpa wsz jln npr`) are not the story; its `- Reporting by:` / `- Editing
by:` lines name the authors and editors. The trailer reads `131137 GMT Nov 13` (DDHHMM, month,
YY).
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from typing import Any, Optional

from transforms.formats import ParseError
from transforms.formats.feeds import credited_people
from transforms.model import UTC

SOH, STX, ETX, EOT, SYN = b"\x01", b"\x02", b"\x03", b"\x04", b"\x16"

__all__ = ["looks_like_wire", "parse_wire", "split_wire"]


def looks_like_wire(data: bytes) -> bool:
    """A transmission-framed message: SOH first (after any SYN and line breaks), STX soon after."""
    head = data[:4096].lstrip(SYN + b"\r\n")
    return head[:1] == SOH and STX in head


def split_wire(data: bytes) -> list[bytes]:
    """The messages of a file: each from its SOH to the next message's (only those with text)."""
    starts = [m.start() + len(m.group(1)) for m in re.finditer(rb"(^|[\x04\x16\r\n])\x01", data)]
    parts = [data[a:b] for a, b in zip(starts, starts[1:] + [len(data)])]
    return [part for part in parts if STX in part]


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def _two_digit_year(yy: str) -> int:
    return 2000 + int(yy) if int(yy) < 70 else 1900 + int(yy)


def _stamp(year: int, month: int, day: int, hour: int, minute: int) -> Optional[dt.datetime]:
    try:
        return dt.datetime(year, month, day, hour, minute, tzinfo=UTC)
    except ValueError:
        return None


_ANPA_STAMP = re.compile(r"(\d{2})-(\d{2})-(\d{2})\s+(\d{2})(\d{2})\s*GMT")
_MONTHS = {name.lower(): i for i, name in enumerate(calendar.month_abbr) if name}
_IPTC_STAMP = re.compile(r"\b(\d{2})(\d{2})(\d{2})\s+(?:GMT\s+)?([A-Za-z]{3})\s+(\d{2})\b")


def filing_time(trailer: str) -> Optional[dt.datetime]:
    """The filing time a trailer stamps: `AP-WF-11-13-13 1509GMT` or `131137 GMT Nov 13`."""
    match = _ANPA_STAMP.search(trailer)
    if match:
        month, day, yy, hour, minute = match.groups()
        return _stamp(_two_digit_year(yy), int(month), int(day), int(hour), int(minute))
    match = _IPTC_STAMP.search(trailer)
    if match and match.group(4).lower() in _MONTHS:
        day, hour, minute, month, yy = match.groups()
        return _stamp(_two_digit_year(yy), _MONTHS[month.lower()], int(day), int(hour), int(minute))
    return None


# Control characters inside a message (framing, tab-stop record separators of tables, format
# codes): each becomes a space. Line breaks and tabs stay, they shape the text.
_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _frame(message: bytes) -> tuple[str, str, str]:
    """(header, text, trailer) of one message."""
    header, _, rest = message.partition(STX)
    text, _, trailer = rest.partition(ETX)
    clean = lambda raw: _CONTROLS.sub(" ", _decode(raw).replace("\r", ""))
    return clean(header.lstrip(SYN + SOH)), _decode(text).replace("\r", ""), clean(trailer)


def _line(text: str) -> str:
    """A line without format marks, control characters and end-of-line quad marks."""
    text = _CONTROLS.sub(" ", text)
    text = re.sub(r"\s*[<=]\s*$", "", text.strip())
    return " ".join(text.lstrip("^").split()).replace(" _ ", " — ")


# --- ANPA 1312 ---------------------------------------------------------------------------------------

_ANPA_NOTE = re.compile(r"^(?:AP (?:Photos?|Video|Audio|Graphics?)\b|Eds?:|EDITOR'?S NOTE\b|With AP Photos?\b"
                        r"|Editor'?s [Nn]ote\b|Moved on\b)")
_ANPA_DESK = re.compile(r"\b(?:Press|Writer|Correspondent|Editor|Columnist|Reporter)s?\b")
_KEYWORD_LINE = re.compile(r"^\^?(?:\*\S*\s+\^)?[A-Za-z]{1,4}-.*,\s*\d+\s*<?\s*$|--")


def _anpa(header: str, text: str, trailer: str) -> dict[str, Any]:
    lines = text.split("\n")
    head: list[str] = []
    i = 0
    while i < len(lines) and not lines[i].startswith("\t"):
        if lines[i].strip():
            head.append(lines[i])
        i += 1
    tail = lines[i:]
    keyword = ""
    if head and _KEYWORD_LINE.search(head[0]):
        keyword = _line(head.pop(0).split("^")[-1])
    by_at = next((k for k, line in enumerate(head) if re.match(r"^By\s", _line(line))), None)
    before = [_line(line) for line in (head[:by_at] if by_at is not None else head)]
    before = [line for line in before if line and not _ANPA_NOTE.match(line)]
    title = before[0] if before else None
    paras: list[str] = []
    authors: list[str] = []
    if by_at is not None:
        authors = credited_people([_line(head[by_at])])
        after = [_line(line) for line in head[by_at + 1:]]
        while after and len(after[0].split()) <= 6 and _ANPA_DESK.search(after[0]):
            after.pop(0)  # the writer's desk: "Associated Press", "AP Sports Writer"
        paras += [line for line in after if line]
    else:
        paras += before[1:]  # no byline: a list of lines under a headline is the story itself
    for raw in tail:
        line = _line(raw)
        if line and not re.fullmatch(r"_+|-+|END", line):
            paras.append(line)
    fields = header.split("\n")
    slug = re.search(r"\b([A-Za-z]{1,4}-[\w-]+)", fields[1] if len(fields) > 1 else "")
    agency = "Associated Press" if trailer.strip().startswith("AP-") or (paras and "(AP)" in paras[0][:120]) else None
    return {"title": title, "body": paras, "authors": authors, "contributors": [], "site": agency,
            "keywords": re.sub(r",\s*\d*$", "", keyword) or (slug.group(1) if slug else "")}


# --- IPTC 7901 -----------------------------------------------------------------------------------------

_NOT_FOR_PUBLICATION = re.compile(r"^(?:The following information is not (?:intended )?for publication"
                                  r"|#\s*(?:Notebook|Notizblock|dpa\b)|\*(?:\s*\*){2,}\s*$)", re.IGNORECASE)
_FLAG = re.compile(r"^(?:\(.*\)|[A-Z0-9 .-]{2,24})$")


def _iptc7901(header: str, text: str, keywords: str) -> dict[str, Any]:
    lines = text.split("\n")
    head_end = next((k for k, line in enumerate(lines) if line.rstrip().endswith("=")), None)
    head = [_line(line) for line in (lines[:head_end + 1] if head_end is not None else [])]
    head = [line for line in head if line]
    body_lines = lines[head_end + 1:] if head_end is not None else lines
    authors: list[str] = []
    if head and re.match(r"^By\s", head[-1]):
        authors = credited_people([head.pop()])
    while len(head) > 1 and _FLAG.match(head[0]):
        head.pop(0)  # REFILE, 1ST LEAD, EXTRA, (Achtung)
    title = " ".join(head) or None
    paras: list[str] = []
    current: list[str] = []
    notes: list[str] = []
    for k, raw in enumerate(body_lines):
        line = raw.strip()
        if _NOT_FOR_PUBLICATION.match(line):
            notes = [_line(rest) for rest in body_lines[k:]]
            break
        if not line:
            if current:
                paras.append(" ".join(current))
                current = []
            continue
        current.append(" ".join(line.split()))
    if current:
        paras.append(" ".join(current))
    if paras and re.fullmatch(r"dpa(?:\s+[a-z]{2,4})+", paras[-1]):
        paras.pop()  # the editors' initials
    credits = {role: credited_people([m.group(2)]) for line in notes
               if (m := re.match(r"^-?\s*(Reporting|Editing) by:\s*(.+)$", line))
               for role in [m.group(1).lower()]}
    if not authors:
        authors = credits.get("reporting", [])
    words = header.split()
    site = words[-2] if len(words) >= 2 and re.fullmatch(r"[a-z][a-z-]+", words[-2]) else None
    return {"title": title, "body": paras, "authors": authors, "contributors": credits.get("editing", []),
            "site": site, "keywords": keywords}


def parse_wire(message: bytes) -> dict[str, Any]:
    """One framed message -> article fields; ParseError when it holds no story text."""
    header, text, trailer = _frame(message)
    header_lines = [line for line in header.split("\n") if line.strip()]
    # IPTC 7901 puts the keywords on their own line, ending with "/", after the header line.
    if len(header_lines) >= 2 and header_lines[-1].rstrip().endswith("/"):
        fields = _iptc7901(header_lines[0], text, header_lines[-1].strip().rstrip("/"))
    else:
        fields = _anpa(header, text, trailer)
    if not fields["body"]:
        raise ParseError("wire message has no story text between STX and ETX")
    return {
        "title": fields["title"],
        "body": "\n\n".join(fields["body"]),
        "url": None,
        "site": fields["site"],
        "authors": fields["authors"],
        "contributors": fields["contributors"],
        "published_at": filing_time(trailer),
        "hints": {"keywords": fields["keywords"][:500]},
    }
