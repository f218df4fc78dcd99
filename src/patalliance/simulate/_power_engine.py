"""Vectorized Monte Carlo engine behind :mod:`patalliance.simulate.power`.

The engine simulates a batch of ``B`` trials at once as arrays of shape ``(B, n, k)``.

Reproducibility contract
------------------------
The trials are cut into fixed *blocks* of :data:`BLOCK_TRIALS` trials. Block ``j`` draws its
normal deviates from ``SeedSequence(seed, spawn_key=(j, 0))`` and its missingness uniforms from
``SeedSequence(seed, spawn_key=(j, 1))``. Both streams are read sequentially, so splitting a
block across batches, or grouping blocks into tasks for workers, never changes a single draw.
The engine only returns integer counts, whose sums do not depend on the order of the tasks.
Results are therefore identical whatever ``batch_size``, number of workers or backend.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
from scipy import stats

from patalliance.stats.multiplicity import adjust_rows_unchecked
from patalliance.stats.tdist import correlation_t

BLOCK_TRIALS = 1000
"""Trials per block of randomness. Fixed: changing it changes every simulated result."""

_MEMORY_BUDGET_BYTES = 16 * 2**20
"""Rough bound on the bytes one default batch may use."""


@dataclass(frozen=True, eq=False)
class CompiledPlan:
    """Everything a worker needs, as plain arrays (cheap to pickle)."""

    chol: np.ndarray  # (k, k) lower Cholesky factor of the correlation matrix
    xi: np.ndarray  # (T,) column index of x for each test
    yi: np.ndarray  # (T,) column index of y for each test
    miss: np.ndarray  # (k,) MCAR missingness rate per variable
    families: tuple[np.ndarray, ...]  # test indices of each family
    primary: np.ndarray  # indices of the primary tests
    adjust: str
    alpha: float
    gram_rows: np.ndarray = field(init=False)
    gram_cols: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        # Entries of the Gram matrix of [A, A*y, A*y^2] holding, per test, the sums
        # n, Sx, Sy, Sxx, Syy, Sxy over the pairwise-complete rows.
        k, xi, yi = self.chol.shape[0], self.xi, self.yi
        rows = np.concatenate([xi, k + xi, k + yi, 2 * k + xi, 2 * k + yi, k + xi])
        cols = np.concatenate([yi, yi, xi, yi, xi, k + yi])
        object.__setattr__(self, "gram_rows", rows)
        object.__setattr__(self, "gram_cols", cols)

    @property
    def n_tests(self) -> int:
        return int(self.xi.size)

    @property
    def any_missing(self) -> bool:
        return bool(np.any(self.miss > 0))


@dataclass(frozen=True, eq=False)
class Counts:
    """Integer tallies over a set of simulated trials; additive across tasks."""

    n_trials: int
    significant: np.ndarray  # (T,) trials in which each test was significant
    all_primary: int  # trials in which every primary test was significant
    any: int  # trials in which at least one test was significant
    n_pair_sum: np.ndarray  # (T,) sum over trials of the pairwise-complete n

    def __add__(self, other: Counts) -> Counts:
        return Counts(
            n_trials=self.n_trials + other.n_trials,
            significant=self.significant + other.significant,
            all_primary=self.all_primary + other.all_primary,
            any=self.any + other.any,
            n_pair_sum=self.n_pair_sum + other.n_pair_sum,
        )

    @classmethod
    def zero(cls, n_tests: int) -> Counts:
        z = np.zeros(n_tests, dtype=np.int64)
        return cls(0, z, 0, 0, z.copy())


def block_sizes(n_simulations: int) -> list[int]:
    """Sizes of the blocks of randomness: full blocks, then a partial one."""
    full, rest = divmod(n_simulations, BLOCK_TRIALS)
    return [BLOCK_TRIALS] * full + ([rest] if rest else [])


def default_batch_size(n: int, k: int, n_tests: int) -> int:
    """A batch size whose arrays stay within a modest memory budget."""
    per_trial = 8 * (6 * n * k + 6 * k * k + 12 * n_tests)
    return int(max(1, min(2 * BLOCK_TRIALS, _MEMORY_BUDGET_BYTES // per_trial)))


def _block_generators(seed: int, j: int) -> tuple[np.random.Generator, np.random.Generator]:
    normal = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(j, 0)))
    uniform = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(j, 1)))
    return normal, uniform


def _segments(
    blocks: Sequence[tuple[int, int]], batch_size: int
) -> Iterator[list[tuple[int, int]]]:
    """Cut ``(block_index, size)`` pairs into batches of ``(block_index, count)`` segments."""
    batch: list[tuple[int, int]] = []
    room = batch_size
    for j, size in blocks:
        left = size
        while left > 0:
            take = min(left, room)
            batch.append((j, take))
            left -= take
            room -= take
            if room == 0:
                yield batch
                batch, room = [], batch_size
    if batch:
        yield batch


def run_blocks(
    plan: CompiledPlan,
    n: int,
    seed: int,
    blocks: Sequence[tuple[int, int]],
    batch_size: int,
    progress: Callable[[int], None] | None = None,
) -> Counts:
    """Simulate the given blocks in batches of ``batch_size`` trials and tally the results."""
    k = plan.chol.shape[0]
    gens: dict[int, tuple[np.random.Generator, np.random.Generator]] = {}
    total = Counts.zero(plan.n_tests)
    for batch in _segments(blocks, batch_size):
        z_parts, u_parts = [], []
        for j, count in batch:
            if j not in gens:
                gens.clear()  # blocks come in order: earlier ones are finished
                gens[j] = _block_generators(seed, j)
            g_normal, g_uniform = gens[j]
            z_parts.append(g_normal.standard_normal((count, n, k)))
            if plan.any_missing:
                u_parts.append(g_uniform.random((count, n, k)))
        z = z_parts[0] if len(z_parts) == 1 else np.concatenate(z_parts)
        u = None
        if plan.any_missing:
            u = u_parts[0] if len(u_parts) == 1 else np.concatenate(u_parts)
        total = total + batch_counts(plan, z, u)
        if progress is not None:
            progress(int(z.shape[0]))
    return total


def batch_counts(plan: CompiledPlan, z: np.ndarray, u: np.ndarray | None) -> Counts:
    """Tally one batch: ``z`` are iid N(0, 1) draws ``(B, n, k)``, ``u`` iid U(0, 1) or None."""
    b, n, k = z.shape
    y = np.matmul(z, plan.chol.T)
    # Features F = [A, A*y, A*y^2], A the 0/1 indicator of an observed value. Every sum of a
    # pairwise-complete Pearson r is one entry of the per-trial Gram matrix F'F.
    f = np.empty((b, n, 3 * k))
    if u is None:
        f[..., :k] = 1.0
        f[..., k : 2 * k] = y
    else:
        np.greater_equal(u, plan.miss, out=f[..., :k])
        np.multiply(y, f[..., :k], out=f[..., k : 2 * k])
    np.multiply(f[..., k : 2 * k], y, out=f[..., 2 * k :])
    gram = np.matmul(f.transpose(0, 2, 1), f[..., : 2 * k])  # (B, 3k, 2k)
    t = plan.n_tests
    sums = gram[:, plan.gram_rows, plan.gram_cols].reshape(b, 6, t)
    cnt, sx, sy, sxx, syy, sxy = (sums[:, i, :] for i in range(6))
    with np.errstate(invalid="ignore", divide="ignore"):
        cxy = sxy - sx * sy / cnt
        cxx = sxx - sx * sx / cnt
        cyy = syy - sy * sy / cnt
        r = cxy / np.sqrt(cxx * cyy)
    n_pair = np.rint(cnt).astype(np.int64)
    p = _pearson_p(r, n_pair, _r_crit_table(n, plan.alpha))
    p_adj = np.empty_like(p)
    for fam in plan.families:
        p_adj[:, fam] = adjust_rows_unchecked(p[:, fam], plan.adjust)
    sig = p_adj <= plan.alpha
    return Counts(
        n_trials=b,
        significant=sig.sum(axis=0, dtype=np.int64),
        all_primary=int(np.all(sig[:, plan.primary], axis=1).sum()),
        any=int(np.any(sig, axis=1).sum()),
        n_pair_sum=n_pair.sum(axis=0, dtype=np.int64),
    )


@lru_cache(maxsize=64)
def _r_crit_table(n: int, alpha: float) -> np.ndarray:
    """Critical |r| of the two-sided level-alpha test for 0..n pairs (inf below 3 pairs)."""
    pairs = np.arange(n + 1, dtype=float)
    df = np.maximum(pairs - 2.0, 1.0)
    t_c = stats.t.isf(alpha / 2.0, df)
    crit = t_c / np.sqrt(t_c * t_c + df)
    crit[:3] = np.inf
    return crit


def _pearson_p(r: np.ndarray, n_pair: np.ndarray, r_crit: np.ndarray) -> np.ndarray:
    """Two-sided p of H0: rho = 0 (t test, df = n - 2), exact where it can be <= alpha.

    Where |r| is clearly below the critical value (so p > alpha), p is set to 1: no test
    with p > alpha can be rejected by Holm or Benjamini-Hochberg, and such p-values never
    change the decisions on the others, so the significance counts are unchanged. p is 1
    where r is undefined (fewer than 3 pairs, or no variance).
    """
    p = np.ones_like(r)
    absr = np.abs(r)
    with np.errstate(invalid="ignore"):
        cand = absr >= r_crit[n_pair] * (1.0 - 1e-9)  # False for NaN
    rc = absr[cand]
    df = n_pair[cand] - 2.0
    p[cand] = correlation_t(rc, df)[1]
    return p
