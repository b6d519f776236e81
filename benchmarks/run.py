"""`make bench`: runs every benchmarks/bench_*.py module (or those named in BENCH=...).

Each module has `main(argv: list[str]) -> None`, prints its figures and compares against a peer
tool in the same run. BENCHMARKS.md records the figures with the command that produced them.
"""

from __future__ import annotations

import importlib.util
import os
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> int:
    wanted = [w for w in os.environ.get("BENCH", "").replace(",", " ").split() if w]
    modules = sorted(HERE.glob("bench_*.py"))
    if wanted:
        modules = [m for m in modules if m.stem.removeprefix("bench_") in wanted]
        if not modules:
            have = [m.stem.removeprefix("bench_") for m in HERE.glob("bench_*.py")]
            print(f"no benchmark named {wanted}; have: {have}")
            return 2
    for path in modules:
        print(f"\n=== {path.stem} ===", flush=True)
        spec = importlib.util.spec_from_file_location(path.stem, path)
        assert spec and spec.loader
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        started = time.perf_counter()
        module.main(sys.argv[1:])
        print(f"--- {path.stem} took {time.perf_counter() - started:.1f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
