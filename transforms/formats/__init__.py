"""Formats: one module per raw input format, each a plain-Python core from bytes to article fields.

| module | reads | record kinds |
|---|---|---|
| `html` | a web page: trafilatura main text + page metadata | `html` |
| `warc` | WARC/0.17 and 1.0 crawls: HTML `response` records | `warc` |
| `feeds` | RSS 2.0, RSS 1.0 (RDF) and Atom: one record per item | `feed` |
| `nitf` | NITF 2.x/3.x, standalone or inside a NewsML wrapper | `nitf` |
| `newsml` | NewsML-G2 (`newsItem`, `newsMessage`) and NewsML 1.x | `newsml-g2`, `newsml-1` |
| `sgml` | Reuters-21578 style SGML: one record per `<REUTERS>` story | `reuters-sgml` |
| `wire` | ANPA 1312 and IPTC 7901 wire text (SOH/STX/ETX framed): one record per message | `wire` |
| `markup` | what they share: charset decoding, safe XML, markup -> paragraphs | |
| `ids` | what they share: an item's identity (own URL, scoped guid key, publisher host) | |

Every parser returns a dict of article fields (`title, body, url, site, authors, published_at,
hints`, and where the format has them `guid`, the key the id is hashed from when there is no own
URL, and `text_kind`) and raises `ParseError` (stage `parse`) when a record is not what its format says;
`transforms.parse` dispatches on the record kind and validates the fields into an `Article`.
"""


class ParseError(ValueError):
    """A record is not what its format says; dead letter at stage `parse`."""

    stage = "parse"
