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
    names = {t.unique_name for t in transforms}
    top = {name for name in names if "/" not in name}
    for stage in ("Match", "Read", "Split", "Parse", "Clean", "Stage", "Dedup", "Write", "WriteDeadLetters",
                  "Manifest"):
        assert stage in top, stage
    for step in ("Write/ByBatch", "Write/Apply", "Write/Enrich", "Write/Write", "Write/RemoveStaging"):
        assert step in names, step
    urns = {t.spec.urn for t in transforms}
    assert "beam:transform:group_by_key:v1" in urns
