"""Vectorized pair moments of weighted data: the kernel behind correlations and bootstraps.

Every pair of variables, in every replicate, is computed with masks and matrix products (no
Python loop runs over replicates; Spearman's ranks loop over pairs). The weights are ones for
the data themselves and bootstrap resampling counts for :mod:`patalliance.stats.bootstrap`;
leave-one-out coefficients have closed forms in :mod:`patalliance.stats._jackknife`. Used by
:mod:`patalliance.stats.correlation` and :mod:`patalliance.stats.bootstrap`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from patalliance.stats._checks import as_matrix

# Elements per temporary array; bounds the memory of the vectorized computations (~32 MiB).
_ELEMENT_BUDGET = 2**22


def prepare_pairs(
    x: ArrayLike, y: ArrayLike, missing: str, func: str
) -> tuple[NDArray[np.float64], NDArray[np.float64], list[str], list[str], bool]:
    """Validate ``x`` and ``y``; apply listwise deletion; tell whether ``y`` is ``x``."""
    same = y is x
    xm, x_labels = as_matrix(x, "x", func)
    ym, y_labels = as_matrix(y, "y", func)
    if xm.shape[0] != ym.shape[0]:
        raise ValueError(
            f"The 'x' and 'y' parameters of {func} must have the same number of rows "
            f"(observations). Got {xm.shape[0]} and {ym.shape[0]} rows instead."
        )
    same = same or (xm.shape == ym.shape and np.array_equal(xm, ym, equal_nan=True))
    if missing == "listwise":
        keep = ~(np.isnan(xm).any(axis=1) | np.isnan(ym).any(axis=1))
        xm, ym = xm[keep], ym[keep]
    return xm, ym, x_labels, y_labels, same


def pair_index(p: int, q: int, symmetric: bool) -> tuple[NDArray[np.intp], NDArray[np.intp]]:
    """Column indices of the pairs to compute (only ``j <= k`` when ``y`` is ``x``)."""
    if symmetric:
        tj, tk = np.triu_indices(p)
        return tj.astype(np.intp), tk.astype(np.intp)
    jj, kk = np.divmod(np.arange(p * q, dtype=np.intp), q)
    return jj, kk


def to_matrix(
    values: NDArray[Any],
    jj: NDArray[np.intp],
    kk: NDArray[np.intp],
    shape: tuple[int, int],
    symmetric: bool,
) -> NDArray[Any]:
    """Scatter per-pair values (last axis) into ``(..., p, q)``, mirroring symmetric pairs."""
    out = np.zeros((*values.shape[:-1], *shape), dtype=values.dtype)
    out[..., jj, kk] = values
    if symmetric:
        out[..., kk, jj] = values
    return out


def _pearson_pairs(
    xc: NDArray[np.float64],
    yc: NDArray[np.float64],
    mask: NDArray[np.float64],
    wt: NDArray[np.float64],
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Weighted Pearson r of aligned pair columns.

    ``xc``, ``yc``: (n, P) centred data with zeros where missing; ``mask``: (n, P) 1.0 where
    the pair is complete; ``wt``: (n, B) non-negative weights (bootstrap counts). Returns r and
    the weighted n, both (P, B). All six moments come from one matrix product ``K.T @ wt``.
    """
    n, npairs = mask.shape
    xs = xc * mask
    ys = yc * mask
    k = np.concatenate([mask, xs, ys, xs * xs, ys * ys, xs * ys], axis=1)
    s = k.T @ wt  # (6P, B)
    sn, sx, sy, sxx, syy, sxy = (s[i * npairs : (i + 1) * npairs] for i in range(6))
    tol = 64.0 * max(n, 1) * np.finfo(np.float64).eps
    with np.errstate(divide="ignore", invalid="ignore"):
        inv = 1.0 / sn
        t = sx * inv
        vx = sxx - sx * t
        cov = sxy - sy * t
        vy = sy * sy
        vy *= inv
        np.subtract(syy, vy, out=vy)
        bad = sn < 3
        bad |= vx <= tol * sxx
        bad |= vy <= tol * syy
        vx *= vy
        np.sqrt(vx, out=vx)
        r = np.divide(cov, vx, out=cov)
        np.clip(r, -1.0, 1.0, out=r)
    r[bad] = np.nan
    return r, sn


def _weighted_ranks(
    values: NDArray[np.float64], w: NDArray[np.float64]
) -> tuple[NDArray[np.intp], NDArray[np.float64]]:
    """Weighted average ranks minus 1/2 of ``values`` (n,) under each weight row of ``w``
    (B, n), in the sorted order of ``values`` (returned first): (B, n).

    The rank of case ``i`` is :math:`\\sum_{i'} w_{i'} ([v_{i'} < v_i] + \\tfrac12
    [v_{i'} = v_i])`: the weight of the tie groups below plus half its own group's weight.
    """
    order = np.argsort(values, kind="stable")
    vs = values[order]
    new = np.empty(vs.size, dtype=bool)
    new[:1] = True
    np.not_equal(vs[1:], vs[:-1], out=new[1:])
    starts = np.flatnonzero(new)
    ws = w[:, order]
    group = np.add.reduceat(ws, starts, axis=1) if starts.size else ws
    below = np.cumsum(group, axis=1)
    below -= 0.5 * group
    return order, np.repeat(below, np.diff(np.append(starts, vs.size)), axis=1)


def _spearman_pairs(
    xv: NDArray[np.float64],
    yv: NDArray[np.float64],
    mask: NDArray[np.float64],
    w: NDArray[np.float64],
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Weighted Spearman r of aligned pair columns (ranks within each pair's complete cases).

    ``w``: (B, n) weights. For each pair, its complete cases are sorted once by each variable;
    the weighted rank of case ``i`` is :math:`\\tfrac12 + \\sum_{i'} w_{i'}([v_{i'} < v_i] +
    \\tfrac12 [v_{i'} = v_i])`, the average rank of its tie group, from cumulative sums of the
    weights in sorted order: :math:`O(B\\,n)` per pair after the sort. Ranks are multiples of
    1/2 and the weights are integers, so the rank moments are exact. Returns r and the
    weighted n, both (P, B).
    """
    n_rep = w.shape[0]
    npairs = mask.shape[1]
    sn = mask.T @ w.T  # (P, B)
    sxx = np.zeros((npairs, n_rep))
    syy = np.zeros((npairs, n_rep))
    sxy = np.zeros((npairs, n_rep))
    for p in range(npairs):
        rows = np.flatnonzero(mask[:, p])
        if rows.size == 0:
            continue
        wp = w[:, rows]
        ox, rx = _weighted_ranks(xv[rows, p], wp)  # in x order
        oy, ry_sorted = _weighted_ranks(yv[rows, p], wp)
        ry = np.empty_like(ry_sorted)
        ry[:, oy] = ry_sorted  # back to the pair's row order ...
        ry = ry[:, ox]  # ... then to x order
        wx = wp[:, ox]
        rxw = rx * wx
        sxy[p] = np.einsum("bi,bi->b", rxw, ry)
        sxx[p] = np.einsum("bi,bi->b", rxw, rx)
        ry *= ry
        syy[p] = np.einsum("bi,bi->b", ry, wx)
    mean2 = sn * (sn / 2.0) ** 2
    with np.errstate(divide="ignore", invalid="ignore"):
        vx = sxx - mean2
        vy = syy - mean2
        r = (sxy - mean2) / np.sqrt(vx * vy)
    bad = (sn < 3) | (vx <= 0) | (vy <= 0)
    r = np.where(bad, np.nan, np.clip(r, -1.0, 1.0))
    return r, sn


def pair_correlations(
    x: NDArray[np.float64],
    y: NDArray[np.float64],
    jj: NDArray[np.intp],
    kk: NDArray[np.intp],
    w: NDArray[np.float64],
    method: str,
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Weighted pairwise-complete r and n for the pairs ``(jj, kk)``: arrays (P, B).

    ``w`` holds one row of weights (B, n_obs) per replicate: resampling counts for the
    bootstrap, ones for the data themselves. Time and memory are linear in ``B × n_obs`` per
    pair (Spearman adds one sort of each pair's complete cases).
    """
    mx = ~np.isnan(x)
    my = ~np.isnan(y)
    # Centre each column on its mean over the rows present (r is unchanged, rounding shrinks).
    x0 = np.where(mx, x, 0.0)
    y0 = np.where(my, y, 0.0)
    xc = np.where(mx, x0 - x0.sum(axis=0) / np.maximum(mx.sum(axis=0), 1), 0.0)
    yc = np.where(my, y0 - y0.sum(axis=0) / np.maximum(my.sum(axis=0), 1), 0.0)
    n_rep, n = w.shape
    npairs = jj.size
    # Pearson: the six moments of a chunk of pairs come from one product with w; Spearman
    # goes pair by pair (its arrays are B x n whatever the chunk).
    chunk = max(1, _ELEMENT_BUDGET // max(6 * (n_rep + n), 1)) if method == "pearson" else npairs
    r = np.empty((npairs, n_rep))
    sn = np.empty((npairs, n_rep))
    for start in range(0, npairs, chunk):
        sl = slice(start, start + chunk)
        j, k = jj[sl], kk[sl]
        mask = (mx[:, j] & my[:, k]).astype(np.float64)
        if method == "pearson":
            r[sl], sn[sl] = _pearson_pairs(xc[:, j], yc[:, k], mask, w.T)
        else:
            r[sl], sn[sl] = _spearman_pairs(x[:, j], y[:, k], mask, w)
    return r, sn
