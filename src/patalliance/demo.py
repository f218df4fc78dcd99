"""The bundled demo: the synthetic ``levin2024`` trial, analysed and compared with the papers.

The demo data are **synthetic**: simulated item responses calibrated (by
:mod:`patalliance.simulate.calibrate`) so that their analysis reproduces the published results
of Levin et al. (2024) and the GRID-HAMD means of Davis et al. (2021). ``targets.toml`` beside
the study holds the published values; :func:`compare_targets` checks each of them against a
results document at the precision it was reported.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from patalliance.report import apa
from patalliance.simulate.calibrate import Reported, Targets, load_targets

DEMO_DIR = Path(__file__).parent / "data" / "levin2024"
DEMO_FILES = ("study.toml", "responses.csv", "participants.csv", "targets.toml", "README.md")


@dataclass(frozen=True)
class TargetComparison:
    """One published statistic next to its reproduction."""

    target: str
    source: str
    published: str
    reproduced: str
    ok: bool
    reason: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


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


def _find_correlation(document: dict[str, Any], x: str, y: str) -> dict[str, Any] | None:
    for row in document.get("correlations", []):
        if {row["x"], row["y"]} == {x, y}:
            return dict(row)
    return None


def compare_targets(document: dict[str, Any], targets: Targets) -> list[TargetComparison]:
    """Compare every target with the results document, at the precision it was reported.

    A correlation target is met when r, p (and n, when given) all match; a change target when
    d_av, p and the direction match; a descriptive target when the mean and the SD match.
    """
    out: list[TargetComparison] = []
    for ch in targets.changes:
        row = next(
            (
                c
                for c in document.get("change", [])
                if c["variable_from"] == ch.from_ and c["variable_to"] == ch.to
            ),
            None,
        )
        name = f"{ch.from_} → {ch.to}"
        published = ", ".join(
            t for t in (_reported("d_av", ch.d_av), _reported("p", ch.p)) if t
        ) + (f", {ch.direction}" if ch.direction else "")
        if row is None:
            out.append(
                TargetComparison(
                    name,
                    ch.source,
                    published,
                    "not analysed",
                    False,
                    "no such change test in the plan",
                )
            )
            continue
        direction_ok = ch.direction is None or (
            (row["mean_diff"] or 0) > 0
            if ch.direction == "increase"
            else (row["mean_diff"] or 0) < 0
        )
        ok = (
            _check(ch.d_av, row["d_av"])
            and _check(ch.p, row["p"])
            and (ch.n is None or ch.n == row["n"])
            and direction_ok
        )
        reproduced = (
            f"d_av = {apa.fmt_num(row['d_av'], 2)}, {apa.fmt_p(row['p'])}, n = {row['n']}, "
            f"{'increase' if (row['mean_diff'] or 0) > 0 else 'decrease'}"
        )
        out.append(TargetComparison(name, ch.source, published, reproduced, ok))
    for ct in targets.correlations:
        name = f"{ct.x} × {ct.y}"
        published = ", ".join(
            t
            for t in (_reported("r", ct.r), _reported("p", ct.p), f"n = {ct.n}" if ct.n else "")
            if t
        )
        row = _find_correlation(document, ct.x, ct.y)
        if row is None:
            out.append(
                TargetComparison(
                    name,
                    ct.source,
                    published,
                    "not analysed",
                    False,
                    "no such pair in the plan's correlation families",
                )
            )
            continue
        ok = (
            _check(ct.r, row["r"]) and _check(ct.p, row["p"]) and (ct.n is None or ct.n == row["n"])
        )
        reproduced = f"r = {apa.fmt_num(row['r'], 2, leading_zero=False)}, {apa.fmt_p(row['p'])}, n = {row['n']}"
        out.append(TargetComparison(name, ct.source, published, reproduced, ok))
    by_arm = {(d["arm"], d["variable"]): d for d in document.get("descriptives_by_arm", [])}
    overall = {d["variable"]: d for d in document.get("descriptives", [])}
    for dt in targets.descriptives:
        name = f"{dt.variable}" + (f" ({dt.arm})" if dt.arm else "")
        published = f"M = {dt.mean}, SD = {dt.sd}"
        row = by_arm.get((dt.arm, dt.variable)) if dt.arm else overall.get(dt.variable)
        if row is None:
            out.append(
                TargetComparison(
                    name, dt.source, published, "not analysed", False, "no such variable or arm"
                )
            )
            continue
        ok = _check(dt.mean, row["mean"]) and _check(dt.sd, row["sd"])
        reproduced = (
            f"M = {apa.fmt_num(row['mean'], 1)}, SD = {apa.fmt_num(row['sd'], 1)}, n = {row['n']}"
        )
        out.append(TargetComparison(name, dt.source, published, reproduced, ok))
    return out


def reproduction_section(comparisons: Iterable[TargetComparison]) -> list[dict[str, Any]]:
    """The ``reproduction`` section of the demo's results.json."""
    return [
        {
            "target": c.target,
            "source": c.source,
            "published": c.published,
            "reproduced": c.reproduced,
            "ok": c.ok,
            "reason": c.reason,
        }
        for c in comparisons
    ]


def demo_targets() -> Targets:
    return load_targets(DEMO_DIR / "targets.toml")
