"""From a study file to a Monte Carlo power plan (:class:`~patalliance.simulate.power_mc.PlanSpec`).

The tests are the Pearson tests of the study's ``[[analysis.correlations]]`` families, adjusted
within each family as the plan says. The population correlation matrix comes either from the
study's own data (pairwise-complete correlations, made positive definite by alternating
projections when needed) or from a TOML file (format in ``docs/power.md``):

.. code-block:: toml

    variables = ["alliance.total@prep", "depression.total@fu4w"]
    matrix = [[1.0, -0.5], [-0.5, 1.0]]
    # or, instead of matrix, pairs (unlisted pairs are 0):
    # [[pairs]]
    # x = "alliance.total@prep"
    # y = "depression.total@fu4w"
    # r = -0.5
    [missing]              # optional MCAR dropout rate per variable
    "depression.total@fu4w" = 0.1
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from patalliance.errors import ConfigError
from patalliance.pipeline import prepare
from patalliance.simulate.calibrate import complete_correlation
from patalliance.simulate.power_mc import PlanSpec
from patalliance.stats import correlate
from patalliance.study import Study


@dataclass(frozen=True)
class PlanSource:
    """A plan spec and where its numbers came from (for the output)."""

    spec: PlanSpec
    corr_source: str
    missing_source: str
    adjusted_to_pd: bool


def _tests(study: Study) -> list[tuple[str, str, str]]:
    tests = []
    for fam in study.analysis.correlations:
        for x in fam.x:
            for y in fam.y:
                if x != y:
                    tests.append((fam.family, x, y))
    if not tests:
        raise ConfigError(
            f"{study.path}: the analysis plan has no [[analysis.correlations]] tests to plan for."
        )
    return tests


def _nearest_pd(corr: np.ndarray) -> tuple[np.ndarray, bool]:
    corr = np.where(np.isnan(corr), 0.0, corr)
    np.fill_diagonal(corr, 1.0)
    if np.linalg.eigvalsh(corr).min() > 1e-6:
        return corr, False
    fixed = complete_correlation(corr, np.full_like(corr, -0.999), np.full_like(corr, 0.999))
    if fixed is None:  # pragma: no cover - the box [-1, 1] always meets the PD cone
        raise ConfigError("the data's correlation matrix could not be made positive definite.")
    return fixed, True


def _read_corr_file(path: Path, variables: list[str]) -> tuple[np.ndarray, dict[str, float]]:
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8-sig"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: correlation file not found.") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}.") from None
    k = len(variables)
    index = {v: i for i, v in enumerate(variables)}
    corr = np.eye(k)
    if "matrix" in raw:
        names = raw.get("variables")
        if not isinstance(names, list):
            raise ConfigError(f"{path}: 'matrix' needs 'variables', the names of its rows.")
        matrix = np.asarray(raw["matrix"], dtype=float)
        if matrix.shape != (len(names), len(names)):
            raise ConfigError(
                f"{path}: 'matrix' must be {len(names)} × {len(names)} to match 'variables'. "
                f"Got shape {matrix.shape}."
            )
        for i, a in enumerate(names):
            for j, b in enumerate(names):
                if a in index and b in index:
                    corr[index[a], index[b]] = matrix[i, j]
    for i, pair in enumerate(raw.get("pairs", [])):
        try:
            a, b, r = pair["x"], pair["y"], float(pair["r"])
        except (KeyError, TypeError, ValueError):
            raise ConfigError(f"{path}: pairs[{i}] needs x, y and a numeric r.") from None
        for name in (a, b):
            if name not in index:
                raise ConfigError(
                    f"{path}: pairs[{i}]: {name!r} is not a variable of the plan; plan variables: "
                    + ", ".join(variables)
                )
        if not -1 < r < 1:
            raise ConfigError(f"{path}: pairs[{i}].r must be in (-1, 1). Got {r}.")
        corr[index[a], index[b]] = corr[index[b], index[a]] = r
    missing = {str(k): float(v) for k, v in raw.get("missing", {}).items()}
    for name, rate in missing.items():
        if name not in index:
            raise ConfigError(f"{path}: missing.{name}: not a variable of the plan.")
        if not 0 <= rate < 1:
            raise ConfigError(f"{path}: missing.{name} must be a rate in [0, 1). Got {rate}.")
    if not np.allclose(corr, corr.T):
        raise ConfigError(f"{path}: the correlation matrix is not symmetric.")
    if np.linalg.eigvalsh(corr).min() <= 0:
        raise ConfigError(
            f"{path}: the correlation matrix is not positive definite (smallest eigenvalue "
            f"{np.linalg.eigvalsh(corr).min():.4f}); no population has these correlations."
        )
    return corr, missing


def plan_from_study(
    study_path: str | Path,
    *,
    corr_path: str | Path | None = None,
    missing_rate: float | None = None,
    alpha: float | None = None,
    adjust: str | None = None,
    primary_min_r: float = 0.1,
) -> PlanSource:
    """Build the Monte Carlo plan of a study.

    Parameters
    ----------
    study_path
        The study file; its data give the correlation matrix and missingness unless
        ``corr_path`` / ``missing_rate`` are given.
    corr_path
        A TOML file with the population correlations (see the module docstring).
    missing_rate
        One MCAR dropout rate for every variable, overriding the data's and the file's.
    alpha, adjust
        Override the study plan's ``alpha`` and ``adjust``.
    primary_min_r
        Tests whose population correlation is at least this large in absolute value are the
        *primary* tests (those the plan hopes to detect); the others are treated as null, so
        the probability that any of them is significant is their family-wise error.
    """
    prepared = prepare(study_path)
    study = prepared.study
    tests = _tests(study)
    variables = list(dict.fromkeys(v for _, x, y in tests for v in (x, y)))
    from patalliance.analysis.plan import validate_plan

    validate_plan(study, prepared.table)
    values = prepared.table.values[variables].to_numpy(dtype=float)
    if corr_path is not None:
        corr, missing = _read_corr_file(Path(corr_path), variables)
        corr_source, adjusted = f"file {corr_path}", False
        missing_source = "file" if missing else "none"
    else:
        observed = correlate(values, values, method="pearson", missing="pairwise")
        corr, adjusted = _nearest_pd(np.array(observed.r, dtype=float))
        corr_source = f"pairwise-complete Pearson correlations of {study_path} (n = {len(values)})"
        missing = {v: float(np.mean(np.isnan(values[:, i]))) for i, v in enumerate(variables)}
        missing_source = "observed missingness of the study data"
    if missing_rate is not None:
        missing = dict.fromkeys(variables, float(missing_rate))
        missing_source = f"{missing_rate} for every variable"
    index = {v: i for i, v in enumerate(variables)}
    primary = tuple(
        i for i, (_, x, y) in enumerate(tests) if abs(corr[index[x], index[y]]) >= primary_min_r
    )
    spec = PlanSpec(
        variables=tuple(variables),
        corr=corr,
        tests=tuple(tests),
        primary=primary,
        missing={k: v for k, v in missing.items() if v > 0},
        adjust=adjust or study.analysis.adjust,
        alpha=alpha if alpha is not None else study.analysis.alpha,
    )
    return PlanSource(spec, corr_source, missing_source, adjusted)
