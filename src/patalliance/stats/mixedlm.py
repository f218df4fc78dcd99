r"""The linear random-intercept model with small-sample t tests, an honest status and a
parametric-bootstrap interval for one fixed effect.

Estimation, in order (the first that converges is used):

1. the exact REML of :func:`patalliance.stats.mixed.reml_random_intercept`: the REML
   likelihood profiled over the fixed effects and the residual variance is a function of the
   variance ratio alone, maximized on a grid and refined by Newton steps, so its maximum
   (including the boundary, a zero cluster variance) is found without an iterative
   optimizer's convergence problems;
2. statsmodels ``MixedLM`` by REML with its default optimizer, then with L-BFGS, Powell and
   Nelder–Mead.

A fit that none of these makes converge has the status ``not_converged``: its numbers are
kept for inspection and flagged, never reported as a finding. A fit whose cluster variance is
estimated at zero is ``singular``: the model is then ordinary least-squares regression, and
the estimates, standard errors and t tests shown are that regression's (df = n − p).
Otherwise each fixed effect has a t test with Satterthwaite degrees of freedom
(:mod:`patalliance.stats.lmm`), as ``lmerTest`` reports by default; the Wald z test is kept
as an extra field.

Raw warnings of statsmodels are logged at debug level (``patalliance --debug``); results carry
:class:`~patalliance.status.Note` objects with a code and one plain sentence.
"""

from __future__ import annotations

import logging
import warnings as _warnings
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from scipy import stats

from patalliance.stats.lmm import satterthwaite
from patalliance.stats.mixed import reml_random_intercept
from patalliance.stats.mixed_bootstrap import (
    parametric_bootstrap_memory_bytes,
    parametric_bootstrap_random_intercept,
)
from patalliance.stats.tdist import t_two_sided_p
from patalliance.status import Note, Status

__all__ = [
    "OPTIMIZERS",
    "FixedEffect",
    "MixedModelResult",
    "REMLFit",
    "fit_random_intercept",
    "parametric_bootstrap_memory_bytes",
    "statsmodels_reml",
]

LOG = logging.getLogger("patalliance")

#: A cluster variance at or below this fraction of the residual variance is a boundary fit.
BOUNDARY = 1e-8


@dataclass(frozen=True)
class FixedEffect:
    """One fixed effect: its t test on ``df`` degrees of freedom and t interval, and the Wald z
    test (``z``, ``p_z``) as an extra."""

    term: str
    estimate: float
    se: float
    df: float
    t: float
    p: float
    ci_low: float
    ci_high: float
    z: float
    p_z: float


@dataclass(frozen=True)
class MixedModelResult:
    """A random-intercept linear mixed model.

    ``status``: ``ok``, ``singular`` (cluster variance zero: the estimates are those of
    ordinary regression), ``not_converged`` (numbers flagged, not interpreted) or
    ``not_estimable`` (with ``reason``). ``estimator`` says how the variance components were
    found and ``df_method`` how the t tests' degrees of freedom were.
    """

    outcome: str
    predictor: str
    groups: str
    n_groups: int
    n_obs: int
    fixed_effects: tuple[FixedEffect, ...] = ()
    group_variance: float = float("nan")
    residual_variance: float = float("nan")
    converged: bool = False
    estimator: str = ""
    inference: str = "t"
    df_method: str = ""
    method: str = "REML"
    boot_ci_low: float = float("nan")
    boot_ci_high: float = float("nan")
    n_boot: int = 0
    n_boot_valid: int = 0
    confidence_level: float = 0.95
    status: Status = Status.OK
    reason: str = ""
    warnings: tuple[Note, ...] = field(default_factory=tuple)

    def to_frame(self) -> pd.DataFrame:
        """One row per fixed effect, with the model's outcome, predictor and n."""
        from dataclasses import asdict

        frame = pd.DataFrame([asdict(f) for f in self.fixed_effects])
        frame.insert(0, "predictor", self.predictor)
        frame.insert(0, "outcome", self.outcome)
        frame["n_groups"] = self.n_groups
        frame["n_obs"] = self.n_obs
        return frame


@dataclass(frozen=True)
class _Variance:
    sigma2_u: float
    sigma2_e: float
    converged: bool
    estimator: str


@dataclass(frozen=True)
class REMLFit:
    """A statsmodels ``MixedLM`` REML fit: the random-effects covariance, the residual
    variance, whether it converged, and the optimizer (``None``: statsmodels' default)."""

    cov_re: NDArray[np.float64]
    scale: float
    converged: bool
    optimizer: str | None

    @property
    def estimator(self) -> str:
        return f"REML (statsmodels MixedLM, {self.optimizer or 'default'} optimizer)"


#: The optimizers tried in turn: statsmodels' default, then L-BFGS, Powell and Nelder-Mead.
OPTIMIZERS: tuple[str | None, ...] = (None, "lbfgs", "powell", "nm")


def _log_caught(caught: list[_warnings.WarningMessage]) -> None:
    for w in caught:
        LOG.debug("statsmodels: %s: %s", w.category.__name__, w.message)


def _one_reml_fit(
    y: NDArray[np.float64],
    exog: NDArray[np.float64],
    codes: NDArray[np.intp],
    exog_re: NDArray[np.float64] | None,
    optimizer: str | None,
) -> REMLFit | None:
    from statsmodels.regression.mixed_linear_model import MixedLM

    fit: REMLFit | None
    with _warnings.catch_warnings(record=True) as caught:
        _warnings.simplefilter("always")
        try:
            kwargs: dict[str, Any] = {"reml": True}
            if optimizer is not None:
                kwargs["method"] = [optimizer]
            res = MixedLM(y, exog, groups=codes, exog_re=exog_re).fit(**kwargs)
            fit = REMLFit(
                np.asarray(res.cov_re, dtype=np.float64),
                float(res.scale),
                bool(res.converged),
                optimizer,
            )
        except Exception as exc:  # statsmodels raises many types on degenerate data
            LOG.debug("statsmodels MixedLM (%s) failed: %s: %s", optimizer, type(exc).__name__, exc)
            fit = None
    _log_caught(caught)
    if fit is None or not (np.isfinite(fit.cov_re).all() and np.isfinite(fit.scale)):
        return None
    return fit


def statsmodels_reml(
    y: NDArray[np.float64],
    exog: NDArray[np.float64],
    codes: NDArray[np.intp],
    *,
    exog_re: NDArray[np.float64] | None = None,
) -> REMLFit | None:
    """The first converged REML fit over :data:`OPTIMIZERS`, else the last finite one
    (``None`` when no optimizer gave finite variances). ``exog_re=None`` is a random
    intercept; otherwise the random-effects design (e.g. intercept and time)."""
    last: REMLFit | None = None
    for optimizer in OPTIMIZERS:
        fit = _one_reml_fit(y, exog, codes, exog_re, optimizer)
        if fit is None:
            continue
        if fit.converged:
            return fit
        last = fit
    return last


def _statsmodels_variance(
    y: NDArray[np.float64], exog: NDArray[np.float64], codes: NDArray[np.intp]
) -> _Variance | None:
    """REML variance components from statsmodels, trying optimizers in turn."""
    fit = statsmodels_reml(y, exog, codes)
    if fit is None:
        return None
    return _Variance(float(fit.cov_re[0, 0]), fit.scale, fit.converged, fit.estimator)


def _variance(
    y: NDArray[np.float64], exog: NDArray[np.float64], codes: NDArray[np.intp]
) -> tuple[_Variance | None, list[Note]]:
    """The REML variance components by the first method that converges (module docstring)."""
    notes: list[Note] = []
    exact = reml_random_intercept(y, exog, codes)
    if exact.converged:
        return _Variance(exact.sigma2_u, exact.sigma2_e, True, "REML (exact profile)"), notes
    LOG.debug("exact profiled REML did not converge; trying statsmodels MixedLM")
    var = _statsmodels_variance(y, exog, codes)
    if var is not None and var.converged:
        notes.append(
            Note(
                "mixed_refit",
                f"The exact REML search did not converge; the estimates come from "
                f"{var.estimator}, which did.",
            )
        )
    return var, notes


def _ols_effects(
    y: NDArray[np.float64], exog: NDArray[np.float64], names: list[str], level: float
) -> tuple[FixedEffect, ...]:
    """Ordinary least squares with t tests on n − p df (the model a singular fit reduces to)."""
    n, p = exog.shape
    beta = np.asarray(np.linalg.lstsq(exog, y, rcond=None)[0], dtype=np.float64)
    resid = y - exog @ beta
    df = float(n - p)
    s2 = float(resid @ resid) / df
    se = np.sqrt(s2 * np.diag(np.linalg.inv(exog.T @ exog)))
    return _effects(beta, se, np.full(p, df), names, level)


def _effects(
    beta: NDArray[np.float64],
    se: NDArray[np.float64],
    df: NDArray[np.float64],
    names: list[str],
    level: float,
) -> tuple[FixedEffect, ...]:
    q = 0.5 + level / 2.0
    out = []
    for j, name in enumerate(names):
        est, s, d = float(beta[j]), float(se[j]), float(df[j])
        t = est / s if s > 0 else float("nan")
        tc = float(stats.t.ppf(q, d)) if np.isfinite(d) else float("nan")
        p = t_two_sided_p(t, d) if np.isfinite(t) and np.isfinite(d) else float("nan")
        p_z = float(2.0 * stats.norm.sf(abs(t))) if np.isfinite(t) else float("nan")
        out.append(FixedEffect(name, est, s, d, t, p, est - tc * s, est + tc * s, t, p_z))
    return tuple(out)


def _design_problem(
    exog: NDArray[np.float64], names: list[str], n_groups: int, n_obs: int, groups_name: str
) -> str:
    """Why the design cannot be fitted, or ``""``."""
    p = exog.shape[1]
    if n_groups < 3 or n_obs < p + 2:
        return (
            f"{n_groups} {groups_name}s and {n_obs} observations are too few for a "
            f"model with {p} fixed effects and a random intercept"
        )
    constant = [names[j] for j in range(1, p) if np.ptp(exog[:, j]) == 0]
    if constant or np.linalg.matrix_rank(exog) < p:
        why = f"{', '.join(constant)} constant" if constant else "collinear fixed effects"
        return f"singular design: {why}"
    return ""


def fit_random_intercept(
    y: NDArray[np.float64],
    exog: NDArray[np.float64],
    groups: NDArray[Any],
    *,
    names: list[str],
    focus: str,
    outcome: str = "y",
    groups_name: str = "participant",
    n_boot: int = 0,
    rng: np.random.Generator | None = None,
    confidence_level: float = 0.95,
) -> MixedModelResult:
    r"""Fit :math:`y_{ij} = x_{ij}^\top\beta + u_i + \varepsilon_{ij}` by REML, with t tests.

    Parameters
    ----------
    y : ndarray, shape (n_obs,)
        Outcome (no missing values).
    exog : ndarray, shape (n_obs, p)
        Fixed-effects design, including the intercept column.
    groups : ndarray, shape (n_obs,)
        Cluster labels (participant or facilitator).
    names : list of str
        Names of the ``exog`` columns.
    focus : str
        The column whose effect gets the parametric-bootstrap interval.
    outcome, groups_name : str
        Labels stored in the result (``groups_name`` also words the notes).
    n_boot : int, default 0
        Parametric-bootstrap resamples (0: none).
    rng : numpy.random.Generator, optional
        Required when ``n_boot > 0``.
    confidence_level : float, default 0.95
        Level of the t, Wald and bootstrap intervals.

    Returns
    -------
    MixedModelResult
        Never raises for a numerical failure: the status says what happened (module
        docstring), with notes.

    Notes
    -----
    :math:`u_i \sim N(0, \sigma_u^2)`, :math:`\varepsilon_{ij} \sim N(0, \sigma^2)` (Laird &
    Ware, 1982). Each fixed effect is tested with :math:`t = \hat\beta/\mathrm{SE}` on
    Satterthwaite's degrees of freedom :math:`\nu` (Satterthwaite, 1946; Kuznetsova et al.,
    2017) and has the interval :math:`\hat\beta \pm t_{1-\alpha/2,\nu}\mathrm{SE}`, where SE
    is the GLS standard error :math:`\sqrt{[(X^\top \hat V^{-1} X)^{-1}]_{jj}}`; the Wald
    :math:`z` test (normal reference) is kept in ``z``/``p_z``. The parametric bootstrap
    simulates :math:`y^* = X\hat\beta + u^* + \varepsilon^*` from the fitted variances
    through the sufficient statistics of the exact REML (drawn exactly from their joint
    distribution, so each replicate costs the same whatever the number of observations:
    :func:`patalliance.stats.mixed_bootstrap.parametric_bootstrap_random_intercept`), refits
    every replicate by exact REML, and takes percentile bounds of
    :math:`\hat\beta^*_{focus}` (Efron & Tibshirani, 1993, ch. 6); refits that do not
    converge are left out and counted, and refits on the zero-variance boundary are counted.

    References
    ----------
    .. [1] Laird, N. M., & Ware, J. H. (1982). Random-effects models for longitudinal data.
       *Biometrics*, 38(4), 963-974.
    .. [2] Satterthwaite, F. E. (1946). An approximate distribution of estimates of variance
       components. *Biometrics Bulletin*, 2(6), 110-114.
    .. [3] Kuznetsova, A., Brockhoff, P. B., & Christensen, R. H. B. (2017). lmerTest package:
       Tests in linear mixed effects models. *Journal of Statistical Software*, 82(13), 1-26.
    .. [4] Efron, B., & Tibshirani, R. J. (1993). *An Introduction to the Bootstrap*.
       Chapman & Hall/CRC.
    """
    level = float(confidence_level)
    codes, uniq = pd.factorize(pd.Series(groups))
    n_groups, n_obs = len(uniq), len(y)
    base = MixedModelResult(
        outcome=outcome,
        predictor=focus,
        groups=groups_name,
        n_groups=n_groups,
        n_obs=n_obs,
        confidence_level=level,
        n_boot=int(n_boot),
    )
    problem = _design_problem(exog, names, n_groups, n_obs, groups_name)
    if problem:
        return replace(base, status=Status.NOT_ESTIMABLE, reason=problem)
    var, notes = _variance(y, exog, codes)
    if var is None:
        reason = "the model could not be fitted by any of the REML methods tried"
        return replace(base, status=Status.NOT_ESTIMABLE, reason=reason, warnings=tuple(notes))
    fitted = _fixed_effects(y, exog, codes, var, names, level, groups_name)
    effects, status, df_method, more = fitted
    notes.extend(more)
    res = replace(
        base,
        fixed_effects=effects,
        group_variance=var.sigma2_u,
        residual_variance=var.sigma2_e,
        converged=var.converged,
        estimator=var.estimator if status != Status.SINGULAR else "OLS (singular REML fit)",
        df_method=df_method,
        status=status,
    )
    if n_boot > 0 and rng is not None and np.isfinite([e.estimate for e in effects]).all():
        lo, hi, valid, boot_notes = _parametric_bootstrap(
            exog, codes, np.array([e.estimate for e in effects]), var.sigma2_u,
            var.sigma2_e, names.index(focus), int(n_boot), level, rng, groups_name,
        )  # fmt: skip
        notes.extend(boot_notes)
        res = replace(res, boot_ci_low=lo, boot_ci_high=hi, n_boot_valid=valid)
    return replace(res, warnings=tuple(dict.fromkeys(notes)))


def _fixed_effects(
    y: NDArray[np.float64],
    exog: NDArray[np.float64],
    codes: NDArray[np.intp],
    var: _Variance,
    names: list[str],
    level: float,
    groups_name: str,
) -> tuple[tuple[FixedEffect, ...], Status, str, list[Note]]:
    """The fixed effects with their tests, the status, the df method and notes."""
    if not var.converged:
        sat = satterthwaite(y, exog, codes, cov_re=[[max(var.sigma2_u, 0.0)]], scale=var.sigma2_e)
        note = Note(
            "mixed_not_converged",
            "The model did not converge with any of the REML methods tried (the exact "
            "profile search and statsmodels' optimizers); its numbers are shown for "
            "completeness and are not interpreted.",
        )
        return (
            _effects(sat.beta, sat.se, sat.df, names, level),
            Status.NOT_CONVERGED,
            ("Satterthwaite"),
            [note],
        )
    if var.sigma2_u <= BOUNDARY * max(var.sigma2_e, 1e-300):
        note = Note(
            "mixed_singular",
            f"The between-{groups_name} variance was estimated as zero, so the model reduces "
            "to ordinary least-squares regression; the estimates, standard errors and t tests "
            "shown are that regression's.",
        )
        return _ols_effects(y, exog, names, level), Status.SINGULAR, "residual (OLS)", [note]
    sat = satterthwaite(y, exog, codes, cov_re=[[var.sigma2_u]], scale=var.sigma2_e)
    return _effects(sat.beta, sat.se, sat.df, names, level), Status.OK, "Satterthwaite", []


def _parametric_bootstrap(
    exog: NDArray[np.float64],
    codes: NDArray[np.intp],
    fe: NDArray[np.float64],
    sig_u: float,
    sig_e: float,
    j_focus: int,
    n_boot: int,
    level: float,
    rng: np.random.Generator,
    groups_name: str,
) -> tuple[float, float, int, list[Note]]:
    """Percentile interval of the focus effect from simulated refits: (low, high, valid, notes)."""
    boot = parametric_bootstrap_random_intercept(
        exog, codes, fe, max(sig_u, 0.0), sig_e, n_boot=n_boot, rng=rng
    )
    ok = boot.converged & np.isfinite(boot.beta[:, j_focus])
    failed = int(n_boot - ok.sum())
    draws = np.asarray(boot.beta[ok, j_focus])
    notes = []
    at_zero = int((boot.theta[ok] == 0.0).sum())
    if at_zero:
        notes.append(
            Note(
                "bootstrap_boundary",
                f"{at_zero} of {n_boot} bootstrap refits estimated the between-{groups_name} "
                "variance as zero.",
            )
        )
    if failed:
        notes.append(
            Note(
                "bootstrap_not_converged",
                f"{failed} of {n_boot} bootstrap refits did not converge and were left out.",
            )
        )
    lo = hi = float("nan")
    if draws.size:
        lo, hi = (float(v) for v in np.quantile(draws, [0.5 - level / 2.0, 0.5 + level / 2.0]))
    return lo, hi, int(draws.size), notes
