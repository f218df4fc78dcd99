"""CSV files read as text: the fast reader (pyarrow) against pandas' C parser as the oracle.

Every cell must come back exactly as pandas' C parser reads the decoded text with every cell
as a string (``dtype=str, keep_default_na=False``), and every record must get the row and
physical line that the exact reader gives it. The fast path is checked to be the one taken
for the common files, and the exact path for the files it leaves to the exact reader.
"""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd
import pytest
from conftest import make_participants, write_study

from patalliance import validate_data
from patalliance.io import read_study_data
from patalliance.io.csvarrow import read_fast
from patalliance.io.tidy import read_table
from patalliance.study import load_study

HEADER = "participant_id,timepoint,instrument,item,value"

#: Files the fast reader reads: name -> bytes.
FAST = {
    "plain": f"{HEADER}\nP01,prep,wai_sr,1,4\nP01,prep,wai_sr,2,\n".encode(),
    "bom": b"\xef\xbb\xbf" + f"{HEADER}\nP01,prep,wai_sr,1,4\n".encode(),
    "semicolons": (
        b"participant_id;timepoint;instrument;item;value\nP01;session1;ebi;1;2,5\n"
        b"P01;session1;ebi;2;3\n"
    ),
    "leading_zeros": f"{HEADER}\n007,prep,wai_sr,01,04\n0007,prep,wai_sr,1.0,4\n".encode(),
    "empty_cells": f"{HEADER}\nP01,prep,wai_sr,1,\n,prep,wai_sr,2,3\nP01,,,,5\n".encode(),
    "quoted_commas": f'{HEADER}\n"P,01",prep,wai_sr,1,"1,5"\n"say ""hi""",prep,wai_sr,2,3\n'.encode(),
    "all_quoted": (
        b'"participant_id","timepoint","instrument","item","value"\n'
        b'"P01","prep","wai_sr","1","4"\n"P01","prep","wai_sr","2",""\n'
    ),
    "crlf": f"{HEADER}\r\nP01,prep,wai_sr,1,4\r\nP01,prep,wai_sr,2,5\r\n".encode(),
    "cr": f"{HEADER}\rP01,prep,wai_sr,1,4\rP01,prep,wai_sr,2,5".encode(),
    "spaces": (b" participant_id , timepoint,instrument ,item,value\n P01 , prep,wai_sr, 1 ,4 \n"),
    "unicode": f"{HEADER}\nZoé,prep,wai_sr,1,4\nZoe\u0301,prep,wai_sr,2,4\n".encode(),
    "no_final_newline": f"{HEADER}\nP01,prep,wai_sr,1,4".encode(),
}

#: Files left to the exact reader.
EXACT = {
    "blank_line": f"{HEADER}\nP01,prep,wai_sr,1,4\n\nP01,prep,wai_sr,2,5\n".encode(),
    "blank_last_lines": f"{HEADER}\nP01,prep,wai_sr,1,4\n\n\n".encode(),
    "whitespace_line": f"{HEADER}\nP01,prep,wai_sr,1,4\n   \nP01,prep,wai_sr,2,5\n".encode(),
    "latin1": f"{HEADER}\nZoé,prep,wai_sr,1,4\n".encode("latin-1"),
    "ragged": f"{HEADER}\nP01,prep,wai_sr,1,4,extra\n".encode(),
    "short_row": f"{HEADER}\nP01,prep,wai_sr\n".encode(),
    "duplicate_names": b"a,a,b\n1,2,3\n",
    "one_column": b"participant_id\nP01\n",
    "header_only": f"{HEADER}".encode(),
}


def oracle(raw: bytes) -> pd.DataFrame:
    """pandas' C parser on the decoded text, every cell as text, names stripped."""
    text = raw.decode("utf-8-sig")
    header = text.splitlines()[0]
    sep = ";" if header.count(";") > header.count(",") else ","
    frame = pd.read_csv(io.StringIO(text), sep=sep, dtype=str, keep_default_na=False)
    frame.columns = [c.strip() for c in frame.columns]
    return frame


def cells(frame: pd.DataFrame) -> dict[str, list[object]]:
    return {
        c: frame[c].astype(object).tolist() for c in frame.columns if c not in {"_file", "_row"}
    }


@pytest.mark.parametrize("categorical", [True, False])
@pytest.mark.parametrize("name", sorted(FAST))
def test_fast_reader_reads_every_cell_as_pandas_does(
    name: str, categorical: bool, tmp_path: Path
) -> None:
    path = tmp_path / "responses.csv"
    path.write_bytes(FAST[name])
    assert read_fast(path, categorical=categorical) is not None  # the fast path is taken
    frame, problems = read_table(path, role="responses", categorical=categorical)
    expected = oracle(FAST[name])
    assert problems == []
    assert cells(frame) == cells(expected)
    assert frame["_row"].tolist() == list(range(2, len(expected) + 2))
    assert frame.attrs.get("lines", {}) == {}
    assert set(frame["_file"].astype(str)) == {str(path)}
    if categorical:
        assert all(isinstance(frame[c].dtype, pd.CategoricalDtype) for c in expected.columns)


@pytest.mark.parametrize("name", sorted(EXACT))
def test_other_files_are_left_to_the_exact_reader(name: str, tmp_path: Path) -> None:
    path = tmp_path / "responses.csv"
    path.write_bytes(EXACT[name])
    assert read_fast(path, categorical=True) is None


def test_rows_after_a_blank_line_are_numbered_by_their_line(tmp_path: Path) -> None:
    path = tmp_path / "responses.csv"
    path.write_bytes(EXACT["blank_line"])
    frame, problems = read_table(path, role="responses", categorical=True)
    assert problems == []
    assert frame["_row"].tolist() == [2, 4]
    assert frame["value"].astype(str).tolist() == ["4", "5"]


def test_a_quoted_line_break_maps_each_record_to_its_physical_line(tmp_path: Path) -> None:
    raw = (
        f'{HEADER}\nP01,prep,wai_sr,1,"4\n"\nP01,prep,wai_sr,2,"a\r\nb"\nP01,prep,wai_sr,3,9\n'
    ).encode()
    path = tmp_path / "responses.csv"
    path.write_bytes(raw)
    fast = read_fast(path, categorical=True)
    assert fast is not None and fast[2]  # read fast, with a cell holding a line break
    frame, problems = read_table(path, role="responses", categorical=True)
    assert problems == []
    assert cells(frame) == cells(oracle(raw))
    # records 2, 3, 4 (rows as a spreadsheet shows them) start on lines 2, 4 and 6
    assert frame["_row"].tolist() == [2, 3, 4]
    assert frame.attrs["lines"] == {3: 4, 4: 6}


def test_a_problem_after_a_quoted_line_break_names_its_row_and_line(tmp_path: Path) -> None:
    path = write_study(tmp_path / "s", participants=make_participants(2))
    (tmp_path / "s" / "responses.csv").write_bytes(
        f'{HEADER}\nP001,prep,wai_sr,1,"4\nx"\nP001,prep,wai_sr,2,9\n'.encode()
    )
    report = validate_data(path)
    found = {p.code: p for p in report.problems}
    assert (found["non_numeric"].row, found["non_numeric"].line) == (2, 2)
    assert (found["out_of_range"].row, found["out_of_range"].line) == (3, 4)


def test_several_response_files_keep_their_coding(tmp_path: Path) -> None:
    path = write_study(
        tmp_path / "s",
        participants=make_participants(3),
        data_extra="",
    )
    folder = tmp_path / "s"
    (folder / "responses.csv").write_text(f"{HEADER}\nP001,prep,wai_sr,1,4\n", encoding="utf-8")
    (folder / "more.csv").write_text(
        f"{HEADER}\nP002,post1w,wai_sr,1,3\nP001,prep,wai_sr,2,5\n", encoding="utf-8"
    )
    text = path.read_text(encoding="utf-8").replace(
        'responses = "responses.csv"', 'responses = ["responses.csv", "more.csv"]'
    )
    path.write_text(text, encoding="utf-8")
    data = read_study_data(load_study(path))
    responses = data.responses
    assert all(
        isinstance(responses[c].dtype, pd.CategoricalDtype)
        for c in ["participant_id", "timepoint", "instrument", "item", "value", "_file"]
    )
    assert responses["participant_id"].astype(str).tolist() == ["P001", "P002", "P001"]
    assert responses["timepoint"].astype(str).tolist() == ["prep", "post1w", "prep"]
    assert responses["_row"].tolist() == [2, 2, 3]
    assert responses["_file"].astype(str).tolist() == [
        str(folder / "responses.csv"),
        str(folder / "more.csv"),
        str(folder / "more.csv"),
    ]
