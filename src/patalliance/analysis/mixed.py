"""Linear mixed models (``[[analysis.mixed_models]]``): the outcome over all follow-ups.

One model per alliance predictor: outcome at each follow-up ~ time (categorical) + predictor
(+ baseline), with a random intercept per participant, fitted by REML with statsmodels
``MixedLM``. Unlike one correlation per timepoint with pairwise deletion, it uses every
observed follow-up of every participant with the predictor. With N ≈ 24 the Wald z interval
can be too narrow, so the predictor's effect also gets a seeded parametric-bootstrap interval,
whose refits use the vectorized exact REML of :mod:`patalliance.stats.mixed`.

Convergence problems and singular fits never raise: they are recorded as ``warnings`` (and
``converged = false``) in the results.
"""

from __future__ import annotations

import warnings as _warnings
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from patalliance.derive import AnalysisTable
from patalliance.stats.mixed import reml_random_intercept_batch
from patalliance.study import MixedModelSpec, Study

__all__ = ["FixedEffect", "MixedModelResult", "fit_random_intercept", "run_mixed_models"]

_FAMILY_STREAM = 4


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
    """A random-intercept linear mixed model. ``status``: ``"ok"`` or ``"not estimable"``."""

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
    status: str = "ok"
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

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready, with the predictor's estimate copied to ``effect``/``effect_*``."""
        doc = asdict(self)
        eff = next((f for f in self.fixed_effects if f.term == self.predictor), None)
        doc["effect"] = eff.estimate if eff else float("nan")
        doc["effect_se"] = eff.se if eff else float("nan")
        doc["effect_p"] = eff.p if eff else float("nan")
        doc["effect_ci_low"] = eff.ci_low if eff else float("nan")
        doc["effect_ci_high"] = eff.ci_high if eff else float("nan")
        return doc


def _messages(caught: list[_warnings.WarningMessage]) -> list[str]:
    return list(dict.fromkeys(f"{w.category.__name__}: {w.message}" for w in caught))


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
        Never raises for a numerical failure: ``status = "not estimable"`` with a ``reason``,
        and statsmodels warnings (convergence, boundary) in ``warnings``.

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
    from scipy import stats
    from statsmodels.regression.mixed_linear_model import MixedLM

    level = float(confidence_level)
    codes, uniq = pd.factorize(pd.Series(groups))
    n_groups, n_obs = len(uniq), len(y)
    base: dict[str, Any] = {
        "outcome": outcome,
        "predictor": focus,
        "groups": groups_name,
        "n_groups": n_groups,
        "n_obs": n_obs,
        "confidence_level": level,
    }
    p = exog.shape[1]
    if n_groups < 3 or n_obs < p + 2:
        return MixedModelResult(
            **base,
            status="not estimable",
            reason=f"{n_groups} {groups_name}s and {n_obs} observations are too few for a "
            f"model with {p} fixed effects and a random intercept",
        )
    constant = [names[j] for j in range(1, p) if np.ptp(exog[:, j]) == 0]
    if constant or np.linalg.matrix_rank(exog) < p:
        why = f"{', '.join(constant)} constant" if constant else "collinear fixed effects"
        return MixedModelResult(**base, status="not estimable", reason=f"singular design: {why}")
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
            return MixedModelResult(
                **base,
                status="not estimable",
                reason=f"the model could not be fitted ({type(exc).__name__}: {exc})",
                warnings=tuple(_messages(caught)),
            )
    notes = _messages(caught)
    if not converged:
        notes.append("the REML optimizer did not converge; estimates may be unreliable")
    if sig_u <= 1e-8 * max(sig_e, 1e-300):
        notes.append(
            f"singular fit: the {groups_name} random-intercept variance is estimated at (or "
            f"near) zero, so the model reduces to ordinary regression"
        )
    zc = float(stats.norm.ppf(0.5 + level / 2.0))
    with np.errstate(divide="ignore", invalid="ignore"):
        z = fe / se
    pz = 2.0 * stats.norm.sf(np.abs(z))
    effects = tuple(
        FixedEffect(names[j], float(fe[j]), float(se[j]), float(z[j]), float(pz[j]),
                    float(fe[j] - zc * se[j]), float(fe[j] + zc * se[j]))
        for j in range(p)
    )  # fmt: skip
    lo = hi = float("nan")
    valid = 0
    if n_boot > 0 and rng is not None and np.isfinite(fe).all():
        j_focus = names.index(focus)
        mean = exog @ fe
        u = rng.normal(0.0, np.sqrt(max(sig_u, 0.0)), size=(n_boot, n_groups))
        e = rng.normal(0.0, np.sqrt(sig_e), size=(n_boot, n_obs))
        ystar = mean + u[:, codes] + e
        boot = reml_random_intercept_batch(ystar, exog, codes)
        ok = boot.converged & np.isfinite(boot.beta[:, j_focus])
        failed = int(n_boot - ok.sum())
        draws = boot.beta[ok, j_focus]
        at_zero = int((boot.theta[ok] == 0.0).sum())
        if at_zero:
            notes.append(
                f"{at_zero} of {n_boot} bootstrap refits had the {groups_name} random-intercept "
                f"variance at the boundary (zero)"
            )
        if failed:
            notes.append(
                f"{failed} of {n_boot} bootstrap refits did not converge and were left out"
            )
        arr = np.asarray(draws)
        valid = int(arr.size)
        if valid:
            lo, hi = (float(v) for v in np.quantile(arr, [0.5 - level / 2.0, 0.5 + level / 2.0]))
    return MixedModelResult(
        **base,
        fixed_effects=effects,
        group_variance=sig_u,
        residual_variance=sig_e,
        converged=converged,
        boot_ci_low=lo,
        boot_ci_high=hi,
        n_boot=int(n_boot),
        n_boot_valid=valid,
        warnings=tuple(dict.fromkeys(notes)),
    )


def mixed_model(
    table: AnalysisTable,
    spec: MixedModelSpec,
    predictor: str,
    *,
    rng: np.random.Generator,
    confidence_level: float = 0.95,
) -> MixedModelResult:
    """Long-format data for one predictor of ``spec`` and its random-intercept model.

    Participants need the predictor (and the baseline covariate when given); every
    follow-up where the outcome is present is one observation. See
    :func:`fit_random_intercept` for the model.
    """
    vals = table.values
    tps = spec.timepoints
    outcome = np.column_stack([vals[f"{spec.outcome}@{tp}"].to_numpy(dtype=float) for tp in tps])
    pred = vals[predictor].to_numpy(dtype=float)
    keep = ~np.isnan(pred)
    covs = [pred]
    names = ["Intercept", *[f"time[{tp}]" for tp in tps[1:]], predictor]
    if spec.baseline is not None:
        basev = vals[spec.baseline].to_numpy(dtype=float)
        keep &= ~np.isnan(basev)
        covs.append(basev)
        names.append(spec.baseline)
    rows, cols = np.nonzero(~np.isnan(outcome) & keep[:, None])
    y = outcome[rows, cols]
    time = (cols[:, None] == np.arange(1, len(tps))[None, :]).astype(float)
    exog = np.column_stack([np.ones(y.size), time, *[c[rows] for c in covs]])
    return fit_random_intercept(
        y,
        exog,
        np.asarray(vals.index)[rows],
        names=names,
        focus=predictor,
        outcome=spec.outcome,
        n_boot=spec.n_boot,
        rng=rng,
        confidence_level=confidence_level,
    )


def run_mixed_models(study: Study, table: AnalysisTable) -> list[dict[str, Any]]:
    """Every predictor of every ``[[analysis.mixed_models]]`` entry, JSON-ready."""
    out = []
    plan = study.analysis
    for i, spec in enumerate(plan.mixed_models):
        for j, predictor in enumerate(spec.predictors):
            rng = np.random.default_rng(np.random.SeedSequence([plan.seed, _FAMILY_STREAM, i, j]))
            res = mixed_model(
                table, spec, predictor, rng=rng, confidence_level=plan.confidence_level
            )
            out.append(
                {
                    "label": spec.label,
                    "timepoints": list(spec.timepoints),
                    "baseline": spec.baseline,
                    **res.to_dict(),
                }
            )
    return out
