"""Docs derived from code stay in step with it: README tables and the Flex Template metadata."""

from __future__ import annotations

import json

from pipeline.docs import flex_template_metadata, render_readme
from tests.conftest import REPO


def test_readme_generated_sections_are_current():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert render_readme(readme) == readme, "run `python -m pipeline.docs` and commit the README"


def test_flex_template_metadata_lists_every_option():
    on_disk = json.loads((REPO / "deploy" / "metadata.json").read_text(encoding="utf-8"))
    assert on_disk == flex_template_metadata(), "run `python -m pipeline.docs` and commit deploy/metadata.json"
    names = [p["name"] for p in on_disk["parameters"]]
    assert {"input", "output", "max_file_bytes", "max_ratio", "input_subscription", "streaming"} <= set(names)
    # --input is required by a batch launch (the CLI says so) and optional for a streaming one
    assert [p["name"] for p in on_disk["parameters"] if not p["isOptional"]] == ["output"]
