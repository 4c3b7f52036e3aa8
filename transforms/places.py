"""Places: the countries, regions and cities a story names, with counts, country codes and GeoNames ids.

`find_places(title, body, language)` reads capitalised word runs of title and body and keeps the
names the shipped gazetteer knows *and* that read as places where they stand:

- names: countries (GeoNames English names, common aliases such as "US" and "Britain", and the
  CLDR name in the article's language: "Polen", "Pologne", "Polonia"), US states and Canadian
  provinces, and cities of at least `MIN_CITY_POPULATION` people by their GeoNames name, the CLDR
  name in the article's language ("Warschau", "Varsovie", "Le Caire") or one of their Latin-script
  GeoNames alternate names that shares the main name's first letters (Genf, Köln, Nueva York);
  matching ignores accents ("Mönchengladbach" = "Monchengladbach"; alternate names excepted, which
  match as spelt) and possessives with
  either apostrophe ("India's", "India’s", and the German genitive "Deutschlands");
- not part of a person's or organisation's name: a name standing beside another capitalised
  word that is neither a place nor a title or generic word, or after a first name and initial
  ("Vladimir Putin", "John F. Kennedy", "Michael Jordan",
  "Paris Saint-Germain", "New York Times") is not a place, nor is one followed by a firm's word
  ("Anchorage Capital Partners", "Newfoundland Capital Corp"); "US President", "Hauptstadt Berlin" are;
- not a word that is usually something else: brands and commodities ("Brent" crude, "Toyota"),
  words such as "Nice" or "Mobile" (`NOT_PLACES`), city names of three letters or fewer ("Mau");
- in a `sport` story, not a city that names a club somewhere in it ("Newcastle boss", "Leeds v
  Saracens", "Newcastle 2-1 Bolton", "A Foley (Munster)": `_club_context`) unless a place
  preposition stands before it;
- a name that is also a larger city's alternate name ("Bethlehem" is Belém's, "Pueblo" Puebla's)
  is the town of that very name when the story places it there: its state or province named, or a
  city within `NAMESAKE_KM` of it (`_local_namesake`);
- names that are as often people or other things ("Jordan", "Chad", "Georgia", "Sydney",
  "Charlotte") count only when the story shows they are places (`AMBIGUOUS`: a cue word such as
  "Amman", or the name after a place preposition such as "in"/"in"/"à"/"en" somewhere in the story).

Results are sorted by count, then name, so they are deterministic.
"""

from __future__ import annotations

import functools
import math
import re
from typing import NamedTuple, Optional

from transforms.gazetteer import fold, get_gazetteer
from transforms.model import Place

MIN_CITY_POPULATION = 200_000
MIN_NAME_LETTERS = 4  # city names shorter than this are mostly other words or abbreviations ("Mau", "Aba")
MAX_WORDS = 4
# Capitalised runs: words starting with a capital, joined by spaces, hyphens, or the small words
# of place names ("Bosnia and Herzegovina", "Rio de Janeiro", "Frankfurt am Main").
# A period ends a run ("... in Geneva. Michael ...") except in abbreviations (U.S., N.Y., St.).
_UPPER = "".join(ch for ch in map(chr, range(0x250)) if ch.isupper())
_WORD = rf"(?:(?:[A-Z]\.){{2,}}|St\.|[{_UPPER}][\w’'-]*)"
_CONNECTOR = r"(?:of|the|and|de|del|do|da|dos|das|la|le|les|du|des|am|an|der|upon|sur|on|y|e)"
_RUN = re.compile(rf"(?<![\w’'])(?:{_WORD})(?:\s+(?:{_CONNECTOR}\s+)*(?:{_WORD}))*")
_POSSESSIVE = re.compile(r"(?:['’]s|['’])$")
# Place prepositions in the languages the gazetteer has names for.
_PREPOSITION = re.compile(
    r"(?:^|\s)(?:in|at|from|to|near|outside|across|into|aus|nach|bei|von|im|à|au|aux|en|dans|depuis|vers|"
    r"desde|hacia|em|no|na|para|a|da|di|nel|nella|i|från|til|fra|w|we|z|ze)\s+$", re.IGNORECASE)
# Capitalised words that are places in the gazetteer but rarely mean the place in news copy.
NOT_PLACES = {
    "of", "mobile", "split", "bath", "nice", "police", "march", "may", "university", "lincoln", "victoria",
    "florence", "york", "bristol", "temple", "independence", "liberty", "union", "commerce", "enterprise",
    "sale", "carmel", "aurora", "marina", "hope", "eagle", "garland", "pasadena", "orange", "phoenix",
    "prince", "regina", "della", "bar", "sandy", "white", "green", "columbia", "bradford", "wellington",
    "hamilton", "georgetown", "oxford", "cambridge", "trump", "monroe", "jackson", "washington post",
    "american", "british", "said", "chinese", "boston globe", "new york times", "wall street",
    # Brands, commodities and products named after places.
    "brent", "toyota", "champagne", "cognac", "bordeaux", "burgundy", "jersey", "tabasco", "parma", "panama papers",
    "roquefort", "gouda", "cheddar", "madeira", "porto", "santos", "mercedes", "hermes", "bentley", "mustang",
    "corona", "fargo", "harrods", "sparta", "ajax", "vitoria", "deportivo", "la liga",
    # Words and names in copy that GeoNames also knows as a city's alternate name.
    "roma", "mainz 05", "amazon", "kent", "essex", "bridge", "mountain", "river", "valley", "lake", "city", "north",
    "south", "east", "west", "central", "new", "union city", "media", "mission", "hall", "halle", "eden", "ende",
    "hof", "ost", "tal", "berg", "stadt", "mitte", "none", "grand", "sun", "moon", "star", "angel", "angels",
    "lagos de moreno", "paris hilton", "providence", "concord", "surprise", "kingston upon hull",
    "buffalo", "cork", "derby", "hull", "plymouth", "salem", "tripoli", "batman", "mardin", "bitola", "ido",
    "medina", "mecca", "santa", "san", "sao", "saint", "st", "fort", "port", "el", "al", "la", "le", "los", "las",
    # Alternate names that are English words (found by counting them in lower case in BBC copy).
    "gold", "spoken", "luck", "hang", "saga", "sues", "hail", "tunes", "lone", "commonwealth",
}
# Ambiguous names: a place only when the story also has one of these cue words, or names it after
# a place preposition somewhere ("in Jordan"); a sentence-initial bare name never counts on its own.
AMBIGUOUS = {
    "jordan": ("amman", "jordanian"),
    "reading": (),
    "essen": ("ruhr", "nordrhein-westfalen", "nrw"),  # German "das Essen", food
    "bergen": ("norway", "norwegen", "norge", "norvege", "noruega"),  # German "Bergen", mountains
    "chad": ("n'djamena", "ndjamena", "chadian"),
    "georgia": ("tbilisi", "georgian"),
    "turkey": ("ankara", "istanbul", "turkish", "erdogan"),
    "niger": ("niamey", "nigerien"),
    "guinea": ("conakry", "guinean"),
    "sydney": ("australia", "nsw", "new south wales"),
    "charlotte": ("north carolina", "n.c."),
    "austin": ("texas",),
    "adelaide": ("australia",),
    "salvador": ("bahia", "brazil", "brasil"),
    "santiago": ("chile",),
    "eugene": ("oregon",),
    "irving": ("texas",),
    "madison": ("wisconsin",),
    "houston": ("texas",),
    "dallas": ("texas",),
    "denver": ("colorado",),
    "cleveland": ("ohio",),
    "orlando": ("florida",),
    "memphis": ("tennessee",),
    "lyon": ("france", "lyons"),
    "valencia": ("spain", "venezuela", "españa"),
    "kingston": ("jamaica",),
    "mali": ("bamako", "malian"),
}
# Capitalised words that may stand beside a place without making it part of a name: titles,
# institutions, and (German) common nouns that head or follow a place ("Hauptstadt Berlin").
_BESIDE_PLACE = set(fold(w) for w in """
president presidents prime minister ministers chancellor secretary governor mayor senator king queen prince
princess foreign defence defense interior finance trade army police navy air force forces embassy ambassador
government parliament congress senate supreme court courts central bank national federal state states open cup
league airport stock exchange university county province region district capital premier leader leaders
opposition officials official troops military border coast coastguard general election elections republic
republican republicans democrat democrats democratic party council minister's president's said says mr mrs ms dr
on monday tuesday wednesday thursday friday saturday sunday january february march april june july august
september october november december olympics games grand prix world masters championship championships
east west north south northern southern eastern western central upper lower greater metropolitan downtown
hauptstadt stadt bundesland land landeshauptstadt kanzler kanzlerin präsident präsidentin regierung
bürgermeister bürgermeisterin minister ministerin ministerpräsident ministerpräsidentin flughafen hafen
bahnhof hauptbahnhof polizei landkreis kreis region bezirk staat staaten landesregierung bundesregierung
innenminister außenminister außenministerin botschaft botschafter regierungschef regierungschefin
ville capitale président présidente gouverneur maire ciudad capital presidente presidenta gobierno alcalde
alcaldesa estado cidade prefeito prefeita governo città sindaco governo
in at from to the a an and but for as by with after before when while since during across near
then now yesterday today tomorrow meanwhile however earlier later last this that these those both only even
also unlike like many most some all neither nor if although though without under over against between
within outside inside around through despite until so why how what where who whereas once it its his her
their our we they he she i you there here several few every each another such according
auch doch nun heute gestern morgen dann zudem laut für gegen über unter zwischen ohne bis wie was wo wer
als wenn weil dass nicht noch schon sowohl neben während nachdem trotz wegen
pour selon mais après avant depuis contre entre sans sous vers chez comme quand si alors ainsi
según pero tras ante hacia entre sin sobre bajo como cuando si también
segundo mas após antes contra entre sem sobre sob como quando também
der die das den dem des ein eine im aus nach bei von vor mit seit und oder auch wie zum zur
le la les l un une en dans au aux à de du des et pour par avec depuis sur
el los las lo un una en de del desde y para por con tras
o os as um uma em no na nos nas do da e com pelo pela
il lo gli i nel nella dal dalla per tra
""".split())
_COMPOUND_TAILS = {"born", "based", "led", "backed", "owned", "made", "bound", "listed", "registered", "controlled",
                   "run", "sponsored", "funded", "allied", "headquartered", "raised", "bred", "area", "region", "wide"}
_INSTITUTIONS = {"bank", "university", "college", "gulf", "bay", "sea", "church", "archbishop", "bishop", "museum",
                 "institute", "school", "duke", "duchess", "earl", "lord", "house", "port", "isle", "straits", "strait"}
# Places that are also given names: beside a capitalised word they are part of a person's name even
# in languages that capitalise every noun (German), where the general rule above cannot apply.
GIVEN_NAME_PLACES = {"vladimir", "wladimir", "jordan", "paris", "sydney", "florence", "victoria", "washington",
                     "lincoln", "austin", "charlotte", "santiago", "salvador", "adelaide", "houston", "dallas",
                     "denver", "madison", "orlando", "eugene", "irving", "kingston", "chelsea", "georgia", "chad",
                     "india", "israel", "china", "lyon", "valencia", "florencia", "alexandria", "regina"}
NOUN_CAPITALISING = {"de"}  # (Luxembourgish too, but short English copy is often misdetected as it)
# Words that make a place beside them a sports club's name, in every language ("Eintracht Frankfurt").
CLUB_WORDS = set("""eintracht borussia real atletico atlético sporting olympique racing dynamo dinamo lokomotiv spartak
inter hertha fortuna werder fc sc ac as sv vfb vfl tsg rb united rovers wanderers athletic hotspur albion rangers
celtic""".split())


_ARTICLE = re.compile(r"^(?:la|le|el|al|il|den|the|l') ?")


class _Entry(NamedTuple):
    kind: str
    name: str
    country_code: str
    geonames_id: Optional[int]
    spellings: tuple[str, ...] = ()  # alternate names match only as spelt (lower case): "Türen" is no "Turen"


@functools.lru_cache(maxsize=1)
def _base_table() -> dict[str, _Entry]:
    """Folded name -> place, for every language: one dict lookup per candidate.

    Countries outrank cities, cities' main names outrank alternate names, larger cities outrank
    smaller ones; a large city outranks a region of the same name ("Washington" in news is the capital).
    """
    gazetteer = get_gazetteer()
    table: dict[str, _Entry] = {}
    alternates: dict[str, _Entry] = {}
    for key, cities in gazetteer.by_alternate.items():
        city = max(cities, key=lambda c: c.population)
        # Exonyms and endonyms share the main name's first letters, after an article (Genf/Geneva,
        # Moskau/Moscow, La Habana/Havana); romanisations from other scripts that happen to be words or names
        # ("Dabei", "Musil", "Karin", "Para") do not.
        if (city.population >= MIN_CITY_POPULATION and len(key.split()) <= 3 and " of " not in f" {key} "
                and (_ARTICLE.sub("", key)[:2] == fold(city.name)[:2]
                     or (" " in key and key.split()[-1] == fold(city.name).split()[-1]))  # Nueva York
                and key not in _BESIDE_PLACE):
            spellings = tuple(sorted({a.lower().replace("’", "'") for a in gazetteer.alternate_spellings(city)
                                      if fold(a) == key}))
            alternates[key] = _Entry("city", city.name, city.country_code, city.geonameid, spellings)
    table.update(alternates)
    for key, region in gazetteer.regions.items():
        # A city of millions outranks a region its alternate name shares ("New York" is the city).
        if ((len(key) > 4 and "." not in key) or " " in key) and not (
                key in alternates and max(c.population for c in gazetteer.by_alternate[key]) >= 1_000_000):
            table[key] = _Entry("region", region.name, region.country_code, region.geonameid)
    for key, cities in gazetteer.by_name.items():
        city = max(cities, key=lambda c: c.population)
        if city.population >= MIN_CITY_POPULATION:
            table[key] = _Entry("city", city.name, city.country_code, city.geonameid)
    for key, cc in gazetteer.countries.items():
        table[key] = _Entry("country", gazetteer.country_names.get(cc, key), cc, gazetteer.country_ids.get(cc))
    for key in list(table):
        if key in NOT_PLACES or (table[key].kind == "city" and len(key.replace(" ", "")) < MIN_NAME_LETTERS):
            del table[key]
    return table


@functools.lru_cache(maxsize=32)
def _multiword_starts(language: Optional[str]) -> frozenset[str]:
    """First words of the table's names of two words or more: a capitalised run is looked up as a
    name of several words only from such a word (most runs hold none, and each lookup folds its name)."""
    return frozenset(key.split(" ", 1)[0] for key in _table(language) if " " in key)


@functools.lru_cache(maxsize=32)
def _table(language: Optional[str]) -> dict[str, _Entry]:
    """The base table plus country names in the article's language (CLDR)."""
    base = _base_table()
    gazetteer = get_gazetteer()
    names = gazetteer.countries_by_language.get((language or "").lower(), {})
    if not names:
        return base
    table = dict(base)
    for key, city in gazetteer.cities_by_language.get((language or "").lower(), {}).items():
        if key not in NOT_PLACES and (key not in base or base[key].kind == "city"):
            table[key] = _Entry("city", city.name, city.country_code, city.geonameid)
    # A country's English name where the language has its own ("Cape Verde" in French copy, which
    # says "Cap-Vert") is a product, team or quotation rather than the country; short aliases
    # (USA, UK) stay.
    local = set(names.values())
    for key, cc in gazetteer.countries.items():
        # England, Scotland, Gaza: no CLDR country name of their own, the same word in most languages.
        if (cc in local and cc not in ("GB", "PS") and key not in names and len(key) > 4 and "." not in key
                and table.get(key, _Entry("", "", "", None)).kind == "country"):
            del table[key]
    for key, cc in names.items():
        if key not in NOT_PLACES and (key not in base or base[key].kind != "country"):
            table[key] = _Entry("country", gazetteer.country_names.get(cc, key), cc, gazetteer.country_ids.get(cc))
    return table


def _lookup(name: str, table: dict[str, _Entry], language: Optional[str]) -> tuple[Optional[_Entry], str]:
    """(place, the name as matched) for a candidate, trying it without a possessive ending."""
    key = fold(name)
    found = table.get(key)
    if found is None and _nothing_to_strip(name):  # no rule below applies
        return None, key
    if found is None and name.endswith("."):  # a sentence's full stop, not an abbreviation's
        name = name.rstrip(".")
        key = fold(name)
        found = table.get(key)
    if found and _spelt(found, name) and not (found.spellings and name.isupper()):  # SAMA is no "Sama"
        return found, key
    bare = _POSSESSIVE.sub("", key)
    if bare != key and bare in table and _spelt(table[bare], _POSSESSIVE.sub("", name)):
        return table[bare], bare
    head, _, tail = name.rpartition("-")
    if head and tail in _COMPOUND_TAILS and fold(head) in table:  # "Texas-born", "Berlin-based", "U.S.-led"
        return table[fold(head)], fold(head)
    if language == "de" and key.endswith("s") and key[:-1] in table and table[key[:-1]].kind == "country":
        return table[key[:-1]], key[:-1]  # German genitive: "Deutschlands", "Frankreichs"
    return None, key


def _nothing_to_strip(name: str) -> bool:
    """No full stop, possessive, German genitive or compound tail ("-born") for `_lookup` to strip."""
    return name[-1].lower() not in ".'’s" and "-" not in name


def _spelt(entry: _Entry, name: str) -> bool:
    return not entry.spellings or " ".join(name.lower().replace("’", "'").split()) in entry.spellings


def _is_capitalised(word: str) -> bool:
    return word[:1].isupper()


def _mentions(text: str, language: Optional[str]) -> list[tuple[str, _Entry, int, int, bool]]:
    """(matched key, place, start, end, beside-a-name) for the place names in capitalised runs, longest first."""
    table = _table(language)
    starts = _multiword_starts(language)
    out = []
    for match in _RUN.finditer(text):
        words = match.group(0).split()
        spans: list[tuple[int, int, str, _Entry]] = []
        i = 0
        while i < len(words):
            word = words[i]
            if not _is_capitalised(word):  # a connector: no name starts with it
                i += 1
                continue
            # A name of several words starts with the first word's key (what _lookup strips is at its end).
            first_key = fold(word)
            longest = min(MAX_WORDS, len(words) - i) if first_key in starts or not first_key else 1
            if longest == 1 and first_key not in table and _nothing_to_strip(word):
                # Most words: not a place as they stand or stripped (what _lookup would say, for less)
                i += 1
                continue
            for n in range(longest, 0, -1):
                if not _is_capitalised(words[i + n - 1]):
                    continue
                found, key = _lookup(" ".join(words[i:i + n]), table, language)
                if found:
                    spans.append((i, i + n, key, found))
                    i += n
                    break
            else:
                i += 1
        if not spans:
            continue
        offsets = []  # where each word starts in the text, for the places found
        pos = match.start()
        for w in words:
            pos = text.index(w, pos)
            offsets.append(pos)
            pos += len(w)
        for first, end, key, found in spans:
            found = _state_if_state_office(key, found, text, offsets[end - 1] + len(words[end - 1]))
            abbreviation = "." in words[first].rstrip(".")  # U.S., U.K.: Reuters capitalises what follows
            club = any(0 <= j < len(words) and fold(words[j]) in CLUB_WORDS for j in (first - 1, end))
            beside = club or (not abbreviation and (language not in NOUN_CAPITALISING or key in GIVEN_NAME_PLACES)
                              and _beside_a_name(words, first, end, table, language))
            # A full stop ends a run, so a name's middle initial ends the run before: "John F. | Kennedy".
            beside = beside or (first == 0 and bool(_NAME_AND_INITIAL.search(text, max(0, match.start() - 40),
                                                                             match.start())))
            out.append((key, found, offsets[first], offsets[end - 1] + len(words[end - 1]), beside))
    return out


# Words after a name that both a city and a US state bear ("New York", "Washington") that show the
# state is meant: "New York attorney general", "Washington state".
_STATE_OFFICE = re.compile(r"\s+(?:attorney|governor|gov\.|legislature|assembly|state|senators?|comptroller|lawmakers)\b",
                           re.IGNORECASE)


def _state_if_state_office(key: str, found: _Entry, text: str, end: int) -> _Entry:
    region = get_gazetteer().regions.get(key) if found.kind == "city" else None
    if region is not None and found.country_code == region.country_code:
        if _STATE_OFFICE.match(text, end):
            return _Entry("region", region.name, region.country_code, region.geonameid)
    return found


def _beside_a_name(words: list[str], first: int, end: int, table: dict, language: Optional[str]) -> bool:
    """Whether the place words[first:end] stand beside a capitalised word that makes them part of a
    person's or organisation's name (neither a place nor a title, generic or function word). A
    name joined by a connector counts too ("Banque Nationale de Paris", "Electricite de France";
    "Mayor of London" and "Government of India" keep the place), and a possessive place is never
    part of what follows it ("Brazil's Varig")."""
    if end < len(words) and not _POSSESSIVE.search(words[end - 1]) and fold(words[end].rstrip(".,")) in _COMPANY_AFTER:
        return True  # "Anchorage Capital Partners", "Dubai Holdings": a firm named after the place
    neighbours = [first - 1] + ([] if _POSSESSIVE.search(words[end - 1]) else [end])
    # The word before a connector: Romance-language company names ("Banque Nationale de Paris"),
    # and with "of" institutions only ("Bank of England"; "Radjabov of Azerbaijan" keeps Azerbaijan).
    if first >= 2 and not _is_capitalised(words[first - 1]) and not (
            first >= 3 and fold(words[first - 3]) in _BESIDE_PLACE) and (
            words[first - 1] != "of" or fold(words[first - 2]) in _INSTITUTIONS):
        neighbours.append(first - 2)
    for j in neighbours:
        if not 0 <= j < len(words):
            continue
        word = words[j]
        if not _is_capitalised(word):
            continue
        if _INITIAL.fullmatch(word):  # a name's initial: "B Lima", "Kennedy F. Smith"
            return True
        bare = fold(_POSSESSIVE.sub("", word.rstrip(".,")))
        neighbour_place = _lookup(word, table, language)[0] is not None and bare not in GIVEN_NAME_PLACES
        if bare in _BESIDE_PLACE or neighbour_place or word.isupper():
            continue
        return True
    return False


# An initial inside a run (a full stop would end the run): "B Lima (Samoa)" in a team sheet. Not "A",
# "I" or "O", which are words, nor the compass letters of wire copy ("W Germany", "N Korea", "C China").
_INITIAL = re.compile(r"[BDF-HJ-MPRTUVXYZ]\.?")
_NAME_AND_INITIAL = re.compile(r"\b[A-Z][a-z]+\s+[A-Z]\.\s+$")  # "John F. " before a run


# Words that, right after a place name, make it a firm's name (a title or generic word such as
# "Capital" may otherwise stand beside a place: "the Afghan capital Kabul").
_COMPANY_AFTER = frozenset(fold(w) for w in """capital partners holdings investments investment ventures
securities airlines airways""".split())


# "Belvidere, Ill.", "OMAHA, Neb.": a US state or Canadian province abbreviated after a town, as
# wire copy writes them (an abbreviation alone, "Ill." or "Wash.", is too often something else).
# The comma comes first and the letter before it is checked behind it: a pattern that starts with a
# literal is searched for that character alone (20x faster than trying the lookbehind everywhere).
_ABBREVIATED_REGION = re.compile(r",(?<=[A-Za-z],)\s+((?:[A-Z][a-z]{0,4}\.\s?){1,2}|[A-Z]\.[A-Z]\.)")


def _abbreviated_regions(text: str) -> list[_Entry]:
    gazetteer = get_gazetteer()
    out = []
    for match in _ABBREVIATED_REGION.finditer(text):
        printed = match.group(1).strip()
        region = gazetteer.regions.get(fold(printed)) if "." in printed else None
        if region is not None:
            out.append(_Entry("region", region.name, region.country_code, region.geonameid))
    return out


# A city name that stands for a sports club (used in `sport` stories only): followed by a role only
# a club has, in a fixture ("Newcastle v Chelsea"), after a transfer verb ("joined Newcastle"), with
# a score beside it, heading a team sheet ("Newcastle: Given, Carr, ...") or as a player's club in
# brackets ("A Foley (Munster)"); results words ("against Portsmouth", "Newcastle beat") only outside
# a story about a bid to host an event ("London beat Paris to host the 2012 Games").
_CLUB_ROLE_AFTER = re.compile(
    r"(?:['’]s?)?\s+(?:fans|supporters|players?|manager|boss|striker|forward|midfielder|defender|goalkeeper|"
    r"keeper|captain|skipper|coach|winger|full-back|centre-back|fly-half|scrum-half|hooker|flanker|lock|prop|"
    r"squad|chairman|academy|youngster)\b")
_CLUB_BEFORE = re.compile(r"\b(?:v|vs|versus|join|joined|joining|joins|rejoin|rejoined)\.?\s+$")
_CLUB_AFTER = re.compile(r"\s+(?:v|vs|versus)\.?\s+[A-Z]|\s+\d{1,2}\s*[-–]\s*\d{1,2}\b|:\s+[A-Z][\w’'-]+"
                         r"(?:\s+[A-Z][\w’'-]+)?,")
_SCORE_BEFORE = re.compile(r"\b\d{1,2}\s*[-–]\s*\d{1,2}\s+$")
# Results verbs name a team too, except in a story about a city's bid to host a sporting event.
_RESULT_AFTER = re.compile(r"(?:['’]s)?\s+(?:beat|beating|drew|draw|lost|won|win|wins|thrashed|edged|trail|trailed|"
                           r"held|hammered|defeated|host|hosts|visit|visits|face|faces)\s")
_RESULT_BEFORE = re.compile(r"\b(?:against|beat|beating|beaten by|defeat(?:ed)?|to face|facing|faces|face|play|plays|"
                            r"played|playing|host|hosts|hosted|hosting|visit|visits|visiting|edged|thrashed|"
                            r"hammered|over|lost to|draw with|drew with|win at|win over)\s+$")
_BID = re.compile(r"\b(?:bids?|bidding|candidate|candidacy|candidature|host(?:s|ed|ing)? the|host city)\b",
                  re.IGNORECASE)


def _club_context(text: str, start: int, end: int, results: bool = False) -> bool:
    before = text[max(0, start - 16):start]
    if results and (_RESULT_AFTER.match(text, end) or _RESULT_BEFORE.search(before)):
        return True
    return bool(_CLUB_ROLE_AFTER.match(text, end) or _CLUB_AFTER.match(text, end) or _CLUB_BEFORE.search(before)
                or _SCORE_BEFORE.search(before) or (before.endswith("(") and text.startswith(")", end)))


NAMESAKE_KM = 100  # a named city this near a town shows the story is about that town's area
NAMESAKE_MIN_POPULATION = 20_000  # smaller towns lose to the other reading ("Strasburg, Washington" is a pitcher)


def _distance_km(a, b) -> float:
    """Great-circle distance between two gazetteer cities."""
    lat1, lon1, lat2, lon2 = map(math.radians, (a.latitude, a.longitude, b.latitude, b.longitude))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * 6371 * math.asin(math.sqrt(h))


def _local_namesake(key: str, found: _Entry, regions: set[tuple[str, str]], cities: list) -> _Entry:
    """A city matched by another city's alternate name ("Pueblo" is also Puebla's, "Augusta"
    Augsburg's, "Bethlehem" Belém's) is the town of that very name when the story shows that town's
    area: it names the town's state or province ("Pueblo ... Colorado"), or a city within NAMESAKE_KM
    of it ("Bethlehem ... Jerusalem"), and the town has NAMESAKE_MIN_POPULATION people. Only a town
    the story places counts: "Seville" in a US story stays the Spanish city."""
    if found.kind != "city" or fold(found.name) == key:
        return found
    namesakes = [c for c in get_gazetteer().by_name.get(key, ()) if c.population >= NAMESAKE_MIN_POPULATION and (
                 (c.country_code, c.admin1) in regions or any(_distance_km(c, o) <= NAMESAKE_KM for o in cities))]
    if not namesakes:
        return found
    town = max(namesakes, key=lambda c: c.population)
    return _Entry("city", town.name, town.country_code, town.geonameid)


def find_places(title: Optional[str], body: str, language: Optional[str] = None,
                topic: Optional[str] = None) -> list[Place]:
    """Places mentioned in title and body, most mentioned first; `language` (ISO 639-1) adds the
    country names of that language; in a `sport` story (`topic`) cities that name a club are left
    out (`_club_context`)."""
    text = f"{title}\n\n{body}" if title else body
    lower = None  # the folded text, for the cue words of ambiguous names: folded when one occurs
    mentions = _mentions(text, language)
    # A sport story's city seen as a club somewhere ("Newcastle manager", "against Liverpool") is
    # the club wherever it stands without a place preposition ("Newcastle beat Chelsea"; "the
    # trip to Barcelona" keeps the city).
    results = topic == "sport" and not _BID.search(text)
    clubs = {key for key, found, start, end, beside in mentions
             if found.kind == "city" and _club_context(text, start, end, results)} if topic == "sport" else set()
    # An ambiguous name counts when a cue word or a place preposition shows it is a place somewhere.
    shown: set[str] = set()
    for key, _, start, _, beside in mentions:
        if key in AMBIGUOUS and key != "georgia" and not beside and _PREPOSITION.search(text[max(0, start - 12):start]):
            shown.add(key)
    # A city name seen as part of a person's name ("Viswanathan Anand") is that person elsewhere too
    # ("Anand settled for a draw"), unless a place preposition shows the place.
    people = {key for key, found, _, _, beside in mentions if beside and found.kind == "city"} | clubs
    kept: list[tuple[str, _Entry]] = []
    for key, found, start, _, beside in mentions:
        if beside or (key in people and not _PREPOSITION.search(text[max(0, start - 12):start])):
            continue
        if key in AMBIGUOUS and key not in shown:
            lower = fold(text) if lower is None else lower
            if not any(re.search(rf"\b{re.escape(cue)}", lower) for cue in AMBIGUOUS[key]):
                if key != "georgia" or language not in (None, "en"):
                    continue
                # Georgia without Tbilisi in English copy: the US state.
                found = _Entry("region", "Georgia", "US", get_gazetteer().regions["georgia"].geonameid)
        kept.append((key, found))
    abbreviated = _abbreviated_regions(text)
    if any(found.kind == "city" and fold(found.name) != key for key, found in kept):  # a city by another name
        # Where the story is: the states and provinces it names, and the cities it names by their own name.
        gazetteer = get_gazetteer()
        regions = {(r.country_code, r.admin1) for r in map(gazetteer.region, [found.name for _, found in kept
                                                                              if found.kind == "region"]
                                                           + [found.name for found in abbreviated]) if r}
        cities = [gazetteer.by_id[found.geonames_id] for key, found in kept
                  if found.kind == "city" and fold(found.name) == key and found.geonames_id in gazetteer.by_id]
        kept = [(key, _local_namesake(key, found, regions, cities)) for key, found in kept]
    counts: dict[_Entry, int] = {}  # keyed without the spelling: one place, whatever name it went by
    for _, found in kept:
        found = found._replace(spellings=())
        counts[found] = counts.get(found, 0) + 1
    for found in abbreviated:
        counts[found] = counts.get(found, 0) + 1
    places = [Place(name=e.name, country_code=e.country_code, kind=e.kind, count=n, geonames_id=e.geonames_id)
              for e, n in counts.items()]
    return sorted(places, key=lambda p: (-p.count, p.name, p.kind))

