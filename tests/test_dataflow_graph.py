"""The same graph translates for Dataflow: a dry run builds the Runner v2 job offline."""

from __future__ import annotations

import runpy
import sys

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


def test_streaming_graph_translates_to_a_streaming_job_with_stateful_steps():
    """`--streaming` with Pub/Sub, gs:// output and a seeded dedup index translates offline (no
    network call: the index is read by the workers, not at construction) to JOB_TYPE_STREAMING."""
    import apache_beam as beam
    from apache_beam.io.gcp.pubsub import ReadFromPubSub
    from apache_beam.options.pipeline_options import PipelineOptions

    from pipeline.streaming import StreamSettings, build_streaming_pipeline

    options = PipelineOptions([
        "--runner", "DataflowRunner", "--dry_run=True", "--no_auth", "--streaming",
        "--enable_streaming_engine", "--project", "newsbeam-test", "--region", "europe-west1",
        "--temp_location", "gs://newsbeam-test/tmp",
    ])
    pipeline = beam.Pipeline(options=options)
    messages = pipeline | "ReadNotifications" >> ReadFromPubSub(
        subscription="projects/newsbeam-test/subscriptions/raw-finalized", with_attributes=True)
    build_streaming_pipeline(pipeline, messages, "gs://newsbeam-test/news", run_info={"run_id": "dry"},
                             settings=StreamSettings(dedup_index="gs://newsbeam-test/news/_dedup_index"))
    result = pipeline.run()
    assert result.job.proto.type.name == "JOB_TYPE_STREAMING"
    transforms = result.job.proto_pipeline.components.transforms.values()
    names = {t.unique_name for t in transforms}
    for stage in ("ReadNotifications", "Notifications", "OncePerGeneration", "Read", "Split", "Parse", "Clean",
                  "Fingerprint", "Dedup", "Enrich", "WriteArticles", "WriteDuplicates", "WriteDeadLetters",
                  "WindowManifest"):
        assert stage in names, stage
    stateful = {t.unique_name for t in transforms if t.spec.urn == "beam:transform:pardo:v1"
                and _pardo_payload(t).state_specs}
    assert {"OncePerGeneration", "Dedup"} <= {name.split("/")[0] for name in stateful}, stateful
    timers = {t.unique_name.split("/")[0] for t in transforms if t.spec.urn == "beam:transform:pardo:v1"
              and _pardo_payload(t).timer_family_specs}
    assert "OncePerGeneration" in timers


def _pardo_payload(transform):
    from apache_beam.portability.api import beam_runner_api_pb2

    payload = beam_runner_api_pb2.ParDoPayload()
    payload.ParseFromString(transform.spec.payload)
    return payload


def test_flex_template_launch_writes_the_job_file_and_exits_0(gcs_endpoint, capsys, monkeypatch):
    """What the Flex Template launcher does: run the main file with `--template_location`; Beam
    writes the job file and submits nothing. Cloud Storage is the local emulator; nothing else
    is reached (no credentials, no Dataflow API call)."""
    import json

    import fsspec

    from tests.conftest import REPO, SEED_ARTICLE

    fs = fsspec.filesystem("gs")
    for bucket in ("nb-raw", "nb-lake"):
        fs.mkdir(bucket)
    fs.pipe("nb-raw/2024/05/seed.txt", SEED_ARTICLE.read_bytes())
    argv = [
        "deploy/flex_main.py",
        "--input", "gs://nb-raw/2024/", "--output", "gs://nb-lake/news",
        "--runner", "DataflowRunner", "--project", "nb-test", "--region", "europe-west1",
        "--temp_location", "gs://nb-lake/tmp", "--staging_location", "gs://nb-lake/staging",
        "--template_location", "gs://nb-lake/templates/job_object", "--no_auth",
        "--sdk_location", "container", "--sdk_container_image", "europe-docker.pkg.dev/nb-test/nb/newsbeam:1",
        "--skip_enrich=true",
    ]
    monkeypatch.setattr(sys, "argv", argv)
    with pytest.raises(SystemExit) as exit_:  # the launcher runs the file as a script
        runpy.run_path(str(REPO / "deploy" / "flex_main.py"), run_name="__main__")
    code = exit_.value.code
    out = capsys.readouterr()
    assert code == 0, out.err
    assert "gs://nb-lake/templates/job_object" in out.out
    job = json.loads(fs.cat("nb-lake/templates/job_object"))
    steps = json.dumps(job)
    assert "newsbeam" in steps and "europe-docker.pkg.dev/nb-test/nb/newsbeam:1" in steps
    # the plan of the run it launches waits under _pending/ for the job to commit
    (plan,) = fs.glob("nb-lake/news/_pending/*/_plan.jsonl")
    assert "gs://nb-raw/2024/05/seed.txt" in fs.cat(plan).decode()


def test_a_submitted_job_reports_its_id(capsys):
    """A launch that created a job (not a template) prints the job id Dataflow returned."""
    import types

    from apache_beam.options.pipeline_options import PipelineOptions
    from apache_beam.runners.dataflow.dataflow_runner import DataflowPipelineResult

    from pipeline.cli import _report_launch

    options = PipelineOptions(["--project", "nb-test", "--region", "europe-west1"])
    submitted = DataflowPipelineResult(types.SimpleNamespace(id="2026-12-02_01_02_03-123"), runner=None)
    _report_launch(submitted, options)
    assert "submitted Dataflow job 2026-12-02_01_02_03-123 in nb-test/europe-west1" in capsys.readouterr().out
    template = PipelineOptions(["--template_location", "gs://nb/templates/job"])
    _report_launch(DataflowPipelineResult(None, runner=None), template)
    assert "job file written to gs://nb/templates/job" in capsys.readouterr().out
