"""`newsbeam report OUT [--html FILE]`: what a run produced, as text and as one HTML page.

`collect(OUT)` reads the three tables and the run manifests of any output the pipeline writes
(any fsspec URL: DuckDB scans each table once, reading only the columns a figure needs, natively
for local folders and through the fsspec filesystem otherwise) into one plain dict of figures. `text()`
prints the key figures; `html()` writes a self-contained page: the figures are embedded as JSON
and drawn as SVG by a small script inside the page, so it opens with no network, and every value
taken from the data reaches the page as text (`textContent`), never as markup.

Charts: articles per day (per week, month or year when the dates span longer) stacked by topic;
topics; languages; top dateline cities; sites; the largest syndication clusters (story title,
copies, sites, first seen); dead letters by stage and reason with an example each; and the runs
under `_runs/`.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import html as html_lib
import json
import re
import sys
import threading
import time
from importlib import resources
from typing import Callable, Optional

import duckdb
import fsspec
import pyarrow as pa
from fsspec.implementations.local import LocalFileSystem

TOP = 20  # rows in the sites, cities and languages charts
CLUSTERS = 25  # largest syndication clusters listed
REASONS = 30  # dead-letter reasons listed (each with an example)
RUNS = 200  # newest run manifests shown
EXAMPLE_CHARS = 300  # of a dead letter's message and raw excerpt
POLL = 0.25  # seconds between two looks at a running query's progress (`collect(on_step=…)`)
MAX_BUCKETS = 120  # bars in the articles-over-time chart before days become weeks, months, years

# Columns read per table: a report never loads article bodies.
_COLUMNS = {
    "articles": ["id", "source_uri", "title", "site", "url", "language", "published_at", "ingested_at", "dateline",
                 "duplicate_count"],
    "duplicates": ["canonical_id", "method", "url", "title", "published_at", "ingested_at"],
    "dead_letter": ["source_uri", "record_index", "stage", "error_type", "message", "raw_excerpt",
                    "ingested_at"],
}
_PARTITIONS = {"articles": ("date", "topic"), "duplicates": ("date",), "dead_letter": ("date",)}
# What the end-of-run summary needs (`collect(columns=SUMMARY_COLUMNS)`): the figures that need
# other columns (sites, cities, clusters) are left empty, and the scan reads much less.
SUMMARY_COLUMNS = {"articles": ["language", "ingested_at"], "duplicates": ["method", "ingested_at"],
                   "dead_letter": _COLUMNS["dead_letter"]}


def _root(output: str) -> tuple[fsspec.AbstractFileSystem, str]:
    return fsspec.core.url_to_fs(output.rstrip("/"))


def load_table(con: duckdb.DuckDBPyConnection, output: str, table: str, name: str,
               on_step: Optional[Callable[[str], None]] = None, columns: Optional[list[str]] = None) -> None:
    """Create temp table `name` from one table of an output: only the report's columns (or
    `columns`; those present; partition columns as strings), scanned once by DuckDB's Parquet
    reader; local outputs are read natively, any other fsspec URL through its fsspec filesystem."""
    fs, root = _root(output)
    folder = f"{root}/{table}"
    columns = (columns or _COLUMNS[table]) + list(_PARTITIONS[table])
    if not fs.exists(folder):  # nothing written yet: no rows, the table's own column types
        from transforms.model import TABLES, arrow_schema

        schema = arrow_schema(TABLES[table])
        empty = pa.Table.from_pylist([], pa.schema(
            [schema.field(c) for c in columns if c in schema.names]
            + [pa.field(p, pa.string()) for p in _PARTITIONS[table]]))
        con.register(f"{name}_empty", empty)
        con.execute(f"CREATE TEMP TABLE {name} AS SELECT * FROM {name}_empty")
        return
    if isinstance(fs, LocalFileSystem):
        url = f"{folder}/**/*.parquet"
    else:
        try:
            con.register_filesystem(fs)
        except duckdb.InvalidInputException:  # registered for an earlier table already
            pass
        url = f"{fs.unstrip_protocol(folder)}/**/*.parquet"
    pattern = "^(" + "|".join(columns) + ")$"
    scan = f"""CREATE TEMP TABLE {name} AS SELECT COLUMNS('{pattern}')
               FROM read_parquet(?, hive_partitioning = true, hive_types_autocast = false{{union}})"""
    with _reporting(con, on_step, f"reading {table}"):
        try:
            con.execute(scan.format(union=""), [url])
        except duckdb.Error:  # files written by versions with other columns: match them by name (slower)
            con.execute(scan.format(union=", union_by_name = true"), [url])


@contextlib.contextmanager
def _reporting(con: duckdb.DuckDBPyConnection, on_step: Optional[Callable[[str], None]], text: str):
    """While the block runs a query on `con`, `on_step(text)` once, then `on_step("text N%")`
    as DuckDB's own estimate of the query's progress grows (polled every `POLL` seconds)."""
    if on_step is None:
        yield
        return
    on_step(text)
    done = threading.Event()

    def poll():
        shown = -1
        while not done.wait(POLL):
            try:
                share = int(con.query_progress())
            except duckdb.Error:
                return
            if share > shown:
                shown = share
                on_step(f"{text}, {share}% scanned")

    watcher = threading.Thread(target=poll, name="newsbeam-report-progress", daemon=True)
    watcher.start()
    try:
        yield
    finally:
        done.set()
        watcher.join()


def load_runs(output: str, limit: int = RUNS) -> list[dict]:
    """The run manifests under OUT/_runs/ (newest `limit`, oldest first)."""
    fs, root = _root(output)
    folder = f"{root}/_runs"
    if not fs.exists(folder):
        return []
    runs = []
    paths = sorted(p for p in fs.ls(folder, detail=False) if p.endswith(".json")
                   and not p.rsplit("/", 1)[-1].startswith(("_", ".")))
    for path in paths:
        try:
            with fs.open(path, "r") as handle:
                document = json.load(handle)
        except (OSError, ValueError):
            continue  # a manifest being written, or not one of ours
        if isinstance(document, dict) and "run_id" in document:
            runs.append(document)
    runs.sort(key=lambda r: str(r.get("started_at") or r.get("run_id")))
    return runs[-limit:]


def _bucket(first: Optional[str], last: Optional[str]) -> str:
    """The coarsest of day/week/month/year that keeps the time chart under MAX_BUCKETS bars."""
    if not first or not last:
        return "day"
    try:
        span = (dt.date.fromisoformat(last) - dt.date.fromisoformat(first)).days + 1
    except ValueError:
        return "day"
    for unit, days in (("day", 1), ("week", 7), ("month", 30.5), ("year", 365.25)):
        if span / days <= MAX_BUCKETS:
            return unit
    return "year"


def _rows(con: duckdb.DuckDBPyConnection, sql: str, *params) -> list[dict]:
    cursor = con.execute(sql, list(params))
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row)) for row in cursor.fetchall()]


def _iso(value) -> Optional[str]:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.timezone.utc)
        return value.astimezone(dt.timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")
    return str(value)


def _clip(value: Optional[str], limit: int = EXAMPLE_CHARS) -> Optional[str]:
    if value is None:
        return None
    value = str(value)
    return value if len(value) <= limit else value[: limit - 1] + "…"


def collect(output: str, since: Optional[dt.datetime] = None,
            on_step: Optional[Callable[[str], None]] = None, columns: Optional[dict] = None) -> dict:
    """Every figure of the report, as plain JSON-ready values.

    `since` keeps only rows ingested at or after that time (the end-of-run summary of one run);
    the runs list is never filtered. `on_step(text)` is told what is being read (a table, then
    how much of it DuckDB has scanned, then the figures), e.g. for a live progress display.
    `columns` (table -> columns, e.g. `SUMMARY_COLUMNS`) reads fewer columns; figures that need
    others come out empty.
    """
    started = time.perf_counter()
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    # DuckDB tracks a query's progress only with its progress bar on; it never prints it here.
    con.execute(f"SET enable_progress_bar = {'true' if on_step else 'false'}")
    con.execute("SET enable_progress_bar_print = false")
    for table in _COLUMNS:
        load_table(con, output, table, f"{table}_all", on_step, (columns or _COLUMNS).get(table))
        # `since` is a datetime of ours (not data), so its ISO text is a safe literal.
        where = "" if since is None else f"WHERE ingested_at >= TIMESTAMPTZ '{since.isoformat()}'"
        con.execute(f"CREATE TEMP VIEW {table} AS SELECT * FROM {table}_all {where}")
    if on_step:
        on_step("counting topics, languages, sites, clusters, dead letters")
    scalar = lambda sql: con.execute(sql).fetchone()[0]  # noqa: E731
    has = {t: {c[0] for c in con.execute(f"DESCRIBE {t}").fetchall()} for t in _COLUMNS}

    articles = scalar("SELECT count(*) FROM articles")
    first, last = con.execute("SELECT min(date), max(date) FROM articles").fetchone() if articles else (None, None)
    unit = _bucket(first, last)
    bucket_sql = {"day": "date", "week": "strftime(date_trunc('week', CAST(date AS DATE)), '%Y-%m-%d')",
                  "month": "strftime(CAST(date AS DATE), '%Y-%m')", "year": "strftime(CAST(date AS DATE), '%Y')"}[unit]
    over_time = _rows(con, f"""
        SELECT {bucket_sql} AS bucket, topic, count(*) AS n FROM articles
        WHERE date IS NOT NULL AND date <> '' GROUP BY ALL ORDER BY bucket, topic""") if articles else []

    def top(column_sql: str, limit: int = TOP, where: str = "") -> list[dict]:
        return _rows(con, f"""
            SELECT coalesce({column_sql}, '(none)') AS name, count(*) AS n FROM articles {where}
            GROUP BY ALL ORDER BY n DESC, name LIMIT {int(limit)}""")

    figures: dict = {
        "output": output,
        "generated_at": _iso(dt.datetime.now(dt.timezone.utc)),
        "since": _iso(since),
        "counts": {
            "articles": articles,
            "duplicates": scalar("SELECT count(*) FROM duplicates"),
            "dead_letter": scalar("SELECT count(*) FROM dead_letter"),
        },
        "dates": {"first": first, "last": last, "unit": unit},
        "over_time": over_time,
        "topics": _rows(con, "SELECT topic AS name, count(*) AS n FROM articles GROUP BY ALL ORDER BY n DESC, name"),
        "languages": top("language") if "language" in has["articles"] else [],
        "sites": top("site") if "site" in has["articles"] else [],
        "cities": [],
        "methods": _rows(con, "SELECT method AS name, count(*) AS n FROM duplicates GROUP BY ALL ORDER BY n DESC")
        if "method" in has["duplicates"] else [],
        "clusters": [],
        "dead_letter": [],
        "dead_letter_stages": _rows(con, "SELECT stage AS name, count(*) AS n FROM dead_letter GROUP BY ALL "
                                         "ORDER BY n DESC, name") if "stage" in has["dead_letter"] else [],
    }
    if "dateline" in has["articles"]:
        figures["cities"] = _rows(con, f"""
            SELECT dateline.city AS name, any_value(dateline.country_code) AS country,
                   count(*) AS n, avg(dateline.latitude) AS lat, avg(dateline.longitude) AS lon
            FROM articles WHERE dateline IS NOT NULL AND dateline.city IS NOT NULL
            GROUP BY dateline.city ORDER BY n DESC, name LIMIT {TOP}""")
    if {"canonical_id"} <= has["duplicates"] and "id" in has["articles"]:
        clusters = _rows(con, f"""
            WITH copies AS (
                SELECT canonical_id, count(*) AS copies,
                       count(*) FILTER (WHERE method = 'near') AS near,
                       min(coalesce(published_at, ingested_at)) AS first_copy,
                       arg_min(title, coalesce(published_at, ingested_at)) AS copy_title,
                       list(DISTINCT regexp_extract(url, '^[a-z]+://(?:www\\.)?([^/:]+)', 1)) AS hosts
                FROM duplicates GROUP BY canonical_id)
            SELECT c.canonical_id AS id, coalesce(a.title, c.copy_title) AS title, a.site, a.url,
                   a.source_uri, c.copies + 1 AS copies, c.near,
                   least(coalesce(a.published_at, a.ingested_at), c.first_copy) AS first_seen,
                   list_append(c.hosts, a.site) AS sites
            FROM copies c LEFT JOIN articles_all a ON a.id = c.canonical_id
            ORDER BY copies DESC, first_seen, id LIMIT {CLUSTERS}""")
        for row in clusters:
            row["first_seen"] = _iso(row["first_seen"])
            row["title"] = _clip(row["title"], 200)
            row["sites"] = sorted({s for s in row["sites"] or [] if s})[:12]
        figures["clusters"] = clusters
    if {"stage", "error_type", "message"} <= has["dead_letter"]:
        # A reason is the message without its particulars (quoted text, parentheses holding
        # numbers, quotes, paths or codes, numbers, URLs), so "no text content (itemClass ninat:video)" and "(… icls:picture)" are one
        # reason and a checksum list is not counted under another ParseError's example.
        reasons = _rows(con, f"""
            WITH d AS (
                SELECT *, left(trim(regexp_replace(regexp_replace(coalesce(message, ''),
                    '\\([^()]*[0-9''"/:][^()]*\\)|(^|[\\s(])''[^'']*''|"[^"]*"|<[^<>]*>|https?://\\S+|\\b[0-9][0-9,.:]*',
                    ' …', 'g'),
                    '\\s+', ' ', 'g')), 120) AS reason
                FROM dead_letter)
            SELECT stage, error_type, reason, count(*) AS n,
                   arg_min(message, source_uri) AS message, min(source_uri) AS source_uri,
                   arg_min(record_index, source_uri) AS record_index,
                   arg_min(raw_excerpt, source_uri) AS excerpt
            FROM d GROUP BY stage, error_type, reason ORDER BY n DESC, stage, error_type, reason LIMIT {REASONS}""")
        for row in reasons:
            row["message"], row["excerpt"] = _clip(row["message"]), _clip(row["excerpt"])
        figures["dead_letter"] = reasons
    if on_step:
        on_step("reading the run manifests")
    figures["runs"] = [_run_row(r) for r in load_runs(output)]
    figures["seconds"] = round(time.perf_counter() - started, 3)
    return figures


def _run_row(manifest: dict) -> dict:
    counts = manifest.get("counts") or {}
    return {
        "run_id": str(manifest.get("run_id")),
        "started_at": manifest.get("started_at"),
        "duration_s": manifest.get("duration_s"),
        "runner": manifest.get("runner"),
        "files": counts.get("files_matched"),
        "records": counts.get("records_in"),
        "articles": counts.get("articles"),
        "duplicates": counts.get("duplicates"),
        "dead_letter": counts.get("dead_letter"),
        "balanced": manifest.get("balanced"),
    }


# --- text --------------------------------------------------------------------------------------

def _share(n: int, total: int) -> str:
    return f"{100 * n / total:.0f}%" if total else "-"


def top_line(label: str, rows: list[dict], total: int, limit: int = 5, width: int = 13) -> str:
    """`  label  name n (share), ...` of the first `limit` rows."""
    shown = ", ".join(f"{r['name']} {r['n']:,} ({_share(r['n'], total)})" for r in rows[:limit])
    return f"  {label:<{width}}{shown or '-'}"


def key_lines(figures: dict) -> list[str]:
    """The key figures as aligned lines (shared by `newsbeam report` and the end-of-run summary)."""
    counts = figures["counts"]
    total = counts["articles"]
    methods = {r["name"]: r["n"] for r in figures["methods"]}
    lines = [
        f"  {'articles':<13}{total:>9,}",
        f"  {'duplicates':<13}{counts['duplicates']:>9,}   exact {methods.get('exact', 0):,}, "
        f"near {methods.get('near', 0):,}",
        f"  {'dead letters':<13}{counts['dead_letter']:>9,}",
    ]
    if figures["dates"]["first"]:
        lines.append(f"  {'dates':<13}{figures['dates']['first']} .. {figures['dates']['last']}")
    lines += [
        top_line("topics", figures["topics"], total),
        top_line("languages", figures["languages"], total),
        top_line("sites", figures["sites"], total),
        top_line("datelines", figures["cities"], total),
    ]
    if figures["clusters"]:
        biggest = figures["clusters"][0]
        lines.append(f"  {'top cluster':<13}{biggest['copies']} copies on {len(biggest['sites'])} sites: "
                     f"{_clip(biggest['title'] or '(untitled)', 70)}")
    return lines


def dead_letter_lines(figures: dict, limit: int = 5) -> list[str]:
    """Dead letters by stage, then the `limit` most frequent reasons (messages without their
    particulars; the HTML report shows an example of each)."""
    if not figures["dead_letter"]:
        return []
    stages = ", ".join(f"{r['name']} {r['n']:,}" for r in figures["dead_letter_stages"])
    lines = [f"  dead letters by stage: {stages}"]
    for row in figures["dead_letter"][:limit]:
        reason = " ".join(str(row.get("reason") or row["message"] or "").split())
        lines.append(f"    {row['n']:>7,}  {row['stage']}/{row['error_type']}: {_clip(reason, 90)}")
    return lines


def text(figures: dict) -> str:
    lines = [f"newsbeam report of {figures['output']}"]
    lines += key_lines(figures)
    lines += dead_letter_lines(figures)
    if figures["runs"]:
        last = figures["runs"][-1]
        lines.append(f"  {'runs':<13}{len(figures['runs'])} (last {last['run_id']}, {last['articles']} articles, "
                     f"{'balanced' if last['balanced'] else 'NOT balanced'})")
    return "\n".join(lines)


# --- HTML --------------------------------------------------------------------------------------

def _json_for_script(value) -> str:
    """JSON safe inside <script type="application/json">: no `<`, `>` or `&` can end the element."""
    return (json.dumps(value, ensure_ascii=False, default=str)
            .replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
            .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))


def html(figures: dict) -> str:
    """One self-contained HTML page (inline CSS, script and data; no network at view time)."""
    from transforms.topic import TOPICS, UNKNOWN

    assets = resources.files("pipeline") / "report_assets"
    page = (assets / "report.html").read_text(encoding="utf-8")
    data = {**figures, "topic_order": [*TOPICS, UNKNOWN]}
    title = f"newsbeam report: {figures['output']}"
    replacements = {
        "{{TITLE}}": html_lib.escape(title),
        "{{STYLE}}": (assets / "report.css").read_text(encoding="utf-8"),
        "{{SCRIPT}}": (assets / "report.js").read_text(encoding="utf-8"),
        "{{DATA}}": _json_for_script(data),
        "{{SUMMARY}}": html_lib.escape(text(figures)),
    }
    # One pass, so text from the data that looks like a marker is never replaced.
    return re.sub(r"\{\{[A-Z]+\}\}", lambda m: replacements.get(m.group(0), m.group(0)), page)


def write_html(figures: dict, path: str) -> str:
    with fsspec.open(path, "w", encoding="utf-8") as handle:
        handle.write(html(figures))
    return path


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="newsbeam report",
        description="Summarise an output folder (any fsspec URL): key figures on the terminal and, "
                    "with --html, one self-contained HTML page with charts.")
    parser.add_argument("output", metavar="OUT", help="the --output of earlier runs")
    parser.add_argument("--html", metavar="FILE", help="write the HTML report here (any fsspec URL)")
    args = parser.parse_args(argv)
    fs, root = _root(args.output)
    if not fs.exists(root):
        print(f"newsbeam: error: output not found: {args.output}", file=sys.stderr)
        return 2
    figures = collect(args.output)
    print(text(figures))
    if args.html:
        write_html(figures, args.html)
        print(f"  {'report':<13}{args.html}")
    return 0
