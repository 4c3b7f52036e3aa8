"""Read: matching inputs on any fsspec filesystem and reading bytes within limits."""

from __future__ import annotations

import gzip
import io

import apache_beam as beam
import fsspec
import pytest
from apache_beam.testing.test_pipeline import TestPipeline
from apache_beam.testing.util import assert_that, equal_to

from transforms.read import (FileRef, LimitExceeded, MatchFiles, ReadError, ReadFileFn, ReadLimits,
                             expand_input, input_exists, read_file)


@pytest.fixture
def tree(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "one.txt").write_text("one")
    (tmp_path / "a" / "two.jsonl").write_text("{}")
    (tmp_path / "b" / "deep").mkdir(parents=True)
    (tmp_path / "b" / "deep" / "three.txt").write_text("three")
    (tmp_path / "b" / ".hidden.txt").write_text("hidden")
    (tmp_path / "b" / "_SUCCESS").write_text("")
    return tmp_path


def test_directory_glob_and_file_inputs_expand_to_files(tree):
    assert [r.uri.rsplit("/", 1)[-1] for r in expand_input(str(tree))] == ["one.txt", "two.jsonl", "three.txt"]
    assert [r.uri.rsplit("/", 1)[-1] for r in expand_input(f"{tree}/**/*.txt")] == ["one.txt", "three.txt"]
    (ref,) = expand_input(str(tree / "a" / "one.txt"))
    assert ref.size == 3 and ref.mtime is not None


def test_memory_urls_and_missing_inputs(tree):
    fs = fsspec.filesystem("memory")
    fs.pipe("/read-test/x/1.txt", b"hello")
    (ref,) = expand_input("memory://read-test/x/")
    assert ref.uri == "memory:///read-test/x/1.txt"
    assert read_file(ref).data == b"hello"
    assert input_exists("memory://read-test/x/") and not input_exists("memory://read-test/nope/")
    assert not input_exists(str(tree / "missing" / "*.txt"))


def _gzip(data: bytes) -> bytes:
    buf = io.BytesIO()
    with gzip.GzipFile(fileobj=buf, mode="wb", mtime=0) as handle:
        handle.write(data)
    return buf.getvalue()


def test_decompression_bomb_stops_at_the_ratio_limit(tmp_path):
    path = tmp_path / "bomb.txt.gz"
    path.write_bytes(_gzip(b"\0" * (64 * 1024 * 1024)))
    ref = expand_input(str(path))[0]
    with pytest.raises(LimitExceeded, match="max_ratio"):
        read_file(ref, ReadLimits())


def test_file_size_limit_applies_to_decompressed_bytes(tmp_path):
    path = tmp_path / "big.txt.gz"
    path.write_bytes(_gzip(b"x" * 5000))
    with pytest.raises(LimitExceeded, match="max_file_bytes"):
        read_file(expand_input(str(path))[0], ReadLimits(max_file_bytes=4096))


def test_truncated_gzip_keeps_what_decompressed_before_the_break(tmp_path):
    import os

    payload = os.urandom(300_000).hex().encode()  # incompressible, so the cut lands mid-stream
    data = _gzip(payload)
    path = tmp_path / "cut.jsonl.gz"
    path.write_bytes(data[: len(data) // 2])
    raw = read_file(expand_input(str(path))[0])
    assert raw.truncated and "gzip stream ends early" in raw.truncated
    assert raw.data and payload.startswith(raw.data)


def test_gzip_cut_before_any_data_is_a_read_error(tmp_path):
    path = tmp_path / "stub.txt.gz"
    path.write_bytes(_gzip(b"hello world" * 100)[:12])
    with pytest.raises(ReadError, match="gzip"):
        read_file(expand_input(str(path))[0])


def test_match_and_read_transforms(tree):
    with TestPipeline() as p:
        refs = p | beam.Create([str(tree / "a"), f"{tree}/a/*.txt", str(tree / "b")]) | MatchFiles()
        names = refs | "Names" >> beam.Map(lambda r: r.uri.rsplit("/", 1)[-1])
        assert_that(names, equal_to(["one.txt", "two.jsonl", "three.txt"]))  # each file once
        data = refs | beam.ParDo(ReadFileFn(ReadLimits())) | "Data" >> beam.Map(lambda f: f.data)
        assert_that(data, equal_to([b"one", b"{}", b"three"]), label="ReadBytes")


def test_read_failures_come_out_as_dead_letters(tmp_path):
    from transforms.deadletter import DeadLetters

    good = tmp_path / "good.txt"
    good.write_text("fine")
    refs = [FileRef(str(good), 4, None), FileRef(str(tmp_path / "vanished.txt"), 10, None)]
    with TestPipeline() as p:
        read, failed = (p | beam.Create(refs)
                        | beam.ParDo(ReadFileFn(ReadLimits())).with_exception_handling())
        dead = failed | DeadLetters("read")
        assert_that(read | "Uris" >> beam.Map(lambda f: f.uri), equal_to([str(good)]))
        assert_that(dead | beam.Map(lambda d: (d.source_uri.rsplit("/", 1)[-1], d.stage, d.error_type)),
                    equal_to([("vanished.txt", "read", "ReadError")]), label="Dead")
