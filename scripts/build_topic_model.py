"""Build `transforms/data/topic_model.npz`, the IPTC top-level topic model newsbeam ships.

Named sources (all under `../shared/data`, see each folder's SOURCE.md):
- `bbc/` (BBC News 2004-05, research use): business, entertainment, politics, sport, tech ->
  economy-business-finance, arts-culture-entertainment, politics-government, sport,
  science-technology.
- `ag_news/test.csv` (AG News, research use): Business, Sci/Tech, Sports, World ->
  economy..., science-technology, sport, politics-government (World is mostly politics).
- `iptc-mediatopic/mediatopic-en.json` (IPTC, CC BY 4.0): for every active concept, its label and
  definition become a short training document of its top-level class; and the labels form a
  lexicon that weakly relabels AG World, Sci/Tech and Business stories into the classes that have
  no labelled data (crime, disaster, conflict, health, environment, religion, education, labour,
  weather, society, ...) when a story names several of a class's concepts and no other's.

Records of `tests/data/topic_handlabelled.csv` (the hand-labelled evaluation set) are never
trained on. Model: multinomial logistic regression over sublinear tf-idf of words and word
pairs (`transforms.topic.features`), vocabulary pruned to `MAX_TERMS`, weights stored float16.
Run: `python scripts/build_topic_model.py` (needs the `build` extra: scikit-learn).
"""

from __future__ import annotations

import csv
import glob
import json
import re
import sys
from collections import Counter
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from transforms.topic import TOPICS, features, tokens  # noqa: E402

DATA = ROOT / ".." / "shared" / "data"
OUT = ROOT / "transforms" / "data" / "topic_model.npz"
HANDLABELLED = ROOT / "tests" / "data" / "topic_handlabelled.csv"

BBC_CLASSES = {"business": "economy-business-finance", "entertainment": "arts-culture-entertainment",
               "politics": "politics-government", "sport": "sport", "tech": "science-technology"}
AG_CLASSES = {"1": "politics-government", "2": "sport", "3": "economy-business-finance", "4": "science-technology"}
LABELLED = set(BBC_CLASSES.values())
# AG classes whose stories may be relabelled by the IPTC lexicon (sport stays sport).
RELABEL_FROM = {"politics-government", "science-technology", "economy-business-finance"}
MIN_LEXICON_HITS = 2
MAX_PSEUDO_PER_CLASS = 150
MAX_TERMS = 40000
MIN_DF = 2
C = 10.0
THRESHOLD = 0.2
# Label words too general to signal a class on their own.
GENERIC = set("general other service services policy issue issues system group people public industry media "
              "market sector law rights management state national international government personal "
              "organisation organisations development activity activities".split())


def clean_ag(text: str) -> str:
    text = text.replace("\\", " ")
    text = re.sub(r" ?#(\d+);", lambda m: chr(int(m.group(1))), text)
    return re.sub(r"&lt;.*?&gt;|<[^>]+>", " ", text).replace("quot;", '"').replace("amp;", "&")


def load_bbc() -> list[tuple[str, str, str]]:
    """(reference, text, slug) for every BBC story."""
    out = []
    for path in sorted(glob.glob(str(DATA / "bbc" / "*" / "*.txt"))):
        folder = Path(path).parent.name
        ref = f"bbc/{folder}/{Path(path).name}"
        out.append((ref, Path(path).read_bytes().decode("latin-1"), BBC_CLASSES[folder]))
    return out


def load_ag() -> list[tuple[str, str, str]]:
    out = []
    with open(DATA / "ag_news" / "test.csv", newline="", encoding="utf-8") as fh:
        for i, (cls, title, desc) in enumerate(csv.reader(fh)):
            out.append((f"ag_news/test.csv#{i}", clean_ag(title) + "\n\n" + clean_ag(desc), AG_CLASSES[cls]))
    return out


def load_handlabelled() -> list[tuple[str, str]]:
    """(reference, slug) rows of the hand-labelled set."""
    with open(HANDLABELLED, newline="", encoding="utf-8") as fh:
        return [(f"{row['corpus']}#{row['record']}", row["label"]) for row in csv.DictReader(fh)]


def load_iptc() -> list[dict]:
    concepts = json.loads((DATA / "iptc-mediatopic" / "mediatopic-en.json").read_text(encoding="utf-8"))
    return [c for c in concepts if not c["retired"]]


def iptc_documents(concepts: list[dict]) -> list[tuple[str, str, str]]:
    slug_of = {code: slug for slug, code in TOPICS.items()}
    return [(f"iptc/{c['qcode']}", f"{c['label']}. {c['definition'] or ''}", slug_of[c["top"]]) for c in concepts]


def lexicon(concepts: list[dict]) -> dict[str, set[str]]:
    """Class -> terms (words and word pairs from concept labels) for the classes without labels."""
    slug_of = {code: slug for slug, code in TOPICS.items()}
    terms: dict[str, set[str]] = {}
    for c in concepts:
        slug = slug_of[c["top"]]
        if slug in LABELLED:
            continue
        for part in re.split(r",| and | or |/", c["label"].lower()):
            words = tokens(part)
            if not words or (len(words) == 1 and words[0] in GENERIC):
                continue
            term = " ".join(words)
            bucket = terms.setdefault(slug, set())
            bucket.add(term)
            if len(words) == 1:
                bucket.add(term + "s")
            if len(words) == 2 and words[1] not in GENERIC:
                bucket.add(words[1])
    # A term shared by several classes says nothing about any one of them.
    counts = Counter(t for bucket in terms.values() for t in bucket)
    return {slug: {t for t in bucket if counts[t] == 1} for slug, bucket in terms.items()}


def weak_labels(docs: list[tuple[str, str, str]], lex: dict[str, set[str]]) -> dict[str, str]:
    """Reference -> class without labelled data, for stories the lexicon assigns confidently."""
    scored: dict[str, list[tuple[int, str]]] = {}
    for ref, text, slug in docs:
        if slug not in RELABEL_FROM:
            continue
        feats = set(features(text))
        hits = sorted(((len(feats & terms), cls) for cls, terms in lex.items()), reverse=True)
        (best, cls), (second, _) = hits[0], hits[1]
        if best >= MIN_LEXICON_HITS and best > second:
            scored.setdefault(cls, []).append((best, ref))
    out = {}
    for cls, items in scored.items():
        for _, ref in sorted(items, key=lambda x: (-x[0], x[1]))[:MAX_PSEUDO_PER_CLASS]:
            out[ref] = cls
    return out


def train(docs: list[tuple[str, str, str]], concepts: list[dict]) -> dict:
    """Train on (reference, text, slug) documents plus the IPTC concept documents; -> arrays."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    relabel = weak_labels(docs, lexicon(concepts))
    corpus = [(text, relabel.get(ref, slug)) for ref, text, slug in docs]
    corpus += [(text, slug) for _, text, slug in iptc_documents(concepts)]
    texts = [t for t, _ in corpus]
    labels = [s for _, s in corpus]
    vectorizer = TfidfVectorizer(analyzer=features, sublinear_tf=True, min_df=MIN_DF, max_features=MAX_TERMS,
                                 dtype=np.float32)
    matrix = vectorizer.fit_transform(texts)
    model = LogisticRegression(C=C, max_iter=300)
    model.fit(matrix, labels)
    vocabulary = vectorizer.get_feature_names_out().tolist()
    return {
        "vocabulary": np.array("\n".join(vocabulary)),
        "idf": vectorizer.idf_.astype(np.float32),
        "coef": model.coef_.astype(np.float16),
        "intercept": model.intercept_.astype(np.float32),
        "classes": np.array("\n".join(model.classes_.tolist())),
        "threshold": np.float32(THRESHOLD),
        "pseudo_labels": Counter(relabel.values()),
    }


def as_model(arrays: dict):
    from transforms.topic import TopicModel

    return TopicModel(str(arrays["vocabulary"]).split("\n"), arrays["idf"], arrays["coef"], arrays["intercept"],
                      str(arrays["classes"]).split("\n"), float(arrays["threshold"]))


def training_documents() -> list[tuple[str, str, str]]:
    held_out = {ref for ref, _ in load_handlabelled()}
    return [d for d in load_bbc() + load_ag() if d[0] not in held_out]


def main() -> None:
    arrays = train(training_documents(), load_iptc())
    pseudo = arrays.pop("pseudo_labels")
    np.savez_compressed(OUT, **arrays)
    print(f"{OUT}: {OUT.stat().st_size:,} bytes, {len(str(arrays['vocabulary']).split(chr(10)))} terms")
    print("weak labels per class:", dict(sorted(pseudo.items())))


if __name__ == "__main__":
    main()
