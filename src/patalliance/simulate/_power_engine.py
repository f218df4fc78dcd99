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

Speed
-----
A batch's sums of every pairwise-complete r come from two batched matrix products, and its
significance decisions from critical values of r at the levels of the plan's adjustment
(:mod:`patalliance.simulate._power_decide`), so no p-value is computed except for the rare
trial whose r lies within rounding of a critical value. The default batch is small enough
(about 4 MiB) to stay in the processor's cache.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field

import numpy as np

from patalliance.simulate._power_decide import (
    CritTable,
    Decisions,
    compile_decisions,
    significant,
)

BLOCK_TRIALS = 1000
"""Trials per block of randomness. Fixed: changing it changes every simulated result."""

_MEMORY_BUDGET_BYTES = 4 * 2**20
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
    decisions: Decisions = field(init=False)

    def __post_init__(self) -> None:
        # Entries of F A' (F = [A, A*y, A*y^2], A the indicator of an observed value)
        # holding, per test, the sums n, Sx, Sy, Sxx, Syy over the pairwise-complete rows.
        k, xi, yi = self.chol.shape[0], self.xi, self.yi
        rows = np.concatenate([xi, k + xi, k + yi, 2 * k + xi, 2 * k + yi])
        cols = np.concatenate([yi, yi, xi, yi, xi])
        object.__setattr__(self, "gram_rows", rows)
        object.__setattr__(self, "gram_cols", cols)
        decisions = compile_decisions(self.families, self.n_tests, self.adjust, self.alpha)
        object.__setattr__(self, "decisions", decisions)

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
    table = CritTable(plan.decisions.levels, n)
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
        total = total + batch_counts(plan, z, u, table)
        if progress is not None:
            progress(int(z.shape[0]))
    return total


def batch_counts(
    plan: CompiledPlan, z: np.ndarray, u: np.ndarray | None, table: CritTable
) -> Counts:
    """Tally one batch: ``z`` are iid N(0, 1) draws ``(B, n, k)``, ``u`` iid U(0, 1) or None;
    ``table`` holds the critical values of r for this n."""
    b = z.shape[0]
    r, n_pair = _correlations(plan, z, u)
    sig = significant(plan.decisions, r, n_pair, table)
    return Counts(
        n_trials=b,
        significant=sig.sum(axis=0, dtype=np.int64),
        all_primary=int(np.all(sig[:, plan.primary], axis=1).sum()),
        any=int(np.any(sig, axis=1).sum()),
        n_pair_sum=n_pair.sum(axis=0, dtype=np.int64),
    )


def _correlations(
    plan: CompiledPlan, z: np.ndarray, u: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray]:
    """Pairwise-complete r of every test ``(B, T)`` and its number of pairs."""
    b, n, k = z.shape
    zt = z.transpose(0, 2, 1)  # (B, k, n): the rows of each trial are the variables
    xi, yi = plan.xi, plan.yi
    if u is None:
        y = np.matmul(plan.chol, zt)
        gram = np.matmul(y, y.transpose(0, 2, 1))  # (B, k, k)
        total = y.sum(axis=2)
        cnt = np.full((b, plan.n_tests), float(n))
        sx, sy = total[:, xi], total[:, yi]
        sxx, syy, sxy = gram[:, xi, xi], gram[:, yi, yi], gram[:, xi, yi]
    else:
        # Features F = [A, A*y, A*y^2], A the 0/1 indicator of an observed value: the sums
        # n, Sx, Sy, Sxx, Syy of a pairwise-complete Pearson r are entries of F A', and Sxy
        # of (A*y)(A*y)'.
        f = np.empty((b, 3 * k, n))
        f[:, :k] = (u >= plan.miss).transpose(0, 2, 1)
        y0 = f[:, k : 2 * k]
        np.matmul(plan.chol, zt, out=y0)
        y0 *= f[:, :k]
        np.square(y0, out=f[:, 2 * k :])
        by_a = np.matmul(f, f[:, :k].transpose(0, 2, 1))  # (B, 3k, k)
        sums = by_a[:, plan.gram_rows, plan.gram_cols].reshape(b, 5, plan.n_tests)
        cnt, sx, sy, sxx, syy = (sums[:, i, :] for i in range(5))
        sxy = np.matmul(y0, y0.transpose(0, 2, 1))[:, xi, yi]
    with np.errstate(invalid="ignore", divide="ignore"):
        cxy = sxy - sx * sy / cnt
        cxx = sxx - sx * sx / cnt
        cyy = syy - sy * sy / cnt
        r = cxy / np.sqrt(cxx * cyy)
    return r, np.rint(cnt).astype(np.intp)
