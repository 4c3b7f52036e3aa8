"""Build `transforms/data/subject_topics.json`: IPTC codes -> the top-level Media Topic they file under.

Source: IPTC Media Topics (NewsCodes `mediatopic`, release 2025-10-09), "IPTC Media Topics, (c) IPTC -
https://iptc.org, CC BY 4.0", read from `../shared/data/iptc-mediatopic/mediatopic.raw.json`
(an unmodified IPTC CV-server export; see that folder's SOURCE.md).

Two tables, each code -> two-digit top level ("04" for medtop:04000000):

- `medtop`: every Media Topic concept (retired ones too: old items still carry them) -> its
  top-level ancestor, following `broader` links.
- `subj`: IPTC Subject Codes (the NewsCodes vocabulary Media Topics replaced, `subj:NNNNNNNN`) ->
  the top level of the Media Topic IPTC maps it to. IPTC publishes the mapping on the Media Topic
  concepts (`exactMatch`, `closeMatch`, `broadMatch` links to `subjectcode/NNNNNNNN`). A subject
  code takes its `exactMatch` target (an active concept before a retired one), else its
  `closeMatch`, else its `broadMatch` when all of them share one top level. Subject codes the
  mapping does not name are resolved at run time through their parent (`15054001` -> `15054000`
  -> `15000000`); the 17 top-level subject codes map to the Media Topic of the same number
  (IPTC's own exactMatch links, checked here). The exceptions -- subject codes filed under another
  top level than their own number, e.g. subj:04016004 (economy: "fraud") -> crime, subj:14008000
  (social issues: "family planning") -> health -- are listed by the build.

Run: `python scripts/build_subject_topics.py [path/to/mediatopic.raw.json]`.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT / ".." / "shared" / "data" / "iptc-mediatopic" / "mediatopic.raw.json"
OUT = ROOT / "transforms" / "data" / "subject_topics.json"
SUBJECT_URI = "http://cv.iptc.org/newscodes/subjectcode/"


def top_levels(concepts: dict[str, dict]) -> dict[str, str]:
    """Media Topic code (8 digits) -> two-digit top level, walking `broader` up to a top concept."""
    out = {}
    for qcode in concepts:
        node, seen = qcode, set()
        while concepts[node].get("broader"):
            seen.add(node)
            node = concepts[node]["broader"][0].rsplit("/", 1)[-1]
            node = node if node.startswith("medtop:") else f"medtop:{node}"
            if node in seen or node not in concepts:
                raise ValueError(f"{qcode}: broken broader chain at {node}")
        out[qcode.split(":", 1)[1]] = node.split(":", 1)[1][:2]
    return out


def subject_table(concepts: dict[str, dict], medtop: dict[str, str]) -> dict[str, str]:
    links: dict[str, dict[str, list[tuple[bool, str]]]] = {}
    for qcode, concept in concepts.items():
        retired = bool(concept.get("retired"))
        for kind in ("exactMatch", "closeMatch", "broadMatch"):
            for uri in concept.get(kind, []):
                if uri.startswith(SUBJECT_URI):
                    code = uri[len(SUBJECT_URI):]
                    links.setdefault(code, {}).setdefault(kind, []).append((retired, medtop[qcode.split(":", 1)[1]]))
    out = {}
    for code, kinds in sorted(links.items()):
        if "exactMatch" in kinds:
            out[code] = sorted(kinds["exactMatch"])[0][1]  # active (False) sorts first
        elif "closeMatch" in kinds:
            out[code] = sorted(kinds["closeMatch"])[0][1]
        elif len({top for _, top in kinds["broadMatch"]}) == 1:
            out[code] = kinds["broadMatch"][0][1]
    for n in range(1, 18):
        top = f"{n:02d}"
        if out.get(f"{top}000000") != top:
            raise ValueError(f"subject code {top}000000 does not map to medtop:{top}000000")
    return out


def main(argv: list[str]) -> None:
    source = Path(argv[0]) if argv else SOURCE
    raw = json.loads(source.read_text(encoding="utf-8"))
    concepts = {c["qcode"]: c for c in raw["conceptSet"]}
    medtop = top_levels(concepts)
    subj = subject_table(concepts, medtop)
    exceptions = {code: top for code, top in subj.items() if code[:2] != top}
    OUT.write_text(json.dumps({
        "source": f"IPTC Media Topics release {raw.get('dateReleased', '?')}, (c) IPTC - https://iptc.org, CC BY 4.0",
        "medtop": medtop, "subj": subj,
    }, separators=(",", ":"), sort_keys=True) + "\n", encoding="utf-8")
    print(f"{OUT}: {len(medtop)} Media Topics, {len(subj)} subject codes mapped "
          f"({len(exceptions)} to another top level than their own number), {OUT.stat().st_size:,} bytes")
    for code, top in sorted(exceptions.items()):
        print(f"  subj:{code} -> medtop:{top}000000")


if __name__ == "__main__":
    main(sys.argv[1:])
