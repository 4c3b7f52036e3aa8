"""Dedup: fold copies of an article into one canonical article.

What counts as a copy (exact dedup):
- two records with the same `id` (the same canonical URL, or the same source file read twice);
- two records with the same `content_hash` (the same body once case, punctuation, whitespace
  and site furniture are ignored).

Which copy is canonical is decided by `canonical_rank`, an order-independent rule, so the answer
does not depend on runner, bundling or worker count:
  1. the earliest `published_at` (articles with a time before those without);
  2. then the richest metadata (title, URL, authors present);
  3. then the smallest `source_uri` (byte order).

Only small keys cross the shuffles (`DedupKey`: ids, hashes, the rank and the ids of folded
copies); bodies stay where they are and the decisions are applied to them from a side input that
holds one entry per copy and per canonical article that has copies.
"""

from __future__ import annotations

from typing import Iterable, NamedTuple, Optional

import apache_beam as beam
from apache_beam import pvalue
from apache_beam.metrics import Metrics

from transforms.model import Article, Duplicate


class Member(NamedTuple):
    record_key: str  # the copy's source_uri: unique per input record
    id: str
    method: str  # "exact" or "near"
    similarity: float


class DedupKey(NamedTuple):
    record_key: str
    id: str
    content_hash: str
    rank: tuple
    members: tuple  # Members folded into this article so far


def canonical_rank(article: Article) -> tuple:
    """Smaller is more canonical; see the module docstring for the rule."""
    published = article.published_at.isoformat() if article.published_at else ""
    richness = (article.title is not None) + (article.url is not None) + bool(article.authors)
    return (article.published_at is None, published, -richness, article.source_uri)


def dedup_key(article: Article) -> DedupKey:
    return DedupKey(article.source_uri, article.id, article.content_hash, canonical_rank(article), ())


def fold_group(keys: Iterable[DedupKey], method: str = "exact", similarity: float = 1.0) -> DedupKey:
    """A group of copies -> its canonical key, carrying every other copy (and theirs) as members."""
    ordered = sorted(keys, key=lambda k: k.rank)
    canonical, others = ordered[0], ordered[1:]
    members = list(canonical.members)
    for other in others:
        members.append(Member(other.record_key, other.id, method, similarity))
        members.extend(other.members)
    return canonical._replace(members=tuple(members))


class Decision(NamedTuple):
    canonical_id: Optional[str]  # set for a copy: the article it folds into
    method: Optional[str]
    similarity: Optional[float]
    duplicate_count: int  # set for a canonical article: copies folded into it


def decisions(key: DedupKey) -> Iterable[tuple[str, Decision]]:
    """The side-input entries of one surviving key: one for it, one per copy it absorbed."""
    if not key.members:
        return
    yield key.record_key, Decision(None, None, None, len(key.members))
    for member in key.members:
        yield member.record_key, Decision(key.id, member.method, member.similarity, 0)


def apply_decision(article: Article, decision: Optional[Decision]) -> tuple[str, object]:
    """('article', Article) for a canonical or lone article, ('duplicate', Duplicate) for a copy."""
    if decision is None:
        return "article", article.model_copy(update={"cluster_id": article.id, "duplicate_count": 0})
    if decision.canonical_id is None:
        return "article", article.model_copy(
            update={"cluster_id": article.id, "duplicate_count": decision.duplicate_count}
        )
    return "duplicate", Duplicate(
        id=article.id,
        canonical_id=decision.canonical_id,
        method=decision.method,
        similarity=decision.similarity,
        source_uri=article.source_uri,
        url=article.url,
        title=article.title,
        published_at=article.published_at,
        ingested_at=article.ingested_at,
        date=article.date,
    )


class _FoldFn(beam.DoFn):
    def setup(self):
        self.copies = Metrics.counter("newsbeam", "duplicates")

    def process(self, article: Article, table: dict):
        kind, row = apply_decision(article, table.get(article.source_uri))
        if kind == "duplicate":
            self.copies.inc()
            yield pvalue.TaggedOutput("duplicates", row)
        else:
            yield row


class _FoldBy(beam.PTransform):
    """Group keys by one attribute and fold each group into its canonical key."""

    def __init__(self, attribute: str):
        super().__init__()
        self.attribute = attribute

    def expand(self, keys):
        attribute = self.attribute
        return (
            keys
            | "KeyBy" >> beam.Map(lambda k: (getattr(k, attribute), k))
            | "Group" >> beam.GroupByKey()
            | "Fold" >> beam.MapTuple(lambda _, group: fold_group(group))
        )


class ExactDedup(beam.PTransform):
    """Articles -> {'articles': canonical and lone articles, 'duplicates': Duplicate rows}.

    Copies are records with the same id or the same content hash (module docstring); every input
    article comes out exactly once, either as an article or as a duplicate row. Cost: two
    shuffles of `DedupKey`s (~200 bytes each) and a side input with one entry per copy and per
    article that has copies.
    """

    def expand(self, articles):
        survivors = (
            articles
            | "Keys" >> beam.Map(dedup_key)
            | "SameId" >> _FoldBy("id")
            | "SameContent" >> _FoldBy("content_hash")
        )
        table = survivors | "Decisions" >> beam.FlatMap(decisions)
        folded = articles | "Fold" >> beam.ParDo(_FoldFn(), table=beam.pvalue.AsDict(table)).with_outputs(
            "duplicates", main="articles"
        )
        return {
            "articles": folded.articles | "Articles" >> beam.Map(lambda a: a).with_output_types(Article),
            "duplicates": folded.duplicates | "Duplicates" >> beam.Map(lambda d: d).with_output_types(Duplicate),
        }
