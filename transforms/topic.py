"""Topic: the IPTC Media Topic (top level, all 17 classes) of an article in any language, with a
calibrated score.

`classify_topic(text, language)` returns `(slug, medtop code, score)`. The model is numpy arrays in
`transforms/data/topic_model.npz`, built by `scripts/build_topic_model.py` (sources, licences and
evaluation: `transforms/data/TOPIC_MODEL.md`). Two linear heads share one table of word vectors:

- **word vectors**: a static multilingual table distilled at build time from Google's Universal
  Sentence Encoder multilingual v3 (each entry is the encoder's output for that word or word piece
  alone), reduced to a few dozen int8 dimensions. Words of all 16 encoder languages that mean the
  same land near each other ("hospital", "Krankenhaus", "hôpital"), so a head trained on English
  labelled news also reads German, French, Spanish, Portuguese... A word the table lacks is cut
  into the encoder's word pieces (greedy longest match, cached); in text of any other language than
  English it is first looked up by its stem and as a compound of two table words (German
  "Bootsunglück" -> Boot + Unglück). A story is the SIF-weighted mean
  of its word vectors (weight a / (a + p(word)), p from the encoder's unigram log-probabilities:
  frequent words in any language count little), normalised to unit length;
- **English head**: linear weights over tf-idf of the words and word pairs of the title and lead
  (the first LEAD_WORDS words: what an editor files a story by, and what the many labelled
  headlines and snippets it is trained on look like) plus the mean vector of the whole head;
  for a full article (over ARTICLE_WORDS words) whose best class is one that labelled full articles
  cover, an **article expert** (linear weights over binary tf-idf of the words the mean vector reads,
  trained on those full articles alone) decides which of those classes wins: the lead names the
  kind of story, the whole text tells business from politics;
- **multilingual head**: linear weights over the mean vector alone, for every other language.
Each head's scores become probabilities by a softmax with a temperature fitted on held-out data;
`unknown` is returned when the top probability is below that head's calibrated threshold, when
the text is too short to judge (fewer than MIN_WORDS words), and when no word is known.

Scoring is dictionary lookups per token and small matrix products: no encoder at run time.
"""

from __future__ import annotations

import functools
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
# Languages the word vectors read: the encoder's 16 (USE multilingual v3: ar, de, en, es, fr, it,
# ja, ko, nl, pl, pt, ru, th, tr, zh-cn, zh-tw) and those whose IPTC labels and definitions the
# table and the multilingual head were trained on (da, nb/nn/no, sv). In any other language the
# table knows few of a story's words (Finnish 18%, Greek 9%, Armenian 0-22% of the words whole,
# against 79-94% for German, Portuguese and English) and the head's scores are not calibrated:
# 5 of the 24 such realworld articles that got a topic got a right one, so they get `unknown`.
MODEL_LANGUAGES = frozenset("ar de en es fr it ja ko nl pl pt ru th tr zh da nb nn no sv".split())
MIN_WORDS = 5
MAX_CHARS = 3000  # the head of a story says what it is about; keeps scoring well under a millisecond
LEAD_WORDS = 100  # the English head's terms come from the title and lead: this many words
ARTICLE_WORDS = 150  # texts with more words (of the first MAX_CHARS characters) are full articles
SIF_A = 1e-4  # SIF smoothing (Arora et al. 2017): a word of probability p weighs a / (a + p)
PIECE = "##"  # key prefix of word-internal pieces in the vector table
MAX_PIECE = 24
# Non-English words the table lacks (German compounds and inflected forms above all): first the word
# less an inflectional ending, then a compound of two table words joined by a linking element, and
# only then the encoder's word pieces. Longest endings first; a stem or a compound part keeps
# MIN_PART letters or more.
ENDINGS = ("ungen", "ung", "ern", "ten", "en", "er", "es", "em", "et", "te", "st", "e", "n", "s", "t")
LINKS = ("es", "en", "s", "n", "")
MIN_PART = 3

# Lower-cased text -> words: everything but letters, digits and apostrophes becomes a space
# (str.translate + split is several times faster than a regular expression).
_SPLIT = str.maketrans({c: " " for c in map(chr, range(0x3000)) if not (c.isalnum() or c == "'")} | {"’": "'"})
# For the word vectors apostrophes split too ("l'hôpital" -> "l", "hôpital").
_VECTOR_SPLIT = str.maketrans({c: " " for c in map(chr, range(0x3000)) if not c.isalnum()})
# English function words: kept out of the English head's terms so that word pairs carry content.
STOPWORDS = frozenset(
    "a an the and or but if of to in on at by for with from as is are was were be been being it its this "
    "that these those he she they we you i his her their our your my me him them us not no so than then "
    "there here has have had do does did will would can could should may might must also said says say "
    "which who whom what when where why how all any some more most other such only own same just about "
    "into over after before between under again further once up down out off very s t".split())


@functools.lru_cache(maxsize=1 << 16)
def _normal(tok: str) -> str:
    """A raw token as an English term; '' for function words and single letters."""
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


def lead(text: str) -> str:
    """The title and lead: the first LEAD_WORDS words of a text."""
    return " ".join(text[:MAX_CHARS].split(None, LEAD_WORDS)[:LEAD_WORDS])


def tokens(text: str) -> list[str]:
    """English terms of a text's title and lead: lower case, no function words, numbers as `#`."""
    return _words(lead(text))


def _pairs(words: list[str]) -> list[str]:
    return [f"{a} {b}" for a, b in zip(words, words[1:])]


def features(text: str) -> list[str]:
    """Unigrams and adjacent pairs: the English head's term names for a text."""
    words = tokens(text)
    return words + _pairs(words)


def vector_words(text: str) -> list[str]:
    """Words of a text's head as the word-vector table sees them: lower case, letters only."""
    return [w for w in text[:MAX_CHARS].lower().translate(_VECTOR_SPLIT).split() if w.isalpha()]


def sif_weights(logprob: np.ndarray) -> np.ndarray:
    return (SIF_A / (SIF_A + np.exp(logprob.astype(np.float64)))).astype(np.float32)


class WordVectors:
    """The distilled table: `rows(words)` -> (row ids, weights) of the words' entries, with words
    the table lacks cut into word pieces (each piece weighs its word's weight over the pieces)."""

    def __init__(self, words: list[str], vectors: np.ndarray, weights: np.ndarray, scale: Optional[np.ndarray] = None):
        self.index = {w: i for i, w in enumerate(words)}
        # int8 rows with one scale per dimension (as shipped): a story's rows are gathered from a
        # table a quarter the size of float32 ones (13 MB, not 53), which is most of the mean's cost.
        self.vectors = vectors if scale is not None else vectors.astype(np.float32)
        self.scale = None if scale is None else np.asarray(scale, np.float32)
        self.weights = weights.astype(np.float32)
        self.rare = float(self.weights.max()) if len(self.weights) else 1.0
        self._segment = functools.lru_cache(maxsize=1 << 18)(self._pieces)
        self._split = functools.lru_cache(maxsize=1 << 18)(self._parts)

    def _pieces(self, word: str) -> tuple[int, ...]:
        """Greedy longest-match pieces of a word not in the table (the first a whole-word piece)."""
        if word in self.index:
            return (self.index[word],)
        out, start = [], 0
        while start < len(word):
            for end in range(min(len(word), start + MAX_PIECE), start, -1):
                key = word[start:end] if start == 0 else PIECE + word[start:end]
                i = self.index.get(key)
                if i is not None:
                    out.append(i)
                    start = end
                    break
            else:
                start += 1  # a letter no piece starts with: skip it
        return tuple(out)

    def _stem(self, word: str) -> Optional[int]:
        """The table entry of a word, or of the word less an inflectional ending ("experten" ->
        "experte", "verpasster" -> "verpasst")."""
        i = self.index.get(word)
        if i is not None or len(word) < MIN_PART + 2:
            return i
        for ending in ENDINGS:
            if word.endswith(ending) and len(word) - len(ending) > MIN_PART:
                i = self.index.get(word[:-len(ending)])
                if i is not None:
                    return i
        return None

    def _parts(self, word: str) -> tuple[int, ...]:
        """Entries for a word of a language other than English: the word or its stem (`_stem`); else
        a compound of two table words, the longest head first, with a linking element
        ("bootsunglück" -> boot|s|unglück, "außenministerin" -> außen|ministerin); else word pieces."""
        i = self._stem(word)
        if i is not None:
            return (i,)
        for cut in range(MIN_PART, len(word) - MIN_PART + 1):
            head = self._stem(word[cut:])
            if head is None:
                continue
            left = word[:cut]
            for link in LINKS:
                stem = left[:len(left) - len(link)] if link else left
                if left.endswith(link) and len(stem) >= MIN_PART and stem in self.index:
                    return self.index[stem], head
        return self._segment(word)

    def mean(self, words: list[str], compounds: bool = False) -> Optional[np.ndarray]:
        """Unit-length SIF-weighted mean vector of the words; None when none is known. With
        `compounds` (text in a language other than English) a word the table lacks is looked up
        by its stem and as a compound (`_parts`) before it is cut into word pieces."""
        found = list(map(self.index.get, words))
        ids = [i for i in found if i is not None]  # words with one entry: they weigh that entry's weight
        piece_ids: list[int] = []  # pieces of words cut up: each weighs a rare word's weight over its pieces
        piece_weights: list[float] = []
        segment = self._split if compounds else self._segment
        for word in [w for w, i in zip(words, found) if i is None]:  # the table lacks these
            pieces = segment(word)
            if len(pieces) == 1:
                ids.append(pieces[0])
            elif pieces:
                piece_ids.extend(pieces)
                piece_weights.extend([self.rare / len(pieces)] * len(pieces))
        if not ids and not piece_ids:
            return None
        vector = self.weights[ids] @ self.vectors[ids].astype(np.float32)
        if piece_ids:
            vector += np.asarray(piece_weights, np.float32) @ self.vectors[piece_ids].astype(np.float32)
        if self.scale is not None:
            vector *= self.scale
        norm = float(np.linalg.norm(vector))
        return vector / norm if norm > 0 else None


class TopicModel:
    """The shipped arrays with the scoring rule; `predict` is the whole run-time cost."""

    def __init__(self, classes: list[str], table: WordVectors, vocabulary: list[str], idf: np.ndarray,
                 coef: np.ndarray, dense_en: np.ndarray, intercept_en: np.ndarray,
                 dense_xx: np.ndarray, intercept_xx: np.ndarray, temperature: tuple[float, float] = (1.0, 1.0),
                 threshold: tuple[float, float] = (0.0, 0.0), article: Optional[dict] = None):
        self.classes = list(classes)
        self.table = table
        self.index = {term: i for i, term in enumerate(vocabulary)}
        self.idf = idf.astype(np.float32)
        self.coef_t = np.ascontiguousarray(coef.astype(np.float32).T)  # (terms, classes)
        self.dense = {"en": dense_en.astype(np.float32), "xx": dense_xx.astype(np.float32)}
        self.intercept = {"en": intercept_en.astype(np.float32), "xx": intercept_xx.astype(np.float32)}
        self.temperature = {"en": float(temperature[0]), "xx": float(temperature[1])}
        self.threshold = {"en": float(threshold[0]), "xx": float(threshold[1])}
        # The article expert: {"classes": class indices, "vocabulary", "idf", "coef": (classes,
        # terms), "intercept", "weight": its decision values' weight next to the head's}; None: none.
        # Its terms are binary tf-idf, so a text's votes are one gather and sum over `rows` (each
        # known term's idf x weights, then its idf squared for the length): no counting.
        self.article = None
        if article is not None:
            idf = np.asarray(article["idf"], np.float32)[:, None]
            self.article = {"classes": np.asarray(article["classes"], np.int64),
                            "members": frozenset(np.asarray(article["classes"]).tolist()),
                            "index": {term: i for i, term in enumerate(article["vocabulary"])},
                            "rows": np.ascontiguousarray(np.hstack(
                                [idf * np.asarray(article["coef"], np.float32).T, idf * idf])),
                            "intercept": np.asarray(article["intercept"], np.float32),
                            "weight": float(article["weight"])}

    def _article_rerank(self, words: list[str], logits: np.ndarray) -> np.ndarray:
        """A full article whose best class is one of the expert's: the expert's classes are ranked
        by the English head's values plus the expert's (times its weight), and the new winner swaps
        values with the old one, so the head's score (and its calibration) stays with the winner.
        `words` are the article's words as the mean vector read them (no second tokenisation)."""
        expert = self.article
        best = int(logits.argmax())
        if len(words) <= ARTICLE_WORDS or best not in expert["members"]:
            return logits
        # Each word once (binary tf), in text order: a set's order changes with the process's hash
        # seed, and with it the float sum's last bits (a tie could then go either way between runs).
        found = [i for i in map(expert["index"].get, dict.fromkeys(words)) if i is not None]
        if not found:
            return logits
        sums = expert["rows"][found].sum(axis=0)
        votes = expert["intercept"] + sums[:-1] / np.sqrt(sums[-1])
        classes = expert["classes"]
        winner = int(classes[int(np.argmax(logits[classes] + expert["weight"] * votes))])
        if winner != best:
            logits = logits.copy()
            logits[best], logits[winner] = logits[winner], logits[best]
        return logits

    @staticmethod
    def head(language: Optional[str]) -> str:
        return "en" if language in (None, "en") else "xx"

    def decision(self, text: str, language: Optional[str] = "en") -> Optional[np.ndarray]:
        """Decision values per class of the language's head, None when no word is known."""
        head = self.head(language)
        words = vector_words(text)
        mean = self.table.mean(words, compounds=head == "xx")
        logits = self.intercept[head].copy()
        known = mean is not None
        if known:
            logits += mean @ self.dense[head]
        if head == "en":
            found = [i for i in map(self.index.get, features(text)) if i is not None]
            if found:
                known = True
                ids, tf = np.unique(np.array(found, dtype=np.int64), return_counts=True)
                values = (1.0 + np.log(tf.astype(np.float32))) * self.idf[ids]
                values /= np.linalg.norm(values) or 1.0
                logits += values @ self.coef_t[ids]
            if known and self.article is not None:
                logits = self._article_rerank(words, logits)
        return logits if known else None

    def probabilities(self, text: str, language: Optional[str] = "en") -> Optional[np.ndarray]:
        logits = self.decision(text, language)
        if logits is None:
            return None
        logits = logits * self.temperature[self.head(language)]
        logits -= logits.max()
        probs = np.exp(logits)
        return probs / probs.sum()

    def predict(self, text: str, language: Optional[str] = "en") -> tuple[str, float]:
        """(slug, score) before the `unknown` threshold; `unknown` only when nothing is known."""
        probs = self.probabilities(text, language)
        if probs is None:
            return UNKNOWN, 0.0
        best = int(probs.argmax())
        return self.classes[best], float(probs[best])

    def classify(self, text: str, language: Optional[str] = "en") -> str:
        slug, score = self.predict(text, language)
        return slug if score >= self.threshold[self.head(language)] else UNKNOWN


def load_model(path=None) -> TopicModel:
    source = path or resources.files("transforms") / "data" / "topic_model.npz"
    with source.open("rb") if hasattr(source, "open") and not isinstance(source, str) else open(source, "rb") as fh:
        data = np.load(fh, allow_pickle=False)
        table = WordVectors(str(data["vector_words"]).split("\n"), data["vectors"],
                            sif_weights(data["vector_logprob"]), scale=data["vector_scale"])
        return TopicModel(
            classes=str(data["classes"]).split("\n"), table=table,
            vocabulary=str(data["vocabulary"]).split("\n"), idf=data["idf"], coef=data["coef"],
            dense_en=data["dense_en"], intercept_en=data["intercept_en"],
            dense_xx=data["dense_xx"], intercept_xx=data["intercept_xx"],
            temperature=tuple(data["temperature"].tolist()), threshold=tuple(data["threshold"].tolist()),
            article={"classes": data["article_classes"], "vocabulary": str(data["article_vocabulary"]).split("\n"),
                     "idf": data["article_idf"], "coef": data["article_coef"],
                     "intercept": data["article_intercept"], "weight": float(data["article_weight"])}
            if "article_coef" in data.files else None)


@functools.lru_cache(maxsize=1)
def get_model() -> TopicModel:
    """The shipped model, loaded once per process (Beam: in `DoFn.setup`)."""
    return load_model()


def classify_topic(text: str, language: Optional[str] = "en") -> tuple[str, Optional[str], float]:
    """(IPTC slug, `medtop:` code or None for unknown, score 0..1) of an article's text in any
    language the model reads (`language`: ISO 639-1 code or None; anything but English uses the
    multilingual head; a language outside MODEL_LANGUAGES gets `unknown`)."""
    if len(text.split(None, MIN_WORDS)) < MIN_WORDS or (language is not None and language not in MODEL_LANGUAGES):
        return UNKNOWN, None, 0.0
    model = get_model()
    slug, score = model.predict(text, language)
    if slug == UNKNOWN or score < model.threshold[model.head(language)]:
        return UNKNOWN, None, score
    return slug, TOPICS[slug], score
