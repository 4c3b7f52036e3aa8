"""The same graph translates for Dataflow: a dry run builds the Runner v2 job offline."""

from __future__ import annotations

import pytest

pytest.importorskip("apache_beam.runners.dataflow.internal.apiclient")
pytest.importorskip("google.cloud.dataflow_v1beta3")


def test_dataflow_dry_run_translates_every_stage():
    import apache_beam as beam
    from apache_beam.options.pipeline_options import PipelineOptions

    from pipeline.graph import build_pipeline

    options = PipelineOptions([
        "--runner", "DataflowRunner", "--dry_run=True", "--no_auth",
        "--project", "newsbeam-test", "--region", "europe-west1",
        "--temp_location", "gs://newsbeam-test/tmp",
    ])
    pipeline = beam.Pipeline(options=options)
    build_pipeline(pipeline, ["gs://newsbeam-test/raw/*/"], "gs://newsbeam-test/news", run_info={"run_id": "dry"})
    result = pipeline.run()
    transforms = result.job.proto_pipeline.components.transforms.values()
    top = {t.unique_name for t in transforms if "/" not in t.unique_name}
    for stage in ("Match", "Read", "Split", "Parse", "Clean", "Dedup", "Enrich", "WriteArticles",
                  "WriteDuplicates", "WriteDeadLetters", "Manifest"):
        assert stage in top, stage
    urns = {t.spec.urn for t in transforms}
    assert "beam:transform:group_by_key:v1" in urns
