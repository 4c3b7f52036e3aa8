"""Regenerate the parts of the docs that are derived from code: `python -m pipeline.docs`.

The README's schema tables come from the pydantic models, its option table and the Flex
Template's `deploy/metadata.json` parameters from `NewsbeamOptions`; tests fail when they drift.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

from pipeline.options import option_docs, options_markdown
from transforms.model import TABLES, markdown_table

REPO = Path(__file__).resolve().parents[1]


def generated_sections() -> dict[str, str]:
    sections = {f"schema:{name}": markdown_table(model) for name, model in TABLES.items()}
    sections["options"] = options_markdown()
    return sections


def render_readme(text: str) -> str:
    for name, body in generated_sections().items():
        pattern = re.compile(
            rf"(<!-- generated:{re.escape(name)} -->\n).*?(<!-- /generated:{re.escape(name)} -->)", re.S)
        if not pattern.search(text):
            raise ValueError(f"README has no markers for generated section {name!r}")
        text = pattern.sub(lambda m: m.group(1) + body + "\n" + m.group(2), text)
    return text


def flex_template_metadata(streaming: bool = False) -> dict:
    """The Flex Template's parameters, from `NewsbeamOptions`: type, default and a regex per option.

    The batch template leaves out streaming-only options (`pipeline.options.STREAMING_ONLY`);
    the streaming template has them all.
    """
    parameters = []
    for option in option_docs():
        if option.streaming_only and not streaming:
            continue
        parameter = {
            "name": option.name,
            "label": option.name.replace("_", " ").capitalize(),
            "helpText": option.help + (f" (default: {option.default})" if option.default else ""),
            # --input: required by a batch launch, a prefix filter of a streaming one
            "isOptional": not option.required or (streaming and option.name == "input"),
            "paramType": option.kind,
            "regexes": [option.pattern],
        }
        if option.choices:
            parameter["enumOptions"] = [{"value": value, "label": value} for value in option.choices]
        if option.default:
            parameter["defaultValue"] = option.default.lower() if option.kind == "BOOLEAN" else option.default
        parameters.append(parameter)
    if streaming:  # Beam's own flag, a parameter so the launch can ask for the streaming graph
        parameters.append({
            "name": "streaming", "label": "Streaming", "isOptional": False, "paramType": "BOOLEAN",
            "regexes": ["^(true|false|True|False)$"], "defaultValue": "true",
            "helpText": "true: run the streaming graph (needs input_subscription; launch with Streaming Engine)",
        })
    return {
        "name": "newsbeam-streaming" if streaming else "newsbeam",
        "description": ("Raw news articles from Cloud Storage -> parsed, deduplicated, enriched, "
                        "Hive-partitioned Parquet" + (", as a streaming job." if streaming else
                                                       "; each run processes the files no earlier run did.")),
        "parameters": parameters,
        # the worker image is the launcher image (deploy/Dockerfile); build_template.sh sets it in
        # the template spec's defaultEnvironment too
        "streaming": streaming,
        "supportsAtLeastOnce": False,
        "supportsExactlyOnce": True,
    }


METADATA_FILES = {False: "metadata.json", True: "metadata-streaming.json"}


def template_spec(image: str, streaming: bool = False) -> dict:
    """The Flex Template spec file (what `gcloud dataflow flex-template build` writes, with the
    worker image set): the launcher and the workers run the same image, so a job launched from
    the Console or `gcloud dataflow flex-template run` without `sdk_container_image` still gets
    newsbeam's image, not the stock Beam one."""
    return {
        "image": image,
        "sdkInfo": {"language": "PYTHON"},
        "metadata": flex_template_metadata(streaming),
        "defaultEnvironment": {"sdkContainerImage": image, "additionalExperiments": ["use_runner_v2"]},
    }


def bigquery_external_tables(output: str) -> dict[str, dict]:
    """BigQuery external table definitions (`bq mk --external_table_definition=FILE`) of the
    three tables under `output` (a gs:// URL): Parquet, Hive partitioning (`AUTO`: `date` and
    `topic` come from the folder names), list inference so `authors` and `places` read as
    ARRAYs, not as `STRUCT<list ARRAY<STRUCT<element …>>>`. Only `*.parquet` objects are read:
    never a temporary file, and `_pending/`, `_runs/` and the dedup index are outside the tables."""
    root = output.rstrip("/")
    return {table: {
        "sourceFormat": "PARQUET",
        "sourceUris": [f"{root}/{table}/*.parquet"],
        "hivePartitioningOptions": {"mode": "AUTO", "sourceUriPrefix": f"{root}/{table}/",
                                    "requirePartitionFilter": False},
        "parquetOptions": {"enableListInference": True, "enumAsString": True},
        "autodetect": True,
    } for table in TABLES}


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["bigquery"]:  # python -m pipeline.docs bigquery gs://BUCKET/news TABLE
        print(json.dumps(bigquery_external_tables(argv[1])[argv[2]], indent=2))
        return 0
    if argv[:1] == ["template-spec"]:  # python -m pipeline.docs template-spec IMAGE [streaming]
        print(json.dumps(template_spec(argv[1], streaming=argv[2:3] == ["streaming"]), indent=2))
        return 0
    readme = REPO / "README.md"
    readme.write_text(render_readme(readme.read_text(encoding="utf-8")), encoding="utf-8")
    for streaming, name in METADATA_FILES.items():
        metadata = REPO / "deploy" / name
        metadata.parent.mkdir(exist_ok=True)
        metadata.write_text(json.dumps(flex_template_metadata(streaming), indent=2) + "\n", encoding="utf-8")
    print(f"updated {readme.relative_to(REPO)} and deploy/{', deploy/'.join(METADATA_FILES.values())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
