"""Dead letters: every element a step could not process becomes one `DeadLetter` row.

One mechanism for every stage: a step is applied with Beam's `with_exception_handling()`, and
`DeadLetters` turns each failed element with its exception into a row naming the stage, the
error and what is known of the raw input: its size, SHA-256 and an excerpt of at most 1 KiB
(for a file that could not be read, of its stored bytes; none for an entry that must not be
opened, such as a named pipe). Exceptions may carry a `stage` attribute to say where the
fault lies (a `ValidationError` is always `validate`); otherwise the step's own stage is used.
"""

from __future__ import annotations

import ast
import datetime as dt
import hashlib
import re
from typing import Any, NamedTuple, Optional

import apache_beam as beam
from apache_beam.metrics import Metrics
from pydantic import ValidationError

from transforms.model import UTC, Article, DeadLetter
from transforms.parse import RawRecord
from transforms.read import FileRef, RawFile, stored_digest

EXCERPT_BYTES = 1024


class _Raw(NamedTuple):
    """What a dead letter says about the raw input: its size, SHA-256 and first bytes."""

    size: int
    sha256: str
    head: bytes

    @classmethod
    def of(cls, data: bytes) -> "_Raw":
        return cls(len(data), hashlib.sha256(data).hexdigest(), data[:EXCERPT_BYTES])


def _describe(element: Any) -> tuple[str, Optional[int], Optional[_Raw], Optional[float], Optional[dt.datetime]]:
    """(source_uri, record_index, raw input, mtime, read time) of any element a step consumes."""
    if isinstance(element, Article):
        return (element.source_uri.split("#", 1)[0], _index_of(element.source_uri),
                _Raw.of(element.body.encode("utf-8")), None, element.ingested_at)
    if isinstance(element, RawRecord):
        return element.file_uri, element.index, _Raw.of(element.payload), element.mtime, element.read_at
    if isinstance(element, RawFile):
        return element.uri, None, _Raw.of(element.data), element.mtime, None
    if isinstance(element, FileRef):
        # A file that could not be read: its stored bytes, when it is a file that may be opened.
        stored = stored_digest(element, EXCERPT_BYTES)
        return element.uri, None, _Raw(*stored) if stored else None, element.mtime, None
    return str(element)[:300], None, None, None, None


_UNPRINTABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def excerpt(head: bytes, limit: int = EXCERPT_BYTES) -> str:
    """The first bytes of a raw input as text of at most `limit` UTF-8 bytes: undecodable bytes and
    control characters (NULs included) become U+FFFD."""
    text = _UNPRINTABLE.sub("\ufffd", head[:limit].decode("utf-8", errors="replace"))
    encoded = text.encode("utf-8")
    if len(encoded) <= limit:
        return text
    return encoded[:limit].decode("utf-8", errors="ignore")


def _index_of(source_uri: str) -> Optional[int]:
    _, sep, tail = source_uri.rpartition("#")
    return int(tail) if sep and tail.isdigit() else None


def _message(exc_type: type, exc_repr: str) -> str:
    """`ParseError('invalid JSON: …')` -> `invalid JSON: …` (Beam hands us the exception's repr)."""
    prefix = exc_type.__name__ + "("
    if exc_repr.startswith(prefix) and exc_repr.endswith(")"):
        inner = exc_repr[len(prefix):-1]
        try:
            value = ast.literal_eval(inner)
        except (ValueError, SyntaxError, MemoryError, RecursionError):
            return inner
        return str(value) if isinstance(value, str) else inner
    return exc_repr


def _one_line(text: str, limit: int = 1000) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def dead_letter(element: Any, exc_type: type, exc_repr: str, default_stage: str,
                now: Optional[dt.datetime] = None) -> DeadLetter:
    uri, index, raw, mtime, read_at = _describe(element)
    if issubclass(exc_type, ValidationError):
        stage = "validate"
    else:
        stage = getattr(exc_type, "stage", None) or default_stage
    ingested_at = read_at or now or dt.datetime.now(UTC)
    when = dt.datetime.fromtimestamp(mtime, UTC) if mtime is not None else ingested_at
    return DeadLetter(
        source_uri=uri,
        record_index=index,
        stage=stage,
        error_type=exc_type.__name__,
        message=_one_line(_message(exc_type, exc_repr)),
        raw_excerpt=excerpt(raw.head) if raw is not None and raw.head else None,
        raw_size=raw.size if raw is not None else None,
        raw_sha256=raw.sha256 if raw is not None else None,
        ingested_at=ingested_at,
        date=when.astimezone(UTC).date().isoformat(),
    )


class DeadLetters(beam.PTransform):
    """Failed elements `(element, (exc_type, repr, traceback))` of one step -> DeadLetter rows."""

    def __init__(self, stage: str):
        super().__init__()
        self.stage = stage

    def expand(self, failures):
        stage = self.stage
        counter = Metrics.counter("newsbeam", "dead_letters")

        def convert(failure):
            element, (exc_type, exc_repr, _traceback) = failure
            counter.inc()
            return dead_letter(element, exc_type, exc_repr, stage)

        return failures | beam.Map(convert).with_output_types(DeadLetter)
