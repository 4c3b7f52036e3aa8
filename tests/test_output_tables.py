"""The tables as readers meet them: every table readable even when empty, the README's DuckDB
snippets run as written, the BigQuery definitions match the layout, the manifest's breakdowns."""

from __future__ import annotations

import json
import re
import shutil

import duckdb
import pandas as pd
import pytest

from tests.conftest import REPO, SEED_ARTICLE, SEEDS
from transforms.model import TABLES


def test_a_run_without_dead_letters_still_reads_dead_letter_as_an_empty_table(tmp_path, run_newsbeam):
    raw, out = tmp_path / "raw", tmp_path / "out"
    raw.mkdir()
    shutil.copyfile(SEED_ARTICLE, raw / SEED_ARTICLE.name)
    code, manifest = run_newsbeam(raw, out, "--skip_enrich")
    assert code == 0 and manifest["counts"]["dead_letter"] == 0 and manifest["counts"]["duplicates"] == 0
    for table in ("dead_letter", "duplicates"):
        rel = duckdb.sql(f"select * from read_parquet('{out}/{table}/**/*.parquet', hive_partitioning=true)")
        assert rel.fetchall() == []
        assert set(rel.columns) == set(TABLES[table].model_fields) - {"hints"}
        assert pd.read_parquet(out / table).shape == (0, len(rel.columns))
    # the next run's first dead letter replaces the empty file
    (raw / "broken.json").write_bytes(b'{"title": ')
    code, manifest = run_newsbeam(raw, out, "--skip_enrich")
    assert code == 0 and manifest["counts"]["dead_letter"] == 1
    rows = duckdb.sql(f"select source_uri, stage from read_parquet('{out}/dead_letter/**/*.parquet', "
                      "hive_partitioning=true)").fetchall()
    assert rows == [(str(raw / "broken.json"), "parse")]
    assert not list((out / "dead_letter").rglob("part-empty.parquet"))
    assert list((out / "duplicates").rglob("part-empty.parquet"))


def test_manifest_keeps_the_breakdowns_files_and_counters(tmp_path, run_newsbeam):
    out = tmp_path / "out"
    code, manifest = run_newsbeam(SEEDS, out, "--skip_enrich")
    assert code == 0
    counts = manifest["counts"]
    by_stage = manifest["dead_letter_by_stage"]
    assert sum(n for errors in by_stage.values() for n in errors.values()) == counts["dead_letter"] >= 1
    assert set(by_stage) <= {"read", "parse", "validate", "filter", "enrich", "write"}
    assert sum(manifest["duplicates_by_method"].values()) == counts["duplicates"] >= 1
    assert set(manifest["duplicates_by_method"]) <= {"exact", "near"}
    written = manifest["files_written"]
    assert written and all((out / p).exists() or (REPO / p).exists() or __import__("os").path.exists(p)
                           for p in written)
    on_disk = sorted(str(p) for t in TABLES for p in (out / t).rglob("part-*.parquet")
                     if p.name != "part-empty.parquet")
    assert sorted(written) == on_disk
    assert manifest["runner"] and manifest["counters"].get("bytes_read", 0) > 0
    stored = json.loads((out / "_runs" / f"{manifest['run_id']}.json").read_text())
    assert stored["counters"] == manifest["counters"] and stored["files_written"] == written


def _readme_block(language: str, after: str) -> list[str]:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    section = text[text.index(after):]
    section = section[:section.index("\n## ", 1)]
    return re.findall(rf"```{language}\n(.*?)```", section, re.S)


def test_readme_duckdb_snippets_run_on_a_fresh_output(tmp_path, run_newsbeam):
    out = tmp_path / "out"
    assert run_newsbeam(SEEDS, out, "--skip_enrich")[0] == 0
    blocks = _readme_block("sql", "## Reading the output")
    assert blocks
    for sql in blocks:
        for statement in (s.strip() for s in sql.replace("'out/", f"'{out}/").split(";")):
            if statement and not statement.startswith("--"):
                duckdb.sql(statement).fetchall()


def test_bigquery_definitions_read_every_table_file_and_nothing_else(tmp_path, run_newsbeam):
    """The definitions' source URIs, matched as BigQuery matches them (one `*` spanning folders),
    take in every Parquet file of a table and no temporary, pending or index file."""
    import fnmatch

    from pipeline.docs import bigquery_external_tables

    out = tmp_path / "out"
    assert run_newsbeam(SEEDS, out, "--skip_enrich")[0] == 0
    (out / "articles" / "date=2024-05-01").mkdir(parents=True, exist_ok=True)
    (out / "articles" / "date=2024-05-01" / ".part-x.parquet.1234.tmp").write_bytes(b"half")
    definitions = bigquery_external_tables(str(out))
    every = [p for p in out.rglob("*") if p.is_file()]
    for table, definition in definitions.items():
        assert definition["sourceFormat"] == "PARQUET" and definition["parquetOptions"]["enableListInference"]
        assert definition["hivePartitioningOptions"]["sourceUriPrefix"] == f"{out}/{table}/"
        (pattern,) = definition["sourceUris"]
        matched = {str(p) for p in every if fnmatch.fnmatchcase(str(p), pattern)}
        expected = {str(p) for p in (out / table).rglob("*.parquet")}
        assert matched == expected and expected
        # what BigQuery would read is what DuckDB reads with Hive partitioning
        files = ", ".join(f"'{p}'" for p in sorted(matched))
        rows = duckdb.sql(f"select count(*) from read_parquet([{files}], hive_partitioning=true)").fetchall()[0][0]
        assert rows == duckdb.sql(f"select count(*) from read_parquet('{out}/{table}/**/*.parquet', "
                                  "hive_partitioning=true)").fetchall()[0][0]
