"""The model is the one schema source: Arrow schema, coder and README are derived from it."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pytest
from apache_beam import coders
from pydantic import ValidationError

from tests.conftest import REPO
from transforms.model import (TABLES, Article, Dateline, DeadLetter, ModelCoder, Place, arrow_schema,
                              markdown_table, stable_id, to_arrow)

NOW = dt.datetime(2024, 5, 1, 12, 0, tzinfo=dt.timezone.utc)


def _article(**overrides) -> Article:
    fields = dict(id="a1", source_uri="memory://x.txt", body="Some body text.", ingested_at=NOW)
    fields.update(overrides)
    return Article(**fields)


def test_partition_columns_live_in_the_path_not_the_file():
    schema = arrow_schema(Article)
    assert "date" not in schema.names and "topic" not in schema.names
    assert "hints" not in schema.names  # parser hints are carried, never written
    assert {"date", "topic"} <= set(arrow_schema(Article, with_partitions=True).names)


def test_arrow_types_follow_the_design_contract():
    schema = arrow_schema(Article)
    assert schema.field("published_at").type == pa.timestamp("us", tz="UTC")
    assert schema.field("language_score").type == pa.float32()
    assert schema.field("word_count").type == pa.int32()
    assert schema.field("authors").type == pa.list_(pa.string())
    assert pa.types.is_struct(schema.field("dateline").type)
    assert schema.field("title").nullable and not schema.field("body").nullable
    place = schema.field("places").type.value_type
    assert [f.name for f in place] == ["name", "country_code", "kind", "count", "geonames_id"]
    assert arrow_schema(TABLES["duplicates"]).field("similarity").type == pa.float32()


def test_times_are_normalised_to_utc():
    article = _article(published_at="2024-05-01T14:30:00+02:00")
    assert article.published_at == dt.datetime(2024, 5, 1, 12, 30, tzinfo=dt.timezone.utc)
    naive = _article(published_at=dt.datetime(2024, 5, 1, 9, 0))
    assert naive.published_at.tzinfo == dt.timezone.utc


def test_blank_body_and_unknown_stage_are_rejected():
    with pytest.raises(ValidationError):
        _article(body="   \n ")
    with pytest.raises(ValidationError):
        DeadLetter(source_uri="x", stage="somewhere", error_type="E", message="m", ingested_at=NOW)


def test_coder_round_trips_nested_models_and_is_registered():
    article = _article(dateline=Dateline(text="LONDON, March 3 (Reuters) -", city="London", country_code="GB"),
                       places=[Place(name="China", country_code="CN", kind="country", count=3)],
                       authors=["A. Writer"], hints={"language": "en"}, published_at=NOW)
    coder = coders.registry.get_coder(Article)
    assert isinstance(coder, ModelCoder)
    decoded = coder.decode(coder.encode(article))
    assert decoded == article
    assert decoded.dateline.city == "London" and decoded.places[0].count == 3
    assert coder.is_deterministic()


def test_to_arrow_writes_rows_in_schema_order():
    table = to_arrow([_article(), _article(id="a2", title="T")], Article)
    assert table.schema.equals(arrow_schema(Article), check_metadata=False)
    assert table.column("id").to_pylist() == ["a1", "a2"]


def test_stable_id_is_a_pure_function_of_its_key():
    assert stable_id("https://a.example/x") == stable_id("https://a.example/x")
    assert stable_id("https://a.example/x") != stable_id("https://a.example/y")
    assert len(stable_id("k")) == 16


@pytest.mark.parametrize("table", sorted(TABLES))
def test_readme_schema_tables_are_generated_from_the_model(table):
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert markdown_table(TABLES[table]) in readme, (
        f"README's {table} table is out of date: regenerate with `python -m pipeline.docs`")
