r"""Leave-one-out (jackknife) correlations of a pair in closed form, in O(n log n).

Leaving out case :math:`i` removes one term from each sum of the coefficient, so all
:math:`n` leave-one-out coefficients come from the full sums and the case's own terms: no
:math:`n \times (n - 1)` index matrix is built. Used by :mod:`patalliance.stats.influence`
(the leave-one-out range of r) and :mod:`patalliance.stats.bootstrap` (the BCa acceleration).

**Pearson.** With :math:`x, y` centred at their means and the full sums
:math:`S_x, S_{xx}, S_{xy}, \dots`, the sums without case :math:`i` are
:math:`S_x - x_i`, :math:`S_{xx} - x_i^2`, :math:`S_{xy} - x_i y_i`, and

.. math:: r_{(i)} = \frac{C_{(i)}}{\sqrt{V^x_{(i)} V^y_{(i)}}},\qquad
          V^x_{(i)} = S_{xx} - x_i^2 - \frac{(S_x - x_i)^2}{n - 1},\quad
          C_{(i)} = S_{xy} - x_i y_i - \frac{(S_x - x_i)(S_y - y_i)}{n - 1}.

A downdate loses precision only when case :math:`i` carries most of a sum of squares; the
(at most three per variable) cases with :math:`x_i^2 > S_{xx}/4` or :math:`y_i^2 > S_{yy}/4`
are recomputed directly, so every coefficient is accurate to rounding.

**Spearman.** Removing case :math:`i` lowers the average rank of every case above it by 1
and of every case tied with it by 1/2, and leaves the others. In doubled ranks
:math:`R_j = 2\,\mathrm{rank}_j` and shifts :math:`D_{ij} = [v_j > v_i] + [v_j \ge v_i]`
(integers), the re-ranked values are :math:`R_j - D_{ij}` and

.. math:: \sum_{j \ne i} (R^x_j - D^x_{ij})(R^y_j - D^y_{ij})
          = \sum_{j \ne i} R^x_j R^y_j - \sum_{j \ne i} R^x_j D^y_{ij}
            - \sum_{j \ne i} R^y_j D^x_{ij} + \sum_{j \ne i} D^x_{ij} D^y_{ij}.

The middle sums are prefix sums in sorted order. The last one counts, for each :math:`i`, the
cases above it in both variables (with ties counted by halves): a two-dimensional dominance
count, done for all :math:`i` at once with a merge-sort tree in :math:`O(n \log^2 n)`
vectorized steps. Every quantity is an integer (int64, exact), so the leave-one-out Spearman
coefficients equal re-ranking the :math:`n - 1` remaining cases each time.

References
----------
.. [1] Quenouille, M. H. (1956). Notes on bias in estimation. *Biometrika*, 43(3/4), 353-360.
.. [2] Efron, B., & Tibshirani, R. J. (1993). *An Introduction to the Bootstrap*.
   Chapman & Hall/CRC. Chapter 11 (the jackknife).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

__all__ = ["loo_pairs", "loo_pearson", "loo_spearman"]

_EPS = float(np.finfo(np.float64).eps)


def _pearson_direct(a: NDArray[np.float64], b: NDArray[np.float64]) -> float:
    """Pearson r of complete vectors, two-pass; NaN when n < 3 or a variable is constant."""
    m = a.size
    if m < 3:
        return float("nan")
    if np.ptp(a) == 0 or np.ptp(b) == 0:
        return float("nan")
    ac, bc = a - a.mean(), b - b.mean()
    sxx, syy = float(ac @ ac), float(bc @ bc)
    return float(np.clip((ac @ bc) / np.sqrt(sxx * syy), -1.0, 1.0))


def loo_pearson(x: NDArray[np.float64], y: NDArray[np.float64]) -> NDArray[np.float64]:
    """Pearson r of ``x`` and ``y`` (complete, 1-D) without each case in turn, shape (n,).

    NaN where fewer than 3 cases remain or a variable is constant over the remaining cases.
    """
    n = x.size
    m = n - 1
    if m < 3:
        return np.full(n, np.nan)
    xc, yc = x - x.mean(), y - y.mean()
    sx, sy = xc.sum(), yc.sum()
    xx, yy = xc * xc, yc * yc
    sxx, syy, sxy = xx.sum(), yy.sum(), xc @ yc
    lx, ly = sx - xc, sy - yc
    vx = (sxx - xx) - lx * lx / m
    vy = (syy - yy) - ly * ly / m
    cov = (sxy - xc * yc) - lx * ly / m
    tol = 64.0 * m * _EPS
    with np.errstate(divide="ignore", invalid="ignore"):
        r = cov / np.sqrt(vx * vy)
    r = np.clip(r, -1.0, 1.0)
    r[(vx <= tol * (sxx - xx)) | (vy <= tol * (syy - yy)) | ~np.isfinite(r)] = np.nan
    redo = np.flatnonzero((xx > 0.25 * sxx) | (yy > 0.25 * syy))
    for i in redo:  # at most three cases per variable
        keep = np.arange(n) != i
        r[i] = _pearson_direct(x[keep], y[keep])
    return r


def _ties(v: NDArray[np.float64]) -> tuple[NDArray[np.intp], NDArray[np.intp], NDArray[np.intp]]:
    """Sort order, and for each case the start and end (exclusive) of its tie group in it."""
    order = np.argsort(v, kind="stable")
    vs = v[order]
    new = np.empty(v.size, dtype=bool)
    new[0] = True
    np.not_equal(vs[1:], vs[:-1], out=new[1:])
    starts = np.flatnonzero(new)
    ends = np.append(starts[1:], v.size)
    group = np.cumsum(new) - 1
    start = np.empty(v.size, dtype=np.intp)
    end = np.empty(v.size, dtype=np.intp)
    start[order] = starts[group]
    end[order] = ends[group]
    return order, start, end


def _codes(start: NDArray[np.intp]) -> NDArray[np.int64]:
    """Integer codes that order the cases as their values do (the tie group's start)."""
    return start.astype(np.int64)


def _dominance(u: NDArray[np.int64], v: NDArray[np.int64]) -> NDArray[np.int64]:
    """``#{j : u_j > u_i and v_j > v_i}`` for every ``i``; codes are integers in [0, n).

    The cases above ``u_i`` are a suffix of the cases sorted by ``u``. Its count of
    ``v_j > v_i`` is the total count minus that of the prefix, and the prefix is a union of
    aligned blocks of sizes ``2**level`` (the binary digits of its length), each sorted by
    ``v`` once per level: one ``searchsorted`` per level answers every case.
    """
    n = u.size
    order = np.argsort(u, kind="stable")
    vs = v[order]
    cut = np.searchsorted(u[order], u, side="right")  # the suffix starts here
    above_all = n - np.searchsorted(np.sort(v), v, side="right")
    width = np.int64(n + 1)
    pos = np.arange(n, dtype=np.int64)
    prefix_le = np.zeros(n, dtype=np.int64)
    level = 0
    while (1 << level) <= n:
        hit = np.flatnonzero((cut >> level) & 1)
        if hit.size:
            keys = np.sort((pos >> level) * width + vs)
            block = (cut[hit] >> level) - 1
            found = np.searchsorted(keys, block * width + v[hit], side="right")
            prefix_le[hit] += found - block * (1 << level)
        level += 1
    return above_all - (cut - prefix_le)


def _pair_count(u: NDArray[np.int64], v: NDArray[np.int64], lo: int, hi: int) -> NDArray[np.int64]:
    """``#{j : u_j = u_i and lo <= v_j - v_i < hi}`` with ``v`` offset by ``lo``/``hi``."""
    width = np.int64(u.size + 1)
    keys = np.sort(u * width + v)
    base = u * width + v
    upper = np.minimum(base + hi, (u + 1) * width)
    return np.searchsorted(keys, upper, side="left") - np.searchsorted(keys, base + lo, "left")


def _shift_sums(
    values: NDArray[np.int64],
    order: NDArray[np.intp],
    start: NDArray[np.intp],
    end: NDArray[np.intp],
) -> NDArray[np.int64]:
    """``sum_{j != i} values_j D_ij`` for every ``i``, ``D`` the shifts of the variable sorted
    by ``order`` (``start``/``end``: each case's tie group there): 2 above, 1 tied."""
    prefix = np.concatenate([np.zeros(1, dtype=np.int64), np.cumsum(values[order])])
    above = prefix[-1] - prefix[end]
    tied = prefix[end] - prefix[start] - values
    return 2 * above + tied


def loo_spearman(x: NDArray[np.float64], y: NDArray[np.float64]) -> NDArray[np.float64]:
    """Spearman r of ``x`` and ``y`` (complete, 1-D) without each case in turn, the remaining
    cases re-ranked (average ranks for ties), shape (n,). NaN where fewer than 3 cases remain
    or a variable is constant over the remaining cases."""
    n = x.size
    m = n - 1
    if m < 3:
        return np.full(n, np.nan)
    ox, sx, ex = _ties(x)
    oy, sy, ey = _ties(y)
    rx = (sx + ex + 1).astype(np.int64)  # doubled average rank: 2 * less + ties + 1
    ry = (sy + ey + 1).astype(np.int64)
    tx, ty = (ex - sx).astype(np.int64), (ey - sy).astype(np.int64)
    above_x, above_y = n - ex.astype(np.int64), n - ey.astype(np.int64)
    q_x = (rx @ rx - rx * rx) - 2 * _shift_sums(rx, ox, sx, ex) + 4 * above_x + (tx - 1)
    q_y = (ry @ ry - ry * ry) - 2 * _shift_sums(ry, oy, sy, ey) + 4 * above_y + (ty - 1)
    u, v = _codes(sx), _codes(sy)
    both = (
        4 * _dominance(u, v)
        + 2 * _pair_count(u, v, 1, n + 1)  # tied in x, above in y
        + 2 * _pair_count(v, u, 1, n + 1)  # tied in y, above in x
        + _pair_count(u, v, 0, 1)  # tied in both (the case itself too)
        - 1
    )
    cross = (rx @ ry - rx * ry) - _shift_sums(rx, oy, sy, ey) - _shift_sums(ry, ox, sx, ex) + both
    centre = m * n * n  # the re-ranked doubled ranks have mean n
    vx, vy, cov = q_x - centre, q_y - centre, cross - centre
    ok = (vx > 0) & (vy > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        r = cov / np.sqrt(vx.astype(np.float64) * vy.astype(np.float64))
    return np.where(ok, np.clip(r, -1.0, 1.0), np.nan)


def loo_pairs(
    x: NDArray[np.float64],
    y: NDArray[np.float64],
    jj: NDArray[np.intp],
    kk: NDArray[np.intp],
    method: str,
) -> NDArray[np.float64]:
    """Leave-one-out coefficient of every pair ``(x[:, jj], y[:, kk])``: shape (n_obs, P).

    Row ``i`` of column ``p`` is the coefficient of pair ``p`` over its complete cases without
    case ``i``; NaN where case ``i`` is not a complete case of the pair.
    """
    func = loo_spearman if method == "spearman" else loo_pearson
    out = np.full((x.shape[0], jj.size), np.nan)
    for p, (j, k) in enumerate(zip(jj, kk, strict=True)):
        rows = np.flatnonzero(~np.isnan(x[:, j]) & ~np.isnan(y[:, k]))
        if rows.size:
            out[rows, p] = func(x[rows, j], y[rows, k])
    return out
