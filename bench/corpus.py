"""Benchmark corpus: N news articles recombined from real paragraphs, with planted copies.

`python -m bench.corpus --articles 20000 [--layout both]` writes `bench/corpus/n<N>/`:

- `txt/<folder>/a<i>.txt`: one scraped-looking article per file (title line, blank line,
  paragraphs), 1,000 files per folder;
- `jsonl/part-<k>.jsonl.gz`: the same records as JSON lines (`url`, `title`, `text`, `published`,
  `site`), 1,000 per file;
- `truth.jsonl.gz`: one line per record `i`: its group (the distinct article it is a copy of),
  `kind` (`original`, `exact`, `near`), the word 5-shingle Jaccard to the original for near
  copies, its paragraph ids and word count. Record `i` is recognisable in any tool's output from
  its URL (`…/a<i>`) or its file name (`a<i>.txt`).

How the corpus is built (deterministic for a given `--seed`):
- A pool of paragraphs from `../shared/data` (BBC News, Reuters-21578, AG News), each at least
  12 words, deduplicated on normalised text, so distinct articles never share a paragraph by
  accident of the source and only rarely by chance of the draw.
- A distinct article is a real title plus 3-16 paragraphs drawn from the pool: about a fifth
  short (3 paragraphs, ~60-150 words), like wire briefs. No paragraph makes up more than 40% of
  an article's words: paragraphs are reused across articles (the pool is finite), and one long
  shared paragraph would make two distinct articles near copies by accident.
- About 10% of the records are exact copies (same title and body under another URL and site,
  published up to a day later) and 10% near copies: an original of at least 120 words edited the
  way syndication edits a story (a word replaced, a sentence cut, a paragraph dropped or added),
  kept only when its Jaccard to the original stays in [0.8, 1).
- Scraped site furniture ("Articles You May Like" trailers, share lines, credit lines) is
  added to ~10% of all records independently of copying, as in real feeds.

The generator never copies `../shared/data` as files: it writes new records made of its text.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import gzip
import html
import json
import random
import re
import shutil
import sys
import time
from pathlib import Path
from typing import Iterable, NamedTuple, Optional

HERE = Path(__file__).resolve().parent
DEFAULT_DATA = HERE.parent.parent / "shared" / "data"
CORPUS_ROOT = HERE / "corpus"
RECORDS_PER_FILE = 1000
FILES_PER_FOLDER = 1000
MIN_PARAGRAPH_WORDS = 12
NEAR_MIN_WORDS = 120
NEAR_JACCARD = (0.8, 1.0)
MAX_PARAGRAPH_SHARE = 0.4
GENERATOR_VERSION = 2  # bump when the same seed would give a different corpus

_WORD = re.compile(r"\w+")
SITES = ("dailyherald.example", "newsroom.example", "wirefeed.example", "metro-times.example",
         "globalpost.example", "citydesk.example", "morningstar-news.example", "the-ledger.example")


# --- shingles (the ground truth's own measure, independent of every tool under test) ----------

def words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


def shingles(text: str, n: int = 5) -> set[tuple[str, ...]]:
    w = words(text)
    if len(w) < n:
        return {tuple(w)} if w else set()
    return {tuple(w[i:i + n]) for i in range(len(w) - n + 1)}


def jaccard(a: set, b: set) -> float:
    if not a and not b:
        return 1.0
    return len(a & b) / len(a | b)


# --- the paragraph and title pools --------------------------------------------------------------

def _read_text(path: Path) -> str:
    data = path.read_bytes()
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def _bbc(root: Path) -> Iterable[tuple[Optional[str], list[str]]]:
    for path in sorted((root / "bbc").glob("*/*.txt")):
        blocks = [b.strip() for b in re.split(r"\n\s*\n", _read_text(path)) if b.strip()]
        if blocks:
            yield blocks[0], blocks[1:]


def _reuters(root: Path) -> Iterable[tuple[Optional[str], list[str]]]:
    for path in sorted((root / "reuters21578").glob("reut2-*.sgm")):
        text = path.read_bytes().decode("latin-1")
        for doc in re.findall(r"<REUTERS.*?</REUTERS>", text, re.S):
            title = re.search(r"<TITLE>(.*?)</TITLE>", doc, re.S)
            body = re.search(r"<BODY>(.*?)</BODY>", doc, re.S)
            if not body:
                continue
            raw = re.sub(r"&#\d+;", "", body.group(1))
            raw = re.sub(r"\s*Reuter\s*$", "", raw.strip())
            paras = [" ".join(html.unescape(p).split()) for p in re.split(r"\n {3,}", raw)]
            title_text = " ".join(html.unescape(title.group(1)).split()).title() if title else None
            yield title_text, paras


def _ag_news(root: Path) -> Iterable[tuple[Optional[str], list[str]]]:
    path = root / "ag_news" / "test.csv"
    if not path.exists():
        return
    with path.open(newline="", encoding="utf-8") as handle:
        for row in csv.reader(handle):
            if len(row) >= 3:
                body = re.sub(r"\\", " ", row[2])
                yield " ".join(row[1].split()), [" ".join(html.unescape(body).split())]


def _plausible_paragraph(text: str) -> bool:
    w = text.split()
    if len(w) < MIN_PARAGRAPH_WORDS:
        return False
    letters = sum(ch.isalpha() for ch in text)
    return letters / max(len(text), 1) > 0.7  # not an earnings table


class Pools(NamedTuple):
    paragraphs: list[str]
    titles: list[str]


def load_pools(data: Path = DEFAULT_DATA) -> Pools:
    if not (data / "bbc").is_dir():
        raise SystemExit(f"corpus: source data not found at {data} (need bbc/, reuters21578/, ag_news/)")
    seen, paragraphs, titles, seen_titles = set(), [], [], set()
    for source in (_bbc, _reuters, _ag_news):
        for title, paras in source(data):
            if title and 3 <= len(title.split()) <= 20 and title not in seen_titles:
                seen_titles.add(title)
                titles.append(title)
            for para in paras:
                key = " ".join(words(para))
                if _plausible_paragraph(para) and key not in seen:
                    seen.add(key)
                    paragraphs.append(para)
    return Pools(paragraphs, titles)


# --- records ---------------------------------------------------------------------------------------

class Record(NamedTuple):
    i: int
    group: int
    kind: str  # original | exact | near
    title: str
    paragraphs: tuple  # texts
    para_ids: tuple  # pool indices (-1 for text the edit made up)
    published: str
    site: str
    similarity: float


def _article_length(rng: random.Random) -> int:
    roll = rng.random()
    if roll < 0.2:
        return 3
    if roll < 0.75:
        return rng.randint(4, 9)
    return rng.randint(10, 16)


def _edit(paras: list[str], ids: list[int], pools: Pools, rng: random.Random, ops: int):
    """A syndication-style edit of an article: the copy's paragraphs and their pool ids."""
    paras, ids = list(paras), list(ids)
    for _ in range(ops):
        op = rng.choice(("word", "word", "cut_sentence", "drop_paragraph", "add_paragraph"))
        k = rng.randrange(len(paras))
        if op == "word":
            w = paras[k].split()
            j = rng.randrange(len(w))
            w[j] = rng.choice(("said", "reported", "officials", "the", "new", "also", "2005", "on Monday"))
            paras[k], ids[k] = " ".join(w), -1
        elif op == "cut_sentence":
            sentences = re.split(r"(?<=[.!?])\s+", paras[k])
            if len(sentences) > 1:
                sentences.pop(rng.randrange(len(sentences)))
                paras[k], ids[k] = " ".join(sentences), -1
        elif op == "drop_paragraph" and len(paras) > 4:
            paras.pop(k)
            ids.pop(k)
        elif op == "add_paragraph":
            j = rng.randrange(len(pools.paragraphs))
            paras.append(pools.paragraphs[j])
            ids.append(j)
    return paras, ids


def _near_copy(orig: Record, pools: Pools, rng: random.Random) -> Optional[tuple[list, list, float]]:
    base = shingles("\n\n".join(orig.paragraphs))
    for attempt in range(8):
        ops = max(1, rng.randint(1, 4) - attempt // 2)
        paras, ids = _edit(list(orig.paragraphs), list(orig.para_ids), pools, rng, ops)
        sim = jaccard(base, shingles("\n\n".join(paras)))
        if NEAR_JACCARD[0] <= sim < NEAR_JACCARD[1]:
            return paras, ids, sim
    return None


def generate(n: int, pools: Pools, seed: int = 7, exact_share: float = 0.1,
             near_share: float = 0.1) -> list[Record]:
    """`n` records: originals plus ~10% exact and ~10% near copies of them, in shuffled order."""
    rng = random.Random(seed)
    n_exact, n_near = round(n * exact_share), round(n * near_share)
    n_orig = n - n_exact - n_near
    start = dt.date(2004, 1, 1)
    originals = []
    sizes = [len(p.split()) for p in pools.paragraphs]
    for g in range(n_orig):
        length = _article_length(rng)
        for _ in range(50):
            ids = rng.sample(range(len(pools.paragraphs)), length)
            if max(sizes[j] for j in ids) <= MAX_PARAGRAPH_SHARE * sum(sizes[j] for j in ids):
                break
        day = start + dt.timedelta(days=rng.randrange(730))
        originals.append(Record(-1, g, "original", rng.choice(pools.titles),
                                tuple(pools.paragraphs[j] for j in ids), tuple(ids),
                                f"{day.isoformat()}T{rng.randrange(24):02d}:{rng.randrange(60):02d}:00Z",
                                rng.choice(SITES), 1.0))
    copies = []
    for _ in range(n_exact):
        orig = rng.choice(originals)
        copies.append(orig._replace(kind="exact", site=rng.choice(SITES), published=_later(orig.published, rng)))
    long_enough = [o for o in originals if sum(len(p.split()) for p in o.paragraphs) >= NEAR_MIN_WORDS]
    made = 0
    while made < n_near:
        orig = rng.choice(long_enough)
        near = _near_copy(orig, pools, rng)
        if near is None:
            continue
        paras, ids, sim = near
        copies.append(orig._replace(kind="near", paragraphs=tuple(paras), para_ids=tuple(ids),
                                    site=rng.choice(SITES), published=_later(orig.published, rng),
                                    similarity=round(sim, 4)))
        made += 1
    records = originals + copies
    rng.shuffle(records)
    return [r._replace(i=i) for i, r in enumerate(records)]


def _later(published: str, rng: random.Random) -> str:
    when = dt.datetime.fromisoformat(published.replace("Z", "+00:00"))
    when += dt.timedelta(minutes=rng.randrange(0, 24 * 60))
    return when.strftime("%Y-%m-%dT%H:%M:00Z")


FURNITURE_TRAILER = "Articles You May Like"


def _rendered_paragraphs(record: Record, titles: list[str]) -> list[str]:
    """Body paragraphs as a scraper would deliver them: sometimes with site furniture."""
    rng = random.Random(record.i * 7919 + 13)
    paras = list(record.paragraphs)
    roll = rng.random()
    if roll < 0.04:
        paras.append(FURNITURE_TRAILER + "\n" + "\n".join(rng.sample(titles, 3)))
    elif roll < 0.07:
        paras.append("Share this article")
    elif roll < 0.10:
        paras.append(f"Additional reporting by {rng.choice(('Anna Berg', 'Tom Okafor', 'Li Wei'))} in London")
    return paras


def url_of(record: Record) -> str:
    return f"https://{record.site}/news/{record.published[:10]}/a{record.i}"


def write_corpus(records: list[Record], pools: Pools, out: Path, layouts: tuple[str, ...]) -> None:
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    if "txt" in layouts:
        for r in records:
            folder = out / "txt" / f"{r.i // FILES_PER_FOLDER:04d}"
            if r.i % FILES_PER_FOLDER == 0:
                folder.mkdir(parents=True, exist_ok=True)
            (folder / f"a{r.i}.txt").write_text(
                r.title + "\n\n" + "\n\n".join(_rendered_paragraphs(r, pools.titles)) + "\n", encoding="utf-8")
    if "jsonl" in layouts:
        (out / "jsonl").mkdir()
        for start in range(0, len(records), RECORDS_PER_FILE):
            lines = []
            for r in records[start:start + RECORDS_PER_FILE]:
                lines.append(json.dumps({"url": url_of(r), "title": r.title,
                                         "text": "\n\n".join(_rendered_paragraphs(r, pools.titles)),
                                         "published": r.published, "site": r.site}, ensure_ascii=False))
            with gzip.open(out / "jsonl" / f"part-{start // RECORDS_PER_FILE:05d}.jsonl.gz", "wt",
                           encoding="utf-8", compresslevel=6) as handle:
                handle.write("\n".join(lines) + "\n")
    with gzip.open(out / "truth.jsonl.gz", "wt", encoding="utf-8") as handle:
        for r in records:
            handle.write(json.dumps({"i": r.i, "group": r.group, "kind": r.kind, "similarity": r.similarity,
                                     "para_ids": list(r.para_ids), "title": r.title,
                                     "words": sum(len(p.split()) for p in r.paragraphs)}) + "\n")
    (out / "CORPUS.json").write_text(json.dumps({
        "records": len(records),
        "groups": len({r.group for r in records}),
        "exact": sum(r.kind == "exact" for r in records),
        "near": sum(r.kind == "near" for r in records),
        "layouts": list(layouts),
        "paragraph_pool": len(pools.paragraphs),
    }, indent=2))


def corpus_dir(n: int, root: Path = CORPUS_ROOT) -> Path:
    return root / f"n{n}"


def ensure_corpus(n: int, layouts: tuple[str, ...] = ("jsonl", "txt"), seed: int = 7,
                  data: Path = DEFAULT_DATA, root: Path = CORPUS_ROOT) -> Path:
    """The corpus of `n` articles, generated unless an identical one is already on disk."""
    out = corpus_dir(n, root)
    meta = out / "CORPUS.json"
    if meta.exists():
        info = json.loads(meta.read_text())
        if (info.get("records") == n and info.get("seed") == seed
                and info.get("generator") == GENERATOR_VERSION and set(layouts) <= set(info.get("layouts", []))):
            return out
    started = time.perf_counter()
    pools = load_pools(data)
    records = generate(n, pools, seed)
    write_corpus(records, pools, out, layouts)
    info = json.loads(meta.read_text())
    info["seed"] = seed
    info["generator"] = GENERATOR_VERSION
    meta.write_text(json.dumps(info, indent=2))
    print(f"corpus: {n} records ({info['exact']} exact, {info['near']} near copies) -> {out} "
          f"in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    return out


def main(argv: Optional[list[str]] = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.corpus", description=__doc__.split("\n")[0])
    parser.add_argument("--articles", "-n", type=int, default=20_000)
    parser.add_argument("--layout", choices=("jsonl", "txt", "both"), default="both")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--root", type=Path, default=CORPUS_ROOT)
    args = parser.parse_args(argv)
    layouts = ("jsonl", "txt") if args.layout == "both" else (args.layout,)
    print(ensure_corpus(args.articles, layouts, args.seed, args.data, args.root))


if __name__ == "__main__":
    main()
