"""Feed item titles as an analyst reads them: no markup from escaped-HTML titles, no author credit
appended by the publisher, and nothing else touched."""

from __future__ import annotations

import datetime as dt

import pytest

from conftest import shared_data
from transforms.parse import parse_record, split_file
from transforms.read import FileRef, RawFile, read_file

NOW = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)


def _atom_entry(title_xml: str, author: str = "") -> bytes:
    author_xml = f"<author><name>{author}</name></author>" if author else ""
    return f"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>Example News</title>
<link href="https://news.example.com/" rel="alternate"/>
<entry><id>tag:news.example.com,2019:1</id>{title_xml}{author_xml}
<link href="https://news.example.com/2019/07/10/story.html" rel="alternate"/>
<published>2019-07-10T11:53:37Z</published>
<content type="html">The company said on Wednesday that its shares rose after the results were
published, and analysts expected further gains in the coming quarter as demand held up.</content>
</entry></feed>""".encode()


def _title(data: bytes) -> str:
    [record] = split_file(RawFile("memory://feed.atom", data, len(data), None), NOW)
    return parse_record(record).title


@pytest.mark.parametrize("title_xml, expected", [
    ('<title type="html">&lt;b&gt;Slack&lt;/b&gt; Stock Has a Compelling Story</title>',
     "Slack Stock Has a Compelling Story"),
    ('<title type="html">Investors&amp;#39; guide to &lt;i&gt;the&lt;/i&gt; IPO</title>',
     "Investors' guide to the IPO"),
    ("<title>AT&amp;T buys a cable network</title>", "AT&T buys a cable network"),
    ("<title>Rates: why 2 &lt; 3 matters to savers</title>", "Rates: why 2 < 3 matters to savers"),
])
def test_titles_lose_markup_but_keep_their_text(title_xml, expected):
    assert _title(_atom_entry(title_xml)) == expected


def test_a_trailing_credit_of_the_items_authors_leaves_the_title():
    data = _atom_entry("<title>The Women's March could change politics | Erica Chenoweth and "
                       "Jeremy Pressman</title>", author="Erica Chenoweth and Jeremy Pressman")
    assert _title(data) == "The Women's March could change politics"


def test_a_trailing_section_that_is_not_the_author_stays():
    data = _atom_entry("<title>Budget talks stall | Politics</title>", author="Jane Doe")
    assert _title(data) == "Budget talks stall | Politics"


def test_real_search_alert_feed_titles_carry_no_markup():
    path = shared_data("realworld", "feedjira", "feeds", "google_alerts_atom.xml")
    records = split_file(read_file(FileRef(str(path), None, None)), NOW)
    titles = [parse_record(r).title for r in records]
    assert len(titles) == 20
    assert not [t for t in titles if "<" in t or "&lt;" in t]
    assert "Slack Stock Has a Compelling Story and the Numbers to Back It Up" in titles
