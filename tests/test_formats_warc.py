"""WARC: HTML responses become articles; other records are skipped and counted; a break is one dead letter."""

from __future__ import annotations

import datetime as dt
import gzip

import pytest

from conftest import shared_data
from transforms.formats import ParseError
from transforms.formats.html import parse_html
from transforms.formats.warc import split_warc
from transforms.pagekind import NotAnArticle
from transforms.parse import parse_record, split_file
from transforms.read import FileRef, RawFile, read_file

NOW = dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc)
PAGE = (b"<html lang='en'><head><title>Mayor opens bridge</title>"
        b"<meta property='article:published_time' content='2024-05-01T08:30:00Z'></head><body><article>"
        + b"".join(b"<p>The mayor opened the new bridge over the river on Monday, paragraph %d of the story, "
                   b"in front of a crowd of residents who had waited years for it.</p>" % i for i in range(6))
        + b"</article></body></html>")


def _record(rec_type: str, uri: str, block: bytes, extra: str = "") -> bytes:
    head = (f"WARC/1.0\r\nWARC-Type: {rec_type}\r\nWARC-Target-URI: {uri}\r\n"
            f"WARC-Date: 2024-05-02T00:00:00Z\r\n{extra}Content-Length: {len(block)}\r\n\r\n")
    return head.encode() + block + b"\r\n\r\n"


def _http(body: bytes, status: str = "200 OK", ctype: str = "text/html; charset=utf-8") -> bytes:
    return (f"HTTP/1.1 {status}\r\nContent-Type: {ctype}\r\nContent-Length: {len(body)}\r\n\r\n").encode() + body


def _crawl() -> bytes:
    http = "Content-Type: application/http; msgtype=response\r\n"
    return (_record("warcinfo", "", b"software: test\r\n")
            + _record("request", "https://news.example.com/bridge", b"GET /bridge HTTP/1.1\r\n\r\n",
                      "Content-Type: application/http; msgtype=request\r\n")
            + _record("response", "https://news.example.com/bridge", _http(PAGE), http)
            + _record("response", "https://news.example.com/logo.png", _http(b"\x89PNG", ctype="image/png"), http)
            + _record("response", "https://news.example.com/old", _http(b"", "301 Moved Permanently"), http)
            + _record("metadata", "https://news.example.com/bridge", b"outlinks: none\r\n")
            + _record("revisit", "https://news.example.com/bridge", b""))


def test_html_response_becomes_an_article_with_target_uri_and_dates():
    records = split_file(RawFile("memory://crawl.warc", _crawl(), None, None), NOW)
    assert len(records) == 1
    article = parse_record(records[0])
    assert article.url == "https://news.example.com/bridge"
    assert article.title == "Mayor opens bridge"
    assert article.published_at == dt.datetime(2024, 5, 1, 8, 30, tzinfo=dt.timezone.utc)
    assert article.hints["warc_date"] == "2024-05-02T00:00:00Z"
    assert "new bridge" in article.body


def test_non_page_records_are_skipped_and_counted_by_type():
    parts = split_warc(_crawl())
    assert parts.skipped == {"warcinfo": 1, "request": 1, "response:image": 1, "response:status-301": 1,
                             "metadata": 1, "revisit": 1}
    assert parts.broken_tail is None


def test_truncated_warc_keeps_records_before_the_break_and_the_break_is_one_dead_letter():
    data = _crawl() + _record("response", "https://news.example.com/bridge2", _http(PAGE),
                              "Content-Type: application/http; msgtype=response\r\n")
    cut = data[: len(data) - 200]
    records = split_file(RawFile("memory://cut.warc", cut, None, None), NOW)
    assert len(records) == 2
    article = parse_record(records[0])
    assert article.url == "https://news.example.com/bridge" and "new bridge" in article.body
    with pytest.raises(ParseError, match="truncated WARC"):
        parse_record(records[1])


def test_gzipped_warc_without_extension_is_sniffed():
    data = b"".join(gzip.compress(part) for part in (_crawl(),))
    records = split_file(RawFile("memory://crawl-no-extension", data, len(data), None), NOW)
    assert [r.kind for r in records] == ["warc"]


def test_warc_with_only_non_pages_is_one_dead_letter():
    with pytest.raises(ParseError, match="no HTML response records"):
        split_file(RawFile("memory://x.warc", _record("warcinfo", "", b"x"), None, None), NOW)


@pytest.mark.parametrize("path, pages, articles", [
    (("commoncrawl-whirlwind-python", "whirlwind.warc.gz"), 1, 1),
    # archive.org's front page (2008), twice: homepages are `filter` dead letters, not articles.
    (("ukwa-webarchive-test-suite", "IAH-20080430204825-00000-blackbook-truncated.warc"), 2, 0),
    # blog and news posts of creativecommons.org and commoncrawl.org beside their front pages, FAQ
    # and "Who We Are" page (creativecommons.org/mission/, og:type article like every page there).
    (("allenai-dolma", "sample-0001.warc.gz"), 15, 6),
])
def test_real_warcs(path, pages, articles):
    raw = read_file(FileRef(str(shared_data("formats", "warc", *path)), None, None))
    records = split_file(raw, NOW)
    assert len(records) == pages
    parsed = []
    for record in records:
        try:
            parsed.append(parse_record(record))
        except NotAnArticle as exc:
            assert "not an article" in str(exc)
    assert len(parsed) == articles
    for article in parsed:
        assert article.url and article.url.startswith("http") and article.hints["warc_date"]
        # The capture time is when the page was fetched, never its publication time.
        assert article.published_at is None or article.published_at.isoformat()[:19] != article.hints["warc_date"][:19]


def test_real_warc_cut_in_half():
    raw = read_file(FileRef(str(shared_data("formats", "warc", "commoncrawl-whirlwind-python", "whirlwind.warc")), None, None))
    records = split_file(raw._replace(data=raw.data[: len(raw.data) // 2]), NOW)
    assert len(records) == 1
    with pytest.raises(ParseError, match="truncated"):
        parse_record(records[0])


def test_wget_angle_bracket_target_uri():
    raw = read_file(FileRef(str(shared_data("formats", "warc", "allenai-dolma", "sample-0001.warc.gz")), None, None))
    # [0] is creativecommons.org's front page, [1] its "Who We Are" page: both filtered
    article = parse_record(split_file(raw, NOW)[2])
    assert article.hints["warc_target_uri"] == ("https://creativecommons.org/2024/03/28/cc-joins-civil-society-"
                                                "letter-urging-u-s-to-support-openness-and-transparency-in-ai/")


# --- a crawl file read as a stream ------------------------------------------------------------------

def _big_crawl(pages: int = 8) -> bytes:
    """Pages of ~40 KB each between the records a crawl also holds (requests, images, redirects)."""
    http = "Content-Type: application/http; msgtype=response\r\n"
    filler = b"".join(b"<p>Council minutes, item %d: the committee heard residents on the new bus lanes "
                      b"and the parking charges near the station, and deferred a vote.</p>" % i for i in range(250))
    out = [_record("warcinfo", "", b"software: test\r\n")]
    for n in range(pages):
        page = PAGE.replace(b"Mayor opens bridge", b"Mayor opens bridge %d" % n).replace(b"</article>", filler + b"</article>")
        out += [_record("request", f"https://news.example.com/{n}", b"GET / HTTP/1.1\r\n\r\n",
                        "Content-Type: application/http; msgtype=request\r\n"),
                _record("response", f"https://news.example.com/story/{n}", _http(page), http),
                _record("response", f"https://news.example.com/img/{n}.jpg", _http(b"\xff\xd8" * 30000, ctype="image/jpeg"), http)]
    return b"".join(out)


def test_a_warc_is_read_as_a_stream_of_pieces_that_split_like_the_whole_file(tmp_path):
    from transforms.read import ReadLimits, read_pieces

    data = _big_crawl()
    path = tmp_path / "CC-NEWS-20240101-00000.warc.gz"
    path.write_bytes(b"".join(gzip.compress(data[i:i + 50_000]) for i in range(0, len(data), 50_000)))
    # max_file_bytes far below the file's size: a WARC is not bounded by it, its pieces are
    limits = ReadLimits(max_file_bytes=100_000, warc_piece_bytes=1)
    pieces = list(read_pieces(FileRef(str(path), path.stat().st_size, None), limits))
    assert len(pieces) > 3 and all(piece.kind == "warc" for piece in pieces)
    assert max(len(piece.data) for piece in pieces) < 200_000 < len(data)
    streamed = [record for piece in pieces for record in split_file(piece, NOW)]
    whole = split_file(RawFile(str(path), data, None, None), NOW)
    assert [(r.index, r.payload) for r in streamed] == [(r.index, r.payload) for r in whole]
    assert [r.source_uri for r in streamed] == [f"{path}#{i}" for i in range(8)]
    # the skipped records are counted with the pieces: 1 warcinfo, 8 requests, 8 images
    skipped = {}
    for piece in pieces:
        for reason, count in piece.skipped:
            skipped[reason] = skipped.get(reason, 0) + count
    assert skipped == {"warcinfo": 1, "request": 8, "response:image": 8}
    # read_file joins the pieces: the same records again
    assert [r.payload for r in split_file(read_file(FileRef(str(path), None, None), limits), NOW)] == \
        [r.payload for r in whole]


def test_a_truncated_streamed_warc_keeps_its_records_and_the_break_is_one_dead_letter(tmp_path):
    from transforms.read import ReadLimits, read_pieces

    data = _big_crawl(4)
    cut = data[: data.index(b"https://news.example.com/story/3") + 3000]  # inside the 4th page
    path = tmp_path / "cut.warc"
    path.write_bytes(cut)
    pieces = list(read_pieces(FileRef(str(path), None, None), ReadLimits(warc_piece_bytes=1)))
    records = [record for piece in pieces for record in split_file(piece, NOW)]
    assert [r.index for r in records] == [0, 1, 2, 3]
    assert [parse_record(r).title for r in records[:3]] == [f"Mayor opens bridge {n}" for n in range(3)]
    with pytest.raises(ParseError, match="truncated WARC"):
        parse_record(records[3])


def test_skipped_records_stream_by_without_being_held_in_memory():
    from transforms.formats.warc import RecordStream

    http = "Content-Type: application/http; msgtype=response\r\n"
    video = _record("response", "https://news.example.com/clip.mp4", _http(b"\x00" * 20_000_000, ctype="video/mp4"), http)
    data = video + _record("response", "https://news.example.com/bridge", _http(PAGE), http)
    stream, largest = RecordStream(), 0
    for start in range(0, len(data), 65_536):
        stream.feed(data[start:start + 65_536])
        largest = max(largest, len(stream.buffer))
    kept, skipped, tail = stream.finish()
    assert largest <= 2 * 65_536 and len(kept) == 1 and skipped == {"response:video": 1} and tail is None
    # cut short inside the video: not a skipped record but the broken tail (one dead letter), as whole
    cut = RecordStream()
    for start in range(0, 1_000_000, 65_536):
        cut.feed(data[start:min(start + 65_536, 1_000_000)])
    kept, skipped, tail = cut.finish()
    assert kept == [] and skipped == {} and tail.startswith(b"WARC/1.0") and b"clip.mp4" in tail
    assert split_warc(tail).broken_tail == tail


def test_a_crawl_file_beyond_max_file_bytes_runs_through_the_cli(tmp_path, run_newsbeam):
    path = tmp_path / "in" / "crawl.warc.gz"
    path.parent.mkdir()
    path.write_bytes(gzip.compress(_big_crawl(6)))
    code, manifest = run_newsbeam(path.parent, tmp_path / "out", "--max-file-bytes", "100000")
    assert code == 0
    counts = manifest["counts"]
    assert counts["records_in"] == 6 and counts["articles"] + counts["duplicates"] == 6
    assert counts["records_in"] == counts["articles"] + counts["duplicates"] + counts["dead_letter"]


def test_the_capture_time_bounds_the_publication_time():
    # The metadata states a day after the crawl captured the page (2 May 2024): that cannot be when
    # it was published, so the day the page prints under its headline is.
    page = (PAGE.replace(b"2024-05-01T08:30:00Z", b"2024-06-30T08:30:00Z")
            .replace(b"<article>", b"<article><h1>Mayor opens bridge</h1><p class='date'>Published 1 May 2024</p>"))
    http = "Content-Type: application/http; msgtype=response\r\n"
    crawl = _record("response", "https://news.example.com/bridge", _http(page), http)
    article = parse_record(split_file(RawFile("memory://crawl.warc", crawl, None, None), NOW)[0])
    assert article.published_at.date() == dt.date(2024, 5, 1)
    assert parse_html(page)["published_at"].date() == dt.date(2024, 6, 30)  # no capture time: the metadata
