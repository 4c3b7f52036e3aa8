"""The command line as a user meets it: help, exit codes, one-line errors."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from pipeline.cli import main
from pipeline.options import newsbeam_option_rows
from tests.conftest import REPO, SEEDS


def _cli(*args: str, cwd=REPO) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pipeline", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=300, env={**os.environ, "PYTHONWARNINGS": "ignore"})


def test_help_lists_every_option_with_its_default(capsys):
    assert main(["run", "--help"]) == 0
    text = " ".join(capsys.readouterr().out.split())
    for flag, default, _ in newsbeam_option_rows():
        assert flag in text
        assert f"(default: {default or None})" in text
    assert "--runner" in text  # Beam pass-through is explained


def test_python_dash_m_pipeline_runs_the_seeds(tmp_path):
    result = _cli("run", "--input", str(SEEDS), "--output", str(tmp_path / "out"))
    assert result.returncode == 0, result.stderr
    assert "articles" in result.stdout and "dead letters" in result.stdout
    assert "balanced" in result.stdout
    assert (tmp_path / "out" / "_runs").is_dir()


@pytest.mark.parametrize("args,needle", [
    (["run", "--output", "OUT"], "--input is required"),
    (["run", "--input", "seeds/"], "--output is required"),
    (["run", "--input", "/no/such/place/", "--output", "OUT"], "input not found: /no/such/place/"),
    (["run", "--input", "seeds/", "--output", "OUT", "--ouput", "x"], "unknown option --ouput"),
    (["frobnicate"], "unknown command"),
    (["run", "--input", "seeds/", "--output", "OUT", "--near-threshold", "1.5"], "threshold must be in (0, 1]"),
    (["run", "--input", "seeds/", "--output", "OUT", "--rows-per-file", "0"], "rows_per_file"),
    (["run", "--input", "seeds/", "--output", "OUT", "--max-ratio", "0.5"], "max_ratio must be above 1"),
])
def test_unusable_invocations_exit_2_with_one_line(tmp_path, capsys, args, needle):
    args = [a.replace("OUT", str(tmp_path / "out")) for a in args]
    cwd = os.getcwd()
    os.chdir(REPO)
    try:
        assert main(args) == 2
    finally:
        os.chdir(cwd)
    err = capsys.readouterr().err.strip()
    assert needle in err
    assert len(err.splitlines()) == 1 and "Traceback" not in err


def test_unwritable_output_exits_2(tmp_path, capsys):
    blocker = tmp_path / "file-not-dir"
    blocker.write_text("x")
    assert main(["run", "--input", str(SEEDS), "--output", str(blocker / "out")]) == 2
    err = capsys.readouterr().err
    assert "output not writable" in err and len(err.strip().splitlines()) == 1


def test_manifest_records_run(tmp_path, run_newsbeam):
    code, manifest = run_newsbeam(SEEDS, tmp_path / "out")
    assert code == 0
    for key in ("run_id", "version", "started_at", "finished_at", "inputs", "options", "counts", "runner"):
        assert key in manifest
    assert manifest["inputs"] == [str(SEEDS)]
    assert manifest["counts"]["files_matched"] == 4
    assert manifest["counts"]["records_in"] == sum(
        manifest["counts"][k] for k in ("articles", "duplicates", "dead_letter"))
