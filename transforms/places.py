"""Places: the countries, regions and cities a story mentions, with counts and country codes.

`find_places(title, body)` matches capitalised word runs of title and body against the shipped
gazetteer (countries and their common aliases such as "US" and "Britain", US states, and cities
of at least `MIN_CITY_POPULATION` people). Words that in news are usually not places are only
counted when the story shows they are (`AMBIGUOUS`): "Jordan" needs "Amman", "Jordanian" or a
"King Abdullah"-free context showing the country; "Chad" is a first name unless the story also
says "N'Djamena"/"Chadian" or "in Chad"; "Georgia" is the US state unless "Tbilisi"/"Georgian"
appears; "Reading" counts only after "in"/"at"/"from" and never at a sentence start.
Results are sorted by count, then name, so they are deterministic.
"""

from __future__ import annotations

import functools
import re
from typing import Optional

from transforms.gazetteer import get_gazetteer
from transforms.model import Place

MIN_CITY_POPULATION = 200_000
MAX_WORDS = 4
_RUN = re.compile(r"(?:U\.S\.A?\.?|U\.K\.|[A-Z][\w'’-]*\.?)(?:\s+(?:of\s+|the\s+|de\s+)?(?:[A-Z][\w'’-]*))*")
_PREPOSITION = re.compile(r"\b(?:in|at|from|to|near|of|outside|across)\s+$")
# Capitalised words that are places in the gazetteer but rarely mean the place in news copy.
NOT_PLACES = {
    "of", "mobile", "split", "bath", "nice", "police", "march", "may", "university", "lincoln", "victoria",
    "florence", "york", "bristol", "temple", "independence", "liberty", "union", "commerce", "enterprise",
    "sale", "carmel", "aurora", "marina", "hope", "eagle", "garland", "pasadena", "orange", "phoenix",
    "prince", "regina", "della", "bar", "sandy", "white", "green", "columbia", "bradford", "wellington",
    "hamilton", "georgetown", "oxford", "cambridge", "trump", "monroe", "jackson", "washington post",
    "american", "british", "said", "chinese", "boston globe", "new york times", "wall street",
}
# Ambiguous names: place only when one of these words appears too (or "in <name>").
AMBIGUOUS = {
    "jordan": ("amman", "jordanian"),
    "chad": ("n'djamena", "ndjamena", "chadian"),
    "georgia": ("tbilisi", "georgian"),
    "reading": (),
    "turkey": ("ankara", "istanbul", "turkish", "erdogan"),
    "niger": ("niamey", "nigerien"),
    "guinea": ("conakry", "guinean"),
    "china": (),
}


@functools.lru_cache(maxsize=1)
def _table() -> dict[str, tuple[str, str, str]]:
    """Lower-case name -> (kind, canonical name, country code): one dict lookup per candidate.

    Only main gazetteer names of large cities count in running text (alternate names such as
    "Casa Blanca" for a White House would match ordinary phrases); a large city outranks a
    region of the same name ("Washington" in news is the capital).
    """
    gazetteer = get_gazetteer()
    table: dict[str, tuple[str, str, str]] = {}
    for key, region in gazetteer.regions.items():
        if len(key) > 4 and "." not in key and " " not in key or key in ("new york", "new jersey", "new mexico",
                                                                          "north carolina", "south carolina",
                                                                          "north dakota", "south dakota",
                                                                          "west virginia", "rhode island",
                                                                          "new hampshire", "british columbia",
                                                                          "nova scotia", "new brunswick"):
            table[key] = ("region", region.name, region.country_code)
    for key, cities in gazetteer.by_name.items():
        city = max(cities, key=lambda c: c.population)
        if city.population >= MIN_CITY_POPULATION and key not in NOT_PLACES:
            table[key] = ("city", city.name, city.country_code)
    for key, cc in gazetteer.countries.items():
        table[key] = ("country", gazetteer.country_names.get(cc, key), cc)
    for key in NOT_PLACES:
        table.pop(key, None)
    return table


def _kind_and_code(name: str) -> Optional[tuple[str, str, str]]:
    """(kind, canonical name, country code) of a name, or None."""
    return _table().get(name.lower().replace("’", "'"))


def _mentions(text: str) -> list[tuple[str, int]]:
    """(candidate name, start) for capitalised runs and their sub-runs, longest first."""
    out = []
    for match in _RUN.finditer(text):
        words = match.group(0).split()
        i = 0
        while i < len(words):
            for n in range(min(MAX_WORDS, len(words) - i), 0, -1):
                name = " ".join(words[i:i + n]).rstrip(".'’") if n > 1 or not words[i].startswith("U.") else words[i]
                if name.lower() in NOT_PLACES or not name:
                    continue
                if _kind_and_code(name):
                    out.append((name, match.start() + len(" ".join(words[:i])) + (1 if i else 0)))
                    i += n
                    break
            else:
                i += 1
    return out


def find_places(title: Optional[str], body: str, language: Optional[str] = None) -> list[Place]:
    """Places mentioned in title and body, most mentioned first."""
    text = f"{title}\n\n{body}" if title else body
    lower = text.lower()
    counts: dict[tuple[str, str, str], int] = {}
    for name, start in _mentions(text):
        key_name = name.lower()
        if key_name in AMBIGUOUS:
            before = text[max(0, start - 12):start]
            sentence_start = not before.strip() or before.rstrip()[-1:] in ".!?\n\"“"
            cues = AMBIGUOUS[key_name]
            if key_name == "reading":
                if sentence_start or not _PREPOSITION.search(before):
                    continue
            elif key_name == "georgia":
                if not any(cue in lower for cue in cues):
                    # The US state, as US copy means it.
                    counts[("region", "Georgia", "US")] = counts.get(("region", "Georgia", "US"), 0) + 1
                    continue
            elif cues and not any(cue in lower for cue in cues) and not _PREPOSITION.search(before):
                continue
        found = _kind_and_code(name)
        if found:
            counts[found] = counts.get(found, 0) + 1
    places = [Place(name=name, country_code=cc, kind=kind, count=n) for (kind, name, cc), n in counts.items()]
    return sorted(places, key=lambda p: (-p.count, p.name, p.kind))
