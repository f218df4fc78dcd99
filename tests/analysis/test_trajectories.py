"""analysis.trajectories: growth models against statsmodels MixedLM fitted directly on the same
long data (the demo and a trial simulated here), and the configuration errors of the
``[[analysis.trajectories]]`` table and the ``[[timepoints]]`` ``days`` key."""

from __future__ import annotations

import json
from importlib.resources import files
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import run_cli, write_study
from numpy.testing import assert_allclose
from reml_oracle import statsmodels_reml

import patalliance as pa
from patalliance.analysis.trajectories import run_trajectories
from patalliance.errors import ConfigError
from patalliance.pipeline import prepare

DEMO = Path(str(files("patalliance") / "data" / "levin2024" / "study.toml"))


def _long(values: pd.DataFrame, arms: pd.Series, var: str, times: dict[str, float]) -> pd.DataFrame:
    frames = [
        pd.DataFrame(
            {
                "pid": values.index,
                "arm": arms.reindex(values.index),
                "time": t,
                "y": values[f"{var}@{tp}"],
            }
        )
        for tp, t in times.items()
    ]
    return pd.concat(frames, ignore_index=True).dropna(subset=["y"])


def _oracle(long: pd.DataFrame, other_arm: str | None = None):  # type: ignore[no-untyped-def]
    """statsmodels MixedLM by REML, random intercept and slope of time by participant, converged
    tightly (tests/reml_oracle.py); with ``other_arm``, ``d`` is its 0/1 indicator (terms:
    Intercept, time, d, time:d)."""
    t = long["time"].to_numpy(dtype=float)
    z = np.column_stack([np.ones(t.size), t])
    x = z
    if other_arm is not None:
        d = (long["arm"] == other_arm).to_numpy(dtype=float)
        x = np.column_stack([z, d, d * t])
    return statsmodels_reml(long["y"].to_numpy(dtype=float), x, z, long["pid"].to_numpy())


def _check_against(rec: dict, ref, long: pd.DataFrame) -> None:  # type: ignore[no-untyped-def, type-arg]
    assert rec["status"] == "ok" and rec["method"] == "REML"
    assert rec["df_method"] == "Satterthwaite"
    assert rec["n_obs"] == len(long) and rec["n_participants"] == long["pid"].nunique()
    est = [f["estimate"] for f in rec["fixed_effects"]]
    assert_allclose(est, np.asarray(ref.fe_params), rtol=1e-6, atol=1e-9)
    cov = np.asarray(ref.cov_re)
    assert_allclose(
        [rec["intercept_variance"], rec["slope_variance"], rec["intercept_slope_covariance"]],
        [cov[0, 0], cov[1, 1], cov[0, 1]],
        rtol=1e-6,
    )
    assert_allclose(rec["residual_variance"], ref.scale, rtol=1e-6)
    for f in rec["fixed_effects"]:
        assert f["ci_low"] < f["estimate"] < f["ci_high"] and 0 < f["df"] < len(long)


def test_demo_matches_statsmodels() -> None:
    prep = prepare(DEMO)
    fam = run_trajectories(prep.study, prep.table)
    assert len(fam) == 1
    rec = fam.to_list()[0]
    days = {"post1w": 7, "fu4w": 28, "fu3m": 91, "fu6m": 182, "fu12m": 365}
    assert rec["time"] == "days" and rec["time_unit"] == "month (30 days)"
    assert_allclose(rec["time_values"], [d / 30 for d in days.values()], rtol=1e-15)
    long = _long(
        prep.table.values, prep.table.arms, "depression.total", {k: v / 30 for k, v in days.items()}
    )
    ref = _oracle(long, "immediate")
    _check_against(rec, ref, long)
    assert [f["term"] for f in rec["fixed_effects"]] == [
        "Intercept",
        "time",
        "arm[immediate]",
        "time:arm[immediate]",
    ]
    assert rec["reference_arm"] == "delayed" and rec["arms"] == ["delayed", "immediate"]
    frame = fam.fixed_effects_frame()
    assert list(frame["term"]) == [f["term"] for f in rec["fixed_effects"]]


SCORED_STUDY = """\
[study]
id = "sim"
title = "Simulated trajectories"

[arms]
control = {{ label = "Control" }}
active = {{ label = "Active" }}

[[timepoints]]
id = "s1"
days = {d1}
[[timepoints]]
id = "s2"
days = 14
[[timepoints]]
id = "s3"
days = 28
[[timepoints]]
id = "s4"
days = 42
[[timepoints]]
id = "s5"

[data]
scores = "scores.csv"
participants = "participants.csv"

[measures.alliance]
instrument = "wai_sr"
timepoints = ["s1", "s2", "s3", "s4", "s5"]

[analysis]
seed = 3
{plan}
"""

PLAN = """
[[analysis.trajectories]]
measure = "alliance"
timepoints = ["s1", "s2", "s3", "s4"]
by_arm = true
label = "Alliance over sessions"

[[analysis.trajectories]]
measure = "alliance"
"""


def simulated_trial(folder: Path, *, plan: str = PLAN, d1: str = "0", seed: int = 17) -> Path:
    """Alliance (WAI-SR total, 12-60) rated at five sessions: random intercepts and slopes,
    the active arm rising faster, about 10% of ratings missing."""
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    rows, people = [], []
    for i in range(36):
        pid, arm = f"P{i:02d}", ("active" if i % 3 else "control")
        people.append((pid, arm))
        u0, u1 = rng.normal(0, 5.0), rng.normal(0, 0.8)
        for k, tp in enumerate(["s1", "s2", "s3", "s4", "s5"]):
            if rng.random() < 0.1:
                continue
            slope = 1.0 + 1.5 * (arm == "active")
            y = 40.0 + u0 + (slope + u1) * k + rng.normal(0, 2.5)
            rows.append((pid, tp, "alliance", "total", float(np.clip(y, 12, 60))))
    pd.DataFrame(rows, columns=["participant_id", "timepoint", "measure", "scale", "score"]).to_csv(
        folder / "scores.csv", index=False
    )
    pd.DataFrame(people, columns=["participant_id", "arm"]).to_csv(
        folder / "participants.csv", index=False
    )
    path = folder / "study.toml"
    path.write_text(SCORED_STUDY.format(plan=plan, d1=d1), encoding="utf-8")
    return path


def test_simulated_trial_matches_statsmodels(tmp_path: Path) -> None:
    res = pa.analyze(simulated_trial(tmp_path / "sim"))
    recs = res.to_dict()["trajectories"]
    assert len(recs) == 2 and len(res.trajectories) == 2
    values, arms = res.table.values, res.table.arms
    # 1. Days (all four timepoints have them), time x arm.
    long = _long(
        values, arms, "alliance.total", {"s1": 0, "s2": 14 / 30, "s3": 28 / 30, "s4": 42 / 30}
    )
    ref = _oracle(long, "control")
    _check_against(recs[0], ref, long)
    assert recs[0]["time"] == "days" and recs[0]["label"] == "Alliance over sessions"
    assert recs[0]["reference_arm"] == "active"
    # 2. Default timepoints (all five; s5 has no days): time is the order, no arm terms.
    assert recs[1]["time"] == "order" and recs[1]["time_unit"] == "timepoint"
    assert recs[1]["time_values"] == [0.0, 1.0, 2.0, 3.0, 4.0]
    long = _long(values, arms, "alliance.total", {f"s{k + 1}": float(k) for k in range(5)})
    _check_against(recs[1], _oracle(long), long)
    assert [f["term"] for f in recs[1]["fixed_effects"]] == ["Intercept", "time"]
    # The typed family, its frame and the model's mean trajectory.
    rec = res.trajectories[0]
    frame = res.trajectories.to_frame()
    assert frame.loc[0, "slope_variance"] == recs[0]["slope_variance"]
    est = {f["term"]: f["estimate"] for f in recs[0]["fixed_effects"]}
    assert_allclose(
        rec.mean_trajectory("control", np.array([0.0, 1.0])),
        [est["Intercept"] + est["arm[control]"], sum(est.values())],
        rtol=1e-12,
    )


def test_results_json_validates_against_schema(tmp_path: Path) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    res = pa.analyze(simulated_trial(tmp_path / "sim"))
    res.write(tmp_path / "out", report=False)
    doc = json.loads((tmp_path / "out" / "results.json").read_text(encoding="utf-8"))
    schema = json.loads((Path(pa.__file__).parent / "results.schema.json").read_text("utf-8"))
    jsonschema.validate(doc, schema)
    assert doc["trajectories"][0]["df_method"] == "Satterthwaite"


@pytest.mark.parametrize(
    ("plan", "d1", "expected"),
    [
        ('measure = "allianse"', "0", "analysis.trajectories[0].measure: unknown measure"),
        (
            'measure = "alliance"\ntimepoints = ["s1", "s2"]',
            "0",
            "analysis.trajectories[0].timepoints: a trajectory needs at least 3",
        ),
        (
            'measure = "alliance"\ntimepoints = ["s1", "s2", "s9"]',
            "0",
            "analysis.trajectories[0].timepoints[2]: 's9' is not a timepoint",
        ),
        (
            'measure = "alliance"\ntimepoints = ["s1", "s2", "s2"]',
            "0",
            "analysis.trajectories[0].timepoints[2]: 's2' is listed twice",
        ),
        (
            'measure = "alliance"\ntime = "days"',
            "0",
            'analysis.trajectories[0].time: time = "days" needs days',
        ),
        (
            'measure = "alliance"\ntimepoints = ["s1", "s2", "s3"]',
            "14",
            "analysis.trajectories[0].timepoints: timepoints 's1' and 's2' have the same days (14)",
        ),
        ('measure = "alliance"\ntime = "weeks"', "0", "analysis.trajectories[0].time"),
        ('measure = "alliance"', "-7", "timepoints[0].days"),
        ('measure = "alliance"', "nan", "timepoints[0].days"),
    ],
)
def test_configuration_errors_name_the_key(
    tmp_path: Path, plan: str, d1: str, expected: str
) -> None:
    path = simulated_trial(tmp_path / "s", plan=f"[[analysis.trajectories]]\n{plan}\n", d1=d1)
    with pytest.raises(ConfigError) as err:
        pa.load_study(path)
    assert expected in str(err.value)


def test_unknown_scale_names_the_key(tmp_path: Path) -> None:
    plan = '[[analysis.trajectories]]\nmeasure = "alliance"\nscale = "totl"\n'
    with pytest.raises(ConfigError, match=r"analysis\.trajectories\[0\]\.scale: unknown variable"):
        pa.analyze(simulated_trial(tmp_path / "s", plan=plan))


def test_two_timepoint_measure_is_a_cli_configuration_error(tmp_path: Path) -> None:
    path = write_study(
        tmp_path / "tiny",
        analysis_extra='[[analysis.trajectories]]\nmeasure = "alliance"\n',
    )
    proc = run_cli("analyze", str(path), "--out", str(tmp_path / "out"))
    assert proc.returncode == 2, proc.stderr
    assert "analysis.trajectories[0].measure: a trajectory needs at least 3" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert not (tmp_path / "out" / "results.json").exists()


def test_order_time_without_days(tmp_path: Path) -> None:
    # The tiny study declares no days: depression (baseline, post1w, fu4w) runs on order.
    path = write_study(
        tmp_path / "tiny",
        analysis_extra='[[analysis.trajectories]]\nmeasure = "depression"\nby_arm = true\n',
    )
    prep = prepare(path)
    rec = run_trajectories(prep.study, prep.table)[0]
    assert rec.time == "order" and rec.time_values == (0.0, 1.0, 2.0)
    assert rec.timepoints == ("baseline", "post1w", "fu4w")
    long = _long(
        prep.table.values,
        prep.table.arms,
        "depression.total",
        {"baseline": 0.0, "post1w": 1.0, "fu4w": 2.0},
    )
    if rec.result.status.value == "ok":
        ref = _oracle(long, "immediate")
        _check_against(rec.to_dict(), ref, long)
    else:
        assert rec.result.warnings and rec.result.status.value in {"singular", "not_converged"}


def test_cli_analyze_writes_trajectories(tmp_path: Path) -> None:
    path = simulated_trial(tmp_path / "sim")
    inputs = {
        f: (path.parent / f).read_bytes() for f in ("study.toml", "scores.csv", "participants.csv")
    }
    out = tmp_path / "out"
    proc = run_cli("analyze", str(path), "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    assert "Warning" not in proc.stderr and "statsmodels" not in proc.stderr
    doc = json.loads((out / "results.json").read_text(encoding="utf-8"))
    api = pa.analyze(path).to_dict()
    assert doc["trajectories"] == json.loads(json.dumps(api["trajectories"]))
    page = (out / "report.html").read_text(encoding="utf-8")
    assert 'id="trajectories"' in page and "Alliance over sessions" in page
    # Inputs are never modified.
    assert {f: (path.parent / f).read_bytes() for f in inputs} == inputs


def test_empty_family_has_the_columns_of_a_full_one(tmp_path: Path) -> None:
    from patalliance.analysis.trajectories import Trajectories, TrajectoryRecord

    empty = Trajectories((), TrajectoryRecord).to_frame()
    full = pa.analyze(simulated_trial(tmp_path / "sim")).trajectories.to_frame()
    assert len(empty) == 0 and len(full) == 2
    assert set(empty.columns) <= set(full.columns)


def test_by_arm_with_one_arm_is_not_estimable(tmp_path: Path) -> None:
    path = simulated_trial(tmp_path / "sim")
    people = pd.read_csv(path.parent / "participants.csv", dtype=str).assign(arm="active")
    people.to_csv(path.parent / "participants.csv", index=False)
    res = pa.analyze(path)
    rec = res.trajectories[0]
    assert rec.by_arm and rec.result.status.value == "not_estimable"
    assert "at least two arms" in rec.result.reason and rec.result.fixed_effects == ()
    assert res.trajectories[1].result.status.value == "ok"  # the pooled model is unaffected
    res.write(tmp_path / "out", report=True)  # a not-estimable model is reported, not a crash
    page = (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    assert "not estimable" in page


def test_participants_without_an_arm_are_counted_not_dropped_silently(tmp_path: Path) -> None:
    path = simulated_trial(tmp_path / "sim")
    text = path.read_text(encoding="utf-8").replace('participants = "participants.csv"\n', "")
    path.write_text(text, encoding="utf-8")
    res = pa.analyze(path)
    rec = res.trajectories[0]
    assert rec.result.status.value == "not_estimable"
    notes = {n.code: n.message for n in rec.result.warnings}
    assert notes["trajectory_no_arm"].startswith("36 participant(s)")
    res.write(tmp_path / "out", report=True)
    page = (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    assert "36 participant(s) with scores but no declared arm" in page
