"""Plain-text helpers shared by the stages: dates, whitespace, paragraphs, fingerprints.

(Decoding bytes lives in `transforms.formats.charset`; it raises `DecodeError`, defined here so
that every stage can name it without importing the formats.)
"""

from __future__ import annotations

import datetime as dt
import email.utils
import hashlib
import re
import unicodedata
from typing import Any, Optional

UTC = dt.timezone.utc


class DecodeError(ValueError):
    """Bytes that are not text in any encoding we can trust."""

    stage = "parse"


_TRAILING_BLANKS = re.compile(r"[ \t\f\v]+\n")
_BLANK_RUN = re.compile(r"\n{3,}")
_LINE_BREAK = re.compile(r"\s*\n\s*")


def normalise_whitespace(text: str) -> str:
    """Unix newlines, no trailing spaces, no runs of more than one blank line."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\u00a0", " ")
    # each substitution only where it can apply: most texts have neither (a scan for a pair of
    # characters costs a fraction of the regular expression's)
    if " \n" in text or "\t\n" in text or "\f\n" in text or "\v\n" in text:
        text = _TRAILING_BLANKS.sub("\n", text)
    if "\n\n\n" in text:
        text = _BLANK_RUN.sub("\n\n", text)
    return text.strip()


def paragraphs(text: str) -> list[str]:
    """Paragraphs of a text: blank-line separated, or one per line when there are no blank lines."""
    text = normalise_whitespace(text)
    if not text:
        return []
    blocks = [b for b in re.split(r"\n\s*\n", text)]
    if len(blocks) == 1 and text.count("\n") >= 2:
        blocks = text.split("\n")
    return [(_LINE_BREAK.sub(" ", b) if "\n" in b else b).strip() for b in blocks if b.strip()]


_WORD = re.compile(r"\w+", re.UNICODE)


def count_words(text: str) -> int:
    return len(_WORD.findall(text))


def content_fingerprint(body: str) -> str:
    """Exact-duplicate key: case, punctuation, whitespace and Unicode forms do not matter."""
    norm = unicodedata.normalize("NFKC", body).casefold()
    return _fingerprint(_WORD.findall(norm))


def _fingerprint(words: list[str]) -> str:
    return hashlib.blake2b(" ".join(words).encode("utf-8"), digest_size=16).hexdigest()


def fingerprint_and_count(body: str) -> tuple[str, int]:
    """(`content_fingerprint(body)`, `count_words(body)`), reading an ASCII body's words once: NFKC
    is the identity on ASCII, and lower case neither makes nor breaks an ASCII word."""
    if not body.isascii():
        return content_fingerprint(body), count_words(body)
    words = _WORD.findall(body.lower())
    return _fingerprint(words), len(words)


# --- dates -------------------------------------------------------------------------------------

_EPOCH_MIN, _EPOCH_MAX = 0, 4102444800  # 1970 .. 2100


def parse_datetime(value: Any) -> Optional[dt.datetime]:
    """A publication time from what feeds put there; None when it is not a plausible date.

    Accepts ISO 8601 (with or without zone, `Z`), RFC 2822 (`Tue, 02 Jan 2024 10:00:00 GMT`),
    epoch seconds or milliseconds; naive times are taken as UTC.
    """
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, dt.datetime):
        parsed = value
    elif isinstance(value, dt.date):
        parsed = dt.datetime(value.year, value.month, value.day)
    elif isinstance(value, (int, float)):
        seconds = float(value)
        if seconds > _EPOCH_MAX * 100:  # milliseconds
            seconds /= 1000.0
        if not _EPOCH_MIN < seconds < _EPOCH_MAX:
            return None
        return dt.datetime.fromtimestamp(seconds, UTC)
    elif isinstance(value, str):
        text = value.strip()
        if not text:
            return None
        if re.fullmatch(r"\d{10}(\d{3})?", text):
            return parse_datetime(int(text))
        parsed = None
        try:
            parsed = dt.datetime.fromisoformat(text.replace("Z", "+00:00").replace(" UTC", "+00:00"))
        except ValueError:
            try:
                parsed = email.utils.parsedate_to_datetime(text)
            except (TypeError, ValueError, IndexError):
                parsed = None
        if parsed is None:
            return None
    else:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    parsed = parsed.astimezone(UTC)
    if not 1900 <= parsed.year <= 2100:
        return None
    return parsed
