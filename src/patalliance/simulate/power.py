"""Sample-size planning: analytic and Monte Carlo power of the alliance analyses.

Analytic power, two-sided, for

- a Pearson correlation: the exact test under the bivariate-normal model
  (:func:`power_correlation_exact`, as G*Power's "exact" test) and the Fisher-z approximation
  of R's ``pwr.r.test`` (:func:`power_correlation_fisher`);
- a paired t test (:func:`power_paired`, noncentral t);

with their inverses, the smallest integer n that reaches a target power; and the conversions
a plan needs (:func:`d_z_from_d_av`, :func:`n_to_enrol`).

Monte Carlo power of a whole analysis plan (:func:`simulate_plan_power`,
:func:`power_curve`): several families of Pearson tests on multivariate-normal data with MCAR
dropout, adjusted within each family. The Monte Carlo code lives in
:mod:`patalliance.simulate.power_mc`; it is re-exported here.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from scipy import integrate, special, stats

from patalliance.simulate.power_convert import d_z_from_d_av, n_to_enrol
from patalliance.simulate.power_mc import (
    CorrelationPowerResult,
    PlanPowerResult,
    PlanSpec,
    PowerCurveResult,
    power_curve,
    simulate_plan_power,
    simulate_power_correlation,
)

__all__ = [
    "CorrelationPowerResult",
    "PlanPowerResult",
    "PlanSpec",
    "PowerCurveResult",
    "d_z_from_d_av",
    "n_for_power_correlation",
    "n_for_power_paired",
    "n_to_enrol",
    "power_correlation_exact",
    "power_correlation_fisher",
    "power_curve",
    "power_paired",
    "simulate_plan_power",
    "simulate_power_correlation",
]

_N_MAX = 10**9
_CORRELATION_METHODS = ("exact", "fisher")


# --------------------------------------------------------------------------- validation


def _check_r(r: float, func: str) -> float:
    value = float(r)
    if not -1.0 < value < 1.0:
        raise ValueError(f"The 'r' parameter of {func} must be in (-1, 1). Got {r!r} instead.")
    return value


def _check_alpha(alpha: float, func: str) -> float:
    value = float(alpha)
    if not 0.0 < value < 1.0:
        raise ValueError(
            f"The 'alpha' parameter of {func} must be in (0, 1). Got {alpha!r} instead."
        )
    return value


def _check_power(power: float, func: str) -> float:
    value = float(power)
    if not 0.0 < value < 1.0:
        raise ValueError(
            f"The 'power' parameter of {func} must be in (0, 1). Got {power!r} instead."
        )
    return value


def _check_n(n: float, func: str, minimum: int) -> float:
    value = float(n)
    if not (math.isfinite(value) and value >= minimum):
        raise ValueError(
            f"The 'n' parameter of {func} must be a number >= {minimum}. Got {n!r} instead."
        )
    return value


# --------------------------------------------------------------------------- correlation


def _critical_r(n: float, alpha: float) -> float:
    """Critical |r| of the two-sided t test of rho = 0 with df = n - 2."""
    t_c = float(stats.t.isf(alpha / 2.0, n - 2.0))
    return t_c / math.sqrt(t_c * t_c + n - 2.0)


def _log_density_fisher_z(z: float, rho: float, n: float) -> float:
    """Log density of Fisher's z = atanh(r) of the sample r, given rho and n."""
    r = math.tanh(z)
    a = abs(z)
    log_1m_r2 = -2.0 * (a + math.log1p(math.exp(-2.0 * a)) - math.log(2.0))
    log_const = (
        math.log(n - 2.0)
        + special.gammaln(n - 1.0)
        - 0.5 * math.log(2.0 * math.pi)
        - special.gammaln(n - 0.5)
        + 0.5 * (n - 1.0) * math.log1p(-rho * rho)
    )
    hyp = special.hyp2f1(0.5, 0.5, n - 0.5, 0.5 * (1.0 + rho * r))
    return float(
        log_const + 0.5 * (n - 2.0) * log_1m_r2 - (n - 1.5) * math.log1p(-rho * r) + math.log(hyp)
    )


def _integrate_z(rho: float, n: float, lo: float, hi: float, mode: float) -> float:
    def f(z: float) -> float:
        return math.exp(_log_density_fisher_z(z, rho, n))

    points = [mode] if lo < mode < hi else None
    value, _ = integrate.quad(f, lo, hi, points=points, epsabs=1e-13, epsrel=1e-11, limit=500)
    return float(value)


def power_correlation_exact(r: float, n: float, *, alpha: float = 0.05) -> float:
    """Exact power of the two-sided test of a Pearson correlation (bivariate normal).

    Parameters
    ----------
    r : float
        Population correlation :math:`\\rho` under the alternative, in (-1, 1).
    n : float
        Sample size (number of complete pairs), at least 4.
    alpha : float, default 0.05
        Two-sided significance level.

    Returns
    -------
    float
        Probability that the t test of :math:`H_0: \\rho = 0` (df = n - 2) rejects.

    Raises
    ------
    ValueError
        If ``r`` is not in (-1, 1), ``n`` < 4 or ``alpha`` is not in (0, 1).

    Notes
    -----
    The t test rejects when :math:`|r| > r_c`, with :math:`t_c = t_{1-\\alpha/2,\\,n-2}` and
    :math:`r_c = t_c / \\sqrt{t_c^2 + n - 2}`. Power is the probability of that region under
    the exact density of the sample correlation of n bivariate-normal pairs (Fisher, 1915;
    Hotelling, 1953, eq. 24):

    .. math::

        f(r \\mid \\rho, n) = \\frac{(n-2)\\,\\Gamma(n-1)\\,(1-\\rho^2)^{(n-1)/2}
        (1-r^2)^{(n-4)/2}}{\\sqrt{2\\pi}\\,\\Gamma(n-\\tfrac12)\\,(1-\\rho r)^{n-3/2}}
        \\;{}_2F_1\\!\\Bigl(\\tfrac12, \\tfrac12; n-\\tfrac12; \\tfrac{1+\\rho r}{2}\\Bigr),

    .. math::

        1 - \\beta = \\int_{-1}^{-r_c} f(r)\\,dr + \\int_{r_c}^{1} f(r)\\,dr.

    The integrals are computed by adaptive quadrature in Fisher's
    :math:`z = \\operatorname{atanh} r`, where the density is close to normal, so that the
    result stays accurate for large n. This is the "exact" correlation test of G*Power
    (Faul et al., 2009).

    References
    ----------
    .. [1] Fisher, R. A. (1915). Frequency distribution of the values of the correlation
       coefficient in samples from an indefinitely large population. *Biometrika*, 10(4),
       507-521.
    .. [2] Hotelling, H. (1953). New light on the correlation coefficient and its transforms.
       *Journal of the Royal Statistical Society: Series B*, 15(2), 193-232.
    .. [3] Faul, F., Erdfelder, E., Buchner, A., & Lang, A.-G. (2009). Statistical power
       analyses using G*Power 3.1: Tests for correlation and regression analyses. *Behavior
       Research Methods*, 41(4), 1149-1160.

    Examples
    --------
    >>> round(power_correlation_exact(0.3, 84), 4)
    0.8003
    """
    func = "power_correlation_exact"
    rho = _check_r(r, func)
    n_ = _check_n(n, func, 4)
    alpha_ = _check_alpha(alpha, func)
    z_c = math.atanh(_critical_r(n_, alpha_))
    mode = math.atanh(rho)
    width = 14.0 / math.sqrt(n_ - 3.0) + 1.0
    upper = _integrate_z(rho, n_, z_c, max(mode, z_c) + width, mode)
    lower = _integrate_z(rho, n_, min(mode, -z_c) - width, -z_c, mode)
    return min(1.0, upper + lower)


def power_correlation_fisher(r: float, n: float, *, alpha: float = 0.05) -> float:
    """Power of the two-sided correlation test by Fisher's z (R's ``pwr.r.test``).

    Parameters
    ----------
    r : float
        Population correlation under the alternative, in (-1, 1).
    n : float
        Sample size, at least 4.
    alpha : float, default 0.05
        Two-sided significance level.

    Returns
    -------
    float
        Approximate power.

    Raises
    ------
    ValueError
        If ``r`` is not in (-1, 1), ``n`` < 4 or ``alpha`` is not in (0, 1).

    Notes
    -----
    As in ``pwr.r.test`` (Champely, 2020), with :math:`t_c = t_{1-\\alpha/2,\\,n-2}`:

    .. math::

        r_c = \\frac{t_c}{\\sqrt{t_c^2 + n - 2}},\\quad
        z_r = \\operatorname{atanh} r + \\frac{r}{2(n-1)},\\quad
        z_c = \\operatorname{atanh} r_c,

    .. math::

        1 - \\beta = \\Phi\\bigl((z_r - z_c)\\sqrt{n-3}\\bigr)
        + \\Phi\\bigl((-z_r - z_c)\\sqrt{n-3}\\bigr).

    The bias term :math:`r / (2(n-1))` is the first-order bias of Fisher's z (Cohen, 1988,
    ch. 3).

    References
    ----------
    .. [1] Champely, S. (2020). *pwr: Basic functions for power analysis* (R package version
       1.3-0). https://CRAN.R-project.org/package=pwr
    .. [2] Cohen, J. (1988). *Statistical power analysis for the behavioral sciences*
       (2nd ed.). Lawrence Erlbaum.
    .. [3] Fisher, R. A. (1921). On the "probable error" of a coefficient of correlation
       deduced from a small sample. *Metron*, 1, 3-32.

    Examples
    --------
    >>> round(power_correlation_fisher(0.3, 85), 4)
    0.8044
    """
    func = "power_correlation_fisher"
    rho = _check_r(r, func)
    n_ = _check_n(n, func, 4)
    alpha_ = _check_alpha(alpha, func)
    z_r = math.atanh(rho) + rho / (2.0 * (n_ - 1.0))
    z_c = math.atanh(_critical_r(n_, alpha_))
    s = math.sqrt(n_ - 3.0)
    return float(special.ndtr((z_r - z_c) * s) + special.ndtr((-z_r - z_c) * s))


def _smallest_n(power_at: Callable[[int], float], target: float, n_min: int, func: str) -> int:
    """Smallest integer n >= n_min with power_at(n) >= target (power increasing in n)."""
    if power_at(n_min) >= target:
        return n_min
    lo, hi = n_min, n_min
    while True:
        lo, hi = hi, min(2 * hi, _N_MAX)
        if power_at(hi) >= target:
            break
        if hi == _N_MAX:
            raise ValueError(
                f"{func}: the target power {target} is not reached with n <= {_N_MAX}; "
                "the effect size is too small."
            )
    while hi - lo > 1:  # invariant: power(lo) < target <= power(hi)
        mid = (lo + hi) // 2
        if power_at(mid) >= target:
            hi = mid
        else:
            lo = mid
    return hi


def n_for_power_correlation(
    r: float, *, power: float = 0.8, alpha: float = 0.05, method: str = "exact"
) -> int:
    """Smallest sample size at which the two-sided correlation test reaches a target power.

    Parameters
    ----------
    r : float
        Population correlation under the alternative, in (-1, 1), not 0.
    power : float, default 0.8
        Target power, in (0, 1).
    alpha : float, default 0.05
        Two-sided significance level.
    method : {"exact", "fisher"}, default "exact"
        Power function: :func:`power_correlation_exact` or :func:`power_correlation_fisher`.

    Returns
    -------
    int
        The smallest integer :math:`n \\ge 4` whose power is at least ``power``.

    Raises
    ------
    ValueError
        For an invalid argument, ``r == 0``, or a target not reached with n <= 10**9.

    Notes
    -----
    Power increases with n, so the answer is found by doubling then bisection on the
    integers: :math:`\\min\\{n \\in \\mathbb{N}, n \\ge 4 : 1 - \\beta(n) \\ge \\text{power}\\}`.
    ``pwr.r.test`` solves for a real n; its ceiling equals the ``"fisher"`` answer.

    References
    ----------
    .. [1] Faul, F., Erdfelder, E., Buchner, A., & Lang, A.-G. (2009). Statistical power
       analyses using G*Power 3.1: Tests for correlation and regression analyses. *Behavior
       Research Methods*, 41(4), 1149-1160.
    .. [2] Champely, S. (2020). *pwr: Basic functions for power analysis* (R package version
       1.3-0). https://CRAN.R-project.org/package=pwr

    Examples
    --------
    >>> n_for_power_correlation(0.3, power=0.8, method="exact")
    84
    >>> n_for_power_correlation(0.3, power=0.8, method="fisher")
    85
    """
    func = "n_for_power_correlation"
    rho = _check_r(r, func)
    if rho == 0.0:
        raise ValueError(
            f"The 'r' parameter of {func} must be nonzero: under r = 0 power equals alpha "
            "whatever n. Got 0 instead."
        )
    target = _check_power(power, func)
    alpha_ = _check_alpha(alpha, func)
    if method not in _CORRELATION_METHODS:
        raise ValueError(
            f"The 'method' parameter of {func} must be 'exact' or 'fisher'. Got {method!r} instead."
        )
    fn = power_correlation_exact if method == "exact" else power_correlation_fisher
    return _smallest_n(lambda n: fn(rho, n, alpha=alpha_), target, 4, func)


# --------------------------------------------------------------------------- paired t


def power_paired(d: float, n: float, *, alpha: float = 0.05) -> float:
    """Power of the two-sided paired (one-sample) t test.

    Parameters
    ----------
    d : float
        Standardized mean difference :math:`d_z` (mean of the differences divided by their
        SD), not the paper's :math:`d_{av}`.
    n : float
        Number of pairs, at least 2.
    alpha : float, default 0.05
        Two-sided significance level.

    Returns
    -------
    float
        Power.

    Raises
    ------
    ValueError
        If ``d`` is not finite, ``n`` < 2 or ``alpha`` is not in (0, 1).

    Notes
    -----
    With :math:`\\nu = n - 1`, noncentrality :math:`\\lambda = d_z\\sqrt{n}`,
    :math:`t_c = t_{1-\\alpha/2,\\,\\nu}` and :math:`F_{\\nu,\\lambda}` the noncentral t
    distribution function,

    .. math::

        1 - \\beta = 1 - F_{\\nu,\\lambda}(t_c) + F_{\\nu,\\lambda}(-t_c).

    This equals ``statsmodels.stats.power.TTestPower().power`` (Cohen, 1988, ch. 2).

    References
    ----------
    .. [1] Cohen, J. (1988). *Statistical power analysis for the behavioral sciences*
       (2nd ed.). Lawrence Erlbaum.
    .. [2] Seabold, S., & Perktold, J. (2010). Statsmodels: Econometric and statistical
       modeling with Python. *Proceedings of the 9th Python in Science Conference*, 92-96.

    Examples
    --------
    >>> round(power_paired(0.5, 34), 4)
    0.8078
    """
    func = "power_paired"
    d_ = float(d)
    if not math.isfinite(d_):
        raise ValueError(f"The 'd' parameter of {func} must be a finite number. Got {d!r}.")
    n_ = _check_n(n, func, 2)
    alpha_ = _check_alpha(alpha, func)
    df = n_ - 1.0
    nc = d_ * math.sqrt(n_)
    t_c = float(stats.t.isf(alpha_ / 2.0, df))
    upper = 1.0 - float(special.nctdtr(df, nc, t_c))
    lower = float(special.nctdtr(df, nc, -t_c))
    return upper + lower


def n_for_power_paired(d: float, *, power: float = 0.8, alpha: float = 0.05) -> int:
    """Smallest number of pairs at which the two-sided paired t test reaches a target power.

    Parameters
    ----------
    d : float
        Standardized mean difference :math:`d_z`, nonzero.
    power : float, default 0.8
        Target power, in (0, 1).
    alpha : float, default 0.05
        Two-sided significance level.

    Returns
    -------
    int
        The smallest integer :math:`n \\ge 2` with :func:`power_paired` at least ``power``.

    Raises
    ------
    ValueError
        For an invalid argument, ``d == 0``, or a target not reached with n <= 10**9.

    Notes
    -----
    :math:`\\min\\{n \\in \\mathbb{N}, n \\ge 2 : 1 - \\beta(n) \\ge \\text{power}\\}`, found
    by doubling then bisection; it equals the ceiling of
    ``TTestPower().solve_power(effect_size=d, power=power, alpha=alpha)``.

    References
    ----------
    .. [1] Cohen, J. (1988). *Statistical power analysis for the behavioral sciences*
       (2nd ed.). Lawrence Erlbaum.

    Examples
    --------
    >>> n_for_power_paired(0.5, power=0.8)
    34
    """
    func = "n_for_power_paired"
    d_ = float(d)
    if not math.isfinite(d_) or d_ == 0.0:
        raise ValueError(
            f"The 'd' parameter of {func} must be a finite nonzero number. Got {d!r} instead."
        )
    target = _check_power(power, func)
    alpha_ = _check_alpha(alpha, func)
    return _smallest_n(lambda n: power_paired(d_, n, alpha=alpha_), target, 2, func)
