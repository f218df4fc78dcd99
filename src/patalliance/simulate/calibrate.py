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

The targets file format is documented in ``docs/targets-format.md``.

References
----------
Higham, N. J. (2002). Computing the nearest correlation matrix: A problem from finance. IMA
Journal of Numerical Analysis, 22(3), 329-343.
Lakens, D. (2013). Calculating and reporting effect sizes to facilitate cumulative science: A
practical primer for t-tests and ANOVAs. Frontiers in Psychology, 4, 863 (eq. 10, d_av).
"""

from __future__ import annotations

import itertools
import math
import time
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from scipy import stats

from patalliance.errors import ConfigError, format_pydantic_error
from patalliance.instruments.engine import score_responses
from patalliance.instruments.key import InstrumentKey
from patalliance.simulate import _anneal
from patalliance.simulate.trial import (
    Design,
    Link,
    SimulatedTrial,
    assemble,
    build_design,
    exact_correlation_sample,
    make_participants,
)
from patalliance.study import Study

TIE_MARGIN = 1e-7


class InfeasibleTargetsError(ConfigError):
    """Targets that no data set can meet; ``problems`` lists every reason found."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        lines = "\n".join(f"  - {p}" for p in problems)
        super().__init__(f"{len(problems)} target problem(s) make calibration impossible:\n{lines}")


# --------------------------------------------------------------------------------------------
# Reported values
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Reported:
    """A value as published: ``"-.65"``, ``".002"``, ``"<.001"``, ``"ns"``."""

    text: str
    value: float
    decimals: int
    relation: Literal["=", "<", ">="]

    @classmethod
    def parse(cls, raw: str | float, *, alpha: float = 0.05) -> Reported:
        text = str(raw).strip()
        low = text.lower().replace(" ", "")
        if low in {"ns", "n.s.", "n.s"}:
            return cls(text, alpha, 0, ">=")
        relation: Literal["=", "<", ">="] = "="
        if low.startswith("<"):
            relation, low = "<", low[1:]
        elif low.startswith(">=") or low.startswith(">"):
            relation, low = ">=", low.lstrip(">=")
        elif low.startswith("="):
            low = low[1:]
        try:
            value = float(low)
        except ValueError:
            raise ConfigError(
                f"a reported value must look like '-.65', '.002', '<.001' or 'ns'. Got {raw!r}."
            ) from None
        digits = low.split("e")[0]
        decimals = len(digits.split(".")[1]) if "." in digits else 0
        return cls(text, value, decimals, relation)

    @property
    def half(self) -> float:
        return 0.5 * 10.0 ** (-self.decimals)

    def window(self) -> tuple[float, float]:
        """The open interval of unrounded values consistent with the report (tie-safe)."""
        if self.relation == "<":
            return -math.inf, self.value - TIE_MARGIN
        if self.relation == ">=":
            return self.value + TIE_MARGIN, math.inf
        return self.value - self.half + TIE_MARGIN, self.value + self.half - TIE_MARGIN

    def matches(self, x: float) -> bool:
        lo, hi = self.window()
        return bool(lo < x < hi)


def _r_of_p(p: float, n: int) -> float:
    """|r| whose two-tailed Pearson p at ``n`` is ``p`` (t test with n - 2 df)."""
    if p >= 1:
        return 0.0
    if p <= 0:
        return 1.0
    t = stats.t.isf(p / 2, n - 2)
    return float(t / math.sqrt(t * t + n - 2))


def correlation_window(
    r: Reported | None, p: Reported | None, n: int
) -> tuple[float, float, bool] | None:
    """Window ``(lo, hi, absolute)`` of r (of |r| when ``absolute``) meeting both reports.

    None when the window is empty: the reported r and p cannot hold together at ``n``.
    """
    lo, hi = -1.0, 1.0
    absolute = r is None
    if r is not None:
        lo, hi = r.window()
    if p is not None:
        if n < 3:
            return None
        plo, phi = p.window()
        alo, ahi = _r_of_p(min(phi, 1.0), n), _r_of_p(max(plo, 0.0), n)
        alo, ahi = alo + (TIE_MARGIN if phi < 1 else 0), ahi - (TIE_MARGIN if plo > 0 else 0)
        if absolute:
            lo, hi = alo, ahi
        elif r is not None and r.value < 0:
            lo, hi = max(lo, -ahi), min(hi, -alo)
        else:
            lo, hi = max(lo, alo), min(hi, ahi)
    return (lo, hi, absolute) if lo < hi else None


def _p_corr(r: float, n: int) -> float:
    if n < 3 or abs(r) >= 1:
        return 0.0 if abs(r) >= 1 else 1.0
    t = r * math.sqrt((n - 2) / (1 - r * r))
    return float(2 * stats.t.sf(abs(t), n - 2))


# --------------------------------------------------------------------------------------------
# The targets file
# --------------------------------------------------------------------------------------------


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


ReportedValue = str | float


class DesignSpec(_Model):
    n: dict[str, int]
    facilitators: int = Field(default=5, ge=1)
    id_prefix: str = "P"


class Options(_Model):
    max_iterations: int = Field(default=3_000_000, ge=1)
    time_limit_s: float = Field(default=60.0, gt=0)
    alpha: float = Field(default=0.05, gt=0, lt=1)


class Marginal(_Model):
    variable: str
    mean: float
    sd: float = Field(gt=0)
    arm: str | None = None


class Prior(_Model):
    x: str
    y: str
    r: float = Field(ge=-1, le=1)


class MissingSpec(_Model):
    variable: str
    n: int | None = Field(default=None, ge=0)
    rate: float | None = Field(default=None, ge=0, lt=1)


class LinkSpec(_Model):
    variable: str
    same_as: str
    arm: str | None = None


class DescriptiveTarget(_Model):
    variable: str
    arm: str | None = None
    mean: ReportedValue | None = None
    sd: ReportedValue | None = None
    source: str = ""


class CorrelationTarget(_Model):
    x: str
    y: str
    r: ReportedValue | None = None
    p: ReportedValue | None = None
    n: int | None = Field(default=None, ge=3)
    source: str = ""


class ChangeTarget(_Model):
    from_: str = Field(alias="from")
    to: str
    d_av: ReportedValue | None = None
    p: ReportedValue | None = None
    n: int | None = Field(default=None, ge=2)
    direction: Literal["increase", "decrease"] | None = None
    source: str = ""


class Targets(_Model):
    """A parsed targets file (see ``docs/targets-format.md``)."""

    title: str = ""
    design: DesignSpec
    options: Options = Field(default_factory=Options)
    marginals: list[Marginal] = Field(default_factory=list)
    priors: list[Prior] = Field(default_factory=list)
    missing: list[MissingSpec] = Field(default_factory=list)
    links: list[LinkSpec] = Field(default_factory=list)
    descriptives: list[DescriptiveTarget] = Field(default_factory=list)
    correlations: list[CorrelationTarget] = Field(default_factory=list)
    changes: list[ChangeTarget] = Field(default_factory=list)

    @property
    def n_participants(self) -> int:
        return sum(self.design.n.values())


def load_targets(path: str | Path) -> Targets:
    """Read a targets TOML file.

    Raises
    ------
    ConfigError
        When the file is missing, not TOML, or breaks the format; the message names the key.
    """
    path = Path(path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8-sig"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: targets file not found. Check the path.") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}.") from None
    try:
        return Targets.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(f"{path}: {format_pydantic_error(exc)}") from None


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
        self.to_frame().to_csv(paths["calibration"], index=False, lineterminator="\n")
        return paths


# --------------------------------------------------------------------------------------------
# Setting up: views, windows, missingness, completion
# --------------------------------------------------------------------------------------------


@dataclass
class _Setup:
    design: Design
    arms: np.ndarray
    views: dict[str, np.ndarray]  # variable -> base column per participant
    links: list[Link]


def _setup(design: Design, targets: Targets, arms: np.ndarray) -> _Setup:
    n = len(arms)
    views = {c.name: np.full(n, j) for j, c in enumerate(design.cells)}
    links = []
    for spec in targets.links:
        for name in (spec.variable, spec.same_as):
            design.index(name)
        sel = np.ones(n, dtype=bool) if spec.arm is None else arms == spec.arm
        views[spec.variable] = np.where(sel, views[spec.same_as], views[spec.variable])
        links.append(Link(spec.variable, spec.same_as, spec.arm))
    return _Setup(design, arms, views, links)


def _members(setup: _Setup, arm: str | None) -> np.ndarray:
    return np.ones(len(setup.arms), dtype=bool) if arm is None else setup.arms == arm


def _observed_view(setup: _Setup, observed: np.ndarray, name: str) -> np.ndarray:
    return observed[np.arange(len(setup.arms)), setup.views[name]]


def _place_missing(
    setup: _Setup, targets: Targets, rng: np.random.Generator, problems: list[str]
) -> np.ndarray:
    """Observed-mask (participants × cells) meeting every missing count and pairwise n."""
    n, p = len(setup.arms), len(setup.design.cells)
    observed = np.ones((n, p), dtype=bool)
    k_missing: dict[int, int] = {}
    for spec in targets.missing:
        j = setup.design.index(spec.variable)
        if (spec.n is None) == (spec.rate is None):
            problems.append(f"missing {spec.variable}: give exactly one of 'n' or 'rate'.")
            continue
        keep = spec.n if spec.n is not None else round(n * (1 - (spec.rate or 0.0)))
        if keep > n:
            problems.append(
                f"missing {spec.variable}: n = {keep} is more than the {n} participants."
            )
            continue
        k_missing[j] = n - keep
    pairs = [(c.x, c.y, c.n) for c in targets.correlations if c.n is not None]
    pairs += [(c.from_, c.to, c.n) for c in targets.changes if c.n is not None]
    for j, k in k_missing.items():
        observed[rng.choice(n, size=k, replace=False), j] = False

    def energy(obs: np.ndarray) -> int:
        return sum(
            abs(int((_observed_view(setup, obs, x) & _observed_view(setup, obs, y)).sum()) - m)
            for x, y, m in pairs
        )

    e = energy(observed)
    movable = [j for j, k in k_missing.items() if 0 < k < n]
    for _ in range(20_000):
        if e == 0 or not movable:
            break
        j = movable[rng.integers(len(movable))]
        miss, have = np.flatnonzero(~observed[:, j]), np.flatnonzero(observed[:, j])
        a, b = miss[rng.integers(len(miss))], have[rng.integers(len(have))]
        observed[a, j], observed[b, j] = True, False
        e2 = energy(observed)
        if e2 <= e:
            e = e2
        else:
            observed[a, j], observed[b, j] = False, True
    if e:
        for x, y, m in pairs:
            got = int(
                (_observed_view(setup, observed, x) & _observed_view(setup, observed, y)).sum()
            )
            if got != m:
                problems.append(
                    f"n of {x} × {y}: the missing counts allow no arrangement with n = {m} "
                    f"(closest found: {got}); check [[missing]] against the targets' n."
                )
    return observed


def complete_correlation(
    center: np.ndarray, lo: np.ndarray, hi: np.ndarray, *, eps: float = 1e-3, iterations: int = 2000
) -> np.ndarray | None:
    """A positive-definite correlation matrix with entries in ``[lo, hi]``, near ``center``.

    Dykstra's alternating projections (Higham 2002) between the matrices with eigenvalues
    ``>= eps`` and the unit-diagonal matrices inside the box. None when they do not meet.
    """
    x = center.copy()
    dy = np.zeros_like(x)
    for _ in range(iterations):
        r = x - dy
        w, v = np.linalg.eigh((r + r.T) / 2)
        y = (v * np.maximum(w, eps)) @ v.T
        dy = y - r
        x = np.clip(y, lo, hi)
        np.fill_diagonal(x, 1.0)
        if np.linalg.eigvalsh(x).min() >= eps / 2:
            return x
    return None


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
    problems: list[str] = []
    for arm in targets.design.n:
        if arm not in study.arms:
            problems.append(
                f"design.n: unknown arm {arm!r}; the study's arms: {', '.join(study.arms)}."
            )
    if problems:
        raise InfeasibleTargetsError(problems)
    referenced = [m.variable for m in targets.marginals] + [m.variable for m in targets.missing]
    referenced += [d.variable for d in targets.descriptives]
    referenced += [v for c in targets.correlations for v in (c.x, c.y)]
    referenced += [v for c in targets.changes for v in (c.from_, c.to)]
    referenced += [v for pr in targets.priors for v in (pr.x, pr.y)]
    referenced += [v for lk in targets.links for v in (lk.variable, lk.same_as)]
    design = build_design(study, keys, referenced)
    participants = make_participants(
        targets.design.n,
        n_facilitators=targets.design.facilitators,
        rng=rng,
        id_prefix=targets.design.id_prefix,
    )
    arms = participants["arm"].to_numpy(dtype=object)
    setup = _setup(design, targets, arms)
    observed = _place_missing(setup, targets, rng, problems)

    checks: list[_anneal.Check] = []
    p = len(design.cells)
    center, lo, hi = np.eye(p), -np.ones((p, p)), np.ones((p, p))
    for pr in targets.priors:
        i, j = design.index(pr.x), design.index(pr.y)
        center[i, j] = center[j, i] = pr.r

    def rows_of(x: str, y: str | None, arm: str | None) -> np.ndarray:
        ok = _members(setup, arm) & _observed_view(setup, observed, x)
        if y is not None:
            ok &= _observed_view(setup, observed, y)
        return np.flatnonzero(ok)

    def divisor(name: str) -> int:
        return design.cells[design.index(name)].grid.divisor

    for c in targets.correlations:
        label = f"r({c.x}, {c.y})"
        rr = Reported.parse(c.r) if c.r is not None else None
        pp = Reported.parse(c.p, alpha=opts.alpha) if c.p is not None else None
        rows = rows_of(c.x, c.y, None)
        n = len(rows)
        win = correlation_window(rr, pp, n)
        if win is None:
            need = correlation_window(None, pp, n) if pp is not None else None
            p_text = ("= " if pp and pp.relation == "=" else "") + (pp.text if pp else "")
            hint = (
                f"; at n = {n}, p {p_text} needs |r| in ({need[0]:.3f}, {need[1]:.3f})"
                if need
                else ""
            )
            problems.append(f"{label}: r = {c.r} with p = {c.p} is impossible at n = {n}{hint}.")
            continue
        wlo, whi, absolute = win
        checks.append(
            _anneal.Check(
                "corr",
                label,
                setup.views[c.x][rows],
                setup.views[c.y][rows],
                rows,
                (wlo, whi),
                absolute=absolute,
            )
        )
        i, j = design.index(c.x), design.index(c.y)
        if np.all(setup.views[c.x] == i) and np.all(setup.views[c.y] == j):
            blo, bhi = (-whi, whi) if absolute else (wlo, whi)
            lo[i, j] = lo[j, i] = max(lo[i, j], blo)
            hi[i, j] = hi[j, i] = min(hi[i, j], bhi)
            mid = (
                0.0
                if absolute and rr is None and pp is not None and pp.relation == ">="
                else ((wlo + whi) / 2)
            )
            center[i, j] = center[j, i] = float(
                np.clip(center[i, j] if absolute else mid, blo, bhi)
            )
    for ch in targets.changes:
        label = f"change {ch.from_} → {ch.to}"
        rows = rows_of(ch.from_, ch.to, None)
        n = len(rows)
        sign = {"increase": 1.0, "decrease": -1.0, None: 0.0}[ch.direction]
        d_win = t_win = None
        if ch.d_av is not None:
            d = Reported.parse(ch.d_av)
            dlo, dhi = d.window()
            if sign and d.value * sign < 0:
                dlo, dhi = -dhi, -dlo
            d_win = (dlo, dhi)
            sign = sign or (1.0 if d.value >= 0 else -1.0)
        if ch.p is not None:
            pp = Reported.parse(ch.p, alpha=opts.alpha)
            if n < 2:
                problems.append(f"{label}: n = {n} is too small for a paired t test.")
                continue
            plo, phi = pp.window()
            tlo = float(stats.t.isf(min(phi, 1.0) / 2, n - 1)) if phi < 1 else 0.0
            thi = float(stats.t.isf(plo / 2, n - 1)) if plo > 0 else math.inf
            t_win = (-thi, -tlo) if sign < 0 else (tlo, thi)
            if not sign:
                t_win = (tlo, thi)
        checks.append(
            _anneal.Check(
                "change",
                label,
                setup.views[ch.from_][rows],
                setup.views[ch.to][rows],
                rows,
                d_win or (-math.inf, math.inf),
                t_window=t_win,
                absolute=not sign,
                divisors=(divisor(ch.from_), divisor(ch.to)),
            )
        )
    for dt in targets.descriptives:
        label = f"{dt.variable}" + (f" [{dt.arm}]" if dt.arm else "")
        rows = rows_of(dt.variable, None, dt.arm)
        grid = design.cells[
            int(setup.views[dt.variable][rows[0]] if len(rows) else design.index(dt.variable))
        ].grid
        m_win = Reported.parse(dt.mean).window() if dt.mean is not None else (-math.inf, math.inf)
        s_win = Reported.parse(dt.sd).window() if dt.sd is not None else None
        if dt.mean is not None and not (m_win[0] < grid.hi and m_win[1] > grid.lo):
            problems.append(
                f"mean of {label}: {dt.mean} is outside the score range {grid.lo}..{grid.hi}."
            )
        if s_win is not None and len(rows) > 1:
            max_sd = (grid.hi - grid.lo) / 2 * math.sqrt(len(rows) / (len(rows) - 1))
            if s_win[0] > max_sd:
                problems.append(
                    f"SD of {label}: {dt.sd} exceeds the largest possible SD {max_sd:.2f}."
                )
        checks.append(
            _anneal.Check(
                "desc",
                label,
                setup.views[dt.variable][rows],
                None,
                rows,
                m_win,
                t_window=s_win,
                divisors=(grid.divisor, grid.divisor),
            )
        )
    soft: list[_anneal.Check] = []
    for mg in targets.marginals:
        rows = rows_of(mg.variable, None, mg.arm)
        if len(rows) < 2:
            continue
        div = divisor(mg.variable)
        soft.append(
            _anneal.Check(
                "desc",
                f"marginal {mg.variable}",
                setup.views[mg.variable][rows],
                None,
                rows,
                (mg.mean - 0.3 * mg.sd, mg.mean + 0.3 * mg.sd),
                t_window=(0.7 * mg.sd, 1.3 * mg.sd),
                divisors=(div, div),
                weight=0.05,
            )
        )
    corr = complete_correlation(center, lo, hi)
    if corr is None:
        constrained = [i for i in range(p) if (lo[i] > -1).any() or (hi[i] < 1).any()]
        bad = []
        for tri in itertools.combinations(constrained, 3):
            ix = np.ix_(tri, tri)
            if complete_correlation(center[ix], lo[ix], hi[ix], iterations=300) is None:
                bad.append(", ".join(design.cells[k].name for k in tri))
        where = "; ".join(bad[:5]) if bad else ", ".join(design.cells[k].name for k in constrained)
        problems.append(
            "the target correlations cannot be completed to a positive-definite correlation "
            f"matrix: no correlation matrix has them all (variables: {where})."
        )
    if problems:
        raise InfeasibleTargetsError(problems)
    assert corr is not None
    n = len(arms)
    z = exact_correlation_sample(corr, n, rng)
    units = np.empty((n, p), dtype=np.int64)
    for j, cell in enumerate(design.cells):
        for arm in np.unique(arms):
            sel = arms == arm
            mu, sd = _marginal(targets, cell.name, str(arm), cell.grid.lo, cell.grid.hi)
            units[sel, j] = cell.grid.to_units(mu + sd * z[sel, j])
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
    trial = SimulatedTrial(responses, participants, scores)
    final = _verify(targets, scores, participants)
    return CalibrationResult(trial, tuple(final), seed, iterations, time.perf_counter() - t0)


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
