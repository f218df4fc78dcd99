"""Duplicate item responses: the same participant, timepoint, instrument and item twice.

The rows are grouped by integer keys without a sort in the common case: the administrations
(participant × timepoint × instrument) are renumbered through a table of flags, and a key
per row (administration × item) is marked in a second table; when no key is marked twice
there is no duplicate, which is all that clean data costs. Only when there are duplicates are
the rows of each key found (their first row, and whether their values differ).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from patalliance.validate.coded import Coded, combine, compact


@dataclass(frozen=True)
class Duplicates:
    """The rows that repeat a key: with different values in the group (``conflicting``,
    every row of the group), or with the same value (``repeat``, every row after the first,
    with ``first`` the position of its group's first row)."""

    conflicting: np.ndarray
    repeat: np.ndarray
    first: np.ndarray


def _groups(key: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """Per position: its group, the position of its group's first row, and whether the group
    has several rows; None when every key occurs once."""
    n = len(key)
    positions = np.arange(n, dtype=np.int64)
    if size <= 8 * n + (1 << 20):
        seen = np.zeros(size, dtype=bool)
        seen[key] = True
        if int(np.count_nonzero(seen)) == n:
            return None
        del seen
        first_of = np.full(size, n, dtype=np.int64)
        np.minimum.at(first_of, key, positions)
        first = first_of[key]
        del first_of
        repeated = np.zeros(size, dtype=bool)
        repeated[key[first != positions]] = True
        return key, first, repeated[key]
    distinct, first_index, inverse, counts = np.unique(
        key, return_index=True, return_inverse=True, return_counts=True
    )
    if len(distinct) == n:
        return None
    return inverse, first_index[inverse], counts[inverse] > 1


def find_duplicates(
    active: np.ndarray, who: list[Coded], item_key: Coded, value_key: Coded
) -> Duplicates | None:
    """The duplicates among the rows of ``active``: the same ``who`` (participant, timepoint,
    instrument) and item key; None when there is none.

    ``item_key`` and ``value_key`` are the item and value of each row as compared (an item
    number, a value as a number).
    """
    at = None if active.all() else np.flatnonzero(active)

    def rows(codes: np.ndarray) -> np.ndarray:
        return codes if at is None else codes[at]

    admin, size = combine([rows(c.codes) for c in who], [len(c.values) for c in who])
    admin, distinct = compact(admin, size)
    n_items = max(len(item_key.values), 1)
    key = admin.astype(np.int64) * n_items + rows(item_key.codes)
    found = _groups(key, len(distinct) * n_items)
    if found is None:
        return None
    group, first, repeated = found
    # a group is conflicting when its rows hold more than one distinct value
    dup = np.flatnonzero(repeated)
    n_values = max(len(value_key.values), 1)
    pairs = np.unique(group[dup].astype(np.int64) * n_values + rows(value_key.codes)[dup])
    groups, n_distinct = np.unique(pairs // n_values, return_counts=True)
    conflicting = np.zeros(len(key), dtype=bool)
    conflicting[dup[np.isin(group[dup], groups[n_distinct > 1])]] = True
    repeat = repeated & ~conflicting & (first != np.arange(len(key)))
    everywhere = np.arange(len(active)) if at is None else at
    return Duplicates(
        _spread(conflicting, everywhere, len(active)),
        _spread(repeat, everywhere, len(active)),
        everywhere[first[repeat]],
    )


def _spread(mask: np.ndarray, at: np.ndarray, n_rows: int) -> np.ndarray:
    """A mask over the positions ``at`` as a mask over all ``n_rows`` rows."""
    full = np.zeros(n_rows, dtype=bool)
    full[at[mask]] = True
    return full
