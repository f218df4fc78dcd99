"""Calibration: item-level synthetic data whose analysis reproduces published statistics.

Given published targets (correlations with their p and n, a paired change test's ``d_av``
and p, means and SDs by arm), :func:`calibrate` finds a data set whose statistics round to
the reported values *at the precision they were reported*:

1. **Windows.** Each reported value becomes an interval of the unrounded statistic: ``r =
   -.65`` means ``-.655 < r < -.645``; ``p = .002`` means ``.0015 < p < .0025``; ``p < .001``
   means ``p < .001``; ``p = "ns"`` means ``p >= alpha``. At a fixed n, a p interval is an
   interval of ``|r|`` (or of ``|t|``), so every target becomes a window of one statistic.
   Values that sit exactly on a rounding tie are excluded. An empty window (e.g. ``r = .10``
   with ``p = .001`` at ``n = 20``) is reported as infeasible before any search.
2. **Missingness.** Missing scores are placed so that every pairwise-complete n is the
   target n.
3. **Completion.** The partial target correlation matrix is completed to a positive-definite
   one by Dykstra's alternating projections (Higham 2002) between the positive-definite cone
   and the box of target windows; a set of windows that no correlation matrix satisfies is
   reported as infeasible, naming the variables.
4. **Search.** Scale scores are drawn from a multivariate normal with exactly that sample
   correlation, mapped to each score's grid, and refined by seeded simulated annealing that
   moves one participant's score by a few grid steps, until every window is met or the
   iteration/time budget is spent.
5. **Items.** Scores are decomposed into item responses (:func:`~patalliance.simulate.trial.decompose`);
   the items are re-scored with the scoring engine and every target is checked again with
   scipy (``pearsonr``, ``ttest_rel``); the result lists every target with its reported and
   reproduced value and whether it is met, and why not.

The targets file format is documented in ``docs/targets-format.md``. Reported values and the
targets file are read by :mod:`patalliance.simulate.targets`, the windows, missingness and
completion are set up by :mod:`patalliance.simulate._constraints`, and the search is
:mod:`patalliance.simulate._anneal`. The names of the targets module and
:func:`complete_correlation` are importable from here.

References
----------
Higham, N. J. (2002). Computing the nearest correlation matrix: A problem from finance. IMA
Journal of Numerical Analysis, 22(3), 329-343.
Lakens, D. (2013). Calculating and reporting effect sizes to facilitate cumulative science: A
practical primer for t-tests and ANOVAs. Frontiers in Psychology, 4, 863 (eq. 10, d_av).
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

from patalliance.errors import ConfigError
from patalliance.instruments.engine import score_responses
from patalliance.instruments.key import InstrumentKey
from patalliance.safe_cells import write_csv
from patalliance.simulate import _anneal
from patalliance.simulate._constraints import Constraints, make_setup, place_missing
from patalliance.simulate._nearest_corr import complete_correlation
from patalliance.simulate.covariates import synthetic_covariates
from patalliance.simulate.targets import (
    TIE_MARGIN,
    ChangeTarget,
    CorrelationTarget,
    CovariatesSpec,
    DescriptiveTarget,
    DesignSpec,
    InfeasibleTargetsError,
    LinkSpec,
    Marginal,
    MissingSpec,
    Options,
    Prior,
    Reported,
    ReportedValue,
    Targets,
    correlation_window,
    load_targets,
)
from patalliance.simulate.trial import (
    Design,
    SimulatedTrial,
    assemble,
    build_design,
    exact_correlation_sample,
    make_participants,
)
from patalliance.study import Study

__all__ = [
    "TIE_MARGIN",
    "CalibrationResult",
    "ChangeTarget",
    "CorrelationTarget",
    "DescriptiveTarget",
    "DesignSpec",
    "InfeasibleTargetsError",
    "LinkSpec",
    "Marginal",
    "MissingSpec",
    "Options",
    "Prior",
    "Reported",
    "ReportedValue",
    "TargetCheck",
    "Targets",
    "calibrate",
    "complete_correlation",
    "correlation_window",
    "load_targets",
]


# --------------------------------------------------------------------------------------------
# Results
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TargetCheck:
    """One reported statistic and its reproduction in the synthetic data."""

    target: str
    statistic: str
    reported: str
    achieved: float
    n: int
    met: bool
    reason: str = ""


@dataclass(frozen=True)
class CalibrationResult:
    """The calibrated trial and the check of every target (``met`` when all are met)."""

    trial: SimulatedTrial
    checks: tuple[TargetCheck, ...]
    seed: int
    iterations: int
    seconds: float

    @property
    def met(self) -> bool:
        return all(c.met for c in self.checks)

    @property
    def unmet(self) -> list[TargetCheck]:
        return [c for c in self.checks if not c.met]

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame([c.__dict__ for c in self.checks])

    def write(self, directory: str | Path) -> dict[str, Path]:
        """Write ``responses.csv``, ``participants.csv`` and ``calibration.csv``."""
        paths = self.trial.write(directory)
        paths["calibration"] = Path(directory) / "calibration.csv"
        write_csv(self.to_frame(), paths["calibration"], index=False, lineterminator="\n")
        return paths


# --------------------------------------------------------------------------------------------
# Calibration
# --------------------------------------------------------------------------------------------


def _marginal(
    targets: Targets, name: str, arm: str, grid_lo: float, grid_hi: float
) -> tuple[float, float]:
    pooled = None
    for m in targets.marginals:
        if m.variable == name and m.arm == arm:
            return m.mean, m.sd
        if m.variable == name and m.arm is None:
            pooled = (m.mean, m.sd)
    return pooled or ((grid_lo + grid_hi) / 2, (grid_hi - grid_lo) / 6)


def calibrate(
    study: Study,
    targets: Targets,
    keys: Mapping[str, InstrumentKey],
    *,
    seed: int,
    time_limit_s: float | None = None,
) -> CalibrationResult:
    """Item-level data whose analysis reproduces every target at its reported precision.

    Parameters
    ----------
    study
        The study (measures, timepoints, arms).
    targets
        Published targets, e.g. from :func:`load_targets`.
    keys
        The scoring key of each measure.
    seed
        Seed of every random step; the same seed gives identical data.
    time_limit_s
        Override of ``[options] time_limit_s`` for the search.

    Returns
    -------
    CalibrationResult
        The trial and one :class:`TargetCheck` per reported statistic, computed with scipy on
        scores re-computed from the items by the scoring engine.

    Raises
    ------
    InfeasibleTargetsError
        When targets are impossible (an r and p that cannot hold at n, correlations that no
        positive-definite matrix has, n that the missing counts cannot give); every problem
        is listed.
    """
    t0 = time.perf_counter()
    rng = np.random.default_rng(seed)
    opts = targets.options
    problems = [
        f"design.n: unknown arm {arm!r}; the study's arms: {', '.join(study.arms)}."
        for arm in targets.design.n
        if arm not in study.arms
    ]
    if problems:
        raise InfeasibleTargetsError(problems)
    design = build_design(study, keys, _referenced(targets))
    participants = make_participants(
        targets.design.n,
        n_facilitators=targets.design.facilitators,
        rng=rng,
        id_prefix=targets.design.id_prefix,
    )
    arms = participants["arm"].to_numpy(dtype=object)
    setup = make_setup(design, targets, arms)
    observed = place_missing(setup, targets, rng, problems)
    constraints = Constraints(setup, observed, targets, problems)
    checks = constraints.correlation_checks()
    checks += constraints.change_checks()
    checks += constraints.descriptive_checks()
    soft = constraints.marginal_checks()
    corr = constraints.correlation_matrix()
    if problems:
        raise InfeasibleTargetsError(problems)
    assert corr is not None
    units = _starting_units(design, targets, arms, corr, rng)
    steps = [
        max(
            1,
            round(
                0.2
                * _marginal(targets, c.name, str(arms[0]), c.grid.lo, c.grid.hi)[1]
                * c.grid.divisor
            ),
        )
        for c in design.cells
    ]
    bounds = [(c.grid.lo_units, c.grid.hi_units) for c in design.cells]
    limit = opts.time_limit_s if time_limit_s is None else time_limit_s
    units, iterations = _anneal.search(
        units,
        checks,
        soft,
        bounds,
        steps,
        rng,
        max_iterations=opts.max_iterations,
        time_limit_s=limit,
    )
    responses, _ = assemble(design, participants, units, observed, rng, links=setup.links)
    scores = _score_with_engine(responses, study, keys, design, participants)
    if targets.covariates is not None:
        participants = _with_covariates(participants, scores, targets.covariates, seed)
    trial = SimulatedTrial(responses, participants, scores)
    final = _verify(targets, scores, participants)
    return CalibrationResult(trial, tuple(final), seed, iterations, time.perf_counter() - t0)


def _with_covariates(
    participants: pd.DataFrame, scores: pd.DataFrame, spec: CovariatesSpec, seed: int
) -> pd.DataFrame:
    """``[covariates]``: synthetic age, sex and expectancy from their own random stream."""
    related = None
    if spec.expectancy_score is not None:
        if spec.expectancy_score not in scores.columns:
            raise ConfigError(
                f"covariates.expectancy_score: {spec.expectancy_score!r} is not a generated "
                f"score; generated scores: {', '.join(scores.columns)}."
            )
        related = scores[spec.expectancy_score]
    return synthetic_covariates(
        participants, seed=seed, related_score=related, r=spec.expectancy_r,
        p_female=spec.p_female,
    )  # fmt: skip


def _referenced(targets: Targets) -> list[str]:
    """Every variable the targets file names."""
    referenced = [m.variable for m in targets.marginals] + [m.variable for m in targets.missing]
    referenced += [d.variable for d in targets.descriptives]
    referenced += [v for c in targets.correlations for v in (c.x, c.y)]
    referenced += [v for c in targets.changes for v in (c.from_, c.to)]
    referenced += [v for pr in targets.priors for v in (pr.x, pr.y)]
    referenced += [v for lk in targets.links for v in (lk.variable, lk.same_as)]
    return referenced


def _starting_units(
    design: Design,
    targets: Targets,
    arms: np.ndarray,
    corr: np.ndarray,
    rng: np.random.Generator,
) -> np.ndarray:
    """Scores (in grid units) with sample correlation ``corr`` and each arm's marginals."""
    n, p = len(arms), len(design.cells)
    z = exact_correlation_sample(corr, n, rng)
    units = np.empty((n, p), dtype=np.int64)
    for j, cell in enumerate(design.cells):
        for arm in np.unique(arms):
            sel = arms == arm
            mu, sd = _marginal(targets, cell.name, str(arm), cell.grid.lo, cell.grid.hi)
            units[sel, j] = cell.grid.to_units(mu + sd * z[sel, j])
    return units


def _score_with_engine(
    responses: pd.DataFrame,
    study: Study,
    keys: Mapping[str, InstrumentKey],
    design: Design,
    participants: pd.DataFrame,
) -> pd.DataFrame:
    """Every generated scale, re-scored from the items by the scoring engine, plus peaks."""
    index = pd.Index(participants["participant_id"], name="participant_id")
    columns: dict[str, pd.Series] = {}
    scale_of = {c.measure: c.scale for c in design.cells}
    for mid, m in study.measures.items():
        rows = responses[
            (responses["instrument"] == m.instrument) & responses["timepoint"].isin(m.timepoints)
        ].assign(value=lambda f: f["value"].astype(float))
        scored = score_responses(rows, keys[mid], aggregate=m.aggregate)
        scored = scored[scored["scale"] == scale_of[mid]]
        per_tp = []
        for tp in m.timepoints:
            sel = scored[scored["timepoint"] == tp]
            s = pd.Series(sel["score"].to_numpy(float), index=sel["participant_id"]).reindex(index)
            columns[f"{mid}.{scale_of[mid]}@{tp}"] = s
            per_tp.append(s)
        if m.peak is not None:
            both = pd.concat(per_tp, axis=1)
            columns[f"{mid}.{scale_of[mid]}@peak"] = (
                both.max(axis=1) if m.peak == "max" else both.min(axis=1)
            )
    return pd.DataFrame(columns, index=index)


def _verify(
    targets: Targets, scores: pd.DataFrame, participants: pd.DataFrame
) -> list[TargetCheck]:
    """Check every target with scipy on the final scores, at the reported precision."""
    out: list[TargetCheck] = []
    arms = participants.set_index("participant_id")["arm"].reindex(scores.index)
    alpha = targets.options.alpha
    for c in targets.correlations:
        pair = scores[[c.x, c.y]].dropna()
        n = len(pair)
        label = f"r({c.x}, {c.y})"
        r = float(stats.pearsonr(pair[c.x], pair[c.y]).statistic) if n >= 3 else math.nan
        pv = float(stats.pearsonr(pair[c.x], pair[c.y]).pvalue) if n >= 3 else math.nan
        if c.r is not None:
            rep = Reported.parse(c.r)
            ok = rep.matches(r)
            out.append(TargetCheck(label, "r", rep.text, r, n, ok, "" if ok else f"r = {r:.4f}"))
        if c.p is not None:
            rep = Reported.parse(c.p, alpha=alpha)
            ok = rep.matches(pv)
            out.append(TargetCheck(label, "p", rep.text, pv, n, ok, "" if ok else f"p = {pv:.4g}"))
        if c.n is not None:
            out.append(
                TargetCheck(
                    label, "n", str(c.n), float(n), n, n == c.n, "" if n == c.n else f"n = {n}"
                )
            )
    for ch in targets.changes:
        pair = scores[[ch.from_, ch.to]].dropna()
        n = len(pair)
        label = f"change {ch.from_} → {ch.to}"
        a, b = pair[ch.from_].to_numpy(), pair[ch.to].to_numpy()
        diff = float(b.mean() - a.mean())
        d_av = diff / ((a.std(ddof=1) + b.std(ddof=1)) / 2)
        pv = float(stats.ttest_rel(b, a).pvalue)
        sign_ok = ch.direction is None or (diff > 0) == (ch.direction == "increase")
        if ch.d_av is not None:
            rep = Reported.parse(ch.d_av)
            ok = rep.matches(abs(d_av) if ch.direction else d_av) and sign_ok
            out.append(
                TargetCheck(
                    label, "d_av", rep.text, d_av, n, ok, "" if ok else f"d_av = {d_av:.4f}"
                )
            )
        if ch.p is not None:
            rep = Reported.parse(ch.p, alpha=alpha)
            ok = rep.matches(pv) and sign_ok
            out.append(TargetCheck(label, "p", rep.text, pv, n, ok, "" if ok else f"p = {pv:.4g}"))
        if ch.n is not None:
            out.append(
                TargetCheck(
                    label, "n", str(ch.n), float(n), n, n == ch.n, "" if n == ch.n else f"n = {n}"
                )
            )
    for dt in targets.descriptives:
        sel = scores[dt.variable] if dt.arm is None else scores[dt.variable][arms == dt.arm]
        v = sel.dropna().to_numpy()
        label = f"{dt.variable}" + (f" [{dt.arm}]" if dt.arm else "")
        for stat, rep_raw, val in (
            ("mean", dt.mean, float(v.mean()) if len(v) else math.nan),
            ("sd", dt.sd, float(v.std(ddof=1)) if len(v) > 1 else math.nan),
        ):
            if rep_raw is None:
                continue
            rep = Reported.parse(rep_raw)
            ok = rep.matches(val)
            out.append(
                TargetCheck(
                    label, stat, rep.text, val, len(v), ok, "" if ok else f"{stat} = {val:.4f}"
                )
            )
    return out
