"""One BLAS thread for the tall, thin products of the resampling and reliability steps.

Their matrix products and factorizations are ``n × k`` with ``n`` large and ``k`` a few
columns: a threaded BLAS gains little on them and, where cores are shared with other work,
its threads wait on each other (ten times the time is common on a loaded 2-core machine).
One thread computes the same numbers. This module imports nothing of patalliance.
"""

from __future__ import annotations

from typing import Any

__all__ = ["one_blas_thread"]


def one_blas_thread() -> Any:
    """A context manager in which BLAS runs on one thread (restored on exit)."""
    from threadpoolctl import threadpool_limits

    return threadpool_limits(limits=1, user_api="blas")
