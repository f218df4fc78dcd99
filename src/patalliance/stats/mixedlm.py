r"""The linear random-intercept model fitted with statsmodels ``MixedLM``, with a parametric
bootstrap interval for one fixed effect.

The point estimates come from statsmodels (REML); the bootstrap refits use the exact
vectorized REML of :mod:`patalliance.stats.mixed`. Numerical failures never raise: they are a
status with a reason.
"""

from __future__ import annotations

import warnings as _warnings
from dataclasses import asdict, dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from patalliance.stats.mixed import reml_random_intercept_batch
from patalliance.status import Status

__all__ = ["FixedEffect", "MixedModelResult", "fit_random_intercept"]


def _messages(caught: list[_warnings.WarningMessage]) -> list[str]:
    return list(dict.fromkeys(f"{w.category.__name__}: {w.message}" for w in caught))


@dataclass(frozen=True)
class FixedEffect:
    """One fixed effect with its Wald z test and interval."""

    term: str
    estimate: float
    se: float
    z: float
    p: float
    ci_low: float
    ci_high: float


@dataclass(frozen=True)
class MixedModelResult:
    """A random-intercept linear mixed model. ``status``: ``ok``, ``not_converged`` or ``not_estimable``."""

    outcome: str
    predictor: str
    groups: str
    n_groups: int
    n_obs: int
    fixed_effects: tuple[FixedEffect, ...] = ()
    group_variance: float = float("nan")
    residual_variance: float = float("nan")
    converged: bool = False
    inference: str = "Wald z"
    method: str = "REML"
    boot_ci_low: float = float("nan")
    boot_ci_high: float = float("nan")
    n_boot: int = 0
    n_boot_valid: int = 0
    confidence_level: float = 0.95
    status: Status = Status.OK
    reason: str = ""
    warnings: tuple[str, ...] = field(default_factory=tuple)

    def to_frame(self) -> pd.DataFrame:
        """One row per fixed effect, with the model's outcome, predictor and n."""
        frame = pd.DataFrame([asdict(f) for f in self.fixed_effects])
        frame.insert(0, "predictor", self.predictor)
        frame.insert(0, "outcome", self.outcome)
        frame["n_groups"] = self.n_groups
        frame["n_obs"] = self.n_obs
        return frame


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
    r"""Fit :math:`y_{ij} = x_{ij}^\top\beta + u_i + \varepsilon_{ij}` by REML (statsmodels).

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
        Labels stored in the result.
    n_boot : int, default 0
        Parametric-bootstrap resamples (0: none).
    rng : numpy.random.Generator, optional
        Required when ``n_boot > 0``.
    confidence_level : float, default 0.95
        Level of the Wald and bootstrap intervals.

    Returns
    -------
    MixedModelResult
        Never raises for a numerical failure: ``status = not_estimable`` with a ``reason``;
        ``not_converged`` when the optimizer did not converge; statsmodels warnings
        (convergence, boundary) in ``warnings``.

    Notes
    -----
    :math:`u_i \sim N(0, \sigma_u^2)`, :math:`\varepsilon_{ij} \sim N(0, \sigma^2)`; fixed
    effects are tested with Wald :math:`z = \hat\beta/\mathrm{SE}` and intervals
    :math:`\hat\beta \pm z_{1-\alpha/2}\mathrm{SE}` (Laird & Ware, 1982). The parametric
    bootstrap simulates :math:`y^* = X\hat\beta + u^* + \varepsilon^*` from the fitted
    variances, refits all replicates at once with the exact vectorized REML of
    :func:`patalliance.stats.mixed.reml_random_intercept_batch` (the same estimator as
    ``MixedLM``, without its iterative optimizer), and takes percentile bounds of
    :math:`\hat\beta^*_{focus}` (Efron & Tibshirani, 1993, ch. 6); refits that do not
    converge are left out and counted, and refits on the zero-variance boundary are counted.

    References
    ----------
    .. [1] Laird, N. M., & Ware, J. H. (1982). Random-effects models for longitudinal data.
       *Biometrics*, 38(4), 963-974.
    .. [2] Efron, B., & Tibshirani, R. J. (1993). *An Introduction to the Bootstrap*.
       Chapman & Hall/CRC.
    .. [3] Seabold, S., & Perktold, J. (2010). statsmodels: Econometric and statistical
       modeling with Python. *Proceedings of the 9th Python in Science Conference*, 92-96.
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
    )
    problem = _design_problem(exog, names, n_groups, n_obs, groups_name)
    if problem:
        return replace(base, status=Status.NOT_ESTIMABLE, reason=problem)
    try:
        fe, se, sig_u, sig_e, converged, notes = _fit_mixedlm(y, exog, codes)
    except _FitFailedError as exc:
        return replace(base, status=Status.NOT_ESTIMABLE, reason=exc.reason, warnings=exc.warnings)
    if not converged:
        notes.append("the REML optimizer did not converge; estimates may be unreliable")
    if sig_u <= 1e-8 * max(sig_e, 1e-300):
        notes.append(
            f"singular fit: the {groups_name} random-intercept variance is estimated at (or "
            f"near) zero, so the model reduces to ordinary regression"
        )
    lo = hi = float("nan")
    valid = 0
    if n_boot > 0 and rng is not None and np.isfinite(fe).all():
        boot = _parametric_bootstrap(
            exog, codes, fe, sig_u, sig_e, names.index(focus), n_boot, level, rng, groups_name
        )
        lo, hi, valid = boot[0], boot[1], boot[2]
        notes.extend(boot[3])
    return replace(
        base,
        fixed_effects=_wald(fe, se, names, level),
        group_variance=sig_u,
        residual_variance=sig_e,
        converged=converged,
        boot_ci_low=lo,
        boot_ci_high=hi,
        n_boot=int(n_boot),
        n_boot_valid=valid,
        status=Status.OK if converged else Status.NOT_CONVERGED,
        warnings=tuple(dict.fromkeys(notes)),
    )


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


class _FitFailedError(Exception):
    def __init__(self, reason: str, warnings: tuple[str, ...]) -> None:
        super().__init__(reason)
        self.reason = reason
        self.warnings = warnings


def _fit_mixedlm(
    y: NDArray[np.float64], exog: NDArray[np.float64], codes: NDArray[np.intp]
) -> tuple[NDArray[np.float64], NDArray[np.float64], float, float, bool, list[str]]:
    """statsmodels ``MixedLM`` by REML: (fe, se, sigma2_u, sigma2_e, converged, warnings).

    Raises ``_FitFailedError`` (reason and warnings) when statsmodels raises.
    """
    from statsmodels.regression.mixed_linear_model import MixedLM

    with _warnings.catch_warnings(record=True) as caught:
        _warnings.simplefilter("always")
        try:
            fit = MixedLM(y, exog, groups=codes).fit(reml=True)
            fe = np.asarray(fit.fe_params)
            se = np.asarray(fit.bse_fe)
            sig_u = float(np.asarray(fit.cov_re)[0, 0])
            sig_e = float(fit.scale)
            converged = bool(fit.converged)
        except Exception as exc:  # statsmodels raises many types on degenerate data
            reason = f"the model could not be fitted ({type(exc).__name__}: {exc})"
            raise _FitFailedError(reason, tuple(_messages(caught))) from None
    return fe, se, sig_u, sig_e, converged, _messages(caught)


def _wald(
    fe: NDArray[np.float64], se: NDArray[np.float64], names: list[str], level: float
) -> tuple[FixedEffect, ...]:
    """Wald z tests and intervals of the fixed effects."""
    from scipy import stats

    zc = float(stats.norm.ppf(0.5 + level / 2.0))
    with np.errstate(divide="ignore", invalid="ignore"):
        z = fe / se
    pz = 2.0 * stats.norm.sf(np.abs(z))
    return tuple(
        FixedEffect(names[j], float(fe[j]), float(se[j]), float(z[j]), float(pz[j]),
                    float(fe[j] - zc * se[j]), float(fe[j] + zc * se[j]))
        for j in range(len(names))
    )  # fmt: skip


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
) -> tuple[float, float, int, list[str]]:
    """Percentile interval of the focus effect from simulated refits: (low, high, valid, notes)."""
    n_obs, n_groups = exog.shape[0], int(codes.max()) + 1
    mean = exog @ fe
    u = rng.normal(0.0, np.sqrt(max(sig_u, 0.0)), size=(n_boot, n_groups))
    e = rng.normal(0.0, np.sqrt(sig_e), size=(n_boot, n_obs))
    ystar = mean + u[:, codes] + e
    boot = reml_random_intercept_batch(ystar, exog, codes)
    ok = boot.converged & np.isfinite(boot.beta[:, j_focus])
    failed = int(n_boot - ok.sum())
    draws = np.asarray(boot.beta[ok, j_focus])
    notes = []
    at_zero = int((boot.theta[ok] == 0.0).sum())
    if at_zero:
        notes.append(
            f"{at_zero} of {n_boot} bootstrap refits had the {groups_name} random-intercept "
            f"variance at the boundary (zero)"
        )
    if failed:
        notes.append(f"{failed} of {n_boot} bootstrap refits did not converge and were left out")
    lo = hi = float("nan")
    if draws.size:
        lo, hi = (float(v) for v in np.quantile(draws, [0.5 - level / 2.0, 0.5 + level / 2.0]))
    return lo, hi, int(draws.size), notes
