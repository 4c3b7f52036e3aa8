"""Subject codes the source gives set the topic directly (`topic_source` `provided`)."""

from __future__ import annotations

import datetime as dt

import pytest

from conftest import shared_data
from transforms.clean import clean_article
from transforms.enrich import enrich_article
from transforms.model import Article
from transforms.subjects import provided_topic, top_level

NOW = dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc)


@pytest.mark.parametrize("code, top", [
    ("medtop:20001065", "medtop:15000000"),  # a sport concept four levels down
    ("medtop:11000000", "medtop:11000000"),
    ("http://cv.iptc.org/newscodes/mediatopic/20000394", "medtop:04000000"),
    ("subj:15054000", "medtop:15000000"),
    ("subj:15054001", "medtop:15000000"),  # a detail code the mapping does not name: via its parent
    ("subj:04016004", "medtop:02000000"),  # economy's "fraud" is crime in Media Topics
    ("subj:14008000", "medtop:07000000"),  # social issues' "family planning" is health
    ("subj:17000000", "medtop:17000000"),
])
def test_iptc_codes_map_to_their_top_level(code, top):
    assert top_level(code) == top


@pytest.mark.parametrize("code", ["dpasubject:433", "apsubject:11494c98", "N2:CIV", "medtop:99999999", "subj:F02003000"])
def test_other_vocabularies_and_unknown_codes_state_no_topic(code):
    assert top_level(code) is None


def test_most_named_top_level_wins_and_ties_go_to_the_first():
    assert provided_topic(["subj:04011002", "subj:10000000", "subj:15000000", "subj:15054000"]) == (
        "sport", "medtop:15000000")
    assert provided_topic(["dpacat:pl", "subj:02001000", "subj:01026000"]) == ("crime-law-justice", "medtop:02000000")
    assert provided_topic(["dpacat:pl", "dpasubject:433"]) is None


def _article(**kw):
    return Article(id="x", source_uri="t", title="Storm batters the coast",
                   body="A storm hit the coast on Tuesday. Power was cut to 4,000 homes across the county.",
                   ingested_at=NOW, **kw)


def test_provided_codes_set_topic_and_keep_every_code():
    article = enrich_article(_article(hints={"subjects": "dpacat:pl subj:02003001 medtop:20000139"}))
    assert (article.topic, article.topic_code, article.topic_score, article.topic_source) == (
        "crime-law-justice", "medtop:02000000", 1.0, "provided")
    assert article.subjects == ["dpacat:pl", "subj:02003001", "medtop:20000139"]


def test_without_iptc_codes_the_model_decides():
    article = enrich_article(_article(hints={"subjects": "dpacat:pl"}))
    assert article.topic_source == "model"
    assert article.subjects == ["dpacat:pl"]


@pytest.mark.corpus
def test_every_real_wire_item_with_iptc_codes_gets_the_topic_they_state():
    shared_data("formats")
    from bench.eval_enrich import coded_wire_items  # the wire items `make eval` grades the same way

    with_codes = [(path, article.hints["subjects"].split(), enrich_article(clean_article(article)))
                  for path, article, _ in coded_wire_items()]
    assert len(with_codes) >= 30
    for path, codes, article in with_codes:
        assert article.topic_source == "provided", path
        assert article.topic_code in {top_level(c) for c in codes}, path
        assert article.subjects == codes
    by_name = {path.rsplit("/", 1)[-1]: article.topic for path, _, article in with_codes}
    assert by_name["nitf-fishing.xml"] == "weather"
    assert by_name["dpa.xml"] == "sport"  # a German dpa item: the model alone would say unknown
    assert by_name["aap.xml"] == "crime-law-justice"
    assert by_name["pa1.xml"] == "sport"
