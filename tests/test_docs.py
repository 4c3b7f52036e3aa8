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
    streaming = json.loads((REPO / "deploy" / "metadata-streaming.json").read_text(encoding="utf-8"))
    assert streaming == flex_template_metadata(streaming=True), "run `python -m pipeline.docs`"
    assert {"input_subscription", "window", "dedup_horizon", "streaming"} <= {p["name"] for p in streaming["parameters"]}
    assert [p["name"] for p in streaming["parameters"] if not p["isOptional"]] == ["output", "streaming"]
    names = [p["name"] for p in on_disk["parameters"]]
    assert {"input", "output", "max_file_bytes", "max_ratio"} <= set(names)
    assert [p["name"] for p in on_disk["parameters"] if not p["isOptional"]] == ["input", "output"]


def test_template_parameters_match_the_options_types_defaults_and_regexes():
    """Every parameter's type, default and regex agree with the option's parser: the default
    matches the regex and parses, a value of the wrong type is refused by both, and the files are
    valid `TemplateMetadata` for the Dataflow API."""
    import re

    import pytest

    from pipeline.cli import UsageError, _run_parser
    from pipeline.options import option_docs

    templates = pytest.importorskip("google.cloud.dataflow_v1beta3.types.templates")
    by_name = {o.name: o for o in option_docs()}
    for streaming in (False, True):
        metadata = flex_template_metadata(streaming)
        templates.TemplateMetadata.from_json(json.dumps(metadata))  # the API's own schema
        names = [p["name"] for p in metadata["parameters"]]
        assert ("input_subscription" in names) == streaming, "streaming-only options only in the streaming template"
        for parameter in metadata["parameters"]:
            if parameter["name"] == "streaming":  # Beam's flag, not one of newsbeam's options
                assert streaming and parameter["paramType"] == "BOOLEAN"
                continue
            option = by_name[parameter["name"]]
            assert parameter["paramType"] == option.kind
            (pattern,) = parameter["regexes"]
            default = parameter.get("defaultValue")
            samples = {"NUMBER": ("12", "twelve"), "BOOLEAN": ("true", "maybe"), "TEXT": ("gs://b/x", ""),
                       "ENUM": ("", "")}
            good, bad = samples[option.kind]
            if option.kind == "ENUM":
                assert [o["value"] for o in parameter["enumOptions"]] == list(option.choices)
                good, bad = option.choices[0], "topic"
            if parameter["name"] == "run_id":
                good, bad = "daily-2024.05.01", "../x"
            for value in ([default] if default else []) + [good]:
                assert re.fullmatch(pattern, value), (parameter["name"], value)
                parsed = _run_parser().parse_args([f"--{parameter['name']}={value}"])
                assert getattr(parsed, parameter["name"]) is not None
            assert not re.fullmatch(pattern, bad), (parameter["name"], bad)
            if option.kind != "TEXT":
                with pytest.raises(UsageError):  # the CLI's parser: one line, exit 2
                    _run_parser().parse_args([f"--{parameter['name']}={bad}"])


def test_boolean_options_take_true_and_false():
    from pipeline.cli import _run_parser

    parser = _run_parser()
    assert parser.parse_args(["--skip_enrich=true"]).skip_enrich is True
    assert parser.parse_args(["--skip-enrich=False"]).skip_enrich is False
    assert parser.parse_args(["--skip-enrich"]).skip_enrich is True
    assert parser.parse_args([]).skip_enrich is False
