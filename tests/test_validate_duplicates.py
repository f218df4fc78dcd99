"""Grouping by integer keys (validate/coded.py, validate/duplicates.py) against plain Python.

Both ways each function works are checked: through a table of flags when the number of
possible keys is not much larger than the number of rows, and through a sort when it is.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from patalliance.validate.coded import Coded, combine, compact
from patalliance.validate.duplicates import find_duplicates


@pytest.mark.parametrize("size", [50, 10**9])
def test_compact_numbers_keys_in_sorted_order(size: int) -> None:
    rng = np.random.default_rng(1)
    key = rng.integers(0, size, 1000)
    number, distinct = compact(key, size)
    assert distinct.tolist() == sorted(set(key.tolist()))
    assert (distinct[number] == key).all()


def test_combine_is_equal_exactly_where_every_code_is() -> None:
    rng = np.random.default_rng(2)
    columns = [rng.integers(0, n, 500) for n in (3, 7, 2**40, 2**30)]
    key, _ = combine(columns, [3, 7, 2**40, 2**30])  # beyond 62 bits: compacted on the way
    rows = list(zip(*(c.tolist() for c in columns), strict=True))
    for i in range(0, 500, 7):
        for j in range(0, 500, 11):
            assert (key[i] == key[j]) == (rows[i] == rows[j])


def _coded(codes: np.ndarray, n_values: int) -> Coded:
    return Coded(codes, pd.Index([f"v{k}" for k in range(n_values)], dtype=object))


def _oracle(
    active: np.ndarray, who: list[np.ndarray], item: np.ndarray, value: np.ndarray
) -> tuple[list[int], list[int], list[int]]:
    groups: dict[tuple[int, ...], list[int]] = {}
    for i in np.flatnonzero(active).tolist():
        groups.setdefault((*(int(w[i]) for w in who), int(item[i])), []).append(i)
    conflicting, repeat, first = [], [], []
    for members in groups.values():
        if len(members) < 2:
            continue
        if len({int(value[i]) for i in members}) > 1:
            conflicting.extend(members)
        else:
            repeat.extend(members[1:])
            first.extend([members[0]] * (len(members) - 1))
    order = np.argsort(repeat, kind="stable")
    return sorted(conflicting), sorted(repeat), [first[k] for k in order]


@pytest.mark.parametrize("n_items", [40, 3_000_000])
def test_duplicates_match_plain_python(n_items: int) -> None:
    rng = np.random.default_rng(n_items)
    n = 4000
    who = [rng.integers(0, 30, n), rng.integers(0, 4, n), rng.integers(0, 3, n)]
    item = rng.integers(0, 40, n)  # few items used of n_items possible: sort path if large
    value = rng.integers(0, 3, n)
    active = rng.random(n) < 0.9
    found = find_duplicates(
        active,
        [_coded(w, int(w.max()) + 1) for w in who],
        _coded(item, n_items),
        _coded(value, 3),
    )
    conflicting, repeat, first = _oracle(active, who, item, value)
    assert found is not None
    assert np.flatnonzero(found.conflicting).tolist() == conflicting
    assert np.flatnonzero(found.repeat).tolist() == repeat
    assert found.first.tolist() == first


@pytest.mark.parametrize("n_items", [40, 3_000_000])
def test_no_duplicates_is_none(n_items: int) -> None:
    n = 40 * 12
    who = [np.repeat(np.arange(12), 40), np.zeros(n, dtype=np.int64), np.zeros(n, dtype=np.int64)]
    item = np.tile(np.arange(40), 12)
    found = find_duplicates(
        np.ones(n, dtype=bool),
        [_coded(who[0], 12), _coded(who[1], 1), _coded(who[2], 1)],
        _coded(item, n_items),
        _coded(np.zeros(n, dtype=np.int64), 1),
    )
    assert found is None
