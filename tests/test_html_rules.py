"""HTML row-quality rules on small pages shaped like real ones: stated dates (cue lines, the line
under the headline, `<time pubdate>` lists, the publisher's time zone), page kinds (error pages,
dated archives, legal documents, image pages) and authors (places, other stories' cards, comment
threads, byline links, a site named by its host)."""

from __future__ import annotations

import datetime as dt

import pytest

from transforms.bylines import clean_authors, person_names
from transforms.formats.html import (_last_resort_authors, _meta, _text_day, close_runaway_title, page_tree, parse_html,
                                     strip_branding)
from transforms.pagekind import NotAnArticle

STORY = [
    "The city council voted on Tuesday to expand the bus network to the northern districts, "
    "ending a dispute that had lasted for almost two years between residents and the transport authority.",
    "Officials said the first new routes would open in the spring, with more frequent services on the "
    "main corridors and a night line that connects the hospital with the central station.",
    "Opponents had argued that the plan would cost too much, but the final budget was lower than the "
    "estimate presented last autumn, according to figures released by the finance department.",
    "Residents of the northern districts welcomed the decision and said they had waited a long time for "
    "a reliable connection to the centre, where most of them work or study.",
]


def html_page(header: str = "", after: str = "", head: str = "", title: str = "Council expands bus network",
              paragraphs: list[str] = STORY) -> bytes:
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return (f"<html><head><title>{title}</title>{head}</head><body>"
            f"<div class='masthead'>Tuesday, December 8, 2020</div>"
            f"<article><h1>{title}</h1>{header}<div class='story'>{body}</div>{after}</article>"
            f"</body></html>").encode()


# --- dates -------------------------------------------------------------------------------------

def test_the_date_line_under_the_headline_is_read_and_the_masthead_date_is_not():
    fields = parse_html(html_page(header="<ul class='meta'><li><a href='/time/2020-10-13'>13 Oct 2020 18:29</a></li></ul>"))
    assert fields["hints"]["date_stated"] == "2020-10-13"
    assert fields["hints"]["date_source"] == "text under headline"


def test_a_publication_cue_line_is_read_in_german():
    after = ("<p class='postmetadata'><small>Dieser Beitrag wurde am Samstag, 3. Dezember 2011 um 10:12 Uhr "
             "veröffentlicht und unter <a href='/news/category/x/'>Cyberterrorismus</a> gespeichert.</small></p>")
    fields = parse_html(html_page(after=after))
    assert fields["published_at"].date() == dt.date(2011, 12, 3)
    assert fields["hints"]["date_source"] == "text published"


def test_copyright_updates_member_since_and_relative_times_are_not_publication_dates():
    header = ("<div class='byline'>Joined May 11, 2017</div><p>Updated: March 3, 2019</p>"
              "<time class='u-dt'>1 minute ago</time><div>Posted by admin on 4 March 2019</div>")
    after = "<footer><p>Template published © 09.03.2016</p></footer>"
    fields = parse_html(html_page(header=header, after=after))
    # The cue line "Posted … 4 March 2019" is the one stated publication day; the rest are not.
    assert fields["hints"]["date_stated"] == "2019-03-04"
    rest = parse_html(html_page(header=header.replace("<div>Posted by admin on 4 March 2019</div>", ""), after=after))
    assert rest["hints"].get("date_source") not in ("text published", "text under headline")


def test_time_pubdate_elements_of_a_story_list_are_not_the_articles_date():
    sidebar = "".join(f"<li><time pubdate datetime='2019-09-{d}T10:00:00Z'>{d} septembre</time> other story</li>"
                      for d in (22, 20, 19))
    header = "<p class='date'><time datetime='2019-06-28T13:49:45Z'>28 juin 2019</time></p>"
    fields = parse_html(html_page(header=header, after=f"<aside><ul>{sidebar}</ul></aside>".replace("aside", "div")))
    assert fields["hints"]["date_stated"] == "2019-06-28"


def test_the_day_is_stated_in_the_publishers_time_zone_when_metadata_also_has_a_utc_copy():
    head = ('<meta property="article:published_time" content="2020-12-24T23:59:50+00:00">'
            '<script type="application/ld+json">{"@context": "https://schema.org", "@type": "NewsArticle", '
            '"headline": "Council expands bus network", "datePublished": "2020-12-25T01:59:50+02:00"}</script>')
    fields = parse_html(html_page(head=head))
    assert fields["published_at"] == dt.datetime(2020, 12, 24, 23, 59, 50, tzinfo=dt.timezone.utc)
    assert fields["hints"]["date_stated"] == "2020-12-25"


def dated_page(date_line: str, lang: str = "", after: str = "") -> bytes:
    """A page without date metadata whose only date is the line under its headline (MediaNews's
    "Article Launched: 01/09/2008 09:37:25 PM PST")."""
    body = "".join(f"<p>{p}</p>" for p in STORY)
    return (f"<html{lang}><head><title>Council expands bus network</title></head><body>"
            f"<h1>Council expands bus network</h1><div class='articleDate'>{date_line}</div>"
            f"<div class='story'>{body}</div>{after}</body></html>").encode()


LAUNCHED = "Article Launched: 01/09/2008 09:37:25 PM PST"
US_PAGE = "http://www.sbsun.com/sports/ci_7927363"


@pytest.mark.parametrize("lang, url, day", [
    (' lang="en-US"', US_PAGE, dt.date(2008, 1, 9)),           # the US writes the month first
    (' lang="en-GB"', US_PAGE, dt.date(2008, 9, 1)),
    ("", "http://www.example.co.uk/sport/story.html", dt.date(2008, 9, 1)),
    (' lang="de"', US_PAGE, dt.date(2008, 9, 1)),
    ("", US_PAGE, None),                                        # nothing says which way: no date, not 1 September
])
def test_a_numeric_date_is_read_the_way_the_page_writes_dates(lang, url, day):
    fields = parse_html(dated_page(LAUNCHED, lang), url=url)
    assert (fields["published_at"].date() if fields["published_at"] else None) == day


def test_the_pages_one_way_dates_a_capture_time_or_the_day_in_words_settle_the_order():
    listing = "<ul class='more'><li>12/25/2007 Holiday bus schedule</li></ul>"
    assert parse_html(dated_page(LAUNCHED, after=listing), url=US_PAGE)["published_at"].date() == dt.date(2008, 1, 9)
    captured = dt.datetime(2008, 1, 10, 4, 0, tzinfo=dt.timezone.utc)  # 1 September was still to come
    assert parse_html(dated_page(LAUNCHED), url=US_PAGE, captured=captured)["published_at"].date() == dt.date(2008, 1, 9)
    worded = parse_html(dated_page("Updated January 9, 2008 and 01/09/2008"), url=US_PAGE)
    assert worded["published_at"].date() == dt.date(2008, 1, 9)
    assert worded["hints"]["date_source"] == "htmldate"


@pytest.mark.parametrize("line", ["Archive: 2008/06", "Archive: June 2008", "© 2008 The Sun"])
def test_a_month_or_a_year_alone_is_not_a_publication_date(line):
    assert parse_html(dated_page(line), url=US_PAGE)["published_at"] is None


def test_text_day_reads_an_ambiguous_date_only_when_the_order_is_known():
    assert _text_day("Published 01/08/2008") is None
    assert _text_day("Published 01/08/2008", "mdy") == dt.date(2008, 1, 8)
    assert _text_day("Published 01/08/2008", "dmy") == dt.date(2008, 8, 1)
    assert _text_day("Published 01/08/2008", latest=dt.date(2008, 1, 9)) == dt.date(2008, 1, 8)
    assert _text_day("Published 12/25/2007") == dt.date(2007, 12, 25)


@pytest.mark.parametrize("text, day", [
    ("13 Oct 2020 18:29", dt.date(2020, 10, 13)),
    ("Samstag, 3. Dezember 2011", dt.date(2011, 12, 3)),
    ("Publié le 28 juin 2019 à 10h", dt.date(2019, 6, 28)),
    ("2020年7月12日 22:00", dt.date(2020, 7, 12)),
    ("24.09.2019", dt.date(2019, 9, 24)),
    ("9/24/2019", dt.date(2019, 9, 24)),
    ("03/04/2019", None),  # day and month could be either way round
    ("December 2011", None),  # no day
    ("© 2011", None),
    ("From 3 March 2019 to 5 March 2019", None),  # two days
])
def test_text_day(text, day):
    assert _text_day(text) == day


# --- page kind ---------------------------------------------------------------------------------

def test_an_error_page_is_filtered_by_its_notice():
    page = ("<html><head><title>bjori doesn't blog</title></head><body><h1>bjori doesn't blog</h1>"
            "<div class='status-msg-body'>Sorry, the page you were looking for in this blog does not exist.</div>"
            "<div class='sidebar'><p>I generally try to fix things that are broken. Or at least make them slightly "
            "less broken. Sometimes I unfix things that are unbroken.</p></div></body></html>")
    with pytest.raises(NotAnArticle, match="error page"):
        parse_html(page.encode(), url="https://bjori.blogspot.com/2010/05/missing.html")


def test_a_dated_archive_is_a_listing_even_when_blog_markup_calls_each_post_an_article():
    posts = "".join(f"<div itemscope itemtype='http://schema.org/BlogPosting'><h3>Post {i}</h3><p>{p}</p></div>"
                    for i, p in enumerate(STORY[:2]))
    page = f"<html><head><title>Old Blog</title></head><body><h1>Old Blog</h1>{posts}</body></html>"
    with pytest.raises(NotAnArticle, match="dated archive"):
        parse_html(page.encode(), url="http://unexpecteduser.blogspot.com/2011/")


LICENCE = [
    "GNU GENERAL PUBLIC LICENSE",
    "Version 3, 29 June 2007",
    "The licenses for most software and other practical works are designed to take away your freedom to "
    "share and change the works. By contrast, the GNU General Public License is intended to guarantee your "
    "freedom to share and change all versions of a program.",
    "TERMS AND CONDITIONS. Each licensee is addressed as you. To modify a work means to copy from or adapt "
    "all or part of the work in a fashion requiring copyright permission, other than the making of an exact copy.",
    "Disclaimer of Warranty. There is no warranty for the program, to the extent permitted by applicable law. "
    "Limitation of Liability. In no event shall any copyright holder be liable to you for damages, "
    "notwithstanding any provisions of this License, and the licensor shall not be bound by such terms.",
]


def test_a_licence_text_is_not_an_article():
    with pytest.raises(NotAnArticle, match="legal document"):
        parse_html(html_page(title="gnu.org", paragraphs=LICENCE[:2] + [f"{n}. {clause}" for n in range(1, 5)
                                                                      for clause in LICENCE[2:]]))


def test_a_news_story_about_a_licence_is_kept():
    story = ["The software foundation published a new version of its licence on Friday, the first revision "
             "in almost twenty years, after a long consultation with developers and companies.",
             *STORY]
    fields = parse_html(html_page(title="Foundation publishes new licence", paragraphs=story))
    assert fields["title"] == "Foundation publishes new licence"


def test_an_image_page_is_filtered():
    page = ("<html><head><title>Google Image Result for https://i.ebayimg.com/images/g/fjoAAOSw/s-l300.jpg</title>"
            "</head><body><div><p>Images</p><p>Website for this image</p><p>Retirement Gift Ideas Funny Coffee Mug</p>"
            "<p>ebay.com</p><p>Full-size image</p><p>300 × 265 (Same size)</p><p>Type: JPG</p>"
            "<p>Images may be subject to copyright.</p></div></body></html>")
    with pytest.raises(NotAnArticle, match="image"):
        parse_html(page.encode())


@pytest.mark.parametrize("page", [
    # Incapsula's block page, as a crawler of htmldate's test set saved it (the text sits in an iframe)
    '<html><head><META NAME="ROBOTS" CONTENT="NOINDEX, NOFOLLOW"></head><body><iframe id="main-iframe" '
    'src="/_Incapsula_Resource?SWUDNSAI=30">Request unsuccessful. Incapsula incident ID: '
    '703000160143928249-191398964119929859</iframe></body></html>',
    "<html><head><title>Attention Required! | Cloudflare</title></head><body><h1>Sorry, you have been "
    "blocked</h1><p>Please complete the security check to access example.com.</p><p>Cloudflare Ray ID: "
    "5e1ab3f0c9a1b2c3</p></body></html>",
])
def test_a_bot_wall_is_filtered(page):
    with pytest.raises(NotAnArticle, match="bot wall"):
        parse_html(page.encode(), url="https://www.example.com/news/2020/08/17/story.html")


# --- authors -----------------------------------------------------------------------------------

def test_a_place_after_the_name_is_not_an_author():
    assert clean_authors(["Caio Quero; Santa Maria"]) == ["Caio Quero"]
    assert clean_authors(["Jane Doe, New York"]) == ["Jane Doe"]
    assert person_names("CAIO QUERO, SANTA MARIA") == ["Caio Quero"]
    assert clean_authors(["Jane Doe and Sydney Ember"]) == ["Jane Doe", "Sydney Ember"]


def test_the_publication_after_a_name_and_an_about_the_author_label_are_not_the_name():
    # Bylines of Google News pages of 2008 as trafilatura reads them.
    assert clean_authors(["MIRJAM SWANSON THE PRESS-ENTERPRISE"]) == ["Mirjam Swanson"]
    assert clean_authors(["AL ALEXANDERThe Patriot Ledger"]) == ["Al Alexander"]
    assert clean_authors(["About the Author RYAN MCNEILL"]) == ["Ryan Mcneill"]
    # A name that has "The" in it stays whole; the publication alone is no author.
    assert clean_authors(["John The Baptist"]) == ["John The Baptist"]
    assert clean_authors(["The Patriot Ledger"]) == []


def test_a_byline_link_to_a_profile_page_gives_the_author():
    header = ("<div class='byline'><span>By </span><a href='/profile/teresa-newsome-1910837'>Teresa Newsome</a>"
              "</div>")
    assert parse_html(html_page(header=header))["authors"] == ["Teresa Newsome"]


def test_every_author_a_byline_links_is_read_also_in_the_articles_meta_panel():
    # The Guardian: the byline is an <address> in the article's <aside> meta panel, and trafilatura
    # reads only its first name; an <aside> elsewhere holds other stories' authors.
    byline = ("<aside><address aria-label='Contributor info'><div>"
              "<a rel='author' href='/profile/julia-carrie-wong'>Julia Carrie Wong</a> and "
              "<a rel='author' href='/profile/sam-levin'>Sam Levin</a></div></address></aside>")
    assert parse_html(html_page(header=byline))["authors"] == ["Julia Carrie Wong", "Sam Levin"]
    related = ("<aside><ul><li><a href='/2020/other-story'>Other story</a> <a rel='author' "
               "href='/profile/thor-olavsrud'>Thor Olavsrud</a></li></ul></aside>")
    own = "<div class='byline'>By <a rel='author' href='/profile/jane-doe'>Jane Doe</a></div>"
    assert parse_html(html_page(header=own, after=related))["authors"] == ["Jane Doe"]


@pytest.mark.parametrize("byline, authors", [
    # trafilatura runs a byline block's text together; the page's markup shows where the name ends.
    ("<div class='article_byline'><div>By <span>Joe Davidson</span></div><div>Washington Post</div>"
     "<time>Dec 13, 2016 at 3:45 pm</time></div>", ["Joe Davidson"]),
    ("<p class='byline'>By <span class='name'>David Lassen</span> <span>Thursday</span></p>", ["David Lassen"]),
    # Two links to writers' pages run together: both are authors.
    ("<div class='author'><a href='/writer/paul-wiseman/'><span>Paul Wiseman</span></a><a "
     "href='/writer/fatima-hussein/'><span>Fatima Hussein</span></a></div>", ["Paul Wiseman", "Fatima Hussein"]),
])
def test_an_author_guess_is_cut_where_the_markup_ends_the_name(byline, authors):
    assert parse_html(html_page(header=byline))["authors"] == authors


def test_a_photographers_credit_is_not_the_author():
    photo = ("<div class='image'><img src='/a.jpg' alt='Singer at the awards'></div>"
             "<div class='imageByline'>Kevork Djansezian, file</div><div class='imageCaption'>Singer at the awards.</div>")
    assert parse_html(html_page(header=photo))["authors"] == []
    own = "<div class='byline'>By <a rel='author' href='/profile/jane-doe'>Jane Doe</a></div>"
    figure = "<figure><img src='/b.jpg'><figcaption>Photo by Andrea Shepard</figcaption></figure>"
    assert parse_html(html_page(header=figure + own))["authors"] == ["Jane Doe"]


def test_a_one_word_copyright_holder_is_not_the_author():
    credit = "<div class='byline'><span class='author'>Teamtalk</span></div>"
    footer = "<p>Copyright &copy; 2008 Teamtalk. All rights reserved.</p>"
    assert parse_html(html_page(header=credit, after=footer))["authors"] == []
    # A blogger may hold the copyright of what they write.
    own = "<div class='byline'>By <span class='author'>Simon Sarris</span></div>"
    assert parse_html(html_page(header=own, after="<p>© 2015 Simon Sarris</p>"))["authors"] == ["Simon Sarris"]


def test_a_comments_credit_is_not_the_author():
    comment = ("<ol class='commentlist'><li><div class='comment-author vcard'><cite class='fn'>"
               "<a href='http://johansoft.example' rel='external nofollow'>Johan Hernandez</a></cite> "
               "<span class='says'>says:</span></div><p>Great list, thanks.</p></li></ol>")
    assert parse_html(html_page(after=comment))["authors"] == []


def test_authors_of_other_stories_cards_and_of_comments_are_not_the_articles():
    cards = ("<section class='related'><article class='card'><h2><a href='/2012/02/other-story/'>Other story</a></h2>"
             "<a class='byline' href='/author/mikemooney'>Michael J. Mooney</a></article></section>")
    comments = ("<div id='disqus_thread'><ul><li><cite><span class='author'>bparis</span></cite>"
                "<p>Great read.</p></li></ul></div>")
    fields = parse_html(html_page(after=cards + comments))
    assert "Michael J. Mooney" not in fields["authors"] and "Bparis" not in fields["authors"]


def test_a_byline_marked_only_by_its_class_gives_the_author():
    # <span class="byline-name"> (today.com), a name printed twice for two screens (Ars Technica),
    # a name beside "Alle Artikel" in the same block (goodnight.at)
    assert parse_html(html_page(header="<div class='article-inline-byline'>By <span class='byline-name'>"
                                       "Melissa Allison</span></div>"))["authors"] == ["Melissa Allison"]
    assert parse_html(html_page(after="<div class='author-mini-bio'><a href='#'>Chris Stokel-Walker</a>"
                                      "<span>Chris Stokel-Walker</span></div>"))["authors"] == ["Chris Stokel-Walker"]
    assert parse_html(html_page(after="<div class='teaser-box author'><div>Julia Deutsch</div>"
                                      "<a href='/autor/julia'>Alle Artikel</a></div>"))["authors"] == ["Julia Deutsch"]


def test_class_bylines_of_other_stories_labels_and_agencies_give_no_author():
    # the story's byline names an agency: the opinion teaser's columnist further down is not its author
    header = ("<div class='article__author'><div class='author__name'>Par AFP</div></div>")
    teaser = ("<section class='section--opinion'><div class='thumbnail--opinion'>"
              "<div class='thumbnail__author'>Par Sylvain Fort</div></div></section>")
    assert parse_html(html_page(header=header, after=teaser))["authors"] == []
    # the class rule alone (trafilatura's own guess comes before it): a "More from" grid of other
    # stories, a post wrapper classed by its login ("author-kinra"), labels, an editorial team
    def class_rule(**parts) -> list[str]:
        tree = page_tree(html_page(**parts).decode())
        return _last_resort_authors(tree, _meta(tree))

    assert class_rule(header="<div class='zox-byline-wrap'>Anna Weber</div>") == ["Anna Weber"]
    grid = "<div class='post-more-grid'><div class='zox-byline-wrap'>Michael Ordman November 15, 2015</div></div>"
    assert class_rule(after=grid) == []
    wrapper = "<div class='hentry post author-kinra'><p>Bonner Fall</p><p>" + " ".join(["Text"] * 20) + "</p></div>"
    assert class_rule(after=wrapper) == []
    assert class_rule(header="<div class='author-info'>Connect Directly</div>") == []
    assert class_rule(header="<span class='author'>ΣΥΝΤΑΚΤΙΚΗ ΟΜΑΔΑ</span>") == []


def test_the_written_by_card_of_seo_plugins_gives_the_author_below_the_shown_byline():
    head = '<meta name="twitter:label1" content="Written by"><meta name="twitter:data1" content="Sameer Rahim">'
    assert parse_html(html_page(head=head))["authors"] == ["Sameer Rahim"]
    # it names the account that posted (an editor): a byline the page shows comes first
    shown = "<p>By <a rel='author' href='/author/duncan-bell'>Duncan Bell</a></p>"
    assert parse_html(html_page(head=head, header=shown))["authors"] == ["Duncan Bell"]
    head = '<meta name="twitter:label1" content="Verfasst von"><meta name="twitter:data1" content="Anna Weber">'
    assert parse_html(html_page(head=head))["authors"] == ["Anna Weber"]
    assert parse_html(html_page(head='<meta name="cXenseParse:author" content="Daniel Wood">'))["authors"] == ["Daniel Wood"]


def test_the_storys_own_article_element_is_not_another_storys_card():
    # a byline inside the story's <article>, which also holds a linked heading (a related link)
    related = "<h3><a href='/other'>Other story</a></h3>"
    page = html_page(header="<p class='byline'>By <a class='author' href='/users/Sam%20Byford'>Sam Byford</a></p>",
                     after=related)
    assert parse_html(page)["authors"] == ["Sam Byford"]


def test_a_site_named_by_its_host_is_not_an_author():
    head = ('<meta property="og:site_name" content="content.usatoday.com">'
            '<meta name="author" content="Sean Leahy, USA TODAY">')
    assert parse_html(html_page(head=head))["authors"] == ["Sean Leahy"]


def test_the_name_the_title_tag_adds_to_the_headline_is_the_site_not_an_author():
    # A page that declares no site name but credits itself as author ("المدينة نيوز", "News.yam.md").
    headline = "Council expands bus network"
    for brand in ("المدينة نيوز", "News.yam.md"):
        page = html_page(head=f'<meta name="author" content="{brand}">').replace(
            f"<title>{headline}</title>".encode(), f"<title>{headline} - {brand}</title>".encode())
        fields = parse_html(page)
        assert fields["title"] == headline and fields["authors"] == []
    # a person stays, and so does a name the title does not set apart as the site's
    page = html_page(head='<meta name="author" content="Lina Haddad">').replace(
        f"<title>{headline}</title>".encode(), f"<title>{headline} - Harbour Daily</title>".encode())
    assert parse_html(page)["authors"] == ["Lina Haddad"]
    page = html_page(head='<meta name="author" content="News.yam.md">')
    assert parse_html(page)["authors"] == ["News.yam.md"]


def test_the_first_author_meta_tag_that_names_a_person_is_read_not_the_publisher_or_an_account():
    head = ('<meta name="author" content="Condé Nast"><meta property="article:author" content="Larry Fitzmaurice">'
            '<meta name="twitter:creator" content="lfitzmaurice">')
    assert parse_html(html_page(head=head))["authors"] == ["Larry Fitzmaurice"]
    head = '<meta property="article:author" content="https://www.facebook.com/CNBC"><meta name="author" content="Tom DiChristopher">'
    assert parse_html(html_page(head=head))["authors"] == ["Tom DiChristopher"]


def test_a_section_given_as_site_name_gives_way_to_the_publisher():
    head = ('<meta property="og:site_name" content="Magazine">'
            '<link rel="canonical" href="https://www.nationalgeographic.com/magazine/article/toys">')
    assert parse_html(html_page(head=head))["site"] == "nationalgeographic.com"


def test_a_one_word_author_named_like_the_host_is_the_brand_unless_the_host_is_a_blog_platforms():
    def authors(url: str, name: str) -> list[str]:
        head = f'<link rel="canonical" href="{url}"><meta name="author" content="{name}">'
        return parse_html(html_page(head=head))["authors"]

    assert authors("https://www.ukrinform.net/rubric-economy/3036.html", "Ukrinform") == []
    assert authors("https://weekly.ascii.jp/elem/000/001/848/1848409/", "ASCII") == []
    assert authors("https://bjori.blogspot.com/2015/04/next-gen-driver.html", "bjori") == ["bjori"]
    assert authors("https://map.simonsarris.com/p/eat-the-seed", "Simon Sarris") == ["Simon Sarris"]


def test_meta_tags_that_write_value_for_content_are_read():
    head = ('<meta value="Ikran Dahir" name="author">'
            '<meta property="article:published_time" value="2016-10-04T05:07:09-04:00">')
    fields = parse_html(html_page(head=head))
    assert fields["authors"] == ["Ikran Dahir"]
    assert fields["hints"]["date_stated"] == "2016-10-04"


def test_a_time_element_states_the_day_when_nothing_else_does():
    header = '<p class="timestamp"><time datetime="2016-10-04 05:07:09">10/04/2016 05:07 AM EDT</time></p>'
    page = html_page(header=header).replace(b"Tuesday, December 8, 2020", b"")
    fields = parse_html(page)
    assert fields["hints"]["date_stated"] == "2016-10-04" and fields["hints"]["date_source"] == "<time datetime>"
    # two days in <time> elements: a list of stories, not the article's date
    two = header + '<aside><time datetime="2016-09-30">30 Sep</time></aside>'
    assert parse_html(html_page(header=two).replace(b"Tuesday, December 8, 2020", b""))["hints"].get(
        "date_source") != "<time datetime>"


def test_a_credits_list_given_as_author_keeps_its_writer_only():
    credits = ("Connie Wang,Sharokh Mirzai,Ariel Pierre-Louis at MSA Models,Kyle Kellogg at Muse Management,"
               "Caitlin Wooters using MAC Cosmetics")
    assert clean_authors([credits]) == ["Connie Wang"]
    # a section named as the author: its lower-case piece and its host are no names
    assert not any(name.islower() or "Radio-Canada" in name
                   for name in clean_authors(["Zone Justice et faits divers - ICI.Radio-Canada.ca"]))


def test_share_buttons_agencies_and_photo_agencies_are_not_authors():
    assert clean_authors(["Michael Stratford Link Copied"]) == ["Michael Stratford"]
    assert clean_authors(["Agencia Efe"]) == []
    assert clean_authors(["Tyrone Turner; National Geographic Creative"]) == ["Tyrone Turner"]


def test_feed_item_title_markup_and_google_alerts_redirects_are_cleaned():
    from transforms.formats.feeds import parse_feed_item

    feed = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>Google Alert - Slack</title>
<link href="https://www.google.com/alerts/feeds/0123/456" rel="self"/>
<entry><id>tag:google.com,2013:googlealerts/feed:1</id>
<title type="html">&lt;b&gt;Slack&lt;/b&gt; Stock Has a Compelling Story</title>
<link href="https://www.google.com/url?rct=j&amp;sa=t&amp;url=https://investorplace.com/2019/07/slack-stock/&amp;ct=ga&amp;usg=AFQj"/>
<published>2019-07-10T00:45:00Z</published>
<content type="html">Shares of &lt;b&gt;Slack&lt;/b&gt; have a story to tell ...</content></entry></feed>"""
    fields = parse_feed_item(feed)
    assert fields["title"] == "Slack Stock Has a Compelling Story"
    assert fields["url"] == "https://investorplace.com/2019/07/slack-stock/"


def test_a_short_heading_that_opens_the_title_is_the_headline_and_a_logo_heading_is_not():
    page = (b"<html><head><title>Henne Strand \xe2\x80\x93 Wikipedia</title></head><body>"
            b"<h1 class='logo'>Wikipedia</h1><h1 id='firstHeading'>Henne Strand</h1><div>"
            + "".join(f"<p>{p}</p>" for p in STORY).encode() + b"</div></body></html>")
    assert parse_html(page)["title"] == "Henne Strand"
    logo_only = page.replace(b"<h1 id='firstHeading'>Henne Strand</h1>", b"")
    assert parse_html(logo_only.replace(b"Henne Strand \xe2\x80\x93 Wikipedia", b"Wikipedia \xe2\x80\x93 Henne Strand"))["title"] \
        != "Wikipedia"


def test_markup_and_script_inside_a_declared_title_never_reach_the_row():
    """Shapes of real crawled pages (L3S-GN1): an annotation tag inside <title>, a title that runs on
    into the page's script, one that is the tail of an HTML comment, a '>' breadcrumb before the
    headline. The page shows no <h1>, so the declared title decides."""
    def page(title: str) -> bytes:
        return (f"<html><head><title>{title}</title></head><body><div class='story'>"
                + "".join(f"<p>{p}</p>" for p in STORY) + "</div></body></html>").encode()

    assert parse_html(page('<SPAN class="x-nc-sel2">Council expands bus network</SPAN>'))["title"] \
        == "Council expands bus network"
    assert parse_html(page('Council expands bus network(The Daily)ntById("font"); obj.style.fontSize = '
                           'fontSize+"pt"; function goPrint() { window.open(1); }'))["title"] \
        == "Council expands bus network(The Daily)"
    assert not parse_html(page("BBnd newsi library--&gt;"))["title"]
    assert parse_html(page("SignOnSanDiego.com &gt; News &gt; World -- Council expands bus network"))["title"] \
        == "Council expands bus network"
    # Ordinary punctuation stays: a semicolon, brackets, quotes and a 'greater than' without spaces.
    plain = "Rates rise; markets fall (again) as 'hawks' win, 3>2 vote"
    assert parse_html(page(plain))["title"] == plain


def test_a_site_only_title_gives_way_to_the_heading_the_lead_bears_out():
    """Table-layout pages of 2008 (L3S-GN1): the <title> names the site or a section, the headline
    is a styled <td>/<span>, not an <h1>; a heading that opens or closes the <title> is the
    headline, the rest of the title the site's."""
    story = "".join(f"<p>{p}</p>" for p in STORY)
    site_only = (f"<html><head><title>Recent Features</title></head><body><table><tr>"
                 f"<td class='navhead'>Latest Sport</td></tr><tr><td class='contentheading'>Council expands "
                 f"bus network to northern districts</td></tr><tr><td>{story}</td></tr></table></body></html>")
    assert parse_html(site_only.encode())["title"] == "Council expands bus network to northern districts"
    tagline = (f"<html><head><title>Council expands bus network - Daily Courier - Independent Local News</title>"
               f"</head><body><div class='tagline'>Independent Local News</div><span class='articleHeadline'>"
               f"Council expands bus network</span><div>{story}</div></body></html>")
    assert parse_html(tagline.encode())["title"] == "Council expands bus network"
    # A pun headline the page shows in its <h1> and declares stays, whatever the lead says.
    pun = html_page(title="Wheels of fortune")
    assert parse_html(pun)["title"] == "Wheels of fortune"


def test_a_title_naming_the_site_gives_way_to_the_heading_the_story_opens_with():
    """L3S-GN1's Summit Daily and Netsports pages: the <title> is the site's ("Summit Daily News for
    Breckenridge, Keystone, Copper and Frisco Colorado", "A Netsports Site"), the story's text opens
    with the headline, and the lead shares a word with the site title (a byline, a feed link), so the
    lead check alone kept it. A heading the lead opens with but never bears out (a time stamp) does not
    replace the site's title, and a title that does not name the site stays."""
    story = "".join(f"<p>{p}</p>" for p in STORY)

    def page(title: str, heading: str) -> bytes:
        return (f"<html><head><title>{title}</title></head><body><table><tr><td class='storyhead'>"
                f"{heading}</td></tr><tr><td><p>By Jane Roe, Summit Daily News</p>{story}</td></tr>"
                f"</table></body></html>").encode()

    site_title = "Summit Daily News for Breckenridge, Keystone and Frisco Colorado"
    url = "http://www.summitdaily.com/article/20080107/NEWS/801070301"
    assert parse_html(page(site_title, "Council expands bus network"), url=url)["title"] \
        == "Council expands bus network"
    assert parse_html(page(site_title, "15 Jan, 2008, 1202 hrs IST"), url=url)["title"] != "15 Jan, 2008, 1202 hrs IST"
    # A title that does not name the site is the headline the page declares: it stays.
    assert parse_html(page("Northern districts get their buses", "Council expands bus network"), url=url)["title"] \
        == "Northern districts get their buses"


def test_a_table_layout_keeps_its_story_and_loses_its_spacers_and_menus():
    """A 2000s page laid out in a table: spacer cells, a menu row and short labels go, the story's
    cell becomes plain paragraphs, and a data table inside the story stays a table."""
    story = "".join(f"<p>{p}</p>" for p in STORY)
    page = (f"<html><head><title>Council expands bus network</title></head><body><table>"
            f"<tr><td></td><td></td><td></td></tr>"
            f"<tr><td>Home</td><td>News</td><td>Sport</td><td>Weather</td></tr>"
            f"<tr><td>Business</td></tr>"
            f"<tr><td></td><td><h1>Council expands bus network</h1>{story}"
            f"<table><tr><th>Route</th><th>Stops</th></tr><tr><td>N1 Hospital</td><td>14</td></tr>"
            f"<tr><td>N2 Station</td><td>9</td></tr></table></td></tr></table></body></html>").encode()
    body = parse_html(page)["body"]
    assert STORY[0] in body and STORY[-1] in body and not body.startswith("|")
    assert "Weather" not in body and "Business" not in body and "|  |" not in body
    assert "| N1 Hospital | 14 |" in body and "| N2 Station | 9 |" in body


def test_arabic_press_bylines_and_web_agency_credits():
    """Real values of realworld pages: Al Bayan's "city - publication", Al Yaum's "name - city",
    Akhbar El Yom's DC.Creator credit of its web developer, Sputnik Arabic's brand as author."""
    assert clean_authors(["أبوظبي - البيان"], site="البيان") == []
    assert clean_authors(["حسام أبو العلا - القاهرة"], site="alyaum") == ["حسام أبو العلا"]
    assert clean_authors(["Developed By Heba Musa"]) == []
    assert clean_authors(["Jean-Luc Martin - Lagardère"]) == ["Jean-Luc Martin - Lagardère"]  # Latin: left whole
    page = html_page(head="<meta name='DC.Creator' content='Developed By Heba Musa'>"
                          "<meta name='author' content='Sputnik'>")
    assert parse_html(page, url="https://arabic.sputniknews.com/x/1.html")["authors"] == []
    # The same one-word author on a host that is not its name plus a media word stays.
    assert parse_html(page, url="https://example.org/x/1.html")["authors"] == ["Sputnik"]


def test_an_about_page_is_a_service_page_even_with_og_type_article():
    """creativecommons.org/mission/ ("Who We Are"): a WordPress plugin sets og:type article on every
    page; a service title at a one-segment service path is the about page. A section of that name
    holding articles keeps them."""
    head = "<meta property='og:type' content='article'>"
    with pytest.raises(NotAnArticle, match="service page"):
        parse_html(html_page(head=head, title="Who We Are"), url="https://creativecommons.org/mission/")
    story = parse_html(html_page(head=head, title="Our mission to the Moon"),
                       url="https://news.example.com/mission/apollo-11-anniversary")
    assert story["title"] == "Our mission to the Moon"


def test_a_title_never_closed_does_not_swallow_the_page():
    # A spliced head (seen in a 2008 news crawl): the title runs into script text and is never
    # closed, so a parser would read the whole page as the title.
    page = html_page().replace(b"<title>Council expands bus network</title>",
                               b"<title>Council expands bus network(OAS_version >= 11)\n<script>var x=1;</script>")
    assert b"</title>" not in page.split(b"<h1>")[0]
    fields = parse_html(page)
    assert fields["title"] == "Council expands bus network"
    assert "northern districts" in fields["body"] and "night line" in fields["body"]
    assert close_runaway_title(html_page().decode()) == html_page().decode()  # a closed title: untouched
    assert close_runaway_title("<html><body><p>no title</p></body></html>").endswith("</html>")


HEADLINE = "Council expands northern bus network"


# Title rules for the table layouts and old CMSs of a 2008 crawl (L3S-GN1); {story} is STORY's paragraphs.
@pytest.mark.parametrize("page, url, want", [
    # The Star Online: the <title> is the site's tagline, the headline a <font size="4"> over the story.
    ("<html><head><title>The Star Online eCentral - Malaysia Entertainment</title></head><body><table><tr>"
     "<td><a href='/'>Home</a> | <a href='/music'>Music</a></td></tr><tr><td>"
     "<font size='4' face='Arial'><b>{headline}</b></font>{story}</td></tr></table></body></html>", None, HEADLINE),
    # Bangkok Post: <font size="4"><p><b>Headline</b></p>…, under a section-named <title>.
    ("<html><head><title>Daily Courier : WEEKEND EXTRA</title></head><body><table><tr><td>"
     "<div class='barback'>WEEKEND EXTRA</div><font size='4'><p><b>{headline}</b></p>{story}</font>"
     "</td></tr></table></body></html>", "http://www.dailycourier.example/cityplus.php?id=12", HEADLINE),
    # Brandon Sun: the day in an <h2> over the headline's <h1>; the lead opens with the same day.
    ("<html><head><title>Valley Sun Online</title></head><body><div id='story'>"
     "<h2>Thursday, January 17th, 2008</h2><h1>{headline}</h1><p>Thursday, January 17th, 2008</p>{story}</div>"
     "<div><h1>Top 10 most read stories</h1><ul><li>one</li></ul></div></body></html>",
     "http://www.valleysun.example/story.php?story_id=86457", HEADLINE),
    # WordPress themes: <h1> is the blog's name, the <title> "Post « Blog name".
    ("<html><head><title>Northern bus network expands &laquo; Notes from the Valley</title></head><body>"
     "<h1><a href='http://weblog.example/'>Notes from the Valley</a></h1><div class='entry'>{story}"
     "<h3>What the council decided and when</h3><p>More below.</p></div></body></html>",
     "http://weblog.example/2008/01/bus/", "Northern bus network expands"),
    # CTV: "Headline - CTV News, Shows and Sports -- Canadian Television", no heading on the page;
    # a side without a word of its own stays ("— Why?").
    ("<html><head><title>{headline} - Valley TV News, Shows and Sports -- Canadian Television</title></head>"
     "<body><table><tr><td>{story}</td></tr></table></body></html>",
     "http://www.valleytv.example/servlet/an/local/20080110", HEADLINE),
    ("<html><head><title>{headline} — Why?</title></head><body><table><tr><td>{story}</td></tr></table></body></html>",
     "http://www.valleytv.example/servlet/an/local/20080111", HEADLINE + " — Why?"),
    # BBC News in a crawl whose <head> was spliced away: no <title>, no heading element; the headline
    # is a short line of a <div class="sh"> over the story.
    ("<html><body><table><tr><td><span class='ds'>Last Updated: Tuesday, 4 December 2007, 17:04 GMT</span>"
     "</td></tr></table><table><tr><td colspan='3'><div class='mxb'><div class='sh'> {headline} </div></div>"
     "</td></tr><tr><td><font size='2'>{story}<p>&copy; 2007 All rights reserved.</p></font></td></tr></table>"
     "</body></html>", "http://news.example.co.uk/2/hi/uk_news/7127451.stm", HEADLINE),
    # Reuters' "News | Africa - Reuters.com": a title of generic words names no story.
    ("<html><head><title>News | Valley Times</title></head><body><div><p><b>{headline}</b></p>{story}</div>"
     "</body></html>", "http://www.valleytimes.example/news/1234.html", HEADLINE),
], ids=["big-font", "bold-in-big-font", "day-heading", "blog-name-h1", "tagline-side", "why-side", "head-lost",
        "generic-title"])
def test_the_headline_of_old_table_layouts(page, url, want):
    story = "".join(f"<p>{p}</p>" for p in STORY)
    assert parse_html(page.format(headline=HEADLINE, story=story).encode(), url=url)["title"] == want


@pytest.mark.parametrize("title, brands, want", [
    ("Starbucks founder back at helm amid sliding sales_English_Xinhua", {"xinhuanet"},
     "Starbucks founder back at helm amid sliding sales"),
    ("Korean Golfer Choi Kyung-ju Wins 7th US PGA Title(The Korea Times)", {"koreatimes"},
     "Korean Golfer Choi Kyung-ju Wins 7th US PGA Title"),
    ("Aidy Recalls Big Guns (from Harrow Times)", {"thisislocallondon"}, "Aidy Recalls Big Guns"),
    ("10,000 trusted domains infected by crimeware Trojan (14/01/2008)", {"itpro"},
     "10,000 trusted domains infected by crimeware Trojan"),
    # a parenthesis that is part of the headline stays, even when it opens with the site's name
    ("2019年のスマホ・DNSフィルタリング・スマホ政策 (IIJmio meeting 23資料公開)", {"iij", "techlog"},
     "2019年のスマホ・DNSフィルタリング・スマホ政策 (IIJmio meeting 23資料公開)"),
    ("Ex-minister charged (again)", {"courier"}, "Ex-minister charged (again)"),
])
def test_a_note_after_the_headline_naming_the_site_a_paper_or_the_day_is_cut(title, brands, want):
    assert strip_branding(title, brands) == want
