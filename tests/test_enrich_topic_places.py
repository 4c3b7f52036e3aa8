"""Topic, language and places cores, and the seed article end to end through clean + enrich."""

import datetime as dt
from pathlib import Path

import pytest

from transforms.clean import clean_article
from transforms.enrich import detect_language, enrich_article
from transforms.model import Article
from transforms.parse import parse_text
from transforms.places import find_places
from transforms.topic import TOPICS, classify_topic

ROOT = Path(__file__).resolve().parents[1]


def test_seed_article_is_politics_english_without_dateline_and_names_us_and_china():
    fields = parse_text((ROOT / "seeds" / "000_983ffb8b3d720b76.txt").read_text(encoding="utf-8"))
    article = enrich_article(clean_article(Article(id="s", source_uri="seed", title=fields["title"],
                                                   body=fields["body"], ingested_at=dt.datetime(2024, 1, 1))))
    assert (article.topic, article.topic_code, article.language, article.dateline) == (
        "politics-government", "medtop:11000000", "en", None)
    codes = {p.country_code for p in article.places if p.kind == "country"}
    assert {"US", "CN"} <= codes
    assert "Tom Mitchell" in article.contributors


@pytest.mark.parametrize("text, slug", [
    ("Manchester United beat Chelsea 2-1 in the Premier League on Saturday, with a late goal from the striker.", "sport"),
    ("Shares in the bank fell 5% after it reported lower quarterly profits and cut its dividend, analysts said.",
     "economy-business-finance"),
])
def test_topic_of_clear_stories(text, slug):
    topic, code, score = classify_topic(text)
    assert topic == slug and code == TOPICS[slug] and 0 < score <= 1


def test_non_english_text_gets_a_topic_and_tiny_texts_are_unknown():
    assert classify_topic("Der Bundestag hat am Freitag mit den Stimmen der Koalition den Haushalt der "
                          "Bundesregierung beschlossen, die Opposition stimmte dagegen.", "de")[0] == "politics-government"
    assert classify_topic("Hello", "en")[0] == "unknown"


@pytest.mark.parametrize("text, code", [
    ("정부는 화요일 새로운 주택 건설 계획을 발표했다.", "ko"),
    ("政府は火曜日、住宅建設の新しい計画を発表した。", "ja"),
    ("Правительство представило новый план.", "ru"),
    ("Η κυβέρνηση παρουσίασε νέο σχέδιο.", "el"),
    ("Le gouvernement a présenté un nouveau plan.", "fr"),
])
def test_language_on_short_texts_and_other_scripts(text, code):
    assert detect_language(text)[0] == code


def test_ambiguous_place_words_need_context():
    names = {p.name for p in find_places("Jordan scores 40", "Michael Jordan scored 40. Chad Smith joined him. "
                                         "He grew up in Reading and Atlanta, Georgia.")}
    assert "Jordan" not in names and "Chad" not in names
    assert {"Reading", "Georgia", "Atlanta"} <= names
    georgia = [p for p in find_places(None, "Georgia said Russian troops left Tbilisi.") if p.name == "Georgia"]
    assert georgia and georgia[0].country_code == "GE"
    assert {p.name for p in find_places(None, "King Abdullah of Jordan met officials in Amman.")} >= {"Jordan", "Amman"}


def test_in_a_sport_story_a_city_that_names_a_club_is_the_club():
    """Real shapes of BBC Sport 2004-05 copy: a role after the name, a fixture, a score, a team
    sheet and a squad list name the club; a place preposition and an Olympic bid keep the city."""
    story = ("Newcastle boss Graeme Souness praised his side. Lee Bowyer put Newcastle ahead early on.\n\n"
             "Newcastle 2-1 Bolton\n\nNewcastle will be at home to Chelsea, and the trip to Barcelona follows. "
             "Leeds: Balshaw, Rees, Christophers. Squad: A Foley (Munster), J Hayes (Munster).")
    sport = {p.name for p in find_places(None, story, "en", topic="sport")}
    assert not sport & {"Newcastle", "Leeds", "Münster"} and "Barcelona" in sport
    # The same words in a story of another topic: the rule is for sport copy only.
    assert {"Leeds", "Münster"} <= {p.name for p in find_places(None, story, "en", topic="economy-business-finance")}
    # Results words name teams too ("against Portsmouth", "Chelsea beat Portsmouth"), but not in a bid story.
    assert "Portsmouth" not in {p.name for p in find_places(
        None, "He scored twice on his debut against Portsmouth. Chelsea later beat Portsmouth.", "en", topic="sport")}
    bid = "London beat Paris to host the 2012 Olympics, with Madrid and Moscow behind. Games in London."
    assert {"London", "Paris", "Madrid", "Moscow"} <= {p.name for p in find_places(None, bid, "en", topic="sport")}
    assert {p.name for p in find_places(None, "Athens hosted the Olympics. Athens hosts the final.", "en",
                                        topic="sport")} == {"Athens"}
    # In a sport story a club named once is the club wherever no place preposition stands before it.
    assert {p.name for p in find_places(None, "Liverpool fans sang. Liverpool won 2-0 in Liverpool.", "en",
                                        topic="sport")} == {"Liverpool"}
    counts = {p.name: p.count for p in find_places(None, "Liverpool fans sang. Liverpool won. They met in Liverpool.",
                                                   "en", topic="sport")}
    assert counts == {"Liverpool": 1}


def test_a_name_another_city_also_bears_is_the_local_town_where_the_story_places_it():
    def places(text):
        return {(p.name, p.country_code) for p in find_places(None, text, "en")}

    # "Bethlehem", "Pueblo" and "Augusta" are also alternate names of Belém, Puebla and Augsburg.
    assert ("Belém", "BR") in places("Pilgrims gathered in Bethlehem on Tuesday.")  # nothing places it
    assert ("Bethlehem", "PS") in places("Pilgrims walked from Jerusalem to Bethlehem on Tuesday.")  # 8 km away
    assert ("Pueblo", "US") in places("Storms hit Pueblo and Denver, officials in Colorado said.")
    assert ("Augusta", "US") in places("The Masters opened in Augusta, Ga., on Thursday.")
    # A namesake the story does not place, or a small one, loses: Seville in Ohio, Strasburg in Virginia.
    assert ("Sevilla", "ES") in places("Federer won in Seville. Fans in New York cheered.")
    assert not {name for name, _ in places("Strasburg, Washington, 9-4; Scherzer, Washington, 8-5.")} & {"Strasburg"}


def test_a_city_name_after_a_name_and_initial_is_the_person():
    def names(text):
        return {p.name for p in find_places(None, text, "en")}

    # Bogotá's Kennedy and Russia's Vladimir are cities; "John F. Kennedy" and "Vladimir V. Putin" are not.
    assert "Kennedy" not in names("He likened it to John F. Kennedy's death. It was a 'Kennedy moment'.")
    assert "Vladimir" not in names("The blame fell on President Vladimir V. Putin of Russia.")
    assert "Durham" not in names("The bank named a successor to Charles W. Durham, who stays chairman.")
    assert "Lima" not in names("Reserves: B Reihana (New Zealand), B Lima (Samoa).")
    # Compass letters of wire copy are no initials, and a place preposition still shows a place.
    assert {"Germany", "France"} <= names("Estimates for W Germany and France were lower.")
    assert "Durham" in names("Charles W. Durham flew home to Durham, North Carolina.")
