"""`python -m orchestration.generate LANDING_DIR [--leads N] ...`: write sample exports from a shell.

Handy for demos and for measuring the generator at scale without writing a script.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from datetime import date
from pathlib import Path

from .run import generate


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m orchestration.generate", description=__doc__)
    parser.add_argument("landing_dir", type=Path)
    parser.add_argument("--leads", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--start", type=date.fromisoformat, default=date(2026, 1, 1))
    parser.add_argument("--months", type=int, default=6)
    parser.add_argument("--scenario", default="default")
    args = parser.parse_args(argv)
    began = time.perf_counter()
    truth = generate(args.landing_dir, leads=args.leads, seed=args.seed, start=args.start, months=args.months,
                     scenario=args.scenario)
    for path, rows in truth["rows"].items():
        print(f"{rows:>10,}  {path}")
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{time.perf_counter() - began:.1f} s, peak RSS {peak_mb:.0f} MB", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
