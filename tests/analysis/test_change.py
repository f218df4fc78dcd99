"""analysis.change on a small study, against scipy and statsmodels."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import write_study

from patalliance.pipeline import prepare

SENS = """
[analysis.sensitivity]
n_resamples = 400
"""


@pytest.fixture(scope="module")
def prepared(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    return prepare(write_study(tmp_path_factory.mktemp("sens") / "s", analysis_extra=SENS))


def test_change_record_keeps_the_reason_a_statistic_is_nan(prepared) -> None:  # type: ignore[no-untyped-def]
    """A NaN t (all differences equal) carries its reason into the change record."""
    from patalliance.analysis.change import run_change
    from patalliance.study import ChangeTest

    name = "alliance.total@prep"
    plan = prepared.study.analysis.model_copy(
        update={"change": [ChangeTest(variable_from=name, variable_to=name)]}
    )
    (rec,) = run_change(prepared.table, plan)
    assert rec.n == prepared.table.values[name].notna().sum()
    assert np.isnan(rec.t) and np.isnan(rec.wilcoxon_p)
    assert "SD of differences = 0" in rec.notes and "Wilcoxon" in rec.notes
    assert rec.to_dict()["notes"] == rec.notes
