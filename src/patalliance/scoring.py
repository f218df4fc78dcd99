"""Scoring a validated trial: every measure at every timepoint, in one long table."""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from patalliance.instruments.engine import score_responses
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


def score_trial(
    data: ValidatedData, study: Study, keys: Mapping[str, InstrumentKey]
) -> pd.DataFrame:
    """Scores of every measure, long: one row per participant × measure × timepoint × scale.

    Item responses are scored with each measure's key (``aggregate`` from the study file
    overrides the key's). Pre-scored rows are appended as given, with ``n_valid`` missing.
    """
    frames = []
    responses = data.responses
    for mid, measure in study.measures.items():
        rows = responses[
            (responses["instrument"] == measure.instrument)
            & responses["timepoint"].isin(measure.timepoints)
        ]
        if rows.empty:
            continue
        scored = score_responses(rows, keys[mid], aggregate=measure.aggregate)
        scored.insert(1, "measure", mid)
        frames.append(scored)
    if len(data.prescored):
        pre = data.prescored.copy()
        pre["n_valid"] = pd.NA
        pre["n_items"] = pd.NA
        pre["prorated"] = False
        pre["band"] = ""
        frames.append(pre)
    if not frames:
        return pd.DataFrame(columns=LONG_COLUMNS)
    return pd.concat([f[LONG_COLUMNS] for f in frames], ignore_index=True)
