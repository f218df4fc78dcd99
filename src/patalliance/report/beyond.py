"""Report sections for the analyses beyond the paper (efficacy, mediation, sensitivity, ...).

:func:`render_sections` turns the typed results of each family into a :class:`Section`: a
table, APA-style text and, where one helps, a figure (a path diagram for mediation, a
leave-one-out forest plot for the sensitivity analysis). Variables are named by their labels.
Every interval's header names its confidence level, taken from the result itself. Estimates
that are not estimable, or models that did not converge, are flagged in the table and the
text, never dropped and never reported as findings. Numbers are rounded here and only here.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import pandas as pd

from patalliance.analysis.efficacy import EfficacyResult
from patalliance.analysis.mediation import MediationRecord
from patalliance.analysis.mixed import ModelRecord
from patalliance.analysis.results import AnalysisResults
from patalliance.analysis.sensitivity import SensitivityRecord
from patalliance.report import apa
from patalliance.report.imputation import imputation_section, missingness_section
from patalliance.report.labels import Labeler
from patalliance.report.layout import fit
from patalliance.report.regression import moderation_section, regression_section
from patalliance.report.reliability import reliability_section
from patalliance.report.sections import Figure, Section
from patalliance.report.svg import new_figure, to_svg
from patalliance.report.trajectory import trajectory_section
from patalliance.status import Status

__all__ = ["render_sections", "status_text"]


def _n(x: Any, d: int = 2) -> str:
    return apa.fmt_num(x, d)


def _ci(lo: Any, hi: Any, level: float, d: int = 2, lz: bool = True) -> str:
    return apa.fmt_ci(lo, hi, confidence_level=level, decimals=d, leading_zero=lz)


def _iv(lo: Any, hi: Any, lz: bool = True) -> str:
    return apa.fmt_interval(lo, hi, leading_zero=lz)


def _head(what: str, level: float) -> str:
    """A column header naming an interval and its level: ``Difference 90% CI``."""
    return f"{what} {apa.ci_label(level)} CI".strip()


def status_text(status: Status, reason: str = "") -> str:
    """Plain words for a status, for tables."""
    words = {
        Status.OK: "ok",
        Status.PARTIAL: "partly estimable",
        Status.NOT_ESTIMABLE: "not estimable",
        Status.NOT_CONVERGED: "did not converge (not interpreted)",
        Status.SINGULAR: "singular fit",
    }[Status(status)]
    return f"{words}: {reason}" if reason and status != Status.OK else words


def _problems(items: Sequence[Any], label: Callable[[Any], str]) -> list[str]:
    """Sentences for results that are not ok, and for their warnings."""
    out = []
    for item in items:
        status, reason = item.status, getattr(item, "reason", "")
        if status != Status.OK and reason:
            out.append(f"{label(item)}: {status_text(status)} — {reason}.")
        elif status != Status.OK:
            out.append(f"{label(item)}: {status_text(status)}.")
        out.extend(f"{label(item)}: {w.message}" for w in getattr(item, "warnings", ()) or ())
    return out


def _efficacy_rows(
    spec: EfficacyResult, res: AnalysisResults, lab: Labeler
) -> list[dict[str, Any]]:
    arm = {a: info.label for a, info in res.study.arms.items()}
    t_arm, c_arm = (
        arm.get(spec.treatment_arm, spec.treatment_arm),
        arm.get(spec.control_arm, spec.control_arm),
    )
    rows = []
    for c in spec.comparisons:
        level = c.confidence_level
        rows.append(
            {
                "Timepoint": lab.timepoint(c.timepoint),
                f"{t_arm}: n": c.n_treatment,
                f"{t_arm}: M (SD)": apa.fmt_mean_sd(c.mean_treatment, c.sd_treatment),
                f"{c_arm}: n": c.n_control,
                f"{c_arm}: M (SD)": apa.fmt_mean_sd(c.mean_control, c.sd_control),
                "Difference": _n(c.diff),
                _head("Difference", level): _iv(c.diff_ci_low, c.diff_ci_high),
                "Welch p": apa.fmt_p_value(c.p),
                "Baseline-adjusted": _n(c.adjusted_diff),
                _head("Adjusted", level): _iv(c.adjusted_ci_low, c.adjusted_ci_high),
                "Adjusted p": apa.fmt_p_value(c.adjusted_p),
                "Cohen's d": _n(c.d),
                _head("d", level): _iv(c.d_ci_low, c.d_ci_high),
                "Hedges' g": _n(c.g),
                "Status": status_text(c.status),
            }
        )
    return rows


def _efficacy(res: AnalysisResults, lab: Labeler) -> Section:
    paras: list[str] = []
    tables: list[tuple[str, pd.DataFrame]] = []
    for spec in res.efficacy:
        name = lab.head(f"{spec.measure}.{spec.scale}")
        arm = {a: info.label for a, info in res.study.arms.items()}
        for c in spec.comparisons:
            if c.status == Status.NOT_ESTIMABLE:
                continue
            level = c.confidence_level
            paras.append(
                f"At {lab.timepoint(c.timepoint)}, {name} scores favoured the "
                f"{arm.get(spec.treatment_arm, spec.treatment_arm)} arm by {_n(c.diff)} points "
                f"({c.contrast}), {_ci(c.diff_ci_low, c.diff_ci_high, level)}, "
                f"t({apa.fmt_int(c.df)}) = {_n(c.t)}, {apa.fmt_p(c.p)} (Welch); "
                f"adjusted for baseline, {_n(c.adjusted_diff)}, {apa.fmt_p(c.adjusted_p)}; "
                f"Cohen's d = {_n(c.d)}, {_ci(c.d_ci_low, c.d_ci_high, level)}, "
                f"Hedges' g = {_n(c.g)}."
            )
        tables.append((f"Efficacy: {name}", pd.DataFrame(_efficacy_rows(spec, res, lab))))
        if spec.rates:
            rates = pd.DataFrame(
                [
                    {
                        "Timepoint": lab.timepoint(r.timepoint),
                        "Outcome": r.outcome,
                        "Arm": arm.get(r.arm, r.arm),
                        "n/N": f"{r.count}/{r.n}",
                        "Rate": _n(r.proportion),
                        _head("Wilson", r.confidence_level): _iv(r.ci_low, r.ci_high),
                    }
                    for r in spec.rates
                ]
            )
            tables.append(("Response and remission rates (Wilson intervals)", rates))
        paras.extend(w.message for w in spec.warnings)
    notes = {
        k: "Difference and baseline-adjusted difference: treatment benefit (see the text for the "
        "sign). Welch's t test; ANCOVA with baseline as covariate; Cohen's d with the pooled SD "
        f"and Hedges' g, with noncentral-t {apa.ci_label(res.confidence_level)} confidence "
        "intervals (Steiger & Fouladi, 1997)."
        for k, (title, _) in enumerate(tables)
        if title.startswith("Efficacy:")
    }
    return Section(
        "efficacy", "Efficacy: treatment versus waiting-list control", paras, tables,
        table_notes=notes,
    )  # fmt: skip


def _partial(res: AnalysisResults, lab: Labeler) -> Section:
    rows, paras = [], []
    for rec in res.partial_correlations:
        r = rec.result
        covs = ", ".join(lab.variable(c) for c in r.covariates)
        rows.append(
            {
                "Family": rec.family,
                "x": lab.variable(r.x),
                "y": lab.variable(r.y),
                "Covariates": covs,
                "n": r.n,
                "df": r.df,
                "partial r": apa.fmt_r(r.r),
                _head("", r.confidence_level): _iv(r.ci_low, r.ci_high, lz=False),
                "p": apa.fmt_p_value(r.p),
                "Status": status_text(r.status),
            }
        )
        if r.status == Status.OK:
            paras.append(
                f"{lab.variable(r.x)} and {lab.variable(r.y)}, controlling for {covs}: "
                f"r({apa.fmt_int(r.df)}) = {apa.fmt_r(r.r)}, "
                f"{_ci(r.ci_low, r.ci_high, r.confidence_level, lz=False)}, {apa.fmt_p(r.p)}."
            )
    paras += _problems(
        [rec.result for rec in res.partial_correlations],
        lambda r: f"{lab.variable(r.x)} × {lab.variable(r.y)}",
    )
    return Section(
        "partial-correlations",
        "Partial correlations (controlling for covariates)",
        paras,
        [("Partial correlations", pd.DataFrame(rows))],
    )


def _effect_rows(rec: ModelRecord, lab: Labeler, first: dict[str, str]) -> list[dict[str, Any]]:
    m = rec.result
    return [
        {
            **first,
            "Term": lab.term(f.term),
            "Estimate": _n(f.estimate),
            "SE": _n(f.se),
            "df": apa.fmt_int(f.df),
            "t": _n(f.t),
            "p": apa.fmt_p_value(f.p),
            _head("", m.confidence_level): _iv(f.ci_low, f.ci_high),
            "Status": status_text(m.status),
        }
        for f in m.fixed_effects
    ]


def _model_sentence(rec: ModelRecord, lab: Labeler, what: str) -> str:
    """``<what>, <predictor> had b = .., SE = .., t(df) = .., p = .., CI``, flagged when needed."""
    m, eff = rec.result, rec.effect
    assert eff is not None
    level = m.confidence_level
    kind = (
        "ordinary regression, as the fit was singular"
        if m.status == Status.SINGULAR
        else (f"t test with {m.df_method} df")
    )
    text = (
        f"{what}, {lab.variable(m.predictor)} had b = {_n(eff.estimate)}, SE = {_n(eff.se)}, "
        f"t({apa.fmt_int(eff.df)}) = {_n(eff.t)}, {apa.fmt_p(eff.p)} ({kind}), "
        f"{_ci(eff.ci_low, eff.ci_high, level)}"
    )
    if m.n_boot_valid:
        text += (
            f"; parametric bootstrap {_ci(m.boot_ci_low, m.boot_ci_high, level)} "
            f"({m.n_boot_valid} resamples)"
        )
    if m.status == Status.NOT_CONVERGED:
        text += (
            ". The model did not converge: these numbers are shown for completeness and are "
            "not interpreted"
        )
    return text + "."


def _mixed(res: AnalysisResults, lab: Labeler) -> Section:
    rows: list[dict[str, Any]] = []
    paras = []
    for rec in res.mixed_models:
        m = rec.result
        rows += _effect_rows(
            rec, lab, {"Outcome": lab.head(m.outcome), "Predictor model": lab.variable(m.predictor)}
        )
        if m.status != Status.NOT_ESTIMABLE and rec.effect is not None:
            what = (
                f"In a linear mixed model of {lab.head(m.outcome)} over {len(rec.timepoints)} "
                f"follow-ups ({m.n_obs} observations of {m.n_groups} participants, random "
                f"intercept, REML)"
            )
            paras.append(_model_sentence(rec, lab, what))
    paras += _problems(
        [rec.result for rec in res.mixed_models],
        lambda m: f"Model with {lab.variable(m.predictor)}",
    )
    return Section(
        "mixed-models",
        "Linear mixed models over all follow-ups",
        paras,
        [("Fixed effects (t tests with Satterthwaite degrees of freedom)", pd.DataFrame(rows))],
        table_notes={
            0: "REML fits with a random intercept per participant. t tests and intervals use "
            "Satterthwaite's degrees of freedom (Kuznetsova et al., 2017); a singular fit (zero "
            "participant variance) shows the ordinary least-squares regression it reduces to."
        },
    )


def _path_diagram(med: MediationRecord, lab: Labeler) -> Figure:
    r = med.result
    est = {(p.path, p.mediator): p for p in r.paths}
    ms = list(r.m)
    fig = new_figure(8.0, 1.8 + 1.1 * len(ms), constrained=True)
    ax = fig.add_subplot()
    ax.set_axis_off()
    ax.set_xlim(0, 10)
    top = len(ms) + 0.5
    ax.set_ylim(-0.8, top + 0.5)
    box = {"boxstyle": "round,pad=0.4", "fc": "#F2F2F2", "ec": "#333333"}
    tx = ax.text(1, 0, lab.short(r.x) or r.x, ha="center", va="center", bbox=box, fontsize=9)
    ty = ax.text(9, 0, lab.short(r.y) or r.y, ha="center", va="center", bbox=box, fontsize=9)
    # arrows start and end at the boxes' edges (artist coordinates), whatever the label length
    arrow = {"arrowstyle": "->", "color": "#0072B2", "lw": 1.2, "shrinkA": 6, "shrinkB": 6}
    for i, m in enumerate(ms):
        y = top - i - 0.2
        a, b = est.get(("a", m)), est.get(("b", m))
        # the a and b paths of each mediator are written in its box: no label crosses an arrow
        paths = f"\na = {_n(a.estimate)}, b = {_n(b.estimate)}" if a and b else ""
        tm = ax.text(
            5, y, (lab.short(m) or m) + paths, ha="center", va="center", bbox=box, fontsize=9
        )
        ax.annotate("", xy=(0, 0.5), xycoords=tm, xytext=(0.5, 1), textcoords=tx, arrowprops=arrow)
        ax.annotate("", xy=(0.5, 1), xycoords=ty, xytext=(1, 0.5), textcoords=tm, arrowprops=arrow)
    ax.annotate(
        "",
        xy=(0, 0.5),
        xycoords=ty,
        xytext=(1, 0.5),
        textcoords=tx,
        arrowprops={**arrow, "color": "#D55E00"},
    )
    c, cp = est.get(("c", "")), est.get(("c_prime", ""))
    if c and cp:
        ax.text(5, -0.45, f"c = {_n(c.estimate)}, c′ = {_n(cp.estimate)}", ha="center", fontsize=9)
    names = ", ".join(lab.variable(m) for m in ms)
    alt = (
        f"Path diagram: {lab.variable(r.x)} to {names} to {lab.variable(r.y)}, with "
        "unstandardized a, b, c and c′ paths."
    )
    return Figure(
        to_svg(fig, "mediation"),
        f"Mediation model for {lab.variable(r.y)} (unstandardized OLS paths).",
        alt,
    )


def _mediation_rows(med: MediationRecord, lab: Labeler) -> list[dict[str, Any]]:
    r = med.result
    level = r.confidence_level
    model = f"{lab.variable(r.x)} → {lab.variable(r.y)}"
    ci = _head("", level)
    rows = [
        {
            "Model": model,
            "Path": p.path,
            "Mediator": lab.variable(p.mediator) if p.mediator else "",
            "Estimate": _n(p.estimate),
            "SE": _n(p.se),
            "p": apa.fmt_p_value(p.p),
            ci: _iv(p.ci_low, p.ci_high),
        }
        for p in r.paths
    ]
    rows += [
        {
            "Model": model,
            "Path": "indirect (a·b)",
            "Mediator": lab.variable(ind.mediator) if ind.mediator != "total" else "total",
            "Estimate": _n(ind.estimate),
            "SE": _n(ind.boot_se),
            "p": "",
            ci: f"BCa {_iv(ind.bca_ci_low, ind.bca_ci_high)}; percentile "
            f"{_iv(ind.percentile_ci_low, ind.percentile_ci_high)}",
        }
        for ind in r.indirect
    ]
    return rows


def _mediation(res: AnalysisResults, lab: Labeler) -> Section:
    rows, paras, figures = [], [], []
    for med in res.mediation:
        r = med.result
        rows.extend(_mediation_rows(med, lab))
        for ind in r.indirect:
            via = lab.variable(ind.mediator) if ind.mediator != "total" else "all mediators"
            paras.append(
                f"Indirect effect of {lab.variable(r.x)} on {lab.variable(r.y)} via {via}: "
                f"ab = {_n(ind.estimate)}, BCa bootstrap "
                f"{_ci(ind.bca_ci_low, ind.bca_ci_high, r.confidence_level)} "
                f"({ind.n_boot_valid} resamples, n = {r.n})."
            )
        if r.status == Status.OK:
            figures.append(_path_diagram(med, lab))
    paras += _problems(
        [m.result for m in res.mediation],
        lambda m: f"Mediation {lab.variable(m.x)} → {lab.variable(m.y)}",
    )
    return Section(
        "mediation",
        "Mediation (path) models",
        paras,
        [("Paths and indirect effects", pd.DataFrame(rows))],
        figures,
    )


def _facilitator_models(models: Sequence[ModelRecord], lab: Labeler) -> pd.DataFrame:
    rows = []
    for rec in models:
        m, eff = rec.result, rec.effect
        rows.append(
            {
                "Outcome": lab.variable(m.outcome),
                "Alliance": lab.variable(m.predictor),
                "b": _n(eff.estimate if eff else None),
                "SE": _n(eff.se if eff else None),
                "df": apa.fmt_int(eff.df if eff else None),
                "t": _n(eff.t if eff else None),
                "p": apa.fmt_p_value(eff.p if eff else None),
                _head("", m.confidence_level): _iv(eff.ci_low, eff.ci_high) if eff else apa.NA,
                "Facilitator variance": _n(m.group_variance),
                "Status": status_text(m.status, m.reason),
            }
        )
    return pd.DataFrame(rows)


def _facilitator(res: AnalysisResults, lab: Labeler) -> Section:
    fac = res.facilitator
    paras = [f"Warning: {w}." for w in fac.warnings]
    if fac.status != Status.OK and fac.reason:
        paras.insert(0, f"Not estimable: {fac.reason}.")
    rows = []
    for rec in fac.icc:
        r = rec.result
        rows.append(
            {
                "Variable": lab.variable(r.variable),
                "n": r.n,
                "Facilitators": r.n_clusters,
                "ICC(1)": _n(r.icc),
                _head("", r.confidence_level): _iv(r.ci_low, r.ci_high),
                "F": _n(r.f),
                "p": apa.fmt_p_value(r.p),
            }
        )
        if r.status == Status.OK:
            text = (
                f"ICC(1) of {lab.variable(r.variable)} by facilitator = {_n(r.icc)}, "
                f"{_ci(r.ci_low, r.ci_high, r.confidence_level)}, "
                f"F({apa.fmt_int(r.df1)}, {apa.fmt_int(r.df2)}) = {_n(r.f)}, {apa.fmt_p(r.p)}."
            )
            if r.icc < 0:
                text += (
                    " A negative ICC(1) means that scores varied less between facilitators than "
                    "chance alone would produce; it is read as no facilitator effect (an ICC of "
                    "zero), not as a meaningful negative value."
                )
            paras.append(text)
    paras += _problems(
        [rec.result for rec in fac.models],
        lambda m: f"{lab.variable(m.predictor)} → {lab.variable(m.outcome)}",
    )
    tables = [("ICC(1) by facilitator", pd.DataFrame(rows))]
    if fac.cluster_sizes:
        # largest first: the order of the labels "facilitator 1..k"
        order = list(lab.ids.facilitators) or sorted(
            fac.cluster_sizes, key=lambda f: -fac.cluster_sizes[f]
        )
        sizes = pd.DataFrame(
            [
                {"Facilitator": lab.ids.facilitator(f), "Participants": fac.cluster_sizes[f]}
                for f in order
                if f in fac.cluster_sizes
            ]
        )
        tables.append(("Participants per facilitator", sizes))
    if fac.models:
        tables.append(
            (
                "Alliance–outcome with a facilitator random intercept",
                _facilitator_models(fac.models, lab),
            )
        )
    return Section("facilitator", "Facilitator effects", paras, tables)


def _forest(records: Sequence[SensitivityRecord], lab: Labeler) -> Figure | None:
    shown = [r for r in records if not apa.is_missing(r.loo_r_min) and not apa.is_missing(r.r)]
    if not shown:
        return None
    fig = new_figure(8.0, 1.0 + 0.5 * len(shown))
    ax = fig.add_subplot()
    ys = list(range(len(shown)))[::-1]
    for y, r in zip(ys, shown, strict=True):
        ax.plot([r.loo_r_min, r.loo_r_max], [y, y], color="#0072B2", lw=2.5, solid_capstyle="butt")
        ax.plot([r.r], [y], "o", color="#D55E00" if r.conclusion_flips else "#000000", ms=5)
    ax.axvline(0, color="#999999", lw=0.8)
    labels = [f"{lab.variable(r.x)} ×\n{lab.variable(r.y)}" for r in shown]
    ax.set_yticks(ys, labels, fontsize=9)
    ax.set_xlabel("r (dot: all participants;\nbar: leave-one-out range)")
    fit(fig, [ax])
    return Figure(
        to_svg(fig, "sensitivity"),
        "Leave-one-out range of each correlation; orange dots mark correlations whose "
        "significance changes when a single participant is left out.",
        "Forest plot of leave-one-out correlation ranges for each pair.",
    )


def _sensitivity(res: AnalysisResults, lab: Labeler) -> Section:
    recs = list(res.sensitivity)
    rows = [
        {
            "Family": r.family,
            "x": lab.variable(r.x),
            "y": lab.variable(r.y),
            "n": r.n,
            "r": apa.fmt_r(r.r),
            "Spearman": apa.fmt_r(r.spearman_r),
            _head("BCa", r.confidence_level): _iv(r.bca_ci_low, r.bca_ci_high, lz=False),
            "LOO range": f"{apa.fmt_r(r.loo_r_min)} to {apa.fmt_r(r.loo_r_max)}",
            "Most influential": lab.ids.participant(r.most_influential),
            "p": apa.fmt_p_value(r.p),
            "p Holm": apa.fmt_p_value(r.p_holm),
            "p FDR": apa.fmt_p_value(r.p_fdr_bh),
            "Depends on one participant": "yes" if r.conclusion_flips else "no",
        }
        for r in recs
    ]
    fragile = [r for r in recs if r.conclusion_flips]
    alpha = recs[0].alpha if recs else res.study.analysis.alpha
    paras = [
        f"{len(fragile)} of {len(recs)} correlations change significance (α = "
        f"{apa.fmt_r(alpha)}) when one participant is left out."
    ]
    if recs:
        paras.append(
            f"The BCa intervals come from {recs[0].n_resamples:,} bootstrap resamples; Spearman's "
            "coefficient is shown beside the plan's, and p is adjusted within each family by "
            "Holm's and by the Benjamini–Hochberg procedure."
        )
    paras += [
        f"{lab.variable(r.x)} × {lab.variable(r.y)} (r = {apa.fmt_r(r.r)}) changes significance "
        f"when any one of these participants is left out: "
        f"{', '.join(lab.ids.participant(p) for p in r.flip_participants)}. The most influential "
        f"is {lab.ids.participant(r.most_influential)} (r without "
        f"{lab.ids.participant(r.most_influential)} = {apa.fmt_r(r.most_influential_r)})."
        for r in fragile
    ]
    forest = _forest(recs, lab)
    return Section(
        "sensitivity",
        "Sensitivity analyses",
        paras,
        [("Robustness of each correlation", pd.DataFrame(rows))],
        [forest] if forest else [],
    )


def _bayes(res: AnalysisResults, lab: Labeler) -> Section:
    rows = [
        {
            "Family": r.family,
            "x": lab.variable(r.x),
            "y": lab.variable(r.y),
            "n": r.n,
            "Pearson r": apa.fmt_r(r.r),
            "BF₁₀": apa.fmt_bf(r.bf10),
        }
        for r in res.bayes_factors
    ]
    kappa = res.bayes_factors[0].kappa if res.bayes_factors else 1.0
    paras = [
        "Bayes factors use Jeffreys' test for a Pearson correlation with a stretched beta "
        f"prior (Ly, Verhagen & Wagenmakers, 2016; kappa = {_n(kappa)}; kappa = 1 is JASP's "
        "default). BF₁₀ > 3 is moderate and > 10 strong evidence for a correlation; BF₁₀ < 1/3 "
        "favours none."
    ]
    if res.study.analysis.correlation == "spearman":
        paras.append(
            "The Bayes factors test Pearson's r, shown beside them, while the correlation "
            "tables above report Spearman's r_s."
        )
    return Section(
        "bayes-factors", "Bayes factors for the correlations", paras, [("BF₁₀", pd.DataFrame(rows))]
    )


_RENDERERS: tuple[tuple[str, Callable[[AnalysisResults, Labeler], Section]], ...] = (
    ("reliability", reliability_section),
    ("efficacy", _efficacy),
    ("partial_correlations", _partial),
    ("mixed_models", _mixed),
    ("mediation", _mediation),
    ("facilitator", _facilitator),
    ("sensitivity", _sensitivity),
    ("bayes_factors", _bayes),
    ("multiple_imputation", missingness_section),
    ("multiple_imputation", imputation_section),
    ("regressions", regression_section),
    ("moderation", moderation_section),
    ("trajectories", trajectory_section),
)


def render_sections(results: AnalysisResults, labeler: Labeler) -> list[Section]:
    """One report section per family beyond the paper that the plan asked for.

    Returns
    -------
    list of Section
        In the order reliability, efficacy, partial correlations, mixed models, mediation, facilitator,
        sensitivity, Bayes factors; families the plan did not ask for are skipped.
    """
    plan = results.study.analysis
    return [render(results, labeler) for key, render in _RENDERERS if getattr(plan, key)]
