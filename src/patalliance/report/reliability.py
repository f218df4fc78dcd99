"""The report's "Reliability" section and its methods sentence: Cronbach's α with its Feldt
interval and McDonald's ω of every scale at every timepoint with item data.

Numbers are rounded here and only here; α and ω have no leading zero (APA: bounded by 1).
Scales that are not estimable are listed with their reason, never dropped.
"""

from __future__ import annotations

import pandas as pd

from patalliance.analysis.reliability import ReliabilityRecord
from patalliance.analysis.results import AnalysisResults
from patalliance.report import apa
from patalliance.report.labels import Labeler
from patalliance.report.sections import Section
from patalliance.status import Status

__all__ = ["reliability_section", "reliability_sentence"]

CRONBACH_1951 = (
    "Cronbach, L. J. (1951). Coefficient alpha and the internal structure of tests. "
    "Psychometrika, 16(3), 297-334. https://doi.org/10.1007/BF02310555"
)
FELDT_1987 = (
    "Feldt, L. S., Woodruff, D. J., & Salih, F. A. (1987). Statistical inference for "
    "coefficient alpha. Applied Psychological Measurement, 11(1), 93-103. "
    "https://doi.org/10.1177/014662168701100107"
)
MCDONALD_1999 = "McDonald, R. P. (1999). Test theory: A unified treatment. Erlbaum."


def _a(x: float) -> str:
    return apa.fmt_num(x, 2, leading_zero=False)


def _when(label: str) -> str:
    """A timepoint label inside a sentence: ``the final preparation session``, ``week 5``."""
    if len(label) > 1 and label[1].islower():
        label = label[0].lower() + label[1:]
    return f"the {label}" if label.endswith("session") else label


def _scale(rec: ReliabilityRecord, lab: Labeler) -> str:
    return f"{lab.measure(rec.measure)} {lab.scale(rec.measure, rec.scale).lower()}"


def reliability_section(res: AnalysisResults, lab: Labeler) -> Section:
    """The "Reliability" section: one table row per measure × scale × timepoint."""
    rows = []
    for r in res.reliability:
        head = f"α {apa.ci_label(r.confidence_level)} CI"
        rows.append(
            {
                "Measure": lab.measure(r.measure),
                "Scale": lab.scale(r.measure, r.scale),
                "Timepoint": lab.timepoint(r.timepoint),
                "n": r.n,
                "Items": r.n_items,
                "α": _a(r.alpha),
                head: apa.fmt_interval(r.alpha_ci_low, r.alpha_ci_high, leading_zero=False),
                "ω": _a(r.omega),
                "Status": "ok"
                if r.status is Status.OK
                else f"{Status(r.status).value.replace('_', ' ')}: {r.reason}",
            }
        )
    excluded = sum(r.n_excluded for r in res.reliability)
    paras = [
        "Internal consistency on complete item sets (reverse-keyed items reversed first): "
        "Cronbach's (1951) α with the F-based interval of Feldt, Woodruff and Salih (1987), "
        "and McDonald's (1999) ω total from a one-factor maximum-likelihood factor analysis "
        "of the item correlations. n counts complete item sets"
        + (
            f"; {excluded} administration(s) with a missing item were left out."
            if excluded
            else "; no administration had a missing item."
        )
    ]
    return Section("reliability", "Reliability", paras, [("Reliability", pd.DataFrame(rows))])


def reliability_sentence(res: AnalysisResults, lab: Labeler, refs: list[str]) -> str:
    """One methods sentence: α of each measure's total (or first) scale at each timepoint,
    adding its references to ``refs``.

    Empty when the family is off or holds no estimate.
    """
    if not res.study.analysis.reliability:
        return ""
    chosen: dict[str, str] = {}
    for r in res.reliability:
        if r.measure not in chosen or r.scale == "total":
            chosen[r.measure] = r.scale
    parts = []
    for measure, scale in chosen.items():
        recs = [
            r
            for r in res.reliability
            if r.measure == measure and r.scale == scale and r.status is Status.OK
        ]
        if not recs:
            continue
        at = ", ".join(f"{_a(r.alpha)} at {_when(lab.timepoint(r.timepoint))}" for r in recs)
        parts.append(f"{at} for the {_scale(recs[0], lab)}")
    if not parts:
        return ""
    refs.extend(c for c in (CRONBACH_1951, FELDT_1987, MCDONALD_1999) if c not in refs)
    return (
        "Internal consistency on complete item sets (Cronbach's α with Feldt intervals and "
        "McDonald's ω; see Reliability): α was " + "; ".join(parts) + "."
    )
