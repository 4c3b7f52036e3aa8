"""The data model: one pydantic class per output table, and everything derived from it.

`Article`, `Duplicate` and `DeadLetter` are the single source of truth for the output tables.
The Arrow schemas written to Parquet, the field descriptions stored in the Parquet metadata and
the schema tables in the README are all derived from these classes (`arrow_schema`,
`markdown_table`), so they cannot drift apart.

Partition columns (`date`, `topic` for articles, `date` for the others) live in the Hive path,
not inside the files; `PARTITION_COLUMNS` says which they are.

Elements that cross Beam steps are these models; `ModelCoder` encodes them as a compact tuple of
field values instead of Beam's pickle fallback (see BEAM-NOTES: pickled pydantic models cost
twice the bytes and three times the time).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import pickle
import types
import typing
from typing import Annotated, Any, ClassVar, Optional

import pyarrow as pa
from apache_beam import coders
from pydantic import BaseModel, ConfigDict, Field, field_validator

UTC = dt.timezone.utc


class ArrowType:
    """Annotation marker that pins a field's Arrow type (e.g. float32 instead of float64)."""

    def __init__(self, arrow_type: pa.DataType):
        self.arrow_type = arrow_type


Float32 = Annotated[float, ArrowType(pa.float32())]
Int32 = Annotated[int, ArrowType(pa.int32())]


def _utc(value: dt.datetime | None) -> dt.datetime | None:
    """Normalise a datetime to UTC at microsecond precision; naive values are taken as UTC."""
    if value is None:
        return None
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def _one_of(field: str, value: str, allowed: tuple[str, ...]) -> str:
    """`value` when it is one of `allowed`, else the validation error naming the field."""
    if value not in allowed:
        raise ValueError(f"unknown {field} {value!r}; expected one of {allowed}")
    return value


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=False, frozen=False)

    # Hive partition columns of this table: present on the model, absent inside the files.
    PARTITION_COLUMNS: ClassVar[tuple[str, ...]] = ()

    @field_validator("published_at", "ingested_at", check_fields=False)
    @classmethod
    def _as_utc(cls, value: dt.datetime | None) -> dt.datetime | None:
        return _utc(value)


class Dateline(_Record):
    text: str = Field(description="the dateline as printed")
    city: Optional[str] = Field(None, description="gazetteer English name when resolved, else as printed in title case")
    region: Optional[str] = Field(None, description="state or province as printed or resolved")
    country_code: Optional[str] = Field(None, description="ISO 3166-1 alpha-2")
    latitude: Optional[float] = Field(None, description="of the resolved city")
    longitude: Optional[float] = Field(None, description="of the resolved city")
    date_text: Optional[str] = Field(None, description="date as printed in the dateline")
    agency: Optional[str] = Field(None, description="news agency named in the dateline, e.g. Reuters, AP")


class Place(_Record):
    name: str = Field(description="place name (gazetteer English name)")
    country_code: Optional[str] = Field(None, description="ISO 3166-1 alpha-2")
    kind: str = Field(description="`city`, `region` or `country`")
    count: Int32 = Field(description="mentions in title and body")
    geonames_id: Optional[int] = Field(None, description="GeoNames id of the place (https://www.geonames.org/<id>); "
                                                         "null when the gazetteer has none (Canadian provinces)")


TEXT_KINDS = ("full", "teaser", "headline")
TOPIC_SOURCES = ("provided", "model")


class Article(_Record):
    PARTITION_COLUMNS: ClassVar[tuple[str, ...]] = ("date", "topic")

    id: str = Field(description="stable id: hash of the article's own canonical URL, else of its feed/wire "
                                "guid, else of `source_uri`")
    source_uri: str = Field(description="file URL, plus `#<record index>` for container files")
    url: Optional[str] = Field(None, description="canonical article URL when the input has one")
    site: Optional[str] = Field(None, description="publisher name or host (never a feed's channel or section title)")
    title: Optional[str] = Field(None, description="headline; null when the input has none")
    body: str = Field(description="clean article text, paragraphs separated by a blank line")
    authors: list[str] = Field(default_factory=list, description="people credited as authors")
    contributors: list[str] = Field(default_factory=list, description='e.g. "Additional reporting by X in Y"')
    published_at: Optional[dt.datetime] = Field(None, description="publication time the source states (UTC); "
                                                                  "null otherwise, never guessed")
    text_kind: str = Field("full", description="`full` (the article text), `teaser` (a feed summary or lead "
                                               "only) or `headline` (title only)")
    ingested_at: dt.datetime = Field(description="when this run read it (UTC)")
    language: Optional[str] = Field(None, description="ISO 639-1")
    language_score: Optional[Float32] = Field(None, description="detector confidence, 0..1")
    dateline: Optional[Dateline] = Field(None, description="null when the article has no dateline")
    topic: str = Field("unknown", description="IPTC Media Topic slug")
    topic_code: Optional[str] = Field(None, description="`medtop:…` code of `topic`")
    topic_score: Optional[Float32] = Field(None, description="classifier confidence, 0..1")
    topic_source: str = Field("model", description="`provided` (from the source's own subject codes) or `model`")
    subjects: list[str] = Field(default_factory=list, description="subject codes the source gives (NewsML-G2 "
                                                                 "`medtop:`/`subj:`, NITF, IPTC), as given")
    places: list[Place] = Field(default_factory=list, description="places mentioned")
    word_count: Int32 = Field(0, description="words in `body`")
    content_hash: str = Field("", description="fingerprint of the normalised body (exact-duplicate key)")
    cluster_id: str = Field("", description="id of the canonical article of its near-duplicate cluster")
    duplicate_count: Int32 = Field(0, description="copies folded into this article")
    date: str = Field("", description="UTC date of `published_at`, else file mtime, else ingestion")
    # Parser hints for later stages (language declared by the source, dateline given by a wire
    # format, ...): carried between steps, never written.
    hints: dict[str, str] = Field(default_factory=dict, exclude=True)


    @field_validator("body")
    @classmethod
    def _body_not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("article body is empty")
        return value

    @field_validator("text_kind")
    @classmethod
    def _known_text_kind(cls, value: str) -> str:
        return _one_of("text_kind", value, TEXT_KINDS)

    @field_validator("topic_source")
    @classmethod
    def _known_topic_source(cls, value: str) -> str:
        return _one_of("topic_source", value, TOPIC_SOURCES)


class Duplicate(_Record):
    PARTITION_COLUMNS: ClassVar[tuple[str, ...]] = ("date",)

    id: str = Field(description="id of the folded copy")
    canonical_id: str = Field(description="id of the article it was folded into")
    method: str = Field(description="`exact` or `near`")
    similarity: Float32 = Field(description="1.0 for exact copies, Jaccard of the word shingles for near "
                                            "ones (estimated for bodies over 4,096 shingles)")
    source_uri: str = Field(description="where the copy was read")
    url: Optional[str] = Field(None, description="the copy's URL when known")
    title: Optional[str] = Field(None, description="the copy's headline when known")
    published_at: Optional[dt.datetime] = Field(None, description="the copy's publication time")
    ingested_at: dt.datetime = Field(description="when this run read it (UTC)")
    date: str = Field("", description="partition date of the copy")



STAGES = ("read", "parse", "validate", "filter", "enrich", "write")


class DeadLetter(_Record):
    PARTITION_COLUMNS: ClassVar[tuple[str, ...]] = ("date",)

    source_uri: str = Field(description="file URL")
    record_index: Optional[int] = Field(None, description="index inside a container file; null for a whole file")
    stage: str = Field(description="`read`, `parse`, `validate`, `filter` (not an article: homepage, section, "
                                   "search or service page), `enrich` or `write`")
    error_type: str = Field(description="exception class name")
    message: str = Field(description="what went wrong, in one line")
    raw_excerpt: Optional[str] = Field(None, description="start of the raw input, at most 1 KiB")
    raw_size: Optional[int] = Field(None, description="bytes of the raw input")
    raw_sha256: Optional[str] = Field(None, description="SHA-256 of the raw input")
    ingested_at: dt.datetime = Field(description="when this run read it (UTC)")
    date: str = Field("", description="UTC date of the file's mtime, else ingestion")


    @field_validator("stage")
    @classmethod
    def _known_stage(cls, value: str) -> str:
        return _one_of("stage", value, STAGES)


TABLES: dict[str, type[_Record]] = {"articles": Article, "duplicates": Duplicate, "dead_letter": DeadLetter}


# --- Arrow schema, derived --------------------------------------------------------------------

def _unwrap_optional(annotation: Any) -> tuple[Any, bool]:
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        if len(args) == 1 and len(typing.get_args(annotation)) == 2:
            return args[0], True
    return annotation, False


def _arrow_type(annotation: Any) -> pa.DataType:
    if typing.get_origin(annotation) is Annotated:
        base, *extras = typing.get_args(annotation)
        for extra in extras:
            if isinstance(extra, ArrowType):
                return extra.arrow_type
        return _arrow_type(base)
    annotation, _ = _unwrap_optional(annotation)
    if typing.get_origin(annotation) is Annotated:
        return _arrow_type(annotation)
    if typing.get_origin(annotation) is list:
        (item,) = typing.get_args(annotation)
        return pa.list_(_arrow_type(item))
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return pa.struct([_arrow_field(name, info) for name, info in annotation.model_fields.items()
                          if not info.exclude])
    simple = {str: pa.string(), int: pa.int64(), float: pa.float64(), bool: pa.bool_(),
              dt.datetime: pa.timestamp("us", tz="UTC")}
    if annotation in simple:
        return simple[annotation]
    raise TypeError(f"no Arrow type for annotation {annotation!r}")


def _arrow_field(name: str, info: Any) -> pa.Field:
    annotation = info.annotation
    _, optional = _unwrap_optional(annotation)
    # pydantic moves a top-level Annotated[...]'s extras into `info.metadata`.
    pinned = [m.arrow_type for m in info.metadata if isinstance(m, ArrowType)]
    arrow_type = pinned[0] if pinned else _arrow_type(annotation)
    metadata = {"description": info.description} if info.description else None
    return pa.field(name, arrow_type, nullable=optional, metadata=metadata)


def arrow_schema(model: type[_Record], *, with_partitions: bool = False) -> pa.Schema:
    """The Arrow schema of a table; partition columns only when `with_partitions`."""
    fields = [
        _arrow_field(name, info)
        for name, info in model.model_fields.items()
        if not info.exclude and (with_partitions or name not in model.PARTITION_COLUMNS)
    ]
    return pa.schema(fields, metadata={"newsbeam.table": model.__name__})


def to_arrow(records: list[_Record], model: type[_Record]) -> pa.Table:
    """Rows of one table as an Arrow table without its partition columns."""
    schema = arrow_schema(model)
    rows = [r.model_dump(exclude=set(model.PARTITION_COLUMNS)) for r in records]
    return pa.Table.from_pylist(rows, schema=schema)


def _type_name(t: pa.DataType) -> str:
    if pa.types.is_list(t):
        return f"list<{_type_name(t.value_type)}>"
    if pa.types.is_struct(t):
        return "struct<" + ", ".join(f.name for f in t) + ">"
    if t == pa.float32():
        return "float32"
    if pa.types.is_timestamp(t):
        return f"timestamp[{t.unit}, {t.tz}]"
    return str(t)


def markdown_table(model: type[_Record]) -> str:
    """The README schema table of a table, generated from its model."""
    lines = ["| column | type | meaning |", "|---|---|---|"]
    for field in arrow_schema(model, with_partitions=True):
        kind = _type_name(field.type) + ("?" if field.nullable else "")
        where = " *(partition)*" if field.name in model.PARTITION_COLUMNS else ""
        meaning = (field.metadata or {}).get(b"description", b"").decode()
        lines.append(f"| `{field.name}` | {kind} | {meaning}{where} |")
    return "\n".join(lines)


# --- Ids and hashes ----------------------------------------------------------------------------

def stable_id(key: str) -> str:
    """A 16-hex-digit id from a canonical URL or a source URI."""
    return hashlib.blake2b(key.encode("utf-8"), digest_size=8).hexdigest()


# --- Beam coder --------------------------------------------------------------------------------

def _to_tuple(record: BaseModel) -> tuple:
    values = []
    for name in type(record).model_fields:
        value = getattr(record, name)
        if isinstance(value, BaseModel):
            value = (type(value).__name__, _to_tuple(value))
        elif isinstance(value, list) and value and isinstance(value[0], BaseModel):
            value = [(type(v).__name__, _to_tuple(v)) for v in value]
        values.append(value)
    return tuple(values)


_NESTED = {"Dateline": Dateline, "Place": Place}


def _from_tuple(model: type[BaseModel], values: tuple) -> BaseModel:
    data = {}
    for name, value in zip(model.model_fields, values):
        if isinstance(value, tuple) and len(value) == 2 and value[0] in _NESTED:
            value = _from_tuple(_NESTED[value[0]], value[1])
        elif isinstance(value, list) and value and isinstance(value[0], tuple) and value[0][0] in _NESTED:
            value = [_from_tuple(_NESTED[v[0]], v[1]) for v in value]
        data[name] = value
    # Values were validated when the record was built; skip validation on the way back.
    return model.model_construct(**data)


class ModelCoder(coders.Coder):
    """Encodes a model as a pickled tuple of its field values: compact, fast, deterministic."""

    def __init__(self, model: type[_Record]):
        self._model = model

    def encode(self, value: _Record) -> bytes:
        return pickle.dumps(_to_tuple(value), protocol=pickle.HIGHEST_PROTOCOL)

    def decode(self, encoded: bytes) -> _Record:
        return _from_tuple(self._model, pickle.loads(encoded))

    def is_deterministic(self) -> bool:
        return True

    def __eq__(self, other: object) -> bool:
        return type(self) is type(other) and self._model is other._model  # type: ignore[attr-defined]

    def __hash__(self) -> int:
        return hash((type(self), self._model))


    @classmethod
    def from_type_hint(cls, typehint: Any, registry: Any) -> "ModelCoder":
        return cls(typehint)


for _model in (Article, Duplicate, DeadLetter):
    coders.registry.register_coder(_model, ModelCoder)
