"""``patalliance simulate``: calibrated synthetic trial data from published targets.

A thin shell over :func:`patalliance.simulate.calibrate.calibrate`. Registered in
``cli/main.py`` with ``app.command("simulate")(simulate_command)``.
"""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from patalliance.cli._common import console, escape, handle_errors
from patalliance.cli._tables import keep_words_whole
from patalliance.errors import ConfigError


@handle_errors
def simulate_command(
    study: Path = typer.Option(..., "--study", help="The study file (study.toml)."),
    targets: Path = typer.Option(..., "--targets", help="The targets file (targets.toml)."),
    out: Path = typer.Option(..., "--out", help="Folder for responses.csv and participants.csv."),
    seed: int = typer.Option(20240314, "--seed", help="Random seed; same seed, same files."),
    time_limit: float | None = typer.Option(
        None, "--time-limit", help="Seconds for the search (default: the targets file's)."
    ),
) -> None:
    """Simulate item-level data whose analysis reproduces published statistics.

    Writes OUT/responses.csv, OUT/participants.csv and OUT/calibration.csv (every target,
    reported vs reproduced). Exits 2 when a target is infeasible or was not reached.
    """
    from patalliance.instruments.registry import resolve_keys
    from patalliance.simulate.calibrate import calibrate, load_targets
    from patalliance.study import load_study

    if seed < 0:
        raise ConfigError(f"--seed must be a whole number >= 0. Got {seed}.")
    if time_limit is not None and not time_limit > 0:
        raise ConfigError(f"--time-limit must be a positive number of seconds. Got {time_limit}.")
    study_obj = load_study(study)
    target_obj = load_targets(targets)
    result = calibrate(
        study_obj, target_obj, resolve_keys(study_obj), seed=seed, time_limit_s=time_limit
    )
    paths = result.write(out)
    table = Table(title=f"Calibration (seed {seed}, {result.seconds:.1f} s)")
    for col in ("target", "statistic", "reported", "reproduced", "n", "met"):
        table.add_column(col)
    for c in result.checks:
        table.add_row(
            escape(c.target),
            c.statistic,
            escape(c.reported),
            f"{c.achieved:.4g}",
            str(c.n),
            "yes" if c.met else "[bold red]NO[/]",
        )
    console.print(keep_words_whole(table, width=console.width))
    if not result.met:
        unmet = "; ".join(
            f"{c.target} {c.statistic} {c.reported} ({c.reason})" for c in result.unmet
        )
        raise ConfigError(
            f"{targets}: {len(result.unmet)} target(s) not reached within the search budget: "
            f"{unmet}. The closest data found were written to {out} (see "
            f"{paths['calibration'].name}); try another --seed or a longer --time-limit."
        )
    console.print(f"All {len(result.checks)} checks met. Wrote {escape(out)}.")
