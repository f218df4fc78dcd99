"""The bundled demo: the synthetic ``levin2024`` trial, analysed and compared with the papers.

The demo data are **synthetic**: simulated item responses calibrated (by
:mod:`patalliance.simulate.calibrate`) so that their analysis reproduces the published results
of Levin et al. (2024) and the GRID-HAMD means of Davis et al. (2021). ``targets.toml`` beside
the study holds the published values; :func:`compare_targets` checks each of them against the
results at the precision it was reported. The published numbers live only here, with the demo:
the general analysis never quotes another paper's results.
"""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from patalliance.analysis.correlations import CorrelationRecord
from patalliance.analysis.records import PublishedComparison
from patalliance.analysis.results import AnalysisResults
from patalliance.report import apa
from patalliance.simulate.targets import Reported, Targets, load_targets
from patalliance.study import Study, load_study

if TYPE_CHECKING:
    from patalliance.results import Results

DEMO_DIR = Path(__file__).parent / "data" / "levin2024"
DEMO_FILES = ("study.toml", "responses.csv", "participants.csv", "targets.toml", "README.md")


def demo_study() -> Study:
    """The bundled SYNTHETIC demo study (``levin2024``), loaded from the installed package.

    Its data are simulated, calibrated to the published results of Levin et al. (2024) and
    Davis et al. (2021); no real participant is in them.
    """
    return load_study(DEMO_DIR / "study.toml")


def copy_demo(folder: Path) -> Path:
    """Copy the bundled study into ``folder`` and return the copied study file."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in DEMO_FILES:
        shutil.copyfile(DEMO_DIR / name, folder / name)
    return folder / "study.toml"


def _reported(label: str, raw: str | float | None) -> str:
    if raw is None:
        return ""
    text = str(raw).strip().replace("-", "\u2212")
    if text.lower() == "ns":
        return f"{label} ≥ .05 (n.s.)"
    if text.startswith("<"):
        return f"{label} < {text[1:].strip()}"
    return f"{label} = {text}"


def _check(raw: str | float | None, value: float | None, alpha: float = 0.05) -> bool:
    if raw is None:
        return True
    if value is None:
        return False
    return Reported.parse(raw, alpha=alpha).matches(value)


def _find_correlation(results: AnalysisResults, x: str, y: str) -> CorrelationRecord | None:
    return next((r for r in results.correlations if {r.x, r.y} == {x, y}), None)


def _missing(name: str, source: str, published: str, why: str) -> PublishedComparison:
    return PublishedComparison(name, source, published, "not analysed", False, why)


def _compare_changes(results: AnalysisResults, targets: Targets) -> list[PublishedComparison]:
    out = []
    for ch in targets.changes:
        row = next(
            (c for c in results.change if c.variable_from == ch.from_ and c.variable_to == ch.to),
            None,
        )
        name = f"{ch.from_} → {ch.to}"
        published = ", ".join(
            t for t in (_reported("d_av", ch.d_av), _reported("p", ch.p)) if t
        ) + (f", {ch.direction}" if ch.direction else "")
        if row is None:
            out.append(_missing(name, ch.source, published, "no such change test in the plan"))
            continue
        diff = 0.0 if apa.is_missing(row.mean_diff) else row.mean_diff
        direction_ok = ch.direction is None or (
            diff > 0 if ch.direction == "increase" else diff < 0
        )
        ok = (
            _check(ch.d_av, row.d_av)
            and _check(ch.p, row.p)
            and (ch.n is None or ch.n == row.n)
            and direction_ok
        )
        reproduced = (
            f"d_av = {apa.fmt_num(row.d_av, 2)}, {apa.fmt_p(row.p)}, n = {row.n}, "
            f"{'increase' if diff > 0 else 'decrease'}"
        )
        out.append(PublishedComparison(name, ch.source, published, reproduced, ok))
    return out


def _compare_correlations(results: AnalysisResults, targets: Targets) -> list[PublishedComparison]:
    out = []
    for ct in targets.correlations:
        name = f"{ct.x} × {ct.y}"
        published = ", ".join(
            t
            for t in (_reported("r", ct.r), _reported("p", ct.p), f"n = {ct.n}" if ct.n else "")
            if t
        )
        row = _find_correlation(results, ct.x, ct.y)
        if row is None:
            why = "no such pair in the plan's correlation families"
            out.append(_missing(name, ct.source, published, why))
            continue
        ok = _check(ct.r, row.r) and _check(ct.p, row.p) and (ct.n is None or ct.n == row.n)
        reproduced = (
            f"r = {apa.fmt_num(row.r, 2, leading_zero=False)}, {apa.fmt_p(row.p)}, n = {row.n}"
        )
        out.append(PublishedComparison(name, ct.source, published, reproduced, ok))
    return out


def _compare_descriptives(results: AnalysisResults, targets: Targets) -> list[PublishedComparison]:
    by_arm = {(d.arm, d.variable): d for d in results.descriptives.by_arm}
    overall = {d.variable: d for d in results.descriptives}
    out = []
    for dt in targets.descriptives:
        name = f"{dt.variable}" + (f" ({dt.arm})" if dt.arm else "")
        published = f"M = {dt.mean}, SD = {dt.sd}"
        row = by_arm.get((dt.arm, dt.variable)) if dt.arm else overall.get(dt.variable)
        if row is None:
            out.append(_missing(name, dt.source, published, "no such variable or arm"))
            continue
        ok = _check(dt.mean, row.mean) and _check(dt.sd, row.sd)
        reproduced = f"M = {apa.fmt_num(row.mean, 1)}, SD = {apa.fmt_num(row.sd, 1)}, n = {row.n}"
        out.append(PublishedComparison(name, dt.source, published, reproduced, ok))
    return out


def compare_targets(results: AnalysisResults, targets: Targets) -> list[PublishedComparison]:
    """Compare every target with the results, at the precision it was reported.

    A correlation target is met when r, p (and n, when given) all match; a change target when
    d_av, p and the direction match; a descriptive target when the mean and the SD match.
    """
    return [
        *_compare_changes(results, targets),
        *_compare_correlations(results, targets),
        *_compare_descriptives(results, targets),
    ]


def demo_targets() -> Targets:
    """The published targets of the demo (``targets.toml``)."""
    return load_targets(DEMO_DIR / "targets.toml")


def run_demo(out: Path) -> tuple[Results, list[PublishedComparison]]:
    """Copy the demo study into ``out/study``, analyse it and compare it with the papers.

    The analysis reads the bundled files, which the copy matches byte for byte, so that
    ``out`` may be a folder that is renamed into place afterwards. Returns the results (with
    their ``reproduction``) and the comparisons.
    """
    from patalliance.api import analyze

    copy_demo(out / "study")
    results = analyze(DEMO_DIR / "study.toml")
    comparisons = compare_targets(results, demo_targets())
    return replace(results, reproduction=tuple(comparisons)), comparisons
