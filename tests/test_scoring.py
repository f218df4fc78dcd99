"""score_trial (coded columns, each measure's rows taken by position) against the public
score_responses of each measure, and the analysis table from coded or text scores."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import make_participants, make_responses, write_study
from numpy.testing import assert_array_equal

from patalliance.derive import build_analysis_table
from patalliance.instruments import score_responses
from patalliance.pipeline import check
from patalliance.scoring import score_trial


def _checked(tmp_path: Path):  # type: ignore[no-untyped-def]
    responses = make_responses(n=20, seed=3, missing=0.15)
    # file order differs from sorted order: rows shuffled, ids not in sorted order
    responses = responses.sample(frac=1.0, random_state=4).reset_index(drop=True)
    path = write_study(tmp_path / "s", responses, make_participants(20))
    checked = check(path)
    assert checked.validated.report.ok
    return checked


def test_score_trial_gives_each_measures_scores(tmp_path: Path) -> None:
    checked = _checked(tmp_path)
    study, keys, validated = checked.study, checked.keys, checked.validated
    scores = score_trial(validated, study, keys)
    text = validated.responses.astype({"participant_id": str, "timepoint": str, "instrument": str})
    for mid, measure in study.measures.items():
        rows = text[
            (text["instrument"] == measure.instrument) & text["timepoint"].isin(measure.timepoints)
        ]
        expected = score_responses(rows, keys[mid], aggregate=measure.aggregate)
        got = scores[scores["measure"] == mid].reset_index(drop=True)
        for column in ["participant_id", "timepoint", "scale", "band"]:
            assert got[column].astype(str).tolist() == expected[column].astype(str).tolist()
        for column in ["score", "n_valid", "n_items", "prorated"]:
            assert_array_equal(got[column].to_numpy(), expected[column].to_numpy())


def test_the_analysis_table_is_the_same_from_coded_or_text_scores(tmp_path: Path) -> None:
    checked = _checked(tmp_path)
    study, keys, validated = checked.study, checked.keys, checked.validated
    scores = score_trial(validated, study, keys)
    assert isinstance(scores["participant_id"].dtype, pd.CategoricalDtype)
    text = scores.astype(
        {c: str for c in ["participant_id", "measure", "timepoint", "scale", "band"]}
    )
    coded = build_analysis_table(scores, validated.participants, study, keys).to_frame()
    plain = build_analysis_table(text, validated.participants, study, keys).to_frame()
    pd.testing.assert_frame_equal(coded, plain)


@pytest.mark.parametrize("grouped", [True, False])
def test_sorted_codes_of_text_match_pandas_factorize(grouped: bool) -> None:
    """Text ids held together (each run hashed once) or shuffled (every cell hashed) get the
    codes of ``pandas.factorize(sort=True)``."""
    from patalliance.instruments.engine import sorted_codes

    rng = np.random.default_rng(2)
    ids = np.repeat([f"P{i:03d}" for i in rng.permutation(200)], rng.integers(1, 40, 200))
    if not grouped:
        ids = rng.permutation(ids)
    column = pd.Series(ids, dtype="string[pyarrow]", name="participant_id")
    codes, index = sorted_codes(column)
    expected, uniques = pd.factorize(pd.Series(ids), sort=True)
    np.testing.assert_array_equal(codes, expected)
    assert list(index) == list(uniques)
