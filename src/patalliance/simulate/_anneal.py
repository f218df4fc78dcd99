"""Seeded simulated annealing on integer score units (the search step of calibration).

Every statistic is computed from exact integer sums (n, Σx, Σy, Σx², Σy², Σxy) that a move
updates in constant time, so a move costs a few microseconds whatever the sample size.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np


@dataclass(frozen=True)
class Check:
    """One statistic and its window.

    ``corr``: Pearson r of x and y in ``window`` (|r| when ``absolute``).
    ``change``: d_av of y − x in ``window`` and paired t in ``t_window`` (|.| when absolute).
    ``desc``: mean of x in ``window`` and SD (ddof = 1) in ``t_window``.
    ``xcol``/``ycol`` give, per row, the column of the score matrix; ``rows`` the participants.
    """

    kind: Literal["corr", "change", "desc"]
    label: str
    xcol: np.ndarray
    ycol: np.ndarray | None
    rows: np.ndarray
    window: tuple[float, float]
    t_window: tuple[float, float] | None = None
    absolute: bool = False
    divisors: tuple[int, int] = (1, 1)
    weight: float = 1.0


def _viol(value: float, window: tuple[float, float] | None, unit: float) -> float:
    if window is None or math.isnan(value):
        return 0.0 if window is None else 1e3
    lo, hi = window
    v = (lo - value) if value <= lo else (value - hi) if value >= hi else 0.0
    if value == lo or value == hi:
        v = 1e-12
    v /= unit
    return v + v * v


def _unit(window: tuple[float, float] | None, default: float) -> float:
    if window is None:
        return default
    lo, hi = window
    return hi - lo if math.isfinite(lo) and math.isfinite(hi) and hi > lo else default


def evaluate(check: Check, s: list[int]) -> float:
    """Energy of a check from its sums ``[n, Σx, Σy, Σx², Σy², Σxy]`` (0 = met)."""
    n, sx, sy, sxx, syy, sxy = s
    if n < 2:
        return 1e3
    if check.kind == "corr":
        vx, vy = n * sxx - sx * sx, n * syy - sy * sy
        if vx <= 0 or vy <= 0:
            return 1e3
        r = (n * sxy - sx * sy) / math.sqrt(vx * vy)
        return check.weight * _viol(abs(r) if check.absolute else r, check.window, 0.01)
    dx, dy = check.divisors
    var_x = (sxx - sx * sx / n) / (n - 1) / (dx * dx)
    if check.kind == "desc":
        mean = sx / n / dx
        sd = math.sqrt(max(var_x, 0.0))
        e = _viol(mean, check.window, _unit(check.window, 0.1))
        e += _viol(sd, check.t_window, _unit(check.t_window, 0.1))
        return check.weight * e
    var_y = (syy - sy * sy / n) / (n - 1) / (dy * dy)
    cov = (sxy - sx * sy / n) / (n - 1) / (dx * dy)
    sd_x, sd_y = math.sqrt(max(var_x, 0.0)), math.sqrt(max(var_y, 0.0))
    var_d = var_x + var_y - 2 * cov
    if sd_x + sd_y <= 0 or var_d <= 1e-15:
        return 1e3
    diff = sy / n / dy - sx / n / dx
    d_av = diff / ((sd_x + sd_y) / 2)
    t = diff / math.sqrt(var_d / n)
    if check.absolute:
        d_av, t = abs(d_av), abs(t)
    return check.weight * (_viol(d_av, check.window, 0.01) + _viol(t, check.t_window, 0.05))


def _sums(check: Check, units: np.ndarray) -> list[int]:
    x = units[check.rows, check.xcol].astype(object)
    y = units[check.rows, check.ycol].astype(object) if check.ycol is not None else x * 0
    return [
        len(x),
        int(x.sum()),
        int(y.sum()),
        int((x * x).sum()),
        int((y * y).sum()),
        int((x * y).sum()),
    ]


def search(
    units: np.ndarray,
    hard: list[Check],
    soft: list[Check],
    bounds: list[tuple[int, int]],
    steps: list[int],
    rng: np.random.Generator,
    *,
    max_iterations: int,
    time_limit_s: float,
) -> tuple[np.ndarray, int]:
    """Move single scores by a few grid units until every hard check is met.

    Returns the best score matrix found (fewest violated hard checks, then lowest energy)
    and the number of iterations used. Stops at the iteration or time budget.
    """
    units = units.astype(np.int64).copy()
    checks = [*hard, *soft]
    n_hard = len(hard)
    deps, partner, by_col = _dependencies(checks)
    cells = sorted(deps)
    if not cells:
        return units, 0
    sums, energy, bad, total = _energies(checks, units, n_hard)
    best = (bad, total, units.copy(), 0)
    u = units.tolist()
    t_end = time.perf_counter() + time_limit_s
    block = 4096
    cycle, t0, t1 = 36 * block, 1.0, 0.002
    it = 0
    hard_met_since: int | None = None
    while it < max_iterations:
        if it % block == 0:
            if time.perf_counter() > t_end:
                break
            picks, mags, signs, accept_u, pair_u, partners_u = _draw_block(rng, block, len(cells))
            if it and it % cycle == 0 and bad > 0:
                u = best[2].tolist()
                sums, energy, bad, total = _energies(checks, np.array(u, dtype=np.int64), n_hard)
        b = it % block
        it += 1
        temp = t0 * (t1 / t0) ** ((it % cycle) / cycle)
        i, c = cells[picks[b]]
        step = 1 if mags[b] < 0.5 else 1 + int(mags[b] * 2 * steps[c])
        d = step if signs[b] else -step
        moves = [(i, c, d)]
        if pair_u[b] < 0.35 and len(by_col[c]) > 1:
            # a pair move keeps the column's sum (and so its mean) unchanged
            j = by_col[c][partners_u[b] % len(by_col[c])]
            if j != i:
                moves.append((j, c, -d))
        if not all(bounds[cc][0] <= u[ii][cc] + dd <= bounds[cc][1] for ii, cc, dd in moves):
            continue
        touched = _moved_sums(moves, u, deps, partner, checks, sums)
        new_sums, delta_e, delta_bad = _rescore(touched, checks, energy, n_hard)
        score = delta_e + 5.0 * delta_bad
        if score <= 0 or accept_u[b] < math.exp(-score / temp):
            for ii, cc, dd in moves:
                u[ii][cc] += dd
            for k, s, e in new_sums:
                sums[k] = s
                energy[k] = e
            total += delta_e
            bad += delta_bad
            if (bad, total) < best[:2]:
                best = (bad, total, np.array(u, dtype=np.int64), it)
            if bad == 0:
                hard_met_since = it if hard_met_since is None else hard_met_since
                if total <= 1e-12 or it - hard_met_since > 50_000:
                    break
    return best[2], it


_Cell = tuple[int, int]  # (participant row, score column)


def _dependencies(
    checks: list[Check],
) -> tuple[
    dict[_Cell, list[tuple[int, int]]], dict[tuple[int, int], tuple[int, int]], dict[int, list[int]]
]:
    """Which checks each score cell enters, and how.

    Returns ``deps`` (cell → (check, role) with role 0 for x and 1 for y), ``partner``
    ((check, row) → (x column, y column), to find the partner value of a pair) and
    ``by_col`` (column → the rows whose score in it some check uses).
    """
    deps: dict[_Cell, list[tuple[int, int]]] = {}
    for k, ch in enumerate(checks):
        for pos, row in enumerate(ch.rows):
            deps.setdefault((int(row), int(ch.xcol[pos])), []).append((k, 0))
            if ch.ycol is not None:
                deps.setdefault((int(row), int(ch.ycol[pos])), []).append((k, 1))
    # which row position of a check a participant has, for the partner value
    partner: dict[tuple[int, int], tuple[int, int]] = {}
    for k, ch in enumerate(checks):
        if ch.ycol is not None:
            for pos, row in enumerate(ch.rows):
                partner[(k, int(row))] = (int(ch.xcol[pos]), int(ch.ycol[pos]))
    by_col: dict[int, list[int]] = {}
    for row, col in sorted(deps):
        by_col.setdefault(col, []).append(row)
    return deps, partner, by_col


def _energies(
    checks: list[Check], units: np.ndarray, n_hard: int
) -> tuple[list[list[int]], list[float], int, float]:
    """Sums and energy of every check; the number of unmet hard checks; the total energy."""
    sums = [_sums(ch, units) for ch in checks]
    energy = [evaluate(ch, s) for ch, s in zip(checks, sums, strict=True)]
    bad = sum(1 for k in range(n_hard) if energy[k] > 0)
    return sums, energy, bad, sum(energy)


def _draw_block(rng: np.random.Generator, block: int, n_cells: int) -> tuple[list[Any], ...]:
    """The random numbers of ``block`` moves: cell, size, sign, acceptance, pairing, partner."""
    picks = rng.integers(0, n_cells, size=block).tolist()
    mags = rng.random(block).tolist()
    signs = rng.integers(0, 2, size=block).tolist()
    accept_u = rng.random(block).tolist()
    pair_u = rng.random(block).tolist()
    partners_u = rng.integers(0, 1 << 30, size=block).tolist()
    return picks, mags, signs, accept_u, pair_u, partners_u


def _moved_sums(
    moves: list[tuple[int, int, int]],
    u: list[list[int]],
    deps: dict[_Cell, list[tuple[int, int]]],
    partner: dict[tuple[int, int], tuple[int, int]],
    checks: list[Check],
    sums: list[list[int]],
) -> dict[int, list[int]]:
    """The sums of every check the moves touch, as they would be after the moves."""
    touched: dict[int, list[int]] = {}
    for ii, cc, dd in moves:
        old = u[ii][cc]
        for k, role in deps[(ii, cc)]:
            s = touched.get(k)
            if s is None:
                s = touched[k] = list(sums[k])
            if role == 0:
                yv = u[ii][partner[(k, ii)][1]] if checks[k].ycol is not None else 0
                s[1] += dd
                s[3] += 2 * old * dd + dd * dd
                s[5] += dd * yv
            else:
                xv = u[ii][partner[(k, ii)][0]]
                s[2] += dd
                s[4] += 2 * old * dd + dd * dd
                s[5] += dd * xv
    return touched


def _rescore(
    touched: dict[int, list[int]], checks: list[Check], energy: list[float], n_hard: int
) -> tuple[list[tuple[int, list[int], float]], float, int]:
    """New energy of each touched check; the change in energy and in unmet hard checks."""
    new_sums = []
    delta_e = 0.0
    delta_bad = 0
    for k, s in touched.items():
        e = evaluate(checks[k], s)
        delta_e += e - energy[k]
        if k < n_hard:
            delta_bad += (e > 0) - (energy[k] > 0)
        new_sums.append((k, s, e))
    return new_sums, delta_e, delta_bad
