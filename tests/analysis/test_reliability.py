"""The reliability family: every scale × timepoint with item data, scored as the engine scores.

α is checked against ``pingouin.cronbach_alpha`` (the test-only oracle) on the complete item
sets of the demo and of a trial built here with a user key that has reverse-keyed items.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pingouin as pg
import pytest
from numpy.testing import assert_allclose

import patalliance
from patalliance.document import build_document
from patalliance.pipeline import prepare
from patalliance.status import Status

KEY = """\
[instrument]
id = "rev4"
name = "A four-item scale with two reverse-keyed items"
abbreviation = "REV4"
citation = "none"
verified = false
n_items = 4
response_min = 1
response_max = 5
reverse_items = [2, 4]
aggregate = "sum"

[[scales]]
id = "total"
label = "Total"
items = [1, 2, 3, 4]

[[scales]]
id = "single"
label = "Single"
items = [1]
"""

STUDY = """\
[study]
id = "rev"
title = "Reverse keying"

[arms]
a = {{ label = "A" }}

[[timepoints]]
id = "t1"
[[timepoints]]
id = "t2"

[data]
responses = "responses.csv"
participants = "participants.csv"

[measures.scale]
instrument = "rev4"
key = "rev4.toml"
timepoints = ["t1", "t2"]

[analysis]
{extra}
"""


def _trial(folder: Path, *, extra: str = "", n: int = 30) -> tuple[Path, np.ndarray]:
    """Items 2 and 4 answered on the reversed scale; P0 misses item 3; at t2 only P0 and P1
    answered (one complete set)."""
    rng = np.random.default_rng(11)
    f = rng.normal(size=n)
    keyed = np.clip(np.rint(3 + 1.2 * f[:, None] + rng.normal(0, 0.7, (n, 4))), 1, 5)
    raw = keyed.copy()
    raw[:, [1, 3]] = 6 - keyed[:, [1, 3]]
    raw[0, 2] = np.nan  # one incomplete set at t1
    rows = []
    for p in range(n):
        for tp in ("t1", "t2") if p < 2 else ("t1",):
            for item in range(4):
                v = raw[p, item]
                rows.append((f"P{p}", tp, "rev4", item + 1, "" if np.isnan(v) else int(v)))
    folder.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(
        rows, columns=["participant_id", "timepoint", "instrument", "item", "value"]
    ).to_csv(folder / "responses.csv", index=False)
    pd.DataFrame({"participant_id": [f"P{p}" for p in range(n)], "arm": "a"}).to_csv(
        folder / "participants.csv", index=False
    )
    (folder / "rev4.toml").write_text(KEY, encoding="utf-8")
    (folder / "study.toml").write_text(STUDY.format(extra=extra), encoding="utf-8")
    return folder / "study.toml", keyed


def test_demo_alpha_matches_pingouin_on_the_validated_items() -> None:
    study = patalliance.demo_study()
    res = patalliance.analyze(study)
    prepared = prepare(study)
    responses = prepared.validated.responses
    assert len(res.reliability) == 50
    checked = 0
    for rec in res.reliability:
        assert rec.status is Status.OK, rec
        key = prepared.keys[rec.measure]
        scale = key.scale(rec.scale)
        if scale.max_of or key.instrument.reverse_items:
            continue
        rows = responses[
            (responses["instrument"] == study.measures[rec.measure].instrument)
            & (responses["timepoint"] == rec.timepoint)
            & responses["item"].isin(scale.items)
        ]
        wide = rows.pivot(index="participant_id", columns="item", values="value").dropna()
        alpha, ci = pg.cronbach_alpha(data=wide, ci=rec.confidence_level)
        assert rec.n == len(wide) and rec.n_items == len(scale.items)
        assert_allclose(rec.alpha, alpha, rtol=0, atol=1e-10)
        assert_allclose([rec.alpha_ci_low, rec.alpha_ci_high], ci, atol=5e-4 + 1e-12)
        checked += 1
    assert checked == 50
    total = next(r for r in res.reliability if r.variable == "alliance.total@prep")
    assert [i.item for i in total.items] == [f"item {j}" for j in range(1, 13)]


def test_reverse_keyed_items_are_reversed_before_alpha(tmp_path: Path) -> None:
    path, keyed = _trial(tmp_path / "s")
    res = patalliance.analyze(path)
    t1 = next(r for r in res.reliability if r.variable == "scale.total@t1")
    alpha, ci = pg.cronbach_alpha(data=pd.DataFrame(keyed[1:]))
    assert t1.status is Status.OK and t1.n == 29 and t1.n_excluded == 1
    assert_allclose(t1.alpha, alpha, rtol=0, atol=1e-10)
    assert_allclose([t1.alpha_ci_low, t1.alpha_ci_high], ci, atol=5e-4 + 1e-12)
    raw = keyed[1:].copy()
    raw[:, [1, 3]] = 6 - raw[:, [1, 3]]
    raw_alpha, _ = pg.cronbach_alpha(data=pd.DataFrame(raw))
    assert raw_alpha < 0 < t1.alpha  # unreversed, the two reverse-keyed items ruin α
    assert all(i.item_total_r > 0 for i in t1.items)


def test_too_few_items_or_complete_sets_are_not_estimable(tmp_path: Path) -> None:
    path, _ = _trial(tmp_path / "s")
    res = patalliance.analyze(path)
    by_var = {r.variable: r for r in res.reliability}
    single = by_var["scale.single@t1"]
    assert single.status is Status.NOT_ESTIMABLE and "at least 2" in single.reason
    t2 = by_var["scale.total@t2"]
    assert t2.status is Status.NOT_ESTIMABLE and (t2.n, t2.n_excluded) == (1, 1)
    assert "at least 3" in t2.reason
    assert np.isnan(t2.alpha) and np.isnan(t2.omega)
    doc = build_document(res)
    assert [r["timepoint"] for r in doc["reliability"]] == ["t1", "t1", "t2", "t2"]
    assert doc["reliability"][3]["alpha"] is None


@pytest.mark.parametrize(("extra", "expected"), [("reliability = false", 0), ("", 4)])
def test_plan_option_turns_the_family_off(tmp_path: Path, extra: str, expected: int) -> None:
    path, _ = _trial(tmp_path / "s", extra=extra)
    res = patalliance.analyze(path)
    assert len(res.reliability) == expected
    assert ("reliability" in build_document(res)) is bool(expected)
    assert set(res.reliability.to_frame().columns) >= {"alpha_ci_low", "omega", "status"}
