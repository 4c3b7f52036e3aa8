"""End-to-end runs of the CLI: the seed, accounting on bad input, idempotency, read-back."""

from __future__ import annotations

import bz2
import gzip
import io
import json
import lzma
import shutil

import duckdb
import pyarrow.parquet as pq
import pytest
import zstandard

from tests.conftest import SEED_ARTICLE, SEEDS, read_table
from transforms.model import STAGES, Article, DeadLetter, Duplicate, arrow_schema

TRAILER_HEADLINES = [
    "Gold jumps to record above $2,460 an ounce on hopes Fed will soon cut rates",
    "Primary stays busy with NYC TFA, Cal Regents pricing",
    "How on-time rent payments can help",
    "States are on a budget cutting trend, Pew Trusts report",
    "Rentvesting",
]


def _rows(output, table):
    data = read_table(output, table)
    return [] if data is None else data.to_pylist()


def test_seed_article_is_clean_and_attributed(tmp_path, run_newsbeam):
    src = tmp_path / "in"
    src.mkdir()
    shutil.copy(SEED_ARTICLE, src / SEED_ARTICLE.name)
    code, manifest = run_newsbeam(src, tmp_path / "out")
    assert code == 0
    (article,) = _rows(tmp_path / "out", "articles")
    body = article["body"]
    assert body.startswith("Joe Biden has held his second call")
    assert body.endswith("he may only attend the event virtually.")
    assert "Articles You May Like" not in body
    for headline in TRAILER_HEADLINES:
        assert headline not in body
    assert "Additional reporting" not in body
    assert article["contributors"] == ["Tom Mitchell"]
    assert article["title"] is None
    assert article["language"] == "en"
    assert "\n\n" in body  # paragraphs kept
    assert article["word_count"] > 600
    assert manifest["balanced"] and manifest["counts"]["articles"] == 1


def _gzip(data: bytes) -> bytes:
    buf = io.BytesIO()
    with gzip.GzipFile(fileobj=buf, mode="wb", mtime=0) as handle:
        handle.write(data)
    return buf.getvalue()


def _article_line(i: int) -> str:
    return json.dumps({
        "url": f"https://news.example/story-{i}",
        "title": f"Story number {i}",
        "text": f"Body of story {i}. " + " ".join(f"word{i}x{j}" for j in range(40)),
        "published": "2024-03-0%dT10:00:00Z" % (1 + i % 9),
    })


@pytest.fixture
def mixed_input(tmp_path):
    """Good files and every kind of bad one; returns (folder, expected good JSONL articles)."""
    src = tmp_path / "mixed"
    src.mkdir()
    good_lines = [_article_line(i) for i in range(6)]
    mixed = [good_lines[0], "{not json", good_lines[1], "", good_lines[2], '["a list"]',
             good_lines[3], '{"title": "no body here"}', good_lines[4], good_lines[5][:40]]
    (src / "mixed.jsonl").write_text("\n".join(mixed) + "\n")
    (src / "empty.txt").write_bytes(b"")
    (src / "binary.txt").write_bytes(bytes(range(256)) * 20)
    (src / "invalid-utf8.txt").write_bytes(b"Caf\xc3\x28 \xff\xfe broken \x80\x81 bytes\n\nmore \xe9 text here")
    (src / "malformed.json").write_text('{"title": "x", "text": ')
    full = _gzip(("\n".join(_article_line(100 + i) for i in range(3000)) + "\n").encode())
    (src / "truncated.jsonl.gz").write_bytes(full[: len(full) // 2])
    (src / "bomb.txt.gz").write_bytes(_gzip(b"A" * (40 * 1024 * 1024)))
    (src / "good.txt").write_text("A clear headline about harbours\n\n" + "Ships sailed into the harbour today. " * 20)
    (src / "good.jsonl.bz2").write_bytes(bz2.compress((_article_line(200) + "\n").encode()))
    (src / "good.jsonl.xz").write_bytes(lzma.compress((_article_line(201) + "\n").encode()))
    (src / "good.jsonl.zst").write_bytes(zstandard.ZstdCompressor().compress((_article_line(202) + "\n").encode()))
    return src, {f"https://news.example/story-{i}" for i in range(5)}


def test_bad_input_is_accounted_for_and_never_fails_the_job(tmp_path, mixed_input, run_newsbeam):
    src, good_urls = mixed_input
    out = tmp_path / "out"
    code, manifest = run_newsbeam(src, out, "--max_ratio", "100")
    assert code == 0
    articles, duplicates, dead = (_rows(out, t) for t in ("articles", "duplicates", "dead_letter"))
    counts = manifest["counts"]
    # Nothing lost: every record is exactly one row somewhere, and the manifest agrees.
    assert counts["records_in"] == len(articles) + len(duplicates) + len(dead)
    assert (counts["articles"], counts["duplicates"], counts["dead_letter"]) == (
        len(articles), len(duplicates), len(dead))
    assert manifest["balanced"]
    # The mixed JSONL: every good line is an article, every bad one a dead letter with its index.
    urls = {a["url"] for a in articles}
    assert good_urls <= urls
    mixed_dead = sorted(d["record_index"] for d in dead if d["source_uri"].endswith("mixed.jsonl"))
    assert mixed_dead == [1, 5, 7, 9]  # line 3 is blank: not a record
    by_file = {d["source_uri"].rsplit("/", 1)[-1]: d for d in dead if d["record_index"] is None}
    assert by_file["empty.txt"]["message"] == "file is empty"
    assert "binary" in by_file["binary.txt"]["message"]
    # A truncated gzip keeps every whole line before the break; the break is one dead letter.
    (cut,) = [d for d in dead if d["source_uri"].endswith("truncated.jsonl.gz")]
    assert cut["stage"] == "read" and "ends early" in cut["message"]
    kept = [r for r in articles + duplicates if r["source_uri"].startswith(cut["source_uri"] + "#")]
    assert len(kept) == cut["record_index"] > 100
    assert "max_ratio" in by_file["bomb.txt.gz"]["message"]
    assert by_file["malformed.json"]["stage"] == "parse"
    for row in dead:
        assert row["stage"] in STAGES
        assert row["message"] and "\n" not in row["message"]
        assert row["raw_excerpt"] is None or len(row["raw_excerpt"].encode()) <= 1024
    # All three compressions read.
    assert {"https://news.example/story-200", "https://news.example/story-201",
            "https://news.example/story-202"} <= urls


def test_rerun_gives_identical_files_and_rows(tmp_path, run_newsbeam):
    out = tmp_path / "out"
    assert run_newsbeam(SEEDS, out)[0] == 0
    first = sorted(p.relative_to(out) for p in out.rglob("*.parquet"))
    tables = {t: _rows(out, t) for t in ("articles", "duplicates", "dead_letter")}
    assert run_newsbeam(SEEDS, out)[0] == 0
    second = sorted(p.relative_to(out) for p in out.rglob("*.parquet"))
    assert first == second and first
    for table, before in tables.items():
        after = _rows(out, table)
        strip = lambda rows: sorted(  # noqa: E731 - ingested_at is, by definition, per run
            (json.dumps({k: v for k, v in r.items() if k != "ingested_at"}, default=str, sort_keys=True)
             for r in rows))
        assert strip(before) == strip(after), table
    assert not list(out.rglob("*.tmp")), "temporary files left behind"


@pytest.mark.parametrize("table,model", [("articles", Article), ("duplicates", Duplicate),
                                         ("dead_letter", DeadLetter)])
def test_tables_read_back_with_the_design_schema(tmp_path, run_newsbeam, table, model):
    out = tmp_path / "out"
    assert run_newsbeam(SEEDS, out)[0] == 0
    expected = arrow_schema(model, with_partitions=False)
    for path in out.glob(f"{table}/**/*.parquet"):
        assert pq.read_schema(path).remove_metadata().equals(expected.remove_metadata(), check_metadata=False)
    rel = duckdb.sql(f"select * from read_parquet('{out}/{table}/**/*.parquet', hive_partitioning=true)")
    assert set(rel.columns) == set(model.model_fields) - {"hints"}
    assert len(rel.fetchall()) > 0
    data = read_table(out, table)
    assert set(data.schema.names) == set(rel.columns)


def test_article_types_match_design(tmp_path, run_newsbeam):
    out = tmp_path / "out"
    assert run_newsbeam(SEEDS, out)[0] == 0
    types = dict(duckdb.sql(
        f"select column_name, column_type from (describe select * from "
        f"read_parquet('{out}/articles/**/*.parquet', hive_partitioning=true))").fetchall())
    assert types["published_at"] == "TIMESTAMP WITH TIME ZONE"
    assert types["language_score"] == "FLOAT" and types["topic_score"] == "FLOAT"
    assert types["word_count"] == "INTEGER" and types["duplicate_count"] == "INTEGER"
    assert types["authors"] == "VARCHAR[]"
    assert types["dateline"].startswith("STRUCT(")
    assert types["places"].startswith("STRUCT(") and types["places"].endswith("[]")
    paths = [p.relative_to(out).as_posix() for p in out.glob("articles/**/*.parquet")]
    assert all(p.split("/")[1].startswith("date=") and p.split("/")[2].startswith("topic=") for p in paths)


def test_memory_filesystem_in_and_out(run_newsbeam):
    import fsspec

    fs = fsspec.filesystem("memory")
    fs.pipe("/nb-e2e/in/a.txt", SEED_ARTICLE.read_bytes())
    fs.pipe("/nb-e2e/in/feed.jsonl", (_article_line(1) + "\n" + _article_line(2) + "\n").encode())
    code, manifest = run_newsbeam("memory://nb-e2e/in/", "memory://nb-e2e/out")
    assert code == 0
    assert manifest["counts"]["articles"] == 3 and manifest["balanced"]
    data = read_table("memory://nb-e2e/out", "articles")
    assert data.num_rows == 3
    assert any(p.endswith(".parquet") for p in fs.find("/nb-e2e/out/articles"))


def test_zip_chain_and_zip_archive_inputs(tmp_path, run_newsbeam):
    import zipfile

    archive = tmp_path / "bundle.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("one.txt", SEED_ARTICLE.read_text(encoding="utf-8"))
        zf.writestr("feed/two.jsonl", _article_line(7) + "\n")
    code, manifest = run_newsbeam(f"zip://*.txt::{archive}", tmp_path / "out1")
    assert code == 0 and manifest["counts"]["articles"] == 1
    code, manifest = run_newsbeam(archive, tmp_path / "out2")
    assert code == 0 and manifest["counts"]["files_matched"] == 2 and manifest["counts"]["articles"] == 2
