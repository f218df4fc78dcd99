"""Mediation paths and bootstrap intervals against frozen statsmodels and scipy values.

``tests/reference/mediation.json`` (made by ``tests/reference/make_mediation.py``) holds the
a, b, c and c' paths of statsmodels OLS fits and the percentile and BCa intervals of the
indirect effect from ``scipy.stats.bootstrap``, whose statistic refits both equations with
statsmodels OLS, together with the resample-index matrix scipy drew. The tests hand that
stored matrix to ``mediation`` through its ``rng`` argument, so the intervals are
deterministic. This relies on ``mediation`` drawing its resamples with one call
``rng.integers(0, n, size=(n_boot, n))`` on the complete cases: its docstring says only that
each resample "draws n rows with replacement", so the stand-in Generator asserts that call
and fails loudly if the draw changes.

Paths are compared at ``rtol = 1e-10`` (closed forms). The bootstrap replicates are solved
by batched normal equations in ``mediation`` and by a pseudo-inverse in statsmodels. Normal
equations square the condition number (X'X of these raw-scale data has a condition number of
about 6e5, more in an unlucky resample), so a replicate may differ by up to about eps * 1e6 =
2e-10 relative on another BLAS (7e-13 is observed here): the intervals and the bootstrap SE
get ``rtol = 1e-8``.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from numpy.testing import assert_allclose

from patalliance.stats import mediation
from patalliance.status import Status

RTOL = 1e-10
RTOL_BOOT = 1e-8
REFERENCE = json.loads(
    (Path(__file__).resolve().parents[1] / "reference" / "mediation.json").read_text("utf-8")
)


class _StoredDraws(np.random.Generator):
    """A Generator whose one ``integers`` call returns the stored resample-index matrix."""

    def __init__(self, matrix: np.ndarray) -> None:
        super().__init__(np.random.PCG64(0))
        self.matrix = matrix
        self.calls = 0

    def integers(self, low, high=None, size=None, **kwargs):  # type: ignore[no-untyped-def, override]
        self.calls += 1
        assert (low, high, tuple(size)) == (0, self.matrix.shape[1], self.matrix.shape)
        return self.matrix.copy()


@pytest.fixture(scope="module")
def result():  # type: ignore[no-untyped-def]
    inputs = REFERENCE["inputs"]
    draws = _StoredDraws(np.array(REFERENCE["resample_indices"]["matrix"]))
    res = mediation(
        np.array(inputs["x"], dtype=float),
        np.array(inputs["m"], dtype=float),
        np.array(inputs["y"], dtype=float),
        np.array(inputs["covariate"], dtype=float)[:, None],
        n_boot=inputs["n_boot"],
        confidence_level=inputs["level"],
        rng=draws,
    )
    assert draws.calls == 1
    return res


def test_paths_match_frozen_statsmodels_fits(result):
    assert result.status is Status.OK and result.n == REFERENCE["n"]
    got = {p.path: p for p in result.paths}
    for expected in REFERENCE["paths"]:
        path = got[expected["path"]]
        for key in ("estimate", "se", "t", "df", "p", "ci_low", "ci_high"):
            assert_allclose(getattr(path, key), expected[key], rtol=RTOL, err_msg=key)


def test_indirect_effect_matches_frozen_scipy_bootstrap(result):
    percentile = REFERENCE["intervals"]["percentile"]
    bca = REFERENCE["intervals"]["bca"]
    assert [ind.mediator for ind in result.indirect] == ["m0", "total"]
    for ind in result.indirect:  # one mediator: the total is the specific effect
        assert ind.n_boot_valid == REFERENCE["inputs"]["n_boot"]
        assert_allclose(ind.estimate, REFERENCE["indirect_estimate"], rtol=RTOL)
        assert_allclose(ind.boot_se, percentile["standard_error"], rtol=RTOL_BOOT)
        assert_allclose(
            [ind.percentile_ci_low, ind.percentile_ci_high],
            [percentile["ci_low"], percentile["ci_high"]],
            rtol=RTOL_BOOT,
        )
        assert_allclose(
            [ind.bca_ci_low, ind.bca_ci_high], [bca["ci_low"], bca["ci_high"]], rtol=RTOL_BOOT
        )
