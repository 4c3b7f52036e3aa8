"""`newsbeam report` and the end-of-run summary, on the output of a real CLI run; the HTML report
rendered in headless Chromium (skipped when Chromium is not installed)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import fsspec
import pytest

from bench import browser
from pipeline import report
from tests.conftest import REPO, SEEDS

ARTIFACTS = REPO / "tests" / "artifacts"
HOSTILE_TITLE = ('</script><script>document.body.dataset.pwned="1"</script>'
                 '<img src=x onerror="document.body.dataset.pwned=1"> Port strike & "talks" {{SUMMARY}}')

PARAGRAPHS = [
    "Dock workers walked off the job on Monday after talks over pay and shift patterns broke down late on "
    "Sunday night, union officials said, leaving dozens of container ships waiting at anchor offshore.",
    "The port authority said it had drawn up contingency plans to keep food and medical supplies moving, "
    "but warned that other cargo could be delayed for several days if the stoppage continued.",
    "Employers said their latest offer of a four percent rise over two years was fair and urged the union "
    "to return to the negotiating table, while shipping lines began diverting vessels to other harbours.",
]


def _record(i: int, site: str, title: str, dateline: str, published: str, body: list[str]) -> dict:
    return {"url": f"https://{site}/news/{i}", "title": title, "site": site, "published": published,
            "text": f"{dateline} - " + "\n\n".join(body)}


def _write_inputs(folder: Path) -> None:
    """Seeds plus a feed with syndicated copies, datelines, a hostile title and a broken file."""
    folder.mkdir()
    records = [
        _record(0, "wire.test", HOSTILE_TITLE, "ROTTERDAM (Reuters)", "2024-05-02T08:00:00Z", PARAGRAPHS),
        _record(1, "daily.test", "Port strike leaves ships waiting", "ROTTERDAM (Reuters)",
                "2024-05-02T09:30:00Z", PARAGRAPHS),
        _record(2, "evening.test", "Ships wait as port strike goes on", "ROTTERDAM (Reuters)",
                "2024-05-02T11:00:00Z", PARAGRAPHS),
        _record(3, "wire.test", "Rail fares to rise in January", "LONDON (Reuters)", "2024-05-03T07:00:00Z",
                ["Rail fares will rise by nearly five percent in January, the transport ministry said on Tuesday, "
                 "the largest increase in a decade, as operators struggle with higher energy and staff costs.",
                 "Passenger groups said the rise would hit commuters hardest and called on the government to "
                 "freeze fares on the busiest routes into the capital while services remain unreliable."]),
        _record(4, "wire.test", "Flood warnings issued along the river", "PARIS (AP)", "2024-05-04T07:00:00Z",
                ["Forecasters issued flood warnings for towns along the river on Wednesday after days of heavy "
                 "rain, and the city council closed several riverside roads and parks as water levels rose.",
                 "Emergency services said they had moved people out of low-lying homes overnight and that "
                 "further rain expected at the weekend could push the river above its record level."]),
    ]
    (folder / "feed.jsonl").write_text("\n".join(json.dumps(r) for r in records) + "\n")
    (folder / "broken.json").write_text('[{"title": "cut off", "text": "The feed stops mid-')
    for path in SEEDS.rglob("*"):
        if path.is_file():
            target = folder / "seeds" / path.relative_to(SEEDS)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(path.read_bytes())


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory):
    """One real `newsbeam run` (two worker processes, progress as log lines): output and streams."""
    root = tmp_path_factory.mktemp("report")
    _write_inputs(root / "in")
    out = root / "out"
    done = subprocess.run(
        [sys.executable, "-m", "pipeline", "run", "--input", str(root / "in"), "--output", str(out),
         "--run_id", "report-test", "--progress", "log",
         "--direct_running_mode", "multi_processing", "--direct_num_workers", "2"],
        capture_output=True, text=True, cwd=REPO, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    return out, done.stdout, done.stderr


def test_figures_agree_with_the_manifest(finished_run):
    out, _, _ = finished_run
    manifest = json.loads((out / "_runs" / "report-test.json").read_text())
    figures = report.collect(str(out))
    assert figures["counts"] == {"articles": manifest["counts"]["articles"],
                                 "duplicates": manifest["counts"]["duplicates"],
                                 "dead_letter": manifest["counts"]["dead_letter"]}
    assert sum(r["n"] for r in figures["topics"]) == figures["counts"]["articles"]
    assert sum(r["n"] for r in figures["over_time"]) == figures["counts"]["articles"]
    assert sum(r["n"] for r in figures["methods"]) == figures["counts"]["duplicates"]
    assert [r["run_id"] for r in figures["runs"]] == ["report-test"]
    # The port-strike story ran on three sites: the largest cluster, first seen at 08:00.
    biggest = figures["clusters"][0]
    assert biggest["copies"] >= 3
    assert {"wire.test", "daily.test", "evening.test"} <= set(biggest["sites"])
    assert biggest["first_seen"] == "2024-05-02T08:00:00Z"
    assert "Rotterdam" in {c["name"] for c in figures["cities"]}
    reasons = {(r["stage"], r["error_type"]) for r in figures["dead_letter"]}
    assert ("parse", "ParseError") in reasons
    assert all(r["message"] and r["source_uri"] and r["reason"] for r in figures["dead_letter"])
    # one row per reason: the same reason is never listed twice, whatever its particulars
    assert len({(r["stage"], r["error_type"], r["reason"]) for r in figures["dead_letter"]}) == len(figures["dead_letter"])


def test_run_prints_summary_with_breakdowns(finished_run):
    out, stdout, _ = finished_run
    assert re.search(r"finished in [\d.,]+ s", stdout)
    assert re.search(r"duplicates +\d+ +exact \d+, near \d+", stdout)
    assert re.search(r"dead letters by stage: .*parse \d+", stdout)
    assert "parse/ParseError: invalid JSON" in stdout
    assert re.search(r"articles +\d+ +[\d.,]+/s", stdout)
    assert f"report         newsbeam report {out} --html {out}/report.html" in stdout


def test_progress_lines_come_from_worker_processes(finished_run):
    """Two SDK worker processes report over the side channel: the launcher's lines show every
    stage's counts (files of the total, records, dedup, written rows)."""
    _, _, stderr = finished_run
    lines = [line for line in stderr.splitlines() if line.startswith("newsbeam: progress")]
    assert lines, stderr[-2000:]
    last = lines[-1]
    assert re.search(r"files (\d+)/\1 \(100%\)", last), last
    assert re.search(r"records [1-9]\d* ", last), last
    assert re.search(r"done (\d+)/\1 .*written [1-9]\d* rows", last), last
    assert re.search(r"dedup [1-9]\d* keys, \d+ batches, [1-9]\d* shard groups joined, \d+ decisions, index [1-9]\d* keys, [1-9]\d* packed, "
                     r"[1-9]\d* files", last), last


def test_progress_shows_the_launchers_phases_to_the_end(finished_run):
    """The last progress line, drawn after the summary was read back, shows that both worker
    processes stopped and what the summary read last."""
    _, _, stderr = finished_run
    last = [line for line in stderr.splitlines() if line.startswith("newsbeam: progress")][-1]
    assert "workers 2/2 stopped" in last, last
    assert "summary: reading the run manifests" in last, last


def test_summary_columns_give_the_summarys_figures(finished_run):
    """The end-of-run summary reads fewer columns; its figures equal the full report's, and it
    says what it reads as it goes."""
    out, _, _ = finished_run
    steps: list[str] = []
    narrow = report.collect(str(out), on_step=steps.append, columns=report.SUMMARY_COLUMNS)
    full = report.collect(str(out))
    for key in ("counts", "topics", "languages", "methods", "dead_letter", "dead_letter_stages", "over_time"):
        assert narrow[key] == full[key], key
    assert narrow["clusters"] == [] and narrow["sites"] == []
    assert steps[0] == "reading articles" and "reading duplicates" in steps and "reading dead_letter" in steps
    assert steps[-1] == "reading the run manifests"


def test_report_command_prints_key_figures_and_writes_html(finished_run, tmp_path):
    out, _, _ = finished_run
    page = tmp_path / "report.html"
    done = subprocess.run([sys.executable, "-m", "pipeline", "report", str(out), "--html", str(page)],
                          capture_output=True, text=True, cwd=REPO, timeout=300)
    assert done.returncode == 0, done.stderr
    assert re.search(r"articles +\d+", done.stdout)
    assert "top cluster" in done.stdout and "datelines" in done.stdout
    text = page.read_text()
    assert "http://" not in text.replace("http://www.w3.org/2000/svg", "") and "https://" not in text.split(
        '<script id="report-data"')[0], "the page must load nothing from the network"
    assert HOSTILE_TITLE not in text and "</script><script>document" not in text
    assert "\\u003c/script\\u003e" in text  # the title survives, escaped inside the JSON


def test_dead_letters_are_grouped_by_reason_not_by_exception_type(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    messages = ["NewsML-G2 item has no text content (itemClass ninat:video)",
                "NewsML-G2 item has no text content (itemClass icls:picture)",
                "a checksum list (78 lines of digest and file name), not article text",
                "not an article (homepage): site front page (https://a.test/) without article markup (12 words)",
                "not an article (homepage): site front page (https://b.test/) without article markup (40 words)"]
    folder = tmp_path / "dead_letter" / "date=2024-05-02"
    folder.mkdir(parents=True)
    pq.write_table(pa.table({
        "source_uri": [f"file:///in/{i}.xml" for i in range(5)], "record_index": [None] * 5,
        "stage": ["parse", "parse", "parse", "filter", "filter"],
        "error_type": ["ParseError"] * 3 + ["NotAnArticle"] * 2, "message": messages,
        "raw_excerpt": ["<x/>"] * 5}), folder / "part-0.parquet")
    rows = {(r["stage"], r["reason"]): r["n"] for r in report.collect(str(tmp_path))["dead_letter"]}
    assert rows == {("parse", "NewsML-G2 item has no text content …"): 2,
                    ("parse", "a checksum list …, not article text"): 1,
                    ("filter", "not an article (homepage): site front page … without article markup …"): 2}


def test_report_of_a_missing_output_exits_2(tmp_path):
    done = subprocess.run([sys.executable, "-m", "pipeline", "report", str(tmp_path / "nothing")],
                          capture_output=True, text=True, cwd=REPO, timeout=120)
    assert done.returncode == 2 and "output not found" in done.stderr


def test_report_reads_any_fsspec_url(finished_run):
    out, _, _ = finished_run
    memory = fsspec.filesystem("memory")
    target = "memory://report-copy"
    memory.put(str(out), "/report-copy", recursive=True)
    try:
        local, remote = report.collect(str(out)), report.collect(target)
        for key in ("counts", "topics", "languages", "sites", "cities", "clusters", "dead_letter", "over_time"):
            assert remote[key] == local[key], key
        assert len(remote["runs"]) == 1
    finally:
        memory.rm("/report-copy", recursive=True)


def test_report_in_headless_chromium(finished_run, tmp_path):
    if browser.chromium() is None:
        pytest.skip("chromium is not installed (make browser)")
    out, _, _ = finished_run
    page = tmp_path / "report.html"
    report.write_html(report.collect(str(out)), str(page))
    dom = browser.dump_dom(page)
    assert 'data-report="done"' in dom, "the report script did not finish"
    errors = re.search(r'<ul id="script-errors"[^>]*>(.*?)</ul>', dom, re.S)
    assert errors and errors.group(1).strip() == "", f"script errors: {errors and errors.group(1)}"
    assert "pwned" not in dom.split("<body", 1)[1].split(">", 1)[0], "a title ran as markup"
    charts = re.findall(r'<section class="card[^"]*" data-chart="([\w-]+)" data-state="(\w+)"', dom)
    assert {name for name, _ in charts} == {"over-time", "topics", "languages", "cities", "sites", "clusters",
                                            "dead-letters", "runs"}
    assert all(state == "drawn" for _, state in charts), charts
    for name in ("over-time", "topics", "languages", "cities", "sites", "clusters", "dead-letters", "runs"):
        section = dom.split(f'data-chart="{name}"', 1)[1].split("</section>", 1)[0]
        assert section.count('class="mark"') > 0, f"{name} drew no marks"
    assert "&lt;/script&gt;&lt;script&gt;document.body.dataset.pwned" in dom  # shown as text
    shot = browser.screenshot(page, ARTIFACTS / "report-chromium.png", height=2200)
    assert shot.stat().st_size > 20_000
