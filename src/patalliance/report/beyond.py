"""Report sections for the analyses beyond the paper (efficacy, mediation, sensitivity, ...).

:func:`render_sections` turns the results document's sections into :class:`Section` objects:
a table, APA-style text and, where one helps, a figure (a path diagram for mediation, a
leave-one-out forest plot for the sensitivity analysis). Degenerate results ("not_estimable")
and warnings are shown as text, never dropped. Numbers are rounded here and only here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import pandas as pd

from patalliance.report import apa
from patalliance.report.figures import to_svg
from patalliance.report.sections import Figure, Section

if TYPE_CHECKING:
    from patalliance.derive import AnalysisTable

__all__ = ["render_sections"]

_OK = "ok"


def _n(x: Any, d: int = 2) -> str:
    return apa.fmt_num(x, d)


def _ci(lo: Any, hi: Any, level: float, d: int = 2, lz: bool = True) -> str:
    return apa.fmt_ci(lo, hi, confidence_level=level, decimals=d, leading_zero=lz)


def _problems(records: list[Mapping[str, Any]], label: Any) -> list[str]:
    out = []
    for rec in records:
        if rec.get("status", _OK) != _OK and rec.get("reason"):
            out.append(f"{label(rec)}: not estimable — {rec['reason']}.")
        out.extend(f"{label(rec)}: warning — {w}." for w in rec.get("warnings", []) or [])
    return out


def _efficacy(doc: Mapping[str, Any]) -> Section:
    paras, tables = [], []
    for spec in doc["efficacy"]:
        rows = []
        for c in spec["comparisons"]:
            level = c["confidence_level"]
            rows.append(
                {
                    "Timepoint": c["timepoint"],
                    f"{spec['treatment_arm']} n": c["n_treatment"],
                    f"{spec['treatment_arm']} M (SD)": f"{_n(c['mean_treatment'])} ({_n(c['sd_treatment'])})",
                    f"{spec['control_arm']} n": c["n_control"],
                    f"{spec['control_arm']} M (SD)": f"{_n(c['mean_control'])} ({_n(c['sd_control'])})",
                    "Difference": _n(c["diff"]),
                    "Difference CI": _ci(c["diff_ci_low"], c["diff_ci_high"], level),
                    "Welch p": apa.fmt_p_value(c["p"]),
                    "Baseline-adjusted": _n(c["adjusted_diff"]),
                    "Adjusted CI": _ci(c["adjusted_ci_low"], c["adjusted_ci_high"], level),
                    "Adjusted p": apa.fmt_p_value(c["adjusted_p"]),
                    "Cohen's d": _n(c["d"]),
                    "d CI": _ci(c["d_ci_low"], c["d_ci_high"], level),
                    "Hedges' g": _n(c["g"]),
                }
            )
            paras.append(
                f"At {c['timepoint']}, {spec['measure']} {spec['scale']} scores favoured the "
                f"{spec['treatment_arm']} arm by {_n(c['diff'])} points ({c['contrast']}), "
                f"{_ci(c['diff_ci_low'], c['diff_ci_high'], level)}, "
                f"t({apa.fmt_int(c['df'])}) = {_n(c['t'])}, {apa.fmt_p(c['p'])} (Welch); "
                f"adjusted for baseline, {_n(c['adjusted_diff'])}, {apa.fmt_p(c['adjusted_p'])}; "
                f"Cohen's d = {_n(c['d'])}, {_ci(c['d_ci_low'], c['d_ci_high'], level)}, "
                f"Hedges' g = {_n(c['g'])}."
            )
        tables.append((f"Efficacy: {spec['measure']}.{spec['scale']}", pd.DataFrame(rows)))
        if spec["rates"]:
            rates = pd.DataFrame(
                [
                    {
                        "Timepoint": r["timepoint"],
                        "Outcome": r["outcome"],
                        "Arm": r["arm"],
                        "n/N": f"{r['count']}/{r['n']}",
                        "Rate": _n(r["proportion"]),
                        "Wilson 95% CI": _ci(r["ci_low"], r["ci_high"], 0.95),
                    }
                    for r in spec["rates"]
                ]
            )
            tables.append(("Response and remission rates (Wilson intervals)", rates))
        for pub in spec.get("published", []):
            paras.append(
                f"Published comparison, {pub['comparison']}: Davis et al. (2021) reported "
                f"d = {_n(pub['d_reported'], 1)}; their published means and SDs imply "
                f"d = {_n(pub['d_implied'])} with the pooled SD."
            )
        paras.extend(w + "." for w in spec.get("warnings", []))
    return Section("efficacy", "Efficacy: treatment versus waiting-list control", paras, tables)


def _partial(doc: Mapping[str, Any]) -> Section:
    rows, paras = [], []
    for r in doc["partial_correlations"]:
        rows.append(
            {
                "Family": r["family"],
                "x": r["x"],
                "y": r["y"],
                "Covariates": ", ".join(r["covariates"]),
                "n": r["n"],
                "df": r["df"],
                "partial r": apa.fmt_r(r["r"]),
                "CI": _ci(r["ci_low"], r["ci_high"], r["confidence_level"], lz=False),
                "p": apa.fmt_p_value(r["p"]),
            }
        )
        if r["status"] == _OK:
            paras.append(
                f"{r['x']} and {r['y']}, controlling for {', '.join(r['covariates'])}: "
                f"r({apa.fmt_int(r['df'])}) = {apa.fmt_r(r['r'])}, "
                f"{_ci(r['ci_low'], r['ci_high'], r['confidence_level'], lz=False)}, {apa.fmt_p(r['p'])}."
            )
    paras += _problems(doc["partial_correlations"], lambda r: f"{r['x']} × {r['y']}")
    return Section(
        "partial-correlations",
        "Partial correlations (controlling for covariates)",
        paras,
        [("Partial correlations", pd.DataFrame(rows))],
    )


def _mixed(doc: Mapping[str, Any]) -> Section:
    rows, paras = [], []
    for m in doc["mixed_models"]:
        level = m["confidence_level"]
        for f in m["fixed_effects"]:
            rows.append(
                {
                    "Outcome": m["outcome"],
                    "Predictor model": m["predictor"],
                    "Term": f["term"],
                    "Estimate": _n(f["estimate"]),
                    "SE": _n(f["se"]),
                    "z": _n(f["z"]),
                    "p": apa.fmt_p_value(f["p"]),
                    "Wald CI": _ci(f["ci_low"], f["ci_high"], level),
                }
            )
        if m["status"] == _OK:
            paras.append(
                f"In a linear mixed model of {m['outcome']} over {len(m['timepoints'])} follow-ups "
                f"({m['n_obs']} observations of {m['n_groups']} participants, random intercept, "
                f"REML), {m['predictor']} had b = {_n(m['effect'])}, SE = {_n(m['effect_se'])}, "
                f"{apa.fmt_p(m['effect_p'])} (Wald z), "
                f"{_ci(m['effect_ci_low'], m['effect_ci_high'], level)}; parametric bootstrap "
                f"{_ci(m['boot_ci_low'], m['boot_ci_high'], level)} ({m['n_boot_valid']} "
                f"resamples). The optimizer {'converged' if m['converged'] else 'did NOT converge'}."
            )
    paras += _problems(doc["mixed_models"], lambda m: f"Model with {m['predictor']}")
    return Section(
        "mixed-models",
        "Linear mixed models over all follow-ups",
        paras,
        [("Fixed effects", pd.DataFrame(rows))],
    )


def _path_diagram(med: Mapping[str, Any]) -> Figure:
    from matplotlib.figure import Figure as MplFigure

    est = {(p["path"], p["mediator"]): p for p in med["paths"]}
    ms = list(med["m"])
    fig = MplFigure(figsize=(6.4, 1.6 + 1.0 * len(ms)), layout="constrained")
    ax = fig.add_subplot()
    ax.set_axis_off()
    ax.set_xlim(0, 10)
    top = len(ms) + 0.5
    ax.set_ylim(-0.8, top + 0.5)
    box = {"boxstyle": "round,pad=0.4", "fc": "#F2F2F2", "ec": "#333333"}
    ax.text(1, 0, med["x"], ha="center", va="center", bbox=box, fontsize=8)
    ax.text(9, 0, med["y"], ha="center", va="center", bbox=box, fontsize=8)
    arrow = {"arrowstyle": "->", "color": "#0072B2", "lw": 1.2}
    for i, m in enumerate(ms):
        y = top - i - 0.2
        ax.text(5, y, m, ha="center", va="center", bbox=box, fontsize=8)
        ax.annotate("", xy=(4.0, y), xytext=(1.6, 0.2), arrowprops=arrow)
        ax.annotate("", xy=(8.4, 0.2), xytext=(6.0, y), arrowprops=arrow)
        a, b = est.get(("a", m)), est.get(("b", m))
        if a and b:
            ax.text(2.4, (y + 0.2) / 2 + 0.25, f"a = {_n(a['estimate'])}", fontsize=8)
            ax.text(7.0, (y + 0.2) / 2 + 0.25, f"b = {_n(b['estimate'])}", fontsize=8)
    ax.annotate("", xy=(8.3, 0), xytext=(1.7, 0), arrowprops={**arrow, "color": "#D55E00"})
    c, cp = est.get(("c", "")), est.get(("c_prime", ""))
    if c and cp:
        ax.text(
            5, -0.45, f"c = {_n(c['estimate'])}, c′ = {_n(cp['estimate'])}", ha="center", fontsize=8
        )
    alt = f"Path diagram: {med['x']} to {', '.join(ms)} to {med['y']}, with unstandardized a, b, c and c′ paths."
    return Figure(
        to_svg(fig, "mediation"), f"Mediation model for {med['y']} (unstandardized OLS paths).", alt
    )


def _mediation(doc: Mapping[str, Any]) -> Section:
    rows, paras, figures = [], [], []
    for med in doc["mediation"]:
        level = med["confidence_level"]
        for p in med["paths"]:
            rows.append(
                {
                    "Model": f"{med['x']} → {med['y']}",
                    "Path": p["path"],
                    "Mediator": p["mediator"],
                    "Estimate": _n(p["estimate"]),
                    "SE": _n(p["se"]),
                    "p": apa.fmt_p_value(p["p"]),
                    "CI": _ci(p["ci_low"], p["ci_high"], level),
                }
            )
        for ind in med["indirect"]:
            rows.append(
                {
                    "Model": f"{med['x']} → {med['y']}",
                    "Path": "indirect (a·b)",
                    "Mediator": ind["mediator"],
                    "Estimate": _n(ind["estimate"]),
                    "SE": _n(ind["boot_se"]),
                    "p": "",
                    "CI": f"BCa {_ci(ind['bca_ci_low'], ind['bca_ci_high'], level)}; percentile "
                    f"{_ci(ind['percentile_ci_low'], ind['percentile_ci_high'], level)}",
                }
            )
            paras.append(
                f"Indirect effect of {med['x']} on {med['y']} via {ind['mediator']}: "
                f"ab = {_n(ind['estimate'])}, BCa bootstrap {_ci(ind['bca_ci_low'], ind['bca_ci_high'], level)} "
                f"({ind['n_boot_valid']} resamples, n = {med['n']})."
            )
        if med["status"] == _OK:
            figures.append(_path_diagram(med))
    paras += _problems(doc["mediation"], lambda m: f"Mediation {m['x']} → {m['y']}")
    return Section(
        "mediation",
        "Mediation (path) models",
        paras,
        [("Paths and indirect effects", pd.DataFrame(rows))],
        figures,
    )


def _facilitator(doc: Mapping[str, Any]) -> Section:
    fac = doc["facilitator"]
    paras = [f"Warning: {w}." for w in fac.get("warnings", [])]
    if fac.get("status") != _OK and fac.get("reason"):
        paras.insert(0, f"Not estimable: {fac['reason']}.")
    rows = [
        {
            "Variable": r["variable"],
            "n": r["n"],
            "Facilitators": r["n_clusters"],
            "ICC(1)": _n(r["icc"]),
            "CI": _ci(r["ci_low"], r["ci_high"], r["confidence_level"]),
            "F": _n(r["f"]),
            "p": apa.fmt_p_value(r["p"]),
        }
        for r in fac.get("icc", [])
    ]
    for r in fac.get("icc", []):
        if r["status"] == _OK:
            paras.append(
                f"ICC(1) of {r['variable']} by facilitator = {_n(r['icc'])}, "
                f"{_ci(r['ci_low'], r['ci_high'], r['confidence_level'])}, "
                f"F({apa.fmt_int(r['df1'])}, {apa.fmt_int(r['df2'])}) = {_n(r['f'])}, {apa.fmt_p(r['p'])}."
            )
    models = [
        {
            "Outcome": m["outcome"],
            "Alliance": m["predictor"],
            "b": _n(m.get("effect")),
            "SE": _n(m.get("effect_se")),
            "p": apa.fmt_p_value(m.get("effect_p")),
            "Facilitator variance": _n(m["group_variance"]),
            "Status": m["status"] if m["status"] == _OK else f"{m['status']}: {m['reason']}",
        }
        for m in fac.get("models", [])
    ]
    paras += _problems(fac.get("models", []), lambda m: f"{m['predictor']} → {m['outcome']}")
    tables = [("ICC(1) by facilitator", pd.DataFrame(rows))]
    if models:
        tables.append(
            ("Alliance–outcome with a facilitator random intercept", pd.DataFrame(models))
        )
    return Section("facilitator", "Facilitator effects", paras, tables)


def _forest(records: list[Mapping[str, Any]]) -> Figure | None:
    from matplotlib.figure import Figure as MplFigure

    records = [r for r in records if r["loo_r_min"] is not None and r["r"] is not None]
    if not records:
        return None

    fig = MplFigure(figsize=(6.4, 0.9 + 0.35 * len(records)), layout="constrained")
    ax = fig.add_subplot()
    ys = list(range(len(records)))[::-1]
    for y, r in zip(ys, records, strict=True):
        ax.plot(
            [r["loo_r_min"], r["loo_r_max"]], [y, y], color="#0072B2", lw=2.5, solid_capstyle="butt"
        )
        ax.plot([r["r"]], [y], "o", color="#D55E00" if r["conclusion_flips"] else "#000000", ms=5)
    ax.axvline(0, color="#999999", lw=0.8)
    ax.set_yticks(ys, [f"{r['x']} × {r['y']}" for r in records], fontsize=7)
    ax.set_xlabel("r (dot: all participants; bar: leave-one-out range)")
    return Figure(
        to_svg(fig, "sensitivity"),
        "Leave-one-out range of each correlation; orange dots mark correlations whose "
        "significance changes when a single participant is left out.",
        "Forest plot of leave-one-out correlation ranges for each pair.",
    )


def _sensitivity(doc: Mapping[str, Any]) -> Section:
    recs = doc["sensitivity"]
    rows = [
        {
            "Family": r["family"],
            "x": r["x"],
            "y": r["y"],
            "n": r["n"],
            "r": apa.fmt_r(r["r"]),
            "Spearman": apa.fmt_r(r["spearman_r"]),
            "BCa CI": _ci(r["bca_ci_low"], r["bca_ci_high"], r["confidence_level"], lz=False),
            "LOO range": f"{apa.fmt_r(r['loo_r_min'])} to {apa.fmt_r(r['loo_r_max'])}",
            "Most influential": r["most_influential"],
            "p": apa.fmt_p_value(r["p"]),
            "p Holm": apa.fmt_p_value(r["p_holm"]),
            "p FDR": apa.fmt_p_value(r["p_fdr_bh"]),
            "Depends on one participant": "yes" if r["conclusion_flips"] else "no",
        }
        for r in recs
    ]
    fragile = [r for r in recs if r["conclusion_flips"]]
    paras = [
        f"{len(fragile)} of {len(recs)} correlations change significance (alpha = "
        f"{_n(recs[0]['alpha'] if recs else 0.05)}) when one participant is left out."
    ]
    paras += [
        f"{r['x']} × {r['y']} (r = {apa.fmt_r(r['r'])}) depends on participant(s) "
        f"{', '.join(r['flip_participants'])}; most influential: {r['most_influential']} "
        f"(r without them = {apa.fmt_r(r['most_influential_r'])})."
        for r in fragile
    ]
    forest = _forest(recs)
    figures = [forest] if forest else []
    return Section(
        "sensitivity",
        "Sensitivity analyses",
        paras,
        [("Robustness of each correlation", pd.DataFrame(rows))],
        figures,
    )


def _bayes(doc: Mapping[str, Any]) -> Section:
    recs = doc["bayes_factors"]
    rows = [
        {
            "Family": r["family"],
            "x": r["x"],
            "y": r["y"],
            "n": r["n"],
            "r": apa.fmt_r(r["r"]),
            "BF10": _n(r["bf10"]),
        }
        for r in recs
    ]
    paras = [
        "Bayes factors use Jeffreys' test for a Pearson correlation with a stretched beta "
        "prior (Ly, Verhagen & Wagenmakers, 2016; kappa = 1, as in JASP). BF10 > 3 is "
        "moderate and > 10 strong evidence for a correlation; BF10 < 1/3 favours none."
    ]
    return Section(
        "bayes-factors", "Bayes factors for the correlations", paras, [("BF10", pd.DataFrame(rows))]
    )


_RENDERERS = {
    "efficacy": _efficacy,
    "partial_correlations": _partial,
    "mixed_models": _mixed,
    "mediation": _mediation,
    "facilitator": _facilitator,
    "sensitivity": _sensitivity,
    "bayes_factors": _bayes,
}


def render_sections(
    document: Mapping[str, Any], table: AnalysisTable | None = None
) -> list[Section]:
    """One report section per family beyond the paper present in ``document``.

    Parameters
    ----------
    document : mapping
        The results document (``results.json`` as a dict).
    table : AnalysisTable, optional
        The analysis table (unused for now; figures draw from the document).

    Returns
    -------
    list of Section
        In the order efficacy, partial correlations, mixed models, mediation, facilitator,
        sensitivity, Bayes factors; families absent from the document are skipped.
    """
    return [render(document) for key, render in _RENDERERS.items() if document.get(key)]
