"""Regenerate ``power.json``: analytic power and sample size of the correlation and paired t tests.

Run ``python tests/reference/make_power.py`` from the repository root. Uses statsmodels,
scipy and numpy only (never ``patalliance``).

- Paired t test: statsmodels ``TTestPower`` (noncentral t).
- Correlation, Fisher z: the formula of R's ``pwr.r.test`` (pwr 1.3-0 source, Champely 2020)
  evaluated with scipy.
- Correlation, exact (bivariate normal): computed by a route independent of the package's
  (which integrates the exact density of r in Fisher's z). Conditional on x, the t statistic
  of r is noncentral t with n - 2 df and noncentrality rho / sqrt(1 - rho**2) * sqrt(W), where
  W = SS_x / sigma_x**2 is chi-square with n - 1 df; power is the chi-square average of the
  noncentral-t rejection probability, integrated with scipy.integrate.quad.
- Sample sizes: the smallest n whose reference power reaches the target, searched with the
  reference power functions above.
"""

from __future__ import annotations

import math

import scipy
import statsmodels
from _refio import dump, versions
from scipy import integrate, stats
from statsmodels.stats.power import TTestPower

PAIRED_CASES = [(0.5, 34, 0.05), (0.5, 33, 0.05), (0.3, 20, 0.05), (-0.8, 12, 0.01),
                (1.2, 6, 0.05), (0.25, 128.5, 0.1), (0.1, 800, 0.05)]  # fmt: skip
PAIRED_N_CASES = [(0.5, 0.8, 0.05), (0.3, 0.9, 0.05), (-0.8, 0.8, 0.01), (1.5, 0.95, 0.05)]
CORR_CASES = [(0.3, 84, 0.05), (0.3, 85, 0.05), (0.5, 20, 0.05), (-0.2, 150, 0.01),
              (0.1, 500, 0.05), (0.7, 10, 0.05), (0.4, 37.5, 0.1)]  # fmt: skip
CORR_N_CASES = [(0.3, 0.8, 0.05), (0.5, 0.9, 0.05), (-0.25, 0.8, 0.01), (0.6, 0.95, 0.05)]


def power_fisher(r: float, n: float, alpha: float) -> float:
    """pwr.r.test, two-sided: its source, line by line, with scipy."""
    ttt = stats.t.ppf(alpha / 2.0, n - 2.0) * -1.0  # qt(sig.level/2, df = n - 2, lower = FALSE)
    rc = math.sqrt(ttt**2 / (ttt**2 + n - 2.0))
    zr = math.atanh(r) + r / (2.0 * (n - 1.0))
    zrc = math.atanh(rc)
    return float(
        stats.norm.cdf((zr - zrc) * math.sqrt(n - 3.0))
        + stats.norm.cdf((-zr - zrc) * math.sqrt(n - 3.0))
    )


def power_exact(r: float, n: float, alpha: float) -> float:
    """Chi-square mixture of noncentral-t rejection probabilities (see module docstring)."""
    df_t, df_w = n - 2.0, n - 1.0
    t_crit = float(stats.t.isf(alpha / 2.0, df_t))
    scale = r / math.sqrt(1.0 - r * r)

    def reject(w: float) -> float:
        # P(T > tc) + P(T < -tc) for T ~ nct(df, nc); the lower tail is written as
        # P(T' > tc) with T' ~ nct(df, -nc), because scipy's nct.cdf far in the lower tail
        # can return NaN (e.g. nct.cdf(-2.306, 8, 9.3) in scipy 1.17.1) while nct.sf does not
        nc = scale * math.sqrt(w)
        return float(stats.nct.sf(t_crit, df_t, nc) + stats.nct.sf(t_crit, df_t, -nc))

    lo, hi = stats.chi2.ppf([1e-15, 1.0 - 1e-15], df_w)  # the neglected tails weigh 2e-15
    value, abserr = integrate.quad(
        lambda w: reject(w) * stats.chi2.pdf(w, df_w),
        lo,
        hi,
        points=[df_w],
        epsabs=1e-14,
        epsrel=1e-12,
        limit=500,
    )
    assert math.isfinite(value) and abserr < 1e-11, (r, n, alpha, value, abserr)
    return float(value)


def smallest_n(power_at, target: float, n_min: int) -> dict:  # type: ignore[no-untyped-def]
    n = n_min
    while power_at(n) < target:
        n += 1
    return {"n": n, "power_at_n": power_at(n), "power_at_n_minus_1": power_at(n - 1)}


def main() -> None:
    tt = TTestPower()
    paired = [
        {
            "d": d,
            "n": n,
            "alpha": a,
            "power": float(tt.power(effect_size=d, nobs=n, alpha=a, alternative="two-sided")),
        }
        for d, n, a in PAIRED_CASES
    ]
    paired_n = []
    for d, target, a in PAIRED_N_CASES:
        real_n = float(tt.solve_power(effect_size=d, power=target, alpha=a))
        row = smallest_n(
            lambda n, d=d, a=a: float(tt.power(effect_size=d, nobs=n, alpha=a)), target, 2
        )
        assert row["n"] == math.ceil(real_n), (row, real_n)
        paired_n.append({"d": d, "power": target, "alpha": a, "solve_power_n": real_n, **row})
    corr = [
        {
            "r": r,
            "n": n,
            "alpha": a,
            "power_fisher": power_fisher(r, n, a),
            "power_exact": power_exact(r, n, a),
        }
        for r, n, a in CORR_CASES
    ]
    corr_n = []
    for r, target, a in CORR_N_CASES:
        corr_n.append(
            {
                "r": r,
                "power": target,
                "alpha": a,
                "fisher": smallest_n(lambda n, r=r, a=a: power_fisher(r, n, a), target, 4),
                "exact": smallest_n(lambda n, r=r, a=a: power_exact(r, n, a), target, 4),
            }
        )
    out = {
        "family": "analytic power (patalliance.simulate.power: power_paired, "
        "n_for_power_paired, power_correlation_fisher, power_correlation_exact, "
        "n_for_power_correlation)",
        "provenance": {
            "script": "tests/reference/make_power.py",
            "libraries": versions("statsmodels", "scipy"),
            "source": (
                f"statsmodels {statsmodels.__version__} and scipy {scipy.__version__}; see "
                "'call' of each block"
            ),
            "frozen": True,
        },
        "paired": {
            "call": (
                "statsmodels.stats.power.TTestPower().power(effect_size=d, nobs=n, "
                "alpha=alpha, alternative='two-sided')"
            ),
            "cases": paired,
        },
        "paired_n": {
            "call": (
                "smallest integer n >= 2 with TTestPower().power(effect_size=d, nobs=n, "
                "alpha=alpha) >= power; equals ceil(TTestPower().solve_power(effect_size=d, "
                "power=power, alpha=alpha)) (checked)"
            ),
            "cases": paired_n,
        },
        "correlation": {
            "call_fisher": (
                "pwr.r.test (pwr 1.3-0), two-sided: ttt = scipy.stats.t.ppf(alpha/2, n-2) * -1;"
                " rc = sqrt(ttt**2/(ttt**2 + n - 2)); zr = atanh(r) + r/(2(n-1)); zrc = "
                "atanh(rc); scipy.stats.norm.cdf((zr - zrc) sqrt(n-3)) + "
                "scipy.stats.norm.cdf((-zr - zrc) sqrt(n-3))"
            ),
            "call_exact": (
                "scipy.integrate.quad(lambda w: [scipy.stats.nct.sf(tc, n-2, nc(w)) + "
                "scipy.stats.nct.sf(tc, n-2, -nc(w))] * scipy.stats.chi2.pdf(w, n-1), "
                "chi2.ppf(1e-15, n-1), chi2.ppf(1-1e-15, n-1), points=[n-1], epsabs=1e-14, "
                "epsrel=1e-12, limit=500), tc = scipy.stats.t.isf(alpha/2, n-2), nc(w) = r / "
                "sqrt(1 - r**2) * sqrt(w)"
            ),
            "cases": corr,
        },
        "correlation_n": {
            "call": (
                "smallest integer n >= 4 whose reference power (call_fisher or call_exact "
                "above) is >= power"
            ),
            "cases": corr_n,
        },
    }
    dump(out, "power.json")


if __name__ == "__main__":
    main()
