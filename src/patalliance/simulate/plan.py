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
    # primary = true       # optional: mark the test primary
    # source = "..."       # optional note for the reader
    [missing]              # optional MCAR dropout rate per variable
    "depression.total@fu4w" = 0.1

``--effect X,Y=R`` and ``--primary X,Y`` (parsed by :mod:`patalliance.simulate.plan_effects`)
set planned effects and mark primary tests on top of either source.
"""

from __future__ import annotations

import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from patalliance.errors import ConfigError
from patalliance.pipeline import prepare
from patalliance.simulate._nearest_corr import complete_correlation
from patalliance.simulate.plan_effects import find_tests, pilot_significant
from patalliance.simulate.power_mc import PlanSpec
from patalliance.stats.correlation import correlate
from patalliance.study import Study


@dataclass(frozen=True)
class PlanSource:
    """A plan spec and where its numbers came from (for the output).

    ``primary`` holds the indices of the primary tests (empty when there is none; the spec's
    own ``primary`` then means every test), ``primary_from`` how they were chosen, and
    ``warnings`` what the planner should know (e.g. correlations taken from the pilot data).
    """

    spec: PlanSpec
    corr_source: str
    missing_source: str
    adjusted_to_pd: bool
    primary: tuple[int, ...] = ()
    primary_from: str = ""
    warnings: tuple[str, ...] = ()


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


_FILE_KEYS = {"variables", "matrix", "pairs", "missing"}
_PAIR_KEYS = {"x", "y", "r", "primary", "source"}


@dataclass(frozen=True)
class _FileEffects:
    """What an effects file gives: the matrix, MCAR rates, and per-pair marks and sources."""

    corr: np.ndarray
    missing: dict[str, float]
    primary: dict[tuple[str, str], bool]
    given: frozenset[frozenset[str]]


def _read_pairs(
    path: Path, raw: dict[str, object], index: dict[str, int], corr: np.ndarray
) -> tuple[dict[tuple[str, str], bool], set[frozenset[str]]]:
    marks: dict[tuple[str, str], bool] = {}
    given: set[frozenset[str]] = set()
    pairs = raw.get("pairs", [])
    if not isinstance(pairs, list):
        raise ConfigError(f"{path}: 'pairs' must be a list of [[pairs]] tables.")
    for i, pair in enumerate(pairs):
        if not isinstance(pair, dict):
            raise ConfigError(f"{path}: pairs[{i}] must be a table with x, y and r.")
        unknown = sorted(set(pair) - _PAIR_KEYS)
        if unknown:
            raise ConfigError(
                f"{path}: pairs[{i}]: unknown key(s) {', '.join(unknown)}; allowed: "
                f"{', '.join(sorted(_PAIR_KEYS))}."
            )
        try:
            a, b, r = pair["x"], pair["y"], float(pair["r"])
        except (KeyError, TypeError, ValueError):
            raise ConfigError(f"{path}: pairs[{i}] needs x, y and a numeric r.") from None
        for name in (a, b):
            if name not in index:
                raise ConfigError(
                    f"{path}: pairs[{i}]: {name!r} is not a variable of the plan; plan variables: "
                    + ", ".join(index)
                )
        if not -1 < r < 1:
            raise ConfigError(f"{path}: pairs[{i}].r must be in (-1, 1). Got {r}.")
        if "primary" in pair:
            if not isinstance(pair["primary"], bool):
                raise ConfigError(
                    f"{path}: pairs[{i}].primary must be true or false. Got {pair['primary']!r}."
                )
            marks[(a, b)] = pair["primary"]
        corr[index[a], index[b]] = corr[index[b], index[a]] = r
        given.add(frozenset((a, b)))
    return marks, given


def _read_corr_file(path: Path, variables: list[str]) -> _FileEffects:
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8-sig"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: correlation file not found.") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}.") from None
    unknown = sorted(set(raw) - _FILE_KEYS)
    if unknown:
        raise ConfigError(
            f"{path}: unknown key(s) {', '.join(unknown)}; allowed: "
            f"{', '.join(sorted(_FILE_KEYS))} (see docs/power.md)."
        )
    k = len(variables)
    index = {v: i for i, v in enumerate(variables)}
    corr = np.eye(k)
    given: set[frozenset[str]] = set()
    if "matrix" in raw:
        names = raw.get("variables")
        if not isinstance(names, list):
            raise ConfigError(f"{path}: 'matrix' needs 'variables', the names of its rows.")
        try:
            matrix = np.asarray(raw["matrix"], dtype=float)
        except (TypeError, ValueError):
            raise ConfigError(f"{path}: 'matrix' must be a square table of numbers.") from None
        if matrix.shape != (len(names), len(names)):
            raise ConfigError(
                f"{path}: 'matrix' must be {len(names)} × {len(names)} to match 'variables'. "
                f"Got shape {matrix.shape}."
            )
        for i, a in enumerate(names):
            for j, b in enumerate(names):
                if a in index and b in index:
                    corr[index[a], index[b]] = matrix[i, j]
                    given.add(frozenset((a, b)))
    marks, pair_given = _read_pairs(path, raw, index, corr)
    missing = {str(k): float(v) for k, v in raw.get("missing", {}).items()}
    for name, rate in missing.items():
        if name not in index:
            raise ConfigError(f"{path}: missing.{name}: not a variable of the plan.")
        if not 0 <= rate < 1:
            raise ConfigError(f"{path}: missing.{name} must be a rate in [0, 1). Got {rate}.")
    if not np.allclose(corr, corr.T):
        raise ConfigError(f"{path}: the correlation matrix is not symmetric.")
    _check_pd(corr, f"{path}: the correlation matrix")
    return _FileEffects(corr, missing, marks, frozenset(given | pair_given))


def _check_pd(corr: np.ndarray, what: str) -> None:
    smallest = float(np.linalg.eigvalsh(corr).min())
    if smallest <= 0:
        raise ConfigError(
            f"{what} is not positive definite (smallest eigenvalue {smallest:.4f}); no "
            "population has these correlations. Lower the largest planned correlations or give "
            "the whole matrix in the effects file (docs/power.md)."
        )


def _keep_effects_pd(
    corr: np.ndarray, variables: list[str], fixed: set[frozenset[str]]
) -> tuple[np.ndarray, bool]:
    """``corr`` itself when positive definite; else the nearest positive-definite matrix that
    keeps the user's correlations (``fixed`` pairs) and moves only the others."""
    if np.linalg.eigvalsh(corr).min() > 1e-6:
        return corr, False
    lo, hi = np.full_like(corr, -0.999), np.full_like(corr, 0.999)
    for i, a in enumerate(variables):
        for j, b in enumerate(variables):
            if i != j and frozenset((a, b)) in fixed:
                lo[i, j] = hi[i, j] = corr[i, j]
    done = complete_correlation(corr, lo, hi)
    if done is None:
        raise ConfigError(
            "the planned effects (--effect) cannot hold together with the other correlations "
            f"(smallest eigenvalue {float(np.linalg.eigvalsh(corr).min()):.4f}); no population "
            "has these correlations. Lower the largest planned correlations or give the whole "
            "matrix in the effects file (docs/power.md)."
        )
    return done, True


@dataclass(frozen=True)
class _Marks:
    """The user's planned effects (flags) and primary marks."""

    effects: tuple[tuple[str, str, float], ...]
    primary: tuple[tuple[str, str], ...]


def _apply_effects(
    corr: np.ndarray, tests: list[tuple[str, str, str]], index: dict[str, int], marks: _Marks
) -> set[int]:
    """Write the --effect correlations into ``corr``; the indices of the tests they mark."""
    marked: set[int] = set()
    for x, y, r in marks.effects:
        marked.update(find_tests(tests, x, y, f"--effect {x},{y}={r:g}"))
        corr[index[x], index[y]] = corr[index[y], index[x]] = r
    for x, y in marks.primary:
        marked.update(find_tests(tests, x, y, f"--primary {x},{y}"))
    return marked


def _file_marks(
    file_marks: dict[tuple[str, str], bool], tests: list[tuple[str, str, str]], where: Path
) -> tuple[set[int], set[int]]:
    """Tests marked primary = true and primary = false in the effects file."""
    yes: set[int] = set()
    no: set[int] = set()
    for (x, y), flag in file_marks.items():
        (yes if flag else no).update(
            find_tests(tests, x, y, f"{where}: pairs x = {x!r}, y = {y!r}")
        )
    return yes, no


def _primary_from_file(
    read: _FileEffects,
    tests: list[tuple[str, str, str]],
    index: dict[str, int],
    user: _Marks,
    path: Path,
    primary_min_r: float,
) -> tuple[tuple[int, ...], str]:
    """Apply the --effect flags to the file's matrix; the primary tests and how they were
    chosen (marked, else the tests whose planned |ρ| reaches ``primary_min_r``)."""
    corr = read.corr
    marked = _apply_effects(corr, tests, index, user)
    yes, no = _file_marks(read.primary, tests, path)
    marked = (marked | yes) - (no - marked)
    if marked or read.primary:
        return tuple(sorted(marked)), "marked by the user"
    chosen = tuple(
        i for i, (_, x, y) in enumerate(tests) if abs(corr[index[x], index[y]]) >= primary_min_r
    )
    return chosen, f"none marked: the tests whose planned |ρ| ≥ {primary_min_r:g}"


def _primary_from_data(
    corr: np.ndarray,
    p: np.ndarray,
    tests: list[tuple[str, str, str]],
    index: dict[str, int],
    user: _Marks,
    rule: tuple[str, float],
) -> tuple[tuple[int, ...], str]:
    """Apply the --effect flags to the data's matrix; the primary tests and how they were
    chosen (marked, else the tests significant in the data under ``rule`` = (adjust, alpha))."""
    marked = _apply_effects(corr, tests, index, user)
    if marked:
        return tuple(sorted(marked)), "marked by the user"
    adjust, alpha = rule
    chosen = pilot_significant(tests, p, index, adjust=adjust, alpha=alpha)
    return chosen, (
        "none marked: the tests significant in the study's own data "
        f"(p < {alpha:g}, {adjust_phrase_plain(adjust)})"
    )


def _pilot_warning(study_path: str | Path, n_rows: int, from_pilot: int, n_tests: int) -> str:
    return (
        f"{from_pilot} of the {n_tests} planned correlations are the observed correlations of "
        f"the study's own data ({study_path}, n = {n_rows}). The correlations of a small pilot "
        "are imprecise, and those that stand out overestimate the population effect, so this "
        "plan is optimistic. Give the effects you expect in the population with --effect X,Y=R "
        "or an effects file (--effects FILE), and mark the tests the study is powered for "
        "(docs/power.md)."
    )


def plan_from_study(
    study_path: str | Path,
    *,
    corr_path: str | Path | None = None,
    missing_rate: float | None = None,
    alpha: float | None = None,
    adjust: str | None = None,
    effects: Sequence[tuple[str, str, float]] = (),
    primary: Sequence[tuple[str, str]] = (),
    primary_min_r: float = 0.1,
) -> PlanSource:
    """Build the Monte Carlo plan of a study.

    Parameters
    ----------
    study_path
        The study file; its data give the correlation matrix and missingness unless
        ``corr_path`` / ``missing_rate`` are given.
    corr_path
        A TOML file of planned effects / population correlations (module docstring).
    missing_rate
        One MCAR dropout rate for every variable, overriding the data's and the file's.
    alpha, adjust
        Override the study plan's ``alpha`` and ``adjust``.
    effects
        Planned population correlations ``(x, y, r)`` of tests of the plan; they override the
        data's or the file's value and mark the test primary.
    primary
        Tests ``(x, y)`` to mark primary, keeping their correlation.
    primary_min_r
        When no test is marked and the correlations come from a file, the tests whose planned
        |ρ| is at least this large are primary.

    Notes
    -----
    Primary tests are the tests the user marks (``effects``, ``primary``, ``primary = true``
    in the file). When none is marked: with a file, the tests with |ρ| ≥ ``primary_min_r``;
    with the study's own data, the tests significant in those data (with the plan's
    adjustment, at its alpha), never a non-significant observed correlation. The result says
    which rule applied (``PlanSource.primary_from``) and warns when the correlations come from
    the study's own data.
    """
    prepared = prepare(study_path)
    study = prepared.study
    tests = _tests(study)
    variables = list(dict.fromkeys(v for _, x, y in tests for v in (x, y)))
    from patalliance.analysis.plan import validate_plan

    validate_plan(study, prepared.table)
    values = prepared.table.values[variables].to_numpy(dtype=float)
    alpha_ = alpha if alpha is not None else study.analysis.alpha
    adjust_ = adjust or study.analysis.adjust
    index = {v: i for i, v in enumerate(variables)}
    user = _Marks(tuple(effects), tuple(primary))
    warnings: list[str] = []
    if corr_path is not None:
        read = _read_corr_file(Path(corr_path), variables)
        corr, missing = read.corr, read.missing
        corr_source, adjusted = f"file {corr_path}", False
        missing_source = "file" if missing else "none"
        chosen, primary_from = _primary_from_file(
            read, tests, index, user, Path(corr_path), primary_min_r
        )
    else:
        observed = correlate(values, values, method="pearson", missing="pairwise")
        corr, adjusted = _nearest_pd(np.array(observed.r, dtype=float))
        corr_source = f"pairwise-complete Pearson correlations of {study_path} (n = {len(values)})"
        missing = {v: float(np.mean(np.isnan(values[:, i]))) for i, v in enumerate(variables)}
        missing_source = "observed missingness of the study data"
        chosen, primary_from = _primary_from_data(
            corr, np.asarray(observed.p, dtype=float), tests, index, user, (adjust_, alpha_)
        )
        overridden = {frozenset((x, y)) for x, y, _ in user.effects}
        from_pilot = sum(frozenset((x, y)) not in overridden for _, x, y in tests)
        if from_pilot:
            warnings.append(_pilot_warning(study_path, len(values), from_pilot, len(tests)))
    if user.effects:
        corr_source += f"; {len(user.effects)} planned effect(s) from --effect"
        fixed = {frozenset((x, y)) for x, y, _ in user.effects}
        if corr_path is not None:
            fixed |= read.given
        corr, moved = _keep_effects_pd(corr, variables, fixed)
        adjusted = adjusted or moved
    if missing_rate is not None:
        missing = dict.fromkeys(variables, float(missing_rate))
        missing_source = f"{missing_rate} for every variable"
    spec = PlanSpec(
        variables=tuple(variables),
        corr=corr,
        tests=tuple(tests),
        primary=chosen,
        missing={k: v for k, v in missing.items() if v > 0},
        adjust=adjust_,
        alpha=alpha_,
    )
    return PlanSource(
        spec, corr_source, missing_source, adjusted, chosen, primary_from, tuple(warnings)
    )


def adjust_phrase_plain(adjust: str) -> str:
    """The adjustment in words, for the ``primary_from`` note."""
    return (
        "no multiplicity adjustment" if adjust == "none" else f"{adjust} adjustment within families"
    )
