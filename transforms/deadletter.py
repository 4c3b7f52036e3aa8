"""Dead letters: every element a step could not process becomes one `DeadLetter` row.

One mechanism for every stage: a step is applied with Beam's `with_exception_handling()`, and
`DeadLetters` turns each failed element with its exception into a row naming the stage, the
error and an excerpt of the raw input. Exceptions may carry a `stage` attribute to say where the
fault lies (a `ValidationError` is always `validate`); otherwise the step's own stage is used.
"""

from __future__ import annotations

import ast
import datetime as dt
import hashlib
from typing import Any, Optional

import apache_beam as beam
from apache_beam.metrics import Metrics
from pydantic import ValidationError

from transforms.model import UTC, Article, DeadLetter
from transforms.parse import RawRecord
from transforms.read import FileRef, RawFile

EXCERPT_BYTES = 1024


def _describe(element: Any) -> tuple[str, Optional[int], Optional[bytes], Optional[float], Optional[dt.datetime]]:
    """(source_uri, record_index, raw bytes, mtime, read time) of any element a step consumes."""
    if isinstance(element, Article):
        return (element.source_uri.split("#", 1)[0], _index_of(element.source_uri),
                element.body.encode("utf-8"), None, element.ingested_at)
    if isinstance(element, RawRecord):
        return element.file_uri, element.index, element.payload, element.mtime, element.read_at
    if isinstance(element, RawFile):
        return element.uri, None, element.data, element.mtime, None
    if isinstance(element, FileRef):
        return element.uri, None, None, element.mtime, None
    return str(element)[:300], None, None, None, None


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
        raw_excerpt=raw[:EXCERPT_BYTES].decode("utf-8", errors="replace") if raw else None,
        raw_size=len(raw) if raw is not None else None,
        raw_sha256=hashlib.sha256(raw).hexdigest() if raw is not None else None,
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
