"""Trajectories (``[[analysis.trajectories]]``): a measure's linear change over time.

One linear mixed model per entry: the score at each timepoint on time, with a random intercept
and a random slope of time per participant (unstructured covariance), fitted by exact REML
(:func:`patalliance.stats.reml.reml_random_effects`, statsmodels ``MixedLM`` as fallback);
with ``by_arm = true`` the fixed effects are time, arm and time × arm.
Fixed effects are tested with t on Satterthwaite's degrees of freedom
(:func:`patalliance.stats.growth.fit_random_slope`). Every participant with at least one score
at the trajectory's timepoints is used.

Time is the timepoint's ``days`` (``time = "days"``) in units of 30 days, so slopes are per
month of 30 days; or its position among the trajectory's timepoints in protocol order
(``time = "order"``: 0, 1, 2, ...), so slopes are per timepoint. The intercept is the score at
time 0: day 0 of the study's reference point, or the first timepoint.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from patalliance.analysis.plan import check_variables
from patalliance.analysis.records import Family, Record, records_frame
from patalliance.derive import AnalysisTable, variable_name
from patalliance.stats.growth import GrowthModelResult, fit_random_slope
from patalliance.stats.mixedlm import FixedEffect
from patalliance.status import Note, Status
from patalliance.study import Study, TrajectorySpec, trajectory_time, trajectory_timepoints

__all__ = ["DAYS_PER_UNIT", "Trajectories", "TrajectoryRecord", "run_trajectories"]

#: With ``time = "days"``, one unit of time (the slope's unit) is 30 days.
DAYS_PER_UNIT = 30.0
TIME_UNITS = {"days": "month (30 days)", "order": "timepoint"}


@dataclass(frozen=True)
class TrajectoryRecord(Record):
    """One ``[[analysis.trajectories]]`` entry and its fitted growth model.

    ``time_values`` is the time of each of ``timepoints`` in the model's unit
    (``time_unit``); ``arms`` the arms in the model, the first being ``reference_arm`` (the
    first in sorted order of the arms with participants) when ``by_arm``.
    """

    label: str
    measure: str
    scale: str
    timepoints: tuple[str, ...]
    time: str
    time_unit: str
    time_values: tuple[float, ...]
    by_arm: bool
    arms: tuple[str, ...]
    reference_arm: str | None
    result: GrowthModelResult

    derived_keys: ClassVar[tuple[str, ...]] = ("intercept_slope_correlation",)

    @property
    def variable(self) -> str:
        """``measure.scale``."""
        return f"{self.measure}.{self.scale}"

    def to_dict(self) -> dict[str, Any]:
        """The entry's fields, then the model's (fixed effects, variance components, n,
        df method, status) and the intercept-slope correlation."""
        doc = Record.to_dict(self)
        model = doc.pop("result")
        doc.update(model)
        doc["intercept_slope_correlation"] = self.result.intercept_slope_correlation
        return doc

    def effect(self, term: str) -> FixedEffect | None:
        """The fixed effect named ``term`` (``None`` when not estimated)."""
        return next((f for f in self.result.fixed_effects if f.term == term), None)

    def mean_trajectory(self, arm: str | None, time: np.ndarray) -> np.ndarray:
        """The model's mean score at ``time`` (model units) for ``arm`` (any arm, or ``None``,
        without ``by_arm``): the fixed-effects prediction. NaN when not estimated."""
        t = np.asarray(time, dtype=float)
        est = {f.term: f.estimate for f in self.result.fixed_effects}
        if "Intercept" not in est:
            return np.full(t.shape, np.nan)
        level, slope = est["Intercept"], est["time"]
        if self.by_arm and arm is not None and arm != self.reference_arm:
            level += est.get(f"arm[{arm}]", np.nan)
            slope += est.get(f"time:arm[{arm}]", np.nan)
        return np.asarray(level + slope * t, dtype=float)

    def fixed_effects_frame(self) -> pd.DataFrame:
        """One row per fixed effect (term, estimate, se, df, t, p, ci_low, ci_high, ...)."""
        return records_frame(self.result.fixed_effects, FixedEffect)


@dataclass(frozen=True)
class Trajectories(Family[TrajectoryRecord]):
    """Every ``[[analysis.trajectories]]`` entry, in plan order."""

    def fixed_effects_frame(self) -> pd.DataFrame:
        """One row per trajectory × fixed effect, with the trajectory's measure and scale."""
        frames = []
        for i, rec in enumerate(self.records):
            frame = rec.fixed_effects_frame()
            frame.insert(0, "scale", rec.scale)
            frame.insert(0, "measure", rec.measure)
            frame.insert(0, "trajectory", i)
            frames.append(frame)
        return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def time_values(study: Study, spec: TrajectorySpec) -> tuple[str, tuple[float, ...]]:
    """``"days"`` or ``"order"``, and the time of each timepoint of ``spec`` in model units."""
    used = trajectory_timepoints(study, spec)
    kind = trajectory_time(study, spec)
    if kind == "order":
        return kind, tuple(float(i) for i in range(len(used)))
    days = {t.id: t.days for t in study.timepoints}
    return kind, tuple(float(days[tp] or 0.0) / DAYS_PER_UNIT for tp in used)


def _arms(study: Study, table: AnalysisTable, ids: pd.Index) -> list[str]:
    present = set(table.arms.reindex(ids).astype(str))
    # the reference arm is the first in sorted order, as for every dummy-coded variable
    return sorted(a for a in study.arms if a in present)


def trajectory(study: Study, table: AnalysisTable, spec: TrajectorySpec) -> TrajectoryRecord:
    """The long data of one trajectory and its random-intercept, random-slope model."""
    used = trajectory_timepoints(study, spec)
    kind, times = time_values(study, spec)
    vals = table.values
    scores = np.column_stack(
        [vals[variable_name(spec.measure, spec.scale, tp)].to_numpy(dtype=float) for tp in used]
    )
    keep = ~np.isnan(scores).all(axis=1)
    arm_ids: list[str] = []
    arm_of = table.arms.reindex(vals.index).astype(str).to_numpy()
    notes: tuple[Note, ...] = ()
    if spec.by_arm:
        no_arm = int((keep & ~np.isin(arm_of, list(study.arms))).sum())
        if no_arm:
            notes = (
                Note(
                    "trajectory_no_arm",
                    f"{no_arm} participant(s) with scores but no declared arm were left out of "
                    "this time × arm model.",
                ),
            )
        keep &= np.isin(arm_of, list(study.arms))
        arm_ids = _arms(study, table, vals.index[keep])
    rows, cols = np.nonzero(~np.isnan(scores) & keep[:, None])
    y = scores[rows, cols]
    t = np.asarray(times)[cols]
    names = ["Intercept", "time"]
    columns = [np.ones(y.size), t]
    if spec.by_arm:
        for arm in arm_ids[1:]:
            dummy = (arm_of[rows] == arm).astype(float)
            names += [f"arm[{arm}]", f"time:arm[{arm}]"]
            columns += [dummy, dummy * t]
    record = TrajectoryRecord(
        label=spec.label,
        measure=spec.measure,
        scale=spec.scale,
        timepoints=tuple(used),
        time=kind,
        time_unit=TIME_UNITS[kind],
        time_values=times,
        by_arm=spec.by_arm,
        arms=tuple(arm_ids),
        reference_arm=arm_ids[0] if arm_ids else None,
        result=GrowthModelResult(n_participants=0, n_obs=0),
    )
    if spec.by_arm and len(arm_ids) < 2:
        reason = (
            f"by_arm needs participants in at least two arms; found {len(arm_ids)} "
            f"({', '.join(arm_ids) or 'none'})"
        )
        res = GrowthModelResult(
            n_participants=int(keep.sum()),
            n_obs=int(y.size),
            confidence_level=study.analysis.confidence_level,
            status=Status.NOT_ESTIMABLE,
            reason=reason,
            warnings=notes,
        )
        return replace(record, result=res)
    res = fit_random_slope(
        y,
        np.column_stack(columns),
        t,
        np.asarray(vals.index)[rows],
        names=names,
        confidence_level=study.analysis.confidence_level,
    )
    return replace(record, result=replace(res, warnings=notes + res.warnings))


def run_trajectories(study: Study, table: AnalysisTable) -> Trajectories:
    """Every ``[[analysis.trajectories]]`` entry, in plan order.

    Raises
    ------
    ConfigError
        When an entry's scale has no scores (``analysis.trajectories[i].scale``).
    """
    refs = {
        f"analysis.trajectories[{i}].scale": variable_name(spec.measure, spec.scale, tp)
        for i, spec in enumerate(study.analysis.trajectories)
        for tp in trajectory_timepoints(study, spec)[:1]
    }
    check_variables(study, refs, table.values.columns)
    out = [trajectory(study, table, spec) for spec in study.analysis.trajectories]
    return Trajectories(tuple(out), TrajectoryRecord)
