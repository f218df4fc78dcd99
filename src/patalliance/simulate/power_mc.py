"""Monte Carlo power of an analysis plan of Pearson correlation tests.

Public names are re-exported by :mod:`patalliance.simulate.power`; import them from there.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

import numpy as np

from patalliance.errors import ConfigError, MissingDependencyError
from patalliance.simulate._power_engine import (
    CompiledPlan,
    Counts,
    block_sizes,
    default_batch_size,
    run_blocks,
)
from patalliance.stats.multiplicity import ADJUST_METHODS

if TYPE_CHECKING:
    import pandas as pd

BACKENDS = ("local", "joblib", "dask")


@dataclass(frozen=True, eq=False)
class PlanSpec:
    """A plan of two-sided Pearson tests on multivariate-normal data, for Monte Carlo power.

    Parameters
    ----------
    variables : tuple of str
        Variable names, in the order of the rows and columns of ``corr``.
    corr : numpy.ndarray
        Population correlation matrix, ``(k, k)``, symmetric, unit diagonal, positive
        definite.
    tests : tuple of (family, x, y)
        The Pearson tests; ``x`` and ``y`` are names from ``variables``. p-values are adjusted
        within each family.
    primary : tuple of int, default ()
        Indices into ``tests`` of the primary tests; empty means all tests.
    missing : mapping of str to float, default {}
        Per-variable MCAR missingness (dropout) rate in [0, 1); absent variables are complete.
    adjust : {"none", "holm", "fdr_bh"}, default "none"
        Multiplicity adjustment within each family.
    alpha : float, default 0.05
        Two-sided significance level applied to the (adjusted) p-values.

    Raises
    ------
    ValueError
        If a field is invalid; the message names the field, the allowed values and what was
        received. A correlation matrix that is not positive definite is reported with its
        smallest eigenvalue.

    Examples
    --------
    >>> import numpy as np
    >>> spec = PlanSpec(
    ...     variables=("alliance", "depression"),
    ...     corr=np.array([[1.0, -0.5], [-0.5, 1.0]]),
    ...     tests=(("outcome", "alliance", "depression"),),
    ... )
    >>> spec.families
    ('outcome',)
    """

    variables: tuple[str, ...]
    corr: np.ndarray
    tests: tuple[tuple[str, str, str], ...]
    primary: tuple[int, ...] = ()
    missing: Mapping[str, float] = field(default_factory=dict)
    adjust: str = "none"
    alpha: float = 0.05

    def __post_init__(self) -> None:
        variables = tuple(str(v) for v in self.variables)
        if len(variables) < 2 or len(set(variables)) != len(variables):
            raise ValueError(
                "The 'variables' parameter of PlanSpec must hold at least two distinct names. "
                f"Got {self.variables!r} instead."
            )
        k = len(variables)
        corr = np.array(self.corr, dtype=float)
        if corr.shape != (k, k) or not np.all(np.isfinite(corr)):
            raise ValueError(
                f"The 'corr' parameter of PlanSpec must be a finite ({k}, {k}) matrix, one row "
                f"and column per variable. Got shape {corr.shape} instead."
            )
        if not np.allclose(corr, corr.T, rtol=0, atol=1e-10) or not np.allclose(
            np.diag(corr), 1.0, rtol=0, atol=1e-10
        ):
            raise ValueError(
                "The 'corr' parameter of PlanSpec must be a symmetric correlation matrix with "
                "ones on the diagonal. Got a matrix that is not."
            )
        corr = (corr + corr.T) / 2.0
        np.fill_diagonal(corr, 1.0)
        try:
            np.linalg.cholesky(corr)
        except np.linalg.LinAlgError:
            smallest = float(np.linalg.eigvalsh(corr)[0])
            raise ValueError(
                "The 'corr' parameter of PlanSpec must be positive definite. Got a matrix "
                f"whose smallest eigenvalue is {smallest:.4g} instead; these correlations "
                "cannot hold together. Lower the largest correlations or use the nearest "
                "positive-definite matrix."
            ) from None
        corr.setflags(write=False)
        tests: list[tuple[str, str, str]] = []
        for t in self.tests:
            if len(t) != 3:
                raise ValueError(
                    "The 'tests' parameter of PlanSpec must hold (family, x, y) triples. "
                    f"Got {t!r} instead."
                )
            fam, x, y = (str(s) for s in t)
            for name in (x, y):
                if name not in variables:
                    raise ValueError(
                        "The 'tests' parameter of PlanSpec must name variables from "
                        f"'variables' ({', '.join(variables)}). Got {name!r} instead."
                    )
            if x == y:
                raise ValueError(
                    "The 'tests' parameter of PlanSpec must pair two different variables. "
                    f"Got {t!r} instead."
                )
            tests.append((fam, x, y))
        if not tests:
            raise ValueError("The 'tests' parameter of PlanSpec must hold at least one test.")
        primary = tuple(int(i) for i in self.primary)
        if any(not 0 <= i < len(tests) for i in primary) or len(set(primary)) != len(primary):
            raise ValueError(
                "The 'primary' parameter of PlanSpec must hold distinct test indices in "
                f"[0, {len(tests) - 1}]. Got {self.primary!r} instead."
            )
        missing = {str(key): float(val) for key, val in dict(self.missing).items()}
        for key, val in missing.items():
            if key not in variables:
                raise ValueError(
                    "The 'missing' parameter of PlanSpec must have variable names as keys. "
                    f"Got {key!r} instead."
                )
            if not 0.0 <= val < 1.0:
                raise ValueError(
                    "The 'missing' parameter of PlanSpec must give rates in [0, 1). "
                    f"Got {val!r} for {key!r} instead."
                )
        if self.adjust not in ADJUST_METHODS:
            raise ValueError(
                "The 'adjust' parameter of PlanSpec must be one of "
                f"{', '.join(repr(m) for m in ADJUST_METHODS)}. Got {self.adjust!r} instead."
            )
        if not 0.0 < float(self.alpha) < 1.0:
            raise ValueError(
                f"The 'alpha' parameter of PlanSpec must be in (0, 1). Got {self.alpha!r} instead."
            )
        object.__setattr__(self, "variables", variables)
        object.__setattr__(self, "corr", corr)
        object.__setattr__(self, "tests", tuple(tests))
        object.__setattr__(self, "primary", primary or tuple(range(len(tests))))
        object.__setattr__(self, "missing", MappingProxyType(missing))
        object.__setattr__(self, "alpha", float(self.alpha))

    @property
    def families(self) -> tuple[str, ...]:
        """Family names, in order of first appearance in ``tests``."""
        return tuple(dict.fromkeys(t[0] for t in self.tests))

    def _compile(self) -> CompiledPlan:
        index = {v: i for i, v in enumerate(self.variables)}
        fams = self.families
        return CompiledPlan(
            chol=np.linalg.cholesky(self.corr),
            xi=np.array([index[t[1]] for t in self.tests], dtype=np.intp),
            yi=np.array([index[t[2]] for t in self.tests], dtype=np.intp),
            miss=np.array([self.missing.get(v, 0.0) for v in self.variables]),
            families=tuple(
                np.array([i for i, t in enumerate(self.tests) if t[0] == f], dtype=np.intp)
                for f in fams
            ),
            primary=np.array(self.primary, dtype=np.intp),
            adjust=self.adjust,
            alpha=self.alpha,
        )


def _se(p: Any, n_sim: int) -> Any:
    return np.sqrt(p * (1.0 - p) / n_sim)


@dataclass(frozen=True, eq=False)
class PlanPowerResult:
    """Monte Carlo power of a plan at one sample size.

    Attributes
    ----------
    tests : tuple of (family, x, y)
        The tests, in the order of the arrays below.
    n : int
        Sample size (rows drawn per trial, before dropout).
    power, power_se : numpy.ndarray
        Per test: proportion of trials with a significant (adjusted) result, and its Monte
        Carlo standard error :math:`\\sqrt{\\hat p(1-\\hat p)/K}`.
    mean_n_pair : numpy.ndarray
        Per test: mean pairwise-complete n after dropout.
    power_all_primary, power_all_primary_se : float
        Probability that every primary test is significant in the same trial.
    power_any, power_any_se : float
        Probability that at least one test is significant.
    primary : tuple of int
        Indices of the primary tests.
    adjust : str
        Multiplicity adjustment within families.
    alpha : float
        Significance level.
    n_simulations : int
        Number of simulated trials :math:`K`.
    seed : int
        Seed of the random streams.
    method : str
        Always ``"monte_carlo"``.
    """

    tests: tuple[tuple[str, str, str], ...]
    n: int
    power: np.ndarray
    power_se: np.ndarray
    mean_n_pair: np.ndarray
    power_all_primary: float
    power_all_primary_se: float
    power_any: float
    power_any_se: float
    primary: tuple[int, ...]
    adjust: str
    alpha: float
    n_simulations: int
    seed: int
    method: str = "monte_carlo"

    def to_frame(self) -> pd.DataFrame:
        """One row per test; plan-level probabilities are in ``DataFrame.attrs``."""
        import pandas as pd

        frame = pd.DataFrame(
            {
                "family": [t[0] for t in self.tests],
                "x": [t[1] for t in self.tests],
                "y": [t[2] for t in self.tests],
                "primary": [i in self.primary for i in range(len(self.tests))],
                "n": self.n,
                "mean_n_pair": self.mean_n_pair,
                "power": self.power,
                "power_se": self.power_se,
            }
        )
        frame.attrs.update(
            power_all_primary=self.power_all_primary,
            power_all_primary_se=self.power_all_primary_se,
            power_any=self.power_any,
            power_any_se=self.power_any_se,
            adjust=self.adjust,
            alpha=self.alpha,
            n_simulations=self.n_simulations,
            seed=self.seed,
            method=self.method,
        )
        return frame


@dataclass(frozen=True, eq=False)
class PowerCurveResult:
    """Monte Carlo power of a plan over a grid of sample sizes.

    Attributes
    ----------
    tests : tuple of (family, x, y)
        The tests, in the order of the columns of ``power``.
    n_grid : tuple of int
        Sample sizes, increasing.
    power, power_se : numpy.ndarray
        Shape ``(len(n_grid), len(tests))``.
    power_all_primary, power_any : numpy.ndarray
        Shape ``(len(n_grid),)``.
    target_power : float
        The power to reach.
    min_n : tuple of (int or None)
        Per test, the smallest n in the grid whose estimated power reaches
        ``target_power``; None if none does.
    min_n_all_primary : int or None
        The same for the probability that all primary tests are significant.
    results : tuple of PlanPowerResult
        The full result at each n.
    n_simulations, seed, adjust, alpha, method
        As in :class:`PlanPowerResult`.
    """

    tests: tuple[tuple[str, str, str], ...]
    n_grid: tuple[int, ...]
    power: np.ndarray
    power_se: np.ndarray
    power_all_primary: np.ndarray
    power_any: np.ndarray
    target_power: float
    min_n: tuple[int | None, ...]
    min_n_all_primary: int | None
    results: tuple[PlanPowerResult, ...]
    n_simulations: int
    seed: int
    adjust: str
    alpha: float
    method: str = "monte_carlo"

    def to_frame(self) -> pd.DataFrame:
        """Long format: one row per n and test, plus rows ``"all primary"`` and ``"any"``."""
        import pandas as pd

        rows: list[dict[str, Any]] = []
        for g, res in enumerate(self.results):
            for i, (fam, x, y) in enumerate(self.tests):
                rows.append(
                    {
                        "n": res.n,
                        "test": f"{fam}: {x} ~ {y}",
                        "family": fam,
                        "x": x,
                        "y": y,
                        "power": float(self.power[g, i]),
                        "power_se": float(self.power_se[g, i]),
                    }
                )
            for label, value, se in (
                ("all primary", res.power_all_primary, res.power_all_primary_se),
                ("any", res.power_any, res.power_any_se),
            ):
                rows.append(
                    {"n": res.n, "test": label, "family": None, "x": None, "y": None}
                    | {"power": value, "power_se": se}
                )
        frame = pd.DataFrame(rows)
        frame.attrs.update(target_power=self.target_power, seed=self.seed, method=self.method)
        return frame


@dataclass(frozen=True)
class CorrelationPowerResult:
    """Monte Carlo power of the two-sided test of one Pearson correlation.

    Attributes
    ----------
    r : float
        Population correlation.
    n : int
        Sample size.
    alpha : float
        Significance level.
    power, power_se : float
        Proportion of significant trials and its Monte Carlo standard error.
    n_simulations : int
        Number of simulated trials.
    seed : int
        Seed of the random streams.
    method : str
        Always ``"monte_carlo"``.
    """

    r: float
    n: int
    alpha: float
    power: float
    power_se: float
    n_simulations: int
    seed: int
    method: str = "monte_carlo"

    def to_frame(self) -> pd.DataFrame:
        """One row with every field."""
        import pandas as pd

        return pd.DataFrame([self.__dict__])


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
        Number of simulated trials.
    seed : int
        Non-negative seed of :class:`numpy.random.SeedSequence`.
    batch_size : int, optional
        Trials simulated at once as one ``(batch_size, n, k)`` array. Default: as many as fit
        in about 64 MiB. It changes speed and memory, never the result.
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
