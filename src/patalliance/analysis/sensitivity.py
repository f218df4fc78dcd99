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

from collections.abc import Iterator
from dataclasses import dataclass, field, fields, replace
from typing import Any

import numpy as np
import pandas as pd

from patalliance.analysis.correlations import family_adjust, family_data, self_pairs
from patalliance.analysis.records import Family, Record, records_frame
from patalliance.derive import AnalysisTable
from patalliance.json_text import CleanList
from patalliance.stats import bootstrap_correlations, correlate
from patalliance.stats.influence import LeaveOneOut, leave_one_out
from patalliance.study import CorrelationFamily, SensitivitySpec, Study

__all__ = [
    "LeaveOneOutRow",
    "LeaveOneOutRows",
    "Sensitivity",
    "SensitivityRecord",
    "run_sensitivity",
]

_FAMILY_STREAM = 6


@dataclass(frozen=True)
class LeaveOneOutRow(Record):
    """The correlation without one participant."""

    participant_id: str
    r: float
    p: float


@dataclass(frozen=True)
class LeaveOneOutRows:
    """The correlation without each participant in turn, held as columns (one entry per
    complete case of the pair); iterating gives one :class:`LeaveOneOutRow` per participant.
    """

    participant_id: tuple[str, ...] = ()
    r: tuple[float, ...] = ()
    p: tuple[float, ...] = ()

    def __len__(self) -> int:
        return len(self.participant_id)

    def __iter__(self) -> Iterator[LeaveOneOutRow]:
        return map(LeaveOneOutRow, self.participant_id, self.r, self.p)

    def __getitem__(self, index: int) -> LeaveOneOutRow:
        return LeaveOneOutRow(self.participant_id[index], self.r[index], self.p[index])

    def to_list(self) -> list[dict[str, Any]]:
        """One ``{participant_id, r, p}`` object per participant (as in ``results.json``: NaN
        and infinities are ``None``)."""
        rows = [
            {"participant_id": pid, "r": r, "p": p}
            for pid, r, p in zip(
                self.participant_id, _json_floats(self.r), _json_floats(self.p), strict=True
            )
        ]
        if all(type(pid) is str for pid in self.participant_id):
            return CleanList(rows)  # JSON-safe already: the document does not walk it again
        return rows


def _json_floats(values: tuple[float, ...]) -> list[float | None]:
    """``values`` as Python floats, ``None`` where not finite."""
    array = np.asarray(values, dtype=np.float64)
    out: list[float | None] = array.tolist()
    for i in np.flatnonzero(~np.isfinite(array)).tolist():
        out[i] = None
    return out


_NO_ROWS = LeaveOneOutRows()


@dataclass(frozen=True)
class SensitivityRecord(Record):
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
    leave_one_out: LeaveOneOutRows = field(default_factory=LeaveOneOutRows)

    @classmethod
    def frame_columns(cls) -> list[str]:
        """The fields but ``leave_one_out`` (see :meth:`Sensitivity.leave_one_out_frame`)."""
        return [f.name for f in fields(cls) if f.name != "leave_one_out"]

    def to_dict(self) -> dict[str, Any]:
        """The record as in ``results.json``, ``leave_one_out`` a list of
        ``{participant_id, r, p}``."""
        doc = Record.to_dict(replace(self, leave_one_out=_NO_ROWS))
        doc["leave_one_out"] = self.leave_one_out.to_list()
        return doc

    def to_row(self) -> dict[str, Any]:
        """One DataFrame row: the columns of :meth:`frame_columns`."""
        row = Record.to_row(replace(self, leave_one_out=_NO_ROWS))
        row.pop("leave_one_out", None)
        return row


@dataclass(frozen=True)
class Sensitivity(Family[SensitivityRecord]):
    """One record per correlation of the selected families."""

    def leave_one_out_frame(self) -> pd.DataFrame:
        """One row per correlation × participant left out: ``family, x, y, participant_id,
        r, p``."""
        frames = [
            pd.DataFrame(
                {
                    "family": rec.family,
                    "x": rec.x,
                    "y": rec.y,
                    "participant_id": list(rec.leave_one_out.participant_id),
                    "r": np.asarray(rec.leave_one_out.r, dtype=np.float64),
                    "p": np.asarray(rec.leave_one_out.p, dtype=np.float64),
                }
            )
            for rec in self.records
            if len(rec.leave_one_out)
        ]
        if not frames:
            return records_frame((), LeaveOneOutRow)
        return pd.concat(frames, ignore_index=True)


@dataclass(frozen=True)
class _Influence:
    """What leaving out one participant at a time does to one correlation."""

    lo: float = float("nan")
    hi: float = float("nan")
    most: str = ""
    most_r: float = float("nan")
    most_p: float = float("nan")
    flips: tuple[str, ...] = ()


def _influence(loo: LeaveOneOut, r: float, p: float, alpha: float) -> _Influence:
    finite = np.isfinite(loo.r)
    if not (finite.any() and np.isfinite(r)):
        return _Influence()
    i_max = int(np.nanargmax(np.where(finite, np.abs(loo.r - r), -np.inf)))
    flips: tuple[str, ...] = ()
    if np.isfinite(p):
        flipped = np.isfinite(loo.p) & ((loo.p < alpha) != (p < alpha))
        flips = tuple(loo.participants[i] for i in np.flatnonzero(flipped))
    return _Influence(
        float(np.nanmin(loo.r)),
        float(np.nanmax(loo.r)),
        loo.participants[i_max],
        float(loo.r[i_max]),
        float(loo.p[i_max]),
        flips,
    )


def _family_records(
    study: Study, table: AnalysisTable, fam_index: int, n_resamples: int, ids: list[str]
) -> list[SensitivityRecord]:
    plan = study.analysis
    fam: CorrelationFamily = plan.correlations[fam_index]
    xv, yv = family_data(table, fam, fam_index)
    method = plan.correlation
    level = plan.confidence_level
    main = correlate(xv, yv, method=method, missing=plan.missing, confidence_level=level)
    spear = correlate(xv, yv, method="spearman", missing=plan.missing, confidence_level=level)
    rng = np.random.default_rng(np.random.SeedSequence([plan.seed, _FAMILY_STREAM, fam_index]))
    boot = bootstrap_correlations(
        xv, yv, method=method, missing=plan.missing, n_resamples=n_resamples,
        confidence_level=level, ci_method="bca", rng=rng,
    )  # fmt: skip
    p_main, holm = family_adjust(main.p, fam.x, fam.y, method="holm")
    _, fdr = family_adjust(main.p, fam.x, fam.y, method="fdr_bh")
    keep = ~(np.isnan(xv).any(1) | np.isnan(yv).any(1))
    same = self_pairs(fam.x, fam.y)
    records = []
    for j, xn in enumerate(fam.x):
        for k, yn in enumerate(fam.y):
            if same[j, k]:
                continue  # a variable with itself is no test
            xcol, ycol = xv[:, j], yv[:, k]
            if plan.missing == "listwise":
                xcol, ycol = np.where(keep, xcol, np.nan), np.where(keep, ycol, np.nan)
            loo = leave_one_out(xcol, ycol, ids, method=method)
            r, p = float(main.r[j, k]), float(p_main[j, k])
            inf = _influence(loo, r, p, plan.alpha)
            records.append(
                SensitivityRecord(
                    family=fam.family, x=xn, y=yn, method=method, n=int(main.n[j, k]),
                    r=r, p=p, spearman_r=float(spear.r[j, k]), spearman_p=float(spear.p[j, k]),
                    bca_ci_low=float(boot.ci_low[j, k]), bca_ci_high=float(boot.ci_high[j, k]),
                    n_resamples=n_resamples, loo_r_min=inf.lo, loo_r_max=inf.hi,
                    most_influential=inf.most, most_influential_r=inf.most_r,
                    most_influential_p=inf.most_p, conclusion_flips=bool(inf.flips),
                    flip_participants=inf.flips, p_holm=float(holm[j, k]),
                    p_fdr_bh=float(fdr[j, k]), alpha=plan.alpha, confidence_level=level,
                    leave_one_out=LeaveOneOutRows(
                        loo.participants, tuple(loo.r.tolist()), tuple(loo.p.tolist())
                    ),
                )
            )  # fmt: skip
    return records


def sensitivity(
    study: Study, table: AnalysisTable, *, families: list[str] | None = None,
    n_resamples: int = 2000,
) -> Sensitivity:  # fmt: skip
    """Sensitivity records for the selected correlation families (all when ``None``).

    Each family's bootstrap draws from its own stream, spawned from the plan's seed and the
    family's position, so results do not depend on which families are selected.
    """
    out: list[SensitivityRecord] = []
    ids = [str(i) for i in table.values.index.tolist()]
    for i, fam in enumerate(study.analysis.correlations):
        if families is None or fam.family in families:
            out.extend(_family_records(study, table, i, n_resamples, ids))
    return Sensitivity(tuple(out), SensitivityRecord)


def run_sensitivity(study: Study, table: AnalysisTable) -> Sensitivity:
    """The ``sensitivity`` family: one record per correlation of the selected families."""
    spec = study.analysis.sensitivity
    opts = spec if isinstance(spec, SensitivitySpec) else SensitivitySpec()
    return sensitivity(study, table, families=opts.families, n_resamples=opts.n_resamples)
