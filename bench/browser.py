"""Headless Chromium (Debian's `chromium` package) for checking and photographing HTML reports.

`dump_dom(page)` returns the DOM after the page's scripts ran; `screenshot(page, png)` writes a
PNG. Both run a fresh profile with networking features off (the machine has no network, and the
report must not need one). `python -m bench.browser PAGE.html OUT.png` takes a screenshot.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Optional

FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-extensions", "--hide-scrollbars", "--mute-audio")


def chromium() -> Optional[str]:
    """Path of the Chromium binary, or None when it is not installed."""
    for name in (os.environ.get("CHROMIUM"), "chromium", "chromium-browser", "google-chrome"):
        if name and shutil.which(name):
            return shutil.which(name)
    return None


def _run(page: Path, *extra: str, timeout: float = 120) -> subprocess.CompletedProcess:
    binary = chromium()
    if binary is None:
        raise FileNotFoundError("chromium is not installed (apt-get install -y chromium)")
    with tempfile.TemporaryDirectory(prefix="newsbeam-chromium-") as profile:
        return subprocess.run(
            [binary, *FLAGS, f"--user-data-dir={profile}", *extra, Path(page).resolve().as_uri()],
            capture_output=True, text=True, timeout=timeout, check=True)


def dump_dom(page: Path, budget_ms: int = 5000) -> str:
    """The page's DOM once its scripts have run (virtual time budget `budget_ms`)."""
    return _run(page, f"--virtual-time-budget={budget_ms}", "--dump-dom").stdout


def screenshot(page: Path, png: Path, width: int = 1280, height: int = 2400) -> Path:
    png = Path(png)
    png.parent.mkdir(parents=True, exist_ok=True)
    _run(page, f"--window-size={width},{height}", f"--screenshot={png.resolve()}")
    return png


if __name__ == "__main__":
    page, out = sys.argv[1], sys.argv[2]
    height = int(sys.argv[3]) if len(sys.argv) > 3 else 2400
    print(screenshot(Path(page), Path(out), height=height))
