"""Shareable outputs name no participant or facilitator unless asked (report.identifiers).

A trial whose participant and facilitator ids are distinctive strings is analysed with every
family on (sensitivity and facilitator included). None of the ids may appear in report.html,
tables.docx (document XML), tables.xlsx (every sheet) or any paper_*.csv; with --show-ids
they appear where the report points at a participant or a facilitator; private/label_key.csv
maps every label used to its id.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from conftest import ALL_FAMILIES, make_participants, make_responses, run_cli, write_study

from patalliance.report.identifiers import case_label

N = 16


def _pid(i: int) -> str:
    return f"ZQXPID{i:03d}"


def _fid(i: int) -> str:
    return f"WVYFAC{i}"


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    root = tmp_path_factory.mktemp("ids")
    responses = make_responses(n=N, seed=5)
    participants = make_participants(N)
    mapping = {f"P{i:03d}": _pid(i) for i in range(1, N + 1)}
    responses["participant_id"] = responses["participant_id"].map(mapping)
    participants["participant_id"] = participants["participant_id"].map(mapping)
    participants["facilitator"] = [_fid(i % 5 + 1) for i in range(N)]
    study = write_study(root / "s", responses, participants, analysis_extra=ALL_FAMILIES)
    for name, extra in (("shared", ()), ("internal", ("--show-ids",))):
        result = run_cli("analyze", str(study), "--out", str(root / name), *extra)
        assert result.returncode == 0, result.stderr
    return study, root / "shared", root / "internal"


def _texts(out: Path) -> dict[str, str]:
    from openpyxl import load_workbook

    texts = {"report.html": (out / "report.html").read_text(encoding="utf-8")}
    with zipfile.ZipFile(out / "tables" / "tables.docx") as docx:
        texts["tables.docx"] = docx.read("word/document.xml").decode("utf-8")
    workbook = load_workbook(out / "tables" / "tables.xlsx")
    texts["tables.xlsx"] = "\n".join(
        str(cell.value) for sheet in workbook for row in sheet.iter_rows() for cell in row
    )
    for path in sorted((out / "tables").glob("paper_*.csv")):
        texts[path.name] = path.read_text(encoding="utf-8-sig")
    return texts


def test_shareable_outputs_name_no_participant_or_facilitator(runs) -> None:  # type: ignore[no-untyped-def]
    _, shared, _ = runs
    texts = _texts(shared)
    assert any(name.startswith("paper_sensitivity") for name in texts)
    assert any(name.startswith("paper_facilitator") for name in texts)
    for name, text in texts.items():
        assert "ZQXPID" not in text, name
        assert "WVYFAC" not in text, name
    html = texts["report.html"]
    assert "case " in html and "facilitator 1" in html
    assert "private/label_key.csv" in html and "must not be shared" in html


def test_analysis_files_keep_the_ids(runs) -> None:  # type: ignore[no-untyped-def]
    _, shared, _ = runs
    assert "ZQXPID001" in (shared / "scores.csv").read_text(encoding="utf-8")
    assert "ZQXPID" in (shared / "results.json").read_text(encoding="utf-8")


def test_show_ids_puts_them_back_where_they_were(runs) -> None:  # type: ignore[no-untyped-def]
    _, shared, internal = runs
    texts = _texts(internal)
    html = texts["report.html"]
    sensitivity = next(v for k, v in texts.items() if k.startswith("paper_sensitivity"))
    assert "ZQXPID" in sensitivity and "ZQXPID" in html
    facilitator = "\n".join(v for k, v in texts.items() if k.startswith("paper_facilitator"))
    assert "WVYFAC" in facilitator
    assert not (internal / "private" / "label_key.csv").exists()
    # the same cell holds the label in the shared copy and the id in the internal one
    key = pd.read_csv(shared / "private" / "label_key.csv", dtype=str)
    shared_sens = pd.read_csv(
        next((shared / "tables").glob("paper_sensitivity*.csv")), encoding="utf-8-sig", dtype=str
    )
    internal_sens = pd.read_csv(
        next((internal / "tables").glob("paper_sensitivity*.csv")), encoding="utf-8-sig", dtype=str
    )
    labels = dict(zip(key["label"], key["id"], strict=True))
    for shown, real in zip(
        shared_sens["Most influential"], internal_sens["Most influential"], strict=True
    ):
        assert labels[shown] == real


def test_the_key_maps_every_label_used(runs) -> None:  # type: ignore[no-untyped-def]
    _, shared, _ = runs
    key = pd.read_csv(shared / "private" / "label_key.csv", dtype=str)
    assert list(key.columns) == ["label", "kind", "id"]
    used = set()
    for text in _texts(shared).values():
        used |= set(re.findall(r"case [A-Z]{1,2}\b", text))
        used |= set(re.findall(r"facilitator \d+\b", text))
    assert used and used <= set(key["label"])
    participants = key[key["kind"] == "participant"]
    assert set(participants["id"]) == {_pid(i) for i in range(1, N + 1)}
    assert list(participants["label"][:3]) == [case_label(0), case_label(1), case_label(2)]
    facilitators = key[key["kind"] == "facilitator"]
    assert set(facilitators["id"]) == {_fid(i) for i in range(1, 6)}
