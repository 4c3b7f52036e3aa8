"""Start and stop the Pub/Sub emulator of the Google Cloud CLI (`gcloud beta emulators pubsub`)
for tests and the streaming benchmark."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from contextlib import contextmanager

PROJECT = "newsbeam-local"


def free_port() -> int:
    """A TCP port on 127.0.0.1 nothing listens on now (for the test servers: emulators, moto)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def available() -> bool:
    return shutil.which("gcloud") is not None and shutil.which("java") is not None


@contextmanager
def emulator(timeout_s: float = 90.0):
    """Yields the emulator's host:port (and sets PUBSUB_EMULATOR_HOST meanwhile); stops it by its
    process group at the end."""
    host = f"127.0.0.1:{free_port()}"
    data = tempfile.mkdtemp(prefix="pubsub-emulator-")
    log = open(os.path.join(data, "emulator.log"), "w+")
    process = subprocess.Popen(
        ["gcloud", "beta", "emulators", "pubsub", "start", f"--host-port={host}", f"--project={PROJECT}",
         f"--data-dir={data}"],
        stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    previous = os.environ.get("PUBSUB_EMULATOR_HOST")
    try:
        deadline = time.time() + timeout_s
        while True:
            log.seek(0)
            if "Server started" in log.read():
                break
            if process.poll() is not None or time.time() > deadline:
                log.seek(0)
                raise RuntimeError(f"Pub/Sub emulator did not start: {log.read()[-500:]}")
            time.sleep(0.25)
        os.environ["PUBSUB_EMULATOR_HOST"] = host
        yield host
    finally:
        if previous is None:
            os.environ.pop("PUBSUB_EMULATOR_HOST", None)
        else:
            os.environ["PUBSUB_EMULATOR_HOST"] = previous
        try:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=20)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            try:
                os.killpg(process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        log.close()
        shutil.rmtree(data, ignore_errors=True)


def topic_and_subscription(name: str) -> tuple[str, str]:
    """Create a topic and a subscription on the emulator (PUBSUB_EMULATOR_HOST set)."""
    from google.cloud import pubsub_v1

    topic = f"projects/{PROJECT}/topics/{name}"
    subscription = f"projects/{PROJECT}/subscriptions/{name}"
    pubsub_v1.PublisherClient().create_topic(request={"name": topic})
    with pubsub_v1.SubscriberClient() as subscriber:
        subscriber.create_subscription(request={"name": subscription, "topic": topic, "ack_deadline_seconds": 60})
    return topic, subscription
