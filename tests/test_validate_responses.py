"""Item and value checks and duplicates, against a row-by-row oracle written in the test.

The validation works on codes (each distinct text, or each combination of instrument, item
and value, checked once; duplicates found through integer keys). The oracle below applies the
documented rules (docs/validation.md) one row at a time with plain Python, and both must find
the same problems at the same rows and exclude the same rows for the same first reason.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import make_participants, make_responses, write_study

from patalliance import validate_data
from patalliance.instruments import builtin_keys

ITEM_TEXTS = ["1", "01", "1.0", "2", "0", "99", "x", "", "2.5", "12", "1e0"]
VALUE_TEXTS = ["0", "1", "2", "3", "4", "5", "9", "-99", "-99.0", "abc", "", "2.5", "04", "-3"]
ORDER = [
    "invalid_item",
    "item_out_of_key",
    "non_numeric",
    "out_of_range",
    "non_integer",
    "conflicting_duplicate",
    "duplicate_row",
]


def number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def oracle(frame: pd.DataFrame) -> list[tuple[int, str]]:
    """(row, code) of every problem, by the documented rules, one row at a time."""
    keys = builtin_keys()
    found: list[tuple[int, str]] = []
    item_key, value_key = [], []
    for pos, r in enumerate(frame.itertuples(index=False)):
        row, key = pos + 2, keys[r.instrument]
        item, value = number(r.item.strip()), number(r.value.strip())
        whole = item is not None and np.isfinite(item) and item == int(item)
        item_ok = False
        if not whole:
            found.append((row, "invalid_item"))
        elif not 1 <= item <= key.instrument.n_items:
            found.append((row, "item_out_of_key"))
        else:
            item_ok = True
        if r.value.strip() and value is None:
            found.append((row, "non_numeric"))
        if value is not None and value == -99:
            value = None  # the declared missing code
        if item_ok and value is not None:
            lo, hi = key.item_min[int(item)], key.item_max[int(item)]
            if not lo <= value <= hi:
                found.append((row, "out_of_range"))
            elif key.instrument.integer and value != int(value):
                found.append((row, "non_integer"))
        item_key.append(str(int(item)) if whole else "text:" + r.item.strip())
        if value is None:
            value_key.append("text:" + r.value.strip() if r.value.strip() else "missing")
        else:
            value_key.append(repr(value))
    groups: dict[tuple[str, ...], list[int]] = {}
    for pos, r in enumerate(frame.itertuples(index=False)):
        groups.setdefault((r.participant_id, r.timepoint, r.instrument, item_key[pos]), []).append(
            pos
        )
    for members in groups.values():
        if len(members) > 1 and len({value_key[p] for p in members}) > 1:
            found.extend((p + 2, "conflicting_duplicate") for p in members)
        elif len(members) > 1:
            found.extend((p + 2, "duplicate_row") for p in members[1:])
    return sorted(found)


def corrupted(seed: int, *, wide: bool) -> pd.DataFrame:
    """The tiny study's responses with random items and values, repeats and conflicts;
    ``wide`` adds many distinct junk items (the duplicate search then sorts its keys)."""
    rng = np.random.default_rng(seed)
    frame = make_responses(n=8, seed=seed, missing=0.1)
    n = len(frame)
    pick = rng.random(n) < 0.15
    frame.loc[pick, "item"] = rng.choice(ITEM_TEXTS, size=int(pick.sum()))
    pick = rng.random(n) < 0.15
    frame.loc[pick, "value"] = rng.choice(VALUE_TEXTS, size=int(pick.sum()))
    if wide:
        pick = rng.random(n) < 0.5
        frame.loc[pick, "item"] = [f"junk{i}" for i in rng.integers(0, 5000, int(pick.sum()))]
    repeats = frame.sample(n=12, random_state=seed)
    conflicts = frame.sample(n=6, random_state=seed + 1).assign(value="1")
    frame = pd.concat([frame, repeats, conflicts], ignore_index=True)
    return frame.sample(frac=1.0, random_state=seed + 2).reset_index(drop=True)


@pytest.mark.parametrize(("seed", "wide"), [(1, False), (2, False), (3, True), (4, True)])
def test_problems_and_exclusions_match_a_row_by_row_oracle(
    seed: int, wide: bool, tmp_path: Path
) -> None:
    frame = corrupted(seed, wide=wide)
    path = write_study(tmp_path / "s", frame, make_participants(8))
    report = validate_data(path, policy="lenient")
    got = sorted((p.row, p.code) for p in report.problems if p.code in ORDER)
    expected = oracle(frame)
    assert got == expected
    first: dict[int, str] = {}
    for row, code in sorted(expected, key=lambda rc: ORDER.index(rc[1])):
        first.setdefault(row, code)
    assert report.excluded_by_reason == dict(sorted(Counter(first.values()).items()))
    assert report.rows_excluded == len(first)


def test_a_data_frame_gives_the_same_problems_as_its_file(tmp_path: Path) -> None:
    frame = corrupted(5, wide=False)
    path = write_study(tmp_path / "s", frame, make_participants(8))
    from_file = validate_data(path, policy="lenient")
    from_frame = validate_data(path, policy="lenient", responses=frame)
    in_file = [(p.row, p.code, p.message) for p in from_file.problems if p.code in ORDER]
    in_frame = [(p.row, p.code, p.message) for p in from_frame.problems if p.code in ORDER]
    # a file's rows are numbered from 2 (after the header), a DataFrame's from 0 (iloc)
    shifted = [
        (row - 2, code, message.replace("of row ", "of row ")) for row, code, message in in_file
    ]
    assert [(r, c) for r, c, _ in in_frame] == [(r, c) for r, c, _ in shifted]
    assert from_file.excluded_by_reason == from_frame.excluded_by_reason
