"""Scoring benchmark: 1,000,000 participants × MEQ-30 (30 M item responses).

Times the patalliance scoring engine on the whole long table (``score_responses``) and on
the item matrix alone (``score_matrix``), and a naive pandas scorer
(``groupby(["participant_id", "timepoint"]).apply(...)``) on a subsample, extrapolated per
response. Both scorers must agree on the subsample.

Run::

    python benchmarks/bench_scoring.py                 # 1,000,000 participants
    python benchmarks/bench_scoring.py --participants 100000 --naive-participants 5000

Memory: the 30 M-row long table takes about 0.5 GB (categorical ids, int8 items, float64
values); the peak is a few GB.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd
from numpy.testing import assert_allclose

from patalliance.instruments import builtin_keys, score_matrix, score_responses
from patalliance.instruments.key import InstrumentKey

SCALES = ["mystical", "positive_mood", "transcendence", "ineffability", "total"]


def make_long_table(n_participants: int, key: InstrumentKey, *, seed: int) -> pd.DataFrame:
    """One session of MEQ-30 per participant, every item answered, built with numpy."""
    rng = np.random.default_rng(seed)
    n_items = key.instrument.n_items
    ids = pd.Index([f"P{i:07d}" for i in range(n_participants)], dtype=object)
    codes = np.repeat(np.arange(n_participants, dtype=np.int32), n_items)
    values = rng.integers(0, 6, size=n_participants * n_items).astype(np.float64)
    return pd.DataFrame(
        {
            "participant_id": pd.Categorical.from_codes(codes, categories=ids),
            "timepoint": pd.Categorical.from_codes(
                np.zeros(len(codes), dtype=np.int8), categories=pd.Index(["session1"])
            ),
            "item": np.tile(np.arange(1, n_items + 1, dtype=np.int8), n_participants),
            "value": values,
        }
    )


def naive_score(responses: pd.DataFrame, key: InstrumentKey) -> pd.DataFrame:
    """The way scoring is often written: one Python call per participant × timepoint."""
    items = {s.id: s.items for s in key.scales}

    def one(group: pd.DataFrame) -> pd.Series:
        by_item = pd.Series(group["value"].to_numpy(), index=group["item"].to_numpy())
        return pd.Series({sid: by_item.reindex(its).mean() for sid, its in items.items()})

    grouped = responses.assign(
        participant_id=responses["participant_id"].astype(str),
        timepoint=responses["timepoint"].astype(str),
    ).groupby(["participant_id", "timepoint"])
    return grouped.apply(one, include_groups=False)


def timed(func, *args, **kwargs):  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    result = func(*args, **kwargs)
    return result, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--participants", type=int, default=1_000_000)
    parser.add_argument("--naive-participants", type=int, default=20_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seed", type=int, default=20240314)
    args = parser.parse_args()

    key = builtin_keys()["meq30"]
    n_items = key.instrument.n_items
    responses, t_build = timed(make_long_table, args.participants, key, seed=args.seed)
    n_responses = len(responses)
    print(f"built {args.participants:,} participants × {n_items} items = {n_responses:,} responses")
    print(
        f"  (table build {t_build:.2f} s, {responses.memory_usage(deep=False).sum() / 2**20:,.0f} MiB)"
    )

    # ours: the whole long table → long scores (ids, scales, n_valid, prorated, bands)
    best_long = np.inf
    scored = pd.DataFrame()
    for _ in range(args.repeats):
        scored, t = timed(score_responses, responses, key)
        best_long = min(best_long, t)
    matrix = responses["value"].to_numpy().reshape(args.participants, n_items)
    best_matrix = np.inf
    for _ in range(args.repeats):
        _, t = timed(score_matrix, matrix, key)
        best_matrix = min(best_matrix, t)
    rate_long = n_responses / best_long
    rate_matrix = n_responses / best_matrix
    print(f"score_responses (long table): {best_long:.2f} s → {rate_long / 1e6:,.1f} M responses/s")
    # the same with text ids, as the CSV reader and validation produce them
    as_text = responses.assign(
        participant_id=responses["participant_id"].astype(str),
        timepoint=responses["timepoint"].astype(str),
    )
    best_text = np.inf
    for _ in range(args.repeats):
        _, t = timed(score_responses, as_text, key)
        best_text = min(best_text, t)
    del as_text
    rate_text = n_responses / best_text
    print(f"score_responses (text ids):   {best_text:.2f} s → {rate_text / 1e6:,.1f} M responses/s")
    print(
        f"score_matrix (item matrix):   {best_matrix:.2f} s → {rate_matrix / 1e6:,.1f} M responses/s"
    )

    # the naive scorer on a subsample, and agreement with ours there
    n_sub = min(args.naive_participants, args.participants)
    sub = responses.iloc[: n_sub * n_items]
    naive, t_naive = timed(naive_score, sub, key)
    naive_rate = len(sub) / t_naive
    ours_sub = score_responses(sub, key)
    wide = ours_sub.pivot_table(
        index=["participant_id", "timepoint"], columns="scale", values="score", observed=True
    )
    naive = naive.sort_index()
    wide = wide.loc[naive.index]
    assert_allclose(wide[SCALES].to_numpy(), naive[SCALES].to_numpy(), rtol=1e-12)
    assert_allclose(
        scored.loc[scored["scale"] == "total", "score"].to_numpy()[:n_sub],
        naive["total"].to_numpy(),
        rtol=1e-12,
    )
    print(
        f"naive groupby().apply() on {n_sub:,} participants ({len(sub):,} responses): "
        f"{t_naive:.2f} s → {naive_rate / 1e6:,.3f} M responses/s; "
        f"extrapolated to {n_responses:,} responses: {n_responses / naive_rate:,.0f} s"
    )
    print("scores agree with the naive scorer on the subsample (5 scales, rtol 1e-12)")
    speedup = min(rate_long, rate_text) / naive_rate
    print(
        f"speed-up over naive: {rate_long / naive_rate:,.0f}× (score_responses, categorical ids), "
        f"{rate_text / naive_rate:,.0f}× (text ids), "
        f"{rate_matrix / naive_rate:,.0f}× (score_matrix)"
    )
    ok_rate = min(rate_long, rate_text) >= 5e6
    ok_speed = speedup >= 20
    print(
        f"targets: ≥ 5 M responses/s {'met' if ok_rate else 'NOT met'}; "
        f"≥ 20× faster {'met' if ok_speed else 'NOT met'}"
    )


if __name__ == "__main__":
    main()
