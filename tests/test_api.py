"""The public Python API (patalliance.load_study/score/validate_data/analyze and Results).

- docs/api.md runs as a doctest: the walkthrough is what a notebook user gets;
- the API gives exactly the numbers and files of the command line;
- DataFrames in the long format give the same results as the files they replace;
- Results and its records are frozen, and every family's frame has results.json's names.
"""

from __future__ import annotations

import dataclasses
import doctest
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import make_participants, make_responses, run_cli, write_study

import patalliance as pa
from patalliance.demo import copy_demo

ROOT = Path(__file__).resolve().parents[1]
FAMILIES = (
    "descriptives",
    "reliability",
    "change",
    "correlations",
    "efficacy",
    "partial_correlations",
    "mixed_models",
    "mediation",
    "facilitator",
    "sensitivity",
    "bayes_factors",
)


def test_api_walkthrough_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = doctest.testfile(
        str(ROOT / "docs" / "api.md"),
        module_relative=False,
        optionflags=doctest.NORMALIZE_WHITESPACE,
        raise_on_error=False,
        verbose=False,
    )
    assert result.attempted > 20
    assert result.failed == 0


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, pa.Results, Path]:
    root = tmp_path_factory.mktemp("api")
    study = copy_demo(root / "study")
    cli = run_cli("analyze", str(study), "--out", str(root / "cli"))
    assert cli.returncode == 0, cli.stderr
    return study, pa.analyze(pa.load_study(study)), root / "cli"


def test_correlations_frame_matches_results_json(demo) -> None:  # type: ignore[no-untyped-def]
    _, res, cli_out = demo
    frame = res.correlations.to_frame()
    doc = json.loads((cli_out / "results.json").read_text(encoding="utf-8"))
    assert len(frame) == len(doc["correlations"]) == 16
    for row, rec in zip(frame.itertuples(index=False), doc["correlations"], strict=True):
        assert (row.x, row.y, row.n) == (rec["x"], rec["y"], rec["n"])
        assert row.r == rec["r"] and row.p == rec["p"]  # bit-identical, not just close


def test_to_dict_is_results_json_and_write_is_the_cli(demo, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    _, res, cli_out = demo
    doc = json.loads((cli_out / "results.json").read_text(encoding="utf-8"))
    assert res.to_dict() == doc
    files = res.write(tmp_path / "api")
    written = sorted(p.relative_to(tmp_path / "api").as_posix() for p in files.values())
    expected = sorted(p.relative_to(cli_out).as_posix() for p in cli_out.rglob("*") if p.is_file())
    assert written == expected
    for name in written:
        if name.endswith((".xlsx", ".docx")) or name == "manifest.json":
            continue  # zip containers: compared through their content in the report tests
        assert (tmp_path / "api" / name).read_bytes() == (cli_out / name).read_bytes(), name
    # the manifest holds the zip containers' hashes too: the same files, the same other hashes
    manifests = [
        {
            f["path"]: f["sha256"]
            for f in json.loads((folder / "manifest.json").read_text())["files"]
        }
        for folder in (tmp_path / "api", cli_out)
    ]
    assert manifests[0].keys() == manifests[1].keys()
    for name, digest in manifests[0].items():
        if not name.endswith((".xlsx", ".docx")):
            assert digest == manifests[1][name], name


def test_every_family_frame_uses_results_json_names(demo) -> None:  # type: ignore[no-untyped-def]
    _, res, _ = demo
    doc = res.to_dict()
    for name in FAMILIES:
        family = getattr(res, name)
        frame = family.to_frame()
        assert len(frame) > 0, name
        section = doc[name]["icc"] if name == "facilitator" else doc[name]
        if name == "efficacy":
            section = [c for entry in section for c in entry["comparisons"]]
        keys = {k for rec in section for k, v in rec.items() if not isinstance(v, list)}
        keys |= {
            k
            for rec in section
            for k, v in rec.items()
            if isinstance(v, list) and not (v and isinstance(v[0], dict))
        }
        assert keys <= set(frame.columns), (name, keys - set(frame.columns))
    assert res.qc.to_frame().shape[1] == 6


def test_results_are_frozen(demo) -> None:  # type: ignore[no-untyped-def]
    _, res, _ = demo
    with pytest.raises(dataclasses.FrozenInstanceError):
        res.correlations = res.change  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        res.correlations[0].r = 0.0  # type: ignore[misc]


def test_empty_families_have_columns_but_no_rows(tmp_path: Path) -> None:
    res = pa.analyze(write_study(tmp_path / "s"))
    assert not res.mediation and len(res.mediation) == 0
    frame = res.mediation.to_frame()
    assert len(frame) == 0 and {"x", "y", "n", "indirect_effect"} <= set(frame.columns)
    assert "mediation" not in res.to_dict()


def test_progress_names_each_step_before_it_runs(tmp_path: Path) -> None:
    said: list[str] = []
    res = pa.analyze(write_study(tmp_path / "s"), progress=said.append)
    assert said[0] == "reading and validating the data"
    assert said[1] == "descriptive statistics"
    assert said.index("change") < said.index("correlations")
    assert "mediation" not in said  # the plan asks for no mediation model
    assert len(res.correlations) > 0


def _same_statistics(a: dict, b: dict) -> None:
    """Two results documents with the same statistics (inputs and file names may differ)."""
    for key in a:
        if key in {"inputs", "qc"}:
            continue
        assert a[key] == b[key], key
    for key in ("rows_read", "rows_used", "rows_excluded", "excluded_by_reason", "policy"):
        assert a["qc"][key] == b["qc"][key], key
    strip = [
        {k: v for k, v in p.items() if k not in {"file", "row", "message"}}
        for p in a["qc"]["problems"]
    ]
    assert strip == [
        {k: v for k, v in p.items() if k not in {"file", "row", "message"}}
        for p in b["qc"]["problems"]
    ]


@pytest.mark.parametrize(("seed", "missing"), [(1, 0.0), (7, 0.1), (23, 0.25)])
def test_dataframes_give_the_same_results_as_files(
    seed: int, missing: float, tmp_path: Path
) -> None:
    """Any trial in the long format: read the files back with pandas' default types (numbers
    as numbers, blanks as NaN, ids as text) and analyse the DataFrames in memory."""
    responses = make_responses(n=14, seed=seed, missing=missing)
    participants = make_participants(14)
    participants.loc[0, "participant_id"] = "007"
    responses.loc[responses["participant_id"] == "P001", "participant_id"] = "007"
    study = write_study(tmp_path / "s", responses, participants)
    from_files = pa.analyze(study).to_dict()
    rdf = pd.read_csv(tmp_path / "s" / "responses.csv", dtype={"participant_id": str})
    pdf = pd.read_csv(tmp_path / "s" / "participants.csv", dtype={"participant_id": str})
    assert rdf["value"].dtype == np.float64 or rdf["value"].dtype == np.int64
    from_frames = pa.analyze(study, responses=rdf, participants=pdf).to_dict()
    _same_statistics(from_files, from_frames)
    assert [i["path"] for i in from_frames["inputs"]] == [
        "<responses DataFrame>",
        "<participants DataFrame>",
    ]
    scores = pa.score(study, responses=rdf, participants=pdf)
    assert "007" in scores.index


def test_the_demo_from_dataframes_matches_the_demo_from_files(demo) -> None:  # type: ignore[no-untyped-def]
    study, res, _ = demo
    rdf = pd.read_csv(study.parent / "responses.csv", dtype={"participant_id": str})
    pdf = pd.read_csv(study.parent / "participants.csv", dtype={"participant_id": str})
    _same_statistics(res.to_dict(), pa.analyze(study, responses=rdf, participants=pdf).to_dict())


def test_a_bad_dataframe_is_named_in_the_error(tmp_path: Path) -> None:
    study = write_study(tmp_path / "s")
    rdf = pd.read_csv(tmp_path / "s" / "responses.csv", dtype=str, keep_default_na=False)
    bad = rdf.drop(columns=["item"])
    with pytest.raises(pa.DataValidationError, match="<responses DataFrame>") as info:
        pa.analyze(study, responses=bad)
    assert any(p.code == "missing_column" for p in info.value.report.problems)
    rdf.loc[3, "value"] = "seven"
    report = pa.validate_data(study, responses=rdf)
    (problem,) = [p for p in report.problems if p.code == "non_numeric"]
    assert problem.file == "<responses DataFrame>" and problem.row == 3
    with pytest.raises(pa.ConfigError, match="must be a pandas DataFrame"):
        pa.analyze(study, responses=rdf.to_dict())  # type: ignore[arg-type]


def test_study_files_replaced_by_dataframes_need_not_exist(tmp_path: Path) -> None:
    study = write_study(tmp_path / "s")
    rdf = pd.read_csv(tmp_path / "s" / "responses.csv", dtype={"participant_id": str})
    pdf = pd.read_csv(tmp_path / "s" / "participants.csv", dtype={"participant_id": str})
    (tmp_path / "s" / "responses.csv").unlink()
    (tmp_path / "s" / "participants.csv").unlink()
    res = pa.analyze(study, responses=rdf, participants=pdf)
    assert res.n_participants == pdf["participant_id"].nunique()


def test_lazy_public_names() -> None:
    import importlib

    module = importlib.import_module("patalliance")
    assert set(module.__all__) >= {"load_study", "score", "analyze", "Results", "Status"}
    for name in module.__all__:
        assert getattr(module, name) is not None
    with pytest.raises(AttributeError):
        module.no_such_name  # noqa: B018
