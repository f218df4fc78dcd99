"""The pooled analysis in words: APA results sentences, a methods paragraph, references.

Everything reads the typed :class:`~patalliance.pool.analysis.PoolResult`; the confidence
level, the method and the statuses come from the result itself.
"""

from __future__ import annotations

import math

from patalliance.pool.analysis import PoolResult
from patalliance.report import apa
from patalliance.status import Status

__all__ = [
    "REFERENCES",
    "key_facts",
    "methods_paragraphs",
    "references",
    "results_sentences",
    "summary_sentences",
]

REFERENCES = {
    "dl": "DerSimonian, R., & Laird, N. (1986). Meta-analysis in clinical trials. Controlled "
    "Clinical Trials, 7(3), 177–188. https://doi.org/10.1016/0197-2456(86)90046-2",
    "pm": "Paule, R. C., & Mandel, J. (1982). Consensus values and weighting factors. Journal "
    "of Research of the National Bureau of Standards, 87(5), 377–385. "
    "https://doi.org/10.6028/jres.087.022",
    "reml": "Viechtbauer, W. (2005). Bias and efficiency of meta-analytic variance estimators "
    "in the random-effects model. Journal of Educational and Behavioral Statistics, 30(3), "
    "261–293. https://doi.org/10.3102/10769986030003261",
    "qprofile": "Viechtbauer, W. (2007). Confidence intervals for the amount of heterogeneity "
    "in meta-analysis. Statistics in Medicine, 26(1), 37–52. https://doi.org/10.1002/sim.2514",
    "hk": "Hartung, J., & Knapp, G. (2001). A refined method for the meta-analysis of "
    "controlled clinical trials with binary outcome. Statistics in Medicine, 20(24), "
    "3875–3889. https://doi.org/10.1002/sim.1009",
    "sj": "Sidik, K., & Jonkman, J. N. (2002). A simple confidence interval for meta-analysis. "
    "Statistics in Medicine, 21(21), 3153–3159. https://doi.org/10.1002/sim.1262",
    "i2": "Higgins, J. P. T., & Thompson, S. G. (2002). Quantifying heterogeneity in a "
    "meta-analysis. Statistics in Medicine, 21(11), 1539–1558. https://doi.org/10.1002/sim.1186",
    "pi": "Higgins, J. P. T., Thompson, S. G., & Spiegelhalter, D. J. (2009). A re-evaluation "
    "of random-effects meta-analysis. Journal of the Royal Statistical Society: Series A, "
    "172(1), 137–159. https://doi.org/10.1111/j.1467-985X.2008.00552.x",
    "egger": "Egger, M., Davey Smith, G., Schneider, M., & Minder, C. (1997). Bias in "
    "meta-analysis detected by a simple, graphical test. BMJ, 315(7109), 629–634. "
    "https://doi.org/10.1136/bmj.315.7109.629",
    "sterne": "Sterne, J. A. C., Sutton, A. J., Ioannidis, J. P. A., et al. (2011). "
    "Recommendations for examining and interpreting funnel plot asymmetry in meta-analyses of "
    "randomised controlled trials. BMJ, 343, d4002. https://doi.org/10.1136/bmj.d4002",
    "loo": "Viechtbauer, W., & Cheung, M. W.-L. (2010). Outlier and influence diagnostics for "
    "meta-analysis. Research Synthesis Methods, 1(2), 112–125. https://doi.org/10.1002/jrsm.11",
    "hedges": "Hedges, L. V. (1981). Distribution theory for Glass's estimator of effect size "
    "and related estimators. Journal of Educational Statistics, 6(2), 107–128. "
    "https://doi.org/10.3102/10769986006002107",
    "lipsey": "Lipsey, M. W., & Wilson, D. B. (2001). Practical meta-analysis. Sage.",
    "fisher": 'Fisher, R. A. (1921). On the "probable error" of a coefficient of correlation '
    "deduced from a small sample. Metron, 1, 3–32.",
    "borenstein": "Borenstein, M., Hedges, L. V., Higgins, J. P. T., & Rothstein, H. R. (2009). "
    "Introduction to meta-analysis. Wiley. https://doi.org/10.1002/9780470743386",
}


def _num(result: PoolResult, value: float) -> str:
    return apa.fmt_r(value) if result.measure == "r" else apa.fmt_num(value)


def _ci(result: PoolResult, lo: float, hi: float) -> str:
    return apa.fmt_ci(
        lo, hi, confidence_level=result.confidence_level, leading_zero=result.measure != "r"
    )


def _symbol(result: PoolResult) -> str:
    return {"g": "g", "r": "r"}.get(result.measure, "effect")


def _pct(value: float) -> str:
    return "n/a" if apa.is_missing(value) else f"{100 * value:.0f}%"


def _model_sentence(result: PoolResult) -> str:
    m = result.model
    n = result.total_n
    n_text = f", N = {apa.fmt_int(n)}" if math.isfinite(n) else ""
    test = (
        f"t({apa.fmt_int(m.df)}) = {apa.fmt_num(m.statistic)}"
        if m.hksj
        else f"z = {apa.fmt_num(m.statistic)}"
    )
    ci_kind = "HKSJ " if m.hksj else ""
    return (
        f"Across k = {m.k} studies{n_text}, the random-effects pooled {_symbol(result)} was "
        f"{_num(result, result.estimate)}, {ci_kind}"
        f"{_ci(result, result.ci_low, result.ci_high)}, {test}, {apa.fmt_p(m.p)} "
        f"(τ² by {m.method})."
    )


def _heterogeneity_sentence(result: PoolResult) -> str:
    m = result.model
    lvl = apa.ci_label(m.confidence_level)
    scale = " on the Fisher z scale" if result.measure == "r" else ""
    text = (
        f"Heterogeneity: Q({apa.fmt_int(m.q_df)}) = {apa.fmt_num(m.q)}, {apa.fmt_p(m.q_p)}, "
        f"I² = {_pct(m.i2)} ({lvl} CI [{_pct(m.i2_ci_low)}, {_pct(m.i2_ci_high)}]), "
        f"τ² = {apa.fmt_num(m.tau2, 3)}{scale} ({lvl} CI [{apa.fmt_num(m.tau2_ci_low, 3)}, "
        f"{apa.fmt_num(m.tau2_ci_high, 3)}])."
    )
    if math.isfinite(result.pi_low):
        pi = apa.fmt_interval(result.pi_low, result.pi_high, leading_zero=result.measure != "r")
        text += f" The {lvl} prediction interval for the effect in a new study was {pi}."
    else:
        text += f" No prediction interval: {m.reason}."
    return text


def _single_study(result: PoolResult) -> str:
    s = result.studies[0]
    n_text = f" (n = {apa.fmt_int(s.n)})" if math.isfinite(s.n) else ""
    return (
        f"Only one study ({s.label}) is available, so nothing was pooled: "
        f"{_symbol(result)} = {_num(result, s.effect)}, "
        f"{_ci(result, s.ci_low, s.ci_high)}{n_text}."
    )


def _benchmark_sentence(result: PoolResult) -> str:
    b = result.benchmark
    if b is None:
        return ""
    lvl = apa.ci_label(b.confidence_level)
    est = apa.fmt_interval(b.ci_low, b.ci_high, leading_zero=result.measure != "r")
    return (
        f"For comparison (not pooled): {b.label}, {_symbol(result)} = "
        f"{_num(result, b.estimate)}, {lvl} CI {est}."
    )


def _diagnostics_sentences(result: PoolResult) -> list[str]:
    out = []
    loo = result.leave_one_out.records
    if loo:
        lo = min(loo, key=lambda r: r.estimate)
        hi = max(loo, key=lambda r: r.estimate)
        out.append(
            "Leaving out one study at a time, the pooled estimate ranged from "
            f"{_num(result, lo.estimate)} (without {lo.omitted}) to {_num(result, hi.estimate)} "
            f"(without {hi.omitted})."
        )
    e = result.egger
    if e.status == Status.OK:
        out.append(
            f"Egger's test for funnel-plot asymmetry: intercept = {apa.fmt_num(e.intercept)}, "
            f"{apa.fmt_ci(e.ci_low, e.ci_high, confidence_level=e.confidence_level)}, "
            f"t({apa.fmt_int(e.df)}) = {apa.fmt_num(e.t)}, {apa.fmt_p(e.p)}."
        )
    else:
        out.append(f"Egger's test was not run: {e.reason}.")
    sub = result.subgroups
    if sub is not None:
        parts = [
            f"{g.subgroup}: {_symbol(result)} = {_num(result, g.estimate)} "
            f"{apa.fmt_interval(g.ci_low, g.ci_high, leading_zero=result.measure != 'r')} "
            f"(k = {g.k})"
            for g in sub.groups
        ]
        text = f"Subgroups by {sub.column}: " + "; ".join(parts) + "."
        if sub.status == Status.OK:
            text += (
                f" Test of subgroup differences: Q_B({apa.fmt_int(sub.df)}) = "
                f"{apa.fmt_num(sub.q_between)}, {apa.fmt_p(sub.p)}."
            )
        else:
            text += f" No test of subgroup differences: {sub.reason}."
        out.append(text)
    return out


def results_sentences(result: PoolResult) -> list[str]:
    """APA-style sentences for the results, in reading order."""
    if result.model.status != Status.OK:
        out = [_single_study(result)]
    else:
        out = [_model_sentence(result), _heterogeneity_sentence(result)]
        out += _diagnostics_sentences(result)
    bench = _benchmark_sentence(result)
    return [*out, bench] if bench else out


def summary_sentences(result: PoolResult) -> list[str]:
    """The pooled estimate (or the single study) and the benchmark, for the summary."""
    if result.model.status != Status.OK:
        out = [_single_study(result)]
    else:
        out = [_model_sentence(result), _heterogeneity_sentence(result)]
    bench = _benchmark_sentence(result)
    return [*out, bench] if bench else out


def _effect_paragraph(result: PoolResult) -> str:
    t = result.table
    if t.measure == "g":
        if t.convention == "metapsy":
            how = (
                "Hedges' g (treatment minus control) was computed from each study's means, SDs "
                "and ns with the convention of the Metapsy pipeline: the pooled-SD "
                "standardised difference d times the approximate correction 1 − 3/(4N − 9) "
                "(Hedges, 1981), with the standard error of the uncorrected d, "
                "√(N/(n₁n₂) + d²/(2N)) (Lipsey & Wilson, 2001)."
            )
        else:
            how = (
                "Hedges' g (treatment minus control) was computed from each study's means, SDs "
                "and ns with the exact small-sample correction J = Γ(m/2)/(√(m/2)Γ((m−1)/2)), "
                "m = n₁ + n₂ − 2 (Hedges, 1981), and sampling variance "
                "1/n₁ + 1/n₂ + g²/(2N)."
            )
    elif t.measure == "r":
        how = (
            "Correlations were pooled on Fisher's z = artanh(r) with standard error 1/√(n − 3) "
            "(Fisher, 1921); pooled estimates and intervals were back-transformed with "
            "r = tanh(z)."
        )
    else:
        how = "Effects were pooled as given, with their standard errors."
    if t.oriented:
        how += (
            " Effects from inputs on which higher scores are worse were sign-flipped, so a "
            "positive effect means a better outcome."
        )
    return how


def methods_paragraphs(result: PoolResult) -> list[str]:
    """The methods: effect sizes, model, heterogeneity and diagnostics, with citations."""
    m = result.model
    if m.status != Status.OK:
        return [
            _effect_paragraph(result),
            f"No random-effects model was fitted ({m.reason}); the study is shown as reported"
            + (", beside the benchmark." if result.benchmark is not None else "."),
        ]
    lvl = apa.ci_label(m.confidence_level)
    estimator = {
        "REML": "restricted maximum likelihood (Viechtbauer, 2005)",
        "DL": "the DerSimonian–Laird method (DerSimonian & Laird, 1986)",
        "PM": "the Paule–Mandel method (Paule & Mandel, 1982)",
    }[m.method]
    ci = (
        f"{lvl} confidence intervals and tests of the pooled effect used the "
        "Hartung–Knapp–Sidik–Jonkman method, a t distribution with k − 1 df (Hartung & Knapp, "
        "2001; Sidik & Jonkman, 2002)"
        if m.hksj
        else f"{lvl} confidence intervals and tests of the pooled effect were Wald (z) intervals"
    )
    model = (
        f"A random-effects model was fitted with the between-study variance τ² estimated by "
        f"{estimator}. {ci}. Heterogeneity is described by Cochran's Q, I² = (Q − df)/Q "
        "(Higgins & Thompson, 2002) and τ², with a Q-profile interval for τ² (Viechtbauer, 2007) "
        "mapped to I² through the typical within-study variance; the prediction interval uses "
        "a t distribution with k − 2 df (Higgins et al., 2009)."
    )
    diag = (
        "Influence was examined by leaving out one study at a time (Viechtbauer & Cheung, 2010). "
        "Small-study effects were tested with Egger's regression test (Egger et al., 1997), "
        "run only with 10 or more studies (Sterne et al., 2011)."
    )
    if result.subgroups is not None:
        diag += (
            f" Subgroups ({result.subgroups.column}) were analysed with separate τ² per "
            "subgroup and compared with the Q test of subgroup differences (Borenstein et al., "
            "2009)."
        )
    return [_effect_paragraph(result), model, diag]


def references(result: PoolResult) -> list[str]:
    """The references cited in the methods, plus the benchmark's."""
    keys = ["i2", "qprofile", "pi", "loo", "egger", "sterne"]
    keys += {"REML": ["reml"], "DL": ["dl"], "PM": ["pm"]}[result.model.method]
    if result.model.hksj:
        keys += ["hk", "sj"]
    if result.measure == "g":
        keys += ["hedges"] + (["lipsey"] if result.table.convention == "metapsy" else [])
    if result.measure == "r":
        keys.append("fisher")
    if result.subgroups is not None:
        keys.append("borenstein")
    refs = [REFERENCES[k] for k in keys]
    if result.benchmark is not None:
        b = result.benchmark
        refs.append(b.citation + (f" https://doi.org/{b.doi}" if b.doi else ""))
    return sorted(set(refs))


def key_facts(result: PoolResult) -> list[tuple[str, str]]:
    """Label and value pairs for the summary boxes."""
    m = result.model
    facts = [("studies", str(m.k))]
    if math.isfinite(result.total_n):
        facts.append(("participants", apa.fmt_int(result.total_n)))
    if m.status == Status.OK:
        facts += [
            (f"pooled {_symbol(result)}", _num(result, result.estimate)),
            ("I²", _pct(m.i2)),
        ]
    if result.benchmark is not None:
        facts.append(("benchmark", _num(result, result.benchmark.estimate)))
    return facts
