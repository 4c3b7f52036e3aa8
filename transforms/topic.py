"""Topic: the IPTC Media Topic (top level) of an English article, with a calibrated score.

`classify_topic(text)` returns `(slug, medtop code, score)`. The model is a linear classifier
over tf-idf weighted words and word pairs, shipped as numpy arrays in
`transforms/data/topic_model.npz` and built by `scripts/build_topic_model.py` (sources,
licences and evaluation: `transforms/data/TOPIC_MODEL.md`). Scoring an article is a dictionary
lookup per token and one small matrix product: tens of microseconds, no scikit-learn at run time.

`unknown` is returned when the top class's probability is below the model's calibrated
threshold, when the text is too short to judge, and for text the caller says is not English.
"""

from __future__ import annotations

import functools
import math
import re
from importlib import resources
from typing import Optional

import numpy as np

# The DESIGN.md taxonomy, slug -> IPTC code.
TOPICS: dict[str, str] = {
    "arts-culture-entertainment": "medtop:01000000",
    "crime-law-justice": "medtop:02000000",
    "disaster-accident": "medtop:03000000",
    "economy-business-finance": "medtop:04000000",
    "education": "medtop:05000000",
    "environment": "medtop:06000000",
    "health": "medtop:07000000",
    "human-interest": "medtop:08000000",
    "labour": "medtop:09000000",
    "lifestyle-leisure": "medtop:10000000",
    "politics-government": "medtop:11000000",
    "religion": "medtop:12000000",
    "science-technology": "medtop:13000000",
    "society": "medtop:14000000",
    "sport": "medtop:15000000",
    "conflict-war-peace": "medtop:16000000",
    "weather": "medtop:17000000",
}
SLUG_BY_CODE = {code: slug for slug, code in TOPICS.items()}
UNKNOWN = "unknown"
MIN_WORDS = 5
MAX_CHARS = 3000  # the head of a story says what it is about; keeps scoring under ~0.5 ms

_TOKEN = re.compile(r"[a-z][a-z0-9]*(?:['’][a-z]+)?|\d+(?:[.,]\d+)?")
# Common function words: kept out of features so that word pairs carry content.
STOPWORDS = frozenset(
    "a an the and or but if of to in on at by for with from as is are was were be been being it its this "
    "that these those he she they we you i his her their our your my me him them us not no so than then "
    "there here has have had do does did will would can could should may might must also said says say "
    "which who whom what when where why how all any some more most other such only own same just about "
    "into over after before between under again further once up down out off very s t".split())


def tokens(text: str) -> list[str]:
    """Words of a text as the model sees them: lower case, no function words, numbers as `#`."""
    out = []
    for tok in _TOKEN.findall(text[:MAX_CHARS].lower().replace("’", "'")):
        if tok[0].isdigit():
            out.append("#")
        elif tok not in STOPWORDS and len(tok) > 1:
            out.append(tok.replace("'s", "") if tok.endswith("'s") else tok)
    return out


def features(text: str) -> list[str]:
    """Unigrams and adjacent pairs: the model's feature names for a text."""
    words = tokens(text)
    return words + [f"{a} {b}" for a, b in zip(words, words[1:])]


class TopicModel:
    """The shipped arrays with the scoring rule; `predict` is the whole run-time cost."""

    def __init__(self, vocabulary: list[str], idf: np.ndarray, coef: np.ndarray, intercept: np.ndarray,
                 classes: list[str], threshold: float):
        self.index = {term: i for i, term in enumerate(vocabulary)}
        self.idf = idf.astype(np.float32)
        self.coef_t = np.ascontiguousarray(coef.astype(np.float32).T)  # (terms, classes)
        self.intercept = intercept.astype(np.float32)
        self.classes = classes
        self.threshold = float(threshold)

    def probabilities(self, text: str) -> Optional[np.ndarray]:
        counts: dict[int, int] = {}
        index = self.index
        for feature in features(text):
            i = index.get(feature)
            if i is not None:
                counts[i] = counts.get(i, 0) + 1
        if not counts:
            return None
        ids = np.fromiter(counts.keys(), dtype=np.int64, count=len(counts))
        tf = np.fromiter((1.0 + math.log(c) for c in counts.values()), dtype=np.float32, count=len(counts))
        values = tf * self.idf[ids]
        values /= np.linalg.norm(values) or 1.0
        logits = values @ self.coef_t[ids] + self.intercept
        logits -= logits.max()
        probs = np.exp(logits)
        return probs / probs.sum()

    def predict(self, text: str) -> tuple[str, float]:
        probs = self.probabilities(text)
        if probs is None:
            return UNKNOWN, 0.0
        best = int(probs.argmax())
        return self.classes[best], float(probs[best])


def load_model(path=None) -> TopicModel:
    source = path or resources.files("transforms") / "data" / "topic_model.npz"
    with source.open("rb") if hasattr(source, "open") and not isinstance(source, str) else open(source, "rb") as fh:
        data = np.load(fh, allow_pickle=False)
        return TopicModel(
            vocabulary=str(data["vocabulary"]).split("\n"),
            idf=data["idf"], coef=data["coef"], intercept=data["intercept"],
            classes=str(data["classes"]).split("\n"), threshold=float(data["threshold"]),
        )


@functools.lru_cache(maxsize=1)
def get_model() -> TopicModel:
    """The shipped model, loaded once per process (Beam: in `DoFn.setup`)."""
    return load_model()


def classify_topic(text: str, language: Optional[str] = "en") -> tuple[str, Optional[str], float]:
    """(IPTC slug, `medtop:` code or None for unknown, score 0..1) of an article's text."""
    if language not in (None, "en") or len(text.split()) < MIN_WORDS:
        return UNKNOWN, None, 0.0
    model = get_model()
    slug, score = model.predict(text)
    if slug == UNKNOWN or score < model.threshold:
        return UNKNOWN, None, score
    return slug, TOPICS[slug], score
