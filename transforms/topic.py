"""Topic: the IPTC Media Topic (top level) of an English article, with a calibrated score.

`classify_topic(text, language)` returns `(slug, medtop code, score)`. Two stages, shipped as numpy
arrays in `transforms/data/topic_model.npz` and built by `scripts/build_topic_model.py` (sources,
licences and evaluation: `transforms/data/TOPIC_MODEL.md`):

1. a linear model for the five classes with labelled training data (arts, business, politics,
   science-technology, sport) over tf-idf weighted words and word pairs, with one weight set for
   full articles and one for snippets (shared weights plus length-specific ones, folded together
   at build time), plus the story's tf-idf weighted mean word vector (vectors distilled from a
   sentence encoder at build time, so that words too rare to have learnt weights still count);
   its decision values become probabilities by a softmax with a temperature fitted on held-out
   data;
2. a lexicon detector for the classes without labelled data (crime, disaster, conflict, health,
   environment, religion, education, labour, weather, lifestyle, society, human-interest): a story
   that names at least `min_hits` distinct cue terms of one such class, more than of any other, and
   densely enough (`min_density` of the distinct terms of its head) -- both set per stage-1 class,
   is filed there instead (never a story stage 1 calls sport).

Scoring is two dictionary lookups per token and small matrix products: no scikit-learn and no
sentence encoder at run time (each word's vector is folded into class weights when the model loads).
`unknown` is returned when the top probability is below the calibrated threshold, when the text is
too short to judge, and for text the caller says is not English.
"""

from __future__ import annotations

import functools
from collections import Counter
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
MAX_CHARS = 3000  # the head of a story says what it is about; keeps scoring well under 0.5 ms
LONG_WORDS = 150  # a text of more than this many words is an article, shorter ones are snippets
LEXICON_CHARS = 1500  # cue terms count in the first paragraphs only, where a story states its subject

# Lower-cased text -> words: everything but letters, digits and apostrophes becomes a space
# (str.translate + split is several times faster than a regular expression).
_SPLIT = str.maketrans({c: " " for c in map(chr, range(0x3000)) if not (c.isalnum() or c == "'")} | {"’": "'"})
# Common function words: kept out of features so that word pairs carry content.
STOPWORDS = frozenset(
    "a an the and or but if of to in on at by for with from as is are was were be been being it its this "
    "that these those he she they we you i his her their our your my me him them us not no so than then "
    "there here has have had do does did will would can could should may might must also said says say "
    "which who whom what when where why how all any some more most other such only own same just about "
    "into over after before between under again further once up down out off very s t".split())


@functools.lru_cache(maxsize=1 << 16)
def _normal(tok: str) -> str:
    """A raw token as a feature word; '' for function words and single letters."""
    tok = tok.strip("'")
    if tok[:1].isdigit():
        return "#"
    if tok.endswith("'s"):
        tok = tok[:-2]
    if tok in STOPWORDS or len(tok) < 2:
        return ""
    return tok


def _words(text: str) -> list[str]:
    return [w for w in map(_normal, text.lower().translate(_SPLIT).split()) if w]


def tokens(text: str) -> list[str]:
    """Words of a text's head as the model sees them: lower case, no function words, numbers as `#`.
    Cut at LEXICON_CHARS and MAX_CHARS, so that the lexicon's head is a prefix of the same words."""
    return _words(text[:LEXICON_CHARS]) + _words(text[LEXICON_CHARS:MAX_CHARS])


def _pairs(words: list[str]) -> list[str]:
    return [f"{a} {b}" for a, b in zip(words, words[1:])]


def features(text: str) -> list[str]:
    """Unigrams and adjacent pairs: the model's feature names for a text."""
    words = tokens(text)
    return words + _pairs(words)


def is_long(text: str) -> bool:
    """Full article (True) or snippet: stage 1 keeps weights for each besides the shared ones."""
    return len(text.split(None, LONG_WORDS)) > LONG_WORDS


def lexicon_features(text: str) -> set[str]:
    """Distinct words and pairs of the head of a story: what the lexicon detector counts."""
    words = _words(text[:LEXICON_CHARS])
    return set(words + _pairs(words))


def mean_vector(words: list[str], index: dict[str, int], idf: np.ndarray, rows: np.ndarray) -> Optional[np.ndarray]:
    """The tf-idf weighted mean of `rows` (word vectors, or their class weights) over the known words
    (pairs are skipped: they have no vector); None when no word is known."""
    found = [i for i in map(index.get, words) if i is not None]
    if not found:
        return None
    ids, tf = np.unique(np.array(found, dtype=np.int64), return_counts=True)
    weights = (1.0 + np.log(tf.astype(np.float32))) * idf[ids]
    return weights @ rows[ids] / weights.sum()


class TopicModel:
    """The shipped arrays with the scoring rule; `predict` is the whole run-time cost."""

    def __init__(self, vocabulary: list[str], idf: np.ndarray, coef: np.ndarray, intercept: np.ndarray,
                 classes: list[str], temperature: float = 1.0, threshold: float = 0.0,
                 lexicon: Optional[dict[str, str]] = None, min_hits=99, min_density=1.0,
                 coef_short: Optional[np.ndarray] = None, vector_words: Optional[list[str]] = None,
                 vectors: Optional[np.ndarray] = None, vector_idf: Optional[np.ndarray] = None,
                 vector_coef: Optional[np.ndarray] = None, lexicon_vectors: bool = False):
        self.index = {term: i for i, term in enumerate(vocabulary)}
        self.idf = idf.astype(np.float32)
        # (terms, classes) weights for articles and for snippets (shared + length-specific weights).
        self.coef_t = np.ascontiguousarray(coef.astype(np.float32).T)
        self.coef_short_t = self.coef_t if coef_short is None else np.ascontiguousarray(coef_short.astype(np.float32).T)
        self.intercept = intercept.astype(np.float32)
        self.classes = list(classes)
        self.temperature = float(temperature)
        self.threshold = float(threshold)
        self.lexicon = dict(lexicon or {})
        # Override rule per stage-1 class (a scalar applies to all): cue terms needed, and their density.
        self.min_hits = np.broadcast_to(np.asarray(min_hits, dtype=np.int64), (len(self.classes),))
        self.min_density = np.broadcast_to(np.asarray(min_density, dtype=np.float64), (len(self.classes),))
        # Word vectors: each word's class weights are its vector times `vector_coef`, folded once here,
        # so a story's mean vector costs one row lookup per word.
        self.vector_index = {word: i for i, word in enumerate(vector_words or [])}
        self.vector_idf = np.zeros(0, np.float32) if vector_idf is None else vector_idf.astype(np.float32)
        self.vector_class = (np.zeros((0, len(self.classes)), np.float32) if vectors is None or vector_coef is None
                             else vectors.astype(np.float32) @ vector_coef.astype(np.float32))
        # One lookup serves both: terms first, then the words that only have a vector; rows a kind
        # lacks are zero (idf 0 keeps a vector-only word out of the tf-idf norm, and vice versa).
        self._lookup = dict(self.index)
        for word in self.vector_index:
            self._lookup.setdefault(word, len(self._lookup))
        extra = len(self._lookup) - len(self.index)
        self._idf = np.concatenate([self.idf, np.zeros(extra, np.float32)])
        self._coef_t = np.vstack([self.coef_t, np.zeros((extra, len(self.classes)), np.float32)])
        self._coef_short_t = (self._coef_t if coef_short is None else
                              np.vstack([self.coef_short_t, np.zeros((extra, len(self.classes)), np.float32)]))
        self._vector_weight = np.zeros(len(self._lookup), np.float32)
        self._vector_class = np.zeros((len(self._lookup), len(self.classes)), np.float32)
        rows = np.array([self._lookup[w] for w in self.vector_index], dtype=np.int64)
        if len(rows):
            self._vector_weight[rows] = self.vector_idf
            self._vector_class[rows] = self.vector_class
        # Lexicon classes as points among the word vectors: the mean vector of each class's cue terms.
        # A story's head whose mean vector lies nearest a class that its cue terms name counts one
        # more hit for that class (`lexicon_vote`).
        self.lexicon_classes = sorted(set(self.lexicon.values()))
        self._vector_lexicon = None
        if lexicon_vectors and vectors is not None and self.lexicon_classes:
            points = np.zeros((len(self.lexicon_classes), vectors.shape[1]), np.float32)
            for term, slug in self.lexicon.items():
                if term in self.vector_index:
                    points[self.lexicon_classes.index(slug)] += vectors[self.vector_index[term]]
            points /= np.linalg.norm(points, axis=1, keepdims=True) + 1e-9
            self._vector_lexicon = np.zeros((len(self._lookup), len(points)), np.float32)
            self._vector_lexicon[rows] = vectors.astype(np.float32) @ points.T
        self.lexicon_vectors = self._vector_lexicon is not None

    def decision(self, text: str, feats: Optional[list[str]] = None) -> Optional[np.ndarray]:
        """Stage-1 decision values per class, None when no known term occurs."""
        found = [i for i in map(self._lookup.get, features(text) if feats is None else feats) if i is not None]
        if not found:
            return None
        ids, tf = np.unique(np.array(found, dtype=np.int64), return_counts=True)
        log_tf = 1.0 + np.log(tf.astype(np.float32))
        values = log_tf * self._idf[ids]
        values /= np.linalg.norm(values) or 1.0
        coef_t = self._coef_t if is_long(text) else self._coef_short_t
        logits = values @ coef_t[ids] + self.intercept
        weights = log_tf * self._vector_weight[ids]  # the mean word vector, as `mean_vector` computes it
        total = weights.sum()
        if total > 0:
            logits += weights @ self._vector_class[ids] / total
        return logits

    def probabilities(self, text: str, feats: Optional[list[str]] = None) -> Optional[np.ndarray]:
        logits = self.decision(text, feats)
        if logits is None:
            return None
        logits = logits * self.temperature
        logits -= logits.max()
        probs = np.exp(logits)
        return probs / probs.sum()

    def nearest_lexicon_class(self, words: list[str]) -> Optional[str]:
        """The lexicon class whose cue terms' mean vector is nearest the words' mean vector."""
        if self._vector_lexicon is None:
            return None
        found = [i for i in map(self._lookup.get, words) if i is not None]
        if not found:
            return None
        ids, tf = np.unique(np.array(found, dtype=np.int64), return_counts=True)
        weights = (1.0 + np.log(tf.astype(np.float32))) * self._vector_weight[ids]
        if not weights.any():
            return None
        return self.lexicon_classes[int((weights @ self._vector_lexicon[ids]).argmax())]

    def lexicon_vote(self, text: str, head: Optional[set[str]] = None,
                     head_words: Optional[list[str]] = None) -> tuple[Optional[str], int, float]:
        """(class, distinct cue terms, their share of the head's distinct terms) of the lexicon's best
        class; class None on a tie or no hit."""
        terms = lexicon_features(text) if head is None else head
        hits = Counter(slug for slug in map(self.lexicon.get, terms) if slug is not None)
        if not hits:
            return None, 0, 0.0
        nearest = self.nearest_lexicon_class(_words(text[:LEXICON_CHARS]) if head_words is None else head_words)
        if nearest in hits:
            hits[nearest] += 1
        ranked = sorted(hits.values(), reverse=True)
        best = max(hits, key=hits.get)
        return (best if len(ranked) == 1 or ranked[0] > ranked[1] else None), ranked[0], ranked[0] / len(terms)

    def predict(self, text: str) -> tuple[str, float]:
        """(slug, score) before the `unknown` threshold; `unknown` only when nothing is known."""
        head_words = _words(text[:LEXICON_CHARS])
        words = head_words + _words(text[LEXICON_CHARS:MAX_CHARS])
        probs = self.probabilities(text, words + _pairs(words))
        if probs is None:
            return UNKNOWN, 0.0
        best = int(probs.argmax())
        slug, score = self.classes[best], float(probs[best])
        if self.lexicon:
            cue_class, hits, density = self.lexicon_vote(text, set(head_words + _pairs(head_words)), head_words)
            need = int(self.min_hits[best])
            if cue_class is not None and hits >= need and density >= self.min_density[best]:
                # The rule's minimum scores 0.5 (the threshold's scale); each further cue halves the rest.
                return cue_class, max(score, 1.0 - 0.5 ** (hits - need + 1))
        return slug, score

    def classify(self, text: str) -> str:
        slug, score = self.predict(text)
        return slug if score >= self.threshold else UNKNOWN


def load_model(path=None) -> TopicModel:
    source = path or resources.files("transforms") / "data" / "topic_model.npz"
    with source.open("rb") if hasattr(source, "open") and not isinstance(source, str) else open(source, "rb") as fh:
        data = np.load(fh, allow_pickle=False)
        terms = str(data["lexicon_terms"]).split("\n")
        return TopicModel(
            vocabulary=str(data["vocabulary"]).split("\n"),
            idf=data["idf"], coef=data["coef"], coef_short=data["coef_short"], intercept=data["intercept"],
            classes=str(data["classes"]).split("\n"), temperature=float(data["temperature"]),
            threshold=float(data["threshold"]),
            lexicon=dict(zip(terms, str(data["lexicon_classes"]).split("\n"))), min_hits=data["min_hits"],
            min_density=data["min_density"],
            vector_words=str(data["vector_words"]).split("\n") if "vector_words" in data else None,
            vectors=data["vectors"] * data["vector_scale"] if "vectors" in data else None,
            vector_idf=data["vector_idf"] if "vector_idf" in data else None,
            vector_coef=data["vector_coef"] if "vector_coef" in data else None,
            lexicon_vectors=bool(data["lexicon_vectors"]) if "lexicon_vectors" in data else False,
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
