"""The scoring engine: one vectorized implementation for every scoring key.

Item responses are placed in a matrix (one row per participant × timepoint, one column per
item) and every scale is computed with array operations; there is no per-participant Python
loop. The rules, in order:

1. Reverse-keyed items become ``min + max - value`` (their own item range).
2. ``max_of`` groups collapse to one component, the maximum of the group's answered items,
   provided at least ``min_present`` of them are answered (``"all"``: every item); otherwise
   the component is missing.
3. A scale with ``m`` missing components is missing when ``m > max_missing``. Otherwise a
   ``mean`` scale is the mean of the answered components, and a ``sum`` scale is prorated:
   ``mean of answered components × number of components``. ``prorated`` flags ``m > 0``.
4. ``percent_of_max`` adds ``<scale>_pct = 100 (score - lo) / (hi - lo)``, with ``lo``/``hi``
   the scale's possible range.
5. Classifications: ``bands`` gives the band label; ``all_at_least_pct`` gives 1.0/0.0.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from patalliance.instruments.key import Aggregate, InstrumentKey, MaxOfGroup, Scale

SCORE_COLUMNS = [
    "participant_id",
    "timepoint",
    "scale",
    "score",
    "n_valid",
    "n_items",
    "prorated",
]


def sorted_codes(column: pd.Series) -> tuple[np.ndarray, pd.Index]:
    """Integer codes of a column, numbered in sorted order of its values, and those values
    as text. Categorical columns use their codes directly (no per-row hashing)."""
    if isinstance(column.dtype, pd.CategoricalDtype):
        raw = np.asarray(column.array.codes)  # a view (.cat.codes copies)
        if raw.size == 0 or raw.min() >= 0:
            categories = column.cat.categories
            if categories.is_monotonic_increasing:
                return raw, categories.astype(str)
            order = np.argsort(categories.to_numpy(), kind="stable")
            rank = np.empty(len(categories), dtype=np.int64)
            rank[order] = np.arange(len(categories))
            return rank[raw], categories.take(order).astype(str)
    if isinstance(column.dtype, pd.StringDtype) and column.dtype.storage == "pyarrow":
        text = pa.chunked_array(pa.array(column.array))
        if text.null_count == 0:
            return _text_codes(text)
    codes, uniques = pd.factorize(column, sort=True)
    if codes.size and codes.min() < 0:
        raise ValueError(
            f"The 'responses' parameter of score_responses must have no missing "
            f"{column.name}. Got {int((codes < 0).sum())} missing instead."
        )
    return codes.astype(np.int64, copy=False), pd.Index(uniques).astype(str)


def _text_codes(text: pa.ChunkedArray) -> tuple[np.ndarray, pd.Index]:
    """Codes of a text column numbered in sorted order, by pyarrow. A long table holds each
    participant's (and timepoint's) rows together, so where the text changes from one row to
    the next on under a quarter of the rows only the first row of each run is hashed, and
    its code repeated along the run; the codes are the same either way."""
    n = len(text)
    if n > 1:
        changed = pc.indices_nonzero(pc.not_equal(text.slice(1), text.slice(0, n - 1)))
        starts = np.concatenate(([0], changed.to_numpy().astype(np.int64) + 1))
        if len(starts) < n // 4:
            codes, index = _hashed_codes(text.take(pa.array(starts)))
            return np.repeat(codes, np.diff(starts, append=n)), index
    return _hashed_codes(text)


def _hashed_codes(text: pa.ChunkedArray) -> tuple[np.ndarray, pd.Index]:
    """Codes of a text column numbered in sorted order: one hash per cell
    (``dictionary_encode``), then only the distinct texts are sorted."""
    encoded = pc.dictionary_encode(text).unify_dictionaries()
    if encoded.num_chunks == 0 or len(text) == 0:
        return np.zeros(0, dtype=np.int64), pd.Index([], dtype="str")
    codes = np.concatenate([chunk.indices.to_numpy() for chunk in encoded.chunks])
    dictionary = encoded.chunk(0).dictionary
    order = pc.array_sort_indices(dictionary).to_numpy()
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order))
    return rank[codes], pd.Index(dictionary.take(pa.array(order)).to_pandas(), dtype="str")


def responses_matrix(
    responses: pd.DataFrame, key: InstrumentKey
) -> tuple[pd.DataFrame, np.ndarray]:
    """Place responses in a (groups × items) float matrix; missing cells are NaN.

    Groups are participant × timepoint, sorted by participant id then timepoint. Ids and
    timepoints are factorized separately (categorical columns for free) and combined as
    ``pid_code × n_timepoints + tp_code``, which is much faster than factorizing pairs.
    """
    pid_codes, pids = sorted_codes(responses["participant_id"])
    tp_codes, tps = sorted_codes(responses["timepoint"])
    who = Administrations(pid_codes, pids, tp_codes, tps)
    items = responses["item"].to_numpy(dtype=np.int64)
    groups, matrix = item_matrix(who, items, responses["value"].to_numpy(dtype=float), key)
    pid_of, tp_of = who.of_groups(groups)
    index = pd.DataFrame(
        {"participant_id": pids.take(pid_of).array, "timepoint": tps.take(tp_of).array}
    )
    return index, matrix


@dataclass(frozen=True)
class Administrations:
    """Who answered when, per response: participant and timepoint codes into their sorted
    texts (``pids``, ``tps``)."""

    pid_codes: np.ndarray
    pids: pd.Index
    tp_codes: np.ndarray
    tps: pd.Index

    def take(self, rows: np.ndarray) -> Administrations:
        return Administrations(self.pid_codes[rows], self.pids, self.tp_codes[rows], self.tps)

    def of_groups(self, groups: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The participant and timepoint codes of groups numbered as :func:`item_matrix`
        numbers them."""
        n_tp = max(len(self.tps), 1)
        return groups // n_tp, groups % n_tp


def item_matrix(
    who: Administrations, items: np.ndarray, values: np.ndarray, key: InstrumentKey
) -> tuple[np.ndarray, np.ndarray]:
    """The (participant × timepoint) × items matrix of the responses ``items``, ``values``
    given by ``who``, and the group (``pid_code × n_timepoints + tp_code``) of each of its
    rows, in sorted order (see :func:`responses_matrix`)."""
    n_tp = max(len(who.tps), 1)
    combined = who.pid_codes.astype(np.int64)
    if n_tp > 1:
        combined *= n_tp
        combined += who.tp_codes
    size = len(who.pids) * n_tp
    if size <= 4 * len(combined) + 1024:
        present = np.zeros(size, dtype=bool)
        present[combined] = True
        groups = np.flatnonzero(present)
        group_codes = (np.cumsum(present) - 1)[combined]
    else:
        groups, group_codes = np.unique(combined, return_inverse=True)
    del combined
    n_items = key.instrument.n_items
    if len(items) and (items.min() < 1 or items.max() > n_items):
        raise ValueError(
            f"The 'responses' parameter of score_responses must have items 1..{n_items} for "
            f"{key.id}. Got items {items.min()}..{items.max()} instead."
        )
    matrix = np.full((len(groups), n_items), np.nan)
    flat = group_codes.astype(np.int64, copy=False)  # the cell of each response, in place
    flat *= n_items
    flat += items
    flat -= 1
    matrix.reshape(-1)[flat] = values
    return groups, matrix


def _scale_range(key: InstrumentKey, scale: Scale, aggregate: Aggregate) -> tuple[float, float]:
    components = _components(scale)
    lo = [min(key.item_min[i] for i in comp) for comp in components]
    hi = [max(key.item_max[i] for i in comp) for comp in components]
    if aggregate == "sum":
        return float(sum(lo)), float(sum(hi))
    return float(np.mean(lo)), float(np.mean(hi))


GroupId = tuple[tuple[int, ...], int]


def _group_id(group: MaxOfGroup) -> GroupId:
    """A max_of group's identity: its items (sorted) and how many must be answered."""
    return tuple(sorted(group.items)), group.required


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
    # copy only when reverse keying writes into it: the caller's matrix is never modified
    values = matrix.astype(float, copy=bool(info.reverse_items))
    for item in info.reverse_items:
        values[:, item - 1] = key.item_min[item] + key.item_max[item] - values[:, item - 1]
    # Component matrix: every item, then the maximum of each distinct max_of group. Each
    # scale is a 0/1 column of `membership`, so the answered count and the sum of answered
    # components of every scale come from two matrix products (no per-scale loop over rows).
    n_items = info.n_items
    group_ids = list(dict.fromkeys(_group_id(g) for s in key.scales for g in s.max_of))
    comp = values
    if group_ids:
        comp = np.empty((values.shape[0], n_items + len(group_ids)))
        comp[:, :n_items] = values
        for j, (items, required) in enumerate(group_ids):
            block = values[:, [i - 1 for i in items]]
            answered = ~np.isnan(block)
            enough = answered.sum(axis=1) >= required  # required >= 1: some item answered
            comp[:, n_items + j] = np.where(
                enough, np.max(np.where(answered, block, -np.inf), axis=1), np.nan
            )
    membership = np.zeros((comp.shape[1], len(key.scales)))
    n_comps = []
    for k, scale in enumerate(key.scales):
        n_comps.append(len(_components(scale)))
        grouped: set[int] = set()
        for group in scale.max_of:
            membership[n_items + group_ids.index(_group_id(group)), k] = 1.0
            grouped.update(group.items)
        for item in scale.items:
            if item not in grouped:
                membership[item - 1, k] = 1.0
    valid = ~np.isnan(comp)
    counts = np.rint(valid.astype(np.float64) @ membership).astype(np.int64)
    totals = np.where(valid, comp, 0.0) @ membership

    out: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
    for k, scale in enumerate(key.scales):
        n_valid = np.ascontiguousarray(counts[:, k])
        total = np.ascontiguousarray(totals[:, k])
        n_missing = n_comps[k] - n_valid
        ok = (n_missing <= scale.max_missing) & (n_valid > 0)
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = total / n_valid
        agg = key.aggregate_of(scale, aggregate)
        score = mean * n_comps[k] if agg == "sum" else mean
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
    bands = sorted(cls.bands, key=lambda b: b.min)
    # Bands are read as contiguous: each runs from its own minimum up to the next band's
    # minimum, so a prorated score between two integer bands (7.5 between 0-7 and 8-16)
    # gets the lower band instead of no band.
    for i, band in enumerate(bands):
        upper = bands[i + 1].min if i + 1 < len(bands) else None
        inside = score >= band.min
        inside &= (score < upper) if upper is not None else (score <= band.max)
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
    return scored_frame(*responses_matrix(responses, key), key, aggregate=aggregate)


@dataclass(frozen=True)
class LongScores:
    """The scores of an item matrix, long: long row ``r`` is matrix row ``group[r]`` and
    scale ``scales[scale[r]]``, with its band ``bands[band[r]]`` (``""`` for none)."""

    group: np.ndarray
    scales: list[str]
    scale: np.ndarray
    bands: list[str]
    band: np.ndarray
    score: np.ndarray
    n_valid: np.ndarray
    n_items: np.ndarray
    prorated: np.ndarray


def long_scores(
    matrix: np.ndarray, key: InstrumentKey, *, aggregate: Aggregate | None
) -> LongScores:
    """Every scale of every row of an item matrix, long (see :func:`score_responses`)."""
    scored = score_matrix(matrix, key, aggregate=aggregate)
    n_components = {s.id: len(_components(s)) for s in key.scales}
    for s in key.scales:
        if s.percent_of_max:
            n_components[f"{s.id}_pct"] = n_components[s.id]
    for cls in key.classifications:
        if cls.kind == "all_at_least_pct":
            n_components[cls.id] = min(n_components[s] for s in cls.scales)
    # the matrix rows repeated once per scale: text columns are built by their callers with
    # ``take`` on the distinct values, never by converting millions of Python strings
    n_groups, ids = len(matrix), list(scored)
    band_names = ["", *dict.fromkeys(b.label for c in key.classifications for b in c.bands)]
    band_code = {name: code for code, name in enumerate(band_names)}
    band_codes = np.zeros(n_groups * len(ids), dtype=np.int64)
    for j, scale_id in enumerate(ids):
        for cls in key.classifications:
            if cls.kind == "bands" and cls.scale == scale_id:
                score, segment = scored[scale_id][0], band_codes[j * n_groups : (j + 1) * n_groups]
                for band in cls.bands:  # as band_labels: a later band wins where bands overlap
                    segment[(score >= band.min) & (score <= band.max)] = band_code[band.label]
    return LongScores(
        group=np.tile(np.arange(n_groups), len(ids)),
        scales=ids,
        scale=np.repeat(np.arange(len(ids)), n_groups),
        bands=band_names,
        band=band_codes,
        score=np.concatenate([scored[i][0] for i in ids]).astype(float),
        n_valid=np.concatenate([scored[i][1] for i in ids]).astype(np.int64),
        n_items=np.repeat([n_components[i] for i in ids], n_groups).astype(np.int64),
        prorated=np.concatenate([scored[i][2] for i in ids]).astype(bool),
    )


def _tiled(column: pd.Series, times: int) -> Any:
    """``column``'s values ``times`` times over, as the long scores' rows repeat the matrix
    rows once per scale (``long.group``); concatenated, not gathered row by row."""
    if times == 0:
        return column.array[:0]
    return pd.concat([column] * times, ignore_index=True).array


def scored_frame(
    index: pd.DataFrame, matrix: np.ndarray, key: InstrumentKey, *, aggregate: Aggregate | None
) -> pd.DataFrame:
    """The long scores of an item matrix whose rows are ``index`` (see
    :func:`score_responses`)."""
    long = long_scores(matrix, key, aggregate=aggregate)
    return pd.DataFrame(
        {
            "participant_id": _tiled(index["participant_id"], len(long.scales)),
            "timepoint": _tiled(index["timepoint"], len(long.scales)),
            "scale": pd.Index(long.scales).astype(str).take(long.scale).array,
            "score": long.score,
            "n_valid": long.n_valid,
            "n_items": long.n_items,
            "prorated": long.prorated,
            "band": pd.Index(long.bands).astype(str).take(long.band).array,
        }
    )
