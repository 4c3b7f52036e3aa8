"""The shipped IPTC topic model: its contract, its speed, its size and the hand-labelled set.

No training here (the build and the cross-validation live in `scripts/build_topic_model.py` and
`make eval`); tests that read `../shared/data` skip when it is absent.
"""

from __future__ import annotations

import collections
import csv
import importlib.util
from pathlib import Path

import pytest

from transforms.topic import TOPICS, UNKNOWN, classify_topic, get_model, is_long

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / ".." / "shared" / "data"
MODEL = ROOT / "transforms" / "data" / "topic_model.npz"
HANDLABELLED = ROOT / "tests" / "data" / "topic_handlabelled.csv"
needs_data = pytest.mark.skipif(not DATA.exists(), reason="../shared/data not present")


def _build_module():
    spec = importlib.util.spec_from_file_location("build_topic_model", ROOT / "scripts" / "build_topic_model.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_model_is_small_and_knows_every_class_it_can_return():
    assert MODEL.stat().st_size < 4_500_000
    model = get_model()
    assert set(model.classes) | set(model.lexicon.values()) == set(TOPICS)
    assert 0.0 < model.threshold < 1.0 and model.temperature > 0 and min(model.min_hits) >= 2


def test_word_vectors_carry_meaning_for_words_stage_1_has_no_weight_for():
    model = get_model()
    assert len(model.vector_index) > 20_000 and model.vector_class.shape == (len(model.vector_index), len(model.classes))
    # A word too rare in the training corpora to be a term still leans towards its class through its vector.
    assert "fullback" not in model.index
    assert model.classes[int(model.vector_class[model.vector_index["fullback"]].argmax())] == "sport"


def test_seed_article_is_politics():
    text = (ROOT / "seeds" / "000_983ffb8b3d720b76.txt").read_text(encoding="utf-8")
    assert classify_topic(text, "en")[:2] == ("politics-government", "medtop:11000000")


@pytest.mark.parametrize("text, slug", [
    ("Police arrested two men on Tuesday and charged them with the murder of a shopkeeper. The suspects "
     "will appear before a jury at the trial next month, prosecutors said.", "crime-law-justice"),
    ("The earthquake and the tsunami that followed killed thousands; rescuers searched collapsed buildings "
     "for survivors as the disaster toll rose.", "disaster-accident"),
    ("Pope Benedict addressed Catholic bishops at the Vatican, urging the church and its priests to "
     "reach out to Muslim and Jewish leaders.", "religion"),
    ("Unions called a strike after talks on wages and pensions broke down; thousands of workers joined "
     "the walkout.", "labour"),
    ("The prime minister told parliament the government would hold a referendum on the treaty after the "
     "election, as opposition MPs demanded a vote.", "politics-government"),
])
def test_clear_stories_of_both_stages(text, slug):
    topic, code, score = classify_topic(text, "en")
    assert (topic, code) == (slug, TOPICS[slug]) and 0 < score <= 1


def test_sport_is_never_overridden_by_cue_words():
    text = ("The striker was arrested after the match and charged with assault, but the club said he would "
            "play in Saturday's league game against Chelsea; the coach praised his goal and the team's defence.")
    assert classify_topic(text, "en")[0] == "sport"


def test_unknown_for_other_languages_tiny_texts_and_unknown_words():
    assert classify_topic("Die Regierung hat am Montag neue Regeln beschlossen.", "de") == (UNKNOWN, None, 0.0)
    assert classify_topic("Hello there", "en")[0] == UNKNOWN
    assert classify_topic("qzxv wplk trrm bnnq vvxz", "en")[0] == UNKNOWN


def test_articles_and_snippets_use_their_own_weights():
    assert not is_long("word " * 150) and is_long("word " * 151)


def test_handlabelled_set_has_15_references_per_class_without_labelled_data():
    with open(HANDLABELLED, newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert set(rows[0]) == {"corpus", "record", "label"}  # references only, never text
    counts = collections.Counter(row["label"] for row in rows)
    unlabelled = set(TOPICS) - {"arts-culture-entertainment", "economy-business-finance", "politics-government",
                                "science-technology", "sport"}
    assert unlabelled <= set(counts) and min(counts.values()) >= 15
    assert len({(row["corpus"], row["record"]) for row in rows}) == len(rows)


@needs_data
def test_handlabelled_records_exist_and_are_never_trained_on():
    build = _build_module()
    ag = {ref for ref, _, _ in build.load_ag()}
    held = {ref for ref, _ in build.load_handlabelled()}
    assert held <= ag
    assert not held & {ref for ref, _, _ in build.training_documents()}


@needs_data
def test_lexicon_terms_come_from_cues_and_iptc_and_name_one_class_each():
    build = _build_module()
    lex = build.lexicon(build.load_iptc())
    assert lex["murder"] == "crime-law-justice" and lex["earthquake"] == "disaster-accident"
    assert set(lex.values()) == set(build.UNLABELLED)
    assert get_model().lexicon == lex


@pytest.mark.parametrize("text, slug", [
    ("sermon congregation pilgrims", "religion"),
    ("lessons headmaster homework", "education"),
    ("sunshine humidity snowfall", "weather"),
    ("battalion artillery frontline", "conflict-war-peace"),
])
def test_word_vectors_place_a_story_near_the_lexicon_class_it_is_about(text, slug):
    # None of these words is a cue term: the vote comes from the vectors alone.
    model = get_model()
    assert model.lexicon_vectors and not set(text.split()) & set(model.lexicon)
    assert model.nearest_lexicon_class(text.split()) == slug
