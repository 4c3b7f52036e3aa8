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
    path.write_bytes(_gzip(b"hello world" * 100)[:10])  # the header only: nothing decompresses
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


# --- hostile trees, names and streams --------------------------------------------------------------

def test_special_files_and_outward_links_are_refs_with_a_problem_and_never_opened(tmp_path):
    import os
    import socket

    root = tmp_path / "in"
    root.mkdir()
    (root / "story.txt").write_text("story")
    os.mkfifo(root / "pipe")
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(root / "sock"))
    (tmp_path / "secret.txt").write_text("secret")
    (root / "out-link.txt").symlink_to(tmp_path / "secret.txt")
    (root / "in-link.txt").symlink_to(root / "story.txt")
    (root / "loop").symlink_to(root)  # a folder link back into the root: walked once, no loop
    refs = {r.uri.rsplit("/", 1)[-1]: r for r in expand_input(str(root))}
    sock.close()
    assert refs["story.txt"].problem is None and refs["in-link.txt"].problem is None
    assert "named pipe" in refs["pipe"].problem and "socket" in refs["sock"].problem
    assert "outside the input root" in refs["out-link.txt"].problem
    assert not any("loop" in uri for uri in refs)
    for name in ("pipe", "sock", "out-link.txt"):
        with pytest.raises(ReadError, match="not a regular file|outside the input root"):
            read_file(refs[name])  # returns at once: a FIFO opened for reading would block forever
    followed = {r.uri.rsplit("/", 1)[-1]: r for r in expand_input(str(root), follow_symlinks=True)}
    assert followed["out-link.txt"].problem is None and read_file(followed["out-link.txt"]).data == b"secret"


def test_unlistable_folder_is_a_ref_with_a_problem(tmp_path, monkeypatch):
    """Works as root too (where chmod 000 does not block reading): listing is made to fail."""
    import os

    (tmp_path / "open").mkdir()
    (tmp_path / "open" / "a.txt").write_text("a")
    (tmp_path / "locked").mkdir()
    (tmp_path / "locked" / "b.txt").write_text("b")
    real_scandir = os.scandir

    def scandir(path):
        if str(path).endswith("locked"):
            raise PermissionError(13, "Permission denied", str(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    refs = {r.uri.rsplit("/", 1)[-1]: r for r in expand_input(str(tmp_path))}
    assert refs["a.txt"].problem is None
    assert refs["locked"].problem == "cannot list folder: Permission denied"


def test_non_utf8_name_gets_a_lossless_percent_encoded_uri(tmp_path):
    import os

    name = os.path.join(os.fsencode(tmp_path), b"caf\xe9.txt")
    with open(name, "wb") as handle:
        handle.write(b"latin")
    (tmp_path / "caf%E9.txt").write_text("literal percent")  # must not collide with the above
    refs = expand_input(str(tmp_path))
    uris = sorted(r.uri for r in refs)
    assert len(set(uris)) == 2
    (encoded,) = [r for r in refs if r.uri.startswith("file://")]
    assert encoded.uri.endswith("/caf%E9.txt") and encoded.uri.encode("utf-8")
    assert read_file(encoded).data == b"latin"


def test_compression_and_tar_are_recognised_by_magic_number_not_name(tmp_path):
    import lzma
    import tarfile

    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for i in range(3):
            info = tarfile.TarInfo(f"s{i}.txt")
            info.size = 5
            tar.addfile(info, io.BytesIO(f"s{i}...".encode()[:5]))
    (tmp_path / "plain.tar.xz").write_bytes(buf.getvalue())  # a plain tar named as compressed
    (tmp_path / "packed.xz").write_bytes(lzma.compress(buf.getvalue()))  # a compressed tar named .xz
    (tmp_path / "not-really.gz").write_bytes(b"plain text")
    refs = expand_input(str(tmp_path))
    assert sorted(r.uri.split("::")[0] for r in refs if r.uri.startswith("tar://")) == [
        "tar://s0.txt", "tar://s0.txt", "tar://s1.txt", "tar://s1.txt", "tar://s2.txt", "tar://s2.txt"]
    assert sorted(read_file(r).data for r in refs if "plain.tar.xz" in r.uri) == [b"s0...", b"s1...", b"s2..."]
    (plain,) = [r for r in refs if r.uri.endswith("not-really.gz")]
    assert read_file(plain).data == b"plain text"


@pytest.mark.parametrize("compress", ["gzip", "bz2", "xz", "zstd"])
def test_truncated_stream_keeps_every_whole_jsonl_line(tmp_path, compress):
    import bz2
    import datetime as dt
    import json
    import lzma

    import zstandard

    from transforms.parse import TRUNCATED, split_file

    lines = b"".join(json.dumps({"title": f"t{i}", "text": f"{i} " + "word " * (i % 50)}).encode() + b"\n"
                     for i in range(2000))
    packed = {"gzip": gzip.compress, "bz2": lambda data: bz2.compress(data, 1),  # bzip2 blocks of 100 kB
              "xz": lzma.compress, "zstd": zstandard.ZstdCompressor().compress}[compress](lines)
    path = tmp_path / "cut.jsonl.bin"  # no telling extension: the magic number decides
    path.write_bytes(packed[: len(packed) * 2 // 3])
    raw = read_file(expand_input(str(path))[0])
    assert raw.truncated and lines.startswith(raw.data)
    records = split_file(raw, dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc))
    whole = raw.data.count(b"\n")
    assert [r.kind for r in records] == ["json"] * whole + [TRUNCATED]
    assert records[-1].index == whole


def test_blank_jsonl_lines_are_not_records():
    import datetime as dt

    from transforms.parse import split_file
    from transforms.read import RawFile

    data = b'{"text": "a"}\n\n   \n{"text": "b"}\n\n'
    records = split_file(RawFile("memory://x.jsonl", data, None, None), dt.datetime(2024, 1, 1))
    assert [(r.index, r.payload) for r in records] == [(0, b'{"text": "a"}'), (3, b'{"text": "b"}')]


def test_nul_file_is_a_dead_letter_and_nuls_never_reach_a_body():
    import datetime as dt

    from transforms.parse import parse_record, split_file
    from transforms.read import RawFile
    from transforms.text import DecodeError

    now = dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc)
    with pytest.raises(DecodeError, match="mostly NUL"):
        for record in split_file(RawFile("memory://nul.txt", b"\x00" * 4096, None, None), now):
            parse_record(record)
    text = b"The mayor\x00 opened the bridge\x07 on Monday in front of a large crowd of residents."
    (record,) = split_file(RawFile("memory://a.txt", text, None, None), now)
    assert parse_record(record).body == "The mayor opened the bridge on Monday in front of a large crowd of residents."
    (record,) = split_file(RawFile("memory://b.jsonl", b'{"text": "Body\\u0000 text here"}\n', None, None), now)
    assert parse_record(record).body == "Body text here"


def test_dead_letter_of_an_unreadable_file_describes_its_stored_bytes(tmp_path):
    import hashlib

    from transforms.deadletter import dead_letter

    path = tmp_path / "broken.txt.gz"
    data = b"\x1f\x8b\x08\x00" + bytes(range(256)) * 20
    path.write_bytes(data)
    (ref,) = expand_input(str(path))
    with pytest.raises(ReadError) as caught:
        read_file(ref)
    row = dead_letter(ref, caught.type, repr(caught.value), "read")
    assert row.raw_size == len(data) and row.raw_sha256 == hashlib.sha256(data).hexdigest()
    assert row.raw_excerpt and len(row.raw_excerpt.encode("utf-8")) <= 1024 and "\x00" not in row.raw_excerpt


def test_archive_under_a_name_that_hides_it_is_split_into_its_members():
    import datetime as dt
    import tarfile
    import zipfile

    from transforms.formats import ParseError
    from transforms.parse import parse_record, split_file
    from transforms.read import RawFile
    from transforms.text import DecodeError

    def _tar_of(files: dict) -> bytes:
        out = io.BytesIO()
        with tarfile.open(fileobj=out, mode="w") as tar:
            for name, data in files.items():
                info = tarfile.TarInfo(name)
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
        return out.getvalue()

    now = dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc)
    story = b"The council approved the new budget on Tuesday after a long debate about roads and schools."
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for name, data in (("a.txt", story), ("b.jsonl", b'{"text": "one"}\n{"text": "two"}\n'),
                           ("c.bin", bytes(range(256)) * 8)):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    records = split_file(RawFile("memory://bundle.dat", gzip.compress(buf.getvalue()), None, None), now)
    assert [r.source_uri for r in records] == [
        "tar://a.txt::memory://bundle.dat", "tar://b.jsonl::memory://bundle.dat#0",
        "tar://b.jsonl::memory://bundle.dat#1", "tar://c.bin::memory://bundle.dat"]
    assert parse_record(records[0]).body == story.decode()
    with pytest.raises(DecodeError, match="binary"):  # the bad member alone is a dead letter
        parse_record(records[3])
    broken = RawFile("memory://two.dat", _tar_of({"ok.txt": story, "empty.txt": b""}), None, None)
    ok, empty = sorted(split_file(broken, now), key=lambda r: r.source_uri, reverse=True)
    assert parse_record(ok).body == story.decode()
    with pytest.raises(ParseError, match="file is empty"):  # a member unusable as a whole
        parse_record(empty)
    zipped = io.BytesIO()
    with zipfile.ZipFile(zipped, "w") as archive:
        archive.writestr("story.txt", story)
    (record,) = split_file(RawFile("memory://export", zipped.getvalue(), None, None), now)
    assert record.source_uri == "zip://story.txt::memory://export" and parse_record(record).title is None


def test_real_dpa_sample_named_tar_xz_but_plain_tar_expands_into_its_stories(tmp_path):
    """dpa's 20170629-dpa-sample.tar.xz is an uncompressed tar (formats/SOURCE.md): rebuilt here from
    the five items extracted from it, under the same lying name."""
    import datetime as dt
    import tarfile

    from conftest import shared_data
    from transforms.parse import parse_record, split_file

    folder = shared_data("formats", "newsml-g2", "dpa-newsmlg2-testdata")
    items = sorted(folder.glob("urn*.xml"))
    archive = tmp_path / "20170629-dpa-sample.tar.xz"
    with tarfile.open(archive, "w") as tar:  # mode "w": no compression, whatever the name says
        for item in items:
            tar.add(item, arcname=f"data/{item.name}")
    refs = expand_input(str(archive))
    assert len(refs) == len(items) == 5 and all(r.uri.startswith("tar://data/urn") for r in refs)
    now = dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc)
    articles = [parse_record(record) for ref in refs for record in split_file(read_file(ref), now)]
    assert len(articles) == 5 and all(a.title and a.body for a in articles)
