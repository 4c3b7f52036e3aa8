"""`make eval`: run every evaluation module `bench/eval_*.py` and collect their reports.

Each module exposes `main() -> dict`: it prints its own report (figures with n, confusion tables
where they apply) and returns the figures, which land in `bench/results/eval-<name>.json`.
Evaluations whose data (`../shared/data`) is absent report that and are skipped.
"""

from __future__ import annotations

import importlib
import json
import pkgutil
import sys
import time
from pathlib import Path

import bench

RESULTS = Path(__file__).resolve().parent / "results"


def main(argv: list[str] | None = None) -> int:
    wanted = set(argv if argv is not None else sys.argv[1:])
    names = sorted(m.name for m in pkgutil.iter_modules(bench.__path__) if m.name.startswith("eval_"))
    RESULTS.mkdir(parents=True, exist_ok=True)
    failed = []
    for name in names:
        short = name[len("eval_"):]
        if wanted and short not in wanted:
            continue
        print(f"\n=== eval {short} ===", flush=True)
        started = time.perf_counter()
        try:
            report = importlib.import_module(f"bench.{name}").main()
        except Exception as exc:  # one broken evaluation must not hide the others
            print(f"eval {short} failed: {type(exc).__name__}: {exc}")
            failed.append(short)
            continue
        report = {"eval": short, "seconds": round(time.perf_counter() - started, 2), **(report or {})}
        (RESULTS / f"eval-{short}.json").write_text(json.dumps(report, indent=2, sort_keys=True, default=str))
    if failed:
        print(f"\nfailed evaluations: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
