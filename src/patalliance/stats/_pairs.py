"""Vectorized pair moments of weighted data: the kernel behind correlations and bootstraps.

Every pair of variables, in every replicate, is computed with masks and matrix products (no
Python loop runs over replicates; Spearman's ranks loop over pairs). The weights are ones for
the data themselves and bootstrap resampling counts for :mod:`patalliance.stats.bootstrap`;
leave-one-out coefficients have closed forms in :mod:`patalliance.stats._jackknife`. Used by
:mod:`patalliance.stats.correlation` and :mod:`patalliance.stats.bootstrap`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from patalliance.stats._checks import as_matrix

# Elements of the moment columns held per chunk of pairs (~32 MiB).
_ELEMENT_BUDGET = 2**22
# Elements of moment columns held for all pairs at once (128 MiB); more are rebuilt per use.
_HELD_ELEMENTS = 2**24


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


def _pearson_columns(
    xc: NDArray[np.float64], yc: NDArray[np.float64], mask: NDArray[np.float64]
) -> NDArray[np.float64]:
    """The six moment columns ``[m, x, y, x², y², xy]`` of aligned pair columns (n, 6P).

    ``xc``, ``yc``: (n, P) centred data with zeros where missing; ``mask``: (n, P) 1.0 where
    the pair is complete.
    """
    xs = xc * mask
    ys = yc * mask
    return np.concatenate([mask, xs, ys, xs * xs, ys * ys, xs * ys], axis=1)


def _pearson_pairs(
    k: NDArray[np.float64], w: NDArray[np.float64]
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Weighted Pearson r of the pairs whose moment columns are ``k`` (n, 6P), under the
    weights ``w`` (B, n): r and the weighted n, both (P, B). All six moments come from one
    matrix product ``w @ k``; the arithmetic runs on contiguous (B, P) rows."""
    n = k.shape[0]
    npairs = k.shape[1] // 6
    s = w @ k  # (B, 6P)
    sn, sx, sy, sxx, syy, sxy = (s[:, i * npairs : (i + 1) * npairs] for i in range(6))
    tol = 64.0 * max(n, 1) * np.finfo(np.float64).eps
    with np.errstate(divide="ignore", invalid="ignore"):  # in place: few temporaries
        inv = np.divide(1.0, sn)
        t = np.multiply(sx, inv)
        vx = np.multiply(sx, t)
        np.subtract(sxx, vx, out=vx)
        cov = np.multiply(sy, t)
        np.subtract(sxy, cov, out=cov)
        vy = np.multiply(sy, sy)
        np.multiply(vy, inv, out=vy)
        np.subtract(syy, vy, out=vy)
        bad = np.less_equal(vx, np.multiply(sxx, tol, out=t))
        bad |= np.less_equal(vy, np.multiply(syy, tol, out=t))
        bad |= sn < 3
        vx *= vy
        np.sqrt(vx, out=vx)
        r = np.divide(cov, vx, out=cov)
        np.clip(r, -1.0, 1.0, out=r)
    r[bad] = np.nan
    return r.T, sn.T


@dataclass(frozen=True)
class _RankOrder:
    """One variable of one pair, sorted once: the order of the pair's complete cases, the
    start of each tie group, and each group's size."""

    order: NDArray[np.intp]
    starts: NDArray[np.intp]
    sizes: NDArray[np.intp]

    @classmethod
    def of(cls, values: NDArray[np.float64]) -> _RankOrder:
        order = np.argsort(values, kind="stable")
        vs = values[order]
        new = np.empty(vs.size, dtype=bool)
        new[:1] = True
        np.not_equal(vs[1:], vs[:-1], out=new[1:])
        starts = np.flatnonzero(new)
        return cls(order, starts, np.diff(np.append(starts, vs.size)))

    def ranks(self, ws: NDArray[np.float64]) -> NDArray[np.float64]:
        """Weighted average ranks minus 1/2 under the weights ``ws`` (B, m), given in this
        sorted order, returned in it: the weight of the tie groups below plus half the
        case's own group's weight, :math:`\\sum_{i'} w_{i'} ([v_{i'} < v_i] + \\tfrac12
        [v_{i'} = v_i])`."""
        group = np.add.reduceat(ws, self.starts, axis=1)
        below = np.cumsum(group, axis=1)
        below -= 0.5 * group
        return np.repeat(below, self.sizes, axis=1)


@dataclass(frozen=True)
class _SpearmanPair:
    """The complete cases of one pair in x order, and the sort of each variable."""

    rows: NDArray[np.intp]  # the pair's complete rows, in x order
    x: _RankOrder
    y: _RankOrder  # its order indexes ``rows`` (x order)
    y_back: NDArray[np.intp]  # y order -> x order

    @classmethod
    def of(cls, xv: NDArray[np.float64], yv: NDArray[np.float64]) -> _SpearmanPair:
        rows = np.flatnonzero(~np.isnan(xv) & ~np.isnan(yv))
        rx = _RankOrder.of(xv[rows])
        rows = rows[rx.order]
        ry = _RankOrder.of(yv[rows])
        back = np.empty_like(ry.order)
        back[ry.order] = np.arange(ry.order.size)
        ident = np.arange(rows.size)
        return cls(rows, _RankOrder(ident, rx.starts, rx.sizes), ry, back)

    def moments(
        self, w: NDArray[np.float64]
    ) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
        """Weighted sums of the rank products ``rx·ry``, ``rx²``, ``ry²`` per replicate."""
        wx = w[:, self.rows]  # (B, m) in x order
        rx = self.x.ranks(wx)
        ry = self.y.ranks(wx[:, self.y.order])[:, self.y_back]
        rxw = rx * wx
        sxy = np.einsum("bi,bi->b", rxw, ry)
        sxx = np.einsum("bi,bi->b", rxw, rx)
        ry *= ry
        return sxy, sxx, np.einsum("bi,bi->b", ry, wx)


def _spearman_pairs(
    pairs: list[_SpearmanPair], mask_t: NDArray[np.float64], w: NDArray[np.float64]
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Weighted Spearman r of sorted pairs (ranks within each pair's complete cases).

    The weighted rank of case ``i`` is :math:`\\tfrac12 + \\sum_{i'} w_{i'}([v_{i'} < v_i] +
    \\tfrac12 [v_{i'} = v_i])`, the average rank of its tie group, from cumulative sums of the
    weights in the order sorted once per pair: :math:`O(B\\,n)` per pair. Ranks are multiples
    of 1/2 and the weights are integers, so the rank moments are exact. ``mask_t``: (P, n)
    1.0 where a pair is complete. Returns r and the weighted n, both (P, B).
    """
    sn = mask_t @ w.T  # (P, B)
    sxx = np.zeros_like(sn)
    syy = np.zeros_like(sn)
    sxy = np.zeros_like(sn)
    for p, pair in enumerate(pairs):
        if pair.rows.size:
            sxy[p], sxx[p], syy[p] = pair.moments(w)
    mean2 = sn * (sn / 2.0) ** 2
    with np.errstate(divide="ignore", invalid="ignore"):
        vx = sxx - mean2
        vy = syy - mean2
        r = (sxy - mean2) / np.sqrt(vx * vy)
    bad = (sn < 3) | (vx <= 0) | (vy <= 0)
    r = np.where(bad, np.nan, np.clip(r, -1.0, 1.0))
    return r, sn


class PairMoments:
    """The pairs ``(x[:, jj], y[:, kk])`` prepared once for many sets of weights.

    Pearson: each column is centred on its mean over the rows present (r is unchanged and
    rounding shrinks) and the six moment columns of every pair are built once (in chunks of
    pairs when they would be large). Spearman: each pair's complete cases are sorted once by
    each variable. :meth:`correlations` then costs one pass over the weights.
    """

    def __init__(
        self,
        x: NDArray[np.float64],
        y: NDArray[np.float64],
        jj: NDArray[np.intp],
        kk: NDArray[np.intp],
        method: str,
    ) -> None:
        self.method = method
        self.npairs = jj.size
        n = x.shape[0]
        mx = ~np.isnan(x)
        my = ~np.isnan(y)
        if method == "spearman":
            self._mask_t = (mx[:, jj] & my[:, kk]).T.astype(np.float64)
            self._pairs = [_SpearmanPair.of(x[:, j], y[:, k]) for j, k in zip(jj, kk, strict=True)]
            return
        x0 = np.where(mx, x, 0.0)
        y0 = np.where(my, y, 0.0)
        xc = np.where(mx, x0 - x0.sum(axis=0) / np.maximum(mx.sum(axis=0), 1), 0.0)
        yc = np.where(my, y0 - y0.sum(axis=0) / np.maximum(my.sum(axis=0), 1), 0.0)
        # One chunk of pairs when all moment columns can be held, else chunks of a budget.
        held = 6 * n * self.npairs <= _HELD_ELEMENTS
        chunk = max(1, self.npairs) if held else max(1, _ELEMENT_BUDGET // max(6 * n, 1))
        self._parts = [
            (xc[:, jj[a : a + chunk]], yc[:, kk[a : a + chunk]],
             (mx[:, jj[a : a + chunk]] & my[:, kk[a : a + chunk]]).astype(np.float64))
            for a in range(0, self.npairs, chunk)
        ]  # fmt: skip
        # Held whole up to _HELD_ELEMENTS, rebuilt for each set of weights beyond.
        self._held = [_pearson_columns(*part) for part in self._parts] if held else None

    def correlations(
        self, w: NDArray[np.float64]
    ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """Weighted pairwise-complete r and n under each row of weights ``w`` (B, n_obs):
        arrays (P, B)."""
        if self.method == "spearman":
            return _spearman_pairs(self._pairs, self._mask_t, w)
        columns = self._held or (_pearson_columns(*part) for part in self._parts)
        parts = [_pearson_pairs(k, w) for k in columns]
        if len(parts) == 1:
            return parts[0]
        return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])


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
    pair (Spearman adds one sort of each pair's complete cases). Several sets of weights on
    the same data: prepare a :class:`PairMoments` once.
    """
    return PairMoments(x, y, jj, kk, method).correlations(w)
