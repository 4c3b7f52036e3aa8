"""Subject codes a source gives: the topic they state, with no model involved.

Wire formats carry the publisher's own classification (NewsML-G2 `subject/@qcode`, NewsML 1.x
`SubjectCode`, NITF `tobject.subject/@refnum`); the parsers keep the codes, space-separated, in
`Article.hints["subjects"]`. `provided_topic(codes)` files an item under the IPTC top level those
codes state:

- Media Topics (`medtop:20000310`, or the URI `http://cv.iptc.org/newscodes/mediatopic/…`) map to
  their top-level ancestor in the IPTC hierarchy;
- IPTC Subject Codes (`subj:15054000`, or `…/newscodes/subjectcode/…`) map through IPTC's own
  Subject Code -> Media Topic mapping; a code the mapping does not name goes through its parent
  (detail -> matter -> type; the 17 types are the 17 top levels, same numbers).

The table (`transforms/data/subject_topics.json`, IPTC Media Topics, CC BY 4.0) is built by
`scripts/build_subject_topics.py`. With several codes the top level most of them name wins (ties:
the one named first). Codes of other vocabularies (`dpasubject:`, `apsubject:`, ...) are kept in the
`subjects` column but state no topic.
"""

from __future__ import annotations

import functools
import json
import re
from collections import Counter
from importlib import resources
from typing import Optional

from transforms.topic import SLUG_BY_CODE

PROVIDED_SCORE = 1.0
_CODE = re.compile(
    r"^(?:(?P<medtop>medtop|mediatopic)|(?P<subj>subj|subjectcode)):(?P<n>\d{8})$"
    r"|^https?://cv\.iptc\.org/newscodes/(?:(?P<medtop_uri>mediatopic)|(?P<subj_uri>subjectcode))/(?P<n_uri>\d{8})/?$",
    re.IGNORECASE)


@functools.lru_cache(maxsize=1)
def _tables() -> tuple[dict[str, str], dict[str, str]]:
    data = json.loads((resources.files("transforms") / "data" / "subject_topics.json").read_text(encoding="utf-8"))
    return data["medtop"], data["subj"]


def top_level(code: str) -> Optional[str]:
    """`medtop:NN000000` of the top level an IPTC code files under, else None (not IPTC, or unknown)."""
    match = _CODE.match(code.strip())
    if not match:
        return None
    medtop, subj = _tables()
    number = match.group("n") or match.group("n_uri")
    if match.group("medtop") or match.group("medtop_uri"):
        top = medtop.get(number)
    else:
        top = None
        # Detail -> matter -> type: 15054001, 15054000, 15000000.
        for candidate in (number, number[:5] + "000", number[:2] + "000000"):
            top = subj.get(candidate)
            if top:
                break
    return f"medtop:{top}000000" if top and f"medtop:{top}000000" in SLUG_BY_CODE else None


def provided_topic(codes: list[str]) -> Optional[tuple[str, str]]:
    """(slug, medtop code) the given subject codes state, else None."""
    tops = [top for top in map(top_level, codes) if top]
    if not tops:
        return None
    counts = Counter(tops)
    code = max(tops, key=lambda t: (counts[t], -tops.index(t)))
    return SLUG_BY_CODE[code], code
