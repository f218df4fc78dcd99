"""The analysis table: peaks, change from baseline, response and remission, by hand."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from conftest import write_study
from numpy.testing import assert_allclose

from patalliance.pipeline import prepare

DEMO = Path(__file__).parents[1] / "src" / "patalliance" / "data" / "levin2024" / "study.toml"


def _rows(pid: str, tp: str, inst: str, values: list[int | str]) -> list[tuple[str, ...]]:
    return [(pid, tp, inst, str(i), str(v)) for i, v in enumerate(values, start=1)]


GRID_SHORT = {4, 5, 6, 12, 13, 14, 16, 17}


def grid(total: int) -> list[int]:
    """GRID-HAMD-17 items summing to ``total`` (0-4 items filled first, then 0-2 items)."""
    items = [0] * 17
    left = total
    for i in range(1, 18):
        cap = 2 if i in GRID_SHORT else 4
        take = min(cap, left)
        items[i - 1] = take
        left -= take
    assert left == 0
    return items


def test_peak_change_response_remission(tmp_path: Path) -> None:
    rows: list[tuple[str, ...]] = []
    # P1: MEQ session1 all 2, session2 all 4 -> peak 4; GRID 20 -> 9 (55% drop: response,
    # not remission since 9 > 7) -> 6 (70% drop and <= 7: remission).
    rows += _rows("P1", "session1", "meq30", [2] * 30)
    rows += _rows("P1", "session2", "meq30", [4] * 30)
    rows += _rows("P1", "baseline", "grid_hamd17", grid(20))
    rows += _rows("P1", "post1w", "grid_hamd17", grid(9))
    rows += _rows("P1", "fu4w", "grid_hamd17", grid(6))
    # P2: only session1 present -> the peak is session1; GRID 20 -> 11 (45%: no response).
    rows += _rows("P2", "session1", "meq30", [3] * 30)
    rows += _rows("P2", "baseline", "grid_hamd17", grid(20))
    rows += _rows("P2", "post1w", "grid_hamd17", grid(11))
    for pid in ("P1", "P2"):
        rows += _rows(pid, "prep", "wai_sr", [4] * 12)
        rows += _rows(pid, "post1w", "wai_sr", [5] * 12)
    responses = pd.DataFrame(
        rows, columns=["participant_id", "timepoint", "instrument", "item", "value"]
    )
    participants = pd.DataFrame({"participant_id": ["P1", "P2"], "arm": ["immediate", "delayed"]})
    prepared = prepare(write_study(tmp_path / "s", responses, participants))
    v = prepared.table.values
    assert_allclose(v.loc["P1", "mystical.total@peak"], 4.0)
    assert_allclose(v.loc["P2", "mystical.total@peak"], 3.0)
    assert np.isnan(v.loc["P2", "mystical.total@session2"])
    assert_allclose(v.loc["P1", "depression.total_change@post1w"], 9 - 20)
    assert_allclose(v.loc["P1", "depression.total_change@fu4w"], 6 - 20)
    assert v.loc["P1", "depression.response@post1w"] == 1.0
    assert v.loc["P1", "depression.remission@post1w"] == 0.0
    assert v.loc["P1", "depression.remission@fu4w"] == 1.0
    assert v.loc["P2", "depression.response@post1w"] == 0.0
    assert np.isnan(v.loc["P2", "depression.response@fu4w"])  # fu4w missing
    # WAI-SR totals: 12 x 4 = 48 and 12 x 5 = 60 (Hatcher & Gillaspy 2006, sums).
    assert_allclose(v["alliance.total@prep"], [48, 48])
    assert_allclose(v["alliance.total@post1w"], [60, 60])
    # MEQ-30 complete mystical experience: >= 60% on all four scales (Barrett et al. 2015):
    # all items 4 -> 80%: complete; all items 2 -> 40%: not complete.
    assert v.loc["P1", "mystical.complete@session2"] == 1.0
    assert v.loc["P1", "mystical.complete@session1"] == 0.0
    table = prepared.table.to_frame()
    assert list(table.columns[:2]) == ["participant_id", "arm"]
    assert (
        table.loc[table["participant_id"] == "P1", "depression.severity@baseline"].item()
        == "moderate"
    )


def test_prorated_score_between_integer_bands_gets_the_lower_band() -> None:
    """GRID-HAMD-17 bands (Zimmerman et al. 2013) are integer ranges; a user key that prorates
    can produce 7.5, which lies in the 'none' band (below the 'mild' band's minimum of 8)."""
    from patalliance.instruments import builtin_keys
    from patalliance.instruments.engine import band_labels

    key = builtin_keys()["grid_hamd17"]
    scores = np.array([0.0, 7.0, 7.5, 8.0, 16.5, 23.9, 24.0, 52.0, np.nan])
    labels = band_labels(scores, key, "severity")
    assert list(labels) == [
        "none", "none", "none", "mild", "mild", "moderate", "severe", "severe", "",
    ]  # fmt: skip


def test_response_is_missing_when_baseline_is_zero(tmp_path: Path) -> None:
    rows: list[tuple[str, ...]] = []
    rows += _rows("P1", "baseline", "grid_hamd17", grid(0))
    rows += _rows("P1", "post1w", "grid_hamd17", grid(0))
    responses = pd.DataFrame(
        rows, columns=["participant_id", "timepoint", "instrument", "item", "value"]
    )
    participants = pd.DataFrame({"participant_id": ["P1"], "arm": ["immediate"]})
    prepared = prepare(write_study(tmp_path / "s", responses, participants))
    assert np.isnan(prepared.table.values.loc["P1", "depression.response@post1w"])


def _alliance_scores(ids: list[str]) -> pd.DataFrame:
    from patalliance.scoring import LONG_COLUMNS

    rows = [
        (pid, "alliance", "prep", "total", 40.0 + i, 12, 12, False, "") for i, pid in enumerate(ids)
    ]
    return pd.DataFrame(rows, columns=LONG_COLUMNS)


def test_participant_order_is_participants_file_then_new_score_ids() -> None:
    """Participants in the order of the participants file (first occurrence), then the ids
    that only the scores have, in the order they first appear there."""
    from patalliance.derive import build_analysis_table
    from patalliance.instruments.registry import resolve_keys
    from patalliance.study import load_study

    study = load_study(DEMO)
    keys = resolve_keys(study)
    participants = pd.DataFrame(
        {"participant_id": ["P3", "P1", "P2", "P1"], "arm": ["delayed", "immediate"] * 2}
    )
    scores = _alliance_scores(["P9", "P1", "P5", "P3", "P7"])
    scores.loc[5] = ["P9", "alliance", "post1w", "total", 50.0, 12, 12, False, ""]
    table = build_analysis_table(scores, participants, study, keys)
    assert list(table.values.index) == ["P3", "P1", "P2", "P9", "P5", "P7"]
    assert table.values.index.name == "participant_id"
    assert table.values.index.dtype == object
    assert list(table.arms.iloc[:3]) == ["delayed", "immediate", "delayed"]
    assert table.arms.iloc[3:].isna().all()
    assert_allclose(table.values["alliance.total@prep"], [43, 41, np.nan, 40, 42, 44])
    assert_allclose(table.values["alliance.total@post1w"], [np.nan] * 3 + [50] + [np.nan] * 2)

    # without a participants file: the order in which the scores name them
    empty = pd.DataFrame(columns=["participant_id", "arm"])
    alone = build_analysis_table(_alliance_scores(["B", "A", "C"]), empty, study, keys)
    assert list(alone.values.index) == ["B", "A", "C"]
