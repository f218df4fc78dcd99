"""Monte Carlo power of an analysis plan of Pearson correlation tests.

The plan is a :class:`~patalliance.simulate.power_spec.PlanSpec`; the results are the
classes of :mod:`patalliance.simulate.power_results`; the simulation itself runs in
:mod:`patalliance.simulate._power_engine`. This module runs it at one or several sample
sizes, locally or in parallel. Public names are re-exported by
:mod:`patalliance.simulate.power`; import them from there.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np

from patalliance.errors import ConfigError, MissingDependencyError
from patalliance.limits import MAX_SIMULATIONS, MEMORY_BUDGET_BYTES, simulation_bytes
from patalliance.simulate._power_engine import (
    CompiledPlan,
    Counts,
    block_sizes,
    default_batch_size,
    run_blocks,
)
from patalliance.simulate.power_results import (
    CorrelationPowerResult,
    PlanPowerResult,
    PowerCurveResult,
)
from patalliance.simulate.power_spec import PlanSpec

BACKENDS = ("local", "joblib", "dask")


def _se(p: Any, n_sim: int) -> Any:
    return np.sqrt(p * (1.0 - p) / n_sim)


# --------------------------------------------------------------------------- running


def _check_int(value: Any, name: str, func: str, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < minimum:
        raise ValueError(
            f"The '{name}' parameter of {func} must be an integer >= {minimum}. "
            f"Got {value!r} instead."
        )
    return int(value)


def _dask_client(client: Any) -> Any:
    try:
        import distributed
    except ImportError:
        raise MissingDependencyError(
            "backend='dask' needs dask.distributed, which is not installed: "
            "install patalliance[dask]."
        ) from None
    if client is not None:
        return client
    try:
        return distributed.get_client()
    except ValueError:
        raise ConfigError(
            "backend='dask' needs a running dask.distributed Client: pass client=... or start "
            "one first (distributed.Client())."
        ) from None


def _run(
    plan: CompiledPlan,
    n: int,
    *,
    n_simulations: int,
    seed: int,
    batch_size: int,
    backend: str,
    n_jobs: int | None,
    progress: Callable[[int], None] | None,
    client: Any,
) -> Counts:
    blocks = list(enumerate(block_sizes(n_simulations)))
    if backend == "local":
        return run_blocks(plan, n, seed, blocks, batch_size, progress)

    import joblib

    def collect() -> Counts:
        parallel = joblib.Parallel(
            n_jobs=-1 if n_jobs is None else n_jobs, return_as="generator_unordered"
        )
        total = Counts.zero(plan.n_tests)
        tasks = (joblib.delayed(run_blocks)(plan, n, seed, [blk], batch_size) for blk in blocks)
        for counts in parallel(tasks):
            total = total + counts
            if progress is not None:
                progress(counts.n_trials)
        return total

    if backend == "joblib":
        return collect()
    with joblib.parallel_config(backend="dask", client=_dask_client(client)):
        return collect()


def _validate_run(
    spec: Any,
    n: Any,
    n_simulations: Any,
    seed: Any,
    batch_size: Any,
    backend: Any,
    n_jobs: Any,
    func: str,
) -> None:
    if not isinstance(spec, PlanSpec):
        raise ValueError(
            f"The 'spec' parameter of {func} must be a PlanSpec. Got {type(spec).__name__}."
        )
    _check_int(n, "n", func, 4)
    _check_int(n_simulations, "n_simulations", func, 1)
    if n_simulations > MAX_SIMULATIONS:
        raise ValueError(
            f"The 'n_simulations' parameter of {func} must be at most {MAX_SIMULATIONS}. "
            f"Got {n_simulations!r} instead."
        )
    per_trial = simulation_bytes(int(n), len(spec.variables), len(spec.tests))
    if per_trial > MEMORY_BUDGET_BYTES:
        raise ValueError(
            f"The 'n' parameter of {func} is too large: one simulated trial of {n} "
            f"participants needs about {per_trial / 2**30:.1f} GiB, over the "
            f"{MEMORY_BUDGET_BYTES / 2**30:.1f} GiB budget. Got {n!r}."
        )
    _check_int(seed, "seed", func, 0)
    if batch_size is not None:
        _check_int(batch_size, "batch_size", func, 1)
    if backend not in BACKENDS:
        raise ValueError(
            f"The 'backend' parameter of {func} must be one of "
            f"{', '.join(repr(b) for b in BACKENDS)}. Got {backend!r} instead."
        )
    if n_jobs is not None and (
        isinstance(n_jobs, bool) or not isinstance(n_jobs, int) or n_jobs == 0
    ):
        raise ValueError(
            f"The 'n_jobs' parameter of {func} must be a nonzero integer or None. "
            f"Got {n_jobs!r} instead."
        )


def simulate_plan_power(
    spec: PlanSpec,
    n: int,
    *,
    n_simulations: int,
    seed: int,
    batch_size: int | None = None,
    backend: str = "local",
    n_jobs: int | None = None,
    progress: Callable[[int], None] | None = None,
    client: Any = None,
) -> PlanPowerResult:
    """Monte Carlo power of every test of a plan, and of the plan as a whole, at size n.

    Parameters
    ----------
    spec : PlanSpec
        The population model and the tests.
    n : int
        Participants per simulated trial (before dropout), at least 4.
    n_simulations : int
        Number of simulated trials, 1 to :data:`patalliance.limits.MAX_SIMULATIONS`
        (1,000,000). One trial of ``n`` participants must fit
        :data:`patalliance.limits.MEMORY_BUDGET_BYTES`.
    seed : int
        Non-negative seed of :class:`numpy.random.SeedSequence`.
    batch_size : int, optional
        Trials simulated at once as one ``(batch_size, n, k)`` array. Default: as many as fit
        in about 4 MiB. It changes speed and memory, never the result.
    backend : {"local", "joblib", "dask"}, default "local"
        ``"joblib"`` runs blocks of trials in ``joblib.Parallel``; ``"dask"`` runs them on a
        dask.distributed cluster through joblib's dask backend. The result is the same.
    n_jobs : int, optional
        Workers for ``"joblib"`` (default all cores) and ``"dask"`` (default all workers).
    progress : callable, optional
        Called as ``progress(k)`` each time ``k`` more trials are done.
    client : distributed.Client, optional
        Client for ``backend="dask"``; default the current client.

    Returns
    -------
    PlanPowerResult

    Raises
    ------
    ValueError
        For an invalid argument.
    patalliance.errors.MissingDependencyError
        If ``backend="dask"`` and dask.distributed is not installed.
    patalliance.errors.ConfigError
        If ``backend="dask"`` and no client is given or running.

    Notes
    -----
    Each trial draws n rows :math:`Y = Z L^\\top`, :math:`Z_{ij} \\sim N(0,1)`,
    :math:`LL^\\top = R` (``spec.corr``). Each value of variable :math:`v` is then deleted
    independently with probability :math:`m_v` (MCAR). For each test the pairwise-complete
    :math:`r` on :math:`n_p` pairs gives the two-sided p-value

    .. math::

        p = P(|T_{n_p - 2}| > |t|) = I_{1 - r^2}\\bigl(\\tfrac{n_p - 2}{2}, \\tfrac12\\bigr),
        \\qquad t = r \\sqrt{\\frac{n_p - 2}{1 - r^2}},

    with :math:`I` the regularized incomplete beta function; a test with :math:`n_p < 3`
    counts as not significant. p-values are adjusted within each family (Holm, 1979;
    Benjamini & Hochberg, 1995) and compared with ``alpha``. Power is the proportion
    :math:`\\hat p` of significant trials out of :math:`K`, with standard error
    :math:`\\sqrt{\\hat p (1 - \\hat p) / K}` (Morris, White & Crowther, 2019).

    Trials are cut into fixed blocks of 1,000; block ``j`` draws from
    ``SeedSequence(seed, spawn_key=(j, 0))`` (normals) and ``(j, 1)`` (dropout), so the
    result is identical for every batch size, number of workers and backend.

    References
    ----------
    .. [1] Morris, T. P., White, I. R., & Crowther, M. J. (2019). Using simulation studies to
       evaluate statistical methods. *Statistics in Medicine*, 38(11), 2074-2102.
    .. [2] Holm, S. (1979). A simple sequentially rejective multiple test procedure.
       *Scandinavian Journal of Statistics*, 6(2), 65-70.
    .. [3] Benjamini, Y., & Hochberg, Y. (1995). Controlling the false discovery rate: a
       practical and powerful approach to multiple testing. *Journal of the Royal
       Statistical Society: Series B*, 57(1), 289-300.

    Examples
    --------
    >>> import numpy as np
    >>> spec = PlanSpec(
    ...     variables=("alliance", "depression"),
    ...     corr=np.array([[1.0, -0.5], [-0.5, 1.0]]),
    ...     tests=(("outcome", "alliance", "depression"),),
    ... )
    >>> res = simulate_plan_power(spec, 24, n_simulations=2000, seed=1)
    >>> bool(0.6 < res.power[0] < 0.8)
    True
    """
    func = "simulate_plan_power"
    _validate_run(spec, n, n_simulations, seed, batch_size, backend, n_jobs, func)
    plan = spec._compile()
    if batch_size is None:
        batch_size = default_batch_size(int(n), len(spec.variables), plan.n_tests)
    counts = _run(
        plan,
        int(n),
        n_simulations=int(n_simulations),
        seed=int(seed),
        batch_size=int(batch_size),
        backend=backend,
        n_jobs=n_jobs,
        progress=progress,
        client=client,
    )
    k_sim = counts.n_trials
    power = counts.significant / k_sim
    p_all = counts.all_primary / k_sim
    p_any = counts.any / k_sim
    return PlanPowerResult(
        tests=spec.tests,
        n=int(n),
        power=power,
        power_se=_se(power, k_sim),
        mean_n_pair=counts.n_pair_sum / k_sim,
        power_all_primary=float(p_all),
        power_all_primary_se=float(_se(p_all, k_sim)),
        power_any=float(p_any),
        power_any_se=float(_se(p_any, k_sim)),
        primary=spec.primary,
        adjust=spec.adjust,
        alpha=spec.alpha,
        n_simulations=k_sim,
        seed=int(seed),
    )


def power_curve(
    spec: PlanSpec,
    n_grid: Iterable[int],
    *,
    n_simulations: int,
    seed: int,
    target_power: float = 0.8,
    batch_size: int | None = None,
    backend: str = "local",
    n_jobs: int | None = None,
    progress: Callable[[int], None] | None = None,
    client: Any = None,
) -> PowerCurveResult:
    """Monte Carlo power of a plan over a grid of sample sizes.

    Parameters
    ----------
    spec : PlanSpec
        The population model and the tests.
    n_grid : iterable of int
        Sample sizes, each at least 4; sorted and deduplicated.
    n_simulations : int
        Simulated trials per sample size.
    seed : int
        Seed; every grid point uses it, so the row for n equals
        ``simulate_plan_power(spec, n, seed=seed, ...)``.
    target_power : float, default 0.8
        Power to reach, in (0, 1).
    batch_size, backend, n_jobs, progress, client
        As in :func:`simulate_plan_power`; ``progress`` counts trials over the whole grid.

    Returns
    -------
    PowerCurveResult

    Raises
    ------
    ValueError
        For an invalid argument.

    Notes
    -----
    For each test, ``min_n`` is :math:`\\min\\{n \\in \\text{grid} : \\hat p(n) \\ge
    \\text{target}\\}`, the smallest grid size whose *estimated* power reaches the target;
    near the target it carries the Monte Carlo error of :math:`\\hat p`.

    References
    ----------
    .. [1] Morris, T. P., White, I. R., & Crowther, M. J. (2019). Using simulation studies to
       evaluate statistical methods. *Statistics in Medicine*, 38(11), 2074-2102.

    Examples
    --------
    >>> import numpy as np
    >>> spec = PlanSpec(
    ...     variables=("a", "b"),
    ...     corr=np.array([[1.0, 0.5], [0.5, 1.0]]),
    ...     tests=(("f", "a", "b"),),
    ... )
    >>> curve = power_curve(spec, [10, 30, 60], n_simulations=2000, seed=3)
    >>> curve.min_n
    (30,)
    """
    func = "power_curve"
    grid = sorted({_check_int(v, "n_grid", func, 4) for v in n_grid})
    if not grid:
        raise ValueError(f"The 'n_grid' parameter of {func} must hold at least one size.")
    if not 0.0 < float(target_power) < 1.0:
        raise ValueError(
            f"The 'target_power' parameter of {func} must be in (0, 1). "
            f"Got {target_power!r} instead."
        )
    results = tuple(
        simulate_plan_power(
            spec,
            n,
            n_simulations=n_simulations,
            seed=seed,
            batch_size=batch_size,
            backend=backend,
            n_jobs=n_jobs,
            progress=progress,
            client=client,
        )
        for n in grid
    )
    power = np.vstack([r.power for r in results])
    p_all = np.array([r.power_all_primary for r in results])
    target = float(target_power)
    return PowerCurveResult(
        tests=spec.tests,
        n_grid=tuple(grid),
        power=power,
        power_se=np.vstack([r.power_se for r in results]),
        power_all_primary=p_all,
        power_any=np.array([r.power_any for r in results]),
        target_power=target,
        min_n=tuple(_first_reaching(grid, power[:, i], target) for i in range(power.shape[1])),
        min_n_all_primary=_first_reaching(grid, p_all, target),
        results=results,
        n_simulations=int(n_simulations),
        seed=int(seed),
        adjust=spec.adjust,
        alpha=spec.alpha,
    )


def _first_reaching(grid: Sequence[int], power: np.ndarray, target: float) -> int | None:
    hits = np.flatnonzero(power >= target)
    return int(grid[hits[0]]) if hits.size else None


def simulate_power_correlation(
    r: float,
    n: int,
    *,
    n_simulations: int,
    seed: int,
    alpha: float = 0.05,
    batch_size: int | None = None,
    backend: str = "local",
    n_jobs: int | None = None,
    progress: Callable[[int], None] | None = None,
    client: Any = None,
) -> CorrelationPowerResult:
    """Monte Carlo power of the two-sided test of one Pearson correlation.

    Parameters
    ----------
    r : float
        Population correlation, in (-1, 1).
    n : int
        Sample size, at least 4.
    n_simulations : int
        Number of simulated samples.
    seed : int
        Non-negative seed.
    alpha : float, default 0.05
        Two-sided significance level.
    batch_size, backend, n_jobs, progress, client
        As in :func:`simulate_plan_power`.

    Returns
    -------
    CorrelationPowerResult

    Raises
    ------
    ValueError
        For an invalid argument.

    Notes
    -----
    The one-test plan of :func:`simulate_plan_power` with
    :math:`R = \\begin{pmatrix} 1 & r \\\\ r & 1 \\end{pmatrix}` and no dropout; it estimates
    the power computed exactly by :func:`patalliance.simulate.power.power_correlation_exact`.

    References
    ----------
    .. [1] Morris, T. P., White, I. R., & Crowther, M. J. (2019). Using simulation studies to
       evaluate statistical methods. *Statistics in Medicine*, 38(11), 2074-2102.

    Examples
    --------
    >>> res = simulate_power_correlation(0.3, 84, n_simulations=4000, seed=7)
    >>> bool(abs(res.power - 0.8003) < 4 * res.power_se)
    True
    """
    func = "simulate_power_correlation"
    r_ = float(r)
    if not -1.0 < r_ < 1.0:
        raise ValueError(f"The 'r' parameter of {func} must be in (-1, 1). Got {r!r} instead.")
    if not 0.0 < float(alpha) < 1.0:
        raise ValueError(f"The 'alpha' parameter of {func} must be in (0, 1). Got {alpha!r}.")
    spec = PlanSpec(
        variables=("x", "y"),
        corr=np.array([[1.0, r_], [r_, 1.0]]),
        tests=(("correlation", "x", "y"),),
        alpha=float(alpha),
    )
    res = simulate_plan_power(
        spec,
        n,
        n_simulations=n_simulations,
        seed=seed,
        batch_size=batch_size,
        backend=backend,
        n_jobs=n_jobs,
        progress=progress,
        client=client,
    )
    return CorrelationPowerResult(
        r=r_,
        n=int(n),
        alpha=float(alpha),
        power=float(res.power[0]),
        power_se=float(res.power_se[0]),
        n_simulations=res.n_simulations,
        seed=res.seed,
    )
