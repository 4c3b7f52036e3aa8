"""deploy/ stays consistent with the code: the image's lock file, the template spec and the
scheduled launch."""

from __future__ import annotations

import json
import re
from importlib import metadata

import pytest

from tests.conftest import REPO

packaging = pytest.importorskip("packaging.requirements")
from packaging.requirements import Requirement  # noqa: E402
from packaging.utils import canonicalize_name  # noqa: E402


def _lock() -> dict[str, str]:
    pins = {}
    for line in (REPO / "deploy" / "requirements.lock").read_text().splitlines():
        if line and not line.startswith("#"):
            name, version = line.split("==")
            pins[canonicalize_name(name)] = version
    return pins


def _pyproject_requirements() -> list[Requirement]:
    import tomllib

    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    return [Requirement(r) for r in project["dependencies"] + project["optional-dependencies"]["gcp"]]


def test_the_lock_pins_the_beam_of_the_boot_files_and_satisfies_pyproject():
    lock = _lock()
    dockerfile = (REPO / "deploy" / "Dockerfile").read_text()
    (beam,) = re.findall(r"ARG BEAM_VERSION=(\S+)", dockerfile)
    assert "apache/beam_python3.11_sdk:${BEAM_VERSION}" in dockerfile and "pip check" in dockerfile
    assert lock["apache-beam"] == beam
    for requirement in _pyproject_requirements():
        name = canonicalize_name(requirement.name)
        assert name in lock, f"{name} missing from deploy/requirements.lock: run deploy/lock.sh"
        assert requirement.specifier.contains(lock[name], prereleases=True), (name, lock[name])
    # the tests run against what the image ships
    assert metadata.version("apache-beam") == beam


def test_the_lock_is_closed_under_dependencies():
    """pip check's rule on the lock: every requirement of a locked package (for Linux, Python
    3.11, no extras) is locked at a version that satisfies it. Checked for the packages this
    environment has at the locked version (their metadata is at hand)."""
    lock = _lock()
    env = {"python_version": "3.11", "python_full_version": "3.11.9", "sys_platform": "linux",
           "platform_system": "Linux", "os_name": "posix", "platform_machine": "x86_64",
           "implementation_name": "cpython", "platform_python_implementation": "CPython", "extra": ""}
    checked = 0
    for name, version in lock.items():
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            continue
        if dist.version != version:
            continue
        checked += 1
        for text in dist.requires or ():
            requirement = Requirement(text)
            if requirement.marker and not requirement.marker.evaluate(env):
                continue
            dep = canonicalize_name(requirement.name)
            assert dep in lock, f"{name} needs {requirement}, not in the lock"
            assert requirement.specifier.contains(lock[dep], prereleases=True), (name, str(requirement), lock[dep])
    assert checked > len(lock) * 0.8


def test_the_template_spec_names_the_image_for_the_workers():
    templates = pytest.importorskip("google.cloud.dataflow_v1beta3.types.templates")
    from pipeline.docs import flex_template_metadata, template_spec

    image = "europe-west1-docker.pkg.dev/p/r/newsbeam:abc123"
    for streaming in (False, True):
        spec = template_spec(image, streaming)
        parsed = templates.ContainerSpec.from_json(json.dumps(spec))  # the API's own schema
        assert parsed.image == image and parsed.default_environment.sdk_container_image == image
        assert spec["metadata"] == flex_template_metadata(streaming)
    assert "template-spec" in (REPO / "deploy" / "build_template.sh").read_text()


def test_the_scheduled_launch_passes_only_template_parameters():
    script = re.sub(r"\$\{(\w+)\}", r"<\1>", (REPO / "deploy" / "schedule_batch.sh").read_text())
    parameters = json.loads("{" + re.search(r'"parameters": \{(.*?)\}', script, re.S).group(1) + "}")
    names = {p["name"] for p in json.loads((REPO / "deploy" / "metadata.json").read_text())["parameters"]}
    assert set(parameters) <= names
    assert parameters["input"].endswith("/raw/")  # the whole folder: each run reads only new files
    assert "dedup_index" not in parameters  # on by default in an incremental run


def test_the_readme_launches_without_a_setup_file():
    readme = (REPO / "README.md").read_text()
    assert "--setup_file" not in readme
    assert "--sdk_container_image" in readme and "deploy/build_template.sh" in readme
    license_text = (REPO / "LICENSE").read_text()
    assert "Apache License" in license_text and "Version 2.0" in license_text
