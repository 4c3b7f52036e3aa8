"""Bylines and sign-offs: who wrote a story, taken out of its body; author fields made people.

- `clean_authors(values, site=None)`: author strings as any source gives them (page metadata,
  feed `<author>`/`dc:creator`, wire bylines) -> people's names. Shared by every format.

- Head: "By Jane Doe and John Roe", "By JANE DOE, Reuters", "Von Anja Semmelroch, dpa" lines in
  the first paragraphs -> `authors`.
- Tail: "— AP" / "-- Reuters" sign-offs and the old Reuters "Reuter" end mark are cut; the Reuters
  "(Reporting by X; Writing by Y; Editing by Z)" parenthesis closing a paragraph is cut and its names
  go to `contributors` (credit lines on their own line are handled by `transforms.clean`).
"""

from __future__ import annotations

import html
import re
import unicodedata
from typing import Iterable, Optional

_FILED_DAY = (r"(?:(?:Mon|Tues|Wednes|Thurs|Fri|Satur|Sun)day,?\s+)?"
              r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]*\.?\s+\d{1,2}(?:st|nd|rd|th)?,?\s+\d{4}"
              r"|\d{1,2}/\d{1,2}/\d{2,4}")
_AGENCY_WORDS = (r"Reuters?|AP|AFP|UPI|dpa|Associated Press|Agence France-Presse|Bloomberg|CNN|BBC News"
                 r"|Xinhua|Kyodo|ANSA|EFE|PA|AAP|Staff Writer|Staff Reporter|Correspondent|Special Correspondent"
                 r"|Staff|Contributor|[A-Z][\w ]{0,30} (?:Correspondent|Editor|Reporter|Writer)")
# A byline line: "By X and Y", maybe with an agency or desk after it, maybe with the day it was
# filed ("by Paul Cashmere - January 2 2008", "By Jane Doe, 1/21/2008").
BYLINE = re.compile(
    rf"^(?:By|BY|by|Von|Par|Por|Di|Door|Av)\s+(?P<names>[^\n]{{2,160}}?)"
    rf"(?:\s*(?:,|\||/|—|–|-)\s*(?:{_AGENCY_WORDS})(?:\s+(?:in|at)\s+[A-Z][\w ,.'-]*)?)?"
    rf"(?:\s*(?:,|\||—|–|--|-)\s*(?:{_FILED_DAY}))?\s*$")
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


def is_place(name: str) -> bool:
    """Is `name` a city, country, US state or Canadian province (the gazetteer's names)? Bylines
    put the place after the name ("By Caio Quero, Santa Maria"; "Jane Doe, New York")."""
    from transforms.gazetteer import get_gazetteer

    gazetteer = get_gazetteer()
    return bool(gazetteer.candidates(name) or gazetteer.country(name) or gazetteer.region(name))


def person_names(text: str) -> list[str]:
    """The person names in "Jane Doe and John Roe, Reuters"-like text; [] when it is not names.
    A place after the first name ("Jane Doe, New York") is not a name and is left out."""
    names: list[str] = []
    for part in _NAME_SPLIT.split(text):
        part = _IN_PLACE.sub("", part.strip().strip(".;:)("))
        if not part:
            continue
        if part.isupper():
            part = part.title()
        if names and is_place(part):
            continue
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


# --- author fields -------------------------------------------------------------------------------

# "By", "Par", "Von", "Por", "Di", "Door", "Av", "Af", "Autor:", "作者：", "記者 " opening a byline.
_AUTHOR_PREFIX = re.compile(
    r"^(?:about the author|(?:written|posted|reported|published|words|text|story|photos?|video|(?:additional\s+)?reporting|"
    r"editing|edited|writing|interview|illustrations?|photographs?)\s+by|by|par|von|por|di|door|av|af|"
    r"from|texte?|autor(?:in|a)?|auteur|author|verfasser|redacción|words|著者|作者|记者|記者|撰文|文|撰稿|編集|"
    r"编辑|기자|글|posted)\s*[:：●]?\s+|^(?:著者|作者|记者|記者|撰文|文|撰稿|编辑|글)\s*[:：●]\s*", re.IGNORECASE)
# The publication after a name, run together with it by a page's byline block ("Mirjam Swanson The
# Press-Enterprise", "AL ALEXANDERThe Patriot Ledger").
_PUBLICATION_TAIL = re.compile(r"(?:\s+|(?<=[A-Z]))(?:The|THE)\s+[A-Z][\w'’.-]*(?:\s+[A-Z][\w'’.-]*){0,3}$")
# Role words after a name in Chinese, Japanese or Korean bylines ("홍길동 기자", "张三 记者").
_AUTHOR_SUFFIX = re.compile(r"\s*(?:기자|특파원|記者|记者|特派員|特派员|編集部|编辑部|撮影|著|訳|監訳)\s*$")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_URLISH = re.compile(r"(?:https?://|www\.)\S*|\S+\.(?:com|org|net|co\.\w+|de|fr|jp|io|ca|uk|au|it|es|nl|ch|at|be|in|ru|br|info|tv)\b\S*", re.IGNORECASE)
_HANDLE = re.compile(r"(?<!\w)@\w+")
_PARTS = re.compile(r"\s*(?:[;|/,·•\n]|\s(?:and|und|et|y|e|en|og|och|with|mit|avec|con)\s|&|、|，|／"
                    r"|\s(?:翻訳者|訳者|译者|イラスト|撮影|写真)\s*[:：]?)\s*", re.IGNORECASE)
# A piece that is only a role word: "作者", "記者", "Editor".
_ROLE_ONLY = re.compile(r"^(?:著者|作者|记者|記者|撰文|文|撰稿|編集|编辑|編集部|编辑部|翻訳者|訳者|译者|기자|특파원|글|"
                        r"イラスト|撮影|写真|責任編集|责任编辑|来源|出典)$")
# Words that show a value is site furniture, an organisation or a role, never a person.
_JUNK_WORDS = frozenset("""
username user login logged log sign signin account subscribe subscriber subscription follow followers share
comment comments reply view website profile click menu search home admin administrator webmaster
anonymous unknown null undefined none true false googletag published publié publicado veröffentlicht updated
aktualisiert lesedauer bio is was has are who writes covers cmd push dfp ad ads advert advertisement
advertising var function script pg sec cookie cookies privacy newsletter rss email mail contact
staff team desk newsroom redaktion rédaction redacción redazione redactie editorial editors editor
contributor contributors correspondent reporter reporters writer writers bureau wire wires service
services syndication agency agencies magazine magazin news newspaper newspapers media press times
journal daily tribune gazette herald inc ltd llc gmbh corp corporation group company network online
radio tv television channel studio studios publishing publications foundation institute university
association council department ministry office submissions sponsored partner partners
jour actualisé actualizado aggiornato modifié modificado com net org
uppdaterad publicerad oppdatert publisert opdateret publiceret bijgewerkt gepubliceerd atualizado
päivitetty julkaistu zaktualizowano opublikowano
agencia agência agenzia agentur agence creative copied
redakcja redakce redacția redactia redakcia redaktor redaktori redaksia redaksi редакция редакции редакція συντακτική
συντακτικη ομάδα ομαδα σύνταξη συνταξη
""".split())
# Share-button text glued to a byline ("Michael Stratford Link Copied").
_UI_TAIL = re.compile(r"\s+(?:link copied|copy link|copied|share(?: this)?|follow(?: on \w+)?|email|"
                      r"(?:alle|all|more|mehr|weitere|tous (?:les|ses)|todos (?:los|sus)) (?:artikel|articles?|posts|stories|"
                      r"beiträge|artículos|articoli)|view (?:all|profile)|see all)$", re.IGNORECASE)
_AGENCY = re.compile(rf"^(?:{_AGENCY_WORDS}|Agence France Presse|AFP-JIJI|Kyodo News|Press Association|"
                     r"Reuters Staff|AP Staff|The Associated Press|Associated Press Writer|Getty Images?|"
                     r"EFE|Europa Press|ANP|APA|SDA|Lusa|TASS|RIA Novosti|Yonhap|PTI|IANS|ANI|TNN|KNA|epd|Belga|CTK|MTI)$",
                     re.IGNORECASE)
_PREFIX_ONLY = re.compile(r"^(?:by|par|von|por|di|door|av|af|from|written by|posted by|author|autor|auteur)$",
                          re.IGNORECASE)
_MONTH = re.compile(r"^(?:jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec|january|february|march|july|august|"
                    r"september|october|november|december|januar|februar|märz|juni|juli|oktober|dezember|"
                    r"janvier|février|mars|avril|juin|juillet|août|septembre|octobre|novembre|décembre)\.?$",
                    re.IGNORECASE)
# A name with what it was credited for: a photo shoot's credits listed as the page's author.
_CREDIT = re.compile(r"\s(?:at|for|using|via|wearing)\s+[A-Z]")
# A web agency's credit shown where the author goes ("Developed By Heba Musa"): no author of the story.
SITE_CREDIT = re.compile(r"^(?:developed|designed|powered|hosted|maintained|built)\s+by\b", re.IGNORECASE)
# Arabic-press bylines joined by a spaced dash: "city - publication" ("أبوظبي - البيان") or "name -
# city" ("حسام أبو العلا - القاهرة"). The name, if any, comes first; a part naming the site means
# the other part is the city. (Latin-script values keep their dashes: "Zone Justice - ICI.Radio-Canada.ca".)
_DASH = re.compile(r"\s+[-–—]\s+")
MAX_AUTHOR_WORDS = 6
# A one-word author in capitals of 3 to this many letters is an organisation's acronym ("CBS", "BNS");
# two letters are a writer's initials as Japanese sites credit them ("《KT》").
ACRONYM_MAX_CHARS = 5
MAX_AUTHOR_CHARS = 60


def _squash(text: str) -> str:
    return re.sub(r"[\W_]+", "", unicodedata.normalize("NFKC", text).casefold())


def _is_latin_script(text: str) -> bool:
    letters = [ch for ch in text if ch.isalpha()]
    return bool(letters) and all(ord(ch) < 0x250 for ch in letters)


def _author_part(part: str) -> Optional[str]:
    """One name-sized piece of an author value -> the name, or None when it is not a person."""
    part = part.strip(" \t.,;:-–—()[]{}<>《》【】「」\"'“”‘’*#")
    for _ in range(2):
        part = _AUTHOR_PREFIX.sub("", part).strip()
    part = _AUTHOR_SUFFIX.sub("", part).strip(" .,;:-–—")
    part = _UI_TAIL.sub("", part)
    tail = _PUBLICATION_TAIL.search(part)
    if tail and len(part[:tail.start()].split()) >= 2:
        part = part[:tail.start()]
    words = part.split()
    half = len(words) // 2
    if len(words) % 2 == 0 and words[:half] == words[half:]:
        words = words[:half]  # a name printed twice (a desktop and a mobile copy of the byline)
    while len(words) > 1 and _MONTH.match(words[-1]):  # "PATRICK REEVELL December" (a date cut short)
        words.pop()
    part = " ".join(words)
    part = _IN_PLACE.sub("", part).strip()
    if not part or not any(ch.isalpha() for ch in part) or _ROLE_ONLY.match(part) or _PREFIX_ONLY.match(part):
        return None
    if any(ch.isdigit() for ch in part) or re.search(r"[=<>{}()\[\]@#$%^*+\\:!?\"]", part):
        return None
    words = part.split()
    if len(words) > MAX_AUTHOR_WORDS or len(part) > MAX_AUTHOR_CHARS:
        return None
    if _AGENCY.match(part) or any(w.strip(".'’").casefold() in _JUNK_WORDS for w in words):
        return None
    if len(words) == 1 and _MONTH.match(part) or re.fullmatch(r"(\w)\1+", part.casefold()):
        return None  # "Dec", "Xxx"
    if len(words) >= 3 and words[0] in ("The", "THE"):
        return None  # "The Huffington Post", "The Associated Press": an organisation
    if len(words) == 1 and _is_latin_script(part) and part.isupper() and 3 <= len(part) <= ACRONYM_MAX_CHARS:
        return None  # "CBS", "KTLA" (a broadcaster's `<meta name="author">`): an acronym, not a person
    if _is_latin_script(part) and part.isupper() and len(part) > 3:
        part = part.title()
    return part


def clean_authors(values: Iterable[Optional[str]], site: Optional[str] = None) -> list[str]:
    """Author values as sources give them -> the people among them, each once.

    Removes e-mails, URLs, handles, byline prefixes in several languages ("By", "Par", "Von",
    "Por", "作者："), agency credits ("Reuters", "AP"), organisation, role and UI strings
    ("Staff", "Teen Vogue Magazine", "Username"), dates and script junk; splits values that name
    several people ("A, B and C", "A / B", "A; B"), but of a credits list ("A, B, C at Muse
    Management, D using MAC Cosmetics") only the first; upper-case names are title-cased. A piece of
    a split value must have two words at least (so "Austin, Tex." gives nothing), while a value
    that is one word by itself ("Paul", "doumae") is kept unless it is junk; a later piece that
    is a place ("…, Santa Maria") is dropped. Names equal to the site (`site`) are dropped, and so
    are a web agency's credit ("Developed By …") and the city of an Arabic-press byline ("name -
    city", "city - publication").
    """
    site_key = _squash(site or "")
    names: list[str] = []
    seen: set[str] = set()
    for value in values:
        if not value or not isinstance(value, str):
            continue
        text = html.unescape(unicodedata.normalize("NFKC", value))
        text = _EMAIL.sub(" ", text)
        text = _URLISH.sub(" ", text)
        text = _HANDLE.sub(" ", text)
        text = " ".join(text.split(" ")).strip()
        if not text or SITE_CREDIT.match(text):
            continue
        dashed = _DASH.split(text)
        if len(dashed) == 2 and not _is_latin_script(text):
            if site_key and site_key in (_squash(dashed[0]), _squash(dashed[1])):
                continue  # "أبوظبي - البيان": the city and the publication
            text = dashed[0]  # "حسام أبو العلا - القاهرة": the name, then the city
        pieces = [p for p in _PARTS.split(_AUTHOR_PREFIX.sub("", text.strip())) if p and p.strip()]
        if len(pieces) > 2 and any(_CREDIT.search(p) for p in pieces[1:]):
            pieces = pieces[:1]  # a production's credits, writer first: "A,B (photos),C at Models,D using MAC"
        for index, piece in enumerate(pieces):
            name = _author_part(piece)
            if name is None or (index > 0 and is_place(name)):  # "Caio Quero, Santa Maria"
                continue
            if len(pieces) > 1 and _is_latin_script(name) and (len(name.split()) < 2 or name.islower()):
                continue  # "Austin, Tex.", "Zone Justice et faits divers": a piece that is no name
            key = _squash(name)
            if not key or key in seen or (site_key and key == site_key):
                continue
            seen.add(key)
            names.append(name)
    return names
