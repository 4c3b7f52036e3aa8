"""NewsML-G2, NewsML 1.x and NITF: real agency samples (../shared/data/formats) and spec-sized ones."""

from __future__ import annotations

import datetime as dt

import pytest

from conftest import shared_data
from transforms.formats import ParseError
from transforms.formats.newsml import parse_newsml_1, parse_newsml_g2
from transforms.formats.nitf import byline_names, parse_nitf
from transforms.parse import parse_record, split_file
from transforms.read import FileRef, read_file

NOW = dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc)


def _articles(path):
    records = split_file(read_file(FileRef(str(path), None, None)), NOW)
    return records, [parse_record(r) for r in records]


SPEC_NITF = b"""<?xml version="1.0" encoding="UTF-8"?>
<nitf><head><title>Storm hits coast</title>
<tobject><tobject.subject tobject.subject.refnum="17000000"/></tobject>
<docdata><date.issue norm="20240305T101500Z"/></docdata></head>
<body><body.head><hedline><hl1>Storm batters the coast</hl1></hedline>
<byline>By Jane Roe and John Poe, Press Association</byline>
<dateline><location><city>Brighton</city></location>, <story.date norm="20240305">March 5</story.date></dateline>
</body.head><body.content><p>A storm hit the coast on Tuesday.</p><p>Power was cut to 4,000 homes.</p>
</body.content></body></nitf>"""


def test_nitf_spec_sample_keeps_headline_byline_dateline_and_subjects():
    fields = parse_nitf(SPEC_NITF)
    assert fields["title"] == "Storm batters the coast"
    assert fields["authors"] == ["Jane Roe", "John Poe"]
    assert fields["body"] == "A storm hit the coast on Tuesday.\n\nPower was cut to 4,000 homes."
    assert fields["hints"]["dateline"] == "Brighton, March 5"
    assert fields["hints"]["dateline_city"] == "Brighton"
    assert fields["hints"]["subjects"] == "subj:17000000"
    assert fields["published_at"] == dt.datetime(2024, 3, 5, 10, 15, tzinfo=dt.timezone.utc)


def test_byline_names_drop_prefix_and_affiliation():
    assert byline_names("By BERNARD CONDON, AP Business Writer") == ["Bernard Condon"]
    assert byline_names("Von Anja Semmelroch, dpa") == ["Anja Semmelroch"]


def test_nitf_iptc_fishing_sample():
    fields = parse_nitf(shared_data("formats", "nitf", "superdesk-core", "nitf-fishing.xml").read_bytes())
    assert fields["title"] == "Weather and Tide Updates for Norfolk"
    assert fields["authors"] == ["Alan Karben"]
    assert fields["hints"]["dateline"].startswith("Newport News, VA")
    assert "subj:17000000" in fields["hints"]["subjects"].split()
    assert fields["body"].startswith("The weather was superb today in Norfolk")


def test_nitf_latin1_pa_sample_keeps_pound_sign():
    fields = parse_nitf(shared_data("formats", "nitf", "superdesk-core", "pa5.xml").read_bytes())
    assert "£66 billion" in fields["body"]
    assert fields["authors"] == ["Sam Lister"]


def test_nitf_declared_latin1_but_utf8_is_not_mojibake():
    fields = parse_nitf(shared_data("formats", "nitf", "superdesk-core", "mapping_test.xml").read_bytes())
    assert "41-årig" in fields["body"] and "Ã" not in fields["body"]


def test_newsml_g2_spec_text_document():
    path = shared_data("formats", "newsml-g2", "iptc-newsml-g2", "LISTING_2_NewsML-G2_Text_Document.xml")
    fields = parse_newsml_g2(path.read_bytes())
    assert fields["title"] == 'Fed to halt QE to avert "bubble"'
    assert fields["authors"] == ["Meredith Jameson"]
    assert "medtop:04000000" in fields["hints"]["subjects"].split()
    assert fields["hints"]["language"] == "en-US"
    assert fields["published_at"] is not None


def test_newsml_g2_message_is_one_record_per_item_with_dateline():
    records, articles = _articles(shared_data("formats", "newsml-g2", "superdesk-core", "ap.xml"))
    assert [r.index for r in records] == [0, 1, 2]
    first = articles[0]
    assert first.title == "Nutrisystem beats 4Q earnings and revenue expectations"
    assert first.hints["dateline"] == "FORT WASHINGTON, Pa."
    assert first.body.startswith("FORT WASHINGTON, Pa. (AP)")


def test_newsml_g2_dpa_xhtml_body_skips_the_slugline_header():
    fields = parse_newsml_g2(shared_data("formats", "newsml-g2", "superdesk-core", "dpa.xml").read_bytes())
    assert fields["body"].startswith("London (dpa) -")
    assert fields["hints"]["dateline"] == "London (dpa) -"
    assert fields["site"] == "Deutsche Presse-Agentur GmbH"


def test_newsml_g2_reuters_file_without_extension_is_sniffed():
    path = shared_data("formats", "newsml-g2", "superdesk-core", "tag_reuters.com_2014_newsml_KBN0FL0NN_version_5")
    records, articles = _articles(path)
    assert records[0].kind == "newsml-g2"
    assert articles[0].authors == ["Marwan Makdisi"]


@pytest.mark.parametrize("name", ["picture.xml"])
def test_newsml_g2_item_without_text_is_a_parse_error(name):
    with pytest.raises(ParseError, match="no text content"):
        parse_newsml_g2(shared_data("formats", "newsml-g2", "superdesk-core", name).read_bytes())


def test_newsml_1_afp_item():
    fields = parse_newsml_1(shared_data("formats", "newsml-1", "superdesk-core", "afp.xml").read_bytes())
    assert fields["title"] == "Sweden court accepts receivership for Saab carmaker"
    assert fields["hints"]["dateline"] == "STOCKHOLM, Aug 29, 2014 (AFP) -"
    assert "subj:04000000" in fields["hints"]["subjects"].split()


def test_newsml_1_tass_item_sends_its_nitf_story_as_complex_data():
    records, articles = _articles(shared_data("formats", "newsml-1", "superdesk-belga", "tass_belga.xml"))
    assert len(articles) == 1
    article = articles[0]
    assert article.title == "Kremlin has 'negative reaction' to upcoming EU sanctions"
    assert article.body.startswith("MOSCOW, January 21. /TASS/. The Kremlin does not support")
    assert article.hints["language"] == "en" and article.site == "itar-tass.com"


# Per folder of ../shared/data/formats: (articles, records that are dead letters, whole files that are
# dead letters), counted when the samples were checked by hand: the record dead letters are picture
# and graphics items with no text; the two whole files are IPTC listings whose root is no news format.
WIRE_ACCOUNTS = {"newsml-g2": (24, 11, 2), "newsml-1": (10, 0, 0), "nitf": (13, 0, 0)}


@pytest.mark.parametrize("folder", sorted(WIRE_ACCOUNTS))
def test_every_wire_sample_is_accounted_for(folder):
    root = shared_data("formats", folder)
    articles, dead, whole = 0, [], []
    for path in sorted(root.rglob("*")):
        if not path.is_file() or path.suffix == ".md":
            continue
        try:  # any other exception than a dead letter's fails the test
            records = split_file(read_file(FileRef(str(path), None, None)), NOW)
        except ParseError as exc:
            whole.append(str(exc))
            continue
        for record in records:
            try:
                article = parse_record(record)
            except ParseError as exc:
                dead.append(str(exc))
                continue
            assert article.body.strip() and "\x00" not in article.body
            articles += 1
    assert (articles, len(dead), len(whole)) == WIRE_ACCOUNTS[folder]
    assert all("no text content" in message for message in dead)
    assert all("no news format" in message for message in whole)


def test_xml_bomb_and_external_entities_never_expand():
    bomb = b"""<?xml version="1.0"?><!DOCTYPE nitf [<!ENTITY a "aaaaaaaaaa">
    <!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">
    <!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;"><!ENTITY e "&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;">
    <!ENTITY f "&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;"><!ENTITY g "&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;">
    <!ENTITY xxe SYSTEM "file:///etc/passwd">]>
    <nitf><body><body.content><p>&g; &xxe; Real text of the story.</p></body.content></body></nitf>"""
    try:
        fields = parse_nitf(bomb)
    except ParseError:
        return  # refused outright: also safe
    assert "aaaaaaaaaa" not in fields["body"] and "root:" not in fields["body"]
    assert "Real text of the story." in fields["body"]


def test_a_g2_provider_given_only_by_qcode_is_named_by_its_code_without_scheme_or_www():
    from lxml import etree

    from transforms.formats.newsml import _provider_name

    assert _provider_name(etree.fromstring('<provider qcode="web:www.xmlteam.com"/>')) == "xmlteam.com"
    assert _provider_name(etree.fromstring('<provider qcode="nprov:REUTERS"/>')) == "REUTERS"
    assert _provider_name(etree.fromstring('<provider literal="reuters.com" qcode="nprov:x"/>')) == "reuters.com"
