"""`--streaming` on the local runner: new files become micro-batches; copies fold across them."""

from __future__ import annotations

import json
import shutil

from pipeline.cli import main
from pipeline.watch import load_state
from tests.conftest import SEED_ARTICLE, SEEDS, read_table


def _watch_once(src, out) -> int:
    return main(["run", "--streaming", "--input", str(src), "--output", str(out),
                 "--max-polls", "1", "--poll-interval", "0", "--run-id", "w"])


def test_new_files_are_processed_once_and_copies_fold_across_batches(tmp_path):
    src, out = tmp_path / "in", tmp_path / "out"
    src.mkdir()
    shutil.copy(SEED_ARTICLE, src / "a.txt")
    assert _watch_once(src, out) == 0
    first = json.loads((out / "_runs" / "w-b0001.json").read_text())
    assert first["counts"]["articles"] == 1 and first["balanced"]
    assert set(load_state(str(out))["files"]) == {str(src / "a.txt")}

    # A syndicated copy of the first article and one new story arrive.
    shutil.copy(SEEDS / "scraped" / "001_syndicated_copy_of_000.txt", src / "b.txt")
    (src / "c.jsonl").write_text(json.dumps({"url": "https://x.example/new", "title": "New",
                                             "text": "A different story about harbours. " * 20}) + "\n")
    assert _watch_once(src, out) == 0
    second = json.loads((out / "_runs" / "w-b0002.json").read_text())
    assert second["counts"]["files_matched"] == 2  # a.txt was not read again
    assert json.loads((out / "_runs" / "w-b0001.json").read_text()) == first
    assert (second["counts"]["articles"], second["counts"]["duplicates"]) == (1, 1)

    articles = read_table(out, "articles").to_pylist()
    (copy,) = read_table(out, "duplicates").to_pylist()
    seed = next(a for a in articles if a["source_uri"].endswith("a.txt"))
    assert copy["canonical_id"] == seed["id"] and copy["source_uri"].endswith("b.txt")
    assert len(articles) == 2

    # Nothing new: no batch runs, nothing changes.
    before = sorted(p.name for p in (out / "_runs").iterdir())
    assert _watch_once(src, out) == 0
    assert sorted(p.name for p in (out / "_runs").iterdir()) == before


def test_streaming_on_a_remote_runner_is_refused_in_one_line(tmp_path, capsys):
    code = main(["run", "--streaming", "--input", str(SEEDS), "--output", str(tmp_path / "out"),
                 "--runner", "DataflowRunner"])
    assert code == 2
    err = capsys.readouterr().err.strip()
    assert "--streaming runs on the local runner only" in err and len(err.splitlines()) == 1
