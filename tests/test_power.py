"""Tests of patalliance.simulate.power against outside references.

References used as oracles:

- R ``pwr::pwr.r.test`` (Champely, 2020, pwr 1.3-0), whose two-sided power is, in its source,
  ``ttt <- qt(sig.level/2, df = n - 2, lower = FALSE); rc <- sqrt(ttt^2/(ttt^2 + n - 2));
  zr <- atanh(r) + r/(2 * (n - 1)); zrc <- atanh(rc);
  pnorm((zr - zrc) * sqrt(n - 3)) + pnorm((-zr - zrc) * sqrt(n - 3))`` (Cohen, 1988, ch. 3);
  re-implemented below with scipy.
- G*Power 3.1 (Faul et al., 2009), "Correlation: Bivariate normal model", exact, two tails,
  rho = 0.3, alpha = .05, power = .80: total sample size 84 (actual power 0.8003).
- statsmodels ``TTestPower`` (paired / one-sample t), ``multipletests`` (Holm, BH) and scipy
  ``pearsonr``.
- Brute-force Monte Carlo computed here with ``np.random.default_rng``.
"""

from __future__ import annotations

import dataclasses
import math
import sys
import warnings
from collections.abc import Callable

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from scipy import stats
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.power import TTestPower

from patalliance.errors import ConfigError, MissingDependencyError
from patalliance.simulate import _power_decide
from patalliance.simulate.power import (
    PlanPowerResult,
    PlanSpec,
    n_for_power_correlation,
    n_for_power_paired,
    power_correlation_exact,
    power_correlation_fisher,
    power_curve,
    power_paired,
    simulate_plan_power,
    simulate_power_correlation,
)


def pwr_r_test_power(r: float, n: float, alpha: float) -> float:
    """R pwr::pwr.r.test(r = r, n = n, sig.level = alpha)$power, two-sided (Champely)."""
    ttt = stats.t.ppf(1 - alpha / 2, n - 2)
    rc = math.sqrt(ttt**2 / (ttt**2 + n - 2))
    zr = math.atanh(r) + r / (2 * (n - 1))
    zrc = math.atanh(rc)
    return float(
        stats.norm.cdf((zr - zrc) * math.sqrt(n - 3))
        + stats.norm.cdf((-zr - zrc) * math.sqrt(n - 3))
    )


# ------------------------------------------------------------------ analytic correlation


@pytest.mark.parametrize(
    ("r", "n", "alpha"),
    [(0.4, 24, 0.05), (0.3, 84, 0.05), (-0.65, 20, 0.05), (0.2, 150, 0.01), (0.5, 10, 0.1)],
)
def test_fisher_power_matches_pwr_r_test(r: float, n: int, alpha: float) -> None:
    assert_allclose(
        power_correlation_fisher(r, n, alpha=alpha), pwr_r_test_power(r, n, alpha), atol=1e-6
    )


def _mc_power_correlation(rho: float, n: int, alpha: float, reps: int, seed: int) -> float:
    """Brute-force power: bivariate-normal samples, scipy's critical value of |r|."""
    rng = np.random.default_rng(seed)
    t_c = stats.t.ppf(1 - alpha / 2, n - 2)
    r_c = t_c / np.sqrt(t_c**2 + n - 2)
    hits = 0
    chunk = 50_000
    for start in range(0, reps, chunk):
        m = min(chunk, reps - start)
        x = rng.standard_normal((m, n))
        y = rho * x + math.sqrt(1 - rho**2) * rng.standard_normal((m, n))
        xc = x - x.mean(axis=1, keepdims=True)
        yc = y - y.mean(axis=1, keepdims=True)
        r = (xc * yc).sum(1) / np.sqrt((xc**2).sum(1) * (yc**2).sum(1))
        hits += int((np.abs(r) > r_c).sum())
    return hits / reps


def test_exact_power_matches_400k_monte_carlo() -> None:
    # power near 0.5 is the hardest case for Monte Carlo (SE = 0.0008 at 400,000 reps)
    rho, n = 0.35, 30
    exact = power_correlation_exact(rho, n)
    assert 0.4 < exact < 0.6
    mc = _mc_power_correlation(rho, n, 0.05, 400_000, seed=20240314)
    assert abs(exact - mc) <= 0.003


def test_exact_power_properties() -> None:
    assert_allclose(power_correlation_exact(0.0, 20), 0.05, atol=1e-10)  # size of the test
    assert_allclose(power_correlation_exact(-0.4, 30), power_correlation_exact(0.4, 30))
    assert power_correlation_exact(0.3, 83) < 0.8 <= power_correlation_exact(0.3, 84)
    # the exact and Fisher-z powers agree closely for moderate n
    assert_allclose(
        power_correlation_exact(0.3, 200), power_correlation_fisher(0.3, 200), atol=2e-3
    )


def test_gpower_and_pwr_sample_sizes() -> None:
    assert n_for_power_correlation(0.3, power=0.8, method="exact") == 84  # G*Power
    assert n_for_power_correlation(0.3, power=0.8, method="fisher") == 85  # ceil(84.07), pwr
    assert n_for_power_correlation(-0.3, power=0.8) == 84


@pytest.mark.parametrize("method", ["exact", "fisher"])
def test_n_for_power_is_the_smallest(method: str) -> None:
    fn = power_correlation_exact if method == "exact" else power_correlation_fisher
    n = n_for_power_correlation(0.45, power=0.9, alpha=0.01, method=method)
    assert fn(0.45, n, alpha=0.01) >= 0.9 > fn(0.45, n - 1, alpha=0.01)


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: power_correlation_exact(1.5, 20), r"'r' parameter of power_correlation_exact"),
        (lambda: power_correlation_fisher(0.3, 3), r"'n' parameter"),
        (lambda: power_correlation_exact(0.3, 20, alpha=0), r"'alpha' parameter"),
        (lambda: n_for_power_correlation(0.0), r"must be nonzero"),
        (lambda: n_for_power_correlation(0.3, power=1.2), r"'power' parameter"),
        (lambda: n_for_power_correlation(0.3, method="z"), r"'method' parameter"),
        (lambda: n_for_power_paired(0.0), r"'d' parameter"),
        (lambda: power_paired(0.5, 1), r"'n' parameter"),
    ],
)
def test_bad_arguments_raise_clear_errors(call: Callable[[], object], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        call()


def test_error_message_format() -> None:
    with pytest.raises(ValueError) as info:
        power_correlation_exact(1.5, 20)
    assert str(info.value) == (
        "The 'r' parameter of power_correlation_exact must be in (-1, 1). Got 1.5 instead."
    )


# ------------------------------------------------------------------ paired t


@pytest.mark.parametrize(
    ("d", "n", "alpha"),
    [(0.43, 24, 0.05), (0.5, 34, 0.05), (-0.8, 12, 0.01), (0.2, 200, 0.1), (1.5, 5, 0.05)],
)
def test_paired_power_matches_statsmodels(d: float, n: int, alpha: float) -> None:
    expected = TTestPower().power(effect_size=d, nobs=n, alpha=alpha, alternative="two-sided")
    assert_allclose(power_paired(d, n, alpha=alpha), expected, rtol=0, atol=1e-8)


@pytest.mark.parametrize(
    ("d", "power", "alpha"), [(0.5, 0.8, 0.05), (0.3, 0.9, 0.01), (1.0, 0.8, 0.05)]
)
def test_paired_sample_size_matches_statsmodels(d: float, power: float, alpha: float) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # solve_power's internal root-finder may warn
        n_real = TTestPower().solve_power(effect_size=d, power=power, alpha=alpha)
    assert n_for_power_paired(d, power=power, alpha=alpha) == math.ceil(float(n_real))


# ------------------------------------------------------------------ Monte Carlo


def small_plan(adjust: str = "holm") -> PlanSpec:
    variables = ("prep", "post", "meq", "d4w", "d3m")
    corr = np.array(
        [
            [1.0, 0.5, 0.45, -0.5, -0.3],
            [0.5, 1.0, 0.35, -0.6, -0.45],
            [0.45, 0.35, 1.0, -0.4, -0.25],
            [-0.5, -0.6, -0.4, 1.0, 0.6],
            [-0.3, -0.45, -0.25, 0.6, 1.0],
        ]
    )
    tests = (
        ("outcome", "prep", "d4w"),
        ("outcome", "prep", "d3m"),
        ("outcome", "post", "d4w"),
        ("outcome", "post", "d3m"),
        ("experience", "prep", "meq"),
        ("experience_outcome", "meq", "d4w"),
    )
    return PlanSpec(
        variables=variables,
        corr=corr,
        tests=tests,
        primary=(0, 2),
        missing={"prep": 0.1, "d3m": 0.15, "meq": 0.05},
        adjust=adjust,
    )


def test_mc_power_matches_analytic_at_100k() -> None:
    res = simulate_power_correlation(0.3, 60, n_simulations=100_000, seed=11)
    assert abs(res.power - power_correlation_exact(0.3, 60)) <= 0.01
    assert res.n_simulations == 100_000
    assert_allclose(res.power_se, math.sqrt(res.power * (1 - res.power) / 100_000))
    assert res.to_frame().shape == (1, 8)


def test_mc_type_one_error() -> None:
    res = simulate_power_correlation(0.0, 12, n_simulations=40_000, seed=3)
    assert abs(res.power - 0.05) < 4 * math.sqrt(0.05 * 0.95 / 40_000)


def mixed_plan(adjust: str) -> PlanSpec:
    """Families of 3, 2 and 1 tests: each family's levels differ under Holm and BH."""
    spec = small_plan(adjust)
    return dataclasses.replace(
        spec,
        tests=(
            ("outcome_4w", "prep", "d4w"),
            ("outcome_4w", "post", "d4w"),
            ("outcome_4w", "meq", "d4w"),
            ("outcome_3m", "prep", "d3m"),
            ("outcome_3m", "post", "d3m"),
            ("experience", "prep", "meq"),
        ),
        primary=(0, 3),
    )


def _reference_loop(spec: PlanSpec, n: int, k_sim: int, seed: int) -> tuple[np.ndarray, ...]:
    """Significance of every test in every trial, and the mean pairwise n, from the same draws
    (documented SeedSequence contract) through scipy pearsonr + statsmodels multipletests."""
    k = len(spec.variables)
    z = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(0, 0)))
    u = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(0, 1)))
    data = z.standard_normal((k_sim, n, k)) @ np.linalg.cholesky(spec.corr).T
    rates = np.array([spec.missing.get(v, 0.0) for v in spec.variables])
    if np.any(rates > 0):
        data[u.random((k_sim, n, k)) < rates] = np.nan
    col = {v: i for i, v in enumerate(spec.variables)}
    families: dict[str, list[int]] = {}
    for i, (fam, _, _) in enumerate(spec.tests):
        families.setdefault(fam, []).append(i)
    sig = np.zeros((k_sim, len(spec.tests)), dtype=bool)
    n_pair = np.zeros(len(spec.tests))
    for b in range(k_sim):
        p = np.empty(len(spec.tests))
        for i, (_, x, y) in enumerate(spec.tests):
            xs, ys = data[b, :, col[x]], data[b, :, col[y]]
            ok = ~(np.isnan(xs) | np.isnan(ys))
            n_pair[i] += ok.sum()
            p[i] = stats.pearsonr(xs[ok], ys[ok]).pvalue
        for idx in families.values():
            if spec.adjust == "none":
                sig[b, idx] = p[idx] <= spec.alpha
            else:
                sig[b, idx] = multipletests(p[idx], alpha=spec.alpha, method=spec.adjust)[0]
    return sig, n_pair / k_sim


PLANS: dict[str, Callable[[str], PlanSpec]] = {
    "dropout": small_plan,
    "families of 3, 2, 1": mixed_plan,
    "complete data": lambda adjust: dataclasses.replace(small_plan(adjust), missing={}),
}


@pytest.mark.usefixtures("fast_gc")
@pytest.mark.parametrize("plan", sorted(PLANS))
@pytest.mark.parametrize("adjust", ["holm", "fdr_bh", "none"])
def test_plan_engine_matches_reference_loop(adjust: str, plan: str) -> None:
    """Every trial's decisions equal those of scipy pearsonr + statsmodels multipletests."""
    spec = PLANS[plan](adjust)
    n, k_sim, seed = 20, 200, 99
    res = simulate_plan_power(spec, n, n_simulations=k_sim, seed=seed)
    sig, mean_n_pair = _reference_loop(spec, n, k_sim, seed)
    assert_array_equal(np.rint(res.power * k_sim), sig.sum(0))
    assert_allclose(res.mean_n_pair, mean_n_pair)
    primary = list(spec.primary)
    assert res.power_all_primary * k_sim == pytest.approx(sig[:, primary].all(1).sum())
    assert res.power_any * k_sim == pytest.approx(sig.any(1).sum())


@pytest.mark.parametrize("adjust", ["holm", "fdr_bh", "none"])
def test_decisions_near_a_critical_value_come_from_exact_p(
    adjust: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The engine decides from critical values of r, and from exact p-values where r lies
    within rounding of one; widening that band to most trials changes no result."""
    spec = mixed_plan(adjust)
    ref = simulate_plan_power(spec, 18, n_simulations=1_500, seed=8)
    monkeypatch.setattr(_power_decide, "BAND", 0.5)
    assert _key(simulate_plan_power(spec, 18, n_simulations=1_500, seed=8)) == _key(ref)


def _key(res: PlanPowerResult) -> tuple[object, ...]:
    return (
        tuple(res.power),
        tuple(res.mean_n_pair),
        res.power_all_primary,
        res.power_any,
        res.n_simulations,
    )


def test_results_do_not_depend_on_batch_size_or_joblib() -> None:
    spec = small_plan()
    ref = simulate_plan_power(spec, 24, n_simulations=2_500, seed=5, batch_size=137)
    assert _key(simulate_plan_power(spec, 24, n_simulations=2_500, seed=5, batch_size=5000)) == (
        _key(ref)
    )
    assert _key(simulate_plan_power(spec, 24, n_simulations=2_500, seed=5)) == _key(ref)
    par = simulate_plan_power(
        spec, 24, n_simulations=2_500, seed=5, batch_size=300, backend="joblib", n_jobs=2
    )
    assert _key(par) == _key(ref)
    other = simulate_plan_power(spec, 24, n_simulations=2_500, seed=6, batch_size=137)
    assert _key(other) != _key(ref)


def test_results_identical_with_dask_backend() -> None:
    distributed = pytest.importorskip("distributed")
    spec = small_plan()
    ref = simulate_plan_power(spec, 24, n_simulations=2_500, seed=5, batch_size=137)
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        seen: list[int] = []
        res = simulate_plan_power(
            spec,
            24,
            n_simulations=2_500,
            seed=5,
            backend="dask",
            client=client,
            progress=seen.append,
        )
    assert _key(res) == _key(ref)
    assert sum(seen) == 2_500


def test_dask_backend_without_client_or_package(monkeypatch: pytest.MonkeyPatch) -> None:
    spec = small_plan()
    distributed = pytest.importorskip("distributed")
    try:
        distributed.get_client()
    except ValueError:
        with pytest.raises(ConfigError, match="Client"):
            simulate_plan_power(spec, 24, n_simulations=10, seed=1, backend="dask")
    monkeypatch.setitem(sys.modules, "distributed", None)
    with pytest.raises(MissingDependencyError, match=r"patalliance\[dask\]"):
        simulate_plan_power(spec, 24, n_simulations=10, seed=1, backend="dask")


def test_progress_reports_every_trial() -> None:
    seen: list[int] = []
    simulate_plan_power(
        small_plan(), 24, n_simulations=2_345, seed=1, batch_size=400, progress=seen.append
    )
    assert sum(seen) == 2_345 and max(seen) <= 400


def test_power_curve() -> None:
    spec = small_plan()
    curve = power_curve(spec, [60, 15, 30], n_simulations=2_000, seed=4, target_power=0.8)
    assert curve.n_grid == (15, 30, 60)
    single = simulate_plan_power(spec, 30, n_simulations=2_000, seed=4)
    assert_array_equal(curve.power[1], single.power)
    assert curve.power.shape == (3, 6)
    for i, n_min in enumerate(curve.min_n):
        reach = [n for n, p in zip(curve.n_grid, curve.power[:, i], strict=True) if p >= 0.8]
        assert n_min == (reach[0] if reach else None)
    reach_all = [n for n, p in zip(curve.n_grid, curve.power_all_primary, strict=True) if p >= 0.8]
    assert curve.min_n_all_primary == (reach_all[0] if reach_all else None)
    # power increases with n for a clearly nonzero effect
    assert curve.power[0, 2] < curve.power[1, 2] < curve.power[2, 2]
    frame = curve.to_frame()
    assert len(frame) == 3 * (6 + 2)


def test_plan_result_frame_and_se() -> None:
    res = simulate_plan_power(small_plan(), 24, n_simulations=1_000, seed=2)
    frame = res.to_frame()
    assert list(frame["primary"]) == [True, False, True, False, False, False]
    assert_allclose(frame["power_se"], np.sqrt(res.power * (1 - res.power) / 1_000))
    assert frame.attrs["power_all_primary"] == res.power_all_primary
    # dropout: prep 10 %, d3m 15 % => E[n_pair] = 24 * 0.9 * 0.85 for prep x d3m
    assert abs(res.mean_n_pair[1] - 24 * 0.9 * 0.85) < 0.2
    assert res.mean_n_pair[2] == 24.0
    assert res.power_any >= res.power.max() and res.power_all_primary <= res.power[[0, 2]].min()


def test_planspec_validation() -> None:
    good = small_plan()
    with pytest.raises(ValueError, match="positive definite"):
        PlanSpec(
            variables=("a", "b", "c"),
            corr=np.array([[1, 0.9, -0.9], [0.9, 1, 0.9], [-0.9, 0.9, 1]]),
            tests=(("f", "a", "b"),),
        )
    with pytest.raises(ValueError, match="'tests' parameter"):
        PlanSpec(variables=good.variables, corr=good.corr, tests=(("f", "prep", "nope"),))
    with pytest.raises(ValueError, match="'missing' parameter"):
        PlanSpec(variables=good.variables, corr=good.corr, tests=good.tests, missing={"prep": 1.0})
    with pytest.raises(ValueError, match="'adjust' parameter"):
        PlanSpec(variables=good.variables, corr=good.corr, tests=good.tests, adjust="bonf")
    with pytest.raises(ValueError, match="'corr' parameter"):
        PlanSpec(variables=good.variables, corr=np.eye(3), tests=good.tests)
    with pytest.raises(ValueError, match="'n' parameter"):
        simulate_plan_power(good, 3, n_simulations=10, seed=1)
    with pytest.raises(ValueError, match="'backend' parameter"):
        simulate_plan_power(good, 10, n_simulations=10, seed=1, backend="ray")
