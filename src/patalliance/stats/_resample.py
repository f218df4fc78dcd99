"""Bootstrap resampling counts, drawn a block of replicates at a time.

Every nonparametric bootstrap of :mod:`patalliance.stats` resamples the ``n`` rows of its data
with replacement. Replicate ``b`` is summarised by its counts ``w[b, i]``, the number of times
row ``i`` was drawn, so that any sum over the resampled rows is a weighted sum over the
original rows: ``sum(f(z[idx[b]])) = w[b] @ f(z)``. Moments of every replicate then come from
one matrix product per block, in time linear in ``n × n_boot`` and in memory bounded by the
block, whatever ``n_boot`` is.

The row indices are drawn in order, one block of replicates after another, as
``rng.integers(0, n, size=(rows, n))``. numpy's ``Generator`` produces the same numbers this
way as one call ``rng.integers(0, n, size=(n_boot, n))``: the draws, and therefore every
bootstrap interval, do not depend on the block size.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
from numpy.typing import NDArray

from patalliance._blas import one_blas_thread

__all__ = ["BLOCK_ELEMENTS", "block_rows", "counts_bytes", "one_blas_thread", "resample_counts"]

BLOCK_ELEMENTS = 2**22
"""Resampled indices per block (32 MiB of float64 counts, 16 MiB of int32 indices)."""

_INT32_MAX = 2**31 - 1
_ROW_COUNTS = 512  # from this many rows on, counts are taken one replicate at a time


def block_rows(n_obs: int, n_boot: int, share: int = 1) -> int:
    """Replicates per block: about ``BLOCK_ELEMENTS / share`` counts (a quarter of that for
    fewer than ``_ROW_COUNTS`` rows, whose block is counted at once), at least one."""
    elements = BLOCK_ELEMENTS // share // (1 if n_obs >= _ROW_COUNTS else 4)
    return int(max(1, min(n_boot, elements // max(n_obs, 1))))


def counts_bytes(n_obs: int, rows: int) -> int:
    """Bytes that :func:`resample_counts` holds for blocks of ``rows`` replicates: the
    indices and the float64 counts, and for a small ``n_obs`` the integer counts of the
    whole block (one replicate's otherwise) with the indices as ``intp``."""
    per = 4 if n_obs <= _INT32_MAX else 8
    if n_obs >= _ROW_COUNTS:
        return rows * n_obs * (per + 8) + 16 * n_obs
    return rows * n_obs * (per + 8 + 16)


def resample_counts(
    rng: np.random.Generator, n_obs: int, n_boot: int, rows: int
) -> Iterator[tuple[slice, NDArray[np.float64]]]:
    """Yield ``(replicates, counts)`` for blocks of at most ``rows`` replicates, in order.

    ``counts[b, i]`` (float64, shape ``(block, n_obs)``) is how often row ``i`` is drawn in
    replicate ``replicates.start + b``. The indices are drawn with
    ``rng.integers(0, n_obs, size=(block, n_obs))``, block after block (see the module
    docstring); ``n_obs`` must be at least 1. One buffer serves every block: use a block's
    counts before asking for the next.
    """
    # int32 indices are the same numbers as numpy's default int64 ones (both take one
    # bounded 32-bit draw per index), at half the memory.
    dtype = np.int32 if n_obs <= _INT32_MAX else np.int64
    buffer = np.empty((min(rows, n_boot), n_obs))
    for start in range(0, n_boot, rows):
        stop = min(start + rows, n_boot)
        idx = rng.integers(0, n_obs, size=(stop - start, n_obs), dtype=dtype)
        counts = buffer[: stop - start]
        if n_obs >= _ROW_COUNTS:  # one row at a time: the counts of a row stay in cache
            for b in range(stop - start):
                counts[b] = np.bincount(idx[b], minlength=n_obs)
        else:  # the whole block at once: row b counts into [b * n_obs, (b + 1) * n_obs)
            idx += (n_obs * np.arange(stop - start, dtype=idx.dtype))[:, None]
            counts.ravel()[:] = np.bincount(idx.ravel(), minlength=counts.size)
        del idx
        yield slice(start, stop), counts
