"""``patalliance power``: sample-size planning (a thin shell over simulate.power)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer
from rich.table import Table

from patalliance.cli._common import console, err_console, handle_errors, progress_bar
from patalliance.errors import ConfigError
from patalliance.limits import MAX_SIMULATIONS, MEMORY_BUDGET_BYTES, simulation_bytes

power_app = typer.Typer(
    name="power",
    help="Sample-size planning: analytic and Monte Carlo power.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _pw() -> Any:
    """The power module, imported when a power command runs (it loads numpy and scipy)."""
    from patalliance.simulate import power

    return power


def _n_or_power(n: int | None, power: float | None) -> None:
    if (n is None) == (power is None):
        raise ConfigError(
            "Give exactly one of --n (to compute power) or --power (to compute the sample size)."
        )


def _call(func: Any, *args: Any, **kwargs: Any) -> Any:
    """Run a library function, turning its ValueError into a usage error (exit 2)."""
    try:
        return func(*args, **kwargs)
    except ValueError as exc:
        raise ConfigError(str(exc)) from None


def _check_simulations(simulations: int, seed: int, n: int, k: int, n_tests: int) -> None:
    """--simulations within 1..MAX_SIMULATIONS, --seed >= 0, and one simulated trial of --n
    within the memory budget (docs/power.md, "Limits")."""
    if seed < 0:
        raise ConfigError(f"--seed must be a whole number >= 0. Got {seed}.")
    if not 1 <= simulations <= MAX_SIMULATIONS:
        raise ConfigError(
            f"--simulations must be a whole number from 1 to {MAX_SIMULATIONS}. Got {simulations}."
        )
    need = simulation_bytes(n, k, n_tests)
    if need > MEMORY_BUDGET_BYTES:
        raise ConfigError(
            f"--n: one simulated trial of n = {n} participants needs about "
            f"{need / 2**30:.1f} GiB, over the {MEMORY_BUDGET_BYTES / 2**30:.1f} GiB budget of "
            f"a Monte Carlo power run; use a smaller n, or the analytic power (without "
            f"--simulations)."
        )


def _emit(payload: dict[str, Any], as_json: bool, title: str) -> None:
    if as_json:
        typer.echo(json.dumps(payload))
        return
    table = Table(title=title, show_header=True)
    table.add_column("quantity")
    table.add_column("value", justify="right")
    for key, value in payload.items():
        if value is None:
            continue
        text = f"{value:.4f}" if isinstance(value, float) else str(value)
        table.add_row(key, text)
    console.print(table)


@power_app.command("correlation")
@handle_errors
def correlation(
    r: float = typer.Option(..., "--r", help="Population correlation under H1, in (-1, 1)."),
    n: int | None = typer.Option(None, "--n", help="Sample size: compute the power."),
    power: float | None = typer.Option(
        None, "--power", help="Target power: compute the smallest sample size."
    ),
    alpha: float = typer.Option(0.05, "--alpha", help="Two-sided significance level."),
    simulations: int | None = typer.Option(
        None, "--simulations", help="Also estimate power by Monte Carlo with this many trials."
    ),
    seed: int | None = typer.Option(None, "--seed", help="Seed for --simulations."),
    as_json: bool = typer.Option(False, "--json", help="Print a JSON object."),
) -> None:
    """Power or sample size of the two-sided test of a Pearson correlation."""
    _n_or_power(n, power)
    if (simulations is None) != (seed is None):
        raise ConfigError("--simulations and --seed go together: give both or neither.")
    payload: dict[str, Any] = {"r": r, "alpha": alpha}
    n_eval: int
    if power is not None:
        n_exact = _call(_pw().n_for_power_correlation, r, power=power, alpha=alpha, method="exact")
        n_fisher = _call(
            _pw().n_for_power_correlation, r, power=power, alpha=alpha, method="fisher"
        )
        payload |= {"power": power, "n_exact": n_exact, "n_fisher": n_fisher, "n": n_exact}
        n_eval = n_exact
    elif n is not None:
        n_eval = n
        payload |= {
            "n": n,
            "power_exact": _call(_pw().power_correlation_exact, r, n, alpha=alpha),
            "power_fisher": _call(_pw().power_correlation_fisher, r, n, alpha=alpha),
        }
    if simulations is not None and seed is not None:
        _check_simulations(simulations, seed, n_eval, 2, 1)
        with progress_bar("Simulating", simulations) as advance:
            res = _call(
                _pw().simulate_power_correlation,
                r,
                n_eval,
                n_simulations=simulations,
                seed=seed,
                alpha=alpha,
                progress=advance,
            )
        payload |= {
            "power_mc": res.power,
            "power_mc_se": res.power_se,
            "n_simulations": res.n_simulations,
            "seed": res.seed,
        }
    _emit(payload, as_json, "Power of a Pearson correlation test (two-sided)")


@power_app.command("paired")
@handle_errors
def paired(
    d: float = typer.Option(..., "--d", help="Effect size d_z (mean difference / SD of diffs)."),
    n: int | None = typer.Option(None, "--n", help="Number of pairs: compute the power."),
    power: float | None = typer.Option(
        None, "--power", help="Target power: compute the smallest number of pairs."
    ),
    alpha: float = typer.Option(0.05, "--alpha", help="Two-sided significance level."),
    as_json: bool = typer.Option(False, "--json", help="Print a JSON object."),
) -> None:
    """Power or sample size of the two-sided paired t test (effect size d_z)."""
    _n_or_power(n, power)
    payload: dict[str, Any] = {"d_z": d, "alpha": alpha}
    if power is not None:
        payload |= {
            "power": power,
            "n": _call(_pw().n_for_power_paired, d, power=power, alpha=alpha),
        }
    else:
        payload |= {"n": n, "power": _call(_pw().power_paired, d, n, alpha=alpha)}
    _emit(payload, as_json, "Power of a paired t test (two-sided)")


@power_app.command("plan")
@handle_errors
def plan_command(
    study: Path = typer.Argument(
        ..., help="The study file whose correlation families are planned."
    ),
    n: str = typer.Option(..., "--n", help="Sample size(s), comma-separated: 24,40,60,80."),
    simulations: int = typer.Option(2000, "--simulations", help="Simulated trials per N."),
    seed: int = typer.Option(..., "--seed", help="Random seed; same seed, same power."),
    corr: Path | None = typer.Option(
        None, "--corr", help="TOML with population correlations (default: the study's data)."
    ),
    missing: float | None = typer.Option(
        None, "--missing", help="One dropout rate for every variable (default: the data's)."
    ),
    alpha: float | None = typer.Option(None, "--alpha", help="Significance level (default: plan)."),
    adjust: str | None = typer.Option(
        None, "--adjust", help="none, holm or fdr_bh (default: plan)."
    ),
    target: float = typer.Option(0.8, "--target-power", help="Power to reach."),
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON."),
    out: Path | None = typer.Option(
        None, "--out", help="Folder for power.json, power_curve.svg and power_report.html."
    ),
) -> None:
    """Monte Carlo power of a study's whole correlation plan over a grid of N."""
    from patalliance.simulate.plan import plan_from_study
    from patalliance.simulate.power_mc import power_curve

    try:
        grid = [int(v) for v in n.split(",") if v.strip()]
    except ValueError:
        raise ConfigError(
            f"--n must be whole numbers separated by commas, e.g. 24,40,60. Got {n!r}."
        ) from None
    if not grid or min(grid) < 4:
        raise ConfigError(f"--n needs sample sizes of at least 4. Got {n!r}.")
    if missing is not None and not 0 <= missing < 1:
        raise ConfigError(f"--missing must be a dropout rate in [0, 1). Got {missing}.")
    if adjust is not None and adjust not in {"none", "holm", "fdr_bh"}:
        raise ConfigError(f"--adjust must be none, holm or fdr_bh. Got {adjust!r}.")
    source = _call(
        plan_from_study, study, corr_path=corr, missing_rate=missing, alpha=alpha, adjust=adjust
    )
    spec = source.spec
    _check_simulations(simulations, seed, max(grid), len(spec.variables), len(spec.tests))
    with progress_bar("simulating trials", total=simulations * len(grid)) as advance:
        curve = _call(
            power_curve,
            source.spec,
            grid,
            n_simulations=simulations,
            seed=seed,
            target_power=target,
            progress=advance,
        )
    from patalliance.report.power import power_document, write_power_outputs

    doc = power_document(curve, source)
    if out is not None:
        files = write_power_outputs(curve, source, out)
    if as_json:
        console.print_json(json.dumps(doc))
    else:
        table = Table(title=f"Monte Carlo power ({simulations} trials per N, seed {seed})")
        table.add_column("test")
        for size in grid:
            table.add_column(f"N={size}", justify="right")
        table.add_column(f"min N ({target:.0%})", justify="right")
        for t in doc["tests"]:
            label = f"{t['x']} × {t['y']}" + ("" if t["primary"] else " (null)")
            table.add_row(label, *[f"{p:.2f}" for p in t["power"]], str(t["min_n"] or "—"))
        table.add_row(
            "all primary",
            *[f"{p:.2f}" for p in doc["power_all_primary"]],
            str(doc["min_n_all_primary"] or "—"),
        )
        table.add_row("any significant", *[f"{p:.2f}" for p in doc["power_any"]], "")
        console.print(table)
    if out is not None:
        for name, path in files.items():
            err_console.print(f"  {name}: {path}", markup=False)


if __name__ == "__main__":
    power_app()
