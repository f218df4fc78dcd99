"""Scores that were prorated or dropped: ``score_notes.csv`` and its QC warnings.

A scale score with missing items is prorated when at most ``max_missing`` of its components
(items, or ``max_of`` groups) are missing, and dropped (missing) when more are
(:mod:`patalliance.instruments.engine`). Each such score gets one row here; the QC report
counts them per measure (``score_prorated``, ``score_dropped``) without naming anyone.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from patalliance.instruments.key import InstrumentKey
from patalliance.qc import Problem
from patalliance.study import Study

FILE_NAME = "score_notes.csv"
NOTE_COLUMNS = [
    "participant_id",
    "variable",
    "items_answered",
    "items",
    "max_missing",
    "rule",
    "detail",
]


def score_notes(
    scores: pd.DataFrame, study: Study, keys: Mapping[str, InstrumentKey]
) -> pd.DataFrame:
    """One row per prorated or dropped scale score.

    Parameters
    ----------
    scores
        The long scores of :func:`patalliance.scoring.score_trial` (columns ``participant_id``,
        ``measure``, ``timepoint``, ``scale``, ``score``, ``n_valid``, ``n_items``,
        ``prorated``). Pre-scored rows (``n_valid`` missing) are never noted.
    study
        The study file (a measure's ``aggregate`` overrides its key's).
    keys
        The scoring key of each measure, by measure id.

    Returns
    -------
    pandas.DataFrame
        Columns ``participant_id``, ``variable`` (``measure.scale@timepoint``),
        ``items_answered`` and ``items`` (answered and all components of the scale),
        ``max_missing``, ``rule`` (``"prorated"`` or ``"dropped"``) and ``detail`` (the rule
        in words), sorted by variable and participant.
    """
    frames = []
    for mid, key in keys.items():
        limits = {s.id: s.max_missing for s in key.scales}
        override = study.measures[mid].aggregate if mid in study.measures else None
        aggregate = {s.id: key.aggregate_of(s, override) for s in key.scales}
        rows = scores[(scores["measure"] == mid) & scores["scale"].isin(list(limits))]
        rows = rows[rows["n_valid"].notna()]
        prorated = rows["prorated"].astype(bool).to_numpy()
        dropped = rows["score"].isna().to_numpy()
        rows = rows[prorated | dropped]
        if rows.empty:
            continue
        answered = rows["n_valid"].astype(np.int64).to_numpy()
        items = rows["n_items"].astype(np.int64).to_numpy()
        max_missing = rows["scale"].map(limits).astype(np.int64).to_numpy()
        rule = np.where(rows["score"].isna().to_numpy(), "dropped", "prorated")
        detail = [
            _detail(str(r), int(a), int(n), int(m), aggregate[s])
            for r, a, n, m, s in zip(rule, answered, items, max_missing, rows["scale"], strict=True)
        ]
        frames.append(
            pd.DataFrame(
                {
                    "participant_id": rows["participant_id"].astype(str).to_numpy(),
                    "variable": (
                        mid + "." + rows["scale"].astype(str) + "@" + rows["timepoint"].astype(str)
                    ).to_numpy(),
                    "items_answered": answered,
                    "items": items,
                    "max_missing": max_missing,
                    "rule": rule,
                    "detail": detail,
                }
            )
        )
    if not frames:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in NOTE_COLUMNS})
    notes = pd.concat(frames, ignore_index=True)
    return notes.sort_values(["variable", "participant_id"], kind="stable").reset_index(drop=True)


def _detail(rule: str, answered: int, items: int, max_missing: int, aggregate: str) -> str:
    missing = items - answered
    if rule == "dropped":
        return (
            f"{missing} of {items} items missing, more than the {max_missing} the key allows: "
            "no score"
        )
    how = (
        f"mean of the {answered} answered items × {items}"
        if aggregate == "sum"
        else f"mean of the {answered} answered items"
    )
    return f"{missing} of {items} items missing (at most {max_missing} allowed): score = {how}"


def note_warnings(notes: pd.DataFrame, study_path: Path) -> list[Problem]:
    """One QC warning per measure and rule, counting the scores (no participant named)."""
    out: list[Problem] = []
    if notes.empty:
        return out
    measure = notes["variable"].str.partition(".")[0]
    for (mid, rule), group in notes.groupby([measure, notes["rule"]], sort=True):
        n = len(group)
        scores = f"{n} score{'s' if n != 1 else ''} of measure {mid!r}"
        verb = "were" if n != 1 else "was"
        what = (
            f"{verb} prorated: some items were missing, within the key's max_missing"
            if rule == "prorated"
            else f"{verb} dropped (left missing): more items were missing than the key's "
            "max_missing allows"
        )
        out.append(
            Problem(
                str(study_path),
                None,
                f"measures.{mid}",
                "score_prorated" if rule == "prorated" else "score_dropped",
                f"{scores} {what}; each is listed in {FILE_NAME}",
                "warning",
            )
        )
    return out
