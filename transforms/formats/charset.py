"""Charset: bytes of any text format -> text, without mojibake and without crashing.

Order of evidence, strongest first:

1. a BOM (UTF-8, UTF-16, UTF-32);
2. bytes that are valid UTF-8 are UTF-8, whatever a label says (wire files that declare
   `iso-8859-1` but hold UTF-8 exist; decoding them as declared is mojibake);
3. UTF-16 without a BOM, recognised by the NUL byte in every other position of ASCII text;
4. the charset the document or its transport declares (Latin-1 read as its superset cp1252,
   GB2312/GBK as GB18030, as browsers do);
5. Western European text (cp1252): accepted when it decodes and reads like Western text, i.e.
   its non-ASCII characters are scattered letters and typographic signs inside ASCII words
   (`£`, `é`, `ção`), not the long runs that CJK or Cyrillic bytes become when misread;
6. charset-normalizer's detection (GB18030, Big5, Shift-JIS, cp1251, cp1250, …).

Text that was already mojibake when the file was written (a crawler that decoded UTF-8 as cp1252
and saved the result as UTF-8: "piÃ©gÃ©e", "KÃ¶ln", "â€™") is repaired field by field by
`repair_mojibake` (ftfy's `fix_encoding`, Apache-2.0), called only where such sequences occur.

Whatever the encoding, NUL and other control characters never leave this module: a text that is
mostly made of them (a file of NUL bytes, a binary blob that happens to be valid UTF-8) raises
`DecodeError`; a few of them inside real text are removed.

charset-normalizer alone gets (5) wrong on short texts with one or two non-ASCII bytes: it
reads the BBC's Latin-1 `£` as a Japanese half-width katakana (cp932) and Portuguese Latin-1
as Baltic cp1257. Bytes that look binary or fit no encoding raise `DecodeError`.
"""

from __future__ import annotations

import codecs
import re
from typing import Optional

import charset_normalizer

from transforms.text import DecodeError

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
# Labels read as a wider encoding (WHATWG Encoding Standard).
SUPERSETS = {"latin_1": "cp1252", "iso8859-1": "cp1252", "ascii": "cp1252", "iso8859-9": "cp1254",
             "gb2312": "gb18030", "gbk": "gb18030", "euc_kr": "cp949", "tis-620": "cp874",
             "iso8859-11": "cp874"}
# Non-ASCII characters that Western European prose is made of.
# Non-ASCII characters that Western European prose is made of: Latin-1 letters and the usual
# typographic signs. Left out on purpose: the signs Central European bytes turn into when read as
# cp1252 (`³` for ł, `¹` for ą, `Ÿ` for ź, `¥`, `¦`, `¤`, …), so Polish is not taken for Western.
_WESTERN = re.compile("[\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u00ff\u00a0\u00a1\u00a3\u00a7\u00a9"
                      "\u00ab\u00ae\u00b0\u00b1\u00b2\u00b4\u00b7\u00ba\u00aa\u00bb\u00bc-\u00bf"
                      "\u0152\u0153\u0160\u0161\u2013\u2014\u2018-\u201e\u2022\u2026\u20ac\u2122]")
_NON_ASCII_RUN = re.compile(r"[^\x00-\x7f]{4,}")


def codec_name(label: Optional[str]) -> Optional[str]:
    """A Python codec for a charset label, widened to its superset; None when unknown."""
    if not label:
        return None
    try:
        name = codecs.lookup(label.strip().strip("'\"").lower()).name
    except LookupError:
        return None
    return SUPERSETS.get(name, name)


def _looks_binary(data: bytes) -> bool:
    sample = data[:8192]
    if b"\x00" in sample:
        return True
    controls = sum(1 for b in sample if b < 32 and b not in (9, 10, 12, 13, 27))
    return bool(sample) and controls / len(sample) > 0.05


def _utf16_without_bom(data: bytes) -> Optional[str]:
    sample = data[:4096]
    if len(sample) < 8 or len(sample) % 2:
        return None
    even_nuls = sample[0::2].count(0) / (len(sample) / 2)
    odd_nuls = sample[1::2].count(0) / (len(sample) / 2)
    if odd_nuls > 0.3 and even_nuls < 0.05:
        return "utf-16-le"
    if even_nuls > 0.3 and odd_nuls < 0.05:
        return "utf-16-be"
    return None


def reads_as_western(text: str) -> bool:
    """Whether decoded text looks like Western European prose rather than misread bytes."""
    non_ascii = [c for c in text if ord(c) > 127]
    if not non_ascii:
        return True
    if any("\x80" <= c <= "\x9f" for c in non_ascii):
        return False
    if sum(1 for c in non_ascii if _WESTERN.match(c)) < 0.95 * len(non_ascii):
        return False
    letters = sum(1 for c in text if c.isalpha())
    runs = len(_NON_ASCII_RUN.findall(text))
    return len(non_ascii) <= 0.25 * max(letters, 1) and runs <= max(1, len(non_ascii) // 50)


# C0 controls except tab, line feed, vertical tab, form feed and carriage return; DEL; C1 controls.
_CONTROLS = re.compile("[\x00-\x08\x0e-\x1f\x7f\x80-\x9f]")
MAX_CONTROL_SHARE = 0.25  # of the visible characters: above it, the record is not text


# What UTF-8 bytes become when read as cp1252/Latin-1: a lead byte (Â Ã Ä Å Î Ï Ð Ñ Ø, or â for
# three-byte characters such as ’ and €) followed by a continuation byte's character.
_MOJIBAKE = re.compile("[\u00c2-\u00c5\u00ce\u00cf\u00d0\u00d1\u00d8][\u0080-\u00bf\u0152\u0153\u0160\u0161"
                       "\u0178\u017d\u017e\u0192\u02c6\u02dc\u2013\u2014\u2018-\u201e\u2020-\u2022\u2026"
                       "\u2030\u2039\u203a\u20ac\u2122]|\u00e2\u20ac")


def repair_mojibake(text: str) -> str:
    """`text` with double-encoded UTF-8 undone ("piÃ©gÃ©e" -> "piégée"); unchanged when it holds
    no such sequence or when ftfy finds the repair no better (real "SÃO PAULO" stays)."""
    if text.isascii() or not _MOJIBAKE.search(text):
        return text
    import ftfy  # only for the few texts that need it

    return ftfy.fix_encoding(text)


def without_controls(text: str) -> str:
    """`text` with NUL and other control characters removed; `DecodeError` when they are most
    of it (more than MAX_CONTROL_SHARE of the characters that are not white space)."""
    controls = len(_CONTROLS.findall(text))
    if not controls:
        return text
    visible = len(text) - sum(1 for c in text if c.isspace())
    if controls > MAX_CONTROL_SHARE * max(visible, 1):
        raise DecodeError(f"content is mostly NUL or control characters ({controls} of {visible}), not text")
    return _CONTROLS.sub("", text)


def decode_document(data: bytes, declared: Optional[str] = None) -> tuple[str, str]:
    """Bytes -> (text without control characters, codec name), by the order of evidence in the
    module docstring."""
    text, codec = _decode(data, declared)
    return without_controls(text), codec


def _decode(data: bytes, declared: Optional[str]) -> tuple[str, str]:
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return data[len(bom):].decode(encoding), encoding
            except UnicodeDecodeError as exc:
                raise DecodeError(f"bytes after a {encoding} BOM do not decode: {exc}") from exc
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    utf16 = _utf16_without_bom(data)
    if utf16:
        try:
            return data.decode(utf16), utf16
        except UnicodeDecodeError:
            pass
    codec = codec_name(declared)
    if codec and not codec.startswith("utf"):
        try:
            return data.decode(codec), codec
        except UnicodeDecodeError:
            pass
    if _looks_binary(data):
        raise DecodeError("content looks binary (NUL or control bytes), not text")
    try:
        western = data.decode("cp1252")
    except UnicodeDecodeError:
        western = None
    if western is not None and reads_as_western(western):
        return western, "cp1252"
    best = charset_normalizer.from_bytes(data).best()
    if best is None:
        if western is not None:
            return western, "cp1252"
        raise DecodeError("no text encoding fits these bytes")
    return str(best), best.encoding
