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


def test_grid_hamd_remission_requires_response(tmp_path: Path) -> None:
    """Davis et al. (2021), parent trial: response = >= 50% reduction from baseline;
    remission = response AND GRID-HAMD <= 7 (key: remission_requires_response = true).
    A: 20 -> 7, (20 - 7) / 20 = 65%: response 1, remission 1.
    B: 14 -> 7, (14 - 7) / 14 = exactly 50%: ">= 50%" counts, so response 1, remission 1.
    C: 13 -> 7, (13 - 7) / 13 = 46.2%: no response, so remission 0 although 7 <= 7.
    D: 15 -> 8, 46.7% and 8 > 7: response 0, remission 0."""
    rows: list[tuple[str, ...]] = []
    for pid, base, post in (("A", 20, 7), ("B", 14, 7), ("C", 13, 7), ("D", 15, 8)):
        rows += _rows(pid, "baseline", "grid_hamd17", grid(base))
        rows += _rows(pid, "post1w", "grid_hamd17", grid(post))
    v = _table(tmp_path, rows, ["A", "B", "C", "D"])
    assert list(v["depression.response@post1w"]) == [1.0, 1.0, 0.0, 0.0]
    assert list(v["depression.remission@post1w"]) == [1.0, 1.0, 0.0, 0.0]
    assert v["depression.remission@fu4w"].isna().all()  # no fu4w ratings


QIDS_STUDY = """\
[study]
id = "qids"
title = "QIDS-SR16 outcome rule"

[arms]
immediate = { label = "Immediate" }

[[timepoints]]
id = "baseline"
[[timepoints]]
id = "wk8"

[data]
responses = "responses.csv"
participants = "participants.csv"

[measures.depression]
instrument = "qids_sr16"
timepoints = ["baseline", "wk8"]
baseline = "baseline"
"""


def qids(total: int) -> list[int | str]:
    """QIDS-SR16 items with the given total: the sleep, appetite and psychomotor domains and
    items 5, 10-14 filled with 3s in order (each domain counts once, as its highest item)."""
    items: list[int | str] = [0] * 16
    left = total
    for domain in ([1, 2, 3, 4], [5], [6, 7, 8, 9], [10], [11], [12], [13], [14], [15, 16]):
        take = min(3, left)
        items[domain[0] - 1] = take
        left -= take
    assert left == 0
    return items


def test_qids_remission_does_not_require_response(tmp_path: Path) -> None:
    """STAR*D (Rush et al. 2006): remission = QIDS-SR16 <= 5, whatever the reduction
    (key: remission_requires_response = false); response = >= 50% reduction.
    P1: 8 -> 5 is a (8 - 5) / 8 = 37.5% reduction: response 0, remission 1.
    P2: 12 -> 6: 50% reduction: response 1, remission 0 (6 > 5).
    P3: baseline missing, week 8 = 4: response missing, remission 1 (needs no baseline).
    P4: 10 -> item 5 missing at week 8: total, response and remission missing."""
    rows: list[tuple[str, ...]] = []
    rows += _rows("P1", "baseline", "qids_sr16", qids(8)) + _rows("P1", "wk8", "qids_sr16", qids(5))
    rows += _rows("P2", "baseline", "qids_sr16", qids(12))
    rows += _rows("P2", "wk8", "qids_sr16", qids(6))
    rows += _rows("P3", "wk8", "qids_sr16", qids(4))
    week8 = qids(4)
    week8[5 - 1] = ""
    rows += _rows("P4", "baseline", "qids_sr16", qids(10)) + _rows("P4", "wk8", "qids_sr16", week8)
    v = _table(tmp_path, rows, ["P1", "P2", "P3", "P4"], study=QIDS_STUDY)
    assert_allclose(v["depression.total@baseline"], [8, 12, np.nan, 10])
    assert_allclose(v["depression.total@wk8"], [5, 6, 4, np.nan])
    assert_allclose(v["depression.response@wk8"], [0, 1, np.nan, np.nan])
    assert_allclose(v["depression.remission@wk8"], [1, 0, 1, np.nan])


def _table(
    tmp_path: Path, rows: list[tuple[str, ...]], ids: list[str], *, study: str | None = None
) -> pd.DataFrame:
    """The analysis table of these response rows (the tiny study, or ``study``)."""
    responses = pd.DataFrame(
        rows, columns=["participant_id", "timepoint", "instrument", "item", "value"]
    )
    participants = pd.DataFrame({"participant_id": ids, "arm": "immediate"})
    path = write_study(tmp_path / "s", responses, participants)
    if study is not None:
        path.write_text(study, encoding="utf-8")
    return prepare(path).table.values


def test_complete_mystical_experience_at_peak_is_any_session(tmp_path: Path) -> None:
    """Barrett et al. (2015): complete = all four MEQ-30 scales >= 60% of maximum (mean >= 3)
    in one experience. mystical.complete@peak is 1 when a session met the rule, never
    computed from the peak subscale scores, which may come from different sessions.
    P1: session1 mystical and positive mood 4, transcendence and ineffability 2; session2 the
    reverse. Every subscale peaks at 4 (80%), but no session is complete -> 0.
    P2: session1 complete (all 4), session2 not (all 1) -> 1.
    P3: session1 not complete, session2 missing -> 0 (the present sessions decide)."""
    mystical = {4, 5, 6, 9, 14, 15, 16, 18, 20, 21, 23, 24, 25, 26, 28}
    mood = {2, 8, 12, 17, 27, 30}
    first = [4 if i in mystical | mood else 2 for i in range(1, 31)]
    second = [2 if i in mystical | mood else 4 for i in range(1, 31)]
    rows: list[tuple[str, ...]] = []
    rows += _rows("P1", "session1", "meq30", first) + _rows("P1", "session2", "meq30", second)
    rows += _rows("P2", "session1", "meq30", [4] * 30) + _rows("P2", "session2", "meq30", [1] * 30)
    rows += _rows("P3", "session1", "meq30", [2] * 30)
    v = _table(tmp_path, rows, ["P1", "P2", "P3"])
    for scale in ("mystical_pct", "positive_mood_pct", "transcendence_pct", "ineffability_pct"):
        assert_allclose(v.loc["P1", f"mystical.{scale}@peak"], 80.0)
    assert list(v["mystical.complete@session1"]) == [0.0, 1.0, 0.0]
    assert list(v["mystical.complete@peak"]) == [0.0, 1.0, 0.0]


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
