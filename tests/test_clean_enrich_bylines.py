"""clean_article splits bylines, sign-offs and datelines before dedup; bylines core."""

import datetime as dt

import pytest

from transforms.bylines import split_bylines
from transforms.clean import clean_article
from transforms.model import Article
from transforms.parse import parse_text


def _article(body, title=None):
    return Article(id="x", source_uri="mem://x", title=title, body=body, ingested_at=dt.datetime(2024, 1, 1))


def test_byline_and_reuters_tail_move_to_authors_and_contributors():
    body = ("By Jane Doe and John Roe\n\nLONDON, March 3 (Reuters) - Sterling rose.\n\n"
            "Traders said so. (Reporting by Ann Lee; Writing by Bo Chan; Editing by Cy Dorn)")
    article = clean_article(_article(body))
    assert article.authors == ["Jane Doe", "John Roe"]
    assert article.contributors == ["Ann Lee", "Bo Chan", "Cy Dorn"]
    assert article.dateline.city == "London"
    assert article.body == "Sterling rose.\n\nTraders said so."


@pytest.mark.parametrize("line, names", [
    ("by Paul Cashmere - January 2 2008", ["Paul Cashmere"]),  # lower case, with the day it was filed
    ("By Ben Grossman, 1/21/2008", ["Ben Grossman"]),
    ("by Matt Lowrie, Manjusha Parvathaneni, Benjamin Pick, and Jochen Wuttke",
     ["Matt Lowrie", "Manjusha Parvathaneni", "Benjamin Pick", "Jochen Wuttke"]),
])
def test_byline_lines_in_lower_case_or_with_their_day_give_the_authors(line, names):
    body, authors, _ = split_bylines(f"{line}\n\nThe council voted on Tuesday to expand the bus network.")
    assert authors == names and body == "The council voted on Tuesday to expand the bus network."
    text = "by the way, the council voted on Tuesday."
    assert split_bylines(text) == (text, [], [])


def test_sign_offs_and_reuter_end_mark_leave_the_body():
    assert split_bylines("Shares rose.\n\nThe market closed. — AP")[0] == "Shares rose.\n\nThe market closed."
    assert split_bylines("Net 418,733 vs 235,572 Reuter")[0] == "Net 418,733 vs 235,572"
    assert split_bylines("He spoke to Reuters.")[0] == "He spoke to Reuters."


def test_copies_differing_only_in_dateline_hash_alike():
    a = clean_article(_article("WASHINGTON (AP) — The Senate passed the bill on a vote of 60 to 40 today."))
    b = clean_article(_article("The Senate passed the bill on a vote of 60 to 40 today."))
    assert a.content_hash == b.content_hash and b.dateline is None


def test_untitled_wire_copy_headline_becomes_title():
    article = clean_article(_article("KELTIC INC YEAR NET\n\nTORONTO, March 5 - Shr 99 cts vs 1.25 dlrs"))
    assert article.title == "KELTIC INC YEAR NET" and article.dateline.city == "Toronto"


def test_a_short_first_line_without_a_dateline_after_it_stays_in_the_body():
    # Only a dateline right after it makes a short first line the title; without one the line is
    # still text of the record and must not be lost (it was, for 155 of 1,500 AG News items as .txt).
    body = "England humble Sprinboks\n\nCharlie Hodgson scores 27 points as England overwhelm the Springboks."
    article = clean_article(_article(body))
    assert article.title is None and article.dateline is None
    assert article.body == body


@pytest.mark.parametrize("text, title", [
    # A news-aggregator item or wire brief: a headline over one sentence (AG News as .txt files).
    ("Football: Spanish FA apologises\n\nThe Spanish FA apologises to its English counterparts "
     "following racist chanting.", "Football: Spanish FA apologises"),
    ("Viagra bought online 'often fake'\n\nHalf of Viagra tablets sold on the Internet are fake, "
     "research suggests.", "Viagra bought online 'often fake'"),
    # BBC: a headline may trail off, or open with a brand's lower-case letter.
    ("'My memories of Marley...'\n\nTo mark the 60th anniversary of the birth of reggae star Bob Marley, "
     "friends recall him.", "'My memories of Marley...'"),
    ("iTunes now selling Band Aid song\n\nIpod owners can now download the Band Aid single after Apple "
     "reached a deal.", "iTunes now selling Band Aid song"),
    # Too little after it, or what follows does not end as prose does: no title.
    ("Dear all\n\nThe meeting is on Monday.", None),
    ("Markets today\n\nshares up, bonds down, oil flat and gold up again", None),
    ("A clear headline about harbours\n\n" + "Ships sailed into the harbour today. " * 20,
     "A clear headline about harbours"),
])
def test_a_plain_text_headline_over_a_one_sentence_brief(text, title):
    assert parse_text(text)["title"] == title


def test_a_first_paragraph_that_repeats_the_headline_and_a_last_updated_line_leave_the_body():
    body = ("Cyclone rips through villages\n\nLast Updated: Tuesday, 4 December 2007, 17:04 GMT\n\n"
            "DHAKA (Reuters) - A cyclone tore through coastal villages on Tuesday.\n\nLast updated guidance "
            "from the ministry says more rain is due.")
    article = clean_article(_article(body, title="Cyclone Rips Through Villages"))
    assert article.dateline.city == "Dhaka"  # the headline no longer hides the dateline
    assert article.body == ("A cyclone tore through coastal villages on Tuesday.\n\nLast updated guidance "
                            "from the ministry says more rain is due.")
    # Section labels above the repeated headline go with it (Canwest pages of 2008); story text
    # above it, in words or in a script without spaces, keeps it where it is.
    labelled = "Today's Citizen\n\nLatest News\n\nCanadians satisfied with start\n\nAmes, Weir third in opener."
    assert clean_article(_article(labelled, title="Canadians satisfied with start")).body == "Ames, Weir third in opener."
    lead = "脳の働きに注目し、脳を活性化させる学習効果の高い独自のスタイルで人気の高いシリーズに初心者向けが登場。"
    assert clean_article(_article(f"{lead}\n\nHead First Python\n\n本書は入門書です。", title="Head First Python")).body \
        == f"{lead}\n\nHead First Python\n\n本書は入門書です。"
    # A body that is only the headline stays what it is.
    assert clean_article(_article("Cyclone rips through villages", title="Cyclone rips through villages")).body \
        == "Cyclone rips through villages"


@pytest.mark.parametrize("stamp, authors", [  # as AP's and Reuters' copy shows on Google News pages of 2008
    ("Associated Press - January 11, 2008 4:13 PM ET", []),
    ("1/7/2008, 6:30 p.m. EST By GILLIAN WONG The Associated Press", ["Gillian Wong"]),
    ("1/14/2008, 8:34 a.m. ESTThe Associated Press", []),
    ("Reuters\n\nPublished: Sunday, December 30, 2007", []),
    ("Mon, Jan 14 2008, 19:53 GMT\n\nhttp://www.afxnews.com", []),
    ("AP Golf Writer", []),
    ("By JEFF KAROUB, AP Writer   47 minutes ago", ["Jeff Karoub"]),
])
def test_wire_stamps_above_the_dateline_leave_the_body_and_their_byline_gives_the_authors(stamp, authors):
    article = clean_article(_article(f"{stamp}\n\nEUGENE, Ore. (AP) - Oregon running back Jonathan Stewart will "
                                     "pass up his senior season.\n\nThe school confirmed it today.",
                                     title="Oregon's Stewart turning pro"))
    assert article.title == "Oregon's Stewart turning pro"
    assert article.dateline.city == "Eugene" and article.dateline.agency == "AP"
    assert article.body == "Oregon running back Jonathan Stewart will pass up his senior season.\n\nThe school confirmed it today."
    assert article.authors == authors


@pytest.mark.parametrize("body, title, city, authors", [  # one line of a Google News page of 2008
    ("By JAE-SOON CHANG, Associated Press Writer 42 minutes ago SEOUL, South Korea - Special prosecutors raided "
     "the headquarters of Samsung Group on Tuesday.", None, "Seoul", ["Jae-Soon Chang"]),
    ("Toronto guard T.J. Ford close to resuming workouts Posted: Wednesday Jan 9, 2008 10:23 PM TORONTO (AP) -Raptors "
     "guard T.J. Ford was cleared to resume workouts.", "Toronto guard T.J. Ford close to resuming workouts", "Toronto", []),
    ("Chicago Bulls draft pick arrested for urinating in public SALMON, Idaho, Jan 17 (Reuters) - Chicago Bulls draft "
     "pick JamesOn Curry was arrested.", "Chicago Bulls draft pick arrested for urinating in public", "Salmon", []),
])
def test_a_stamp_or_the_headline_run_into_the_dateline_on_one_line_leaves_the_body(body, title, city, authors):
    article = clean_article(_article(body, title=title))
    assert article.dateline.city == city and article.authors == authors
    assert article.body.split()[0] in ("Special", "Raptors", "Chicago")


def test_a_stamp_whose_name_runs_into_the_place_or_a_sentence_with_dashes_is_not_cut():
    from transforms.clean import without_wire_stamp

    for body in ("By JOHN SMITH NEW YORK (AP) - Stocks fell on Monday as oil rose.",  # where the name ends is unknown
                 "Markets The council met on Monday - and voted - to expand the bus network."):
        assert without_wire_stamp(body, "Markets") == (body, [])


def test_a_stamp_without_a_dateline_after_it_and_story_text_stay():
    body = "Associated Press - January 11, 2008 4:13 PM ET\n\nOregon running back Jonathan Stewart will turn pro."
    assert clean_article(_article(body)).body == body
    # A paragraph of words above the dateline is story text (or a deck), not a stamp: nothing moves.
    story = "Seven killed in Baghdad\n\nBAGHDAD (Reuters) - A bomb killed seven people on Tuesday."
    assert clean_article(_article(story, title="Bombing")).body == story


def test_send_to_a_friend_rss_and_copyright_lines_of_real_pages_leave_the_body():
    from transforms.clean import clean_body

    story = "The council voted on Tuesday to expand the bus network."
    for line in ("E-mail this article to a friend Printable version", "Send to a friend", "Create your own RSS",
                 "GET OUR NEWS BY E-MAIL", "Want to submit a story?", "© Reuters 2008 All rights reserved",
                 "© Copyright 2008 Times Newspapers Ltd.", "© Jan Bechberger", "© dpa-AFX | Abb.: Fraport",
                 "28 January 2013 Last updated at 12:45 GMT"):
        assert clean_body(f"{story}\n\n{line}\n\nIt passed.")[0] == f"{story}\n\nIt passed.", line
    # Runs of spaces and tabs of a page's indented markup (115 of 607 Google News pages of 2008).
    assert clean_body("By JEFF KAROUB, AP Writer   \t\t   47 minutes ago\n\nDETROIT - Chrysler  rolled\tout cars.")[0] \
        == "By JEFF KAROUB, AP Writer 47 minutes ago\n\nDETROIT - Chrysler rolled out cars."
    kept = "Send the letter to a friend of the court, the judge said."
    assert clean_body(f"{story}\n\n{kept}")[0] == f"{story}\n\n{kept}"


def test_contributed_to_this_report_lines_become_contributors():
    body = ("BEIJING (AP) — Chen Guiqiu fled with her daughters.\n\nShe reached Texas in March.\n\n"
            "Associated Press writers Gillian Wong in Beijing and Grant Peck in Bangkok contributed to this report.\n\n"
            "The Associated Press contributed to this report.")
    article = clean_article(_article(body))
    assert article.contributors == ["Gillian Wong", "Grant Peck"]
    assert article.body == "Chen Guiqiu fled with her daughters.\n\nShe reached Texas in March."
    # Not a credit line: the names are not people, or it is not the report that got the contribution.
    for text in ("The company contributed to this report on emissions.", "Smith contributed $5 million to the fund."):
        assert clean_article(_article(f"Shares rose.\n\n{text}")).body.endswith(text)


def test_is_boilerplate_reads_the_whole_body_when_the_first_paragraph_is_boilerplate():
    from transforms.clean import is_boilerplate

    names = ("allAfrica", "allafrica.com")
    assert is_boilerplate("[allAfrica]\n\nRead more …", names)
    assert is_boilerplate("allAfrica\n\n[Photo: allAfrica]\n\n(more...)", names)
    assert not is_boilerplate("[allAfrica]\n\nThe council voted on Tuesday.", names)
    assert not is_boilerplate("The council voted on Tuesday.\n\n[allAfrica]", names)
    # A bracketed tag that runs across a paragraph break is read whole.
    assert is_boilerplate("[allAfrica\n\nnews]\n\n…", names)
