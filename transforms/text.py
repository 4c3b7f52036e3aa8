"""Plain-text helpers shared by the stages: decoding bytes, dates, whitespace, hashing.

Decoding honours a BOM, then tries strict UTF-8, then lets charset-normalizer detect the
encoding; bytes that look like binary data or cannot be decoded raise `DecodeError` instead of
producing mojibake.
"""

from __future__ import annotations

import codecs
import datetime as dt
import email.utils
import hashlib
import re
import unicodedata
from typing import Any, Optional

import charset_normalizer

UTC = dt.timezone.utc

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)


class DecodeError(ValueError):
    """Bytes that are not text in any encoding we can trust."""

    stage = "parse"


def _looks_binary(data: bytes) -> bool:
    sample = data[:8192]
    if not sample:
        return False
    if b"\x00" in sample:
        return True
    controls = sum(1 for b in sample if b < 32 and b not in (9, 10, 12, 13, 27))
    return controls / len(sample) > 0.05


def decode_bytes(data: bytes, declared: Optional[str] = None) -> tuple[str, str]:
    """Bytes -> (text, encoding). BOM first, then a declared charset, then UTF-8, then detection."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return data[len(bom):].decode(encoding), encoding
            except UnicodeDecodeError as exc:
                raise DecodeError(f"bytes after a {encoding} BOM do not decode: {exc}") from exc
    if declared:
        try:
            return data.decode(declared), codecs.lookup(declared).name
        except (LookupError, UnicodeDecodeError):
            pass
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    if _looks_binary(data):
        raise DecodeError("content looks binary (NUL or control bytes), not text")
    best = charset_normalizer.from_bytes(data).best()
    if best is None:
        raise DecodeError("no text encoding fits these bytes")
    if best.encoding.replace("-", "_").startswith(_MULTIBYTE) and _high_byte_ratio(data) < 0.10:
        # Text that is nearly all ASCII with a few high bytes (a £ or an é) is a single-byte
        # Western encoding; CJK multi-byte text has high bytes in most characters. The detector
        # otherwise reads BBC's Latin-1 "£15.8m" as Shift-JIS "｣15.8m".
        try:
            return data.decode("cp1252"), "cp1252"
        except UnicodeDecodeError:
            return data.decode("latin-1"), "latin-1"
    return str(best), best.encoding


_MULTIBYTE = ("cp932", "shift_jis", "euc_jp", "euc_jis", "iso2022", "gb2312", "gbk", "gb18030", "hz",
              "big5", "cp950", "euc_kr", "cp949", "johab", "utf_16", "utf_32")


def _high_byte_ratio(data: bytes) -> float:
    sample = data[:65536]
    return sum(b >= 0x80 for b in sample) / max(len(sample), 1)


def normalise_whitespace(text: str) -> str:
    """Unix newlines, no trailing spaces, no runs of more than one blank line."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\u00a0", " ")
    text = re.sub(r"[ \t\f\v]+\n", "\n", text)
    text = re.sub(r"\n{3,}", "\n\n", text)
    return text.strip()


def paragraphs(text: str) -> list[str]:
    """Paragraphs of a text: blank-line separated, or one per line when there are no blank lines."""
    text = normalise_whitespace(text)
    if not text:
        return []
    blocks = [b for b in re.split(r"\n\s*\n", text)]
    if len(blocks) == 1 and text.count("\n") >= 2:
        blocks = text.split("\n")
    return [re.sub(r"\s*\n\s*", " ", b).strip() for b in blocks if b.strip()]


_WORD = re.compile(r"\w+", re.UNICODE)


def count_words(text: str) -> int:
    return len(_WORD.findall(text))


def content_fingerprint(body: str) -> str:
    """Exact-duplicate key: case, punctuation, whitespace and Unicode forms do not matter."""
    norm = unicodedata.normalize("NFKC", body).casefold()
    norm = " ".join(_WORD.findall(norm))
    return hashlib.blake2b(norm.encode("utf-8"), digest_size=16).hexdigest()


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
