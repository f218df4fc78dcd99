"""Regenerate the bundled SYNTHETIC demo data set ``levin2024`` with the calibrator.

Usage (from the repository root)::

    python scripts/make_demo.py            # writes src/patalliance/data/levin2024/
    python scripts/make_demo.py --out DIR  # writes the CSVs elsewhere

The same as ``patalliance simulate --study src/patalliance/data/levin2024/study.toml
--targets src/patalliance/data/levin2024/targets.toml --out DIR --seed 20240314``.
The data are synthetic: simulated to reproduce published summary statistics, not real
participants' responses.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from patalliance.instruments.registry import resolve_keys
from patalliance.simulate.calibrate import calibrate, load_targets
from patalliance.study import load_study

DEMO = Path(__file__).resolve().parents[1] / "src" / "patalliance" / "data" / "levin2024"
SEED = 20240314


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEMO, help="output folder")
    parser.add_argument("--seed", type=int, default=SEED)
    args = parser.parse_args(argv)
    study = load_study(DEMO / "study.toml")
    targets = load_targets(DEMO / "targets.toml")
    result = calibrate(study, targets, resolve_keys(study), seed=args.seed)
    result.trial.write(args.out)
    frame = result.to_frame()
    print(frame[["target", "statistic", "reported", "achieved", "n", "met"]].to_string())
    if not result.met:
        print(f"{len(result.unmet)} target(s) not met; see above.", file=sys.stderr)
        return 1
    print(f"all {len(frame)} checks met; wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
