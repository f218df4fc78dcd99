"""Upper bounds of resample and simulation counts, and the memory they need.

Every count a user sets (bootstrap resamples, imputations, simulated trials) has a fixed
upper bound, checked when the study file is read, and the arrays that count implies must fit
in :data:`MEMORY_BUDGET_BYTES`, checked once the number of participants is known. A count
over either limit is a configuration error (exit code 2) that names the key, the estimate
and the largest count that fits; it never reaches the estimator as an out-of-memory failure.
The limits are documented in ``docs/study-file.md`` ("Limits") and ``docs/power.md``.

This module imports nothing of patalliance but :mod:`patalliance.errors`.
"""

from __future__ import annotations

from collections.abc import Callable

from patalliance.errors import ConfigError

__all__ = [
    "BYTES_PER_VALUE",
    "MAX_BURN_IN",
    "MAX_IMPUTATIONS",
    "MAX_RESAMPLES",
    "MAX_SIMULATIONS",
    "MEMORY_BUDGET_BYTES",
    "check_memory",
    "largest_fitting",
    "memory_problem",
    "simulation_bytes",
]

MAX_RESAMPLES = 1_000_000
"""Largest bootstrap count: ``n_resamples`` and ``n_boot`` everywhere in ``[analysis]``."""

MAX_IMPUTATIONS = 1_000
"""Largest number of imputations, ``[analysis.multiple_imputation] m``."""

MAX_BURN_IN = 1_000
"""Largest number of chained-equation cycles, ``[analysis.multiple_imputation] burn_in``."""

MAX_SIMULATIONS = 1_000_000
"""Largest number of simulated trials (per sample size) of a Monte Carlo power run."""

MEMORY_BUDGET_BYTES = 2 * 2**30
"""Memory (2 GiB) that the arrays of one resampling or simulation step may need."""

BYTES_PER_VALUE = 8
"""One float64 or int64 value."""


def _gib(n_bytes: float) -> str:
    return f"{n_bytes / 2**30:.1f} GiB"


def largest_fitting(need: Callable[[int], int], count: int) -> int:
    """The largest ``c <= count`` with ``need(c) <= MEMORY_BUDGET_BYTES`` (0 when none);
    ``need`` grows with its argument."""
    lo, hi = 0, count
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if need(mid) <= MEMORY_BUDGET_BYTES:
            lo = mid
        else:
            hi = mid - 1
    return lo


def memory_problem(key: str, count: int, need: Callable[[int], int], formula: str) -> str | None:
    """The sentence explaining why ``count`` needs too much memory, or None when it fits.

    Parameters
    ----------
    key : str
        The key path or command-line flag of the count, e.g. ``analysis.n_resamples``.
    count : int
        The count the user set (resamples, imputations, simulated trials).
    need : callable
        Bytes needed for a given count (the estimator's own estimate).
    formula : str
        What the estimate counts, in words, e.g. ``"the replicates and one block of resampling counts"``.

    Examples
    --------
    >>> def need(c: int) -> int:
    ...     return c * 5_000 * BYTES_PER_VALUE
    >>> memory_problem("analysis.n_resamples", 10_000, need, "n_resamples × n × 8 bytes") is None
    True
    >>> print(memory_problem("analysis.n_resamples", 1_000_000, need, "n_resamples × n × 8 bytes"))
    analysis.n_resamples = 1000000 needs about 37.3 GiB (n_resamples × n × 8 bytes), over the 2.0 GiB budget; use at most 53687
    """
    total = need(count)
    if total <= MEMORY_BUDGET_BYTES:
        return None
    largest = largest_fitting(need, count)
    fix = f"use at most {largest}" if largest >= 1 else "the data are too large for this step"
    return (
        f"{key} = {count} needs about {_gib(total)} ({formula}), over the "
        f"{_gib(MEMORY_BUDGET_BYTES)} budget; {fix}"
    )


def check_memory(
    source: str, key: str, count: int, need: Callable[[int], int], formula: str
) -> None:
    """Raise :class:`ConfigError` (exit 2) when ``count`` does not fit the memory budget.

    ``source`` (a file name or ``""``) starts the message.
    """
    problem = memory_problem(key, count, need, formula)
    if problem is not None:
        prefix = f"{source}: " if source else ""
        raise ConfigError(f"{prefix}{problem}.")


def simulation_bytes(n: int, k: int, n_tests: int) -> int:
    """Bytes one simulated trial of ``n`` participants, ``k`` variables and ``n_tests``
    tests needs in the Monte Carlo power engine (its smallest batch is one trial)."""
    return BYTES_PER_VALUE * (6 * n * k + 6 * k * k + 12 * n_tests)
