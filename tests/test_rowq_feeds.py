"""Row quality of feed items and wire files on real inputs (issue 13): ids from the item's own
identity, no folds of distinct stories, publisher sites, bylines split only between people,
text_kind, boilerplate-only bodies, shortcodes and feed trailers, quiet third-party logs."""

from __future__ import annotations

import datetime as dt
import gzip
import logging
import re

import pytest

from conftest import read_table, shared_data
from transforms.clean import NotAnArticle, clean_article, clean_body, strip_feed_trailer, strip_shortcodes
from transforms.formats.feeds import CONTENT_FULL_MIN_WORDS, credited_people, text_kind
from transforms.formats.ids import guid_key
from transforms.logs import configure_logging
from transforms.model import stable_id
from transforms.parse import parse_record, split_file
from transforms.read import FileRef, RawFile, read_file

NOW = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)


def _articles(*parts: str):
    records = split_file(read_file(FileRef(str(shared_data(*parts)), None, None)), NOW)
    return [parse_record(r) for r in records]


def _from_bytes(data: bytes, name: str):
    return [parse_record(r) for r in split_file(RawFile(f"memory://{name}", data, len(data), None), NOW)]


# --- ids ---------------------------------------------------------------------------------------

DPA = ("formats", "newsml-g2", "dpa-newsmlg2-testdata")


def test_newsml_g2_see_also_links_never_become_the_url_and_the_guid_is_the_id():
    folder = shared_data(*DPA)
    for path in sorted(folder.glob("*.xml")) + [shared_data("formats", "newsml-g2", "superdesk-core", "dpa.xml")]:
        (article,) = _articles(*path.relative_to(shared_data()).parts)
        guid = article.hints["guid"]
        assert article.url is None, path.name  # dpa items only carry irel:seeAlso / shorturl links
        assert guid.startswith("urn:newsml:dpa.com:") and article.id == stable_id(guid)
    reuters = _articles("formats", "newsml-g2", "superdesk-core", "tag_reuters.com_2014_newsml_KBN0FL0NN_version_5")[0]
    assert reuters.url is None  # its only link is irel:derivedFrom


def test_two_dpa_stories_citing_the_same_link_stay_two_articles():
    """The issue's fold: two items whose only shared thing is an irel:seeAlso link."""
    first = shared_data(*DPA, "urn:newsml:dpa.com:20090101:170627-99-11003.xml").read_bytes()
    link = re.search(rb'<link href="http://juris[^"]+"[^>]*>', first).group(0)
    second = shared_data(*DPA, "urn:newsml:dpa.com:20090101:170629-99-43688.xml").read_bytes()
    second = re.sub(rb"(<itemMeta>)", rb"\1" + link + b"</link>", second, count=1)
    assert link in second
    a, b = _from_bytes(first, "a.xml")[0], _from_bytes(second, "b.xml")[0]
    assert a.url is None and b.url is None and a.id != b.id


def test_nitf_doc_id_is_the_identity_and_the_edition_reference_is_not_the_url():
    (article,) = _articles("formats", "nitf", "superdesk-core", "nitf-fishing.xml")
    assert article.url is None  # pubdata/@ex-ref points at the edition
    assert article.hints["guid"] == "iptc.321656141.b"
    assert article.id == stable_id(guid_key("iptc.321656141.b", "nitf.org"))


def test_newsml_1_identity_is_the_public_identifier_without_its_revision():
    (article,) = _articles("formats", "newsml-1", "superdesk-core", "afp.xml")
    assert article.hints["guid"] == "urn:newsml:afp.com:20140829T135002Z:TX-PAR-FXW86:1"
    assert article.id == stable_id("urn:newsml:afp.com:20140829T135002Z:TX-PAR-FXW86")


def test_bare_guids_are_scoped_by_their_feed_and_global_ones_stand_alone():
    assert guid_key("1", "huffingtonpost.ca") != guid_key("1", "example.org")
    assert guid_key("tag:typepad.com,2003:post-61484736", "typepad.com") == "tag:typepad.com,2003:post-61484736"
    assert guid_key("12345", None) is None  # unique within nobody known: the id falls back to the source


def test_podcast_items_that_all_link_to_the_home_page_are_not_one_article():
    articles = _articles("realworld", "rss-parser", "input", "itunes-missing-image.rss")
    assert len(articles) == 131 and len({a.id for a in articles}) == 131
    assert articles[0].url == "http://taverncast.com/shows/taverncast-62.mp3"  # its permalink guid


def test_feedburner_items_take_the_publishers_url():
    first = _articles("formats", "rss-atom", "feedreader", "Rss20Reuters.xml")[0]
    assert first.url.startswith("http://www.reuters.com/article/") and first.site == "Reuters"


def test_relative_atom_links_resolve_against_the_feed():
    first = _articles("realworld", "rss-parser", "input", "gulp-atom.atom")[0]
    assert first.url == "https://github.com/gulpjs/gulp/releases/tag/v3.9.0"


# --- sites and authors ---------------------------------------------------------------------------

@pytest.mark.parametrize("parts, site", [
    (("formats", "rss-atom", "feedreader", "Rss20Reuters.xml"), "Reuters"),  # "Reuters: World News"
    (("formats", "rss-atom", "feedreader", "Rss20TheMirror.xml"), "mirror"),  # "mirror - World news"
    (("formats", "rss-atom", "feedreader", "Rss20NYTimes.xml"), "nytimes.com"),  # "NYT > Home Page"
    (("formats", "rss-atom", "rss-parser", "guardian.rss"), "The Guardian"),
    (("formats", "rss-atom", "rss-parser", "heise.atom"), "heise"),  # "heise developer neueste Meldungen"
    (("realworld", "rss-parser", "input", "rss-1.rss"), "American Association for the Advancement of Science"),
])
def test_site_is_the_publisher_never_the_channel_title(parts, site):
    assert {a.site for a in _articles(*parts)} == {site}


def test_a_section_channel_title_gives_the_host():
    data = shared_data("formats", "rss-atom", "feedreader", "Rss20TheMirror.xml").read_bytes()
    data = data.replace(b"<title>mirror - World news</title>", b"<title>Asia</title>", 1)
    assert {a.site for a in _from_bytes(data, "asia.xml")} == {"mirror.co.uk"}


def test_feed_bylines_split_only_between_people():
    nyt = _articles("formats", "rss-atom", "feedreader", "Rss20NYTimes.xml")[0]
    assert nyt.authors == ["Michael D. Shear", "David E. Sanger"]
    science = _articles("realworld", "rss-parser", "input", "rss-1.rss")
    assert science[0].authors == ["Hines, P. J."]
    assert science[26].authors == ["Ash, C.", "Mueller, K. L."]
    guardian = _articles("formats", "rss-atom", "rss-parser", "guardian.rss")
    assert guardian[10].authors == ["Sam Jones", "Stephen Burgen"]  # "… in Madrid and … in Barcelona"
    assert all(not re.search(r"agencies|sport|Staff", name) for a in guardian for name in a.authors)
    assert credited_people(["Jim Vertuno, Austin, Tex."]) == ["Jim Vertuno"]
    assert credited_people(["Jane Doe, Geneva, Switzerland"]) == ["Jane Doe"]
    assert credited_people(["foobar@gmail.com", "Taverncast: www.taverncast.com"]) == []


def test_wire_bylines_drop_desk_codes_and_roles():
    (efe,) = _articles("formats", "nitf", "superdesk-core", "efe_nitf.xml")
    assert efe.authors == []  # "gr/bp"
    (ntb,) = _articles("formats", "nitf", "superdesk-core", "nitf-ntb.xml")
    assert ntb.authors == ["Geir Molnes"]  # "Geir Molnes / Faktisk.no"


# --- text_kind -----------------------------------------------------------------------------------

def test_text_kind_tells_full_text_teasers_and_headlines_apart():
    assert {a.text_kind for a in _articles("realworld", "feedjira", "feeds", "TechCrunch.xml")} == {"full"}
    assert {a.text_kind for a in _articles("formats", "rss-atom", "rss-parser", "guardian.rss")} == {"teaser"}
    science = _articles("realworld", "rss-parser", "input", "rss-1.rss")
    assert {a.text_kind for a in science} == {"headline"} and science[0].body == science[0].title
    assert {a.text_kind for a in _articles("formats", "newsml-g2", "superdesk-core", "dpa.xml")} == {"full"}


def test_text_kind_counts_the_words_of_a_long_text():
    # a head of few long "words" (a URL, a table row) does not make a long text a teaser
    assert text_kind("Title", ["x" * 2000, "word " * (CONTENT_FULL_MIN_WORDS + 5)], "content") == "full"
    assert text_kind("Title", ["x" * 2000, "word " * 5], "content") == "teaser"


def test_headline_records_sharing_a_title_are_not_exact_copies():
    science = [clean_article(a) for a in _articles("realworld", "rss-parser", "input", "rss-1.rss")]
    assert len({a.content_hash for a in science}) == len(science)


# --- boilerplate-only bodies ------------------------------------------------------------------------

def _tagged_guardian(titles: bool) -> bytes:
    data = shared_data("formats", "rss-atom", "rss-parser", "guardian.rss").read_bytes()
    items = re.split(rb"(?=<item>)", data)
    for i in (1, 2):  # the first two items: their text becomes the site tag, maybe without a title
        items[i] = re.sub(rb"<description>.*?</description>", b"<description>[allAfrica]</description>",
                          items[i], count=1, flags=re.S)
        if not titles:
            items[i] = re.sub(rb"<title>[^<]*</title>", b"", items[i], count=1)
    return b"".join(items)


def test_a_body_that_is_only_a_site_tag_is_no_article_text():
    first, second = [clean_article(a) for a in _from_bytes(_tagged_guardian(titles=True), "g.rss")[:2]]
    assert (first.text_kind, second.text_kind) == ("headline", "headline")
    assert first.body == first.title and first.content_hash != second.content_hash
    untitled = _from_bytes(_tagged_guardian(titles=False), "g.rss")[0]
    with pytest.raises(NotAnArticle, match=r"only site boilerplate \('\[allAfrica\]'\)"):
        clean_article(untitled)
    assert NotAnArticle.stage == "filter"


def test_the_cli_never_folds_stories_whose_whole_text_is_the_same_tag(tmp_path, run_newsbeam):
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "tagged.rss").write_bytes(_tagged_guardian(titles=False))
    code, manifest = run_newsbeam(tmp_path / "in", tmp_path / "out", "--skip_enrich")
    assert code == 0 and manifest["balanced"]
    assert manifest["counts"]["duplicates"] == 0 and manifest["counts"]["dead_letter"] == 2
    dead = read_table(tmp_path / "out", "dead_letter").to_pylist()
    assert {row["stage"] for row in dead} == {"filter"}
    assert all("only site boilerplate" in row["message"] for row in dead)


# --- body leftovers ---------------------------------------------------------------------------------

def test_shortcodes_leave_the_body_and_bracketed_text_stays():
    body = ('[time-brightcove not-tgx="true"]\n\nThe Senate voted [sic] on the bill [1].\n\n'
            '[caption id="attachment_7" align="alignnone" width="640"]<img src="x.jpg"> Senators, Tuesday.'
            '[/caption]\n\n[embed]https://www.youtube.com/watch?v=x[/embed]\n\nIt passed. [pullquote]We won.[/pullquote]')
    cleaned, _ = clean_body(body)
    assert cleaned == "The Senate voted [sic] on the bill [1].\n\nIt passed. We won."
    assert strip_shortcodes("No shortcode [...] here") == "No shortcode [...] here"


def test_feed_trailers_leave_the_body():
    # WordPress SEO's default trailer ("The post %1$s appeared first on %2$s.") and its variants.
    assert strip_feed_trailer("Body.\n\nThe post Big news appeared first on Example Blog.") == "Body."
    assert strip_feed_trailer("Body. The post Zero-Days Exploited appeared first on SecurityWeek .") == "Body."
    assert strip_feed_trailer('Body.\n\nThis post appeared first on "Microsoft Tech Community".') == "Body."
    story = "The post office appeared first on the list of closures, officials said on Monday."
    assert strip_feed_trailer(story) == story
    # Only a long text's tail is searched, and the look-behind still sees the text before it.
    long = "Officials met again on Monday. " * 400  # 12,400 characters
    assert strip_feed_trailer(long + "THE POST Big news APPEARED FIRST ON Example Blog.") == long.rstrip()
    assert strip_feed_trailer(long + "The entry was published on Example Blog.") == long.rstrip()
    assert strip_feed_trailer(long) == long.rstrip()


# --- third-party log noise --------------------------------------------------------------------------

def _parse_quietly(parts):
    for record in split_file(read_file(FileRef(str(shared_data(*parts)), None, None)), NOW):
        try:
            parse_record(record)
        except Exception:  # a dead letter in the pipeline: only the log records matter here
            pass


def test_third_party_warnings_stay_quiet_unless_debug(caplog):
    page = ("realworld", "htmldate", "cache", "500px.com.spring.html")  # trafilatura: "discarding data"
    try:
        configure_logging("WARNING")
        with caplog.at_level(logging.DEBUG):
            _parse_quietly(page)
        assert not [r for r in caplog.records if r.name.startswith(("trafilatura", "htmldate"))]
        caplog.clear()
        configure_logging("DEBUG")
        with caplog.at_level(logging.DEBUG):
            _parse_quietly(page)
        assert [r for r in caplog.records if r.name.startswith("trafilatura")]
    finally:
        configure_logging("WARNING")


def test_log_level_option_rejects_unknown_levels(tmp_path, capsys):
    from pipeline.cli import main

    code = main(["run", "--input", str(tmp_path), "--output", str(tmp_path / "o"), "--log-level", "LOUD"])
    assert code == 2 and "--log-level" in capsys.readouterr().err


def test_warc_pages_whose_canonical_names_the_home_page_keep_their_own_url():
    """A CMS that sets every page's canonical link to the home page must not make a crawl one id."""
    pages = sorted(shared_data("article-extraction-benchmark", "html").glob("*.html.gz"))
    html = gzip.decompress(pages[0].read_bytes())  # a real news page
    # the CMS's pages name no address of their own (a real og:url would rightly make them one page)
    html = re.sub(rb"<meta[^>]+og:url[^>]*>", b"", html)
    html = re.sub(rb"<head[^>]*>", lambda m: m.group(0) + b'<link rel="canonical" href="https://news.example.com/">',
                  html, count=1)
    records = []
    for uri in ("https://news.example.com/2024/a", "https://news.example.com/2024/b"):
        http = b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: %d\r\n\r\n" % len(html)
        block = http + html
        records.append(f"WARC/1.0\r\nWARC-Type: response\r\nWARC-Target-URI: {uri}\r\nWARC-Date: 2024-05-02T00:00:00Z"
                       f"\r\nContent-Type: application/http; msgtype=response\r\nContent-Length: {len(block)}\r\n\r\n"
                       .encode() + block + b"\r\n\r\n")
    first, second = _from_bytes(b"".join(records), "crawl.warc")
    assert (first.url, second.url) == ("https://news.example.com/2024/a", "https://news.example.com/2024/b")
    assert first.id != second.id
