"""The shipped IPTC topic model: its contract, its size, its speed, and behaviour on real stories in
several languages (the hand-labelled sets in `tests/data/`).

No training here (the build lives in `scripts/build_topic_model.py`, the held-out-source figures in
`make eval`); tests that read `../shared/data` skip when it is absent.
"""

from __future__ import annotations

import collections
import csv
import importlib.util
import time
from pathlib import Path

import numpy as np
import pytest

from transforms.topic import (ARTICLE_WORDS, LEAD_WORDS, TOPICS, UNKNOWN, TopicModel, WordVectors, classify_topic,
                              features, get_model, vector_words)

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / ".." / "shared" / "data"
MODEL = ROOT / "transforms" / "data" / "topic_model.npz"
HANDLABELLED = ROOT / "tests" / "data" / "topic_handlabelled.csv"
MULTILINGUAL = ROOT / "tests" / "data" / "topic_multilingual.csv"
needs_data = pytest.mark.skipif(not DATA.exists(), reason="../shared/data not present")


def _build_module():
    spec = importlib.util.spec_from_file_location("build_topic_model", ROOT / "scripts" / "build_topic_model.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_model_is_modest_and_knows_all_17_classes():
    assert MODEL.stat().st_size < 25_000_000
    model = get_model()
    assert model.classes == sorted(TOPICS)
    for head in ("en", "xx"):
        assert 0.0 < model.threshold[head] < 1.0 and model.temperature[head] > 0


def test_word_vectors_align_languages():
    """Words that mean the same in different languages lie near each other in the distilled table."""
    table = get_model().table

    def cosine(a, b):
        va, vb = table.mean([a]), table.mean([b])
        return float(va @ vb)

    assert cosine("hospital", "krankenhaus") > cosine("hospital", "fußball")
    assert cosine("football", "fußball") > cosine("football", "wirtschaft")
    assert cosine("économie", "wirtschaft") > cosine("économie", "krankenhaus")


def test_words_the_table_lacks_are_cut_into_pieces():
    table = get_model().table
    word = "gesundheitsministeriumssprecherin"
    assert word not in table.index and len(table._segment(word)) >= 2
    assert vector_words("L'hôpital d'Ajaccio, 12 lits") == ["l", "hôpital", "d", "ajaccio", "lits"]


def test_non_english_words_the_table_lacks_are_found_by_stem_and_as_compounds():
    """German compounds and inflected forms: two table words joined by a linking element, or the
    word less an ending, before the encoder's word pieces (English text keeps the pieces)."""
    table = get_model().table

    def words(ids):
        return [w for w, i in table.index.items() if i in ids]

    for word, parts in (("bootsunglück", {"boot", "unglück"}), ("güterzug", {"güter", "zug"}),
                        ("arbeitsgruppe", {"arbeit", "gruppe"}), ("experten", {"expert"})):
        assert word not in table.index
        assert set(words(table._split(word))) == parts
        assert any(w.startswith("##") for w in words(table._segment(word)))
    assert table._split("regierung") == table._segment("regierung") == (table.index["regierung"],)


def test_seed_article_is_politics():
    text = (ROOT / "seeds" / "000_983ffb8b3d720b76.txt").read_text(encoding="utf-8")
    assert classify_topic(text, "en")[:2] == ("politics-government", "medtop:11000000")


# Real sentences: the AG News test split (crime, disaster, religion, labour, politics), a 2008
# crash-landing story (politics before world-news disasters were relabelled) and
# the realworld corpora (German, French, Spanish, Portuguese wire and web stories).
@pytest.mark.parametrize("text, language, slug", [
    ("Police arrested two men on Tuesday and charged them with the murder of a shopkeeper. The suspects "
     "will appear before a jury at the trial next month, prosecutors said.", "en", "crime-law-justice"),
    ("The earthquake and the tsunami that followed killed thousands; rescuers searched collapsed buildings "
     "for survivors as the disaster toll rose.", "en", "disaster-accident"),
    ("Plane crash-lands at London airport, 13 hurt. A British airliner from Beijing crash-landed short of the "
     "runway; passengers escaped down the emergency chutes.", "en", "disaster-accident"),
    ("Pope Benedict addressed Catholic bishops at the Vatican, urging the church and its priests to "
     "reach out to Muslim and Jewish leaders.", "en", "religion"),
    ("Unions called a strike after talks on wages and pensions broke down; thousands of workers joined "
     "the walkout.", "en", "labour"),
    ("Ein 2015 diagnostiziertes Burkitt-Lymphom im Stadium IV wurde während eines gut sechsmonatigen "
     "Krankenhausaufenthalts mit Chemotherapie vollständig zurückgedrängt.", "de", "health"),
    ("2019 gab es bittere Tränen in der Kurve, 2022 erst mächtig Wut auf englische Fans und eine Woche später "
     "ausgelassenen Jubel: Für Eintracht Frankfurt ist London in den vergangenen Jahren zu einem "
     "Standard-Reiseziel im europäischen Fußball geworden.", "de", "sport"),
    ("Nouveau coup de semonce pour l'économie portugaise. L'agence de notation Moody's a abaissé mardi "
     "5 juillet de quatre crans la note souveraine du pays, de Baa1 à Ba2.", "fr", "economy-business-finance"),
])
def test_clear_stories_in_several_languages(text, language, slug):
    topic, code, score = classify_topic(text, language)
    assert (topic, code) == (slug, TOPICS[slug]) and 0 < score <= 1


def test_unknown_for_tiny_texts_and_unknown_words():
    assert classify_topic("Hello there", "en")[0] == UNKNOWN
    assert classify_topic("Hallo zusammen", "de")[0] == UNKNOWN
    assert classify_topic("1234 5678 9012 3456 7890", "de") == (UNKNOWN, None, 0.0)


def test_a_language_the_word_vectors_do_not_read_gets_unknown_not_a_guess():
    finnish = ("Vastaamoon kohdistunut tietomurto oli syyttäjien mukaan erityisen suunnitelmallinen, ja "
               "syytetty vaati lunnaita tuhansilta potilailta sähköpostilla.")
    assert classify_topic(finnish, "fi") == (UNKNOWN, None, 0.0)
    # the same words declared as a language the table reads are scored as usual
    assert classify_topic(finnish, "de")[2] > 0
    assert classify_topic("Der Bundestag hat am Freitag den Haushalt für das kommende Jahr beschlossen.", "de")[0] != UNKNOWN


def test_english_terms_come_from_title_and_lead():
    text = "Hospital doctors warn of vaccine shortage\n\n" + "filler " * (LEAD_WORDS - 6) + "footballer goalkeeper"
    terms = features(text)
    assert {"hospital", "doctors", "vaccine", "vaccine shortage"} <= set(terms)
    assert "footballer" not in terms and "goalkeeper" not in terms


def _toy_model(with_expert: bool = True) -> TopicModel:
    """Three classes (economy, health, politics) over four words; the English head leans to economy
    on 'budget', the article expert (economy and politics only) reads 'minister' as politics."""
    classes = ["economy", "health", "politics"]
    vocabulary = ["budget", "minister", "hospital", "filler"]
    coef = np.array([[1.0, 0.0, 0.0, 0.0], [0.0, 0.0, 2.0, 0.0], [0.6, 0.0, 0.0, 0.0]], np.float32)
    table = WordVectors(["budget"], np.zeros((1, 2), np.float32), np.ones(1, np.float32))
    article = {"classes": [0, 2], "vocabulary": ["minister", "budget"], "idf": np.ones(2, np.float32),
               "coef": np.array([[-1.0, 0.0], [1.0, 0.0]], np.float32), "intercept": np.zeros(2, np.float32),
               "weight": 3.0}
    return TopicModel(classes, table, vocabulary, np.ones(4, np.float32), coef, np.zeros((2, 3), np.float32),
                      np.zeros(3, np.float32), np.zeros((2, 3), np.float32), np.zeros(3, np.float32),
                      article=article if with_expert else None)


def test_article_expert_reranks_its_classes_on_full_articles_only():
    model, plain = _toy_model(), _toy_model(with_expert=False)
    article = "budget minister " + "filler " * ARTICLE_WORDS + "minister minister"
    head = plain.decision(article)
    assert head.argmax() == 0  # the head alone: economy (its terms come from the lead)
    reranked = model.decision(article)
    # The expert's politics wins and takes economy's value (the head's score and calibration stay).
    assert reranked.argmax() == 2 and reranked[2] == head[0] and reranked[0] == head[2] and reranked[1] == head[1]
    short = "budget minister " + "filler " * 10
    assert np.array_equal(model.decision(short), plain.decision(short))  # not a full article
    health = "hospital budget " + "filler " * ARTICLE_WORDS + "minister minister"
    assert model.decision(health).argmax() == 1  # a class the expert lacks stays with the head
    assert np.array_equal(model.decision(article, "de"), plain.decision(article, "de"))  # English head only


def test_shipped_article_expert_covers_the_full_article_classes():
    model = get_model()
    assert model.article is not None and model.article["weight"] > 0
    assert {model.classes[i] for i in model.article["classes"]} == {
        "economy-business-finance", "arts-culture-entertainment", "politics-government", "sport", "science-technology"}


def test_scoring_a_german_article_stays_well_under_a_millisecond_or_two():
    text = ("Die Bundesregierung hat am Montag in Berlin ein neues Gesetz zur Krankenhausfinanzierung beschlossen, "
            "das die Kliniken in ganz Deutschland entlasten soll. ") * 40
    model = get_model()
    model.classify(text, "de")
    start = time.process_time()
    for _ in range(50):
        model.classify(text, "de")
    assert (time.process_time() - start) / 50 < 0.01


def test_handlabelled_sets_hold_references_not_text():
    with open(HANDLABELLED, newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert set(rows[0]) == {"corpus", "record", "label"}
    counts = collections.Counter(row["label"] for row in rows)
    assert min(counts.values()) >= 15
    with open(MULTILINGUAL, newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert set(rows[0]) == {"file", "language", "label", "title"}
    assert {row["label"] for row in rows} <= set(TOPICS)
    assert len({row["language"] for row in rows}) >= 4 and len(rows) >= 60
    with open(ROOT / "tests" / "data" / "topic_german_feeds.csv", newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert set(rows[0]) == {"file", "language", "label", "title"} and {row["label"] for row in rows} <= set(TOPICS)


@needs_data
def test_handlabelled_records_are_never_trained_on():
    build = _build_module()
    held = {ref for ref, _ in build.load_handlabelled()}
    assert held <= {ref for ref, _, _ in build.load_ag()}
    assert not held & {ref for ref, _, _ in build.training_documents()}


@needs_data
def test_training_data_covers_every_class_from_labelled_sources():
    build = _build_module()
    docs = build.training_documents()
    counts = collections.Counter(slug for ref, _, slug in docs if not ref.startswith("iptc/"))
    assert set(counts) == set(TOPICS) and min(counts.values()) >= 250
    languages = {ref.rsplit("/", 1)[1] for ref, _, _ in docs if ref.startswith("iptc/")}
    assert {"de", "fr", "es", "pt-BR", "en-GB"} <= languages


@needs_data
def test_world_news_that_names_a_disaster_trains_disaster_not_politics():
    build = _build_module()
    by_headline = {text.split("\n")[0].strip(): slug for _, text, slug in build.load_ag()}
    assert by_headline["Commuter Plane Crashes in China, Killing 54"] == "disaster-accident"
    assert by_headline["Typhoon Chaba Kills Four in Japan"] == "disaster-accident"
    # figurative words stay world news
    assert not build._DISASTER_HEADLINE.search("Landslide in Japan For Governing Party")
    assert not build._DISASTER_HEADLINE.search("Talks to disarm Shiites collapse")
    assert not build._DISASTER_HEADLINE.search("Asian Rebound Derails Reform")
    world = [slug for ref, text, slug in build.load_ag() if slug in ("politics-government", "disaster-accident")]
    assert 0 < world.count("disaster-accident") < world.count("politics-government") / 10
    nyt = {slug for ref, text, slug in build.load_nyt() if text.startswith("Iranian Crash Kills 302")}
    assert nyt == {"disaster-accident"}


@needs_data
def test_real_non_english_articles_get_their_topic():
    from bench.eval_enrich import topic_samples

    # A regression guard at the measured level (argmax 0.63, after the threshold 0.44 of n=70; see
    # TOPIC_MODEL.md): the multilingual head is the weak spot, not a solved problem.
    model = get_model()
    samples = topic_samples("topic_multilingual.csv")
    best = [model.predict(text, language)[0] == gold for _, language, gold, text in samples]
    kept = [model.classify(text, language) == gold for _, language, gold, text in samples]
    german = [r for r, (_, language, _, _) in zip(best, samples) if language == "de"]
    assert sum(best) / len(best) >= 0.55 and sum(kept) / len(kept) >= 0.38 and sum(german) / len(german) >= 0.5
    # German feed items (ORF headlines of 3-10 words, heise teasers), hand-labelled: measured 0.49.
    feeds = topic_samples("topic_german_feeds.csv")
    assert len(feeds) >= 50 and sum(model.classify(text, "de") == gold for _, _, gold, text in feeds) / len(feeds) >= 0.4


@needs_data
def test_real_english_articles_of_unseen_publishers_get_their_topic():
    from bench.eval_enrich import topic_samples

    # English full articles of publishers absent from the training data, labelled blind from title
    # and lead (tests/data/topic_english.csv). A regression guard below the measured level (0.81,
    # health 8 of 12; TOPIC_MODEL.md): health on full articles is what the length-specific copy lost.
    model = get_model()
    samples = topic_samples("topic_english.csv")
    kept = [model.classify(text, language) == gold for _, language, gold, text in samples]
    health = [k for k, (_, _, gold, _) in zip(kept, samples) if gold == "health"]
    assert len(samples) >= 150 and sum(kept) / len(kept) >= 0.75 and sum(health) >= 6
