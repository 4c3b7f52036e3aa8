"""CPU per article of each part of enrichment, on bench articles as they reach the enrich stage.

`python -m bench.enrich_cost [--articles 3000] [--rounds 5]` generates (or reuses) the bench corpus,
parses and cleans it with the pipeline's own functions, loads the models, then times each part of
`enrich_article` over all articles and the whole of it, in rounds, in one process (on a shared
machine separate processes vary by a quarter; compare figures of one run, or the medians of
runs made side by side). Figures are process CPU time, in ms per article: min and median of the rounds.
"""

from __future__ import annotations

import argparse
import datetime as dt
import time
from typing import Callable, Optional

from bench.corpus import ensure_corpus
from transforms.clean import clean_article
from transforms.enrich import detect_language, enrich_article, load_models
from transforms.model import UTC, Article
from transforms.parse import parse_record, split_file
from transforms.places import find_places
from transforms.read import expand_input, read_file
from transforms.text import count_words
from transforms.topic import classify_topic


def bench_articles(n: int) -> list[Article]:
    """The corpus's JSON Lines records, parsed and cleaned (records that fail either are left out)."""
    corpus = ensure_corpus(n, ("jsonl",))
    read_at = dt.datetime(2024, 1, 1, tzinfo=UTC)  # fixed: the same articles every run
    articles = []
    for ref in sorted({r.uri: r for r in expand_input(str(corpus / "jsonl") + "/")}.values()):
        for record in split_file(read_file(ref), read_at):
            try:
                articles.append(clean_article(parse_record(record)))
            except Exception:  # noqa: BLE001 - dead letters in the pipeline; not enriched there either
                continue
    return articles


def parts(articles: list[Article]) -> dict[str, Callable[[], object]]:
    """Each part of `enrich_article` over all articles, with what it is given there."""
    texts = [f"{a.title}\n\n{a.body}" if a.title else a.body for a in articles]
    languages = [detect_language(t, a.hints.get("language"))[0] for t, a in zip(texts, articles)]
    enriched = [enrich_article(a) for a in articles]
    updates = [{name: getattr(e, name) for name in ("language", "language_score", "subjects", "topic", "topic_code",
                                                     "topic_score", "topic_source", "places", "word_count")}
               for e in enriched]
    return {
        "language": lambda: [detect_language(t, a.hints.get("language")) for t, a in zip(texts, articles)],
        "topic": lambda: [classify_topic(t, lang) for t, lang in zip(texts, languages)],
        "places": lambda: [find_places(a.title, a.body, lang) for a, lang in zip(articles, languages)],
        "word count": lambda: [count_words(a.body) for a in articles],
        "model_copy": lambda: [a.model_copy(update=u) for a, u in zip(articles, updates)],
        "enrich_article": lambda: [enrich_article(a) for a in articles],
    }


def main(argv: Optional[list[str]] = None) -> dict[str, tuple[float, float]]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args(argv)
    load_models()
    articles = bench_articles(args.articles)
    timed = parts(articles)
    seconds: dict[str, list[float]] = {name: [] for name in timed}
    for _ in range(args.rounds):
        for name, run in timed.items():
            started = time.process_time()
            run()
            seconds[name].append(time.process_time() - started)
    result = {}
    print(f"{len(articles)} articles, {args.rounds} rounds: CPU ms per article, min / median")
    for name, values in seconds.items():
        values = sorted(v * 1000 / len(articles) for v in values)
        result[name] = (values[0], values[len(values) // 2])
        print(f"  {name:15s} {values[0]:6.3f} / {values[len(values) // 2]:6.3f}")
    return result


if __name__ == "__main__":
    main()
