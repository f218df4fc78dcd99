"""The scoring engine: one vectorized implementation for every scoring key.

Item responses are placed in a matrix (one row per participant × timepoint, one column per
item) and every scale is computed with array operations; there is no per-participant Python
loop. The rules, in order:

1. Reverse-keyed items become ``min + max - value`` (their own item range).
2. ``max_of`` groups collapse to one component, the maximum of the group's answered items.
3. A scale with ``m`` missing components is missing when ``m > max_missing``. Otherwise a
   ``mean`` scale is the mean of the answered components, and a ``sum`` scale is prorated:
   ``mean of answered components × number of components``. ``prorated`` flags ``m > 0``.
4. ``percent_of_max`` adds ``<scale>_pct = 100 (score - lo) / (hi - lo)``, with ``lo``/``hi``
   the scale's possible range.
5. Classifications: ``bands`` gives the band label; ``all_at_least_pct`` gives 1.0/0.0.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from patalliance.instruments.key import Aggregate, InstrumentKey, Scale

SCORE_COLUMNS = [
    "participant_id",
    "timepoint",
    "scale",
    "score",
    "n_valid",
    "n_items",
    "prorated",
]


def _item_matrix(responses: pd.DataFrame, key: InstrumentKey) -> tuple[pd.DataFrame, np.ndarray]:
    """Place responses in a (groups × items) float matrix; missing cells are NaN."""
    pid = responses["participant_id"].to_numpy()
    tp = responses["timepoint"].to_numpy()
    group_codes, groups = pd.factorize(
        pd.MultiIndex.from_arrays([pid, tp], names=["participant_id", "timepoint"]), sort=True
    )
    matrix = np.full((len(groups), key.instrument.n_items), np.nan)
    items = responses["item"].to_numpy(dtype=np.int64) - 1
    matrix[group_codes, items] = responses["value"].to_numpy(dtype=float)
    index = pd.DataFrame(
        {
            "participant_id": groups.get_level_values(0).astype(str),
            "timepoint": groups.get_level_values(1).astype(str),
        }
    )
    return index, matrix


def _scale_range(key: InstrumentKey, scale: Scale, aggregate: Aggregate) -> tuple[float, float]:
    components = _components(scale)
    lo = [min(key.item_min[i] for i in comp) for comp in components]
    hi = [max(key.item_max[i] for i in comp) for comp in components]
    if aggregate == "sum":
        return float(sum(lo)), float(sum(hi))
    return float(np.mean(lo)), float(np.mean(hi))


def _components(scale: Scale) -> list[list[int]]:
    grouped = {item for group in scale.max_of for item in group.items}
    comps: list[list[int]] = [list(group.items) for group in scale.max_of]
    comps.extend([item] for item in scale.items if item not in grouped)
    return comps


def scale_range(
    key: InstrumentKey, scale_id: str, *, aggregate: Aggregate | None = None
) -> tuple[float, float]:
    """The lowest and highest possible score of a scale."""
    scale = key.scale(scale_id)
    return _scale_range(key, scale, key.aggregate_of(scale, aggregate))


def score_matrix(
    matrix: np.ndarray, key: InstrumentKey, *, aggregate: Aggregate | None = None
) -> dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Score an item matrix: ``{scale id: (score, n_valid, prorated)}``.

    ``matrix`` has one row per administration and ``key.instrument.n_items`` columns of raw
    responses (NaN = missing). ``n_valid`` counts answered components.
    """
    info = key.instrument
    if matrix.ndim != 2 or matrix.shape[1] != info.n_items:
        raise ValueError(
            f"The 'matrix' parameter of score_matrix must have {info.n_items} columns for "
            f"{info.id}. Got shape {matrix.shape} instead."
        )
    values = matrix.astype(float, copy=True)
    for item in info.reverse_items:
        values[:, item - 1] = key.item_min[item] + key.item_max[item] - values[:, item - 1]
    out: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
    for scale in key.scales:
        comps = _components(scale)
        cols = np.empty((values.shape[0], len(comps)))
        for j, comp in enumerate(comps):
            block = values[:, [i - 1 for i in comp]]
            answered = ~np.isnan(block)
            cols[:, j] = np.where(
                answered.any(axis=1), np.max(np.where(answered, block, -np.inf), axis=1), np.nan
            )
        valid = ~np.isnan(cols)
        n_valid = valid.sum(axis=1)
        n_missing = len(comps) - n_valid
        total = np.where(valid, cols, 0.0).sum(axis=1)
        ok = (n_missing <= scale.max_missing) & (n_valid > 0)
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = total / n_valid
        agg = key.aggregate_of(scale, aggregate)
        score = mean * len(comps) if agg == "sum" else mean
        score = np.where(ok, score, np.nan)
        prorated = ok & (n_missing > 0)
        out[scale.id] = (score, n_valid, prorated)
        if scale.percent_of_max:
            lo, hi = _scale_range(key, scale, agg)
            out[f"{scale.id}_pct"] = (100.0 * (score - lo) / (hi - lo), n_valid, prorated)
    for cls in key.classifications:
        if cls.kind == "all_at_least_pct":
            assert cls.threshold_pct is not None  # guaranteed by the key model
            flags = []
            any_missing = np.zeros(values.shape[0], dtype=bool)
            for sid in cls.scales:
                scale = key.scale(sid)
                lo, hi = _scale_range(key, scale, key.aggregate_of(scale, aggregate))
                pct = 100.0 * (out[sid][0] - lo) / (hi - lo)
                any_missing |= np.isnan(pct)
                flags.append(np.where(np.isnan(pct), False, pct >= cls.threshold_pct - 1e-9))
            flag = np.where(any_missing, np.nan, np.all(flags, axis=0).astype(float))
            n_min = np.min([out[s][1] for s in cls.scales], axis=0)
            pro = np.any([out[s][2] for s in cls.scales], axis=0)
            out[cls.id] = (flag, n_min, pro)
    return out


def band_labels(score: np.ndarray, key: InstrumentKey, classification_id: str) -> np.ndarray:
    """The band label of each score for a ``bands`` classification ('' when missing)."""
    cls = next(c for c in key.classifications if c.id == classification_id)
    labels = np.full(score.shape, "", dtype=object)
    for band in cls.bands:
        inside = (score >= band.min) & (score <= band.max)
        labels[inside] = band.label
    return labels


def score_responses(
    responses: pd.DataFrame, key: InstrumentKey, *, aggregate: Aggregate | None = None
) -> pd.DataFrame:
    """Score the item responses of one instrument.

    Parameters
    ----------
    responses
        Long table with columns ``participant_id``, ``timepoint``, ``item`` (1-based int) and
        ``value`` (float, NaN = missing), one row per item; no duplicate items per
        participant × timepoint (validation guarantees it).
    key
        The instrument's scoring key.
    aggregate
        Override of the key's aggregate ("sum" or "mean") for every scale.

    Returns
    -------
    pandas.DataFrame
        One row per participant × timepoint × scale with ``score``, ``n_valid`` (answered
        components), ``n_items`` (components of the scale) and ``prorated``. Band
        classifications add a ``band`` column on their scale's rows.
    """
    if responses.empty:
        return pd.DataFrame(columns=[*SCORE_COLUMNS, "band"])
    index, matrix = _item_matrix(responses, key)
    scored = score_matrix(matrix, key, aggregate=aggregate)
    n_components = {s.id: len(_components(s)) for s in key.scales}
    for s in key.scales:
        if s.percent_of_max:
            n_components[f"{s.id}_pct"] = n_components[s.id]
    for cls in key.classifications:
        if cls.kind == "all_at_least_pct":
            n_components[cls.id] = min(n_components[s] for s in cls.scales)
    frames = []
    for scale_id, (score, n_valid, prorated) in scored.items():
        frame = index.copy()
        frame["scale"] = scale_id
        frame["score"] = score
        frame["n_valid"] = n_valid.astype(np.int64)
        frame["n_items"] = n_components[scale_id]
        frame["prorated"] = prorated.astype(bool)
        frame["band"] = ""
        for cls in key.classifications:
            if cls.kind == "bands" and cls.scale == scale_id:
                frame["band"] = band_labels(score, key, cls.id)
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)
