"""Regenerate the parts of the docs that are derived from code: `python -m pipeline.docs`.

The README's schema tables come from the pydantic models, its option table and the Flex
Template's `deploy/metadata.json` parameters from `NewsbeamOptions`; tests fail when they drift.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

from pipeline.options import newsbeam_option_rows, options_markdown
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


def flex_template_metadata() -> dict:
    parameters = []
    for flag, default, help_text in newsbeam_option_rows():
        name = flag.lstrip("-").replace("-", "_")
        parameters.append({
            "name": name,
            "label": name.replace("_", " ").capitalize(),
            "helpText": help_text + (f" (default: {default})" if default else ""),
            "isOptional": name != "output",  # --input: required in batch, a prefix filter in streaming
        })
    parameters.append({  # Beam's own flag, a parameter here so a template launch can ask for it
        "name": "streaming", "label": "Streaming", "isOptional": True,
        "helpText": "true: run the streaming graph (needs input_subscription; launch with Streaming Engine)",
    })
    return {
        "name": "newsbeam",
        "description": "Raw news articles from Cloud Storage -> parsed, deduplicated, enriched, "
                       "Hive-partitioned Parquet.",
        "parameters": parameters,
    }


def main() -> int:
    readme = REPO / "README.md"
    readme.write_text(render_readme(readme.read_text(encoding="utf-8")), encoding="utf-8")
    metadata = REPO / "deploy" / "metadata.json"
    metadata.parent.mkdir(exist_ok=True)
    metadata.write_text(json.dumps(flex_template_metadata(), indent=2) + "\n", encoding="utf-8")
    print(f"updated {readme.relative_to(REPO)} and {metadata.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
