"""Checks of pre-scored totals (``[data] scores``): measure, timepoint, scale and score."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from patalliance._text import show_cell
from patalliance.instruments.key import InstrumentKey
from patalliance.study import Study, suggest
from patalliance.validate._collector import (
    Collector,
    Table,
    comma_hint,
    decimal_comma_rows,
    parse_numbers,
)


def check_prescored(
    table: Table,
    active: np.ndarray,
    study: Study,
    keys: Mapping[str, InstrumentKey],
    col: Collector,
) -> np.ndarray:
    """Check the pre-scored rows of ``active``; return every row's score (NaN where it is not
    a number)."""
    measures = list(study.measures)
    measure = table["measure"]
    unknown_m = active & ~measure.is_in(measures)
    col.add_rows(
        table,
        unknown_m,
        column="measure",
        code="unknown_measure",
        message=[
            f"measure {show_cell(m)} is not in the study file{suggest(m, measures)}"
            for m in measure.text(unknown_m)
        ],
    )
    tp = table["timepoint"]
    unknown_t = active & ~tp.is_in(study.timepoint_ids)
    col.add_rows(
        table,
        unknown_t,
        column="timepoint",
        code="unknown_timepoint",
        message=[
            f"timepoint {show_cell(t)} is not declared in the study file"
            f"{suggest(t, study.timepoint_ids)}"
            for t in tp.text(unknown_t)
        ],
    )
    scale = table["scale"]
    bad_scale = np.zeros(len(table), dtype=bool)
    for mid in measures:
        names = {s.id for s in keys[mid].scales}
        bad_scale |= measure.equals(mid) & ~scale.is_in(names)
    bad_scale &= active
    col.add_rows(
        table,
        bad_scale,
        column="scale",
        code="unknown_scale",
        message=[
            f"scale {show_cell(s)} is not a scale of measure {show_cell(m)}"
            for s, m in zip(scale.text(bad_scale), measure.text(bad_scale), strict=True)
        ],
    )
    text = table["score"]
    comma_ok = decimal_comma_rows(table, col)
    score = parse_numbers(text, comma_ok)
    bad = active & ~text.equals("") & np.isnan(score)
    col.add_rows(
        table,
        bad,
        column="score",
        code="non_numeric",
        message=[
            f"score {show_cell(v)} is not a number{comma_hint(v, bool(ok))}"
            for v, ok in zip(text.text(bad), comma_ok[bad], strict=True)
        ],
    )
    return score
