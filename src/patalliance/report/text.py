"""Generated prose: the plain-language summary, the methods paragraph and APA results.

Every function returns plain text (paragraphs as strings); the HTML template escapes it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from patalliance.report import apa
from patalliance.report.labels import Labeler
from patalliance.report.tables import family_title, significance_p
from patalliance.study import Study

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


def _arm_counts(document: Mapping[str, Any], study: Study, arms: Mapping[str, int]) -> str:
    parts = [f"{n} {study.arms[a].label if a in study.arms else a}" for a, n in arms.items()]
    return f" ({'; '.join(parts)})" if parts else ""


def _paren(labeler: Labeler, variable: str) -> str:
    m, sc, t = labeler.parts(variable)
    return f"{m} {sc} ({t.lower() if t == 'Peak' else t})" if sc else m


def summary(
    document: Mapping[str, Any], study: Study, labeler: Labeler, arms: Mapping[str, int]
) -> list[str]:
    """A plain-language summary for clinicians: what was found, with n."""
    out = []
    n = document.get("n_participants", 0)
    alpha = float(document.get("plan", {}).get("alpha", 0.05))
    out.append(
        f"This report analyses {n} participants{_arm_counts(document, study, arms)} of the study "
        f"“{study.study.title}”."
    )
    for c in document.get("change", []):
        name = labeler.short(str(c["variable_from"]))
        t0 = labeler.parts(str(c["variable_from"]))[2]
        t1 = labeler.parts(str(c["variable_to"]))[2]
        if apa.is_missing(c.get("mean_diff")):
            out.append(
                f"Change in {name} from {t0} to {t1} could not be tested "
                f"(n = {c.get('n')} complete pairs)."
            )
            continue
        went = "rose" if float(c["mean_diff"]) > 0 else "fell"
        sig = (not apa.is_missing(c.get("p"))) and float(c["p"]) < alpha
        out.append(
            f"Among the {c['n']} participants rated at both times, {name} {went} from "
            f"{apa.fmt_num(c['mean_from'])} at {t0} to {apa.fmt_num(c['mean_to'])} at {t1} "
            f"({apa.fmt_p(c.get('p'))}; effect size d_av = {apa.fmt_num(c.get('d_av'))}); "
            + (
                "this change is statistically significant."
                if sig
                else "this change is not statistically significant."
            )
        )
    corrs = document.get("correlations", [])
    if corrs:
        sig_recs = [
            r
            for r in corrs
            if not apa.is_missing(significance_p(r)) and float(significance_p(r)) < alpha
        ]
        adjust = corrs[0].get("adjust", "none")
        basis = "" if adjust == "none" else " after correction for multiple comparisons"
        out.append(
            f"Of {len(corrs)} planned correlations, {len(sig_recs)} were statistically "
            f"significant (p < {apa.fmt_r(alpha)}{basis})."
        )
        strongest = sorted(sig_recs, key=lambda r: -abs(float(r["r"])))[:5]
        phrases = []
        for r in strongest:
            dirn = "higher" if float(r["r"]) > 0 else "lower"
            phrases.append(
                f"higher {_paren(labeler, str(r['x']))} went with {dirn} "
                f"{_paren(labeler, str(r['y']))} (r = {apa.fmt_r(r['r'])}, n = {r['n']})"
            )
        if phrases:
            out.append("The strongest associations: " + "; ".join(phrases) + ".")
        out.append(
            "Correlations describe how scores go together across participants; they do not "
            "show that one causes the other. With small samples, estimates are imprecise: see "
            "the confidence intervals."
        )
    return out


def methods(
    document: Mapping[str, Any], study: Study, labeler: Labeler
) -> tuple[list[str], list[str]]:
    """The methods paragraphs and the reference list, generated from the plan and the keys."""
    plan = document.get("plan", {})
    level = apa.ci_label(float(plan.get("confidence_level", 0.95)))
    refs: list[str] = []
    instruments = []
    for mid, info in document.get("instruments", {}).items():
        measure = study.measures.get(mid)
        tps = [labeler.timepoint(t) for t in (measure.timepoints if measure else [])]
        citation = str(info.get("citation", ""))
        cite = f" ({short_citation(citation)})" if citation else ""
        if citation and citation not in refs:
            refs.append(citation)
        what = labeler.measure_long(mid)
        peak = (
            " (peak = the "
            + ("higher" if measure and measure.peak == "max" else "lower")
            + " of the sessions)"
            if measure is not None and measure.peak
            else ""
        )
        instruments.append(
            f"{what} was measured with the {info.get('abbreviation', mid)}{cite} at "
            f"{_join(tps)}{peak}"
        )
    paras = []
    if instruments:
        paras.append("; ".join(instruments) + ".")
    tests = []
    if document.get("change"):
        tests.append(
            "Change over time was tested with paired t tests on participants with both scores, "
            "with the Wilcoxon signed-rank test as a sensitivity analysis. Two standardized "
            "effect sizes are reported: d_z, the mean difference divided by the standard "
            "deviation of the differences (with a noncentral-t confidence interval; Steiger & "
            "Fouladi, 1997), and d_av, the mean difference divided by the average of the two "
            "standard deviations (Lakens, 2013), which is the d reported by Levin et al. (2024)."
        )
        refs.extend([LAKENS_2013, LEVIN_2024, STEIGER_1997])
    method = plan.get("correlation", "pearson")
    missing = plan.get("missing", "pairwise")
    if plan.get("correlations"):
        name = "Pearson product-moment" if method == "pearson" else "Spearman rank"
        handling = (
            "pairwise deletion: each correlation used every participant with both values, and "
            "its n is reported"
            if missing == "pairwise"
            else "listwise deletion within each family: only participants with every variable of "
            "the family were used; n is reported per test"
        )
        tests.append(f"Associations were estimated with {name} correlations, using {handling}.")
        if plan.get("ci") == "bootstrap":
            kind = (
                "bias-corrected and accelerated (BCa)"
                if plan.get("bootstrap_ci") == "bca"
                else "percentile"
            )
            tests.append(
                f"{level} confidence intervals for r are {kind} bootstrap intervals "
                f"({plan.get('n_resamples', 10000):,} resamples, seed {plan.get('seed')}; "
                "Efron, 1987)."
            )
            refs.append(EFRON_1987)
        else:
            tests.append(
                f"{level} confidence intervals for r use the Fisher z transformation "
                "(no interval is given for n < 4)."
            )
        adjust = plan.get("adjust", "none")
        if adjust == "holm":
            tests.append(
                "p-values were adjusted within each family of correlations with the "
                "Holm (1979) procedure."
            )
            refs.append(HOLM_1979)
        elif adjust == "fdr_bh":
            tests.append(
                "p-values were adjusted within each family of correlations to control "
                "the false discovery rate (Benjamini & Hochberg, 1995)."
            )
            refs.append(BH_1995)
        else:
            tests.append("p-values are two-tailed and were not adjusted for multiple comparisons.")
    tests.append(
        f"Significance was judged at α = {apa.fmt_r(float(plan.get('alpha', 0.05)))}; "
        "descriptive statistics use all available scores at each timepoint."
    )
    paras.append(" ".join(tests))
    sw = document.get("software", {})
    versions = ", ".join(f"{k} {v}" for k, v in sw.items() if k not in {"name", "version"})
    paras.append(
        f"All analyses were run with {sw.get('name', 'patalliance')} {sw.get('version', '')} "
        f"({versions}); the random seed was {plan.get('seed')}."
    )
    return paras, refs


def results(document: Mapping[str, Any], labeler: Labeler) -> list[tuple[str, list[str]]]:
    """APA results sentences, grouped: (heading, sentences)."""
    plan = document.get("plan", {})
    level = float(plan.get("confidence_level", 0.95))
    groups: list[tuple[str, list[str]]] = []
    change_lines = []
    for c in document.get("change", []):
        name = labeler.short(str(c["variable_from"]))
        t0 = labeler.parts(str(c["variable_from"]))[2]
        t1 = labeler.parts(str(c["variable_to"]))[2]
        stat = apa.apa_t(
            c.get("t"),
            df=c.get("df"),
            p=c.get("p"),
            d_av=c.get("d_av"),
            d_z=c.get("d_z"),
            d_z_ci_low=c.get("d_z_ci_low"),
            d_z_ci_high=c.get("d_z_ci_high"),
            confidence_level=level,
        )
        change_lines.append(
            f"{name} changed from M = {apa.fmt_num(c.get('mean_from'))} "
            f"(SD = {apa.fmt_num(c.get('sd_from'))}) at {t0} to M = "
            f"{apa.fmt_num(c.get('mean_to'))} (SD = {apa.fmt_num(c.get('sd_to'))}) at {t1}, "
            f"n = {c.get('n')}: {stat} (Wilcoxon signed-rank {apa.fmt_p(c.get('wilcoxon_p'))})."
        )
    if change_lines:
        groups.append(("Change over time", change_lines))
    records = document.get("correlations", [])
    for family in plan.get("correlations", []):
        lines = []
        for r in records:
            if r.get("family") != family["family"]:
                continue
            stat = apa.apa_correlation(
                r.get("r"),
                n=r.get("n"),
                p=r.get("p"),
                ci_low=r.get("ci_low"),
                ci_high=r.get("ci_high"),
                confidence_level=level,
                method=str(r.get("method")),
            )
            if (r.get("adjust") or "none") != "none":
                stat += f", adjusted {apa.fmt_p(r.get('p_adj'))}"
            lines.append(
                f"{labeler.variable(str(r['x']))} × {labeler.variable(str(r['y']))}: {stat}."
            )
        groups.append((family_title(family, labeler), lines))
    return groups
