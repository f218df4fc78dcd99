"""stats.lmm (Satterthwaite degrees of freedom) against lmerTest's published output.

lmerTest 3.x prints, for the sleepstudy data (Belenky et al. 2003, distributed with lme4;
tests/data/sleepstudy), with its default Satterthwaite method:

``summary(lmer(Reaction ~ Days + (1 | Subject), sleepstudy))``::

                Estimate Std. Error       df t value Pr(>|t|)
    (Intercept) 251.4051     9.7467  22.8102   25.79   <2e-16 ***
    Days         10.4673     0.8042 161.0000   13.02   <2e-16 ***
    Random effects: Subject (Intercept) variance 1378.2; Residual 960.5

``summary(lmer(Reaction ~ Days + (Days | Subject), sleepstudy))``::

                Estimate Std. Error      df t value Pr(>|t|)
    (Intercept)  251.405      6.825  17.000  36.838  < 2e-16 ***
    Days          10.467      1.546  17.000   6.771 3.26e-06 ***
    Random effects: (Intercept) 612.10, Days 35.07, Corr 0.07; Residual 654.94

Each value is compared at the precision printed. The variance components of the random-slope
model are statsmodels' REML estimates (MixedLM with ``re_formula="~Days"``); those of the
random-intercept model come from the exact profiled REML of patalliance.stats.mixed.
The analytic Hessian and gradients are also checked against finite differences of the REML
criterion computed densely with numpy (an independent route).
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf
from numpy.testing import assert_allclose
from scipy import stats

from patalliance.stats import reml_random_intercept
from patalliance.stats.lmm import satterthwaite

DATA = Path(__file__).resolve().parents[1] / "data" / "sleepstudy" / "sleepstudy.csv"


@pytest.fixture(scope="module")
def sleep() -> pd.DataFrame:
    frame = pd.read_csv(DATA)
    assert frame.shape == (180, 3) and frame["Subject"].nunique() == 18
    return frame


def _printed(value: float, decimals: int) -> float:
    return round(float(value), decimals)


def test_random_intercept_matches_lmertest(sleep: pd.DataFrame) -> None:
    x = np.column_stack([np.ones(len(sleep)), sleep["Days"]])
    fit = reml_random_intercept(sleep["Reaction"], x, sleep["Subject"])
    assert (_printed(fit.sigma2_u, 1), _printed(fit.sigma2_e, 1)) == (1378.2, 960.5)
    res = satterthwaite(
        sleep["Reaction"], x, sleep["Subject"], cov_re=[[fit.sigma2_u]], scale=fit.sigma2_e
    )
    assert [_printed(b, 4) for b in res.beta] == [251.4051, 10.4673]
    assert [_printed(s, 4) for s in res.se] == [9.7467, 0.8042]
    assert [_printed(d, 4) for d in res.df] == [22.8102, 161.0]
    t = res.beta / res.se
    assert [_printed(v, 2) for v in t] == [25.79, 13.02]
    assert all(2 * stats.t.sf(abs(v), d) < 2e-16 for v, d in zip(t, res.df, strict=True))


def test_random_slope_matches_lmertest(sleep: pd.DataFrame) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = smf.mixedlm(
            "Reaction ~ Days", sleep, groups=sleep["Subject"], re_formula="~Days"
        ).fit(reml=True)
    cov = np.asarray(ref.cov_re)
    assert [_printed(cov[0, 0], 2), _printed(cov[1, 1], 2), _printed(ref.scale, 2)] == [
        612.10,
        35.07,
        654.94,
    ]
    x = np.column_stack([np.ones(len(sleep)), sleep["Days"]])
    res = satterthwaite(
        sleep["Reaction"], x, sleep["Subject"], cov_re=cov, scale=float(ref.scale), exog_re=x
    )
    assert [_printed(b, 3) for b in res.beta] == [251.405, 10.467]
    assert [_printed(s, 3) for s in res.se] == [6.825, 1.546]
    assert [_printed(d, 3) for d in res.df] == [17.0, 17.0]
    t = res.beta / res.se
    assert [_printed(v, 3) for v in t] == [36.838, 6.771]
    p = 2 * stats.t.sf(np.abs(t), res.df)
    assert p[0] < 2e-16 and float(f"{p[1]:.2e}") == 3.26e-06


def _dense_criterion(y, x, groups, params):  # type: ignore[no-untyped-def]
    """-2 REML log-likelihood (without the constant) with dense matrices: an independent route."""
    s_u, s_e = params
    z = (np.asarray(groups)[:, None] == np.unique(groups)[None, :]).astype(float)
    v = s_u * z @ z.T + s_e * np.eye(len(y))
    vinv = np.linalg.inv(v)
    m = x.T @ vinv @ x
    beta = np.linalg.solve(m, x.T @ vinv @ y)
    r = y - x @ beta
    return np.linalg.slogdet(v)[1] + np.linalg.slogdet(m)[1] + r @ vinv @ r, np.linalg.inv(m)


def test_analytic_derivatives_match_finite_differences() -> None:
    rng = np.random.default_rng(3)
    groups = np.repeat(np.arange(9), [3, 4, 2, 5, 3, 4, 3, 2, 4])
    n = groups.size
    x = np.column_stack([np.ones(n), rng.normal(size=n), rng.integers(0, 2, n)])
    y = x @ [2.0, 0.7, -0.4] + rng.normal(0, 1.1, 9)[groups] + rng.normal(size=n)
    fit = reml_random_intercept(y, x, groups)
    params = np.array([fit.sigma2_u, fit.sigma2_e])  # at the REML optimum, as in use
    assert fit.converged and fit.sigma2_u > 0
    res = satterthwaite(y, x, groups, cov_re=[[params[0]]], scale=params[1])
    h = np.zeros((2, 2))
    step = 1e-4
    for i in range(2):
        for j in range(2):

            def f(a: float, b: float, i: int = i, j: int = j) -> float:
                q = params.copy()
                q[i] += a
                q[j] += b
                return float(_dense_criterion(y, x, groups, q)[0])

            h[i, j] = (f(step, step) - f(step, -step) - f(-step, step) + f(-step, -step)) / (
                4 * step * step
            )
    assert_allclose(res.hessian, h, rtol=1e-5)
    crit, cov = _dense_criterion(y, x, groups, params)
    assert_allclose(res.cov_beta, cov, rtol=1e-10)
    assert_allclose(res.reml_criterion, crit, rtol=1e-10)
    # The df from dense finite differences of Var(beta_j) and the dense Hessian.
    grads = []
    for k in range(2):
        up, down = params.copy(), params.copy()
        up[k] += step
        down[k] -= step
        grads.append(
            (np.diag(_dense_criterion(y, x, groups, up)[1])
             - np.diag(_dense_criterion(y, x, groups, down)[1])) / (2 * step)
        )  # fmt: skip
    g = np.array(grads)
    acov = 2 * np.linalg.inv(h)
    df = 2 * np.diag(cov) ** 2 / np.einsum("kj,kl,lj->j", g, acov, g)
    assert_allclose(res.df, df, rtol=1e-5)
