"""Datelines: the place (and maybe date and agency) that opens a wire story, split from its body.

`find_dateline(body)` recognises the wire styles

    WASHINGTON (AP) — ...                 LONDON, March 3 (Reuters) - ...
    BASLE, March 3 - ...                  LOMBARD, Ill., March 3 - ...
    PARIS, Jan 5 (AFP) -- ...             KABUL, Afghanistan — ...
    Wien – ...                            Berlin (dpa) - ...
    (ANSA) - Rome, October 11 - ...       BETHESDA, Md. (AP) _ ...  (AP's ASCII dash)
    MOSCOW, January 21. /TASS/. ...

and returns the `Dateline` (text as printed, city resolved with the shipped gazetteer, region,
country, coordinates, date as printed, agency) with the body that follows it. A head that is not a
dateline is left alone: a place only counts when the shape says so (an agency or a date beside it,
capitals, a US state or country qualifier) or, for a bare `Wien –`, when the gazetteer knows the
city. "The talks were held in Washington - ..." is never a dateline: it must open the body.
"""

from __future__ import annotations

import re
from typing import Optional

from transforms.gazetteer import fold, get_gazetteer
from transforms.model import Dateline

_MONTH = (r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?"
          r"|Sept?(?:ember)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?"
          # German, French, Spanish, Portuguese, Italian months and their wire abbreviations.
          r"|Januar|J[äa]nner|Februar|M[äa]rz|Mai|Juni|Juli|Okt(?:ober)?|Dez(?:ember)?"
          r"|janv(?:ier)?|f[ée]vr?(?:ier)?|mars|avr(?:il)?|juin|juil(?:let)?|ao[ûu]t|d[ée]c(?:embre)?|octobre|novembre|septembre"
          r"|ene(?:ro)?|febrero|marzo|abr(?:il)?|mayo|jun(?:io)?|jul(?:io)?|ago(?:sto)?|sep(?:tiembre)?|set(?:embro|tembre)?"
          r"|octubre|noviembre|dic(?:iembre)?|fev(?:ereiro)?|mar[çc]o|maio|junho|julho|out(?:ubro)?|dez(?:embro)?"
          r"|gen(?:naio)?|febbraio|aprile|maggio|giu(?:gno)?|lug(?:lio)?|ottobre|dicembre|mag|ott)\.?(?![^\W\d_])")
_WEEKDAY = r"(?:Mon|Tues|Wednes|Thurs|Fri|Satur|Sun)day"
# "March 3", "3 March", "Mar. 3, 2024", "Monday", "March 2O" (sic, wire copy has typos).
DATE = re.compile(
    rf"(?:{_WEEKDAY},?\s+)?(?:{_MONTH}\s+\d[\dO]?(?:st|nd|rd|th)?(?:,?\s+\d{{4}})?"
    rf"|\d{{1,2}}\.?\s+(?:de\s+)?{_MONTH}(?:\s+(?:de\s+)?\d{{4}})?)"
    rf"|{_WEEKDAY}|\d{{4}}-\d{{2}}-\d{{2}}"
    # Misspelt months as wire copy has them ("Marc 3", "Narch 2", "Marchg 12"), numbers run on.
    rf"|(?<=, )[A-Z][a-z]{{2,5}}g?\.?\s+\d{{1,3}}",
    re.IGNORECASE)
# Every alternative of DATE but a weekday alone needs a digit.
_WEEKDAY_ALONE = re.compile(_WEEKDAY, re.IGNORECASE)
_DIGIT = re.compile(r"\d")


def without_dates(text: str, repl: str = " ") -> str:
    """`DATE.sub(repl, text)`, for less: in a text without a digit only weekdays can match (the
    whole pattern costs ~0.2 ms on a 130-character line)."""
    return (DATE if _DIGIT.search(text) else _WEEKDAY_ALONE).sub(repl, text)


AGENCIES = {
    "reuters": "Reuters", "reuter": "Reuters", "ap": "AP", "the associated press": "AP",
    "associated press": "AP", "afp": "AFP", "upi": "UPI", "dpa": "dpa", "xinhua": "Xinhua",
    "kyodo": "Kyodo", "ansa": "ANSA", "efe": "EFE", "apa": "APA", "pti": "PTI", "ians": "IANS",
    "tass": "TASS", "itar-tass": "TASS", "bloomberg": "Bloomberg", "cnn": "CNN", "sda": "SDA",
    "aap": "AAP", "cp": "CP", "ntb": "NTB", "tt": "TT", "stt": "STT", "ana": "ANA", "belga": "Belga",
    "anp": "ANP", "yonhap": "Yonhap", "bernama": "Bernama", "irna": "IRNA", "wafa": "WAFA", "mena": "MENA",
}
# The head of a body up to the first dash separator: "<place, qualifiers, date> (<agency>) —".
# EFE closes its dateline with ".-" ("Madrid (EFE).-"); a dash right before the lead's first
# letter ("TORONTO (AP) -Raptors") is a separator only after an agency.
HEAD = re.compile(
    r"^[\s*]*(?P<pre>[^\n()]{1,90}?)[\s,]*(?:\((?P<agency>[^()\n]{1,40})\)\.?)?\s*(?P<sep>--|[-–—]|:|(?<=\s)_)"
    r"(?:(?=\s)|(?<=[-–—])(?=[\"“'‘]?\w)(?<=\)[-–—])|(?<=\)\s[-–—])(?=[\"“'‘]?\w)|(?<=\)\.[-–—]))\s*",
)
# The agency before the place: "(ANSA) - Rome, October 11 - ".
_AGENCY_FIRST = re.compile(r"^\s*\((?P<agency>[A-Za-z][\w -]{1,24})\)\s*(?:--|[-–—])\s+")
# TASS closes its dateline with the agency between slashes: "MOSCOW, January 21. /TASS/. ...".
_SLASHED_AGENCY = re.compile(r"^\s*(?P<pre>[^\n/()]{1,90}?)[.,]?\s*/(?P<agency>[A-Za-z][\w -]{1,24})/\.?\s+(?=\S)")
# A separator left at the head of a body whose dateline the format gave apart (AP's ASCII "_").
_LONE_SEPARATOR = re.compile(r"^\s*(?:--|[-–—_])\s+(?=\S)")
_TRAILING_AGENCY = re.compile(r"[\s,]+(?P<agency>Reuters?|AP|AFP|UPI|dpa|Xinhua|Kyodo)\s*$")
_CITY_WORD = re.compile(r"^(?:[A-ZÀ-Þ][\w'’.-]*|de|da|do|del|della|di|du|des|la|le|les|el|am|an|upon|on|sur|en|of|y)$")
# Capitalised words that head a story but are not places.
NOT_PLACES = {
    "update", "breaking", "breaking news", "exclusive", "analysis", "comment", "opinion", "watch",
    "factbox", "corrected", "correction", "refile", "urgent", "flash", "photos", "video", "live",
    "editorial", "review", "interview", "advisory", "note", "summary", "preview", "feature",
    "sport", "sports", "business", "news", "world", "market", "markets", "briefs", "brief", "wrapup",
}
MAX_CITY_WORDS = 5


def _agency(raw: Optional[str]) -> Optional[str]:
    if not raw:
        return None
    name = raw.strip().strip(",")
    return AGENCIES.get(name.lower(), name if len(name.split()) <= 4 else None)


def _is_caps(text: str) -> bool:
    letters = [ch for ch in text if ch.isalpha()]
    return bool(letters) and all(ch.isupper() for ch in letters)


def _place_shape(city: str) -> bool:
    words = city.split()
    return (1 <= len(words) <= MAX_CITY_WORDS and len(city) <= 40 and city[0].isalpha()
            and all(_CITY_WORD.match(w) for w in words) and not any(ch.isdigit() for ch in city))


def parse_dateline(text: str, *, trusted: bool = False) -> Optional[Dateline]:
    """A dateline from its printed text ("LONDON, March 3 (Reuters)"), or None when it is none.

    `trusted` is for datelines a wire format states outright: every well-formed one is accepted.
    """
    text = " ".join(text.split()).strip(" -–—:,")
    match = re.match(r"^(?P<pre>[^()]*?)[\s,]*(?:\((?P<agency>[^()]{1,40})\))?$", text)
    if not text or not match:
        return None
    return _build(text, match.group("pre"), match.group("agency"), sep="-", trusted=trusted)


def _build(text: str, pre: str, agency_raw: Optional[str], *, sep: str, trusted: bool) -> Optional[Dateline]:
    agency = _agency(agency_raw)
    pre = pre.strip().strip(",").strip()
    trailing = _TRAILING_AGENCY.search(pre)
    if trailing and trailing.start() > 0:
        agency = agency or _agency(trailing.group("agency"))
        pre = pre[: trailing.start()].strip().rstrip(",")
    date_text = None
    date = None
    if agency and DATE.fullmatch(pre):  # "Jan 3 (Reuters) -": date and agency, no place
        return Dateline(text=text, date_text=pre, agency=agency)
    for candidate in DATE.finditer(pre):
        if candidate.start() > 0:  # a date never comes first: "March 3 - ..." has no place
            date = candidate
    if date:
        date_text = date.group(0).strip()
        tail = pre[date.end():].strip(" ,")
        if tail:  # text after the date is not part of a dateline
            return None
        pre = pre[: date.start()].strip().rstrip(",").strip()
    # Several places ("Bonn/Berlin", "MOSUL, Iraq/BAGHDAD") or a city with its river
    # ("Frankfurt/Main", "Frankfurt/Oder"): the dateline is the first one.
    second_place = None
    if "/" in pre:
        pre, second_place = (p.strip() for p in pre.split("/", 1))
    parts = [p.strip() for p in pre.split(",") if p.strip()]
    if not parts or len(parts) > 3:
        return None
    city_text, qualifiers = parts[0], parts[1:]
    if not _place_shape(city_text) or city_text.lower() in NOT_PLACES:
        return None
    gazetteer = get_gazetteer()
    region = None
    country_code = None
    known_qualifiers = True
    for qualifier in qualifiers:
        found_region = gazetteer.region(qualifier)
        found_country = gazetteer.country(qualifier, "*")
        if found_region and not (found_country and not _is_caps(qualifier) and len(qualifier) > 4
                                 and qualifier.lower() in ("georgia",)):
            region, country_code = found_region, found_region.country_code
        elif found_country:
            country_code = found_country
        else:
            known_qualifiers = False
    if qualifiers and not known_qualifiers and not (date or agency):
        return None
    city = None
    if second_place and not qualifiers:  # Frankfurt/Main is Frankfurt am Main, not the larger Frankfurt
        city = (gazetteer.resolve_city(f"{city_text} am {second_place}", country_code)
                or gazetteer.resolve_city(f"{city_text} ({second_place})", country_code))
    city = city or gazetteer.resolve_city(city_text, country_code, region.admin1 if region else None)
    if city is None and trusted and not qualifiers and len(city_text.split()) > 1:
        # A wire format's dateline without commas ("Ottawa Ontario Canada"): the city leads it.
        words = city_text.split()
        for n in range(len(words) - 1, 0, -1):
            city = gazetteer.resolve_city(" ".join(words[:n]))
            if city is not None:
                break
    if city is None and re.match(r"(?i)by\s", city_text) and len(city_text.split()) > 2:
        # A byline run into the dateline (a "By Tester" line and "Harare, July 19 (...) -" joined by
        # a paragraph's line break): the place is the longest tail that names a city.
        words = city_text.split()
        for n in range(2, len(words)):
            city = gazetteer.resolve_city(" ".join(words[n:]), country_code, region.admin1 if region else None)
            if city is not None:
                text = text[text.index(words[n]):] if words[n] in text else text
                break
    if city is None and region is None and country_code is None:
        # A country name alone is a dateline too ("SINGAPORE", "KUWAIT"), resolved as its capital
        # only when the gazetteer has a city of that name.
        country_code = gazetteer.country(city_text, "*")
    caps = _is_caps(city_text)
    evidence = bool(date or agency or trusted)
    if not evidence:
        if caps:
            evidence = bool(city or region or country_code)
        else:
            # Title-case heads ("Wien – ...") need a real dash and a known city or country.
            evidence = sep in ("–", "—", "--") and bool(city or country_code) and bool(
                qualifiers == [] or region or country_code)
    if not evidence:
        return None
    return Dateline(
        text=text,
        city=city.name if city else city_text.title(),
        region=region.name if region else (qualifiers[0] if qualifiers and not country_code else None),
        country_code=city.country_code if city else country_code,
        latitude=city.latitude if city else None,
        longitude=city.longitude if city else None,
        date_text=date_text,
        agency=agency,
    )


def find_dateline(body: str, hint: Optional[str] = None) -> tuple[Optional[Dateline], str]:
    """(dateline, body without it) — (None, body unchanged) when the body opens without one.

    `hint` is a dateline a wire format gave (`article.hints["dateline"]`); it wins when present,
    and is cut from the body when the body repeats it.
    """
    if hint and hint.strip():
        dateline = parse_dateline(hint, trusted=True)
        if dateline is not None:
            rest = body
            # The body may repeat the hint with the agency the hint left out: "NEW YORK (AP) —".
            head = re.match(r"^\s*" + r"\s+".join(map(re.escape, hint.split()))
                            + r"\s*(?:\((?P<agency>[^()\n]{1,40})\)\.?)?\s*(?:--|[-–—:])?\s*", body)
            if head:
                rest = body[head.end():]
                if head.group("agency") and not dateline.agency:
                    dateline = dateline.model_copy(update={"agency": _agency(head.group("agency"))})
            elif lone := _LONE_SEPARATOR.match(body):
                # The format kept the dateline apart and the body opens with its separator ("_ Shares").
                rest = body[lone.end():]
            else:
                # The body's own dateline may print less than the hint ("OTTAWA -" for the hint
                # "Ottawa Ontario Canada"): same city, or the hint starts with what the body printed.
                found, body_rest = find_dateline(body)
                printed = fold(re.split(r"[,(]", found.text)[0]) if found is not None else ""
                if found is not None and (found.city == dateline.city or (printed and fold(hint).startswith(printed))):
                    rest = body_rest
            return dateline, rest
    lead = _AGENCY_FIRST.match(body)
    if lead and fold(lead.group("agency")) in AGENCIES:
        # "(ANSA) - Rome, October 11 - ...": the agency before the place.
        dateline, rest = find_dateline(body[lead.end():])
        if dateline is not None and rest != body[lead.end():]:
            update = {"text": f"{lead.group(0).strip().rstrip('-–— ').strip()} {dateline.text}"}
            if not dateline.agency:
                update["agency"] = _agency(lead.group("agency"))
            return dateline.model_copy(update=update), rest
    slashed = _SLASHED_AGENCY.match(body[:200])
    if slashed and fold(slashed.group("agency")) in AGENCIES:
        text = body[: slashed.end()].strip().rstrip(".")
        dateline = _build(text, slashed.group("pre"), slashed.group("agency"), sep="/", trusted=False)
        if dateline is not None:
            return dateline, body[slashed.end():]
    match = HEAD.match(body[:200])
    if not match:
        return None, body
    text = body[: match.end()].strip(" \t\n*").rstrip("-–—:_ ").strip()
    text = text[:-1] if text.endswith(").") else text  # EFE's "(EFE).-"
    dateline = _build(text, match.group("pre"), match.group("agency"), sep=match.group("sep"), trusted=False)
    if dateline is None:
        return None, body
    if match.group("sep") == ":" and not (_is_caps(match.group("pre").split(",")[0]) and dateline.city):
        return None, body
    rest = body[match.end():]
    if not rest.strip():
        return None, body
    return dateline, rest
