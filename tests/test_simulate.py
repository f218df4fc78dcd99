"""Tests of simulate/trial.py and simulate/calibrate.py (generator, calibrator, demo data).

Reference values: the demo targets are the published values of Levin et al. (2024), PLoS One
19(3):e0300501, and Davis et al. (2021), JAMA Psychiatry 78(5):481-489 (GRID-HAMD by arm);
every reproduced statistic is recomputed here with scipy (``pearsonr``, ``ttest_rel``) from
scores that the package's own pipeline computes from the committed item responses.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from patalliance.instruments.key import builtin_keys
from patalliance.instruments.registry import resolve_keys
from patalliance.pipeline import prepare
from patalliance.simulate.calibrate import (
    InfeasibleTargetsError,
    Reported,
    Targets,
    calibrate,
    correlation_window,
    load_targets,
)
from patalliance.simulate.trial import (
    Missingness,
    decompose,
    score_grid,
    simulate_trial,
)
from patalliance.study import load_study

DEMO = Path(__file__).resolve().parents[1] / "src" / "patalliance" / "data" / "levin2024"

SMALL_STUDY = """\
[study]
id = "small"
title = "SYNTHETIC test study"

[arms]
a = { label = "Arm A" }
b = { label = "Arm B" }

[[timepoints]]
id = "baseline"
[[timepoints]]
id = "prep"
[[timepoints]]
id = "session1"
[[timepoints]]
id = "session2"
[[timepoints]]
id = "post1w"
[[timepoints]]
id = "fu4w"

[data]
responses = "responses.csv"
participants = "participants.csv"

[measures.alliance]
instrument = "wai_sr"
timepoints = ["prep", "post1w"]

[measures.mystical]
instrument = "meq30"
timepoints = ["session1", "session2"]
peak = "max"

[measures.depression]
instrument = "grid_hamd17"
timepoints = ["baseline", "fu4w"]
baseline = "baseline"
"""


@pytest.fixture
def small_study(tmp_path: Path) -> Path:
    path = tmp_path / "study.toml"
    path.write_text(SMALL_STUDY, encoding="utf-8")
    return path


def _targets(raw: dict) -> Targets:
    return Targets.model_validate(raw)


# ---------------------------------------------------------------------------------------------
# The committed demo data
# ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def demo_table() -> tuple[pd.DataFrame, pd.Series]:
    prepared = prepare(DEMO / "study.toml")
    return prepared.table.values, prepared.table.arms


def test_demo_files_say_synthetic() -> None:
    assert "SYNTHETIC DATA" in (DEMO / "README.md").read_text(encoding="utf-8")
    study = load_study(DEMO / "study.toml")
    assert "SYNTHETIC DATA" in study.study.title
    assert "SYNTHETIC DATA" in study.study.description


def test_demo_design(demo_table: tuple[pd.DataFrame, pd.Series]) -> None:
    participants = pd.read_csv(DEMO / "participants.csv", dtype=str)
    assert list(participants.columns) == [
        "participant_id", "arm", "facilitator", "age", "sex", "expectancy",
    ]  # fmt: skip
    assert participants["arm"].value_counts().to_dict() == {"immediate": 13, "delayed": 11}
    assert participants["participant_id"].str.fullmatch(r"P\d{3}").all()
    assert set(participants["facilitator"]) == {"F1", "F2", "F3", "F4", "F5"}
    values, arms = demo_table
    imm = arms == "immediate"
    # immediate arm: weeks 5 and 8 are its 1-week and 4-week ratings
    np.testing.assert_array_equal(
        values.loc[imm, "depression.total@wk5"], values.loc[imm, "depression.total@post1w"]
    )
    np.testing.assert_array_equal(
        values.loc[imm, "depression.total@wk8"], values.loc[imm, "depression.total@fu4w"]
    )
    prep = values["alliance.total@prep"].dropna()
    assert ((prep >= 35) & (prep <= 60)).all()


PUBLISHED_R = [
    ("alliance.total@prep", "depression.total@fu4w", "-.65", ".002", 20),
    ("alliance.total@prep", "depression.total@fu6m", "-.47", ".036", 20),
    ("alliance.total@prep", "depression.total@fu12m", "-.54", ".014", 20),
    ("alliance.total@prep", "mystical.total@peak", ".49", ".027", 20),
    ("alliance.total@prep", "insight.total@peak", ".52", ".040", 16),
    ("mystical.total@peak", "depression.total@fu4w", "-.45", ".030", 23),
    ("insight.total@peak", "depression.total@fu4w", "-.75", "<.001", None),
    ("alliance.total@post1w", "depression.total@fu4w", "-.85", "<.001", None),
    ("alliance.total@post1w", "depression.total@fu3m", "-.52", ".010", None),
    ("alliance.total@post1w", "depression.total@fu6m", "-.77", "<.001", None),
    ("alliance.total@post1w", "depression.total@fu12m", "-.61", ".001", 24),
]


@pytest.mark.parametrize(("x", "y", "r", "p", "n"), PUBLISHED_R)
def test_demo_reproduces_published_correlations(
    demo_table: tuple[pd.DataFrame, pd.Series], x: str, y: str, r: str, p: str, n: int | None
) -> None:
    values, _ = demo_table
    pair = values[[x, y]].dropna()
    res = stats.pearsonr(pair[x], pair[y])
    assert Reported.parse(r).matches(float(res.statistic))
    assert Reported.parse(p).matches(float(res.pvalue))
    if n is not None:
        assert len(pair) == n


@pytest.mark.parametrize(
    ("x", "y"),
    [
        ("alliance.total@prep", "depression.total@fu3m"),
        ("alliance.total@prep", "breakthrough.total@peak"),
        ("alliance.total@prep", "challenging.total@peak"),
        ("breakthrough.total@peak", "depression.total@fu4w"),
        ("challenging.total@peak", "depression.total@fu4w"),
    ],
)
def test_demo_unlisted_pairs_not_significant(
    demo_table: tuple[pd.DataFrame, pd.Series], x: str, y: str
) -> None:
    values, _ = demo_table
    pair = values[[x, y]].dropna()
    assert stats.pearsonr(pair[x], pair[y]).pvalue >= 0.05


def test_demo_reproduces_alliance_change(demo_table: tuple[pd.DataFrame, pd.Series]) -> None:
    values, _ = demo_table
    pair = values[["alliance.total@prep", "alliance.total@post1w"]].dropna()
    a, b = pair.iloc[:, 0].to_numpy(), pair.iloc[:, 1].to_numpy()
    d_av = (b.mean() - a.mean()) / ((a.std(ddof=1) + b.std(ddof=1)) / 2)  # Lakens (2013) eq. 10
    assert len(pair) == 20
    assert b.mean() > a.mean()
    assert Reported.parse(".43").matches(d_av)
    assert Reported.parse(".03").matches(float(stats.ttest_rel(b, a).pvalue))


DAVIS = [
    ("immediate", "baseline", "22.9", "3.6"),
    ("immediate", "wk5", "8.0", "7.1"),
    ("immediate", "wk8", "8.5", "5.7"),
    ("delayed", "baseline", "22.5", "4.4"),
    ("delayed", "wk5", "23.8", "5.4"),
    ("delayed", "wk8", "23.5", "6.0"),
]


@pytest.mark.parametrize(("arm", "tp", "mean", "sd"), DAVIS)
def test_demo_reproduces_grid_hamd_by_arm(
    demo_table: tuple[pd.DataFrame, pd.Series], arm: str, tp: str, mean: str, sd: str
) -> None:
    values, arms = demo_table
    v = values.loc[arms == arm, f"depression.total@{tp}"].dropna().to_numpy()
    assert Reported.parse(mean).matches(v.mean())
    assert Reported.parse(sd).matches(v.std(ddof=1))


def test_demo_item_ranges_respected() -> None:
    responses = pd.read_csv(DEMO / "responses.csv", dtype={"participant_id": str})
    keys = builtin_keys()
    for instrument, rows in responses.groupby("instrument"):
        key = keys[str(instrument)]
        lo = rows["item"].map(key.item_min)
        hi = rows["item"].map(key.item_max)
        assert rows["item"].between(1, key.instrument.n_items).all()
        assert ((rows["value"] >= lo) & (rows["value"] <= hi)).all()
        assert (rows["value"] == np.round(rows["value"])).all()


def test_demo_regenerates_identically(tmp_path: Path) -> None:
    study = load_study(DEMO / "study.toml")
    result = calibrate(
        study, load_targets(DEMO / "targets.toml"), resolve_keys(study), seed=20240314
    )
    assert result.met, result.unmet
    result.trial.write(tmp_path)
    for name in ("responses.csv", "participants.csv"):
        assert (tmp_path / name).read_bytes() == (DEMO / name).read_bytes()


# ---------------------------------------------------------------------------------------------
# The generator
# ---------------------------------------------------------------------------------------------


def test_simulate_same_seed_same_data_and_ranges(small_study: Path, tmp_path: Path) -> None:
    study = load_study(small_study)
    keys = resolve_keys(study)
    kwargs = {
        "n_per_arm": {"a": 30, "b": 25},
        "means": {"alliance.total@prep": 45.0, "mystical.total@peak": 3.0},
        "sds": {"alliance.total@prep": 7.0},
        "missing": {"depression.total@fu4w": Missingness(rate=0.2)},
    }
    one = simulate_trial(study, keys, seed=5, **kwargs)  # type: ignore[arg-type]
    two = simulate_trial(study, keys, seed=5, **kwargs)  # type: ignore[arg-type]
    other = simulate_trial(study, keys, seed=6, **kwargs)  # type: ignore[arg-type]
    pd.testing.assert_frame_equal(one.responses, two.responses)
    pd.testing.assert_frame_equal(one.participants, two.participants)
    assert not one.responses.equals(other.responses)
    paths_1 = one.write(tmp_path / "one")
    paths_2 = two.write(tmp_path / "two")
    for name in paths_1:
        assert paths_1[name].read_bytes() == paths_2[name].read_bytes()
    for instrument, rows in one.responses.groupby("instrument"):
        key = keys[
            {"wai_sr": "alliance", "meq30": "mystical", "grid_hamd17": "depression"}[
                str(instrument)
            ]
        ]
        assert (
            (rows["value"] >= rows["item"].map(key.item_min))
            & (rows["value"] <= rows["item"].map(key.item_max))
        ).all()
    # the session that is not the peak is never above it
    scores = one.scores
    peak = scores["mystical.total@peak"]
    both = scores[["mystical.total@session1", "mystical.total@session2"]]
    np.testing.assert_allclose(both.max(axis=1), peak)


def test_simulate_scores_reproduced_by_the_engine(small_study: Path) -> None:
    study = load_study(small_study)
    keys = resolve_keys(study)
    sim = simulate_trial(study, keys, n_per_arm={"a": 20, "b": 20}, seed=11)
    sim.write(small_study.parent)
    table = prepare(small_study).table.values
    for column in sim.scores.columns:
        np.testing.assert_allclose(table[column].to_numpy(), sim.scores[column].to_numpy())


def test_large_simulation_recovers_correlations(small_study: Path) -> None:
    study = load_study(small_study)
    keys = resolve_keys(study)
    targets = {
        ("alliance.total@prep", "alliance.total@post1w"): 0.6,
        ("alliance.total@prep", "mystical.total@peak"): 0.4,
        ("alliance.total@post1w", "depression.total@fu4w"): -0.5,
        ("mystical.total@peak", "depression.total@fu4w"): -0.3,
    }
    sim = simulate_trial(
        study,
        keys,
        n_per_arm={"a": 10_000, "b": 10_000},
        seed=2024,
        means={
            "alliance.total@prep": 45,
            "alliance.total@post1w": 48,
            "mystical.total@peak": 3.0,
            "depression.total@fu4w": 20,
        },
        sds={
            "alliance.total@prep": 6,
            "alliance.total@post1w": 6,
            "mystical.total@peak": 0.7,
            "depression.total@fu4w": 6,
        },
        correlations=targets,
    )
    for (x, y), r in targets.items():
        got = sim.scores[[x, y]].corr().iloc[0, 1]
        assert abs(got - r) < 0.03, (x, y, got)


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    instrument=st.sampled_from(["wai_sr", "meq30", "ebi", "grid_hamd17"]),
)
def test_decompose_reproduces_scores_exactly(seed: int, instrument: str) -> None:
    key = builtin_keys()[instrument]
    grid = score_grid(key, "total")
    rng = np.random.default_rng(seed)
    units = rng.integers(grid.lo_units, grid.hi_units + 1, size=50)
    items = decompose(units, key, grid, rng)
    lo = np.array([key.item_min[i] for i in range(1, key.instrument.n_items + 1)])
    hi = np.array([key.item_max[i] for i in range(1, key.instrument.n_items + 1)])
    assert ((items >= lo) & (items <= hi)).all()
    assert (items == np.round(items)).all()
    np.testing.assert_array_equal(items[:, np.array(grid.items) - 1].sum(axis=1), units)


# ---------------------------------------------------------------------------------------------
# The calibrator
# ---------------------------------------------------------------------------------------------

MADE_UP = {
    "design": {"n": {"a": 16, "b": 14}, "facilitators": 3},
    "missing": [{"variable": "mystical.total@peak", "n": 27}],
    "marginals": [
        {"variable": "alliance.total@prep", "mean": 44, "sd": 7},
        {"variable": "alliance.total@post1w", "mean": 46, "sd": 7},
        {"variable": "mystical.total@peak", "mean": 3.1, "sd": 0.9},
        {"variable": "depression.total@baseline", "mean": 21, "sd": 4},
        {"variable": "depression.total@fu4w", "mean": 11, "sd": 6},
    ],
    "descriptives": [
        {"variable": "depression.total@baseline", "arm": "a", "mean": "21.3", "sd": "4.1"},
        {"variable": "depression.total@fu4w", "arm": "b", "mean": "10.64", "sd": "5.90"},
    ],
    "correlations": [
        {
            "x": "alliance.total@prep",
            "y": "depression.total@fu4w",
            "r": "-.40",
            "p": ".028",
            "n": 30,
        },
        {
            "x": "alliance.total@post1w",
            "y": "mystical.total@peak",
            "r": ".45",
            "p": ".018",
            "n": 27,
        },
        {"x": "mystical.total@peak", "y": "depression.total@fu4w", "r": "-.33", "p": "ns"},
    ],
    "changes": [
        {
            "from": "alliance.total@prep",
            "to": "alliance.total@post1w",
            "d_av": ".30",
            "p": ".011",
            "n": 30,
            "direction": "increase",
        },
    ],
}


def test_calibrator_meets_a_made_up_target_set(small_study: Path) -> None:
    study = load_study(small_study)
    result = calibrate(study, _targets(MADE_UP), resolve_keys(study), seed=3)
    assert result.met, result.to_frame()[~result.to_frame()["met"]]
    assert result.seconds < 60
    frame = result.to_frame()
    assert len(frame) == 4 + 3 + 3 + 2 + 3  # mean/sd ×2, r/p/n ×2, r/p, d_av/p/n
    assert set(frame["statistic"]) >= {"r", "p", "n", "d_av", "mean", "sd"}


def test_reported_windows() -> None:
    assert Reported.parse("-.65").window()[0] == pytest.approx(-0.655)
    assert Reported.parse("<.001").matches(0.000999)
    assert not Reported.parse("<.001").matches(0.001)
    assert not Reported.parse(".03").matches(0.035)  # a tie is never claimed
    assert Reported.parse("ns").matches(0.05 + 1e-6)
    assert correlation_window(Reported.parse(".10"), Reported.parse(".001"), 20) is None
    window = correlation_window(Reported.parse("-.47"), Reported.parse(".036"), 20)
    assert window is not None and -0.4723 < window[0] < window[1] < -0.4699


def _two_variable_targets(r: str, p: str, n_total: int) -> dict:
    return {
        "design": {"n": {"a": n_total // 2, "b": n_total - n_total // 2}},
        "correlations": [
            {"x": "alliance.total@prep", "y": "depression.total@fu4w", "r": r, "p": p, "n": n_total}
        ],
    }


def test_infeasible_r_and_p_reported_before_search(small_study: Path) -> None:
    study = load_study(small_study)
    start = time.perf_counter()
    with pytest.raises(
        InfeasibleTargetsError, match=r"r = \.10 with p = \.001 is impossible at n = 20"
    ):
        calibrate(
            study, _targets(_two_variable_targets(".10", ".001", 20)), resolve_keys(study), seed=1
        )
    assert time.perf_counter() - start < 5


def test_infeasible_non_positive_definite_matrix(small_study: Path) -> None:
    study = load_study(small_study)
    raw = {
        "design": {"n": {"a": 20, "b": 20}},
        "correlations": [
            {"x": "alliance.total@prep", "y": "alliance.total@post1w", "r": ".90", "p": "<.001"},
            {"x": "alliance.total@post1w", "y": "depression.total@fu4w", "r": ".90", "p": "<.001"},
            {"x": "alliance.total@prep", "y": "depression.total@fu4w", "r": "-.90", "p": "<.001"},
        ],
    }
    start = time.perf_counter()
    with pytest.raises(InfeasibleTargetsError, match="positive-definite") as info:
        calibrate(study, _targets(raw), resolve_keys(study), seed=1)
    assert "alliance.total@prep" in str(info.value)
    assert time.perf_counter() - start < 5


def test_unreachable_targets_are_reported_not_claimed(small_study: Path) -> None:
    study = load_study(small_study)
    raw = _two_variable_targets("-.40", ".028", 30)
    raw["descriptives"] = [{"variable": "depression.total@fu4w", "mean": "30.0", "sd": "0.1"}]
    raw["options"] = {"max_iterations": 2000}
    result = calibrate(study, _targets(raw), resolve_keys(study), seed=1)
    assert not result.met
    assert {c.statistic for c in result.unmet} & {"mean", "sd"}
    assert all(c.reason for c in result.unmet)


_STANDALONE_CLI = (
    "import typer\n"
    "from patalliance.cli.simulate import simulate_command\n"
    "app = typer.Typer()\n"
    "app.callback()(lambda: None)\n"
    "app.command('simulate')(simulate_command)\n"
    "app()\n"
)


def test_cli_simulate_writes_files_and_exit_codes(tmp_path: Path, small_study: Path) -> None:
    exe = shutil.which("patalliance")
    helptext = (
        ""
        if exe is None
        else subprocess.run([exe, "--help"], capture_output=True, text=True, check=False).stdout
    )
    if exe is not None and "simulate" in helptext:
        command = [exe]
    else:  # not registered in cli/main.py yet: run the same command function in a subprocess
        command = [sys.executable, "-c", _STANDALONE_CLI]
    ok = subprocess.run(
        [
            *command,
            "simulate",
            "--study",
            str(DEMO / "study.toml"),
            "--targets",
            str(DEMO / "targets.toml"),
            "--out",
            str(tmp_path / "out"),
            "--seed",
            "20240314",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert ok.returncode == 0, ok.stderr
    assert (tmp_path / "out" / "responses.csv").read_bytes() == (
        DEMO / "responses.csv"
    ).read_bytes()
    bad = tmp_path / "bad.toml"
    bad.write_text(
        '[design]\nn = { a = 10, b = 10 }\n[[correlations]]\nx = "alliance.total@prep"\n'
        'y = "depression.total@fu4w"\nr = ".10"\np = ".001"\nn = 20\n',
        encoding="utf-8",
    )
    fail = subprocess.run(
        [
            *command,
            "simulate",
            "--study",
            str(small_study),
            "--targets",
            str(bad),
            "--out",
            str(tmp_path / "x"),
            "--seed",
            "1",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert fail.returncode == 2
    assert "impossible at n = 20" in fail.stderr
    assert "Traceback" not in fail.stderr
