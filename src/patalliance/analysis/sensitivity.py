"""Sensitivity of every correlation family (``sensitivity``): does a conclusion hold up?

For each pair of each ``[[analysis.correlations]]`` family: Spearman's coefficient beside the
plan's; a BCa bootstrap interval; the leave-one-out range of r with the most influential
participant named; and Holm- and FDR-adjusted p within the family. A pair is flagged when
leaving out a single participant moves its p across ``alpha`` — the conclusion then rests on
that participant.

``[analysis] sensitivity = true`` covers every family; ``[analysis.sensitivity]`` with
``families`` and ``n_resamples`` narrows it or sets the bootstrap size.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from patalliance.analysis.core import family_adjust
from patalliance.derive import AnalysisTable
from patalliance.stats import bootstrap_correlations, correlate
from patalliance.stats.influence import leave_one_out
from patalliance.study import SensitivitySpec, Study

__all__ = ["SensitivityRecord", "run_sensitivity"]

_FAMILY_STREAM = 6


@dataclass(frozen=True)
class SensitivityRecord:
    """Robustness of one correlation."""

    family: str
    x: str
    y: str
    method: str
    n: int
    r: float
    p: float
    spearman_r: float
    spearman_p: float
    bca_ci_low: float
    bca_ci_high: float
    n_resamples: int
    loo_r_min: float
    loo_r_max: float
    most_influential: str
    most_influential_r: float
    most_influential_p: float
    conclusion_flips: bool
    flip_participants: tuple[str, ...]
    p_holm: float
    p_fdr_bh: float
    alpha: float
    confidence_level: float
    leave_one_out: tuple[dict[str, Any], ...] = field(default_factory=tuple)

    def to_frame(self) -> pd.DataFrame:
        """A one-row DataFrame (without the per-participant leave-one-out list)."""
        row = asdict(self)
        row.pop("leave_one_out")
        row["flip_participants"] = ", ".join(self.flip_participants)
        return pd.DataFrame([row])


def _family_records(
    study: Study, table: AnalysisTable, fam_index: int, n_resamples: int
) -> list[SensitivityRecord]:
    plan = study.analysis
    fam = plan.correlations[fam_index]
    xv = table.values[fam.x].to_numpy(dtype=float)
    yv = table.values[fam.y].to_numpy(dtype=float)
    method = plan.correlation
    main = correlate(xv, yv, method=method, missing=plan.missing,
                     confidence_level=plan.confidence_level)  # fmt: skip
    spear = correlate(xv, yv, method="spearman", missing=plan.missing,
                      confidence_level=plan.confidence_level)  # fmt: skip
    rng = np.random.default_rng(np.random.SeedSequence([plan.seed, _FAMILY_STREAM, fam_index]))
    boot = bootstrap_correlations(
        xv,
        yv,
        method=method,
        missing=plan.missing,
        n_resamples=n_resamples,
        confidence_level=plan.confidence_level,
        ci_method="bca",
        rng=rng,
    )
    p_main, holm = family_adjust(main.p, fam.x, fam.y, method="holm")
    _, fdr = family_adjust(main.p, fam.x, fam.y, method="fdr_bh")
    ids = [str(i) for i in table.values.index]
    alpha = plan.alpha
    records = []
    for j, xn in enumerate(fam.x):
        for k, yn in enumerate(fam.y):
            xcol, ycol = xv[:, j], yv[:, k]
            if plan.missing == "listwise":
                keep = ~(np.isnan(xv).any(1) | np.isnan(yv).any(1))
                xcol, ycol = np.where(keep, xcol, np.nan), np.where(keep, ycol, np.nan)
            loo = leave_one_out(xcol, ycol, ids, method=method)
            r, p = float(main.r[j, k]), float(p_main[j, k])
            finite = np.isfinite(loo.r)
            if finite.any() and np.isfinite(r):
                i_max = int(np.nanargmax(np.where(finite, np.abs(loo.r - r), -np.inf)))
                infl, infl_r, infl_p = loo.participants[i_max], loo.r[i_max], loo.p[i_max]
                sig = p < alpha
                flips = tuple(
                    pid
                    for pid, pv in zip(loo.participants, loo.p, strict=True)
                    if np.isfinite(p) and np.isfinite(pv) and (pv < alpha) != sig
                )
                lo, hi = float(np.nanmin(loo.r)), float(np.nanmax(loo.r))
            else:
                infl, infl_r, infl_p, flips = "", np.nan, np.nan, ()
                lo = hi = float("nan")
            records.append(
                SensitivityRecord(
                    family=fam.family,
                    x=xn,
                    y=yn,
                    method=method,
                    n=int(main.n[j, k]),
                    r=r,
                    p=p,
                    spearman_r=float(spear.r[j, k]),
                    spearman_p=float(spear.p[j, k]),
                    bca_ci_low=float(boot.ci_low[j, k]),
                    bca_ci_high=float(boot.ci_high[j, k]),
                    n_resamples=n_resamples,
                    loo_r_min=lo,
                    loo_r_max=hi,
                    most_influential=infl,
                    most_influential_r=float(infl_r),
                    most_influential_p=float(infl_p),
                    conclusion_flips=bool(flips),
                    flip_participants=flips,
                    p_holm=float(holm[j, k]),
                    p_fdr_bh=float(fdr[j, k]),
                    alpha=alpha,
                    confidence_level=plan.confidence_level,
                    leave_one_out=tuple(
                        {"participant_id": pid, "r": float(rv), "p": float(pv)}
                        for pid, rv, pv in zip(loo.participants, loo.r, loo.p, strict=True)
                    ),
                )
            )
    return records


def sensitivity(
    study: Study, table: AnalysisTable, *, families: list[str] | None = None,
    n_resamples: int = 2000,
) -> list[SensitivityRecord]:  # fmt: skip
    """Sensitivity records for the selected correlation families (all when ``None``).

    Each family's bootstrap draws from its own stream, spawned from the plan's seed and the
    family's position, so results do not depend on which families are selected.
    """
    out: list[SensitivityRecord] = []
    for i, fam in enumerate(study.analysis.correlations):
        if families is None or fam.family in families:
            out.extend(_family_records(study, table, i, n_resamples))
    return out


def run_sensitivity(study: Study, table: AnalysisTable) -> list[dict[str, Any]]:
    """The ``sensitivity`` results section: one JSON-ready record per correlation."""
    spec = study.analysis.sensitivity
    opts = spec if isinstance(spec, SensitivitySpec) else SensitivitySpec()
    records = sensitivity(study, table, families=opts.families, n_resamples=opts.n_resamples)
    return [asdict(r) for r in records]
