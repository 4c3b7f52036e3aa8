"""RSS 2.0, RSS 1.0 and Atom: one article per item, on real publisher feeds and spec-sized ones."""

from __future__ import annotations

import datetime as dt

import pytest

from conftest import shared_data
from transforms.formats import ParseError
from transforms.formats.feeds import parse_feed_item, split_feed
from transforms.formats.markup import parse_xml
from transforms.parse import parse_record, split_file
from transforms.read import FileRef, RawFile, read_file

NOW = dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc)

RSS = b"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/" xmlns:dc="http://purl.org/dc/elements/1.1/">
<channel><title>Example News</title><link>https://news.example.com/</link><language>en-gb</language>
<item><title>First story</title><link>https://news.example.com/1</link>
<description>Short summary.</description>
<content:encoded><![CDATA[<p>Full text&nbsp;one.</p><p>Second <b>para</b>.</p>]]></content:encoded>
<dc:creator>Ann Author</dc:creator><pubDate>Tue, 02 Jan 2024 10:00:00 GMT</pubDate></item>
<item><title>Second story</title><guid isPermaLink="true">https://news.example.com/2</guid>
<description>&lt;p&gt;Only a summary here.&lt;/p&gt;</description></item>
<item><title>Title only</title></item>
</channel></rss>"""

ATOM = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>Atom News</title>
<entry><title>Atom story</title><link rel="alternate" href="https://atom.example.org/a"/>
<published>2024-02-03T04:05:06+01:00</published><author><name>Bo Writer</name></author>
<content type="html">&lt;p&gt;Atom body.&lt;/p&gt;</content></entry></feed>"""


def _split(data: bytes, name: str = "memory://feed.xml"):
    return split_file(RawFile(name, data, len(data), None), NOW)


def test_rss_items_become_records_with_content_encoded_as_body():
    records = _split(RSS)
    assert [r.kind for r in records] == ["feed"] * 3
    first = parse_record(records[0])
    assert first.title == "First story" and first.url == "https://news.example.com/1"
    assert first.body == "Full text one.\n\nSecond para."
    # The publisher is the part of the channel title "Example News" that names the domain.
    assert first.authors == ["Ann Author"] and first.site == "Example"
    assert first.published_at == dt.datetime(2024, 1, 2, 10, tzinfo=dt.timezone.utc)
    assert first.hints["language"] == "en-gb"
    second = parse_record(records[1])
    assert second.body == "Only a summary here." and second.url == "https://news.example.com/2"


def test_item_with_only_a_title_is_a_headline_record():
    records = _split(RSS)
    article = parse_record(records[2])
    assert (article.title, article.body, article.text_kind) == ("Title only", "Title only", "headline")


def test_an_item_without_a_date_is_dated_by_its_own_url_and_one_with_a_date_keeps_it():
    feed = RSS.replace(b"https://news.example.com/2", b"https://news.example.com/news/2017/01/07/business/story/")
    undated = parse_record(_split(feed)[1])
    assert undated.published_at == dt.datetime(2017, 1, 7, tzinfo=dt.timezone.utc) and undated.date == "2017-01-07"
    assert undated.hints["date_source"] == "url"
    dated = parse_record(_split(feed.replace(b"https://news.example.com/1", b"https://news.example.com/2016/05/05/x"))[0])
    assert dated.published_at == dt.datetime(2024, 1, 2, 10, tzinfo=dt.timezone.utc)
    assert parse_record(_split(RSS)[1]).published_at is None  # no date, no dated URL: none invented


def test_item_without_title_or_text_is_one_parse_error_not_a_lost_record():
    (record,) = _split(b"<rss version='2.0'><channel><title>T</title><item><link>https://a.example/1</link>"
                       b"</item></channel></rss>")
    with pytest.raises(ParseError, match="no title, content"):
        parse_record(record)


def test_atom_entry():
    (record,) = _split(ATOM, "memory://feed")
    article = parse_record(record)
    assert (article.title, article.url, article.authors) == ("Atom story", "https://atom.example.org/a", ["Bo Writer"])
    assert article.published_at == dt.datetime(2024, 2, 3, 3, 5, 6, tzinfo=dt.timezone.utc)


def test_guardian_feed_has_one_article_per_item():
    records = split_file(read_file(FileRef(str(shared_data("formats", "rss-atom", "rss-parser", "guardian.rss")), None, None)), NOW)
    assert len(records) == 55
    article = parse_record(records[0])
    assert article.url.startswith("https://www.theguardian.com/")
    assert article.authors and article.published_at is not None


def test_undeclared_latin1_feed_decodes_without_mojibake():
    root = parse_xml(shared_data("formats", "rss-atom", "rss-parser", "uolNoticias.rss").read_bytes())
    fields = []
    for doc in split_feed(root):
        try:
            fields.append(parse_feed_item(doc))
        except ParseError:
            pass  # title-only items
    assert fields[0]["site"] == "UOL"  # the publisher part of the channel title "UOL Noticias"
    text = " ".join(f["title"] + f["body"] for f in fields)
    assert "ç" in text and "ã" in text and "ē" not in text


def test_bom_feed_in_cyrillic():
    root = parse_xml(shared_data("formats", "rss-atom", "feedreader", "Rss20CityDog.xml").read_bytes())
    fields = parse_feed_item(split_feed(root)[0])
    assert "Группа" in fields["title"]


def test_italian_pubdate_is_understood():
    root = parse_xml(shared_data("formats", "rss-atom", "feed-rs", "rss_2.0_ilmessaggero.xml").read_bytes())
    fields = parse_feed_item(split_feed(root)[0])
    assert fields["published_at"] is not None and fields["published_at"].year == 2022


def test_rss_1_rdf_items_are_found():
    root = parse_xml(shared_data("formats", "rss-atom", "feedreader", "Rss10OrfAt.xml").read_bytes())
    assert len(split_feed(root)) == 50


def test_text_kind_compares_a_long_text_with_its_title_by_its_head_only():
    from transforms.formats.feeds import _compact, _same_text, text_kind

    title = "Council expands bus network"
    cases = [title, "Council expands bus network.", "COUNCIL — expands bus-network!!", "Council expands bus network " * 3,
             "Council" + " ." * 200 + " expands bus network", "Council expands bus network and more", "Other story"]
    for text in cases:  # the same answer as compacting all of the text
        assert _same_text(text, title) == (_compact(text) == _compact(title)), text[:40]
    assert text_kind(title, ["Council expands bus network…"], "summary") == "headline"
    assert text_kind(title, ["The city council voted on Tuesday to expand the bus network. Read more"], "summary") == "teaser"
