"""Property tests (hypothesis) of the scoring engine and of row accounting in validation."""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
from conftest import make_participants, make_responses, write_study
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose, assert_array_equal

from patalliance.instruments import (
    InstrumentKey,
    builtin_keys,
    scale_range,
    score_matrix,
    score_responses,
)
from patalliance.pipeline import check
from patalliance.qc import Problem

KEYS = builtin_keys()
SETTINGS = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)


@st.composite
def administrations(draw: st.DrawFn) -> tuple[InstrumentKey, np.ndarray]:
    """A shipped key and a matrix of valid responses with random missing items."""
    key = KEYS[draw(st.sampled_from(sorted(KEYS)))]
    n_rows = draw(st.integers(1, 6))
    seed = draw(st.integers(0, 2**32 - 1))
    missing = draw(st.sampled_from([0.0, 0.05, 0.2, 0.5]))
    rng = np.random.default_rng(seed)
    n = key.instrument.n_items
    lo = np.array([key.item_min[i] for i in range(1, n + 1)])
    hi = np.array([key.item_max[i] for i in range(1, n + 1)])
    if key.instrument.integer:
        values = rng.integers(lo.astype(int), hi.astype(int) + 1, size=(n_rows, n)).astype(float)
    else:
        values = rng.uniform(lo, hi, size=(n_rows, n))
    values[rng.random((n_rows, n)) < missing] = np.nan
    return key, values


def to_long(matrix: np.ndarray) -> pd.DataFrame:
    rows, cols = np.nonzero(~np.isnan(matrix))
    return pd.DataFrame(
        {
            "participant_id": [f"P{r:02d}" for r in rows],
            "timepoint": "t1",
            "item": cols + 1,
            "value": matrix[rows, cols],
        }
    )


def permuted_key(key: InstrumentKey, rng: np.random.Generator) -> InstrumentKey:
    """The same key with every scale's item list in another order."""
    raw = key.model_dump()
    for scale in raw["scales"]:
        scale["items"] = [int(i) for i in rng.permutation(scale["items"])]
        for group in scale["max_of"]:
            group["items"] = [int(i) for i in rng.permutation(group["items"])]
    return InstrumentKey.model_validate(raw)


def sorted_scores(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.sort_values(["participant_id", "timepoint", "scale"]).reset_index(drop=True)


@SETTINGS
@given(data=administrations(), seed=st.integers(0, 2**32 - 1))
def test_score_invariant_to_row_and_item_order(
    data: tuple[InstrumentKey, np.ndarray], seed: int
) -> None:
    key, matrix = data
    rng = np.random.default_rng(seed)
    long = to_long(matrix)
    if long.empty:
        return
    expected = sorted_scores(score_responses(long, key))
    shuffled = long.iloc[rng.permutation(len(long))].reset_index(drop=True)
    pd.testing.assert_frame_equal(sorted_scores(score_responses(shuffled, key)), expected)
    reordered = sorted_scores(score_responses(long, permuted_key(key, rng)))
    pd.testing.assert_frame_equal(reordered, expected, check_exact=False, rtol=1e-12)


@SETTINGS
@given(data=administrations(), aggregate=st.sampled_from([None, "sum", "mean"]))
def test_scores_within_scale_range_and_n_valid_at_most_items(
    data: tuple[InstrumentKey, np.ndarray], aggregate: str | None
) -> None:
    key, matrix = data
    out = score_matrix(matrix, key, aggregate=aggregate)  # type: ignore[arg-type]
    for scale in key.scales:
        score, n_valid, prorated = out[scale.id]
        lo, hi = scale_range(key, scale.id, aggregate=aggregate)  # type: ignore[arg-type]
        present = ~np.isnan(score)
        assert np.all(score[present] >= lo - 1e-9)
        assert np.all(score[present] <= hi + 1e-9)
        assert np.all(n_valid <= len(scale.items))
        assert np.all(n_valid >= 0)
        # prorated only where a score exists and something is missing
        assert not np.any(prorated & ~present)
        if scale.percent_of_max:
            pct = out[f"{scale.id}_pct"][0][present]
            assert np.all((pct >= -1e-9) & (pct <= 100 + 1e-9))
    long = to_long(matrix)
    if len(long):
        scored = score_responses(long, key, aggregate=aggregate)  # type: ignore[arg-type]
        assert (scored["n_valid"] <= scored["n_items"]).all()


@SETTINGS
@given(data=administrations())
def test_complete_rows_are_never_prorated(data: tuple[InstrumentKey, np.ndarray]) -> None:
    key, matrix = data
    full = np.where(np.isnan(matrix), np.array([key.item_min[1]]), matrix)
    for scale in key.scales:
        score, _, prorated = score_matrix(full, key)[scale.id]
        assert not prorated.any()
        assert not np.isnan(score).any()


# --- row accounting ------------------------------------------------------------------------

CORRUPTIONS = {
    "value_text": lambda r: {**r, "value": "abc"},
    "value_high": lambda r: {**r, "value": "9"},
    "value_fraction": lambda r: {**r, "value": "2.5"},
    "value_undeclared_code": lambda r: {**r, "value": "-98"},
    "item_zero": lambda r: {**r, "item": "0"},
    "item_text": lambda r: {**r, "item": "x"},
    "item_beyond": lambda r: {**r, "item": "99"},
    "timepoint": lambda r: {**r, "timepoint": "nowhere"},
    "instrument": lambda r: {**r, "instrument": "foo"},
    "pid_empty": lambda r: {**r, "participant_id": ""},
    "pid_unknown": lambda r: {**r, "participant_id": "ZZZ"},
    "wrong_timepoint": lambda r: {**r, "timepoint": "fu4w", "instrument": "wai_sr"},
}

#: Codes reported once per (instrument, timepoint) pair, counting its rows.
PAIR_CODES = {"unknown_instrument", "unknown_timepoint", "instrument_timepoint"}


@st.composite
def corrupted_studies(draw: st.DrawFn) -> tuple[pd.DataFrame, pd.DataFrame, int]:
    """Valid tiny-study data with a random number of corrupted, duplicated or extra rows."""
    seed = draw(st.integers(0, 10_000))
    responses = make_responses(n=3, seed=seed, missing=0.1)
    participants = make_participants(3)
    n_bad = draw(st.integers(0, 6))
    rng = np.random.default_rng(seed)
    rows = responses.to_dict("records")
    for _ in range(n_bad):
        kind = draw(st.sampled_from([*sorted(CORRUPTIONS), "duplicate", "conflict"]))
        i = int(rng.integers(len(rows)))
        if kind == "duplicate":
            rows.insert(i + 1, dict(rows[i]))
        elif kind == "conflict":
            rows.insert(i + 1, {**rows[i], "value": "1" if rows[i]["value"] != "1" else "0"})
        else:
            rows[i] = CORRUPTIONS[kind](rows[i])
    if draw(st.booleans()):
        participants = pd.concat(
            [
                participants,
                pd.DataFrame([{"participant_id": "P002", "arm": "control", "facilitator": "F1"}]),
            ],
            ignore_index=True,
        )
    order = rng.permutation(len(rows)) if draw(st.booleans()) else np.arange(len(rows))
    frame = pd.DataFrame([rows[i] for i in order], columns=responses.columns)
    return frame, participants, n_bad


def _rows_reported(problem: Problem) -> int:
    """The rows an error stands for: one, or the count of a per-pair problem."""
    counted = re.match(r"(\d+) rows? of ", problem.message)
    return int(counted.group(1)) if counted and problem.code in PAIR_CODES else 1


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=corrupted_studies())
def test_row_accounting_holds_under_both_policies(
    case: tuple[pd.DataFrame, pd.DataFrame, int],
) -> None:
    responses, participants, _ = case
    with tempfile.TemporaryDirectory() as tmp:
        path = write_study(Path(tmp) / "study", responses, participants)
        reports = {
            policy: check(path, policy=policy).validated.report for policy in ("strict", "lenient")
        }
    for policy, report in reports.items():
        assert report.policy == policy
        assert report.rows_read == len(responses) + len(participants)
        assert report.rows_read == report.rows_used + report.rows_excluded
        assert sum(report.excluded_by_reason.values()) == report.rows_excluded
        for f in report.files:
            assert f["rows"] == f["rows_used"] + f["rows_excluded"]
        # every excluded row has an error reported at its file and row; an undeclared
        # (instrument, timepoint) pair is one error for all its rows, and counts them
        assert report.rows_excluded <= sum(_rows_reported(p) for p in report.errors)
        assert (report.rows_excluded == 0) == (not report.errors)
    strict, lenient = reports["strict"], reports["lenient"]
    assert strict.rows_excluded == lenient.rows_excluded
    assert strict.ok == (not strict.errors)
    assert_array_equal(sorted(strict.excluded_by_reason), sorted(lenient.excluded_by_reason))


def test_row_accounting_counts_the_lenient_exclusions(tmp_path: Path) -> None:
    responses = make_responses(n=3, seed=3, missing=0.0)
    responses.loc[[0, 5], "value"] = "99"
    responses.loc[7, "item"] = "0"
    path = write_study(tmp_path / "study", responses, make_participants(3))
    validated = check(path, policy="lenient").validated
    report = validated.report
    assert report.ok
    assert dict(report.excluded_by_reason) == {"item_out_of_key": 1, "out_of_range": 2}
    assert len(validated.responses) == len(responses) - 3
    assert_allclose(report.rows_used, len(responses) + 3 - 3)
