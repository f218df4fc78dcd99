"""The report's tables, built from the typed results.

Each :class:`ReportTable` has two frames with the same rows:

- ``display``: formatted text in the layout of a psychedelic-research paper (APA rounding,
  real minus signs, significance markers); used by the HTML, the Word file and the formatted
  CSVs;
- ``data``: the same content with numbers as unrounded numbers; used by the Excel workbook.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from patalliance.analysis.change import ChangeRecord
from patalliance.analysis.correlations import CorrelationRecord
from patalliance.analysis.descriptives import Descriptives
from patalliance.analysis.records import Family, PublishedComparison
from patalliance.analysis.results import AnalysisResults
from patalliance.document import relative_path
from patalliance.qc import ValidationReport
from patalliance.report import apa
from patalliance.report.identifiers import Pseudonyms
from patalliance.report.labels import Labeler, peak_phrase
from patalliance.study import AnalysisPlan, CorrelationFamily


@dataclass(frozen=True)
class ReportTable:
    """One table: a file/sheet ``key``, a title, display and numeric frames, a note."""

    key: str
    title: str
    display: pd.DataFrame
    data: pd.DataFrame
    note: str = ""
    number_formats: Mapping[str, str] = field(default_factory=dict)
    kind: str = "plain"  # "plain" | "correlation"


def _num(value: Any) -> float:
    return float("nan") if apa.is_missing(value) else float(value)


def qc_summary(qc: ValidationReport, base_dir: Path) -> ReportTable:
    """Rows read, used and excluded, per input file and in total, then excluded by reason."""
    rows: list[dict[str, Any]] = []
    for f in qc.files:
        rows.append(
            {
                "Source": f"{f.get('role', 'input')}: {relative_path(str(f.get('path', '')), base_dir)}",
                "Rows read": f.get("rows"),
                "Rows used": f.get("rows_used"),
                "Rows excluded": f.get("rows_excluded"),
            }
        )
    rows.append(
        {
            "Source": "Total",
            "Rows read": qc.rows_read,
            "Rows used": qc.rows_used,
            "Rows excluded": qc.rows_excluded,
        }
    )
    for reason, count in sorted(qc.excluded_by_reason.items()):
        rows.append(
            {
                "Source": f"Excluded: {reason}",
                "Rows read": None,
                "Rows used": None,
                "Rows excluded": count,
            }
        )
    data = pd.DataFrame(rows, columns=["Source", "Rows read", "Rows used", "Rows excluded"])
    display = data.copy()
    for col in ["Rows read", "Rows used", "Rows excluded"]:
        display[col] = [("" if apa.is_missing(v) else str(int(v))) for v in data[col]]
        data[col] = [(None if apa.is_missing(v) else int(v)) for v in data[col]]
    note = (
        f"Validation policy: {qc.policy}. Every input row is either used or "
        "excluded with a reason: rows read = rows used + rows excluded."
    )
    return ReportTable(
        "qc_summary",
        "Data quality control: rows read, used and excluded",
        display,
        data,
        note,
        {c: "0" for c in data.columns[1:]},
    )


def reproduction(items: Sequence[PublishedComparison] | None) -> ReportTable | None:
    """Published vs reproduced statistics (the demo's comparison with the papers)."""
    if not items:
        return None
    rows = [
        {
            "Target": item.target,
            "Published": item.published,
            "Reproduced": item.reproduced,
            "Match": "yes" if item.ok else "no",
        }
        for item in items
    ]
    display = pd.DataFrame(rows, columns=["Target", "Published", "Reproduced", "Match"])
    n_ok = sum(1 for item in items if item.ok)
    note = f"{n_ok} of {len(items)} published statistics reproduced to the reported precision."
    return ReportTable(
        "reproduction", "Published vs reproduced results", display, display.copy(), note
    )


def _descriptive_variables(descriptives: Descriptives, change: Family[ChangeRecord]) -> list[str]:
    """Totals of every measure, plus every scale of the measures in the change tests."""
    change_measures = {
        var.partition(".")[0] for c in change for var in (c.variable_from, c.variable_to)
    }
    chosen = []
    for d in descriptives:
        head = d.variable.partition("@")[0]
        measure, _, scale = head.partition(".")
        if scale.endswith(("_pct", "_change")) or scale in {"response", "remission"}:
            continue
        if scale == "total" or measure in change_measures:
            chosen.append(d.variable)
    return chosen


def descriptives(
    results: AnalysisResults, labeler: Labeler, arm_labels: Mapping[str, str]
) -> ReportTable:
    """n, M (SD) and range of each total (and the alliance subscales), overall and by arm."""
    overall = {d.variable: d for d in results.descriptives}
    by_arm = {(d.arm, d.variable): d for d in results.descriptives.by_arm}
    arms = [a for a in arm_labels if any(k[0] == a for k in by_arm)]
    disp_rows, data_rows = [], []
    for var in _descriptive_variables(results.descriptives, results.change):
        d = overall[var]
        m, s, t = labeler.parts(var)
        disp: dict[str, Any] = {
            "Measure": f"{m} {s}",
            "Timepoint": t,
            "n": apa.fmt_int(d.n),
            "M (SD)": apa.fmt_mean_sd(d.mean, d.sd),
            "Range": (
                f"{apa.fmt_num(d.min)}–{apa.fmt_num(d.max)}"
                if not apa.is_missing(d.min)
                else apa.NA
            ),
        }
        row: dict[str, Any] = {
            "Measure": f"{m} {s}",
            "Timepoint": t,
            "Variable": var,
            "n": d.n,
            "M": _num(d.mean),
            "SD": _num(d.sd),
            "Min": _num(d.min),
            "Max": _num(d.max),
        }
        for arm in arms:
            a = by_arm.get((arm, var))
            label = arm_labels[arm]
            disp[f"{label}: n"] = apa.fmt_int(a.n if a else None)
            disp[f"{label}: M (SD)"] = apa.fmt_mean_sd(a.mean if a else None, a.sd if a else None)
            row[f"{label}: n"] = a.n if a else None
            row[f"{label}: M"] = _num(a.mean if a else None)
            row[f"{label}: SD"] = _num(a.sd if a else None)
        disp_rows.append(disp)
        data_rows.append(row)
    display = pd.DataFrame(disp_rows)
    data = pd.DataFrame(data_rows)
    formats = {
        c: ("0" if c.endswith("n") else "0.00")
        for c in data.columns
        if c not in {"Measure", "Timepoint", "Variable"}
    }
    peak = peak_phrase(results.study)
    note = (
        "M = mean; SD = standard deviation (n − 1 denominator); n = participants with a score. "
        + (f"Peak = {peak}. " if peak else "")
        + "Descriptives of every variable, including "
        "subscales, change scores and response/remission, are in tables/descriptives.csv."
    )
    return ReportTable(
        "descriptives", "Descriptive statistics by timepoint and arm", display, data, note, formats
    )


def change_name(c: ChangeRecord, labeler: Labeler) -> str:
    """The change test's label, or ``WAI-SR Total: prep → post``."""
    return c.label or (
        f"{labeler.short(c.variable_from)}: {labeler.parts(c.variable_from)[2]} → "
        f"{labeler.parts(c.variable_to)[2]}"
    )


def _change_display(c: ChangeRecord, name: str, ci: str) -> dict[str, Any]:
    return {
        "Change": name,
        "n": apa.fmt_int(c.n),
        "M (SD) before": apa.fmt_mean_sd(c.mean_from, c.sd_from),
        "M (SD) after": apa.fmt_mean_sd(c.mean_to, c.sd_to),
        f"Mdiff [{ci} CI]": (
            f"{apa.fmt_num(c.mean_diff)} "
            f"[{apa.fmt_num(c.diff_ci_low)}, {apa.fmt_num(c.diff_ci_high)}]"
        ),
        "t": apa.fmt_num(c.t),
        "df": apa.fmt_int(c.df),
        "p": apa.fmt_p_value(c.p),
        f"d_z [{ci} CI]": (
            f"{apa.fmt_num(c.d_z)} [{apa.fmt_num(c.d_z_ci_low)}, {apa.fmt_num(c.d_z_ci_high)}]"
        ),
        "d_av": apa.fmt_num(c.d_av),
        "Wilcoxon p": apa.fmt_p_value(c.wilcoxon_p),
    }


def _change_data(c: ChangeRecord, name: str, ci: str) -> dict[str, Any]:
    return {
        "Change": name,
        "n": c.n,
        "M before": _num(c.mean_from),
        "SD before": _num(c.sd_from),
        "M after": _num(c.mean_to),
        "SD after": _num(c.sd_to),
        "Mdiff": _num(c.mean_diff),
        f"Mdiff {ci} CI low": _num(c.diff_ci_low),
        f"Mdiff {ci} CI high": _num(c.diff_ci_high),
        "t": _num(c.t),
        "df": _num(c.df),
        "p": _num(c.p),
        "d_z": _num(c.d_z),
        f"d_z {ci} CI low": _num(c.d_z_ci_low),
        f"d_z {ci} CI high": _num(c.d_z_ci_high),
        "d_av": _num(c.d_av),
        "Wilcoxon p": _num(c.wilcoxon_p),
    }


def change(records: Family[ChangeRecord], labeler: Labeler) -> ReportTable | None:
    """Paired change tests: means, mean difference with CI, t, p, d_z with CI, d_av."""
    if not records:
        return None
    ci = apa.ci_label(records[0].confidence_level)
    names = [change_name(c, labeler) for c in records]
    display = pd.DataFrame([_change_display(c, n, ci) for c, n in zip(records, names, strict=True)])
    data = pd.DataFrame([_change_data(c, n, ci) for c, n in zip(records, names, strict=True)])
    formats = {c: "0.00" for c in data.columns if c != "Change"}
    formats.update({"n": "0", "p": "0.000", "Wilcoxon p": "0.000"})
    kinds = {c.wilcoxon_method for c in records if c.wilcoxon_method}
    wilcoxon = {
        "exact": "exact p",
        "normal_cc": "normal approximation with continuity correction (ties or zero differences)",
    }
    used = "; ".join(wilcoxon[k] for k in sorted(kinds) if k in wilcoxon)
    note = (
        "Paired t test on participants with both scores (complete pairs). "
        f"d_z = mean difference / SD of the differences, with a noncentral-t {ci} confidence "
        "interval (Steiger & Fouladi, 1997); d_av = mean difference / mean of the two SDs (Lakens, 2013), "
        "the d reported by Levin et al. (2024). Wilcoxon signed-rank p as a sensitivity check, "
        "computed as R's wilcox.test does by default" + (f" (here: {used})." if used else ".")
    )
    return ReportTable("change", "Change over time (paired tests)", display, data, note, formats)


def significant(record: CorrelationRecord, alpha: float) -> bool:
    """Whether the correlation is significant at ``alpha`` (adjusted p when adjusted)."""
    p = record.decision_p
    return not apa.is_missing(p) and float(p) < alpha


def family_title(family: CorrelationFamily, labeler: Labeler) -> str:
    """The family's label, or "Correlations of <x> with <y>" from the variable names."""
    if family.label:
        return family.label
    return f"Correlations of {_axis_title(family.x, labeler)} with {_axis_title(family.y, labeler)}"


def _axis_title(variables: Sequence[str], labeler: Labeler) -> str:
    parts = [labeler.parts(v) for v in variables]
    if len(parts) == 1:
        m, sc, t = parts[0]
        return f"{m} {sc} ({t})" if sc else m
    shorts = list(dict.fromkeys(f"{m} {sc}".strip() for m, sc, _ in parts))
    tps = list(dict.fromkeys(t for _, _, t in parts))
    if len(shorts) == 1:
        return shorts[0]
    if len(tps) == 1 and tps[0]:
        return f"{', '.join(shorts)} ({tps[0]})"
    return ", ".join(shorts)


def _correlation_note(plan: AnalysisPlan, adjust: str, x_common: str, y_common: str) -> str:
    sym = "Spearman's r_s" if plan.correlation == "spearman" else "Pearson's r"
    n_kind = "pairwise n" if plan.missing == "pairwise" else "n after listwise deletion"
    basis = (
        f"p adjusted within the family ({adjust_name(adjust)})"
        if adjust != "none"
        else "two-tailed p, not adjusted for multiple comparisons"
    )
    note = (
        f"Cells: {sym} with the number of participants with both values ({n_kind}). "
        f"* p < .05, ** p < .01, *** p < .001 ({basis})."
    )
    if x_common and y_common:
        note += f" Rows: {x_common}; columns: {y_common}."
    elif y_common:
        note += f" Columns: {y_common}."
    return note


def correlation_table(
    family: CorrelationFamily, records: Family[CorrelationRecord], labeler: Labeler,
    plan: AnalysisPlan,
) -> ReportTable:  # fmt: skip
    """One family in paper layout: rows = x variables, columns = y variables, cells r + n."""
    by_pair = {(r.x, r.y): r for r in records if r.family == family.family}
    x_labels, x_common = labeler.axis(family.x)
    y_labels, y_common = labeler.axis(family.y)
    first = x_common or "Variable"
    disp_rows, data_rows = [], []
    adjust: str = plan.adjust
    for xv, xl in zip(family.x, x_labels, strict=True):
        disp: dict[str, Any] = {first: xl}
        row: dict[str, Any] = {first: xl}
        for yv, yl in zip(family.y, y_labels, strict=True):
            rec = by_pair.get((xv, yv))
            if rec is None:
                disp[yl] = apa.NA
                row[f"{yl}: r"] = row[f"{yl}: n"] = row[f"{yl}: p"] = None
                continue
            adjust = rec.adjust
            marker = apa.sig_marker(rec.decision_p)
            disp[yl] = f"{apa.fmt_r(rec.r)}{marker} (n = {apa.fmt_int(rec.n)})"
            row[f"{yl}: r"] = _num(rec.r)
            row[f"{yl}: n"] = rec.n
            row[f"{yl}: p"] = _num(rec.p)
            if adjust != "none":
                row[f"{yl}: p adjusted"] = _num(rec.p_adj)
        disp_rows.append(disp)
        data_rows.append(row)
    data = pd.DataFrame(data_rows)
    formats = {
        c: "0" if c.endswith(": n") else ("0.000" if ": p" in c else "0.00")
        for c in data.columns[1:]
    }
    return ReportTable(
        f"correlations_{family.family}",
        family_title(family, labeler),
        pd.DataFrame(disp_rows),
        data,
        _correlation_note(plan, adjust, x_common, y_common),
        formats,
        kind="correlation",
    )


def adjust_name(adjust: str) -> str:
    """``Holm`` or ``Benjamini–Hochberg false discovery rate``."""
    return {"holm": "Holm", "fdr_bh": "Benjamini–Hochberg false discovery rate"}.get(adjust, adjust)


def qc_problems(
    qc: ValidationReport, base_dir: Path, limit: int = 500, *, ids: Pseudonyms | None = None
) -> pd.DataFrame:
    """The validation problems (file, row, column, code, message), at most ``limit`` rows;
    participants named in messages by their report labels (``ids``)."""
    scrub = ids.scrub if ids is not None else (lambda text: text)
    cols = ["severity", "file", "row", "column", "code", "message"]
    rows = [
        {
            "severity": p.severity,
            "file": relative_path(p.file, base_dir) if p.file else "",
            "row": "" if p.row is None else str(int(p.row)),
            "column": p.column,
            "code": p.code,
            "message": scrub(p.message),
        }
        for p in qc.problems[:limit]
    ]
    return pd.DataFrame(rows, columns=cols).fillna("").astype(str)


def build_tables(
    results: AnalysisResults, labeler: Labeler, arm_labels: Mapping[str, str]
) -> list[ReportTable]:
    """Every table of the report in order: reproduction, descriptives, change, families, QC."""
    tables: list[ReportTable] = []
    rep = reproduction(results.reproduction)
    if rep is not None:
        tables.append(rep)
    tables.append(descriptives(results, labeler, arm_labels))
    ch = change(results.change, labeler)
    if ch is not None:
        tables.append(ch)
    plan = results.study.analysis
    for family in plan.correlations:
        tables.append(correlation_table(family, results.correlations, labeler, plan))
    tables.append(qc_summary(results.qc, results.study.base_dir))
    return tables


def numeric_columns(frame: pd.DataFrame) -> list[str]:
    """Columns whose non-missing values are all numbers."""
    out = []
    for col in frame.columns:
        values = [
            v for v in frame[col] if v is not None and not (isinstance(v, float) and np.isnan(v))
        ]
        if values and all(
            isinstance(v, int | float | np.integer | np.floating) and not isinstance(v, bool)
            for v in values
        ):
            out.append(col)
    return out
