"""find_dateline: wire datelines leave the body and resolve with the shipped gazetteer."""

import pytest
from hypothesis import given, settings, strategies as st

from transforms.dateline import DATE, find_dateline, parse_dateline, without_dates


@pytest.mark.parametrize("body, city, country, agency, date_text", [
    ("WASHINGTON (AP) — The Senate voted on Tuesday.", "Washington", "US", "AP", None),
    ("LONDON, March 3 (Reuters) - Sterling rose on Monday.", "London", "GB", "Reuters", "March 3"),
    ("BASLE, March 3 - Sandoz AG said profits rose.", "Basel", "CH", None, "March 3"),
    ("LOMBARD, Ill., March 3 - Duchossois Industries said.", "Lombard", "US", None, "March 3"),
    ("PEKING, March 3 - China's trade deficit narrowed.", "Beijing", "CN", None, "March 3"),
    ("BOMBAY, Jan 5 (UPI) -- Indian shares fell.", "Mumbai", "IN", "UPI", "Jan 5"),
    ("PARIS (AFP) – France's prime minister resigned.", "Paris", "FR", "AFP", None),
    ("Wien – Die Regierung hat am Montag beschlossen.", "Vienna", "AT", None, None),
    ("Berlin (dpa) - Die Bundesregierung plant neue Regeln.", "Berlin", "DE", "dpa", None),
    ("KABUL, Afghanistan — Taliban officials said on Sunday.", "Kabul", "AF", None, None),
    # AP's ASCII feeds write the dash as "_"; ANSA puts the agency before the place
    ("BETHESDA, Md. (AP) _ DiamondRock Hospitality Co. on Monday reported earnings.", "Bethesda", "US", "AP", None),
    ("(ANSA) - Rome, October 11 - Italian Foreign Minister Angelino Alfano said.", "Rome", "IT", "ANSA", "October 11"),
    ("(ANSA) - ROMA, 1 LUG - Il governo ha approvato il decreto.", "Rome", "IT", "ANSA", "1 LUG"),
    # TASS closes its dateline with the agency between slashes
    ("MOSCOW, January 21. /TASS/. The Kremlin does not support the EU's decision.", "Moscow", "RU", "TASS", "January 21"),
    ("ST. PETERSBURG, June 7. /TASS/. Russia and China signed a deal.", "Saint Petersburg", "RU", "TASS", "June 7"),
    # a "By" line run into the dateline by a paragraph's line break (Superdesk's WordPress export)
    ("By Tester Harare, July 19 (The SDNewTester) - Cash-strapped StarAfrica Corporation is set to sell.",
     "Harare", "ZW", "The SDNewTester", "July 19"),
])
def test_wire_datelines_are_split_and_resolved(body, city, country, agency, date_text):
    dateline, rest = find_dateline(body)
    assert dateline is not None
    assert (dateline.city, dateline.country_code, dateline.agency, dateline.date_text) == (city, country, agency, date_text)
    assert dateline.latitude is not None
    assert rest[0].isupper() and not rest.startswith(("-", "—", "–"))


def test_state_qualifier_sets_region():
    dateline, _ = find_dateline("LOMBARD, Ill., March 3 - Duchossois said.")
    assert dateline.region == "Illinois"


def test_unknown_small_town_keeps_printed_name_in_title_case():
    dateline, _ = find_dateline("SMALLVILLEX, Kan., March 3 - The company said.")
    assert dateline.city == "Smallvillex" and dateline.region == "Kansas"


@pytest.mark.parametrize("body", [
    "Joe Biden has held his second call with Chinese leader Xi Jinping. The discussion was held in Washington - late.",
    "Quarterly profits at US media giant TimeWarner jumped 76% to $1.13bn.",
    "UPDATE 2 - Shares fell sharply.",
    "Mr Smith - who lives nearby - said so.",
    "March 3 - nothing happened.",
    "The talks in Moscow /TASS/ said nothing new.",
    "Read more at /news/ today.",
])
def test_bodies_without_dateline_are_left_alone(body):
    assert find_dateline(body) == (None, body)


def test_parser_hint_wins_and_is_cut_from_body():
    dateline, rest = find_dateline("MOSCOW, Monday (Reuters) - Talks resumed.", hint="MOSCOW, Monday (Reuters)")
    assert dateline.city == "Moscow" and dateline.agency == "Reuters" and rest == "Talks resumed."
    assert parse_dateline("FORT WASHINGTON, Pa.", trusted=True).region == "Pennsylvania"


def test_a_separator_left_by_a_dateline_given_apart_leaves_the_body():
    # NewsML kept "BETHESDA, Md." in its dateline element; the body opens with AP's "_".
    dateline, rest = find_dateline("_ DiamondRock Hospitality Co. on Monday reported earnings.", hint="BETHESDA, Md.")
    assert dateline.city == "Bethesda" and rest == "DiamondRock Hospitality Co. on Monday reported earnings."
    # an agency alone in parentheses is not a place
    assert find_dateline("(Reuters) - Apple said on Monday it would buy.")[0] is None


_DATE_PIECES = ["Monday", "tuesday", "Sunday,", "March 3", "3 March", "Mar. 3, 2024", "Jan 5", "1 LUG", "2024-01-31",
                "12 de marzo de 2023", "Marc 3", "May", "June", "published", "SEOUL", "the", "9", ",", " ", "\n"]


@given(st.lists(st.sampled_from(_DATE_PIECES), max_size=12).map(" ".join))
@settings(max_examples=300, deadline=None)
def test_without_dates_is_the_date_pattern_removed(text):
    assert without_dates(text) == DATE.sub(" ", text)
    assert without_dates(text, "") == DATE.sub("", text)
