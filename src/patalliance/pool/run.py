"""``run_pool``: inputs, plan and options in, a :class:`PoolResult` out.

The function behind ``patalliance pool``; a notebook can call it the same way. Options given
here override the plan's ``[pool]`` table, which overrides the defaults (REML, no HKSJ,
0.95).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from patalliance.errors import ConfigError
from patalliance.pool.analysis import PoolResult, pool
from patalliance.pool.examples import EXAMPLES, load_example
from patalliance.pool.inputs import read_effects_csv
from patalliance.pool.model import METHODS
from patalliance.pool.plan import PoolPlan, load_plan, read_results_inputs

__all__ = ["run_pool"]

_CONVENTIONS = ("exact", "metapsy")


def _options(
    plan: PoolPlan,
    *,
    method: str | None,
    hksj: bool | None,
    confidence_level: float | None,
    g_convention: str | None,
) -> dict[str, Any]:
    section = plan.pool
    chosen_method = (method or section.method).upper()
    if chosen_method not in METHODS:
        raise ConfigError(f"--method must be one of {', '.join(METHODS)}. Got {method!r} instead.")
    level = section.confidence_level if confidence_level is None else confidence_level
    if not 0 < level < 1:
        raise ConfigError(f"--confidence-level must be between 0 and 1. Got {level!r} instead.")
    convention = g_convention or section.g_convention
    if convention not in _CONVENTIONS:
        raise ConfigError(
            f"--g-convention must be 'exact' or 'metapsy'. Got {g_convention!r} instead."
        )
    return {
        "method": chosen_method,
        "hksj": section.hksj if hksj is None else hksj,
        "confidence_level": level,
        "g_convention": convention,
    }


def _kind(paths: Sequence[Path]) -> str:
    kinds = {p.suffix.lower() for p in paths}
    if kinds <= {".json"}:
        return "results"
    if kinds == {".csv"} and len(paths) == 1:
        return "csv"
    if kinds == {".csv"}:
        raise ConfigError(
            "give one CSV of study-level effects (one row per study), not several: "
            + ", ".join(str(p) for p in paths)
        )
    raise ConfigError(
        "inputs must be results.json files (with --plan) or one .csv of study-level effects. "
        f"Got: {', '.join(str(p) for p in paths)}."
    )


def run_pool(
    inputs: Sequence[str | Path] = (),
    *,
    plan: str | Path | None = None,
    example: str | None = None,
    method: str | None = None,
    hksj: bool | None = None,
    confidence_level: float | None = None,
    g_convention: str | None = None,
) -> PoolResult:
    """Read the inputs (or an example) and pool them.

    Parameters
    ----------
    inputs : sequence of path
        Several trials' ``results.json`` (with ``plan``), or one CSV of study-level effects.
    plan : path, keyword-only
        A ``pool.toml`` (required for results.json inputs; optional for a CSV).
    example : {"psilocybin-depression", "alliance"}, keyword-only
        Run a bundled example instead of ``inputs``.
    method : {"REML", "DL", "PM"}, keyword-only
        τ² estimator; default the plan's, else REML.
    hksj : bool, keyword-only
        Hartung–Knapp–Sidik–Jonkman interval; default the plan's, else False.
    confidence_level : float, keyword-only
        Default the plan's, else 0.95.
    g_convention : {"exact", "metapsy"}, keyword-only
        How g is computed from means and SDs; default the plan's, else exact (the
        ``psilocybin-depression`` example defaults to ``metapsy``).

    Returns
    -------
    PoolResult

    Raises
    ------
    ConfigError
        Bad options, a missing file, results.json without a plan, mixed or no inputs.
    DataValidationError
        Problems in the input files (named with file, row and column).
    """
    the_plan = load_plan(plan) if plan is not None else PoolPlan()
    if example is not None:
        if inputs or plan is not None:
            raise ConfigError("--example runs a bundled example; give no INPUT and no --plan.")
        if example not in EXAMPLES:
            raise ConfigError(
                f"--example must be one of {', '.join(EXAMPLES)}. Got {example!r} instead."
            )
        opts = _options(the_plan, method=method, hksj=hksj, confidence_level=confidence_level,
                        g_convention=g_convention or "metapsy")  # fmt: skip
        ex = load_example(example, g_convention=opts.pop("g_convention"))
        return pool(ex.table, **opts, benchmark=ex.benchmark, title=ex.title,
                    description=ex.description,
                    subgroup_column=ex.subgroup_column or "subgroup")  # fmt: skip
    opts = _options(
        the_plan,
        method=method,
        hksj=hksj,
        confidence_level=confidence_level,
        g_convention=g_convention,
    )
    convention = opts.pop("g_convention")
    paths = [Path(p) for p in inputs]
    if not paths and not the_plan.inputs:
        raise ConfigError("no inputs: give a CSV, results.json files with --plan, or --example.")
    if paths and _kind(paths) == "csv":
        table = read_effects_csv(
            paths[0], g_convention=convention, higher_is_better=the_plan.pool.higher_is_better
        )
    else:
        if plan is None:
            raise ConfigError(
                "results.json inputs need --plan pool.toml naming the result to pool "
                "(see docs/pool.md)."
            )
        the_plan = the_plan.model_copy(
            update={"pool": the_plan.pool.model_copy(update={"g_convention": convention})}
        )
        table = read_results_inputs(paths, the_plan)
    bench = the_plan.benchmark.build() if the_plan.benchmark is not None else None
    return pool(
        table,
        **opts,
        benchmark=bench,
        title=the_plan.pool.title,
        description=the_plan.pool.description,
    )
