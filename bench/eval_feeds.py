"""Feeds and wire files: per-field agreement with other tools' expectations, and folds checked.

Data: `../shared/data/realworld/` (`rss-parser`, `feedjira`, `laminas-feed`: real RSS/Atom/RDF
feeds; `superdesk-wire`: NewsML-G2, NITF, NewsML 1.x, ninjs wire files) with their
`expected.jsonl`, plus `../shared/data/formats/` (feeds and wire files without gold, for the
fold check and the site and author audits).

Per field, on each feed item / wire file the gold names (records parsed and cleaned as the
pipeline does: `parse_record` -> `clean_article`):
- title: equal after HTML entities and tags are undone and whitespace collapsed (rss-parser keeps
  `&#x0024;` and `<sup>` as the feed has them);
- url: equal; or equal once tracking parameters and redirect wrappers are removed
  (`transforms.urls.canonical_url`: "agree, tracking/redirect removed"); or the gold is relative and equals ours once resolved against the feed's link; or
  the gold is a feed-proxy link and ours the publisher's URL the item gives in
  `feedburner:origLink` ("proxy resolved"); or the gold is a home page / a link several items
  share, which newsbeam does not take for the item's own URL ("not own");
- date: the same instant within a second (gold with a time), else the same UTC day; a date
  where the gold has none is "invented" unless the item states one the gold tool could not read
  (a `pubDate` in Portuguese) — invented dates must be 0;
- author: the same name words (case, punctuation, "By", "and" ignored); ours a subset of the
  gold's words that drops only a place or role ("Tom McCarthy in New York") is "agree, place/role
  left out"; a gold credit that is an organisation, the publisher or an e-mail address (which
  newsbeam drops by design) is "gold not a person";
- guid / id: the item's guid as the feed or wire file gives it (superdesk's ids append the G2
  `version` as `:N`; both forms agree);
- site: no gold; the audit counts items whose `site` is the channel title though that title does
  not name the publisher's domain (must be 0).

Authors junk: share of our author names that an independent audit flags (e-mail, URL, digits,
organisation or role words, agency names, lowercase phrases, over five words); bar <= 2%.

Folds: the CLI runs on the feed folders and on the wire folders; every `duplicates` row's body
(re-read from its source record) is compared with its canonical article's body: a fold whose
word-set Jaccard is < 0.5 and whose shorter body is < 80% contained in the other is a distinct
story folded (must be 0).
"""

from __future__ import annotations

import datetime as dt
import html
import json
import re
import tempfile
import uuid
from collections import Counter
from pathlib import Path
from typing import Any, Optional
from urllib.parse import urljoin

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
REALWORLD = DATA / "realworld"
FEED_SETS = ("rss-parser", "feedjira", "laminas-feed")
FEED_INPUTS = ("realworld/rss-parser/input", "realworld/feedjira/feeds", "realworld/laminas-feed/feeds",
               "formats/rss-atom")
WIRE_INPUTS = ("realworld/superdesk-wire/files", "formats/newsml-g2", "formats/newsml-1", "formats/nitf")
FIELDS = ("title", "url", "date", "author", "guid", "site")
JACCARD_SAME_STORY = 0.5
CONTAINMENT_SAME_STORY = 0.8
AUTHORS_JUNK_BAR = 0.02
_WORD = re.compile(r"\w+", re.UNICODE)
NOW = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)


def _canonical(url: str):
    from transforms.urls import canonical_url

    return canonical_url(url)


def _records(path: Path):
    from transforms.parse import split_file
    from transforms.read import FileRef, read_file

    return split_file(read_file(FileRef(str(path), None, None)), NOW)


def _article(record):
    """(article as the pipeline leaves Clean, or None, error)."""
    from transforms.clean import clean_article
    from transforms.parse import parse_record

    try:
        return clean_article(parse_record(record)), None
    except Exception as exc:  # a dead letter in the pipeline
        return None, f"{type(exc).__name__}: {exc}"


def _plain(text: Optional[str]) -> str:
    text = html.unescape(html.unescape(text or ""))
    return " ".join(re.sub(r"<[^>]+>", "", text).split())


def _words(text: Optional[str]) -> set[str]:
    return {w for w in _WORD.findall((text or "").casefold()) if w not in ("by", "and", "von", "und")}


def _instant(value: Optional[str]) -> Optional[dt.datetime]:
    if not value:
        return None
    try:
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.timezone.utc)


_DATE_FIELDS = (rb"pubDate|date|published|issued|updated|modified|firstCreated|versionCreated|contentCreated"
                rb"|date\.issue|date\.release|story\.date|DateAndTime|ThisRevisionCreated|DateId|wp:post_date")


def _stated_date(record) -> bool:
    """Whether the raw item states a date at all (whatever a gold tool made of it): a date
    element of a feed or wire format, a NITF `norm` date, a JSON date key, a wire text's
    filing-time stamp."""
    return bool(re.search(rb"<(?:[\w-]+:)?(?:" + _DATE_FIELDS + rb")\b[^>]*>\s*[^<\s]|norm=\"\d{4}-?\d{2}"
                          rb"|\"(?:versioncreated|firstcreated|date_published|datePublished|published)\"\s*:\s*\"\d"
                          # the filing-time stamp after ETX of ANPA / IPTC 7901 wire text
                          rb"|\x03[^\x04]{0,40}?(?:\d\d-\d\d-\d\d\s+\d{4}\s*GMT|\d{6}\s+(?:GMT\s+)?[A-Za-z]{3}\s+\d\d)",
                          record.payload, re.IGNORECASE))


def _orig_link(record) -> Optional[str]:
    found = re.search(rb"<(?:\w+:)?origLink>\s*([^<\s]+)", record.payload)
    return html.unescape(found.group(1).decode()) if found else None


def junk_author(name: str, site: Optional[str] = None) -> bool:
    """An independent audit of one author name (not the rules that produced it)."""
    words = name.split()
    lowered = name.casefold()
    return bool(
        "@" in name or "http" in lowered or "www." in lowered or re.search(r"\d|[:|/!?]", name)
        or not 1 <= len(words) <= 5
        or (len(words) > 1 and sum(w[:1].islower() for w in words) > len(words) // 2)
        or re.search(r"\b(?:staff|team|desk|news|press|agency|agencies|editor|editors|reporter|writer|"
                     r"correspondent|online|magazine|blog|bloggers|media|inc|ltd|network|newsroom|"
                     r"redaktion|associated press|reuters|afp|dpa|ap)\b", lowered)
        or (site and re.sub(r"\W", "", lowered) == re.sub(r"\W", "", site.casefold())))


# Outcomes that are not a comparison of the same value: the gold has none (a date the item states
# that the gold tool could not read), or differs by design (a proxy link resolved to the
# publisher's, a shared home-page link not taken as the item's, an organisation not kept as an
# author, mojibake in the gold).
NOT_COMPARED = ("stated, not in gold", "gold mojibake", "gold not a person", "proxy resolved", "not own",
                "shared, not used")


class Tally:
    """Per-field counts: agree / disagree / other named outcomes, with a few examples each."""

    def __init__(self, keep: int = 3):
        self.keep = keep
        self.counts: dict[str, Counter] = {f: Counter() for f in FIELDS}
        self.examples: dict[tuple[str, str], list[str]] = {}

    def add(self, field: str, outcome: str, example: str = "") -> None:
        self.counts[field][outcome] += 1
        if outcome != "agree" and example:
            self.examples.setdefault((field, outcome), [])
            if len(self.examples[(field, outcome)]) < self.keep:
                self.examples[(field, outcome)].append(example[:160])

    def report(self) -> dict[str, Any]:
        """Per field: `agreement` = outcomes starting with "agree" / outcomes that compare a value
        the gold states with ours (`NOT_COMPARED` outcomes are listed, not counted)."""
        out = {}
        for field, counts in self.counts.items():
            compared = sum(v for k, v in counts.items() if k not in NOT_COMPARED)
            agreed = sum(v for k, v in counts.items() if k.startswith("agree"))
            if counts:
                out[field] = {"n": compared, "agreement": round(agreed / compared, 3) if compared else None,
                              **dict(counts)}
        return out


def _compare_item(tally: Tally, record, article, error, gold: dict, feed_link: Optional[str],
                  shared_links: set[str]) -> None:
    where = f"{Path(record.file_uri).name}#{record.index}"
    if article is None:
        for field in ("title", "url", "date", "author", "guid"):
            if gold.get(field if field != "date" else "datetime_utc") or gold.get(field):
                tally.add(field, "record not an article", f"{where}: {error}")
        return
    if gold.get("title"):
        ok = _plain(article.title) == _plain(gold["title"])
        # The Guardian's opinion feeds end a title with " | <the author>": newsbeam leaves the
        # byline out of the title (the name is in `authors`).
        tail = gold["title"].rsplit(" | ", 1)
        byline_out = (not ok and len(tail) == 2 and _plain(article.title) == _plain(tail[0])
                      and _words(tail[1]) <= _words(" ".join(article.authors)) and bool(article.authors))
        outcome = ("agree" if ok else "agree, author left out of the title" if byline_out
                   else "gold mojibake" if "\ufffd" in gold["title"] else "disagree")
        tally.add("title", outcome, f"{where}: {article.title!r} vs {gold['title']!r}")
    if gold.get("url"):
        want = gold["url"].strip()
        if article.url == want:
            tally.add("url", "agree")
        elif article.url and article.url == _canonical(want):
            tally.add("url", "agree, tracking/redirect removed")
        elif feed_link and not re.match(r"https?://", want) and article.url == urljoin(feed_link, want):
            tally.add("url", "agree")
        elif article.url and article.url == _orig_link(record):
            tally.add("url", "proxy resolved")
        elif want in shared_links or re.fullmatch(r"https?://[^/]+/?", want):
            tally.add("url", "not own", f"{where}: gold {want} (home page or shared), ours {article.url}")
        else:
            tally.add("url", "disagree", f"{where}: {article.url} vs {want}")
    want_instant = _instant(gold.get("datetime_utc") or gold.get("published") or gold.get("datetime"))
    if want_instant is not None or gold.get("date"):
        got = article.published_at
        if got is None:
            tally.add("date", "missing", where)
        elif want_instant is not None:
            ok = abs((got - want_instant).total_seconds()) < 1
            tally.add("date", "agree" if ok else "disagree", f"{where}: {got} vs {want_instant}")
        else:
            ok = got.date().isoformat() == gold["date"]
            tally.add("date", "agree" if ok else "disagree", f"{where}: {got} vs {gold['date']}")
    elif article.published_at is not None:
        tally.add("date", "stated, not in gold" if _stated_date(record) else "invented",
                  f"{where}: {article.published_at}")
    if any(key in gold for key in ("author", "byline", "authors")):
        gold_author = gold.get("author") or gold.get("byline") or ", ".join(
            a if isinstance(a, str) else a.get("name", "") for a in gold.get("authors") or [])
        ours, theirs = _words(" ".join(article.authors)), _words(gold_author)
        publisher = {re.sub(r"\W", "", (x or "").casefold()) for x in (article.site, article.hints.get("channel"))}
        if ours == theirs:
            tally.add("author", "agree")
        elif ours and ours < theirs and all(_words(a) <= theirs for a in article.authors):
            # "Tom McCarthy in New York", "Jason Burke Africa correspondent", "/u/name": the
            # people, without the place, role or prefix the credit appends
            tally.add("author", "agree, place/role left out", f"{where}: {article.authors} vs {gold_author!r}")
        elif theirs and (junk_author(gold_author, article.site) or "@" in gold_author
                         or re.sub(r"\W", "", gold_author.casefold()) in publisher):
            tally.add("author", "gold not a person", f"{where}: {article.authors} vs {gold_author!r}")
        else:
            tally.add("author", "disagree", f"{where}: {article.authors} vs {gold_author!r}")
    want_guid = (gold.get("guid") or gold.get("id") or "").strip()
    if want_guid:
        got_guid = article.hints.get("guid", "")
        ok = got_guid == want_guid or re.sub(r":\d+$", "", want_guid) == got_guid
        tally.add("guid", "agree" if ok else ("shared, not used" if not got_guid else "disagree"),
                  f"{where}: {got_guid!r} vs {want_guid!r}")


def _site_audit(tally: Tally, article) -> None:
    from transforms.formats.feeds import publisher_in_title
    from transforms.formats.ids import host_of

    channel = article.hints.get("channel")
    if not channel:
        return
    names_domain = publisher_in_title(channel, host_of(article.url)) is not None
    if article.site and article.site == channel and not names_domain:
        tally.add("site", "channel title", f"{article.source_uri.rsplit('/', 1)[-1]}: {channel!r}")
    else:
        tally.add("site", "agree")


def feed_agreement(tally: Tally, authors: list[tuple[str, Optional[str]]], kinds: Counter) -> None:
    from transforms.formats.feeds import channel_link
    from transforms.formats.markup import child, parse_xml

    for name in FEED_SETS:
        folder = REALWORLD / name
        for line in (folder / "expected.jsonl").read_text(encoding="utf-8").splitlines():
            gold = json.loads(line)
            path = folder / gold["file"]
            if gold.get("expect_error") or not (gold.get("items") or gold.get("first_item")):
                continue
            try:
                records = _records(path)
            except Exception as exc:
                for field in ("title", "url"):
                    tally.add(field, "file not read", f"{path.name}: {exc}")
                continue
            try:
                root = parse_xml(path.read_bytes())
                feed_link = channel_link(root, child(root, "channel") if child(root, "channel") is not None else root)
            except Exception:
                feed_link = None
            golds = list(enumerate(gold.get("items") or []))
            if gold.get("first_item"):
                golds.append((0, gold["first_item"]))
            if gold.get("last_item"):
                golds.append((len(records) - 1, gold["last_item"]))
            urls = Counter(g.get("url", "").strip() for _, g in enumerate(gold.get("items") or []))
            shared = {u for u, n in urls.items() if n > 1 and u}
            parsed = {}
            for record in records:
                article, error = _article(record)
                parsed[record.index] = (record, article, error)
                if article is not None:
                    kinds[article.text_kind] += 1
                    authors.extend((a, article.site) for a in article.authors)
                    _site_audit(tally, article)
            for index, item_gold in golds:
                if index in parsed:
                    _compare_item(tally, *parsed[index], item_gold, feed_link, shared)


def wire_agreement(tally: Tally, authors: list[tuple[str, Optional[str]]], kinds: Counter) -> None:
    folder = REALWORLD / "superdesk-wire"
    for line in (folder / "expected.jsonl").read_text(encoding="utf-8").splitlines():
        gold = json.loads(line)
        if gold.get("synthetic_note"):
            continue  # placeholder test text, not real wire copy
        try:
            records = _records(folder / gold["file"])
        except Exception as exc:
            if gold.get("title"):
                tally.add("title", "file not read", f"{gold['file']}: {exc}")
            continue
        article, error = _article(records[0])
        if article is not None:
            kinds[article.text_kind] += 1
            authors.extend((a, article.site) for a in article.authors)
        wanted = {k: gold[k] for k in ("title", "id", "datetime", "date", "byline") if k in gold}
        if "datetime" not in wanted and "date" in wanted:
            wanted.pop("date")  # a day in the test's own offset only: not comparable to UTC
        _compare_item(tally, records[0], article, error, wanted, None, set())


def folded_stories(inputs: list[Path]) -> dict[str, Any]:
    """Run the CLI on `inputs`; check every duplicates row against its canonical article's body."""
    import duckdb

    from pipeline.cli import main, read_manifest

    with tempfile.TemporaryDirectory(prefix="eval-feeds-") as out:
        argv = ["run"]
        for path in inputs:
            argv += ["--input", str(path)]
        run_id = f"eval-feeds-{uuid.uuid4().hex[:8]}"
        if main(argv + ["--output", out, "--run_id", run_id, "--skip_enrich"]) != 0:
            raise RuntimeError(f"newsbeam run failed on {inputs}")
        manifest = read_manifest(out, run_id)
        con = duckdb.connect()
        articles = {row[0]: row[1] for row in con.execute(
            f"select id, body from read_parquet('{out}/articles/**/*.parquet', hive_partitioning=true)").fetchall()}
        dups = con.execute(f"select id, canonical_id, method, similarity, source_uri from "
                           f"read_parquet('{out}/duplicates/**/*.parquet', hive_partitioning=true)").fetchall() \
            if Path(out, "duplicates").exists() else []
    records: dict[str, Any] = {}
    wrong, methods = [], Counter()
    for _, canonical, method, similarity, source_uri in dups:
        methods[method] += 1
        file_uri = source_uri.split("#", 1)[0]
        if file_uri not in records:
            records.update({r.source_uri: r for r in _records(Path(file_uri.replace("file://", "")))})
        article, _ = _article(records[source_uri])
        mine, theirs = _words(article.body if article else ""), _words(articles.get(canonical, ""))
        shared = len(mine & theirs)
        jaccard = shared / max(1, len(mine | theirs))
        containment = shared / max(1, min(len(mine), len(theirs)))
        if jaccard < JACCARD_SAME_STORY and containment < CONTAINMENT_SAME_STORY:
            wrong.append(f"{source_uri.rsplit('/', 1)[-1]} -> {canonical} ({method}, jaccard {jaccard:.2f})")
    counts = manifest["counts"]
    return {"records_in": counts["records_in"], "articles": counts["articles"],
            "duplicates": counts["duplicates"], "dead_letter": counts["dead_letter"],
            "fold_methods": dict(methods), "distinct_stories_folded": len(wrong), "wrong_folds": wrong[:20]}


def main() -> dict:
    if not REALWORLD.exists():
        print(f"skipped: {REALWORLD} not found")
        return {"skipped": True}
    feeds_tally, wire_tally = Tally(), Tally()
    authors: list[tuple[str, Optional[str]]] = []
    kinds: dict[str, Counter] = {"feeds": Counter(), "wire": Counter()}
    feed_agreement(feeds_tally, authors, kinds["feeds"])
    feed_authors = len(authors)
    wire_agreement(wire_tally, authors, kinds["wire"])
    junk = [(a, s) for a, s in authors if junk_author(a, s)]
    report: dict[str, Any] = {
        "feeds": feeds_tally.report(), "wire": wire_tally.report(),
        "text_kind": {k: dict(v) for k, v in kinds.items()},
        "authors": {"n": len(authors), "feed_items": feed_authors, "junk": len(junk),
                    "junk_share": round(len(junk) / max(1, len(authors)), 4),
                    "junk_examples": sorted({a for a, _ in junk})[:20], "bar": AUTHORS_JUNK_BAR},
    }
    for name, tally in (("feeds", feeds_tally), ("wire", wire_tally)):
        print(f"\n{name}: per-field agreement with the gold (n = values compared; not compared: "
              f"{', '.join(NOT_COMPARED)})")
        for field, figures in report[name].items():
            others = ", ".join(f"{k} {v}" for k, v in figures.items() if k not in ("n", "agreement", "agree"))
            agreement = "  -  " if figures["agreement"] is None else f"{figures['agreement']:.3f}"
            print(f"  {field:<7} {agreement}  n={figures['n']:<5} agree {figures.get('agree', 0)}; {others}")
        for (field, outcome), examples in sorted(tally.examples.items()):
            print(f"    {field} / {outcome}: " + " | ".join(examples))
    print(f"\ntext_kind: {report['text_kind']}")
    print(f"authors: {len(authors)} names, junk {len(junk)} ({report['authors']['junk_share']:.1%}; bar <= "
          f"{AUTHORS_JUNK_BAR:.0%}): {report['authors']['junk_examples']}")
    report["invented_dates"] = sum(t.counts["date"]["invented"] for t in (feeds_tally, wire_tally))
    report["site_is_channel_title"] = feeds_tally.counts["site"]["channel title"]
    print(f"invented dates: {report['invented_dates']}; site = channel title: {report['site_is_channel_title']}")
    for name, inputs in (("feeds", FEED_INPUTS), ("wire", WIRE_INPUTS)):
        paths = [DATA / p for p in inputs if (DATA / p).exists()]
        folds = folded_stories(paths)
        report[f"folds_{name}"] = folds
        print(f"\nCLI on the {name} folders: {folds['records_in']} records -> {folds['articles']} articles, "
              f"{folds['duplicates']} duplicates {folds['fold_methods']}, {folds['dead_letter']} dead letters; "
              f"distinct stories folded: {folds['distinct_stories_folded']}")
        for line in folds["wrong_folds"]:
            print(f"    {line}")
    return report


if __name__ == "__main__":
    main()
