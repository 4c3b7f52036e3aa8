"""Syndication benchmark: real wire and web stories, their syndicated copies, and hard negatives.

`build(out_dir, ...)` writes one raw `.txt` file per article under `bench/corpus/` (git-ignored)
plus `labels.json` (file name -> story id). Ground truth is by construction: every copy carries
the story id of the original it was made from; originals are distinct stories.

Originals come from `../shared/data`:
- Reuters-21578 (title, dateline, body), including every group of stories that share a title
  (formulaic money-market, money-supply, trade-figure reports: same subject, same wording,
  different numbers and days) -- the hard negatives;
- BBC News 2004-05 (title, body).
Originals that are themselves copies of one another (the corpora hold exact and near
duplicates: re-sent wire stories, BBC same-story pairs) are kept once, so that the labels do not
call two copies of the same text different stories. An original is dropped as a copy when its
3-shingles are contained at >= 60% in an earlier original's (checked exactly, with candidates from
a broad, low-threshold MinHash index that is independent of the detector's settings).

A copy applies a random subset of what syndication does:
- a different headline (reworded, prefixed "UPDATE 1-", shortened, or a sentence of the body);
- site furniture around the body (share lines, "Advertisement", a "Read more" teaser, a trailing
  "Articles You May Like" list, "Additional reporting by ..." credit lines);
- a dateline added ("LONDON (Reuters) - ") or dropped;
- the last paragraphs trimmed (up to ~40% of the words);
- a few typos fixed or introduced, quotes and dashes normalised, lines re-wrapped.
"""

from __future__ import annotations

import glob
import html
import json
import os
import random
import re
from dataclasses import dataclass, field
from pathlib import Path

DATA = Path(os.environ.get("NEWSBEAM_DATA", Path(__file__).resolve().parents[2] / "shared" / "data"))
CORPUS = Path(__file__).resolve().parent / "corpus"


@dataclass
class Story:
    key: str
    title: str | None
    dateline: str | None
    paragraphs: list[str]
    source: str
    extra: dict = field(default_factory=dict)

    @property
    def words(self) -> int:
        return sum(len(p.split()) for p in self.paragraphs)


# --- reading the corpora --------------------------------------------------------------------

_REUTERS = re.compile(r"<REUTERS[^>]*NEWID=\"(\d+)\"[^>]*>(.*?)</REUTERS>", re.S)


def _sgml_text(value: str) -> str:
    value = re.sub(r"&#\d+;", " ", value)
    return html.unescape(value)


def reuters_stories(data: Path = DATA, min_words: int = 40) -> list[Story]:
    stories = []
    for path in sorted(glob.glob(str(data / "reuters21578" / "reut2-*.sgm"))):
        text = Path(path).read_bytes().decode("latin-1")
        for newid, doc in _REUTERS.findall(text):
            title = re.search(r"<TITLE>(.*?)</TITLE>", doc, re.S)
            body = re.search(r"<BODY>(.*?)</BODY>", doc, re.S)
            if not title or not body:
                continue
            dateline = re.search(r"<DATELINE>(.*?)</DATELINE>", doc, re.S)
            raw = _sgml_text(body.group(1))
            raw = re.sub(r"\s*\bReut(?:er|ers)?\s*$", "", raw.strip(), flags=re.I)
            paras = [" ".join(p.split()) for p in re.split(r"\n\s{2,}", raw)]
            paras = [p for p in paras if p]
            story = Story(f"reuters-{newid}", " ".join(_sgml_text(title.group(1)).split()),
                          " ".join(_sgml_text(dateline.group(1)).split()).rstrip(" -") if dateline else None,
                          paras, "reuters")
            if story.words >= min_words:
                stories.append(story)
    return stories


def bbc_stories(data: Path = DATA) -> list[Story]:
    stories = []
    for path in sorted(glob.glob(str(data / "bbc" / "*" / "*.txt"))):
        text = Path(path).read_bytes().decode("utf-8", errors="replace").replace("\r\n", "\n")
        lines = text.strip().split("\n")
        paras = [p.strip() for p in "\n".join(lines[1:]).split("\n\n") if p.strip()]
        rel = os.path.relpath(path, data / "bbc")
        stories.append(Story(f"bbc-{rel[:-4].replace('/', '-')}", lines[0].strip(), None, paras, "bbc"))
    return stories


# --- keeping originals distinct -------------------------------------------------------------

def _shingles3(story: Story) -> set[int]:
    words = re.findall(r"\w+", " ".join(story.paragraphs).casefold())
    return {hash(tuple(words[i:i + 3])) for i in range(max(1, len(words) - 2))}


def distinct_originals(stories: list[Story], containment: float = 0.6) -> tuple[list[Story], list[tuple[str, str]]]:
    """Stories minus those whose text is (mostly) another story's; returns (kept, dropped pairs)."""
    import itertools

    from transforms.minhash import MinHasher, MinHashParams

    broad = MinHasher(MinHashParams(shingle_size=3, bands=64, rows=2, threshold=0.1, seed=99))
    sets = {s.key: _shingles3(s) for s in stories}
    buckets: dict[int, list[str]] = {}
    for s in stories:
        for key in broad.band_keys(broad.signature(" ".join(s.paragraphs))):
            buckets.setdefault(key, []).append(s.key)
    # Every pair of every bucket (not the detector's star), so no copy escapes the check.
    candidates = {tuple(sorted(pair)) for members in buckets.values() if 1 < len(members) <= 300
                  for pair in itertools.combinations(members, 2)}
    order = {s.key: i for i, s in enumerate(stories)}
    dropped: dict[str, str] = {}
    for a, b in sorted(candidates, key=lambda e: sorted((order[e[0]], order[e[1]]))):
        first, second = sorted((a, b), key=order.get)
        sa, sb = sets[first], sets[second]
        inter = len(sa & sb)
        if inter / max(1, min(len(sa), len(sb))) >= containment and second not in dropped:
            dropped[second] = first
    kept = [s for s in stories if s.key not in dropped]
    return kept, sorted(dropped.items())


# --- making copies --------------------------------------------------------------------------

FURNITURE_TOP = ["Advertisement", "Share this article", "Share on Facebook", "Skip to content",
                 "Listen to this article", "Email | Print | Comments"]
FURNITURE_INLINE = ["Advertisement", "READ MORE: {teaser}", "Sign up for our free daily newsletter",
                    "Click here to follow us on Twitter", "Sponsored content"]
TRAILER_HEADINGS = ["Articles You May Like", "Related stories", "More from {site}", "Most read",
                    "You might also like", "Recommended"]
CREDITS = ["Additional reporting by {name} in {place}", "Reporting by {name}; Editing by {name2}",
           "(Additional reporting by {name})"]
NAMES = ["Tom Mitchell", "Ana Silva", "Karen Li", "David Brunnstrom", "Peter Graff", "Rosa Marx"]
PLACES = ["LONDON", "NEW YORK", "TOKYO", "FRANKFURT", "WASHINGTON", "SINGAPORE", "PARIS", "SYDNEY"]
SITES = ["the Herald", "Daily Post", "NewsNow", "Market Wire", "City Times"]
AGENCIES = ["Reuters", "AP", "AFP"]
TYPOS = {"the": "teh", "receive": "recieve", "government": "goverment", "which": "wich",
         "their": "thier", "million": "milion", "said": "siad", "percent": "pecent"}


def _headline(rng: random.Random, story: Story) -> str | None:
    title = story.title or ""
    choice = rng.randrange(5)
    if choice == 0 and title:
        return "UPDATE 1-" + title
    if choice == 1 and title:
        words = title.split()
        return " ".join(words[: max(3, len(words) - 2)]).title()
    if choice == 2:
        first = re.split(r"(?<=[.!?])\s", story.paragraphs[0])[0]
        return " ".join(first.split()[:12]).rstrip(",.;:")
    if choice == 3:
        return None
    return (title.capitalize() + " - " + rng.choice(SITES)) if title else None


def _typos(rng: random.Random, text: str, edits: int) -> str:
    words = text.split(" ")
    for _ in range(edits):
        i = rng.randrange(len(words))
        w = words[i]
        if w.lower() in TYPOS:
            words[i] = TYPOS[w.lower()]
        elif len(w) > 4 and w.isalpha():
            j = rng.randrange(1, len(w) - 2)
            words[i] = w[:j] + w[j + 1] + w[j] + w[j + 2:]
    return " ".join(words)


def _trim(rng: random.Random, paras: list[str], max_fraction: float) -> list[str]:
    total = sum(len(p.split()) for p in paras)
    budget = int(total * rng.uniform(0.1, max_fraction))
    paras = list(paras)
    while len(paras) > 1 and len(paras[-1].split()) <= budget:
        budget -= len(paras[-1].split())
        paras.pop()
    if budget > 10 and len(paras) == 1:  # one long paragraph: cut sentences instead
        sentences = re.split(r"(?<=[.!?])\s+", paras[0])
        while len(sentences) > 2 and len(sentences[-1].split()) <= budget:
            budget -= len(sentences[-1].split())
            sentences.pop()
        paras = [" ".join(sentences)]
    return paras


def make_copy(rng: random.Random, story: Story, others: list[Story], max_trim: float = 0.4) -> str:
    """Raw text of one syndicated copy of `story` (up to `max_trim` of its words trimmed)."""
    paras = list(story.paragraphs)
    if rng.random() < 0.6:
        paras = _trim(rng, paras, max_trim)
    if rng.random() < 0.5:
        i = rng.randrange(len(paras))
        paras[i] = _typos(rng, paras[i], rng.randint(1, 3))
    if rng.random() < 0.4:
        paras = [p.replace('"', "\u201c", 1).replace('"', "\u201d", 1).replace(" - ", " \u2014 ") for p in paras]
    dateline = story.dateline
    if dateline and rng.random() < 0.5:
        dateline = None
    elif not dateline and rng.random() < 0.4:
        dateline = f"{rng.choice(PLACES)} ({rng.choice(AGENCIES)})"
    if dateline:
        paras[0] = f"{dateline} - {paras[0]}"
    if len(paras) > 2 and rng.random() < 0.3:
        teaser = rng.choice(others).title or "Markets today"
        paras.insert(rng.randrange(1, len(paras)), rng.choice(FURNITURE_INLINE).format(teaser=teaser))
    lines: list[str] = []
    title = _headline(rng, story)
    if title:
        lines += [title, ""]
    if rng.random() < 0.4:
        lines += [rng.choice(FURNITURE_TOP), ""]
    for para in paras:
        if rng.random() < 0.3:  # re-wrapped at ~70 columns
            para = re.sub(r"(.{50,70}?) ", "\\1\n", para)
        lines += [para, ""]
    if rng.random() < 0.5:
        lines += [rng.choice(CREDITS).format(name=rng.choice(NAMES), name2=rng.choice(NAMES),
                                             place=rng.choice(PLACES).title()), ""]
    if rng.random() < 0.5:
        lines += [rng.choice(TRAILER_HEADINGS).format(site=rng.choice(SITES)), ""]
        lines += [o.title or "More news" for o in rng.sample(others, 4)]
    return "\n".join(lines).strip() + "\n"


def original_text(story: Story) -> str:
    paras = list(story.paragraphs)
    if story.dateline:
        paras[0] = f"{story.dateline} - {paras[0]}"
    head = [story.title, ""] if story.title else []
    return "\n".join(head + [p + "\n" for p in paras]).strip() + "\n"


def same_title_groups(stories: list[Story]) -> dict[str, list[Story]]:
    groups: dict[str, list[Story]] = {}
    for story in stories:
        if story.title:
            groups.setdefault(story.title.casefold(), []).append(story)
    return {t: g for t, g in groups.items() if len(g) > 1}


def choose_originals(rng: random.Random, originals: int, data: Path = DATA) -> tuple[list[Story], dict]:
    """Every same-title Reuters group (hard negatives, capped) plus a random sample of the rest."""
    reuters = reuters_stories(data)
    bbc = bbc_stories(data)
    pool, dropped = distinct_originals(reuters + bbc)
    groups = same_title_groups([s for s in pool if s.source == "reuters"])
    hard = [s for g in sorted(groups.values(), key=lambda g: g[0].key) for s in g[:6]]
    rng.shuffle(hard)
    hard = hard[: originals // 2]
    hard_keys = {s.key for s in hard}
    rest = [s for s in pool if s.key not in hard_keys]
    rng.shuffle(rest)
    chosen = hard + rest[: max(0, originals - len(hard))]
    chosen.sort(key=lambda s: s.key)
    stats = {"reuters": len(reuters), "bbc": len(bbc), "dropped_as_copies": len(dropped),
             "same_title_groups": len(groups), "hard_negative_originals": len(hard)}
    return chosen, stats


def build(out_dir: Path = CORPUS / "syndication", originals: int = 1200, max_copies: int = 4,
          seed: int = 4, data: Path = DATA, max_trim: float = 0.4) -> dict:
    """Write the benchmark; returns {'files': {name: story}, 'stats': {...}}. Reuses a built one."""
    out_dir = Path(out_dir)
    labels_path = out_dir / "labels.json"
    want = {"originals": originals, "max_copies": max_copies, "seed": seed, "max_trim": max_trim, "version": 2}
    if labels_path.exists():
        labels = json.loads(labels_path.read_text())
        if labels.get("params") == want:
            return labels
    rng = random.Random(seed)
    chosen, stats = choose_originals(rng, originals, data)
    out_dir.mkdir(parents=True, exist_ok=True)
    for old in out_dir.glob("*.txt"):
        old.unlink()
    files: dict[str, str] = {}
    for n, story in enumerate(chosen):
        name = f"{n:05d}-0.txt"
        (out_dir / name).write_text(original_text(story), encoding="utf-8")
        files[name] = story.key
        for c in range(rng.randint(0, max_copies)):
            name = f"{n:05d}-{c + 1}.txt"
            (out_dir / name).write_text(make_copy(rng, story, chosen, max_trim), encoding="utf-8")
            files[name] = story.key
    stats.update(originals=len(chosen), files=len(files))
    labels = {"params": want, "files": files, "stats": stats}
    labels_path.write_text(json.dumps(labels, indent=1, sort_keys=True))
    return labels


if __name__ == "__main__":
    result = build()
    print(json.dumps(result["stats"], indent=2))
