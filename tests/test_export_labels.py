"""`patalliance export --to sav|dta`: variable labels, value labels, declared missing values and
integer formats, read back with pyreadstat (the reader SPSS/Stata users' files go through).

The round trip of the same exports into the same results is ``test_round_trip[sav]`` and
``test_round_trip[dta]`` in ``tests/test_io_formats.py``.
"""

from __future__ import annotations

import sys
import tomllib
from pathlib import Path

import pandas as pd
import pytest
from conftest import run_cli

from patalliance.errors import MissingDependencyError
from patalliance.export import export_study

pyreadstat = pytest.importorskip("pyreadstat")

ROOT = Path(__file__).parents[1]
DEMO = ROOT / "src" / "patalliance" / "data" / "levin2024" / "study.toml"
KEYS = ROOT / "src" / "patalliance" / "instruments" / "keys"
SPSS_FIXTURE = Path(__file__).parent / "data" / "io" / "spss" / "study.toml"


def _key(name: str) -> dict:
    return tomllib.loads((KEYS / f"{name}.toml").read_text(encoding="utf-8"))["instrument"]


@pytest.fixture(scope="module")
def demo_sav(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("sav")
    result = run_cli("export", str(DEMO), "--to", "sav", "--out", str(out))
    assert result.returncode == 0, result.stderr
    return out / "data.sav"


def test_sav_variable_labels(demo_sav: Path) -> None:
    _, meta = pyreadstat.read_sav(str(demo_sav), metadataonly=True)
    labels = meta.column_names_to_labels
    assert labels["participant_id"] == "Participant ID"
    assert labels["timepoint"] == "Timepoint"
    assert labels["arm"] == "Arm"
    assert labels["wai_sr_7"] == f"{_key('wai_sr')['abbreviation']} item 7"
    assert labels["grid_hamd17_17"] == f"{_key('grid_hamd17')['abbreviation']} item 17"
    # every item column is labelled
    items = [c for c in meta.column_names if c.split("_")[-1].isdigit()]
    assert items and all(labels[c] for c in items)


def test_sav_missing_codes_are_declared_and_labelled(demo_sav: Path) -> None:
    codes = tomllib.loads(DEMO.read_text(encoding="utf-8"))["data"]["missing_codes"]
    assert codes == [-99]
    _, meta = pyreadstat.read_sav(str(demo_sav), metadataonly=True, user_missing=True)
    assert meta.missing_ranges["wai_sr_1"] == [{"lo": -99.0, "hi": -99.0}]
    assert meta.missing_ranges["meq30_30"] == [{"lo": -99.0, "hi": -99.0}]
    assert meta.variable_value_labels["wai_sr_1"] == {-99.0: "missing (code -99)"}
    assert "participant_id" not in meta.missing_ranges


def test_sav_integer_items_have_no_decimals(demo_sav: Path) -> None:
    _, meta = pyreadstat.read_sav(str(demo_sav), metadataonly=True)
    formats = meta.original_variable_types
    # 1-5 (WAI-SR) and 0-4 (GRID-HAMD) items with the code -99: three characters, no decimals
    assert formats["wai_sr_1"] == "F3.0"
    assert formats["grid_hamd17_1"] == "F3.0"
    assert not any(f == "F8.2" for c, f in formats.items() if c.startswith("wai_sr_"))
    # text columns stay text
    assert formats["participant_id"].startswith("A")


def test_sav_without_missing_codes_uses_one_digit(tmp_path: Path) -> None:
    assert "missing_codes" not in SPSS_FIXTURE.read_text(encoding="utf-8")
    export_study(SPSS_FIXTURE, to="sav", out=tmp_path)
    _, meta = pyreadstat.read_sav(str(tmp_path / "data.sav"), metadataonly=True, user_missing=True)
    assert meta.original_variable_types["wai_sr_3"] == "F1.0"
    assert "wai_sr_3" not in meta.missing_ranges
    assert "wai_sr_3" not in meta.variable_value_labels


def test_sav_reads_back_the_exported_values(demo_sav: Path) -> None:
    frame, _ = pyreadstat.read_sav(str(demo_sav))
    responses = pd.read_csv(DEMO.parent / "responses.csv", dtype=str, keep_default_na=False)
    row = responses.iloc[0]
    cell = frame.loc[
        (frame["participant_id"] == row["participant_id"])
        & (frame["timepoint"] == row["timepoint"]),
        f"{row['instrument']}_{row['item']}",
    ]
    assert cell.tolist() == [float(row["value"])]


def test_dta_labels_and_formats(tmp_path: Path) -> None:
    result = run_cli("export", str(DEMO), "--to", "dta", "--out", str(tmp_path))
    assert result.returncode == 0, result.stderr
    _, meta = pyreadstat.read_dta(str(tmp_path / "data.dta"), metadataonly=True)
    assert meta.column_names_to_labels["wai_sr_7"] == f"{_key('wai_sr')['abbreviation']} item 7"
    assert meta.column_names_to_labels["participant_id"] == "Participant ID"
    assert meta.original_variable_types["wai_sr_7"] == "%3.0f"
    assert meta.variable_value_labels["wai_sr_7"] == {-99: "missing (code -99)"}


def test_missing_pyreadstat_hint_says_writing(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setitem(sys.modules, "pyreadstat", None)
    with pytest.raises(MissingDependencyError, match=r"writing \.sav files needs") as info:
        export_study(DEMO, to="sav", out=tmp_path)
    assert "pip install 'patalliance[spss]'" in str(info.value)


def test_xpt_variable_labels(tmp_path: Path) -> None:
    export_study(DEMO, to="xpt", out=tmp_path)
    _, meta = pyreadstat.read_xport(str(tmp_path / "data.xpt"), metadataonly=True)
    assert meta.column_names_to_labels["wai_sr_7"] == f"{_key('wai_sr')['abbreviation']} item 7"
    assert meta.column_names_to_labels["timepoint"] == "Timepoint"


def _anchored_study(folder: Path, anchors: str) -> Path:
    """The demo study with a user key for the WAI-SR that carries response labels."""
    from patalliance.demo import copy_demo

    study = copy_demo(folder)
    key = (KEYS / "wai_sr.toml").read_text(encoding="utf-8")
    key = key.replace('aggregate = "sum"\n', f'aggregate = "sum"\nanchors = {anchors}\n', 1)
    (folder / "wai_anchored.toml").write_text(key, encoding="utf-8")
    text = study.read_text(encoding="utf-8")
    text = text.replace(
        '[measures.alliance]\ninstrument = "wai_sr"\n',
        '[measures.alliance]\ninstrument = "wai_sr"\nkey = "wai_anchored.toml"\n',
    )
    study.write_text(text, encoding="utf-8")
    return study


def test_key_anchors_become_value_labels(tmp_path: Path) -> None:
    study = _anchored_study(tmp_path / "study", '{ "1" = "lowest", "5" = "highest" }')
    result = run_cli("export", str(study), "--to", "sav", "--out", str(tmp_path / "out"))
    assert result.returncode == 0, result.stderr
    _, meta = pyreadstat.read_sav(str(tmp_path / "out" / "data.sav"), metadataonly=True)
    assert meta.variable_value_labels["wai_sr_1"] == {
        1.0: "lowest",
        5.0: "highest",
        -99.0: "missing (code -99)",
    }
    # keys without anchors: only the missing code
    assert meta.variable_value_labels["grid_hamd17_1"] == {-99.0: "missing (code -99)"}


def test_anchor_outside_the_response_range_is_a_key_error(tmp_path: Path) -> None:
    study = _anchored_study(tmp_path / "study", '{ "7" = "beyond the scale" }')
    result = run_cli("export", str(study), "--to", "sav", "--out", str(tmp_path / "out"))
    assert result.returncode == 2
    assert "instrument.anchors has '7'" in result.stderr
    assert "between 1 and 5" in result.stderr
    assert "Traceback" not in result.stderr
