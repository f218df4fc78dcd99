r"""Significance decisions of the power engine, by critical values of r instead of p-values.

For a two-sided test of :math:`\rho = 0` on :math:`n_p` pairs, and any level :math:`\tau`,

.. math::

    p \le \tau \iff |r| \ge r_c(\tau, n_p) = \frac{t_c}{\sqrt{t_c^2 + n_p - 2}},
    \qquad t_c = t_{1 - \tau/2,\, n_p - 2},

because p falls as |r| grows. Holm's and Benjamini-Hochberg's procedures compare the
sorted p-values :math:`p_{(1)} \le \dots \le p_{(m)}` of a family of m tests with fixed
ascending levels :math:`\tau_j` (Holm: :math:`\alpha/(m - j + 1)`; Benjamini-Hochberg:
:math:`j\alpha/m`). Let :math:`s_i` be the number of levels at or above :math:`p_i` (read
from |r|). Then :math:`p_{(j)} \le \tau_j` exactly when the j-th largest :math:`s` is at
least :math:`m - j + 1`; Holm rejects the R smallest p-values, R the number of leading j for
which this holds, Benjamini-Hochberg the R smallest, R the largest such j; in both a test is
rejected exactly when :math:`s_i \ge m - R + 1`. No p-value is computed: the critical values
come from a table over the levels and the numbers of pairs that occur (:class:`CritTable`).

Where an |r| lies within a relative :data:`BAND` of a critical value, rounding could decide
differently from the p-value of :func:`patalliance.stats.tdist.correlation_t`; those trials
are decided from their exact p-values (:func:`exact_significance`), so every decision is
that of the p-value computation.

References
----------
.. [1] Holm, S. (1979). A simple sequentially rejective multiple test procedure.
   *Scandinavian Journal of Statistics*, 6(2), 65-70.
.. [2] Benjamini, Y., & Hochberg, Y. (1995). Controlling the false discovery rate: a
   practical and powerful approach to multiple testing. *Journal of the Royal Statistical
   Society: Series B*, 57(1), 289-300.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import special

from patalliance.stats.multiplicity import adjust_rows_unchecked
from patalliance.stats.tdist import correlation_t

BAND = 1e-9
"""Relative distance from a critical value within which a trial is decided by exact p."""


def family_levels(m: int, adjust: str, alpha: float) -> list[float]:
    """The ascending p-value levels of one family of ``m`` tests."""
    if adjust == "none":
        return [alpha]
    if adjust == "holm":
        return [alpha / (m - j) for j in range(m)]
    return [(j + 1) * alpha / m for j in range(m)]  # fdr_bh


@dataclass(frozen=True, eq=False)
class Decisions:
    """The levels of a plan and where each test's own levels sit among them."""

    levels: np.ndarray  # (L,) ascending distinct levels of all tests
    own_from: np.ndarray  # (T, L + 1): own levels of test t with index >= i among `levels`
    fam_tests: np.ndarray  # (F, M) test indices of each family, padded with T
    need: np.ndarray  # (F, M): m_f - j for the j-th smallest p (j = 0 .. m_f - 1), then M + 1
    test_family: np.ndarray  # (T,)
    test_size: np.ndarray  # (T,) size of the test's family
    adjust: str
    alpha: float


def compile_decisions(
    families: Sequence[np.ndarray], n_tests: int, adjust: str, alpha: float
) -> Decisions:
    """The :class:`Decisions` of a plan whose families hold the given test indices."""
    own = [np.empty(0)] * n_tests
    for fam in families:
        for t in fam:
            own[int(t)] = np.array(family_levels(len(fam), adjust, alpha))
    levels = np.unique(np.concatenate(own))
    index = [np.searchsorted(levels, lv) for lv in own]
    own_from = np.array(
        [[int(np.sum(ix >= i)) for i in range(levels.size + 1)] for ix in index], dtype=np.intp
    )
    width = max(len(f) for f in families)
    fam_tests = np.full((len(families), width), n_tests, dtype=np.intp)
    test_family = np.empty(n_tests, dtype=np.intp)
    for f, fam in enumerate(families):
        fam_tests[f, : len(fam)] = fam
        test_family[fam] = f
    sizes = np.array([len(f) for f in families])
    need = sizes[:, None] - np.arange(width)
    need[need <= 0] = width + 1  # beyond a family's size: padding, never reached
    return Decisions(
        levels=levels,
        own_from=own_from,
        fam_tests=fam_tests,
        need=need,
        test_family=test_family,
        test_size=sizes[test_family],
        adjust=adjust,
        alpha=alpha,
    )


class CritTable:
    """Critical |r| of every level for the numbers of pairs seen so far (grown on demand).

    ``table[l, i]`` is the critical value of level ``l`` for ``lo + i`` pairs; fewer than 3
    pairs never reject.
    """

    def __init__(self, levels: np.ndarray, n: int) -> None:
        self.levels = levels
        self.n = n
        self.lo, self.hi = n + 1, n
        self.table = np.empty((levels.size, 0))

    def _build(self, lo: int, hi: int) -> None:
        pairs = np.arange(lo, hi + 1, dtype=float)
        df = np.maximum(pairs - 2.0, 1.0)
        t_c = -special.stdtrit(df, self.levels[:, None] / 2.0)  # = stats.t.isf(level / 2, df)
        crit = t_c / np.sqrt(t_c * t_c + df)
        crit[:, pairs < 3] = np.inf
        self.lo, self.hi, self.table = lo, hi, crit

    def offsets(self, n_pair: np.ndarray) -> np.ndarray:
        """Column indices of ``n_pair`` in :attr:`table`, growing the table when needed."""
        lo, hi = int(n_pair.min()), int(n_pair.max())
        if lo < self.lo or hi > self.hi:
            lo, hi = min(lo, self.lo), max(hi, self.hi)
            slack = max(8, (hi - lo) // 4)
            self._build(max(0, lo - slack), min(self.n, hi + slack))
        return n_pair - self.lo


def significant(dec: Decisions, r: np.ndarray, n_pair: np.ndarray, table: CritTable) -> np.ndarray:
    """Which tests of each trial are significant after the plan's adjustment, ``(B, T)``."""
    absr = np.abs(r)
    at = table.offsets(n_pair)
    low, high = absr * (1.0 - BAND), absr * (1.0 + BAND)
    reached = np.zeros(r.shape, dtype=np.intp)  # levels reached: p at or below them
    near = np.zeros(r.shape, dtype=np.intp)
    for crit in table.table:
        c = crit[at]
        reached += low >= c
        near += high >= c
    doubtful = np.any((near != reached) | (absr > 1.0), axis=1)
    s = dec.own_from[np.arange(r.shape[1]), dec.levels.size - reached]
    sig = _adjusted(dec, s)
    if doubtful.any():
        sig[doubtful] = exact_significance(dec, r[doubtful], n_pair[doubtful])
    return sig


def _adjusted(dec: Decisions, s: np.ndarray) -> np.ndarray:
    """Decisions from ``s``, the number of its own levels each p-value is at or below."""
    if dec.adjust == "none":
        return s >= 1
    b, n_tests = s.shape
    padded = np.full((b, n_tests + 1), -1, dtype=np.int32)
    padded[:, :n_tests] = s
    ranked = np.sort(padded[:, dec.fam_tests], axis=-1)[..., ::-1]  # (B, F, M), descending
    # The j-th smallest p (0-based) is at or below level j of its family iff s >= m - j.
    reach = ranked >= dec.need
    if dec.adjust == "holm":
        rejected = np.logical_and.accumulate(reach, axis=-1).sum(axis=-1)
    else:  # fdr_bh: the largest j whose p is at or below its level
        rejected = np.max(reach * np.arange(1, reach.shape[-1] + 1), axis=-1)
    # A test is rejected iff its p is at or below the level of the last rejection.
    return s >= dec.test_size - rejected[:, dec.test_family] + 1


def exact_significance(dec: Decisions, r: np.ndarray, n_pair: np.ndarray) -> np.ndarray:
    """The same decisions from exact p-values (p = 1 where r is undefined or n_pair < 3)."""
    p = np.ones_like(r)
    ok = (n_pair >= 3) & ~np.isnan(r)
    p[ok] = correlation_t(r[ok], n_pair[ok] - 2.0)[1]
    p_adj = np.empty_like(p)
    for row in dec.fam_tests:
        fam = row[row < r.shape[1]]
        p_adj[:, fam] = adjust_rows_unchecked(p[:, fam], dec.adjust)
    return p_adj <= dec.alpha
