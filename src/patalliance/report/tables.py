"""The report's tables, built from the results document (``results.json``).

Each :class:`ReportTable` has two frames with the same rows:

- ``display``: formatted text in the layout of a psychedelic-research paper (APA rounding,
  real minus signs, significance markers); used by the HTML, the Word file and the formatted
  CSVs;
- ``data``: the same content with numbers as unrounded numbers; used by the Excel workbook.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from patalliance.report import apa
from patalliance.report.labels import Labeler


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


def qc_summary(document: Mapping[str, Any]) -> ReportTable:
    """Rows read, used and excluded, per input file and in total, then excluded by reason."""
    qc = document.get("qc", {})
    rows: list[dict[str, Any]] = []
    for f in qc.get("files", []):
        rows.append(
            {
                "Source": f"{f.get('role', 'input')}: {f.get('path', '')}",
                "Rows read": f.get("rows"),
                "Rows used": f.get("rows_used"),
                "Rows excluded": f.get("rows_excluded"),
            }
        )
    rows.append(
        {
            "Source": "Total",
            "Rows read": qc.get("rows_read"),
            "Rows used": qc.get("rows_used"),
            "Rows excluded": qc.get("rows_excluded"),
        }
    )
    for reason, count in sorted(qc.get("excluded_by_reason", {}).items()):
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
        f"Validation policy: {qc.get('policy', 'strict')}. Every input row is either used or "
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


def reproduction(document: Mapping[str, Any]) -> ReportTable | None:
    """Published vs reproduced statistics, when the document has a ``reproduction`` list."""
    items = document.get("reproduction")
    if not items:
        return None
    rows = []
    for item in items:
        ok = item.get("ok")
        rows.append(
            {
                "Target": str(item.get("target", "")),
                "Published": "" if item.get("published") is None else str(item.get("published")),
                "Reproduced": "" if item.get("reproduced") is None else str(item.get("reproduced")),
                "Match": "yes" if ok else ("no" if ok is not None else "n/a"),
            }
        )
    display = pd.DataFrame(rows, columns=["Target", "Published", "Reproduced", "Match"])
    n_ok = sum(1 for item in items if item.get("ok"))
    note = f"{n_ok} of {len(items)} published statistics reproduced to the reported precision."
    return ReportTable(
        "reproduction", "Published vs reproduced results", display, display.copy(), note
    )


def _descriptive_variables(document: Mapping[str, Any]) -> list[str]:
    """Totals of every measure, plus every scale of the measures in the change tests."""
    change_measures = {
        str(c.get(k, "")).partition(".")[0]
        for c in document.get("change", [])
        for k in ("variable_from", "variable_to")
    }
    chosen = []
    for d in document.get("descriptives", []):
        var = str(d["variable"])
        head = var.partition("@")[0]
        measure, _, scale = head.partition(".")
        if scale.endswith(("_pct", "_change")) or scale in {"response", "remission"}:
            continue
        if scale == "total" or measure in change_measures:
            chosen.append(var)
    return chosen


def descriptives(
    document: Mapping[str, Any], labeler: Labeler, arm_labels: Mapping[str, str]
) -> ReportTable:
    """n, M (SD) and range of each total (and the alliance subscales), overall and by arm."""
    overall = {str(d["variable"]): d for d in document.get("descriptives", [])}
    by_arm: dict[tuple[str, str], Mapping[str, Any]] = {
        (str(d["arm"]), str(d["variable"])): d for d in document.get("descriptives_by_arm", [])
    }
    arms = [a for a in arm_labels if any(k[0] == a for k in by_arm)]
    disp_rows, data_rows = [], []
    for var in _descriptive_variables(document):
        d = overall[var]
        m, s, t = labeler.parts(var)
        disp: dict[str, Any] = {
            "Measure": f"{m} {s}",
            "Timepoint": t,
            "n": apa.fmt_int(d.get("n")),
            "M (SD)": apa.fmt_mean_sd(d.get("mean"), d.get("sd")),
            "Range": (
                f"{apa.fmt_num(d.get('min'))}–{apa.fmt_num(d.get('max'))}"
                if not apa.is_missing(d.get("min"))
                else apa.NA
            ),
        }
        row: dict[str, Any] = {
            "Measure": f"{m} {s}",
            "Timepoint": t,
            "Variable": var,
            "n": d.get("n"),
            "M": _num(d.get("mean")),
            "SD": _num(d.get("sd")),
            "Min": _num(d.get("min")),
            "Max": _num(d.get("max")),
        }
        for arm in arms:
            a = by_arm.get((arm, var), {})
            label = arm_labels[arm]
            disp[f"{label}: n"] = apa.fmt_int(a.get("n"))
            disp[f"{label}: M (SD)"] = apa.fmt_mean_sd(a.get("mean"), a.get("sd"))
            row[f"{label}: n"] = a.get("n")
            row[f"{label}: M"] = _num(a.get("mean"))
            row[f"{label}: SD"] = _num(a.get("sd"))
        disp_rows.append(disp)
        data_rows.append(row)
    display = pd.DataFrame(disp_rows)
    data = pd.DataFrame(data_rows)
    formats = {
        c: ("0" if c.endswith("n") else "0.00")
        for c in data.columns
        if c not in {"Measure", "Timepoint", "Variable"}
    }
    note = (
        "M = mean; SD = standard deviation (n − 1 denominator); n = participants with a score. "
        "Peak = the higher score of the two sessions. Descriptives of every variable, including "
        "subscales, change scores and response/remission, are in tables/descriptives.csv."
    )
    return ReportTable(
        "descriptives", "Descriptive statistics by timepoint and arm", display, data, note, formats
    )


def change(document: Mapping[str, Any], labeler: Labeler) -> ReportTable | None:
    """Paired change tests: means, mean difference with CI, t, p, d_z with CI, d_av."""
    records = document.get("change", [])
    if not records:
        return None
    level = float(records[0].get("confidence_level") or document["plan"]["confidence_level"])
    ci = apa.ci_label(level)
    disp_rows, data_rows = [], []
    for c in records:
        name = c.get("label") or (
            f"{labeler.short(c['variable_from'])}: {labeler.parts(c['variable_from'])[2]} → "
            f"{labeler.parts(c['variable_to'])[2]}"
        )
        disp_rows.append(
            {
                "Change": name,
                "n": apa.fmt_int(c.get("n")),
                "M (SD) before": apa.fmt_mean_sd(c.get("mean_from"), c.get("sd_from")),
                "M (SD) after": apa.fmt_mean_sd(c.get("mean_to"), c.get("sd_to")),
                f"Mdiff [{ci} CI]": (
                    f"{apa.fmt_num(c.get('mean_diff'))} "
                    f"[{apa.fmt_num(c.get('diff_ci_low'))}, {apa.fmt_num(c.get('diff_ci_high'))}]"
                ),
                "t": apa.fmt_num(c.get("t")),
                "df": apa.fmt_int(c.get("df")),
                "p": apa.fmt_p_value(c.get("p")),
                f"d_z [{ci} CI]": (
                    f"{apa.fmt_num(c.get('d_z'))} "
                    f"[{apa.fmt_num(c.get('d_z_ci_low'))}, {apa.fmt_num(c.get('d_z_ci_high'))}]"
                ),
                "d_av": apa.fmt_num(c.get("d_av")),
                "Wilcoxon p": apa.fmt_p_value(c.get("wilcoxon_p")),
            }
        )
        data_rows.append(
            {
                "Change": name,
                "n": c.get("n"),
                "M before": _num(c.get("mean_from")),
                "SD before": _num(c.get("sd_from")),
                "M after": _num(c.get("mean_to")),
                "SD after": _num(c.get("sd_to")),
                "Mdiff": _num(c.get("mean_diff")),
                "Mdiff CI low": _num(c.get("diff_ci_low")),
                "Mdiff CI high": _num(c.get("diff_ci_high")),
                "t": _num(c.get("t")),
                "df": _num(c.get("df")),
                "p": _num(c.get("p")),
                "d_z": _num(c.get("d_z")),
                "d_z CI low": _num(c.get("d_z_ci_low")),
                "d_z CI high": _num(c.get("d_z_ci_high")),
                "d_av": _num(c.get("d_av")),
                "Wilcoxon p": _num(c.get("wilcoxon_p")),
            }
        )
    data = pd.DataFrame(data_rows)
    formats = {c: "0.00" for c in data.columns if c != "Change"}
    formats.update({"n": "0", "p": "0.000", "Wilcoxon p": "0.000"})
    note = (
        "Paired t test on participants with both scores (complete pairs). "
        "d_z = mean difference / SD of the differences; d_av = mean difference / mean of the two "
        "SDs (Lakens, 2013), the d reported by Levin et al. (2024). Wilcoxon signed-rank p as a "
        "sensitivity check."
    )
    return ReportTable(
        "change", "Change over time (paired tests)", pd.DataFrame(disp_rows), data, note, formats
    )


def significance_p(record: Mapping[str, Any]) -> Any:
    """The p-value that decides significance markers: adjusted when an adjustment is used."""
    adjust = record.get("adjust") or "none"
    return record.get("p_adj") if adjust != "none" else record.get("p")


def family_title(family: Mapping[str, Any], labeler: Labeler) -> str:
    """The family's label, or "Correlations of <x> with <y>" from the variable names."""
    return _family_title(
        family, labeler, labeler.axis(family["x"])[1], labeler.axis(family["y"])[1]
    )


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


def _family_title(family: Mapping[str, Any], labeler: Labeler, x_common: str, y_common: str) -> str:
    del x_common, y_common
    if family.get("label"):
        return str(family["label"])
    xs = _axis_title(family["x"], labeler)
    ys = _axis_title(family["y"], labeler)
    return f"Correlations of {xs} with {ys}"


def correlation_table(
    document: Mapping[str, Any], family: Mapping[str, Any], labeler: Labeler
) -> ReportTable:
    """One family in paper layout: rows = x variables, columns = y variables, cells r + n."""
    name = str(family["family"])
    records = {
        (str(r["x"]), str(r["y"])): r
        for r in document.get("correlations", [])
        if r.get("family") == name
    }
    xs: Sequence[str] = family["x"]
    ys: Sequence[str] = family["y"]
    x_labels, x_common = labeler.axis(xs)
    y_labels, y_common = labeler.axis(ys)
    first = "Variable" if not x_common else x_common
    disp_rows, data_rows = [], []
    adjust = "none"
    method = document.get("plan", {}).get("correlation", "pearson")
    for xv, xl in zip(xs, x_labels, strict=True):
        disp: dict[str, Any] = {first: xl}
        row: dict[str, Any] = {first: xl}
        for yv, yl in zip(ys, y_labels, strict=True):
            rec = records.get((xv, yv))
            if rec is None:
                disp[yl] = apa.NA
                row[f"{yl}: r"] = row[f"{yl}: n"] = row[f"{yl}: p"] = None
                continue
            adjust = rec.get("adjust") or "none"
            method = rec.get("method", method)
            marker = apa.sig_marker(significance_p(rec))
            r_text = apa.fmt_r(rec.get("r"))
            disp[yl] = f"{r_text}{marker} (n = {apa.fmt_int(rec.get('n'))})"
            row[f"{yl}: r"] = _num(rec.get("r"))
            row[f"{yl}: n"] = rec.get("n")
            row[f"{yl}: p"] = _num(rec.get("p"))
            if adjust != "none":
                row[f"{yl}: p adjusted"] = _num(rec.get("p_adj"))
        disp_rows.append(disp)
        data_rows.append(row)
    data = pd.DataFrame(data_rows)
    formats = {}
    for c in data.columns[1:]:
        formats[c] = "0" if c.endswith(": n") else ("0.000" if ": p" in c else "0.00")
    sym = "Spearman's r_s" if method == "spearman" else "Pearson's r"
    basis = (
        f"p adjusted within the family ({_adjust_name(adjust)})"
        if adjust != "none"
        else "two-tailed p, not adjusted for multiple comparisons"
    )
    note = (
        f"Cells: {sym} with the number of participants with both values (pairwise n). "
        f"* p < .05, ** p < .01, *** p < .001 ({basis})."
    )
    if x_common and y_common:
        note += f" Rows: {x_common}; columns: {y_common}."
    elif y_common:
        note += f" Columns: {y_common}."
    return ReportTable(
        f"correlations_{name}",
        _family_title(family, labeler, x_common, y_common),
        pd.DataFrame(disp_rows),
        data,
        note,
        formats,
        kind="correlation",
    )


def _adjust_name(adjust: str) -> str:
    return {"holm": "Holm", "fdr_bh": "Benjamini–Hochberg false discovery rate"}.get(adjust, adjust)


def qc_problems(document: Mapping[str, Any], limit: int = 500) -> pd.DataFrame:
    """The validation problems (file, row, column, code, message), at most ``limit`` rows."""
    problems = document.get("qc", {}).get("problems", [])
    cols = ["severity", "file", "row", "column", "code", "message"]
    frame = pd.DataFrame(problems[:limit], columns=cols) if problems else pd.DataFrame(columns=cols)
    frame["row"] = [("" if apa.is_missing(v) else str(int(v))) for v in frame["row"]]
    return frame.fillna("").astype(str)


def build_tables(
    document: Mapping[str, Any], labeler: Labeler, arm_labels: Mapping[str, str]
) -> list[ReportTable]:
    """Every table of the report in order: reproduction, descriptives, change, families, QC."""
    tables: list[ReportTable] = []
    rep = reproduction(document)
    if rep is not None:
        tables.append(rep)
    tables.append(descriptives(document, labeler, arm_labels))
    ch = change(document, labeler)
    if ch is not None:
        tables.append(ch)
    for family in document.get("plan", {}).get("correlations", []):
        tables.append(correlation_table(document, family, labeler))
    tables.append(qc_summary(document))
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
