"""Frames with Categorical columns put one below the other without losing their coding.

``pandas.concat`` turns Categoricals with different categories into text, one Python string
per cell. Data of millions of rows keep their integer codes here instead: the categories are
united and each part's codes renumbered. This module imports nothing else of patalliance.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def union(parts: list[pd.Series | None], lengths: list[int]) -> pd.Categorical:
    """One Categorical of the parts one below the other (None: a part without the column,
    whose cells are missing)."""
    present = [p.cat.categories for p in parts if p is not None]
    if all(c.equals(present[0]) for c in present):
        categories = present[0]
    else:
        texts = np.concatenate([c.to_numpy(dtype=object) for c in present])
        categories = pd.Index(pd.unique(texts), dtype="str")
    codes = [
        np.full(n, -1, dtype=np.int64)
        if p is None
        else np.append(categories.get_indexer(p.cat.categories), -1)[p.cat.codes.to_numpy()]
        for p, n in zip(parts, lengths, strict=True)
    ]
    return pd.Categorical.from_codes(np.concatenate(codes), categories=categories, validate=False)


def concat(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """The frames one below the other; a column that every frame holding it holds as a
    Categorical stays one, its categories united (no text is copied per cell)."""
    if len(frames) == 1 or any(f.columns.has_duplicates for f in frames):
        return pd.concat(frames, ignore_index=True)
    names = list(dict.fromkeys(c for f in frames for c in f.columns))
    coded = [
        c
        for c in names
        if all(c not in f.columns or isinstance(f[c].dtype, pd.CategoricalDtype) for f in frames)
    ]
    plain = [c for c in names if c not in coded]
    joined = pd.concat(
        [f[[c for c in plain if c in f.columns]] for f in frames], ignore_index=True
    ).reindex(columns=plain)
    lengths = [len(f) for f in frames]
    for column in coded:
        parts = [f[column] if column in f.columns else None for f in frames]
        joined[column] = union(parts, lengths)
    return joined[names]
