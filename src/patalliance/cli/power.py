"""``patalliance power``: sample-size planning (a thin shell over simulate.power)."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from rich.table import Table

from patalliance.cli._common import console, err_console, handle_errors, progress_bar
from patalliance.errors import ConfigError
from patalliance.limits import MAX_SIMULATIONS, MEMORY_BUDGET_BYTES, simulation_bytes

if TYPE_CHECKING:
    from patalliance.simulate.plan import PlanSource
    from patalliance.simulate.power_results import PowerCurveResult

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
    """The result as JSON, or as a table with what each field means."""
    from patalliance.report.power_text import FIELD_MEANINGS

    if as_json:
        typer.echo(json.dumps(payload))
        return
    table = Table(title=title, show_header=True)
    table.add_column("quantity")
    table.add_column("value", justify="right")
    table.add_column("meaning")
    for key, value in payload.items():
        if value is None:
            continue
        text = f"{value:.4f}" if isinstance(value, float) else str(value)
        table.add_row(key, text, FIELD_MEANINGS.get(key, ""))
    console.print(table)


def _check_dropout(dropout: float) -> float:
    if not 0 <= dropout < 1:
        raise ConfigError(
            f"--dropout must be a fraction in [0, 1), e.g. 0.2 when one participant in five is "
            f"lost. Got {dropout}."
        )
    return dropout


def _add_enrolment(payload: dict[str, Any], dropout: float | None, *keys: str) -> None:
    """Beside each analysable N in ``keys``: N to enrol = ceil(N / (1 - dropout))."""
    if dropout is None:
        return
    payload["dropout"] = _check_dropout(dropout)
    for key in keys:
        suffix = key.removeprefix("n")
        payload[f"n_enrol{suffix}"] = _pw().n_to_enrol(payload[key], dropout)


_DROPOUT_HELP = (
    "Expected dropout fraction in [0, 1): adds the N to enrol, ceil(N / (1 - dropout)), beside "
    "the analysable N."
)


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
    dropout: float | None = typer.Option(None, "--dropout", help=_DROPOUT_HELP),
    as_json: bool = typer.Option(False, "--json", help="Print a JSON object."),
) -> None:
    """Power or sample size of the two-sided test of a Pearson correlation.

    N is the analysable sample size (participants with both variables); --dropout adds the
    number to enrol. n_exact comes from the exact distribution of r (as G*Power), n_fisher
    from the Fisher-z approximation (as R pwr.r.test); n is n_exact.
    """
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
        _add_enrolment(payload, dropout, "n_exact", "n_fisher", "n")
        n_eval = n_exact
    elif n is not None:
        n_eval = n
        payload |= {
            "n": n,
            "power_exact": _call(_pw().power_correlation_exact, r, n, alpha=alpha),
            "power_fisher": _call(_pw().power_correlation_fisher, r, n, alpha=alpha),
        }
        _add_enrolment(payload, dropout, "n")
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


def _paired_effect(d: float | None, d_av: float | None, r_prepost: float | None) -> dict[str, Any]:
    """The effect of ``power paired``: d_z as given, or converted from d_av and r."""
    if (d is None) == (d_av is None):
        raise ConfigError("Give exactly one of --d (d_z) or --d-av (with --r-prepost).")
    if d is not None:
        if r_prepost is not None:
            raise ConfigError("--r-prepost goes with --d-av; with --d (d_z) leave it out.")
        return {"d_z": d}
    if r_prepost is None:
        raise ConfigError(
            "--d-av needs --r-prepost, the correlation between the pre and post measurements "
            "(e.g. --d-av 0.43 --r-prepost 0.5); d_z = d_av / sqrt(2 (1 - r))."
        )
    if not -1 < r_prepost < 1:
        raise ConfigError(f"--r-prepost must be a correlation in (-1, 1). Got {r_prepost}.")
    d_z = _call(_pw().d_z_from_d_av, d_av, r_prepost)
    return {"d_av": d_av, "r_prepost": r_prepost, "d_z": d_z}


@power_app.command("paired")
@handle_errors
def paired(
    d: float | None = typer.Option(
        None, "--d", "--d-z", help="Effect size d_z: mean difference / SD of the differences."
    ),
    d_av: float | None = typer.Option(
        None,
        "--d-av",
        help="Effect size d_av: mean difference / mean of the two SDs (the report's d); "
        "needs --r-prepost.",
    ),
    r_prepost: float | None = typer.Option(
        None, "--r-prepost", help="Pre-post correlation, to convert --d-av to d_z."
    ),
    n: int | None = typer.Option(None, "--n", help="Number of pairs: compute the power."),
    power: float | None = typer.Option(
        None, "--power", help="Target power: compute the smallest number of pairs."
    ),
    alpha: float = typer.Option(0.05, "--alpha", help="Two-sided significance level."),
    dropout: float | None = typer.Option(None, "--dropout", help=_DROPOUT_HELP),
    as_json: bool = typer.Option(False, "--json", help="Print a JSON object."),
) -> None:
    """Power or sample size of the two-sided paired t test.

    The test's effect size is d_z (mean difference / SD of the differences). The change
    table's headline d is d_av (mean difference / mean of the two SDs): give it with --d-av
    and the pre-post correlation --r-prepost, and it is converted as
    d_z = d_av / sqrt(2 (1 - r)), which assumes equal pre and post SDs (Dunlap et al. 1996;
    Lakens 2013).
    """
    _n_or_power(n, power)
    payload: dict[str, Any] = _paired_effect(d, d_av, r_prepost) | {"alpha": alpha}
    d_z = payload["d_z"]
    if power is not None:
        payload |= {
            "power": power,
            "n": _call(_pw().n_for_power_paired, d_z, power=power, alpha=alpha),
        }
    else:
        payload |= {"n": n, "power": _call(_pw().power_paired, d_z, n, alpha=alpha)}
    _add_enrolment(payload, dropout, "n")
    _emit(payload, as_json, "Power of a paired t test (two-sided)")


def _parse_grid(n: str) -> list[int]:
    try:
        grid = [int(v) for v in n.split(",") if v.strip()]
    except ValueError:
        raise ConfigError(
            f"--n must be whole numbers separated by commas, e.g. 24,40,60. Got {n!r}."
        ) from None
    if not grid or min(grid) < 4:
        raise ConfigError(f"--n needs sample sizes of at least 4. Got {n!r}.")
    return grid


def _check_plan_options(missing: float | None, adjust: str | None) -> None:
    if missing is not None and not 0 <= missing < 1:
        raise ConfigError(f"--missing must be a dropout rate in [0, 1). Got {missing}.")
    if adjust is not None and adjust not in {"none", "holm", "fdr_bh"}:
        raise ConfigError(f"--adjust must be none, holm or fdr_bh. Got {adjust!r}.")


def _print_plan_table(doc: dict[str, Any], grid: list[int]) -> None:
    """The per-test power table of ``power plan``, its summary rows and a legend."""
    from patalliance.report.power_text import PLAN_MEANINGS, adjust_phrase

    target = doc["target_power"]
    table = Table(
        title=f"Monte Carlo power ({doc['n_simulations']} trials per N, seed {doc['seed']}, "
        f"α = {doc['alpha']:g}, {adjust_phrase(doc['adjust'])})"
    )
    table.add_column("test")
    table.add_column("ρ", justify="right")
    table.add_column("primary")
    for size in grid:
        table.add_column(f"N={size}", justify="right")
    table.add_column(f"min N ({target:.0%})", justify="right")
    for t in doc["tests"]:
        table.add_row(
            f"{t['x']} × {t['y']}",
            f"{t['rho']:.2f}",
            "yes" if t["primary"] else "no",
            *[f"{p:.2f}" for p in t["power"]],
            str(t["min_n"] or "—"),
        )
    if doc["power_all_primary"] is None:
        table.add_row("all primary", "", "", *["—" for _ in grid], "—")
    else:
        k = sum(t["primary"] for t in doc["tests"])
        table.add_row(
            f"all {k} primary tests",
            "",
            "",
            *[f"{p:.2f}" for p in doc["power_all_primary"]],
            str(doc["min_n_all_primary"] or "—"),
        )
    table.add_row("any significant", "", "", *[f"{p:.2f}" for p in doc["power_any"]], "")
    console.print(table)
    console.print(f"Primary tests: {doc['primary_from']}.", markup=False)
    if doc["power_all_primary"] is None:
        console.print(
            "No primary test, so there is no 'all primary' power: mark the tests the study is "
            "powered for with --primary X,Y, --effect X,Y=R or primary = true in the effects "
            "file.",
            markup=False,
        )
    for key, text in PLAN_MEANINGS.items():
        console.print(f"  {key}: {text}", markup=False)


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
        None,
        "--effects",
        "--corr",
        help="TOML file of planned effects / population correlations (default: the study's "
        "data; docs/power.md).",
    ),
    effect: list[str] | None = typer.Option(
        None,
        "--effect",
        help="A planned effect X,Y=R for one test (repeatable); it overrides the file's or "
        "the data's r and marks the test primary.",
    ),
    primary: list[str] | None = typer.Option(
        None, "--primary", help="Mark the test X,Y primary, keeping its r (repeatable)."
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
    """Monte Carlo power of a study's whole correlation plan over a grid of N.

    Plan from the effects you expect in the population (--effect, --effects FILE), not from
    the pilot's observed correlations; primary tests are the ones you mark (docs/power.md).
    """
    started = time.perf_counter()
    from patalliance.simulate.plan import plan_from_study
    from patalliance.simulate.plan_effects import parse_effect_flag, parse_primary_flag
    from patalliance.simulate.power_mc import power_curve

    grid = _parse_grid(n)
    _check_plan_options(missing, adjust)
    source = _call(
        plan_from_study,
        study,
        corr_path=corr,
        missing_rate=missing,
        alpha=alpha,
        adjust=adjust,
        effects=[parse_effect_flag(e) for e in effect or []],
        primary=[parse_primary_flag(p) for p in primary or []],
    )
    spec = source.spec
    _check_simulations(simulations, seed, max(grid), len(spec.variables), len(spec.tests))
    for warning in source.warnings:
        err_console.print(f"warning: {warning}", markup=False)
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
    _plan_outputs(curve, source, grid, out=out, as_json=as_json)
    err_console.print(
        f"Simulated {simulations * len(grid):,} trials ({simulations:,} at each of "
        f"{len(grid)} sample sizes); done in {time.perf_counter() - started:.1f} s.",
        markup=False,
    )


def _plan_outputs(
    curve: PowerCurveResult,
    source: PlanSource,
    grid: list[int],
    *,
    out: Path | None,
    as_json: bool,
) -> None:
    """The plan's table or JSON on stdout; with ``out``, its files, listed on stderr."""
    from patalliance.report.power import power_document, write_power_outputs

    doc = power_document(curve, source)
    files = write_power_outputs(curve, source, out) if out is not None else {}
    if as_json:
        console.print_json(json.dumps(doc))
    else:
        _print_plan_table(doc, grid)
    for name, path in files.items():
        err_console.print(f"  {name}: {path}", markup=False)


if __name__ == "__main__":
    power_app()
