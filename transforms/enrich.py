"""Enrich: metadata that analysts filter and count by.

Runs after dedup, so only canonical articles pay for it. Every model ships inside the package
(no download at run time) and is loaded once per worker (`load_models`, from the writer's
setup). It sets:
- `language` (ISO 639-1) and `language_score`: py3langid, with scripts that name their language
  outright (Hangul, kana, Thai, Greek, Hebrew, Georgian, Armenian) decided by script, so short
  texts in them are right. A language the source declared is used only when the detector is unsure;
  unsure and with nothing declared, a major language close behind its first choice wins over a
  small one (short English headlines read as Nynorsk or Latin).
  The detector also knows some languages without an ISO 639-1 code: regional varieties become
  their macrolanguage (Egyptian Arabic `ar`, Cantonese `zh`), the others give way to the likeliest
  language that has one, and text without linguistic content (`zxx`: checksums, code) gets only
  the language its source declares, if any.
- `subjects`: the subject codes the source gave (wire formats), as given.
- `topic`, `topic_code`, `topic_score`, `topic_source`: from the source's own IPTC subject codes when
  it gave any that map to a top level (`provided`, score 1.0, `transforms.subjects`); else the
  IPTC Media Topic classifier's (`model`, `transforms.topic`), `unknown` below its calibrated
  confidence.
- `places`: countries, regions and cities named in title and body (`transforms.places`).
- `dateline`: when clean did not find one (e.g. a parser hint arrived late), nothing is guessed
  here; clean splits datelines before dedup so copies that differ only in dateline still match.
- `word_count`, recounted on the final body.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections import Counter
from typing import Callable, Optional

import numpy as np
from py3langid.langid import LanguageIdentifier

from transforms.gazetteer import get_gazetteer
from transforms.model import Article
from transforms.places import find_places
from transforms.subjects import PROVIDED_SCORE, provided_topic
from transforms.text import count_words
from transforms.topic import classify_topic, get_model

LANGUAGE_SAMPLE_CHARS = 400  # py3langid costs ~1 ms per 1000 chars; 300, 400 and 600 gave the same
# language on all 181 extraction-benchmark bodies (8 languages) and 800 BBC stories
# Below this normalised probability the detector's answer is not trusted on its own.
LANGUAGE_MIN_SCORE = 0.5
# py3langid's codes without an ISO 639-1 code whose macrolanguage has one.
_MACROLANGUAGE = {"ary": "ar", "arz": "ar", "yue": "zh", "wuu": "zh", "uzs": "uz", "gug": "gn",
                  "hbo": "he", "grc": "el", "sdh": "ku"}
NO_LANGUAGE = "zxx"  # ISO 639-2 "no linguistic content"
# When the detector is unsure (below LANGUAGE_MIN_SCORE) and the source declares nothing, its first
# choice among ~200 languages is often a small one a short headline happens to fit ("Food for
# fungi" -> Nynorsk, "No escape for KRAS mutant tumors" -> Aragonese, "Qualcomm Declares Quarterly
# Cash Dividend" -> Latin, German headlines -> Luxembourgish). One of the 16 languages the topic
# encoder was trained on (Yang et al. 2019; 15 codes, the major languages of news on the web)
# then wins if the detector gives it at least UNSURE_RATIO of its first choice's probability.
# Titles of the hand-labelled sets (n=307): 287 -> 296 right, none lost; real pages and feeds
# (1,364 rows of ../shared/data/realworld): 6 English headlines mended, nothing right changed.
_MAJOR_LANGUAGES = frozenset("ar de en es fr it ja ko nl pl pt ru th tr zh".split())
UNSURE_RATIO = 0.3


@functools.lru_cache(maxsize=1)
def _identifier():
    return _FastIdentifier.load()


class _FastIdentifier(LanguageIdentifier):
    """py3langid's identifier and model, giving the same languages and the very same scores for
    less CPU (about half; tests/test_language.py pins the equality on the shipped model):

    - The model's feature weights ship as float16 and every text's rows of them were cast to
      float32 before the product; they are cast once at load instead (exact; +28 MB per worker).
    - The byte automaton that finds the model's features is walked in numpy rather than a byte at a
      time in Python. It is an Aho-Corasick automaton over byte strings of at most `window` bytes,
      so the state after any byte is the state reached from the start by the last `window` bytes
      alone: `window` vectorised steps over all positions give every state. The features are
      counted in order of first occurrence, as the library counts them (the order of the float
      sums, hence the last bits of the scores, follows it).

    It overrides `_raw_score` of py3langid 0.4 (pinned below 0.5); the tests compare it with the
    library's own identifier and check the automaton's shape, so a change there fails them.
    """

    __slots__ = ("_next", "_row_offsets", "_outputs", "_window")

    @classmethod
    def load(cls) -> "_FastIdentifier":
        from py3langid.langid import MODEL_DIR, MODEL_FILE
        from py3langid.modelio import load_model

        ptc, pc, classes, nextmove, row, output = load_model(MODEL_DIR / MODEL_FILE)
        identifier = cls(ptc.astype(np.float32), pc, classes, nextmove, output, norm_probs=True, tk_row=row)
        identifier._next = np.frombuffer(nextmove, dtype=f"u{nextmove.itemsize}")
        identifier._row_offsets = np.asarray(identifier._rowbase, dtype=np.intp)
        identifier._outputs = np.asarray(output, dtype=np.intp)
        identifier._window = int(identifier.depths().max())
        return identifier

    def depths(self) -> np.ndarray:
        """Each automaton state's depth: the length of the byte string it stands for."""
        depth = np.full(len(self._row_offsets), -1, dtype=np.intp)
        depth[0], frontier, level = 0, np.zeros(1, dtype=np.intp), 0
        while len(frontier):
            level += 1
            reached = np.zeros(len(depth), dtype=bool)
            for part in range(0, len(frontier), 4096):  # 4096 states x 256 bytes at a time: 8 MB, not 75
                reached[self._next[self._row_offsets[frontier[part:part + 4096], None] + np.arange(256)]] = True
            frontier = np.flatnonzero(reached & (depth < 0))
            depth[frontier] = level
        return depth

    def _visits(self, data: bytes) -> Optional[Counter]:
        """{feature: count}, in order of first occurrence, as `py3langid.langid.visit_counts`."""
        text = np.frombuffer(data, dtype=np.uint8)
        states = np.zeros(len(text), dtype=np.intp)
        for back in range(min(self._window, len(text)) - 1, -1, -1):
            # Each position takes one more byte of the window ending at it (positions nearer the
            # start than `back` have no byte that far back and stay at the start state).
            states[back:] = self._next[self._row_offsets[states[back:]] + text[:len(text) - back]]
        features = self._outputs[states]
        features = features[features >= 0]
        return Counter(features.tolist()) if len(features) else None

    def _raw_score(self, text):
        visits = self._visits(text) if isinstance(text, bytes) else None
        if not visits:  # featureless (or not bytes): the library's own answer
            return super()._raw_score(text)
        return self._sparse_score(visits, self.nb_ptc)


# Scripts used by one language only: the share of letters in them decides, whatever the length.
_SCRIPT_LANGUAGES = {"HANGUL": "ko", "HIRAGANA": "ja", "KATAKANA": "ja", "THAI": "th", "GREEK": "el",
                     "HEBREW": "he", "GEORGIAN": "ka", "ARMENIAN": "hy"}
SCRIPT_SHARE = 0.3
_FIRST_SCRIPT_CHAR = "\u0370"  # Greek, the first of those scripts in code point order
_THREE_LETTERS = re.compile(r"[^\W\d_](?:.*?[^\W\d_]){2}", re.S)


def _script_language(sample: str) -> Optional[str]:
    sample = sample[:1000]
    if sample.isascii():  # the common case: no letter of those scripts can be in it
        return None
    letters = 0
    counts: dict[str, int] = {}
    for ch in sample:
        if ch.isalpha():
            letters += 1
            if ch < _FIRST_SCRIPT_CHAR:  # Latin letters: none of the scripts above
                continue
            script = unicodedata.name(ch, "").split(" ", 1)[0]
            lang = _SCRIPT_LANGUAGES.get(script)
            if lang:
                counts[lang] = counts.get(lang, 0) + 1
    if not counts or not letters:
        return None
    lang, n = max(counts.items(), key=lambda kv: kv[1])
    # Japanese text is mostly kanji with some kana; any real share of kana means Japanese.
    needed = 0.05 if lang == "ja" else SCRIPT_SHARE
    return lang if n / letters >= needed else None


def detect_language(text: str, declared: Optional[str] = None) -> tuple[Optional[str], Optional[float]]:
    """(ISO 639-1 code, score in 0..1) of a text; (None, None) when there is nothing to detect."""
    sample = text[:LANGUAGE_SAMPLE_CHARS]
    if not _THREE_LETTERS.search(sample):
        return None, None
    by_script = _script_language(sample)
    if by_script:
        return by_script, 1.0
    code, score = _identifier().classify(sample)
    ranked = functools.cache(lambda: _identifier().rank(sample))  # every language, likeliest first: at most once
    if code == NO_LANGUAGE:  # nothing to go by but what the source declares
        code, score = None, 0.0
    elif len(code) != 2:
        code = _MACROLANGUAGE.get(code) or code
    if code and len(code) != 2:  # a language without a 639-1 code (Nigerian Pidgin, Bikol...): the next likeliest
        code, score = next(((c, p) for c, p in ranked() if len(c) == 2), (None, 0.0))
    declared_code = (declared or "").strip().lower().replace("_", "-").split("-")[0]
    if score < LANGUAGE_MIN_SCORE and len(declared_code) == 2 and declared_code.isalpha():
        return declared_code, float(score)
    if code and score < LANGUAGE_MIN_SCORE and code not in _MAJOR_LANGUAGES:
        code, score = next(((c, p) for c, p in ranked()[:5]
                            if p >= UNSURE_RATIO * score and c in _MAJOR_LANGUAGES), (code, score))
    return code, (float(score) if code else None)


def enrich_article(article: Article) -> Article:
    """An article with language, subjects, topic and places set (and word count recounted)."""
    text = f"{article.title}\n\n{article.body}" if article.title else article.body
    language, score = detect_language(text, article.hints.get("language"))
    subjects = article.subjects or article.hints.get("subjects", "").split()
    provided = provided_topic(subjects)
    if provided:
        (topic, topic_code), topic_score, source = provided, PROVIDED_SCORE, "provided"
    else:
        (topic, topic_code, topic_score), source = classify_topic(text, language), "model"
    return article.model_copy(update={
        "language": language,
        "language_score": score,
        "subjects": subjects,
        "topic": topic,
        "topic_code": topic_code,
        "topic_score": topic_score,
        "topic_source": source,
        "places": find_places(article.title, article.body, language, topic),
        # Clean counted the body it set; an article built elsewhere (no count yet) is counted here.
        "word_count": article.word_count or count_words(article.body),
    })


def load_models(on_loaded: Optional[Callable[[str], None]] = None) -> None:
    """Load every model now (once per worker), not on the first article; `on_loaded(name)` after
    each (a live progress display shows them: each takes a second or more)."""
    for name, load in (("language identifier", _identifier), ("topic model", get_model), ("gazetteer", get_gazetteer)):
        load()
        if on_loaded is not None:
            on_loaded(name)
