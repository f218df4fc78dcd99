"""The analysis table: one row per participant, one column per ``measure.scale@timepoint``.

Besides the scored scales it derives:

- **peaks**: for a measure with ``peak = "max"`` (or ``"min"``), ``measure.scale@peak`` is the
  maximum (minimum) over the measure's timepoints, using whichever are present. Each column is
  reduced on its own, so the peaks of two subscales may come from different timepoints. A 0/1
  classification such as MEQ-30 ``complete`` is reduced the same way, from the per-timepoint
  classifications (never from the peak subscale scores): with ``"max"`` it is 1 when the
  participant met the rule at any timepoint present, with ``"min"`` only when at every one;
- **change from baseline**: for a measure with ``baseline``, ``measure.<scale>_change@tp`` =
  score at ``tp`` − score at baseline;
- **response and remission**: when the measure's key declares an ``[outcome]`` rule (e.g.
  GRID-HAMD-17), ``measure.response@tp`` = 1 when the score fell by at least
  ``response_reduction_pct`` percent from baseline (missing when either score is missing or
  the baseline is 0), and ``measure.remission@tp`` = 1 when the score is at most
  ``remission_max``. With ``remission_requires_response = true`` remission also needs a
  response (and is missing whenever response is); with ``false`` it depends on the score at
  ``tp`` alone and is missing only when that score is.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from patalliance.instruments.key import InstrumentKey, OutcomeRule
from patalliance.study import Measure, Study


@dataclass(frozen=True)
class VariableInfo:
    """What one column of the analysis table is."""

    name: str
    measure: str
    scale: str
    timepoint: str
    kind: str  # "score", "peak", "change", "response", "remission", "classification"


@dataclass(frozen=True)
class AnalysisTable:
    """The participant × variable table, the arm of each participant, and column metadata."""

    values: pd.DataFrame
    arms: pd.Series
    facilitators: pd.Series
    covariates: pd.DataFrame
    variables: Mapping[str, VariableInfo]
    labels: pd.DataFrame

    @property
    def n_participants(self) -> int:
        return len(self.values)

    def to_frame(self) -> pd.DataFrame:
        """The scores.csv layout: ``participant_id``, ``arm``, then every variable."""
        frame = self.values.copy()
        frame.insert(0, "arm", self.arms.reindex(frame.index))
        frame = frame.join(self.labels)
        frame.index.name = "participant_id"
        return frame.reset_index()


def variable_name(measure: str, scale: str, timepoint: str) -> str:
    return f"{measure}.{scale}@{timepoint}"


def parse_variable(name: str) -> tuple[str, str, str]:
    """Split ``measure.scale@timepoint``; raises ValueError when malformed."""
    head, sep, timepoint = name.partition("@")
    measure, dot, scale = head.partition(".")
    if not sep or not dot or not measure or not scale or not timepoint:
        raise ValueError(
            f"Variable names look like 'measure.scale@timepoint' (e.g. alliance.total@prep). "
            f"Got {name!r} instead."
        )
    return measure, scale, timepoint


def build_analysis_table(
    scores: pd.DataFrame,
    participants: pd.DataFrame,
    study: Study,
    keys: Mapping[str, InstrumentKey],
) -> AnalysisTable:
    """Build the analysis table from long scores (see :func:`patalliance.scoring.score_trial`)."""
    index = _participant_index(scores, participants)
    long = _Long.of(scores, index)
    out = _Columns(index)
    for mid, measure in study.measures.items():
        key = keys[mid]
        rows = long.rows_of(mid)
        # one pass over the measure's rows, not one per scale × timepoint
        scale_ids, groups = long.groups(rows)
        for scale in scale_ids:
            per_tp = _add_scale(out, long, mid, measure, key, scale, groups)
            if measure.peak is not None:
                _add_peak(out, mid, measure, scale, per_tp)
            if measure.baseline is not None and not scale.endswith("_pct"):
                _add_change(out, mid, measure, scale, per_tp)
        rule = key.outcome
        if measure.baseline is not None and rule is not None and rule.scale in scale_ids:
            _add_outcome(out, mid, measure, rule)

    columns, labels = out.columns, out.labels
    values = pd.DataFrame(columns, index=index) if columns else pd.DataFrame(index=index)
    label_frame = pd.DataFrame(labels, index=index) if labels else pd.DataFrame(index=index)
    arms, facil, covariates = _participant_columns(participants, index)
    return AnalysisTable(values, arms, facil, covariates, out.variables, label_frame)


def _texts(column: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """A text column as integer codes and the texts they stand for (Categoricals for free)."""
    if isinstance(column.dtype, pd.CategoricalDtype):
        codes = column.cat.codes.to_numpy()
        texts = column.cat.categories.astype(str).to_numpy(dtype=object)
        if not len(codes) or codes.min() >= 0:
            return codes, texts
        column = column.astype(object)  # missing cells: read as text, as before
    codes, uniques = pd.factorize(column.astype(str))
    return codes, np.asarray(uniques, dtype=object)


def _participant_index(scores: pd.DataFrame, participants: pd.DataFrame) -> pd.Index:
    """Participants file order (first occurrence), then ids only the scores have, as seen."""
    codes, texts = _texts(scores["participant_id"])
    # pd.unique hashes once and keeps the order of first appearance: linear in the ids
    parts = [texts[pd.unique(codes)]]
    if len(participants):
        parts.insert(0, participants["participant_id"].astype(str).to_numpy(dtype=object))
    ids = pd.unique(np.concatenate(parts))
    return pd.Index(ids, name="participant_id", dtype=object)


@dataclass(frozen=True)
class _Long:
    """The long scores as integer codes: each row's position in the table's index, its
    measure, scale and timepoint, its score and its band label."""

    at: np.ndarray
    measure: np.ndarray
    measures: np.ndarray
    scale: np.ndarray
    scales: np.ndarray
    tp: np.ndarray
    tps: np.ndarray
    score: np.ndarray
    band: np.ndarray
    bands: np.ndarray

    @classmethod
    def of(cls, scores: pd.DataFrame, index: pd.Index) -> _Long:
        pid, ids = _texts(scores["participant_id"])
        position = index.get_indexer(pd.Index(ids, dtype=object))
        return cls(
            position[pid],
            *_texts(scores["measure"]),
            *_texts(scores["scale"]),
            *_texts(scores["timepoint"]),
            scores["score"].to_numpy(dtype=float),
            *_texts(scores["band"]),
        )

    def rows_of(self, measure: str) -> np.ndarray:
        """The rows of ``measure``, in order."""
        return np.flatnonzero(spread_flags(self.measures == measure, self.measure))

    def groups(self, rows: np.ndarray) -> tuple[list[str], dict[tuple[str, str], np.ndarray]]:
        """The scales of ``rows`` in order of appearance, and the rows of each (scale,
        timepoint), in order."""
        scales = [str(self.scales[c]) for c in pd.unique(self.scale[rows])]
        key = self.scale[rows].astype(np.int64) * len(self.tps) + self.tp[rows]
        group, keys = pd.factorize(key)
        order = np.argsort(group.astype(np.int32), kind="stable")
        bounds = np.searchsorted(group[order], np.arange(len(keys) + 1))
        found = {}
        for g, k in enumerate(keys):
            name = (str(self.scales[k // len(self.tps)]), str(self.tps[k % len(self.tps)]))
            found[name] = rows[order[bounds[g] : bounds[g + 1]]]
        return scales, found


def spread_flags(flags: np.ndarray, codes: np.ndarray) -> np.ndarray:
    """``flags[codes]`` (per row, the flag of its code)."""
    return flags[codes] if len(flags) else np.zeros(len(codes), dtype=bool)


class _Columns:
    """The analysis table's columns as they are derived, with their metadata."""

    def __init__(self, index: pd.Index) -> None:
        self.index = index
        self.variables: dict[str, VariableInfo] = {}
        self.columns: dict[str, pd.Series] = {}
        self.labels: dict[str, pd.Series] = {}

    def spread(self, at: np.ndarray, values: np.ndarray) -> pd.Series:
        """``values`` of the participants at positions ``at`` of the index as a column over
        the whole index (NaN elsewhere)."""
        column = np.full(
            len(self.index), np.nan, dtype=float if values.dtype.kind == "f" else object
        )
        column[at] = values
        return pd.Series(column, index=self.index)

    def add(self, info: VariableInfo, series: pd.Series) -> None:
        self.columns[info.name] = series
        self.variables[info.name] = info


def _add_scale(
    out: _Columns,
    long: _Long,
    mid: str,
    measure: Measure,
    key: InstrumentKey,
    scale: str,
    groups: Mapping[tuple[str, str], np.ndarray],
) -> dict[str, pd.Series]:
    """The scale's score at every timepoint (and its band labels); returns them by timepoint.

    ``groups`` holds the rows of the measure's scores by (scale, timepoint).
    """
    per_tp: dict[str, pd.Series] = {}
    for tp in measure.timepoints:
        rows = groups.get((scale, tp), np.zeros(0, dtype=np.int64))
        series = out.spread(long.at[rows], long.score[rows])
        name = variable_name(mid, scale, tp)
        out.add(VariableInfo(name, mid, scale, tp, "score"), series)
        per_tp[tp] = series
        bands = long.bands[long.band[rows]]
        if (bands != "").any():
            cls = next(c for c in key.classifications if c.kind == "bands" and c.scale == scale)
            lab = variable_name(mid, cls.id, tp)
            out.labels[lab] = out.spread(long.at[rows], bands.astype(object))
    return per_tp


def _add_peak(
    out: _Columns, mid: str, measure: Measure, scale: str, per_tp: Mapping[str, pd.Series]
) -> None:
    stacked = np.column_stack([per_tp[tp].to_numpy() for tp in measure.timepoints])
    present = ~np.isnan(stacked)
    fill = -np.inf if measure.peak == "max" else np.inf
    reduce = np.max if measure.peak == "max" else np.min
    peak = np.where(present.any(axis=1), reduce(np.where(present, stacked, fill), axis=1), np.nan)
    name = variable_name(mid, scale, "peak")
    out.add(VariableInfo(name, mid, scale, "peak", "peak"), pd.Series(peak, index=out.index))


def _add_change(
    out: _Columns, mid: str, measure: Measure, scale: str, per_tp: Mapping[str, pd.Series]
) -> None:
    assert measure.baseline is not None
    base = per_tp[measure.baseline]
    for tp in measure.timepoints:
        if tp == measure.baseline:
            continue
        name = variable_name(mid, f"{scale}_change", tp)
        out.add(VariableInfo(name, mid, f"{scale}_change", tp, "change"), per_tp[tp] - base)


def _add_outcome(out: _Columns, mid: str, measure: Measure, rule: OutcomeRule) -> None:
    """Response and remission at every post-baseline timepoint."""
    assert measure.baseline is not None
    base = out.columns[variable_name(mid, rule.scale, measure.baseline)]
    for tp in measure.timepoints:
        if tp == measure.baseline:
            continue
        score = out.columns[variable_name(mid, rule.scale, tp)]
        # Response is undefined (missing) when a score or the baseline is missing,
        # or when the baseline is 0: there is no reduction to speak of.
        both = base.notna() & score.notna() & (base > 0)
        with np.errstate(divide="ignore", invalid="ignore"):
            reduction = np.where(base > 0, 100.0 * (base - score) / base, np.nan)
        response = np.where(both, (reduction >= rule.response_reduction_pct - 1e-9) * 1.0, np.nan)
        below = np.where(score.notna(), (score <= rule.remission_max) * 1.0, np.nan)
        # with the response requirement, remission is missing wherever response is
        remission = np.minimum(response, below) if rule.remission_requires_response else below
        for kind, flag in (("response", response), ("remission", remission)):
            name = variable_name(mid, kind, tp)
            out.add(VariableInfo(name, mid, kind, tp, kind), pd.Series(flag, index=out.index))


def _participant_columns(
    participants: pd.DataFrame, index: pd.Index
) -> tuple[pd.Series, pd.Series, pd.DataFrame]:
    """Arm, facilitator and covariates of every participant of the table."""
    if not len(participants):
        return (
            pd.Series(np.nan, index=index, dtype=object),
            pd.Series(np.nan, index=index, dtype=object),
            pd.DataFrame(index=index),
        )
    p = participants.drop_duplicates("participant_id").set_index("participant_id")
    arms = p["arm"].astype(str).reindex(index)
    facil = (
        p["facilitator"].astype(str).reindex(index)
        if "facilitator" in p.columns
        else pd.Series(np.nan, index=index, dtype=object)
    )
    extra = [c for c in p.columns if c not in {"arm", "facilitator", "_file", "_row"}]
    return arms, facil, p[extra].reindex(index)
