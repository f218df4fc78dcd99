"""Scoring benchmark: MEQ-30 item responses of many participants, against a pandas pivot.

The headline compares the patalliance scoring engine (``score_responses``) with the fairest
idiomatic pandas scorer: ``pivot`` the long responses to one row per participant × timepoint
and one column per item, then compute every scale with vectorised pandas operations and the
same rules (the mean of the answered items, missing when more than the scale's
``max_missing`` items are missing; percent of maximum; the complete-experience
classification). Both start from the same long table, with participant ids and timepoints as
text, as a CSV reader gives them, and both must give the same scores. A naive per-group
``groupby().apply()`` scorer is timed on a subsample, as a secondary line.

Run::

    python benchmarks/bench_scoring.py                  # 300,000 participants (9 M responses)
    python benchmarks/bench_scoring.py --participants 50000 --repeats 1

Targets: at least 5 M item responses per second, and at least 3 times the pivot's speed.
Memory: the pivot baseline needs several times the long table (its MultiIndex and the
unstacked frame); at 300,000 participants the peak is a few GB.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

import numpy as np
import pandas as pd
from numpy.testing import assert_allclose

from patalliance.instruments import builtin_keys, score_responses
from patalliance.instruments.key import InstrumentKey


def make_long_table(
    n_participants: int, key: InstrumentKey, *, missing: float, seed: int
) -> pd.DataFrame:
    """One session of MEQ-30 per participant; ``missing`` of the answers are blank (NaN)."""
    rng = np.random.default_rng(seed)
    n_items = key.instrument.n_items
    ids = pd.Index([f"P{i:07d}" for i in range(n_participants)], dtype="str")
    values = rng.integers(0, 6, size=n_participants * n_items).astype(np.float64)
    values[rng.random(len(values)) < missing] = np.nan
    return pd.DataFrame(
        {
            "participant_id": ids.repeat(n_items),
            "timepoint": pd.array(["session1"] * (n_participants * n_items), dtype="str"),
            "item": np.tile(np.arange(1, n_items + 1, dtype=np.int64), n_participants),
            "value": values,
        }
    )


def pivot_score(responses: pd.DataFrame, key: InstrumentKey) -> pd.DataFrame:
    """The idiomatic pandas scorer: pivot to wide, then vectorised scale scores."""
    info = key.instrument
    wide = responses.pivot(index=["participant_id", "timepoint"], columns="item", values="value")
    wide = wide.reindex(columns=range(1, info.n_items + 1))
    for item in info.reverse_items:
        wide[item] = key.item_min[item] + key.item_max[item] - wide[item]
    out = {}
    for scale in key.scales:
        block = wide[list(scale.items)]
        answered = block.notna().sum(axis=1)
        ok = (len(scale.items) - answered <= scale.max_missing) & (answered > 0)
        mean = block.mean(axis=1)
        score = mean * len(scale.items) if key.aggregate_of(scale, None) == "sum" else mean
        out[scale.id] = score.where(ok)
        if scale.percent_of_max:
            lo = np.mean([key.item_min[i] for i in scale.items])
            hi = np.mean([key.item_max[i] for i in scale.items])
            out[f"{scale.id}_pct"] = 100.0 * (out[scale.id] - lo) / (hi - lo)
    for cls in key.classifications:
        if cls.kind == "all_at_least_pct":
            pct = pd.DataFrame({s: out[f"{s}_pct"] for s in cls.scales})
            met = (pct >= cls.threshold_pct - 1e-9).all(axis=1).astype(float)
            out[cls.id] = met.where(pct.notna().all(axis=1))
    return pd.DataFrame(out)


def naive_score(responses: pd.DataFrame, key: InstrumentKey) -> pd.DataFrame:
    """The way scoring is often first written: one Python call per participant × timepoint."""
    scales = {s.id: (s.items, s.max_missing) for s in key.scales}

    def one(group: pd.DataFrame) -> pd.Series:
        by_item = pd.Series(group["value"].to_numpy(), index=group["item"].to_numpy())
        scores = {}
        for sid, (items, max_missing) in scales.items():
            answers = by_item.reindex(items)
            ok = answers.isna().sum() <= max_missing and answers.notna().any()
            scores[sid] = answers.mean() if ok else np.nan
        return pd.Series(scores)

    grouped = responses.groupby(["participant_id", "timepoint"])
    return grouped.apply(one, include_groups=False)


def best_of(repeats: int, func: Callable[[], pd.DataFrame]) -> tuple[pd.DataFrame, float]:
    best, result = np.inf, pd.DataFrame()
    for _ in range(repeats):
        start = time.perf_counter()
        result = func()
        best = min(best, time.perf_counter() - start)
    return result, best


def wide_of(scored: pd.DataFrame) -> pd.DataFrame:
    """Our long scores as one row per participant × timepoint, one column per scale."""
    return scored.pivot(index=["participant_id", "timepoint"], columns="scale", values="score")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--participants", type=int, default=300_000)
    parser.add_argument("--naive-participants", type=int, default=5_000)
    parser.add_argument("--missing", type=float, default=0.05)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seed", type=int, default=20240314)
    args = parser.parse_args()

    key = builtin_keys()["meq30"]
    responses = make_long_table(args.participants, key, missing=args.missing, seed=args.seed)
    n = len(responses)
    print(
        f"{args.participants:,} participants × {key.instrument.n_items} MEQ-30 items = "
        f"{n:,} responses ({args.missing:.0%} blank), ids and timepoints as text"
    )

    ours, t_ours = best_of(args.repeats, lambda: score_responses(responses, key))
    pivot, t_pivot = best_of(args.repeats, lambda: pivot_score(responses, key))
    mine = wide_of(ours).loc[pivot.index, list(pivot.columns)]
    assert_allclose(mine.to_numpy(), pivot.to_numpy(), rtol=1e-12, equal_nan=True)
    del mine

    sub = responses.iloc[: min(args.naive_participants, args.participants) * 30]
    naive, t_naive = best_of(1, lambda: naive_score(sub, key))
    check = wide_of(score_responses(sub, key)).loc[naive.index, list(naive.columns)]
    assert_allclose(check.to_numpy(), naive.to_numpy(), rtol=1e-12, equal_nan=True)

    rate_ours, rate_pivot, rate_naive = n / t_ours, n / t_pivot, len(sub) / t_naive
    print(f"score_responses:         {t_ours:7.2f} s  {rate_ours / 1e6:8.2f} M responses/s")
    print(f"pandas pivot + scales:   {t_pivot:7.2f} s  {rate_pivot / 1e6:8.2f} M responses/s")
    print(
        f"naive groupby().apply(): {t_naive:7.2f} s  {rate_naive / 1e6:8.3f} M responses/s "
        f"(on {len(sub):,} responses)"
    )
    print("scores agree with both baselines (every scale; rtol 1e-12)")
    ratio = rate_ours / rate_pivot
    print(
        f"speed-up over the pandas pivot: {ratio:.1f}×; over the naive scorer: "
        f"{rate_ours / rate_naive:,.0f}×"
    )
    print(
        f"targets: ≥ 5 M responses/s {'met' if rate_ours >= 5e6 else 'NOT met'} "
        f"({rate_ours / 1e6:.1f} M/s); ≥ 3× the pivot {'met' if ratio >= 3 else 'NOT met'} "
        f"({ratio:.1f}×)"
    )


if __name__ == "__main__":
    main()
