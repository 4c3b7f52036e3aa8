"""`make eval` / dedup: near-duplicate detection on the syndication benchmark and the BBC corpus.

Reports, at the default settings (`DedupOptions()`), through the Beam `Dedup` composite:
1. syndication benchmark (`bench/syndication.py`): pairwise precision / recall / F1 of the
   clusters (every pair of records in one cluster vs every pair of copies of one story);
   bar: F1 >= 0.97 with precision >= 0.98; and how many records the in-memory twin of the
   composite (`transforms.dedup.decide`, the benchmark floor's dedup) decides differently (0);
2. the same on a stress variant (another seed, copies trimmed by up to 70% instead of 40%), and
   a parameter sweep of shingle size x bands x rows x threshold x containment on both, with the
   in-memory core (`transforms.minhash`), which is how the defaults were chosen;
3. BBC News: byte-identical files must share a cluster; same-title pairs with different bodies
   are listed with their estimated similarity and whether they were folded (those not folded are
   the pairs judged to be different stories);
4. cross-run: two runs with `--dedup-index` (run 1: originals and first copies, run 2: the later
   copies) give the same articles and clusters as one run over all of it.
Skips (and says so) when `../shared/data` is absent.
"""

from __future__ import annotations

import collections
import datetime as dt
import glob
import hashlib
import itertools
import json
import os
import tempfile
import time
from pathlib import Path

from bench import syndication
from transforms.clean import clean_article
from transforms.dedup import Dedup, DedupOptions
from transforms.minhash import MinHasher, MinHashParams, estimate_jaccard, near_duplicate_clusters
from transforms.model import UTC, Article
from transforms.parse import RawRecord, parse_record

READ_AT = dt.datetime(2024, 1, 1, tzinfo=UTC)


def load_articles(paths: list[str]) -> list[Article]:
    """Raw files -> cleaned articles, through the project's own parse and clean cores."""
    articles = []
    for path in paths:
        record = RawRecord(path, None, "text", Path(path).read_bytes(), None, READ_AT)
        articles.append(clean_article(parse_record(record)))
    return articles


def run_dedup(articles: list[Article], options: DedupOptions) -> dict[str, tuple]:
    """Beam `Dedup` on FnApiRunner -> source_uri -> (kind, id, cluster/canonical id, method, similarity)."""
    import apache_beam as beam
    from apache_beam.runners.portability.fn_api_runner import FnApiRunner

    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "rows.json"

        def row(r):
            if isinstance(r, Article):
                return (r.source_uri, "article", r.id, r.cluster_id, None, None)
            return (r.source_uri, "duplicate", r.id, r.canonical_id, r.method, float(r.similarity))

        with beam.Pipeline(runner=FnApiRunner()) as p:
            result = p | beam.Create(articles, reshuffle=False) | Dedup(options)
            ((result["articles"], result["duplicates"]) | beam.Flatten() | beam.Map(row)
             | beam.combiners.ToList() | beam.Map(lambda rows: out.write_text(json.dumps(rows))))
        return {r[0]: tuple(r[1:]) for r in json.loads(out.read_text())}


def differing_from_memory(articles: list[Article], rows: dict[str, tuple], options: DedupOptions) -> int:
    """Records whose Beam outcome differs from the in-memory twin's (`transforms.dedup.decide`)."""
    from transforms.dedup import decide, dedup_key

    hasher = MinHasher(options.minhash())
    table = decide([dedup_key(a, hasher) for a in articles], options.minhash())
    differing = 0
    for a in articles:
        decision, row = table.get(a.source_uri), rows[a.source_uri]
        if decision is None or decision.canonical_id is None:
            differing += row[0] != "article"
        else:
            differing += row[1:] != (a.id, decision.canonical_id, decision.method, float(decision.similarity))
    return differing


def pairs(groups) -> set[tuple[str, str]]:
    out = set()
    for group in groups:
        out.update(itertools.combinations(sorted(group), 2))
    return out


def clusters_of(rows: dict[str, tuple]) -> list[list[str]]:
    by_cluster = collections.defaultdict(list)
    for uri, (_, _, cluster, _, _) in rows.items():
        by_cluster[cluster].append(uri)
    return list(by_cluster.values())


def scores(predicted: set, truth: set) -> dict:
    tp = len(predicted & truth)
    precision = tp / len(predicted) if predicted else 1.0
    recall = tp / len(truth) if truth else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": round(precision, 4), "recall": round(recall, 4), "f1": round(f1, 4),
            "true_pairs": len(truth), "predicted_pairs": len(predicted), "true_positive_pairs": tp}


def syndication_eval(options: DedupOptions, **variant) -> tuple[dict, list[Article], dict]:
    labels = syndication.build(**variant)
    folder = variant.get("out_dir", syndication.CORPUS / "syndication")
    names = sorted(labels["files"])
    articles = load_articles([str(folder / n) for n in names])
    story_of = {str(folder / n): labels["files"][n] for n in names}
    truth = pairs(g for g in _groups(story_of).values())
    started = time.perf_counter()
    rows = run_dedup(articles, options)
    seconds = time.perf_counter() - started
    predicted = pairs(clusters_of(rows))
    result = scores(predicted, truth)
    result.update(files=len(names), stories=len(set(story_of.values())), beam_seconds=round(seconds, 1),
                  corpus_stats=labels["stats"], beam_vs_memory_differing=differing_from_memory(articles, rows, options))
    wrong = sorted(predicted - truth)[:10]
    missed = sorted(truth - predicted)[:10]
    result["examples_false_pairs"] = [[os.path.basename(a), os.path.basename(b)] for a, b in wrong]
    result["examples_missed_pairs"] = [[os.path.basename(a), os.path.basename(b)] for a, b in missed]
    return result, articles, story_of


def _groups(story_of: dict[str, str]) -> dict[str, list[str]]:
    groups = collections.defaultdict(list)
    for uri, story in story_of.items():
        groups[story].append(uri)
    return groups


OFF = 1.01  # a containment above 1 turns that rule off
SWEEP = [(k, b, r, t, c) for k in (3, 5, 7) for b, r in ((32, 4), (42, 3)) for t in (0.4, 0.5, 0.6)
         for c in (OFF, 0.8)]


def sweep(articles: list[Article], story_of: dict[str, str], settings=None) -> list[dict]:
    """In-memory core over the same articles (exact copies first folded by content hash)."""
    truth = pairs(_groups(story_of).values())
    by_hash = collections.defaultdict(list)
    for a in articles:
        by_hash[a.content_hash].append(a.source_uri)
    representative = {min(group): group for group in by_hash.values()}
    bodies = {a.source_uri: a.body for a in articles if a.source_uri in representative}
    rows = []
    for k, b, r, t, c in settings or SWEEP:
        clusters = near_duplicate_clusters(bodies, MinHashParams(shingle_size=k, bands=b, rows=r, threshold=t,
                                                                 containment=c))
        clustered = {u for c in clusters for u in c}
        groups = [[m for u in c for m in representative[u]] for c in clusters]
        groups += [g for u, g in representative.items() if u not in clustered]
        rows.append({"shingle_size": k, "bands": b, "rows": r, "threshold": t, "containment": c,
                     **scores(pairs(groups), truth)})
    return rows


def bbc_eval(options: DedupOptions) -> dict:
    files = sorted(glob.glob(str(syndication.DATA / "bbc" / "*" / "*.txt")))
    articles = load_articles(files)
    rows = run_dedup(articles, options)
    cluster = {uri: r[2] for uri, r in rows.items()}
    by_bytes = collections.defaultdict(list)
    titles = collections.defaultdict(list)
    for path in files:
        data = Path(path).read_bytes()
        by_bytes[hashlib.sha256(data).hexdigest()].append(path)
        titles[data.split(b"\n", 1)[0].strip().decode("latin-1")].append(path)
    identical = [g for g in by_bytes.values() if len(g) > 1]
    identical_found = sum(1 for g in identical if len({cluster[p] for p in g}) == 1)
    hasher = MinHasher(options.minhash())
    body = {a.source_uri: a.body for a in articles}
    same_title = []
    for title, group in sorted(titles.items()):
        distinct = {}
        for path in group:
            distinct.setdefault(hashlib.sha256(Path(path).read_bytes()).hexdigest(), path)
        for a, b in itertools.combinations(sorted(distinct.values()), 2):
            sim = estimate_jaccard(hasher.signature(body[a]), hasher.signature(body[b]))
            same_title.append({"title": title, "a": _rel(a), "b": _rel(b), "similarity": round(sim, 3),
                               "folded": cluster[a] == cluster[b]})
    different = [p for p in same_title if not p["folded"]]
    dups = [r for r in rows.values() if r[0] == "duplicate"]
    return {
        "files": len(files),
        "byte_identical_groups": len(identical), "byte_identical_groups_found": identical_found,
        "same_title_pairs_with_different_bytes": len(same_title),
        "same_title_pairs_folded": len(same_title) - len(different),
        "same_title_pairs_judged_different_stories": different,
        "duplicates": {"exact": sum(1 for r in dups if r[3] == "exact"), "near": sum(1 for r in dups if r[3] == "near")},
        "near_pairs_with_different_titles": _near_other_titles(rows, articles),
    }


def _near_other_titles(rows, articles) -> int:
    title = {a.source_uri: a.title for a in articles}
    canonical_uri = {r[1]: uri for uri, r in rows.items() if r[0] == "article"}
    return sum(1 for uri, r in rows.items() if r[0] == "duplicate" and r[3] == "near"
               and title[uri] != title[canonical_uri[r[2]]])


def _rel(path: str) -> str:
    return os.path.relpath(path, syndication.DATA / "bbc")


def cross_run_eval(articles: list[Article], options: DedupOptions) -> dict:
    """Run 1: each story's original and first copy; run 2: the later copies (a scheduled job
    seeing the rest of the syndication a day later). Compared with one run over everything."""
    first_half = [a for a in articles if a.source_uri.endswith(("-0.txt", "-1.txt"))]
    second_half = [a for a in articles if not a.source_uri.endswith(("-0.txt", "-1.txt"))]
    whole = run_dedup(articles, options)
    with tempfile.TemporaryDirectory() as tmp:
        indexed = DedupOptions(**{**options.__dict__, "index": str(Path(tmp) / "index")})
        first = run_dedup(first_half, indexed)
        second = run_dedup(second_half, indexed)
    split = {**first, **second}

    def key(rows):
        return {u: (r[0], r[1], r[2]) for u, r in rows.items()}  # kind, id, cluster id

    whole_k, split_k = key(whole), key(split)
    differing = sorted(u for u in whole_k if whole_k[u] != split_k.get(u))
    first_ids = {r[1] for r in first.values()}
    return {"records": len(articles), "first_run": len(first_half), "second_run": len(second_half),
            "equal": not differing, "differing_records": len(differing),
            "examples": [os.path.basename(u) for u in differing[:5]],
            "second_run_duplicates_of_first_run": sum(
                1 for r in second.values() if r[0] == "duplicate" and r[2] in first_ids)}


def main() -> dict:
    if not (syndication.DATA / "bbc").is_dir() or not (syndication.DATA / "reuters21578").is_dir():
        print(f"dedup eval skipped: {syndication.DATA} (bbc/, reuters21578/) not found")
        return {"skipped": True}
    options = DedupOptions()
    print(f"settings: {options}")
    report: dict = {"settings": {k: v for k, v in options.__dict__.items() if k != "index"}}

    synd, articles, story_of = syndication_eval(options)
    report["syndication"] = synd
    bar = synd["f1"] >= 0.97 and synd["precision"] >= 0.98
    report["syndication"]["bar_met"] = bar
    print(f"\nsyndication benchmark: {synd['files']} files, {synd['stories']} stories "
          f"({synd['corpus_stats']['hard_negative_originals']} originals in same-title Reuters groups)")
    print(f"  pairwise precision {synd['precision']:.4f}  recall {synd['recall']:.4f}  F1 {synd['f1']:.4f}  "
          f"(true pairs {synd['true_pairs']}, predicted {synd['predicted_pairs']})  "
          f"bar F1>=0.97 & P>=0.98: {'met' if bar else 'NOT met'}  [{synd['beam_seconds']} s on Beam]")
    print(f"  records decided differently by the in-memory twin (transforms.dedup.decide): "
          f"{synd['beam_vs_memory_differing']}")
    if synd["examples_false_pairs"]:
        print(f"  false pairs (first 10): {synd['examples_false_pairs']}")
    if synd["examples_missed_pairs"]:
        print(f"  missed pairs (first 10): {synd['examples_missed_pairs']}")

    stress, stress_articles, stress_story = syndication_eval(
        options, out_dir=syndication.CORPUS / "syndication-trim70", max_trim=0.7, seed=9)
    report["syndication_trim70"] = stress
    print(f"\nstress variant (other seed, copies trimmed by up to 70%): {stress['files']} files, "
          f"precision {stress['precision']:.4f}  recall {stress['recall']:.4f}  F1 {stress['f1']:.4f}  "
          f"(decided differently in memory: {stress['beam_vs_memory_differing']})")

    report["sweep"] = sweep(articles, story_of)
    report["sweep_trim70"] = sweep(stress_articles, stress_story)
    print(f"\nparameter sweep (in-memory core; containment {OFF} = rule off):")
    print("  k  bands x rows  threshold  containment   standard P / R / F1        trim70 P / R / F1")
    for row, hard in zip(report["sweep"], report["sweep_trim70"]):
        mark = " <- default" if (row["shingle_size"], row["bands"], row["rows"], row["threshold"],
                                 row["containment"]) == (options.shingle_size, options.bands, options.rows,
                                                         options.threshold, options.containment) else ""
        print(f"  {row['shingle_size']}  {row['bands']:>5} x {row['rows']:<4}  {row['threshold']:>9}  "
              f"{row['containment']:>11}   {row['precision']:.4f} {row['recall']:.4f} {row['f1']:.4f}"
              f"   {hard['precision']:.4f} {hard['recall']:.4f} {hard['f1']:.4f}{mark}")

    bbc = bbc_eval(options)
    report["bbc"] = bbc
    print(f"\nBBC: {bbc['files']} files; byte-identical groups found "
          f"{bbc['byte_identical_groups_found']}/{bbc['byte_identical_groups']}; duplicates {bbc['duplicates']}")
    print(f"  same-title pairs with different bytes: {bbc['same_title_pairs_with_different_bytes']}, "
          f"folded as the same story: {bbc['same_title_pairs_folded']}")
    print("  same-title pairs judged to be different stories (not folded: the text was rewritten, not copied;")
    print("  a syndication dedup keeps both):")
    for p in bbc["same_title_pairs_judged_different_stories"]:
        print(f"    {p['a']} vs {p['b']}  similarity {p['similarity']:.3f}  \"{p['title']}\"")
    print(f"  near duplicates whose title differs from their canonical's: {bbc['near_pairs_with_different_titles']}")

    cross = cross_run_eval(articles, options)
    report["cross_run"] = cross
    print(f"\ncross-run: runs of {cross['first_run']} then {cross['second_run']} records with --dedup-index "
          f"vs one run over {cross['records']}: "
          f"{'same articles and clusters' if cross['equal'] else str(cross['differing_records']) + ' records differ'}"
          f" ({cross['second_run_duplicates_of_first_run']} copies in run 2 folded into run-1 articles)")
    if cross["examples"]:
        print(f"  differing: {cross['examples']}")
    return report


if __name__ == "__main__":
    main()
