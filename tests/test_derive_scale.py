"""The participants table and the analysis table at 200,000 participants.

Building both is linear in the number of participants (a first-seen dict, no list searches),
so these runs take seconds; a quadratic build (``ids.index`` per id, ``set(ids)`` per row)
took 139 s at 60,000 and did not finish within 20 minutes at 200,000. No test here is
timed: ``benchmarks/bench_participants.py`` measures the growth exponent. The references are
pandas' own ``drop_duplicates`` order and ``pivot_table``, independent of ``derive.py``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from conftest import make_participants, make_responses, write_study
from numpy.testing import assert_allclose

from patalliance.derive import build_analysis_table
from patalliance.instruments.registry import resolve_keys
from patalliance.pipeline import prepare
from patalliance.study import load_study

N = 200_000
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


def _participants(n: int) -> pd.DataFrame:
    """n participants in a shuffled order, every 1000th listed twice (same arm)."""
    rng = np.random.default_rng(20240314)
    ids = np.array([f"S{i:06d}" for i in rng.permutation(n)], dtype=object)
    repeats = ids[::1000]
    arms = np.where(np.arange(n) % 2 == 0, "immediate", "delayed")
    frame = pd.DataFrame({"participant_id": ids, "arm": arms, "facilitator": "F1"})
    again = frame.iloc[::1000]
    assert list(again["participant_id"]) == list(repeats)
    return pd.concat([frame, again], ignore_index=True)


def test_200k_participants_rows_go_through_the_pipeline(tmp_path: Path) -> None:
    small = make_participants(12)
    big = pd.concat([small, _participants(N)], ignore_index=True)
    responses = make_responses(12)
    alone = prepare(write_study(tmp_path / "small", responses, small))
    # the repeated rows are duplicate_participant errors: lenient excludes them with a reason
    prepared = prepare(write_study(tmp_path / "big", responses, big), policy="lenient")

    expected = big["participant_id"].drop_duplicates(keep="first")
    assert list(prepared.table.values.index) == list(expected)
    assert prepared.table.n_participants == N + 12
    arm_of = big.drop_duplicates("participant_id").set_index("participant_id")["arm"]
    assert (prepared.table.arms == arm_of.reindex(prepared.table.values.index)).all()
    report = prepared.validated.report
    assert report.rows_read == len(big) + len(responses)
    assert report.rows_excluded == len(big) - N - 12
    assert report.rows_read == report.rows_used + report.rows_excluded
    # the 12 participants with data score exactly as they do alone
    values = prepared.table.values.loc[alone.table.values.index, alone.table.values.columns]
    assert_allclose(values.to_numpy(float), alone.table.values.to_numpy(float), equal_nan=True)
    assert prepared.table.values.iloc[12:].isna().all().all()


def test_analysis_table_of_200k_participants_matches_a_pivot(tmp_path: Path) -> None:
    study = load_study(write_study(tmp_path / "s"))
    keys = resolve_keys(study)
    participants = _participants(N)
    ids = participants["participant_id"].drop_duplicates().to_numpy()
    rng = np.random.default_rng(7)
    parts = []
    for measure, timepoints in (
        ("alliance", ["prep", "post1w"]),
        ("depression", ["baseline", "post1w", "fu4w"]),
    ):
        for tp in timepoints:
            keep = rng.random(N) < 0.9  # some participants lack the occasion
            score = rng.integers(0, 50, size=keep.sum()).astype(float)
            parts.append(
                pd.DataFrame(
                    {
                        "participant_id": ids[keep][::-1],  # another order than the file's
                        "measure": measure,
                        "timepoint": tp,
                        "scale": "total",
                        "score": score,
                        "n_valid": 12,
                        "n_items": 12,
                        "prorated": False,
                        "band": "",
                    }
                )
            )
    scores = pd.concat(parts, ignore_index=True)[LONG_COLUMNS]
    table = build_analysis_table(scores, participants, study, keys)

    assert list(table.values.index) == list(ids)
    wide = scores.pivot_table(
        index="participant_id", columns=["measure", "timepoint"], values="score"
    ).reindex(ids)
    for (measure, tp), column in wide.items():
        assert_allclose(table.values[f"{measure}.total@{tp}"], column, equal_nan=True)
    for tp in ("post1w", "fu4w"):
        change = wide[("depression", tp)] - wide[("depression", "baseline")]
        assert_allclose(table.values[f"depression.total_change@{tp}"], change, equal_nan=True)
