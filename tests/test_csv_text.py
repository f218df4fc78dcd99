"""The fast CSV writer (``csv_text``) writes exactly what pandas' ``to_csv(index=False)``
writes, and declines every table it cannot write plainly."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from patalliance.csv_text import write_plain_csv

_TEXT = st.text(alphabet=st.characters(blacklist_characters=',"\n\r', blacklist_categories=("Cs",)))


@settings(max_examples=60, deadline=None)
@given(
    floats=st.lists(st.floats(allow_nan=True, allow_infinity=True), min_size=1, max_size=30),
    ids=st.lists(st.one_of(_TEXT, st.none()), min_size=1, max_size=30),
)
def test_plain_tables_are_written_as_pandas_writes_them(
    floats: list[float], ids: list[str | None], tmp_path_factory: pytest.TempPathFactory
) -> None:
    n = min(len(floats), len(ids))
    frame = pd.DataFrame(
        {
            "participant_id": pd.Series(ids[:n], dtype=object),
            "score": np.asarray(floats[:n], dtype=np.float64),
            "count": np.arange(n, dtype=np.int64) - 3,
            "flag": np.arange(n) % 2 == 0,
        }
    )
    folder = tmp_path_factory.mktemp("csv")
    assert write_plain_csv(frame, folder / "fast.csv")
    frame.to_csv(folder / "pandas.csv", index=False)
    assert (folder / "fast.csv").read_bytes() == (folder / "pandas.csv").read_bytes()


def test_floats_of_every_magnitude(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    values = np.concatenate(
        [
            rng.normal(size=200) * 10.0 ** rng.integers(-320, 308, 200),
            [0.0, -0.0, 1e16, 1e-5, 1e-4, 9999999999999998.0, 5e-324, 0.1, 1 / 3, np.nan],
            np.round(rng.normal(20, 5, 200), 2),
        ]
    )
    frame = pd.DataFrame({"a": values, "b": values[::-1].copy()})
    assert write_plain_csv(frame, tmp_path / "fast.csv")
    frame.to_csv(tmp_path / "pandas.csv", index=False)
    assert (tmp_path / "fast.csv").read_bytes() == (tmp_path / "pandas.csv").read_bytes()


@pytest.mark.parametrize(
    "frame",
    [
        pd.DataFrame({"a,b": [1.0], "c": [2.0]}),  # a name that needs quoting
        pd.DataFrame({"a": ["x,y"], "c": [2.0]}),  # a cell that needs quoting
        pd.DataFrame({"a": ['say "hi"'], "c": [2.0]}),
        pd.DataFrame({"a": ["two\nlines"], "c": [2.0]}),
        pd.DataFrame({"a": [1, "x"], "c": [2.0, 3.0]}),  # a number among text
        pd.DataFrame({"a": [1.0]}),  # one column
        pd.DataFrame({"a": [], "b": []}),  # no rows
        pd.DataFrame({0: [1.0], 1: [2.0]}),  # names that are not text
        pd.DataFrame({"a": pd.array(["x", None], dtype="string"), "b": [1.0, 2.0]}),
        pd.DataFrame({"a": np.array([1, 2], dtype=np.int32), "b": [1.0, 2.0]}),
    ],
)
def test_other_tables_are_left_to_pandas(frame: pd.DataFrame, tmp_path: Path) -> None:
    assert not write_plain_csv(frame, tmp_path / "fast.csv")
    assert not (tmp_path / "fast.csv").exists()


def test_long_tables_are_written_a_block_of_rows_at_a_time(tmp_path: Path) -> None:
    n = 25_003
    frame = pd.DataFrame({"id": [f"P{i}" for i in range(n)], "x": np.arange(n) / 7})
    assert write_plain_csv(frame, tmp_path / "fast.csv")
    frame.to_csv(tmp_path / "pandas.csv", index=False)
    assert (tmp_path / "fast.csv").read_bytes() == (tmp_path / "pandas.csv").read_bytes()
    frame.loc[n - 1, "id"] = "P,late"  # the last block holds a cell that needs quoting
    assert not write_plain_csv(frame, tmp_path / "late.csv")
    assert not (tmp_path / "late.csv").exists()


def test_text_columns_holding_numbers_keep_their_inferred_type(tmp_path: Path) -> None:
    """A text column of numbers (with a gap) is written as pandas writes the column
    ``Series.map`` makes of it (floats), the same before and after the fast paths."""
    from patalliance.safe_cells import write_csv

    frame = pd.DataFrame({"id": ["P1", "=P2", "P3"], "n": pd.Series([3, None, 5], dtype=object)})
    write_csv(frame, tmp_path / "ours.csv", index=False)
    reference = frame.assign(
        id=["P1", "'=P2", "P3"], n=frame["n"].map(lambda v: v, na_action="ignore")
    )
    reference.to_csv(tmp_path / "reference.csv", index=False)
    assert (tmp_path / "ours.csv").read_bytes() == (tmp_path / "reference.csv").read_bytes()
    assert (tmp_path / "ours.csv").read_text(encoding="utf-8").splitlines()[1] == "P1,3.0"
