"""Checks of the participants file: ids, arms, and participants listed more than once."""

from __future__ import annotations

import numpy as np

from patalliance._text import show_cell
from patalliance.study import Study, suggest
from patalliance.validate._collector import Collector, Table


def _duplicated(key: np.ndarray, active: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per row of ``active``: whether its key occurs in another active row, and whether an
    earlier active row has it."""
    rows = np.flatnonzero(active)
    _, first, inverse, counts = np.unique(
        key[rows], return_index=True, return_inverse=True, return_counts=True
    )
    repeated = np.zeros(len(key), dtype=bool)
    later = np.zeros(len(key), dtype=bool)
    repeated[rows] = counts[inverse] > 1
    later[rows] = first[inverse] != np.arange(len(rows))
    return repeated, later


def check_participants(table: Table, active: np.ndarray, study: Study, col: Collector) -> None:
    """Check the participants rows of ``active``."""
    pid, arm = table["participant_id"], table["arm"]
    blank = active & pid.equals("")
    col.add_rows(
        table,
        blank,
        column="participant_id",
        code="missing_participant_id",
        message="participant_id is empty; every row needs an id",
    )
    arms = list(study.arms)
    bad_arm = active & ~arm.is_in(arms)
    col.add_rows(
        table,
        bad_arm,
        column="arm",
        code="unknown_arm",
        message=[
            f"unknown arm {show_cell(a)}{suggest(a, arms)}; declared arms: {', '.join(arms)}"
            for a in arm.text(bad_arm)
        ],
    )
    dup, later = _duplicated(pid.codes, active & ~blank)
    if not dup.any():
        return
    # a participant listed with two different arms: every row of theirs conflicts
    n_arm = len(arm.values)
    pairs = np.unique(pid.codes[dup].astype(np.int64) * n_arm + arm.codes[dup])
    n_arms = np.bincount(pairs // n_arm, minlength=len(pid.values))
    conflicting = dup & pid.per_value(n_arms > 1)
    col.add_rows(
        table,
        conflicting,
        column="arm",
        code="conflicting_arm",
        message=[
            f"participant {show_cell(p)} appears more than once with different arms; keep "
            "one row per participant"
            for p in pid.text(conflicting)
        ],
    )
    identical = dup & ~conflicting & later
    col.add_rows(
        table,
        identical,
        column="participant_id",
        code="duplicate_participant",
        message=[
            f"participant {show_cell(p)} is listed twice; the repeat is ignored"
            for p in pid.text(identical)
        ],
    )
