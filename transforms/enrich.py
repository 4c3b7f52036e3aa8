"""Enrich: metadata that analysts filter and count by.

Runs after dedup, so only canonical articles pay for it. What it sets today:
- `language` (ISO 639-1) and `language_score` from py3langid, whose model ships inside the
  package (no download at run time). A language the source declared is used only when the
  detector is unsure.
- `word_count`, recounted on the final body.

Not yet (their own issue): `topic` stays `unknown`, `dateline` null and `places` empty; nothing
here guesses them.
"""

from __future__ import annotations

import functools
from typing import Optional

import apache_beam as beam

from transforms.model import Article
from transforms.text import count_words

LANGUAGE_SAMPLE_CHARS = 3000
# Below this normalised probability the detector's answer is not trusted on its own.
LANGUAGE_MIN_SCORE = 0.5


@functools.lru_cache(maxsize=1)
def _identifier():
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def detect_language(text: str, declared: Optional[str] = None) -> tuple[Optional[str], Optional[float]]:
    """(ISO 639-1 code, score in 0..1) of a text; (None, None) when there is nothing to detect."""
    sample = text[:LANGUAGE_SAMPLE_CHARS]
    if sum(ch.isalpha() for ch in sample) < 3:
        return None, None
    code, score = _identifier().classify(sample)
    declared_code = (declared or "").strip().lower().replace("_", "-").split("-")[0]
    if score < LANGUAGE_MIN_SCORE and len(declared_code) == 2 and declared_code.isalpha():
        return declared_code, float(score)
    return code, float(score)


def enrich_article(article: Article) -> Article:
    text = f"{article.title}\n\n{article.body}" if article.title else article.body
    language, score = detect_language(text, article.hints.get("language"))
    return article.model_copy(update={
        "language": language,
        "language_score": score,
        "word_count": count_words(article.body),
    })


class EnrichFn(beam.DoFn):
    def setup(self):
        _identifier()  # load the model once per worker, not on the first element

    def process(self, article: Article):
        yield enrich_article(article)
