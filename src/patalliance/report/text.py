"""Generated prose: the plain-language summary, the methods paragraph and APA results.

Every function returns plain text (paragraphs as strings); the HTML template escapes it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from patalliance._version import __version__
from patalliance.analysis.change import ChangeRecord
from patalliance.analysis.results import AnalysisResults
from patalliance.document import package_versions
from patalliance.report import apa
from patalliance.report.labels import Labeler
from patalliance.report.regression import regression_methods
from patalliance.report.reliability import reliability_sentence
from patalliance.report.tables import family_title, significant
from patalliance.study import AnalysisPlan, Study

LAKENS_2013 = (
    "Lakens, D. (2013). Calculating and reporting effect sizes to facilitate cumulative "
    "science: A practical primer for t-tests and ANOVAs. Frontiers in Psychology, 4, 863. "
    "https://doi.org/10.3389/fpsyg.2013.00863"
)
LEVIN_2024 = "Levin, A. W., et al. (2024). PLoS One, 19(3), e0300501."
HOLM_1979 = (
    "Holm, S. (1979). A simple sequentially rejective multiple test procedure. Scandinavian "
    "Journal of Statistics, 6(2), 65-70."
)
BH_1995 = (
    "Benjamini, Y., & Hochberg, Y. (1995). Controlling the false discovery rate: A practical "
    "and powerful approach to multiple testing. Journal of the Royal Statistical Society: "
    "Series B, 57(1), 289-300."
)
EFRON_1987 = (
    "Efron, B. (1987). Better bootstrap confidence intervals. Journal of the American "
    "Statistical Association, 82(397), 171-185."
)
SATTERTHWAITE_1946 = (
    "Satterthwaite, F. E. (1946). An approximate distribution of estimates of variance "
    "components. Biometrics Bulletin, 2(6), 110-114."
)
KUZNETSOVA_2017 = (
    "Kuznetsova, A., Brockhoff, P. B., & Christensen, R. H. B. (2017). lmerTest package: Tests "
    "in linear mixed effects models. Journal of Statistical Software, 82(13), 1-26."
)
BONETT_2000 = (
    "Bonett, D. G., & Wright, T. A. (2000). Sample size requirements for estimating Pearson, "
    "Kendall and Spearman correlations. Psychometrika, 65(1), 23-28."
)
HOLLANDER_1999 = (
    "Hollander, M., & Wolfe, D. A. (1999). Nonparametric statistical methods (2nd ed.). Wiley."
)
STEIGER_1997 = (
    "Steiger, J. H., & Fouladi, R. T. (1997). Noncentrality interval estimation and the "
    "evaluation of statistical models. In L. L. Harlow, S. A. Mulaik, & J. H. Steiger (Eds.), "
    "What if there were no significance tests? (pp. 221-257). Erlbaum."
)

_AUTHOR = re.compile(r"([A-Z][^,&()]*?),\s+(?:[A-Z]\.[\s-]?)+")


def short_citation(citation: str) -> str:
    """``Hatcher & Gillaspy, 2006`` from an APA reference; the reference itself if unparsable.

    >>> short_citation("Hatcher, R. L., & Gillaspy, J. A. (2006). Development ...")
    'Hatcher & Gillaspy, 2006'
    >>> short_citation("Barrett, F. S., Johnson, M. W., & Griffiths, R. R. (2015). Validation")
    'Barrett et al., 2015'
    """
    year = re.search(r"\((\d{4}[a-z]?)\)", citation)
    if year is None:
        return citation
    names = [m.group(1).strip() for m in _AUTHOR.finditer(citation[: year.start()])]
    names = [n.lstrip("& ").strip() for n in names if n.strip()]
    if not names:
        return citation
    who = (
        names[0]
        if len(names) == 1
        else (f"{names[0]} & {names[1]}" if len(names) == 2 else f"{names[0]} et al.")
    )
    return f"{who}, {year.group(1)}"


def _join(items: Sequence[str]) -> str:
    items = list(items)
    if len(items) <= 1:
        return "".join(items)
    if len(items) == 2:
        return f"{items[0]} and {items[1]}"
    return ", ".join(items[:-1]) + f", and {items[-1]}"


def _arm_counts(study: Study, arms: Mapping[str, int]) -> str:
    parts = [f"{n} {study.arms[a].label if a in study.arms else a}" for a, n in arms.items()]
    return f" ({'; '.join(parts)})" if parts else ""


def _paren(labeler: Labeler, variable: str) -> str:
    m, sc, t = labeler.parts(variable)
    return f"{m} {sc} ({t.lower() if t == 'Peak' else t})" if sc else m


def _change_summary(c: ChangeRecord, labeler: Labeler, alpha: float) -> str:
    name = labeler.short(c.variable_from)
    t0 = labeler.parts(c.variable_from)[2]
    t1 = labeler.parts(c.variable_to)[2]
    if apa.is_missing(c.mean_diff):
        return f"Change in {name} from {t0} to {t1} could not be tested (n = {c.n} complete pairs)."
    before, after = apa.fmt_num(c.mean_from), apa.fmt_num(c.mean_to)
    if before == after:
        moved = f"{name} stayed at {before} from {t0} to {t1}"
    else:
        went = "rose" if c.mean_diff > 0 else "fell"
        moved = f"{name} {went} from {before} at {t0} to {after} at {t1}"
    sig = (not apa.is_missing(c.p)) and c.p < alpha
    return (
        f"Among the {c.n} participants rated at both times, {moved} "
        f"({apa.fmt_p(c.p)}; effect size d_av = {apa.fmt_num(c.d_av)}); "
        + (
            "this change is statistically significant."
            if sig
            else "this change is not statistically significant."
        )
    )


def summary(results: AnalysisResults, labeler: Labeler, arms: Mapping[str, int]) -> list[str]:
    """A plain-language summary for clinicians: what was found, with n."""
    study = results.study
    alpha = study.analysis.alpha
    out = [
        f"This report analyses {results.n_participants} participants{_arm_counts(study, arms)} "
        f"of the study “{study.study.title}”."
    ]
    out.extend(_change_summary(c, labeler, alpha) for c in results.change)
    corrs = results.correlations
    if not corrs:
        return out
    sig_recs = [r for r in corrs if significant(r, alpha)]
    basis = "" if study.analysis.adjust == "none" else " after correction for multiple comparisons"
    out.append(
        f"Of {len(corrs)} planned correlations, {len(sig_recs)} were statistically "
        f"significant (p < {apa.fmt_r(alpha)}{basis})."
    )
    strongest = sorted(sig_recs, key=lambda r: -abs(r.r))[:5]
    phrases = [
        f"higher {_paren(labeler, r.x)} went with {'higher' if r.r > 0 else 'lower'} "
        f"{_paren(labeler, r.y)} (r = {apa.fmt_r(r.r)}, n = {r.n})"
        for r in strongest
    ]
    if phrases:
        out.append("The strongest associations: " + "; ".join(phrases) + ".")
    out.append(
        "Correlations describe how scores go together across participants; they do not "
        "show that one causes the other. With small samples, estimates are imprecise: see "
        f"the {apa.ci_label(study.analysis.confidence_level)} confidence intervals."
    )
    return out


def _instruments(results: AnalysisResults, labeler: Labeler, refs: list[str]) -> str:
    study = results.study
    parts = []
    for mid, key in results.keys.items():
        measure = study.measures.get(mid)
        tps = [labeler.timepoint(t) for t in (measure.timepoints if measure else [])]
        citation = key.instrument.citation
        cite = f" ({short_citation(citation)})" if citation else ""
        if citation and citation not in refs:
            refs.append(citation)
        peak = (
            " (peak = the " + ("higher" if measure.peak == "max" else "lower") + " of the sessions)"
            if measure is not None and measure.peak
            else ""
        )
        parts.append(
            f"{labeler.measure_long(mid)} was measured with the {key.instrument.abbreviation}"
            f"{cite} at {_join(tps)}{peak}"
        )
    return "; ".join(parts) + "." if parts else ""


def _correlation_methods(plan: AnalysisPlan, refs: list[str]) -> list[str]:
    level = apa.ci_label(plan.confidence_level)
    name = "Pearson product-moment" if plan.correlation == "pearson" else "Spearman rank"
    handling = (
        "pairwise deletion: each correlation used every participant with both values, and "
        "its n is reported"
        if plan.missing == "pairwise"
        else "listwise deletion within each family: only participants with every variable of "
        "the family were used; n is reported per test"
    )
    out = [f"Associations were estimated with {name} correlations, using {handling}."]
    if plan.ci == "bootstrap":
        kind = (
            "bias-corrected and accelerated (BCa)" if plan.bootstrap_ci == "bca" else "percentile"
        )
        out.append(
            f"{level} confidence intervals for r are {kind} bootstrap intervals "
            f"({plan.n_resamples:,} resamples, seed {plan.seed}; Efron, 1987)."
        )
        refs.append(EFRON_1987)
    else:
        bonett = (
            " with the standard error of Bonett and Wright (2000) for Spearman's coefficient"
            if plan.correlation == "spearman"
            else ""
        )
        out.append(
            f"{level} confidence intervals for r use the Fisher z transformation{bonett} "
            "(no interval is given for n < 4)."
        )
        if bonett:
            refs.append(BONETT_2000)
    if plan.adjust == "holm":
        out.append(
            "p-values were adjusted within each family of correlations with the "
            "Holm (1979) procedure."
        )
        refs.append(HOLM_1979)
    elif plan.adjust == "fdr_bh":
        out.append(
            "p-values were adjusted within each family of correlations to control "
            "the false discovery rate (Benjamini & Hochberg, 1995)."
        )
        refs.append(BH_1995)
    else:
        out.append("p-values are two-tailed and were not adjusted for multiple comparisons.")
    return out


def _efficacy_methods(plan: AnalysisPlan, refs: list[str]) -> list[str]:
    """How the arms were compared, when the plan has an efficacy analysis."""
    if not plan.efficacy:
        return []
    refs.append(STEIGER_1997)
    return [
        "Arms were compared at each timepoint with Welch's t test and, adjusted for baseline, "
        "by analysis of covariance; Cohen's d (pooled SD) and Hedges' g have "
        f"{apa.ci_label(plan.confidence_level)} confidence intervals from the noncentral t "
        "distribution (Steiger & Fouladi, 1997), and response and remission rates "
        f"{apa.ci_label(plan.confidence_level)} Wilson score intervals."
    ]


def _model_methods(plan: AnalysisPlan, refs: list[str]) -> list[str]:
    """How mixed models were fitted and tested, when the plan has any."""
    if not (plan.mixed_models or plan.facilitator):
        return []
    refs.extend([SATTERTHWAITE_1946, KUZNETSOVA_2017])
    return [
        "Linear mixed models with a random intercept were fitted by restricted maximum "
        "likelihood (REML), maximizing the likelihood profiled over the ratio of the "
        "random-intercept and residual variances. Fixed effects were tested with t tests on "
        "Satterthwaite's degrees of freedom (Satterthwaite, 1946), as lmerTest does by "
        "default (Kuznetsova et al., 2017), and their "
        f"{apa.ci_label(plan.confidence_level)} confidence intervals use the same degrees of "
        "freedom. When the random-intercept variance was estimated as zero (a singular fit), "
        "the model reduces to ordinary least-squares regression, whose estimates and t tests "
        "are reported instead and marked as such."
    ]


BATES_2015 = (
    "Bates, D., Mächler, M., Bolker, B., & Walker, S. (2015). Fitting linear mixed-effects "
    "models using lme4. Journal of Statistical Software, 67(1), 1-48."
)


def _trajectory_methods(plan: AnalysisPlan, refs: list[str]) -> list[str]:
    """How trajectories were fitted and tested, when the plan has any."""
    if not plan.trajectories:
        return []
    refs.extend([SATTERTHWAITE_1946, KUZNETSOVA_2017, BATES_2015])
    return [
        "Trajectories were modelled with linear mixed models of the score on time (days "
        "from the reference point in units of 30 days, or the order of the timepoints), "
        "optionally with arm and time × arm, with a random intercept and a random slope of "
        "time per participant and an unstructured covariance between them, fitted by "
        "restricted maximum likelihood (REML; the criterion profiled over the fixed effects "
        "and the residual variance, as in lme4, minimized exactly; Bates et al., 2015). Fixed "
        "effects were tested "
        "with t tests on Satterthwaite's degrees of freedom (Satterthwaite, 1946; Kuznetsova "
        f"et al., 2017), with {apa.ci_label(plan.confidence_level)} confidence intervals on "
        "the same degrees of freedom; fits at the boundary of the random-effects covariance "
        "(singular by lme4's criterion; Bates et al., 2015) are marked as such."
    ]


def methods(results: AnalysisResults, labeler: Labeler) -> tuple[list[str], list[str]]:
    """The methods paragraphs and the reference list, generated from the plan and the keys."""
    plan = results.study.analysis
    refs: list[str] = []
    paras = []
    instruments = _instruments(results, labeler, refs)
    instruments = " ".join(
        s for s in (instruments, reliability_sentence(results, labeler, refs)) if s
    )
    if instruments:
        paras.append(instruments)
    tests = []
    if results.change:
        tests.append(
            "Change over time was tested with paired t tests on participants with both scores, "
            "with the Wilcoxon signed-rank test as a sensitivity analysis (Hollander & Wolfe, "
            "1999; as R's wilcox.test by default: the exact p for fewer than 50 nonzero "
            "differences without ties, otherwise the normal approximation with continuity "
            "correction; zero differences left out). Two standardized "
            "effect sizes are reported: d_z, the mean difference divided by the standard "
            f"deviation of the differences (with a noncentral-t {apa.ci_label(plan.confidence_level)} "
            "confidence interval; Steiger & Fouladi, 1997), and d_av, the mean difference divided "
            "by the average of the two standard deviations (Lakens, 2013), which is the d "
            "reported by Levin et al. (2024)."
        )
        refs.extend([LAKENS_2013, LEVIN_2024, STEIGER_1997, HOLLANDER_1999])
    if plan.correlations:
        tests.extend(_correlation_methods(plan, refs))
    tests.extend(_efficacy_methods(plan, refs))
    tests.extend(_model_methods(plan, refs))
    tests.extend(regression_methods(results, refs))
    tests.extend(_trajectory_methods(plan, refs))
    tests.append(
        f"Significance was judged at α = {apa.fmt_r(plan.alpha)}; "
        "descriptive statistics use all available scores at each timepoint."
    )
    paras.append(" ".join(tests))
    versions = ", ".join(f"{k} {v}" for k, v in package_versions().items())
    paras.append(
        f"All analyses were run with patalliance {__version__} ({versions}); the random seed "
        f"was {plan.seed}."
    )
    return paras, refs


def results(res: AnalysisResults, labeler: Labeler) -> list[tuple[str, list[str]]]:
    """APA results sentences, grouped: (heading, sentences)."""
    level = res.confidence_level
    groups: list[tuple[str, list[str]]] = []
    change_lines = []
    for c in res.change:
        name = labeler.short(c.variable_from)
        t0 = labeler.parts(c.variable_from)[2]
        t1 = labeler.parts(c.variable_to)[2]
        stat = apa.apa_t(
            c.t, df=c.df, p=c.p, d_av=c.d_av, d_z=c.d_z, d_z_ci_low=c.d_z_ci_low,
            d_z_ci_high=c.d_z_ci_high, confidence_level=c.confidence_level,
        )  # fmt: skip
        change_lines.append(
            f"{name} changed from M = {apa.fmt_num(c.mean_from)} "
            f"(SD = {apa.fmt_num(c.sd_from)}) at {t0} to M = "
            f"{apa.fmt_num(c.mean_to)} (SD = {apa.fmt_num(c.sd_to)}) at {t1}, "
            f"n = {c.n}: {stat} (Wilcoxon signed-rank {apa.fmt_p(c.wilcoxon_p)})."
        )
    if change_lines:
        groups.append(("Change over time", change_lines))
    for family in res.study.analysis.correlations:
        lines = []
        for r in res.correlations:
            if r.family != family.family:
                continue
            stat = apa.apa_correlation(
                r.r, n=r.n, p=r.p, ci_low=r.ci_low, ci_high=r.ci_high,
                confidence_level=r.confidence_level or level, method=r.method,
            )  # fmt: skip
            if r.adjust != "none":
                stat += f", adjusted {apa.fmt_p(r.p_adj)}"
            lines.append(f"{labeler.variable(r.x)} × {labeler.variable(r.y)}: {stat}.")
        groups.append((family_title(family, labeler), lines))
    return groups
