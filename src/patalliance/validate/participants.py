"""Checks of the participants file: ids, arms, and participants listed more than once."""

from __future__ import annotations

import pandas as pd

from patalliance._text import show_cell
from patalliance.study import Study, suggest
from patalliance.validate._collector import Collector


def check_participants(
    frame: pd.DataFrame, study: Study, col: Collector, reasons: pd.Series
) -> None:
    pid = frame["participant_id"].str.strip()
    col.add_rows(
        frame,
        pid == "",
        column="participant_id",
        code="missing_participant_id",
        message="participant_id is empty; every row needs an id",
        reasons=reasons,
    )
    arms = list(study.arms)
    arm = frame["arm"].str.strip()
    bad_arm = ~arm.isin(arms)
    col.add_rows(
        frame,
        bad_arm,
        column="arm",
        code="unknown_arm",
        message=[
            f"unknown arm {show_cell(a)}{suggest(a, arms)}; declared arms: {', '.join(arms)}"
            for a in arm[bad_arm]
        ],
        reasons=reasons,
    )
    dup = pid.duplicated(keep=False) & (pid != "")
    if dup.any():
        arms_per = arm[dup].groupby(pid[dup]).nunique()
        conflicting = pid.isin(arms_per.index[arms_per > 1]) & dup
        col.add_rows(
            frame,
            conflicting,
            column="arm",
            code="conflicting_arm",
            message=[
                f"participant {show_cell(p)} appears more than once with different arms; keep one row per participant"
                for p in pid[conflicting]
            ],
            reasons=reasons,
        )
        identical = dup & ~conflicting & pid.duplicated(keep="first")
        col.add_rows(
            frame,
            identical,
            column="participant_id",
            code="duplicate_participant",
            message=[
                f"participant {show_cell(p)} is listed twice; the repeat is ignored"
                for p in pid[identical]
            ],
            reasons=reasons,
        )
