"""Scoring a validated trial: every measure at every timepoint, in one long table."""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np
import pandas as pd

from patalliance._categorical import concat
from patalliance.instruments.engine import (
    Administrations,
    LongScores,
    item_matrix,
    long_scores,
    sorted_codes,
)
from patalliance.instruments.key import InstrumentKey
from patalliance.study import Study
from patalliance.validate import ValidatedData

LONG_COLUMNS = [
    "participant_id",
    "measure",
    "timepoint",
    "scale",
    "score",
    "n_valid",
    "n_items",
    "prorated",
    "band",
]


def _coded(codes: list[np.ndarray], names: list[str] | pd.Index) -> pd.Categorical:
    categories = names if isinstance(names, pd.Index) else pd.Index(names, dtype="str")
    return pd.Categorical.from_codes(
        np.concatenate(codes) if codes else np.zeros(0, dtype=np.int64),
        categories=categories,
        validate=False,
    )


def _rows_by_measure(
    study: Study, inst_codes: np.ndarray, insts: pd.Index, tp_codes: np.ndarray, tps: pd.Index
) -> Callable[[str], np.ndarray]:
    """The rows of each measure (its instrument at its timepoints), in order.

    Each (instrument, timepoint) belongs to one measure, so one pass numbers every row's
    measure and a stable sort of those numbers puts each measure's rows together.
    """
    masks = {
        mid: np.outer(insts == m.instrument, tps.isin(m.timepoints))
        for mid, m in study.measures.items()
    }
    if not masks or np.sum(list(masks.values()), axis=0).max() > 1:
        pair = inst_codes.astype(np.int64) * len(tps) + tp_codes
        return lambda mid: np.flatnonzero(masks[mid].ravel()[pair])
    of_pair = np.zeros(len(insts) * len(tps), dtype=np.int16)
    for k, mask in enumerate(masks.values(), start=1):
        of_pair[mask.ravel()] = k
    of_row = of_pair[inst_codes.astype(np.int64) * len(tps) + tp_codes]
    order = np.argsort(of_row, kind="stable")
    bounds = np.searchsorted(of_row[order], np.arange(len(masks) + 2))
    start = {mid: k for k, mid in enumerate(masks, start=1)}
    return lambda mid: order[bounds[start[mid]] : bounds[start[mid] + 1]]


def _scored_items(
    responses: pd.DataFrame, study: Study, keys: Mapping[str, InstrumentKey]
) -> pd.DataFrame:
    """The long scores of the item responses; the text columns are Categoricals."""
    # codes once for the whole table; each measure takes its rows by position
    pid_codes, pids = sorted_codes(responses["participant_id"])
    tp_codes, tps = sorted_codes(responses["timepoint"])
    inst_codes, insts = sorted_codes(responses["instrument"])
    who = Administrations(pid_codes, pids, tp_codes, tps)
    items = responses["item"].to_numpy(dtype=np.int64)
    values = responses["value"].to_numpy(dtype=float)
    measures: list[str] = []
    scales: dict[str, int] = {}
    bands: dict[str, int] = {}
    parts: list[tuple[int, np.ndarray, np.ndarray, LongScores]] = []
    rows_of = _rows_by_measure(study, inst_codes, insts, tp_codes, tps)
    for mid, measure in study.measures.items():
        rows = rows_of(mid)
        if not len(rows):
            continue
        groups, matrix = item_matrix(who.take(rows), items[rows], values[rows], keys[mid])
        long = long_scores(matrix, keys[mid], aggregate=measure.aggregate)
        pid_of, tp_of = who.of_groups(groups)
        measures.append(mid)
        parts.append((len(measures) - 1, pid_of[long.group], tp_of[long.group], long))
        for name in long.scales:
            scales.setdefault(name, len(scales))
        for name in long.bands:
            bands.setdefault(name, len(bands))
    if not parts:
        return pd.DataFrame(columns=LONG_COLUMNS)

    def recoded(codes: np.ndarray, names: list[str], table: dict[str, int]) -> np.ndarray:
        return np.array([table[n] for n in names], dtype=np.int64)[codes]

    return pd.DataFrame(
        {
            "participant_id": _coded([p[1] for p in parts], pids),
            "measure": _coded([np.full(len(p[1]), p[0]) for p in parts], measures),
            "timepoint": _coded([p[2] for p in parts], tps),
            "scale": _coded(
                [recoded(p[3].scale, p[3].scales, scales) for p in parts], list(scales)
            ),
            "score": np.concatenate([p[3].score for p in parts]),
            "n_valid": np.concatenate([p[3].n_valid for p in parts]),
            "n_items": np.concatenate([p[3].n_items for p in parts]),
            "prorated": np.concatenate([p[3].prorated for p in parts]),
            "band": _coded([recoded(p[3].band, p[3].bands, bands) for p in parts], list(bands)),
        },
        copy=False,
    )


def score_trial(
    data: ValidatedData, study: Study, keys: Mapping[str, InstrumentKey]
) -> pd.DataFrame:
    """Scores of every measure, long: one row per participant × measure × timepoint × scale.

    Item responses are scored with each measure's key (``aggregate`` from the study file
    overrides the key's). Pre-scored rows are appended as given, with ``n_valid`` missing.
    The text columns (participant, measure, timepoint, scale, band) are Categoricals.
    """
    frames = []
    if len(data.responses):
        scored = _scored_items(data.responses, study, keys)
        if len(scored):
            frames.append(scored)
    if len(data.prescored):
        pre = data.prescored.copy()
        pre["n_valid"] = pd.NA
        pre["n_items"] = pd.NA
        pre["prorated"] = False
        pre["band"] = ""
        text = ["participant_id", "measure", "timepoint", "scale", "band"]
        frames.append(pre.astype({c: "category" for c in text}))
    if not frames:
        return pd.DataFrame(columns=LONG_COLUMNS)
    return concat([f[LONG_COLUMNS] for f in frames])
