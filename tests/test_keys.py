"""Worked examples for every shipped scoring key, computed by hand from the published keys.

Each test names the source its key comes from (the citation in the key file). The expected
numbers are written out as hand arithmetic in the comments, independent of the engine.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from patalliance.errors import ConfigError
from patalliance.instruments import (
    InstrumentKey,
    builtin_keys,
    load_key,
    scale_range,
    score_matrix,
    score_responses,
)

NAN = np.nan


@pytest.fixture(scope="module")
def keys() -> dict[str, InstrumentKey]:
    return builtin_keys()


def one_row(values: dict[int, float], n_items: int) -> np.ndarray:
    """A 1 × n_items matrix with the given item values (1-based) and NaN elsewhere."""
    row = np.full((1, n_items), NAN)
    for item, value in values.items():
        row[0, item - 1] = value
    return row


def scores_of(matrix: np.ndarray, key: InstrumentKey) -> dict[str, tuple[float, int, bool]]:
    """(score, n_valid, prorated) of the first row, by scale id."""
    out = score_matrix(matrix, key)
    return {k: (float(v[0][0]), int(v[1][0]), bool(v[2][0])) for k, v in out.items()}


def long_table(pid: str, timepoint: str, values: list[float]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "participant_id": pid,
            "timepoint": timepoint,
            "item": np.arange(1, len(values) + 1),
            "value": np.asarray(values, dtype=float),
        }
    )


def test_every_shipped_key_has_a_test() -> None:
    assert set(builtin_keys()) == {
        "wai_sr",
        "meq30",
        "ebi",
        "piq",
        "ceq",
        "grid_hamd17",
        "qids_sr16",
    }


# --------------------------------------------------------------------------------------------
# WAI-SR: Hatcher, R. L., & Gillaspy, J. A. (2006). Development and validation of a revised
# short version of the Working Alliance Inventory. Psychotherapy Research, 16(1), 12-25.
# 12 items 1-5; Goal = 4, 6, 8, 11; Task = 1, 2, 10, 12; Bond = 3, 5, 7, 9; sums.
# --------------------------------------------------------------------------------------------
WAI = [4, 4, 5, 3, 4, 4, 5, 3, 4, 4, 3, 4]  # items 1..12


def test_wai_sr_full_responses(keys: dict[str, InstrumentKey]) -> None:
    """Hatcher & Gillaspy (2006): subscales and total are item sums."""
    key = keys["wai_sr"]
    s = scores_of(np.array([WAI], dtype=float), key)
    # goal = i4 + i6 + i8 + i11 = 3 + 4 + 3 + 3 = 13
    # task = i1 + i2 + i10 + i12 = 4 + 4 + 4 + 4 = 16
    # bond = i3 + i5 + i7 + i9 = 5 + 4 + 5 + 4 = 18
    # total = 13 + 16 + 18 = 47
    assert_allclose([s["goal"][0], s["task"][0], s["bond"][0], s["total"][0]], [13, 16, 18, 47])
    assert_array_equal([s["goal"][1], s["total"][1]], [4, 12])
    assert not s["total"][2]
    assert scale_range(key, "goal") == (4.0, 20.0)
    assert scale_range(key, "total") == (12.0, 60.0)


def test_wai_sr_mean_metric(keys: dict[str, InstrumentKey]) -> None:
    """Hatcher & Gillaspy (2006): the 1-5 item-mean metric via aggregate="mean"."""
    key = keys["wai_sr"]
    table = long_table("007", "prep", WAI)
    scored = score_responses(table, key, aggregate="mean").set_index("scale")
    # goal 13/4, task 16/4, bond 18/4, total 47/12
    assert_allclose(
        scored.loc[["goal", "task", "bond", "total"], "score"].to_numpy(),
        [13 / 4, 4.0, 4.5, 47 / 12],
    )
    assert set(scored["participant_id"]) == {"007"}
    assert scale_range(key, "total", aggregate="mean") == (1.0, 5.0)


def test_wai_sr_proration_at_and_above_the_limit(keys: dict[str, InstrumentKey]) -> None:
    """Hatcher & Gillaspy (2006) key; max_missing goal = 1, total = 2 (key file)."""
    key = keys["wai_sr"]
    rows = np.array([WAI, WAI, WAI, WAI], dtype=float)
    rows[0, 3] = NAN  # goal item 4 missing: at the goal limit (1)
    rows[1, [3, 5]] = NAN  # goal items 4 and 6 missing: above the limit
    rows[2, [0, 1]] = NAN  # task items 1, 2 missing: total at its limit (2)
    rows[3, [0, 1, 2]] = NAN  # three items missing: total above its limit
    out = score_matrix(rows, key)
    goal, goal_n, goal_pro = out["goal"]
    total, total_n, total_pro = out["total"]
    # row 0: goal = (i6 + i8 + i11) / 3 × 4 = (4 + 3 + 3) / 3 × 4 = 13.333...
    assert_allclose(goal[0], 10 / 3 * 4)
    assert goal_pro[0] and goal_n[0] == 3
    # row 1: two goal items missing > max_missing = 1 → missing
    assert np.isnan(goal[1]) and not goal_pro[1]
    # row 2: total = (47 - 4 - 4) / 10 × 12 = 46.8; task = (4 + 4) / 2 × 4 would be above
    # task's limit (2 of 4 missing) → missing
    assert_allclose(total[2], 39 / 10 * 12)
    assert total_pro[2] and total_n[2] == 10
    assert np.isnan(out["task"][0][2])
    # row 3: 3 of 12 missing > 2 → missing
    assert np.isnan(total[3]) and not total_pro[3]


# --------------------------------------------------------------------------------------------
# MEQ-30: Barrett, F. S., Johnson, M. W., & Griffiths, R. R. (2015). Validation of the revised
# Mystical Experience Questionnaire in experimental sessions with psilocybin. Journal of
# Psychopharmacology, 29(11), 1182-1190. Items 0-5; scales are item means; % of maximum;
# complete mystical experience = >= 60% of maximum on all four scales.
# --------------------------------------------------------------------------------------------
MYSTICAL = [4, 5, 6, 9, 14, 15, 16, 18, 20, 21, 23, 24, 25, 26, 28]
POSITIVE_MOOD = [2, 8, 12, 17, 27, 30]
TRANSCENDENCE = [1, 7, 11, 13, 19, 22]
INEFFABILITY = [3, 10, 29]


def test_meq30_full_responses(keys: dict[str, InstrumentKey]) -> None:
    """Barrett, Johnson & Griffiths (2015): means and percent of maximum (mean / 5 × 100)."""
    key = keys["meq30"]
    values = [i % 6 for i in range(1, 31)]  # 1,2,3,4,5,0,1,2,...
    s = scores_of(np.array([values], dtype=float), key)
    # mystical items → 4,5,0,3,2,3,4,0,2,3,5,0,1,2,4: sum 38, mean 38/15
    # positive mood items 2,8,12,17,27,30 → 2,2,0,5,3,0: sum 12, mean 2
    # transcendence items 1,7,11,13,19,22 → 1,1,5,1,1,4: sum 13, mean 13/6
    # ineffability items 3,10,29 → 3,4,5: mean 4
    # total: five blocks of 1+2+3+4+5+0 = 15 → 75 / 30 = 2.5
    expected = {
        "mystical": 38 / 15,
        "positive_mood": 2.0,
        "transcendence": 13 / 6,
        "ineffability": 4.0,
        "total": 2.5,
    }
    for scale, value in expected.items():
        assert_allclose(s[scale][0], value)
        assert_allclose(s[f"{scale}_pct"][0], value / 5 * 100)
    # mystical 50.7% < 60% → not complete
    assert s["complete"][0] == 0.0


def test_meq30_complete_mystical_experience_threshold(keys: dict[str, InstrumentKey]) -> None:
    """Barrett et al. (2015): complete = every scale >= 60% of maximum (mean >= 3 of 5)."""
    key = keys["meq30"]
    at = np.full(30, 3.0)  # every scale mean 3 = exactly 60%
    below = at.copy()
    below[MYSTICAL[0] - 1] = 2.0  # mystical mean (14 × 3 + 2) / 15 = 2.9333 → 58.67%
    below_ineff = at.copy()
    below_ineff[INEFFABILITY[0] - 1] = 2.0  # ineffability 8/3 = 2.667 → 53.3%
    high_but_one = np.full(30, 5.0)
    high_but_one[[i - 1 for i in POSITIVE_MOOD]] = 2.0  # positive mood 40%
    out = score_matrix(np.vstack([at, below, below_ineff, high_but_one]), key)
    assert_allclose(out["mystical_pct"][0][:2], [60.0, 44 / 15 / 5 * 100])
    assert_array_equal(out["complete"][0], [1.0, 0.0, 0.0, 0.0])


def test_meq30_proration(keys: dict[str, InstrumentKey]) -> None:
    """Barrett et al. (2015) key; max_missing mystical = 3, ineffability = 0 (key file)."""
    key = keys["meq30"]
    rows = np.full((3, 30), 4.0)
    rows[:, [i - 1 for i in MYSTICAL[:3]]] = 1.0
    rows[0, [i - 1 for i in MYSTICAL[:3]]] = NAN  # 3 missing: at the limit, mean of 12 fours
    rows[1, [i - 1 for i in MYSTICAL[:4]]] = NAN  # 4 missing: above the limit
    rows[2, INEFFABILITY[0] - 1] = NAN  # ineffability allows none
    out = score_matrix(rows, key)
    mystical, n_valid, prorated = out["mystical"]
    assert_allclose(mystical[0], 4.0)  # (12 × 4) / 12: a mean scale is the mean of valid items
    assert n_valid[0] == 12 and prorated[0]
    assert np.isnan(mystical[1]) and n_valid[1] == 11 and not prorated[1]
    assert np.isnan(out["ineffability"][0][2])
    # the classification is missing when one of its scales is missing
    assert np.isnan(out["complete"][0][1]) and np.isnan(out["complete"][0][2])
    # row 2's mystical mean: (3 × 1 + 12 × 4) / 15 = 3.4 (complete, present)
    assert_allclose(out["mystical"][0][2], 51 / 15)


# --------------------------------------------------------------------------------------------
# EBI: Roseman, L., Haijen, E., Idialu-Ikato, K., Kaelen, M., Watts, R., & Carhart-Harris, R.
# (2019). Emotional breakthrough and psychedelics: Validation of the Emotional Breakthrough
# Inventory. Journal of Psychopharmacology, 33(9), 1076-1087. 6 items 0-100 (VAS), mean.
# --------------------------------------------------------------------------------------------


def test_ebi_full_and_prorated(keys: dict[str, InstrumentKey]) -> None:
    """Roseman et al. (2019): total = mean of the 6 VAS items; max_missing = 1 (key file)."""
    key = keys["ebi"]
    full = [55.5, 70, 12, 80, 64.25, 30]
    one_missing = [55.5, NAN, 12, 80, 64.25, 30]
    two_missing = [55.5, NAN, NAN, 80, 64.25, 30]
    score, n_valid, prorated = score_matrix(np.array([full, one_missing, two_missing]), key)[
        "total"
    ]
    # 55.5 + 70 + 12 + 80 + 64.25 + 30 = 311.75 → / 6 = 51.958333...
    # without item 2: 241.75 / 5 = 48.35
    assert_allclose(score[:2], [311.75 / 6, 241.75 / 5])
    assert np.isnan(score[2])
    assert_array_equal(n_valid, [6, 5, 4])
    assert_array_equal(prorated, [False, True, False])
    assert scale_range(key, "total") == (0.0, 100.0)


# --------------------------------------------------------------------------------------------
# PIQ: Davis, A. K., Barrett, F. S., So, S., Gukasyan, N., Swift, T. C., & Griffiths, R. R.
# (2021). Development of the Psychological Insight Questionnaire among a sample of people who
# have consumed psilocybin or LSD. Journal of Psychopharmacology, 35(4), 437-446.
# 23 items 0-5, means; subscale mapping UNVERIFIED (key file).
# --------------------------------------------------------------------------------------------
PIQ_AVOIDANCE = [1, 3, 5, 7, 9, 10, 12, 14, 15, 17, 18, 19, 21, 23]
PIQ_GOALS = [2, 4, 6, 8, 11, 13, 16, 20, 22]


def test_piq_full_and_prorated(keys: dict[str, InstrumentKey]) -> None:
    """Davis et al. (2021): total = mean of 23 items; max_missing total = 4 (key file)."""
    key = keys["piq"]
    values = np.array([4.0 if i in PIQ_AVOIDANCE else 1.0 for i in range(1, 24)])
    at_limit = values.copy()
    at_limit[[i - 1 for i in PIQ_AVOIDANCE[:4]]] = NAN
    above = values.copy()
    above[[i - 1 for i in PIQ_AVOIDANCE[:5]]] = NAN
    out = score_matrix(np.vstack([values, at_limit, above]), key)
    # avoidance 14 × 4 / 14 = 4; goals 9 × 1 / 9 = 1; total (56 + 9) / 23 = 65 / 23
    assert_allclose(out["avoidance"][0][0], 4.0)
    assert_allclose(out["goals"][0][0], 1.0)
    assert_allclose(out["total"][0][0], 65 / 23)
    # 4 missing avoidance items: total (40 + 9) / 19; avoidance above its limit of 2
    assert_allclose(out["total"][0][1], 49 / 19)
    assert out["total"][2][1]
    assert np.isnan(out["avoidance"][0][1])
    assert np.isnan(out["total"][0][2])
    assert not key.verified_everywhere  # the subscales are flagged as unverified


# --------------------------------------------------------------------------------------------
# CEQ: Barrett, F. S., Bradstreet, M. P., Leoutsakos, J.-M. S., Johnson, M. W., & Griffiths,
# R. R. (2016). The Challenging Experience Questionnaire: Characterization of challenging
# experiences with psilocybin mushrooms. Journal of Psychopharmacology, 30(12), 1279-1295.
# 26 items 0-5, means; seven factor mappings UNVERIFIED (key file).
# --------------------------------------------------------------------------------------------
CEQ_FACTORS = {
    "grief": ([2, 6, 9, 11, 23, 25], 1.0),
    "fear": ([4, 7, 14, 21, 26], 2.0),
    "death": ([16, 20], 3.0),
    "insanity": ([8, 13, 19], 4.0),
    "isolation": ([1, 10, 24], 5.0),
    "physical_distress": ([3, 5, 15, 17, 18], 0.0),
    "paranoia": ([12, 22], 2.0),
}


def test_ceq_full_and_prorated(keys: dict[str, InstrumentKey]) -> None:
    """Barrett et al. (2016): factor and total scores are item means."""
    key = keys["ceq"]
    values = np.full(26, NAN)
    for items, level in CEQ_FACTORS.values():
        values[[i - 1 for i in items]] = level
    assert not np.isnan(values).any()  # the seven factors cover the 26 items
    fear_one_missing = values.copy()
    fear_one_missing[4 - 1] = NAN
    death_one_missing = values.copy()
    death_one_missing[16 - 1] = NAN
    out = score_matrix(np.vstack([values, fear_one_missing, death_one_missing]), key)
    for factor, (_, level) in CEQ_FACTORS.items():
        assert_allclose(out[factor][0][0], level)
    # total = (6×1 + 5×2 + 2×3 + 3×4 + 3×5 + 5×0 + 2×2) / 26 = 53 / 26
    assert_allclose(out["total"][0][0], 53 / 26)
    # fear: max_missing 1 → mean of the 4 others = 2; total (53 - 2) / 25
    assert_allclose(out["fear"][0][1], 2.0)
    assert out["fear"][2][1]
    assert_allclose(out["total"][0][1], 51 / 25)
    # death: 2 items, max_missing 0 → missing
    assert np.isnan(out["death"][0][2])
    assert all(not key.scale(f).verified for f in CEQ_FACTORS)


# --------------------------------------------------------------------------------------------
# GRID-HAMD-17: Williams, J. B. W., Kobak, K. A., Bech, P., Engelhardt, N., Evans, K.,
# Lipsitz, J., Olin, J., Pearson, J., & Kalali, A. (2008). The GRID-HAMD: Standardization of
# the Hamilton Depression Rating Scale. International Clinical Psychopharmacology, 23(3),
# 120-129. Severity bands: Zimmerman, M., Martinez, J. H., Young, D., Chelminski, I., &
# Dalrymple, K. (2013). Journal of Affective Disorders, 150(2), 384-388.
# Item ranges: the 17-item Hamilton scale form (CamCOPS hamd.xml: items 1-3, 7-11 and 15 have
# anchors 0-4, items 4-6, 12-14, 16 and 17 anchors 0-2), which the GRID-HAMD keeps (Bech et
# al. 2005, Am J Psychiatry 162:2396).
# --------------------------------------------------------------------------------------------
HAMD_0_4 = [1, 2, 3, 7, 8, 9, 10, 11, 15]
HAMD_0_2 = [4, 5, 6, 12, 13, 14, 16, 17]


def test_grid_hamd17_item_ranges(keys: dict[str, InstrumentKey]) -> None:
    """Hamilton scale form (GRID-HAMD keeps its scaling): 9 items 0-4 and 8 items 0-2;
    total 0-52 (9×4 + 8×2)."""
    key = keys["grid_hamd17"]
    assert {i for i, hi in key.item_max.items() if hi == 4} == set(HAMD_0_4)
    assert {i for i, hi in key.item_max.items() if hi == 2} == set(HAMD_0_2)
    assert set(key.item_min.values()) == {0}
    assert scale_range(key, "total") == (0.0, 52.0)
    top = np.array([[key.item_max[i] for i in range(1, 18)]], dtype=float)
    assert_allclose(score_matrix(top, key)["total"][0], [52.0])


def test_grid_hamd17_full_responses_and_no_proration(keys: dict[str, InstrumentKey]) -> None:
    """Williams et al. (2008): total = sum of 17 items; max_missing = 0 (key file)."""
    key = keys["grid_hamd17"]
    values = [3, 2, 1, 2, 1, 0, 2, 2, 1, 2, 1, 1, 1, 1, 2, 1, 0]
    # 3+2+1+2+1+0+2+2+1+2+1+1+1+1+2+1+0 = 23 → moderate (17-23)
    scored = score_responses(long_table("P01", "baseline", values), key).set_index("scale")
    assert_allclose(scored.loc["total", "score"], 23.0)
    assert scored.loc["total", "band"] == "moderate"
    missing_one = np.array([values], dtype=float)
    missing_one[0, 5] = NAN
    assert np.isnan(score_matrix(missing_one, key)["total"][0][0])


@pytest.mark.parametrize(
    ("total", "band"),
    [
        (0, "none"),
        (7, "none"),
        (8, "mild"),
        (16, "mild"),
        (17, "moderate"),
        (23, "moderate"),
        (24, "severe"),
        (52, "severe"),
    ],
)
def test_grid_hamd17_severity_bands(keys: dict[str, InstrumentKey], total: int, band: str) -> None:
    """Zimmerman et al. (2013): none 0-7, mild 8-16, moderate 17-23, severe >= 24."""
    key = keys["grid_hamd17"]
    values, left = [], total
    for item in range(1, 18):  # fill items up to their maximum until the total is reached
        v = min(left, int(key.item_max[item]))
        values.append(v)
        left -= v
    assert sum(values) == total
    scored = score_responses(long_table("P01", "baseline", values), key)
    row = scored[scored["scale"] == "total"].iloc[0]
    assert row["score"] == total
    assert row["band"] == band


# --------------------------------------------------------------------------------------------
# QIDS-SR16: Rush, A. J., Trivedi, M. H., Ibrahim, H. M., Carmody, T. J., Arnow, B., Klein,
# D. N., Markowitz, J. C., Ninan, P. T., Kornstein, S., Manber, R., Thase, M. E., Kocsis,
# J. H., & Keller, M. B. (2003). Biological Psychiatry, 54(5), 573-583.
# Total 0-27 = max(1-4) + 5 + max(6-9) + 10 + 11 + 12 + 13 + 14 + max(15, 16).
# Missing items, as in the Johns Hopkins BPRU library's qids.scoring: the sleep (1-4) and
# psychomotor (15-16) maxima need every item, the appetite/weight maximum (6-9) any answered
# item (respondents answer one of 6/7 and one of 8/9), items 5 and 10-14 are needed.
# --------------------------------------------------------------------------------------------
QIDS = {1: 0, 2: 3, 3: 1, 4: 2, 5: 2, 6: 1, 7: 0, 8: 2, 9: 0}
QIDS.update({10: 1, 11: 2, 12: 0, 13: 1, 14: 3, 15: 1, 16: 2})


def test_qids_sr16_max_of_domains(keys: dict[str, InstrumentKey]) -> None:
    """Rush et al. (2003): sleep, appetite/weight and psychomotor count once, as their max."""
    key = keys["qids_sr16"]
    table = long_table("P01", "baseline", [QIDS[i] for i in range(1, 17)])
    scored = score_responses(table, key).set_index("scale")
    # sleep max(0, 3, 1, 2) = 3; item 5 = 2; appetite max(1, 0, 2, 0) = 2;
    # items 10-14 = 1 + 2 + 0 + 1 + 3 = 7; psychomotor max(1, 2) = 2
    # total = 3 + 2 + 2 + 7 + 2 = 16 → severe (16-20)
    assert_allclose(scored.loc["total", "score"], 16.0)
    assert scored.loc["total", "band"] == "severe"
    assert scored.loc["total", "n_valid"] == 9  # nine components, all answered
    assert scored.loc["total", "n_items"] == 9
    assert scale_range(key, "total") == (0.0, 27.0)
    assert_allclose(score_matrix(np.full((1, 16), 3.0), key)["total"][0], [27.0])


def qids_without(*items: int) -> np.ndarray:
    """The QIDS example above with the given items missing."""
    return one_row({i: v for i, v in QIDS.items() if i not in items}, 16)


def test_qids_sr16_missing_sleep_item_leaves_the_total_missing(
    keys: dict[str, InstrumentKey],
) -> None:
    """BPRU qids.scoring: the sleep domain (items 1-4) is the max of all four items, missing
    when any is missing. Item 2 missing → sleep missing → total missing (max_missing = 0),
    even though max(0, ., 1, 2) = 2 could be computed from the other three."""
    key = keys["qids_sr16"]
    score, n_valid, prorated = score_matrix(qids_without(2), key)["total"]
    assert np.isnan(score[0])
    assert n_valid[0] == 8 and not prorated[0]  # 9 domains, sleep missing


def test_qids_sr16_one_appetite_item_of_a_pair_is_enough(keys: dict[str, InstrumentKey]) -> None:
    """BPRU qids.scoring: the appetite/weight domain (items 6-9) is the max of its answered
    items; respondents answer one of 6/7 and one of 8/9. Item 6 missing, item 7 answered →
    appetite max(., 0, 2, 0) = 2 and the total is computed: 3 + 2 + 2 + 7 + 2 = 16."""
    key = keys["qids_sr16"]
    score, n_valid, prorated = score_matrix(qids_without(6), key)["total"]
    assert_allclose(score[0], 16.0)
    assert n_valid[0] == 9 and not prorated[0]
    # only one item of the domain answered (6 and 8, 9 missing; 7 = 0) → appetite 0 → 14
    assert_allclose(score_matrix(qids_without(6, 8, 9), key)["total"][0], [14.0])
    # no item of the domain answered → appetite missing → total missing
    assert np.isnan(score_matrix(qids_without(6, 7, 8, 9), key)["total"][0][0])


def test_qids_sr16_missing_psychomotor_or_single_item(keys: dict[str, InstrumentKey]) -> None:
    """BPRU qids.scoring: the psychomotor domain (15-16) needs both items; items 5 and 10-14
    are domains of their own. Item 15 missing → total missing (max(., 2) is not used);
    item 5 or item 12 missing → total missing."""
    key = keys["qids_sr16"]
    rows = np.vstack([qids_without(15), qids_without(16), qids_without(5), qids_without(12)])
    score, n_valid, _ = score_matrix(rows, key)["total"]
    assert np.isnan(score).all()
    assert_array_equal(n_valid, [8, 8, 8, 8])


def test_max_of_min_present_in_a_user_key(tmp_path: Path) -> None:
    """docs/instrument-keys.md: min_present = 2 of a 3-item max_of group; the default (1)
    takes the max of whichever items are answered."""
    path = tmp_path / "groups.toml"
    path.write_text(
        GROUP_KEY.replace("GROUPS", "{ items = [1, 2, 3], min_present = 2 }"), encoding="utf-8"
    )
    key = load_key(path)
    rows = np.array([[1, 3, NAN, 2], [NAN, 3, NAN, 2], [1, 0, 2, NAN]])
    score = score_matrix(rows, key)["total"][0]
    # row 0: max(1, 3) + 2 = 5; row 1: one of three answered < 2 → group missing → missing;
    # row 2: max(1, 0, 2) = 2, item 4 missing → missing
    assert_allclose(score[0], 5.0)
    assert np.isnan(score[1:]).all()
    path.write_text(GROUP_KEY.replace("GROUPS", "{ items = [1, 2, 3] }"), encoding="utf-8")
    assert_allclose(score_matrix(rows[1:2], load_key(path))["total"][0], [5.0])  # 3 + 2


GROUP_KEY = """\
[instrument]
id = "groups"
name = "Toy scale with a max_of group"
abbreviation = "GRP"
citation = "Test fixture."
verified = false
n_items = 4
response_min = 0
response_max = 3
aggregate = "sum"

[[scales]]
id = "total"
label = "Total"
items = [1, 2, 3, 4]
max_of = [GROUPS]
"""


@pytest.mark.parametrize(
    ("groups", "message"),
    [
        ("{ items = [1, 2, 3], min_present = 0 }", "min_present must be 'all' or a whole number"),
        ("{ items = [1, 2, 3], min_present = 4 }", "from 1 to 3"),
        ('{ items = [1, 2, 3], min_present = "some" }', "min_present"),
        ("{ items = [1, 2, 3], min_present = true }", "min_present"),
        ("{ items = [1, 2, 3], required = 2 }", "required: unknown key"),
    ],
)
def test_max_of_min_present_errors(tmp_path: Path, groups: str, message: str) -> None:
    path = tmp_path / "groups.toml"
    path.write_text(GROUP_KEY.replace("GROUPS", groups), encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_key(path)
    assert str(path) in str(info.value)
    assert message in str(info.value)


# --------------------------------------------------------------------------------------------
# Reverse keying: none of the shipped keys has reverse-keyed items, so a user key tests it.
# Rule (docs/instrument-keys.md): a reversed item scores min + max - x with its own range.
# --------------------------------------------------------------------------------------------
USER_KEY = """\
[instrument]
id = "toy"
name = "Toy scale with reverse-keyed items"
abbreviation = "TOY"
citation = "Test fixture; reverse keying as in Hatcher & Gillaspy (2006), p. 14 (none there)."
verified = false
n_items = 5
response_min = 1
response_max = 5
reverse_items = [2, 5]
aggregate = "sum"
item_ranges = [{ items = [5], min = 0, max = 2 }]

[[scales]]
id = "total"
label = "Total"
items = [1, 2, 3, 4, 5]
max_missing = 1

[[scales]]
id = "first"
label = "First three"
items = [1, 2, 3]
aggregate = "mean"
"""


def test_user_key_reverse_items(tmp_path: Path) -> None:
    """Reverse keying: 1-5 items score 6 - x; item 5 (0-2) scores 2 - x."""
    path = tmp_path / "toy.toml"
    path.write_text(USER_KEY, encoding="utf-8")
    key = load_key(path)
    rows = np.array(
        [
            [5, 1, 4, 2, 0],  # 5 + (6-1) + 4 + 2 + (2-0) = 18
            [5, 5, 4, 2, 2],  # 5 + (6-5) + 4 + 2 + (2-2) = 12
            [NAN, 1, 4, 2, 0],  # (5 + 4 + 2 + 2) / 4 × 5 = 16.25, prorated
            [NAN, NAN, 4, 2, 0],  # 2 missing > max_missing 1 → missing
        ]
    )
    out = score_matrix(rows, key)
    total, n_valid, prorated = out["total"]
    assert_allclose(total[:3], [18.0, 12.0, 13 / 4 * 5])
    assert np.isnan(total[3])
    assert_array_equal(n_valid, [5, 5, 4, 3])
    assert_array_equal(prorated, [False, False, True, False])
    # first three, mean: (5 + 5 + 4) / 3 and (5 + 1 + 4) / 3
    assert_allclose(out["first"][0][:2], [14 / 3, 10 / 3])
    # the input matrix is not modified by reverse keying
    assert rows[0, 1] == 1
    assert scale_range(key, "total") == (4.0, 22.0)


# --------------------------------------------------------------------------------------------
# Key-model errors: ConfigError naming the file.
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("items = [1, 2, 3, 4, 5]", "items = [1, 2, 3, 4, 6]"), "item 6, outside 1..5"),
        (('id = "first"', 'id = "total"'), "'total' is defined twice"),
        (("reverse_items = [2, 5]", "reverse_items = [2, 5]\nreversed = [1]"), "reversed"),
        (("reverse_items = [2, 5]", "reverse_items = [2, 7]"), "item 7"),
        (('aggregate = "sum"', 'aggregate = "median"'), "aggregate"),
        (('id = "toy"', 'id = "toy'), "not valid TOML"),
    ],
)
def test_user_key_errors_name_the_file(
    tmp_path: Path, change: tuple[str, str], message: str
) -> None:
    old, new = change
    assert old in USER_KEY
    path = tmp_path / "broken_key.toml"
    path.write_text(USER_KEY.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_key(path)
    text = str(info.value)
    assert str(path) in text
    assert message in text


OUTCOME = """
[outcome]
scale = "total"
response_reduction_pct = 50
remission_max = 5
REQUIRES
source = "Test fixture."
"""


@pytest.mark.parametrize(
    ("requires", "message"),
    [
        ("", "outcome.remission_requires_response: required key is missing"),
        ('remission_requires_response = "yes"', "outcome.remission_requires_response"),
        ("remission_requires_response = 1", "outcome.remission_requires_response"),
        ("remission_requires_response = true\nremission_needs_response = true", "unknown key"),
    ],
)
def test_outcome_remission_rule_is_validated(tmp_path: Path, requires: str, message: str) -> None:
    """docs/instrument-keys.md: remission_requires_response is a required bool of [outcome]."""
    path = tmp_path / "outcome.toml"
    path.write_text(USER_KEY + OUTCOME.replace("REQUIRES", requires), encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_key(path)
    assert str(path) in str(info.value)
    assert message in str(info.value)


def test_outcome_rules_of_the_shipped_keys(keys: dict[str, InstrumentKey]) -> None:
    """Davis et al. (2021): GRID-HAMD remission needs a response and a total <= 7.
    STAR*D (Rush et al. 2006): QIDS-SR16 remission is a total <= 5 alone."""
    grid, qids = keys["grid_hamd17"].outcome, keys["qids_sr16"].outcome
    assert grid is not None and qids is not None
    assert (grid.remission_max, grid.remission_requires_response) == (7, True)
    assert (qids.remission_max, qids.remission_requires_response) == (5, False)
    assert grid.response_reduction_pct == qids.response_reduction_pct == 50


def test_missing_key_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not found"):
        load_key(tmp_path / "nope.toml")


def test_score_matrix_rejects_wrong_shape(keys: dict[str, InstrumentKey]) -> None:
    with pytest.raises(ValueError, match="12 columns"):
        score_matrix(np.zeros((2, 11)), keys["wai_sr"])
