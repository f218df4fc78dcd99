"""The report's "Predictors (regression)" and "Moderation" sections and their methods text.

Each regression model gets a coefficient table (b, SE, the interval at the model's own
confidence level, β, t, p, VIF) and APA sentences; each moderation model gets its
coefficients, the simple slopes, the Johnson–Neyman boundaries, an interaction plot with one
line per value of the moderator and, for a continuous moderator, a Johnson–Neyman plot. The
standard-error type and the Johnson–Neyman method come from the results themselves. Numbers
are rounded here and only here.
"""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
import pandas as pd

from patalliance.analysis.moderation import ModerationRecord
from patalliance.analysis.results import AnalysisResults
from patalliance.report import apa
from patalliance.report.labels import Labeler
from patalliance.report.moderation_figures import interaction_figure, jn_figure
from patalliance.report.sections import Figure, Section
from patalliance.stats.moderation import ModerationResult
from patalliance.stats.regression import HC3_BELOW_N, BootstrapCoefficients, OLSResult
from patalliance.status import Status

__all__ = ["moderation_section", "regression_methods", "regression_section"]

LONG_ERVIN_2000 = (
    "Long, J. S., & Ervin, L. H. (2000). Using heteroscedasticity consistent standard errors "
    "in the linear regression model. The American Statistician, 54(3), 217-224. "
    "https://doi.org/10.1080/00031305.2000.10474549"
)
HAYES_2022 = (
    "Hayes, A. F. (2022). Introduction to mediation, moderation, and conditional process "
    "analysis: A regression-based approach (3rd ed.). Guilford Press."
)
BAUER_CURRAN_2005 = (
    "Bauer, D. J., & Curran, P. J. (2005). Probing interactions in fixed and multilevel "
    "regression: Inferential and graphical techniques. Multivariate Behavioral Research, "
    "40(3), 373-400. https://doi.org/10.1207/s15327906mbr4003_5"
)


def _n(x: Any, d: int = 2) -> str:
    return apa.fmt_num(x, d)


def _lz(x: Any, d: int = 2) -> str:
    return apa.fmt_num(x, d, leading_zero=False)


def _se_words(se_types: set[str]) -> str:
    words = {
        "hc3": "HC3 heteroscedasticity-consistent standard errors (Long & Ervin, 2000)",
        "classical": "classical OLS standard errors",
    }
    return " or ".join(words[s] for s in sorted(se_types))


def regression_methods(results: AnalysisResults, refs: list[str]) -> list[str]:
    """Methods sentences for the regression and moderation models, naming the standard-error
    type of the fitted models and the Johnson–Neyman method."""
    fits: list[OLSResult] = [r.result for r in results.regressions]
    fits += [m.result.model for m in results.moderation]
    if not fits:
        return []
    level = apa.ci_label(results.confidence_level)
    se_types = {f.se_type for f in fits if f.status == Status.OK} or {fits[0].se_type}
    if "hc3" in se_types:
        refs.append(LONG_ERVIN_2000)
    out = []
    if results.regressions:
        out.append(
            "Predictors were examined with ordinary least-squares regression on the "
            "participants with every variable of the model (listwise deletion); text "
            "variables were dummy-coded with the first level in alphabetical order as the "
            "reference. Standardized coefficients (β) and variance inflation factors (VIF) "
            "are reported, and the F test of the model uses the same covariance matrix as "
            "the coefficients' t tests."
        )
        boots = [r.bootstrap.n_boot for r in results.regressions if r.bootstrap is not None]
        if boots:
            out.append(
                "Where requested, coefficients also have nonparametric percentile bootstrap "
                f"intervals ({', '.join(f'{b:,}' for b in sorted(set(boots)))} resamples of "
                f"the complete cases, seeded with {results.study.analysis.seed})."
            )
    if results.moderation:
        refs.extend([HAYES_2022, BAUER_CURRAN_2005])
        jn = results.moderation[0].result.jn_method
        out.append(
            "Moderation was tested as in PROCESS model 1 (Hayes, 2022): the predictor and a "
            "continuous moderator were mean-centred before their product was formed, and the "
            "conditional effect of the predictor was estimated at 1 SD below the mean, the "
            "mean and 1 SD above the mean of a continuous moderator, or at each level of a "
            "categorical one. For a continuous moderator, the Johnson–Neyman boundaries of "
            f"the region of significance were found as the {jn} (Bauer & Curran, 2005), "
            "at α = 1 − the confidence level."
        )
    out.append(
        f"These models used {_se_words(se_types)}; HC3 is the default below {HC3_BELOW_N} "
        f"complete cases. Their t tests and {level} confidence intervals use the residual "
        "degrees of freedom."
    )
    return out


def _coef_rows(
    fit: OLSResult, lab: Labeler, model: str, boot: BootstrapCoefficients | None = None
) -> list[dict[str, Any]]:
    ci = f"b {apa.ci_label(fit.confidence_level)} CI"
    rows = [
        {
            "Model": model,
            "Term": _term(c.term, lab),
            "b": _n(c.estimate),
            "SE": _n(c.se),
            ci: apa.fmt_interval(c.ci_low, c.ci_high),
            "β": _n(c.beta) if np.isfinite(c.beta) else "",
            f"t({apa.fmt_int(c.df)})": _n(c.t),
            "p": apa.fmt_p_value(c.p),
            "VIF": _n(c.vif) if np.isfinite(c.vif) else "",
        }
        for c in fit.coefficients
    ]
    if boot is not None:
        head = f"Bootstrap {apa.ci_label(boot.confidence_level)} CI"
        for row, lo, hi in zip(rows, boot.ci_low, boot.ci_high, strict=True):
            row[head] = apa.fmt_interval(lo, hi)
    return rows


def _term(term: str, lab: Labeler) -> str:
    if term == "intercept":
        return "Intercept"
    return " × ".join(lab.term(part) for part in term.split("×"))


def _fit_sentence(fit: OLSResult, lab: Labeler) -> str:
    excluded = f", {fit.n_excluded} left out for a missing value" if fit.n_excluded else ""
    return (
        f"R² = {_lz(fit.r2)}, adjusted R² = {_lz(fit.adj_r2)}, "
        f"F({apa.fmt_int(fit.f_df1)}, {apa.fmt_int(fit.f_df2)}) = {_n(fit.f)}, "
        f"{apa.fmt_p(fit.f_p)}, n = {fit.n}{excluded}; "
        f"{'HC3' if fit.se_type == 'hc3' else 'classical'} standard errors"
    )


def _model_name(label: str, fit: OLSResult, lab: Labeler) -> str:
    return label or lab.variable(fit.outcome)


def regression_section(res: AnalysisResults, lab: Labeler) -> Section:
    """The "Predictors (regression)" section: one table of coefficients for every model."""
    rows: list[dict[str, Any]] = []
    paras: list[str] = []
    for rec in res.regressions:
        fit = rec.result
        name = _model_name(rec.label, fit, lab)
        if fit.status != Status.OK:
            paras.append(f"{name}: not estimable ({fit.reason}); n = {fit.n}.")
            continue
        rows.extend(_coef_rows(fit, lab, name, rec.bootstrap))
        if rec.bootstrap is not None:
            paras.append(
                f"{name}: percentile bootstrap intervals from {rec.bootstrap.n_boot_valid} "
                f"valid resamples of {rec.bootstrap.n_boot}."
            )
        paras.append(
            f"{name}: regression of {lab.variable(fit.outcome)}, {_fit_sentence(fit, lab)}."
        )
        level = fit.confidence_level
        for c in fit.coefficients[1:]:
            paras.append(
                f"{_term(c.term, lab)}: b = {_n(c.estimate)}, "
                f"{apa.fmt_ci(c.ci_low, c.ci_high, confidence_level=level)}, β = {_n(c.beta)}, "
                f"t({apa.fmt_int(c.df)}) = {_n(c.t)}, {apa.fmt_p(c.p)}."
            )
    return Section(
        "regressions",
        "Predictors (regression)",
        paras,
        [("Regression coefficients", pd.DataFrame(rows))] if rows else [],
        table_notes={0: "β: standardized coefficient; VIF: variance inflation factor."}
        if rows
        else {},
    )


def _jn_sentence(r: ModerationResult, lab: Labeler) -> str:
    inside = [b for b in r.jn_boundaries if r.w_min <= b <= r.w_max]
    wname = lab.variable(r.w)
    span = f"observed range {_n(r.w_min)} to {_n(r.w_max)}"
    if not inside:
        _, t = r.slope_at(np.array([(r.w_min + r.w_max) / 2]))
        where = "significant" if abs(t[0]) >= r.t_crit else "not significant"
        return (
            f"Johnson–Neyman: no boundary within the {span} of {wname}; the conditional "
            f"effect was {where} across the whole range."
        )
    cuts = [r.w_min, *inside, r.w_max]
    regions = []
    for lo, hi in itertools.pairwise(cuts):
        _, t = r.slope_at(np.array([(lo + hi) / 2]))
        if abs(t[0]) >= r.t_crit:
            regions.append(f"{_n(lo)} to {_n(hi)}")
    where = " and ".join(regions) or "no part of the range"
    return (
        f"Johnson–Neyman boundaries at {wname} = "
        f"{', '.join(_n(b) for b in inside)} ({span}): the conditional effect was "
        f"significant for {wname} from {where}."
    )


def _slope_rows(rec: ModerationRecord, lab: Labeler, name: str) -> list[dict[str, Any]]:
    r = rec.result
    ci = f"Effect {apa.ci_label(r.confidence_level)} CI"
    return [
        {
            "Model": name,
            f"{lab.variable(r.w)}": s.at
            if r.w_type == "categorical"
            else f"{s.at} ({_n(s.w_value)})",
            "Effect": _n(s.estimate),
            "SE": _n(s.se),
            ci: apa.fmt_interval(s.ci_low, s.ci_high),
            f"t({apa.fmt_int(s.df)})": _n(s.t),
            "p": apa.fmt_p_value(s.p),
        }
        for s in r.slopes
    ]


def moderation_section(res: AnalysisResults, lab: Labeler) -> Section:
    """The "Moderation" section: coefficients, simple slopes, Johnson–Neyman, and figures."""
    coef_rows: list[dict[str, Any]] = []
    slope_rows: list[dict[str, Any]] = []
    paras: list[str] = []
    figures: list[Figure] = []
    for rec in res.moderation:
        r = rec.result
        name = rec.label or f"{lab.variable(r.x)} × {lab.variable(r.w)} → {lab.variable(r.y)}"
        if r.status != Status.OK:
            paras.append(f"{name}: not estimable ({r.model.reason}); n = {r.n}.")
            continue
        coef_rows.extend(_coef_rows(r.model, lab, name))
        slope_rows.extend(_slope_rows(rec, lab, name))
        paras.append(_interaction_sentence(rec, lab, name))
        paras.append(
            "Conditional effects of "
            f"{lab.variable(r.x)}: "
            + "; ".join(
                f"at {lab.variable(r.w)} {s.at}, b = {_n(s.estimate)}, "
                f"{apa.fmt_ci(s.ci_low, s.ci_high, confidence_level=r.confidence_level)}, "
                f"t({apa.fmt_int(s.df)}) = {_n(s.t)}, {apa.fmt_p(s.p)}"
                for s in r.slopes
            )
            + "."
        )
        if r.w_type == "continuous":
            paras.append(_jn_sentence(r, lab))
        figures.append(interaction_figure(r, lab))
        if r.w_type == "continuous":
            figures.append(jn_figure(r, lab))
    tables = []
    if coef_rows:
        tables = [
            ("Moderation model coefficients", pd.DataFrame(coef_rows)),
            ("Conditional effects (simple slopes)", pd.DataFrame(slope_rows)),
        ]
    return Section("moderation", "Moderation", paras, tables, figures)


def _interaction_sentence(rec: ModerationRecord, lab: Labeler, name: str) -> str:
    r = rec.result
    terms = rec.interaction_terms
    if len(terms) == 1:
        c = r.model.coefficient(terms[0])
        stat = (
            f"b = {_n(c.estimate)}, "
            f"{apa.fmt_ci(c.ci_low, c.ci_high, confidence_level=r.confidence_level)}, "
            f"t({apa.fmt_int(c.df)}) = {_n(c.t)}, {apa.fmt_p(c.p)}; "
        )
    else:
        stat = ""
    return (
        f"{name}: interaction of {lab.variable(r.x)} and {lab.variable(r.w)}, "
        f"{stat}ΔR² = {_lz(r.r2_change)}, "
        f"F({apa.fmt_int(r.f_change_df1)}, {apa.fmt_int(r.f_change_df2)}) = "
        f"{_n(r.f_change)}, {apa.fmt_p(r.f_change_p)} ({_fit_sentence(r.model, lab)})."
    )
