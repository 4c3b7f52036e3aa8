"""Bylines and sign-offs: who wrote a story, taken out of its body.

- Head: "By Jane Doe and John Roe", "By JANE DOE, Reuters", "Von Anja Semmelroch, dpa" lines in
  the first paragraphs -> `authors`.
- Tail: "— AP" / "-- Reuters" sign-offs and the old Reuters "Reuter" end mark are cut; the Reuters
  "(Reporting by X; Writing by Y; Editing by Z)" parenthesis closing a paragraph is cut and its names
  go to `contributors` (credit lines on their own line are handled by `transforms.clean`).
"""

from __future__ import annotations

import re

_AGENCY_WORDS = (r"Reuters?|AP|AFP|UPI|dpa|Associated Press|Agence France-Presse|Bloomberg|CNN|BBC News"
                 r"|Xinhua|Kyodo|ANSA|EFE|PA|AAP|Staff Writer|Staff Reporter|Correspondent|Special Correspondent"
                 r"|Staff|Contributor|[A-Z][\w ]{0,30} (?:Correspondent|Editor|Reporter|Writer)")
BYLINE = re.compile(
    rf"^(?:By|BY|Von|Par|Por|Di|Door|Av)\s+(?P<names>[^\n]{{2,160}}?)"
    rf"(?:\s*(?:,|\||/|—|–|-)\s*(?:{_AGENCY_WORDS})(?:\s+(?:in|at)\s+[A-Z][\w ,.'-]*)?)?\s*$")
_NAME_SPLIT = re.compile(r"\s*(?:,|;|\band\b|\bund\b|\bet\b|\by\b|&)\s*")
_PERSON = re.compile(r"^(?:[A-ZÀ-Þ][\w'’.-]*|[A-Z]\.|de|da|van|von|der|den|al|bin|el|la|le|du|di|dos|del|ter)"
                     r"(?:\s+(?:[A-ZÀ-Þ][\w'’.-]*|[A-Z]\.|de|da|van|von|der|den|al|bin|el|la|le|du|di|dos|del|ter)){1,4}$")
SIGN_OFF = re.compile(r"\s*(?:(?:—|–|--|-)\s*(?:AP|Reuters|AFP|UPI|dpa|The Associated Press)|\bReuters?|REUTERS?)\s*$")
# The old Reuters end mark: "Reuter" alone closes the story whatever precedes it.
END_MARK = re.compile(r"(?:^|\s)(?:Reuter|REUTER)\s*$")
_SIGN_OFF_AFTER = re.compile(r"(?:^|[.!?\"'”’)\]]\s*|\n)$")
TAIL_CREDITS = re.compile(
    r"\s*\((?P<credits>(?:(?:additional\s+)?(?:reporting|writing|editing|compiled|research|editing and writing)"
    r"(?:\s+and\s+\w+)?\s+by\s+[^()]{2,300}))\)\s*$", re.IGNORECASE)
_CREDIT_PART = re.compile(r"(?:(?:additional\s+)?(?:reporting|writing|editing|compiled|research)(?:\s+and\s+\w+)?\s+by\s+)",
                          re.IGNORECASE)
_IN_PLACE = re.compile(r"\s+(?:in|at|from)\s+[A-Z][\w.' -]*$")
HEAD_PARAGRAPHS = 3


def person_names(text: str) -> list[str]:
    """The person names in "Jane Doe and John Roe, Reuters"-like text; [] when it is not names."""
    names: list[str] = []
    for part in _NAME_SPLIT.split(text):
        part = _IN_PLACE.sub("", part.strip().strip(".;:)("))
        if not part:
            continue
        if part.isupper():
            part = part.title()
        if _PERSON.match(part):
            if part not in names:
                names.append(part)
        elif re.fullmatch(rf"(?:{_AGENCY_WORDS})", part) is None:
            return []
    return names


def byline_names(line: str) -> list[str] | None:
    """Names of a "By X and Y" line, or None when the line is not a byline."""
    line = line.strip()
    if len(line.split()) > 16:
        return None
    match = BYLINE.match(line)
    if not match:
        return None
    names = person_names(match.group("names"))
    return names or None


def split_bylines(body: str) -> tuple[str, list[str], list[str]]:
    """Body -> (body without bylines and sign-offs, authors, contributors)."""
    paras = [p for p in body.split("\n\n")]
    authors: list[str] = []
    contributors: list[str] = []
    for i in range(min(HEAD_PARAGRAPHS, len(paras))):
        lines = paras[i].split("\n")
        kept = []
        for line in lines:
            names = byline_names(line)
            if names is not None:
                authors.extend(n for n in names if n not in authors)
            else:
                kept.append(line)
        paras[i] = "\n".join(kept)
    paras = [p for p in paras if p.strip()]
    # Tail: sign-offs and credit parentheses, possibly stacked ("... said. (Reporting by X) Reuter").
    while paras:
        last = paras[-1].rstrip()
        changed = False
        sign = SIGN_OFF.search(last)
        end_mark = END_MARK.search(last)
        if end_mark and end_mark.start() > 0:
            last = last[: end_mark.start()].rstrip()
            changed = True
        elif sign and _SIGN_OFF_AFTER.search(last[: sign.start()]):
            last = last[: sign.start()].rstrip()
            changed = True
        credits = TAIL_CREDITS.search(last)
        if credits:
            for chunk in _CREDIT_PART.split(credits.group("credits")):
                for name in person_names(chunk.strip().rstrip(";")):
                    if name not in contributors:
                        contributors.append(name)
            last = last[: credits.start()].rstrip()
            changed = True
        if not changed:
            break
        if last.strip():
            paras[-1] = last
        else:
            paras.pop()
    return "\n\n".join(paras), authors, contributors
