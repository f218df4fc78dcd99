"""Checks of pre-scored totals (``[data] scores``): measure, timepoint, scale and score."""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from patalliance._text import show_cell
from patalliance.instruments.key import InstrumentKey
from patalliance.study import Study, suggest
from patalliance.validate._collector import (
    Collector,
    as_number,
    comma_hint,
    decimal_comma_rows,
)


def check_prescored(
    frame: pd.DataFrame,
    study: Study,
    keys: Mapping[str, InstrumentKey],
    col: Collector,
    reasons: pd.Series,
) -> pd.Series:
    measures = list(study.measures)
    measure = frame["measure"].str.strip()
    unknown_m = ~measure.isin(measures)
    col.add_rows(
        frame,
        unknown_m,
        column="measure",
        code="unknown_measure",
        message=[
            f"measure {show_cell(m)} is not in the study file{suggest(m, measures)}"
            for m in measure[unknown_m]
        ],
        reasons=reasons,
    )
    tp = frame["timepoint"].str.strip()
    unknown_t = ~tp.isin(study.timepoint_ids)
    col.add_rows(
        frame,
        unknown_t,
        column="timepoint",
        code="unknown_timepoint",
        message=[
            f"timepoint {show_cell(t)} is not declared in the study file{suggest(t, study.timepoint_ids)}"
            for t in tp[unknown_t]
        ],
        reasons=reasons,
    )
    scale = frame["scale"].str.strip()
    bad_scale = pd.Series(False, index=frame.index)
    for mid in measures:
        names = {s.id for s in keys[mid].scales}
        rows = (measure == mid) & ~scale.isin(names)
        bad_scale |= rows
    col.add_rows(
        frame,
        bad_scale,
        column="scale",
        code="unknown_scale",
        message=[
            f"scale {show_cell(s)} is not a scale of measure {show_cell(m)}"
            for s, m in zip(scale[bad_scale], measure[bad_scale], strict=True)
        ],
        reasons=reasons,
    )
    text = frame["score"].str.strip()
    comma_ok = decimal_comma_rows(frame, col)
    score = as_number(text, comma_ok)
    bad = (text != "") & score.isna()
    col.add_rows(
        frame,
        bad,
        column="score",
        code="non_numeric",
        message=[
            f"score {show_cell(v)} is not a number{comma_hint(v, ok)}"
            for v, ok in zip(text[bad], comma_ok[bad], strict=True)
        ],
        reasons=reasons,
    )
    return score
