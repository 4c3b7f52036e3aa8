"""Property tests: whatever bytes arrive, parsing raises only dead-letter exceptions, and every
record a file splits into ends up as exactly one article or one dead letter."""

from __future__ import annotations

import datetime as dt
import hashlib
import re

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from pydantic import ValidationError

from conftest import SHARED_DATA
from transforms.formats import ParseError
from transforms.deadletter import dead_letter
from transforms.parse import parse_record, split_file
from transforms.read import ReadError, RawFile
from transforms.text import DecodeError

NOW = dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc)
# What a parse step may raise: each becomes a dead letter with a stage (ValidationError: validate).
DEAD_LETTER_ERRORS = (ParseError, DecodeError, ReadError, ValidationError)
CONTROLS = re.compile("[\\x00-\\x08\\x0e-\\x1f]")
EXTENSIONS = ["", ".txt", ".json", ".jsonl", ".html", ".xml", ".warc", ".rss"]

SAMPLES = [
    ("formats", "nitf", "superdesk-core", "pa5.xml"),
    ("formats", "newsml-g2", "superdesk-core", "ap.xml"),
    ("formats", "newsml-1", "superdesk-core", "afp.xml"),
    ("formats", "rss-atom", "rss-parser", "heise.atom"),
    ("formats", "rss-atom", "feedreader", "Rss20CTVNews.xml"),
    ("formats", "warc", "commoncrawl-whirlwind-python", "whirlwind.warc"),
    ("bbc", "sport", "199.txt"),
    ("realworld", "superdesk-wire", "files", "ap_anpa-1.tst"),
    ("realworld", "superdesk-wire", "files", "dpa_four_line.txt"),
]
SPEC_SAMPLES = [
    b'<?xml version="1.0"?><rss version="2.0"><channel><title>T</title><item><title>A</title>'
    b"<description>Some text of the item.</description></item></channel></rss>",
    b"<nitf><body><body.head><hedline><hl1>H</hl1></hedline></body.head>"
    b"<body.content><p>Body text.</p></body.content></body></nitf>",
    b'{"title": "T", "text": "Body of the story."}\n{"title": "U"}\n',
    b"<html><head><title>T</title></head><body><article><p>" + b"Some story text. " * 30 + b"</p></article></body></html>",
    b"\x16\x16\x01a0001\x1fxyz\nr a\x13\x11 BC-Storm 03-05 0120\r\n\x02^BC-Storm,120<\r\n^Storm hits coast<\r\n"
    b"\t   BRIGHTON, England (AP) _ A storm hit the coast on Tuesday.\r\n\x03AP-WF-03-05-24 1015GMT<\r\n\x04",
]


def _real_samples() -> list[bytes]:
    found = []
    for parts in SAMPLES:
        path = SHARED_DATA.joinpath(*parts)
        if path.exists():
            found.append(path.read_bytes()[:60_000])
    return found


STAGES = {"read", "parse", "validate", "filter", "enrich", "write"}


def _check_dead_letter(element, exc: Exception, raw: bytes) -> None:
    """The dead letter the pipeline would write for this failure is a valid row about these bytes."""
    row = dead_letter(element, type(exc), repr(exc), "parse", now=NOW)
    assert row.stage in STAGES and row.message and "\n" not in row.message
    assert row.raw_size == len(raw) and row.raw_sha256 == hashlib.sha256(raw).hexdigest()
    assert row.raw_excerpt is None or len(row.raw_excerpt.encode("utf-8")) <= 1024


def account(data: bytes, extension: str) -> tuple[int, int, int]:
    """(records in, articles, dead letters) for one file, as the pipeline counts them; raises on
    anything that is not a dead letter, and checks each row the pipeline would write."""
    raw = RawFile(f"memory://sample{extension}", data, len(data), None)
    try:
        records = split_file(raw, NOW)
    except DEAD_LETTER_ERRORS as exc:
        _check_dead_letter(raw, exc, data)
        return 1, 0, 1  # the whole file is one dead letter
    # Every record has its own source_uri (its index), so no two rows can claim the same input.
    assert len({r.source_uri for r in records}) == len(records)
    assert records, "a file that splits must give at least one record"
    articles = dead = 0
    for record in records:
        try:
            article = parse_record(record)
        except DEAD_LETTER_ERRORS as exc:
            _check_dead_letter(record, exc, record.payload)
            dead += 1
            continue
        assert article.body.strip() and not CONTROLS.search(article.body)
        assert article.source_uri == record.source_uri
        articles += 1
    return len(records), articles, dead


FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(data=st.binary(max_size=2048), extension=st.sampled_from(EXTENSIONS))
def test_arbitrary_bytes_never_raise_and_are_accounted_for(data, extension):
    account(data, extension)  # the checks are inside: only dead-letter exceptions, valid rows


@st.composite
def mutated(draw):
    pool = _real_samples() + SPEC_SAMPLES
    data = bytearray(draw(st.sampled_from(pool)))
    for _ in range(draw(st.integers(1, 6))):
        action = draw(st.sampled_from(["flip", "cut", "insert", "delete"]))
        pos = draw(st.integers(0, max(len(data) - 1, 0)))
        if action == "flip" and data:
            data[pos] = draw(st.integers(0, 255))
        elif action == "cut":
            del data[pos:]
        elif action == "insert":
            data[pos:pos] = draw(st.sampled_from([b"<", b"&", b"]]>", b"\x00", b"\xff\xfe", b"WARC/1.0\r\n",
                                                  b"<!ENTITY x 'y'>", b"\r\n\r\n", b'"', b"{", b"\x01", b"\x02",
                                                  b"\x03", b"^By X=\r\n"]))
        elif data:
            del data[pos:pos + draw(st.integers(1, 64))]
    return bytes(data)


@FAST
@given(data=mutated(), extension=st.sampled_from(EXTENSIONS))
def test_mutated_real_samples_never_raise_and_are_accounted_for(data, extension):
    account(data, extension)


@pytest.mark.parametrize("index", range(len(SPEC_SAMPLES)))
def test_unmutated_spec_samples_give_articles(index):
    records_in, articles, dead = account(SPEC_SAMPLES[index], "")
    # Each sample holds exactly one article; the JSONL sample's second line has no body.
    assert (articles, dead) == ((1, 1) if index == 2 else (1, 0)) and records_in == articles + dead
