"""ANPA 1312 and IPTC 7901 wire text: the agencies' real messages (../shared/data/realworld/superdesk-wire,
superdesk's parser fixtures) and spec-sized ones, through the parser and the pipeline."""

from __future__ import annotations

import datetime as dt

import pytest
from conftest import read_table, shared_data
from transforms.formats import ParseError
from transforms.formats.wire import filing_time, looks_like_wire, parse_wire, split_wire
from transforms.parse import parse_record, sniff_kind, split_file
from transforms.read import FileRef, read_file

NOW = dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc)
UTC = dt.timezone.utc


def _wire(name: str):
    path = shared_data("realworld", "superdesk-wire", "files", name)
    records = split_file(read_file(FileRef(str(path), None, None)), NOW)
    assert [r.kind for r in records] == ["wire"]
    return parse_record(records[0])


def test_anpa_story_headline_byline_dateline_and_filing_time():
    article = _wire("anpa-1.tst")
    assert article.title == "For Argentine chemo patients, mirrors can hurt"
    assert article.authors == ["Paul Byrne", "Almudena Calatrava"]
    assert article.site == "Associated Press"
    # superdesk's expected firstcreated; the trailer reads "AP-WF-11-13-13 1509GMT"
    assert article.published_at == dt.datetime(2013, 11, 13, 15, 9, tzinfo=UTC)
    # ASCII feeds write the dash as " _ ": the dateline reads as one
    assert article.body.startswith("BUENOS AIRES, Argentina (AP) — For cancer patients")
    for note in ("AP Photo", "Eds:", "Associated Press\n", "^", "<", "AP-WF"):
        assert note not in article.body


def test_anpa_notes_abstract_and_desk_stay_out_of_the_story():
    article = _wire("ap_anpa-1.tst")
    assert article.title == "Deng has 30 points, short-handed Heat beat Hawks 115-111"
    assert article.authors == ["Charles Odum"]
    assert article.body.startswith("ATLANTA (AP) — Luol Deng scored 30 points")
    assert "AP Sports Writer" not in article.body and "Eds:" not in article.body


def test_anpa_table_with_record_separators_is_text_not_binary():
    # Standings separated by RS (0x1e) characters: the generic text reader called it binary.
    article = _wire("ap_anpa-6.tst")
    assert article.title == "Wild Card Glance"
    assert article.body.startswith("AMERICAN LEAGUE")
    assert "Tampa Bay 73 52 .584" in article.body
    assert article.published_at == dt.datetime(2019, 8, 18, 20, 17, tzinfo=UTC)


def test_anpa_headline_list_without_byline_is_the_story():
    article = _wire("anpa-4.tst")
    assert article.title == "AP Top Entertainment News at 11:23 p.m. EST"
    assert article.body.split("\n\n")[0] == "Ex-bodyguard testifies about lewd messages sent to Paltrow"


def test_iptc7901_dpa_headline_block_credits_and_trailer():
    article = _wire("dpa_four_line.txt")
    assert article.title == "Switzerland joins list of countries resisting UN migration pact"  # REFILE, 1ST LEAD dropped
    assert article.site == "dpa"
    assert article.published_at == dt.datetime(2018, 11, 21, 23, 22, tzinfo=UTC)  # "212322 GMT Nov 18"
    assert article.body.startswith("Geneva (dpa) - Switzerland is joining a growing number of countries "
                                   "that will refrain")  # wrapped lines joined
    assert "not intended for publication" not in article.body and "Editing by" not in article.body
    assert article.authors == ["Albert Otti"]  # "By dpa correspondents" names nobody; "Reporting by:" does
    assert article.contributors == ["Rachel More"]


def test_iptc7901_byline_in_the_headline_block_and_notebook_cut():
    article = _wire("dpa_two_by_line.txt")
    assert article.title == "Chiefs-Rams 2.0? Would be a fun Super Bowl, but don't count on it"
    assert article.authors == ["Tom Krasovic"]
    yemen = _wire("dpa_two_line.txt")
    assert yemen.title == "Peace talks on Yemen to take place in Sweden next month, Mattis says"
    assert "Notebook" not in yemen.body and "dpaq.de" not in yemen.body
    assert not yemen.body.rstrip().endswith("rmo")  # editors' initials "dpa grj rmo"


SPEC_MESSAGE = (b"\x16\x16\x01a0001\x1fxyz\nr a\x13\x11 BC-Storm-Coast     03-05 0120\r\n"
                b"\x02^BC-Storm-Coast,120<\r\n^Storm batters the coast<\r\n^By JANE ROE=\r\n^Associated Press=\r\n"
                b"\t   BRIGHTON, England (AP) _ A storm hit the coast on Tuesday.\r\n \r\n"
                b"\t   Power was cut to 4,000 homes.\r\n\x03AP-WF-03-05-24 1015GMT<\r\n\x0c\x04")


def test_spec_sized_messages_split_and_parse():
    assert looks_like_wire(SPEC_MESSAGE) and sniff_kind(SPEC_MESSAGE, ".txt") == "wire"
    assert not looks_like_wire(b"Storm batters the coast\n\nA storm hit the coast.")
    two = SPEC_MESSAGE + SPEC_MESSAGE.replace(b"Storm batters", b"Gale lashes")
    messages = split_wire(two)
    assert len(messages) == 2
    fields = [parse_wire(m) for m in messages]
    assert [f["title"] for f in fields] == ["Storm batters the coast", "Gale lashes the coast"]
    assert fields[0]["authors"] == ["Jane Roe"]
    assert fields[0]["body"] == ("BRIGHTON, England (AP) — A storm hit the coast on Tuesday.\n\n"
                                 "Power was cut to 4,000 homes.")
    assert fields[0]["published_at"] == dt.datetime(2024, 3, 5, 10, 15, tzinfo=UTC)


@pytest.mark.parametrize("trailer, expected", [
    ("AP-WF-11-13-13 1509GMT<", dt.datetime(2013, 11, 13, 15, 9, tzinfo=UTC)),
    ("131137 GMT Nov 13 ", dt.datetime(2013, 11, 13, 11, 37, tzinfo=UTC)),
    ("211259 Nov 18", dt.datetime(2018, 11, 21, 12, 59, tzinfo=UTC)),
    ("AP-WF-02-30-16 0423GMT", None),  # no such day
    ("no stamp", None),
])
def test_filing_time(trailer, expected):
    assert filing_time(trailer) == expected


def test_message_without_story_text_is_a_parse_error():
    with pytest.raises(ParseError, match="no story text"):
        parse_wire(b"\x01a0002\x1fxyz\nr a\x13\x11 BC-Empty 03-05 0000\n\x02\x03AP-WF-03-05-24 1015GMT\x04")


def test_wire_file_in_the_pipeline_balances(tmp_path, run_newsbeam):
    (tmp_path / "in").mkdir()
    two = SPEC_MESSAGE + SPEC_MESSAGE.replace(b"Storm batters the coast", b"Markets rally on rate hopes") \
        .replace(b"A storm hit the coast on Tuesday.", b"Shares rose on Wall Street as bond yields fell.") \
        .replace(b"Power was cut to 4,000 homes.", b"The Dow gained 2 percent by the close of trading.")
    (tmp_path / "in" / "feed.tst").write_bytes(two + b"\x01broken\x02\x03\x04")
    code, manifest = run_newsbeam(tmp_path / "in", tmp_path / "out")
    assert code == 0
    counts = manifest["counts"]
    assert (counts["records_in"], counts["articles"], counts["dead_letter"]) == (3, 2, 1) and manifest["balanced"]
    articles = read_table(tmp_path / "out", "articles").to_pydict()
    assert sorted(articles["title"]) == ["Markets rally on rate hopes", "Storm batters the coast"]
    assert set(articles["site"]) == {"Associated Press"}
    assert {d["city"] for d in articles["dateline"]} == {"Brighton"}
    dead = read_table(tmp_path / "out", "dead_letter").to_pydict()
    assert dead["stage"] == ["parse"] and "no story text" in dead["message"][0]
