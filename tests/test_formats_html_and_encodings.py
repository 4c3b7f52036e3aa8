"""HTML pages and text encodings: metadata from the page, bytes decoded without mojibake."""

from __future__ import annotations

import datetime as dt
import gzip
import json
import tarfile
import io

import pytest

from conftest import shared_data
from transforms.formats import ParseError
from transforms.formats.charset import decode_document
from transforms.formats.html import parse_html
from transforms.pagekind import NotAnArticle
from transforms.parse import parse_record, sniff_kind, split_file
from transforms.read import RawFile, expand_input, read_file

NOW = dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc)
STORY = "".join(f"<p>Paragraph {i}: the council voted on Tuesday to approve the budget for the coming "
                f"year after a long debate about the costs of the new library.</p>" for i in range(6))
PAGE = f"""<!DOCTYPE html><html lang="en-GB"><head><meta charset="utf-8">
<title>Council approves budget | Town News</title>
<link rel="canonical" href="/news/budget">
<meta property="og:site_name" content="Town News">
<meta name="author" content="Sam Clerk">
<meta property="article:published_time" content="2024-03-05T17:45:00+01:00">
</head><body><nav><a href="/">Home</a> <a href="/sport">Sport</a></nav>
<article><h1>Council approves budget</h1>{STORY}</article>
<footer>Copyright Town News. All rights reserved.</footer></body></html>"""


def test_html_page_fields_and_metadata():
    fields = parse_html(PAGE.encode(), url="https://town.example/news/budget?utm=x")
    assert fields["url"] == "https://town.example/news/budget"
    assert fields["title"].startswith("Council approves budget")
    assert fields["site"] == "Town News" and fields["authors"] == ["Sam Clerk"]
    assert fields["published_at"] == dt.datetime(2024, 3, 5, 16, 45, tzinfo=dt.timezone.utc)
    assert fields["hints"]["language"] == "en-GB"
    assert "Paragraph 0" in fields["body"] and "Home" not in fields["body"]
    assert "\n\n" in fields["body"]


def test_html_behind_a_broken_xml_declaration_still_parses():
    # A crawled page (L3S-GN1) opens with `<?xml version="1.0" encoding="` followed by keywords and
    # no `?>`: lxml refuses a string holding an encoding declaration, so the page became a dead letter.
    broken = '<?xml version="1.0" encoding="news, politics, budget, council" />\n' + PAGE.split("\n", 1)[1]
    fields = parse_html(broken.encode())
    assert fields["title"].startswith("Council approves budget") and "Paragraph 5" in fields["body"]
    assert parse_html(('<?xml version="1.0" encoding="utf-8"?>\n' + PAGE).encode())["title"] == fields["title"]


def test_html_without_text_is_a_parse_error():
    with pytest.raises(ParseError):
        parse_html(b"<html><head><title>Only a title</title></head><body><script>x()</script></body></html>")


def test_cp1252_html_declared_in_meta():
    page = PAGE.replace('charset="utf-8"', 'charset="windows-1252"').replace("library", "café – “bibliothèque”")
    fields = parse_html(page.encode("cp1252"))
    assert "café – “bibliothèque”" in fields["body"]


def test_benchmark_page_extracts():
    root = shared_data("article-extraction-benchmark")
    truth = json.loads((root / "ground-truth.json").read_text())
    key = "042bb7b5fedab6eac7db576522b89b93904c237d344bcbe14a6a5ab7f7335856"
    fields = parse_html(gzip.decompress((root / "html" / f"{key}.html.gz").read_bytes()))
    assert fields["url"] == truth[key]["url"]
    assert truth[key]["articleBody"][:60] in fields["body"]


# --- encodings -------------------------------------------------------------------------------------

def test_bbc_latin1_file_keeps_pound_sign():
    path = shared_data("bbc", "sport", "199.txt")
    article = parse_record(split_file(read_file_ref(path), NOW)[0])
    assert "£" in article.body


def read_file_ref(path):
    from transforms.read import FileRef
    return read_file(FileRef(str(path), None, None))


CHINESE = "北京时间今天上午，国务院新闻办公室举行新闻发布会，介绍前三季度国民经济运行情况。"


def test_gb18030_text_decodes():
    assert decode_document(CHINESE.encode("gb18030")) == (CHINESE, "gb18030")


def test_utf16_with_bom_decodes():
    text = "Zürich – the £ and the € both rose; 北京 too."
    assert decode_document(text.encode("utf-16"))[0] == text


def test_utf16_file_with_bom_is_parsed_as_text_record():
    body = "Headline\n\nThe £ fell sharply on Monday as traders in Zürich sold, analysts said. " * 3
    data = body.encode("utf-16")
    (record,) = split_file(RawFile("memory://story.txt", data, len(data), None), NOW)
    assert "£ fell sharply" in parse_record(record).body


@pytest.mark.parametrize("saved, repaired", [
    ("Syrie : un attentat Ã  la voiture piÃ©gÃ©e fait 19 morts", "Syrie : un attentat à la voiture piégée fait 19 morts"),
    ("Neue Ã„rzte in KÃ¶ln â€“ das sagt die StraÃŸe", "Neue Ärzte in Köln – das sagt die Straße"),
    ("It\u00e2\u20ac\u2122s done", "It’s done"),
    ("SÃO PAULO: NÃO é assim", "SÃO PAULO: NÃO é assim"),  # real Portuguese letters stay
    ("Fußball in Köln – „gut“", "Fußball in Köln – „gut“"),
])
def test_text_saved_as_mojibake_is_repaired(saved, repaired):
    data = ("<rss version='2.0'><channel><title>Le Monde.fr</title><item><title>" + saved + "</title>"
            "<link>https://example.com/a</link><description>" + saved + ". Le texte suit ici.</description>"
            "</item></channel></rss>").encode("utf-8")
    (record,) = split_file(RawFile("memory://feed.xml", data, len(data), None), NOW)
    article = parse_record(record)
    assert article.title == repaired and article.body.startswith(repaired)


def test_a_checksum_list_in_an_input_folder_is_a_parse_error_not_an_article():
    data = (b"dace2f1fd2a05f355ac490d44db3623fdc1f69216dbd75c479b52cc4af6a92fa  anandtech/input.html\n"
            b"5778fe980563b514afb1a20da8ef9f813feab23b454a59bf56bc5409946d1e88  expected.jsonl\n"
            b"d41d8cd98f00b204e9800998ecf8427e *README.md\n")
    (record,) = split_file(RawFile("memory://SHA256SUMS", data, len(data), None), NOW)
    with pytest.raises(ParseError, match="checksum list"):
        parse_record(record)


@pytest.mark.parametrize("name", ["README.md", "SOURCE.md", "LICENSE", "licence.txt", "CHANGELOG.rst"])
def test_a_folders_readme_or_licence_is_a_filter_dead_letter_not_an_article(name):
    data = b"# realworld\n\n- **Repository:** https://github.com/example/parser at commit abc123\n\nPurpose: tests.\n"
    (record,) = split_file(RawFile(f"memory://data/{name}", data, len(data), None), NOW)
    with pytest.raises(NotAnArticle, match="folder document"):
        parse_record(record)


def test_a_story_file_named_like_a_document_word_is_still_read():
    data = b"Council expands bus network\n\nThe city council voted on Tuesday to expand the bus network.\n"
    (record,) = split_file(RawFile("memory://data/source-of-the-nile.txt", data, len(data), None), NOW)
    assert "The city council voted" in parse_record(record).body


@pytest.mark.parametrize("text, encoding", [
    ("Le président a déclaré que l'économie française progresse – « bien ».", "cp1252"),
    ("Die Größe der Straße über Köln.", "latin-1"),
    ("Zażółć gęślą jaźń. Prezydent powiedział, że gospodarka się rozwija.", "cp1250"),
    ("Привет, мир! Это новости из Москвы, где сегодня прошла пресс-конференция.", "cp1251"),
])
def test_legacy_single_byte_encodings(text, encoding):
    assert decode_document(text.encode(encoding))[0] == text


def test_declared_latin1_holding_utf8_is_read_as_utf8():
    data = '<?xml version="1.0" encoding="iso-8859-1"?><x>Décès</x>'.encode("utf-8")
    assert "Décès" in decode_document(data, "iso-8859-1")[0]


# --- sniffing and containers -----------------------------------------------------------------------

@pytest.mark.parametrize("head, extension, kind", [
    (b"<!DOCTYPE html><html><body>x</body></html>", ".txt", "html"),
    (b'<?xml version="1.0"?><rss version="2.0"><channel/></rss>', "", "feed"),
    (b'<feed xmlns="http://www.w3.org/2005/Atom"></feed>', ".html", "feed"),
    (b'<?xml version="1.0"?><!DOCTYPE nitf SYSTEM "x.dtd"><nitf/>', ".txt", "nitf"),
    (b'<newsMessage xmlns="http://iptc.org/std/nar/2006-10-01/"/>', "", "newsml-g2"),
    (b"WARC/1.0\r\n", ".txt", "warc"),
    (b'{"a": 1}\n{"a": 2}\n', ".json", "json"),
    (b"Just a story.", "", "text"),
])
def test_sniffing_trusts_content_over_extension(head, extension, kind):
    assert sniff_kind(head, extension) == kind


def test_html_saved_as_txt_is_parsed_as_html():
    (record,) = split_file(RawFile("memory://page.txt", PAGE.encode(), None, None), NOW)
    assert record.kind == "html" and parse_record(record).site == "Town News"


def test_gzip_without_extension_is_inflated():
    data = gzip.compress(PAGE.encode())
    (record,) = split_file(RawFile("memory://page", data, len(data), None), NOW)
    assert record.kind == "html"


def test_gzip_bomb_without_extension_is_refused():
    from transforms.read import LimitExceeded, ReadLimits
    data = gzip.compress(b"\0" * (4 << 20))
    with pytest.raises(LimitExceeded):
        split_file(RawFile("memory://bomb", data, len(data), None), NOW,
                   ReadLimits(max_ratio=10, ratio_floor_bytes=1 << 20))


@pytest.mark.parametrize("mode, suffix", [("w", ".tar"), ("w:gz", ".tar.gz")])
def test_tar_members_are_files(tmp_path, mode, suffix):
    archive = tmp_path / f"bundle{suffix}"
    with tarfile.open(archive, mode) as tar:
        for name, data in (("a.txt", b"First story text here."), ("sub/b.html", PAGE.encode()),
                           (".hidden", b"x")):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    refs = expand_input(str(archive))
    assert [r.uri for r in refs] == [f"tar://a.txt::{archive}", f"tar://sub/b.html::{archive}"]
    kinds = [split_file(read_file(r), NOW)[0].kind for r in refs]
    assert kinds == ["text", "html"]


def test_json_collections_are_one_record_per_article():
    story = "The council voted on Tuesday to approve the budget for the coming year. " * 3
    wrapped = {"status": "ok", "results": [{"title": "One", "text": story}, {"title": "Two", "text": story + "More."}]}
    by_id = {"a1": {"articleBody": story, "url": "https://town.example/a1"},
             "b2": {"articleBody": story + "Again.", "url": "https://town.example/b2"},
             "c3": {"url": "https://town.example/c3"}}  # no body: its own dead letter, not the file's
    for doc, bodies in ((wrapped, 2), (by_id, 2)):
        data = json.dumps(doc).encode()
        records = split_file(RawFile("memory://export.json", data, len(data), None), NOW)
        assert len(records) == len(doc.get("results", doc))
        parsed, failed = [], 0
        for record in records:
            try:
                parsed.append(parse_record(record))
            except ParseError:
                failed += 1
        assert len(parsed) == bodies and failed == len(records) - bodies
    # one article object stays one record, even when its values include objects
    single = json.dumps({"text": story, "source": {"name": "Town News"}, "meta": {"lang": "en"}}).encode()
    assert len(split_file(RawFile("memory://one.json", single, len(single), None), NOW)) == 1
