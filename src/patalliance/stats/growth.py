r"""The linear growth model: random intercepts and random slopes of time by participant.

.. math:: y_{ij} = x_{ij}^\top\beta + u_{0i} + u_{1i}\,t_{ij} + \varepsilon_{ij},\qquad
          (u_{0i}, u_{1i})^\top \sim N(0, G),\quad
          G = \begin{pmatrix}\tau_{00} & \tau_{01}\\ \tau_{01} & \tau_{11}\end{pmatrix},\quad
          \varepsilon_{ij} \sim N(0, \sigma^2)

(Laird & Ware, 1982), with :math:`G` unstructured, as ``lme4::lmer(y ~ ... + (time |
participant))`` fits it. The variance components are estimated by exact REML
(:func:`patalliance.stats.reml.reml_random_effects`: the REML criterion profiled over the
fixed effects and the residual variance, as lme4 does, minimized over the relative Cholesky
factor of :math:`G/\sigma^2` with an analytic gradient, in time linear in the number of
observations). When that search does not converge, statsmodels ``MixedLM`` is tried (its
default optimizers, then L-BFGS, Powell and Nelder–Mead; the first fit that converges is
used), and a note says so. The fixed effects are the generalized least-squares estimates at those
variance components, with standard errors :math:`\sqrt{[(X^\top\hat V^{-1}X)^{-1}]_{jj}}`,
and each is tested with :math:`t` on Satterthwaite's degrees of freedom
(:mod:`patalliance.stats.lmm`), as ``lmerTest`` reports by default.

Statuses (:class:`~patalliance.status.Status`):

- ``ok``;
- ``singular``: the random-effects covariance is at the boundary of its space (a variance of
  zero or a correlation of ±1), judged as ``lme4::isSingular`` does: a diagonal element of the
  relative Cholesky factor of :math:`G/\sigma^2` below ``1e-4``. The estimates are shown and
  flagged; the model has more random effects than the data support;
- ``not_converged``: neither the exact search nor any statsmodels optimizer converged; the
  last fit's numbers are flagged, not interpreted;
- ``not_estimable``: too few participants or observations, or a singular design (``reason``).

Raw warnings of statsmodels are logged at debug level (``patalliance --debug``); results carry
:class:`~patalliance.status.Note` objects with a code and one plain sentence.

References
----------
.. [1] Laird, N. M., & Ware, J. H. (1982). Random-effects models for longitudinal data.
   *Biometrics*, 38(4), 963-974.
.. [2] Satterthwaite, F. E. (1946). An approximate distribution of estimates of variance
   components. *Biometrics Bulletin*, 2(6), 110-114.
.. [3] Kuznetsova, A., Brockhoff, P. B., & Christensen, R. H. B. (2017). lmerTest package:
   Tests in linear mixed effects models. *Journal of Statistical Software*, 82(13), 1-26.
.. [4] Bates, D., Mächler, M., Bolker, B., & Walker, S. (2015). Fitting linear mixed-effects
   models using lme4. *Journal of Statistical Software*, 67(1), 1-48.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from patalliance.stats.lmm import satterthwaite
from patalliance.stats.mixedlm import FixedEffect, _effects, statsmodels_reml
from patalliance.stats.reml import reml_random_effects
from patalliance.status import Note, Status

__all__ = ["GrowthModelResult", "fit_random_slope"]

LOG = logging.getLogger("patalliance")

#: ``lme4::isSingular``'s default tolerance on the relative Cholesky factor of G.
SINGULAR_TOL = 1e-4


@dataclass(frozen=True)
class GrowthModelResult:
    """A random-intercept, random-slope linear mixed model fitted by REML.

    ``intercept_variance`` (:math:`\\tau_{00}`), ``slope_variance`` (:math:`\\tau_{11}`, per
    unit of time squared), ``intercept_slope_covariance`` (:math:`\\tau_{01}`) and
    ``residual_variance`` (:math:`\\sigma^2`) are the REML variance components;
    ``fixed_effects`` the t tests on ``df_method`` degrees of freedom. ``status`` and
    ``reason``/``warnings`` say how far the numbers can be trusted (module docstring).
    """

    n_participants: int
    n_obs: int
    fixed_effects: tuple[FixedEffect, ...] = ()
    intercept_variance: float = float("nan")
    slope_variance: float = float("nan")
    intercept_slope_covariance: float = float("nan")
    residual_variance: float = float("nan")
    converged: bool = False
    estimator: str = ""
    method: str = "REML"
    df_method: str = ""
    confidence_level: float = 0.95
    status: Status = Status.OK
    reason: str = ""
    warnings: tuple[Note, ...] = field(default_factory=tuple)

    @property
    def intercept_slope_correlation(self) -> float:
        """:math:`\\tau_{01}/\\sqrt{\\tau_{00}\\tau_{11}}` (NaN when a variance is zero)."""
        den = np.sqrt(self.intercept_variance * self.slope_variance)
        return float(self.intercept_slope_covariance / den) if den > 0 else float("nan")

    def to_frame(self) -> pd.DataFrame:
        """One row per fixed effect (term, estimate, se, df, t, p, ci_low, ci_high, z, p_z)."""
        columns = list(FixedEffect.__dataclass_fields__)
        return pd.DataFrame([asdict(f) for f in self.fixed_effects], columns=columns)


@dataclass(frozen=True)
class _Fit:
    cov_re: NDArray[np.float64]
    scale: float
    converged: bool
    estimator: str


def _reml_fit(
    y: NDArray[np.float64],
    exog: NDArray[np.float64],
    z: NDArray[np.float64],
    codes: NDArray[np.intp],
) -> tuple[_Fit | None, list[Note]]:
    """The exact REML fit; when it does not converge, the first converged statsmodels fit,
    else the last finite one (module docstring)."""
    exact = reml_random_effects(y, exog, z, codes)
    if exact.converged:
        return _Fit(exact.cov_re, exact.scale, True, exact.method), []
    LOG.debug("exact REML of the growth model did not converge; trying statsmodels MixedLM")
    fit = statsmodels_reml(y, exog, codes, exog_re=z)
    if fit is None:
        finite = np.isfinite(exact.cov_re).all() and np.isfinite(exact.scale)
        return (_Fit(exact.cov_re, exact.scale, False, exact.method) if finite else None), []
    notes = []
    if fit.converged:
        notes.append(
            Note(
                "growth_refit",
                "The exact REML search did not converge; the estimates come from "
                f"{fit.estimator}, which did.",
            )
        )
    return _Fit(fit.cov_re, fit.scale, fit.converged, fit.estimator), notes


def is_singular(cov_re: NDArray[np.float64], scale: float) -> bool:
    """``lme4::isSingular``: a diagonal element of the Cholesky factor of G/σ² below 1e-4."""
    rel = np.asarray(cov_re, dtype=np.float64) / scale
    try:
        chol = np.linalg.cholesky(rel)
    except np.linalg.LinAlgError:
        return True
    return bool(np.min(np.abs(np.diag(chol))) < SINGULAR_TOL)


def _design_problem(exog: NDArray[np.float64], time: NDArray[np.float64], n_groups: int) -> str:
    """Why the design cannot be fitted, or ``""``."""
    n_obs, p = exog.shape
    if n_groups < 3:
        return f"{n_groups} participants are too few for random intercepts and slopes"
    if n_obs <= 2 * n_groups:
        return (
            f"{n_obs} observations of {n_groups} participants are not more than the "
            f"{2 * n_groups} random effects, so the variance components are not identifiable"
        )
    if np.ptp(time) == 0:
        return "time is constant"
    if np.linalg.matrix_rank(exog) < p:
        return "singular design: collinear fixed effects"
    return ""


def _check_inputs(
    y: NDArray[np.float64],
    exog: NDArray[np.float64],
    time: NDArray[np.float64],
    groups: NDArray[Any],
) -> None:
    n = y.size
    shapes = {"y": (y.shape, (n,)), "time": (time.shape, (n,)), "groups": (groups.shape, (n,))}
    problems = [
        f"The '{name}' parameter of fit_random_slope must have shape {want}. Got {got}."
        for name, (got, want) in shapes.items()
        if got != want
    ]
    if exog.ndim != 2 or exog.shape[0] != n:
        problems.append(
            f"The 'exog' parameter of fit_random_slope must have {n} rows. Got shape {exog.shape}."
        )
    for name, arr in (("y", y), ("exog", exog), ("time", time)):
        if not np.isfinite(arr).all():
            problems.append(
                f"The '{name}' parameter of fit_random_slope must be finite; drop the "
                "observations with missing values first."
            )
    if problems:
        raise ValueError(" ".join(problems))


def fit_random_slope(
    y: NDArray[np.float64],
    exog: NDArray[np.float64],
    time: NDArray[np.float64],
    groups: NDArray[Any],
    *,
    names: list[str],
    confidence_level: float = 0.95,
) -> GrowthModelResult:
    r"""Fit :math:`y_{ij} = x_{ij}^\top\beta + u_{0i} + u_{1i}t_{ij} + \varepsilon_{ij}` by REML.

    Parameters
    ----------
    y : ndarray, shape (n_obs,)
        Outcome (no missing values).
    exog : ndarray, shape (n_obs, p)
        Fixed-effects design, including the intercept and time columns.
    time : ndarray, shape (n_obs,)
        Time of each observation, the covariate of the random slope.
    groups : ndarray, shape (n_obs,)
        Participant of each observation.
    names : list of str
        Names of the ``exog`` columns.
    confidence_level : float, default 0.95
        Level of the t intervals.

    Returns
    -------
    GrowthModelResult
        Never raises for a numerical failure: the status says what happened.

    Raises
    ------
    ValueError
        When ``y``, ``exog`` or ``time`` is not finite or the shapes do not match.

    Notes
    -----
    The random effects :math:`(u_{0i}, u_{1i})` have an unstructured covariance :math:`G`
    (Laird & Ware, 1982). Each fixed effect is tested with :math:`t = \hat\beta/\mathrm{SE}`
    on Satterthwaite's degrees of freedom :math:`\nu` (Satterthwaite, 1946; Kuznetsova et
    al., 2017) and has the interval :math:`\hat\beta \pm t_{1-\alpha/2,\nu}\mathrm{SE}`. A
    fit is singular when a diagonal element of the Cholesky factor of :math:`G/\sigma^2` is
    below :math:`10^{-4}` (``lme4::isSingular``; Bates et al., 2015). On the ``sleepstudy``
    data, ``Reaction ~ Days`` with ``(Days | Subject)`` gives lmerTest's printed estimates
    (251.405, 10.467), SEs (6.825, 1.546), df (17.000, 17.000) and variance components
    (612.09, 35.07, correlation 0.07, residual 654.94; lme4 prints 612.09 or 612.10 for the
    first, by version).

    References
    ----------
    .. [1] Laird, N. M., & Ware, J. H. (1982). Random-effects models for longitudinal data.
       *Biometrics*, 38(4), 963-974.
    .. [2] Satterthwaite, F. E. (1946). An approximate distribution of estimates of variance
       components. *Biometrics Bulletin*, 2(6), 110-114.
    .. [3] Kuznetsova, A., Brockhoff, P. B., & Christensen, R. H. B. (2017). lmerTest
       package: Tests in linear mixed effects models. *Journal of Statistical Software*,
       82(13), 1-26.
    .. [4] Bates, D., Mächler, M., Bolker, B., & Walker, S. (2015). Fitting linear
       mixed-effects models using lme4. *Journal of Statistical Software*, 67(1), 1-48.
    """
    level = float(confidence_level)
    yv = np.asarray(y, dtype=np.float64)
    xv = np.asarray(exog, dtype=np.float64)
    tv = np.asarray(time, dtype=np.float64)
    _check_inputs(yv, xv, tv, np.asarray(groups))
    codes, uniq = pd.factorize(pd.Series(np.asarray(groups, dtype=object)))
    base = GrowthModelResult(n_participants=len(uniq), n_obs=int(yv.size), confidence_level=level)
    problem = _design_problem(xv, tv, len(uniq))
    if problem:
        return replace(base, status=Status.NOT_ESTIMABLE, reason=problem)
    z = np.column_stack([np.ones(yv.size), tv])
    fit, notes = _reml_fit(yv, xv, z, codes)
    if fit is None:
        reason = "the model could not be fitted by any of the REML methods tried"
        return replace(base, status=Status.NOT_ESTIMABLE, reason=reason)
    status = Status.OK
    if not fit.converged:
        status = Status.NOT_CONVERGED
        notes.append(
            Note(
                "growth_not_converged",
                "The model did not converge with any of the REML methods tried (the exact "
                "search and statsmodels' optimizers); its numbers are shown for completeness "
                "and are not interpreted.",
            )
        )
    elif is_singular(fit.cov_re, fit.scale):
        status = Status.SINGULAR
        notes.append(
            Note(
                "growth_singular",
                "The random-effects covariance was estimated at its boundary (a variance of "
                "zero or an intercept-slope correlation of ±1): the data do not support random "
                "slopes and intercepts together, so the estimates are shown flagged.",
            )
        )
    sat = satterthwaite(yv, xv, codes, cov_re=fit.cov_re, scale=fit.scale, exog_re=z)
    if not np.isfinite(sat.df).all():
        notes.append(
            Note(
                "satterthwaite_unavailable",
                "Satterthwaite's degrees of freedom could not be computed (the variance "
                "parameters' information matrix is not positive definite), so those t tests "
                "are left empty.",
            )
        )
    return replace(
        base,
        fixed_effects=_effects(sat.beta, sat.se, sat.df, names, level),
        intercept_variance=float(fit.cov_re[0, 0]),
        slope_variance=float(fit.cov_re[1, 1]),
        intercept_slope_covariance=float(fit.cov_re[0, 1]),
        residual_variance=fit.scale,
        converged=fit.converged,
        estimator=fit.estimator,
        df_method="Satterthwaite",
        status=status,
        warnings=tuple(notes),
    )
