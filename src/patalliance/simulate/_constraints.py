"""What calibration must meet, in the terms of the search.

Each targets-file variable is a view onto one score column per participant (a link makes
two variables share a column); missing scores are placed so that every pairwise n is the
target n; every reported statistic becomes an :class:`~patalliance.simulate._anneal.Check`
with its window; and the target correlations are completed to a positive-definite matrix
to draw the starting scores from (Dykstra's alternating projections, Higham 2002).

References
----------
Higham, N. J. (2002). Computing the nearest correlation matrix: A problem from finance. IMA
Journal of Numerical Analysis, 22(3), 329-343.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import numpy as np
from scipy import stats

from patalliance.simulate import _anneal
from patalliance.simulate._nearest_corr import complete_correlation
from patalliance.simulate.targets import Reported, Targets, correlation_window
from patalliance.simulate.trial import Design, Link


@dataclass
class Setup:
    design: Design
    arms: np.ndarray
    views: dict[str, np.ndarray]  # variable -> base column per participant
    links: list[Link]


def make_setup(design: Design, targets: Targets, arms: np.ndarray) -> Setup:
    n = len(arms)
    views = {c.name: np.full(n, j) for j, c in enumerate(design.cells)}
    links = []
    for spec in targets.links:
        for name in (spec.variable, spec.same_as):
            design.index(name)
        sel = np.ones(n, dtype=bool) if spec.arm is None else arms == spec.arm
        views[spec.variable] = np.where(sel, views[spec.same_as], views[spec.variable])
        links.append(Link(spec.variable, spec.same_as, spec.arm))
    return Setup(design, arms, views, links)


def members(setup: Setup, arm: str | None) -> np.ndarray:
    return np.ones(len(setup.arms), dtype=bool) if arm is None else setup.arms == arm


def observed_view(setup: Setup, observed: np.ndarray, name: str) -> np.ndarray:
    return observed[np.arange(len(setup.arms)), setup.views[name]]


def place_missing(
    setup: Setup, targets: Targets, rng: np.random.Generator, problems: list[str]
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
            abs(int((observed_view(setup, obs, x) & observed_view(setup, obs, y)).sum()) - m)
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
            got = int((observed_view(setup, observed, x) & observed_view(setup, observed, y)).sum())
            if got != m:
                problems.append(
                    f"n of {x} × {y}: the missing counts allow no arrangement with n = {m} "
                    f"(closest found: {got}); check [[missing]] against the targets' n."
                )
    return observed


class Constraints:
    """The checks of every target, and the box of correlations they allow.

    The builders append every impossible target to ``problems`` (the caller raises them all
    at once) and narrow the box ``[lo, hi]`` around ``center`` for the correlations of
    unlinked variables.
    """

    def __init__(
        self, setup: Setup, observed: np.ndarray, targets: Targets, problems: list[str]
    ) -> None:
        self.setup = setup
        self.design = setup.design
        self.observed = observed
        self.targets = targets
        self.problems = problems
        p = len(self.design.cells)
        self.center, self.lo, self.hi = np.eye(p), -np.ones((p, p)), np.ones((p, p))
        for pr in targets.priors:
            i, j = self.design.index(pr.x), self.design.index(pr.y)
            self.center[i, j] = self.center[j, i] = pr.r

    def rows_of(self, x: str, y: str | None, arm: str | None) -> np.ndarray:
        """The participants of ``arm`` (all when None) with ``x`` (and ``y``) observed."""
        ok = members(self.setup, arm) & observed_view(self.setup, self.observed, x)
        if y is not None:
            ok &= observed_view(self.setup, self.observed, y)
        return np.flatnonzero(ok)

    def divisor(self, name: str) -> int:
        return self.design.cells[self.design.index(name)].grid.divisor

    def correlation_checks(self) -> list[_anneal.Check]:
        """One check per target correlation: r (or |r|) in the window of its r and p."""
        checks: list[_anneal.Check] = []
        setup, design = self.setup, self.design
        alpha = self.targets.options.alpha
        for c in self.targets.correlations:
            label = f"r({c.x}, {c.y})"
            rr = Reported.parse(c.r) if c.r is not None else None
            pp = Reported.parse(c.p, alpha=alpha) if c.p is not None else None
            rows = self.rows_of(c.x, c.y, None)
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
                self.problems.append(
                    f"{label}: r = {c.r} with p = {c.p} is impossible at n = {n}{hint}."
                )
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
                self._narrow(i, j, win, rr, pp)
        return checks

    def _narrow(
        self,
        i: int,
        j: int,
        win: tuple[float, float, bool],
        rr: Reported | None,
        pp: Reported | None,
    ) -> None:
        """Narrow the box of correlation (i, j) to a window, and center it there."""
        wlo, whi, absolute = win
        lo, hi, center = self.lo, self.hi, self.center
        blo, bhi = (-whi, whi) if absolute else (wlo, whi)
        lo[i, j] = lo[j, i] = max(lo[i, j], blo)
        hi[i, j] = hi[j, i] = min(hi[i, j], bhi)
        mid = (
            0.0
            if absolute and rr is None and pp is not None and pp.relation == ">="
            else ((wlo + whi) / 2)
        )
        center[i, j] = center[j, i] = float(np.clip(center[i, j] if absolute else mid, blo, bhi))

    def change_checks(self) -> list[_anneal.Check]:
        """One check per paired change: d_av in its window and paired t in the window of p."""
        checks: list[_anneal.Check] = []
        setup = self.setup
        alpha = self.targets.options.alpha
        for ch in self.targets.changes:
            label = f"change {ch.from_} → {ch.to}"
            rows = self.rows_of(ch.from_, ch.to, None)
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
                pp = Reported.parse(ch.p, alpha=alpha)
                if n < 2:
                    self.problems.append(f"{label}: n = {n} is too small for a paired t test.")
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
                    divisors=(self.divisor(ch.from_), self.divisor(ch.to)),
                )
            )
        return checks

    def descriptive_checks(self) -> list[_anneal.Check]:
        """One check per reported mean and SD (by arm where given)."""
        checks: list[_anneal.Check] = []
        setup, design = self.setup, self.design
        for dt in self.targets.descriptives:
            label = f"{dt.variable}" + (f" [{dt.arm}]" if dt.arm else "")
            rows = self.rows_of(dt.variable, None, dt.arm)
            grid = design.cells[
                int(setup.views[dt.variable][rows[0]] if len(rows) else design.index(dt.variable))
            ].grid
            m_win = (
                Reported.parse(dt.mean).window() if dt.mean is not None else (-math.inf, math.inf)
            )
            s_win = Reported.parse(dt.sd).window() if dt.sd is not None else None
            if dt.mean is not None and not (m_win[0] < grid.hi and m_win[1] > grid.lo):
                self.problems.append(
                    f"mean of {label}: {dt.mean} is outside the score range {grid.lo}..{grid.hi}."
                )
            if s_win is not None and len(rows) > 1:
                max_sd = (grid.hi - grid.lo) / 2 * math.sqrt(len(rows) / (len(rows) - 1))
                if s_win[0] > max_sd:
                    self.problems.append(
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
        return checks

    def marginal_checks(self) -> list[_anneal.Check]:
        """Soft checks that keep each ``[[marginals]]`` mean and SD roughly where given."""
        soft: list[_anneal.Check] = []
        for mg in self.targets.marginals:
            rows = self.rows_of(mg.variable, None, mg.arm)
            if len(rows) < 2:
                continue
            div = self.divisor(mg.variable)
            soft.append(
                _anneal.Check(
                    "desc",
                    f"marginal {mg.variable}",
                    self.setup.views[mg.variable][rows],
                    None,
                    rows,
                    (mg.mean - 0.3 * mg.sd, mg.mean + 0.3 * mg.sd),
                    t_window=(0.7 * mg.sd, 1.3 * mg.sd),
                    divisors=(div, div),
                    weight=0.05,
                )
            )
        return soft

    def correlation_matrix(self) -> np.ndarray | None:
        """A positive-definite correlation matrix inside the box; None (and a problem naming
        the variables of the conflicting triples) when there is none."""
        center, lo, hi = self.center, self.lo, self.hi
        corr = complete_correlation(center, lo, hi)
        if corr is None:
            p = len(self.design.cells)
            cells = self.design.cells
            constrained = [i for i in range(p) if (lo[i] > -1).any() or (hi[i] < 1).any()]
            bad = []
            for tri in itertools.combinations(constrained, 3):
                ix = np.ix_(tri, tri)
                if complete_correlation(center[ix], lo[ix], hi[ix], iterations=300) is None:
                    bad.append(", ".join(cells[k].name for k in tri))
            where = "; ".join(bad[:5]) if bad else ", ".join(cells[k].name for k in constrained)
            self.problems.append(
                "the target correlations cannot be completed to a positive-definite correlation "
                f"matrix: no correlation matrix has them all (variables: {where})."
            )
        return corr
