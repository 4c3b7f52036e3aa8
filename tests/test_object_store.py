"""An S3 API served locally (moto's server): the same job reads and writes `s3://` URLs."""

from __future__ import annotations


import pytest

from tests.conftest import SEED_ARTICLE, read_table
from tests.pubsub_emulator import free_port

moto_server = pytest.importorskip("moto.server")
s3fs = pytest.importorskip("s3fs")


@pytest.fixture
def s3_endpoint(monkeypatch):
    import fsspec

    port = free_port()
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=port)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    for key, value in {"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test",
                       "AWS_DEFAULT_REGION": "us-east-1"}.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setitem(fsspec.config.conf, "s3", {"client_kwargs": {"endpoint_url": endpoint}})
    fsspec.filesystem("s3").clear_instance_cache()
    try:
        yield endpoint
    finally:
        server.stop()
        fsspec.filesystem("s3").clear_instance_cache()


def test_reads_and_writes_an_s3_bucket(s3_endpoint, run_newsbeam):
    import fsspec

    fs = fsspec.filesystem("s3")
    fs.mkdir("nb-raw")
    fs.mkdir("nb-lake")
    fs.pipe("nb-raw/2024/05/seed.txt", SEED_ARTICLE.read_bytes())
    fs.pipe("nb-raw/2024/05/broken.json", b'{"title": ')
    code, manifest = run_newsbeam("s3://nb-raw/2024/*/", "s3://nb-lake/news")
    assert code == 0
    assert manifest["counts"]["files_matched"] == 2
    assert (manifest["counts"]["articles"], manifest["counts"]["dead_letter"]) == (1, 1)
    (article,) = read_table("s3://nb-lake/news", "articles").to_pylist()
    assert article["source_uri"] == "s3://nb-raw/2024/05/seed.txt"
    assert article["contributors"] == ["Tom Mitchell"]
    assert fs.glob("nb-lake/news/articles/date=*/topic=*/part-*.parquet")
    assert fs.exists(f"nb-lake/news/_runs/{manifest['run_id']}.json")
    # staging, the dedup index and the processed-files record live in the bucket too
    assert fs.glob("nb-lake/news/_dedup_index/date=*/part-*.parquet")
    assert fs.glob("nb-lake/news/_runs/_processed/*.parquet")
    assert not fs.glob("nb-lake/news/_pending/**") and not fs.glob("nb-lake/news/_staging/**")
    # the next scheduled run reads only the new file; a copy of the article becomes a duplicate
    fs.pipe("nb-raw/2024/06/copy.txt", SEED_ARTICLE.read_bytes())
    code, second = run_newsbeam("s3://nb-raw/2024/*/", "s3://nb-lake/news")
    assert code == 0
    assert second["incremental"]["files_new"] == 1 and second["incremental"]["files_skipped"] == 2
    assert (second["counts"]["articles"], second["counts"]["duplicates"]) == (0, 1)
    assert len(read_table("s3://nb-lake/news", "articles")) == 1


def test_an_unreachable_store_is_not_reported_as_missing_input(monkeypatch, tmp_path, capsys):
    """A store that cannot be reached (here: nothing listens on the endpoint) is a different
    error from an input that does not exist."""
    import fsspec

    from pipeline.cli import main

    for key, value in {"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test",
                       "AWS_DEFAULT_REGION": "us-east-1"}.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setitem(fsspec.config.conf, "s3", {
        "client_kwargs": {"endpoint_url": f"http://127.0.0.1:{free_port()}"},
        "config_kwargs": {"retries": {"max_attempts": 1}, "connect_timeout": 1}, "retries": 1})
    fsspec.filesystem("s3").clear_instance_cache()
    try:
        code = main(["run", "--input", "s3://nb-raw/2024/", "--output", str(tmp_path / "out")])
    finally:
        fsspec.filesystem("s3").clear_instance_cache()
    err = capsys.readouterr().err
    assert code == 2
    assert "input not reachable: s3://nb-raw/2024/" in err and "input not found" not in err


def test_access_denied_is_reported_as_such(monkeypatch, tmp_path, capsys):
    """What a store's client raises on a refused request (s3fs: PermissionError) names the cause."""
    from fsspec.implementations.memory import MemoryFileSystem

    from pipeline.cli import main

    def denied(self, path, **kwargs):
        raise PermissionError(f"Access Denied: {path}")

    monkeypatch.setattr(MemoryFileSystem, "info", denied)
    code = main(["run", "--input", "memory://locked/raw/", "--output", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code == 2 and "input not reachable" in err and "PermissionError: Access Denied" in err
