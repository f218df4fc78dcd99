"""``patalliance power``: sample-size planning (a thin shell over simulate.power)."""

from __future__ import annotations

import json
from typing import Any

import typer
from rich.table import Table

from patalliance.cli._common import console, handle_errors, progress_bar
from patalliance.errors import ConfigError
from patalliance.simulate import power as pw

power_app = typer.Typer(
    name="power",
    help="Sample-size planning: analytic and Monte Carlo power.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


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
    if simulations is not None and simulations < 1:
        raise ConfigError(f"--simulations must be a positive integer. Got {simulations}.")
    payload: dict[str, Any] = {"r": r, "alpha": alpha}
    n_eval: int
    if power is not None:
        n_exact = _call(pw.n_for_power_correlation, r, power=power, alpha=alpha, method="exact")
        n_fisher = _call(pw.n_for_power_correlation, r, power=power, alpha=alpha, method="fisher")
        payload |= {"power": power, "n_exact": n_exact, "n_fisher": n_fisher, "n": n_exact}
        n_eval = n_exact
    elif n is not None:
        n_eval = n
        payload |= {
            "n": n,
            "power_exact": _call(pw.power_correlation_exact, r, n, alpha=alpha),
            "power_fisher": _call(pw.power_correlation_fisher, r, n, alpha=alpha),
        }
    if simulations is not None and seed is not None:
        with progress_bar("Simulating", simulations) as advance:
            res = _call(
                pw.simulate_power_correlation,
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
            "n": _call(pw.n_for_power_paired, d, power=power, alpha=alpha),
        }
    else:
        payload |= {"n": n, "power": _call(pw.power_paired, d, n, alpha=alpha)}
    _emit(payload, as_json, "Power of a paired t test (two-sided)")


if __name__ == "__main__":
    power_app()
