"""Reuters-21578 SGML: one article per <REUTERS> story, dateline and date from their tags."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.conftest import shared_data
from transforms.clean import clean_article
from transforms.formats import ParseError
from transforms.parse import parse_record, sniff_kind, split_file
from transforms.read import RawFile

NOW = dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc)

SAMPLE = b"""<!DOCTYPE lewis SYSTEM "lewis.dtd">
<REUTERS TOPICS="YES" LEWISSPLIT="TRAIN" NEWID="7">
<DATE>26-FEB-1987 15:01:01.79</DATE>
<TOPICS><D>cocoa</D></TOPICS>
<TEXT>&#2;
<TITLE>BAHIA COCOA REVIEW</TITLE>
<DATELINE>    SALVADOR, Feb 26 - </DATELINE><BODY>Showers continued throughout the week in
the Bahia cocoa zone, alleviating the drought.
    The dry period means the temporao will be late &lt;this&gt; year.
 Reuter
&#3;</BODY></TEXT>
</REUTERS>
<REUTERS TOPICS="NO" NEWID="8">
<DATE>26-FEB-1987 15:02:20.00</DATE>
<TEXT TYPE="BRIEF">&#2;
******<TITLE>BRIEF HEADLINE ONLY
</TITLE>
&#3;
</TEXT>
</REUTERS>
"""


def test_stories_become_records_and_briefs_dead_letter():
    assert sniff_kind(SAMPLE, ".sgm") == "reuters-sgml"
    records = split_file(RawFile("memory://reut2-x.sgm", SAMPLE, len(SAMPLE), None), NOW)
    assert [r.source_uri for r in records] == ["memory://reut2-x.sgm#0", "memory://reut2-x.sgm#1"]
    article = clean_article(parse_record(records[0]))
    assert article.title == "BAHIA COCOA REVIEW"
    assert article.published_at == dt.datetime(1987, 2, 26, 15, 1, 1, 790000, tzinfo=dt.timezone.utc)
    assert article.body.split("\n\n") == [
        "Showers continued throughout the week in the Bahia cocoa zone, alleviating the drought.",
        "The dry period means the temporao will be late <this> year.",
    ]
    assert article.dateline is not None and article.dateline.city == "Salvador"
    assert article.dateline.country_code == "BR"
    with pytest.raises(ParseError, match="no <BODY>"):
        parse_record(records[1])


def test_every_story_of_a_real_file_is_accounted_for():
    path = shared_data("reuters21578", "reut2-000.sgm")
    data = path.read_bytes()
    records = split_file(RawFile(str(path), data, len(data), None), NOW)
    assert len(records) == data.count(b"<REUTERS ") == 1000
    assert len({r.source_uri for r in records}) == 1000  # one record per story, none shared
    failures = []
    for record in records:
        try:
            parse_record(record)
        except ParseError as exc:
            failures.append(str(exc))
    # Counted by hand from the file: 75 stories are briefs or unprocessed (no <BODY>).
    assert len(failures) == 75
    assert all(message.startswith("SGML story has no <BODY>") for message in failures)
