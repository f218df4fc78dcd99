"""Mediation paths and bootstrap intervals against frozen statsmodels and scipy values.

``tests/reference/mediation.json`` (made by ``tests/reference/make_mediation.py``) holds the
a, b, c and c' paths of statsmodels OLS fits and the percentile and BCa intervals of the
indirect effect from ``scipy.stats.bootstrap``, whose statistic refits both equations with
statsmodels OLS, together with the resample-index matrix scipy drew. The tests hand that
stored matrix to ``mediation`` through its ``rng`` argument, so the intervals are
deterministic. This relies on ``mediation`` drawing its resamples as its docstring says,
``rng.integers(0, n, size=(rows, n))`` on the complete cases for consecutive blocks of
resamples (the numbers of one call ``rng.integers(0, n, size=(n_boot, n))``): the stand-in
Generator serves the stored rows block by block and fails loudly if the draw changes.

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
import pandas as pd
import pingouin as pg
import pytest
from numpy.testing import assert_allclose
from scipy import stats

import patalliance.stats._resample as resample_blocks
from patalliance.stats import mediation
from patalliance.status import Status

RTOL = 1e-10
RTOL_BOOT = 1e-8
REFERENCE = json.loads(
    (Path(__file__).resolve().parents[1] / "reference" / "mediation.json").read_text("utf-8")
)


class _StoredDraws(np.random.Generator):
    """A Generator whose ``integers`` calls return the stored resample-index matrix, one
    block of rows per call, in order (the documented draw, a block of resamples at a time)."""

    def __init__(self, matrix: np.ndarray) -> None:
        super().__init__(np.random.PCG64(0))
        self.matrix = matrix
        self.calls = 0
        self.used = 0

    def integers(self, low, high=None, size=None, **kwargs):  # type: ignore[no-untyped-def, override]
        self.calls += 1
        rows, n = size
        assert (low, high, n) == (0, self.matrix.shape[1], self.matrix.shape[1])
        block = self.matrix[self.used : self.used + rows]
        assert block.shape[0] == rows, "more resamples drawn than stored"
        self.used += rows
        return block.copy()


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
    assert draws.used == draws.matrix.shape[0]
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


def test_blocks_of_resamples_give_the_intervals_of_one_draw(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    inputs = REFERENCE["inputs"]
    args = (
        np.array(inputs["x"], dtype=float),
        np.array(inputs["m"], dtype=float),
        np.array(inputs["y"], dtype=float),
        np.array(inputs["covariate"], dtype=float)[:, None],
    )
    stored = np.array(REFERENCE["resample_indices"]["matrix"])
    kwargs = {"n_boot": inputs["n_boot"], "confidence_level": inputs["level"]}
    whole = mediation(*args, rng=_StoredDraws(stored), **kwargs)
    monkeypatch.setattr(resample_blocks, "BLOCK_ELEMENTS", 3 * stored.shape[1])
    draws = _StoredDraws(stored)
    blocks = mediation(*args, rng=draws, **kwargs)
    assert draws.calls > 1 and draws.used == stored.shape[0]
    for a, b in zip(whole.indirect, blocks.indirect, strict=True):
        for key in ("boot_se", "percentile_ci_low", "percentile_ci_high", "bca_ci_low"):
            assert_allclose(getattr(b, key), getattr(a, key), rtol=1e-12, err_msg=key)
        assert b.n_boot_valid == a.n_boot_valid


def test_intervals_match_refitting_every_resample_and_every_subset() -> None:
    """Two mediators and a covariate: percentile and BCa (Efron 1987, by hand) intervals from
    least-squares refits of every resample and of every leave-one-out subset, on the same
    draws, against the weighted cross products and downdated Z'Z of ``mediation``."""
    d = _data(n=30, seed=8)
    m = np.column_stack([d["m1"], d["m2"]])
    n, n_boot, level = 30, 300, 0.95
    idx = np.random.default_rng(4).integers(0, n, size=(n_boot, n))
    res = mediation(d["x"], m, d["y"], d["c"][:, None], n_boot=n_boot, rng=_StoredDraws(idx))

    def indirect(rows: np.ndarray) -> np.ndarray:
        x, c = d["x"][rows], d["c"][rows]
        a = [_coef([x, c], m[rows, j])[1] for j in range(2)]
        b = _coef([x, m[rows, 0], m[rows, 1], c], d["y"][rows])[2:4]
        ab = np.array(a) * b
        return np.append(ab, ab.sum())

    boot = np.array([indirect(rows) for rows in idx])
    jack = np.array([indirect(np.delete(np.arange(n), i)) for i in range(n)])
    est = indirect(np.arange(n))
    for j, ind in enumerate(res.indirect):
        b = boot[:, j]
        assert_allclose(
            [ind.percentile_ci_low, ind.percentile_ci_high],
            np.quantile(b, [0.025, 0.975]),
            rtol=1e-9,
        )
        prop = (np.sum(b < est[j]) + 0.5 * np.sum(b == est[j])) / n_boot
        z0 = stats.norm.ppf(prop)
        dev = jack[:, j].mean() - jack[:, j]
        acc = np.sum(dev**3) / (6.0 * np.sum(dev**2) ** 1.5)
        zq = stats.norm.ppf([0.5 - level / 2, 0.5 + level / 2])
        probs = stats.norm.cdf(z0 + (z0 + zq) / (1.0 - acc * (z0 + zq)))
        assert_allclose([ind.bca_ci_low, ind.bca_ci_high], np.quantile(b, probs), rtol=1e-9)


def _data(n: int = 40, seed: int = 3) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    m1 = 0.5 * x + rng.normal(size=n)
    m2 = 0.3 * x + rng.normal(size=n)
    c = rng.normal(size=n)
    y = 0.6 * m1 + 0.4 * m2 + 0.2 * c + rng.normal(size=n)
    return {"x": x, "m1": m1, "m2": m2, "c": c, "y": y}


def _coef(design: list[np.ndarray], y: np.ndarray) -> np.ndarray:
    X = np.column_stack([np.ones(len(y)), *design])
    return np.linalg.lstsq(X, y, rcond=None)[0]


def test_paths_match_lstsq_and_indirect_matches_pingouin() -> None:
    d = _data()
    res = mediation(
        d["x"],
        np.column_stack([d["m1"], d["m2"]]),
        d["y"],
        d["c"][:, None],
        n_boot=2000,
        rng=np.random.default_rng(1),
        names=("x", ("m1", "m2"), "y", ("c",)),
    )
    est = {(p.path, p.mediator): p.estimate for p in res.paths}
    a1 = _coef([d["x"], d["c"]], d["m1"])[1]
    a2 = _coef([d["x"], d["c"]], d["m2"])[1]
    full = _coef([d["x"], d["m1"], d["m2"], d["c"]], d["y"])
    total = _coef([d["x"], d["c"]], d["y"])
    assert_allclose(
        [
            est["a", "m1"],
            est["a", "m2"],
            est["b", "m1"],
            est["b", "m2"],
            est["c", ""],
            est["c_prime", ""],
        ],
        [a1, a2, full[2], full[3], total[1], full[1]],
        rtol=1e-10,
    )
    ind = {i.mediator: i for i in res.indirect}
    assert_allclose(ind["total"].estimate, total[1] - full[1], rtol=1e-10)  # c - c' = sum a*b
    ref = pg.mediation_analysis(
        pd.DataFrame(d), x="x", m=["m1", "m2"], y="y", covar="c", n_boot=2000, seed=1
    )
    ref = ref.set_index("path")
    assert_allclose(
        [ind["m1"].estimate, ind["m2"].estimate],
        [ref.loc["Indirect m1", "coef"], ref.loc["Indirect m2", "coef"]],
        rtol=1e-10,
    )
    for name in ("m1", "m2"):  # bootstrap intervals agree within Monte Carlo error
        assert_allclose(
            [ind[name].bca_ci_low, ind[name].bca_ci_high],
            [ref.loc[f"Indirect {name}", "CI2.5"], ref.loc[f"Indirect {name}", "CI97.5"]],
            atol=0.06,
        )
        assert ind[name].percentile_ci_low <= ind[name].estimate <= ind[name].percentile_ci_high
        assert ind[name].bca_ci_low <= ind[name].estimate <= ind[name].bca_ci_high


def test_path_ses_match_ols_by_hand() -> None:
    d = _data(30, 9)
    res = mediation(d["x"], d["m1"], d["y"], n_boot=200, rng=np.random.default_rng(0))
    X = np.column_stack([np.ones(30), d["x"], d["m1"]])
    beta = np.linalg.lstsq(X, d["y"], rcond=None)[0]
    resid = d["y"] - X @ beta
    cov = resid @ resid / (30 - 3) * np.linalg.inv(X.T @ X)
    b = next(p for p in res.paths if p.path == "b")
    assert_allclose(b.se, np.sqrt(cov[2, 2]), rtol=1e-10)
    assert b.df == 27


def test_bootstrap_same_seed_same_interval() -> None:
    d = _data()
    runs = [
        mediation(d["x"], d["m1"], d["y"], n_boot=300, rng=np.random.default_rng(5))
        for _ in range(2)
    ]
    assert runs[0].indirect == runs[1].indirect


@pytest.mark.parametrize("bad", ["mediator", "n"])
def test_degenerate_inputs_give_messages(bad: str) -> None:
    d = _data(12)
    if bad == "mediator":
        res = mediation(
            d["x"],
            np.full(12, 3.0),
            d["y"],
            n_boot=200,
            rng=np.random.default_rng(0),
            names=("x", ("ebi",), "y", ()),
        )
        assert res.status == "not_estimable" and "'ebi' has no variance" in res.reason
    else:
        res = mediation(
            d["x"][:4], d["m1"][:4], d["y"][:4], n_boot=200, rng=np.random.default_rng(0)
        )
        assert res.status == "not_estimable" and "complete cases" in res.reason
    assert res.indirect == () and res.paths == ()


def test_single_mediator_indirect_effect_agrees_with_statsmodels_mediation() -> None:
    """statsmodels' Mediation (Imai, Keele & Tingley 2010 algorithm) estimates the average
    causal mediation effect by simulating from the fitted models' sampling distributions; for
    linear models without interaction its expectation is a*b, so our point estimate must fall
    within Monte Carlo error of it, and our interval must overlap its interval."""
    import statsmodels.api as sm
    from statsmodels.stats.mediation import Mediation

    d = _data(n=60, seed=5)
    frame = pd.DataFrame({"x": d["x"], "m": d["m1"], "y": d["y"]})
    outcome = sm.OLS.from_formula("y ~ x + m", frame)
    mediator = sm.OLS.from_formula("m ~ x", frame)
    # statsmodels' Mediation can only draw from numpy's legacy global generator: seed it for a
    # deterministic reference, and put its state back so no other test is affected.
    saved = np.random.get_state()  # noqa: NPY002
    np.random.seed(0)  # noqa: NPY002
    try:
        ref = Mediation(outcome, mediator, "x", "m").fit(n_rep=200)
    finally:
        np.random.set_state(saved)  # noqa: NPY002
    summary = ref.summary()
    acme = summary.loc["ACME (average)"]
    res = mediation(d["x"], d["m1"], d["y"], n_boot=2000, rng=np.random.default_rng(2))
    (ind,) = [i for i in res.indirect if i.mediator != "total"] or list(res.indirect)
    assert abs(ind.estimate - acme["Estimate"]) < 0.03
    assert ind.percentile_ci_low < acme["Upper CI bound"]
    assert acme["Lower CI bound"] < ind.percentile_ci_high
