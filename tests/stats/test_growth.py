"""stats.growth (random intercepts and slopes, REML, Satterthwaite df) against outside values.

1. The sleepstudy data (Belenky et al. 2003, distributed with lme4; tests/data/sleepstudy):
   lme4 prints for ``summary(lmer(Reaction ~ Days + (Days | Subject), sleepstudy))``
   (D. Barr, *Linear mixed-effects models*, University of Glasgow course slides, 2023,
   https://dalejbarr.github.io/stat-models-2023/slides/05_lmms_1/)::

       REML criterion at convergence: 1743.6
       Random effects:
        Groups   Name        Variance Std.Dev. Corr
        Subject  (Intercept) 612.10   24.741     (612.09   24.740: see below)
                 Days         35.07    5.922   0.07
        Residual             654.94   25.592
       Fixed effects:
                   Estimate Std. Error t value
       (Intercept)  251.405      6.825  36.838
       Days          10.467      1.546   6.771
       Correlation of Fixed Effects: Days -0.138

   and lmerTest 3.x adds, with its default Satterthwaite method, ``df`` 17.000 and 17.000 and
   ``Pr(>|t|)`` < 2e-16 and 3.26e-06 (Kuznetsova, Brockhoff & Christensen, 2017). Each value
   is compared at the precision printed. The intercept variance is the one exception: other
   lme4 versions print ``612.09   24.740`` for the same call (e.g. the README of T. J. Mahr's
   printy package, github.com/tjmahr/printy, commit fe5b9e6), because lme4's optimizers stop
   within about 0.01 of the optimum along this flat direction of the criterion. The exact
   optimum is 612.0899 (tests/stats/test_reml.py: the criterion's gradient vanishes there and
   a tightly converged statsmodels fit agrees to 1e-6), so either printed value is accepted.
2. A trial simulated here (two arms, five timepoints, missing occasions), against
   statsmodels ``MixedLM`` converged tightly (tests/reml_oracle.py; fixed effects and variance
   components) to 1e-6; the SEs against the GLS formula lme4 uses, computed densely with
   numpy.
"""

from __future__ import annotations

import warnings
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose
from reml_oracle import statsmodels_reml
from scipy import stats

from patalliance.stats.growth import fit_random_slope
from patalliance.stats.lmm import reml_criterion
from patalliance.status import Status

DATA = Path(__file__).resolve().parents[1] / "data" / "sleepstudy" / "sleepstudy.csv"


def _printed(value: float, decimals: int) -> float:
    return round(float(value), decimals)


@pytest.fixture(scope="module")
def sleep() -> pd.DataFrame:
    frame = pd.read_csv(DATA)
    assert frame.shape == (180, 3) and frame["Subject"].nunique() == 18
    return frame


def test_sleepstudy_matches_lme4_and_lmertest(sleep: pd.DataFrame) -> None:
    days = sleep["Days"].to_numpy(dtype=float)
    x = np.column_stack([np.ones(days.size), days])
    res = fit_random_slope(
        sleep["Reaction"].to_numpy(dtype=float),
        x,
        days,
        sleep["Subject"].to_numpy(),
        names=["(Intercept)", "Days"],
    )
    assert res.status == Status.OK and res.converged and res.method == "REML"
    assert res.df_method == "Satterthwaite"
    assert (res.n_participants, res.n_obs) == (18, 180)
    assert _printed(res.intercept_variance, 2) in (612.09, 612.10)  # module docstring
    assert _printed(res.slope_variance, 2) == 35.07
    assert _printed(res.residual_variance, 2) == 654.94
    assert _printed(np.sqrt(res.intercept_variance), 3) in (24.740, 24.741)
    assert _printed(np.sqrt(res.slope_variance), 3) == 5.922
    assert _printed(np.sqrt(res.residual_variance), 3) == 25.592
    assert _printed(res.intercept_slope_correlation, 2) == 0.07
    fe = res.fixed_effects
    assert [f.term for f in fe] == ["(Intercept)", "Days"]
    assert [_printed(f.estimate, 3) for f in fe] == [251.405, 10.467]
    assert [_printed(f.se, 3) for f in fe] == [6.825, 1.546]
    assert [_printed(f.t, 3) for f in fe] == [36.838, 6.771]
    assert [_printed(f.df, 3) for f in fe] == [17.0, 17.0]
    assert fe[0].p < 2e-16 and float(f"{fe[1].p:.2e}") == 3.26e-06
    # The REML criterion lme4 prints: ours omits the constant (n - p) log(2 pi).
    params = [res.intercept_variance, res.intercept_slope_covariance, res.slope_variance]
    crit = reml_criterion(_design(sleep), [*params, res.residual_variance]) + (180 - 2) * np.log(
        2 * np.pi
    )
    assert _printed(crit, 1) == 1743.6
    for f in fe:
        half = stats.t.ppf(0.975, f.df) * f.se
        assert_allclose([f.ci_low, f.ci_high], [f.estimate - half, f.estimate + half], rtol=1e-12)
        assert f.p == pytest.approx(2 * stats.t.sf(abs(f.t), f.df), rel=1e-12)


def _design(sleep: pd.DataFrame):  # type: ignore[no-untyped-def]
    from patalliance.stats.lmm import MixedDesign

    x = np.column_stack([np.ones(len(sleep)), sleep["Days"]])
    return MixedDesign.from_long(sleep["Reaction"], x, sleep["Subject"], x)


def simulated_trial(seed: int = 20240314, n: int = 40) -> pd.DataFrame:
    """Two arms, five timepoints (days 7 to 365), random intercepts and slopes, some
    occasions missing: one row per observed score."""
    rng = np.random.default_rng(seed)
    days = np.array([7.0, 28.0, 91.0, 182.0, 365.0])
    rows = []
    for i in range(n):
        arm = "delayed" if i % 2 else "immediate"
        u0, u1 = rng.multivariate_normal([0.0, 0.0], [[16.0, -0.4], [-0.4, 0.25]])
        for d in days:
            if rng.random() < 0.12:
                continue
            t = d / 30.0
            mean = 10.0 + 2.0 * (arm == "delayed") + (-0.3 - 0.2 * (arm == "delayed")) * t
            y = mean + u0 + u1 * t + rng.normal(0.0, 3.0)
            rows.append((f"S{i:02d}", arm, t, y))
    return pd.DataFrame(rows, columns=["pid", "arm", "time", "y"])


def statsmodels_fit(long: pd.DataFrame, x: np.ndarray):  # type: ignore[no-untyped-def]
    """The oracle: statsmodels MixedLM by REML with a random intercept and slope of time,
    converged tightly (tests/reml_oracle.py)."""
    z = np.column_stack([np.ones(len(long)), long["time"]])
    return statsmodels_reml(long["y"], x, z, long["pid"])


def test_simulated_trial_matches_statsmodels() -> None:
    long = simulated_trial()
    delayed = (long["arm"] == "delayed").to_numpy(dtype=float)
    t = long["time"].to_numpy()
    x = np.column_stack([np.ones(len(long)), t, delayed, delayed * t])
    res = fit_random_slope(
        long["y"].to_numpy(),
        x,
        t,
        long["pid"].to_numpy(),
        names=["Intercept", "time", "arm[delayed]", "time:arm[delayed]"],
        confidence_level=0.9,
    )
    ref = statsmodels_fit(long, x)
    assert res.status == Status.OK
    assert (res.n_participants, res.n_obs) == (long["pid"].nunique(), len(long))
    assert_allclose([f.estimate for f in res.fixed_effects], ref.fe_params, rtol=1e-6, atol=1e-8)
    cov = np.asarray(ref.cov_re)
    # SEs are lme4's, sqrt(diag((X'V^-1 X)^-1)) at the REML estimates, computed densely here;
    # statsmodels' bse_fe invert the joint information of all parameters instead, which
    # differs when the design is unbalanced.
    assert_allclose([f.se for f in res.fixed_effects], _gls_se(long, x, cov, ref.scale), rtol=1e-6)
    assert_allclose(
        [res.intercept_variance, res.slope_variance, res.intercept_slope_covariance],
        [cov[0, 0], cov[1, 1], cov[0, 1]],
        rtol=1e-6,
    )
    assert_allclose(res.residual_variance, ref.scale, rtol=1e-6)
    for f in res.fixed_effects:
        assert 0 < f.df < len(long) and f.ci_low < f.estimate < f.ci_high
        half = stats.t.ppf(0.95, f.df) * f.se  # a 90% interval
        assert_allclose(f.ci_high - f.estimate, half, rtol=1e-12)
    frame = res.to_frame()
    assert list(frame["term"]) == ["Intercept", "time", "arm[delayed]", "time:arm[delayed]"]


def _gls_se(long: pd.DataFrame, x: np.ndarray, cov: np.ndarray, scale: float) -> np.ndarray:
    z = np.column_stack([np.ones(len(long)), long["time"]])
    same = (long["pid"].to_numpy()[:, None] == long["pid"].to_numpy()[None, :]).astype(float)
    v = same * (z @ cov @ z.T) + scale * np.eye(len(long))
    return np.sqrt(np.diag(np.linalg.inv(x.T @ np.linalg.solve(v, x))))


def test_too_few_observations_is_not_estimable() -> None:
    # Lme4's check: observations must outnumber the random effects (2 per participant).
    t = np.array([0.0, 1.0, 0.0, 1.0, 0.0, 1.0])
    y = np.array([1.0, 2.0, 1.5, 2.5, 0.5, 1.0])
    g = np.array(["a", "a", "b", "b", "c", "c"])
    res = fit_random_slope(y, np.column_stack([np.ones(6), t]), t, g, names=["Intercept", "time"])
    assert res.status == Status.NOT_ESTIMABLE and "not identifiable" in res.reason
    assert res.fixed_effects == ()
    res = fit_random_slope(y[:4], np.ones((4, 1)), t[:4], g[:4], names=["Intercept"])
    assert res.status == Status.NOT_ESTIMABLE and "too few" in res.reason


def test_no_between_participant_variation_is_singular() -> None:
    # Pure noise around one line: lme4 reports a singular (boundary) fit for such data.
    rng = np.random.default_rng(1)
    t = np.tile(np.arange(5.0), 30)
    g = np.repeat(np.arange(30), 5)
    y = 3.0 + 0.5 * t + rng.normal(0.0, 1.0, t.size)
    res = fit_random_slope(y, np.column_stack([np.ones(t.size), t]), t, g, names=["I", "time"])
    assert res.status == Status.SINGULAR
    assert "growth_singular" in [n.code for n in res.warnings]
    # lme4's isSingular: a diagonal element of the Cholesky factor of G / sigma^2 below 1e-4;
    # for a 2 x 2 matrix the factor's diagonal is sqrt(g00) and sqrt(det / g00).
    g00, g01, g11 = (
        v / res.residual_variance
        for v in (res.intercept_variance, res.intercept_slope_covariance, res.slope_variance)
    )
    det = max(g00 * g11 - g01**2, 0.0)
    assert min(np.sqrt(g00), np.sqrt(det / g00) if g00 > 0 else 0.0) < 1e-4


def _fit(long: pd.DataFrame, shift: float = 0.0):  # type: ignore[no-untyped-def]
    t = long["time"].to_numpy() + shift
    return fit_random_slope(
        long["y"].to_numpy(),
        np.column_stack([np.ones(len(long)), t]),
        t,
        long["pid"].to_numpy(),
        names=["Intercept", "time"],
    )


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_row_order_does_not_matter(seed: int) -> None:
    long = simulated_trial(seed=seed, n=24)
    shuffled = long.sample(frac=1.0, random_state=np.random.default_rng(seed).integers(1 << 31))
    a, b = _fit(long), _fit(shuffled)
    assert a.status == b.status
    assert_allclose(
        [f.estimate for f in a.fixed_effects], [f.estimate for f in b.fixed_effects], rtol=1e-5
    )
    assert_allclose(a.residual_variance, b.residual_variance, rtol=1e-5)


def test_moving_the_time_origin_keeps_the_slope_and_its_variance() -> None:
    # With an unstructured G the model is invariant to a shift of time: the slope, its SE,
    # the slope variance and the residual variance do not change; the intercept moves by
    # -slope * shift (Laird & Ware 1982; e.g. Singer & Willett 2003, ch. 5 on centring time).
    long = simulated_trial(seed=8, n=30)
    a, b = _fit(long), _fit(long, shift=-3.0)
    assert a.status == b.status == Status.OK
    slope_a, slope_b = a.fixed_effects[1], b.fixed_effects[1]
    assert_allclose(slope_b.estimate, slope_a.estimate, rtol=1e-4)
    assert_allclose(slope_b.se, slope_a.se, rtol=1e-4)
    assert_allclose(b.slope_variance, a.slope_variance, rtol=1e-3)
    assert_allclose(b.residual_variance, a.residual_variance, rtol=1e-4)
    assert_allclose(
        b.fixed_effects[0].estimate, a.fixed_effects[0].estimate + 3.0 * slope_a.estimate, rtol=1e-4
    )


def _exact_search_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make the exact REML search report that it did not converge."""
    from patalliance.stats import growth, reml

    def not_converged(*args, **kwargs):  # type: ignore[no-untyped-def]
        return replace(reml.reml_random_effects(*args, **kwargs), converged=False)

    monkeypatch.setattr(growth, "reml_random_effects", not_converged)


def test_exact_search_failure_falls_back_to_statsmodels(monkeypatch: pytest.MonkeyPatch) -> None:
    _exact_search_fails(monkeypatch)
    long = simulated_trial(seed=4, n=20)
    res = _fit(long)
    assert res.status == Status.OK and res.converged
    assert res.estimator.startswith("REML (statsmodels MixedLM")
    assert [n.code for n in res.warnings] == ["growth_refit"]
    x = np.column_stack([np.ones(len(long)), long["time"]])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from statsmodels.regression.mixed_linear_model import MixedLM

        ref = MixedLM(long["y"], x, groups=long["pid"], exog_re=x).fit(reml=True)
    assert ref.converged  # statsmodels' default optimizer, the first one tried
    assert_allclose(res.slope_variance, np.asarray(ref.cov_re)[1, 1], rtol=1e-12)
    assert_allclose(res.residual_variance, ref.scale, rtol=1e-12)


def test_no_converged_optimizer_is_flagged_not_hidden(monkeypatch: pytest.MonkeyPatch) -> None:
    from statsmodels.regression.mixed_linear_model import MixedLM

    original = MixedLM.fit

    def never_converges(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        res = original(self, *args, **kwargs)
        res.converged = False
        return res

    _exact_search_fails(monkeypatch)
    monkeypatch.setattr(MixedLM, "fit", never_converges)
    res = _fit(simulated_trial(seed=4, n=20))
    assert res.status == Status.NOT_CONVERGED and not res.converged
    assert [n.code for n in res.warnings] == ["growth_not_converged"]
    assert len(res.fixed_effects) == 2  # the numbers are kept for inspection, flagged


def test_estimator_names_the_exact_search() -> None:
    res = _fit(simulated_trial(seed=4, n=20))
    assert res.status == Status.OK and res.warnings == ()
    assert res.estimator == "REML (exact profiled deviance, L-BFGS)"


def test_missing_values_are_a_clear_error() -> None:
    long = simulated_trial(seed=4, n=10)
    y = long["y"].to_numpy().copy()
    y[3] = np.nan
    t = long["time"].to_numpy()
    with pytest.raises(ValueError, match="'y' parameter of fit_random_slope must be finite"):
        fit_random_slope(y, np.column_stack([np.ones(t.size), t]), t, long["pid"], names=["I", "t"])
    with pytest.raises(ValueError, match="'time' parameter of fit_random_slope must have shape"):
        fit_random_slope(
            long["y"], np.column_stack([np.ones(t.size), t]), t[:-1], long["pid"], names=["I", "t"]
        )
