"""Regenerate ``icc.json``: ICC(1), its F test and its F-based confidence interval.

Run ``python tests/reference/make_icc.py`` from the repository root. Uses pingouin,
statsmodels, scipy and numpy only (never ``patalliance``).

pingouin rounds the interval of ``intraclass_corr`` to 2 decimals by default, so the interval
is computed here at full precision by the closed form of McGraw & Wong (1996, Table 7, case 1)
with scipy's F quantiles, from the mean squares of a statsmodels one-way ANOVA; pingouin's
unrounded ICC(1,1) and interval (rounding switched off) are checked against it before writing.
Also holds the published example of Shrout & Fleiss (1979).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pingouin
import scipy
import statsmodels
import statsmodels.formula.api as smf
from _refio import dump, versions
from scipy import stats
from statsmodels.stats.anova import anova_lm

# Shrout & Fleiss (1979), Table 2: four judges rate six targets (rows: targets 1-6).
SHROUT_FLEISS = [
    [9.0, 2.0, 5.0, 8.0],
    [6.0, 1.0, 3.0, 2.0],
    [8.0, 4.0, 6.0, 8.0],
    [7.0, 1.0, 2.0, 6.0],
    [10.0, 5.0, 6.0, 9.0],
    [6.0, 2.0, 4.0, 7.0],
]
# Unbalanced clusters (facilitators with 1-5 participants); one value is missing (null) and
# one participant has no facilitator (null): both rows are left out. "E" is a singleton.
UNBALANCED_VALUES = [
    48.0, 52.0, 50.0, 47.0,
    39.0, 44.0, 41.0,
    55.0, 58.0, 51.0, 57.0, 54.0,
    45.0, 49.0,
    50.0,
    43.0, None, 46.0, 42.0,
    53.0,
]  # fmt: skip
UNBALANCED_CLUSTERS = [
    "A", "A", "A", "A",
    "B", "B", "B",
    "C", "C", "C", "C", "C",
    "D", "D",
    "E",
    "F", "F", "F", "F",
    None,
]  # fmt: skip


def icc_closed_form(values: np.ndarray, clusters: np.ndarray, level: float) -> dict:
    """ICC(1) from a statsmodels one-way ANOVA, with the McGraw & Wong (1996) interval."""
    frame = pd.DataFrame({"y": values, "g": clusters})
    table = anova_lm(smf.ols("y ~ C(g)", data=frame).fit())
    msb, msw = float(table["mean_sq"].iloc[0]), float(table["mean_sq"].iloc[1])
    df1, df2 = float(table["df"].iloc[0]), float(table["df"].iloc[1])
    sizes = frame.groupby("g").size().to_numpy()
    n, a = int(sizes.sum()), sizes.size
    k0 = float((n - np.sum(sizes**2) / n) / (a - 1))
    f = msb / msw
    q = 0.5 + level / 2.0
    f_low = f / stats.f.ppf(q, df1, df2)
    f_high = f * stats.f.ppf(q, df2, df1)
    return {
        "confidence_level": level,
        "n": n,
        "n_clusters": a,
        "n_singletons": int(np.sum(sizes == 1)),
        "k0": k0,
        "ms_between": msb,
        "ms_within": msw,
        "f": f,
        "df1": df1,
        "df2": df2,
        "p": float(stats.f.sf(f, df1, df2)),
        "icc": (msb - msw) / (msb + (k0 - 1.0) * msw),
        "ci_low": float((f_low - 1.0) / (f_low + k0 - 1.0)),
        "ci_high": float((f_high - 1.0) / (f_high + k0 - 1.0)),
    }


def pingouin_icc1(ratings: list[list[float]]) -> dict:
    """pingouin.intraclass_corr's ICC(1,1) row, with its rounding of the CI switched off."""
    long = pd.DataFrame(
        [
            {"target": t, "judge": j, "rating": r}
            for t, row in enumerate(ratings)
            for j, r in enumerate(row)
        ]
    )
    saved = dict(pingouin.options)
    pingouin.options["round.column.CI95"] = None
    try:
        table = pingouin.intraclass_corr(long, targets="target", raters="judge", ratings="rating")
    finally:
        pingouin.options.clear()
        pingouin.options.update(saved)
    row = table.set_index("Type").loc["ICC(1,1)"]
    return {
        "icc": float(row["ICC"]),
        "f": float(row["F"]),
        "p": float(row["pval"]),
        "ci_low": float(row["CI95"][0]),
        "ci_high": float(row["CI95"][1]),
    }


def main() -> None:
    sf = np.array(SHROUT_FLEISS)
    sf_values = sf.ravel()
    sf_targets = np.repeat([f"t{i + 1}" for i in range(sf.shape[0])], sf.shape[1])
    sf_ref = icc_closed_form(sf_values, sf_targets, 0.95)
    check = pingouin_icc1(SHROUT_FLEISS)
    for key, value in check.items():  # pingouin (two-way ANOVA route) agrees to rounding
        assert np.isclose(value, sf_ref[key], rtol=1e-12, atol=0), (key, value, sf_ref[key])

    values = np.array([np.nan if v is None else v for v in UNBALANCED_VALUES])
    clusters = np.array(UNBALANCED_CLUSTERS, dtype=object)
    keep = ~np.isnan(values) & np.array([c is not None for c in UNBALANCED_CLUSTERS])
    unbalanced = [
        icc_closed_form(values[keep], clusters[keep].astype(str), level) for level in (0.95, 0.9)
    ]
    out = {
        "family": "ICC(1) (patalliance.stats.icc1)",
        "provenance": {
            "script": "tests/reference/make_icc.py",
            "libraries": versions("scipy", "statsmodels", "pingouin", "pandas"),
            "source": (
                f"statsmodels {statsmodels.__version__} one-way ANOVA mean squares and scipy "
                f"{scipy.__version__} F distribution in the closed form below; pingouin "
                f"{pingouin.__version__} intraclass_corr (ICC(1,1), CI rounding off) agrees "
                "with it to rtol 1e-12 on the balanced data (checked when the file is made)"
            ),
            "frozen": True,
        },
        "calls": {
            "mean squares": (
                "statsmodels.stats.anova.anova_lm(statsmodels.formula.api.ols('y ~ C(g)', "
                "data).fit())['mean_sq'] (between, within) and ['df']"
            ),
            "icc": (
                "(MSB - MSW) / (MSB + (k0 - 1) MSW), k0 = (N - sum n_i**2 / N) / (a - 1) "
                "(Shrout & Fleiss 1979; k0 of Snedecor & Cochran for unequal sizes)"
            ),
            "f, p": "F = MSB / MSW; p = scipy.stats.f.sf(F, a - 1, N - a)",
            "ci": (
                "F_L = F / scipy.stats.f.ppf(0.5 + level/2, a - 1, N - a), F_U = F * "
                "scipy.stats.f.ppf(0.5 + level/2, N - a, a - 1); [(F_L - 1)/(F_L + k0 - 1), "
                "(F_U - 1)/(F_U + k0 - 1)] (McGraw & Wong 1996, Table 7, case 1)"
            ),
            "pingouin cross-check": (
                "pingouin.options['round.column.CI95'] = None; pingouin.intraclass_corr(long, "
                "targets='target', raters='judge', ratings='rating'), row 'ICC(1,1)'"
            ),
        },
        "shrout_fleiss_1979": {
            "ratings": SHROUT_FLEISS,
            "note": "rows are targets (the clusters), columns judges; icc1(values, targets)",
            "expected": sf_ref,
            "published": {
                "citation": (
                    "Shrout, P. E., & Fleiss, J. L. (1979). Intraclass correlations: Uses in "
                    "assessing rater reliability. Psychological Bulletin, 86(2), 420-428. "
                    "Table 2 (the data, p. 423), its analysis of variance (Table 3) and the "
                    "ICC estimates (Table 4)"
                ),
                "printed_decimals": 2,
                "ms_between": 11.24,
                "ms_within": 6.26,
                "icc": 0.17,
            },
        },
        "unbalanced": {
            "values": UNBALANCED_VALUES,
            "clusters": UNBALANCED_CLUSTERS,
            "note": "null value or null cluster: the row is left out",
            "expected": unbalanced,
        },
    }
    dump(out, "icc.json")


if __name__ == "__main__":
    main()
