"""Regenerate the bundled SYNTHETIC demo data set ``levin2024`` with the calibrator.

Usage (from the repository root)::

    python scripts/make_demo.py            # writes src/patalliance/data/levin2024/
    python scripts/make_demo.py --out DIR  # writes the CSVs elsewhere

The same as ``patalliance simulate --study src/patalliance/data/levin2024/study.toml
--targets src/patalliance/data/levin2024/targets.toml --out DIR --seed 20240314``. The
targets file's ``[covariates]`` table adds the synthetic covariates (age, sex, expectancy
0-100) of :func:`patalliance.simulate.covariates.synthetic_covariates`, drawn from their own
random stream so that they change no other value. ``--covariates-only`` (re)draws them into
the participants file already in the output folder (scores read from its responses) without
recalibrating.
The data are synthetic: simulated to reproduce published summary statistics, not real
participants' responses.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd

from patalliance.instruments.registry import resolve_keys
from patalliance.simulate.calibrate import calibrate, load_targets
from patalliance.simulate.covariates import synthetic_covariates
from patalliance.study import load_study

DEMO = Path(__file__).resolve().parents[1] / "src" / "patalliance" / "data" / "levin2024"
SEED = 20240314


def add_covariates(folder: Path, seed: int) -> None:
    """Append age, sex and expectancy to ``folder/participants.csv`` (scored from
    ``folder/responses.csv``); nothing else in the folder changes."""
    import patalliance as pa

    study = load_study(DEMO / "study.toml")
    spec = load_targets(DEMO / "targets.toml").covariates
    assert spec is not None and spec.expectancy_score is not None
    responses = pd.read_csv(folder / "responses.csv", dtype=str, keep_default_na=False)
    path = folder / "participants.csv"
    base = pd.read_csv(path, dtype=str, keep_default_na=False)
    base = base[[c for c in base.columns if c not in ("age", "sex", "expectancy")]]
    scores = pa.score(study, responses=responses, participants=base)
    out = synthetic_covariates(
        base,
        seed=seed,
        related_score=scores[spec.expectancy_score],
        r=spec.expectancy_r,
        p_female=spec.p_female,
    )
    out.to_csv(path, index=False, lineterminator="\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEMO, help="output folder")
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument(
        "--covariates-only", action="store_true", help="only (re)draw the synthetic covariates"
    )
    args = parser.parse_args(argv)
    if args.covariates_only:
        add_covariates(args.out, args.seed)
        print(f"added age, sex and expectancy to {args.out / 'participants.csv'}")
        return 0
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
